#!/usr/bin/env bash
# Prepares the conformance suite: labtasker 1.0.1's own end-to-end client tests, run against our server.
#
#   test/conformance/.venv/                          a virtual environment pinned by requirements.txt (labtasker
#                                                    1.0.1, pytest and plugins)
#   test/conformance/.upstream/labtasker-1.0.1.tar.gz  the sdist, downloaded from PyPI with pip, checked against its
#                                                    sha256
#   test/conformance/.upstream/labtasker-1.0.1/tests/  its tests, extracted (they are never copied into this
#                                                    repository; both folders are git-ignored)
#
# Idempotent: returns at once when all three are in place and match the pins.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="$HERE/.venv"
UPSTREAM="$HERE/.upstream"
REQ="$HERE/requirements.txt"
PY="${PYTHON:-python3}"

VERSION="1.0.1"
SDIST="labtasker-$VERSION.tar.gz"
SUITE="$UPSTREAM/labtasker-$VERSION"
# sha256 of labtasker-1.0.1.tar.gz as published on PyPI
SDIST_SHA256="bea3e6591bd27d07787f1417e68229c15fa6bbe34ded4dab22f5b14d0b45106e"

# --- the virtual environment
venv_stamp="$VENV/.conformance-requirements.sha256"
venv_want="$(cat "$REQ" "$HERE/../compat/requirements.txt" | sha256sum | cut -d' ' -f1)"
if [[ ! -x "$VENV/bin/python" || ! -f "$venv_stamp" || "$(cat "$venv_stamp")" != "$venv_want" ]]; then
  echo "conformance: creating $VENV (labtasker==$VERSION, pytest and plugins)" >&2
  if [[ ! -x "$VENV/bin/python" ]]; then
    "$PY" -m venv "$VENV"
  fi
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQ"
  "$VENV/bin/python" - <<EOF
import importlib.metadata as m
v = m.version("labtasker")
assert v == "$VERSION", f"expected labtasker $VERSION in the conformance venv, got {v}"
EOF
  echo "$venv_want" >"$venv_stamp"
fi

# --- labtasker's own tests, from its sdist
suite_stamp="$SUITE/.sdist.sha256"
if [[ -f "$suite_stamp" && "$(cat "$suite_stamp")" == "$SDIST_SHA256" && -f "$SUITE/tests/test_client/conftest.py" ]]; then
  exit 0
fi

if [[ ! -f "$UPSTREAM/$SDIST" ]] || [[ "$(sha256sum "$UPSTREAM/$SDIST" | cut -d' ' -f1)" != "$SDIST_SHA256" ]]; then
  echo "conformance: downloading $SDIST from PyPI" >&2
  rm -rf "$UPSTREAM"
  mkdir -p "$UPSTREAM"
  "$VENV/bin/python" -m pip download --quiet --disable-pip-version-check --no-binary :all: --no-deps \
    --dest "$UPSTREAM" "labtasker==$VERSION"
fi
got="$(sha256sum "$UPSTREAM/$SDIST" | cut -d' ' -f1)"
if [[ "$got" != "$SDIST_SHA256" ]]; then
  echo "conformance: $SDIST has sha256 $got, expected $SDIST_SHA256" >&2
  exit 1
fi

rm -rf "$SUITE"
mkdir -p "$SUITE"
# Only tests/: the package itself is the venv's labtasker 1.0.1 (the same code, installed from the wheel).
tar -xzf "$UPSTREAM/$SDIST" -C "$SUITE" --strip-components=1 "labtasker-$VERSION/tests"
echo "$SDIST_SHA256" >"$suite_stamp"
echo "conformance: labtasker $VERSION's tests extracted to $SUITE/tests" >&2
