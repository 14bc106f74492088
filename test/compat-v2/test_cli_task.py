"""`labtasker task submit|get|list|count|update|cancel|requeue|delete`: strict JSON in, 2-space JSON out."""

import json

from conftest import TASK_ID_RE
from helpers import envelope

TASK_KEYS = {
    "id", "queue", "status", "archived", "name", "args", "metadata", "priority", "attempt", "max_attempts", "routes",
    "dependencies", "result", "progress", "progress_updated_at", "progress_attempt", "last_error", "last_route",
    "created_at", "updated_at", "started_at", "finished_at",
}


def test_submit_prints_the_whole_task(lt):
    args = {"lr": 0.1, "n": 2, "big": 2**62 + 1, "flag": True, "none": None, "cfg": {"x": [1, 2.5, "s"]}}
    r = lt.cli("task", "submit", "--args", json.dumps(args), "--name", "exp-1", "--metadata", '{"group":"paper"}',
               "--priority", "7", "--max-attempts", "5", "--route", "gpu", "--route", "cpu", check=True)
    assert r.out.startswith("{\n  \"id\"")  # 2-space indented JSON
    t = r.json
    assert set(t) == TASK_KEYS
    assert TASK_ID_RE.match(t["id"])
    assert t["args"] == args and t["metadata"] == {"group": "paper"}
    assert (t["queue"], t["name"], t["priority"], t["max_attempts"], t["routes"]) == (lt.queue, "exp-1", 7, 5,
                                                                                       ["cpu", "gpu"])  # sorted
    assert (t["status"], t["archived"], t["attempt"], t["result"], t["progress"], t["last_error"]) == (
        "pending", False, 0, {}, None, None)
    assert (t["dependencies"], t["last_route"], t["started_at"], t["finished_at"]) == ([], None, None, None)
    assert t["created_at"].endswith("Z") and t["created_at"] == t["updated_at"]
    assert lt.cli_json("task", "get", t["id"]) == t


def test_submit_defaults(lt):
    t = lt.cli_json("task", "submit")
    assert (t["args"], t["metadata"], t["priority"], t["max_attempts"], t["routes"], t["name"]) == (
        {}, {}, 0, 3, ["default"], None)


def test_submit_args_must_be_strict_json(lt):
    for bad in ("lr=0.1", "[1]", '{"a": NaN}', '{"a": 1, "a": 2}'):
        r = lt.cli("task", "submit", "--args", bad)
        assert r.rc == 2 and r.out == "", r  # usage error, nothing submitted
    assert lt.client.count_tasks() == 0


def test_submit_with_id_replays_and_conflicts(lt):
    tid = "t_cliReplay001"
    first = lt.cli_json("task", "submit", "--id", tid, "--args", '{"a":1}')
    assert first["id"] == tid
    assert lt.cli_json("task", "submit", "--id", tid, "--args", '{"a":1}') == first  # identical replay
    err = envelope(lt.cli("task", "submit", "--id", tid, "--args", '{"a":2}'))
    assert err["code"] == "task_id_conflict"
    assert lt.client.count_tasks() == 1


def test_get_errors_are_the_json_envelope(lt):
    err = envelope(lt.cli("task", "get", "t_doesNotExist"))
    assert err["code"] == "task_not_found"
    assert err["details"] == {"queue": lt.queue, "task_id": "t_doesNotExist"}
    r = lt.cli("task", "get", "not-a-task-id")
    assert r.rc == 2 and r.out == "" and "t_[A-Za-z0-9_-]{12}" in r.err  # the client validates ids itself


