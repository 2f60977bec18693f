//! How each statistics view's CSV rows are read: one serde row type per view,
//! its fields named as the columns are today (PostgreSQL 18) with an alias for
//! every older name (`total_time` -> `total_exec_time`), each read as its
//! [`cell`](super::cell) type, then turned into the view's record
//! ([`records`](super::records)). A column missing from the export is `None`,
//! never an error; a row without what its view needs is not used.

use super::cell::{Count, Flag, Float, Int, Pids, Text, Time};
use super::indexdef;
use super::records::*;
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// A view's CSV row, deserialized from a data row by its header.
pub trait CsvRow: DeserializeOwned + Default {
    /// What the row becomes.
    type Record;
    /// The record, or `None` when a column the view needs is empty or unreadable.
    fn into_record(self) -> Option<Self::Record>;
}

/// The columns that place any row in its snapshot: when it was taken and, for
/// per-database views, of which database.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RowKey {
    pub snapshot_at: Time,
    pub datname: Text,
}

/// The schema column, `public` when the export has none.
fn schema(s: Text) -> String {
    s.0.unwrap_or_else(|| "public".into())
}

/// `meta.csv` of pgsift's export.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MetaRow {
    snapshot_at: Time,
    datname: Text,
    server: Text,
    server_version_num: Count,
    is_replica: Flag,
    #[serde(alias = "stats_reset")]
    db_stats_reset: Time,
    pgss_version: Text,
    max_connections: Count,
    track_io_timing: Text,
}

impl CsvRow for MetaRow {
    type Record = Meta;
    fn into_record(self) -> Option<Meta> {
        Some(Meta {
            snapshot_at: self.snapshot_at.0,
            datname: self.datname.0,
            server: self.server.0,
            server_version_num: self.server_version_num.0,
            is_replica: self.is_replica.0,
            db_stats_reset: self.db_stats_reset.0,
            pgss_version: self.pgss_version.0,
            max_connections: self.max_connections.0,
            track_io_timing: self.track_io_timing.0,
        })
    }
}

/// `pg_stat_statements` (1.7 to 1.12), joined with the role and database names.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct StatementRow {
    userid: Count,
    dbid: Count,
    toplevel: Flag,
    queryid: Int,
    query: Text,
    #[serde(alias = "usename", alias = "username")]
    rolname: Text,
    datname: Text,
    calls: Count,
    #[serde(alias = "total_time")]
    total_exec_time: Float,
    total_plan_time: Float,
    rows: Count,
    shared_blks_hit: Count,
    shared_blks_read: Count,
    temp_blks_read: Count,
    temp_blks_written: Count,
    #[serde(alias = "blk_read_time")]
    shared_blk_read_time: Float,
    #[serde(alias = "blk_write_time")]
    shared_blk_write_time: Float,
    #[serde(alias = "max_time")]
    max_exec_time: Float,
    stats_since: Time,
}

impl CsvRow for StatementRow {
    type Record = Statement;
    /// `None` without `calls` or query text.
    fn into_record(self) -> Option<Statement> {
        Some(Statement {
            userid: self.userid.0,
            dbid: self.dbid.0,
            toplevel: self.toplevel.0,
            queryid: self.queryid.0,
            query: self.query.0?,
            user: self.rolname.0,
            database: self.datname.0,
            calls: self.calls.0?,
            exec_ms: self.total_exec_time.0.unwrap_or(0.0),
            plan_ms: self.total_plan_time.0.unwrap_or(0.0),
            rows: self.rows.0.unwrap_or(0),
            shared_blks_hit: self.shared_blks_hit.0.unwrap_or(0),
            shared_blks_read: self.shared_blks_read.0.unwrap_or(0),
            temp_blks_read: self.temp_blks_read.0.unwrap_or(0),
            temp_blks_written: self.temp_blks_written.0.unwrap_or(0),
            io_read_ms: self.shared_blk_read_time.0.unwrap_or(0.0),
            io_write_ms: self.shared_blk_write_time.0.unwrap_or(0.0),
            max_ms: self.max_exec_time.0,
            stats_since: self.stats_since.0,
        })
    }
}

