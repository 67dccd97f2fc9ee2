#!/usr/bin/env bash
# The whole pytest suite on SQLite and, side by side, on PostgreSQL (`make test`).
#
# The two passes share nothing (each its own database; the browser and file-database tests run
# only on SQLite), so on a two-core machine running them together roughly halves the wait. The
# PostgreSQL pass writes to var/test-postgres.log, printed when it ends; the script fails if
# either pass fails.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p var
PY=.venv/bin/python
export SAFERHOOD_PROFILE=dev

# The analytics library has no database (it imports no Django): its tests run once, on SQLite.
scripts/with-postgres.sh "$PY" -m pytest -p no:cacheprovider --durations=10 -m "not browser and not sqlite_file" \
  --ignore=saferhood/analytics >var/test-postgres.log 2>&1 &
postgres_pid=$!

echo "test: SQLite pass here; PostgreSQL pass alongside (var/test-postgres.log)"
"$PY" -m pytest --durations=10 "$@"
sqlite_rc=$?

wait "$postgres_pid"
postgres_rc=$?
echo
echo "================================ PostgreSQL pass ================================"
cat var/test-postgres.log
echo "test: SQLite pass exit $sqlite_rc, PostgreSQL pass exit $postgres_rc"
[[ $sqlite_rc == 0 && $postgres_rc == 0 ]]
