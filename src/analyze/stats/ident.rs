//! How tables and indexes are named: `schema.name` in the view, quoted
//! identifiers in the SQL the audit suggests.

/// `schema.name`, or the bare name when the export gives no schema.
pub(super) fn qualified(schema: &str, name: &str) -> String {
    if schema.is_empty() {
        name.to_string()
    } else {
        format!("{schema}.{name}")
    }
}

/// An SQL identifier, quoted only when it must be.
pub(crate) fn quote_ident(s: &str) -> String {
    let plain = s
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain {
        s.to_string()
    } else {
        format!("\"{}\"", s.replace('"', "\"\""))
    }
}

/// `schema.name` as SQL, each part quoted only when it must be.
pub(super) fn qualified_sql(schema: &str, name: &str) -> String {
    format!("{}.{}", quote_ident(schema), quote_ident(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_quoted_only_when_needed() {
        assert_eq!(qualified_sql("public", "orders"), "public.orders");
        assert_eq!(qualified_sql("My", "t\"x"), "\"My\".\"t\"\"x\"");
        assert_eq!(quote_ident("_a1"), "_a1");
        assert_eq!(quote_ident("1a"), "\"1a\"");
        assert_eq!(quote_ident(""), "\"\"");
    }

    #[test]
    fn qualified_names_omit_an_empty_schema() {
        assert_eq!(qualified("", "orders"), "orders");
        assert_eq!(qualified("sales", "orders"), "sales.orders");
    }
}
