//! Unit tests of plan parsing and red flags.

use super::*;

#[test]
fn text_plan_with_flags() {
    let body = "\nQuery Text: SELECT *\n  FROM orders WHERE status = 'x'\nSeq Scan on orders  (cost=0.00..1000.00 rows=10 width=40) (actual time=0.01..12.00 rows=5000 loops=1)\n  Filter: (status = 'x'::text)\n  Rows Removed by Filter: 45000\nSort  (cost=1.0..2.0 rows=100 width=4) (actual time=1..2 rows=100 loops=1)\n  Sort Method: external merge  Disk: 1024kB";
    let p = parse(250_000, body).unwrap();
    assert_eq!(p.query, "SELECT *\n  FROM orders WHERE status = 'x'");
    assert!(p.text.starts_with("Seq Scan on orders"));
    assert!(
        p.flags.iter().any(|f| f.contains("removes 45000 rows")),
        "{:?}",
        p.flags
    );
    assert!(
        p.flags
            .iter()
            .any(|f| f.contains("estimated 10 rows, actual 5000")),
        "{:?}",
        p.flags
    );
    assert!(
        p.flags
            .iter()
            .any(|f| f.starts_with("Sort spilled to disk")),
        "{:?}",
        p.flags
    );
}

#[test]
fn query_parameters_are_not_part_of_the_query() {
    let body = "Query Text: SELECT * FROM t WHERE id = $1\nQuery Parameters: $1 = '42'\nIndex Scan using t_pkey on t  (cost=0.1..8.1 rows=1 width=4) (actual time=0.01..0.01 rows=1 loops=1)";
    assert_eq!(
        parse(1, body).unwrap().query,
        "SELECT * FROM t WHERE id = $1"
    );
}

#[test]
fn json_plan_with_flags() {
    let body = r#"{"Query Text": "SELECT 1", "Plan": {"Node Type": "Nested Loop", "Plan Rows": 1, "Actual Rows": 1, "Actual Loops": 1, "Plans": [{"Node Type": "Index Scan", "Relation Name": "items", "Plan Rows": 1, "Actual Rows": 1, "Actual Loops": 5000}, {"Node Type": "Hash", "Hash Batches": 4}]}}"#;
    let p = parse(1000, body).unwrap();
    assert_eq!(p.query, "SELECT 1");
    assert!(
        p.flags
            .iter()
            .any(|f| f == "Index Scan on items runs 5000 times (nested loop)"),
        "{:?}",
        p.flags
    );
    assert!(
        p.flags.iter().any(|f| f.contains("4 batches")),
        "{:?}",
        p.flags
    );
}

/// The red flags of a logged plan body.
fn flags_of(body: &str) -> Vec<String> {
    parse(1_000, body).unwrap().flags
}

// Plans logged by auto_explain on PostgreSQL 15.18 (200,000 orders; the small
// tables read by parallel scans with parallel_setup_cost = 0).
const PARALLEL_ORDERS: &str = "Query Text: SELECT id, status FROM orders WHERE customer_email = 'customer7@example.com' AND total_cents = 7919;
Gather  (cost=1000.00..4312.10 rows=1 width=11) (actual time=11.766..13.154 rows=0 loops=1)
  Workers Planned: 2
  Workers Launched: 2
  Buffers: shared hit=2062
  ->  Parallel Seq Scan on orders  (cost=0.00..3312.00 rows=1 width=11) (actual time=7.066..7.066 rows=0 loops=3)
        Filter: ((customer_email = 'customer7@example.com'::text) AND (total_cents = 7919))
        Rows Removed by Filter: 66667
        Buffers: shared hit=2062";

const PARALLEL_COUPONS: &str = "Query Text: SELECT id FROM coupons WHERE code = 'C17';
Gather  (cost=0.00..25.50 rows=1 width=4) (actual time=4.528..11.131 rows=1 loops=1)
  Workers Planned: 2
  Workers Launched: 2
  Buffers: shared hit=13
  ->  Parallel Seq Scan on coupons  (cost=0.00..25.50 rows=1 width=4) (actual time=0.004..0.037 rows=0 loops=3)
        Filter: (code = 'C17'::text)
        Rows Removed by Filter: 800
        Buffers: shared hit=13";

