//! Which snapshots are of one database, and in what order, when exports do not
//! say it themselves (`\copy (SELECT * FROM view)` has no `datname` and no
//! snapshot time):
//!
//! - a folder's per-database views without a `datname` belong to a database
//!   named after the folder ([`folder_database`]); a folder of cluster-wide
//!   views only belongs to no database;
//! - two snapshots are of one database only when their data says so: the same
//!   `datname`, or the same tables under the same relids ([`same_tables`]);
//! - two snapshots holding the same cumulative counters are one snapshot given
//!   twice ([`same_counters`]), whatever their times;
//! - snapshots are ordered by their snapshot time, else by their files'
//!   modification time, which the report then says ([`OrderedBy`]);
//! - pg_stat_statements' `dbid` is named from pg_stat_database's `datid`, and a
//!   database's `stats_reset` is found in whichever export holds its
//!   pg_stat_database row ([`name_statements`], [`borrow_resets`]).

use super::snapshot::Snapshot;
use crate::parse::timestamp::Timestamp;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// The database a folder's per-database views belong to when no row names it:
/// the folder's own name (`stats/shop` -> `shop`).
pub fn folder_database(folder: &str) -> String {
    let named = Path::new(folder)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned());
    match named {
        Some(n) if !n.is_empty() && n != "." && n != ".." => n,
        _ => std::env::current_dir()
            .ok()
            .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "stats".into()),
    }
}

/// Whether two snapshots hold the same tables: at least one relid in common,
/// every common relid naming the same table, the common ones at least half
/// of the smaller snapshot's, and counters that only grew from one to the
/// other (databases cloned from one template share relids and names, not
/// counters that go one way).
pub fn same_tables(a: &Snapshot, b: &Snapshot) -> bool {
    same_relids(&relids(a), &relids(b))
}

/// A snapshot's tables by relid: name and cumulative counters.
type Relids<'a> = HashMap<u64, ((&'a str, &'a str), [u64; 5])>;

fn relids(s: &Snapshot) -> Relids<'_> {
    s.tables
        .iter()
        .filter_map(|t| {
            let c = [
                t.seq_scan,
                t.seq_tup_read,
                t.idx_scan,
                t.n_tup_ins,
                t.n_tup_upd,
            ]
            .map(|x| x.unwrap_or(0));
            Some((t.relid?, ((t.schema.as_str(), t.name.as_str()), c)))
        })
        .collect()
}

/// [`same_tables`] on tables by relid.
fn same_relids(x: &Relids, y: &Relids) -> bool {
    let common: Vec<u64> = x.keys().filter(|k| y.contains_key(k)).copied().collect();
    let grew = |a: &Relids, b: &Relids| {
        common
            .iter()
            .all(|k| a[k].1.iter().zip(b[k].1.iter()).all(|(p, q)| p <= q))
    };
    !common.is_empty()
        && common.iter().all(|k| x[k].0 == y[k].0)
        && common.len() * 2 >= x.len().min(y.len())
        && (grew(x, y) || grew(y, x))
}

/// Whether two snapshots of one database hold the same cumulative counters
/// (one moment exported twice, by two habits): every part both hold (tables,
/// pg_stat_database, pg_stat_statements calls) is equal, and they share one.
pub fn same_counters(a: &Snapshot, b: &Snapshot) -> bool {
    let tables = |s: &Snapshot| -> BTreeMap<(String, String), [Option<u64>; 5]> {
        s.tables
            .iter()
            .map(|t| {
                (
                    (t.schema.clone(), t.name.clone()),
                    [
                        t.seq_scan,
                        t.idx_scan,
                        t.n_tup_ins,
                        t.n_tup_upd,
                        t.n_tup_del,
                    ],
                )
            })
            .collect()
    };
    let databases = |s: &Snapshot| -> BTreeMap<String, [Option<u64>; 3]> {
        s.databases
            .iter()
            .map(|d| (d.datname.clone(), [d.xact_commit, d.blks_read, d.blks_hit]))
            .collect()
    };
    let calls = |s: &Snapshot| {
        s.statements
            .iter()
            .map(|x| x.calls)
            .fold(0, u64::saturating_add)
    };
    let mut compared = false;
    if !a.tables.is_empty() && !b.tables.is_empty() {
        if tables(a) != tables(b) {
            return false;
        }
        compared = true;
    }
    if !a.databases.is_empty() && !b.databases.is_empty() {
        if databases(a) != databases(b) {
            return false;
        }
        compared = true;
    }
    if !a.statements.is_empty() && !b.statements.is_empty() {
        if calls(a) != calls(b) {
            return false;
        }
        compared = true;
    }
    compared
}

