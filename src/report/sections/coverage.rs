//! "Input coverage": how every input line was counted, per file, with the first
//! unrecognized lines and why a file was skipped or not fully read.

use crate::analyze::{Audit, AuditCoverage};
use crate::report::rows::Card;
use crate::units::{bytes, count, percent};
use askama::Template;

/// One unrecognized line: its number and text.
#[derive(Debug, Clone, Default)]
pub struct ExampleLine {
    pub line: u64,
    pub text: String,
}

/// One input file's coverage, formatted.
#[derive(Debug, Clone, Default)]
pub struct FileRow {
    pub path: String,
    pub size: String,
    /// Format, compression and log_line_prefix.
    pub prefix: String,
    pub lines: String,
    pub parsed: String,
    pub ignored: String,
    pub unrecognized: String,
    pub invalid_utf8: String,
    pub error: String,
    pub skipped: String,
    /// How a statistics CSV was spelled, when not as psql writes it.
    pub dialect: String,
    /// Columns a statistics CSV lacks, with what they would have shown.
    pub missing_columns: String,
    pub ignored_kinds: String,
    pub examples: Vec<ExampleLine>,
    /// What was done to read the file as lines (cut, bare CRs).
    pub reading: Vec<String>,
    /// Lines refused (impossible durations): why, and the first of them.
    pub rejected: String,
    pub rejected_examples: Vec<ExampleLine>,
}

#[derive(Debug, Default, Template)]
#[template(path = "sections/coverage.html")]
pub struct CoverageSection {
    pub cov_cards: Vec<Card>,
    /// Statistics CSVs that fed nothing: (path, why).
    pub stats_unused: Vec<(String, String)>,
    /// Log files, and statistics CSVs with something to say.
    pub files: Vec<FileRow>,
    /// Statistics CSVs read as expected (path, what they were read as): folded.
    pub csvs_read: Vec<(String, String)>,
    /// The run's filters, one phrase each.
    pub filters: Vec<String>,
    /// Lines left out by the filters, by why, over every file.
    pub filtered_by: Vec<(String, String)>,
    /// Databases whose statistics `--database` left out.
    pub statistics_filtered: Vec<String>,
}

pub fn build(a: &Audit, _top: usize) -> CoverageSection {
    let c = &a.coverage;
    CoverageSection {
        cov_cards: cards(c),
        stats_unused: c
            .statistics_unused
            .iter()
            .map(|u| (u.path.clone(), u.reason.clone()))
            .collect(),
        files: c
            .files
            .iter()
            .filter(|f| !quiet_csv(f))
            .map(file_row)
            .collect(),
        csvs_read: c
            .files
            .iter()
            .filter(|f| quiet_csv(f))
            .map(|f| (f.path.clone(), f.format.clone().unwrap_or_default()))
            .collect(),
        filters: c.filters.clone(),
        filtered_by: {
            let mut by: std::collections::BTreeMap<&str, u64> = Default::default();
            for f in &c.files {
                for (why, n) in &f.filtered_by {
                    *by.entry(why).or_default() += n;
                }
            }
            by.into_iter()
                .map(|(k, v)| (k.to_string(), count(v)))
                .collect()
        },
        statistics_filtered: c.statistics_filtered.clone(),
    }
}

fn cards(c: &AuditCoverage) -> Vec<Card> {
    let share = |n: u64| {
        if c.lines_total == 0 {
            String::new()
        } else {
            percent(n as f64 / c.lines_total as f64)
        }
    };
    let mut cards = vec![
        Card {
            label: "Parsed",
            value: count(c.lines_parsed),
            note: format!("{} of lines: fed the analysis", share(c.lines_parsed)),
        },
        Card {
            label: "Recognized, not analyzed",
            value: count(c.lines_ignored),
            note: format!(
                "{} of lines: PostgreSQL output this version does not analyze yet",
                share(c.lines_ignored)
            ),
        },
        Card {
            label: "Unrecognized",
            value: count(c.lines_unrecognized),
            note: format!(
                "{} of lines: not PostgreSQL output as far as pgsift can tell",
                share(c.lines_unrecognized)
            ),
        },
        Card {
            label: "Refused",
            value: count(c.lines_rejected),
            note: format!(
                "{} of lines: entries pgsift will not count (impossible durations); see the files below",
                share(c.lines_rejected)
            ),
        },
        Card {
            label: "Filtered out",
            value: count(c.lines_filtered),
            note: format!(
                "{} of lines: entries this run's filters left out",
                share(c.lines_filtered)
            ),
        },
        Card {
            label: "Invalid UTF-8",
            value: count(c.invalid_utf8_lines),
            note: "lines read with replacement characters".into(),
        },
    ];
    if c.filters.is_empty() && c.lines_filtered == 0 {
        cards.retain(|k| k.label != "Filtered out");
    }
    if c.lines_rejected == 0 {
        cards.retain(|k| k.label != "Refused");
    }
    cards
}

