//! Application: wires the pipeline (input -> parse -> aggregate -> analyze -> report
//! -> output) for one `pgsift report` run. The only module that knows every layer.

mod inputs;
mod read;

use crate::aggregate::{AggregateOptions, Merge};
use crate::analyze::{AnalyzeOptions, Audit, analyze};
use crate::cli::Config;
use crate::input::discover;
use crate::parse::prefix::LinePrefix;
use crate::{output, report};
use anyhow::{Context, bail};
pub use inputs::InputsRead;
use rayon::prelude::*;
pub use read::{ReadOptions, read_file};

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
    let opts = read::ReadOptions {
        aggregate: AggregateOptions {
            bursts: Default::default(),
            show_values: config.show_values,
            slowest: config.top,
        },
        chunk_bytes: config.chunk_bytes,
    };
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(n) = config.threads {
        builder = builder.num_threads(n);
    }
    let pool = builder.build().context("starting worker threads")?;
    // biggest files first, so a big file does not start last and run alone
    // (the aggregates merge to the same result in any order)
    let mut sized: Vec<(u64, &crate::input::InputFile)> = files
        .iter()
        .map(|f| (std::fs::metadata(&f.path).map_or(0, |m| m.len()), f))
        .collect();
    sized.sort_by_key(|s| std::cmp::Reverse(s.0));
    let total: u64 = sized.iter().map(|s| s.0).sum();
    let progress = (!config.quiet && std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .then(|| Progress::start(total));
    let mut agg = pool.install(|| {
        sized
            .par_iter()
            .with_max_len(1)
            .fold(InputsRead::default, |mut acc, (_, f)| {
                acc.merge(read::read_file_guarded(
                    f,
                    prefix.as_ref(),
                    config.format,
                    opts,
                ));
                acc
            })
            .reduce(InputsRead::default, |mut a, b| {
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
        agg.logs.coverage.files.insert(path, fc);
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
pub fn render(agg: &InputsRead, out: &Outputs) -> anyhow::Result<RunOutcome> {
    let audit = analyze(&agg.logs, &agg.stats, &out.analyze);
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
    let mut agg = InputsRead::default();
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
pub const EXPORT_SCRIPT: &str = include_str!("../../samples/pgsift-export.psql");

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
