//! Statistics exports as DBAs make them (tests/data/exports, written by its
//! workload.sh against a real PostgreSQL 15, every file of one database from
//! one statistics snapshot): the export script; plain `\copy (SELECT * FROM
//! view)` in one folder per database plus one of cluster-wide views; the same
//! in COPY text format (tab-separated, `\N`); and plain rewritten as pgAdmin
//! and DBeaver write CSV (quoted headers and strings, `true`/`false`; BOM,
//! `;`, upper-case headers, `NULL`, thousands separators, times without zone).
//! Every habit must give the same statements, index findings, cache ratios and
//! checklist, each equal to what its own files say.

use crate::harness::{Run, run};
use pgsift::analyze::Audit;
use pgsift::analyze::findings::Kind;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const D: &str = "tests/data/exports";
const HABITS: [&str; 5] = ["script", "plain", "tsv", "tools/pgadmin", "tools/dbeaver"];

/// `pgsift report` on every folder of a habit.
fn habit(h: &str) -> Run {
    let dir = Path::new(D).join(h);
    let mut folders: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path().display().to_string())
        .collect();
    folders.sort();
    let args: Vec<&str> = folders.iter().map(String::as_str).collect();
    let r = run(&args);
    assert_eq!(r.code, 0, "{h}: {}", r.stderr);
    r
}

/// The rows of a psql CSV export, as column -> value maps.
fn csv_rows(path: &str) -> Vec<BTreeMap<String, String>> {
    let mut rd = csv::Reader::from_path(format!("{D}/{path}")).unwrap();
    let header: Vec<String> = rd.headers().unwrap().iter().map(String::from).collect();
    rd.records()
        .map(|r| {
            let r = r.unwrap();
            header
                .iter()
                .cloned()
                .zip(r.iter().map(String::from))
                .collect()
        })
        .collect()
}

fn sum(rows: &[BTreeMap<String, String>], col: &str) -> u64 {
    rows.iter().map(|r| r[col].parse::<u64>().unwrap()).sum()
}

/// Statement calls by (queryid, database), from the audit.
fn calls(a: &Audit) -> BTreeMap<(Option<String>, Option<String>), u64> {
    let mut m = BTreeMap::new();
    for s in &a.stats.statements {
        *m.entry((s.queryid.clone(), s.database.clone()))
            .or_default() += s.calls;
    }
    m
}

/// The findings on indexes and tables: (kind, title).
fn index_findings(a: &Audit) -> Vec<(Kind, String)> {
    let kinds = [
        Kind::MissingIndex,
        Kind::UnusedIndex,
        Kind::DuplicateIndex,
        Kind::RedundantIndex,
        Kind::IndexExplosion,
    ];
    a.findings
        .iter()
        .filter(|f| kinds.contains(&f.kind))
        .map(|f| (f.kind, f.title.clone()))
        .collect()
}

fn ratio(hit: u64, read: u64) -> f64 {
    ((hit as f64 / (hit + read) as f64) * 1e6).round() / 1e6
}

