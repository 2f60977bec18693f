//! Cache hit ratio: tables, indexes or databases read from disk more often than
//! the 99% target allows. A ratio means something only over real traffic: the
//! template databases and databases that touched fewer than
//! [`MIN_BLOCKS`] blocks in the window (a database nobody uses, the
//! `postgres` maintenance database) are left out. Advice on `track_io_timing`
//! follows its exported setting.

use super::*;

/// Blocks read or hit (8 KiB each: 80 MiB) below which a cache ratio is noise.
pub(super) const MIN_BLOCKS: u64 = 10_000;

/// `track_io_timing` as an export states it (pg_settings or the metadata).
fn track_io_timing(dbs: &[DatabaseStats]) -> Option<&str> {
    dbs.iter().find_map(|d| {
        d.view
            .settings
            .get("track_io_timing")
            .map(|s| s.setting.as_str())
            .or_else(|| d.view.meta.as_ref()?.track_io_timing.as_deref())
    })
}

/// The findings of this kind.
pub(super) fn rule(input: &RuleInput) -> Vec<Finding> {
    let a = input.audit;
    let mut out = Vec::new();
    let busy = |hit: u64, read: u64| hit + read >= MIN_BLOCKS;
    let table_blocks = a.stats.cache.table_blocks.unwrap_or(0);
    let low: Vec<(String, f64)> = a
        .stats
        .databases
        .iter()
        .filter(|d| {
            !d.datname.starts_with("template")
                && busy(d.blks_hit.unwrap_or(0), d.blks_read.unwrap_or(0))
        })
        .filter_map(|d| {
            d.cache_hit_ratio
                .filter(|r| *r < CACHE_HIT_TARGET)
                .map(|r| (d.datname.clone(), r))
        })
        .chain(
            // pg_stat_io's cluster-wide ratio when no pg_stat_database says it
            a.stats
                .cache
                .io_hit_ratio
                .filter(|r| {
                    a.stats.databases.is_empty()
                        && *r < CACHE_HIT_TARGET
                        && a.stats.cache.io_blocks.unwrap_or(0) >= MIN_BLOCKS
                })
                .map(|r| ("shared buffers (pg_stat_io)".to_string(), r)),
        )
        .chain(
            a.stats
                .cache
                .table_hit_ratio
                .filter(|r| *r < CACHE_HIT_TARGET && table_blocks >= MIN_BLOCKS)
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
            f.time_basis = match track_io_timing(input.dbs) {
                Some("on") => "not measurable from these inputs: track_io_timing is on, but no pg_stat_statements entry has block read time in the window".into(),
                Some(_) => "not measurable from these inputs: track_io_timing is off; turn it on (ALTER SYSTEM SET track_io_timing = on; SELECT pg_reload_conf()) to time block reads".into(),
                None => "not measurable from these inputs: with track_io_timing on, pg_stat_statements times block reads".into(),
            };
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
    use crate::stats::snapshot::{Snapshot, WindowSource};

    /// A database `name` that touched `blocks` blocks at this hit ratio.
    fn database(name: &str, ratio: f64, blocks: u64) -> DatabaseReport {
        let hit = (blocks as f64 * ratio).round() as u64;
        DatabaseReport {
            datname: name.into(),
            cache_hit_ratio: Some(ratio),
            blks_hit: Some(hit),
            blks_read: Some(blocks - hit),
            ..Default::default()
        }
    }

    fn db(ratio: f64) -> Audit {
        let mut a = Audit::default();
        a.stats.databases = vec![database("app", ratio, 1_000_000)];
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
        tables.stats.cache.table_blocks = Some(MIN_BLOCKS);
        assert!(run(rule, &tables)[0].title.contains("tables 90.0%"));
        tables.stats.cache.table_blocks = Some(MIN_BLOCKS - 1);
        assert!(run(rule, &tables).is_empty(), "under 10,000 blocks");
    }

    #[test]
    fn idle_and_template_databases_say_nothing() {
        // pgbench's cluster: template1 and postgres barely touched
        let mut a = Audit::default();
        a.stats.databases = vec![
            database("template1", 0.988, 84_881),
            database("postgres", 0.959, 3_343),
            database("bench", 0.99, 22_130),
        ];
        assert!(run(rule, &a).is_empty());
        a.stats.databases.push(database("app", 0.95, MIN_BLOCKS));
        assert_eq!(
            run(rule, &a)[0].title,
            "Cache hit ratio under 99%: app 95.0%"
        );
        a.stats.databases[3] = database("app", 0.5, MIN_BLOCKS - 1);
        assert!(run(rule, &a).is_empty());
    }

    #[test]
    fn io_time_is_the_time_at_stake_when_tracked() {
        let mut a = db(0.9);
        assert_eq!(run(rule, &a)[0].time_at_stake_ms, None);
        assert!(
            run(rule, &a)[0]
                .time_basis
                .contains("with track_io_timing on")
        );
        a.stats.statements = vec![crate::analyze::stats::StatementReport {
            io_ms: 120.0,
            ..Default::default()
        }];
        assert_eq!(run(rule, &a)[0].time_at_stake_ms, Some(120.0));
    }

    #[test]
    fn the_advice_on_track_io_timing_follows_the_setting() {
        let a = db(0.9);
        let export = |value: &str| {
            let mut view = Snapshot::default();
            view.settings.insert(
                "track_io_timing".into(),
                crate::stats::records::Setting {
                    name: "track_io_timing".into(),
                    setting: value.into(),
                    ..Default::default()
                },
            );
            DatabaseStats {
                view,
                start: None,
                end: None,
                source: WindowSource::Unknown,
                snapshots: 1,
                ..Default::default()
            }
        };
        let on = [export("on")];
        let f = rule(&RuleInput::new(&a, &on));
        assert!(
            f[0].time_basis.contains("track_io_timing is on"),
            "{}",
            f[0].time_basis
        );
        assert!(!f[0].time_basis.contains("turn it on"));
        let off = [export("off")];
        let f = rule(&RuleInput::new(&a, &off));
        assert!(f[0].time_basis.contains("turn it on"));
    }
}
