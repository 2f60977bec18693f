//! Checklist item 5: missing indexes.

use super::{Inputs, item};
use crate::analyze::findings::{CheckItem, Kind, Status};

const NAME: &str = "Missing indexes";

/// Whether queries lack an index: fail when indexes are proposed (a
/// missing-index finding), attention when the query text asks for indexes on
/// tables nothing shows how they are read (candidates to confirm), attention
/// when large tables are read by sequential
/// scans with no query text to pin the column, pass when table statistics
/// show no such table, attention when only auto_explain plans could be
/// checked, not enough data with neither table statistics nor plans.
pub(super) fn check(inputs: &Inputs) -> CheckItem {
    let a = inputs.audit;
    let proposed = inputs.count(Kind::MissingIndex);
    if proposed > 0 {
        item(
            NAME,
            Status::Fail,
            format!(
                "{} to create, each with its CREATE/DROP INDEX CONCURRENTLY",
                crate::units::plural(proposed as u64, "index", "indexes")
            ),
            "#advice",
            None,
        )
    } else if !a.index_candidates.is_empty() {
        item(
            NAME,
            Status::Attention,
            format!(
                "{} to confirm: frequent or slow queries filter on columns of tables that neither statistics nor plans show how they are read",
                crate::units::plural(
                    a.index_candidates.len() as u64,
                    "candidate index",
                    "candidate indexes"
                )
            ),
            "#advice",
            Some(
                "the EXPLAIN (ANALYZE, BUFFERS) listed with each candidate, or pg_stat_user_tables and index definitions (pgsift export-script)",
            ),
        )
    } else if !a.stats.tables.seq_scan_heavy.is_empty() {
        item(
            NAME,
            Status::Attention,
            format!(
                "{} read by sequential scans, no query text pins the column",
                crate::units::plural(
                    a.stats.tables.seq_scan_heavy.len() as u64,
                    "large table",
                    "large tables"
                )
            ),
            "#tables",
            Some("the log of the statements reading those tables, or auto_explain plans"),
        )
    } else if inputs.exported("pg_stat_user_tables") {
        item(
            NAME,
            Status::Pass,
            "no large table read mostly by sequential scans".into(),
            "#tables",
            None,
        )
    } else if !a.activity.plans.is_empty() {
        item(
            NAME,
            Status::Attention,
            "no table statistics: only auto_explain plans were checked".into(),
            "#plans",
            Some("export pg_stat_user_tables (pgsift export-script)"),
        )
    } else {
        item(
            NAME,
            Status::NotEnoughData,
            "no table statistics and no plans".into(),
            "#tables",
            Some("export pg_stat_user_tables and index definitions (pgsift export-script)"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{export, finding, judge, judge_with};
    use super::*;
    use crate::analyze::Audit;
    use crate::analyze::activity::PlanView;
    use crate::analyze::stats::SeqScanTable;

    #[test]
    fn candidates_to_confirm_are_attention_not_silence() {
        let a = Audit {
            index_candidates: vec![crate::analyze::index_advice::IndexCandidate {
                table: "orders".into(),
                columns: vec!["customer_email".into()],
                ..Default::default()
            }],
            ..Default::default()
        };
        let c = judge(check, &a);
        assert_eq!(c.status, Status::Attention);
        assert!(c.evidence.starts_with("1 candidate index to confirm"));
        assert!(
            c.needs
                .unwrap()
                .starts_with("the EXPLAIN (ANALYZE, BUFFERS)")
        );
        // an index proposed with evidence still fails the item
        let findings = [finding(Kind::MissingIndex, "create index", "drop index")];
        assert_eq!(judge_with(check, &a, &findings, &[]).status, Status::Fail);
    }

    #[test]
    fn a_proposed_index_fails() {
        let findings = [
            finding(Kind::MissingIndex, "create index", "drop index"),
            finding(Kind::MissingIndex, "create index", "drop index"),
            finding(Kind::UnusedIndex, "drop index", "create index"),
        ];
        let tables = [export(&["pg_stat_user_tables"], &[])];
        let c = judge_with(check, &Audit::default(), &findings, &tables);
        assert_eq!(c.status, Status::Fail);
        assert!(
            c.evidence.starts_with("2 indexes to create"),
            "{}",
            c.evidence
        );
        assert_eq!(c.link, "#advice");
    }

    #[test]
    fn sequential_scans_without_a_column_are_attention() {
        let mut a = Audit::default();
        a.stats.tables.seq_scan_heavy.push(SeqScanTable::default());
        let tables = [export(&["pg_stat_user_tables"], &[])];
        let c = judge_with(check, &a, &[], &tables);
        assert_eq!(c.status, Status::Attention);
        assert_eq!(c.link, "#tables");
    }

    #[test]
    fn table_statistics_without_scan_heavy_tables_pass() {
        let tables = [export(&["pg_stat_user_tables"], &[])];
        let c = judge_with(check, &Audit::default(), &[], &tables);
        assert_eq!(c.status, Status::Pass);
    }

    #[test]
    fn other_views_do_not_count_as_table_statistics() {
        let views = [export(&["pg_stat_user_indexes"], &[])];
        let c = judge_with(check, &Audit::default(), &[], &views);
        assert_eq!(c.status, Status::NotEnoughData);
    }

    #[test]
    fn plans_alone_are_attention() {
        let mut a = Audit::default();
        a.activity.plans.push(PlanView::default());
        let c = judge(check, &a);
        assert_eq!(c.status, Status::Attention);
        assert_eq!(c.link, "#plans");
    }

    #[test]
    fn nothing_is_not_enough_data() {
        let c = judge(check, &Audit::default());
        assert_eq!(c.status, Status::NotEnoughData);
        assert_eq!(c.evidence, "no table statistics and no plans");
    }
}
