//! Every log format and compression pgsift reads, on real logs: pgBadger's fixtures
//! (other people's servers) and one run of our own server that wrote stderr, csvlog
//! and jsonlog at once. Expected counts are computed from the files' text.

use assert_cmd::Command;

use crate::harness::{AuditExt, Run, run, run_with};
use crate::oracle::{MAIN_LOG, text};
use pgsift::aggregate::coverage::FileCoverage;
use pgsift::analyze::QueryReport;
use serde_json::Value;
use std::io::Write;
use std::path::Path;

const FIXTURES: &str = "tests/data/pgbadger";

/// The first (here: only) input file's coverage.
fn file0(r: &Run) -> &FileCoverage {
    &r.audit.coverage.files[0]
}

/// The format pgsift detected for the first file.
fn format0(r: &Run) -> &str {
    file0(r).format.as_deref().unwrap_or("")
}

fn assert_lines_add_up(r: &Run) {
    for f in &r.audit.coverage.files {
        assert_eq!(
            f.lines_total,
            f.lines_parsed + f.lines_ignored + f.lines_unrecognized,
            "{}",
            f.path
        );
    }
}

/// The query group whose normalized text starts with `starts`.
fn query<'a>(r: &'a Run, starts: &str) -> &'a QueryReport {
    r.audit.query(starts)
}

fn is_timed_execution(message: &str) -> bool {
    let Some(rest) = message.strip_prefix("duration: ") else {
        return false;
    };
    let Some((_, tail)) = rest.split_once(" ms  ") else {
        return false;
    };
    tail.starts_with("statement: ") || (tail.starts_with("execute ") && tail.contains(": "))
}