const PARALLEL_REGIONS: &str = "Query Text: SELECT id FROM regions WHERE name = 'R17';
Gather  (cost=0.00..7.12 rows=1 width=4) (actual time=0.096..7.589 rows=1 loops=1)
  Workers Planned: 2
  Workers Launched: 2
  Buffers: shared hit=4
  ->  Parallel Seq Scan on regions  (cost=0.00..7.12 rows=1 width=4) (actual time=0.002..0.011 rows=0 loops=3)
        Filter: (name = 'R17'::text)
        Rows Removed by Filter: 200
        Buffers: shared hit=4";

/// A JSON parallel scan as PostgreSQL 15 logs it (figures per process).
fn json_parallel_scan(table: &str, removed: u64) -> String {
    format!(
        r#"{{
  "Query Text": "SELECT id FROM {table} WHERE code = 'C17';",
  "Plan": {{
    "Node Type": "Gather",
    "Parallel Aware": false,
    "Plan Rows": 1,
    "Actual Rows": 1,
    "Actual Loops": 1,
    "Workers Planned": 2,
    "Workers Launched": 2,
    "Single Copy": false,
    "Plans": [
      {{
        "Node Type": "Seq Scan",
        "Parent Relationship": "Outer",
        "Parallel Aware": true,
        "Relation Name": "{table}",
        "Alias": "{table}",
        "Plan Rows": 1,
        "Actual Rows": 0,
        "Actual Loops": 3,
        "Filter": "(code = 'C17'::text)",
        "Rows Removed by Filter": {removed},
        "Workers": [
        ]
      }}
    ]
  }}
}}"#
    )
}

#[test]
fn a_parallel_scan_removes_its_rows_per_process_times_the_processes() {
    assert_eq!(
        flags_of(PARALLEL_ORDERS),
        [
            "Parallel Seq Scan on orders removes 200001 rows by filter (66667 per loop x 3 loops): an index may help"
        ]
    );
    // 800 per process is under the threshold, 2,400 in all is not
    assert_eq!(
        flags_of(PARALLEL_COUPONS),
        [
            "Parallel Seq Scan on coupons removes 2400 rows by filter (800 per loop x 3 loops): an index may help"
        ]
    );
    // 600 in all
    assert_eq!(flags_of(PARALLEL_REGIONS), Vec::<String>::new());
}

#[test]
fn a_json_parallel_scan_removes_its_rows_per_process_times_the_processes() {
    assert_eq!(
        flags_of(&json_parallel_scan("coupons", 800)),
        [
            "Parallel Seq Scan on coupons removes 2400 rows by filter (800 per loop x 3 loops): an index may help"
        ]
    );
    assert_eq!(
        flags_of(&json_parallel_scan("regions", 200)),
        Vec::<String>::new()
    );
}

#[test]
fn a_scan_looped_by_a_nested_loop_removes_its_rows_every_loop() {
    // samples/logs/postgresql-main.log: the latest order of 200 customers
    let body = "Query Text: SELECT c.id, c.email, last_order.id AS last_order_id, last_order.status
  FROM customers AS c
 CROSS JOIN LATERAL (
       SELECT o.id, o.status
         FROM orders AS o
        WHERE o.customer_email = c.email
        ORDER BY o.created_at DESC
        LIMIT 1) AS last_order
 WHERE c.id <= 200
 ORDER BY c.id;
Nested Loop  (cost=935.38..187038.28 rows=200 width=43) (actual time=17.856..902.493 rows=200 loops=1)
  Buffers: shared hit=87012
  ->  Index Scan using customers_pkey on customers c  (cost=0.28..13.78 rows=200 width=28) (actual time=0.071..1.185 rows=200 loops=1)
        Index Cond: (id <= 200)
        Buffers: shared hit=9
  ->  Limit  (cost=935.10..935.10 rows=1 width=23) (actual time=4.439..4.440 rows=1 loops=200)
        Buffers: shared hit=87003
        ->  Sort  (cost=935.10..935.15 rows=20 width=23) (actual time=4.434..4.434 rows=1 loops=200)
              Sort Key: o.created_at DESC
              Sort Method: top-N heapsort  Memory: 25kB
              Buffers: shared hit=87003
              ->  Seq Scan on orders o  (cost=0.00..935.00 rows=20 width=23) (actual time=0.219..4.407 rows=20 loops=200)
                    Filter: (customer_email = c.email)
                    Rows Removed by Filter: 39980
                    Buffers: shared hit=87000
JIT:
  Functions: 10
  Options: Inlining false, Optimization false, Expressions true, Deforming true
  Timing: Generation 1.006 ms, Inlining 0.000 ms, Optimization 0.660 ms, Emission 11.369 ms, Total 13.034 ms";
    assert_eq!(
        flags_of(body),
        [
            "Seq Scan on orders o removes 7996000 rows by filter (39980 per loop x 200 loops): an index may help"
        ]
    );
}

