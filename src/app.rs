//! Application: wires the pipeline (input -> parse -> aggregate -> analyze -> report
//! -> output) for one `pgsift report` run. The only module that knows every layer.

use crate::aggregate::{Aggregate, AggregateOptions, FileAggregator, Merge};
use crate::analyze::{AnalyzeOptions, Audit, analyze};
use crate::cli::Config;
use crate::input::sniff::{LogFormat, sniff};
use crate::input::{InputFile, LineReader, discover};
use crate::parse::prefix::LinePrefix;
use crate::parse::{LogParser, NoPrefix};
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
        bursts: Default::default(),
        show_values: config.show_values,
        slowest: config.top,
    };
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(n) = config.threads {
        builder = builder.num_threads(n);
    }
    let pool = builder.build().context("starting worker threads")?;
    let total: u64 = files
        .iter()
        .filter_map(|f| std::fs::metadata(&f.path).ok().map(|m| m.len()))
        .sum();
    let progress = (!config.quiet && std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .then(|| Progress::start(total));
    let mut agg = pool.install(|| {
        files
            .par_iter()
            .fold(Aggregate::default, |mut acc, f| {
                acc.merge(read_file_guarded(f, prefix.as_ref(), config.format, opts));
                acc
            })
            .reduce(Aggregate::default, |mut a, b| {
                a.merge(b);
                a
            })
    });
    if let Some(p) = progress {
        p.stop();
    }
    for m in missing {
        let path = m.path.display().to_string();
        let mut fc = crate::aggregate::coverage::FileCoverage::new(&path);
        fc.error = Some(m.message);
        agg.coverage.files.insert(path, fc);
    }
    if let Some(p) = &config.save_partial {
        let bytes = crate::aggregate::partial::encode(
            &agg,
            crate::aggregate::partial::PartialOptions {
                show_values: config.show_values,
                slowest: config.top,
            },
        )
        .context("encoding the partial result")?;
        output::write_atomic(p, &bytes).with_context(|| format!("writing {}", p.display()))?;
    }
    render(&agg, &Outputs::of(config))
}

/// What a run writes, and how it analyzes.
pub struct Outputs {
    pub output: std::path::PathBuf,
    pub json: Option<std::path::PathBuf>,
    pub top: usize,
    pub analyze: AnalyzeOptions,
}

impl Outputs {
    fn of(config: &Config) -> Outputs {
        Outputs {
            output: config.output.clone(),
            json: config.json.clone(),
            top: config.top,
            analyze: AnalyzeOptions {
                values_shown: config.show_values,
                tz: config.tz.clone(),
                cpu_cores: config.cpu_cores,
                baseline: config.baseline.clone(),
            },
        }
    }
}

/// Analyzes an aggregate and writes the report (and the JSON).
pub fn render(agg: &Aggregate, out: &Outputs) -> anyhow::Result<RunOutcome> {
    let audit = analyze(agg, &out.analyze);
    let html = report::html::render(&audit, out.top);
    output::write_atomic(&out.output, html.as_bytes())
        .with_context(|| format!("writing {}", out.output.display()))?;
    if let Some(j) = &out.json {
        output::write_atomic(j, &report::json::render(&audit))
            .with_context(|| format!("writing {}", j.display()))?;
    }
    Ok(RunOutcome { audit })
}

/// Runs `pgsift merge`: partial results in, one report out, as one run over all
/// their inputs would have written it.
pub fn merge(config: &crate::cli::MergeConfig) -> anyhow::Result<RunOutcome> {
    let mut agg = Aggregate::default();
    let mut first: Option<(crate::aggregate::partial::PartialOptions, String)> = None;
    for p in &config.partials {
        let bytes = std::fs::read(p).with_context(|| format!("reading {}", p.display()))?;
        let (a, opts) = crate::aggregate::partial::decode(&bytes)
            .with_context(|| format!("{}", p.display()))?;
        match &first {
            None => first = Some((opts, p.display().to_string())),
            Some((o, name)) if *o != opts => bail!(
                "{} was made with other options than {name} (--show-values or --top differ): make them alike and run again",
                p.display()
            ),
            _ => {}
        }
        agg.merge(a);
    }
    let opts = first.map(|f| f.0).context("no partial result given")?;
    render(
        &agg,
        &Outputs {
            output: config.output.clone(),
            json: config.json.clone(),
            top: config.top.unwrap_or(opts.slowest),
            analyze: AnalyzeOptions {
                values_shown: opts.show_values,
                tz: config.tz.clone(),
                cpu_cores: config.cpu_cores,
                baseline: config.baseline.clone(),
            },
        },
    )
}