/// What ordered a database's snapshots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderedBy {
    /// Their snapshot times.
    SnapshotTime,
    /// Their files' modification times (at least one had no snapshot time).
    FileTime,
}

/// The time a snapshot is ordered by: its snapshot time, else its files'
/// latest modification time.
pub fn order_time(s: &Snapshot) -> Option<Timestamp> {
    s.taken_at.or(s.files_modified)
}

/// Fills each statement's database from its `dbid`, by the `datid` of the
/// pg_stat_database rows exported from the same server (or from an export
/// that does not name its server).
pub fn name_statements(all: &mut [Snapshot]) {
    let mut names: BTreeMap<(Option<String>, u64), String> = BTreeMap::new();
    for s in all.iter() {
        for d in &s.databases {
            if let Some(id) = d.datid
                && !d.datname.is_empty()
            {
                names.insert((s.server.clone(), id), d.datname.clone());
                names.entry((None, id)).or_insert_with(|| d.datname.clone());
            }
        }
    }
    for s in all.iter_mut() {
        let server = s.server.clone();
        for st in s.statements.iter_mut().filter(|st| st.database.is_none()) {
            if let Some(id) = st.dbid {
                st.database = names
                    .get(&(server.clone(), id))
                    .or_else(|| names.get(&(None, id)))
                    .cloned();
            }
        }
    }
}

/// A database's `stats_reset` from another export's pg_stat_database row,
/// for an export that holds no row of its own database (per-database views in
/// one folder, cluster-wide views in another).
pub fn borrow_resets(all: &mut [Snapshot]) {
    let mut resets: BTreeMap<String, Timestamp> = BTreeMap::new();
    for s in all.iter() {
        for d in &s.databases {
            if let Some(r) = d.stats_reset {
                resets.entry(d.datname.clone()).or_insert(r);
            }
        }
    }
    for s in all.iter_mut() {
        let own = s
            .databases
            .iter()
            .any(|d| Some(&d.datname) == s.database.as_ref());
        if !own && let Some(db) = &s.database {
            s.reset_elsewhere = resets.get(db).copied();
        }
    }
}

/// Ties folder-named snapshots to the snapshots with the same tables under the
/// same relids: they are one database, named by the export that names it if
/// one does, else after the folders' common parent (`shop/monday`,
/// `shop/tuesday` -> `shop`), else after the first folder. Returns notes
/// saying which were tied.
pub fn tie_by_relids(all: &mut [Snapshot]) -> Vec<String> {
    let n = all.len();
    let mut group: Vec<usize> = (0..n).collect();
    fn root(g: &mut [usize], mut x: usize) -> usize {
        while g[x] != x {
            g[x] = g[g[x]];
            x = g[x];
        }
        x
    }
    let ids: Vec<Relids> = all.iter().map(relids).collect();
    for i in 0..n {
        if !all[i].named_after_folder || ids[i].is_empty() {
            continue;
        }
        for j in 0..n {
            if i != j && same_relids(&ids[i], &ids[j]) {
                let (a, b) = (root(&mut group, i), root(&mut group, j));
                group[a.max(b)] = a.min(b);
            }
        }
    }
    drop(ids);
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..n {
        let r = root(&mut group, i);
        groups.entry(r).or_default().push(i);
    }
    let mut notes = Vec::new();
    for members in groups.into_values().filter(|m| m.len() > 1) {
        let named = members.iter().find(|&&m| !all[m].named_after_folder);
        let (database, server) = match named {
            Some(&m) => (all[m].database.clone(), all[m].server.clone()),
            None => (Some(common_parent(all, &members)), None),
        };
        let mut folders: Vec<&str> = members.iter().map(|&m| all[m].folder.as_str()).collect();
        folders.sort_unstable();
        notes.push(format!(
            "{} hold the same tables under the same relids: snapshots of one database, {}{}",
            folders.join(" and "),
            database.as_deref().unwrap_or("?"),
            if named.is_none() {
                " (named after their folder)"
            } else {
                ""
            }
        ));
        for &m in &members {
            let s = &mut all[m];
            if s.named_after_folder {
                s.database = database.clone();
                s.named_after_folder = named.is_none();
                if s.server.is_none() {
                    s.server = server.clone();
                }
            }
        }
    }
    notes
}

