#!/usr/bin/env bash
# tests/data/detect/workload.sh — REAL PostgreSQL 15 logs, one per
# log_line_prefix, cut short as a DBA often gets them (the first lines of a
# client's session: no startup banner to learn from), for prefix detection.
#
# Usage (as root):   bash tests/data/detect/workload.sh
#
# A throwaway cluster in a `mktemp -d` directory (owned by the `postgres` OS
# user, 127.0.0.1 only, port $PGSIFT_PORT, default 54334), deleted on exit.
# For each prefix below the server is restarted with that log_line_prefix
# (and compute_query_id = on, log_min_duration_statement = 0,
# log_connections, log_disconnections, lc_messages C), one psql session runs
# three statements, and the log from that session's "connection received"
# line on is kept: NAME.log. prefixes.tsv lists NAME <tab> prefix.
#
# Then csvlog-plans.csv: a csvlog (logging_collector) of the same server with
# auto_explain logging every plan (text format: each record spans many lines),
# 60 statements of 3 kinds from one psql session. Its first lines are mostly
# plan lines: a format sniffer that counts lines, not records, misses it.
#
# The logs are byte-for-byte what the server wrote (pg_ctl -l, or the
# collector's .csv file), stderr ones cut with sed; they are copied out after
# the server has stopped.

set -euo pipefail

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PORT=${PGSIFT_PORT:-54334}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# name, prefix: the issue's example, the cloud defaults, and escapes that
# print ids (%x, %v, %c, %Q) or words with spaces (%b)
PREFIXES=(
    "xid-appli|%t [%p]: [%l-1] [%x] usr=%u,db=%d,appli=%a "
    "vxid-session|%m [%p] %v %c %q%u@%d "
    "backend-type|%m [%b] %q%u@%d "
    "queryid|%m [%p] [queryid=%Q] %q%u@%d "
    "azure|%t-%c-"
    "rds|%t:%r:%u@%d:[%p]:"
)

[[ $(id -u) -eq 0 ]] || { echo "run as root" >&2; exit 1; }
WORK=$(mktemp -d /tmp/pgsift-detect.XXXXXX)
chmod 0755 "$WORK"
DATA=$WORK/data
trap 'set +e; [[ -f $DATA/postmaster.pid ]] && runuser -u postgres -- "$PGBIN/pg_ctl" -D "$DATA" stop -m immediate -w >/dev/null 2>&1; rm -rf "$WORK"' EXIT
mkdir -p "$DATA" "$WORK/out"
chown -R postgres: "$WORK"
chmod 0700 "$DATA"
runuser -u postgres -- "$PGBIN/initdb" -D "$DATA" -U postgres --auth=trust --locale=C >/dev/null
cat >>"$DATA/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$WORK'
lc_messages = 'C'
log_timezone = 'UTC'
log_min_duration_statement = 0
log_connections = on
log_disconnections = on
compute_query_id = on
include 'prefix.conf'
EOF
: >"$HERE/prefixes.tsv.new"
for entry in "${PREFIXES[@]}"; do
    name=${entry%%|*}
    prefix=${entry#*|}
    printf "log_line_prefix = '%s'\n" "$prefix" >"$DATA/prefix.conf"
    chown postgres: "$DATA/prefix.conf"
    log=$WORK/$name.full
    (cd "$WORK" && runuser -u postgres -- "$PGBIN/pg_ctl" -D "$DATA" -l "$log" -w start >/dev/null)
    PGAPPNAME=psql "$PGBIN/psql" -X -q -h 127.0.0.1 -p "$PORT" -U postgres -d postgres \
        -c "SELECT count(*) FROM pg_class" -c "SELECT 1 + 1" -c "SELECT now()" >/dev/null
    (cd "$WORK" && runuser -u postgres -- "$PGBIN/pg_ctl" -D "$DATA" -w stop -m fast >/dev/null)
    sed -n '/connection received/,$p' "$log" | head -n 8 >"$HERE/$name.log"
    printf '%s\t%s\n' "$name" "$prefix" >>"$HERE/prefixes.tsv.new"
    echo "[detect] wrote $name.log ($(wc -l <"$HERE/$name.log") lines)" >&2
done
mv "$HERE/prefixes.tsv.new" "$HERE/prefixes.tsv"

# csvlog with multi-line auto_explain plans
mkdir -p "$WORK/csv"
chown postgres: "$WORK/csv"
cat >"$DATA/prefix.conf" <<EOF
log_line_prefix = '%m [%p] '
logging_collector = on
log_destination = 'csvlog'
log_directory = '$WORK/csv'
log_filename = 'postgresql.log'
session_preload_libraries = 'auto_explain'
auto_explain.log_min_duration = 0
auto_explain.log_analyze = on
EOF
chown postgres: "$DATA/prefix.conf"
(cd "$WORK" && runuser -u postgres -- "$PGBIN/pg_ctl" -D "$DATA" -l "$WORK/csv.stderr" -w start >/dev/null)
{
    echo "CREATE TABLE t AS SELECT g AS id, g % 10 AS k FROM generate_series(1, 1000) g;"
    for i in $(seq 1 20); do
        echo "SELECT count(*) FROM t WHERE k = $((i % 10));"
        echo "SELECT id FROM t WHERE id = $i;"
        echo "SELECT k, count(*) FROM t GROUP BY k ORDER BY k;"
    done
} | PGAPPNAME=psql "$PGBIN/psql" -X -q -h 127.0.0.1 -p "$PORT" -U postgres -d postgres >/dev/null
(cd "$WORK" && runuser -u postgres -- "$PGBIN/pg_ctl" -D "$DATA" -w stop -m fast >/dev/null)
cp "$WORK/csv/postgresql.csv" "$HERE/csvlog-plans.csv"
echo "[detect] wrote csvlog-plans.csv ($(wc -l <"$HERE/csvlog-plans.csv") lines)" >&2
