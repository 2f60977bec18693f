//! "In short": the report's opening sentences and the five findings with the
//! most time at stake, each with its first step.

use super::findings::{self, FindingRow};
use crate::analyze::Audit;
use askama::Template;

#[derive(Debug, Default, Template)]
#[template(path = "sections/overview.html")]
pub struct OverviewSection {
    pub sentences: Vec<String>,
    /// The first five findings, their change cut to 160 characters.
    pub top: Vec<FindingRow>,
}

pub fn build(a: &Audit, top: usize) -> OverviewSection {
    OverviewSection {
        sentences: a.first_screen.sentences.clone(),
        top: findings::rows(a, top)
            .into_iter()
            .take(5)
            .map(|f| FindingRow {
                change: crate::units::short(&f.change, 160),
                ..f
            })
            .collect(),
    }
}
