#!/usr/bin/env bash
# Creates test/faults/.venv with schemathesis (from PyPI), for the bad-input scenario of the fault suite.
# Idempotent: returns at once when the venv already has the pinned version.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="${FAULTS_VENV:-$HERE/.venv}"
PY="${PYTHON:-python3}"
VERSION="4.32.5"

if [[ -x "$VENV/bin/schemathesis" ]] &&
  "$VENV/bin/python" -c "import importlib.metadata as m, sys; sys.exit(0 if m.version('schemathesis') == '$VERSION' else 1)" 2>/dev/null; then
  exit 0
fi

echo "setup_venv: creating $VENV (schemathesis==$VERSION)" >&2
if [[ ! -x "$VENV/bin/python" ]]; then
  "$PY" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "schemathesis==$VERSION"
echo "setup_venv: ready ($("$VENV/bin/schemathesis" --version))" >&2
