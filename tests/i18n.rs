//! Servers with `lc_messages` other than English: tests/data/i18n holds real
//! PostgreSQL 15 logs of one workload (its workload.sh) under lc_messages C,
//! de_DE, fr_FR, ru_RU and ja_JP. Every localized log must read as the
//! English one: the same executions and statements, errors, sessions, temp
//! files, checkpoints and lock waits, and no line unrecognized. The
//! translations come from PostgreSQL's own catalogs (tools/i18n.py); the
//! committed tables must be what the installed catalogs give.

use crate::harness::{Run, run};

const D: &str = "tests/data/i18n";

fn figures(r: &Run) -> Vec<(String, String)> {
    let a = &r.audit;
    let act = &a.activity;
    let mut queries: Vec<(String, u64)> = a
        .queries
        .iter()
        .map(|q| (q.normalized.clone(), q.count))
        .collect();
    queries.sort();
    vec![
        ("executions".into(), a.summary.executions.to_string()),
        ("entries".into(), a.summary.entries.to_string()),
        ("queries".into(), format!("{queries:?}")),
        (
            "errors".into(),
            act.errors.iter().map(|e| e.count).sum::<u64>().to_string(),
        ),
        (
            "sessions".into(),
            format!(
                "{} {} {}",
                act.sessions.connections_received,
                act.sessions.connections_authorized,
                act.sessions.disconnections
            ),
        ),
        (
            "temp files".into(),
            r.json["temp_files"]["count"].to_string(),
        ),
        (
            "checkpoints".into(),
            r.json["checkpoints"]["count"].to_string(),
        ),
        ("lock waits".into(), r.json["locks"]["waits"].to_string()),
        (
            "unrecognized".into(),
            a.coverage.lines_unrecognized.to_string(),
        ),
    ]
}

#[test]
fn a_localized_server_reads_as_an_english_one() {
    let english = run(&[&format!("{D}/C.log")]);
    let base = figures(&english);
    // the workload's own figures, in the English log
    let a = &english.audit;
    assert!(a.summary.executions >= 90, "{}", a.summary.executions);
    assert_eq!(a.activity.sessions.connections_authorized, 8);
    assert_eq!(english.json["temp_files"]["count"], 1);
    assert_eq!(english.json["locks"]["waits"], 1);
    assert_eq!(a.coverage.lines_unrecognized, 0);
    for lang in ["de", "fr", "ru", "ja"] {
        let r = run(&[&format!("{D}/{lang}.log")]);
        assert_eq!(r.code, 0, "{lang}: {}", r.stderr);
        assert_eq!(figures(&r), base, "{lang}");
    }
}

#[test]
fn the_translation_tables_are_what_the_installed_catalogs_give() {
    let mo = std::path::Path::new("/usr/share/locale/de/LC_MESSAGES/postgres-15.mo");
    if !mo.exists() {
        eprintln!("skipped: PostgreSQL 15's message catalogs are not installed");
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let status = std::process::Command::new("python3")
        .args(["tools/i18n.py", "/usr/share/locale"])
        .arg(out.path())
        .status();
    let Ok(status) = status else {
        eprintln!("skipped: no python3 to run tools/i18n.py");
        return;
    };
    assert!(status.success());
    let read = |p: std::path::PathBuf| std::fs::read_to_string(&p).unwrap();
    assert_eq!(
        read(out.path().join("catalog.rs")),
        read("src/parse/i18n/catalog.rs".into())
    );
    for e in std::fs::read_dir(out.path().join("catalog")).unwrap() {
        let e = e.unwrap();
        let committed = std::path::Path::new("src/parse/i18n/catalog").join(e.file_name());
        assert_eq!(read(e.path()), read(committed), "{:?}", e.file_name());
    }
}
