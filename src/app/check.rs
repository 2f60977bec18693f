//! `pgsift check`: this run (a JSON audit, or inputs read as `report` reads
//! them) judged against an earlier run's JSON by the gate's thresholds; one
//! line per violation on standard output, the verdict as the exit code.

use super::{Outputs, read_baseline};
use crate::analyze::gate::{Thresholds, judge};
use crate::cli::CheckConfig;
use anyhow::{Context, bail};
use serde_json::Value;
use std::io::Write;
use std::process::ExitCode;

/// Runs `pgsift check`: 0 within thresholds, 1 a threshold crossed; `Err`
/// (exit 2) when the baseline, the thresholds or this run cannot be read.
pub fn run(config: &CheckConfig) -> anyhow::Result<ExitCode> {
    let baseline = read_baseline(&config.baseline)?;
    let mut t = Thresholds::default();
    if let Some(p) = &config.limits.thresholds {
        let text =
            std::fs::read_to_string(p).with_context(|| format!("--thresholds {}", p.display()))?;
        t.apply_file(&text)
            .map_err(|e| anyhow::anyhow!("--thresholds {}: {e}", p.display()))?;
    }
    config.limits.apply(&mut t);
    let current = current(config)?;
    let verdict = judge(&baseline, &current, &t);
    let mut out = std::io::stdout().lock();
    for v in &verdict.violations {
        writeln!(out, "{}", v.text)?;
    }
    out.flush()?;
    let mut err = std::io::stderr().lock();
    if verdict.violations.is_empty() {
        let _ = writeln!(
            err,
            "pgsift check: within thresholds ({} queries compared with {}; {})",
            verdict.compared,
            config.baseline.display(),
            t.describe()
        );
        Ok(ExitCode::SUCCESS)
    } else {
        let _ = writeln!(
            err,
            "pgsift check: {} threshold(s) crossed ({} queries compared with {}; {})",
            verdict.violations.len(),
            verdict.compared,
            config.baseline.display(),
            t.describe()
        );
        Ok(ExitCode::from(1))
    }
}

/// The JSON audit `p` holds, if it is one: its first JSON value is read as a
/// stream (a jsonlog's first record is small; a log of many GB is not read
/// whole), and it is an audit when it has a `schema_version`.
fn json_audit(p: &std::path::Path) -> Option<Value> {
    if !p.is_file() {
        return None;
    }
    let f = std::io::BufReader::new(std::fs::File::open(p).ok()?);
    let first = serde_json::Deserializer::from_reader(f)
        .into_iter::<Value>()
        .next()?
        .ok()?;
    first.get("schema_version").is_some().then_some(first)
}

/// This run's audit as JSON: the file itself when it is one JSON audit, else
/// the inputs read and analyzed (and written with `--json` when asked).
fn current(config: &CheckConfig) -> anyhow::Result<Value> {
    if let [one] = config.paths.as_slice()
        && let Some(v) = json_audit(one)
    {
        crate::analyze::compare::check(&v)
            .map_err(|e| anyhow::anyhow!("{}: {e}", one.display()))?;
        let read = &config.read;
        if !read.filters.describe().is_empty()
            || read.prefix.is_some()
            || read.format.is_some()
            || read.out.tz.is_some()
            || read.out.json.is_some()
        {
            bail!(
                "{} is a JSON audit: filters, --tz, --prefix, --format and --json apply to logs; run pgsift report with them first",
                one.display()
            );
        }
        if v["summary"]["executions"].as_u64().unwrap_or(0) == 0 {
            bail!(
                "cannot judge {}: it holds no timed statement",
                one.display()
            );
        }
        return Ok(v);
    }
    let read = &config.read;
    let outputs = Outputs::of(&read.out, read.top, false, Some(&read.filters))?;
    let agg = super::report::read_inputs(read)?;
    let audit = crate::analyze::analyze(&agg.logs, &agg.stats, &outputs.analyze);
    let unreadable: Vec<String> = audit
        .coverage
        .files
        .iter()
        .filter_map(|f| f.error.as_ref().map(|e| format!("{}: {e}", f.path)))
        .collect();
    if !unreadable.is_empty() {
        bail!(
            "cannot judge this run: some input could not be read ({})",
            unreadable.join("; ")
        );
    }
    if audit.summary.executions == 0 {
        bail!(
            "cannot judge this run: no timed statement was read (the gate compares the logs' statement timings)"
        );
    }
    let json = crate::report::json::render(&audit);
    if let Some(j) = &read.out.json {
        crate::output::write_atomic(j, &json)
            .with_context(|| format!("writing {}", j.display()))?;
    }
    serde_json::from_slice(&json).context("reading back this run's JSON")
}
