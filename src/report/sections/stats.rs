//! The statistics part of the report: without statistics CSVs, the note on how
//! to export them; with them, the statistics window (the time the counters
//! cover) followed by the statements, indexes, tables, cache, connections and
//! checkpointer sections.

use super::{cache, checkpointer, connections, indexes, statements, tables};
use crate::analyze::Audit;
use crate::stats::snapshot::WindowSource;
use askama::Template;

#[derive(Debug, Default, Template)]
#[template(path = "sections/stats.html")]
pub struct StatsSection {
    /// Statistics CSVs were given: the sections below are rendered.
    pub present: bool,
    pub window: String,
    pub window_caveat: String,
    pub resets: Vec<String>,
    pub notes: Vec<String>,
    pub statements: statements::StatementsSection,
    pub indexes: indexes::IndexesSection,
    pub tables: tables::TablesSection,
    pub cache: cache::CacheSection,
    pub connections: connections::ConnectionsSection,
    pub checkpointer: checkpointer::CheckpointerSection,
}

pub fn build(a: &Audit, top: usize) -> StatsSection {
    let Some(w) = &a.stats.stats_window else {
        return StatsSection::default();
    };
    let dbs: Vec<String> = w
        .databases
        .iter()
        .map(|d| {
            let name = match (&d.database, d.named_after_folder) {
                (Some(db), true) => format!("{db} (named after its folder)"),
                (Some(db), false) => db.clone(),
                (None, _) => "cluster-wide views".into(),
            };
            format!(
                "{name}{} ({} snapshot{})",
                d.server
                    .as_deref()
                    .map(|s| format!(" on {s}"))
                    .unwrap_or_default(),
                d.snapshots,
                if d.snapshots == 1 { "" } else { "s" }
            )
        })
        .collect();
    let window = format!(
        "{} to {}: {} ({})",
        w.start
            .as_deref()
            .unwrap_or("last statistics reset (time unknown)"),
        w.end.as_deref().unwrap_or("?"),
        match w.source {
            WindowSource::Snapshots => "deltas between the first and last snapshot",
            WindowSource::StatsReset => "totals since the statistics reset",
            WindowSource::Unknown => "totals since an unknown time",
        },
        dbs.join("; ")
    );
    StatsSection {
        present: true,
        window,
        window_caveat: w.caveat.clone(),
        resets: w.resets.clone(),
        notes: w.notes.clone(),
        statements: statements::build(a, top),
        indexes: indexes::build(a, top),
        tables: tables::build(a, top),
        cache: cache::build(a, top),
        connections: connections::build(a, top),
        checkpointer: checkpointer::build(a, top),
    }
}
