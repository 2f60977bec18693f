//! Aggregate layer: events -> mergeable accumulators.
//!
//! Everything here implements [`Merge`], with `Default` as the identity, so threads,
//! files and (later) saved partial results combine the same way. Only sums, counts,
//! extremes and histograms are stored, never means; durations are whole
//! microseconds so sums are exact and independent of merge order.

pub mod activity;
pub mod bursts;
pub mod coverage;
pub mod histogram;
pub mod mask;
pub mod partial;
pub mod query;

use crate::normalize::{Normalized, normalize};
use crate::parse::entry::Ahead;
use crate::parse::events::{Event, QueryEvent};
use crate::parse::message::Step;
use crate::parse::timestamp::Timestamp;
use activity::{Activity, DeadlockItem, ErrorKey, LockKey, StatementRef, bump};
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

/// Everything aggregated from the inputs.
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
    /// Statistics CSVs read (pg_stat_* exports), by folder.
    pub stats: crate::stats::StatsInput,
    /// N+1 bursts and pauses inside transactions, per query.
    pub bursts: bursts::Bursts,
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
        self.activity.merge(o.activity);
        self.coverage.merge(o.coverage);
        self.stats.merge(o.stats);
        self.bursts.merge(o.bursts);
    }
}

/// Folds the events of one file into an [`Aggregate`].
pub struct FileAggregator {
    agg: Aggregate,
    file: FileCoverage,
    opts: AggregateOptions,
    /// Normalization results of recent statement texts (bounded), for the
    /// statements whose normalization was not computed ahead.
    cache: NormalizedCache,
    /// Sessions authorized and not yet ended: pid -> start (ms).
    open_sessions: HashMap<u32, i64>,
    /// The lock item each waiting process is counted under, and when its wait
    /// began (ms), for its `acquired` line or the error that ends the wait.
    waiting: HashMap<u32, (LockKey, i64)>,
    /// Recent executions per session, for N+1 bursts and transaction pauses.
    tracker: bursts::SessionTracker,
    /// [`Aggregate::queries`] while the file is read.
    queries: QueryIndex,
}

/// Statistics per normalized key while a file is read, found by the hash the
/// normalization came with ([`Normalized::key_hash`], computed on a worker):
/// the thread that folds in order compares a statement's key, but does not
/// hash it.
#[derive(Default)]
struct QueryIndex {
    /// Indexes into `slots`, by key hash.
    table: hashbrown::HashTable<usize>,
    /// (key hash, key, statistics), in order of first appearance.
    slots: Vec<(u64, String, QueryStats)>,
}

impl QueryIndex {
    /// The statistics of `n`'s key, new when it was not seen yet.
    fn get(&mut self, n: &Normalized) -> &mut QueryStats {
        let slots = &mut self.slots;
        let i = match self.table.find(n.key_hash, |&i| slots[i].1 == n.key) {
            Some(&i) => i,
            None => {
                let i = slots.len();
                slots.push((n.key_hash, n.key.clone(), QueryStats::default()));
                let slots = &*slots;
                self.table.insert_unique(n.key_hash, i, |&j| slots[j].0);
                i
            }
        };
        &mut self.slots[i].2
    }

    fn into_map(self) -> rustc_hash::FxHashMap<String, QueryStats> {
        self.slots.into_iter().map(|(_, k, q)| (k, q)).collect()
    }
}

/// Statement texts and their normalizations.
pub type NormalizedMemo = rustc_hash::FxHashMap<String, std::sync::Arc<Normalized>>;

/// Normalizations of recent statement texts, bounded in entries and in bytes
/// (cleared when full): a log of huge one-off statements must not grow it.
/// A text is kept from its second sighting on: most texts with their values
/// inline are seen once, and keeping them would cost a copy each and push
/// out the texts that do come back (prepared statements, `BEGIN`, ...).
#[derive(Default)]
pub struct NormalizedCache {
    memo: NormalizedMemo,
    bytes: usize,
    /// Hashes of texts seen once and not kept (bounded: cleared when full).
    seen_once: rustc_hash::FxHashSet<u64>,
}