/// `pg_stat_statements_info` (1.9+).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct StatementsInfoRow {
    dealloc: Count,
    stats_reset: Time,
}

impl CsvRow for StatementsInfoRow {
    type Record = StatementsInfo;
    fn into_record(self) -> Option<StatementsInfo> {
        Some(StatementsInfo {
            dealloc: self.dealloc.0,
            stats_reset: self.stats_reset.0,
        })
    }
}

/// `pg_stat_user_tables`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TableRow {
    relid: Count,
    schemaname: Text,
    relname: Text,
    seq_scan: Count,
    seq_tup_read: Count,
    idx_scan: Count,
    idx_tup_fetch: Count,
    n_tup_ins: Count,
    n_tup_upd: Count,
    n_tup_del: Count,
    n_tup_hot_upd: Count,
    n_live_tup: Count,
    n_dead_tup: Count,
    n_mod_since_analyze: Count,
    last_vacuum: Time,
    last_autovacuum: Time,
    last_analyze: Time,
    last_autoanalyze: Time,
}

impl CsvRow for TableRow {
    type Record = Table;
    fn into_record(self) -> Option<Table> {
        Some(Table {
            relid: self.relid.0,
            schema: schema(self.schemaname),
            name: self.relname.0?,
            seq_scan: self.seq_scan.0,
            seq_tup_read: self.seq_tup_read.0,
            idx_scan: self.idx_scan.0,
            idx_tup_fetch: self.idx_tup_fetch.0,
            n_tup_ins: self.n_tup_ins.0,
            n_tup_upd: self.n_tup_upd.0,
            n_tup_del: self.n_tup_del.0,
            n_tup_hot_upd: self.n_tup_hot_upd.0,
            n_live_tup: self.n_live_tup.0,
            n_dead_tup: self.n_dead_tup.0,
            n_mod_since_analyze: self.n_mod_since_analyze.0,
            last_vacuum: self.last_vacuum.0,
            last_autovacuum: self.last_autovacuum.0,
            last_analyze: self.last_analyze.0,
            last_autoanalyze: self.last_autoanalyze.0,
            ..Default::default()
        })
    }
}

/// `pg_statio_user_tables`: block counters, as a partial table.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TableIoRow {
    schemaname: Text,
    relname: Text,
    heap_blks_read: Count,
    heap_blks_hit: Count,
    idx_blks_read: Count,
    idx_blks_hit: Count,
}

impl CsvRow for TableIoRow {
    type Record = Table;
    fn into_record(self) -> Option<Table> {
        Some(Table {
            schema: schema(self.schemaname),
            name: self.relname.0?,
            heap_blks_read: self.heap_blks_read.0,
            heap_blks_hit: self.heap_blks_hit.0,
            idx_blks_read: self.idx_blks_read.0,
            idx_blks_hit: self.idx_blks_hit.0,
            ..Default::default()
        })
    }
}

/// `pg_stat_user_indexes`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct IndexRow {
    schemaname: Text,
    relname: Text,
    indexrelname: Text,
    idx_scan: Count,
    idx_tup_read: Count,
    idx_tup_fetch: Count,
    last_idx_scan: Time,
}

impl CsvRow for IndexRow {
    type Record = Index;
    fn into_record(self) -> Option<Index> {
        Some(Index {
            schema: schema(self.schemaname),
            table: self.relname.0?,
            name: self.indexrelname.0?,
            idx_scan: self.idx_scan.0,
            idx_tup_read: self.idx_tup_read.0,
            idx_tup_fetch: self.idx_tup_fetch.0,
            last_idx_scan: self.last_idx_scan.0,
            ..Default::default()
        })
    }
}

/// `pg_statio_user_indexes`: block counters, as a partial index.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct IndexIoRow {
    schemaname: Text,
    relname: Text,
    indexrelname: Text,
    idx_blks_read: Count,
    idx_blks_hit: Count,
}

