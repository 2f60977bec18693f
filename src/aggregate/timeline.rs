//! Activity over time, with bounded memory: per interval, statement
//! executions, statement time and a coarse latency histogram (for a p95),
//! temporary-file bytes and server events by kind; and executions and
//! statement time per hour of the week, for a busy-hours view.
//!
//! Intervals start one second wide. When a new interval would make more than
//! [`MAX_INTERVALS`], every interval widens to the next step of [`LADDER`]
//! (then to twice as many days). Each step divides the next, so widening is
//! exact, and the width a timeline ends with is the narrowest step at which
//! its events fit: the same whether the events were folded in one pass, per
//! thread or per file and merged in any order.

use crate::merge::Merge;
use crate::parse::timestamp::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The most intervals a timeline keeps (two days of minutes, a month of
/// quarter hours).
pub const MAX_INTERVALS: usize = 2880;

/// Interval widths in seconds; past a day, widths double.
pub const LADDER: [i64; 9] = [1, 5, 15, 60, 300, 900, 3600, 21_600, 86_400];

/// Hours in a week: the busy-hours table's size.
pub const WEEK_HOURS: usize = 168;

/// The width after `step` seconds.
pub fn next_step(step: i64) -> i64 {
    LADDER
        .iter()
        .copied()
        .find(|&l| l > step)
        .unwrap_or(step.saturating_mul(2))
}

/// What the timeline counts besides statements; serialized counts and the
/// report's rows follow the order of [`TimelineKind::ALL`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TimelineKind {
    LockWaits,
    Deadlocks,
    TempFiles,
    Errors,
    Checkpoints,
    Autovacuum,
    Connections,
}

impl TimelineKind {
    /// Every kind, in column order.
    pub const ALL: [TimelineKind; 7] = [
        TimelineKind::LockWaits,
        TimelineKind::Deadlocks,
        TimelineKind::TempFiles,
        TimelineKind::Errors,
        TimelineKind::Checkpoints,
        TimelineKind::Autovacuum,
        TimelineKind::Connections,
    ];

    /// The kind's column in [`TimelineCounts`] and in the report.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The kind at column `i`, if any.
    pub fn at(i: usize) -> Option<TimelineKind> {
        Self::ALL.get(i).copied()
    }

    /// How the report names it.
    pub fn label(self) -> &'static str {
        match self {
            TimelineKind::LockWaits => "lock waits",
            TimelineKind::Deadlocks => "deadlocks",
            TimelineKind::TempFiles => "temp files",
            TimelineKind::Errors => "errors",
            TimelineKind::Checkpoints => "checkpoints",
            TimelineKind::Autovacuum => "autovacuum",
            TimelineKind::Connections => "new sessions",
        }
    }
}

/// Events of one interval, by kind (serialized as a list, in [`TimelineKind::ALL`] order).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TimelineCounts(pub [u64; TimelineKind::ALL.len()]);

impl std::ops::Index<TimelineKind> for TimelineCounts {
    type Output = u64;
    fn index(&self, k: TimelineKind) -> &u64 {
        &self.0[k.index()]
    }
}

impl std::ops::IndexMut<TimelineKind> for TimelineCounts {
    fn index_mut(&mut self, k: TimelineKind) -> &mut u64 {
        &mut self.0[k.index()]
    }
}

impl Merge for TimelineCounts {
    fn merge(&mut self, o: Self) {
        self.0.merge(o.0);
    }
}

/// A latency histogram small enough for every interval: eight bins per
/// power of two (within 12.5%), values below 8 us exact. Sparse: `(bin, count)`
/// sorted by bin.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CoarseLatency(Vec<(u16, u64)>);

/// The bin of `us`: 0 for 0, else `1 + 8 * floor(log2 us) + next three bits`.
fn coarse_bin(us: u64) -> u16 {
    if us == 0 {
        return 0;
    }
    let e = 63 - us.leading_zeros();
    let m = if e >= 3 {
        (us >> (e - 3)) & 7
    } else {
        (us << (3 - e)) & 7
    };
    (1 + e * 8 + m as u32) as u16
}

/// The middle of bin `b`, in microseconds.
fn coarse_mid(b: u16) -> f64 {
    if b == 0 {
        return 0.0;
    }
    let e = i32::from((b - 1) / 8);
    let m = f64::from((b - 1) % 8);
    let lo = (8.0 + m) * 2f64.powi(e - 3);
    if e < 3 {
        lo // exact below 8 us
    } else {
        lo + 2f64.powi(e - 3) / 2.0
    }
}

