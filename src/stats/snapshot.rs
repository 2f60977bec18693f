//! Snapshots: the rows of each folder grouped by database and snapshot time (each
//! record joins its snapshot as its [`Place`] says), and for each database the
//! view over its statistics window: the deltas between its first and last
//! snapshot when there are two or more ([`window`](super::window)), else the
//! totals since the statistics were reset.

use super::records::*;
use super::sources::{
    OrderedBy, borrow_resets, folder_database, name_statements, order_time, same_counters,
    tie_by_relids,
};
use super::views::View;
use super::window::{database_reset, window};
use super::{Records, StatsInput};
use crate::parse::timestamp::Timestamp;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Rows whose snapshot times are at most this far apart belong to one snapshot
/// (exports that took `now()` once per file).
const SAME_SNAPSHOT_MS: i64 = 120_000;

/// One database's statistics at one time (as exported into one folder).
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub folder: String,
    pub server: Option<String>,
    pub database: Option<String>,
    pub taken_at: Option<Timestamp>,
    pub meta: Option<Meta>,
    pub statements: Vec<Statement>,
    pub statements_info: Option<StatementsInfo>,
    pub tables: Vec<Table>,
    pub indexes: Vec<Index>,
    pub index_defs: Vec<IndexDef>,
    pub databases: Vec<Database>,
    pub checkpoints: Option<Checkpoints>,
    pub wal: Option<Wal>,
    pub io: Vec<Io>,
    pub sessions: Vec<Session>,
    pub locks: Vec<Lock>,
    pub table_sizes: Vec<TableSize>,
    pub foreign_keys: Vec<ForeignKey>,
    pub settings: BTreeMap<String, Setting>,
    pub column_stats: Vec<ColumnStat>,
    /// The columns of each user table (`columns.csv`).
    pub columns: Vec<TableColumn>,
    /// Views present (names as the report shows them).
    pub views: BTreeSet<String>,
    /// The database is named after the export's folder (no row names it).
    pub named_after_folder: bool,
    /// The latest modification time of the export's files.
    pub files_modified: Option<Timestamp>,
    /// The database's `stats_reset` from another export's pg_stat_database.
    pub reset_elsewhere: Option<Timestamp>,
    /// Rows met again in the export (the same table, index, index definition
    /// or statement twice), by view: the first is kept, the others counted.
    pub repeated: BTreeMap<&'static str, u64>,
    /// What reading the export took, said in the window's notes.
    pub notes: Vec<String>,
    /// Where each keyed record sits in its list, so that placing a record is
    /// O(1), not a scan of the list (a million index rows).
    pub seen: Seen,
}

/// The key a record is found by: its kind (0 table, 1 index, 2 index
/// definition, 3 statement), and three names.
type SeenKey = (u8, String, String, String);

/// Keyed records' positions, and how many of each kind were placed by key.
#[derive(Debug, Clone, Default)]
pub struct Seen {
    at: HashMap<SeenKey, usize>,
    keyed: [usize; 4],
}

impl Seen {
    /// The position of the record with `key` in `list`; `None` when it is new
    /// (it is then to be pushed at the end). Records pushed without a key
    /// (built by hand) are found by `same` once, by a scan.
    fn find<T>(&mut self, key: SeenKey, list: &[T], same: impl Fn(&T) -> bool) -> Option<usize> {
        if let Some(&i) = self.at.get(&key) {
            return Some(i);
        }
        let kind = usize::from(key.0);
        if self.keyed[kind] < list.len()
            && let Some(i) = list.iter().position(same)
        {
            self.keyed[kind] += 1;
            self.at.insert(key, i);
            return Some(i);
        }
        self.keyed[kind] += 1;
        self.at.insert(key, list.len());
        None
    }
}

/// Where the statistics window comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowSource {
    /// Deltas between the first and last of several snapshots.
    Snapshots,
    /// Totals since the statistics were last reset (`stats_reset`).
    StatsReset,
    /// Totals since an unknown time (no `stats_reset`, no snapshot times).
    #[default]
    Unknown,
}

