//! The timeline in the audit: the aggregate's intervals grouped into at most
//! [`MAX_BUCKETS`] buckets over the span they cover (aligned to the display
//! zone's hours and days), the busiest bucket by statement time, and
//! executions per weekday and hour when the span exceeds a day.

use super::super::{DisplayZone, round3};
use crate::aggregate::timeline::{CoarseLatency, Timeline, TimelineKind, WEEK_HOURS, next_step};
use crate::merge::Merge;
use crate::parse::timestamp::Timestamp;
use serde::{Deserialize, Serialize};

/// The most buckets the report draws.
pub const MAX_BUCKETS: i64 = 60;

/// One bucket of the timeline.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BucketView {
    /// Start, in the audit's zone.
    pub start: String,
    pub executions: u64,
    /// Statement time of the executions logged in the bucket.
    pub total_ms: f64,
    /// Within 6% (the timeline keeps coarse histograms); null without executions.
    pub p95_ms: Option<f64>,
    pub temp_bytes: u64,
    /// Events by kind, in the order of [`TimelineView::kinds`].
    pub events: Vec<u64>,
}

/// The bucket with the most statement time.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BusiestView {
    pub start: String,
    pub end: String,
    pub executions: u64,
    pub per_second: f64,
    pub total_ms: f64,
    /// Its share of the timeline's statement time, in percent.
    pub share_pct: f64,
    /// The median statement time of the buckets that have executions.
    pub median_total_ms: f64,
    pub p95_ms: Option<f64>,
}

/// Executions and statement time per weekday (Monday first) and hour of day.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BusyHoursView {
    /// The zone the hours are in (at the offset of the span's end).
    pub zone: String,
    pub executions: Vec<Vec<u64>>,
    pub total_ms: Vec<Vec<f64>>,
    /// `Tuesday 14:00-15:00`.
    pub busiest: String,
}

/// Activity per time bucket.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TimelineView {
    /// Event kinds, in the order of [`BucketView::events`].
    pub kinds: Vec<String>,
    /// Width of one bucket, in seconds.
    pub bucket_seconds: i64,
    pub buckets: Vec<BucketView>,
    /// Null with fewer than two buckets or no statement time.
    pub busiest: Option<BusiestView>,
    /// Null unless executions span more than a day.
    pub busy_hours: Option<BusyHoursView>,
}

/// A bucket while it is summed.
#[derive(Default)]
struct Sum {
    executions: u64,
    total_us: u64,
    latency: CoarseLatency,
    temp_bytes: u64,
    events: Vec<u64>,
}

pub(super) fn build(t: &Timeline, tz: &DisplayZone) -> TimelineView {
    let kinds = TimelineKind::ALL
        .iter()
        .map(|k| k.label().to_string())
        .collect();
    let (Some(first), Some(last)) = (t.intervals.keys().next(), t.intervals.keys().next_back())
    else {
        return TimelineView {
            kinds,
            bucket_seconds: t.step_s,
            ..Default::default()
        };
    };
    let step = t.step_s;
    let (first_s, last_s) = (first * step, last * step);
    // buckets start on the zone's hours and days (to the step the data has)
    let off = i64::from(tz.offset_at(Timestamp(first_s * 1000))) * 60;
    let off = off - off.rem_euclid(step);
    let mut width = step;
    while (last_s + off).div_euclid(width) - (first_s + off).div_euclid(width) + 1 > MAX_BUCKETS {
        width = next_step(width);
    }
    let base = (first_s + off).div_euclid(width);
    let n = ((last_s + off).div_euclid(width) - base + 1) as usize;
    let mut sums: Vec<Sum> = (0..n)
        .map(|_| Sum {
            events: vec![0; TimelineKind::ALL.len()],
            ..Default::default()
        })
        .collect();
    for (k, i) in &t.intervals {
        let s = &mut sums[((k * step + off).div_euclid(width) - base) as usize];
        s.executions += i.executions;
        s.total_us = s.total_us.saturating_add(i.total_us);
        s.latency.merge(i.latency.clone());
        s.temp_bytes = s.temp_bytes.saturating_add(i.temp_bytes);
        for (e, c) in s.events.iter_mut().zip(i.events.0) {
            *e += c;
        }
    }
    let start = |b: usize| Timestamp(((base + b as i64) * width - off) * 1000);
    let busiest = busiest(&sums, width, tz, &start);
    let buckets = sums
        .into_iter()
        .enumerate()
        .map(|(b, s)| BucketView {
            start: tz.format(start(b)),
            executions: s.executions,
            total_ms: round3(s.total_us as f64 / 1000.0),
            p95_ms: s.latency.quantile(0.95).map(|us| round3(us / 1000.0)),
            temp_bytes: s.temp_bytes,
            events: s.events,
        })
        .collect();
    TimelineView {
        kinds,
        bucket_seconds: width,
        buckets,
        busiest,
        busy_hours: (last_s - first_s > 86_400)
            .then(|| busy_hours(t, tz, Timestamp(last_s * 1000)))
            .flatten(),
    }
}

