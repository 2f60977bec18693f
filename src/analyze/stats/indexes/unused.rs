//! Indexes never scanned in the window, but those kept on purpose: primary keys,
//! unique and exclusion constraints, gist/spgist indexes that may back an
//! exclusion constraint, and the one index a foreign key needs.

use super::foreign_keys::covers_fk;
use super::{Catalog, IndexesView, Victims};
use crate::analyze::stats::ident::qualified;
use crate::analyze::stats::window::db_caveat;
use crate::stats::records::IndexDef;
use crate::stats::snapshot::DatabaseStats;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct UnusedIndex {
    /// The database (null when the export does not name it).
    pub database: Option<String>,
    /// `schema.index`.
    pub index: String,
    pub table: String,
    pub columns: Vec<String>,
    pub bytes: Option<u64>,
    pub idx_scan: u64,
    pub definition: String,
    pub drop: String,
    pub rollback: String,
    pub caveat: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct KeptIndex {
    /// The database (null when the export does not name it).
    pub database: Option<String>,
    pub index: String,
    pub table: String,
    pub reason: String,
}

/// Reports the indexes never scanned (duplicates and redundant ones aside),
/// and those kept although never scanned.
pub(super) fn unused(out: &mut IndexesView, cat: &Catalog, d: &DatabaseStats, victims: &Victims) {
    let candidates = never_scanned(out, cat, victims);
    let fk_kept = kept_for_foreign_keys(out, cat, d, &candidates, victims);
    let caveat = db_caveat(d);
    for x in candidates {
        if fk_kept.contains(&(x.schema.clone(), x.name.clone())) {
            continue;
        }
        let (drop, rollback) = cat.drop_and_rollback(x);
        out.unused.push(UnusedIndex {
            database: cat.database.clone(),
            index: qualified(&x.schema, &x.name),
            table: qualified(&x.schema, &x.table),
            columns: x.shape.keys.clone(),
            bytes: x.bytes,
            idx_scan: 0,
            definition: x.indexdef.clone(),
            drop,
            rollback,
            caveat: caveat.clone(),
        });
    }
}

/// Why an index never scanned is kept anyway; null when nothing keeps it.
fn kept_reason(cat: &Catalog, x: &IndexDef) -> Option<&'static str> {
    if x.primary {
        Some("primary key: enforces uniqueness even when never scanned")
    } else if x.exclusion {
        Some("exclusion constraint")
    } else if x.unique {
        Some("unique: enforces uniqueness even when never scanned")
    } else if !cat.catalog && matches!(x.shape.method.as_str(), "gist" | "spgist") {
        Some("gist/spgist index read from pg_indexes: it may back an exclusion constraint")
    } else {
        None
    }
}

/// The valid indexes never scanned that no constraint keeps; the kept ones go
/// to `not_flagged`.
fn never_scanned<'a>(
    out: &mut IndexesView,
    cat: &Catalog<'a>,
    victims: &Victims,
) -> Vec<&'a IndexDef> {
    let mut unused = Vec::new();
    for x in cat.valid.iter().copied() {
        if !cat.never_scanned(x) || victims.contains(&(x.schema.clone(), x.name.clone())) {
            continue;
        }
        let name = qualified(&x.schema, &x.name);
        // the covering side of a redundant prefix, kept for a query's sort
        let covers_prefix = out
            .redundant
            .iter()
            .any(|r| r.covered_by == name && r.database == cat.database);
        let reason = kept_reason(cat, x).or(covers_prefix.then_some(
            "serves a query's ORDER BY that its redundant prefix index cannot: keep it, drop the prefix",
        ));
        match reason {
            Some(reason) => out.not_flagged.push(KeptIndex {
                database: cat.database.clone(),
                index: name,
                table: qualified(&x.schema, &x.table),
                reason: reason.into(),
            }),
            None => unused.push(x),
        }
    }
    unused
}

