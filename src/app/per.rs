//! `pgsift report --per day|week`: one report per period of an archive, and
//! an index page listing them with their headline figures.
//!
//! Each period's report is the run `--since START --until END` would make on
//! the files that hold entries of that period (the time filter cuts whole
//! entries, in the logs' zone or `--tz`), so it is what a run on that period's
//! lines gives. Which files hold which periods is learned by reading each
//! file once; a manifest beside the index (`pgsift-periods.json`) keeps every
//! file's identity (size, modification time) and time range, and each
//! period's files and headline, with a partial result per period: a re-run on
//! a growing archive reads only the new or changed files, and only the
//! periods they touch.

use super::report::read_files;
use super::{Outputs, render};
use crate::cli::{Config, Per};
use crate::input::{InputFile, discover};
use crate::parse::filter::TimeBound;
use crate::parse::timestamp::{civil_from_days, days_from_civil, offset_text};
use crate::report::index::PeriodRow;
use crate::units::{count, duration_ms};
use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;

/// The manifest's file name, beside the index.
pub const MANIFEST: &str = "pgsift-periods.json";
const DAY_MS: i64 = 86_400_000;

/// What a previous run learned and wrote (see the module doc).
#[derive(Debug, Default, Serialize, Deserialize)]
struct Manifest {
    /// The options that shaped the partials: another value reads everything again.
    options: String,
    /// The zone periods are cut in (minutes east of UTC).
    zone_offset_min: Option<i32>,
    files: BTreeMap<String, FileSeen>,
    periods: BTreeMap<String, PeriodSeen>,
}

/// A file's identity and what it holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct FileSeen {
    size: u64,
    mtime_ms: i64,
    /// A log with timed entries from `first_ms` to `last_ms`; `None`: no
    /// entry with a time (statistics CSVs, unreadable or empty files).
    range: Option<(i64, i64)>,
    statistics: bool,
    error: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct PeriodSeen {
    /// (path, size, modification time) of its files, sorted.
    files: Vec<(String, u64, i64)>,
    row: PeriodRow,
}

/// The clock periods are cut by: a fixed offset, or a tz database zone whose
/// offset follows daylight saving time (a day is then 23 or 25 hours long).
#[derive(Debug, Clone)]
struct Cut {
    offset: i32,
    iana: Option<String>,
}

impl Cut {
    fn fixed(offset: i32) -> Cut {
        Cut { offset, iana: None }
    }

    /// The wall-clock time (epoch ms read as UTC) of the instant `ms`.
    fn wall(&self, ms: i64) -> i64 {
        let off = match &self.iana {
            Some(z) => crate::parse::timestamp::zone_offset_at(z, ms).unwrap_or(self.offset),
            None => self.offset,
        };
        ms + i64::from(off) * 60_000
    }

    /// The instant of the wall-clock time `wall`.
    fn instant(&self, wall: i64) -> i64 {
        match &self.iana {
            Some(z) => crate::parse::timestamp::wall_to_instant(z, wall)
                .unwrap_or(wall - i64::from(self.offset) * 60_000),
            None => wall - i64::from(self.offset) * 60_000,
        }
    }
}

/// The periods (start, end: UTC ms) from `first` to `last`: local days from
/// midnight, or ISO weeks from Monday 00:00.
fn periods_of(first: i64, last: i64, per: Per, cut: &Cut) -> Vec<(i64, i64)> {
    let day = cut.wall(first).div_euclid(DAY_MS);
    let (mut day, step) = match per {
        Per::Day => (day, 1),
        // 1970-01-01 was a Thursday: Monday is 3 days before
        Per::Week => (day - (day + 3).rem_euclid(7), 7),
    };
    let mut out = Vec::new();
    loop {
        let start = cut.instant(day * DAY_MS);
        if start > last {
            break;
        }
        let end = cut.instant((day + step) * DAY_MS);
        out.push((start, end));
        day += step;
    }
    out
}

/// `2026-11-27`, or the ISO week `2026-W48`, of a period starting at `start`.
fn label(start: i64, per: Per, cut: &Cut) -> String {
    let local_day = cut.wall(start).div_euclid(DAY_MS);
    match per {
        Per::Day => {
            let (y, m, d) = civil_from_days(local_day);
            format!("{y:04}-{m:02}-{d:02}")
        }
        Per::Week => {
            // the ISO year is the Thursday's; its week, the Thursday's day of year / 7
            let thursday = local_day + 3;
            let (y, _, _) = civil_from_days(thursday);
            let week = (thursday - days_from_civil(y, 1, 1)) / 7 + 1;
            format!("{y:04}-W{week:02}")
        }
    }
}

