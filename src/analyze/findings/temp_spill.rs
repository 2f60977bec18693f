//! Temporary files: the three statements that spilled the most to disk.

use super::*;

/// The findings of this kind.
pub(super) fn rule(input: &RuleInput) -> Vec<Finding> {
    let a = input.audit;
    let mut out = Vec::new();
    for t in a.activity.temp_files.by_query.iter().take(3) {
        let q = a
            .queries
            .iter()
            .find(|q| q.fingerprint == t.statement.fingerprint);
        let mut f = Finding::new(
            Kind::TempSpill,
            if t.total_bytes >= 1 << 30 {
                Severity::High
            } else {
                Severity::Low
            },
            format!(
                "Query writes {} to temporary files ({} files)",
                bytes_text(t.total_bytes),
                t.count
            ),
        );
        f.time_at_stake_ms = q.map(|q| q.total_ms);
        f.time_basis = match q {
            Some(q) => format!("log: total time of the query ({} executions)", q.count),
            None => "not measurable: the statement has no timed executions in the log".into(),
        };
        f.fingerprint = Some(t.statement.fingerprint.clone());
        f.normalized = Some(t.statement.normalized.clone());
        let mb = (t.max_bytes as f64 / 1_048_576.0).ceil().max(1.0) * 2.0;
        f.target = format!("temporary files {} -> 0 for this query", t.count);
        f.change = format!(
            "Give this query more memory where it runs (SET LOCAL work_mem = '{mb:.0}MB' in its transaction), or an index that delivers rows in the sorted order"
        );
        f.rollback = "Remove the SET LOCAL (or RESET work_mem)".into();
        f.verify = "log_temp_files = 0 logs no temporary file for it; its p95 drops".into();
        out.push(f.ev("temporary files by query".into(), "#tempfiles"));
    }
    out
}