/// The statistics of one database over its window.
#[derive(Debug, Clone, Default)]
pub struct DatabaseStats {
    /// The latest snapshot, its cumulative counters replaced by the window's deltas.
    pub view: Snapshot,
    pub start: Option<Timestamp>,
    pub end: Option<Timestamp>,
    pub source: WindowSource,
    /// Snapshots of this database that were read.
    pub snapshots: usize,
    /// Folders of the first and last snapshot.
    pub folders: Vec<String>,
    /// Counters that went down between the snapshots: what was reset; and
    /// exports left out.
    pub resets: Vec<String>,
    /// How the snapshots were told apart and ordered (exports tied by relids,
    /// read once, ordered by file time).
    pub notes: Vec<String>,
    /// Folders of this database's exports that were left out (could not be
    /// ordered).
    pub left_out: Vec<String>,
}

/// Groups times closer than [`SAME_SNAPSHOT_MS`] (exports that took `now()` once
/// per file), except times found together in one file, which are distinct
/// snapshots; returns each time's group start.
fn cluster(
    times: &BTreeSet<Timestamp>,
    together: &[Vec<Timestamp>],
) -> BTreeMap<Timestamp, Timestamp> {
    let mut out = BTreeMap::new();
    let mut current: Vec<Timestamp> = Vec::new();
    for &t in times {
        let apart = current.last().is_none_or(|p| t.0 - p.0 > SAME_SNAPSHOT_MS)
            || together
                .iter()
                .any(|g| g.contains(&t) && current.iter().any(|c| g.contains(c)));
        if apart {
            current.clear();
        }
        current.push(t);
        out.insert(t, current[0]);
    }
    out
}

type SnapKey = (Option<String>, Option<Timestamp>);

/// Splits one folder's rows into snapshots.
fn folder_snapshots(folder: &str, r: &Records) -> Vec<Snapshot> {
    let meta = r.meta.first().map(|m| m.row.clone());
    let default_at = meta.as_ref().and_then(|m| m.snapshot_at);
    let rows = r.placed_rows();
    // only per-database views have a row database
    let dbs: BTreeSet<&str> = rows.iter().filter_map(|p| p.db).collect();
    let named_db = meta
        .as_ref()
        .and_then(|m| m.datname.clone())
        .or_else(|| (dbs.len() == 1).then(|| dbs.iter().next().unwrap().to_string()));
    // per-database views that no row names: the folder's database
    let per_database = r
        .views
        .keys()
        .any(|v| View::ALL.iter().any(|x| x.name() == v && x.per_database()));
    let named_after_folder = named_db.is_none() && dbs.is_empty() && per_database;
    let default_db = named_db.or_else(|| named_after_folder.then(|| folder_database(folder)));
    let mut times: BTreeSet<Timestamp> = default_at.into_iter().collect();
    times.extend(rows.iter().filter_map(|p| p.at));
    let mut clusters = cluster(&times, &r.times_in_one_file);
    let mut skew = None;
    // one export (each view in one file, each file at one time) is one
    // snapshot, even when its files' clocks disagree (a meta.csv written
    // minutes apart): read at the time most of its rows carry, and said
    let distinct: BTreeSet<Timestamp> = clusters.values().copied().collect();
    let one_export =
        r.times_in_one_file.is_empty() && r.views.values().all(|files| files.len() <= 1);
    let mut default_at = default_at;
    if one_export && distinct.len() > 1 {
        let mut votes: BTreeMap<Timestamp, usize> = BTreeMap::new();
        for t in rows.iter().filter_map(|p| p.at) {
            *votes.entry(clusters[&t]).or_default() += 1;
        }
        if let Some((&at, _)) = votes.iter().max_by_key(|(t, n)| (**n, **t)) {
            let (first, last) = (distinct.first().copied(), distinct.last().copied());
            skew = first.zip(last).map(|(a, b)| {
                format!(
                    "{folder}: the export's files carry snapshot times {} s apart ({} to {}); read as one snapshot at {}",
                    (b.0 - a.0) / 1000,
                    a.format(),
                    b.format(),
                    at.format()
                )
            });
            clusters.values_mut().for_each(|v| *v = at);
            default_at = Some(at);
        }
    }
    // rows without a time (definitions, sizes, settings): the export's time, else
    // the latest snapshot of the folder (catalogs describe the present)
    let default_at = default_at.or_else(|| clusters.values().max().copied());
    let mut snaps: BTreeMap<SnapKey, Snapshot> = BTreeMap::new();
    for p in &rows {
        let at =
            p.at.or(default_at)
                .map(|t| clusters.get(&t).copied().unwrap_or(t));
        let key: SnapKey = (p.db.map(str::to_string).or_else(|| default_db.clone()), at);
        let s = snaps.entry(key.clone()).or_insert_with(|| Snapshot {
            folder: folder.to_string(),
            database: key.0,
            taken_at: key.1,
            ..Default::default()
        });
        p.row.place(s);
    }
    if let Some(note) = skew {
        for s in snaps.values_mut() {
            s.notes.push(note.clone());
        }
    }
    let views: BTreeSet<String> = r.views.keys().cloned().collect();
    let server = meta.as_ref().and_then(|m| {
        m.server.clone().map(|srv| {
            if m.is_replica == Some(true) {
                format!("{srv} (replica)")
            } else {
                srv
            }
        })
    });
    snaps
        .into_values()
        .map(|mut s| {
            s.server = server.clone();
            s.named_after_folder = named_after_folder && s.database == default_db;
            s.files_modified = r.modified;
            if s.meta.is_none() {
                s.meta = meta.clone();
            }
            s.views = views.clone();
            s
        })
        .collect()
}

