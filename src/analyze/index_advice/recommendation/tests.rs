//! Recommendations from hand-made candidates: DDL, rollback, the index
//! extended, write overhead, verification, caveats and target.

use super::super::corroboration::Corroboration;
use super::super::grouping::ServedQuery;
use super::super::table_match::TableRef;
use super::super::test_support::{export, index, seq_heavy};
use super::*;
use crate::stats::records::TableSize;
use crate::stats::snapshot::DatabaseStats;

fn query(fingerprint: &str, served_ms: f64, p95_ms: Option<f64>) -> ServedQuery {
    ServedQuery {
        served_ms,
        fingerprint: fingerprint.into(),
        p95_ms,
    }
}

fn candidate<'a>(dbs: &'a [DatabaseStats], table: &str, columns: &[&str]) -> Candidate<'a> {
    let t = TableRef::resolve(dbs, table, None);
    Candidate {
        table: t.name,
        schema: t.schema,
        db: t.db,
        columns: columns.iter().map(|c| c.to_string()).collect(),
        served_ms: 30.0004,
        queries: vec![query("bbbb", 10.0, None), query("aaaa", 20.0, Some(12.34))],
        evidence: [Corroboration::SeqScanStats, Corroboration::Plan].into(),
    }
}

#[test]
fn ddl_rollback_and_queries_busiest_first() {
    let dbs = [export("app", &[("Sales", "orders")], &[])];
    let c = candidate(&dbs, "orders", &["customer_id", "Status"]);
    let r = recommend(c, "orders_customer_id_Status_idx".into(), &[]);
    assert_eq!(r.database.as_deref(), Some("app"));
    assert_eq!(r.table, "Sales.orders");
    assert_eq!(
        r.create,
        r#"CREATE INDEX CONCURRENTLY "orders_customer_id_Status_idx" ON "Sales".orders (customer_id, "Status");"#
    );
    assert_eq!(
        r.rollback,
        r#"DROP INDEX CONCURRENTLY IF EXISTS "Sales"."orders_customer_id_Status_idx";"#
    );
    assert_eq!(r.queries, ["aaaa", "bbbb"]);
    assert_eq!(r.evidence, ["plan", "seq_scan_stats"]);
    assert_eq!(r.served_ms, 30.0);
    assert!(r.verify[0].contains("of query aaaa with real parameters"));
    assert!(r.verify[0].contains("from Seq Scan on orders to"));
    assert!(
        r.verify[1].contains(r#"CREATE INDEX ON "Sales".orders (customer_id, "Status")"#),
        "{}",
        r.verify[1]
    );
    assert!(r.verify[2].ends_with("pg_stat_user_tables.seq_scan of Sales.orders stops growing."));
}

#[test]
fn a_table_unknown_to_the_statistics_is_written_bare() {
    let c = candidate(&[], "public.orders", &["id"]);
    let r = recommend(c, "orders_id_idx".into(), &[]);
    assert_eq!(r.database, None);
    assert_eq!(r.table, "orders");
    assert_eq!(
        r.create,
        "CREATE INDEX CONCURRENTLY orders_id_idx ON orders (id);"
    );
    assert_eq!(
        r.rollback,
        "DROP INDEX CONCURRENTLY IF EXISTS orders_id_idx;"
    );
    assert_eq!(r.existing_indexes, None);
    assert_eq!(r.caveats.len(), 3);
    assert!(r.caveats[2].starts_with("Existing indexes were not exported"));
}

#[test]
fn exported_indexes_give_the_count_and_the_index_extended() {
    let dbs = [export(
        "app",
        &[("public", "orders")],
        &[
            index(
                "public",
                "orders",
                "CREATE INDEX o_status ON public.orders (status)",
            ),
            index(
                "public",
                "orders",
                "CREATE INDEX o_customer ON public.orders (customer_id)",
            ),
            index(
                "public",
                "items",
                "CREATE INDEX i_customer ON public.items (customer_id)",
            ),
        ],
    )];
    let c = candidate(&dbs, "orders", &["customer_id", "created_at"]);
    let r = recommend(c, "n".into(), &[]);
    assert_eq!(r.existing_indexes, Some(2));
    assert_eq!(r.extends.as_deref(), Some("public.o_customer"));
    assert!(
        r.write_overhead.contains("(the table has 2 indexes now)"),
        "{}",
        r.write_overhead
    );
    assert_eq!(r.caveats.len(), 2);
}

#[test]
fn partial_or_invalid_indexes_are_not_extended() {
    let mut invalid = index("public", "t", "CREATE INDEX a ON public.t (c)");
    invalid.valid = false;
    let partial = index("public", "t", "CREATE INDEX b ON public.t (c) WHERE d");
    let defs = [&invalid, &partial];
    assert_eq!(extends(Some(&defs), &["c".into()]), None);
    assert_eq!(extends(None, &["c".into()]), None);
}

#[test]
fn write_overhead_names_what_is_known() {
    assert_eq!(
        write_overhead(None, None),
        "Every insert, and every update that changes an indexed column or is not HOT, also writes this index. Expect slightly slower writes and more WAL; measure them before and after."
    );
    let both = write_overhead(Some(3), Some(500));
    assert!(
        both.contains("this index (the table has 3 indexes now); 500 rows were written in the statistics window."),
        "{both}"
    );
}

#[test]
fn a_partitioned_table_gets_the_partition_steps() {
    let mut dbs = [export("app", &[("public", "events")], &[])];
    dbs[0].view.table_sizes.push(TableSize {
        schema: "public".into(),
        name: "events".into(),
        relkind: Some("p".into()),
        ..Default::default()
    });
    let r = recommend(candidate(&dbs, "events", &["kind"]), "n".into(), &[]);
    assert!(r.caveats[1].starts_with("This is a partitioned table"));
    assert!(caveats(false, true)[1].starts_with("On a partitioned table"));
}

#[test]
fn the_target_uses_scans_and_p95_when_known() {
    let h = seq_heavy(Some("app"), "public.orders");
    assert_eq!(
        target("public.orders", Some(&h), Some(12.34)),
        "sequential scans of public.orders: 120 in the window -> near 0; p95 of the main query 12.3 ms -> a few ms (an index lookup reads a handful of pages, not 10,000 rows)"
    );
    // after a statistics reset the table's size comes from another counter
    let reset = SeqScanTable {
        n_live_tup: 4,
        table_rows: 40_004,
        ..h.clone()
    };
    assert!(
        target("public.orders", Some(&reset), Some(3.6)).ends_with("not 40,004 rows)"),
        "{}",
        target("public.orders", Some(&reset), Some(3.6))
    );
    assert_eq!(
        target("public.orders", Some(&h), None),
        "sequential scans of public.orders: 120 in the window -> near 0 (each read 10,000 rows)"
    );
    assert!(target("t", None, Some(3.0)).starts_with("p95 of the main query 3.00 ms"));
    assert_eq!(
        target("t", None, None),
        "an Index Scan instead of a Seq Scan in the query's plan"
    );
}

#[test]
fn the_table_read_by_sequential_scans_gives_its_figures() {
    let dbs = [export("app", &[("public", "orders")], &[])];
    let heavy = [seq_heavy(Some("app"), "public.orders")];
    let r = recommend(candidate(&dbs, "orders", &["id"]), "n".into(), &heavy);
    assert_eq!(r.seq_scan, Some(120));
    assert_eq!(r.seq_tup_read, Some(1_200_000));
    assert_eq!(r.n_live_tup, Some(10_000));
    // the top query's p95
    assert!(
        r.target.contains("p95 of the main query 12.3 ms"),
        "{}",
        r.target
    );
}
