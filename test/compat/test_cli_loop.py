"""`labtasker loop` through the official CLI: placeholders, shell strings, scripts, failures, filters, env, logs."""

import json
import os
import signal
import sys
import textwrap
import time
from pathlib import Path

from helpers import wait_until

PY = sys.executable

# A job that records its argv and labtasker environment in $OUT_DIR/<task_id>.json and prints a marker line.
JOB = textwrap.dedent(
    """\
    import json, os, sys
    env = {k: os.environ.get(k) for k in ("LABTASKER_TASK_ID", "LABTASKER_WORKER_ID", "LABTASKER_LOG_DIR",
                                          "LABTASKER_ROOT")}
    rec = {"argv": sys.argv[1:], "env": env}
    print("JOB-RAN", json.dumps(rec), flush=True)
    with open(os.path.join(os.environ["OUT_DIR"], env["LABTASKER_TASK_ID"] + ".json"), "w") as f:
        json.dump(rec, f)
    """
)


def setup_job(lt):
    (lt.cwd / "job.py").write_text(JOB)
    out = lt.cwd / "out"
    out.mkdir(exist_ok=True)
    return out


def records(out_dir):
    return {p.stem: json.loads(p.read_text()) for p in Path(out_dir).glob("*.json")}


def test_loop_list_mode_placeholders_env_and_logs(lt):
    out = setup_job(lt)
    t1 = lt.submit(args={"lr": 0.1, "model": "vit"}, task_name="first", priority=20)
    t2 = lt.submit(args={"lr": 3.0, "model": "a b; echo injected"}, priority=10)
    r = lt.cli("loop", "--", PY, "job.py", "--lr", "%(lr)", "--model=%(model)", "literal(%)",
               env={"OUT_DIR": str(out)}, check=True)
    assert "JOB-RAN" in r.out  # the job's output is streamed to the loop's stdout

    recs = records(out)
    assert set(recs) == {t1, t2}
    # list mode: no shell, values inserted verbatim (Python str(): 3.0 stays 3.0)
    assert recs[t1]["argv"] == ["--lr", "0.1", "--model=vit", "literal(%)"]
    assert recs[t2]["argv"] == ["--lr", "3.0", "--model=a b; echo injected", "literal(%)"]

    tasks = {t.task_id: t for t in lt.api.all_tasks()}
    assert {tid: t.status for tid, t in tasks.items()} == {t1: "success", t2: "success"}
    workers = lt.api.ls_workers().content
    assert len(workers) == 1  # one worker created by the loop (and not deleted when the queue runs dry)
    wid = workers[0].worker_id
    for tid in (t1, t2):
        env = recs[tid]["env"]
        assert env["LABTASKER_TASK_ID"] == tid
        assert env["LABTASKER_WORKER_ID"] == wid
        assert env["LABTASKER_ROOT"] == str(lt.root)
        log_dir = Path(env["LABTASKER_LOG_DIR"])
        assert log_dir.parent == lt.root / "logs" / "run"
        assert tid in log_dir.name
        info = json.loads((log_dir / "task_info.json").read_text())
        assert info["task_id"] == tid and info["status"] == "running" and info["worker_id"] == wid
        assert info["args"] == tasks[tid].args
        assert json.loads((log_dir / "status.json").read_text()) == {"status": "success"}
        assert json.loads((log_dir / "summary.json").read_text()) == {}
        run_log = (log_dir / "run.log").read_text()
        assert "JOB-RAN" in run_log and tid in run_log
    assert "first" in Path(recs[t1]["env"]["LABTASKER_LOG_DIR"]).name  # run_t<time>_n<task_name>_id<id>_rd<rand>

    # the fetch claimed the tasks by priority: t1 (20) before t2 (10)
    assert tasks[t1].start_time < tasks[t2].start_time


def test_loop_shell_string_quotes_values(lt):
    t = lt.submit(args={"msg": "hello world; touch PWNED", "n": 2, "cfg": {"depth": 3}})
    r = lt.cli("loop", "-c", "echo %(msg) > out_%(n).txt && echo %(cfg) > cfg.txt && echo $LABTASKER_TASK_ID > id.txt",
               check=True)
    assert r.rc == 0
    assert (lt.cwd / "out_2.txt").read_text() == "hello world; touch PWNED\n"
    assert not (lt.cwd / "PWNED").exists()
    # a dict renders as Python str() with the quotes swapped
    assert (lt.cwd / "cfg.txt").read_text() == '{"depth": 3}\n'
    assert (lt.cwd / "id.txt").read_text().strip() == t
    assert lt.api.task(t).status == "success"


