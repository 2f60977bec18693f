//! "Monitoring and regression thresholds": values to alert on, from this run.

use crate::analyze::Audit;
use askama::Template;

#[derive(Debug, Clone, Default)]
pub struct ThresholdRow {
    pub metric: String,
    pub current: String,
    pub alert_when: String,
    pub source: String,
}

#[derive(Debug, Default, Template)]
#[template(path = "sections/thresholds.html")]
pub struct ThresholdsSection {
    pub thresholds: Vec<ThresholdRow>,
}

pub fn build(a: &Audit, _top: usize) -> ThresholdsSection {
    ThresholdsSection {
        thresholds: a
            .thresholds
            .iter()
            .map(|t| ThresholdRow {
                metric: t.metric.clone(),
                current: t.current.clone(),
                alert_when: t.alert_when.clone(),
                source: t.source.clone(),
            })
            .collect(),
    }
}
