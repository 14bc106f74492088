"""The official Python API (`import labtasker`), each scenario a fresh interpreter running a small script."""

import time

from helpers import UUID_RE, wait_until

PRELUDE = """\
import json, sys, time
import labtasker
from labtasker import Required
from labtasker.api_models import TaskUpdateRequest
from labtasker.client.core.exceptions import LabtaskerHTTPStatusError, LabtaskerRuntimeError

def result(obj):
    print("RESULT " + json.dumps(obj), flush=True)
"""


def run(lt, body, **kw):
    return lt.py(PRELUDE + body, **kw)


def test_submit_and_ls_round_trip_keeps_types(lt):
    r = run(lt, """
tid = labtasker.submit_task(
    task_name="exp-1",
    args={"lr": 3.0, "n": 2, "nested": {"x": [1, 2.5, "s"], "flag": True, "none": None}, "big": 2**53 + 1},
    metadata={"tags": ["a", "b"], "dotted.key": 1},
    heartbeat_timeout=30.5, task_timeout=600, max_retries=4, priority=15,
).task_id
t = labtasker.ls_tasks(task_id=tid).content[0]
result({
    "tid": tid, "task": t.model_dump(mode="json"),
    "lr_type": type(t.args["lr"]).__name__, "big_ok": t.args["big"] == 2**53 + 1,
    "x1_type": type(t.args["nested"]["x"][1]).__name__,
})
""")
    res = r.result
    t = res["task"]
    assert UUID_RE.fullmatch(res["tid"]) and t["task_id"] == res["tid"]
    assert t["args"] == {"lr": 3.0, "n": 2, "nested": {"x": [1, 2.5, "s"], "flag": True, "none": None},
                         "big": 2**53 + 1}
    assert res["lr_type"] == "float" and res["x1_type"] == "float" and res["big_ok"]
    assert t["metadata"] == {"tags": ["a", "b"], "dotted": {"key": 1}}  # dotted keys are unflattened on create
    assert (t["task_name"], t["heartbeat_timeout"], t["task_timeout"], t["max_retries"], t["priority"]) == (
        "exp-1", 30.5, 600, 4, 15)
    assert (t["status"], t["retries"], t["worker_id"], t["summary"]) == ("pending", 0, None, {})
    assert t["queue_id"] == lt.queue_id


def test_submit_defaults(lt):
    r = run(lt, """
tid = labtasker.submit_task(args={"a": 1}).task_id
result(labtasker.ls_tasks(task_id=tid).content[0].model_dump(mode="json"))
""")
    t = r.result
    assert (t["priority"], t["max_retries"], t["heartbeat_timeout"], t["task_timeout"], t["task_name"]) == (
        10, 3, None, None, None)
    assert t["metadata"] == {}


def test_loop_decorator_with_required_alias_and_resolver(lt):
    # tasks whose args are exactly {bs, lr, cfg: {model}}; fetched by priority (desc)
    ids = {p: lt.submit(args={"bs": "16", "lr": 3.0, "cfg": {"model": f"m{p}"}}, priority=p) for p in (1, 50, 10)}
    other = lt.submit(args={"bs": "8", "lr": 1.0, "cfg": {"model": "x"}, "extra": 1}, priority=100)
    r = run(lt, """
from typing_extensions import Annotated
seen = []

@labtasker.loop(create_worker_kwargs={"worker_name": "py-worker"})
def job(bs: Annotated[int, Required(resolver=lambda v: int(v) * 2)], lr=Required(), model=Required(alias="cfg.model")):
    info = labtasker.task_info()
    seen.append({"task_id": info.task_id, "bs": bs, "bs_type": type(bs).__name__, "lr": lr,
                 "lr_type": type(lr).__name__, "model": model, "worker": labtasker.current_worker_id(),
                 "status": info.status, "enabled": labtasker.is_enabled()})

job()
result(seen)
""")
    seen = r.result
    assert [s["task_id"] for s in seen] == [ids[50], ids[10], ids[1]]
    assert [s["model"] for s in seen] == ["m50", "m10", "m1"]
    assert all(s["bs"] == 32 and s["bs_type"] == "int" for s in seen)  # resolver applied
    assert all(s["lr"] == 3.0 and s["lr_type"] == "float" for s in seen)
    assert all(s["status"] == "running" and s["enabled"] for s in seen)
    (w,) = lt.api.ls_workers().content
    assert w.worker_name == "py-worker" and all(s["worker"] == w.worker_id for s in seen)
    st = {t.task_id: t.status for t in lt.api.all_tasks()}
    assert st == {ids[50]: "success", ids[10]: "success", ids[1]: "success", other: "pending"}


