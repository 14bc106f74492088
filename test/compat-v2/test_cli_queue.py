"""`labtasker queue create|list|delete`: JSON on stdout, quiet deletes, the error envelope with exit 1."""

from helpers import envelope


def test_queue_create_is_idempotent_and_listed(lt_noqueue):
    lt = lt_noqueue
    assert lt.cli_json("queue", "create", lt.queue) == {"name": lt.queue}
    assert lt.cli_json("queue", "create", lt.queue) == {"name": lt.queue}  # the existing queue, not an error
    names = [q["name"] for q in lt.cli_json("queue", "list")]
    assert names.count(lt.queue) == 1
    assert "default" in names  # a fresh server has the default queue


def test_queue_delete_empty_is_quiet(lt_noqueue):
    lt = lt_noqueue
    lt.cli_json("queue", "create", lt.queue)
    r = lt.cli("queue", "delete", lt.queue, check=True)
    assert r.out == ""
    assert lt.queue not in [q["name"] for q in lt.cli_json("queue", "list")]


def test_queue_delete_non_empty_needs_cascade(lt):
    lt.submit({"x": 1})
    err = envelope(lt.cli("queue", "delete", lt.queue))
    assert err["code"] == "queue_not_empty"
    assert lt.queue in [q["name"] for q in lt.cli_json("queue", "list")]
    r = lt.cli("queue", "delete", lt.queue, "--cascade", check=True)
    assert r.out == ""
    assert lt.queue not in [q["name"] for q in lt.cli_json("queue", "list")]


def test_queue_delete_missing_is_queue_not_found(lt_noqueue):
    err = envelope(lt_noqueue.cli("queue", "delete", lt_noqueue.queue))
    assert err["code"] == "queue_not_found"


def test_queue_name_is_validated_by_the_client(lt_noqueue):
    r = lt_noqueue.cli("queue", "create", "bad name!")
    assert r.rc == 2 and r.out == ""  # a usage error: plain text on stderr, nothing sent


def test_task_commands_on_a_missing_queue(lt_noqueue):
    err = envelope(lt_noqueue.cli("task", "submit", "--args", "{}"))
    assert err["code"] == "queue_not_found"
    assert err["details"].get("queue") == lt_noqueue.queue
