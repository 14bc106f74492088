"""What the client relies on at the HTTP level: /health, the error envelope and its codes, the server-wide bearer
token, the version header. Raw requests go through httpx (the client's own HTTP library)."""

import httpx

from conftest import TOKEN
from helpers import envelope


def test_health_answers_v2(server):
    r = httpx.get(server.url + "/health")
    assert r.status_code == 200
    body = r.json()
    assert (body["status"], body["api_version"], body["database"]) == ("ok", "2", "ok")  # extra keys are allowed


def test_error_envelope_and_codes(lt):
    base = f"{lt.url}/api/v2/queues/{lt.queue}"
    r = httpx.get(f"{base}/tasks/t_missingTask1")
    assert r.status_code == 404
    assert r.json() == {"error": {"code": "task_not_found", "message": r.json()["error"]["message"],
                                  "details": {"queue": lt.queue, "task_id": "t_missingTask1"}}}
    r = httpx.put(f"{base}/tasks/t_wireTask0001", json={"args": {}, "cmd": "echo hi"})
    assert (r.status_code, r.json()["error"]["code"]) == (422, "invalid_task")  # v1's cmd is an unknown field
    r = httpx.put(f"{base}/tasks/bad-id", json={"args": {}})
    assert (r.status_code, r.json()["error"]["code"]) == (422, "invalid_task_id")
    r = httpx.get(f"{lt.url}/api/v2/queues/no-such-queue-{lt.queue}/tasks")
    assert (r.status_code, r.json()["error"]["code"]) == (404, "queue_not_found")
    r = httpx.get(f"{base}/tasks", params={"filter": "args.x == "})
    assert (r.status_code, r.json()["error"]["code"]) == (422, "invalid_filter")
    r = httpx.put(f"{base}/tasks/t_wireTask0002", content=b"x" * (1024 * 1024 + 1),
                  headers={"Content-Type": "application/json"})
    assert (r.status_code, r.json()["error"]["code"]) == (413, "request_too_large")
    r = httpx.get(f"{lt.url}/api/v2/queues")
    assert r.headers.get("Labtasker-Server-Version")  # sent to authorised callers (all, without a token)


def test_token_server_requires_the_bearer_token(lt_token):
    lt = lt_token
    tid = lt.submit({"x": 1}).id  # the in-process client sends the token
    assert lt.cli_json("task", "get", tid)["id"] == tid  # so does the CLI, from LABTASKER_TOKEN
    err = envelope(lt.cli("task", "get", tid, env={"LABTASKER_TOKEN": None}))
    assert err["code"] == "unauthorized"
    err = envelope(lt.cli("task", "get", tid, env={"LABTASKER_TOKEN": TOKEN + "x"}))
    assert err["code"] == "unauthorized"
    assert httpx.get(lt.url + "/health").status_code == 200  # no token needed
    r = httpx.get(lt.url + "/health", headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 200  # a token on /health is not refused either
    r = httpx.get(f"{lt.url}/api/v2/queues")
    assert r.status_code == 401 and "Labtasker-Server-Version" not in r.headers
    r = httpx.get(f"{lt.url}/api/v2/queues", headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 200 and r.headers.get("Labtasker-Server-Version")
