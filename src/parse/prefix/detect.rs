//! Detecting a file's `log_line_prefix` from a sample of its lines: the known
//! prefixes and prefixes inferred from the lines themselves, scored by the lines
//! they match.

use super::escape::digits;
use super::{LinePrefix, level_positions};
use crate::parse::timestamp::{datetime_zone, epoch};

/// Prefixes seen in the wild, tried when detecting a file's prefix.
pub(super) const KNOWN_PREFIXES: &[&str] = &[
    "%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ",
    "%m [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ",
    "%t [%p]: [%l-1] user=%u,db=%d,host=%h,app=%a ",
    "%t [%p]: [%l-1] db=%d,user=%u,app=%a,client=%h ",
    "%t [%p]: db=%d,user=%u,app=%a,client=%h ",
    "%t [%p]: [%l-1] user=%u,db=%d ",
    "%t [%p]: [%l-1] ",
    "%m [%p] %q%u@%d ",
    "%t [%p] %q%u@%d ",
    "%m [%p] [queryid=%Q] %q%u@%d ",
    "%m [%p] user=%u,db=%d ",
    "%m [%p] user=%u,db=%d,app=%a,client=%h ",
    "%m [%p] ",
    "%t [%p] ",
    "%m [%p]: ",
    "%t [%p]: ",
    // AWS RDS and Aurora
    "%t:%r:%u@%d:[%p]:",
    "%m:%r:%u@%d:[%p]:",
    // Heroku Postgres (through logplex, after its syslog header)
    " sql_error_code = %e ",
    // Azure Database for PostgreSQL flexible server
    "%t-%c-",
    "%m-%c-",
    "%m [%p] %q%u@%d [%a] ",
    "%m %u@%d [%p] ",
    "%m [%p-%l] %q%u@%d ",
    "%t [%p-%l] %q%u@%d ",
    "%m [%p] %q[user=%u,db=%d,app=%a] ",
    "%m %c %p ",
    "%n [%p] ",
    "%m ",
    "%t ",
];

/// Result of prefix detection on a sample of lines.
#[derive(Debug, Clone)]
pub struct Detection {
    pub prefix: LinePrefix,
    /// Lines of the sample (continuations excluded) the prefix matched.
    pub matched: usize,
    /// Lines of the sample that were candidates (not continuation lines).
    pub sampled: usize,
}

/// Detects the `log_line_prefix` of a file from a sample of its first lines: tries
/// the known prefixes and prefixes inferred from the lines themselves, and keeps the
/// one matching most lines (ties go to the one capturing more fields).
/// Fails when no candidate matches at least half of the sampled lines, with
/// the closest candidate when one matched any line.
pub fn detect(sample: &[&str]) -> Result<Detection, Option<Detection>> {
    match closest(sample) {
        Some(d) if d.matched * 2 >= d.sampled => Ok(d),
        other => Err(other),
    }
}

/// The candidate prefix matching most of `sample`'s lines, however few.
fn closest(sample: &[&str]) -> Option<Detection> {
    let lines: Vec<&str> = sample
        .iter()
        .copied()
        .filter(|l| !l.starts_with('\t') && !l.trim().is_empty())
        .collect();
    if lines.is_empty() {
        return None;
    }
    let mut candidates: Vec<LinePrefix> = KNOWN_PREFIXES
        .iter()
        .map(|p| LinePrefix::compile(p))
        .collect();
    let mut inferred: Vec<String> = lines.iter().take(50).filter_map(|l| infer(l)).collect();
    inferred.sort();
    inferred.dedup();
    candidates.extend(inferred.iter().map(|p| LinePrefix::compile(p)));
    // A line matched only by the part before %q is a background process's line,
    // unless its message is a client session's (then the prefix is wrong for it).
    // Score: lines explained, then the earlier known prefix (the Debian default
    // comes before rarer %q prefixes: a sample of background lines alone cannot
    // tell them apart), then escapes captured.
    type Score = (usize, std::cmp::Reverse<usize>, usize);
    let mut best: Option<(Score, Detection)> = None;
    for (index, c) in candidates.into_iter().enumerate() {
        let matched = lines
            .iter()
            .filter(|l| match c.match_line_full(l) {
                Some((_, full)) if full => true,
                Some((m, _)) => !is_session_message(m.message),
                None => false,
            })
            .count();
        let score = (matched, std::cmp::Reverse(index), c.escape_count());
        if matched > 0 && best.as_ref().is_none_or(|(s, _)| score > *s) {
            best = Some((
                score,
                Detection {
                    prefix: c,
                    matched,
                    sampled: lines.len(),
                },
            ));
        }
    }
    best.map(|(_, d)| d)
}

/// Messages only client sessions write: a line holding one has the full prefix.
fn is_session_message(msg: &str) -> bool {
    [
        "duration: ",
        "statement: ",
        "execute ",
        "connection authorized",
        "disconnection: ",
    ]
    .iter()
    .any(|p| msg.starts_with(p))
}

