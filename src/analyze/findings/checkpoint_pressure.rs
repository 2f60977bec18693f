//! Checkpoint pressure: checkpoints forced by WAL volume rather than time, from
//! the log's warnings or pg_stat_bgwriter / pg_stat_checkpointer.

use super::*;

/// The findings of this kind.
pub(super) fn rule(input: &RuleInput) -> Vec<Finding> {
    let a = input.audit;
    let mut out = Vec::new();
    let ck = &a.activity.checkpoints;
    let stats_ck = a
        .stats
        .checkpointer
        .as_ref()
        .filter(|c| c.too_many_requested);
    if ck.too_frequent > 0 || stats_ck.is_some() {
        let mut f = Finding::new(
            Kind::CheckpointPressure,
            Severity::Medium,
            match stats_ck {
                Some(c) => format!(
                    "Checkpoints requested by WAL volume: {} requested vs {} timed",
                    c.requested.unwrap_or(0),
                    c.timed.unwrap_or(0)
                ),
                None => format!(
                    "{} 'checkpoints are occurring too frequently' warnings",
                    ck.too_frequent
                ),
            },
        );
        f.time_basis = "not measurable from these inputs: checkpoints cost write spikes and full-page writes, not one query's time".into();
        f.target = "requested checkpoints under 10% of all; no 'too frequently' warning".into();
        f.change = "Raise max_wal_size (for example double it) so checkpoint_timeout starts most checkpoints; ALTER SYSTEM SET max_wal_size = '...'; SELECT pg_reload_conf();".into();
        f.rollback = "ALTER SYSTEM RESET max_wal_size; SELECT pg_reload_conf();".into();
        f.verify = "pg_stat_bgwriter/pg_stat_checkpointer: requested grows slower than timed; no warning in the log".into();
        out.push(f.ev(
            "checkpoints".into(),
            if stats_ck.is_some() {
                "#checkpointer"
            } else {
                "#checkpoints"
            },
        ));
    }
    out
}
