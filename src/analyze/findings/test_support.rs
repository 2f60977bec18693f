//! Small hand-made evidence for the rules' unit tests: an audit holds only the
//! few figures a rule reads (every other field is its default).

use super::{Finding, Rule, RuleInput, Severity};
use crate::analyze::stats::StatementReport;
use crate::analyze::{Audit, QueryReport};

/// Runs one rule on an audit (no statistics snapshots).
pub(super) fn run(rule: Rule, a: &Audit) -> Vec<Finding> {
    rule(&RuleInput::new(a, &[]))
}

/// The severities of some findings, in order.
pub(super) fn severities(v: &[Finding]) -> Vec<Severity> {
    v.iter().map(|f| f.severity).collect()
}

/// A query group of the log with its share of all time, executions, mean and p95.
pub(super) fn query(fp: &str, share: f64, count: u64, mean_ms: f64, p95_ms: f64) -> QueryReport {
    QueryReport {
        fingerprint: fp.into(),
        normalized: format!("select * from t where id = $1 /* {fp} */"),
        count,
        total_ms: mean_ms * count as f64,
        mean_ms: Some(mean_ms),
        p95_ms: Some(p95_ms),
        share,
        ..Default::default()
    }
}

/// A pg_stat_statements entry with its share of the statistics' time, calls and mean.
pub(super) fn statement(fp: &str, share: f64, calls: u64, mean_ms: f64) -> StatementReport {
    StatementReport {
        fingerprint: fp.into(),
        normalized: format!("select * from s where id = $1 /* {fp} */"),
        calls,
        mean_ms,
        total_ms: mean_ms * calls as f64,
        share,
        ..Default::default()
    }
}

/// An audit of these query groups.
pub(super) fn with_queries(queries: Vec<QueryReport>) -> Audit {
    Audit {
        queries,
        ..Default::default()
    }
}
