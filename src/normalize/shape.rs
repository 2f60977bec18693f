//! What a query reads, from a walk over its tokens (not a regex over raw SQL):
//! the tables it names (with their aliases) and, per table, the columns compared
//! by equality or IN, by range or prefix LIKE, tested for NULL, joined on, and
//! sorted by. Used to propose indexes; unqualified columns of a multi-table query
//! are left out rather than guessed.

use super::lexer::{Token, TokenKind, lex};

/// How a column is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Use {
    /// `col = $1`, `col = any($1)`.
    Eq,
    /// `col in (...)`.
    In,
    /// `col is null`.
    IsNull,
    /// `<`, `>`, `<=`, `>=`, `between`, `like 'x%'`.
    Range,
    /// `a.col = b.col`.
    Join,
    /// `order by col`.
    OrderBy,
}

/// One column use, resolved to its table.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ColumnUse {
    /// The table as written (`orders`, `public.orders`), lower case.
    pub table: String,
    pub column: String,
    pub usage: Use,
    /// `order by ... desc`.
    pub desc: bool,
}

/// A query's tables and column uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueryShape {
    pub tables: Vec<String>,
    pub uses: Vec<ColumnUse>,
    /// The statement is a SELECT, UPDATE or DELETE (indexes can serve it).
    pub reads: bool,
    /// An OR among the conditions: the columns are alternatives, not one composite key.
    pub has_or: bool,
}

/// Words that are values, not columns (`= current_user`, `< now()`).
const VALUE_WORDS: &[&str] = &[
    "current_user",
    "session_user",
    "current_date",
    "current_time",
    "current_timestamp",
    "localtime",
    "localtimestamp",
    "user",
    "true",
    "false",
    "null",
    "current_role",
];

/// Words that end a table reference or cannot be an alias.
const KEYWORDS: &[&str] = &[
    "where",
    "join",
    "inner",
    "left",
    "right",
    "full",
    "cross",
    "natural",
    "on",
    "using",
    "group",
    "order",
    "limit",
    "offset",
    "having",
    "union",
    "except",
    "intersect",
    "for",
    "set",
    "returning",
    "values",
    "select",
    "from",
    "as",
    "lateral",
    "window",
    "fetch",
    "and",
    "or",
    "not",
    "outer",
    "tablesample",
    "only",
];

struct Walker<'a> {
    text: &'a str,
    toks: Vec<Token>,
}

impl<'a> Walker<'a> {
    fn t(&self, i: usize) -> Option<&'a str> {
        self.toks.get(i).map(|t| &self.text[t.start..t.end])
    }

    fn kind(&self, i: usize) -> Option<TokenKind> {
        self.toks.get(i).map(|t| t.kind)
    }

    fn is_word(&self, i: usize, w: &str) -> bool {
        self.kind(i) == Some(TokenKind::Word) && self.t(i) == Some(w)
    }

    fn ident(&self, i: usize) -> Option<String> {
        match self.kind(i)? {
            TokenKind::Word => {
                let w = self.t(i)?.to_ascii_lowercase();
                (!KEYWORDS.contains(&w.as_str()) && !VALUE_WORDS.contains(&w.as_str())).then_some(w)
            }
            // a quoted identifier keeps its case
            TokenKind::QuotedIdent => Some(self.t(i)?.trim_matches('"').replace("\"\"", "\"")),
            _ => None,
        }
    }

    /// `a` or `a.b` at `i`: (qualifier, name, next index).
    fn colref(&self, i: usize) -> Option<(Option<String>, String, usize)> {
        let first = self.ident(i)?;
        if self.kind(i + 1) == Some(TokenKind::Dot) {
            let second = self.ident(i + 2)?;
            if self.kind(i + 3) == Some(TokenKind::Dot) {
                // schema.table.column
                let third = self.ident(i + 4)?;
                return Some((Some(format!("{first}.{second}")), third, i + 5));
            }
            return Some((Some(first), second, i + 3));
        }
        // a function call is not a column
        if self.kind(i + 1) == Some(TokenKind::LParen) {
            return None;
        }
        Some((None, first, i + 1))
    }

    /// A value: `$n`, a number, a string, `current_user`-like words, optionally
    /// cast; returns the next index.
    fn value(&self, i: usize) -> Option<usize> {
        let mut j = match self.kind(i)? {
            TokenKind::Param | TokenKind::Num | TokenKind::Str => i + 1,
            TokenKind::Word
                if self
                    .t(i)
                    .is_some_and(|w| VALUE_WORDS.contains(&w.to_ascii_lowercase().as_str())) =>
            {
                i + 1
            }
            _ => return None,
        };
        while self.kind(j) == Some(TokenKind::Cast) {
            j += 2;
        }
        Some(j)
    }
}

