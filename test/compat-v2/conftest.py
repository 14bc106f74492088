"""Compatibility suite v2: drives the REAL official labtasker 2.8.0 client (CLI and Python API) against a server.

Server under test (env COMPAT_SERVER):
  ours  (default) redis-server + `node <repo>/dist/http/main.js serve --host ... --port ... --redis-url ...`.
  v2    labtasker 2.8.0's own `labtasker-server serve --connection http` on a temp SQLite file (the reference).
Other env:
  COMPAT_SERVER_URL  use an already running server at this URL instead (nothing is started; no short-lease or
                     token server either: the tests that need one are skipped).
  COMPAT_KEEP_LOGS   keep the servers' temp dirs (logs, databases) after the run and print where they are.
  COMPAT_V1_PYTHON   the python of a venv with labtasker 1.0.1, for the mixed tests (default test/compat/.venv).

Every test gets its own queue and its own LABTASKER_ROOT (the client's run journals), and reaches the server through
the client's environment (LABTASKER_URL, LABTASKER_QUEUE, LABTASKER_ROOT, LABTASKER_TOKEN), so tests share no state.
CLI commands run as subprocesses; Python API scenarios as small scripts in a fresh interpreter; server state is read
back with the official client's own `labtasker.Client`, in process.

Besides the main server, two more are started on first use, once per session: one whose lease is
LEASE_SECONDS (env LABTASKER_V2_LEASE_SECONDS; the reference gets it through tools/serve_reference.py), and one that
requires the bearer token TOKEN (env LABTASKER_SERVER_TOKEN).
"""

import atexit
import importlib.util
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
LEASE_SECONDS = 3.0
TOKEN = "compat-v2-token-" + uuid.uuid4().hex[:8]
TASK_ID_RE = re.compile(r"^t_[A-Za-z0-9_-]{12}$")
RUN_ID_RE = re.compile(r"^r_[A-Za-z0-9_-]{12}$")
V1_PYTHON = Path(os.environ.get("COMPAT_V1_PYTHON") or REPO / "test" / "compat" / ".venv" / "bin" / "python")

# The process helpers are the v1 suite's (free ports, redis-server, our server, waiting, stopping).
_spec = importlib.util.spec_from_file_location("compat_servers", REPO / "test" / "compat" / "servers.py")
servers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(servers)

# Variables of the runner's environment that would leak a labtasker context into the clients or servers under test.
_SCRUB_PREFIXES = ("LABTASKER_",)
_SCRUB_ENV = ("QUEUE_NAME", "PASSWORD", "REDIS_URL", "API_PORT", "API_HOST", "PERIODIC_TASK_INTERVAL", "WORLD_SIZE",
              "RANK", "LOCAL_RANK", "NODE_OPTIONS")


def clean_env():
    env = {k: v for k, v in os.environ.items() if not k.startswith(_SCRUB_PREFIXES) and k not in _SCRUB_ENV}
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    return env


for _k in [k for k in os.environ if k.startswith(_SCRUB_PREFIXES)]:
    os.environ.pop(_k)
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"

import labtasker  # noqa: E402
from labtasker import APIError, Client  # noqa: E402

assert labtasker.__version__ == "2.8.0", f"compat-v2 needs the labtasker 2.8.0 client, got {labtasker.__version__}"

# A private root for the in-process client (it never writes there: it only reads config.toml, which is absent).
_SELF_ROOT = Path(tempfile.mkdtemp(prefix="compat-v2-self-root-"))
atexit.register(shutil.rmtree, _SELF_ROOT, ignore_errors=True)


# ----------------------------------------------------------------------------------------------- server processes


class Server:
    def __init__(self, kind, url, workdir, token=None, lease_seconds=None):
        self.kind = kind  # "ours", "v2" or "external"
        self.url = url  # base URL, no trailing slash (the client's LABTASKER_URL form)
        self.workdir = workdir
        self.token = token
        self.lease_seconds = lease_seconds

    @property
    def is_ours(self):
        return self.kind == "ours"


def _server_kind():
    kind = os.environ.get("COMPAT_SERVER", "ours").strip().lower() or "ours"
    if kind not in ("ours", "v2"):
        raise pytest.UsageError(f"COMPAT_SERVER must be ours or v2, not {kind!r}")
    return kind


