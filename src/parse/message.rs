//! What a log message says: durations, statements, and the category of everything
//! else; bind parameters from `DETAIL:  parameters:`. Parameter lists are
//! parsed with nom; the fixed words every statement line starts with
//! (`duration:`, `statement:`, `execute <name>:`) are compared as bytes.

use nom::{
    IResult, Parser,
    branch::alt,
    bytes::complete::{tag, take_while_m_n, take_while1},
    combinator::opt,
    sequence::preceded,
};

/// Which protocol step a duration measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Simple query protocol (`statement:`, or `query:` in some versions).
    Statement,
    /// Extended protocol execute (`execute S_1:`, `execute <unnamed>:`, `execute P_1/C_1:`).
    Execute,
    /// Extended protocol parse: timed, not an execution.
    Parse,
    /// Extended protocol bind: timed, not an execution.
    Bind,
}

/// A classified message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message<'a> {
    /// `duration: X ms  <step> <name>: <sql>`.
    Timed { us: u64, step: Step, sql: &'a str },
    /// `duration: X ms` alone (log_duration): pairs with the pid's last statement.
    BareDuration { us: u64 },
    /// `statement: <sql>` or `execute <name>: <sql>` without duration (log_statement).
    Statement { step: Step, sql: &'a str },
    /// Recognized, not analyzed yet; the label says what it is.
    Other(&'static str),
    /// `connection authorized: user=U database=D [application_name=A] [SSL ...]`.
    ConnectionAuthorized {
        user: &'a str,
        db: &'a str,
        app: Option<&'a str>,
    },
    /// `disconnection: session time: H:MM:SS.mmm user=U database=D host=H ...`.
    Disconnection { session_ms: u64 },
    /// `duration: X ms  plan:` (auto_explain): the body after `plan:`.
    Plan { us: u64, body: &'a str },
    /// A message pgsift refuses to count: `duration: -5 ms`, `duration: NaN
    /// ms`, a duration over 30 years. Counted apart, with examples.
    Rejected(&'static str),
}

/// The value of `key=` in a space-separated `key=value` list.
fn kv<'a>(s: &'a str, key: &str) -> Option<&'a str> {
    s.split(' ')
        .find_map(|w| w.strip_prefix(key)?.strip_prefix('='))
}

/// `H:MM:SS.mmm` as milliseconds.
fn session_time(s: &str) -> Option<u64> {
    let mut parts = s.split(':');
    let h: u64 = parts.next()?.parse().ok()?;
    let m: u64 = parts.next()?.parse().ok()?;
    let sec: f64 = parts.next()?.parse().ok()?;
    Some(h * 3_600_000 + m * 60_000 + (sec * 1000.0).round() as u64)
}

/// Parses `12.345` milliseconds into whole microseconds, exactly; returns
/// what follows. A `.` with no digit after it is not part of the number.
fn millis_as_us(i: &str) -> Option<(&str, u64)> {
    let digits = |s: &str| s.bytes().take_while(u8::is_ascii_digit).count();
    let whole = digits(i);
    // more than 30 years: not a duration PostgreSQL wrote
    if whole == 0 || whole > 12 {
        return None;
    }
    let ms = i.as_bytes()[..whole]
        .iter()
        .fold(0u64, |v, d| v * 10 + u64::from(d - b'0'));
    let (frac, rest) = match i[whole..].strip_prefix('.').map(|f| (f, digits(f))) {
        Some((f, n)) if n > 0 => f.split_at(n),
        _ => ("", &i[whole..]),
    };
    let us = (0..3).fold(0u64, |us, k| {
        us * 10 + frac.as_bytes().get(k).map_or(0, |d| u64::from(d - b'0'))
    });
    Some((rest, ms * 1000 + us))
}

/// `duration: 12.345 ms`: the microseconds and what follows.
fn duration(i: &str) -> Option<(&str, u64)> {
    let (rest, us) = millis_as_us(i.strip_prefix("duration: ")?)?;
    Some((rest.strip_prefix(" ms")?, us))
}

/// `execute <name>: ` and friends: returns the step and what follows; the
/// protocol name is dropped.
fn step_with_name(i: &str) -> Option<(&str, Step)> {
    let (step, i) = if let Some(r) = i.strip_prefix("execute ") {
        (Step::Execute, r)
    } else if let Some(r) = i.strip_prefix("parse ") {
        (Step::Parse, r)
    } else {
        (Step::Bind, i.strip_prefix("bind ")?)
    };
    // the name ends at the first ": " (found by its colon: cheaper than a
    // substring searcher on every statement line)
    let b = i.as_bytes();
    let colon = memchr::memchr_iter(b':', b).find(|&c| b.get(c + 1) == Some(&b' '))?;
    Some((&i[colon + 2..], step))
}

/// `statement: SQL`, `query: SQL`, `execute <name>: SQL`, `parse ...`,
/// `bind ...`: the step and the SQL (the rest of the message). Fixed words,
/// compared as bytes: this runs on every entry of a statement log.
fn step_and_sql(i: &str) -> Option<(Step, &str)> {
    if let Some(sql) = i
        .strip_prefix("statement: ")
        .or_else(|| i.strip_prefix("query: "))
    {
        return Some((Step::Statement, sql));
    }
    step_with_name(i).map(|(sql, step)| (step, sql))
}

/// The [`Message`] kinds a statement-heavy log is made of, with the SQL as an
/// offset into the message: what a worker classifies ahead, handed on with the
/// entry so the message is classified once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Classified {
    Timed { us: u64, step: Step, sql_at: u32 },
    BareDuration { us: u64 },
    Statement { step: Step, sql_at: u32 },
}

impl Classified {
    /// `msg` classified, when it is one of these kinds.
    pub fn of(msg: &str) -> Option<Classified> {
        // the SQL is always the rest of the message
        let at = |sql: &str| u32::try_from(msg.len() - sql.len()).ok();
        match classify(msg) {
            Message::Timed { us, step, sql } => Some(Classified::Timed {
                us,
                step,
                sql_at: at(sql)?,
            }),
            Message::BareDuration { us } => Some(Classified::BareDuration { us }),
            Message::Statement { step, sql } => Some(Classified::Statement {
                step,
                sql_at: at(sql)?,
            }),
            _ => None,
        }
    }

    /// The classification of `msg` (the message this was computed from).
    pub fn message(self, msg: &str) -> Message<'_> {
        match self {
            Classified::Timed { us, step, sql_at } => Message::Timed {
                us,
                step,
                sql: &msg[sql_at as usize..],
            },
            Classified::BareDuration { us } => Message::BareDuration { us },
            Classified::Statement { step, sql_at } => Message::Statement {
                step,
                sql: &msg[sql_at as usize..],
            },
        }
    }

    /// The SQL text in `msg` (the message this was computed from).
    pub fn sql(self, msg: &str) -> Option<&str> {
        match self {
            Classified::Timed { sql_at, .. } | Classified::Statement { sql_at, .. } => {
                Some(&msg[sql_at as usize..])
            }
            Classified::BareDuration { .. } => None,
        }
    }
}

