//! Invalid indexes: left INVALID by a failed `CREATE INDEX CONCURRENTLY`,
//! written on every change and never read.

use super::*;

/// The findings of this kind.
pub(super) fn rule(input: &RuleInput) -> Vec<Finding> {
    let a = input.audit;
    let ix = &a.stats.indexes;
    let mut out = Vec::new();
    for u in &ix.invalid {
        let mut f = Finding::index_drop(
            Kind::InvalidIndex,
            Severity::Medium,
            format!("Invalid index {}", u.index),
            IndexDrop {
                database: &u.database,
                index: &u.index,
                table: &u.table,
                columns: None,
                drop: &u.drop,
                rollback: &u.rollback,
            },
        );
        f.target = "no INVALID index (written, never read)".into();
        f.verify =
            "SELECT indexrelid::regclass FROM pg_index WHERE NOT indisvalid returns nothing".into();
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
        a.stats.indexes.invalid = vec![crate::analyze::stats::InvalidIndex {
            index: "public.t_broken".into(),
            table: "public.t".into(),
            drop: "DROP_OR_CREATE".into(),
            rollback: "ROLLBACK".into(),
            ..Default::default()
        }];
        let f = run(rule, &a);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].kind, Kind::InvalidIndex);
        assert_eq!(f[0].title, "Invalid index public.t_broken");
        assert_eq!(f[0].change, "DROP_OR_CREATE");
        assert_eq!(f[0].rollback, "ROLLBACK");
        assert_eq!(f[0].time_at_stake_ms, None);
        assert!(f[0].time_basis.starts_with("not measurable"));
        assert_eq!(f[0].evidence[0].link, "#indexes");
    }
}
