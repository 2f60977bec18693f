#!/usr/bin/env python3
"""Builds tests/data/heroku/postgresql.heroku.log.gz: a Heroku logplex drain of
the real PostgreSQL 15 run in tests/data/formats/postgresql.csv.

Heroku Postgres sends its server log through syslog to logplex, which writes
one line per syslog message (format from Heroku Dev Center, "Heroku Postgres
Logs" and "Logplex", and the example line quoted in pgsift's issue 20):

    2019-03-14T00:22:56+00:00 app[postgres.4882]: [GREEN] [15-1]  sql_error_code = 00000 LOG:  duration: ...

`postgres.PID` is the backend, `[GREEN]` the database's attachment color,
`[N-M]` PostgreSQL's syslog numbering (N counts the process's messages, M the
lines of one message: a multi-line message is sent line by line), and
` sql_error_code = %e ` Heroku's log_line_prefix. Each csvlog record becomes
the messages stderr would print for it (the message, then DETAIL, HINT,
QUERY, CONTEXT and STATEMENT), numbered and split that way; times are the
record's, to the second, as logplex stamps them. Heroku's own metrics lines
(`app[heroku-postgres]: source=DATABASE sample#...`) are interleaved every 60
records: pgsift must count them, not analyze them.

Usage: make.py (from anywhere); writes beside this script.
"""

import csv
import gzip
import os

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "..", "formats", "postgresql.csv")
OUT = os.path.join(HERE, "postgresql.heroku.log.gz")


def stamp(log_time):
    day, clock, _zone = log_time.split(" ")
    return f"{day}T{clock.split('.')[0]}+00:00"


def main():
    with open(SRC, newline="", encoding="utf-8") as f:
        records = list(csv.reader(f))
    seq = {}
    out = []
    for i, r in enumerate(records):
        ts, pid, sev, code, msg = stamp(r[0]), r[3], r[11], r[12], r[13]
        detail, hint, iquery, context, query = r[14], r[15], r[16], r[18], r[19]
        if i % 60 == 0:
            out.append(
                f"{ts} app[heroku-postgres]: source=DATABASE addon=postgresql-curved-12345 "
                f"sample#current_transaction={1000 + i} sample#db_size=8192000bytes "
                f"sample#tables=7 sample#active-connections=3 sample#waiting-connections=0"
            )
        parts = [(sev, msg)]
        for label, text in (("DETAIL", detail), ("HINT", hint), ("QUERY", iquery),
                            ("CONTEXT", context), ("STATEMENT", query)):
            if text:
                parts.append((label, text))
        for label, text in parts:
            n = seq.get(pid, 0) + 1
            seq[pid] = n
            for m, line in enumerate(text.split("\n"), start=1):
                head = f"{ts} app[postgres.{pid}]: [GREEN] [{n}-{m}] "
                if m == 1:
                    out.append(f"{head} sql_error_code = {code} {label}:  {line}")
                else:
                    out.append(f"{head}{line}")
    with gzip.open(OUT, "wt", encoding="utf-8", compresslevel=9) as g:
        g.write("\n".join(out) + "\n")
    print(f"wrote {OUT}: {len(records)} records, {len(out)} lines")


if __name__ == "__main__":
    main()