/// The tables a statement reads or writes, and the aliases naming them.
#[derive(Default)]
struct Tables {
    /// Each table once, in the order named.
    names: Vec<String>,
    /// (alias, table).
    aliases: Vec<(String, String)>,
    /// Tables named twice (joined to themselves).
    self_joined: Vec<String>,
    /// Relations in FROM that are no table: WITH queries and subqueries. With
    /// one, an unqualified column may be theirs, so it is not attributed.
    others: usize,
    /// Output names given in the select list (`sum(total) as spent`): an ORDER
    /// BY naming one sorts by that output, not by a column.
    output_aliases: std::collections::HashSet<String>,
    /// `names` as a set, to tell a table named again.
    named: std::collections::HashSet<String>,
}

impl Tables {
    /// The table a column's qualifier names (an alias, a table or a table
    /// without its schema); an unqualified column belongs to the only table.
    fn resolve(&self, q: &Option<String>) -> Option<String> {
        match q {
            Some(q) => self
                .aliases
                .iter()
                .find(|(a, _)| a == q)
                .map(|(_, t)| t.clone())
                .or_else(|| {
                    self.names
                        .iter()
                        .find(|t| *t == q || t.rsplit('.').next() == Some(q.as_str()))
                        .cloned()
                }),
            None if self.names.len() == 1 && self.others == 0 => Some(self.names[0].clone()),
            None => None,
        }
    }
}

/// The column uses found so far, each once (a set beside the list: a
/// statement of 20,000 conditions made the list's scans quadratic).
struct Uses<'t> {
    tables: &'t Tables,
    found: Vec<ColumnUse>,
    seen: std::collections::HashSet<ColumnUse>,
}

impl Uses<'_> {
    /// Records a use of column `col` of the table `q` resolves to, if any.
    fn push(&mut self, q: &Option<String>, col: &str, usage: Use, desc: bool) {
        if usage == Use::OrderBy && q.is_none() && self.tables.output_aliases.contains(col) {
            return;
        }
        let Some(table) = self.tables.resolve(q) else {
            return;
        };
        // a table joined to itself: its join columns belong to two roles
        if usage == Use::Join && self.tables.self_joined.contains(&table) {
            return;
        }
        let u = ColumnUse {
            table,
            column: col.to_string(),
            usage,
            desc,
        };
        if !self.seen.contains(&u) {
            self.seen.insert(u.clone());
            self.found.push(u);
        }
    }
}

/// Whether `alias` is a table's alias.
fn table_alias_of(aliases: &std::collections::HashSet<&str>, alias: &str) -> bool {
    aliases.contains(alias)
}

