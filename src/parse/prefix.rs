//! `log_line_prefix`: compiling a prefix string, matching it against a line, and
//! detecting it from the lines of a file when the user does not know it.
//!
//! Matching finds the severity (`LOG:  `, `ERROR:  `, ...) first, then requires the
//! compiled prefix to consume exactly the text before it, backtracking over free-text
//! fields (user, database, application, host) so that names holding the separator
//! (`report@corp@sales`) still match. When a separator is ambiguous the user name
//! takes the longest match (Azure-style `user@server` names are common; `@` in a
//! database name is rare).

use super::timestamp::{Timestamp, datetime_zone, epoch};
use nom::{
    IResult, Parser,
    bytes::complete::{tag, take_while_m_n, take_while1},
    combinator::{opt, recognize},
};

/// Severity of an entry, or the kind of a secondary line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum Level {
    Debug,
    Info,
    Notice,
    Warning,
    Log,
    Error,
    Fatal,
    Panic,
    Detail,
    Hint,
    Context,
    Statement,
    Query,
    Location,
}

impl Level {
    /// The level PostgreSQL names `w` (`LOG`, `ERROR`, `DEBUG2`, `DETAIL`, ...).
    pub fn from_word(w: &str) -> Option<Level> {
        Some(match w {
            "DEBUG" | "DEBUG1" | "DEBUG2" | "DEBUG3" | "DEBUG4" | "DEBUG5" => Level::Debug,
            "INFO" => Level::Info,
            "NOTICE" => Level::Notice,
            "WARNING" => Level::Warning,
            "LOG" => Level::Log,
            "ERROR" => Level::Error,
            "FATAL" => Level::Fatal,
            "PANIC" => Level::Panic,
            "DETAIL" => Level::Detail,
            "HINT" => Level::Hint,
            "CONTEXT" => Level::Context,
            "STATEMENT" => Level::Statement,
            "QUERY" => Level::Query,
            "LOCATION" => Level::Location,
            _ => return None,
        })
    }

    /// A secondary line attaches to the previous entry of the same process.
    pub fn is_secondary(self) -> bool {
        matches!(
            self,
            Level::Detail
                | Level::Hint
                | Level::Context
                | Level::Statement
                | Level::Query
                | Level::Location
        )
    }

    /// The name PostgreSQL prints.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Debug => "DEBUG",
            Level::Info => "INFO",
            Level::Notice => "NOTICE",
            Level::Warning => "WARNING",
            Level::Log => "LOG",
            Level::Error => "ERROR",
            Level::Fatal => "FATAL",
            Level::Panic => "PANIC",
            Level::Detail => "DETAIL",
            Level::Hint => "HINT",
            Level::Context => "CONTEXT",
            Level::Statement => "STATEMENT",
            Level::Query => "QUERY",
            Level::Location => "LOCATION",
        }
    }
}

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
    fn from_char(c: char) -> Option<Escape> {
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

    fn is_free_text(self) -> bool {
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

/// Literal text of a prefix (never empty). Prefix regions are short, so
/// literals are found with `memchr` on their first byte and compared in place:
/// cheaper there than a general substring searcher's setup.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Lit {
    text: String,
    /// The first (up to) eight bytes as a little-endian word, and which of its
    /// bytes count: one comparison checks most literals where eight bytes follow.
    head: u64,
    mask: u64,
}

impl Lit {
    fn new(text: String) -> Lit {
        debug_assert!(!text.is_empty());
        let mut word = [0u8; 8];
        let n = text.len().min(8);
        word[..n].copy_from_slice(&text.as_bytes()[..n]);
        Lit {
            head: u64::from_le_bytes(word),
            mask: if n == 8 {
                u64::MAX
            } else {
                (1u64 << (8 * n)) - 1
            },
            text,
        }
    }

    /// Whether the literal starts at byte `at` of `s`.
    #[inline]
    fn at(&self, s: &[u8], at: usize) -> bool {
        let t = self.text.as_bytes();
        if let Some(w) = s.get(at..).and_then(|r| r.first_chunk::<8>()) {
            let w = u64::from_le_bytes(*w);
            return (w ^ self.head) & self.mask == 0
                && (t.len() <= 8 || s.get(at + 8..at + t.len()) == Some(&t[8..]));
        }
        s.len() >= at + t.len() && t.iter().zip(&s[at..]).all(|(a, b)| a == b)
    }

    /// `s` without the literal at its start.
    #[inline]
    fn strip<'a>(&self, s: &'a str) -> Option<&'a str> {
        // the literal is whole characters: what follows it starts a character
        self.at(s.as_bytes(), 0).then(|| &s[self.text.len()..])
    }

    /// Where the literal starts in `s`, first to last (overlapping).
    fn find_iter<'a>(&'a self, s: &'a str) -> impl Iterator<Item = usize> + 'a {
        let b = s.as_bytes();
        memchr::memchr_iter(self.text.as_bytes()[0], b).filter(move |&p| self.at(b, p))
    }

    /// Where the literal starts in `s`, last to first (overlapping).
    fn rfind_iter<'a>(&'a self, s: &'a str) -> impl Iterator<Item = usize> + 'a {
        let b = s.as_bytes();
        memchr::memrchr_iter(self.text.as_bytes()[0], b).filter(move |&p| self.at(b, p))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    Lit(Lit),
    Esc(Escape),
    /// An escape with a padding width (`%-10p`, `%5l`): spaces around the value.
    Padded(Escape),
}

