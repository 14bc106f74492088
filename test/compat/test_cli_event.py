"""`labtasker event listen` (run in the background) sees the transitions made by other CLI commands."""

import re

from helpers import wait_until

COMPACT = re.compile(
    r"^\[\s*(\d+)\]\[([^\]]+)\]\[state_transition\s*\]\[(task|worker)\s*\]\[([0-9A-Za-z_-]+)\s*\]\[(\w+)\s*->\s*(\w+)\s*\]",
    re.M,
)


def test_event_listen_compact_sees_transitions(lt):
    p = lt.cli_bg("event", "listen", "--compact")
    wait_until(lambda: "Connected. Client listener ID:" in lt.bg_output(p)[0], timeout=20, desc="listener connected")

    tid = lt.submit(args={"x": 1})
    lt.cli("loop", "-c", "true %(x)", check=True)
    want = 4
    out = wait_until(lambda: len(COMPACT.findall(o := lt.bg_output(p)[0])) >= want and o, timeout=20,
                     desc="4 events printed")
    assert p.poll() is None  # still listening
    rows = COMPACT.findall(out)
    wid = lt.api.ls_workers().content[0].worker_id
    assert [(r[2], r[3], r[4], r[5]) for r in rows] == [
        ("task", tid, "created", "pending"),
        ("worker", wid, "created", "active"),
        ("task", tid, "pending", "running"),
        ("task", tid, "running", "success"),
    ]
    seqs = [int(r[0]) for r in rows]
    assert seqs == list(range(seqs[0], seqs[0] + 4))


def test_event_listen_raw_prints_connection_and_events(lt):
    p = lt.cli_bg("event", "listen", "--raw")
    wait_until(lambda: "Connected. Client listener ID:" in lt.bg_output(p)[0], timeout=20, desc="listener connected")
    client_id = re.search(r"Client listener ID: ([0-9a-f-]+)", lt.bg_output(p)[0]).group(1)
    tid = lt.submit(args={"x": 1})
    # (rich wraps long lines at the console width: compare with the line breaks removed)
    out = wait_until(lambda: tid in (o := lt.bg_output(p)[0].replace("\n", "")) and o, timeout=20,
                     desc="raw event printed")
    # the raw ServerSentEvent objects: first the connection event carrying the client id, then the events
    assert "event='connection'" in out and client_id in out and "retry=3000" in out
    assert "event='event'" in out and '"old_state":"created"' in out and '"new_state":"pending"' in out
    assert out.index("event='connection'") < out.index("event='event'")
