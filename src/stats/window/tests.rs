use super::*;

fn at(ms: i64) -> Option<Timestamp> {
    Some(Timestamp(ms))
}

fn snapshot(taken_at: i64) -> Snapshot {
    Snapshot {
        folder: format!("f{taken_at}"),
        database: Some("app".into()),
        taken_at: at(taken_at),
        ..Default::default()
    }
}

fn statement(query: &str, calls: u64, exec_ms: f64) -> Statement {
    Statement {
        query: query.into(),
        calls,
        exec_ms,
        rows: calls,
        ..Default::default()
    }
}

#[test]
fn statements_give_deltas_drop_idle_entries_and_keep_reset_ones() {
    let mut first = snapshot(1_000);
    first.statements = vec![
        statement("a", 10, 100.0),
        statement("idle", 5, 50.0),
        statement("evicted", 50, 500.0),
    ];
    let mut last = snapshot(2_000);
    last.statements = vec![
        statement("a", 15, 160.0),
        statement("idle", 5, 50.0),
        statement("evicted", 3, 30.0),
        statement("new", 2, 20.0),
    ];
    let d = window(first, last, 2);
    let got: Vec<(&str, u64, f64, u64)> = d
        .view
        .statements
        .iter()
        .map(|s| (s.query.as_str(), s.calls, s.exec_ms, s.rows))
        .collect();
    assert_eq!(
        got,
        [
            ("a", 5, 60.0, 5),
            ("evicted", 3, 30.0, 3),
            ("new", 2, 20.0, 2)
        ]
    );
    assert_eq!(d.resets.len(), 1);
    assert!(
        d.resets[0].contains("1 entries were reset"),
        "{:?}",
        d.resets
    );
    assert_eq!((d.start, d.end, d.snapshots), (at(1_000), at(2_000), 2));
    assert_eq!(d.source, WindowSource::Snapshots);
}

#[test]
fn a_statement_reset_inside_the_window_keeps_its_totals() {
    let mut first = snapshot(1_000);
    first.statements = vec![statement("a", 10, 100.0)];
    let mut last = snapshot(2_000);
    let mut s = statement("a", 12, 120.0);
    s.stats_since = at(1_500);
    last.statements = vec![s];
    let d = window(first, last, 2);
    assert_eq!(d.view.statements[0].calls, 12);
    assert_eq!(d.resets.len(), 1);
}

#[test]
fn a_database_reset_inside_the_window_keeps_table_totals() {
    let table = |seq_scan| Table {
        schema: "public".into(),
        name: "t".into(),
        seq_scan: Some(seq_scan),
        ..Default::default()
    };
    let mut first = snapshot(1_000);
    first.tables = vec![table(100)];
    let mut last = snapshot(2_000);
    last.tables = vec![table(130)];
    let d = window(first.clone(), last.clone(), 2);
    assert_eq!(d.view.tables[0].seq_scan, Some(30));
    assert!(d.resets.is_empty());
    last.meta = Some(Meta {
        db_stats_reset: at(1_500),
        ..Default::default()
    });
    let d = window(first, last, 2);
    assert_eq!(d.view.tables[0].seq_scan, Some(130));
    assert!(
        d.resets[0].contains("reset inside the window"),
        "{:?}",
        d.resets
    );
}

#[test]
fn checkpoint_and_database_counters_that_went_down_are_resets() {
    let mut first = snapshot(1_000);
    first.checkpoints = Some(Checkpoints {
        timed: Some(10),
        requested: Some(50),
        write_ms: Some(100.0),
        ..Default::default()
    });
    first.databases = vec![Database {
        datname: "app".into(),
        xact_commit: Some(1_000),
        idle_in_transaction_ms: Some(5.0),
        ..Default::default()
    }];
    let mut last = snapshot(2_000);
    last.checkpoints = Some(Checkpoints {
        timed: Some(12),
        requested: Some(4),
        write_ms: Some(150.0),
        ..Default::default()
    });
    last.databases = vec![Database {
        datname: "app".into(),
        xact_commit: Some(1_500),
        idle_in_transaction_ms: Some(7.5),
        ..Default::default()
    }];
    let d = window(first, last, 2);
    let c = d.view.checkpoints.as_ref().unwrap();
    assert_eq!(
        (c.timed, c.requested, c.write_ms),
        (Some(2), Some(4), Some(50.0))
    );
    let db = &d.view.databases[0];
    assert_eq!(
        (db.xact_commit, db.idle_in_transaction_ms),
        (Some(500), Some(2.5))
    );
    assert_eq!(d.resets.len(), 1);
    assert!(d.resets[0].starts_with("pg_stat_bgwriter/pg_stat_checkpointer"));
}