def _start(kind, label, token=None, lease_seconds=None):
    """Starts the server of `kind` in a temp dir: (Server, [processes])."""
    workdir = Path(tempfile.mkdtemp(prefix=f"compat-v2-{kind}-{label}-"))
    env = clean_env()
    env["PERIODIC_TASK_INTERVAL"] = "0.5"  # v1's sweep, for the mixed tests' v1 heartbeat timeouts
    if token is not None:
        env["LABTASKER_SERVER_TOKEN"] = token
    if lease_seconds is not None:
        env["LABTASKER_V2_LEASE_SECONDS"] = str(lease_seconds)
    procs = []
    try:
        if kind == "v2":
            port = servers.free_port()
            log = workdir / "server.log"
            procs.append(servers.spawn(
                [PYTHON, str(HERE / "tools" / "serve_reference.py"), "serve", "--connection", "http", "--host",
                 "127.0.0.1", "--port", str(port), "--database", str(workdir / "server.db")],
                log, workdir, env))
            url = f"http://127.0.0.1:{port}"
            servers.wait_http_ok(url + "/health", procs[-1], log)
        else:
            if not servers.MAIN_JS.exists():
                pytest.exit(f"COMPAT_SERVER=ours needs {servers.MAIN_JS}: build it first (npm run build)", returncode=3)
            redis, rport = servers.start_redis(workdir, env)
            procs.append(redis)
            proc, url = servers.start_ours(f"redis://127.0.0.1:{rport}", workdir, env)
            procs.append(proc)
            url = url.rstrip("/")
    except BaseException:
        for p in reversed(procs):
            servers.stop(p)
        raise
    return Server(kind, url, workdir, token, lease_seconds), procs


