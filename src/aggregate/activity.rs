//! Server activity accumulators: lock waits, deadlocks, temporary files, errors,
//! checkpoints, autovacuum, sessions, auto_explain plans and a per-minute
//! timeline of them. All mergeable; `Default` is the identity.

use crate::merge::Merge;
use crate::parse::timestamp::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

pub use super::timeline::{Timeline, TimelineCounts, TimelineKind};

/// Named counts.
pub type Counts = BTreeMap<String, u64>;

/// Adds one to `k`.
pub fn bump(m: &mut Counts, k: &str) {
    add(m, k, 1);
}

/// Adds `n` to `k`.
pub fn add(m: &mut Counts, k: &str, n: u64) {
    match m.get_mut(k) {
        Some(c) => *c += n,
        None => {
            m.insert(k.to_string(), n);
        }
    }
}

fn min_ts(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    }
}

/// The earliest of several candidates (by time, then value): an example chosen
/// this way is the same whatever order partial results are merged in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Earliest<T> {
    pub at: Option<(Option<Timestamp>, T)>,
}

impl<T> Default for Earliest<T> {
    fn default() -> Self {
        Earliest { at: None }
    }
}

impl<T: Ord> Earliest<T> {
    pub fn offer(&mut self, ts: Option<Timestamp>, v: T) {
        let better = match &self.at {
            None => true,
            Some((t, x)) => (ts, &v) < (*t, x),
        };
        if better {
            self.at = Some((ts, v));
        }
    }

    pub fn get(&self) -> Option<&T> {
        self.at.as_ref().map(|(_, v)| v)
    }
}

impl<T: Ord> Merge for Earliest<T> {
    fn merge(&mut self, o: Self) {
        if let Some((t, v)) = o.at {
            self.offer(t, v);
        }
    }
}

/// A statement as evidence: normalized key (for the link) and display text.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct StatementRef {
    pub key: String,
    pub display: String,
}

/// Lock waits of one (statement, object, mode).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockItem {
    /// `still waiting` entries.
    pub waits: u64,
    /// `acquired` entries.
    pub acquired: u64,
    /// Waits ended by an error (lock or statement timeout, cancel) instead.
    pub ended_by_error: u64,
    /// Time the waits lasted in all: from `acquired ... after N ms` lines, and
    /// for waits ended by an error, from the wait's start to the error.
    pub acquired_wait_us: u64,
    /// Longest wait seen on any line.
    pub max_wait_us: u64,
    /// Waits that ended in a detected deadlock.
    pub deadlocks: u64,
    pub first_ts: Option<Timestamp>,
    pub last_ts: Option<Timestamp>,
    /// The waiting statement as shown (values hidden unless shown).
    pub statement: Earliest<String>,
    /// Holders named by the earliest wait's DETAIL.
    pub holders: Earliest<Vec<u32>>,
}

impl Merge for LockItem {
    fn merge(&mut self, o: Self) {
        self.waits += o.waits;
        self.acquired += o.acquired;
        self.ended_by_error += o.ended_by_error;
        self.acquired_wait_us += o.acquired_wait_us;
        self.max_wait_us = self.max_wait_us.max(o.max_wait_us);
        self.deadlocks += o.deadlocks;
        self.statement.merge(o.statement);
        self.holders.merge(o.holders);
        self.first_ts = min_ts(self.first_ts, o.first_ts);
        self.last_ts = self.last_ts.max(o.last_ts);
    }
}

/// Key of a lock item: the waiting statement's normalized key (empty when the log
/// does not say), the object kind, the mode.
pub type LockKey = (String, String, String);

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Locks {
    /// `still waiting for` entries.
    pub waits: u64,
    pub acquired: u64,
    #[serde(with = "as_pairs")]
    pub items: BTreeMap<LockKey, LockItem>,
}

impl Merge for Locks {
    fn merge(&mut self, o: Self) {
        self.waits += o.waits;
        self.acquired += o.acquired;
        Merge::merge(&mut self.items, o.items);
    }
}

/// How many deadlocks to keep in full.
pub const DEADLOCKS_KEPT: usize = 50;

