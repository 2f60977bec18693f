//! What whole-second timestamps can and cannot time, on one real PostgreSQL 15
//! run logged twice at once (tests/data/precision, made by its workload.sh):
//! `postgresql.log` with a `%t` prefix (whole seconds) and `postgresql.csv`
//! (milliseconds). The workload holds 16 explicit transactions, each with one
//! pause of the client between its UPDATE and its SELECT: 300 ms (application
//! `short`) or 2,500 ms (application `long`), as pause-short.sql and
//! pause-long.sql say. Every expected figure comes from those scripts and from
//! the logs' own lines.

use crate::harness::{AuditExt, Run, run};
use crate::oracle::read;
use pgsift::analyze::findings::Kind;
use std::collections::BTreeMap;

const D: &str = "tests/data/precision";
const STDERR_LOG: &str = "tests/data/precision/postgresql.log";
const CSV_LOG: &str = "tests/data/precision/postgresql.csv";

/// The pause (ms) a pgbench script's `\sleep N ms` puts between two statements.
fn designed_pause(script: &str) -> i64 {
    let text = read(&format!("{D}/{script}"));
    let sleep = text
        .lines()
        .find_map(|l| l.strip_prefix("\\sleep "))
        .unwrap_or_else(|| panic!("no \\sleep in {script}"));
    sleep.strip_suffix(" ms").unwrap().parse().unwrap()
}

/// One statement line of the workload: its session, application, timestamp
/// (ms of the day, as written: whole seconds in the %t log), duration (ms, as
/// written) and SQL.
#[derive(Debug, Clone)]
struct Stmt {
    pid: String,
    app: String,
    ts_ms: i64,
    duration_ms: f64,
    sql: String,
}

/// `YYYY-MM-DD HH:MM:SS[.mmm]...` -> ms of the day.
fn ms_of_day(ts: &str) -> i64 {
    let time = &ts[11..];
    let (hms, frac) = time.split_once('.').unwrap_or((&time[..8], "0"));
    let p: Vec<i64> = hms[..8].split(':').map(|x| x.parse().unwrap()).collect();
    let frac: String = frac.chars().take_while(char::is_ascii_digit).collect();
    let ms = format!("{frac:0<3}")[..3].parse::<i64>().unwrap();
    ((p[0] * 60 + p[1]) * 60 + p[2]) * 1000 + ms
}

/// `duration: D ms  statement: SQL` -> (D, SQL).
fn duration_statement(msg: &str) -> Option<(f64, String)> {
    let rest = msg.strip_prefix("duration: ")?;
    let (d, sql) = rest.split_once(" ms  statement: ")?;
    Some((d.parse().unwrap(), sql.to_string()))
}

/// The statements of the %t log (`%t [%p]: user=%u,db=%d,app=%a `).
fn stderr_statements() -> Vec<Stmt> {
    read(STDERR_LOG)
        .lines()
        .filter_map(|l| {
            let (head, msg) = l.split_once(" LOG:  ")?;
            let (d, sql) = duration_statement(msg)?;
            let pid = head.split_once(" [")?.1.split_once("]:")?.0.to_string();
            let app = head.rsplit_once(",app=")?.1.to_string();
            Some(Stmt {
                pid,
                app,
                ts_ms: ms_of_day(&l[..19]),
                duration_ms: d,
                sql,
            })
        })
        .collect()
}

/// The statements of the csvlog (log_time, ..., pid, ..., message, ...,
/// application_name).
fn csv_statements() -> Vec<Stmt> {
    let mut rd = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_path(CSV_LOG)
        .unwrap();
    rd.records()
        .map(|r| r.unwrap())
        .filter_map(|r| {
            let (d, sql) = duration_statement(&r[13])?;
            Some(Stmt {
                pid: r[3].to_string(),
                app: r[22].to_string(),
                ts_ms: ms_of_day(&r[0]),
                duration_ms: d,
                sql,
            })
        })
        .collect()
}

/// One designed pause as the log's lines time it: the UPDATE's timestamp
/// (its end), and the SELECT's timestamp less its duration (its start).
#[derive(Debug)]
struct Pause {
    app: String,
    /// The two timestamps, apart (ms).
    apart_ms: i64,
    /// The SELECT's start less the UPDATE's end (ms; the duration's whole ms).
    gap_ms: i64,
}