#[test]
fn only_sequential_scans_are_told_an_index_may_help() {
    // an index scan filtering rows out already has an index
    let body = "Query Text: SELECT id FROM orders WHERE customer_id = 7 AND status = 'x';
Index Scan using orders_customer_id_idx on orders  (cost=0.29..8.31 rows=1 width=4) (actual time=0.01..0.9 rows=0 loops=1)
  Index Cond: (customer_id = 7)
  Filter: (status = 'x'::text)
  Rows Removed by Filter: 5000";
    assert_eq!(flags_of(body), Vec::<String>::new());
}

#[test]
fn a_json_node_is_named_as_the_text_format_names_it() {
    // the same statements logged in both formats by PostgreSQL 15.18 (node
    // lines of the text plans; the JSON plans keep only the keys that name)
    let pairs = [
        (
            "Finalize Aggregate  (cost=4520.81..4520.82 rows=1 width=8) (actual time=12.564..13.728 rows=1 loops=1)
  ->  Gather  (cost=4520.59..4520.80 rows=2 width=8) (actual time=12.558..13.722 rows=3 loops=1)
        ->  Partial Aggregate  (cost=3520.59..3520.60 rows=1 width=8) (actual time=9.351..9.351 rows=1 loops=3)
              ->  Parallel Seq Scan on orders  (cost=0.00..3520.33 rows=103 width=0) (actual time=0.008..6.075 rows=16667 loops=3)",
            r#"{"Node Type": "Aggregate", "Strategy": "Plain", "Partial Mode": "Finalize", "Parallel Aware": false, "Plans": [{"Node Type": "Gather", "Parallel Aware": false, "Plans": [{"Node Type": "Aggregate", "Strategy": "Plain", "Partial Mode": "Partial", "Parallel Aware": false, "Plans": [{"Node Type": "Seq Scan", "Parallel Aware": true, "Relation Name": "orders", "Alias": "orders"}]}]}]}"#,
        ),
        (
            "HashAggregate  (cost=4601.98..4602.06 rows=8 width=11) (actual time=25.700..25.704 rows=8 loops=1)
  ->  Hash Right Join  (cost=9.79..4597.01 rows=995 width=7) (actual time=0.040..25.611 rows=1000 loops=1)
        ->  Seq Scan on orders o  (cost=0.00..4062.00 rows=200000 width=8) (actual time=0.004..11.838 rows=200000 loops=1)
        ->  Hash  (cost=9.16..9.16 rows=50 width=7) (actual time=0.024..0.024 rows=50 loops=1)
              ->  Index Scan using customers_pkey on customers c  (cost=0.29..9.16 rows=50 width=7) (actual time=0.010..0.014 rows=50 loops=1)",
            r#"{"Node Type": "Aggregate", "Strategy": "Hashed", "Partial Mode": "Simple", "Parallel Aware": false, "Plans": [{"Node Type": "Hash Join", "Parallel Aware": false, "Join Type": "Right", "Plans": [{"Node Type": "Seq Scan", "Parallel Aware": false, "Relation Name": "orders", "Alias": "o"}, {"Node Type": "Hash", "Parallel Aware": false, "Plans": [{"Node Type": "Index Scan", "Parallel Aware": false, "Scan Direction": "Forward", "Index Name": "customers_pkey", "Relation Name": "customers", "Alias": "c"}]}]}]}"#,
        ),
        (
            "Update on customers  (cost=0.29..8.30 rows=0 width=0) (actual time=0.415..0.416 rows=0 loops=1)
  ->  Index Scan using customers_pkey on customers  (cost=0.29..8.30 rows=1 width=38) (actual time=0.012..0.014 rows=1 loops=1)",
            r#"{"Node Type": "ModifyTable", "Parallel Aware": false, "Operation": "Update", "Relation Name": "customers", "Alias": "customers", "Plans": [{"Node Type": "Index Scan", "Parallel Aware": false, "Scan Direction": "Forward", "Index Name": "customers_pkey", "Relation Name": "customers", "Alias": "customers"}]}"#,
        ),
        (
            "Aggregate  (cost=17.64..17.65 rows=1 width=8) (actual time=0.101..0.102 rows=1 loops=1)
  ->  Hash Anti Join  (cost=17.50..17.64 rows=1 width=0) (actual time=0.100..0.101 rows=0 loops=1)
        ->  Function Scan on generate_series g  (cost=0.00..0.10 rows=10 width=4) (actual time=0.006..0.006 rows=10 loops=1)
        ->  Hash  (cost=10.00..10.00 rows=600 width=4) (actual time=0.086..0.086 rows=600 loops=1)
              ->  Seq Scan on regions r  (cost=0.00..10.00 rows=600 width=4) (actual time=0.004..0.040 rows=600 loops=1)",
            r#"{"Node Type": "Aggregate", "Strategy": "Plain", "Partial Mode": "Simple", "Parallel Aware": false, "Plans": [{"Node Type": "Hash Join", "Parallel Aware": false, "Join Type": "Anti", "Plans": [{"Node Type": "Function Scan", "Parallel Aware": false, "Function Name": "generate_series", "Alias": "g"}, {"Node Type": "Hash", "Parallel Aware": false, "Plans": [{"Node Type": "Seq Scan", "Parallel Aware": false, "Relation Name": "regions", "Alias": "r"}]}]}]}"#,
        ),
        (
            "Limit  (cost=0.42..777.32 rows=2 width=4) (actual time=15.714..15.715 rows=2 loops=1)
  ->  Index Scan Backward using orders_pkey on orders  (cost=0.42..7769.42 rows=20 width=4) (actual time=15.712..15.712 rows=2 loops=1)",
            r#"{"Node Type": "Limit", "Parallel Aware": false, "Plans": [{"Node Type": "Index Scan", "Parallel Aware": false, "Scan Direction": "Backward", "Index Name": "orders_pkey", "Relation Name": "orders", "Alias": "orders"}]}"#,
        ),
    ];
    for (text, json) in pairs {
        let from_text: Vec<String> = nodes::text_nodes(text)
            .into_iter()
            .map(|n| n.name)
            .collect();
        let mut from_json = Vec::new();
        nodes::json_nodes(&serde_json::from_str(json).unwrap(), None, &mut from_json);
        let from_json: Vec<String> = from_json.into_iter().map(|n| n.name).collect();
        assert_eq!(from_json, from_text);
    }
    let mut names = Vec::new();
    nodes::json_nodes(&serde_json::from_str(pairs[0].1).unwrap(), None, &mut names);
    let kinds: Vec<&str> = names.iter().map(|n| n.kind.as_str()).collect();
    assert_eq!(kinds, ["Aggregate", "Gather", "Aggregate", "Seq Scan"]);
    assert_eq!(names[3].name, "Parallel Seq Scan on orders");
}

