use super::*;
use crate::aggregate::bursts::BurstOptions;
use crate::normalize::normalize;
use crate::parse::activity::{LockState, LockWait};
use crate::parse::prefix::Level;

fn aggregator() -> FileAggregator {
    FileAggregator::new(
        "t.log",
        AggregateOptions {
            show_values: false,
            slowest: 5,
            bursts: BurstOptions::default(),
        },
    )
}

fn at(ms: i64) -> Option<Timestamp> {
    Some(Timestamp(ms))
}

fn lock_wait(state: LockState, waited_us: u64, ts: Option<Timestamp>) -> Event {
    Event::LockWait {
        wait: LockWait {
            pid: 7,
            state,
            mode: "ShareLock".into(),
            object: "transaction 1".into(),
            waited_us,
        },
        object_kind: "transaction".into(),
        holders: vec![8],
        statement: Some("UPDATE t SET v = 1 WHERE id = 2".into()),
        ts,
        lines: 1,
    }
}

fn error(level: Level, pid: u32, ts: Option<Timestamp>) -> Event {
    Event::Error {
        level,
        sqlstate: Some("55P03".into()),
        message: "canceling statement due to lock timeout".into(),
        statement: None,
        cancel: Some("lock_timeout"),
        auth_failure: None,
        pid: Some(pid),
        ts,
        lines: 1,
    }
}

#[test]
fn the_query_index_tells_keys_apart_by_text_not_by_hash() {
    let mut ix = QueryIndex::default();
    let a = normalize("SELECT * FROM a WHERE id = 1");
    let b = normalize("SELECT * FROM b WHERE id = 2");
    // a hash collision: the texts still decide
    let b = Normalized {
        key_hash: a.key_hash,
        ..b
    };
    for _ in 0..3 {
        ix.get(&a).count += 1;
    }
    ix.get(&b).count += 10;
    // enough keys to make the table grow (and rehash from the kept hashes)
    for i in 0..100 {
        ix.get(&normalize(&format!("SELECT c{i} FROM t"))).count += 1;
    }
    assert_eq!(ix.get(&a).count, 3);
    assert_eq!(ix.get(&b).count, 10);
    let map = ix.into_map();
    assert_eq!(map.len(), 102);
    assert_eq!(map[&a.key].count, 3);
    assert_eq!(map[&b.key].count, 10);
    assert_eq!(map["select c42 from t"].count, 1);
}

#[test]
fn a_statement_takes_the_normalization_computed_ahead_as_is() {
    let mut a = aggregator();
    // what a worker computed ahead is trusted for exactly this text: a
    // made-up key shows it is not computed again
    let ahead = Normalized {
        key: "computed ahead".into(),
        ..normalize("SELECT 1")
    };
    let q = |sql: &str| {
        Event::Query(Box::new(QueryEvent {
            entry: Box::default(),
            duration_us: Some(1000),
            step: Step::Statement,
            sql: sql.into(),
            paired: false,
        }))
    };
    a.add(q("SELECT 1"), Some(Arc::new(ahead)));
    a.add(q("SELECT 2"), None);
    let agg = a.finish(&[]);
    assert_eq!(agg.queries["computed ahead"].count, 1);
    assert_eq!(agg.queries["select $1"].count, 1);
    assert_eq!(agg.summary.executions, 2);
}

#[test]
fn parse_and_bind_timings_are_counted_apart_from_executions() {
    let mut a = aggregator();
    let step = |step, us| Event::StepTiming {
        step,
        us,
        sql: "SELECT $1".into(),
        lines: 2,
    };
    a.add(step(Step::Parse, 100), None);
    a.add(step(Step::Bind, 30), None);
    a.add(step(Step::Bind, 20), None);
    let agg = a.finish(&[]);
    let s = &agg.summary;
    assert_eq!(
        (s.parse_count, s.parse_us, s.bind_count, s.bind_us),
        (1, 100, 2, 50)
    );
    assert_eq!((s.entries, s.executions), (3, 0));
    let q = &agg.queries["select $1"];
    assert_eq!((q.parse_count, q.bind_count, q.count), (1, 2, 0));
    assert_eq!(agg.coverage.files["t.log"].lines_parsed, 6);
}

