//! Unused indexes: never scanned in the statistics window, and no constraint or
//! foreign key needs them.

use super::*;

/// The findings of this kind.
pub(super) fn rule(input: &RuleInput) -> Vec<Finding> {
    let a = input.audit;
    let ix = &a.stats.indexes;
    let mut out = Vec::new();
    for u in &ix.unused {
        let mut f = Finding::index_drop(
            Kind::UnusedIndex,
            Severity::Low,
            format!(
                "Unused index {} ({} scans in the window)",
                u.index, u.idx_scan
            ),
            IndexDrop {
                database: &u.database,
                index: &u.index,
                table: &u.table,
                columns: Some(&u.columns),
                drop: &u.drop,
                rollback: &u.rollback,
            },
        );
        f.target = format!(
            "{} less to write on every change of {}",
            u.bytes
                .map_or_else(|| "an index".into(), |b| format!("{} of index", bytes(b))),
            u.table
        );
        f.verify = format!(
            "{} Before dropping: idx_scan still 0 over a longer window and on every replica.",
            u.caveat
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
        a.stats.indexes.unused = vec![crate::analyze::stats::UnusedIndex {
            index: "public.t_c".into(),
            table: "public.t".into(),
            columns: vec!["c".into()],
            bytes: Some(1536),
            drop: "DROP_OR_CREATE".into(),
            rollback: "ROLLBACK".into(),
            caveat: "Over a 2-day window.".into(),
            ..Default::default()
        }];
        let f = run(rule, &a);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].kind, Kind::UnusedIndex);
        assert_eq!(
            f[0].title,
            "Unused index public.t_c (0 scans in the window)"
        );
        assert_eq!(
            f[0].target,
            "1.5 KiB of index less to write on every change of public.t"
        );
        assert!(f[0].verify.starts_with("Over a 2-day window."));
        assert_eq!(f[0].change, "DROP_OR_CREATE");
        assert_eq!(f[0].rollback, "ROLLBACK");
        assert_eq!(f[0].time_at_stake_ms, None);
        assert!(f[0].time_basis.starts_with("not measurable"));
        assert_eq!(f[0].evidence[0].link, "#indexes");
    }
}
