//! Statistics layer: CSV exports of `pg_stat_*` views and catalogs -> typed rows
//! ([`records`]), grouped per folder into a mergeable [`StatsInput`]; assembled
//! into snapshots per database and reduced to the window between the first and
//! last snapshot ([`snapshot`]).
//!
//! A CSV is recognized by its header ([`views`]), never by its file name; every
//! column name PostgreSQL 12 to 18 used is accepted; a CSV that is not a view pgsift
//! reads is listed as skipped; a damaged row is counted and shown, never fatal.

pub mod indexdef;
pub mod records;
pub mod snapshot;
pub mod views;

use crate::coverage::FileCoverage;
use crate::merge::Merge;
use crate::parse::timestamp::Timestamp;
use records::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Read;
use views::{Header, Row, View};

/// A row with the snapshot it belongs to, as far as the row says
/// (`snapshot_at` and, for per-database views, `datname` columns).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Keyed<T> {
    pub at: Option<Timestamp>,
    pub db: Option<String>,
    pub row: T,
}

/// Every row read from the CSVs of one folder, by view.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Records {
    pub meta: Vec<Keyed<Meta>>,
    pub statements: Vec<Keyed<Statement>>,
    pub statements_info: Vec<Keyed<StatementsInfo>>,
    pub tables: Vec<Keyed<Table>>,
    pub table_io: Vec<Keyed<Table>>,
    pub indexes: Vec<Keyed<Index>>,
    pub index_io: Vec<Keyed<Index>>,
    pub index_defs: Vec<Keyed<IndexDef>>,
    pub databases: Vec<Keyed<Database>>,
    /// `pg_stat_bgwriter` and `pg_stat_checkpointer` rows.
    pub checkpoints: Vec<Keyed<Checkpoints>>,
    pub sessions: Vec<Keyed<Session>>,
    pub locks: Vec<Keyed<Lock>>,
    pub table_sizes: Vec<Keyed<TableSize>>,
    pub foreign_keys: Vec<Keyed<ForeignKey>>,
    pub settings: Vec<Keyed<Setting>>,
    pub column_stats: Vec<Keyed<ColumnStat>>,
    /// Views read in this folder, with their files.
    pub views: BTreeMap<String, Vec<String>>,
    /// Snapshot times found together in one file (more than one): always distinct snapshots.
    pub times_in_one_file: Vec<Vec<Timestamp>>,
}

impl Merge for Records {
    fn merge(&mut self, o: Self) {
        macro_rules! append {
            ($($f:ident),*) => { $( self.$f.extend(o.$f); )* };
        }
        append!(
            meta,
            statements,
            statements_info,
            tables,
            table_io,
            indexes,
            index_io,
            index_defs,
            databases,
            checkpoints,
            sessions,
            locks,
            table_sizes,
            foreign_keys,
            settings,
            column_stats
        );
        self.times_in_one_file.extend(o.times_in_one_file);
        for (v, mut files) in o.views {
            let e = self.views.entry(v).or_default();
            e.append(&mut files);
            e.sort();
        }
    }
}

impl Records {
    pub fn is_empty(&self) -> bool {
        self.views.is_empty()
    }
}

/// Every statistics CSV read, by folder (the folder of each file: one export).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StatsInput {
    pub folders: BTreeMap<String, Records>,
}

impl Merge for StatsInput {
    fn merge(&mut self, o: Self) {
        for (k, v) in o.folders {
            match self.folders.get_mut(&k) {
                Some(r) => r.merge(v),
                None => {
                    self.folders.insert(k, v);
                }
            }
        }
    }
}

impl StatsInput {
    pub fn is_empty(&self) -> bool {
        self.folders.values().all(Records::is_empty)
    }
}

/// Views whose `datname` column names the snapshot's database (for the others it
/// names the row's subject: a session's, a statement's, a database's own row).
fn per_database(v: View) -> bool {
    matches!(
        v,
        View::Meta
            | View::Tables
            | View::TableIo
            | View::Indexes
            | View::IndexIo
            | View::IndexDefs
            | View::TableSizes
            | View::ForeignKeys
            | View::ColumnStats
    )
}

