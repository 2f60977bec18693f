//! Top consumers: every query taking at least [`MIN_SHARE`] of all query time
//! is a finding, whatever its latency (the brief's rule: rank by total time =
//! count x mean), from the log; from pg_stat_statements the same for
//! statements the log does not already flag (top-level statements only). Time
//! is attributed once: a query whose time was mostly lock wait
//! ([`LOCK_VICTIM_SHARE`] or more, from `log_lock_waits`) is a lock victim, left
//! to the lock-contention finding, which names it. The change follows the
//! evidence: the index it lacks, its plan's flags, its plan, a one-off run,
//! else how to get its plan. High from [`HIGH_SHARE`]; a query run once is low
//! (a migration, a load or a report run by hand is no code path to fix).

use super::*;

/// A query taking this share of all query time or more is a top consumer.
pub(super) const MIN_SHARE: f64 = 0.05;
/// A query taking this share of all query time or more is high severity.
const HIGH_SHARE: f64 = 0.2;
/// A query whose time was this share lock wait or more is a lock victim.
pub(super) const LOCK_VICTIM_SHARE: f64 = 0.5;

/// Time a query of this fingerprint spent waiting for locks (ms).
pub(super) fn lock_wait_ms(a: &Audit, fingerprint: &str) -> f64 {
    a.activity
        .locks
        .by_query
        .iter()
        .filter(|l| l.key == fingerprint)
        .map(|l| l.total_wait_ms)
        .sum()
}

/// What a statement is, for the advice it gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Statement {
    /// `commit`, `end`, `begin`, `rollback`...: its time is the WAL flush.
    Commit,
    /// DDL and maintenance (`create`, `alter`, `vacuum`, `copy`...).
    Utility,
    /// A query: its plan says why it is slow.
    Query,
}

/// The kind of a normalized statement, from its first word.
fn statement_kind(normalized: &str) -> Statement {
    let first = normalized
        .split(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or("");
    match first {
        "commit" | "end" | "begin" | "start" | "rollback" | "abort" | "savepoint" | "release" => {
            Statement::Commit
        }
        "create" | "alter" | "drop" | "vacuum" | "analyze" | "copy" | "checkpoint" | "reindex"
        | "cluster" | "truncate" | "grant" | "revoke" | "comment" | "refresh" => Statement::Utility,
        _ => Statement::Query,
    }
}

/// DDL or maintenance run at most once: a migration or a load, no code path.
fn one_off_utility(normalized: &str, runs: u64) -> bool {
    runs <= 1 && statement_kind(normalized) == Statement::Utility
}

/// The log's top consumers by total time, but lock victims, queries an index
/// recommendation serves (its missing-index finding has their time), and DDL
/// or maintenance run once (a migration or a load, no code path).
fn top_consumers<'a>(input: &RuleInput<'a>) -> Vec<&'a crate::analyze::QueryReport> {
    let a = input.audit;
    a.queries
        .iter()
        .filter(|q| q.share >= MIN_SHARE)
        .filter(|q| lock_wait_ms(a, &q.fingerprint) < LOCK_VICTIM_SHARE * q.total_ms)
        .filter(|q| !input.recommended_for.contains_key(q.fingerprint.as_str()))
        .filter(|q| !one_off_utility(&q.normalized, q.count))
        .collect()
}

/// What a COMMIT's time is, and what shortens it.
const COMMIT_ADVICE: &str = "Commit time is the WAL flush to disk: check the WAL disk's fsync latency (pg_test_fsync) and wal_sync_method; group many small transactions into fewer; for data that may lose its last transactions in a crash, SET synchronous_commit = off in those transactions only";

/// The severity of a top consumer by its share and executions.
fn severity(share: f64, runs: u64) -> Severity {
    if runs <= 1 {
        Severity::Low
    } else if share >= HIGH_SHARE {
        Severity::High
    } else {
        Severity::Medium
    }
}

