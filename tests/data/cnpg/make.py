#!/usr/bin/env python3
"""Builds tests/data/cnpg/postgresql.cnpg.json.gz: a CloudNativePG pod log of
the real PostgreSQL 15 run in tests/data/formats/postgresql.csv.

CloudNativePG runs PostgreSQL with csvlog into a pipe and writes each csvlog
record to the pod's stdout as JSON: `{"level", "ts", "logger": "postgres",
"msg": "record", "logging_pod", "record": {<the csvlog columns, named as in
the PostgreSQL documentation, every value a string>}}` (format from
https://cloudnative-pg.io/documentation/current/logging and the example line
in pganalyze's CNPG setup page). So the records here are the real csvlog's
records, column for column; only the JSON wrapping is made here. Lines of the
operator's other loggers (instance manager, WAL archiving), as those pages
show them, are interleaved every 50 records: pgsift must count them, not
analyze them.

Usage: make.py (from anywhere); writes beside this script.
"""

import csv
import gzip
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "..", "formats", "postgresql.csv")
OUT = os.path.join(HERE, "postgresql.cnpg.json.gz")
POD = "cluster-example-1"
# csvlog columns of PostgreSQL 15, in order
COLUMNS = [
    "log_time", "user_name", "database_name", "process_id", "connection_from",
    "session_id", "session_line_num", "command_tag", "session_start_time",
    "virtual_transaction_id", "transaction_id", "error_severity",
    "sql_state_code", "message", "detail", "hint", "internal_query",
    "internal_query_pos", "context", "query", "query_pos", "location",
    "application_name", "backend_type", "leader_pid", "query_id",
]


def rfc3339(log_time):
    # "2026-11-27 10:59:07.288 UTC" -> "2026-11-27T10:59:07.288000Z"
    day, clock, _zone = log_time.split(" ")
    if "." not in clock:
        clock += ".000"
    return f"{day}T{clock}000Z"


def other(i, ts):
    loggers = [
        ("instance-manager", "Readiness probe succeeded", {}),
        ("wal-archive", "Archived WAL file", {"walName": f"pg_wal/0000000100000000000000{i % 99:02X}"}),
        ("instance-manager", "Checking for free disk space for WALs before starting PostgreSQL", {}),
    ]
    logger, msg, extra = loggers[i % len(loggers)]
    line = {"level": "info", "ts": ts, "logger": logger, "msg": msg, "logging_pod": POD}
    line.update(extra)
    return json.dumps(line, separators=(",", ":"))


def main():
    with open(SRC, newline="", encoding="utf-8") as f:
        records = list(csv.reader(f))
    out = []
    for i, r in enumerate(records):
        record = dict(zip(COLUMNS, r))
        ts = rfc3339(record["log_time"])
        if i % 50 == 0:
            out.append(other(i // 50, ts))
        line = {
            "level": "info",
            "ts": ts,
            "logger": "postgres",
            "msg": "record",
            "logging_pod": POD,
            "record": record,
        }
        out.append(json.dumps(line, separators=(",", ":"), ensure_ascii=False))
    with gzip.open(OUT, "wt", encoding="utf-8", compresslevel=9) as g:
        g.write("\n".join(out) + "\n")
    print(f"wrote {OUT}: {len(records)} records, {len(out) - len(records)} other lines")


if __name__ == "__main__":
    main()
