"""Raw HTTP checks of the parts of v1's wire format that the official client relies on (status codes, error
bodies it parses or prints, response shapes, the SSE handshake). Details of each exchange: docs/wire-v1.md."""

import base64
import json
import uuid
from datetime import datetime

import httpx
import pytest

from helpers import UUID_RE

TASK_KEYS = {
    "task_id", "queue_id", "status", "task_name", "created_at", "start_time", "last_heartbeat", "last_modified",
    "heartbeat_timeout", "task_timeout", "max_retries", "retries", "priority", "metadata", "args", "cmd", "summary",
    "worker_id",
}
WORKER_KEYS = {"worker_id", "queue_id", "status", "worker_name", "metadata", "retries", "max_retries", "created_at",
               "last_modified"}
CV = {"client_version": "1.0.1"}


def basic(user, password):
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@pytest.fixture
def http(lt):
    with httpx.Client(base_url=lt.url, headers=basic(lt.queue_name, lt.password), timeout=30) as c:
        yield c


def submit(http, **body):
    r = http.post("/api/v1/queues/me/tasks", json={**CV, **body})
    assert r.status_code == 201, r.text
    return r.json()["task_id"]


def test_health(server):
    r = httpx.get(server.url + "health")
    # v1's {"connection": "ok"}; our server adds v2's fields to the same body (docs/compat.md), which v1's client,
    # reading /health/full, never sees.
    assert r.status_code == 200 and r.json()["connection"] == "ok"
    r = httpx.get(server.url + "health/full")
    assert r.status_code == 200 and r.json() == {"status": "healthy", "database": "connected"}


def test_auth_errors(lt):
    url = lt.url + "api/v1/queues/me"
    r = httpx.get(url)
    assert r.status_code == 401 and r.json() == {"detail": "Not authenticated"}
    assert r.headers["www-authenticate"] == "Basic"
    for headers in (basic(lt.queue_name, "wrong"), basic("no-such-queue", lt.password)):
        r = httpx.get(url, headers=headers)
        assert r.status_code == 401 and r.json() == {"detail": "Invalid credentials"}
        assert r.headers["www-authenticate"] == "Basic"
    # the queue id works as the user name too
    r = httpx.get(url, headers=basic(lt.queue_id, lt.password))
    assert r.status_code == 200 and r.json()["queue_name"] == lt.queue_name


def test_queue_routes(server):
    name = f"wire_{uuid.uuid4().hex[:10]}"
    r = httpx.post(server.url + "api/v1/queues", json={**CV, "queue_name": name, "password": "p", "metadata": None})
    assert r.status_code == 201
    body = r.json()
    assert set(body) == {"queue_id", "notification"} and body["notification"] is None
    qid = body["queue_id"]
    assert UUID_RE.fullmatch(qid)

    r = httpx.post(server.url + "api/v1/queues", json={**CV, "queue_name": name, "password": "other"})
    assert r.status_code == 409 and r.json() == {"detail": f"Queue '{name}' already exists"}

    r = httpx.post(server.url + "api/v1/queues", json={**CV, "queue_name": "bad name", "password": "p"})
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert isinstance(detail, list) and detail[0]["loc"] == ["body", "queue_name"]
    assert {"type", "loc", "msg"} <= set(detail[0])

    auth = basic(name, "p")
    r = httpx.get(server.url + "api/v1/queues/me", headers=auth)
    assert r.status_code == 200
    q = r.json()
    assert set(q) == {"queue_id", "queue_name", "created_at", "last_modified", "metadata", "notification"}
    assert (q["queue_id"], q["queue_name"], q["metadata"], q["notification"]) == (qid, name, {}, None)
    datetime.fromisoformat(q["created_at"])

    r = httpx.put(server.url + "api/v1/queues/me", headers=auth, json={**CV, "metadata_update": {"k": [1, 2.0]}})
    assert r.status_code == 200 and r.json()["metadata"] == {"k": [1, 2.0]}
    assert "2.0" in r.text

    r = httpx.delete(server.url + "api/v1/queues/me", headers=auth)
    assert r.status_code == 204 and r.content == b""
    r = httpx.get(server.url + "api/v1/queues/me", headers=auth)
    assert r.status_code == 401


