//! SQL lexer for normalization: bytes in, tokens out, following PostgreSQL's own
//! lexical rules closely enough to never mistake a literal for code.
//!
//! It never fails: unterminated strings, comments and dollar quotes run to the end
//! of the input and set [`Lexed::truncated`]. It works on bytes, so invalid UTF-8
//! and non-ASCII identifiers pass through (bytes >= 0x80 are identifier bytes).

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// Unquoted identifier or keyword.
    Word,
    /// `"quoted identifier"` (or `U&"..."`).
    QuotedIdent,
    /// Any string constant: `'..'`, `E'..'`, `B'..'`, `X'..'`, `N'..'`, `U&'..'`, dollar quotes.
    Str,
    /// Numeric constant.
    Num,
    /// Positional parameter `$n`.
    Param,
    /// Operator (`=`, `<>`, `->>`, `*`, ...).
    Op,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Semi,
    Dot,
    /// `::` cast.
    Cast,
    /// Anything else (a lone `:`, `$`, ...).
    Other,
}

/// One token: its kind and byte span in the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub kind: TokenKind,
    pub start: usize,
    pub end: usize,
}

/// The lexer's result.
#[derive(Debug, Default)]
pub struct Lexed {
    pub tokens: Vec<Token>,
    /// An unterminated string, quoted identifier, comment or dollar quote was found.
    pub truncated: bool,
    /// Byte spans of the comments (dropped from the tokens).
    pub comments: Vec<(usize, usize)>,
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

fn is_ident_cont(b: u8) -> bool {
    is_ident_start(b) || b.is_ascii_digit() || b == b'$'
}

fn is_op_char(b: u8) -> bool {
    matches!(
        b,
        b'+' | b'-'
            | b'*'
            | b'/'
            | b'<'
            | b'>'
            | b'='
            | b'~'
            | b'!'
            | b'@'
            | b'#'
            | b'%'
            | b'^'
            | b'&'
            | b'|'
            | b'`'
            | b'?'
    )
}

/// Lexes `sql` into tokens, dropping whitespace and comments.
///
/// A server with `standard_conforming_strings = off` writes `\'` inside plain
/// strings; read the standard way, such a statement ends inside a string. Then
/// it is read again with backslash escapes, and that reading is kept if it ends
/// cleanly.
pub fn lex(sql: &[u8]) -> Lexed {
    let standard = lex_mode(sql, false);
    if standard.truncated && sql.windows(2).any(|w| w == b"\\'") {
        let old_style = lex_mode(sql, true);
        if !old_style.truncated {
            return old_style;
        }
    }
    standard
}

fn lex_mode(sql: &[u8], backslash_quotes: bool) -> Lexed {
    let mut out = Lexed {
        // statements average about a token per five bytes; capped, so a
        // statement made of one huge literal does not reserve for millions
        tokens: Vec::with_capacity((sql.len() / 4 + 4).min(4096)),
        ..Lexed::default()
    };
    let n = sql.len();
    let mut i = 0;
    while i < n {
        let b = sql[i];
        if b.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        // Comments.
        if b == b'-' && sql.get(i + 1) == Some(&b'-') {
            let start = i;
            while i < n && sql[i] != b'\n' {
                i += 1;
            }
            out.comments.push((start, i));
            continue;
        }
        if b == b'/' && sql.get(i + 1) == Some(&b'*') {
            let (end, closed) = skip_block_comment(sql, i);
            out.truncated |= !closed;
            out.comments.push((i, end));
            i = end;
            continue;
        }
        let start = i;
        let kind;
        match b {
            b'\'' => {
                let (end, closed) = scan_string(sql, i, backslash_quotes);
                out.truncated |= !closed;
                i = extend_adjacent_strings(sql, end, &mut out.truncated);
                kind = TokenKind::Str;
            }
            b'"' => {
                let (end, closed) = scan_quoted(sql, i, b'"');
                out.truncated |= !closed;
                i = end;
                kind = TokenKind::QuotedIdent;
            }
            b'$' => (i, kind) = scan_dollar(sql, i, &mut out.truncated),
            b'0'..=b'9' => {
                i = scan_number(sql, i);
                kind = TokenKind::Num;
            }
            b'.' if sql.get(i + 1).is_some_and(|c| c.is_ascii_digit()) => {
                i = scan_number(sql, i);
                kind = TokenKind::Num;
            }
            b'.' => {
                i += 1;
                kind = TokenKind::Dot;
            }
            b'(' => {
                i += 1;
                kind = TokenKind::LParen;
            }
            b')' => {
                i += 1;
                kind = TokenKind::RParen;
            }
            b'[' => {
                i += 1;
                kind = TokenKind::LBracket;
            }
            b']' => {
                i += 1;
                kind = TokenKind::RBracket;
            }
            b',' => {
                i += 1;
                kind = TokenKind::Comma;
            }
            b';' => {
                i += 1;
                kind = TokenKind::Semi;
            }
            b':' if sql.get(i + 1) == Some(&b':') => {
                i += 2;
                kind = TokenKind::Cast;
            }
            _ if is_ident_start(b) => (i, kind) = scan_word(sql, i, &mut out.truncated),
            _ if is_op_char(b) => {
                i = scan_operator(sql, i);
                kind = TokenKind::Op;
            }
            _ => {
                i += 1;
                kind = TokenKind::Other;
            }
        }
        out.tokens.push(Token {
            kind,
            start,
            end: i,
        });
    }
    out
}

/// A token starting with `$` at `i`: a parameter (`$1`), a dollar-quoted string
/// or a lone `$`. Returns its end and kind; an unclosed quote sets `truncated`.
#[inline]
fn scan_dollar(sql: &[u8], mut i: usize, truncated: &mut bool) -> (usize, TokenKind) {
    let n = sql.len();
    if sql.get(i + 1).is_some_and(|c| c.is_ascii_digit()) {
        i += 1;
        while i < n && sql[i].is_ascii_digit() {
            i += 1;
        }
        (i, TokenKind::Param)
    } else if let Some(tag_end) = dollar_tag(sql, i) {
        let tag = &sql[i..tag_end];
        match find(sql, tag, tag_end) {
            Some(pos) => (pos + tag.len(), TokenKind::Str),
            None => {
                *truncated = true;
                (n, TokenKind::Str)
            }
        }
    } else {
        (i + 1, TokenKind::Other)
    }
}

/// A token starting with an identifier byte at `i`: a word, or a string or
/// quoted identifier behind a prefix (`E'..'`, `B'..'`, `X'..'`, `N'..'`,
/// `U&'..'`, `U&".."`). Returns its end and kind; an unclosed quote sets `truncated`.
#[inline]
fn scan_word(sql: &[u8], mut i: usize, truncated: &mut bool) -> (usize, TokenKind) {
    let next = sql.get(i + 1).copied();
    let lower = sql[i].to_ascii_lowercase();
    if next == Some(b'\'') && matches!(lower, b'e' | b'b' | b'x' | b'n') {
        let (end, closed) = scan_string(sql, i + 1, lower == b'e');
        *truncated |= !closed;
        (extend_adjacent_strings(sql, end, truncated), TokenKind::Str)
    } else if lower == b'u' && next == Some(b'&') && sql.get(i + 2) == Some(&b'\'') {
        let (end, closed) = scan_string(sql, i + 2, false);
        *truncated |= !closed;
        (skip_uescape(sql, end, truncated), TokenKind::Str)
    } else if lower == b'u' && next == Some(b'&') && sql.get(i + 2) == Some(&b'"') {
        let (end, closed) = scan_quoted(sql, i + 2, b'"');
        *truncated |= !closed;
        (skip_uescape(sql, end, truncated), TokenKind::QuotedIdent)
    } else {
        let n = sql.len();
        while i < n && is_ident_cont(sql[i]) {
            i += 1;
        }
        (i, TokenKind::Word)
    }
}

/// Skips a (nested) block comment starting at `i`; returns the end and whether it closed.
fn skip_block_comment(sql: &[u8], mut i: usize) -> (usize, bool) {
    let n = sql.len();
    let mut depth = 0usize;
    while i < n {
        if sql[i] == b'/' && sql.get(i + 1) == Some(&b'*') {
            depth += 1;
            i += 2;
        } else if sql[i] == b'*' && sql.get(i + 1) == Some(&b'/') {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return (i, true);
            }
        } else {
            i += 1;
        }
    }
    (n, false)
}

