//! Command-line definitions (clap derive) and their validation into a [`Config`].
//! Nothing here does any work.

use clap::{Parser, Subcommand};
use std::path::PathBuf;

const REPORT_EXAMPLE: &str = "Examples:
  pgsift report /var/log/postgresql/ -o output/report.html
  pgsift report postgresql-*.log.gz --json audit.json --top 50
  zcat postgresql.csv.gz | pgsift report - --tz UTC
  pgsift report app.log --prefix '%m [%p] %q%u@%d '
  pgsift export-script > export.psql   # then: cd snap/app && psql -d app -X -q -f export.psql
  pgsift report /var/log/postgresql/ snap/ --cpu-cores 8";

/// pgsift: PostgreSQL logs in, one self-contained HTML audit report out.
#[derive(Debug, Parser)]
#[command(name = "pgsift", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read PostgreSQL logs and statistics CSVs and write the audit report.
    #[command(after_help = REPORT_EXAMPLE)]
    Report(Box<ReportArgs>),
    /// Print the psql script that exports the statistics CSVs pgsift reads
    /// (PostgreSQL 12 to 18; run it as a role with pg_monitor, one folder per database).
    ExportScript,
    /// Merge partial results (written with `report --save-partial`) into one report,
    /// the one a single run over all their inputs would have written.
    #[command(after_help = MERGE_EXAMPLE)]
    Merge(MergeArgs),
}

const MERGE_EXAMPLE: &str = "Example (one partial per file group, on as many machines as you like):
  pgsift report logs/2026-11-0*.log.gz --save-partial week1.partial -o /tmp/w1.html
  pgsift report logs/2026-11-1*.log.gz --save-partial week2.partial -o /tmp/w2.html
  pgsift merge week1.partial week2.partial -o report.html --json audit.json";

#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// Partial result files (from `pgsift report --save-partial`).
    #[arg(required = true, value_name = "PARTIALS")]
    pub partials: Vec<PathBuf>,
    /// Where to write the HTML report.
    #[arg(
        short = 'o',
        long = "output",
        default_value = "output/report.html",
        value_name = "FILE"
    )]
    pub output: PathBuf,
    /// Also write the audit as JSON.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// How many queries the HTML lists (default: the partials' --top).
    #[arg(long, value_name = "N")]
    pub top: Option<usize>,
    /// Show times in this zone.
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,
    /// CPU cores of the database server (pool sizing).
    #[arg(long, value_name = "N")]
    pub cpu_cores: Option<u32>,
    /// An earlier run's --json to compare with.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
}

/// A validated `merge` configuration.
#[derive(Debug, Clone)]
pub struct MergeConfig {
    pub partials: Vec<PathBuf>,
    pub output: PathBuf,
    pub json: Option<PathBuf>,
    pub top: Option<usize>,
    pub tz: Option<String>,
    pub cpu_cores: Option<u32>,
    pub baseline: Option<serde_json::Value>,
}

fn read_baseline(p: &std::path::Path) -> Result<serde_json::Value, String> {
    let text = std::fs::read(p).map_err(|e| format!("--baseline {}: {e}", p.display()))?;
    let v: serde_json::Value = serde_json::from_slice(&text)
        .map_err(|e| format!("--baseline {}: not JSON: {e}", p.display()))?;
    crate::analyze::compare::check(&v).map_err(|e| format!("--baseline {}: {e}", p.display()))?;
    Ok(v)
}

fn check_tz(tz: Option<&str>) -> Result<(), String> {
    match tz {
        Some(z) if crate::parse::timestamp::zone_offset(z).is_none() => Err(format!(
            "--tz: unknown zone {z:?}; use an abbreviation such as UTC or CET, or an offset such as +05:30"
        )),
        _ => Ok(()),
    }
}

