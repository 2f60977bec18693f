//! "Slowest individual statements": each with where it was logged and a link
//! to its query when that query is listed.

use crate::analyze::Audit;
use crate::report::rows::SampleRow;
use askama::Template;
use std::collections::HashSet;

#[derive(Debug, Default, Template)]
#[template(path = "sections/slowest.html")]
pub struct SlowestSection {
    pub slowest: Vec<SampleRow>,
}

pub fn build(a: &Audit, top: usize) -> SlowestSection {
    let listed: HashSet<&str> = a
        .queries
        .iter()
        .take(top)
        .map(|q| q.fingerprint.as_str())
        .collect();
    SlowestSection {
        slowest: a
            .slowest
            .iter()
            .take(top)
            .map(|s| SampleRow {
                linked: listed.contains(s.fingerprint.as_str()),
                ..SampleRow::new(s)
            })
            .collect(),
    }
}
