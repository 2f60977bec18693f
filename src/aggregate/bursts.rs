//! Per-session patterns found while streaming a log: N+1 bursts (one normalized
//! query executed many times in a row by one session, at a pace of at least
//! `min_count` per `window_ms`, usually right after a "parent" query) and the time
//! a session spends between the statements of an open transaction (time lost
//! outside the database). State is kept per live session and pruned as the log
//! moves on; the results are mergeable counts.

use crate::merge::Merge;
use crate::parse::entry::{LogEntry, Short};
use crate::parse::timestamp::Clock;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Thresholds of the session patterns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BurstOptions {
    /// Executions of one query that make a burst (default 10).
    pub min_count: u64,
    /// A burst's pace: at least `min_count` executions per this many ms (default 1 s);
    /// the same query again after more than this ends the burst.
    pub window_ms: i64,
    /// A pause between two statements of one transaction counted as time lost (ms).
    pub tx_gap_ms: i64,
}

impl Default for BurstOptions {
    fn default() -> Self {
        BurstOptions {
            min_count: 10,
            window_ms: 1000,
            tx_gap_ms: 100,
        }
    }
}

/// Where a burst was seen, as evidence.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BurstExample {
    pub file: String,
    /// Line of the burst's first execution.
    pub line: u64,
    /// Time of its first execution (ms since the epoch).
    pub ts: i64,
    pub executions: u64,
    pub duration_ms: i64,
    pub total_us: u64,
    /// Normalized key of the query run just before the burst in that session.
    pub parent: Option<String>,
}

impl BurstExample {
    fn better(&self, o: &BurstExample) -> bool {
        (
            o.executions,
            std::cmp::Reverse(o.ts),
            std::cmp::Reverse(&o.file),
            std::cmp::Reverse(o.line),
        ) > (
            self.executions,
            std::cmp::Reverse(self.ts),
            std::cmp::Reverse(&self.file),
            std::cmp::Reverse(self.line),
        )
    }
}

/// The bursts of one normalized (child) query.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BurstStats {
    pub bursts: u64,
    /// Bursts whose executions all had the same text and parameters (a repeated
    /// identical query, not an N+1).
    pub identical_bursts: u64,
    pub executions: u64,
    pub total_us: u64,
    pub max_per_burst: u64,
    /// Queries run just before the bursts, by normalized key.
    pub parents: BTreeMap<String, u64>,
    pub users: BTreeMap<String, u64>,
    pub dbs: BTreeMap<String, u64>,
    pub apps: BTreeMap<String, u64>,
    /// The largest burst.
    pub example: Option<BurstExample>,
}

impl Merge for BurstStats {
    fn merge(&mut self, o: Self) {
        self.bursts += o.bursts;
        self.identical_bursts += o.identical_bursts;
        self.executions += o.executions;
        self.total_us += o.total_us;
        self.max_per_burst = self.max_per_burst.max(o.max_per_burst);
        Merge::merge(&mut self.parents, o.parents);
        Merge::merge(&mut self.users, o.users);
        Merge::merge(&mut self.dbs, o.dbs);
        Merge::merge(&mut self.apps, o.apps);
        self.example = match (self.example.take(), o.example) {
            (Some(a), Some(b)) => Some(if a.better(&b) { b } else { a }),
            (a, b) => a.or(b),
        };
    }
}

/// Pauses inside explicit transactions (`BEGIN` ... `COMMIT`/`ROLLBACK`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxGaps {
    /// Explicit transactions seen from their start.
    pub transactions: u64,
    /// Statements inside them (the closing one included).
    pub statements: u64,
    /// Time between the end of one statement and the start of the next, summed.
    pub gap_us: u64,
    /// Pauses of `tx_gap_ms` or more, and their sum.
    pub long_gaps: u64,
    pub long_gap_us: u64,
    pub max_gap_us: u64,
    /// Where the longest pause ended: (file, line).
    pub max_gap_at: Option<(String, u64)>,
    /// Statements whose session line number (`%l`) does not follow the previous
    /// one: something in between was not logged, no pause is measured there.
    pub skipped: u64,
    /// Of the pauses, those timed by a whole-second clock (`%t`, BSD syslog),
    /// each to within a second either way, and their sum.
    pub approximate_gaps: u64,
    pub approximate_gap_us: u64,
    /// The longest pause was timed by a whole-second clock.
    pub max_gap_approximate: bool,
    /// Statements whose gap a whole-second clock cannot time: the two
    /// timestamps are under [`SECONDS_APART_MS`] apart, or the gap less the
    /// clock's second is under `tx_gap_ms`; not in `statements`, never a pause.
    pub unmeasurable: u64,
}

