//! Aggregate layer: events -> mergeable accumulators.
//!
//! Everything here implements [`Merge`], with `Default` as the identity, so threads,
//! files and saved partial results combine the same way. Only sums, counts,
//! extremes and histograms are stored, never means; durations are whole
//! microseconds so sums are exact and independent of merge order. [`fold`]
//! folds one file's events into an [`Aggregate`]; the other modules hold the
//! accumulators by topic.

pub mod activity;
pub mod bursts;
pub mod filter;
pub mod fold;
pub mod histogram;
pub mod mask;
pub mod normalized;
pub mod partial;
pub mod pooler;
pub mod query;
pub mod timeline;

/// Input coverage, kept under its old path (it is a bottom module now, shared
/// with the statistics reader).
pub use crate::coverage;
pub use crate::merge::Merge;
pub use fold::FileAggregator;
pub use normalized::{NormalizedCache, NormalizedMemo};

use crate::parse::timestamp::Timestamp;
use activity::Activity;
use coverage::Coverage;
use query::{QueryStats, TopSamples};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Upper bounds (exclusive, in ms) of the report's latency bins, as pgBadger draws them.
pub const BIN_UPPER_MS: [u64; 9] = [1, 5, 10, 25, 50, 100, 500, 1000, 10_000];

/// Executions and time per latency bin (the last bin is open-ended).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LatencyBins {
    pub count: [u64; 10],
    pub total_us: [u64; 10],
}

impl LatencyBins {
    pub fn record(&mut self, us: u64) {
        let i = BIN_UPPER_MS
            .iter()
            .position(|&ub| us < ub * 1000)
            .unwrap_or(9);
        self.count[i] += 1;
        self.total_us[i] = self.total_us[i].saturating_add(us);
    }
}

impl Merge for LatencyBins {
    fn merge(&mut self, o: Self) {
        self.count.merge(o.count);
        self.total_us.merge(o.total_us);
    }
}

/// Whole-input counters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Log entries (a primary line with its continuations and secondary lines).
    pub entries: u64,
    /// Timed executions (simple statements and extended-protocol executes).
    pub executions: u64,
    pub total_us: u64,
    /// Statements logged without any duration.
    pub untimed_statements: u64,
    /// Bare durations with no statement to attach to.
    pub unattributed_count: u64,
    pub unattributed_us: u64,
    pub parse_count: u64,
    pub parse_us: u64,
    pub bind_count: u64,
    pub bind_us: u64,
    pub first_ts: Option<Timestamp>,
    pub last_ts: Option<Timestamp>,
    /// Time zone labels of the timestamps.
    pub zones: BTreeSet<String>,
    /// Timestamps of statements and server events read from a millisecond
    /// clock, and from a whole-second one (`%t`, BSD syslog): what times
    /// derived from them (pauses, the peak of sessions) can be trusted to.
    pub millis_timestamps: u64,
    pub seconds_timestamps: u64,
}

impl Merge for Summary {
    fn merge(&mut self, o: Self) {
        self.entries.merge(o.entries);
        self.executions.merge(o.executions);
        self.total_us.merge(o.total_us);
        self.untimed_statements.merge(o.untimed_statements);
        self.unattributed_count.merge(o.unattributed_count);
        self.unattributed_us.merge(o.unattributed_us);
        self.parse_count.merge(o.parse_count);
        self.parse_us.merge(o.parse_us);
        self.bind_count.merge(o.bind_count);
        self.bind_us.merge(o.bind_us);
        self.first_ts = match (self.first_ts, o.first_ts) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.last_ts = self.last_ts.max(o.last_ts);
        self.zones.merge(o.zones);
        self.millis_timestamps.merge(o.millis_timestamps);
        self.seconds_timestamps.merge(o.seconds_timestamps);
    }
}

/// How events are aggregated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AggregateOptions {
    /// Keep literal values and bind parameters in samples.
    pub show_values: bool,
    /// How many slowest individual statements to keep.
    pub slowest: usize,
    /// Thresholds of N+1 bursts and transaction pauses.
    pub bursts: bursts::BurstOptions,
}

/// Everything aggregated from the logs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Aggregate {
    pub summary: Summary,
    /// Per normalized key.
    pub queries: rustc_hash::FxHashMap<String, QueryStats>,
    pub bins: LatencyBins,
    pub slowest: TopSamples,
    /// Locks, errors, checkpoints, autovacuum, sessions, plans.
    pub activity: Activity,
    pub coverage: Coverage,
    /// N+1 bursts and pauses inside transactions, per query.
    pub bursts: bursts::Bursts,
}

impl Aggregate {
    /// Whether the aggregate is one the fold could have made, as far as a
    /// merge depends on it: every histogram sound, each query's executions
    /// those of its histogram, the totals those of the queries and bins, the
    /// timeline sound. A partial file is checked before it is merged, so a
    /// damaged or edited one is refused with the reason, never a panic or an
    /// allocation of gigabytes.
    pub fn check(&self) -> Result<(), String> {
        let mut executions = 0u64;
        for (key, q) in &self.queries {
            let name = crate::units::short(key, 60);
            q.hist
                .check()
                .map_err(|e| format!("query \"{name}\": {e}"))?;
            if q.hist.count() != q.count {
                return Err(format!(
                    "query \"{name}\": {} executions, its histogram holds {}",
                    q.count,
                    q.hist.count()
                ));
            }
            if q.count > 0 && q.min_us.is_none_or(|m| m > q.max_us) {
                return Err(format!("query \"{name}\": min above max"));
            }
            executions = executions.saturating_add(q.count);
        }
        if executions != self.summary.executions {
            return Err(format!(
                "the queries hold {executions} executions, the summary {}",
                self.summary.executions
            ));
        }
        let binned = self
            .bins
            .count
            .iter()
            .fold(0u64, |s, &c| s.saturating_add(c));
        if binned != self.summary.executions {
            return Err(format!(
                "the latency bins hold {binned} executions, the summary {}",
                self.summary.executions
            ));
        }
        self.activity
            .timeline
            .check()
            .map_err(|e| format!("timeline: {e}"))
    }
}

impl Merge for Aggregate {
    fn merge(&mut self, o: Self) {
        self.summary.merge(o.summary);
        self.queries.merge(o.queries);
        self.bins.merge(o.bins);
        self.slowest.merge(o.slowest);
        self.activity.merge(o.activity);
        self.coverage.merge(o.coverage);
        self.bursts.merge(o.bursts);
    }
}