/// A compiled `log_line_prefix`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinePrefix {
    source: String,
    items: Vec<Item>,
    /// Index in `items` where `%q` stood: non-session processes stop the prefix there.
    q_at: Option<usize>,
    /// Fewest bytes a line's prefix can take (up to `%q` when there is one):
    /// the search for the severity starts there.
    shortest: usize,
}

/// The values a prefix captured from one line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PrefixFields<'a> {
    pub ts: Option<Timestamp>,
    pub tz: Option<&'a str>,
    pub pid: Option<u32>,
    pub leader_pid: Option<u32>,
    pub user: Option<&'a str>,
    pub db: Option<&'a str>,
    pub app: Option<&'a str>,
    pub client: Option<&'a str>,
    pub backend_type: Option<&'a str>,
    pub session_id: Option<&'a str>,
    pub line_num: Option<u64>,
    pub sqlstate: Option<&'a str>,
    pub query_id: Option<i64>,
    pub cmd_tag: Option<&'a str>,
}

/// A line the prefix matched: captured fields, severity, and the message after `LEVEL:  `.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrefixedLine<'a> {
    pub fields: PrefixFields<'a>,
    pub level: Level,
    /// SQLSTATE printed after the level with `log_error_verbosity = verbose`.
    pub sqlstate: Option<&'a str>,
    pub message: &'a str,
}

impl LinePrefix {
    /// Compiles a `log_line_prefix` value. Unknown escapes print nothing in
    /// PostgreSQL and are dropped here too; padding (`%-10u`) is accepted.
    pub fn compile(prefix: &str) -> LinePrefix {
        let mut items: Vec<Item> = Vec::new();
        let mut q_at = None;
        let mut lit = String::new();
        let mut chars = prefix.chars().peekable();
        while let Some(c) = chars.next() {
            if c != '%' {
                lit.push(c);
                continue;
            }
            let mut padded = false;
            while chars
                .peek()
                .is_some_and(|c| *c == '-' || c.is_ascii_digit())
            {
                padded = true;
                chars.next();
            }
            match chars.next() {
                Some('%') => lit.push('%'),
                Some('q') => {
                    if !lit.is_empty() {
                        items.push(Item::Lit(Lit::new(std::mem::take(&mut lit))));
                    }
                    q_at.get_or_insert(items.len());
                }
                Some(e) => {
                    if let Some(esc) = Escape::from_char(e) {
                        if !lit.is_empty() {
                            items.push(Item::Lit(Lit::new(std::mem::take(&mut lit))));
                        }
                        items.push(if padded && !esc.is_free_text() {
                            Item::Padded(esc)
                        } else {
                            Item::Esc(esc)
                        });
                    }
                }
                None => lit.push('%'),
            }
        }
        if !lit.is_empty() {
            items.push(Item::Lit(Lit::new(lit)));
        }
        let shortest = min_len(&items[..q_at.unwrap_or(items.len())]);
        LinePrefix {
            source: prefix.to_string(),
            items,
            q_at,
            shortest,
        }
    }

