//! Aggregate layer: events -> mergeable accumulators.
//!
//! Everything here implements [`Merge`], with `Default` as the identity, so threads,
//! files and (later) saved partial results combine the same way. Only sums, counts,
//! extremes and histograms are stored, never means; durations are whole
//! microseconds so sums are exact and independent of merge order.

pub mod coverage;
pub mod histogram;
pub mod query;

use crate::normalize::{Normalized, normalize};
use crate::parse::events::{Event, QueryEvent};
use crate::parse::message::Step;
use crate::parse::timestamp::Timestamp;
use coverage::{Coverage, FileCoverage};
use query::{QueryStats, Sample, TopSamples};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};

/// Combine two partial results of the same kind. `Default` must be the identity.
pub trait Merge {
    fn merge(&mut self, other: Self);
}

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
        self.total_us[i] += us;
    }
}

impl Merge for LatencyBins {
    fn merge(&mut self, o: Self) {
        for i in 0..10 {
            self.count[i] += o.count[i];
            self.total_us[i] += o.total_us[i];
        }
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
}

impl Merge for Summary {
    fn merge(&mut self, o: Self) {
        self.entries += o.entries;
        self.executions += o.executions;
        self.total_us += o.total_us;
        self.untimed_statements += o.untimed_statements;
        self.unattributed_count += o.unattributed_count;
        self.unattributed_us += o.unattributed_us;
        self.parse_count += o.parse_count;
        self.parse_us += o.parse_us;
        self.bind_count += o.bind_count;
        self.bind_us += o.bind_us;
        self.first_ts = match (self.first_ts, o.first_ts) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.last_ts = self.last_ts.max(o.last_ts);
        self.zones.extend(o.zones);
    }
}

/// Sessions seen through `log_connections` / `log_disconnections`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Connections {
    /// `connection authorized` entries.
    pub authorized: u64,
    pub by_user: std::collections::BTreeMap<String, u64>,
    pub by_database: std::collections::BTreeMap<String, u64>,
    /// Per `user@database`.
    pub by_user_database: std::collections::BTreeMap<String, u64>,
    pub by_app: std::collections::BTreeMap<String, u64>,
    pub by_client: std::collections::BTreeMap<String, u64>,
    pub disconnections: u64,
    pub session_ms_total: u64,
}

fn bump(m: &mut std::collections::BTreeMap<String, u64>, k: &str) {
    match m.get_mut(k) {
        Some(c) => *c += 1,
        None => {
            m.insert(k.to_string(), 1);
        }
    }
}

fn merge_map(
    a: &mut std::collections::BTreeMap<String, u64>,
    b: std::collections::BTreeMap<String, u64>,
) {
    for (k, v) in b {
        *a.entry(k).or_default() += v;
    }
}

impl Merge for Connections {
    fn merge(&mut self, o: Self) {
        self.authorized += o.authorized;
        merge_map(&mut self.by_user, o.by_user);
        merge_map(&mut self.by_database, o.by_database);
        merge_map(&mut self.by_user_database, o.by_user_database);
        merge_map(&mut self.by_app, o.by_app);
        merge_map(&mut self.by_client, o.by_client);
        self.disconnections += o.disconnections;
        self.session_ms_total += o.session_ms_total;
    }
}

/// How events are aggregated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AggregateOptions {
    /// Keep literal values and bind parameters in samples.
    pub show_values: bool,
    /// How many slowest individual statements to keep.
    pub slowest: usize,
}

/// Everything aggregated from the inputs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Aggregate {
    pub summary: Summary,
    /// Per normalized key.
    pub queries: HashMap<String, QueryStats>,
    pub bins: LatencyBins,
    pub slowest: TopSamples,
    pub connections: Connections,
    pub coverage: Coverage,
}

impl Merge for Aggregate {
    fn merge(&mut self, o: Self) {
        self.summary.merge(o.summary);
        for (k, v) in o.queries {
            match self.queries.get_mut(&k) {
                Some(q) => q.merge(v),
                None => {
                    self.queries.insert(k, v);
                }
            }
        }
        self.bins.merge(o.bins);
        self.slowest.merge(o.slowest);
        self.connections.merge(o.connections);
        self.coverage.merge(o.coverage);
    }
}

/// Folds the events of one file into an [`Aggregate`].
pub struct FileAggregator {
    agg: Aggregate,
    file: FileCoverage,
    opts: AggregateOptions,
    /// Normalization results of recent statement texts (bounded).
    cache: HashMap<String, Normalized>,
}

const CACHE_LIMIT: usize = 4096;

impl FileAggregator {
    pub fn new(path: &str, opts: AggregateOptions) -> Self {
        FileAggregator {
            agg: Aggregate {
                slowest: TopSamples::new(opts.slowest),
                ..Default::default()
            },
            file: FileCoverage::new(path),
            opts,
            cache: HashMap::new(),
        }
    }

    /// The file's coverage record, for the reader to fill in (bytes, prefix, errors).
    pub fn coverage_mut(&mut self) -> &mut FileCoverage {
        &mut self.file
    }

