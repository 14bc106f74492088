"""Small helpers shared by the compat test modules."""

import json
import re
import time

# A task id: labtasker v1's server makes UUIDs; ours makes `t_` + 12 characters, the form labtasker v2 insists on,
# so that both protocols' clients accept every task (docs/compat.md). Worker and queue ids stay UUIDs on both.
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|(?<![A-Za-z0-9_-])t_[A-Za-z0-9_-]{12}(?![A-Za-z0-9_-])")


def wait_until(fn, timeout=15.0, interval=0.2, desc="condition"):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {desc}; last value: {last!r}")


def parse_json_stream(text):
    """`task ls --fmt jsonl` prints indented JSON objects one after another (not true JSONL)."""
    dec = json.JSONDecoder()
    out, i = [], 0
    text = text.strip()
    while i < len(text):
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            break
        obj, i = dec.raw_decode(text, i)
        out.append(obj)
    return out
