//! Foreign keys whose columns start no index: deletes and key updates on the
//! referenced table scan the referencing one. Also whether an index serves a
//! foreign key, which keeps it from being called unused.

use super::Catalog;
use crate::analyze::stats::ident::{qualified, qualified_sql, quote_ident};
use crate::stats::indexdef::IndexShape;
use crate::stats::records::{ForeignKey, IndexDef};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FkWithoutIndex {
    /// The database (null when the export does not name it).
    pub database: Option<String>,
    pub table: String,
    pub constraint: String,
    pub columns: Vec<String>,
    pub referenced: Option<String>,
    pub create: String,
    pub rollback: String,
}

/// Whether `def` starts with the foreign key's columns (in any order). A partial
/// index qualifies only with an `IS NOT NULL` predicate on a key column (foreign
/// key checks look up non-null values).
pub(super) fn covers_fk(def: &IndexDef, fk_cols: &[String]) -> bool {
    if def.shape.keys.len() < fk_cols.len() || def.shape.method != "btree" {
        return false;
    }
    if let Some(p) = &def.shape.predicate {
        let p = p.to_ascii_lowercase();
        let only_not_null = p.split(" and ").all(|c| {
            c.trim()
                .trim_matches(|x| x == '(' || x == ')')
                .ends_with("is not null")
        });
        if !only_not_null {
            return false;
        }
    }
    let lead: BTreeSet<String> = def.shape.keys[..fk_cols.len()]
        .iter()
        .filter_map(|k| IndexShape::key_column(k))
        .collect();
    let want: BTreeSet<String> = fk_cols.iter().cloned().collect();
    lead == want
}

/// Reports every foreign key that no valid index serves, with the index to create.
pub(super) fn fk_without_index(
    out: &mut Vec<FkWithoutIndex>,
    cat: &Catalog,
    foreign_keys: &[ForeignKey],
) {
    for f in foreign_keys {
        if cat
            .valid
            .iter()
            .any(|x| x.schema == f.schema && x.table == f.table && covers_fk(x, &f.columns))
        {
            continue;
        }
        out.push(create_index(cat, f));
    }
}

/// The CREATE INDEX a foreign key needs, and its rollback.
fn create_index(cat: &Catalog, f: &ForeignKey) -> FkWithoutIndex {
    let cols: Vec<String> = f.columns.iter().map(|c| quote_ident(c)).collect();
    let name = format!("{}_{}_idx", f.table, f.columns.join("_"));
    let part = cat
        .partitioned
        .contains(&(f.schema.as_str(), f.table.as_str()));
    FkWithoutIndex {
        database: cat.database.clone(),
        table: qualified(&f.schema, &f.table),
        constraint: f.name.clone(),
        columns: f.columns.clone(),
        referenced: f.referenced.clone(),
        create: format!(
            "CREATE INDEX {}{} ON {} ({});{}",
            if part { "" } else { "CONCURRENTLY " },
            quote_ident(&name),
            qualified_sql(&f.schema, &f.table),
            cols.join(", "),
            if part {
                " -- partitioned table: CONCURRENTLY is not supported on the parent (or index each partition CONCURRENTLY, then CREATE INDEX ON ONLY the parent and ATTACH)"
            } else {
                ""
            }
        ),
        rollback: format!(
            "DROP INDEX {}IF EXISTS {};",
            if part { "" } else { "CONCURRENTLY " },
            qualified_sql(&f.schema, &name)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{def, export, run};
    use super::*;
    use crate::stats::records::TableSize;

    fn fk(table: &str, columns: &[&str]) -> ForeignKey {
        ForeignKey {
            schema: "public".into(),
            table: table.into(),
            name: format!("{table}_fk"),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            referenced: Some("public.customers".into()),
        }
    }

    #[test]
    fn an_index_serves_a_foreign_key_when_its_leading_keys_are_the_key_columns() {
        let cols = ["a".to_string(), "b".to_string()];
        assert!(covers_fk(&def("t", "i", &["b", "a", "c"]), &cols));
        assert!(!covers_fk(&def("t", "i", &["a", "c", "b"]), &cols));
        assert!(!covers_fk(&def("t", "i", &["a"]), &cols));
        let mut gin = def("t", "i", &["a", "b"]);
        gin.shape.method = "gin".into();
        assert!(!covers_fk(&gin, &cols));
    }

    #[test]
    fn a_partial_index_serves_a_foreign_key_only_when_it_skips_nulls() {
        let cols = ["a".to_string()];
        let mut p = def("t", "i", &["a"]);
        p.shape.predicate = Some("(a IS NOT NULL)".into());
        assert!(covers_fk(&p, &cols));
        p.shape.predicate = Some("(a IS NOT NULL) AND (b IS NOT NULL)".into());
        assert!(covers_fk(&p, &cols));
        p.shape.predicate = Some("(deleted = false)".into());
        assert!(!covers_fk(&p, &cols));
    }

    #[test]
    fn a_foreign_key_without_an_index_gets_one_to_create() {
        let mut d = export(vec![def("orders", "o_idx", &["id"])], Some(&[("o_idx", 3)]));
        d.view.foreign_keys = vec![fk("orders", &["customer_id"]), fk("orders", &["id"])];
        let out = run(&d);
        assert_eq!(out.fk_without_index.len(), 1);
        let f = &out.fk_without_index[0];
        assert_eq!(f.constraint, "orders_fk");
        assert_eq!(
            f.create,
            "CREATE INDEX CONCURRENTLY orders_customer_id_idx ON public.orders (customer_id);"
        );
        assert_eq!(
            f.rollback,
            "DROP INDEX CONCURRENTLY IF EXISTS public.orders_customer_id_idx;"
        );
    }

    #[test]
    fn on_a_partitioned_table_the_index_is_created_without_concurrently() {
        let mut d = export(vec![], Some(&[]));
        d.view.foreign_keys = vec![fk("Events", &["user_id"])];
        d.view.table_sizes = vec![TableSize {
            schema: "public".into(),
            name: "Events".into(),
            relkind: Some("p".into()),
            ..Default::default()
        }];
        let f = &run(&d).fk_without_index[0];
        assert!(f.create.starts_with(
            "CREATE INDEX \"Events_user_id_idx\" ON public.\"Events\" (user_id); -- partitioned"
        ));
        assert_eq!(
            f.rollback,
            "DROP INDEX IF EXISTS public.\"Events_user_id_idx\";"
        );
    }

    #[test]
    fn without_index_usage_foreign_keys_are_not_checked() {
        let mut d = export(vec![], None);
        d.view.foreign_keys = vec![fk("orders", &["customer_id"])];
        assert!(run(&d).fk_without_index.is_empty());
    }
}