/// Classifies a primary message.
pub fn classify(msg: &str) -> Message<'_> {
    if msg.starts_with("duration: ") && duration(msg).is_none() {
        return Message::Rejected("impossible duration (negative, not a number or over 30 years)");
    }
    if let Some((after, us)) = duration(msg) {
        if after.is_empty() {
            return Message::BareDuration { us };
        }
        // two spaces as PostgreSQL writes them, or one (a shipper collapsed them)
        if let Some(body) = after.strip_prefix(' ').map(|b| b.trim_start_matches(' ')) {
            if let Some((step, sql)) = step_and_sql(body) {
                return Message::Timed { us, step, sql };
            }
            if let Some(plan) = body.strip_prefix("plan:") {
                return Message::Plan { us, body: plan };
            }
        }
        return Message::Other("other duration");
    }
    if let Some((step, sql)) = step_and_sql(msg) {
        return match step {
            Step::Statement | Step::Execute => Message::Statement { step, sql },
            Step::Parse | Step::Bind => Message::Other("parse/bind without duration"),
        };
    }
    if let Some(rest) = msg.strip_prefix("connection authorized: ")
        && let (Some(user), Some(db)) = (kv(rest, "user"), kv(rest, "database"))
    {
        return Message::ConnectionAuthorized {
            user,
            db,
            app: kv(rest, "application_name"),
        };
    }
    if let Some(session_ms) = msg
        .strip_prefix("disconnection: session time: ")
        .and_then(|rest| rest.split(' ').next())
        .and_then(session_time)
    {
        return Message::Disconnection { session_ms };
    }
    Message::Other(category(msg))
}

