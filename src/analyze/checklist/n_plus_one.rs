//! Checklist item 4: N+1 patterns.

use super::{Inputs, item};
use crate::analyze::findings::{CheckItem, Status};

const NAME: &str = "N+1 patterns";

/// Executions followed per session before "no burst" means something.
const ENOUGH_TRACKED: u64 = 1000;

/// Whether the application runs one query per row of another: fail when the
/// log shows bursts, attention when pg_stat_statements alone suggests them,
/// pass when at least [`ENOUGH_TRACKED`] executions were followed per session
/// with nothing limiting detection and no burst found, not enough data
/// otherwise (naming what limited detection).
pub(super) fn check(inputs: &Inputs) -> CheckItem {
    let n = &inputs.audit.n_plus_one;
    if !n.detected.is_empty() {
        item(
            NAME,
            Status::Fail,
            format!(
                "{} queries run in bursts after a parent or in one-row loops ({} executions)",
                n.detected.len(),
                n.detected.iter().map(|d| d.executions).sum::<u64>()
            ),
            "#nplusone",
            None,
        )
    } else if !n.suspected.is_empty() {
        item(
            NAME,
            Status::Attention,
            format!(
                "{} pg_stat_statements entries look like N+1 children (one row per call, many calls); the log cannot confirm",
                n.suspected.len()
            ),
            "#nplusone",
            Some("a short log with log_min_duration_statement = 0 and %p in log_line_prefix"),
        )
    } else if n.tracked >= ENOUGH_TRACKED && n.limits.is_empty() {
        item(
            NAME,
            Status::Pass,
            format!("{} executions followed per session; no burst", n.tracked),
            "#nplusone",
            None,
        )
    } else {
        item(
            NAME,
            Status::NotEnoughData,
            n.limits.first().cloned().unwrap_or_else(|| {
                format!(
                    "only {} statements could be followed per session: too few to rule bursts out",
                    n.tracked
                )
            }),
            "#nplusone",
            Some(
                "a log with log_min_duration_statement = 0 (for a while) and %p in log_line_prefix",
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::judge;
    use super::*;
    use crate::analyze::Audit;
    use crate::analyze::nplusone::{NPlusOneReport, SuspectedNPlusOne};

    fn tracked(n: u64) -> Audit {
        let mut a = Audit::default();
        a.n_plus_one.tracked = n;
        a
    }

    #[test]
    fn bursts_in_the_log_fail() {
        let mut a = tracked(5000);
        for executions in [30, 12] {
            a.n_plus_one.detected.push(NPlusOneReport {
                executions,
                ..Default::default()
            });
        }
        a.n_plus_one.suspected.push(SuspectedNPlusOne::default());
        let c = judge(check, &a);
        assert_eq!(c.status, Status::Fail);
        assert_eq!(
            c.evidence,
            "2 queries run in bursts after a parent or in one-row loops (42 executions)"
        );
    }

    #[test]
    fn suspects_from_pg_stat_statements_are_attention() {
        let mut a = tracked(5000);
        a.n_plus_one.suspected.push(SuspectedNPlusOne::default());
        let c = judge(check, &a);
        assert_eq!(c.status, Status::Attention);
        assert!(c.evidence.starts_with("1 pg_stat_statements entries"));
    }

    #[test]
    fn a_thousand_tracked_executions_pass() {
        let c = judge(check, &tracked(1000));
        assert_eq!(c.status, Status::Pass);
        assert_eq!(c.evidence, "1000 executions followed per session; no burst");
    }

    #[test]
    fn fewer_tracked_executions_are_not_enough_data() {
        let c = judge(check, &tracked(999));
        assert_eq!(c.status, Status::NotEnoughData);
        assert_eq!(
            c.evidence,
            "only 999 statements could be followed per session: too few to rule bursts out"
        );
    }

    #[test]
    fn a_limit_is_not_enough_data_and_named() {
        let mut a = tracked(5000);
        a.n_plus_one.limits.push("no %p in log_line_prefix".into());
        let c = judge(check, &a);
        assert_eq!(c.status, Status::NotEnoughData);
        assert_eq!(c.evidence, "no %p in log_line_prefix");
    }
}
