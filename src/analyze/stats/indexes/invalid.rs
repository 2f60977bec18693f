//! Invalid indexes (a failed `CREATE INDEX CONCURRENTLY`): maintained on every
//! write, never used by the planner.

use super::Catalog;
use crate::analyze::stats::ident::qualified;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct InvalidIndex {
    /// The database (null when the export does not name it).
    pub database: Option<String>,
    pub index: String,
    pub table: String,
    pub definition: String,
    pub bytes: Option<u64>,
    pub drop: String,
    /// Rebuilding it: the definition again.
    pub rollback: String,
}

/// Reports every invalid index, in definition order.
pub(super) fn invalid(out: &mut Vec<InvalidIndex>, cat: &Catalog) {
    for x in cat.defs.iter().filter(|x| !x.valid) {
        let (drop, rollback) = cat.drop_and_rollback(x);
        out.push(InvalidIndex {
            database: cat.database.clone(),
            index: qualified(&x.schema, &x.name),
            table: qualified(&x.schema, &x.table),
            definition: x.indexdef.clone(),
            bytes: x.bytes,
            drop,
            rollback,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{def, export, run};

    #[test]
    fn invalid_indexes_are_reported_and_left_out_of_the_other_checks() {
        let mut broken = def("orders", "a_idx", &["customer_id"]);
        broken.valid = false;
        let d = export(
            vec![broken, def("orders", "b_idx", &["customer_id"])],
            Some(&[("a_idx", 0), ("b_idx", 4)]),
        );
        let out = run(&d);
        assert_eq!(out.invalid.len(), 1);
        assert_eq!(out.invalid[0].index, "public.a_idx");
        assert_eq!(
            out.invalid[0].drop,
            "DROP INDEX CONCURRENTLY IF EXISTS public.a_idx;"
        );
        assert!(out.duplicates.is_empty() && out.unused.is_empty());
        assert_eq!(out.count, 2);
    }

    #[test]
    fn an_invalid_index_of_a_partitioned_table_is_dropped_without_concurrently() {
        let mut broken = def("events", "e_idx", &["at"]);
        broken.valid = false;
        broken.indexdef = "CREATE INDEX e_idx ON ONLY public.events USING btree (at)".into();
        let out = run(&export(vec![broken], None));
        assert!(
            out.invalid[0]
                .drop
                .starts_with("DROP INDEX IF EXISTS public.e_idx; -- partitioned")
        );
        assert_eq!(
            out.invalid[0].rollback,
            "CREATE INDEX e_idx ON ONLY public.events USING btree (at);"
        );
    }
}
