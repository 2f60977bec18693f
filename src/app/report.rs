//! `pgsift report`: every input read on a pool of workers into one aggregate,
//! the partial result saved when asked, the report written.

use super::InputsRead;
use super::read::{self, ReadContext, ReadOptions};
use super::{Outputs, RunOutcome, pipeline::InFlight, progress::Progress};
use crate::aggregate::AggregateOptions;
use crate::cli::Config;
use crate::input::{DiskBytes, InputFile, discover};
use crate::merge::Merge;
use crate::parse::prefix::LinePrefix;
use anyhow::{Context, bail};
use rayon::prelude::*;

/// Runs `pgsift report` (nothing printed: see [`super::summary`]).
pub fn run(config: &Config) -> anyhow::Result<RunOutcome> {
    // the baseline is read before any work: a bad one ends the run at once
    let outputs = Outputs::of(
        &config.out,
        config.top,
        config.show_values,
        Some(&config.filters),
    )?;
    if let Some(p) = &config.save_partial {
        super::must_have_folder("--save-partial", p)?;
    }
    let agg = read_inputs(config)?;
    nothing_found(config, &agg)?;
    let partial = match &config.save_partial {
        Some(p) => Some((
            p.as_path(),
            crate::aggregate::partial::encode(
                &agg,
                crate::aggregate::partial::PartialOptions {
                    show_values: config.show_values,
                    slowest: config.top,
                },
            )
            .context("encoding the partial result")?,
        )),
        None => None,
    };
    super::render_with(
        &agg,
        &outputs,
        partial.as_ref().map(|(p, b)| (*p, b.as_slice())),
    )
}

/// Fails when no input held a line of PostgreSQL log or a statistics CSV
/// (a folder of other files, empty files, empty standard input): a report of
/// nothing would say no problem stands out.
fn nothing_found(config: &Config, agg: &InputsRead) -> anyhow::Result<()> {
    let c = &agg.logs.coverage;
    let lines = c
        .files
        .values()
        .filter(|f| f.skipped.is_none())
        .any(|f| f.lines_total > 0 || f.error.is_some());
    if lines || !agg.stats.is_empty() {
        return Ok(());
    }
    let paths: Vec<String> = config
        .paths
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let skipped = c.files.values().filter(|f| f.skipped.is_some()).count();
    bail!(
        "no PostgreSQL log or statistics found in {}{}",
        paths.join(", "),
        if skipped > 0 {
            format!(" ({skipped} file(s) skipped as not PostgreSQL logs)")
        } else {
            " (the inputs are empty)".to_string()
        }
    )
}

/// Reads every input into one aggregate; paths that could not be used are
/// recorded as unreadable files. Fails only when there is nothing to read.
pub(super) fn read_inputs(config: &Config) -> anyhow::Result<InputsRead> {
    let (files, missing) = discover(&config.paths);
    read_files(config, &files, missing)
}

/// Reads `files` into one aggregate with `config`'s options and filters;
/// `missing` (paths that could not be used) are recorded as unreadable.
/// Fails only when there is no file at all.
pub(super) fn read_files(
    config: &Config,
    files: &[InputFile],
    missing: Vec<crate::input::InputError>,
) -> anyhow::Result<InputsRead> {
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
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(n) = config.threads {
        builder = builder.num_threads(n);
    }
    let pool = builder.build().context("starting worker threads")?;
    // biggest files first, so a big file does not start last and run alone
    // (the aggregates merge to the same result in any order)
    let mut sized: Vec<(u64, &InputFile)> = files
        .iter()
        .map(|f| (std::fs::metadata(&f.path).map_or(0, |m| m.len()), f))
        .collect();
    sized.sort_by_key(|s| std::cmp::Reverse(s.0));
    let total: u64 = sized.iter().map(|s| s.0).sum();
    let disk_bytes = DiskBytes::default();
    let progress = (!config.quiet && std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .then(|| Progress::start(total, disk_bytes.clone()));
    let prefix = config.prefix.as_deref().map(LinePrefix::compile);
    let in_flight = InFlight::default();
    let ctx = ReadContext {
        prefix: prefix.as_ref(),
        format: config.format,
        opts: ReadOptions {
            aggregate: AggregateOptions {
                bursts: Default::default(),
                show_values: config.show_values,
                slowest: config.top,
            },
            chunk_bytes: config.chunk_bytes,
        },
        in_flight: &in_flight,
        disk_bytes: &disk_bytes,
        filters: &config.filters,
    };
    let mut agg = pool.install(|| {
        sized
            .par_iter()
            .with_max_len(1)
            .fold(InputsRead::default, |mut acc, (_, f)| {
                acc.merge(read::read_file_guarded(f, &ctx));
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
        if m.skipped {
            fc.skipped = Some(m.message);
        } else {
            fc.error = Some(m.message);
        }
        agg.logs.coverage.files.insert(path, fc);
    }
    Ok(agg)
}
