//! Slow queries: statements that take a real share of the time and are slow
//! per execution. From the log: 5%+ of all query time and a p95 of 100 ms+, or
//! 100+ executions averaging 20 ms+ (PgHero's slow-query rule), the top five.
//! From pg_stat_statements, for statements the log does not already flag:
//! 5%+ of the statistics' time with 100+ calls averaging 20 ms+, or a mean of
//! 100 ms+ (top-level statements only). High from a 20% share.

use super::*;

/// A query is slow enough to be a finding: a real share of the time, and slow
/// per execution (PgHero: 100+ calls averaging 20+ ms; or a p95 of 100+ ms).
fn slow_queries(a: &Audit) -> Vec<&crate::analyze::QueryReport> {
    a.queries
        .iter()
        .filter(|q| {
            q.share >= 0.05
                && (q.p95_ms.is_some_and(|p| p >= 100.0)
                    || (q.count >= 100 && q.mean_ms.is_some_and(|m| m >= 20.0)))
        })
        .take(5)
        .collect()
}

/// Slow queries the log shows (the top five by total time).
pub(super) fn from_log(input: &RuleInput) -> Vec<Finding> {
    let a = input.audit;
    let mut out = Vec::new();
    for q in slow_queries(a) {
        let p95 = q.p95_ms.unwrap_or(0.0);
        let plan = a
            .activity
            .plans
            .iter()
            .find(|p| p.fingerprint == q.fingerprint);
        let mut f = Finding::new(
            Kind::SlowQuery,
            if q.share >= 0.2 {
                Severity::High
            } else {
                Severity::Medium
            },
            format!(
                "Query takes {} of all query time ({} executions, p95 {})",
                percent(q.share),
                q.count,
                duration_ms(p95)
            ),
        );
        f.time_at_stake_ms = Some(q.total_ms);
        f.time_basis = format!("log: {} timed executions", q.count);
        f.database = top_key(&q.databases);
        f.fingerprint = Some(q.fingerprint.clone());
        f.normalized = Some(q.normalized.clone());
        f.target = format!(
            "p95 {} -> under {}",
            duration_ms(p95),
            duration_ms((p95 / 10.0).max(5.0))
        );
        f.change = match (input.recommended_for.get(q.fingerprint.as_str()), plan) {
            (Some(r), _) => format!("Create the index it lacks: {}", r.create),
            (None, Some(p)) if !p.flags.is_empty() => format!(
                "Fix what its plan shows ({}); then re-check the plan",
                p.flags.join("; ")
            ),
            (None, Some(_)) => "Read its plan (below) for the costliest node and rewrite or index for it".into(),
            (None, None) => "Get its plan: EXPLAIN (ANALYZE, BUFFERS) with the example's parameters, or auto_explain (auto_explain.log_min_duration = the p95)".into(),
        };
        f.rollback = match input.recommended_for.get(q.fingerprint.as_str()) {
            Some(r) => r.rollback.clone(),
            None => "Revert the query or setting change; a plan read changes nothing".into(),
        };
        f.verify = format!(
            "Run pgsift on the same period's log after the change: p95 of query {} under the target; EXPLAIN (ANALYZE, BUFFERS) shows fewer buffers",
            q.fingerprint
        );
        f = f.ev(
            format!("query {} in the top queries", q.fingerprint),
            &format!("#q-{}", q.fingerprint),
        );
        if plan.is_some() {
            f = f.ev("its slowest auto_explain plan".into(), "#plans");
        }
        out.push(f);
    }
    out
}

