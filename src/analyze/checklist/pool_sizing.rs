//! Checklist item 9: connection pool sizing.

use super::{Inputs, item};
use crate::analyze::findings::{CheckItem, Status};
use crate::analyze::stats::PoolVerdict;

const NAME: &str = "Connection pool sizing";

/// Whether the connections suit the server's cores: from the pool advice
/// (a pg_stat_activity snapshot with `--cpu-cores`), pass when its verdict is
/// `ok`, fail when `saturated` (more active sessions than the cores run),
/// attention otherwise (`oversized`); not enough data without it, naming the
/// log's peak of concurrent sessions when there is one.
pub(super) fn check(inputs: &Inputs) -> CheckItem {
    let a = inputs.audit;
    let pool = a.stats.activity.as_ref().and_then(|x| x.pool.as_ref());
    match (pool, a.activity.sessions.peak_concurrent) {
        (Some(p), _) => item(
            NAME,
            match p.verdict {
                PoolVerdict::Ok => Status::Pass,
                PoolVerdict::Saturated => Status::Fail,
                PoolVerdict::Oversized => Status::Attention,
            },
            format!(
                "{} sessions, {} active for {} cores (pool {}-{})",
                p.connections, p.active, p.cpu_cores, p.recommended_min, p.recommended_max
            ),
            "#connections",
            None,
        ),
        (None, Some(peak)) => item(
            NAME,
            Status::NotEnoughData,
            format!(
                "peak of {}{peak} concurrent sessions in the log, but the server's cores are unknown",
                if a.activity.sessions.peak_approximate {
                    "~"
                } else {
                    ""
                }
            ),
            "#sessions",
            Some("--cpu-cores N"),
        ),
        (None, None) => item(
            NAME,
            Status::NotEnoughData,
            "no connection counts and no core count".into(),
            "#connections",
            Some(
                "--cpu-cores N, with a pg_stat_activity export or log_connections + log_disconnections",
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::judge;
    use super::*;
    use crate::analyze::Audit;
    use crate::analyze::stats::{PoolAdvice, SessionsNow};

    fn pool(verdict: PoolVerdict) -> Audit {
        let mut a = Audit::default();
        a.activity.sessions.peak_concurrent = Some(30);
        a.stats.activity = Some(SessionsNow {
            pool: Some(PoolAdvice {
                cpu_cores: 4,
                recommended_min: 8,
                recommended_max: 12,
                connections: 40,
                active: 6,
                verdict,
            }),
            ..Default::default()
        });
        a
    }

    #[test]
    fn the_pool_verdict_decides() {
        let c = judge(check, &pool(PoolVerdict::Ok));
        assert_eq!(c.status, Status::Pass);
        assert_eq!(c.evidence, "40 sessions, 6 active for 4 cores (pool 8-12)");
        assert_eq!(
            judge(check, &pool(PoolVerdict::Saturated)).status,
            Status::Fail
        );
        assert_eq!(
            judge(check, &pool(PoolVerdict::Oversized)).status,
            Status::Attention
        );
    }

    #[test]
    fn a_peak_without_cores_is_not_enough_data() {
        let mut a = Audit::default();
        a.activity.sessions.peak_concurrent = Some(30);
        let c = judge(check, &a);
        assert_eq!(c.status, Status::NotEnoughData);
        assert_eq!(c.needs.as_deref(), Some("--cpu-cores N"));
        assert_eq!(c.link, "#sessions");
        assert!(c.evidence.starts_with("peak of 30 concurrent"));
        a.activity.sessions.peak_approximate = true;
        assert!(
            judge(check, &a)
                .evidence
                .starts_with("peak of ~30 concurrent")
        );
    }

    #[test]
    fn nothing_is_not_enough_data() {
        let mut a = Audit::default();
        a.stats.activity = Some(SessionsNow::default());
        let c = judge(check, &a);
        assert_eq!(c.status, Status::NotEnoughData);
        assert_eq!(c.evidence, "no connection counts and no core count");
    }
}
