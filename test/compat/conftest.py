"""Compatibility suite: drives the REAL official labtasker 1.0.1 client (CLI and Python API) against a server.

Server under test (env COMPAT_SERVER):
  v1    (default) labtasker 1.0.1's own `labtasker-server serve` (embedded DB) from the venv.
  ours  redis-server + `node <repo>/dist/http/main.js serve --host ... --port ... --redis-url ...`.
Other env:
  COMPAT_SERVER_URL  use an already running server at this URL instead (nothing is started).
  COMPAT_WIRE_LOG    put tools/wire_proxy.py between the clients and the server and log every byte to this file
                     (`python tools/wire_proxy.py dump FILE` prints it as HTTP messages).
  COMPAT_KEEP_LOGS   keep the server's temp dir (logs, db) after the run and print where it is.

Every test gets its own queue and its own LABTASKER_ROOT (client.toml written here, non-interactively), so tests
share no state and need no reset endpoint. CLI commands run as subprocesses; Python API scenarios run as small
scripts with the venv's python. Server state is read back through the official client's own HTTP API functions
(`labtasker.client.core.api.*`, called in-process with an explicit httpx client for the test's queue).
"""

import atexit
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import uuid
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
VENV_BIN = Path(sys.executable).parent
LABTASKER = str(VENV_BIN / "labtasker")
PYTHON = sys.executable

from helpers import UUID_RE  # noqa: E402
from servers import free_port, spawn, start_ours, start_redis, stop, wait_http_ok  # noqa: E402

# Variables of the runner's environment that would leak a labtasker context into the clients under test.
_SCRUB_ENV = (
    "LABTASKER_ROOT",
    "LABTASKER_TASK_ID",
    "LABTASKER_WORKER_ID",
    "LABTASKER_LOG_DIR",
    "QUEUE_NAME",
    "PASSWORD",
    "VISUAL",
    "EDITOR",
    "PAGER",
    "LOG_LEVEL",
)


def _client_toml(url, queue_name, password, heartbeat_interval=5.0):
    # v1's client.toml format (contract 1.6). version_check=false: no PyPI lookups from the client under test.
    return textwrap.dedent(
        f"""\
        display_server_notifications_level = "medium"
        enable_traceback_filter = false
        version_check = false

        [endpoint]
        api_base_url = "{url}"

        [queue]
        queue_name = "{queue_name}"
        password = "{password}"

        [task]
        heartbeat_interval = {float(heartbeat_interval)}

        [cli_plugins]
        default = "all"
        include = []
        exclude = []
        """
    )


# The in-process copy of the official client (used to read state back) must never see a real config or run the
# PyPI version check at import: point it at a private root with version_check=false *before* importing labtasker.
_SELF_ROOT = Path(tempfile.mkdtemp(prefix="compat-self-root-"))
atexit.register(shutil.rmtree, _SELF_ROOT, ignore_errors=True)  # every process that imports this (xdist too)
(_SELF_ROOT / "client.toml").write_text(_client_toml("http://127.0.0.1:9/", "unused", "unused"))
for _k in _SCRUB_ENV:
    os.environ.pop(_k, None)
os.environ["LABTASKER_ROOT"] = str(_SELF_ROOT)

import httpx  # noqa: E402

import labtasker  # noqa: E402,F401
from labtasker.client.core import api as lt_api  # noqa: E402
from labtasker.security import get_auth_headers  # noqa: E402
from pydantic import SecretStr  # noqa: E402

assert labtasker.__version__ == "1.0.1", f"compat suite needs the labtasker 1.0.1 client, got {labtasker.__version__}"


# ----------------------------------------------------------------------------------------------- server process


class Server:
    def __init__(self, kind, url, workdir):
        self.kind = kind
        self.url = url  # base URL the clients use (ends with "/")
        self.workdir = workdir