def test_loop_required_fields_and_extra_filter_string_and_dict(lt):
    a = lt.submit(args={"x": 1}, metadata={"grp": "a"})
    b = lt.submit(args={"x": 2}, metadata={"grp": "b"})
    c = lt.submit(args={"x": 3, "y": 4}, metadata={"grp": "a"})
    r = run(lt, """
ran = []

@labtasker.loop(required_fields=["x"], extra_filter="metadata.grp == 'a'", pass_args_dict=True)
def job_a(args):
    ran.append(["a", args])

@labtasker.loop(required_fields=["*"], extra_filter={"metadata.grp": {"$in": ["a", "b"]}})
def job_any():
    ran.append(["any", labtasker.task_info().args])

job_a()
job_any()
result(ran)
""")
    assert r.result == [["a", {"x": 1}], ["any", {"x": 2}], ["any", {"x": 3, "y": 4}]]
    assert {t.task_id: t.status for t in lt.api.all_tasks()} == {a: "success", b: "success", c: "success"}


def test_loop_finish_and_exceptions(lt):
    ok = lt.submit(args={"mode": "finish-ok"}, priority=30)
    fail = lt.submit(args={"mode": "finish-failed"}, max_retries=1, priority=20)
    boom = lt.submit(args={"mode": "raise"}, max_retries=2, priority=10)
    r = run(lt, """
labtasker.set_prompt_on_task_failure(False)
calls = []

@labtasker.loop(create_worker_kwargs={"max_retries": 10})
def job(mode=Required()):
    calls.append(mode)
    if mode == "finish-ok":
        labtasker.finish("success", summary={"acc": 0.9, "loss": 1.0})
    elif mode == "finish-failed":
        labtasker.finish("failed", summary={"why": "bad"})
    else:
        raise ValueError("boom happened")

job()
result(calls)
""")
    assert r.result == ["finish-ok", "finish-failed", "raise", "raise"]
    tasks = {t.task_id: t for t in lt.api.all_tasks()}
    assert tasks[ok].status == "success" and tasks[ok].summary == {"acc": 0.9, "loss": 1.0}
    assert (tasks[fail].status, tasks[fail].retries, tasks[fail].summary) == ("failed", 1, {"why": "bad"})
    assert (tasks[boom].status, tasks[boom].retries) == ("failed", 2)
    exc = tasks[boom].summary["labtasker_exception"]
    assert exc["type"] == "ValueError" and exc["message"] == "boom happened" and "Traceback" in exc["traceback"]
    (w,) = lt.api.ls_workers().content
    assert (w.status, w.retries, w.max_retries) == ("active", 3, 10)


def test_loop_exits_when_its_worker_crashes(lt):
    ids = []
    for i in range(3):
        ids.append(lt.submit(args={"i": i}))
        time.sleep(0.01)
    wid = lt.api.create_worker(max_retries=1)
    r = run(lt, f"""
labtasker.set_prompt_on_task_failure(False)
calls = []

@labtasker.loop(worker_id="{wid}")
def job(i=Required()):
    calls.append(i)
    raise RuntimeError("crash")

job()
result(calls)
""")
    assert r.result == [0]  # one failure crashes a max_retries=1 worker; the next fetch gets 403 and the loop ends
    assert "Worker suspended" in r.err
    assert lt.api.worker(wid).status == "crashed"
    assert [(t.status, t.retries) for t in lt.api.all_tasks(sort=[("created_at", 1)])] == [
        ("pending", 1), ("pending", 0), ("pending", 0)]


