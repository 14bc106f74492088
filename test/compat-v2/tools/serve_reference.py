"""Runs labtasker 2.8.0's own server (`labtasker-server ...`), optionally with a shorter lease for tests.

    python tools/serve_reference.py serve --connection http --host 127.0.0.1 --port P --database DB

The reference server's lease (300 s) and its expiry scan (every 60 s) are module constants with no flag or
environment variable. With LABTASKER_V2_LEASE_SECONDS set, this launcher sets both before the server starts (the
scan runs every lease/4 seconds, at least 0.2 s), so the lease-expiry tests can run against the reference too. The
code paths are the server's own: only the two numbers change. Without the variable, it is `labtasker-server` as is.
"""

import os
import sys

from labtasker_server import app as server_app
from labtasker_server.cli import app as cli_app
from labtasker_server.services import tasks as task_service

lease = os.environ.get("LABTASKER_V2_LEASE_SECONDS")
if lease:
    seconds = float(lease)
    if not seconds > 0:
        sys.exit(f"LABTASKER_V2_LEASE_SECONDS must be a positive number, not {lease!r}")
    task_service.HEARTBEAT_TIMEOUT_US = int(seconds * 1_000_000)
    server_app.EXPIRY_SCAN_INTERVAL_SECONDS = max(0.2, seconds / 4)

if __name__ == "__main__":
    sys.argv[0] = "labtasker-server"
    cli_app()
