#!/usr/bin/env bash
# Runs the labtasker v1 compatibility suite: the official labtasker 1.0.1 client (CLI + Python API) against a server.
#
#   test/compat/run.sh [pytest args...]
#   COMPAT_SERVER=v1   (default) labtasker 1.0.1's own server, from the suite's venv
#   COMPAT_SERVER=ours redis-server + node dist/http/main.js (build first: npm run build)
#   COMPAT_JOBS=N      parallel pytest workers (default 2; 0 or 1 = serial)
#   COMPAT_WIRE_LOG=F  log every byte between clients and server to F (tools/wire_proxy.py dump F)
#
# Extra arguments go to pytest (e.g. -k loop, -x, -v). Exits non-zero when a test fails.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
"$HERE/setup_venv.sh"

jobs="${COMPAT_JOBS:-2}"
par=()
if [[ "$jobs" =~ ^[0-9]+$ ]] && ((jobs > 1)); then
  par=(-n "$jobs")
fi

cd "$HERE"
echo "compat: server under test: ${COMPAT_SERVER:-v1}" >&2
exec "$HERE/.venv/bin/python" -m pytest "${par[@]}" "$@"
