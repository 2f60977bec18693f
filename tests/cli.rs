//! End-to-end tests of `pgsift report` on the committed real samples and on real
//! logs from other servers (tests/data/pgbadger). Expected counts are computed
//! here from the log text itself, independently of pgsift's parser.

use assert_cmd::Command;

use crate::harness::run;
use crate::oracle::{MAIN_LOG, STMT_LOG, read, timed_durations};
use pgsift::aggregate::coverage::FileCoverage;
use pgsift::analyze::{Audit, QueryReport};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// pgbench's tpcb-like statements: (text in the log, expected normalized key).
const PGBENCH: [(&str, &str); 5] = [
    (
        "UPDATE pgbench_accounts SET abalance",
        "update pgbench_accounts set abalance = abalance + $1 where aid = $2",
    ),
    (
        "SELECT abalance FROM pgbench_accounts",
        "select abalance from pgbench_accounts where aid = $1",
    ),
    (
        "UPDATE pgbench_tellers SET tbalance",
        "update pgbench_tellers set tbalance = tbalance + $1 where tid = $2",
    ),
    (
        "UPDATE pgbench_branches SET bbalance",
        "update pgbench_branches set bbalance = bbalance + $1 where bid = $2",
    ),
    (
        "INSERT INTO pgbench_history",
        "insert into pgbench_history(tid, bid, aid, delta, mtime) values($1, $2, $3, $4, current_timestamp)",
    ),
];

/// Whether `html` holds `raw` HTML-escaped (named or numeric entities).
fn contains_escaped(html: &str, raw: &str) -> bool {
    let named = raw
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;");
    let numeric = raw
        .replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;");
    html.contains(&named) || html.contains(&numeric)
}

/// The query group whose normalized text is exactly `normalized`.
fn query<'a>(a: &'a Audit, normalized: &str) -> &'a QueryReport {
    a.queries
        .iter()
        .find(|q| q.normalized == normalized)
        .unwrap_or_else(|| panic!("no group {normalized:?}"))
}