/// How far apart two whole-second timestamps must be for the gap between
/// them to be measured: one second apart may be 1 ms or 1,999 ms.
pub const SECONDS_APART_MS: i64 = 2000;

impl Merge for TxGaps {
    fn merge(&mut self, o: Self) {
        self.transactions += o.transactions;
        self.statements += o.statements;
        self.gap_us += o.gap_us;
        self.long_gaps += o.long_gaps;
        self.long_gap_us += o.long_gap_us;
        self.skipped += o.skipped;
        self.approximate_gaps += o.approximate_gaps;
        self.approximate_gap_us += o.approximate_gap_us;
        self.unmeasurable += o.unmeasurable;
        if o.max_gap_us > self.max_gap_us
            || (o.max_gap_us == self.max_gap_us
                && o.max_gap_at < self.max_gap_at
                && o.max_gap_at.is_some())
        {
            self.max_gap_us = o.max_gap_us;
            self.max_gap_at = o.max_gap_at;
            self.max_gap_approximate = o.max_gap_approximate;
        }
    }
}

/// Everything the session tracker found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bursts {
    /// Per child query (normalized key).
    pub by_query: BTreeMap<String, BurstStats>,
    /// Executions that could be placed in a session (a pid or session id, and a time).
    pub tracked: u64,
    /// Executions that could not (no `%p`/`%c` or no timestamp in the prefix).
    pub untracked: u64,
    pub tx: TxGaps,
}

impl Merge for Bursts {
    fn merge(&mut self, o: Self) {
        Merge::merge(&mut self.by_query, o.by_query);
        self.tracked += o.tracked;
        self.untracked += o.untracked;
        self.tx.merge(o.tx);
    }
}

/// A burst in progress.
#[derive(Debug, Clone)]
struct Open {
    start: i64,
    last: i64,
    count: u64,
    total_us: u64,
    first_variant: u64,
    varied: bool,
    /// The distinct statements run just before the run's first execution, most
    /// recent first, and how they recurred during the run: siblings (other
    /// per-row queries) recur about as often as the run's query, the parent
    /// once per page, a cycle's members every time.
    prev: Vec<Prev>,
    /// Other statements the session ran while the burst was open.
    others: u64,
    line: u64,
    user: Option<Short>,
    db: Option<Short>,
    app: Option<Short>,
}

/// A normalized query as the tracker holds it. Within a session, every place
/// that names one text (a run, a run's predecessors, the recent statements)
/// shares one allocation of it: [`Session::query`] looks the text up once per
/// execution, and every other comparison is of pointers, not of texts.
#[derive(Debug, Clone)]
struct Query {
    hash: u64,
    text: Arc<str>,
    word: Word,
}

/// What a statement's first word says about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Word {
    /// Opens an explicit transaction (`begin`, `start`).
    Begin,
    /// Ends one (`commit`, `rollback`, `end`, `abort`, `prepare transaction`).
    End,
    /// Other transaction control and session settings, which repeat by nature
    /// and are never a burst.
    Control,
    Other,
}

impl Word {
    fn of(key: &str) -> Word {
        let first = key.split([' ', ';', '(']).next().unwrap_or("");
        match first {
            "begin" | "start" => Word::Begin,
            "commit" | "rollback" | "end" | "abort" => Word::End,
            "prepare" if key.starts_with("prepare transaction") => Word::End,
            "savepoint" | "release" | "set" | "show" | "reset" | "discard" | "deallocate"
            | "prepare" | "listen" => Word::Control,
            _ => Word::Other,
        }
    }
}

impl Query {
    fn is(&self, hash: u64, text: &str) -> bool {
        self.hash == hash && &*self.text == text
    }

    /// The same text (both from one session: see [`Session::query`]).
    fn same(&self, o: &Query) -> bool {
        Arc::ptr_eq(&self.text, &o.text)
    }
}

/// A normalized query's key as the tracker is given it: its text and its
/// [`key_hash`](crate::normalize::key_hash), computed once with the
/// normalization.
#[derive(Debug, Clone, Copy)]
pub struct QueryKey<'a> {
    pub text: &'a str,
    pub hash: u64,
}

impl<'a> QueryKey<'a> {
    pub fn new(text: &'a str) -> Self {
        QueryKey {
            text,
            hash: crate::normalize::key_hash(text),
        }
    }
}

impl<'a> From<&'a crate::normalize::Normalized> for QueryKey<'a> {
    fn from(n: &'a crate::normalize::Normalized) -> Self {
        QueryKey {
            text: &n.key,
            hash: n.key_hash,
        }
    }
}