// Plans logged by auto_explain on PostgreSQL 15.18 (the 200,000 orders above;
// Buffers lines left out, the JSON plans trimmed to the keys pgsift reads).
const TOP_N_GATHER_MERGE: &str = "Query Text: SELECT id, status, total_cents FROM orders WHERE status = 'paid' ORDER BY created_at DESC LIMIT 10;
Limit  (cost=5159.80..5160.95 rows=10 width=23) (actual time=15.653..15.701 rows=10 loops=1)
  ->  Gather Merge  (cost=5159.80..8497.56 rows=29024 width=23) (actual time=15.651..15.698 rows=10 loops=1)
        Workers Planned: 1
        Workers Launched: 1
        ->  Sort  (cost=4159.79..4232.35 rows=29024 width=23) (actual time=13.042..13.043 rows=6 loops=2)
              Sort Key: created_at DESC
              Sort Method: top-N heapsort  Memory: 26kB
              Worker 0:  Sort Method: top-N heapsort  Memory: 26kB
              ->  Parallel Seq Scan on orders  (cost=0.00..3532.59 rows=29024 width=23) (actual time=0.007..10.177 rows=25000 loops=2)
                    Filter: (status = 'paid'::text)
                    Rows Removed by Filter: 75000";

const INIT_PLAN_UNDER_LIMIT: &str = "Query Text: SELECT c.id, (SELECT count(*) FROM orders WHERE status = 'paid' AND id % 4 = 1) AS n FROM customers c LIMIT 3;
Limit  (cost=5121.31..5121.36 rows=3 width=12) (actual time=12.491..12.566 rows=3 loops=1)
  InitPlan 1 (returns $1)
    ->  Finalize Aggregate  (cost=5121.30..5121.31 rows=1 width=8) (actual time=12.481..12.552 rows=1 loops=1)
          ->  Gather  (cost=5121.19..5121.30 rows=1 width=8) (actual time=10.976..12.545 rows=2 loops=1)
                Workers Planned: 1
                Workers Launched: 1
                ->  Partial Aggregate  (cost=4121.19..4121.20 rows=1 width=8) (actual time=7.613..7.614 rows=1 loops=2)
                      ->  Parallel Seq Scan on orders  (cost=0.00..4120.82 rows=146 width=0) (actual time=0.008..6.788 rows=25000 loops=2)
                            Filter: ((status = 'paid'::text) AND ((id % 4) = 1))
                            Rows Removed by Filter: 75000
  ->  Seq Scan on customers c  (cost=0.00..174.00 rows=10000 width=12) (actual time=12.489..12.491 rows=3 loops=1)";

