//! Command-line definitions (clap derive) and their validation into a [`Task`]:
//! a [`Config`] for `report`, a [`MergeConfig`] for `merge`. Nothing here reads
//! or writes anything; files named by flags (`--baseline`) are read by
//! [`crate::app`].

use crate::input::sniff::LogFormat;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

const REPORT_EXAMPLE: &str =
    "Exit codes: 0 the report was written and every input read; 1 written, but some input
could not be read (named in the report and on stderr); 2 usage error, or nothing to report
(no PostgreSQL log or statistics found, an output folder missing).

Examples:
  pgsift report /var/log/postgresql/ -o output/report.html
  pgsift report postgresql-*.log.gz --json audit.json --top 50
  zcat postgresql.csv.gz | pgsift report - --tz UTC
  pgsift report app.log --prefix '%m [%p] %q%u@%d '
  pgsift export-script > export.psql   # then: cd snap/app && psql -d app -X -q -f export.psql
  pgsift report /var/log/postgresql/ snap/ --cpu-cores 8";

const MERGE_EXAMPLE: &str =
    "Exit codes: 0 merged; 1 merged, but some input of the partials could not be read;
2 usage error, or a partial that cannot be merged.

Example (one partial per file group, on as many machines as you like):
  pgsift report logs/2026-11-0*.log.gz --save-partial week1.partial -o /tmp/w1.html
  pgsift report logs/2026-11-1*.log.gz --save-partial week2.partial -o /tmp/w2.html
  pgsift merge week1.partial week2.partial -o report.html --json audit.json";

const CHECK_EXAMPLE: &str =
    "Exit codes: 0 within thresholds, 1 a threshold crossed, 2 usage error or unreadable input.

Examples:
  pgsift report logs/before/ --json baseline.json        # once, before the change
  pgsift check --baseline baseline.json logs/after/       # in CI or cron
  pgsift check --baseline baseline.json today.json --p95-increase 20 --min-executions 50
  pgsift check --baseline baseline.json --thresholds pgsift-check.toml /var/log/postgresql/";

/// Where `report` and `merge` write the HTML unless told.
pub const DEFAULT_OUTPUT: &str = "output/report.html";

/// How many queries and slowest statements `report` lists unless told.
pub const DEFAULT_TOP: usize = 25;
/// [`DEFAULT_TOP`] as `report --help` shows it.
const DEFAULT_TOP_TEXT: &str = "25";

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
    #[command(
        after_help = REPORT_EXAMPLE,
        mut_arg("top", |a| a.default_value(DEFAULT_TOP_TEXT))
    )]
    Report(Box<ReportArgs>),
    /// Print the psql script that exports the statistics CSVs pgsift reads
    /// (PostgreSQL 12 to 18; run it as a role with pg_monitor, one folder per database).
    ExportScript,
    /// Merge partial results (written with `report --save-partial`) into one report,
    /// the one a single run over all their inputs would have written.
    #[command(
        after_help = MERGE_EXAMPLE,
        mut_arg("top", |a| a.help("How many queries the HTML lists (default: the partials' --top)"))
    )]
    Merge(MergeArgs),
    /// Regression gate for CI and cron: compare a run with an earlier run's --json
    /// and exit 1 when a threshold is crossed (one line per violation).
    #[command(after_help = CHECK_EXAMPLE)]
    Check(Box<CheckArgs>),
}

/// The flags `report` and `merge` share: what is written, and how the audit
/// presents what was read.
#[derive(Debug, clap::Args)]
pub struct OutputArgs {
    /// Where to write the HTML report (- for standard output) [default: output/report.html,
    /// its folder created when missing; a folder you name must exist].
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also write the audit as JSON (schema_version 1, see docs/json.md).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Also write a short Markdown summary to paste into a ticket (- for standard output).
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
    /// How many queries and slowest statements the HTML report lists.
    #[arg(long, value_name = "N")]
    pub top: Option<usize>,
    /// Show times in this zone (`Europe/Berlin`, `UTC`, `CET`, `+05:30`, `-05:00`); default:
    /// the logs' own zone.
    #[arg(long, value_name = "ZONE", allow_hyphen_values = true)]
    pub tz: Option<String>,
    /// CPU cores of the database server: sizes the connection pool (2-3x cores).
    #[arg(long, value_name = "N")]
    pub cpu_cores: Option<u32>,
    /// An earlier run's --json: compare query latencies before and after a change.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// A name for the report (the server, the ticket): in the page's title and header.
    #[arg(long, value_name = "TEXT")]
    pub title: Option<String>,
}

