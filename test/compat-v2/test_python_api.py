"""The official Python API (`import labtasker`): submit, the `@labtasker.loop` worker with TaskArg, finish(),
report_progress(), the outcome exceptions, listing, counting, updating, dependencies and archival. Worker scenarios
run as fresh scripts (the worker reads LABTASKER_URL/LABTASKER_QUEUE/LABTASKER_ROOT from its environment)."""

from conftest import RUN_ID_RE, TASK_ID_RE


def test_submit_task_round_trip_keeps_types(lt):
    r = lt.py("""
t = labtasker.submit_task(
    {"lr": 3.0, "n": 2, "nested": {"x": [1, 2.5, "s"], "flag": True, "none": None}, "big": 2**63 - 1},
    name="exp-1", metadata={"tags": ["a", "b"], "dotted.key": 1}, priority=-4, max_attempts=2,
    routes=["b-route", "a-route"],
)
back = labtasker.get_task(t.id)
result({"submitted": t.model_dump(mode="json"), "back": back.model_dump(mode="json"),
        "lr_type": type(back.args["lr"]).__name__, "big_ok": back.args["big"] == 2**63 - 1})
""")
    t, back = r.result["submitted"], r.result["back"]
    assert t == back
    assert TASK_ID_RE.match(t["id"])
    assert t["args"] == {"lr": 3.0, "n": 2, "nested": {"x": [1, 2.5, "s"], "flag": True, "none": None},
                         "big": 2**63 - 1}
    assert r.result["lr_type"] == "float" and r.result["big_ok"]
    assert t["metadata"] == {"tags": ["a", "b"], "dotted.key": 1}  # keys are kept as given
    assert (t["name"], t["priority"], t["max_attempts"], t["routes"]) == ("exp-1", -4, 2, ["a-route", "b-route"])
    assert (t["status"], t["attempt"], t["result"], t["queue"]) == ("pending", 0, {}, lt.queue)


def test_submit_by_id_replays_and_conflicts(lt):
    r = lt.py("""
a = labtasker.submit_task({"x": 1}, task_id="t_pyReplay0001", name="n")
b = labtasker.submit_task({"x": 1}, task_id="t_pyReplay0001", name="n")
out = {"same": a == b, "id": a.id}
for changed in ({"args": {"x": 2}, "name": "n"}, {"args": {"x": 1}, "name": "other"},
                {"args": {"x": 1}, "name": "n", "priority": 1}):
    try:
        labtasker.submit_task(changed.pop("args"), task_id="t_pyReplay0001", **changed)
        out.setdefault("conflicts", []).append(None)
    except APIError as e:
        out.setdefault("conflicts", []).append([e.status_code, e.code])
result(out)
""")
    assert r.result["same"] and r.result["id"] == "t_pyReplay0001"
    assert r.result["conflicts"] == [[409, "task_id_conflict"]] * 3
    assert lt.client.count_tasks() == 1


def test_loop_with_task_args_and_finish(lt):
    ids = {p: lt.submit({"seed": p, "model": {"depth": p * 10}, "lr": "0.5"}, priority=p).id for p in (1, 3, 2)}
    other_route = lt.submit({"seed": 99, "model": {"depth": 1}}, routes=["cpu"], priority=50).id
    r = lt.py("""
seen = []

@labtasker.loop(idle_timeout=0)
def job(seed: int = TaskArg(), depth: int = TaskArg(path="model.depth"), lr: float = TaskArg(resolver=float),
        tag: str = TaskArg(default="none")):
    info = labtasker.task_info()
    seen.append({"id": info.id, "run_id": info.run_id, "attempt": info.attempt, "status": info.status,
                 "seed": seed, "depth": depth, "lr": lr, "tag": tag, "run_dir": str(info.run_dir)})
    if seed != 2:
        labtasker.finish({"score": seed * 1.5, "depth": depth})

job()
result(seen)
""")
    seen = r.result
    assert [s["id"] for s in seen] == [ids[3], ids[2], ids[1]]  # priority first; the "cpu" task is not claimed
    for s in seen:
        assert RUN_ID_RE.match(s["run_id"]) and s["attempt"] == 1 and s["status"] == "running"
        assert (s["depth"], s["lr"], s["tag"]) == (s["seed"] * 10, 0.5, "none")
    for p in (1, 3):
        t = lt.get(ids[p])
        assert (t.status, t.result, t.attempt, t.last_route) == ("succeeded", {"score": p * 1.5, "depth": p * 10}, 1,
                                                                 "default")
        assert t.started_at is not None and t.finished_at is not None
    assert (lt.get(ids[2]).status, lt.get(ids[2]).result) == ("succeeded", {})  # returned without finish()
    assert lt.get(other_route).status == "pending"


