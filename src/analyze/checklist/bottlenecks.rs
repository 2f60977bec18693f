//! Checklist item 3: bottlenecks ranked by total time.

use super::{Inputs, item};
use crate::analyze::findings::{CheckItem, Status};

const NAME: &str = "Bottlenecks ranked by total time";

/// Whether queries can be ranked by the time they take: pass with timed
/// statements in the log or a pg_stat_statements export (naming the top
/// query's share, from the log first), not enough data with neither. It never
/// fails: the ranking is the report's own.
pub(super) fn check(inputs: &Inputs) -> CheckItem {
    let a = inputs.audit;
    let logged = inputs.logged();
    if !logged && !inputs.pg_stat_statements() {
        return item(
            NAME,
            Status::NotEnoughData,
            "no statement timings".into(),
            "#queries",
            Some("a log with durations or a pg_stat_statements export"),
        );
    }
    let (what, share) = match (a.queries.first(), a.stats.statements.first()) {
        (Some(q), _) if logged => ("the log's top query", q.share),
        (_, Some(s)) => ("pg_stat_statements' top entry", s.share),
        _ => ("the top query", 0.0),
    };
    item(
        NAME,
        Status::Pass,
        format!(
            "queries ranked by total time (count x mean); {what} takes {:.1}% of it; findings ranked by time at stake",
            share * 100.0
        ),
        "#findings",
        None,
    )
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{judge, query};
    use super::*;
    use crate::analyze::Audit;
    use crate::analyze::stats::StatementReport;

    fn statement(share: f64) -> StatementReport {
        StatementReport {
            share,
            ..Default::default()
        }
    }

    #[test]
    fn the_logs_top_query_comes_first() {
        let mut a = Audit::default();
        a.summary.executions = 10;
        let mut q = query("q0", "select $1", 10);
        q.share = 0.4567;
        a.queries.push(q);
        a.stats.statements.push(statement(0.9));
        let c = judge(check, &a);
        assert_eq!(c.status, Status::Pass);
        assert!(
            c.evidence.contains("the log's top query takes 45.7% of it"),
            "{}",
            c.evidence
        );
    }

    #[test]
    fn without_a_log_pg_stat_statements_ranks() {
        let mut a = Audit::default();
        a.stats.statements.push(statement(0.25));
        let c = judge(check, &a);
        assert_eq!(c.status, Status::Pass);
        assert!(
            c.evidence
                .contains("pg_stat_statements' top entry takes 25.0% of it"),
            "{}",
            c.evidence
        );
    }

    #[test]
    fn no_timings_is_not_enough_data() {
        let c = judge(check, &Audit::default());
        assert_eq!(c.status, Status::NotEnoughData);
        assert_eq!(c.evidence, "no statement timings");
    }
}
