//! Analyze layer: the merged [`Aggregate`] -> the [`Audit`], a ranked, serializable
//! result. The audit is the JSON contract (`schema_version` 1) and the only input
//! of the report layer. Sorting is total (impact, then key), so the audit does not
//! depend on the order in which partial results were merged.

pub mod activity;
pub mod checklist;
pub mod compare;
pub mod findings;
pub mod gate;
pub mod index_advice;
pub mod nplusone;
pub mod stats;

use crate::aggregate::coverage::FileCoverage;
use crate::aggregate::query::{QueryStats, Sample};
use crate::aggregate::{Aggregate, BIN_UPPER_MS};
use crate::normalize::{fingerprint, fingerprint_hex};
use crate::parse::timestamp::{Timestamp, offset_text, zone_offset};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Version of the JSON contract. Bump on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// Milliseconds from microseconds, exact to the microsecond.
pub(crate) fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

pub(crate) fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// The whole result of an analysis.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Audit {
    /// Version of this JSON layout.
    pub schema_version: u32,
    /// `pgsift <version>`.
    pub generator: String,
    pub summary: AuditSummary,
    pub coverage: AuditCoverage,
    /// Normalized queries by total time, descending.
    pub queries: Vec<QueryReport>,
    /// The slowest individual statements, slowest first.
    pub slowest: Vec<SampleReport>,
    /// Executions per latency bin.
    pub latency_bins: Vec<LatencyBin>,
    /// Locks, deadlocks, temp files, errors, checkpoints, autovacuum, sessions, plans.
    #[serde(flatten)]
    pub activity: activity::ActivityView,
    /// Statements, indexes, tables, cache, sessions and checkpoints from the
    /// statistics CSVs, and the window they cover.
    #[serde(flatten)]
    pub stats: stats::StatsView,
    /// N+1 bursts found in the log, and suspected ones from pg_stat_statements.
    pub n_plus_one: nplusone::NPlusOneView,
    /// Indexes to create, from query text corroborated by sequential scans.
    pub index_recommendations: Vec<index_advice::IndexRecommendation>,
    /// Indexes the query text asks for on tables nothing shows how they are
    /// read (no statistics of the table, no plan of the query): to confirm.
    #[serde(default)]
    pub index_candidates: Vec<index_advice::IndexCandidate>,
    /// Candidate columns the export's column list of their table does not have
    /// (`schema.table.column`): such candidates are dropped, and named here.
    #[serde(default)]
    pub index_columns_unknown: Vec<String>,
    /// Candidates dropped because the query's own plan shows its filter keeping
    /// too many of the rows scanned for an index to pay (`schema.table (columns):
    /// why`).
    #[serde(default)]
    pub index_unselective: Vec<String>,
    /// Pauses between statements of explicit transactions (time lost outside the database).
    pub transaction_pauses: nplusone::TransactionPauses,
    /// Every problem found, ranked by time at stake.
    pub findings: Vec<findings::Finding>,
    /// The optimization checklist, item by item.
    pub checklist: Vec<findings::CheckItem>,
    /// Values to alert on, from this run.
    pub thresholds: Vec<findings::Threshold>,
    /// The report's opening sentences.
    pub first_screen: findings::FirstScreen,
    /// Against `--baseline` (null without it).
    pub comparison: Option<compare::Comparison>,
}