def test_loop_on_a_route(lt):
    gpu = lt.submit({"x": 1}, routes=["gpu", "cpu"]).id
    lt.submit({"x": 2}).id
    r = lt.py("""
seen = []

@labtasker.loop(route="gpu", idle_timeout=0)
def job(x: int = TaskArg()):
    seen.append([labtasker.task_info().id, x])

job()
result(seen)
""")
    assert r.result == [[gpu, 1]]
    assert lt.get(gpu).last_route == "gpu"


def test_report_progress_is_kept_per_attempt(lt):
    tid = lt.submit({"n": 3}).id
    r = lt.py("""
acks = []

@labtasker.loop(idle_timeout=0)
def job(n: int = TaskArg()):
    for i in range(1, n + 1):
        acks.append(labtasker.report_progress({"completed": i, "total": n}))
    t = labtasker.get_task(labtasker.task_info().id)
    acks.append([t.progress, t.progress_attempt, t.progress_updated_at is not None])

job()
result(acks)
""")
    assert r.result == [True, True, True, [{"completed": 3, "total": 3}, 1, True]]  # each report accepted
    t = lt.get(tid)
    assert (t.status, t.progress, t.progress_attempt) == ("succeeded", {"completed": 3, "total": 3}, 1)


def test_exception_fails_and_retries_until_max_attempts(lt):
    tid = lt.submit({"x": 1}, max_attempts=2).id
    r = lt.py("""
calls = []

@labtasker.loop(idle_timeout=0)
def job(x: int = TaskArg()):
    calls.append(labtasker.task_info().attempt)
    raise ValueError(f"boom {len(calls)}")

job()
result(calls)
""")
    assert r.result == [1, 2]
    t = lt.get(tid)
    assert (t.status, t.attempt) == ("failed", 2)
    assert (t.last_error.type, t.last_error.message, t.last_error.attempt) == ("ValueError", "boom 2", 2)
    assert "Traceback" in t.last_error.traceback and RUN_ID_RE.match(t.last_error.run_id)
    assert t.finished_at is not None


def test_transient_error_does_not_use_an_attempt(lt):
    tid = lt.submit({"x": 1}, max_attempts=1).id
    r = lt.py("""
calls = []

@labtasker.loop(idle_timeout=0)
def job(x: int = TaskArg()):
    info = labtasker.task_info()
    calls.append([info.attempt, info.run_id])
    if len(calls) < 3:
        raise TransientError("GPU busy")
    labtasker.finish({"calls": len(calls)})

job()
result(calls)
""")
    calls = r.result
    assert [c[0] for c in calls] == [1, 1, 1]  # unclaim refunds the attempt
    assert len({c[1] for c in calls}) == 3  # a new run each time
    t = lt.get(tid)
    assert (t.status, t.attempt, t.result, t.last_error) == ("succeeded", 1, {"calls": 3}, None)


def test_fatal_worker_error_fails_the_task_and_stops_the_worker(lt):
    first = lt.submit({"x": 1}, priority=2).id
    second = lt.submit({"x": 2}, priority=1).id
    r = lt.py("""
seen = []

@labtasker.loop(idle_timeout=0)
def job(x: int = TaskArg()):
    seen.append(x)
    raise FatalWorkerError("out of disk")

try:
    job()
    result({"seen": seen, "raised": None})
except FatalWorkerError as e:
    result({"seen": seen, "raised": str(e)})
""")
    assert r.result == {"seen": [1], "raised": "out of disk"}
    t = lt.get(first)
    assert (t.status, t.attempt, t.last_error.type, t.last_error.message) == ("pending", 1, "FatalWorkerError",
                                                                              "out of disk")
    assert lt.get(second).status == "pending"


def test_max_consecutive_failures_stops_the_worker(lt):
    ids = [lt.submit({"i": i}, max_attempts=1, priority=10 - i).id for i in range(4)]
    r = lt.py("""
seen = []

@labtasker.loop(idle_timeout=0, max_consecutive_failures=2)
def job(i: int = TaskArg()):
    seen.append(i)
    raise RuntimeError("bad")

try:
    job()
    result({"seen": seen, "fatal": False})
except FatalWorkerError:
    result({"seen": seen, "fatal": True})
""")
    assert r.result == {"seen": [0, 1], "fatal": True}
    assert [lt.get(i).status for i in ids] == ["failed", "failed", "pending", "pending"]


