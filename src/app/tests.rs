//! Tests of the application edge: exit codes, closed pipes, the baseline and the summary.

use super::*;
use std::io;

/// A writer whose every write fails with `kind`.
struct Failing(io::ErrorKind);

impl Write for Failing {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        Err(self.0.into())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_closed_pipe_is_told_from_other_write_errors() {
    let closed = write_export_script(&mut Failing(io::ErrorKind::BrokenPipe)).unwrap_err();
    assert!(is_broken_pipe(&closed));
    assert!(format!("{closed:#}").starts_with("writing the script: "));
    let full = write_export_script(&mut Failing(io::ErrorKind::StorageFull)).unwrap_err();
    assert!(!is_broken_pipe(&full));
    // deeper in a chain of contexts, too
    let deep = Err::<(), _>(io::Error::from(io::ErrorKind::BrokenPipe))
        .context("writing x")
        .context("report")
        .unwrap_err();
    assert!(is_broken_pipe(&deep));
    assert!(!is_broken_pipe(&anyhow::anyhow!("no input files found")));
}

#[cfg(unix)]
#[test]
fn the_export_script_to_a_pipe_closed_by_its_reader_is_a_broken_pipe() {
    let (reader, mut writer) = io::pipe().unwrap();
    drop(reader);
    let e = write_export_script(&mut writer).unwrap_err();
    assert!(is_broken_pipe(&e), "{e:#}");
    // and whole, to a reader that stays
    let (mut reader, mut writer) = io::pipe().unwrap();
    let read = std::thread::spawn(move || io::read_to_string(&mut reader).unwrap());
    write_export_script(&mut writer).unwrap();
    drop(writer);
    assert_eq!(read.join().unwrap(), EXPORT_SCRIPT);
}

#[test]
fn a_bad_baseline_is_named_in_the_error() {
    let d = tempfile::tempdir().unwrap();
    let missing = d.path().join("missing.json");
    let e = read_baseline(&missing).unwrap_err().to_string();
    assert!(
        e.starts_with(&format!("--baseline {}: ", missing.display())),
        "{e}"
    );
    let text = d.path().join("text.json");
    std::fs::write(&text, "not json").unwrap();
    let e = read_baseline(&text).unwrap_err().to_string();
    assert!(
        e.starts_with(&format!("--baseline {}: not JSON: ", text.display())),
        "{e}"
    );
    let other = d.path().join("other.json");
    std::fs::write(&other, r#"{"x": 1}"#).unwrap();
    let e = read_baseline(&other).unwrap_err().to_string();
    assert_eq!(
        e,
        format!(
            "--baseline {}: not a pgsift JSON audit (no schema_version and queries[])",
            other.display()
        )
    );
}

#[test]
fn the_exit_code_says_whether_some_input_was_unreadable() {
    let mut outcome = RunOutcome {
        audit: Audit::default(),
    };
    assert_eq!(outcome.exit_code(), ExitCode::SUCCESS);
    outcome.audit.coverage.files_unreadable = 1;
    assert_eq!(outcome.exit_code(), ExitCode::from(1));
}

#[test]
fn the_summary_names_unreadable_and_skipped_files() {
    use crate::aggregate::coverage::FileCoverage;
    let mut a = Audit::default();
    a.summary.executions = 12;
    a.summary.distinct_queries = 3;
    a.summary.total_duration_ms = 1500.0;
    a.coverage.files_total = 2;
    let mut bad = FileCoverage::new("bad.log");
    bad.error = Some("cannot open: denied".into());
    bad.unrecognized_examples = vec![(4, "junk".into())];
    let mut skipped = FileCoverage::new("notes.txt");
    skipped.skipped = Some("not a log".into());
    a.coverage.files = vec![bad, skipped];
    let mut out = Vec::new();
    let took = std::time::Duration::from_millis(420);
    summary::report(&mut out, &a, Path::new("/srv/r.html"), took).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "pgsift: 12 executions of 3 normalized queries, 1.50 s of statement time, from 2 files; read in 0.4 s; wrote /srv/r.html\n\
         pgsift: lines: 0 parsed, 0 recognized but not analyzed, 0 unrecognized (of 0)\n\
         pgsift: warning: bad.log: cannot open: denied\n\
         pgsift:   line 4: junk\n\
         pgsift: skipped 1 file(s) that are not PostgreSQL logs: notes.txt\n"
    );
    let mut quiet = Vec::new();
    summary::report_warnings(&mut quiet, &a).unwrap();
    assert_eq!(
        String::from_utf8(quiet).unwrap(),
        "pgsift: warning: bad.log: cannot open: denied\n"
    );
    // a stderr that cannot be written to is only an error to ignore
    assert!(
        summary::report(
            &mut Failing(io::ErrorKind::BrokenPipe),
            &a,
            Path::new("r"),
            took
        )
        .is_err()
    );
}
