//! The statistics window: the time the snapshots' counters cover, per database
//! and overall, where it comes from (snapshot deltas or totals since a reset),
//! and what "unused" and other totals can and cannot say over it.

use crate::analyze::{DisplayZone, round3};
use crate::stats::snapshot::{DatabaseStats, WindowSource};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StatsWindow {
    pub start: Option<String>,
    pub end: Option<String>,
    /// `snapshots` (deltas between two snapshots), `stats_reset` (totals since the
    /// last reset) or `unknown`.
    pub source: WindowSource,
    pub seconds: Option<f64>,
    /// Snapshots read (all databases).
    pub snapshots: usize,
    /// One per database (and server).
    pub databases: Vec<DatabaseWindow>,
    /// Counters that went down between snapshots, and exports left out.
    pub resets: Vec<String>,
    /// How exports were told apart and ordered (tied by relids, read once,
    /// ordered by file time).
    #[serde(default)]
    pub notes: Vec<String>,
    /// Folders of exports left out (they could not be ordered).
    #[serde(default)]
    pub left_out: Vec<String>,
    /// What "unused" and other totals can and cannot say over this window.
    pub caveat: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DatabaseWindow {
    pub database: Option<String>,
    pub server: Option<String>,
    pub start: Option<String>,
    pub end: Option<String>,
    pub source: WindowSource,
    pub snapshots: usize,
    pub folders: Vec<String>,
    pub views: Vec<String>,
    pub is_replica: Option<bool>,
    pub server_version_num: Option<u64>,
    /// No row names the database: it is named after its export's folder.
    #[serde(default)]
    pub named_after_folder: bool,
}

/// The window of all databases: earliest start to latest end.
pub(super) fn window(dbs: &[DatabaseStats], tz: &DisplayZone) -> StatsWindow {
    let start = dbs.iter().filter_map(|d| d.start).min();
    let end = dbs.iter().filter_map(|d| d.end).max();
    // the overall source is that of the database with the most snapshots
    let source = dbs
        .iter()
        .max_by_key(|d| (d.snapshots, d.source == WindowSource::StatsReset))
        .map_or(WindowSource::Unknown, |d| d.source);
    let seconds = match (start, end) {
        (Some(a), Some(b)) if b.0 > a.0 => Some(round3((b.0 - a.0) as f64 / 1000.0)),
        _ => None,
    };
    // the caveat is about indexes and tables: exports of cluster-wide views
    // only have none; databases with the same caveat are named together
    let with_objects: Vec<&DatabaseStats> = dbs
        .iter()
        .filter(|d| !d.view.tables.is_empty() || !d.view.indexes.is_empty())
        .collect();
    let caveat = match with_objects.as_slice() {
        [] if dbs.len() == 1 => db_caveat(&dbs[0]),
        [] => String::new(),
        [one] => db_caveat(one),
        many => {
            let mut by_text: Vec<(String, Vec<&str>)> = Vec::new();
            for d in many {
                let text = db_caveat(d);
                let name = d.view.database.as_deref().unwrap_or(&d.view.folder);
                match by_text.iter_mut().find(|(t, _)| *t == text) {
                    Some((_, names)) => names.push(name),
                    None => by_text.push((text, vec![name])),
                }
            }
            by_text
                .into_iter()
                .map(|(text, names)| format!("{}: {text}", names.join(", ")))
                .collect::<Vec<_>>()
                .join(" ")
        }
    };
    StatsWindow {
        start: start.map(|t| tz.format(t)),
        end: end.map(|t| tz.format(t)),
        source,
        seconds,
        snapshots: dbs.iter().map(|d| d.snapshots).sum(),
        databases: dbs.iter().map(|d| database_window(d, tz)).collect(),
        resets: dbs.iter().flat_map(|d| d.resets.clone()).collect(),
        notes: dbs.iter().flat_map(|d| d.notes.clone()).collect(),
        left_out: dbs.iter().flat_map(|d| d.left_out.clone()).collect(),
        caveat,
    }
}

fn database_window(d: &DatabaseStats, tz: &DisplayZone) -> DatabaseWindow {
    DatabaseWindow {
        database: d.view.database.clone(),
        server: d.view.server.clone(),
        start: d.start.map(|t| tz.format(t)),
        end: d.end.map(|t| tz.format(t)),
        source: d.source,
        snapshots: d.snapshots,
        folders: d.folders.clone(),
        views: d.view.views.iter().cloned().collect(),
        is_replica: d.view.meta.as_ref().and_then(|m| m.is_replica),
        server_version_num: d.view.meta.as_ref().and_then(|m| m.server_version_num),
        named_after_folder: d.view.named_after_folder,
    }
}

/// A statistics CSV that fed nothing, and why.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UnusedStats {
    pub path: String,
    pub reason: String,
}

/// Whether a file's coverage is that of a statistics CSV (`csv` when not
/// recognized, `csv: <view>` when read; csvlog is `csvlog`).
pub fn is_statistics(f: &crate::coverage::FileCoverage) -> bool {
    f.format
        .as_deref()
        .is_some_and(|x| x == "csv" || x.starts_with("csv: "))
}