def test_list_tasks_filter_order_and_cursor_paging(lt):
    r = lt.py("""
ids = [labtasker.submit_task({"i": i, "even": i % 2 == 0}, priority=i % 3, name=f"job-{i}").id for i in range(11)]
pages, cursor = [], None
while True:
    page = labtasker.list_tasks(filter="args.even == True", order_by="priority", descending=False, limit=2,
                                cursor=cursor)
    pages.append([[t.args["i"], t.priority] for t in page.items])
    cursor = page.next_cursor
    if cursor is None:
        break
by_name = labtasker.list_tasks(order_by="name", descending=True, limit=3)
errors = {}
for key, kwargs in {"filter": {"filter": "args.i >"}, "unknown": {"filter": "nope == 1"},
                    "cursor": {"cursor": "not-a-cursor"}}.items():
    try:
        labtasker.list_tasks(**kwargs)
    except APIError as e:
        errors[key] = [e.status_code, e.code]
result({"pages": pages, "by_name": [t.name for t in by_name.items], "errors": errors,
        "first_page_cursor": by_name.next_cursor is not None})
""")
    pages = r.result["pages"]
    assert all(len(p) == 2 for p in pages[:-1]) and 1 <= len(pages[-1]) <= 2
    flat = [x for p in pages for x in p]
    assert sorted(i for i, _ in flat) == [0, 2, 4, 6, 8, 10]
    assert [p for _, p in flat] == sorted(p for _, p in flat)
    assert r.result["by_name"] == ["job-9", "job-8", "job-7"]
    assert r.result["first_page_cursor"]
    assert r.result["errors"] == {"filter": [422, "invalid_filter"], "unknown": [422, "invalid_filter"],
                                  "cursor": [422, "invalid_cursor"]}


def test_count_tasks_plain_and_grouped(lt):
    r = lt.py("""
for routes in (["a"], ["a", "b"], ["b"], ["b"]):
    labtasker.submit_task({}, routes=routes)
grouped = labtasker.count_tasks(group_by=["routes"])
result({"all": labtasker.count_tasks(), "b": labtasker.count_tasks(filter='"b" in routes'),
        "pending": labtasker.count_tasks(status="pending"), "failed": labtasker.count_tasks(status="failed"),
        "grouped": grouped.model_dump(mode="json")})
""")
    res = r.result
    assert (res["all"], res["b"], res["pending"], res["failed"]) == (4, 3, 4, 0)
    assert res["grouped"]["group_by"] == ["routes"] and res["grouped"]["count"] == 4
    assert sorted((i["key"]["routes"], i["count"]) for i in res["grouped"]["items"]) == [("a", 2), ("b", 3)]


def test_update_tasks_and_update_task(lt):
    r = lt.py("""
ids = [labtasker.submit_task({"i": i}, metadata={"m": i}).id for i in range(4)]
bulk = labtasker.update_tasks(filter="args.i < 2", changes={"priority": 9, "metadata": {"tag": "x"}})
one = labtasker.update_task(ids[3], {"max_attempts": 7, "result": {"note": "manual"}})
try:
    labtasker.update_tasks(filter="args.i <", changes={"priority": 1})
    bad = None
except APIError as e:
    bad = [e.status_code, e.code]
result({"bulk": bulk.model_dump(mode="json"), "one": one.model_dump(mode="json"),
        "all": [labtasker.get_task(i).model_dump(mode="json") for i in ids], "bad": bad})
""")
    res = r.result
    assert res["bulk"] == {"matched": 2, "updated": 2}
    assert [(t["priority"], t["metadata"]) for t in res["all"]] == [(9, {"tag": "x"}), (9, {"tag": "x"}),
                                                                    (0, {"m": 2}), (0, {"m": 3})]
    assert (res["one"]["max_attempts"], res["one"]["result"]) == (7, {"note": "manual"})
    assert res["bad"] == [422, "invalid_filter"]


def test_dependencies_are_checked_at_claim(lt):
    r = lt.py("""
first = labtasker.submit_task({"step": 1}, priority=0)
second = labtasker.submit_task({"step": 2}, priority=10, dependencies=[first.id])
orphan = labtasker.submit_task({"step": 0}, priority=20, dependencies=["t_doesNotExist"])
order = []

@labtasker.loop(idle_timeout=0)
def job(step: int = TaskArg()):
    order.append(step)

job()
result({"order": order, "deps": second.dependencies, "orphan": labtasker.get_task(orphan.id).status})
""")
    # the dependent task waits for its predecessor although its priority is higher; a missing id never succeeds
    assert r.result == {"order": [1, 2], "deps": [r.result["deps"][0]], "orphan": "pending"}


