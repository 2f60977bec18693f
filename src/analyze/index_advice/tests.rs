//! The whole advice on small inputs: which queries yield an index, merged and
//! ranked.

use super::test_support::{export, index, seq_heavy};
use super::*;

fn query(fingerprint: &str, normalized: &str, total_ms: f64) -> QueryReport {
    QueryReport {
        fingerprint: fingerprint.into(),
        normalized: normalized.into(),
        count: 10,
        total_ms,
        p95_ms: Some(total_ms / 10.0),
        ..Default::default()
    }
}

fn plan(fingerprint: &str, text: &str) -> PlanView {
    PlanView {
        fingerprint: fingerprint.into(),
        text: text.into(),
        ..Default::default()
    }
}

#[test]
fn a_filter_on_a_scanned_table_yields_its_index() {
    let dbs = [export("app", &[("public", "orders")], &[])];
    let heavy = [seq_heavy(Some("app"), "public.orders")];
    let q = [query(
        "q1",
        "select * from orders where customer_id = $1 and status = $2",
        500.0,
    )];
    let r = build(&q, &[], &[], &dbs, &heavy);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].table, "public.orders");
    assert_eq!(r[0].columns, ["customer_id", "status"]);
    assert_eq!(r[0].index, "orders_customer_id_status_idx");
    assert_eq!(r[0].evidence, ["seq_scan_stats"]);
}

#[test]
fn without_a_scan_shown_nothing_is_proposed() {
    let dbs = [export("app", &[("public", "orders")], &[])];
    let q = [query(
        "q1",
        "select * from orders where customer_id = $1",
        500.0,
    )];
    assert!(build(&q, &[], &[], &dbs, &[]).is_empty());
    // writes are not served
    let heavy = [seq_heavy(Some("app"), "public.orders")];
    let insert = [query(
        "q2",
        "insert into orders (customer_id) values ($1)",
        500.0,
    )];
    assert!(build(&insert, &[], &[], &dbs, &heavy).is_empty());
}

#[test]
fn an_existing_index_serving_the_query_stops_it() {
    let dbs = [export(
        "app",
        &[("public", "orders")],
        &[index(
            "public",
            "orders",
            "CREATE INDEX o ON public.orders (status, customer_id)",
        )],
    )];
    let heavy = [seq_heavy(Some("app"), "public.orders")];
    let q = [query(
        "q1",
        "select * from orders where customer_id = $1 and status = $2",
        500.0,
    )];
    assert!(build(&q, &[], &[], &dbs, &heavy).is_empty());
}

#[test]
fn a_plan_alone_corroborates_and_names_the_index_uniquely() {
    let q = [
        query("q1", "select * from orders where customer_id = $1", 500.0),
        query("q2", "select * from items where order_id = $1", 300.0),
    ];
    let plans = [
        plan("q1", "Seq Scan on orders  (cost=0.00..10.00)"),
        plan("q2", "Seq Scan on items  (cost=0.00..10.00)"),
    ];
    let r = build(&q, &[], &plans, &[], &[]);
    let got: Vec<(&str, &str)> = r
        .iter()
        .map(|r| (r.table.as_str(), r.evidence[0].as_str()))
        .collect();
    assert_eq!(got, [("orders", "plan"), ("items", "plan")]);
}

#[test]
fn queries_sharing_a_leading_column_get_one_index() {
    let dbs = [export("app", &[("public", "orders")], &[])];
    let heavy = [seq_heavy(Some("app"), "public.orders")];
    let q = [
        query("q1", "select * from orders where customer_id = $1", 100.0),
        query(
            "q2",
            "select * from orders where customer_id = $1 and status = $2",
            400.0,
        ),
    ];
    let r = build(&q, &[], &[], &dbs, &heavy);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].columns, ["customer_id", "status"]);
    assert_eq!(r[0].queries, ["q2", "q1"]);
    assert_eq!(r[0].served_ms, 500.0);
}

#[test]
fn candidates_under_half_a_percent_of_all_time_are_noise() {
    let plans = [
        plan("big", "Seq Scan on orders"),
        plan("small", "Seq Scan on items"),
    ];
    let at = |small_ms: f64| {
        let q = [
            query("big", "select * from orders where customer_id = $1", 995.0),
            query("small", "select * from items where order_id = $1", small_ms),
        ];
        build(&q, &[], &plans, &[], &[]).len()
    };
    // 5 of 1000 ms is exactly 0.5%
    assert_eq!(at(5.0), 2);
    assert_eq!(at(4.9), 1);
}