/// Whole-input figures.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AuditSummary {
    /// First and last timestamp of a statement or server event
    /// (`YYYY-MM-DD HH:MM:SS.mmm`, in `time_zone`).
    pub first_ts: Option<String>,
    pub last_ts: Option<String>,
    /// The zone every time in this audit is shown in: the logs' own, or `--tz`.
    pub time_zone: String,
    /// Its UTC offset, `+02:00`.
    pub time_zone_offset: String,
    /// Zone labels found in the logs' timestamps (e.g. `UTC`, `CEST`).
    pub time_zones: Vec<String>,
    /// Labels pgsift does not know; their times were taken as UTC.
    pub unknown_time_zones: Vec<String>,
    /// Log entries read (a primary line with its continuation and secondary lines).
    pub entries: u64,
    /// Timed statement executions (simple protocol statements and extended-protocol executes).
    pub executions: u64,
    /// Statements logged without a duration (not in `executions`).
    pub untimed_statements: u64,
    /// Distinct normalized queries.
    pub distinct_queries: u64,
    /// Sum of execution durations, ms.
    pub total_duration_ms: f64,
    /// Bare `duration:` lines with no statement to attach to (e.g. parse/bind under log_duration).
    pub unattributed_durations: u64,
    pub unattributed_duration_ms: f64,
    /// Extended-protocol parse and bind steps (timed, not executions).
    pub parse_count: u64,
    pub parse_ms: f64,
    pub bind_count: u64,
    pub bind_ms: f64,
    /// Whether literal values and bind parameters are shown in examples.
    pub values_shown: bool,
    /// How finely the logs' timestamps tell time: `1ms`, `1s` (whole seconds:
    /// `%t`, BSD syslog) or `mixed` (some files each); null without timestamps.
    #[serde(default)]
    pub clock_resolution: Option<String>,
    /// Some timestamps have whole seconds: times derived from them (pauses
    /// inside transactions, the peak of concurrent sessions, the span of a
    /// burst) are approximate, to about a second.
    #[serde(default)]
    pub approximate: bool,
}

impl AuditSummary {
    /// The clock name and whether it makes derived times approximate, from
    /// the timestamps counted per clock.
    fn clock(s: &crate::aggregate::Summary) -> (Option<String>, bool) {
        let name = match (s.millis_timestamps > 0, s.seconds_timestamps > 0) {
            (false, false) => None,
            (true, false) => Some("1ms"),
            (false, true) => Some("1s"),
            (true, true) => Some("mixed"),
        };
        (name.map(str::to_string), s.seconds_timestamps > 0)
    }
}

impl Audit {
    /// `The log's timestamps have whole seconds (%t)` when some do (`Some of
    /// the logs' ...` when others have milliseconds; `(syslog)` when a syslog
    /// file's entries took syslog's own time): the start of every sentence
    /// that says a timing is approximate.
    pub fn whole_seconds(&self) -> Option<String> {
        if !self.summary.approximate {
            return None;
        }
        let whose = if self.summary.clock_resolution.as_deref() == Some("mixed") {
            "Some of the logs' timestamps"
        } else {
            "The log's timestamps"
        };
        let syslog = self
            .coverage
            .files
            .iter()
            .any(|f| f.clock.as_deref() == Some("1s") && f.format.as_deref() == Some("syslog"));
        let source = if syslog { "syslog" } else { "%t" };
        Some(format!("{whose} have whole seconds ({source})"))
    }
}

/// Input coverage totals and per-file details.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AuditCoverage {
    /// Log files read (skipped files not included).
    pub files_total: u64,
    /// Files that could not be read fully or at all (see each file's `error`).
    pub files_unreadable: u64,
    /// Files found in directories that are not PostgreSQL logs (listed, not read).
    pub files_skipped: u64,
    pub bytes_total: u64,
    pub lines_total: u64,
    pub lines_parsed: u64,
    pub lines_ignored: u64,
    pub lines_unrecognized: u64,
    /// Lines of entries the run's filters left out (see each file's `filtered_by`).
    #[serde(default)]
    pub lines_filtered: u64,
    /// Lines of entries pgsift refused to count (impossible durations): the
    /// run exits 1 and says so.
    #[serde(default)]
    pub lines_rejected: u64,
    /// The run's filters (`--since ...`, `--database shop`), one phrase each.
    #[serde(default)]
    pub filters: Vec<String>,
    /// Databases whose statistics `--database` left out.
    #[serde(default)]
    pub statistics_filtered: Vec<String>,
    pub invalid_utf8_lines: u64,
    pub files: Vec<FileCoverage>,
    /// Statistics CSVs given (read or skipped).
    #[serde(default)]
    pub statistics_files: u64,
    /// Statistics CSVs that fed nothing, with why.
    #[serde(default)]
    pub statistics_unused: Vec<stats::UnusedStats>,
}