impl CsvRow for IndexIoRow {
    type Record = Index;
    fn into_record(self) -> Option<Index> {
        Some(Index {
            schema: schema(self.schemaname),
            table: self.relname.0?,
            name: self.indexrelname.0?,
            idx_blks_read: self.idx_blks_read.0,
            idx_blks_hit: self.idx_blks_hit.0,
            ..Default::default()
        })
    }
}

/// An index definition: pgsift's `indexes.csv` (catalog columns) or a plain
/// `pg_indexes` export.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct IndexDefRow {
    indexdef: Text,
    schemaname: Text,
    #[serde(alias = "relname")]
    tablename: Text,
    #[serde(alias = "indexrelname")]
    indexname: Text,
    #[serde(alias = "contype")]
    constraint_type: Text,
    indisprimary: Flag,
    indisunique: Flag,
    indisexclusion: Flag,
    indisvalid: Flag,
    #[serde(
        alias = "size_bytes",
        alias = "bytes",
        alias = "index_size_bytes",
        alias = "pg_relation_size"
    )]
    index_bytes: Count,
}

impl CsvRow for IndexDefRow {
    type Record = IndexDef;
    /// `None` without a parsable `indexdef`.
    fn into_record(self) -> Option<IndexDef> {
        let indexdef = self.indexdef.0?;
        let shape = indexdef::parse(&indexdef)?;
        let schema = self
            .schemaname
            .0
            .or_else(|| shape.schema.clone())
            .unwrap_or_else(|| "public".into());
        let table = self.tablename.0.unwrap_or_else(|| shape.table.clone());
        let name = self.indexname.0.unwrap_or_else(|| shape.name.clone());
        let constraint = self.constraint_type.0;
        let primary = self
            .indisprimary
            .0
            .unwrap_or(constraint.as_deref() == Some("p") || name.ends_with("_pkey"));
        let exclusion = self
            .indisexclusion
            .0
            .unwrap_or(constraint.as_deref() == Some("x"));
        Some(IndexDef {
            unique: self.indisunique.0.unwrap_or(shape.unique) || primary,
            primary,
            exclusion,
            valid: self.indisvalid.0.unwrap_or(true),
            catalog: self.indisprimary.0.is_some() || self.indisexclusion.0.is_some(),
            constraint,
            bytes: self.index_bytes.0,
            schema,
            table,
            name,
            shape,
            indexdef,
        })
    }
}

/// `pg_stat_database`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DatabaseRow {
    datid: Count,
    datname: Text,
    numbackends: Count,
    xact_commit: Count,
    xact_rollback: Count,
    blks_read: Count,
    blks_hit: Count,
    temp_files: Count,
    temp_bytes: Count,
    deadlocks: Count,
    stats_reset: Time,
    sessions: Count,
    idle_in_transaction_time: Float,
}

impl CsvRow for DatabaseRow {
    type Record = Database;
    fn into_record(self) -> Option<Database> {
        Some(Database {
            datid: self.datid.0,
            datname: self.datname.0.unwrap_or_default(),
            numbackends: self.numbackends.0,
            xact_commit: self.xact_commit.0,
            xact_rollback: self.xact_rollback.0,
            blks_read: self.blks_read.0,
            blks_hit: self.blks_hit.0,
            temp_files: self.temp_files.0,
            temp_bytes: self.temp_bytes.0,
            deadlocks: self.deadlocks.0,
            stats_reset: self.stats_reset.0,
            sessions: self.sessions.0,
            idle_in_transaction_ms: self.idle_in_transaction_time.0,
        })
    }
}

/// `pg_stat_bgwriter` (any version) or `pg_stat_checkpointer` (17+, which
/// renamed the checkpoint columns it took over).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CheckpointsRow {
    #[serde(alias = "checkpoints_timed")]
    num_timed: Count,
    #[serde(alias = "checkpoints_req")]
    num_requested: Count,
    #[serde(alias = "checkpoint_write_time")]
    write_time: Float,
    #[serde(alias = "checkpoint_sync_time")]
    sync_time: Float,
    #[serde(alias = "buffers_checkpoint")]
    buffers_written: Count,
    buffers_clean: Count,
    maxwritten_clean: Count,
    buffers_backend: Count,
    buffers_alloc: Count,
    stats_reset: Time,
}

