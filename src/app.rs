//! Application: wires the pipeline (input -> parse -> aggregate -> analyze -> report
//! -> output) for one `pgsift report` run. The only module that knows every layer.

use crate::aggregate::{Aggregate, AggregateOptions, FileAggregator, Merge};
use crate::analyze::{Audit, analyze};
use crate::cli::Config;
use crate::input::{InputFile, LineReader, discover};
use crate::parse::StderrParser;
use crate::parse::prefix::{LinePrefix, detect};
use crate::{output, report};
use anyhow::{Context, bail};
use rayon::prelude::*;

/// Lines read from the start of a file to detect its prefix.
const DETECTION_SAMPLE: usize = 1000;

/// What a finished run reports back to `main`.
#[derive(Debug)]
pub struct RunOutcome {
    pub audit: Audit,
}

impl RunOutcome {
    /// Some input could not be read (a file, or a file's format).
    pub fn had_unreadable_input(&self) -> bool {
        self.audit.coverage.files_unreadable > 0
    }
}

/// Runs `pgsift report`.
pub fn run(config: &Config) -> anyhow::Result<RunOutcome> {
    let (files, missing) = discover(&config.paths);
    if files.is_empty() {
        let what: Vec<String> = missing
            .iter()
            .map(|e| format!("{}: {}", e.path.display(), e.message))
            .collect();
        bail!(
            "no input files found{}",
            if what.is_empty() {
                String::new()
            } else {
                format!(" ({})", what.join("; "))
            }
        );
    }
    let prefix = config.prefix.as_deref().map(LinePrefix::compile);
    let opts = AggregateOptions {
        show_values: config.show_values,
        slowest: config.top,
    };
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(n) = config.threads {
        builder = builder.num_threads(n);
    }
    let pool = builder.build().context("starting worker threads")?;
    let mut agg = pool.install(|| {
        files
            .par_iter()
            .fold(Aggregate::default, |mut acc, f| {
                acc.merge(read_file(f, prefix.as_ref(), opts));
                acc
            })
            .reduce(Aggregate::default, |mut a, b| {
                a.merge(b);
                a
            })
    });
    for m in missing {
        let path = m.path.display().to_string();
        let mut fc = crate::aggregate::coverage::FileCoverage::new(&path);
        fc.error = Some(m.message);
        agg.coverage.files.insert(path, fc);
    }
    let audit = analyze(&agg, config.show_values);
    let html = report::html::render(&audit, config.top);
    output::write_atomic(&config.output, html.as_bytes())
        .with_context(|| format!("writing {}", config.output.display()))?;
    if let Some(j) = &config.json {
        output::write_atomic(j, &report::json::render(&audit))
            .with_context(|| format!("writing {}", j.display()))?;
    }
    Ok(RunOutcome { audit })
}

