//! Entries -> events: the one stream every later layer consumes.
//!
//! Pairs a `statement:` / `execute ...:` entry (log_statement) with the next bare
//! `duration:` entry of the same process (log_duration), so a statement is counted
//! once, timed. Every physical line ends up in exactly one event, which is how the
//! input coverage is counted. Events go to an [`EventSink`], each with what was
//! computed ahead from its statement's text, when anything was (see
//! [`Known`]).

use super::activity::{self, Autovacuum, CheckpointMsg, LockWait};
use super::entry::{Assembled, Known, LogEntry};
use super::message::{Message, Step, classify};
use super::plan::Plan;
use super::prefix::Level;
use super::timestamp::Timestamp;

/// A statement execution (timed) or a statement logged without a duration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryEvent {
    /// Metadata of the statement's entry; `ts` is the time the duration was
    /// logged. Its message is empty: the statement's text moved to `sql`.
    pub entry: Box<LogEntry>,
    /// `None` for a statement that never got its duration.
    pub duration_us: Option<u64>,
    pub step: Step,
    pub sql: String,
    /// Made of a statement entry and a later bare duration entry (two log entries).
    pub paired: bool,
}

/// Where events go. `ahead` is what was computed ahead from exactly the
/// event's SQL text (see [`Known`]), for a [`Event::Query`] or an
/// [`Event::StepTiming`]; any `FnMut(Event)` is a sink of formats that compute
/// nothing ahead.
pub trait EventSink<A> {
    fn event(&mut self, e: Event, ahead: Option<A>);

    /// An event with nothing computed ahead.
    fn emit(&mut self, e: Event) {
        self.event(e, None);
    }
}

impl<F: FnMut(Event)> EventSink<()> for F {
    fn event(&mut self, e: Event, _: Option<()>) {
        self(e);
    }
}

/// The last `len` bytes of `entry`'s message (a statement's SQL), taken out of
/// it: the message's own buffer with the text before them removed, so the SQL
/// is not copied into a new allocation. The entry's message is left empty (the
/// event's `sql` is what follows the message's `statement:` or `execute ...:`).
fn take_sql(entry: &mut LogEntry, len: usize) -> String {
    let mut message = std::mem::take(&mut entry.message);
    message.drain(..message.len() - len);
    message
}

/// One event; each carries the physical lines it accounts for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Query(Box<QueryEvent>),
    /// Parse or bind time of the extended protocol (not an execution).
    StepTiming {
        step: Step,
        us: u64,
        sql: String,
        lines: u64,
    },
    /// A bare `duration:` with no statement of the same process to pair with.
    UnattributedDuration {
        us: u64,
        lines: u64,
    },
    /// A connection attempt (`connection received`).
    ConnectionReceived {
        host: String,
        lines: u64,
    },
    /// A session was authorized (`log_connections`).
    Connection {
        user: String,
        db: String,
        app: Option<String>,
        client: Option<String>,
        pid: Option<u32>,
        ts: Option<Timestamp>,
        lines: u64,
    },
    /// A session ended (`log_disconnections`).
    Disconnection {
        session_ms: u64,
        pid: Option<u32>,
        ts: Option<Timestamp>,
        lines: u64,
    },
    /// A lock wait (`log_lock_waits`), with the statement that waited.
    LockWait {
        wait: LockWait,
        /// The object without per-event ids, for grouping.
        object_kind: String,
        holders: Vec<u32>,
        statement: Option<String>,
        ts: Option<Timestamp>,
        lines: u64,
    },
    /// `deadlock detected`: the cycle (DETAIL) and the victim's statement.
    Deadlock {
        detail: Option<String>,
        statement: Option<String>,
        /// The line's SQLSTATE (`40P01`), or `40P01*` when inferred.
        sqlstate: String,
        ts: Option<Timestamp>,
        lines: u64,
    },
    /// A temporary file and the statement that wrote it (when known).
    TempFile {
        bytes: u64,
        statement: Option<String>,
        ts: Option<Timestamp>,
        lines: u64,
    },
    /// An ERROR, FATAL or PANIC (deadlocks apart), grouped by normalized message.
    Error {
        level: Level,
        sqlstate: Option<String>,
        /// The message with values replaced.
        message: String,
        statement: Option<String>,
        /// `statement_timeout`, `lock_timeout`, `user_request`, ... for cancellations.
        cancel: Option<&'static str>,
        /// A failed login: the user named (if any) and the client host (if known).
        auth_failure: Option<(Option<String>, Option<String>)>,
        /// The process: a FATAL ends its session.
        pid: Option<u32>,
        ts: Option<Timestamp>,
        lines: u64,
    },
    Checkpoint {
        msg: CheckpointMsg,
        ts: Option<Timestamp>,
        lines: u64,
    },
    Autovacuum {
        run: Autovacuum,
        ts: Option<Timestamp>,
        lines: u64,
    },
    /// An auto_explain plan (not an execution).
    Plan {
        plan: Plan,
        ts: Option<Timestamp>,
        lines: u64,
    },
    /// A pgBouncer line about the pool.
    Pooler(super::pgbouncer::PoolerEvent),
    /// A recognized entry not analyzed yet.
    Ignored {
        category: &'static str,
        lines: u64,
    },
    /// An entry of `lines` lines from `line` on that pgsift refuses to count
    /// (an impossible duration), with why and its message.
    Rejected {
        line: u64,
        reason: &'static str,
        text: String,
        lines: u64,
    },
    /// `lines` physical lines from `line` on that are not understood; `text` is the first.
    Unrecognized {
        line: u64,
        text: String,
        lines: u64,
    },
    Orphan {
        lines: u64,
    },
    Blank,
    /// An entry a filter of the run left out (`--since`, `--database`, ...),
    /// with why ([`super::filter::EntryFilter::verdict`]).
    Filtered {
        reason: &'static str,
        lines: u64,
    },
}

