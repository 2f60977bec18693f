//! Unused indexes: never scanned in the statistics window, and no constraint or
//! foreign key needs them.

use super::*;

/// The findings of this kind.
pub(super) fn rule(input: &RuleInput) -> Vec<Finding> {
    let a = input.audit;
    let ix = &a.stats.indexes;
    let mut out = Vec::new();
    for u in &ix.unused {
        let mut f = Finding::new(
            Kind::UnusedIndex,
            Severity::Low,
            format!(
                "Unused index {} ({} scans in the window)",
                u.index, u.idx_scan
            ),
        );
        f.time_basis = NO_TIME_INDEX.to_string();
        f.database = u.database.clone();
        f.table = Some(u.table.clone());
        f.columns = Some(u.columns.clone());
        f.index = Some(u.index.clone());
        f.target = format!(
            "{} less to write on every change of {}",
            u.bytes.map_or_else(
                || "an index".into(),
                |b| format!("{} of index", bytes_text(b))
            ),
            u.table
        );
        f.change = u.drop.clone();
        f.rollback = u.rollback.clone();
        f.verify = format!(
            "{} Before dropping: idx_scan still 0 over a longer window and on every replica.",
            u.caveat
        );
        out.push(f.ev(format!("{} in the index findings", u.index), "#indexes"));
    }
    out
}
