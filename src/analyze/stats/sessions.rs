//! Sessions at the snapshot time, from `pg_stat_activity` and `pg_locks`:
//! client sessions by state and database, idle in transaction, long-running and
//! waiting ones, blocked/blocking pairs, and (with `--cpu-cores`) whether the
//! connection count fits a pool.

use super::{FormatTime, StatsOptions};
use crate::normalize::normalize;
use crate::parse::timestamp::Timestamp;
use crate::stats::records::{Lock, Session};
use crate::stats::snapshot::DatabaseStats;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A query running longer than this is long-running (PgHero).
pub const LONG_RUNNING_MS: i64 = 60_000;
/// Query text kept, in characters.
const QUERY_CHARS: usize = 2000;

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct SessionsNow {
    pub snapshot_at: Option<String>,
    /// Client sessions.
    pub total: u64,
    /// Client sessions by state (`active`, `idle`, `idle in transaction`, ...).
    pub by_state: BTreeMap<String, u64>,
    pub by_database: BTreeMap<String, u64>,
    pub max_connections: Option<u64>,
    pub idle_in_transaction: Vec<SessionReport>,
    pub long_running: Vec<SessionReport>,
    /// Sessions waiting for a lock.
    pub waiting: Vec<SessionReport>,
    /// Blocked -> blocking pairs (`pg_blocking_pids`, or `pg_locks`).
    pub blocked: Vec<BlockedPair>,
    /// Locks not granted in `pg_locks`.
    pub locks_waiting: u64,
    pub pool: Option<PoolAdvice>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SessionReport {
    pub pid: Option<u64>,
    pub user: Option<String>,
    pub database: Option<String>,
    pub app: Option<String>,
    pub state: Option<String>,
    /// Since the transaction (idle in transaction) or the query (others) started.
    pub duration_ms: Option<i64>,
    pub wait: Option<String>,
    /// The query, values masked unless values are shown.
    pub query: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BlockedPair {
    pub blocked_pid: u64,
    pub blocking_pid: u64,
    pub blocked_query: Option<String>,
    pub blocking_query: Option<String>,
    pub blocking_state: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PoolAdvice {
    pub cpu_cores: u32,
    /// 2x to 3x the cores: what a pool of active connections needs.
    pub recommended_min: u32,
    pub recommended_max: u32,
    pub connections: u64,
    pub active: u64,
    pub verdict: PoolVerdict,
}

/// How the sessions compare with a pool sized to the cores.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PoolVerdict {
    /// Within what the cores can serve.
    #[default]
    Ok,
    /// Many more sessions than the pool needs.
    Oversized,
    /// More active sessions than the cores can run.
    Saturated,
}

impl PoolVerdict {
    /// The JSON name (`ok`, `oversized`, `saturated`).
    pub fn as_str(self) -> &'static str {
        match self {
            PoolVerdict::Ok => "ok",
            PoolVerdict::Oversized => "oversized",
            PoolVerdict::Saturated => "saturated",
        }
    }
}

/// The sessions of the latest `pg_stat_activity` export of each server; null
/// when none was exported.
pub(super) fn sessions_now(
    dbs: &[DatabaseStats],
    opts: &StatsOptions,
    ts: FormatTime,
) -> Option<SessionsNow> {
    let latest = latest_per_server(dbs);
    if latest.is_empty() {
        return None;
    }
    let mut now = SessionsNow::default();
    let mut all: Vec<&Session> = Vec::new();
    for d in latest.values() {
        now.snapshot_at = now.snapshot_at.or(ts(d.view.taken_at));
        now.max_connections = now.max_connections.or(max_connections(d));
        all.extend(d.view.sessions.iter());
        now.locks_waiting += d.view.locks.iter().filter(|l| !l.granted).count() as u64;
        if !d.view.sessions.iter().any(|s| s.blocked_by_known) {
            now.blocked.extend(lock_pairs(&d.view.locks));
        }
    }
    client_sessions(&mut now, &all, opts.values_shown);
    let by_duration = |a: &SessionReport, b: &SessionReport| {
        b.duration_ms.cmp(&a.duration_ms).then(a.pid.cmp(&b.pid))
    };
    now.idle_in_transaction.sort_by(by_duration);
    now.long_running.sort_by(by_duration);
    now.waiting.sort_by(by_duration);
    now.blocked.sort_by_key(|p| (p.blocking_pid, p.blocked_pid));
    now.blocked
        .dedup_by_key(|p| (p.blocking_pid, p.blocked_pid));
    if let Some(cores) = opts.cpu_cores {
        now.pool = Some(pool_advice(&now, cores));
    }
    Some(now)
}

/// pg_stat_activity is cluster-wide: the latest export of each server.
fn latest_per_server(dbs: &[DatabaseStats]) -> BTreeMap<Option<String>, &DatabaseStats> {
    let mut latest: BTreeMap<Option<String>, &DatabaseStats> = BTreeMap::new();
    for d in dbs
        .iter()
        .filter(|d| d.view.views.contains("pg_stat_activity"))
    {
        let e = latest.entry(d.view.server.clone()).or_insert(d);
        if d.view.taken_at > e.view.taken_at {
            *e = d;
        }
    }
    latest
}

/// `max_connections` from the export's metadata, else its settings.
fn max_connections(d: &DatabaseStats) -> Option<u64> {
    d.view
        .meta
        .as_ref()
        .and_then(|m| m.max_connections)
        .or_else(|| {
            d.view
                .settings
                .get("max_connections")
                .and_then(|s| s.setting.parse().ok())
        })
}

/// Pairs from pg_locks, for exports without pg_blocking_pids: a waiting lock and
/// a granted one on the same object, in conflicting modes.
fn lock_pairs(locks: &[Lock]) -> Vec<BlockedPair> {
    let mut pairs = Vec::new();
    for w in locks.iter().filter(|l| !l.granted) {
        for h in locks.iter().filter(|h| {
            h.granted
                && h.pid != w.pid
                && h.locktype == w.locktype
                && h.object.is_some()
                && h.object == w.object
                && modes_conflict(&w.mode, &h.mode)
        }) {
            if let (Some(a), Some(b)) = (w.pid, h.pid) {
                pairs.push(BlockedPair {
                    blocked_pid: a,
                    blocking_pid: b,
                    blocked_query: None,
                    blocking_query: None,
                    blocking_state: None,
                });
            }
        }
    }
    pairs
}

/// Counts the client sessions and lists those idle in transaction,
/// long-running, waiting for a lock, or blocked.
fn client_sessions(now: &mut SessionsNow, all: &[&Session], values_shown: bool) {
    let report = |s: &Session, since: Option<Timestamp>| SessionReport {
        pid: s.pid,
        user: s.user.clone(),
        database: s.datname.clone(),
        app: s.app.clone(),
        state: s.state.clone(),
        duration_ms: match (since, s.snapshot_at) {
            (Some(a), Some(b)) => Some(b.0 - a.0),
            _ => None,
        },
        wait: s
            .wait_event_type
            .as_ref()
            .map(|t| format!("{t}: {}", s.wait_event.as_deref().unwrap_or(""))),
        query: masked(&s.query, values_shown),
    };
    let by_pid: BTreeMap<u64, &Session> =
        all.iter().filter_map(|s| s.pid.map(|p| (p, *s))).collect();
    for s in all.iter().filter(|s| s.is_client()) {
        now.total += 1;
        let state = s.state.clone().unwrap_or_else(|| "unknown".into());
        *now.by_state.entry(state.clone()).or_default() += 1;
        if let Some(db) = &s.datname {
            *now.by_database.entry(db.clone()).or_default() += 1;
        }
        if state.starts_with("idle in transaction") {
            now.idle_in_transaction.push(report(s, s.xact_start));
        }
        if state == "active"
            && let (Some(q), Some(at)) = (s.query_start, s.snapshot_at)
            && at.0 - q.0 > LONG_RUNNING_MS
        {
            now.long_running.push(report(s, s.query_start));
        }
        if s.wait_event_type.as_deref() == Some("Lock") {
            now.waiting.push(report(s, s.state_change));
        }
        for b in &s.blocked_by {
            let h = by_pid.get(b);
            now.blocked.push(BlockedPair {
                blocked_pid: s.pid.unwrap_or(0),
                blocking_pid: *b,
                blocked_query: masked(&s.query, values_shown),
                blocking_query: h.and_then(|h| masked(&h.query, values_shown)),
                blocking_state: h.and_then(|h| h.state.clone()),
            });
        }
    }
}

/// The query's first [`QUERY_CHARS`] characters, values masked unless shown.
fn masked(q: &Option<String>, values_shown: bool) -> Option<String> {
    q.as_ref().map(|q| {
        let q: String = q.chars().take(QUERY_CHARS).collect();
        if values_shown {
            q
        } else {
            normalize(&q).display
        }
    })
}

/// A pool of 2x to 3x the cores: saturated when more sessions are active than
/// that, oversized when there are more than four times as many connections.
fn pool_advice(now: &SessionsNow, cores: u32) -> PoolAdvice {
    let active = now.by_state.get("active").copied().unwrap_or(0);
    let (lo, hi) = (cores * 2, cores * 3);
    PoolAdvice {
        cpu_cores: cores,
        recommended_min: lo,
        recommended_max: hi,
        connections: now.total,
        active,
        verdict: if active > u64::from(hi) {
            PoolVerdict::Saturated
        } else if now.total > u64::from(hi) * 4 {
            PoolVerdict::Oversized
        } else {
            PoolVerdict::Ok
        },
    }
}

/// PostgreSQL's table of conflicting lock modes.
fn modes_conflict(a: &str, b: &str) -> bool {
    const MODES: [&str; 8] = [
        "AccessShareLock",
        "RowShareLock",
        "RowExclusiveLock",
        "ShareUpdateExclusiveLock",
        "ShareLock",
        "ShareRowExclusiveLock",
        "ExclusiveLock",
        "AccessExclusiveLock",
    ];
    // conflicts[i] lists the modes (by index) mode i conflicts with
    const CONFLICTS: [&[usize]; 8] = [
        &[7],
        &[6, 7],
        &[4, 5, 6, 7],
        &[3, 4, 5, 6, 7],
        &[2, 3, 5, 6, 7],
        &[2, 3, 4, 5, 6, 7],
        &[1, 2, 3, 4, 5, 6, 7],
        &[0, 1, 2, 3, 4, 5, 6, 7],
    ];
    match (
        MODES.iter().position(|m| *m == a),
        MODES.iter().position(|m| *m == b),
    ) {
        (Some(i), Some(j)) => CONFLICTS[i].contains(&j),
        _ => true,
    }
}

#[cfg(test)]
mod tests;
