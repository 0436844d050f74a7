#!/usr/bin/env bash
# The whole test suite: static checks, then every test on SQLite and on PostgreSQL.
# Both engines must run: a missing PostgreSQL is a failure, not a skip.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export DEBUG=1
# Live-server threads must not keep connections open past a test (PostgreSQL would refuse to drop the test DB).
export CONN_MAX_AGE=0
mkdir -p var
# Compiled modules are kept (__pycache__, ignored by git): the run starts some twenty Python processes, and each
# would otherwise compile the project again and rewrite pytest's assertions again (5 s per test process).
unset PYTHONDONTWRITEBYTECODE
PG_URL=${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/acv}

# Each engine's test database is migrated, and the reference programme loaded, once for the whole run
# (tests/template_db.py): in the background, while the static checks run.
if ! $BIN/python -c "import psycopg2,sys; psycopg2.connect(sys.argv[1].rsplit('/', 1)[0] + '/postgres').close()" "$PG_URL"; then
  echo "PostgreSQL ne répond pas sur $PG_URL : la suite doit tourner sur les deux moteurs." >&2
  exit 1
fi
echo "== test databases (SQLite, PostgreSQL), built in the background"
DATABASE_URL= $BIN/python -m tests.template_db &
sqlite_template=$!
DATABASE_URL=$PG_URL $BIN/python -m tests.template_db &
postgres_template=$!
trap 'kill "$sqlite_template" "$postgres_template" 2>/dev/null || true' EXIT

echo "== ruff"
$BIN/ruff check .
$BIN/ruff format --check .
echo "== import-linter"
$BIN/lint-imports
echo "== manage.py check / makemigrations --check"
$BIN/python manage.py check
$BIN/python manage.py makemigrations --check --dry-run
echo "== check --deploy (production settings)"
DEBUG=0 SECRET_KEY="$(head -c 48 /dev/urandom | base64)" ALLOWED_HOSTS=acv.example.org \
  $BIN/python manage.py check --deploy --fail-level WARNING

# The whole suite on two workers (the machines have two cores; each worker gets its own test database), and
# beside it, in a process of its own, the schemathesis module: its last test checks what every persona reached
# over the whole module, which workers would each see only part of (its cases also share one node id, which
# pytest-xdist cannot dispatch). Started together, the three processes keep both cores busy; the module ends
# long before the browser tests, which come last. Arguments, when given, run just those tests.
suite() {
  if [ $# -gt 0 ]; then
    $BIN/pytest "$@"
  else
    local log status=0 api_status=0
    log=$(mktemp)
    $BIN/pytest tests/api/test_schemathesis.py >"$log" 2>&1 &
    local api=$!
    $BIN/pytest -n "${TEST_WORKERS:-2}" --ignore=tests/api/test_schemathesis.py || status=$?
    wait "$api" || api_status=$?
    echo "-- tests/api/test_schemathesis.py"
    cat "$log"
    rm -f "$log"
    [ "$status" -eq 0 ] && [ "$api_status" -eq 0 ]
  fi
}

# Each engine's tests wait only for their own template: PostgreSQL's finishes while SQLite's tests start.
wait "$sqlite_template"

echo "== tests on SQLite"
DATABASE_URL= suite "$@"

wait "$postgres_template"
echo "== tests on PostgreSQL ($PG_URL)"
DATABASE_URL=$PG_URL suite "$@"
