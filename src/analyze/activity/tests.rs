//! Unit tests of each activity step on hand-made aggregated activity.

use super::*;
use crate::aggregate::activity::{
    DeadlockItem, LockItem, PlanSample, TableVacuum, TempUse, TimelineKind,
};

const MINUTE: i64 = 60_000;

fn utc() -> DisplayZone {
    DisplayZone::choose(Some("UTC"), &Default::default())
}

fn lock_item(waits: u64, wait_us: u64, statement: Option<&str>) -> LockItem {
    let mut i = LockItem {
        waits,
        acquired: waits,
        acquired_wait_us: wait_us,
        max_wait_us: wait_us,
        first_ts: Some(Timestamp(0)),
        ..Default::default()
    };
    if let Some(s) = statement {
        i.statement.offer(None, s.to_string());
    }
    i
}

#[test]
fn lock_waits_rank_by_total_wait_then_waits_and_sum_by_query_and_object() {
    let mut a = Activity::default();
    let q = "update orders set x = $1";
    let items = [
        (
            ("", "relation 1", "RowExclusiveLock"),
            lock_item(1, 5_000, None),
        ),
        (
            (q, "relation 1", "RowExclusiveLock"),
            lock_item(2, 5_000, Some("UPDATE orders SET x = 1")),
        ),
        ((q, "relation 2", "ShareLock"), lock_item(1, 9_000, None)),
    ];
    for ((k, o, m), i) in items {
        a.locks.items.insert((k.into(), o.into(), m.into()), i);
    }
    a.locks.waits = 4;
    let v = locks(&a, &utc());
    let ranked: Vec<(&str, u64)> = v
        .items
        .iter()
        .map(|i| (i.object.as_str(), i.waits))
        .collect();
    assert_eq!(
        ranked,
        [("relation 2", 1), ("relation 1", 2), ("relation 1", 1)]
    );
    assert_eq!(v.total_wait_ms, 19.0);
    assert_eq!(v.waits, 4);
    assert_eq!(
        v.items[1].statement.as_ref().unwrap().text,
        "UPDATE orders SET x = 1"
    );
    // without a logged text the normalized statement stands in
    assert_eq!(v.items[0].statement.as_ref().unwrap().text, q);
    assert!(v.items[2].statement.is_none());
    assert_eq!(
        v.items[0].first_ts.as_deref(),
        Some("1970-01-01 00:00:00.000")
    );
    let by_query: Vec<(&str, u64, f64)> = v
        .by_query
        .iter()
        .map(|t| (t.label.as_str(), t.waits, t.total_wait_ms))
        .collect();
    assert_eq!(
        by_query,
        [(q, 3, 14.0), ("(statement not in the log)", 1, 5.0)]
    );
    assert_eq!(v.by_query[0].key, fingerprint_hex(fingerprint(q)));
    assert_eq!(v.by_query[0].max_wait_ms, 9.0);
    let by_object: Vec<(&str, f64)> = v
        .by_object
        .iter()
        .map(|t| (t.key.as_str(), t.total_wait_ms))
        .collect();
    assert_eq!(by_object, [("relation 1", 10.0), ("relation 2", 9.0)]);
}

#[test]
fn deadlocks_keep_the_log_order_and_name_the_victim() {
    let mut a = Activity::default();
    a.deadlocks.count = 3;
    a.deadlocks.items = vec![
        DeadlockItem {
            ts: Some(Timestamp(MINUTE)),
            cycle: "1 -> 2 -> 1".into(),
            victim: Some(StatementRef {
                key: "delete from t".into(),
                display: "DELETE FROM t".into(),
            }),
        },
        DeadlockItem::default(),
    ];
    let v = deadlocks(&a, &utc());
    assert_eq!(v.count, 3);
    assert_eq!(v.items.len(), 2);
    let victim = v.items[0].victim.as_ref().unwrap();
    assert_eq!(
        (victim.normalized.as_str(), victim.text.as_str()),
        ("delete from t", "DELETE FROM t")
    );
    assert_eq!(
        victim.fingerprint,
        fingerprint_hex(fingerprint("delete from t"))
    );
    assert_eq!(v.items[0].ts.as_deref(), Some("1970-01-01 00:01:00.000"));
    assert!(v.items[1].victim.is_none() && v.items[1].ts.is_none());
}