/// The escape a `key=value` pair of a prefix prints, from its key's usual
/// spellings (`user`, `usr`, `db`, `appli`, `client`, ...).
fn key_escape(key: &str) -> Option<&'static str> {
    let k = key.to_ascii_lowercase();
    let starts = |p: &[&str]| p.iter().any(|x| k.starts_with(x));
    Some(match k.as_str() {
        "u" | "usr" => "%u",
        "d" | "db" | "dbname" => "%d",
        "a" => "%a",
        "h" => "%h",
        "pid" => "%p",
        "xid" | "txid" => "%x",
        "vxid" => "%v",
        _ if starts(&["user", "role"]) => "%u",
        _ if starts(&["database", "datname"]) => "%d",
        _ if starts(&["app"]) => "%a",
        _ if starts(&["client", "host", "remote"]) => "%h",
        _ if starts(&["session", "sess"]) => "%c",
        _ if starts(&["queryid", "query_id"]) => "%Q",
        _ => return None,
    })
}

/// Backend types `%b` prints.
const BACKEND_TYPES: &[&str] = &[
    "client backend",
    "autovacuum launcher",
    "autovacuum worker",
    "logical replication launcher",
    "logical replication worker",
    "parallel worker",
    "background worker",
    "background writer",
    "checkpointer",
    "walwriter",
    "walsender",
    "walreceiver",
    "archiver",
    "startup",
    "postmaster",
    "not initialized",
    "standalone backend",
];

/// An id a prefix prints at the start of `s` (after a space or a bracket):
/// a session id (`%c`, `6b129a21.c51`), a virtual transaction id (`%v`,
/// `3/12`) or a backend type (`%b`); with its escape and length.
fn id_token(s: &str, at_word_start: bool) -> Option<(&'static str, usize)> {
    if !at_word_start {
        return None;
    }
    if let Some(t) = BACKEND_TYPES.iter().find(|t| s.starts_with(*t)) {
        return Some(("%b", t.len()));
    }
    let end = s.find([' ', ']', ',', ':', '-']).unwrap_or(s.len());
    let word = &s[..end];
    let hex = |x: &str| !x.is_empty() && x.bytes().all(|c| c.is_ascii_hexdigit());
    let dec = |x: &str| !x.is_empty() && x.bytes().all(|c| c.is_ascii_digit());
    if let Some((a, b)) = word.split_once('.')
        && hex(a)
        && hex(b)
        && a.len() >= 6
    {
        return Some(("%c", end));
    }
    if let Some((a, b)) = word.split_once('/')
        && dec(a)
        && dec(b)
    {
        return Some(("%v", end));
    }
    None
}

/// Infers a prefix from one line: recognizes timestamps, `[pid]`, `[line-1]`,
/// `key=value` pairs and `user@db`, and keeps everything else as literal text.
pub fn infer(line: &str) -> Option<String> {
    let (level_start, _, _) = level_positions(line, 0).next()?;
    if level_start > super::MAX_PREFIX_BYTES {
        return None;
    }
    let region = &line[..level_start];
    let mut out = String::new();
    let mut s = region;
    let mut seen_pid = false;
    let mut session_field_seen = false;
    while !s.is_empty() {
        if let Ok((rest, (ts, _))) = datetime_zone(s) {
            let has_ms = ts.0 % 1000 != 0 || s.as_bytes().get(19) == Some(&b'.');
            out.push_str(if has_ms { "%m" } else { "%t" });
            s = rest;
            continue;
        }
        if let Ok((rest, _)) = epoch(s)
            && s.len() - rest.len() >= 14
        {
            out.push_str("%n");
            s = rest;
            continue;
        }
        if let Some(Ok((after, _))) = s.strip_prefix('[').map(digits) {
            if let Some(after) = after.strip_prefix(']') {
                // [pid], then [line] or, after [line-1], a transaction id
                out.push_str(if !seen_pid {
                    "[%p]"
                } else if out.contains("%l") {
                    "[%x]"
                } else {
                    "[%l]"
                });
                seen_pid = true;
                s = after;
                continue;
            }
            if let Some(after) = after.strip_prefix("-1]") {
                out.push_str("[%l-1]");
                s = after;
                continue;
            }
        }
        if let Some((esc, len)) = id_token(s, out.is_empty() || out.ends_with([' ', '[', '-'])) {
            out.push_str(esc);
            s = &s[len..];
            continue;
        }
        // key=value pairs
        if let Some(eq) = s.find('=') {
            let key = &s[..eq];
            if !key.is_empty() && key.chars().all(|c| c.is_ascii_alphabetic() || c == '_') {
                let esc = key_escape(key);
                if let Some(esc) = esc {
                    let value = &s[eq + 1..];
                    // `[local]`, `[unknown]`: a bracketed value ends at its bracket
                    let value_len = if value.starts_with('[') {
                        value.find(']').map_or(value.len(), |p| p + 1)
                    } else {
                        value.find([',', ' ', ']', ';']).unwrap_or(value.len())
                    };
                    let value_end = eq + 1 + value_len;
                    if esc != "%c" && esc != "%Q" && !session_field_seen {
                        out.push_str("%q");
                        session_field_seen = true;
                    }
                    out.push_str(key);
                    out.push('=');
                    out.push_str(esc);
                    s = &s[value_end..];
                    continue;
                }
            }
        }
        // user@db followed by a space
        let word_end = s.find(' ').unwrap_or(s.len());
        let word = &s[..word_end];
        if word.contains('@') && !word.starts_with('@') && word_end < s.len() {
            if !session_field_seen {
                out.push_str("%q");
                session_field_seen = true;
            }
            out.push_str("%u@%d");
            s = &s[word_end..];
            continue;
        }
        let c = s.chars().next()?;
        if c == '%' {
            out.push_str("%%");
        } else {
            out.push(c);
        }
        s = &s[c.len_utf8()..];
    }
    Some(out)
}
