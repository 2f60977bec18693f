//! Unit tests of the sessions part on hand-made pg_stat_activity and pg_locks rows.

use super::super::fixtures::{db, snapshot};
use super::*;
use crate::stats::records::{Meta, Setting};

const AT: i64 = 1_000_000_000;

fn session(pid: u64, state: &str) -> Session {
    Session {
        pid: Some(pid),
        datname: Some("shop".into()),
        user: Some("app".into()),
        backend_type: Some("client backend".into()),
        state: Some(state.into()),
        query: Some("select * from orders where id = 42".into()),
        snapshot_at: Some(Timestamp(AT)),
        ..Default::default()
    }
}

fn export(sessions: Vec<Session>, locks: Vec<Lock>) -> DatabaseStats {
    let mut s = snapshot("shop", &["pg_stat_activity", "pg_locks"]);
    s.taken_at = Some(Timestamp(AT));
    s.sessions = sessions;
    s.locks = locks;
    db(s, None, None)
}

fn now(dbs: &[DatabaseStats], opts: &StatsOptions) -> SessionsNow {
    sessions_now(dbs, opts, &|t: Option<Timestamp>| {
        t.map(|t| t.0.to_string())
    })
    .unwrap()
}

#[test]
fn no_activity_export_no_sessions() {
    let d = db(snapshot("shop", &["pg_stat_user_tables"]), None, None);
    assert!(sessions_now(&[d], &StatsOptions::default(), &|_| None).is_none());
}

#[test]
fn client_sessions_are_counted_by_state_and_database() {
    let mut walwriter = session(9, "active");
    walwriter.backend_type = Some("walwriter".into());
    let mut no_state = session(10, "idle");
    no_state.state = None;
    no_state.backend_type = None;
    let d = export(
        vec![
            session(1, "active"),
            session(2, "idle"),
            session(3, "idle"),
            walwriter,
            no_state,
        ],
        vec![],
    );
    let n = now(&[d], &StatsOptions::default());
    assert_eq!(n.total, 3);
    assert_eq!(n.by_state.get("idle"), Some(&2));
    assert_eq!(n.by_state.get("active"), Some(&1));
    assert_eq!(n.by_database.get("shop"), Some(&3));
    assert_eq!(n.snapshot_at.as_deref(), Some("1000000000"));
    assert!(n.pool.is_none());
}

#[test]
fn a_query_is_long_running_past_a_minute_not_at_it() {
    let mut long = session(1, "active");
    long.query_start = Some(Timestamp(AT - LONG_RUNNING_MS - 1));
    let mut minute = session(2, "active");
    minute.query_start = Some(Timestamp(AT - LONG_RUNNING_MS));
    let n = now(
        &[export(vec![long, minute], vec![])],
        &StatsOptions::default(),
    );
    assert_eq!(n.long_running.len(), 1);
    assert_eq!(n.long_running[0].pid, Some(1));
    assert_eq!(n.long_running[0].duration_ms, Some(LONG_RUNNING_MS + 1));
}

#[test]
fn idle_in_transaction_counts_from_the_transaction_start_longest_first() {
    let mut a = session(1, "idle in transaction");
    a.xact_start = Some(Timestamp(AT - 5_000));
    let mut b = session(2, "idle in transaction (aborted)");
    b.xact_start = Some(Timestamp(AT - 9_000));
    let n = now(&[export(vec![a, b], vec![])], &StatsOptions::default());
    let v: Vec<(Option<u64>, Option<i64>)> = n
        .idle_in_transaction
        .iter()
        .map(|s| (s.pid, s.duration_ms))
        .collect();
    assert_eq!(v, [(Some(2), Some(9_000)), (Some(1), Some(5_000))]);
}

#[test]
fn queries_are_masked_unless_values_are_shown() {
    let mut w = session(1, "active");
    w.wait_event_type = Some("Lock".into());
    w.wait_event = Some("transactionid".into());
    w.state_change = Some(Timestamp(AT - 100));
    let n = now(&[export(vec![w.clone()], vec![])], &StatsOptions::default());
    let s = &n.waiting[0];
    assert_eq!(s.wait.as_deref(), Some("Lock: transactionid"));
    assert_eq!(s.duration_ms, Some(100));
    assert_eq!(
        s.query.as_deref(),
        Some("select * from orders where id = $1")
    );
    let shown = StatsOptions {
        values_shown: true,
        ..Default::default()
    };
    let n = now(&[export(vec![w], vec![])], &shown);
    assert_eq!(
        n.waiting[0].query.as_deref(),
        Some("select * from orders where id = 42")
    );
}

