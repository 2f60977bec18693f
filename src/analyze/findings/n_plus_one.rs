//! N+1: every burst pattern the log shows (a child query run many times in a
//! row right after its parent, or a parentless one-row loop). High from 1,000
//! executions or a second of server time.

use super::*;

/// The findings of this kind.
pub(super) fn rule(input: &RuleInput) -> Vec<Finding> {
    let a = input.audit;
    let mut out = Vec::new();
    for n in &a.n_plus_one.detected {
        let mut f = Finding::new(
            Kind::NPlusOne,
            if n.executions >= 1000 || n.total_ms >= 1000.0 {
                Severity::High
            } else {
                Severity::Medium
            },
            match &n.parent_normalized {
                Some(_) => format!(
                    "N+1: a query runs {:.0} times per burst right after its parent ({} bursts)",
                    n.mean_per_burst, n.bursts
                ),
                None => format!(
                    "N+1-style loop: a query runs {:.0} times per burst, one row at a time ({} bursts, no parent query seen)",
                    n.mean_per_burst, n.bursts
                ),
            },
        );
        f.time_at_stake_ms = Some(n.total_ms);
        f.time_basis = format!(
            "log: server time of the {} executions in bursts (each also costs a network round trip the log cannot see)",
            n.executions
        );
        f.fingerprint = Some(n.fingerprint.clone());
        f.normalized = Some(n.normalized.clone());
        f.database = top_key(&n.databases);
        f.target = n.target.clone();
        f.change = match &n.batched {
            Some(b) => format!("{} Batched form: {b}", n.rewrite),
            None => n.rewrite.clone(),
        };
        f.rollback = "Application change: deploy the previous version of the code path".into();
        f.verify = "Run pgsift on a log with log_min_duration_statement = 0 after the change: no burst of this query, and the parent followed by one batched query".into();
        f = f.ev(format!("N+1 burst of query {}", n.fingerprint), "#nplusone");
        out.push(f);
    }
    out
}
