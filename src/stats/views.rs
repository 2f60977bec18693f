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

impl View {
    /// The view a header describes, or why it is none.
    pub fn recognize(header: &Header) -> Result<View, String> {
        if let Some(v) = View::ALL
            .iter()
            .find(|v| v.signature().iter().all(|c| header.has(c)))
        {
            return Ok(*v);
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
    pub fn new<'a>(fields: impl IntoIterator<Item = &'a str>) -> Header {
        let names: Vec<String> = fields
            .into_iter()
            .map(|f| f.trim().trim_start_matches('\u{feff}').to_ascii_lowercase())
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

#[cfg(test)]
mod tests;
