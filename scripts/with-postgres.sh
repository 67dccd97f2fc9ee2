#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL server on 127.0.0.1:55432.
#
#   scripts/with-postgres.sh pytest -m "not browser"
#
# The server's data lives in a temporary directory that is removed, and the server stopped,
# however the command ends. Needs root (the server runs as the 'postgres' user).
set -euo pipefail

PORT="${PGTEST_PORT:-55432}"
PGBIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
if [[ -z "$PGBIN" || ! -x "$PGBIN/initdb" ]]; then
  echo "with-postgres: PostgreSQL server binaries not found (apt-get install -y postgresql)" >&2
  exit 2
fi

TMP="$(mktemp -d)"
chmod 755 "$TMP"
started=0
cleanup() {
  if [[ $started == 1 ]]; then
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$TMP/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

install -d -o postgres -g postgres "$TMP/data" "$TMP/sock" "$TMP/logs"
runuser -u postgres -- "$PGBIN/initdb" -D "$TMP/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$TMP/data" -l "$TMP/logs/server.log" -w \
  -o "-p $PORT -k $TMP/sock -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
  start >/dev/null || { cat "$TMP/logs/server.log" >&2; exit 2; }
started=1
echo "with-postgres: PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT"

export DATABASE_URL="postgres://postgres@127.0.0.1:$PORT/postgres"
"$@"
