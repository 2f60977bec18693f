//! Why a recommendation's columns come in their order, in one line: each
//! column's role in the queries it serves (equality, join, range, sort), then
//! the rule that ordered them.

use crate::normalize::shape::{Use, shape};

/// The role of `column` of `table` in the first of `queries` (most time first)
/// that uses it.
fn role(column: &str, table: &str, queries: &[&str]) -> &'static str {
    let bare = table.rsplit('.').next().unwrap_or(table);
    for q in queries {
        let uses = shape(q).uses;
        let mine = |u: &&crate::normalize::shape::ColumnUse| {
            u.column == column && (u.table == table || u.table.rsplit('.').next() == Some(bare))
        };
        // the strongest use decides, in `Use`'s order: equality, range, join, sort
        let mut found: Vec<(Use, bool)> = uses
            .iter()
            .filter(mine)
            .map(|u| (u.usage, u.desc))
            .collect();
        found.sort();
        if let Some((usage, desc)) = found.first() {
            return match usage {
                Use::Eq | Use::In | Use::IsNull => "equality",
                Use::Join => "join, probed per outer row",
                Use::Range => "range",
                Use::OrderBy if *desc => "sort, descending",
                Use::OrderBy => "sort",
            };
        }
    }
    "used by the queries"
}

/// One line: each column with its role, then the rule.
pub(super) fn explain(columns: &[String], table: &str, queries: &[&str]) -> String {
    let roles: Vec<String> = columns
        .iter()
        .map(|c| format!("{c} ({})", role(c, table, queries)))
        .collect();
    format!(
        "{}: join columns where the table is probed per outer row, then equality columns, then at most one range column, else the sort columns",
        roles.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_column_says_why_it_is_there() {
        let cols = vec!["customer_email".to_string(), "created_at".to_string()];
        let q = "select * from orders where customer_email = $1 order by created_at desc";
        assert_eq!(
            explain(&cols, "public.orders", &[q]),
            "customer_email (equality), created_at (sort, descending): join columns where the table is probed per outer row, then equality columns, then at most one range column, else the sort columns"
        );
        // the first query using a column decides its role
        let range = "select * from orders where created_at >= $1";
        assert!(explain(&cols[1..], "orders", &[range, q]).starts_with("created_at (range)"));
        assert!(
            explain(&cols[..1], "orders", &["select 1"])
                .starts_with("customer_email (used by the queries)")
        );
    }
}
