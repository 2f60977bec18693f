//! Before/after: this run's queries against an earlier run's JSON audit
//! (`--baseline`), matched by fingerprint, so a change's effect is measured.

use super::QueryReport;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// p95 change that counts as a regression or an improvement.
const CHANGE: f64 = 0.2;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Comparison {
    /// The baseline: its generator and time range.
    pub baseline: String,
    pub before_executions: u64,
    pub after_executions: u64,
    pub before_total_ms: f64,
    pub after_total_ms: f64,
    /// Queries whose p95 grew by 20%+ (and 1 ms+), worst first.
    pub regressions: Vec<QueryChange>,
    /// Queries whose p95 fell by 20%+ (and 1 ms+), best first.
    pub improvements: Vec<QueryChange>,
    /// Queries in both runs.
    pub matched: usize,
    /// Queries in only one of the runs.
    pub only_before: usize,
    pub only_after: usize,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct QueryChange {
    pub fingerprint: String,
    pub normalized: String,
    pub before_count: u64,
    pub after_count: u64,
    pub before_p95_ms: f64,
    pub after_p95_ms: f64,
    pub before_mean_ms: Option<f64>,
    pub after_mean_ms: Option<f64>,
    /// after / before - 1 of the p95.
    pub p95_change: f64,
}

/// Why a baseline file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("not a pgsift JSON audit (no schema_version and queries[])")]
    NotAnAudit,
    #[error("schema_version {0} is not 1")]
    Version(u64),
}

/// Checks that `v` is a pgsift audit this version can compare with.
pub fn check(v: &Value) -> Result<(), BaselineError> {
    match v["schema_version"].as_u64() {
        Some(1) if v["queries"].is_array() => Ok(()),
        Some(1) | None => Err(BaselineError::NotAnAudit),
        Some(n) => Err(BaselineError::Version(n)),
    }
}

/// An audit's queries (its JSON), by fingerprint: how two runs are matched.
pub(crate) fn queries_by_fingerprint(audit: &Value) -> std::collections::BTreeMap<&str, &Value> {
    audit["queries"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|q| q["fingerprint"].as_str().map(|f| (f, q)))
                .collect()
        })
        .unwrap_or_default()
}

pub(crate) fn compare(
    base: &Value,
    queries: &[QueryReport],
    executions: u64,
    total_ms: f64,
) -> Comparison {
    let before = queries_by_fingerprint(base);
    let mut regressions = Vec::new();
    let mut improvements = Vec::new();
    let mut matched = 0;
    for q in queries {
        let Some(b) = before.get(q.fingerprint.as_str()) else {
            continue;
        };
        matched += 1;
        let (Some(bp), Some(ap)) = (b["p95_ms"].as_f64(), q.p95_ms) else {
            continue;
        };
        let bc = b["count"].as_u64().unwrap_or(0);
        if bp <= 0.0 || bc < 10 || q.count < 10 {
            continue;
        }
        let change = ap / bp - 1.0;
        let c = QueryChange {
            fingerprint: q.fingerprint.clone(),
            normalized: q.normalized.clone(),
            before_count: bc,
            after_count: q.count,
            before_p95_ms: bp,
            after_p95_ms: ap,
            before_mean_ms: b["mean_ms"].as_f64(),
            after_mean_ms: q.mean_ms,
            p95_change: (change * 1000.0).round() / 1000.0,
        };
        if change >= CHANGE && ap - bp >= 1.0 {
            regressions.push(c);
        } else if change <= -CHANGE && bp - ap >= 1.0 {
            improvements.push(c);
        }
    }
    regressions.sort_by(|a, b| {
        b.p95_change
            .total_cmp(&a.p95_change)
            .then(a.fingerprint.cmp(&b.fingerprint))
    });
    improvements.sort_by(|a, b| {
        a.p95_change
            .total_cmp(&b.p95_change)
            .then(a.fingerprint.cmp(&b.fingerprint))
    });
    Comparison {
        baseline: format!(
            "{} run over {} to {}",
            base["generator"].as_str().unwrap_or("an earlier"),
            base["summary"]["first_ts"].as_str().unwrap_or("?"),
            base["summary"]["last_ts"].as_str().unwrap_or("?")
        ),
        before_executions: base["summary"]["executions"].as_u64().unwrap_or(0),
        after_executions: executions,
        before_total_ms: base["summary"]["total_duration_ms"].as_f64().unwrap_or(0.0),
        after_total_ms: total_ms,
        regressions,
        improvements,
        matched,
        only_before: before.len().saturating_sub(matched),
        only_after: queries.len().saturating_sub(matched),
    }
}
