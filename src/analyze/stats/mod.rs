//! What the statistics snapshots say, assembled into [`StatsView`]: each part is
//! its own module, a pure function of the snapshots ([`DatabaseStats`]) and, for
//! statements, the log's query groups.
//!
//! - `window`: the time the statistics cover and what that window cannot say;
//! - `statements`: top statements of `pg_stat_statements`, joined to the log;
//! - `indexes`: unused, duplicate, redundant and invalid indexes, write
//!   overhead, foreign keys without an index;
//! - `tables`: tables scanned sequentially, dead tuples and vacuum staleness,
//!   HOT updates;
//! - `cache`: table and index cache hit ratios;
//! - `databases`: `pg_stat_database`, one row per database;
//! - `sessions`: sessions and blocking from `pg_stat_activity`/`pg_locks`;
//! - `checkpoints`: `pg_stat_bgwriter`/`pg_stat_checkpointer`;
//! - `ident`: how tables and indexes are named, in the view and in SQL.
//!
//! Every public item of the parts is re-exported here: other modules import
//! them from `crate::analyze::stats`.

mod cache;
mod checkpoints;
mod databases;
mod ident;
mod indexes;
mod sessions;
mod statements;
mod tables;
mod window;

pub use cache::{CACHE_HIT_TARGET, CacheView, TableCache};
pub use checkpoints::CheckpointerView;
pub use databases::DatabaseReport;
pub(crate) use ident::quote_ident;
pub use indexes::{
    DuplicateIndex, FkWithoutIndex, IndexesView, InvalidIndex, KeptIndex, MANY_INDEXES,
    RedundantIndex, UnusedIndex, WriteOverhead,
};
pub use sessions::{
    BlockedPair, LONG_RUNNING_MS, PoolAdvice, PoolVerdict, SessionReport, SessionsNow,
};
pub use statements::{JoinedBy, StatementReport, StatementsSummary};
pub use tables::{
    HotTable, INDEX_USAGE_TARGET, MaintenanceTable, SEQ_SCAN_MIN_ROWS, SEQ_SCAN_MIN_SCANS,
    SeqScanTable, TablesView,
};
pub use window::{DatabaseWindow, StatsWindow, UnusedStats, is_statistics, unused_statistics};

use super::{DisplayZone, QueryReport};
use crate::parse::timestamp::Timestamp;
use crate::stats::snapshot::DatabaseStats;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How the statistics are to be analyzed.
#[derive(Debug, Clone, Default)]
pub struct StatsOptions {
    pub values_shown: bool,
    /// `--cpu-cores`: to size a connection pool.
    pub cpu_cores: Option<u32>,
}

/// Everything from the statistics CSVs (flattened into the audit's JSON root).
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct StatsView {
    /// The time the statistics cover; null when no statistics CSV was read.
    pub stats_window: Option<StatsWindow>,
    /// `pg_stat_statements` entries by total time (plan + execution), descending.
    pub statements: Vec<StatementReport>,
    pub statements_summary: Option<StatementsSummary>,
    pub indexes: IndexesView,
    pub tables: TablesView,
    /// `pg_stat_database`, one per database.
    pub databases: Vec<DatabaseReport>,
    pub cache: CacheView,
    /// `pg_stat_activity` and `pg_locks` at the snapshot time.
    pub activity: Option<SessionsNow>,
    /// `pg_stat_bgwriter` / `pg_stat_checkpointer` over the window.
    pub checkpointer: Option<CheckpointerView>,
}

/// Formats a time in the audit's zone.
type FormatTime<'a> = &'a dyn Fn(Option<Timestamp>) -> Option<String>;

