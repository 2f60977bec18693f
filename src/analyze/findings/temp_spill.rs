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
                bytes(t.total_bytes),
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

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::analyze::activity::{StatementView, TempByQuery};

    fn spill(fp: &str, total_bytes: u64) -> TempByQuery {
        TempByQuery {
            statement: StatementView {
                fingerprint: fp.into(),
                normalized: "select * from t order by a".into(),
                text: String::new(),
            },
            count: 4,
            total_bytes,
            max_bytes: total_bytes / 4,
        }
    }

    #[test]
    fn the_three_biggest_spills_high_from_a_gib() {
        let mut a = with_queries(vec![query("q1", 0.1, 10, 30.0, 40.0)]);
        assert!(run(rule, &a).is_empty());
        a.activity.temp_files.by_query = vec![
            spill("q1", 1 << 30),
            spill("q2", (1 << 30) - 1),
            spill("q3", 10),
            spill("q4", 10),
        ];
        let f = run(rule, &a);
        assert_eq!(
            severities(&f),
            [Severity::High, Severity::Low, Severity::Low]
        );
        // the query's time when the log timed it, else not measurable
        assert_eq!(f[0].time_at_stake_ms, Some(300.0));
        assert_eq!(f[1].time_at_stake_ms, None);
        assert!(f[1].time_basis.starts_with("not measurable"));
        assert_eq!(f[0].target, "temporary files 4 -> 0 for this query");
    }
}
