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
mod order;
mod recommendation;
mod served;
mod table_match;

#[cfg(test)]
mod test_support;

use super::QueryReport;
use super::activity::PlanView;
use super::stats::{SeqScanTable, StatementReport};
use crate::normalize::shape::{Use, shape};
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
/// A candidate to confirm needs a read this slow at its p95: a lookup an index
/// already serves takes well under a millisecond, a scan of a table worth an
/// index takes more (the samples' 40,000-row scans: 4-5 ms).
const CONFIRM_MIN_P95_MS: f64 = 2.0;
/// ... and either this many executions in the log (frequent) ...
const CONFIRM_MIN_EXECUTIONS: u64 = 10;
/// ... or a p95 this slow (slow).
const CONFIRM_SLOW_P95_MS: f64 = 100.0;

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
    /// The table's size in rows as the decision took it, and which counter gave
    /// it (`n_live_tup`, `reltuples`, `seq_tup_read / seq_scan`).
    #[serde(default)]
    pub table_rows: Option<u64>,
    #[serde(default)]
    pub table_rows_from: Option<String>,
    /// Existing indexes on the table (null: definitions not exported).
    pub existing_indexes: Option<usize>,
    /// An existing index it extends (same leading columns).
    pub extends: Option<String>,
    pub write_overhead: String,
    pub verify: Vec<String>,
    pub caveats: Vec<String>,
    pub target: String,
    /// Why the columns come in this order: each one's role, then the rule.
    #[serde(default)]
    pub order: String,
}

/// An index a query's text asks for on a table that nothing shows how it is
/// read (no statistics of the table, no plan of the query): not a
/// recommendation, a candidate to confirm, with the EXPLAIN to run and the
/// export that would settle it. Never silence, never advice without evidence.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct IndexCandidate {
    /// `table` as the queries write it.
    pub table: String,
    pub columns: Vec<String>,
    /// Time of the queries it would serve (the log's), ms.
    pub served_ms: f64,
    /// The queries, by fingerprint (most time first).
    pub queries: Vec<String>,
    /// What to run to see how the busiest of them reads the table.
    pub explain: String,
    /// What would confirm or rule it out.
    pub confirm: String,
}

/// What the index advice found: recommendations with evidence, and candidates
/// the inputs cannot confirm.
#[derive(Debug, Clone, Default)]
pub struct IndexAdvice {
    pub recommendations: Vec<IndexRecommendation>,
    pub to_confirm: Vec<IndexCandidate>,
    /// Candidates dropped because the export's columns of their table do not
    /// have one of theirs (`schema.table.column`, once each).
    pub unknown_columns: Vec<String>,
    /// Candidates dropped because their query's plan shows the filter keeping
    /// more than [`corroboration::MAX_KEPT_SHARE`] of the rows scanned.
    pub unselective: Vec<String>,
}

/// Builds the recommendations (see [`advise`]).
#[cfg(test)]
pub(crate) fn build(
    queries: &[QueryReport],
    statements: &[StatementReport],
    plans: &[PlanView],
    dbs: &[DatabaseStats],
    seq_heavy: &[SeqScanTable],
) -> Vec<IndexRecommendation> {
    advise(queries, statements, plans, dbs, seq_heavy).recommendations
}

