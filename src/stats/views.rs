//! The statistics views pgsift reads, declared once in [`statistics_views!`]:
//! one line per view gives its name in the report, where its rows go in
//! [`Records`], its CSV row type, whether its `datname` names the snapshot's
//! database, and the columns that recognize it. The [`View`] enum, header
//! recognition, the records container and its merge are generated from it.
//!
//! A CSV is recognized from its header, never from its file name.

use super::Keyed;
use super::reader::{self, RowRead};
use super::rows::*;
use super::snapshot::Place;
use crate::merge::Merge;
use crate::parse::timestamp::Timestamp;
use csv::StringRecord;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// Whether a view's `datname` column names the snapshot's database (`database`)
/// or the row's own subject: a session's, a statement's, a database's row
/// (`cluster`).
macro_rules! per_database {
    (database) => {
        true
    };
    (cluster) => {
        false
    };
}

/// Generates [`View`] and [`Records`] from the table of views below. A line
/// whose field is marked `(also)` adds its rows to the field of an earlier line.
macro_rules! statistics_views {
    ($(
        $(#[$doc:meta])*
        $view:ident = $name:literal,
        $field:ident $(($also:ident))?: $row:ty,
        $scope:ident,
        [$($col:literal),+ $(,)?];
    )+) => {
        /// A view (or catalog query) pgsift reads from a CSV export.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum View {
            $( $(#[$doc])* $view, )+
        }

        impl View {
            /// Every view, in the order headers are tried (more specific first).
            pub const ALL: &'static [View] = &[$(View::$view),+];

            /// The view's name as the report shows it.
            pub fn name(self) -> &'static str {
                match self { $(View::$view => $name,)+ }
            }

            /// Columns a header must have to be this view: only columns every
            /// version from 12 to 18 has.
            pub fn signature(self) -> &'static [&'static str] {
                match self { $(View::$view => &[$($col),+],)+ }
            }

            /// Whether the view's `datname` column names the snapshot's database.
            pub fn per_database(self) -> bool {
                match self { $(View::$view => per_database!($scope),)+ }
            }

            /// The header names as this view's row type reads them ([`reader::fit`]).
            pub fn fit_header(self, names: &StringRecord) -> StringRecord {
                match self { $(View::$view => reader::fit::<$row>(names),)+ }
            }
        }

        impl Records {
            /// Reads one data row of `view` into its rows; `header` is the
            /// view's fitted header ([`View::fit_header`]).
            pub fn add(&mut self, view: View, header: &StringRecord, record: &StringRecord) -> RowRead {
                match view {
                    $(View::$view => reader::read_row::<$row>(
                        header,
                        record,
                        per_database!($scope),
                        &mut self.$field,
                    ),)+
                }
            }
        }

        records_container!(@fields [] $( $field $(($also))?: $row; )+);
    };
}

/// [`Records`], its merge and [`Records::placed_rows`], over the distinct fields
/// of the table (collected one line at a time, skipping `(also)` lines).
macro_rules! records_container {
    (@fields [$($done:tt)*] $field:ident: $row:ty; $($rest:tt)*) => {
        records_container!(@fields [$($done)* $field: $row;] $($rest)*);
    };
    (@fields [$($done:tt)*] $field:ident (also): $row:ty; $($rest:tt)*) => {
        records_container!(@fields [$($done)*] $($rest)*);
    };
    (@fields [$($field:ident: $row:ty;)+]) => {
        /// Every row read from the CSVs of one folder, by view.
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
        pub struct Records {
            $( pub $field: Vec<Keyed<<$row as CsvRow>::Record>>, )+
            /// Views read in this folder, with their files.
            pub views: BTreeMap<String, Vec<String>>,
            /// Snapshot times found together in one file (more than one): always
            /// distinct snapshots.
            pub times_in_one_file: Vec<Vec<Timestamp>>,
            /// The latest modification time of the folder's files (none for
            /// stdin): orders exports that carry no snapshot time.
            #[serde(default)]
            pub modified: Option<Timestamp>,
        }

        impl Records {
            /// Every row with its snapshot time and database, field after field
            /// in the table's order.
            pub fn placed_rows(&self) -> Vec<PlacedRow<'_>> {
                let mut out = Vec::new();
                $( out.extend(self.$field.iter().map(|k| PlacedRow {
                    at: k.at,
                    db: k.db.as_deref(),
                    row: &k.row,
                })); )+
                out
            }
        }

        impl Merge for Records {
            fn merge(&mut self, o: Self) {
                $( self.$field.extend(o.$field); )+
                self.times_in_one_file.extend(o.times_in_one_file);
                self.modified = self.modified.max(o.modified);
                for (v, mut files) in o.views {
                    let e = self.views.entry(v).or_default();
                    e.append(&mut files);
                    e.sort();
                }
            }
        }
    };
}

