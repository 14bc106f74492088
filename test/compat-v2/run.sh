#!/usr/bin/env bash
# Runs the labtasker v2 compatibility suite: the official labtasker 2.8.0 client (CLI + Python API) against a server.
#
#   test/compat-v2/run.sh [pytest args...]
#   COMPAT_SERVER=ours (default) redis-server + node dist/http/main.js (build first: npm run build)
#   COMPAT_SERVER=v2   labtasker 2.8.0's own `labtasker-server serve`, from the suite's venv, on a temp SQLite file
#   COMPAT_JOBS=N      parallel pytest workers (default 2; 0 or 1 = serial)
#
# The mixed v1/v2 tests (ours only) also drive the v1 client from test/compat/.venv, set up here when missing.
# Extra arguments go to pytest (e.g. -k loop, -x, -v). Exits non-zero when a test fails.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
"$HERE/setup_venv.sh"

server="${COMPAT_SERVER:-ours}"
export COMPAT_SERVER="$server"
if [[ "$server" == "ours" && -z "${COMPAT_V1_PYTHON:-}" ]]; then
  "$HERE/../compat/setup_venv.sh"
fi

jobs="${COMPAT_JOBS:-2}"
par=()
if [[ "$jobs" =~ ^[0-9]+$ ]] && ((jobs > 1)); then
  par=(-n "$jobs")
fi

cd "$HERE"
echo "compat-v2: server under test: $server" >&2
exec "$HERE/.venv/bin/python" -m pytest "${par[@]}" "$@"
