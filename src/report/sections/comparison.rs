//! "Before and after": this run against `--baseline`, with the queries that got
//! slower or faster.

use crate::analyze::Audit;
use crate::analyze::compare::QueryChange;
use crate::units::{count, duration_ms, opt_duration_ms};
use askama::Template;

/// At most this many slower (or faster) queries are listed.
const LISTED: usize = 25;

/// One query's change between the runs: `before -> after`.
#[derive(Debug, Clone, Default)]
pub struct ChangeRow {
    pub query: String,
    pub p95: String,
    /// The p95 change in percent, signed.
    pub change: String,
    pub mean: String,
    pub executions: String,
}

#[derive(Debug, Default, Template)]
#[template(path = "sections/comparison.html")]
pub struct ComparisonSection {
    /// The comparison in one sentence; `None` without a baseline.
    pub comparison: Option<String>,
    pub regressions: Vec<ChangeRow>,
    pub improvements: Vec<ChangeRow>,
}

pub fn build(a: &Audit, _top: usize) -> ComparisonSection {
    let Some(c) = &a.comparison else {
        return ComparisonSection::default();
    };
    ComparisonSection {
        comparison: Some(format!(
            "Against {}: executions {} -> {}, total time {} -> {}; {} queries slower (p95 +20% or more), {} faster, {} only before, {} only now.",
            c.baseline,
            count(c.before_executions),
            count(c.after_executions),
            duration_ms(c.before_total_ms),
            duration_ms(c.after_total_ms),
            c.regressions.len(),
            c.improvements.len(),
            c.only_before,
            c.only_after
        )),
        regressions: c.regressions.iter().take(LISTED).map(change_row).collect(),
        improvements: c.improvements.iter().take(LISTED).map(change_row).collect(),
    }
}

fn change_row(c: &QueryChange) -> ChangeRow {
    ChangeRow {
        query: c.normalized.clone(),
        p95: format!(
            "{} -> {}",
            duration_ms(c.before_p95_ms),
            duration_ms(c.after_p95_ms)
        ),
        change: format!("{:+.0}%", c.p95_change * 100.0),
        mean: format!(
            "{} -> {}",
            opt_duration_ms(c.before_mean_ms),
            opt_duration_ms(c.after_mean_ms)
        ),
        executions: format!("{} -> {}", count(c.before_count), count(c.after_count)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_row_shows_before_and_after_and_the_signed_change() {
        let c = QueryChange {
            normalized: "select 1".into(),
            before_p95_ms: 10.0,
            after_p95_ms: 15.0,
            p95_change: 0.5,
            before_count: 1000,
            after_count: 2000,
            ..Default::default()
        };
        let r = change_row(&c);
        assert_eq!(r.change, "+50%");
        assert_eq!(r.executions, "1,000 -> 2,000");
        assert!(r.p95.contains(" -> "));
        let faster = change_row(&QueryChange {
            p95_change: -0.25,
            ..c
        });
        assert_eq!(faster.change, "-25%");
    }
}
