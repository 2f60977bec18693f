//! Connections: sessions against a pool sized to the cores (2-3x), from
//! `pg_stat_activity` with `--cpu-cores`, and against `max_connections`.

use super::*;
use crate::analyze::stats::PoolVerdict;

/// The findings of this kind.
pub(super) fn rule(input: &RuleInput) -> Vec<Finding> {
    let a = input.audit;
    let mut out = Vec::new();
    if let Some(act) = &a.stats.activity {
        if let Some(p) = act.pool.as_ref().filter(|p| p.verdict != PoolVerdict::Ok) {
            let mut f = Finding::new(
                Kind::Connections,
                if p.verdict == PoolVerdict::Saturated {
                    Severity::High
                } else {
                    Severity::Medium
                },
                format!(
                    "{} sessions ({} active) for {} CPU cores: the pool is {}",
                    p.connections,
                    p.active,
                    p.cpu_cores,
                    p.verdict.as_str()
                ),
            );
            f.time_basis = "not measurable from these inputs: queueing for CPU shows as higher latency everywhere".into();
            f.target = format!(
                "{}-{} active connections (2-3x cores), through a pooler",
                p.recommended_min, p.recommended_max
            );
            f.change = format!(
                "Put PgBouncer (transaction pooling) in front, default_pool_size = {}",
                p.recommended_max
            );
            f.rollback = "Point the application back at PostgreSQL directly".into();
            f.verify = "pg_stat_activity: active sessions stay at or under the pool size; p95 latency under load drops".into();
            out.push(f.ev("sessions and pool sizing".into(), "#connections"));
        }
        if let Some(m) = act.max_connections
            && act.total * 10 >= m * 8
        {
            let mut f = Finding::new(
                Kind::Connections,
                Severity::High,
                format!("{} of max_connections {} in use", act.total, m),
            );
            f.time_basis = "not measurable: new connections fail when the limit is reached".into();
            f.target = "connections under 80% of max_connections".into();
            f.change = "Pool connections (PgBouncer) instead of raising max_connections".into();
            f.rollback = "Remove the pooler".into();
            f.verify = "pg_stat_activity count stays under 80% of max_connections".into();
            out.push(f.ev("sessions".into(), "#connections"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::analyze::stats::{PoolAdvice, SessionsNow};

    fn sessions(verdict: PoolVerdict, total: u64, max_connections: Option<u64>) -> Audit {
        let mut a = Audit::default();
        a.stats.activity = Some(SessionsNow {
            total,
            max_connections,
            pool: Some(PoolAdvice {
                cpu_cores: 4,
                recommended_min: 8,
                recommended_max: 12,
                connections: total,
                verdict,
                ..Default::default()
            }),
            ..Default::default()
        });
        a
    }

    #[test]
    fn the_pool_verdict() {
        assert!(run(rule, &Audit::default()).is_empty());
        assert!(run(rule, &sessions(PoolVerdict::Ok, 10, None)).is_empty());
        let over = run(rule, &sessions(PoolVerdict::Oversized, 60, None));
        assert_eq!(severities(&over), [Severity::Medium]);
        assert!(over[0].title.ends_with("the pool is oversized"));
        let sat = run(rule, &sessions(PoolVerdict::Saturated, 20, None));
        assert_eq!(severities(&sat), [Severity::High]);
    }

    #[test]
    fn eighty_percent_of_max_connections() {
        assert!(run(rule, &sessions(PoolVerdict::Ok, 79, Some(100))).is_empty());
        let f = run(rule, &sessions(PoolVerdict::Ok, 80, Some(100)));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].title, "80 of max_connections 100 in use");
        assert_eq!(f[0].severity, Severity::High);
    }
}
