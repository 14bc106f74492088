"""`labtasker queue ...` through the official CLI."""

import uuid

from helpers import UUID_RE


def test_queue_create_with_options_then_get(lt_noqueue):
    lt = lt_noqueue
    r = lt.cli(
        "queue", "create", "--queue-name", lt.queue_name, "--password", lt.password,
        "--metadata", "{'team': 'vision', 'n': 3}", "-q", check=True,
    )
    qid = r.out.strip()
    assert UUID_RE.fullmatch(qid), r

    r = lt.cli("queue", "get", "-q", check=True)
    assert r.out.strip() == qid

    r = lt.cli("queue", "get", check=True)
    assert f"queue_id='{qid}'" in r.out
    assert f"queue_name='{lt.queue_name}'" in r.out
    assert "metadata={'team': 'vision', 'n': 3}" in r.out

    q = lt.api.get_queue()
    assert (q.queue_id, q.queue_name, q.metadata) == (qid, lt.queue_name, {"team": "vision", "n": 3})
    assert q.created_at is not None and q.last_modified is not None


def test_queue_create_from_env_vars(lt_noqueue):
    lt = lt_noqueue
    r = lt.cli("queue", "create", "-q", env={"QUEUE_NAME": lt.queue_name, "PASSWORD": lt.password}, check=True)
    assert UUID_RE.fullmatch(r.out.strip()), r
    assert lt.api.get_queue().queue_id == r.out.strip()


def test_queue_create_from_config_and_conflict(lt_noqueue):
    lt = lt_noqueue
    r = lt.cli("queue", "create-from-config", check=True)
    # prints the QueueCreateResponse repr
    assert "queue_id='" in r.out
    qid = r.uuids[0]
    assert lt.api.get_queue().queue_id == qid

    # the same name again: 409 -> "Queue already exists.", aborted
    r = lt.cli("queue", "create-from-config", "-q", check=False)
    assert r.rc == 1
    assert "Queue already exists" in r.err
    assert lt.api.get_queue().queue_id == qid


def test_queue_commands_before_queue_exists_report_bad_credentials(lt_noqueue):
    r = lt_noqueue.cli("queue", "get", check=False)
    assert r.rc == 1
    assert "Either invalid credentials or queue not created" in r.err
    assert "401" in r.err


def test_wrong_password_is_rejected(lt):
    good = lt.password
    lt.write_config(password="not-the-password")
    r = lt.cli("task", "ls", "-q", check=False)
    assert r.rc == 1
    assert "Either invalid credentials or queue not created" in r.err
    lt.write_config(password=good)
    assert lt.cli("task", "ls", "-q", check=True).out.strip() == ""


def test_queue_update_metadata_merge_and_reset(lt):
    r = lt.cli("queue", "update", "--metadata", "{'tag': 'a', 'n': 1}", check=True)
    assert "Metadata (Update): {'tag': 'a', 'n': 1}" in r.out
    assert "metadata={'tag': 'a', 'n': 1}" in r.out  # the updated queue is printed
    assert lt.api.get_queue().metadata == {"tag": "a", "n": 1}

    # top-level merge: only 'n' changes, 'tag' stays
    r = lt.cli("queue", "update", "--metadata", "{'n': 2, 'extra': [1, 2]}", "-q", check=True)
    assert r.out.strip() == ""
    assert lt.api.get_queue().metadata == {"tag": "a", "n": 2, "extra": [1, 2]}

    # '{}' resets the metadata to {}
    lt.cli("queue", "update", "--metadata", "{}", "-q", check=True)
    assert lt.api.get_queue().metadata == {}


def test_queue_update_rename_and_password(lt):
    qid = lt.queue_id
    new_name = f"renamed_{uuid.uuid4().hex[:10]}"
    r = lt.cli("queue", "update", "--new-queue-name", new_name, "--new-password", "fresh-pw", check=True)
    assert f"New Queue Name: {new_name}" in r.out
    assert "New Password: ******" in r.out
    assert f"queue_name='{new_name}'" in r.out

    # client.toml is NOT rewritten by the CLI: the old credentials stop working
    r = lt.cli("queue", "get", "-q", check=False)
    assert "Either invalid credentials or queue not created" in r.err

    lt.write_config(queue_name=new_name, password="fresh-pw")
    assert lt.cli("queue", "get", "-q", check=True).out.strip() == qid


def test_queue_update_to_a_taken_name_fails(lt, lt_noqueue):
    other = lt_noqueue
    other.cli("queue", "create-from-config", "-q", check=True)
    r = lt.cli("queue", "update", "--new-queue-name", other.queue_name, "-q", check=False)
    assert r.rc != 0
    assert "400" in r.err and f"Queue name '{other.queue_name}' already exists" in r.err
    assert lt.api.get_queue().queue_name == lt.queue_name


def test_queue_delete(lt):
    lt.cli("task", "submit", "--", "--x=1", check=True)
    r = lt.cli("queue", "delete", "--cascade", "-y", check=True)
    assert "Queue deleted." in r.out
    r = lt.cli("queue", "get", check=False)
    assert "Either invalid credentials or queue not created" in r.err

    # the name is free again: a new queue with it has a new id and no tasks
    r = lt.cli("queue", "create-from-config", "-q", check=True)
    assert r.out.strip() != lt.queue_id
    assert lt.cli("task", "ls", "-q", check=True).out.strip() == ""


def test_queue_delete_without_yes_aborts_without_a_tty(lt):
    r = lt.cli("queue", "delete", check=False)
    assert r.rc == 1
    assert "Are you sure" in r.out
    assert lt.api.get_queue().queue_id == lt.queue_id
