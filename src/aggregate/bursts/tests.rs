use super::*;
use crate::parse::timestamp::Timestamp;

fn entry(pid: u32, ms: i64, line: u64) -> LogEntry {
    LogEntry {
        ts: Some(Timestamp(ms)),
        pid: Some(pid),
        session_id: None,
        user: Some("app".into()),
        db: Some("shop".into()),
        app: None,
        client: None,
        level: None,
        sqlstate: None,
        query_id: None,
        session_line: None,
        message: String::new(),
        detail: None,
        hint: None,
        context: None,
        statement: None,
        query: None,
        line,
        lines: 1,
    }
}

fn feed(t: &mut SessionTracker, out: &mut Bursts, pid: u32, ms: i64, key: &str, v: u64) {
    t.observe(
        out,
        "f",
        &entry(pid, ms, ms as u64),
        QueryKey::new(key),
        v,
        1000,
    );
}

/// One execution of `key` by `e`'s session, 1 ms long.
fn run(t: &mut SessionTracker, out: &mut Bursts, e: &LogEntry, key: &str) {
    t.observe(out, "f", e, QueryKey::new(key), 0, 1000);
}

#[test]
fn a_parent_then_many_children_is_a_burst() {
    let mut t = SessionTracker::new(BurstOptions::default());
    let mut out = Bursts::default();
    for page in 0..3 {
        // pages follow each other closely: the parent ending a burst splits them
        let base = page * 100;
        feed(
            &mut t,
            &mut out,
            7,
            base,
            "select * from orders where customer_id = $1",
            0,
        );
        for i in 0..12 {
            feed(
                &mut t,
                &mut out,
                7,
                base + 5 + i * 3,
                "select * from items where order_id = $1",
                i as u64,
            );
        }
        // another session interleaves and does not break the burst
        feed(&mut t, &mut out, 8, base + 7, "select 1", 0);
    }
    t.finish(&mut out, "f");
    let b = &out.by_query["select * from items where order_id = $1"];
    assert_eq!((b.bursts, b.executions, b.max_per_burst), (3, 36, 12));
    assert_eq!(b.identical_bursts, 0);
    assert_eq!(b.parents["select * from orders where customer_id = $1"], 3);
    assert_eq!(b.example.as_ref().unwrap().executions, 12);
    assert_eq!(out.tracked, 3 * 14);
}

#[test]
fn a_parent_recurring_after_leaving_the_recent_statements_is_still_recognized() {
    let mut t = SessionTracker::new(BurstOptions::default());
    let mut out = Bursts::default();
    let parent = "select * from orders where customer_id = $1";
    let child = "select * from items where order_id = $1";
    feed(&mut t, &mut out, 7, 0, parent, 0);
    // slow enough that the parent's own run is over when it comes back,
    // fast enough to be a burst
    for i in 1..=12 {
        feed(&mut t, &mut out, 7, i * 100, child, i as u64);
    }
    // four other statements push the parent out of the session's recent
    // ones: only the child's run still remembers it
    for (i, other) in ["select 1", "select 2", "select 3", "select 4"]
        .into_iter()
        .enumerate()
    {
        feed(&mut t, &mut out, 7, 1201 + i as i64, other, 0);
    }
    feed(&mut t, &mut out, 7, 1205, parent, 1);
    for i in 0..12 {
        feed(&mut t, &mut out, 7, 1210 + i * 20, child, 100 + i as u64);
    }
    t.finish(&mut out, "f");
    let b = &out.by_query[child];
    assert_eq!((b.bursts, b.executions, b.max_per_burst), (2, 24, 12));
    assert_eq!(b.parents[parent], 2);
}

#[test]
fn sessions_without_a_pid_are_told_apart_by_their_session_id() {
    let mut t = SessionTracker::new(BurstOptions::default());
    let mut out = Bursts::default();
    let child = "select * from items where order_id = $1";
    for i in 0..12 {
        // two sessions run the same query, interleaved: two bursts of 12
        for sid in ["6500a1b2.1f", "6500a1b2.20"] {
            let mut e = entry(0, i * 3, i as u64);
            e.pid = None;
            e.session_id = Some(sid.into());
            t.observe(&mut out, "f", &e, QueryKey::new(child), i as u64, 1000);
        }
    }
    t.finish(&mut out, "f");
    assert_eq!(out.tracked, 24);
    let b = &out.by_query[child];
    assert_eq!((b.bursts, b.executions, b.max_per_burst), (2, 24, 12));
}