/// What a run aggregates: entries by time and names, statements by text.
/// Everything is still read (and counted in the coverage); what is left out is
/// counted under its own heading.
#[derive(Debug, Default, clap::Args)]
#[command(next_help_heading = "Filters")]
pub struct FilterArgs {
    /// Only entries at or after this time (`2026-11-27`, `2026-11-27 14:00`,
    /// `2026-11-27T14:00:00+01:00`); without a zone, in --tz, else in each log's own zone.
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only entries before this time (the instant itself is left out).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Only this database (repeatable; `!name` leaves one out). Entries naming no
    /// database (checkpoints, server messages) are left out unless only `!` names are given.
    /// Statistics CSVs are filtered too.
    #[arg(long, value_name = "NAME")]
    pub database: Vec<String>,
    /// Only this user (repeatable; `!name` leaves one out).
    #[arg(long, value_name = "NAME")]
    pub user: Vec<String>,
    /// Only this application_name (repeatable; `!name` leaves one out).
    #[arg(long, value_name = "NAME")]
    pub application: Vec<String>,
    /// Only this client host, with or without its port (repeatable; `!host` leaves one out).
    #[arg(long, value_name = "HOST")]
    pub host: Vec<String>,
    /// Leave out statements whose text matches this regular expression (repeatable;
    /// `(?i)` for any case).
    #[arg(long, value_name = "REGEX")]
    pub exclude_query: Vec<String>,
    /// Only read statements (SELECT, TABLE, VALUES, WITH without a write).
    #[arg(long)]
    pub select_only: bool,
}

/// Validated [`FilterArgs`], shared by the workers of a run.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub entries: std::sync::Arc<crate::parse::filter::EntryFilter>,
    pub statements: std::sync::Arc<crate::aggregate::filter::StatementFilter>,
}

impl Filters {
    /// Every filter, one phrase each (empty: the run keeps everything).
    pub fn describe(&self) -> Vec<String> {
        let mut d = self.entries.describe();
        d.extend(self.statements.describe());
        d
    }
}

impl FilterArgs {
    /// Validates the filters; a time without a zone is read in `tz` when given.
    pub fn into_filters(self, tz: Option<&str>) -> Result<Filters, UsageError> {
        use crate::parse::filter::{EntryFilter, Names, TimeBound};
        let bound = |flag: &str, t: Option<String>| {
            t.map(|t| {
                TimeBound::parse(&t)
                    .map(|b| b.in_zone(tz))
                    .map_err(|e| usage(format!("{flag}: {e}")))
            })
            .transpose()
        };
        let entries = EntryFilter {
            since: bound("--since", self.since)?,
            until: bound("--until", self.until)?,
            databases: Names::of(&self.database),
            users: Names::of(&self.user),
            applications: Names::of(&self.application),
            hosts: Names::of(&self.host),
        };
        if let (Some(s), Some(u)) = (entries.since, entries.until)
            && s.instant(0) >= u.instant(0)
        {
            return Err(usage("--until must be later than --since"));
        }
        let statements =
            crate::aggregate::filter::StatementFilter::new(&self.exclude_query, self.select_only)
                .map_err(usage)?;
        Ok(Filters {
            entries: std::sync::Arc::new(entries),
            statements: std::sync::Arc::new(statements),
        })
    }
}

