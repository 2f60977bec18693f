//! The CLI papercuts of issue 22: nothing found is an error, not a report of
//! nothing; `-` writes to standard output; a named output folder must exist;
//! IANA zones for --tz; exit codes in --help; the summary says where it
//! wrote and how long it took, apart from statement time.

use assert_cmd::Command;

const LOG: &str = "samples/logs/postgresql-statement-duration.log";

fn pgsift(args: &[&str], dir: &std::path::Path) -> std::process::Output {
    Command::cargo_bin("pgsift")
        .unwrap()
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap()
}

fn abs(p: &str) -> String {
    std::fs::canonicalize(p).unwrap().display().to_string()
}

#[test]
fn no_log_and_no_statistics_is_exit_2_not_a_clean_report() {
    let d = tempfile::tempdir().unwrap();
    let notes = d.path().join("notes");
    std::fs::create_dir(&notes).unwrap();
    std::fs::write(notes.join("README.md"), "# the database is slow\n").unwrap();
    std::fs::write(notes.join("empty.log"), "").unwrap();
    let out = pgsift(&["report", "notes", "-o", "r.html"], d.path());
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no PostgreSQL log or statistics found in notes"),
        "{err}"
    );
    assert!(!d.path().join("r.html").exists());
    // empty standard input
    let out = Command::cargo_bin("pgsift")
        .unwrap()
        .current_dir(d.path())
        .args(["report", "-", "-o", "r.html"])
        .write_stdin("")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("the inputs are empty"));
}

#[test]
fn a_dash_writes_to_standard_output_and_named_folders_must_exist() {
    let d = tempfile::tempdir().unwrap();
    let log = abs(LOG);
    let out = pgsift(&["report", &log, "-o", "-", "-q"], d.path());
    assert_eq!(out.status.code(), Some(0));
    let html = String::from_utf8(out.stdout).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") && html.trim_end().ends_with("</html>"));
    assert!(!d.path().join("-").exists());
    let out = pgsift(
        &["report", &log, "-o", "r.html", "--json", "-", "-q"],
        d.path(),
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["summary"]["executions"].as_u64().unwrap() > 0);
    let out = pgsift(&["report", &log, "-o", "-", "--json", "-"], d.path());
    assert_eq!(out.status.code(), Some(2));
    // a folder named by hand is not created (a typo would make a tree)
    let out = pgsift(&["report", &log, "-o", "reprots/r.html"], d.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("the folder reprots does not exist"));
    assert!(!d.path().join("reprots").exists());
    // the default's folder is: and the summary says where, in full, and how long
    let out = pgsift(&["report", &log], d.path());
    assert_eq!(out.status.code(), Some(0));
    let written = d.path().join("output/report.html");
    assert!(written.is_file());
    let err = String::from_utf8_lossy(&out.stderr);
    let first = err.lines().next().unwrap();
    assert!(first.contains("of statement time"), "{first}");
    assert!(first.contains("; read in "), "{first}");
    assert!(
        first.ends_with(&format!(
            "wrote {}",
            std::fs::canonicalize(&written).unwrap().display()
        )),
        "{first}"
    );
}