def test_list_is_one_page_with_next_cursor(lt):
    ids = [lt.submit({"i": i}, priority=i % 3, name=f"job-{i}").id for i in range(5)]
    page = lt.cli_json("task", "list")
    assert set(page) == {"items", "next_cursor"} and page["next_cursor"] is None
    assert [t["id"] for t in page["items"]] == ids[::-1]  # default: created_at, descending

    seen, cursor = [], None
    while True:
        extra = ["--cursor", cursor] if cursor else []
        page = lt.cli_json("task", "list", "--order-by", "priority", "--ascending", "--limit", "2", *extra)
        assert len(page["items"]) <= 2
        seen.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(t["id"] for t in seen) == sorted(ids)
    prios = [t["priority"] for t in seen]
    assert prios == sorted(prios)


def test_list_selectors(lt):
    a = lt.submit({"x": 1}, name="alpha run", routes=["gpu"]).id
    b = lt.submit({"x": 5}, name="beta run").id
    c = lt.submit({"x": 9, "opt": "adam"}, name="gamma").id
    lt.client.cancel_task(c)
    ids = lambda *args: sorted(t["id"] for t in lt.cli_json("task", "list", *args)["items"])  # noqa: E731
    assert ids("--status", "cancelled") == [c]
    assert ids("--name", "beta run") == [b]
    assert ids("--name-fuzzy", "AL rn") == [a]  # case-insensitive subsequence per word
    assert ids("--filter", "args.x >= 5") == sorted([b, c])
    assert ids("--filter", '"gpu" in routes') == [a]
    assert ids("--filter", 'args.opt != "adam"') == []  # a missing path compares false
    assert ids("--filter", "args.x > 0", "--status", "pending") == sorted([a, b])


def test_list_bad_filter_and_cursor(lt):
    lt.submit({"x": 1})
    err = envelope(lt.cli("task", "list", "--filter", "bogus == 1"))
    assert err["code"] == "invalid_filter"
    err = envelope(lt.cli("task", "list", "--filter", "args.x ==="))
    assert err["code"] == "invalid_filter"
    lt.submit({"x": 2})
    cursor = lt.cli_json("task", "list", "--limit", "1")["next_cursor"]
    assert cursor
    err = envelope(lt.cli("task", "list", "--limit", "1", "--order-by", "priority", "--cursor", cursor))
    assert err["code"] == "invalid_cursor"  # a cursor is bound to its query and ordering


def test_count_and_group_by(lt):
    lt.submit({"i": 1}, routes=["gpu"])
    lt.submit({"i": 2}, routes=["gpu", "cpu"])
    c = lt.submit({"i": 3}).id
    lt.client.cancel_task(c)
    assert lt.cli_json("task", "count") == {"count": 3}
    assert lt.cli_json("task", "count", "--status", "pending") == {"count": 2}
    assert lt.cli_json("task", "count", "--filter", '"cpu" in routes') == {"count": 1}
    grouped = lt.cli_json("task", "count", "--group-by", "routes,status")
    assert grouped["group_by"] == ["routes", "status"]
    assert grouped["count"] == 3  # tasks matched, not the sum of the groups
    assert grouped["next_cursor"] is None
    items = {(i["key"]["routes"], i["key"]["status"]): i["count"] for i in grouped["items"]}
    assert items == {("gpu", "pending"): 2, ("cpu", "pending"): 1, ("default", "cancelled"): 1}
    assert all(set(i["key"]) == {"routes", "status"} for i in grouped["items"])
    by_status = lt.cli_json("task", "count", "--group-by", "status")
    assert {i["key"]["status"]: i["count"] for i in by_status["items"]} == {"pending": 2, "cancelled": 1}
    r = lt.cli("task", "count", "--group-by", "status", "--group-by", "routes")
    assert r.rc == 2 and r.out == ""  # usage error: --group-by given twice