/// A label for messages that are recognized but not analyzed yet.
fn category(msg: &str) -> &'static str {
    const CATEGORIES: &[(&str, &str)] = &[
        ("connection received", "connection"),
        ("connection authorized", "connection"),
        ("connection authenticated", "connection"),
        ("disconnection", "disconnection"),
        ("checkpoint", "checkpoint"),
        ("restartpoint", "checkpoint"),
        ("automatic vacuum", "autovacuum"),
        ("automatic aggressive vacuum", "autovacuum"),
        ("automatic analyze", "autoanalyze"),
        ("temporary file", "temporary file"),
        ("deadlock detected", "deadlock"),
        ("canceling statement", "cancellation"),
        ("canceling autovacuum", "cancellation"),
        ("password authentication failed", "authentication failure"),
        ("database system", "server lifecycle"),
        ("starting PostgreSQL", "server lifecycle"),
        ("listening on", "server lifecycle"),
        ("shutting down", "server lifecycle"),
        ("received fast shutdown", "server lifecycle"),
        ("received immediate shutdown", "server lifecycle"),
        ("aborting any active transactions", "server lifecycle"),
        ("redo ", "server lifecycle"),
        ("received smart shutdown", "server lifecycle"),
        ("background worker", "server lifecycle"),
        ("parameter \"", "configuration"),
        ("received SIGHUP", "configuration"),
    ];
    if msg.starts_with("process ")
        && (msg.contains(" still waiting for ")
            || msg.contains(" acquired ")
            || msg.contains(" detected deadlock "))
    {
        return "lock wait";
    }
    CATEGORIES
        .iter()
        .find(|(p, _)| msg.starts_with(p))
        .map_or("other message", |(_, c)| c)
}

/// One bind parameter: its number and value (`None` for NULL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    pub n: u32,
    pub value: Option<String>,
}

fn quoted_value(i: &str) -> IResult<&str, String> {
    let (mut i, _) = tag("'").parse(i)?;
    let mut s = String::new();
    loop {
        let (r, chunk) = opt(take_while1(|c| c != '\'')).parse(i)?;
        s.push_str(chunk.unwrap_or(""));
        let (r, _) = tag("'").parse(r)?;
        if let Ok((r2, _)) = tag::<&str, &str, nom::error::Error<&str>>("'").parse(r) {
            s.push('\'');
            i = r2;
        } else {
            return Ok((r, s));
        }
    }
}

fn param(i: &str) -> IResult<&str, Param> {
    let (i, n) = preceded(tag("$"), take_while_m_n(1, 6, |c: char| c.is_ascii_digit())).parse(i)?;
    let (i, _) = tag(" = ").parse(i)?;
    let (i, value) = alt((tag("NULL").map(|_| None), quoted_value.map(Some))).parse(i)?;
    Ok((
        i,
        Param {
            n: n.parse().unwrap_or(0),
            value,
        },
    ))
}