#[test]
fn every_habit_reads_every_file_into_the_same_numbers() {
    let script = habit("script");
    // the oracle: the export's own pg_stat_statements and pg_stat_database
    let pgss = csv_rows("plain/cluster/pg_stat_statements.csv");
    let pgsd = csv_rows("plain/cluster/pg_stat_database.csv");
    let shop = pgsd.iter().find(|r| r["datname"] == "shop").unwrap();
    let shop_ratio = ratio(
        shop["blks_hit"].parse().unwrap(),
        shop["blks_read"].parse().unwrap(),
    );
    let tables = csv_rows("plain/shop/pg_statio_user_tables.csv");
    let orders = tables.iter().find(|r| r["relname"] == "orders").unwrap();
    let orders_ratio = ratio(
        orders["heap_blks_hit"].parse().unwrap(),
        orders["heap_blks_read"].parse().unwrap(),
    );
    let expected_calls = sum(&pgss, "calls");
    assert!(expected_calls > 4000, "{expected_calls}");
    // the script's copy of pg_stat_statements holds the same calls
    assert_eq!(
        sum(&csv_rows("script/shop/pg_stat_statements.csv"), "calls"),
        expected_calls
    );
    for h in HABITS {
        let r = if h == "script" { &script } else { &habit(h) };
        let a = &r.audit;
        // every file read: only the views pgsift does not analyze are skipped
        for f in &a.coverage.files {
            assert_eq!(f.lines_unrecognized, 0, "{h}: {f:?}");
            assert!(f.error.is_none(), "{h}: {f:?}");
            if let Some(why) = &f.skipped {
                assert!(
                    why.starts_with("pg_stat_progress_vacuum: recognized")
                        || why.starts_with("pg_stat_archiver: recognized"),
                    "{h}: {}: {why}",
                    f.path
                );
            }
        }
        let unused: Vec<&str> = a
            .coverage
            .statistics_unused
            .iter()
            .map(|u| u.path.as_str())
            .collect();
        assert!(unused.len() <= 3, "{h}: {unused:?}");
        // pg_stat_statements: every call, each statement under its database
        let total: u64 = a.stats.statements.iter().map(|s| s.calls).sum();
        assert_eq!(total, expected_calls, "{h}");
        assert_eq!(a.stats.statements.len(), pgss.len(), "{h}");
        assert_eq!(calls(a), calls(&script.audit), "{h}");
        assert!(
            a.stats.statements.iter().all(|s| s.database.is_some()),
            "{h}: a statement without its database"
        );
        // the databases, named by the export or after their folders
        let w = a.stats.stats_window.as_ref().unwrap();
        let mut names: Vec<(Option<&str>, bool)> = w
            .databases
            .iter()
            .map(|d| (d.database.as_deref(), d.named_after_folder))
            .collect();
        names.sort();
        let expected: Vec<(Option<&str>, bool)> = if h == "script" {
            vec![(Some("bench"), false), (Some("shop"), false)]
        } else {
            vec![(None, false), (Some("bench"), true), (Some("shop"), true)]
        };
        assert_eq!(names, expected, "{h}");
        assert!(w.resets.is_empty() && w.left_out.is_empty(), "{h}: {w:?}");
        // indexes: exactly the index the workload needs
        assert_eq!(
            index_findings(a),
            [(
                Kind::MissingIndex,
                "Missing index on public.orders (customer_email, created_at)".to_string()
            )],
            "{h}"
        );
        assert_eq!(
            index_findings(a),
            index_findings(&script.audit),
            "{h} and script"
        );
        // cache: pg_stat_database's and pg_statio's own figures
        let shop_row = a
            .stats
            .databases
            .iter()
            .find(|d| d.datname == "shop")
            .unwrap();
        if h != "script" {
            // (the script's pg_stat_database is bench's export, a moment later)
            assert_eq!(shop_row.cache_hit_ratio, Some(shop_ratio), "{h}");
        }
        let t = a
            .stats
            .cache
            .tables
            .iter()
            .find(|t| t.table == "public.orders")
            .unwrap();
        assert_eq!(t.hit_ratio, Some(orders_ratio), "{h}");
        assert_eq!(
            (a.stats.cache.table_hit_ratio, a.stats.cache.index_hit_ratio),
            (
                script.audit.stats.cache.table_hit_ratio,
                script.audit.stats.cache.index_hit_ratio
            ),
            "{h}"
        );
        // WAL volume from pg_stat_wal, as exported (the script does not export it)
        if h != "script" {
            let wal = &csv_rows("plain/cluster/pg_stat_wal.csv")[0];
            let c = a.stats.checkpointer.as_ref().unwrap();
            assert_eq!(c.wal_bytes, wal["wal_bytes"].parse().ok(), "{h}");
            assert_eq!(c.wal_records, wal["wal_records"].parse().ok(), "{h}");
            assert_eq!(
                c.wal_buffers_full,
                wal["wal_buffers_full"].parse().ok(),
                "{h}"
            );
        }
        // the checklist judges the same evidence the same way
        let statuses = |a: &Audit| -> Vec<String> {
            a.checklist
                .iter()
                .map(|c| format!("{}: {:?}", c.item, c.status))
                .collect()
        };
        assert_eq!(statuses(a), statuses(&script.audit), "{h}");
    }
}