/// A progress line on stderr (a terminal): bytes read of the inputs' sizes on
/// disk, MB/s and time left, redrawn a few times a second.
struct Progress {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

impl Progress {
    fn start(total: u64) -> Progress {
        use std::sync::atomic::Ordering;
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let base = crate::input::BYTES_FROM_DISK.load(Ordering::Relaxed);
        let thread = std::thread::spawn(move || {
            let started = std::time::Instant::now();
            while !flag.load(Ordering::Relaxed) {
                std::thread::sleep(std::time::Duration::from_millis(250));
                let done = crate::input::BYTES_FROM_DISK.load(Ordering::Relaxed) - base;
                let secs = started.elapsed().as_secs_f64().max(0.001);
                let rate = done as f64 / secs;
                let left = if rate > 0.0 && total > done {
                    format!(", about {:.0} s left", (total - done) as f64 / rate)
                } else {
                    String::new()
                };
                eprint!(
                    "\rpgsift: {:.1} of {:.1} MB read ({:.0}%), {:.0} MB/s{left}   ",
                    done as f64 / 1e6,
                    total as f64 / 1e6,
                    if total > 0 {
                        done as f64 * 100.0 / total as f64
                    } else {
                        100.0
                    },
                    rate / 1e6
                );
            }
            eprint!("\r{:78}\r", "");
        });
        Progress { stop, thread }
    }

    fn stop(self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let _ = self.thread.join();
    }
}

/// [`read_file`], with a panic (a bug in pgsift) turned into an error on that file
/// so the other inputs are still read and the report still written.
fn read_file_guarded(
    input: &InputFile,
    given: Option<&LinePrefix>,
    format: Option<LogFormat>,
    opts: AggregateOptions,
) -> Aggregate {
    std::panic::catch_unwind(|| read_file(input, given, format, opts)).unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        let name = input.path.display().to_string();
        let mut agg = FileAggregator::new(&name, opts);
        agg.coverage_mut().error = Some(format!(
            "internal error while reading this file (please report it): {what}"
        ));
        agg.finish(&[])
    })
}

