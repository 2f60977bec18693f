//! Snapshots: the rows of each folder grouped by database and snapshot time, and
//! for each database the view over its statistics window: the deltas between its
//! first and last snapshot when there are two or more, else the totals since the
//! statistics were reset. A counter that went down between two snapshots is a
//! reset: the later value is used and the reset reported.

use super::records::*;
use super::{Keyed, Records, StatsInput};
use crate::parse::timestamp::Timestamp;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Rows whose snapshot times are at most this far apart belong to one snapshot
/// (exports that took `now()` once per file).
const SAME_SNAPSHOT_MS: i64 = 120_000;

/// One database's statistics at one time (as exported into one folder).
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub folder: String,
    pub server: Option<String>,
    pub database: Option<String>,
    pub taken_at: Option<Timestamp>,
    pub meta: Option<Meta>,
    pub statements: Vec<Statement>,
    pub statements_info: Option<StatementsInfo>,
    pub tables: Vec<Table>,
    pub indexes: Vec<Index>,
    pub index_defs: Vec<IndexDef>,
    pub databases: Vec<Database>,
    pub checkpoints: Option<Checkpoints>,
    pub sessions: Vec<Session>,
    pub locks: Vec<Lock>,
    pub table_sizes: Vec<TableSize>,
    pub foreign_keys: Vec<ForeignKey>,
    pub settings: BTreeMap<String, Setting>,
    pub column_stats: Vec<ColumnStat>,
    /// Views present (names as the report shows them).
    pub views: BTreeSet<String>,
}

/// Where the statistics window comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowSource {
    /// Deltas between the first and last of several snapshots.
    Snapshots,
    /// Totals since the statistics were last reset (`stats_reset`).
    StatsReset,
    /// Totals since an unknown time (no `stats_reset`, no snapshot times).
    #[default]
    Unknown,
}

/// The statistics of one database over its window.
#[derive(Debug, Clone)]
pub struct DatabaseStats {
    /// The latest snapshot, its cumulative counters replaced by the window's deltas.
    pub view: Snapshot,
    pub start: Option<Timestamp>,
    pub end: Option<Timestamp>,
    pub source: WindowSource,
    /// Snapshots of this database that were read.
    pub snapshots: usize,
    /// Folders of the first and last snapshot.
    pub folders: Vec<String>,
    /// Counters that went down between the snapshots: what was reset.
    pub resets: Vec<String>,
}

/// Groups times closer than [`SAME_SNAPSHOT_MS`] (exports that took `now()` once
/// per file), except times found together in one file, which are distinct
/// snapshots; returns each time's group start.
fn cluster(
    times: &BTreeSet<Timestamp>,
    together: &[Vec<Timestamp>],
) -> BTreeMap<Timestamp, Timestamp> {
    let mut out = BTreeMap::new();
    let mut current: Vec<Timestamp> = Vec::new();
    for &t in times {
        let apart = current.last().is_none_or(|p| t.0 - p.0 > SAME_SNAPSHOT_MS)
            || together
                .iter()
                .any(|g| g.contains(&t) && current.iter().any(|c| g.contains(c)));
        if apart {
            current.clear();
        }
        current.push(t);
        out.insert(t, current[0]);
    }
    out
}

type SnapKey = (Option<String>, Option<Timestamp>);