const NEVER_EXECUTED: &str = "Query Text: SELECT c.id, x.n FROM customers c CROSS JOIN LATERAL (SELECT count(*) AS n FROM orders o WHERE o.status = c.country) x WHERE c.email = 'nobody';
Nested Loop  (cost=4687.00..4886.03 rows=1 width=12) (actual time=0.397..0.397 rows=0 loops=1)
  ->  Seq Scan on customers c  (cost=0.00..199.00 rows=1 width=7) (actual time=0.396..0.397 rows=0 loops=1)
        Filter: (email = 'nobody'::text)
        Rows Removed by Filter: 10000
  ->  Aggregate  (cost=4687.00..4687.01 rows=1 width=8) (never executed)
        ->  Seq Scan on orders o  (cost=0.00..4562.00 rows=50000 width=0) (never executed)
              Filter: (status = c.country)";

const INCREMENTAL_SORT_UNDER_LIMIT: &str = "Query Text: SELECT id, created_at, total_cents FROM orders ORDER BY created_at, total_cents LIMIT 10;
Limit  (cost=0.47..1.28 rows=10 width=16) (actual time=0.050..0.051 rows=10 loops=1)
  ->  Incremental Sort  (cost=0.47..16269.42 rows=200000 width=16) (actual time=0.049..0.049 rows=10 loops=1)
        Sort Key: created_at, total_cents
        Presorted Key: created_at
        Full-sort Groups: 1  Sort Method: quicksort  Average Memory: 25kB  Peak Memory: 25kB
        ->  Index Scan using orders_created_at_idx on orders  (cost=0.42..7269.42 rows=200000 width=16) (actual time=0.026..0.027 rows=11 loops=1)";

const SCAN_UNDER_LIMIT: &str = "Query Text: SELECT * FROM orders LIMIT 5;
Limit  (cost=0.00..0.10 rows=5 width=51) (actual time=0.001..0.002 rows=5 loops=1)
  ->  Seq Scan on orders  (cost=0.00..4062.00 rows=200000 width=51) (actual time=0.001..0.001 rows=5 loops=1)";

const PARALLEL_COUNT: &str = "Query Text: SELECT count(*) FROM orders WHERE status = 'paid' AND id % 4 = 1;
Finalize Aggregate  (cost=4520.81..4520.82 rows=1 width=8) (actual time=12.564..13.728 rows=1 loops=1)
  ->  Gather  (cost=4520.59..4520.80 rows=2 width=8) (actual time=12.558..13.722 rows=3 loops=1)
        Workers Planned: 2
        Workers Launched: 2
        ->  Partial Aggregate  (cost=3520.59..3520.60 rows=1 width=8) (actual time=9.351..9.351 rows=1 loops=3)
              ->  Parallel Seq Scan on orders  (cost=0.00..3520.33 rows=103 width=0) (actual time=0.008..6.075 rows=16667 loops=3)
                    Filter: ((status = 'paid'::text) AND ((id % 4) = 1))
                    Rows Removed by Filter: 50000";

