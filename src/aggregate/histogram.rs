//! Mergeable latency histogram with bounded relative error, for percentiles.
//!
//! Values are whole microseconds. Values below 128 us get one bucket each (exact);
//! above, buckets grow geometrically by 1%, and a quantile is reported as the
//! bucket's harmonic midpoint clamped to the observed min and max, which keeps the
//! relative error under 0.5%. Counts live in a dense vector covering only the
//! buckets between the smallest and largest seen, so a group whose latencies sit
//! in one decade costs a few hundred counters at most.

use crate::merge::Merge;
use serde::{Deserialize, Serialize};

const EXACT_BELOW: u64 = 128;
const GROWTH: f64 = 1.01;

/// Histogram of durations in microseconds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LatencyHistogram {
    /// Index of `counts[0]`.
    offset: u32,
    counts: Vec<u64>,
    total: u64,
    min: u64,
    max: u64,
}

fn index(us: u64) -> u32 {
    if us < EXACT_BELOW {
        us as u32
    } else {
        EXACT_BELOW as u32 + ((us as f64 / EXACT_BELOW as f64).ln() / GROWTH.ln()).floor() as u32
    }
}

fn bounds(i: u32) -> (f64, f64) {
    if u64::from(i) < EXACT_BELOW {
        (f64::from(i), f64::from(i))
    } else {
        let lo = EXACT_BELOW as f64 * GROWTH.powi((i - EXACT_BELOW as u32) as i32);
        (lo, lo * GROWTH)
    }
}

impl LatencyHistogram {
    /// Records one value.
    pub fn record(&mut self, us: u64) {
        let i = index(us);
        if self.counts.is_empty() {
            self.offset = i;
            self.counts.push(0);
            self.min = us;
            self.max = us;
        }
        if i < self.offset {
            let grow = (self.offset - i) as usize;
            self.counts.splice(0..0, std::iter::repeat_n(0, grow));
            self.offset = i;
        }
        let pos = (i - self.offset) as usize;
        if pos >= self.counts.len() {
            self.counts.resize(pos + 1, 0);
        }
        self.counts[pos] += 1;
        self.total += 1;
        self.min = self.min.min(us);
        self.max = self.max.max(us);
    }

    /// Number of values recorded.
    pub fn count(&self) -> u64 {
        self.total
    }

    /// The nearest-rank quantile `q` (0 < q <= 1), in microseconds (fractional).
    pub fn quantile(&self, q: f64) -> Option<f64> {
        if self.total == 0 {
            return None;
        }
        let rank = ((q * self.total as f64).ceil() as u64).clamp(1, self.total);
        if rank == self.total {
            return Some(self.max as f64);
        }
        if rank == 1 {
            return Some(self.min as f64);
        }
        let mut seen = 0;
        for (k, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                let (lo, hi) = bounds(self.offset + k as u32);
                let mid = if lo == hi {
                    lo
                } else {
                    2.0 * lo * hi / (lo + hi)
                };
                // (not clamp: it panics on min > max, which a damaged partial can hold)
                return Some(mid.max(self.min as f64).min(self.max as f64));
            }
        }
        Some(self.max as f64)
    }
}

impl LatencyHistogram {
    /// Whether the histogram is one `record` could have made: counts that add
    /// up to the total, min <= max, both in the bins held, bins in range.
    /// A partial file is checked before it is merged.
    pub fn check(&self) -> Result<(), String> {
        if self.total == 0 {
            return if self.counts.is_empty() && self.min == 0 && self.max == 0 {
                Ok(())
            } else {
                Err("an empty histogram with counts or extremes".into())
            };
        }
        let last = index(u64::MAX);
        let end = u64::from(self.offset) + self.counts.len() as u64;
        if end > u64::from(last) + 1 {
            return Err(format!(
                "histogram bins {}..{end} beyond the last, {last}",
                self.offset
            ));
        }
        let sum = self
            .counts
            .iter()
            .try_fold(0u64, |s, &c| s.checked_add(c))
            .ok_or("histogram counts overflow")?;
        if sum != self.total {
            return Err(format!(
                "histogram counts add up to {sum}, its total says {}",
                self.total
            ));
        }
        if self.min > self.max {
            return Err(format!(
                "histogram min {} above its max {}",
                self.min, self.max
            ));
        }
        let held = |us: u64| (u64::from(self.offset)..end).contains(&u64::from(index(us)));
        if !held(self.min) || !held(self.max) {
            return Err("histogram extremes outside its bins".into());
        }
        Ok(())
    }
}