#[test]
fn the_tools_spellings_are_said_in_the_coverage() {
    let r = habit("tools/dbeaver");
    let f = r
        .audit
        .coverage
        .files
        .iter()
        .find(|f| f.path.ends_with("dbeaver/shop/pg_stat_user_tables.csv"))
        .unwrap();
    assert_eq!(
        f.dialect.as_deref(),
        Some("';'-separated, UTF-8 byte order mark")
    );
    assert!(
        r.html
            .contains("Read as: &#39;;&#39;-separated, UTF-8 byte order mark")
    );
    let r = habit("tsv");
    assert!(r.audit.coverage.files.iter().all(|f| {
        f.dialect
            .as_deref()
            .is_some_and(|d| d.starts_with("tab-separated"))
    }));
    // plain pg_stat_statements has no datname: named from pg_stat_database
    assert!(
        r.html.contains("shop (named after its folder)"),
        "{}",
        r.stderr
    );
    assert!(r.html.contains("cluster-wide views"));
}

/// Copies `from` (under tests/data/exports) to `to`, its files modified at
/// `secs` after the epoch.
fn copy_at(from: &str, to: &Path, secs: u64) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(Path::new(D).join(from)).unwrap() {
        let e = e.unwrap();
        let dest: PathBuf = to.join(e.file_name());
        std::fs::copy(e.path(), &dest).unwrap();
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs);
        std::fs::File::options()
            .write(true)
            .open(&dest)
            .unwrap()
            .set_modified(t)
            .unwrap();
    }
}

fn seq_scans(path: &str, table: &str) -> u64 {
    csv_rows(path)
        .iter()
        .find(|r| r["relname"] == table)
        .unwrap()["seq_scan"]
        .parse()
        .unwrap()
}

#[test]
fn two_plain_exports_of_one_database_are_tied_by_relids_and_ordered_by_file_time() {
    let d = tempfile::tempdir().unwrap();
    // folder names that say nothing of the database; the later run first by name
    copy_at(
        "twice/2",
        &d.path().join("shop/b-morning"),
        1_800_000_000 + 3600,
    );
    copy_at("twice/1", &d.path().join("shop/c-evening"), 1_800_000_000);
    let r = run(&[
        d.path().join("shop/b-morning").to_str().unwrap(),
        d.path().join("shop/c-evening").to_str().unwrap(),
    ]);
    let w = r.audit.stats.stats_window.as_ref().unwrap();
    assert_eq!(w.databases.len(), 1, "{w:?}");
    let db = &w.databases[0];
    assert_eq!(db.database.as_deref(), Some("shop"));
    assert!(db.named_after_folder);
    assert_eq!(db.snapshots, 2);
    assert_eq!(w.seconds, Some(3600.0));
    assert!(w.resets.is_empty(), "{:?}", w.resets);
    assert!(
        w.notes
            .iter()
            .any(|n| n.contains("same tables under the same relids")),
        "{:?}",
        w.notes
    );
    assert!(
        w.notes
            .iter()
            .any(|n| n.contains("ordered by their files' modification times")),
        "{:?}",
        w.notes
    );
    // the deltas: the second export's counters less the first's
    let delta = seq_scans("twice/2/pg_stat_user_tables.csv", "orders")
        - seq_scans("twice/1/pg_stat_user_tables.csv", "orders");
    assert!(delta > 0);
    let heavy = &r.audit.stats.tables.seq_scan_heavy;
    let orders = heavy.iter().find(|t| t.table == "public.orders");
    assert_eq!(orders.map(|t| t.seq_scan), Some(delta), "{heavy:?}");

    // files modified together (copied, checked out): no order, one is read, said
    let d = tempfile::tempdir().unwrap();
    copy_at("twice/1", &d.path().join("one"), 1_800_000_000);
    copy_at("twice/2", &d.path().join("two"), 1_800_000_010);
    let r = run(&[d.path().to_str().unwrap()]);
    let w = r.audit.stats.stats_window.as_ref().unwrap();
    assert_eq!(w.databases.len(), 1, "{w:?}");
    assert_eq!(w.databases[0].snapshots, 1);
    assert_eq!(w.left_out.len(), 1, "{w:?}");
    assert!(w.resets[0].contains("cannot be ordered"), "{:?}", w.resets);
    // the left-out export's files are listed as not used
    let unused = &r.audit.coverage.statistics_unused;
    assert_eq!(unused.len(), 2, "{unused:?}");
    assert!(unused.iter().all(|u| u.reason.contains("was left out")));
    assert!(r.html.contains("Statistics not used"));
}