#[test]
fn an_error_ends_the_lock_wait_of_its_process_and_counts_the_wait() {
    let mut a = aggregator();
    // waiting since 1 s before the line (at 10 s), canceled at 15 s
    a.add(lock_wait(LockState::Waiting, 1_000_000, at(10_000)), None);
    a.add(error(Level::Error, 7, at(15_000)), None);
    // the process's next error has no wait to end
    a.add(error(Level::Error, 7, at(16_000)), None);
    let agg = a.finish(&[]);
    let locks = &agg.activity.locks;
    assert_eq!(locks.waits, 1);
    let item = locks.items.values().next().unwrap();
    assert_eq!(item.ended_by_error, 1);
    assert_eq!(item.acquired_wait_us, 6_000_000);
    assert_eq!(item.max_wait_us, 6_000_000);
    let e = &agg.activity.errors;
    assert_eq!(e.groups.values().next().unwrap().count, 2);
    assert_eq!(e.cancellations["lock_timeout"], 2);
    assert_eq!(kind_total(&agg, TimelineKind::LockWaits), 1);
    assert_eq!(kind_total(&agg, TimelineKind::Errors), 2);
}

#[test]
fn an_acquired_lock_counts_under_the_item_its_wait_began_under() {
    let mut a = aggregator();
    a.add(lock_wait(LockState::Waiting, 1_000_000, at(10_000)), None);
    // the `acquired` line names no statement: still the same item
    let mut acquired = lock_wait(LockState::Acquired, 3_000_000, at(12_000));
    if let Event::LockWait { statement, .. } = &mut acquired {
        *statement = None;
    }
    a.add(acquired, None);
    let agg = a.finish(&[]);
    let items = &agg.activity.locks.items;
    assert_eq!(items.len(), 1);
    let item = items.values().next().unwrap();
    assert_eq!((item.waits, item.acquired), (1, 1));
    assert_eq!(item.acquired_wait_us, 3_000_000);
    assert_eq!(
        item.statement.get().map(String::as_str),
        Some("UPDATE t SET v = $1 WHERE id = $2")
    );
}

#[test]
fn a_fatal_error_ends_its_session_and_a_failed_login_drops_the_port() {
    let mut a = aggregator();
    a.add(
        Event::Connection {
            user: "bob".into(),
            db: "app".into(),
            app: None,
            client: Some("10.0.0.1(5432)".into()),
            pid: Some(7),
            ts: at(60_000),
            lines: 1,
        },
        None,
    );
    a.add(error(Level::Fatal, 7, at(90_000)), None);
    let mut failed_login = error(Level::Fatal, 8, at(91_000));
    if let Event::Error { auth_failure, .. } = &mut failed_login {
        *auth_failure = Some((Some("eve".into()), Some("10.0.0.9(40000)".into())));
    }
    a.add(failed_login, None);
    let agg = a.finish(&[]);
    let s = &agg.activity.sessions;
    assert_eq!(s.by_client["10.0.0.1"], 1);
    // ended by the FATAL: not left open at the end of the file
    assert!(s.open_starts.is_empty());
    assert_eq!(s.per_ms[&60_000], (1, 0));
    assert_eq!(s.per_ms[&90_000], (0, 1));
    let failures = &agg.activity.errors.auth_failures;
    assert_eq!(failures[&("eve".to_string(), "10.0.0.9".to_string())], 1);
    assert_eq!(kind_total(&agg, TimelineKind::Connections), 1);
}

/// Events of `kind` in all of the timeline's intervals.
fn kind_total(agg: &crate::aggregate::Aggregate, kind: TimelineKind) -> u64 {
    agg.activity
        .timeline
        .intervals
        .values()
        .map(|i| i.events[kind])
        .sum()
}
