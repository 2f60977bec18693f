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
