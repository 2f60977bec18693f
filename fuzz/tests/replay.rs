//! Replays every seed (`seeds/<target>/`) and every saved finding
//! (`regressions/<target>/`) through its target's harness, without libFuzzer:
//!
//!     cargo test --manifest-path fuzz/Cargo.toml --release
//!
//! A finding copied into `regressions/<target>/` fails here until pgsift is
//! fixed, and guards the fix afterwards.

use std::path::Path;

const TARGETS: &[(&str, fn(&[u8]))] = &[
    ("stderr_fixed", pgsift_fuzz::stderr_fixed),
    ("stderr_detect", pgsift_fuzz::stderr_detect),
    ("csvlog", pgsift_fuzz::csvlog),
    ("jsonlog", pgsift_fuzz::jsonlog),
    ("syslog", pgsift_fuzz::syslog),
    ("normalize", pgsift_fuzz::normalize),
    ("plan", pgsift_fuzz::plan),
    ("stats_csv", pgsift_fuzz::stats_csv),
    ("partial", pgsift_fuzz::partial),
    ("prefix", pgsift_fuzz::prefix),
];

/// Runs each file of `dir/<target>/` through its target; returns how many ran.
fn replay(dir: &str) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut ran = 0;
    for (name, run) in TARGETS {
        let Ok(entries) = std::fs::read_dir(root.join(name)) else {
            continue;
        };
        let mut files: Vec<_> = entries.flatten().map(|e| e.path()).collect();
        files.sort();
        for f in files.iter().filter(|f| f.is_file()) {
            let data = std::fs::read(f).unwrap();
            let started = std::time::Instant::now();
            run(&data);
            let took = started.elapsed();
            // the fuzzer's -timeout is 10 s; a debug build is slower
            assert!(
                took.as_secs() < 60,
                "{} took {took:?} through {name}",
                f.display()
            );
            ran += 1;
        }
    }
    ran
}

#[test]
fn seeds_run_clean() {
    let ran = replay("seeds");
    assert!(ran > 0, "no seed found under fuzz/seeds/");
}

#[test]
fn saved_findings_run_clean() {
    replay("regressions");
}
