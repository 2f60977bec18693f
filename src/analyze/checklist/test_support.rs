//! Small hand-made evidence for the checklist's unit tests: queries, findings
//! and statistics exports built from a few fields, and a way to judge one item.

use super::{Check, Inputs};
use crate::analyze::findings::{CheckItem, Finding, Kind, Severity};
use crate::analyze::{Audit, QueryReport};
use crate::stats::records::Setting;
use crate::stats::snapshot::{DatabaseStats, Snapshot, WindowSource};

/// Judges one item on an audit, its findings and the exports.
pub(super) fn judge_with(
    check: Check,
    audit: &Audit,
    findings: &[Finding],
    dbs: &[DatabaseStats],
) -> CheckItem {
    check(&Inputs {
        audit,
        findings,
        dbs,
    })
}

/// Judges one item on an audit alone (no findings, no exports).
pub(super) fn judge(check: Check, audit: &Audit) -> CheckItem {
    judge_with(check, audit, &[], &[])
}

/// The whole checklist on an audit alone.
pub(super) fn judge_all(audit: &Audit) -> Vec<CheckItem> {
    super::checklist(audit, &[], &[])
}

/// A timed query of the log.
pub(super) fn query(fingerprint: &str, normalized: &str, count: u64) -> QueryReport {
    QueryReport {
        fingerprint: fingerprint.into(),
        normalized: normalized.into(),
        count,
        ..Default::default()
    }
}

/// A finding of this kind proposing `change`, undone by `rollback`.
pub(super) fn finding(kind: Kind, change: &str, rollback: &str) -> Finding {
    Finding {
        kind,
        severity: Severity::Medium,
        title: format!("{} finding", kind.as_str()),
        time_at_stake_ms: None,
        time_basis: String::new(),
        target: String::new(),
        change: change.into(),
        rollback: rollback.into(),
        verify: String::new(),
        evidence: Vec::new(),
        fingerprint: None,
        normalized: None,
        database: None,
        table: None,
        columns: None,
        index: None,
    }
}

/// One database's statistics export holding these views and settings.
pub(super) fn export(views: &[&str], settings: &[(&str, &str)]) -> DatabaseStats {
    DatabaseStats {
        view: Snapshot {
            views: views.iter().map(|v| v.to_string()).collect(),
            settings: settings
                .iter()
                .map(|(name, value)| {
                    (
                        name.to_string(),
                        Setting {
                            name: name.to_string(),
                            setting: value.to_string(),
                            unit: None,
                        },
                    )
                })
                .collect(),
            ..Default::default()
        },
        start: None,
        end: None,
        source: WindowSource::Unknown,
        snapshots: 1,
        ..Default::default()
    }
}
