"""`labtasker worker list|count`: the observations a running loop reports (idle/busy, route, task, metadata)."""

import sys

from helpers import wait_until

# Blocks until the file named by its argument exists.
WAIT = "import os, sys, time\nwhile not os.path.exists(sys.argv[1]):\n    time.sleep(0.05)\n"


def workers(lt):
    return lt.cli_json("worker", "list")["items"]


def test_worker_list_shows_a_busy_loop(lt):
    (lt.cwd / "wait.py").write_text(WAIT)
    release = lt.cwd / "release"
    tid = lt.submit({"f": str(release)}, routes=["gpu"]).id
    p = lt.cli_bg("loop", "--route", "gpu", "--idle-timeout", "0", "--metadata", '{"host": "node-1"}', "--",
                  sys.executable, lt.cwd / "wait.py", "%{f}")
    items = wait_until(lambda: [w for w in workers(lt) if w["status"] == "busy"], timeout=30,
                       desc="a busy worker observation")
    assert len(items) == 1
    w = items[0]
    assert w["id"].startswith("w_") and (w["queue"], w["route"], w["task_id"]) == (lt.queue, "gpu", tid)
    assert w["metadata"] == {"host": "node-1"}
    assert {"last_seen_at", "expires_at"} <= set(w)
    grouped = lt.cli_json("worker", "count", "--group-by", "route,status")
    assert grouped["group_by"] == ["route", "status"]
    assert [(i["key"], i["count"]) for i in grouped["items"]] == [({"route": "gpu", "status": "busy"}, 1)]
    assert lt.cli_json("worker", "count") == {"count": 1}
    filtered = lt.cli_json("worker", "list", "--filter", 'route == "cpu"')
    assert filtered == {"items": [], "next_cursor": None}
    release.write_text("")
    assert p.wait(timeout=60) == 0
    assert lt.get(tid).status == "succeeded"
    # a loop that exits normally withdraws its observation
    wait_until(lambda: workers(lt) == [], timeout=15, desc="the observation to be deleted")


def test_worker_list_empty_queue(lt):
    assert lt.cli_json("worker", "list") == {"items": [], "next_cursor": None}
    assert lt.cli_json("worker", "count") == {"count": 0}