#[test]
fn sibling_per_row_queries_share_the_parent() {
    let mut t = SessionTracker::new(BurstOptions::default());
    let mut out = Bursts::default();
    for page in 0..2 {
        let base = page * 200;
        feed(
            &mut t,
            &mut out,
            9,
            base,
            "select * from customers where id = $1",
            0,
        );
        for i in 0..15 {
            feed(
                &mut t,
                &mut out,
                9,
                base + 1 + i * 2,
                "select * from orders where customer_id = $1",
                i as u64,
            );
            feed(
                &mut t,
                &mut out,
                9,
                base + 2 + i * 2,
                "select * from shipments where customer_id = $1",
                i as u64,
            );
        }
    }
    t.finish(&mut out, "f");
    for child in [
        "select * from orders where customer_id = $1",
        "select * from shipments where customer_id = $1",
    ] {
        let b = &out.by_query[child];
        assert_eq!((b.bursts, b.executions), (2, 30), "{child}");
        assert_eq!(
            b.parents["select * from customers where id = $1"], 2,
            "{child}"
        );
    }
}

#[test]
fn a_repeating_cycle_of_statements_is_not_a_burst() {
    let mut t = SessionTracker::new(BurstOptions::default());
    let mut out = Bursts::default();
    // pgbench-like: begin, select, update, end, over and over
    let cycle = [
        "begin",
        "select a from t where id = $1",
        "update t set a = $1 where id = $2",
        "end",
    ];
    for i in 0..60 {
        feed(
            &mut t,
            &mut out,
            4,
            i * 2,
            cycle[(i % 4) as usize],
            i as u64,
        );
    }
    t.finish(&mut out, "f");
    assert!(out.by_query.is_empty(), "{:?}", out.by_query.keys());
}

#[test]
fn slow_repetition_and_small_runs_are_not_bursts() {
    let mut t = SessionTracker::new(BurstOptions::default());
    let mut out = Bursts::default();
    // polling: every 0.5 s for a minute
    for i in 0..120 {
        feed(
            &mut t,
            &mut out,
            1,
            i * 500,
            "select * from jobs where id = $1",
            i as u64,
        );
    }
    // 9 fast ones: under the count
    for i in 0..9 {
        feed(
            &mut t,
            &mut out,
            2,
            i,
            "select * from x where id = $1",
            i as u64,
        );
    }
    t.finish(&mut out, "f");
    assert!(out.by_query.is_empty(), "{:?}", out.by_query.keys());
}

#[test]
fn identical_repeats_and_sessions_ending_close_bursts() {
    let mut t = SessionTracker::new(BurstOptions::default());
    let mut out = Bursts::default();
    for i in 0..10 {
        feed(&mut t, &mut out, 3, i, "select now()", 5);
        feed(&mut t, &mut out, 3, i, "begin", 5);
    }
    t.end_session(&mut out, "f", 3);
    assert_eq!(out.by_query["select now()"].identical_bursts, 1);
    let mut noid = entry(0, 0, 1);
    noid.pid = None;
    t.observe(&mut out, "f", &noid, QueryKey::new("select 1"), 0, 10);
    assert_eq!(out.untracked, 1);
}

#[test]
fn pauses_inside_transactions_are_measured() {
    let mut t = SessionTracker::new(BurstOptions::default());
    let mut out = Bursts::default();
    // begin at 0 (1 ms), update ends at 1010 after 1 ms: a 1008 ms pause; commit 1 ms later
    run(&mut t, &mut out, &entry(5, 1, 1), "begin");
    run(&mut t, &mut out, &entry(5, 1010, 2), "update t set a = $1");
    run(&mut t, &mut out, &entry(5, 1012, 3), "commit");
    // outside a transaction: not counted
    run(&mut t, &mut out, &entry(5, 5000, 4), "select 1");
    let x = &out.tx;
    assert_eq!((x.transactions, x.statements, x.long_gaps), (1, 2, 1));
    assert_eq!(x.max_gap_us, 1_008_000);
    assert_eq!(x.gap_us, 1_008_000 + 1000);
    assert_eq!(x.max_gap_at, Some(("f".into(), 2)));
}

