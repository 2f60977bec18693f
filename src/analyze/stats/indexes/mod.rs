//! Index findings of one database's export, in steps: invalid indexes,
//! duplicates and redundant prefixes, indexes never scanned in the window (but
//! those kept on purpose), foreign keys whose columns start no index; then,
//! over all databases, tables whose writes maintain many indexes. Also what the
//! checks could not do with the views exported.

mod duplicate;
mod foreign_keys;
mod invalid;
mod redundant;
pub(crate) mod sorts;
mod unused;
pub(super) mod write_overhead;

pub use duplicate::DuplicateIndex;
pub use foreign_keys::FkWithoutIndex;
pub use invalid::InvalidIndex;
pub use redundant::RedundantIndex;
pub use unused::{KeptIndex, UnusedIndex};
pub use write_overhead::{MANY_INDEXES, WriteOverhead};

use super::db_name;
use super::ident::qualified_sql;
use crate::stats::records::IndexDef;
use crate::stats::snapshot::DatabaseStats;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct IndexesView {
    /// Indexes with definitions read.
    pub count: usize,
    pub unused: Vec<UnusedIndex>,
    pub duplicates: Vec<DuplicateIndex>,
    pub redundant: Vec<RedundantIndex>,
    pub invalid: Vec<InvalidIndex>,
    /// Indexes never scanned that are kept on purpose (primary keys, unique and
    /// exclusion constraints, the only index of a foreign key).
    pub not_flagged: Vec<KeptIndex>,
    /// Tables whose writes maintain many indexes, or indexes that serve no reads.
    pub write_overhead: Vec<WriteOverhead>,
    /// Foreign keys whose columns start no index.
    pub fk_without_index: Vec<FkWithoutIndex>,
    /// What the index checks could not do, and which export would let them.
    pub limits: Vec<String>,
}

/// What one database's export says about its indexes: what the steps read.
struct Catalog<'a> {
    database: Option<String>,
    /// Index definitions were exported.
    has_defs: bool,
    /// `pg_stat_user_indexes` was exported.
    has_usage: bool,
    /// Every definition came with catalog columns (not a plain `pg_indexes`).
    catalog: bool,
    /// `idx_scan` by (schema, index).
    usage: HashMap<(&'a str, &'a str), Option<u64>>,
    /// Partitioned tables (schema, table).
    partitioned: BTreeSet<(&'a str, &'a str)>,
    /// Every definition, by schema, table, name.
    defs: Vec<&'a IndexDef>,
    /// The valid ones.
    valid: Vec<&'a IndexDef>,
    /// The sorts the queries ask for (all databases').
    sorts: &'a [sorts::SortUse],
}

impl<'a> Catalog<'a> {
    fn new(d: &'a DatabaseStats, sorts: &'a [sorts::SortUse]) -> Catalog<'a> {
        let v = &d.view;
        let mut defs: Vec<&IndexDef> = v.index_defs.iter().collect();
        defs.sort_by(|a, b| (&a.schema, &a.table, &a.name).cmp(&(&b.schema, &b.table, &b.name)));
        Catalog {
            database: db_name(d),
            has_defs: v.views.contains("index definitions"),
            has_usage: v.views.contains("pg_stat_user_indexes"),
            catalog: v.index_defs.iter().all(|x| x.catalog),
            usage: v
                .indexes
                .iter()
                .map(|i| ((i.schema.as_str(), i.name.as_str()), i.idx_scan))
                .collect(),
            partitioned: v
                .table_sizes
                .iter()
                .filter(|t| t.relkind.as_deref() == Some("p"))
                .map(|t| (t.schema.as_str(), t.name.as_str()))
                .collect(),
            valid: defs.iter().copied().filter(|x| x.valid).collect(),
            defs,
            sorts,
        }
    }

    /// `idx_scan` of an index; null when not exported.
    fn scans(&self, schema: &str, name: &str) -> Option<u64> {
        self.usage.get(&(schema, name)).copied().flatten()
    }

    /// Usage was exported and says the index was never scanned in the window.
    fn never_scanned(&self, x: &IndexDef) -> bool {
        self.has_usage && self.scans(&x.schema, &x.name) == Some(0)
    }

    fn is_partitioned(&self, x: &IndexDef) -> bool {
        self.partitioned
            .contains(&(x.schema.as_str(), x.table.as_str()))
            || x.indexdef.to_ascii_uppercase().contains(" ON ONLY ")
    }

    /// The DROP of an index and its rollback.
    fn drop_and_rollback(&self, x: &IndexDef) -> (String, String) {
        drop_and_rollback(x, self.is_partitioned(x))
    }
}