#[test]
fn samples_executions_equal_duration_lines_and_coverage_adds_up() {
    let r = run(&["samples/"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let main = read(MAIN_LOG);
    let stmt = read(STMT_LOG);
    // log_min_duration_statement: one timed line per execution.
    let main_exec = timed_durations(&main, "").len();
    // log_statement + log_duration: each statement/execute line gets a bare duration.
    let stmt_exec = stmt
        .lines()
        .filter(|l| l.contains(" LOG:  statement: ") || l.contains(" LOG:  execute "))
        .count();
    assert!(main_exec > 1000 && stmt_exec > 100);
    let s = &r.audit.summary;
    assert_eq!(s.executions, (main_exec + stmt_exec) as u64);
    assert_eq!(s.untimed_statements, 0);
    let c = &r.audit.coverage;
    let files = &c.files;
    let logs: Vec<&FileCoverage> = files.iter().filter(|f| f.path.ends_with(".log")).collect();
    let sum =
        |v: &[&FileCoverage], k: fn(&FileCoverage) -> u64| v.iter().map(|f| k(f)).sum::<u64>();
    let lines = (main.lines().count() + stmt.lines().count()) as u64;
    assert_eq!(sum(&logs, |f| f.lines_total), lines);
    assert_eq!(
        sum(&logs, |f| f.lines_parsed
            + f.lines_ignored
            + f.lines_unrecognized),
        lines
    );
    assert_eq!(c.lines_unrecognized, 0);
    // every file counted once: totals are the sum over files (logs and CSVs)
    let all: Vec<&FileCoverage> = files.iter().collect();
    assert_eq!(c.lines_total, sum(&all, |f| f.lines_total));
    // README.md, workload.sh and the export script are listed as skipped, not read
    // as logs; the statistics CSVs are read as such.
    let csvs = files
        .iter()
        .filter(|f| f.format.as_deref().is_some_and(|x| x.starts_with("csv: ")))
        .count();
    let on_disk = std::fs::read_dir("samples/stats")
        .unwrap()
        .flat_map(|d| std::fs::read_dir(d.unwrap().path()).unwrap())
        .count();
    assert_eq!(csvs, on_disk);
    assert_eq!(c.files_skipped, 3);
    assert_eq!(c.files_total as usize, 2 + on_disk);
    // parse/bind lines are timed apart, never counted as executions.
    let parse_lines = main.lines().filter(|l| l.contains("ms  parse ")).count() as u64;
    let bind_lines = main.lines().filter(|l| l.contains("ms  bind ")).count() as u64;
    assert_eq!(s.parse_count, parse_lines);
    assert_eq!(s.bind_count, bind_lines);
    assert_eq!(r.json["summary"]["schema_version"], Value::Null);
    assert_eq!(r.audit.schema_version, 1);
    assert_eq!(s.time_zones, ["UTC"]);
}

#[test]
fn every_pgbench_statement_lands_in_one_group() {
    let r = run(&["samples/logs"]);
    let main = read(MAIN_LOG);
    let stmt = read(STMT_LOG);
    for (needle, key) in PGBENCH {
        let in_main = timed_durations(&main, needle).len();
        let in_stmt = stmt
            .lines()
            .filter(|l| {
                (l.contains(" LOG:  statement: ") || l.contains(" LOG:  execute "))
                    && l.contains(needle)
            })
            .count();
        let groups: Vec<&QueryReport> = r
            .audit
            .queries
            .iter()
            .filter(|q| q.normalized.starts_with(&key.to_lowercase()[..30]))
            .collect();
        assert_eq!(groups.len(), 1, "{needle}: {groups:?}");
        assert_eq!(groups[0].normalized, key);
        assert_eq!(groups[0].count, (in_main + in_stmt) as u64, "{needle}");
    }
}

#[test]
fn percentiles_within_one_percent_of_exact() {
    let r = run(&[MAIN_LOG]);
    let main = read(MAIN_LOG);
    for (needle, key) in &PGBENCH[..2] {
        let mut d = timed_durations(&main, needle);
        d.sort_by(f64::total_cmp);
        let q = query(&r.audit, key);
        let total: f64 = d.iter().sum();
        assert!((q.total_ms - total).abs() < 1e-6 * total.max(1.0));
        assert_eq!(q.max_ms, Some(*d.last().unwrap()));
        assert_eq!(q.min_ms, Some(d[0]));
        for (p, field, got) in [
            (0.5, "p50_ms", q.p50_ms),
            (0.95, "p95_ms", q.p95_ms),
            (0.99, "p99_ms", q.p99_ms),
        ] {
            let rank = ((p * d.len() as f64).ceil() as usize).max(1);
            let exact = d[rank - 1];
            let got = got.unwrap();
            assert!(
                (got - exact).abs() <= exact * 0.01,
                "{key} {field}: got {got}, exact {exact}"
            );
        }
    }
}

#[test]
fn users_databases_and_apps_with_odd_names_are_attributed() {
    let r = run(&["samples/logs"]);
    let q = query(
        &r.audit,
        "select sku, quantity, unit_price_cents from order_items where order_id = $1",
    );
    assert_eq!(q.users["report@corp.example"], q.count);
    assert_eq!(q.databases["shop-eu"], q.count);
    assert!(q.apps.contains_key("billing-api"));
    // Debian prefix '%m [%p] %q%u@%d ' with a user name holding '@'.
    let lookup = query(&r.audit, "select id, email from customers where id = $1");
    assert_eq!(lookup.users["report@corp.example"], lookup.count);
    assert_eq!(lookup.databases["shop-eu"], lookup.count);
}

#[test]
fn log_text_is_escaped_in_html_and_values_hidden_by_default() {
    let hidden = run(&[MAIN_LOG, "--top", "1000"]);
    assert!(
        contains_escaped(&hidden.html, "\"<script>alert(1)</script>\""),
        "quoted identifier survives normalization, escaped"
    );
    assert!(
        !hidden.html.contains("onerror=alert(2)"),
        "string literal hidden without --show-values"
    );
    let shown = run(&[MAIN_LOG, "--show-values", "--top", "1000"]);
    let h = &shown.html;
    assert!(contains_escaped(h, "'<img src=x onerror=alert(2)>'"));
    for bad in ["<script>alert", "<img", "<script>alert(1)</script>"] {
        assert!(!h.contains(bad), "unescaped {bad}");
        assert!(!hidden.html.contains(bad), "unescaped {bad}");
    }
    // The only <script> tags are pgsift's own inline script.
    assert_eq!(h.matches("<script").count(), 1);
    // Bind parameters appear only with --show-values.
    // (which customer's parameters are the group's slowest example varies by run)
    assert!(contains_escaped(h, "$1 = 'Customer "), "parameters shown");
    assert!(contains_escaped(h, ", it''s"), "parameters shown");
    assert!(!contains_escaped(&hidden.html, "$1 = 'Customer "));
    // Self-contained: a CSP that forbids every network fetch, and no external URL.
    assert!(
        h.contains("Content-Security-Policy\" content=\"default-src 'none'")
            || h.contains("Content-Security-Policy\" content=\"default-src &#39;none&#39;")
    );
    for attr in [
        "src=\"http",
        "href=\"http",
        "src='http",
        "href='http",
        "url(http",
        "@import",
    ] {
        assert!(!h.contains(attr), "external reference {attr}");
    }
}

#[test]
fn one_thread_and_many_threads_give_identical_json() {
    let a = run(&["samples/logs", "tests/data/pgbadger", "-j", "1"]);
    let b = run(&["samples/logs", "tests/data/pgbadger", "-j", "4"]);
    assert_eq!(a.json, b.json);
    assert!(a.audit.summary.executions > 3000);
}

#[test]
fn real_pgbadger_fixture_light_has_629_executions() {
    let r = run(&["tests/data/pgbadger/light.postgres.log"]);
    assert_eq!(r.code, 0);
    assert_eq!(r.audit.summary.executions, 629);
    let f = &r.audit.coverage.files[0];
    assert_eq!(
        f.prefix.as_deref(),
        Some("%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ")
    );
    assert!(f.prefix_detected);
    assert_eq!(f.lines_unrecognized, 0);
    let q = query(
        &r.audit,
        "update pgbench_accounts set abalance = abalance + $1 where aid = $2",
    );
    assert_eq!(q.users["postgres"], q.count);
}

#[test]
fn multiline_bind_parameters_and_parse_bind_steps() {
    let log = "tests/data/pgbadger/multiline_param.log";
    let text = read(log);
    let r = run(&[log, "--show-values"]);
    assert_eq!(
        r.audit.summary.executions,
        timed_durations(&text, "").len() as u64
    );
    assert_eq!(
        r.audit.summary.bind_count,
        text.lines().filter(|l| l.contains("ms  bind ")).count() as u64
    );
    let found = r
        .audit
        .queries
        .iter()
        .filter_map(|q| q.example.as_ref()?.params.as_deref())
        .any(|p| p.contains("njchar\nhello") || p.contains("njvarchar\nbye"));
    assert!(found, "multi-line parameter value kept whole");
}

#[test]
fn lines_that_are_not_postgresql_are_unrecognized_with_examples() {
    let r = run(&["tests/data/pgbadger/pg_rawcsv.log"]);
    assert_eq!(r.code, 0);
    let f = &r.audit.coverage.files[0];
    assert_eq!(f.lines_unrecognized, 2);
    assert_eq!(
        f.unrecognized_examples[0],
        (3, "pg_ctl: could not start server".to_string())
    );
    assert!(r.html.contains("pg_ctl: could not start server"));
}

#[test]
fn garbage_and_invalid_utf8_produce_a_report_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.log");
    let mut bytes = b"\x00\x01binary \xff\xfe junk\nnot a log line at all\n".to_vec();
    bytes.extend((0..2000u32).flat_map(|i| [(i * 37 % 251) as u8, b'\n']));
    std::fs::write(&garbage, &bytes).unwrap();
    let mixed = dir.path().join("mixed.log");
    let mut m = read(MAIN_LOG).into_bytes();
    m.truncate(20_000);
    m.extend(b"\n2026-11-27 08:59:20.000 UTC [1]: [1-1] user=u\xff,db=d,app=a,client=c LOG:  duration: 1.000 ms  statement: SELECT '\xc3'\n");
    std::fs::write(&mixed, &m).unwrap();
    let r = run(&[garbage.to_str().unwrap(), mixed.to_str().unwrap()]);
    assert_eq!(r.code, 1, "an unreadable named file gives exit code 1");
    let files = &r.audit.coverage.files;
    let g = files
        .iter()
        .find(|f| f.path.ends_with("garbage.log"))
        .unwrap();
    assert!(g.error.as_deref().unwrap().contains("--prefix"));
    assert_eq!(g.lines_unrecognized, g.lines_total);
    assert!(g.invalid_utf8_lines >= 1);
    let mx = files
        .iter()
        .find(|f| f.path.ends_with("mixed.log"))
        .unwrap();
    assert_eq!(mx.error, None);
    assert!(mx.invalid_utf8_lines >= 1);
    assert!(r.html.contains("could not detect the log_line_prefix"));
    assert!(r.stderr.contains("--prefix"));
}

#[test]
fn given_prefix_is_used_and_a_wrong_one_is_visible() {
    let r = run(&[
        MAIN_LOG,
        "--prefix",
        "%m [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ",
    ]);
    assert!(!r.audit.coverage.files[0].prefix_detected);
    assert_eq!(r.audit.coverage.lines_unrecognized, 0);
    let wrong = run(&[MAIN_LOG, "--prefix", "%t <%p> "]);
    assert_eq!(wrong.code, 1);
    assert!(wrong.stderr.contains("no line matched"));
    assert_eq!(wrong.audit.summary.executions, 0);
    assert_eq!(
        wrong.audit.coverage.lines_unrecognized,
        wrong.audit.coverage.lines_total
    );
}

fn pgsift() -> Command {
    Command::cargo_bin("pgsift").unwrap()
}

#[test]
fn usage_errors_exit_2() {
    pgsift().arg("report").assert().code(2);
    pgsift()
        .args(["report", MAIN_LOG, "--top", "0"])
        .assert()
        .code(2);
    pgsift()
        .args(["report", "/nonexistent/path.log"])
        .assert()
        .code(2);
    pgsift().args(["bogus"]).assert().code(2);
}

#[test]
fn a_missing_path_among_good_ones_exits_1_with_a_report() {
    let r = run(&[MAIN_LOG, "/nonexistent/other.log"]);
    assert_eq!(r.code, 1);
    assert!(r.audit.summary.executions > 0);
    assert_eq!(r.audit.coverage.files_unreadable, 1);
}

#[test]
fn help_shows_an_example() {
    let out = pgsift().args(["report", "--help"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("pgsift report /var/log/postgresql/"));
    assert!(text.contains("--prefix"));
}

#[test]
fn json_contract_fields_are_present() {
    let r = run(&[MAIN_LOG]);
    let j = &r.json;
    for k in [
        "first_ts",
        "last_ts",
        "entries",
        "executions",
        "distinct_queries",
        "total_duration_ms",
    ] {
        assert!(!j["summary"][k].is_null(), "summary.{k}");
    }
    for k in [
        "lines_total",
        "lines_parsed",
        "lines_ignored",
        "lines_unrecognized",
    ] {
        assert!(j["coverage"][k].is_u64(), "coverage.{k}");
    }
    let qs = j["queries"].as_array().unwrap();
    assert_eq!(
        qs.len() as u64,
        j["summary"]["distinct_queries"].as_u64().unwrap()
    );
    let totals: Vec<f64> = qs.iter().map(|q| q["total_ms"].as_f64().unwrap()).collect();
    assert!(
        totals.windows(2).all(|w| w[0] >= w[1]),
        "sorted by total_ms desc"
    );
    let share_sum: f64 = qs.iter().map(|q| q["share"].as_f64().unwrap()).sum();
    assert!((share_sum - 1.0).abs() < 1e-3);
    for q in qs {
        for k in [
            "fingerprint",
            "normalized",
            "count",
            "total_ms",
            "mean_ms",
            "min_ms",
            "max_ms",
            "p50_ms",
            "p95_ms",
            "p99_ms",
            "share",
            "users",
            "databases",
            "apps",
        ] {
            assert!(q.get(k).is_some(), "queries[].{k}");
        }
        let fp = q["fingerprint"].as_str().unwrap();
        assert_eq!(fp.len(), 16);
        assert!(fp.chars().all(|c| c.is_ascii_hexdigit()));
    }
    let exec_sum: u64 = qs.iter().map(|q| q["count"].as_u64().unwrap()).sum();
    assert_eq!(exec_sum, j["summary"]["executions"].as_u64().unwrap());
}

#[test]
fn output_directory_is_created_and_no_temp_file_is_left() {
    let r = run(&[MAIN_LOG]);
    let dir: PathBuf = r.dir.path().join("out");
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(Path::new(&dir).join("report.html").exists());
}

#[test]
fn quiet_is_silent_and_no_progress_line_without_a_terminal() {
    let r = run(&["samples/logs", "-q"]);
    assert_eq!(r.code, 0);
    assert_eq!(r.stderr, "");
    // stderr is a pipe here: the summary, but never the progress line
    let r = run(&["samples/logs"]);
    assert!(r.stderr.contains("executions of"));
    assert!(!r.stderr.contains("MB read"));
    // warnings still reach a quiet run
    let r = run(&["samples/logs", "no-such-file.log", "-q"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("warning: no-such-file.log"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_closed_stdout_or_stderr_is_no_error() {
    use std::process::{Command, Stdio};
    let bin = assert_cmd::cargo::cargo_bin("pgsift");
    let dir = tempfile::tempdir().unwrap();
    // stderr closed long before the summary is written
    let mut child = Command::new(&bin)
        .args(["report", "samples/logs", "-o"])
        .arg(dir.path().join("r.html"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stderr.take());
    assert_eq!(child.wait().unwrap().code(), Some(0));
    assert!(dir.path().join("r.html").exists());
    // the export script into a pipe its reader closed
    let mut child = Command::new(&bin)
        .arg("export-script")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

#[test]
fn invisible_format_characters_from_the_log_are_shown_escaped() {
    // a right-to-left override in an identifier and in a literal, a zero width
    // space and a byte order mark in the application name
    let log = "2026-12-04 10:00:00.000 UTC [7] app=pay\u{200B}\u{FEFF} LOG:  duration: 1.500 ms  statement: SELECT '\u{202E}gpj.exe' AS \"evil\u{202E}txt\"\n";
    for extra in [&[][..], &["--show-values"][..]] {
        let mut args = vec!["-", "--prefix", "%m [%p] app=%a "];
        args.extend_from_slice(extra);
        let r = crate::harness::run_with(&args, Some(log.as_bytes().to_vec()));
        assert_eq!(r.audit.summary.executions, 1, "{}", r.stderr);
        for ch in ['\u{202E}', '\u{200B}', '\u{FEFF}'] {
            assert!(!r.html.contains(ch), "raw {:?} in the HTML", ch);
        }
        // the identifier survives normalization, its override shown
        assert!(r.html.contains("evil&lt;U+202E&gt;txt"), "{extra:?}");
        assert!(r.html.contains("pay&lt;U+200B&gt;&lt;U+FEFF&gt;"));
        if !extra.is_empty() {
            assert!(r.html.contains("&lt;U+202E&gt;gpj.exe"));
        }
        // the JSON keeps the text as it was (it is data, not a page)
        assert!(r.json.to_string().contains('\u{202E}'));
    }
}
