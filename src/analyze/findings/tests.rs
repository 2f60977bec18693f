//! The ranking of all findings, and the rules table.

use super::test_support::*;
use super::*;

#[test]
fn findings_rank_by_time_at_stake_then_severity_unmeasurable_last() {
    let mut a = with_queries(vec![
        query("small", 0.3, 10, 10.0, 150.0),
        query("big", 0.6, 10, 100.0, 150.0),
    ]);
    a.stats.indexes.invalid = vec![crate::analyze::stats::InvalidIndex {
        index: "public.broken".into(),
        ..Default::default()
    }];
    a.activity.deadlocks.count = 1;
    let f = findings(&a, &[]);
    let order: Vec<(Kind, Option<f64>)> = f.iter().map(|f| (f.kind, f.time_at_stake_ms)).collect();
    assert_eq!(
        order,
        [
            (Kind::SlowQuery, Some(1000.0)),
            (Kind::SlowQuery, Some(100.0)),
            // a deadlock with no wait time: 0 ms, high
            (Kind::LockContention, Some(0.0)),
            (Kind::InvalidIndex, None),
        ]
    );
}

#[test]
fn every_kind_has_a_rule_and_rules_find_only_their_kind() {
    for kind in Kind::ALL {
        assert!(
            RULES.iter().any(|(k, _)| *k == kind),
            "{kind:?} has no rule"
        );
    }
    let mut a = with_queries(vec![query("q", 0.5, 200, 50.0, 300.0)]);
    a.activity.deadlocks.count = 1;
    a.activity.checkpoints.too_frequent = 2;
    for (kind, rule) in RULES {
        for f in run(*rule, &a) {
            assert_eq!(f.kind, *kind);
        }
    }
}
