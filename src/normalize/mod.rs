//! Query normalization: one logged SQL text -> the grouping key, a display text with
//! the constants replaced, and a stable 64-bit fingerprint.
//!
//! Pure functions, no I/O. The rules (R1-R18) and their test vectors come from the
//! project's normalization reference (copied into `tests/data/normalization-vectors.json`).

pub mod lexer;
pub mod shape;

use lexer::{Token, TokenKind, lex};

/// The result of normalizing one statement text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Normalized {
    /// Grouping key: lowercase, one space between tokens, constants as `$n`,
    /// IN/ARRAY lists and VALUES rows squashed, statements joined with `; `.
    pub key: String,
    /// The original text with every constant replaced by `$n` (case, spacing and
    /// comments kept): safe to show when values must stay hidden.
    pub display: String,
    /// An unterminated string, comment or dollar quote was found (a truncated log line).
    pub truncated: bool,
    /// The text was longer than [`MAX_STATEMENT_BYTES`]: only its start was
    /// normalized (and is shown).
    pub cut: bool,
    /// A fast hash of `key` ([`key_hash`]), computed with it, so a table keyed
    /// by it need not hash it again (on another thread).
    pub key_hash: u64,
}

impl Normalized {
    /// Stable 64-bit fingerprint of the key.
    pub fn fingerprint(&self) -> u64 {
        fingerprint(&self.key)
    }
}

/// Stable 64-bit FNV-1a hash of a normalized key. Stable across runs, platforms and
/// versions of pgsift, so it can be used to join reports.
pub fn fingerprint(key: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in key.as_bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// A fingerprint printed as 16 lowercase hex digits.
pub fn fingerprint_hex(fp: u64) -> String {
    format!("{fp:016x}")
}

/// Token kinds after constant detection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Word,
    Quoted,
    Const,
    Param,
    Op,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Dot,
    Cast,
    Other,
    Squash,
}

/// A normalized token; its text borrows the SQL unless it had to change.
#[derive(Debug, Clone)]
struct NTok<'a> {
    kind: Kind,
    text: std::borrow::Cow<'a, str>,
}

const TYPES_WITH_MODIFIERS: &[&str] = &[
    "numeric",
    "decimal",
    "dec",
    "varchar",
    "char",
    "character",
    "varying",
    "bpchar",
    "bit",
    "varbit",
    "timestamp",
    "timestamptz",
    "time",
    "timetz",
    "interval",
    "float",
];

/// Keywords after which a `-` starts a negative constant rather than a subtraction.
const EXPRESSION_KEYWORDS: &[&str] = &[
    "select",
    "where",
    "and",
    "or",
    "not",
    "when",
    "then",
    "else",
    "between",
    "like",
    "ilike",
    "on",
    "limit",
    "offset",
    "by",
    "in",
    "values",
    "returning",
    "having",
    "case",
    "is",
    "set",
    "return",
    "distinct",
];

/// Words that end a GROUP BY / ORDER BY list.
const BY_LIST_END: &[&str] = &[
    "having",
    "limit",
    "offset",
    "fetch",
    "window",
    "for",
    "union",
    "intersect",
    "except",
    "returning",
    "from",
    "where",
];

/// Words that may follow an ordinal in a GROUP BY / ORDER BY list.
const AFTER_ORDINAL: &[&str] = &[
    "asc",
    "desc",
    "nulls",
    "order",
    "limit",
    "offset",
    "having",
    "fetch",
    "window",
    "for",
    "union",
    "intersect",
    "except",
    "using",
];

/// The longest statement text normalized whole: a longer one (a bulk load
/// of 140 MB) is normalized on its first 1 MiB, so a key, its display and
/// every example of it stay small.
pub const MAX_STATEMENT_BYTES: usize = 1 << 20;

