//! The values to alert on after a change, from this run's figures: the p95 of
//! the busiest queries, the error rate, the cache hit ratio, sessions idle in
//! transaction, deadlocks and requested checkpoints.

use crate::analyze::Audit;
use crate::analyze::findings::Threshold;
use crate::units::duration_ms as ms;

/// Queries with a p95 threshold, the busiest first.
const QUERIES: usize = 5;
/// Executions a query needs before its p95 is worth alerting on.
const MIN_EXECUTIONS: u64 = 10;

/// Values to alert on, from this run.
pub(crate) fn thresholds(a: &Audit) -> Vec<Threshold> {
    let mut out = query_p95s(a);
    if let Some(errors) = error_rate(a) {
        out.push(errors);
    }
    out.push(Threshold {
        metric: "cache hit ratio (pg_stat_database)".into(),
        current: a
            .stats
            .databases
            .iter()
            .filter_map(|d| d.cache_hit_ratio)
            .reduce(f64::min)
            .map_or("-".into(), |r| format!("{:.2}%", r * 100.0)),
        alert_when: "under 99%".into(),
        source: "pg_stat_database".into(),
    });
    out.push(Threshold {
        metric: "sessions idle in transaction for over 60 s".into(),
        current: a.stats.activity.as_ref().map_or("-".into(), |x| {
            x.idle_in_transaction
                .iter()
                .filter(|s| s.duration_ms.is_some_and(|d| d > 60_000))
                .count()
                .to_string()
        }),
        alert_when: "any".into(),
        source: "pg_stat_activity".into(),
    });
    out.push(Threshold {
        metric: "deadlocks".into(),
        current: a.activity.deadlocks.count.to_string(),
        alert_when: "any".into(),
        source: "the log (deadlock detected) or pg_stat_database.deadlocks".into(),
    });
    out.push(Threshold {
        metric: "requested checkpoints".into(),
        current: a
            .stats
            .checkpointer
            .as_ref()
            .and_then(|c| c.requested_share)
            .map_or("-".into(), |r| format!("{:.0}% of all", r * 100.0)),
        alert_when: "over 10% of all".into(),
        source: "pg_stat_bgwriter / pg_stat_checkpointer".into(),
    });
    out
}

/// The p95 of the [`QUERIES`] busiest queries run [`MIN_EXECUTIONS`] times or
/// more: alert at 1.5 times it (at least 5 ms above it).
fn query_p95s(a: &Audit) -> Vec<Threshold> {
    a.queries
        .iter()
        .filter(|q| q.count >= MIN_EXECUTIONS)
        .take(QUERIES)
        .filter_map(|q| {
            let p95 = q.p95_ms?;
            Some(Threshold {
                metric: format!("p95 of query {}", q.fingerprint),
                current: ms(p95),
                alert_when: format!("above {} for 10 minutes", ms((p95 * 1.5).max(p95 + 5.0))),
                source: "log_min_duration_statement durations, or pg_stat_statements mean".into(),
            })
        })
        .collect()
}

/// Errors per 1,000 timed executions, when the log has executions.
fn error_rate(a: &Audit) -> Option<Threshold> {
    if a.summary.executions == 0 {
        return None;
    }
    let errors: u64 = a.activity.errors.iter().map(|e| e.count).sum();
    Some(Threshold {
        metric: "errors per 1,000 executions".into(),
        current: format!(
            "{:.2}",
            errors as f64 * 1000.0 / a.summary.executions as f64
        ),
        alert_when: "doubles".into(),
        source: "the log's ERROR lines".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_support::query;
    use super::*;
    use crate::analyze::activity::ErrorView;
    use crate::analyze::stats::{CheckpointerView, DatabaseReport, SessionReport, SessionsNow};

    fn metrics(t: &[Threshold]) -> Vec<&str> {
        t.iter().map(|t| t.metric.as_str()).collect()
    }

    #[test]
    fn an_empty_run_lists_the_fixed_metrics_unknown() {
        let t = thresholds(&Audit::default());
        assert_eq!(
            metrics(&t),
            [
                "cache hit ratio (pg_stat_database)",
                "sessions idle in transaction for over 60 s",
                "deadlocks",
                "requested checkpoints",
            ]
        );
        assert_eq!(t[0].current, "-");
        assert_eq!(t[1].current, "-");
        assert_eq!(t[2].current, "0");
        assert_eq!(t[3].current, "-");
    }

    #[test]
    fn busy_queries_get_a_p95_threshold() {
        let mut a = Audit::default();
        let mut busy = query("aaaa", "select $1", 10);
        busy.p95_ms = Some(100.0);
        let mut quick = query("bbbb", "select $2", 10);
        quick.p95_ms = Some(2.0);
        let mut rare = query("cccc", "select $3", 9);
        rare.p95_ms = Some(500.0);
        a.queries = vec![busy, rare, quick];
        let t = query_p95s(&a);
        assert_eq!(metrics(&t), ["p95 of query aaaa", "p95 of query bbbb"]);
        assert_eq!(t[0].current, "100 ms");
        assert_eq!(t[0].alert_when, "above 150 ms for 10 minutes");
        // 1.5 x 2 ms is under 2 + 5 ms.
        assert_eq!(t[1].alert_when, "above 7.00 ms for 10 minutes");
    }

    #[test]
    fn only_the_five_busiest_queries_count() {
        let mut a = Audit::default();
        for i in 0..7 {
            let mut q = query(&format!("q{i}"), "select $1", 20);
            q.p95_ms = Some(1.0);
            a.queries.push(q);
        }
        assert_eq!(query_p95s(&a).len(), 5);
    }

    #[test]
    fn the_error_rate_is_per_thousand_executions() {
        let mut a = Audit::default();
        assert!(error_rate(&a).is_none());
        a.summary.executions = 4000;
        a.activity.errors.push(ErrorView {
            count: 3,
            ..Default::default()
        });
        assert_eq!(error_rate(&a).unwrap().current, "0.75");
        assert_eq!(thresholds(&a)[0].metric, "errors per 1,000 executions");
    }

    #[test]
    fn statistics_fill_the_fixed_metrics() {
        let mut a = Audit::default();
        a.stats.databases = [0.991, 0.97]
            .map(|r| DatabaseReport {
                cache_hit_ratio: Some(r),
                ..Default::default()
            })
            .to_vec();
        let idle = |ms| SessionReport {
            duration_ms: Some(ms),
            ..Default::default()
        };
        a.stats.activity = Some(SessionsNow {
            idle_in_transaction: vec![idle(60_000), idle(60_001), idle(90_000)],
            ..Default::default()
        });
        a.activity.deadlocks.count = 2;
        a.stats.checkpointer = Some(CheckpointerView {
            requested_share: Some(0.13),
            ..Default::default()
        });
        let current: Vec<String> = thresholds(&a).into_iter().map(|t| t.current).collect();
        assert_eq!(current, ["97.00%", "2", "2", "13% of all"]);
    }
}