#[test]
fn at_most_ten_recommendations_busiest_first() {
    let q: Vec<QueryReport> = (0..12)
        .map(|i| {
            query(
                &format!("q{i:02}"),
                &format!("select * from t{i:02} where c = $1"),
                100.0 + i as f64,
            )
        })
        .collect();
    let plans: Vec<PlanView> = (0..12)
        .map(|i| plan(&format!("q{i:02}"), &format!("Seq Scan on t{i:02}")))
        .collect();
    let r = build(&q, &[], &plans, &[], &[]);
    assert_eq!(r.len(), 10);
    assert_eq!(r[0].table, "t11");
    assert_eq!(r[9].table, "t02");
}

#[test]
fn an_output_alias_or_an_aggregate_is_never_an_index_column() {
    let dbs = [export("app", &[("public", "orders")], &[])];
    let heavy = [seq_heavy(Some("app"), "public.orders")];
    // sorted by the alias of sum(total): there is no column `spent` to index
    let q = [query(
        "q1",
        "select customer_email, count(*) as n, sum(total) as spent from orders group by customer_email order by spent desc limit $1",
        500.0,
    )];
    assert!(build(&q, &[], &[], &dbs, &heavy).is_empty());
    // the same query filtered by a real column gets that column only
    let q = [query(
        "q2",
        "select customer_email, sum(total) as spent from orders where status = $1 group by customer_email order by spent desc",
        500.0,
    )];
    let r = build(&q, &[], &[], &dbs, &heavy);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].columns, ["status"]);
}

#[test]
fn a_hash_joined_table_is_indexed_on_its_filter_not_its_join_column() {
    let dbs = [export(
        "app",
        &[("public", "orders"), ("public", "customers")],
        &[],
    )];
    let sql = "select o.id from orders as o join customers as c on c.id = o.customer_id where c.country = $1";
    let q = [query("q1", sql, 500.0)];
    let hash = [plan(
        "q1",
        "Hash Join  (cost=10.00..100.00 rows=10 width=8)
  Hash Cond: (o.customer_id = c.id)
  ->  Seq Scan on orders o  (cost=0.00..50.00 rows=1000 width=8)
  ->  Hash  (cost=5.00..5.00 rows=100 width=8)
        ->  Seq Scan on customers c  (cost=0.00..5.00 rows=100 width=8)
              Filter: (country = 'NL'::text)",
    )];
    let r = build(&q, &[], &hash, &dbs, &[]);
    let customers = r.iter().find(|x| x.table == "public.customers").unwrap();
    assert_eq!(customers.columns, ["country"]);
    // probed once per order by a nested loop: the join column leads
    let nested = [plan(
        "q1",
        "Nested Loop  (cost=0.29..100.00 rows=10 width=8)
  ->  Seq Scan on orders o  (cost=0.00..50.00 rows=1000 width=8)
  ->  Seq Scan on customers c  (cost=0.00..5.00 rows=1 width=8)
        Filter: ((country = 'NL'::text) AND (id = o.customer_id))",
    )];
    let r = build(&q, &[], &nested, &dbs, &[]);
    let customers = r.iter().find(|x| x.table == "public.customers").unwrap();
    assert_eq!(customers.columns, ["id", "country"]);
}

fn slow_select(fingerprint: &str, normalized: &str, p95_ms: f64) -> QueryReport {
    QueryReport {
        p95_ms: Some(p95_ms),
        ..query(fingerprint, normalized, 500.0)
    }
}

#[test]
fn without_statistics_or_a_plan_a_slow_read_is_a_candidate_to_confirm() {
    let sql = "select id from payments where gateway_txn_id = $1";
    let q = [slow_select("q1", sql, 4.6)];
    let advice = advise(&q, &[], &[], &[], &[]);
    assert!(advice.recommendations.is_empty(), "no evidence, no advice");
    let c = &advice.to_confirm[0];
    assert_eq!(
        (c.table.as_str(), c.columns.as_slice()),
        ("payments", &["gateway_txn_id".to_string()][..])
    );
    assert_eq!(c.queries, ["q1"]);
    assert!(
        c.explain
            .starts_with(&format!("EXPLAIN (ANALYZE, BUFFERS) {sql}"))
    );
    assert!(c.confirm.contains("pgsift export-script"));
}