/// A statistics CSV read as expected (no error, no missing column, nothing
/// unrecognized, written as psql writes it): listed apart, folded.
fn quiet_csv(f: &crate::aggregate::coverage::FileCoverage) -> bool {
    f.format.as_deref().is_some_and(|x| x.starts_with("csv: "))
        && f.error.is_none()
        && f.skipped.is_none()
        && f.missing_columns.is_empty()
        && f.lines_unrecognized == 0
        && f.lines_rejected == 0
        && f.lines_cut == 0
        && f.dialect.is_none()
}

fn file_row(f: &crate::aggregate::coverage::FileCoverage) -> FileRow {
    FileRow {
        path: f.path.clone(),
        size: bytes(f.bytes),
        prefix: {
            let prefix = match (&f.prefix, f.prefix_detected) {
                (Some(p), true) => format!(", prefix '{p}' (detected)"),
                (Some(p), false) => format!(", prefix '{p}' (given)"),
                (None, _) => String::new(),
            };
            let compression = f
                .compression
                .as_deref()
                .map(|c| format!(" ({c})"))
                .unwrap_or_default();
            format!(
                "{}{compression}{prefix}",
                f.format.as_deref().unwrap_or("-")
            )
        },
        lines: count(f.lines_total),
        parsed: count(f.lines_parsed),
        ignored: count(f.lines_ignored),
        unrecognized: count(f.lines_unrecognized),
        invalid_utf8: count(f.invalid_utf8_lines),
        error: f.error.clone().unwrap_or_default(),
        skipped: f.skipped.clone().unwrap_or_default(),
        dialect: f.dialect.clone().unwrap_or_default(),
        missing_columns: f.missing_columns.join("; "),
        ignored_kinds: f
            .ignored_by_kind
            .iter()
            .map(|(k, v)| format!("{k} {}", count(*v)))
            .collect::<Vec<_>>()
            .join(", "),
        examples: examples(&f.unrecognized_examples),
        reading: reading_notes(f),
        rejected: f
            .rejected_by
            .iter()
            .map(|(k, v)| format!("{} {k}", crate::units::plural(*v, "line", "lines")))
            .collect::<Vec<_>>()
            .join(", "),
        rejected_examples: examples(&f.rejected_examples),
    }
}

/// What reading the file as lines took, said plainly.
fn reading_notes(f: &crate::aggregate::coverage::FileCoverage) -> Vec<String> {
    let mut out = Vec::new();
    if f.lines_cut > 0 {
        out.push(format!(
            "{} longer than 64 MiB cut at 64 MiB (the rest of each skipped: memory stays bounded on an endless line)",
            crate::units::plural(f.lines_cut, "line", "lines")
        ));
    }
    if f.statements_cut > 0 {
        out.push(format!(
            "{} longer than 1 MiB grouped and shown on their first MiB",
            crate::units::plural(f.statements_cut, "statement", "statements")
        ));
    }
    if f.bare_cr {
        out.push("Lines end in a bare CR (no LF): each CR was read as a line end".into());
    }
    out
}

fn examples(e: &[(u64, String)]) -> Vec<ExampleLine> {
    e.iter()
        .map(|(line, text)| ExampleLine {
            line: *line,
            text: text.clone(),
        })
        .collect()
}
