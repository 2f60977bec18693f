//! "Sessions": connections, the peak of concurrent sessions, who connects and
//! failed logins, from log_connections / log_disconnections.

use crate::analyze::Audit;
use crate::report::rows::{Card, who};
use crate::units::{count, duration_ms};
use askama::Template;

/// Who connects, by one attribute: `Users` -> `alice (3), bob (1)`.
#[derive(Debug, Clone, Default)]
pub struct WhoRow {
    pub label: &'static str,
    pub who: String,
}

/// Failed logins of one user from one host.
#[derive(Debug, Clone, Default)]
pub struct AuthFailureRow {
    pub user: String,
    pub host: String,
    pub failures: String,
}

#[derive(Debug, Default, Template)]
#[template(path = "sections/sessions.html")]
pub struct SessionsSection {
    /// No connection entry in the log at all.
    pub no_connections: bool,
    pub session_cards: Vec<Card>,
    pub session_rows: Vec<WhoRow>,
    pub auth: Vec<AuthFailureRow>,
}

pub fn build(audit: &Audit, _top: usize) -> SessionsSection {
    let a = &audit.activity;
    let s = &a.sessions;
    let session_rows: Vec<WhoRow> = [
        ("Users", &s.by_user),
        ("Databases", &s.by_database),
        ("Applications", &s.by_app),
        ("Client hosts", &s.by_client),
    ]
    .into_iter()
    .filter(|(_, m)| !m.is_empty())
    .map(|(label, m)| WhoRow { label, who: who(m) })
    .collect();
    SessionsSection {
        no_connections: session_rows.is_empty() && s.connections_received == 0,
        session_cards: cards(audit),
        session_rows,
        auth: a
            .auth_failures
            .iter()
            .map(|f| AuthFailureRow {
                user: f.user.clone(),
                host: f.host.clone(),
                failures: count(f.count),
            })
            .collect(),
    }
}

fn cards(audit: &Audit) -> Vec<Card> {
    let s = &audit.activity.sessions;
    vec![
        Card {
            label: "Connections",
            value: count(s.connections_received),
            note: format!(
                "{} authorized, {} failed logins",
                count(s.connections_authorized),
                count(s.failures)
            ),
        },
        Card {
            label: "Peak concurrent sessions",
            value: s.peak_concurrent.map_or("-".into(), |p| {
                let about = if s.peak_approximate { "~" } else { "" };
                format!("{about}{}", count(p.max(0) as u64))
            }),
            note: match (&s.peak_at, s.peak_concurrent) {
                (Some(t), _) if s.peak_approximate => {
                    format!("approximately, at {t} (whole-second timestamps)")
                }
                (Some(t), _) => format!("at {t}"),
                (None, None) => "needs log_disconnections".into(),
                (None, Some(_)) => "-".into(),
            },
        },
        Card {
            label: "Sessions ended",
            value: count(s.disconnections),
            note: s
                .mean_session_ms
                .map_or("-".into(), |m| format!("mean session {}", duration_ms(m))),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_peak_from_whole_seconds_is_marked_approximate() {
        let mut a = Audit::default();
        let s = &mut a.activity.sessions;
        s.peak_concurrent = Some(9);
        s.peak_at = Some("2026-12-04 08:21:07".into());
        let peak = |a: &Audit| {
            let c = cards(a).remove(1);
            (c.value, c.note)
        };
        assert_eq!(peak(&a), ("9".into(), "at 2026-12-04 08:21:07".into()));
        a.activity.sessions.peak_approximate = true;
        assert_eq!(
            peak(&a),
            (
                "~9".into(),
                "approximately, at 2026-12-04 08:21:07 (whole-second timestamps)".into()
            )
        );
    }
}
