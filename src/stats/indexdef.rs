//! Reads an index definition as `pg_get_indexdef()` and `pg_indexes.indexdef`
//! print it: `CREATE [UNIQUE] INDEX name ON [ONLY] schema.table USING method
//! (key, ...) [INCLUDE (...)] [NULLS [NOT] DISTINCT] [WITH (...)] [TABLESPACE t]
//! [WHERE predicate]`, so index checks need no catalog columns.

/// An index definition, parsed.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct IndexShape {
    pub unique: bool,
    /// Index name as written (quotes removed).
    pub name: String,
    pub schema: Option<String>,
    pub table: String,
    /// `btree`, `hash`, `gin`, `gist`, `brin`, ...
    pub method: String,
    /// Key elements as written, whitespace collapsed: a column (`customer_id`), an
    /// expression (`lower(email)`), with any opclass, collation and order.
    pub keys: Vec<String>,
    /// `INCLUDE` columns.
    pub include: Vec<String>,
    /// The `WHERE` predicate, whitespace collapsed.
    pub predicate: Option<String>,
}

impl IndexShape {
    /// The plain column of a key element, when it is one (`"Name" DESC` -> `Name`).
    pub fn key_column(key: &str) -> Option<String> {
        let (ident, rest) = identifier(key)?;
        let rest = rest.trim();
        let ok = rest.is_empty()
            || rest
                .split_whitespace()
                .next()
                .is_some_and(|w| !w.starts_with('(') && !w.starts_with("::"));
        ok.then_some(ident)
    }
}

/// Collapses runs of whitespace to one space.
fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// An identifier at the start of `s` (quoted or not), and the rest.
fn identifier(s: &str) -> Option<(String, &str)> {
    let s = s.trim_start();
    if let Some(q) = s.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = q.char_indices();
        while let Some((i, c)) = chars.next() {
            if c == '"' {
                if q[i + 1..].starts_with('"') {
                    out.push('"');
                    chars.next();
                } else {
                    return Some((out, &q[i + 1..]));
                }
            } else {
                out.push(c);
            }
        }
        None
    } else {
        let end = s
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
            .unwrap_or(s.len());
        (end > 0).then(|| (s[..end].to_string(), &s[end..]))
    }
}

/// The text inside the parenthesized group at the start of `s`, and the rest.
/// Quotes and nested parentheses are respected.
fn group(s: &str) -> Option<(&str, &str)> {
    let s = s.trim_start();
    if !s.starts_with('(') {
        return None;
    }
    let mut depth = 0;
    let mut quote: Option<char> = None;
    for (i, c) in s.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '\'' | '"' => quote = Some(c),
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some((&s[1..i], &s[i + 1..]));
                    }
                }
                _ => {}
            },
        }
    }
    None
}

/// Splits on commas outside parentheses and quotes.
fn split_top(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0;
    let mut quote: Option<char> = None;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '\'' | '"' => quote = Some(c),
                '(' => depth += 1,
                ')' => depth -= 1,
                ',' if depth == 0 => {
                    out.push(squash(&s[start..i]));
                    start = i + 1;
                }
                _ => {}
            },
        }
    }
    let last = squash(&s[start..]);
    if !last.is_empty() {
        out.push(last);
    }
    out
}

/// Consumes a keyword (case-insensitive) followed by a word boundary.
fn keyword<'a>(s: &'a str, kw: &str) -> Option<&'a str> {
    let t = s.trim_start();
    let head = t.get(..kw.len())?;
    let rest = &t[kw.len()..];
    (head.eq_ignore_ascii_case(kw)
        && rest
            .chars()
            .next()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_')))
    .then_some(rest)
}