/// Reads one input (file or stdin) into an aggregate. Never fails: problems are
/// recorded in the file's coverage.
pub fn read_file(
    input: &InputFile,
    given: Option<&LinePrefix>,
    format: Option<LogFormat>,
    opts: AggregateOptions,
) -> Aggregate {
    let name = if input.is_stdin() {
        "(stdin)".to_string()
    } else {
        input.path.display().to_string()
    };
    let mut agg = FileAggregator::new(&name, opts);
    let (mut reader, compression) = match LineReader::open(input) {
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
    if sample.is_empty() && read_error.is_none() {
        // an empty file: nothing to read, nothing wrong
        agg.coverage_mut().file_bytes = std::fs::metadata(&input.path).map(|m| m.len()).ok();
        return agg.finish(&[]);
    }
    if format.is_none()
        && !input.is_stdin()
        && sample
            .first()
            // a csvlog written with a header line stays a log
            .is_some_and(|(l, _)| {
                crate::stats::views::looks_like_header(l) && !l.contains("log_time")
            })
    {
        drop(reader);
        return read_stats_csv(input, &name, opts);
    }
    let lines: Vec<&str> = sample.iter().map(|(l, _)| l.as_str()).collect();
    let format = format.unwrap_or_else(|| sniff(&lines));
    let choice = LogParser::choose(format, &lines, given, modified_year_month(input));
    let cov = agg.coverage_mut();
    cov.format = Some(format.name().to_string());
    cov.compression = compression.name().map(str::to_string);
    cov.file_bytes = std::fs::metadata(&input.path).map(|m| m.len()).ok();
    let mut parser = match choice {
        Ok(c) => {
            cov.prefix = c.prefix.as_ref().map(|p| p.source().to_string());
            cov.prefix_detected = given.is_none() && c.prefix.is_some();
            Some(c.parser)
        }
        Err(NoPrefix) if !input.explicit && read_error.is_none() => {
            cov.skipped = Some(format!(
                "not recognized as a PostgreSQL {} log (no log_line_prefix matched its first lines)",
                format.name()
            ));
            cov.bytes = cov.file_bytes.unwrap_or(0);
            return agg.finish(&[]);
        }
        Err(NoPrefix) => {
            cov.error = Some(
                "could not detect the log_line_prefix: no known or inferred prefix matches at least half of the \
                 first lines; pass the server's setting with --prefix '...'"
                    .into(),
            );
            None
        }
    };
    // Every line goes through the parser, or is counted unrecognized when there is none.
    let mut line_no = 0;
    let mut feed = |agg: &mut FileAggregator, text: &str, invalid: bool| {
        line_no += 1;
        agg.line_read(invalid);
        match parser.as_mut() {
            Some(p) => p.push_line(text, &mut |e| agg.add(e)),
            None => agg.unrecognized(line_no, text, 1),
        }
    };
    for (l, bad) in &sample {
        feed(&mut agg, l, *bad);
    }
    drop(lines);
    drop(sample);
    if read_error.is_none() {
        loop {
            match reader.next_line() {
                Ok(Some(l)) => feed(&mut agg, &l.text, l.invalid_utf8),
                Ok(None) => break,
                Err(e) => {
                    read_error = Some(e);
                    break;
                }
            }
        }
    }
    let zones = match parser.as_mut() {
        Some(p) => {
            p.finish(&mut |e| agg.add(e));
            p.zones()
        }
        None => Vec::new(),
    };
    let cov = agg.coverage_mut();
    cov.bytes = reader.bytes();
    if cov.error.is_none() && cov.lines_total > 0 && cov.lines_parsed + cov.lines_ignored == 0 {
        cov.error = Some(match &cov.prefix {
            Some(p) => format!(
                "no line matched the log_line_prefix '{p}'; check the server's setting and pass it with --prefix '...'"
            ),
            None => format!(
                "no line could be read as {}; check the file or pass --format",
                format.name()
            ),
        });
    }
    if let Some(e) = read_error {
        let at = format!(
            "read error after {} bytes{}: {e}",
            reader.bytes(),
            if compression.name().is_some() {
                " of decompressed data"
            } else {
                ""
            }
        );
        cov.error = Some(match cov.error.take() {
            Some(prev) => format!("{prev}; {at}"),
            None => at,
        });
    }
    agg.finish(&zones)
}

/// Reads a statistics CSV (a file whose first line is a CSV header) from the start.
fn read_stats_csv(input: &InputFile, name: &str, opts: AggregateOptions) -> Aggregate {
    let folder = input
        .path
        .parent()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let opened =
        crate::input::open_counted(&input.path).and_then(crate::input::decompress::decoded);
    let (stats, mut cov) = match opened {
        Ok((reader, compression)) => {
            let (stats, mut cov) = crate::stats::read_csv(name, &folder, reader);
            cov.compression = compression.name().map(str::to_string);
            (stats, cov)
        }
        Err(e) => {
            let mut cov = crate::aggregate::coverage::FileCoverage::new(name);
            cov.error = Some(format!("cannot open: {e}"));
            (Default::default(), cov)
        }
    };
    cov.file_bytes = std::fs::metadata(&input.path).map(|m| m.len()).ok();
    cov.bytes = cov.file_bytes.unwrap_or(0);
    let mut agg = FileAggregator::new(name, opts);
    *agg.coverage_mut() = cov;
    let mut out = agg.finish(&[]);
    out.stats = stats;
    out
}

/// Year and month the input was last modified (now, for stdin): anchors syslog's year.
fn modified_year_month(input: &InputFile) -> (i64, u32) {
    let when = if input.is_stdin() {
        None
    } else {
        std::fs::metadata(&input.path)
            .and_then(|m| m.modified())
            .ok()
    };
    let secs = when
        .unwrap_or_else(std::time::SystemTime::now)
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    crate::parse::timestamp::Timestamp(secs * 1000).year_month()
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
        Ok(outcome) if config.quiet => {
            for f in outcome
                .audit
                .coverage
                .files
                .iter()
                .filter(|f| f.error.is_some())
            {
                eprintln!(
                    "pgsift: warning: {}: {}",
                    f.path,
                    f.error.as_deref().unwrap_or_default()
                );
            }
            if outcome.had_unreadable_input() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
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
            if let Some(w) = &a.stats.stats_window {
                let csvs = c
                    .files
                    .iter()
                    .filter(|f| f.format.as_deref().is_some_and(|x| x.starts_with("csv: ")))
                    .count();
                eprintln!(
                    "pgsift: statistics: {csvs} CSV file(s), {} database(s), {} snapshot(s), {} to {}; {} unused, {} duplicate, {} redundant index(es); {} table(s) read mostly by sequential scans",
                    w.databases.len(),
                    w.snapshots,
                    w.start.as_deref().unwrap_or("last reset"),
                    w.end.as_deref().unwrap_or("?"),
                    a.stats.indexes.unused.len(),
                    a.stats.indexes.duplicates.len(),
                    a.stats.indexes.redundant.len(),
                    a.stats.tables.seq_scan_heavy.len()
                );
            }
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

/// Runs `pgsift merge` and prints its summary; returns the exit code.
pub fn main_merge(args: crate::cli::MergeArgs) -> std::process::ExitCode {
    use std::process::ExitCode;
    let config = match args.into_config() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("pgsift: error: {e}");
            return ExitCode::from(2);
        }
    };
    match merge(&config) {
        Ok(outcome) => {
            let a = &outcome.audit;
            eprintln!(
                "pgsift: merged {} partial result(s): {} executions of {} normalized queries from {} file(s); wrote {}",
                config.partials.len(),
                a.summary.executions,
                a.summary.distinct_queries,
                a.coverage.files_total,
                config.output.display()
            );
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

/// The statistics export script (`samples/pgsift-export.psql`, built in).
pub const EXPORT_SCRIPT: &str = include_str!("../samples/pgsift-export.psql");

/// Prints the export script on standard output.
pub fn print_export_script() -> std::process::ExitCode {
    use std::io::Write;
    match std::io::stdout().write_all(EXPORT_SCRIPT.as_bytes()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pgsift: error: writing the script: {e}");
            std::process::ExitCode::from(2)
        }
    }
}