/// Reads one log file into an aggregate. Never fails: problems are recorded in the
/// file's coverage.
pub fn read_file(
    input: &InputFile,
    given: Option<&LinePrefix>,
    opts: AggregateOptions,
) -> Aggregate {
    let path = input.path.as_path();
    let name = path.display().to_string();
    let mut agg = FileAggregator::new(&name, opts);
    let mut reader = match LineReader::open(path) {
        Ok(r) => r,
        Err(e) => {
            agg.coverage_mut().error = Some(format!("cannot open: {e}"));
            return agg.finish(&[]);
        }
    };
    let mut read_error = None;
    let mut sample: Vec<(String, bool)> = Vec::new();
    while sample.len() < DETECTION_SAMPLE {
        match reader.next_line() {
            Ok(Some(l)) => sample.push((l.text.into_owned(), l.invalid_utf8)),
            Ok(None) => break,
            Err(e) => {
                read_error = Some(e);
                break;
            }
        }
    }
    let prefix = match given {
        Some(p) => Some(p.clone()),
        None => {
            let lines: Vec<&str> = sample.iter().map(|(l, _)| l.as_str()).collect();
            detect(&lines).map(|d| d.prefix)
        }
    };
    let cov = agg.coverage_mut();
    cov.prefix = prefix.as_ref().map(|p| p.source().to_string());
    cov.prefix_detected = given.is_none() && prefix.is_some();
    let Some(prefix) = prefix else {
        if !input.explicit {
            let cov = agg.coverage_mut();
            cov.skipped = Some("not recognized as a PostgreSQL stderr log (no log_line_prefix matched its first lines)".into());
            cov.bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
            return agg.finish(&[]);
        }
        // Not a log we can read: count every line as unrecognized, with examples.
        agg.coverage_mut().error = Some(
            "could not detect the log_line_prefix: no known or inferred prefix matches at least half of the \
             first lines; pass the server's setting with --prefix '...'"
                .into(),
        );
        let mut n = 0;
        let mut count = |agg: &mut FileAggregator, text: &str, bad: bool| {
            n += 1;
            agg.line_read(bad);
            agg.coverage_mut().unrecognized(n, text);
        };
        for (l, bad) in &sample {
            count(&mut agg, l, *bad);
        }
        if read_error.is_none() {
            loop {
                match reader.next_line() {
                    Ok(Some(l)) => {
                        let (t, b) = (l.text.into_owned(), l.invalid_utf8);
                        count(&mut agg, &t, b);
                    }
                    Ok(None) => break,
                    Err(e) => {
                        read_error = Some(e);
                        break;
                    }
                }
            }
        }
        let cov = agg.coverage_mut();
        cov.bytes = reader.bytes();
        if let Some(e) = read_error {
            let msg = cov.error.take().unwrap_or_default();
            cov.error = Some(format!(
                "{msg}; read error after {} bytes: {e}",
                reader.bytes()
            ));
        }
        return agg.finish(&[]);
    };
    let mut parser = StderrParser::new(prefix);
    for (l, bad) in &sample {
        agg.line_read(*bad);
        parser.push_line(l, &mut |e| agg.add(e));
    }
    drop(sample);
    if read_error.is_none() {
        loop {
            match reader.next_line() {
                Ok(Some(l)) => {
                    agg.line_read(l.invalid_utf8);
                    parser.push_line(&l.text, &mut |e| agg.add(e));
                }
                Ok(None) => break,
                Err(e) => {
                    read_error = Some(e);
                    break;
                }
            }
        }
    }
    parser.finish(&mut |e| agg.add(e));
    let cov = agg.coverage_mut();
    cov.bytes = reader.bytes();
    if cov.lines_total > 0 && cov.lines_parsed + cov.lines_ignored == 0 {
        cov.error = Some(format!(
            "no line matched the log_line_prefix '{}'; check the server's setting and pass it with --prefix '...'",
            cov.prefix.as_deref().unwrap_or_default()
        ));
    }
    if let Some(e) = read_error {
        cov.error = Some(format!("read error after {} bytes: {e}", reader.bytes()));
    }
    let zones = parser.zones().to_vec();
    agg.finish(&zones)
}

/// Validates the arguments, runs, prints a one-paragraph summary on stderr and
/// returns the exit code.
pub fn main_report(args: crate::cli::ReportArgs) -> std::process::ExitCode {
    use std::process::ExitCode;
    let config = match args.into_config() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("pgsift: error: {e}");
            return ExitCode::from(2);
        }
    };
    match run(&config) {
        Ok(outcome) => {
            let a = &outcome.audit;
            let c = &a.coverage;
            eprintln!(
                "pgsift: {} executions of {} normalized queries ({:.1} s) from {} file(s); wrote {}",
                a.summary.executions,
                a.summary.distinct_queries,
                a.summary.total_duration_ms / 1000.0,
                c.files_total,
                config.output.display()
            );
            eprintln!(
                "pgsift: lines: {} parsed, {} recognized but not analyzed, {} unrecognized (of {})",
                c.lines_parsed, c.lines_ignored, c.lines_unrecognized, c.lines_total
            );
            for f in c.files.iter().filter(|f| f.error.is_some()) {
                eprintln!(
                    "pgsift: warning: {}: {}",
                    f.path,
                    f.error.as_deref().unwrap_or_default()
                );
                for (n, l) in f.unrecognized_examples.iter().take(3) {
                    eprintln!("pgsift:   line {n}: {l}");
                }
            }
            let skipped: Vec<&str> = c
                .files
                .iter()
                .filter(|f| f.skipped.is_some())
                .map(|f| f.path.as_str())
                .collect();
            if !skipped.is_empty() {
                eprintln!(
                    "pgsift: skipped {} file(s) that are not PostgreSQL logs: {}",
                    skipped.len(),
                    skipped.join(", ")
                );
            }
            if outcome.had_unreadable_input() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            eprintln!("pgsift: error: {e:#}");
            ExitCode::from(2)
        }
    }
}
