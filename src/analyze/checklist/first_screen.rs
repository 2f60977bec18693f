//! The report's first screen: three to six sentences saying what is wrong,
//! what it costs, what to do first and how to undo it, whether the log's
//! clock makes its derived timings approximate, and how many checklist items
//! lack the data to judge.

use crate::analyze::Audit;
use crate::analyze::findings::{Finding, FirstScreen, Kind, Status};
use crate::units::{duration_ms as ms, short};

/// Findings named in the first sentence (and whose time is summed).
const TOP: usize = 3;

/// Three to six sentences: what is wrong, what it costs, what to do first,
/// whether timings are approximate.
/// Reads the audit's checklist, so it comes after it.
pub(crate) fn first_screen(a: &Audit, findings: &[Finding]) -> FirstScreen {
    let mut s = Vec::new();
    match findings.first() {
        None => s.push("No problem stands out in these inputs.".to_string()),
        Some(first) => {
            let high = findings
                .iter()
                .filter(|f| f.severity == crate::analyze::findings::Severity::High)
                .count();
            s.push(format!(
                "What is wrong: {}, {high} of high severity; first: {}.",
                crate::units::plural(findings.len() as u64, "finding", "findings"),
                first.title
            ));
            s.extend(cost(
                findings,
                a.summary.total_duration_ms,
                a.transaction_pauses.approximate_pauses > 0,
            ));
            s.extend(do_first(first));
        }
    }
    s.extend(clock(a));
    s.extend(statistics_unused(a));
    let lacking = a
        .checklist
        .iter()
        .filter(|c| c.status == Status::NotEnoughData)
        .count();
    if lacking > 0 {
        s.push(format!(
            "{} the data to judge; the checklist names what to collect.",
            crate::units::plural(
                lacking as u64,
                "checklist item lacks",
                "checklist items lack"
            )
        ));
    }
    FirstScreen { sentences: s }
}

/// The time the top findings involve, against the log's statement time; none
/// when either is unknown. Time outside statements (pauses inside
/// transactions) is not statement time: it is said beside it, never added.
fn cost(findings: &[Finding], total: f64, pauses_approximate: bool) -> Option<String> {
    // the first TOP findings whose time is measured
    let top: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.time_at_stake_ms.is_some())
        .take(TOP)
        .collect();
    let inside: f64 = top
        .iter()
        .filter(|f| f.kind != Kind::IdleInTransaction)
        .filter_map(|f| f.time_at_stake_ms)
        .sum();
    let outside: f64 = top
        .iter()
        .filter(|f| f.kind == Kind::IdleInTransaction)
        .filter_map(|f| f.time_at_stake_ms)
        .sum();
    if total <= 0.0 || inside + outside <= 0.0 {
        return None;
    }
    let mut s = if inside > 0.0 {
        format!(
            "The top findings involve {} of the {} of statement time the log shows ({:.0}%; time at stake can overlap between findings: an index fixes a slow query)",
            ms(inside.min(total)),
            ms(total),
            (inside / total * 100.0).min(100.0)
        )
    } else {
        format!("The log shows {} of statement time", ms(total))
    };
    if outside > 0.0 {
        s.push_str(&format!(
            ", and {}{} lost between the statements of open transactions (outside the database, not part of that time)",
            if pauses_approximate { "about " } else { "" },
            ms(outside)
        ));
    }
    s.push('.');
    Some(s)
}

/// When timestamps have whole seconds, that the timings derived from them
/// (pauses, the peak of sessions) are approximate, and how to fix it.
fn clock(a: &Audit) -> Option<String> {
    a.whole_seconds()
        .map(|w| format!("{w}: derived timings are approximate; set log_line_prefix to use %m."))
}

/// When at least half of the statistics CSVs fed nothing: how many, why, and
/// the export that pgsift reads fully.
fn statistics_unused(a: &Audit) -> Option<String> {
    let c = &a.coverage;
    let unused = c.statistics_unused.len() as u64;
    if unused == 0 || unused * 2 < c.statistics_files {
        return None;
    }
    let mut reasons: Vec<&str> = c
        .statistics_unused
        .iter()
        .map(|u| u.reason.split(':').next().unwrap_or(""))
        .collect();
    reasons.sort_unstable();
    reasons.dedup();
    reasons.truncate(3);
    Some(format!(
        "{unused} of the {} statistics CSVs were not used ({}; the input coverage section lists each): export with `pgsift export-script > export.psql`, then `psql -d DB -X -q -f export.psql` in one folder per database.",
        c.statistics_files,
        reasons.join("; ")
    ))
}

/// The first finding's change and target, then its rollback.
fn do_first(f: &Finding) -> [String; 2] {
    let change = short(&f.change, 220);
    let stop = if change.ends_with('.') || change.ends_with(';') {
        ""
    } else {
        "."
    };
    [
        format!("Do first: {change}{stop} Target: {}.", f.target),
        format!("Roll back with: {}", short(&f.rollback, 160)),
    ]
}

#[cfg(test)]
mod tests {
    use super::super::test_support::finding;
    use super::*;
    use crate::analyze::findings::{CheckItem, Kind};

    fn timed(title: &str, ms: Option<f64>) -> Finding {
        let mut f = finding(Kind::SlowQuery, "add an index", "drop it");
        f.title = title.into();
        f.time_at_stake_ms = ms;
        f.target = "p95 under 50 ms".into();
        f
    }

