"""Leases and run_id fencing, through the client's lower-level `Client` (the calls the worker runtime makes):
claim, heartbeat, progress, complete, fail, unclaim; stale and finalized runs refused; leases that expire."""

import time

import pytest

from conftest import LEASE_SECONDS
from helpers import wait_until


def claim(lt, run_id, route="default"):
    return lt.client._claim(route=route, run_id=run_id)


def test_claim_heartbeat_complete(lt):
    tid = lt.submit({"x": 1}).id
    c = claim(lt, "r_fenceClaim01")
    assert (c.task.id, c.run_id, c.task.status, c.task.attempt) == (tid, "r_fenceClaim01", "running", 1)
    assert c.lease_expires_at is not None
    again = claim(lt, "r_fenceClaim01")  # the same run_id: the same claim, not a second task
    assert (again.task.id, again.run_id) == (tid, c.run_id)
    hb = lt.client._heartbeat(task_id=tid, run_id=c.run_id)
    assert hb.lease_expires_at >= c.lease_expires_at
    lt.client._complete(task_id=tid, run_id=c.run_id, result={"ok": 1})
    lt.client._complete(task_id=tid, run_id=c.run_id, result={"ok": 1})  # a repeated report is accepted
    t = lt.get(tid)
    assert (t.status, t.result, t.attempt) == ("succeeded", {"ok": 1}, 1)
    assert claim(lt, "r_fenceClaim02") is None  # nothing left: 204


def test_stale_run_is_refused(lt):
    tid = lt.submit({"x": 1}).id
    c = claim(lt, "r_fenceStale01")
    for call in (lambda: lt.client._heartbeat(task_id=tid, run_id="r_fenceNever01"),
                 lambda: lt.client._report_progress(task_id=tid, run_id="r_fenceNever01", progress={"p": 1}),
                 lambda: lt.client._complete(task_id=tid, run_id="r_fenceNever01", result={}),
                 lambda: lt.client._fail(task_id=tid, run_id="r_fenceNever01", error_type="E", message="m",
                                         traceback=None),
                 lambda: lt.client._unclaim(task_id=tid, run_id="r_fenceNever01")):
        err = lt.api_error(call)
        assert (err.status_code, err.code) == (409, "stale_run"), err
    t = lt.get(tid)
    assert (t.status, t.progress) == ("running", None)  # untouched
    lt.client._complete(task_id=tid, run_id=c.run_id, result={})
    assert lt.get(tid).status == "succeeded"


def test_finalized_run_is_refused_after_cancel_and_requeue(lt):
    tid = lt.submit({"x": 1}).id
    old = claim(lt, "r_fenceOld0001")
    cancelled = lt.client.cancel_task(tid)
    assert cancelled.status == "cancelled" and cancelled.finished_at is not None
    err = lt.api_error(lt.client._complete, task_id=tid, run_id=old.run_id, result={"late": True})
    assert (err.status_code, err.code, err.details.get("action")) == (409, "run_finalized", "cancel")
    lt.client.requeue_task(tid)
    new = claim(lt, "r_fenceNew0001")
    assert new.task.id == tid and new.task.attempt == 1  # requeue reset the attempt count
    err = lt.api_error(lt.client._complete, task_id=tid, run_id=old.run_id, result={"late": True})
    assert err.code == "run_finalized"
    err = lt.api_error(lt.client._heartbeat, task_id=tid, run_id=old.run_id)
    assert err.code == "run_finalized"
    assert lt.get(tid).status == "running"
    lt.client._complete(task_id=tid, run_id=new.run_id, result={"by": "new"})
    assert lt.get(tid).result == {"by": "new"}


def test_fail_after_complete_is_refused(lt):
    tid = lt.submit({"x": 1}).id
    c = claim(lt, "r_fenceDone001")
    lt.client._complete(task_id=tid, run_id=c.run_id, result={})
    err = lt.api_error(lt.client._fail, task_id=tid, run_id=c.run_id, error_type="E", message="m", traceback=None)
    assert (err.code, err.details.get("action")) == ("run_finalized", "complete")
    assert lt.get(tid).status == "succeeded"