/// One normalized query.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct QueryReport {
    /// 1-based rank by total time.
    pub rank: usize,
    /// 16 hex digits: stable FNV-1a hash of `normalized`.
    pub fingerprint: String,
    pub normalized: String,
    /// Timed executions.
    pub count: u64,
    pub total_ms: f64,
    pub mean_ms: Option<f64>,
    pub min_ms: Option<f64>,
    pub max_ms: Option<f64>,
    /// Percentiles (nearest rank; within 1% of the exact value).
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    /// Fraction (0-1) of all execution time.
    pub share: f64,
    /// Executions (timed and untimed) per user, database and application.
    pub users: BTreeMap<String, u64>,
    pub databases: BTreeMap<String, u64>,
    pub apps: BTreeMap<String, u64>,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    /// Statements of this group logged without a duration.
    pub untimed: u64,
    pub parse_count: u64,
    pub parse_ms: f64,
    pub bind_count: u64,
    pub bind_ms: f64,
    /// Some statement looked cut off (unterminated literal or comment).
    pub truncated: bool,
    /// The slowest execution, as evidence.
    pub example: Option<SampleReport>,
    /// Red flags of the query's slowest auto_explain plan (see `plans[]`).
    pub plan_flags: Vec<String>,
}

/// One concrete statement.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SampleReport {
    pub duration_ms: f64,
    pub ts: Option<String>,
    pub user: Option<String>,
    pub database: Option<String>,
    pub app: Option<String>,
    pub file: String,
    pub line: u64,
    /// The statement text; literals are `$n` unless values are shown.
    pub text: String,
    /// Bind parameters as logged (only when values are shown).
    pub params: Option<String>,
    /// Fingerprint of the statement's normalized query.
    pub fingerprint: String,
}

/// One latency bin.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LatencyBin {
    /// Inclusive lower bound, ms.
    pub from_ms: u64,
    /// Exclusive upper bound, ms (`None`: open-ended).
    pub to_ms: Option<u64>,
    pub count: u64,
    pub total_ms: f64,
}

fn sample_report(s: &Sample, tz: &DisplayZone) -> SampleReport {
    SampleReport {
        duration_ms: ms(s.duration_us),
        ts: s.ts.map(|t| tz.format(t)),
        user: s.user.clone(),
        database: s.db.clone(),
        app: s.app.clone(),
        file: s.file.clone(),
        line: s.line,
        text: s.text.clone(),
        params: s.params.clone(),
        fingerprint: fingerprint_hex(fingerprint(&s.normalized)),
    }
}

fn query_report(key: &str, q: &QueryStats, total_us: u64, tz: &DisplayZone) -> QueryReport {
    let timed = q.count > 0;
    let pct = |p: f64| q.hist.quantile(p).map(|us| round3(us / 1000.0));
    QueryReport {
        rank: 0,
        fingerprint: fingerprint_hex(fingerprint(key)),
        normalized: key.to_string(),
        count: q.count,
        total_ms: ms(q.total_us),
        mean_ms: timed.then(|| round3(q.total_us as f64 / q.count as f64 / 1000.0)),
        min_ms: q.min_us.map(ms),
        max_ms: timed.then(|| ms(q.max_us)),
        p50_ms: pct(0.50),
        p95_ms: pct(0.95),
        p99_ms: pct(0.99),
        share: if total_us == 0 {
            0.0
        } else {
            (q.total_us as f64 / total_us as f64 * 1e6).round() / 1e6
        },
        users: q.users.clone(),
        databases: q.dbs.clone(),
        apps: q.apps.clone(),
        first_seen: q.first_ts.map(|t| tz.format(t)),
        last_seen: q.last_ts.map(|t| tz.format(t)),
        untimed: q.untimed,
        parse_count: q.parse_count,
        parse_ms: ms(q.parse_us),
        bind_count: q.bind_count,
        bind_ms: ms(q.bind_us),
        truncated: q.truncated,
        example: q.slowest.as_ref().map(|s| sample_report(s, tz)),
        plan_flags: Vec::new(),
    }
}