/// Parses `parameters: $1 = '42', $2 = NULL` (also `Parameters:`), values with
/// doubled quotes, `, ` and newlines inside. Returns `None` when the detail is not a
/// parameter list; stops at the first value it cannot read (a truncated value).
pub fn parse_parameters(detail: &str) -> Option<Vec<Param>> {
    let body = detail
        .strip_prefix("parameters: ")
        .or_else(|| detail.strip_prefix("Parameters: "))?;
    let mut out = Vec::new();
    let mut i = body;
    while let Ok((r, p)) = param(i) {
        out.push(p);
        match r.strip_prefix(", ") {
            Some(next) => i = next,
            None => break,
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_read_exactly_or_not_at_all() {
        let bare = |m: &str| match classify(m) {
            Message::BareDuration { us } => Some(us),
            _ => None,
        };
        assert_eq!(bare("duration: 0.001 ms"), Some(1));
        assert_eq!(bare("duration: 7 ms"), Some(7000));
        // digits past the microsecond are dropped, not rounded
        assert_eq!(bare("duration: 12.3459 ms"), Some(12_345));
        assert_eq!(
            bare("duration: 999999999999.999 ms"),
            Some(999_999_999_999_999)
        );
        // a point with no digit after it, 13 digits, no unit, no number: not durations
        assert_eq!(bare("duration: 12. ms"), None);
        assert_eq!(bare("duration: 1000000000000 ms"), None);
        assert_eq!(bare("duration: 12.5"), None);
        assert_eq!(bare("duration: .5 ms"), None);
        assert_eq!(bare("duration:  1 ms"), None);
        // a step word without its name's colon is not a statement
        assert_eq!(
            classify("execute S_1 SELECT 1"),
            Message::Other(category("execute S_1 SELECT 1"))
        );
        assert_eq!(
            classify("duration: 1 ms  bind S_1:x"),
            Message::Other("other duration")
        );
    }

    #[test]
    fn durations_and_steps() {
        assert_eq!(
            classify("duration: 2.280 ms  statement: END;"),
            Message::Timed {
                us: 2280,
                step: Step::Statement,
                sql: "END;"
            }
        );
        assert_eq!(
            classify("duration: 0.5 ms  execute <unnamed>: SELECT $1"),
            Message::Timed {
                us: 500,
                step: Step::Execute,
                sql: "SELECT $1"
            }
        );
        assert_eq!(
            classify("duration: 10 ms  execute P_1/C_1: FETCH 5"),
            Message::Timed {
                us: 10_000,
                step: Step::Execute,
                sql: "FETCH 5"
            }
        );
        assert_eq!(
            classify("duration: 1.163 ms  parse njTypeOidQuery_Name: SELECT 1"),
            Message::Timed {
                us: 1163,
                step: Step::Parse,
                sql: "SELECT 1"
            }
        );
        assert_eq!(
            classify("duration: 0.700 ms  bind S_1: x").clone(),
            Message::Timed {
                us: 700,
                step: Step::Bind,
                sql: "x"
            }
        );
        assert_eq!(
            classify("duration: 1234.5678 ms"),
            Message::BareDuration { us: 1_234_567 }
        );
        assert_eq!(
            classify("statement: SELECT 1"),
            Message::Statement {
                step: Step::Statement,
                sql: "SELECT 1"
            }
        );
        assert_eq!(
            classify("execute S_1: SELECT 1"),
            Message::Statement {
                step: Step::Execute,
                sql: "SELECT 1"
            }
        );
        assert_eq!(
            classify("duration: 5.0 ms  plan:\n Query Text: x").clone(),
            Message::Plan {
                us: 5000,
                body: "\n Query Text: x"
            }
        );
    }

    #[test]
    fn connections() {
        assert_eq!(
            classify(
                "connection authorized: user=cloudsqladmin database=postgres SSL enabled (protocol=TLSv1.3, bits=128)"
            ),
            Message::ConnectionAuthorized {
                user: "cloudsqladmin",
                db: "postgres",
                app: None
            }
        );
        assert_eq!(
            classify(
                "connection authorized: user=report@corp.example database=shop-eu application_name=billing-api"
            ),
            Message::ConnectionAuthorized {
                user: "report@corp.example",
                db: "shop-eu",
                app: Some("billing-api")
            }
        );
        assert_eq!(
            classify(
                "disconnection: session time: 1:02:03.456 user=u database=d host=127.0.0.1 port=5"
            ),
            Message::Disconnection {
                session_ms: 3_723_456
            }
        );
    }

    #[test]
    fn categories() {
        assert_eq!(
            classify("connection received: host=127.0.0.1 port=5"),
            Message::Other("connection")
        );
        assert_eq!(
            classify("process 12 still waiting for ShareLock on transaction 5 after 1000.050 ms"),
            Message::Other("lock wait")
        );
        assert_eq!(classify("something new"), Message::Other("other message"));
    }

    #[test]
    fn parameters_with_commas_quotes_newlines() {
        let p = parse_parameters(
            "parameters: $1 = 'a, b', $2 = NULL, $3 = 'O''Brien\nline2', $4 = '42'",
        )
        .unwrap();
        assert_eq!(p.len(), 4);
        assert_eq!(p[0].value.as_deref(), Some("a, b"));
        assert_eq!(p[1].value, None);
        assert_eq!(p[2].value.as_deref(), Some("O'Brien\nline2"));
        assert_eq!(p[3].n, 4);
        assert_eq!(parse_parameters("Parameters: $1 = 'x'").unwrap().len(), 1);
        assert!(parse_parameters("Process holding the lock: 1").is_none());
    }
}