/// Splits one folder's rows into snapshots.
fn folder_snapshots(folder: &str, r: &Records) -> Vec<Snapshot> {
    let meta = r.meta.first().map(|m| m.row.clone());
    let default_at = meta.as_ref().and_then(|m| m.snapshot_at);
    let mut dbs: BTreeSet<&str> = BTreeSet::new();
    macro_rules! collect_dbs {
        ($($f:ident),*) => { $( for k in &r.$f { if let Some(d) = &k.db { dbs.insert(d); } } )* };
    }
    collect_dbs!(
        meta,
        tables,
        table_io,
        indexes,
        index_io,
        index_defs,
        table_sizes,
        foreign_keys,
        column_stats
    );
    let default_db = meta
        .as_ref()
        .and_then(|m| m.datname.clone())
        .or_else(|| (dbs.len() == 1).then(|| dbs.iter().next().unwrap().to_string()));
    let mut times: BTreeSet<Timestamp> = default_at.into_iter().collect();
    macro_rules! collect_times {
        ($($f:ident),*) => { $( for k in &r.$f { if let Some(t) = k.at { times.insert(t); } } )* };
    }
    collect_times!(
        meta,
        statements,
        statements_info,
        tables,
        table_io,
        indexes,
        index_io,
        index_defs,
        databases,
        checkpoints,
        sessions,
        locks,
        table_sizes,
        foreign_keys,
        settings,
        column_stats
    );
    let clusters = cluster(&times, &r.times_in_one_file);
    // rows without a time (definitions, sizes, settings): the export's time, else
    // the latest snapshot of the folder (catalogs describe the present)
    let default_at = default_at.or_else(|| clusters.values().max().copied());
    let key_of = |at: Option<Timestamp>, db: &Option<String>| -> SnapKey {
        let at = at
            .or(default_at)
            .map(|t| clusters.get(&t).copied().unwrap_or(t));
        (db.clone().or_else(|| default_db.clone()), at)
    };
    let mut snaps: BTreeMap<SnapKey, Snapshot> = BTreeMap::new();
    macro_rules! place {
        ($field:ident, |$s:ident, $row:ident| $body:expr) => {
            for Keyed { at, db, row: $row } in &r.$field {
                let key = key_of(*at, db);
                let $s = snaps.entry(key.clone()).or_insert_with(|| Snapshot {
                    folder: folder.to_string(),
                    database: key.0.clone(),
                    taken_at: key.1,
                    ..Default::default()
                });
                $body;
            }
        };
    }
    place!(meta, |s, row| s.meta = Some(row.clone()));
    place!(statements, |s, row| s.statements.push(row.clone()));
    place!(statements_info, |s, row| s.statements_info =
        Some(row.clone()));
    place!(tables, |s, row| merge_table(&mut s.tables, row));
    place!(table_io, |s, row| merge_table(&mut s.tables, row));
    place!(indexes, |s, row| merge_index(&mut s.indexes, row));
    place!(index_io, |s, row| merge_index(&mut s.indexes, row));
    place!(index_defs, |s, row| s.index_defs.push(row.clone()));
    place!(databases, |s, row| s.databases.push(row.clone()));
    place!(checkpoints, |s, row| match &mut s.checkpoints {
        Some(c) => c.fill(row),
        None => s.checkpoints = Some(row.clone()),
    });
    place!(sessions, |s, row| s.sessions.push(row.clone()));
    place!(locks, |s, row| s.locks.push(row.clone()));
    place!(table_sizes, |s, row| s.table_sizes.push(row.clone()));
    place!(foreign_keys, |s, row| s.foreign_keys.push(row.clone()));
    place!(settings, |s, row| {
        s.settings.insert(row.name.clone(), row.clone());
    });
    place!(column_stats, |s, row| s.column_stats.push(row.clone()));
    let views: BTreeSet<String> = r.views.keys().cloned().collect();
    snaps
        .into_values()
        .map(|mut s| {
            s.server = meta.as_ref().and_then(|m| {
                m.server.clone().map(|srv| {
                    if m.is_replica == Some(true) {
                        format!("{srv} (replica)")
                    } else {
                        srv
                    }
                })
            });
            if s.meta.is_none() {
                s.meta = meta.clone();
            }
            s.views = views.clone();
            s
        })
        .collect()
}

/// Adds a table row, or completes the row of the same table (stats + statio).
fn merge_table(tables: &mut Vec<Table>, t: &Table) {
    match tables
        .iter_mut()
        .find(|x| x.schema == t.schema && x.name == t.name)
    {
        Some(x) => {
            macro_rules! fill {
                ($($f:ident),*) => { $( if x.$f.is_none() { x.$f = t.$f; } )* };
            }
            fill!(
                seq_scan,
                seq_tup_read,
                idx_scan,
                idx_tup_fetch,
                n_tup_ins,
                n_tup_upd,
                n_tup_del,
                n_tup_hot_upd,
                n_live_tup,
                n_dead_tup,
                n_mod_since_analyze,
                last_vacuum,
                last_autovacuum,
                last_analyze,
                last_autoanalyze,
                heap_blks_read,
                heap_blks_hit,
                idx_blks_read,
                idx_blks_hit
            );
        }
        None => tables.push(t.clone()),
    }
}

