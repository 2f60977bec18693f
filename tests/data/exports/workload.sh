#!/usr/bin/env bash
# tests/data/exports/workload.sh — REAL PostgreSQL 15 statistics exports made
# the ways DBAs make them (issue 19), from one server at one moment, so that
# every habit must give pgsift the same numbers.
#
# Usage (as root):   bash tests/data/exports/workload.sh
#
# A throwaway cluster in a `mktemp -d` directory (owned by the `postgres` OS
# user, 127.0.0.1 only, port $PGSIFT_PORT, default 54333), deleted on exit.
#
# Two databases:
#   shop   the index-advice schema (../advice/schema.sql: orders.customer_email
#          NOT indexed) and its storefront traffic (../advice/storefront.sql,
#          pgbench -M extended, 4 clients x 10), plus a few reports;
#   bench  pgbench -i -s 1, then its TPC-B-like script (-M prepared 2 x 300,
#          -M simple 2 x 100).
# pg_stat_statements is tracked for every role but `auditor`, the role that
# exports (pg_monitor + pg_read_all_data; `pg_stat_statements.track = none`):
# the exports do not change what they export.
#
# Exports, each database's in ONE transaction with stats_fetch_consistency =
# snapshot (every file of one database sees the same counters):
#   script/<db>/   samples/pgsift-export.psql, unchanged (meta.csv names the
#                  database and the snapshot time)
#   plain/<db>/    `\copy (SELECT * FROM <view>) TO '<view>.csv' CSV HEADER`,
#                  one folder per database, no datname, no snapshot time:
#                  pg_stat_user_tables, pg_stat_user_indexes,
#                  pg_statio_user_tables, pg_statio_user_indexes, pg_indexes,
#                  pg_stat_progress_vacuum (header only: nothing running), and
#                  table sizes as people query them (relname,
#                  pg_relation_size, pg_total_relation_size, reltuples)
#   plain/cluster/ the cluster-wide views, exported from shop's transaction:
#                  pg_stat_statements, pg_stat_statements_info,
#                  pg_stat_database, pg_stat_bgwriter, pg_stat_wal,
#                  pg_stat_archiver, pg_settings
#   tsv/<db>/, tsv/cluster/   the same views and queries as plain/, written by
#                  `\copy ... TO ... (FORMAT text, HEADER)`: tab-separated,
#                  `\N` for null
#   twice/1/, twice/2/   pg_stat_user_tables and pg_stat_user_indexes of shop,
#                  plain `SELECT *`, before and after one more storefront run
#                  (4 clients x 5): two snapshots of one database that only
#                  their relids tie together
# then tool-style.py (beside this script) rewrites plain/ the way pgAdmin 4 and
# DBeaver write their CSV downloads: tools/pgadmin/, tools/dbeaver/.
#
# The CSV files are what psql's \copy wrote; they are copied out only after
# the server has stopped.

set -euo pipefail

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PORT=${PGSIFT_PORT:-54333}
HOST=127.0.0.1
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ADVICE=$(cd "$HERE/../advice" && pwd)
EXPORT_SQL=$(cd "$HERE/../../.." && pwd)/samples/pgsift-export.psql
SUPER_PW=exports-super
APP_ROLE=shop
APP_PW=exports-shop
AUDIT_ROLE=auditor
AUDIT_PW=exports-audit
SEED=20261204