/// Turns assembled entries into events, pairing statements with their
/// durations; `A` is what is computed ahead (see [`Known`]).
pub struct EventBuilder<A = ()> {
    /// Per process, its statement waiting for a duration, with what was
    /// computed ahead from its text.
    pending: rustc_hash::FxHashMap<u64, (QueryEvent, Option<A>)>,
    /// The host of each process's `connection received`, for failed logins.
    received_from: rustc_hash::FxHashMap<u64, String>,
    /// A bare `duration:` was seen: log_duration is on, so every statement is
    /// logged and a process's pending statement is the one it is running.
    pending_is_current: bool,
    /// Reads a localized server's messages back into English.
    translator: super::i18n::Translator,
    /// The run's filter, if it has one, and the zone of the log's own
    /// timestamps (minutes east of UTC) its wall-clock times are read in.
    filter: Option<(std::sync::Arc<super::filter::EntryFilter>, i32)>,
}

impl<A> Default for EventBuilder<A> {
    fn default() -> Self {
        EventBuilder {
            pending: Default::default(),
            received_from: Default::default(),
            pending_is_current: false,
            translator: Default::default(),
            filter: None,
        }
    }
}

/// The event of an entry pgsift refuses for `reason`.
fn rejected(entry: LogEntry, reason: &'static str) -> Event {
    Event::Rejected {
        line: entry.line,
        reason,
        lines: entry.lines,
        text: entry.message,
    }
}

fn pid_key(e: &LogEntry) -> u64 {
    super::entry::process_key(e.pid, e.session_id.as_deref())
}

/// A statement handed on: with what was computed ahead from its text.
fn query<A>(out: &mut impl EventSink<A>, (q, ahead): (QueryEvent, Option<A>)) {
    out.event(Event::Query(Box::new(q)), ahead);
}

impl<A> EventBuilder<A> {
    /// Leaves out the entries `filter` does not keep (an empty filter keeps all).
    pub fn set_filter(&mut self, filter: std::sync::Arc<super::filter::EntryFilter>) {
        self.filter = (!filter.is_empty()).then_some((filter, 0));
    }

    /// The zone label the log's timestamps carry now (`CET`, `+02`): the zone
    /// a filter's wall-clock times are read in.
    pub fn set_zone(&mut self, label: &str) {
        if let Some((_, offset)) = self.filter.as_mut() {
            *offset = super::timestamp::zone_offset(label).unwrap_or(0);
        }
    }

