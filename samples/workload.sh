#!/usr/bin/env bash
# samples/workload.sh — produce REAL PostgreSQL 15 server logs for pgsift's tests.
#
# Usage (as root, from anywhere):   bash samples/workload.sh
#
# What it does:
#   * creates a throwaway cluster in a `mktemp -d` directory (owned by the
#     `postgres` OS user), listening on 127.0.0.1 only, on port $PGSIFT_PORT
#     (default 54329), with its unix socket inside the temp directory;
#   * run 1: log_min_duration_statement=0 with a detailed log_line_prefix,
#     auto_explain (shared_preload_libraries, plans of statements >= 200 ms with
#     ANALYZE and BUFFERS, text and json), pg_stat_statements, track_io_timing,
#     and a mixed workload (pgbench simple/extended/prepared, an N+1 pattern
#     driven by a custom pgbench script, errors with several SQLSTATEs, a row
#     lock wait, a relation lock wait, a deadlock, a lock timeout, statement
#     timeouts, failed logins, spilling sorts, CHECKPOINTs, autovacuum, a markup
#     payload, multi-line SQL, a bind parameter containing ", ", a quote and a
#     newline, and deliberate index scenarios: see "Index scenarios" below)
#       -> samples/logs/postgresql-main.log
#     Twice during run 1 (part-way, and at the end before the server stops)
#     samples/pgsift-export.psql is run, unchanged, by psql as the `auditor`
#     role (pg_monitor, not a superuser), in the folder it writes to:
#       -> samples/stats/shop-eu-1/*.csv   (part-way: after the schema, the data
#                                           load, the N+1 pattern and a first
#                                           batch of application traffic)
#       -> samples/stats/shop-eu-2/*.csv   (end of run 1)
#       -> samples/stats/bench-2/*.csv     (end of run 1, the pgbench database)
#     Snapshot 2 (both folders) is taken while three application sessions are
#     held open: checkout-worker idle in transaction after an UPDATE of one
#     orders row, report-api blocked by it on the same row, storefront-pool
#     idle (see "sessions in trouble" below); they end after the exports.
#   * run 2: the same cluster restarted with the Debian default prefix and
#     log_statement=all + log_duration=on (statement line, then a bare
#     "duration: X ms" line)
#       -> samples/logs/postgresql-statement-duration.log
#   * run 3: the same cluster restarted with the logging collector on and
#     log_destination = 'stderr,csvlog,jsonlog', so that ONE server run writes
#     the same events in three formats (small workload: pgbench simple and
#     extended, psql statements, a syntax error, the markup payload, a bind
#     parameter with ", ", a quote and a newline)
#       -> tests/data/formats/postgresql.log, .csv, .json
#   * stops the server and deletes the temp directory on exit (trap), whatever
#     happens. Re-running regenerates all the logs from scratch.
#
# The run 1 and run 2 files are byte-for-byte what the postmaster wrote to its
# stderr (`pg_ctl -l FILE`); the run 3 files are byte-for-byte what the logging
# collector wrote. They are only copied out after the server (and, for run 3,
# the logger process) has stopped. Nothing is edited or appended by this script.
# The CSV files under samples/stats are byte-for-byte what psql's \copy wrote
# (into the temp dir; they are copied out once run 1's server has stopped).
#
# Requirements: Debian/Ubuntu postgresql-15 (binaries in /usr/lib/postgresql/15/bin,
# with the contrib modules auto_explain and pg_stat_statements), the `postgres`
# OS user, root (to switch to that user with runuser).

set -euo pipefail

# ---------------------------------------------------------------------------
# Parameters
# ---------------------------------------------------------------------------
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PORT=${PGSIFT_PORT:-54329}
HOST=127.0.0.1
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT_DIR="$SCRIPT_DIR/logs"
STATS_OUT="$SCRIPT_DIR/stats"                 # statistics snapshots (run 1)
EXPORT_SQL="$SCRIPT_DIR/pgsift-export.psql"   # the export script, used unchanged
FORMATS_DIR="$(cd "$SCRIPT_DIR/.." && pwd)/tests/data/formats"   # run 3 output

# Passwords of the throwaway cluster (it only lives for the duration of the
# script, listens on 127.0.0.1 and is deleted at exit).
SUPER_PW=pgsift-super
APP_ROLE='report@corp.example'   # role name with '@' and '.' on purpose
APP_PW=pgsift-report
APP_DB='shop-eu'                 # database name with '-' on purpose
BENCH_DB='bench'
AUDIT_ROLE='auditor'             # runs the statistics export: pg_monitor, no superuser
AUDIT_PW=pgsift-audit

# Workload sizes (tuned so that samples/logs stays well under 4 MB).
BENCH_SIMPLE_T=100     # transactions per client, pgbench -M simple   (run 1)
BENCH_EXT_T=50         # transactions per client, pgbench -M extended (run 1)
BENCH_PREP_T=50        # transactions per client, pgbench -M prepared (run 1)
NPLUS1_T=5             # transactions per client, N+1 custom script   (run 1)
WEBHOOK_T1=50          # per client (2 clients), unindexed payments lookup, before snapshot 1
WEBHOOK_T2=100         # per client (2 clients), the same, between snapshots 1 and 2
REFUND_T1=20           # payments primary-key lookups (1 client), before snapshot 1
REFUND_T2=30           # the same, between snapshots 1 and 2
TRACKING_T1=20         # shipments script (4 statements, 1 client), before snapshot 1
TRACKING_T2=30         # the same, between snapshots 1 and 2
RUN2_T=20              # transactions per client, pgbench runs        (run 2)
RUN3_SIMPLE_T=80       # transactions per client, pgbench -M simple   (run 3)
RUN3_EXT_T=10          # transactions per client, pgbench -M extended (run 3)
SEED=20241127          # pgbench --random-seed, for reproducible values

# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------
log() { printf '[workload] %s\n' "$*" >&2; }
die() { printf '[workload] ERROR: %s\n' "$*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "run as root (the server is started as the postgres OS user via runuser)"
id postgres >/dev/null 2>&1 || die "no 'postgres' OS user"
for b in initdb pg_ctl postgres psql pgbench; do
    [[ -x $PGBIN/$b ]] || die "missing $PGBIN/$b"
done
[[ -f $EXPORT_SQL ]] || die "missing $EXPORT_SQL"
for m in auto_explain pg_stat_statements; do
    [[ -f $PGBIN/../lib/$m.so ]] || die "missing the $m module in $PGBIN/../lib"
done
if (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null; then
    die "port $PORT on $HOST is already in use (set PGSIFT_PORT)"
fi

# Everything temporary lives here; postgres must own it (data dir, socket, logs).
WORK=$(mktemp -d /tmp/pgsift-workload.XXXXXX)
chmod 0755 "$WORK"
DATA=$WORK/data
CLIENT_OUT=$WORK/clients.out    # stdout/stderr of psql/pgbench (not a sample)
mkdir -p "$DATA"
chown -R postgres: "$WORK"
chmod 0700 "$DATA"
: >"$CLIENT_OUT"

as_postgres() { runuser -u postgres -- "$@"; }

server_running() { [[ -f $DATA/postmaster.pid ]]; }

# Cleanup on any exit: stop the server (immediate, it is throwaway), remove the
# temp dir. On failure, show the tail of the client output to help debugging.
cleanup() {
    local rc=$?
    set +e
    # The sessions held open for snapshot 2 (if the script stopped while they
    # were): close the write ends of their FIFOs (psql reads EOF and exits) and
    # end those psql processes by their PID, so that the wait below cannot hang.
    { exec 7>&- 8>&-; } 2>/dev/null
    local pid
    for pid in "${BG_PIDS[@]}"; do
        kill "$pid" 2>/dev/null
    done
    if server_running; then
        as_postgres "$PGBIN/pg_ctl" -D "$DATA" stop -m immediate -w >/dev/null 2>&1
    fi
    # wait for any background psql of ours that may still be around
    wait 2>/dev/null
    if [[ $rc -ne 0 && -s $CLIENT_OUT ]]; then
        log "last client output:"
        tail -n 30 "$CLIENT_OUT" >&2
    fi
    rm -rf "$WORK"
    exit "$rc"
}
BG_PIDS=()    # background psql processes still to be waited for (see cleanup)
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# libpq password file for TCP (scram-sha-256) connections; clients run as root.
export PGPASSFILE=$WORK/pgpass
printf '%s:%s:*:%s:%s\n' "$HOST" "$PORT" postgres "$SUPER_PW" "$HOST" "$PORT" "$APP_ROLE" "$APP_PW" \
    "$HOST" "$PORT" "$AUDIT_ROLE" "$AUDIT_PW" >"$PGPASSFILE"
chmod 0600 "$PGPASSFILE"
unset PGHOST PGPORT PGUSER PGDATABASE PGAPPNAME PGOPTIONS PGSERVICE
export PGCONNECT_TIMEOUT=10

# psql as the superuser over the unix socket (client shows as [local]).
psql_local() { "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$WORK" -p "$PORT" -U postgres "$@" >>"$CLIENT_OUT" 2>&1; }
# psql over TCP as the application role; PGAPPNAME decides application_name.
psql_app() { "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$HOST" -p "$PORT" -U "$APP_ROLE" -d "$APP_DB" "$@" >>"$CLIENT_OUT" 2>&1; }
# same, but errors are expected: keep going and never fail the script.
psql_app_err() { "$PGBIN/psql" -X -q -v ON_ERROR_STOP=0 -h "$HOST" -p "$PORT" -U "$APP_ROLE" -d "$APP_DB" "$@" >>"$CLIENT_OUT" 2>&1 || true; }
# psql over TCP as the superuser on the shop database (auto_explain reports).
psql_super_app() { "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$HOST" -p "$PORT" -U postgres -d "$APP_DB" "$@" >>"$CLIENT_OUT" 2>&1; }
# A login that must fail: a wrong password (PGPASSWORD wins over the password
# file), never prompt (-w), and never fail the script.
psql_bad_login() { PGPASSWORD=wrong "$PGBIN/psql" -X -q -w "$@" -c 'SELECT 1;' >>"$CLIENT_OUT" 2>&1 || true; }
# pgbench over TCP.
pgbench_tcp() { "$PGBIN/pgbench" -h "$HOST" -p "$PORT" "$@" >>"$CLIENT_OUT" 2>&1; }

# Start the server with the current pgsift-run.conf, stderr -> $1.
start_server() {
    local logfile=$1
    rm -f "$logfile"
    # pg_ctl -l: the postmaster's stdout/stderr go to this file, untouched.
    (cd "$WORK" && as_postgres "$PGBIN/pg_ctl" -D "$DATA" -l "$logfile" -w -t 60 start >>"$CLIENT_OUT" 2>&1) \
        || { cat "$logfile" >&2 2>/dev/null; die "server did not start"; }
}
stop_server() {
    (cd "$WORK" && as_postgres "$PGBIN/pg_ctl" -D "$DATA" -w -t 60 stop -m fast >>"$CLIENT_OUT" 2>&1)
}

# Number of lines of log $1 matching the extended regex $2.
count_log() { grep -cE -- "$2" "$1" || true; }

# Wait (without running any SQL, so the log is not polluted by polling
# queries) until more than $3 lines match $2 in log $1; at most $4 seconds.
wait_for_log() {
    local file=$1 pattern=$2 before=$3 timeout=$4 i
    for ((i = 0; i < timeout * 2; i++)); do
        (($(count_log "$file" "$pattern") > before)) && return 0
        sleep 0.5
    done
    return 1
}

# Publish a finished log: copy it unchanged (atomically) to $2 (a path in
# samples/logs or tests/data/formats).
publish() {
    local src=$1 dst=$2
    mkdir -p "$(dirname "$dst")"
    cp "$src" "$dst.tmp.$$"
    chmod 0644 "$dst.tmp.$$"
    mv -f "$dst.tmp.$$" "$dst"
    log "wrote $dst ($(wc -l <"$dst") lines, $(wc -c <"$dst") bytes)"
}

# Statistics snapshot: run samples/pgsift-export.psql (unchanged) with psql, as
# the pg_monitor role over TCP, in a fresh folder $STATS_WORK/$2 (the script's
# \copy writes its CSV files to the current directory). $1 = database.
# The export script sets ON_ERROR_STOP off, so psql does not fail on an SQL
# error: whatever psql prints on stderr is shown here as a warning.
STATS_WORK=$WORK/stats
export_stats() {
    local db=$1 name=$2 dir=$STATS_WORK/$2 err=$WORK/export-$2.err
    rm -rf "$dir"
    mkdir -p "$dir"
    (cd "$dir" && PGAPPNAME=pgsift-export "$PGBIN/psql" -X -q -h "$HOST" -p "$PORT" \
        -U "$AUDIT_ROLE" -d "$db" -f "$EXPORT_SQL") >>"$CLIENT_OUT" 2>"$err" \
        || { cat "$err" >&2; die "export $name: psql failed"; }
    if [[ -s $err ]]; then
        log "WARNING: export $name: psql printed on stderr:"
        sed 's/^/    /' "$err" >&2
        cat "$err" >>"$CLIENT_OUT"
    fi
    log "export $name ($db): $(cd "$dir" && ls | wc -l) files, $(du -sk "$dir" | cut -f1) kB"
}

# Publish the snapshot folders of $STATS_WORK to samples/stats/<name>/,
# replacing the folders of the same name (files copied unchanged).
publish_stats() {
    local name src dst
    mkdir -p "$STATS_OUT"
    for src in "$STATS_WORK"/*/; do
        name=$(basename "$src")
        dst=$STATS_OUT/$name
        rm -rf "$dst.tmp.$$"
        mkdir -p "$dst.tmp.$$"
        cp "$src"/*.csv "$dst.tmp.$$/"
        chmod 0755 "$dst.tmp.$$"
        chmod 0644 "$dst.tmp.$$"/*.csv
        rm -rf "$dst"
        mv "$dst.tmp.$$" "$dst"
        log "wrote $dst/ ($(ls "$dst" | wc -l) files, $(cat "$dst"/*.csv | wc -c) bytes)"
    done
}

# ---------------------------------------------------------------------------
# Cluster creation
# ---------------------------------------------------------------------------
log "PostgreSQL: $("$PGBIN/postgres" --version)"
log "temp dir $WORK, port $PORT"

printf '%s\n' "$SUPER_PW" >"$WORK/pwfile"
chown postgres: "$WORK/pwfile"
chmod 0600 "$WORK/pwfile"
# trust on the unix socket (only postgres/root can reach it: the directory is
# the temp dir), scram-sha-256 on TCP so the log shows real authentication.
as_postgres "$PGBIN/initdb" -D "$DATA" -U postgres --pwfile="$WORK/pwfile" \
    --encoding=UTF8 --locale=C --auth-local=trust --auth-host=scram-sha-256 \
    >>"$CLIENT_OUT" 2>&1
rm -f "$WORK/pwfile"

# Settings shared by both runs. Included from postgresql.conf, after the
# defaults, so they win.
cat >"$DATA/pgsift-common.conf" <<EOF
listen_addresses = '$HOST'
port = $PORT
unix_socket_directories = '$WORK'
lc_messages = 'C'
logging_collector = off
log_destination = 'stderr'
log_timezone = 'UTC'
log_connections = on
log_disconnections = on
log_lock_waits = on
deadlock_timeout = '100ms'
log_temp_files = 0
log_checkpoints = on
log_autovacuum_min_duration = 0
autovacuum_naptime = '1s'
work_mem = '64kB'
password_encryption = 'scram-sha-256'
EOF
cat >>"$DATA/postgresql.conf" <<'EOF'

# --- pgsift samples/workload.sh ---
include 'pgsift-common.conf'
include_if_exists 'pgsift-run.conf'
EOF
chown postgres: "$DATA"/*.conf

# ===========================================================================
# RUN 1 -> postgresql-main.log, samples/stats/*
# ===========================================================================
RUN1_LOG=$WORK/postgresql-main.log
# auto_explain (run 1 only): the plan of every statement whose execution takes
# 200 ms or more, with actual times (log_analyze) and buffer counts. The default
# format is text; one session below switches to json.
# pg_stat_statements (run 1 only; loaded at start, so it sees every statement
# of run 1, setup included) and track_io_timing (read/write times in
# pg_stat_statements, pg_stat_database, the plans' "I/O Timings" and the
# autovacuum reports), for the statistics snapshots.
cat >"$DATA/pgsift-run.conf" <<'EOF'
log_line_prefix = '%m [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h '
log_min_duration_statement = 0
log_statement = 'none'
log_duration = off
shared_preload_libraries = 'auto_explain,pg_stat_statements'
auto_explain.log_min_duration = '200ms'
auto_explain.log_analyze = on
auto_explain.log_buffers = on
track_io_timing = on
EOF
chown postgres: "$DATA/pgsift-run.conf"
log "run 1: starting server"
start_server "$RUN1_LOG"

# --- setup: roles and databases (superuser over the unix socket) -----------
log "run 1: roles and databases"
export PGAPPNAME=psql
psql_local -d postgres <<EOF
CREATE ROLE "$APP_ROLE" LOGIN PASSWORD '$APP_PW';
CREATE DATABASE $BENCH_DB;
CREATE DATABASE "$APP_DB" OWNER "$APP_ROLE";
GRANT SET ON PARAMETER auto_explain.log_min_duration TO "$APP_ROLE";
CREATE ROLE $AUDIT_ROLE LOGIN PASSWORD '$AUDIT_PW';
GRANT pg_monitor TO $AUDIT_ROLE;
EOF
# The pg_stat_statements view, in each database that is exported (the module
# itself is cluster-wide: the view shows the statements of every database).
psql_local -d "$APP_DB" -c 'CREATE EXTENSION pg_stat_statements;'
psql_local -d "$BENCH_DB" -c 'CREATE EXTENSION pg_stat_statements;'

# --- pgbench: init + the three query protocols over TCP --------------------
log "run 1: pgbench -i and simple/extended/prepared runs"
export PGAPPNAME=pgbench
pgbench_tcp -U postgres -i -s 1 "$BENCH_DB"
pgbench_tcp -U postgres --random-seed="$SEED" -M simple   -c 2 -j 2 -t "$BENCH_SIMPLE_T" "$BENCH_DB"
pgbench_tcp -U postgres --random-seed="$SEED" -M extended -c 2 -j 2 -t "$BENCH_EXT_T"    "$BENCH_DB"
pgbench_tcp -U postgres --random-seed="$SEED" -M prepared -c 2 -j 2 -t "$BENCH_PREP_T"   "$BENCH_DB"

# --- shop schema (as the application role, over TCP) ----------------------
# orders.customer_email and orders.status are deliberately NOT indexed: the
# queries on them are sequential scans over 40 000 rows.
# Order ids are (customer_id - 1) * 20 + 1 .. customer_id * 20, so the N+1
# script below knows the 20 ids the parent query returns.
log "run 1: shop schema"
export PGAPPNAME=shop-migrations
psql_app <<'EOF'
CREATE TABLE customers (
    id         integer PRIMARY KEY,
    email      text NOT NULL UNIQUE,
    name       text NOT NULL,
    note       text,
    created_at timestamptz NOT NULL
);
CREATE TABLE orders (
    id             bigint PRIMARY KEY,
    customer_id    integer NOT NULL REFERENCES customers (id),
    customer_email text NOT NULL,
    status         text NOT NULL,
    total_cents    integer NOT NULL,
    created_at     timestamptz NOT NULL
);
CREATE INDEX orders_customer_id_idx ON orders (customer_id);
CREATE TABLE order_items (
    id               bigserial PRIMARY KEY,
    order_id         bigint NOT NULL REFERENCES orders (id),
    sku              text NOT NULL,
    quantity         integer NOT NULL,
    unit_price_cents integer NOT NULL
);
CREATE INDEX order_items_order_id_idx ON order_items (order_id);
BEGIN;
INSERT INTO customers (id, email, name, created_at)
SELECT g, 'customer' || g || '@example.com', 'Customer ' || g,
       timestamptz '2024-01-01 00:00:00+00' + g * interval '1 hour'
  FROM generate_series(1, 2000) AS g;
INSERT INTO orders (id, customer_id, customer_email, status, total_cents, created_at)
SELECT g, (g - 1) / 20 + 1, 'customer' || ((g - 1) / 20 + 1) || '@example.com',
       (ARRAY['pending', 'paid', 'shipped', 'cancelled'])[1 + g % 4],
       (g * 7919) % 100000,
       timestamptz '2024-02-01 00:00:00+00' + g * interval '7 minutes'
  FROM generate_series(1, 40000) AS g;
INSERT INTO order_items (order_id, sku, quantity, unit_price_cents)
SELECT o, 'SKU-' || (o * 31 + k) % 500, 1 + (o + k) % 5, 100 + (o * k) % 9900
  FROM generate_series(1, 40000) AS o, generate_series(1, 3) AS k;
ANALYZE customers;
ANALYZE orders;
ANALYZE order_items;
COMMIT;
EOF

# The load is one transaction: its row counts reach the statistics only at
# COMMIT, after the ANALYZEs, so no autovacuum worker can hold a lock that an
# ANALYZE waits for (which would add a lock wait and a "canceling autovacuum
# task" error). The commit then triggers an insert-driven vacuum and an
# analyze of each shop table; wait for those of orders and order_items now, so
# that nothing of autovacuum's is on those tables during the lock tests below.
log "run 1: waiting for the first autovacuum of the shop tables"
for t in orders order_items; do
    for what in vacuum analyze; do
        wait_for_log "$RUN1_LOG" "automatic $what of table \"shop-eu\.public\.$t\"" 0 60 \
            || log "warning: no automatic $what of shop-eu.public.$t logged within 60 s"
    done
done

# --- Index scenarios: payments and shipments ------------------------------
# A second migration adds two tables whose indexes are deliberate cases for the
# index audit of the statistics snapshots (expected verdicts in
# samples/README.md, "stats/"):
#
#   (a) unused plain index: shipments_carrier_unused_idx ON shipments (carrier)
#       -- no query filters, joins or sorts on carrier: idx_scan stays 0.
#   (b) exact duplicate of a used index: shipments_order_id_dup_idx and
#       shipments_order_id_idx, both btree ON shipments (order_id), no
#       predicate. The tracking script looks shipments up by order_id: only
#       shipments_order_id_idx is scanned. (Between two indexes of equal cost
#       the PostgreSQL 15 planner keeps the one created last, so the duplicate
#       is created first, to be the one that stays at idx_scan = 0.)
#       shipments.order_id has no foreign key, so this is not an FK case.
#   (c) redundant left prefix: shipments_customer_id_redundant_idx ON
#       shipments (customer_id), covered by shipments_customer_id_shipped_at_idx
#       ON shipments (customer_id, shipped_at). Both are scanned: the covering
#       index by a customer's latest shipment (ORDER BY shipped_at DESC
#       LIMIT 1), the prefix index (smaller, so cheaper) by the count of a
#       customer's shipments. Redundant, not unused.
#   (d) missing index: payments.gateway_txn_id (40 000 rows) has NO index; the
#       payments-webhook script looks a payment up by it (equality, a different
#       value each time) 300 times: sequential scans of the whole table. The
#       same table gets 50 primary-key lookups (payments_pkey), so idx_scan > 0
#       but far below the sequential scans.
#   (e) indexes that must NOT be reported as unused although idx_scan = 0:
#       shipments_pkey (PRIMARY KEY), shipments_tracking_no_key (UNIQUE
#       constraint), and payments_order_id_fk_idx ON payments (order_id), which
#       only covers the foreign key payments.order_id -> orders (id) (no order
#       is deleted and no order id changes, so it is never scanned). It is
#       created after the foreign key, so the constraint's validation query
#       cannot use it.
#   (f) partial index, a prefix of (c)'s covering index with a different
#       predicate -- NOT redundant: shipments_customer_id_open_idx ON
#       shipments (customer_id) WHERE status <> 'delivered' (used by the count
#       of a customer's open shipments).
#
# (The first migration's tables have cases of their own, not planned ones:
# orders.customer_email is also unindexed and sequentially scanned, but
# orders' idx_scan is dominated by the foreign-key checks of the order_items
# load on orders_pkey; order_items_pkey and customers_email_key are never
# scanned by this workload.)
#
# One transaction, after the first autovacuum of orders (adding the foreign
# key locks orders in SHARE ROW EXCLUSIVE mode, which would wait for an
# autovacuum of orders); auto_explain is switched off in this session so that
# the number of plans does not depend on the machine (the two INSERTs take
# ~150-200 ms, right at auto_explain's 200 ms threshold).
log "run 1: payments and shipments schema (index scenarios)"
export PGAPPNAME=shop-migrations
psql_app <<'EOF'
SET auto_explain.log_min_duration = -1;
BEGIN;
CREATE TABLE payments (
    id             bigint PRIMARY KEY,
    order_id       bigint NOT NULL,
    gateway_txn_id bigint NOT NULL,
    status         text NOT NULL,
    amount_cents   integer NOT NULL,
    created_at     timestamptz NOT NULL
);
INSERT INTO payments (id, order_id, gateway_txn_id, status, amount_cents, created_at)
SELECT g, g, 880000000 + g * 37,
       (ARRAY['authorized', 'captured', 'captured', 'refunded'])[1 + g % 4],
       (g * 7919) % 100000,
       timestamptz '2024-02-01 00:05:00+00' + g * interval '7 minutes'
  FROM generate_series(1, 40000) AS g;
ALTER TABLE payments ADD CONSTRAINT payments_order_id_fkey
    FOREIGN KEY (order_id) REFERENCES orders (id);
CREATE INDEX payments_order_id_fk_idx ON payments (order_id);
CREATE TABLE shipments (
    id          bigint PRIMARY KEY,
    order_id    bigint NOT NULL,
    customer_id integer NOT NULL,
    carrier     text NOT NULL,
    tracking_no text NOT NULL,
    status      text NOT NULL,
    shipped_at  timestamptz NOT NULL,
    CONSTRAINT shipments_tracking_no_key UNIQUE (tracking_no)
);
INSERT INTO shipments (id, order_id, customer_id, carrier, tracking_no, status, shipped_at)
SELECT o.id, o.id, o.customer_id,
       (ARRAY['DHL', 'UPS', 'GLS', 'DPD', 'Colissimo'])[1 + o.id % 5],
       'TRK' || lpad(o.id::text, 9, '0'),
       CASE WHEN o.id % 10 < 8 THEN 'delivered'
            WHEN o.id % 10 = 8 THEN 'in_transit'
            ELSE 'pending' END,
       o.created_at + interval '1 day'
  FROM orders AS o
 WHERE o.id % 4 <> 0;
CREATE INDEX shipments_carrier_unused_idx ON shipments (carrier);
CREATE INDEX shipments_order_id_dup_idx ON shipments (order_id);
CREATE INDEX shipments_order_id_idx ON shipments (order_id);
CREATE INDEX shipments_customer_id_shipped_at_idx ON shipments (customer_id, shipped_at);
CREATE INDEX shipments_customer_id_redundant_idx ON shipments (customer_id);
CREATE INDEX shipments_customer_id_open_idx ON shipments (customer_id)
    WHERE status <> 'delivered';
ANALYZE payments;
ANALYZE shipments;
COMMIT;
EOF
# As for the first load: wait for the insert-driven autovacuum (which also
# sets the visibility map, for index-only scans) and autoanalyze.
for t in payments shipments; do
    for what in vacuum analyze; do
        wait_for_log "$RUN1_LOG" "automatic $what of table \"shop-eu\.public\.$t\"" 0 60 \
            || log "warning: no automatic $what of shop-eu.public.$t logged within 60 s"
    done
done

log "run 1: CHECKPOINT (after the load)"
export PGAPPNAME=psql
psql_local -d postgres -c 'CHECKPOINT;'

# --- N+1 pattern via a pgbench custom script, extended protocol ------------
# One customer lookup (\gset), one parent query (sequential scan on the
# unindexed customer_email, multi-line SQL), then 20 separate order_items
# lookups in the same session, then an UPDATE whose bind parameter $1 contains
# ", ", a single quote and a newline (the value comes from \gset, so it is a
# string variable sent as a parameter, not interpolated into the SQL).
log "run 1: N+1 custom script as $APP_ROLE (billing-api)"
NPLUS1=$WORK/nplus1.sql
{
    echo '\set cid random(1, 2000)'
    for k in $(seq 1 20); do
        echo "\\set oid$k (:cid - 1) * 20 + $k"
    done
    cat <<'EOF'
SELECT email, name || E', it''s\nfragile -- handle with care' AS note
  FROM customers WHERE id = :cid \gset
SELECT o.id, o.status, o.total_cents, o.created_at
  FROM orders AS o
 WHERE o.customer_email = :email
 ORDER BY o.id
 LIMIT 20;
EOF
    for k in $(seq 1 20); do
        echo "SELECT sku, quantity, unit_price_cents FROM order_items WHERE order_id = :oid$k;"
    done
    echo 'UPDATE customers SET note = :note WHERE id = :cid;'
} >"$NPLUS1"
export PGAPPNAME=billing-api
pgbench_tcp -U "$APP_ROLE" -n --random-seed="$SEED" -M extended -c 2 -j 2 -t "$NPLUS1_T" -f "$NPLUS1" "$APP_DB"

# --- application traffic on payments and shipments (index scenarios) -------
# Three pgbench custom scripts, prepared protocol, as the application role:
#   webhook.sql  (payments-webhook): a payment by its gateway transaction id,
#                a different value each time: no index -> Seq Scan on payments
#                (scenario d);
#   refund.sql   (billing-api): a payment by its primary key (payments_pkey);
#   tracking.sql (shop-tracking): a customer's latest shipment
#                (shipments_customer_id_shipped_at_idx), the count of a
#                customer's shipments (the redundant prefix index
#                shipments_customer_id_redundant_idx), the count of a
#                customer's open shipments (the partial index
#                shipments_customer_id_open_idx), the shipment of an order
#                (shipments_order_id_idx, not its duplicate).
# run_app_traffic SEED WEBHOOK_T REFUND_T TRACKING_T runs one batch; the first
# batch comes before snapshot 1, the second (another seed, so other values)
# between the snapshots.
WEBHOOK=$WORK/webhook.sql
cat >"$WEBHOOK" <<'EOF'
\set n random(1, 40000)
\set txn 880000000 + :n * 37
SELECT id, order_id, status, amount_cents FROM payments WHERE gateway_txn_id = :txn;
EOF
REFUND=$WORK/refund.sql
cat >"$REFUND" <<'EOF'
\set pid random(1, 40000)
SELECT id, order_id, gateway_txn_id, status, amount_cents, created_at FROM payments WHERE id = :pid;
EOF
TRACKING=$WORK/tracking.sql
cat >"$TRACKING" <<'EOF'
\set cid random(1, 2000)
\set oid random(1, 40000)
SELECT id, carrier, tracking_no, status, shipped_at FROM shipments WHERE customer_id = :cid ORDER BY shipped_at DESC LIMIT 1;
SELECT count(*) FROM shipments WHERE customer_id = :cid;
SELECT count(*) FROM shipments WHERE customer_id = :cid AND status <> 'delivered';
SELECT carrier, tracking_no, status FROM shipments WHERE order_id = :oid;
EOF
# (PGAPPNAME is set for each pgbench only: the sections that follow keep the
# application name they had before.)
run_app_traffic() {
    local seed=$1
    PGAPPNAME=payments-webhook \
        pgbench_tcp -U "$APP_ROLE" -n --random-seed="$seed" -M prepared -c 2 -j 2 -t "$2" -f "$WEBHOOK" "$APP_DB"
    PGAPPNAME=billing-api \
        pgbench_tcp -U "$APP_ROLE" -n --random-seed="$seed" -M prepared -c 1 -j 1 -t "$3" -f "$REFUND" "$APP_DB"
    PGAPPNAME=shop-tracking \
        pgbench_tcp -U "$APP_ROLE" -n --random-seed="$seed" -M prepared -c 1 -j 1 -t "$4" -f "$TRACKING" "$APP_DB"
}
log "run 1: application traffic, batch 1 (payments-webhook, billing-api, shop-tracking)"
run_app_traffic "$SEED" "$WEBHOOK_T1" "$REFUND_T1" "$TRACKING_T1"

# --- statistics snapshot 1 --------------------------------------------------
# pgsift-export.psql as the pg_monitor role, part-way through the run: the
# schema, the loads, the N+1 pattern and the first traffic batch are in it.
log "run 1: statistics snapshot 1 ($APP_DB)"
export_stats "$APP_DB" "$APP_DB-1"

# --- psql statements: markup, multi-line, PREPARE/EXECUTE, errors, temp sort
log "run 1: psql statements (markup, multi-line, prepare/execute, errors, spilling sort)"
# The exact statement used by the HTML-escaping test (sent verbatim by -c).
psql_app -c 'SELECT 1 AS "<script>alert(1)</script>", '\''<img src=x onerror=alert(2)>'\'' AS payload;'

# A multi-line statement (psql sends it with its newlines; the server writes
# continuation lines prefixed by a tab) and a sequential scan on orders.status.
psql_app <<'EOF'
SELECT c.id,
       c.email,
       count(o.id) AS pending_orders
  FROM customers AS c
  JOIN orders AS o ON o.customer_id = c.id
 WHERE o.status = 'pending'
 GROUP BY c.id, c.email
 ORDER BY pending_orders DESC, c.id
 LIMIT 10;
SELECT count(*), sum(total_cents) FROM orders WHERE status = 'cancelled';
PREPARE order_lookup(bigint) AS
    SELECT id, status, total_cents FROM orders WHERE id = $1;
EXECUTE order_lookup(42);
EXECUTE order_lookup(4242);
DEALLOCATE order_lookup;
EOF

# Errors (ERROR + STATEMENT, failed statements have no duration line), exactly:
# 2 syntax errors (42601), 1 unique violation (23505, with DETAIL), 1 undefined
# column (42703), 3 divisions by zero (22012), 1 undefined table (42P01).
psql_app_err <<'EOF'
SELEC id FROM customers WHERE id = 1;
INSERT INTO customers (id, email, name, created_at)
VALUES (1, 'duplicate@example.com', 'Duplicate', '2024-01-01 00:00:00+00');
SELECT no_such_column FROM orders LIMIT 1;
SELECT id, FROM orders WHERE id = 1;
SELECT total_cents / 0 FROM orders WHERE id = 1;
SELECT 1 / 0 AS ratio;
SELECT sum(total_cents) / (count(*) - count(*)) AS average FROM orders WHERE status = 'paid';
SELECT * FROM order_archive WHERE id = 1;
EOF

# A sort that spills to disk (work_mem = 64kB): "temporary file: path ..., size ..."
psql_app <<'EOF'
SELECT id, customer_email, created_at
  FROM orders
 ORDER BY customer_email DESC, created_at
OFFSET 39990;
EOF

# --- a ~1 s lock wait between two sessions ---------------------------------
# Session A holds a row lock for 1.5 s; session B starts 0.5 s later and
# updates the same row, so it waits ~1 s: "still waiting for ShareLock ...
# after 100 ms", then "acquired ShareLock ... after ~1000 ms".
log "run 1: lock wait"
export PGAPPNAME=billing-worker
psql_app <<'EOF' &
BEGIN;
SELECT id, note FROM customers WHERE id = 7 FOR UPDATE;
SELECT pg_sleep(1.5);
COMMIT;
EOF
holder=$!
sleep 0.5
export PGAPPNAME=billing-api
psql_app -c "UPDATE customers SET note = 'locked out for a while' WHERE id = 7;"
wait "$holder"

# --- a deadlock -------------------------------------------------------------
# A locks row 11 then wants row 12; B (started 0.2 s later) locks 12 then wants
# 11. A's deadlock check (after deadlock_timeout=100ms) finds no cycle yet and
# logs "still waiting"; B closes the cycle and is the one that gets
# "ERROR:  deadlock detected". A then acquires its lock and commits.
log "run 1: deadlock"
export PGAPPNAME=billing-worker
psql_app_err <<'EOF' &
BEGIN;
UPDATE customers SET note = 'deadlock A1' WHERE id = 11;
SELECT pg_sleep(0.5);
UPDATE customers SET note = 'deadlock A2' WHERE id = 12;
COMMIT;
EOF
sess_a=$!
sleep 0.2
export PGAPPNAME=billing-api
psql_app_err <<'EOF' &
BEGIN;
UPDATE customers SET note = 'deadlock B1' WHERE id = 12;
SELECT pg_sleep(0.5);
UPDATE customers SET note = 'deadlock B2' WHERE id = 11;
COMMIT;
EOF
sess_b=$!
wait "$sess_a"
wait "$sess_b"

# --- a relation lock wait ---------------------------------------------------
# A holds an ACCESS EXCLUSIVE lock on orders for 1 s; B's SELECT (0.3 s later)
# waits for its AccessShareLock while parsing (before execution, so no plan):
# "still waiting for AccessShareLock on relation N of database N after 100 ms"
# (+ DETAIL, STATEMENT), then "acquired AccessShareLock on relation ...".
# A's pg_sleep(1) is slower than 200 ms: auto_explain logs its plan.
log "run 1: relation lock wait"
export PGAPPNAME=billing-worker
psql_app <<'EOF' &
BEGIN;
LOCK TABLE orders IN ACCESS EXCLUSIVE MODE;
SELECT pg_sleep(1);
COMMIT;
EOF
holder=$!
sleep 0.3
export PGAPPNAME=billing-api
psql_app -c 'SELECT count(*) FROM orders;'
wait "$holder"

# --- a lock timeout ---------------------------------------------------------
# A holds customers row 21 for 1 s; B (0.3 s later) has lock_timeout = 50ms,
# shorter than deadlock_timeout (100ms), so it gives up before any "still
# waiting" line: "ERROR:  canceling statement due to lock timeout" + CONTEXT
# + STATEMENT. (With lock_timeout = deadlock_timeout the two timers race.)
log "run 1: lock timeout"
export PGAPPNAME=billing-worker
psql_app <<'EOF' &
BEGIN;
SELECT id, note FROM customers WHERE id = 21 FOR UPDATE;
SELECT pg_sleep(1);
COMMIT;
EOF
holder=$!
sleep 0.3
export PGAPPNAME=billing-api
psql_app_err <<'EOF'
SET lock_timeout = '50ms';
UPDATE customers SET note = 'never written' WHERE id = 21;
EOF
wait "$holder"

# --- statement timeouts -----------------------------------------------------
# Exactly 2 x "ERROR:  canceling statement due to statement timeout" (57014)
# + STATEMENT; a canceled statement has no duration line and no plan.
log "run 1: statement timeouts"
export PGAPPNAME=billing-api
psql_app_err <<'EOF'
SET statement_timeout = '100ms';
SELECT pg_sleep(1);
SELECT pg_sleep(1);
EOF

# --- failed logins ----------------------------------------------------------
# 3 x a wrong password for the application role over TCP (scram-sha-256):
# "FATAL:  password authentication failed for user ..." + DETAIL "Connection
# matched pg_hba.conf line N: ...". Then 1 x a role that does not exist, over
# the unix socket (trust): "FATAL:  role "intruder" does not exist". (Over TCP
# with scram, PostgreSQL reports an unknown role as a password failure and
# names the real reason only in the DETAIL line.)
log "run 1: failed logins"
export PGAPPNAME=psql
for i in 1 2 3; do
    psql_bad_login -h "$HOST" -p "$PORT" -U "$APP_ROLE" -d "$APP_DB"
done
psql_bad_login -h "$WORK" -p "$PORT" -U intruder -d postgres

# --- auto_explain: slow report queries (superuser, over TCP) ----------------
# Statements taking 200 ms or more get "duration: X ms  plan:" with the plan
# (actual rows, loops, buffers; JIT too, as their cost is high). Each query
# below runs ~0.5-1 s here:
#   1. text: a LATERAL join on the unindexed orders.customer_email: Nested Loop
#      over 200 customers, Seq Scan on orders loops=200 with "Rows Removed by
#      Filter: 39980";
#   2. text: the same with 20 orders per customer and a full sort of the 4 000
#      rows, which spills to disk (work_mem = 64kB): "Sort Method: external
#      merge  Disk: ...kB" (+ a temporary file line);
#   3. json (SET auto_explain.log_format = json in the session): a correlated
#      subquery on orders.customer_email and orders.status, SubPlan executed
#      200 times, "Rows Removed by Filter": 39995.
log "run 1: auto_explain report queries (text and json plans)"
export PGAPPNAME=shop-reports
psql_super_app <<'EOF'
SELECT c.id, c.email, last_order.id AS last_order_id, last_order.status
  FROM customers AS c
 CROSS JOIN LATERAL (
       SELECT o.id, o.status
         FROM orders AS o
        WHERE o.customer_email = c.email
        ORDER BY o.created_at DESC
        LIMIT 1) AS last_order
 WHERE c.id <= 200
 ORDER BY c.id;
SELECT c.id, c.email, o.id AS order_id, o.status, o.total_cents
  FROM customers AS c
 CROSS JOIN LATERAL (
       SELECT o.id, o.status, o.total_cents
         FROM orders AS o
        WHERE o.customer_email = c.email
        ORDER BY o.created_at DESC
        LIMIT 20) AS o
 WHERE c.id <= 200
 ORDER BY o.total_cents DESC, o.id
OFFSET 3990;
SET auto_explain.log_format = json;
SELECT c.id, c.email,
       (SELECT count(*)
          FROM orders AS o
         WHERE o.customer_email = c.email
           AND o.status = 'pending') AS pending_orders
  FROM customers AS c
 WHERE c.id <= 200
 ORDER BY c.id;
EOF

# --- application traffic, batch 2 (between the two snapshots) ---------------
# Another seed than batch 1, so that the lookups use other values.
log "run 1: application traffic, batch 2"
run_app_traffic "$((SEED + 1))" "$WEBHOOK_T2" "$REFUND_T2" "$TRACKING_T2"

# --- churn for autovacuum, then an explicit CHECKPOINT ---------------------
# ~13 000 updated orders and ~30 000 deleted order_items exceed the autovacuum
# thresholds (50 + 20 % of the table); autovacuum_naptime=1s so it comes
# quickly. We wait by watching the log, not by querying (which would add lines
# to the log).
# (The bulk INSERTs above already triggered insert-driven autovacuums of the
# shop tables, so we wait for one *more* "automatic vacuum" line per table.)
log "run 1: churn for autovacuum"
AV_ORDERS='automatic vacuum of table "shop-eu\.public\.orders"'
AV_ITEMS='automatic vacuum of table "shop-eu\.public\.order_items"'
AA_ORDERS='automatic analyze of table "shop-eu\.public\.orders"'
AA_ITEMS='automatic analyze of table "shop-eu\.public\.order_items"'
av_orders_before=$(count_log "$RUN1_LOG" "$AV_ORDERS")
av_items_before=$(count_log "$RUN1_LOG" "$AV_ITEMS")
aa_orders_before=$(count_log "$RUN1_LOG" "$AA_ORDERS")
aa_items_before=$(count_log "$RUN1_LOG" "$AA_ITEMS")
# The UPDATE takes ~200 ms, right at auto_explain's threshold: the maintenance
# session switches auto_explain off (the role was granted SET on that
# parameter) so that the number of plans does not depend on the machine.
export PGAPPNAME=shop-maintenance
psql_app <<'EOF'
SET auto_explain.log_min_duration = -1;
UPDATE orders SET status = 'archived' WHERE id % 3 = 0;
DELETE FROM order_items WHERE order_id % 4 = 0;
EOF
wait_for_log "$RUN1_LOG" "$AV_ORDERS" "$av_orders_before" 60 \
    || log "warning: no new autovacuum of shop-eu.public.orders logged within 60 s"
wait_for_log "$RUN1_LOG" "$AV_ITEMS" "$av_items_before" 30 \
    || log "warning: no new autovacuum of shop-eu.public.order_items logged within 30 s"
wait_for_log "$RUN1_LOG" "$AA_ORDERS" "$aa_orders_before" 30 \
    || log "warning: no new autoanalyze of shop-eu.public.orders logged within 30 s"
wait_for_log "$RUN1_LOG" "$AA_ITEMS" "$aa_items_before" 30 \
    || log "warning: no new autoanalyze of shop-eu.public.order_items logged within 30 s"

log "run 1: CHECKPOINT"
export PGAPPNAME=psql
psql_local -d postgres -c 'CHECKPOINT;'

# --- sessions in trouble, held open during snapshot 2 ------------------------
# So that pg_stat_activity.csv and pg_locks.csv of snapshot 2 show real
# sessions in interesting states (both exports below see them: the views are
# cluster-wide), three application sessions stay connected while it is taken:
#   checkout-worker: BEGIN; UPDATE orders SET status = 'hold' WHERE id = 4243;
#       then nothing: "idle in transaction" (wait event Client/ClientRead),
#       holding the row lock (and its transaction id) for ~4 s. Its psql reads
#       its input from a FIFO that the script writes to, so the client really
#       sends nothing while it waits (no pg_sleep).
#   report-api: UPDATE orders SET status = 'cancelled' WHERE id = 4243; the
#       same row, so it waits: "active", wait event Lock/transactionid,
#       pg_blocking_pids() = {pid of checkout-worker}, and an ungranted
#       ShareLock on checkout-worker's transaction id in pg_locks. Safety net:
#       lock_timeout and statement_timeout of 60 s (set by PGOPTIONS, so there
#       is no SET statement in the log or in pg_stat_statements).
#   storefront-pool: SELECT 1; then nothing: "idle" (FIFO too).
# No polling query: the script waits by reading the log (the UPDATE's
# duration line, report-api's "still waiting for ShareLock on transaction"),
# then 3 s more, so that xact_start/state_change are clearly in the past.
# After the exports checkout-worker sends ROLLBACK: report-api acquires the
# lock ("acquired ShareLock on transaction ... after ~4000 ms") and its UPDATE
# commits (~4 s: above the 200 ms threshold, so auto_explain logs its plan,
# `Update on orders`). The three sessions then disconnect.
log "run 1: sessions for snapshot 2 (idle in transaction, blocked, idle)"
APP_CONN=(-X -q -v ON_ERROR_STOP=1 -h "$HOST" -p "$PORT" -U "$APP_ROLE" -d "$APP_DB")
TX_FIFO=$WORK/checkout-worker.fifo
IDLE_FIFO=$WORK/storefront-pool.fifo
mkfifo -m 0600 "$TX_FIFO" "$IDLE_FIFO"
# Opened read-write (Linux): the open does not block, writes never raise
# SIGPIPE, and psql reads EOF once the script closes its descriptor (the
# background psql processes do not inherit descriptors 7 and 8).
exec 7<>"$TX_FIFO" 8<>"$IDLE_FIFO"
# (a simple command run with &: $! is the PID of psql itself)
PGAPPNAME=checkout-worker PGOPTIONS='-c idle_in_transaction_session_timeout=120s' \
    "$PGBIN/psql" "${APP_CONN[@]}" <"$TX_FIFO" >>"$CLIENT_OUT" 2>&1 7>&- 8>&- &
tx_pid=$!
BG_PIDS+=("$tx_pid")
TX_UPDATE='app=checkout-worker,[^ ]* LOG:  duration: [0-9.]+ ms  statement: UPDATE orders '
tx_before=$(count_log "$RUN1_LOG" "$TX_UPDATE")
printf '%s\n' 'BEGIN;' "UPDATE orders SET status = 'hold' WHERE id = 4243;" >&7
wait_for_log "$RUN1_LOG" "$TX_UPDATE" "$tx_before" 30 \
    || die "checkout-worker: its UPDATE is not in the log after 30 s"

BLOCKED_WAIT='app=report-api,[^ ]* LOG:  process [0-9]+ still waiting for ShareLock on transaction '
blocked_before=$(count_log "$RUN1_LOG" "$BLOCKED_WAIT")
PGAPPNAME=report-api PGOPTIONS='-c lock_timeout=60s -c statement_timeout=60s' \
    "$PGBIN/psql" "${APP_CONN[@]}" -c "UPDATE orders SET status = 'cancelled' WHERE id = 4243;" \
    >>"$CLIENT_OUT" 2>&1 </dev/null 7>&- 8>&- &
blocked_pid=$!
BG_PIDS+=("$blocked_pid")
wait_for_log "$RUN1_LOG" "$BLOCKED_WAIT" "$blocked_before" 30 \
    || die "report-api: no 'still waiting' line in the log after 30 s"

PGAPPNAME=storefront-pool "$PGBIN/psql" "${APP_CONN[@]}" <"$IDLE_FIFO" >>"$CLIENT_OUT" 2>&1 7>&- 8>&- &
idle_pid=$!
BG_PIDS+=("$idle_pid")
IDLE_SELECT='app=storefront-pool,[^ ]* LOG:  duration: [0-9.]+ ms  statement: SELECT 1;'
idle_before=$(count_log "$RUN1_LOG" "$IDLE_SELECT")
printf '%s\n' 'SELECT 1;' >&8
wait_for_log "$RUN1_LOG" "$IDLE_SELECT" "$idle_before" 30 \
    || die "storefront-pool: its SELECT 1 is not in the log after 30 s"
sleep 3

# --- statistics snapshot 2 --------------------------------------------------
# At the end of run 1, before the server stops (the statistics survive a clean
# restart, but run 2 would add to them): the application database, then the
# pgbench database. The three sessions above are connected during both.
log "run 1: statistics snapshot 2 ($APP_DB, $BENCH_DB)"
export_stats "$APP_DB" "$APP_DB-2"
export_stats "$BENCH_DB" "$BENCH_DB-2"

# Check that snapshot 2 caught them as intended (pid is column 4 of
# pg_stat_activity.csv; datname "shop-eu" has no comma).
act=$STATS_WORK/$APP_DB-2/pg_stat_activity.csv
tx_row=$(grep -E '^[^,]*,[0-9]+,shop-eu,[0-9]+,[^,]*,[0-9]+,[^,]*,checkout-worker,.*,Client,ClientRead,idle in transaction,' "$act" || true)
blk_row=$(grep -E '^[^,]*,[0-9]+,shop-eu,[0-9]+,[^,]*,[0-9]+,[^,]*,report-api,.*,Lock,transactionid,active,.*,client backend,\{[0-9]+\}$' "$act" || true)
idle_row=$(grep -E '^[^,]*,[0-9]+,shop-eu,[0-9]+,[^,]*,[0-9]+,[^,]*,storefront-pool,.*,Client,ClientRead,idle,' "$act" || true)
[[ $(grep -c . <<<"$tx_row") -eq 1 && -n $tx_row ]] || die "snapshot 2: no single idle-in-transaction checkout-worker row in $act"
[[ $(grep -c . <<<"$blk_row") -eq 1 && -n $blk_row ]] || die "snapshot 2: no single blocked report-api row in $act"
[[ -n $idle_row ]] || die "snapshot 2: no idle storefront-pool row in $act"
tx_backend=$(cut -d, -f4 <<<"$tx_row")
[[ ${blk_row##*,} == "{$tx_backend}" ]] \
    || die "snapshot 2: report-api is blocked by ${blk_row##*,}, not by checkout-worker ($tx_backend)"
grep -qE ',ShareLock,f,' "$STATS_WORK/$APP_DB-2/pg_locks.csv" \
    || die "snapshot 2: no ungranted ShareLock in pg_locks.csv"
log "snapshot 2: checkout-worker $tx_backend idle in transaction, blocking report-api $(cut -d, -f4 <<<"$blk_row")"

# End them: checkout-worker rolls back (report-api's UPDATE then goes through
# and commits) and gets EOF; storefront-pool gets EOF. Each psql exits 0.
printf '%s\n' 'ROLLBACK;' >&7
exec 7>&-
wait "$tx_pid"
wait "$blocked_pid"
exec 8>&-
wait "$idle_pid"
BG_PIDS=()

log "run 1: stopping server"
stop_server
publish "$RUN1_LOG" "$OUT_DIR/postgresql-main.log"
publish_stats

# ===========================================================================
# RUN 2 -> postgresql-statement-duration.log
# ===========================================================================
# Same data directory, Debian's default prefix, statements logged by
# log_statement=all and their durations by log_duration=on (a bare
# "duration: X ms" line per statement -- and, for the extended protocol, per
# parse and bind step too).
RUN2_LOG=$WORK/postgresql-statement-duration.log
cat >"$DATA/pgsift-run.conf" <<'EOF'
log_line_prefix = '%m [%p] %q%u@%d '
log_min_duration_statement = -1
log_statement = 'all'
log_duration = on
EOF
chown postgres: "$DATA/pgsift-run.conf"
log "run 2: starting server"
start_server "$RUN2_LOG"

log "run 2: pgbench simple and prepared"
export PGAPPNAME=pgbench
pgbench_tcp -U postgres --random-seed="$SEED" -M simple   -c 2 -j 2 -t "$RUN2_T" "$BENCH_DB"
pgbench_tcp -U postgres --random-seed="$SEED" -M prepared -c 2 -j 2 -t "$RUN2_T" "$BENCH_DB"

log "run 2: psql statements as $APP_ROLE"
export PGAPPNAME=billing-api
psql_app <<'EOF'
SELECT id, email FROM customers WHERE id = 42;
SELECT o.id, o.status, o.total_cents
  FROM orders AS o
 WHERE o.customer_email = 'customer42@example.com'
 ORDER BY o.id;
SELECT count(*) FROM orders WHERE status = 'pending';
UPDATE customers SET note = 'run 2' WHERE id = 42;
EOF
psql_app -c 'SELECT 1 AS "<script>alert(1)</script>", '\''<img src=x onerror=alert(2)>'\'' AS payload;'
psql_app_err <<'EOF'
SELEC 2;
EOF

log "run 2: stopping server"
stop_server
publish "$RUN2_LOG" "$OUT_DIR/postgresql-statement-duration.log"

# ===========================================================================
# RUN 3 -> tests/data/formats/postgresql.log, postgresql.csv, postgresql.json
# ===========================================================================
# Same data directory, the logging collector on and three destinations at
# once: every message is written to the stderr-format file, the CSV file and
# the JSON file by the same server, so the three files describe the same
# events. With log_filename = 'postgresql' (no strftime escapes, no ".log")
# PostgreSQL 15 names them "postgresql", "postgresql.csv" and
# "postgresql.json"; rotation is disabled so there is exactly one file each.
# log_line_prefix only applies to the stderr format.
RUN3_DIR=$WORK/run3-logs                # log_directory (absolute path)
RUN3_PGCTL_LOG=$WORK/run3-pg_ctl.log    # postmaster stderr before the collector takes over
mkdir -p "$RUN3_DIR"
chown postgres: "$RUN3_DIR"
chmod 0700 "$RUN3_DIR"
cat >"$DATA/pgsift-run.conf" <<EOF
logging_collector = on
log_destination = 'stderr,csvlog,jsonlog'
log_directory = '$RUN3_DIR'
log_filename = 'postgresql'
log_rotation_age = 0
log_rotation_size = 0
log_line_prefix = '%m [%p] %q%u@%d '
log_min_duration_statement = 0
log_statement = 'none'
log_duration = off
EOF
chown postgres: "$DATA/pgsift-run.conf"
log "run 3: starting server (logging collector, stderr+csvlog+jsonlog)"
start_server "$RUN3_PGCTL_LOG"

log "run 3: pgbench simple and extended"
export PGAPPNAME=pgbench
pgbench_tcp -U postgres --random-seed="$SEED" -M simple   -c 2 -j 2 -t "$RUN3_SIMPLE_T" "$BENCH_DB"
pgbench_tcp -U postgres --random-seed="$SEED" -M extended -c 2 -j 2 -t "$RUN3_EXT_T"    "$BENCH_DB"

log "run 3: psql statements as $APP_ROLE"
export PGAPPNAME=billing-api
psql_app <<'EOF'
SELECT id, email FROM customers WHERE id = 42;
SELECT o.id, o.status, o.total_cents
  FROM orders AS o
 WHERE o.customer_email = 'customer42@example.com'
 ORDER BY o.id
 LIMIT 5;
UPDATE customers SET note = 'run 3' WHERE id = 42;
EOF
psql_app -c 'SELECT 1 AS "<script>alert(1)</script>", '\''<img src=x onerror=alert(2)>'\'' AS payload;'
psql_app_err <<'EOF'
SELEC id FROM customers WHERE id = 1;
EOF

# The bind parameter with ", ", a single quote and a newline, as in run 1: the
# value comes from \gset in a pgbench script (extended protocol), so it is sent
# as a parameter of the UPDATE, not interpolated into the SQL.
RUN3_PARAM=$WORK/run3-param.sql
cat >"$RUN3_PARAM" <<'EOF'
\set cid random(1, 2000)
SELECT name || E', it''s\nfragile -- handle with care' AS note
  FROM customers WHERE id = :cid \gset
UPDATE customers SET note = :note WHERE id = :cid;
EOF
pgbench_tcp -U "$APP_ROLE" -n --random-seed="$SEED" -M extended -c 1 -j 1 -t 2 -f "$RUN3_PARAM" "$APP_DB"

# The logging collector ("postgres: logger") is not waited for by pg_ctl: it
# exits after the postmaster, once it has drained its pipe. Note its PID now
# and wait for it after the stop, so the last lines are in the files.
log "run 3: stopping server"
postmaster_pid=$(head -n 1 "$DATA/postmaster.pid")
logger_pid=$(ps -o pid=,args= --ppid "$postmaster_pid" | awk '$2 == "postgres:" && $3 == "logger" { print $1 }')
stop_server
if [[ -n $logger_pid ]]; then
    for ((i = 0; i < 60; i++)); do
        kill -0 "$logger_pid" 2>/dev/null || break
        sleep 0.5
    done
    kill -0 "$logger_pid" 2>/dev/null && die "logger process $logger_pid still running 30 s after the stop"
else
    log "warning: could not find the logger process; sleeping 2 s instead"
    sleep 2
fi

log "run 3: files written by the collector: $(cd "$RUN3_DIR" && ls -A | tr '\n' ' ')"
for f in postgresql postgresql.csv postgresql.json; do
    [[ -s $RUN3_DIR/$f ]] || die "run 3: $RUN3_DIR/$f missing or empty"
done
publish "$RUN3_DIR/postgresql"      "$FORMATS_DIR/postgresql.log"
publish "$RUN3_DIR/postgresql.csv"  "$FORMATS_DIR/postgresql.csv"
publish "$RUN3_DIR/postgresql.json" "$FORMATS_DIR/postgresql.json"

# Sanity check: the same number of timed executions in the three formats.
# (CSV: the message is the quoted field after ",LOG,00000,"; JSON: one record
# per line, quotes inside values are escaped, so '"message":"' is a key.)
n_stderr=$(count_log "$FORMATS_DIR/postgresql.log"  'duration: [0-9.]+ ms  (statement|execute [^:]*):')
n_csv=$(count_log    "$FORMATS_DIR/postgresql.csv"  ',LOG,00000,"duration: [0-9.]+ ms  (statement|execute [^:]*):')
n_json=$(count_log   "$FORMATS_DIR/postgresql.json" '"message":"duration: [0-9.]+ ms  (statement|execute [^:]*):')
log "run 3: timed executions: stderr $n_stderr, csv $n_csv, json $n_json"
[[ $n_stderr == "$n_csv" && $n_stderr == "$n_json" ]] \
    || log "WARNING: run 3 execution counts differ between formats"

log "done"