def test_dependency_on_a_failed_task_blocks(lt):
    pre = lt.submit({"x": 1}, max_attempts=1).id
    post = lt.submit({"x": 2}, dependencies=[pre]).id
    lt.py("""
@labtasker.loop(idle_timeout=0)
def job(x: int = TaskArg()):
    if x == 1:
        raise ValueError("no")

job()
""")
    assert (lt.get(pre).status, lt.get(post).status, lt.get(post).attempt) == ("failed", "pending", 0)


def test_archive_via_update_and_include_archived(lt):
    r = lt.py("""
done = labtasker.submit_task({"x": 1})
cancelled = labtasker.submit_task({"x": 2})
pending = labtasker.submit_task({"x": 3})
c = Client()
claim = c._claim(route="default", run_id="r_archiveRun01")
c._complete(task_id=done.id, run_id=claim.run_id, result={})
labtasker.cancel_task(cancelled.id)
out = {}
out["archived"] = labtasker.update_task(done.id, {"archived": True}).archived
try:
    labtasker.update_task(pending.id, {"archived": True})
    out["pending"] = None
except APIError as e:
    out["pending"] = [e.status_code, e.code]
try:
    labtasker.update_tasks(filter="args.x >= 2", changes={"archived": True})
    out["bulk_mixed"] = None
except APIError as e:
    out["bulk_mixed"] = [e.status_code, e.code]
out["bulk"] = labtasker.update_tasks(filter="args.x == 2", changes={"archived": True}).model_dump()
out["listed"] = sorted(t.args["x"] for t in labtasker.list_tasks().items)
out["listed_all"] = sorted(t.args["x"] for t in labtasker.list_tasks(include_archived=True).items)
out["count"] = labtasker.count_tasks()
out["count_all"] = labtasker.count_tasks(include_archived=True)
out["filter_archived"] = [t.args["x"] for t in labtasker.list_tasks(filter="archived == True",
                                                                    include_archived=True).items]
out["bulk_skip"] = labtasker.update_tasks(filter="args.x >= 1", changes={"priority": 5}).model_dump()
out["get"] = labtasker.get_task(done.id).archived
requeued = labtasker.requeue_task(cancelled.id)
out["requeued"] = [requeued.status, requeued.archived]
out["restored"] = labtasker.update_task(done.id, {"archived": False}).archived
result(out)
""")
    res = r.result
    assert res["archived"] is True
    assert res["pending"] == [409, "update_conflict"]  # only finished tasks can be archived
    assert res["bulk_mixed"] == [409, "update_conflict"]  # all or nothing
    assert res["bulk"] == {"matched": 1, "updated": 1}
    assert (res["listed"], res["listed_all"]) == ([3], [1, 2, 3])
    assert (res["count"], res["count_all"]) == (1, 3)
    assert sorted(res["filter_archived"]) == [1, 2]
    assert res["bulk_skip"] == {"matched": 1, "updated": 1}  # archived tasks are out of bulk updates
    assert res["get"] is True  # get by id still finds an archived task
    assert res["requeued"] == ["pending", False]  # requeue brings a cancelled archived task back, unarchived
    assert res["restored"] is False


def test_cancel_requeue_delete_and_queues(lt):
    r = lt.py("""
q = os.environ["LABTASKER_QUEUE"]
t = labtasker.submit_task({"x": 1})
out = {"cancel": labtasker.cancel_task(t.id).status, "requeue": labtasker.requeue_task(t.id).status}
labtasker.delete_task(t.id)
labtasker.delete_task(t.id)
try:
    labtasker.get_task(t.id)
except APIError as e:
    out["gone"] = [e.status_code, e.code]
out["queues"] = q in [x.name for x in labtasker.list_queues()]
other = labtasker.create_queue(q + "-other")
labtasker.submit_task({}, queue=other.name)
out["other_count"] = labtasker.count_tasks(queue=other.name)
try:
    labtasker.delete_queue(other.name)
except APIError as e:
    out["not_empty"] = [e.status_code, e.code]
labtasker.delete_queue(other.name, cascade=True)
out["after"] = other.name in [x.name for x in labtasker.list_queues()]
result(out)
""")
    assert r.result == {"cancel": "cancelled", "requeue": "pending", "gone": [404, "task_not_found"], "queues": True,
                        "other_count": 1, "not_empty": [409, "queue_not_empty"], "after": False}
