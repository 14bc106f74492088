"""Small helpers shared by the compat-v2 test modules."""

import time


def wait_until(fn, timeout=30.0, interval=0.2, desc="condition"):
    """Polls fn until it returns a truthy value (returned); fails after `timeout` seconds with the last value."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {desc}; last value: {last!r}")


def envelope(result):
    """The `{"error": {...}}` a failed CLI command printed on stdout (its exit status must be 1)."""
    assert result.rc == 1, result
    body = result.json
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}, result
    return body["error"]