impl MergeArgs {
    pub fn into_config(self) -> Result<MergeConfig, String> {
        if self.top == Some(0) {
            return Err("--top must be at least 1".into());
        }
        if self.cpu_cores == Some(0) {
            return Err("--cpu-cores must be at least 1".into());
        }
        check_tz(self.tz.as_deref())?;
        Ok(MergeConfig {
            baseline: self.baseline.as_deref().map(read_baseline).transpose()?,
            partials: self.partials,
            output: self.output,
            json: self.json,
            top: self.top,
            tz: self.tz,
            cpu_cores: self.cpu_cores,
        })
    }
}

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// Log files, statistics CSVs (see `pgsift export-script`) or directories (read
    /// recursively, in sorted order), or - for standard input. Compressed files (gz,
    /// bz2, xz, zst) and CSVs are recognized by their content.
    #[arg(required = true, value_name = "PATHS")]
    pub paths: Vec<PathBuf>,
    /// Where to write the HTML report.
    #[arg(
        short = 'o',
        long = "output",
        default_value = "output/report.html",
        value_name = "FILE"
    )]
    pub output: PathBuf,
    /// Also write the audit as JSON (schema_version 1, see docs/json.md).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// The server's log_line_prefix; detected from the files when not given.
    #[arg(long, value_name = "LOG_LINE_PREFIX")]
    pub prefix: Option<String>,
    /// How many queries and slowest statements the HTML report lists.
    #[arg(long, default_value_t = 25, value_name = "N")]
    pub top: usize,
    /// Worker threads (default: one per core).
    #[arg(short = 'j', long = "jobs", value_name = "THREADS")]
    pub threads: Option<usize>,
    /// Show literal values and bind parameters in examples (they can hold personal data).
    #[arg(long)]
    pub show_values: bool,
    /// Log format, when detection from the content should be overridden.
    #[arg(long, value_name = "stderr|csvlog|jsonlog|syslog")]
    pub format: Option<String>,
    /// Show times in this zone (`UTC`, `CET`, `+05:30`); default: the logs' own zone.
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,
    /// CPU cores of the database server: sizes the connection pool (2-3x cores).
    #[arg(long, value_name = "N")]
    pub cpu_cores: Option<u32>,
    /// An earlier run's --json: compare query latencies before and after a change.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Also write the mergeable partial result (see `pgsift merge`).
    #[arg(long, value_name = "FILE")]
    pub save_partial: Option<PathBuf>,
    /// No progress line and no summary on stderr (errors are still printed).
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Bytes per chunk a file is split into for the workers (tests and tuning;
    /// the result does not depend on it).
    #[arg(long, hide = true, default_value_t = crate::input::chunks::DEFAULT_CHUNK_BYTES, value_name = "BYTES")]
    pub chunk_size: usize,
}

/// A validated run configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub paths: Vec<PathBuf>,
    pub output: PathBuf,
    pub json: Option<PathBuf>,
    pub prefix: Option<String>,
    pub top: usize,
    pub threads: Option<usize>,
    pub show_values: bool,
    pub format: Option<crate::input::sniff::LogFormat>,
    pub tz: Option<String>,
    pub cpu_cores: Option<u32>,
    /// The parsed `--baseline` audit.
    pub baseline: Option<serde_json::Value>,
    pub save_partial: Option<PathBuf>,
    pub quiet: bool,
    pub chunk_bytes: usize,
}

impl ReportArgs {
    /// Validates the arguments.
    pub fn into_config(self) -> Result<Config, String> {
        if self.top == 0 {
            return Err("--top must be at least 1".into());
        }
        if self.threads == Some(0) {
            return Err("-j/--jobs must be at least 1".into());
        }
        if self.chunk_size == 0 {
            return Err("--chunk-size must be at least 1".into());
        }
        if self.prefix.as_deref().is_some_and(|p| p.trim().is_empty()) {
            return Err("--prefix must not be empty (use '%m [%p] ' style escapes)".into());
        }
        let format = match self.format.as_deref() {
            None => None,
            Some(f) => Some(crate::input::sniff::LogFormat::from_name(f).ok_or_else(|| {
                format!("--format must be stderr, csvlog, jsonlog or syslog, not {f:?}")
            })?),
        };
        check_tz(self.tz.as_deref())?;
        if self.cpu_cores == Some(0) {
            return Err("--cpu-cores must be at least 1".into());
        }
        let baseline = self.baseline.as_deref().map(read_baseline).transpose()?;
        Ok(Config {
            baseline,
            save_partial: self.save_partial,
            quiet: self.quiet,
            chunk_bytes: self.chunk_size,
            cpu_cores: self.cpu_cores,
            format,
            tz: self.tz,
            paths: self.paths,
            output: self.output,
            json: self.json,
            prefix: self.prefix,
            top: self.top,
            threads: self.threads,
            show_values: self.show_values,
        })
    }
}
