//! Hiding values in evidence text when `--show-values` is not given: the plans
//! auto_explain logged, deadlock cycles, and examples of unrecognized lines.
//! Queries are masked by the normalizer's display text; this covers the rest.

use crate::normalize::lexer::{TokenKind, lex};
use crate::normalize::normalize;

/// `text` with its string literals (and, with `numbers`, its numeric literals)
/// replaced by `'?'` and `?`.
pub fn literals(text: &str, numbers: bool) -> String {
    let lexed = lex(text.as_bytes());
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for t in &lexed.tokens {
        let replacement = match t.kind {
            TokenKind::Str => "'?'",
            TokenKind::Num if numbers => "?",
            _ => continue,
        };
        out.push_str(&text[copied..t.start]);
        out.push_str(replacement);
        copied = t.end;
    }
    out.push_str(&text[copied..]);
    out
}

/// `text` with long digit runs replaced by `?`: 12 or more digits in a row,
/// or groups of 3 or 4 digits joined by spaces or dashes (`4111-1111-1111-1111`,
/// a phone or an account number), which can be personal data. Dates and
/// times (`2026-11-27 10:58:58`) are kept.
pub fn long_numbers(text: &str) -> String {
    static RUNS: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"\b(?:\d{12,}|\d{3,4}(?:[ -]\d{3,4}){2,})\b").expect("a valid pattern")
    });
    RUNS.replace_all(text, "?").into_owned()
}

/// Plan fields that echo the statement's values.
const CONDITIONS: &[&str] = &[
    "Filter",
    "Index Cond",
    "Recheck Cond",
    "Hash Cond",
    "Join Filter",
    "Merge Cond",
    "One-Time Filter",
    "TID Cond",
    "Output",
    "Sort Key",
    "Group Key",
    "Presorted Key",
    "Cache Key",
    "Hash Key",
    "Query Parameters",
];

/// A logged plan (text or JSON) with the values in its conditions hidden, and
/// the query text of JSON plans masked like any statement.
pub fn plan(text: &str) -> String {
    let trimmed = text.trim_start();
    if (trimmed.starts_with('{') || trimmed.starts_with('['))
        && let Ok(mut v) = serde_json::from_str::<serde_json::Value>(trimmed)
    {
        walk(&mut v);
        return serde_json::to_string_pretty(&v).unwrap_or_default();
    }
    text.lines()
        .map(|l| {
            let body = l.trim_start();
            let indent = &l[..l.len() - body.len()];
            match CONDITIONS
                .iter()
                .find_map(|c| body.strip_prefix(c).and_then(|r| r.strip_prefix(':')))
            {
                Some(rest) => format!(
                    "{indent}{}:{}",
                    &body[..body.len() - rest.len() - 1],
                    literals(rest, true)
                ),
                None => l.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn walk(v: &mut serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                match x {
                    Value::String(s) if k == "Query Text" => *s = normalize(s).display,
                    Value::String(s) if CONDITIONS.contains(&k.as_str()) => *s = literals(s, true),
                    Value::Array(items) if CONDITIONS.contains(&k.as_str()) => {
                        for i in items.iter_mut() {
                            if let Value::String(s) = i {
                                *s = literals(s, true);
                            }
                        }
                    }
                    other => walk(other),
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(walk),
        _ => {}
    }
}

/// A deadlock DETAIL with the statements of its `Process N: <statement>` parts
/// (which may span lines) masked.
pub fn deadlock_cycle(detail: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut statement: Option<(String, String)> = None; // (who, sql so far)
    let flush = |out: &mut Vec<String>, st: &mut Option<(String, String)>| {
        if let Some((who, sql)) = st.take() {
            out.push(format!("{who}: {}", normalize(&sql).display));
        }
    };
    for l in detail.lines() {
        let starts_statement = l.split_once(": ").filter(|(who, _)| {
            who.strip_prefix("Process ")
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        });
        if let Some((who, sql)) = starts_statement {
            flush(&mut out, &mut statement);
            statement = Some((who.to_string(), sql.to_string()));
        } else if l.starts_with("Process ") {
            flush(&mut out, &mut statement);
            out.push(l.to_string());
        } else if let Some((_, sql)) = statement.as_mut() {
            sql.push('\n');
            sql.push_str(l);
        } else {
            out.push(literals(l, true));
        }
    }
    flush(&mut out, &mut statement);
    out.join("\n")
}

#[cfg(test)]
mod tests {

    #[test]
    fn long_digit_runs_are_hidden_dates_are_not() {
        assert_eq!(
            long_numbers(
                "2026-11-27 10:58:58 card 4111-1111-1111-1111 or 4111111111111111, id 12345"
            ),
            "2026-11-27 10:58:58 card ? or ?, id 12345"
        );
        assert_eq!(long_numbers("call 555 123 4567"), "call ?");
    }

    use super::*;

    #[test]
    fn text_plan_conditions_are_masked_and_costs_kept() {
        let p = "Index Scan using t_pkey on t  (cost=0.29..8.30 rows=1 width=4) (actual time=0.01..0.01 rows=1 loops=1)\n  Index Cond: (id = 42)\n  Filter: (email = 'alice@example.com'::text)";
        let m = plan(p);
        assert!(m.contains("rows=1 width=4"), "{m}");
        assert!(m.contains("Index Cond: (id = ?)"), "{m}");
        assert!(m.contains("Filter: (email = '?'::text)"), "{m}");
        assert!(!m.contains("alice") && !m.contains("42"), "{m}");
    }

    #[test]
    fn json_plan_values_are_masked_in_arrays_and_query_text_keeps_key_order() {
        let p = r#"{"Query Text": "SELECT * FROM t WHERE email = 'vip@x.org'", "Plan": {"Node Type": "Seq Scan", "Output": ["'vip@x.org'::text", "id"], "Filter": "(id > 1000)"}}"#;
        let m = plan(p);
        assert!(!m.contains("vip@x.org") && !m.contains("1000"), "{m}");
        assert!(
            m.find("Query Text").unwrap() < m.find("Plan").unwrap(),
            "{m}"
        );
        assert!(
            m.find("Node Type").unwrap() < m.find("Output").unwrap(),
            "{m}"
        );
    }

    #[test]
    fn multi_line_statements_in_a_deadlock_are_masked_whole() {
        let d = "Process 1 waits for ShareLock on transaction 5; blocked by process 2.\nProcess 2 waits for ShareLock on transaction 6; blocked by process 1.\nProcess 1: UPDATE accounts\n  SET secret = 'hunter2'\n  WHERE id = 42;\nProcess 2: UPDATE accounts SET x = 1";
        let m = deadlock_cycle(d);
        assert!(!m.contains("hunter2") && !m.contains("42"), "{m}");
        assert!(m.contains("blocked by process 2."), "{m}");
        assert!(
            m.contains("Process 1: UPDATE accounts\n  SET secret = $1"),
            "{m}"
        );
    }
}
