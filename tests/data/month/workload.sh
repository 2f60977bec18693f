#!/usr/bin/env bash
# tests/data/month/workload.sh — a month of REAL PostgreSQL 15 daily logs,
# for `report --per day|week`: November 2026, one log file per day, each
# gzipped as logrotate leaves an archive, one of them running past midnight.
#
# Usage (as root; needs Debian's `faketime`):   bash tests/data/month/workload.sh
#
# PostgreSQL cannot be run for a month here, so its clock is moved: each day
# the server is started under libfaketime (LD_PRELOAD, FAKETIME set to the
# seconds from now to 2026-11-DD 10:00:00 UTC: a clock that starts there and
# runs at real speed), a short workload runs,
# and the server stops; every line is what the server wrote with that clock
# (pg_ctl -l postgresql-2026-11-DD.log), but for the postmaster's few lines
# stamped with the real clock (see below). On November 14 the server starts at
# 23:59:50 and the workload runs for about 20 seconds, so that file holds the
# last seconds of the 14th and the first of the 15th (as a log rotated by
# size, not by day, would).
#
# A throwaway cluster in a `mktemp -d` directory (owned by the `postgres` OS
# user, 127.0.0.1 only, port $PGSIFT_PORT, default 54336), deleted on exit,
# the samples' log settings (log_line_prefix '%m [%p]: [%l-1]
# user=%u,db=%d,app=%a,client=%h ', log_min_duration_statement = 0,
# log_connections, log_disconnections, lc_messages C, log_timezone UTC).
# The workload: `shop-api` runs 20 to 50 lookups (more on weekdays) and
# `shop-batch` one aggregate; on the 20th a division by zero, an error the
# other days do not have.

set -euo pipefail

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PORT=${PGSIFT_PORT:-54336}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

[[ $(id -u) -eq 0 ]] || { echo "run as root" >&2; exit 1; }
FAKETIME_LIB=${FAKETIME_LIB:-/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1}
[[ -f $FAKETIME_LIB ]] || { echo "install faketime (apt-get install faketime)" >&2; exit 1; }
WORK=$(mktemp -d /tmp/pgsift-month.XXXXXX)
chmod 0755 "$WORK"
DATA=$WORK/data
trap 'set +e; rm -f /etc/faketimerc; [[ -f $DATA/postmaster.pid ]] && runuser -u postgres -- "$PGBIN/pg_ctl" -D "$DATA" stop -m immediate -w >/dev/null 2>&1; rm -rf "$WORK"' EXIT
mkdir -p "$DATA"
chown -R postgres: "$WORK"
chmod 0700 "$DATA"
runuser -u postgres -- "$PGBIN/initdb" -D "$DATA" -U postgres --auth=trust --locale=C >/dev/null
cat >>"$DATA/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$WORK'
lc_messages = 'C'
log_timezone = 'UTC'
log_line_prefix = '%m [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h '
log_min_duration_statement = 0
log_connections = on
log_disconnections = on
EOF

sql() { "$PGBIN/psql" -X -q -h 127.0.0.1 -p "$PORT" -U postgres "$@"; }

# schema (its log is not kept)
(cd "$WORK" && runuser -u postgres -- "$PGBIN/pg_ctl" -D "$DATA" -l "$WORK/setup.log" -w start >/dev/null)
sql -d postgres -c "CREATE DATABASE shop" >/dev/null
sql -d shop -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL, amount_cents int NOT NULL);
INSERT INTO orders SELECT g, g % 500, g % 9000 FROM generate_series(1, 20000) g;
CREATE INDEX ON orders (customer_id);
SQL
(cd "$WORK" && runuser -u postgres -- "$PGBIN/pg_ctl" -D "$DATA" -w stop -m fast >/dev/null)
rm -f "$HERE"/postgresql-2026-11-*.log.gz

for day in $(seq 1 30); do
    d=$(printf '2026-11-%02d' "$day")
    start="$d 10:00:00"
    [[ $day -eq 14 ]] && start="$d 23:59:50"
    log=$WORK/postgresql-$d.log
    # libfaketime preloaded directly (the `faketime` wrapper waits for every
    # process sharing its clock, the server too); pg_ctl -w does not see the
    # server start under a moved clock: start without waiting, poll with the real one
    # an offset from the real clock, not libfaketime's "@start" form: with it
    # the postmaster wrote some lines with the real time
    # The offset is also written to /etc/faketimerc, which libfaketime reads
    # when FAKETIME is not in the environment: the postmaster moves its
    # environment (for its process title) and some of its lines were written
    # with the real time with the variable alone.
    offset=$(( $(date -u -d "$start" +%s) - $(date -u +%s) ))
    echo "${offset}" >/etc/faketimerc
    (cd "$WORK" && runuser -u postgres -- env LD_PRELOAD="$FAKETIME_LIB" FAKETIME="${offset}" \
        "$PGBIN/pg_ctl" -D "$DATA" -l "$log" -W start >/dev/null)
    for _ in $(seq 1 100); do
        "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" -U postgres -d postgres && break
        sleep 0.1
    done
    weekday=$(date -d "$d" +%u)
    n=$(( weekday <= 5 ? 50 : 20 ))
    for i in $(seq 1 "$n"); do
        echo "SELECT id, amount_cents FROM orders WHERE customer_id = $(( (day * 37 + i * 11) % 500 ));"
    done | PGAPPNAME=shop-api sql -d shop >/dev/null
    PGAPPNAME=shop-batch sql -d shop -c "SELECT customer_id, sum(amount_cents) FROM orders GROUP BY customer_id ORDER BY 2 DESC LIMIT 5" >/dev/null
    if [[ $day -eq 20 ]]; then
        PGAPPNAME=shop-batch sql -d shop -c "SELECT 1 / 0" >/dev/null 2>&1 || true
    fi
    # the 14th runs past midnight
    [[ $day -eq 14 ]] && sleep 20 && PGAPPNAME=shop-api sql -d shop -c "SELECT count(*) FROM orders" >/dev/null
    (cd "$WORK" && runuser -u postgres -- "$PGBIN/pg_ctl" -D "$DATA" -w stop -m fast >/dev/null)
    rm -f /etc/faketimerc
    # The postmaster writes its own lifecycle lines after it forked its first
    # child ("ready to accept connections", "received fast shutdown request",
    # "database system is shut down", ...) with the real clock: libfaketime
    # does not reach it there (neither the environment nor /etc/faketimerc
    # changed that). Those few lines, stamped today, are cut out; every other
    # line is as the server wrote it.
    today=$(date -u +%Y-%m-%d)
    grep -v "^$today " "$log" | gzip -9 -n -c >"$HERE/postgresql-$d.log.gz"
    echo "[month] wrote postgresql-$d.log.gz ($(grep -vc "^$today " "$log") lines, $(grep -c "^$today " "$log") real-clock lines cut)" >&2
done