/// How many damaged rows are shown per file.
const EXAMPLES: usize = 10;

/// Reads one statistics CSV. `path` names the file in the report, `folder` groups
/// it with the other files of its export. Never fails: a damaged row is counted in
/// the coverage, a read error ends the file with what was read so far.
pub fn read_csv(path: &str, folder: &str, reader: impl Read) -> (StatsInput, FileCoverage) {
    let mut cov = FileCoverage::new(path);
    let mut records = Records::default();
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .from_reader(reader);
    let mut raw = csv::ByteRecord::new();
    let header = match rdr.read_byte_record(&mut raw) {
        Ok(true) => Header::new(
            raw.iter()
                .map(|f| std::str::from_utf8(f).unwrap_or(""))
                .collect::<Vec<_>>(),
        ),
        Ok(false) => return (StatsInput::default(), cov),
        Err(e) => {
            cov.error = Some(format!("cannot read the CSV header: {e}"));
            return (StatsInput::default(), cov);
        }
    };
    let view = match View::recognize(&header) {
        Ok(v) => v,
        Err(why) => {
            cov.format = Some("csv".into());
            cov.skipped = Some(why);
            return (StatsInput::default(), cov);
        }
    };
    cov.format = Some(format!("csv: {}", view.name()));
    cov.lines_total = 1;
    cov.ignored("csv header", 1);
    let mut record = csv::StringRecord::new();
    let mut row_no = 1u64;
    let mut times = std::collections::BTreeSet::new();
    loop {
        match rdr.read_byte_record(&mut raw) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                // a broken quote or an I/O error: stop here, keep what was read
                cov.error = Some(format!("CSV read error after row {row_no}: {e}"));
                break;
            }
        }
        row_no += 1;
        cov.lines_total += 1;
        let mut lossy = false;
        record.clear();
        for f in raw.iter() {
            match std::str::from_utf8(f) {
                Ok(s) => record.push_field(s),
                Err(_) => {
                    lossy = true;
                    record.push_field(&String::from_utf8_lossy(f));
                }
            }
        }
        if lossy {
            cov.invalid_utf8_lines += 1;
        }
        if record.len() != header.len() {
            cov.lines_unrecognized += 1;
            push_example(
                &mut cov,
                row_no,
                format!(
                    "{} fields where the header has {} (row not used)",
                    record.len(),
                    header.len()
                ),
            );
            continue;
        }
        let row = Row::new(&header, &record);
        let used = add_row(&mut records, view, &row);
        if let Some(t) = row.time(&["snapshot_at"]) {
            times.insert(t);
        }
        let bad = row.bad.borrow();
        if !used {
            cov.lines_unrecognized += 1;
            push_example(
                &mut cov,
                row_no,
                "a required column is empty or unreadable (row not used)".into(),
            );
        } else if !bad.is_empty() {
            cov.lines_unrecognized += 1;
            let what: Vec<String> = bad
                .iter()
                .map(|b| format!("{} = '{}'", b.column, b.value))
                .collect();
            push_example(
                &mut cov,
                row_no,
                format!(
                    "unreadable value(s) {} (row used, those values taken as empty)",
                    what.join(", ")
                ),
            );
        } else {
            cov.lines_parsed += 1;
        }
    }
    if times.len() > 1 {
        records.times_in_one_file.push(times.into_iter().collect());
    }
    records
        .views
        .insert(view.name().to_string(), vec![path.to_string()]);
    let mut input = StatsInput::default();
    input.folders.insert(folder.to_string(), records);
    (input, cov)
}

fn push_example(cov: &mut FileCoverage, row: u64, text: String) {
    if cov.unrecognized_examples.len() < EXAMPLES {
        cov.unrecognized_examples
            .push((row, format!("CSV row {row}: {text}")));
    }
}