    #[test]
    fn no_finding_says_so() {
        let s = first_screen(&Audit::default(), &[]).sentences;
        assert_eq!(s, ["No problem stands out in these inputs."]);
    }

    #[test]
    fn findings_give_what_cost_and_what_to_do() {
        let mut a = Audit::default();
        a.summary.total_duration_ms = 10_000.0;
        let findings = [
            timed("A", Some(2000.0)),
            timed("B", None),
            timed("C", Some(500.0)),
            timed("D", Some(7000.0)),
        ];
        let s = first_screen(&a, &findings).sentences;
        assert_eq!(s.len(), 4);
        assert_eq!(
            s[0],
            "What is wrong: 4 findings, 0 of high severity; first: A."
        );
        // The first three measured findings: A, C and D.
        assert!(
            s[1].starts_with("The top findings involve 9.50 s of the 10.00 s of statement time the log shows (95%;"),
            "{}",
            s[1]
        );
        assert_eq!(s[2], "Do first: add an index. Target: p95 under 50 ms.");
        assert_eq!(s[3], "Roll back with: drop it");
    }

    #[test]
    fn pauses_outside_statements_are_said_beside_statement_time_never_added() {
        let mut a = Audit::default();
        a.summary.total_duration_ms = 18_590.0;
        let mut pauses = timed("P", Some(4_780.0));
        pauses.kind = Kind::IdleInTransaction;
        let findings = [timed("L", Some(6_260.0)), pauses, timed("Q", Some(9_650.0))];
        let s = first_screen(&a, &findings).sentences;
        assert_eq!(
            s[1],
            "The top findings involve 15.91 s of the 18.59 s of statement time the log shows (86%; time at stake can overlap between findings: an index fixes a slow query), and 4.78 s lost between the statements of open transactions (outside the database, not part of that time)."
        );
        // pauses timed by a whole-second clock are approximate, and say so
        a.transaction_pauses.approximate_pauses = 1;
        let s = first_screen(&a, &findings).sentences;
        assert!(s[1].contains(", and about 4.78 s lost between"), "{}", s[1]);
        // overlapping findings never make a share above 100%
        let s = first_screen(&a, &[timed("X", Some(20_000.0)), timed("Y", Some(690.0))]).sentences;
        assert!(
            s[1].contains("18.59 s of the 18.59 s") && s[1].contains("(100%;"),
            "{}",
            s[1]
        );
    }

    #[test]
    fn no_measured_time_leaves_the_cost_out() {
        let mut a = Audit::default();
        a.summary.total_duration_ms = 10_000.0;
        let s = first_screen(&a, &[timed("A", None)]).sentences;
        assert_eq!(s.len(), 3);
        let s = first_screen(&Audit::default(), &[timed("A", Some(5.0))]).sentences;
        assert_eq!(s.len(), 3);
    }

    #[test]
    fn a_change_ending_a_sentence_gets_no_second_stop() {
        let mut f = timed("A", None);
        f.change = "VACUUM t;".into();
        assert_eq!(
            do_first(&f)[0],
            "Do first: VACUUM t; Target: p95 under 50 ms."
        );
    }

    #[test]
    fn whole_second_timestamps_are_named_with_the_fix() {
        let mut a = Audit::default();
        a.summary.approximate = true;
        a.summary.clock_resolution = Some("1s".into());
        let s = first_screen(&a, &[]).sentences;
        assert_eq!(
            s[1],
            "The log's timestamps have whole seconds (%t): derived timings are approximate; set log_line_prefix to use %m."
        );
        a.summary.clock_resolution = Some("mixed".into());
        a.coverage
            .files
            .push(crate::aggregate::coverage::FileCoverage {
                format: Some("syslog".into()),
                clock: Some("1s".into()),
                ..Default::default()
            });
        let s = first_screen(&a, &[]).sentences;
        assert!(s[1].starts_with("Some of the logs' timestamps have whole seconds (syslog)"));
        a.summary.approximate = false;
        assert_eq!(first_screen(&a, &[]).sentences.len(), 1);
    }

    #[test]
    fn mostly_unused_statistics_are_said_with_the_export_that_works() {
        use crate::analyze::stats::UnusedStats;
        let mut a = Audit::default();
        a.coverage.statistics_files = 4;
        let unused = |why: &str| UnusedStats {
            path: "x.csv".into(),
            reason: why.into(),
        };
        a.coverage.statistics_unused = vec![unused("pg_stat_archiver: recognized, not analyzed")];
        assert_eq!(first_screen(&a, &[]).sentences.len(), 1);
        a.coverage.statistics_unused.push(unused(
            "a CSV whose columns (a, b) are not a statistics view pgsift reads",
        ));
        let s = first_screen(&a, &[]).sentences;
        assert_eq!(s.len(), 2);
        assert!(
            s[1].starts_with("2 of the 4 statistics CSVs were not used (a CSV whose columns (a, b) are not a statistics view pgsift reads; pg_stat_archiver;"),
            "{}",
            s[1]
        );
        assert!(s[1].contains("pgsift export-script"));
    }

    #[test]
    fn items_lacking_data_are_counted() {
        let mut a = Audit::default();
        for status in [Status::NotEnoughData, Status::Pass, Status::NotEnoughData] {
            a.checklist.push(CheckItem {
                item: String::new(),
                status,
                evidence: String::new(),
                link: String::new(),
                needs: None,
            });
        }
        let s = first_screen(&a, &[]).sentences;
        assert_eq!(
            s[1],
            "2 checklist items lack the data to judge; the checklist names what to collect."
        );
    }
}