fn merge_index(indexes: &mut Vec<Index>, i: &Index) {
    match indexes
        .iter_mut()
        .find(|x| x.schema == i.schema && x.name == i.name)
    {
        Some(x) => {
            macro_rules! fill {
                ($($f:ident),*) => { $( if x.$f.is_none() { x.$f = i.$f; } )* };
            }
            fill!(
                idx_scan,
                idx_tup_read,
                idx_tup_fetch,
                idx_blks_read,
                idx_blks_hit,
                last_idx_scan
            );
        }
        None => indexes.push(i.clone()),
    }
}

/// Every database's statistics over its window, sorted by server and database.
pub fn build(input: &StatsInput) -> Vec<DatabaseStats> {
    let mut by_db: BTreeMap<(Option<String>, Option<String>), Vec<Snapshot>> = BTreeMap::new();
    let all: Vec<Snapshot> = input
        .folders
        .iter()
        .flat_map(|(folder, r)| folder_snapshots(folder, r))
        .collect();
    // an export without meta.csv does not name its server: it belongs to the one
    // server whose exports have the same database, when there is exactly one
    let mut servers: BTreeMap<Option<String>, BTreeSet<String>> = BTreeMap::new();
    for s in &all {
        if let Some(srv) = &s.server {
            servers
                .entry(s.database.clone())
                .or_default()
                .insert(srv.clone());
        }
    }
    for mut s in all {
        if s.server.is_none()
            && let Some(set) = servers.get(&s.database)
            && set.len() == 1
        {
            s.server = set.iter().next().cloned();
        }
        {
            let s = s;
            by_db
                .entry((s.server.clone(), s.database.clone()))
                .or_default()
                .push(s);
        }
    }
    let mut out = Vec::new();
    for (_, snaps) in by_db {
        // one result per database: snapshots without a time cannot be ordered,
        // so next to timed ones they are left out (and said so); the same time
        // twice is the same snapshot given twice
        let (mut timed, mut untimed): (Vec<Snapshot>, Vec<Snapshot>) =
            snaps.into_iter().partition(|s| s.taken_at.is_some());
        let mut notes = Vec::new();
        timed.sort_by(|a, b| a.taken_at.cmp(&b.taken_at).then(a.folder.cmp(&b.folder)));
        let before = timed.len();
        timed.dedup_by(|b, a| a.taken_at == b.taken_at);
        if timed.len() < before {
            notes.push(format!(
                "{} export(s) with the same snapshot time as another were read once",
                before - timed.len()
            ));
        }
        untimed.sort_by(|a, b| a.folder.cmp(&b.folder));
        let mut d = match timed.len() {
            0 => {
                let last = untimed.pop().expect("a group has a snapshot");
                single(last)
            }
            1 => single(timed.pop().unwrap()),
            n => {
                let last = timed.pop().unwrap();
                let first = timed.swap_remove(0);
                window(first, last, n)
            }
        };
        if !untimed.is_empty() {
            notes.push(format!(
                "{} other export(s) of this database have no snapshot time and cannot be ordered; left out: {}",
                untimed.len(),
                untimed
                    .iter()
                    .map(|u| u.folder.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        d.resets.extend(notes);
        out.push(d);
    }
    out
}

fn single(s: Snapshot) -> DatabaseStats {
    let reset = s.meta.as_ref().and_then(|m| m.db_stats_reset).or_else(|| {
        s.databases
            .iter()
            .find(|d| Some(&d.datname) == s.database.as_ref())
            .and_then(|d| d.stats_reset)
    });
    DatabaseStats {
        start: reset,
        end: s.taken_at,
        source: if reset.is_some() {
            WindowSource::StatsReset
        } else {
            WindowSource::Unknown
        },
        snapshots: 1,
        folders: vec![s.folder.clone()],
        resets: Vec::new(),
        view: s,
    }
}

/// `b - a`, or `b` when the counter went down (a reset), noting it.
fn delta(a: Option<u64>, b: Option<u64>, reset: &mut bool) -> Option<u64> {
    match (a, b) {
        (Some(x), Some(y)) if y >= x => Some(y - x),
        (Some(_), Some(y)) => {
            *reset = true;
            Some(y)
        }
        (_, y) => y,
    }
}

fn delta_f(a: Option<f64>, b: Option<f64>, reset: &mut bool) -> Option<f64> {
    match (a, b) {
        (Some(x), Some(y)) if y + 1e-9 >= x => Some((y - x).max(0.0)),
        (Some(_), Some(y)) => {
            *reset = true;
            Some(y)
        }
        (_, y) => y,
    }
}

/// A reset time that falls after the first snapshot: the counters restarted
/// inside the window and the later totals are the window's.
fn reset_inside(reset: Option<Timestamp>, first: &Snapshot) -> bool {
    matches!((reset, first.taken_at), (Some(r), Some(f)) if r > f)
}

fn window(first: Snapshot, mut last: Snapshot, n: usize) -> DatabaseStats {
    let mut resets = Vec::new();
    let pgss_reset = reset_inside(
        last.statements_info.as_ref().and_then(|i| i.stats_reset),
        &first,
    );
    if pgss_reset {
        resets.push("pg_stat_statements was reset inside the window (pg_stat_statements_info.stats_reset): its totals since the reset are used".into());
    }
    let db_reset = reset_inside(
        last.meta
            .as_ref()
            .and_then(|m| m.db_stats_reset)
            .or_else(|| {
                last.databases
                    .iter()
                    .find(|d| Some(&d.datname) == last.database.as_ref())
                    .and_then(|d| d.stats_reset)
            }),
        &first,
    );
    if db_reset {
        resets.push("the database's statistics were reset inside the window (stats_reset): table and index totals since the reset are used".into());
    }
    // pg_stat_statements
    let before: BTreeMap<String, &Statement> =
        first.statements.iter().map(|s| (s.key(), s)).collect();
    let mut reset_statements = 0;
    last.statements = last
        .statements
        .iter()
        .filter_map(|s| {
            let Some(a) = before.get(&s.key()) else {
                return Some(s.clone());
            };
            if pgss_reset {
                return Some(s.clone());
            }
            if reset_inside(s.stats_since, &first) {
                reset_statements += 1;
                return Some(s.clone());
            }
            if s.calls < a.calls || s.exec_ms + 1e-9 < a.exec_ms {
                reset_statements += 1;
                return Some(s.clone());
            }
            let d = Statement {
                calls: s.calls - a.calls,
                exec_ms: (s.exec_ms - a.exec_ms).max(0.0),
                plan_ms: (s.plan_ms - a.plan_ms).max(0.0),
                rows: s.rows.saturating_sub(a.rows),
                shared_blks_hit: s.shared_blks_hit.saturating_sub(a.shared_blks_hit),
                shared_blks_read: s.shared_blks_read.saturating_sub(a.shared_blks_read),
                temp_blks_read: s.temp_blks_read.saturating_sub(a.temp_blks_read),
                temp_blks_written: s.temp_blks_written.saturating_sub(a.temp_blks_written),
                io_read_ms: (s.io_read_ms - a.io_read_ms).max(0.0),
                io_write_ms: (s.io_write_ms - a.io_write_ms).max(0.0),
                ..s.clone()
            };
            (d.calls > 0).then_some(d)
        })
        .collect();
    if reset_statements > 0 {
        resets.push(format!(
            "pg_stat_statements: {reset_statements} entries were reset or evicted inside the window (fewer calls later, or stats_since after the first snapshot); their later totals are used"
        ));
    }
    // tables
    let mut reset_tables = Vec::new();
    let first_tables: HashMap<(&str, &str), &Table> = first
        .tables
        .iter()
        .map(|t| ((t.schema.as_str(), t.name.as_str()), t))
        .collect();
    let first_indexes: HashMap<(&str, &str), &Index> = first
        .indexes
        .iter()
        .map(|i| ((i.schema.as_str(), i.name.as_str()), i))
        .collect();
    for t in &mut last.tables {
        if db_reset {
            continue;
        }
        let Some(a) = first_tables.get(&(t.schema.as_str(), t.name.as_str())) else {
            continue;
        };
        let mut r = false;
        macro_rules! d {
            ($($f:ident),*) => { $( t.$f = delta(a.$f, t.$f, &mut r); )* };
        }
        d!(
            seq_scan,
            seq_tup_read,
            idx_scan,
            idx_tup_fetch,
            n_tup_ins,
            n_tup_upd,
            n_tup_del,
            n_tup_hot_upd,
            heap_blks_read,
            heap_blks_hit,
            idx_blks_read,
            idx_blks_hit
        );
        if r {
            reset_tables.push(format!("{}.{}", t.schema, t.name));
        }
    }
    if !reset_tables.is_empty() {
        resets.push(format!(
            "pg_stat_user_tables: counters went down for {} (reset); their later totals are used",
            reset_tables.join(", ")
        ));
    }
    let mut reset_indexes = Vec::new();
    for i in &mut last.indexes {
        if db_reset {
            continue;
        }
        let Some(a) = first_indexes.get(&(i.schema.as_str(), i.name.as_str())) else {
            continue;
        };
        let mut r = false;
        macro_rules! d {
            ($($f:ident),*) => { $( i.$f = delta(a.$f, i.$f, &mut r); )* };
        }
        d!(
            idx_scan,
            idx_tup_read,
            idx_tup_fetch,
            idx_blks_read,
            idx_blks_hit
        );
        if r {
            reset_indexes.push(format!("{}.{}", i.schema, i.name));
        }
    }
    if !reset_indexes.is_empty() {
        resets.push(format!(
            "pg_stat_user_indexes: counters went down for {} (reset); their later totals are used",
            reset_indexes.join(", ")
        ));
    }
    let mut reset_dbs = Vec::new();
    for d in &mut last.databases {
        let Some(a) = first.databases.iter().find(|x| x.datname == d.datname) else {
            continue;
        };
        let mut r = false;
        macro_rules! dd {
            ($($f:ident),*) => { $( d.$f = delta(a.$f, d.$f, &mut r); )* };
        }
        dd!(
            xact_commit,
            xact_rollback,
            blks_read,
            blks_hit,
            temp_files,
            temp_bytes,
            deadlocks,
            sessions
        );
        d.idle_in_transaction_ms =
            delta_f(a.idle_in_transaction_ms, d.idle_in_transaction_ms, &mut r);
        if r {
            reset_dbs.push(if d.datname.is_empty() {
                "(shared objects)".to_string()
            } else {
                d.datname.clone()
            });
        }
    }
    if !reset_dbs.is_empty() {
        resets.push(format!(
            "pg_stat_database: counters went down for {} (reset); their later totals are used",
            reset_dbs.join(", ")
        ));
    }
    if let (Some(a), Some(c)) = (&first.checkpoints, &mut last.checkpoints) {
        let mut r = false;
        macro_rules! d {
            ($($f:ident),*) => { $( c.$f = delta(a.$f, c.$f, &mut r); )* };
        }
        d!(
            timed,
            requested,
            buffers_checkpoint,
            buffers_clean,
            maxwritten_clean,
            buffers_backend,
            buffers_alloc
        );
        c.write_ms = delta_f(a.write_ms, c.write_ms, &mut r);
        c.sync_ms = delta_f(a.sync_ms, c.sync_ms, &mut r);
        if r {
            resets.push(
                "pg_stat_bgwriter/pg_stat_checkpointer: counters went down (reset); the later totals are used"
                    .into(),
            );
        }
    }
    DatabaseStats {
        start: first.taken_at,
        end: last.taken_at,
        source: WindowSource::Snapshots,
        snapshots: n,
        folders: vec![first.folder.clone(), last.folder.clone()],
        resets,
        view: last,
    }
}

#[cfg(test)]
mod tests {
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
}
