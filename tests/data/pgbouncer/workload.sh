#!/usr/bin/env bash
# tests/data/pgbouncer/workload.sh — a REAL pgBouncer log (Debian's pgbouncer
# package, 1.18) in front of a PostgreSQL 15 server, for the connection-pool
# evidence.
#
# Usage (as root):   bash tests/data/pgbouncer/workload.sh
#
# A throwaway PostgreSQL cluster and pgBouncer in a `mktemp -d` directory
# (owned by the `postgres` OS user, 127.0.0.1 only; PostgreSQL on
# $PGSIFT_PORT, default 54336, pgBouncer on the next port), deleted on exit.
# pgBouncer: pool_mode = transaction, default_pool_size = 2,
# max_client_conn = 6, stats_period = 1 (a `stats:` line every second),
# auth_type = scram-sha-256 with a userlist; its log file is the sample.
#   1. pgbench -i through pgBouncer, then pgbench TPC-B-like, 4 clients x 150
#      transactions (4 clients share 2 server connections: they wait);
#   2. two logins with a wrong password (login failures);
#   3. 8 clients at once holding a connection 2 s (max_client_conn 6: two are
#      refused, "no more connections allowed");
# -> pgbouncer.log, byte-for-byte what pgBouncer wrote, copied after it stopped.

set -euo pipefail

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PORT=${PGSIFT_PORT:-54336}
BPORT=$((PORT + 1))
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PW=bouncer-app

[[ $(id -u) -eq 0 ]] || { echo "run as root" >&2; exit 1; }
command -v pgbouncer >/dev/null || { echo "install pgbouncer (Debian package)" >&2; exit 1; }
WORK=$(mktemp -d /tmp/pgsift-bouncer.XXXXXX)
chmod 0755 "$WORK"
DATA=$WORK/data
cleanup() {
    set +e
    [[ -f $WORK/pgbouncer.pid ]] && kill "$(cat "$WORK/pgbouncer.pid")" 2>/dev/null
    [[ -f $DATA/postmaster.pid ]] && runuser -u postgres -- "$PGBIN/pg_ctl" -D "$DATA" stop -m immediate -w >/dev/null 2>&1
    rm -rf "$WORK"
}
trap cleanup EXIT
mkdir -p "$DATA"
chown -R postgres: "$WORK"
chmod 0700 "$DATA"
runuser -u postgres -- "$PGBIN/initdb" -D "$DATA" -U postgres --auth=trust --locale=C --encoding=UTF8 >/dev/null
cat >>"$DATA/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$WORK'
EOF
(cd "$WORK" && runuser -u postgres -- "$PGBIN/pg_ctl" -D "$DATA" -l "$WORK/server.log" -w start >/dev/null)
"$PGBIN/psql" -X -q -h 127.0.0.1 -p "$PORT" -U postgres -d postgres \
    -c "CREATE ROLE app LOGIN PASSWORD '$PW'" -c "CREATE DATABASE bench OWNER app"
cat >"$WORK/pgbouncer.ini" <<EOF
[databases]
bench = host=127.0.0.1 port=$PORT dbname=bench

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $BPORT
unix_socket_dir =
auth_type = scram-sha-256
auth_file = $WORK/userlist.txt
pool_mode = transaction
default_pool_size = 2
max_client_conn = 6
stats_period = 1
logfile = $WORK/pgbouncer.log
pidfile = $WORK/pgbouncer.pid
EOF
printf '"app" "%s"\n' "$PW" >"$WORK/userlist.txt"
chown postgres: "$WORK/pgbouncer.ini" "$WORK/userlist.txt"
runuser -u postgres -- pgbouncer -d "$WORK/pgbouncer.ini"
sleep 1
export PGPASSWORD=$PW
"$PGBIN/pgbench" -i -s 1 -h 127.0.0.1 -p "$BPORT" -U app bench >/dev/null 2>&1
"$PGBIN/pgbench" -n --random-seed=20261204 -c 4 -j 2 -t 150 -h 127.0.0.1 -p "$BPORT" -U app bench >/dev/null
for i in 1 2; do
    PGPASSWORD=wrong "$PGBIN/psql" -X -q -h 127.0.0.1 -p "$BPORT" -U app -d bench -c 'SELECT 1' >/dev/null 2>&1 || true
done
for i in $(seq 1 8); do
    "$PGBIN/psql" -X -q -h 127.0.0.1 -p "$BPORT" -U app -d bench -c 'SELECT pg_sleep(2)' >/dev/null 2>&1 &
    sleep 0.05
done
wait || true
sleep 2
kill "$(cat "$WORK/pgbouncer.pid")"
sleep 1
(cd "$WORK" && runuser -u postgres -- "$PGBIN/pg_ctl" -D "$DATA" -w stop -m fast >/dev/null)
cp "$WORK/pgbouncer.log" "$HERE/pgbouncer.log"
chmod 0644 "$HERE/pgbouncer.log"
echo "[pgbouncer] wrote pgbouncer.log ($(wc -l <"$HERE/pgbouncer.log") lines)" >&2
