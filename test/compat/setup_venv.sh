#!/usr/bin/env bash
# Creates test/compat/.venv with the official labtasker 1.0.1 client/server and pytest.
# Idempotent: returns at once when the venv already has labtasker 1.0.1 and the pinned pytest.
#
# Versions are pinned in requirements.txt (labtasker 1.0.1 and its whole resolved dependency set, so the
# client under test does not drift with new releases of fastapi/pydantic/httpx...). NOTE: a plain
# `pip install labtasker` would get the incompatible v2 line.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="${COMPAT_VENV:-$HERE/.venv}"
REQ="$HERE/requirements.txt"
PY="${PYTHON:-python3}"

stamp="$VENV/.compat-requirements.sha256"
want="$(sha256sum "$REQ" | cut -d' ' -f1)"

if [[ -x "$VENV/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]] &&
  "$VENV/bin/python" - <<'EOF' 2>/dev/null; then
import importlib.metadata as m, sys
sys.exit(0 if m.version("labtasker") == "1.0.1" and m.version("pytest") else 1)
EOF
  exit 0
fi

echo "setup_venv: creating $VENV (labtasker==1.0.1, pytest)" >&2
if [[ ! -x "$VENV/bin/python" ]]; then
  "$PY" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQ"
"$VENV/bin/python" - <<'EOF'
import importlib.metadata as m
v = m.version("labtasker")
assert v == "1.0.1", f"expected labtasker 1.0.1 in the compat venv, got {v}"
EOF
echo "$want" >"$stamp"
echo "setup_venv: ready ($("$VENV/bin/labtasker" --help >/dev/null 2>&1 && echo "labtasker CLI ok"))" >&2