/// Top consumers the log shows.
pub(super) fn from_log(input: &RuleInput) -> Vec<Finding> {
    let a = input.audit;
    let mut out = Vec::new();
    for q in top_consumers(input) {
        let p95 = q.p95_ms.unwrap_or(0.0);
        let plan = a
            .activity
            .plans
            .iter()
            .find(|p| p.fingerprint == q.fingerprint);
        let mut f = Finding::new(
            Kind::SlowQuery,
            severity(q.share, q.count),
            format!(
                "{} takes {} of all query time ({}, p95 {})",
                subject(&q.normalized),
                percent(q.share),
                crate::units::plural(q.count, "execution", "executions"),
                duration_ms(p95)
            ),
        );
        f.time_at_stake_ms = Some(q.total_ms);
        f.time_basis = format!(
            "log: {}",
            crate::units::plural(q.count, "timed execution", "timed executions")
        );
        f.database = top_key(&q.databases);
        f.fingerprint = Some(q.fingerprint.clone());
        f.normalized = Some(q.normalized.clone());
        f.target = format!(
            "p95 {} -> under {}",
            duration_ms(p95),
            duration_ms((p95 / 10.0).max(5.0))
        );
        let spilled = a
            .activity
            .temp_files
            .by_query
            .iter()
            .any(|t| t.statement.fingerprint == q.fingerprint);
        let kind = statement_kind(&q.normalized);
        f.change = match plan {
            _ if kind == Statement::Commit => COMMIT_ADVICE.into(),
            _ if kind == Statement::Utility => "DDL or maintenance run repeatedly: schedule it off-peak, or check why the application runs it (a migration at every start, a VACUUM or ANALYZE autovacuum would do)".into(),
            Some(p) if !p.flags.is_empty() => format!(
                "Fix what its plan shows ({}); then re-check the plan",
                p.flags.join("; ")
            ),
            _ if q.normalized.starts_with("select pg_sleep(") => "It is pg_sleep: time the application chose to wait inside the database, holding a connection (and any locks its transaction has); move the wait to the client or drop it".into(),
            _ if q.count <= 1 => "It ran once: if it is a one-off (a migration, a data load, a report run by hand) there is nothing to fix; if it runs on a schedule, read its plan (EXPLAIN (ANALYZE, BUFFERS)) for the costliest node".into(),
            Some(_) => "Read its plan (below) for the costliest node and rewrite or index for it".into(),
            None if spilled => "It writes temporary files (see its temp-file finding): give it more work_mem where it runs, or an index that delivers rows in order; then get its plan to confirm".into(),
            None => "Not enough evidence to say more: get its plan with EXPLAIN (ANALYZE, BUFFERS) and the example's parameters, or auto_explain (auto_explain.log_min_duration = the p95)".into(),
        };
        f.rollback = "Revert the query or setting change; a plan read changes nothing".into();
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

/// Top consumers only pg_stat_statements sees (not in the log, or no log).
pub(super) fn from_statements(input: &RuleInput) -> Vec<Finding> {
    let a = input.audit;
    let mut out = Vec::new();
    // what the log already covers: its top consumers and its lock victims
    let logged: std::collections::BTreeSet<&str> = a
        .queries
        .iter()
        .filter(|q| q.share >= MIN_SHARE)
        .map(|q| q.fingerprint.as_str())
        .collect();
    for st in a.stats.statements.iter().filter(|st| {
        st.toplevel != Some(false)
            && !one_off_utility(&st.normalized, st.calls)
            && st.share >= MIN_SHARE
            && !st.log_group.as_deref().is_some_and(|g| logged.contains(g))
            && !input.recommended_for.contains_key(st.fingerprint.as_str())
            && !st
                .log_group
                .as_deref()
                .is_some_and(|g| input.recommended_for.contains_key(g))
            && !st
                .log_group
                .as_deref()
                .is_some_and(|g| lock_wait_ms(a, g) >= LOCK_VICTIM_SHARE * st.total_ms)
    }) {
        let mut f = Finding::new(
            Kind::SlowQuery,
            severity(st.share, st.calls),
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
        f.change = if statement_kind(&st.normalized) == Statement::Commit {
            COMMIT_ADVICE.into()
        } else if st.calls <= 1 {
            "It ran once in the window: if it is a one-off (a migration, a load, a report run by hand) there is nothing to fix; else get its plan: EXPLAIN (ANALYZE, BUFFERS) with typical parameters".into()
        } else {
            "Not enough evidence to say more: get its plan with EXPLAIN (ANALYZE, BUFFERS) and typical parameters (PostgreSQL 16+: EXPLAIN (GENERIC_PLAN) with $n)".into()
        };
        f.rollback = "Revert the query change; reading a plan changes nothing".into();
        f.verify = "pg_stat_statements mean_exec_time for this queryid over a new window (pg_stat_statements_reset() or a second snapshot)".into();
        f = f.ev(
            format!("statement {} in pg_stat_statements", st.fingerprint),
            &format!("#stmt-{}", st.fingerprint),
        );
        out.push(f);
    }
    out
}

/// A query named in a title: its normalized text's first words, in quotes.
pub(super) fn subject(normalized: &str) -> String {
    format!("\"{}\"", crate::units::short(normalized, 60))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::analyze::QueryReport;
    use crate::analyze::activity::{LockTotal, PlanView};
    use crate::analyze::index_advice::IndexRecommendation;
    use crate::analyze::stats::StatementReport;

    fn fps(f: &[Finding]) -> Vec<String> {
        f.iter().map(|f| f.fingerprint.clone().unwrap()).collect()
    }

    fn waited(a: &mut Audit, fp: &str, ms: f64) {
        a.activity.locks.by_query.push(LockTotal {
            key: fp.into(),
            label: fp.into(),
            waits: 1,
            total_wait_ms: ms,
            max_wait_ms: ms,
        });
    }

    #[test]
    fn a_top_consumer_is_a_finding_whatever_its_latency() {
        // 11.3% of all query time in 40 executions at a p95 of 96 ms
        let a = with_queries(vec![query("q1", 0.113, 40, 80.0, 96.0)]);
        let f = run(from_log, &a);
        assert_eq!(fps(&f), ["q1"]);
        assert_eq!(f[0].kind, Kind::SlowQuery);
        assert_eq!(f[0].severity, Severity::Medium);
        assert_eq!(f[0].time_at_stake_ms, Some(3200.0));
        assert_eq!(f[0].target, "p95 96.0 ms -> under 9.60 ms");
        assert!(f[0].change.starts_with("Not enough evidence"));
    }

    #[test]
    fn thresholds_share_and_severity() {
        // just under 5% of the time is not a top consumer, however slow
        let below = with_queries(vec![query("a", 0.0499, 10, 50.0, 5000.0)]);
        assert!(run(from_log, &below).is_empty());
        let at = with_queries(vec![query("a", 0.05, 10, 0.5, 0.9)]);
        assert_eq!(run(from_log, &at).len(), 1);
        // a fifth of all time is high; run once is low whatever the share
        let high = with_queries(vec![query("d", 0.2, 10, 50.0, 200.0)]);
        assert_eq!(severities(&run(from_log, &high)), [Severity::High]);
        let once = with_queries(vec![query("e", 0.4, 1, 2400.0, 2400.0)]);
        let f = run(from_log, &once);
        assert_eq!(severities(&f), [Severity::Low]);
        assert!(f[0].change.starts_with("It ran once"));
    }

    #[test]
    fn a_lock_victim_is_left_to_the_lock_finding() {
        // 4.21 s of 4.25 s waiting for a lock
        let mut a = with_queries(vec![
            query("victim", 0.2, 2, 2125.0, 4250.0),
            query("half", 0.2, 2, 1000.0, 1500.0),
        ]);
        waited(&mut a, "victim", 4210.0);
        waited(&mut a, "half", 999.0);
        assert_eq!(fps(&run(from_log, &a)), ["half"]);
        waited(&mut a, "half", 1.0);
        assert!(run(from_log, &a).is_empty());
    }

    #[test]
    fn the_change_follows_the_evidence() {
        let mut a = with_queries(
            (0..4)
                .map(|i| query(&format!("q{i}"), 0.1, 10, 50.0, 150.0))
                .collect::<Vec<QueryReport>>(),
        );
        a.queries[3].normalized = "select pg_sleep($1)".into();
        a.index_recommendations = vec![IndexRecommendation {
            queries: vec!["q0".into()],
            create: "CREATE INDEX CONCURRENTLY i ON t (c);".into(),
            rollback: "DROP INDEX CONCURRENTLY IF EXISTS i;".into(),
            ..Default::default()
        }];
        a.activity.plans = vec![
            PlanView {
                fingerprint: "q1".into(),
                flags: vec!["Seq Scan on t removed 9,000 rows by filter".into()],
                ..Default::default()
            },
            PlanView {
                fingerprint: "q2".into(),
                ..Default::default()
            },
        ];
        let f = run(from_log, &a);
        // the index's own finding has q0's time
        assert_eq!(fps(&f), ["q1", "q2", "q3"]);
        assert!(f[0].change.contains("Seq Scan on t removed"));
        assert_eq!(f[0].evidence.len(), 2, "the plan is evidence");
        assert!(f[1].change.starts_with("Read its plan"));
        assert!(f[2].change.starts_with("It is pg_sleep"));
    }

    #[test]
    fn commits_and_one_off_ddl_get_their_own_advice() {
        let mut a = with_queries(vec![
            query("end", 0.235, 400, 0.2, 0.25),
            query("copy", 0.14, 1, 41.9, 41.9),
            query("vacuum", 0.1, 30, 20.0, 30.0),
        ]);
        a.queries[0].normalized = "end".into();
        a.queries[1].normalized = "copy pgbench_accounts from stdin with(freeze on)".into();
        a.queries[2].normalized = "vacuum analyze pgbench_accounts".into();
        let f = run(from_log, &a);
        // pgbench -i's COPY ran once: a load, not a finding
        assert_eq!(fps(&f), ["end", "vacuum"]);
        assert!(f[0].change.starts_with("Commit time is the WAL flush"));
        assert!(f[1].change.starts_with("DDL or maintenance run repeatedly"));
        assert_eq!(statement_kind("commit"), Statement::Commit);
        assert_eq!(statement_kind("select 1"), Statement::Query);
        assert_eq!(
            statement_kind("with x as(select 1) select * from x"),
            Statement::Query
        );
    }

    #[test]
    fn statements_only_the_statistics_see() {
        let mut a = Audit::default();
        a.stats.statements = vec![
            statement("s1", 0.05, 100, 20.0),
            statement("s2", 0.3, 1, 100.0),
            // the second by time, fast per call: still a top consumer
            statement("s3", 0.179, 50_000, 0.5),
            statement("s5", 0.049, 10, 900.0),
            StatementReport {
                toplevel: Some(false),
                ..statement("s4", 0.5, 1000, 500.0)
            },
        ];
        let f = run(from_statements, &a);
        assert_eq!(fps(&f), ["s1", "s2", "s3"], "s5 is under 5%, s4 is nested");
        assert_eq!(
            severities(&f),
            [Severity::Medium, Severity::Low, Severity::Medium]
        );
        assert_eq!(f[1].target, "mean 100 ms -> under 10.0 ms");
        assert!(f[1].change.starts_with("It ran once"));
    }

    #[test]
    fn a_statement_the_log_already_covers_is_not_repeated() {
        let mut a = with_queries(vec![query("q1", 0.5, 10, 50.0, 200.0)]);
        a.stats.statements = vec![
            StatementReport {
                log_group: Some("q1".into()),
                ..statement("s1", 0.5, 1000, 100.0)
            },
            StatementReport {
                log_group: Some("q9".into()),
                ..statement("s9", 0.3, 10, 100.0)
            },
        ];
        assert_eq!(run(from_log, &a).len(), 1);
        assert_eq!(fps(&run(from_statements, &a)), ["s9"]);
        // a lock victim in the log is one in the statistics too
        waited(&mut a, "q9", 900.0);
        assert!(run(from_statements, &a).is_empty());
    }
}
