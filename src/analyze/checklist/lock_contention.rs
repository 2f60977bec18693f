//! Checklist item 7: lock contention.

use super::{Inputs, item};
use crate::analyze::findings::{CheckItem, Status};
use crate::units::duration_ms as ms;

const NAME: &str = "Lock contention";

/// Total lock wait in the log that makes contention a failure.
const FAILING_WAIT_MS: f64 = 10_000.0;

/// Whether sessions wait on each other's locks: fail on a deadlock (in the log,
/// or in pg_stat_database when the log shows none) or on [`FAILING_WAIT_MS`]
/// or more of lock waits in the log, attention on any lock wait in the log or
/// a blocked session at the pg_stat_activity snapshot, pass when the log is
/// known to log lock waits (`log_lock_waits = on` in an export) and shows
/// none, not enough data otherwise.
pub(super) fn check(inputs: &Inputs) -> CheckItem {
    let a = inputs.audit;
    let l = &a.activity.locks;
    let logged_deadlocks = a.activity.deadlocks.count;
    let stats_deadlocks: u64 = a.stats.databases.iter().filter_map(|d| d.deadlocks).sum();
    let blocked = a.stats.activity.as_ref().map_or(0, |x| x.blocked.len());
    if logged_deadlocks == 0 && stats_deadlocks > 0 {
        item(
            NAME,
            Status::Fail,
            format!(
                "{} in pg_stat_database over the statistics window",
                crate::units::plural(stats_deadlocks, "deadlock", "deadlocks")
            ),
            "#cache",
            None,
        )
    } else if logged_deadlocks > 0 || l.total_wait_ms >= FAILING_WAIT_MS {
        item(
            NAME,
            Status::Fail,
            format!(
                "{} lock waits ({}), {} deadlocks",
                l.waits,
                ms(l.total_wait_ms),
                logged_deadlocks
            ),
            "#locks",
            None,
        )
    } else if l.waits > 0 || blocked > 0 {
        let evidence = if a.summary.entries > 0 {
            format!(
                "{} ({}) in the log, {} blocked at the snapshot",
                crate::units::plural(l.waits, "lock wait", "lock waits"),
                ms(l.total_wait_ms),
                crate::units::plural(blocked as u64, "session", "sessions")
            )
        } else {
            format!(
                "no log; {} blocked at the snapshot",
                crate::units::plural(blocked as u64, "session", "sessions")
            )
        };
        let link = if l.waits > 0 {
            "#locks"
        } else {
            "#connections"
        };
        item(NAME, Status::Attention, evidence, link, None)
    } else if inputs.setting("log_lock_waits") == Some("on") && a.summary.entries > 0 {
        item(
            NAME,
            Status::Pass,
            "log_lock_waits is on and no wait was logged".into(),
            "#locks",
            None,
        )
    } else {
        item(
            NAME,
            Status::NotEnoughData,
            "no lock wait in the log, but nothing shows log_lock_waits was on".into(),
            "#locks",
            Some("set log_lock_waits = on (and export pg_settings)"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{export, judge, judge_with};
    use super::*;
    use crate::analyze::Audit;
    use crate::analyze::stats::{BlockedPair, DatabaseReport, SessionsNow};

    fn log_with_waits(waits: u64, total_wait_ms: f64) -> Audit {
        let mut a = Audit::default();
        a.summary.entries = 100;
        a.activity.locks.waits = waits;
        a.activity.locks.total_wait_ms = total_wait_ms;
        a
    }

    #[test]
    fn deadlocks_in_pg_stat_database_alone_fail() {
        let mut a = Audit::default();
        a.stats.databases.push(DatabaseReport {
            deadlocks: Some(2),
            ..Default::default()
        });
        a.stats.databases.push(DatabaseReport {
            deadlocks: Some(1),
            ..Default::default()
        });
        let c = judge(check, &a);
        assert_eq!(c.status, Status::Fail);
        assert_eq!(
            c.evidence,
            "3 deadlocks in pg_stat_database over the statistics window"
        );
    }

    #[test]
    fn a_logged_deadlock_fails() {
        let mut a = log_with_waits(1, 20.0);
        a.activity.deadlocks.count = 1;
        let c = judge(check, &a);
        assert_eq!(c.status, Status::Fail);
        assert_eq!(c.evidence, "1 lock waits (20.0 ms), 1 deadlocks");
        assert_eq!(c.link, "#locks");
    }

    #[test]
    fn ten_seconds_of_waits_fail_just_under_is_attention() {
        assert_eq!(
            judge(check, &log_with_waits(4, 10_000.0)).status,
            Status::Fail
        );
        let c = judge(check, &log_with_waits(4, 9_999.0));
        assert_eq!(c.status, Status::Attention);
        assert_eq!(
            c.evidence,
            "4 lock waits (10.00 s) in the log, 0 sessions blocked at the snapshot"
        );
        assert_eq!(c.link, "#locks");
    }

    #[test]
    fn a_blocked_session_without_a_log_is_attention() {
        let mut a = Audit::default();
        a.stats.activity = Some(SessionsNow {
            blocked: vec![BlockedPair::default()],
            ..Default::default()
        });
        let c = judge(check, &a);
        assert_eq!(c.status, Status::Attention);
        assert_eq!(c.evidence, "no log; 1 session blocked at the snapshot");
        assert_eq!(c.link, "#connections");
    }

    #[test]
    fn log_lock_waits_on_and_no_wait_passes() {
        let on = [export(&["pg_settings"], &[("log_lock_waits", "on")])];
        let c = judge_with(check, &log_with_waits(0, 0.0), &[], &on);
        assert_eq!(c.status, Status::Pass);
    }

    #[test]
    fn no_wait_without_log_lock_waits_is_not_enough_data() {
        let off = [export(&["pg_settings"], &[("log_lock_waits", "off")])];
        let c = judge_with(check, &log_with_waits(0, 0.0), &[], &off);
        assert_eq!(c.status, Status::NotEnoughData);
        assert_eq!(
            judge(check, &log_with_waits(0, 0.0)).status,
            Status::NotEnoughData
        );
        // The setting without a log shows nothing either.
        let on = [export(&["pg_settings"], &[("log_lock_waits", "on")])];
        let c = judge_with(check, &Audit::default(), &[], &on);
        assert_eq!(c.status, Status::NotEnoughData);
    }
}
