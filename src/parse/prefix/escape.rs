//! The `%` escapes of `log_line_prefix`: which letter is which field, and how
//! each escape's value is read from a line (timestamps, numbers, session ids)
//! or stored (free text such as user and database names).

use super::PrefixFields;
use crate::parse::timestamp::{datetime_zone, epoch};
use nom::{
    IResult, Parser,
    bytes::complete::{tag, take_while_m_n, take_while1},
    combinator::{opt, recognize},
};

/// One `%` escape of `log_line_prefix`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escape {
    App,
    User,
    Db,
    HostPort,
    Host,
    BackendType,
    Pid,
    LeaderPid,
    Ts,
    TsMs,
    Epoch,
    CmdTag,
    SqlState,
    SessionId,
    LineNum,
    SessionStart,
    Vxid,
    Xid,
    QueryId,
}

impl Escape {
    pub(super) fn from_char(c: char) -> Option<Escape> {
        Some(match c {
            'a' => Escape::App,
            'u' => Escape::User,
            'd' => Escape::Db,
            'r' => Escape::HostPort,
            'h' => Escape::Host,
            'b' => Escape::BackendType,
            'p' => Escape::Pid,
            'P' => Escape::LeaderPid,
            't' => Escape::Ts,
            'm' => Escape::TsMs,
            'n' => Escape::Epoch,
            'i' => Escape::CmdTag,
            'e' => Escape::SqlState,
            'c' => Escape::SessionId,
            'l' => Escape::LineNum,
            's' => Escape::SessionStart,
            'v' => Escape::Vxid,
            'x' => Escape::Xid,
            'Q' => Escape::QueryId,
            _ => return None,
        })
    }

    #[inline]
    pub(super) fn is_free_text(self) -> bool {
        matches!(
            self,
            Escape::App
                | Escape::User
                | Escape::Db
                | Escape::HostPort
                | Escape::Host
                | Escape::BackendType
                | Escape::CmdTag
        )
    }
}

pub(super) fn digits(i: &str) -> IResult<&str, &str> {
    take_while1(|c: char| c.is_ascii_digit()).parse(i)
}

/// The leading decimal digits of `s` as a number (`None` when there are none
/// or it overflows), and how many bytes they take.
#[inline]
fn number<T: TryFrom<u64>>(s: &str) -> (Option<T>, usize) {
    let mut v: Option<u64> = Some(0);
    let mut n = 0;
    for c in s.bytes() {
        if !c.is_ascii_digit() {
            break;
        }
        v = v
            .and_then(|v| v.checked_mul(10))
            .and_then(|v| v.checked_add(u64::from(c - b'0')));
        n += 1;
    }
    (v.and_then(|v| T::try_from(v).ok()), n)
}

fn hex(i: &str) -> IResult<&str, &str> {
    take_while1(|c: char| c.is_ascii_hexdigit()).parse(i)
}

/// Tries a typed escape at the start of `s`; returns the length consumed.
pub(super) fn match_typed<'a>(esc: Escape, s: &'a str, f: &mut PrefixFields<'a>) -> Option<usize> {
    let consumed = |rest: &str| s.len() - rest.len();
    match esc {
        Escape::Ts | Escape::TsMs | Escape::SessionStart => {
            // %m always prints milliseconds, %t and %s never do.
            let has_ms = s.as_bytes().get(19) == Some(&b'.');
            if has_ms != (esc == Escape::TsMs) {
                return None;
            }
            let (rest, (ts, tz)) = datetime_zone(s).ok()?;
            if esc != Escape::SessionStart {
                f.ts = Some(ts);
                f.tz = Some(tz);
            }
            Some(consumed(rest))
        }
        Escape::Epoch => {
            let (rest, ts) = epoch(s).ok()?;
            f.ts = Some(ts);
            f.tz = Some("UTC");
            Some(consumed(rest))
        }
        Escape::Pid | Escape::LeaderPid => {
            let (v, n) = number(s);
            if n == 0 {
                return None;
            }
            if esc == Escape::Pid {
                f.pid = v;
            } else {
                f.leader_pid = v;
            }
            Some(n)
        }
        Escape::LineNum | Escape::Xid => {
            let (v, n) = number(s);
            if n == 0 {
                return None;
            }
            if esc == Escape::LineNum {
                f.line_num = v;
            }
            Some(n)
        }
        Escape::SessionId => {
            let (rest, id) = recognize((hex, tag("."), hex)).parse(s).ok()?;
            f.session_id = Some(id);
            Some(consumed(rest))
        }
        Escape::Vxid => {
            let (rest, _) = recognize((digits, tag("/"), digits)).parse(s).ok()?;
            Some(consumed(rest))
        }
        Escape::SqlState => {
            let (rest, st): (&str, &str) =
                take_while_m_n::<_, _, nom::error::Error<&str>>(5, 5, |c: char| {
                    c.is_ascii_digit() || c.is_ascii_uppercase()
                })
                .parse(s)
                .ok()?;
            f.sqlstate = Some(st);
            Some(consumed(rest))
        }
        Escape::QueryId => {
            let (rest, q) = recognize((opt(tag("-")), digits)).parse(s).ok()?;
            f.query_id = q.parse().ok();
            Some(consumed(rest))
        }
        _ => None,
    }
}

/// Escapes that may print nothing for some processes.
#[inline]
pub(super) fn may_be_empty(esc: Escape) -> bool {
    matches!(
        esc,
        Escape::LeaderPid
            | Escape::Vxid
            | Escape::Xid
            | Escape::SqlState
            | Escape::QueryId
            | Escape::SessionStart
    )
}

#[inline]
pub(super) fn set_free<'a>(esc: Escape, v: &'a str, f: &mut PrefixFields<'a>) {
    // most values have nothing to trim: no need to decode their ends (a
    // visible ASCII character is never whitespace; anything else is left to
    // `trim`, which also knows the vertical tab and Unicode spaces)
    let b = v.as_bytes();
    let bare = |c: Option<&u8>| c.is_some_and(u8::is_ascii_graphic);
    let v = if bare(b.first()) && bare(b.last()) {
        v
    } else {
        v.trim()
    };
    let v = if v.is_empty() || v == "[unknown]" {
        None
    } else {
        Some(v)
    };
    match esc {
        Escape::App => f.app = v,
        Escape::User => f.user = v,
        Escape::Db => f.db = v,
        Escape::HostPort | Escape::Host => f.client = v,
        Escape::BackendType => f.backend_type = v,
        Escape::CmdTag => f.cmd_tag = v,
        _ => {}
    }
}
