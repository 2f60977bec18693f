//! Parallelism inside one file: the audit is the same for any number of threads
//! and any chunk size, on every format, with the state that crosses chunk edges
//! (multi-line entries, DETAIL lines, statements waiting for their durations,
//! N+1 session windows, sessions open for the peak) and with damaged input.

use crate::harness::run;
use std::io::Write;

/// The inputs: real logs of every format, compressed ones, and a damaged copy of
/// the main sample (invalid UTF-8 lines, and a truncated `.gz`).
fn inputs(dir: &std::path::Path) -> Vec<String> {
    let main = std::fs::read("samples/logs/postgresql-main.log").unwrap();
    let mut damaged = Vec::new();
    for (i, line) in main.split(|b| *b == b'\n').enumerate() {
        damaged.extend_from_slice(line);
        if i % 997 == 5 {
            damaged.extend_from_slice(b" \xff\xfe");
        }
        damaged.push(b'\n');
    }
    std::fs::write(dir.join("damaged.log"), &damaged).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&main).unwrap();
    let gz = gz.finish().unwrap();
    std::fs::write(dir.join("truncated.log.gz"), &gz[..gz.len() * 2 / 3]).unwrap();
    let mut v: Vec<String> = [
        "samples/logs",
        "tests/data/formats",
        "tests/data/audit-edge",
        "tests/data/pgbadger",
    ]
    .map(String::from)
    .to_vec();
    v.push(dir.display().to_string());
    v
}

#[test]
fn the_audit_is_the_same_for_any_threads_and_chunk_size() {
    let d = tempfile::tempdir().unwrap();
    let inputs = inputs(d.path());
    let with = |extra: &[&str]| {
        let mut args: Vec<&str> = inputs.iter().map(String::as_str).collect();
        args.extend(extra);
        run(&args)
    };
    let one = with(&["-j", "1"]);
    // the comparison is not vacuous: the hard parts are in the inputs
    let j = &one.json;
    assert!(j["summary"]["executions"].as_u64().unwrap() > 10_000);
    assert!(!j["n_plus_one"]["detected"].as_array().unwrap().is_empty());
    let files = j["coverage"]["files"].as_array().unwrap();
    let damaged = files
        .iter()
        .find(|f| f["path"].as_str().unwrap().ends_with("damaged.log"))
        .unwrap();
    assert!(damaged["invalid_utf8_lines"].as_u64().unwrap() > 5);
    let truncated = files
        .iter()
        .find(|f| f["path"].as_str().unwrap().ends_with("truncated.log.gz"))
        .unwrap();
    assert!(truncated["error"].as_str().unwrap().contains("read error"));
    assert!(truncated["lines_parsed"].as_u64().unwrap() > 1000);
    for (threads, chunk) in [
        ("1", "1"),
        ("2", "1"),
        ("2", "700"),
        ("2", "65536"),
        ("3", "4096"),
        ("2", "1048576"),
    ] {
        let other = with(&["-j", threads, "--chunk-size", chunk]);
        assert_eq!(other.code, one.code);
        assert!(
            other.json == one.json,
            "-j {threads} --chunk-size {chunk} differs from -j 1: {}",
            first_difference(&one.json, &other.json)
        );
    }
}

/// The path of the first value that differs, for the failure message.
fn first_difference(a: &serde_json::Value, b: &serde_json::Value) -> String {
    use serde_json::Value;
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, v) in x {
                match y.get(k) {
                    Some(w) if w == v => {}
                    Some(w) => return format!("{k}.{}", first_difference(v, w)),
                    None => return format!("{k} missing"),
                }
            }
            "extra keys".into()
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                if v != w {
                    return format!("[{i}].{}", first_difference(v, w));
                }
            }
            String::new()
        }
        _ => format!("{a} vs {b}"),
    }
}
