//! "Over time": executions per second, statement time and p95 latency per
//! bucket, then one row per kind of server event (lock waits, temp files,
//! errors, new sessions, ...), each row scaled on its own with its maximum
//! written beside it and a time axis under all; the busiest bucket named; and,
//! for spans over a day, executions by weekday and hour. Inline SVG: values
//! on hover (`<title>`) and the axes in print.

use crate::analyze::Audit;
use crate::analyze::activity::{BucketView, BusyHoursView, TimelineView};
use crate::units::{bytes, count, duration_ms, percent};
use askama::Template;

/// Left edge and width of the bar area in the 920-wide chart.
const X0: f64 = 150.0;
const WIDTH: f64 = 700.0;
/// Height of a main row (executions, time, p95) and of an event row.
const MAIN_H: f64 = 64.0;
const ROW_H: f64 = 34.0;

/// One bucket's bar (or, on a line row, its point) in a row.
#[derive(Debug, Clone, Default)]
pub struct TimelineBar {
    pub x: f64,
    pub y: f64,
    pub h: f64,
    /// `<bucket start>: <value>`.
    pub title: String,
}

/// One row of the chart.
#[derive(Debug, Clone, Default)]
pub struct TimelineRow {
    pub kind: String,
    /// The row's total over the span (empty for the p95 row).
    pub total: String,
    /// The row's largest value: its scale.
    pub max: String,
    pub y: f64,
    pub label_y: f64,
    /// The row's baseline.
    pub base_y: f64,
    pub bars: Vec<TimelineBar>,
    /// Points of a line row (`x,y x,y ...`); empty for bars.
    pub line: String,
}

/// A label on an axis.
#[derive(Debug, Clone, Default)]
pub struct Tick {
    pub x: f64,
    pub y: f64,
    pub label: String,
}

/// One cell of the busy-hours grid.
#[derive(Debug, Clone, Default)]
pub struct Cell {
    pub x: f64,
    pub y: f64,
    /// 0.06 to 1, by statement time.
    pub opacity: f64,
    pub title: String,
}

/// Executions by weekday and hour.
#[derive(Debug, Clone, Default)]
pub struct BusyGrid {
    pub cells: Vec<Cell>,
    pub days: Vec<Tick>,
    pub hours: Vec<Tick>,
    pub note: String,
}

#[derive(Debug, Default, Template)]
#[template(path = "sections/timeline.html")]
pub struct TimelineSection {
    /// Empty when the log spans too few buckets for a trend.
    pub rows: Vec<TimelineRow>,
    pub height: f64,
    pub bar_w: f64,
    pub ticks: Vec<Tick>,
    pub axis_y: f64,
    pub note: String,
    /// The busiest bucket, as a sentence (empty without one).
    pub busiest: String,
    pub busy: Option<BusyGrid>,
}

pub fn build(audit: &Audit, _top: usize) -> TimelineSection {
    let tl = &audit.activity.timeline;
    let busy = tl.busy_hours.as_ref().map(busy_grid);
    // A trend needs a few buckets; a log spanning a few seconds has none to show.
    if tl.buckets.len() < 3 {
        return TimelineSection {
            busy,
            ..Default::default()
        };
    }
    let rows = rows(tl);
    let axis_y = rows.last().map_or(0.0, |r| r.base_y) + 4.0;
    TimelineSection {
        height: axis_y + 18.0,
        bar_w: (WIDTH / tl.buckets.len() as f64 - 1.0).max(1.0),
        ticks: ticks(tl, axis_y + 12.0),
        axis_y,
        note: format!(
            "Each bar is {}; each row has its own scale, its largest value on the right. Hover a bar for its values.",
            bucket_text(tl.bucket_seconds)
        ),
        busiest: busiest(tl),
        rows,
        busy,
    }
}

/// `5 seconds` / `15 minutes` / `1 hour` / `2 days`.
pub(crate) fn bucket_text(seconds: i64) -> String {
    let (n, one, many) = match seconds {
        s if s % 86_400 == 0 => (s / 86_400, "day", "days"),
        s if s % 3600 == 0 => (s / 3600, "hour", "hours"),
        s if s % 60 == 0 => (s / 60, "minute", "minutes"),
        s => (s, "second", "seconds"),
    };
    crate::units::plural(n.max(0) as u64, one, many)
}

/// A bucket's start as the axis shows it: the time of day when the span is
/// within one day, the date for day buckets, else both.
fn short_time(start: &str, tl: &TimelineView) -> String {
    let first = tl.buckets.first().map_or("", |b| b.start.as_str());
    let last = tl.buckets.last().map_or("", |b| b.start.as_str());
    let same_day = first.get(..10) == last.get(..10);
    let seconds = tl.bucket_seconds < 60;
    let s = match () {
        _ if tl.bucket_seconds >= 86_400 => start.get(..10),
        _ if same_day && seconds => start.get(11..19),
        _ if same_day => start.get(11..16),
        _ => start.get(5..16),
    };
    s.unwrap_or(start).to_string()
}