#[test]
fn what_is_no_candidate_to_confirm() {
    // a lookup an index already serves (well under the p95 threshold)
    let fast = [slow_select(
        "q1",
        "select abalance from pgbench_accounts where aid = $1",
        0.05,
    )];
    assert!(advise(&fast, &[], &[], &[], &[]).to_confirm.is_empty());
    let edge = [slow_select(
        "q1",
        "select * from t where a = $1",
        CONFIRM_MIN_P95_MS,
    )];
    assert_eq!(advise(&edge, &[], &[], &[], &[]).to_confirm.len(), 1);
    // a write, a system catalog
    let update = [slow_select("q1", "update t set x = $1 where a = $2", 50.0)];
    assert!(advise(&update, &[], &[], &[], &[]).to_confirm.is_empty());
    let catalog = [slow_select(
        "q1",
        "select * from pg_class where relname = $1",
        50.0,
    )];
    assert!(advise(&catalog, &[], &[], &[], &[]).to_confirm.is_empty());
    // a table the statistics know (and do not show scanned): the evidence spoke
    let dbs = [export("app", &[("public", "t")], &[])];
    let known = [slow_select("q1", "select * from t where a = $1", 50.0)];
    assert!(advise(&known, &[], &[], &dbs, &[]).to_confirm.is_empty());
    // a join: its time cannot be pinned on one table without a plan
    let join = [slow_select(
        "q1",
        "select * from customers as c join orders as o on o.customer_id = c.id where c.id <= $1",
        50.0,
    )];
    assert!(advise(&join, &[], &[], &[], &[]).to_confirm.is_empty());
    // the query's plan spoke
    let planned = [plan("q1", "Index Scan using t_a_idx on t")];
    assert!(
        advise(&known, &[], &planned, &[], &[])
            .to_confirm
            .is_empty()
    );
}

#[test]
fn with_the_tables_columns_exported_an_unknown_name_is_dropped_and_named() {
    let mut db = export("app", &[("public", "orders")], &[]);
    db.view.columns = ["id", "customer_email", "status", "total"]
        .iter()
        .map(|c| crate::stats::records::TableColumn {
            schema: "public".into(),
            table: "orders".into(),
            column: c.to_string(),
            ..Default::default()
        })
        .collect();
    let dbs = [db];
    let heavy = [seq_heavy(Some("app"), "public.orders")];
    // an alias the text walk cannot tell (no `as`): `spent` is no column
    let q = [
        query(
            "q1",
            "select customer_email, sum(total) spent from orders group by customer_email order by spent desc",
            500.0,
        ),
        query(
            "q2",
            "select * from orders where customer_email = $1",
            400.0,
        ),
    ];
    let advice = advise(&q, &[], &[], &dbs, &heavy);
    assert_eq!(advice.unknown_columns, ["public.orders.spent"]);
    let cols: Vec<&[String]> = advice
        .recommendations
        .iter()
        .map(|r| r.columns.as_slice())
        .collect();
    assert_eq!(cols, [["customer_email".to_string()]]);
    // without the columns exported, the text is all there is
    let bare = [export("app", &[("public", "orders")], &[])];
    let advice = advise(&q, &[], &[], &bare, &heavy);
    assert!(advice.unknown_columns.is_empty());
    assert!(
        advice
            .recommendations
            .iter()
            .any(|r| r.columns == ["spent"])
    );
}

#[test]
fn a_plan_keeping_many_of_the_rows_it_scans_is_no_advice_unless_a_top_n_is_served() {
    let scan = |kept: u64, removed: u64| {
        format!(
            "Seq Scan on customers c  (cost=0.00..46.00 rows=250 width=7) (actual time=0.003..0.129 rows={kept} loops=1)
  Filter: (country = 'FR'::text)
  Rows Removed by Filter: {removed}"
        )
    };
    let q = [query(
        "q1",
        "select c.country, count(*) from customers as c where c.country = $1 group by c.country",
        500.0,
    )];
    // 12.5% of the rows kept: dropped, and said
    let advice = advise(&q, &[], &[plan("q1", &scan(250, 1750))], &[], &[]);
    assert!(advice.recommendations.is_empty());
    assert_eq!(
        advice.unselective,
        ["customers (country): the query's plan keeps 12.5% of the rows its scan reads"]
    );
    // 1% kept: an index pays
    let advice = advise(&q, &[], &[plan("q1", &scan(20, 1980))], &[], &[]);
    assert_eq!(advice.recommendations.len(), 1);
    assert!(advice.unselective.is_empty());
    // a top-N sorted on an indexed column stops early whatever the filter keeps
    let top = [query(
        "q1",
        "select * from customers where country = $1 order by created_at desc limit $2",
        500.0,
    )];
    let advice = advise(&top, &[], &[plan("q1", &scan(250, 1750))], &[], &[]);
    assert_eq!(advice.recommendations[0].columns, ["country", "created_at"]);
}
