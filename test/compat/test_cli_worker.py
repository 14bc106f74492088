"""`labtasker worker create|ls|report|delete` through the official CLI."""

import warnings

import pytest
import yaml

from helpers import UUID_RE, parse_json_stream

WORKER_KEYS = {"worker_id", "queue_id", "status", "worker_name", "metadata", "retries", "max_retries", "created_at",
               "last_modified"}


def test_worker_create_and_ls(lt):
    r = lt.cli("worker", "create", "--name", "gpu-1", "--metadata", "{'gpu': 'a100', 'n': 2}", "--max-retries", "5",
               "-q", check=True)
    w1 = r.out.strip()
    assert UUID_RE.fullmatch(w1), r
    r = lt.cli("worker", "create", check=True)
    assert "Worker created with ID:" in r.out
    w2 = r.uuids[0]

    w = lt.api.worker(w1)
    assert (w.worker_name, w.metadata, w.max_retries, w.retries, w.status) == ("gpu-1", {"gpu": "a100", "n": 2}, 5,
                                                                                0, "active")
    assert w.queue_id == lt.queue_id
    w = lt.api.worker(w2)
    assert (w.worker_name, w.metadata, w.max_retries) == (None, {}, 3)

    assert set(lt.cli("worker", "ls", "-q", check=True).out.split()) == {w1, w2}
    assert lt.cli("worker", "ls", "-q", "--name", "gpu-1", check=True).out.split() == [w1]
    assert lt.cli("worker", "ls", "-q", "--id", w2, check=True).out.split() == [w2]
    assert lt.cli("worker", "ls", "-q", "-f", "metadata.gpu == 'a100'", check=True).out.split() == [w1]
    assert lt.cli("worker", "ls", "-q", "-f", "{'max_retries': {'$lt': 4}}", check=True).out.split() == [w2]

    r = lt.cli("worker", "ls", "--fmt", "jsonl", "--no-ansi", "--no-pager", "--id", w1, check=True)
    items = parse_json_stream(r.out)
    assert len(items) == 1 and set(items[0]) == WORKER_KEYS
    assert items[0]["worker_id"] == w1 and items[0]["metadata"] == {"gpu": "a100", "n": 2}

    r = lt.cli("worker", "ls", "--no-ansi", "--no-pager", check=True)
    items = yaml.safe_load(r.out)
    assert {i["worker_id"] for i in items} == {w1, w2}
    assert all(set(i) == WORKER_KEYS for i in items)


def test_worker_report_status(lt):
    wid = lt.cli("worker", "create", "-q", check=True).out.strip()
    r = lt.cli("worker", "report", wid, "suspended", check=True)
    assert f"Worker {wid} status updated to suspended." in r.out
    assert lt.api.worker(wid).status == "suspended"
    assert lt.cli("worker", "ls", "-q", "-s", "suspended", check=True).out.split() == [wid]
    assert lt.cli("worker", "ls", "-q", "-s", "active", check=True).out.split() == []

    # suspended -> suspended is not a valid transition
    r = lt.cli("worker", "report", wid, "suspended", check=False)
    assert r.rc != 0
    assert "InvalidStateTransition" in r.err
    assert lt.api.worker(wid).status == "suspended"

    r = lt.cli("worker", "report", wid, "active", check=True)
    assert f"Worker {wid} status updated to active." in r.out
    assert lt.api.worker(wid).status == "active"


def test_worker_report_crashed(lt):
    # v1's server has no branch for a reported "crashed" and answers 400 "Invalid report_status: crashed" although
    # its CLI offers the value (contract 10.3.1); labtasker-redis keeps that answer (docs/compat.md): a worker is
    # crashed by its failures, not by a report.
    wid = lt.cli("worker", "create", "-q", check=True).out.strip()
    r = lt.cli("worker", "report", wid, "crashed", check=False)
    assert r.rc != 0
    assert "Invalid report_status: crashed" in r.err
    assert lt.api.worker(wid).status == "active"


def test_worker_delete(lt):
    w1 = lt.cli("worker", "create", "-q", check=True).out.strip()
    w2 = lt.cli("worker", "create", "-q", check=True).out.strip()
    # a task that ran on w1 keeps pointing at it while running; delete cascades worker_id := null
    tid = lt.submit(args={"x": 1})
    assert lt.api.fetch_task(worker_id=w1).task.task_id == tid
    assert lt.api.task(tid).worker_id == w1

    r = lt.cli("worker", "delete", "-y", w1, check=True)
    assert f"Worker {w1} deleted." in r.out
    assert lt.cli("worker", "ls", "-q", check=True).out.split() == [w2]
    t = lt.api.task(tid)
    assert t.worker_id is None and t.status == "running"

    r = lt.cli("worker", "delete", "-y", w1, check=False)
    assert r.rc != 0
    assert "Worker not found" in r.err


def test_worker_delete_from_pipe(lt):
    ids = [lt.cli("worker", "create", "-q", check=True).out.strip() for _ in range(2)]
    r = lt.cli("worker", "delete", "-y", input="\n".join(ids) + "\n", check=True)
    assert all(f"Worker {w} deleted." in r.out for w in ids)
    assert lt.cli("worker", "ls", "-q", check=True).out.strip() == ""


def test_worker_with_telemetry_reads_as_v1(lt):
    """Our server's telemetry extension (a GPU pool's samples) never shows to, or breaks, the official client."""
    if lt.server.kind != "ours":
        pytest.skip("the telemetry extension is our server's")
    w = lt.cli("worker", "create", "--name", "box-gpu0", "-q", check=True).out.strip()
    r = lt.api.http.put(f"/api/v1/queues/me/workers/{w}/telemetry",
                        json={"client_version": "1.0.1", "data": {"gpu": {"index": 0, "utilization_pct": 87}}})
    assert r.status_code == 204, r.text
    # Only a client that asks gets the key (ours does); the official client, which would warn about it, never.
    with_key = lt.api.http.get(f"/api/v1/queues/me/workers/{w}", params={"include": "telemetry"}).json()
    assert with_key["telemetry"]["data"] == {"gpu": {"index": 0, "utilization_pct": 87}}
    assert "telemetry" not in lt.api.http.get(f"/api/v1/queues/me/workers/{w}").json()

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Unknown fields provided to Worker" would fail the test
        worker = lt.api.worker(w)
        assert (worker.worker_name, worker.status) == ("box-gpu0", "active")
        lt.api.report_worker_status(worker_id=w, status="suspended")
        assert lt.api.worker(w).status == "suspended"
    r = lt.cli("worker", "ls", "--fmt", "jsonl", "--no-ansi", "--no-pager", "--id", w, check=True)
    items = parse_json_stream(r.out)
    assert len(items) == 1 and set(items[0]) == WORKER_KEYS
    assert "Unknown fields" not in r.err
    r = lt.cli("worker", "ls", "--no-ansi", "--no-pager", check=True)
    assert [i["worker_id"] for i in yaml.safe_load(r.out)] == [w]