#[derive(Debug, Clone)]
struct Prev {
    key: Query,
    /// Times it ran again while the run was open.
    recurred: u64,
    /// Executions of the run since it last ran, and the most between two of its runs.
    since: u64,
    max_segment: u64,
}

/// A session, as the tracker keys it: its pid, else its session id (a pid in
/// decimal never reads as a session id, `hex.hex`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum SessionKey {
    Pid(u32),
    Id(Short),
}

impl SessionKey {
    fn of(e: &LogEntry) -> Option<SessionKey> {
        match (e.pid, &e.session_id) {
            (Some(p), _) => Some(SessionKey::Pid(p)),
            (None, Some(s)) if !s.is_empty() => Some(SessionKey::Id(s.clone())),
            _ => None,
        }
    }

    /// The order sessions are closed in when several end at once: by this
    /// text (the pid in decimal), so that the result does not depend on a map's order.
    fn name(&self) -> Short {
        match self {
            SessionKey::Pid(p) => compact_str::format_compact!("{p}"),
            SessionKey::Id(s) => s.clone(),
        }
    }
}

#[derive(Debug, Default)]
struct Session {
    /// The last few distinct statements, most recent first.
    recent: Vec<Query>,
    /// When the session last ran a statement (ms).
    last_seen: i64,
    /// Runs in progress, by query: a few at a time, scanned in place.
    open: Vec<(Query, Open)>,
    /// End (ms) of the last statement, while an explicit transaction is open.
    tx_last_end: Option<i64>,
    /// Session line number (`%l`) of the last statement.
    last_line: Option<u64>,
}

impl Session {
    /// The session's query of text `key` (hash `hash`): the one it already
    /// holds when it names that text anywhere, else a new one.
    fn query(&self, hash: u64, key: &str) -> Query {
        let held = self
            .open
            .iter()
            .flat_map(|(k, o)| std::iter::once(k).chain(o.prev.iter().map(|p| &p.key)))
            .chain(&self.recent)
            .find(|k| k.is(hash, key));
        match held {
            Some(k) => k.clone(),
            None => Query {
                hash,
                text: Arc::from(key),
                word: Word::of(key),
            },
        }
    }
}

/// Streams one file's executions, session by session.
#[derive(Debug, Default)]
pub struct SessionTracker {
    opts: BurstOptions,
    /// Whole-second timestamps (`%t`, BSD syslog): pauses are timed only
    /// when the clock can tell them (see [`TxGaps::unmeasurable`]).
    whole_seconds: bool,
    sessions: rustc_hash::FxHashMap<SessionKey, Session>,
    /// Executions observed, for the periodic sweep of idle sessions.
    seen: u64,
}

/// Distinct recent statements remembered per session (parent candidates).
const RECENT: usize = 4;
/// Idle sessions are swept every this many executions.
const SWEEP_EVERY: u64 = 4096;

/// A run's parent: the most recent statement before it that recurred at most
/// once per `min_count` executions of the run (once per page); statements that
/// recur more often are siblings or members of a repeating cycle.
fn parent_of(o: &Open, min_count: u64) -> Option<&Prev> {
    o.prev
        .iter()
        .find(|p| (p.recurred + 1) * min_count <= o.count)
}

/// A 64-bit hash of a statement text and its parameters: tells executions
/// apart (compared for equality only, never shown or stored). FxHash reads
/// eight bytes a step; a byte-at-a-time hash cost a quarter of a microsecond
/// per execution.
pub fn variant_hash(sql: &str, params: Option<&str>) -> u64 {
    use std::hash::Hasher;
    let mut h = rustc_hash::FxHasher::default();
    h.write(sql.as_bytes());
    h.write_u8(0);
    h.write(params.unwrap_or("").as_bytes());
    h.finish()
}

impl SessionTracker {
    pub fn new(opts: BurstOptions) -> Self {
        SessionTracker {
            opts,
            whole_seconds: false,
            sessions: Default::default(),
            seen: 0,
        }
    }

    /// The clock of the file's timestamps (milliseconds unless told).
    pub fn set_clock(&mut self, clock: Clock) {
        self.whole_seconds = clock == Clock::Seconds;
    }

