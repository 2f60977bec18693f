//! Per-normalized-query statistics and the samples kept as evidence.

use super::histogram::LatencyHistogram;
use crate::merge::Merge;
use crate::parse::timestamp::Timestamp;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// One concrete statement kept as evidence: where it was logged and what it said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sample {
    pub duration_us: u64,
    pub ts: Option<Timestamp>,
    pub user: Option<String>,
    pub db: Option<String>,
    pub app: Option<String>,
    pub file: String,
    pub line: u64,
    /// The statement: literals replaced by `$n` unless values are shown.
    pub text: String,
    /// Bind parameters as logged; only kept when values are shown.
    pub params: Option<String>,
    /// Normalized key of the statement's group.
    pub normalized: String,
}

impl Sample {
    /// Evidence order: slower first, then earlier, then by place in the input.
    pub fn rank_cmp(&self, other: &Self) -> Ordering {
        other
            .duration_us
            .cmp(&self.duration_us)
            .then_with(|| self.ts.cmp(&other.ts))
            .then_with(|| self.file.cmp(&other.file))
            .then_with(|| self.line.cmp(&other.line))
    }
}

/// Statistics of one normalized query.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryStats {
    /// Timed executions.
    pub count: u64,
    pub total_us: u64,
    pub min_us: Option<u64>,
    pub max_us: u64,
    pub hist: LatencyHistogram,
    /// Statements logged without a duration (log_statement without log_duration).
    pub untimed: u64,
    pub first_ts: Option<Timestamp>,
    pub last_ts: Option<Timestamp>,
    pub users: BTreeMap<String, u64>,
    pub dbs: BTreeMap<String, u64>,
    pub apps: BTreeMap<String, u64>,
    /// The slowest execution.
    pub slowest: Option<Sample>,
    /// Extended-protocol parse and bind time, kept apart from execution time.
    pub parse_count: u64,
    pub parse_us: u64,
    pub bind_count: u64,
    pub bind_us: u64,
    /// Some statement of the group looked cut off (unterminated literal or comment).
    pub truncated: bool,
    /// Query ids the log carried for this group (`%Q`, csvlog/jsonlog `query_id`),
    /// at most [`MAX_QUERY_IDS`], the smallest kept.
    pub query_ids: std::collections::BTreeSet<i64>,
}

/// Query ids kept per group (one per role/schema the statement ran under, usually).
pub const MAX_QUERY_IDS: usize = 16;

impl QueryStats {
    /// Remembers a query id of the group.
    pub fn query_id(&mut self, id: i64) {
        if self.query_ids.len() < MAX_QUERY_IDS || self.query_ids.last().is_some_and(|l| id < *l) {
            self.query_ids.insert(id);
            while self.query_ids.len() > MAX_QUERY_IDS {
                self.query_ids.pop_last();
            }
        }
    }
}

fn min_opt<T: Ord + Copy>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

impl QueryStats {
    /// Records one timed execution. `line` places it in its file: among equally
    /// slow executions the earliest is kept, as [`Sample::rank_cmp`] does on merge.
    pub fn record(
        &mut self,
        us: u64,
        sample: impl FnOnce() -> Sample,
        (ts, line): (Option<Timestamp>, u64),
        who: [Option<&str>; 3],
    ) {
        self.count += 1;
        self.total_us = self.total_us.saturating_add(us);
        self.min_us = min_opt(self.min_us, Some(us));
        self.max_us = self.max_us.max(us);
        self.hist.record(us);
        self.seen(ts, who);
        let replace = match &self.slowest {
            None => true,
            Some(s) => us > s.duration_us || (us == s.duration_us && (ts, line) < (s.ts, s.line)),
        };
        if replace {
            self.slowest = Some(sample());
        }
    }

    /// Notes when and by whom the query was seen.
    pub fn seen(&mut self, ts: Option<Timestamp>, [user, db, app]: [Option<&str>; 3]) {
        self.first_ts = min_opt(self.first_ts, ts);
        self.last_ts = self.last_ts.max(ts);
        for (map, v) in [
            (&mut self.users, user),
            (&mut self.dbs, db),
            (&mut self.apps, app),
        ] {
            if let Some(v) = v {
                match map.get_mut(v) {
                    Some(c) => *c += 1,
                    None => {
                        map.insert(v.to_string(), 1);
                    }
                }
            }
        }
    }
}

impl Merge for QueryStats {
    fn merge(&mut self, o: Self) {
        self.count += o.count;
        self.total_us += o.total_us;
        self.min_us = min_opt(self.min_us, o.min_us);
        self.max_us = self.max_us.max(o.max_us);
        self.hist.merge(o.hist);
        self.untimed += o.untimed;
        self.first_ts = min_opt(self.first_ts, o.first_ts);
        self.last_ts = self.last_ts.max(o.last_ts);
        Merge::merge(&mut self.users, o.users);
        Merge::merge(&mut self.dbs, o.dbs);
        Merge::merge(&mut self.apps, o.apps);
        self.slowest = match (self.slowest.take(), o.slowest) {
            (Some(a), Some(b)) => Some(if b.rank_cmp(&a) == Ordering::Less {
                b
            } else {
                a
            }),
            (a, b) => a.or(b),
        };
        self.parse_count += o.parse_count;
        self.parse_us += o.parse_us;
        self.bind_count += o.bind_count;
        self.bind_us += o.bind_us;
        self.truncated |= o.truncated;
        for id in o.query_ids {
            self.query_id(id);
        }
    }
}

/// The N slowest individual statements, mergeable.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopSamples {
    pub limit: usize,
    pub samples: Vec<Sample>,
}

impl TopSamples {
    pub fn new(limit: usize) -> Self {
        TopSamples {
            limit,
            samples: Vec::new(),
        }
    }

    /// Would a statement of this duration enter the list?
    pub fn admits(&self, us: u64) -> bool {
        self.limit > 0
            && (self.samples.len() < self.limit
                || self.samples.last().is_some_and(|s| us >= s.duration_us))
    }

    pub fn push(&mut self, s: Sample) {
        let pos = self
            .samples
            .partition_point(|x| x.rank_cmp(&s) != Ordering::Greater);
        self.samples.insert(pos, s);
        self.samples.truncate(self.limit);
    }
}

impl Merge for TopSamples {
    fn merge(&mut self, o: Self) {
        self.limit = self.limit.max(o.limit);
        for s in o.samples {
            self.push(s);
        }
    }
}
