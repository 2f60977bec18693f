//! Application: runs what the command line asks for. Wires the pipeline (input
//! -> parse -> aggregate -> analyze -> report -> output) for `report` and
//! `merge`, prints the export script, and turns the outcome into an exit code.
//! The only module that knows every layer.

mod check;
mod inputs;
mod merge;
mod per;
pub mod pipeline;
mod progress;
mod read;
mod report;
mod summary;

use crate::analyze::{AnalyzeOptions, Audit, analyze};
use crate::cli::{Cli, OutputConfig, Task};
use crate::{output, report as render_report};
use anyhow::Context;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub use inputs::InputsRead;
pub use read::{ReadContext, ReadOptions, read_file};

/// Runs the command: `Ok` with 0 (done) or 1 (report written, but some input
/// could not be read); `Err` for a usage or fatal error (exit code 2).
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.into_task()? {
        Task::Report(config) if config.per.is_some() => {
            per::run(&config, config.per.unwrap_or(crate::cli::Per::Day))
        }
        Task::Report(config) => {
            let started = std::time::Instant::now();
            let outcome = report::run(&config)?;
            let mut stderr = std::io::stderr().lock();
            let _ = if config.quiet {
                summary::report_warnings(&mut stderr, &outcome.audit)
            } else {
                summary::report(
                    &mut stderr,
                    &outcome.audit,
                    &config.out.output,
                    started.elapsed(),
                )
            };
            Ok(outcome.exit_code())
        }
        Task::Merge(config) => {
            let outcome = merge::run(&config)?;
            let partials = config.partials.len();
            let out = &config.out.output;
            let _ = summary::merge(&mut std::io::stderr(), &outcome.audit, partials, out);
            Ok(outcome.exit_code())
        }
        Task::Check(config) => check::run(&config),
        Task::ExportScript => {
            write_export_script(&mut std::io::stdout().lock())?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Whether an error is a write to a closed pipe (`pgsift export-script | head
/// -1`): the reader had enough, which is no failure.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// The statistics export script (`samples/pgsift-export.psql`, built in).
pub const EXPORT_SCRIPT: &str = include_str!("../../samples/pgsift-export.psql");

fn write_export_script(w: &mut impl Write) -> anyhow::Result<()> {
    w.write_all(EXPORT_SCRIPT.as_bytes())
        .and_then(|()| w.flush())
        .context("writing the script")
}

/// What a finished run reports back.
#[derive(Debug)]
pub struct RunOutcome {
    pub audit: Audit,
}

impl RunOutcome {
    /// Some input could not be read (a file, or a file's format).
    pub fn had_unreadable_input(&self) -> bool {
        self.audit.coverage.files_unreadable > 0
    }

    /// 0, or 1 when some input could not be read or some of its lines were
    /// refused.
    fn exit_code(&self) -> ExitCode {
        if self.had_unreadable_input() || self.audit.coverage.lines_rejected > 0 {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        }
    }
}

/// What a run writes, and how it analyzes.
pub struct Outputs {
    pub output: PathBuf,
    pub json: Option<PathBuf>,
    pub markdown: Option<PathBuf>,
    pub top: usize,
    pub title: Option<String>,
    pub analyze: AnalyzeOptions,
}

impl Outputs {
    /// The outputs `out` asks for, its `--baseline` read; `top` queries listed.
    fn of(
        out: &OutputConfig,
        top: usize,
        values_shown: bool,
        filters: Option<&crate::cli::Filters>,
    ) -> anyhow::Result<Outputs> {
        let named = [
            (!out.default_output).then_some(("-o", &out.output)),
            out.json.as_ref().map(|j| ("--json", j)),
            out.markdown.as_ref().map(|m| ("--markdown", m)),
        ];
        for (flag, p) in named.into_iter().flatten() {
            must_have_folder(flag, p)?;
        }
        Ok(Outputs {
            output: out.output.clone(),
            json: out.json.clone(),
            markdown: out.markdown.clone(),
            top,
            title: out.title.clone(),
            analyze: AnalyzeOptions {
                values_shown,
                tz: out.tz.clone(),
                cpu_cores: out.cpu_cores,
                baseline: out.baseline.as_deref().map(read_baseline).transpose()?,
                filters: filters
                    .map(crate::cli::Filters::describe)
                    .unwrap_or_default(),
                databases: filters
                    .map(|f| f.entries.databases.clone())
                    .unwrap_or_default(),
            },
        })
    }
}

/// Fails (before any work) when the folder of an output named with `flag`
/// does not exist: a typo should not create a tree of folders.
fn must_have_folder(flag: &str, p: &Path) -> anyhow::Result<()> {
    match p.parent() {
        Some(dir) if !dir.as_os_str().is_empty() && !dir.is_dir() => Err(anyhow::anyhow!(
            "{flag} {}: the folder {} does not exist",
            p.display(),
            dir.display()
        )),
        _ => Ok(()),
    }
}

/// Reads an earlier run's `--json` and checks it is an audit.
fn read_baseline(p: &Path) -> anyhow::Result<serde_json::Value> {
    let fail = |e: &dyn std::fmt::Display| anyhow::anyhow!("--baseline {}: {e}", p.display());
    let text = std::fs::read(p).map_err(|e| fail(&e))?;
    let v: serde_json::Value =
        serde_json::from_slice(&text).map_err(|e| fail(&format_args!("not JSON: {e}")))?;
    crate::analyze::compare::check(&v).map_err(|e| fail(&e))?;
    Ok(v)
}

/// Analyzes an aggregate and writes the report (and the JSON).
pub fn render(agg: &InputsRead, out: &Outputs) -> anyhow::Result<RunOutcome> {
    render_with(agg, out, None)
}

/// [`render`], with one more output (`--save-partial`): all of a run's files
/// are renamed into place only once every one is written, so a failure
/// leaves the previous run's files as they were.
pub fn render_with(
    agg: &InputsRead,
    out: &Outputs,
    also: Option<(&Path, &[u8])>,
) -> anyhow::Result<RunOutcome> {
    let audit = analyze(&agg.logs, &agg.stats, &out.analyze);
    let page = render_report::html::PageOptions {
        title: out.title.clone(),
        generated: Some(now_utc()),
    };
    let html = render_report::html::render_page(&audit, out.top, &page);
    let json = out
        .json
        .as_ref()
        .map(|_| render_report::json::render(&audit));
    let md = out.markdown.as_ref().map(|_| {
        let name = out
            .output
            .file_name()
            .filter(|_| out.output.as_os_str() != "-")
            .map(|n| n.to_string_lossy());
        render_report::markdown::render(&audit, name.as_deref())
    });
    let mut all: Vec<(&Path, &[u8])> = vec![(&out.output, html.as_bytes())];
    if let (Some(p), Some(j)) = (&out.json, &json) {
        all.push((p, j));
    }
    if let (Some(p), Some(m)) = (&out.markdown, &md) {
        all.push((p, m.as_bytes()));
    }
    all.extend(also);
    let (to_stdout, files): (Vec<_>, Vec<_>) =
        all.into_iter().partition(|(p, _)| p.as_os_str() == "-");
    output::write_all_or_none(&files).map_err(|(p, e, done)| {
        let replaced: Vec<String> = files[..done]
            .iter()
            .map(|(f, _)| f.display().to_string())
            .collect();
        anyhow::Error::new(e).context(if replaced.is_empty() {
            format!("writing {} (no output was replaced)", p.display())
        } else {
            format!(
                "writing {} (already replaced: {})",
                p.display(),
                replaced.join(", ")
            )
        })
    })?;
    for (_, bytes) in to_stdout {
        write_output(Path::new("-"), bytes)?;
    }
    Ok(RunOutcome { audit })
}

/// The time now, to the minute, in UTC (`2026-12-04 17:10 UTC`).
fn now_utc() -> String {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let mut t = crate::parse::timestamp::Timestamp(ms).format();
    t.truncate(16);
    t + " UTC"
}

/// Writes an output: to standard output when its path is `-`, else atomically.
fn write_output(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    if path.as_os_str() == "-" {
        let mut stdout = std::io::stdout().lock();
        return stdout
            .write_all(bytes)
            .and_then(|()| stdout.flush())
            .context("writing to standard output");
    }
    output::write_atomic(path, bytes).with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests;