def test_loop_script_path(lt):
    (lt.cwd / "run.sh").write_text("echo lr=%(lr) name=%(name) >> results.txt\necho \"$LABTASKER_WORKER_ID\" > wid.txt\n")
    a = lt.submit(args={"lr": 0.01, "name": "x y"}, priority=3)
    b = lt.submit(args={"lr": 1e-05, "name": "z"}, priority=2)
    lt.cli("loop", "--script-path", "run.sh", check=True)
    assert (lt.cwd / "results.txt").read_text().splitlines() == ["lr=0.01 name=x y", "lr=1e-05 name=z"]
    wid = (lt.cwd / "wid.txt").read_text().strip()
    assert [w.worker_id for w in lt.api.ls_workers().content] == [wid]
    assert {t.status for t in lt.api.all_tasks()} == {"success"}
    assert {a, b} == {t.task_id for t in lt.api.all_tasks()}


def test_loop_command_from_stdin(lt):
    t = lt.submit(args={"v": 7})
    lt.cli("loop", input="echo got=%(v) > got.txt\n", check=True)
    assert (lt.cwd / "got.txt").read_text() == "got=7\n"
    assert lt.api.task(t).status == "success"


def test_loop_nested_placeholders_no_more_no_less(lt):
    exact_b = lt.submit(args={"a": {"b": 1}})
    b_and_c = lt.submit(args={"a": {"b": 2, "c": 3}})
    extra_top = lt.submit(args={"a": {"b": 4}, "extra": 0})
    missing = lt.submit(args={"a": {"c": 5}})

    lt.cli("loop", "-c", "echo %(a.b) >> b.txt", check=True)
    # only the task whose args are exactly {a: {b}} matches %(a.b)
    assert (lt.cwd / "b.txt").read_text() == "1\n"
    lt.cli("loop", "-c", "echo %(a.b)-%(a.c) >> bc.txt", check=True)
    assert (lt.cwd / "bc.txt").read_text() == "2-3\n"
    st = {t.task_id: t.status for t in lt.api.all_tasks()}
    assert st == {exact_b: "success", b_and_c: "success", extra_top: "pending", missing: "pending"}

    # %(a) covers the whole subtree of a, %(extra) the other key
    lt.cli("loop", "-c", "echo %(a) %(extra) >> whole.txt", check=True)
    assert (lt.cwd / "whole.txt").read_text() == '{"b": 4} 0\n'
    assert lt.api.task(extra_top).status == "success"
    assert lt.api.task(missing).status == "pending"


def test_loop_without_placeholders_runs_any_task(lt):
    ids = [lt.submit(args={"k": i}) for i in range(2)] + [lt.submit(cmd="ignored", args={"other": {"x": 1}})]
    lt.cli("loop", "--", "true", check=True)
    assert {t.task_id: t.status for t in lt.api.all_tasks()} == {i: "success" for i in ids}


def test_loop_failing_command_retries_then_fails(lt):
    t = lt.submit(args={"x": 1}, max_retries=2)
    r = lt.cli("loop", "-c", "echo attempt %(x); exit 3", check=True)
    # no tty: both 10-second prompts default at once (report the failure, continue)
    assert r.out.count("attempt 1") == 2
    task = lt.api.task(t)
    assert (task.status, task.retries, task.worker_id) == ("failed", 2, None)
    exc = task.summary["labtasker_exception"]
    assert exc["type"] == "_LabtaskerJobFailed"
    assert "non-zero exit code: 3" in exc["message"]
    assert "Traceback" in exc["traceback"]
    (w,) = lt.api.ls_workers().content
    assert (w.status, w.retries) == ("active", 2)  # each failure is charged to the worker


def test_loop_failures_crash_the_worker_and_the_loop_exits(lt):
    wid = lt.cli("worker", "create", "--max-retries", "2", "-q", check=True).out.strip()
    ids = []
    for i in range(3):
        ids.append(lt.submit(args={"i": i}))
        time.sleep(0.01)
    r = lt.cli("loop", "--worker-id", wid, "-c", "echo run %(i); exit 1", check=True)
    assert "Worker suspended" in r.err
    # the 2nd failure crashes the worker; the next fetch is refused (403) and the loop exits.
    # A failed task goes back to pending with a new last_modified: it goes behind its equal-priority peers.
    assert r.out.count("run ") == 2
    assert "run 0" in r.out and "run 1" in r.out
    w = lt.api.worker(wid)
    assert (w.status, w.retries) == ("crashed", 2)
    tasks = {t.task_id: t for t in lt.api.all_tasks()}
    assert [(tasks[i].status, tasks[i].retries) for i in ids] == [("pending", 1), ("pending", 1), ("pending", 0)]

    # recovery: report the worker active again (this resets its retries) and run the rest
    lt.cli("worker", "report", wid, "active", check=True)
    assert lt.api.worker(wid).retries == 0
    lt.cli("loop", "-c", "true %(i)", env={"LABTASKER_WORKER_ID": wid}, check=True)
    assert {t.status for t in lt.api.all_tasks()} == {"success"}
    assert [w.worker_id for w in lt.api.ls_workers().content] == [wid]  # the env var's worker was reused


