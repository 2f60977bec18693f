//! Slow queries: statements that take a real share of the time and are slow
//! per execution. From the log: 5%+ of all query time and a p95 of 100 ms+, or
//! 100+ executions averaging 20 ms+ (PgHero's slow-query rule), the top five.
//! From pg_stat_statements, for statements the log does not already flag:
//! 5%+ of the statistics' time with 100+ calls averaging 20 ms+, or a mean of
//! 100 ms+ (top-level statements only). High from a 20% share.

use super::*;

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
                pct(q.share),
                q.count,
                ms_text(p95)
            ),
        );
        f.time_at_stake_ms = Some(q.total_ms);
        f.time_basis = format!("log: {} timed executions", q.count);
        f.database = top_key(&q.databases);
        f.fingerprint = Some(q.fingerprint.clone());
        f.normalized = Some(q.normalized.clone());
        f.target = format!(
            "p95 {} -> under {}",
            ms_text(p95),
            ms_text((p95 / 10.0).max(5.0))
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
                pct(st.share),
                st.calls,
                ms_text(st.mean_ms)
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
            ms_text(st.mean_ms),
            ms_text((st.mean_ms / 10.0).max(2.0))
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
