//! Folding one file's events, in file order, into an [`Aggregate`]: one
//! function per kind of event. Statement executions are handled here; server
//! activity (sessions, locks, errors, checkpoints, ...) in [`activity`].

mod activity;

use super::activity::{StatementRef, TimelineKind};
use super::coverage::FileCoverage;
use super::normalized::NormalizedCache;
use super::query::{QueryStats, Sample, TopSamples};
use super::{Aggregate, AggregateOptions, bursts, mask};
use crate::normalize::Normalized;
use crate::parse::events::{Event, EventSink, QueryEvent};
use crate::parse::message::Step;
use crate::parse::timestamp::{Clock, Timestamp};
use std::collections::HashMap;
use std::sync::Arc;

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
    waiting: HashMap<u32, (super::activity::LockKey, i64)>,
    /// Recent executions per session, for N+1 bursts and transaction pauses.
    tracker: bursts::SessionTracker,
    /// [`Aggregate::queries`] while the file is read.
    queries: QueryIndex,
    /// The clock of the file's timestamps (none known: milliseconds).
    clock: Option<Clock>,
    /// Statements the run leaves out (`--exclude-query`, `--select-only`).
    statements: Option<Arc<super::filter::StatementFilter>>,
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

/// `s`'s first `max` bytes (to a character boundary).
fn clip(s: &str, max: usize) -> &str {
    &s[..s.floor_char_boundary(max)]
}

/// A DETAIL with the bind parameters of a statement (`parameters: $1 = ...`).
fn is_parameters(detail: &str) -> bool {
    detail
        .get(..12)
        .is_some_and(|p| p.eq_ignore_ascii_case("parameters: "))
}

