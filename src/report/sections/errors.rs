//! "Errors and cancellations": errors by severity, SQLSTATE and message, with a
//! failed statement, and the cancellations by reason.

use crate::analyze::Audit;
use crate::report::rows::StatementCell;
use crate::units::count;
use askama::Template;

#[derive(Debug, Clone, Default)]
pub struct ErrorRow {
    pub severity: String,
    pub sqlstate: String,
    pub message: String,
    pub count: u64,
    pub count_s: String,
    pub seen: String,
    pub example: StatementCell,
}

#[derive(Debug, Default, Template)]
#[template(path = "sections/errors.html")]
pub struct ErrorsSection {
    pub errors_summary: String,
    pub errors: Vec<ErrorRow>,
    pub cancellations: String,
}

pub fn build(audit: &Audit, top: usize) -> ErrorsSection {
    let a = &audit.activity;
    ErrorsSection {
        errors_summary: format!(
            "{} errors in {} kinds.",
            count(a.errors.iter().map(|e| e.count).sum()),
            count(a.errors.len() as u64)
        ),
        errors: a
            .errors
            .iter()
            .take(top)
            .map(|e| ErrorRow {
                severity: e.severity.clone(),
                sqlstate: e.sqlstate.clone().unwrap_or_else(|| "-".into()),
                message: e.message.clone(),
                count: e.count,
                count_s: count(e.count),
                seen: ts_range(&e.first_ts, &e.last_ts),
                example: StatementCell::new(e.example.as_ref()),
            })
            .collect(),
        cancellations: a
            .cancellations
            .iter()
            .map(|(k, v)| format!("{} {}", k.replace('_', " "), count(*v)))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// `first to last`, one time when both are equal, `-` when unknown.
fn ts_range(a: &Option<String>, b: &Option<String>) -> String {
    match (a, b) {
        (Some(x), Some(y)) if x == y => x.clone(),
        (Some(x), Some(y)) => format!("{x} to {y}"),
        _ => "-".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_range_of_one_time_shows_it_once() {
        let t = |s: &str| Some(s.to_string());
        assert_eq!(ts_range(&t("10:00"), &t("10:00")), "10:00");
        assert_eq!(ts_range(&t("10:00"), &t("11:00")), "10:00 to 11:00");
        assert_eq!(ts_range(&None, &t("11:00")), "-");
    }
}