// The table. Its order is the order headers are tried (more specific first) and
// the order rows join their snapshot (a table's `pg_stat_user_tables` row before
// its `pg_statio_user_tables` row, which completes it).
statistics_views! {
    /// `meta.csv` of pgsift's export: snapshot time, database, versions.
    Meta = "snapshot metadata", meta: MetaRow, database, ["snapshot_at", "server_version_num"];
    Statements = "pg_stat_statements", statements: StatementRow, cluster, ["queryid", "calls", "query"];
    StatementsInfo = "pg_stat_statements_info", statements_info: StatementsInfoRow, cluster, ["dealloc", "stats_reset"];
    Indexes = "pg_stat_user_indexes", indexes: IndexRow, database, ["relname", "indexrelname", "idx_scan"];
    IndexIo = "pg_statio_user_indexes", index_io: IndexIoRow, database, ["indexrelname", "idx_blks_read", "idx_blks_hit"];
    Tables = "pg_stat_user_tables", tables: TableRow, database, ["relname", "seq_scan", "seq_tup_read", "n_live_tup"];
    TableIo = "pg_statio_user_tables", table_io: TableIoRow, database, ["relname", "heap_blks_read", "heap_blks_hit"];
    Database = "pg_stat_database", databases: DatabaseRow, cluster, ["datname", "xact_commit", "blks_read", "blks_hit"];
    /// Before 17 also the checkpoint counters.
    Bgwriter = "pg_stat_bgwriter", checkpoints: CheckpointsRow, cluster, ["buffers_clean", "buffers_alloc"];
    /// 17+: the checkpoint counters, renamed; one record with pg_stat_bgwriter's.
    Checkpointer = "pg_stat_checkpointer", checkpoints(also): CheckpointsRow, cluster, ["num_timed", "num_requested"];
    Activity = "pg_stat_activity", sessions: SessionRow, cluster, ["pid", "state", "query", "backend_start"];
    Locks = "pg_locks", locks: LockRow, cluster, ["locktype", "mode", "granted", "pid"];
    /// Index definitions: pgsift's `indexes.csv` or a plain `pg_indexes` export.
    IndexDefs = "index definitions", index_defs: IndexDefRow, database, ["indexname", "indexdef"];
    ForeignKeys = "foreign keys", foreign_keys: ForeignKeyRow, database, ["conname", "columns"];
    TableSizes = "table sizes", table_sizes: TableSizeRow, database, ["relname", "relkind", "total_bytes"];
    /// Sizes as people query them: `SELECT relname, pg_relation_size(oid),
    /// pg_total_relation_size(oid), reltuples FROM pg_class`.
    SizeFunctions = "table sizes", table_sizes(also): TableSizeRow, database, ["relname", "pg_total_relation_size"];
    SizeColumns = "table sizes", table_sizes(also): TableSizeRow, database, ["relname", "total_size"];
    Wal = "pg_stat_wal", wal: WalRow, cluster, ["wal_records", "wal_fpi", "wal_bytes", "wal_buffers_full"];
    /// 16+: I/O by backend type, object and context.
    Io = "pg_stat_io", io: IoRow, cluster, ["backend_type", "object", "context", "hits", "evictions"];
    ColumnStats = "pg_stats", column_stats: ColumnStatRow, database, ["tablename", "attname", "n_distinct"];
    /// pgsift's `columns.csv`: each user table's columns.
    Columns = "table columns", columns: TableColumnRow, database, ["tablename", "column_name", "data_type"];
    Settings = "pg_settings", settings: SettingRow, cluster, ["name", "setting"];
}

/// A row as it joins its snapshot ([`Records::placed_rows`]).
pub struct PlacedRow<'a> {
    pub at: Option<Timestamp>,
    pub db: Option<&'a str>,
    pub row: &'a dyn Place,
}