/// Five labels along the time axis.
fn ticks(tl: &TimelineView, y: f64) -> Vec<Tick> {
    let n = tl.buckets.len();
    let mut idx: Vec<usize> = (0..5).map(|i| i * (n - 1) / 4).collect();
    idx.dedup();
    idx.into_iter()
        .map(|i| Tick {
            x: X0 + (i as f64 + 0.5) * WIDTH / n as f64,
            y,
            label: short_time(&tl.buckets[i].start, tl),
        })
        .collect()
}

/// A row of bars over `values`, scaled to its largest.
fn bar_row(
    tl: &TimelineView,
    y: f64,
    h: f64,
    values: &[f64],
    text: &dyn Fn(f64) -> String,
) -> TimelineRow {
    let n = values.len() as f64;
    let max = values.iter().copied().fold(0.0, f64::max);
    let bars = values
        .iter()
        .zip(&tl.buckets)
        .enumerate()
        .filter(|(_, (v, _))| **v > 0.0)
        .map(|(i, (v, b))| {
            let bh = (v / max * (h - 10.0)).max(2.0);
            TimelineBar {
                x: X0 + i as f64 * WIDTH / n,
                y: y + h - 6.0 - bh,
                h: bh,
                title: format!("{}: {}", b.start, text(*v)),
            }
        })
        .collect();
    TimelineRow {
        max: text(max),
        y,
        label_y: y + h / 2.0,
        base_y: y + h - 6.0,
        bars,
        ..Default::default()
    }
}

fn rows(tl: &TimelineView) -> Vec<TimelineRow> {
    let secs = tl.bucket_seconds.max(1) as f64;
    let mut rows = Vec::new();
    let mut y = 8.0;
    let executions: u64 = tl.buckets.iter().map(|b| b.executions).sum();
    if executions > 0 {
        let (unit, per) = rate_unit(tl);
        let rate: Vec<f64> = tl
            .buckets
            .iter()
            .map(|b| b.executions as f64 * per / secs)
            .collect();
        let mut r = bar_row(tl, y, MAIN_H, &rate, &|v| {
            format!("{}/{unit}", rate_text(v))
        });
        for (bar, b) in r
            .bars
            .iter_mut()
            .zip(tl.buckets.iter().filter(|b| b.executions > 0))
        {
            bar.title = bucket_title(b, secs, (unit, per));
        }
        r.kind = format!("executions/{unit}");
        r.total = count(executions);
        rows.push(r);
        y += MAIN_H;
        let time: Vec<f64> = tl.buckets.iter().map(|b| b.total_ms).collect();
        let mut r = bar_row(tl, y, MAIN_H, &time, &|v| duration_ms(v));
        r.kind = "statement time".into();
        r.total = duration_ms(time.iter().sum());
        rows.push(r);
        y += MAIN_H;
        rows.push(p95_row(tl, y));
        y += MAIN_H;
    }
    for (k, kind) in tl.kinds.iter().enumerate() {
        let values: Vec<f64> = tl.buckets.iter().map(|b| b.events[k] as f64).collect();
        let total: f64 = values.iter().sum();
        if total > 0.0 {
            let mut r = bar_row(tl, y, ROW_H, &values, &|v| {
                format!("{} {kind}", count(v as u64))
            });
            r.max = count(values.iter().copied().fold(0.0, f64::max) as u64);
            r.kind = kind.clone();
            r.total = count(total as u64);
            rows.push(r);
            y += ROW_H;
        }
    }
    let temp: Vec<f64> = tl.buckets.iter().map(|b| b.temp_bytes as f64).collect();
    if temp.iter().any(|&v| v > 0.0) {
        let mut r = bar_row(tl, y, ROW_H, &temp, &|v| bytes(v as u64));
        r.kind = "temp bytes".into();
        r.total = bytes(temp.iter().sum::<f64>() as u64);
        rows.push(r);
    }
    rows
}

/// The unit executions are counted per: the shortest (second, minute, hour,
/// day) at which the busiest bucket reaches one, and never longer than a bucket.
fn rate_unit(tl: &TimelineView) -> (&'static str, f64) {
    let secs = tl.bucket_seconds.max(1) as f64;
    let max = tl.buckets.iter().map(|b| b.executions).max().unwrap_or(0) as f64;
    let units = [("s", 1.0), ("min", 60.0), ("h", 3600.0), ("day", 86_400.0)];
    let fit = units.iter().filter(|u| u.1 <= secs).count().max(1);
    units[..fit]
        .iter()
        .copied()
        .find(|&(_, per)| max * per / secs >= 1.0)
        .unwrap_or(units[fit - 1])
}

