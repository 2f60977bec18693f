//! Invalid indexes: left INVALID by a failed `CREATE INDEX CONCURRENTLY`,
//! written on every change and never read.

use super::*;

/// The findings of this kind.
pub(super) fn rule(input: &RuleInput) -> Vec<Finding> {
    let a = input.audit;
    let ix = &a.stats.indexes;
    let mut out = Vec::new();
    for u in &ix.invalid {
        let mut f = Finding::new(
            Kind::InvalidIndex,
            Severity::Medium,
            format!("Invalid index {}", u.index),
        );
        f.time_basis = NO_TIME_INDEX.to_string();
        f.database = u.database.clone();
        f.table = Some(u.table.clone());
        f.index = Some(u.index.clone());
        f.target = "no INVALID index (written, never read)".into();
        f.change = u.drop.clone();
        f.rollback = u.rollback.clone();
        f.verify =
            "SELECT indexrelid::regclass FROM pg_index WHERE NOT indisvalid returns nothing".into();
        out.push(f.ev(format!("{} in the index findings", u.index), "#indexes"));
    }
    out
}