/// One deadlock.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct DeadlockItem {
    pub ts: Option<Timestamp>,
    /// The cycle as PostgreSQL described it (DETAIL), with statements masked.
    pub cycle: String,
    /// The statement of the process that was canceled.
    pub victim: Option<StatementRef>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadlocks {
    pub count: u64,
    /// The first deadlocks by time.
    pub items: Vec<DeadlockItem>,
}

impl Merge for Deadlocks {
    fn merge(&mut self, o: Self) {
        self.count += o.count;
        self.items.extend(o.items);
        self.items.sort();
        self.items.truncate(DEADLOCKS_KEPT);
    }
}

/// Temp files of one statement.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TempUse {
    pub count: u64,
    pub bytes: u64,
    pub max_bytes: u64,
    /// The statement as shown (for `by_query`).
    pub statement: Earliest<String>,
}

impl TempUse {
    pub fn record(&mut self, bytes: u64) {
        self.count += 1;
        self.bytes = self.bytes.saturating_add(bytes);
        self.max_bytes = self.max_bytes.max(bytes);
    }
}

impl Merge for TempUse {
    fn merge(&mut self, o: Self) {
        self.count += o.count;
        self.bytes += o.bytes;
        self.max_bytes = self.max_bytes.max(o.max_bytes);
        self.statement.merge(o.statement);
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TempFiles {
    pub all: TempUse,
    /// Per normalized key of the statement.
    pub by_query: BTreeMap<String, TempUse>,
    /// Files logged with no statement (parallel workers, utility commands).
    pub unattributed: TempUse,
}

impl Merge for TempFiles {
    fn merge(&mut self, o: Self) {
        self.all.merge(o.all);
        Merge::merge(&mut self.by_query, o.by_query);
        self.unattributed.merge(o.unattributed);
    }
}

/// One group of errors.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorGroup {
    pub count: u64,
    pub first_ts: Option<Timestamp>,
    pub last_ts: Option<Timestamp>,
    /// A statement that failed this way (the earliest).
    pub example: Earliest<StatementRef>,
}

impl Merge for ErrorGroup {
    fn merge(&mut self, o: Self) {
        self.count += o.count;
        self.example.merge(o.example);
        self.first_ts = min_ts(self.first_ts, o.first_ts);
        self.last_ts = self.last_ts.max(o.last_ts);
    }
}

/// Error key: severity, SQLSTATE (when logged), normalized message.
pub type ErrorKey = (String, Option<String>, String);

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Errors {
    #[serde(with = "as_pairs")]
    pub groups: BTreeMap<ErrorKey, ErrorGroup>,
    /// Cancellations by kind (`statement_timeout`, `lock_timeout`, `user_request`, ...).
    pub cancellations: Counts,
    /// Failed logins per (user, client host).
    #[serde(with = "as_pairs")]
    pub auth_failures: BTreeMap<(String, String), u64>,
}

impl Merge for Errors {
    fn merge(&mut self, o: Self) {
        Merge::merge(&mut self.groups, o.groups);
        Merge::merge(&mut self.cancellations, o.cancellations);
        Merge::merge(&mut self.auth_failures, o.auth_failures);
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoints {
    /// `checkpoint starting` entries.
    pub count: u64,
    pub by_reason: Counts,
    /// `checkpoint complete` entries and their sums.
    pub completed: u64,
    pub write_ms: u64,
    pub sync_ms: u64,
    pub total_ms: u64,
    pub max_total_ms: u64,
    pub buffers: u64,
    pub distance_kb: u64,
    /// `checkpoints are occurring too frequently` warnings, and the shortest gap they named.
    pub too_frequent: u64,
    pub min_seconds_apart: Option<u64>,
}

impl Merge for Checkpoints {
    fn merge(&mut self, o: Self) {
        self.count += o.count;
        Merge::merge(&mut self.by_reason, o.by_reason);
        self.completed += o.completed;
        self.write_ms += o.write_ms;
        self.sync_ms += o.sync_ms;
        self.total_ms += o.total_ms;
        self.max_total_ms = self.max_total_ms.max(o.max_total_ms);
        self.buffers += o.buffers;
        self.distance_kb += o.distance_kb;
        self.too_frequent += o.too_frequent;
        self.min_seconds_apart = match (self.min_seconds_apart, o.min_seconds_apart) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
}

/// Autovacuum work on one table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableVacuum {
    pub vacuums: u64,
    pub analyzes: u64,
    pub elapsed_ms: u64,
    pub pages_removed: u64,
    pub tuples_removed: u64,
}

impl Merge for TableVacuum {
    fn merge(&mut self, o: Self) {
        self.vacuums += o.vacuums;
        self.analyzes += o.analyzes;
        self.elapsed_ms += o.elapsed_ms;
        self.pages_removed += o.pages_removed;
        self.tuples_removed += o.tuples_removed;
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Autovacuums {
    pub vacuums: u64,
    pub analyzes: u64,
    pub by_table: BTreeMap<String, TableVacuum>,
}

impl Merge for Autovacuums {
    fn merge(&mut self, o: Self) {
        self.vacuums += o.vacuums;
        self.analyzes += o.analyzes;
        Merge::merge(&mut self.by_table, o.by_table);
    }
}

/// Sessions seen through `log_connections` / `log_disconnections`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sessions {
    /// `connection received` entries.
    pub received: u64,
    /// `connection authorized` entries.
    pub authorized: u64,
    pub by_user: Counts,
    pub by_database: Counts,
    /// Per `user@database`.
    pub by_user_database: Counts,
    pub by_app: Counts,
    pub by_client: Counts,
    pub disconnections: u64,
    pub session_ms_total: u64,
    /// Sessions that ended, as (opened, closed) per millisecond.
    pub per_ms: BTreeMap<i64, (u64, u64)>,
    /// Start second of each ended session, to recognize a session left open in
    /// one file and ended in the next.
    pub ended_starts: BTreeMap<i64, u64>,
    /// Start (ms) of sessions authorized and not seen ending in their file.
    pub open_starts: Vec<i64>,
}

impl Sessions {
    /// A session that ended: from `start_ms` to `end_ms`.
    pub fn ended(&mut self, start_ms: i64, end_ms: i64) {
        self.per_ms.entry(start_ms).or_default().0 += 1;
        self.per_ms.entry(end_ms).or_default().1 += 1;
        *self
            .ended_starts
            .entry(start_ms.div_euclid(1000))
            .or_default() += 1;
    }

    /// A session authorized at `start_ms` whose end its file did not show.
    pub fn left_open(&mut self, start_ms: i64) {
        self.open_starts.push(start_ms);
    }

    /// The most sessions open at once, and when (ms since the epoch); `None`
    /// without disconnections (nothing says when sessions end). A session left
    /// open in one file and ended in another (same start, to the second) counts
    /// once; one never seen ending stays open to the end of the log. At the same
    /// millisecond, sessions end before others start.
    pub fn peak(&self) -> Option<(i64, Option<i64>)> {
        if self.disconnections == 0 {
            return None;
        }
        let mut points = self.per_ms.clone();
        let mut unmatched = self.ended_starts.clone();
        let mut open = self.open_starts.clone();
        open.sort_unstable();
        for start in open {
            let sec = start.div_euclid(1000);
            let twin = (sec - 1..=sec + 1).find(|s| unmatched.get(s).is_some_and(|c| *c > 0));
            match twin {
                Some(s) => *unmatched.get_mut(&s).expect("found above") -= 1,
                None => points.entry(start).or_default().0 += 1,
            }
        }
        let (mut now, mut peak, mut at) = (0i64, 0i64, None);
        for (&ms, &(opened, closed)) in &points {
            now -= closed as i64;
            now += opened as i64;
            if now > peak {
                peak = now;
                at = Some(ms);
            }
        }
        Some((peak, at))
    }
}

impl Merge for Sessions {
    fn merge(&mut self, o: Self) {
        self.received += o.received;
        self.authorized += o.authorized;
        Merge::merge(&mut self.by_user, o.by_user);
        Merge::merge(&mut self.by_database, o.by_database);
        Merge::merge(&mut self.by_user_database, o.by_user_database);
        Merge::merge(&mut self.by_app, o.by_app);
        Merge::merge(&mut self.by_client, o.by_client);
        self.disconnections += o.disconnections;
        self.session_ms_total += o.session_ms_total;
        Merge::merge(&mut self.per_ms, o.per_ms);
        Merge::merge(&mut self.ended_starts, o.ended_starts);
        self.open_starts.merge(o.open_starts);
    }
}

/// The slowest auto_explain plan of a normalized query.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanSample {
    pub us: u64,
    pub ts: Option<Timestamp>,
    pub file: String,
    pub line: u64,
    pub text: String,
    pub flags: Vec<String>,
    /// How many plans of this query were logged.
    pub count: u64,
}

impl Merge for PlanSample {
    fn merge(&mut self, o: Self) {
        let count = self.count + o.count;
        let better = o.us > self.us
            || (o.us == self.us && (o.ts, &o.file, o.line) < (self.ts, &self.file, self.line));
        if better {
            *self = o;
        }
        self.count = count;
    }
}

/// Everything the log says besides statement timings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Activity {
    pub locks: Locks,
    pub deadlocks: Deadlocks,
    pub temp_files: TempFiles,
    pub errors: Errors,
    pub checkpoints: Checkpoints,
    pub autovacuum: Autovacuums,
    pub sessions: Sessions,
    /// Per normalized query key.
    pub plans: HashMap<String, PlanSample>,
    pub timeline: Timeline,
    /// pgBouncer's log, when one was read.
    #[serde(default)]
    pub pooler: super::pooler::Pooler,
}

impl Merge for Activity {
    fn merge(&mut self, o: Self) {
        self.locks.merge(o.locks);
        self.deadlocks.merge(o.deadlocks);
        self.temp_files.merge(o.temp_files);
        self.errors.merge(o.errors);
        self.checkpoints.merge(o.checkpoints);
        self.autovacuum.merge(o.autovacuum);
        self.sessions.merge(o.sessions);
        self.plans.merge(o.plans);
        self.timeline.merge(o.timeline);
        self.pooler.merge(o.pooler);
    }
}

/// Maps with non-string keys serialize as lists of `[key, value]` pairs.
mod as_pairs {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::collections::BTreeMap;

