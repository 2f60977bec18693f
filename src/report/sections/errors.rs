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
    /// The section that details this error (anchor, what it shows), if any.
    pub detail: Option<(&'static str, &'static str)>,
}

/// The section that details an error of this SQLSTATE: deadlocks and lock
/// timeouts in the lock section, failed logins in the sessions section.
fn detail_section(sqlstate: Option<&str>) -> Option<(&'static str, &'static str)> {
    match sqlstate?.trim_end_matches('*') {
        "40P01" => Some(("#locks", "the deadlock's cycle")),
        "55P03" => Some(("#locks", "lock waits")),
        "28P01" | "28000" => Some(("#sessions", "failed logins")),
        _ => None,
    }
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
                detail: detail_section(e.sqlstate.as_deref()),
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

    #[test]
    fn deadlocks_and_lock_timeouts_link_to_the_lock_section() {
        assert_eq!(detail_section(Some("40P01*")).map(|d| d.0), Some("#locks"));
        assert_eq!(detail_section(Some("55P03")).map(|d| d.0), Some("#locks"));
        assert_eq!(
            detail_section(Some("28P01")).map(|d| d.0),
            Some("#sessions")
        );
        assert_eq!(detail_section(Some("22012")), None);
        assert_eq!(detail_section(None), None);
    }
}