#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// Partial result files (from `pgsift report --save-partial`).
    #[arg(required = true, value_name = "PARTIALS")]
    pub partials: Vec<PathBuf>,
    #[command(flatten)]
    pub out: OutputArgs,
}

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// Log files, statistics CSVs (see `pgsift export-script`) or directories (read
    /// recursively, in sorted order), or - for standard input. Compressed files (gz,
    /// bz2, xz, zst) and CSVs are recognized by their content.
    #[arg(required = true, value_name = "PATHS")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub out: OutputArgs,
    #[command(flatten)]
    pub filters: FilterArgs,
    /// The server's log_line_prefix; detected from the files when not given.
    #[arg(long, value_name = "LOG_LINE_PREFIX")]
    pub prefix: Option<String>,
    /// Worker threads (default: one per core).
    #[arg(short = 'j', long = "jobs", value_name = "THREADS")]
    pub threads: Option<usize>,
    /// Show literal values and bind parameters in examples (they can hold personal data).
    #[arg(long)]
    pub show_values: bool,
    /// Log format, when detection from the content should be overridden.
    #[arg(long, value_name = "stderr|csvlog|jsonlog|syslog")]
    pub format: Option<String>,
    /// Also write the mergeable partial result (see `pgsift merge`).
    #[arg(long, value_name = "FILE")]
    pub save_partial: Option<PathBuf>,
    /// One report per day or ISO week (in --tz, else the logs' zone) beside -o,
    /// which becomes their index; re-runs read only the periods whose files changed.
    #[arg(long, value_name = "day|week")]
    pub per: Option<Per>,
    /// No progress line and no summary on stderr (errors are still printed).
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Bytes per chunk a file is split into for the workers (tests and tuning;
    /// the result does not depend on it).
    #[arg(long, hide = true, default_value_t = crate::input::chunks::DEFAULT_CHUNK_BYTES, value_name = "BYTES")]
    pub chunk_size: usize,
}

#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Thresholds")]
pub struct ThresholdArgs {
    /// A file of thresholds (`key = value` lines; see docs/check.md); flags override it.
    #[arg(long, value_name = "FILE")]
    pub thresholds: Option<PathBuf>,
    /// A query's p95 growing by more than this percentage is a regression [default: 50]...
    #[arg(long, value_name = "PCT")]
    pub p95_increase: Option<f64>,
    /// ...and by at least this many milliseconds [default: 1]...
    #[arg(long, value_name = "MS")]
    pub p95_increase_min_ms: Option<f64>,
    /// ...with at least this many executions in both runs [default: 10].
    #[arg(long, value_name = "N")]
    pub min_executions: Option<u64>,
    /// Total statement time growing by more than this percentage [default: off].
    #[arg(long, value_name = "PCT")]
    pub total_increase: Option<f64>,
    /// A query absent from the baseline with a p95 above this [default: 1000].
    #[arg(long, value_name = "MS")]
    pub new_query_ms: Option<f64>,
    /// Do not fail on error SQLSTATEs the baseline did not have.
    #[arg(long)]
    pub allow_new_errors: bool,
    /// Do not fail on more deadlocks than the baseline.
    #[arg(long)]
    pub allow_deadlocks: bool,
    /// Do not fail on more checkpoints too close together than the baseline.
    #[arg(long)]
    pub allow_checkpoints: bool,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// An earlier run's --json: what this run is held to.
    #[arg(long, value_name = "EARLIER.json", required = true)]
    pub baseline: PathBuf,
    /// This run: a `report --json` file, or logs, statistics CSVs and folders read as
    /// `report` reads them.
    #[arg(required = true, value_name = "CURRENT")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub limits: ThresholdArgs,
    /// Also write this run's audit as JSON (the next run's baseline).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// The server's log_line_prefix; detected from the files when not given.
    #[arg(long, value_name = "LOG_LINE_PREFIX")]
    pub prefix: Option<String>,
    /// Log format, when detection from the content should be overridden.
    #[arg(long, value_name = "stderr|csvlog|jsonlog|syslog")]
    pub format: Option<String>,
    /// Zone of times without one in --since/--until.
    #[arg(long, value_name = "ZONE", allow_hyphen_values = true)]
    pub tz: Option<String>,
    /// Worker threads (default: one per core).
    #[arg(short = 'j', long = "jobs", value_name = "THREADS")]
    pub threads: Option<usize>,
    #[command(flatten)]
    pub filters: FilterArgs,
}

/// A validated `check` configuration.
#[derive(Debug, Clone)]
pub struct CheckConfig {
    pub baseline: PathBuf,
    /// The threshold flags, applied over the `--thresholds` file's.
    pub limits: ThresholdArgs,
    /// How the current run is read when it is not a JSON audit (its outputs unused).
    pub read: Box<Config>,
    pub paths: Vec<PathBuf>,
}