    pub fn serialize<K: Serialize, V: Serialize, S: Serializer>(
        m: &BTreeMap<K, V>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_seq(m.iter())
    }

    pub fn deserialize<
        'de,
        K: Deserialize<'de> + Ord,
        V: Deserialize<'de>,
        D: Deserializer<'de>,
    >(
        d: D,
    ) -> Result<BTreeMap<K, V>, D::Error> {
        Ok(Vec::<(K, V)>::deserialize(d)?.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peak_concurrent_sessions() {
        let mut s = Sessions::default();
        // five sequential 100 ms sessions within one second never overlap
        for k in 0..5 {
            s.ended(k * 100, k * 100 + 100);
        }
        s.disconnections = 5;
        assert_eq!(s.peak(), Some((1, Some(0))));
        let mut other = Sessions::default();
        other.ended(50, 80);
        other.left_open(10_000);
        s.merge(other);
        assert_eq!(s.peak(), Some((2, Some(50))));
        assert_eq!(Sessions::default().peak(), None);
    }

    #[test]
    fn a_session_spanning_two_files_counts_once() {
        let mut a = Sessions::default();
        a.left_open(1_000_200); // authorized in file a, still open at its end
        let mut b = Sessions::default();
        b.ended(1_000_000, 2_000_000); // its disconnection, in file b
        b.ended(1_500_000, 1_600_000);
        b.disconnections = 2;
        a.merge(b);
        assert_eq!(a.peak().map(|p| p.0), Some(2));
    }

    #[test]
    fn plan_keeps_the_slowest_and_counts_all() {
        let mut a = PlanSample {
            us: 5,
            count: 1,
            ..Default::default()
        };
        a.merge(PlanSample {
            us: 9,
            count: 2,
            text: "slow".into(),
            ..Default::default()
        });
        assert_eq!((a.us, a.count, a.text.as_str()), (9, 3, "slow"));
    }
}