/// The name of the folder holding every member's folder, else the first
/// member's folder name.
fn common_parent(all: &[Snapshot], members: &[usize]) -> String {
    let parent = |m: usize| Path::new(&all[m].folder).parent().map(Path::to_path_buf);
    let first = parent(members[0]);
    match first {
        Some(p)
            if !p.as_os_str().is_empty()
                && members.iter().all(|&m| parent(m).as_ref() == Some(&p)) =>
        {
            folder_database(&p.to_string_lossy())
        }
        _ => folder_database(&all[members[0]].folder),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::records::Table;

    fn with_tables(folder: &str, tables: &[(u64, &str)]) -> Snapshot {
        Snapshot {
            folder: folder.into(),
            named_after_folder: true,
            database: Some(folder_database(folder)),
            tables: tables
                .iter()
                .map(|(id, name)| Table {
                    relid: Some(*id),
                    schema: "public".into(),
                    name: (*name).into(),
                    seq_scan: Some(*id),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn a_folder_names_its_database() {
        assert_eq!(folder_database("stats/shop"), "shop");
        assert_eq!(folder_database("/var/tmp/exports/bench/"), "bench");
    }

    #[test]
    fn relids_tie_snapshots_only_when_they_name_the_same_tables() {
        let a = with_tables("x/monday", &[(10, "orders"), (11, "customers")]);
        let b = with_tables(
            "x/tuesday",
            &[(10, "orders"), (11, "customers"), (12, "new")],
        );
        assert!(same_tables(&a, &b));
        // a common relid naming another table: another database
        let c = with_tables("y", &[(10, "invoices"), (11, "customers")]);
        assert!(!same_tables(&a, &c));
        // one table in common out of many: not enough
        let three = with_tables("w", &[(10, "orders"), (11, "customers"), (13, "items")]);
        let d = with_tables("z", &[(10, "orders"), (20, "a"), (21, "b"), (22, "c")]);
        assert!(!same_tables(&three, &d));
        // a clone of one template: same relids and names, counters apart
        let mut clone = with_tables("x/tenant", &[(10, "orders"), (11, "customers")]);
        clone.tables[0].seq_scan = Some(1);
        clone.tables[1].seq_scan = Some(100);
        assert!(!same_tables(&a, &clone));
        let mut all = vec![a, b, c];
        let notes = tie_by_relids(&mut all);
        assert_eq!(notes.len(), 1, "{notes:?}");
        // named after the folders' common parent
        assert_eq!(all[0].database.as_deref(), Some("x"));
        assert_eq!(all[1].database.as_deref(), Some("x"));
        assert_eq!(all[2].database.as_deref(), Some("y"));
    }

    #[test]
    fn the_same_counters_are_one_snapshot() {
        let a = with_tables("a", &[(10, "orders")]);
        let mut b = with_tables("b", &[(10, "orders")]);
        assert!(same_counters(&a, &b));
        b.tables[0].seq_scan = Some(11);
        assert!(!same_counters(&a, &b));
        // nothing to compare: not the same
        assert!(!same_counters(&Snapshot::default(), &Snapshot::default()));
    }
}
