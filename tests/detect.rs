//! Prefix detection on logs pgsift did not write: tests/data/detect holds real
//! PostgreSQL 15 logs (its workload.sh), one per `log_line_prefix` (the
//! issue's `[%x] usr=%u,db=%d,appli=%a`, `%v %c`, `%b`, `%Q`, Azure's
//! `%t-%c-`, RDS's `%t:%r:%u@%d:[%p]:`), each cut to the first 8 lines of a
//! client session; and real logs rewritten as log shippers rewrite them (one
//! space after `LOG:`, every run of spaces squeezed).

use crate::harness::run;
use crate::oracle::{count, read};

const D: &str = "tests/data/detect";

fn prefixes() -> Vec<(String, String)> {
    read(&format!("{D}/prefixes.tsv"))
        .lines()
        .map(|l| {
            let (name, prefix) = l.split_once('\t').unwrap();
            (name.to_string(), prefix.to_string())
        })
        .collect()
}

#[test]
fn short_real_logs_are_detected_without_a_flag() {
    let all = prefixes();
    assert_eq!(all.len(), 6);
    for (name, prefix) in all {
        let path = format!("{D}/{name}.log");
        let text = read(&path);
        assert_eq!(text.lines().count(), 8, "{name}");
        let detected = run(&[&path]);
        assert_eq!(detected.code, 0, "{name}: {}", detected.stderr);
        let given = run(&[&path, "--prefix", &prefix]);
        let (d, g) = (&detected.audit, &given.audit);
        // the oracle: the log's own duration lines
        let statements = count(&text, "  statement: ");
        assert_eq!(d.summary.executions, statements, "{name}");
        assert_eq!(g.summary.executions, statements, "{name}");
        assert_eq!(d.summary.entries, 8, "{name}");
        assert_eq!(d.coverage.lines_unrecognized, 0, "{name}");
        assert_eq!(d.summary.entries, g.summary.entries, "{name}");
        // the fields the prefix carries are read, as with the prefix given
        let sessions = |a: &pgsift::analyze::Audit| {
            let s = &a.activity.sessions;
            (
                s.connections_received,
                s.connections_authorized,
                s.disconnections,
                s.by_user_database.clone(),
            )
        };
        assert_eq!(sessions(d), sessions(g), "{name}");
        assert_eq!(d.activity.sessions.connections_authorized, 1, "{name}");
        assert_eq!(detected.json["queries"], given.json["queries"], "{name}");
        let f = &d.coverage.files[0];
        assert!(f.prefix_detected, "{name}");
    }
}

#[test]
fn shippers_that_collapse_spaces_lose_nothing() {
    let original = "samples/logs/postgresql-main.log";
    let text = read(original);
    let d = tempfile::tempdir().unwrap();
    let one = d.path().join("one-space.log");
    std::fs::write(&one, text.replace(":  ", ": ")).unwrap();
    let squeezed = d.path().join("squeezed.log");
    let mut s = String::with_capacity(text.len());
    let mut prev = '\0';
    for c in text.chars() {
        if !(c == ' ' && prev == ' ') {
            s.push(c);
        }
        prev = c;
    }
    std::fs::write(&squeezed, s).unwrap();
    let base = run(&[original]);
    for p in [&one, &squeezed] {
        let r = run(&[p.to_str().unwrap()]);
        let (a, b) = (&r.audit, &base.audit);
        assert_eq!(a.summary.executions, b.summary.executions, "{p:?}");
        assert_eq!(a.summary.entries, b.summary.entries, "{p:?}");
        assert_eq!(
            a.summary.total_duration_ms, b.summary.total_duration_ms,
            "{p:?}"
        );
        assert_eq!(a.coverage.lines_unrecognized, 0, "{p:?}");
        assert_eq!(a.activity.errors.len(), b.activity.errors.len(), "{p:?}");
        assert_eq!(a.queries.len(), b.queries.len(), "{p:?}");
    }
    assert!(base.audit.summary.executions > 3000);
}

#[test]
fn a_prefix_given_without_its_trailing_space_still_reads() {
    let log = "samples/logs/postgresql-main.log";
    let base = run(&[log]);
    let prefix = base.audit.coverage.files[0].prefix.clone().unwrap();
    assert!(prefix.ends_with(' '));
    let r = run(&[log, "--prefix", prefix.trim_end()]);
    assert_eq!(r.audit.summary.executions, base.audit.summary.executions);
    assert_eq!(r.audit.summary.entries, base.audit.summary.entries);
    assert_eq!(r.audit.coverage.lines_unrecognized, 0);
}

#[test]
fn a_failed_detection_names_the_closest_prefix() {
    let text = read(&format!("{D}/rds.log"));
    let mut lines: Vec<String> = text.lines().take(2).map(String::from).collect();
    lines.extend((0..4).map(|i| format!("garbage line {i} from another program")));
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("mixed.log");
    std::fs::write(&p, lines.join("\n") + "\n").unwrap();
    let r = pgsift_report_error(p.to_str().unwrap());
    assert!(
        r.contains("(the closest, '%t:%r:%u@%d:[%p]:', explains 2 of 6)"),
        "{r}"
    );
}

/// The coverage error of a file named explicitly whose prefix is not found.
fn pgsift_report_error(path: &str) -> String {
    let r = crate::harness::run_with(&[path], None);
    r.audit.coverage.files[0].error.clone().unwrap_or_default()
}

#[test]
fn a_csvlog_whose_records_span_many_lines_is_a_csvlog() {
    let path = format!("{D}/csvlog-plans.csv");
    // the oracle: the file's own records, read as CSV
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_path(&path)
        .unwrap();
    let records: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    let timed = records
        .iter()
        .filter(|r| r[13].starts_with("duration: ") && r[13].contains("  statement: "))
        .count() as u64;
    let plans = records.iter().filter(|r| r[13].contains("plan:\n")).count();
    let lines = read(&path).lines().count();
    assert!(
        lines > 3 * records.len(),
        "{lines} lines, {} records",
        records.len()
    );
    assert!(plans >= 60, "{plans}");
    let r = run(&[&path]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let a = &r.audit;
    assert_eq!(a.coverage.files[0].format.as_deref(), Some("csvlog"));
    assert_eq!(a.coverage.lines_unrecognized, 0);
    assert_eq!(a.summary.executions, timed);
    assert_eq!(a.summary.entries, records.len() as u64);
    assert!(!a.activity.plans.is_empty());
}
