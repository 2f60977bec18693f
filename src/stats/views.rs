//! Which statistics view a CSV holds, recognized from its header (never from its
//! file name), and a row accessor that looks columns up by any of their names
//! across PostgreSQL 12 to 18.

use std::collections::HashMap;

/// A view (or catalog query) pgsift reads from a CSV export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum View {
    /// `meta.csv` of pgsift's export: snapshot time, database, versions.
    Meta,
    Statements,
    StatementsInfo,
    Tables,
    TableIo,
    Indexes,
    IndexIo,
    Database,
    Bgwriter,
    Checkpointer,
    Activity,
    Locks,
    /// Index definitions: pgsift's `indexes.csv` or a plain `pg_indexes` export.
    IndexDefs,
    TableSizes,
    ForeignKeys,
    Settings,
    ColumnStats,
}

/// Columns a header must have to be recognized as each view, in the order views are
/// tried (more specific first). Only columns every version from 12 to 18 has.
const SIGNATURES: &[(View, &[&str])] = &[
    (View::Meta, &["snapshot_at", "server_version_num"]),
    (View::Statements, &["queryid", "calls", "query"]),
    (View::StatementsInfo, &["dealloc", "stats_reset"]),
    (
        View::IndexIo,
        &["indexrelname", "idx_blks_read", "idx_blks_hit"],
    ),
    (View::Indexes, &["relname", "indexrelname", "idx_scan"]),
    (
        View::TableIo,
        &["relname", "heap_blks_read", "heap_blks_hit"],
    ),
    (
        View::Tables,
        &["relname", "seq_scan", "seq_tup_read", "n_live_tup"],
    ),
    (
        View::Database,
        &["datname", "xact_commit", "blks_read", "blks_hit"],
    ),
    (View::Checkpointer, &["num_timed", "num_requested"]),
    (View::Bgwriter, &["buffers_clean", "buffers_alloc"]),
    (View::Activity, &["pid", "state", "query", "backend_start"]),
    (View::Locks, &["locktype", "mode", "granted", "pid"]),
    (View::IndexDefs, &["indexname", "indexdef"]),
    (View::ForeignKeys, &["conname", "columns"]),
    (View::TableSizes, &["relname", "relkind", "total_bytes"]),
    (View::ColumnStats, &["tablename", "attname", "n_distinct"]),
    (View::Settings, &["name", "setting"]),
];

impl View {
    /// The view's name as the report shows it.
    pub fn name(self) -> &'static str {
        match self {
            View::Meta => "snapshot metadata",
            View::Statements => "pg_stat_statements",
            View::StatementsInfo => "pg_stat_statements_info",
            View::Tables => "pg_stat_user_tables",
            View::TableIo => "pg_statio_user_tables",
            View::Indexes => "pg_stat_user_indexes",
            View::IndexIo => "pg_statio_user_indexes",
            View::Database => "pg_stat_database",
            View::Bgwriter => "pg_stat_bgwriter",
            View::Checkpointer => "pg_stat_checkpointer",
            View::Activity => "pg_stat_activity",
            View::Locks => "pg_locks",
            View::IndexDefs => "index definitions",
            View::TableSizes => "table sizes",
            View::ForeignKeys => "foreign keys",
            View::Settings => "pg_settings",
            View::ColumnStats => "pg_stats",
        }
    }

    /// The view a header describes, or why it is none.
    pub fn recognize(header: &Header) -> Result<View, String> {
        if let Some((v, _)) = SIGNATURES
            .iter()
            .find(|(_, cols)| cols.iter().all(|c| header.has(c)))
        {
            return Ok(*v);
        }
        // The closest view, to say what is missing.
        let best = SIGNATURES
            .iter()
            .map(|(v, cols)| (cols.iter().filter(|c| header.has(c)).count(), *v, *cols))
            .filter(|(n, _, cols)| *n * 2 >= cols.len() && *n > 0)
            .max_by_key(|(n, _, _)| *n);
        Err(match best {
            Some((_, v, cols)) => format!(
                "a CSV that looks like {} but lacks the column(s) {}",
                v.name(),
                cols.iter()
                    .filter(|c| !header.has(c))
                    .copied()
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None => format!(
                "a CSV whose columns ({}) are not a statistics view pgsift reads",
                header.preview()
            ),
        })
    }
}

/// A CSV header: column name -> position. Names are compared in lower case.
#[derive(Debug, Clone, Default)]
pub struct Header {
    names: Vec<String>,
    index: HashMap<String, usize>,
}

