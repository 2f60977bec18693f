//! Step 4 of the index advice: a candidate is kept only when evidence shows
//! its table read by sequential scans: the statistics (pg_stat_user_tables) or
//! the query's own auto_explain plan.

use super::table_match::TableRef;
use crate::analyze::activity::PlanView;
use crate::analyze::stats::SeqScanTable;
use crate::stats::indexdef::IndexShape;
use std::collections::BTreeSet;

/// What shows a table read by sequential scans. Ordered as their JSON names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Corroboration {
    /// The query's auto_explain plan has a Seq Scan node on the table.
    Plan,
    /// The statistics list the table as read mostly by sequential scans.
    SeqScanStats,
}

impl Corroboration {
    /// The name in the recommendation's `evidence`.
    pub fn as_str(self) -> &'static str {
        match self {
            Corroboration::Plan => "plan",
            Corroboration::SeqScanStats => "seq_scan_stats",
        }
    }
}

/// The evidence for an index on `columns` of `table`, for the query whose
/// slowest plan is `plan`; none when nothing shows sequential scans, or when an
/// existing index already leads with the first column and only the statistics
/// speak (then only the query's own plan can show the index is not used).
pub(super) fn corroborate(
    table: &TableRef,
    columns: &[String],
    plan: Option<&PlanView>,
    seq_heavy: &[SeqScanTable],
) -> Option<BTreeSet<Corroboration>> {
    let mut evidence = BTreeSet::new();
    let qualified = table.qualified();
    let database = table.database();
    if seq_heavy
        .iter()
        .any(|t| t.table == qualified && table.db.is_some() && t.database == database)
    {
        evidence.insert(Corroboration::SeqScanStats);
    }
    if plan.is_some_and(|p| plan_seq_scans(&p.text, &table.name)) {
        evidence.insert(Corroboration::Plan);
    }
    let leading_indexed = table.existing.iter().any(|x| {
        x.valid
            && x.shape.predicate.is_none()
            && x.shape
                .keys
                .first()
                .and_then(|k| IndexShape::key_column(k))
                .map(|k| k.to_ascii_lowercase())
                == columns.first().cloned()
    });
    if evidence.is_empty() || (leading_indexed && !evidence.contains(&Corroboration::Plan)) {
        return None;
    }
    Some(evidence)
}

/// Whether a plan (text or JSON) has a Seq Scan node on `table` itself.
pub(super) fn plan_seq_scans(plan: &str, table: &str) -> bool {
    fn walk(v: &serde_json::Value, table: &str) -> bool {
        match v {
            serde_json::Value::Object(m) => {
                (m.get("Node Type").and_then(|t| t.as_str()) == Some("Seq Scan")
                    && m.get("Relation Name").and_then(|t| t.as_str()) == Some(table))
                    || m.values().any(|x| walk(x, table))
            }
            serde_json::Value::Array(a) => a.iter().any(|x| walk(x, table)),
            _ => false,
        }
    }
    if let Some(start) = plan.find('{')
        && let Ok(v) = serde_json::from_str::<serde_json::Value>(&plan[start..])
    {
        return walk(&v, table);
    }
    let needle = format!("Seq Scan on {table}");
    plan.match_indices(&needle).any(|(i, _)| {
        plan[i + needle.len()..]
            .chars()
            .next()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_'))
    })
}

/// A sequential scan keeping more than this share of the rows it reads is not
/// evidence for an index (the plan flags use the same bound).
pub(super) use crate::parse::plan::MAX_KEPT_SHARE;

/// The smallest share of the rows read that a sequential scan of `table` in
/// this plan kept (see [`crate::parse::plan::seq_scan_kept_share`]).
pub(super) fn plan_kept_share(plan: &str, table: &str) -> Option<f64> {
    crate::parse::plan::seq_scan_kept_share(plan, table)
}