const TOP_N_GATHER_MERGE_JSON: &str = r#"{
 "Query Text": "SELECT id, status, total_cents FROM orders WHERE status = 'paid' ORDER BY created_at DESC LIMIT 10;",
 "Plan": {
  "Node Type": "Limit",
  "Parallel Aware": false,
  "Plan Rows": 10,
  "Actual Rows": 10,
  "Actual Loops": 1,
  "Plans": [
   {
    "Node Type": "Gather Merge",
    "Parent Relationship": "Outer",
    "Parallel Aware": false,
    "Plan Rows": 29024,
    "Actual Rows": 10,
    "Actual Loops": 1,
    "Workers Launched": 1,
    "Plans": [
     {
      "Node Type": "Sort",
      "Parent Relationship": "Outer",
      "Parallel Aware": false,
      "Plan Rows": 29024,
      "Actual Rows": 10,
      "Actual Loops": 2,
      "Sort Method": "top-N heapsort",
      "Sort Space Type": "Memory",
      "Plans": [
       {
        "Node Type": "Seq Scan",
        "Parent Relationship": "Outer",
        "Parallel Aware": true,
        "Relation Name": "orders",
        "Alias": "orders",
        "Plan Rows": 29024,
        "Actual Rows": 25000,
        "Actual Loops": 2,
        "Rows Removed by Filter": 75000
       }
      ]
     }
    ]
   }
  ]
 }
}"#;

const INIT_PLAN_UNDER_LIMIT_JSON: &str = r#"{
 "Query Text": "SELECT c.id, (SELECT count(*) FROM orders WHERE status = 'paid' AND id % 4 = 1) AS n FROM customers c LIMIT 3;",
 "Plan": {
  "Node Type": "Limit",
  "Parallel Aware": false,
  "Plan Rows": 3,
  "Actual Rows": 3,
  "Actual Loops": 1,
  "Plans": [
   {
    "Node Type": "Aggregate",
    "Strategy": "Plain",
    "Partial Mode": "Finalize",
    "Parent Relationship": "InitPlan",
    "Subplan Name": "InitPlan 1 (returns $1)",
    "Parallel Aware": false,
    "Plan Rows": 1,
    "Actual Rows": 1,
    "Actual Loops": 1,
    "Plans": [
     {
      "Node Type": "Gather",
      "Parent Relationship": "Outer",
      "Parallel Aware": false,
      "Plan Rows": 1,
      "Actual Rows": 2,
      "Actual Loops": 1,
      "Workers Launched": 1,
      "Plans": [
       {
        "Node Type": "Aggregate",
        "Strategy": "Plain",
        "Partial Mode": "Partial",
        "Parent Relationship": "Outer",
        "Parallel Aware": false,
        "Plan Rows": 1,
        "Actual Rows": 1,
        "Actual Loops": 2,
        "Plans": [
         {
          "Node Type": "Seq Scan",
          "Parent Relationship": "Outer",
          "Parallel Aware": true,
          "Relation Name": "orders",
          "Alias": "orders",
          "Plan Rows": 146,
          "Actual Rows": 25000,
          "Actual Loops": 2,
          "Rows Removed by Filter": 75000
         }
        ]
       }
      ]
     }
    ]
   },
   {
    "Node Type": "Seq Scan",
    "Parent Relationship": "Outer",
    "Parallel Aware": false,
    "Relation Name": "customers",
    "Alias": "c",
    "Plan Rows": 10000,
    "Actual Rows": 3,
    "Actual Loops": 1
   }
  ]
 }
}"#;