def test_report_task_status_success_failed_cancelled(lt):
    r = run(lt, """
ids = [labtasker.submit_task(args={"i": i}, max_retries=2).task_id for i in range(4)]
out = {}
t = labtasker.fetch_task(heartbeat_timeout=30).task
assert t.task_id == ids[0] and t.status == "running" and t.worker_id is None
labtasker.report_task_status(task_id=t.task_id, status="success", summary={"acc": 1.0, "nested": {"a": 1}})

t = labtasker.fetch_task().task
labtasker.report_task_status(task_id=t.task_id, status="failed", summary={"err": "x"})
out["after_one_failure"] = labtasker.ls_tasks(task_id=t.task_id).content[0].model_dump(mode="json")

labtasker.report_task_status(task_id=ids[2], status="cancelled")   # a pending task can be cancelled
# an invalid transition: cancelled -> success
try:
    labtasker.report_task_status(task_id=ids[2], status="success")
    out["invalid"] = None
except LabtaskerHTTPStatusError as e:
    out["invalid"] = [e.response.status_code, e.response.json()["detail"]]
# unknown task
try:
    labtasker.report_task_status(task_id="00000000-0000-0000-0000-000000000000", status="success")
    out["missing"] = None
except LabtaskerHTTPStatusError as e:
    out["missing"] = e.response.status_code
out["ids"] = ids
out["all"] = {t.task_id: [t.status, t.retries, t.summary] for t in labtasker.ls_tasks().content}
result(out)
""")
    res = r.result
    ids = res["ids"]
    assert res["all"][ids[0]] == ["success", 0, {"acc": 1.0, "nested": {"a": 1}}]
    assert res["all"][ids[1]] == ["pending", 1, {"err": "x"}]
    assert res["after_one_failure"]["worker_id"] is None
    assert res["all"][ids[2]][0] == "cancelled"
    assert res["all"][ids[3]] == ["pending", 0, {}]
    assert res["invalid"][0] == 400 and "InvalidStateTransition" in res["invalid"][1]
    assert res["missing"] == 404


def test_report_from_a_stale_worker_is_fenced(lt):
    r = run(lt, """
tid = labtasker.submit_task(args={"x": 1}).task_id
w1 = labtasker.create_worker(worker_name="w1")
w2 = labtasker.create_worker(worker_name="w2")
t = labtasker.fetch_task(worker_id=w1).task
out = {"fetched_by": t.worker_id, "w1": w1}
try:
    labtasker.report_task_status(task_id=tid, status="success", worker_id=w2)
    out["stale"] = None
except LabtaskerRuntimeError as e:
    out["stale"] = str(e)
out["status_after_stale"] = labtasker.ls_tasks(task_id=tid).content[0].status
labtasker.report_task_status(task_id=tid, status="success", worker_id=w1)
out["final"] = labtasker.ls_tasks(task_id=tid).content[0].status
result(out)
""")
    res = r.result
    assert res["fetched_by"] == res["w1"]
    assert "assigned to a different worker" in res["stale"]
    assert res["status_after_stale"] == "running"
    assert res["final"] == "success"


def test_fetch_order_priority_then_age(lt):
    r = run(lt, """
import time
ids = {}
for name, p in [("low", 5), ("high-old", 30), ("mid", 10), ("high-new", 30)]:
    ids[name] = labtasker.submit_task(args={"n": name}, priority=p).task_id
    time.sleep(0.01)
order = []
while True:
    resp = labtasker.fetch_task(heartbeat_timeout=30)
    if not resp.found:
        break
    order.append(resp.task.args["n"])
result(order)
""")
    assert r.result == ["high-old", "high-new", "mid", "low"]


def test_fetch_required_fields_no_more_no_less(lt):
    r = run(lt, """
ids = {}
for name, args in [("a", {"a": 1}), ("ab", {"a": 1, "b": 2}), ("a_bc", {"a": 1, "b": {"c": 1}}),
                   ("a_bcd", {"a": 1, "b": {"c": 1, "d": 2}})]:
    ids[name] = labtasker.submit_task(args=args).task_id
names = {v: k for k, v in ids.items()}

def take(**kw):
    resp = labtasker.fetch_task(**kw)
    if not resp.found:
        return None
    labtasker.report_task_status(task_id=resp.task.task_id, status="success")
    return names[resp.task.task_id]

out = []
out.append(take(required_fields=["a", "b.c"]))          # exactly {a, b: {c}}
out.append(take(required_fields=["a", "b.c"]))          # nothing else matches
out.append(take(required_fields=["a", "b"]))            # {a, b} with b anything
out.append(take(required_fields=["*", "b.d"]))          # "*" allows extra keys, b.d must exist
out.append(take(required_fields=["a"]))
result(out)
""")
    assert r.result == ["a_bc", None, "ab", "a_bcd", "a"]


