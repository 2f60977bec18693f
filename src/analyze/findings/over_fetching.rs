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

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::analyze::stats::StatementReport;

    fn fetching(calls: u64, rows_per_call: f64, sql: &str) -> StatementReport {
        StatementReport {
            normalized: sql.into(),
            calls,
            rows_per_call,
            ..statement("s", 0.1, calls, 5.0)
        }
    }

    fn found(list: Vec<StatementReport>) -> Vec<Finding> {
        let mut a = Audit::default();
        a.stats.statements = list;
        run(rule, &a)
    }

    #[test]
    fn a_hundred_calls_of_a_thousand_rows_each() {
        let select = "select * from t";
        assert_eq!(found(vec![fetching(100, 1000.0, select)]).len(), 1);
        assert!(found(vec![fetching(99, 5000.0, select)]).is_empty());
        assert!(found(vec![fetching(500, 999.9, select)]).is_empty());
        assert!(
            found(vec![fetching(500, 5000.0, "update t set a = $1")]).is_empty(),
            "only reads fetch"
        );
        let four = vec![fetching(100, 1000.0, select); 4];
        assert_eq!(found(four).len(), 3, "the first three");
    }
}