class _Servers:
    """Servers started on first use and stopped at the end of the session."""

    def __init__(self):
        self.started = {}
        self.procs = []

    def get(self, label, **kwargs):
        if label not in self.started:
            server, procs = _start(_server_kind(), label, **kwargs)
            self.procs.extend(procs)
            self.started[label] = server
        return self.started[label]

    def stop(self):
        for p in reversed(self.procs):
            servers.stop(p)
        for server in self.started.values():
            if os.environ.get("COMPAT_KEEP_LOGS"):
                print(f"\ncompat-v2: server logs kept in {server.workdir}", file=sys.stderr)
            else:
                shutil.rmtree(server.workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def _servers():
    s = _Servers()
    yield s
    s.stop()


@pytest.fixture(scope="session")
def server(_servers):
    external = os.environ.get("COMPAT_SERVER_URL")
    if external:
        url = external.rstrip("/")
        servers.wait_http_ok(url + "/health", None, os.devnull, timeout=10)
        return Server("external", url, None)
    return _servers.get("main")


@pytest.fixture(scope="session")
def short_lease_server(_servers):
    if os.environ.get("COMPAT_SERVER_URL"):
        pytest.skip("needs a server started with LABTASKER_V2_LEASE_SECONDS (not with COMPAT_SERVER_URL)")
    return _servers.get("short-lease", lease_seconds=LEASE_SECONDS)


@pytest.fixture(scope="session")
def token_server(_servers):
    if os.environ.get("COMPAT_SERVER_URL"):
        pytest.skip("needs a server started with LABTASKER_SERVER_TOKEN (not with COMPAT_SERVER_URL)")
    return _servers.get("token", token=TOKEN)


# ----------------------------------------------------------------------------------------------- per-test client


class Result:
    def __init__(self, args, rc, out, err):
        self.args, self.rc, self.out, self.err = args, rc, out, err
        self.result = None

    @property
    def json(self):
        return json.loads(self.out)

    def __repr__(self):
        return f"<Result rc={self.rc} args={self.args!r}\n--- stdout\n{self.out[-6000:]}\n--- stderr\n{self.err[-6000:]}>"


PRELUDE = """\
import json, os, sys, time
import labtasker
from labtasker import APIError, Client, FatalWorkerError, TaskArg, TransientError

def result(obj):
    print("RESULT " + json.dumps(obj), flush=True)

"""


class LT:
    """One test's client side: a queue, a LABTASKER_ROOT, a working directory, and an in-process Client."""

    def __init__(self, server, base, queue):
        self.server = server
        self.url = server.url
        self.base = base
        self.root = base / "labtasker_root"
        self.cwd = base / "work"
        self.root.mkdir(parents=True, exist_ok=True)
        self.cwd.mkdir(parents=True, exist_ok=True)
        self.queue = queue
        self.client = Client(url=self.url, queue=queue, token=server.token, labtasker_root=_SELF_ROOT)
        self._bg = []

    def env(self, extra=None):
        env = clean_env()
        env.update({
            "LABTASKER_URL": self.url,
            "LABTASKER_QUEUE": self.queue,
            "LABTASKER_ROOT": str(self.root),
            "PATH": f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
            "PYTHONUNBUFFERED": "1",
            "NO_COLOR": "1",
        })
        if self.server.token is not None:
            env["LABTASKER_TOKEN"] = self.server.token
        if extra:
            env.update(extra)
        return {k: v for k, v in env.items() if v is not None}

    def cli(self, *args, timeout=60, env=None, check=None, cwd=None):
        """Runs `labtasker ARGS...`; check=True asserts rc 0, check=False asserts rc != 0."""
        argv = [LABTASKER, *map(str, args)]
        p = subprocess.run(argv, input="", capture_output=True, text=True, timeout=timeout, env=self.env(env),
                           cwd=str(cwd or self.cwd))
        r = Result(argv[1:], p.returncode, p.stdout, p.stderr)
        if check is True:
            assert r.rc == 0, r
        elif check is False:
            assert r.rc != 0, r
        return r

    def cli_json(self, *args, **kwargs):
        """Runs a command that must succeed and returns its JSON output."""
        return self.cli(*args, check=True, **kwargs).json

    def bg(self, argv, env=None, cwd=None):
        """Starts a process (own session, output in files); it is killed at the end of the test if still running."""
        n = len(self._bg)
        out = open(self.base / f"bg{n}.out", "w+")
        err = open(self.base / f"bg{n}.err", "w+")
        p = subprocess.Popen([str(a) for a in argv], stdin=subprocess.DEVNULL, stdout=out, stderr=err, text=True,
                             env=self.env(env), cwd=str(cwd or self.cwd), start_new_session=True)
        p.out_file, p.err_file = out, err
        self._bg.append(p)
        return p

    def cli_bg(self, *args, env=None):
        return self.bg([LABTASKER, *args], env=env)

    def py_bg(self, code, env=None, name=None):
        path = self.cwd / (name or f"bg{len(self._bg)}.py")
        path.write_text(PRELUDE + textwrap.dedent(code))
        return self.bg([PYTHON, path], env=env)

    @staticmethod
    def bg_output(p):
        p.out_file.flush()
        p.err_file.flush()
        return Path(p.out_file.name).read_text(), Path(p.err_file.name).read_text()

    def py(self, code, timeout=120, env=None, check=True, name="scenario.py", python=None):
        """Runs a Python scenario (fresh interpreter, PRELUDE prepended). The script's last stdout line starting
        with 'RESULT ' is decoded as JSON into .result."""
        path = self.cwd / name
        path.write_text((PRELUDE if python is None else "") + textwrap.dedent(code))
        argv = [str(python or PYTHON), str(path)]
        p = subprocess.run(argv, input="", capture_output=True, text=True, timeout=timeout, env=self.env(env),
                           cwd=str(self.cwd))
        r = Result(argv, p.returncode, p.stdout, p.stderr)
        for line in p.stdout.splitlines():
            if line.startswith("RESULT "):
                r.result = json.loads(line[len("RESULT "):])
        if check:
            assert r.rc == 0, r
        return r

    # ---- reading state back through the official client

    def submit(self, args=None, **kwargs):
        return self.client.submit_task(args if args is not None else {}, **kwargs)

    def get(self, task_id):
        return self.client.get_task(task_id)

    def all_tasks(self, **kwargs):
        out, cursor = [], None
        while True:
            page = self.client.list_tasks(limit=1000, cursor=cursor, **kwargs)
            out.extend(page.items)
            cursor = page.next_cursor
            if cursor is None:
                return out

    def api_error(self, fn, *args, **kwargs):
        """Calls fn and returns the APIError it raises (fails the test when it raises none)."""
        with pytest.raises(APIError) as info:
            fn(*args, **kwargs)
        return info.value

    def close(self):
        for p in self._bg:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait(timeout=10)
            p.out_file.close()
            p.err_file.close()
        try:  # best effort: drop the test's queue so the server's data stays small
            self.client.delete_queue(self.queue, cascade=True)
        except Exception:
            pass
        self.client.close()


def queue_name_for(request):
    stem = re.sub(r"[^A-Za-z0-9_.-]", "_", request.node.name)[:60]
    return f"c2_{stem}_{uuid.uuid4().hex[:8]}"


def _lt(server, tmp_path, request, create=True):
    c = LT(server, tmp_path / "lt", queue_name_for(request))
    if create:
        c.client.create_queue(c.queue)
    return c


@pytest.fixture
def lt(server, tmp_path, request):
    """A fresh queue (created through the official client) and a client configured for it."""
    c = _lt(server, tmp_path, request)
    yield c
    c.close()


@pytest.fixture
def lt_noqueue(server, tmp_path, request):
    """A client configured for a queue that does not exist yet."""
    c = _lt(server, tmp_path, request, create=False)
    yield c
    c.close()


@pytest.fixture
def lt_short(short_lease_server, tmp_path, request):
    """A fresh queue on the server whose lease is LEASE_SECONDS."""
    c = _lt(short_lease_server, tmp_path, request)
    yield c
    c.close()


@pytest.fixture
def lt_token(token_server, tmp_path, request):
    """A fresh queue on the server that requires the bearer token (the client is configured with it)."""
    c = _lt(token_server, tmp_path, request)
    yield c
    c.close()


@pytest.fixture
def ours_only(server):
    if not server.is_ours:
        pytest.skip("mixed v1/v2 use: only our server serves both protocols (labtasker 2.8.0 speaks v2 only)")
    if not V1_PYTHON.exists():
        pytest.skip(f"mixed v1/v2 use needs the labtasker 1.0.1 venv at {V1_PYTHON} (test/compat/setup_venv.sh)")
