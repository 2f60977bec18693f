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

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::analyze::nplusone::NPlusOneReport;

    fn burst(executions: u64, total_ms: f64, parent: bool) -> NPlusOneReport {
        NPlusOneReport {
            fingerprint: "child".into(),
            normalized: "select * from items where order_id = $1".into(),
            parent_normalized: parent.then(|| "select * from orders".to_string()),
            bursts: 10,
            executions,
            mean_per_burst: executions as f64 / 10.0,
            total_ms,
            target: "20 queries per burst -> 2".into(),
            rewrite: "Fetch the children in one query.".into(),
            batched: Some("select * from items where order_id = any($1)".into()),
            ..Default::default()
        }
    }

    #[test]
    fn every_detected_burst_is_a_finding() {
        let mut a = Audit::default();
        assert!(run(rule, &a).is_empty());
        a.n_plus_one.detected = vec![burst(200, 50.0, true)];
        let f = run(rule, &a);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].kind, Kind::NPlusOne);
        assert_eq!(f[0].time_at_stake_ms, Some(50.0));
        assert!(
            f[0].title
                .starts_with("N+1: a query runs 20 times per burst")
        );
        assert!(
            f[0].change
                .ends_with("Batched form: select * from items where order_id = any($1)")
        );
    }

    #[test]
    fn loops_without_a_parent_are_named_so() {
        let mut a = Audit::default();
        a.n_plus_one.detected = vec![burst(200, 50.0, false)];
        assert!(run(rule, &a)[0].title.starts_with("N+1-style loop"));
    }

    #[test]
    fn high_from_a_thousand_executions_or_a_second() {
        let sev = |executions, total_ms| {
            let mut a = Audit::default();
            a.n_plus_one.detected = vec![burst(executions, total_ms, true)];
            run(rule, &a)[0].severity
        };
        assert_eq!(sev(999, 999.9), Severity::Medium);
        assert_eq!(sev(1000, 10.0), Severity::High);
        assert_eq!(sev(10, 1000.0), Severity::High);
    }
}
