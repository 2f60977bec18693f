//! Checklist item 6: unused and duplicate indexes (index explosion).

use super::{Inputs, item};
use crate::analyze::findings::{CheckItem, Status};

const NAME: &str = "Unused and duplicate indexes (index explosion)";

/// Whether indexes cost writes and space for nothing: fail with a duplicate,
/// redundant or invalid index, attention with indexes unused in the window
/// (the window and replicas decide before a drop), pass when index
/// definitions and usage were both exported and nothing was flagged, not
/// enough data otherwise.
pub(super) fn check(inputs: &Inputs) -> CheckItem {
    let ix = &inputs.audit.stats.indexes;
    if !ix.duplicates.is_empty() || !ix.redundant.is_empty() || !ix.invalid.is_empty() {
        item(
            NAME,
            Status::Fail,
            format!(
                "{} duplicate, {} redundant, {} invalid, {} unused",
                ix.duplicates.len(),
                ix.redundant.len(),
                ix.invalid.len(),
                ix.unused.len()
            ),
            "#indexes",
            None,
        )
    } else if !ix.unused.is_empty() {
        item(
            NAME,
            Status::Attention,
            format!(
                "{} not scanned in the window (check the window and replicas before dropping)",
                crate::units::plural(ix.unused.len() as u64, "index", "indexes")
            ),
            "#indexes",
            None,
        )
    } else if ix.count > 0 && inputs.exported("pg_stat_user_indexes") {
        item(
            NAME,
            Status::Pass,
            format!(
                "{} indexes checked: none unused, duplicate or redundant",
                ix.count
            ),
            "#indexes",
            None,
        )
    } else {
        item(
            NAME,
            Status::NotEnoughData,
            "index definitions and usage not both exported".into(),
            "#indexes",
            Some("export pg_stat_user_indexes and index definitions (pgsift export-script)"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{export, judge, judge_with};
    use super::*;
    use crate::analyze::Audit;
    use crate::analyze::stats::{DuplicateIndex, InvalidIndex, RedundantIndex, UnusedIndex};

    fn defined(count: usize) -> Audit {
        let mut a = Audit::default();
        a.stats.indexes.count = count;
        a
    }

    #[test]
    fn a_duplicate_redundant_or_invalid_index_fails() {
        let mut dup = defined(4);
        dup.stats.indexes.duplicates.push(DuplicateIndex::default());
        dup.stats.indexes.unused.push(UnusedIndex::default());
        let c = judge(check, &dup);
        assert_eq!(c.status, Status::Fail);
        assert_eq!(c.evidence, "1 duplicate, 0 redundant, 0 invalid, 1 unused");
        let mut red = defined(4);
        red.stats.indexes.redundant.push(RedundantIndex::default());
        assert_eq!(judge(check, &red).status, Status::Fail);
        let mut inv = defined(4);
        inv.stats.indexes.invalid.push(InvalidIndex::default());
        assert_eq!(judge(check, &inv).status, Status::Fail);
    }

    #[test]
    fn unused_indexes_are_attention() {
        let mut a = defined(4);
        a.stats.indexes.unused.push(UnusedIndex::default());
        let c = judge(check, &a);
        assert_eq!(c.status, Status::Attention);
        assert!(c.evidence.starts_with("1 index not scanned"));
    }

    #[test]
    fn definitions_and_usage_with_nothing_flagged_pass() {
        let usage = [export(&["pg_stat_user_indexes"], &[])];
        let c = judge_with(check, &defined(7), &[], &usage);
        assert_eq!(c.status, Status::Pass);
        assert_eq!(
            c.evidence,
            "7 indexes checked: none unused, duplicate or redundant"
        );
    }

    #[test]
    fn definitions_or_usage_alone_are_not_enough_data() {
        assert_eq!(judge(check, &defined(7)).status, Status::NotEnoughData);
        let usage = [export(&["pg_stat_user_indexes"], &[])];
        let c = judge_with(check, &defined(0), &[], &usage);
        assert_eq!(c.status, Status::NotEnoughData);
    }
}
