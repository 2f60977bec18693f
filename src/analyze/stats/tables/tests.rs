//! Unit tests of the tables part: both sides of the scan-heavy, dead-tuple, staleness and HOT thresholds.

use super::super::fixtures::{db, snapshot};
use super::*;
use crate::stats::records::TableSize;

const DAY: i64 = 86_400_000;

fn table(name: &str) -> Table {
    Table {
        schema: "public".into(),
        name: name.into(),
        ..Default::default()
    }
}

/// A table of `live` rows scanned `seq` times, each reading every row, and
/// `idx` index scans.
fn scanned(name: &str, live: u64, seq: u64, idx: u64) -> Table {
    Table {
        seq_scan: Some(seq),
        seq_tup_read: Some(seq * live),
        n_live_tup: Some(live),
        idx_scan: Some(idx),
        ..table(name)
    }
}

fn view_of(rows: Vec<Table>, statements: &[StatementReport]) -> TablesView {
    let mut s = snapshot("shop", &["pg_stat_user_tables"]);
    s.taken_at = Some(Timestamp(30 * DAY));
    s.tables = rows;
    s.table_sizes = vec![TableSize {
        schema: "public".into(),
        name: "orders".into(),
        table_bytes: Some(1 << 20),
        ..Default::default()
    }];
    let mut out = TablesView::default();
    let ts = |t: Option<Timestamp>| t.map(|t| (t.0 / DAY).to_string());
    tables(&mut out, &db(s, None, None), statements, &ts);
    sort(&mut out);
    out
}

fn heavy(t: Table) -> bool {
    !view_of(vec![t], &[]).seq_scan_heavy.is_empty()
}

#[test]
fn a_large_table_read_whole_by_many_scans_is_scan_heavy() {
    let stmt = |fp: &str, normalized: &str, database: Option<&str>| StatementReport {
        fingerprint: fp.into(),
        normalized: normalized.into(),
        database: database.map(str::to_string),
        ..Default::default()
    };
    let statements = [
        stmt("f1", "select * from orders where status = $1", None),
        stmt("f2", "select * from orders", Some("crm")),
        stmt("f3", "update public.orders set x = $1", Some("shop")),
        stmt("f4", "select * from customers", None),
    ];
    let v = view_of(vec![scanned("orders", 20_000, 50, 1)], &statements);
    let s = &v.seq_scan_heavy[0];
    assert_eq!(s.table, "public.orders");
    assert_eq!(s.rows_per_seq_scan, 20_000.0);
    assert_eq!(s.index_usage, 0.019608);
    assert_eq!(s.table_bytes, Some(1 << 20));
    assert_eq!(s.statements, ["f1", "f3"]);
    assert_eq!(v.count, 1);
}

#[test]
fn the_scan_heavy_thresholds_hold_on_both_sides() {
    // rows: 10,000 is large enough, 9,999 is not
    assert!(heavy(scanned("t", SEQ_SCAN_MIN_ROWS, 10, 0)));
    assert!(!heavy(scanned("t", SEQ_SCAN_MIN_ROWS - 1, 10, 0)));
    // scans: 10 are enough, 9 are not
    assert!(!heavy(scanned("t", 20_000, SEQ_SCAN_MIN_SCANS - 1, 0)));
    // index usage: 156/166 is under the target, 190/200 is not
    assert!(heavy(scanned("t", 20_000, 10, 156)));
    assert!(!heavy(scanned("t", 20_000, 10, 190)));
    // rows per scan: half the table counts as a whole-table read, less does not
    let mut half = scanned("t", 20_000, 10, 0);
    half.seq_tup_read = Some(10 * 10_000);
    assert!(heavy(half.clone()));
    half.seq_tup_read = Some(10 * 9_999);
    assert!(!heavy(half));
    // no counters, no verdict
    assert!(!heavy(table("t")));
}

#[test]
fn a_stale_n_live_tup_does_not_hide_a_table_every_scan_reads_whole() {
    // after pg_stat_reset(): n_live_tup 4, but each of 40 scans read 70,000 rows
    let mut t = scanned("orders", 4, 40, 0);
    t.seq_tup_read = Some(40 * 70_000);
    let v = view_of(vec![t.clone()], &[]);
    let s = &v.seq_scan_heavy[0];
    assert_eq!(
        (s.n_live_tup, s.table_rows, s.table_rows_from.as_str()),
        (4, 70_000, "seq_tup_read / seq_scan")
    );
    // the counters still say too little when scans read under 10,000 rows
    t.seq_tup_read = Some(40 * 9_999);
    assert!(!heavy(t));
}

#[test]
fn reltuples_sizes_the_table_when_larger() {
    let mut s = snapshot("shop", &["pg_stat_user_tables"]);
    // n_live_tup 0 before the first ANALYZE; reltuples from the sizes export
    s.tables = vec![scanned("orders", 0, 20, 0)];
    s.tables[0].seq_tup_read = Some(20 * 40_000);
    s.table_sizes = vec![TableSize {
        schema: "public".into(),
        name: "orders".into(),
        reltuples: Some(45_000),
        ..Default::default()
    }];
    let mut out = TablesView::default();
    tables(&mut out, &db(s.clone(), None, None), &[], &|_| None);
    let h = &out.seq_scan_heavy[0];
    assert_eq!(
        (h.table_rows, h.table_rows_from.as_str()),
        (45_000, "reltuples")
    );
    // scans that read a tenth of a 400,000-row table are not whole-table reads
    s.table_sizes[0].reltuples = Some(400_000);
    let mut out = TablesView::default();
    tables(&mut out, &db(s, None, None), &[], &|_| None);
    assert!(out.seq_scan_heavy.is_empty());
}

