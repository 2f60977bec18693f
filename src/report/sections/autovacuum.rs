//! "Autovacuum": autovacuum and autoanalyze runs logged, by table.

use crate::analyze::Audit;
use crate::units::{count, duration_ms};
use askama::Template;

#[derive(Debug, Clone, Default)]
pub struct VacuumRow {
    pub table: String,
    pub vacuums: u64,
    pub analyzes: u64,
    pub elapsed: String,
    pub pages: String,
    pub tuples: String,
}

#[derive(Debug, Default, Template)]
#[template(path = "sections/autovacuum.html")]
pub struct AutovacuumSection {
    pub vacuum_summary: String,
    pub vacuums: Vec<VacuumRow>,
}

pub fn build(audit: &Audit, top: usize) -> AutovacuumSection {
    let v = &audit.activity.autovacuum;
    AutovacuumSection {
        vacuum_summary: format!(
            "{} autovacuum and {} autoanalyze runs on {}.",
            count(v.vacuums),
            count(v.analyzes),
            crate::units::plural(v.tables, "table", "tables")
        ),
        vacuums: v
            .by_table
            .iter()
            .take(top)
            .map(|v| VacuumRow {
                table: v.table.clone(),
                vacuums: v.vacuums,
                analyzes: v.analyzes,
                elapsed: duration_ms(v.elapsed_ms as f64),
                pages: count(v.pages_removed),
                tuples: count(v.tuples_removed),
            })
            .collect(),
    }
}