impl ThresholdArgs {
    /// These flags over `t`.
    pub fn apply(&self, t: &mut crate::analyze::gate::Thresholds) {
        if let Some(p) = self.p95_increase {
            t.p95_increase = p / 100.0;
        }
        if let Some(m) = self.p95_increase_min_ms {
            t.p95_increase_min_ms = m;
        }
        if let Some(n) = self.min_executions {
            t.min_executions = n;
        }
        if let Some(p) = self.total_increase {
            t.total_increase = Some(p / 100.0);
        }
        if let Some(m) = self.new_query_ms {
            t.new_query_ms = Some(m);
        }
        t.new_errors &= !self.allow_new_errors;
        t.new_deadlocks &= !self.allow_deadlocks;
        t.checkpoints &= !self.allow_checkpoints;
    }
}

impl CheckArgs {
    /// Validates the arguments.
    pub fn into_config(self) -> Result<CheckConfig, UsageError> {
        let l = &self.limits;
        for (flag, v) in [
            ("--p95-increase", l.p95_increase),
            ("--p95-increase-min-ms", l.p95_increase_min_ms),
            ("--total-increase", l.total_increase),
            ("--new-query-ms", l.new_query_ms),
        ] {
            if v.is_some_and(|x| !x.is_finite() || x < 0.0) {
                return Err(usage(format!("{flag} must be a number >= 0")));
            }
        }
        let read = ReportArgs {
            paths: self.paths.clone(),
            out: OutputArgs {
                output: None,
                json: self.json,
                markdown: None,
                top: None,
                tz: self.tz,
                cpu_cores: None,
                baseline: None,
                title: None,
            },
            filters: self.filters,
            prefix: self.prefix,
            threads: self.threads,
            show_values: false,
            format: self.format,
            save_partial: None,
            quiet: true,
            chunk_size: crate::input::chunks::DEFAULT_CHUNK_BYTES,
            per: None,
        }
        .into_config()?;
        Ok(CheckConfig {
            baseline: self.baseline,
            limits: self.limits,
            read: Box::new(read),
            paths: self.paths,
        })
    }
}

/// The period of `report --per`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize,
)]
pub enum Per {
    Day,
    Week,
}

/// A flag value that cannot be used; the message names the flag.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

fn usage(message: impl Into<String>) -> UsageError {
    UsageError(message.into())
}

/// What the command line asks for, validated.
#[derive(Debug, Clone)]
pub enum Task {
    Report(Box<Config>),
    Merge(MergeConfig),
    Check(Box<CheckConfig>),
    ExportScript,
}

/// Validated [`OutputArgs`] (`--top` is kept by each command: its default differs).
#[derive(Debug, Clone)]
pub struct OutputConfig {
    pub output: PathBuf,
    /// `-o` was not given: `output/report.html`, whose folder is created.
    pub default_output: bool,
    pub json: Option<PathBuf>,
    pub markdown: Option<PathBuf>,
    pub tz: Option<String>,
    pub cpu_cores: Option<u32>,
    /// The `--baseline` file (read, and checked to be an audit, by the run).
    pub baseline: Option<PathBuf>,
    pub title: Option<String>,
}

/// A validated `report` configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub paths: Vec<PathBuf>,
    pub out: OutputConfig,
    pub top: usize,
    pub prefix: Option<String>,
    pub threads: Option<usize>,
    pub show_values: bool,
    pub format: Option<LogFormat>,
    pub save_partial: Option<PathBuf>,
    pub quiet: bool,
    pub chunk_bytes: usize,
    pub filters: Filters,
    pub per: Option<Per>,
}

/// A validated `merge` configuration.
#[derive(Debug, Clone)]
pub struct MergeConfig {
    pub partials: Vec<PathBuf>,
    pub out: OutputConfig,
    /// `None`: the partials' own `--top`.
    pub top: Option<usize>,
}

impl Cli {
    /// Validates the arguments of the command given.
    pub fn into_task(self) -> Result<Task, UsageError> {
        Ok(match self.command {
            Command::Report(args) => Task::Report(Box::new(args.into_config()?)),
            Command::Merge(args) => Task::Merge(args.into_config()?),
            Command::Check(args) => Task::Check(Box::new(args.into_config()?)),
            Command::ExportScript => Task::ExportScript,
        })
    }
}

