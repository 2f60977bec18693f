//! The name of a proposed index: `table_cols_idx`, within PostgreSQL's 63
//! bytes, and a name no index of the schema has (the rollback must never drop
//! someone else's index) nor another proposal took.

use super::grouping::Candidate;
use std::collections::BTreeSet;

/// Names given so far, by schema.
#[derive(Default)]
pub(super) struct IndexNames {
    used: BTreeSet<(Option<String>, String)>,
}

impl IndexNames {
    /// A free name for the candidate's index, then taken.
    pub fn allocate(&mut self, c: &Candidate) -> String {
        let existing: BTreeSet<String> =
            c.db.map(|d| {
                d.view
                    .index_defs
                    .iter()
                    .filter(|x| Some(&x.schema) == c.schema.as_ref())
                    .map(|x| x.name.clone())
                    .collect()
            })
            .unwrap_or_default();
        let name = index_name(&c.table, &c.columns, |n| {
            existing.contains(n) || self.used.contains(&(c.schema.clone(), n.to_string()))
        });
        self.used.insert((c.schema.clone(), name.clone()));
        name
    }
}

/// `table_cols_idx`, cut to 63 bytes on a character boundary, made unique with
/// a number when `taken` says the name exists.
pub(super) fn index_name(table: &str, columns: &[String], taken: impl Fn(&str) -> bool) -> String {
    let base = format!("{table}_{}", columns.join("_"));
    for n in 0.. {
        let suffix = if n == 0 {
            "_idx".to_string()
        } else {
            format!("_idx{n}")
        };
        let mut cut = 63 - suffix.len();
        while cut < base.len() && !base.is_char_boundary(cut) {
            cut -= 1;
        }
        let name = format!("{}{suffix}", &base[..cut.min(base.len())]);
        if !taken(&name) {
            return name;
        }
    }
    unreachable!("some suffix is free")
}

#[cfg(test)]
mod tests {
    use super::super::table_match::TableRef;
    use super::super::test_support::{export, index};
    use super::*;
    use crate::stats::snapshot::DatabaseStats;

    #[test]
    fn names_fit_and_never_reuse_one() {
        let cols = vec![
            "empföökontonummer".to_string(),
            "überweisungsdatum".to_string(),
        ];
        let n = index_name(
            "überweisungsaufträge_der_kunden_im_ausland",
            &cols,
            |_| false,
        );
        assert!(n.len() <= 63 && n.ends_with("_idx"), "{n}");
        let taken = "payments_gateway_txn_id_idx".to_string();
        let n = index_name("payments", &["gateway_txn_id".into()], |x| x == taken);
        assert_eq!(n, "payments_gateway_txn_id_idx1");
    }

    fn candidate<'a>(dbs: &'a [DatabaseStats], table: &str) -> Candidate<'a> {
        let t = TableRef::resolve(dbs, table, None);
        Candidate {
            table: t.name,
            schema: t.schema,
            db: t.db,
            columns: vec!["status".into()],
            served_ms: 0.0,
            queries: Vec::new(),
            evidence: Default::default(),
        }
    }

    #[test]
    fn existing_indexes_of_the_schema_and_earlier_proposals_are_taken() {
        let dbs = [export(
            "app",
            &[("public", "orders"), ("sales", "orders")],
            &[index(
                "public",
                "items",
                "CREATE INDEX orders_status_idx ON public.items (status)",
            )],
        )];
        let mut names = IndexNames::default();
        let public = candidate(&dbs, "public.orders");
        assert_eq!(names.allocate(&public), "orders_status_idx1");
        assert_eq!(names.allocate(&public), "orders_status_idx2");
        // another schema has its own names
        let sales = candidate(&dbs, "sales.orders");
        assert_eq!(names.allocate(&sales), "orders_status_idx");
    }
}
