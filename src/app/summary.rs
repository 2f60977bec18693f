//! What a run says on stderr when it is done: the one-paragraph summary of a
//! `report` (or, with `-q`, only its warnings) and the line of a `merge`.
//! Written to any [`Write`]; a stderr that cannot be written to does not change
//! the run's outcome.

use crate::analyze::Audit;
use crate::units::{count, duration_ms};
use std::io::{self, Write};
use std::path::Path;

/// The warnings of a quiet `report`: one line per file that could not be read.
pub fn report_warnings(w: &mut impl Write, audit: &Audit) -> io::Result<()> {
    for f in audit.coverage.files.iter().filter(|f| f.error.is_some()) {
        writeln!(
            w,
            "pgsift: warning: {}: {}",
            f.path,
            f.error.as_deref().unwrap_or_default()
        )?;
    }
    Ok(())
}

/// The summary of a `report` written to `output`, which took `took`.
pub fn report(
    w: &mut impl Write,
    a: &Audit,
    output: &Path,
    took: std::time::Duration,
) -> io::Result<()> {
    let c = &a.coverage;
    let s = &a.summary;
    let wrote = if output.as_os_str() == "-" {
        "the report to standard output".to_string()
    } else {
        std::path::absolute(output)
            .unwrap_or_else(|_| output.to_path_buf())
            .display()
            .to_string()
    };
    writeln!(
        w,
        "pgsift: {} execution{} of {} normalized quer{}, {} of statement time, from {} file{}; read in {:.1} s; wrote {wrote}",
        count(s.executions),
        if s.executions == 1 { "" } else { "s" },
        count(s.distinct_queries),
        if s.distinct_queries == 1 { "y" } else { "ies" },
        duration_ms(s.total_duration_ms),
        count(c.files_total),
        if c.files_total == 1 { "" } else { "s" },
        took.as_secs_f64(),
    )?;
    if !c.filters.is_empty() && c.lines_filtered > 0 && c.lines_parsed == 0 {
        writeln!(
            w,
            "pgsift: warning: the filters ({}) left no entry to analyze: check the names and times (the input coverage lists why each line was left out)",
            c.filters.join("; ")
        )?;
    }
    let mut filtered = if c.lines_filtered > 0 {
        format!(", {} filtered out", c.lines_filtered)
    } else {
        String::new()
    };
    if c.lines_rejected > 0 {
        filtered.push_str(&format!(", {} refused", c.lines_rejected));
    }
    writeln!(
        w,
        "pgsift: lines: {} parsed, {} recognized but not analyzed, {} unrecognized{filtered} (of {})",
        c.lines_parsed, c.lines_ignored, c.lines_unrecognized, c.lines_total
    )?;
    if let Some(win) = &a.stats.stats_window {
        let csvs = c
            .files
            .iter()
            .filter(|f| f.format.as_deref().is_some_and(|x| x.starts_with("csv: ")))
            .count();
        writeln!(
            w,
            "pgsift: statistics: {csvs} CSV file(s), {} database(s), {} snapshot(s), {} to {}; {} unused, {} duplicate, {} redundant index(es); {} table(s) read mostly by sequential scans",
            win.databases.len(),
            win.snapshots,
            win.start.as_deref().unwrap_or("last reset"),
            win.end.as_deref().unwrap_or("?"),
            a.stats.indexes.unused.len(),
            a.stats.indexes.duplicates.len(),
            a.stats.indexes.redundant.len(),
            a.stats.tables.seq_scan_heavy.len()
        )?;
    }
    for f in c.files.iter().filter(|f| f.lines_cut > 0) {
        writeln!(
            w,
            "pgsift: warning: {}: {} line(s) longer than 64 MiB cut at 64 MiB",
            f.path, f.lines_cut
        )?;
    }
    for f in c.files.iter().filter(|f| f.lines_rejected > 0) {
        let why: Vec<String> = f
            .rejected_by
            .iter()
            .map(|(k, v)| format!("{v} {k}"))
            .collect();
        writeln!(
            w,
            "pgsift: warning: {}: {} line(s) refused, not counted: {}",
            f.path,
            f.lines_rejected,
            why.join(", ")
        )?;
        for (n, l) in f.rejected_examples.iter().take(3) {
            writeln!(w, "pgsift:   line {n}: {l}")?;
        }
    }
    for f in c.files.iter().filter(|f| f.error.is_some()) {
        writeln!(
            w,
            "pgsift: warning: {}: {}",
            f.path,
            f.error.as_deref().unwrap_or_default()
        )?;
        for (n, l) in f.unrecognized_examples.iter().take(3) {
            writeln!(w, "pgsift:   line {n}: {l}")?;
        }
    }
    let skipped: Vec<&str> = c
        .files
        .iter()
        .filter(|f| f.skipped.is_some())
        .map(|f| f.path.as_str())
        .collect();
    if !skipped.is_empty() {
        writeln!(
            w,
            "pgsift: skipped {} file(s) that are not PostgreSQL logs: {}",
            skipped.len(),
            skipped.join(", ")
        )?;
    }
    Ok(())
}

/// The line of a `merge` of `partials` results written to `output`.
pub fn merge(w: &mut impl Write, a: &Audit, partials: usize, output: &Path) -> io::Result<()> {
    writeln!(
        w,
        "pgsift: merged {partials} partial result(s): {} executions of {} normalized queries from {} file(s); wrote {}",
        a.summary.executions,
        a.summary.distinct_queries,
        a.coverage.files_total,
        output.display()
    )
}
