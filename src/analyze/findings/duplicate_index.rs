//! Duplicate indexes: an index with the same table, method, keys, INCLUDE and
//! predicate as another (the one kept is decided by `stats::indexes`).

use super::*;

/// The findings of this kind.
pub(super) fn rule(input: &RuleInput) -> Vec<Finding> {
    let a = input.audit;
    let ix = &a.stats.indexes;
    let mut out = Vec::new();
    for u in &ix.duplicates {
        let mut f = Finding::new(
            Kind::DuplicateIndex,
            Severity::Medium,
            format!("Duplicate index {} (same as {})", u.index, u.duplicate_of),
        );
        f.time_basis = NO_TIME_INDEX.to_string();
        f.database = u.database.clone();
        f.table = Some(u.table.clone());
        f.columns = Some(u.columns.clone());
        f.index = Some(u.index.clone());
        f.target = format!("one index on ({}) instead of two", u.columns.join(", "));
        f.change = u.drop.clone();
        f.rollback = u.rollback.clone();
        f.verify = format!(
            "Queries that used {} now use {} (pg_stat_user_indexes.idx_scan grows there)",
            u.index, u.duplicate_of
        );
        out.push(f.ev(format!("{} in the index findings", u.index), "#indexes"));
    }
    out
}
