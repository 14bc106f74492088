"""pytest plugin that runs labtasker 1.0.1's own end-to-end client tests (its sdist's tests/test_client, marker e2e)
against a server: ours (CONFORMANCE_SERVER=ours, the default) or labtasker 1.0.1's own (CONFORMANCE_SERVER=v1).

Their e2e setup starts MongoDB and their server with docker compose, through pytest-docker's `docker_services`
fixture, reads and writes that MongoDB directly in the tests (`db_fixture`, a DBService), erases it before and after
each test, and points the client at http://localhost:9321 (the default client.toml). This plugin changes only that:

* `docker_services` (session) starts the server under test instead: ours = a redis-server on a free port and
  `node dist/http/main.js serve` on a free port; v1 = labtasker 1.0.1's FastAPI app served by uvicorn in this
  process, on its embedded database (their DBService over the embedded MongoDB emulation), on a free port.
* `db_fixture` is the database of that server: v1's DBService, or for ours a view of our Redis with the DBService
  calls their tests make (storeBridge.ts, our broker and codecs). Their own `real_db` fixture erases it before and
  after every test: FLUSHDB on our Redis.
* the client.toml template their fixtures copy, and TestInit's hard-coded endpoint, name the server under test
  (and turn the client's PyPI version check off, so the suite needs no network).
* our server stores queue passwords with scrypt (docs/compat.md), so the tests' `verify_password` also accepts
  our stored hashes.
* tests that cannot apply to our server are skipped with the reason (SKIPS below, also in docs/compat.md).
"""

import atexit
import base64
import hashlib
import hmac
import inspect
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from datetime import datetime
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(REPO / "test" / "compat"))
from servers import free_port, spawn, start_ours, start_redis, stop, wait_http_ok  # noqa: E402

KIND = (os.environ.get("CONFORMANCE_SERVER") or "ours").strip().lower()

# Their e2e runs take the server's settings from server.example.env (not in the sdist): a DB user and password
# (required by their ServerConfig, unused here) and PERIODIC_TASK_INTERVAL=30. The timeout tests wait 1.5 times the
# interval per task; 2 s keeps their ratio (a task's deadline falls half an interval after it starts, the job ends
# one interval later) and the run short. Both servers get the same value.
SERVER_ENV = {"DB_USER": "conformance", "DB_PASSWORD": "conformance", "PERIODIC_TASK_INTERVAL": "2"}

# node id -> why the test cannot apply to our server. Such tests are skipped, with this reason, against ours only.
SKIPS: dict[str, str] = {}