impl OutputArgs {
    /// Validates the shared flags; returns `--top` apart.
    fn into_config(self) -> Result<(OutputConfig, Option<usize>), UsageError> {
        if self.top == Some(0) {
            return Err(usage("--top must be at least 1"));
        }
        if let Some(z) = self.tz.as_deref()
            && !crate::parse::timestamp::is_zone(z)
        {
            return Err(usage(format!(
                "--tz: unknown zone {z:?}; use a tz database name such as Europe/Berlin, an abbreviation such as UTC or CET, or an offset such as +05:30"
            )));
        }
        if self.cpu_cores == Some(0) {
            return Err(usage("--cpu-cores must be at least 1"));
        }
        let to_stdout = [&self.output, &self.json, &self.markdown]
            .iter()
            .filter(|p| p.as_deref().is_some_and(|p| p.as_os_str() == "-"))
            .count();
        if to_stdout > 1 {
            return Err(usage(
                "only one of -o, --json and --markdown can be - (standard output)",
            ));
        }
        let config = OutputConfig {
            default_output: self.output.is_none(),
            output: self.output.unwrap_or_else(|| PathBuf::from(DEFAULT_OUTPUT)),
            json: self.json,
            markdown: self.markdown,
            tz: self.tz,
            cpu_cores: self.cpu_cores,
            baseline: self.baseline,
            title: self.title,
        };
        Ok((config, self.top))
    }
}

impl MergeArgs {
    /// Validates the arguments.
    pub fn into_config(self) -> Result<MergeConfig, UsageError> {
        let (out, top) = self.out.into_config()?;
        Ok(MergeConfig {
            partials: self.partials,
            out,
            top,
        })
    }
}

/// The most worker threads `-j` takes.
pub const MAX_THREADS: usize = 256;

