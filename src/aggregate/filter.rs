//! Which statements a run aggregates: `--exclude-query REGEX` and
//! `--select-only`. Entry filters (time, database, user, application, host)
//! live in [`crate::parse::filter`], where entries are whole; these look at a
//! statement's SQL text, so they apply where statements are folded. A
//! statement left out is counted, with its lines, under its own heading in
//! the coverage, and is not part of N+1 bursts or any figure.

use crate::normalize::lexer::{TokenKind, lex};

/// The statements a run keeps.
#[derive(Debug, Clone, Default)]
pub struct StatementFilter {
    /// Statements whose text matches are left out (the regex crate matches in
    /// time linear in the text, whatever the pattern).
    exclude: Option<regex::Regex>,
    /// Only reads (SELECT, TABLE, VALUES, WITH without a data-modifying part).
    select_only: bool,
}

impl StatementFilter {
    /// From the flags; an invalid pattern is an error naming the flag.
    pub fn new(exclude: &[String], select_only: bool) -> Result<StatementFilter, String> {
        let exclude = match exclude {
            [] => None,
            patterns => {
                let joined = patterns
                    .iter()
                    .map(|p| format!("(?:{p})"))
                    .collect::<Vec<_>>()
                    .join("|");
                Some(
                    regex::RegexBuilder::new(&joined)
                        .size_limit(1 << 24)
                        .build()
                        .map_err(|e| format!("--exclude-query: {e}"))?,
                )
            }
        };
        Ok(StatementFilter {
            exclude,
            select_only,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.exclude.is_none() && !self.select_only
    }

    /// Why the statement `sql` is left out, or `None` when it is kept.
    pub fn verdict(&self, sql: &str) -> Option<&'static str> {
        if self.exclude.as_ref().is_some_and(|r| r.is_match(sql)) {
            return Some("--exclude-query: the statement matches");
        }
        if self.select_only && !is_read(sql) {
            return Some("--select-only: not a SELECT");
        }
        None
    }

    /// The filters, one phrase each.
    pub fn describe(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(r) = &self.exclude {
            out.push(format!("--exclude-query {}", r.as_str()));
        }
        if self.select_only {
            out.push("--select-only".to_string());
        }
        out
    }
}

/// Whether `sql` only reads: it starts with SELECT, TABLE or VALUES (after
/// any parentheses), or with WITH and no INSERT, UPDATE, DELETE or MERGE opens
/// a common table expression or the main statement (`FOR UPDATE` is a read's
/// lock clause, not a write).
pub fn is_read(sql: &str) -> bool {
    let b = sql.as_bytes();
    let lexed = lex(b);
    let words = lexed
        .tokens
        .iter()
        .filter(|t| t.kind != TokenKind::LParen)
        .map(|t| (t.kind, &b[t.start..t.end]));
    let word = |w: &[u8], k: &str| w.eq_ignore_ascii_case(k.as_bytes());
    let mut first = words.clone();
    match first.next() {
        Some((TokenKind::Word, w)) if ["select", "table", "values"].iter().any(|k| word(w, k)) => {
            true
        }
        Some((TokenKind::Word, w)) if word(w, "with") => {
            let mut prev: &[u8] = b"";
            for (kind, w) in words {
                let writes = kind == TokenKind::Word
                    && ["insert", "update", "delete", "merge"]
                        .iter()
                        .any(|k| word(w, k));
                if writes && !word(prev, "for") && !word(prev, "key") {
                    return false;
                }
                prev = w;
            }
            true
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_writes() {
        for read in [
            "SELECT 1",
            "  (select a from t) union (select b from u)",
            "WITH x AS (SELECT 1) SELECT * FROM x FOR UPDATE",
            "with x as (select 1) select * from x for no key update",
            "VALUES (1), (2)",
            "TABLE pgbench_branches",
            "SELECT 'delete from t'",
        ] {
            assert!(is_read(read), "{read}");
        }
        for write in [
            "UPDATE t SET a = 1",
            "WITH d AS (DELETE FROM t RETURNING *) SELECT count(*) FROM d",
            "with x as (select 1) insert into t select * from x",
            "INSERT INTO t VALUES (1)",
            "BEGIN",
            "-- SELECT\nDELETE FROM t",
            "",
        ] {
            assert!(!is_read(write), "{write}");
        }
    }

    #[test]
    fn patterns_are_joined_and_checked() {
        let f = StatementFilter::new(&["^BEGIN".into(), "(?i)^commit".into()], false).unwrap();
        assert!(f.verdict("BEGIN").is_some());
        assert!(f.verdict("COMMIT").is_some());
        assert!(f.verdict("SELECT 1").is_none());
        assert_eq!(f.describe(), ["--exclude-query (?:^BEGIN)|(?:(?i)^commit)"]);
        let e = StatementFilter::new(&["(".into()], false).unwrap_err();
        assert!(e.starts_with("--exclude-query: "), "{e}");
        let s = StatementFilter::new(&[], true).unwrap();
        assert_eq!(
            s.verdict("DELETE FROM t"),
            Some("--select-only: not a SELECT")
        );
        assert!(StatementFilter::default().is_empty());
    }
}
