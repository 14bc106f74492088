"""`labtasker task submit|ls|update|delete` through the official CLI."""

import time

import pytest
import yaml

from helpers import UUID_RE, parse_json_stream

TASK_KEYS = {
    "task_id", "queue_id", "status", "task_name", "created_at", "start_time", "last_heartbeat", "last_modified",
    "heartbeat_timeout", "task_timeout", "max_retries", "retries", "priority", "metadata", "args", "cmd", "summary",
    "worker_id",
}


def submitted_id(r):
    assert r.rc == 0, r
    assert "Task submitted with ID" in r.out, r
    ids = UUID_RE.findall(r.out)
    assert len(ids) == 1, r
    return ids[0]


# ------------------------------------------------------------------------------------------------ submit


def test_submit_dash_dash_args_are_parsed_into_typed_nested_args(lt):
    r = lt.cli(
        "task", "submit", "--",
        "--lr=0.1", "--model=vit", "--opt.name", "adam", "--opt.beta", "3.0", "--msg", "'hello world'",
        "--tags", "['a', 'b']", "--n=-1", "--flag", "--use-bn", "True", "--data-path", "/data/x",
        "--big=9007199254740993",
    )
    tid = submitted_id(r)
    t = lt.api.task(tid)
    assert t.args == {
        "lr": 0.1,
        "model": "vit",
        "opt": {"name": "adam", "beta": 3.0},
        "msg": "hello world",
        "tags": ["a", "b"],
        "n": -1,
        "use_bn": True,  # dashes in keys become underscores; a bare --flag is dropped
        "data_path": "/data/x",
        "big": 9007199254740993,  # > 2**53: must stay exact
    }
    assert isinstance(t.args["opt"]["beta"], float)
    assert isinstance(t.args["n"], int) and isinstance(t.args["big"], int)
    # CLI defaults
    assert t.status == "pending"
    assert (t.priority, t.max_retries, t.retries, t.heartbeat_timeout) == (10, 3, 0, 60.0)
    assert t.task_name is None and t.task_timeout is None and t.worker_id is None
    assert t.start_time is None and t.last_heartbeat is None
    assert t.metadata == {} and t.summary == {}
    assert t.queue_id == lt.queue_id and t.task_id == tid

    # the float survives on the wire and in the CLI's JSON output as 3.0 (not 3)
    out = lt.cli("task", "ls", "--id", tid, "--fmt", "jsonl", "--no-ansi", "--no-pager", check=True).out
    assert '"beta": 3.0' in out
    assert '"big": 9007199254740993' in out


def test_submit_with_options(lt):
    r = lt.cli(
        "task", "submit",
        "--task-name", "named-1",
        "--args", '{"a": 1, "b": {"c": [1, 2.0, "x"]}, "flag": False, "none": None}',
        "--metadata", "{'tags': ['v1', 'exp'], 'owner': 'me'}",
        "--priority", "20", "--max-retries", "5", "--heartbeat-timeout", "12.5", "--task-timeout", "300",
        "--cmd", "python train.py",
    )
    tid = submitted_id(r)
    t = lt.api.task(tid)
    assert t.task_name == "named-1"
    assert t.args == {"a": 1, "b": {"c": [1, 2.0, "x"]}, "flag": False, "none": None}
    assert isinstance(t.args["b"]["c"][1], float)
    assert t.metadata == {"tags": ["v1", "exp"], "owner": "me"}
    assert (t.priority, t.max_retries, t.heartbeat_timeout, t.task_timeout) == (20, 5, 12.5, 300)
    assert t.cmd == "python train.py"


def test_submit_dotted_args_are_unflattened(lt):
    tid = submitted_id(lt.cli("task", "submit", "--", "--model.encoder.depth=12", "--model.encoder.act", "gelu",
                              "--model.lr=1e-3"))
    assert lt.api.task(tid).args == {"model": {"encoder": {"depth": 12, "act": "gelu"}, "lr": 0.001}}

    tid = submitted_id(lt.cli("task", "submit", "--args", "{'opt.name': 'sgd', 'opt.momentum': 0.9}"))
    assert lt.api.task(tid).args == {"opt": {"name": "sgd", "momentum": 0.9}}


def test_submit_rejects_both_arg_styles_and_empty_args(lt):
    r = lt.cli("task", "submit", "--args", "{'a': 1}", "--", "--b=2", check=False)
    assert r.rc == 2
    assert "only specify one of" in r.err
    r = lt.cli("task", "submit", check=False)
    assert r.rc != 0
    assert lt.api.all_tasks() == []