impl Header {
    pub fn new<'a>(fields: impl IntoIterator<Item = &'a str>) -> Header {
        let names: Vec<String> = fields
            .into_iter()
            .map(|f| f.trim().trim_start_matches('\u{feff}').to_ascii_lowercase())
            .collect();
        let mut index = HashMap::new();
        for (i, n) in names.iter().enumerate() {
            // the first of duplicate names wins (a joined `datname` comes later)
            index.entry(n.clone()).or_insert(i);
        }
        Header { names, index }
    }

    pub fn has(&self, name: &str) -> bool {
        self.index.contains_key(name)
    }

    /// Position of the first of `names` the header has.
    pub fn position(&self, names: &[&str]) -> Option<usize> {
        names.iter().find_map(|n| self.index.get(*n).copied())
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    fn preview(&self) -> String {
        let mut s = self
            .names
            .iter()
            .take(6)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        if self.names.len() > 6 {
            s.push_str(", ...");
        }
        s
    }
}

/// Whether a first line looks like a CSV header: at least two comma-separated
/// fields, each an SQL identifier (optionally quoted). Log lines never do.
pub fn looks_like_header(line: &str) -> bool {
    let line = line
        .trim_end_matches(['\r', '\n'])
        .trim_start_matches('\u{feff}');
    let mut fields: Vec<&str> = line.split(',').collect();
    if fields.len() > 2 && fields.last().is_some_and(|f| f.trim().is_empty()) {
        fields.pop();
    }
    fields.len() >= 2
        && fields.iter().all(|f| {
            let f = f.trim().trim_matches('"');
            let mut chars = f.chars();
            chars
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
}

/// A value that does not parse as its column's type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadValue {
    pub column: String,
    pub value: String,
}

/// One data row, read through its header. Empty values are `None`; a value that
/// does not parse is `None` and remembered in `bad`.
pub struct Row<'a> {
    header: &'a Header,
    record: &'a csv::StringRecord,
    pub bad: std::cell::RefCell<Vec<BadValue>>,
}

impl<'a> Row<'a> {
    pub fn new(header: &'a Header, record: &'a csv::StringRecord) -> Row<'a> {
        Row {
            header,
            record,
            bad: Default::default(),
        }
    }

    /// Whether the header has one of `names`.
    pub fn has(&self, names: &[&str]) -> bool {
        self.header.position(names).is_some()
    }

    /// The trimmed, non-empty text of the first of `names` present.
    pub fn text(&self, names: &[&str]) -> Option<&'a str> {
        let i = self.header.position(names)?;
        let v = self.record.get(i)?.trim();
        (!v.is_empty()).then_some(v)
    }

    pub fn string(&self, names: &[&str]) -> Option<String> {
        self.text(names).map(str::to_string)
    }

    fn parsed<T: std::str::FromStr>(&self, names: &[&str]) -> Option<T> {
        let v = self.text(names)?;
        match v.parse() {
            Ok(x) => Some(x),
            Err(_) => {
                let column = self
                    .header
                    .position(names)
                    .map(|i| self.header.names[i].clone())
                    .unwrap_or_default();
                self.bad.borrow_mut().push(BadValue {
                    column,
                    value: v.chars().take(40).collect(),
                });
                None
            }
        }
    }

    /// A counter; `-1` (never analyzed) and negative values read as `None`.
    pub fn u64(&self, names: &[&str]) -> Option<u64> {
        let v = self.text(names)?;
        if let Some(stripped) = v.strip_prefix('-')
            && stripped.chars().all(|c| c.is_ascii_digit() || c == '.')
        {
            return None;
        }
        match v.parse::<u64>() {
            Ok(x) => Some(x),
            // reltuples and a few others come as floats (`1e+06`, `12.0`)
            Err(_) => self.parsed::<f64>(names).map(|f| f.max(0.0).round() as u64),
        }
    }

    pub fn i64(&self, names: &[&str]) -> Option<i64> {
        self.parsed(names)
    }

    pub fn f64(&self, names: &[&str]) -> Option<f64> {
        self.parsed::<f64>(names).filter(|f| f.is_finite())
    }

    /// `t`/`true`/`f`/`false` (psql and most tools), also `1`/`0`.
    pub fn bool(&self, names: &[&str]) -> Option<bool> {
        match self.text(names)?.to_ascii_lowercase().as_str() {
            "t" | "true" | "1" | "yes" => Some(true),
            "f" | "false" | "0" | "no" => Some(false),
            other => {
                self.bad.borrow_mut().push(BadValue {
                    column: names[0].to_string(),
                    value: other.chars().take(40).collect(),
                });
                None
            }
        }
    }

    /// A timestamp as PostgreSQL prints `timestamptz` (`2026-11-27 10:40:01.12+00`,
    /// ISO `T` accepted); no offset means UTC.
    pub fn time(&self, names: &[&str]) -> Option<crate::parse::timestamp::Timestamp> {
        let v = self.text(names)?;
        match parse_time(v) {
            Some(t) => Some(t),
            None => {
                self.bad.borrow_mut().push(BadValue {
                    column: names[0].to_string(),
                    value: v.chars().take(40).collect(),
                });
                None
            }
        }
    }
}

