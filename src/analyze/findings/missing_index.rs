//! Missing indexes: every index recommendation (query text corroborated by
//! sequential scans, see `index_advice`), with its DDL and rollback. High when
//! the queries it serves took a second or more.

use super::*;

/// The findings of this kind.
pub(super) fn rule(input: &RuleInput) -> Vec<Finding> {
    let a = input.audit;
    let mut out = Vec::new();
    for r in &a.index_recommendations {
        let mut f = Finding::new(
            Kind::MissingIndex,
            if r.served_ms >= 1000.0 {
                Severity::High
            } else {
                Severity::Medium
            },
            format!("Missing index on {} ({})", r.table, r.columns.join(", ")),
        );
        f.time_at_stake_ms = Some(r.served_ms);
        f.time_basis = format!("time of the {} queries it serves", r.queries.len());
        f.table = Some(r.table.clone());
        f.columns = Some(r.columns.clone());
        f.index = Some(r.index.clone());
        f.database = r.database.clone();
        f.fingerprint = r.queries.first().cloned();
        f.target = r.target.clone();
        f.change = r.create.clone();
        f.rollback = r.rollback.clone();
        f.verify = r.verify.join(" ");
        f = f.ev(format!("recommendation for {}", r.table), "#advice");
        if r.evidence.iter().any(|e| e == "seq_scan_stats") {
            f = f.ev("sequential scans in pg_stat_user_tables".into(), "#tables");
        }
        out.push(f);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::analyze::index_advice::IndexRecommendation;

    fn recommendation(served_ms: f64, evidence: &[&str]) -> IndexRecommendation {
        IndexRecommendation {
            table: "public.payments".into(),
            columns: vec!["gateway_txn_id".into()],
            index: "payments_gateway_txn_id_idx".into(),
            create: "CREATE INDEX CONCURRENTLY payments_gateway_txn_id_idx ON public.payments (gateway_txn_id);".into(),
            rollback: "DROP INDEX CONCURRENTLY IF EXISTS public.payments_gateway_txn_id_idx;".into(),
            served_ms,
            queries: vec!["q1".into()],
            evidence: evidence.iter().map(|e| e.to_string()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn each_recommendation_is_a_finding_with_its_ddl() {
        let mut a = Audit::default();
        assert!(run(rule, &a).is_empty());
        a.index_recommendations = vec![recommendation(500.0, &["plan"])];
        let f = run(rule, &a);
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].title,
            "Missing index on public.payments (gateway_txn_id)"
        );
        assert_eq!(f[0].change, a.index_recommendations[0].create);
        assert_eq!(f[0].rollback, a.index_recommendations[0].rollback);
        assert_eq!(f[0].fingerprint.as_deref(), Some("q1"));
        assert_eq!(f[0].evidence.len(), 1);
    }

    #[test]
    fn high_from_a_second_served_and_statistics_are_linked() {
        let a = Audit {
            index_recommendations: vec![
                recommendation(999.9, &["plan"]),
                recommendation(1000.0, &["seq_scan_stats"]),
            ],
            ..Default::default()
        };
        let f = run(rule, &a);
        assert_eq!(severities(&f), [Severity::Medium, Severity::High]);
        assert_eq!(f[1].evidence[1].link, "#tables");
    }
}
