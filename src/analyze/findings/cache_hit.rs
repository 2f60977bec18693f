//! Cache hit ratio: tables, indexes or databases read from disk more often than
//! the 99% target allows.

use super::*;

/// The findings of this kind.
pub(super) fn rule(input: &RuleInput) -> Vec<Finding> {
    let a = input.audit;
    let mut out = Vec::new();
    let low: Vec<(String, f64)> = a
        .stats
        .databases
        .iter()
        .filter_map(|d| {
            d.cache_hit_ratio
                .filter(|r| *r < CACHE_HIT_TARGET)
                .map(|r| (d.datname.clone(), r))
        })
        .chain(
            a.stats
                .cache
                .table_hit_ratio
                .filter(|r| *r < CACHE_HIT_TARGET)
                .map(|r| ("tables".to_string(), r)),
        )
        .collect();
    if !low.is_empty() {
        let io: f64 = a.stats.statements.iter().map(|s| s.io_ms).sum();
        let mut f = Finding::new(
            Kind::CacheHit,
            if low.iter().any(|(_, r)| *r < 0.95) {
                Severity::High
            } else {
                Severity::Medium
            },
            format!(
                "Cache hit ratio under 99%: {}",
                low.iter()
                    .map(|(n, r)| format!("{n} {}", percent(*r)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
        if io > 0.0 {
            f.time_at_stake_ms = Some(io);
            f.time_basis = "pg_stat_statements: block read/write time (track_io_timing)".into();
        } else {
            f.time_basis =
                "not measurable from these inputs: turn on track_io_timing to time block reads"
                    .into();
        }
        f.target = "cache hit ratio 99% or more".into();
        f.change = "Cut the big reads first (missing indexes, sequential scans above); then size shared_buffers (about 25% of RAM) to the working set".into();
        f.rollback = "ALTER SYSTEM RESET shared_buffers (needs a restart)".into();
        f.verify = "blks_hit / (blks_hit + blks_read) in pg_stat_database over a new window".into();
        out.push(f.ev("cache hit ratios".into(), "#cache"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::analyze::stats::DatabaseReport;

    fn db(ratio: f64) -> Audit {
        let mut a = Audit::default();
        a.stats.databases = vec![DatabaseReport {
            datname: "app".into(),
            cache_hit_ratio: Some(ratio),
            ..Default::default()
        }];
        a
    }

    #[test]
    fn under_the_target_medium_under_95_high() {
        assert!(run(rule, &Audit::default()).is_empty());
        assert!(run(rule, &db(CACHE_HIT_TARGET)).is_empty());
        assert_eq!(severities(&run(rule, &db(0.985))), [Severity::Medium]);
        assert_eq!(severities(&run(rule, &db(0.949))), [Severity::High]);
        let mut tables = Audit::default();
        tables.stats.cache.table_hit_ratio = Some(0.9);
        assert!(run(rule, &tables)[0].title.contains("tables 90.0%"));
    }

    #[test]
    fn io_time_is_the_time_at_stake_when_tracked() {
        let mut a = db(0.9);
        assert_eq!(run(rule, &a)[0].time_at_stake_ms, None);
        a.stats.statements = vec![crate::analyze::stats::StatementReport {
            io_ms: 120.0,
            ..Default::default()
        }];
        assert_eq!(run(rule, &a)[0].time_at_stake_ms, Some(120.0));
    }
}