def test_task_routes(lt, http):
    r = http.post("/api/v1/queues/me/tasks", json={**CV, "args": {"lr": 3.0, "a.b": 1}, "unknown_field": 1})
    assert r.status_code == 201
    assert set(r.json()) == {"task_id", "notification"} and r.json()["notification"] is None
    tid = r.json()["task_id"]

    r = http.get(f"/api/v1/queues/me/tasks/{tid}")
    assert r.status_code == 200
    t = r.json()
    assert TASK_KEYS <= set(t)
    assert t["task_id"] == tid and t["args"] == {"lr": 3.0, "a": {"b": 1}} and '"lr":3.0' in r.text.replace(" ", "")
    assert (t["status"], t["priority"], t["max_retries"], t["retries"]) == ("pending", 10, 3, 0)
    r = http.get(f"/api/v1/queues/me/tasks/{uuid.uuid4()}")
    assert r.status_code == 404 and r.json() == {"detail": "Task not found"}

    r = http.post("/api/v1/queues/me/tasks", json={**CV, "args": {}, "cmd": None})
    assert r.status_code == 400 and "args or cmd" in r.json()["detail"]
    r = http.post("/api/v1/queues/me/tasks", json={**CV, "args": {"bad key": 1}})
    assert r.status_code == 422 and isinstance(r.json()["detail"], list)

    r = http.post("/api/v1/queues/me/tasks/search", json={**CV, "task_id": tid})
    assert r.status_code == 200
    body = r.json()
    assert body["found"] is True and body["notification"] is None and [x["task_id"] for x in body["content"]] == [tid]
    r = http.post("/api/v1/queues/me/tasks/search", json={**CV, "status": "failed"})
    assert r.status_code == 200 and r.json() == {"found": False, "content": [], "notification": None}
    r = http.post("/api/v1/queues/me/tasks/search", json={**CV, "limit": 1001})
    assert r.status_code == 422

    # fetch / heartbeat / status
    r = http.post("/api/v1/queues/me/tasks/next", json={**CV, "required_fields": ["nope"]})
    assert r.status_code == 200 and r.json() == {"found": False, "task": None, "notification": None}
    r = http.post("/api/v1/queues/me/tasks/next", json={**CV, "heartbeat_timeout": 30})
    assert r.status_code == 200
    t = r.json()["task"]
    assert r.json()["found"] is True and t["task_id"] == tid and t["status"] == "running"
    assert t["heartbeat_timeout"] == 30.0 and t["start_time"] is not None

    r = http.post(f"/api/v1/queues/me/tasks/{tid}/heartbeat", params={"worker_id": ""})
    assert r.status_code == 204 and r.content == b""
    r = http.post(f"/api/v1/queues/me/tasks/{tid}/status", json={**CV, "status": "success", "summary": {"x": 1}})
    assert r.status_code == 200 and r.json() is None
    r = http.post(f"/api/v1/queues/me/tasks/{tid}/heartbeat")
    assert r.status_code == 404  # not running any more
    # (v1 answers 422 to status "running"; ours accepts it as a summary-only update: docs/compat.md)
    r = http.post(f"/api/v1/queues/me/tasks/{uuid.uuid4()}/status", json={**CV, "status": "success"})
    assert r.status_code == 404

    # update: the server's default is reset_pending=true (the Python client always sends it explicitly)
    r = http.put("/api/v1/queues/me/tasks", json=[{"task_id": tid, "priority": 3}])
    assert r.status_code == 200
    body = r.json()
    assert body["found"] is True and body["content"][0]["status"] == "pending" and body["content"][0]["priority"] == 3
    r = http.put("/api/v1/queues/me/tasks", params={"reset_pending": "false"},
                 json=[{"_id": tid, "metadata": {"m": 1}}])
    assert r.status_code == 200 and r.json()["content"][0]["metadata"] == {"m": 1}
    r = http.put("/api/v1/queues/me/tasks", params={"reset_pending": "false"}, json=[{"task_id": str(uuid.uuid4())}])
    assert r.status_code == 400 and "Failed to update" in r.json()["detail"]

    r = http.delete(f"/api/v1/queues/me/tasks/{tid}")
    assert r.status_code == 204 and r.content == b""
    r = http.delete(f"/api/v1/queues/me/tasks/{tid}")
    assert r.status_code == 404 and r.json() == {"detail": "Task not found"}


