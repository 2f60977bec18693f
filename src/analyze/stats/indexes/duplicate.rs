//! Duplicate indexes: the same keys and included columns as another index of
//! the same table, method and predicate. Of equal indexes the one ranked first
//! (constraint-backed, unique, most used, name) is kept; the others are
//! reported.

use super::{Catalog, keeper_rank};
use crate::analyze::stats::ident::qualified;
use crate::stats::records::IndexDef;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DuplicateIndex {
    /// The database (null when the export does not name it).
    pub database: Option<String>,
    pub index: String,
    pub duplicate_of: String,
    pub table: String,
    pub columns: Vec<String>,
    pub bytes: Option<u64>,
    pub idx_scan: Option<u64>,
    pub definition: String,
    pub drop: String,
    pub rollback: String,
}

/// The index among `peers` (same table, method, predicate) that `a` duplicates
/// and that ranks before it as the one to keep.
pub(super) fn duplicate_of<'a>(
    cat: &Catalog,
    a: &IndexDef,
    peers: &[&'a IndexDef],
) -> Option<&'a IndexDef> {
    let rank_a = keeper_rank(cat, a);
    peers
        .iter()
        .copied()
        .filter(|b| b.shape.keys == a.shape.keys && b.shape.include == a.shape.include)
        .filter(|b| keeper_rank(cat, b) < rank_a)
        .min_by_key(|b| keeper_rank(cat, b))
}

/// `a`, a duplicate of `b`.
pub(super) fn report(cat: &Catalog, a: &IndexDef, b: &IndexDef) -> DuplicateIndex {
    let (drop, rollback) = cat.drop_and_rollback(a);
    DuplicateIndex {
        database: cat.database.clone(),
        index: qualified(&a.schema, &a.name),
        duplicate_of: qualified(&b.schema, &b.name),
        table: qualified(&a.schema, &a.table),
        columns: a.shape.keys.clone(),
        bytes: a.bytes,
        idx_scan: cat.scans(&a.schema, &a.name),
        definition: a.indexdef.clone(),
        drop,
        rollback,
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{def, export, run};

    #[test]
    fn of_two_equal_indexes_the_less_used_is_the_duplicate() {
        let d = export(
            vec![
                def("orders", "a_idx", &["customer_id"]),
                def("orders", "b_idx", &["customer_id"]),
            ],
            Some(&[("a_idx", 3), ("b_idx", 9)]),
        );
        let out = run(&d);
        assert_eq!(out.duplicates.len(), 1);
        let dup = &out.duplicates[0];
        assert_eq!(
            (dup.index.as_str(), dup.duplicate_of.as_str()),
            ("public.a_idx", "public.b_idx")
        );
        assert_eq!(dup.idx_scan, Some(3));
        assert_eq!(dup.database.as_deref(), Some("shop"));
        assert_eq!(dup.drop, "DROP INDEX CONCURRENTLY IF EXISTS public.a_idx;");
        assert_eq!(
            dup.rollback,
            "CREATE INDEX CONCURRENTLY a_idx ON public.orders USING btree (customer_id);"
        );
        // the duplicate is not reported again as unused or redundant
        assert!(out.redundant.is_empty() && out.unused.is_empty());
    }

    #[test]
    fn equal_use_keeps_the_unique_index_then_the_first_name() {
        let mut u = def("orders", "z_unique", &["code"]);
        u.unique = true;
        let d = export(
            vec![
                def("orders", "a_idx", &["code"]),
                def("orders", "b_idx", &["code"]),
                u,
            ],
            Some(&[("a_idx", 1), ("b_idx", 1), ("z_unique", 1)]),
        );
        let out = run(&d);
        let pairs: Vec<(&str, &str)> = out
            .duplicates
            .iter()
            .map(|x| (x.index.as_str(), x.duplicate_of.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("public.a_idx", "public.z_unique"),
                ("public.b_idx", "public.z_unique")
            ]
        );
    }

    #[test]
    fn different_included_columns_or_predicates_are_not_duplicates() {
        let mut inc = def("orders", "b_idx", &["customer_id"]);
        inc.shape.include = vec!["total".into()];
        let mut partial = def("orders", "c_idx", &["customer_id"]);
        partial.shape.predicate = Some("(deleted_at IS NULL)".into());
        let d = export(
            vec![def("orders", "a_idx", &["customer_id"]), inc, partial],
            Some(&[("a_idx", 5), ("b_idx", 5), ("c_idx", 5)]),
        );
        assert!(run(&d).duplicates.is_empty());
    }
}
