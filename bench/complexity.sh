#!/usr/bin/env bash
# bench/complexity.sh: pathological inputs at size N and 4N, built from the
# samples' real log (its prefix, its lines), each read by `pgsift report`; the
# time ratio 4N/N tells linear (about 4) from quadratic (about 16). A ratio
# above 5, or a run past the timeout, is a failure: the script says so and
# exits 1. Prints time and peak RSS of every run. See bench/README.md.
#
#   bash bench/complexity.sh [--no-build] [--scale K] [--timeout S] [--workdir DIR]
#
# --scale multiplies every base size (default 1); --timeout caps each run
# (default 120 s); the inputs go to --workdir (default /var/tmp/pgsift-complexity).
set -euo pipefail
cd "$(dirname "$0")/.."

build=1 scale=1 timeout_s=120 work=/var/tmp/pgsift-complexity
while [ $# -gt 0 ]; do
    case "$1" in
        --no-build) build=0 ;;
        --scale) scale="$2"; shift ;;
        --timeout) timeout_s="$2"; shift ;;
        --workdir) work="$2"; shift ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
[ "$build" = 1 ] && cargo build --release --quiet
bin="$PWD/target/release/pgsift"
mkdir -p "$work"
if [ ! -x /usr/bin/time ]; then
    (apt-get update -qq && apt-get install -y -qq time) >/dev/null
fi

# make CASE N FILE: writes the case's input of size N (python: the samples'
# real log gives the prefix and the ordinary lines around the pathological one)
make() {
    python3 - "$1" "$2" "$3" <<'PY'
import sys
case, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
log = open("samples/logs/postgresql-main.log", encoding="utf-8").read().splitlines()
timed = next(l for l in log if " LOG:  duration: " in l and "  statement: " in l)
prefix = timed[: timed.index(" LOG:  ")]
def stmt(sql, ms="1.000"):
    return f"{prefix} LOG:  duration: {ms} ms  statement: {sql}"
around = log[:300]
body = []
if case == "loglike":      # N KiB of log-like text in a string literal
    seg = f"{prefix} LOG:  hello user@db connection authorized: user=a database=b "
    text = (seg * (n * 1024 // len(seg) + 1))[: n * 1024].replace("'", "''")
    body = [stmt(f"INSERT INTO app_log VALUES ('{text}')")]
elif case == "cr":          # N real lines ending in a bare CR
    with open(out, "w", encoding="utf-8") as f:
        f.write("\r".join((log * (n // len(log) + 1))[:n]) + "\r")
    sys.exit()
elif case == "literal":     # one N MiB string literal
    body = [stmt("SELECT '" + "x" * (n << 20) + "'")]
elif case == "continuation":  # one statement of N continuation lines
    rows = ",\n\t".join(f"({i}, 'c{i}')" for i in range(n))
    body = [stmt("INSERT INTO t VALUES\n\t" + rows)]
elif case == "parens":      # N nested parentheses
    body = [stmt("SELECT " + "(" * n + "1" + ")" * n)]
elif case == "params":      # N $n parameters
    body = [stmt("SELECT " + ", ".join(f"${i}" for i in range(1, n + 1)))]
elif case == "inlist":      # an IN list of N items
    body = [stmt("SELECT * FROM t WHERE id IN (" + ", ".join(str(i) for i in range(n)) + ")")]
elif case == "aliases":     # N output aliases (`c AS a1, ...`)
    body = [stmt("SELECT " + ", ".join(f"c{i} AS a{i}" for i in range(n)) + " FROM t ORDER BY a1")]
elif case == "conditions":  # N AND-ed conditions on columns of one table
    body = [stmt("SELECT * FROM t WHERE " + " AND ".join(f"c{i} = {i}" for i in range(n)))]
elif case == "detail":      # a DETAIL with N bind parameters
    body = [stmt("SELECT 1 WHERE $1 = $1"),
            f"{prefix} DETAIL:  parameters: " + ", ".join(f"${i} = '{i}'" for i in range(1, n + 1))]
elif case == "backtrack":   # a prefix of many free fields, inferred and matched
    line = "x" + " user=a database=b" * n + " LOG:  hello"
    with open(out, "w", encoding="utf-8") as f:
        f.write((line + "\n") * 50)
    sys.exit()
elif case == "lines":       # N ordinary lines (the baseline: linear by design)
    with open(out, "w", encoding="utf-8") as f:
        f.write("\n".join((log * (n // len(log) + 1))[:n]) + "\n")
    sys.exit()
elif case == "index_rows":  # pg_stat_user_indexes with N thousand rows
    import os
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "pg_stat_user_indexes.csv"), "w") as f:
        f.write("snapshot_at,datname,relid,indexrelid,schemaname,relname,indexrelname,idx_scan,idx_tup_read,idx_tup_fetch\n")
        for i in range(n * 1000):
            t = i // 10
            f.write(f"2026-11-27 10:59:22.623401+00,shop,{100000+t},{200000+i},public,t{t},t{t}_idx{i%10},{i%7},{i},{i}\n")
    sys.exit()
# the pathological entry 20 times, between ordinary lines: long enough to time
with open(out, "w", encoding="utf-8") as f:
    f.write("\n".join(around + (body + around[:20]) * 20) + "\n")
PY
}

# run FILE: "seconds peak_kb", or "timeout -"
run() {
    local code
    set +e
    /usr/bin/time -o "$work/time.txt" -f "%e %M" \
        timeout "$timeout_s" "$bin" report "$1" -o "$work/out.html" -q >/dev/null 2>&1
    code=$?
    set -e
    # exit 1 (an input pgsift could not read whole) is an answer; 124 is the timeout
    if [ "$code" -eq 124 ]; then echo "timeout -"; else tail -1 "$work/time.txt"; fi
}

# case base-N
# statements stay under 1 MiB at 4N where the normalizer is what is measured
# (pgsift normalizes a longer one on its first MiB: see the README's limits)
cases=(
    "lines 200000"
    "loglike 200"
    "cr 50000"
    "literal 1"
    "continuation 100000"
    "parens 100000"
    "params 25000"
    "inlist 25000"
    "detail 20000"
    "aliases 10000"
    "conditions 10000"
    "backtrack 6"
    "index_rows 200"
)
failed=0
printf '%-13s %9s %9s %9s %7s %9s  %s\n' case N "t(N) s" "t(4N) s" ratio "RSS(4N)" verdict
for c in "${cases[@]}"; do
    set -- $c
    name=$1 n=$(( $2 * scale ))
    make "$name" "$n" "$work/$name-1"
    make "$name" $(( 4 * n )) "$work/$name-4"
    read -r t1 _ < <(run "$work/$name-1")
    read -r t4 rss4 < <(run "$work/$name-4")
    verdict=ok ratio=-
    if [ "$t4" = timeout ] || [ "$t1" = timeout ]; then
        verdict="FAIL (timeout ${timeout_s} s)"
        failed=1
    elif awk "BEGIN { exit !($t4 >= 0.05) }"; then
        # below 50 ms both runs are mostly startup: no ratio to judge
        ratio=$(awk "BEGIN { printf \"%.1f\", $t4 / ($t1 > 0.01 ? $t1 : 0.01) }")
        if awk "BEGIN { exit !($ratio > 5) }"; then
            verdict=FAIL
            failed=1
        fi
    fi
    printf '%-13s %9s %9s %9s %7s %9s  %s\n' "$name" "$n" "$t1" "$t4" "$ratio" "${rss4:--}K" "$verdict"
done
exit $failed
