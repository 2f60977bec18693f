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

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn each_listed_index_is_a_finding_with_its_drop_and_rollback() {
        let mut a = Audit::default();
        assert!(run(rule, &a).is_empty());
        a.stats.indexes.fk_without_index = vec![crate::analyze::stats::FkWithoutIndex {
            table: "public.items".into(),
            constraint: "items_order_fk".into(),
            columns: vec!["order_id".into()],
            create: "DROP_OR_CREATE".into(),
            rollback: "ROLLBACK".into(),
            ..Default::default()
        }];
        let f = run(rule, &a);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].kind, Kind::FkWithoutIndex);
        assert_eq!(
            f[0].title,
            "Foreign key items_order_fk on public.items (order_id) has no index"
        );
        assert_eq!(f[0].columns, Some(vec!["order_id".to_string()]));
        assert_eq!(f[0].change, "DROP_OR_CREATE");
        assert_eq!(f[0].rollback, "ROLLBACK");
        assert_eq!(f[0].time_at_stake_ms, None);
        assert!(f[0].time_basis.starts_with("not measurable"));
        assert_eq!(f[0].evidence[0].link, "#indexes");
    }
}
