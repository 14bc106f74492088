#!/usr/bin/env python3
"""Capture, byte for byte, what the official labtasker 1.0.1 client sends for every route it uses and what a server
answers (source material of docs/wire-v1.md).

    .venv/bin/python tools/capture_wire.py [--server v1|ours|URL] [--normalize] [-o FILE]

It starts the server (v1: labtasker-server from the venv with PERIODIC_TASK_INTERVAL=0.5 and SSE_PING_INTERVAL=1;
ours: redis-server + node dist/http/main.js with the same environment), puts tools/wire_proxy.py in front of it,
runs a fixed script of real client actions (CLI subprocesses and Python API scripts, plus a few raw requests for
routes and errors the client cannot produce), and prints each step's HTTP exchanges. --normalize replaces ids,
times and lengths by placeholders so that two servers' transcripts can be diffed:

    tools/capture_wire.py --normalize -o /tmp/v1.txt
    tools/capture_wire.py --server ours --normalize -o /tmp/ours.txt
    diff /tmp/v1.txt /tmp/ours.txt
Loopback only.
"""

import argparse
import base64
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
COMPAT = HERE.parent
REPO = COMPAT.parent.parent
VENV_BIN = Path(sys.executable).parent
sys.path.insert(0, str(HERE))
import wire_proxy  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ok(url, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not answer")


class Capture:
    def __init__(self, server, out, normalize):
        self.tmp = Path(tempfile.mkdtemp(prefix="wire-capture-"))
        self.procs = []
        self.out = out
        self.normalize = normalize
        env = {k: v for k, v in os.environ.items() if not k.startswith("LABTASKER_")}
        env.update({"PERIODIC_TASK_INTERVAL": "0.5", "SSE_PING_INTERVAL": "1"})
        self.server_env = env
        if server == "v1":
            port = free_port()
            self._spawn([str(VENV_BIN / "labtasker-server"), "serve", "--host", "127.0.0.1", "--port", str(port),
                         "--db-path", str(self.tmp / "db.json")], "server.log")
            target = f"127.0.0.1:{port}"
        elif server == "ours":
            rport = free_port()
            self._spawn(["redis-server", "--port", str(rport), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                         "no", "--dir", str(self.tmp)], "redis.log")
            time.sleep(0.5)
            port = free_port()
            self._spawn(["node", str(REPO / "dist" / "http" / "main.js"), "serve", "--host", "127.0.0.1", "--port",
                         str(port), "--redis-url", f"redis://127.0.0.1:{rport}"], "server.log")
            target = f"127.0.0.1:{port}"
        else:
            target = server.split("//", 1)[-1].rstrip("/")
        wait_ok(f"http://{target}/health")
        self.log = self.tmp / "wire.jsonl"
        self.log.touch()
        pport = free_port()
        self._spawn([sys.executable, str(HERE / "wire_proxy.py"), "serve", "--listen", f"127.0.0.1:{pport}",
                     "--target", target, "--log", str(self.log)], "proxy.log")
        self.url = f"http://127.0.0.1:{pport}/"
        wait_ok(self.url + "health")
        self.offset = self.log.stat().st_size
        self.root = self.tmp / "root"
        self.root.mkdir()
        self.cwd = self.tmp / "work"
        self.cwd.mkdir()
        self.configure("wire-q", "wire-pw")
        self.ids = {}

    def _spawn(self, cmd, logname):
        self.procs.append(subprocess.Popen(cmd, stdout=open(self.tmp / logname, "wb"), stderr=subprocess.STDOUT,
                                           stdin=subprocess.DEVNULL, env=self.server_env, start_new_session=True,
                                           cwd=self.tmp))

    def close(self):
        for p in reversed(self.procs):
            try:
                os.killpg(p.pid, signal.SIGTERM)
                p.wait(timeout=10)
            except Exception:
                pass
        shutil.rmtree(self.tmp, ignore_errors=True)

    def configure(self, queue, password, heartbeat_interval=1.0):
        self.queue, self.password = queue, password
        (self.root / "client.toml").write_text(textwrap.dedent(f"""\
            version_check = false
            enable_traceback_filter = false
            [endpoint]
            api_base_url = "{self.url}"
            [queue]
            queue_name = "{queue}"
            password = "{password}"
            [task]
            heartbeat_interval = {heartbeat_interval}
            """))

    def env(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("LABTASKER_")}
        env.update({"LABTASKER_ROOT": str(self.root), "COLUMNS": "250", "PAGER": "cat",
                    "PATH": f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"})
        return env

    # -------------------------------------------------------------- actions
    def cli(self, *args, input=""):
        p = subprocess.run([str(VENV_BIN / "labtasker"), *args], input=input, capture_output=True, text=True,
                           env=self.env(), cwd=self.cwd, timeout=120)
        return p

    def py(self, code):
        p = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                           env=self.env(), cwd=self.cwd, timeout=120)
        if p.returncode != 0:
            print(p.stderr, file=sys.stderr)
        return p.stdout.strip()

    def raw(self):
        auth = base64.b64encode(f"{self.queue}:{self.password}".encode()).decode()
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Basic {auth}"}, timeout=30)

    # -------------------------------------------------------------- output
    def step(self, title, note=""):
        time.sleep(0.3)  # let the proxy flush the last bytes
        exchanges = wire_proxy.load_exchanges(self.log, since=self.offset)
        self.offset = self.log.stat().st_size
        self.out.write(f"\n## {title}\n")
        if note:
            self.out.write(note.strip() + "\n")
        for ex in exchanges:
            text = wire_proxy.format_exchange(ex)
            if self.normalize:
                text = normalize(text)
            self.out.write("\n```\n" + text + "\n```\n")
        self.out.flush()


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_DT = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?(\+00:00|Z)?")


def normalize(text):
    seen = {}

    def uid(m):
        return seen.setdefault(m.group(0), f"<id{len(seen) + 1}>")

    text = _UUID.sub(uid, text)
    text = _DT.sub("<time>", text)
    text = re.sub(r"(?i)(content-length: )\d+", r"\1<n>", text)
    text = re.sub(r"Basic [A-Za-z0-9+/=]+", "Basic <b64>", text)
    text = re.sub(r'"prev_polling":[0-9.e+-]+|"next_eta":[0-9.e+-]+', '"<polling>"', text)
    text = re.sub(r"\\r\\n[0-9a-f]+\\r\\n", r"\\r\\n<chunk>\\r\\n", text)
    return text


def script(c):
    S = c.step
    # ---- health & misc (the CLI checks /health/full before every command)
    with httpx.Client(base_url=c.url) as h:
        h.get("/")
        h.get("/health")
        h.get("/health/full")
        h.get("/api/v1/polling")
    S("GET / , /health, /health/full, /api/v1/polling (raw requests; the client uses only /health/full)")

    # ---- queues
    c.cli("queue", "create", "--queue-name", "wire-q", "--password", "wire-pw", "--metadata", "{'team': 'a'}")
    S("labtasker queue create --queue-name wire-q --password wire-pw --metadata \"{'team': 'a'}\"")
    c.cli("queue", "create-from-config")
    S("labtasker queue create-from-config (queue exists: 409)")
    with httpx.Client(base_url=c.url) as h:
        h.post("/api/v1/queues", json={"client_version": "1.0.1", "queue_name": "bad name", "password": ""})
    S("POST /api/v1/queues with an invalid name and an empty password (raw: the client validates first): 422")
    c.cli("queue", "get")
    S("labtasker queue get")
    c.cli("queue", "update", "--metadata", "{'n': 1}", "-q")
    S("labtasker queue update --metadata \"{'n': 1}\" -q")
    c.py("""
        import labtasker
        labtasker.update_queue(new_queue_name="wire-q2", new_password="pw2", metadata_update={})
        """)
    c.configure("wire-q2", "pw2")
    S("Python update_queue(new_queue_name='wire-q2', new_password='pw2', metadata_update={})")
    c.cli("queue", "update", "--new-queue-name", "wire-q2")
    S("labtasker queue update --new-queue-name <its own name> (v1: 400)")
    with httpx.Client(base_url=c.url) as h:
        h.get("/api/v1/queues/me")
        h.get("/api/v1/queues/me", headers={"Authorization": "Basic " + base64.b64encode(b"wire-q2:nope").decode()})
        h.get("/api/v1/queues/me", headers={"Authorization": "Bearer x"})
    S("Authentication failures (raw): no header, wrong password, not Basic")

    # ---- tasks
    c.cli("task", "submit", "--", "--lr=0.1", "--model", "vit", "--opt.beta", "3.0", "--big=9007199254740993")
    S("labtasker task submit -- --lr=0.1 --model vit --opt.beta 3.0 --big=9007199254740993")
    c.cli("task", "submit", "--task-name", "named", "--args", "{'a': 1}", "--metadata", "{'tags': ['v1']}",
          "--priority", "20", "--max-retries", "1", "--heartbeat-timeout", "2.5", "--task-timeout", "300",
          "--cmd", "python x.py")
    S("labtasker task submit --task-name named --args ... --metadata ... --priority 20 --max-retries 1 ...")
    c.py("""
        import labtasker
        labtasker.submit_task(args={"arg1": 0, "arg2": {"x": 3.0}})
        """)
    S("Python submit_task(args=...) (API defaults)")
    with c.raw() as h:
        h.post("/api/v1/queues/me/tasks", json={"client_version": "1.0.1", "args": {}, "cmd": None})
        h.post("/api/v1/queues/me/tasks", json={"client_version": "1.0.1", "args": {"bad key": 1}})
        h.post("/api/v1/queues/me/tasks", json={"client_version": "1.0.1", "args": {"a": 1, "a.b": 2}})
    S("POST /tasks errors (raw): no args/cmd, invalid key, conflicting dotted keys")
    c.cli("task", "ls", "--fmt", "jsonl", "--no-pager", "--no-ansi")
    S("labtasker task ls --fmt jsonl (default CLI sort; pages until found=false)")
    c.cli("task", "ls", "-q", "--limit", "2", "-s", "pending", "-f",
          "args.lr > 0.01 and created_at > date('2020-01-01 00:00 UTC')", "-S", "priority:desc")
    S("labtasker task ls -q --limit 2 -s pending -f \"args.lr > 0.01 and created_at > date(...)\" -S priority:desc",
      "Note the `{\"_dt\": ...}` datetime marker inside extra_filter.")
    c.cli("task", "ls", "-q", "-f", "regex(args.model, '^v') or '\"v1\" in list(metadata.tags)' == 'x' or "
          "'v1' in list(metadata.tags) or args.lr * 10 > priority")
    S("labtasker task ls -q -f (regex / list contains / arithmetic $expr)")
    c.cli("task", "ls", "-q", "-f", "{'args.model': 'vit'}")
    S("labtasker task ls -q -f \"{'args.model': 'vit'}\" (a dict filter is sent unchanged)")
    with c.raw() as h:
        h.post("/api/v1/queues/me/tasks/search", json={"client_version": "1.0.1", "limit": 1001})
    S("POST /tasks/search with limit 1001 (raw): 422")
    tid = c.py("""
        import labtasker
        print(labtasker.ls_tasks(task_name="named").content[0].task_id)
        """)
    c.ids["named"] = tid
    c.cli("task", "update", "--id", tid, "-u", "args.a=2", "-u", "priority=5", "-u", "metadata={'k': 'v'}", "-q")
    S("labtasker task update --id ID -u args.a=2 -u priority=5 -u metadata={'k': 'v'} -q",
      "The ls first (limit 1000), then PUT with reset_pending=false; `metadata` is listed in replace_fields.")
    c.cli("task", "update", "--id", tid, "--reset-pending", "-u", "task_name=renamed", "-q")
    S("labtasker task update --reset-pending -u task_name=renamed -q")
    c.cli("task", "update", "--id", tid, "-u", "status=success", "-q")
    S("labtasker task update -u status=success (pending -> success is invalid: 400)")
    c.cli("task", "ls", "-q", "-f", "args.lr > 0.01", "--limit", "1")
    ids = c.cli("task", "ls", "-q").stdout
    c.cli("task", "update", "-u", "metadata.batch=1", "-q", input=ids)
    S("ids piped into labtasker task update -u metadata.batch=1 -q (several ids become an _id $in filter)")
    c.py("""
        import labtasker
        from labtasker.api_models import TaskUpdateRequest
        t = labtasker.ls_tasks(task_name="renamed").content[0]
        labtasker.update_tasks([TaskUpdateRequest(task_id=t.task_id, replace_fields=["args"], args={"x.y": 1}),
                                TaskUpdateRequest(task_id=t.task_id, summary={"s": 1})], reset_pending=False)
        labtasker.update_tasks([])
        """)
    S("Python update_tasks([...replace_fields...]) and update_tasks([])")
    with c.raw() as h:
        h.put("/api/v1/queues/me/tasks", json=[{"task_id": tid, "priority": 7}])
        h.put("/api/v1/queues/me/tasks", params={"reset_pending": "false"},
              json=[{"task_id": "00000000-0000-0000-0000-000000000000", "priority": 1}])
        h.get(f"/api/v1/queues/me/tasks/{tid}")
        h.get("/api/v1/queues/me/tasks/00000000-0000-0000-0000-000000000000")
        h.get("/api/v1/queues/me/tasks/search")
    S("Raw: PUT /tasks without reset_pending (server default true), unknown id; GET /tasks/{id}; GET /tasks/search")

    # ---- workers
    wid = c.cli("worker", "create", "--name", "w1", "--metadata", "{'gpu': 1}", "--max-retries", "2",
                "-q").stdout.strip()
    S("labtasker worker create --name w1 --metadata \"{'gpu': 1}\" --max-retries 2 -q")
    c.cli("worker", "ls", "--fmt", "jsonl", "--no-pager", "--no-ansi", "-f", "metadata.gpu >= 1")
    S("labtasker worker ls --fmt jsonl -f 'metadata.gpu >= 1'")
    c.cli("worker", "report", wid, "suspended")
    c.cli("worker", "report", wid, "suspended")
    S("labtasker worker report ID suspended (twice: the 2nd is an invalid transition)")
    with c.raw() as h:
        h.post("/api/v1/queues/me/tasks/next", json={"client_version": "1.0.1", "worker_id": wid})
        h.post("/api/v1/queues/me/tasks/next",
               json={"client_version": "1.0.1", "worker_id": "00000000-0000-0000-0000-000000000000"})
        h.get(f"/api/v1/queues/me/workers/{wid}")
    S("Raw: fetch with a suspended worker (403), with an unknown worker (404); GET /workers/{id} (`_id`!)")
    c.cli("worker", "report", wid, "active")
    c.cli("worker", "report", wid, "crashed")
    S("labtasker worker report ID active, then ID crashed (v1 bug: always 400)")
    c.cli("worker", "delete", "-y", wid)
    c.cli("worker", "delete", "-y", wid)
    S("labtasker worker delete -y ID (twice: 404 the 2nd time)")

    # ---- loop: success and failure (no tty: the prompts take their defaults)
    c.py("""
        import labtasker
        for t in labtasker.ls_tasks().content:
            labtasker.delete_task(t.task_id)
        labtasker.submit_task(args={"m": "ok"}, priority=20)
        labtasker.submit_task(args={"m": "bad"}, max_retries=1)
        """)
    c.offset = c.log.stat().st_size
    c.cli("loop", "-c", "sleep 1.2; test %(m) = ok")
    S("labtasker loop -c 'sleep 1.2; test %(m) = ok' (one success, one failure; heartbeat_interval=1)",
      "worker create, fetch, heartbeats (`?worker_id=`), status success; then a failure report with the "
      "labtasker_exception summary; the final fetch finds nothing.")

    # ---- fencing, timeouts, heartbeats on non-running tasks
    out = c.py("""
        import labtasker
        from labtasker.client.core.exceptions import LabtaskerRuntimeError
        t = labtasker.submit_task(args={"f": 1}).task_id
        w1 = labtasker.create_worker(); w2 = labtasker.create_worker()
        labtasker.fetch_task(worker_id=w1, extra_filter={"_id": t})
        try:
            labtasker.report_task_status(t, "success", worker_id=w2)
        except LabtaskerRuntimeError:
            pass
        print(t, w1)
        """)
    t, w1 = out.split()
    S("Python: fetch with worker w1, report from w2 (409 fencing)")
    with c.raw() as h:
        h.post(f"/api/v1/queues/me/tasks/{t}/heartbeat", params={"worker_id": "00000000-0000-0000-0000-000000000000"})
        h.post(f"/api/v1/queues/me/tasks/{t}/status", json={"client_version": "1.0.1", "status": "cancelled"})
        h.post(f"/api/v1/queues/me/tasks/{t}/heartbeat", params={"worker_id": w1})
        h.post(f"/api/v1/queues/me/tasks/{t}/status", json={"client_version": "1.0.1", "status": "success"})
        h.post(f"/api/v1/queues/me/tasks/{t}/status", json={"client_version": "1.0.1", "status": "running"})
    S("Raw: heartbeat from the wrong worker (403); cancel; heartbeat after cancel (404); "
      "cancelled -> success (400); status 'running' (422)")
    c.py("""
        import time, labtasker
        t = labtasker.submit_task(args={"to": 1}).task_id
        labtasker.fetch_task(heartbeat_timeout=1, extra_filter={"_id": t})
        u = labtasker.submit_task(args={"to": 2}).task_id
        labtasker.fetch_task(eta_max="1", start_heartbeat=False, extra_filter={"_id": u})
        time.sleep(2.5)
        labtasker.ls_tasks(extra_filter={"args.to": {"$exists": True}})
        """)
    S("Python: heartbeat_timeout=1 / eta_max='1' without heartbeats; 2.5 s later both are pending again",
      "Note `task_timeout` in the eta_max fetch response.")

    # ---- events (SSE_PING_INTERVAL=1)
    c.py("""
        import time, labtasker
        lis = labtasker.connect_events()
        time.sleep(2.2)
        t = labtasker.submit_task(args={"e": 1}).task_id
        labtasker.report_task_status(t, "cancelled")
        time.sleep(1.0)
        """)
    S("Python connect_events(), 2.2 s idle (pings), a submit and a cancel",
      "The SSE response stays open; shown decoded and as raw bytes including the chunked framing.")

    # ---- deletes
    c.cli("task", "delete", "-y", t)
    c.cli("task", "delete", "-y", t)
    S("labtasker task delete -y ID (twice: 404 the 2nd time)")
    c.cli("queue", "delete", "--cascade", "-y")
    c.py("""
        import labtasker
        try:
            labtasker.delete_queue(cascade_delete=False)
        except Exception:
            pass
        """)
    S("labtasker queue delete --cascade -y; then Python delete_queue(cascade_delete=False) (401: queue gone)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", default="v1", help="v1, ours, or the URL of a running server")
    ap.add_argument("--normalize", action="store_true")
    ap.add_argument("-o", "--output")
    a = ap.parse_args()
    out = open(a.output, "w") if a.output else sys.stdout
    c = Capture(a.server, out, a.normalize)
    try:
        out.write(f"# wire capture: official labtasker 1.0.1 client against server={a.server}\n")
        script(c)
    finally:
        c.close()


if __name__ == "__main__":
    main()