/// Scans a single-quoted string whose opening quote is at `i`.
/// With `backslash`, `\x` escapes the next byte (E'' strings).
fn scan_string(sql: &[u8], i: usize, backslash: bool) -> (usize, bool) {
    let n = sql.len();
    let mut j = i + 1;
    while j < n {
        match sql[j] {
            b'\\' if backslash => j += 2,
            b'\'' => {
                if sql.get(j + 1) == Some(&b'\'') {
                    j += 2;
                } else {
                    return (j + 1, true);
                }
            }
            _ => j += 1,
        }
    }
    (n, false)
}

/// Scans a quoted identifier (doubled quote escapes).
fn scan_quoted(sql: &[u8], i: usize, q: u8) -> (usize, bool) {
    let n = sql.len();
    let mut j = i + 1;
    while j < n {
        if sql[j] == q {
            if sql.get(j + 1) == Some(&q) {
                j += 2;
            } else {
                return (j + 1, true);
            }
        } else {
            j += 1;
        }
    }
    (n, false)
}

/// PostgreSQL joins string constants separated by whitespace containing a newline.
fn extend_adjacent_strings(sql: &[u8], mut end: usize, truncated: &mut bool) -> usize {
    loop {
        let mut j = end;
        let mut newline = false;
        while j < sql.len() && sql[j].is_ascii_whitespace() {
            newline |= sql[j] == b'\n';
            j += 1;
        }
        if newline && sql.get(j) == Some(&b'\'') {
            let (e, closed) = scan_string(sql, j, false);
            *truncated |= !closed;
            end = e;
        } else {
            return end;
        }
    }
}