#[test]
fn syslog_fixture_counts_every_statement_and_the_foreign_lines() {
    let path = format!("{FIXTURES}/pg-syslog.1.bz2");
    let t = text(&path);
    let timed: Vec<&str> = t
        .lines()
        .filter(|l| {
            l.find("LOG:  ")
                .is_some_and(|i| is_timed_execution(&l[i + 6..]))
        })
        .collect();
    let on_pgbench = timed.iter().filter(|l| l.contains("db=pgbench,")).count() as u64;
    let foreign = t.lines().filter(|l| !l.contains(" postgres[")).count() as u64;
    let r = run(&[&path]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let f = file0(&r);
    assert_eq!(format0(&r), "syslog");
    assert_eq!(f.compression.as_deref(), Some("bzip2"));
    assert_eq!(r.audit.summary.executions, timed.len() as u64);
    let pgbench: u64 = r
        .audit
        .queries
        .iter()
        .map(|q| q.databases.get("pgbench").copied().unwrap_or(0))
        .sum();
    assert_eq!(pgbench, on_pgbench);
    assert!(on_pgbench > 50_000);
    assert_eq!(f.lines_unrecognized, foreign);
    assert!(f.unrecognized_examples[0].1.contains("systemd[1]"));
    // A statement split into [N-2], [N-3] records is joined whole.
    let psql = query(&r, "select d.datname as \"Name\"");
    assert!(psql.normalized.contains("from pg_catalog.pg_database d"));
    assert_eq!(r.audit.summary.time_zone, "syslog");
    assert_lines_add_up(&r);
}

#[test]
fn cloud_sql_export_sessions_per_user_and_database() {
    let path = format!("{FIXTURES}/cloudsql.log.gz");
    let t = text(&path);
    let expected = t
        .lines()
        .filter(|l| l.contains("connection authorized: user=cloudsqladmin database=cloudsqladmin"))
        .count() as u64;
    assert_eq!(expected, 151);
    let r = run(&[&path]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(format0(&r), "jsonlog");
    assert_eq!(file0(&r).lines_unrecognized, 0);
    let sessions = &r.audit.activity.sessions;
    assert_eq!(
        sessions.by_user_database["cloudsqladmin@cloudsqladmin"],
        expected
    );
    let received = t
        .lines()
        .filter(|l| l.contains("LOG:  connection received:"))
        .count() as u64;
    assert!(received > 300);
    assert_eq!(sessions.connections_received, received);
    assert_eq!(r.audit.summary.time_zone, "UTC");
    assert_lines_add_up(&r);
}

#[test]
fn jsonlog_and_stderr_vacuum_fixtures_are_fully_recognized() {
    for (name, format) in [
        ("pg_vacuums.json.gz", "jsonlog"),
        ("pg_vacuums.log.gz", "stderr"),
    ] {
        let path = format!("{FIXTURES}/{name}");
        let t = text(&path);
        let r = run(&[&path]);
        assert_eq!(r.code, 0, "{name}: {}", r.stderr);
        let f = file0(&r);
        assert_eq!(format0(&r), format);
        assert_eq!(f.lines_total, t.lines().count() as u64);
        assert_eq!(f.lines_unrecognized, 0, "{name}");
        let vacuums = t.matches("automatic vacuum of table").count()
            + t.matches("automatic aggressive vacuum").count();
        let analyzes = t.matches("automatic analyze of table").count();
        // pgBadger's own test expects 2,094 vacuums and 1,450 analyzes in these files
        assert_eq!((vacuums, analyzes), (2094, 1450), "{name}");
        let av = &r.audit.activity.autovacuum;
        assert_eq!(av.vacuums, vacuums as u64, "{name}");
        assert_eq!(av.analyzes, analyzes as u64, "{name}");
        assert_lines_add_up(&r);
    }
}

#[test]
fn csvlog_fixtures_with_binary_parameters_and_untimed_statements() {
    let anon = format!("{FIXTURES}/anonymize.log");
    let r = run(&[&anon, "--show-values"]);
    assert_eq!(format0(&r), "csvlog");
    let t = text(&anon);
    let timed = t.matches(",\"duration: ").filter(|_| true).count();
    let timed_exec = t
        .split(",\"duration: ")
        .skip(1)
        .filter(|rest| is_timed_execution(&format!("duration: {rest}")))
        .count() as u64;
    assert!(timed >= timed_exec as usize);
    assert_eq!(r.audit.summary.executions, timed_exec);
    assert!(r.audit.summary.bind_count >= 1);
    assert_eq!(r.audit.coverage.lines_unrecognized, 0);
    assert!(r.html.contains("PostgreSQL JDBC Driver"));

    let untimed = format!("{FIXTURES}/csv_statement_without_duration.log");
    let r = run(&[&untimed]);
    assert_eq!(r.audit.summary.executions, 1);
    assert_eq!(r.audit.summary.untimed_statements, 1);
    let q = &r.audit.queries[0];
    assert_eq!(q.users["example_user"], 1);
    assert_eq!(q.apps["example app"], 1);
    assert_lines_add_up(&r);
}

#[test]
fn three_formats_of_one_server_run_agree_exactly() {
    let dir = "tests/data/formats";
    let runs: Vec<Run> = ["postgresql.log", "postgresql.csv", "postgresql.json"]
        .iter()
        .map(|f| run(&[&format!("{dir}/{f}")]))
        .collect();
    let formats: Vec<&str> = runs.iter().map(format0).collect();
    assert_eq!(formats, ["stderr", "csvlog", "jsonlog"]);
    let stderr_text = text(&format!("{dir}/postgresql.log"));
    let expected = stderr_text
        .lines()
        .filter(|l| {
            l.find("LOG:  ")
                .is_some_and(|i| is_timed_execution(&l[i + 6..]))
        })
        .count() as u64;
    assert!(expected > 100);
    let key = |r: &Run| {
        let s = &r.audit.summary;
        let groups: Vec<(String, u64, f64)> = r
            .audit
            .queries
            .iter()
            .map(|q| (q.normalized.clone(), q.count, q.total_ms))
            .collect();
        (s.executions, s.total_duration_ms, groups)
    };
    let first = key(&runs[0]);
    assert_eq!(first.0, expected);
    for r in &runs[1..] {
        assert_eq!(key(r), first, "{}", format0(r));
        assert_eq!(file0(r).lines_unrecognized, 0);
    }
    for r in &runs {
        assert_lines_add_up(r);
    }
}

fn compress(kind: &str, data: &[u8]) -> Vec<u8> {
    match kind {
        "gz" => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(data).unwrap();
            e.finish().unwrap()
        }
        "bz2" => {
            let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
            e.write_all(data).unwrap();
            e.finish().unwrap()
        }
        "xz" => {
            let mut e = liblzma::write::XzEncoder::new(Vec::new(), 1);
            e.write_all(data).unwrap();
            e.finish().unwrap()
        }
        "zst" => zstd::encode_all(data, 1).unwrap(),
        _ => unreachable!(),
    }
}

/// The audit without what legitimately differs between copies of one log.
fn comparable(mut j: Value) -> Value {
    j["coverage"] = Value::Null;
    for list in ["queries", "slowest"] {
        for q in j[list].as_array_mut().unwrap() {
            let s = if list == "queries" {
                &mut q["example"]
            } else {
                q
            };
            s["file"] = Value::Null;
        }
    }
    for list in ["detected", "repeated", "loops", "once"] {
        for b in j["n_plus_one"][list].as_array_mut().unwrap() {
            b["example_file"] = Value::Null;
        }
    }
    j["transaction_pauses"]["max_gap_at"] = Value::Null;
    j
}

#[test]
fn compressed_copies_and_stdin_give_the_same_audit() {
    let data = std::fs::read(MAIN_LOG).unwrap();
    let plain = run(&[MAIN_LOG]);
    let dir = tempfile::tempdir().unwrap();
    for kind in ["gz", "bz2", "xz", "zst"] {
        // a misleading name: detection is by magic bytes
        let p = dir.path().join(format!("copy-{kind}.log"));
        std::fs::write(&p, compress(kind, &data)).unwrap();
        let r = run(&[p.to_str().unwrap()]);
        assert_eq!(r.code, 0, "{kind}: {}", r.stderr);
        assert!(file0(&r).compression.is_some(), "{kind}");
        assert_eq!(file0(&r).lines_total, file0(&plain).lines_total, "{kind}");
        assert_eq!(comparable(r.json), comparable(plain.json.clone()), "{kind}");
    }
    let piped = run_with(&["-"], Some(compress("gz", &data)));
    assert_eq!(piped.code, 0, "{}", piped.stderr);
    assert_eq!(file0(&piped).path, "(stdin)");
    assert_eq!(comparable(piped.json), comparable(plain.json));
}

#[test]
fn truncated_gzip_reports_what_was_readable_and_exits_1() {
    let data = std::fs::read(MAIN_LOG).unwrap();
    let mut gz = compress("gz", &data);
    gz.truncate(gz.len() / 2);
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("cut.log.gz");
    std::fs::write(&p, gz).unwrap();
    let r = run(&[p.to_str().unwrap(), "tests/data/pgbadger/stmt_type.log"]);
    assert_eq!(r.code, 1);
    let cut = r
        .audit
        .coverage
        .files
        .iter()
        .find(|f| f.path.ends_with("cut.log.gz"))
        .unwrap();
    assert!(
        cut.error.as_deref().unwrap().contains("read error"),
        "{cut:?}"
    );
    let full = run(&[MAIN_LOG]);
    let got = cut.lines_total;
    assert!(got > 100 && got < file0(&full).lines_total);
    assert!(
        r.audit.summary.executions > 12,
        "the other file and the readable part"
    );
    assert!(r.html.contains("read error"));
}

#[test]
fn format_override_and_time_zone_choice() {
    let csv = format!("{FIXTURES}/anonymize.log");
    let forced = run(&[&csv, "--format", "stderr"]);
    assert_eq!(forced.code, 1);
    assert_eq!(forced.audit.summary.executions, 0);
    let cet = run(&[&csv]);
    assert_eq!(cet.audit.summary.time_zone, "CET");
    assert_eq!(cet.audit.summary.time_zone_offset, "+01:00");
    let utc = run(&[&csv, "--tz", "UTC"]);
    let first = |r: &Run| r.audit.summary.first_ts.clone().unwrap();
    // 10:03 CET is 09:03 UTC: the same instant shown in another zone.
    assert_eq!(
        first(&cet)[11..13].parse::<u32>().unwrap(),
        first(&utc)[11..13].parse::<u32>().unwrap() + 1
    );
    Command::cargo_bin("pgsift")
        .unwrap()
        .args(["report", &csv, "--tz", "Mars/Olympus"])
        .assert()
        .code(2);
    Command::cargo_bin("pgsift")
        .unwrap()
        .args(["report", &csv, "--format", "xml"])
        .assert()
        .code(2);
}

#[test]
fn files_that_are_not_logs_in_a_directory_are_skipped_and_listed() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(MAIN_LOG, dir.path().join("a.log")).unwrap();
    std::fs::write(
        dir.path().join("notes.txt"),
        "just some notes\nnothing to see\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("package.json"), "{\"name\": \"x\"}\n").unwrap();
    let r = run(&[dir.path().to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.audit.coverage.files_skipped, 2);
    assert!(r.stderr.contains("notes.txt"));
    assert!(Path::new(MAIN_LOG).exists());
}

/// One error gives one group key from the three formats: stderr's appended
/// ` at character N` is not part of it (csvlog and jsonlog keep the position
/// apart); only the SQLSTATE's origin differs (inferred without `%e`).
#[test]
fn one_error_groups_alike_in_every_format() {
    let groups = |f: &str| -> Vec<(String, String, u64)> {
        let r = run(&[&format!("tests/data/formats/postgresql.{f}")]);
        let mut g: Vec<(String, String, u64)> = r
            .audit
            .activity
            .errors
            .iter()
            .map(|e| (e.severity.clone(), e.message.clone(), e.count))
            .collect();
        g.sort();
        g
    };
    let stderr = groups("log");
    assert!(!stderr.is_empty());
    assert!(stderr.iter().all(|(_, m, _)| !m.contains("at character")));
    assert_eq!(stderr, groups("csv"));
    assert_eq!(stderr, groups("json"));
}

/// A CloudNativePG pod log (tests/data/cnpg, made by its make.py from the real
/// csvlog of tests/data/formats: each csvlog record wrapped as CloudNativePG
/// writes it, with other loggers' lines between) reads as that csvlog: the
/// same executions, queries, errors and sessions; the other loggers' lines
/// are counted as not analyzed.
#[test]
fn cloudnative_pg_pod_logs_read_as_their_csvlog() {
    let cnpg = run(&["tests/data/cnpg/postgresql.cnpg.json.gz"]);
    let csv = run(&["tests/data/formats/postgresql.csv"]);
    assert_eq!(cnpg.code, 0, "{}", cnpg.stderr);
    let (a, b) = (&cnpg.audit, &csv.audit);
    assert_eq!(a.coverage.files[0].format.as_deref(), Some("jsonlog"));
    assert_eq!(a.coverage.lines_unrecognized, 0);
    assert!(b.summary.executions > 1000);
    assert_eq!(a.summary.executions, b.summary.executions);
    assert_eq!(a.summary.total_duration_ms, b.summary.total_duration_ms);
    // the same queries, but for where their example was read
    let queries = |r: &Run| -> Vec<Value> {
        let mut q = r.json["queries"].as_array().unwrap().clone();
        for x in &mut q {
            let e = x["example"].as_object_mut().unwrap();
            e.remove("file");
            e.remove("line");
        }
        q
    };
    assert!(queries(&cnpg) == queries(&csv), "the queries differ");
    let errors = |r: &Run| r.json["errors"].to_string();
    assert_eq!(errors(&cnpg), errors(&csv));
    assert_eq!(cnpg.json["sessions"], csv.json["sessions"]);
    // the oracle for the other loggers: the file's own lines
    let mut text = String::new();
    std::io::Read::read_to_string(
        &mut flate2::read::GzDecoder::new(
            std::fs::File::open("tests/data/cnpg/postgresql.cnpg.json.gz").unwrap(),
        ),
        &mut text,
    )
    .unwrap();
    let others = text
        .lines()
        .filter(|l| !l.contains("\"logger\":\"postgres\""))
        .count() as u64;
    assert!(others > 10);
    assert_eq!(
        a.coverage.files[0].ignored_by_kind["CloudNativePG record (not the server's)"],
        others
    );
}

/// A Heroku logplex drain (tests/data/heroku, made by its make.py from the
/// real csvlog of tests/data/formats: each record as the syslog messages
/// Heroku Postgres sends, `[N-M]`-numbered and split by line, with Heroku's
/// `sql_error_code = %e` prefix and its metrics lines between) reads as that
/// csvlog: the same executions, statements, errors and sessions.
#[test]
fn heroku_logplex_drains_read_as_their_csvlog() {
    let heroku = run(&["tests/data/heroku/postgresql.heroku.log.gz"]);
    let csv = run(&["tests/data/formats/postgresql.csv"]);
    assert_eq!(heroku.code, 0, "{}", heroku.stderr);
    let (a, b) = (&heroku.audit, &csv.audit);
    let f = &a.coverage.files[0];
    assert_eq!(f.format.as_deref(), Some("syslog"));
    assert_eq!(f.prefix.as_deref(), Some(" sql_error_code = %e "));
    assert_eq!(a.coverage.lines_unrecognized, 0);
    assert!(f.ignored_by_kind["Heroku Postgres metrics"] > 20);
    assert_eq!(a.summary.executions, b.summary.executions);
    assert_eq!(a.summary.total_duration_ms, b.summary.total_duration_ms);
    // the same statements (Heroku's prefix names no user or database)
    let queries = |r: &Run| -> Vec<(String, u64, String)> {
        let mut q: Vec<_> = r
            .audit
            .queries
            .iter()
            .map(|q| (q.normalized.clone(), q.count, format!("{:.3}", q.total_ms)))
            .collect();
        q.sort();
        q
    };
    assert_eq!(queries(&heroku), queries(&csv));
    // errors: the same groups and counts; the SQLSTATE is the line's own
    let errors = |r: &Run| -> Vec<(String, Option<String>, String, u64)> {
        r.audit
            .activity
            .errors
            .iter()
            .map(|e| {
                (
                    e.severity.clone(),
                    e.sqlstate.clone(),
                    e.message.clone(),
                    e.count,
                )
            })
            .collect()
    };
    assert_eq!(errors(&heroku), errors(&csv));
    let s = |r: &Run| {
        let s = &r.audit.activity.sessions;
        (
            s.connections_received,
            s.connections_authorized,
            s.disconnections,
        )
    };
    assert_eq!(s(&heroku), s(&csv));
    assert!(s(&csv).1 > 5);
}

/// pgBouncer's own log (tests/data/pgbouncer, written by a real pgBouncer 1.18
/// in front of PostgreSQL 15 by its workload.sh: 4 clients on a pool of 2,
/// two wrong passwords, 8 clients at max_client_conn 6): its `stats:`
/// figures, refusals and failed logins, and the connection-pool item they
/// feed.
#[test]
fn pgbouncer_logs_feed_the_pool_evidence() {
    let path = "tests/data/pgbouncer/pgbouncer.log";
    let text = text(path);
    let r = run(&[path]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let a = &r.audit;
    assert_eq!(a.coverage.files[0].format.as_deref(), Some("pgbouncer"));
    assert_eq!(a.coverage.lines_unrecognized, 0);
    // the oracle: the log's own lines
    let stats: Vec<&str> = text
        .lines()
        .filter(|l| l.contains(" LOG stats: "))
        .collect();
    let waits: Vec<u64> = stats
        .iter()
        .map(|l| {
            l.rsplit_once("wait ")
                .unwrap()
                .1
                .trim_end_matches(" us")
                .parse()
                .unwrap()
        })
        .collect();
    let p = a.activity.pooler.as_ref().expect("the pgBouncer view");
    assert_eq!(p.intervals, stats.len() as u64);
    assert_eq!(
        p.waited_intervals,
        waits.iter().filter(|w| **w > 0).count() as u64
    );
    assert_eq!(p.peak_wait_ms, *waits.iter().max().unwrap() as f64 / 1000.0);
    assert!(p.waited_intervals > 0);
    let count = |needle: &str| text.lines().filter(|l| l.contains(needle)).count() as u64;
    assert_eq!(
        p.refused,
        count("pooler error: no more connections allowed")
    );
    assert_eq!(p.refused, 2);
    assert_eq!(
        p.login_failures.values().sum::<u64>(),
        count("pooler error: SASL authentication failed")
    );
    assert_eq!(p.closing.values().sum::<u64>(), count(" closing because: "));
    let item = a
        .checklist
        .iter()
        .find(|c| c.item == "Connection pool sizing")
        .unwrap();
    assert_eq!(item.status, pgsift::analyze::findings::Status::Attention);
    assert!(
        item.evidence.contains("pgBouncer: clients waited"),
        "{}",
        item.evidence
    );
    assert!(r.html.contains("<section id=\"pgbouncer\">"));
    // a PostgreSQL log has no pgBouncer section
    let pg = run(&["tests/data/formats/postgresql.log"]);
    assert!(pg.audit.activity.pooler.is_none());
    assert!(!pg.html.contains("<section id=\"pgbouncer\">"));
}