    /// The prefix as the user would write it in postgresql.conf.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// How many escapes the prefix captures (used to prefer richer prefixes).
    pub fn escape_count(&self) -> usize {
        self.items
            .iter()
            .filter(|i| !matches!(i, Item::Lit(_)))
            .count()
    }

    /// Matches a whole line: prefix, severity, optional SQLSTATE, message.
    pub fn match_line<'a>(&self, line: &'a str) -> Option<PrefixedLine<'a>> {
        self.match_line_full(line).map(|(l, _)| l)
    }

    /// Like [`match_line`](Self::match_line); also says whether the whole prefix
    /// matched (`false`: only the part before `%q`).
    pub fn match_line_full<'a>(&self, line: &'a str) -> Option<(PrefixedLine<'a>, bool)> {
        for (level_start, level, msg_start) in level_positions(line, self.shortest) {
            let region = &line[..level_start];
            let mut fields = PrefixFields::default();
            let full = match_all(&self.items, region, &mut fields);
            let ok = full
                || self.q_at.is_some_and(|q| {
                    fields = PrefixFields::default();
                    match_all(&self.items[..q], region, &mut fields)
                });
            if ok {
                let rest = &line[msg_start..];
                let (message, sqlstate) = split_sqlstate(rest);
                let l = PrefixedLine {
                    fields,
                    level,
                    sqlstate,
                    message,
                };
                return Some((l, full));
            }
        }
        None
    }
}

/// Fewest bytes `items` can match (a lower bound): literals, timestamps and
/// the digits of escapes that always print something.
fn min_len(items: &[Item]) -> usize {
    items
        .iter()
        .map(|i| match i {
            Item::Lit(l) => l.text.len(),
            Item::Esc(e) | Item::Padded(e) if may_be_empty(*e) => 0,
            Item::Esc(e) | Item::Padded(e) => match e {
                // a date, a time and a space before a zone of one byte or more
                Escape::Ts | Escape::TsMs => 21,
                Escape::Pid | Escape::LineNum => 1,
                _ => 0,
            },
        })
        .sum()
}

/// Positions where a severity word followed by `:  ` may start, at byte `from`
/// or later: (start, level, message start).
fn level_positions(line: &str, from: usize) -> impl Iterator<Item = (usize, Level, usize)> + '_ {
    let b = line.as_bytes();
    // the colons of the timestamp and of the prefix's literals lie before
    // `from`: the first colon found is usually the severity's
    let from = from.min(b.len());
    memchr::memchr_iter(b':', &b[from..])
        .map(move |c| from + c)
        .filter(move |&colon| b.get(colon + 1..colon + 3) == Some(b"  "))
        .filter_map(move |colon| {
            let word = b[..colon]
                .iter()
                .rev()
                .take_while(|c| c.is_ascii_alphanumeric())
                .count();
            let start = colon - word;
            (start >= from)
                .then(|| Level::from_word(&line[start..colon]))
                .flatten()
                .map(|lvl| (start, lvl, colon + 3))
        })
}

/// Splits `42601: syntax error` into the message and its SQLSTATE.
fn split_sqlstate(rest: &str) -> (&str, Option<&str>) {
    let b = rest.as_bytes();
    if b.len() > 7
        && b[..5]
            .iter()
            .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
        && b[..5].iter().any(u8::is_ascii_digit)
        && &b[5..7] == b": "
    {
        (&rest[7..], Some(&rest[..5]))
    } else {
        (rest, None)
    }
}