/// Builds the statistics part of the audit.
pub(crate) fn build(
    dbs: &[DatabaseStats],
    queries: &[QueryReport],
    log_query_ids: &BTreeMap<i64, String>,
    opts: &StatsOptions,
    tz: &DisplayZone,
) -> StatsView {
    if dbs.is_empty() {
        return StatsView::default();
    }
    let ts = |t: Option<Timestamp>| t.map(|t| tz.format(t));
    let mut view = StatsView {
        stats_window: Some(window::window(dbs, tz)),
        ..Default::default()
    };
    statements::statements(&mut view, dbs, queries, log_query_ids);
    let sorts = indexes::sorts::sort_uses(
        queries
            .iter()
            .map(|q| q.normalized.as_str())
            .chain(view.statements.iter().map(|s| s.normalized.as_str())),
    );
    for d in dbs {
        indexes::indexes(&mut view.indexes, d, &sorts);
        tables::tables(&mut view.tables, d, &view.statements, &ts);
        cache::cache(&mut view.cache, d);
    }
    cache::io(&mut view.cache, dbs);
    indexes::write_overhead::all(&mut view.indexes, dbs);
    databases::databases(&mut view, dbs, &ts);
    view.activity = sessions::sessions_now(dbs, opts, &ts);
    view.checkpointer = checkpoints::checkpointer(dbs);
    tables::sort(&mut view.tables);
    cache::finish(&mut view.cache);
    view
}

/// `hit / (hit + read)`, rounded; null with no block access.
fn ratio(hit: u64, read: u64) -> Option<f64> {
    let total = hit + read;
    (total > 0).then(|| round6(hit as f64 / total as f64))
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// Cluster-wide views (pg_stat_statements, pg_stat_database, checkpoints) come
/// with every database's export: read them from the export with the best window
/// (most snapshots, then latest).
fn preferred(dbs: &[DatabaseStats]) -> Vec<&DatabaseStats> {
    let mut v: Vec<&DatabaseStats> = dbs.iter().collect();
    v.sort_by(|a, b| {
        b.snapshots
            .cmp(&a.snapshots)
            .then(b.end.cmp(&a.end))
            .then(a.view.database.cmp(&b.view.database))
    });
    v
}

/// The database an export names (null when it does not).
fn db_name(d: &DatabaseStats) -> Option<String> {
    d.view.database.clone()
}

/// Hand-made snapshots for the parts' unit tests.
#[cfg(test)]
pub(crate) mod fixtures {
    use crate::parse::timestamp::Timestamp;
    use crate::stats::snapshot::{DatabaseStats, Snapshot, WindowSource};

    /// One database's statistics over `[start, end]` (milliseconds), from `view`.
    pub(crate) fn db(view: Snapshot, start: Option<i64>, end: Option<i64>) -> DatabaseStats {
        DatabaseStats {
            view,
            start: start.map(Timestamp),
            end: end.map(Timestamp),
            source: WindowSource::Snapshots,
            snapshots: 2,
            ..Default::default()
        }
    }

    /// A snapshot of database `name` that says it holds `views`.
    pub(crate) fn snapshot(name: &str, views: &[&str]) -> Snapshot {
        Snapshot {
            folder: format!("stats/{name}"),
            database: Some(name.to_string()),
            views: views.iter().map(|v| v.to_string()).collect(),
            ..Default::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::{db, snapshot};
    use super::*;

    #[test]
    fn ratio_is_null_without_block_access() {
        assert_eq!(ratio(0, 0), None);
        assert_eq!(ratio(99, 1), Some(0.99));
        assert_eq!(ratio(1, 2), Some(0.333333));
    }

    #[test]
    fn preferred_reads_the_export_with_most_snapshots_then_latest() {
        let mut a = db(snapshot("a", &[]), Some(0), Some(10));
        a.snapshots = 1;
        let b = db(snapshot("b", &[]), Some(0), Some(5));
        let c = db(snapshot("c", &[]), Some(0), Some(9));
        let dbs = [a, b, c];
        let order: Vec<_> = preferred(&dbs)
            .iter()
            .map(|d| d.view.database.clone().unwrap())
            .collect();
        assert_eq!(order, ["c", "b", "a"]);
    }

    #[test]
    fn no_statistics_build_an_empty_view() {
        let tz = DisplayZone::choose(Some("UTC"), &Default::default());
        let v = build(&[], &[], &BTreeMap::new(), &StatsOptions::default(), &tz);
        assert!(v.stats_window.is_none());
        assert!(v.statements_summary.is_none());
        assert_eq!(v.cache.target, 0.0);
    }
}
