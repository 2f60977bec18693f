//! Statistics snapshots: the real exports in `samples/stats/` (made by
//! `samples/workload.sh` with `samples/pgsift-export.psql` against PostgreSQL 15),
//! the same exports rewritten with the column names of PostgreSQL 12 and 17, a
//! plain `pg_indexes` export, two snapshots in one file, a reset, and damaged CSVs.
//! Expected figures are computed from the CSVs here, not written down.

use crate::harness::run;
use pgsift::analyze::Audit;
use pgsift::analyze::stats::{JoinedBy, PoolVerdict};
use pgsift::stats::snapshot::WindowSource;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const FIRST: &str = "samples/stats/shop-eu-1";
const LAST: &str = "samples/stats/shop-eu-2";

/// A CSV as header + rows of strings.
#[derive(Clone)]
struct Csv {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Csv {
    fn read(path: &Path) -> Csv {
        let mut r = csv::Reader::from_path(path).unwrap();
        let header = r.headers().unwrap().iter().map(str::to_string).collect();
        let rows = r
            .records()
            .map(|x| x.unwrap().iter().map(str::to_string).collect())
            .collect();
        Csv { header, rows }
    }

    fn write(&self, path: &Path) {
        let mut w = csv::Writer::from_path(path).unwrap();
        w.write_record(&self.header).unwrap();
        for r in &self.rows {
            w.write_record(r).unwrap();
        }
        w.flush().unwrap();
    }

    fn col(&self, name: &str) -> usize {
        self.header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name}"))
    }

    fn get<'a>(&self, row: &'a [String], name: &str) -> &'a str {
        &row[self.col(name)]
    }

    fn rename(&mut self, from: &str, to: &str) {
        if let Some(i) = self.header.iter().position(|h| h == from) {
            self.header[i] = to.to_string();
        }
    }

    fn drop_cols(&mut self, names: &[&str]) {
        let keep: Vec<usize> = (0..self.header.len())
            .filter(|i| !names.contains(&self.header[*i].as_str()))
            .collect();
        self.header = keep.iter().map(|i| self.header[*i].clone()).collect();
        for r in &mut self.rows {
            *r = keep.iter().map(|i| r[*i].clone()).collect();
        }
    }
}