/// Indexes reported duplicate or redundant (schema, index): never reported
/// again, and never the covering side of another.
type Victims = BTreeSet<(String, String)>;

/// Adds one database's index findings to `out`.
pub(super) fn indexes(out: &mut IndexesView, d: &DatabaseStats, sorts: &[sorts::SortUse]) {
    let cat = Catalog::new(d, sorts);
    limits(out, d, &cat);
    out.count += d.view.index_defs.len();
    invalid::invalid(&mut out.invalid, &cat);
    let victims = duplicates_and_redundant(out, &cat);
    if !cat.has_usage {
        return;
    }
    unused::unused(out, &cat, d, &victims);
    if !cat.has_defs {
        return;
    }
    foreign_keys::fk_without_index(&mut out.fk_without_index, &cat, &d.view.foreign_keys);
}

/// What the checks cannot tell from the views exported.
fn limits(out: &mut IndexesView, d: &DatabaseStats, cat: &Catalog) {
    let v = &d.view;
    let label = v.database.clone().unwrap_or_else(|| v.folder.clone());
    if !cat.has_defs && cat.has_usage {
        out.limits.push(format!(
            "{label}: index usage read without index definitions: unused, duplicate and redundant indexes \
             need them (export indexes.csv with `pgsift export-script`, or pg_indexes)"
        ));
    }
    if cat.has_defs && !cat.has_usage {
        out.limits.push(format!(
            "{label}: index definitions read without pg_stat_user_indexes: unused indexes cannot be told"
        ));
    }
    if cat.has_defs && !cat.catalog {
        out.limits.push(format!(
            "{label}: index definitions without catalog columns (a plain pg_indexes export): exclusion constraints cannot be told from other indexes, so gist and spgist indexes are never called unused"
        ));
    }
}

/// Duplicates and redundant prefixes, in definition order; the covering side
/// must itself be in use (an unused covering index is the one to drop, reported
/// as unused). Returns the indexes reported.
fn duplicates_and_redundant(out: &mut IndexesView, cat: &Catalog) -> Victims {
    let mut victims = Victims::new();
    // each table's indexes, so peers are looked for among a table's few, not
    // among every index (quadratic: 80,000 definitions took a minute)
    let mut by_table: std::collections::HashMap<(&str, &str), Vec<&IndexDef>> =
        std::collections::HashMap::new();
    for x in &cat.valid {
        by_table
            .entry((x.schema.as_str(), x.table.as_str()))
            .or_default()
            .push(x);
    }
    for a in &cat.valid {
        if a.unique || a.primary || a.exclusion {
            continue; // enforces a constraint: only ever the covering side
        }
        let peers: Vec<&IndexDef> = by_table[&(a.schema.as_str(), a.table.as_str())]
            .iter()
            .copied()
            .filter(|b| same_kind(a, b, &victims))
            .collect();
        if let Some(b) = duplicate::duplicate_of(cat, a, &peers) {
            out.duplicates.push(duplicate::report(cat, a, b));
            victims.insert((a.schema.clone(), a.name.clone()));
            continue;
        }
        if a.shape.method != "btree" {
            continue; // left-prefix cover holds for btree only
        }
        if let Some(b) = redundant::covered_by(cat, a, &peers) {
            out.redundant.push(redundant::report(cat, a, b));
            victims.insert((a.schema.clone(), a.name.clone()));
        }
    }
    victims
}

/// Another index of the same table, method and predicate, not itself reported.
fn same_kind(a: &IndexDef, b: &IndexDef, victims: &Victims) -> bool {
    b.name != a.name
        && b.schema == a.schema
        && b.table == a.table
        && b.shape.method == a.shape.method
        && b.shape.predicate == a.shape.predicate
        && !victims.contains(&(b.schema.clone(), b.name.clone()))
}

