//! "pgBouncer": the pool as pgBouncer's log shows it (only when one was
//! read): how busy, how long clients waited for a server connection, clients
//! refused at `max_client_conn`, failed logins and why connections closed.

use crate::analyze::Audit;
use crate::report::rows::Card;
use crate::units::{count, duration_ms};
use askama::Template;

#[derive(Debug, Default, Template)]
#[template(path = "sections/pgbouncer.html")]
pub struct PgbouncerSection {
    /// No pgBouncer log was read: the section is not shown.
    pub absent: bool,
    pub pool_cards: Vec<Card>,
    /// (reason, count), most first.
    pub closing: Vec<(String, String)>,
    pub pool_advice: String,
}

pub fn build(audit: &Audit, _top: usize) -> PgbouncerSection {
    let Some(p) = &audit.activity.pooler else {
        return PgbouncerSection {
            absent: true,
            ..Default::default()
        };
    };
    let failures: u64 = p.login_failures.values().sum();
    let pool_cards = vec![
        Card {
            label: "Clients waited",
            value: format!("{} of {}", count(p.waited_intervals), count(p.intervals)),
            note: "stats periods in which clients waited for a server connection".into(),
        },
        Card {
            label: "Longest average wait",
            value: duration_ms(p.peak_wait_ms),
            note: match (&p.peak_wait_at, p.mean_wait_ms) {
                (Some(at), Some(mean)) => format!(
                    "at {at}; {} on average over the periods that waited",
                    duration_ms(mean)
                ),
                _ => "no client waited".into(),
            },
        },
        Card {
            label: "Busiest period",
            value: format!("{} xacts/s", count(p.peak_xacts_per_s)),
            note: format!(
                "{} queries/s at peak; transaction {}, query {} on average then",
                count(p.peak_queries_per_s),
                duration_ms(p.busiest_xact_ms),
                duration_ms(p.busiest_query_ms)
            ),
        },
        Card {
            label: "Refused",
            value: count(p.refused),
            note: "clients refused at max_client_conn".into(),
        },
        Card {
            label: "Failed logins",
            value: count(failures),
            note: p
                .login_failures
                .iter()
                .map(|(u, n)| format!("{u} {n}"))
                .collect::<Vec<_>>()
                .join(", "),
        },
    ];
    let mut closing: Vec<(String, u64)> = p.closing.iter().map(|(k, v)| (k.clone(), *v)).collect();
    closing.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let pool_advice = if p.waited_intervals > 0 || p.refused > 0 {
        "Clients waited for a server connection or were refused: the pool is smaller than the concurrency the application asks for. Before raising default_pool_size, check that the server's active sessions stay within 2-3x its CPU cores (the connection pool item of the checklist); shorter transactions free server connections sooner. Rollback: set the pool size back and RELOAD pgBouncer.".into()
    } else {
        String::new()
    };
    PgbouncerSection {
        absent: false,
        pool_cards,
        closing: closing.into_iter().map(|(k, v)| (k, count(v))).collect(),
        pool_advice,
    }
}
