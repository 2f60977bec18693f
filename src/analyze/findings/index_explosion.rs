//! Index explosion: a write-heavy table ([`WRITE_HEAVY`] rows written or more
//! in the window) with `MANY_INDEXES` indexes or more (pgCluu: more than 5),
//! whose writes pay for every one. Medium when some of them serve no reads
//! (the unused/duplicate/redundant findings name each; a table with a few
//! indexes, one unused, is those findings' business, not an explosion).

use super::*;

/// Rows inserted, updated or deleted in the window that make a table
/// write-heavy.
pub(super) const WRITE_HEAVY: u64 = 1_000;

/// The findings of this kind.
pub(super) fn rule(input: &RuleInput) -> Vec<Finding> {
    let ix = &input.audit.stats.indexes;
    let mut out = Vec::new();
    for w in ix
        .write_overhead
        .iter()
        .filter(|w| w.indexes >= crate::analyze::stats::MANY_INDEXES && w.writes >= WRITE_HEAVY)
    {
        let mut f = Finding::new(
            Kind::IndexExplosion,
            if !w.removable.is_empty() {
                Severity::Medium
            } else {
                Severity::Low
            },
            format!(
                "{} indexes on {}, written {} times in the window{}",
                w.indexes,
                w.table,
                w.writes,
                if w.removable.is_empty() {
                    String::new()
                } else {
                    format!("; {} serve no reads", w.removable.len())
                }
            ),
        );
        f.time_basis = NO_TIME_INDEX.to_string();
        f.database = w.database.clone();
        f.table = Some(w.table.clone());
        f.target = format!(
            "{} -> {} indexes on {}",
            w.indexes,
            w.indexes - w.removable.len(),
            w.table
        );
        f.change = if w.removable.is_empty() {
            "Review which indexes the queries use (pg_stat_user_indexes) before adding more".into()
        } else {
            format!(
                "Drop the indexes reported above: {}",
                w.removable.join(", ")
            )
        };
        f.rollback = "Each drop's rollback rebuilds it (see the index findings)".into();
        f.verify = "Write latency (INSERT/UPDATE p95 in the log) and WAL volume drop; HOT update share rises".into();
        out.push(f.ev(format!("write overhead of {}", w.table), "#indexes"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::analyze::stats::{MANY_INDEXES, WriteOverhead};

    fn table(indexes: usize, removable: &[&str]) -> WriteOverhead {
        WriteOverhead {
            table: "public.t".into(),
            indexes,
            removable: removable.iter().map(|r| r.to_string()).collect(),
            writes: 5000,
            ..Default::default()
        }
    }

    fn found(w: WriteOverhead) -> Vec<Finding> {
        let mut a = Audit::default();
        a.stats.indexes.write_overhead = vec![w];
        run(rule, &a)
    }

    #[test]
    fn many_indexes_on_a_write_heavy_table() {
        assert!(found(table(MANY_INDEXES - 1, &["public.t_x"])).is_empty());
        let many = found(table(MANY_INDEXES, &[]));
        assert_eq!(severities(&many), [Severity::Low]);
        assert_eq!(many[0].target, "6 -> 6 indexes on public.t");
        assert!(many[0].change.starts_with("Review which indexes"));
        // a table of 3-4 indexes with unused ones: the index findings say it
        assert!(found(table(3, &["public.t_x", "public.t_y"])).is_empty());
        let removable = found(table(7, &["public.t_x", "public.t_y"]));
        assert_eq!(severities(&removable), [Severity::Medium]);
        assert_eq!(removable[0].target, "7 -> 5 indexes on public.t");
        assert!(removable[0].title.ends_with("; 2 serve no reads"));
        assert_eq!(
            removable[0].change,
            "Drop the indexes reported above: public.t_x, public.t_y"
        );
        // hardly written: the indexes cost little
        let quiet = WriteOverhead {
            writes: WRITE_HEAVY - 1,
            ..table(MANY_INDEXES, &["public.t_x"])
        };
        assert!(found(quiet).is_empty());
    }
}
