//! Over-fetching: statements returning 1,000+ rows per call on average.

use super::*;

/// The findings of this kind.
pub(super) fn rule(input: &RuleInput) -> Vec<Finding> {
    let a = input.audit;
    let mut out = Vec::new();
    for s in a
        .stats
        .statements
        .iter()
        .filter(|s| {
            s.calls >= 100 && s.rows_per_call >= 1000.0 && s.normalized.starts_with("select")
        })
        .take(3)
    {
        let mut f = Finding::new(
            Kind::OverFetching,
            Severity::Low,
            format!(
                "A query returns {:.0} rows per call ({} calls)",
                s.rows_per_call, s.calls
            ),
        );
        f.time_at_stake_ms = Some(s.total_ms);
        f.time_basis = "pg_stat_statements: total time of the statement".into();
        f.fingerprint = Some(s.fingerprint.clone());
        f.normalized = Some(s.normalized.clone());
        f.target = format!(
            "rows per call {:.0} -> what one page shows (LIMIT, keyset pagination)",
            s.rows_per_call
        );
        f.change = "Fetch only what is shown: LIMIT with keyset pagination, only the needed columns, aggregates in SQL".into();
        f.rollback = "Revert the query change".into();
        f.verify = "pg_stat_statements rows / calls drops for this query".into();
        out.push(f.ev(
            format!("statement {}", s.fingerprint),
            &format!("#stmt-{}", s.fingerprint),
        ));
    }
    out
}