/// Normalizes a logged SQL text (one or several statements).
pub fn normalize(sql: &str) -> Normalized {
    let cut = sql.len() > MAX_STATEMENT_BYTES;
    let sql = &sql[..sql.floor_char_boundary(MAX_STATEMENT_BYTES)];
    let bytes = sql.as_bytes();
    let lexed = lex(bytes);
    let mut keys: Vec<String> = Vec::new();
    // Display edits: (start, end, Some(n) for a constant shown as $n, None for a comment).
    let mut edits: Vec<(usize, usize, Option<u64>)> =
        lexed.comments.iter().map(|&(s, e)| (s, e, None)).collect();
    for stmt in split_statements(bytes, &lexed.tokens) {
        if stmt.is_empty() {
            continue;
        }
        let converted = convert(sql, stmt);
        let first = converted.max_param.saturating_add(1);
        edits.extend(
            (first..)
                .zip(&converted.const_spans)
                .map(|(n, &(s, e))| (s, e, Some(n))),
        );
        let before = converted.toks.len();
        let mut toks = squash(converted.toks);
        if toks.len() != before {
            // A list was squashed: number every placeholder (parameters too) in
            // order, so text after the list does not depend on the list's length.
            let placeholders = toks
                .iter_mut()
                .filter(|t| matches!(t.kind, Kind::Const | Kind::Param));
            for (n, t) in (1u64..).zip(placeholders) {
                t.text = placeholder(n);
            }
        } else {
            for (n, t) in (first..).zip(toks.iter_mut().filter(|t| t.kind == Kind::Const)) {
                t.text = placeholder(n);
            }
        }
        keys.push(render(&toks));
    }
    let display = build_display(sql, edits);
    let key = if keys.len() == 1 {
        keys.pop().unwrap_or_default()
    } else {
        keys.join("; ")
    };
    Normalized {
        key_hash: key_hash(&key),
        key,
        display,
        truncated: lexed.truncated,
        cut,
    }
}

/// A fast 64-bit hash of a normalized key (FxHash, eight bytes a step), for
/// hash tables. Not stable across versions of pgsift: [`fingerprint`] is.
pub fn key_hash(key: &str) -> u64 {
    use std::hash::Hasher;
    let mut h = rustc_hash::FxHasher::default();
    h.write(key.as_bytes());
    h.finish()
}

/// `$n`: shared for the placeholders most statements have, built for the others.
fn placeholder(n: u64) -> std::borrow::Cow<'static, str> {
    static COMMON: std::sync::LazyLock<Vec<String>> =
        std::sync::LazyLock::new(|| (0..64).map(|n| format!("${n}")).collect());
    match COMMON.get(n as usize) {
        Some(s) => std::borrow::Cow::Borrowed(s.as_str()),
        None => format!("${n}").into(),
    }
}

/// The original text with constants replaced by `$n` and comments removed (they
/// can hold values too), trailing `;` and whitespace dropped.
fn build_display(sql: &str, mut edits: Vec<(usize, usize, Option<u64>)>) -> String {
    let bytes = sql.as_bytes();
    // spans between edits end on character boundaries: copied as they are
    let piece = |s: usize, e: usize| match sql.get(s..e) {
        Some(p) => std::borrow::Cow::Borrowed(p),
        None => String::from_utf8_lossy(&bytes[s..e]),
    };
    edits.sort_unstable_by_key(|e| e.0);
    let mut out = String::with_capacity(bytes.len());
    let mut copied_to = 0;
    for (s, e, replacement) in edits {
        if s < copied_to {
            continue;
        }
        out.push_str(&piece(copied_to, s));
        let glued_before = out
            .chars()
            .last()
            .is_some_and(|c| c.is_alphanumeric() || c == '_');
        match replacement {
            Some(n) => {
                if glued_before {
                    out.push(' ');
                }
                out.push_str(&placeholder(n));
            }
            None => {
                let glued_after = bytes.get(e).is_some_and(|c| !c.is_ascii_whitespace());
                if glued_before && glued_after {
                    out.push(' ');
                }
            }
        }
        copied_to = e;
    }
    out.push_str(&piece(copied_to, bytes.len()));
    // `out.trim().trim_end_matches(';').trim_end()`, trimmed in place
    let start = out.len() - out.trim_start().len();
    let end = out.trim_end().trim_end_matches(';').trim_end().len();
    out.truncate(end.max(start));
    out.drain(..start);
    out
}

