//! Step 2 of the index advice: the table a query names, found in the
//! statistics exports, with the indexes it already has.

use crate::stats::records::IndexDef;
use crate::stats::snapshot::DatabaseStats;

/// A table of a query, as the statistics know it (or as the query writes it).
pub(super) struct TableRef<'a> {
    /// The export holding the table (none: not found in any).
    pub db: Option<&'a DatabaseStats>,
    /// As the statistics name it; none when not found.
    pub schema: Option<String>,
    /// As the statistics name it, else the query's name without its schema.
    pub name: String,
    /// Its index definitions in that export.
    pub existing: Vec<&'a IndexDef>,
}

impl<'a> TableRef<'a> {
    /// The table's columns in its export (none: `columns.csv` not exported, or
    /// the table not found).
    pub fn columns(&self) -> Vec<&'a str> {
        let (Some(d), Some(schema)) = (self.db, &self.schema) else {
            return Vec::new();
        };
        d.view
            .columns
            .iter()
            .filter(|c| &c.schema == schema && c.table == self.name)
            .map(|c| c.column.as_str())
            .collect()
    }

    /// The `pg_stats` rows of the table's columns in its export (none: not
    /// exported, or the table not found).
    pub fn column_stats(&self) -> Vec<&'a crate::stats::records::ColumnStat> {
        let (Some(d), Some(schema)) = (self.db, &self.schema) else {
            return Vec::new();
        };
        d.view
            .column_stats
            .iter()
            .filter(|c| &c.schema == schema && c.table == self.name)
            .collect()
    }

    /// The query's `table` (`orders`, `public.orders`) in the exports, for a
    /// query run mostly in `database`.
    pub fn resolve(dbs: &'a [DatabaseStats], table: &str, database: Option<&str>) -> Self {
        match find_table(dbs, table, database) {
            Some((d, schema, name)) => TableRef {
                db: Some(d),
                existing: d
                    .view
                    .index_defs
                    .iter()
                    .filter(|x| x.schema == schema && x.table == name)
                    .collect(),
                schema: Some(schema),
                name,
            },
            None => TableRef {
                db: None,
                schema: None,
                name: table.rsplit('.').next().unwrap_or(table).to_string(),
                existing: Vec::new(),
            },
        }
    }

    /// `schema.name`, or the bare name when not found.
    pub fn qualified(&self) -> String {
        match &self.schema {
            Some(sc) => format!("{sc}.{}", self.name),
            None => self.name.clone(),
        }
    }

    /// The database of the export holding it, when the export names it.
    pub fn database(&self) -> Option<String> {
        self.db.and_then(|d| d.view.database.clone())
    }
}

/// Finds the table in the statistics: exact `schema.name`, else by name
/// (preferring the query's database, then `public`).
fn find_table<'a>(
    dbs: &'a [DatabaseStats],
    table: &str,
    database: Option<&str>,
) -> Option<(&'a DatabaseStats, String, String)> {
    let (schema, name) = match table.split_once('.') {
        Some((s, n)) => (Some(s), n),
        None => (None, table),
    };
    let mut best: Option<(u8, &DatabaseStats, String, String)> = None;
    for d in dbs {
        let names = d
            .view
            .tables
            .iter()
            .map(|t| (t.schema.as_str(), t.name.as_str()))
            .chain(
                d.view
                    .index_defs
                    .iter()
                    .map(|x| (x.schema.as_str(), x.table.as_str())),
            );
        for (s, n) in names {
            if !n.eq_ignore_ascii_case(name) || schema.is_some_and(|q| !q.eq_ignore_ascii_case(s)) {
                continue;
            }
            let score = u8::from(database.is_some() && d.view.database.as_deref() == database) * 2
                + u8::from(s == "public");
            if best.as_ref().is_none_or(|b| score > b.0) {
                best = Some((score, d, s.to_string(), n.to_string()));
            }
        }
    }
    best.map(|(_, d, s, n)| (d, s, n))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{export, index};
    use super::*;

    #[test]
    fn a_schema_in_the_query_must_match() {
        let dbs = [export(
            "app",
            &[("sales", "orders"), ("public", "orders")],
            &[],
        )];
        let t = TableRef::resolve(&dbs, "sales.orders", None);
        assert_eq!(t.qualified(), "sales.orders");
        let t = TableRef::resolve(&dbs, "Archive.Orders", None);
        assert!(t.db.is_none());
        assert_eq!(t.qualified(), "Orders");
    }

    #[test]
    fn a_bare_name_prefers_the_querys_database_then_public() {
        let dbs = [
            export("other", &[("public", "orders")], &[]),
            export("app", &[("sales", "orders")], &[]),
        ];
        let t = TableRef::resolve(&dbs, "orders", Some("app"));
        assert_eq!(t.qualified(), "sales.orders");
        assert_eq!(t.database().as_deref(), Some("app"));
        let t = TableRef::resolve(&dbs, "ORDERS", None);
        assert_eq!(t.qualified(), "public.orders");
        assert_eq!(t.database().as_deref(), Some("other"));
    }

    #[test]
    fn tables_known_by_their_indexes_only_are_found_with_them() {
        let dbs = [export(
            "app",
            &[],
            &[
                index("public", "orders", "CREATE INDEX a ON public.orders (id)"),
                index("public", "items", "CREATE INDEX b ON public.items (id)"),
            ],
        )];
        let t = TableRef::resolve(&dbs, "orders", None);
        assert_eq!(t.qualified(), "public.orders");
        assert_eq!(t.existing.len(), 1);
        assert_eq!(t.existing[0].name, "a");
    }
}
