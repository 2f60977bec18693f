//! Index explosion: a table with removable indexes, or with `MANY_INDEXES` or
//! more, whose writes pay for every one. Medium with two removable or more.

use super::*;

/// The findings of this kind.
pub(super) fn rule(input: &RuleInput) -> Vec<Finding> {
    let ix = &input.audit.stats.indexes;
    let mut out = Vec::new();
    for w in ix
        .write_overhead
        .iter()
        .filter(|w| !w.removable.is_empty() || w.indexes >= crate::analyze::stats::MANY_INDEXES)
    {
        let mut f = Finding::new(
            Kind::IndexExplosion,
            if w.removable.len() >= 2 {
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
