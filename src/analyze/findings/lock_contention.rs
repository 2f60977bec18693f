//! Lock contention: lock waits (`log_lock_waits`) and deadlocks in the log, the
//! statement that waited longest first.

use super::*;
use crate::units::short;

/// The findings of this kind.
pub(super) fn rule(input: &RuleInput) -> Vec<Finding> {
    let a = input.audit;
    let mut out = Vec::new();
    let l = &a.activity.locks;
    if l.waits > 0 || a.activity.deadlocks.count > 0 {
        let mut f = Finding::new(
            Kind::LockContention,
            if a.activity.deadlocks.count > 0 || l.total_wait_ms >= 10_000.0 {
                Severity::High
            } else {
                Severity::Medium
            },
            format!(
                "{} ({} in all), {}",
                crate::units::plural(l.waits, "lock wait", "lock waits"),
                duration_ms(l.total_wait_ms),
                crate::units::plural(a.activity.deadlocks.count, "deadlock", "deadlocks")
            ),
        );
        f.time_at_stake_ms = Some(l.total_wait_ms);
        f.time_basis = "log: time statements waited for locks (log_lock_waits)".into();
        if let Some(top) = l.by_query.first() {
            f.fingerprint = Some(top.key.clone());
            f.normalized = Some(top.label.clone());
            if !top.key.is_empty() {
                f.title.push_str(&format!(
                    ", most by {}",
                    super::slow_query::subject(&top.label)
                ));
            }
        }
        f.target = format!(
            "lock wait {} -> near 0; deadlocks {} -> 0",
            duration_ms(l.total_wait_ms),
            a.activity.deadlocks.count
        );
        f.change = "Shorten the transactions holding the locks (commit sooner, no user think-time inside), touch rows in one order everywhere (no deadlocks), and set lock_timeout for the waiting code path".into();
        f.rollback = "Revert the application change; RESET lock_timeout".into();
        f.verify = "Run pgsift on the log after the change: lock waits and deadlocks in the Locks section drop".into();
        f = f.ev("lock waits and deadlocks".into(), "#locks");
        // the statements that waited: lock victims, whose time is counted here
        // and not again as slow queries
        for w in l.by_query.iter().filter(|w| !w.key.is_empty()).take(3) {
            let total = a
                .queries
                .iter()
                .find(|q| q.fingerprint == w.key)
                .map(|q| q.total_ms);
            let of = match total {
                Some(t) if t > 0.0 => format!(
                    " of its {} in all ({})",
                    duration_ms(t),
                    percent((w.total_wait_ms / t).min(1.0))
                ),
                _ => String::new(),
            };
            f = f.ev(
                format!(
                    "{} waited {} for locks{of}",
                    short(&w.label, 80),
                    duration_ms(w.total_wait_ms)
                ),
                "#locks",
            );
        }
        out.push(f);
    }
    if let Some(act) = &a.stats.activity
        && !act.blocked.is_empty()
        && l.waits == 0
    {
        let mut f = Finding::new(
            Kind::LockContention,
            Severity::Medium,
            format!(
                "{} blocked at the snapshot",
                crate::units::plural(act.blocked.len() as u64, "session", "sessions")
            ),
        );
        f.time_basis = "not measurable from these inputs: one snapshot shows who waits, not for how long in all (set log_lock_waits = on)".into();
        f.target = "no session blocked by one idle in a transaction".into();
        f.change =
            "Find the blocking sessions' code paths (pids below) and shorten their transactions"
                .into();
        f.rollback = "Revert the application change".into();
        f.verify = "pg_stat_activity shows no wait_event_type = Lock for long".into();
        out.push(f.ev("blocked/blocking pairs".into(), "#connections"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::analyze::stats::{BlockedPair, SessionsNow};

    fn waits(waits: u64, total_wait_ms: f64, deadlocks: u64) -> Audit {
        let mut a = Audit::default();
        a.activity.locks.waits = waits;
        a.activity.locks.total_wait_ms = total_wait_ms;
        a.activity.deadlocks.count = deadlocks;
        a
    }

    #[test]
    fn waits_and_deadlocks_in_the_log() {
        assert!(run(rule, &waits(0, 0.0, 0)).is_empty());
        let f = run(rule, &waits(3, 9_999.0, 0));
        assert_eq!(severities(&f), [Severity::Medium]);
        assert_eq!(f[0].time_at_stake_ms, Some(9_999.0));
        assert_eq!(
            severities(&run(rule, &waits(3, 10_000.0, 0))),
            [Severity::High]
        );
        assert_eq!(severities(&run(rule, &waits(0, 0.0, 1))), [Severity::High]);
    }

    #[test]
    fn sessions_blocked_at_the_snapshot_count_when_the_log_shows_no_wait() {
        let blocked = Some(SessionsNow {
            blocked: vec![BlockedPair {
                blocked_pid: 12,
                blocking_pid: 11,
                ..Default::default()
            }],
            ..Default::default()
        });
        let mut a = waits(0, 0.0, 0);
        a.stats.activity = blocked.clone();
        let f = run(rule, &a);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].title, "1 session blocked at the snapshot");
        assert_eq!(f[0].time_at_stake_ms, None);
        // with waits in the log, the log's finding says it all
        let mut a = waits(2, 50.0, 0);
        a.stats.activity = blocked;
        assert_eq!(run(rule, &a).len(), 1);
        assert_eq!(run(rule, &a)[0].time_at_stake_ms, Some(50.0));
    }
}
