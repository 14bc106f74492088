"""Mixed use, our server only: one queue used at once by the official v1 client (labtasker 1.0.1, from the v1
suite's venv) and the v2 client (2.8.0). A v2 queue is the v1 queue of the same name; task ids are minted as
`t_` + 12 characters so both clients accept them; v1's success/summary/retries read in v2 as
succeeded/result/attempt; a v1 task has routes ["default"]; one protocol's stale report is refused when the other's
lease moved on. labtasker 2.8.0's own server speaks v2 only, so these are skipped there."""

import textwrap
import time
import uuid

import pytest

from conftest import LEASE_SECONDS, TASK_ID_RE, V1_PYTHON, _lt
from helpers import wait_until

V1_PRELUDE = """\
import json, sys, time
import labtasker
from labtasker import Required
from labtasker.client.core.exceptions import LabtaskerRuntimeError

def result(obj):
    print("RESULT " + json.dumps(obj, default=str), flush=True)

"""


class V1:
    """The v1 client for the same queue: LABTASKER_ROOT with a client.toml (v1's format) and the queue password."""

    def __init__(self, lt):
        self.lt = lt
        self.password = "pw-" + uuid.uuid4().hex[:12]
        self.root = lt.base / "v1_root"
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "client.toml").write_text(textwrap.dedent(f"""\
            display_server_notifications_level = "medium"
            enable_traceback_filter = false
            version_check = false

            [endpoint]
            api_base_url = "{lt.url}/"

            [queue]
            queue_name = "{lt.queue}"
            password = "{self.password}"

            [task]
            heartbeat_interval = 1.0

            [cli_plugins]
            default = "all"
            include = []
            exclude = []
            """))

    def py(self, code, **kwargs):
        env = {"LABTASKER_ROOT": str(self.root), "LABTASKER_URL": None, "LABTASKER_QUEUE": None,
               "LABTASKER_TOKEN": None}
        return self.lt.py(V1_PRELUDE + textwrap.dedent(code), python=V1_PYTHON, env=env, name="v1_scenario.py",
                          **kwargs)


def _mixed(server, tmp_path, request):
    lt = _lt(server, tmp_path, request, create=False)
    v1 = V1(lt)
    v1.py(f"labtasker.create_queue(queue_name={lt.queue!r}, password={v1.password!r})")
    return lt, v1


@pytest.fixture
def mixed(ours_only, server, tmp_path, request):
    lt, v1 = _mixed(server, tmp_path, request)
    yield lt, v1
    lt.close()


@pytest.fixture
def mixed_short(ours_only, short_lease_server, tmp_path, request):
    lt, v1 = _mixed(short_lease_server, tmp_path, request)
    yield lt, v1
    lt.close()


def test_the_v1_queue_is_the_v2_queue(mixed):
    lt, _ = mixed
    assert lt.queue in [q.name for q in lt.client.list_queues()]
    assert lt.client.count_tasks() == 0


def test_v1_submitted_tasks_are_listed_and_run_by_a_v2_loop(mixed):
    lt, v1 = mixed
    r = v1.py("""
ids = [labtasker.submit_task(task_name=f"v1-{i}", args={"x": i, "cfg": {"lr": 0.1 * i}}, priority=20 + i,
                             max_retries=3).task_id for i in (1, 2)]
result(ids)
""")
    ids = r.result
    assert all(TASK_ID_RE.match(i) for i in ids), ids  # v2's id format, minted by the server for v1 too
    tasks = {t.id: t for t in lt.all_tasks()}
    assert set(tasks) == set(ids)
    for i, tid in zip((1, 2), ids):
        t = tasks[tid]
        assert (t.name, t.args, t.status, t.routes, t.priority, t.attempt) == (
            f"v1-{i}", {"x": i, "cfg": {"lr": 0.1 * i}}, "pending", ["default"], 20 + i, 0)
        assert t.max_attempts == 3  # v1's max_retries

    lt.py("""
@labtasker.loop(idle_timeout=0)
def job(x: int = TaskArg(), lr: float = TaskArg(path="cfg.lr")):
    labtasker.finish({"score": x * 10, "lr": lr})

job()
""")
    for i, tid in zip((1, 2), ids):
        t = lt.get(tid)
        assert (t.status, t.result, t.attempt) == ("succeeded", {"score": i * 10, "lr": 0.1 * i}, 1)
    r = v1.py(f"""
out = {{}}
for tid in {ids!r}:
    t = labtasker.ls_tasks(task_id=tid).content[0]
    out[tid] = [t.status, t.summary, t.retries]
result(out)
""")
    assert r.result == {ids[0]: ["success", {"score": 10, "lr": 0.1}, 0],
                        ids[1]: ["success", {"score": 20, "lr": 0.2}, 0]}


