//! HTML report: view models with pre-formatted values, rendered by askama templates
//! (`templates/report.html` and one template per section). Askama escapes every
//! value, so text from the log (attacker-controlled) never becomes markup. CSS and
//! JS are inlined; the page makes no network request.

use crate::analyze::{Audit, LatencyBin, QueryReport, SampleReport};
use crate::units::{bytes, count, duration_ms, opt_duration_ms, percent};
use askama::Template;
use std::collections::BTreeMap;

const CSS: &str = include_str!("../../templates/report.css");
const JS: &str = include_str!("../../templates/report.js");

/// A figure in the summary strip.
pub struct Card {
    pub label: &'static str,
    pub value: String,
    pub note: String,
}

/// One concrete statement, formatted.
pub struct SampleRow {
    pub duration_ms: f64,
    pub duration: String,
    pub ts: String,
    pub user: String,
    pub db: String,
    pub app: String,
    pub place: String,
    pub text: String,
    pub params: String,
    pub fingerprint: String,
    /// The statement's query is listed in the top-queries table (a link can point at it).
    pub linked: bool,
}

/// One normalized query, formatted.
pub struct QueryRow {
    pub rank: usize,
    pub fingerprint: String,
    pub normalized: String,
    pub count: u64,
    pub count_s: String,
    pub total_ms: f64,
    pub total: String,
    pub mean_ms: f64,
    pub mean: String,
    pub p50_ms: f64,
    pub p50: String,
    pub p95_ms: f64,
    pub p95: String,
    pub p99_ms: f64,
    pub p99: String,
    pub max_ms: f64,
    pub max: String,
    pub share: f64,
    pub share_s: String,
    /// Width of the share bar, percent of the cell.
    pub share_bar: f64,
    pub users: String,
    pub dbs: String,
    pub apps: String,
    pub seen: String,
    pub notes: Vec<String>,
    pub example: Option<SampleRow>,
}

/// One bar of the latency histogram, with its SVG geometry.
pub struct Bar {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
    pub label: String,
    pub count: String,
    pub time: String,
    pub label_x: f64,
}

/// One input file's coverage, formatted.
pub struct FileRow {
    pub path: String,
    pub size: String,
    pub prefix: String,
    pub lines: String,
    pub parsed: String,
    pub ignored: String,
    pub unrecognized: String,
    pub invalid_utf8: String,
    pub error: String,
    pub skipped: String,
    pub ignored_kinds: String,
    pub examples: Vec<(u64, String)>,
}

#[derive(Template)]
#[template(path = "report.html")]
pub struct ReportPage {
    pub css: &'static str,
    pub js: &'static str,
    pub generator: String,
    pub time_range: String,
    pub inputs: String,
    pub cards: Vec<Card>,
    pub notes: Vec<String>,
    pub queries: Vec<QueryRow>,
    pub queries_more: usize,
    pub bars: Vec<Bar>,
    pub chart_w: f64,
    pub chart_h: f64,
    pub base_y: f64,
    pub slowest: Vec<SampleRow>,
    pub cov_cards: Vec<Card>,
    /// Sessions, locks, deadlocks, temp files, errors, checkpoints, autovacuum, plans.
    pub activity: super::activity_html::ActivityPage,
    /// Statements, indexes, tables, cache, connections and checkpoints from snapshots.
    pub stats: super::stats_html::StatsPage,
    /// First screen, checklist, findings, index advice, N+1, thresholds, comparison.
    pub audit: super::audit_html::AuditPage,
    pub files: Vec<FileRow>,
}

fn or_dash(s: &Option<String>) -> String {
    s.clone().unwrap_or_else(|| "-".into())
}

fn sample_row(s: &SampleReport) -> SampleRow {
    SampleRow {
        duration_ms: s.duration_ms,
        duration: duration_ms(s.duration_ms),
        ts: or_dash(&s.ts),
        user: or_dash(&s.user),
        db: or_dash(&s.database),
        app: or_dash(&s.app),
        place: format!("{}:{}", s.file, s.line),
        text: s.text.clone(),
        params: s.params.clone().unwrap_or_default(),
        fingerprint: s.fingerprint.clone(),
        linked: false,
    }
}

pub(super) fn who(m: &BTreeMap<String, u64>) -> String {
    let mut v: Vec<(&String, &u64)> = m.iter().collect();
    v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let shown: Vec<String> = v
        .iter()
        .take(3)
        .map(|(k, c)| format!("{k} ({})", count(**c)))
        .collect();
    let more = v.len().saturating_sub(3);
    match (shown.is_empty(), more) {
        (true, _) => "-".into(),
        (false, 0) => shown.join(", "),
        (false, n) => format!("{} and {n} more", shown.join(", ")),
    }
}