    fn normalized(&mut self, sql: &str) -> Normalized {
        if let Some(n) = self.cache.get(sql) {
            return n.clone();
        }
        let n = normalize(sql);
        if self.cache.len() >= CACHE_LIMIT {
            self.cache.clear();
        }
        self.cache.insert(sql.to_string(), n.clone());
        n
    }

    /// Counts one physical line read (before parsing).
    pub fn line_read(&mut self, invalid_utf8: bool) {
        self.file.lines_total += 1;
        self.file.invalid_utf8_lines += u64::from(invalid_utf8);
    }

    /// Folds one event.
    pub fn add(&mut self, ev: Event) {
        match ev {
            Event::Query(q) => self.add_query(*q),
            Event::StepTiming {
                step,
                us,
                sql,
                lines,
            } => {
                self.agg.summary.entries += 1;
                self.file.lines_parsed += lines;
                let n = self.normalized(&sql);
                let q = self.agg.queries.entry(n.key).or_default();
                if step == Step::Parse {
                    q.parse_count += 1;
                    q.parse_us += us;
                    self.agg.summary.parse_count += 1;
                    self.agg.summary.parse_us += us;
                } else {
                    q.bind_count += 1;
                    q.bind_us += us;
                    self.agg.summary.bind_count += 1;
                    self.agg.summary.bind_us += us;
                }
            }
            Event::UnattributedDuration { us, lines } => {
                self.agg.summary.entries += 1;
                self.file.lines_parsed += lines;
                self.agg.summary.unattributed_count += 1;
                self.agg.summary.unattributed_us += us;
            }
            Event::Connection {
                user,
                db,
                app,
                client,
                lines,
            } => {
                self.agg.summary.entries += 1;
                self.file.lines_parsed += lines;
                let c = &mut self.agg.connections;
                c.authorized += 1;
                bump(&mut c.by_user, &user);
                bump(&mut c.by_database, &db);
                bump(&mut c.by_user_database, &format!("{user}@{db}"));
                if let Some(a) = app {
                    bump(&mut c.by_app, &a);
                }
                if let Some(h) = client {
                    // `host(port)` from %r: the port differs per session
                    bump(&mut c.by_client, h.split('(').next().unwrap_or(&h));
                }
            }
            Event::Disconnection { session_ms, lines } => {
                self.agg.summary.entries += 1;
                self.file.lines_parsed += lines;
                self.agg.connections.disconnections += 1;
                self.agg.connections.session_ms_total += session_ms;
            }
            Event::Ignored { category, lines } => {
                self.agg.summary.entries += 1;
                self.file.ignored(category, lines);
            }
            Event::Unrecognized { line, text, lines } => self.file.unrecognized(line, &text, lines),
            Event::Orphan { lines } => self.file.ignored("secondary line without its entry", lines),
            Event::Blank => self.file.ignored("blank line", 1),
        }
    }

    fn add_query(&mut self, q: QueryEvent) {
        let s = &mut self.agg.summary;
        s.entries += 1 + u64::from(q.paired);
        self.file.lines_parsed += q.entry.lines;
        if let Some(ts) = q.entry.ts {
            s.first_ts = Some(s.first_ts.map_or(ts, |f| f.min(ts)));
            s.last_ts = s.last_ts.max(Some(ts));
        }
        let n = self.normalized(&q.sql);
        let e = &q.entry;
        let who = [e.user.as_deref(), e.db.as_deref(), e.app.as_deref()];
        let show = self.opts.show_values;
        let file = &self.file.path;
        let make_sample = |us: u64| Sample {
            duration_us: us,
            ts: e.ts,
            user: e.user.clone(),
            db: e.db.clone(),
            app: e.app.clone(),
            file: file.clone(),
            line: e.line,
            text: if show {
                q.sql.trim().to_string()
            } else {
                n.display.clone()
            },
            params: if show {
                e.detail
                    .clone()
                    .filter(|d| d.to_ascii_lowercase().starts_with("parameters: "))
            } else {
                None
            },
            normalized: n.key.clone(),
        };
        let Some(us) = q.duration_us else {
            self.agg.summary.untimed_statements += 1;
            let stats = self.agg.queries.entry(n.key.clone()).or_default();
            stats.untimed += 1;
            stats.truncated |= n.truncated;
            stats.seen(e.ts, who);
            return;
        };
        let s = &mut self.agg.summary;
        s.executions += 1;
        s.total_us += us;
        self.agg.bins.record(us);
        if self.agg.slowest.admits(us) {
            self.agg.slowest.push(make_sample(us));
        }
        let stats = match self.agg.queries.get_mut(&n.key) {
            Some(s) => s,
            None => self.agg.queries.entry(n.key.clone()).or_default(),
        };
        stats.truncated |= n.truncated;
        stats.record(us, || make_sample(us), (e.ts, e.line), who);
    }

    /// Finishes the file: its aggregate with its coverage record.
    pub fn finish(mut self, zones: &[String]) -> Aggregate {
        self.agg.summary.zones.extend(zones.iter().cloned());
        self.agg
            .coverage
            .files
            .insert(self.file.path.clone(), self.file);
        self.agg
    }
}