def test_v2_submitted_tasks_are_listed_and_run_by_a_v1_loop(mixed):
    lt, v1 = mixed
    ids = [lt.submit({"x": i, "y": {"z": "s"}}, name=f"v2-{i}", priority=i).id for i in (1, 2)]
    r = v1.py(f"""
listed = {{t.task_id: [t.status, t.args, t.task_name] for t in labtasker.ls_tasks(limit=100).content}}
seen = []

@labtasker.loop(required_fields=["x", "y.z"])
def job(x=Required(), z=Required(alias="y.z")):
    seen.append([labtasker.task_info().task_id, x, z])
    labtasker.finish("success", summary={{"double": x * 2}})

job()
result({{"listed": listed, "seen": seen}})
""")
    assert r.result["listed"] == {ids[0]: ["pending", {"x": 1, "y": {"z": "s"}}, "v2-1"],
                                  ids[1]: ["pending", {"x": 2, "y": {"z": "s"}}, "v2-2"]}
    assert r.result["seen"] == [[ids[1], 2, "s"], [ids[0], 1, "s"]]  # priority first, in both protocols
    for i, tid in zip((1, 2), ids):
        t = lt.get(tid)
        assert (t.status, t.result, t.attempt, t.last_error) == ("succeeded", {"double": i * 2}, 1, None)


def test_statuses_read_the_same_in_both(mixed):
    lt, v1 = mixed
    done = lt.submit({"x": 1}, priority=3).id
    failed = lt.submit({"x": 2}, max_attempts=1, priority=2).id
    cancelled = lt.submit({"x": 3}, priority=1).id
    pending = lt.submit({"x": 4}, priority=0).id
    c = lt.client._claim(route="default", run_id="r_mixedStatus1")
    lt.client._complete(task_id=c.task.id, run_id=c.run_id, result={"ok": True})
    c = lt.client._claim(route="default", run_id="r_mixedStatus2")
    lt.client._fail(task_id=c.task.id, run_id=c.run_id, error_type="E", message="m", traceback=None)
    lt.client.cancel_task(cancelled)
    r = v1.py("""
result({t.task_id: t.status for t in labtasker.ls_tasks(limit=100).content})
""")
    assert r.result == {done: "success", failed: "failed", cancelled: "cancelled", pending: "pending"}
    assert [t.id for t in lt.client.list_tasks(status="succeeded").items] == [done]
    assert lt.client.count_tasks(filter='status in ["failed", "cancelled"]') == 2


def test_v1_report_after_the_task_moved_to_a_v2_run_is_refused(mixed):
    lt, v1 = mixed
    r = v1.py("""
tid = labtasker.submit_task(args={"x": 1}).task_id
w = labtasker.create_worker(worker_name="v1-stale")
t = labtasker.fetch_task(worker_id=w).task
result({"tid": tid, "worker": w, "fetched": t.task_id})
""")
    tid, worker = r.result["tid"], r.result["worker"]
    assert r.result["fetched"] == tid and lt.get(tid).status == "running"
    lt.client.cancel_task(tid)  # the v1 worker's lease ends here
    lt.client.requeue_task(tid)
    c = lt.client._claim(route="default", run_id="r_mixedV2Run01")
    assert c.task.id == tid
    r = v1.py(f"""
try:
    labtasker.report_task_status(task_id={tid!r}, status="success", summary={{"stale": True}}, worker_id={worker!r})
    result(None)
except LabtaskerRuntimeError as e:
    result(str(e))
""")
    assert r.result and "assigned to a different worker" in r.result  # 409
    t = lt.get(tid)
    assert (t.status, t.result) == ("running", {})
    lt.client._complete(task_id=tid, run_id=c.run_id, result={"by": "v2"})
    assert lt.get(tid).result == {"by": "v2"}