def test_worker_routes(lt, http):
    r = http.post("/api/v1/queues/me/workers", json={**CV, "worker_name": "w", "metadata": {"g": 1}, "max_retries": 2})
    assert r.status_code == 201 and set(r.json()) == {"worker_id", "notification"}
    wid = r.json()["worker_id"]

    r = http.post("/api/v1/queues/me/workers/search", json={**CV, "worker_id": wid})
    assert r.status_code == 200
    (w,) = r.json()["content"]
    assert set(w) >= WORKER_KEYS and (w["worker_id"], w["status"], w["max_retries"]) == (wid, "active", 2)

    # GET /workers/{id} is the one route that answers with "_id" (the client has no function for it)
    r = http.get(f"/api/v1/queues/me/workers/{wid}")
    assert r.status_code == 200 and r.json()["_id"] == wid and r.json()["worker_name"] == "w"

    r = http.post(f"/api/v1/queues/me/workers/{wid}/status", json={**CV, "status": "suspended"})
    assert r.status_code == 200 and r.json() is None
    r = http.post(f"/api/v1/queues/me/workers/{wid}/status", json={**CV, "status": "suspended"})
    assert r.status_code == 400 and "InvalidStateTransition" in r.text

    # a non-active worker may not fetch: 403 (the client turns it into WorkerSuspended)
    submit(http, args={"x": 1})
    r = http.post("/api/v1/queues/me/tasks/next", json={**CV, "worker_id": wid})
    assert r.status_code == 403
    r = http.post("/api/v1/queues/me/tasks/next", json={**CV, "worker_id": str(uuid.uuid4())})
    assert r.status_code == 404

    r = http.delete(f"/api/v1/queues/me/workers/{wid}")
    assert r.status_code == 204 and r.content == b""
    r = http.delete(f"/api/v1/queues/me/workers/{wid}")
    assert r.status_code == 404 and r.json() == {"detail": "Worker not found"}
    r = http.post(f"/api/v1/queues/me/workers/{wid}/status", json={**CV, "status": "active"})
    assert r.status_code == 404


def _sse_events(lines):
    """Minimal SSE parser over an iterator of lines (any line ending): yields dicts of field -> value."""
    ev = {}
    for line in lines:
        line = line.rstrip("\r\n")
        if line == "":
            if ev:
                yield ev
            ev = {}
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        ev[field] = value[1:] if value.startswith(" ") else value


def test_sse_stream(lt, http):
    with http.stream("GET", "/api/v1/queues/me/events", headers={"Accept": "text/event-stream"}) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        events = _sse_events(r.iter_lines())
        first = next(events)
        assert first["event"] == "connection" and first.get("retry") == "3000"
        data = json.loads(first["data"])
        assert data["status"] == "connected" and UUID_RE.fullmatch(data["client_id"])

        tid = submit(http, args={"x": 1})
        ev = next(e for e in events if e.get("event") == "event")
        payload = json.loads(ev["data"])
        assert isinstance(payload["sequence"], int)
        datetime.fromisoformat(payload["timestamp"])
        e = payload["event"]
        assert (e["type"], e["queue_id"], e["entity_type"], e["entity_id"], e["old_state"], e["new_state"]) == (
            "state_transition", lt.queue_id, "task", tid, "created", "pending")
        assert e["entity_data"]["_id"] == tid and e["entity_data"]["args"] == {"x": 1}
        assert e["metadata"] == {}