fn identity(f: &InputFile) -> Option<(u64, i64)> {
    let m = std::fs::metadata(&f.path).ok()?;
    let mtime = m
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_millis() as i64;
    Some((m.len(), mtime))
}

/// Runs `report --per`: the period reports, their partials, the index and the
/// manifest. Exit 1 when some input could not be read.
pub fn run(config: &Config, per: Per) -> anyhow::Result<ExitCode> {
    let index = &config.out.output;
    let dir = index
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let (files, missing) = discover(&config.paths);
    if files.is_empty() {
        // the same message as a run without --per
        read_files(config, &files, missing)?;
        bail!("no input files found");
    }
    let options = options_key(config);
    let manifest_path = dir.join(MANIFEST);
    let mut old: Manifest = std::fs::read(&manifest_path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .filter(|m: &Manifest| m.options == options)
        .unwrap_or_default();
    let seen = learn(config, &files, &mut old)?;
    let cut = cut_of(config, &old);
    // the periods, each with its files
    let mut periods: BTreeMap<(i64, i64), Vec<&InputFile>> = BTreeMap::new();
    for f in &files {
        if let Some((first, last)) = seen[&key(f)].range {
            for p in periods_of(first, last, per, &cut) {
                periods.entry(p).or_default().push(f);
            }
        }
    }
    if periods.is_empty() {
        bail!(
            "no PostgreSQL log with timestamps found in {}: nothing to split by period",
            config
                .paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let mut rows = Vec::new();
    let mut new_periods = BTreeMap::new();
    for ((start, end), in_period) in periods {
        let label = label(start, per, &cut);
        let ids: Vec<(String, u64, i64)> = in_period
            .iter()
            .map(|f| {
                let s = &seen[&key(f)];
                (key(f), s.size, s.mtime_ms)
            })
            .collect();
        let base = dir.join(format!("pgsift-{label}"));
        let reusable = old.periods.remove(&label).filter(|p| {
            p.files == ids
                && base.with_extension("html").is_file()
                && base.with_extension("json").is_file()
                && base.with_extension("partial").is_file()
        });
        let row = match reusable {
            Some(p) => PeriodRow {
                read: false,
                ..p.row
            },
            None => read_period(config, &in_period, (start, end, cut.offset), &label, &base)?,
        };
        rows.push(row.clone());
        new_periods.insert(label, PeriodSeen { files: ids, row });
    }
    let statistics = seen.values().filter(|s| s.statistics).count();
    let untimed: Vec<&str> = seen
        .iter()
        .filter(|(_, s)| s.range.is_none() && !s.statistics && s.error.is_none())
        .map(|(p, _)| p.as_str())
        .collect();
    let errors: Vec<String> = seen
        .iter()
        .filter_map(|(p, s)| s.error.as_ref().map(|e| format!("{p}: {e}")))
        .chain(
            missing
                .iter()
                .filter(|m| !m.skipped)
                .map(|m| format!("{}: {}", m.path.display(), m.message)),
        )
        .collect();
    let mut note = note(&rows, &cut, per, statistics, &errors);
    if !untimed.is_empty() {
        note.push_str(&format!(
            " In no period (no timed PostgreSQL entry: a pgBouncer log, an empty file): {}.",
            untimed.join(", ")
        ));
    }
    let html = crate::report::index::render(
        &format!(
            "PostgreSQL audit by {}",
            if per == Per::Day { "day" } else { "week" }
        ),
        &format!("pgsift {}", env!("CARGO_PKG_VERSION")),
        &note,
        &rows,
    );
    crate::output::write_atomic(index, html.as_bytes())
        .with_context(|| format!("writing {}", index.display()))?;
    let manifest = Manifest {
        options,
        zone_offset_min: old.zone_offset_min,
        files: seen,
        periods: new_periods,
    };
    crate::output::write_atomic(&manifest_path, &serde_json::to_vec_pretty(&manifest)?)
        .with_context(|| format!("writing {}", manifest_path.display()))?;
    if !config.quiet {
        let read = rows.iter().filter(|r| r.read).count();
        eprintln!(
            "pgsift: {} period report(s) ({read} read, {} unchanged) indexed in {}",
            rows.len(),
            rows.len() - read,
            index.display()
        );
        for e in &errors {
            eprintln!("pgsift: warning: {e}");
        }
    }
    Ok(if errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The options that shape the partials and reports: a manifest made with
/// others is not reused.
fn options_key(config: &Config) -> String {
    format!(
        "pgsift {} partial {}; {:?}; values {}; top {}; prefix {:?}; format {:?}; tz {:?}; cores {:?}; baseline {:?} {:?}; title {:?}",
        env!("CARGO_PKG_VERSION"),
        crate::aggregate::partial::PARTIAL_VERSION,
        config.filters.describe(),
        config.show_values,
        config.top,
        config.prefix,
        config.format.map(|f| f.name()),
        config.out.tz,
        config.out.cpu_cores,
        config.out.baseline,
        config
            .out
            .baseline
            .as_deref()
            .and_then(|b| identity(&InputFile {
                path: b.to_path_buf(),
                explicit: true
            })),
        config.out.title,
    )
}

/// The clock periods are cut by: --tz, else the logs' own zone (learned).
fn cut_of(config: &Config, old: &Manifest) -> Cut {
    // --tz (a tz database zone follows daylight saving time), else the logs'
    // own zone when they all write one, else UTC
    match config.out.tz.as_deref() {
        Some(tz) => Cut {
            offset: crate::parse::timestamp::zone_offset(tz).unwrap_or(0),
            iana: crate::parse::timestamp::zone_offset(tz)
                .is_none()
                .then(|| tz.to_string()),
        },
        None => Cut::fixed(old.zone_offset_min.unwrap_or(0)),
    }
}

fn key(f: &InputFile) -> String {
    f.path.display().to_string()
}

/// Every file's identity and time range: from the manifest when the file has
/// not changed, else read once (with the run's filters) to learn it. Sets the
/// manifest's zone when it has none (the logs' own, when they all write one).
fn learn(
    config: &Config,
    files: &[InputFile],
    old: &mut Manifest,
) -> anyhow::Result<BTreeMap<String, FileSeen>> {
    let mut seen = BTreeMap::new();
    let mut unknown = Vec::new();
    for f in files {
        let id = identity(f);
        match (old.files.get(&key(f)), id) {
            // a file that could not be read is read again (a permission fixed
            // does not change its size or time)
            (Some(s), Some((size, mtime)))
                if s.size == size && s.mtime_ms == mtime && s.error.is_none() =>
            {
                seen.insert(key(f), s.clone());
            }
            _ => unknown.push(f.clone()),
        }
    }
    if unknown.is_empty() {
        return Ok(seen);
    }
    // identities before reading: a file that grows meanwhile is read again next time
    let ids: Vec<(u64, i64)> = unknown
        .iter()
        .map(|f| identity(f).unwrap_or((0, 0)))
        .collect();
    let agg = read_files(config, &unknown, Vec::new())?;
    if old.zone_offset_min.is_none() {
        let zones = &agg.logs.summary.zones;
        old.zone_offset_min = Some(match zones.iter().next() {
            Some(z) if zones.len() == 1 => crate::parse::timestamp::zone_offset(z).unwrap_or(0),
            _ => 0,
        });
    }
    for (f, &(size, mtime_ms)) in unknown.iter().zip(&ids) {
        let cov = agg.logs.coverage.files.get(&key(f));
        let statistics =
            cov.is_some_and(|c| c.format.as_deref().is_some_and(|x| x.starts_with("csv: ")));
        let range = cov.and_then(|c| Some((c.first_ms?, c.last_ms?)));
        seen.insert(
            key(f),
            FileSeen {
                size,
                mtime_ms,
                range: range.filter(|_| !statistics),
                statistics,
                error: cov.and_then(|c| c.error.clone()),
            },
        );
    }
    Ok(seen)
}

/// Reads one period's files with the period as a time filter (within the
/// run's own --since/--until), writes its report, JSON and partial, and
/// returns its index row.
fn read_period(
    config: &Config,
    files: &[&InputFile],
    (start, end, offset): (i64, i64, i32),
    label: &str,
    base: &Path,
) -> anyhow::Result<PeriodRow> {
    let mut cfg = config.clone();
    let mut entries = (*config.filters.entries).clone();
    // the run's own bounds are kept when they are inside the period
    entries.since = Some(match entries.since {
        Some(s) if s.instant(offset) > start => s,
        _ => TimeBound::utc(start),
    });
    entries.until = Some(match entries.until {
        Some(u) if u.instant(offset) < end => u,
        _ => TimeBound::utc(end),
    });
    cfg.filters.entries = std::sync::Arc::new(entries);
    cfg.out.output = base.with_extension("html");
    cfg.out.json = Some(base.with_extension("json"));
    cfg.out.markdown = None;
    let owned: Vec<InputFile> = files.iter().map(|f| (*f).clone()).collect();
    let agg = read_files(&cfg, &owned, Vec::new())?;
    let partial = base.with_extension("partial");
    let bytes = crate::aggregate::partial::encode(
        &agg,
        crate::aggregate::partial::PartialOptions {
            show_values: cfg.show_values,
            slowest: cfg.top,
        },
    )
    .context("encoding the partial result")?;
    crate::output::write_atomic(&partial, &bytes)
        .with_context(|| format!("writing {}", partial.display()))?;
    let outputs = Outputs::of(&cfg.out, cfg.top, cfg.show_values, Some(&cfg.filters))?;
    let a = render(&agg, &outputs)?.audit;
    let s = &a.summary;
    Ok(PeriodRow {
        label: label.to_string(),
        href: file_name(&cfg.out.output),
        window: match (&s.first_ts, &s.last_ts) {
            (Some(f), Some(l)) => format!("{f} to {l}"),
            _ => "-".into(),
        },
        files: files.len(),
        executions: count(s.executions),
        total_time: duration_ms(s.total_duration_ms),
        errors: count(a.activity.errors.iter().map(|e| e.count).sum()),
        deadlocks: count(a.activity.deadlocks.count),
        high: a
            .findings
            .iter()
            .filter(|f| f.severity == crate::analyze::findings::Severity::High)
            .count(),
        findings: a.findings.len(),
        top_finding: a
            .findings
            .first()
            .map(|f| f.title.clone())
            .unwrap_or_default(),
        read: true,
    })
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn note(rows: &[PeriodRow], cut: &Cut, per: Per, statistics: usize, errors: &[String]) -> String {
    let read = rows.iter().filter(|r| r.read).count();
    let mut note = format!(
        "Each report is what a run on that {}'s lines gives: whole entries cut at {} ({}). This run read {read} period(s) and kept {} whose files did not change (size and modification time).",
        if per == Per::Day { "day" } else { "ISO week" },
        if per == Per::Day {
            "midnight"
        } else {
            "Monday 00:00"
        },
        match &cut.iana {
            Some(z) => z.clone(),
            None => format!("UTC{}", offset_text(cut.offset)),
        },
        rows.len() - read
    );
    if statistics > 0 {
        note.push_str(&format!(
            " {statistics} statistics CSV(s) are snapshots, not split by period: run pgsift report on them alone."
        ));
    }
    if !errors.is_empty() {
        note.push_str(&format!(" Could not be read: {}.", errors.join("; ")));
    }
    note
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(t: &str) -> i64 {
        crate::parse::timestamp::datetime(t).unwrap().1.0
    }

    #[test]
    fn days_and_iso_weeks_in_the_logs_zone() {
        let starts = |a: &str, b: &str, per: Per, cut: &Cut| -> Vec<i64> {
            periods_of(ms(a), ms(b), per, cut)
                .iter()
                .map(|p| p.0)
                .collect()
        };
        let utc = Cut::fixed(0);
        let days = starts("2026-11-27 23:30:00", "2026-11-28 00:10:00", Per::Day, &utc);
        assert_eq!(days, [ms("2026-11-27 00:00:00"), ms("2026-11-28 00:00:00")]);
        // at +01:00, 23:30 UTC is already the 28th
        let cet = Cut::fixed(60);
        let days = starts("2026-11-27 23:30:00", "2026-11-27 23:40:00", Per::Day, &cet);
        assert_eq!(days, [ms("2026-11-27 23:00:00")]);
        assert_eq!(label(days[0], Per::Day, &cet), "2026-11-28");
        // 2026-11-27 is a Friday of ISO week 48; 2027-01-01 a Friday of 2026-W53
        let w = starts(
            "2026-11-27 12:00:00",
            "2026-11-27 12:00:00",
            Per::Week,
            &utc,
        );
        assert_eq!(w, [ms("2026-11-23 00:00:00")]);
        assert_eq!(label(w[0], Per::Week, &utc), "2026-W48");
        let w = starts(
            "2027-01-01 12:00:00",
            "2027-01-04 00:00:00",
            Per::Week,
            &utc,
        );
        assert_eq!(label(w[0], Per::Week, &utc), "2026-W53");
        assert_eq!(label(w[1], Per::Week, &utc), "2027-W01");
    }

    #[test]
    fn a_tz_database_zone_cuts_at_each_days_own_midnight() {
        // Berlin leaves summer time on 2026-10-25: that day lasts 25 hours
        let berlin = Cut {
            offset: 0,
            iana: Some("Europe/Berlin".into()),
        };
        let p = periods_of(
            ms("2026-10-24 12:00:00"),
            ms("2026-10-26 12:00:00"),
            Per::Day,
            &berlin,
        );
        assert_eq!(
            p,
            [
                (ms("2026-10-23 22:00:00"), ms("2026-10-24 22:00:00")),
                (ms("2026-10-24 22:00:00"), ms("2026-10-25 23:00:00")),
                (ms("2026-10-25 23:00:00"), ms("2026-10-26 23:00:00")),
            ]
        );
        // 23:30 CET on the 26th (22:30 UTC) is the 26th
        assert_eq!(label(p[2].0, Per::Day, &berlin), "2026-10-26");
        assert!(p[2].0 <= ms("2026-10-26 22:30:00") && ms("2026-10-26 22:30:00") < p[2].1);
    }
}