def _prepare_environment():
    for key, value in SERVER_ENV.items():
        os.environ.setdefault(key, value)
    # A labtasker context of the caller's shell must not leak into the clients under test.
    for key in [k for k in os.environ if k.startswith("LABTASKER_")]:
        del os.environ[key]
    # Importing labtasker checks PyPI for a newer version (pip index, in a thread) unless the client configuration
    # says not to. Their tests import it before any fixture runs (this plugin is loaded before their conftest.py):
    # point it at a configuration saying not to, so the run needs no network. Each test then gets its own root.
    root = Path(tempfile.mkdtemp(prefix="conformance-root-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    (root / "client.toml").write_text(
        'version_check = false\n[endpoint]\napi_base_url = "http://127.0.0.1:9/"\n'
        '[queue]\nqueue_name = "unused"\npassword = "unused"\n'
    )
    os.environ["LABTASKER_ROOT"] = str(root)


_prepare_environment()


def pytest_configure(config):
    if KIND not in ("ours", "v1"):
        raise pytest.UsageError(f"CONFORMANCE_SERVER must be ours or v1, not {KIND!r}")


def pytest_report_header(config):
    return f"conformance: server under test: {KIND}"


@pytest.hookimpl(tryfirst=True)  # before -m and -k deselect: every collected test is still in items
def pytest_collection_modifyitems(config, items):
    if KIND != "ours":
        return
    ids = {item.nodeid for item in items}
    files = {nodeid.split("::")[0] for nodeid in ids}
    stale = [nodeid for nodeid in SKIPS if nodeid not in ids and nodeid.split("::")[0] in files]
    if stale:
        raise pytest.UsageError(f"conformance: SKIPS names tests that were not collected: {stale}")
    for item in items:
        reason = SKIPS.get(item.nodeid)
        if reason:
            item.add_marker(pytest.mark.skip(reason=f"not applicable to labtasker-redis: {reason}"))


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makeitem(collector, name, obj):
    # TestInit (test_init.py) types the server's address into `labtasker init`; their fixture hard-codes
    # http://localhost:9321. It gets the address of the server under test instead.
    if name == "TestInit" and inspect.isclass(obj) and "endpoint_url" in vars(obj):

        def endpoint_url(self, docker_services):
            return docker_services.url.rstrip("/")

        obj.endpoint_url = pytest.fixture(endpoint_url)


# ------------------------------------------------------------------------------------------------ the server


class Services:
    def __init__(self, url, db):
        self.url = url  # base URL, ending in "/"
        self.db = db  # what their tests get as db_fixture


def _client_template(workdir, url):
    """A copy of the client's labtasker_root template (what their fixtures copy into each test's root), naming url."""
    from labtasker.client.core.paths import get_template_dir

    templates = workdir / "templates"
    shutil.copytree(get_template_dir(), templates)
    toml = templates / "labtasker_root" / "client.toml"
    text = toml.read_text()
    for old, new in (
        ('api_base_url = "http://localhost:9321/"', f'api_base_url = "{url}"'),
        ("version_check = true", "version_check = false"),
    ):
        assert old in text, f"labtasker's client.toml template has no {old!r}"
        text = text.replace(old, new)
    toml.write_text(text)
    return templates


@pytest.fixture(scope="session")
def docker_services(server_config, tmp_path_factory):
    """Their fixture starts MongoDB and their server with docker compose; this one starts the server under test."""
    workdir = tmp_path_factory.mktemp(f"conformance-{KIND}")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LABTASKER_")}
    server = (_OurServer if KIND == "ours" else _V1Server)(workdir, env)
    try:
        services = server.start()
    except Exception as error:  # one message, rather than the same error for every test
        server.stop()
        pytest.exit(f"conformance: the server under test ({KIND}) did not start: {error}", returncode=3)
    patch = pytest.MonkeyPatch()
    try:
        templates = _client_template(workdir, services.url)
        patch.setattr("labtasker.client.core.config.get_template_dir", lambda: templates)
        # Their real_db fixture creates its DBService once per process, through docker, unless one exists.
        patch.setattr("tests.fixtures.database.real._real_db_instance", services.db)
        if KIND == "ours":
            _accept_our_password_hashes(patch)
        yield services
    finally:
        patch.undo()
        server.stop()
        if os.environ.get("CONFORMANCE_KEEP_LOGS"):
            print(f"\nconformance: server logs kept in {workdir}", file=sys.stderr)


@pytest.fixture(scope="session", autouse=True)
def _conformance_services(docker_services):
    """Starts the server before any test's fixtures run (their db_fixture expects the database to be there)."""
    return docker_services


class _OurServer:
    def __init__(self, workdir, env):
        self.workdir, self.env, self.procs, self.bridge = workdir, env, [], None

    def start(self):
        redis, rport = start_redis(self.workdir, self.env)
        self.procs.append(redis)
        redis_url = f"redis://127.0.0.1:{rport}/0"
        server, url = start_ours(redis_url, self.workdir, self.env)
        self.procs.append(server)
        self.bridge = StoreBridge(redis_url, self.workdir, self.env)
        return Services(url, OurDatabase(self.bridge))

    def stop(self):
        if self.bridge is not None:
            self.bridge.close()
        for proc in reversed(self.procs):
            stop(proc)


class _V1Server:
    """labtasker 1.0.1's server as `labtasker-server serve` runs it (embedded database), in a thread of this process,
    so that their db_fixture is the very DBService the server uses, as it is MongoDB's in their docker setup."""

    def __init__(self, workdir, env):
        self.workdir, self.server, self.thread = workdir, None, None

    def start(self):
        import uvicorn
        from labtasker.server.config import get_server_config
        from labtasker.server.database import DBService, set_db_service
        from labtasker.server.embedded_db import MongoClient, ServerStore

        db = DBService(
            db_name=get_server_config().db_name,
            client=MongoClient(_store=ServerStore(persistence_path=str(self.workdir / "db.json"))),
        )
        set_db_service(db)
        from labtasker.server.endpoints import app

        port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, name="labtasker-v1-server", daemon=True)
        self.thread.start()
        url = f"http://127.0.0.1:{port}/"
        wait_http_ok(url + "health", None, os.devnull, timeout=30)
        return Services(url, db)

    def stop(self):
        if self.thread is not None:
            self.server.should_exit = True
            self.thread.join(timeout=10)