def test_ls_tasks_filters_sort_and_paging(lt):
    r = run(lt, """
import time
for i, (lr, tags) in enumerate([(0.1, ["a"]), (0.001, ["b"]), (0.05, ["a", "b"]), (0.5, [])]):
    labtasker.submit_task(task_name=f"t{i}", args={"lr": lr}, metadata={"tags": tags}, priority=i)
    time.sleep(0.01)
names = lambda resp: [t.task_name for t in resp.content]
out = {
    "str": names(labtasker.ls_tasks(extra_filter="args.lr >= 0.01", sort=[("args.lr", -1)])),
    "dict": names(labtasker.ls_tasks(extra_filter={"metadata.tags": {"$in": ["a"]}}, sort=[("priority", -1)])),
    "contains": names(labtasker.ls_tasks(extra_filter="'b' in list(metadata.tags)", sort=[("task_name", 1)])),
    "default_sort": names(labtasker.ls_tasks()),
    "page2": names(labtasker.ls_tasks(limit=2, offset=2, sort=[("priority", 1)])),
    "past_end": [labtasker.ls_tasks(limit=2, offset=10).found, names(labtasker.ls_tasks(limit=2, offset=10))],
    "by_name": names(labtasker.ls_tasks(task_name="t2")),
    "by_status": names(labtasker.ls_tasks(status="running")),
}
result(out)
""")
    res = r.result
    assert res["str"] == ["t3", "t0", "t2"]
    assert res["dict"] == ["t2", "t0"]
    assert res["contains"] == ["t1", "t2"]
    assert res["default_sort"] == ["t0", "t1", "t2", "t3"]  # API default sort: last_modified asc
    assert res["page2"] == ["t2", "t3"]
    assert res["past_end"] == [False, []]
    assert res["by_name"] == ["t2"]
    assert res["by_status"] == []


def test_update_tasks_merge_replace_and_reset_pending(lt):
    r = run(lt, """
t1 = labtasker.submit_task(args={"lr": 0.1, "model": "vit", "opt": {"b1": 0.9, "b2": 0.99}},
                           metadata={"tag": "x"}).task_id
t2 = labtasker.submit_task(args={"k": 1}, max_retries=1).task_id
out = {}
resp = labtasker.update_tasks([
    TaskUpdateRequest(task_id=t1, args={"lr": 0.5, "opt.b1": 0.8}, priority=42),
    TaskUpdateRequest(task_id=t2, replace_fields=["args", "metadata"], args={"only": 1.0},
                      metadata={"a.b": 1}),
])
out["found"] = resp.found
out["resp_order"] = [t.task_id for t in resp.content]
out["t1"] = resp.content[0].model_dump(mode="json")
out["t2"] = resp.content[1].model_dump(mode="json")
out["only_type"] = type(resp.content[1].args["only"]).__name__

# run t2 to failure, then reset it
assert labtasker.fetch_task(extra_filter={"_id": t2}).task.task_id == t2
labtasker.report_task_status(task_id=t2, status="failed")
out["t2_failed"] = labtasker.ls_tasks(task_id=t2).content[0].status
resp = labtasker.update_tasks([TaskUpdateRequest(task_id=t2, priority=1)], reset_pending=True)
out["t2_reset"] = resp.content[0].model_dump(mode="json")
# manual status change, reset_pending=False
resp = labtasker.update_tasks([TaskUpdateRequest(task_id=t1, status="cancelled")])
out["t1_cancelled"] = resp.content[0].status
out["empty"] = labtasker.update_tasks([]).model_dump(mode="json")
out["ids"] = [t1, t2]
result(out)
""")
    res = r.result
    t1, t2 = res["ids"]
    assert res["found"] is True and res["resp_order"] == [t1, t2]
    assert res["t1"]["args"] == {"lr": 0.5, "model": "vit", "opt": {"b1": 0.8, "b2": 0.99}}
    assert res["t1"]["metadata"] == {"tag": "x"} and res["t1"]["priority"] == 42
    assert res["t2"]["args"] == {"only": 1.0} and res["only_type"] == "float"
    assert res["t2"]["metadata"] == {"a": {"b": 1}}
    assert res["t2_failed"] == "failed"
    t2r = res["t2_reset"]
    assert (t2r["status"], t2r["retries"], t2r["priority"], t2r["worker_id"]) == ("pending", 0, 1, None)
    assert res["t1_cancelled"] == "cancelled"
    assert res["empty"]["found"] is False and res["empty"]["content"] == []


def test_delete_task(lt):
    r = run(lt, """
a = labtasker.submit_task(args={"a": 1}).task_id
b = labtasker.submit_task(args={"b": 1}).task_id
labtasker.delete_task(a)
out = {"left": [t.task_id for t in labtasker.ls_tasks().content], "b": b}
try:
    labtasker.delete_task(a)
    out["again"] = None
except LabtaskerHTTPStatusError as e:
    out["again"] = [e.response.status_code, e.response.json()]
result(out)
""")
    assert r.result["left"] == [r.result["b"]]
    assert r.result["again"] == [404, {"detail": "Task not found"}]


