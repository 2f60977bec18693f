//! "Optimization checklist": each item's status, its evidence (linked to the
//! section that shows it) and what to collect when the data is missing.

use crate::analyze::Audit;
use crate::report::anchors::Anchors;
use askama::Template;

#[derive(Debug, Clone, Default)]
pub struct CheckRow {
    pub item: String,
    /// The status as serialized (`ok`, `problem`, ...): a CSS class.
    pub status: String,
    pub label: &'static str,
    pub evidence: String,
    pub link: String,
    pub needs: String,
}

#[derive(Debug, Default, Template)]
#[template(path = "sections/checklist.html")]
pub struct ChecklistSection {
    pub checklist: Vec<CheckRow>,
}

pub fn build(a: &Audit, top: usize) -> ChecklistSection {
    let anchors = Anchors::new(a, top);
    ChecklistSection {
        checklist: a
            .checklist
            .iter()
            .map(|c| CheckRow {
                item: c.item.clone(),
                label: c.status.label(),
                status: c.status.as_str().to_string(),
                evidence: c.evidence.clone(),
                link: anchors.fix(&c.link),
                needs: c.needs.clone().unwrap_or_default(),
            })
            .collect(),
    }
}
