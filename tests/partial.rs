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
