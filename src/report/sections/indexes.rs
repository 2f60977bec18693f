//! "Indexes": invalid, duplicate, redundant and unused indexes and foreign keys
//! without an index, each with the SQL to change and roll back; the
//! never-scanned indexes kept on purpose; the write overhead per table.

use crate::analyze::Audit;
use crate::report::rows::{count_or_dash, ratio_or_dash};
use crate::units::{bytes, count};
use askama::Template;
use std::fmt;

/// What is wrong with an index (or a foreign key).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum IndexProblem {
    #[default]
    Invalid,
    Duplicate,
    Redundant,
    Unused,
    ForeignKeyWithoutIndex,
}

impl fmt::Display for IndexProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IndexProblem::Invalid => "invalid",
            IndexProblem::Duplicate => "duplicate",
            IndexProblem::Redundant => "redundant",
            IndexProblem::Unused => "unused",
            IndexProblem::ForeignKeyWithoutIndex => "foreign key without index",
        })
    }
}

/// A finding row: a name, what it is, and the SQL to change and roll back.
#[derive(Debug, Clone, Default)]
pub struct IndexRow {
    pub kind: IndexProblem,
    /// The index, or the foreign key constraint.
    pub index: String,
    pub table: String,
    pub detail: String,
    pub size: String,
    pub change: String,
    pub rollback: String,
}

/// A never-scanned index not flagged, and why.
#[derive(Debug, Clone, Default)]
pub struct KeptIndexRow {
    pub index: String,
    pub table: String,
    pub reason: String,
}

/// The indexes a table's writes maintain.
#[derive(Debug, Clone, Default)]
pub struct WriteOverheadRow {
    pub table: String,
    pub indexes: String,
    pub writes: String,
    pub rate: String,
    pub hot_updates: String,
    pub note: String,
}

#[derive(Debug, Default, Template)]
#[template(path = "sections/indexes.html")]
pub struct IndexesSection {
    pub index_summary: String,
    pub index_limits: Vec<String>,
    pub index_rows: Vec<IndexRow>,
    /// What the statistics window means for "unused" (under the table).
    pub window_caveat: String,
    pub kept: Vec<KeptIndexRow>,
    pub write_overhead: Vec<WriteOverheadRow>,
}

pub fn build(a: &Audit, _top: usize) -> IndexesSection {
    let ix = &a.stats.indexes;
    IndexesSection {
        index_summary: format!(
            "{} index definitions read: {} unused, {} duplicate, {} redundant, {} invalid; {} never-scanned indexes kept on purpose (below).",
            count(ix.count as u64),
            ix.unused.len(),
            ix.duplicates.len(),
            ix.redundant.len(),
            ix.invalid.len(),
            ix.not_flagged.len()
        ),
        index_limits: ix.limits.clone(),
        index_rows: index_rows(a),
        window_caveat: a
            .stats
            .stats_window
            .as_ref()
            .map(|w| w.caveat.clone())
            .unwrap_or_default(),
        kept: ix
            .not_flagged
            .iter()
            .map(|k| KeptIndexRow {
                index: k.index.clone(),
                table: k.table.clone(),
                reason: k.reason.clone(),
            })
            .collect(),
        write_overhead: ix
            .write_overhead
            .iter()
            .map(|x| WriteOverheadRow {
                table: x.table.clone(),
                indexes: count(x.indexes as u64),
                writes: count(x.writes),
                rate: x
                    .writes_per_s
                    .map_or_else(|| "-".into(), |w| format!("{w:.1}/s")),
                hot_updates: ratio_or_dash(x.hot_update_ratio),
                note: x.note.clone(),
            })
            .collect(),
    }
}

/// Invalid, duplicate, redundant, unused indexes, then foreign keys without one.
fn index_rows(a: &Audit) -> Vec<IndexRow> {
    let ix = &a.stats.indexes;
    let size = |b: Option<u64>| b.map(bytes).unwrap_or_default();
    let mut rows = Vec::new();
    for x in &ix.invalid {
        rows.push(IndexRow {
            kind: IndexProblem::Invalid,
            index: x.index.clone(),
            table: x.table.clone(),
            detail:
                "a failed CREATE INDEX CONCURRENTLY left it: written on every change, never read"
                    .into(),
            size: size(x.bytes),
            change: format!("{} -- then build it again if it is needed", x.drop),
            rollback: x.rollback.clone(),
        });
    }
    for x in &ix.duplicates {
        rows.push(IndexRow {
            kind: IndexProblem::Duplicate,
            index: x.index.clone(),
            table: x.table.clone(),
            detail: format!(
                "same columns ({}) as {}; scanned {} times",
                x.columns.join(", "),
                x.duplicate_of,
                count_or_dash(x.idx_scan)
            ),
            size: size(x.bytes),
            change: x.drop.clone(),
            rollback: x.rollback.clone(),
        });
    }
    for x in &ix.redundant {
        rows.push(IndexRow {
            kind: IndexProblem::Redundant,
            index: x.index.clone(),
            table: x.table.clone(),
            detail: format!(
                "({}) is a left prefix of {} ({}); scanned {} times (those scans can use the longer index)",
                x.columns.join(", "),
                x.covered_by,
                x.covering_columns.join(", "),
                count_or_dash(x.idx_scan)
            ),
            size: size(x.bytes),
            change: x.drop.clone(),
            rollback: x.rollback.clone(),
        });
    }
    for x in &ix.unused {
        rows.push(IndexRow {
            kind: IndexProblem::Unused,
            index: x.index.clone(),
            table: x.table.clone(),
            detail: format!("({}): 0 scans in the window", x.columns.join(", ")),
            size: size(x.bytes),
            change: x.drop.clone(),
            rollback: x.rollback.clone(),
        });
    }
    for x in &ix.fk_without_index {
        rows.push(IndexRow {
            kind: IndexProblem::ForeignKeyWithoutIndex,
            index: x.constraint.clone(),
            table: x.table.clone(),
            detail: format!(
                "({}) references {}: deletes and key updates there scan this table",
                x.columns.join(", "),
                x.referenced.as_deref().unwrap_or("?")
            ),
            size: String::new(),
            change: x.create.clone(),
            rollback: x.rollback.clone(),
        });
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_go_from_invalid_to_foreign_keys_and_name_the_problem() {
        let mut a = Audit::default();
        let ix = &mut a.stats.indexes;
        ix.fk_without_index.push(Default::default());
        ix.unused.push(Default::default());
        ix.invalid.push(Default::default());
        ix.invalid[0].drop = "DROP INDEX i;".into();
        let rows = index_rows(&a);
        let kinds: Vec<String> = rows.iter().map(|r| r.kind.to_string()).collect();
        assert_eq!(kinds, ["invalid", "unused", "foreign key without index"]);
        assert_eq!(
            rows[0].change,
            "DROP INDEX i; -- then build it again if it is needed"
        );
        assert!(rows[2].detail.contains("references ?"));
    }
}