    /// Handles one assembled item.
    pub fn push(&mut self, a: Assembled<A>, out: &mut impl EventSink<A>) {
        if let (Assembled::Entry(e, _), Some((f, offset))) = (&a, &self.filter)
            && let Some(reason) = f.verdict(e, *offset)
        {
            return out.emit(Event::Filtered {
                reason,
                lines: e.lines,
            });
        }
        let (mut entry, class, ahead) = match a {
            Assembled::Entry(e, Some(Known { class, ahead })) => (e, Some(class), ahead),
            Assembled::Entry(e, None) => (e, None, None),
            Assembled::Unrecognized { line, text } => {
                return out.emit(Event::Unrecognized {
                    line,
                    text,
                    lines: 1,
                });
            }
            Assembled::Orphan { lines } => return out.emit(Event::Orphan { lines }),
            Assembled::Blank => return out.emit(Event::Blank),
        };
        // a localized server's message (lc_messages): in English from here on
        if class.is_none() {
            if let Some(en) = self.translator.english(&entry.message) {
                entry.message = en;
            }
            if let Some(en) = entry
                .detail
                .as_deref()
                .and_then(|d| self.translator.english(d))
            {
                entry.detail = Some(en);
            }
        }
        let key = pid_key(&entry);
        let lines = entry.lines;
        // A statement that failed gets no duration: the error closes it, so it does
        // not pair with the process's next bare duration (another statement's).
        if matches!(
            entry.level,
            Some(Level::Error | Level::Fatal | Level::Panic)
        ) && let Some(p) = self.pending.remove(&key)
        {
            query(out, p);
        }
        let msg = match class {
            Some(c) => c.message(&entry.message),
            None => classify(&entry.message),
        };
        match msg {
            Message::Timed { us, step, sql } => {
                if let Some(p) = self.pending.remove(&key) {
                    query(out, p);
                }
                let len = sql.len();
                let sql = take_sql(&mut entry, len);
                match step {
                    Step::Statement | Step::Execute => {
                        let q = QueryEvent {
                            entry,
                            duration_us: Some(us),
                            step,
                            sql,
                            paired: false,
                        };
                        query(out, (q, ahead))
                    }
                    Step::Parse | Step::Bind => out.event(
                        Event::StepTiming {
                            step,
                            us,
                            sql,
                            lines,
                        },
                        ahead,
                    ),
                }
            }
            Message::BareDuration { us } => {
                self.pending_is_current = true;
                self.bare_duration(key, us, entry, lines, out)
            }
            Message::Statement { step, sql } => {
                let len = sql.len();
                let sql = take_sql(&mut entry, len);
                let ev = QueryEvent {
                    entry,
                    duration_us: None,
                    step,
                    sql,
                    paired: false,
                };
                if let Some(p) = self.pending.insert(key, (ev, ahead)) {
                    query(out, p);
                }
            }
            Message::ConnectionAuthorized { user, db, app } => {
                let client = entry
                    .client
                    .as_deref()
                    .map(str::to_string)
                    .or_else(|| self.received_from.get(&key).cloned());
                out.emit(Event::Connection {
                    user: user.to_string(),
                    db: db.to_string(),
                    app: app.map(str::to_string),
                    client,
                    pid: entry.pid,
                    ts: entry.ts,
                    lines,
                })
            }
            Message::Disconnection { session_ms } => {
                self.received_from.remove(&key);
                out.emit(Event::Disconnection {
                    session_ms,
                    pid: entry.pid,
                    ts: entry.ts,
                    lines,
                })
            }
            Message::Plan { us, body } => match super::plan::parse(us, body) {
                Some(plan) => out.emit(Event::Plan {
                    plan,
                    ts: entry.ts,
                    lines,
                }),
                None => out.emit(Event::Ignored {
                    category: "auto_explain plan without query text",
                    lines,
                }),
            },
            Message::Rejected(reason) => out.emit(rejected(*entry, reason)),
            Message::Other(_) if self.activity(&entry, key, out) => {}
            Message::Other(category) => {
                let category = match (category, entry.level) {
                    ("other message", Some(Level::Error)) => "error",
                    ("other message", Some(Level::Fatal | Level::Panic)) => "fatal error",
                    ("other message", Some(Level::Warning)) => "warning",
                    (c, _) => c,
                };
                out.emit(Event::Ignored { category, lines })
            }
        }
    }

