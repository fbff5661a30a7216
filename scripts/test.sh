#!/usr/bin/env bash
# Set up and run every test: lint, rule-pack checks and scenarios, unit and web tests on
# SQLite and PostgreSQL, and browser tests in Debian's chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --dev

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }

# System packages: Debian's chromium for browser tests, PostgreSQL for the second database lane.
missing=()
command -v chromium >/dev/null || missing+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]} from Debian packages"
  as_root apt-get update -qq || true
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null \
    || echo "warning: could not install ${missing[*]}"
fi

# A throwaway PostgreSQL cluster on a private port, removed when the tests end.
if [ -z "${TEST_POSTGRES_URL:-}" ] && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  pgbin=$(dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")
  pgdir=$(mktemp -d /tmp/planning-sv-pg.XXXXXX)
  pgport=${PGPORT_TEST:-54329}
  runpg() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }
  [ "$(id -u)" = 0 ] && chown postgres "$pgdir"
  runpg "$pgbin/initdb -D $pgdir/data -U postgres -A trust >/dev/null"
  runpg "$pgbin/pg_ctl -D $pgdir/data -o '-p $pgport -k $pgdir -c listen_addresses=127.0.0.1' -l $pgdir/log -w start >/dev/null"
  trap 'runpg "$pgbin/pg_ctl -D $pgdir/data -m fast stop >/dev/null" || true; rm -rf "$pgdir"' EXIT
  export TEST_POSTGRES_URL="postgresql+psycopg://postgres@127.0.0.1:$pgport/postgres"
fi

.venv/bin/ruff check .
.venv/bin/planning-sv plans check
.venv/bin/planning-sv plans test
.venv/bin/python -m pytest "$@"