@pytest.fixture(scope="session")
def server():
    kind = os.environ.get("COMPAT_SERVER", "v1").strip().lower() or "v1"
    workdir = Path(tempfile.mkdtemp(prefix=f"compat-server-{kind}-"))
    procs = []
    env = {k: v for k, v in os.environ.items() if k not in _SCRUB_ENV}
    # check timeouts quickly (v1's setting; our server is started with the same environment)
    env["PERIODIC_TASK_INTERVAL"] = "0.5"
    try:
        if os.environ.get("COMPAT_SERVER_URL"):
            kind = "external"
            url = os.environ["COMPAT_SERVER_URL"].rstrip("/") + "/"
            wait_http_ok(url + "health", None, os.devnull, timeout=10)
        elif kind == "v1":
            port = free_port()
            log = workdir / "server.log"
            procs.append(
                spawn(
                    [
                        str(VENV_BIN / "labtasker-server"),
                        "serve",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(port),
                        "--db-path",
                        str(workdir / "db.json"),
                    ],
                    log,
                    workdir,
                    env,
                )
            )
            url = f"http://127.0.0.1:{port}/"
            wait_http_ok(url + "health", procs[-1], log)
        elif kind == "ours":
            main_js = REPO / "dist" / "http" / "main.js"
            if not main_js.exists():
                pytest.exit(f"COMPAT_SERVER=ours needs {main_js}: build it first (npm run build)", returncode=3)
            redis, rport = start_redis(workdir, env)
            procs.append(redis)
            server, url = start_ours(f"redis://127.0.0.1:{rport}", workdir, env)
            procs.append(server)
        else:
            raise pytest.UsageError(f"COMPAT_SERVER must be v1 or ours, not {kind!r}")

        wire_log = os.environ.get("COMPAT_WIRE_LOG")
        if wire_log:
            pport = free_port()
            target = url.split("//", 1)[1].rstrip("/")
            procs.append(
                spawn(
                    [
                        PYTHON,
                        str(HERE / "tools" / "wire_proxy.py"),
                        "serve",
                        "--listen",
                        f"127.0.0.1:{pport}",
                        "--target",
                        target,
                        "--log",
                        str(Path(wire_log).resolve()),
                    ],
                    workdir / "proxy.log",
                    workdir,
                    env,
                )
            )
            url = f"http://127.0.0.1:{pport}/"
            wait_http_ok(url + "health", procs[-1], workdir / "proxy.log")

        yield Server(kind, url, workdir)
    finally:
        for p in reversed(procs):
            stop(p)
        if os.environ.get("COMPAT_KEEP_LOGS"):
            print(f"\ncompat: server logs kept in {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


# ----------------------------------------------------------------------------------------------- per-test client


class Result:
    def __init__(self, args, rc, out, err):
        self.args, self.rc, self.out, self.err = args, rc, out, err

    @property
    def uuids(self):
        return UUID_RE.findall(self.out)

    def __repr__(self):
        return f"<Result rc={self.rc} args={self.args!r}\n--- stdout\n{self.out}\n--- stderr\n{self.err[-6000:]}>"


class Api:
    """The official client's HTTP API functions, bound to one queue through an explicit httpx client."""

    def __init__(self, url, queue_name, password):
        self.http = httpx.Client(
            base_url=url,
            headers={**get_auth_headers(queue_name, SecretStr(password)), "Content-Type": "application/json"},
            timeout=30,
        )

    def __getattr__(self, name):
        fn = getattr(lt_api, name)

        def call(*args, **kwargs):
            return fn(*args, client=self.http, **kwargs)

        return call

    def all_tasks(self, **kwargs):
        out, offset = [], 0
        while True:
            resp = lt_api.ls_tasks(client=self.http, limit=1000, offset=offset, **kwargs)
            if not resp.found or not resp.content:
                return out
            out.extend(resp.content)
            offset += 1000

    def task(self, task_id):
        resp = lt_api.ls_tasks(client=self.http, task_id=task_id)
        assert resp.found and len(resp.content) == 1, f"task {task_id} not found"
        return resp.content[0]

    def worker(self, worker_id):
        resp = lt_api.ls_workers(client=self.http, worker_id=worker_id)
        assert resp.found and len(resp.content) == 1, f"worker {worker_id} not found"
        return resp.content[0]

    def close(self):
        self.http.close()


class LT:
    """One test's client side: a queue, a LABTASKER_ROOT with client.toml, a working directory."""

    def __init__(self, server, base, queue_name, password, heartbeat_interval=5.0):
        self.server = server
        self.url = server.url
        self.base = base
        self.root = base / "labtasker_root"
        self.cwd = base / "work"
        self.root.mkdir(parents=True, exist_ok=True)
        self.cwd.mkdir(parents=True, exist_ok=True)
        self.queue_name = queue_name
        self.password = password
        self.heartbeat_interval = heartbeat_interval
        self.api = None
        self._bg = []
        self.write_config()

    def write_config(self, queue_name=None, password=None, heartbeat_interval=None):
        if queue_name is not None:
            self.queue_name = queue_name
        if password is not None:
            self.password = password
        if heartbeat_interval is not None:
            self.heartbeat_interval = heartbeat_interval
        (self.root / "client.toml").write_text(
            _client_toml(self.url, self.queue_name, self.password, self.heartbeat_interval)
        )
        if self.api is not None:
            self.api.close()
        self.api = Api(self.url, self.queue_name, self.password)

    def env(self, extra=None):
        env = {k: v for k, v in os.environ.items() if k not in _SCRUB_ENV}
        env.update(
            {
                "LABTASKER_ROOT": str(self.root),
                "PATH": f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
                "COLUMNS": "250",  # rich wraps long lines at the terminal width (80 without a tty)
                "PAGER": "cat",
                "PYTHONUNBUFFERED": "1",
                "NO_COLOR": "1",
            }
        )
        if extra:
            env.update(extra)
        return env

    def cli(self, *args, input=None, timeout=60, env=None, check=None, cwd=None):
        """Run `labtasker ARGS...`; check=True asserts rc 0, check=False asserts rc != 0."""
        argv = [LABTASKER, *map(str, args)]
        p = subprocess.run(
            argv,
            input=input if input is not None else "",
            capture_output=True,
            text=True,
            timeout=timeout,
            env=self.env(env),
            cwd=str(cwd or self.cwd),
        )
        r = Result(argv[1:], p.returncode, p.stdout, p.stderr)
        if check is True:
            assert r.rc == 0, r
        elif check is False:
            assert r.rc != 0, r
        return r

    def cli_bg(self, *args, env=None, cwd=None):
        argv = [LABTASKER, *map(str, args)]
        out = open(self.base / f"bg{len(self._bg)}.out", "w+")
        err = open(self.base / f"bg{len(self._bg)}.err", "w+")
        p = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            text=True,
            env=self.env(env),
            cwd=str(cwd or self.cwd),
            start_new_session=True,
        )
        p.out_file, p.err_file = out, err
        self._bg.append(p)
        return p

    @staticmethod
    def bg_output(p):
        p.out_file.flush()
        p.err_file.flush()
        return Path(p.out_file.name).read_text(), Path(p.err_file.name).read_text()

    def py(self, code, timeout=90, env=None, check=True, name="scenario.py", args=()):
        """Run a Python scenario (fresh interpreter, fresh labtasker module state). The script's last stdout line
        starting with 'RESULT ' is decoded as JSON into .result."""
        path = self.cwd / name
        path.write_text(textwrap.dedent(code))
        argv = [PYTHON, str(path), *map(str, args)]
        p = subprocess.run(
            argv,
            input="",
            capture_output=True,
            text=True,
            timeout=timeout,
            env=self.env(env),
            cwd=str(self.cwd),
        )
        r = Result(argv, p.returncode, p.stdout, p.stderr)
        r.result = None
        for line in p.stdout.splitlines():
            if line.startswith("RESULT "):
                r.result = json.loads(line[len("RESULT ") :])
        if check:
            assert r.rc == 0, r
        return r

    def submit(self, **kwargs):
        return self.api.submit_task(**kwargs).task_id

    def close(self):
        # best effort: drop the test's queue (and its tasks and workers) so the server's data stays small
        try:
            self.api.delete_queue(cascade_delete=True)
        except Exception:
            pass
        for p in self._bg:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait(timeout=10)
            p.out_file.close()
            p.err_file.close()
        self.api.close()


def _queue_name_for(request):
    stem = re.sub(r"[^a-zA-Z0-9_-]", "_", request.node.name)[:50]
    return f"c_{stem}_{uuid.uuid4().hex[:8]}"


@pytest.fixture
def lt(server, tmp_path, request):
    """A fresh queue (created through the official client's API) and a client configured for it."""
    name = _queue_name_for(request)
    password = "pw-" + uuid.uuid4().hex[:12]
    c = LT(server, tmp_path / "lt", name, password)
    c.queue_id = c.api.create_queue(queue_name=name, password=password).queue_id
    yield c
    c.close()


@pytest.fixture
def lt_noqueue(server, tmp_path, request):
    """A client configured for a queue name that does not exist yet."""
    name = _queue_name_for(request)
    c = LT(server, tmp_path / "lt_noqueue", name, "pw-" + uuid.uuid4().hex[:12])
    yield c
    c.close()
