//! Folding server activity events: sessions, lock waits, deadlocks, temporary
//! files, errors, checkpoints, autovacuum runs and auto_explain plans.

use super::FileAggregator;
use crate::aggregate::activity::{
    self, DeadlockItem, ErrorKey, LockKey, PlanSample, TimelineKind, bump,
};
use crate::aggregate::{Merge, mask};
use crate::parse::activity::{Autovacuum, CheckpointMsg, LockState, LockWait};
use crate::parse::plan::Plan;
use crate::parse::prefix::Level;
use crate::parse::timestamp::Timestamp;

impl FileAggregator {
    /// A deadlock DETAIL with its statements' values hidden unless shown.
    fn mask_cycle(&self, detail: &str) -> String {
        if self.opts.show_values {
            detail.to_string()
        } else {
            mask::deadlock_cycle(detail)
        }
    }

    /// A session authorized: who, from where, and when it began (for the
    /// peak of concurrent sessions).
    pub(super) fn add_connection(
        &mut self,
        user: &str,
        db: &str,
        app: Option<String>,
        client: Option<String>,
        pid: Option<u32>,
        ts: Option<Timestamp>,
    ) {
        let c = &mut self.agg.activity.sessions;
        c.authorized += 1;
        bump(&mut c.by_user, user);
        bump(&mut c.by_database, db);
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
        self.timeline(ts, TimelineKind::Connections);
    }

    /// A session ended after `session_ms`.
    pub(super) fn add_disconnection(
        &mut self,
        session_ms: u64,
        pid: Option<u32>,
        ts: Option<Timestamp>,
    ) {
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

    /// The lock item a lock wait line counts under: the one its process's wait
    /// began under, for an `acquired` line; else its statement's, object's and
    /// mode's (and the statement is offered as the item's example).
    fn lock_key(
        &mut self,
        wait: &LockWait,
        object_kind: String,
        statement: Option<String>,
        ts: Option<Timestamp>,
    ) -> LockKey {
        if let (LockState::Acquired, Some((k, _))) = (wait.state, self.waiting.get(&wait.pid)) {
            return k.clone();
        }
        let r = statement.map(|s| self.statement_ref(&s));
        let key = (
            r.as_ref().map(|r| r.key.clone()).unwrap_or_default(),
            object_kind,
            wait.mode.clone(),
        );
        if let Some(r) = r {
            let locks = &mut self.agg.activity.locks;
            let item = locks.items.entry(key.clone()).or_default();
            item.statement.offer(ts, r.display);
        }
        key
    }

    /// A lock wait line: still waiting, acquired, or ended in a deadlock.
    pub(super) fn add_lock_wait(
        &mut self,
        wait: LockWait,
        object_kind: String,
        holders: Vec<u32>,
        statement: Option<String>,
        ts: Option<Timestamp>,
    ) {
        let key = self.lock_key(&wait, object_kind, statement, ts);
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
                self.timeline(ts, TimelineKind::LockWaits);
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

    /// A deadlock: its cycle and victim, the first few kept in full.
    pub(super) fn add_deadlock(
        &mut self,
        detail: Option<String>,
        statement: Option<String>,
        ts: Option<Timestamp>,
    ) {
        let cycle = detail.map(|d| self.mask_cycle(&d)).unwrap_or_default();
        let victim = statement.map(|s| self.statement_ref(&s));
        let d = &mut self.agg.activity.deadlocks;
        d.count += 1;
        if d.items.len() < activity::DEADLOCKS_KEPT {
            d.items.push(DeadlockItem { ts, cycle, victim });
        }
        self.timeline(ts, TimelineKind::Deadlocks);
    }

    /// A temporary file, counted under the statement that wrote it when known.
    pub(super) fn add_temp_file(
        &mut self,
        bytes: u64,
        statement: Option<String>,
        ts: Option<Timestamp>,
    ) {
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
        self.timeline(ts, TimelineKind::TempFiles);
        self.agg.activity.timeline.temp_file(ts, bytes);
    }

    /// An error ends its process's lock wait (lock_timeout, statement_timeout,
    /// cancel): the wait lasted from its start to the error.
    pub(super) fn error_ends_lock_wait(&mut self, pid: Option<u32>, ts: Option<Timestamp>) {
        if let Some(((key, began), Some(t))) =
            pid.and_then(|p| self.waiting.remove(&p)).zip(Some(ts))
            && let Some(item) = self.agg.activity.locks.items.get_mut(&key)
        {
            let waited = (t.0 - began).max(0) as u64 * 1000;
            item.ended_by_error += 1;
            item.acquired_wait_us += waited;
            item.max_wait_us = item.max_wait_us.max(waited);
        }
    }

    /// A FATAL ends the process's session, with no disconnection line.
    pub(super) fn error_ends_session(
        &mut self,
        level: Level,
        pid: Option<u32>,
        ts: Option<Timestamp>,
    ) {
        if level == Level::Fatal
            && let Some(start) = pid.and_then(|p| self.open_sessions.remove(&p))
        {
            let end = ts.map_or(start, |t| t.0);
            self.agg.activity.sessions.ended(start, end.max(start));
        }
    }

    /// An error, counted in its group (level, SQLSTATE, normalized message)
    /// with the earliest statement that failed this way, and as a cancellation
    /// of its kind.
    pub(super) fn add_error(
        &mut self,
        level: Level,
        sqlstate: Option<String>,
        message: String,
        statement: Option<String>,
        cancel: Option<&'static str>,
        ts: Option<Timestamp>,
    ) {
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
    }

    /// A failed login: counted per (user, client host).
    pub(super) fn add_auth_failure(&mut self, failure: Option<(Option<String>, Option<String>)>) {
        let Some((user, host)) = failure else {
            return;
        };
        // `host(port)` from %r: the port differs per attempt
        let host = host.map(|h| h.split('(').next().unwrap_or(&h).to_string());
        let k = (
            user.unwrap_or_else(|| "?".into()),
            host.unwrap_or_else(|| "?".into()),
        );
        *self.agg.activity.errors.auth_failures.entry(k).or_default() += 1;
    }

    /// A checkpoint starting, complete (its figures), or too frequent.
    pub(super) fn add_checkpoint(&mut self, msg: CheckpointMsg, ts: Option<Timestamp>) {
        let c = &mut self.agg.activity.checkpoints;
        match msg {
            CheckpointMsg::Starting { reason } => {
                c.count += 1;
                bump(&mut c.by_reason, reason);
                self.timeline(ts, TimelineKind::Checkpoints);
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
                c.min_seconds_apart = Some(c.min_seconds_apart.map_or(seconds, |m| m.min(seconds)));
            }
        }
    }

    /// An autovacuum or autoanalyze run on one table.
    pub(super) fn add_autovacuum(&mut self, run: Autovacuum, ts: Option<Timestamp>) {
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
        self.timeline(ts, TimelineKind::Autovacuum);
    }

    /// An auto_explain plan: the slowest of its query's plans is kept.
    pub(super) fn add_plan(&mut self, plan: Plan, ts: Option<Timestamp>) {
        let n = self.normalized(&plan.query, None);
        let sample = PlanSample {
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
}