    /// A bare `duration:` closes the process's pending statement, if any.
    fn bare_duration(
        &mut self,
        key: u64,
        us: u64,
        entry: Box<LogEntry>,
        lines: u64,
        out: &mut impl EventSink<A>,
    ) {
        match self.pending.remove(&key) {
            Some((mut p, ahead)) => {
                p.duration_us = Some(us);
                p.entry.lines += lines;
                p.entry.ts = entry.ts.or(p.entry.ts);
                p.paired = true;
                query(out, (p, ahead));
            }
            None => out.emit(Event::UnattributedDuration { us, lines }),
        }
    }

    /// The statement an activity entry is about: its STATEMENT line, or else the
    /// statement its process is running, when log_duration shows that every
    /// statement is logged (under log_statement = mod or ddl, the last logged
    /// statement may be long finished, so nothing is claimed).
    fn statement_of(&self, entry: &LogEntry, key: u64) -> Option<String> {
        entry.statement.clone().or_else(|| {
            self.pending_is_current
                .then(|| self.pending.get(&key).map(|p| p.0.sql.clone()))
                .flatten()
        })
    }

    /// Server activity: lock waits, temp files, errors, checkpoints, autovacuum,
    /// connection attempts. Returns whether the entry was one.
    fn activity(&mut self, entry: &LogEntry, key: u64, out: &mut impl EventSink<A>) -> bool {
        let (ts, lines, msg) = (entry.ts, entry.lines, entry.message.as_str());
        let is_error = matches!(
            entry.level,
            Some(Level::Error | Level::Fatal | Level::Panic)
        );
        if is_error && msg.starts_with("deadlock detected") {
            out.emit(Event::Deadlock {
                detail: entry.detail.clone(),
                statement: entry.statement.clone(),
                sqlstate: entry.sqlstate.as_deref().unwrap_or("40P01*").to_string(),
                ts,
                lines,
            });
        } else if is_error {
            let auth_failure = (entry.level == Some(Level::Fatal))
                .then(|| activity::auth_failure(msg))
                .flatten()
                .map(|user| {
                    let host = entry
                        .client
                        .as_deref()
                        .map(str::to_string)
                        .or_else(|| self.received_from.get(&key).cloned());
                    (user.map(str::to_string), host)
                });
            out.emit(Event::Error {
                level: entry.level.unwrap_or(Level::Error),
                // `00000`-like codes from %e on a line are real; otherwise infer
                // the code of well-known messages
                sqlstate: entry
                    .sqlstate
                    .as_deref()
                    .map(str::to_string)
                    .or_else(|| activity::known_sqlstate(msg).map(|c| format!("{c}*"))),
                message: activity::normalize_message(msg),
                statement: entry.statement.clone(),
                cancel: activity::cancellation(msg),
                auth_failure,
                pid: entry.pid,
                ts,
                lines,
            });
        } else if let Some(wait) = activity::lock_wait(msg) {
            out.emit(Event::LockWait {
                object_kind: activity::lock_object_kind(&wait.object, entry.context.as_deref()),
                holders: entry
                    .detail
                    .as_deref()
                    .map(activity::lock_holders)
                    .unwrap_or_default(),
                statement: self.statement_of(entry, key),
                wait,
                ts,
                lines,
            });
        } else if let Some(bytes) = activity::temp_file(msg) {
            out.emit(Event::TempFile {
                bytes,
                statement: self.statement_of(entry, key),
                ts,
                lines,
            });
        } else if let Some(c) = activity::checkpoint(msg) {
            out.emit(Event::Checkpoint { msg: c, ts, lines });
        } else if let Some(run) = activity::autovacuum(msg) {
            out.emit(Event::Autovacuum { run, ts, lines });
        } else if let Some(host) = activity::connection_received(msg) {
            self.received_from.insert(key, host.to_string());
            out.emit(Event::ConnectionReceived {
                host: host.to_string(),
                lines,
            });
        } else {
            return false;
        }
        true
    }

