//! The records of each statistics view, as the snapshots and the analysis use
//! them (read from CSV rows by [`rows`](super::rows); saved in partial results).
//! A column the export lacks is `None`.

use super::indexdef::IndexShape;
use crate::parse::timestamp::Timestamp;
use serde::{Deserialize, Serialize};

/// `meta.csv` of pgsift's export.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Meta {
    pub snapshot_at: Option<Timestamp>,
    pub datname: Option<String>,
    pub server: Option<String>,
    pub server_version_num: Option<u64>,
    pub is_replica: Option<bool>,
    pub db_stats_reset: Option<Timestamp>,
    pub pgss_version: Option<String>,
    pub max_connections: Option<u64>,
    pub track_io_timing: Option<String>,
}

/// One `pg_stat_statements` entry.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Statement {
    pub userid: Option<u64>,
    pub dbid: Option<u64>,
    pub toplevel: Option<bool>,
    pub queryid: Option<i64>,
    pub query: String,
    pub user: Option<String>,
    pub database: Option<String>,
    pub calls: u64,
    pub exec_ms: f64,
    pub plan_ms: f64,
    pub rows: u64,
    pub shared_blks_hit: u64,
    pub shared_blks_read: u64,
    pub temp_blks_read: u64,
    pub temp_blks_written: u64,
    /// Shared block read/write time (`blk_read_time` before 1.11).
    pub io_read_ms: f64,
    pub io_write_ms: f64,
    pub max_ms: Option<f64>,
    pub stats_since: Option<Timestamp>,
}

impl Statement {
    /// Identity across snapshots: the view's own key when exported, else the text.
    pub fn key(&self) -> String {
        match self.queryid {
            Some(q) => format!(
                "{}/{}/{}/{}",
                self.userid
                    .map_or_else(|| self.user.clone().unwrap_or_default(), |u| u.to_string()),
                self.dbid.map_or_else(
                    || self.database.clone().unwrap_or_default(),
                    |d| d.to_string()
                ),
                q,
                self.toplevel.map_or("", |t| if t { "t" } else { "f" })
            ),
            None => format!(
                "{}/{}/{}",
                self.user.clone().unwrap_or_default(),
                self.database.clone().unwrap_or_default(),
                self.query
            ),
        }
    }

    pub fn total_ms(&self) -> f64 {
        self.exec_ms + self.plan_ms
    }
}

/// `pg_stat_statements_info` (1.9+).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StatementsInfo {
    pub dealloc: Option<u64>,
    pub stats_reset: Option<Timestamp>,
}

/// One table: `pg_stat_user_tables`, completed by `pg_statio_user_tables` and the
/// size export when they are there.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Table {
    /// The table's oid, when the export has `relid`: ties snapshots of one
    /// database together.
    pub relid: Option<u64>,
    pub schema: String,
    pub name: String,
    pub seq_scan: Option<u64>,
    pub seq_tup_read: Option<u64>,
    /// `None` for a table without indexes.
    pub idx_scan: Option<u64>,
    pub idx_tup_fetch: Option<u64>,
    pub n_tup_ins: Option<u64>,
    pub n_tup_upd: Option<u64>,
    pub n_tup_del: Option<u64>,
    pub n_tup_hot_upd: Option<u64>,
    pub n_live_tup: Option<u64>,
    pub n_dead_tup: Option<u64>,
    pub n_mod_since_analyze: Option<u64>,
    pub last_vacuum: Option<Timestamp>,
    pub last_autovacuum: Option<Timestamp>,
    pub last_analyze: Option<Timestamp>,
    pub last_autoanalyze: Option<Timestamp>,
    pub heap_blks_read: Option<u64>,
    pub heap_blks_hit: Option<u64>,
    pub idx_blks_read: Option<u64>,
    pub idx_blks_hit: Option<u64>,
}

impl Table {
    /// Rows written (inserted, updated, deleted).
    pub fn writes(&self) -> u64 {
        self.n_tup_ins.unwrap_or(0) + self.n_tup_upd.unwrap_or(0) + self.n_tup_del.unwrap_or(0)
    }
}

/// One index: usage (`pg_stat_user_indexes`), blocks (`pg_statio_user_indexes`)
/// and definition, joined by schema and name.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Index {
    pub schema: String,
    pub table: String,
    pub name: String,
    pub idx_scan: Option<u64>,
    pub idx_tup_read: Option<u64>,
    pub idx_tup_fetch: Option<u64>,
    pub idx_blks_read: Option<u64>,
    pub idx_blks_hit: Option<u64>,
    pub last_idx_scan: Option<Timestamp>,
}

/// An index definition: parsed `indexdef`, completed by catalog columns of
/// pgsift's export when present.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IndexDef {
    pub schema: String,
    pub table: String,
    pub name: String,
    pub shape: IndexShape,
    pub primary: bool,
    pub unique: bool,
    pub exclusion: bool,
    /// `false` only when the export says `indisvalid = f`.
    pub valid: bool,
    /// `p`, `u` or `x` when the index backs a constraint.
    pub constraint: Option<String>,
    pub bytes: Option<u64>,
    /// The definition as exported.
    pub indexdef: String,
    /// Catalog columns (`indisprimary`, `indisunique`, ...) were exported, not just
    /// `pg_indexes`: exclusion constraints and validity are known.
    pub catalog: bool,
}

