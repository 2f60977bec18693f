//! pgBouncer's own log (`logfile`, or its stderr/syslog lines):
//! `2026-12-04 11:31:42.318 UTC [13630] LOG stats: 619 xacts/s, 4225
//! queries/s, in 1841068 B/s, out 112994 B/s, xact 2340 us, query 320 us,
//! wait 653800 us`, a severity word without a colon. Read into
//! [`PoolerEvent`]s: the periodic `stats:` figures (averages over
//! `stats_period`), failed logins, `closing because:` reasons and
//! `max_client_conn` refusals; every other pgBouncer line is counted as not
//! analyzed.

use super::events::Event;
use super::timestamp::{Timestamp, datetime_zone};
use serde::{Deserialize, Serialize};

/// What one pgBouncer line says about the pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PoolerEvent {
    /// A `stats:` line: per-second averages over the stats period; times in µs.
    Stats {
        ts: Option<Timestamp>,
        xacts: u64,
        queries: u64,
        xact_us: u64,
        query_us: u64,
        /// Average time clients waited for a server connection.
        wait_us: u64,
    },
    /// A client's login that failed (`password authentication failed`).
    LoginFailed { user: String, reason: String },
    /// A connection closed (`C-` client, `S-` server) with its reason.
    Closing { server: bool, reason: String },
    /// A client refused: `no more connections allowed (max_client_conn)`.
    Refused { reason: String },
}

/// Streams pgBouncer lines into events.
#[derive(Debug, Default)]
pub struct PgbouncerParser {
    line_no: u64,
    zones: Vec<String>,
}

impl PgbouncerParser {
    /// Feeds one line.
    pub fn push_line(&mut self, line: &str, out: &mut impl FnMut(Event)) {
        self.line_no += 1;
        if line.trim().is_empty() {
            return out(Event::Blank);
        }
        if let Some((_, zone, _, _)) = split(line)
            && !self.zones.iter().any(|z| z == zone)
        {
            self.zones.push(zone.to_string());
        }
        out(event(line, self.line_no));
    }

    pub fn zones(&self) -> &[String] {
        &self.zones
    }
}

/// (timestamp, zone, severity, message) of a pgBouncer line: a timestamp with
/// its zone, `[pid]`, then a severity word and a space (no colon, unlike
/// PostgreSQL).
fn split(line: &str) -> Option<(Option<Timestamp>, &str, &str, &str)> {
    let (rest, (ts, zone)) = datetime_zone(line).ok()?;
    let rest = rest.strip_prefix(" [")?;
    let (pid, rest) = rest.split_once("] ")?;
    if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (level, msg) = rest.split_once(' ')?;
    matches!(
        level,
        "LOG" | "WARNING" | "ERROR" | "FATAL" | "NOTICE" | "DEBUG" | "NOISE"
    )
    .then_some((Some(ts), zone, level, msg))
}

/// `u64` before `suffix` in a `stats:` line (`619 xacts/s`).
fn figure(msg: &str, suffix: &str) -> Option<u64> {
    let at = msg.find(suffix)?;
    msg[..at].rsplit([' ', ',']).next()?.parse().ok()
}

/// The `C-0x...: db/user@host:port ` head of a connection's message, and the
/// rest: (is a server connection, user, rest).
fn connection(msg: &str) -> Option<(bool, &str, &str)> {
    let server = msg.starts_with("S-0x");
    if !server && !msg.starts_with("C-0x") {
        return None;
    }
    let (_, rest) = msg.split_once(": ")?;
    let (who, rest) = rest.split_once(' ')?;
    let user = who
        .split_once('/')
        .map(|(_, u)| u.split('@').next().unwrap_or(u))
        .unwrap_or("");
    Some((server, user, rest))
}

/// Reads a pgBouncer log line into an event.
pub fn event(line: &str, line_no: u64) -> Event {
    let Some((ts, _, _, msg)) = split(line) else {
        return Event::Unrecognized {
            line: line_no,
            text: line.to_string(),
            lines: 1,
        };
    };
    if let Some(stats) = msg.strip_prefix("stats: ") {
        let f = |s: &str| figure(stats, s).unwrap_or(0);
        return Event::Pooler(PoolerEvent::Stats {
            ts,
            xacts: f(" xacts/s"),
            queries: f(" queries/s"),
            xact_us: figure(stats, " us, query").unwrap_or(0),
            query_us: figure(stats, " us, wait").unwrap_or(0),
            wait_us: stats
                .rsplit_once("wait ")
                .and_then(|(_, w)| w.trim_end_matches(" us").parse().ok())
                .unwrap_or(0),
        });
    }
    if let Some((server, user, rest)) = connection(msg) {
        if let Some(reason) = rest.strip_prefix("closing because: ") {
            // `(age=12s)` differs per connection
            let reason = reason.rsplit_once(" (age=").map_or(reason, |(r, _)| r);
            return Event::Pooler(PoolerEvent::Closing {
                server,
                reason: reason.to_string(),
            });
        }
        if let Some(reason) = rest.strip_prefix("pooler error: ") {
            if reason.starts_with("no more connections allowed") {
                return Event::Pooler(PoolerEvent::Refused {
                    reason: reason.to_string(),
                });
            }
            if reason.contains("authentication failed") {
                return Event::Pooler(PoolerEvent::LoginFailed {
                    user: user.to_string(),
                    reason: reason.to_string(),
                });
            }
        }
    }
    Event::Ignored {
        category: "pgBouncer message",
        lines: 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_refusals_and_failed_logins() {
        let l = "2026-12-04 11:31:43.318 UTC [13630] LOG stats: 619 xacts/s, 4225 queries/s, in 1841068 B/s, out 112994 B/s, xact 2340 us, query 320 us, wait 653800 us";
        match event(l, 1) {
            Event::Pooler(PoolerEvent::Stats {
                xacts,
                queries,
                xact_us,
                query_us,
                wait_us,
                ..
            }) => assert_eq!(
                (xacts, queries, xact_us, query_us, wait_us),
                (619, 4225, 2340, 320, 653_800)
            ),
            other => panic!("{other:?}"),
        }
        let refused = "2026-12-04 11:31:45.001 UTC [13630] WARNING C-0x5650b5e4c710: (nodb)/(nouser)@127.0.0.1:49236 pooler error: no more connections allowed (max_client_conn)";
        assert!(matches!(
            event(refused, 2),
            Event::Pooler(PoolerEvent::Refused { .. })
        ));
        let failed = "2026-12-04 11:31:44.001 UTC [13630] WARNING C-0x5650b5e4bff0: bench/app@127.0.0.1:49152 pooler error: SASL authentication failed";
        assert_eq!(
            event(failed, 3),
            Event::Pooler(PoolerEvent::LoginFailed {
                user: "app".into(),
                reason: "SASL authentication failed".into()
            })
        );
        let closing = "2026-12-04 11:31:44.101 UTC [13630] LOG S-0x5650b5e53210: bench/app@127.0.0.1:54336 closing because: server idle timeout (age=60s)";
        assert_eq!(
            event(closing, 4),
            Event::Pooler(PoolerEvent::Closing {
                server: true,
                reason: "server idle timeout".into()
            })
        );
        // a PostgreSQL line is not one
        assert!(matches!(
            event(
                "2026-12-04 11:31:43.318 UTC [13630] LOG:  duration: 1 ms",
                5
            ),
            Event::Unrecognized { .. }
        ));
    }
}
