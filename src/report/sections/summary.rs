//! "Summary": the headline figures of the log and the notes on what was not
//! timed, hidden or taken as UTC.

use crate::analyze::{Audit, AuditSummary};
use crate::report::rows::Card;
use crate::units::{count, duration_ms};
use askama::Template;

#[derive(Debug, Default, Template)]
#[template(path = "sections/summary.html")]
pub struct SummarySection {
    pub cards: Vec<Card>,
    pub notes: Vec<String>,
}

pub fn build(a: &Audit, _top: usize) -> SummarySection {
    let s = &a.summary;
    let c = &a.coverage;
    let cards = vec![
        Card {
            label: "Executions",
            value: count(s.executions),
            note: format!("timed statements, {} log entries", count(s.entries)),
        },
        Card {
            label: "Total query time",
            value: duration_ms(s.total_duration_ms),
            note: "sum of execution durations".into(),
        },
        Card {
            label: "Normalized queries",
            value: count(s.distinct_queries),
            note: "distinct after normalization".into(),
        },
        Card {
            label: "Lines read",
            value: count(c.lines_total),
            note: format!("{} unrecognized", count(c.lines_unrecognized)),
        },
    ];
    let mut notes = notes(s);
    if let Some(w) = a.whole_seconds() {
        notes.push(format!(
            "{w}: times are shown to the second, and what is derived from them (pauses inside transactions, the peak of concurrent sessions, the span of a burst) is approximate, to about a second; set log_line_prefix to use %m."
        ));
    }
    SummarySection { cards, notes }
}

/// What the figures leave out, one sentence each.
fn notes(s: &AuditSummary) -> Vec<String> {
    let mut notes = Vec::new();
    if !s.values_shown {
        notes.push("Literal values and bind parameters are hidden ($n); run with --show-values to show them.".into());
    }
    if s.untimed_statements > 0 {
        notes.push(format!(
            "{} statements were logged without a duration (log_statement without log_duration); they are counted per query but not timed.",
            count(s.untimed_statements)
        ));
    }
    if s.unattributed_durations > 0 {
        notes.push(format!(
            "{} bare duration lines ({}) had no statement text to attach to (with log_duration, parse and bind steps are logged this way); they are not in the query totals.",
            count(s.unattributed_durations),
            duration_ms(s.unattributed_duration_ms)
        ));
    }
    if s.parse_count + s.bind_count > 0 {
        notes.push(format!(
            "Extended protocol: {} parse steps ({}) and {} bind steps ({}) are timed separately and not counted as executions.",
            count(s.parse_count),
            duration_ms(s.parse_ms),
            count(s.bind_count),
            duration_ms(s.bind_ms)
        ));
    }
    if s.time_zones.len() > 1 {
        notes.push(format!(
            "The logs use several time zones ({}); every time is shown in {} (UTC{}).",
            s.time_zones.join(", "),
            s.time_zone,
            s.time_zone_offset
        ));
    }
    for z in &s.unknown_time_zones {
        notes.push(if z == "syslog" {
            "syslog timestamps carry no zone and no year: times are shown as written; the year comes from the file's modification time.".to_string()
        } else {
            format!("The time zone '{z}' is not one pgsift knows; its times were taken as UTC.")
        });
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_name_hidden_values_and_unknown_zones() {
        let s = AuditSummary {
            values_shown: true,
            unknown_time_zones: vec!["syslog".into(), "XYZ".into()],
            ..Default::default()
        };
        let n = notes(&s);
        assert_eq!(n.len(), 2);
        assert!(n[0].starts_with("syslog timestamps carry no zone"));
        assert!(n[1].contains("'XYZ'"));
        assert!(notes(&AuditSummary::default())[0].contains("--show-values"));
    }
}