impl CsvRow for CheckpointsRow {
    type Record = Checkpoints;
    fn into_record(self) -> Option<Checkpoints> {
        Some(Checkpoints {
            timed: self.num_timed.0,
            requested: self.num_requested.0,
            write_ms: self.write_time.0,
            sync_ms: self.sync_time.0,
            buffers_checkpoint: self.buffers_written.0,
            buffers_clean: self.buffers_clean.0,
            maxwritten_clean: self.maxwritten_clean.0,
            buffers_backend: self.buffers_backend.0,
            buffers_alloc: self.buffers_alloc.0,
            stats_reset: self.stats_reset.0,
        })
    }
}

/// `pg_stat_activity`, with pgsift's `blocked_by` and `snapshot_at` columns.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SessionRow {
    pid: Count,
    datname: Text,
    usename: Text,
    application_name: Text,
    client_addr: Text,
    backend_type: Text,
    state: Text,
    xact_start: Time,
    query_start: Time,
    state_change: Time,
    wait_event_type: Text,
    wait_event: Text,
    query: Text,
    #[serde(alias = "pg_blocking_pids")]
    blocked_by: Pids,
    snapshot_at: Time,
}

impl CsvRow for SessionRow {
    type Record = Session;
    fn into_record(self) -> Option<Session> {
        Some(Session {
            pid: self.pid.0,
            datname: self.datname.0,
            user: self.usename.0,
            app: self.application_name.0,
            client: self.client_addr.0,
            backend_type: self.backend_type.0,
            state: self.state.0,
            xact_start: self.xact_start.0,
            query_start: self.query_start.0,
            state_change: self.state_change.0,
            wait_event_type: self.wait_event_type.0,
            wait_event: self.wait_event.0,
            query: self.query.0,
            blocked_by: self.blocked_by.pids,
            blocked_by_known: self.blocked_by.known,
            snapshot_at: self.snapshot_at.0,
        })
    }
}

/// `pg_locks`, with pgsift's `relation_name` column.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LockRow {
    pid: Count,
    locktype: Text,
    mode: Text,
    granted: Flag,
    relation_name: Text,
    waitstart: Time,
    database: Text,
    relation: Text,
    page: Text,
    tuple: Text,
    virtualxid: Text,
    transactionid: Text,
    classid: Text,
    objid: Text,
    objsubid: Text,
}

impl CsvRow for LockRow {
    type Record = Lock;
    /// `None` without lock type, mode or `granted`.
    fn into_record(self) -> Option<Lock> {
        let parts = [
            &self.database,
            &self.relation,
            &self.page,
            &self.tuple,
            &self.virtualxid,
            &self.transactionid,
            &self.classid,
            &self.objid,
            &self.objsubid,
            &self.relation_name,
        ]
        .map(|c| c.0.as_deref().unwrap_or(""));
        let object = parts.iter().any(|p| !p.is_empty()).then(|| parts.join("/"));
        Some(Lock {
            pid: self.pid.0,
            locktype: self.locktype.0?,
            mode: self.mode.0?,
            granted: self.granted.0?,
            relation: self.relation_name.0,
            object,
            waitstart: self.waitstart.0,
        })
    }
}

/// pgsift's `table_sizes.csv`, or sizes as people query them (the size
/// functions' own names, or `*_size` names).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TableSizeRow {
    schemaname: Text,
    relname: Text,
    relkind: Text,
    reltuples: Count,
    #[serde(
        alias = "pg_relation_size",
        alias = "table_size",
        alias = "relation_size"
    )]
    table_bytes: Count,
    #[serde(
        alias = "pg_indexes_size",
        alias = "indexes_size",
        alias = "index_size"
    )]
    indexes_bytes: Count,
    #[serde(alias = "pg_total_relation_size", alias = "total_size")]
    total_bytes: Count,
}