    /// One execution of normalized query `key`, `us` long, with the text variant
    /// `variant` (see [`variant_hash`]).
    pub fn observe(
        &mut self,
        out: &mut Bursts,
        file: &str,
        e: &LogEntry,
        key: QueryKey<'_>,
        variant: u64,
        us: u64,
    ) {
        let (key, key_hash) = (key.text, key.hash);
        let (Some(sk), Some(ts)) = (SessionKey::of(e), e.ts) else {
            out.untracked += 1;
            return;
        };
        out.tracked += 1;
        let end = ts.0;
        let start = end - (us / 1000) as i64;
        let opts = self.opts;
        self.seen += 1;
        if self.seen.is_multiple_of(SWEEP_EVERY) {
            self.sweep(out, file, end);
        }
        let s = self.sessions.entry(sk).or_default();
        s.last_seen = s.last_seen.max(end);
        let q = s.query(key_hash, key);
        // runs whose query has not come back in time are over
        if s.open
            .iter()
            .any(|(k, o)| !k.same(&q) && end - o.last > opts.window_ms)
        {
            let (mut ended, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut s.open)
                .into_iter()
                .partition(|(k, o)| !k.same(&q) && end - o.last > opts.window_ms);
            s.open = kept;
            ended.sort_by(|a, b| a.0.text.cmp(&b.0.text));
            for (k, o) in ended {
                close(out, opts, file, &k.text, o);
            }
        }
        let mut at = None;
        for (i, (k, o)) in s.open.iter_mut().enumerate() {
            if k.same(&q) {
                at = Some(i);
                continue;
            }
            if let Some(p) = o.prev.iter_mut().find(|p| p.key.same(&q)) {
                p.recurred += 1;
                p.since = 0;
            }
            o.others += 1;
        }
        match at.map(|i| &mut s.open[i].1) {
            // transaction control and session settings repeat by nature
            _ if q.word != Word::Other => {}
            Some(o) if end - o.last <= opts.window_ms => {
                o.count += 1;
                o.total_us = o.total_us.saturating_add(us);
                o.last = end;
                o.varied |= variant != o.first_variant;
                for p in &mut o.prev {
                    p.since += 1;
                    p.max_segment = p.max_segment.max(p.since);
                }
            }
            _ => {
                if let Some(i) = at {
                    let (_, o) = s.open.remove(i);
                    close(out, opts, file, key, o);
                }
                let prev = s
                    .recent
                    .iter()
                    .filter(|p| !p.same(&q))
                    .map(|p| Prev {
                        key: p.clone(),
                        recurred: 0,
                        since: 1,
                        max_segment: 1,
                    })
                    .collect();
                s.open.push((
                    q.clone(),
                    Open {
                        start: end,
                        last: end,
                        count: 1,
                        total_us: us,
                        first_variant: variant,
                        varied: false,
                        prev,
                        others: 0,
                        line: e.line,
                        user: e.user.clone(),
                        db: e.db.clone(),
                        app: e.app.clone(),
                    },
                ));
            }
        }
        // explicit transactions
        // with %l, a pause is measured only between nearby lines of the session
        // (an execute follows its parse, bind and DETAIL lines): lines missing in
        // between (a trimmed or grepped log) could hold statements, and the
        // pause would not be time spent outside the database
        let consecutive = match (s.last_line, e.session_line) {
            (Some(a), Some(b)) => b > a && b <= a + 8,
            _ => true,
        };
        if !consecutive && s.tx_last_end.is_some() {
            out.tx.skipped += 1;
        }
        if let Some(prev) = s.tx_last_end.filter(|_| consecutive) {
            tx_gap(
                &mut out.tx,
                opts,
                self.whole_seconds,
                (prev, start, end),
                (file, e.line),
            );
        }
        match q.word {
            Word::Begin => {
                out.tx.transactions += 1;
                s.tx_last_end = Some(end);
            }
            Word::End => s.tx_last_end = None,
            _ if s.tx_last_end.is_some() => s.tx_last_end = Some(end),
            _ => {}
        }
        if !s.recent.first().is_some_and(|k| k.same(&q)) {
            s.recent.retain(|k| !k.same(&q));
            s.recent.insert(0, q);
            s.recent.truncate(RECENT);
        }
        s.last_line = e.session_line;
    }

    /// A session ended (disconnection, or a new process reusing its pid).
    pub fn end_session(&mut self, out: &mut Bursts, file: &str, pid: u32) {
        if let Some(s) = self.sessions.remove(&SessionKey::Pid(pid)) {
            self.close_all(out, file, s);
        }
    }

    fn close_all(&self, out: &mut Bursts, file: &str, s: Session) {
        let mut open = s.open;
        open.sort_by(|a, b| a.0.text.cmp(&b.0.text));
        for (k, o) in open {
            close(out, self.opts, file, &k.text, o);
        }
    }

