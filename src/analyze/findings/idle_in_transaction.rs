//! Idle in transaction: sessions holding a transaction open in the
//! `pg_stat_activity` snapshot, and pauses between the statements of explicit
//! transactions in the log (counted only when every statement is logged).

use super::*;

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
    if idle_now > 0 || tx_gaps > 0 {
        let mut f = Finding::new(
            Kind::IdleInTransaction,
            if tx.long_gap_ms >= 10_000.0 || idle_now >= 5 {
                Severity::High
            } else {
                Severity::Medium
            },
            format!(
                "Time lost outside the database inside transactions: {}{}",
                if tx_gaps > 0 {
                    format!(
                        "{} pause(s) of {} ms or more ({} in all) between statements of a transaction",
                        tx.long_gaps,
                        tx.pause_threshold_ms,
                        ms_text(tx.long_gap_ms)
                    )
                } else {
                    String::new()
                },
                if idle_now > 0 {
                    format!(
                        "{}{idle_now} session(s) idle in transaction at the snapshot",
                        if tx_gaps > 0 { "; " } else { "" }
                    )
                } else {
                    String::new()
                }
            ),
        );
        if tx_gaps > 0 {
            f.time_at_stake_ms = Some(tx.long_gap_ms);
            f.time_basis = "log: time between the end of one statement and the start of the next inside explicit transactions (locks held meanwhile)".into();
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