/// Builds the advice: every query's tables, each with the key columns its text
/// asks for, kept when sequential scans are shown, pooled by table and leading
/// column, then the busiest [`MAX_RECOMMENDATIONS`] serving at least
/// [`MIN_SHARE`] of all query time; the same for candidates on tables that
/// neither statistics nor the query's plan show.
pub(crate) fn advise(
    queries: &[QueryReport],
    statements: &[StatementReport],
    plans: &[PlanView],
    dbs: &[DatabaseStats],
    seq_heavy: &[SeqScanTable],
) -> IndexAdvice {
    let served = served::served_queries(queries, statements);
    let plan_of: BTreeMap<&str, &PlanView> =
        plans.iter().map(|p| (p.fingerprint.as_str(), p)).collect();
    let mut candidates = Candidates::default();
    let mut unconfirmed = Candidates::default();
    let mut unknown_columns: std::collections::BTreeSet<String> = Default::default();
    let mut unselective: std::collections::BTreeSet<String> = Default::default();
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
            let column_stats = found.column_stats();
            let Some(cols) = columns::key_columns_ordered(
                &uses,
                sh.has_or,
                &found.existing,
                probed,
                &column_stats,
            ) else {
                continue;
            };
            // with the table's columns exported, a name that is not one of them
            // (an output alias the text walk could not tell) is dropped, and said
            let known = found.columns();
            if let Some(bad) = cols
                .iter()
                .find(|c| !known.is_empty() && !known.contains(&c.as_str()))
            {
                unknown_columns.insert(format!("{}.{bad}", found.qualified()));
                continue;
            }
            // the query's own plan shows the filter keeps too many rows for an
            // index to pay (unless the index would also give a top-N its order)
            let top_n = s.normalized.contains(" limit ")
                && cols.iter().any(|c| {
                    uses.iter()
                        .any(|u| u.usage == Use::OrderBy && &u.column == c)
                });
            if let Some(kept) = plan
                .and_then(|p| corroboration::plan_kept_share(&p.text, found.name.as_str()))
                .filter(|k| *k > corroboration::MAX_KEPT_SHARE && !top_n)
            {
                unselective.insert(format!(
                    "{} ({}): the query's plan keeps {} of the rows its scan reads",
                    found.qualified(),
                    cols.join(", "),
                    crate::units::percent(kept)
                ));
                continue;
            }
            match corroboration::corroborate(&found, &cols, plan, seq_heavy) {
                Some(evidence) => candidates.add(&found, cols, s, evidence),
                None if found.db.is_none()
                    && plan.is_none()
                    && sh.tables.len() == 1
                    && worth_confirming(s, table) =>
                {
                    unconfirmed.add(&found, cols, s, Default::default())
                }
                None => {}
            }
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
            let mut texts: Vec<(f64, &str)> = c
                .queries
                .iter()
                .filter_map(|q| Some((q.served_ms, served.get(q.fingerprint.as_str())?.normalized)))
                .collect();
            texts.sort_by(|a, b| b.0.total_cmp(&a.0));
            let texts: Vec<&str> = texts.into_iter().map(|(_, t)| t).collect();
            let order = order::explain(&c.columns, &c.table, &texts);
            IndexRecommendation {
                order,
                ..recommendation::recommend(c, name, seq_heavy)
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.served_ms
            .total_cmp(&a.served_ms)
            .then(a.table.cmp(&b.table))
            .then(a.columns.cmp(&b.columns))
    });
    out.truncate(MAX_RECOMMENDATIONS);
    let normalized: BTreeMap<&str, &str> = served
        .values()
        .map(|s| (s.fingerprint, s.normalized))
        .collect();
    // a candidate whose table and leading column a recommendation already
    // covers says nothing more
    let recommended = |c: &grouping::Candidate| {
        out.iter().any(|r| {
            r.table.rsplit('.').next() == Some(c.table.as_str())
                && r.columns.first() == c.columns.first()
        })
    };
    let mut to_confirm: Vec<IndexCandidate> = unconfirmed
        .merge_by_leading_column()
        .into_iter()
        .filter(|c| c.served_ms >= MIN_SHARE * total_ms && !recommended(c))
        .map(|c| to_confirm(c, &normalized))
        .collect();
    to_confirm.sort_by(|a, b| {
        b.served_ms
            .total_cmp(&a.served_ms)
            .then(a.table.cmp(&b.table))
            .then(a.columns.cmp(&b.columns))
    });
    to_confirm.truncate(MAX_RECOMMENDATIONS);
    IndexAdvice {
        recommendations: out,
        to_confirm,
        unknown_columns: unknown_columns.into_iter().collect(),
        unselective: unselective.into_iter().collect(),
    }
}

/// Whether a query without evidence is worth a candidate: a read (SELECT or
/// WITH) of a user table (not a system catalog), slow enough at its p95 to be
/// scanning ([`CONFIRM_MIN_P95_MS`]), and frequent
/// ([`CONFIRM_MIN_EXECUTIONS`]) or slow ([`CONFIRM_SLOW_P95_MS`]). The caller also requires a one-table
/// query: without a plan, a join's time cannot be pinned on one of its tables.
fn worth_confirming(s: &served::Served, table: &str) -> bool {
    let catalog = table.starts_with("pg_") || table.starts_with("information_schema.");
    let read = s.normalized.starts_with("select") || s.normalized.starts_with("with");
    let p95 = s.p95_ms.unwrap_or(0.0);
    let frequent_or_slow = s.executions >= CONFIRM_MIN_EXECUTIONS || p95 >= CONFIRM_SLOW_P95_MS;
    !catalog && read && p95 >= CONFIRM_MIN_P95_MS && frequent_or_slow
}

/// A candidate nothing confirms: what to run, and what to export.
fn to_confirm(c: grouping::Candidate, normalized: &BTreeMap<&str, &str>) -> IndexCandidate {
    let table = c.qualified();
    let mut queries = c.queries;
    queries.sort_by(|a, b| b.served_ms.total_cmp(&a.served_ms));
    let top = queries
        .first()
        .and_then(|q| normalized.get(q.fingerprint.as_str()))
        .copied()
        .unwrap_or_default();
    IndexCandidate {
        table,
        columns: c.columns,
        served_ms: crate::analyze::round3(c.served_ms),
        explain: format!(
            "EXPLAIN (ANALYZE, BUFFERS) {top}  -- with a real value for each $n; a Seq Scan on {} confirms it",
            c.table
        ),
        confirm: format!(
            "pg_stat_user_tables and index definitions (pgsift export-script): sequential scans of {} and the indexes it has; or auto_explain (log_min_duration at this query's p95) for its plan",
            c.table
        ),
        queries: queries.into_iter().map(|q| q.fingerprint).collect(),
    }
}

#[cfg(test)]
mod tests;
