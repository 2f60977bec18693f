#!/usr/bin/env bash
# tests/data/precision/workload.sh — one REAL PostgreSQL 15 run logged twice at
# once: to stderr with whole-second timestamps (`%t`) and to csvlog
# (milliseconds), so that what second-resolution timestamps can and cannot
# measure is compared on the very same events.
#
# Usage (as root):   bash tests/data/precision/workload.sh
#
# A throwaway cluster in a `mktemp -d` directory (owned by the `postgres` OS
# user, Unix socket in that directory only, no TCP; port $PGSIFT_PORT, default
# 54333), deleted on exit. logging_collector = on, log_destination =
# 'stderr,csvlog', one file each (no rotation), log_line_prefix
# '%t [%p]: user=%u,db=%d,app=%a ', every statement logged with its duration,
# connections and disconnections logged, lc_messages C, log_timezone UTC.
#
# The workload (database `precision`, table `accounts` of 100 rows), three
# groups of sessions started together:
#   - application `short`: pgbench -c 3 -t 4 with pause-short.sql: 12 explicit
#     transactions, each with one pause of the client of 300 ms between its
#     UPDATE and its SELECT;
#   - application `long`: pgbench -c 2 -t 2 with pause-long.sql: 4 explicit
#     transactions, each with one pause of 2500 ms;
#   - application `sleeper`: 3 psql sessions, 400 ms apart, each running
#     `SELECT pg_sleep(1)` outside any transaction (concurrent sessions, no
#     pause inside a transaction).
# Each client updates its own row: no lock waits.
#   -> postgresql.log (stderr, %t) and postgresql.csv (csvlog), the files the
#      logging collector wrote, copied out byte for byte after the server has
#      stopped.
# What a DBA reads from it: 16 pauses inside transactions (12 of ~0.3 s and 4
# of ~2.5 s) in the csvlog; in the %t log, only the 2.5 s ones can be told
# from the timestamps, and only to about a second.

set -euo pipefail

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PORT=${PGSIFT_PORT:-54333}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

log() { printf '[precision] %s\n' "$*" >&2; }
die() { printf '[precision] ERROR: %s\n' "$*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "run as root (the server runs as the postgres OS user via runuser)"
for b in initdb pg_ctl psql pgbench; do [[ -x $PGBIN/$b ]] || die "missing $PGBIN/$b"; done
for f in pause-short.sql pause-long.sql; do [[ -f $HERE/$f ]] || die "missing $HERE/$f"; done

WORK=$(mktemp -d /tmp/pgsift-precision.XXXXXX)
chmod 0755 "$WORK"
DATA=$WORK/data
OUT=$WORK/clients.out
mkdir -p "$DATA"
cp "$HERE/pause-short.sql" "$HERE/pause-long.sql" "$WORK/"
chown -R postgres: "$WORK"
chmod 0700 "$DATA"
: >"$OUT"
as_postgres() { runuser -u postgres -- "$@"; }
cleanup() {
    local rc=$?
    set +e
    [[ -f $DATA/postmaster.pid ]] && as_postgres "$PGBIN/pg_ctl" -D "$DATA" stop -m immediate -w >/dev/null 2>&1
    [[ $rc -ne 0 ]] && tail -n 30 "$OUT" >&2
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT

unset PGHOST PGPORT PGUSER PGDATABASE PGAPPNAME PGOPTIONS PGSERVICE PGPASSFILE
# the clients run as root and reach the server through its Unix socket (trust)
psql_local() { "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$WORK" -p "$PORT" "$@" >>"$OUT" 2>&1; }
pgbench_local() { "$PGBIN/pgbench" -h "$WORK" -p "$PORT" "$@" >>"$OUT" 2>&1; }

log "PostgreSQL: $("$PGBIN/postgres" --version); temp dir $WORK, port $PORT"
as_postgres "$PGBIN/initdb" -D "$DATA" -U postgres --encoding=UTF8 --locale=C \
    --auth-local=trust --auth-host=reject >>"$OUT" 2>&1
cat >>"$DATA/postgresql.conf" <<EOF

# --- tests/data/precision/workload.sh ---
listen_addresses = ''
port = $PORT
unix_socket_directories = '$WORK'
lc_messages = 'C'
log_timezone = 'UTC'
logging_collector = on
log_destination = 'stderr,csvlog'
log_directory = 'log'
log_filename = 'postgresql.log'
log_rotation_age = 0
log_rotation_size = 0
log_line_prefix = '%t [%p]: user=%u,db=%d,app=%a '
log_min_duration_statement = 0
log_connections = on
log_disconnections = on
log_checkpoints = on
log_lock_waits = on
EOF
chown postgres: "$DATA/postgresql.conf"

log "start"
(cd "$WORK" && as_postgres "$PGBIN/pg_ctl" -D "$DATA" -l "$WORK/postmaster.out" -w -t 60 start >>"$OUT" 2>&1) \
    || { cat "$WORK/postmaster.out" >&2; die "server did not start"; }

log "schema"
PGAPPNAME=psql psql_local -U postgres -d postgres -c 'CREATE ROLE app LOGIN;' -c 'CREATE DATABASE precision OWNER app;'
PGAPPNAME=migrations psql_local -U app -d precision <<'EOF'
CREATE TABLE accounts (id int PRIMARY KEY, bal int NOT NULL);
INSERT INTO accounts SELECT g, 0 FROM generate_series(1, 100) AS g;
EOF

log "workload: short and long transactions with client pauses, concurrent sleepers"
(cd "$WORK" && PGAPPNAME=short pgbench_local -U app -n -c 3 -j 3 -t 4 -f pause-short.sql precision) &
short=$!
(cd "$WORK" && PGAPPNAME=long pgbench_local -U app -n -c 2 -j 2 -t 2 -f pause-long.sql precision) &
long=$!
sleepers=()
for i in 1 2 3; do
    sleep 0.4
    PGAPPNAME=sleeper psql_local -U app -d precision -c 'SELECT pg_sleep(1);' &
    sleepers+=($!)
done
wait "$short" || die "pgbench short failed"
wait "$long" || die "pgbench long failed"
for p in "${sleepers[@]}"; do wait "$p" || die "psql sleeper failed"; done

log "stop"
(cd "$WORK" && as_postgres "$PGBIN/pg_ctl" -D "$DATA" -w -t 60 stop -m fast >>"$OUT" 2>&1)

for f in postgresql.log postgresql.csv; do
    cp "$DATA/log/$f" "$HERE/$f"
    chmod 0644 "$HERE/$f"
    log "wrote $HERE/$f ($(wc -l <"$HERE/$f") lines)"
done
