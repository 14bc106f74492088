#!/usr/bin/env bash
# Installs what the project needs on a Debian/Ubuntu machine: redis-server (Debian's package), python3-venv and a C
# compiler for the test suites, the npm packages, and the suites' Python environments.
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v redis-server >/dev/null 2>&1; then
  echo "Installing redis-server..." >&2
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get install -y --no-install-recommends redis-server >/dev/null 2>&1 \
    || { as_root apt-get update >/dev/null && as_root apt-get install -y --no-install-recommends redis-server >/dev/null; }
fi

# The compatibility suite runs the official Python client in a virtual environment (test/compat/setup_venv.sh).
if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  echo "Installing python3-venv..." >&2
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get install -y --no-install-recommends python3 python3-venv >/dev/null 2>&1 \
    || { as_root apt-get update >/dev/null && as_root apt-get install -y --no-install-recommends python3 python3-venv >/dev/null; }
fi

# The fault suite's power-cut scenario builds a small LD_PRELOAD shim for redis-server (test/faults/support/powercut.c).
if ! command -v cc >/dev/null 2>&1; then
  echo "Installing a C compiler..." >&2
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get install -y --no-install-recommends gcc libc6-dev >/dev/null 2>&1 \
    || { as_root apt-get update >/dev/null && as_root apt-get install -y --no-install-recommends gcc libc6-dev >/dev/null; }
fi

# Web pages (the v2 web UI's check, the dashboard) are tested in headless Chromium from Debian's package, driven by
# playwright-core with its executable path: no browser build is downloaded.
if ! command -v chromium >/dev/null 2>&1; then
  echo "Installing chromium..." >&2
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get install -y --no-install-recommends chromium >/dev/null 2>&1 \
    || { as_root apt-get update >/dev/null && as_root apt-get install -y --no-install-recommends chromium >/dev/null; }
fi

node -e 'const [a,b]=process.versions.node.split(".").map(Number); if (a<20||(a===20&&b<19)) { console.error("Node >= 20.19 is required (found "+process.versions.node+")"); process.exit(1) }'

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # Some npm releases record only this platform's optional packages in the lock file, and then `npm ci`
  # refuses it on another machine; `npm install` resolves those from the same lock file instead.
  npm ci --no-audit --no-fund 2>/dev/null || npm install --no-audit --no-fund
fi
npm run build --silent
test/compat/setup_venv.sh
test/webui/setup_venv.sh
test/compat-v2/setup_venv.sh
test/faults/setup_venv.sh
# labtasker 1.0.1's own end-to-end client tests, from its sdist on PyPI, and their environment (test/conformance).
test/conformance/setup.sh
