//! Running the `pgsift` binary from integration tests.
#![allow(dead_code)]

use assert_cmd::Command;
use serde_json::Value;

/// One `pgsift report` run: exit code, stderr, and the JSON and HTML it wrote.
pub struct Run {
    pub code: i32,
    pub stderr: String,
    pub json: Value,
    pub html: String,
    /// Holds the output folder (`out/`) until the run is dropped.
    pub dir: tempfile::TempDir,
}

/// Runs `pgsift report ARGS -o DIR/out/report.html --json DIR/out/report.json`,
/// feeding `stdin` when given; fails the test when no report was written.
pub fn run_with(args: &[&str], stdin: Option<Vec<u8>>) -> Run {
    let dir = tempfile::tempdir().unwrap();
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
    Run {
        code,
        stderr,
        json: serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap(),
        html: std::fs::read_to_string(&html).unwrap(),
        dir,
    }
}

pub fn run(args: &[&str]) -> Run {
    run_with(args, None)
}
