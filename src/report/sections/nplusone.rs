//! "N+1 patterns and time outside the database": bursts of one query per
//! session after a parent query, repeated identical statements, loops without
//! a parent, suspects from pg_stat_statements, and pauses inside transactions.

use crate::analyze::Audit;
use crate::analyze::nplusone::{NPlusOneReport, TransactionPauses};
use crate::report::rows::who;
use crate::units::{count, duration_ms};
use askama::Template;

/// One query that runs in bursts.
#[derive(Debug, Clone, Default)]
pub struct BurstRow {
    pub fingerprint: String,
    pub normalized: String,
    pub parent: String,
    pub bursts: String,
    pub executions: String,
    pub per_burst: String,
    pub time: String,
    pub who: String,
    /// Where the largest burst was logged.
    pub example: String,
    pub batched: String,
    pub target: String,
}

/// A statement pg_stat_statements suggests runs once per row.
#[derive(Debug, Clone, Default)]
pub struct SuspectedRow {
    pub statement: String,
    pub calls: String,
    pub rows_per_call: String,
    pub time: String,
    pub column: String,
    pub missing_evidence: String,
}

#[derive(Debug, Default, Template)]
#[template(path = "sections/nplusone.html")]
pub struct NplusoneSection {
    pub detected: Vec<BurstRow>,
    pub repeated: Vec<BurstRow>,
    pub loops: Vec<BurstRow>,
    pub once: Vec<BurstRow>,
    pub suspected: Vec<SuspectedRow>,
    pub nplusone_limits: Vec<String>,
    pub nplusone_summary: String,
    pub pauses: String,
}

pub fn build(a: &Audit, _top: usize) -> NplusoneSection {
    let n = &a.n_plus_one;
    NplusoneSection {
        detected: n.detected.iter().map(burst_row).collect(),
        repeated: n.repeated.iter().map(burst_row).collect(),
        loops: n.loops.iter().map(burst_row).collect(),
        once: n.once.iter().map(burst_row).collect(),
        suspected: n
            .suspected
            .iter()
            .map(|s| SuspectedRow {
                statement: s.normalized.clone(),
                calls: count(s.calls),
                rows_per_call: format!("{:.2}", s.rows_per_call),
                time: duration_ms(s.total_ms),
                column: s.column.clone(),
                missing_evidence: s.missing_evidence.clone(),
            })
            .collect(),
        nplusone_limits: n.limits.clone(),
        nplusone_summary: format!(
            "{} executions followed session by session ({} could not be placed in a session).",
            count(n.tracked),
            count(n.untracked)
        ),
        pauses: pauses(&a.transaction_pauses),
    }
}

fn burst_row(b: &NPlusOneReport) -> BurstRow {
    BurstRow {
        fingerprint: b.fingerprint.clone(),
        normalized: b.normalized.clone(),
        parent: b
            .parent_normalized
            .clone()
            .unwrap_or_else(|| "(none seen: a loop over ids held by the application?)".into()),
        bursts: count(b.bursts),
        executions: count(b.executions),
        per_burst: format!("{:.1} (max {})", b.mean_per_burst, b.max_per_burst),
        time: duration_ms(b.total_ms),
        who: who(&b.users),
        example: match (&b.example_file, b.example_line, &b.example_ts) {
            (Some(f), Some(l), ts) => format!(
                "{f}:{l}{}: {} executions in {} ms",
                ts.as_deref()
                    .map(|t| format!(" at {t}"))
                    .unwrap_or_default(),
                b.example_executions.unwrap_or(0),
                b.example_duration_ms.unwrap_or(0)
            ),
            _ => String::new(),
        },
        batched: b.batched.clone().unwrap_or_default(),
        target: b.target.clone(),
    }
}

/// The pauses between statements of explicit transactions, in one sentence.
fn pauses(t: &TransactionPauses) -> String {
    if t.transactions == 0 {
        "No explicit transaction (BEGIN ... COMMIT) seen from its start: pauses inside transactions need every statement logged.".into()
    } else {
        format!(
            "{} explicit transactions, {} statements inside them: {} pauses of {} ms or more between statements ({} in all; longest {}{}), {} of pauses in all.",
            count(t.transactions),
            count(t.statements),
            count(t.long_gaps),
            t.pause_threshold_ms,
            duration_ms(t.long_gap_ms),
            duration_ms(t.max_gap_ms),
            t.max_gap_at
                .as_deref()
                .map(|p| format!(", ending at {p}"))
                .unwrap_or_default(),
            duration_ms(t.total_gap_ms)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_names_where_the_largest_burst_was_logged() {
        let b = NPlusOneReport {
            example_file: Some("pg.log".into()),
            example_line: Some(42),
            example_ts: Some("10:00".into()),
            example_executions: Some(7),
            example_duration_ms: Some(3),
            ..Default::default()
        };
        let r = burst_row(&b);
        assert_eq!(r.example, "pg.log:42 at 10:00: 7 executions in 3 ms");
        assert!(r.parent.starts_with("(none seen"));
        assert_eq!(burst_row(&NPlusOneReport::default()).example, "");
    }

    #[test]
    fn pauses_say_why_when_no_transaction_was_seen() {
        assert!(pauses(&TransactionPauses::default()).starts_with("No explicit transaction"));
        let t = TransactionPauses {
            transactions: 3,
            max_gap_at: Some("pg.log:9".into()),
            ..Default::default()
        };
        assert!(pauses(&t).starts_with("3 explicit transactions"));
        assert!(pauses(&t).contains(", ending at pg.log:9"));
    }
}