def test_loop_with_suspended_worker_exits_without_running(lt):
    wid = lt.cli("worker", "create", "-q", check=True).out.strip()
    lt.cli("worker", "report", wid, "suspended", check=True)
    t = lt.submit(args={"i": 1})
    r = lt.cli("loop", "--worker-id", wid, "-c", "echo RAN %(i)", check=True)
    assert "Worker suspended" in r.err
    assert "RAN" not in r.out
    assert lt.api.task(t).status == "pending"


def test_loop_extra_filter(lt):
    gpu = lt.submit(args={"i": 1}, metadata={"tags": ["gpu"]})
    cpu = lt.submit(args={"i": 2}, metadata={"tags": ["cpu"]})
    big = lt.submit(args={"i": 3}, metadata={"tags": ["gpu"], "size": 100})
    lt.cli("loop", "-f", "'gpu' in list(metadata.tags) and metadata.size > 10", "-c", "echo %(i) >> ran.txt",
           check=True)
    assert (lt.cwd / "ran.txt").read_text() == "3\n"
    lt.cli("loop", "--extra-filter", "{'metadata.tags': {'$in': ['gpu']}}", "-c", "echo %(i) >> ran.txt", check=True)
    assert (lt.cwd / "ran.txt").read_text() == "3\n1\n"
    st = {t.task_id: t.status for t in lt.api.all_tasks()}
    assert st == {gpu: "success", cpu: "pending", big: "success"}


def test_loop_eta_max_and_heartbeat_timeout_are_set_on_fetch(lt):
    out = setup_job(lt)
    t = lt.submit(args={"x": 1}, heartbeat_timeout=60, task_timeout=None)
    lt.cli("loop", "--eta-max", "2m", "--heartbeat-timeout", "45", "--", PY, "job.py", "%(x)",
           env={"OUT_DIR": str(out)}, check=True)
    rec = records(out)[t]
    info = json.loads((Path(rec["env"]["LABTASKER_LOG_DIR"]) / "task_info.json").read_text())
    assert info["task_timeout"] == 120
    assert info["heartbeat_timeout"] == 45.0
    task = lt.api.task(t)
    assert (task.status, task.task_timeout, task.heartbeat_timeout) == ("success", 120, 45.0)


def test_loop_child_can_use_the_python_api(lt):
    (lt.cwd / "child.py").write_text(
        textwrap.dedent(
            """\
            import json, labtasker
            info = labtasker.task_info()
            with open("child.json", "w") as f:
                json.dump({"task_id": info.task_id, "args": info.args, "current": labtasker.current_task_id(),
                           "worker": labtasker.current_worker_id()}, f)
            labtasker.finish("success", summary={"acc": 0.93, "epochs": 3.0})
            """
        )
    )
    t = lt.submit(args={"lr": 0.5})
    lt.cli("loop", "--", PY, "child.py", "%(lr)", check=True)
    rec = json.loads((lt.cwd / "child.json").read_text())
    assert rec["task_id"] == rec["current"] == t
    assert rec["args"] == {"lr": 0.5}
    task = lt.api.task(t)
    assert task.status == "success"
    # the child's finish() wins: its summary is stored, the loop's own report is skipped
    assert task.summary == {"acc": 0.93, "epochs": 3.0}
    assert isinstance(task.summary["epochs"], float)
    assert rec["worker"] == lt.api.ls_workers().content[0].worker_id


def test_killed_loop_task_times_out_and_is_retried(lt):
    t = lt.submit(args={"s": 60})
    p = lt.cli_bg("loop", "--heartbeat-timeout", "1.5", "--no-use-pty", "-c", "echo started; sleep %(s)")
    wait_until(lambda: lt.api.task(t).status == "running", timeout=20, desc="task running")
    wid = lt.api.task(t).worker_id
    time.sleep(0.5)
    os.killpg(p.pid, signal.SIGKILL)  # the worker process dies: no more heartbeats, no report
    p.wait(timeout=10)

    task = wait_until(lambda: (x := lt.api.task(t)).status == "pending" and x, timeout=20, desc="timeout -> pending")
    assert task.retries == 1
    assert task.worker_id is None
    assert task.summary["labtasker_error"] == "Either heartbeat or task execution timed out"
    assert lt.api.worker(wid).retries == 1  # the timeout is charged to the worker

    # another worker picks it up again
    lt.cli("task", "update", "--id", t, "-u", "args.s=0", "-q", check=True)
    lt.cli("loop", "-c", "sleep %(s)", check=True)
    assert (lt.api.task(t).status, lt.api.task(t).retries) == ("success", 1)


def test_loop_with_empty_queue_exits(lt):
    r = lt.cli("loop", "-c", "echo %(x)", check=True)
    assert "all done" in r.err
    assert lt.api.all_tasks() == []