def test_workers_api(lt):
    r = run(lt, """
w1 = labtasker.create_worker(worker_name="w-1", metadata={"gpu": 1, "host": "n1"}, max_retries=5)
w2 = labtasker.create_worker()
ids = lambda resp: [w.worker_id for w in resp.content]
out = {"w1": w1, "w2": w2, "type": type(w1).__name__}
out["all"] = sorted(ids(labtasker.ls_workers()))
out["by_name"] = ids(labtasker.ls_workers(worker_name="w-1"))
out["filter_str"] = ids(labtasker.ls_workers(extra_filter="metadata.gpu >= 1"))
out["filter_dict"] = ids(labtasker.ls_workers(extra_filter={"metadata.host": "n1"}))
out["sorted"] = ids(labtasker.ls_workers(sort=[("max_retries", 1)]))
labtasker.report_worker_status(w1, "suspended")
out["suspended"] = ids(labtasker.ls_workers(status="suspended"))
try:
    labtasker.report_worker_status(w1, "suspended")
    out["invalid"] = None
except LabtaskerRuntimeError as e:
    out["invalid"] = str(e)
labtasker.report_worker_status(w1, "active")
out["active_again"] = labtasker.ls_workers(worker_id=w1).content[0].status
w = labtasker.ls_workers(worker_id=w1).content[0]
out["w1_obj"] = w.model_dump(mode="json")
labtasker.delete_worker(w2)
out["after_delete"] = ids(labtasker.ls_workers())
try:
    labtasker.delete_worker(w2)
    out["delete_again"] = None
except LabtaskerHTTPStatusError as e:
    out["delete_again"] = e.response.status_code
result(out)
""")
    res = r.result
    w1, w2 = res["w1"], res["w2"]
    assert res["type"] == "str" and UUID_RE.fullmatch(w1)
    assert res["all"] == sorted([w1, w2])
    assert res["by_name"] == [w1] and res["filter_str"] == [w1] and res["filter_dict"] == [w1]
    assert res["sorted"] == [w2, w1]
    assert res["suspended"] == [w1]
    assert "InvalidStateTransition" in res["invalid"]
    assert res["active_again"] == "active"
    w = res["w1_obj"]
    assert (w["worker_name"], w["metadata"], w["max_retries"], w["retries"]) == ("w-1", {"gpu": 1, "host": "n1"}, 5, 0)
    assert res["after_delete"] == [w1]
    assert res["delete_again"] == 404


def test_queue_api(lt_noqueue):
    lt = lt_noqueue
    r = run(lt, """
from labtasker.client.core.config import get_client_config
cfg = get_client_config()
out = {}
out["created"] = labtasker.create_queue(queue_name=cfg.queue.queue_name, password=cfg.queue.password.get_secret_value(),
                                        metadata={"a": 1}).queue_id
try:
    labtasker.create_queue(queue_name=cfg.queue.queue_name, password="x")
    out["dup"] = None
except LabtaskerHTTPStatusError as e:
    out["dup"] = [e.response.status_code, e.response.json()]
q = labtasker.get_queue()
out["get"] = q.model_dump(mode="json")
out["health"] = labtasker.health_check().model_dump(mode="json")
q = labtasker.update_queue(metadata_update={"b": 2})
out["updated"] = q.metadata
labtasker.delete_queue(cascade_delete=True)
try:
    labtasker.get_queue()
    out["after_delete"] = None
except LabtaskerHTTPStatusError as e:
    out["after_delete"] = [e.response.status_code, e.response.json()]
result(out)
""")
    res = r.result
    assert UUID_RE.fullmatch(res["created"])
    assert res["dup"] == [409, {"detail": f"Queue '{lt.queue_name}' already exists"}]
    g = res["get"]
    assert (g["queue_id"], g["queue_name"], g["metadata"]) == (res["created"], lt.queue_name, {"a": 1})
    assert res["health"]["status"] == "healthy"
    assert res["updated"] == {"a": 1, "b": 2}
    assert res["after_delete"] == [401, {"detail": "Invalid credentials"}]