impl Records {
    pub fn is_empty(&self) -> bool {
        self.views.is_empty()
    }
}

/// Views pgsift recognizes and does not analyze (yet), with the columns that
/// recognize them: a file of one of them is named as such, not as unknown.
const RECOGNIZED_ONLY: &[(&str, &[&str])] = &[
    (
        "pg_stat_progress_vacuum",
        &["pid", "phase", "heap_blks_total"],
    ),
    (
        "pg_stat_progress_analyze",
        &["pid", "phase", "sample_blks_total"],
    ),
    (
        "pg_stat_progress_create_index",
        &["pid", "phase", "index_relid"],
    ),
    (
        "pg_stat_progress_cluster",
        &["pid", "phase", "cluster_index_relid"],
    ),
    (
        "pg_stat_progress_basebackup",
        &["pid", "phase", "backup_total"],
    ),
    (
        "pg_stat_progress_copy",
        &["pid", "command", "bytes_processed"],
    ),
    ("pg_stat_archiver", &["archived_count", "failed_count"]),
    ("pg_stat_replication", &["pid", "sent_lsn", "replay_lsn"]),
    (
        "pg_stat_wal_receiver",
        &["pid", "status", "receive_start_lsn"],
    ),
    (
        "pg_replication_slots",
        &["slot_name", "slot_type", "restart_lsn"],
    ),
    ("pg_stat_replication_slots", &["slot_name", "spill_txns"]),
    ("pg_stat_subscription", &["subname", "received_lsn"]),
    ("pg_stat_slru", &["name", "blks_zeroed", "blks_hit"]),
    (
        "pg_stat_user_functions",
        &["funcname", "calls", "self_time"],
    ),
    (
        "pg_stat_database_conflicts",
        &["datname", "confl_tablespace", "confl_lock"],
    ),
    ("pg_stat_ssl", &["pid", "ssl", "cipher"]),
    ("pg_stat_gssapi", &["pid", "gss_authenticated", "principal"]),
    ("pg_stat_recovery_prefetch", &["prefetch", "skip_init"]),
    ("pg_prepared_xacts", &["transaction", "gid", "prepared"]),
    ("pg_tables", &["schemaname", "tablename", "tableowner"]),
];

impl View {
    /// The views a header describes, or why it is none: one view, or a join
    /// of a view with its I/O counterpart (`pg_stat_user_tables` with
    /// `pg_statio_user_tables`, the same for indexes: each row is read as
    /// both). Any other header with the columns of two views is refused;
    /// a view pgsift does not analyze is named.
    pub fn recognize(header: &Header) -> Result<Vec<View>, String> {
        let matching: Vec<View> = View::ALL
            .iter()
            .copied()
            .filter(|v| v.signature().iter().all(|c| header.has(c)))
            .collect();
        let mut names: Vec<&str> = matching.iter().map(|v| v.name()).collect();
        names.dedup();
        // views of one object, joined: each row is read as each
        let per_table = |v: &View| {
            matches!(
                v,
                View::Tables
                    | View::TableIo
                    | View::TableSizes
                    | View::SizeFunctions
                    | View::SizeColumns
            )
        };
        let per_index = |v: &View| matches!(v, View::Indexes | View::IndexIo);
        if names.len() == 1 {
            return Ok(matching[..1].to_vec());
        }
        if !matching.is_empty()
            && (matching.iter().all(per_table) || matching.iter().all(per_index))
        {
            let mut views = Vec::new();
            for v in matching {
                // one spelling of table sizes is enough
                if !views.iter().any(|x: &View| x.name() == v.name()) {
                    views.push(v);
                }
            }
            return Ok(views);
        }
        if !matching.is_empty() {
            return Err(format!(
                "a CSV with the columns of several views ({}): pgsift cannot tell which rows are which; export each view to its own file",
                names.join(", ")
            ));
        }
        if let Some((name, _)) = RECOGNIZED_ONLY
            .iter()
            .find(|(_, cols)| cols.iter().all(|c| header.has(c)))
        {
            return Err(format!(
                "{name}: recognized, not analyzed (pgsift reads no evidence from it yet)"
            ));
        }
        // The closest view, to say what is missing.
        let best = View::ALL
            .iter()
            .map(|v| {
                let cols = v.signature();
                (cols.iter().filter(|c| header.has(c)).count(), *v, cols)
            })
            .filter(|(n, _, cols)| *n * 2 >= cols.len() && *n > 0)
            .max_by_key(|(n, _, _)| *n);
        Err(match best {
            Some((_, v, cols)) => format!(
                "a CSV that looks like {} but lacks the column(s) {}",
                v.name(),
                cols.iter()
                    .filter(|c| !header.has(c))
                    .copied()
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None => format!(
                "a CSV whose columns ({}) are not a statistics view pgsift reads",
                header.preview()
            ),
        })
    }
}

/// A CSV header: column name -> position. Names are compared in lower case.
#[derive(Debug, Clone, Default)]
pub struct Header {
    names: Vec<String>,
    index: HashMap<String, usize>,
}

impl Header {
    /// Names are trimmed, unquoted (a file read without quoting) and compared
    /// in lower case (`RELNAME` is `relname`).
    pub fn new<'a>(fields: impl IntoIterator<Item = &'a str>) -> Header {
        let names: Vec<String> = fields
            .into_iter()
            .map(|f| {
                let f = f.trim().trim_start_matches('\u{feff}');
                let f = f
                    .strip_prefix('"')
                    .and_then(|f| f.strip_suffix('"'))
                    .unwrap_or(f);
                f.trim().to_ascii_lowercase()
            })
            .collect();
        let mut index = HashMap::new();
        for (i, n) in names.iter().enumerate() {
            // the first of duplicate names wins (a joined `datname` comes later)
            index.entry(n.clone()).or_insert(i);
        }
        Header { names, index }
    }