# ------------------------------------------------------------------------------------------------ ls


@pytest.fixture
def five(lt):
    """Five tasks with different args/metadata/priorities; t4 has run to success, t5 is cancelled."""
    specs = [
        dict(task_name="t1", args={"lr": 0.1, "model": "vit"}, metadata={"tags": ["v1", "exp"]}, priority=10),
        dict(task_name="t2", args={"lr": 0.001, "model": "resnet"}, metadata={"tags": ["v2"]}, priority=20),
        dict(task_name="t3", args={"lr": 0.05, "model": "vit-large"}, metadata={"tags": ["v1"]}, priority=5),
        dict(task_name="t4", args={"lr": 0.5, "model": "mlp"}, metadata={}, priority=10),
        dict(task_name="t5", args={"lr": 0.2, "model": "cnn"}, metadata={"note": "x"}, priority=1),
    ]
    ids = {}
    for s in specs:
        ids[s["task_name"]] = lt.submit(**s)
        time.sleep(0.01)  # distinct creation times
    resp = lt.api.fetch_task(extra_filter={"_id": ids["t4"]})
    assert resp.found and resp.task.task_id == ids["t4"]
    lt.api.report_task_status(task_id=ids["t4"], status="success")
    lt.api.report_task_status(task_id=ids["t5"], status="cancelled")
    lt.ids = ids
    lt.name_of = {v: k for k, v in ids.items()}
    return lt


def ls_names(lt, *args, ordered=False):
    r = lt.cli("task", "ls", "-q", *args, check=True)
    ids = r.out.split()
    assert all(UUID_RE.fullmatch(i) for i in ids), r
    names = [lt.name_of[i] for i in ids]
    return names if ordered else set(names)


def test_ls_by_status_id_and_name(five):
    lt = five
    assert ls_names(lt) == {"t1", "t2", "t3", "t4", "t5"}
    assert ls_names(lt, "-s", "pending") == {"t1", "t2", "t3"}
    assert ls_names(lt, "--status", "success") == {"t4"}
    assert ls_names(lt, "-s", "cancelled") == {"t5"}
    assert ls_names(lt, "-s", "failed") == set()
    assert ls_names(lt, "--id", lt.ids["t2"]) == {"t2"}
    assert ls_names(lt, "--task-name", "t3") == {"t3"}


@pytest.mark.parametrize(
    "flt, expected",
    [
        ("args.lr > 0.01", {"t1", "t3", "t4", "t5"}),
        ("args.lr <= 0.05 and priority >= 5", {"t2", "t3"}),
        ("args.lr > 0.3 or args.model == 'resnet'", {"t2", "t4"}),
        ("'v1' in list(metadata.tags)", {"t1", "t3"}),
        ('"v1" in list(metadata.tags)', {"t1", "t3"}),
        ("args.model in ['mlp', 'resnet']", {"t2", "t4"}),
        ("regex(args.model, '^vit')", {"t1", "t3"}),
        ("regex(task_name, '(?i)^T[12]$')", {"t1", "t2"}),
        ("exists(metadata.tags)", {"t1", "t2", "t3"}),
        ("'note' in dict(metadata)", {"t5"}),
        ("args.lr * 100 > priority", {"t4", "t5"}),
        ("status == 'success'", {"t4"}),
        ("created_at > date('1 hour ago')", {"t1", "t2", "t3", "t4", "t5"}),
        ("created_at < date('1 hour ago')", set()),
        ("start_time >= date('10 minutes ago')", {"t4"}),
        ('{"args.model": "vit"}', {"t1"}),
        ("{'metadata.tags': {'$in': ['v2', 'exp']}}", {"t1", "t2"}),
        ("{'$or': [{'priority': {'$gt': 15}}, {'args.lr': {'$gte': 0.5}}]}", {"t2", "t4"}),
        ("{'metadata.tags': {'$exists': False}}", {"t4", "t5"}),
        ("{'args.model': {'$regex': '^VIT', '$options': 'i'}}", {"t1", "t3"}),
        ("{'task_name': {'$nin': ['t1', 't2']}, 'priority': {'$ne': 1}}", {"t3", "t4"}),
    ],
)
def test_ls_extra_filter(five, flt, expected):
    assert ls_names(five, "-f", flt) == expected


def test_ls_extra_filter_combines_with_status(five):
    assert ls_names(five, "-s", "pending", "-f", "args.lr > 0.01") == {"t1", "t3"}