impl CsvRow for TableSizeRow {
    type Record = TableSize;
    fn into_record(self) -> Option<TableSize> {
        Some(TableSize {
            schema: schema(self.schemaname),
            name: self.relname.0?,
            relkind: self.relkind.0,
            reltuples: self.reltuples.0,
            table_bytes: self.table_bytes.0,
            indexes_bytes: self.indexes_bytes.0,
            total_bytes: self.total_bytes.0,
        })
    }
}

/// pgsift's `foreign_keys.csv`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ForeignKeyRow {
    schemaname: Text,
    #[serde(alias = "relname")]
    tablename: Text,
    conname: Text,
    columns: Text,
    referenced_table: Text,
}

impl CsvRow for ForeignKeyRow {
    type Record = ForeignKey;
    fn into_record(self) -> Option<ForeignKey> {
        Some(ForeignKey {
            schema: schema(self.schemaname),
            table: self.tablename.0?,
            name: self.conname.0?,
            columns: self
                .columns
                .0?
                .split(',')
                .map(|c| c.trim().trim_matches('"').to_string())
                .collect(),
            referenced: self.referenced_table.0,
        })
    }
}

/// `pg_settings`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SettingRow {
    name: Text,
    setting: Text,
    unit: Text,
}

impl CsvRow for SettingRow {
    type Record = Setting;
    fn into_record(self) -> Option<Setting> {
        Some(Setting {
            name: self.name.0?,
            setting: self.setting.0.unwrap_or_default(),
            unit: self.unit.0,
        })
    }
}

/// `pg_stats` (statistics columns only, no data values).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ColumnStatRow {
    schemaname: Text,
    tablename: Text,
    attname: Text,
    n_distinct: Float,
    null_frac: Float,
    correlation: Float,
}

/// A row of `columns.csv` (pgsift's export).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TableColumnRow {
    schemaname: Text,
    tablename: Text,
    column_name: Text,
    data_type: Text,
    not_null: Flag,
}

impl CsvRow for TableColumnRow {
    type Record = TableColumn;
    fn into_record(self) -> Option<TableColumn> {
        Some(TableColumn {
            schema: schema(self.schemaname),
            table: self.tablename.0?,
            column: self.column_name.0?,
            data_type: self.data_type.0,
            not_null: self.not_null.0,
        })
    }
}

impl CsvRow for ColumnStatRow {
    type Record = ColumnStat;
    fn into_record(self) -> Option<ColumnStat> {
        Some(ColumnStat {
            schema: schema(self.schemaname),
            table: self.tablename.0?,
            column: self.attname.0?,
            n_distinct: self.n_distinct.0,
            null_frac: self.null_frac.0,
            correlation: self.correlation.0,
        })
    }
}

/// `pg_stat_wal` (14+).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct WalRow {
    wal_records: Count,
    wal_fpi: Count,
    wal_bytes: Count,
    wal_buffers_full: Count,
    wal_write: Count,
    wal_sync: Count,
    stats_reset: Time,
}

impl CsvRow for WalRow {
    type Record = Wal;
    fn into_record(self) -> Option<Wal> {
        Some(Wal {
            records: self.wal_records.0,
            fpi: self.wal_fpi.0,
            bytes: self.wal_bytes.0,
            buffers_full: self.wal_buffers_full.0,
            write: self.wal_write.0,
            sync: self.wal_sync.0,
            stats_reset: self.stats_reset.0,
        })
    }
}

/// `pg_stat_io` (16+): one row per backend type, object and context.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct IoRow {
    backend_type: Text,
    object: Text,
    context: Text,
    reads: Count,
    writes: Count,
    hits: Count,
    evictions: Count,
    fsyncs: Count,
}

impl CsvRow for IoRow {
    type Record = Io;
    fn into_record(self) -> Option<Io> {
        Some(Io {
            backend_type: self.backend_type.0?,
            object: self.object.0?,
            context: self.context.0.unwrap_or_default(),
            reads: self.reads.0,
            writes: self.writes.0,
            hits: self.hits.0,
            evictions: self.evictions.0,
            fsyncs: self.fsyncs.0,
        })
    }
}