    /// Emits statements still waiting for a duration (they stay untimed), in line order.
    pub fn finish(&mut self, out: &mut impl EventSink<A>) {
        let mut rest: Vec<(QueryEvent, Option<A>)> = self.pending.drain().map(|(_, v)| v).collect();
        rest.sort_by_key(|q| q.0.entry.line);
        for q in rest {
            query(out, q);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::StderrParser;
    use crate::parse::prefix::LinePrefix;

    fn events(log: &str) -> Vec<Event> {
        let mut p = StderrParser::new(LinePrefix::compile("%m [%p] "));
        let mut out = Vec::new();
        for l in log.lines() {
            p.push_line(l, &mut |e: Event| out.push(e));
        }
        p.finish(&mut |e: Event| out.push(e));
        out
    }

    #[test]
    fn statement_then_bare_duration_counts_once() {
        let log = "2024-05-01 10:00:00.001 UTC [1] LOG:  statement: SELECT 1\n\
                   2024-05-01 10:00:00.002 UTC [2] LOG:  statement: SELECT 2\n\
                   2024-05-01 10:00:00.003 UTC [1] LOG:  duration: 1.500 ms\n\
                   2024-05-01 10:00:00.004 UTC [2] LOG:  duration: 2.500 ms\n\
                   2024-05-01 10:00:00.005 UTC [3] LOG:  duration: 9.000 ms\n";
        let ev = events(log);
        let queries: Vec<&QueryEvent> = ev
            .iter()
            .filter_map(|e| match e {
                Event::Query(q) => Some(q.as_ref()),
                _ => None,
            })
            .collect();
        assert_eq!(queries.len(), 2);
        assert_eq!(queries[0].sql, "SELECT 1");
        assert_eq!(queries[0].duration_us, Some(1500));
        assert_eq!(queries[0].entry.lines, 2);
        assert_eq!(queries[1].duration_us, Some(2500));
        assert!(ev.contains(&Event::UnattributedDuration { us: 9000, lines: 1 }));
    }

    #[test]
    fn statement_without_duration_stays_untimed() {
        let log = "2024-05-01 10:00:00.001 UTC [1] LOG:  statement: SELECT 1\n\
                   2024-05-01 10:00:00.002 UTC [1] LOG:  duration: 3.000 ms  statement: SELECT 2\n";
        let ev = events(log);
        match (&ev[0], &ev[1]) {
            (Event::Query(a), Event::Query(b)) => {
                assert_eq!(a.duration_us, None);
                assert_eq!(b.duration_us, Some(3000));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_failed_statement_does_not_take_the_next_duration() {
        let log = "2024-05-01 10:00:00.001 UTC [1] LOG:  execute S_1: SELECT 1/0\n\
                   2024-05-01 10:00:00.002 UTC [1] ERROR:  division by zero\n\
                   2024-05-01 10:00:00.003 UTC [1] LOG:  duration: 0.100 ms\n";
        let ev = events(log);
        assert!(matches!(&ev[0], Event::Query(q) if q.duration_us.is_none()));
        assert!(ev.contains(&Event::UnattributedDuration { us: 100, lines: 1 }));
    }

    #[test]
    fn parse_and_bind_are_not_executions() {
        let log = "2024-05-01 10:00:00.001 UTC [1] LOG:  duration: 0.100 ms  parse S_1: SELECT $1\n\
                   2024-05-01 10:00:00.002 UTC [1] LOG:  duration: 0.050 ms  bind S_1: SELECT $1\n\
                   2024-05-01 10:00:00.003 UTC [1] DETAIL:  parameters: $1 = '5'\n\
                   2024-05-01 10:00:00.004 UTC [1] LOG:  duration: 0.200 ms  execute S_1: SELECT $1\n\
                   2024-05-01 10:00:00.005 UTC [1] DETAIL:  parameters: $1 = '5'\n";
        let ev = events(log);
        assert_eq!(ev.len(), 3);
        assert!(matches!(
            ev[0],
            Event::StepTiming {
                step: Step::Parse,
                us: 100,
                ..
            }
        ));
        assert!(matches!(
            ev[1],
            Event::StepTiming {
                step: Step::Bind,
                us: 50,
                lines: 2,
                ..
            }
        ));
        match &ev[2] {
            Event::Query(q) => {
                assert_eq!(q.step, Step::Execute);
                assert_eq!(q.entry.detail.as_deref(), Some("parameters: $1 = '5'"));
            }
            other => panic!("{other:?}"),
        }
    }
}