/// How the audit is built.
#[derive(Debug, Clone, Default)]
pub struct AnalyzeOptions {
    /// Literal values and bind parameters were kept (`--show-values`).
    pub values_shown: bool,
    /// Zone to show times in (`--tz`): an abbreviation or an offset; default: the logs' own.
    pub tz: Option<String>,
    /// CPU cores of the database server (`--cpu-cores`), to size a connection pool.
    pub cpu_cores: Option<u32>,
    /// An earlier run's JSON audit (`--baseline`), checked with [`compare::check`].
    pub baseline: Option<serde_json::Value>,
    /// The run's filters, one phrase each (`--since ...`), said in the coverage.
    pub filters: Vec<String>,
    /// `--database`: the databases whose statistics are read.
    pub databases: crate::parse::filter::Names,
}

/// The zone times are shown in, and to what precision.
#[derive(Debug, Clone)]
pub(crate) struct DisplayZone {
    label: String,
    offset: i32,
    /// Every timestamp has whole seconds: times are shown to the second (no
    /// `.000` they do not have; a time derived from one, such as a session's
    /// start, is shown in the second it falls in).
    whole_seconds: bool,
    /// `--tz` named a zone of the tz database: each time is shown at the
    /// offset in force then (`offset` is the one at the window's start).
    iana: Option<jiff::tz::TimeZone>,
}

impl DisplayZone {
    /// The zone's offset at `t`, in minutes east of UTC.
    pub(crate) fn offset_at(&self, t: Timestamp) -> i32 {
        match &self.iana {
            Some(z) => jiff::Timestamp::from_millisecond(t.0)
                .map_or(self.offset, |i| z.to_offset(i).seconds() / 60),
            None => self.offset,
        }
    }

    /// How the zone is named (`UTC`, `CET`, `Europe/Berlin`, `+05:30`).
    pub(crate) fn label(&self) -> &str {
        &self.label
    }

    pub(crate) fn format(&self, t: Timestamp) -> String {
        let offset = self.offset_at(t);
        if self.whole_seconds {
            t.format_seconds_at(offset)
        } else {
            t.format_at(offset)
        }
    }

    /// The same zone, to the millisecond (for times from another source than
    /// the logs: the statistics exports).
    fn exact(&self) -> DisplayZone {
        DisplayZone {
            whole_seconds: false,
            ..self.clone()
        }
    }

    /// `--tz` if given; else the logs' zone when they all share one offset; else UTC.
    #[cfg(test)]
    fn choose(requested: Option<&str>, seen: &std::collections::BTreeSet<String>) -> DisplayZone {
        Self::choose_at(requested, seen, None)
    }

    /// [`Self::choose`]; an IANA `--tz`'s offset is the one in force at `start`.
    fn choose_at(
        requested: Option<&str>,
        seen: &std::collections::BTreeSet<String>,
        start: Option<Timestamp>,
    ) -> DisplayZone {
        if let Some(r) = requested {
            let iana = zone_offset(r)
                .is_none()
                .then(|| crate::parse::timestamp::iana_zone(r))
                .flatten();
            return DisplayZone {
                label: r.to_string(),
                offset: crate::parse::timestamp::zone_offset_at(r, start.map_or(0, |t| t.0))
                    .unwrap_or(0),
                whole_seconds: false,
                iana,
            };
        }
        let offsets: std::collections::BTreeSet<i32> =
            seen.iter().map(|z| zone_offset(z).unwrap_or(0)).collect();
        match (seen.iter().next(), offsets.len()) {
            (Some(first), 1) => DisplayZone {
                label: first.clone(),
                offset: zone_offset(first).unwrap_or(0),
                whole_seconds: false,
                iana: None,
            },
            _ => DisplayZone {
                label: "UTC".into(),
                offset: 0,
                whole_seconds: false,
                iana: None,
            },
        }
    }
}

