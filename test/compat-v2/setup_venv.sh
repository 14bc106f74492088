#!/usr/bin/env bash
# Creates test/compat-v2/.venv with the official labtasker 2.8.0 (client and reference server) and pytest.
# Idempotent: returns at once when the venv already matches requirements.txt.
#
# Versions are pinned in requirements.txt (labtasker 2.8.0 and its whole resolved dependency set). The v1 suite's
# environment (test/compat/.venv, labtasker 1.0.1) is separate: the two lines own the same `labtasker` import.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="${COMPAT_V2_VENV:-$HERE/.venv}"
REQ="$HERE/requirements.txt"
PY="${PYTHON:-python3}"

stamp="$VENV/.compat-v2-requirements.sha256"
want="$(sha256sum "$REQ" | cut -d' ' -f1)"

if [[ -x "$VENV/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]] &&
  "$VENV/bin/python" - <<'PYEOF' 2>/dev/null; then
import importlib.metadata as m, sys
sys.exit(0 if m.version("labtasker") == "2.8.0" and m.version("labtasker-server") == "2.8.0" and m.version("pytest") else 1)
PYEOF
  exit 0
fi

echo "setup_venv: creating $VENV (labtasker==2.8.0, pytest)" >&2
if [[ ! -x "$VENV/bin/python" ]]; then
  "$PY" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQ"
"$VENV/bin/python" - <<'PYEOF'
import importlib.metadata as m
for dist in ("labtasker", "labtasker-client", "labtasker-server"):
    v = m.version(dist)
    assert v == "2.8.0", f"expected {dist} 2.8.0 in the compat-v2 venv, got {v}"
PYEOF
echo "$want" >"$stamp"
echo "setup_venv: ready ($("$VENV/bin/labtasker" --version))" >&2
