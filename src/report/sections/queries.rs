//! "Top queries by total time": one row per normalized query, with its
//! percentiles, who ran it and its slowest execution.

use crate::analyze::{Audit, QueryReport};
use crate::report::rows::{SampleRow, who};
use crate::units::{count, duration_ms, opt_duration_ms, percent};
use askama::Template;

/// One normalized query, formatted.
#[derive(Debug, Clone, Default)]
pub struct QueryRow {
    pub rank: usize,
    pub fingerprint: String,
    pub normalized: String,
    pub count: u64,
    pub count_s: String,
    pub total_ms: f64,
    pub total: String,
    pub mean_ms: f64,
    pub mean: String,
    pub p50_ms: f64,
    pub p50: String,
    pub p95_ms: f64,
    pub p95: String,
    pub p99_ms: f64,
    pub p99: String,
    pub max_ms: f64,
    pub max: String,
    pub share: f64,
    pub share_s: String,
    /// Width of the share bar, percent of the cell.
    pub share_bar: f64,
    pub users: String,
    pub dbs: String,
    pub apps: String,
    pub seen: String,
    pub notes: Vec<String>,
    pub example: Option<SampleRow>,
}

#[derive(Debug, Default, Template)]
#[template(path = "sections/queries.html")]
pub struct QueriesSection {
    pub queries: Vec<QueryRow>,
    /// Queries in the audit beyond the `top` listed.
    pub queries_more: usize,
}

pub fn build(a: &Audit, top: usize) -> QueriesSection {
    let max_share = a.queries.iter().map(|q| q.share).fold(0.0, f64::max);
    let queries: Vec<QueryRow> = a
        .queries
        .iter()
        .take(top)
        .map(|q| query_row(q, max_share))
        .collect();
    QueriesSection {
        queries_more: a.queries.len().saturating_sub(queries.len()),
        queries,
    }
}

/// What the figures of one query leave out: untimed executions, parse and bind
/// steps, plan red flags, truncated text.
fn notes(q: &QueryReport) -> Vec<String> {
    let mut notes = Vec::new();
    if q.untimed > 0 {
        notes.push(format!(
            "{} more logged without a duration",
            count(q.untimed)
        ));
    }
    if q.parse_count + q.bind_count > 0 {
        notes.push(format!(
            "parse {} x ({}), bind {} x ({}) not counted as executions",
            count(q.parse_count),
            duration_ms(q.parse_ms),
            count(q.bind_count),
            duration_ms(q.bind_ms)
        ));
    }
    for f in &q.plan_flags {
        notes.push(format!("plan: {f}"));
    }
    if q.truncated {
        notes.push(
            "some statements looked cut off in the log (unterminated literal or comment)".into(),
        );
    }
    notes
}

/// The row; `max_share` (the largest share of any query) scales the share bar.
fn query_row(q: &QueryReport, max_share: f64) -> QueryRow {
    QueryRow {
        rank: q.rank,
        fingerprint: q.fingerprint.clone(),
        normalized: q.normalized.clone(),
        count: q.count,
        count_s: count(q.count),
        total_ms: q.total_ms,
        total: duration_ms(q.total_ms),
        mean_ms: q.mean_ms.unwrap_or(0.0),
        mean: opt_duration_ms(q.mean_ms),
        p50_ms: q.p50_ms.unwrap_or(0.0),
        p50: opt_duration_ms(q.p50_ms),
        p95_ms: q.p95_ms.unwrap_or(0.0),
        p95: opt_duration_ms(q.p95_ms),
        p99_ms: q.p99_ms.unwrap_or(0.0),
        p99: opt_duration_ms(q.p99_ms),
        max_ms: q.max_ms.unwrap_or(0.0),
        max: opt_duration_ms(q.max_ms),
        share: q.share,
        share_s: percent(q.share),
        share_bar: if max_share > 0.0 {
            (q.share / max_share * 100.0).round()
        } else {
            0.0
        },
        users: who(&q.users),
        dbs: who(&q.databases),
        apps: who(&q.apps),
        seen: match (&q.first_seen, &q.last_seen) {
            (Some(a), Some(b)) => format!("{a} to {b}"),
            _ => "-".into(),
        },
        notes: notes(q),
        example: q.example.as_ref().map(SampleRow::new),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn share_bar_is_relative_to_the_largest_share() {
        let q = QueryReport {
            share: 0.25,
            ..Default::default()
        };
        assert_eq!(query_row(&q, 0.5).share_bar, 50.0);
        assert_eq!(query_row(&q, 0.0).share_bar, 0.0);
        assert_eq!(query_row(&q, 0.5).seen, "-");
    }

    #[test]
    fn notes_count_untimed_and_protocol_steps() {
        let q = QueryReport {
            untimed: 1200,
            parse_count: 2,
            plan_flags: vec!["Seq Scan".into()],
            truncated: true,
            ..Default::default()
        };
        let n = notes(&q);
        assert_eq!(n.len(), 4);
        assert_eq!(n[0], "1,200 more logged without a duration");
        assert!(n[1].starts_with("parse 2 x"));
        assert_eq!(n[2], "plan: Seq Scan");
        assert!(notes(&QueryReport::default()).is_empty());
    }
}
