#!/usr/bin/env bash
# Creates test/webui/.venv with the official web UI (labtasker-webui 0.6.0) and labtasker 2.8.0 (its server is the
# reference the web UI check runs against with WEBUI_SERVER=v2), every dependency pinned in requirements.txt.
# Idempotent: returns at once when the venv already matches requirements.txt. labtasker-webui needs Python >= 3.11.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="${WEBUI_VENV:-$HERE/.venv}"
REQ="$HERE/requirements.txt"
PY="${PYTHON:-python3}"

stamp="$VENV/.webui-requirements.sha256"
want="$(sha256sum "$REQ" | cut -d' ' -f1)"

if [[ -x "$VENV/bin/labtasker-webui" && -x "$VENV/bin/labtasker-server" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  exit 0
fi

if ! "$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
  echo "setup_venv: labtasker-webui 0.6.0 needs Python >= 3.11 ($PY is $("$PY" --version 2>&1)); set PYTHON=..." >&2
  exit 1
fi

echo "setup_venv: creating $VENV (labtasker-webui==0.6.0, labtasker==2.8.0)" >&2
if [[ ! -x "$VENV/bin/python" ]]; then
  "$PY" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQ"
"$VENV/bin/python" - <<'PYEOF'
import importlib.metadata as m
for name, version in (("labtasker-webui", "0.6.0"), ("labtasker", "2.8.0"), ("labtasker-server", "2.8.0")):
    found = m.version(name)
    assert found == version, f"expected {name} {version} in the web UI venv, got {found}"
PYEOF
echo "$want" >"$stamp"
echo "setup_venv: ready (labtasker-webui 0.6.0, labtasker-server 2.8.0)" >&2
