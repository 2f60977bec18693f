//! Foreign keys whose columns start no index: every delete or key update of the
//! referenced table scans this one.

use super::*;

/// The findings of this kind.
pub(super) fn rule(input: &RuleInput) -> Vec<Finding> {
    let a = input.audit;
    let ix = &a.stats.indexes;
    let mut out = Vec::new();
    for u in &ix.fk_without_index {
        let mut f = Finding::new(
            Kind::FkWithoutIndex,
            Severity::Low,
            format!(
                "Foreign key {} on {} ({}) has no index",
                u.constraint,
                u.table,
                u.columns.join(", ")
            ),
        );
        f.time_basis = "not measurable from these inputs: it costs a scan of this table on every delete or key update of the referenced table".into();
        f.database = u.database.clone();
        f.table = Some(u.table.clone());
        f.columns = Some(u.columns.clone());
        f.target = "deletes on the referenced table look rows up by index".into();
        f.change = u.create.clone();
        f.rollback = u.rollback.clone();
        f.verify = "EXPLAIN (ANALYZE) of a DELETE on the referenced table: the foreign-key trigger time drops".into();
        out.push(f.ev(
            format!("{} in the index findings", u.constraint),
            "#indexes",
        ));
    }
    out
}