/// R1: split at top-level `;`, not inside `BEGIN ATOMIC ... END`.
fn split_statements<'t>(sql: &[u8], tokens: &'t [Token]) -> Vec<&'t [Token]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut atomic_depth = 0usize;
    let mut prev_word: Option<&[u8]> = None;
    for (i, t) in tokens.iter().enumerate() {
        match t.kind {
            TokenKind::Word => {
                let w = &sql[t.start..t.end];
                let opens_atomic = w.eq_ignore_ascii_case(b"atomic")
                    && prev_word.is_some_and(|p| p.eq_ignore_ascii_case(b"begin"));
                if opens_atomic || (atomic_depth > 0 && w.eq_ignore_ascii_case(b"case")) {
                    atomic_depth += 1;
                } else if atomic_depth > 0 && w.eq_ignore_ascii_case(b"end") {
                    atomic_depth -= 1;
                }
                prev_word = Some(w);
            }
            TokenKind::Semi if atomic_depth == 0 => {
                out.push(&tokens[start..i]);
                start = i + 1;
                prev_word = None;
            }
            _ => prev_word = None,
        }
    }
    out.push(&tokens[start..]);
    out
}

struct Converted<'a> {
    toks: Vec<NTok<'a>>,
    /// Byte spans of the constants, in order, for the display text.
    const_spans: Vec<(usize, usize)>,
    max_param: u64,
}

fn word_is(t: Option<&NTok>, words: &[&str]) -> bool {
    t.is_some_and(|t| t.kind == Kind::Word && words.contains(&t.text.as_ref()))
}

/// Turns lexer tokens into normalized tokens, deciding which are constants.
fn convert<'a>(src: &'a str, toks: &[Token]) -> Converted<'a> {
    let sql = src.as_bytes();
    // tokens end on character boundaries: their text is borrowed as it is,
    // with no second UTF-8 check (the lossy decoding stays as a fallback)
    let text = |t: &Token| token_text(src, t);
    let mut out: Vec<NTok<'a>> = Vec::with_capacity(toks.len());
    let mut spans: Vec<(usize, usize)> = Vec::new();
    let mut max_param = 0u64;
    // numbers kept as written (a type's modifiers): rare, allocated when met
    let mut kept_numbers: Vec<bool> = Vec::new();
    let mut depth = 0i32;
    let mut by_list: Option<i32> = None;
    let mut pending_minus: Option<usize> = None; // start byte of a `-` that may join a number
    for (idx, t) in toks.iter().enumerate() {
        let minus = pending_minus.take();
        let kind = match t.kind {
            TokenKind::Word => {
                let lw = lowercase(text(t));
                if word_is_constant(&out, &lw) {
                    spans.push((t.start, t.end));
                    out.push(NTok {
                        kind: Kind::Const,
                        text: std::borrow::Cow::Borrowed(""),
                    });
                    continue;
                }
                if lw == "by" && word_is(out.last(), &["group", "order"]) {
                    by_list = Some(depth);
                } else if by_list == Some(depth) && BY_LIST_END.contains(&lw.as_ref()) {
                    by_list = None;
                }
                out.push(NTok {
                    kind: Kind::Word,
                    text: lw,
                });
                continue;
            }
            TokenKind::QuotedIdent => {
                out.push(quoted_ident(text(t)));
                continue;
            }
            TokenKind::Str => Kind::Const,
            TokenKind::Num => {
                let in_by_list = by_list == Some(depth);
                let kept = kept_numbers.get(idx).copied().unwrap_or(false);
                if kept || (in_by_list && is_ordinal(src, toks, idx, out.last())) {
                    out.push(NTok {
                        kind: Kind::Word,
                        text: text(t),
                    });
                    continue;
                }
                Kind::Const
            }
            TokenKind::Param => {
                max_param = max_param.max(param_number(&sql[t.start + 1..t.end]));
                Kind::Param
            }
            TokenKind::Op => Kind::Op,
            TokenKind::LParen => {
                depth += 1;
                if word_is(out.last(), TYPES_WITH_MODIFIERS)
                    && let Some(end) = type_modifiers_end(toks, idx)
                {
                    kept_numbers.resize(toks.len(), false);
                    kept_numbers[idx + 1..end]
                        .iter_mut()
                        .for_each(|k| *k = true);
                }
                Kind::LParen
            }
            TokenKind::RParen => {
                depth -= 1;
                if by_list.is_some_and(|d| d > depth) {
                    by_list = None;
                }
                Kind::RParen
            }
            TokenKind::LBracket => Kind::LBracket,
            TokenKind::RBracket => Kind::RBracket,
            TokenKind::Comma => Kind::Comma,
            TokenKind::Dot => Kind::Dot,
            TokenKind::Cast => Kind::Cast,
            TokenKind::Semi | TokenKind::Other => Kind::Other,
        };
        if kind == Kind::Const {
            // R6: a `-` right before a number is part of the constant when the token
            // before the `-` cannot end an operand.
            let mut start = t.start;
            if let (TokenKind::Num, Some(ms)) = (t.kind, minus) {
                out.pop();
                start = ms;
            }
            spans.push((start, t.end));
            out.push(NTok {
                kind,
                text: std::borrow::Cow::Borrowed(""),
            });
            continue;
        }
        if kind == Kind::Op && &sql[t.start..t.end] == b"-" && minus_is_unary(out.last()) {
            pending_minus = Some(t.start);
        }
        out.push(NTok {
            kind,
            text: text(t),
        });
    }
    Converted {
        toks: out,
        const_spans: spans,
        max_param,
    }
}