fn copy_dir(from: &str, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

/// Rewrites one CSV of an export folder in place.
fn edit(dir: &Path, file: &str, f: impl FnOnce(&mut Csv)) {
    let p = dir.join(file);
    let mut c = Csv::read(&p);
    f(&mut c);
    c.write(&p);
}

/// The `index` names of a list of indexes, as a set.
fn names<T>(list: &[T], index: impl Fn(&T) -> &String) -> BTreeSet<String> {
    list.iter().map(|x| index(x).clone()).collect()
}

/// Index scans per `schema.index` in one export.
fn idx_scans(dir: &str) -> BTreeMap<String, u64> {
    let c = Csv::read(&Path::new(dir).join("pg_stat_user_indexes.csv"));
    c.rows
        .iter()
        .map(|r| {
            (
                format!("{}.{}", c.get(r, "schemaname"), c.get(r, "indexrelname")),
                c.get(r, "idx_scan").parse().unwrap(),
            )
        })
        .collect()
}

/// Unique, primary or exclusion indexes of an export (by its catalog columns).
fn constraint_indexes(dir: &str) -> BTreeSet<String> {
    let c = Csv::read(&Path::new(dir).join("indexes.csv"));
    c.rows
        .iter()
        .filter(|r| {
            ["indisunique", "indisprimary", "indisexclusion"]
                .iter()
                .any(|k| c.get(r, k) == "t")
        })
        .map(|r| format!("{}.{}", c.get(r, "schemaname"), c.get(r, "indexname")))
        .collect()
}

/// pg_stat_statements total time (plan + exec, ms) and calls over the window
/// between two exports, the way the view defines its key.
fn pgss_window(first: &Path, last: &Path, exec: &str, plan: Option<&str>) -> (f64, u64, usize) {
    let read = |p: &Path| {
        let c = Csv::read(&p.join("pg_stat_statements.csv"));
        c.rows
            .iter()
            .map(|r| {
                let key = ["userid", "dbid", "queryid", "toplevel"]
                    .iter()
                    .filter(|k| c.header.iter().any(|h| h == *k))
                    .map(|k| c.get(r, k).to_string())
                    .collect::<Vec<_>>()
                    .join("/");
                let t: f64 = c.get(r, exec).parse::<f64>().unwrap()
                    + plan.map_or(0.0, |p| c.get(r, p).parse::<f64>().unwrap());
                (key, (t, c.get(r, "calls").parse::<u64>().unwrap()))
            })
            .collect::<BTreeMap<String, (f64, u64)>>()
    };
    let (a, b) = (read(first), read(last));
    let mut total = 0.0;
    let mut calls = 0;
    let mut entries = 0;
    for (k, (t, c)) in &b {
        let (t0, c0) = a.get(k).copied().unwrap_or((0.0, 0));
        let (dt, dc) = if *c < c0 { (*t, *c) } else { (t - t0, c - c0) };
        if dc > 0 {
            total += dt;
            calls += dc;
            entries += 1;
        }
    }
    (total, calls, entries)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 0.01 + b.abs() * 1e-9
}

/// The checks every variant of the sample exports must pass.
fn assert_sample_findings(a: &Audit, first: &str, last: &str) {
    let ix = &a.stats.indexes;
    let unused = names(&ix.unused, |x| &x.index);
    let dups: BTreeMap<String, String> = ix
        .duplicates
        .iter()
        .map(|d| (d.index.clone(), d.duplicate_of.clone()))
        .collect();
    let redundant: BTreeMap<String, String> = ix
        .redundant
        .iter()
        .map(|d| (d.index.clone(), d.covered_by.clone()))
        .collect();
    // the workload's deliberate scenarios (samples/README.md)
    assert!(
        unused.contains("public.shipments_carrier_unused_idx"),
        "{unused:?}"
    );
    assert_eq!(
        dups.get("public.shipments_order_id_dup_idx")
            .map(String::as_str),
        Some("public.shipments_order_id_idx"),
        "{dups:?}"
    );
    assert_eq!(
        redundant
            .get("public.shipments_customer_id_redundant_idx")
            .map(String::as_str),
        Some("public.shipments_customer_id_shipped_at_idx"),
        "{redundant:?}"
    );
    let heavy = &a.stats.tables.seq_scan_heavy;
    assert!(
        heavy.iter().any(|t| t.table == "public.orders"),
        "{heavy:?}"
    );
    // payments.gateway_txn_id is filtered by a frequent query and has no index
    let payments = heavy
        .iter()
        .find(|t| t.table == "public.payments")
        .unwrap_or_else(|| panic!("{heavy:?}"));
    let lookup = a
        .stats
        .statements
        .iter()
        .find(|s| {
            s.normalized
                .contains("from payments where gateway_txn_id = $")
        })
        .expect("the gateway_txn_id lookup in pg_stat_statements");
    assert!(
        payments.statements.contains(&lookup.fingerprint),
        "{payments:?}"
    );
    // every unused verdict is an index not scanned in the window, per the CSVs
    let (a, b) = (idx_scans(first), idx_scans(last));
    for u in &unused {
        assert_eq!(
            b[u].saturating_sub(a.get(u).copied().unwrap_or(0)),
            0,
            "{u}"
        );
    }
    // primary keys and unique constraints are never flagged, though never scanned
    let constrained = constraint_indexes(last);
    let never_scanned_constraints: Vec<&String> = constrained
        .iter()
        .filter(|i| {
            b.get(*i)
                .is_some_and(|s| *s == a.get(*i).copied().unwrap_or(0))
        })
        .collect();
    assert!(!never_scanned_constraints.is_empty());
    for i in &constrained {
        assert!(
            !unused.contains(i) && !dups.contains_key(i) && !redundant.contains_key(i),
            "{i}"
        );
    }
    let kept = names(&ix.not_flagged, |x| &x.index);
    for i in never_scanned_constraints {
        assert!(kept.contains(i), "{i} not listed as kept on purpose");
    }
    // the seq-scan figures are the CSVs' deltas
    let t = |dir: &str| {
        let c = Csv::read(&Path::new(dir).join("pg_stat_user_tables.csv"));
        let r = c
            .rows
            .iter()
            .find(|r| c.get(r, "relname") == "orders")
            .unwrap()
            .clone();
        (
            c.get(&r, "seq_scan").parse::<u64>().unwrap(),
            c.get(&r, "seq_tup_read").parse::<u64>().unwrap(),
        )
    };
    let (s0, r0) = t(first);
    let (s1, r1) = t(last);
    let orders = heavy.iter().find(|t| t.table == "public.orders").unwrap();
    assert_eq!(orders.seq_scan, s1 - s0);
    assert_eq!(orders.seq_tup_read, r1 - r0);
}

#[test]
fn real_exports_find_the_deliberate_indexes_and_the_table_needing_one() {
    let r = run(&["samples/stats"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let a = &r.audit;
    assert_sample_findings(a, FIRST, LAST);
    let window = a.stats.stats_window.as_ref().unwrap();
    assert_eq!(window.source, WindowSource::Snapshots);
    let w = window
        .databases
        .iter()
        .find(|d| d.database.as_deref() == Some("shop-eu"))
        .unwrap();
    assert_eq!(w.source, WindowSource::Snapshots);
    assert_eq!(w.snapshots, 2);
    let meta = |d: &str| Csv::read(&Path::new(d).join("meta.csv"));
    let (m0, m1) = (meta(FIRST), meta(LAST));
    assert_eq!(
        w.start.as_deref().unwrap(),
        &m0.get(&m0.rows[0], "snapshot_at")[..23]
    );
    assert_eq!(
        w.end.as_deref().unwrap()[..23],
        m1.get(&m1.rows[0], "snapshot_at")[..23]
    );
    // pg_stat_statements totals are the CSVs' deltas over the window
    let (total, calls, entries) = pgss_window(
        Path::new(FIRST),
        Path::new(LAST),
        "total_exec_time",
        Some("total_plan_time"),
    );
    let s = a.stats.statements_summary.as_ref().unwrap();
    assert!(close(s.total_ms, total), "{s:?} vs {total}");
    assert_eq!(s.calls, calls);
    assert_eq!(s.entries, entries);
    let listed: f64 = a.stats.statements.iter().map(|x| x.total_ms).sum();
    assert!((listed - total).abs() < 0.01 * entries as f64 + 0.01);
    // every CSV was read: no damaged rows in a real export
    for f in &a.coverage.files {
        assert_eq!(f.lines_unrecognized, 0, "{f:?}");
        assert!(f.skipped.is_none(), "{f:?}");
    }
    // the report says it in HTML too
    for s in [
        "shipments_carrier_unused_idx",
        "DROP INDEX CONCURRENTLY IF EXISTS public.shipments_order_id_dup_idx;",
        "CREATE INDEX CONCURRENTLY shipments_order_id_dup_idx ON public.shipments",
        "replicas keep their own counters",
    ] {
        assert!(r.html.contains(s), "{s}");
    }
}

#[test]
fn statements_join_the_log_groups_of_the_same_run() {
    let r = run(&["samples/logs/postgresql-main.log", "samples/stats"]);
    let a = &r.audit;
    let groups: BTreeSet<&str> = a.queries.iter().map(|q| q.fingerprint.as_str()).collect();
    let st = &a.stats.statements;
    let joined: Vec<_> = st.iter().filter(|s| s.log_group.is_some()).collect();
    assert!(joined.len() >= 5, "only {} joined", joined.len());
    for s in &joined {
        let group = s.log_group.as_deref().unwrap();
        assert!(groups.contains(group));
        assert_eq!(group, s.fingerprint);
        assert_eq!(s.joined_by, Some(JoinedBy::Normalized));
        assert!(s.log_p95_ms.is_some());
    }
    let summary = a.stats.statements_summary.as_ref().unwrap();
    assert_eq!(summary.not_joined, st.len() - joined.len());
}

/// Rewrites an export the way PostgreSQL 12 names and lacks columns.
fn as_pg12(dir: &Path) {
    edit(dir, "pg_stat_statements.csv", |c| {
        for (a, b) in [
            ("total_exec_time", "total_time"),
            ("min_exec_time", "min_time"),
            ("max_exec_time", "max_time"),
            ("mean_exec_time", "mean_time"),
            ("stddev_exec_time", "stddev_time"),
        ] {
            c.rename(a, b);
        }
        let added: Vec<String> = c
            .header
            .iter()
            .filter(|h| {
                h.contains("plan")
                    || h.starts_with("wal_")
                    || h.starts_with("jit_")
                    || h.starts_with("temp_blk_")
                    || *h == "toplevel"
            })
            .cloned()
            .collect();
        c.drop_cols(&added.iter().map(String::as_str).collect::<Vec<_>>());
    });
    edit(dir, "pg_stat_user_tables.csv", |c| {
        c.drop_cols(&[
            "n_ins_since_vacuum",
            "last_seq_scan",
            "last_idx_scan",
            "n_tup_newpage_upd",
        ]);
    });
    edit(dir, "pg_stat_activity.csv", |c| {
        c.drop_cols(&["leader_pid", "query_id"]);
    });
    edit(dir, "pg_stat_database.csv", |c| {
        c.drop_cols(&[
            "session_time",
            "active_time",
            "idle_in_transaction_time",
            "sessions",
            "sessions_abandoned",
            "sessions_fatal",
            "sessions_killed",
        ]);
    });
    let _ = std::fs::remove_file(dir.join("pg_stat_statements_info.csv"));
}

/// Rewrites an export the way PostgreSQL 17 names it (pgss 1.11, the bgwriter split).
fn as_pg17(dir: &Path) {
    edit(dir, "pg_stat_statements.csv", |c| {
        c.rename("blk_read_time", "shared_blk_read_time");
        c.rename("blk_write_time", "shared_blk_write_time");
    });
    let bg = Csv::read(&dir.join("pg_stat_bgwriter.csv"));
    let mut ck = bg.clone();
    for (a, b) in [
        ("checkpoints_timed", "num_timed"),
        ("checkpoints_req", "num_requested"),
        ("checkpoint_write_time", "write_time"),
        ("checkpoint_sync_time", "sync_time"),
        ("buffers_checkpoint", "buffers_written"),
    ] {
        ck.rename(a, b);
    }
    ck.drop_cols(&[
        "buffers_clean",
        "maxwritten_clean",
        "buffers_backend",
        "buffers_backend_fsync",
        "buffers_alloc",
    ]);
    ck.write(&dir.join("pg_stat_checkpointer.csv"));
    edit(dir, "pg_stat_bgwriter.csv", |c| {
        c.drop_cols(&[
            "checkpoints_timed",
            "checkpoints_req",
            "checkpoint_write_time",
            "checkpoint_sync_time",
            "buffers_checkpoint",
            "buffers_backend",
            "buffers_backend_fsync",
        ]);
    });
}

fn variant(tag: &str, f: fn(&Path)) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let d = tempfile::tempdir().unwrap();
    let a = d.path().join(format!("{tag}-1"));
    let b = d.path().join(format!("{tag}-2"));
    copy_dir(FIRST, &a);
    copy_dir(LAST, &b);
    f(&a);
    f(&b);
    (d, a, b)
}

#[test]
fn postgresql_12_column_names_give_the_same_findings() {
    let (d, a, b) = variant("pg12", as_pg12);
    let r = run(&[d.path().to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_sample_findings(&r.audit, a.to_str().unwrap(), b.to_str().unwrap());
    let (total, calls, _) = pgss_window(&a, &b, "total_time", None);
    let s = r.audit.stats.statements_summary.as_ref().unwrap();
    assert!(close(s.total_ms, total), "{s:?} vs {total}");
    assert_eq!(s.calls, calls);
    assert!(s.dealloc.is_none());
}

#[test]
fn postgresql_17_column_names_and_the_checkpointer_split() {
    let (d, a, b) = variant("pg17", as_pg17);
    let r = run(&[d.path().to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_sample_findings(&r.audit, a.to_str().unwrap(), b.to_str().unwrap());
    let bg = |dir: &Path, col: &str| -> u64 {
        let c = Csv::read(&dir.join("pg_stat_checkpointer.csv"));
        c.get(&c.rows[0], col).parse().unwrap()
    };
    let ck = r.audit.stats.checkpointer.as_ref().unwrap();
    assert_eq!(ck.timed, Some(bg(&b, "num_timed") - bg(&a, "num_timed")));
    assert_eq!(
        ck.requested,
        Some(bg(&b, "num_requested") - bg(&a, "num_requested"))
    );
    // buffers_clean comes from the reduced pg_stat_bgwriter
    assert!(ck.buffers_clean.is_some());
    // and the I/O time column of 1.11 is read
    let pg15 = run(&["samples/stats"]);
    let io = |a: &Audit| -> f64 { a.stats.statements.iter().map(|s| s.io_ms).sum() };
    assert!(close(io(&r.audit), io(&pg15.audit)));
}

#[test]
fn a_plain_pg_indexes_export_is_enough_for_index_checks() {
    let d = tempfile::tempdir().unwrap();
    let a = d.path().join("snap");
    copy_dir(LAST, &a);
    // what `\copy (SELECT * FROM pg_indexes) TO ...` writes: no catalog columns
    edit(&a, "indexes.csv", |c| {
        let keep = ["schemaname", "tablename", "indexname", "indexdef"];
        let drop: Vec<String> = c
            .header
            .iter()
            .filter(|h| !keep.contains(&h.as_str()))
            .cloned()
            .collect();
        c.drop_cols(&drop.iter().map(String::as_str).collect::<Vec<_>>());
        c.header.insert(3, "tablespace".into());
        for r in &mut c.rows {
            r.insert(3, String::new());
        }
    });
    let r = run(&[a.to_str().unwrap()]);
    let ix = &r.audit.stats.indexes;
    let dups = names(&ix.duplicates, |x| &x.index);
    assert!(
        dups.contains("public.shipments_order_id_dup_idx"),
        "{dups:?}"
    );
    let red = names(&ix.redundant, |x| &x.index);
    assert!(
        red.contains("public.shipments_customer_id_redundant_idx"),
        "{red:?}"
    );
    // uniqueness read from the definition: never-scanned unique indexes stay
    let unused = names(&ix.unused, |x| &x.index);
    for i in constraint_indexes(LAST) {
        assert!(!unused.contains(&i), "{i}");
    }
    assert!(unused.contains("public.shipments_carrier_unused_idx"));
    // one snapshot: the window is "since the statistics reset"
    assert_ne!(window_source(&r.audit), WindowSource::Snapshots);
}

#[test]
fn two_snapshots_in_one_file_and_a_reset() {
    let d = tempfile::tempdir().unwrap();
    let one = d.path().join("one");
    std::fs::create_dir_all(&one).unwrap();
    let mut both = Csv::read(&Path::new(FIRST).join("pg_stat_user_tables.csv"));
    both.rows
        .extend(Csv::read(&Path::new(LAST).join("pg_stat_user_tables.csv")).rows);
    both.write(&one.join("tables.csv"));
    let r = run(&[one.to_str().unwrap()]);
    assert_eq!(window_source(&r.audit), WindowSource::Snapshots);
    let two = run(&["samples/stats"]);
    let orders = |a: &Audit| {
        let t = a
            .stats
            .tables
            .seq_scan_heavy
            .iter()
            .find(|t| t.table == "public.orders")
            .unwrap();
        (t.seq_scan, t.seq_tup_read, t.n_live_tup)
    };
    assert_eq!(orders(&r.audit), orders(&two.audit));

    // the earlier export given a later time: every counter that grew now went down
    let reset = d.path().join("reset");
    copy_dir(LAST, &reset.join("a"));
    copy_dir(FIRST, &reset.join("b"));
    for f in std::fs::read_dir(reset.join("b")).unwrap() {
        let p = f.unwrap().path();
        let mut c = Csv::read(&p);
        if let Some(i) = c.header.iter().position(|h| h == "snapshot_at") {
            for row in &mut c.rows {
                row[i] = "2099-01-01 00:00:00+00".into();
            }
            c.write(&p);
        }
    }
    let r = run(&[reset.to_str().unwrap()]);
    let resets = &r.audit.stats.stats_window.as_ref().unwrap().resets;
    assert!(
        resets.iter().any(|x| x.contains("pg_stat_user_tables")),
        "{resets:?}"
    );
    assert!(
        resets.iter().any(|x| x.contains("pg_stat_statements")),
        "{resets:?}"
    );
    assert!(r.html.contains("went down"));
}

#[test]
fn unknown_damaged_and_compressed_csvs_never_stop_the_run() {
    let d = tempfile::tempdir().unwrap();
    let s = d.path().join("snap");
    copy_dir(LAST, &s);
    std::fs::write(s.join("inventory.csv"), "sku,warehouse,qty\nA1,north,4\n").unwrap();
    // cut in the middle of a row
    let full = std::fs::read(Path::new(LAST).join("pg_stat_user_indexes.csv")).unwrap();
    std::fs::write(
        s.join("pg_stat_user_indexes.csv"),
        &full[..full.len() * 2 / 3],
    )
    .unwrap();
    // a column missing everywhere: not recognized, said why
    edit(&s, "pg_stat_user_tables.csv", |c| {
        c.drop_cols(&["seq_scan"])
    });
    // invalid UTF-8 inside a query text, gzip-compressed
    let mut pgss = std::fs::read(Path::new(LAST).join("pg_stat_statements.csv")).unwrap();
    let at = pgss.iter().position(|b| *b == b'\n').unwrap() + 60;
    pgss[at] = 0xff;
    std::fs::remove_file(s.join("pg_stat_statements.csv")).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, &pgss).unwrap();
    std::fs::write(s.join("pg_stat_statements.csv.gz"), gz.finish().unwrap()).unwrap();
    std::fs::write(s.join("empty.csv"), "").unwrap();

    let r = run(&[s.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let file = |name: &str| {
        r.audit
            .coverage
            .files
            .iter()
            .find(|f| f.path.ends_with(name))
            .unwrap()
    };
    assert!(
        file("inventory.csv")
            .skipped
            .as_deref()
            .unwrap()
            .contains("not a statistics view")
    );
    let tables = file("pg_stat_user_tables.csv").skipped.as_deref().unwrap();
    assert!(
        tables.contains("pg_stat_user_tables") && tables.contains("seq_scan"),
        "{tables}"
    );
    let idx = file("pg_stat_user_indexes.csv");
    assert!(idx.lines_parsed >= 1);
    assert_eq!(
        idx.lines_total,
        idx.lines_parsed + idx.lines_ignored + idx.lines_unrecognized
    );
    let gz = file("pg_stat_statements.csv.gz");
    assert_eq!(gz.compression.as_deref(), Some("gzip"));
    assert_eq!(gz.invalid_utf8_lines, 1);
    let rows = Csv::read(&Path::new(LAST).join("pg_stat_statements.csv"))
        .rows
        .len();
    assert_eq!(r.audit.stats.statements.len(), rows);
    // a CSV that is not a statistics view is skipped, even when named; with
    // nothing else to read there is no report (exit 2), not a report of nothing
    let named = assert_cmd::Command::cargo_bin("pgsift")
        .unwrap()
        .args(["report", s.join("inventory.csv").to_str().unwrap(), "-o"])
        .arg(d.path().join("r.html"))
        .output()
        .unwrap();
    assert_eq!(named.status.code(), Some(2));
    let err = String::from_utf8_lossy(&named.stderr);
    assert!(
        err.contains("no PostgreSQL log or statistics found in")
            && err.contains("(1 file(s) skipped as not PostgreSQL logs)"),
        "{err}"
    );
    assert!(!d.path().join("r.html").exists());
}

#[test]
fn export_script_is_the_committed_one() {
    let out = assert_cmd::Command::cargo_bin("pgsift")
        .unwrap()
        .arg("export-script")
        .output()
        .unwrap();
    assert!(out.status.success());
    let committed = std::fs::read("samples/pgsift-export.psql").unwrap();
    assert_eq!(out.stdout, committed);
    let text = String::from_utf8(committed).unwrap();
    for f in [
        "meta.csv",
        "pg_stat_statements.csv",
        "pg_stat_user_tables.csv",
        "pg_stat_user_indexes.csv",
        "pg_statio_user_tables.csv",
        "pg_stat_database.csv",
        "pg_stat_activity.csv",
        "pg_locks.csv",
        "indexes.csv",
        "foreign_keys.csv",
        "pg_settings.csv",
        "pg_stat_checkpointer.csv",
    ] {
        assert!(text.contains(&format!("TO '{f}' CSV HEADER")), "{f}");
    }
}

/// Hand-made edge case: a log that carries query ids (`%Q`) and statistics whose
/// text for the same id is written differently (schema-qualified).
#[test]
fn statements_join_by_queryid_before_text() {
    let d = tempfile::tempdir().unwrap();
    let log = d.path().join("pg.log");
    std::fs::write(
        &log,
        "2026-01-01 10:00:00.000 UTC [100] [queryid=123456] app@shop LOG:  duration: 5.000 ms  statement: SELECT * FROM t WHERE a = 1\n\
         2026-01-01 10:00:01.000 UTC [100] [queryid=123456] app@shop LOG:  duration: 7.000 ms  statement: SELECT * FROM t WHERE a = 2\n",
    )
    .unwrap();
    let snap = d.path().join("snap");
    std::fs::create_dir(&snap).unwrap();
    std::fs::write(
        snap.join("pgss.csv"),
        "userid,dbid,queryid,query,calls,total_exec_time,rows\n\
         10,5,123456,\"SELECT * FROM public.t WHERE a = $1\",10,50.5,10\n\
         10,6,999,\"SELECT * FROM t WHERE a = $1\",4,8,4\n\
         10,5,777,\"SELECT now()\",3,1.5,3\n",
    )
    .unwrap();
    let r = run(&[
        log.to_str().unwrap(),
        snap.to_str().unwrap(),
        "--prefix",
        "%m [%p] [queryid=%Q] %q%u@%d ",
    ]);
    let group = Some(r.audit.queries[0].fingerprint.clone());
    let st = &r.audit.stats.statements;
    let by_id = |id: &str| {
        st.iter()
            .find(|s| s.queryid.as_deref() == Some(id))
            .unwrap()
    };
    assert_eq!(by_id("123456").joined_by, Some(JoinedBy::Queryid));
    assert_eq!(by_id("123456").log_group, group);
    assert_eq!(by_id("123456").log_count, Some(2));
    assert_eq!(by_id("999").joined_by, Some(JoinedBy::Normalized));
    assert_eq!(by_id("999").log_group, group);
    assert!(by_id("777").log_group.is_none());
    let s = r.audit.stats.statements_summary.as_ref().unwrap();
    assert_eq!(
        (s.joined_by_queryid, s.joined_by_normalized, s.not_joined),
        (1, 1, 1)
    );
    assert!(close(s.total_ms, 60.0));
    // one snapshot without meta or stats_reset: the window says it does not know
    assert_eq!(window_source(&r.audit), WindowSource::Unknown);
}

/// Hand-made edge case: one CSV holding two databases (a `datname` column), and
/// sessions idle in transaction and blocked, with values masked.
#[test]
fn one_csv_for_two_databases_and_sessions_in_trouble() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("tables.csv"),
        "datname,schemaname,relname,seq_scan,seq_tup_read,idx_scan,n_live_tup,n_dead_tup\n\
         app,public,big,50,1000000,1,20000,50000\n\
         crm,public,big,0,0,0,20000,0\n",
    )
    .unwrap();
    std::fs::write(
        d.path().join("activity.csv"),
        "snapshot_at,datid,datname,pid,usename,application_name,backend_start,xact_start,query_start,state_change,wait_event_type,wait_event,state,backend_type,query,blocked_by\n\
         2026-01-01 10:10:00+00,1,app,11,web,checkout,2026-01-01 09:00:00+00,2026-01-01 10:00:00+00,2026-01-01 10:00:01+00,2026-01-01 10:00:01+00,Client,ClientRead,idle in transaction,client backend,UPDATE orders SET note = 'secret' WHERE id = 42,{}\n\
         2026-01-01 10:10:00+00,1,app,12,web,report,2026-01-01 09:00:00+00,2026-01-01 10:05:00+00,2026-01-01 10:05:00+00,2026-01-01 10:05:00+00,Lock,transactionid,active,client backend,UPDATE orders SET note = 'x' WHERE id = 42,{11}\n\
         2026-01-01 10:10:00+00,,,13,,,2026-01-01 09:00:00+00,,,,Activity,WalWriterMain,,walwriter,,{}\n",
    )
    .unwrap();
    let r = run(&[d.path().to_str().unwrap(), "--cpu-cores", "4"]);
    let stats = &r.audit.stats;
    let dbs: Vec<&str> = stats
        .stats_window
        .as_ref()
        .unwrap()
        .databases
        .iter()
        .filter_map(|x| x.database.as_deref())
        .collect();
    // (the cluster-wide pg_stat_activity rows form a snapshot of no one database)
    assert_eq!(dbs, ["app", "crm"]);
    let heavy = &stats.tables.seq_scan_heavy;
    assert_eq!(heavy.len(), 1, "only app's table is scanned");
    assert_eq!(stats.tables.maintenance[0].table, "public.big");
    let a = stats.activity.as_ref().unwrap();
    assert_eq!(a.total, 2, "the walwriter is not a client session");
    assert_eq!(a.by_state["idle in transaction"], 1);
    let idle = &a.idle_in_transaction[0];
    assert_eq!(idle.pid, Some(11));
    assert_eq!(idle.duration_ms, Some(600_000));
    assert!(!idle.query.as_deref().unwrap().contains("secret"));
    assert_eq!(a.waiting[0].pid, Some(12));
    let blocked = &a.blocked[0];
    assert_eq!((blocked.blocked_pid, blocked.blocking_pid), (12, 11));
    assert_eq!(
        blocked.blocking_state.as_deref(),
        Some("idle in transaction")
    );
    let pool = a.pool.as_ref().unwrap();
    assert_eq!(pool.recommended_max, 12);
    assert_eq!(pool.verdict, PoolVerdict::Ok);
    assert!(!r.html.contains("secret"));
}

fn edge(name: &str) -> Audit {
    let r = run(&[&format!("tests/data/stats-edge/{name}")]);
    assert_eq!(r.code, 0, "{name}: {}", r.stderr);
    r.audit
}

/// Where the statistics window comes from (`unknown` without statistics).
fn window_source(a: &Audit) -> WindowSource {
    a.stats
        .stats_window
        .as_ref()
        .map_or(WindowSource::Unknown, |w| w.source)
}

/// The sorted index names of one of `indexes`' lists.
fn index_names(a: &Audit, list: &str) -> Vec<String> {
    let ix = &a.stats.indexes;
    let mut v: Vec<String> = match list {
        "unused" => ix.unused.iter().map(|x| x.index.clone()).collect(),
        "duplicates" => ix.duplicates.iter().map(|x| x.index.clone()).collect(),
        "redundant" => ix.redundant.iter().map(|x| x.index.clone()).collect(),
        "not_flagged" => ix.not_flagged.iter().map(|x| x.index.clone()).collect(),
        _ => panic!("no index list {list}"),
    };
    v.sort();
    v
}

/// The cases a review of the statistics layer found (hand-made fixtures, see
/// tests/data/stats-edge/README.md).
#[test]
fn review_edge_cases() {
    // c1: the foreign key keeps the duplicate's twin
    let j = edge("c1");
    assert_eq!(index_names(&j, "duplicates"), ["public.t_fk_b"]);
    assert!(index_names(&j, "unused").is_empty());
    assert_eq!(index_names(&j, "not_flagged"), ["public.t_fk_a"]);
    // c2: never drop both sides
    let j = edge("c2");
    assert_eq!(index_names(&j, "unused"), ["public.t_x_y"]);
    assert!(index_names(&j, "redundant").is_empty());
    // c3: one index stays for the foreign key
    let j = edge("c3");
    assert_eq!(index_names(&j, "unused"), ["public.t_r_y"]);
    assert_eq!(index_names(&j, "not_flagged"), ["public.t_r"]);
    // lk: AccessShare waiters are not blocked by AccessShare holders
    let j = edge("lk");
    let pairs: Vec<(u64, u64)> = j
        .stats
        .activity
        .as_ref()
        .unwrap()
        .blocked
        .iter()
        .map(|p| (p.blocked_pid, p.blocking_pid))
        .collect();
    assert_eq!(pairs, [(12, 10), (12, 11)]);
    // rs: a reset inside the window (stats_since) gives the later total, said so
    let j = edge("rs");
    assert_eq!(j.stats.statements_summary.as_ref().unwrap().calls, 150);
    let window = j.stats.stats_window.as_ref().unwrap();
    assert!(window.resets[0].contains("reset"));
    // rep: a replica is not the same server as its primary
    let j = edge("rep");
    let window = j.stats.stats_window.as_ref().unwrap();
    assert_eq!(window.databases.len(), 2);
    assert!(window.resets.is_empty());
    // pl: pg_indexes cannot show exclusion constraints; gist is never "unused"
    let j = edge("pl");
    assert!(
        !index_names(&j, "unused")
            .iter()
            .any(|i| i.contains("overlap"))
    );
    assert!(j.stats.indexes.limits[0].contains("exclusion"));
    // d1: partitioned indexes get a plain DROP (CONCURRENTLY is refused there)
    let j = edge("d1");
    let ix = &j.stats.indexes;
    let drops = ix
        .unused
        .iter()
        .map(|x| (&x.drop, &x.definition))
        .chain(ix.duplicates.iter().map(|x| (&x.drop, &x.definition)))
        .chain(ix.redundant.iter().map(|x| (&x.drop, &x.definition)));
    for (drop, definition) in drops {
        if definition.contains(" ON ONLY ") {
            assert!(drop.starts_with("DROP INDEX IF EXISTS"), "{drop}");
        } else {
            assert!(drop.starts_with("DROP INDEX CONCURRENTLY"), "{drop}");
        }
    }
    // unique indexes are never the dropped side
    let unique_dups: Vec<String> = index_names(&j, "duplicates");
    assert!(!unique_dups.contains(&"public.u1".to_string()));
    // md: findings name their database; db2's scans do not make db1's index used
    let j = edge("md");
    let unused = &j.stats.indexes.unused;
    assert_eq!(unused.len(), 1);
    assert_eq!(unused[0].database.as_deref(), Some("db1"));
}

#[test]
fn the_same_export_twice_and_an_export_without_meta() {
    let d = tempfile::tempdir().unwrap();
    copy_dir(LAST, &d.path().join("a"));
    copy_dir(LAST, &d.path().join("b"));
    let r = run(&[d.path().to_str().unwrap()]);
    let w = r.audit.stats.stats_window.as_ref().unwrap();
    assert_eq!(w.databases.len(), 1);
    assert_ne!(w.source, WindowSource::Snapshots);
    let once = run(&[LAST]);
    assert_eq!(r.json["indexes"]["unused"], once.json["indexes"]["unused"]);
    // without meta.csv the rows' own snapshot_at still make one snapshot
    let n = tempfile::tempdir().unwrap();
    copy_dir(LAST, n.path());
    std::fs::remove_file(n.path().join("meta.csv")).unwrap();
    let r = run(&[n.path().to_str().unwrap()]);
    assert_eq!(
        index_names(&r.audit, "unused"),
        index_names(&once.audit, "unused")
    );
    assert_eq!(
        index_names(&r.audit, "duplicates"),
        index_names(&once.audit, "duplicates")
    );
}

/// An export taken right after `pg_stat_reset()` (or before the first ANALYZE):
/// `n_live_tup` is a handful for a 40,000-row table that every sequential scan
/// reads whole, and no table sizes were exported. The scans' own counters still
/// show the table's size, and the index it lacks is still proposed.
#[test]
fn a_statistics_reset_does_not_hide_a_table_read_whole() {
    let d = tempfile::tempdir().unwrap();
    let s = d.path().join("snap");
    copy_dir(LAST, &s);
    std::fs::remove_file(s.join("table_sizes.csv")).unwrap();
    edit(&s, "pg_stat_user_tables.csv", |c| {
        let i = c.col("n_live_tup");
        for r in &mut c.rows {
            r[i] = "4".into();
        }
    });
    let r = run(&[s.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let payments = r
        .audit
        .stats
        .tables
        .seq_scan_heavy
        .iter()
        .find(|t| t.table == "public.payments")
        .expect("payments is still read by sequential scans");
    assert_eq!(payments.n_live_tup, 4);
    assert_eq!(payments.table_rows_from, "seq_tup_read / seq_scan");
    assert_eq!(
        payments.table_rows,
        payments.rows_per_seq_scan.floor() as u64
    );
    let rec = r
        .audit
        .index_recommendations
        .iter()
        .find(|x| x.table == "public.payments")
        .expect("the payments index is still proposed");
    assert_eq!(rec.columns, ["gateway_txn_id"]);
}
