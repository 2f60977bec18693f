//! Checklist item 2: baseline metrics.

use super::{Inputs, item};
use crate::analyze::findings::{CheckItem, Status};
use crate::units::duration_ms as ms;

const NAME: &str = "Baseline metrics";

/// Whether the run gives a baseline to measure changes against: pass with
/// timed statements in the log (count, mean and percentiles per query),
/// attention with pg_stat_statements alone (means, no percentiles), not enough
/// data with neither.
pub(super) fn check(inputs: &Inputs) -> CheckItem {
    let a = inputs.audit;
    if inputs.logged() {
        let top_p95 = a.queries.first().and_then(|q| q.p95_ms);
        item(
            NAME,
            Status::Pass,
            format!(
                "{} of {} with count, mean and P50/P95/P99 each (top query: p95 {})",
                crate::units::plural(a.summary.executions, "timed execution", "timed executions"),
                crate::units::plural(
                    a.summary.distinct_queries,
                    "normalized query",
                    "normalized queries"
                ),
                top_p95.map_or("-".into(), ms)
            ),
            "#queries",
            None,
        )
    } else if inputs.pg_stat_statements() {
        item(
            NAME,
            Status::Attention,
            "pg_stat_statements gives calls and means, but no percentiles without a log".into(),
            "#statements",
            Some("a log of statement durations for P50/P95/P99"),
        )
    } else {
        item(
            NAME,
            Status::NotEnoughData,
            "neither timed statements in a log nor pg_stat_statements".into(),
            "#queries",
            Some("a log with log_min_duration_statement, or a pg_stat_statements export"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{judge, query};
    use super::*;
    use crate::analyze::Audit;
    use crate::analyze::stats::StatementReport;

    #[test]
    fn timed_statements_pass_with_the_top_p95() {
        let mut a = Audit::default();
        a.summary.executions = 1;
        a.summary.distinct_queries = 1;
        let mut q = query("q0", "select $1", 1);
        q.p95_ms = Some(12.0);
        a.queries.push(q);
        let c = judge(check, &a);
        assert_eq!(c.status, Status::Pass);
        assert_eq!(
            c.evidence,
            "1 timed execution of 1 normalized query with count, mean and P50/P95/P99 each (top query: p95 12.0 ms)"
        );
        assert_eq!(c.link, "#queries");
    }

    #[test]
    fn pg_stat_statements_alone_is_attention() {
        let mut a = Audit::default();
        a.stats.statements.push(StatementReport::default());
        let c = judge(check, &a);
        assert_eq!(c.status, Status::Attention);
        assert_eq!(c.link, "#statements");
    }

    #[test]
    fn untimed_statements_alone_are_not_enough_data() {
        let mut a = Audit::default();
        a.summary.untimed_statements = 40;
        a.queries.push(query("q0", "select $1", 0));
        let c = judge(check, &a);
        assert_eq!(c.status, Status::NotEnoughData);
        assert!(c.needs.is_some());
    }
}