/// A token's text, borrowed from the SQL (tokens end on character
/// boundaries); decoded lossily only if they somehow do not.
#[inline]
fn token_text<'a>(src: &'a str, t: &Token) -> std::borrow::Cow<'a, str> {
    match src.get(t.start..t.end) {
        Some(s) => std::borrow::Cow::Borrowed(s),
        None => String::from_utf8_lossy(&src.as_bytes()[t.start..t.end]),
    }
}

/// A word in lower case, still borrowed when it already was.
#[inline]
fn lowercase(raw: std::borrow::Cow<'_, str>) -> std::borrow::Cow<'_, str> {
    if raw.bytes().any(|b| b.is_ascii_uppercase()) {
        std::borrow::Cow::Owned(raw.to_ascii_lowercase())
    } else {
        raw
    }
}

/// Whether the (lowercase) word `lw`, following the tokens `out`, is a
/// constant: TRUE / FALSE / NULL as values (R5), and the names of R14.
#[inline]
fn word_is_constant(out: &[NTok<'_>], lw: &str) -> bool {
    let prev = out.last();
    let prev2 = out.len().checked_sub(2).and_then(|i| out.get(i));
    match lw {
        // `NOT NULL` and a column's `NULL` constraint are syntax, not constants:
        // a constant cannot follow a plain identifier or type name.
        "null"
            if word_is(prev, &["not"])
                || (prev.is_some_and(|p| p.kind == Kind::Word)
                    && !word_is(prev, EXPRESSION_KEYWORDS)
                    && !word_is(prev, &["default"])) =>
        {
            false
        }
        "true" | "false" | "null" => {
            !(word_is(prev, &["is"]) || (word_is(prev, &["not"]) && word_is(prev2, &["is"])))
        }
        "all" | "savepoint" | "prepare" => false,
        // R14: the name in SAVEPOINT x, RELEASE [SAVEPOINT] x,
        // ROLLBACK [WORK] TO [SAVEPOINT] x, DEALLOCATE [PREPARE] x.
        _ => {
            let at = out.len();
            let starts = |w: &str| word_is(out.first(), &[w]);
            (starts("savepoint") && at == 1)
                || (starts("release") && (at == 1 || (at == 2 && word_is(prev, &["savepoint"]))))
                || (starts("deallocate") && (at == 1 || (at == 2 && word_is(prev, &["prepare"]))))
                || (starts("rollback")
                    && (word_is(prev, &["to"])
                        || (word_is(prev, &["savepoint"]) && word_is(prev2, &["to"]))))
        }
    }
}

/// A quoted identifier: a plain word when quoting changes nothing (`"id"`),
/// else kept quoted as written.
#[inline]
fn quoted_ident(raw: std::borrow::Cow<'_, str>) -> NTok<'_> {
    let inner = raw.strip_prefix('"').and_then(|r| r.strip_suffix('"'));
    let plain = inner.filter(|s| {
        let b = s.as_bytes();
        !b.is_empty()
            && (b[0].is_ascii_lowercase() || b[0] == b'_')
            && b.iter()
                .all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_' || c == b'$')
    });
    match plain {
        Some(p) => NTok {
            kind: Kind::Word,
            text: p.to_string().into(),
        },
        None => NTok {
            kind: Kind::Quoted,
            text: raw,
        },
    }
}

/// Whether the number at `idx`, in a GROUP BY / ORDER BY list and after `prev`,
/// is a column ordinal (kept as written): an integer right after `BY` or a
/// comma, followed by the end of the item.
#[inline]
fn is_ordinal(src: &str, toks: &[Token], idx: usize, prev: Option<&NTok<'_>>) -> bool {
    let t = &toks[idx];
    let ordinal_position = word_is(prev, &["by"]) || prev.is_some_and(|p| p.kind == Kind::Comma);
    if !ordinal_position {
        return false;
    }
    let ordinal_end = match toks.get(idx + 1) {
        None => true,
        Some(n) => match n.kind {
            TokenKind::Comma | TokenKind::RParen | TokenKind::Semi => true,
            TokenKind::Word => {
                AFTER_ORDINAL.contains(&token_text(src, n).to_ascii_lowercase().as_str())
            }
            _ => false,
        },
    };
    ordinal_end
        && src.as_bytes()[t.start..t.end]
            .iter()
            .all(u8::is_ascii_digit)
}

/// The number of a parameter from the digits after its `$` (0 when unreadable,
/// capped at `u32::MAX`).
#[inline]
fn param_number(digits: &[u8]) -> u64 {
    std::str::from_utf8(digits)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
        .min(u64::from(u32::MAX))
}

/// For the `(` at `open` after a type name: the index of its `)` when only
/// numbers and commas stand between (a type's modifiers, `numeric(10, 2)`).
fn type_modifiers_end(toks: &[Token], open: usize) -> Option<usize> {
    let mut j = open + 1;
    while toks
        .get(j)
        .is_some_and(|t| matches!(t.kind, TokenKind::Num | TokenKind::Comma))
    {
        j += 1;
    }
    toks.get(j)
        .is_some_and(|t| t.kind == TokenKind::RParen)
        .then_some(j)
}

/// Whether a `-` after `prev` is a sign rather than a subtraction: nothing
/// before it can end an operand.
#[inline]
fn minus_is_unary(prev: Option<&NTok<'_>>) -> bool {
    match prev {
        None => true,
        Some(p) => {
            matches!(
                p.kind,
                Kind::Op | Kind::LParen | Kind::LBracket | Kind::Comma
            ) || word_is(Some(p), EXPRESSION_KEYWORDS)
        }
    }
}

fn is_placeholder(t: &NTok<'_>) -> bool {
    matches!(t.kind, Kind::Const | Kind::Param)
}

/// Parses one list element at `i`: a placeholder with an optional `::type[]` cast.
/// Returns the index after it and the cast text.
fn list_element(toks: &[NTok<'_>], i: usize) -> Option<(usize, String)> {
    if !toks.get(i).is_some_and(is_placeholder) {
        return None;
    }
    let mut j = i + 1;
    let mut cast = String::new();
    if toks.get(j).is_some_and(|t| t.kind == Kind::Cast)
        && toks.get(j + 1).is_some_and(|t| t.kind == Kind::Word)
    {
        cast.push_str(&toks[j + 1].text);
        j += 2;
        while toks.get(j).is_some_and(|t| t.kind == Kind::LBracket)
            && toks.get(j + 1).is_some_and(|t| t.kind == Kind::RBracket)
        {
            cast.push_str("[]");
            j += 2;
        }
    }
    Some((j, cast))
}

/// Index of the token closing the group opened at `open`, if any.
fn matching_close(toks: &[NTok<'_>], open: usize) -> Option<usize> {
    let (o, c) = match toks[open].kind {
        Kind::LParen => (Kind::LParen, Kind::RParen),
        _ => (Kind::LBracket, Kind::RBracket),
    };
    let mut depth = 0;
    for (j, t) in toks.iter().enumerate().skip(open) {
        if t.kind == o {
            depth += 1;
        } else if t.kind == c {
            depth -= 1;
            if depth == 0 {
                return Some(j);
            }
        }
    }
    None
}

/// R9 and R10: squash IN / ARRAY lists of placeholders and VALUES rows of one shape.
fn squash(toks: Vec<NTok<'_>>) -> Vec<NTok<'_>> {
    let mut out: Vec<NTok<'_>> = Vec::with_capacity(toks.len());
    let mut i = 0;
    while i < toks.len() {
        let t = &toks[i];
        let opener = toks.get(i + 1).map(|n| n.kind);
        let list_kind = match (t.kind, t.text.as_ref(), opener) {
            (Kind::Word, "in", Some(Kind::LParen)) => Some(Kind::RParen),
            (Kind::Word, "array", Some(Kind::LBracket)) => Some(Kind::RBracket),
            _ => None,
        };
        if let Some(close) = list_kind {
            let mut j = i + 2;
            let mut count = 0;
            let mut casts: Option<String> = None;
            let mut same = true;
            let mut first_end = j;
            while let Some((after, cast)) = list_element(&toks, j) {
                count += 1;
                if count == 1 {
                    first_end = after;
                }
                same &= casts.get_or_insert_with(|| cast.clone()) == &cast;
                j = after;
                if toks.get(j).is_some_and(|t| t.kind == Kind::Comma) {
                    j += 1;
                } else {
                    break;
                }
            }
            if count >= 2 && same && toks.get(j).is_some_and(|t| t.kind == close) {
                out.extend_from_slice(&toks[i..first_end]);
                out.push(NTok {
                    kind: Kind::Squash,
                    text: "/*, ... */".into(),
                });
                out.push(toks[j].clone());
                i = j + 1;
                continue;
            }
        }
        if t.kind == Kind::Word && t.text == "values" && opener == Some(Kind::LParen) {
            let mut rows: Vec<(usize, usize)> = Vec::new();
            let mut j = i + 1;
            while toks.get(j).is_some_and(|t| t.kind == Kind::LParen) {
                let Some(end) = matching_close(&toks, j) else {
                    break;
                };
                rows.push((j, end));
                if toks.get(end + 1).is_some_and(|t| t.kind == Kind::Comma)
                    && toks.get(end + 2).is_some_and(|t| t.kind == Kind::LParen)
                {
                    j = end + 2;
                } else {
                    break;
                }
            }
            if rows.len() >= 2 {
                let shape = |(s, e): (usize, usize)| {
                    toks[s..=e]
                        .iter()
                        .map(|t| {
                            if is_placeholder(t) {
                                (Kind::Const, "")
                            } else {
                                (t.kind, t.text.as_ref())
                            }
                        })
                        .collect::<Vec<_>>()
                };
                let first = shape(rows[0]);
                if rows.iter().all(|&r| shape(r) == first) {
                    out.extend_from_slice(&toks[i..=rows[0].1]);
                    out.push(NTok {
                        kind: Kind::Squash,
                        text: "/*, ... */".into(),
                    });
                    i = rows[rows.len() - 1].1 + 1;
                    continue;
                }
            }
        }
        out.push(t.clone());
        i += 1;
    }
    out
}

/// R2: one space between tokens, with the exceptions of the rule.
fn render(toks: &[NTok<'_>]) -> String {
    let mut s = String::with_capacity(toks.iter().map(|t| t.text.len() + 1).sum());
    let mut prev: Option<Kind> = None;
    for t in toks {
        if let Some(p) = prev {
            let no_space = matches!(p, Kind::LParen | Kind::LBracket | Kind::Dot | Kind::Cast)
                || matches!(
                    t.kind,
                    Kind::RParen
                        | Kind::RBracket
                        | Kind::Comma
                        | Kind::LBracket
                        | Kind::Dot
                        | Kind::Cast
                )
                || (matches!(p, Kind::Word | Kind::Quoted) && t.kind == Kind::LParen);
            if !no_space {
                s.push(' ');
            }
        }
        s.push_str(&t.text);
        prev = Some(t.kind);
    }
    s
}

#[cfg(test)]
mod tests;
