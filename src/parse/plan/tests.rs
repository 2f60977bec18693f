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