#[test]
fn both_habits_at_once_read_each_snapshot_once() {
    let r = run(&[
        &format!("{D}/script/shop"),
        &format!("{D}/plain/shop"),
        &format!("{D}/plain/cluster"),
    ]);
    let a = &r.audit;
    let expected = sum(&csv_rows("plain/cluster/pg_stat_statements.csv"), "calls");
    let total: u64 = a.stats.statements.iter().map(|s| s.calls).sum();
    assert_eq!(total, expected);
    let w = a.stats.stats_window.as_ref().unwrap();
    let shop: Vec<_> = w
        .databases
        .iter()
        .filter(|d| d.database.as_deref() == Some("shop"))
        .collect();
    assert_eq!(shop.len(), 1, "{w:?}");
    assert_eq!(shop[0].snapshots, 1);
    assert!(!shop[0].named_after_folder);
    assert!(
        w.notes
            .iter()
            .any(|n| n.contains("holds the same counters as")),
        "{:?}",
        w.notes
    );
}

#[test]
fn unreadable_statistics_are_named_on_the_first_screen() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("stats");
    std::fs::create_dir_all(&p).unwrap();
    // a join of two unrelated views, and a table export without needed columns
    std::fs::write(
        p.join("locks.csv"),
        "pid,locktype,mode,granted,state,query,backend_start\n1,relation,AccessShareLock,t,active,select 1,2026-01-01 00:00:00+00\n",
    )
    .unwrap();
    std::fs::write(
        p.join("progress.csv"),
        "pid,datid,datname,relid,phase,heap_blks_total\n",
    )
    .unwrap();
    std::fs::write(
        p.join("tables.csv"),
        "relname,seq_scan,seq_tup_read,n_live_tup\norders,5,500,100\n",
    )
    .unwrap();
    let r = run(&[p.to_str().unwrap()]);
    let a = &r.audit;
    assert_eq!(a.coverage.statistics_files, 3);
    assert_eq!(a.coverage.statistics_unused.len(), 2);
    let first = a.first_screen.sentences.join(" ");
    assert!(
        first.contains("2 of the 3 statistics CSVs were not used"),
        "{first}"
    );
    assert!(first.contains("pgsift export-script"), "{first}");
    let tables = a
        .coverage
        .files
        .iter()
        .find(|f| f.path.ends_with("tables.csv"))
        .unwrap();
    assert!(
        tables
            .missing_columns
            .iter()
            .any(|c| c == "n_dead_tup (dead tuples)"),
        "{:?}",
        tables.missing_columns
    );
    assert!(r.html.contains("Columns not found"));
    // the folder names the database
    let w = a.stats.stats_window.as_ref().unwrap();
    assert_eq!(w.databases[0].database.as_deref(), Some("stats"));
}

