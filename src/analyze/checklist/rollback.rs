//! Checklist item 13: rollback procedure for every change.

use super::{Inputs, item};
use crate::analyze::findings::{CheckItem, Status};

const NAME: &str = "Rollback procedure for every change";

/// Whether every proposed change says how to undo it: fail when a finding
/// proposes a change without a rollback, pass when each carries one or
/// nothing is proposed on real inputs, not enough data when nothing is
/// proposed because nothing was read (no log entry, no statistics window).
pub(super) fn check(inputs: &Inputs) -> CheckItem {
    let a = inputs.audit;
    let proposed = || inputs.findings.iter().filter(|f| !f.change.is_empty());
    let changes = proposed().count();
    let without = proposed().filter(|f| f.rollback.is_empty()).count();
    let anything = a.summary.entries > 0 || a.stats.stats_window.is_some();
    let status = if without > 0 {
        Status::Fail
    } else if changes == 0 && !anything {
        Status::NotEnoughData
    } else {
        Status::Pass
    };
    let evidence = if changes == 0 {
        "no change proposed".into()
    } else {
        format!(
            "{} of {changes} proposed changes carry their rollback",
            changes - without
        )
    };
    item(NAME, status, evidence, "#findings", None)
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{finding, judge, judge_with};
    use super::*;
    use crate::analyze::Audit;
    use crate::analyze::findings::Kind;

    fn read_log() -> Audit {
        let mut a = Audit::default();
        a.summary.entries = 1;
        a
    }

    #[test]
    fn a_change_without_rollback_fails() {
        let findings = [
            finding(Kind::MissingIndex, "create index", "drop index"),
            finding(Kind::SlowQuery, "rewrite it", ""),
            finding(Kind::SlowQuery, "", ""),
        ];
        let c = judge_with(check, &read_log(), &findings, &[]);
        assert_eq!(c.status, Status::Fail);
        assert_eq!(c.evidence, "1 of 2 proposed changes carry their rollback");
    }

    #[test]
    fn every_change_with_its_rollback_passes() {
        let findings = [finding(Kind::MissingIndex, "create index", "drop index")];
        let c = judge_with(check, &Audit::default(), &findings, &[]);
        assert_eq!(c.status, Status::Pass);
        assert_eq!(c.evidence, "1 of 1 proposed changes carry their rollback");
    }

    #[test]
    fn no_change_on_real_inputs_passes() {
        let c = judge(check, &read_log());
        assert_eq!(c.status, Status::Pass);
        assert_eq!(c.evidence, "no change proposed");
    }

    #[test]
    fn no_change_on_no_input_is_not_enough_data() {
        let findings = [finding(Kind::SlowQuery, "", "")];
        let c = judge_with(check, &Audit::default(), &findings, &[]);
        assert_eq!(c.status, Status::NotEnoughData);
    }
}