log() { printf '[exports] %s\n' "$*" >&2; }
die() { printf '[exports] ERROR: %s\n' "$*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "run as root (the server runs as the postgres OS user via runuser)"
[[ -f $EXPORT_SQL ]] || die "missing $EXPORT_SQL"
for b in initdb pg_ctl psql pgbench; do [[ -x $PGBIN/$b ]] || die "missing $PGBIN/$b"; done
command -v python3 >/dev/null || die "python3 is needed for tool-style.py"

WORK=$(mktemp -d /tmp/pgsift-exports.XXXXXX)
chmod 0755 "$WORK"
DATA=$WORK/data
OUT=$WORK/clients.out
mkdir -p "$DATA" "$WORK/out"
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
psql_audit() { "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$HOST" -p "$PORT" -U "$AUDIT_ROLE" "$@" >>"$OUT" 2>&1; }
pgbench_tcp() { "$PGBIN/pgbench" -h "$HOST" -p "$PORT" "$@" >>"$OUT" 2>&1; }

log "PostgreSQL: $("$PGBIN/postgres" --version); temp dir $WORK, port $PORT"
printf '%s\n' "$SUPER_PW" >"$WORK/pwfile"
chown postgres: "$WORK/pwfile"
as_postgres "$PGBIN/initdb" -D "$DATA" -U postgres --pwfile="$WORK/pwfile" \
    --encoding=UTF8 --locale=C --auth-local=trust --auth-host=scram-sha-256 >>"$OUT" 2>&1
rm -f "$WORK/pwfile"
cat >>"$DATA/postgresql.conf" <<EOF

# --- tests/data/exports/workload.sh ---
listen_addresses = '$HOST'
port = $PORT
unix_socket_directories = '$WORK'
lc_messages = 'C'
log_timezone = 'UTC'
timezone = 'UTC'
shared_preload_libraries = 'pg_stat_statements'
track_io_timing = on
EOF
chown postgres: "$DATA"/*.conf
(cd "$WORK" && as_postgres "$PGBIN/pg_ctl" -D "$DATA" -l "$WORK/server.log" -w -t 60 start >>"$OUT" 2>&1) \
    || { cat "$WORK/server.log" >&2; die "server did not start"; }

psql_super -d postgres <<EOF
CREATE ROLE $APP_ROLE LOGIN PASSWORD '$APP_PW';
CREATE DATABASE shop OWNER $APP_ROLE;
CREATE DATABASE bench;
CREATE ROLE $AUDIT_ROLE LOGIN PASSWORD '$AUDIT_PW';
GRANT pg_monitor, pg_read_all_data TO $AUDIT_ROLE;
ALTER ROLE $AUDIT_ROLE SET pg_stat_statements.track = 'none';
EOF
psql_super -d shop -c 'CREATE EXTENSION pg_stat_statements;'
psql_super -d bench -c 'CREATE EXTENSION pg_stat_statements;'

log "shop: schema, data, storefront, reports"
PGAPPNAME=migrations psql_app -f "$ADVICE/schema.sql"
PGAPPNAME=storefront pgbench_tcp -U "$APP_ROLE" -n -M extended --random-seed="$SEED" \
    -c 4 -j 2 -t 10 -f "$ADVICE/storefront.sql" shop
for country in FR DE ES; do
    PGAPPNAME=reports psql_app <<EOF
select customer_email, count(*) as n, sum(total) as spent from orders group by customer_email order by spent desc limit 5;
select c.country, count(*) as orders, sum(o.total) as revenue from orders o join customers c on c.id = o.customer_id where c.country = '$country' group by c.country;
EOF
done

log "bench: pgbench"
PGAPPNAME=pgbench pgbench_tcp -U postgres -i -s 1 bench
PGAPPNAME=pgbench pgbench_tcp -U postgres --random-seed="$SEED" -M prepared -c 2 -j 2 -t 300 bench
PGAPPNAME=pgbench pgbench_tcp -U postgres --random-seed="$SEED" -M simple -c 2 -j 2 -t 100 bench
# let every backend flush its statistics before the exports
sleep 2

PER_DB_VIEWS="pg_stat_user_tables pg_stat_user_indexes pg_statio_user_tables pg_statio_user_indexes pg_indexes pg_stat_progress_vacuum"
CLUSTER_VIEWS="pg_stat_statements pg_stat_statements_info pg_stat_database pg_stat_bgwriter pg_stat_wal pg_stat_archiver pg_settings"
SIZES="SELECT c.relname, pg_relation_size(c.oid), pg_total_relation_size(c.oid), c.reltuples FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND n.nspname = 'public' ORDER BY 1"

# $1 = database, $2 = 1 to export the cluster-wide views too: one psql script,
# one transaction, every file written from the same statistics snapshot.
export_db() {
    local db=$1 cluster=$2 f=$WORK/export-$1.psql v
    mkdir -p "$WORK/out/script/$db" "$WORK/out/plain/$db" "$WORK/out/tsv/$db"
    {
        echo "BEGIN;"
        echo "SET LOCAL stats_fetch_consistency = snapshot;"
        echo "\\cd $WORK/out/script/$db"
        echo "\\i $EXPORT_SQL"
        echo "\\set ON_ERROR_STOP on"
        for v in $PER_DB_VIEWS; do
            echo "\\copy (SELECT * FROM $v) TO '$WORK/out/plain/$db/$v.csv' CSV HEADER"
            echo "\\copy (SELECT * FROM $v) TO '$WORK/out/tsv/$db/$v.tsv' (FORMAT text, HEADER)"
        done
        echo "\\copy ($SIZES) TO '$WORK/out/plain/$db/sizes.csv' CSV HEADER"
        echo "\\copy ($SIZES) TO '$WORK/out/tsv/$db/sizes.tsv' (FORMAT text, HEADER)"
        if [[ $cluster == 1 ]]; then
            for v in $CLUSTER_VIEWS; do
                echo "\\copy (SELECT * FROM $v) TO '$WORK/out/plain/cluster/$v.csv' CSV HEADER"
                echo "\\copy (SELECT * FROM $v) TO '$WORK/out/tsv/cluster/$v.tsv' (FORMAT text, HEADER)"
            done
        fi
        echo "COMMIT;"
    } >"$f"
    chown postgres: "$f"
    PGAPPNAME=psql psql_audit -d "$db" -f "$f"
}

log "exports"
mkdir -p "$WORK/out/plain/cluster" "$WORK/out/tsv/cluster" "$WORK/out/twice/1" "$WORK/out/twice/2"
chown -R postgres: "$WORK/out"
chmod -R a+rwx "$WORK/out"
export_db shop 1
export_db bench 0

log "twice: shop before and after one more storefront run"
for v in pg_stat_user_tables pg_stat_user_indexes; do
    PGAPPNAME=psql psql_audit -d shop -c "\\copy (SELECT * FROM $v) TO '$WORK/out/twice/1/$v.csv' CSV HEADER"
done
PGAPPNAME=storefront pgbench_tcp -U "$APP_ROLE" -n -M extended --random-seed="$((SEED + 1))" \
    -c 4 -j 2 -t 5 -f "$ADVICE/storefront.sql" shop
sleep 2
for v in pg_stat_user_tables pg_stat_user_indexes; do
    PGAPPNAME=psql psql_audit -d shop -c "\\copy (SELECT * FROM $v) TO '$WORK/out/twice/2/$v.csv' CSV HEADER"
done

(cd "$WORK" && as_postgres "$PGBIN/pg_ctl" -D "$DATA" -w -t 60 stop -m fast >>"$OUT" 2>&1)
grep -q 'ERROR' "$OUT" && { grep 'ERROR' "$OUT" >&2; die "a client failed"; }

# ============================ publish =======================================
for d in script plain tsv twice; do
    rm -rf "${HERE:?}/$d"
    cp -r "$WORK/out/$d" "$HERE/$d"
done
rm -rf "$HERE/tools"
python3 "$HERE/tool-style.py" "$HERE/plain" "$HERE/tools"
find "$HERE" -type d -exec chmod 0755 {} +
find "$HERE" -type f -name '*.?sv' -exec chmod 0644 {} +
log "wrote $(find "$HERE" -name '*.?sv' | wc -l) files under $HERE"
