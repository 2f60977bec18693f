//! Statistics layer: CSV exports of `pg_stat_*` views and catalogs -> typed
//! records, grouped per folder into a mergeable [`StatsInput`]; assembled into
//! snapshots per database and reduced to the window between the first and last
//! snapshot ([`snapshot`], [`window`]).
//!
//! Each view is declared once, in the table of [`views`]; its CSV rows are read
//! by a serde row type ([`rows`], cells as [`cell`] says) into its record
//! ([`records`]). A CSV is recognized by its header, never by its file name;
//! every column name PostgreSQL 12 to 18 used is accepted; a CSV that is not a
//! view pgsift reads is listed as skipped; a damaged row is counted and shown,
//! never fatal ([`reader`]).

pub mod cell;
pub mod indexdef;
pub mod reader;
pub mod records;
pub mod rows;
pub mod snapshot;
pub mod sources;
pub mod views;
pub mod window;

use crate::merge::Merge;
use crate::parse::timestamp::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub use reader::read_csv;
pub use views::Records;

/// A row with the snapshot it belongs to, as far as the row says
/// (`snapshot_at` and, for per-database views, `datname` columns).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Keyed<T> {
    pub at: Option<Timestamp>,
    pub db: Option<String>,
    pub row: T,
}

/// Every statistics CSV read, by folder (the folder of each file: one export).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StatsInput {
    pub folders: BTreeMap<String, Records>,
}

impl Merge for StatsInput {
    fn merge(&mut self, o: Self) {
        for (k, v) in o.folders {
            match self.folders.get_mut(&k) {
                Some(r) => r.merge(v),
                None => {
                    self.folders.insert(k, v);
                }
            }
        }
    }
}

impl StatsInput {
    pub fn is_empty(&self) -> bool {
        self.folders.values().all(Records::is_empty)
    }
}
