//! Checklist item 1: EXPLAIN evidence on slow queries.

use super::{Inputs, item};
use crate::analyze::QueryReport;
use crate::analyze::findings::{CheckItem, Status};

const NAME: &str = "EXPLAIN evidence on slow queries";

/// How many of the queries taking the most time are looked at.
const TOP: usize = 5;

/// Whether the queries that take the most time have an auto_explain plan in
/// the log. The top [`TOP`] timed queries (transaction control, `set` and
/// `show` left out) are looked at: pass when each has a plan, attention when
/// some do, fail when none does though the log has plans, not enough data when
/// the log has no timed query or no plan at all.
pub(super) fn check(inputs: &Inputs) -> CheckItem {
    let a = inputs.audit;
    let slow: Vec<&QueryReport> = a
        .queries
        .iter()
        .filter(|q| q.count > 0)
        .filter(|q| !is_session_control(&q.normalized))
        .take(TOP)
        .collect();
    if slow.is_empty() {
        return item(
            NAME,
            Status::NotEnoughData,
            "no timed statements in the log".into(),
            "#queries",
            Some("a log with durations (log_min_duration_statement)"),
        );
    }
    let with_plan = slow
        .iter()
        .filter(|q| {
            a.activity
                .plans
                .iter()
                .any(|p| p.fingerprint == q.fingerprint)
        })
        .count();
    let status = if with_plan == slow.len() {
        Status::Pass
    } else if with_plan > 0 {
        Status::Attention
    } else if a.activity.plans.is_empty() {
        Status::NotEnoughData
    } else {
        Status::Fail
    };
    item(
        NAME,
        status,
        format!(
            "{with_plan} of the {} queries taking the most time have an auto_explain plan in the log",
            slow.len()
        ),
        "#plans",
        (with_plan < slow.len()).then_some("auto_explain in shared_preload_libraries with auto_explain.log_min_duration at the slow queries' p95 (and log_analyze, log_buffers)"),
    )
}

/// Transaction control, `set` and `show`: statements no plan would explain.
fn is_session_control(normalized: &str) -> bool {
    let first = normalized.split([' ', ';']).next().unwrap_or("");
    matches!(
        first,
        "begin"
            | "commit"
            | "end"
            | "rollback"
            | "set"
            | "show"
            | "start"
            | "savepoint"
            | "release"
    )
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{judge, query};
    use super::*;
    use crate::analyze::Audit;
    use crate::analyze::activity::PlanView;

    fn plan(fingerprint: &str) -> PlanView {
        PlanView {
            fingerprint: fingerprint.into(),
            ..Default::default()
        }
    }

    /// Queries q0..q{n-1}, ranked.
    fn audit(n: usize, plans: &[&str]) -> Audit {
        let mut a = Audit {
            queries: (0..n)
                .map(|i| query(&format!("q{i}"), "select $1", 3))
                .collect(),
            ..Default::default()
        };
        a.activity.plans = plans.iter().map(|f| plan(f)).collect();
        a
    }

    #[test]
    fn no_timed_query_is_not_enough_data() {
        let mut a = audit(0, &["q0"]);
        a.queries.push(query("untimed", "select $1", 0));
        a.queries.push(query("tx", "begin", 9));
        let c = judge(check, &a);
        assert_eq!(c.status, Status::NotEnoughData);
        assert_eq!(c.evidence, "no timed statements in the log");
    }

    #[test]
    fn every_top_query_with_a_plan_passes() {
        let c = judge(check, &audit(2, &["q0", "q1"]));
        assert_eq!(c.status, Status::Pass);
        assert_eq!(c.needs, None);
        assert!(
            c.evidence.starts_with("2 of the 2 queries"),
            "{}",
            c.evidence
        );
    }

    #[test]
    fn only_the_top_five_count() {
        // q5 has no plan, but it is sixth.
        let c = judge(check, &audit(6, &["q0", "q1", "q2", "q3", "q4"]));
        assert_eq!(c.status, Status::Pass);
        assert!(
            c.evidence.starts_with("5 of the 5 queries"),
            "{}",
            c.evidence
        );
        let c = judge(check, &audit(5, &["q0", "q1", "q2", "q3"]));
        assert_eq!(c.status, Status::Attention);
        assert!(c.needs.is_some());
    }

    #[test]
    fn session_control_is_skipped() {
        let mut a = audit(1, &["q0"]);
        a.queries
            .insert(0, query("set", "set search_path = $1", 50));
        a.queries.insert(0, query("commit", "commit;", 50));
        assert_eq!(judge(check, &a).status, Status::Pass);
    }

    #[test]
    fn some_plans_is_attention() {
        assert_eq!(judge(check, &audit(3, &["q1"])).status, Status::Attention);
    }

    #[test]
    fn plans_of_other_queries_only_fail() {
        let c = judge(check, &audit(2, &["other"]));
        assert_eq!(c.status, Status::Fail);
        assert!(c.evidence.starts_with("0 of the 2"), "{}", c.evidence);
    }

    #[test]
    fn no_plan_at_all_is_not_enough_data() {
        let c = judge(check, &audit(2, &[]));
        assert_eq!(c.status, Status::NotEnoughData);
        assert!(c.needs.unwrap().starts_with("auto_explain"));
    }
}
