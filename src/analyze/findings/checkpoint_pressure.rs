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

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::analyze::stats::CheckpointerView;

    #[test]
    fn warnings_in_the_log_or_requested_checkpoints_in_the_statistics() {
        let mut a = Audit::default();
        assert!(run(rule, &a).is_empty());
        a.activity.checkpoints.too_frequent = 1;
        let f = run(rule, &a);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].kind, Kind::CheckpointPressure);
        assert!(f[0].change.contains("max_wal_size"));
        let mut a = Audit::default();
        a.stats.checkpointer = Some(CheckpointerView {
            timed: Some(10),
            requested: Some(1),
            too_many_requested: false,
            ..Default::default()
        });
        assert!(run(rule, &a).is_empty(), "under the statistics' threshold");
        a.stats.checkpointer.as_mut().unwrap().too_many_requested = true;
        assert_eq!(run(rule, &a).len(), 1);
    }
}