#[test]
fn blocking_pids_name_the_blocking_query_and_state() {
    let mut blocked = session(1, "active");
    blocked.blocked_by = vec![2, 2];
    blocked.blocked_by_known = true;
    let holder = session(2, "idle in transaction");
    // a conflicting lock pair is ignored when pg_blocking_pids was exported
    let locks = vec![
        lock(3, "AccessExclusiveLock", false),
        lock(4, "AccessShareLock", true),
    ];
    let n = now(
        &[export(vec![blocked, holder], locks)],
        &StatsOptions::default(),
    );
    assert_eq!(n.blocked.len(), 1);
    let p = &n.blocked[0];
    assert_eq!((p.blocked_pid, p.blocking_pid), (1, 2));
    assert_eq!(p.blocking_state.as_deref(), Some("idle in transaction"));
    assert_eq!(
        p.blocking_query.as_deref(),
        Some("select * from orders where id = $1")
    );
    assert_eq!(n.locks_waiting, 1);
}

fn lock(pid: u64, mode: &str, granted: bool) -> Lock {
    Lock {
        pid: Some(pid),
        locktype: "relation".into(),
        mode: mode.into(),
        granted,
        object: Some("16385".into()),
        ..Default::default()
    }
}

#[test]
fn without_blocking_pids_conflicting_locks_make_the_pairs() {
    let mut other = lock(5, "AccessShareLock", true);
    other.object = Some("99".into());
    let locks = vec![
        lock(1, "AccessExclusiveLock", false),
        lock(2, "AccessShareLock", true),
        lock(3, "RowExclusiveLock", true),
        other,
        lock(4, "RowShareLock", false),
    ];
    let n = now(&[export(vec![], locks)], &StatsOptions::default());
    let pairs: Vec<(u64, u64)> = n
        .blocked
        .iter()
        .map(|p| (p.blocked_pid, p.blocking_pid))
        .collect();
    // RowShareLock conflicts with neither AccessShareLock nor RowExclusiveLock
    assert_eq!(pairs, [(1, 2), (1, 3)]);
    assert_eq!(n.locks_waiting, 2);
}

#[test]
fn the_lock_conflict_table_is_postgresqls() {
    assert!(modes_conflict("AccessShareLock", "AccessExclusiveLock"));
    assert!(!modes_conflict("AccessShareLock", "ExclusiveLock"));
    assert!(modes_conflict("ShareLock", "RowExclusiveLock"));
    assert!(!modes_conflict("ShareLock", "ShareLock"));
    assert!(modes_conflict(
        "ShareUpdateExclusiveLock",
        "ShareUpdateExclusiveLock"
    ));
    // an unknown mode is taken to conflict
    assert!(modes_conflict("SIReadLock", "AccessShareLock"));
}

#[test]
fn the_latest_export_of_each_server_is_read() {
    let mut old = export(vec![session(1, "active")], vec![]);
    old.view.taken_at = Some(Timestamp(AT - 1));
    old.view.meta = Some(Meta {
        max_connections: Some(50),
        ..Default::default()
    });
    let mut new = export(vec![session(2, "idle"), session(3, "idle")], vec![]);
    new.view.settings.insert(
        "max_connections".into(),
        Setting {
            name: "max_connections".into(),
            setting: "100".into(),
            unit: None,
        },
    );
    let n = now(&[old, new], &StatsOptions::default());
    assert_eq!(n.total, 2);
    assert_eq!(n.max_connections, Some(100));
}

#[test]
fn the_pool_verdict_turns_at_three_times_the_cores() {
    let advice = |active: usize, idle: usize| {
        let mut s: Vec<Session> = (0..active).map(|i| session(i as u64, "active")).collect();
        s.extend((0..idle).map(|i| session((100 + i) as u64, "idle")));
        let opts = StatsOptions {
            cpu_cores: Some(2),
            ..Default::default()
        };
        now(&[export(s, vec![])], &opts).pool.unwrap()
    };
    let ok = advice(6, 18);
    assert_eq!((ok.recommended_min, ok.recommended_max), (4, 6));
    assert_eq!(
        (ok.connections, ok.active, ok.verdict),
        (24, 6, PoolVerdict::Ok)
    );
    assert_eq!(advice(7, 0).verdict, PoolVerdict::Saturated);
    assert_eq!(advice(6, 19).verdict, PoolVerdict::Oversized);
}