/// One database of `pg_stat_database`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Database {
    /// The database's oid (pg_stat_statements' `dbid`).
    pub datid: Option<u64>,
    /// Empty for the row of shared objects (datid 0).
    pub datname: String,
    pub numbackends: Option<u64>,
    pub xact_commit: Option<u64>,
    pub xact_rollback: Option<u64>,
    pub blks_read: Option<u64>,
    pub blks_hit: Option<u64>,
    pub temp_files: Option<u64>,
    pub temp_bytes: Option<u64>,
    pub deadlocks: Option<u64>,
    pub stats_reset: Option<Timestamp>,
    pub sessions: Option<u64>,
    pub idle_in_transaction_ms: Option<f64>,
}

/// Checkpoint and background writer counters: `pg_stat_bgwriter` before 17,
/// `pg_stat_checkpointer` + `pg_stat_bgwriter` from 17 on.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Checkpoints {
    pub timed: Option<u64>,
    pub requested: Option<u64>,
    pub write_ms: Option<f64>,
    pub sync_ms: Option<f64>,
    pub buffers_checkpoint: Option<u64>,
    pub buffers_clean: Option<u64>,
    pub maxwritten_clean: Option<u64>,
    pub buffers_backend: Option<u64>,
    pub buffers_alloc: Option<u64>,
    pub stats_reset: Option<Timestamp>,
}

impl Checkpoints {
    /// Fills what `self` lacks from `o` (PG 17: two views make one record).
    pub fn fill(&mut self, o: &Checkpoints) {
        macro_rules! fill {
            ($($f:ident),*) => { $( if self.$f.is_none() { self.$f = o.$f.clone(); } )* };
        }
        fill!(
            timed,
            requested,
            write_ms,
            sync_ms,
            buffers_checkpoint,
            buffers_clean,
            maxwritten_clean,
            buffers_backend,
            buffers_alloc,
            stats_reset
        );
    }
}

/// One session of `pg_stat_activity` at the snapshot time.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub pid: Option<u64>,
    pub datname: Option<String>,
    pub user: Option<String>,
    pub app: Option<String>,
    pub client: Option<String>,
    pub backend_type: Option<String>,
    /// `active`, `idle`, `idle in transaction`, ... (`None` for background processes).
    pub state: Option<String>,
    pub xact_start: Option<Timestamp>,
    pub query_start: Option<Timestamp>,
    pub state_change: Option<Timestamp>,
    pub wait_event_type: Option<String>,
    pub wait_event: Option<String>,
    /// Raw text (may hold values; masked when analyzed).
    pub query: Option<String>,
    pub blocked_by: Vec<u64>,
    /// The export has a `blocked_by` (`pg_blocking_pids`) column.
    pub blocked_by_known: bool,
    pub snapshot_at: Option<Timestamp>,
}

impl Session {
    /// A client session (not a background process).
    pub fn is_client(&self) -> bool {
        match &self.backend_type {
            Some(b) => b == "client backend",
            None => self.state.is_some(),
        }
    }
}

/// One row of `pg_locks`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Lock {
    pub pid: Option<u64>,
    pub locktype: String,
    pub mode: String,
    pub granted: bool,
    pub relation: Option<String>,
    /// What is locked, for matching a waiter with a holder: the relation, the
    /// transaction id, the row (page, tuple), ...
    pub object: Option<String>,
    pub waitstart: Option<Timestamp>,
}

/// Size and row estimate of a table.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TableSize {
    pub schema: String,
    pub name: String,
    pub relkind: Option<String>,
    pub reltuples: Option<u64>,
    pub table_bytes: Option<u64>,
    pub indexes_bytes: Option<u64>,
    pub total_bytes: Option<u64>,
}

/// A foreign key and its columns.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ForeignKey {
    pub schema: String,
    pub table: String,
    pub name: String,
    pub columns: Vec<String>,
    pub referenced: Option<String>,
}

/// One setting.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Setting {
    pub name: String,
    pub setting: String,
    pub unit: Option<String>,
}

/// A column of a user table.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TableColumn {
    pub schema: String,
    pub table: String,
    pub column: String,
    pub data_type: Option<String>,
    pub not_null: Option<bool>,
}

/// Column statistics of `pg_stats` (no data values).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ColumnStat {
    pub schema: String,
    pub table: String,
    pub column: String,
    pub n_distinct: Option<f64>,
    pub null_frac: Option<f64>,
    pub correlation: Option<f64>,
}

/// `pg_stat_wal`: WAL generated, cluster-wide.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Wal {
    pub records: Option<u64>,
    /// Full-page images: many right after each checkpoint.
    pub fpi: Option<u64>,
    pub bytes: Option<u64>,
    /// Times WAL buffers were full and a backend had to write them.
    pub buffers_full: Option<u64>,
    pub write: Option<u64>,
    pub sync: Option<u64>,
    pub stats_reset: Option<Timestamp>,
}

/// One row of `pg_stat_io` (16+).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Io {
    pub backend_type: String,
    /// `relation` or `temp relation`.
    pub object: String,
    /// `normal`, `vacuum`, `bulkread`, `bulkwrite`.
    pub context: String,
    pub reads: Option<u64>,
    pub writes: Option<u64>,
    pub hits: Option<u64>,
    pub evictions: Option<u64>,
    pub fsyncs: Option<u64>,
}