/// How a record joins the snapshot it belongs to.
pub trait Place {
    fn place(&self, s: &mut Snapshot);
}

impl Place for Meta {
    fn place(&self, s: &mut Snapshot) {
        s.meta = Some(self.clone());
    }
}

impl Place for StatementsInfo {
    fn place(&self, s: &mut Snapshot) {
        s.statements_info = Some(self.clone());
    }
}

impl Place for Table {
    fn place(&self, s: &mut Snapshot) {
        let key = (0, self.schema.clone(), self.name.clone(), String::new());
        let at = s.seen.find(key, &s.tables, |x| {
            x.schema == self.schema && x.name == self.name
        });
        merge_table(&mut s.tables, at, self);
    }
}

impl Place for Index {
    fn place(&self, s: &mut Snapshot) {
        let key = (1, self.schema.clone(), self.name.clone(), String::new());
        let at = s.seen.find(key, &s.indexes, |x| {
            x.schema == self.schema && x.name == self.name
        });
        merge_index(&mut s.indexes, at, self);
    }
}

/// An index definition met again (the same index twice in `indexes.csv`)
/// is counted, not listed twice: listed twice, it would be its own duplicate.
impl Place for IndexDef {
    fn place(&self, s: &mut Snapshot) {
        let key = (2, self.schema.clone(), self.name.clone(), String::new());
        match s.seen.find(key, &s.index_defs, |x| {
            x.schema == self.schema && x.name == self.name
        }) {
            Some(_) => *s.repeated.entry("index definitions").or_default() += 1,
            None => s.index_defs.push(self.clone()),
        }
    }
}

/// A pg_stat_statements row met again (same user, database, queryid and
/// level; or the same text without a queryid) is counted, not added twice.
impl Place for Statement {
    fn place(&self, s: &mut Snapshot) {
        let id = match self.queryid {
            Some(q) => format!("{q}/{:?}", self.toplevel),
            None => format!("{}/{:?}", self.query, self.toplevel),
        };
        let who = format!("{:?}/{:?}", self.userid, self.user);
        let db = format!("{:?}/{:?}", self.dbid, self.database);
        let same = |x: &Statement| {
            x.queryid == self.queryid
                && x.toplevel == self.toplevel
                && x.userid == self.userid
                && x.user == self.user
                && x.dbid == self.dbid
                && x.database == self.database
                && (self.queryid.is_some() || x.query == self.query)
        };
        match s.seen.find((3, id, who, db), &s.statements, same) {
            Some(_) => *s.repeated.entry("pg_stat_statements").or_default() += 1,
            None => s.statements.push(self.clone()),
        }
    }
}

/// `pg_stat_bgwriter` and `pg_stat_checkpointer` (17+) make one record.
impl Place for Checkpoints {
    fn place(&self, s: &mut Snapshot) {
        match &mut s.checkpoints {
            Some(c) => c.fill(self),
            None => s.checkpoints = Some(self.clone()),
        }
    }
}

impl Place for Wal {
    fn place(&self, s: &mut Snapshot) {
        s.wal = Some(self.clone());
    }
}

impl Place for Setting {
    fn place(&self, s: &mut Snapshot) {
        s.settings.insert(self.name.clone(), self.clone());
    }
}

/// Records listed as they come.
macro_rules! place_in_list {
    ($($record:ty => $field:ident),+ $(,)?) => {$(
        impl Place for $record {
            fn place(&self, s: &mut Snapshot) {
                s.$field.push(self.clone());
            }
        }
    )+};
}

