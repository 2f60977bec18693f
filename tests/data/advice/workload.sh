#!/usr/bin/env bash
# tests/data/advice/workload.sh — REAL PostgreSQL 15 logs and statistics exports
# for the index advice (issue 17) and for a pure pgbench workload, made with
# server settings other than the samples' (second-resolution `%t` prefix, a
# statistics reset before the export, plain `SELECT *` exports).
#
# Usage (as root):   bash tests/data/advice/workload.sh
#
# A throwaway cluster in a `mktemp -d` directory (owned by the `postgres` OS
# user, 127.0.0.1 only, port $PGSIFT_PORT, default 54331), deleted on exit.
#
# Run A (database `shop`, schema and data: schema.sql beside this script),
#   log_line_prefix '%t [%p]: user=%u,db=%d,app=%a,client=%h ', every statement
#   logged with its duration, auto_explain of statements >= 2 ms (ANALYZE,
#   BUFFERS, text), pg_stat_statements, lc_messages C:
#     1. a first batch of traffic, then pg_stat_reset() and
#        pg_stat_statements_reset(): the table counters restart from zero
#        (n_live_tup too), as on a server whose statistics were reset;
#     2. four new orders (n_live_tup of orders is then 4 for 40,004 rows);
#     3. the storefront (pgbench -M extended, storefront.sql): a customer by
#        primary key, then that customer's last 10 orders by customer_email
#        (NOT indexed: a sequential scan of 40,004 rows), ORDER BY created_at
#        DESC, 4 clients x 10 = 40 times, 150 ms apart in each session (no
#        burst: not an N+1);
#     4. reports (psql, simple protocol), 3 times each: an aggregate ordered by
#        its output alias `spent`; a hash join of orders with customers
#        filtered by country (12.5% of customers); a CTE `spenders` filtered on
#        orders.status (25% of rows) and joined to customers;
#     5. two exports as the `auditor` role (pg_monitor + pg_read_all_data, so
#        pg_stats is readable):
#          export/  samples/pgsift-export.psql, unchanged
#          plain/   `\copy (SELECT * FROM <view>) TO '<view>.csv' CSV HEADER`
#                   of pg_stat_user_tables, pg_stat_user_indexes, pg_indexes
#                   and pg_stat_statements, as DBAs export by hand
#     -> shop.log, export/*.csv, plain/*.csv
#   What a senior DBA proposes from it: orders (customer_email, created_at), and
#   nothing else (no index on an alias, a CTE, or an unselective filter).
#
# Run B (database `bench`), log_line_prefix '%m [%p] %q%u@%d ', every statement
#   with its duration, no auto_explain: pgbench -i -s 1, then its TPC-B-like
#   script, -M prepared (2 clients x 150) and -M simple (2 x 50); an export of
#   `bench` with samples/pgsift-export.psql.
#     -> pgbench.log, pgbench-export/*.csv
#   What a senior DBA finds in it: no N+1, no missing index.
#
# The logs are byte-for-byte what the postmaster wrote on its stderr (pg_ctl
# -l), the CSV files what psql's \copy wrote; both are copied out only after
# the server has stopped.

set -euo pipefail

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PORT=${PGSIFT_PORT:-54331}
HOST=127.0.0.1
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
EXPORT_SQL=$(cd "$HERE/../../.." && pwd)/samples/pgsift-export.psql
SUPER_PW=advice-super
APP_ROLE=shop
APP_PW=advice-shop
AUDIT_ROLE=auditor
AUDIT_PW=advice-audit
SEED=20261204

