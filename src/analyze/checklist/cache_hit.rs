//! Checklist item 8: cache hit rate.

use super::{Inputs, item};
use crate::analyze::findings::{CheckItem, Status};
use crate::analyze::stats::CACHE_HIT_TARGET;

const NAME: &str = "Cache hit rate";

/// Below this hit ratio the cache fails (above it, attention up to the target).
const FAILING_HIT_RATIO: f64 = 0.95;

/// Whether reads are served from shared buffers: the lowest hit ratio of the
/// databases (pg_stat_database) and of the user tables (pg_statio_user_tables)
/// fails under [`FAILING_HIT_RATIO`], is attention under [`CACHE_HIT_TARGET`],
/// passes from it on; not enough data without block counters.
pub(super) fn check(inputs: &Inputs) -> CheckItem {
    let a = inputs.audit;
    let lowest = a
        .stats
        .databases
        .iter()
        .filter_map(|d| d.cache_hit_ratio)
        .chain(a.stats.cache.table_hit_ratio)
        .reduce(f64::min);
    match lowest {
        Some(r) if r < FAILING_HIT_RATIO => item(
            NAME,
            Status::Fail,
            format!("lowest {:.1}% (target 99%)", r * 100.0),
            "#cache",
            None,
        ),
        Some(r) if r < CACHE_HIT_TARGET => item(
            NAME,
            Status::Attention,
            format!("lowest {:.1}% (target 99%)", r * 100.0),
            "#cache",
            None,
        ),
        Some(r) => item(
            NAME,
            Status::Pass,
            format!("lowest {:.2}% (target 99%)", r * 100.0),
            "#cache",
            None,
        ),
        None => item(
            NAME,
            Status::NotEnoughData,
            "no block counters".into(),
            "#cache",
            Some("export pg_stat_database and pg_statio_user_tables (pgsift export-script)"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::judge;
    use super::*;
    use crate::analyze::Audit;
    use crate::analyze::stats::DatabaseReport;

    fn ratios(databases: &[f64], tables: Option<f64>) -> Audit {
        let mut a = Audit::default();
        for &r in databases {
            a.stats.databases.push(DatabaseReport {
                cache_hit_ratio: Some(r),
                ..Default::default()
            });
        }
        a.stats.cache.table_hit_ratio = tables;
        a
    }

    #[test]
    fn under_95_percent_fails() {
        let c = judge(check, &ratios(&[0.999, 0.9], None));
        assert_eq!(c.status, Status::Fail);
        assert_eq!(c.evidence, "lowest 90.0% (target 99%)");
    }

    #[test]
    fn the_tables_ratio_counts_too() {
        let c = judge(check, &ratios(&[0.999], Some(0.94)));
        assert_eq!(c.status, Status::Fail);
        let c = judge(check, &ratios(&[], Some(0.999)));
        assert_eq!(c.status, Status::Pass);
    }

    #[test]
    fn from_95_to_under_99_percent_is_attention() {
        assert_eq!(
            judge(check, &ratios(&[0.95], None)).status,
            Status::Attention
        );
        let c = judge(check, &ratios(&[0.989], None));
        assert_eq!(c.status, Status::Attention);
        assert_eq!(c.evidence, "lowest 98.9% (target 99%)");
    }

    #[test]
    fn from_99_percent_on_passes() {
        let c = judge(check, &ratios(&[0.99], None));
        assert_eq!(c.status, Status::Pass);
        assert_eq!(c.evidence, "lowest 99.00% (target 99%)");
    }

    #[test]
    fn no_block_counters_is_not_enough_data() {
        let mut a = Audit::default();
        a.stats.databases.push(DatabaseReport::default());
        let c = judge(check, &a);
        assert_eq!(c.status, Status::NotEnoughData);
        assert!(c.needs.is_some());
    }
}