    pub fn has(&self, name: &str) -> bool {
        self.index.contains_key(name)
    }

    /// The names, as a record to deserialize rows with.
    pub fn record(&self) -> StringRecord {
        StringRecord::from(self.names.clone())
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    fn preview(&self) -> String {
        let mut s = self
            .names
            .iter()
            .take(6)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        if self.names.len() > 6 {
            s.push_str(", ...");
        }
        s
    }
}

impl View {
    /// Columns of the view pgsift uses beyond its signature, each with what it
    /// shows (`a|b`: one column's names in different versions). Columns some
    /// supported version lacks are not listed: their absence is no loss.
    fn wanted(self) -> &'static [(&'static str, &'static str)] {
        match self {
            View::Statements => &[
                ("total_exec_time|total_time", "time per statement"),
                ("rows", "rows per call"),
                ("shared_blks_hit", "cache hits per statement"),
                ("shared_blks_read", "blocks read per statement"),
                ("dbid|datname", "each statement's database"),
            ],
            View::Tables => &[
                ("relid", "which exports are snapshots of one database"),
                ("schemaname", "each table's schema"),
                ("idx_scan", "index use per table"),
                ("n_tup_ins", "writes per table"),
                ("n_tup_upd", "writes per table"),
                ("n_tup_del", "writes per table"),
                ("n_dead_tup", "dead tuples"),
                ("last_autovacuum", "vacuum staleness"),
                ("last_autoanalyze", "analyze staleness"),
            ],
            View::Indexes => &[
                ("schemaname", "each index's schema"),
                ("idx_tup_read", "rows read per index"),
            ],
            View::Database => &[
                ("xact_rollback", "the rollback ratio"),
                ("temp_bytes", "temporary file volume"),
                ("deadlocks", "deadlocks"),
                ("stats_reset", "the start of the statistics window"),
                ("datid", "the databases of pg_stat_statements' dbid"),
            ],
            View::Activity => &[
                ("datname", "each session's database"),
                ("usename", "each session's user"),
                ("xact_start", "transaction age"),
                ("wait_event_type", "what sessions wait on"),
            ],
            View::Locks => &[("relation", "the locked table")],
            View::Settings => &[("unit", "the unit of sizes and times")],
            View::TableSizes | View::SizeFunctions | View::SizeColumns => {
                &[("reltuples", "row estimates")]
            }
            _ => &[],
        }
    }

    /// The wanted columns `header` lacks, each with what it would have shown.
    pub fn missing(self, header: &Header) -> Vec<String> {
        self.wanted()
            .iter()
            .filter(|(names, _)| !names.split('|').any(|n| header.has(n)))
            .map(|(names, what)| format!("{} ({what})", names.replace('|', " or ")))
            .collect()
    }
}

#[cfg(test)]
mod tests;