#[test]
fn n_live_tup_sizes_the_table_when_it_is_current() {
    let v = view_of(vec![scanned("orders", 20_000, 50, 1)], &[]);
    let s = &v.seq_scan_heavy[0];
    assert_eq!(
        (s.table_rows, s.table_rows_from.as_str()),
        (20_000, "n_live_tup")
    );
}

#[test]
fn scan_heavy_tables_are_sorted_by_rows_read() {
    let v = view_of(
        vec![scanned("a", 20_000, 10, 0), scanned("b", 30_000, 10, 0)],
        &[],
    );
    let names: Vec<&str> = v.seq_scan_heavy.iter().map(|s| s.table.as_str()).collect();
    assert_eq!(names, ["public.b", "public.a"]);
}

#[test]
fn statement_reads_finds_tables_after_from_join_update() {
    assert!(statement_reads(
        "select * from orders where id = $1",
        "public",
        "orders"
    ));
    assert!(statement_reads(
        "select * from a join public.orders o on o.id = a.id",
        "public",
        "orders"
    ));
    assert!(statement_reads(
        "select * from (\"orders\")",
        "public",
        "orders"
    ));
    assert!(!statement_reads("select orders from x", "public", "orders"));
    assert!(!statement_reads(
        "select * from other.orders",
        "public",
        "orders"
    ));
}

fn maintained(t: Table) -> Option<MaintenanceTable> {
    view_of(vec![t], &[]).maintenance.into_iter().next()
}

fn with_dead(live: u64, dead: u64) -> Table {
    Table {
        n_live_tup: Some(live),
        n_dead_tup: Some(dead),
        last_vacuum: Some(Timestamp(29 * DAY)),
        last_autoanalyze: Some(Timestamp(29 * DAY)),
        ..table("t")
    }
}

#[test]
fn dead_tuples_matter_from_a_thousand_and_a_tenth() {
    let m = maintained(with_dead(9_000, 1_000)).unwrap();
    assert_eq!(m.dead_ratio, 0.1);
    assert_eq!(
        m.problems,
        ["10% dead tuples: autovacuum is behind (or blocked by a long transaction)"]
    );
    assert_eq!(m.last_vacuum.as_deref(), Some("29"));
    assert!(maintained(with_dead(9_000, 999)).is_none());
    assert!(maintained(with_dead(9_001, 1_000)).is_none());
}

#[test]
fn vacuum_and_analyze_are_stale_after_a_week_or_never() {
    let stale = Table {
        n_mod_since_analyze: Some(2_000),
        last_vacuum: None,
        last_autovacuum: Some(Timestamp(22 * DAY)),
        last_analyze: None,
        last_autoanalyze: None,
        ..with_dead(20_000, 1_000)
    };
    let m = maintained(stale.clone()).unwrap();
    assert_eq!(
        m.problems,
        [
            "analyzed never with 2000 rows changed since: planner estimates are stale",
            "vacuumed 8 days ago"
        ]
    );
    // the later of manual and auto vacuum counts; exactly a week is not stale
    let week = Table {
        last_vacuum: Some(Timestamp(23 * DAY)),
        last_analyze: Some(Timestamp(23 * DAY)),
        ..stale.clone()
    };
    assert!(maintained(week).is_none());
    // fewer rows changed than a tenth of the table: the analyze age does not matter
    let few = Table {
        n_mod_since_analyze: Some(1_999),
        last_vacuum: Some(Timestamp(29 * DAY)),
        ..stale
    };
    assert!(maintained(few).is_none());
}

#[test]
fn small_tables_are_not_checked_for_staleness() {
    let small = Table {
        n_mod_since_analyze: Some(5_000),
        last_vacuum: None,
        last_autoanalyze: None,
        ..with_dead(8_000, 1_999)
    };
    // 9,999 rows: only the dead share is checked (1,999 / 9,999 is over a tenth)
    let m = maintained(small).unwrap();
    assert_eq!(m.problems.len(), 1);
    assert!(m.problems[0].starts_with("20% dead tuples"));
}

fn hot(updates: u64, hot: u64) -> Vec<HotTable> {
    let t = Table {
        n_tup_upd: Some(updates),
        n_tup_hot_upd: Some(hot),
        ..table("t")
    };
    view_of(vec![t], &[]).hot_updates
}

#[test]
fn many_updates_under_half_hot_are_listed() {
    let h = hot(1_000, 499);
    assert_eq!(h.len(), 1);
    assert_eq!(h[0].hot_update_ratio, 0.499);
    assert_eq!(h[0].database.as_deref(), Some("shop"));
    assert!(hot(1_000, 500).is_empty());
    assert!(hot(999, 0).is_empty());
}