fn digits(i: &str) -> IResult<&str, &str> {
    take_while1(|c: char| c.is_ascii_digit()).parse(i)
}

/// The leading decimal digits of `s` as a number (`None` when there are none
/// or it overflows), and how many bytes they take.
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
fn match_typed<'a>(esc: Escape, s: &'a str, f: &mut PrefixFields<'a>) -> Option<usize> {
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
fn may_be_empty(esc: Escape) -> bool {
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

fn set_free<'a>(esc: Escape, v: &'a str, f: &mut PrefixFields<'a>) {
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

/// Matches `items` against all of `s`: first along the path a backtracking
/// search tries first (no state saved, nothing undone), which is the common
/// case and gives the same fields when it succeeds; else with [`match_items`].
fn match_all<'a>(items: &[Item], s: &'a str, f: &mut PrefixFields<'a>) -> bool {
    let mut first = PrefixFields::default();
    if match_first_path(items, s, &mut first) {
        *f = first;
        return true;
    }
    match_items(items, s, f)
}

/// The first choice [`match_items`] makes at every step, without backtracking.
fn match_first_path<'a>(items: &[Item], mut s: &'a str, f: &mut PrefixFields<'a>) -> bool {
    for (i, item) in items.iter().enumerate() {
        match item {
            Item::Lit(l) => match l.strip(s) {
                Some(r) => s = r,
                None => return false,
            },
            Item::Esc(esc) if esc.is_free_text() => {
                let end = match items.get(i + 1) {
                    None => Some(s.len()),
                    Some(Item::Lit(l)) if *esc == Escape::User => l.rfind_iter(s).next(),
                    Some(Item::Lit(l)) => l.find_iter(s).next(),
                    Some(_) => None,
                };
                let Some(end) = end else {
                    return false;
                };
                set_free(*esc, &s[..end], f);
                s = &s[end..];
            }
            Item::Padded(esc) => {
                let trimmed = s.trim_start_matches(' ');
                let Some(n) = match_typed(*esc, trimmed, f) else {
                    return false;
                };
                s = trimmed[n..].trim_start_matches(' ');
            }
            Item::Esc(esc) => match match_typed(*esc, s, f) {
                Some(n) => s = &s[n..],
                None if may_be_empty(*esc) => {}
                None => return false,
            },
        }
    }
    s.is_empty()
}

/// Matches `items` against all of `s`, backtracking over free-text fields.
fn match_items<'a>(items: &[Item], s: &'a str, f: &mut PrefixFields<'a>) -> bool {
    let Some(first) = items.first() else {
        return s.is_empty();
    };
    let rest_items = &items[1..];
    match first {
        Item::Lit(l) => l.strip(s).is_some_and(|r| match_items(rest_items, r, f)),
        Item::Esc(esc) if esc.is_free_text() => {
            let try_end = |end: usize, f: &mut PrefixFields<'a>| {
                let saved = *f;
                set_free(*esc, &s[..end], f);
                if match_items(rest_items, &s[end..], f) {
                    return true;
                }
                *f = saved;
                false
            };
            // candidate ends tried lazily, in the same order as before: the
            // first that lets the rest match wins (the user name: the last)
            let user = *esc == Escape::User;
            match rest_items.first() {
                None => try_end(s.len(), f),
                Some(Item::Lit(l)) if user => l.rfind_iter(s).any(|p| try_end(p, f)),
                Some(Item::Lit(l)) => l.find_iter(s).any(|p| try_end(p, f)),
                Some(Item::Esc(_) | Item::Padded(_)) => {
                    let ends = s.char_indices().map(|(p, _)| p).chain([s.len()]);
                    if user {
                        let all: Vec<usize> = ends.collect();
                        all.iter().rev().any(|&e| try_end(e, f))
                    } else {
                        ends.into_iter().any(|e| try_end(e, f))
                    }
                }
            }
        }
        Item::Padded(esc) => {
            let trimmed = s.trim_start_matches(' ');
            let saved = *f;
            if let Some(n) = match_typed(*esc, trimmed, f) {
                let after = &trimmed[n..];
                let stripped = after.trim_start_matches(' ');
                // try consuming the padding, then not (the next literal may start with a space)
                for rest in [stripped, after] {
                    if match_items(rest_items, rest, f) {
                        return true;
                    }
                    *f = saved;
                    let _ = match_typed(*esc, trimmed, f);
                }
                *f = saved;
            }
            false
        }
        Item::Esc(esc) => {
            let saved = *f;
            if let Some(n) = match_typed(*esc, s, f) {
                if match_items(rest_items, &s[n..], f) {
                    return true;
                }
                *f = saved;
            }
            may_be_empty(*esc) && match_items(rest_items, s, f)
        }
    }
}