/// Slow statements only pg_stat_statements sees (not in the log, or no log).
pub(super) fn from_statements(input: &RuleInput) -> Vec<Finding> {
    let a = input.audit;
    let mut out = Vec::new();
    let logged: std::collections::BTreeSet<&str> = slow_queries(a)
        .iter()
        .map(|q| q.fingerprint.as_str())
        .collect();
    for st in a
        .stats
        .statements
        .iter()
        .filter(|st| {
            st.toplevel != Some(false)
                && st.share >= 0.05
                && ((st.calls >= 100 && st.mean_ms >= 20.0) || st.mean_ms >= 100.0)
                && !st.log_group.as_deref().is_some_and(|g| logged.contains(g))
                && !a
                    .queries
                    .iter()
                    .any(|q| Some(&q.fingerprint) == st.log_group.as_ref() && q.share >= 0.05)
        })
        .take(5)
    {
        let mut f = Finding::new(
            Kind::SlowQuery,
            if st.share >= 0.2 {
                Severity::High
            } else {
                Severity::Medium
            },
            format!(
                "Statement takes {} of the statistics' time ({} calls, mean {})",
                percent(st.share),
                st.calls,
                duration_ms(st.mean_ms)
            ),
        );
        f.time_at_stake_ms = Some(st.total_ms);
        f.time_basis = format!(
            "pg_stat_statements: {} calls in the statistics window",
            st.calls
        );
        f.fingerprint = Some(st.fingerprint.clone());
        f.normalized = Some(st.normalized.clone());
        f.database = st.database.clone();
        f.target = format!(
            "mean {} -> under {}",
            duration_ms(st.mean_ms),
            duration_ms((st.mean_ms / 10.0).max(2.0))
        );
        f.change = match input.recommended_for.get(st.fingerprint.as_str()) {
            Some(r) => format!("Create the index it lacks: {}", r.create),
            None => "Get its plan: EXPLAIN (ANALYZE, BUFFERS) with typical parameters (PostgreSQL 16+: EXPLAIN (GENERIC_PLAN) with $n)".into(),
        };
        f.rollback = match input.recommended_for.get(st.fingerprint.as_str()) {
            Some(r) => r.rollback.clone(),
            None => "Revert the query change; reading a plan changes nothing".into(),
        };
        f.verify = "pg_stat_statements mean_exec_time for this queryid over a new window (pg_stat_statements_reset() or a second snapshot)".into();
        f = f.ev(
            format!("statement {} in pg_stat_statements", st.fingerprint),
            &format!("#stmt-{}", st.fingerprint),
        );
        out.push(f);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::analyze::QueryReport;
    use crate::analyze::activity::PlanView;
    use crate::analyze::index_advice::IndexRecommendation;
    use crate::analyze::stats::StatementReport;

    #[test]
    fn a_query_with_a_real_share_and_a_slow_p95_is_slow() {
        let a = with_queries(vec![query("q1", 0.05, 10, 50.0, 100.0)]);
        let f = run(from_log, &a);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].kind, Kind::SlowQuery);
        assert_eq!(f[0].severity, Severity::Medium);
        assert_eq!(f[0].fingerprint.as_deref(), Some("q1"));
        assert_eq!(f[0].time_at_stake_ms, Some(500.0));
        assert_eq!(f[0].target, "p95 100 ms -> under 10.0 ms");
        assert!(f[0].change.starts_with("Get its plan"));
    }

    #[test]
    fn thresholds_share_p95_and_the_pghero_rule() {
        // just under 5% of the time, or a p95 just under 100 ms with few calls
        let below = with_queries(vec![
            query("a", 0.0499, 10, 50.0, 500.0),
            query("b", 0.5, 99, 50.0, 99.9),
        ]);
        assert!(run(from_log, &below).is_empty());
        // 100 calls averaging 20 ms, whatever the p95
        let pghero = with_queries(vec![query("c", 0.06, 100, 20.0, 30.0)]);
        assert_eq!(run(from_log, &pghero).len(), 1);
        let just_under = with_queries(vec![query("c", 0.06, 100, 19.99, 30.0)]);
        assert!(run(from_log, &just_under).is_empty());
        // a fifth of all time is high
        let high = with_queries(vec![query("d", 0.2, 10, 50.0, 200.0)]);
        assert_eq!(severities(&run(from_log, &high)), [Severity::High]);
    }

    #[test]
    fn only_the_top_five_and_the_change_follows_the_evidence() {
        let six: Vec<QueryReport> = (0..6)
            .map(|i| query(&format!("q{i}"), 0.1, 10, 50.0, 150.0))
            .collect();
        let mut a = with_queries(six);
        a.index_recommendations = vec![IndexRecommendation {
            queries: vec!["q0".into()],
            create: "CREATE INDEX CONCURRENTLY i ON t (c);".into(),
            rollback: "DROP INDEX CONCURRENTLY IF EXISTS i;".into(),
            ..Default::default()
        }];
        a.activity.plans = vec![PlanView {
            fingerprint: "q1".into(),
            flags: vec!["Seq Scan on t removed 9,000 rows by filter".into()],
            ..Default::default()
        }];
        let f = run(from_log, &a);
        assert_eq!(f.len(), 5);
        assert_eq!(
            f[0].change,
            "Create the index it lacks: CREATE INDEX CONCURRENTLY i ON t (c);"
        );
        assert_eq!(f[0].rollback, "DROP INDEX CONCURRENTLY IF EXISTS i;");
        assert!(f[1].change.contains("Seq Scan on t removed"));
        assert_eq!(f[1].evidence.len(), 2, "the plan is evidence");
    }

    #[test]
    fn statements_only_the_statistics_see() {
        let mut a = Audit::default();
        a.stats.statements = vec![
            statement("s1", 0.05, 100, 20.0),
            statement("s2", 0.3, 1, 100.0),
            statement("s3", 0.5, 99, 99.0),
            StatementReport {
                toplevel: Some(false),
                ..statement("s4", 0.5, 1000, 500.0)
            },
        ];
        let f = run(from_statements, &a);
        let fps: Vec<_> = f.iter().map(|f| f.fingerprint.clone().unwrap()).collect();
        assert_eq!(fps, ["s1", "s2"], "s3 is fast enough, s4 is nested");
        assert_eq!(severities(&f), [Severity::Medium, Severity::High]);
        assert_eq!(f[1].target, "mean 100 ms -> under 10.0 ms");
    }

    #[test]
    fn a_statement_the_log_already_flags_is_not_repeated() {
        let mut a = with_queries(vec![query("q1", 0.5, 10, 50.0, 200.0)]);
        a.stats.statements = vec![StatementReport {
            log_group: Some("q1".into()),
            ..statement("s1", 0.5, 1000, 100.0)
        }];
        assert_eq!(run(from_log, &a).len(), 1);
        assert!(run(from_statements, &a).is_empty());
    }
}