/// The statistics CSVs that fed nothing: not a view pgsift reads (or one it
/// only recognizes), a header of several views, an empty export, or an export
/// left out of its database's window.
pub fn unused_statistics(
    files: &[crate::coverage::FileCoverage],
    window: Option<&StatsWindow>,
) -> Vec<UnusedStats> {
    let left_out = window.map(|w| w.left_out.as_slice()).unwrap_or_default();
    files
        .iter()
        .filter(|f| is_statistics(f))
        .filter_map(|f| {
            let folder = std::path::Path::new(&f.path)
                .parent()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            let reason = if let Some(why) = &f.skipped {
                why.clone()
            } else if left_out.contains(&folder) {
                format!("its export ({folder}) was left out: see the statistics window")
            } else if f.lines_parsed == 0 && f.lines_total > 1 {
                "no usable row".to_string()
            } else {
                return None;
            };
            Some(UnusedStats {
                path: f.path.clone(),
                reason,
            })
        })
        .collect()
}

/// Seconds from a database's window start to its end; null when unknown or empty.
pub(super) fn seconds(d: &DatabaseStats) -> Option<f64> {
    match (d.start, d.end) {
        (Some(a), Some(b)) if b.0 > a.0 => Some((b.0 - a.0) as f64 / 1000.0),
        _ => None,
    }
}

/// What one database's counters cover, and what "unused" cannot say.
pub(super) fn db_caveat(d: &DatabaseStats) -> String {
    let seconds = seconds(d);
    let span = match seconds {
        Some(s) if s >= 86_400.0 => format!("{:.1} days", s / 86_400.0),
        Some(s) if s >= 3600.0 => format!("{:.1} hours", s / 3600.0),
        Some(s) => format!("{s:.0} seconds"),
        None => "an unknown time".into(),
    };
    let replica = d.view.meta.as_ref().and_then(|m| m.is_replica) == Some(true);
    let short = match seconds {
        Some(s) if s < 7.0 * 86_400.0 => {
            " This window is shorter than a week: treat unused indexes as ones to watch, not to drop yet."
        }
        None => " The window's length is unknown: check stats_reset before dropping anything.",
        _ => "",
    };
    format!(
        "Counters cover {span} ({}). An index unused here may serve rare jobs (month-end reports, \
         restores) outside this window, and replicas keep their own counters: check every replica \
         before dropping anything.{}",
        match d.source {
            WindowSource::Snapshots => format!("the deltas between {} snapshots", d.snapshots),
            WindowSource::StatsReset => "since the statistics were last reset".into(),
            WindowSource::Unknown =>
                "since the statistics were last reset; the export does not say when (stats_reset is empty)".into(),
        },
        if replica {
            " These statistics come from a replica."
        } else {
            ""
        }
    ) + short
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{db, snapshot};
    use super::*;
    use crate::stats::records::Meta;

    const DAY: i64 = 86_400_000;

    #[test]
    fn the_window_spans_every_database() {
        let tz = DisplayZone::choose(Some("UTC"), &Default::default());
        let mut b = db(
            snapshot("b", &["pg_stat_user_tables"]),
            Some(DAY),
            Some(3 * DAY),
        );
        b.snapshots = 3;
        b.source = WindowSource::StatsReset;
        b.resets = vec!["pg_stat_user_tables".into()];
        let table = || vec![crate::stats::records::Table::default()];
        b.view.tables = table();
        let mut a = db(snapshot("a", &[]), Some(0), Some(DAY));
        a.view.tables = table();
        let mut c = db(snapshot("c", &[]), Some(0), Some(DAY));
        c.view.tables = table();
        // cluster-wide views only: no table, no index, no caveat
        let mut cluster = db(
            snapshot("cluster", &["pg_stat_database"]),
            Some(0),
            Some(DAY),
        );
        cluster.view.database = None;
        let dbs = [a, b, c, cluster];
        let w = window(&dbs, &tz);
        assert_eq!(w.seconds, Some(259_200.0));
        assert_eq!(w.snapshots, 9);
        assert_eq!(w.source, WindowSource::StatsReset);
        assert_eq!(w.resets, ["pg_stat_user_tables"]);
        assert_eq!(w.databases.len(), 4);
        assert_eq!(w.databases[1].views, ["pg_stat_user_tables"]);
        // databases with the same caveat are named together
        assert!(
            w.caveat.starts_with("a, c: Counters cover 1.0 days"),
            "{}",
            w.caveat
        );
        assert!(w.caveat.contains(" b: Counters cover 2.0 days"));
        assert!(!w.caveat.contains("cluster"));
    }

    #[test]
    fn a_window_shorter_than_a_week_says_to_watch_not_drop() {
        let short = db(snapshot("a", &[]), Some(0), Some(7 * DAY - 1000));
        let c = db_caveat(&short);
        assert!(c.starts_with("Counters cover 7.0 days (the deltas between 2 snapshots)"));
        assert!(c.ends_with("not to drop yet."));
        let week = db(snapshot("a", &[]), Some(0), Some(7 * DAY));
        assert!(db_caveat(&week).ends_with("before dropping anything."));
    }

    #[test]
    fn the_caveat_names_hours_seconds_unknown_windows_and_replicas() {
        let hours = db(snapshot("a", &[]), Some(0), Some(3_600_000));
        assert!(db_caveat(&hours).starts_with("Counters cover 1.0 hours"));
        let secs = db(snapshot("a", &[]), Some(0), Some(3_599_000));
        assert!(db_caveat(&secs).starts_with("Counters cover 3599 seconds"));
        let mut unknown = db(snapshot("a", &[]), None, None);
        unknown.source = WindowSource::Unknown;
        unknown.view.meta = Some(Meta {
            is_replica: Some(true),
            ..Default::default()
        });
        let c = db_caveat(&unknown);
        assert!(c.starts_with("Counters cover an unknown time (since the statistics were last reset; the export does not say when"));
        assert!(c.contains("These statistics come from a replica."));
        assert!(c.ends_with("check stats_reset before dropping anything."));
    }
}
