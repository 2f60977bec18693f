//! Idle in transaction: sessions holding a transaction open in the
//! `pg_stat_activity` snapshot, and pauses between the statements of explicit
//! transactions in the log (counted only when every statement is logged;
//! from whole-second timestamps, only pauses the clock can tell, approximate).

use super::*;
use crate::analyze::nplusone::TransactionPauses;

/// The pauses, as the title names them: how many, their total, and how sure
/// the total is.
fn pauses_text(tx: &TransactionPauses) -> String {
    let all = if tx.approximate_pauses == 0 {
        format!("{} in all", duration_ms(tx.long_gap_ms))
    } else if tx.approximate_pauses == tx.long_gaps {
        format!(
            "{} in all, ±1 s each: whole-second timestamps",
            crate::units::about_seconds(tx.long_gap_ms)
        )
    } else {
        format!(
            "{} in all, {} of them ±1 s: whole-second timestamps",
            duration_ms(tx.long_gap_ms),
            tx.approximate_pauses
        )
    };
    format!(
        "{} of {} ms or more ({all}) between statements of a transaction",
        crate::units::plural(tx.long_gaps, "pause", "pauses"),
        tx.pause_threshold_ms
    )
}

/// The findings of this kind.
pub(super) fn rule(input: &RuleInput) -> Vec<Finding> {
    let a = input.audit;
    let mut out = Vec::new();
    let tx = &a.transaction_pauses;
    // pauses between logged statements are pauses only when every statement is logged
    let tx_gaps = if tx.complete_log { tx.long_gaps } else { 0 };
    let idle_now = a
        .stats
        .activity
        .as_ref()
        .map_or(0, |x| x.idle_in_transaction.len());
    // the severity rests on what is sure: a pause timed by whole seconds may
    // be a second shorter
    let sure_ms = tx.long_gap_ms - 1000.0 * tx.approximate_pauses as f64;
    if idle_now > 0 || tx_gaps > 0 {
        let mut f = Finding::new(
            Kind::IdleInTransaction,
            if sure_ms >= 10_000.0 || idle_now >= 5 {
                Severity::High
            } else {
                Severity::Medium
            },
            format!(
                "Time lost outside the database inside transactions: {}{}",
                if tx_gaps > 0 {
                    pauses_text(tx)
                } else {
                    String::new()
                },
                if idle_now > 0 {
                    format!(
                        "{}{} idle in transaction at the snapshot",
                        if tx_gaps > 0 { "; " } else { "" },
                        crate::units::plural(idle_now as u64, "session", "sessions")
                    )
                } else {
                    String::new()
                }
            ),
        );
        if tx_gaps > 0 {
            f.time_at_stake_ms = Some(tx.long_gap_ms);
            f.time_basis = "log: time between the end of one statement and the start of the next inside explicit transactions (locks held meanwhile)".into();
            if tx.approximate_pauses > 0 {
                f.time_basis.push_str(&format!(
                    "; {} timed by whole-second timestamps, each to within a second",
                    crate::units::plural(tx.approximate_pauses, "pause", "pauses")
                ));
            }
        } else {
            f.time_basis =
                "not measurable from one snapshot: log every statement to time the pauses".into();
        }
        f.target =
            "no pause over 100 ms inside a transaction; 0 sessions idle in transaction".into();
        f.change = "Do the application work (HTTP calls, rendering, user input) before BEGIN or after COMMIT; set idle_in_transaction_session_timeout (e.g. '60s') as a guard".into();
        f.rollback =
            "Revert the code change; ALTER ROLE ... RESET idle_in_transaction_session_timeout"
                .into();
        f.verify = "pg_stat_activity shows no 'idle in transaction' older than a second; pgsift's transaction pauses drop".into();
        if idle_now > 0 {
            f = f.ev("sessions idle in transaction".into(), "#connections");
        }
        if tx_gaps > 0 {
            f = f.ev("pauses inside transactions".into(), "#nplusone");
        }
        out.push(f);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::analyze::stats::{SessionReport, SessionsNow};

    fn pauses(complete_log: bool, long_gaps: u64, long_gap_ms: f64) -> Audit {
        let mut a = Audit::default();
        a.transaction_pauses.complete_log = complete_log;
        a.transaction_pauses.long_gaps = long_gaps;
        a.transaction_pauses.long_gap_ms = long_gap_ms;
        a.transaction_pauses.pause_threshold_ms = 100;
        a
    }

    fn idle(a: &mut Audit, n: usize) {
        a.stats.activity = Some(SessionsNow {
            idle_in_transaction: vec![SessionReport::default(); n],
            ..Default::default()
        });
    }

    #[test]
    fn pauses_count_only_when_every_statement_is_logged() {
        assert!(run(rule, &pauses(false, 3, 5_000.0)).is_empty());
        let f = run(rule, &pauses(true, 3, 9_999.0));
        assert_eq!(severities(&f), [Severity::Medium]);
        assert_eq!(f[0].time_at_stake_ms, Some(9_999.0));
        assert_eq!(
            severities(&run(rule, &pauses(true, 3, 10_000.0))),
            [Severity::High]
        );
    }

    #[test]
    fn pauses_timed_by_whole_seconds_are_approximate_and_judged_by_what_is_sure() {
        // 10.5 s from 4 pauses timed to the second: maybe only 6.5 s
        let mut a = pauses(true, 4, 10_500.0);
        a.transaction_pauses.approximate_pauses = 4;
        let f = run(rule, &a);
        assert_eq!(severities(&f), [Severity::Medium]);
        assert!(
            f[0].title
                .contains("4 pauses of 100 ms or more (about 11 s in all, ±1 s each"),
            "{}",
            f[0].title
        );
        assert!(f[0].time_basis.contains("whole-second timestamps"));
        a.transaction_pauses.approximate_pauses = 1;
        let f = run(rule, &a);
        assert_eq!(severities(&f), [Severity::Medium]);
        assert!(f[0].title.contains("(10.50 s in all, 1 of them ±1 s"));
        a.transaction_pauses.long_gap_ms = 11_000.0;
        assert_eq!(severities(&run(rule, &a)), [Severity::High]);
    }

    #[test]
    fn sessions_idle_in_a_transaction_at_the_snapshot() {
        let mut a = pauses(false, 0, 0.0);
        assert!(run(rule, &a).is_empty());
        idle(&mut a, 4);
        assert_eq!(severities(&run(rule, &a)), [Severity::Medium]);
        idle(&mut a, 5);
        let f = run(rule, &a);
        assert_eq!(severities(&f), [Severity::High]);
        assert_eq!(f[0].time_at_stake_ms, None);
    }
}
