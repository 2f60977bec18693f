//! "Findings, by time at stake": every finding with its evidence (linked to the
//! anchors the page has), target, change, rollback and how to verify it.

use crate::analyze::Audit;
use crate::analyze::findings::Finding;
use crate::report::anchors::Anchors;
use crate::units::duration_ms;
use askama::Template;

/// One piece of evidence and where on the page it is shown.
#[derive(Debug, Clone, Default)]
pub struct EvidenceLink {
    pub text: String,
    pub href: String,
}

#[derive(Debug, Clone, Default)]
pub struct FindingRow {
    pub rank: usize,
    /// The kind, words separated by spaces.
    pub kind: String,
    pub severity: String,
    pub title: String,
    pub time: String,
    pub time_ms: f64,
    pub time_basis: String,
    pub target: String,
    pub change: String,
    pub rollback: String,
    pub verify: String,
    /// The index and table, the table, or the start of the query concerned.
    pub subject: String,
    pub evidence: Vec<EvidenceLink>,
}

#[derive(Debug, Default, Template)]
#[template(path = "sections/findings.html")]
pub struct FindingsSection {
    pub findings: Vec<FindingRow>,
}

pub fn build(a: &Audit, top: usize) -> FindingsSection {
    FindingsSection {
        findings: rows(a, top),
    }
}

/// Every finding, ranked from 1 in the audit's order.
pub fn rows(a: &Audit, top: usize) -> Vec<FindingRow> {
    let anchors = Anchors::new(a, top);
    a.findings
        .iter()
        .enumerate()
        .map(|(i, f)| finding_row(i + 1, f, &anchors))
        .collect()
}

fn finding_row(rank: usize, f: &Finding, anchors: &Anchors) -> FindingRow {
    FindingRow {
        rank,
        kind: f.kind.as_str().replace('_', " "),
        severity: f.severity.as_str().to_string(),
        title: f.title.clone(),
        time: f
            .time_at_stake_ms
            .map_or_else(|| "not measurable".into(), duration_ms),
        time_ms: f.time_at_stake_ms.unwrap_or(-1.0),
        time_basis: f.time_basis.clone(),
        target: f.target.clone(),
        change: f.change.clone(),
        rollback: f.rollback.clone(),
        verify: f.verify.clone(),
        subject: match (&f.normalized, &f.table, &f.index) {
            (_, Some(t), Some(i)) => format!("{i} on {t}"),
            (_, Some(t), None) => t.clone(),
            (Some(n), _, _) => n.chars().take(300).collect(),
            _ => String::new(),
        },
        evidence: f
            .evidence
            .iter()
            .map(|e| EvidenceLink {
                text: e.text.clone(),
                href: anchors.fix(&e.link),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A finding with no time at stake and no subject.
    fn finding() -> Finding {
        serde_json::from_value(serde_json::json!({
            "kind": "slow_query", "severity": "high", "title": "t",
            "time_at_stake_ms": null, "time_basis": "", "target": "", "change": "",
            "rollback": "", "verify": "", "fingerprint": null, "normalized": null,
            "database": null, "table": null, "columns": null, "index": null,
            "evidence": [{"text": "in the log", "link": "#q-ab"}, {"text": "cache", "link": "#cache"}]
        }))
        .expect("a finding")
    }

    #[test]
    fn the_subject_names_the_index_and_table_else_the_query() {
        let anchors = Anchors::default();
        let mut f = finding();
        assert_eq!(finding_row(1, &f, &anchors).subject, "");
        f.normalized = Some("select 1".into());
        assert_eq!(finding_row(1, &f, &anchors).subject, "select 1");
        f.table = Some("t".into());
        assert_eq!(finding_row(1, &f, &anchors).subject, "t");
        f.index = Some("i".into());
        assert_eq!(finding_row(1, &f, &anchors).subject, "i on t");
    }

    #[test]
    fn unmeasurable_time_sorts_last_and_evidence_links_are_fixed() {
        let r = finding_row(2, &finding(), &Anchors::default());
        assert_eq!((r.time.as_str(), r.time_ms), ("not measurable", -1.0));
        assert_eq!((r.kind.as_str(), r.rank), ("slow query", 2));
        assert_eq!(r.evidence[0].href, "#queries");
        assert_eq!(r.evidence[1].href, "#snapshot");
    }
}
