//! Server activity in the audit: lock waits, deadlocks, temporary files, errors,
//! checkpoints, autovacuum, sessions and plans, ranked and ready to serialize.
//! One step per kind of activity, each a function of the aggregated [`Activity`].

mod names;
mod timeline;

use super::{DisplayZone, ms, round3};
use crate::aggregate::activity::{Activity, StatementRef};
use crate::normalize::{fingerprint, fingerprint_hex};
use crate::parse::timestamp::Timestamp;
pub use names::ObjectNames;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
pub use timeline::{BucketView, BusiestView, BusyHoursView, TimelineView};

/// A statement named as evidence.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StatementView {
    /// Fingerprint of its normalized query (links to `queries[]`).
    pub fingerprint: String,
    pub normalized: String,
    /// The statement, values hidden unless `--show-values`.
    pub text: String,
}

fn statement(r: &StatementRef) -> StatementView {
    view(&r.key, &r.display)
}

fn view(key: &str, display: &str) -> StatementView {
    StatementView {
        fingerprint: fingerprint_hex(fingerprint(key)),
        normalized: key.to_string(),
        text: display.to_string(),
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LockItemView {
    /// The waiting statement, when the log names it.
    pub statement: Option<StatementView>,
    /// What was waited for (`transaction (rows of relation "customers")`, `relation 16385 of database 16384`).
    pub object: String,
    pub mode: String,
    /// `still waiting` entries.
    pub waits: u64,
    pub acquired: u64,
    /// Waits ended by an error (lock or statement timeout, cancel).
    pub ended_by_error: u64,
    /// Time the waits lasted in all: from `acquired ... after N ms` lines, and
    /// until the error for waits an error ended.
    pub total_wait_ms: f64,
    pub max_wait_ms: f64,
    pub deadlocks: u64,
    pub first_ts: Option<String>,
    pub last_ts: Option<String>,
    pub holders_example: Vec<u32>,
}

/// Lock waits summed over one waiting query or one object.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LockTotal {
    /// A query fingerprint (`by_query`) or an object (`by_object`); empty when the
    /// statement was not logged.
    pub key: String,
    pub label: String,
    pub waits: u64,
    pub total_wait_ms: f64,
    pub max_wait_ms: f64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LocksView {
    /// `still waiting for` entries.
    pub waits: u64,
    pub acquired: u64,
    pub total_wait_ms: f64,
    /// By total wait, descending.
    pub items: Vec<LockItemView>,
    /// Totals per waiting normalized query, by total wait.
    pub by_query: Vec<LockTotal>,
    /// Totals per object waited for, by total wait.
    pub by_object: Vec<LockTotal>,
}

/// Sums lock items by a key, largest total wait first.
fn lock_totals(
    items: &[LockItemView],
    key: impl Fn(&LockItemView) -> (String, String),
) -> Vec<LockTotal> {
    let mut m: BTreeMap<(String, String), LockTotal> = BTreeMap::new();
    for i in items {
        let (k, label) = key(i);
        let t = m
            .entry((k.clone(), label.clone()))
            .or_insert_with(|| LockTotal {
                key: k,
                label,
                waits: 0,
                total_wait_ms: 0.0,
                max_wait_ms: 0.0,
            });
        t.waits += i.waits;
        t.total_wait_ms = super::round3(t.total_wait_ms + i.total_wait_ms);
        t.max_wait_ms = t.max_wait_ms.max(i.max_wait_ms);
    }
    let mut v: Vec<LockTotal> = m.into_values().collect();
    v.sort_by(|a, b| {
        b.total_wait_ms
            .total_cmp(&a.total_wait_ms)
            .then(a.label.cmp(&b.label))
    });
    v
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DeadlockView {
    pub ts: Option<String>,
    pub cycle: String,
    pub victim: Option<StatementView>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DeadlocksView {
    pub count: u64,
    pub items: Vec<DeadlockView>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TempByQuery {
    pub statement: StatementView,
    pub count: u64,
    pub total_bytes: u64,
    pub max_bytes: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TempFilesView {
    pub count: u64,
    pub total_bytes: u64,
    pub max_bytes: u64,
    /// By total bytes, descending.
    pub by_query: Vec<TempByQuery>,
    /// Files logged without a statement (parallel workers, utility commands).
    pub unattributed_count: u64,
    pub unattributed_bytes: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ErrorView {
    pub severity: String,
    pub sqlstate: Option<String>,
    /// The message with quoted values, identifiers and numbers replaced.
    pub message: String,
    pub count: u64,
    pub first_ts: Option<String>,
    pub last_ts: Option<String>,
    pub example: Option<StatementView>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AuthFailureView {
    pub user: String,
    pub host: String,
    pub count: u64,
}

/// Checkpoints in the log: the accumulator is already the view (one type
/// serialized, so a new figure is added in one place).
pub type CheckpointsView = crate::aggregate::activity::Checkpoints;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TableVacuumView {
    pub table: String,
    pub vacuums: u64,
    pub analyzes: u64,
    pub elapsed_ms: u64,
    pub pages_removed: u64,
    pub tuples_removed: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AutovacuumView {
    pub vacuums: u64,
    pub analyzes: u64,
    /// Tables visited (a folded row holds several).
    #[serde(default)]
    pub tables: u64,
    /// By runs, descending.
    pub by_table: Vec<TableVacuumView>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SessionsView {
    pub connections_received: u64,
    pub connections_authorized: u64,
    pub disconnections: u64,
    /// Failed logins (FATAL authentication errors).
    pub failures: u64,
    /// Most sessions open at once (from authorization and disconnection times),
    /// and when; null when the log has no disconnections to tell when sessions end.
    pub peak_concurrent: Option<i64>,
    pub peak_at: Option<String>,
    /// The peak comes from whole-second timestamps (each session's end, and
    /// its start from the end less its length): it may be off by a session
    /// or more, and its time by a second.
    #[serde(default)]
    pub peak_approximate: bool,
    pub mean_session_ms: Option<f64>,
    pub by_user: BTreeMap<String, u64>,
    pub by_database: BTreeMap<String, u64>,
    pub by_user_database: BTreeMap<String, u64>,
    pub by_app: BTreeMap<String, u64>,
    pub by_client: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PlanView {
    pub fingerprint: String,
    pub normalized: String,
    /// The slowest plan logged for the query.
    pub duration_ms: f64,
    pub ts: Option<String>,
    pub flags: Vec<String>,
    pub text: String,
    /// Plans logged for this query.
    pub count: u64,
}

/// Everything of the activity part of the audit.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ActivityView {
    pub locks: LocksView,
    pub deadlocks: DeadlocksView,
    pub temp_files: TempFilesView,
    pub errors: Vec<ErrorView>,
    pub cancellations: BTreeMap<String, u64>,
    pub auth_failures: Vec<AuthFailureView>,
    pub checkpoints: CheckpointsView,
    pub autovacuum: AutovacuumView,
    pub sessions: SessionsView,
    pub plans: Vec<PlanView>,
    pub timeline: TimelineView,
    /// pgBouncer's evidence on the pool; null without a pgBouncer log.
    #[serde(default)]
    pub pooler: Option<PoolerView>,
}

/// pgBouncer's log: how busy the pool was and how long clients waited for a
/// server connection (averages per `stats_period`), refusals and failed logins.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PoolerView {
    pub intervals: u64,
    /// Intervals in which clients waited for a server connection.
    pub waited_intervals: u64,
    /// Mean of the intervals' average waits, over the intervals that waited.
    pub mean_wait_ms: Option<f64>,
    pub peak_wait_ms: f64,
    pub peak_wait_at: Option<String>,
    pub peak_xacts_per_s: u64,
    pub peak_queries_per_s: u64,
    pub busiest_xact_ms: f64,
    pub busiest_query_ms: f64,
    pub login_failures: BTreeMap<String, u64>,
    pub closing: BTreeMap<String, u64>,
    /// Clients refused at max_client_conn.
    pub refused: u64,
}

/// The pgBouncer view; null when no pgBouncer line was read.
fn pooler(a: &Activity, tz: &DisplayZone) -> Option<PoolerView> {
    let p = &a.pooler;
    if p.is_empty() {
        return None;
    }
    let ms = |us: u64| round3(us as f64 / 1000.0);
    Some(PoolerView {
        intervals: p.intervals,
        waited_intervals: p.waited_intervals,
        mean_wait_ms: (p.waited_intervals > 0)
            .then(|| round3(p.wait_us_sum as f64 / p.waited_intervals as f64 / 1000.0)),
        peak_wait_ms: ms(p.peak_wait_us),
        peak_wait_at: at(tz, p.peak_wait_at),
        peak_xacts_per_s: p.peak_xacts_per_s,
        peak_queries_per_s: p.peak_queries_per_s,
        busiest_xact_ms: ms(p.busiest_xact_us),
        busiest_query_ms: ms(p.busiest_query_us),
        login_failures: p.login_failures.clone(),
        closing: p.closing.clone(),
        refused: p.refused.values().sum(),
    })
}

/// Builds the activity view: one step per kind of activity.
pub(super) fn build(a: &Activity, tz: &DisplayZone) -> ActivityView {
    ActivityView {
        locks: locks(a, tz),
        deadlocks: deadlocks(a, tz),
        temp_files: temp_files(a),
        errors: errors(a, tz),
        cancellations: a.errors.cancellations.clone(),
        auth_failures: auth_failures(a),
        checkpoints: checkpoints(a),
        autovacuum: autovacuum(a),
        sessions: sessions(a, tz),
        plans: plans(a, tz),
        timeline: timeline::build(&a.timeline, tz),
        pooler: pooler(a, tz),
    }
}

/// A time in the audit's zone.
fn at(tz: &DisplayZone, t: Option<Timestamp>) -> Option<String> {
    t.map(|t| tz.format(t))
}

/// Lock waits per (statement, object, mode), longest total wait first, and
/// their totals per query and per object.
fn locks(a: &Activity, tz: &DisplayZone) -> LocksView {
    let mut items: Vec<LockItemView> = a
        .locks
        .items
        .iter()
        .map(|((key, object, mode), i)| LockItemView {
            statement: (!key.is_empty())
                .then(|| view(key, i.statement.get().map_or(key.as_str(), |d| d.as_str()))),
            object: object.clone(),
            mode: mode.clone(),
            waits: i.waits,
            acquired: i.acquired,
            ended_by_error: i.ended_by_error,
            total_wait_ms: ms(i.acquired_wait_us),
            max_wait_ms: ms(i.max_wait_us),
            deadlocks: i.deadlocks,
            first_ts: at(tz, i.first_ts),
            last_ts: at(tz, i.last_ts),
            holders_example: i.holders.get().cloned().unwrap_or_default(),
        })
        .collect();
    items.sort_by(|x, y| {
        y.total_wait_ms
            .total_cmp(&x.total_wait_ms)
            .then(y.waits.cmp(&x.waits))
    });
    LocksView {
        waits: a.locks.waits,
        acquired: a.locks.acquired,
        total_wait_ms: ms(a.locks.items.values().map(|i| i.acquired_wait_us).sum()),
        by_query: lock_totals(&items, |i| match &i.statement {
            Some(s) => (s.fingerprint.clone(), s.normalized.clone()),
            None => (String::new(), "(statement not in the log)".into()),
        }),
        by_object: lock_totals(&items, |i| (i.object.clone(), i.object.clone())),
        items,
    }
}

/// Deadlocks, in the order the log reported them.
fn deadlocks(a: &Activity, tz: &DisplayZone) -> DeadlocksView {
    DeadlocksView {
        count: a.deadlocks.count,
        items: a
            .deadlocks
            .items
            .iter()
            .map(|d| DeadlockView {
                ts: at(tz, d.ts),
                cycle: d.cycle.clone(),
                victim: d.victim.as_ref().map(statement),
            })
            .collect(),
    }
}

/// Temporary files in all, and per query by total bytes.
fn temp_files(a: &Activity) -> TempFilesView {
    let mut by_query: Vec<TempByQuery> = a
        .temp_files
        .by_query
        .iter()
        .map(|(key, u)| TempByQuery {
            statement: view(key, u.statement.get().map_or(key.as_str(), |d| d.as_str())),
            count: u.count,
            total_bytes: u.bytes,
            max_bytes: u.max_bytes,
        })
        .collect();
    by_query.sort_by(|x, y| {
        y.total_bytes
            .cmp(&x.total_bytes)
            .then(x.statement.normalized.cmp(&y.statement.normalized))
    });
    TempFilesView {
        count: a.temp_files.all.count,
        total_bytes: a.temp_files.all.bytes,
        max_bytes: a.temp_files.all.max_bytes,
        by_query,
        unattributed_count: a.temp_files.unattributed.count,
        unattributed_bytes: a.temp_files.unattributed.bytes,
    }
}

/// Error groups, most frequent first.
fn errors(a: &Activity, tz: &DisplayZone) -> Vec<ErrorView> {
    let mut errors: Vec<ErrorView> = a
        .errors
        .groups
        .iter()
        .map(|((sev, state, msg), g)| ErrorView {
            severity: sev.clone(),
            sqlstate: state.clone(),
            message: msg.clone(),
            count: g.count,
            first_ts: at(tz, g.first_ts),
            last_ts: at(tz, g.last_ts),
            example: g.example.get().map(statement),
        })
        .collect();
    errors.sort_by(|x, y| y.count.cmp(&x.count).then(x.message.cmp(&y.message)));
    errors
}

/// Failed logins per (user, host), most first.
fn auth_failures(a: &Activity) -> Vec<AuthFailureView> {
    let mut auth: Vec<AuthFailureView> = a
        .errors
        .auth_failures
        .iter()
        .map(|((user, host), c)| AuthFailureView {
            user: user.clone(),
            host: host.clone(),
            count: *c,
        })
        .collect();
    auth.sort_by_key(|a| std::cmp::Reverse(a.count));
    auth
}

fn checkpoints(a: &Activity) -> CheckpointsView {
    a.checkpoints.clone()
}

/// Autovacuum and autoanalyze runs, per table by runs.
fn autovacuum(a: &Activity) -> AutovacuumView {
    let mut tables: Vec<TableVacuumView> = a
        .autovacuum
        .by_table
        .iter()
        .map(|(t, v)| TableVacuumView {
            table: t.clone(),
            vacuums: v.vacuums,
            analyzes: v.analyzes,
            elapsed_ms: v.elapsed_ms,
            pages_removed: v.pages_removed,
            tuples_removed: v.tuples_removed,
        })
        .collect();
    fold_template_databases(&mut tables);
    tables.sort_by(|x, y| {
        (y.vacuums + y.analyzes)
            .cmp(&(x.vacuums + x.analyzes))
            .then(x.table.cmp(&y.table))
    });
    AutovacuumView {
        vacuums: a.autovacuum.vacuums,
        analyzes: a.autovacuum.analyzes,
        tables: a.autovacuum.by_table.len() as u64,
        by_table: tables,
    }
}

/// Rows of the template databases (`template0`, `template1`: catalog tables
/// autovacuum visits after their wraparound age, nothing a DBA acts on)
/// become one row per database, `template1.* (13 tables)`, with their sums.
fn fold_template_databases(tables: &mut Vec<TableVacuumView>) {
    let mut folded: BTreeMap<&str, (u64, TableVacuumView)> = BTreeMap::new();
    tables.retain(|t| {
        let db = match t.table.split_once('.') {
            Some(("template0", _)) => "template0",
            Some(("template1", _)) => "template1",
            _ => return true,
        };
        let (n, f) = folded.entry(db).or_default();
        *n += 1;
        f.vacuums += t.vacuums;
        f.analyzes += t.analyzes;
        f.elapsed_ms += t.elapsed_ms;
        f.pages_removed += t.pages_removed;
        f.tuples_removed += t.tuples_removed;
        false
    });
    tables.extend(folded.into_iter().map(|(db, (n, f))| TableVacuumView {
        table: format!(
            "{db}.* ({}, template database)",
            crate::units::plural(n, "table", "tables")
        ),
        ..f
    }));
}

/// Connections, their peak and mean length, and who opened them.
fn sessions(a: &Activity, tz: &DisplayZone) -> SessionsView {
    let s = &a.sessions;
    let (peak, peak_at) = match s.peak() {
        Some((p, at)) => (Some(p), at),
        None => (None, None),
    };
    SessionsView {
        connections_received: s.received,
        connections_authorized: s.authorized,
        disconnections: s.disconnections,
        failures: a.errors.auth_failures.values().sum(),
        peak_concurrent: peak,
        peak_at: peak_at.map(|ms| tz.format(Timestamp(ms))),
        peak_approximate: false,
        mean_session_ms: (s.disconnections > 0)
            .then(|| s.session_ms_total as f64 / s.disconnections as f64),
        by_user: s.by_user.clone(),
        by_database: s.by_database.clone(),
        by_user_database: s.by_user_database.clone(),
        by_app: s.by_app.clone(),
        by_client: s.by_client.clone(),
    }
}

/// The slowest plan of each query, slowest first.
fn plans(a: &Activity, tz: &DisplayZone) -> Vec<PlanView> {
    let mut plans: Vec<PlanView> = a
        .plans
        .iter()
        .map(|(k, p)| PlanView {
            fingerprint: fingerprint_hex(fingerprint(k)),
            normalized: k.clone(),
            duration_ms: ms(p.us),
            ts: at(tz, p.ts),
            flags: p.flags.clone(),
            text: p.text.clone(),
            count: p.count,
        })
        .collect();
    plans.sort_by(|x, y| {
        y.duration_ms
            .total_cmp(&x.duration_ms)
            .then(x.normalized.cmp(&y.normalized))
    });
    plans
}

#[cfg(test)]
mod tests;
