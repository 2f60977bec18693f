//! Links inside the page: a finding's evidence or a checklist item points at
//! an anchor (`#q-<fingerprint>`, `#stmt-<fingerprint>`, `#indexes`, ...) that
//! the page may not have. [`Anchors`] knows which ones it has and redirects the
//! others to the nearest section that exists.

use crate::analyze::Audit;
use std::collections::HashSet;

/// The anchors the page renders, for a given `--top`.
#[derive(Debug, Clone, Default)]
pub struct Anchors {
    /// Fingerprints of the queries listed in the top-queries table.
    queries: HashSet<String>,
    /// Fingerprints of the pg_stat_statements entries listed.
    statements: HashSet<String>,
    /// Statistics CSVs were given, so their sections exist.
    stats: bool,
}

impl Anchors {
    pub fn new(a: &Audit, top: usize) -> Anchors {
        Anchors {
            queries: a
                .queries
                .iter()
                .take(top)
                .map(|q| q.fingerprint.clone())
                .collect(),
            statements: a
                .stats
                .statements
                .iter()
                .take(top)
                .map(|s| s.fingerprint.clone())
                .collect(),
            stats: a.stats.stats_window.is_some(),
        }
    }

    /// `link` if the page has it; else the table that would list it (a query or
    /// statement beyond the listed ones), or the statistics note (a statistics
    /// section absent without statistics).
    pub fn fix(&self, link: &str) -> String {
        if let Some(fp) = link.strip_prefix("#q-") {
            return if self.queries.contains(fp) {
                link.to_string()
            } else {
                "#queries".into()
            };
        }
        if let Some(fp) = link.strip_prefix("#stmt-") {
            return if !self.stats {
                "#snapshot".into()
            } else if self.statements.contains(fp) {
                link.to_string()
            } else {
                "#statements".into()
            };
        }
        match link {
            "#cache" | "#connections" | "#indexes" | "#statements" | "#tables"
            | "#checkpointer"
                if !self.stats =>
            {
                "#snapshot".into()
            }
            _ => link.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn anchors(stats: bool) -> Anchors {
        Anchors {
            queries: ["aa".to_string()].into(),
            statements: ["bb".to_string()].into(),
            stats,
        }
    }

    #[test]
    fn listed_queries_keep_their_link_others_go_to_the_table() {
        let a = anchors(true);
        assert_eq!(a.fix("#q-aa"), "#q-aa");
        assert_eq!(a.fix("#q-zz"), "#queries");
        assert_eq!(a.fix("#stmt-bb"), "#stmt-bb");
        assert_eq!(a.fix("#stmt-zz"), "#statements");
        assert_eq!(a.fix("#indexes"), "#indexes");
        assert_eq!(a.fix("#locks"), "#locks");
    }

    #[test]
    fn statistics_links_go_to_the_note_without_statistics() {
        let a = anchors(false);
        assert_eq!(a.fix("#stmt-bb"), "#snapshot");
        assert_eq!(a.fix("#cache"), "#snapshot");
        assert_eq!(a.fix("#checkpointer"), "#snapshot");
        assert_eq!(a.fix("#q-aa"), "#q-aa");
        assert_eq!(a.fix("#errors"), "#errors");
    }
}