impl NormalizedCache {
    /// Most texts kept.
    const ENTRIES: usize = 4096;
    /// Most bytes of text kept (each text's normalization is about as long).
    const BYTES: usize = 4 << 20;
    /// Longer texts are not kept at all.
    const LONGEST: usize = 16 << 10;
    /// Most texts remembered as seen once.
    const SEEN_ONCE: usize = 1 << 16;

    /// `sql`'s normalization, computed when not known, and kept when seen before.
    pub fn normalized(&mut self, sql: &str) -> std::sync::Arc<Normalized> {
        if let Some(n) = self.memo.get(sql) {
            return n.clone();
        }
        let n = std::sync::Arc::new(normalize(sql));
        if sql.len() <= Self::LONGEST && self.seen_before(sql) {
            if self.memo.len() >= Self::ENTRIES || self.bytes + sql.len() > Self::BYTES {
                self.memo.clear();
                self.bytes = 0;
            }
            self.bytes += sql.len();
            self.memo.insert(sql.to_string(), n.clone());
        }
        n
    }

    /// Whether `sql` (not kept) was seen once already; else it is noted.
    fn seen_before(&mut self, sql: &str) -> bool {
        use std::hash::BuildHasher;
        let h = rustc_hash::FxBuildHasher.hash_one(sql);
        if self.seen_once.remove(&h) {
            return true;
        }
        if self.seen_once.len() >= Self::SEEN_ONCE {
            self.seen_once.clear();
        }
        self.seen_once.insert(h);
        false
    }
}

/// A DETAIL with the bind parameters of a statement (`parameters: $1 = ...`).
fn is_parameters(detail: &str) -> bool {
    detail
        .get(..12)
        .is_some_and(|p| p.eq_ignore_ascii_case("parameters: "))
}

impl FileAggregator {
    pub fn new(path: &str, opts: AggregateOptions) -> Self {
        FileAggregator {
            agg: Aggregate {
                slowest: TopSamples::new(opts.slowest),
                ..Default::default()
            },
            file: FileCoverage::new(path),
            opts,
            cache: NormalizedCache::default(),
            open_sessions: HashMap::new(),
            tracker: bursts::SessionTracker::new(opts.bursts),
            queries: QueryIndex::default(),
            waiting: HashMap::new(),
        }
    }

    /// The file's coverage record, for the reader to fill in (bytes, prefix, errors).
    pub fn coverage_mut(&mut self) -> &mut FileCoverage {
        &mut self.file
    }

    /// `sql`'s normalization: the one a worker computed ahead of exactly this
    /// text, when there is one (normalizing is a pure function of the text, so
    /// where it is computed does not change the result), else from the cache.
    fn normalized(&mut self, sql: &str, ahead: Option<Ahead>) -> std::sync::Arc<Normalized> {
        match ahead.map(|a| a.0.downcast::<Normalized>()) {
            Some(Ok(n)) => n,
            _ => self.cache.normalized(sql),
        }
    }

    /// Counts a server event of kind `kind` (see `TIMELINE_KINDS`) at `ts`; its
    /// time also widens the input's time range.
    fn timeline(&mut self, ts: Option<Timestamp>, kind: usize) {
        self.agg.activity.timeline.record(ts, kind);
        self.seen_at(ts);
    }

    /// Widens the input's time range.
    fn seen_at(&mut self, ts: Option<Timestamp>) {
        if let Some(ts) = ts {
            let s = &mut self.agg.summary;
            s.first_ts = Some(s.first_ts.map_or(ts, |f| f.min(ts)));
            s.last_ts = s.last_ts.max(Some(ts));
        }
    }

    /// One analyzed entry of `lines` lines.
    fn parsed(&mut self, lines: u64) {
        self.agg.summary.entries += 1;
        self.file.lines_parsed += lines;
    }

    /// A statement as evidence: its normalized key, and its text with values
    /// hidden unless they are shown.
    fn statement_ref(&mut self, sql: &str) -> StatementRef {
        let n = self.normalized(sql, None);
        StatementRef {
            display: if self.opts.show_values {
                sql.trim().to_string()
            } else {
                n.display.clone()
            },
            key: n.key.clone(),
        }
    }