const NEVER_EXECUTED_JSON: &str = r#"{
 "Query Text": "SELECT c.id, x.n FROM customers c CROSS JOIN LATERAL (SELECT count(*) AS n FROM orders o WHERE o.status = c.country) x WHERE c.email = 'nobody';",
 "Plan": {
  "Node Type": "Nested Loop",
  "Parallel Aware": false,
  "Plan Rows": 1,
  "Actual Rows": 0,
  "Actual Loops": 1,
  "Plans": [
   {
    "Node Type": "Seq Scan",
    "Parent Relationship": "Outer",
    "Parallel Aware": false,
    "Relation Name": "customers",
    "Alias": "c",
    "Plan Rows": 1,
    "Actual Rows": 0,
    "Actual Loops": 1,
    "Rows Removed by Filter": 10000
   },
   {
    "Node Type": "Aggregate",
    "Strategy": "Plain",
    "Partial Mode": "Simple",
    "Parent Relationship": "Inner",
    "Parallel Aware": false,
    "Plan Rows": 1,
    "Actual Rows": 0,
    "Actual Loops": 0,
    "Plans": [
     {
      "Node Type": "Seq Scan",
      "Parent Relationship": "Outer",
      "Parallel Aware": false,
      "Relation Name": "orders",
      "Alias": "o",
      "Plan Rows": 50000,
      "Actual Rows": 0,
      "Actual Loops": 0,
      "Rows Removed by Filter": 0
     }
    ]
   }
  ]
 }
}"#;

/// Which nodes of a plan a Limit cuts short, in plan order.
fn cut_short(nodes: &[nodes::Node]) -> Vec<bool> {
    (0..nodes.len())
        .map(|i| flags::cut_by_limit(nodes, i))
        .collect()
}

#[test]
fn a_limit_cuts_short_the_nodes_that_pass_rows_on_up_to_it() {
    // Limit, Gather Merge, Sort (top-N per process), Parallel Seq Scan: the
    // sort reads all its input
    let text = nodes::text_nodes(&TOP_N_GATHER_MERGE[TOP_N_GATHER_MERGE.find('\n').unwrap()..]);
    assert_eq!(cut_short(&text), [false, true, true, false]);
    let mut json = Vec::new();
    let plan: serde_json::Value = serde_json::from_str(TOP_N_GATHER_MERGE_JSON).unwrap();
    nodes::json_nodes(&plan["Plan"], None, &mut json);
    assert_eq!(cut_short(&json), [false, true, true, false]);
    // Limit, InitPlan 1, Finalize Aggregate, Gather, Partial Aggregate,
    // Parallel Seq Scan, Seq Scan on customers c: the InitPlan runs apart
    let text = nodes::text_nodes(INIT_PLAN_UNDER_LIMIT);
    let names: Vec<&str> = text.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Limit",
            "InitPlan 1 (returns $1)",
            "Finalize Aggregate",
            "Gather",
            "Partial Aggregate",
            "Parallel Seq Scan on orders",
            "Seq Scan on customers c"
        ]
    );
    // (the label itself, right under the Limit, has no rows to judge)
    assert_eq!(
        cut_short(&text),
        [false, true, false, false, false, false, true]
    );
}

#[test]
fn a_top_n_sort_and_what_a_limit_cuts_short_are_not_misestimates() {
    // tests/data/advice/shop.log: the five biggest spenders
    let shop = "Query Text: select customer_email, count(*) as n, sum(total) as spent from orders group by customer_email order by spent desc limit 5;
Limit  (cost=1207.22..1207.23 rows=5 width=64) (actual time=9.294..9.297 rows=5 loops=1)
  Buffers: shared hit=452
  ->  Sort  (cost=1207.22..1212.22 rows=2000 width=64) (actual time=9.292..9.294 rows=5 loops=1)
        Sort Key: (sum(total)) DESC
        Sort Method: top-N heapsort  Memory: 25kB
        Buffers: shared hit=452
        ->  HashAggregate  (cost=1149.00..1174.00 rows=2000 width=64) (actual time=8.678..8.991 rows=2000 loops=1)
              Group Key: customer_email
              Batches: 1  Memory Usage: 1137kB
              Buffers: shared hit=449
              ->  Seq Scan on orders  (cost=0.00..849.00 rows=40000 width=30) (actual time=0.005..2.341 rows=40000 loops=1)
                    Buffers: shared hit=449";
    assert_eq!(flags_of(shop), Vec::<String>::new());
    for body in [
        INCREMENTAL_SORT_UNDER_LIMIT,
        SCAN_UNDER_LIMIT,
        TOP_N_GATHER_MERGE,
        TOP_N_GATHER_MERGE_JSON,
    ] {
        let flags = flags_of(body);
        assert!(
            flags.iter().all(|f| !f.contains("estimated")),
            "{body}\n{flags:?}"
        );
    }
    // the scan under the top-N sort is still judged (on its rows removed too)
    assert_eq!(
        flags_of(TOP_N_GATHER_MERGE_JSON),
        [
            "Parallel Seq Scan on orders removes 150000 rows by filter (75000 per loop x 2 loops): it keeps 25.0% of the rows it reads, too many for an index to pay"
        ]
    );
}

