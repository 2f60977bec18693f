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