/// Adds one row to its view's records; `false` when the row lacks what the view needs.
fn add_row(r: &mut Records, view: View, row: &Row) -> bool {
    let at = row.time(&["snapshot_at"]);
    let db = if per_database(view) {
        row.string(&["datname"])
    } else {
        None
    };
    macro_rules! push {
        ($field:ident, $value:expr) => {{
            match $value {
                Some(v) => {
                    r.$field.push(Keyed { at, db, row: v });
                    true
                }
                None => false,
            }
        }};
    }
    match view {
        View::Meta => push!(meta, Some(Meta::read(row))),
        View::Statements => push!(statements, Statement::read(row)),
        View::StatementsInfo => push!(
            statements_info,
            Some(StatementsInfo {
                dealloc: row.u64(&["dealloc"]),
                stats_reset: row.time(&["stats_reset"]),
            })
        ),
        View::Tables => push!(tables, Table::read(row)),
        View::TableIo => push!(table_io, Table::read_io(row)),
        View::Indexes => push!(indexes, Index::read(row)),
        View::IndexIo => push!(index_io, Index::read_io(row)),
        View::IndexDefs => push!(index_defs, IndexDef::read(row)),
        View::Database => push!(databases, Database::read(row)),
        View::Bgwriter | View::Checkpointer => push!(checkpoints, Some(Checkpoints::read(row))),
        View::Activity => push!(sessions, Some(Session::read(row))),
        View::Locks => push!(locks, Lock::read(row)),
        View::TableSizes => push!(table_sizes, TableSize::read(row)),
        View::ForeignKeys => push!(foreign_keys, ForeignKey::read(row)),
        View::Settings => push!(settings, Setting::read(row)),
        View::ColumnStats => push!(column_stats, ColumnStat::read(row)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rows_and_counts_damaged_ones() {
        let csv = "relid,schemaname,relname,indexrelid,indexrelname,idx_scan,idx_tup_read,idx_tup_fetch\n\
                   1,public,t,2,t_pkey,5,5,5\n\
                   1,public,t,3,t_a,zero,0,0\n\
                   1,public,,4,t_b,0,0,0\n\
                   1,public,t,5\n";
        let (input, cov) = read_csv("x.csv", "snap", csv.as_bytes());
        let r = &input.folders["snap"];
        assert_eq!(r.indexes.len(), 2);
        assert_eq!(r.indexes[0].row.idx_scan, Some(5));
        assert_eq!(r.indexes[1].row.idx_scan, None);
        assert_eq!(cov.lines_total, 5);
        assert_eq!(cov.lines_parsed, 1);
        assert_eq!(cov.lines_ignored, 1);
        assert_eq!(cov.lines_unrecognized, 3);
        assert!(cov.unrecognized_examples[0].1.contains("idx_scan = 'zero'"));
        assert!(cov.unrecognized_examples[2].1.contains("4 fields"));
        assert_eq!(cov.format.as_deref(), Some("csv: pg_stat_user_indexes"));
    }

    #[test]
    fn unknown_csv_is_skipped_and_broken_quotes_keep_what_was_read() {
        let (input, cov) = read_csv("x.csv", "snap", "a,b\n1,2\n".as_bytes());
        assert!(input.is_empty());
        assert!(cov.skipped.is_some());
        let csv = "name,setting,unit\nwork_mem,4096,kB\nbad,\"unterminated\n";
        let (input, cov) = read_csv("s.csv", "snap", csv.as_bytes());
        assert_eq!(input.folders["snap"].settings.len(), 1);
        assert_eq!(cov.lines_parsed, 1);
        // the unterminated quote runs to the end of the file: one short row, counted
        assert_eq!(cov.lines_unrecognized, 1);
        assert_eq!(cov.lines_total, 3);
    }

    #[test]
    fn invalid_utf8_is_read_lossily_and_counted() {
        let csv = b"name,setting,unit\nwork_mem,4\xff096,kB\n";
        let (input, cov) = read_csv("s.csv", "snap", &csv[..]);
        assert_eq!(cov.invalid_utf8_lines, 1);
        assert_eq!(
            input.folders["snap"].settings[0].row.setting,
            "4\u{fffd}096"
        );
    }
}