#[test]
fn temp_files_rank_queries_by_bytes_then_text() {
    let mut a = Activity::default();
    let usage = |bytes: &[u64]| {
        let mut u = TempUse::default();
        for b in bytes {
            u.record(*b);
        }
        u
    };
    a.temp_files.all = usage(&[10, 30, 30, 5]);
    a.temp_files.unattributed = usage(&[5]);
    a.temp_files
        .by_query
        .insert("select b".into(), usage(&[30]));
    a.temp_files
        .by_query
        .insert("select a".into(), usage(&[30]));
    a.temp_files
        .by_query
        .insert("select c".into(), usage(&[4, 6]));
    let v = temp_files(&a);
    assert_eq!((v.count, v.total_bytes, v.max_bytes), (4, 75, 30));
    assert_eq!((v.unattributed_count, v.unattributed_bytes), (1, 5));
    let order: Vec<(&str, u64, u64)> = v
        .by_query
        .iter()
        .map(|q| (q.statement.normalized.as_str(), q.total_bytes, q.count))
        .collect();
    assert_eq!(
        order,
        [
            ("select a", 30, 1),
            ("select b", 30, 1),
            ("select c", 10, 2)
        ]
    );
    assert_eq!(v.by_query[2].max_bytes, 6);
}

#[test]
fn errors_rank_by_count_then_message_and_failures_by_count() {
    let mut a = Activity::default();
    for (msg, count) in [("b failed", 2), ("a failed", 2), ("c failed", 5)] {
        a.errors.groups.insert(
            ("ERROR".into(), Some("XX000".into()), msg.into()),
            crate::aggregate::activity::ErrorGroup {
                count,
                ..Default::default()
            },
        );
    }
    a.errors
        .auth_failures
        .insert(("app".into(), "10.0.0.1".into()), 1);
    a.errors
        .auth_failures
        .insert(("bob".into(), "10.0.0.2".into()), 4);
    let v = errors(&a, &utc());
    let order: Vec<(&str, u64)> = v.iter().map(|e| (e.message.as_str(), e.count)).collect();
    assert_eq!(order, [("c failed", 5), ("a failed", 2), ("b failed", 2)]);
    assert_eq!(v[0].sqlstate.as_deref(), Some("XX000"));
    let failures = auth_failures(&a);
    let auth: Vec<(&str, u64)> = failures
        .iter()
        .map(|f| (f.user.as_str(), f.count))
        .collect();
    assert_eq!(auth, [("bob", 4), ("app", 1)]);
    assert_eq!(sessions(&a, &utc()).failures, 5);
}

#[test]
fn autovacuum_ranks_tables_by_runs_then_name() {
    let mut a = Activity::default();
    a.autovacuum.vacuums = 4;
    let runs = |vacuums, analyzes| TableVacuum {
        vacuums,
        analyzes,
        ..Default::default()
    };
    a.autovacuum.by_table.insert("public.b".into(), runs(1, 1));
    a.autovacuum.by_table.insert("public.c".into(), runs(0, 3));
    a.autovacuum.by_table.insert("public.a".into(), runs(2, 0));
    let v = autovacuum(&a);
    assert_eq!(v.vacuums, 4);
    let order: Vec<&str> = v.by_table.iter().map(|t| t.table.as_str()).collect();
    assert_eq!(order, ["public.c", "public.a", "public.b"]);
}

