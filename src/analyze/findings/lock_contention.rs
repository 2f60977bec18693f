//! Lock contention: lock waits (`log_lock_waits`) and deadlocks in the log, the
//! statement that waited longest first.

use super::*;

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
                "{} lock waits ({} in all), {} deadlock(s)",
                l.waits,
                ms_text(l.total_wait_ms),
                a.activity.deadlocks.count
            ),
        );
        f.time_at_stake_ms = Some(l.total_wait_ms);
        f.time_basis = "log: time statements waited for locks (log_lock_waits)".into();
        if let Some(top) = l.by_query.first() {
            f.fingerprint = Some(top.key.clone());
            f.normalized = Some(top.label.clone());
        }
        f.target = format!(
            "lock wait {} -> near 0; deadlocks {} -> 0",
            ms_text(l.total_wait_ms),
            a.activity.deadlocks.count
        );
        f.change = "Shorten the transactions holding the locks (commit sooner, no user think-time inside), touch rows in one order everywhere (no deadlocks), and set lock_timeout for the waiting code path".into();
        f.rollback = "Revert the application change; RESET lock_timeout".into();
        f.verify = "Run pgsift on the log after the change: lock waits and deadlocks in the Locks section drop".into();
        out.push(f.ev("lock waits and deadlocks".into(), "#locks"));
    }
    if let Some(act) = &a.stats.activity
        && !act.blocked.is_empty()
        && l.waits == 0
    {
        let mut f = Finding::new(
            Kind::LockContention,
            Severity::Medium,
            format!("{} session(s) blocked at the snapshot", act.blocked.len()),
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