#[test]
fn no_pause_is_measured_across_missing_session_lines() {
    let mut t = SessionTracker::new(BurstOptions::default());
    let mut out = Bursts::default();
    let at = |ms: i64, l: u64| {
        let mut e = entry(6, ms, l);
        e.session_line = Some(l);
        e
    };
    run(&mut t, &mut out, &at(1, 10), "begin");
    // lines 11..39 are not in this (trimmed) log: the 5 s are not a pause
    run(&mut t, &mut out, &at(5000, 40), "update t set a = $1");
    // parse, bind and DETAIL lines in between are fine
    run(&mut t, &mut out, &at(5300, 45), "commit");
    let x = &out.tx;
    assert_eq!((x.statements, x.long_gaps, x.skipped), (1, 1, 1));
    assert_eq!(x.max_gap_us, 299_000);
}

/// A transaction on a whole-second clock: BEGIN at `begin` (ms, a whole
/// second), an UPDATE `us` long whose timestamp is `update`, COMMIT 0 s later.
fn seconds_tx(begin: i64, update: i64, us: u64) -> TxGaps {
    let mut t = SessionTracker::new(BurstOptions::default());
    t.set_clock(Clock::Seconds);
    let mut out = Bursts::default();
    let mut go = |ms: i64, key: &str, us: u64| {
        t.observe(
            &mut out,
            "f",
            &entry(9, ms, ms as u64),
            QueryKey::new(key),
            0,
            us,
        )
    };
    go(begin, "begin", 50);
    go(update, "update t set a = $1", us);
    go(update, "commit", 50);
    out.tx
}

#[test]
fn a_whole_second_clock_times_only_gaps_it_can_tell() {
    // one second apart: anything from 1 ms to 1,999 ms; the commit, 0 s
    let x = seconds_tx(10_000, 11_000, 50);
    assert_eq!((x.statements, x.long_gaps, x.unmeasurable), (0, 0, 2));
    assert_eq!((x.gap_us, x.max_gap_us), (0, 0));
    // two seconds apart: a pause of at least a second whatever the fractions
    let x = seconds_tx(10_000, 12_000, 50);
    assert_eq!((x.statements, x.long_gaps, x.unmeasurable), (1, 1, 1));
    assert_eq!((x.approximate_gaps, x.approximate_gap_us), (1, 2_000_000));
    assert!(x.max_gap_approximate);
    // two seconds apart, but the statement itself took 1.5 s of them: the
    // pause may be nothing
    let x = seconds_tx(10_000, 12_000, 1_500_000);
    assert_eq!((x.long_gaps, x.unmeasurable), (0, 2));
    // up to 900 ms of it, the gap left is still over 1.1 s
    let x = seconds_tx(10_000, 12_000, 900_000);
    assert_eq!((x.long_gaps, x.approximate_gap_us), (1, 1_100_000));
    // the same statements on a millisecond clock: exact
    let mut t = SessionTracker::new(BurstOptions::default());
    t.set_clock(Clock::Millis);
    let mut out = Bursts::default();
    run(&mut t, &mut out, &entry(5, 10_000, 1), "begin");
    run(
        &mut t,
        &mut out,
        &entry(5, 10_301, 2),
        "update t set a = $1",
    );
    let x = &out.tx;
    assert_eq!((x.long_gaps, x.approximate_gaps, x.unmeasurable), (1, 0, 0));
    assert!(!x.max_gap_approximate);
}

#[test]
fn merge_is_order_independent() {
    let mk = |n: u64, ts: i64| {
        let mut b = Bursts::default();
        b.by_query.insert(
            "q".into(),
            BurstStats {
                bursts: 1,
                executions: n,
                example: Some(BurstExample {
                    file: "f".into(),
                    ts,
                    executions: n,
                    ..Default::default()
                }),
                ..Default::default()
            },
        );
        b
    };
    let (mut x, mut y) = (mk(12, 5), mk(12, 3));
    x.merge(mk(12, 3));
    y.merge(mk(12, 5));
    assert_eq!(x, y);
    assert_eq!(x.by_query["q"].example.as_ref().unwrap().ts, 3);
}
