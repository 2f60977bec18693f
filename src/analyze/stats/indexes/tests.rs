//! Unit tests of the index catalog, its limits and the DROP/rollback statements.

use super::fixtures::{def, export, run};
use super::*;
use crate::analyze::stats::fixtures::{db, snapshot};

#[test]
fn the_rollback_recreates_the_index_concurrently() {
    let mut x = def("orders", "a_idx", &["status"]);
    x.indexdef = "CREATE UNIQUE INDEX a_idx ON public.orders USING btree (status);".into();
    let (drop, rollback) = drop_and_rollback(&x, false);
    assert_eq!(drop, "DROP INDEX CONCURRENTLY IF EXISTS public.a_idx;");
    assert_eq!(
        rollback,
        "CREATE UNIQUE INDEX CONCURRENTLY a_idx ON public.orders USING btree (status);"
    );
    x.indexdef = "CREATE INDEX CONCURRENTLY a_idx ON public.orders (status)".into();
    assert_eq!(
        drop_and_rollback(&x, false).1,
        "CREATE INDEX CONCURRENTLY a_idx ON public.orders (status);"
    );
}

#[test]
fn on_a_partitioned_table_the_drop_takes_a_lock_and_the_rollback_is_the_definition() {
    let x = def("Events", "E_idx", &["at"]);
    let (drop, rollback) = drop_and_rollback(&x, true);
    assert_eq!(
        drop,
        "DROP INDEX IF EXISTS public.\"E_idx\"; -- partitioned table: CONCURRENTLY is not supported, this takes a short exclusive lock"
    );
    assert_eq!(
        rollback,
        "CREATE INDEX E_idx ON public.Events USING btree (at);"
    );
}

#[test]
fn usage_without_definitions_is_a_limit_and_finds_nothing() {
    let mut s = snapshot("shop", &["pg_stat_user_indexes"]);
    s.indexes = vec![crate::stats::records::Index {
        schema: "public".into(),
        name: "a_idx".into(),
        idx_scan: Some(0),
        ..Default::default()
    }];
    let out = run(&db(s, None, None));
    assert_eq!(out.count, 0);
    assert!(out.unused.is_empty());
    assert_eq!(out.limits.len(), 1);
    assert!(out.limits[0].starts_with("shop: index usage read without index definitions"));
}

#[test]
fn a_complete_export_has_no_limits() {
    let out = run(&export(vec![def("t", "a", &["x"])], Some(&[("a", 1)])));
    assert!(out.limits.is_empty());
    assert_eq!(out.count, 1);
}

#[test]
fn the_limit_names_the_folder_when_the_export_names_no_database() {
    let mut d = export(vec![def("t", "a", &["x"])], None);
    d.view.database = None;
    let out = run(&d);
    assert!(out.limits[0].starts_with("stats/shop: index definitions read without"));
    assert_eq!(
        out.limits.len(),
        1,
        "definitions with catalog columns: no pg_indexes limit"
    );
}

#[test]
fn the_catalog_knows_partitioned_tables_and_scans() {
    let mut d = export(
        vec![def("events", "e_idx", &["at"]), def("t", "a", &["x"])],
        Some(&[("e_idx", 0), ("a", 3)]),
    );
    d.view.table_sizes = vec![crate::stats::records::TableSize {
        schema: "public".into(),
        name: "events".into(),
        relkind: Some("p".into()),
        ..Default::default()
    }];
    let cat = Catalog::new(&d, &[]);
    let e = cat.defs[0];
    assert!(cat.is_partitioned(e) && !cat.is_partitioned(cat.defs[1]));
    assert!(cat.never_scanned(e) && !cat.never_scanned(cat.defs[1]));
    assert_eq!(cat.scans("public", "a"), Some(3));
    assert_eq!(cat.scans("public", "missing"), None);
}
