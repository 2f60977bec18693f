#!/usr/bin/env python3
"""Cuts the repository's sample logs, statistics exports and partial results
into the small seed corpus of each fuzz target (fuzz/seeds/<target>/).

    python3 fuzz/make_seeds.py [path/to/pgsift]

Run from the repository root. The pgsift binary (default: target/debug/pgsift,
built with `cargo build`) writes the partial results the `partial` target
starts from; without it those seeds are skipped. Deterministic: the same
inputs give the same files. Each seed is a few KB; the whole corpus stays
well under 1 MB.
"""

import bz2
import csv
import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.getcwd()
OUT = os.path.join(ROOT, "fuzz", "seeds")
PIECE = 3000  # bytes per piece, about
BUDGET = 90_000  # bytes per target, about


def read(path):
    p = os.path.join(ROOT, path)
    if path.endswith(".gz"):
        return gzip.open(p).read()
    if path.endswith(".bz2"):
        return bz2.open(p).read()
    return open(p, "rb").read()


def pieces(data, n, starts_entry=lambda line: True, size=PIECE):
    """Up to n pieces of about `size` bytes spread over `data`, each cut at
    line boundaries and starting at a line for which `starts_entry` holds."""
    lines = data.splitlines(keepends=True)
    if not lines:
        return []
    out = []
    step = max(1, len(lines) // n)
    for i in range(0, len(lines), step):
        j = i
        while j < len(lines) and not starts_entry(lines[j]):
            j += 1
        buf = b""
        while j < len(lines) and len(buf) < size:
            buf += lines[j]
            j += 1
        if buf and buf not in out:
            out.append(buf)
        if len(out) >= n:
            break
    return out


def is_ts(line):
    return line[:2] in (b"19", b"20") or line[:3] == b'"20'


class Target:
    def __init__(self, name):
        self.name = name
        self.dir = os.path.join(OUT, name)
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        self.size = 0

    def add(self, data):
        if not data or self.size >= BUDGET:
            return
        h = hashlib.sha1(data).hexdigest()[:16]
        with open(os.path.join(self.dir, h), "wb") as f:
            f.write(data)
        self.size += len(data)

    def add_all(self, items):
        for d in items:
            self.add(d)


STDERR_LOGS = [
    "samples/logs/postgresql-main.log",
    "samples/logs/postgresql-statement-duration.log",
    "tests/data/formats/postgresql.log",
    "tests/data/audit-edge/interleaved.log",
    "tests/data/audit-edge/seconds_tx.log",
    "tests/data/pgbadger/light.postgres.log",
    "tests/data/pgbadger/queryid.log",
    "tests/data/pgbadger/multiline_param.log",
    "tests/data/i18n/de.log",
    "tests/data/i18n/fr.log",
    "tests/data/i18n/ja.log",
    "tests/data/i18n/ru.log",
    "tests/data/advice/shop.log",
]
SMALL_STDERR = [
    "tests/data/audit-edge/ext_noparams.log",
    "tests/data/audit-edge/prepare_tx.log",
    "tests/data/pgbadger/begin_end.log",
    "tests/data/pgbadger/stmt_type.log",
    "tests/data/pgbadger/pg_rawcsv.log",
    "tests/data/detect/azure.log",
    "tests/data/detect/backend-type.log",
    "tests/data/detect/queryid.log",
    "tests/data/detect/rds.log",
    "tests/data/detect/vxid-session.log",
    "tests/data/detect/xid-appli.log",
]


def stderr_fixed():
    t = Target("stderr_fixed")
    # the logs written with the fixed prefix '%m [%p] %q%u@%d ' (or close to it)
    for p in ["tests/data/audit-edge/ext_noparams.log", "tests/data/audit-edge/prepare_tx.log",
              "tests/data/pgbadger/queryid.log"]:
        t.add_all(pieces(read(p), 3, is_ts))
    for p in ["tests/data/audit-edge/interleaved.log", "tests/data/audit-edge/pgbench_S.log",
              "tests/data/audit-edge/seconds_tx.log", "samples/logs/postgresql-main.log",
              "tests/data/i18n/ru.log", "tests/data/pgbadger/multiline_param.log"]:
        t.add_all(pieces(read(p), 3, is_ts))


def stderr_detect():
    t = Target("stderr_detect")
    for p in SMALL_STDERR:
        t.add(read(p)[:PIECE])
    for p in STDERR_LOGS:
        t.add_all(pieces(read(p), 2, is_ts))


def prefix():
    t = Target("prefix")
    rows = [l.split("\t") for l in read("tests/data/detect/prefixes.tsv").decode().splitlines()]
    for name, pfx in rows:
        t.add(pfx.encode() + b"\n" + read(f"tests/data/detect/{name}.log")[:2000])
    for pfx, p in [
        ("%m [%p] ", "tests/data/formats/postgresql.log"),
        ("%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ", "samples/logs/postgresql-main.log"),
        ("%m [%p] %q%u@%d ", "tests/data/audit-edge/interleaved.log"),
        ("%t [%p]: db=%d,user=%u,app=%a,client=%h ", "tests/data/pgbadger/begin_end.log"),
        ("%m [%p] [queryid=%Q] %q%u@%d ", "tests/data/pgbadger/queryid.log"),
        ("%n [%p] %-10u %e %i %b %v %x %r %c %s %l %P %% ", "tests/data/formats/postgresql.log"),
    ]:
        t.add(pfx.encode() + b"\n" + pieces(read(p), 1, is_ts, 2000)[0])


def csvlog():
    t = Target("csvlog")
    for p in ["tests/data/formats/postgresql.csv", "tests/data/detect/csvlog-plans.csv",
              "tests/data/precision/postgresql.csv"]:
        t.add_all(pieces(read(p), 6, is_ts))
    for p in ["tests/data/pgbadger/anonymize.log", "tests/data/pgbadger/weeknumber.log",
              "tests/data/pgbadger/csv_statement_without_duration.log"]:
        t.add(read(p)[:PIECE])


def jsonlog():
    t = Target("jsonlog")
    starts = lambda l: l.startswith(b"{")
    t.add_all(pieces(read("tests/data/formats/postgresql.json"), 8, starts))
    t.add_all(pieces(read("tests/data/pgbadger/pg_vacuums.json.gz"), 4, starts))
    t.add_all(pieces(read("tests/data/pgbadger/cloudsql.log.gz"), 4, starts))
    t.add_all(pieces(read("tests/data/cnpg/postgresql.cnpg.json.gz"), 4, starts))


def syslog():
    t = Target("syslog")
    t.add_all(pieces(read("tests/data/pgbadger/pg-syslog.1.bz2"), 12))
    t.add_all(pieces(read("tests/data/heroku/postgresql.heroku.log.gz"), 8))
    # RFC 5424 and split records
    t.add(b"<134>1 2026-11-27T10:36:56.267+01:00 db1 postgres 25316 - - [3-1] user=app,db=shop LOG:  duration: 1.000 ms  statement: SELECT 1\n"
          b"<134>1 2026-11-27T10:36:56.268+01:00 db1 postgres 25316 - - [4-1] user=app,db=shop LOG:  duration: 2.000 ms  statement: SELECT a,\n"
          b"<134>1 2026-11-27T10:36:56.268+01:00 db1 postgres 25316 - - [4-2] #011b FROM t\n")


def normalize():
    t = Target("normalize")
    vectors = json.loads(read("tests/data/normalization-vectors.json"))
    for v in vectors:
        t.add(v["input"].encode())
    seen = set()
    for p in ["samples/logs/postgresql-main.log", "tests/data/pgbadger/queryid.log",
              "tests/data/pgbadger/multiline_param.log", "tests/data/advice/shop.log"]:
        for line in read(p).splitlines():
            for marker in (b"statement: ", b"execute ", b"STATEMENT:  "):
                i = line.find(marker)
                if i >= 0:
                    sql = line[i + len(marker):]
                    if b": " in sql[:40] and marker == b"execute ":
                        sql = sql.split(b": ", 1)[1]
                    key = sql[:30]
                    if key not in seen and len(sql) > 8:
                        seen.add(key)
                        t.add(sql[:PIECE])


def plan():
    t = Target("plan")
    csv.field_size_limit(10**9)
    text = read("tests/data/detect/csvlog-plans.csv").decode()
    for r in csv.reader(io.StringIO(text)):
        if len(r) > 13 and "plan:" in r[13]:
            t.add(r[13].split("plan:", 1)[1].encode()[:PIECE])
    # text plans logged on several lines (tab-indented after the first)
    lines = read("samples/logs/postgresql-main.log").splitlines()
    for i, l in enumerate(lines):
        if l.endswith(b"plan:"):
            body = []
            for m in lines[i + 1:]:
                if not m.startswith(b"\t"):
                    break
                body.append(m[1:])
            t.add(b"\n" + b"\n".join(body)[:PIECE])
    t.add(b'{"Query Text": "SELECT 1", "Plan": {"Node Type": "Nested Loop", "Plan Rows": 1, "Actual Rows": 1, "Actual Loops": 1, "Plans": [{"Node Type": "Index Scan", "Relation Name": "items", "Plan Rows": 1, "Actual Rows": 1, "Actual Loops": 5000}, {"Node Type": "Hash", "Hash Batches": 4}]}}')
    t.add(b'[{"Query Text": "SELECT id FROM t WHERE code = 1;", "Plan": {"Node Type": "Gather", "Plan Rows": 1, "Actual Rows": 1, "Actual Loops": 1, "Workers Planned": 2, "Workers Launched": 2, "Plans": [{"Node Type": "Seq Scan", "Parallel Aware": true, "Relation Name": "t", "Alias": "t", "Plan Rows": 1, "Actual Rows": 0, "Actual Loops": 3, "Filter": "(code = 1)", "Rows Removed by Filter": 99999, "Workers": []}]}}]')


def stats_csv():
    t = Target("stats_csv")
    files = []
    for base in ["samples/stats/shop-eu-1", "tests/data/exports/tsv/shop",
                 "tests/data/exports/tools/dbeaver", "tests/data/exports/tools/pgadmin",
                 "tests/data/stats-edge"]:
        for dirpath, _, names in sorted(os.walk(os.path.join(ROOT, base))):
            for n in sorted(names):
                if not n.endswith(".md"):
                    files.append(os.path.relpath(os.path.join(dirpath, n), ROOT))
    for p in files:
        data = read(p)
        if not data:
            continue
        # the header and the first rows
        lines = data.splitlines(keepends=True)
        buf = b""
        for l in lines:
            if len(buf) + len(l) > 1500 and buf:
                break
            buf += l
        t.add(buf)


def partial(pgsift):
    t = Target("partial")
    if not pgsift or not os.path.exists(pgsift):
        print("no pgsift binary: partial seeds skipped", file=sys.stderr)
        return
    with tempfile.TemporaryDirectory() as tmp:
        small = []
        for p in ["tests/data/audit-edge/prepare_tx.log", "tests/data/audit-edge/ext_noparams.log",
                  "tests/data/detect/rds.log"]:
            small.append([os.path.join(ROOT, p)])
        piece = os.path.join(tmp, "piece.log")
        open(piece, "wb").write(pieces(read("samples/logs/postgresql-main.log"), 40, is_ts, 6000)[20])
        small.append([piece])
        stats = os.path.join(tmp, "export")
        os.makedirs(stats)
        for n in ["pg_stat_user_tables.csv", "pg_stat_user_indexes.csv", "indexes.csv"]:
            data = read(f"samples/stats/shop-eu-1/{n}").splitlines(keepends=True)[:6]
            open(os.path.join(stats, n), "wb").write(b"".join(data))
        small.append([stats])
        for i, inputs in enumerate(small):
            out = os.path.join(tmp, f"{i}.partial")
            subprocess.run([pgsift, "report", *inputs, "--save-partial", out,
                            "-o", os.path.join(tmp, f"{i}.html")],
                           check=False, capture_output=True)
            if not os.path.exists(out):
                continue
            raw = open(out, "rb").read()
            t.add(raw)
            # the JSON state alone: the target also frames its input as a partial
            nl = raw.index(b"\n")
            state = subprocess.run(["zstd", "-dc"], input=raw[nl + 1:], capture_output=True).stdout
            if state:
                t.add(state[:20_000])


def main():
    pgsift = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "target", "debug", "pgsift")
    stderr_fixed()
    stderr_detect()
    prefix()
    csvlog()
    jsonlog()
    syslog()
    normalize()
    plan()
    stats_csv()
    partial(pgsift)
    total = 0
    for d in sorted(os.listdir(OUT)):
        files = os.listdir(os.path.join(OUT, d))
        size = sum(os.path.getsize(os.path.join(OUT, d, f)) for f in files)
        total += size
        print(f"{d:15} {len(files):4} files {size:8} bytes")
    print(f"{'total':15} {total:19} bytes")


if __name__ == "__main__":
    main()