impl CoarseLatency {
    pub fn record(&mut self, us: u64) {
        let b = coarse_bin(us);
        match self.0.binary_search_by_key(&b, |x| x.0) {
            Ok(i) => self.0[i].1 = self.0[i].1.saturating_add(1),
            Err(i) => self.0.insert(i, (b, 1)),
        }
    }

    /// The nearest-rank quantile `q` (0 < q <= 1), in microseconds, within 6%.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let total: u64 = self.0.iter().map(|x| x.1).sum();
        if total == 0 {
            return None;
        }
        let rank = ((q * total as f64).ceil() as u64).clamp(1, total);
        let mut seen = 0;
        for &(b, n) in &self.0 {
            seen += n;
            if seen >= rank {
                return Some(coarse_mid(b));
            }
        }
        None
    }
}

impl CoarseLatency {
    /// Bins strictly ascending and in range.
    pub fn check(&self) -> Result<(), String> {
        let last = coarse_bin(u64::MAX);
        if self.0.windows(2).any(|w| w[0].0 >= w[1].0) || self.0.iter().any(|b| b.0 > last) {
            return Err("interval latency bins out of order or range".into());
        }
        Ok(())
    }
}

impl Merge for CoarseLatency {
    fn merge(&mut self, o: Self) {
        if self.0.is_empty() {
            self.0 = o.0;
            return;
        }
        let mut out = Vec::with_capacity(self.0.len() + o.0.len());
        let (mut a, mut b) = (
            std::mem::take(&mut self.0).into_iter().peekable(),
            o.0.into_iter().peekable(),
        );
        loop {
            let next = match (a.peek(), b.peek()) {
                (Some(x), Some(y)) if x.0 == y.0 => {
                    let (x, y) = (a.next().unwrap(), b.next().unwrap());
                    (x.0, x.1.saturating_add(y.1))
                }
                (Some(x), Some(y)) if x.0 < y.0 => a.next().unwrap(),
                (Some(_), Some(_)) | (None, Some(_)) => b.next().unwrap(),
                (Some(_), None) => a.next().unwrap(),
                (None, None) => break,
            };
            out.push(next);
        }
        self.0 = out;
    }
}

/// One interval's activity.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interval {
    pub events: TimelineCounts,
    /// Timed statement executions and their time (us).
    pub executions: u64,
    pub total_us: u64,
    pub latency: CoarseLatency,
    /// Bytes of the temporary files logged.
    pub temp_bytes: u64,
}

impl Merge for Interval {
    fn merge(&mut self, o: Self) {
        self.events.merge(o.events);
        self.executions.merge(o.executions);
        self.total_us.merge(o.total_us);
        self.latency.merge(o.latency);
        self.temp_bytes.merge(o.temp_bytes);
    }
}

/// Activity per interval, and per hour of the week.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timeline {
    /// Width of an interval, in seconds.
    pub step_s: i64,
    /// Intervals by start (seconds since the epoch, UTC) divided by `step_s`.
    pub intervals: BTreeMap<i64, Interval>,
    /// `[executions, statement time in us]` per hour of the week, UTC; hour 0
    /// is a Thursday's first (the epoch's). Empty until a statement is timed.
    pub week: Vec<[u64; 2]>,
}

impl Default for Timeline {
    fn default() -> Self {
        Timeline {
            step_s: LADDER[0],
            intervals: BTreeMap::new(),
            week: Vec::new(),
        }
    }
}

impl Timeline {
    /// The interval holding `ts`, new if need be (widening all of them first
    /// when one more would be too many).
    fn at(&mut self, ts: Timestamp) -> &mut Interval {
        let key = |step: i64| ts.0.div_euclid(step.saturating_mul(1000));
        while self.intervals.len() >= MAX_INTERVALS
            && !self.intervals.contains_key(&key(self.step_s))
        {
            self.widen_to(next_step(self.step_s));
        }
        self.intervals.entry(key(self.step_s)).or_default()
    }

    /// Rekeys every interval to width `step` (a multiple of the current one).
    pub fn widen_to(&mut self, step: i64) {
        if step <= self.step_s {
            return;
        }
        let old = std::mem::take(&mut self.intervals);
        for (k, v) in old {
            let start = k.saturating_mul(self.step_s);
            match self.intervals.entry(start.div_euclid(step)) {
                std::collections::btree_map::Entry::Occupied(mut e) => e.get_mut().merge(v),
                std::collections::btree_map::Entry::Vacant(e) => {
                    e.insert(v);
                }
            }
        }
        self.step_s = step;
    }

