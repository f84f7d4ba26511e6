#!/usr/bin/env bash
# Set up everything `make report` / `make test` need on a fresh machine:
# the system libraries, fonts and browser of the PDF route (Chromium prints the PDF;
# WeasyPrint, the other engine, needs Pango), with --test also the PDF tools the tests
# use, then the project virtualenv with the package installed.
# Idempotent: each step checks before it installs.
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[[ "${1:-}" == "--test" ]] && want_test=1

missing=()
have_lib() { ldconfig -p 2>/dev/null | grep -q "$1"; }
have_lib 'libpango-1.0.so' || missing+=(libpango-1.0-0)
have_lib 'libpangoft2-1.0.so' || missing+=(libpangoft2-1.0-0)
have_lib 'libharfbuzz.so' || missing+=(libharfbuzz0b)
have_lib 'libfontconfig.so' || missing+=(libfontconfig1)
fc-list 2>/dev/null | grep -qi 'DejaVuSans\.ttf' || missing+=(fonts-dejavu-core fontconfig)
if [[ -z "${ARMSBRIEF_CHROMIUM:-}" ]] && ! command -v chromium >/dev/null \
   && ! command -v chromium-browser >/dev/null && ! command -v google-chrome >/dev/null; then
  missing+=(chromium)
fi
if (( want_test )); then
  command -v pdftoppm >/dev/null || missing+=(poppler-utils)
fi

if (( ${#missing[@]} )); then
  echo "setup: missing system packages: ${missing[*]}"
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    sudo apt-get update -qq && sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: cannot install them (not root, no apt-get/sudo). Install with your package manager: ${missing[*]}" >&2
    exit 1
  fi
fi

PY=${PYTHON:-python3}
if [[ ! -x .venv/bin/python ]]; then
  "$PY" -m venv .venv
fi
log=.venv/setup-pip.log
if ! { .venv/bin/python -m pip install -q --upgrade pip && .venv/bin/python -m pip install -q -e ".[dev]"; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "setup: pip install failed (log above, also in $log)" >&2
  exit 1
fi
echo "setup: environment ready (.venv)"