def test_update_one_task(lt):
    tid = lt.submit({"a": 1}, metadata={"k": 1}, priority=1).id
    t = lt.cli_json("task", "update", tid, "--changes", '{"priority": 20, "args": {"b": 2}, "name": "renamed"}')
    assert (t["priority"], t["args"], t["name"], t["metadata"]) == (20, {"b": 2}, "renamed", {"k": 1})  # replaced
    assert lt.get(tid).priority == 20
    r = lt.cli("task", "update", tid, "--changes", '{"status": "succeeded"}')
    assert r.rc == 2 and "unsupported fields" in r.err  # the client refuses fields a PATCH cannot carry
    r = lt.cli("task", "update", tid, "--filter", "priority > 0", "--changes", '{"priority": 1}')
    assert r.rc == 2  # TASK_ID and --filter together: usage error


def test_update_by_filter(lt):
    a = lt.submit({"x": 1}).id
    b = lt.submit({"x": 2}).id
    c = lt.submit({"x": 3}).id
    res = lt.cli_json("task", "update", "--filter", "args.x >= 2", "--changes", '{"routes": ["train-v2"]}')
    assert res == {"matched": 2, "updated": 2}
    assert [lt.get(i).routes for i in (a, b, c)] == [["default"], ["train-v2"], ["train-v2"]]
    res = lt.cli_json("task", "update", "--filter", "args.x >= 2", "--changes", '{"routes": ["train-v2"]}')
    assert res == {"matched": 2, "updated": 0}  # nothing changed


def test_cancel_requeue_delete(lt):
    tid = lt.submit({"a": 1}).id
    t = lt.cli_json("task", "cancel", tid)
    assert (t["id"], t["status"], t["finished_at"]) == (tid, "cancelled", None)  # a pending task never started
    assert lt.cli_json("task", "cancel", tid)["status"] == "cancelled"  # idempotent
    t = lt.cli_json("task", "requeue", tid)
    assert (t["status"], t["attempt"], t["finished_at"]) == ("pending", 0, None)
    r = lt.cli("task", "delete", tid, check=True)
    assert r.out == ""  # success is quiet
    assert envelope(lt.cli("task", "get", tid))["code"] == "task_not_found"
    assert lt.cli("task", "delete", tid, check=True).out == ""  # deleting again is not an error


def test_conflicts_on_a_running_task(lt):
    tid = lt.submit({"a": 1}).id
    claim = lt.client._claim(route="default", run_id="r_cliRunning01")
    assert claim.task.id == tid
    assert envelope(lt.cli("task", "update", tid, "--changes", '{"priority": 3}'))["code"] == "task_running"
    assert envelope(lt.cli("task", "delete", tid))["code"] == "task_running"
    assert envelope(lt.cli("task", "requeue", tid))["code"] == "task_state_conflict"
    assert envelope(lt.cli("queue", "delete", lt.queue, "--cascade"))["code"] == "queue_has_running_tasks"
    res = lt.cli_json("task", "update", "--filter", "args.a == 1", "--changes", '{"priority": 3}')
    assert res == {"matched": 0, "updated": 0}  # bulk update leaves running tasks out of its matches
    assert lt.cli_json("task", "cancel", tid)["status"] == "cancelled"  # cancel revokes the run


def test_requeue_of_a_succeeded_task_is_refused(lt):
    tid = lt.submit({"a": 1}).id
    claim = lt.client._claim(route="default", run_id="r_cliSucceed01")
    lt.client._complete(task_id=tid, run_id=claim.run_id, result={"ok": True})
    err = envelope(lt.cli("task", "requeue", tid))
    assert err["code"] == "task_state_conflict"
    assert lt.get(tid).status == "succeeded"


def test_config_file_is_read_from_the_root(lt):
    # Without LABTASKER_URL/LABTASKER_QUEUE the client reads LABTASKER_ROOT/config.toml.
    (lt.root / "config.toml").write_text(f'url = "{lt.url}"\nqueue = "{lt.queue}"\n')
    tid = lt.submit({"a": 1}).id
    out = lt.cli_json("task", "list", env={"LABTASKER_URL": None, "LABTASKER_QUEUE": None})
    assert [t["id"] for t in out["items"]] == [tid]