/// After `U&'..'`, an optional `UESCAPE 'c'` belongs to the literal.
fn skip_uescape(sql: &[u8], end: usize, truncated: &mut bool) -> usize {
    let mut j = end;
    while j < sql.len() && sql[j].is_ascii_whitespace() {
        j += 1;
    }
    if sql.len() >= j + 7 && sql[j..j + 7].eq_ignore_ascii_case(b"uescape") {
        let mut k = j + 7;
        while k < sql.len() && sql[k].is_ascii_whitespace() {
            k += 1;
        }
        if sql.get(k) == Some(&b'\'') {
            let (e, closed) = scan_string(sql, k, false);
            *truncated |= !closed;
            return e;
        }
    }
    end
}

/// If a dollar-quote tag (`$$` or `$tag$`) starts at `i`, returns the index after it.
fn dollar_tag(sql: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    if sql.get(j) == Some(&b'$') {
        return Some(j + 1);
    }
    if !sql.get(j).is_some_and(|&c| is_ident_start(c)) {
        return None;
    }
    while j < sql.len() && (is_ident_start(sql[j]) || sql[j].is_ascii_digit()) {
        j += 1;
    }
    (sql.get(j) == Some(&b'$')).then_some(j + 1)
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || from > hay.len() {
        return None;
    }
    hay[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// Scans a numeric literal: decimal, fraction, exponent, `0x`/`0o`/`0b`, `_` separators.
fn scan_number(sql: &[u8], i: usize) -> usize {
    let n = sql.len();
    let digits = |mut j: usize, ok: fn(u8) -> bool| {
        while j < n && (ok(sql[j]) || (sql[j] == b'_' && sql.get(j + 1).is_some_and(|&c| ok(c)))) {
            j += 1;
        }
        j
    };
    if sql[i] == b'0' {
        let radix: Option<fn(u8) -> bool> = match sql.get(i + 1).map(|c| c.to_ascii_lowercase()) {
            Some(b'x') => Some(|c: u8| c.is_ascii_hexdigit()),
            Some(b'o') => Some(|c: u8| (b'0'..=b'7').contains(&c)),
            Some(b'b') => Some(|c: u8| c == b'0' || c == b'1'),
            _ => None,
        };
        if let Some(ok) = radix
            && sql.get(i + 2).is_some_and(|&c| ok(c))
        {
            return digits(i + 2, ok);
        }
    }
    let dec = |c: u8| c.is_ascii_digit();
    let mut j = digits(i, dec);
    if j < n && sql[j] == b'.' && sql.get(j + 1) != Some(&b'.') {
        j = digits(j + 1, dec);
    }
    if j < n && (sql[j] == b'e' || sql[j] == b'E') {
        let mut k = j + 1;
        if k < n && (sql[k] == b'+' || sql[k] == b'-') {
            k += 1;
        }
        if k < n && sql[k].is_ascii_digit() {
            j = digits(k, dec);
        }
    }
    j
}

/// Scans an operator the PostgreSQL way: the longest run of operator characters,
/// stopping before `--` or `/*`; a trailing `+`/`-` is dropped unless the run holds
/// one of ``~!@#%^&|`?``.
fn scan_operator(sql: &[u8], i: usize) -> usize {
    let n = sql.len();
    let mut j = i;
    while j < n && is_op_char(sql[j]) {
        let two = (sql[j], sql.get(j + 1).copied());
        if j > i && (two == (b'-', Some(b'-')) || two == (b'/', Some(b'*'))) {
            break;
        }
        j += 1;
    }
    if j == i {
        return i + 1;
    }
    let run = &sql[i..j];
    if run.len() > 1 && !run.iter().any(|c| b"~!@#%^&|`?".contains(c)) {
        while j > i + 1 && (sql[j - 1] == b'+' || sql[j - 1] == b'-') {
            j -= 1;
        }
    }
    j
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_literal_does_not_reserve_room_for_millions_of_tokens() {
        let sql = format!("insert into t values ('{}')", "x".repeat(8 << 20));
        let l = lex(sql.as_bytes());
        assert_eq!(l.tokens.len(), 7);
        assert!(l.tokens.capacity() <= 4096, "{}", l.tokens.capacity());
    }

    fn kinds(s: &str) -> Vec<(TokenKind, String)> {
        let l = lex(s.as_bytes());
        l.tokens
            .iter()
            .map(|t| (t.kind, s[t.start..t.end].to_string()))
            .collect()
    }

    #[test]
    fn operators_drop_trailing_minus() {
        let k = kinds("2*-3");
        assert_eq!(k[1], (TokenKind::Op, "*".into()));
        assert_eq!(k[2], (TokenKind::Op, "-".into()));
        assert_eq!(kinds("a->>'k'")[1], (TokenKind::Op, "->>".into()));
        assert_eq!(kinds("a @- b")[1], (TokenKind::Op, "@-".into()));
    }

    #[test]
    fn strings_and_dollar_quotes() {
        assert_eq!(kinds("'a''b'")[0].0, TokenKind::Str);
        assert_eq!(kinds("E'it\\'s' x").len(), 2);
        assert_eq!(kinds("$x$ a $ b $x$ z").len(), 2);
        assert_eq!(kinds("a$b")[0], (TokenKind::Word, "a$b".into()));
        assert_eq!(kinds("$12")[0], (TokenKind::Param, "$12".into()));
    }

    #[test]
    fn truncated_input_never_fails() {
        for s in ["'abc", "\"abc", "/* x", "$q$ body", "E'\\"] {
            let l = lex(s.as_bytes());
            assert!(l.truncated, "{s}");
            let expected = usize::from(!s.starts_with("/*"));
            assert_eq!(l.tokens.len(), expected, "{s}");
        }
    }

    #[test]
    fn invalid_utf8_passes_through() {
        let l = lex(b"select \xff\xfe from t");
        assert_eq!(l.tokens.len(), 4);
        assert_eq!(l.tokens[1].kind, TokenKind::Word);
    }
}