#[test]
fn sessions_have_a_peak_and_mean_only_with_disconnections() {
    let mut a = Activity::default();
    a.sessions.received = 3;
    let v = sessions(&a, &utc());
    assert_eq!(v.connections_received, 3);
    assert_eq!((v.peak_concurrent, v.mean_session_ms), (None, None));
    a.sessions.ended(1_000, 5_000);
    a.sessions.ended(2_000, 3_000);
    a.sessions.disconnections = 2;
    a.sessions.session_ms_total = 5_000;
    let v = sessions(&a, &utc());
    assert_eq!(v.peak_concurrent, Some(2));
    assert_eq!(v.peak_at.as_deref(), Some("1970-01-01 00:00:02.000"));
    assert_eq!(v.mean_session_ms, Some(2_500.0));
}

#[test]
fn plans_rank_by_duration_then_text() {
    let mut a = Activity::default();
    let plan = |us| PlanSample {
        us,
        count: 1,
        flags: vec!["seq scan".into()],
        ..Default::default()
    };
    a.plans.insert("select b".into(), plan(2_000));
    a.plans.insert("select a".into(), plan(2_000));
    a.plans.insert("select c".into(), plan(9_500));
    let v = plans(&a, &utc());
    let order: Vec<(&str, f64)> = v
        .iter()
        .map(|p| (p.normalized.as_str(), p.duration_ms))
        .collect();
    assert_eq!(
        order,
        [("select c", 9.5), ("select a", 2.0), ("select b", 2.0)]
    );
    assert_eq!(v[0].fingerprint, fingerprint_hex(fingerprint("select c")));
    assert_eq!(v[0].flags, ["seq scan"]);
}

#[test]
fn checkpoints_are_copied_as_counted() {
    let mut a = Activity::default();
    a.checkpoints.count = 7;
    a.checkpoints.too_frequent = 2;
    a.checkpoints.min_seconds_apart = Some(12);
    a.checkpoints.by_reason.insert("wal".into(), 5);
    let v = checkpoints(&a);
    assert_eq!(
        (v.count, v.too_frequent, v.min_seconds_apart),
        (7, 2, Some(12))
    );
    assert_eq!(v.by_reason.get("wal"), Some(&5));
}

#[test]
fn build_assembles_every_kind() {
    let mut a = Activity::default();
    a.errors.cancellations.insert("statement timeout".into(), 2);
    a.checkpoints.count = 1;
    a.sessions.received = 4;
    let v = build(&a, &utc());
    assert_eq!(v.cancellations.get("statement timeout"), Some(&2));
    assert_eq!(v.checkpoints.count, 1);
    assert_eq!(v.sessions.connections_received, 4);
    assert_eq!(v.timeline.kinds.len(), TimelineKind::ALL.len());
}

#[test]
fn autovacuum_of_template_databases_is_folded_into_one_row_each() {
    let mut a = Activity::default();
    let mut run = |table: &str, vacuum: bool, ms: u64| {
        let t = a.autovacuum.by_table.entry(table.into()).or_default();
        if vacuum {
            t.vacuums += 1;
        } else {
            t.analyzes += 1;
        }
        t.elapsed_ms += ms;
    };
    run("shop.public.orders", true, 300);
    run("shop.pg_catalog.pg_attribute", false, 20);
    run("template1.pg_catalog.pg_class", true, 0);
    run("template1.pg_catalog.pg_statistic", true, 20);
    run("template1.pg_catalog.pg_type", false, 10);
    run("template0.pg_catalog.pg_class", true, 5);
    let v = build(&a, &utc()).autovacuum;
    let rows: Vec<(&str, u64, u64, u64)> = v
        .by_table
        .iter()
        .map(|t| (t.table.as_str(), t.vacuums, t.analyzes, t.elapsed_ms))
        .collect();
    assert_eq!(
        rows,
        [
            ("template1.* (3 tables, template database)", 2, 1, 30),
            ("shop.pg_catalog.pg_attribute", 0, 1, 20),
            ("shop.public.orders", 1, 0, 300),
            ("template0.* (1 table, template database)", 1, 0, 5),
        ]
    );
}