/// `12.3` / `1,234` / `0.05`.
fn rate_text(v: f64) -> String {
    if v >= 100.0 {
        count(v.round() as u64)
    } else if v >= 1.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// Everything one bucket holds for statements.
fn bucket_title(b: &BucketView, secs: f64, (unit, per): (&str, f64)) -> String {
    format!(
        "{}: {} executions ({}/{unit}), {} of statement time{}",
        b.start,
        count(b.executions),
        rate_text(b.executions as f64 * per / secs),
        duration_ms(b.total_ms),
        b.p95_ms
            .map(|p| format!(", p95 {}", duration_ms(p)))
            .unwrap_or_default()
    )
}

/// The p95 of each bucket with executions, as a line with a dot per bucket.
fn p95_row(tl: &TimelineView, y: f64) -> TimelineRow {
    let values: Vec<f64> = tl.buckets.iter().map(|b| b.p95_ms.unwrap_or(0.0)).collect();
    let mut r = bar_row(tl, y, MAIN_H, &values, &|v| duration_ms(v));
    let half = WIDTH / tl.buckets.len() as f64 / 2.0;
    for p in &mut r.bars {
        p.x += half;
        p.h = 0.0;
        p.title = p.title.replace(": ", ": p95 ");
    }
    r.line = r
        .bars
        .iter()
        .map(|p| format!("{:.1},{:.1}", p.x, p.y))
        .collect::<Vec<_>>()
        .join(" ");
    r.kind = "p95 latency".into();
    r
}

/// `Busiest 5 seconds: ...`.
fn busiest(tl: &TimelineView) -> String {
    let Some(b) = &tl.busiest else {
        return String::new();
    };
    format!(
        "Busiest {}: {} to {}, with {} of statement time ({} of the span's; the median {} has {}), {} executions ({}){}.",
        bucket_text(tl.bucket_seconds),
        b.start,
        short_time(&b.end, tl),
        duration_ms(b.total_ms),
        percent(b.share_pct / 100.0),
        bucket_text(tl.bucket_seconds).trim_start_matches(|c: char| c.is_ascii_digit() || c == ' '),
        duration_ms(b.median_total_ms),
        count(b.executions),
        {
            let (unit, per) = rate_unit(tl);
            format!("{}/{unit}", rate_text(b.per_second * per))
        },
        b.p95_ms
            .map(|p| format!(", p95 {}", duration_ms(p)))
            .unwrap_or_default()
    )
}

const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const CELL_W: f64 = 30.0;
const CELL_H: f64 = 18.0;

/// The weekday-by-hour grid, shaded by statement time.
fn busy_grid(h: &BusyHoursView) -> BusyGrid {
    let max = h.total_ms.iter().flatten().copied().fold(0.0, f64::max);
    let mut cells = Vec::new();
    for (d, row) in h.executions.iter().enumerate() {
        for (hour, &n) in row.iter().enumerate() {
            let ms = h.total_ms[d][hour];
            if n == 0 {
                continue;
            }
            cells.push(Cell {
                x: 40.0 + hour as f64 * CELL_W,
                y: 16.0 + d as f64 * CELL_H,
                opacity: if max > 0.0 {
                    (ms / max).max(0.06)
                } else {
                    0.06
                },
                title: format!(
                    "{} {hour:02}:00: {} executions, {}",
                    DAYS[d % 7],
                    count(n),
                    duration_ms(ms)
                ),
            });
        }
    }
    BusyGrid {
        cells,
        days: DAYS
            .iter()
            .enumerate()
            .map(|(d, name)| Tick {
                x: 34.0,
                y: 16.0 + d as f64 * CELL_H + 13.0,
                label: (*name).to_string(),
            })
            .collect(),
        hours: (0..24)
            .step_by(3)
            .map(|hour| Tick {
                x: 40.0 + hour as f64 * CELL_W + CELL_W / 2.0,
                y: 11.0,
                label: format!("{hour:02}h"),
            })
            .collect(),
        note: format!(
            "Statement time by weekday and hour ({}), all weeks added; the busiest hour: {}.",
            h.zone, h.busiest
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_sizes_read_in_the_largest_whole_unit() {
        assert_eq!(bucket_text(5), "5 seconds");
        assert_eq!(bucket_text(900), "15 minutes");
        assert_eq!(bucket_text(3600), "1 hour");
        assert_eq!(bucket_text(2 * 86_400), "2 days");
    }

    fn bucket(start: &str, executions: u64, total_ms: f64, events: Vec<u64>) -> BucketView {
        BucketView {
            start: start.into(),
            executions,
            total_ms,
            p95_ms: (executions > 0).then_some(total_ms / executions as f64),
            temp_bytes: 0,
            events,
        }
    }

    fn view() -> TimelineView {
        TimelineView {
            kinds: vec!["errors".into(), "deadlocks".into(), "temp files".into()],
            bucket_seconds: 5,
            buckets: vec![
                bucket("2026-12-04 10:00:00", 10, 20.0, vec![4, 0, 1]),
                bucket("2026-12-04 10:00:05", 0, 0.0, vec![2, 0, 0]),
                bucket("2026-12-04 10:00:10", 40, 400.0, vec![0, 0, 1]),
            ],
            ..Default::default()
        }
    }

    #[test]
    fn rows_skip_what_is_empty_and_scale_each_row_to_its_largest_value() {
        let r = rows(&view());
        let kinds: Vec<&str> = r.iter().map(|r| r.kind.as_str()).collect();
        assert_eq!(
            kinds,
            [
                "executions/s",
                "statement time",
                "p95 latency",
                "errors",
                "temp files"
            ]
        );
        // 40 executions in 5 s: the row's top is 8/s, the bar full height
        assert_eq!((r[0].total.as_str(), r[0].max.as_str()), ("50", "8.0/s"));
        assert_eq!(r[0].bars.len(), 2);
        assert_eq!(r[0].bars[1].h, MAIN_H - 10.0);
        assert_eq!(r[0].bars[0].h, (MAIN_H - 10.0) / 4.0);
        assert_eq!(
            r[0].bars[1].title,
            "2026-12-04 10:00:10: 40 executions (8.0/s), 400 ms of statement time, p95 10.0 ms"
        );
        assert_eq!(
            (r[1].total.as_str(), r[1].max.as_str()),
            ("420 ms", "400 ms")
        );
        // the p95 row is a line through the buckets that have executions
        assert_eq!(r[2].line.split(' ').count(), 2);
        assert!(r[2].bars[0].title.contains(": p95 2.00 ms"));
        assert_eq!((r[3].total.as_str(), r[3].max.as_str()), ("6", "4"));
        assert_eq!(r[3].bars[1].title, "2026-12-04 10:00:05: 2 errors");
        assert_eq!(r[4].y, 8.0 + 3.0 * MAIN_H + ROW_H);
        assert_eq!(r[4].bars[1].x, X0 + 2.0 * WIDTH / 3.0);
    }

    #[test]
    fn the_axis_shows_times_of_day_within_a_day_and_dates_across_days() {
        let v = view();
        let t = ticks(&v, 100.0);
        let labels: Vec<&str> = t.iter().map(|t| t.label.as_str()).collect();
        assert_eq!(labels, ["10:00:00", "10:00:05", "10:00:10"]);
        let mut days = view();
        days.bucket_seconds = 3600;
        days.buckets[2].start = "2026-12-05 10:00:00".into();
        assert_eq!(short_time("2026-12-05 10:00:00", &days), "12-05 10:00");
        days.bucket_seconds = 86_400;
        assert_eq!(short_time("2026-12-05 00:00:00", &days), "2026-12-05");
    }

    #[test]
    fn executions_are_counted_per_the_shortest_unit_that_reaches_one() {
        let mut v = view();
        assert_eq!(rate_unit(&v), ("s", 1.0));
        v.bucket_seconds = 86_400;
        // 40 a day: 1.7 an hour
        assert_eq!(rate_unit(&v).0, "h");
        v.buckets[2].executions = 2;
        assert_eq!(rate_unit(&v).0, "day");
        // never longer than a bucket
        v.bucket_seconds = 300;
        assert_eq!(rate_unit(&v).0, "min");
    }

    #[test]
    fn busy_cells_are_shaded_by_time_and_named() {
        let mut h = BusyHoursView {
            zone: "UTC".into(),
            executions: vec![vec![0; 24]; 7],
            total_ms: vec![vec![0.0; 24]; 7],
            busiest: "Tuesday 14:00-15:00".into(),
        };
        h.executions[1][14] = 3;
        h.total_ms[1][14] = 900.0;
        h.executions[6][0] = 1;
        h.total_ms[6][0] = 1.0;
        let g = busy_grid(&h);
        assert_eq!(g.cells.len(), 2);
        assert_eq!(g.cells[0].opacity, 1.0);
        assert_eq!(g.cells[0].title, "Tue 14:00: 3 executions, 900 ms");
        assert_eq!(g.cells[1].opacity, 0.06);
        assert!(g.note.contains("Tuesday 14:00-15:00"));
    }
}