fn query_row(q: &QueryReport, max_share: f64) -> QueryRow {
    let mut notes = Vec::new();
    if q.untimed > 0 {
        notes.push(format!(
            "{} more logged without a duration",
            count(q.untimed)
        ));
    }
    if q.parse_count + q.bind_count > 0 {
        notes.push(format!(
            "parse {} x ({}), bind {} x ({}) not counted as executions",
            count(q.parse_count),
            duration_ms(q.parse_ms),
            count(q.bind_count),
            duration_ms(q.bind_ms)
        ));
    }
    for f in &q.plan_flags {
        notes.push(format!("plan: {f}"));
    }
    if q.truncated {
        notes.push(
            "some statements looked cut off in the log (unterminated literal or comment)".into(),
        );
    }
    QueryRow {
        rank: q.rank,
        fingerprint: q.fingerprint.clone(),
        normalized: q.normalized.clone(),
        count: q.count,
        count_s: count(q.count),
        total_ms: q.total_ms,
        total: duration_ms(q.total_ms),
        mean_ms: q.mean_ms.unwrap_or(0.0),
        mean: opt_duration_ms(q.mean_ms),
        p50_ms: q.p50_ms.unwrap_or(0.0),
        p50: opt_duration_ms(q.p50_ms),
        p95_ms: q.p95_ms.unwrap_or(0.0),
        p95: opt_duration_ms(q.p95_ms),
        p99_ms: q.p99_ms.unwrap_or(0.0),
        p99: opt_duration_ms(q.p99_ms),
        max_ms: q.max_ms.unwrap_or(0.0),
        max: opt_duration_ms(q.max_ms),
        share: q.share,
        share_s: percent(q.share),
        share_bar: if max_share > 0.0 {
            (q.share / max_share * 100.0).round()
        } else {
            0.0
        },
        users: who(&q.users),
        dbs: who(&q.databases),
        apps: who(&q.apps),
        seen: match (&q.first_seen, &q.last_seen) {
            (Some(a), Some(b)) => format!("{a} to {b}"),
            _ => "-".into(),
        },
        notes,
        example: q.example.as_ref().map(sample_row),
    }
}

fn bin_label(b: &LatencyBin) -> String {
    let unit = |ms: u64| {
        if ms >= 1000 {
            format!("{} s", ms / 1000)
        } else {
            format!("{ms} ms")
        }
    };
    match b.to_ms {
        Some(to) if b.from_ms == 0 => format!("< {}", unit(to)),
        Some(to) if (b.from_ms >= 1000) == (to >= 1000) => {
            let from = if b.from_ms >= 1000 {
                b.from_ms / 1000
            } else {
                b.from_ms
            };
            format!("{from}-{}", unit(to))
        }
        Some(to) => format!("{}-{}", unit(b.from_ms), unit(to)),
        None => format!(">= {}", unit(b.from_ms)),
    }
}

fn bars(bins: &[LatencyBin], w: f64, h: f64, base_y: f64) -> Vec<Bar> {
    let max = bins.iter().map(|b| b.count).max().unwrap_or(0).max(1) as f64;
    let slot = w / bins.len() as f64;
    bins.iter()
        .enumerate()
        .map(|(i, b)| {
            let bh = (b.count as f64 / max * (h - 60.0)).max(if b.count > 0 { 1.0 } else { 0.0 });
            Bar {
                x: i as f64 * slot + 8.0,
                y: base_y - bh,
                w: slot - 16.0,
                h: bh,
                label: bin_label(b),
                count: count(b.count),
                time: duration_ms(b.total_ms),
                label_x: i as f64 * slot + slot / 2.0,
            }
        })
        .collect()
}