impl Walker<'_> {
    /// Names of the WITH queries (they are not tables).
    fn cte_names(&self) -> Vec<String> {
        let mut ctes = Vec::new();
        for i in 0..self.toks.len() {
            if self.is_word(i + 1, "as")
                && self.kind(i + 2) == Some(TokenKind::LParen)
                && (self.is_word(i.wrapping_sub(1), "with")
                    || self.kind(i.wrapping_sub(1)) == Some(TokenKind::Comma)
                    || self.is_word(i.wrapping_sub(1), "recursive"))
                && let Some(n) = self.ident(i)
            {
                ctes.push(n);
            }
        }
        ctes
    }

    /// Names given with `as` that are neither a table's alias nor a WITH
    /// query's name, nor a column renamed to itself (`total as total`).
    fn output_aliases(&self, tables: &Tables) -> std::collections::HashSet<String> {
        let table_aliases: std::collections::HashSet<&str> =
            tables.aliases.iter().map(|(a, _)| a.as_str()).collect();
        let mut out = std::collections::HashSet::new();
        for i in 1..self.toks.len() {
            if !self.is_word(i, "as") || self.kind(i + 2) == Some(TokenKind::LParen) {
                continue;
            }
            let Some(alias) = self.ident(i + 1) else {
                continue;
            };
            let same_column = self.ident(i - 1).as_deref() == Some(alias.as_str());
            if !same_column && !table_alias_of(&table_aliases, &alias) {
                out.insert(alias);
            }
        }
        out
    }

    /// The tables after FROM, JOIN, UPDATE and (in a DELETE) USING, with their aliases.
    fn tables(&self, is_delete: bool, ctes: &[String]) -> Tables {
        let mut tables = Tables::default();
        let mut i = 0;
        while i < self.toks.len() {
            let starts_list = self.is_word(i, "from")
                || self.is_word(i, "join")
                || self.is_word(i, "update")
                || (self.is_word(i, "using") && is_delete);
            if !starts_list {
                i += 1;
                continue;
            }
            let is_from = self.is_word(i, "from") || self.is_word(i, "using");
            i = self.table_list(i + 1, is_from, ctes, &mut tables);
        }
        tables
    }

    /// Reads the table references from `i` (a comma-separated list after FROM
    /// or USING, one reference otherwise); returns the index after them.
    fn table_list(&self, mut i: usize, is_from: bool, ctes: &[String], out: &mut Tables) -> usize {
        loop {
            if self.is_word(i, "only") || self.is_word(i, "lateral") {
                i += 1;
            }
            if self.kind(i) == Some(TokenKind::LParen) {
                out.others += 1; // a subquery
                return i;
            }
            let Some(mut name) = self.ident(i) else {
                return i;
            };
            i += 1;
            if self.kind(i) == Some(TokenKind::Dot)
                && let Some(n2) = self.ident(i + 1)
            {
                name = format!("{name}.{n2}");
                i += 2;
            }
            if self.kind(i) == Some(TokenKind::LParen) {
                return i; // a function in FROM
            }
            if ctes.contains(&name) {
                out.others += 1; // a WITH query, not a table
                return i;
            }
            if out.named.contains(&name) {
                out.self_joined.push(name.clone());
            } else {
                out.named.insert(name.clone());
                out.names.push(name.clone());
            }
            if self.is_word(i, "as") {
                i += 1;
            }
            if let Some(alias) = self.ident(i) {
                out.aliases.push((alias, name));
                i += 1;
            }
            if is_from && self.kind(i) == Some(TokenKind::Comma) {
                i += 1;
                continue;
            }
            return i;
        }
    }

    /// Walks the statement, recording how each column is used.
    fn collect_uses(&self, reads: bool, uses: &mut Uses<'_>) {
        let mut i = 0;
        let mut in_order_by = false;
        let mut in_set = false;
        while i < self.toks.len() {
            // UPDATE ... SET assignments are not filters
            if self.is_word(i, "set") && reads {
                in_set = true;
            } else if in_set
                && (self.is_word(i, "where")
                    || self.is_word(i, "from")
                    || self.is_word(i, "returning"))
            {
                in_set = false;
            }
            if in_set {
                i += 1;
                continue;
            }
            if self.is_word(i, "order") && self.is_word(i + 1, "by") {
                in_order_by = true;
                i += 2;
                continue;
            }
            if in_order_by {
                (i, in_order_by) = self.order_by_item(i, uses);
                continue;
            }
            i = match self.reversed_comparison(i, uses) {
                Some(next) => next,
                None => self.column_condition(i, uses),
            };
        }
    }

    /// One ORDER BY item at `i`: the index after it, and whether the list goes on.
    fn order_by_item(&self, mut i: usize, uses: &mut Uses<'_>) -> (usize, bool) {
        if let Some((q, c, next)) = self.colref(i) {
            let desc = self.is_word(next, "desc");
            uses.push(&q, &c, Use::OrderBy, desc);
            i = next + usize::from(desc || self.is_word(next, "asc"));
            if self.kind(i) == Some(TokenKind::Comma) {
                return (i + 1, true);
            }
        }
        (i, false)
    }

    /// `value op column` at `i`: records the column's use; the index after it.
    fn reversed_comparison(&self, i: usize, uses: &mut Uses<'_>) -> Option<usize> {
        let after = self.value(i)?;
        if self.kind(after) != Some(TokenKind::Op)
            || !matches!(self.t(after), Some("=" | "<" | ">" | "<=" | ">="))
        {
            return None;
        }
        let (q, c, next) = self.colref(after + 1)?;
        let usage = if self.t(after) == Some("=") {
            Use::Eq
        } else {
            Use::Range
        };
        uses.push(&q, &c, usage, false);
        Some(next)
    }

    /// A condition starting with a column at `i` (`col = $1`, `a.x = b.y`,
    /// `col in (...)`, ...): records the column's use; the index to go on from.
    fn column_condition(&self, i: usize, uses: &mut Uses<'_>) -> usize {
        let Some((q, c, next)) = self.colref(i) else {
            return i + 1;
        };
        // a column must not be a table name in FROM (`from orders o`)
        let prev = i.checked_sub(1).and_then(|p| self.t(p));
        if matches!(prev, Some("from" | "join" | "update" | "as" | "into")) {
            return next;
        }
        let mut j = next;
        let cast = self.kind(j) == Some(TokenKind::Cast);
        while self.kind(j) == Some(TokenKind::Cast) {
            j += 2;
        }
        if cast {
            // `col::date = $1`: a plain index on col does not serve it
            return j;
        }
        match (self.kind(j), self.t(j)) {
            (Some(TokenKind::Op), Some("=")) => {
                if let Some((q2, c2, n2)) = self.colref(j + 1) {
                    uses.push(&q, &c, Use::Join, false);
                    uses.push(&q2, &c2, Use::Join, false);
                    return n2;
                }
                if self.value(j + 1).is_some() {
                    uses.push(&q, &c, Use::Eq, false);
                } else if self.is_word(j + 1, "any") {
                    uses.push(&q, &c, Use::In, false);
                }
            }
            (Some(TokenKind::Op), Some("<" | ">" | "<=" | ">=")) if self.value(j + 1).is_some() => {
                uses.push(&q, &c, Use::Range, false);
            }
            (Some(TokenKind::Word), Some("between")) => uses.push(&q, &c, Use::Range, false),
            (Some(TokenKind::Word), Some("in"))
                if self.kind(j + 1) == Some(TokenKind::LParen) && self.value(j + 2).is_some() =>
            {
                uses.push(&q, &c, Use::In, false);
            }
            (Some(TokenKind::Word), Some("is")) if self.is_word(j + 1, "null") => {
                uses.push(&q, &c, Use::IsNull, false);
            }
            _ => {}
        }
        next
    }
}