/// The events of a log, each with the normalization of its statement's text
/// when a worker computed it ahead.
impl EventSink<Arc<Normalized>> for FileAggregator {
    fn event(&mut self, ev: Event, ahead: Option<Arc<Normalized>>) {
        self.add(ev, ahead);
    }
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
            clock: None,
            statements: None,
        }
    }

    /// Leaves out the statements `f` does not keep (an empty filter keeps all).
    pub fn set_statement_filter(&mut self, f: Arc<super::filter::StatementFilter>) {
        self.statements = (!f.is_empty()).then_some(f);
    }

    /// Whether the statement `sql` is left out; if so its lines are counted
    /// as filtered.
    fn left_out(&mut self, sql: &str, lines: u64) -> bool {
        let Some(reason) = self.statements.as_ref().and_then(|f| f.verdict(sql)) else {
            return false;
        };
        self.file.filtered(reason, lines);
        true
    }

    /// The clock of the file's timestamps, known before its first entry.
    pub fn set_clock(&mut self, clock: Option<Clock>) {
        self.clock = clock;
        self.file.clock = clock.map(|c| c.label().to_string());
        self.tracker.set_clock(clock.unwrap_or(Clock::Millis));
    }

    /// The file's coverage record, for the reader to fill in (bytes, prefix, errors).
    pub fn coverage_mut(&mut self) -> &mut FileCoverage {
        &mut self.file
    }

    /// `sql`'s normalization: the one a worker computed ahead of exactly this
    /// text, when there is one (normalizing is a pure function of the text, so
    /// where it is computed does not change the result), else from the cache.
    fn normalized(&mut self, sql: &str, ahead: Option<Arc<Normalized>>) -> Arc<Normalized> {
        match ahead {
            Some(n) => n,
            None => self.cache.normalized(sql),
        }
    }

    /// Counts a server event of kind `kind` at `ts`; its time also widens the
    /// input's time range.
    fn timeline(&mut self, ts: Option<Timestamp>, kind: TimelineKind) {
        self.agg.activity.timeline.record(ts, kind);
        self.seen_at(ts);
    }

    /// Widens the input's time range, and counts the timestamp by its clock.
    fn seen_at(&mut self, ts: Option<Timestamp>) {
        if let Some(ts) = ts {
            let f = &mut self.file;
            f.first_ms = Some(f.first_ms.map_or(ts.0, |x| x.min(ts.0)));
            f.last_ms = Some(f.last_ms.map_or(ts.0, |x| x.max(ts.0)));
            let s = &mut self.agg.summary;
            s.first_ts = Some(s.first_ts.map_or(ts, |f| f.min(ts)));
            s.last_ts = s.last_ts.max(Some(ts));
            match self.clock {
                Some(Clock::Seconds) => s.seconds_timestamps += 1,
                _ => s.millis_timestamps += 1,
            }
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

    /// Counts unrecognized lines; the example keeps its quoted values only when
    /// values are shown.
    pub fn unrecognized(&mut self, line: u64, text: &str, lines: u64) {
        // only the first lines are kept as examples: the others are counted,
        // not masked (masking every line of a file of another format cost a
        // third of the run)
        if self.file.unrecognized_examples.len() >= crate::coverage::EXAMPLES_PER_FILE {
            self.file.unrecognized(line, "", lines);
            return;
        }
        // an example shows 300 characters: mask no more than a few times that
        // (a line can be 64 MiB)
        let text = match text.char_indices().nth(1200) {
            Some((end, _)) => &text[..end],
            None => text,
        };
        if self.opts.show_values {
            self.file.unrecognized(line, text, lines);
        } else {
            let quoted = if text.contains('\'') {
                mask::literals(text, false)
            } else {
                text.to_string()
            };
            self.file
                .unrecognized(line, &mask::long_numbers(&quoted), lines);
        }
    }

    /// Counts one physical line read (before parsing).
    pub fn line_read(&mut self, invalid_utf8: bool) {
        self.file.lines_total += 1;
        self.file.invalid_utf8_lines += u64::from(invalid_utf8);
    }

    /// Folds one event; `ahead` is the normalization of its statement's text
    /// when a worker computed it (statements and parse/bind timings only).
    pub fn add(&mut self, ev: Event, ahead: Option<Arc<Normalized>>) {
        match ev {
            Event::Query(q) => self.add_query(*q, ahead),
            Event::StepTiming {
                step,
                us,
                sql,
                lines,
            } => self.add_step_timing(step, us, &sql, lines, ahead),
            Event::UnattributedDuration { us, lines } => {
                self.parsed(lines);
                self.agg.summary.unattributed_count += 1;
                self.agg.summary.unattributed_us =
                    self.agg.summary.unattributed_us.saturating_add(us);
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
                self.add_connection(&user, &db, app, client, pid, ts);
            }
            Event::Disconnection {
                session_ms,
                pid,
                ts,
                lines,
            } => {
                self.parsed(lines);
                self.add_disconnection(session_ms, pid, ts);
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
                self.add_lock_wait(wait, object_kind, holders, statement, ts);
            }
            Event::Deadlock {
                detail,
                statement,
                sqlstate,
                ts,
                lines,
            } => {
                self.parsed(lines);
                // an ERROR like any other too: the error totals are the log's
                self.add_error(
                    crate::parse::prefix::Level::Error,
                    Some(sqlstate),
                    "deadlock detected".into(),
                    statement.clone(),
                    None,
                    ts,
                );
                self.timeline(ts, TimelineKind::Errors);
                self.add_deadlock(detail, statement, ts);
            }
            Event::TempFile {
                bytes,
                statement,
                ts,
                lines,
            } => {
                self.parsed(lines);
                self.add_temp_file(bytes, statement, ts);
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
                self.error_ends_lock_wait(pid, ts);
                self.error_ends_session(level, pid, ts);
                self.add_error(level, sqlstate, message, statement, cancel, ts);
                self.add_auth_failure(auth_failure);
                self.timeline(ts, TimelineKind::Errors);
            }
            Event::Checkpoint { msg, ts, lines } => {
                self.parsed(lines);
                self.add_checkpoint(msg, ts);
            }
            Event::Autovacuum { run, ts, lines } => {
                self.parsed(lines);
                self.add_autovacuum(run, ts);
            }
            Event::Plan { plan, ts, lines } => {
                self.parsed(lines);
                self.add_plan(plan, ts);
            }
            Event::Pooler(ev) => {
                self.parsed(1);
                self.agg.activity.pooler.add(ev);
            }
            Event::Ignored { category, lines } => {
                self.agg.summary.entries += 1;
                self.file.ignored(category, lines);
            }
            Event::Unrecognized { line, text, lines } => self.unrecognized(line, &text, lines),
            Event::Rejected {
                line,
                reason,
                text,
                lines,
            } => {
                self.agg.summary.entries += 1;
                let text = if self.opts.show_values
                    || self.file.rejected_examples.len() >= crate::coverage::EXAMPLES_PER_FILE
                {
                    text // kept as an example only if shown, else only counted
                } else {
                    let text = clip(&text, 4800);
                    mask::long_numbers(&mask::literals(text, false))
                };
                self.file.rejected(line, reason, &text, lines);
            }
            Event::Orphan { lines } => self.file.ignored("secondary line without its entry", lines),
            Event::Blank => self.file.ignored("blank line", 1),
            Event::Filtered { reason, lines } => self.file.filtered(reason, lines),
        }
    }

    /// Parse or bind time of the extended protocol: counted apart from executions.
    fn add_step_timing(
        &mut self,
        step: Step,
        us: u64,
        sql: &str,
        lines: u64,
        ahead: Option<Arc<Normalized>>,
    ) {
        if self.left_out(sql, lines) {
            return;
        }
        self.parsed(lines);
        let n = self.normalized(sql, ahead);
        let q = self.queries.get(&n);
        let s = &mut self.agg.summary;
        if step == Step::Parse {
            q.parse_count += 1;
            q.parse_us = q.parse_us.saturating_add(us);
            s.parse_count += 1;
            s.parse_us = s.parse_us.saturating_add(us);
        } else {
            q.bind_count += 1;
            q.bind_us = q.bind_us.saturating_add(us);
            s.bind_count += 1;
            s.bind_us = s.bind_us.saturating_add(us);
        }
    }

    /// A statement, timed or not: its key's statistics, the slowest samples,
    /// the latency bins and the session tracker.
    fn add_query(&mut self, q: QueryEvent, ahead: Option<Arc<Normalized>>) {
        if self.left_out(&q.sql, q.entry.lines) {
            return;
        }
        let s = &mut self.agg.summary;
        s.entries += 1 + u64::from(q.paired);
        self.file.lines_parsed += q.entry.lines;
        self.seen_at(q.entry.ts);
        let n = self.normalized(&q.sql, ahead);
        self.file.statements_cut += u64::from(n.cut);
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
                clip(q.sql.trim(), crate::normalize::MAX_STATEMENT_BYTES).to_string()
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
        s.total_us = s.total_us.saturating_add(us);
        self.agg.bins.record(us);
        self.agg.activity.timeline.statement(e.ts, us);
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
mod tests;
