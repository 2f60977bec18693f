//! Tables from `pg_stat_user_tables`: large tables read mostly by sequential
//! scans (missing-index candidates, with the statements that read them), dead
//! tuples and vacuum/analyze staleness, and tables with many updates and few of
//! them HOT.

use super::ident::qualified;
use super::statements::StatementReport;
use super::{FormatTime, db_name, round6};
use crate::analyze::round3;
use crate::parse::timestamp::Timestamp;
use crate::stats::records::Table;
use crate::stats::snapshot::{DatabaseStats, Snapshot};
use serde::{Deserialize, Serialize};

/// A table is large enough for a sequential scan to matter (PgHero).
pub const SEQ_SCAN_MIN_ROWS: u64 = 10_000;
/// Below this share of index scans, a large table is read sequentially (PgHero).
pub const INDEX_USAGE_TARGET: f64 = 0.95;
/// Sequential scans in the window before a table is called scan-heavy.
pub const SEQ_SCAN_MIN_SCANS: u64 = 10;
/// Dead tuples before a table's dead share or vacuum age matters.
const DEAD_MIN: u64 = 1000;
/// Updates before a table's HOT share matters.
const HOT_MIN_UPDATES: u64 = 1000;
/// Vacuum or analyze older than this is stale.
const WEEK_MS: i64 = 7 * 86_400_000;

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct TablesView {
    /// Tables read.
    pub count: usize,
    /// Large tables read mostly by sequential scans: missing-index candidates.
    pub seq_scan_heavy: Vec<SeqScanTable>,
    /// Dead tuples and vacuum/analyze staleness.
    pub maintenance: Vec<MaintenanceTable>,
    /// Tables with many updates and few of them HOT.
    pub hot_updates: Vec<HotTable>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SeqScanTable {
    /// The database (null when the export does not name it).
    pub database: Option<String>,
    pub table: String,
    pub seq_scan: u64,
    pub seq_tup_read: u64,
    pub n_live_tup: u64,
    pub idx_scan: Option<u64>,
    /// Rows read per sequential scan.
    pub rows_per_seq_scan: f64,
    /// The table's size in rows, as the decision took it: the largest of
    /// `n_live_tup`, `reltuples` (table sizes export) and the rows one
    /// sequential scan read (`n_live_tup` is stale after a statistics reset or
    /// before the first ANALYZE).
    #[serde(default)]
    pub table_rows: u64,
    /// Which counter gave `table_rows`: `n_live_tup`, `reltuples` or
    /// `seq_tup_read / seq_scan`.
    #[serde(default)]
    pub table_rows_from: String,
    /// idx_scan / (seq_scan + idx_scan), 0-1.
    pub index_usage: f64,
    pub table_bytes: Option<u64>,
    /// `pg_stat_statements` entries that read the table, most time first (fingerprints).
    pub statements: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct MaintenanceTable {
    /// The database (null when the export does not name it).
    pub database: Option<String>,
    pub table: String,
    pub n_live_tup: u64,
    pub n_dead_tup: u64,
    pub dead_ratio: f64,
    pub n_mod_since_analyze: Option<u64>,
    pub last_vacuum: Option<String>,
    pub last_analyze: Option<String>,
    pub problems: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct HotTable {
    /// The database (null when the export does not name it).
    pub database: Option<String>,
    pub table: String,
    pub n_tup_upd: u64,
    pub n_tup_hot_upd: u64,
    pub hot_update_ratio: f64,
}

/// Adds one database's tables to `out`.
pub(super) fn tables(
    out: &mut TablesView,
    d: &DatabaseStats,
    statements: &[StatementReport],
    ts: FormatTime,
) {
    let v = &d.view;
    out.count += v.tables.len();
    for t in &v.tables {
        let name = qualified(&t.schema, &t.name);
        if let Some(s) = seq_scan(t, &name, v, statements) {
            out.seq_scan_heavy.push(s);
        }
        if let Some(m) = maintenance(t, &name, v.taken_at, ts, v.database.clone()) {
            out.maintenance.push(m);
        }
        if let Some(h) = hot_updates(t, &name, d) {
            out.hot_updates.push(h);
        }
    }
}

/// Once every database is in: scan-heavy tables by rows read, descending.
pub(super) fn sort(out: &mut TablesView) {
    out.seq_scan_heavy.sort_by(|a, b| {
        b.seq_tup_read
            .cmp(&a.seq_tup_read)
            .then(a.table.cmp(&b.table))
    });
}

/// A large table scanned at least [`SEQ_SCAN_MIN_SCANS`] times, each scan reading
/// most of it, and less than [`INDEX_USAGE_TARGET`] of its scans by index.
fn seq_scan(
    t: &Table,
    name: &str,
    v: &Snapshot,
    statements: &[StatementReport],
) -> Option<SeqScanTable> {
    let (Some(seq), Some(read)) = (t.seq_scan, t.seq_tup_read) else {
        return None;
    };
    if seq < SEQ_SCAN_MIN_SCANS {
        return None;
    }
    let per_scan = read as f64 / seq as f64;
    let size = v
        .table_sizes
        .iter()
        .find(|s| s.schema == t.schema && s.name == t.name);
    let (rows, rows_from) = table_rows(t.n_live_tup, size.and_then(|s| s.reltuples), per_scan);
    if rows < SEQ_SCAN_MIN_ROWS {
        return None;
    }
    let idx = t.idx_scan.unwrap_or(0);
    let usage = idx as f64 / (seq + idx) as f64;
    // "near the table's size": whole-table reads (a LIMIT or an early exit reads less)
    if per_scan < 0.5 * rows as f64 || usage >= INDEX_USAGE_TARGET {
        return None;
    }
    Some(SeqScanTable {
        database: v.database.clone(),
        table: name.to_string(),
        seq_scan: seq,
        seq_tup_read: read,
        n_live_tup: t.n_live_tup.unwrap_or(0),
        idx_scan: t.idx_scan,
        rows_per_seq_scan: round3(per_scan),
        table_rows: rows,
        table_rows_from: rows_from.to_string(),
        index_usage: round6(usage),
        table_bytes: size.and_then(|s| s.table_bytes),
        statements: statements
            .iter()
            .filter(|s| s.database.is_none() || s.database == v.database)
            .filter(|s| statement_reads(&s.normalized, &t.schema, &t.name))
            .take(5)
            .map(|s| s.fingerprint.clone())
            .collect(),
    })
}

/// A table's size in rows and the counter it comes from: `reltuples` (its
/// size as of the last VACUUM, ANALYZE or CREATE INDEX, from a table-size
/// export) when known, else `n_live_tup`; and the rows one sequential scan
/// read on average when that is more (a scan reads rows that exist: the table
/// grew since, or its counters were reset). `n_live_tup` alone can be wrong
/// both ways: 0 or a handful after `pg_stat_reset()`, twice the rows when a
/// table was filled and analyzed in one transaction.
fn table_rows(
    n_live_tup: Option<u64>,
    reltuples: Option<u64>,
    per_scan: f64,
) -> (u64, &'static str) {
    let mut best = match reltuples.filter(|r| *r > 0) {
        Some(r) => (r, "reltuples"),
        None => (n_live_tup.unwrap_or(0), "n_live_tup"),
    };
    let scanned = per_scan.floor() as u64;
    if scanned > best.0 {
        best = (scanned, "seq_tup_read / seq_scan");
    }
    best
}

/// Whether a normalized statement reads `table` (after FROM, JOIN or UPDATE).
fn statement_reads(normalized: &str, schema: &str, table: &str) -> bool {
    let words: Vec<&str> = normalized
        .split(|c: char| c.is_whitespace() || c == ',' || c == '(' || c == ')')
        .filter(|w| !w.is_empty())
        .collect();
    let want = table.to_ascii_lowercase();
    let qualified = format!("{}.{}", schema.to_ascii_lowercase(), want);
    words.windows(2).any(|w| {
        matches!(w[0], "from" | "join" | "update")
            && (w[1].trim_matches('"') == want || w[1] == qualified)
    })
}

/// A table with many dead tuples, or a large one analyzed or vacuumed more than
/// a week before the snapshot (or never).
fn maintenance(
    t: &Table,
    name: &str,
    now: Option<Timestamp>,
    ts: FormatTime,
    database: Option<String>,
) -> Option<MaintenanceTable> {
    let (Some(live), Some(dead)) = (t.n_live_tup, t.n_dead_tup) else {
        return None;
    };
    let dead_ratio = if live + dead > 0 {
        dead as f64 / (live + dead) as f64
    } else {
        0.0
    };
    let mut problems = Vec::new();
    if dead >= DEAD_MIN && dead_ratio >= 0.1 {
        problems.push(format!(
            "{:.0}% dead tuples: autovacuum is behind (or blocked by a long transaction)",
            dead_ratio * 100.0
        ));
    }
    let last_vacuum = t.last_vacuum.max(t.last_autovacuum);
    let last_analyze = t.last_analyze.max(t.last_autoanalyze);
    if live + dead >= SEQ_SCAN_MIN_ROWS {
        let stale = |last: Option<Timestamp>| match (last, now) {
            (None, _) => Some("never".to_string()),
            (Some(l), Some(n)) if n.0 - l.0 > WEEK_MS => {
                Some(format!("{} days ago", (n.0 - l.0) / 86_400_000))
            }
            _ => None,
        };
        let modified = t.n_mod_since_analyze.unwrap_or(0);
        if modified as f64 >= 0.1 * live.max(1) as f64
            && let Some(when) = stale(last_analyze)
        {
            problems.push(format!(
                "analyzed {when} with {modified} rows changed since: planner estimates are stale"
            ));
        }
        if dead >= DEAD_MIN
            && let Some(when) = stale(last_vacuum)
        {
            problems.push(format!("vacuumed {when}"));
        }
    }
    if problems.is_empty() {
        return None;
    }
    Some(MaintenanceTable {
        database,
        table: name.to_string(),
        n_live_tup: live,
        n_dead_tup: dead,
        dead_ratio: round6(dead_ratio),
        n_mod_since_analyze: t.n_mod_since_analyze,
        last_vacuum: ts(last_vacuum),
        last_analyze: ts(last_analyze),
        problems,
    })
}

/// A table with at least [`HOT_MIN_UPDATES`] updates, less than half of them HOT.
fn hot_updates(t: &Table, name: &str, d: &DatabaseStats) -> Option<HotTable> {
    let (Some(u), Some(h)) = (t.n_tup_upd, t.n_tup_hot_upd) else {
        return None;
    };
    if u < HOT_MIN_UPDATES || (h as f64) >= 0.5 * u as f64 {
        return None;
    }
    Some(HotTable {
        database: db_name(d),
        table: name.to_string(),
        n_tup_upd: u,
        n_tup_hot_upd: h,
        hot_update_ratio: round6(h as f64 / u as f64),
    })
}

#[cfg(test)]
mod tests;