impl ReportArgs {
    /// Validates the arguments.
    pub fn into_config(self) -> Result<Config, UsageError> {
        let (out, top) = self.out.into_config()?;
        let filters = self.filters.into_filters(out.tz.as_deref())?;
        if self.threads == Some(0) {
            return Err(usage("-j/--jobs must be at least 1"));
        }
        if let Some(n) = self.threads.filter(|&n| n > MAX_THREADS) {
            return Err(usage(format!(
                "-j/--jobs {n}: at most {MAX_THREADS} (each thread holds its own buffers; more threads than cores only cost memory)"
            )));
        }
        if self.chunk_size == 0 {
            return Err(usage("--chunk-size must be at least 1"));
        }
        if self.prefix.as_deref().is_some_and(|p| p.trim().is_empty()) {
            return Err(usage(
                "--prefix must not be empty (use '%m [%p] ' style escapes)",
            ));
        }
        if self.per.is_some() {
            if self.paths.iter().any(|p| p.as_os_str() == "-") {
                return Err(usage(
                    "--per reads files (their times decide their periods), not standard input",
                ));
            }
            if self.save_partial.is_some() {
                return Err(usage(
                    "--per saves one partial per period beside the reports: drop --save-partial",
                ));
            }
            if out.output.as_os_str() == "-" {
                return Err(usage(
                    "--per writes a report per period beside -o's index: -o - cannot hold them",
                ));
            }
            if out.json.is_some() || out.markdown.is_some() {
                return Err(usage(
                    "--per writes each period's JSON beside its report; --json and --markdown are for one report",
                ));
            }
        }
        let format = match self.format.as_deref() {
            None => None,
            Some(f) => Some(LogFormat::from_name(f).ok_or_else(|| {
                usage(format!(
                    "--format must be stderr, csvlog, jsonlog or syslog, not {f:?}"
                ))
            })?),
        };
        Ok(Config {
            paths: self.paths,
            out,
            top: top.unwrap_or(DEFAULT_TOP),
            prefix: self.prefix,
            threads: self.threads,
            show_values: self.show_values,
            format,
            save_partial: self.save_partial,
            quiet: self.quiet,
            chunk_bytes: self.chunk_size,
            filters,
            per: self.per,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(args: &[&str]) -> Result<Task, UsageError> {
        Cli::try_parse_from(std::iter::once("pgsift").chain(args.iter().copied()))
            .expect("clap accepts the arguments")
            .into_task()
    }

    fn report(args: &[&str]) -> Config {
        match task(args) {
            Ok(Task::Report(c)) => *c,
            other => panic!("not a report: {other:?}"),
        }
    }

    fn merge(args: &[&str]) -> MergeConfig {
        match task(args) {
            Ok(Task::Merge(c)) => c,
            other => panic!("not a merge: {other:?}"),
        }
    }

    #[test]
    fn report_and_merge_share_the_output_flags() {
        let shared = [
            "-o",
            "r.html",
            "--json",
            "a.json",
            "--tz",
            "+05:30",
            "--cpu-cores",
            "8",
            "--baseline",
            "b.json",
            "--top",
            "7",
        ];
        let r = report(&[&["report", "x.log"], &shared[..]].concat());
        let m = merge(&[&["merge", "p.partial"], &shared[..]].concat());
        for out in [&r.out, &m.out] {
            assert_eq!(out.output, PathBuf::from("r.html"));
            assert_eq!(out.json, Some(PathBuf::from("a.json")));
            assert_eq!(out.tz.as_deref(), Some("+05:30"));
            assert_eq!(out.cpu_cores, Some(8));
            assert_eq!(out.baseline, Some(PathBuf::from("b.json")));
        }
        assert_eq!((r.top, m.top), (7, Some(7)));
    }

    #[test]
    fn top_defaults_to_25_for_report_and_to_the_partials_for_merge() {
        let r = report(&["report", "x.log"]);
        assert_eq!(r.top, DEFAULT_TOP);
        assert_eq!(r.out.output, PathBuf::from("output/report.html"));
        assert_eq!(merge(&["merge", "p"]).top, None);
    }

    #[test]
    fn validation_names_the_flag() {
        let cases: [(&[&str], &str); 10] = [
            (&["report", "x", "--top", "0"], "--top must be at least 1"),
            (&["merge", "p", "--top", "0"], "--top must be at least 1"),
            (&["report", "x", "-j", "0"], "-j/--jobs must be at least 1"),
            (
                &["report", "x", "-j", "4000"],
                "-j/--jobs 4000: at most 256",
            ),
            (
                &["report", "x", "--chunk-size", "0"],
                "--chunk-size must be at least 1",
            ),
            (
                &["report", "x", "--prefix", " "],
                "--prefix must not be empty (use '%m [%p] ' style escapes)",
            ),
            (
                &["report", "x", "--format", "xml"],
                "--format must be stderr, csvlog, jsonlog or syslog, not \"xml\"",
            ),
            (
                &["report", "x", "--tz", "Mars"],
                "--tz: unknown zone \"Mars\"",
            ),
            (
                &["merge", "p", "--tz", "Mars"],
                "--tz: unknown zone \"Mars\"",
            ),
            (
                &["merge", "p", "--cpu-cores", "0"],
                "--cpu-cores must be at least 1",
            ),
        ];
        for (args, message) in cases {
            let e = task(args).expect_err(message);
            assert!(e.to_string().starts_with(message), "{args:?}: {e}");
        }
    }

    #[test]
    fn a_negative_offset_is_a_zone_not_a_flag() {
        let r = report(&["report", "x.log", "--tz", "-05:00"]);
        assert_eq!(r.out.tz.as_deref(), Some("-05:00"));
    }

    #[test]
    fn a_baseline_is_named_not_read() {
        // the file does not exist: reading it is the run's business
        let r = report(&["report", "x", "--baseline", "/nonexistent/b.json"]);
        assert_eq!(r.out.baseline, Some(PathBuf::from("/nonexistent/b.json")));
    }

    #[test]
    fn the_help_of_each_command_keeps_its_top_text() {
        use clap::CommandFactory;
        let mut cli = Cli::command();
        let report = cli
            .find_subcommand_mut("report")
            .unwrap()
            .render_help()
            .to_string();
        assert!(report.contains("lists [default: 25]"), "{report}");
        let merge = cli
            .find_subcommand_mut("merge")
            .unwrap()
            .render_help()
            .to_string();
        assert!(merge.contains("(default: the partials' --top)"), "{merge}");
        assert!(!merge.contains("[default: 25]"), "{merge}");
        assert!(!merge.contains("--quiet"), "{merge}");
    }
}