/// Executions and time per latency bin, from the first bound to open-ended.
fn latency_bins(agg: &Aggregate) -> Vec<LatencyBin> {
    let mut lower = 0;
    (0..10)
        .map(|i| {
            let to = BIN_UPPER_MS.get(i).copied();
            let bin = LatencyBin {
                from_ms: lower,
                to_ms: to,
                count: agg.bins.count[i],
                total_ms: ms(agg.bins.total_us[i]),
            };
            lower = to.unwrap_or(lower);
            bin
        })
        .collect()
}

/// What the inputs' lines came to, summed over the files.
fn coverage(c: &crate::coverage::Coverage) -> AuditCoverage {
    AuditCoverage {
        files_total: (c.files.len() - c.skipped()) as u64,
        files_unreadable: c.unreadable() as u64,
        files_skipped: c.skipped() as u64,
        bytes_total: c.total(|f| if f.skipped.is_some() { 0 } else { f.bytes }),
        lines_total: c.total(|f| f.lines_total),
        lines_parsed: c.total(|f| f.lines_parsed),
        lines_ignored: c.total(|f| f.lines_ignored),
        lines_unrecognized: c.total(|f| f.lines_unrecognized),
        lines_filtered: c.total(|f| f.lines_filtered),
        lines_rejected: c.total(|f| f.lines_rejected),
        invalid_utf8_lines: c.total(|f| f.invalid_utf8_lines),
        files: c.files.values().cloned().collect(),
        ..Default::default()
    }
}

/// Each database's statistics, those `--database` keeps, and the names of
/// those it leaves out.
fn databases(
    input: &crate::stats::StatsInput,
    keep: &crate::parse::filter::Names,
) -> (Vec<crate::stats::snapshot::DatabaseStats>, Vec<String>) {
    let (kept, left): (Vec<_>, Vec<_>) = crate::stats::snapshot::build(input)
        .into_iter()
        .partition(|d| keep.keeps(d.view.database.as_deref()));
    let names = left
        .into_iter()
        .map(|d| d.view.database.unwrap_or_else(|| "(unnamed)".into()))
        .collect();
    (kept, names)
}