impl Merge for LatencyHistogram {
    fn merge(&mut self, other: Self) {
        if other.total == 0 {
            return;
        }
        if self.total == 0 {
            *self = other;
            return;
        }
        let new_offset = self.offset.min(other.offset);
        if new_offset < self.offset {
            let grow = (self.offset - new_offset) as usize;
            self.counts.splice(0..0, std::iter::repeat_n(0, grow));
            self.offset = new_offset;
        }
        let start = (other.offset - self.offset) as usize;
        if start + other.counts.len() > self.counts.len() {
            self.counts.resize(start + other.counts.len(), 0);
        }
        for (k, c) in other.counts.into_iter().enumerate() {
            self.counts[start + k] = self.counts[start + k].saturating_add(c);
        }
        self.total = self.total.saturating_add(other.total);
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exact(sorted: &[u64], q: f64) -> f64 {
        let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
        sorted[rank - 1] as f64
    }

    #[test]
    fn quantiles_within_one_percent() {
        // A deterministic spread from 3 us to about 40 s.
        let mut values: Vec<u64> = (0..20_000u64)
            .map(|i| 3 + (i * i * 7919) % 40_000_000)
            .collect();
        let mut h = LatencyHistogram::default();
        for &v in &values {
            h.record(v);
        }
        values.sort_unstable();
        for q in [0.5, 0.9, 0.95, 0.99, 1.0] {
            let want = exact(&values, q);
            let got = h.quantile(q).unwrap();
            assert!(
                (got - want).abs() <= want * 0.01,
                "q={q} got {got} want {want}"
            );
        }
        assert_eq!(h.quantile(1.0).unwrap(), *values.last().unwrap() as f64);
    }

    #[test]
    fn check_accepts_what_record_makes_and_names_what_it_cannot() {
        let mut h = LatencyHistogram::default();
        assert_eq!(h.check(), Ok(()));
        for v in [3, 900, 1_000_000, u64::MAX] {
            h.record(v);
        }
        assert_eq!(h.check(), Ok(()));
        let mut bad = h.clone();
        std::mem::swap(&mut bad.min, &mut bad.max);
        assert!(bad.check().unwrap_err().contains("min"));
        let mut bad = h.clone();
        bad.total += 1;
        assert!(bad.check().unwrap_err().contains("add up"));
        let mut bad = h.clone();
        bad.offset = 4_000_000_000;
        assert!(bad.check().unwrap_err().contains("beyond"));
        let mut bad = LatencyHistogram::default();
        bad.record(500);
        bad.min = 1;
        assert!(bad.check().unwrap_err().contains("outside"));
    }

    #[test]
    fn small_values_are_exact() {
        let mut h = LatencyHistogram::default();
        for v in [15, 15, 20, 100] {
            h.record(v);
        }
        assert_eq!(h.quantile(0.5), Some(15.0));
        assert_eq!(h.quantile(0.75), Some(20.0));
    }

    #[test]
    fn merge_equals_single_pass() {
        let values: Vec<u64> = (0..5000u64)
            .map(|i| (i * 104_729) % 3_000_000 + 1)
            .collect();
        let mut all = LatencyHistogram::default();
        values.iter().for_each(|&v| all.record(v));
        let mut a = LatencyHistogram::default();
        let mut b = LatencyHistogram::default();
        for (k, &v) in values.iter().enumerate() {
            if k % 3 == 0 { a.record(v) } else { b.record(v) }
        }
        let mut merged = LatencyHistogram::default();
        merged.merge(b);
        merged.merge(a);
        assert_eq!(merged, all);
        let mut id = all.clone();
        id.merge(LatencyHistogram::default());
        assert_eq!(id, all);
    }
}