def test_ls_invalid_python_filter_is_rejected_by_the_client(five):
    r = five.cli("task", "ls", "-q", "-f", "args.lr != 0.1", check=False)
    assert r.rc == 2
    assert "Invalid filter str" in r.err


def test_ls_sort_orders(five):
    lt = five
    # CLI default: priority desc, last_modified asc, created_at asc (t4 was modified last among priority 10)
    assert ls_names(lt, ordered=True) == ["t2", "t1", "t4", "t3", "t5"]
    assert ls_names(lt, "-S", "priority:desc", "-S", "created_at:desc", ordered=True) == ["t2", "t4", "t1", "t3", "t5"]
    assert ls_names(lt, "-S", "args.lr:asc", ordered=True) == ["t2", "t3", "t1", "t5", "t4"]
    assert ls_names(lt, "--sort", "created_at:desc", ordered=True) == ["t5", "t4", "t3", "t2", "t1"]
    assert ls_names(lt, "-s", "pending", "-S", "task_name:desc", ordered=True) == ["t3", "t2", "t1"]


def test_ls_limit_pages_through_everything(lt):
    ids = []
    for i in range(7):
        ids.append(lt.submit(args={"i": i}, priority=100 - i))
    r = lt.cli("task", "ls", "-q", "--limit", "2", check=True)
    assert r.out.split() == ids  # --limit is a page size: every task is printed, in order
    r = lt.cli("task", "ls", "-q", "--limit", "3", "--offset", "2", check=True)
    assert r.out.split() == ids[2:]
    r = lt.cli("task", "ls", "-q", "--limit", "1", "-f", "args.i >= 4", check=True)
    assert r.out.split() == ids[4:]


def test_ls_jsonl_output(five):
    lt = five
    r = lt.cli("task", "ls", "--fmt", "jsonl", "--no-ansi", "--no-pager", "-s", "success", check=True)
    items = parse_json_stream(r.out)
    assert len(items) == 1
    t = items[0]
    assert set(t) == TASK_KEYS
    assert t["task_id"] == lt.ids["t4"]
    assert t["status"] == "success"
    assert t["args"] == {"lr": 0.5, "model": "mlp"}
    assert t["worker_id"] is None and t["start_time"] is not None and t["last_heartbeat"] is not None
    assert t["retries"] == 0 and t["summary"] == {}


def test_ls_default_yaml_output(five):
    lt = five
    # the default format is YAML, one single-item list per task. (--no-pager: with click 8.5.x, the version pip
    # resolves for labtasker 1.0.1 today, the client's own pager writes nothing at all; see docs/wire-v1.md.)
    r = lt.cli("task", "ls", "--no-ansi", "--no-pager", check=True)
    items = yaml.safe_load(r.out)
    assert [i["task_name"] for i in items] == ["t2", "t1", "t4", "t3", "t5"]
    assert all(set(i) == TASK_KEYS for i in items)
    by_name = {i["task_name"]: i for i in items}
    assert by_name["t1"]["metadata"] == {"tags": ["v1", "exp"]}
    assert by_name["t1"]["args"] == {"lr": 0.1, "model": "vit"}
    assert by_name["t4"]["status"] == "success"


def test_ls_piped_in_ids(five):
    lt = five
    ids = f"{lt.ids['t1']}\n{lt.ids['t3']}\n"
    r = lt.cli("task", "ls", "--piped-in", "--fmt", "jsonl", "--no-ansi", "--no-pager", input=ids, check=True)
    assert {t["task_name"] for t in parse_json_stream(r.out)} == {"t1", "t3"}


# ------------------------------------------------------------------------------------------------ update


def test_update_merges_dotted_fields_and_replaces_top_level_fields(lt):
    tid = lt.submit(args={"lr": 0.1, "model": "vit", "opt": {"name": "adam", "beta": 0.9}}, metadata={"tag": "a"})
    lt.cli(
        "task", "update", "--id", tid,
        "-u", "args.lr=0.005", "-u", "args.opt.beta=0.95", "-u", "metadata.note='hello world'",
        "-u", "priority=50", "-u", "task_name=renamed", "-q", check=True,
    )
    t = lt.api.task(tid)
    assert t.args == {"lr": 0.005, "model": "vit", "opt": {"name": "adam", "beta": 0.95}}
    assert t.metadata == {"tag": "a", "note": "hello world"}
    assert (t.priority, t.task_name, t.status) == (50, "renamed", "pending")

    # positional form; `args=...` replaces the whole field
    lt.cli("task", "update", "--id", tid, "-q", "--", "args={'only': 1, 'f': 2.0}", "max-retries=7", check=True)
    t = lt.api.task(tid)
    assert t.args == {"only": 1, "f": 2.0} and isinstance(t.args["f"], float)
    assert t.max_retries == 7


