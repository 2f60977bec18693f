//! Typed rows of each statistics view, read from a [`Row`] by every name a column
//! has had from PostgreSQL 12 to 18. Missing columns are `None`, never an error.

use super::indexdef::{self, IndexShape};
use super::views::Row;
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

impl Meta {
    pub fn read(r: &Row) -> Meta {
        Meta {
            snapshot_at: r.time(&["snapshot_at"]),
            datname: r.string(&["datname"]),
            server: r.string(&["server"]),
            server_version_num: r.u64(&["server_version_num"]),
            is_replica: r.bool(&["is_replica"]),
            db_stats_reset: r.time(&["db_stats_reset", "stats_reset"]),
            pgss_version: r.string(&["pgss_version"]),
            max_connections: r.u64(&["max_connections"]),
            track_io_timing: r.string(&["track_io_timing"]),
        }
    }
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
    /// `None` when the row has no `calls` or no query text.
    pub fn read(r: &Row) -> Option<Statement> {
        Some(Statement {
            userid: r.u64(&["userid"]),
            dbid: r.u64(&["dbid"]),
            toplevel: r.bool(&["toplevel"]),
            queryid: r.i64(&["queryid"]),
            query: r.string(&["query"])?,
            user: r.string(&["rolname", "usename", "username"]),
            database: r.string(&["datname"]),
            calls: r.u64(&["calls"])?,
            exec_ms: r.f64(&["total_exec_time", "total_time"]).unwrap_or(0.0),
            plan_ms: r.f64(&["total_plan_time"]).unwrap_or(0.0),
            rows: r.u64(&["rows"]).unwrap_or(0),
            shared_blks_hit: r.u64(&["shared_blks_hit"]).unwrap_or(0),
            shared_blks_read: r.u64(&["shared_blks_read"]).unwrap_or(0),
            temp_blks_read: r.u64(&["temp_blks_read"]).unwrap_or(0),
            temp_blks_written: r.u64(&["temp_blks_written"]).unwrap_or(0),
            io_read_ms: r
                .f64(&["shared_blk_read_time", "blk_read_time"])
                .unwrap_or(0.0),
            io_write_ms: r
                .f64(&["shared_blk_write_time", "blk_write_time"])
                .unwrap_or(0.0),
            max_ms: r.f64(&["max_exec_time", "max_time"]),
            stats_since: r.time(&["stats_since"]),
        })
    }

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
    pub fn read(r: &Row) -> Option<Table> {
        Some(Table {
            schema: r.string(&["schemaname"]).unwrap_or_else(|| "public".into()),
            name: r.string(&["relname"])?,
            seq_scan: r.u64(&["seq_scan"]),
            seq_tup_read: r.u64(&["seq_tup_read"]),
            idx_scan: r.u64(&["idx_scan"]),
            idx_tup_fetch: r.u64(&["idx_tup_fetch"]),
            n_tup_ins: r.u64(&["n_tup_ins"]),
            n_tup_upd: r.u64(&["n_tup_upd"]),
            n_tup_del: r.u64(&["n_tup_del"]),
            n_tup_hot_upd: r.u64(&["n_tup_hot_upd"]),
            n_live_tup: r.u64(&["n_live_tup"]),
            n_dead_tup: r.u64(&["n_dead_tup"]),
            n_mod_since_analyze: r.u64(&["n_mod_since_analyze"]),
            last_vacuum: r.time(&["last_vacuum"]),
            last_autovacuum: r.time(&["last_autovacuum"]),
            last_analyze: r.time(&["last_analyze"]),
            last_autoanalyze: r.time(&["last_autoanalyze"]),
            ..Default::default()
        })
    }

