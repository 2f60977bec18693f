//! Per-session patterns found while streaming a log: N+1 bursts (one normalized
//! query executed many times in a row by one session, at a pace of at least
//! `min_count` per `window_ms`, usually right after a "parent" query) and the time
//! a session spends between the statements of an open transaction (time lost
//! outside the database). State is kept per live session and pruned as the log
//! moves on; the results are mergeable counts.

use super::Merge;
use crate::parse::entry::{LogEntry, Short};
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
        for (m, om) in [
            (&mut self.parents, o.parents),
            (&mut self.users, o.users),
            (&mut self.dbs, o.dbs),
            (&mut self.apps, o.apps),
        ] {
            for (k, v) in om {
                *m.entry(k).or_default() += v;
            }
        }
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
}

impl Merge for TxGaps {
    fn merge(&mut self, o: Self) {
        self.transactions += o.transactions;
        self.statements += o.statements;
        self.gap_us += o.gap_us;
        self.long_gaps += o.long_gaps;
        self.long_gap_us += o.long_gap_us;
        self.skipped += o.skipped;
        if o.max_gap_us > self.max_gap_us
            || (o.max_gap_us == self.max_gap_us
                && o.max_gap_at < self.max_gap_at
                && o.max_gap_at.is_some())
        {
            self.max_gap_us = o.max_gap_us;
            self.max_gap_at = o.max_gap_at;
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
        for (k, v) in o.by_query {
            match self.by_query.get_mut(&k) {
                Some(x) => x.merge(v),
                None => {
                    self.by_query.insert(k, v);
                }
            }
        }
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
            sessions: Default::default(),
            seen: 0,
        }
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
                o.total_us += us;
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
        // timestamps without milliseconds (%t, syslog) cannot time a pause
        let precise = s.tx_last_end.is_some_and(|p| p % 1000 != 0) || start % 1000 != 0;
        let consecutive = consecutive && precise;
        if !consecutive && s.tx_last_end.is_some() {
            out.tx.skipped += 1;
        }
        if let Some(prev) = s.tx_last_end.filter(|_| consecutive) {
            let gap_us = ((start - prev).max(0) as u64) * 1000;
            let t = &mut out.tx;
            t.statements += 1;
            t.gap_us += gap_us;
            if gap_us as i64 >= opts.tx_gap_ms * 1000 {
                t.long_gaps += 1;
                t.long_gap_us += gap_us;
            }
            if gap_us > t.max_gap_us {
                t.max_gap_us = gap_us;
                t.max_gap_at = Some((file.to_string(), e.line));
            }
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
mod tests {
    use super::*;
    use crate::parse::timestamp::Timestamp;

    fn entry(pid: u32, ms: i64, line: u64) -> LogEntry {
        LogEntry {
            ts: Some(Timestamp(ms)),
            pid: Some(pid),
            session_id: None,
            user: Some("app".into()),
            db: Some("shop".into()),
            app: None,
            client: None,
            level: None,
            sqlstate: None,
            query_id: None,
            session_line: None,
            message: String::new(),
            detail: None,
            hint: None,
            context: None,
            statement: None,
            query: None,
            line,
            lines: 1,
        }
    }

    fn feed(t: &mut SessionTracker, out: &mut Bursts, pid: u32, ms: i64, key: &str, v: u64) {
        t.observe(
            out,
            "f",
            &entry(pid, ms, ms as u64),
            QueryKey::new(key),
            v,
            1000,
        );
    }

    /// One execution of `key` by `e`'s session, 1 ms long.
    fn run(t: &mut SessionTracker, out: &mut Bursts, e: &LogEntry, key: &str) {
        t.observe(out, "f", e, QueryKey::new(key), 0, 1000);
    }

    #[test]
    fn a_parent_then_many_children_is_a_burst() {
        let mut t = SessionTracker::new(BurstOptions::default());
        let mut out = Bursts::default();
        for page in 0..3 {
            // pages follow each other closely: the parent ending a burst splits them
            let base = page * 100;
            feed(
                &mut t,
                &mut out,
                7,
                base,
                "select * from orders where customer_id = $1",
                0,
            );
            for i in 0..12 {
                feed(
                    &mut t,
                    &mut out,
                    7,
                    base + 5 + i * 3,
                    "select * from items where order_id = $1",
                    i as u64,
                );
            }
            // another session interleaves and does not break the burst
            feed(&mut t, &mut out, 8, base + 7, "select 1", 0);
        }
        t.finish(&mut out, "f");
        let b = &out.by_query["select * from items where order_id = $1"];
        assert_eq!((b.bursts, b.executions, b.max_per_burst), (3, 36, 12));
        assert_eq!(b.identical_bursts, 0);
        assert_eq!(b.parents["select * from orders where customer_id = $1"], 3);
        assert_eq!(b.example.as_ref().unwrap().executions, 12);
        assert_eq!(out.tracked, 3 * 14);
    }

    #[test]
    fn a_parent_recurring_after_leaving_the_recent_statements_is_still_recognized() {
        let mut t = SessionTracker::new(BurstOptions::default());
        let mut out = Bursts::default();
        let parent = "select * from orders where customer_id = $1";
        let child = "select * from items where order_id = $1";
        feed(&mut t, &mut out, 7, 0, parent, 0);
        // slow enough that the parent's own run is over when it comes back,
        // fast enough to be a burst
        for i in 1..=12 {
            feed(&mut t, &mut out, 7, i * 100, child, i as u64);
        }
        // four other statements push the parent out of the session's recent
        // ones: only the child's run still remembers it
        for (i, other) in ["select 1", "select 2", "select 3", "select 4"]
            .into_iter()
            .enumerate()
        {
            feed(&mut t, &mut out, 7, 1201 + i as i64, other, 0);
        }
        feed(&mut t, &mut out, 7, 1205, parent, 1);
        for i in 0..12 {
            feed(&mut t, &mut out, 7, 1210 + i * 20, child, 100 + i as u64);
        }
        t.finish(&mut out, "f");
        let b = &out.by_query[child];
        assert_eq!((b.bursts, b.executions, b.max_per_burst), (2, 24, 12));
        assert_eq!(b.parents[parent], 2);
    }

    #[test]
    fn sessions_without_a_pid_are_told_apart_by_their_session_id() {
        let mut t = SessionTracker::new(BurstOptions::default());
        let mut out = Bursts::default();
        let child = "select * from items where order_id = $1";
        for i in 0..12 {
            // two sessions run the same query, interleaved: two bursts of 12
            for sid in ["6500a1b2.1f", "6500a1b2.20"] {
                let mut e = entry(0, i * 3, i as u64);
                e.pid = None;
                e.session_id = Some(sid.into());
                t.observe(&mut out, "f", &e, QueryKey::new(child), i as u64, 1000);
            }
        }
        t.finish(&mut out, "f");
        assert_eq!(out.tracked, 24);
        let b = &out.by_query[child];
        assert_eq!((b.bursts, b.executions, b.max_per_burst), (2, 24, 12));
    }

    #[test]
    fn sibling_per_row_queries_share_the_parent() {
        let mut t = SessionTracker::new(BurstOptions::default());
        let mut out = Bursts::default();
        for page in 0..2 {
            let base = page * 200;
            feed(
                &mut t,
                &mut out,
                9,
                base,
                "select * from customers where id = $1",
                0,
            );
            for i in 0..15 {
                feed(
                    &mut t,
                    &mut out,
                    9,
                    base + 1 + i * 2,
                    "select * from orders where customer_id = $1",
                    i as u64,
                );
                feed(
                    &mut t,
                    &mut out,
                    9,
                    base + 2 + i * 2,
                    "select * from shipments where customer_id = $1",
                    i as u64,
                );
            }
        }
        t.finish(&mut out, "f");
        for child in [
            "select * from orders where customer_id = $1",
            "select * from shipments where customer_id = $1",
        ] {
            let b = &out.by_query[child];
            assert_eq!((b.bursts, b.executions), (2, 30), "{child}");
            assert_eq!(
                b.parents["select * from customers where id = $1"], 2,
                "{child}"
            );
        }
    }

    #[test]
    fn a_repeating_cycle_of_statements_is_not_a_burst() {
        let mut t = SessionTracker::new(BurstOptions::default());
        let mut out = Bursts::default();
        // pgbench-like: begin, select, update, end, over and over
        let cycle = [
            "begin",
            "select a from t where id = $1",
            "update t set a = $1 where id = $2",
            "end",
        ];
        for i in 0..60 {
            feed(
                &mut t,
                &mut out,
                4,
                i * 2,
                cycle[(i % 4) as usize],
                i as u64,
            );
        }
        t.finish(&mut out, "f");
        assert!(out.by_query.is_empty(), "{:?}", out.by_query.keys());
    }

    #[test]
    fn slow_repetition_and_small_runs_are_not_bursts() {
        let mut t = SessionTracker::new(BurstOptions::default());
        let mut out = Bursts::default();
        // polling: every 0.5 s for a minute
        for i in 0..120 {
            feed(
                &mut t,
                &mut out,
                1,
                i * 500,
                "select * from jobs where id = $1",
                i as u64,
            );
        }
        // 9 fast ones: under the count
        for i in 0..9 {
            feed(
                &mut t,
                &mut out,
                2,
                i,
                "select * from x where id = $1",
                i as u64,
            );
        }
        t.finish(&mut out, "f");
        assert!(out.by_query.is_empty(), "{:?}", out.by_query.keys());
    }

    #[test]
    fn identical_repeats_and_sessions_ending_close_bursts() {
        let mut t = SessionTracker::new(BurstOptions::default());
        let mut out = Bursts::default();
        for i in 0..10 {
            feed(&mut t, &mut out, 3, i, "select now()", 5);
            feed(&mut t, &mut out, 3, i, "begin", 5);
        }
        t.end_session(&mut out, "f", 3);
        assert_eq!(out.by_query["select now()"].identical_bursts, 1);
        let mut noid = entry(0, 0, 1);
        noid.pid = None;
        t.observe(&mut out, "f", &noid, QueryKey::new("select 1"), 0, 10);
        assert_eq!(out.untracked, 1);
    }

    #[test]
    fn pauses_inside_transactions_are_measured() {
        let mut t = SessionTracker::new(BurstOptions::default());
        let mut out = Bursts::default();
        // begin at 0 (1 ms), update ends at 1010 after 1 ms: a 1008 ms pause; commit 1 ms later
        run(&mut t, &mut out, &entry(5, 1, 1), "begin");
        run(&mut t, &mut out, &entry(5, 1010, 2), "update t set a = $1");
        run(&mut t, &mut out, &entry(5, 1012, 3), "commit");
        // outside a transaction: not counted
        run(&mut t, &mut out, &entry(5, 5000, 4), "select 1");
        let x = &out.tx;
        assert_eq!((x.transactions, x.statements, x.long_gaps), (1, 2, 1));
        assert_eq!(x.max_gap_us, 1_008_000);
        assert_eq!(x.gap_us, 1_008_000 + 1000);
        assert_eq!(x.max_gap_at, Some(("f".into(), 2)));
    }

    #[test]
    fn no_pause_is_measured_across_missing_session_lines() {
        let mut t = SessionTracker::new(BurstOptions::default());
        let mut out = Bursts::default();
        let at = |ms: i64, l: u64| {
            let mut e = entry(6, ms, l);
            e.session_line = Some(l);
            e
        };
        run(&mut t, &mut out, &at(1, 10), "begin");
        // lines 11..39 are not in this (trimmed) log: the 5 s are not a pause
        run(&mut t, &mut out, &at(5000, 40), "update t set a = $1");
        // parse, bind and DETAIL lines in between are fine
        run(&mut t, &mut out, &at(5300, 45), "commit");
        let x = &out.tx;
        assert_eq!((x.statements, x.long_gaps, x.skipped), (1, 1, 1));
        assert_eq!(x.max_gap_us, 299_000);
    }

    #[test]
    fn merge_is_order_independent() {
        let mk = |n: u64, ts: i64| {
            let mut b = Bursts::default();
            b.by_query.insert(
                "q".into(),
                BurstStats {
                    bursts: 1,
                    executions: n,
                    example: Some(BurstExample {
                        file: "f".into(),
                        ts,
                        executions: n,
                        ..Default::default()
                    }),
                    ..Default::default()
                },
            );
            b
        };
        let (mut x, mut y) = (mk(12, 5), mk(12, 3));
        x.merge(mk(12, 3));
        y.merge(mk(12, 5));
        assert_eq!(x, y);
        assert_eq!(x.by_query["q"].example.as_ref().unwrap().ts, 3);
    }
}