/// Reads a normalized (or raw) statement's shape.
pub fn shape(sql: &str) -> QueryShape {
    let lexed = lex(sql.as_bytes());
    let w = Walker {
        text: sql,
        toks: lexed.tokens,
    };
    let first = w.t(0).map(str::to_ascii_lowercase);
    let reads = matches!(
        first.as_deref(),
        Some("select" | "update" | "delete" | "with")
    );
    let mut tables = w.tables(first.as_deref() == Some("delete"), &w.cte_names());
    tables.output_aliases = w.output_aliases(&tables);
    let mut uses = Uses {
        tables: &tables,
        found: Vec::new(),
        seen: Default::default(),
    };
    w.collect_uses(reads, &mut uses);
    let found = uses.found;
    QueryShape {
        tables: tables.names,
        uses: found,
        reads,
        has_or: (0..w.toks.len()).any(|i| w.is_word(i, "or")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uses(sql: &str) -> Vec<(String, String, Use)> {
        shape(sql)
            .uses
            .into_iter()
            .map(|u| (u.table, u.column, u.usage))
            .collect()
    }

    fn u(t: &str, c: &str, x: Use) -> (String, String, Use) {
        (t.into(), c.into(), x)
    }

    #[test]
    fn single_table_filters_and_sort() {
        assert_eq!(
            uses("select id, status from payments where gateway_txn_id = $1"),
            vec![u("payments", "gateway_txn_id", Use::Eq)]
        );
        assert_eq!(
            uses(
                "select * from orders where customer_id = $1 and created_at >= $2 order by created_at desc limit $3"
            ),
            vec![
                u("orders", "customer_id", Use::Eq),
                u("orders", "created_at", Use::Range),
                u("orders", "created_at", Use::OrderBy)
            ]
        );
        assert_eq!(
            uses(
                "select * from t where status in ($1 /*, ... */) and deleted_at is null and $2 = owner"
            ),
            vec![
                u("t", "status", Use::In),
                u("t", "deleted_at", Use::IsNull),
                u("t", "owner", Use::Eq),
            ]
        );
        assert_eq!(
            uses("update orders set status = $1 where id = $2"),
            vec![u("orders", "id", Use::Eq)]
        );
    }

    #[test]
    fn aliases_joins_and_qualified_names() {
        let s = shape(
            "select c.id, o.total from public.customers as c join orders o on o.customer_email = c.email where c.id <= $1 and o.status = $2",
        );
        assert_eq!(s.tables, vec!["public.customers", "orders"]);
        let got: Vec<(String, String, Use)> = s
            .uses
            .into_iter()
            .map(|u| (u.table, u.column, u.usage))
            .collect();
        assert_eq!(
            got,
            vec![
                u("orders", "customer_email", Use::Join),
                u("public.customers", "email", Use::Join),
                u("public.customers", "id", Use::Range),
                u("orders", "status", Use::Eq),
            ]
        );
    }

    #[test]
    fn casts_values_quotes_self_joins_ctes_and_delete_using() {
        assert!(uses("select * from t where created_at::date = $1").is_empty());
        assert_eq!(
            uses("select * from t where owner = current_user and x = $1"),
            vec![u("t", "owner", Use::Eq), u("t", "x", Use::Eq)]
        );
        assert_eq!(
            uses("select * from public.\"Ledger\" where \"AccountId\" = $1"),
            vec![u("public.Ledger", "AccountId", Use::Eq)]
        );
        assert_eq!(
            uses("select * from t1 a join t1 b on a.parent = b.id where a.x = $1"),
            vec![u("t1", "x", Use::Eq)]
        );
        let s = shape(
            "with recent as (select * from orders where id > $1) select * from recent where status = $2",
        );
        assert_eq!(s.tables, vec!["orders"]);
        assert_eq!(
            uses("delete from a using c where a.cid = c.id and c.kind = $1"),
            vec![
                u("a", "cid", Use::Join),
                u("c", "id", Use::Join),
                u("c", "kind", Use::Eq)
            ]
        );
        assert!(shape("select * from t where a = $1 or b = $2").has_or);
        assert!(uses("select * from t where name like $1").is_empty());
    }

    #[test]
    fn output_aliases_and_aggregates_are_not_columns() {
        // `spent` names sum(total): sorting by it is no index on a column
        assert_eq!(
            uses(
                "select customer_email, count(*) as n, sum(total) as spent from orders group by customer_email order by spent desc limit $1"
            ),
            vec![]
        );
        assert!(uses("select status from orders order by count(*) desc").is_empty());
        // a column renamed to itself is still the column
        assert_eq!(
            uses("select total as total from orders where id = $1 order by total"),
            vec![
                u("orders", "id", Use::Eq),
                u("orders", "total", Use::OrderBy)
            ]
        );
        // a table alias is no output alias; a real column sorted by stays
        assert_eq!(
            uses("select o.id from orders as o where o.status = $1 order by o.created_at"),
            vec![
                u("orders", "status", Use::Eq),
                u("orders", "created_at", Use::OrderBy)
            ]
        );
    }

    #[test]
    fn columns_beside_a_cte_or_a_subquery_are_not_guessed() {
        // `status` may be the WITH query's own output
        assert_eq!(
            uses(
                "with recent as (select * from orders where id > $1) select * from recent join customers c on c.id = recent.customer_id where status = $2"
            ),
            vec![u("customers", "id", Use::Join)]
        );
        assert!(uses("select * from (select * from orders) s where s.status = $1").is_empty());
        // with a qualifier the column is still the table's
        assert_eq!(
            uses("select * from orders o, (select 1) s where o.status = $1"),
            vec![u("orders", "status", Use::Eq)]
        );
    }

    #[test]
    fn unqualified_columns_of_several_tables_are_not_guessed() {
        let s = shape("select * from a, b where x = $1 and a.y = $2");
        assert_eq!(s.tables, vec!["a", "b"]);
        assert_eq!(
            s.uses.iter().map(|u| u.column.as_str()).collect::<Vec<_>>(),
            vec!["y"]
        );
        assert!(!shape("insert into t (a) values ($1)").reads);
        assert!(shape("select now()").uses.is_empty());
    }
}
