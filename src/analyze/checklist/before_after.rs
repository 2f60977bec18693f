//! Checklist item 11: before/after comparison of two runs.

use super::{Inputs, item};
use crate::analyze::findings::{CheckItem, Status};
use crate::stats::snapshot::WindowSource;

const NAME: &str = "Before/after comparison of two runs";

/// Whether a change can be judged against an earlier run: with `--baseline`,
/// pass when no query got slower, attention when some did, not enough data
/// when the runs share no query; without it, attention when the statistics
/// are deltas between two snapshots (no query latencies to compare), not
/// enough data otherwise.
pub(super) fn check(inputs: &Inputs) -> CheckItem {
    let a = inputs.audit;
    match (&a.comparison, a.stats.stats_window.as_ref()) {
        (Some(c), _) if c.matched == 0 => item(
            NAME,
            Status::NotEnoughData,
            format!(
                "the baseline ({}) has no query in common with this run",
                c.baseline
            ),
            "#comparison",
            Some("--baseline with the JSON of a run over the same workload"),
        ),
        (Some(c), _) => item(
            NAME,
            if c.regressions.is_empty() {
                Status::Pass
            } else {
                Status::Attention
            },
            format!(
                "compared with {}: {} queries faster, {} slower",
                c.baseline,
                c.improvements.len(),
                c.regressions.len()
            ),
            "#comparison",
            None,
        ),
        (None, Some(w)) if w.snapshots >= 2 && w.source == WindowSource::Snapshots => item(
            NAME,
            Status::Attention,
            "statistics are deltas between two snapshots, but no earlier pgsift run to compare query latencies with".into(),
            "#snapshot",
            Some("--baseline EARLIER.json (a previous run's --json)"),
        ),
        _ => item(
            NAME,
            Status::NotEnoughData,
            "one run only".into(),
            "#comparison",
            Some("--baseline EARLIER.json (the --json of the run before the change)"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::judge;
    use super::*;
    use crate::analyze::Audit;
    use crate::analyze::compare::{Comparison, QueryChange};
    use crate::analyze::stats::StatsWindow;

    fn compared(matched: usize, faster: usize, slower: usize) -> Audit {
        Audit {
            comparison: Some(Comparison {
                baseline: "pgsift 1.0".into(),
                matched,
                improvements: vec![QueryChange::default(); faster],
                regressions: vec![QueryChange::default(); slower],
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn window(snapshots: usize, source: WindowSource) -> Audit {
        let mut a = Audit::default();
        a.stats.stats_window = Some(StatsWindow {
            snapshots,
            source,
            ..Default::default()
        });
        a
    }

    #[test]
    fn no_query_slower_passes() {
        let c = judge(check, &compared(3, 2, 0));
        assert_eq!(c.status, Status::Pass);
        assert_eq!(
            c.evidence,
            "compared with pgsift 1.0: 2 queries faster, 0 slower"
        );
    }

    #[test]
    fn a_slower_query_is_attention() {
        assert_eq!(judge(check, &compared(3, 0, 1)).status, Status::Attention);
    }

    #[test]
    fn no_query_in_common_is_not_enough_data() {
        let c = judge(check, &compared(0, 0, 0));
        assert_eq!(c.status, Status::NotEnoughData);
        assert!(c.evidence.contains("no query in common"));
    }

    #[test]
    fn two_snapshots_without_a_baseline_are_attention() {
        let c = judge(check, &window(2, WindowSource::Snapshots));
        assert_eq!(c.status, Status::Attention);
        assert_eq!(c.link, "#snapshot");
    }

    #[test]
    fn one_snapshot_or_a_reset_window_is_one_run() {
        for a in [
            window(1, WindowSource::Snapshots),
            window(2, WindowSource::StatsReset),
            Audit::default(),
        ] {
            let c = judge(check, &a);
            assert_eq!(c.status, Status::NotEnoughData);
            assert_eq!(c.evidence, "one run only");
        }
    }
}