    /// Block counters of `pg_statio_user_tables`, as a partial table.
    pub fn read_io(r: &Row) -> Option<Table> {
        Some(Table {
            schema: r.string(&["schemaname"]).unwrap_or_else(|| "public".into()),
            name: r.string(&["relname"])?,
            heap_blks_read: r.u64(&["heap_blks_read"]),
            heap_blks_hit: r.u64(&["heap_blks_hit"]),
            idx_blks_read: r.u64(&["idx_blks_read"]),
            idx_blks_hit: r.u64(&["idx_blks_hit"]),
            ..Default::default()
        })
    }

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

impl Index {
    pub fn read(r: &Row) -> Option<Index> {
        Some(Index {
            schema: r.string(&["schemaname"]).unwrap_or_else(|| "public".into()),
            table: r.string(&["relname"])?,
            name: r.string(&["indexrelname"])?,
            idx_scan: r.u64(&["idx_scan"]),
            idx_tup_read: r.u64(&["idx_tup_read"]),
            idx_tup_fetch: r.u64(&["idx_tup_fetch"]),
            last_idx_scan: r.time(&["last_idx_scan"]),
            ..Default::default()
        })
    }

    pub fn read_io(r: &Row) -> Option<Index> {
        Some(Index {
            schema: r.string(&["schemaname"]).unwrap_or_else(|| "public".into()),
            table: r.string(&["relname"])?,
            name: r.string(&["indexrelname"])?,
            idx_blks_read: r.u64(&["idx_blks_read"]),
            idx_blks_hit: r.u64(&["idx_blks_hit"]),
            ..Default::default()
        })
    }
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

impl IndexDef {
    /// `None` when the row has no parsable `indexdef`.
    pub fn read(r: &Row) -> Option<IndexDef> {
        let indexdef = r.string(&["indexdef"])?;
        let shape = indexdef::parse(&indexdef)?;
        let schema = r
            .string(&["schemaname"])
            .or_else(|| shape.schema.clone())
            .unwrap_or_else(|| "public".into());
        let table = r
            .string(&["tablename", "relname"])
            .unwrap_or_else(|| shape.table.clone());
        let name = r
            .string(&["indexname", "indexrelname"])
            .unwrap_or_else(|| shape.name.clone());
        let constraint = r.string(&["constraint_type", "contype"]);
        let primary = r
            .bool(&["indisprimary"])
            .unwrap_or(constraint.as_deref() == Some("p") || name.ends_with("_pkey"));
        let exclusion = r
            .bool(&["indisexclusion"])
            .unwrap_or(constraint.as_deref() == Some("x"));
        Some(IndexDef {
            unique: r.bool(&["indisunique"]).unwrap_or(shape.unique) || primary,
            primary,
            exclusion,
            valid: r.bool(&["indisvalid"]).unwrap_or(true),
            catalog: r.text(&["indisprimary"]).is_some() || r.text(&["indisexclusion"]).is_some(),
            constraint,
            bytes: r.u64(&[
                "index_bytes",
                "size_bytes",
                "bytes",
                "index_size_bytes",
                "pg_relation_size",
            ]),
            schema,
            table,
            name,
            shape,
            indexdef,
        })
    }
}

/// One database of `pg_stat_database`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Database {
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

impl Database {
    pub fn read(r: &Row) -> Option<Database> {
        Some(Database {
            datname: r.string(&["datname"]).unwrap_or_default(),
            numbackends: r.u64(&["numbackends"]),
            xact_commit: r.u64(&["xact_commit"]),
            xact_rollback: r.u64(&["xact_rollback"]),
            blks_read: r.u64(&["blks_read"]),
            blks_hit: r.u64(&["blks_hit"]),
            temp_files: r.u64(&["temp_files"]),
            temp_bytes: r.u64(&["temp_bytes"]),
            deadlocks: r.u64(&["deadlocks"]),
            stats_reset: r.time(&["stats_reset"]),
            sessions: r.u64(&["sessions"]),
            idle_in_transaction_ms: r.f64(&["idle_in_transaction_time"]),
        })
    }
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
    /// From `pg_stat_bgwriter` (any version) or `pg_stat_checkpointer`.
    pub fn read(r: &Row) -> Checkpoints {
        Checkpoints {
            timed: r.u64(&["checkpoints_timed", "num_timed"]),
            requested: r.u64(&["checkpoints_req", "num_requested"]),
            write_ms: r.f64(&["checkpoint_write_time", "write_time"]),
            sync_ms: r.f64(&["checkpoint_sync_time", "sync_time"]),
            buffers_checkpoint: r.u64(&["buffers_checkpoint", "buffers_written"]),
            buffers_clean: r.u64(&["buffers_clean"]),
            maxwritten_clean: r.u64(&["maxwritten_clean"]),
            buffers_backend: r.u64(&["buffers_backend"]),
            buffers_alloc: r.u64(&["buffers_alloc"]),
            stats_reset: r.time(&["stats_reset"]),
        }
    }

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
    pub fn read(r: &Row) -> Session {
        let blocked_by = r
            .text(&["blocked_by", "pg_blocking_pids"])
            .map(|t| {
                t.trim_matches(|c| c == '{' || c == '}')
                    .split(',')
                    .filter_map(|p| p.trim().parse().ok())
                    .collect()
            })
            .unwrap_or_default();
        Session {
            pid: r.u64(&["pid"]),
            datname: r.string(&["datname"]),
            user: r.string(&["usename"]),
            app: r.string(&["application_name"]),
            client: r.string(&["client_addr"]),
            backend_type: r.string(&["backend_type"]),
            state: r.string(&["state"]),
            xact_start: r.time(&["xact_start"]),
            query_start: r.time(&["query_start"]),
            state_change: r.time(&["state_change"]),
            wait_event_type: r.string(&["wait_event_type"]),
            wait_event: r.string(&["wait_event"]),
            query: r.string(&["query"]),
            blocked_by,
            blocked_by_known: r.has(&["blocked_by", "pg_blocking_pids"]),
            snapshot_at: r.time(&["snapshot_at"]),
        }
    }

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

impl Lock {
    pub fn read(r: &Row) -> Option<Lock> {
        Some(Lock {
            pid: r.u64(&["pid"]),
            locktype: r.string(&["locktype"])?,
            mode: r.string(&["mode"])?,
            granted: r.bool(&["granted"])?,
            relation: r.string(&["relation_name"]),
            object: {
                let parts: Vec<&str> = [
                    "database",
                    "relation",
                    "page",
                    "tuple",
                    "virtualxid",
                    "transactionid",
                    "classid",
                    "objid",
                    "objsubid",
                    "relation_name",
                ]
                .iter()
                .map(|c| r.text(&[c]).unwrap_or(""))
                .collect();
                parts.iter().any(|p| !p.is_empty()).then(|| parts.join("/"))
            },
            waitstart: r.time(&["waitstart"]),
        })
    }
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

impl TableSize {
    pub fn read(r: &Row) -> Option<TableSize> {
        Some(TableSize {
            schema: r.string(&["schemaname"]).unwrap_or_else(|| "public".into()),
            name: r.string(&["relname"])?,
            relkind: r.string(&["relkind"]),
            reltuples: r.u64(&["reltuples"]),
            table_bytes: r.u64(&["table_bytes"]),
            indexes_bytes: r.u64(&["indexes_bytes"]),
            total_bytes: r.u64(&["total_bytes"]),
        })
    }
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

impl ForeignKey {
    pub fn read(r: &Row) -> Option<ForeignKey> {
        Some(ForeignKey {
            schema: r.string(&["schemaname"]).unwrap_or_else(|| "public".into()),
            table: r.string(&["tablename", "relname"])?,
            name: r.string(&["conname"])?,
            columns: r
                .text(&["columns"])?
                .split(',')
                .map(|c| c.trim().trim_matches('"').to_string())
                .collect(),
            referenced: r.string(&["referenced_table"]),
        })
    }
}

/// One setting.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Setting {
    pub name: String,
    pub setting: String,
    pub unit: Option<String>,
}

impl Setting {
    pub fn read(r: &Row) -> Option<Setting> {
        Some(Setting {
            name: r.string(&["name"])?,
            setting: r.text(&["setting"]).unwrap_or_default().to_string(),
            unit: r.string(&["unit"]),
        })
    }
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

impl ColumnStat {
    pub fn read(r: &Row) -> Option<ColumnStat> {
        Some(ColumnStat {
            schema: r.string(&["schemaname"]).unwrap_or_else(|| "public".into()),
            table: r.string(&["tablename"])?,
            column: r.string(&["attname"])?,
            n_distinct: r.f64(&["n_distinct"]),
            null_frac: r.f64(&["null_frac"]),
            correlation: r.f64(&["correlation"]),
        })
    }
}
