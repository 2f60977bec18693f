//! Archives by period (issue 21): a month of real daily logs
//! (tests/data/month/workload.sh, one gzipped file a day, the 14th running
//! past midnight) gives one report per day and an index; each day's figures
//! are the log's own lines of that day; the day two files share equals a run
//! on its lines cut beforehand; a re-run reads only what changed.

use crate::filters::comparable;
use assert_cmd::Command;
use serde_json::Value;
use std::io::Read;
use std::path::Path;

const MONTH: &str = "tests/data/month";

fn per(args: &[&str]) -> (i32, String) {
    let out = Command::cargo_bin("pgsift")
        .unwrap()
        .arg("report")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn gunzip(p: &Path) -> String {
    let mut s = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(p).unwrap())
        .read_to_string(&mut s)
        .unwrap();
    s
}

/// The month's lines, every file.
fn lines() -> Vec<String> {
    let mut files: Vec<_> = std::fs::read_dir(MONTH)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".log.gz"))
        .collect();
    files.sort();
    files
        .iter()
        .flat_map(|p| gunzip(p).lines().map(str::to_string).collect::<Vec<_>>())
        .collect()
}

fn json(p: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

#[test]
fn a_month_of_daily_logs_gives_a_report_per_day_and_an_index() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("index.html");
    let (code, err) = per(&[MONTH, "-o", index.to_str().unwrap(), "--per", "day"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("30 period report(s) (30 read, 0 unchanged)"),
        "{err}"
    );
    let html = std::fs::read_to_string(&index).unwrap();
    let all = lines();
    for day in 1..=30 {
        let d = format!("2026-11-{day:02}");
        assert!(
            html.contains(&format!("<a href=\"pgsift-{d}.html\">{d}</a>")),
            "{d}"
        );
        assert!(dir.path().join(format!("pgsift-{d}.html")).is_file());
        // the day's executions: the log's own duration lines of that date
        let expected = all
            .iter()
            .filter(|l| l.starts_with(&d) && l.contains(" LOG:  duration: "))
            .count() as u64;
        let a = json(&dir.path().join(format!("pgsift-{d}.json")));
        assert_eq!(a["summary"]["executions"], expected, "{d}");
        assert!(
            a["summary"]["first_ts"].as_str().unwrap().starts_with(&d),
            "{d}"
        );
        // the division by zero of the 20th is that day's only
        let errors = a["errors"].as_array().unwrap().len();
        assert_eq!(errors, usize::from(day == 20), "{d}");
    }
}

#[test]
fn the_day_two_files_share_is_the_run_on_its_lines_cut_beforehand() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("index.html");
    let (code, err) = per(&[MONTH, "-o", index.to_str().unwrap(), "--per", "day", "-q"]);
    assert_eq!(code, 0, "{err}");
    let cut: String = ["14", "15"]
        .iter()
        .flat_map(|d| {
            gunzip(Path::new(&format!("{MONTH}/postgresql-2026-11-{d}.log.gz")))
                .lines()
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .filter(|l| !l.starts_with("2026-11-14"))
        .map(|l| l + "\n")
        .collect();
    assert!(cut.lines().count() > 40);
    let cut_log = dir.path().join("cut.log");
    std::fs::write(&cut_log, cut).unwrap();
    let precut = crate::harness::run(&[cut_log.to_str().unwrap(), "-q"]);
    let period = json(&dir.path().join("pgsift-2026-11-15.json"));
    let (a, b) = (comparable(period), comparable(precut.json));
    for (k, v) in a.as_object().unwrap() {
        assert_eq!(Some(v), b.get(k), "{k} differs from the pre-cut run");
    }
}

#[test]
fn a_rerun_reads_only_the_periods_whose_files_changed() {
    let archive = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    for day in 1..=29 {
        let name = format!("postgresql-2026-11-{day:02}.log.gz");
        std::fs::copy(format!("{MONTH}/{name}"), archive.path().join(&name)).unwrap();
    }
    let index = out.path().join("index.html");
    let args = [
        archive.path().to_str().unwrap(),
        "-o",
        index.to_str().unwrap(),
        "--per",
        "day",
    ];
    let (_, err) = per(&args);
    assert!(
        err.contains("29 period report(s) (29 read, 0 unchanged)"),
        "{err}"
    );
    let before = std::fs::read(out.path().join("pgsift-2026-11-03.html")).unwrap();
    // the archive grows by a day: only that day is read
    std::fs::copy(
        format!("{MONTH}/postgresql-2026-11-30.log.gz"),
        archive.path().join("postgresql-2026-11-30.log.gz"),
    )
    .unwrap();
    let (code, err) = per(&args);
    assert_eq!(code, 0);
    assert!(
        err.contains("30 period report(s) (1 read, 29 unchanged)"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(out.path().join("pgsift-2026-11-03.html")).unwrap(),
        before
    );
    assert!(
        std::fs::read_to_string(&index)
            .unwrap()
            .contains("pgsift-2026-11-30.html")
    );
    // a file rewritten (here: the 14th, which also holds the first seconds of
    // the 15th) reads both its days again
    let f = archive.path().join("postgresql-2026-11-14.log.gz");
    let bytes = std::fs::read(&f).unwrap();
    std::fs::remove_file(&f).unwrap();
    std::fs::write(&f, [&bytes[..], &bytes[..]].concat()).unwrap();
    let (_, err) = per(&args);
    assert!(err.contains("(2 read, 28 unchanged)"), "{err}");
    // a gzip of two members is the log twice: the 14th's executions double
    let a = json(&out.path().join("pgsift-2026-11-14.json"));
    let once = lines()
        .iter()
        .filter(|l| l.starts_with("2026-11-14") && l.contains("duration: "))
        .count();
    assert_eq!(a["summary"]["executions"], 2 * once as u64);
}

#[test]
fn weeks_are_iso_weeks_and_per_refuses_what_it_cannot_split() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("weeks.html");
    let (code, err) = per(&[MONTH, "-o", index.to_str().unwrap(), "--per", "week", "-q"]);
    assert_eq!(code, 0, "{err}");
    let html = std::fs::read_to_string(&index).unwrap();
    // November 2026: Sunday the 1st is in week 44, Monday the 30th opens week 49
    for w in 44..=49 {
        assert!(html.contains(&format!("pgsift-2026-W{w}.html")), "W{w}");
    }
    let total: u64 = (44..=49)
        .map(|w| {
            json(&dir.path().join(format!("pgsift-2026-W{w}.json")))["summary"]["executions"]
                .as_u64()
                .unwrap()
        })
        .sum();
    let expected = lines()
        .iter()
        .filter(|l| l.contains(" LOG:  duration: "))
        .count() as u64;
    assert_eq!(total, expected);
    for (args, says) in [
        (vec!["-", "--per", "day"], "not standard input"),
        (
            vec![MONTH, "--per", "day", "--json", "x.json"],
            "--json and --markdown are for one report",
        ),
        (vec![MONTH, "--per", "year"], "invalid value 'year'"),
    ] {
        let (code, err) = per(&args);
        assert_eq!(code, 2, "{args:?}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
}
