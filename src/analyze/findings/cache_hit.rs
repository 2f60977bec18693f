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
                    .map(|(n, r)| format!("{n} {}", pct(*r)))
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
