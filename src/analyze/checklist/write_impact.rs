//! Checklist item 10: write-performance impact of indexes.

use super::{Inputs, item};
use crate::analyze::findings::{CheckItem, Status};

const NAME: &str = "Write-performance impact of indexes";

/// Whether indexes slow the writes down: attention when tables under writes
/// carry many or removable indexes, pass when table statistics and index
/// definitions show none, not enough data without both. It never fails: the
/// cost is weighed, not measured.
pub(super) fn check(inputs: &Inputs) -> CheckItem {
    let ix = &inputs.audit.stats.indexes;
    if !ix.write_overhead.is_empty() {
        item(
            NAME,
            Status::Attention,
            format!(
                "{} many or removable indexes; every proposed index states its write cost",
                crate::units::plural(
                    ix.write_overhead.len() as u64,
                    "table writes",
                    "tables write"
                )
            ),
            "#indexes",
            None,
        )
    } else if inputs.exported("pg_stat_user_tables") && ix.count > 0 {
        item(
            NAME,
            Status::Pass,
            "no table with many or removable indexes under writes; every proposed index states its write cost".into(),
            "#indexes",
            None,
        )
    } else {
        item(
            NAME,
            Status::NotEnoughData,
            "write rates and index counts unknown".into(),
            "#indexes",
            Some("export pg_stat_user_tables and index definitions"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{export, judge, judge_with};
    use super::*;
    use crate::analyze::Audit;
    use crate::analyze::stats::WriteOverhead;

    fn indexes(count: usize) -> Audit {
        let mut a = Audit::default();
        a.stats.indexes.count = count;
        a
    }

    #[test]
    fn tables_writing_many_indexes_are_attention() {
        let mut a = indexes(12);
        a.stats
            .indexes
            .write_overhead
            .push(WriteOverhead::default());
        let c = judge(check, &a);
        assert_eq!(c.status, Status::Attention);
        assert!(c.evidence.starts_with("1 table writes many"));
    }

    #[test]
    fn table_statistics_and_definitions_pass() {
        let tables = [export(&["pg_stat_user_tables"], &[])];
        assert_eq!(
            judge_with(check, &indexes(1), &[], &tables).status,
            Status::Pass
        );
    }

    #[test]
    fn either_alone_is_not_enough_data() {
        let tables = [export(&["pg_stat_user_tables"], &[])];
        assert_eq!(
            judge_with(check, &indexes(0), &[], &tables).status,
            Status::NotEnoughData
        );
        let c = judge(check, &indexes(5));
        assert_eq!(c.status, Status::NotEnoughData);
        assert!(c.needs.is_some());
    }
}
