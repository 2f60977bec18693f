//! Redundant indexes: a btree whose keys are a left prefix of another's.

use super::*;

/// The findings of this kind.
pub(super) fn rule(input: &RuleInput) -> Vec<Finding> {
    let a = input.audit;
    let ix = &a.stats.indexes;
    let mut out = Vec::new();
    for u in &ix.redundant {
        let mut f = Finding::new(
            Kind::RedundantIndex,
            Severity::Low,
            format!("Redundant index {} (a prefix of {})", u.index, u.covered_by),
        );
        f.time_basis = NO_TIME_INDEX.to_string();
        f.database = u.database.clone();
        f.table = Some(u.table.clone());
        f.columns = Some(u.columns.clone());
        f.index = Some(u.index.clone());
        f.target = format!("{} fewer index to maintain on {}", 1, u.table);
        f.change = u.drop.clone();
        f.rollback = u.rollback.clone();
        f.verify = format!(
            "Its scans move to {}; p95 of the queries on {} does not grow",
            u.covered_by, u.table
        );
        out.push(f.ev(format!("{} in the index findings", u.index), "#indexes"));
    }
    out
}