def test_fail_unclaim_and_progress_reset(lt):
    tid = lt.submit({"x": 1}, max_attempts=2).id
    c1 = claim(lt, "r_fenceFail001")
    lt.client._report_progress(task_id=tid, run_id=c1.run_id, progress={"step": 1})
    assert (lt.get(tid).progress, lt.get(tid).progress_attempt) == ({"step": 1}, 1)
    lt.client._fail(task_id=tid, run_id=c1.run_id, error_type="OOM", message="out of memory", traceback=None)
    t = lt.get(tid)
    assert (t.status, t.attempt, t.last_error.type, t.last_error.run_id, t.last_error.traceback) == (
        "pending", 1, "OOM", c1.run_id, None)
    assert t.progress == {"step": 1}  # kept until the next claim
    c2 = claim(lt, "r_fenceFail002")
    t = lt.get(tid)
    assert (t.attempt, t.progress, t.progress_attempt, t.progress_updated_at) == (2, None, None, None)
    lt.client._unclaim(task_id=tid, run_id=c2.run_id)  # no charge
    t = lt.get(tid)
    assert (t.status, t.attempt, t.last_error.run_id) == ("pending", 1, c1.run_id)
    c3 = claim(lt, "r_fenceFail003")
    assert c3.task.attempt == 2
    lt.client._complete(task_id=tid, run_id=c3.run_id, result={})
    t = lt.get(tid)
    assert (t.status, t.last_error.type) == ("succeeded", "OOM")  # last_error survives a later success


def test_run_id_reused_for_another_route_conflicts(lt):
    lt.submit({"x": 1}, routes=["a", "b"])
    lt.submit({"x": 2}, routes=["a", "b"])
    claim(lt, "r_fenceReuse01", route="a")
    err = lt.api_error(claim, lt, "r_fenceReuse01", route="b")
    assert (err.status_code, err.code) == (409, "run_id_conflict")


@pytest.mark.slow
def test_expired_lease_is_charged_and_fenced(lt_short):
    lt = lt_short
    tid = lt.submit({"x": 1}, max_attempts=3).id
    old = claim(lt, "r_leaseOld0001")
    assert old.task.id == tid
    t = wait_until(lambda: (lambda t: t if t.status == "pending" else None)(lt.get(tid)), timeout=LEASE_SECONDS * 10,
                   desc="the lease to expire")
    assert (t.attempt, t.last_error.type, t.last_error.run_id, t.last_error.attempt) == (1, "HeartbeatTimeout",
                                                                                         old.run_id, 1)
    err = lt.api_error(lt.client._complete, task_id=tid, run_id=old.run_id, result={"late": True})
    assert (err.code, err.details.get("action")) == ("run_finalized", "heartbeat_expired")
    new = claim(lt, "r_leaseNew0001")
    assert (new.task.id, new.task.attempt) == (tid, 2)
    err = lt.api_error(lt.client._heartbeat, task_id=tid, run_id=old.run_id)
    assert err.code == "run_finalized"
    lt.client._complete(task_id=tid, run_id=new.run_id, result={"by": "new"})
    t = lt.get(tid)
    assert (t.status, t.result, t.last_error.type) == ("succeeded", {"by": "new"}, "HeartbeatTimeout")


@pytest.mark.slow
def test_heartbeats_keep_a_lease(lt_short):
    lt = lt_short
    tid = lt.submit({"x": 1}).id
    c = claim(lt, "r_leaseKeep001")
    deadline = time.time() + LEASE_SECONDS * 2.5
    while time.time() < deadline:
        lt.client._heartbeat(task_id=tid, run_id=c.run_id)
        time.sleep(LEASE_SECONDS / 4)
    assert lt.get(tid).status == "running"
    lt.client._complete(task_id=tid, run_id=c.run_id, result={})
    assert lt.get(tid).status == "succeeded"


@pytest.mark.slow
def test_expired_last_attempt_fails_the_task(lt_short):
    lt = lt_short
    tid = lt.submit({"x": 1}, max_attempts=1).id
    claim(lt, "r_leaseLast001")
    t = wait_until(lambda: (lambda t: t if t.status != "running" else None)(lt.get(tid)),
                   timeout=LEASE_SECONDS * 10, desc="the lease to expire")
    assert (t.status, t.attempt, t.last_error.type) == ("failed", 1, "HeartbeatTimeout")