# ------------------------------------------------------------------------------------- our database, for db_fixture


class StoreBridge:
    """storeBridge.ts in a child process: one JSON request per line, one answer per line."""

    def __init__(self, redis_url, workdir, env):
        tsx = REPO / "node_modules" / ".bin" / "tsx"
        self.log = workdir / "bridge.log"
        self.proc = spawn(
            [str(tsx), str(HERE / "storeBridge.ts"), redis_url],
            self.log,
            str(REPO),
            env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        self.lock = threading.Lock()
        self.call(op="find", collection="queues")  # fails here, at start, if it cannot run or reach Redis

    def call(self, **request):
        with self.lock:
            self.proc.stdin.write(json.dumps(request, default=_json_default).encode() + b"\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"storeBridge.ts exited ({self.proc.poll()}):\n{self.log.read_text()[-4000:]}")
        answer = json.loads(line)
        if "error" in answer:
            raise RuntimeError(f"storeBridge.ts: {request.get('op')}: {answer['error']}")
        return answer["ok"]

    def close(self):
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            stop(self.proc)


def _json_default(value):
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot send {type(value).__name__} to storeBridge.ts")


_DATE_FIELDS = ("created_at", "last_modified", "start_time", "last_heartbeat")


def _document(doc):
    # Dates come as ISO strings (UTC); MongoDB hands back naive UTC datetimes.
    for key in _DATE_FIELDS:
        if isinstance(doc.get(key), str):
            doc[key] = datetime.fromisoformat(doc[key].replace("Z", "+00:00")).replace(tzinfo=None)
    return doc


_MISSING = object()


def _matches(doc, query):
    """MongoDB's equality match, the only kind their tests use on db_fixture (anything else fails loudly)."""
    for key, expected in (query or {}).items():
        if key.startswith("$") or (isinstance(expected, dict) and any(k.startswith("$") for k in expected)):
            raise NotImplementedError(f"the conformance harness matches equality only, not {query!r}")
        value = doc
        for part in key.split("."):
            value = value.get(part, _MISSING) if isinstance(value, dict) else _MISSING
        if value is _MISSING or value != expected:
            return False
    return True


class _Collection:
    def __init__(self, bridge, name):
        self.bridge, self.name = bridge, name

    def find(self, query=None):
        return [_document(doc) for doc in self.bridge.call(op="find", collection=self.name) if _matches(doc, query)]

    def find_one(self, query=None):
        found = self.find(query)
        return found[0] if found else None

    def insert_one(self, doc):
        if self.name != "tasks":
            raise NotImplementedError(f"the conformance harness inserts tasks only, not {self.name}")
        self.bridge.call(op="insertTask", doc=doc)


class OurDatabase:
    """Our Redis, with the DBService calls that labtasker's e2e tests make on db_fixture."""

    def __init__(self, bridge):
        self._bridge = bridge
        self._queues = _Collection(bridge, "queues")
        self._tasks = _Collection(bridge, "tasks")
        self._workers = _Collection(bridge, "workers")

    def erase(self):
        self._bridge.call(op="erase")

    def create_task(self, queue_id, **options):
        return self._bridge.call(op="createTask", queueId=queue_id, options=options)

    def create_worker(self, queue_id, **options):
        return self._bridge.call(op="createWorker", queueId=queue_id, options=options)

    def fetch_task(self, queue_id, **options):
        task = self._bridge.call(op="fetchTask", queueId=queue_id, options=options)
        return None if task is None else _document(task)

    def __getattr__(self, name):
        raise AttributeError(f"the conformance harness does not emulate DBService.{name}")


def _accept_our_password_hashes(patch):
    """test_queue.py checks the stored password with passlib's pbkdf2-sha256 verify_password; ours are scrypt
    (`scrypt$N$r$p$<salt base64>$<hash base64>`, src/broker/password.ts). Other hashes go to their function."""
    import tests.test_client.test_cli.test_queue as test_queue

    theirs = test_queue.verify_password

    def verify_password(password, hashed):
        if not hashed.startswith("scrypt$"):
            return theirs(password, hashed)
        _, n, r, p, salt, key = hashed.split("$")
        key = base64.b64decode(key)
        got = hashlib.scrypt(
            password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), maxmem=128 << 20,
            dklen=len(key),
        )
        return hmac.compare_digest(got, key)

    patch.setattr(test_queue, "verify_password", verify_password)
