#!/usr/bin/env bash
# tests/data/check/workload.sh — REAL PostgreSQL 15 logs of one workload run
# three times, for the regression gate (`pgsift check`):
#
#   with-index.log     the workload with orders(customer_id) indexed
#   with-index-2.log   the same again (run-to-run noise, no change)
#   without-index.log  the same after DROP INDEX: lookups by customer turn
#                      into sequential scans of 200,000 rows (the regression)
#
# Usage (as root):   bash tests/data/check/workload.sh
#
# A throwaway cluster in a `mktemp -d` directory (owned by the `postgres` OS
# user, 127.0.0.1 only, port $PGSIFT_PORT, default 54335), deleted on exit,
# with the samples' logging settings (log_line_prefix '%m [%p]: [%l-1]
# user=%u,db=%d,app=%a,client=%h ', log_min_duration_statement = 0,
# log_connections, log_disconnections, lc_messages C). Each run is one
# server start with its own log file (pg_ctl -l), so each log holds exactly
# one run; the logs are copied out byte for byte after the server stopped.
#
# The workload, one psql session per application: `shop-api` looks up 300
# customers' orders (the indexed query) and reads 100 products by primary
# key; `shop-report` counts the day's orders 20 times. Parameters are drawn
# with a fixed seed, so the three runs send the same statements.

set -euo pipefail

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PORT=${PGSIFT_PORT:-54335}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

[[ $(id -u) -eq 0 ]] || { echo "run as root" >&2; exit 1; }
WORK=$(mktemp -d /tmp/pgsift-check.XXXXXX)
chmod 0755 "$WORK"
DATA=$WORK/data
trap 'set +e; [[ -f $DATA/postmaster.pid ]] && runuser -u postgres -- "$PGBIN/pg_ctl" -D "$DATA" stop -m immediate -w >/dev/null 2>&1; rm -rf "$WORK"' EXIT
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
log_min_duration_statement = -1
log_connections = off
log_disconnections = off
EOF

start() { (cd "$WORK" && runuser -u postgres -- "$PGBIN/pg_ctl" -D "$DATA" -l "$1" -w start >/dev/null); }
stop() { (cd "$WORK" && runuser -u postgres -- "$PGBIN/pg_ctl" -D "$DATA" -w stop -m fast >/dev/null); }
sql() { "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres "$@"; }

# the schema and data, logged nowhere (log_min_duration_statement = -1)
start "$WORK/setup.log"
sql -d postgres -c "CREATE DATABASE shop" >/dev/null
sql -d shop >/dev/null <<'SQL'
CREATE TABLE products (id int PRIMARY KEY, name text NOT NULL, price_cents int NOT NULL);
INSERT INTO products SELECT g, 'product ' || g, 100 + g % 900 FROM generate_series(1, 5000) g;
CREATE TABLE orders (
    id bigint PRIMARY KEY, customer_id int NOT NULL, product_id int NOT NULL,
    created_at timestamptz NOT NULL, amount_cents int NOT NULL);
INSERT INTO orders
SELECT g, 1 + (g * 7919) % 20000, 1 + g % 5000, now() - (g % 1000) * interval '1 minute', g % 10000
FROM generate_series(1, 200000) g;
CREATE INDEX orders_customer_id_idx ON orders (customer_id);
VACUUM ANALYZE;
ALTER SYSTEM SET log_min_duration_statement = 0;
ALTER SYSTEM SET log_connections = on;
ALTER SYSTEM SET log_disconnections = on;
SQL
stop

# the same statements every run (fixed seed)
python3 - "$WORK" <<'PY'
import random, sys
r = random.Random(21)
with open(sys.argv[1] + "/api.sql", "w") as f:
    for i in range(300):
        f.write(f"SELECT id, product_id, amount_cents FROM orders WHERE customer_id = {r.randint(1, 20000)} ORDER BY created_at DESC;\n")
        if i % 3 == 0:
            f.write(f"SELECT name, price_cents FROM products WHERE id = {r.randint(1, 5000)};\n")
with open(sys.argv[1] + "/report.sql", "w") as f:
    for i in range(20):
        f.write("SELECT count(*) FROM orders WHERE created_at > now() - interval '1 hour';\n")
PY
chown postgres: "$WORK"/*.sql

run() {
    local name=$1
    start "$WORK/$name.log"
    PGAPPNAME=shop-api sql -d shop -f "$WORK/api.sql" >/dev/null
    PGAPPNAME=shop-report sql -d shop -f "$WORK/report.sql" >/dev/null
    stop
    cp "$WORK/$name.log" "$HERE/$name.log"
    echo "[check] wrote $name.log ($(wc -l <"$HERE/$name.log") lines)" >&2
}

run with-index
run with-index-2
start "$WORK/drop.log"
sql -d shop -c "DROP INDEX orders_customer_id_idx" >/dev/null
stop
run without-index