/// Parses an index definition; `None` when it is not one.
pub fn parse(def: &str) -> Option<IndexShape> {
    let mut s = keyword(def, "CREATE")?;
    let mut shape = IndexShape::default();
    if let Some(r) = keyword(s, "UNIQUE") {
        shape.unique = true;
        s = r;
    }
    s = keyword(s, "INDEX")?;
    if let Some(r) = keyword(s, "CONCURRENTLY") {
        s = r;
    }
    if let Some(r) = keyword(s, "IF").and_then(|r| keyword(r, "NOT")) {
        s = keyword(r, "EXISTS")?;
    }
    if keyword(s, "ON").is_none() {
        let (name, r) = identifier(s)?;
        shape.name = name;
        s = r;
    }
    s = keyword(s, "ON")?;
    if let Some(r) = keyword(s, "ONLY") {
        s = r;
    }
    let (first, r) = identifier(s)?;
    s = r;
    if let Some(r) = s.strip_prefix('.') {
        let (table, r) = identifier(r)?;
        shape.schema = Some(first);
        shape.table = table;
        s = r;
    } else {
        shape.table = first;
    }
    shape.method = "btree".into();
    if let Some(r) = keyword(s, "USING") {
        let (m, r) = identifier(r)?;
        shape.method = m.to_ascii_lowercase();
        s = r;
    }
    let (keys, r) = group(s)?;
    shape.keys = split_top(keys);
    s = r;
    loop {
        if let Some(r) = keyword(s, "INCLUDE") {
            let (inc, r) = group(r)?;
            shape.include = split_top(inc);
            s = r;
        } else if let Some(r) = keyword(s, "NULLS") {
            s = keyword(r, "NOT").unwrap_or(r);
            s = keyword(s, "DISTINCT")?;
        } else if let Some(r) = keyword(s, "WITH") {
            s = group(r)?.1;
        } else if let Some(r) = keyword(s, "TABLESPACE") {
            s = identifier(r)?.1;
        } else if let Some(r) = keyword(s, "WHERE") {
            let p = squash(r);
            // pg_get_indexdef wraps the predicate in parentheses; pg_indexes too.
            let p = match group(&p) {
                Some((inner, rest)) if rest.trim().is_empty() => squash(inner),
                _ => p,
            };
            shape.predicate = Some(p);
            break;
        } else {
            break;
        }
    }
    Some(shape)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_pg_get_indexdef_prints() {
        let s = parse("CREATE UNIQUE INDEX orders_pkey ON public.orders USING btree (id)").unwrap();
        assert!(s.unique);
        assert_eq!(
            (s.name.as_str(), s.schema.as_deref(), s.table.as_str()),
            ("orders_pkey", Some("public"), "orders")
        );
        assert_eq!(
            (s.method.as_str(), s.keys.clone()),
            ("btree", vec!["id".to_string()])
        );

        let s = parse(
            "CREATE INDEX \"Odd, name\" ON \"My Schema\".\"T\" USING btree (lower((email)::text), created_at DESC NULLS LAST) INCLUDE (total, status) WHERE ((status)::text = 'open, or not'::text)",
        )
        .unwrap();
        assert_eq!(s.name, "Odd, name");
        assert_eq!(s.schema.as_deref(), Some("My Schema"));
        assert_eq!(s.table, "T");
        assert_eq!(
            s.keys,
            vec!["lower((email)::text)", "created_at DESC NULLS LAST"]
        );
        assert_eq!(s.include, vec!["total", "status"]);
        assert_eq!(
            s.predicate.as_deref(),
            Some("(status)::text = 'open, or not'::text")
        );
        assert_eq!(IndexShape::key_column(&s.keys[0]), None);
        assert_eq!(
            IndexShape::key_column(&s.keys[1]).as_deref(),
            Some("created_at")
        );
    }

    #[test]
    fn reads_hand_written_and_other_methods() {
        let s = parse("create index concurrently if not exists i on t using gin (doc jsonb_path_ops) with (fastupdate = off) tablespace fast where (doc is not null)").unwrap();
        assert_eq!(s.name, "i");
        assert_eq!(s.schema, None);
        assert_eq!(s.method, "gin");
        assert_eq!(s.keys, vec!["doc jsonb_path_ops"]);
        assert_eq!(s.predicate.as_deref(), Some("doc is not null"));
        let s = parse("CREATE INDEX ON t (a, b) NULLS NOT DISTINCT").unwrap();
        assert_eq!((s.name.as_str(), s.method.as_str()), ("", "btree"));
        assert_eq!(s.keys, vec!["a", "b"]);
    }

    #[test]
    fn rejects_what_is_not_an_index() {
        assert_eq!(parse("CREATE TABLE t (a int)"), None);
        assert_eq!(parse("CREATE INDEX i ON t USING btree (a"), None);
        assert_eq!(parse(""), None);
    }
}