/// Whether a plan (text or JSON) reads `table` once per outer row: on the
/// inner side of a Nested Loop, or in a SubPlan (a correlated subquery). That
/// is where an index on the join columns serves. A hash or merge join reads the
/// table once; its filter columns, not its join columns, are what an index
/// there would serve.
pub(super) fn plan_nested_loop_inner(plan: &str, table: &str) -> bool {
    fn scans(v: &serde_json::Value, table: &str) -> bool {
        match v {
            serde_json::Value::Object(m) => {
                m.get("Relation Name").and_then(|t| t.as_str()) == Some(table)
                    || m.get("Plans").is_some_and(|p| scans(p, table))
            }
            serde_json::Value::Array(a) => a.iter().any(|x| scans(x, table)),
            _ => false,
        }
    }
    fn walk(v: &serde_json::Value, table: &str) -> bool {
        match v {
            serde_json::Value::Object(m) => {
                let inner = m
                    .get("Plans")
                    .and_then(|p| p.as_array())
                    .and_then(|p| p.get(1));
                let subplan =
                    m.get("Parent Relationship").and_then(|t| t.as_str()) == Some("SubPlan");
                (m.get("Node Type").and_then(|t| t.as_str()) == Some("Nested Loop")
                    && inner.is_some_and(|i| scans(i, table)))
                    || (subplan && scans(v, table))
                    || m.values().any(|x| walk(x, table))
            }
            serde_json::Value::Array(a) => a.iter().any(|x| walk(x, table)),
            _ => false,
        }
    }
    if let Some(start) = plan.find('{')
        && let Ok(v) = serde_json::from_str::<serde_json::Value>(&plan[start..])
    {
        return walk(&v, table);
    }
    text_nested_loop_inner(plan, table)
}