    /// A deadlock DETAIL with its statements' values hidden unless shown.
    fn mask_cycle(&self, detail: &str) -> String {
        if self.opts.show_values {
            detail.to_string()
        } else {
            mask::deadlock_cycle(detail)
        }
    }

    /// Counts unrecognized lines; the example keeps its quoted values only when
    /// values are shown.
    pub fn unrecognized(&mut self, line: u64, text: &str, lines: u64) {
        if self.opts.show_values || !text.contains('\'') {
            self.file.unrecognized(line, text, lines);
        } else {
            self.file
                .unrecognized(line, &mask::literals(text, false), lines);
        }
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
                ahead,
            } => {
                self.agg.summary.entries += 1;
                self.file.lines_parsed += lines;
                let n = self.normalized(&sql, ahead);
                let q = self.queries.get(&n);
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
            Event::ConnectionReceived { lines, .. } => {
                self.parsed(lines);
                self.agg.activity.sessions.received += 1;
            }
            Event::Connection {
                user,
                db,
                app,
                client,
                pid,
                ts,
                lines,
            } => {
                self.parsed(lines);
                let c = &mut self.agg.activity.sessions;
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
                if let Some(pid) = pid {
                    // a new session on a reused pid: the old one is over
                    self.tracker
                        .end_session(&mut self.agg.bursts, &self.file.path, pid);
                }
                if let (Some(pid), Some(ts)) = (pid, ts) {
                    self.open_sessions.insert(pid, ts.0);
                }
                self.timeline(ts, 6);
            }
            Event::Disconnection {
                session_ms,
                pid,
                ts,
                lines,
            } => {
                self.parsed(lines);
                let c = &mut self.agg.activity.sessions;
                c.disconnections += 1;
                c.session_ms_total += session_ms;
                if let Some(pid) = pid {
                    self.open_sessions.remove(&pid);
                    self.tracker
                        .end_session(&mut self.agg.bursts, &self.file.path, pid);
                }
                if let Some(end) = ts {
                    c.ended(end.0 - session_ms as i64, end.0);
                }
            }
            Event::LockWait {
                wait,
                object_kind,
                holders,
                statement,
                ts,
                lines,
            } => {
                self.parsed(lines);
                use crate::parse::activity::LockState;
                let key: LockKey = match (wait.state, self.waiting.get(&wait.pid)) {
                    (LockState::Acquired, Some((k, _))) => k.clone(),
                    _ => {
                        let r = statement.map(|s| self.statement_ref(&s));
                        let key = (
                            r.as_ref().map(|r| r.key.clone()).unwrap_or_default(),
                            object_kind,
                            wait.mode.clone(),
                        );
                        if let Some(r) = r {
                            let item = self
                                .agg
                                .activity
                                .locks
                                .items
                                .entry(key.clone())
                                .or_default();
                            item.statement.offer(ts, r.display);
                        }
                        key
                    }
                };
                let locks = &mut self.agg.activity.locks;
                let item = locks.items.entry(key.clone()).or_default();
                item.max_wait_us = item.max_wait_us.max(wait.waited_us);
                item.first_ts = match (item.first_ts, ts) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                item.last_ts = item.last_ts.max(ts);
                match wait.state {
                    LockState::Waiting => {
                        locks.waits += 1;
                        item.waits += 1;
                        if !holders.is_empty() {
                            item.holders.offer(ts, holders);
                        }
                        let began = ts.map_or(0, |t| t.0 - (wait.waited_us / 1000) as i64);
                        self.waiting.insert(wait.pid, (key, began));
                        self.timeline(ts, 0);
                    }
                    LockState::Acquired => {
                        locks.acquired += 1;
                        item.acquired += 1;
                        item.acquired_wait_us += wait.waited_us;
                        self.waiting.remove(&wait.pid);
                    }
                    LockState::Deadlock => {
                        item.deadlocks += 1;
                        self.waiting.remove(&wait.pid);
                    }
                }
            }
            Event::Deadlock {
                detail,
                statement,
                ts,
                lines,
            } => {
                self.parsed(lines);
                let cycle = detail.map(|d| self.mask_cycle(&d)).unwrap_or_default();
                let victim = statement.map(|s| self.statement_ref(&s));
                let d = &mut self.agg.activity.deadlocks;
                d.count += 1;
                if d.items.len() < activity::DEADLOCKS_KEPT {
                    d.items.push(DeadlockItem { ts, cycle, victim });
                }
                self.timeline(ts, 1);
            }
            Event::TempFile {
                bytes,
                statement,
                ts,
                lines,
            } => {
                self.parsed(lines);
                let by = statement.map(|s| self.statement_ref(&s));
                let t = &mut self.agg.activity.temp_files;
                t.all.record(bytes);
                match by {
                    Some(r) => {
                        let u = t.by_query.entry(r.key).or_default();
                        u.record(bytes);
                        u.statement.offer(ts, r.display);
                    }
                    None => t.unattributed.record(bytes),
                }
                self.timeline(ts, 2);
            }
            Event::Error {
                level,
                sqlstate,
                message,
                statement,
                cancel,
                auth_failure,
                pid,
                ts,
                lines,
            } => {
                self.parsed(lines);
                // an error ends a lock wait (lock_timeout, statement_timeout, cancel):
                // the wait lasted from its start to the error
                if let Some(((key, began), Some(t))) =
                    pid.and_then(|p| self.waiting.remove(&p)).zip(Some(ts))
                    && let Some(item) = self.agg.activity.locks.items.get_mut(&key)
                {
                    let waited = (t.0 - began).max(0) as u64 * 1000;
                    item.ended_by_error += 1;
                    item.acquired_wait_us += waited;
                    item.max_wait_us = item.max_wait_us.max(waited);
                }
                // a FATAL ends the process's session, with no disconnection line
                if level == crate::parse::prefix::Level::Fatal
                    && let Some(start) = pid.and_then(|p| self.open_sessions.remove(&p))
                {
                    let end = ts.map_or(start, |t| t.0);
                    self.agg.activity.sessions.ended(start, end.max(start));
                }
                let example = statement.map(|s| self.statement_ref(&s));
                let e = &mut self.agg.activity.errors;
                let key: ErrorKey = (level.as_str().to_string(), sqlstate, message);
                let g = e.groups.entry(key).or_default();
                g.count += 1;
                if let Some(x) = example {
                    g.example.offer(ts, x);
                }
                g.first_ts = match (g.first_ts, ts) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                g.last_ts = g.last_ts.max(ts);
                if let Some(kind) = cancel {
                    bump(&mut e.cancellations, kind);
                }
                if let Some((user, host)) = auth_failure {
                    // `host(port)` from %r: the port differs per attempt
                    let host = host.map(|h| h.split('(').next().unwrap_or(&h).to_string());
                    let k = (
                        user.unwrap_or_else(|| "?".into()),
                        host.unwrap_or_else(|| "?".into()),
                    );
                    *e.auth_failures.entry(k).or_default() += 1;
                }
                self.timeline(ts, 3);
            }
            Event::Checkpoint { msg, ts, lines } => {
                self.parsed(lines);
                use crate::parse::activity::CheckpointMsg;
                let c = &mut self.agg.activity.checkpoints;
                match msg {
                    CheckpointMsg::Starting { reason } => {
                        c.count += 1;
                        bump(&mut c.by_reason, reason);
                        self.timeline(ts, 4);
                    }
                    CheckpointMsg::Complete {
                        buffers,
                        write_ms,
                        sync_ms,
                        total_ms,
                        distance_kb,
                    } => {
                        c.completed += 1;
                        c.buffers += buffers;
                        c.write_ms += write_ms;
                        c.sync_ms += sync_ms;
                        c.total_ms += total_ms;
                        c.max_total_ms = c.max_total_ms.max(total_ms);
                        c.distance_kb += distance_kb;
                    }
                    CheckpointMsg::TooFrequent { seconds } => {
                        c.too_frequent += 1;
                        c.min_seconds_apart =
                            Some(c.min_seconds_apart.map_or(seconds, |m| m.min(seconds)));
                    }
                }
            }
            Event::Autovacuum { run, ts, lines } => {
                self.parsed(lines);
                let a = &mut self.agg.activity.autovacuum;
                let t = a.by_table.entry(run.table).or_default();
                if run.analyze {
                    a.analyzes += 1;
                    t.analyzes += 1;
                } else {
                    a.vacuums += 1;
                    t.vacuums += 1;
                }
                t.elapsed_ms += run.elapsed_ms.unwrap_or(0);
                t.pages_removed += run.pages_removed;
                t.tuples_removed += run.tuples_removed;
                self.timeline(ts, 5);
            }
            Event::Plan { plan, ts, lines } => {
                self.parsed(lines);
                let n = self.normalized(&plan.query, None);
                let sample = activity::PlanSample {
                    us: plan.us,
                    ts,
                    file: self.file.path.clone(),
                    line: 0,
                    text: if self.opts.show_values {
                        plan.text
                    } else {
                        mask::plan(&plan.text)
                    },
                    flags: plan.flags,
                    count: 1,
                };
                match self.agg.activity.plans.get_mut(&n.key) {
                    Some(p) => p.merge(sample),
                    None => {
                        self.agg.activity.plans.insert(n.key.clone(), sample);
                    }
                }
            }
            Event::Ignored { category, lines } => {
                self.agg.summary.entries += 1;
                self.file.ignored(category, lines);
            }
            Event::Unrecognized { line, text, lines } => self.unrecognized(line, &text, lines),
            Event::Orphan { lines } => self.file.ignored("secondary line without its entry", lines),
            Event::Blank => self.file.ignored("blank line", 1),
        }
    }

    fn add_query(&mut self, mut q: QueryEvent) {
        let s = &mut self.agg.summary;
        s.entries += 1 + u64::from(q.paired);
        self.file.lines_parsed += q.entry.lines;
        self.seen_at(q.entry.ts);
        let n = self.normalized(&q.sql, q.ahead.take());
        let e = &q.entry;
        let who = [e.user.as_deref(), e.db.as_deref(), e.app.as_deref()];
        let show = self.opts.show_values;
        let file = &self.file.path;
        let make_sample = |us: u64| Sample {
            duration_us: us,
            ts: e.ts,
            user: e.user.as_deref().map(str::to_string),
            db: e.db.as_deref().map(str::to_string),
            app: e.app.as_deref().map(str::to_string),
            file: file.clone(),
            line: e.line,
            text: if show {
                q.sql.trim().to_string()
            } else {
                n.display.clone()
            },
            params: if show {
                e.detail.clone().filter(|d| is_parameters(d))
            } else {
                None
            },
            normalized: n.key.clone(),
        };
        let Some(us) = q.duration_us else {
            self.agg.summary.untimed_statements += 1;
            let stats = self.queries.get(&n);
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
        let stats = self.queries.get(&n);
        stats.truncated |= n.truncated;
        if let Some(id) = e.query_id.filter(|id| *id != 0) {
            stats.query_id(id);
        }
        stats.record(us, || make_sample(us), (e.ts, e.line), who);
        let params = e.detail.as_deref().filter(|d| is_parameters(d));
        self.tracker.observe(
            &mut self.agg.bursts,
            &self.file.path,
            e,
            bursts::QueryKey::from(&*n),
            // placeholders whose values were not logged: the executions cannot be
            // told apart, so they are not called identical
            if params.is_none() && q.sql.contains('$') {
                e.line
            } else {
                bursts::variant_hash(&q.sql, params)
            },
            us,
        );
    }

    /// Finishes the file: its aggregate with its coverage record.
    pub fn finish(mut self, zones: &[String]) -> Aggregate {
        let tracker = std::mem::take(&mut self.tracker);
        tracker.finish(&mut self.agg.bursts, &self.file.path);
        let mut open: Vec<i64> = self.open_sessions.drain().map(|(_, start)| start).collect();
        open.sort_unstable();
        for start in open {
            self.agg.activity.sessions.left_open(start);
        }
        self.agg.summary.zones.extend(zones.iter().cloned());
        self.agg.queries = self.queries.into_map();
        self.agg
            .coverage
            .files
            .insert(self.file.path.clone(), self.file);
        self.agg
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_index_tells_keys_apart_by_text_not_by_hash() {
        let mut ix = QueryIndex::default();
        let a = normalize("SELECT * FROM a WHERE id = 1");
        let b = normalize("SELECT * FROM b WHERE id = 2");
        // a hash collision: the texts still decide
        let b = Normalized {
            key_hash: a.key_hash,
            ..b
        };
        for _ in 0..3 {
            ix.get(&a).count += 1;
        }
        ix.get(&b).count += 10;
        // enough keys to make the table grow (and rehash from the kept hashes)
        for i in 0..100 {
            ix.get(&normalize(&format!("SELECT c{i} FROM t"))).count += 1;
        }
        assert_eq!(ix.get(&a).count, 3);
        assert_eq!(ix.get(&b).count, 10);
        let map = ix.into_map();
        assert_eq!(map.len(), 102);
        assert_eq!(map[&a.key].count, 3);
        assert_eq!(map[&b.key].count, 10);
        assert_eq!(map["select c42 from t"].count, 1);
    }

    #[test]
    fn the_normalization_cache_stays_bounded_and_answers_like_normalize() {
        let mut c = NormalizedCache::default();
        // a text too long to keep is still normalized
        let long = format!("SELECT '{}'", "x".repeat(NormalizedCache::LONGEST));
        assert_eq!(c.normalized(&long).key, normalize(&long).key);
        assert!(c.memo.is_empty());
        // many texts, each seen twice (kept): never more than the entry
        // limit, and answers unchanged
        for i in 0..NormalizedCache::ENTRIES + 10 {
            let sql = format!("SELECT {i} FROM t{i}");
            for _ in 0..2 {
                assert_eq!(c.normalized(&sql).key, format!("select $1 from t{i}"));
            }
            assert!(c.memo.len() <= NormalizedCache::ENTRIES);
        }
        assert!(c.memo.len() > 1);
        // big texts: never more than the byte limit
        let big = "y".repeat(NormalizedCache::LONGEST - 20);
        for i in 0..2 * NormalizedCache::BYTES / NormalizedCache::LONGEST {
            for _ in 0..2 {
                c.normalized(&format!("SELECT '{big}' AS c{i}"));
            }
            assert!(c.bytes <= NormalizedCache::BYTES);
            assert_eq!(c.bytes, c.memo.keys().map(String::len).sum::<usize>());
        }
        assert!(c.bytes > NormalizedCache::BYTES / 2);
    }

    #[test]
    fn the_normalization_cache_keeps_what_comes_back_through_a_flood_of_one_off_texts() {
        let mut c = NormalizedCache::default();
        let hot = "SELECT abalance FROM pgbench_accounts WHERE aid = $1";
        c.normalized(hot);
        // seen once: not kept
        assert!(c.memo.is_empty());
        c.normalized(hot);
        assert!(c.memo.contains_key(hot));
        // more one-off texts (values inline) than the cache holds: none is
        // kept, so the text that comes back is not pushed out
        for i in 0..3 * NormalizedCache::ENTRIES {
            let sql = format!("UPDATE t SET v = {i} WHERE id = {}", i * 7);
            assert_eq!(c.normalized(&sql).key, "update t set v = $1 where id = $2");
        }
        assert_eq!(c.memo.len(), 1);
        assert!(c.memo.contains_key(hot));
        // the one-off texts remembered stay bounded too
        for i in 0..2 * NormalizedCache::SEEN_ONCE {
            c.normalized(&format!("SELECT {i}"));
            assert!(c.seen_once.len() <= NormalizedCache::SEEN_ONCE);
        }
    }
}