log() { printf '[advice] %s\n' "$*" >&2; }
die() { printf '[advice] ERROR: %s\n' "$*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "run as root (the server runs as the postgres OS user via runuser)"
[[ -f $EXPORT_SQL ]] || die "missing $EXPORT_SQL"
for b in initdb pg_ctl psql pgbench; do [[ -x $PGBIN/$b ]] || die "missing $PGBIN/$b"; done

WORK=$(mktemp -d /tmp/pgsift-advice.XXXXXX)
chmod 0755 "$WORK"
DATA=$WORK/data
OUT=$WORK/clients.out
mkdir -p "$DATA" "$WORK/export" "$WORK/plain" "$WORK/pgbench-export"
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

export PGPASSFILE=$WORK/pgpass
printf '%s:%s:*:%s:%s\n' "$HOST" "$PORT" postgres "$SUPER_PW" "$HOST" "$PORT" "$APP_ROLE" "$APP_PW" \
    "$HOST" "$PORT" "$AUDIT_ROLE" "$AUDIT_PW" >"$PGPASSFILE"
chmod 0600 "$PGPASSFILE"
unset PGHOST PGPORT PGUSER PGDATABASE PGAPPNAME PGOPTIONS PGSERVICE

psql_super() { "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$WORK" -p "$PORT" -U postgres "$@" >>"$OUT" 2>&1; }
psql_app() { "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$HOST" -p "$PORT" -U "$APP_ROLE" -d shop "$@" >>"$OUT" 2>&1; }
psql_audit() { "$PGBIN/psql" -X -q -h "$HOST" -p "$PORT" -U "$AUDIT_ROLE" "$@" >>"$OUT" 2>&1; }
pgbench_tcp() { "$PGBIN/pgbench" -h "$HOST" -p "$PORT" "$@" >>"$OUT" 2>&1; }

start_server() {
    (cd "$WORK" && as_postgres "$PGBIN/pg_ctl" -D "$DATA" -l "$1" -w -t 60 start >>"$OUT" 2>&1) \
        || { cat "$1" >&2; die "server did not start"; }
}
stop_server() { (cd "$WORK" && as_postgres "$PGBIN/pg_ctl" -D "$DATA" -w -t 60 stop -m fast >>"$OUT" 2>&1); }

# $1 = database, $2 = folder: the export script, unchanged, as the auditor.
export_script() {
    (cd "$2" && PGAPPNAME=pgsift-export psql_audit -d "$1" -f "$EXPORT_SQL")
}

log "PostgreSQL: $("$PGBIN/postgres" --version); temp dir $WORK, port $PORT"
printf '%s\n' "$SUPER_PW" >"$WORK/pwfile"
chown postgres: "$WORK/pwfile"
as_postgres "$PGBIN/initdb" -D "$DATA" -U postgres --pwfile="$WORK/pwfile" \
    --encoding=UTF8 --locale=C --auth-local=trust --auth-host=scram-sha-256 >>"$OUT" 2>&1
rm -f "$WORK/pwfile"
cat >>"$DATA/postgresql.conf" <<EOF

# --- tests/data/advice/workload.sh ---
listen_addresses = '$HOST'
port = $PORT
unix_socket_directories = '$WORK'
lc_messages = 'C'
log_timezone = 'UTC'
log_min_duration_statement = 0
log_connections = on
log_disconnections = on
log_checkpoints = on
log_lock_waits = on
log_temp_files = 0
shared_preload_libraries = 'auto_explain,pg_stat_statements'
track_io_timing = on
include_if_exists 'advice-run.conf'
EOF
cat >"$DATA/advice-run.conf" <<'EOF'
log_line_prefix = '%t [%p]: user=%u,db=%d,app=%a,client=%h '
auto_explain.log_min_duration = '2ms'
auto_explain.log_analyze = on
auto_explain.log_buffers = on
EOF
chown postgres: "$DATA"/*.conf

# ============================ run A: shop ===================================
LOG_A=$WORK/shop.log
log "run A: start"
start_server "$LOG_A"
export PGAPPNAME=psql
psql_super -d postgres <<EOF
CREATE ROLE $APP_ROLE LOGIN PASSWORD '$APP_PW';
CREATE DATABASE shop OWNER $APP_ROLE;
CREATE ROLE $AUDIT_ROLE LOGIN PASSWORD '$AUDIT_PW';
GRANT pg_monitor, pg_read_all_data TO $AUDIT_ROLE;
EOF
psql_super -d shop -c 'CREATE EXTENSION pg_stat_statements;'

log "run A: schema and data"
PGAPPNAME=migrations psql_app -f "$HERE/schema.sql"

reports() {
    local country
    for country in FR DE ES; do
        psql_app <<EOF
select customer_email, count(*) as n, sum(total) as spent from orders group by customer_email order by spent desc limit 5;
select c.country, count(*) as orders, sum(o.total) as revenue from orders o join customers c on c.id = o.customer_id where c.country = '$country' group by c.country;
with spenders as (select customer_id, sum(total) as spent from orders where status = 'paid' group by customer_id) select c.email, s.spent from spenders s join customers c on c.id = s.customer_id order by s.spent desc limit 10;
EOF
    done
}

log "run A: traffic before the statistics reset"
PGAPPNAME=storefront pgbench_tcp -U "$APP_ROLE" -n -M extended --random-seed="$SEED" \
    -c 2 -j 2 -t 5 -f "$HERE/storefront.sql" shop
PGAPPNAME=reports reports

log "run A: pg_stat_reset(), pg_stat_statements_reset()"
psql_super -d shop -c 'SELECT pg_stat_reset();' -c 'SELECT pg_stat_statements_reset();'

log "run A: four new orders, the storefront, the reports"
PGAPPNAME=checkout psql_app <<'EOF'
insert into orders (id, customer_id, customer_email, status, total, created_at)
select 40000 + g, g, 'customer' || g || '@example.com', 'pending', 10 * g, now()
  from generate_series(1, 4) as g;
EOF
PGAPPNAME=storefront pgbench_tcp -U "$APP_ROLE" -n -M extended --random-seed="$((SEED + 1))" \
    -c 4 -j 2 -t 10 -f "$HERE/storefront.sql" shop
PGAPPNAME=reports reports

log "run A: exports"
export_script shop "$WORK/export"
for view in pg_stat_user_tables pg_stat_user_indexes pg_indexes pg_stat_statements; do
    (cd "$WORK/plain" && PGAPPNAME=psql psql_audit -d shop \
        -c "\\copy (SELECT * FROM $view) TO '$view.csv' CSV HEADER")
done
log "run A: stop"
stop_server

# ============================ run B: pgbench ================================
cat >"$DATA/advice-run.conf" <<'EOF'
log_line_prefix = '%m [%p] %q%u@%d '
auto_explain.log_min_duration = -1
EOF
LOG_B=$WORK/pgbench.log
log "run B: start"
start_server "$LOG_B"
export PGAPPNAME=pgbench
psql_super -d postgres -c 'CREATE DATABASE bench;'
psql_super -d bench -c 'CREATE EXTENSION pg_stat_statements;'
pgbench_tcp -U postgres -i -s 1 bench
pgbench_tcp -U postgres --random-seed="$SEED" -M prepared -c 2 -j 2 -t 150 bench
pgbench_tcp -U postgres --random-seed="$SEED" -M simple -c 2 -j 2 -t 50 bench
export_script bench "$WORK/pgbench-export"
log "run B: stop"
stop_server

# ============================ publish =======================================
publish_dir() {
    rm -rf "$HERE/$1"
    mkdir -p "$HERE/$1"
    cp "$WORK/$1"/*.csv "$HERE/$1/"
    chmod 0644 "$HERE/$1"/*.csv
    log "wrote $HERE/$1/ ($(ls "$HERE/$1" | wc -l) files)"
}
for f in shop.log pgbench.log; do
    cp "$WORK/$f" "$HERE/$f"
    chmod 0644 "$HERE/$f"
    log "wrote $HERE/$f ($(wc -l <"$HERE/$f") lines)"
done
publish_dir export
publish_dir plain
publish_dir pgbench-export