    /// Counts an event of `kind` at `ts` (nothing without a time).
    pub fn record(&mut self, ts: Option<Timestamp>, kind: TimelineKind) {
        if let Some(t) = ts {
            let c = &mut self.at(t).events[kind];
            *c = c.saturating_add(1);
        }
    }

    /// Counts a timed execution of `us` microseconds at `ts`.
    pub fn statement(&mut self, ts: Option<Timestamp>, us: u64) {
        let Some(t) = ts else { return };
        let i = self.at(t);
        i.executions = i.executions.saturating_add(1);
        i.total_us = i.total_us.saturating_add(us);
        i.latency.record(us);
        if self.week.is_empty() {
            self.week = vec![[0, 0]; WEEK_HOURS];
        }
        let h = t.0.div_euclid(3_600_000).rem_euclid(WEEK_HOURS as i64) as usize;
        let w = &mut self.week[h];
        w[0] = w[0].saturating_add(1);
        w[1] = w[1].saturating_add(us);
    }

    /// Counts a temporary file of `bytes` at `ts`.
    pub fn temp_file(&mut self, ts: Option<Timestamp>, bytes: u64) {
        if let Some(t) = ts {
            let i = self.at(t);
            i.temp_bytes = i.temp_bytes.saturating_add(bytes);
        }
    }
}

impl Timeline {
    /// Whether the timeline is one the fold could have made: a width on the
    /// ladder, no more intervals than the cap, a whole week of hours.
    pub fn check(&self) -> Result<(), String> {
        let mut step = LADDER[0];
        while step < self.step_s {
            step = next_step(step);
        }
        if step != self.step_s {
            return Err(format!(
                "timeline width {} s is not one pgsift uses",
                self.step_s
            ));
        }
        if self.intervals.len() > MAX_INTERVALS {
            return Err(format!(
                "{} timeline intervals (at most {MAX_INTERVALS})",
                self.intervals.len()
            ));
        }
        // starts within ±30,000 years of the epoch: the report's arithmetic
        // on them (seconds, milliseconds, zone offsets) cannot overflow
        const MAX_S: i64 = 1 << 40;
        if self
            .intervals
            .keys()
            .any(|k| k.checked_mul(self.step_s).is_none_or(|s| s.abs() > MAX_S))
        {
            return Err("a timeline interval outside any time a log can hold".into());
        }
        if !self.week.is_empty() && self.week.len() != WEEK_HOURS {
            return Err(format!("{} hours in the week", self.week.len()));
        }
        self.intervals.values().try_for_each(|i| i.latency.check())
    }
}