#[test]
fn tz_takes_tz_database_names_and_help_lists_exit_codes() {
    let d = tempfile::tempdir().unwrap();
    let log = abs(LOG);
    let out = pgsift(
        &[
            "report",
            &log,
            "-o",
            "r.html",
            "--json",
            "-",
            "--tz",
            "Europe/Berlin",
            "-q",
        ],
        d.path(),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // the log's 10:59 UTC on 27 November is 11:59 in Berlin (CET, +01:00)
    assert!(
        v["summary"]["first_ts"]
            .as_str()
            .unwrap()
            .starts_with("2026-11-27 11:59"),
        "{}",
        v["summary"]
    );
    assert_eq!(v["summary"]["time_zone_offset"], "+01:00");
    assert_eq!(v["summary"]["time_zone"], "Europe/Berlin");
    let out = pgsift(&["report", &log, "--tz", "Europe/Atlantis"], d.path());
    assert_eq!(out.status.code(), Some(2));
    for cmd in ["report", "merge", "check"] {
        let out = pgsift(&[cmd, "--help"], d.path());
        let help = String::from_utf8(out.stdout).unwrap();
        assert!(help.contains("Exit codes: 0"), "{cmd}: {help}");
    }
}

/// The "In short" section of a report's HTML.
fn overview(html: &str) -> &str {
    let start = html.find("<section id=\"overview\">").unwrap();
    let end = start + html[start..].find("</section>").unwrap();
    &html[start..end]
}

#[test]
fn the_first_screen_has_headline_figures_then_findings_naming_their_query_or_table() {
    let r = crate::harness::run(&["samples/", "-q", "--title", "shop <primary>"]);
    let o = overview(&r.html);
    let cards = o.find("class=\"cards headline\"").unwrap();
    let table = o.find("class=\"top-findings\"").unwrap();
    assert!(cards < table, "headline figures come first");
    for label in [
        "Window",
        "Executions",
        "Statement time",
        "Errors",
        "Sessions",
    ] {
        assert!(o[cards..table].contains(&format!(">{label}<")), "{label}");
    }
    let executions = pgsift::units::count(r.audit.summary.executions);
    assert!(
        executions.contains(','),
        "the samples have thousands of executions"
    );
    assert!(o[cards..table].contains(&format!(">{executions}<")));
    // every finding listed that is about a query or a table names it (its
    // text, quoted, or the table); pauses between statements are about neither
    let mut named = 0;
    for f in r.audit.findings.iter().take(5) {
        if f.normalized.is_none() && f.table.is_none() {
            continue;
        }
        let by_query = f.normalized.as_ref().is_some_and(|q| {
            let head: String = q.chars().take(20).collect();
            f.title.contains(&format!("\"{head}"))
        });
        let by_table = f
            .table
            .as_ref()
            .is_some_and(|t| f.title.contains(t.as_str()));
        assert!(by_query || by_table, "{}", f.title);
        named += 1;
    }
    assert!(named >= 4, "{named}");
    assert!(!o.contains("(s)") && !o.contains("(es)"), "no (s) plurals");
    // the title, escaped, in the page title and header; the generation time
    assert!(
        r.html
            .contains("<title>shop &#60;primary&#62;: PostgreSQL audit report</title>")
            || r.html
                .contains("<title>shop &lt;primary&gt;: PostgreSQL audit report</title>")
    );
    assert!(r.html.contains(", generated 20"));
}

#[cfg(unix)]
#[test]
fn a_symlink_loop_and_a_fifo_in_a_folder_are_listed_not_followed() {
    // issue 23: `ln -s .. loop` and a FIFO made the walk run forever
    let d = tempfile::tempdir().unwrap();
    let logs = d.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    std::fs::copy(LOG, logs.join("postgresql.log")).unwrap();
    std::os::unix::fs::symlink("..", logs.join("loop")).unwrap();
    let fifo = logs.join("pipe");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let started = std::time::Instant::now();
    let out = Command::cargo_bin("pgsift")
        .unwrap()
        .current_dir(d.path())
        .args(["report", "logs", "-o", "r.html", "--json", "-", "-q"])
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(started.elapsed().as_secs() < 30);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let files = v["coverage"]["files"].as_array().unwrap();
    let skipped = |name: &str| {
        files
            .iter()
            .find(|f| f["path"].as_str().unwrap().ends_with(name))
            .and_then(|f| f["skipped"].as_str())
            .unwrap_or_default()
            .to_string()
    };
    assert!(
        skipped("pipe").starts_with("not a regular file"),
        "{files:?}"
    );
    assert!(skipped("logs").contains("already read"), "{files:?}");
    // the log itself is read once, not again through the loop
    let logs_read = files
        .iter()
        .filter(|f| f["path"].as_str().unwrap().ends_with("postgresql.log"))
        .count();
    assert_eq!(logs_read, 1);
}

#[test]
fn an_interrupted_run_leaves_the_old_outputs_and_no_temporary_file() {
    let d = tempfile::tempdir().unwrap();
    let html = d.path().join("report.html");
    let json = d.path().join("report.json");
    std::fs::write(&html, b"old html").unwrap();
    std::fs::write(&json, b"old json").unwrap();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("pgsift"))
        .args(["report", "samples/", "-q", "-o"])
        .arg(&html)
        .arg("--json")
        .arg(&json)
        .env("PGSIFT_TEST_PAUSE_BEFORE_RENAME_MS", "20000")
        .spawn()
        .unwrap();
    // both temporary files written, waiting to be renamed
    let temporaries = || {
        std::fs::read_dir(d.path())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .ends_with(".tmp")
            })
            .count()
    };
    let start = std::time::Instant::now();
    while temporaries() < 2 {
        assert!(
            start.elapsed().as_secs() < 60,
            "no temporary files appeared"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let code = child.wait().unwrap().code();
    assert_eq!(code, Some(128 + 15));
    assert_eq!(temporaries(), 0, "temporary files left behind");
    assert_eq!(std::fs::read(&html).unwrap(), b"old html");
    assert_eq!(std::fs::read(&json).unwrap(), b"old json");
}

#[test]
fn impossible_durations_are_refused_counted_shown_and_exit_1() {
    let log = "2026-12-04 10:00:00.000 UTC [7] LOG:  duration: -5.000 ms  statement: SELECT 1\n\
               2026-12-04 10:00:01.000 UTC [7] LOG:  duration: NaN ms  statement: SELECT 2\n\
               2026-12-04 10:00:02.000 UTC [7] LOG:  duration: 99999999999999.000 ms  statement: SELECT 3\n\
               2026-12-04 10:00:03.000 UTC [7] LOG:  duration: 1.000 ms  statement: SELECT 4\n";
    let r = crate::harness::run_with(
        &["-", "--prefix", "%m [%p] "],
        Some(log.as_bytes().to_vec()),
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(r.audit.summary.executions, 1);
    let c = &r.audit.coverage;
    assert_eq!(c.lines_rejected, 3);
    assert_eq!(
        c.lines_parsed + c.lines_ignored + c.lines_unrecognized + c.lines_rejected,
        c.lines_total
    );
    let f = &c.files[0];
    assert_eq!(f.rejected_examples.len(), 3);
    assert_eq!(
        f.rejected_examples[1],
        (2, "duration: NaN ms  statement: SELECT 2".to_string())
    );
    assert!(f.error.is_none(), "the prefix matched: {:?}", f.error);
    assert!(
        r.stderr.contains("3 line(s) refused, not counted"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("line 1: duration: -5.000 ms"),
        "{}",
        r.stderr
    );
    assert!(r.html.contains(">Refused<"));
    assert!(r.html.contains("3 lines impossible duration"));
    // a log of nothing else: still exit 1, nothing counted, said why
    let only = "2026-12-04 10:00:00.000 UTC [7] LOG:  duration: -1.000 ms  statement: SELECT 1\n";
    let r = crate::harness::run_with(
        &["-", "--prefix", "%m [%p] "],
        Some(only.as_bytes().to_vec()),
    );
    assert_eq!(r.code, 1);
    assert_eq!(r.audit.summary.executions, 0);
    assert!(r.stderr.contains("refused"), "{}", r.stderr);
}
