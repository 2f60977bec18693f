//! "Temporary files": sorts and hashes that spilled to disk (log_temp_files),
//! by statement.

use crate::analyze::Audit;
use crate::report::rows::StatementCell;
use crate::units::{bytes, count};
use askama::Template;

#[derive(Debug, Clone, Default)]
pub struct TempRow {
    pub stmt: StatementCell,
    pub count: String,
    pub total: String,
    pub total_bytes: u64,
    pub max: String,
}

#[derive(Debug, Default, Template)]
#[template(path = "sections/tempfiles.html")]
pub struct TempfilesSection {
    /// No temporary file in the log at all.
    pub no_temp_files: bool,
    pub temp_summary: String,
    pub temp: Vec<TempRow>,
}

pub fn build(audit: &Audit, top: usize) -> TempfilesSection {
    let t = &audit.activity.temp_files;
    let temp: Vec<TempRow> = t
        .by_query
        .iter()
        .take(top)
        .map(|q| TempRow {
            stmt: StatementCell::new(Some(&q.statement)),
            count: count(q.count),
            total: bytes(q.total_bytes),
            total_bytes: q.total_bytes,
            max: bytes(q.max_bytes),
        })
        .collect();
    TempfilesSection {
        no_temp_files: temp.is_empty() && t.count == 0,
        temp_summary: format!(
            "{} temporary files, {} in all, the largest {}{}.",
            count(t.count),
            bytes(t.total_bytes),
            bytes(t.max_bytes),
            if t.unattributed_count > 0 {
                format!(
                    "; {} files ({}) were logged without a statement",
                    count(t.unattributed_count),
                    bytes(t.unattributed_bytes)
                )
            } else {
                String::new()
            }
        ),
        temp,
    }
}
