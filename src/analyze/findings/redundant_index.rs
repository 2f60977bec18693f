//! Redundant indexes: a btree whose keys are a left prefix of another's.

use super::*;

/// The findings of this kind.
pub(super) fn rule(input: &RuleInput) -> Vec<Finding> {
    let a = input.audit;
    let ix = &a.stats.indexes;
    let mut out = Vec::new();
    for u in &ix.redundant {
        let mut f = Finding::index_drop(
            Kind::RedundantIndex,
            Severity::Low,
            format!("Redundant index {} (a prefix of {})", u.index, u.covered_by),
            IndexDrop {
                database: &u.database,
                index: &u.index,
                table: &u.table,
                columns: Some(&u.columns),
                drop: &u.drop,
                rollback: &u.rollback,
            },
        );
        f.target = format!("{} fewer index to maintain on {}", 1, u.table);
        f.verify = format!(
            "Its scans move to {}; p95 of the queries on {} does not grow",
            u.covered_by, u.table
        );
        out.push(f);
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
        a.stats.indexes.redundant = vec![crate::analyze::stats::RedundantIndex {
            index: "public.t_a".into(),
            covered_by: "public.t_a_b".into(),
            table: "public.t".into(),
            columns: vec!["a".into()],
            drop: "DROP_OR_CREATE".into(),
            rollback: "ROLLBACK".into(),
            ..Default::default()
        }];
        let f = run(rule, &a);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].kind, Kind::RedundantIndex);
        assert_eq!(
            f[0].title,
            "Redundant index public.t_a (a prefix of public.t_a_b)"
        );
        assert_eq!(f[0].severity, Severity::Low);
        assert_eq!(f[0].change, "DROP_OR_CREATE");
        assert_eq!(f[0].rollback, "ROLLBACK");
        assert_eq!(f[0].time_at_stake_ms, None);
        assert!(f[0].time_basis.starts_with("not measurable"));
        assert_eq!(f[0].evidence[0].link, "#indexes");
    }
}