impl Merge for Timeline {
    fn merge(&mut self, mut o: Self) {
        let step = self.step_s.max(o.step_s);
        self.widen_to(step);
        o.widen_to(step);
        Merge::merge(&mut self.intervals, o.intervals);
        while self.intervals.len() > MAX_INTERVALS {
            self.widen_to(next_step(self.step_s));
        }
        if self.week.is_empty() {
            self.week = o.week;
        } else if o.week.len() == self.week.len() {
            for (a, b) in self.week.iter_mut().zip(o.week) {
                a[0] = a[0].saturating_add(b[0]);
                a[1] = a[1].saturating_add(b[1]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> Option<Timestamp> {
        Some(Timestamp(s * 1000))
    }

    #[test]
    fn kinds_round_trip_through_their_column() {
        for (i, k) in TimelineKind::ALL.into_iter().enumerate() {
            assert_eq!(k.index(), i);
            assert_eq!(TimelineKind::at(i), Some(k));
        }
        assert_eq!(TimelineKind::at(TimelineKind::ALL.len()), None);
    }

    #[test]
    fn each_kind_counts_in_its_own_column_and_serializes_as_a_list() {
        let mut t = Timeline::default();
        t.record(at(0), TimelineKind::Errors);
        t.record(at(0), TimelineKind::Errors);
        t.record(at(1), TimelineKind::Connections);
        t.record(None, TimelineKind::Deadlocks);
        assert_eq!(t.intervals.len(), 2);
        assert_eq!(t.intervals[&0].events[TimelineKind::Errors], 2);
        assert_eq!(t.intervals[&1].events[TimelineKind::Connections], 1);
        let json = serde_json::to_string(&t.intervals[&0].events).unwrap();
        assert_eq!(json, "[0,0,0,2,0,0,0]");
        let back: Timeline = serde_json::from_str(&serde_json::to_string(&t).unwrap()).unwrap();
        assert_eq!(back, t);
    }

    #[test]
    fn coarse_bins_are_monotonic_and_within_an_eighth() {
        let mut last = 0;
        for us in (0..5000).chain([1 << 20, 123_456_789, u64::MAX]) {
            let b = coarse_bin(us);
            assert!(b >= last || us > 5000, "{us}");
            last = b;
            if us > 0 {
                let mid = coarse_mid(b);
                assert!((mid - us as f64).abs() <= us as f64 / 8.0, "{us} -> {mid}");
            }
        }
        for us in 0..8 {
            assert_eq!(coarse_mid(coarse_bin(us)), us as f64);
        }
    }

    #[test]
    fn the_p95_of_an_interval_is_its_95th_value_within_the_bins_error() {
        let mut t = Timeline::default();
        for us in 1..=100u64 {
            t.statement(at(7), us * 1000);
        }
        let i = &t.intervals[&7];
        assert_eq!((i.executions, i.total_us), (100, 5_050_000));
        let p95 = i.latency.quantile(0.95).unwrap();
        assert!((p95 - 95_000.0).abs() < 95_000.0 * 0.07, "{p95}");
        assert_eq!(t.week.iter().map(|w| w[0]).sum::<u64>(), 100);
    }

    /// Events one per `gap` seconds over `n` gaps, from `from`.
    fn spread(from: i64, n: i64, gap: i64) -> Timeline {
        let mut t = Timeline::default();
        for i in 0..n {
            t.statement(at(from + i * gap), 10);
            t.record(at(from + i * gap), TimelineKind::Errors);
        }
        t
    }

    #[test]
    fn it_widens_to_the_narrowest_step_that_fits_and_loses_nothing() {
        // a day of one statement a second: 86,400 seconds, 1,440 minutes
        let t = spread(0, 86_400, 1);
        assert_eq!(t.step_s, 60);
        assert_eq!(t.intervals.len(), 1440);
        assert_eq!(
            t.intervals.values().map(|i| i.executions).sum::<u64>(),
            86_400
        );
        assert!(t.intervals.values().all(|i| i.executions == 60));
        // MAX_INTERVALS seconds fit at one second
        assert_eq!(spread(0, MAX_INTERVALS as i64, 1).step_s, 1);
        assert_eq!(spread(0, MAX_INTERVALS as i64 + 1, 1).step_s, 5);
        // a year of hours: days
        let y = spread(0, 365 * 24, 3600);
        assert_eq!((y.step_s, y.intervals.len()), (21_600, 1460));
        // before the epoch too
        let b = spread(-10_000, 3000, 1);
        assert_eq!(
            b.intervals.values().map(|i| i.executions).sum::<u64>(),
            3000
        );
    }

    #[test]
    fn check_refuses_what_no_fold_makes() {
        let mut t = spread(0, 100, 1);
        assert_eq!(t.check(), Ok(()));
        t.step_s = 7;
        assert!(t.check().is_err());
        let mut t = spread(0, 100, 1);
        t.intervals.insert(i64::MAX / 2, Interval::default());
        assert!(t.check().unwrap_err().contains("outside"));
        let mut t = spread(0, 100, 1);
        t.week.pop();
        assert!(t.check().is_err());
    }

    #[test]
    fn merging_in_any_order_gives_the_one_pass_result() {
        let whole = spread(1_000, 9_000, 1);
        let parts: Vec<Timeline> = (0..3)
            .map(|p| spread(1_000 + p * 3_000, 3_000, 1))
            .collect();
        let mut ab = parts[0].clone();
        ab.merge(parts[1].clone());
        ab.merge(parts[2].clone());
        let mut cb = parts[2].clone();
        cb.merge(parts[0].clone());
        cb.merge(parts[1].clone());
        assert_eq!(ab, whole);
        assert_eq!(cb, whole);
        // a wide timeline merged into a narrow one
        let mut narrow = spread(0, 10, 1);
        narrow.merge(spread(0, 100_000, 60));
        assert_eq!(narrow.step_s, 3600);
        assert_eq!(
            narrow.intervals.values().map(|i| i.executions).sum::<u64>(),
            100_010
        );
    }
}
