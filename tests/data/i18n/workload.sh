#!/usr/bin/env bash
# tests/data/i18n/workload.sh — REAL PostgreSQL 15 logs of one workload under
# several lc_messages: C (English), de_DE, fr_FR, ru_RU, ja_JP (UTF-8), so a
# localized log can be checked against the English one.
#
# Usage (as root):   bash tests/data/i18n/workload.sh
# Needs the Debian packages postgresql-15 (its message catalogs) and locales
# (the script generates the four locales with localedef when missing).
#
# A throwaway cluster in a `mktemp -d` directory (owned by the `postgres` OS
# user, 127.0.0.1 only, port $PGSIFT_PORT, default 54335), deleted on exit.
# For each lc_messages the server is restarted with it, logging to its own
# file (pg_ctl -l), log_line_prefix '%m [%p] %q%u@%d ', every statement with
# its duration, connections, disconnections, checkpoints, lock waits
# (deadlock_timeout 100ms) and temp files; then the same workload runs:
#   - pgbench -M extended, 2 clients x 20 transactions of a custom script;
#   - psql: three statements, a division by zero (ERROR), a sort that spills
#     (work_mem 64kB: a temp file), a CHECKPOINT;
#   - a lock wait: one session holds a row lock 400 ms while another updates
#     the row.
# -> C.log, de.log, fr.log, ru.log, ja.log: byte-for-byte what the postmaster
#    wrote on its stderr, copied after the server stopped.

set -euo pipefail

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PORT=${PGSIFT_PORT:-54335}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LOCALES=("C|C" "de|de_DE.UTF-8" "fr|fr_FR.UTF-8" "ru|ru_RU.UTF-8" "ja|ja_JP.UTF-8")

[[ $(id -u) -eq 0 ]] || { echo "run as root" >&2; exit 1; }
for l in de_DE fr_FR ru_RU ja_JP; do
    locale -a | grep -qi "^$l.utf-\?8$" || localedef -i "$l" -f UTF-8 "$l.UTF-8"
done
WORK=$(mktemp -d /tmp/pgsift-i18n.XXXXXX)
chmod 0755 "$WORK"
DATA=$WORK/data
trap 'set +e; [[ -f $DATA/postmaster.pid ]] && runuser -u postgres -- "$PGBIN/pg_ctl" -D "$DATA" stop -m immediate -w >/dev/null 2>&1; rm -rf "$WORK"' EXIT
mkdir -p "$DATA"
chown -R postgres: "$WORK"
chmod 0700 "$DATA"
runuser -u postgres -- "$PGBIN/initdb" -D "$DATA" -U postgres --auth=trust --locale=C --encoding=UTF8 >/dev/null
cat >>"$DATA/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$WORK'
log_timezone = 'UTC'
log_line_prefix = '%m [%p] %q%u@%d '
log_min_duration_statement = 0
log_connections = on
log_disconnections = on
log_checkpoints = on
log_lock_waits = on
deadlock_timeout = '100ms'
log_temp_files = 0
include 'messages.conf'
EOF
cat >"$WORK/bench.sql" <<'EOF'
\set id random(1, 100)
SELECT v FROM kv WHERE id = :id;
UPDATE kv SET v = v + 1 WHERE id = :id;
EOF
chown postgres: "$WORK/bench.sql"
P() { PGAPPNAME=${APP:-psql} "$PGBIN/psql" -X -q -h 127.0.0.1 -p "$PORT" -U postgres -d postgres "$@"; }
for entry in "${LOCALES[@]}"; do
    name=${entry%%|*}
    loc=${entry#*|}
    printf "lc_messages = '%s'\n" "$loc" >"$DATA/messages.conf"
    chown postgres: "$DATA/messages.conf"
    (cd "$WORK" && runuser -u postgres -- "$PGBIN/pg_ctl" -D "$DATA" -l "$WORK/$name.log" -w start >/dev/null)
    P -c "DROP TABLE IF EXISTS kv" -c "CREATE TABLE kv AS SELECT g AS id, 0 AS v FROM generate_series(1, 100) g" \
        -c "ALTER TABLE kv ADD PRIMARY KEY (id)"
    PGAPPNAME=bench "$PGBIN/pgbench" -n -M extended --random-seed=20261204 -c 2 -j 2 -t 20 \
        -h 127.0.0.1 -p "$PORT" -U postgres -f "$WORK/bench.sql" postgres >/dev/null
    P -c "SELECT count(*) FROM kv" -c "SELECT sum(v) FROM kv" -c "SELECT 1 / 0" 2>/dev/null || true
    P -c "SET work_mem = '64kB'" -c "SELECT g FROM generate_series(1, 100000) g ORDER BY g DESC LIMIT 1" -c "CHECKPOINT"
    APP=holder P -c "BEGIN" -c "SELECT v FROM kv WHERE id = 1 FOR UPDATE" -c "SELECT pg_sleep(0.4)" -c "COMMIT" &
    sleep 0.1
    APP=waiter P -c "UPDATE kv SET v = v + 1 WHERE id = 1"
    wait
    (cd "$WORK" && runuser -u postgres -- "$PGBIN/pg_ctl" -D "$DATA" -w stop -m fast >/dev/null)
    cp "$WORK/$name.log" "$HERE/$name.log"
    chmod 0644 "$HERE/$name.log"
    echo "[i18n] wrote $name.log ($(wc -l <"$HERE/$name.log") lines)" >&2
done
