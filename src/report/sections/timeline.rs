//! "Events over time": one row of bars per kind of server event (lock waits,
//! temp files, errors, ...), each row scaled on its own, as inline SVG.

use crate::analyze::Audit;
use crate::units::count;
use askama::Template;

/// Left edge and width of the bar area in the 920-wide chart.
const X0: f64 = 150.0;
const WIDTH: f64 = 760.0;
/// Height of one row of bars.
const ROW_H: f64 = 34.0;

/// One bucket's bar in a row.
#[derive(Debug, Clone, Default)]
pub struct TimelineBar {
    pub x: f64,
    pub y: f64,
    pub h: f64,
    /// `<bucket start>: <n> <kind>`.
    pub title: String,
}

/// One row of the chart: a kind of event and its bars.
#[derive(Debug, Clone, Default)]
pub struct TimelineRow {
    pub kind: String,
    pub total: String,
    pub y: f64,
    pub label_y: f64,
    pub bars: Vec<TimelineBar>,
}

#[derive(Debug, Default, Template)]
#[template(path = "sections/timeline.html")]
pub struct TimelineSection {
    /// Empty when the log spans too few buckets for a trend.
    pub rows: Vec<TimelineRow>,
    pub height: f64,
    pub bar_w: f64,
    /// First and last bucket start, under the chart.
    pub from: String,
    pub to: String,
    pub note: String,
}

pub fn build(audit: &Audit, _top: usize) -> TimelineSection {
    let tl = &audit.activity.timeline;
    // A trend needs a few buckets; a log spanning a minute or two has none to show.
    let (rows, height) = if tl.buckets.len() >= 3 {
        let rows = rows(audit);
        let h = 30.0 + rows.len() as f64 * ROW_H;
        (rows, h)
    } else {
        (Vec::new(), 0.0)
    };
    TimelineSection {
        rows,
        height,
        bar_w: (WIDTH / tl.buckets.len().max(1) as f64 - 1.0).max(1.0),
        from: tl.buckets.first().map(|b| b.0.clone()).unwrap_or_default(),
        to: tl.buckets.last().map(|b| b.0.clone()).unwrap_or_default(),
        note: format!(
            "Each bar is {}; rows are scaled separately.",
            bucket_text(tl.bucket_minutes)
        ),
    }
}

/// `90 minute(s)` / `3 hour(s)` / `78 day(s)`.
fn bucket_text(minutes: i64) -> String {
    match minutes {
        m if m % 1440 == 0 => format!("{} day(s)", m / 1440),
        m if m % 60 == 0 => format!("{} hour(s)", m / 60),
        m => format!("{m} minute(s)"),
    }
}

/// One row per kind that has at least one event; bars of nonzero buckets only,
/// at least 2 units high.
fn rows(audit: &Audit) -> Vec<TimelineRow> {
    let tl = &audit.activity.timeline;
    let n = tl.buckets.len().max(1) as f64;
    tl.kinds
        .iter()
        .enumerate()
        .filter(|(k, _)| tl.buckets.iter().any(|(_, c)| c[*k] > 0))
        .enumerate()
        .map(|(r, (k, kind))| {
            let max = tl
                .buckets
                .iter()
                .map(|(_, c)| c[k])
                .max()
                .unwrap_or(1)
                .max(1) as f64;
            let y = 8.0 + r as f64 * ROW_H;
            let bars = tl
                .buckets
                .iter()
                .enumerate()
                .filter(|(_, (_, c))| c[k] > 0)
                .map(|(i, (start, c))| {
                    let h = (c[k] as f64 / max * (ROW_H - 10.0)).max(2.0);
                    TimelineBar {
                        x: X0 + i as f64 * WIDTH / n,
                        y: y + ROW_H - 6.0 - h,
                        h,
                        title: format!("{start}: {} {kind}", c[k]),
                    }
                })
                .collect();
            TimelineRow {
                kind: kind.clone(),
                total: count(tl.buckets.iter().map(|(_, c)| c[k]).sum()),
                y,
                label_y: y + ROW_H / 2.0,
                bars,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_sizes_read_in_the_largest_whole_unit() {
        assert_eq!(bucket_text(90), "90 minute(s)");
        assert_eq!(bucket_text(180), "3 hour(s)");
        assert_eq!(bucket_text(2880), "2 day(s)");
    }

    #[test]
    fn rows_skip_kinds_without_events_and_scale_each_row() {
        let mut a = Audit::default();
        let tl = &mut a.activity.timeline;
        tl.kinds = vec!["errors".into(), "deadlocks".into(), "temp files".into()];
        tl.buckets = vec![
            ("t0".into(), vec![4, 0, 1]),
            ("t1".into(), vec![2, 0, 0]),
            ("t2".into(), vec![0, 0, 1]),
        ];
        let r = rows(&a);
        assert_eq!(r.len(), 2);
        assert_eq!((r[0].kind.as_str(), r[0].total.as_str()), ("errors", "6"));
        assert_eq!(r[0].bars.len(), 2);
        assert_eq!(r[0].bars[0].h, 24.0);
        assert_eq!(r[0].bars[1].h, 12.0);
        assert_eq!(r[0].bars[1].title, "t1: 2 errors");
        assert_eq!(r[1].kind, "temp files");
        assert_eq!(r[1].y, 8.0 + ROW_H);
        assert_eq!(r[1].bars[1].x, X0 + 2.0 * WIDTH / 3.0);
    }
}
