//! Index recommendations from query text, corroborated by evidence: per table,
//! the equality/IN columns of each query first, then at most one range column,
//! else its sort columns; skipped when an existing valid btree index already
//! starts with them; kept only when a sequential scan of that table is shown (by
//! the statistics or by an auto_explain plan); ranked by the time of the queries
//! they serve. Every candidate carries its DDL, rollback, write overhead and
//! validation steps.
//!
//! The steps, each in its own module: [`served`] (the queries and their time),
//! [`table_match`] (the table in the statistics), [`columns`] (the key columns
//! from the query text), [`corroboration`] (sequential scans shown),
//! [`grouping`] (candidates pooled and merged by leading column), [`naming`]
//! and [`recommendation`] (the DDL and its texts).

mod columns;
mod corroboration;
mod grouping;
mod naming;
mod recommendation;
mod served;
mod table_match;

#[cfg(test)]
mod test_support;

use super::QueryReport;
use super::activity::PlanView;
use super::stats::{SeqScanTable, StatementReport};
use crate::normalize::shape::shape;
use crate::stats::snapshot::DatabaseStats;
use grouping::Candidates;
use naming::IndexNames;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use table_match::TableRef;

/// A candidate serving less than this share of all query time is noise.
const MIN_SHARE: f64 = 0.005;
/// At most this many recommendations.
const MAX_RECOMMENDATIONS: usize = 10;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct IndexRecommendation {
    /// The database to run it in (null when the statistics do not name it).
    pub database: Option<String>,
    /// `schema.table` (as the statistics name it, or as the queries write it).
    pub table: String,
    pub columns: Vec<String>,
    /// The index name proposed.
    pub index: String,
    pub create: String,
    pub rollback: String,
    /// Time of the queries it serves (pg_stat_statements totals when the query
    /// is there, else the log's), ms.
    pub served_ms: f64,
    /// The queries it serves, by fingerprint (most time first).
    pub queries: Vec<String>,
    /// `seq_scan_stats` (pg_stat_user_tables) and/or `plan` (auto_explain).
    pub evidence: Vec<String>,
    /// Sequential scans of the table in the window, rows read by them, live rows.
    pub seq_scan: Option<u64>,
    pub seq_tup_read: Option<u64>,
    pub n_live_tup: Option<u64>,
    /// Existing indexes on the table (null: definitions not exported).
    pub existing_indexes: Option<usize>,
    /// An existing index it extends (same leading columns).
    pub extends: Option<String>,
    pub write_overhead: String,
    pub verify: Vec<String>,
    pub caveats: Vec<String>,
    pub target: String,
}

/// Builds the recommendations: every query's tables, each with the key
/// columns its text asks for, kept when sequential scans are shown, pooled by
/// table and leading column, then the busiest [`MAX_RECOMMENDATIONS`] serving
/// at least [`MIN_SHARE`] of all query time.
pub(crate) fn build(
    queries: &[QueryReport],
    statements: &[StatementReport],
    plans: &[PlanView],
    dbs: &[DatabaseStats],
    seq_heavy: &[SeqScanTable],
) -> Vec<IndexRecommendation> {
    let served = served::served_queries(queries, statements);
    let plan_of: BTreeMap<&str, &PlanView> =
        plans.iter().map(|p| (p.fingerprint.as_str(), p)).collect();
    let mut candidates = Candidates::default();
    for s in served.values() {
        let sh = shape(s.normalized);
        if !sh.reads {
            continue;
        }
        for table in &sh.tables {
            let uses: Vec<_> = sh.uses.iter().filter(|u| &u.table == table).collect();
            let found = TableRef::resolve(dbs, table, s.database);
            let plan = plan_of.get(s.fingerprint).copied();
            let probed =
                plan.map(|p| corroboration::plan_nested_loop_inner(&p.text, found.name.as_str()));
            let Some(cols) = columns::key_columns(&uses, sh.has_or, &found.existing, probed) else {
                continue;
            };
            let Some(evidence) = corroboration::corroborate(&found, &cols, plan, seq_heavy) else {
                continue;
            };
            candidates.add(&found, cols, s, evidence);
        }
    }
    let total_ms: f64 = served.values().map(|s| s.served_ms).sum();
    let mut names = IndexNames::default();
    let mut out: Vec<IndexRecommendation> = candidates
        .merge_by_leading_column()
        .into_iter()
        .filter(|c| c.served_ms >= MIN_SHARE * total_ms)
        .map(|c| {
            let name = names.allocate(&c);
            recommendation::recommend(c, name, seq_heavy)
        })
        .collect();
    out.sort_by(|a, b| {
        b.served_ms
            .total_cmp(&a.served_ms)
            .then(a.table.cmp(&b.table))
            .then(a.columns.cmp(&b.columns))
    });
    out.truncate(MAX_RECOMMENDATIONS);
    out
}

#[cfg(test)]
mod tests;
