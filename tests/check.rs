//! The regression gate (issue 21) on real logs of one workload
//! (tests/data/check/workload.sh): run with an index, run again (noise), run
//! after DROP INDEX. `pgsift check` fails the dropped-index run against the
//! indexed baseline, naming the query and both p95s, and passes the rerun and
//! the fix.

use crate::harness::run;
use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

const DIR: &str = "tests/data/check";

fn log(name: &str) -> String {
    format!("{DIR}/{name}.log")
}

/// `pgsift report LOG --json`: the run's JSON, kept in `dir`.
fn baseline(name: &str, dir: &Path) -> (PathBuf, Value) {
    let r = run(&[&log(name), "-q"]);
    let p = dir.join(format!("{name}.json"));
    std::fs::write(&p, serde_json::to_vec(&r.json).unwrap()).unwrap();
    (p, r.json)
}

/// `pgsift check ARGS`: exit code, stdout lines, stderr.
fn check(args: &[&str]) -> (i32, Vec<String>, String) {
    let out = Command::cargo_bin("pgsift")
        .unwrap()
        .arg("check")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn query<'a>(audit: &'a Value, starts: &str) -> &'a Value {
    audit["queries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["normalized"].as_str().unwrap().starts_with(starts))
        .unwrap()
}

const LOOKUP: &str = "select id, product_id, amount_cents from orders where customer_id";

#[test]
fn a_dropped_index_fails_the_gate_naming_the_query_and_both_p95s() {
    let dir = tempfile::tempdir().unwrap();
    let (base, before) = baseline("with-index", dir.path());
    let after = run(&[&log("without-index"), "-q"]).json;
    let (b, a) = (query(&before, LOOKUP), query(&after, LOOKUP));
    let (code, lines, err) = check(&["--baseline", base.to_str().unwrap(), &log("without-index")]);
    assert_eq!(code, 1, "{lines:?} {err}");
    assert_eq!(lines.len(), 1, "{lines:?}");
    let line = &lines[0];
    let p95 = |q: &Value| pgsift::units::duration_ms(q["p95_ms"].as_f64().unwrap());
    assert!(
        line.starts_with(&format!(
            "p95 regression of query {} ({LOOKUP}",
            a["fingerprint"].as_str().unwrap()
        )),
        "{line}"
    );
    assert!(
        line.contains(&format!("{} -> {}", p95(b), p95(a))),
        "{line}"
    );
    assert!(err.contains("1 threshold(s) crossed"), "{err}");
    // the same verdict from the run's JSON as from its log
    baseline("without-index", dir.path());
    let (code2, lines2, _) = check(&[
        "--baseline",
        base.to_str().unwrap(),
        dir.path().join("without-index.json").to_str().unwrap(),
    ]);
    assert_eq!((code2, &lines2), (1, &lines));
}

#[test]
fn a_rerun_and_the_fix_pass_and_thresholds_are_honoured() {
    let dir = tempfile::tempdir().unwrap();
    let (base, before) = baseline("with-index", dir.path());
    let base = base.to_str().unwrap();
    // the rerun: the lookup's p95 moved by more than 50%, but by far less than
    // a millisecond (noise), which the default does not count
    let again = run(&[&log("with-index-2"), "-q"]).json;
    let (b, a) = (
        query(&before, LOOKUP)["p95_ms"].as_f64().unwrap(),
        query(&again, LOOKUP)["p95_ms"].as_f64().unwrap(),
    );
    assert!(
        a > b * 1.5 && a - b < 1.0,
        "{b} -> {a}: the data no longer shows noise"
    );
    let (code, lines, err) = check(&["--baseline", base, &log("with-index-2")]);
    assert_eq!((code, lines.len()), (0, 0), "{lines:?} {err}");
    assert!(
        err.contains("within thresholds (3 queries compared"),
        "{err}"
    );
    let (code, lines, _) = check(&[
        "--baseline",
        base,
        "--p95-increase-min-ms",
        "0",
        &log("with-index-2"),
    ]);
    assert_eq!(code, 1);
    assert!(lines.iter().any(|l| l.contains(LOOKUP)), "{lines:?}");

    // the fix (the index back) against the regressed run as baseline
    let (slow, _) = baseline("without-index", dir.path());
    let (code, lines, _) = check(&["--baseline", slow.to_str().unwrap(), &log("with-index")]);
    assert_eq!((code, lines.len()), (0, 0), "{lines:?}");

    // a thresholds file, and a filter that leaves the query out
    let file = dir.path().join("gate.toml");
    std::fs::write(&file, "# lenient\np95_increase_pct = 100000\n").unwrap();
    let t = file.to_str().unwrap();
    let (code, _, _) = check(&["--baseline", base, "--thresholds", t, &log("without-index")]);
    assert_eq!(code, 0);
    // flags override the file
    let (code, _, _) = check(&[
        "--baseline",
        base,
        "--thresholds",
        t,
        "--p95-increase",
        "50",
        &log("without-index"),
    ]);
    assert_eq!(code, 1);
    let (code, _, _) = check(&[
        "--baseline",
        base,
        "--exclude-query",
        "customer_id",
        &log("without-index"),
    ]);
    assert_eq!(code, 0);
}

#[test]
fn check_writes_the_next_baseline_and_refuses_what_it_cannot_judge() {
    let dir = tempfile::tempdir().unwrap();
    let (base, _) = baseline("with-index", dir.path());
    let base = base.to_str().unwrap();
    let next = dir.path().join("next.json");
    let (code, _, _) = check(&[
        "--baseline",
        base,
        "--json",
        next.to_str().unwrap(),
        &log("with-index-2"),
    ]);
    assert_eq!(code, 0);
    let (code, lines, _) = check(&["--baseline", next.to_str().unwrap(), &log("without-index")]);
    assert_eq!((code, lines.len()), (1, 1), "{lines:?}");

    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "p95 = 1\n").unwrap();
    let not_audit = dir.path().join("x.json");
    std::fs::write(&not_audit, "{\"a\": 1}").unwrap();
    let empty = dir.path().join("empty.log");
    std::fs::write(&empty, "").unwrap();
    for (args, says) in [
        (vec![log("with-index")], "--baseline"),
        (
            vec![
                "--baseline".into(),
                "/nonexistent.json".into(),
                log("with-index"),
            ],
            "/nonexistent.json",
        ),
        (
            vec![
                "--baseline".into(),
                not_audit.display().to_string(),
                log("with-index"),
            ],
            "not a pgsift JSON audit",
        ),
        (
            vec![
                "--baseline".into(),
                base.into(),
                "--thresholds".into(),
                bad.display().to_string(),
                log("with-index"),
            ],
            "unknown threshold",
        ),
        (
            vec![
                "--baseline".into(),
                base.into(),
                empty.display().to_string(),
            ],
            "cannot judge this run",
        ),
    ] {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, _, err) = check(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
}
