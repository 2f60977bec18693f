use super::*;
use crate::merge::Merge;
use crate::stats::read_csv;

fn read(files: &[(&str, &str, &str)]) -> StatsInput {
    let mut input = StatsInput::default();
    for (folder, name, text) in files {
        input.merge(read_csv(name, folder, text.as_bytes()).0);
    }
    input
}

const T1: &str = "snapshot_at,datname,relid,schemaname,relname,seq_scan,seq_tup_read,idx_scan,n_live_tup\n\
    2026-01-01 10:00:00+00,app,1,public,orders,10,1000,5,100\n";
const T2: &str = "snapshot_at,datname,relid,schemaname,relname,seq_scan,seq_tup_read,idx_scan,n_live_tup\n\
    2026-01-01 11:00:00+00,app,1,public,orders,30,5000,4,150\n";

#[test]
fn two_snapshots_give_deltas_and_resets() {
    let input = read(&[("a", "a/t.csv", T1), ("b", "b/t.csv", T2)]);
    let dbs = build(&input);
    assert_eq!(dbs.len(), 1);
    let d = &dbs[0];
    assert_eq!(d.source, WindowSource::Snapshots);
    assert_eq!(d.snapshots, 2);
    let t = &d.view.tables[0];
    assert_eq!(t.seq_scan, Some(20));
    assert_eq!(t.seq_tup_read, Some(4000));
    // went down: a reset, the later value is used and said so
    assert_eq!(t.idx_scan, Some(4));
    assert_eq!(d.resets.len(), 1);
    assert!(d.resets[0].contains("public.orders"));
    // a gauge is taken from the last snapshot
    assert_eq!(t.n_live_tup, Some(150));
    assert_eq!(
        d.start.map(|t| t.format()),
        Some("2026-01-01 10:00:00.000".into())
    );
}

#[test]
fn rows_with_two_times_in_one_file_are_two_snapshots() {
    let both = format!("{T1}{}", T2.lines().nth(1).unwrap());
    let dbs = build(&read(&[("one", "one/t.csv", &both)]));
    assert_eq!(dbs.len(), 1);
    assert_eq!(dbs[0].snapshots, 2);
    assert_eq!(dbs[0].view.tables[0].seq_scan, Some(20));
}

#[test]
fn one_snapshot_uses_stats_reset_and_views_join() {
    let io = "relid,schemaname,relname,heap_blks_read,heap_blks_hit,idx_blks_read,idx_blks_hit\n\
              1,public,orders,10,990,1,99\n";
    let meta = "snapshot_at,datname,server_version_num,db_stats_reset\n\
                2026-01-01 10:00:30+00,app,150018,2025-12-01 00:00:00+00\n";
    let dbs = build(&read(&[
        ("s", "s/t.csv", T1),
        ("s", "s/io.csv", io),
        ("s", "s/meta.csv", meta),
    ]));
    assert_eq!(dbs.len(), 1);
    let d = &dbs[0];
    assert_eq!(d.source, WindowSource::StatsReset);
    assert_eq!(d.view.database.as_deref(), Some("app"));
    assert_eq!(d.view.tables.len(), 1);
    assert_eq!(d.view.tables[0].heap_blks_hit, Some(990));
    assert_eq!(d.view.tables[0].seq_scan, Some(10));
}