/// `from` copied to `to`, with the data rows of `doubled` files appended
/// again (an export run twice into the same files).
fn copy_doubling(from: &str, to: &Path, doubled: &[&str]) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(format!("{D}/{from}")).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_str().unwrap().to_string();
        let mut text = std::fs::read_to_string(&p).unwrap();
        if doubled.contains(&name.as_str()) {
            let rows: String = text.lines().skip(1).map(|l| format!("{l}\n")).collect();
            text.push_str(&rows);
        }
        std::fs::write(to.join(&name), text).unwrap();
    }
}

#[test]
fn rows_exported_twice_into_one_file_count_once_and_are_said() {
    let d = tempfile::tempdir().unwrap();
    let once = d.path().join("once/shop");
    let twice = d.path().join("twice/shop");
    copy_doubling("script/shop", &once, &[]);
    let doubled = [
        "indexes.csv",
        "pg_stat_statements.csv",
        "pg_stat_user_indexes.csv",
        "pg_stat_user_tables.csv",
    ];
    copy_doubling("script/shop", &twice, &doubled);
    let a = run(&[once.to_str().unwrap()]);
    let b = run(&[twice.to_str().unwrap()]);
    assert_eq!(b.code, 0, "{}", b.stderr);
    // the same statements, indexes and findings: an index is not its own duplicate
    assert_eq!(calls(&b.audit), calls(&a.audit));
    assert_eq!(index_findings(&b.audit), index_findings(&a.audit));
    assert_eq!(b.audit.stats.indexes.count, a.audit.stats.indexes.count);
    assert_eq!(b.audit.findings.len(), a.audit.findings.len());
    // and the repeats are said, with their numbers
    let notes = &b.audit.stats.stats_window.as_ref().unwrap().notes;
    let defs = csv_rows("script/shop/indexes.csv").len();
    let statements = csv_rows("script/shop/pg_stat_statements.csv").len();
    for (view, n) in [
        ("index definitions", defs),
        ("pg_stat_statements", statements),
    ] {
        assert!(
            notes
                .iter()
                .any(|x| x.contains(&format!("{n} repeated row(s) of {view}"))),
            "{view}: {notes:?}"
        );
    }
}

#[test]
fn a_meta_file_whose_clock_is_minutes_off_is_still_one_snapshot() {
    let d = tempfile::tempdir().unwrap();
    let good = d.path().join("good/shop");
    let skewed = d.path().join("skewed/shop");
    copy_doubling("script/shop", &good, &[]);
    copy_doubling("script/shop", &skewed, &[]);
    // meta.csv written ten minutes after the views
    let meta = std::fs::read_to_string(skewed.join("meta.csv")).unwrap();
    assert!(meta.contains("2026-12-04 10:05:25.686746+00"));
    std::fs::write(
        skewed.join("meta.csv"),
        meta.replacen(
            "2026-12-04 10:05:25.686746+00",
            "2026-12-04 10:15:25.686746+00",
            1,
        ),
    )
    .unwrap();
    let a = run(&[good.to_str().unwrap()]);
    let b = run(&[skewed.to_str().unwrap()]);
    assert_eq!(b.code, 0, "{}", b.stderr);
    assert!(!b.audit.stats.statements.is_empty());
    assert_eq!(calls(&b.audit), calls(&a.audit));
    assert_eq!(
        serde_json::to_value(&b.audit.stats.tables).unwrap(),
        serde_json::to_value(&a.audit.stats.tables).unwrap()
    );
    assert_eq!(index_findings(&b.audit), index_findings(&a.audit));
    assert_eq!(b.audit.findings.len(), a.audit.findings.len());
    let w = b.audit.stats.stats_window.as_ref().unwrap();
    assert_eq!(w.snapshots, 1);
    assert!(
        w.notes
            .iter()
            .any(|n| n.contains("600 s apart") && n.contains("read as one snapshot")),
        "{:?}",
        w.notes
    );
}