def test_connect_events_sees_transitions_in_order(lt):
    r = run(lt, """
listener = labtasker.connect_events(timeout=10)
client_id = listener.get_client_id()
tid = labtasker.submit_task(args={"x": 1}, max_retries=1).task_id
wid = labtasker.create_worker(max_retries=5)
labtasker.fetch_task(worker_id=wid)
labtasker.report_task_status(task_id=tid, status="failed", worker_id=wid)
labtasker.report_worker_status(wid, "suspended")
labtasker.update_tasks([labtasker.api_models.TaskUpdateRequest(task_id=tid)], reset_pending=True)
events = []
deadline = time.time() + 15
while len(events) < 7 and time.time() < deadline:
    ev = listener.get_event(timeout=1)
    if ev is not None:
        events.append(ev.model_dump(mode="json"))
extra = listener.get_event(timeout=0.7)  # nothing more is expected
if extra is not None:
    events.append(extra.model_dump(mode="json"))
result({"client_id": client_id, "tid": tid, "wid": wid, "events": events})
""")
    res = r.result
    assert UUID_RE.fullmatch(res["client_id"])
    tid, wid = res["tid"], res["wid"]
    evs = res["events"]
    got = [(e["event"]["entity_type"], e["event"]["entity_id"], e["event"]["old_state"], e["event"]["new_state"])
           for e in evs]
    assert got == [
        ("task", tid, "created", "pending"),
        ("worker", wid, "created", "active"),
        ("task", tid, "pending", "running"),
        ("worker", wid, "active", "active"),  # the failure is charged to the worker first...
        ("task", tid, "running", "failed"),   # ...then the task's transition
        ("worker", wid, "active", "suspended"),
        ("task", tid, "failed", "pending"),
    ]
    # a per-queue counter: this queue's first event is 1
    assert [e["sequence"] for e in evs] == list(range(1, len(evs) + 1))
    for e in evs:
        ev = e["event"]
        assert ev["type"] == "state_transition" and ev["queue_id"] == lt.queue_id
        assert ev["entity_data"]["_id"] == ev["entity_id"]
        assert ev["entity_data"]["status"] == ev["new_state"]
    assert evs[4]["event"]["entity_data"]["retries"] == 1
    assert evs[3]["event"]["entity_data"]["retries"] == 1


def test_task_times_out_without_heartbeat_and_returns_to_pending(lt):
    r = run(lt, """
tid = labtasker.submit_task(args={"x": 1}, max_retries=3).task_id
once = labtasker.submit_task(args={"x": 2}, max_retries=1).task_id
wid = labtasker.create_worker()
t = labtasker.fetch_task(worker_id=wid, heartbeat_timeout=1.0, extra_filter={"_id": tid}).task
t2 = labtasker.fetch_task(eta_max="1", start_heartbeat=False, extra_filter={"_id": once}).task
result({"tid": tid, "once": once, "wid": wid, "hb": t.heartbeat_timeout, "tt": t2.task_timeout,
        "lh": t2.last_heartbeat})
""")
    res = r.result
    assert res["hb"] == 1.0 and res["tt"] == 1 and res["lh"] is None

    def both_timed_out():
        a, b = lt.api.task(res["tid"]), lt.api.task(res["once"])
        return a.status != "running" and b.status != "running" and (a, b)

    a, b = wait_until(both_timed_out, timeout=20, desc="server-side timeouts")
    assert (a.status, a.retries, a.worker_id) == ("pending", 1, None)
    assert a.summary == {"labtasker_error": "Either heartbeat or task execution timed out"}
    assert (b.status, b.retries) == ("failed", 1)
    assert b.summary["labtasker_error"] == "Either heartbeat or task execution timed out"
    assert lt.api.worker(res["wid"]).retries == 1
    # back in the queue: it can be fetched again
    resp = lt.api.fetch_task(heartbeat_timeout=60)
    assert resp.found and resp.task.task_id == res["tid"] and resp.task.retries == 1


def test_heartbeat_keeps_a_running_task_alive(lt):
    lt.write_config(heartbeat_interval=0.3)
    t = lt.submit(args={"sec": 4.5})
    r = run(lt, """
@labtasker.loop(heartbeat_timeout=2.0)
def job(sec=Required()):
    time.sleep(sec)   # longer than heartbeat_timeout: only the heartbeats keep it alive

job()
result(labtasker.ls_tasks().content[0].model_dump(mode="json"))
""")
    task = r.result
    assert task["task_id"] == t
    assert (task["status"], task["retries"]) == ("success", 0)
    assert task["last_heartbeat"] > task["start_time"]