place_in_list! {
    Database => databases,
    Session => sessions,
    Lock => locks,
    TableSize => table_sizes,
    ForeignKey => foreign_keys,
    ColumnStat => column_stats,
    TableColumn => columns,
    Io => io,
}

/// Adds a table row, or completes the row of the same table (stats + statio).
fn merge_table(tables: &mut Vec<Table>, at: Option<usize>, t: &Table) {
    match at.and_then(|i| tables.get_mut(i)) {
        Some(x) => {
            macro_rules! fill {
                ($($f:ident),*) => { $( if x.$f.is_none() { x.$f = t.$f; } )* };
            }
            fill!(
                seq_scan,
                seq_tup_read,
                idx_scan,
                idx_tup_fetch,
                n_tup_ins,
                n_tup_upd,
                n_tup_del,
                n_tup_hot_upd,
                n_live_tup,
                n_dead_tup,
                n_mod_since_analyze,
                last_vacuum,
                last_autovacuum,
                last_analyze,
                last_autoanalyze,
                heap_blks_read,
                heap_blks_hit,
                idx_blks_read,
                idx_blks_hit
            );
        }
        None => tables.push(t.clone()),
    }
}

fn merge_index(indexes: &mut Vec<Index>, at: Option<usize>, i: &Index) {
    match at.and_then(|k| indexes.get_mut(k)) {
        Some(x) => {
            macro_rules! fill {
                ($($f:ident),*) => { $( if x.$f.is_none() { x.$f = i.$f; } )* };
            }
            fill!(
                idx_scan,
                idx_tup_read,
                idx_tup_fetch,
                idx_blks_read,
                idx_blks_hit,
                last_idx_scan
            );
        }
        None => indexes.push(i.clone()),
    }
}

/// Every database's statistics over its window, sorted by server and database.
pub fn build(input: &StatsInput) -> Vec<DatabaseStats> {
    let mut all: Vec<Snapshot> = input
        .folders
        .iter()
        .flat_map(|(folder, r)| folder_snapshots(folder, r))
        .collect();
    let tied = tie_by_relids(&mut all);
    // an export without meta.csv does not name its server: it belongs to the one
    // server whose exports have the same database, when there is exactly one
    let mut servers: BTreeMap<Option<String>, BTreeSet<String>> = BTreeMap::new();
    for s in &all {
        if let Some(srv) = &s.server {
            servers
                .entry(s.database.clone())
                .or_default()
                .insert(srv.clone());
        }
    }
    for s in &mut all {
        if s.server.is_none()
            && let Some(set) = servers.get(&s.database)
            && set.len() == 1
        {
            s.server = set.iter().next().cloned();
        }
    }
    // or to the server of an export holding the same counters (cluster-wide
    // views exported in one folder, the export script's copy in another)
    for i in 0..all.len() {
        if all[i].server.is_some() {
            continue;
        }
        let twin = (0..all.len())
            .find(|&j| all[j].server.is_some() && same_counters(&all[i], &all[j]))
            .and_then(|j| all[j].server.clone());
        all[i].server = twin;
    }
    name_statements(&mut all);
    borrow_resets(&mut all);
    let mut by_db: BTreeMap<(Option<String>, Option<String>), Vec<Snapshot>> = BTreeMap::new();
    for s in all {
        by_db
            .entry((s.server.clone(), s.database.clone()))
            .or_default()
            .push(s);
    }
    let mut out: Vec<DatabaseStats> = by_db.into_values().map(one_database).collect();
    if let Some(first) = out.first_mut() {
        first.notes.extend(tied);
    }
    out
}

