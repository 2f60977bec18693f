//! Checklist item 12: monitoring and regression thresholds.

use super::{Inputs, item};
use crate::analyze::findings::{CheckItem, Status};

const NAME: &str = "Monitoring and regression thresholds";

/// Whether the run has figures to alert on (see
/// [`super::regression_thresholds`]): pass with timed statements in the log,
/// a pg_stat_statements export or a statistics window, not enough data with
/// none of them.
pub(super) fn check(inputs: &Inputs) -> CheckItem {
    let figures =
        inputs.logged() || inputs.pg_stat_statements() || inputs.audit.stats.stats_window.is_some();
    if figures {
        item(
            NAME,
            Status::Pass,
            "thresholds derived from this run are listed to alert on".into(),
            "#thresholds",
            None,
        )
    } else {
        item(
            NAME,
            Status::NotEnoughData,
            "no figures to derive thresholds from".into(),
            "#thresholds",
            Some("a log with durations or a statistics export"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::judge;
    use super::*;
    use crate::analyze::Audit;
    use crate::analyze::stats::{StatementReport, StatsWindow};

    #[test]
    fn any_source_of_figures_passes() {
        let mut logged = Audit::default();
        logged.summary.executions = 1;
        let mut pgss = Audit::default();
        pgss.stats.statements.push(StatementReport::default());
        let mut window = Audit::default();
        window.stats.stats_window = Some(StatsWindow::default());
        for a in [logged, pgss, window] {
            assert_eq!(judge(check, &a).status, Status::Pass);
        }
    }

    #[test]
    fn no_figures_is_not_enough_data() {
        let mut a = Audit::default();
        a.summary.entries = 10;
        let c = judge(check, &a);
        assert_eq!(c.status, Status::NotEnoughData);
        assert_eq!(c.evidence, "no figures to derive thresholds from");
    }
}