/// The pauses of the workload's transactions, and how many statements follow
/// another inside a transaction (UPDATE, SELECT and END: one gap each).
fn pauses(stmts: &[Stmt]) -> (Vec<Pause>, u64) {
    let mut by_pid: BTreeMap<&str, Vec<&Stmt>> = BTreeMap::new();
    for s in stmts.iter().filter(|s| s.app == "short" || s.app == "long") {
        by_pid.entry(&s.pid).or_default().push(s);
    }
    let (mut out, mut gaps) = (Vec::new(), 0);
    for list in by_pid.values() {
        let mut update: Option<&Stmt> = None;
        for s in list {
            if s.sql.starts_with("BEGIN") {
                update = None;
                continue;
            }
            gaps += 1;
            if s.sql.starts_with("UPDATE") {
                update = Some(s);
            } else if let (true, Some(u)) = (s.sql.starts_with("SELECT bal"), update) {
                out.push(Pause {
                    app: s.app.clone(),
                    apart_ms: s.ts_ms - u.ts_ms,
                    gap_ms: s.ts_ms - s.duration_ms as i64 - u.ts_ms,
                });
            }
        }
    }
    (out, gaps)
}

fn report(path: &str) -> Run {
    let r = run(&[path]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    r
}

/// The HTML's text, tags and entities aside.
fn html_text(r: &Run) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in r.html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    let out = out.replace("&#x27;", "'").replace("&#39;", "'");
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

const FIRST_SCREEN: &str = "The log's timestamps have whole seconds (%t): derived timings are approximate; set log_line_prefix to use %m.";
const CANNOT: &str = "pauses under 2 s cannot be measured; use %m";

#[test]
fn the_workload_is_what_its_scripts_say() {
    let (short, long) = (
        designed_pause("pause-short.sql"),
        designed_pause("pause-long.sql"),
    );
    assert!(short < 1000 && long > 2000, "{short} {long}");
    for stmts in [stderr_statements(), csv_statements()] {
        let (p, _) = pauses(&stmts);
        let n = |app: &str| p.iter().filter(|x| x.app == app).count();
        // pgbench -c 3 -t 4 and -c 2 -t 2
        assert_eq!((n("short"), n("long")), (12, 4));
    }
    // on the millisecond clock each pause is the designed one and a little
    for p in pauses(&csv_statements()).0 {
        let design = if p.app == "short" { short } else { long };
        assert!(
            (design..design + 50).contains(&p.gap_ms),
            "{p:?} against {design}"
        );
    }
}

/// The csvlog times every pause exactly: all 16 counted, to the millisecond,
/// and nothing is approximate.
#[test]
fn the_csvlog_times_every_pause_exactly() {
    let (p, gaps) = pauses(&csv_statements());
    let r = report(CSV_LOG);
    let a = &r.audit;
    let t = &a.transaction_pauses;
    let begins = crate::oracle::count(&read(CSV_LOG), "statement: BEGIN");
    assert_eq!(t.transactions, begins);
    assert_eq!(t.statements, gaps);
    assert_eq!(t.long_gaps, p.len() as u64);
    assert_eq!(
        t.long_gap_ms,
        p.iter().map(|x| x.gap_ms).sum::<i64>() as f64
    );
    assert_eq!(
        t.max_gap_ms,
        p.iter().map(|x| x.gap_ms).max().unwrap() as f64
    );
    assert_eq!((t.approximate_pauses, t.gaps_unmeasurable), (0, 0));
    assert!(!t.max_gap_approximate);
    let s = &a.summary;
    assert_eq!(s.clock_resolution.as_deref(), Some("1ms"));
    assert!(!s.approximate);
    assert!(!a.activity.sessions.peak_approximate);
    // times keep their milliseconds
    let first = s.first_ts.as_deref().unwrap();
    assert_eq!(first.len(), 23, "{first}");
    let f = a.findings_of(Kind::IdleInTransaction);
    assert_eq!(f.len(), 1);
    assert!(!f[0].title.contains("±1 s"), "{}", f[0].title);
    assert!(
        a.first_screen
            .sentences
            .iter()
            .all(|x| !x.contains("whole seconds"))
    );
    let html = html_text(&r);
    assert!(!html.contains("whole seconds"));
    assert!(!html.contains("approximately"));
}

/// The %t log of the same run: the 300 ms pauses are one second apart at
/// most by its clock and are not counted; the 2.5 s ones are, as
/// approximate; the JSON and the first screen say why.
#[test]
fn whole_seconds_time_only_what_they_can() {
    let (p, gaps) = pauses(&stderr_statements());
    let long = designed_pause("pause-long.sql");
    // what the clock shows of the design: a 300 ms pause is at most one
    // second apart, a 2.5 s one at least two
    for x in &p {
        if x.app == "short" {
            assert!(x.apart_ms <= 1000, "{x:?}");
        } else {
            assert!(x.apart_ms >= 2000 && x.gap_ms >= 1100, "{x:?}");
        }
    }
    let counted: Vec<&Pause> = p.iter().filter(|x| x.app == "long").collect();
    let r = report(STDERR_LOG);
    let a = &r.audit;
    let t = &a.transaction_pauses;
    assert_eq!(
        t.transactions,
        crate::oracle::count(&read(STDERR_LOG), "statement: BEGIN")
    );
    assert_eq!(t.long_gaps, counted.len() as u64);
    assert_eq!(t.approximate_pauses, t.long_gaps);
    let sum = counted.iter().map(|x| x.gap_ms).sum::<i64>();
    assert_eq!(t.long_gap_ms, sum as f64);
    assert_eq!(t.approximate_pause_ms, sum as f64);
    // each within a second of the design
    let n = counted.len() as i64;
    assert!((sum - n * long).abs() <= n * 1000, "{sum}");
    assert!(t.max_gap_approximate);
    // every other gap inside a transaction is too short for the clock
    assert_eq!(t.statements, t.long_gaps);
    assert_eq!(t.gaps_unmeasurable, gaps - t.long_gaps);
    let s = &a.summary;
    assert_eq!(s.clock_resolution.as_deref(), Some("1s"));
    assert!(s.approximate);
    assert!(a.activity.sessions.peak_approximate);
    let json = &r.json;
    assert_eq!(json["summary"]["approximate"], true);
    assert_eq!(json["coverage"]["files"][0]["clock"], "1s");
    // no `.000` the log does not have
    let text = read(STDERR_LOG);
    for ts in [&s.first_ts, &s.last_ts, &a.activity.sessions.peak_at] {
        let ts = ts.as_deref().unwrap();
        assert_eq!(ts.len(), 19, "{ts}");
    }
    assert!(text.starts_with(s.first_ts.as_deref().unwrap()));
    let example = a.slowest[0].ts.as_deref().unwrap();
    assert!(text.contains(&format!("{example} UTC")), "{example}");
    // the finding rests on the 2.5 s pauses only, and says how sure it is
    let f = a.findings_of(Kind::IdleInTransaction);
    assert_eq!(f.len(), 1);
    assert!(
        f[0].title.contains(&format!(
            "{} of 100 ms or more (about",
            pgsift::units::plural(counted.len() as u64, "pause", "pauses")
        )) && f[0].title.contains("±1 s each: whole-second timestamps"),
        "{}",
        f[0].title
    );
    assert!(
        a.first_screen.sentences.iter().any(|x| x == FIRST_SCREEN),
        "{:?}",
        a.first_screen.sentences
    );
    let html = html_text(&r);
    assert!(html.contains(FIRST_SCREEN));
    assert!(html.contains(CANNOT), "{html}");
    let peak = a.activity.sessions.peak_concurrent.unwrap();
    assert!(html.contains(&format!("~{peak} approximately, at")));
}

/// The log at `path` without the lines that hold one of `pids` (as the log
/// writes a pid), written into `dir`: the sessions of those processes go.
fn without(path: &str, dir: &std::path::Path, pids: &[String]) -> String {
    let text = read(path);
    let kept: String = text
        .lines()
        .filter(|l| !pids.iter().any(|p| l.contains(p.as_str())))
        .map(|l| format!("{l}\n"))
        .collect();
    let out = dir.join(std::path::Path::new(path).file_name().unwrap());
    std::fs::write(&out, kept).unwrap();
    out.to_str().unwrap().to_string()
}

/// With the sessions of the 2.5 s transactions taken out, the %t log has no
/// pause it can time: no finding, and the section says why; the csvlog, cut
/// the same way, still times the 300 ms pauses.
#[test]
fn no_finding_rests_on_pauses_the_clock_cannot_tell() {
    let stmts = stderr_statements();
    let mut long: Vec<String> = stmts
        .iter()
        .filter(|s| s.app == "long")
        .map(|s| format!("[{}]", s.pid))
        .collect();
    long.sort();
    long.dedup();
    let d = tempfile::tempdir().unwrap();
    let log = without(STDERR_LOG, d.path(), &long);
    let r = report(&log);
    let t = &r.audit.transaction_pauses;
    let (p, gaps) = pauses(&stmts);
    let short_gaps = gaps - 3 * p.iter().filter(|x| x.app == "long").count() as u64;
    assert_eq!((t.long_gaps, t.statements), (0, 0));
    assert_eq!(t.gaps_unmeasurable, short_gaps);
    assert!(r.audit.findings_of(Kind::IdleInTransaction).is_empty());
    assert!(html_text(&r).contains(CANNOT));
    // the csvlog's lines of the same sessions: `,PID,` is its pid column
    let csv_pids: Vec<String> = long
        .iter()
        .map(|p| format!(",{},", p.trim_matches(['[', ']'])))
        .collect();
    let csv = without(CSV_LOG, d.path(), &csv_pids);
    let r = report(&csv);
    let short = p.iter().filter(|x| x.app == "short").count() as u64;
    assert_eq!(r.audit.transaction_pauses.long_gaps, short);
    assert_eq!(r.audit.findings_of(Kind::IdleInTransaction).len(), 1);
}
