//! "Execution plans (auto_explain)": the slowest plan of each query, with the
//! red flags found in it.

use crate::analyze::Audit;
use crate::units::duration_ms;
use askama::Template;

#[derive(Debug, Clone, Default)]
pub struct PlanRow {
    pub fingerprint: String,
    pub normalized: String,
    pub duration: String,
    pub ts: String,
    pub count: u64,
    pub flags: Vec<String>,
    pub text: String,
}

#[derive(Debug, Default, Template)]
#[template(path = "sections/plans.html")]
pub struct PlansSection {
    pub plans: Vec<PlanRow>,
}

pub fn build(audit: &Audit, top: usize) -> PlansSection {
    PlansSection {
        plans: audit
            .activity
            .plans
            .iter()
            .take(top)
            .map(|p| PlanRow {
                fingerprint: p.fingerprint.clone(),
                normalized: p.normalized.clone(),
                duration: duration_ms(p.duration_ms),
                ts: p.ts.clone().unwrap_or_else(|| "-".into()),
                count: p.count,
                flags: p.flags.clone(),
                text: p.text.clone(),
            })
            .collect(),
    }
}
