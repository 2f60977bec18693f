//! Write overhead: tables whose inserts and non-HOT updates maintain many
//! indexes, or indexes reported unused, duplicate or redundant (serving no
//! reads), ranked by the writes in the window.

use super::IndexesView;
use crate::analyze::round3;
use crate::analyze::stats::ident::qualified;
use crate::analyze::stats::window::seconds;
use crate::analyze::stats::{db_name, round6};
use crate::stats::snapshot::DatabaseStats;
use serde::{Deserialize, Serialize};

/// Tables with at least this many indexes are checked for write overhead (pgCluu: more than 5).
pub const MANY_INDEXES: usize = 6;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct WriteOverhead {
    /// The database (null when the export does not name it).
    pub database: Option<String>,
    pub table: String,
    pub indexes: usize,
    /// Indexes of the table reported unused, duplicate or redundant.
    pub removable: Vec<String>,
    /// Rows inserted, updated and deleted in the window.
    pub writes: u64,
    pub writes_per_s: Option<f64>,
    pub hot_update_ratio: Option<f64>,
    pub note: String,
}

/// An index that serves no reads: (database, table, index).
type Removable = (Option<String>, String, String);

/// Fills `write_overhead` from every database, once the index findings of all
/// of them are in; most writes first.
pub(in crate::analyze::stats) fn all(out: &mut IndexesView, dbs: &[DatabaseStats]) {
    let removable: Vec<Removable> = out
        .unused
        .iter()
        .map(|u| (u.database.clone(), u.table.clone(), u.index.clone()))
        .chain(
            out.duplicates
                .iter()
                .map(|u| (u.database.clone(), u.table.clone(), u.index.clone())),
        )
        .chain(
            out.redundant
                .iter()
                .map(|u| (u.database.clone(), u.table.clone(), u.index.clone())),
        )
        .collect();
    for d in dbs {
        write_overhead(out, d, &removable);
    }
    out.write_overhead.sort_by(|a, b| {
        b.writes
            .cmp(&a.writes)
            .then(b.indexes.cmp(&a.indexes))
            .then(a.table.cmp(&b.table))
    });
}

/// One database's tables that are written to and have [`MANY_INDEXES`] or a
/// removable index.
fn write_overhead(out: &mut IndexesView, d: &DatabaseStats, removable: &[Removable]) {
    let v = &d.view;
    let secs = seconds(d);
    // counted once, looked up per table (not a scan of every index per table)
    let mut per_table: std::collections::HashMap<(&str, &str), usize> =
        std::collections::HashMap::new();
    for x in &v.index_defs {
        *per_table.entry((&x.schema, &x.table)).or_default() += 1;
    }
    let mut removable_of: std::collections::HashMap<&str, Vec<String>> =
        std::collections::HashMap::new();
    for (db, tab, i) in removable {
        if *db == v.database {
            removable_of
                .entry(tab.as_str())
                .or_default()
                .push(i.clone());
        }
    }
    for t in &v.tables {
        let name = qualified(&t.schema, &t.name);
        let count = per_table
            .get(&(t.schema.as_str(), t.name.as_str()))
            .copied()
            .unwrap_or(0);
        let rem: Vec<String> = removable_of.get(name.as_str()).cloned().unwrap_or_default();
        let writes = t.writes();
        if writes == 0 || (count < MANY_INDEXES && rem.is_empty()) {
            continue;
        }
        out.write_overhead.push(WriteOverhead {
            database: db_name(d),
            table: name,
            indexes: count,
            writes,
            writes_per_s: secs.map(|s| round3(writes as f64 / s)),
            hot_update_ratio: t
                .n_tup_upd
                .filter(|u| *u > 0)
                .map(|u| round6(t.n_tup_hot_upd.unwrap_or(0) as f64 / u as f64)),
            note: if rem.is_empty() {
                format!("every insert, and every update that is not HOT, writes {count} index entries")
            } else {
                format!(
                    "every insert, and every update that is not HOT, writes {count} index entries; {} of those indexes serve no reads",
                    rem.len()
                )
            },
            removable: rem,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{def, export, run};
    use super::*;
    use crate::stats::records::Table;

    fn table(name: &str, inserts: u64, updates: u64, hot: u64) -> Table {
        Table {
            schema: "public".into(),
            name: name.into(),
            n_tup_ins: Some(inserts),
            n_tup_upd: Some(updates),
            n_tup_hot_upd: Some(hot),
            ..Default::default()
        }
    }

    fn indexes_on(table: &str, n: usize) -> Vec<crate::stats::records::IndexDef> {
        (0..n)
            .map(|i| def(table, &format!("{table}_{i}"), &[&format!("c{i}")]))
            .collect()
    }

    fn overhead(d: DatabaseStats) -> Vec<WriteOverhead> {
        let mut out = run(&d);
        all(&mut out, &[d]);
        out.write_overhead
    }

    #[test]
    fn six_indexes_are_many_five_are_not() {
        let mut defs = indexes_on("six", MANY_INDEXES);
        defs.extend(indexes_on("five", MANY_INDEXES - 1));
        let mut d = export(defs, None);
        d.view.tables = vec![table("six", 100, 50, 10), table("five", 100, 0, 0)];
        let w = overhead(d);
        assert_eq!(w.len(), 1);
        assert_eq!(
            (w[0].table.as_str(), w[0].indexes, w[0].writes),
            ("public.six", 6, 150)
        );
        assert_eq!(w[0].hot_update_ratio, Some(0.2));
        // 150 writes over 30 days
        assert_eq!(w[0].writes_per_s, Some(0.0));
        assert_eq!(
            w[0].note,
            "every insert, and every update that is not HOT, writes 6 index entries"
        );
    }

    #[test]
    fn a_table_with_a_removable_index_is_listed_and_one_without_writes_is_not() {
        let mut d = export(
            vec![
                def("orders", "a_idx", &["status"]),
                def("quiet", "q_idx", &["x"]),
            ],
            Some(&[("a_idx", 0), ("q_idx", 0)]),
        );
        d.view.tables = vec![table("orders", 10, 0, 0), table("quiet", 0, 0, 0)];
        let w = overhead(d);
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].removable, ["public.a_idx"]);
        assert_eq!(w[0].hot_update_ratio, None);
        assert!(w[0].note.ends_with("1 of those indexes serve no reads"));
    }

    #[test]
    fn most_writes_first() {
        let mut defs = indexes_on("a", MANY_INDEXES);
        defs.extend(indexes_on("b", MANY_INDEXES));
        let mut d = export(defs, None);
        d.view.tables = vec![table("a", 10, 0, 0), table("b", 20, 0, 0)];
        let order: Vec<String> = overhead(d).into_iter().map(|w| w.table).collect();
        assert_eq!(order, ["public.b", "public.a"]);
    }
}
