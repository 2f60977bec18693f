//! The sorts the queries ask for: `WHERE a = $1 ... ORDER BY b`, per table.
//! A composite index `(a, b)` serves such a query's order (a top-N reads a
//! few index entries and stops), which its prefix `(a)` cannot: between the
//! two, the composite is the one to keep, even while it shows no scans.

use crate::normalize::shape::{Use, shape};
use std::collections::BTreeSet;

/// One query's equality columns and the first column it sorts by, on one table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SortUse {
    /// The table as the query names it, without its schema, lower case.
    pub table: String,
    pub eq: BTreeSet<String>,
    pub order_by: String,
}

/// The sorts of these normalized statements (the log's queries and
/// pg_stat_statements' entries).
pub(crate) fn sort_uses<'a>(texts: impl Iterator<Item = &'a str>) -> Vec<SortUse> {
    let mut out: Vec<SortUse> = Vec::new();
    for text in texts {
        let sh = shape(text);
        for table in &sh.tables {
            let uses = sh.uses.iter().filter(|u| &u.table == table);
            let eq: BTreeSet<String> = uses
                .clone()
                .filter(|u| matches!(u.usage, Use::Eq | Use::In))
                .map(|u| u.column.clone())
                .collect();
            let Some(first) = uses.clone().find(|u| u.usage == Use::OrderBy) else {
                continue;
            };
            let s = SortUse {
                table: table.rsplit('.').next().unwrap_or(table).to_string(),
                eq,
                order_by: first.column.clone(),
            };
            if !out.contains(&s) {
                out.push(s);
            }
        }
    }
    out
}

/// Whether `keys` (an index's key columns, on `table`) lead with `prefix`
/// columns a query filters on by equality and then the column it sorts by.
pub(crate) fn serves_sort(sorts: &[SortUse], table: &str, keys: &[String], prefix: usize) -> bool {
    let Some(next) = keys.get(prefix) else {
        return false;
    };
    let column = |k: &String| crate::stats::indexdef::IndexShape::key_column(k);
    sorts.iter().any(|s| {
        s.table == table.to_ascii_lowercase()
            && column(next).as_deref() == Some(s.order_by.as_str())
            && keys[..prefix]
                .iter()
                .all(|k| column(k).is_some_and(|c| s.eq.contains(&c)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_composite_serves_a_top_n_its_prefix_cannot() {
        let sorts = sort_uses(
            [
                "select id from shipments where customer_id = $1 order by shipped_at desc limit $2",
                "select count(*) from shipments where customer_id = $1",
            ]
            .into_iter(),
        );
        assert_eq!(sorts.len(), 1);
        let keys = ["customer_id".to_string(), "shipped_at".to_string()];
        assert!(serves_sort(&sorts, "shipments", &keys, 1));
        assert!(!serves_sort(&sorts, "orders", &keys, 1));
        let other = ["customer_id".to_string(), "carrier".to_string()];
        assert!(!serves_sort(&sorts, "shipments", &other, 1));
        assert!(!serves_sort(&sorts, "shipments", &keys, 2));
    }
}
