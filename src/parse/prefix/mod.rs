//! `log_line_prefix`: compiling a prefix string, matching it against a line, and
//! detecting it from the lines of a file when the user does not know it.
//!
//! Matching finds the severity (`LOG:  `, `ERROR:  `, ...) first, then requires the
//! compiled prefix to consume exactly the text before it, backtracking over free-text
//! fields (user, database, application, host) so that names holding the separator
//! (`report@corp@sales`) still match. When a separator is ambiguous the user name
//! takes the longest match (Azure-style `user@server` names are common; `@` in a
//! database name is rare).
//!
//! The parts: `escape` reads each `%` escape's value from a line, `matching`
//! fits a compiled prefix to the text before the severity, `detect` picks a
//! file's prefix from a sample of its lines; this module compiles a prefix and
//! finds the severity.

mod detect;
mod escape;
mod matching;

use crate::parse::timestamp::{Clock, Timestamp};
pub use detect::{Detection, detect, infer};
pub use escape::Escape;
use escape::may_be_empty;
use matching::{Item, Lit, match_all};

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
    /// The level PostgreSQL names `w` (`LOG`, `ERROR`, `DEBUG2`, `DETAIL`, ...),
    /// in English or in a language it ships (`FEHLER`, `ОШИБКА`).
    pub fn from_word(w: &str) -> Option<Level> {
        Level::from_english(w).or_else(|| crate::parse::i18n::severity(w))
    }

    /// The level of an English severity word.
    pub fn from_english(w: &str) -> Option<Level> {
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

    /// The clock of the timestamps the prefix gives entries: that of its last
    /// timestamp escape (a later one overwrites an earlier one's value), whole
    /// seconds for `%t`, milliseconds for `%m` and `%n`; `None` without one.
    pub fn clock(&self) -> Option<Clock> {
        self.items.iter().rev().find_map(|i| match i {
            Item::Esc(e) | Item::Padded(e) => match e {
                Escape::Ts => Some(Clock::Seconds),
                Escape::TsMs | Escape::Epoch => Some(Clock::Millis),
                _ => None,
            },
            Item::Lit(_) => None,
        })
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
        // a prefix whose trailing space was lost (quoting in postgresql.conf,
        // a copy): the line's space before the severity is not the prefix's
        let stripped = !self.source.ends_with(char::is_whitespace);
        // a prefix is short: the severity lies within its first bytes, and
        // few severity-like words come before it (a continuation line of log
        // text stored in a table holds thousands further on)
        // (the search for a severity looks no further than that either)
        let cut = line.floor_char_boundary(MAX_PREFIX_BYTES + 64);
        let candidates = level_positions(&line[..cut], self.shortest)
            .take_while(|&(start, _, _)| start <= MAX_PREFIX_BYTES)
            .take(MAX_LEVEL_CANDIDATES);
        for (level_start, level, msg_start) in candidates {
            let region = &line[..level_start];
            let mut fields = PrefixFields::default();
            let mut full = match_all(&self.items, region, &mut fields);
            if !full && stripped && region.ends_with(' ') {
                fields = PrefixFields::default();
                full = match_all(&self.items, region.trim_end_matches(' '), &mut fields);
            }
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

/// The most bytes a line's prefix may take before its severity: 2 KiB, far
/// more than any `log_line_prefix` expands to (names are at most 63 bytes).
pub const MAX_PREFIX_BYTES: usize = 2048;

/// Severity-like words tried as the end of the prefix on one line.
const MAX_LEVEL_CANDIDATES: usize = 8;

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
/// or later: (start, level, message start). One space after the colon is
/// accepted too (log shippers that collapse spaces), and more than two.
fn level_positions(line: &str, from: usize) -> impl Iterator<Item = (usize, Level, usize)> + '_ {
    let b = line.as_bytes();
    // the colons of the timestamp and of the prefix's literals lie before
    // `from`: the first colon found is usually the severity's
    let from = from.min(b.len());
    memchr::memchr_iter(b':', &b[from..])
        .map(move |c| from + c)
        .filter(move |&colon| b.get(colon + 1) == Some(&b' '))
        .filter_map(move |colon| {
            // a severity word, in English or in a translation (UTF-8); French
            // puts a space before the colon (`INSTRUCTION :`)
            let end = if colon > 0 && b[colon - 1] == b' ' {
                colon - 1
            } else {
                colon
            };
            let word = b[..end]
                .iter()
                .rev()
                .take_while(|c| c.is_ascii_alphanumeric() || **c >= 0x80)
                .count();
            let start = end - word;
            let one = (start >= from && word > 0)
                .then(|| {
                    let w = &line[start..end];
                    if end == colon {
                        Level::from_word(w)
                    } else {
                        // only a translation is written with the space
                        crate::parse::i18n::severity(w)
                    }
                })
                .flatten()
                .map(|lvl| (start, lvl));
            // a translation of two words (Korean `명령 구문`)
            let two = || {
                let before = start.checked_sub(1).filter(|&s| b[s] == b' ')?;
                let w = b[..before]
                    .iter()
                    .rev()
                    .take_while(|c| c.is_ascii_alphanumeric() || **c >= 0x80)
                    .count();
                let start2 = before - w;
                (w > 0 && start2 >= from)
                    .then(|| crate::parse::i18n::severity(&line[start2..end]))
                    .flatten()
                    .map(|lvl| (start2, lvl))
            };
            one.or_else(two).map(|(start, lvl)| {
                let spaces = b[colon + 1..].iter().take_while(|c| **c == b' ').count();
                (start, lvl, colon + 1 + spaces)
            })
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

#[cfg(test)]
mod tests;