#[test]
fn an_estimate_is_judged_per_loop_where_no_limit_cuts_it_short() {
    let flagged = "Parallel Seq Scan on orders: estimated 103 rows per loop, actual 16667 per loop over 3 loops (off by 162x)";
    assert_eq!(flags_of(PARALLEL_COUNT)[0], flagged);
    // an InitPlan under a Limit runs whole; the scan right under the Limit
    // (10000 estimated, 3 read) is cut short
    for body in [INIT_PLAN_UNDER_LIMIT, INIT_PLAN_UNDER_LIMIT_JSON] {
        let flags = flags_of(body);
        assert_eq!(
            flags,
            [
                "Parallel Seq Scan on orders: estimated 146 rows per loop, actual 25000 per loop over 2 loops (off by 171x)",
                "Parallel Seq Scan on orders removes 150000 rows by filter (75000 per loop x 2 loops): it keeps 25.0% of the rows it reads, too many for an index to pay"
            ],
            "{body}"
        );
    }
}

#[test]
fn a_node_never_executed_has_no_misestimate() {
    // the lateral aggregate never ran (no customer matched): JSON reports it as
    // 0 rows of 0 loops against 50000 estimated
    for body in [NEVER_EXECUTED, NEVER_EXECUTED_JSON] {
        assert_eq!(
            flags_of(body),
            ["Seq Scan on customers c removes 10000 rows by filter: an index may help"],
            "{body}"
        );
    }
}

#[test]
fn a_hash_aggregate_spilled_to_disk_in_either_format() {
    // PostgreSQL 15.18 with work_mem = 64kB
    let text = "Query Text: SELECT customer_email, count(*) FROM orders GROUP BY customer_email;
HashAggregate  (cost=31812.00..36599.99 rows=10049 width=32) (actual time=56.613..88.586 rows=10000 loops=1)
  Group Key: customer_email
  Planned Partitions: 4  Batches: 21  Memory Usage: 137kB  Disk Usage: 11096kB
  ->  Seq Scan on orders  (cost=0.00..4062.00 rows=200000 width=24) (actual time=0.005..12.349 rows=200000 loops=1)";
    let json = r#"{"Query Text": "SELECT customer_email, count(*) FROM orders GROUP BY customer_email;",
  "Plan": {"Node Type": "Aggregate", "Strategy": "Hashed", "Partial Mode": "Simple",
    "Parallel Aware": false, "Plan Rows": 10049, "Actual Rows": 10000, "Actual Loops": 1,
    "Planned Partitions": 4, "HashAgg Batches": 21, "Peak Memory Usage": 137, "Disk Usage": 11096,
    "Plans": [{"Node Type": "Seq Scan", "Parent Relationship": "Outer", "Parallel Aware": false,
      "Relation Name": "orders", "Alias": "orders", "Plan Rows": 200000, "Actual Rows": 200000,
      "Actual Loops": 1}]}}"#;
    for body in [text, json] {
        assert_eq!(
            flags_of(body),
            ["HashAggregate spilled to disk (21 batches)"],
            "{body}"
        );
    }
}

#[test]
fn a_scan_keeping_more_than_a_tenth_of_its_rows_is_no_case_for_an_index() {
    let plan = |kept: u64, removed: u64| {
        format!(
            "Query Text: SELECT * FROM t WHERE x = 1\nSeq Scan on t  (cost=0.00..100.00 rows={kept} width=4) (actual time=0.01..5.00 rows={kept} loops=1)\n  Filter: (x = 1)\n  Rows Removed by Filter: {removed}"
        )
    };
    let flags = |kept, removed| parse(5000, &plan(kept, removed)).unwrap().flags;
    assert_eq!(
        flags(1000, 9000),
        ["Seq Scan on t removes 9000 rows by filter: an index may help"]
    );
    assert_eq!(
        flags(1001, 8999),
        [
            "Seq Scan on t removes 8999 rows by filter: it keeps 10.0% of the rows it reads, too many for an index to pay"
        ]
    );
}