/// Keeper order among equal indexes: constraint-backed, unique, most used, then
/// name (smallest first).
type KeeperRank = ((bool, bool, bool, std::cmp::Reverse<u64>), String);

fn keeper_rank(cat: &Catalog, d: &IndexDef) -> KeeperRank {
    let scans = cat.scans(&d.schema, &d.name);
    (
        (
            !d.primary,
            d.constraint.is_none(),
            !d.unique,
            std::cmp::Reverse(scans.unwrap_or(0)),
        ),
        d.name.clone(),
    )
}

/// The DROP and its rollback for an index (plain DROP on a partitioned table,
/// where CONCURRENTLY is not allowed).
fn drop_and_rollback(d: &IndexDef, partitioned: bool) -> (String, String) {
    let def = d.indexdef.trim().trim_end_matches(';');
    if partitioned {
        return (
            format!(
                "DROP INDEX IF EXISTS {}; -- partitioned table: CONCURRENTLY is not supported, this takes a short exclusive lock",
                qualified_sql(&d.schema, &d.name)
            ),
            format!("{def};"),
        );
    }
    let upper = def.to_ascii_uppercase();
    let rollback = match upper.find(" INDEX ") {
        Some(p) if !upper.contains("CONCURRENTLY") => {
            format!(
                "{} INDEX CONCURRENTLY {};",
                &def[..p],
                def[p + 7..].trim_start()
            )
        }
        _ => format!("{def};"),
    };
    (
        format!(
            "DROP INDEX CONCURRENTLY IF EXISTS {};",
            qualified_sql(&d.schema, &d.name)
        ),
        rollback,
    )
}

/// Hand-made index definitions and exports for the steps' unit tests.
#[cfg(test)]
pub(super) mod fixtures {
    use super::super::fixtures::{db, snapshot};
    use crate::stats::indexdef::IndexShape;
    use crate::stats::records::{Index, IndexDef};
    use crate::stats::snapshot::DatabaseStats;

    /// A valid btree index `public.name` on `table (keys)`, with catalog columns.
    pub(crate) fn def(table: &str, name: &str, keys: &[&str]) -> IndexDef {
        IndexDef {
            schema: "public".into(),
            table: table.into(),
            name: name.into(),
            shape: IndexShape {
                method: "btree".into(),
                keys: keys.iter().map(|k| k.to_string()).collect(),
                ..Default::default()
            },
            valid: true,
            catalog: true,
            bytes: Some(8192),
            indexdef: format!(
                "CREATE INDEX {name} ON public.{table} USING btree ({})",
                keys.join(", ")
            ),
            ..Default::default()
        }
    }

    /// An export of database `shop` with these definitions and, when `scans` is
    /// given, `pg_stat_user_indexes` (index name, idx_scan).
    pub(crate) fn export(defs: Vec<IndexDef>, scans: Option<&[(&str, u64)]>) -> DatabaseStats {
        let mut views = vec!["index definitions"];
        if scans.is_some() {
            views.push("pg_stat_user_indexes");
        }
        let mut s = snapshot("shop", &views);
        s.indexes = scans
            .unwrap_or_default()
            .iter()
            .map(|(name, n)| {
                let table = defs
                    .iter()
                    .find(|d| d.name == *name)
                    .map_or(String::new(), |d| d.table.clone());
                Index {
                    schema: "public".into(),
                    table,
                    name: name.to_string(),
                    idx_scan: Some(*n),
                    ..Default::default()
                }
            })
            .collect();
        s.index_defs = defs;
        db(s, Some(0), Some(30 * 86_400_000))
    }

    /// The index findings of one export.
    pub(crate) fn run(d: &DatabaseStats) -> super::IndexesView {
        run_with(d, &[])
    }

    /// [`run`] with the queries' sorts.
    pub(crate) fn run_with(
        d: &DatabaseStats,
        sorts: &[super::sorts::SortUse],
    ) -> super::IndexesView {
        let mut out = super::IndexesView::default();
        super::indexes(&mut out, d, sorts);
        out
    }
}

#[cfg(test)]
mod tests;
