//! "Index recommendations": indexes to create, each with the evidence of a
//! sequential scan, the SQL and its rollback, the target, the write overhead,
//! how to verify it and the queries it serves; then the candidates to confirm
//! (indexes the query text asks for where nothing shows how the table is read).

use crate::analyze::Audit;
use crate::analyze::index_advice::{IndexCandidate, IndexRecommendation};
use crate::report::rows::count_or_dash;
use crate::units::{count, duration_ms};
use askama::Template;

/// At most this many queries are shown under a recommendation.
const QUERIES_SHOWN: usize = 5;

#[derive(Debug, Clone, Default)]
pub struct AdviceRow {
    pub table: String,
    pub columns: String,
    pub served: String,
    pub evidence: String,
    pub create: String,
    pub rollback: String,
    pub target: String,
    /// Why the columns come in their order (empty in audits that predate it).
    pub order: String,
    pub write_overhead: String,
    pub verify: Vec<String>,
    pub caveats: Vec<String>,
    /// Normalized text of the queries it serves.
    pub queries: Vec<String>,
}

/// A candidate index to confirm, formatted.
#[derive(Debug, Clone, Default)]
pub struct CandidateRow {
    pub table: String,
    pub columns: String,
    pub served: String,
    pub explain: String,
    pub confirm: String,
    /// Normalized text of the queries it would serve.
    pub queries: Vec<String>,
}

#[derive(Debug, Default, Template)]
#[template(path = "sections/advice.html")]
pub struct AdviceSection {
    pub advice: Vec<AdviceRow>,
    pub candidates: Vec<CandidateRow>,
    /// Candidate columns that are not columns of their table (candidates dropped).
    pub unknown_columns: Vec<String>,
    /// Candidates dropped because their query's plan shows an unselective filter.
    pub unselective: Vec<String>,
}

pub fn build(a: &Audit, _top: usize) -> AdviceSection {
    AdviceSection {
        advice: a
            .index_recommendations
            .iter()
            .map(|r| advice_row(a, r))
            .collect(),
        candidates: a
            .index_candidates
            .iter()
            .map(|c| candidate_row(a, c))
            .collect(),
        unknown_columns: a.index_columns_unknown.clone(),
        unselective: a.index_unselective.clone(),
    }
}

fn candidate_row(a: &Audit, c: &IndexCandidate) -> CandidateRow {
    CandidateRow {
        table: c.table.clone(),
        columns: c.columns.join(", "),
        served: duration_ms(c.served_ms),
        explain: c.explain.clone(),
        confirm: c.confirm.clone(),
        queries: c
            .queries
            .iter()
            .take(QUERIES_SHOWN)
            .filter_map(|fp| query_text(a, fp))
            .collect(),
    }
}

/// The evidence in words: `plan` and `seq_scan_stats` spelled out, others as given.
fn evidence(r: &IndexRecommendation) -> String {
    r.evidence
        .iter()
        .map(|e| match e.as_str() {
            "plan" => "Seq Scan in the query's auto_explain plan".to_string(),
            "seq_scan_stats" => {
                let mut s = format!(
                    "{} sequential scans reading {} rows ({} live) in pg_stat_user_tables",
                    count_or_dash(r.seq_scan),
                    count_or_dash(r.seq_tup_read),
                    count_or_dash(r.n_live_tup)
                );
                // say which counter sized the table when it was not n_live_tup
                if let (Some(rows), Some(from)) = (r.table_rows, &r.table_rows_from)
                    && from != "n_live_tup"
                    && !from.is_empty()
                {
                    s.push_str(&format!(", a table of {} rows by {from}", count(rows)));
                }
                s
            }
            other => other.to_string(),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The normalized text of a fingerprint: from the log's queries, else from
/// pg_stat_statements.
fn query_text(a: &Audit, fp: &str) -> Option<String> {
    a.queries
        .iter()
        .find(|q| q.fingerprint == fp)
        .map(|q| q.normalized.clone())
        .or_else(|| {
            a.stats
                .statements
                .iter()
                .find(|s| s.fingerprint == fp)
                .map(|s| s.normalized.clone())
        })
}

fn advice_row(a: &Audit, r: &IndexRecommendation) -> AdviceRow {
    AdviceRow {
        table: r.table.clone(),
        columns: r.columns.join(", "),
        served: duration_ms(r.served_ms),
        evidence: evidence(r),
        create: r.create.clone(),
        rollback: r.rollback.clone(),
        target: r.target.clone(),
        order: r.order.clone(),
        write_overhead: r.write_overhead.clone(),
        verify: r.verify.clone(),
        caveats: r.caveats.clone(),
        queries: r
            .queries
            .iter()
            .filter_map(|fp| query_text(a, fp))
            .take(QUERIES_SHOWN)
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_is_spelled_out() {
        let r = IndexRecommendation {
            evidence: vec!["plan".into(), "seq_scan_stats".into(), "other".into()],
            seq_scan: Some(12),
            n_live_tup: Some(5000),
            ..Default::default()
        };
        assert_eq!(
            evidence(&r),
            "Seq Scan in the query's auto_explain plan; 12 sequential scans reading - rows (5,000 live) in pg_stat_user_tables; other"
        );
    }

    #[test]
    fn a_table_sized_by_another_counter_than_n_live_tup_says_so() {
        let r = IndexRecommendation {
            evidence: vec!["seq_scan_stats".into()],
            seq_scan: Some(49),
            seq_tup_read: Some(1_960_196),
            n_live_tup: Some(4),
            table_rows: Some(40_004),
            table_rows_from: Some("seq_tup_read / seq_scan".into()),
            ..Default::default()
        };
        assert_eq!(
            evidence(&r),
            "49 sequential scans reading 1,960,196 rows (4 live) in pg_stat_user_tables, a table of 40,004 rows by seq_tup_read / seq_scan"
        );
    }
}
