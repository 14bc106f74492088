"""`labtasker loop -- COMMAND %{arg}`: a command worker that templates argv from a task's args (never a shell)."""

import json
import sys

from helpers import wait_until

# The child writes its argv and its labtasker environment to a file named after its task.
RECORD = """
import json, os, sys
out = {"argv": sys.argv[1:], "env": {k: v for k, v in os.environ.items() if k.startswith("LABTASKER_")}}
with open(os.path.join(sys.argv[1], os.environ["LABTASKER_TASK_ID"] + ".json"), "w") as f:
    json.dump(out, f)
code = int(os.environ.get("CHILD_EXIT", "0"))
if sys.argv[-1] == "fail":
    code = 3
if sys.argv[-1] == "finish":
    import labtasker
    labtasker.finish({"from_child": True, "seed": int(sys.argv[2])})
sys.exit(code)
"""


def write_child(lt):
    path = lt.cwd / "child.py"
    path.write_text(RECORD)
    out = lt.cwd / "records"
    out.mkdir(exist_ok=True)
    return path, out


def records(out):
    return {p.stem: json.loads(p.read_text()) for p in out.glob("*.json")}


def test_loop_templates_argv_and_completes(lt):
    child, out = write_child(lt)
    a = lt.submit({"seed": 1, "opt": {"lr": 0.5}, "tag": "a b;$(x)"}, priority=2).id
    b = lt.submit({"seed": 2, "opt": {"lr": 0.25}, "tag": "plain"}, priority=1).id
    r = lt.cli("loop", "--idle-timeout", "0", "--", sys.executable, child, out, "%{seed}", "--lr=%{opt.lr}",
               "%{tag}", "%{{literal}", timeout=120)
    assert r.rc == 0, r
    rec = records(out)
    assert rec[a]["argv"] == [str(out), "1", "--lr=0.5", "a b;$(x)", "%{literal}"]  # one argument each, no shell
    assert rec[b]["argv"] == [str(out), "2", "--lr=0.25", "plain", "%{literal}"]
    env = rec[a]["env"]
    assert (env["LABTASKER_TASK_ID"], env["LABTASKER_QUEUE"], env["LABTASKER_ROUTE"]) == (a, lt.queue, "default")
    assert env["LABTASKER_RUN_ID"].startswith("r_") and env["LABTASKER_WORKER_ID"].startswith("w_")
    assert env["LABTASKER_URL"] == lt.url and "LABTASKER_RUN_DIR" in env
    for tid in (a, b):
        t = lt.get(tid)
        assert (t.status, t.result, t.attempt) == ("succeeded", {}, 1)


def test_loop_child_exit_status_fails_the_attempt(lt):
    child, out = write_child(lt)
    tid = lt.submit({"seed": 1, "mode": "fail"}, max_attempts=2).id
    r = lt.cli("loop", "--idle-timeout", "0", "--", sys.executable, child, out, "%{seed}", "%{mode}", timeout=120)
    assert r.rc == 0, r  # failures are the tasks', not the worker's (below max_consecutive_failures)
    t = lt.get(tid)
    assert (t.status, t.attempt) == ("failed", 2)
    assert (t.last_error.type, t.last_error.message) == ("CommandProcessError", "Command exited with status 3.")


def test_loop_child_finish_sets_the_result(lt):
    child, out = write_child(lt)
    tid = lt.submit({"seed": 7, "mode": "finish"}).id
    r = lt.cli("loop", "--idle-timeout", "0", "--", sys.executable, child, out, "%{seed}", "%{mode}", timeout=120)
    assert r.rc == 0, r
    t = lt.get(tid)
    assert (t.status, t.result) == ("succeeded", {"from_child": True, "seed": 7})


def test_loop_missing_template_arg_is_a_binding_failure(lt):
    child, out = write_child(lt)
    tid = lt.submit({"other": 1}, max_attempts=1).id
    r = lt.cli("loop", "--idle-timeout", "0", "--", sys.executable, child, out, "%{seed}", timeout=120)
    assert r.rc == 0, r
    t = lt.get(tid)
    assert (t.status, t.last_error.type) == ("failed", "TaskBindingError")
    assert records(out) == {}  # the command never ran


def test_loop_stops_after_consecutive_failures(lt):
    child, out = write_child(lt)
    ids = [lt.submit({"seed": i, "mode": "fail"}, max_attempts=1, priority=10 - i).id for i in range(3)]
    r = lt.cli("loop", "--idle-timeout", "0", "--max-consecutive-failures", "2", "--", sys.executable, child, out,
               "%{seed}", "%{mode}", timeout=120)
    assert r.rc == 1, r
    assert [lt.get(i).status for i in ids] == ["failed", "failed", "pending"]


def test_loop_route_and_usage_errors(lt):
    child, out = write_child(lt)
    gpu = lt.submit({"seed": 1}, routes=["gpu"]).id
    plain = lt.submit({"seed": 2}).id
    r = lt.cli("loop", "--route", "gpu", "--idle-timeout", "0", "--", sys.executable, child, out, "%{seed}",
               timeout=120)
    assert r.rc == 0, r
    assert (lt.get(gpu).status, lt.get(plain).status) == ("succeeded", "pending")
    assert lt.cli("loop", sys.executable, child).rc == 2  # the -- separator is required
    assert lt.cli("loop", "--", sys.executable, "%{bad").rc == 2  # template syntax error


def test_loop_on_a_missing_queue_fails_fast(lt_noqueue):
    r = lt_noqueue.cli("loop", "--idle-timeout", "0", "--", sys.executable, "-c", "pass", timeout=60)
    assert r.rc == 1 and "does not exist" in r.err, r


def test_loop_waits_for_work_until_idle_timeout(lt):
    child, out = write_child(lt)
    p = lt.cli_bg("loop", "--idle-timeout", "30", "--", sys.executable, child, out, "%{seed}")
    wait_until(lambda: "connected" in lt.bg_output(p)[1], desc="the loop to start")
    tid = lt.submit({"seed": 5}).id
    wait_until(lambda: lt.get(tid).status == "succeeded", timeout=60, desc="the loop to pick up the new task")
    assert p.poll() is None  # still waiting for more work
    assert records(out)[tid]["argv"][1] == "5"
