//! Scale-out through partial results: `report --save-partial` on groups of files,
//! `merge` of the partials, and the same audit as one run over all the files;
//! the GNU parallel recipe of the README, run locally.

use crate::harness::{merge, run};
use serde_json::Value;
use std::path::Path;

#[test]
fn merged_partials_equal_one_run_over_all_inputs() {
    let d = tempfile::tempdir().unwrap();
    let groups: [&[&str]; 3] = [
        &[
            "samples/logs/postgresql-main.log",
            "samples/stats/shop-eu-1",
        ],
        &[
            "samples/logs/postgresql-statement-duration.log",
            "samples/stats/shop-eu-2",
        ],
        &[
            "samples/stats/bench-2",
            "tests/data/formats/postgresql.json",
        ],
    ];
    let mut partials = Vec::new();
    for (i, g) in groups.iter().enumerate() {
        let p = d.path().join(format!("g{i}.partial"));
        let mut args: Vec<&str> = g.to_vec();
        args.extend(["--save-partial", p.to_str().unwrap()]);
        let r = run(&args);
        assert_eq!(r.code, 0, "{}", r.stderr);
        partials.push(p);
    }
    let all: Vec<&str> = groups.iter().flat_map(|g| g.iter().copied()).collect();
    let single = run(&all);
    let refs: Vec<&Path> = partials.iter().map(|p| p.as_path()).collect();
    let (code, merged, stderr) = merge(&refs, d.path());
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(merged, single.json);
    // the merge order does not matter
    let rev: Vec<&Path> = refs.iter().rev().copied().collect();
    assert_eq!(merge(&rev, d.path()).1, single.json);
    // the statistics window spans two partials: deltas across them
    assert_eq!(merged["stats_window"]["source"], "snapshots");
}

#[test]
fn a_partial_of_another_version_or_other_options_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let a = d.path().join("a.partial");
    let b = d.path().join("b.partial");
    run(&[
        "samples/logs/postgresql-statement-duration.log",
        "--save-partial",
        a.to_str().unwrap(),
    ]);
    run(&[
        "samples/logs/postgresql-statement-duration.log",
        "--show-values",
        "--save-partial",
        b.to_str().unwrap(),
    ]);
    let (code, _, err) = merge(&[&a, &b], d.path());
    assert_eq!(code, 2);
    assert!(err.contains("other options"), "{err}");
    // another format version: said plainly
    let bytes = std::fs::read(&a).unwrap();
    let nl = bytes.iter().position(|b| *b == b'\n').unwrap();
    let header = String::from_utf8(bytes[..nl].to_vec()).unwrap().replace(
        &format!(
            "\"version\":{}",
            pgsift::aggregate::partial::PARTIAL_VERSION
        ),
        "\"version\":9",
    );
    let mut other = header.into_bytes();
    other.extend_from_slice(&bytes[nl..]);
    std::fs::write(&b, other).unwrap();
    let (code, _, err) = merge(&[&a, &b], d.path());
    assert_eq!(code, 2);
    assert!(err.contains("version 9"), "{err}");
    // not a partial at all
    let (code, _, err) = merge(&[Path::new("samples/README.md")], d.path());
    assert_eq!(code, 2);
    assert!(err.contains("not a pgsift partial"), "{err}");
}

