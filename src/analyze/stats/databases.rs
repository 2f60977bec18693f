//! `pg_stat_database`, one row per database (and server): cache hit ratio,
//! commits and rollbacks, temporary files, deadlocks, backends. The view is
//! cluster-wide: each database is read once, from the export with the best
//! window.

use super::{FormatTime, StatsView, preferred, ratio, round6};
use crate::stats::records::Database;
use crate::stats::snapshot::DatabaseStats;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DatabaseReport {
    pub datname: String,
    pub cache_hit_ratio: Option<f64>,
    pub blks_hit: Option<u64>,
    pub blks_read: Option<u64>,
    pub xact_commit: Option<u64>,
    pub xact_rollback: Option<u64>,
    pub rollback_ratio: Option<f64>,
    pub temp_files: Option<u64>,
    pub temp_bytes: Option<u64>,
    pub deadlocks: Option<u64>,
    pub numbackends: Option<u64>,
    pub stats_reset: Option<String>,
}

/// Fills the view's databases, most blocks read first.
pub(super) fn databases(view: &mut StatsView, dbs: &[DatabaseStats], ts: FormatTime) {
    let mut seen = BTreeSet::new();
    for d in preferred(dbs) {
        for x in &d.view.databases {
            if x.datname.is_empty() || !seen.insert((d.view.server.clone(), x.datname.clone())) {
                continue;
            }
            view.databases.push(report(x, ts));
        }
    }
    view.databases.sort_by(|a, b| {
        b.blks_read
            .unwrap_or(0)
            .cmp(&a.blks_read.unwrap_or(0))
            .then(a.datname.cmp(&b.datname))
    });
}

fn report(x: &Database, ts: FormatTime) -> DatabaseReport {
    DatabaseReport {
        datname: x.datname.clone(),
        cache_hit_ratio: match (x.blks_hit, x.blks_read) {
            (Some(h), Some(r)) => ratio(h, r),
            _ => None,
        },
        blks_hit: x.blks_hit,
        blks_read: x.blks_read,
        xact_commit: x.xact_commit,
        xact_rollback: x.xact_rollback,
        rollback_ratio: match (x.xact_commit, x.xact_rollback) {
            (Some(c), Some(r)) if c + r > 0 => Some(round6(r as f64 / (c + r) as f64)),
            _ => None,
        },
        temp_files: x.temp_files,
        temp_bytes: x.temp_bytes,
        deadlocks: x.deadlocks,
        numbackends: x.numbackends,
        stats_reset: ts(x.stats_reset),
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{db, snapshot};
    use super::*;
    use crate::parse::timestamp::Timestamp;

    fn row(datname: &str, blks_read: u64, commits: u64, rollbacks: u64) -> Database {
        Database {
            datname: datname.into(),
            blks_hit: Some(3 * blks_read),
            blks_read: Some(blks_read),
            xact_commit: Some(commits),
            xact_rollback: Some(rollbacks),
            stats_reset: Some(Timestamp(0)),
            ..Default::default()
        }
    }

    fn build(dbs: &[DatabaseStats]) -> Vec<DatabaseReport> {
        let mut view = StatsView::default();
        databases(&mut view, dbs, &|t: Option<Timestamp>| {
            t.map(|t| t.0.to_string())
        });
        view.databases
    }

    #[test]
    fn each_database_once_most_blocks_read_first() {
        let export = |name: &str, snapshots: usize, rows: Vec<Database>| {
            let mut s = snapshot(name, &["pg_stat_database"]);
            s.server = Some("db1".into());
            s.databases = rows;
            let mut d = db(s, None, None);
            d.snapshots = snapshots;
            d
        };
        let dbs = [
            export("a", 1, vec![row("shop", 1, 1, 1), row("", 5, 0, 0)]),
            export("b", 3, vec![row("shop", 4, 3, 1), row("crm", 8, 0, 0)]),
        ];
        let r = build(&dbs);
        let names: Vec<(&str, Option<u64>)> = r
            .iter()
            .map(|d| (d.datname.as_str(), d.blks_read))
            .collect();
        assert_eq!(names, [("crm", Some(8)), ("shop", Some(4))]);
        assert_eq!(r[1].cache_hit_ratio, Some(0.75));
        assert_eq!(r[1].rollback_ratio, Some(0.25));
        assert_eq!(r[1].stats_reset.as_deref(), Some("0"));
        // no transactions: no rollback ratio
        assert_eq!(r[0].rollback_ratio, None);
    }
}
