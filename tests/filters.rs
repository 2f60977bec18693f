//! Filters (issue 21): a filtered run over the samples' real log gives the
//! numbers a run over the lines cut beforehand gives (only the file names and
//! line numbers the report points at differ), and every line left out is
//! counted under why.

use crate::harness::run;
use serde_json::Value;
use std::path::Path;

const MAIN: &str = "samples/logs/postgresql-main.log";

/// One primary or secondary line's prefix fields (`%m [%p]: [%l-1]
/// user=%u,db=%d,app=%a,client=%h `); continuation lines have none and stay
/// with the line before.
struct Fields<'a> {
    ts: &'a str,
    user: &'a str,
    db: &'a str,
    app: &'a str,
    client: &'a str,
}

fn fields(line: &str) -> Option<Fields<'_>> {
    static PREFIX: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
        r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) UTC \[\d+\]: \[\d+-\d+\] user=([^,]*),db=([^,]*),app=(.*?),client=(\S*) ",
        )
        .unwrap()
    });
    let c = PREFIX.captures(line)?;
    let g = |i| c.get(i).unwrap().as_str();
    Some(Fields {
        ts: g(1),
        user: g(2),
        db: g(3),
        app: g(4),
        client: g(5),
    })
}

/// The lines of `log` whose entry `keep` keeps, written to `dir/cut.log`.
fn cut(log: &str, dir: &Path, keep: impl Fn(&Fields) -> bool) -> String {
    let text = std::fs::read_to_string(log).unwrap();
    let mut out = String::new();
    let mut kept = false;
    for line in text.lines() {
        if let Some(f) = fields(line) {
            kept = keep(&f);
        }
        if kept {
            out.push_str(line);
            out.push('\n');
        }
    }
    let p = dir.join("cut.log");
    std::fs::write(&p, out).unwrap();
    p.display().to_string()
}

/// The audit without what names the file read (paths, line numbers, the
/// generator) and without the coverage, which differs by design.
pub fn comparable(mut v: Value) -> Value {
    fn scrub(v: &mut Value) {
        match v {
            Value::Object(m) => {
                m.retain(|k, _| {
                    !(["file", "line", "generator"].contains(&k.as_str())
                        || k.ends_with("_file")
                        || k.ends_with("_line"))
                });
                for x in m.values_mut() {
                    scrub(x);
                }
            }
            Value::Array(a) => a.iter_mut().for_each(scrub),
            Value::String(s) => {
                // `path:line` references (the longest pause, examples)
                if let Some((_, n)) = s.rsplit_once(".log:")
                    && n.bytes().all(|b| b.is_ascii_digit())
                {
                    *s = "<at>".into();
                }
            }
            _ => {}
        }
    }
    v.as_object_mut().unwrap().remove("coverage");
    scrub(&mut v);
    v
}

/// `pgsift report MAIN FLAGS` against `pgsift report CUT`: equal audits; the
/// filtered run's coverage adds up, and says its filters.
fn same_as_cut(flags: &[&str], keep: impl Fn(&Fields) -> bool) -> (crate::harness::Run, u64) {
    let tmp = tempfile::tempdir().unwrap();
    let cut = cut(MAIN, tmp.path(), keep);
    let filtered = run(&[&[MAIN, "-q"], flags].concat());
    // the display zone is not a filter: both runs show times in it
    let tz: Vec<&str> = flags
        .windows(2)
        .filter(|w| w[0] == "--tz")
        .flat_map(|w| w.iter().copied())
        .collect();
    let precut = run(&[&[cut.as_str(), "-q"], &tz[..]].concat());
    assert_eq!(filtered.code, 0, "{}", filtered.stderr);
    assert!(
        filtered.audit.summary.executions > 0,
        "{flags:?}: nothing kept"
    );
    let (a, b) = (comparable(filtered.json.clone()), comparable(precut.json));
    if a != b {
        for (k, v) in a.as_object().unwrap() {
            assert_eq!(
                Some(v),
                b.get(k),
                "{flags:?}: {k} differs from the pre-cut run"
            );
        }
    }
    let c = &filtered.audit.coverage;
    assert_eq!(
        c.lines_parsed + c.lines_ignored + c.lines_unrecognized + c.lines_filtered,
        c.lines_total,
        "{flags:?}: every line counted once"
    );
    let by_reason: u64 = c.files.iter().flat_map(|f| f.filtered_by.values()).sum();
    assert_eq!(by_reason, c.lines_filtered);
    assert!(!c.filters.is_empty());
    let cut_lines = std::fs::read_to_string(&cut).unwrap().lines().count() as u64;
    assert_eq!(c.lines_total - c.lines_filtered, cut_lines, "{flags:?}");
    assert!(filtered.html.contains("Filtered out"), "{flags:?}");
    (filtered, cut_lines)
}

#[test]
fn a_window_and_a_database_give_the_numbers_of_the_lines_cut_beforehand() {
    let (r, _) = same_as_cut(
        &[
            "--since",
            "2026-11-27 10:59:08",
            "--until",
            "2026-11-27 10:59:15",
            "--database",
            "shop-eu",
        ],
        |f| ("2026-11-27 10:59:08".."2026-11-27 10:59:15").contains(&f.ts) && f.db == "shop-eu",
    );
    let reasons: Vec<&String> = r.audit.coverage.files[0].filtered_by.keys().collect();
    assert!(
        reasons.iter().any(|k| k.starts_with("--since")),
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(|k| k.starts_with("--until")),
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(|k| k.starts_with("--database: another")),
        "{reasons:?}"
    );
}

