//! Running the `pgsift` binary from integration tests, and reading back what it
//! wrote: the JSON both as the typed [`Audit`] (what assertions should use) and
//! as an untyped value (for whole-document comparisons).
#![allow(dead_code)]

use assert_cmd::Command;
use pgsift::analyze::findings::{CheckItem, Finding, Kind};
use pgsift::analyze::{Audit, QueryReport};
use serde_json::Value;
use std::path::Path;

/// One `pgsift report` run: exit code, stderr, and the JSON and HTML it wrote.
pub struct Run {
    pub code: i32,
    pub stderr: String,
    /// The `--json` audit, deserialized.
    pub audit: Audit,
    /// The same JSON, untyped.
    pub json: Value,
    pub html: String,
    /// Holds the output folder (`out/`) until the run is dropped.
    pub dir: tempfile::TempDir,
}

/// Runs `pgsift report ARGS -o DIR/out/report.html --json DIR/out/report.json`,
/// feeding `stdin` when given; fails the test when no report was written.
pub fn run_with(args: &[&str], stdin: Option<Vec<u8>>) -> Run {
    let dir = tempfile::tempdir().unwrap();
    // a folder named with -o must exist (only the default's is created)
    std::fs::create_dir(dir.path().join("out")).unwrap();
    let html = dir.path().join("out/report.html");
    let json = dir.path().join("out/report.json");
    let mut cmd = Command::cargo_bin("pgsift").unwrap();
    cmd.arg("report")
        .args(args)
        .arg("-o")
        .arg(&html)
        .arg("--json")
        .arg(&json);
    if let Some(input) = stdin {
        cmd.write_stdin(input);
    }
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let code = out.status.code().unwrap_or(-1);
    assert!(html.exists(), "no report written (exit {code}): {stderr}");
    let bytes = std::fs::read(&json).unwrap();
    let value: Value = serde_json::from_slice(&bytes).unwrap();
    let audit: Audit = serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("the JSON does not read back as an Audit: {e}"));
    assert_eq!(
        serde_json::to_value(&audit).unwrap(),
        value,
        "the typed Audit loses or changes part of the JSON"
    );
    Run {
        code,
        stderr,
        audit,
        json: value,
        html: std::fs::read_to_string(&html).unwrap(),
        dir,
    }
}

/// `pgsift report ARGS` (see [`run_with`]).
pub fn run(args: &[&str]) -> Run {
    run_with(args, None)
}

/// Lookups on the typed audit that several topics use.
pub trait AuditExt {
    /// The query whose normalized text starts with `starts` (fails the test if none).
    fn query(&self, starts: &str) -> &QueryReport;
    /// The findings of one kind, in rank order.
    fn findings_of(&self, kind: Kind) -> Vec<&Finding>;
    /// The checklist item whose name starts with `item` (fails the test if none).
    fn check(&self, item: &str) -> &CheckItem;
}

impl AuditExt for Audit {
    fn query(&self, starts: &str) -> &QueryReport {
        self.queries
            .iter()
            .find(|q| q.normalized.starts_with(starts))
            .unwrap_or_else(|| panic!("no query {starts}"))
    }

    fn findings_of(&self, kind: Kind) -> Vec<&Finding> {
        self.findings.iter().filter(|f| f.kind == kind).collect()
    }

    fn check(&self, item: &str) -> &CheckItem {
        self.checklist
            .iter()
            .find(|c| c.item.starts_with(item))
            .unwrap_or_else(|| panic!("no checklist item {item}"))
    }
}

/// Runs `pgsift merge PARTIALS -o DIR/merged.html --json DIR/merged.json`:
/// exit code, the JSON (null when none was written) and stderr.
pub fn merge(partials: &[&Path], dir: &Path) -> (i32, Value, String) {
    let json = dir.join("merged.json");
    let out = assert_cmd::Command::cargo_bin("pgsift")
        .unwrap()
        .arg("merge")
        .args(partials)
        .arg("-o")
        .arg(dir.join("merged.html"))
        .arg("--json")
        .arg(&json)
        .output()
        .unwrap();
    let code = out.status.code().unwrap_or(-1);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let v = std::fs::read(&json)
        .map(|b| serde_json::from_slice(&b).unwrap())
        .unwrap_or(Value::Null);
    (code, v, stderr)
}
