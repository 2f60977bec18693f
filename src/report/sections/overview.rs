//! "In short": the report's opening sentences and the five findings with the
//! most time at stake, each with its first step.

use super::findings::{self, FindingRow};
use crate::analyze::Audit;
use crate::report::rows::Card;
use crate::units::{count, duration_ms, plural};
use askama::Template;

#[derive(Debug, Default, Template)]
#[template(path = "sections/overview.html")]
pub struct OverviewSection {
    /// The headline figures: window, executions, statement time, errors, sessions.
    pub headline: Vec<Card>,
    pub sentences: Vec<String>,
    /// The first five findings, their change cut to 160 characters.
    pub top: Vec<FindingRow>,
}

pub fn build(a: &Audit, top: usize) -> OverviewSection {
    OverviewSection {
        headline: headline(a),
        sentences: a.first_screen.sentences.clone(),
        top: findings::rows(a, top)
            .into_iter()
            .take(5)
            .map(|f| FindingRow {
                change: crate::units::short(&f.change, 160),
                ..f
            })
            .collect(),
    }
}

/// One line of headline figures above the findings.
fn headline(a: &Audit) -> Vec<Card> {
    let s = &a.summary;
    let errors: u64 = a.activity.errors.iter().map(|e| e.count).sum();
    let sessions = &a.activity.sessions;
    let mut cards = vec![Card {
        label: "Window",
        value: match (&s.first_ts, &s.last_ts) {
            (Some(f), Some(l)) if f.get(..10) == l.get(..10) => {
                format!("{} to {}", short_time(f), short_time(l))
            }
            // another day: month, day and minute
            (Some(f), Some(l)) => format!(
                "{} to {}",
                f.get(5..16).unwrap_or(f),
                l.get(5..16).unwrap_or(l)
            ),
            _ => "no timestamps".into(),
        },
        note: match (&s.first_ts, &s.last_ts) {
            (Some(f), _) => format!("from {f} ({})", s.time_zone),
            _ => String::new(),
        },
    }];
    cards.push(Card {
        label: "Executions",
        value: count(s.executions),
        note: plural(s.distinct_queries, "normalized query", "normalized queries"),
    });
    cards.push(Card {
        label: "Statement time",
        value: duration_ms(s.total_duration_ms),
        note: "sum of the logged durations".into(),
    });
    cards.push(Card {
        label: "Errors",
        value: count(errors),
        note: plural(a.activity.deadlocks.count, "deadlock", "deadlocks"),
    });
    cards.push(Card {
        label: "Sessions",
        value: count(sessions.connections_authorized),
        note: match sessions.peak_concurrent {
            Some(p) => format!("peak {} at once", count(p as u64)),
            None => "peak not known (log_connections off)".into(),
        },
    });
    cards
}

/// `2026-11-27 10:58:58.710` -> `10:58:58`; a time on another day keeps its date.
fn short_time(t: &str) -> String {
    t.get(11..19).map_or_else(|| t.to_string(), str::to_string)
}
