#!/usr/bin/env bash
# Set up, create the SQLite database, load the demo data for both councils, and serve the
# app at http://127.0.0.1:5000 (override with HOST / PORT).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.venv/bin/planning-sv db upgrade
.venv/bin/planning-sv demo seed
# Public figures of statements approved before the figure tables existed (idempotent).
.venv/bin/planning-sv figures rebuild
exec .venv/bin/planning-sv serve --host "${HOST:-127.0.0.1}" --port "${PORT:-5000}"
