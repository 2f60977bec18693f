//! Small hand-made statistics for the index advice's unit tests: an export of
//! one database with its tables and index definitions, an index from its DDL,
//! a table read by sequential scans.

use crate::analyze::stats::SeqScanTable;
use crate::stats::records::{IndexDef, Table};
use crate::stats::snapshot::{DatabaseStats, Snapshot, WindowSource};

/// The export of `database` with these `(schema, name)` tables and indexes;
/// its views say index definitions were exported when there are some.
pub(super) fn export(
    database: &str,
    tables: &[(&str, &str)],
    indexes: &[IndexDef],
) -> DatabaseStats {
    let mut views = std::collections::BTreeSet::new();
    if !tables.is_empty() {
        views.insert("pg_stat_user_tables".to_string());
    }
    if !indexes.is_empty() {
        views.insert("index definitions".to_string());
    }
    DatabaseStats {
        view: Snapshot {
            database: Some(database.into()),
            tables: tables
                .iter()
                .map(|(schema, name)| Table {
                    schema: schema.to_string(),
                    name: name.to_string(),
                    ..Default::default()
                })
                .collect(),
            index_defs: indexes.to_vec(),
            views,
            ..Default::default()
        },
        start: None,
        end: None,
        source: WindowSource::Unknown,
        snapshots: 1,
        ..Default::default()
    }
}

/// A valid index of `schema.table` from its `CREATE INDEX`.
pub(super) fn index(schema: &str, table: &str, ddl: &str) -> IndexDef {
    let shape = crate::stats::indexdef::parse(ddl).expect("an index definition");
    IndexDef {
        schema: schema.into(),
        table: table.into(),
        name: shape.name.clone(),
        shape,
        valid: true,
        indexdef: ddl.into(),
        ..Default::default()
    }
}

/// `table` (`schema.name`) of `database`, read mostly by sequential scans.
pub(super) fn seq_heavy(database: Option<&str>, table: &str) -> SeqScanTable {
    SeqScanTable {
        database: database.map(str::to_string),
        table: table.into(),
        seq_scan: 120,
        seq_tup_read: 1_200_000,
        n_live_tup: 10_000,
        rows_per_seq_scan: 10_000.0,
        ..Default::default()
    }
}
