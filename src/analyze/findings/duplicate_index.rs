//! Duplicate indexes: an index with the same table, method, keys, INCLUDE and
//! predicate as another (the one kept is decided by `stats::indexes`).

use super::*;

/// The findings of this kind.
pub(super) fn rule(input: &RuleInput) -> Vec<Finding> {
    let a = input.audit;
    let ix = &a.stats.indexes;
    let mut out = Vec::new();
    for u in &ix.duplicates {
        let mut f = Finding::index_drop(
            Kind::DuplicateIndex,
            Severity::Medium,
            format!("Duplicate index {} (same as {})", u.index, u.duplicate_of),
            IndexDrop {
                database: &u.database,
                index: &u.index,
                table: &u.table,
                columns: Some(&u.columns),
                drop: &u.drop,
                rollback: &u.rollback,
            },
        );
        f.target = format!("one index on ({}) instead of two", u.columns.join(", "));
        f.verify = format!(
            "Queries that used {} now use {} (pg_stat_user_indexes.idx_scan grows there)",
            u.index, u.duplicate_of
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
        a.stats.indexes.duplicates = vec![crate::analyze::stats::DuplicateIndex {
            index: "public.t_a_dup".into(),
            duplicate_of: "public.t_a".into(),
            table: "public.t".into(),
            columns: vec!["a".into()],
            drop: "DROP_OR_CREATE".into(),
            rollback: "ROLLBACK".into(),
            ..Default::default()
        }];
        let f = run(rule, &a);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].kind, Kind::DuplicateIndex);
        assert_eq!(
            f[0].title,
            "Duplicate index public.t_a_dup (same as public.t_a)"
        );
        assert_eq!(f[0].severity, Severity::Medium);
        assert_eq!(f[0].target, "one index on (a) instead of two");
        assert_eq!(f[0].change, "DROP_OR_CREATE");
        assert_eq!(f[0].rollback, "ROLLBACK");
        assert_eq!(f[0].time_at_stake_ms, None);
        assert!(f[0].time_basis.starts_with("not measurable"));
        assert_eq!(f[0].evidence[0].link, "#indexes");
    }
}