/// Builds the audit from everything aggregated.
pub fn analyze(
    agg: &Aggregate,
    stats_input: &crate::stats::StatsInput,
    opts: &AnalyzeOptions,
) -> Audit {
    let values_shown = opts.values_shown;
    let s = &agg.summary;
    let (clock_resolution, approximate) = AuditSummary::clock(s);
    let tz = DisplayZone {
        whole_seconds: clock_resolution.as_deref() == Some("1s"),
        ..DisplayZone::choose_at(opts.tz.as_deref(), &s.zones, s.first_ts)
    };
    let mut groups: Vec<(&String, &QueryStats)> = agg
        .queries
        .iter()
        .filter(|(_, q)| q.count > 0 || q.untimed > 0)
        .collect();
    groups.sort_by(|a, b| {
        b.1.total_us
            .cmp(&a.1.total_us)
            .then(b.1.count.cmp(&a.1.count))
            .then(b.1.untimed.cmp(&a.1.untimed))
            .then(a.0.cmp(b.0))
    });
    let queries: Vec<QueryReport> = groups
        .iter()
        .enumerate()
        .map(|(i, (k, q))| QueryReport {
            rank: i + 1,
            plan_flags: agg
                .activity
                .plans
                .get(*k)
                .map(|p| p.flags.clone())
                .unwrap_or_default(),
            ..query_report(k, q, s.total_us, &tz)
        })
        .collect();
    let log_query_ids: BTreeMap<i64, String> = agg
        .queries
        .iter()
        .flat_map(|(k, q)| {
            let fp = fingerprint_hex(fingerprint(k));
            q.query_ids.iter().map(move |id| (*id, fp.clone()))
        })
        .collect();
    let (dbs, stats_filtered) = databases(stats_input, &opts.databases);
    let mut activity = activity::build(&agg.activity, &tz);
    activity::ObjectNames::from_stats(&dbs).apply(&mut activity.locks, &mut activity.deadlocks);
    activity.sessions.peak_approximate = approximate && activity.sessions.peak_concurrent.is_some();
    let stats = stats::build(
        &dbs,
        &queries,
        &log_query_ids,
        &stats::StatsOptions {
            values_shown,
            cpu_cores: opts.cpu_cores,
        },
        &tz.exact(),
    );
    let latency_bins = latency_bins(agg);
    let advice = index_advice::advise(
        &queries,
        &stats.statements,
        &activity.plans,
        &dbs,
        &stats.tables.seq_scan_heavy,
    );
    let mut audit = Audit {
        schema_version: SCHEMA_VERSION,
        generator: format!("pgsift {}", env!("CARGO_PKG_VERSION")),
        summary: AuditSummary {
            first_ts: s.first_ts.map(|t| tz.format(t)),
            last_ts: s.last_ts.map(|t| tz.format(t)),
            time_zone: tz.label.clone(),
            time_zone_offset: offset_text(tz.offset),
            time_zones: s.zones.iter().cloned().collect(),
            clock_resolution,
            approximate,
            unknown_time_zones: s
                .zones
                .iter()
                .filter(|z| zone_offset(z).is_none())
                .cloned()
                .collect(),
            entries: s.entries,
            executions: s.executions,
            untimed_statements: s.untimed_statements,
            distinct_queries: queries.len() as u64,
            total_duration_ms: ms(s.total_us),
            unattributed_durations: s.unattributed_count,
            unattributed_duration_ms: ms(s.unattributed_us),
            parse_count: s.parse_count,
            parse_ms: ms(s.parse_us),
            bind_count: s.bind_count,
            bind_ms: ms(s.bind_us),
            values_shown,
        },
        coverage: AuditCoverage {
            filters: opts.filters.clone(),
            statistics_filtered: stats_filtered,
            ..coverage(&agg.coverage)
        },
        slowest: agg
            .slowest
            .samples
            .iter()
            .map(|x| sample_report(x, &tz))
            .collect(),
        latency_bins,
        n_plus_one: nplusone::build(
            &agg.bursts,
            &queries,
            &stats.statements,
            &stats.databases,
            &tz,
        ),
        index_recommendations: advice.recommendations,
        index_candidates: advice.to_confirm,
        index_columns_unknown: advice.unknown_columns,
        index_unselective: advice.unselective,
        activity,
        stats,
        transaction_pauses: nplusone::TransactionPauses {
            complete_log: queries.iter().any(|q| q.min_ms.is_some_and(|m| m < 1.0)),
            ..nplusone::TransactionPauses::from(
                &agg.bursts.tx,
                crate::aggregate::bursts::BurstOptions::default().tx_gap_ms,
            )
        },
        findings: Vec::new(),
        checklist: Vec::new(),
        thresholds: Vec::new(),
        first_screen: Default::default(),
        comparison: opts
            .baseline
            .as_ref()
            .map(|b| compare::compare(b, &queries, s.executions, ms(s.total_us))),
        queries,
    };
    let c = &mut audit.coverage;
    c.statistics_files = c.files.iter().filter(|f| stats::is_statistics(f)).count() as u64;
    c.statistics_unused = stats::unused_statistics(&c.files, audit.stats.stats_window.as_ref());
    audit.findings = findings::findings(&audit, &dbs);
    audit.checklist = checklist::checklist(&audit, &audit.findings, &dbs);
    audit.thresholds = checklist::thresholds(&audit);
    audit.first_screen = checklist::first_screen(&audit, &audit.findings);
    audit
}
