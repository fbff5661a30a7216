#!/usr/bin/env bash
# Install everything the app needs into .venv and static/vendor. Safe to run again.
# Usage: scripts/setup.sh [--dev]   (--dev adds the test and lint tools)
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
if [ "${1:-}" = "--dev" ]; then
  .venv/bin/python -m pip install --quiet -r requirements-dev.txt
else
  .venv/bin/python -m pip install --quiet -r requirements.txt
fi
.venv/bin/python -m pip install --quiet --no-deps -e .

# Front-end assets come from the npm registry, pinned in package-lock.json, and are copied
# into static/vendor so that no page loads anything from a CDN.
npm ci --no-audit --no-fund --loglevel=error
.venv/bin/python scripts/vendor_assets.py