/// The README's GNU parallel recipe, with local jobs instead of --sshlogin.
#[test]
fn gnu_parallel_recipe_over_rotated_logs() {
    let d = tempfile::tempdir().unwrap();
    let logs = d.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    // rotated files: the main sample cut into four at line boundaries, two of them gzipped
    let text = std::fs::read_to_string("samples/logs/postgresql-main.log").unwrap();
    let lines: Vec<&str> = text.lines().collect();
    for (i, chunk) in lines.chunks(lines.len() / 4 + 1).enumerate() {
        let body = chunk.join("\n") + "\n";
        let p = logs.join(format!("postgresql-{i}.log"));
        if i % 2 == 1 {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            std::io::Write::write_all(&mut gz, body.as_bytes()).unwrap();
            std::fs::write(p.with_extension("log.gz"), gz.finish().unwrap()).unwrap();
        } else {
            std::fs::write(p, body).unwrap();
        }
    }
    let bin = assert_cmd::cargo::cargo_bin("pgsift");
    let status = std::process::Command::new("sh")
        .current_dir(d.path())
        .arg("-c")
        .arg(format!(
            "ls logs/* | parallel -j 2 '{} report {{}} --save-partial {{}}.partial -o {{}}.html 2>/dev/null'",
            bin.display()
        ))
        .status()
        .expect("GNU parallel (Debian package parallel) is installed by .ci/run");
    assert!(status.success());
    let mut partials: Vec<std::path::PathBuf> = std::fs::read_dir(&logs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".partial"))
        .collect();
    partials.sort();
    assert_eq!(partials.len(), 4);
    let refs: Vec<&Path> = partials.iter().map(|p| p.as_path()).collect();
    let (code, merged, err) = merge(&refs, d.path());
    assert_eq!(code, 0, "{err}");
    // one run over the same files, from the same directory (same paths in the evidence)
    let mut files: Vec<String> = std::fs::read_dir(&logs)
        .unwrap()
        .map(|e| format!("logs/{}", e.unwrap().file_name().to_string_lossy()))
        .filter(|p| p.ends_with(".log") || p.ends_with(".log.gz"))
        .collect();
    files.sort();
    let out = std::process::Command::new(&bin)
        .current_dir(d.path())
        .arg("report")
        .args(&files)
        .args(["-o", "single.html", "--json", "single.json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let single: Value =
        serde_json::from_slice(&std::fs::read(d.path().join("single.json")).unwrap()).unwrap();
    assert_eq!(merged, single);
}

const DURATION_LOG: &str = "samples/logs/postgresql-statement-duration.log";

/// `report FILE --save-partial OUT`.
fn partial_of(file: &str, out: &Path) {
    let r = run(&[file, "--save-partial", out.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn the_same_input_merged_twice_is_refused_even_under_another_name() {
    let d = tempfile::tempdir().unwrap();
    let a = d.path().join("a.partial");
    partial_of(DURATION_LOG, &a);
    // the same partial twice
    let (code, v, err) = merge(&[&a, &a], d.path());
    assert_eq!(code, 2, "{err}");
    assert!(v.is_null(), "no report of double counts");
    assert!(err.contains("both read the same input"), "{err}");
    // a copy of the log, read by another run
    let copy = d.path().join("copy.log");
    std::fs::copy(DURATION_LOG, &copy).unwrap();
    let t = std::fs::File::open(DURATION_LOG)
        .unwrap()
        .metadata()
        .unwrap()
        .modified()
        .unwrap();
    std::fs::File::options()
        .write(true)
        .open(&copy)
        .unwrap()
        .set_modified(t)
        .unwrap();
    let b = d.path().join("b.partial");
    partial_of(copy.to_str().unwrap(), &b);
    let (code, _, err) = merge(&[&a, &b], d.path());
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("copy.log") && err.contains(DURATION_LOG),
        "{err}"
    );
    // the other log of the samples merges with it
    let c = d.path().join("c.partial");
    partial_of("samples/logs/postgresql-main.log", &c);
    let (code, _, err) = merge(&[&a, &c], d.path());
    assert_eq!(code, 0, "{err}");
}

/// The partial at `p` with its state edited by `edit`.
fn edited(p: &Path, out: &Path, edit: impl Fn(&mut Value)) {
    let bytes = std::fs::read(p).unwrap();
    let nl = bytes.iter().position(|b| *b == b'\n').unwrap();
    let mut state: Value =
        serde_json::from_slice(&zstd::decode_all(&bytes[nl + 1..]).unwrap()).unwrap();
    edit(&mut state);
    let mut outb = bytes[..=nl].to_vec();
    outb.extend(zstd::encode_all(serde_json::to_vec(&state).unwrap().as_slice(), 3).unwrap());
    std::fs::write(out, outb).unwrap();
}

#[test]
fn a_damaged_partial_is_refused_with_its_reason_never_a_panic() {
    let d = tempfile::tempdir().unwrap();
    let a = d.path().join("a.partial");
    partial_of(DURATION_LOG, &a);
    let c = d.path().join("c.partial");
    partial_of("samples/logs/postgresql-main.log", &c);
    // the first query's histogram with min above max; then an offset of four
    // billion (which asked for 32 GB); then executions that do not add up
    type Edit = fn(&mut Value);
    let cases: [(&str, Edit); 3] = [
        ("min", |v| {
            let h = &mut first_query(v)["hist"];
            let (min, max) = (h["min"].clone(), h["max"].clone());
            h["min"] = max;
            h["max"] = min;
        }),
        ("beyond", |v| {
            first_query(v)["hist"]["offset"] = 4_000_000_000u64.into()
        }),
        ("summary", |v| {
            let e = v["logs"]["summary"]["executions"].as_u64().unwrap();
            v["logs"]["summary"]["executions"] = (e + 1).into();
        }),
    ];
    for (why, edit) in cases {
        let bad = d.path().join(format!("bad-{why}.partial"));
        edited(&a, &bad, edit);
        let (code, v, err) = merge(&[&c, &bad], d.path());
        assert_eq!(code, 2, "{why}: {err}");
        assert!(v.is_null());
        assert!(
            err.contains("damaged partial result") && err.contains(why),
            "{why}: {err}"
        );
        assert!(err.contains("bad-"), "names the file: {err}");
    }
}

fn first_query(v: &mut Value) -> &mut Value {
    v["logs"]["queries"]
        .as_object_mut()
        .unwrap()
        .values_mut()
        .find(|q| q["count"].as_u64().unwrap() > 1)
        .unwrap()
}

#[test]
fn partials_of_disjoint_windows_over_the_same_files_merge() {
    // two days of the month's real logs, read twice: once per day's window
    let d = tempfile::tempdir().unwrap();
    let files = [
        "tests/data/month/postgresql-2026-11-02.log.gz",
        "tests/data/month/postgresql-2026-11-03.log.gz",
    ];
    let window = |since: &str, until: &str, out: &Path| {
        let mut args = files.to_vec();
        args.extend([
            "--since",
            since,
            "--until",
            until,
            "--save-partial",
            out.to_str().unwrap(),
        ]);
        let r = run(&args);
        assert_eq!(r.code, 0, "{}", r.stderr);
        r.audit.summary.executions
    };
    let a = d.path().join("a.partial");
    let b = d.path().join("b.partial");
    let first = window("2026-11-02 00:00", "2026-11-03 00:00", &a);
    let second = window("2026-11-03 00:00", "2026-11-04 00:00", &b);
    assert!(first > 0 && second > 0);
    let (code, v, err) = merge(&[&a, &b], d.path());
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["summary"]["executions"], first + second);
}
