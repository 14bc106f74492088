"""Server processes for the Python suites (test/compat, test/conformance): free ports, a redis-server, our server,
waiting for them to answer, and stopping them. Each process runs in its own session, its output in a log file."""

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent.parent
MAIN_JS = REPO / "dist" / "http" / "main.js"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _log_tail(log_path):
    try:
        return Path(log_path).read_text(errors="replace")[-4000:]
    except OSError:
        return ""


def wait_http_ok(url, proc, log_path, timeout=60.0):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before answering {url}:\n{_log_tail(log_path)}")
        try:
            r = httpx.get(url, timeout=2)
            if r.status_code == 200:
                return
            last = f"HTTP {r.status_code}"
        except httpx.HTTPError as e:
            last = repr(e)
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer 200 within {timeout}s (last: {last}):\n{_log_tail(log_path)}")


def wait_redis(port, proc, log_path, timeout=20.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"redis-server exited with {proc.returncode}:\n{_log_tail(log_path)}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                if s.recv(64).startswith(b"+PONG"):
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError("redis-server did not answer PING")


def stop(proc):
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def spawn(cmd, log_path, cwd, env, **popen):
    """Starts `cmd` in its own session (so stop() ends its children too), stdout and stderr appended to log_path."""
    log = open(log_path, "ab")
    popen.setdefault("stdin", subprocess.DEVNULL)
    popen.setdefault("stdout", log)
    return subprocess.Popen(cmd, cwd=cwd, env=env, stderr=log, start_new_session=True, **popen)


def start_redis(workdir, env):
    """A redis-server on a free loopback port, without persistence, its files in workdir: (process, port)."""
    port = free_port()
    log = Path(workdir) / "redis.log"
    proc = spawn(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir",
         str(workdir)],
        log,
        workdir,
        env,
    )
    try:
        wait_redis(port, proc, log)
    except BaseException:
        stop(proc)
        raise
    return proc, port


def start_ours(redis_url, workdir, env):
    """Our server (dist/http/main.js, built) on a free loopback port, on redis_url: (process, base URL ending in /)."""
    if not MAIN_JS.exists():
        raise RuntimeError(f"{MAIN_JS} is missing: build it first (npm run build)")
    port = free_port()
    log = Path(workdir) / "server.log"
    proc = spawn(
        ["node", str(MAIN_JS), "serve", "--host", "127.0.0.1", "--port", str(port), "--redis-url", redis_url],
        log,
        workdir,
        env,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_http_ok(url + "health", proc, log)
    except BaseException:
        stop(proc)
        raise
    return proc, url