def test_v2_report_after_the_task_moved_to_a_v1_worker_is_refused(mixed):
    lt, v1 = mixed
    tid = lt.submit({"x": 1}).id
    old = lt.client._claim(route="default", run_id="r_mixedV2Old01")
    lt.client.cancel_task(tid)
    lt.client.requeue_task(tid)
    r = v1.py("""
w = labtasker.create_worker(worker_name="v1-new")
t = labtasker.fetch_task(worker_id=w, required_fields=["x"]).task
result({"worker": w, "fetched": t.task_id})
""")
    assert r.result["fetched"] == tid
    err = lt.api_error(lt.client._complete, task_id=tid, run_id=old.run_id, result={"stale": True})
    assert (err.status_code, err.code) == (409, "run_finalized")
    err = lt.api_error(lt.client._heartbeat, task_id=tid, run_id=old.run_id)
    assert err.code == "run_finalized"
    assert lt.get(tid).status == "running"
    v1.py(f"""
labtasker.report_task_status(task_id={tid!r}, status="success", summary={{"by": "v1"}},
                             worker_id={r.result["worker"]!r})
""")
    t = lt.get(tid)
    assert (t.status, t.result) == ("succeeded", {"by": "v1"})


@pytest.mark.slow
def test_v1_report_after_its_heartbeat_timeout_and_a_v2_claim_is_refused(mixed):
    lt, v1 = mixed
    r = v1.py("""
tid = labtasker.submit_task(args={"x": 1}, heartbeat_timeout=1).task_id
w = labtasker.create_worker(worker_name="v1-timeout")
labtasker.fetch_task(worker_id=w)
result({"tid": tid, "worker": w})
""")
    tid, worker = r.result["tid"], r.result["worker"]
    wait_until(lambda: lt.get(tid).status == "pending", timeout=30, desc="the v1 heartbeat timeout")
    c = lt.client._claim(route="default", run_id="r_mixedTimeou1")
    assert c.task.id == tid
    r = v1.py(f"""
try:
    labtasker.report_task_status(task_id={tid!r}, status="success", worker_id={worker!r})
    result(None)
except LabtaskerRuntimeError as e:
    result(str(e))
""")
    assert r.result and "assigned to a different worker" in r.result
    assert lt.get(tid).status == "running"


@pytest.mark.slow
def test_v2_report_after_its_lease_expired_and_a_v1_fetch_is_refused(mixed_short):
    lt, v1 = mixed_short
    tid = lt.submit({"x": 1}).id
    old = lt.client._claim(route="default", run_id="r_mixedLease01")
    wait_until(lambda: lt.get(tid).status == "pending", timeout=LEASE_SECONDS * 10, desc="the v2 lease to expire")
    r = v1.py("""
w = labtasker.create_worker(worker_name="v1-after-lease")
t = labtasker.fetch_task(worker_id=w, required_fields=["x"]).task
result(t.task_id)
""")
    assert r.result == tid
    time.sleep(0.2)
    err = lt.api_error(lt.client._complete, task_id=tid, run_id=old.run_id, result={"stale": True})
    assert (err.code, err.details.get("action")) == ("run_finalized", "heartbeat_expired")
    assert lt.get(tid).status == "running"


def test_v1_password_and_v2_queue_name_agree(mixed):
    # The v2 client reaches the queue by name alone (no token configured on this server); the v1 client still
    # needs the queue's password.
    lt, v1 = mixed
    lt.submit({"x": 1})
    (v1.root / "client.toml").write_text((v1.root / "client.toml").read_text().replace(v1.password, "wrong"))
    r = v1.py("labtasker.ls_tasks()", check=False)
    assert r.rc != 0 and "401" in (r.out + r.err)