    /// Sessions with nothing in progress and silent for a while are forgotten
    /// (their pid may come back as a new session): memory stays bounded by the
    /// sessions active at once, not by all sessions of the log.
    fn sweep(&mut self, out: &mut Bursts, file: &str, now: i64) {
        let idle = self.opts.window_ms * 10;
        let mut gone: Vec<(Short, SessionKey)> = self
            .sessions
            .iter()
            .filter(|(_, s)| s.tx_last_end.is_none() && now - s.last_seen > idle)
            .map(|(k, _)| (k.name(), k.clone()))
            .collect();
        gone.sort_by(|a, b| a.0.cmp(&b.0));
        for (_, k) in gone {
            if let Some(s) = self.sessions.remove(&k) {
                self.close_all(out, file, s);
            }
        }
    }

    /// End of the file: every burst in progress is closed.
    pub fn finish(mut self, out: &mut Bursts, file: &str) {
        let mut sessions: Vec<(Short, Session)> =
            self.sessions.drain().map(|(k, s)| (k.name(), s)).collect();
        sessions.sort_by(|a, b| a.0.cmp(&b.0));
        for (_, s) in sessions {
            self.close_all(out, file, s);
        }
    }
}

/// Times the gap before a statement of an open transaction: `prev` is the
/// previous statement's end, `start` and `end` this one's (ms), `at` where it
/// was logged. On a whole-second clock a timestamp may be up to a second
/// behind the instant it stands for: the gap is counted, as approximate, only
/// when the two timestamps are [`SECONDS_APART_MS`] apart or more and the gap
/// less that second still reaches `tx_gap_ms` (so it is a pause whatever the
/// fractions were); any other gap is unmeasurable.
fn tx_gap(
    t: &mut TxGaps,
    opts: BurstOptions,
    whole_seconds: bool,
    (prev, start, end): (i64, i64, i64),
    (file, line): (&str, u64),
) {
    let gap_ms = (start - prev).max(0);
    if whole_seconds && (end - prev < SECONDS_APART_MS || gap_ms - 1000 < opts.tx_gap_ms) {
        t.unmeasurable += 1;
        return;
    }
    let gap_us = (gap_ms as u64) * 1000;
    t.statements += 1;
    t.gap_us += gap_us;
    if gap_ms >= opts.tx_gap_ms {
        t.long_gaps += 1;
        t.long_gap_us += gap_us;
        if whole_seconds {
            t.approximate_gaps += 1;
            t.approximate_gap_us += gap_us;
        }
    }
    if gap_us > t.max_gap_us {
        t.max_gap_us = gap_us;
        t.max_gap_at = Some((file.to_string(), line));
        t.max_gap_approximate = whole_seconds;
    }
}

/// Records a finished burst when it is one: `min_count` executions or more, at a
/// pace of at least `min_count` per window.
/// Records a finished run when it holds bursts: `min_count` executions or more
/// per burst (a burst per recurrence of the parent), at a pace of at least
/// `min_count` per window, back to back.
fn close(out: &mut Bursts, opts: BurstOptions, file: &str, key: &str, o: Open) {
    let span = o.last - o.start;
    // children come back to back (a few sibling per-row queries between them at
    // most); a run spread through other work is a loop of whole units, not N+1
    if o.others > 2 * o.count {
        return;
    }
    if o.count < opts.min_count
        || (span as i128) * (opts.min_count as i128) > (opts.window_ms as i128) * (o.count as i128)
    {
        return;
    }
    let parent = parent_of(&o, opts.min_count);
    let (bursts, max) = match parent {
        Some(p) => (p.recurred + 1, p.max_segment),
        None => (1, o.count),
    };
    let parent = parent.map(|p| p.key.text.to_string());
    let b = out.by_query.entry(key.to_string()).or_default();
    b.bursts += bursts;
    if !o.varied {
        b.identical_bursts += bursts;
    }
    b.executions += o.count;
    b.total_us += o.total_us;
    b.max_per_burst = b.max_per_burst.max(max);
    if let Some(p) = &parent {
        *b.parents.entry(p.clone()).or_default() += bursts;
    }
    for (m, v) in [
        (&mut b.users, &o.user),
        (&mut b.dbs, &o.db),
        (&mut b.apps, &o.app),
    ] {
        if let Some(v) = v {
            *m.entry(v.to_string()).or_default() += o.count;
        }
    }
    let ex = BurstExample {
        file: file.to_string(),
        line: o.line,
        ts: o.start,
        executions: max,
        duration_ms: span,
        total_us: o.total_us,
        parent,
    };
    if b.example.as_ref().is_none_or(|cur| cur.better(&ex)) {
        b.example = Some(ex);
    }
}

#[cfg(test)]
mod tests;