/// A foreign key keeps one index: if every index serving it (victims aside) is
/// unused, the smallest one stays. Returns those kept (schema, index).
fn kept_for_foreign_keys(
    out: &mut IndexesView,
    cat: &Catalog,
    d: &DatabaseStats,
    unused: &[&IndexDef],
    victims: &Victims,
) -> BTreeSet<(String, String)> {
    let mut fk_kept: BTreeSet<(String, String)> = BTreeSet::new();
    for f in &d.view.foreign_keys {
        let serving: Vec<&IndexDef> = cat
            .valid
            .iter()
            .copied()
            .filter(|x| {
                x.schema == f.schema
                    && x.table == f.table
                    && covers_fk(x, &f.columns)
                    && !victims.contains(&(x.schema.clone(), x.name.clone()))
            })
            .collect();
        let all_unused = serving.iter().all(|x| {
            unused
                .iter()
                .any(|u| u.schema == x.schema && u.name == x.name)
        });
        if let Some(keep) = serving
            .iter()
            .filter(|_| all_unused)
            .min_by_key(|x| (x.shape.keys.len(), x.name.clone()))
            && fk_kept.insert((keep.schema.clone(), keep.name.clone()))
        {
            out.not_flagged.push(KeptIndex {
                database: cat.database.clone(),
                index: qualified(&keep.schema, &keep.name),
                table: qualified(&keep.schema, &keep.table),
                reason: format!(
                    "the index foreign key {} ({}) needs: deletes and key updates on {} look rows up by it",
                    f.name,
                    f.columns.join(", "),
                    f.referenced.as_deref().unwrap_or("the referenced table")
                ),
            });
        }
    }
    fk_kept
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{def, export, run};
    use crate::stats::records::ForeignKey;

    #[test]
    fn an_index_is_unused_at_zero_scans_and_used_at_one() {
        let d = export(
            vec![
                def("orders", "a_idx", &["status"]),
                def("orders", "b_idx", &["total"]),
            ],
            Some(&[("a_idx", 0), ("b_idx", 1)]),
        );
        let out = run(&d);
        assert_eq!(out.unused.len(), 1);
        let u = &out.unused[0];
        assert_eq!(
            (u.index.as_str(), u.table.as_str()),
            ("public.a_idx", "public.orders")
        );
        assert_eq!(u.columns, ["status"]);
        assert_eq!(u.bytes, Some(8192));
        assert_eq!(u.drop, "DROP INDEX CONCURRENTLY IF EXISTS public.a_idx;");
        assert!(u.caveat.starts_with("Counters cover 30.0 days"));
        assert!(out.not_flagged.is_empty());
    }

    #[test]
    fn an_index_missing_from_the_usage_export_is_not_called_unused() {
        let d = export(vec![def("orders", "a_idx", &["status"])], Some(&[]));
        assert!(run(&d).unused.is_empty());
    }

    #[test]
    fn without_usage_nothing_is_unused_and_the_limit_says_why() {
        let d = export(vec![def("orders", "a_idx", &["status"])], None);
        let out = run(&d);
        assert!(out.unused.is_empty());
        assert_eq!(
            out.limits,
            [
                "shop: index definitions read without pg_stat_user_indexes: unused indexes cannot be told"
            ]
        );
    }

    #[test]
    fn constraints_keep_indexes_never_scanned() {
        let mut pk = def("orders", "orders_pkey", &["id"]);
        pk.primary = true;
        pk.unique = true;
        let mut uq = def("orders", "orders_code_key", &["code"]);
        uq.unique = true;
        let mut ex = def("rooms", "rooms_excl", &["during"]);
        ex.exclusion = true;
        ex.shape.method = "gist".into();
        let d = export(
            vec![pk, uq, ex],
            Some(&[
                ("orders_pkey", 0),
                ("orders_code_key", 0),
                ("rooms_excl", 0),
            ]),
        );
        let out = run(&d);
        assert!(out.unused.is_empty());
        let reasons: Vec<(&str, &str)> = out
            .not_flagged
            .iter()
            .map(|k| (k.index.as_str(), k.reason.as_str()))
            .collect();
        assert_eq!(
            reasons,
            [
                (
                    "public.orders_code_key",
                    "unique: enforces uniqueness even when never scanned"
                ),
                (
                    "public.orders_pkey",
                    "primary key: enforces uniqueness even when never scanned"
                ),
                ("public.rooms_excl", "exclusion constraint"),
            ]
        );
    }

    #[test]
    fn gist_from_a_plain_pg_indexes_export_may_back_an_exclusion_constraint() {
        let mut g = def("rooms", "rooms_during", &["during"]);
        g.shape.method = "gist".into();
        let plain = {
            let mut g = g.clone();
            g.catalog = false;
            g
        };
        let out = run(&export(vec![plain], Some(&[("rooms_during", 0)])));
        assert!(out.unused.is_empty());
        assert!(
            out.not_flagged[0]
                .reason
                .starts_with("gist/spgist index read from pg_indexes")
        );
        assert!(out.limits[0].contains("without catalog columns"));
        // with catalog columns, exclusion is known: an unflagged gist index is unused
        let out = run(&export(vec![g], Some(&[("rooms_during", 0)])));
        assert_eq!(out.unused[0].index, "public.rooms_during");
    }

    #[test]
    fn a_foreign_key_keeps_its_smallest_unused_index_unless_one_is_used() {
        let fk = ForeignKey {
            schema: "public".into(),
            table: "orders".into(),
            name: "orders_customer_fk".into(),
            columns: vec!["customer_id".into()],
            referenced: Some("public.customers".into()),
        };
        let defs = || {
            vec![
                def("orders", "a_idx", &["customer_id", "created_at"]),
                def("orders", "b_idx", &["customer_id", "status"]),
                def("orders", "c_idx", &["customer_id"]),
            ]
        };
        // b_idx and c_idx are redundant to nothing in use; all three unused
        let mut d = export(defs(), Some(&[("a_idx", 0), ("b_idx", 0), ("c_idx", 0)]));
        d.view.foreign_keys = vec![fk.clone()];
        let out = run(&d);
        let unused: Vec<&str> = out.unused.iter().map(|u| u.index.as_str()).collect();
        assert_eq!(unused, ["public.a_idx", "public.b_idx"]);
        assert_eq!(out.not_flagged.len(), 1);
        assert_eq!(out.not_flagged[0].index, "public.c_idx");
        assert!(out.not_flagged[0].reason.starts_with(
            "the index foreign key orders_customer_fk (customer_id) needs: deletes and key updates on public.customers"
        ));
        // one serving index in use: the unused ones go
        let mut d = export(defs(), Some(&[("a_idx", 5), ("b_idx", 0), ("c_idx", 0)]));
        d.view.foreign_keys = vec![fk];
        let out = run(&d);
        assert!(out.not_flagged.is_empty());
        // c_idx is a prefix of the used a_idx: redundant; b_idx unused
        assert_eq!(out.redundant[0].index, "public.c_idx");
        assert_eq!(out.unused[0].index, "public.b_idx");
    }
}
