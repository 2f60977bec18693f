//! What the statistics snapshots say: top statements of `pg_stat_statements`
//! joined to the log's query groups, index findings (unused, duplicate, redundant,
//! invalid, write overhead, foreign keys without an index), tables scanned
//! sequentially, dead tuples and vacuum staleness, HOT updates, cache hit ratios,
//! sessions and blocking from `pg_stat_activity`/`pg_locks`, checkpoints, and
//! the statistics window all of it covers. Pure functions of the snapshots.

use super::{DisplayZone, QueryReport, round3};
use crate::normalize::{fingerprint, fingerprint_hex, normalize};
use crate::parse::timestamp::Timestamp;
use crate::stats::records::{IndexDef, Session, Statement, Table};
use crate::stats::snapshot::{DatabaseStats, WindowSource};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// PgHero's and pgCluu's threshold for a cache hit ratio.
pub const CACHE_HIT_TARGET: f64 = 0.99;
/// A table is large enough for a sequential scan to matter (PgHero).
pub const SEQ_SCAN_MIN_ROWS: u64 = 10_000;
/// Below this share of index scans, a large table is read sequentially (PgHero).
pub const INDEX_USAGE_TARGET: f64 = 0.95;
/// Sequential scans in the window before a table is called scan-heavy.
pub const SEQ_SCAN_MIN_SCANS: u64 = 10;
/// A query running longer than this is long-running (PgHero).
pub const LONG_RUNNING_MS: i64 = 60_000;
/// Tables with at least this many indexes are checked for write overhead (pgCluu: more than 5).
pub const MANY_INDEXES: usize = 6;

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

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StatsWindow {
    pub start: Option<String>,
    pub end: Option<String>,
    /// `snapshots` (deltas between two snapshots), `stats_reset` (totals since the
    /// last reset) or `unknown`.
    pub source: WindowSource,
    pub seconds: Option<f64>,
    /// Snapshots read (all databases).
    pub snapshots: usize,
    /// One per database (and server).
    pub databases: Vec<DatabaseWindow>,
    /// Counters that went down between snapshots.
    pub resets: Vec<String>,
    /// What "unused" and other totals can and cannot say over this window.
    pub caveat: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DatabaseWindow {
    pub database: Option<String>,
    pub server: Option<String>,
    pub start: Option<String>,
    pub end: Option<String>,
    pub source: WindowSource,
    pub snapshots: usize,
    pub folders: Vec<String>,
    pub views: Vec<String>,
    pub is_replica: Option<bool>,
    pub server_version_num: Option<u64>,
}

/// One `pg_stat_statements` entry.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StatementReport {
    pub rank: usize,
    pub queryid: Option<String>,
    /// pgsift's normalization of the statement text (joins to `queries[]`).
    pub normalized: String,
    pub fingerprint: String,
    pub user: Option<String>,
    pub database: Option<String>,
    pub toplevel: Option<bool>,
    pub calls: u64,
    /// Plan + execution time.
    pub total_ms: f64,
    pub exec_ms: f64,
    pub plan_ms: f64,
    pub mean_ms: f64,
    pub max_ms: Option<f64>,
    pub rows: u64,
    pub rows_per_call: f64,
    /// Fraction (0-1) of the total time of all entries.
    pub share: f64,
    /// Shared buffer hits / (hits + reads); null with no block access.
    pub shared_hit_ratio: Option<f64>,
    pub shared_blks_read: u64,
    pub temp_blks_read: u64,
    pub temp_blks_written: u64,
    /// Block read + write time (`track_io_timing`).
    pub io_ms: f64,
    /// Fingerprint of the log's query group, when joined.
    pub log_group: Option<String>,
    /// `queryid` (the log carries it) or `normalized` (same normalized text).
    pub joined_by: Option<String>,
    pub log_count: Option<u64>,
    pub log_p50_ms: Option<f64>,
    pub log_p95_ms: Option<f64>,
    pub log_p99_ms: Option<f64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StatementsSummary {
    pub entries: usize,
    pub calls: u64,
    pub total_ms: f64,
    pub joined_by_queryid: usize,
    pub joined_by_normalized: usize,
    /// Entries with no log group (their statements were under
    /// `log_min_duration_statement`, or no log was given).
    pub not_joined: usize,
    /// Log groups with no `pg_stat_statements` entry.
    pub log_groups_not_in_statements: usize,
    /// `pg_stat_statements_info.dealloc`: entries evicted (statements lost).
    pub dealloc: Option<u64>,
    pub pgss_version: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct IndexesView {
    /// Indexes with definitions read.
    pub count: usize,
    pub unused: Vec<UnusedIndex>,
    pub duplicates: Vec<DuplicateIndex>,
    pub redundant: Vec<RedundantIndex>,
    pub invalid: Vec<InvalidIndex>,
    /// Indexes never scanned that are kept on purpose (primary keys, unique and
    /// exclusion constraints, the only index of a foreign key).
    pub not_flagged: Vec<KeptIndex>,
    /// Tables whose writes maintain many indexes, or indexes that serve no reads.
    pub write_overhead: Vec<WriteOverhead>,
    /// Foreign keys whose columns start no index.
    pub fk_without_index: Vec<FkWithoutIndex>,
    /// What the index checks could not do, and which export would let them.
    pub limits: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct UnusedIndex {
    /// The database (null when the export does not name it).
    pub database: Option<String>,
    /// `schema.index`.
    pub index: String,
    pub table: String,
    pub columns: Vec<String>,
    pub bytes: Option<u64>,
    pub idx_scan: u64,
    pub definition: String,
    pub drop: String,
    pub rollback: String,
    pub caveat: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DuplicateIndex {
    /// The database (null when the export does not name it).
    pub database: Option<String>,
    pub index: String,
    pub duplicate_of: String,
    pub table: String,
    pub columns: Vec<String>,
    pub bytes: Option<u64>,
    pub idx_scan: Option<u64>,
    pub definition: String,
    pub drop: String,
    pub rollback: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RedundantIndex {
    /// The database (null when the export does not name it).
    pub database: Option<String>,
    pub index: String,
    pub covered_by: String,
    pub table: String,
    pub columns: Vec<String>,
    pub covering_columns: Vec<String>,
    pub bytes: Option<u64>,
    pub idx_scan: Option<u64>,
    pub definition: String,
    pub drop: String,
    pub rollback: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct InvalidIndex {
    /// The database (null when the export does not name it).
    pub database: Option<String>,
    pub index: String,
    pub table: String,
    pub definition: String,
    pub bytes: Option<u64>,
    pub drop: String,
    /// Rebuilding it: the definition again.
    pub rollback: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct KeptIndex {
    /// The database (null when the export does not name it).
    pub database: Option<String>,
    pub index: String,
    pub table: String,
    pub reason: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct WriteOverhead {
    /// The database (null when the export does not name it).
    pub database: Option<String>,
    pub table: String,
    pub indexes: usize,
    /// Indexes of the table reported unused, duplicate or redundant.
    pub removable: Vec<String>,
    /// Rows inserted, updated and deleted in the window.
    pub writes: u64,
    pub writes_per_s: Option<f64>,
    pub hot_update_ratio: Option<f64>,
    pub note: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FkWithoutIndex {
    /// The database (null when the export does not name it).
    pub database: Option<String>,
    pub table: String,
    pub constraint: String,
    pub columns: Vec<String>,
    pub referenced: Option<String>,
    pub create: String,
    pub rollback: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct TablesView {
    /// Tables read.
    pub count: usize,
    /// Large tables read mostly by sequential scans: missing-index candidates.
    pub seq_scan_heavy: Vec<SeqScanTable>,
    /// Dead tuples and vacuum/analyze staleness.
    pub maintenance: Vec<MaintenanceTable>,
    /// Tables with many updates and few of them HOT.
    pub hot_updates: Vec<HotTable>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SeqScanTable {
    /// The database (null when the export does not name it).
    pub database: Option<String>,
    pub table: String,
    pub seq_scan: u64,
    pub seq_tup_read: u64,
    pub n_live_tup: u64,
    pub idx_scan: Option<u64>,
    /// Rows read per sequential scan.
    pub rows_per_seq_scan: f64,
    /// idx_scan / (seq_scan + idx_scan), 0-1.
    pub index_usage: f64,
    pub table_bytes: Option<u64>,
    /// `pg_stat_statements` entries that read the table, most time first (fingerprints).
    pub statements: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct MaintenanceTable {
    /// The database (null when the export does not name it).
    pub database: Option<String>,
    pub table: String,
    pub n_live_tup: u64,
    pub n_dead_tup: u64,
    pub dead_ratio: f64,
    pub n_mod_since_analyze: Option<u64>,
    pub last_vacuum: Option<String>,
    pub last_analyze: Option<String>,
    pub problems: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct HotTable {
    /// The database (null when the export does not name it).
    pub database: Option<String>,
    pub table: String,
    pub n_tup_upd: u64,
    pub n_tup_hot_upd: u64,
    pub hot_update_ratio: f64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DatabaseReport {
    pub datname: String,
    pub cache_hit_ratio: Option<f64>,
    pub blks_hit: Option<u64>,
    pub blks_read: Option<u64>,
    pub xact_commit: Option<u64>,
    pub xact_rollback: Option<u64>,
    pub rollback_ratio: Option<f64>,
    pub temp_files: Option<u64>,
    pub temp_bytes: Option<u64>,
    pub deadlocks: Option<u64>,
    pub numbackends: Option<u64>,
    pub stats_reset: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct CacheView {
    pub target: f64,
    /// Heap blocks found in shared buffers, all user tables.
    pub table_hit_ratio: Option<f64>,
    pub index_hit_ratio: Option<f64>,
    /// Tables reading the most blocks from outside shared buffers.
    pub tables: Vec<TableCache>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TableCache {
    pub table: String,
    pub heap_blks_read: u64,
    pub heap_blks_hit: u64,
    pub hit_ratio: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct SessionsNow {
    pub snapshot_at: Option<String>,
    /// Client sessions.
    pub total: u64,
    /// Client sessions by state (`active`, `idle`, `idle in transaction`, ...).
    pub by_state: BTreeMap<String, u64>,
    pub by_database: BTreeMap<String, u64>,
    pub max_connections: Option<u64>,
    pub idle_in_transaction: Vec<SessionReport>,
    pub long_running: Vec<SessionReport>,
    /// Sessions waiting for a lock.
    pub waiting: Vec<SessionReport>,
    /// Blocked -> blocking pairs (`pg_blocking_pids`, or `pg_locks`).
    pub blocked: Vec<BlockedPair>,
    /// Locks not granted in `pg_locks`.
    pub locks_waiting: u64,
    pub pool: Option<PoolAdvice>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SessionReport {
    pub pid: Option<u64>,
    pub user: Option<String>,
    pub database: Option<String>,
    pub app: Option<String>,
    pub state: Option<String>,
    /// Since the transaction (idle in transaction) or the query (others) started.
    pub duration_ms: Option<i64>,
    pub wait: Option<String>,
    /// The query, values masked unless values are shown.
    pub query: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BlockedPair {
    pub blocked_pid: u64,
    pub blocking_pid: u64,
    pub blocked_query: Option<String>,
    pub blocking_query: Option<String>,
    pub blocking_state: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PoolAdvice {
    pub cpu_cores: u32,
    /// 2x to 3x the cores: what a pool of active connections needs.
    pub recommended_min: u32,
    pub recommended_max: u32,
    pub connections: u64,
    pub active: u64,
    /// `ok`, `oversized` (many more sessions than the pool needs), `saturated`
    /// (more active sessions than the cores can run).
    pub verdict: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CheckpointerView {
    pub timed: Option<u64>,
    pub requested: Option<u64>,
    /// requested / (timed + requested).
    pub requested_share: Option<f64>,
    pub write_ms: Option<f64>,
    pub sync_ms: Option<f64>,
    pub buffers_checkpoint: Option<u64>,
    pub buffers_clean: Option<u64>,
    pub buffers_backend: Option<u64>,
    /// More than 10% of checkpoints requested (WAL volume): raise max_wal_size.
    pub too_many_requested: bool,
}

fn qualified(schema: &str, name: &str) -> String {
    if schema.is_empty() {
        name.to_string()
    } else {
        format!("{schema}.{name}")
    }
}

/// An SQL identifier, quoted only when it must be.
pub(crate) fn quote_ident(s: &str) -> String {
    let plain = s
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain {
        s.to_string()
    } else {
        format!("\"{}\"", s.replace('"', "\"\""))
    }
}

fn qualified_sql(schema: &str, name: &str) -> String {
    format!("{}.{}", quote_ident(schema), quote_ident(name))
}

fn ratio(hit: u64, read: u64) -> Option<f64> {
    let total = hit + read;
    (total > 0).then(|| round6(hit as f64 / total as f64))
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

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
        stats_window: Some(window(dbs, tz)),
        ..Default::default()
    };
    statements(&mut view, dbs, queries, log_query_ids);
    for d in dbs {
        indexes(&mut view.indexes, d);
        tables(&mut view.tables, &mut view.cache, d, &view.statements, &ts);
    }
    type Removable = (Option<String>, String, String);
    let removable_tables: Vec<Removable> = view
        .indexes
        .unused
        .iter()
        .map(|u| (u.database.clone(), u.table.clone(), u.index.clone()))
        .chain(
            view.indexes
                .duplicates
                .iter()
                .map(|u| (u.database.clone(), u.table.clone(), u.index.clone())),
        )
        .chain(
            view.indexes
                .redundant
                .iter()
                .map(|u| (u.database.clone(), u.table.clone(), u.index.clone())),
        )
        .collect();
    for d in dbs {
        write_overhead(&mut view.indexes, d, &removable_tables);
    }
    view.indexes.write_overhead.sort_by(|a, b| {
        b.writes
            .cmp(&a.writes)
            .then(b.indexes.cmp(&a.indexes))
            .then(a.table.cmp(&b.table))
    });
    databases(&mut view, dbs, &ts);
    view.activity = sessions_now(dbs, opts, &ts);
    view.checkpointer = checkpointer(dbs);
    view.tables.seq_scan_heavy.sort_by(|a, b| {
        b.seq_tup_read
            .cmp(&a.seq_tup_read)
            .then(a.table.cmp(&b.table))
    });
    view.cache.tables.sort_by(|a, b| {
        b.heap_blks_read
            .cmp(&a.heap_blks_read)
            .then(a.table.cmp(&b.table))
    });
    view.cache.tables.truncate(10);
    view.cache.target = CACHE_HIT_TARGET;
    view
}

fn window(dbs: &[DatabaseStats], tz: &DisplayZone) -> StatsWindow {
    let start = dbs.iter().filter_map(|d| d.start).min();
    let end = dbs.iter().filter_map(|d| d.end).max();
    // the overall source is that of the database with the most snapshots
    let source = dbs
        .iter()
        .max_by_key(|d| (d.snapshots, d.source == WindowSource::StatsReset))
        .map_or(WindowSource::Unknown, |d| d.source);
    let seconds = match (start, end) {
        (Some(a), Some(b)) if b.0 > a.0 => Some(round3((b.0 - a.0) as f64 / 1000.0)),
        _ => None,
    };
    let caveat = if dbs.len() == 1 {
        db_caveat(&dbs[0])
    } else {
        dbs.iter()
            .map(|d| {
                format!(
                    "{}: {}",
                    d.view.database.as_deref().unwrap_or(&d.view.folder),
                    db_caveat(d)
                )
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    StatsWindow {
        start: start.map(|t| tz.format(t)),
        end: end.map(|t| tz.format(t)),
        source,
        seconds,
        snapshots: dbs.iter().map(|d| d.snapshots).sum(),
        databases: dbs
            .iter()
            .map(|d| DatabaseWindow {
                database: d.view.database.clone(),
                server: d.view.server.clone(),
                start: d.start.map(|t| tz.format(t)),
                end: d.end.map(|t| tz.format(t)),
                source: d.source,
                snapshots: d.snapshots,
                folders: d.folders.clone(),
                views: d.view.views.iter().cloned().collect(),
                is_replica: d.view.meta.as_ref().and_then(|m| m.is_replica),
                server_version_num: d.view.meta.as_ref().and_then(|m| m.server_version_num),
            })
            .collect(),
        resets: dbs.iter().flat_map(|d| d.resets.clone()).collect(),
        caveat,
    }
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

/// What one database's counters cover, and what "unused" cannot say.
fn db_caveat(d: &DatabaseStats) -> String {
    let seconds = match (d.start, d.end) {
        (Some(a), Some(b)) if b.0 > a.0 => Some((b.0 - a.0) as f64 / 1000.0),
        _ => None,
    };
    let span = match seconds {
        Some(s) if s >= 86_400.0 => format!("{:.1} days", s / 86_400.0),
        Some(s) if s >= 3600.0 => format!("{:.1} hours", s / 3600.0),
        Some(s) => format!("{s:.0} seconds"),
        None => "an unknown time".into(),
    };
    let replica = d.view.meta.as_ref().and_then(|m| m.is_replica) == Some(true);
    let short = match seconds {
        Some(s) if s < 7.0 * 86_400.0 => {
            " This window is shorter than a week: treat unused indexes as ones to watch, not to drop yet."
        }
        None => " The window's length is unknown: check stats_reset before dropping anything.",
        _ => "",
    };
    format!(
        "Counters cover {span} ({}). An index unused here may serve rare jobs (month-end reports, \
         restores) outside this window, and replicas keep their own counters: check every replica \
         before dropping anything.{}",
        match d.source {
            WindowSource::Snapshots => format!("the deltas between {} snapshots", d.snapshots),
            WindowSource::StatsReset => "since the statistics were last reset".into(),
            WindowSource::Unknown =>
                "since the statistics were last reset; the export does not say when (stats_reset is empty)".into(),
        },
        if replica {
            " These statistics come from a replica."
        } else {
            ""
        }
    ) + short
}

fn statements(
    view: &mut StatsView,
    dbs: &[DatabaseStats],
    queries: &[QueryReport],
    log_query_ids: &BTreeMap<i64, String>,
) {
    // pg_stat_statements is cluster-wide: every database's export holds it; read
    // each entry once per server.
    let mut seen: BTreeSet<(Option<String>, String)> = BTreeSet::new();
    let mut rows: Vec<&Statement> = Vec::new();
    let mut any = false;
    let mut dealloc = None;
    let mut version = None;
    let mut servers_read: BTreeSet<Option<String>> = BTreeSet::new();
    for d in preferred(dbs) {
        if !d.view.views.contains("pg_stat_statements")
            || (d.view.server.is_some() && !servers_read.insert(d.view.server.clone()))
        {
            continue;
        }
        any = true;
        dealloc = dealloc.or(d.view.statements_info.as_ref().and_then(|i| i.dealloc));
        version = version.or(d.view.meta.as_ref().and_then(|m| m.pgss_version.clone()));
        for s in &d.view.statements {
            if seen.insert((d.view.server.clone(), s.key())) {
                rows.push(s);
            }
        }
    }
    if !any {
        return;
    }
    let by_fp: BTreeMap<&str, &QueryReport> = queries
        .iter()
        .map(|q| (q.fingerprint.as_str(), q))
        .collect();
    // nested statements (toplevel = f) are inside their caller's time: not summed
    let total: f64 = rows
        .iter()
        .filter(|s| s.toplevel != Some(false))
        .map(|s| s.total_ms())
        .sum();
    let mut out: Vec<StatementReport> = rows
        .iter()
        .map(|s| {
            let n = normalize(&s.query);
            let fp = fingerprint_hex(fingerprint(&n.key));
            let (group, how) = match s.queryid.and_then(|q| log_query_ids.get(&q)) {
                Some(g) if by_fp.contains_key(g.as_str()) => (Some(g.clone()), Some("queryid")),
                _ if by_fp.contains_key(fp.as_str()) => (Some(fp.clone()), Some("normalized")),
                _ => (None, None),
            };
            let q = group.as_deref().and_then(|g| by_fp.get(g));
            StatementReport {
                rank: 0,
                queryid: s.queryid.map(|q| q.to_string()),
                normalized: n.key,
                fingerprint: fp,
                user: s.user.clone().or(s.userid.map(|u| u.to_string())),
                database: s.database.clone().or(s.dbid.map(|d| d.to_string())),
                toplevel: s.toplevel,
                calls: s.calls,
                total_ms: round3(s.total_ms()),
                exec_ms: round3(s.exec_ms),
                plan_ms: round3(s.plan_ms),
                mean_ms: if s.calls > 0 {
                    round3(s.total_ms() / s.calls as f64)
                } else {
                    0.0
                },
                max_ms: s.max_ms.map(round3),
                rows: s.rows,
                rows_per_call: if s.calls > 0 {
                    round3(s.rows as f64 / s.calls as f64)
                } else {
                    0.0
                },
                share: if total > 0.0 {
                    round6(s.total_ms() / total)
                } else {
                    0.0
                },
                shared_hit_ratio: ratio(s.shared_blks_hit, s.shared_blks_read),
                shared_blks_read: s.shared_blks_read,
                temp_blks_read: s.temp_blks_read,
                temp_blks_written: s.temp_blks_written,
                io_ms: round3(s.io_read_ms + s.io_write_ms),
                log_group: group.clone(),
                joined_by: how.map(str::to_string),
                log_count: q.map(|q| q.count),
                log_p50_ms: q.and_then(|q| q.p50_ms),
                log_p95_ms: q.and_then(|q| q.p95_ms),
                log_p99_ms: q.and_then(|q| q.p99_ms),
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.total_ms
            .total_cmp(&a.total_ms)
            .then(b.calls.cmp(&a.calls))
            .then(a.normalized.cmp(&b.normalized))
            .then(a.queryid.cmp(&b.queryid))
            .then(a.user.cmp(&b.user))
            .then(a.database.cmp(&b.database))
    });
    for (i, s) in out.iter_mut().enumerate() {
        s.rank = i + 1;
    }
    let joined: BTreeSet<&str> = out.iter().filter_map(|s| s.log_group.as_deref()).collect();
    view.statements_summary = Some(StatementsSummary {
        entries: out.len(),
        calls: out
            .iter()
            .filter(|s| s.toplevel != Some(false))
            .map(|s| s.calls)
            .sum(),
        total_ms: round3(total),
        joined_by_queryid: out
            .iter()
            .filter(|s| s.joined_by.as_deref() == Some("queryid"))
            .count(),
        joined_by_normalized: out
            .iter()
            .filter(|s| s.joined_by.as_deref() == Some("normalized"))
            .count(),
        not_joined: out.iter().filter(|s| s.log_group.is_none()).count(),
        log_groups_not_in_statements: queries
            .iter()
            .filter(|q| q.count > 0 && !joined.contains(q.fingerprint.as_str()))
            .count(),
        dealloc,
        pgss_version: version,
    });
    view.statements = out;
}

/// Whether `def` starts with the foreign key's columns (in any order). A partial
/// index qualifies only with an `IS NOT NULL` predicate on a key column (foreign
/// key checks look up non-null values).
fn covers_fk(def: &IndexDef, fk_cols: &[String]) -> bool {
    if def.shape.keys.len() < fk_cols.len() || def.shape.method != "btree" {
        return false;
    }
    if let Some(p) = &def.shape.predicate {
        let p = p.to_ascii_lowercase();
        let only_not_null = p.split(" and ").all(|c| {
            c.trim()
                .trim_matches(|x| x == '(' || x == ')')
                .ends_with("is not null")
        });
        if !only_not_null {
            return false;
        }
    }
    let lead: BTreeSet<String> = def.shape.keys[..fk_cols.len()]
        .iter()
        .filter_map(|k| crate::stats::indexdef::IndexShape::key_column(k))
        .collect();
    let want: BTreeSet<String> = fk_cols.iter().cloned().collect();
    lead == want
}

/// Keeper order among equal indexes: constraint-backed, unique, most used, name.
fn keeper_rank(d: &IndexDef, scans: Option<u64>) -> (bool, bool, bool, std::cmp::Reverse<u64>) {
    (
        !d.primary,
        d.constraint.is_none(),
        !d.unique,
        std::cmp::Reverse(scans.unwrap_or(0)),
    )
}

/// The DROP and its rollback for an index (plain DROP on a partitioned table,
/// where CONCURRENTLY is not allowed).
fn drop_and_rollback(d: &IndexDef, partitioned: bool) -> (String, String) {
    let def = d.indexdef.trim().trim_end_matches(';');
    if partitioned {
        return (
            format!(
                "DROP INDEX IF EXISTS {}; -- partitioned table: CONCURRENTLY is not supported, this takes a short exclusive lock",
                qualified_sql(&d.schema, &d.name)
            ),
            format!("{def};"),
        );
    }
    let upper = def.to_ascii_uppercase();
    let rollback = match upper.find(" INDEX ") {
        Some(p) if !upper.contains("CONCURRENTLY") => {
            format!(
                "{} INDEX CONCURRENTLY {};",
                &def[..p],
                def[p + 7..].trim_start()
            )
        }
        _ => format!("{def};"),
    };
    (
        format!(
            "DROP INDEX CONCURRENTLY IF EXISTS {};",
            qualified_sql(&d.schema, &d.name)
        ),
        rollback,
    )
}

fn db_name(d: &DatabaseStats) -> Option<String> {
    d.view.database.clone()
}

fn indexes(out: &mut IndexesView, d: &DatabaseStats) {
    let v = &d.view;
    let label = v.database.clone().unwrap_or_else(|| v.folder.clone());
    let has_defs = v.views.contains("index definitions");
    let has_usage = v.views.contains("pg_stat_user_indexes");
    if !has_defs && has_usage {
        out.limits.push(format!(
            "{label}: index usage read without index definitions: unused, duplicate and redundant indexes \
             need them (export indexes.csv with `pgsift export-script`, or pg_indexes)"
        ));
    }
    if has_defs && !has_usage {
        out.limits.push(format!(
            "{label}: index definitions read without pg_stat_user_indexes: unused indexes cannot be told"
        ));
    }
    let catalog = v.index_defs.iter().all(|x| x.catalog);
    if has_defs && !catalog {
        out.limits.push(format!(
            "{label}: index definitions without catalog columns (a plain pg_indexes export): exclusion constraints cannot be told from other indexes, so gist and spgist indexes are never called unused"
        ));
    }
    out.count += v.index_defs.len();
    let usage: HashMap<(&str, &str), Option<u64>> = v
        .indexes
        .iter()
        .map(|i| ((i.schema.as_str(), i.name.as_str()), i.idx_scan))
        .collect();
    let scans =
        |schema: &str, name: &str| -> Option<u64> { usage.get(&(schema, name)).copied().flatten() };
    let partitioned: BTreeSet<(&str, &str)> = v
        .table_sizes
        .iter()
        .filter(|t| t.relkind.as_deref() == Some("p"))
        .map(|t| (t.schema.as_str(), t.name.as_str()))
        .collect();
    let is_partitioned = |x: &IndexDef| {
        partitioned.contains(&(x.schema.as_str(), x.table.as_str()))
            || x.indexdef.to_ascii_uppercase().contains(" ON ONLY ")
    };
    let caveat = db_caveat(d);
    let database = db_name(d);
    let mut defs: Vec<&IndexDef> = v.index_defs.iter().collect();
    defs.sort_by(|a, b| (&a.schema, &a.table, &a.name).cmp(&(&b.schema, &b.table, &b.name)));
    for x in defs.iter().filter(|x| !x.valid) {
        let (drop, rollback) = drop_and_rollback(x, is_partitioned(x));
        out.invalid.push(InvalidIndex {
            database: database.clone(),
            index: qualified(&x.schema, &x.name),
            table: qualified(&x.schema, &x.table),
            definition: x.indexdef.clone(),
            bytes: x.bytes,
            drop,
            rollback,
        });
    }
    let valid: Vec<&IndexDef> = defs.iter().copied().filter(|x| x.valid).collect();
    let never_scanned = |x: &IndexDef| has_usage && scans(&x.schema, &x.name) == Some(0);
    // 1. duplicates and redundant prefixes; the covering side must itself be in
    // use (an unused covering index is the one to drop, reported as unused)
    let mut victims: BTreeSet<(String, String)> = BTreeSet::new();
    for a in &valid {
        if a.unique || a.primary || a.exclusion {
            continue; // enforces a constraint: only ever the covering side
        }
        let same_kind = |b: &&&IndexDef| {
            b.name != a.name
                && b.schema == a.schema
                && b.table == a.table
                && b.shape.method == a.shape.method
                && b.shape.predicate == a.shape.predicate
                && !victims.contains(&(b.schema.clone(), b.name.clone()))
        };
        let a_scans = scans(&a.schema, &a.name);
        let rank = |x: &IndexDef| (keeper_rank(x, scans(&x.schema, &x.name)), x.name.clone());
        let dup_of = valid
            .iter()
            .filter(same_kind)
            .filter(|b| b.shape.keys == a.shape.keys && b.shape.include == a.shape.include)
            .filter(|b| rank(b) < rank(a))
            .min_by_key(|b| rank(b));
        if let Some(b) = dup_of {
            let (drop, rollback) = drop_and_rollback(a, is_partitioned(a));
            out.duplicates.push(DuplicateIndex {
                database: database.clone(),
                index: qualified(&a.schema, &a.name),
                duplicate_of: qualified(&b.schema, &b.name),
                table: qualified(&a.schema, &a.table),
                columns: a.shape.keys.clone(),
                bytes: a.bytes,
                idx_scan: a_scans,
                definition: a.indexdef.clone(),
                drop,
                rollback,
            });
            victims.insert((a.schema.clone(), a.name.clone()));
            continue;
        }
        if a.shape.method != "btree" {
            continue; // left-prefix cover holds for btree only
        }
        let covering = valid
            .iter()
            .filter(same_kind)
            .filter(|b| !never_scanned(b) || b.unique || b.primary)
            .filter(|b| {
                let n = a.shape.keys.len();
                let prefix = b.shape.keys.len() >= n && b.shape.keys[..n] == a.shape.keys[..];
                let strictly =
                    b.shape.keys.len() > n || b.shape.include.len() > a.shape.include.len();
                let rest: BTreeSet<&String> = b.shape.keys[n.min(b.shape.keys.len())..]
                    .iter()
                    .chain(b.shape.include.iter())
                    .collect();
                prefix && strictly && a.shape.include.iter().all(|c| rest.contains(c))
            })
            .min_by_key(|x| (x.shape.keys.len(), rank(x)));
        if let Some(b) = covering {
            let (drop, rollback) = drop_and_rollback(a, is_partitioned(a));
            out.redundant.push(RedundantIndex {
                database: database.clone(),
                index: qualified(&a.schema, &a.name),
                covered_by: qualified(&b.schema, &b.name),
                table: qualified(&a.schema, &a.table),
                columns: a.shape.keys.clone(),
                covering_columns: b.shape.keys.clone(),
                bytes: a.bytes,
                idx_scan: a_scans,
                definition: a.indexdef.clone(),
                drop,
                rollback,
            });
            victims.insert((a.schema.clone(), a.name.clone()));
        }
    }
    // 2. never scanned in the window
    if !has_usage {
        return;
    }
    let mut unused: Vec<&IndexDef> = Vec::new();
    for x in &valid {
        if !never_scanned(x) || victims.contains(&(x.schema.clone(), x.name.clone())) {
            continue;
        }
        let kept = |reason: String| KeptIndex {
            database: database.clone(),
            index: qualified(&x.schema, &x.name),
            table: qualified(&x.schema, &x.table),
            reason,
        };
        if x.primary {
            out.not_flagged.push(kept(
                "primary key: enforces uniqueness even when never scanned".into(),
            ));
        } else if x.exclusion {
            out.not_flagged.push(kept("exclusion constraint".into()));
        } else if x.unique {
            out.not_flagged.push(kept(
                "unique: enforces uniqueness even when never scanned".into(),
            ));
        } else if !catalog && matches!(x.shape.method.as_str(), "gist" | "spgist") {
            out.not_flagged.push(kept(
                "gist/spgist index read from pg_indexes: it may back an exclusion constraint"
                    .into(),
            ));
        } else {
            unused.push(x);
        }
    }
    // 3. a foreign key keeps one index: if every index serving it (victims
    // aside) is unused, the smallest one stays
    let mut fk_kept: BTreeSet<(String, String)> = BTreeSet::new();
    for f in &v.foreign_keys {
        let serving: Vec<&&IndexDef> = valid
            .iter()
            .filter(|x| {
                x.schema == f.schema
                    && x.table == f.table
                    && covers_fk(x, &f.columns)
                    && !victims.contains(&(x.schema.clone(), x.name.clone()))
            })
            .collect();
        let all_unused = serving.iter().all(|x| {
            unused
                .iter()
                .any(|u| u.schema == x.schema && u.name == x.name)
        });
        if let Some(keep) = serving
            .iter()
            .filter(|_| all_unused)
            .min_by_key(|x| (x.shape.keys.len(), x.name.clone()))
            && fk_kept.insert((keep.schema.clone(), keep.name.clone()))
        {
            out.not_flagged.push(KeptIndex {
                database: database.clone(),
                index: qualified(&keep.schema, &keep.name),
                table: qualified(&keep.schema, &keep.table),
                reason: format!(
                    "the index foreign key {} ({}) needs: deletes and key updates on {} look rows up by it",
                    f.name,
                    f.columns.join(", "),
                    f.referenced.as_deref().unwrap_or("the referenced table")
                ),
            });
        }
    }
    for x in unused {
        if fk_kept.contains(&(x.schema.clone(), x.name.clone())) {
            continue;
        }
        let (drop, rollback) = drop_and_rollback(x, is_partitioned(x));
        out.unused.push(UnusedIndex {
            database: database.clone(),
            index: qualified(&x.schema, &x.name),
            table: qualified(&x.schema, &x.table),
            columns: x.shape.keys.clone(),
            bytes: x.bytes,
            idx_scan: 0,
            definition: x.indexdef.clone(),
            drop,
            rollback,
            caveat: caveat.clone(),
        });
    }
    // foreign keys whose columns start no index
    if !has_defs {
        return;
    }
    for f in &v.foreign_keys {
        if valid
            .iter()
            .any(|x| x.schema == f.schema && x.table == f.table && covers_fk(x, &f.columns))
        {
            continue;
        }
        let cols: Vec<String> = f.columns.iter().map(|c| quote_ident(c)).collect();
        let name = format!("{}_{}_idx", f.table, f.columns.join("_"));
        let part = partitioned.contains(&(f.schema.as_str(), f.table.as_str()));
        out.fk_without_index.push(FkWithoutIndex {
            database: database.clone(),
            table: qualified(&f.schema, &f.table),
            constraint: f.name.clone(),
            columns: f.columns.clone(),
            referenced: f.referenced.clone(),
            create: format!(
                "CREATE INDEX {}{} ON {} ({});{}",
                if part { "" } else { "CONCURRENTLY " },
                quote_ident(&name),
                qualified_sql(&f.schema, &f.table),
                cols.join(", "),
                if part {
                    " -- partitioned table: CONCURRENTLY is not supported on the parent (or index each partition CONCURRENTLY, then CREATE INDEX ON ONLY the parent and ATTACH)"
                } else {
                    ""
                }
            ),
            rollback: format!(
                "DROP INDEX {}IF EXISTS {};",
                if part { "" } else { "CONCURRENTLY " },
                qualified_sql(&f.schema, &name)
            ),
        });
    }
}

fn write_overhead(
    out: &mut IndexesView,
    d: &DatabaseStats,
    removable: &[(Option<String>, String, String)],
) {
    let v = &d.view;
    let secs = match (d.start, d.end) {
        (Some(a), Some(b)) if b.0 > a.0 => Some((b.0 - a.0) as f64 / 1000.0),
        _ => None,
    };
    for t in &v.tables {
        let name = qualified(&t.schema, &t.name);
        let count = v
            .index_defs
            .iter()
            .filter(|x| x.schema == t.schema && x.table == t.name)
            .count();
        let rem: Vec<String> = removable
            .iter()
            .filter(|(db, tab, _)| *tab == name && *db == v.database)
            .map(|(_, _, i)| i.clone())
            .collect();
        let writes = t.writes();
        if writes == 0 || (count < MANY_INDEXES && rem.is_empty()) {
            continue;
        }
        out.write_overhead.push(WriteOverhead {
            database: db_name(d),
            table: name,
            indexes: count,
            writes,
            writes_per_s: secs.map(|s| round3(writes as f64 / s)),
            hot_update_ratio: t
                .n_tup_upd
                .filter(|u| *u > 0)
                .map(|u| round6(t.n_tup_hot_upd.unwrap_or(0) as f64 / u as f64)),
            note: if rem.is_empty() {
                format!("every insert, and every update that is not HOT, writes {count} index entries")
            } else {
                format!(
                    "every insert, and every update that is not HOT, writes {count} index entries; {} of those indexes serve no reads",
                    rem.len()
                )
            },
            removable: rem,
        });
    }
}

/// Whether a normalized statement reads `table` (after FROM, JOIN or UPDATE).
fn statement_reads(normalized: &str, schema: &str, table: &str) -> bool {
    let words: Vec<&str> = normalized
        .split(|c: char| c.is_whitespace() || c == ',' || c == '(' || c == ')')
        .filter(|w| !w.is_empty())
        .collect();
    let want = table.to_ascii_lowercase();
    let qualified = format!("{}.{}", schema.to_ascii_lowercase(), want);
    words.windows(2).any(|w| {
        matches!(w[0], "from" | "join" | "update")
            && (w[1].trim_matches('"') == want || w[1] == qualified)
    })
}

fn tables(
    out: &mut TablesView,
    cache: &mut CacheView,
    d: &DatabaseStats,
    statements: &[StatementReport],
    ts: &dyn Fn(Option<Timestamp>) -> Option<String>,
) {
    let v = &d.view;
    out.count += v.tables.len();
    let mut heap = (0u64, 0u64);
    let mut idx = (0u64, 0u64);
    let now = v.taken_at;
    for t in &v.tables {
        let name = qualified(&t.schema, &t.name);
        if let (Some(h), Some(r)) = (t.heap_blks_hit, t.heap_blks_read) {
            heap.0 += h;
            heap.1 += r;
            cache.tables.push(TableCache {
                table: name.clone(),
                heap_blks_read: r,
                heap_blks_hit: h,
                hit_ratio: ratio(h, r),
            });
        }
        if let (Some(h), Some(r)) = (t.idx_blks_hit, t.idx_blks_read) {
            idx.0 += h;
            idx.1 += r;
        }
        seq_scan(out, t, &name, v, statements);
        maintenance(out, t, &name, now, ts, v.database.clone());
        if let (Some(u), Some(h)) = (t.n_tup_upd, t.n_tup_hot_upd)
            && u >= 1000
            && (h as f64) < 0.5 * u as f64
        {
            out.hot_updates.push(HotTable {
                database: db_name(d),
                table: name.clone(),
                n_tup_upd: u,
                n_tup_hot_upd: h,
                hot_update_ratio: round6(h as f64 / u as f64),
            });
        }
    }
    if heap != (0, 0) {
        let (h, r) = heap;
        let prev = cache.table_hit_ratio;
        cache.table_hit_ratio = ratio(h, r).map(|x| prev.map_or(x, |p| p.min(x)));
    }
    if idx != (0, 0) {
        let prev = cache.index_hit_ratio;
        cache.index_hit_ratio = ratio(idx.0, idx.1).map(|x| prev.map_or(x, |p| p.min(x)));
    }
}

fn seq_scan(
    out: &mut TablesView,
    t: &Table,
    name: &str,
    v: &crate::stats::snapshot::Snapshot,
    statements: &[StatementReport],
) {
    let (Some(seq), Some(read), Some(live)) = (t.seq_scan, t.seq_tup_read, t.n_live_tup) else {
        return;
    };
    if live < SEQ_SCAN_MIN_ROWS || seq < SEQ_SCAN_MIN_SCANS {
        return;
    }
    let per_scan = read as f64 / seq as f64;
    let idx = t.idx_scan.unwrap_or(0);
    let usage = idx as f64 / (seq + idx) as f64;
    // "near n_live_tup": whole-table reads (a LIMIT or an early exit reads less)
    if per_scan < 0.5 * live as f64 || usage >= INDEX_USAGE_TARGET {
        return;
    }
    out.seq_scan_heavy.push(SeqScanTable {
        database: v.database.clone(),
        table: name.to_string(),
        seq_scan: seq,
        seq_tup_read: read,
        n_live_tup: live,
        idx_scan: t.idx_scan,
        rows_per_seq_scan: round3(per_scan),
        index_usage: round6(usage),
        table_bytes: v
            .table_sizes
            .iter()
            .find(|s| s.schema == t.schema && s.name == t.name)
            .and_then(|s| s.table_bytes),
        statements: statements
            .iter()
            .filter(|s| s.database.is_none() || s.database == v.database)
            .filter(|s| statement_reads(&s.normalized, &t.schema, &t.name))
            .take(5)
            .map(|s| s.fingerprint.clone())
            .collect(),
    });
}

fn maintenance(
    out: &mut TablesView,
    t: &Table,
    name: &str,
    now: Option<Timestamp>,
    ts: &dyn Fn(Option<Timestamp>) -> Option<String>,
    database: Option<String>,
) {
    let (Some(live), Some(dead)) = (t.n_live_tup, t.n_dead_tup) else {
        return;
    };
    let dead_ratio = if live + dead > 0 {
        dead as f64 / (live + dead) as f64
    } else {
        0.0
    };
    let mut problems = Vec::new();
    if dead >= 1000 && dead_ratio >= 0.1 {
        problems.push(format!(
            "{:.0}% dead tuples: autovacuum is behind (or blocked by a long transaction)",
            dead_ratio * 100.0
        ));
    }
    let last_vacuum = t.last_vacuum.max(t.last_autovacuum);
    let last_analyze = t.last_analyze.max(t.last_autoanalyze);
    const WEEK: i64 = 7 * 86_400_000;
    if live + dead >= SEQ_SCAN_MIN_ROWS {
        let stale = |last: Option<Timestamp>| match (last, now) {
            (None, _) => Some("never".to_string()),
            (Some(l), Some(n)) if n.0 - l.0 > WEEK => {
                Some(format!("{} days ago", (n.0 - l.0) / 86_400_000))
            }
            _ => None,
        };
        let modified = t.n_mod_since_analyze.unwrap_or(0);
        if modified as f64 >= 0.1 * live.max(1) as f64
            && let Some(when) = stale(last_analyze)
        {
            problems.push(format!(
                "analyzed {when} with {modified} rows changed since: planner estimates are stale"
            ));
        }
        if dead >= 1000
            && let Some(when) = stale(last_vacuum)
        {
            problems.push(format!("vacuumed {when}"));
        }
    }
    if problems.is_empty() {
        return;
    }
    out.maintenance.push(MaintenanceTable {
        database,
        table: name.to_string(),
        n_live_tup: live,
        n_dead_tup: dead,
        dead_ratio: round6(dead_ratio),
        n_mod_since_analyze: t.n_mod_since_analyze,
        last_vacuum: ts(last_vacuum),
        last_analyze: ts(last_analyze),
        problems,
    });
}

fn databases(
    view: &mut StatsView,
    dbs: &[DatabaseStats],
    ts: &dyn Fn(Option<Timestamp>) -> Option<String>,
) {
    let mut seen = BTreeSet::new();
    for d in preferred(dbs) {
        for x in &d.view.databases {
            if x.datname.is_empty() || !seen.insert((d.view.server.clone(), x.datname.clone())) {
                continue;
            }
            view.databases.push(DatabaseReport {
                datname: x.datname.clone(),
                cache_hit_ratio: match (x.blks_hit, x.blks_read) {
                    (Some(h), Some(r)) => ratio(h, r),
                    _ => None,
                },
                blks_hit: x.blks_hit,
                blks_read: x.blks_read,
                xact_commit: x.xact_commit,
                xact_rollback: x.xact_rollback,
                rollback_ratio: match (x.xact_commit, x.xact_rollback) {
                    (Some(c), Some(r)) if c + r > 0 => Some(round6(r as f64 / (c + r) as f64)),
                    _ => None,
                },
                temp_files: x.temp_files,
                temp_bytes: x.temp_bytes,
                deadlocks: x.deadlocks,
                numbackends: x.numbackends,
                stats_reset: ts(x.stats_reset),
            });
        }
    }
    view.databases.sort_by(|a, b| {
        b.blks_read
            .unwrap_or(0)
            .cmp(&a.blks_read.unwrap_or(0))
            .then(a.datname.cmp(&b.datname))
    });
}

fn masked(q: &Option<String>, values_shown: bool) -> Option<String> {
    q.as_ref().map(|q| {
        let q: String = q.chars().take(2000).collect();
        if values_shown {
            q
        } else {
            normalize(&q).display
        }
    })
}

fn sessions_now(
    dbs: &[DatabaseStats],
    opts: &StatsOptions,
    ts: &dyn Fn(Option<Timestamp>) -> Option<String>,
) -> Option<SessionsNow> {
    // pg_stat_activity is cluster-wide: take the latest export of each server
    let mut latest: BTreeMap<Option<String>, &DatabaseStats> = BTreeMap::new();
    for d in dbs
        .iter()
        .filter(|d| d.view.views.contains("pg_stat_activity"))
    {
        let e = latest.entry(d.view.server.clone()).or_insert(d);
        if d.view.taken_at > e.view.taken_at {
            *e = d;
        }
    }
    if latest.is_empty() {
        return None;
    }
    let mut now = SessionsNow::default();
    let mut all: Vec<&Session> = Vec::new();
    let mut locks_waiting = 0;
    for d in latest.values() {
        now.snapshot_at = now.snapshot_at.or(ts(d.view.taken_at));
        now.max_connections = now.max_connections.or(d
            .view
            .meta
            .as_ref()
            .and_then(|m| m.max_connections)
            .or_else(|| {
                d.view
                    .settings
                    .get("max_connections")
                    .and_then(|s| s.setting.parse().ok())
            }));
        all.extend(d.view.sessions.iter());
        locks_waiting += d.view.locks.iter().filter(|l| !l.granted).count() as u64;
        // pairs from pg_locks when pg_blocking_pids was not exported: a waiting
        // lock and a granted one on the same object, in conflicting modes
        if !d.view.sessions.iter().any(|s| s.blocked_by_known) {
            for w in d.view.locks.iter().filter(|l| !l.granted) {
                for h in d.view.locks.iter().filter(|h| {
                    h.granted
                        && h.pid != w.pid
                        && h.locktype == w.locktype
                        && h.object.is_some()
                        && h.object == w.object
                        && modes_conflict(&w.mode, &h.mode)
                }) {
                    if let (Some(a), Some(b)) = (w.pid, h.pid) {
                        now.blocked.push(BlockedPair {
                            blocked_pid: a,
                            blocking_pid: b,
                            blocked_query: None,
                            blocking_query: None,
                            blocking_state: None,
                        });
                    }
                }
            }
        }
    }
    now.locks_waiting = locks_waiting;
    let report = |s: &Session, since: Option<Timestamp>| SessionReport {
        pid: s.pid,
        user: s.user.clone(),
        database: s.datname.clone(),
        app: s.app.clone(),
        state: s.state.clone(),
        duration_ms: match (since, s.snapshot_at) {
            (Some(a), Some(b)) => Some(b.0 - a.0),
            _ => None,
        },
        wait: s
            .wait_event_type
            .as_ref()
            .map(|t| format!("{t}: {}", s.wait_event.as_deref().unwrap_or(""))),
        query: masked(&s.query, opts.values_shown),
    };
    let by_pid: BTreeMap<u64, &Session> =
        all.iter().filter_map(|s| s.pid.map(|p| (p, *s))).collect();
    for s in all.iter().filter(|s| s.is_client()) {
        now.total += 1;
        let state = s.state.clone().unwrap_or_else(|| "unknown".into());
        *now.by_state.entry(state.clone()).or_default() += 1;
        if let Some(db) = &s.datname {
            *now.by_database.entry(db.clone()).or_default() += 1;
        }
        if state.starts_with("idle in transaction") {
            now.idle_in_transaction.push(report(s, s.xact_start));
        }
        if state == "active"
            && let (Some(q), Some(at)) = (s.query_start, s.snapshot_at)
            && at.0 - q.0 > LONG_RUNNING_MS
        {
            now.long_running.push(report(s, s.query_start));
        }
        if s.wait_event_type.as_deref() == Some("Lock") {
            now.waiting.push(report(s, s.state_change));
        }
        for b in &s.blocked_by {
            let h = by_pid.get(b);
            now.blocked.push(BlockedPair {
                blocked_pid: s.pid.unwrap_or(0),
                blocking_pid: *b,
                blocked_query: masked(&s.query, opts.values_shown),
                blocking_query: h.and_then(|h| masked(&h.query, opts.values_shown)),
                blocking_state: h.and_then(|h| h.state.clone()),
            });
        }
    }
    let by_duration = |a: &SessionReport, b: &SessionReport| {
        b.duration_ms.cmp(&a.duration_ms).then(a.pid.cmp(&b.pid))
    };
    now.idle_in_transaction.sort_by(by_duration);
    now.long_running.sort_by(by_duration);
    now.waiting.sort_by(by_duration);
    now.blocked.sort_by_key(|p| (p.blocking_pid, p.blocked_pid));
    now.blocked
        .dedup_by_key(|p| (p.blocking_pid, p.blocked_pid));
    if let Some(cores) = opts.cpu_cores {
        let active = now.by_state.get("active").copied().unwrap_or(0);
        let (lo, hi) = (cores * 2, cores * 3);
        now.pool = Some(PoolAdvice {
            cpu_cores: cores,
            recommended_min: lo,
            recommended_max: hi,
            connections: now.total,
            active,
            verdict: if active > u64::from(hi) {
                "saturated".into()
            } else if now.total > u64::from(hi) * 4 {
                "oversized".into()
            } else {
                "ok".into()
            },
        });
    }
    Some(now)
}

/// PostgreSQL's table of conflicting lock modes.
fn modes_conflict(a: &str, b: &str) -> bool {
    const MODES: [&str; 8] = [
        "AccessShareLock",
        "RowShareLock",
        "RowExclusiveLock",
        "ShareUpdateExclusiveLock",
        "ShareLock",
        "ShareRowExclusiveLock",
        "ExclusiveLock",
        "AccessExclusiveLock",
    ];
    // conflicts[i] lists the modes (by index) mode i conflicts with
    const CONFLICTS: [&[usize]; 8] = [
        &[7],
        &[6, 7],
        &[4, 5, 6, 7],
        &[3, 4, 5, 6, 7],
        &[2, 3, 5, 6, 7],
        &[2, 3, 4, 5, 6, 7],
        &[1, 2, 3, 4, 5, 6, 7],
        &[0, 1, 2, 3, 4, 5, 6, 7],
    ];
    match (
        MODES.iter().position(|m| *m == a),
        MODES.iter().position(|m| *m == b),
    ) {
        (Some(i), Some(j)) => CONFLICTS[i].contains(&j),
        _ => true,
    }
}

fn checkpointer(dbs: &[DatabaseStats]) -> Option<CheckpointerView> {
    let c = preferred(dbs)
        .into_iter()
        .find_map(|d| d.view.checkpoints.as_ref())?;
    let total = c.timed.unwrap_or(0) + c.requested.unwrap_or(0);
    let share = (total > 0).then(|| round6(c.requested.unwrap_or(0) as f64 / total as f64));
    Some(CheckpointerView {
        timed: c.timed,
        requested: c.requested,
        requested_share: share,
        write_ms: c.write_ms.map(round3),
        sync_ms: c.sync_ms.map(round3),
        buffers_checkpoint: c.buffers_checkpoint,
        buffers_clean: c.buffers_clean,
        buffers_backend: c.buffers_backend,
        too_many_requested: share.is_some_and(|s| s > 0.1) && c.requested.unwrap_or(0) >= 2,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(!statement_reads("select orders from x", "public", "orders"));
    }

    #[test]
    fn identifiers_are_quoted_only_when_needed() {
        assert_eq!(qualified_sql("public", "orders"), "public.orders");
        assert_eq!(qualified_sql("My", "t\"x"), "\"My\".\"t\"\"x\"");
    }
}
