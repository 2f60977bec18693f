//! "N+1 patterns and time outside the database": bursts of one query per
//! session after a parent query, repeated identical statements, loops without
//! a parent, suspects from pg_stat_statements, and pauses inside transactions.

use crate::analyze::Audit;
use crate::analyze::nplusone::{NPlusOneReport, TransactionPauses};
use crate::report::rows::who;
use crate::units::{about_seconds, count, duration_ms};
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
    let rows = |v: &[NPlusOneReport]| {
        v.iter()
            .map(|b| burst_row(b, a.summary.approximate))
            .collect()
    };
    NplusoneSection {
        detected: rows(&n.detected),
        repeated: rows(&n.repeated),
        loops: rows(&n.loops),
        once: rows(&n.once),
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
        pauses: pauses(&a.transaction_pauses, a.whole_seconds().as_deref()),
    }
}

/// One burst's row; `approximate`: its span was timed by whole-second
/// timestamps (N s apart by the clock: under N + 1 s in truth).
fn burst_row(b: &NPlusOneReport, approximate: bool) -> BurstRow {
    let span = |ms: i64| {
        if approximate {
            format!("in under {} s (whole-second timestamps)", ms / 1000 + 1)
        } else {
            format!("in {ms} ms")
        }
    };
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
                "{f}:{l}{}: {} executions {}",
                ts.as_deref()
                    .map(|t| format!(" at {t}"))
                    .unwrap_or_default(),
                b.example_executions.unwrap_or(0),
                span(b.example_duration_ms.unwrap_or(0))
            ),
            _ => String::new(),
        },
        batched: b.batched.clone().unwrap_or_default(),
        target: b.target.clone(),
    }
}

/// The pauses between statements of explicit transactions, in a sentence;
/// then, when timestamps have whole seconds (`whole_seconds` starts that
/// sentence), what they could not time.
fn pauses(t: &TransactionPauses, whole_seconds: Option<&str>) -> String {
    if t.transactions == 0 {
        return "No explicit transaction (BEGIN ... COMMIT) seen from its start: pauses inside transactions need every statement logged.".into();
    }
    let about = |approximate: bool, ms: f64| {
        if approximate {
            about_seconds(ms)
        } else {
            duration_ms(ms)
        }
    };
    let approximate = t.approximate_pauses > 0;
    let in_all = if approximate && t.approximate_pauses == t.long_gaps {
        format!("{} in all, ±1 s each", about_seconds(t.long_gap_ms))
    } else if approximate {
        format!(
            "{} in all, {} of them ±1 s",
            duration_ms(t.long_gap_ms),
            count(t.approximate_pauses)
        )
    } else {
        format!("{} in all", duration_ms(t.long_gap_ms))
    };
    let mut s = if t.statements == 0 && t.gaps_unmeasurable > 0 {
        format!(
            "{} explicit transactions: no gap between their statements could be timed.",
            count(t.transactions)
        )
    } else {
        format!(
            "{} explicit transactions, {} statements inside them: {} pauses of {} ms or more between statements ({in_all}; longest {}{}), {} of pauses in all.",
            count(t.transactions),
            count(t.statements),
            count(t.long_gaps),
            t.pause_threshold_ms,
            about(t.max_gap_approximate, t.max_gap_ms),
            t.max_gap_at
                .as_deref()
                .map(|p| format!(", ending at {p}"))
                .unwrap_or_default(),
            about(approximate, t.total_gap_ms)
        )
    };
    if let Some(w) = whole_seconds.filter(|_| t.gaps_unmeasurable > 0) {
        s.push_str(&format!(
            " {w}: pauses under 2 s cannot be measured; use %m ({} gaps between statements of a transaction were not timed, and none is counted as a pause).",
            count(t.gaps_unmeasurable)
        ));
    }
    s
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
        let r = burst_row(&b, false);
        assert_eq!(r.example, "pg.log:42 at 10:00: 7 executions in 3 ms");
        assert!(r.parent.starts_with("(none seen"));
        assert_eq!(burst_row(&NPlusOneReport::default(), false).example, "");
        let b = NPlusOneReport {
            example_duration_ms: Some(1000),
            ..b
        };
        assert_eq!(
            burst_row(&b, true).example,
            "pg.log:42 at 10:00: 7 executions in under 2 s (whole-second timestamps)"
        );
    }

    #[test]
    fn pauses_say_why_when_no_transaction_was_seen() {
        assert!(pauses(&TransactionPauses::default(), None).starts_with("No explicit transaction"));
        let t = TransactionPauses {
            transactions: 3,
            max_gap_at: Some("pg.log:9".into()),
            ..Default::default()
        };
        assert!(pauses(&t, None).starts_with("3 explicit transactions"));
        assert!(pauses(&t, None).contains(", ending at pg.log:9"));
    }

    #[test]
    fn pauses_timed_by_whole_seconds_say_so() {
        let w = Some("The log's timestamps have whole seconds (%t)");
        let mut t = TransactionPauses {
            transactions: 16,
            gaps_unmeasurable: 48,
            pause_threshold_ms: 100,
            ..Default::default()
        };
        assert_eq!(
            pauses(&t, w),
            "16 explicit transactions: no gap between their statements could be timed. \
             The log's timestamps have whole seconds (%t): pauses under 2 s cannot be measured; \
             use %m (48 gaps between statements of a transaction were not timed, and none is counted as a pause)."
        );
        t.statements = 4;
        t.long_gaps = 4;
        t.approximate_pauses = 4;
        t.long_gap_ms = 10_000.0;
        t.total_gap_ms = 10_000.0;
        t.max_gap_ms = 3000.0;
        t.max_gap_approximate = true;
        let s = pauses(&t, w);
        assert!(
            s.starts_with("16 explicit transactions, 4 statements inside them: 4 pauses of 100 ms or more between statements (about 10 s in all, ±1 s each; longest about 3 s), about 10 s of pauses in all. The log's"),
            "{s}"
        );
        t.approximate_pauses = 1;
        assert!(pauses(&t, w).contains("(10.00 s in all, 1 of them ±1 s;"));
    }
}