/// One database's statistics from its snapshots: the same snapshot given twice
/// (the same counters, or times within [`SAME_SNAPSHOT_MS`]) is read once; the
/// others are ordered by snapshot time, else by file time (said), and the
/// first and last give the window.
fn one_database(mut snaps: Vec<Snapshot>) -> DatabaseStats {
    let mut notes: Vec<String> = snaps.iter().flat_map(|s| s.notes.clone()).collect();
    notes.extend(snaps
        .iter()
        .flat_map(|s| {
            s.repeated.iter().map(move |(view, n)| {
                format!(
                    "{}: {n} repeated row(s) of {view} (the same object twice in one export) counted once",
                    s.folder
                )
            })
        }));
    let mut left_out = Vec::new();
    let mut left_out_folders: Vec<String> = Vec::new();
    let ordered_by = if snaps.iter().all(|s| s.taken_at.is_some()) {
        OrderedBy::SnapshotTime
    } else {
        OrderedBy::FileTime
    };
    let key = |s: &Snapshot| match ordered_by {
        OrderedBy::SnapshotTime => s.taken_at,
        OrderedBy::FileTime => order_time(s),
    };
    // richer exports first among equals: timed, then more views, then by folder
    snaps.sort_by(|a, b| {
        b.taken_at
            .is_some()
            .cmp(&a.taken_at.is_some())
            .then(b.views.len().cmp(&a.views.len()))
            .then(a.folder.cmp(&b.folder))
    });
    let mut kept: Vec<Snapshot> = Vec::new();
    for s in snaps {
        let twin = kept.iter().position(|k| {
            same_counters(k, &s)
                || (ordered_by == OrderedBy::SnapshotTime && k.taken_at == s.taken_at)
        });
        match twin {
            Some(i) => notes.push(format!(
                "{} holds the same counters as {}: one snapshot, read once",
                s.folder, kept[i].folder
            )),
            None => kept.push(s),
        }
    }
    let (mut timed, mut untimed): (Vec<Snapshot>, Vec<Snapshot>) =
        kept.into_iter().partition(|s| key(s).is_some());
    timed.sort_by(|a, b| key(a).cmp(&key(b)).then(a.folder.cmp(&b.folder)));
    // nothing to order by: the richest export stands alone
    let alone = timed.is_empty().then(|| untimed.remove(0));
    left_out_folders.extend(untimed.iter().map(|u| u.folder.clone()));
    if !untimed.is_empty() {
        left_out.push(format!(
            "{} other export(s) of this database have neither a snapshot time nor a file time and cannot be ordered; left out: {}",
            untimed.len(),
            untimed.iter().map(|u| u.folder.as_str()).collect::<Vec<_>>().join(", ")
        ));
    }
    // file times closer than a snapshot's spread cannot order exports (copied
    // or checked out together): the richest stands alone
    let close = |w: &[Snapshot]| match (key(&w[0]), key(&w[1])) {
        (Some(a), Some(b)) => b.0 - a.0 <= SAME_SNAPSHOT_MS,
        _ => false,
    };
    if ordered_by == OrderedBy::FileTime && timed.windows(2).any(close) {
        let richest = (0..timed.len())
            .min_by(|&a, &b| {
                let (a, b) = (&timed[a], &timed[b]);
                b.views
                    .len()
                    .cmp(&a.views.len())
                    .then(a.folder.cmp(&b.folder))
            })
            .unwrap_or(0);
        let kept = timed.swap_remove(richest);
        left_out_folders.extend(timed.iter().map(|s| s.folder.clone()));
        left_out.push(format!(
            "{} and {} have no snapshot time and their files were modified within {} minutes of each other (copied or checked out together?): they cannot be ordered; {} is read, the others are left out",
            kept.folder,
            timed.iter().map(|s| s.folder.as_str()).collect::<Vec<_>>().join(", "),
            SAME_SNAPSHOT_MS / 60_000,
            kept.folder
        ));
        timed = vec![kept];
    }
    if ordered_by == OrderedBy::FileTime && timed.len() > 1 {
        notes.push(format!(
            "{} have no snapshot time: ordered by their files' modification times ({}); if the files were copied since, the order and the window may be wrong",
            timed.iter().map(|s| s.folder.as_str()).collect::<Vec<_>>().join(", "),
            timed
                .iter()
                .filter_map(|s| key(s).map(|t| t.format()))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let mut d = match timed.len() {
        0 => single(alone.expect("a group has a snapshot")),
        1 => single(timed.pop().unwrap()),
        n => {
            let mut last = timed.pop().unwrap();
            let mut first = timed.swap_remove(0);
            if ordered_by == OrderedBy::FileTime {
                first.taken_at = key(&first);
                last.taken_at = key(&last);
            }
            window(first, last, n)
        }
    };
    d.resets.extend(left_out);
    d.left_out = left_out_folders;
    d.notes.extend(notes);
    d
}

/// The window of a database seen in one snapshot: totals since its statistics
/// were reset.
fn single(s: Snapshot) -> DatabaseStats {
    let reset = database_reset(&s);
    DatabaseStats {
        start: reset,
        end: s.taken_at,
        source: if reset.is_some() {
            WindowSource::StatsReset
        } else {
            WindowSource::Unknown
        },
        snapshots: 1,
        folders: vec![s.folder.clone()],
        view: s,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests;