#[test]
fn a_zone_written_with_the_time_is_the_same_instant() {
    // 11:59:08 at +01:00 is 10:59:08 UTC, the log's zone
    same_as_cut(
        &[
            "--since",
            "2026-11-27T11:59:08+01:00",
            "--until",
            "2026-11-27 10:59:12Z",
        ],
        |f| ("2026-11-27 10:59:08".."2026-11-27 10:59:12").contains(&f.ts),
    );
    // --tz gives a time without a zone its zone
    same_as_cut(&["--tz", "+02:00", "--since", "2026-11-27 12:59:10"], |f| {
        f.ts >= "2026-11-27 10:59:10"
    });
}

#[test]
fn users_applications_and_hosts_keep_and_leave_out() {
    same_as_cut(
        &[
            "--user",
            "report@corp.example",
            "--application",
            "!pgbench",
            "--application",
            "!billing-api",
        ],
        |f| f.user == "report@corp.example" && f.app != "pgbench" && f.app != "billing-api",
    );
    same_as_cut(&["--host", "127.0.0.1"], |f| f.client == "127.0.0.1");
    same_as_cut(&["--database", "!bench"], |f| f.db != "bench");
}

#[test]
fn statement_filters_leave_out_statements_only() {
    let all = run(&[MAIN, "-q"]);
    let r = run(&[
        MAIN,
        "-q",
        "--select-only",
        "--exclude-query",
        "(?i)pg_sleep",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for q in &r.audit.queries {
        let n = q.normalized.trim_start_matches('(');
        assert!(
            n.starts_with("select") || n.starts_with("with") || n.starts_with("values"),
            "{n}"
        );
        assert!(!n.contains("pg_sleep"), "{n}");
    }
    // every SELECT of the full run but pg_sleep's is still there, with its figures
    let kept: Vec<_> = all
        .audit
        .queries
        .iter()
        .filter(|q| q.normalized.starts_with("select") && !q.normalized.contains("pg_sleep"))
        .collect();
    assert!(kept.len() > 3);
    for q in kept {
        let f = r
            .audit
            .queries
            .iter()
            .find(|x| x.fingerprint == q.fingerprint)
            .unwrap();
        assert_eq!(
            (f.count, f.total_ms),
            (q.count, q.total_ms),
            "{}",
            q.normalized
        );
    }
    // errors and sessions are not statements: untouched
    assert_eq!(r.json["errors"], all.json["errors"]);
    let c = &r.audit.coverage;
    let by = &c.files[0].filtered_by;
    assert!(by["--select-only: not a SELECT"] > 1000, "{by:?}");
    assert!(by["--exclude-query: the statement matches"] > 0, "{by:?}");
    assert_eq!(
        c.lines_parsed + c.lines_ignored + c.lines_unrecognized + c.lines_filtered,
        c.lines_total
    );
}

#[test]
fn statistics_are_filtered_by_database_too() {
    let all = run(&["samples/", "-q"]);
    let r = run(&["samples/", "-q", "--database", "shop-eu"]);
    let dbs = |a: &pgsift::analyze::Audit| -> Vec<String> {
        let w = a.stats.stats_window.as_ref().unwrap();
        w.databases
            .iter()
            .filter_map(|d| d.database.clone())
            .collect()
    };
    assert!(
        dbs(&all.audit).iter().any(|d| d == "bench"),
        "{:?}",
        dbs(&all.audit)
    );
    assert_eq!(dbs(&r.audit), ["shop-eu"]);
    assert_eq!(r.audit.coverage.statistics_filtered, ["bench"]);
    let unused = &r.audit.stats.indexes.unused;
    assert!(
        unused
            .iter()
            .all(|i| i.database.as_deref() != Some("bench"))
    );
    assert!(all.audit.stats.indexes.unused.len() >= unused.len());
}

#[test]
fn bad_filters_are_usage_errors() {
    for (args, says) in [
        (
            &["--since", "yesterday"][..],
            "--since: \"yesterday\" is not a time",
        ),
        (&["--until", "2026-11-27 10:00 Mars"][..], "unknown zone"),
        (
            &["--since", "2026-11-28", "--until", "2026-11-27"][..],
            "--until must be later than --since",
        ),
        (&["--exclude-query", "("][..], "--exclude-query: "),
    ] {
        let out = assert_cmd::Command::cargo_bin("pgsift")
            .unwrap()
            .args(["report", MAIN, "-o", "/nonexistent/x.html"])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{args:?}: {err}");
    }
}

#[test]
fn a_zone_label_that_comes_back_is_read_again() {
    // hand-made edge case: a log crossing a daylight saving change and back
    // (CEST, CET, CEST, CET): each line's wall clock is read in its own label
    let d = tempfile::tempdir().unwrap();
    let log = d.path().join("dst.log");
    std::fs::write(
        &log,
        "2026-10-25 02:30:00.000 CEST [1] LOG:  duration: 1.000 ms  statement: SELECT 1\n\
         2026-10-25 02:10:00.000 CET [1] LOG:  duration: 1.000 ms  statement: SELECT 2\n\
         2026-10-26 10:30:00.000 CEST [1] LOG:  duration: 1.000 ms  statement: SELECT 3\n\
         2026-10-26 10:30:00.000 CET [1] LOG:  duration: 1.000 ms  statement: SELECT 4\n\
         2026-10-26 11:30:00.000 CET [1] LOG:  duration: 1.000 ms  statement: SELECT 5\n",
    )
    .unwrap();
    let r = run(&[
        log.to_str().unwrap(),
        "-q",
        "--prefix",
        "%m [%p] ",
        "--since",
        "2026-10-26 11:00",
    ]);
    assert_eq!(
        r.audit.summary.executions, 1,
        "only 11:30 CET is at or after 11:00"
    );
    assert_eq!(r.audit.coverage.lines_filtered, 4);
}