/// Parses a `timestamptz` as PostgreSQL writes it in ISO DateStyle.
pub fn parse_time(v: &str) -> Option<crate::parse::timestamp::Timestamp> {
    use crate::parse::timestamp::{Timestamp, datetime, zone_offset};
    let v = v.trim();
    let fixed;
    let v = if v.len() > 10 && v.as_bytes()[10] == b'T' {
        fixed = format!("{} {}", &v[..10], &v[11..]);
        fixed.as_str()
    } else {
        v
    };
    let (rest, t) = datetime(v).ok()?;
    let rest = rest.trim();
    let offset = if rest.is_empty() {
        0
    } else {
        zone_offset(rest.trim_start_matches(' '))?
    };
    Some(Timestamp(t.0 - i64::from(offset) * 60_000))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(s: &str) -> Header {
        Header::new(s.split(','))
    }

    #[test]
    fn recognizes_views_by_columns_of_every_version() {
        let pg12 = header(
            "userid,dbid,queryid,query,calls,total_time,min_time,max_time,mean_time,stddev_time,rows",
        );
        assert_eq!(View::recognize(&pg12), Ok(View::Statements));
        let pg17_ckpt = header(
            "num_timed,num_requested,restartpoints_timed,write_time,sync_time,buffers_written,stats_reset",
        );
        assert_eq!(View::recognize(&pg17_ckpt), Ok(View::Checkpointer));
        let pg17_bgw = header("buffers_clean,maxwritten_clean,buffers_alloc,stats_reset");
        assert_eq!(View::recognize(&pg17_bgw), Ok(View::Bgwriter));
        let pg_indexes = header("schemaname,tablename,indexname,tablespace,indexdef");
        assert_eq!(View::recognize(&pg_indexes), Ok(View::IndexDefs));
        let idx = header(
            "relid,indexrelid,schemaname,relname,indexrelname,idx_scan,idx_tup_read,idx_tup_fetch",
        );
        assert_eq!(View::recognize(&idx), Ok(View::Indexes));
        let io =
            header("relid,indexrelid,schemaname,relname,indexrelname,idx_blks_read,idx_blks_hit");
        assert_eq!(View::recognize(&io), Ok(View::IndexIo));
    }

    #[test]
    fn unknown_and_incomplete_headers_say_why() {
        let e = View::recognize(&header("a,b,c")).unwrap_err();
        assert!(e.contains("not a statistics view"), "{e}");
        let e = View::recognize(&header(
            "relid,schemaname,relname,indexrelname,idx_tup_read",
        ))
        .unwrap_err();
        assert!(
            e.contains("pg_stat_user_indexes") && e.contains("idx_scan"),
            "{e}"
        );
    }

    #[test]
    fn header_lines_are_told_from_log_lines() {
        assert!(looks_like_header("snapshot_at,datname,relid,schemaname\r"));
        assert!(looks_like_header("\"name\",\"setting\""));
        assert!(!looks_like_header(
            "2024-01-01 00:00:00.000 UTC,\"u\",\"d\",1,\"[local]\",x,1,\"SELECT\""
        ));
        assert!(!looks_like_header("# samples"));
        assert!(!looks_like_header("single_column"));
    }

    #[test]
    fn times_read_with_and_without_offsets() {
        let utc = parse_time("2026-11-27 10:40:01.5+00").unwrap();
        assert_eq!(parse_time("2026-11-27 11:40:01.5+01"), Some(utc));
        assert_eq!(parse_time("2026-11-27T10:40:01.5"), Some(utc));
        assert_eq!(parse_time("2026-11-27 16:10:01.5+05:30"), Some(utc));
        assert_eq!(parse_time("yesterday"), None);
    }

    #[test]
    fn rows_read_empty_negative_and_bad_values() {
        let h = header("relname,n_live_tup,idx_scan,reltuples,flag");
        let rec = csv::StringRecord::from(vec!["t", "12", "", "-1", "maybe"]);
        let r = Row::new(&h, &rec);
        assert_eq!(r.u64(&["n_live_tup"]), Some(12));
        assert_eq!(r.u64(&["idx_scan"]), None);
        assert_eq!(r.u64(&["reltuples"]), None);
        assert_eq!(r.bool(&["flag"]), None);
        assert_eq!(r.bad.borrow().len(), 1);
        let rec = csv::StringRecord::from(vec!["t", "1e+06", "x", "", ""]);
        let r = Row::new(&h, &rec);
        assert_eq!(r.u64(&["n_live_tup"]), Some(1_000_000));
        assert_eq!(r.u64(&["idx_scan"]), None);
        assert_eq!(r.bad.borrow()[0].column, "idx_scan");
    }
}
