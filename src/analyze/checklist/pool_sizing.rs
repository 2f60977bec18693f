//! Checklist item 9: connection pool sizing.

use super::{Inputs, item};
use crate::analyze::findings::{CheckItem, Status};
use crate::analyze::stats::PoolVerdict;

const NAME: &str = "Connection pool sizing";

/// Whether the connections suit the server's cores: from the pool advice
/// (a pg_stat_activity snapshot with `--cpu-cores`), pass when its verdict is
/// `ok`, fail when `saturated` (more active sessions than the cores run),
/// attention otherwise (`oversized`); not enough data without it, naming the
/// log's peak of concurrent sessions when there is one. A pgBouncer log adds
/// the client side ([`with_pooler`]).
pub(super) fn check(inputs: &Inputs) -> CheckItem {
    with_pooler(server_side(inputs), inputs)
}

/// pgBouncer's evidence: clients that waited for a server connection or were
/// refused make the item at least attention (the pool is smaller than the
/// application's concurrency); none makes a not-enough-data item pass (the
/// pool served every client at once).
fn with_pooler(mut item: CheckItem, inputs: &Inputs) -> CheckItem {
    let Some(p) = &inputs.audit.activity.pooler else {
        return item;
    };
    let waited = p.waited_intervals > 0 || p.refused > 0;
    let evidence = if waited {
        format!(
            "pgBouncer: clients waited for a server connection in {} of {} stats periods (longest average wait {:.0} ms), {} refused at max_client_conn",
            p.waited_intervals, p.intervals, p.peak_wait_ms, p.refused
        )
    } else {
        format!(
            "pgBouncer: no client waited for a server connection in {} stats periods",
            p.intervals
        )
    };
    item.evidence = format!("{}; {evidence}", item.evidence);
    match (waited, item.status) {
        (true, Status::Pass | Status::NotEnoughData) => {
            item.status = Status::Attention;
            item.link = "#pgbouncer".into();
        }
        (false, Status::NotEnoughData) => {
            item.status = Status::Pass;
            item.link = "#pgbouncer".into();
            item.needs = None;
        }
        _ => {}
    }
    item
}

/// The server side: the pool advice, else the log's peak of sessions.
fn server_side(inputs: &Inputs) -> CheckItem {
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

    #[test]
    fn pgbouncer_waits_call_for_attention_and_no_wait_answers_the_item() {
        use crate::analyze::activity::PoolerView;
        let mut a = Audit::default();
        a.activity.pooler = Some(PoolerView {
            intervals: 9,
            waited_intervals: 3,
            peak_wait_ms: 7590.2,
            refused: 2,
            ..Default::default()
        });
        let c = judge(check, &a);
        assert_eq!(c.status, Status::Attention);
        assert_eq!(c.link, "#pgbouncer");
        assert!(
            c.evidence
                .contains("in 3 of 9 stats periods (longest average wait 7590 ms), 2 refused"),
            "{}",
            c.evidence
        );
        // a pool verdict of fail stays fail
        let mut f = pool(PoolVerdict::Saturated);
        f.activity.pooler = a.activity.pooler.clone();
        assert_eq!(judge(check, &f).status, Status::Fail);
        // no wait and nothing else: the pool served every client at once
        a.activity.pooler = Some(PoolerView {
            intervals: 9,
            ..Default::default()
        });
        let c = judge(check, &a);
        assert_eq!(c.status, Status::Pass);
        assert!(c.needs.is_none());
    }
}