/// [`plan_nested_loop_inner`] on a text plan: a Nested Loop's children are the
/// `->` lines one level deeper; the second is the inner side, down to the next
/// line at its level or above.
fn text_nested_loop_inner(plan: &str, table: &str) -> bool {
    let lines: Vec<&str> = plan.lines().collect();
    let indent = |l: &str| l.len() - l.trim_start().len();
    let on_table = |l: &str| {
        l.split(" on ").nth(1).is_some_and(|rest| {
            let name = rest.split_whitespace().next().unwrap_or("");
            name == table || name.rsplit('.').next() == Some(table)
        })
    };
    for (i, l) in lines.iter().enumerate() {
        if l.trim_start().starts_with("SubPlan") {
            let own = indent(l);
            let end = (i + 1..lines.len())
                .find(|&j| !lines[j].trim().is_empty() && indent(lines[j]) <= own)
                .unwrap_or(lines.len());
            if lines[i + 1..end].iter().any(|l| on_table(l)) {
                return true;
            }
            continue;
        }
        if !l
            .trim_start()
            .trim_start_matches("->")
            .trim_start()
            .starts_with("Nested Loop")
        {
            continue;
        }
        let own = indent(l);
        let children: Vec<usize> = (i + 1..lines.len())
            .take_while(|&j| indent(lines[j]) > own || lines[j].trim().is_empty())
            .filter(|&j| lines[j].trim_start().starts_with("->"))
            .collect();
        let Some(&first) = children.first() else {
            continue;
        };
        let child_indent = indent(lines[first]);
        let mut level: Vec<usize> = children
            .iter()
            .copied()
            .filter(|&j| indent(lines[j]) == child_indent)
            .collect();
        if level.len() < 2 {
            continue;
        }
        let inner = level.remove(1);
        let end = (inner + 1..lines.len())
            .find(|&j| !lines[j].trim().is_empty() && indent(lines[j]) <= child_indent)
            .unwrap_or(lines.len());
        if lines[inner..end].iter().any(|l| on_table(l)) {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{export, index, seq_heavy};
    use super::*;
    use Corroboration::{Plan, SeqScanStats};

    fn plan(text: &str) -> PlanView {
        PlanView {
            text: text.into(),
            ..Default::default()
        }
    }

    fn columns(c: &[&str]) -> Vec<String> {
        c.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn plan_evidence_is_the_node_on_that_table() {
        assert!(plan_seq_scans("Seq Scan on orders  (cost=...)", "orders"));
        assert!(!plan_seq_scans(
            "Seq Scan on orders_archive  (cost=...)",
            "orders"
        ));
        let json = r#"{"Plan": {"Node Type": "Nested Loop", "Plans": [
            {"Node Type": "Seq Scan", "Relation Name": "orders"},
            {"Node Type": "Index Scan", "Relation Name": "customers"}]}}"#;
        assert!(plan_seq_scans(json, "orders"));
        assert!(!plan_seq_scans(json, "customers"));
    }

    #[test]
    fn the_share_a_scan_keeps_comes_from_its_actual_rows() {
        // the advice workload's plans: a lookup keeping 20 of 40,004 rows, a
        // hash-joined table filtered on a country (250 of 2,000)
        let lookup = "Limit  (cost=949.27..949.29 rows=10 width=29) (actual time=2.4..2.4 rows=10 loops=1)
  ->  Sort  (cost=949.27..949.32 rows=20 width=29) (actual time=2.4..2.4 rows=10 loops=1)
        ->  Seq Scan on orders  (cost=0.00..949.00 rows=20 width=29) (actual time=0.017..2.384 rows=20 loops=1)
              Filter: (customer_email = 'customer1@example.com'::text)
              Rows Removed by Filter: 39984
              Buffers: shared hit=349";
        let kept = plan_kept_share(lookup, "orders").unwrap();
        assert!((kept - 20.0 / 40004.0).abs() < 1e-9, "{kept}");
        let hash = "Hash Join  (cost=49.12..1003.35 rows=5000 width=9) (actual time=0.157..4.850 rows=5000 loops=1)
  Hash Cond: (o.customer_id = c.id)
  ->  Seq Scan on orders o  (cost=0.00..849.00 rows=40000 width=10) (actual time=0.004..2.272 rows=40000 loops=1)
  ->  Hash  (cost=46.00..46.00 rows=250 width=7) (actual time=0.14..0.14 rows=250 loops=1)
        ->  Seq Scan on customers c  (cost=0.00..46.00 rows=250 width=7) (actual time=0.003..0.129 rows=250 loops=1)
              Filter: (country = 'FR'::text)
              Rows Removed by Filter: 1750";
        assert_eq!(plan_kept_share(hash, "customers"), Some(0.125));
        assert_eq!(plan_kept_share(hash, "orders"), Some(1.0));
        assert_eq!(plan_kept_share(hash, "order"), None);
        // a parallel scan counts per worker: the share is the same
        let parallel = "->  Parallel Seq Scan on orders  (cost=0.00..1.00 rows=1 width=8) (actual time=0.1..9.0 rows=1 loops=3)
      Filter: (customer_email = 'x'::text)
      Rows Removed by Filter: 66664";
        assert!(plan_kept_share(parallel, "orders").unwrap() < 0.0001);
        // without ANALYZE there is nothing to measure
        assert_eq!(
            plan_kept_share(
                "Seq Scan on orders  (cost=0.00..1.00 rows=1 width=8)",
                "orders"
            ),
            None
        );
        let json = r#"{"Plan": {"Node Type": "Seq Scan", "Relation Name": "orders",
            "Actual Rows": 10, "Actual Loops": 1, "Rows Removed by Filter": 30}}"#;
        assert_eq!(plan_kept_share(json, "orders"), Some(0.25));
    }

    #[test]
    fn the_inner_side_of_a_nested_loop_is_where_join_columns_help() {
        let text = "Nested Loop  (cost=0.29..100.00 rows=10 width=8)
  ->  Seq Scan on orders o  (cost=0.00..50.00 rows=10 width=8)
        Filter: (status = 'x'::text)
  ->  Index Scan using customers_pkey on customers c  (cost=0.29..5.00 rows=1 width=8)
        Index Cond: (id = o.customer_id)";
        assert!(plan_nested_loop_inner(text, "customers"));
        assert!(!plan_nested_loop_inner(text, "orders"));
        let hash = "Hash Join  (cost=10.00..100.00 rows=10 width=8)
  Hash Cond: (o.customer_id = c.id)
  ->  Seq Scan on orders o  (cost=0.00..50.00 rows=1000 width=8)
  ->  Hash  (cost=5.00..5.00 rows=100 width=8)
        ->  Seq Scan on customers c  (cost=0.00..5.00 rows=100 width=8)
              Filter: (country = 'NL'::text)";
        assert!(!plan_nested_loop_inner(hash, "customers"));
        let json = r#"{"Plan": {"Node Type": "Nested Loop", "Plans": [
            {"Node Type": "Seq Scan", "Relation Name": "orders"},
            {"Node Type": "Seq Scan", "Relation Name": "customers"}]}}"#;
        assert!(plan_nested_loop_inner(json, "customers"));
        assert!(!plan_nested_loop_inner(json, "orders"));
        // a correlated subquery runs once per outer row too
        let sub = "Index Scan using customers_pkey on customers c  (cost=0.28..207018.28 rows=200 width=36)
  Index Cond: (id <= ?)
  SubPlan 1
    ->  Aggregate  (cost=1035.01..1035.02 rows=1 width=8)
          ->  Seq Scan on orders o  (cost=0.00..1035.00 rows=2 width=0)
                Filter: ((customer_email = c.email) AND (status = ?))";
        assert!(plan_nested_loop_inner(sub, "orders"));
        assert!(!plan_nested_loop_inner(sub, "customers"));
        let json = r#"{"Plan": {"Node Type": "Index Scan", "Relation Name": "customers", "Plans": [
            {"Node Type": "Aggregate", "Parent Relationship": "SubPlan", "Plans": [
                {"Node Type": "Seq Scan", "Relation Name": "orders"}]}]}}"#;
        assert!(plan_nested_loop_inner(json, "orders"));
        assert!(!plan_nested_loop_inner(json, "customers"));
    }

    #[test]
    fn the_names_sort_as_the_variants() {
        let all = BTreeSet::from([SeqScanStats, Plan]);
        let names: Vec<&str> = all.iter().map(|c| c.as_str()).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
    }

    #[test]
    fn statistics_count_for_the_same_table_of_the_same_database() {
        let dbs = [export("app", &[("public", "orders")], &[])];
        let t = TableRef::resolve(&dbs, "orders", None);
        let cols = columns(&["customer_id"]);
        let heavy = [seq_heavy(Some("app"), "public.orders")];
        assert_eq!(
            corroborate(&t, &cols, None, &heavy),
            Some(BTreeSet::from([SeqScanStats]))
        );
        let elsewhere = [seq_heavy(Some("other"), "public.orders")];
        assert_eq!(corroborate(&t, &cols, None, &elsewhere), None);
        // a table the statistics do not know has no statistics evidence
        let unknown = TableRef::resolve(&[], "orders", None);
        let bare = [seq_heavy(None, "orders")];
        assert_eq!(corroborate(&unknown, &cols, None, &bare), None);
    }

    #[test]
    fn the_querys_plan_counts() {
        let t = TableRef::resolve(&[], "public.orders", None);
        let cols = columns(&["customer_id"]);
        let p = plan("Seq Scan on orders  (cost=0.00..1.00)");
        assert_eq!(
            corroborate(&t, &cols, Some(&p), &[]),
            Some(BTreeSet::from([Plan]))
        );
        let other = plan("Seq Scan on customers  (cost=0.00..1.00)");
        assert_eq!(corroborate(&t, &cols, Some(&other), &[]), None);
    }

    #[test]
    fn an_index_leading_with_the_column_needs_the_plan() {
        let dbs = [export(
            "app",
            &[("public", "orders")],
            &[index(
                "public",
                "orders",
                "CREATE INDEX o ON public.orders (Customer_Id, created_at)",
            )],
        )];
        let t = TableRef::resolve(&dbs, "orders", Some("app"));
        let cols = columns(&["customer_id", "status"]);
        let heavy = [seq_heavy(Some("app"), "public.orders")];
        assert_eq!(corroborate(&t, &cols, None, &heavy), None);
        let p = plan("Seq Scan on orders");
        assert_eq!(
            corroborate(&t, &cols, Some(&p), &heavy),
            Some(BTreeSet::from([Plan, SeqScanStats]))
        );
        // another leading column does not count
        let cols = columns(&["status"]);
        assert!(corroborate(&t, &cols, None, &heavy).is_some());
    }
}
