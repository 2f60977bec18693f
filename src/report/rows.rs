//! Rows and cells shared by several report sections: summary cards, a concrete
//! statement, a statement cell with its query link, and the "who ran it" and
//! "-"-for-missing formatters. Sections import this module, never the page.

use crate::analyze::SampleReport;
use crate::analyze::activity::StatementView;
use crate::units::{count, duration_ms, percent};
use std::collections::BTreeMap;

/// A figure in a strip of cards.
#[derive(Debug, Clone, Default)]
pub struct Card {
    pub label: &'static str,
    pub value: String,
    pub note: String,
}

/// One concrete statement, formatted.
#[derive(Debug, Clone, Default)]
pub struct SampleRow {
    pub duration_ms: f64,
    pub duration: String,
    pub ts: String,
    pub user: String,
    pub db: String,
    pub app: String,
    pub place: String,
    pub text: String,
    pub params: String,
    pub fingerprint: String,
    /// The statement's query is listed in the top-queries table (a link can point at it).
    pub linked: bool,
}

impl SampleRow {
    /// The statement, formatted; `linked` is false (the caller knows the listed queries).
    pub fn new(s: &SampleReport) -> SampleRow {
        SampleRow {
            duration_ms: s.duration_ms,
            duration: duration_ms(s.duration_ms),
            ts: or_dash(&s.ts),
            user: or_dash(&s.user),
            db: or_dash(&s.database),
            app: or_dash(&s.app),
            place: format!("{}:{}", s.file, s.line),
            text: s.text.clone(),
            params: s.params.clone().unwrap_or_default(),
            fingerprint: s.fingerprint.clone(),
            linked: false,
        }
    }
}

/// A statement cell: text, and the fingerprint of its query (empty when the
/// statement is not in the log).
#[derive(Debug, Clone, Default)]
pub struct StatementCell {
    pub text: String,
    pub fingerprint: String,
}

impl StatementCell {
    pub fn new(s: Option<&StatementView>) -> StatementCell {
        match s {
            Some(v) => StatementCell {
                text: v.text.clone(),
                fingerprint: v.fingerprint.clone(),
            },
            None => StatementCell {
                text: "(statement not in the log)".into(),
                fingerprint: String::new(),
            },
        }
    }
}

/// The text, or `-` when missing.
pub fn or_dash(s: &Option<String>) -> String {
    s.clone().unwrap_or_else(|| "-".into())
}

/// A ratio as a percentage, or `-` when missing.
pub fn ratio_or_dash(r: Option<f64>) -> String {
    r.map_or_else(|| "-".into(), percent)
}

/// A count, or `-` when missing.
pub fn count_or_dash(n: Option<u64>) -> String {
    n.map_or_else(|| "-".into(), count)
}

/// The three largest entries of a name -> count map, largest first (ties by
/// name): `alice (3), bob (2), carol (1) and 2 more`; `-` when empty.
pub fn who(m: &BTreeMap<String, u64>) -> String {
    let mut v: Vec<(&String, &u64)> = m.iter().collect();
    v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let shown: Vec<String> = v
        .iter()
        .take(3)
        .map(|(k, c)| format!("{k} ({})", count(**c)))
        .collect();
    let more = v.len().saturating_sub(3);
    match (shown.is_empty(), more) {
        (true, _) => "-".into(),
        (false, 0) => shown.join(", "),
        (false, n) => format!("{} and {n} more", shown.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(v: &[(&str, u64)]) -> BTreeMap<String, u64> {
        v.iter().map(|(k, c)| (k.to_string(), *c)).collect()
    }

    #[test]
    fn who_lists_the_three_largest_then_how_many_more() {
        assert_eq!(who(&map(&[])), "-");
        assert_eq!(
            who(&map(&[("bob", 2), ("alice", 2000)])),
            "alice (2,000), bob (2)"
        );
        assert_eq!(
            who(&map(&[("a", 1), ("b", 5), ("c", 5), ("d", 3), ("e", 1)])),
            "b (5), c (5), d (3) and 2 more"
        );
    }

    #[test]
    fn missing_values_show_a_dash() {
        assert_eq!(or_dash(&None), "-");
        assert_eq!(or_dash(&Some("x".into())), "x");
        assert_eq!(ratio_or_dash(None), "-");
        assert_eq!(count_or_dash(Some(1234)), "1,234");
        assert_eq!(StatementCell::new(None).text, "(statement not in the log)");
    }
}
