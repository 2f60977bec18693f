//! Step 1 of the index advice: the queries an index could serve, each once,
//! with the time it would serve (pg_stat_statements' total when the query is
//! there, else the log's).

use crate::analyze::QueryReport;
use crate::analyze::stats::StatementReport;
use std::collections::BTreeMap;

/// One query that could use an index: its text and time.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Served<'a> {
    pub fingerprint: &'a str,
    pub normalized: &'a str,
    /// pg_stat_statements' total time of the query when it is there (summed
    /// over its entries), else the log's, ms.
    pub served_ms: f64,
    /// From the log only.
    pub p95_ms: Option<f64>,
    /// The log's timed executions (0 for a pg_stat_statements entry alone).
    pub executions: u64,
    /// The log's database running it most, else pg_stat_statements' first entry's.
    pub database: Option<&'a str>,
}

/// Every timed query of the log and every pg_stat_statements entry, by
/// fingerprint.
pub(super) fn served_queries<'a>(
    queries: &'a [QueryReport],
    statements: &'a [StatementReport],
) -> BTreeMap<&'a str, Served<'a>> {
    let mut served: BTreeMap<&str, Served> = BTreeMap::new();
    for q in queries.iter().filter(|q| q.count > 0) {
        served.insert(
            q.fingerprint.as_str(),
            Served {
                fingerprint: &q.fingerprint,
                normalized: &q.normalized,
                served_ms: q.total_ms,
                p95_ms: q.p95_ms,
                executions: q.count,
                database: q
                    .databases
                    .iter()
                    .max_by_key(|(_, n)| **n)
                    .map(|(d, _)| d.as_str()),
            },
        );
    }
    let mut pgss_ms: BTreeMap<&str, f64> = BTreeMap::new();
    for s in statements {
        *pgss_ms.entry(s.fingerprint.as_str()).or_default() += s.total_ms;
    }
    for s in statements {
        let e = served.entry(s.fingerprint.as_str()).or_insert(Served {
            fingerprint: &s.fingerprint,
            normalized: &s.normalized,
            served_ms: 0.0,
            p95_ms: None,
            executions: 0,
            database: s.database.as_deref(),
        });
        e.served_ms = pgss_ms[s.fingerprint.as_str()];
    }
    served
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logged(fingerprint: &str, count: u64, total_ms: f64) -> QueryReport {
        QueryReport {
            fingerprint: fingerprint.into(),
            normalized: format!("select {fingerprint}"),
            count,
            total_ms,
            p95_ms: Some(total_ms / 10.0),
            databases: [("app".to_string(), 3), ("reporting".to_string(), 5)].into(),
            ..Default::default()
        }
    }

    fn statement(fingerprint: &str, total_ms: f64, database: &str) -> StatementReport {
        StatementReport {
            fingerprint: fingerprint.into(),
            normalized: format!("select {fingerprint}"),
            total_ms,
            database: Some(database.into()),
            ..Default::default()
        }
    }

    #[test]
    fn the_log_gives_time_p95_and_busiest_database() {
        let q = [logged("a", 10, 200.0), logged("untimed", 0, 0.0)];
        let s = served_queries(&q, &[]);
        assert_eq!(s.keys().copied().collect::<Vec<_>>(), ["a"]);
        assert_eq!(s["a"].served_ms, 200.0);
        assert_eq!(s["a"].p95_ms, Some(20.0));
        assert_eq!(s["a"].database, Some("reporting"));
    }

    #[test]
    fn pg_stat_statements_time_wins_summed_over_entries() {
        let q = [logged("a", 10, 200.0)];
        let st = [statement("a", 700.0, "x"), statement("a", 300.0, "y")];
        let s = served_queries(&q, &st);
        assert_eq!(s["a"].served_ms, 1000.0);
        // the log's p95 and database stay
        assert_eq!(s["a"].p95_ms, Some(20.0));
        assert_eq!(s["a"].database, Some("reporting"));
    }

    #[test]
    fn statements_missing_from_the_log_are_served_too() {
        let st = [statement("b", 50.0, "x"), statement("b", 25.0, "y")];
        let s = served_queries(&[], &st);
        assert_eq!(s["b"].served_ms, 75.0);
        assert_eq!(s["b"].p95_ms, None);
        assert_eq!(s["b"].database, Some("x"));
    }
}
