//! Step 5 of the index advice: candidates of the same table and columns pool
//! the queries they serve; then candidates of one table with the same leading
//! column are merged into the one serving the most time (each serves the
//! others' queries, at least by that column).

use super::corroboration::Corroboration;
use super::served::Served;
use super::table_match::TableRef;
use crate::stats::snapshot::DatabaseStats;
use std::collections::{BTreeMap, BTreeSet};

/// A query an index would serve.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct ServedQuery {
    pub served_ms: f64,
    pub fingerprint: String,
    pub p95_ms: Option<f64>,
}

/// An index to propose on one table, with the queries it serves.
pub(super) struct Candidate<'a> {
    /// The table's name, without its schema.
    pub table: String,
    pub schema: Option<String>,
    /// The export holding the table.
    pub db: Option<&'a DatabaseStats>,
    pub columns: Vec<String>,
    pub served_ms: f64,
    pub queries: Vec<ServedQuery>,
    pub evidence: BTreeSet<Corroboration>,
}

impl Candidate<'_> {
    /// `schema.table`, or the bare name when the statistics do not know it.
    pub fn qualified(&self) -> String {
        match &self.schema {
            Some(sc) => format!("{sc}.{}", self.table),
            None => self.table.clone(),
        }
    }
}

/// Candidates by qualified table and columns.
#[derive(Default)]
pub(super) struct Candidates<'a> {
    by_key: BTreeMap<(String, Vec<String>), Candidate<'a>>,
}

impl<'a> Candidates<'a> {
    /// Records that an index on `columns` of `table` would serve `query`.
    pub fn add(
        &mut self,
        table: &TableRef<'a>,
        columns: Vec<String>,
        query: &Served,
        evidence: BTreeSet<Corroboration>,
    ) {
        let c = self
            .by_key
            .entry((table.qualified(), columns.clone()))
            .or_insert_with(|| Candidate {
                table: table.name.clone(),
                schema: table.schema.clone(),
                db: table.db,
                columns,
                served_ms: 0.0,
                queries: Vec::new(),
                evidence: BTreeSet::new(),
            });
        c.served_ms += query.served_ms;
        c.queries.push(ServedQuery {
            served_ms: query.served_ms,
            fingerprint: query.fingerprint.to_string(),
            p95_ms: query.p95_ms,
        });
        c.evidence.extend(evidence);
    }

    /// One candidate per table and leading column: the one serving the most
    /// time (ties: by table, then columns), with the others' time, queries and
    /// evidence; by table and leading column.
    pub fn merge_by_leading_column(self) -> Vec<Candidate<'a>> {
        let mut merged: BTreeMap<(String, String), Candidate> = BTreeMap::new();
        let mut all: Vec<((String, Vec<String>), Candidate)> = self.by_key.into_iter().collect();
        all.sort_by(|a, b| b.1.served_ms.total_cmp(&a.1.served_ms).then(a.0.cmp(&b.0)));
        for ((table, cols), c) in all {
            match merged.get_mut(&(table.clone(), cols[0].clone())) {
                Some(m) => {
                    m.served_ms += c.served_ms;
                    m.queries.extend(c.queries);
                    m.evidence.extend(c.evidence);
                }
                None => {
                    merged.insert((table, cols[0].clone()), c);
                }
            }
        }
        merged.into_values().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Corroboration::{Plan, SeqScanStats};

    fn table(name: &str) -> TableRef<'static> {
        TableRef::resolve(&[], name, None)
    }

    fn served(fingerprint: &str, served_ms: f64) -> Served<'_> {
        Served {
            fingerprint,
            normalized: "",
            served_ms,
            p95_ms: Some(served_ms / 10.0),
            executions: 10,
            database: None,
        }
    }

    fn cols(c: &[&str]) -> Vec<String> {
        c.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_same_table_and_columns_pool_their_queries() {
        let mut c = Candidates::default();
        let t = table("orders");
        c.add(&t, cols(&["a"]), &served("q1", 10.0), [Plan].into());
        c.add(&t, cols(&["a"]), &served("q2", 5.0), [SeqScanStats].into());
        c.add(
            &table("items"),
            cols(&["a"]),
            &served("q3", 1.0),
            [Plan].into(),
        );
        let m = c.merge_by_leading_column();
        assert_eq!(m.len(), 2);
        // by table: items, then orders
        assert_eq!(m[0].table, "items");
        let orders = &m[1];
        assert_eq!(orders.served_ms, 15.0);
        assert_eq!(orders.queries.len(), 2);
        assert_eq!(orders.queries[1].fingerprint, "q2");
        assert_eq!(orders.queries[1].p95_ms, Some(0.5));
        assert_eq!(orders.evidence, BTreeSet::from([Plan, SeqScanStats]));
    }

    #[test]
    fn the_busiest_candidate_of_a_leading_column_absorbs_the_others() {
        let mut c = Candidates::default();
        let t = table("orders");
        c.add(&t, cols(&["a", "b"]), &served("q1", 10.0), [Plan].into());
        c.add(&t, cols(&["a"]), &served("q2", 30.0), [SeqScanStats].into());
        c.add(&t, cols(&["b"]), &served("q3", 1.0), [Plan].into());
        let m = c.merge_by_leading_column();
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].columns, ["a"]);
        assert_eq!(m[0].served_ms, 40.0);
        let q: Vec<&str> = m[0]
            .queries
            .iter()
            .map(|q| q.fingerprint.as_str())
            .collect();
        assert_eq!(q, ["q2", "q1"]);
        assert_eq!(m[1].columns, ["b"]);
    }

    #[test]
    fn equal_time_goes_to_the_first_columns() {
        let mut c = Candidates::default();
        let t = table("orders");
        c.add(&t, cols(&["a", "c"]), &served("q1", 10.0), [Plan].into());
        c.add(&t, cols(&["a", "b"]), &served("q2", 10.0), [Plan].into());
        let m = c.merge_by_leading_column();
        assert_eq!(m[0].columns, ["a", "b"]);
        assert_eq!(m[0].qualified(), "orders");
    }
}
