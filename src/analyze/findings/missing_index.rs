//! Missing indexes: every index recommendation (query text corroborated by
//! sequential scans, see `index_advice`), with its DDL and rollback. High when
//! the queries it serves took a second or more.

use super::*;

/// The findings of this kind.
pub(super) fn rule(input: &RuleInput) -> Vec<Finding> {
    let a = input.audit;
    let mut out = Vec::new();
    for r in &a.index_recommendations {
        let mut f = Finding::new(
            Kind::MissingIndex,
            if r.served_ms >= 1000.0 {
                Severity::High
            } else {
                Severity::Medium
            },
            format!("Missing index on {} ({})", r.table, r.columns.join(", ")),
        );
        f.time_at_stake_ms = Some(r.served_ms);
        f.time_basis = format!("time of the {} queries it serves", r.queries.len());
        f.table = Some(r.table.clone());
        f.columns = Some(r.columns.clone());
        f.index = Some(r.index.clone());
        f.database = r.database.clone();
        f.fingerprint = r.queries.first().cloned();
        f.target = r.target.clone();
        f.change = r.create.clone();
        f.rollback = r.rollback.clone();
        f.verify = r.verify.join(" ");
        f = f.ev(format!("recommendation for {}", r.table), "#advice");
        if r.evidence.iter().any(|e| e == "seq_scan_stats") {
            f = f.ev("sequential scans in pg_stat_user_tables".into(), "#tables");
        }
        out.push(f);
    }
    out
}
