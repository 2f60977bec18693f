//! The index page of an archive audited by period (`report --per day|week`):
//! one row per period with its headline figures and a link to its report.
//! Everything shown comes from the period reports' audits, escaped by askama.

use askama::Template;

/// One period's report, as the index lists it.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct PeriodRow {
    /// `2026-11-27`, `2026-W48`.
    pub label: String,
    /// The report's file name, beside the index.
    pub href: String,
    /// First and last time of the period's entries.
    pub window: String,
    pub files: usize,
    pub executions: String,
    pub total_time: String,
    pub errors: String,
    pub deadlocks: String,
    /// Findings of high severity, and of any.
    pub high: usize,
    pub findings: usize,
    /// The first finding's title.
    pub top_finding: String,
    /// Read again this run (else the saved partial was reused: no input changed).
    #[serde(skip)]
    pub read: bool,
}

#[derive(Template)]
#[template(path = "index.html")]
struct IndexPage<'a> {
    css: &'a str,
    csp: String,
    title: &'a str,
    generator: &'a str,
    note: &'a str,
    rows: &'a [PeriodRow],
}

/// The index page: `note` says what was read and what could not be split by
/// period.
pub fn render(title: &str, generator: &str, note: &str, rows: &[PeriodRow]) -> String {
    let page = IndexPage {
        css: super::html::CSS,
        csp: super::html::csp(super::html::CSS, None),
        title,
        generator,
        note,
        rows,
    }
    .render()
    .unwrap_or_else(|e| format!("template error: {e}"));
    super::show_invisible(page)
}