/// Renders the whole page. `top` bounds the query and slowest-statement lists.
pub fn render(a: &Audit, top: usize) -> String {
    let s = &a.summary;
    let c = &a.coverage;
    let zone = if s.time_zones.is_empty() {
        "zone not in the log".to_string()
    } else {
        match (s.time_zone.as_str(), s.time_zone_offset.as_str()) {
            ("UTC", "+00:00") => "UTC".to_string(),
            (z, off) => format!("{z}, UTC{off}"),
        }
    };
    let time_range = match (&s.first_ts, &s.last_ts) {
        (Some(f), Some(l)) => format!("{f} to {l} ({zone})"),
        _ => "no timestamped statements".into(),
    };
    let cards = vec![
        Card {
            label: "Executions",
            value: count(s.executions),
            note: format!("timed statements, {} log entries", count(s.entries)),
        },
        Card {
            label: "Total query time",
            value: duration_ms(s.total_duration_ms),
            note: "sum of execution durations".into(),
        },
        Card {
            label: "Normalized queries",
            value: count(s.distinct_queries),
            note: "distinct after normalization".into(),
        },
        Card {
            label: "Lines read",
            value: count(c.lines_total),
            note: format!("{} unrecognized", count(c.lines_unrecognized)),
        },
    ];
    let mut notes = Vec::new();
    if !s.values_shown {
        notes.push("Literal values and bind parameters are hidden ($n); run with --show-values to show them.".into());
    }
    if s.untimed_statements > 0 {
        notes.push(format!(
            "{} statements were logged without a duration (log_statement without log_duration); they are counted per query but not timed.",
            count(s.untimed_statements)
        ));
    }
    if s.unattributed_durations > 0 {
        notes.push(format!(
            "{} bare duration lines ({}) had no statement text to attach to (with log_duration, parse and bind steps are logged this way); they are not in the query totals.",
            count(s.unattributed_durations),
            duration_ms(s.unattributed_duration_ms)
        ));
    }
    if s.parse_count + s.bind_count > 0 {
        notes.push(format!(
            "Extended protocol: {} parse steps ({}) and {} bind steps ({}) are timed separately and not counted as executions.",
            count(s.parse_count),
            duration_ms(s.parse_ms),
            count(s.bind_count),
            duration_ms(s.bind_ms)
        ));
    }
    if s.time_zones.len() > 1 {
        notes.push(format!(
            "The logs use several time zones ({}); every time is shown in {} (UTC{}).",
            s.time_zones.join(", "),
            s.time_zone,
            s.time_zone_offset
        ));
    }
    for z in &s.unknown_time_zones {
        notes.push(if z == "syslog" {
            "syslog timestamps carry no zone and no year: times are shown as written; the year comes from the file's modification time.".to_string()
        } else {
            format!("The time zone '{z}' is not one pgsift knows; its times were taken as UTC.")
        });
    }
    let max_share = a.queries.iter().map(|q| q.share).fold(0.0, f64::max);
    let queries: Vec<QueryRow> = a
        .queries
        .iter()
        .take(top)
        .map(|q| query_row(q, max_share))
        .collect();
    let listed: std::collections::HashSet<String> =
        queries.iter().map(|q| q.fingerprint.clone()).collect();
    let (chart_w, chart_h) = (760.0, 230.0);
    let base_y = chart_h - 30.0;
    let files = c
        .files
        .iter()
        .map(|f| FileRow {
            path: f.path.clone(),
            size: bytes(f.bytes),
            prefix: {
                let prefix = match (&f.prefix, f.prefix_detected) {
                    (Some(p), true) => format!(", prefix '{p}' (detected)"),
                    (Some(p), false) => format!(", prefix '{p}' (given)"),
                    (None, _) => String::new(),
                };
                let compression = f
                    .compression
                    .as_deref()
                    .map(|c| format!(" ({c})"))
                    .unwrap_or_default();
                format!(
                    "{}{compression}{prefix}",
                    f.format.as_deref().unwrap_or("-")
                )
            },
            lines: count(f.lines_total),
            parsed: count(f.lines_parsed),
            ignored: count(f.lines_ignored),
            unrecognized: count(f.lines_unrecognized),
            invalid_utf8: count(f.invalid_utf8_lines),
            error: f.error.clone().unwrap_or_default(),
            skipped: f.skipped.clone().unwrap_or_default(),
            ignored_kinds: f
                .ignored_by_kind
                .iter()
                .map(|(k, v)| format!("{k} {}", count(*v)))
                .collect::<Vec<_>>()
                .join(", "),
            examples: f.unrecognized_examples.clone(),
        })
        .collect();
    let share = |n: u64| {
        if c.lines_total == 0 {
            String::new()
        } else {
            percent(n as f64 / c.lines_total as f64)
        }
    };
    let cov_cards = vec![
        Card {
            label: "Parsed",
            value: count(c.lines_parsed),
            note: format!("{} of lines: fed the analysis", share(c.lines_parsed)),
        },
        Card {
            label: "Recognized, not analyzed",
            value: count(c.lines_ignored),
            note: format!(
                "{} of lines: PostgreSQL output this version does not analyze yet",
                share(c.lines_ignored)
            ),
        },
        Card {
            label: "Unrecognized",
            value: count(c.lines_unrecognized),
            note: format!(
                "{} of lines: not PostgreSQL output as far as pgsift can tell",
                share(c.lines_unrecognized)
            ),
        },
        Card {
            label: "Invalid UTF-8",
            value: count(c.invalid_utf8_lines),
            note: "lines read with replacement characters".into(),
        },
    ];
    let page = ReportPage {
        activity: super::activity_html::build(a, top),
        stats: super::stats_html::build(a, top),
        audit: super::audit_html::build(a, top),
        css: CSS,
        js: JS,
        generator: a.generator.clone(),
        time_range,
        inputs: format!(
            "{} file(s), {}{}{}",
            c.files_total,
            bytes(c.bytes_total),
            if c.files_unreadable > 0 {
                format!(", {} not fully readable", c.files_unreadable)
            } else {
                String::new()
            },
            if c.files_skipped > 0 {
                format!(", {} skipped (not logs)", c.files_skipped)
            } else {
                String::new()
            }
        ),
        cards,
        notes,
        queries_more: a.queries.len().saturating_sub(queries.len()),
        queries,
        bars: bars(&a.latency_bins, chart_w, chart_h, base_y),
        chart_w,
        chart_h,
        base_y,
        slowest: a
            .slowest
            .iter()
            .take(top)
            .map(|s| SampleRow {
                linked: listed.contains(&s.fingerprint),
                ..sample_row(s)
            })
            .collect(),
        cov_cards,
        files,
    };
    page.render()
        .expect("templates render: all values are plain strings and numbers")
}
