#!/usr/bin/env python3
"""Writes src/parse/i18n/catalog.rs and catalog/<lang>.rs: the translations, from PostgreSQL's own
message catalogs, of the severities and of every message pgsift analyzes, so
a server with lc_messages other than English is read like an English one.

Source: the `postgres-15.mo` catalogs that Debian's postgresql-15 package
installs under /usr/share/locale/<lang>/LC_MESSAGES/ (PostgreSQL's NLS
translations). Only the msgids pgsift needs are kept: those starting with one
of ENGLISH_STARTS below (durations, statements, connections, disconnections,
lock waits, deadlocks, temp files, checkpoints, autovacuum, cancellations,
failed logins), split into lines (a multi-line message is matched line by
line), and the severity words.

Usage: tools/i18n.py [MO_DIR [OUT_DIR]]   (defaults /usr/share/locale and
src/parse/i18n); run from the repository root. tests/i18n.rs checks the committed file against the
installed catalogs when they are present.
"""

import gettext
import glob
import os
import sys

# words a message format takes as an argument (`duration: %s ms  %s ...`)
WORDS = ["execute fetch from", "execute"]
SEVERITIES = ["DEBUG", "INFO", "NOTICE", "WARNING", "LOG", "ERROR", "FATAL",
              "PANIC", "DETAIL", "HINT", "CONTEXT", "STATEMENT", "QUERY",
              "LOCATION"]
ENGLISH_STARTS = [
    "duration: ", "statement: ", "execute ", "parse ", "bind ",
    "connection received", "connection authorized", "connection authenticated",
    "disconnection: ", "deadlock detected", "temporary file: ",
    "checkpoint starting", "checkpoint complete", "restartpoint starting",
    "restartpoint complete", "checkpoints are occurring too frequently",
    "process %d still waiting", "process %d acquired", "process %d avoided",
    "process %d detected", "automatic vacuum", "automatic aggressive vacuum",
    "automatic analyze", "canceling statement due to", "canceling autovacuum",
    "terminating connection due to", "password authentication failed",
    "could not obtain lock", "sorry, too many clients",
    "remaining connection slots", "no pg_hba.conf entry", "index scans:",
    "pages: ", "tuples: ", "removable cutoff", "buffer usage: ",
    "avg read rate: ", "system usage: ", "WAL usage: ", "I/O timings: ",
    "new relfrozenxid", "new relminmxid", "frozen: ", "index \"%s\": pages:",
    "Process holding the lock: ", "Processes holding the lock: ",
    "Process %d waits for ", "Process %d: ", "Wait queue: ",
    "See server log for query details.", "parameters: ",
    # the server's lifecycle (counted, not analyzed)
    "database system", "starting PostgreSQL", "listening on", "shutting down",
    "received fast shutdown", "received immediate shutdown",
    "received smart shutdown", "aborting any active transactions", "redo ",
    "background worker", "logical replication launcher",
]


def wanted(msgid):
    return any(msgid.startswith(s) for s in ENGLISH_STARTS)


def rust_str(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t") + '"'


def main(mo_dir, out_dir):
    langs = []
    for path in sorted(glob.glob(os.path.join(mo_dir, "*", "LC_MESSAGES", "postgres-15.mo"))):
        words_pieces = []
        lang = path.split(os.sep)[-3]
        with open(path, "rb") as f:
            t = gettext.GNUTranslations(f)
        catalog = t._catalog
        severities = []
        for w in SEVERITIES:
            # the main ones are msgids of their own; DETAIL and the other
            # secondary labels are "DETAIL:  " in PostgreSQL 15's catalogs
            local = catalog.get(w) or (catalog.get(w + ":  ") or "").rstrip(": ").rstrip()
            if local and local != w:
                severities.append((local, w))
        # pieces a message is built of (`connection authorized: user=%s` then
        # ` database=%s`): their localized keys, back to English
        import re
        for msgid, msgstr in catalog.items():
            if isinstance(msgid, str) and re.fullmatch(r" [a-z_]+=%s", msgid or "") and msgstr:
                m = re.fullmatch(r"( [^%]+)%s", msgstr)
                if m and m.group(1) != msgid[:-2]:
                    words_pieces.append((m.group(1), msgid[:-2]))
        words = [(catalog[w], w) for w in WORDS if catalog.get(w) and catalog[w] != w]
        words += words_pieces
        lines = set()
        for msgid, msgstr in catalog.items():
            if isinstance(msgid, str) and msgid and wanted(msgid) and msgstr \
                    and msgid.count("\n") != msgstr.count("\n"):
                # a translation that breaks the line elsewhere: matched whole
                lines.add((msgstr, msgid))
                continue
            if not isinstance(msgid, str) or not msgid or not wanted(msgid):
                continue
            if not msgstr or msgstr == msgid:
                continue
            en, local = msgid.split("\n"), msgstr.split("\n")
            if len(en) != len(local):
                continue
            for e, l in zip(en, local):
                if e and l and e != l:
                    lines.add((l, e))
        langs.append((lang, severities, words, sorted(lines)))
    header = ["// @generated by tools/i18n.py from PostgreSQL 15's message catalogs",
              "// (postgres-15.mo of Debian's postgresql-15). Do not edit.", ""]
    base = os.path.join(out_dir, "catalog")
    os.makedirs(base, exist_ok=True)
    for old in glob.glob(os.path.join(base, "*.rs")):
        os.remove(old)
    mods = []
    for lang, sev, words, lines in langs:
        module = lang.lower()
        mods.append(module)
        out = list(header)
        out.append("use super::Language;")
        out.append("")
        out.append("#[rustfmt::skip]")
        out.append("pub const LANGUAGE: Language = Language {")
        out.append(f"    code: {rust_str(lang)},")
        out.append("    severities: &[")
        for l, e in sev:
            out.append(f"        ({rust_str(l)}, {rust_str(e)}),")
        out.append("    ],")
        out.append("    words: &[")
        for l, e in words:
            out.append(f"        ({rust_str(l)}, {rust_str(e)}),")
        out.append("    ],")
        out.append("    lines: &[")
        for l, e in lines:
            out.append(f"        ({rust_str(l)}, {rust_str(e)}),")
        out.append("    ],")
        out.append("};")
        with open(os.path.join(base, module + ".rs"), "w", encoding="utf-8") as f:
            f.write("\n".join(out) + "\n")
    out = list(header)
    out += ["//! The languages PostgreSQL 15 ships translations for: each one's severity",
            "//! words and the message lines pgsift analyzes, as (localized, English)",
            "//! printf formats."]
    out = out[:3] + out[3:]
    out.append("")
    for m in mods:
        out.append(f"mod {m};")
    out += ["",
            "/// One language's translations.",
            "pub struct Language {",
            "    pub code: &'static str,",
            "    pub severities: &'static [(&'static str, &'static str)],",
            "    /// Words a format takes as an argument (`execute`), longest first.",
            "    pub words: &'static [(&'static str, &'static str)],",
            "    pub lines: &'static [(&'static str, &'static str)],",
            "}",
            "",
            "pub const LANGUAGES: &[Language] = &["]
    for m in mods:
        out.append(f"    {m}::LANGUAGE,")
    out.append("];")
    with open(base + ".rs", "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")
    print(f"wrote {base}.rs and {len(mods)} languages, "
          f"{sum(len(x[3]) for x in langs)} lines")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/usr/share/locale",
         sys.argv[2] if len(sys.argv) > 2 else os.path.join("src", "parse", "i18n"))
