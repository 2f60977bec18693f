//! Unit tests of the statements part: joins to the log, totals, ranks, one read per server.

use super::super::fixtures::{db, snapshot};
use super::*;
use crate::stats::records::StatementsInfo;

fn entry(query: &str, queryid: Option<i64>, calls: u64, exec_ms: f64) -> Statement {
    Statement {
        query: query.into(),
        queryid,
        calls,
        exec_ms,
        user: Some("app".into()),
        database: Some("shop".into()),
        ..Default::default()
    }
}

fn group(query: &str, count: u64) -> QueryReport {
    let key = normalize(query).key;
    QueryReport {
        fingerprint: fingerprint_hex(fingerprint(&key)),
        normalized: key,
        count,
        p95_ms: Some(7.5),
        ..Default::default()
    }
}

fn build(dbs: &[DatabaseStats], queries: &[QueryReport], ids: &[(i64, &str)]) -> StatsView {
    let ids: BTreeMap<i64, String> = ids.iter().map(|(q, f)| (*q, f.to_string())).collect();
    let mut view = StatsView::default();
    statements(&mut view, dbs, queries, &ids);
    view
}

#[test]
fn entries_join_the_log_by_queryid_then_by_normalized_text() {
    let logged = group("select * from orders where id = 1", 4);
    let other = group("select * from items", 2);
    let mut s = snapshot("shop", &["pg_stat_statements"]);
    s.statements = vec![
        // the log carries queryid 7 for the `items` group: joined by queryid
        entry("select * from items where x = 1", Some(7), 1, 1.0),
        // same normalized text as the `orders` group
        entry("select * from orders where id = 42", Some(8), 1, 2.0),
        entry("select 1", None, 1, 3.0),
    ];
    let v = build(
        &[db(s, None, None)],
        &[
            logged.clone(),
            other.clone(),
            group("select * from audit_log", 0),
        ],
        &[(7, &other.fingerprint)],
    );
    let by_text = |t: &str| {
        v.statements
            .iter()
            .find(|s| s.normalized.contains(t))
            .unwrap()
    };
    let items = by_text("items");
    assert_eq!(items.joined_by, Some(JoinedBy::Queryid));
    assert_eq!(items.log_group.as_deref(), Some(other.fingerprint.as_str()));
    assert_eq!(items.log_count, Some(2));
    let orders = by_text("orders");
    assert_eq!(orders.joined_by, Some(JoinedBy::Normalized));
    assert_eq!(orders.log_p95_ms, Some(7.5));
    assert_eq!(by_text("select $1").log_group, None);
    let sum = v.statements_summary.unwrap();
    assert_eq!(
        (
            sum.joined_by_queryid,
            sum.joined_by_normalized,
            sum.not_joined
        ),
        (1, 1, 1)
    );
    // a group with no execution does not count as missing from the statements
    assert_eq!(sum.log_groups_not_in_statements, 0);
}

#[test]
fn a_queryid_of_a_group_not_in_the_log_falls_back_to_the_text() {
    let logged = group("select * from orders where id = 1", 4);
    let mut s = snapshot("shop", &["pg_stat_statements"]);
    s.statements = vec![entry("select * from orders where id = 2", Some(7), 1, 1.0)];
    let v = build(&[db(s, None, None)], &[logged], &[(7, "0000000000000000")]);
    assert_eq!(v.statements[0].joined_by, Some(JoinedBy::Normalized));
}

#[test]
fn nested_statements_rank_but_do_not_add_to_the_total() {
    let mut s = snapshot("shop", &["pg_stat_statements"]);
    let mut nested = entry("select * from inner_t", Some(2), 10, 30.0);
    nested.toplevel = Some(false);
    let mut top = entry("select f()", Some(1), 4, 40.0);
    top.plan_ms = 10.0;
    top.rows = 6;
    top.shared_blks_hit = 3;
    top.shared_blks_read = 1;
    s.statements = vec![nested, top, entry("select 3", Some(3), 0, 0.0)];
    s.statements_info = Some(StatementsInfo {
        dealloc: Some(5),
        ..Default::default()
    });
    let v = build(
        &[db(s, None, None)],
        &[group("select * from audit_log", 3)],
        &[],
    );
    let ranked: Vec<(usize, f64, f64)> = v
        .statements
        .iter()
        .map(|s| (s.rank, s.total_ms, s.share))
        .collect();
    assert_eq!(ranked, [(1, 50.0, 1.0), (2, 30.0, 0.6), (3, 0.0, 0.0)]);
    let top = &v.statements[0];
    assert_eq!((top.mean_ms, top.rows_per_call), (12.5, 1.5));
    assert_eq!(top.shared_hit_ratio, Some(0.75));
    assert_eq!(v.statements[2].mean_ms, 0.0);
    let sum = v.statements_summary.unwrap();
    assert_eq!((sum.entries, sum.calls, sum.total_ms), (3, 4, 50.0));
    assert_eq!(sum.dealloc, Some(5));
    assert_eq!(sum.log_groups_not_in_statements, 1);
}

#[test]
fn each_server_is_read_once_from_its_best_export() {
    let one = |name: &str, snapshots: usize, calls: u64| {
        let mut s = snapshot(name, &["pg_stat_statements"]);
        s.server = Some("db1:5432".into());
        s.statements = vec![entry("select 1", Some(1), calls, 1.0)];
        let mut d = db(s, None, None);
        d.snapshots = snapshots;
        d
    };
    let v = build(&[one("a", 2, 10), one("b", 3, 20)], &[], &[]);
    assert_eq!(v.statements.len(), 1);
    assert_eq!(v.statements[0].calls, 20);
}

#[test]
fn no_export_of_pg_stat_statements_leaves_no_summary() {
    let mut s = snapshot("shop", &["pg_stat_user_tables"]);
    s.statements = vec![entry("select 1", Some(1), 1, 1.0)];
    let v = build(&[db(s, None, None)], &[], &[]);
    assert!(v.statements.is_empty());
    assert!(v.statements_summary.is_none());
}

#[test]
fn joined_by_serializes_to_its_json_name() {
    let json = serde_json::to_string(&[JoinedBy::Queryid, JoinedBy::Normalized]).unwrap();
    assert_eq!(json, r#"["queryid","normalized"]"#);
    assert_eq!(JoinedBy::Normalized.to_string(), "normalized");
    let back: JoinedBy = serde_json::from_str(r#""queryid""#).unwrap();
    assert_eq!(back, JoinedBy::Queryid);
}
