//! Redundant indexes: a btree index whose keys are a left prefix of another
//! index of the same table, method and predicate that is in use (or enforces a
//! constraint), and whose included columns that other index also carries.

use super::{Catalog, keeper_rank};
use crate::analyze::stats::ident::qualified;
use crate::stats::records::IndexDef;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RedundantIndex {
    /// The database (null when the export does not name it).
    pub database: Option<String>,
    pub index: String,
    pub covered_by: String,
    pub table: String,
    pub columns: Vec<String>,
    pub covering_columns: Vec<String>,
    pub bytes: Option<u64>,
    pub idx_scan: Option<u64>,
    pub definition: String,
    pub drop: String,
    pub rollback: String,
}

/// The index among `peers` (same table, method, predicate) that covers `a`:
/// the one with the fewest keys, then the keeper rank. An unused covering index
/// does not count (it is the one to drop, reported as unused), unless it
/// enforces uniqueness or serves a query's sort that `a` cannot (then `a` is
/// the one to drop and the covering index is kept).
pub(super) fn covered_by<'a>(
    cat: &Catalog,
    a: &IndexDef,
    peers: &[&'a IndexDef],
) -> Option<&'a IndexDef> {
    peers
        .iter()
        .copied()
        .filter(|b| {
            !cat.never_scanned(b)
                || b.unique
                || b.primary
                || super::sorts::serves_sort(cat.sorts, &b.table, &b.shape.keys, a.shape.keys.len())
        })
        .filter(|b| covers(b, a))
        .min_by_key(|x| (x.shape.keys.len(), keeper_rank(cat, x)))
}

/// Whether `b`'s keys start with all of `a`'s, `b` carries more (keys or
/// included columns), and every column `a` includes is among `b`'s others.
fn covers(b: &IndexDef, a: &IndexDef) -> bool {
    let n = a.shape.keys.len();
    let prefix = b.shape.keys.len() >= n && b.shape.keys[..n] == a.shape.keys[..];
    let strictly = b.shape.keys.len() > n || b.shape.include.len() > a.shape.include.len();
    let rest: BTreeSet<&String> = b.shape.keys[n.min(b.shape.keys.len())..]
        .iter()
        .chain(b.shape.include.iter())
        .collect();
    prefix && strictly && a.shape.include.iter().all(|c| rest.contains(c))
}

/// `a`, covered by `b`.
pub(super) fn report(cat: &Catalog, a: &IndexDef, b: &IndexDef) -> RedundantIndex {
    let (drop, rollback) = cat.drop_and_rollback(a);
    RedundantIndex {
        database: cat.database.clone(),
        index: qualified(&a.schema, &a.name),
        covered_by: qualified(&b.schema, &b.name),
        table: qualified(&a.schema, &a.table),
        columns: a.shape.keys.clone(),
        covering_columns: b.shape.keys.clone(),
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

    use super::covers;

    #[test]
    fn a_left_prefix_of_a_used_index_is_redundant() {
        let d = export(
            vec![
                def("orders", "a_idx", &["customer_id"]),
                def("orders", "b_idx", &["customer_id", "created_at"]),
            ],
            Some(&[("a_idx", 2), ("b_idx", 1)]),
        );
        let out = run(&d);
        assert!(out.duplicates.is_empty());
        assert_eq!(out.redundant.len(), 1);
        let r = &out.redundant[0];
        assert_eq!(
            (r.index.as_str(), r.covered_by.as_str()),
            ("public.a_idx", "public.b_idx")
        );
        assert_eq!(r.covering_columns, ["customer_id", "created_at"]);
        assert_eq!(r.idx_scan, Some(2));
    }

    #[test]
    fn an_unused_covering_index_does_not_make_a_prefix_redundant() {
        let d = export(
            vec![
                def("orders", "a_idx", &["customer_id"]),
                def("orders", "b_idx", &["customer_id", "created_at"]),
            ],
            Some(&[("a_idx", 2), ("b_idx", 0)]),
        );
        let out = run(&d);
        assert!(out.redundant.is_empty());
        // the unused covering index is the one reported
        assert_eq!(out.unused[0].index, "public.b_idx");
    }

    #[test]
    fn a_covering_index_serving_a_sort_is_kept_and_its_prefix_dropped() {
        let d = export(
            vec![
                def("orders", "a_idx", &["customer_id"]),
                def("orders", "b_idx", &["customer_id", "created_at"]),
            ],
            Some(&[("a_idx", 2), ("b_idx", 0)]),
        );
        let sorts = super::super::sorts::sort_uses(
            ["select * from orders where customer_id = $1 order by created_at desc limit $2"]
                .into_iter(),
        );
        let out = super::super::fixtures::run_with(&d, &sorts);
        assert_eq!(out.redundant.len(), 1);
        assert_eq!(out.redundant[0].index, "public.a_idx");
        assert_eq!(out.redundant[0].covered_by, "public.b_idx");
        assert!(out.unused.is_empty(), "{:?}", out.unused);
        assert!(
            out.not_flagged
                .iter()
                .any(|k| k.index == "public.b_idx" && k.reason.contains("ORDER BY"))
        );
    }

    #[test]
    fn an_unused_unique_index_still_covers() {
        let mut b = def("orders", "b_key", &["customer_id", "created_at"]);
        b.unique = true;
        let d = export(
            vec![def("orders", "a_idx", &["customer_id"]), b],
            Some(&[("a_idx", 2), ("b_key", 0)]),
        );
        assert_eq!(run(&d).redundant[0].covered_by, "public.b_key");
    }

    #[test]
    fn only_btree_prefixes_and_the_same_order_count() {
        let mut hash = def("orders", "a_idx", &["customer_id"]);
        hash.shape.method = "hash".into();
        let mut hash_b = def("orders", "b_idx", &["customer_id", "created_at"]);
        hash_b.shape.method = "hash".into();
        let d = export(vec![hash, hash_b], Some(&[("a_idx", 1), ("b_idx", 1)]));
        assert!(run(&d).redundant.is_empty());
        let a = def("t", "a", &["x"]);
        assert!(!covers(&def("t", "b", &["y", "x"]), &a));
        assert!(covers(&def("t", "b", &["x", "y"]), &a));
    }

    #[test]
    fn included_columns_must_be_carried_by_the_covering_index() {
        let mut a = def("t", "a", &["x"]);
        a.shape.include = vec!["z".into()];
        assert!(!covers(&def("t", "b", &["x", "y"]), &a));
        assert!(covers(&def("t", "b", &["x", "z"]), &a));
        let mut b = def("t", "b", &["x"]);
        b.shape.include = vec!["z".into(), "w".into()];
        assert!(covers(&b, &a));
        // same keys and includes: a duplicate, not a cover
        assert!(!covers(&a, &a));
    }
}