def test_update_by_filter_and_status_cancel(lt):
    a = lt.submit(args={"x": 1}, metadata={"grp": "a"})
    b = lt.submit(args={"x": 2}, metadata={"grp": "b"})
    c = lt.submit(args={"x": 3}, metadata={"grp": "a"})
    lt.cli("task", "update", "-f", "metadata.grp == 'a'", "-u", "status=cancelled", "-q", check=True)
    assert {t.task_id: t.status for t in lt.api.all_tasks()} == {a: "cancelled", b: "pending", c: "cancelled"}
    # cancelled -> pending is allowed too
    lt.cli("task", "update", "-s", "cancelled", "-u", "status=pending", "-q", check=True)
    assert {t.status for t in lt.api.all_tasks()} == {"pending"}


def test_update_reset_pending(lt):
    tid = lt.submit(args={"x": 1}, max_retries=1)
    assert lt.api.fetch_task().task.task_id == tid
    lt.api.report_task_status(task_id=tid, status="failed", summary={"err": "boom"})
    t = lt.api.task(tid)
    assert (t.status, t.retries) == ("failed", 1)

    r = lt.cli("task", "update", "--id", tid, "--reset-pending", "-u", "args.x=2", "-q", check=True)
    t = lt.api.task(tid)
    assert (t.status, t.retries, t.args, t.worker_id) == ("pending", 0, {"x": 2}, None)
    assert r.rc == 0


def test_update_invalid_transition_is_reported(lt):
    tid = lt.submit(args={"x": 1})
    # pending -> success is not a valid transition: the server answers 400 "Failed to update ..."
    # (what is stored afterwards differs: v1's embedded DB keeps the bad write, see docs/compat.md)
    r = lt.cli("task", "update", "--id", tid, "-u", "status=success", "-q", check=False)
    assert r.rc != 0
    assert "400" in r.err and "Failed to update" in r.err


def test_update_ids_piped_on_stdin(lt):
    ids = [lt.submit(args={"i": i}) for i in range(4)]
    piped = "\n".join(ids[:3]) + "\n"
    lt.cli("task", "update", "-u", "metadata.batch=2", "-q", input=piped, check=True)
    assert {t.task_id: t.metadata for t in lt.api.all_tasks()} == {
        ids[0]: {"batch": 2}, ids[1]: {"batch": 2}, ids[2]: {"batch": 2}, ids[3]: {},
    }
    # a single piped id
    lt.cli("task", "update", "-u", "priority=99", "-q", input=ids[3] + "\n", check=True)
    assert [t.priority for t in lt.api.all_tasks()] == [10, 10, 10, 99]


def test_ls_pipe_into_update(lt):
    keep = lt.submit(args={"lr": 0.5})
    low = [lt.submit(args={"lr": v}) for v in (0.001, 0.002)]
    ids = lt.cli("task", "ls", "-q", "-f", "args.lr < 0.01", check=True).out
    lt.cli("task", "update", "-u", "status=cancelled", "-q", input=ids, check=True)
    st = {t.task_id: t.status for t in lt.api.all_tasks()}
    assert st == {keep: "pending", low[0]: "cancelled", low[1]: "cancelled"}


# ------------------------------------------------------------------------------------------------ delete


def test_delete_by_ids_and_from_pipe(lt):
    ids = [lt.submit(args={"i": i}) for i in range(5)]
    r = lt.cli("task", "delete", "-y", ids[0], ids[1], check=True)
    assert f"Task {ids[0]} deleted." in r.out and f"Task {ids[1]} deleted." in r.out

    piped = lt.cli("task", "ls", "-q", "-f", "args.i >= 3", check=True).out
    r = lt.cli("task", "delete", "-y", input=piped, check=True)
    assert f"Task {ids[3]} deleted." in r.out and f"Task {ids[4]} deleted." in r.out
    assert [t.task_id for t in lt.api.all_tasks()] == [ids[2]]

    r = lt.cli("task", "delete", "-y", ids[0], check=False)
    assert r.rc == 2
    assert "Task not found" in r.err
