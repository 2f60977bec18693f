//! "Tables": large tables read by sequential scans (missing-index candidates),
//! dead tuples and vacuum/analyze staleness, and tables with few HOT updates.

use crate::analyze::Audit;
use crate::analyze::stats::SEQ_SCAN_MIN_ROWS;
use crate::units::{bytes, count, duration_ms, percent};
use askama::Template;

/// Characters of a statement shown in the sequential-scan table.
const STATEMENT_CHARS: usize = 120;

/// A large table read mostly by sequential scans.
#[derive(Debug, Clone, Default)]
pub struct SeqScanRow {
    pub table: String,
    pub seq_scans: String,
    pub rows_read: String,
    pub live_rows: String,
    pub rows_per_scan: String,
    pub index_usage: String,
    pub size: String,
    /// The pg_stat_statements entries reading it, one a line; `-` when none.
    pub statements: String,
}

/// A table with dead tuples or stale statistics.
#[derive(Debug, Clone, Default)]
pub struct MaintenanceRow {
    pub table: String,
    pub live: String,
    pub dead: String,
    pub dead_share: String,
    pub last_vacuum: String,
    pub last_analyze: String,
    pub problems: String,
}

/// A table whose updates are rarely HOT.
#[derive(Debug, Clone, Default)]
pub struct HotRow {
    pub table: String,
    pub updates: String,
    pub hot_updates: String,
    pub hot_share: String,
}

#[derive(Debug, Default, Template)]
#[template(path = "sections/tables.html")]
pub struct TablesSection {
    pub tables_summary: String,
    pub seq_tables: Vec<SeqScanRow>,
    pub maintenance: Vec<MaintenanceRow>,
    pub hot: Vec<HotRow>,
}

pub fn build(a: &Audit, _top: usize) -> TablesSection {
    let t = &a.stats.tables;
    TablesSection {
        tables_summary: format!(
            "{} tables read; {} read mostly by sequential scans over {} rows or more, {} with dead tuples or stale statistics, {} with few HOT updates.",
            count(t.count as u64),
            t.seq_scan_heavy.len(),
            count(SEQ_SCAN_MIN_ROWS),
            t.maintenance.len(),
            t.hot_updates.len()
        ),
        seq_tables: t
            .seq_scan_heavy
            .iter()
            .map(|x| SeqScanRow {
                table: x.table.clone(),
                seq_scans: count(x.seq_scan),
                rows_read: count(x.seq_tup_read),
                live_rows: count(x.n_live_tup),
                rows_per_scan: count(x.rows_per_seq_scan.round() as u64),
                index_usage: percent(x.index_usage),
                size: x.table_bytes.map(bytes).unwrap_or_else(|| "-".into()),
                statements: statements_reading(a, &x.statements),
            })
            .collect(),
        maintenance: t
            .maintenance
            .iter()
            .map(|x| MaintenanceRow {
                table: x.table.clone(),
                live: count(x.n_live_tup),
                dead: count(x.n_dead_tup),
                dead_share: percent(x.dead_ratio),
                last_vacuum: x.last_vacuum.clone().unwrap_or_else(|| "never".into()),
                last_analyze: x.last_analyze.clone().unwrap_or_else(|| "never".into()),
                problems: x.problems.join("; "),
            })
            .collect(),
        hot: t
            .hot_updates
            .iter()
            .map(|x| HotRow {
                table: x.table.clone(),
                updates: count(x.n_tup_upd),
                hot_updates: count(x.n_tup_hot_upd),
                hot_share: percent(x.hot_update_ratio),
            })
            .collect(),
    }
}

/// The statements (by fingerprint) found in pg_stat_statements, one a line
/// with calls and time; `-` when none is.
fn statements_reading(a: &Audit, fingerprints: &[String]) -> String {
    let n: Vec<String> = fingerprints
        .iter()
        .filter_map(|fp| a.stats.statements.iter().find(|st| &st.fingerprint == fp))
        .map(|st| {
            format!(
                "{} ({} calls, {})",
                st.normalized
                    .chars()
                    .take(STATEMENT_CHARS)
                    .collect::<String>(),
                count(st.calls),
                duration_ms(st.total_ms)
            )
        })
        .collect();
    if n.is_empty() {
        "-".into()
    } else {
        n.join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_reading_a_table_are_cut_and_unknown_ones_skipped() {
        let mut a = Audit::default();
        a.stats.statements.push(Default::default());
        let st = &mut a.stats.statements[0];
        st.fingerprint = "f1".into();
        st.normalized = "x".repeat(200);
        st.calls = 1000;
        let text = statements_reading(&a, &["zz".into(), "f1".into()]);
        assert!(text.starts_with(&format!("{} (1,000 calls, ", "x".repeat(STATEMENT_CHARS))));
        assert!(!text.contains('\n'));
        assert_eq!(statements_reading(&a, &["zz".into()]), "-");
        assert_eq!(statements_reading(&a, &[]), "-");
    }
}