fn busiest(
    sums: &[Sum],
    width: i64,
    tz: &DisplayZone,
    start: &dyn Fn(usize) -> Timestamp,
) -> Option<BusiestView> {
    let all: u64 = sums.iter().map(|s| s.total_us).sum();
    if sums.len() < 2 || all == 0 {
        return None;
    }
    // the first of equals
    let (b, s) = sums
        .iter()
        .enumerate()
        .rev()
        .max_by_key(|(_, s)| s.total_us)?;
    let mut active: Vec<u64> = sums
        .iter()
        .filter(|s| s.executions > 0)
        .map(|s| s.total_us)
        .collect();
    active.sort_unstable();
    let median = active.get(active.len() / 2).copied().unwrap_or(0);
    Some(BusiestView {
        start: tz.format(start(b)),
        end: tz.format(start(b + 1)),
        executions: s.executions,
        per_second: round3(s.executions as f64 / width as f64),
        total_ms: round3(s.total_us as f64 / 1000.0),
        share_pct: round3(s.total_us as f64 * 100.0 / all as f64),
        median_total_ms: round3(median as f64 / 1000.0),
        p95_ms: s.latency.quantile(0.95).map(|us| round3(us / 1000.0)),
    })
}

const DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// The week's UTC hours turned to the zone's weekdays and hours (the offset
/// rounded to the hour).
fn busy_hours(t: &Timeline, tz: &DisplayZone, end: Timestamp) -> Option<BusyHoursView> {
    if t.week.len() != WEEK_HOURS || t.week.iter().all(|w| w[0] == 0) {
        return None;
    }
    let shift = (f64::from(tz.offset_at(end)) / 60.0).round() as i64;
    let mut executions = vec![vec![0u64; 24]; 7];
    let mut total_us = vec![vec![0u64; 24]; 7];
    for (h, w) in t.week.iter().enumerate() {
        let local = h as i64 + shift;
        // hour 0 is a Thursday's (day 3 from Monday)
        let day = (3 + local.div_euclid(24)).rem_euclid(7) as usize;
        let hour = local.rem_euclid(24) as usize;
        executions[day][hour] += w[0];
        total_us[day][hour] = total_us[day][hour].saturating_add(w[1]);
    }
    let (d, h) = (0..7)
        .flat_map(|d| (0..24).map(move |h| (d, h)))
        .rev()
        .max_by_key(|&(d, h)| (total_us[d][h], executions[d][h]))?;
    Some(BusyHoursView {
        zone: tz.label().to_string(),
        busiest: format!("{} {h:02}:00-{:02}:00", DAYS[d], h + 1),
        executions,
        total_ms: total_us
            .iter()
            .map(|r| r.iter().map(|&us| round3(us as f64 / 1000.0)).collect())
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc() -> DisplayZone {
        DisplayZone::choose(Some("UTC"), &Default::default())
    }

    /// A statement of `ms` at each second of `secs`.
    fn of(secs: &[(i64, u64)]) -> Timeline {
        let mut t = Timeline::default();
        for &(s, ms) in secs {
            t.statement(Some(Timestamp(s * 1000)), ms * 1000);
        }
        t
    }

    #[test]
    fn an_empty_timeline_names_its_kinds() {
        let v = build(&Timeline::default(), &utc());
        assert_eq!(v.kinds.len(), TimelineKind::ALL.len());
        assert_eq!(v.kinds[6], "new sessions");
        assert!(v.buckets.is_empty() && v.busiest.is_none() && v.busy_hours.is_none());
    }

    #[test]
    fn an_84_second_log_gets_five_second_buckets_and_its_busiest_named() {
        let mut secs: Vec<(i64, u64)> = (0..84).map(|s| (1_000 + s, 2)).collect();
        secs.extend((0..10).map(|_| (1_042, 50)));
        let v = build(&of(&secs), &utc());
        assert_eq!(v.bucket_seconds, 5);
        // 1000 is 200 * 5: 17 buckets from 1000 to 1083
        assert_eq!(v.buckets.len(), 17);
        assert_eq!(v.buckets[0].start, "1970-01-01 00:16:40.000");
        assert_eq!(v.buckets.iter().map(|b| b.executions).sum::<u64>(), 94);
        let b = v.busiest.unwrap();
        assert_eq!(b.start, "1970-01-01 00:17:20.000");
        assert_eq!(b.end, "1970-01-01 00:17:25.000");
        assert_eq!((b.executions, b.total_ms), (15, 510.0));
        assert_eq!(b.per_second, 3.0);
        assert_eq!(b.median_total_ms, 10.0);
        let p95 = b.p95_ms.unwrap();
        assert!((p95 - 50.0).abs() < 3.0, "{p95}");
        assert!(v.busy_hours.is_none());
    }

    #[test]
    fn buckets_follow_the_zones_hours() {
        // 40 hours from 00:00 UTC at +05:30: hour buckets start at xx:30 UTC,
        // the first at 05:00 there
        let secs: Vec<(i64, u64)> = (0..144_000).step_by(60).map(|s| (s, 1)).collect();
        let tz = DisplayZone::choose(Some("+05:30"), &Default::default());
        let v = build(&of(&secs), &tz);
        assert_eq!(v.bucket_seconds, 3600);
        assert_eq!(v.buckets[0].start, "1970-01-01 05:00:00.000");
        assert_eq!(v.buckets[0].executions, 30);
        assert_eq!(v.buckets.len(), 41);
        assert_eq!(v.buckets.iter().map(|b| b.executions).sum::<u64>(), 2400);
    }

    #[test]
    fn busy_hours_are_in_the_zones_weekdays() {
        // Monday 1970-01-05 14:xx UTC, busy; a quiet statement days later
        let monday_14 = 4 * 86_400 + 14 * 3600;
        let mut secs: Vec<(i64, u64)> = (0..100).map(|i| (monday_14 + i, 30)).collect();
        secs.push((9 * 86_400, 1));
        let v = build(&of(&secs), &utc());
        let h = v.busy_hours.unwrap();
        assert_eq!(h.busiest, "Monday 14:00-15:00");
        assert_eq!(h.executions[0][14], 100);
        assert_eq!(h.total_ms[0][14], 3000.0);
        // at +02:00 the same hour is 16:00
        let tz = DisplayZone::choose(Some("+02:00"), &Default::default());
        let h = build(&of(&secs), &tz).busy_hours.unwrap();
        assert_eq!(h.busiest, "Monday 16:00-17:00");
        // Saturday 1970-01-10 00:00 UTC is Saturday 02:00 there
        assert_eq!(h.executions[5][2], 1);
    }
}
