#!/usr/bin/env python3
"""Rewrites psql's plain CSV exports (plain/) the way two GUI tools write their
CSV downloads of the same query results, so pgsift can be tested on them:

tools/pgadmin/   pgAdmin 4 "Download as CSV" with its defaults: `,` separator,
                 strings quoted (header names too, they are strings), numbers
                 bare, booleans `true`/`false`, NULL empty, timestamps as
                 Python prints them (`2026-12-04 10:12:13.123456+00:00`).
tools/dbeaver/   DBeaver "Export data -> CSV" with options people set: UTF-8
                 BOM, `;` delimiter, header case UPPER, quote only when needed,
                 NULL written as `NULL`, "format numbers" on (en_US grouping:
                 `21,178`, `1,234.5`), booleans `true`/`false`, timestamps in
                 the tool's default `yyyy-MM-dd HH:mm:ss.SSS` (no zone; the
                 client ran in UTC, as the server).

Every cell keeps its value; only its spelling changes. Usage:
    tool-style.py PLAIN_DIR OUT_DIR
"""

import csv
import os
import re
import sys

INT = re.compile(r"^-?\d+$")
FLOAT = re.compile(r"^-?\d+\.\d+$")
TS = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)(\.\d+)?\+00$")


def kind(values):
    """The column's type as a tool sees it, from its non-null values."""
    vals = [v for v in values if v != ""]
    if not vals:
        return "text"
    if all(v in ("t", "f") for v in vals):
        return "bool"
    if all(INT.match(v) for v in vals):
        return "int"
    if all(INT.match(v) or FLOAT.match(v) for v in vals):
        return "float"
    if all(TS.match(v) for v in vals):
        return "ts"
    return "text"


def grouped(v):
    neg = v.startswith("-")
    whole, _, frac = v.lstrip("-").partition(".")
    out = f"{int(whole):,}"
    if frac:
        out += "." + frac
    return ("-" if neg else "") + out


def pgadmin(header, rows, kinds, path):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, quoting=csv.QUOTE_NONE, escapechar=None, lineterminator="\r\n")
        q = lambda s: '"' + s.replace('"', '""') + '"'
        f.write(",".join(q(h) for h in header) + "\r\n")
        for r in rows:
            cells = []
            for v, k in zip(r, kinds):
                if v == "":
                    cells.append("")
                elif k == "bool":
                    cells.append("true" if v == "t" else "false")
                elif k in ("int", "float"):
                    cells.append(v)
                elif k == "ts":
                    m = TS.match(v)
                    cells.append(q(m.group(1) + (m.group(2) or "") + "+00:00"))
                else:
                    cells.append(q(v))
            f.write(",".join(cells) + "\r\n")
    del w


def dbeaver(header, rows, kinds, path):
    with open(path, "w", newline="", encoding="utf-8-sig") as f:
        w = csv.writer(f, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        w.writerow([h.upper() for h in header])
        for r in rows:
            cells = []
            for v, k in zip(r, kinds):
                if v == "":
                    cells.append("NULL")
                elif k == "bool":
                    cells.append("true" if v == "t" else "false")
                elif k in ("int", "float"):
                    cells.append(grouped(v))
                elif k == "ts":
                    m = TS.match(v)
                    ms = (m.group(2) or ".0")[1:4].ljust(3, "0")
                    cells.append(f"{m.group(1)}.{ms}")
                else:
                    cells.append(v)
            w.writerow(cells)


def main(src, dst):
    for folder in sorted(os.listdir(src)):
        for name in sorted(os.listdir(os.path.join(src, folder))):
            with open(os.path.join(src, folder, name), newline="", encoding="utf-8") as f:
                table = list(csv.reader(f))
            header, rows = table[0], table[1:]
            kinds = [kind([r[i] for r in rows]) for i in range(len(header))]
            for tool, write in (("pgadmin", pgadmin), ("dbeaver", dbeaver)):
                os.makedirs(os.path.join(dst, tool, folder), exist_ok=True)
                write(header, rows, kinds, os.path.join(dst, tool, folder, name))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