/// Prefixes seen in the wild, tried when detecting a file's prefix.
const KNOWN_PREFIXES: &[&str] = &[
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
    "%t:%r:%u@%d:[%p]:",
    "%m:%r:%u@%d:[%p]:",
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
/// Returns `None` when no candidate matches at least half of the sampled lines.
pub fn detect(sample: &[&str]) -> Option<Detection> {
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
    best.map(|(_, d)| d).filter(|b| b.matched * 2 >= b.sampled)
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

/// Infers a prefix from one line: recognizes timestamps, `[pid]`, `[line-1]`,
/// `key=value` pairs and `user@db`, and keeps everything else as literal text.
pub fn infer(line: &str) -> Option<String> {
    let (level_start, _, _) = level_positions(line, 0).next()?;
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
                out.push_str(if seen_pid { "[%l]" } else { "[%p]" });
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
        // key=value pairs
        if let Some(eq) = s.find('=') {
            let key = &s[..eq];
            if !key.is_empty() && key.chars().all(|c| c.is_ascii_alphabetic() || c == '_') {
                let esc = match key.to_ascii_lowercase().as_str() {
                    "user" | "usr" | "u" | "username" => Some("%u"),
                    "db" | "database" | "dbname" | "d" => Some("%d"),
                    "app" | "application" | "appname" | "application_name" | "a" => Some("%a"),
                    "client" | "host" | "remote" | "remote_host" | "h" | "clientaddr" => Some("%h"),
                    "session" | "session_id" => Some("%c"),
                    "queryid" | "query_id" => Some("%Q"),
                    _ => None,
                };
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

#[cfg(test)]
mod tests {
    use super::*;

    fn m<'a>(p: &str, l: &'a str) -> PrefixedLine<'a> {
        LinePrefix::compile(p)
            .match_line(l)
            .unwrap_or_else(|| panic!("{p:?} did not match {l:?}"))
    }

    #[test]
    fn a_literal_that_overlaps_itself_is_tried_at_every_position() {
        // the application name ends in the literal's first character: only the
        // second of the overlapping "::" candidates lets the rest match
        let l = m("%a::%p ", "x:::123 LOG:  statement: SELECT 1");
        assert_eq!((l.fields.app, l.fields.pid), (Some("x:"), Some(123)));
        // two readings fit; the first candidate that lets the rest match wins
        let l = m("%a::%p::%d ", "x:::1::2::y LOG:  statement: SELECT 1");
        assert_eq!(
            (l.fields.app, l.fields.pid, l.fields.db),
            (Some("x:"), Some(1), Some("2::y"))
        );
    }

    #[test]
    fn a_literal_is_found_where_its_bytes_are_whatever_its_length() {
        let hay = "user=a,db=b,app=c,client=d user=,db=,app=,client= ]: [-1] user=x";
        for lit in [
            " ",
            ",",
            ",db=",
            "]: [",
            "-1] user=",
            ",client=",
            ",client= ",
            "user=x",
            "=x",
            "x",
            "user=,db=,app=",
            "no such text",
            "user=x and more",
        ] {
            let l = Lit::new(lit.to_string());
            for at in 0..=hay.len() + 2 {
                let naive = hay
                    .as_bytes()
                    .get(at..)
                    .is_some_and(|r| r.starts_with(lit.as_bytes()));
                assert_eq!(l.at(hay.as_bytes(), at), naive, "{lit:?} at {at}");
            }
        }
    }

    #[test]
    fn the_severity_search_skips_only_what_no_prefix_match_could_use() {
        let lines = [
            "2024-05-01 12:00:00.123 UTC [42]: [3-1] user=a,db=b,app=c,client=d LOG:  x",
            "2024-05-01 12:00:00 UTC [42]: [3-1] user=,db=,app=,client= LOG:  x",
            "2024-05-01 12:00:00 UTC [42] LOG:  x",
            "2024-05-01 12:00:00.1 UTC [7] u@d LOG:  duration: 1 ms",
            "2024-05-01 12:00:00 UTC:127.0.0.1(5):u@d:[7]:LOG:  x",
            "1714564800.123 [7] LOG:  x",
            "2024-05-01 12:00:00 Z [1] ERROR:  a: LOG:  b",
            "x LOG:  y",
            "LOG:  y",
            "",
        ];
        for p in KNOWN_PREFIXES {
            let fast = LinePrefix::compile(p);
            let mut slow = fast.clone();
            slow.shortest = 0;
            assert!(fast.shortest > 0 || p.is_empty(), "{p}");
            for l in lines {
                assert_eq!(fast.match_line_full(l), slow.match_line_full(l), "{p} {l}");
            }
        }
    }

    #[test]
    fn free_text_values_are_trimmed_like_str_trim() {
        for v in [
            "bob",
            " bob ",
            "\u{b}bob\u{b}",
            "bob\u{a0}",
            "\u{3000}bob",
            "b",
            " ",
            "\u{b}",
            "[unknown]",
            " [unknown] ",
            "ünïcode",
        ] {
            let mut f = PrefixFields::default();
            set_free(Escape::User, v, &mut f);
            let want = Some(v.trim()).filter(|t| !t.is_empty() && *t != "[unknown]");
            assert_eq!(f.user, want, "{v:?}");
        }
    }

    #[test]
    fn the_first_path_gives_what_the_backtracking_search_gives() {
        let cases: &[(&str, &[&str])] = &[
            (
                "%m [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ",
                &[
                    "2024-05-01 10:00:00.001 UTC [7]: [3-1] user=u,db=d,app=psql,client=::1 ",
                    // separators inside values: the first path fails, backtracking finds it
                    "2024-05-01 10:00:00.001 UTC [7]: [3-1] user=a,db=b,db=c,app=x,app=y,client=h ",
                    "2024-05-01 10:00:00.001 UTC [7]: [3-1] user=,db=,app=,client= ",
                    "2024-05-01 10:00:00.001 UTC [7]: [3-1] user=u,db=d,app=a b,client=h ",
                    "2024-05-01 10:00:00.001 UTC [7]: [3-1] user=u,db=d,app=x,client=a b ",
                ],
            ),
            (
                "%t:%r:%u@%d:[%p]:",
                &[
                    "2024-05-01 10:00:00 UTC:10.0.0.1(5432):report@corp@sales:[9]:",
                    "2024-05-01 10:00:00 UTC:[local]:u@d:[9]:",
                ],
            ),
            (
                "%m [%p] %q%u@%d ",
                &["2024-05-01 10:00:00.001 UTC [7] a@b@c "],
            ),
            ("%5p %m %x ", &["  123 2024-05-01 10:00:00.001 UTC  "]),
        ];
        for (prefix, lines) in cases {
            let p = LinePrefix::compile(prefix);
            for line in *lines {
                let mut searched = PrefixFields::default();
                let found = match_items(&p.items, line, &mut searched);
                let mut fast = PrefixFields::default();
                let first = match_first_path(&p.items, line, &mut fast);
                let mut all = PrefixFields::default();
                assert_eq!(
                    match_all(&p.items, line, &mut all),
                    found,
                    "{prefix} / {line}"
                );
                assert_eq!(all, searched, "{prefix} / {line}");
                if first {
                    assert_eq!(fast, searched, "{prefix} / {line}");
                }
            }
        }
        // the backtracking case is exercised: the first path fails there
        let p = LinePrefix::compile("%m [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ");
        let line = "2024-05-01 10:00:00.001 UTC [7]: [3-1] user=u,db=d,app=x,client=a b ";
        let mut f = PrefixFields::default();
        assert!(!match_first_path(&p.items, line, &mut f));
        let mut f = PrefixFields::default();
        assert!(match_all(&p.items, line, &mut f));
        assert_eq!(f.client, Some("a b"));
    }

    #[test]
    fn pgbadger_style_prefix() {
        let l = m(
            "%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ",
            "2017-09-06 08:41:41 UTC [36]: [121-1] user=postgres,db=postgres,app=pgbench,client=172.23.0.1 LOG:  duration: 2.280 ms  statement: END;",
        );
        assert_eq!(l.fields.pid, Some(36));
        assert_eq!(l.fields.line_num, Some(121));
        assert_eq!(l.fields.user, Some("postgres"));
        assert_eq!(l.fields.app, Some("pgbench"));
        assert_eq!(l.fields.client, Some("172.23.0.1"));
        assert_eq!(l.fields.tz, Some("UTC"));
        assert_eq!(l.level, Level::Log);
        assert_eq!(l.message, "duration: 2.280 ms  statement: END;");
    }

    #[test]
    fn debian_default_with_q_and_odd_names() {
        let p = "%m [%p] %q%u@%d ";
        let l = m(
            p,
            "2024-05-01 10:00:00.123 UTC [42] report@corp.example@shop-eu.ü LOG:  statement: SELECT 1",
        );
        assert_eq!(l.fields.user, Some("report@corp.example"));
        assert_eq!(l.fields.db, Some("shop-eu.ü"));
        assert_eq!(l.fields.ts.unwrap().format(), "2024-05-01 10:00:00.123");
        // background process: nothing after %q
        let bg = m(
            p,
            "2024-05-01 10:00:00.123 UTC [7] LOG:  checkpoint starting: time",
        );
        assert_eq!(bg.fields.pid, Some(7));
        assert_eq!(bg.fields.user, None);
        assert_eq!(bg.message, "checkpoint starting: time");
    }

    #[test]
    fn rds_prefix_with_host_port() {
        let l = m(
            "%t:%r:%u@%d:[%p]:",
            "2024-05-01 10:00:00 UTC:10.0.0.5(53422):app-user@orders.db:[1234]:LOG:  duration: 1.5 ms  statement: SELECT 1",
        );
        assert_eq!(l.fields.client, Some("10.0.0.5(53422)"));
        assert_eq!(l.fields.user, Some("app-user"));
        assert_eq!(l.fields.db, Some("orders.db"));
        assert_eq!(l.fields.pid, Some(1234));
    }

    #[test]
    fn every_escape_compiles_and_matches() {
        let p = "%m|%n|%p|%P|%l|%c|%b|%a|%u|%d|%r|%h|%i|%e|%s|%v|%x|%Q|%%|";
        let line = "2024-05-01 10:00:00.123 UTC|1714557600.123|42|41|7|6632131e.2a|client backend|psql|bob|db1|127.0.0.1(5000)|127.0.0.1|SELECT|00000|2024-05-01 09:59:00 UTC|3/12|0|-123456|%|ERROR:  42P01: relation \"x\" does not exist";
        let l = m(p, line);
        assert_eq!(l.fields.pid, Some(42));
        assert_eq!(l.fields.leader_pid, Some(41));
        assert_eq!(l.fields.session_id, Some("6632131e.2a"));
        assert_eq!(l.fields.backend_type, Some("client backend"));
        assert_eq!(l.fields.cmd_tag, Some("SELECT"));
        assert_eq!(l.fields.query_id, Some(-123456));
        assert_eq!(l.fields.sqlstate, Some("00000"));
        assert_eq!(l.level, Level::Error);
        assert_eq!(l.sqlstate, Some("42P01"));
        assert_eq!(l.message, "relation \"x\" does not exist");
    }

    #[test]
    fn secondary_levels_and_padding() {
        let l = m(
            "%m [%-6p] ",
            "2024-05-01 10:00:00.123 UTC [42    ] DETAIL:  parameters: $1 = '1'",
        );
        assert_eq!(l.level, Level::Detail);
        assert!(l.level.is_secondary());
    }

    #[test]
    fn message_containing_level_word_is_not_a_prefix() {
        let l = m(
            "%m [%p] ",
            "2024-05-01 10:00:00.123 UTC [42] LOG:  statement: SELECT 'ERROR:  x'",
        );
        assert_eq!(l.message, "statement: SELECT 'ERROR:  x'");
    }

    #[test]
    fn detects_required_prefixes() {
        let cases = [
            (
                "%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ",
                "2017-09-06 08:41:41 UTC [36]: [121-1] user=postgres,db=postgres,app=pgbench,client=172.23.0.1 LOG:  duration: 2.280 ms  statement: END;",
            ),
            (
                "%m [%p] %q%u@%d ",
                "2024-05-01 10:00:00.123 UTC [42] bob@db1 LOG:  duration: 1.000 ms  statement: SELECT 1",
            ),
            (
                "%t:%r:%u@%d:[%p]:",
                "2024-05-01 10:00:00 UTC:10.0.0.5(53422):bob@db1:[1234]:LOG:  duration: 1.5 ms  statement: SELECT 1",
            ),
            (
                "%m [%p] ",
                "2024-05-01 10:00:00.123 UTC [42] LOG:  duration: 1.000 ms  statement: SELECT 1",
            ),
        ];
        for (expected, line) in cases {
            let bg = "2024-05-01 10:00:00.123 UTC [7] LOG:  checkpoint starting: time";
            let sample = if expected.contains("%q") {
                vec![line, line, bg]
            } else {
                vec![line, line]
            };
            let d = detect(&sample).unwrap_or_else(|| panic!("no prefix for {line}"));
            let got = d.prefix.match_line(line).unwrap();
            let want = LinePrefix::compile(expected).match_line(line).unwrap();
            assert_eq!(got, want, "detected {:?} for {line}", d.prefix.source());
        }
    }

    #[test]
    fn infers_unknown_prefix() {
        let line =
            "2024-05-01 10:00:00.123 UTC [42] [5-1] usr=bob;database=x LOG:  statement: SELECT 1";
        let p = infer(line).unwrap();
        assert_eq!(p, "%m [%p] [%l-1] %qusr=%u;database=%d ");
        let d = detect(&[line, line]).unwrap();
        assert_eq!(d.prefix.match_line(line).unwrap().fields.user, Some("bob"));
    }

    #[test]
    fn non_ascii_before_a_double_space_does_not_panic() {
        let p = LinePrefix::compile("%m [%p] ");
        assert!(
            p.match_line("2024-05-01 10:00:00.003 CEST [1] DÉTAIL:  x")
                .is_none()
        );
        let l = p
            .match_line("2024-05-01 10:00:00.003 CEST [1] LOG:  Nachricht für:  x")
            .unwrap();
        assert_eq!(l.message, "Nachricht für:  x");
        assert!(detect(&["ОШИБКА:  что-то", "für:  x"]).is_none());
    }

    #[test]
    fn background_only_sample_still_picks_the_q_prefix() {
        let bg = "2024-05-01 10:00:00.123 UTC [7] LOG:  checkpoint starting: time";
        let d = detect(&[bg, bg, bg]).unwrap();
        let user = "2024-05-01 10:00:01.000 UTC [8] bob@db1 LOG:  statement: SELECT 1";
        assert_eq!(d.prefix.match_line(user).unwrap().fields.user, Some("bob"));
    }

    #[test]
    fn detection_fails_on_garbage() {
        assert!(detect(&["hello world", "this is not a log", "LOG: nope"]).is_none());
    }
}
