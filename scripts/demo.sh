#!/usr/bin/env bash
# The demo: validate the example governance repository (more stages join as they land).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
echo "== kpigov validate (example governance repository)"
$BIN/kpigov validate .
