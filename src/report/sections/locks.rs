//! "Lock waits and deadlocks": waits logged by log_lock_waits, by statement and
//! object, and each deadlock with its cycle and the canceled statement.

use crate::analyze::Audit;
use crate::report::rows::StatementCell;
use crate::units::{count, duration_ms};
use askama::Template;

#[derive(Debug, Clone, Default)]
pub struct LockRow {
    pub stmt: StatementCell,
    pub object: String,
    pub mode: String,
    pub waits: String,
    pub total: String,
    pub total_ms: f64,
    pub max: String,
    pub deadlocks: u64,
}

#[derive(Debug, Clone, Default)]
pub struct DeadlockRow {
    pub ts: String,
    pub cycle: String,
    pub victim: StatementCell,
}

#[derive(Debug, Default, Template)]
#[template(path = "sections/locks.html")]
pub struct LocksSection {
    pub locks_summary: String,
    pub locks: Vec<LockRow>,
    pub deadlocks_summary: String,
    pub deadlocks: Vec<DeadlockRow>,
}

pub fn build(audit: &Audit, top: usize) -> LocksSection {
    let a = &audit.activity;
    let l = &a.locks;
    LocksSection {
        locks_summary: format!(
            "{} waits logged (log_lock_waits), {} acquired after waiting {} in all.",
            count(l.waits),
            count(l.acquired),
            duration_ms(l.total_wait_ms)
        ),
        locks: l
            .items
            .iter()
            .take(top)
            .map(|i| LockRow {
                stmt: StatementCell::new(i.statement.as_ref()),
                object: i.object.clone(),
                mode: i.mode.clone(),
                waits: count(i.waits),
                total: duration_ms(i.total_wait_ms),
                total_ms: i.total_wait_ms,
                max: duration_ms(i.max_wait_ms),
                deadlocks: i.deadlocks,
            })
            .collect(),
        deadlocks_summary: format!("{} deadlock(s).", count(a.deadlocks.count)),
        deadlocks: a
            .deadlocks
            .items
            .iter()
            .take(top)
            .map(|d| DeadlockRow {
                ts: d.ts.clone().unwrap_or_else(|| "-".into()),
                cycle: d.cycle.clone(),
                victim: StatementCell::new(d.victim.as_ref()),
            })
            .collect(),
    }
}
