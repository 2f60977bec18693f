//! "Connections and blocking (snapshot)": sessions by state against
//! max_connections, pool sizing for the core count, sessions idle in a
//! transaction, long-running or waiting, and who blocks whom.

use crate::analyze::Audit;
use crate::analyze::stats::PoolVerdict;
use crate::report::rows::Card;
use crate::units::{count, duration_ms, percent};
use askama::Template;

/// One notable session at the snapshot.
#[derive(Debug, Clone, Default)]
pub struct SessionRow {
    /// `idle in transaction`, `long-running` or `waiting for a lock`.
    pub kind: &'static str,
    pub pid: String,
    /// `user@database application`.
    pub who: String,
    pub duration: String,
    pub wait: String,
    pub query: String,
}

/// A blocked session and the one blocking it.
#[derive(Debug, Clone, Default)]
pub struct BlockedRow {
    pub blocked_pid: String,
    pub blocked_query: String,
    pub blocking_pid: String,
    pub blocking_state: String,
    pub blocking_query: String,
}

#[derive(Debug, Default, Template)]
#[template(path = "sections/connections.html")]
pub struct ConnectionsSection {
    /// A pg_stat_activity export was given.
    pub session_present: bool,
    pub session_cards: Vec<Card>,
    pub by_state: String,
    pub pool: String,
    pub sessions: Vec<SessionRow>,
    pub blocked: Vec<BlockedRow>,
}

pub fn build(a: &Audit, top: usize) -> ConnectionsSection {
    let Some(n) = &a.stats.activity else {
        return ConnectionsSection::default();
    };
    let mut sessions = Vec::new();
    for (kind, list) in [
        ("idle in transaction", &n.idle_in_transaction),
        ("long-running", &n.long_running),
        ("waiting for a lock", &n.waiting),
    ] {
        for x in list.iter().take(top) {
            sessions.push(SessionRow {
                kind,
                pid: x.pid.map(|p| p.to_string()).unwrap_or_default(),
                who: format!(
                    "{}@{} {}",
                    x.user.as_deref().unwrap_or("?"),
                    x.database.as_deref().unwrap_or("?"),
                    x.app.as_deref().unwrap_or("")
                ),
                duration: x
                    .duration_ms
                    .map_or_else(|| "-".into(), |d| duration_ms(d as f64)),
                wait: x.wait.clone().unwrap_or_default(),
                query: x.query.clone().unwrap_or_default(),
            });
        }
    }
    ConnectionsSection {
        session_present: true,
        session_cards: cards(a),
        by_state: n
            .by_state
            .iter()
            .map(|(k, v)| format!("{k} {}", count(*v)))
            .collect::<Vec<_>>()
            .join(", "),
        pool: pool(a),
        sessions,
        blocked: n
            .blocked
            .iter()
            .take(top)
            .map(|b| BlockedRow {
                blocked_pid: b.blocked_pid.to_string(),
                blocked_query: b.blocked_query.clone().unwrap_or_default(),
                blocking_pid: b.blocking_pid.to_string(),
                blocking_state: b.blocking_state.clone().unwrap_or_default(),
                blocking_query: b.blocking_query.clone().unwrap_or_default(),
            })
            .collect(),
    }
}

fn cards(a: &Audit) -> Vec<Card> {
    let Some(n) = &a.stats.activity else {
        return Vec::new();
    };
    vec![
        Card {
            label: "Client sessions",
            value: count(n.total),
            note: match n.max_connections {
                Some(m) => format!(
                    "of max_connections {} ({})",
                    count(m),
                    percent(n.total as f64 / m.max(1) as f64)
                ),
                None => format!("at {}", n.snapshot_at.as_deref().unwrap_or("?")),
            },
        },
        Card {
            label: "Active",
            value: count(n.by_state.get("active").copied().unwrap_or(0)),
            note: "running a statement at the snapshot".into(),
        },
        Card {
            label: "Idle in transaction",
            value: count(n.idle_in_transaction.len() as u64),
            note: "hold locks and snapshots while the application does something else".into(),
        },
        Card {
            label: "Blocked",
            value: count(n.blocked.len() as u64),
            note: format!(
                "blocked/blocking pairs; {} locks not granted",
                count(n.locks_waiting)
            ),
        },
    ]
}

/// Pool sizing for the core count (2-3 active connections per core), or what
/// it needs.
fn pool(a: &Audit) -> String {
    let Some(p) = a.stats.activity.as_ref().and_then(|n| n.pool.as_ref()) else {
        return "Pool sizing needs the server's core count: pass --cpu-cores N.".into();
    };
    format!(
        "With {} CPU cores, {}-{} active connections keep every core busy without queueing inside PostgreSQL (2-3x cores). At the snapshot: {} sessions, {} active: {}.",
        p.cpu_cores,
        p.recommended_min,
        p.recommended_max,
        count(p.connections),
        count(p.active),
        match p.verdict {
            PoolVerdict::Saturated =>
                "more active sessions than the cores can run: they queue for CPU; cap the pool",
            PoolVerdict::Oversized =>
                "far more sessions than needed: put a pooler (PgBouncer, transaction mode) in front and size it to the cores",
            PoolVerdict::Ok => "within what the cores can serve",
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_an_activity_export_the_section_says_so() {
        let s = build(&Audit::default(), 5);
        assert!(!s.session_present);
        assert!(s.session_cards.is_empty());
    }

    #[test]
    fn sessions_are_listed_by_kind_each_bounded_by_top() {
        let mut a = Audit::default();
        let mut n = crate::analyze::stats::SessionsNow {
            idle_in_transaction: vec![Default::default(), Default::default()],
            waiting: vec![Default::default()],
            ..Default::default()
        };
        n.waiting[0].pid = Some(42);
        a.stats.activity = Some(n);
        let s = build(&a, 1);
        let kinds: Vec<&str> = s.sessions.iter().map(|r| r.kind).collect();
        assert_eq!(kinds, ["idle in transaction", "waiting for a lock"]);
        assert_eq!(s.sessions[1].pid, "42");
        assert_eq!(s.sessions[1].who, "?@? ");
        assert_eq!(s.session_cards[2].value, "2");
        assert!(
            s.pool
                .starts_with("Pool sizing needs the server's core count")
        );
    }

    #[test]
    fn the_pool_verdict_is_spelled_out() {
        let mut a = Audit::default();
        a.stats.activity = Some(crate::analyze::stats::SessionsNow {
            pool: Some(crate::analyze::stats::PoolAdvice {
                verdict: PoolVerdict::Saturated,
                ..Default::default()
            }),
            ..Default::default()
        });
        assert!(pool(&a).ends_with("they queue for CPU; cap the pool."));
    }
}
