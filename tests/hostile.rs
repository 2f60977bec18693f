//! Inputs that must not stall, exhaust memory or mislead (issue 23): an
//! endless line (a gzip of 80 MiB of zeros, tests/data/hostile, made by
//! hand: no server writes it) is cut at the line cap and said; the samples'
//! real log with its lines ending in a bare CR reads as the same log.

use crate::harness::{run, run_with};

#[test]
fn an_endless_line_is_cut_at_the_cap_counted_and_said() {
    let r = run(&["tests/data/hostile/zeros-80mib.gz"]);
    let f = &r.audit.coverage.files[0];
    assert_eq!(f.lines_cut, 1, "{:?}", f);
    assert_eq!(f.lines_total, 1);
    assert_eq!(
        f.bytes as usize,
        (64 << 20) + 1,
        "the line as cut and its line end"
    );
    assert!(
        r.stderr
            .contains("1 line(s) longer than 64 MiB cut at 64 MiB"),
        "{}",
        r.stderr
    );
    assert!(r.html.contains("1 line longer than 64 MiB cut at 64 MiB"));
    // no log found in it: said, and exit 1
    assert_eq!(r.code, 1, "{}", r.stderr);
}

#[test]
fn a_log_whose_lines_end_in_a_bare_cr_reads_as_the_same_log() {
    let log = std::fs::read_to_string("samples/logs/postgresql-main.log").unwrap();
    let lf = run_with(&["-"], Some(log.as_bytes().to_vec()));
    let cr = run_with(&["-"], Some(log.replace('\n', "\r").into_bytes()));
    assert_eq!(cr.code, lf.code, "{}", cr.stderr);
    assert!(cr.audit.coverage.files[0].bare_cr);
    assert!(!lf.audit.coverage.files[0].bare_cr);
    assert_eq!(cr.audit.summary.executions, lf.audit.summary.executions);
    assert_eq!(cr.audit.coverage.lines_total, lf.audit.coverage.lines_total);
    assert_eq!(
        cr.audit.coverage.lines_parsed,
        lf.audit.coverage.lines_parsed
    );
    assert_eq!(cr.audit.findings.len(), lf.audit.findings.len());
    assert!(cr.html.contains("each CR was read as a line end"));
}

#[test]
fn a_statement_over_a_mib_is_grouped_and_shown_on_its_first_mib() {
    // a bulk INSERT of 3 MB as PostgreSQL logs it (a tab after each newline),
    // under the prefix of the samples' real log
    let log = std::fs::read_to_string("samples/logs/postgresql-main.log").unwrap();
    let line = log
        .lines()
        .find(|l| l.contains(" LOG:  duration: ") && l.contains("  statement: "))
        .unwrap();
    let prefix = &line[..line.find(" LOG:  ").unwrap()];
    let rows: Vec<String> = (0..100_000)
        .map(|i| format!("({i}, 'customer {i}', {})", i * 3))
        .collect();
    let big = format!(
        "{prefix} LOG:  duration: 12.500 ms  statement: INSERT INTO t VALUES\n\t{}\n",
        rows.join(",\n\t")
    );
    assert!(big.len() > 3 << 20);
    let input = format!(
        "{big}{}\n",
        log.lines().take(200).collect::<Vec<_>>().join("\n")
    );
    let r = run_with(&["-", "--show-values"], Some(input.into_bytes()));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let f = &r.audit.coverage.files[0];
    assert_eq!(f.statements_cut, 1);
    assert_eq!(f.lines_unrecognized, 0);
    let q = r
        .audit
        .queries
        .iter()
        .find(|q| q.normalized.starts_with("insert into t values"))
        .expect("the bulk insert is a query");
    assert_eq!((q.count, q.total_ms), (1, 12.5));
    // shown on its first MiB: the page holds a few copies of it at most
    assert!(r.html.len() < 8 << 20, "{} bytes", r.html.len());
    assert!(
        r.html
            .contains("1 statement longer than 1 MiB grouped and shown on their first MiB")
    );
}
