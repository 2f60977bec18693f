//! The optimization checklist: one file per item, each a function from the
//! run's [`Inputs`] (the audit, its findings, the statistics exports) to its
//! [`CheckItem`], marked pass, attention, fail or not enough data (naming the
//! input that would answer it); [`ITEMS`] lists them in the brief's order.
//! Also the regression thresholds to monitor and the report's first screen.

mod baseline;
mod before_after;
mod bottlenecks;
mod cache_hit;
mod explain_evidence;
mod first_screen;
mod index_explosion;
mod lock_contention;
mod missing_indexes;
mod n_plus_one;
mod pool_sizing;
mod regression_thresholds;
mod rollback;
mod thresholds;
mod write_impact;

#[cfg(test)]
mod test_support;

pub(crate) use first_screen::first_screen;
pub(crate) use regression_thresholds::thresholds;

use super::Audit;
use super::findings::{CheckItem, Finding, Kind, Status};
use crate::stats::snapshot::DatabaseStats;

/// What every checklist item is judged from.
pub(crate) struct Inputs<'a> {
    pub audit: &'a Audit,
    /// The findings of this run, ranked.
    pub findings: &'a [Finding],
    /// The statistics exports, one per database.
    pub dbs: &'a [DatabaseStats],
}

impl Inputs<'_> {
    /// The log has timed statement executions.
    fn logged(&self) -> bool {
        self.audit.summary.executions > 0
    }

    /// A pg_stat_statements export was read.
    fn pg_stat_statements(&self) -> bool {
        !self.audit.stats.statements.is_empty()
    }

    /// Findings of one kind.
    fn count(&self, kind: Kind) -> usize {
        self.findings.iter().filter(|f| f.kind == kind).count()
    }

    /// Some export holds this view (`pg_stat_user_tables`).
    fn exported(&self, view: &str) -> bool {
        self.dbs.iter().any(|d| d.view.views.contains(view))
    }

    /// A setting from any export (`on`/`off`, a number), if exported.
    fn setting(&self, name: &str) -> Option<&str> {
        self.dbs
            .iter()
            .find_map(|d| d.view.settings.get(name).map(|s| s.setting.as_str()))
    }
}

/// One checklist item: judges the inputs.
pub(crate) type Check = fn(&Inputs) -> CheckItem;

/// The checklist of the brief, in its order.
pub(crate) const ITEMS: [Check; 13] = [
    explain_evidence::check,
    baseline::check,
    bottlenecks::check,
    n_plus_one::check,
    missing_indexes::check,
    index_explosion::check,
    lock_contention::check,
    cache_hit::check,
    pool_sizing::check,
    write_impact::check,
    before_after::check,
    thresholds::check,
    rollback::check,
];

/// Every item of [`ITEMS`], judged on this run.
pub(crate) fn checklist(a: &Audit, findings: &[Finding], dbs: &[DatabaseStats]) -> Vec<CheckItem> {
    let inputs = Inputs {
        audit: a,
        findings,
        dbs,
    };
    ITEMS.iter().map(|check| check(&inputs)).collect()
}

/// A checklist row.
fn item(
    name: &str,
    status: Status,
    evidence: String,
    link: &str,
    needs: Option<&str>,
) -> CheckItem {
    CheckItem {
        item: name.into(),
        status,
        evidence,
        link: link.into(),
        needs: needs.map(str::to_string),
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::judge_all;
    use crate::analyze::Audit;

    #[test]
    fn items_come_in_the_briefs_order() {
        let names: Vec<String> = judge_all(&Audit::default())
            .into_iter()
            .map(|c| c.item)
            .collect();
        assert_eq!(
            names,
            [
                "EXPLAIN evidence on slow queries",
                "Baseline metrics",
                "Bottlenecks ranked by total time",
                "N+1 patterns",
                "Missing indexes",
                "Unused and duplicate indexes (index explosion)",
                "Lock contention",
                "Cache hit rate",
                "Connection pool sizing",
                "Write-performance impact of indexes",
                "Before/after comparison of two runs",
                "Monitoring and regression thresholds",
                "Rollback procedure for every change",
            ]
        );
    }

    #[test]
    fn an_empty_run_lacks_data_for_every_item() {
        for c in judge_all(&Audit::default()) {
            assert_eq!(
                c.status,
                crate::analyze::findings::Status::NotEnoughData,
                "{}",
                c.item
            );
            assert!(
                c.needs.is_some() || c.item.starts_with("Rollback"),
                "{}",
                c.item
            );
        }
    }
}
