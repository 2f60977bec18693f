//! The audit proper: every problem the evidence shows as a finding (what, how much
//! time it costs, the change, its rollback, how to verify, a measurable target,
//! links to the evidence), ranked by time at stake. Each finding kind is a rule
//! in its own file, a function from the audit's evidence ([`RuleInput`]) to its
//! findings, listed in [`RULES`]. The checklist, thresholds and first screen
//! (in `checklist`) share the types declared here.

use super::Audit;
use super::index_advice::IndexRecommendation;
use super::stats::CACHE_HIT_TARGET;
use crate::stats::snapshot::DatabaseStats;
use crate::units::{bytes, duration_ms, percent};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

mod cache_hit;
mod checkpoint_pressure;
mod connections;
mod duplicate_index;
mod fk_without_index;
mod idle_in_transaction;
mod index_explosion;
mod invalid_index;
mod lock_contention;
mod missing_index;
mod n_plus_one;
mod over_fetching;
mod redundant_index;
mod slow_query;
mod temp_spill;
mod unused_index;

#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tests;

/// What a finding is about. Serialized (and shown) as its snake_case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    SlowQuery,
    NPlusOne,
    MissingIndex,
    UnusedIndex,
    DuplicateIndex,
    RedundantIndex,
    InvalidIndex,
    FkWithoutIndex,
    LockContention,
    TempSpill,
    CheckpointPressure,
    CacheHit,
    Connections,
    IdleInTransaction,
    IndexExplosion,
    OverFetching,
}

impl Kind {
    /// Every kind, in the order the rules run.
    pub const ALL: [Kind; 16] = [
        Kind::SlowQuery,
        Kind::NPlusOne,
        Kind::MissingIndex,
        Kind::UnusedIndex,
        Kind::DuplicateIndex,
        Kind::RedundantIndex,
        Kind::InvalidIndex,
        Kind::FkWithoutIndex,
        Kind::LockContention,
        Kind::TempSpill,
        Kind::CheckpointPressure,
        Kind::CacheHit,
        Kind::Connections,
        Kind::IdleInTransaction,
        Kind::IndexExplosion,
        Kind::OverFetching,
    ];

    /// The JSON name (`slow_query`).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::SlowQuery => "slow_query",
            Kind::NPlusOne => "n_plus_one",
            Kind::MissingIndex => "missing_index",
            Kind::UnusedIndex => "unused_index",
            Kind::DuplicateIndex => "duplicate_index",
            Kind::RedundantIndex => "redundant_index",
            Kind::InvalidIndex => "invalid_index",
            Kind::FkWithoutIndex => "fk_without_index",
            Kind::LockContention => "lock_contention",
            Kind::TempSpill => "temp_spill",
            Kind::CheckpointPressure => "checkpoint_pressure",
            Kind::CacheHit => "cache_hit",
            Kind::Connections => "connections",
            Kind::IdleInTransaction => "idle_in_transaction",
            Kind::IndexExplosion => "index_explosion",
            Kind::OverFetching => "over_fetching",
        }
    }
}

/// How urgent a finding is. Ordered most urgent first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    High,
    Medium,
    Low,
}

impl Severity {
    /// The JSON name, also the report's CSS class (`high`).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
        }
    }
}

/// A checklist item's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pass,
    Attention,
    Fail,
    /// The inputs cannot answer it; `needs` names the input that would.
    NotEnoughData,
}

impl Status {
    /// The JSON name, also the report's CSS class (`not_enough_data`).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Attention => "attention",
            Status::Fail => "fail",
            Status::NotEnoughData => "not_enough_data",
        }
    }

    /// How the report writes it (`not enough data`).
    pub fn label(self) -> &'static str {
        match self {
            Status::NotEnoughData => "not enough data",
            s => s.as_str(),
        }
    }
}

/// One link into the report, with what it shows.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Evidence {
    pub text: String,
    /// `#anchor` in the HTML report.
    pub link: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Finding {
    pub kind: Kind,
    pub severity: Severity,
    pub title: String,
    /// Time the statements involved took (ms); null when the inputs cannot
    /// measure it (see `time_basis`).
    pub time_at_stake_ms: Option<f64>,
    pub time_basis: String,
    pub target: String,
    pub change: String,
    pub rollback: String,
    pub verify: String,
    pub evidence: Vec<Evidence>,
    pub fingerprint: Option<String>,
    pub normalized: Option<String>,
    pub database: Option<String>,
    pub table: Option<String>,
    pub columns: Option<Vec<String>>,
    pub index: Option<String>,
}

impl Finding {
    fn new(kind: Kind, severity: Severity, title: String) -> Finding {
        Finding {
            kind,
            severity,
            title,
            time_at_stake_ms: None,
            time_basis: String::new(),
            target: String::new(),
            change: String::new(),
            rollback: String::new(),
            verify: String::new(),
            evidence: Vec::new(),
            fingerprint: None,
            normalized: None,
            database: None,
            table: None,
            columns: None,
            index: None,
        }
    }

    /// A finding that drops one index: its cost is not measurable from the
    /// inputs, the change is the drop and the rollback rebuilds it, and the
    /// evidence is the index's row among the index findings.
    fn index_drop(kind: Kind, severity: Severity, title: String, ix: IndexDrop) -> Finding {
        let mut f = Finding::new(kind, severity, title);
        f.time_basis = NO_TIME_INDEX.to_string();
        f.database = ix.database.clone();
        f.table = Some(ix.table.to_string());
        f.columns = ix.columns.map(<[String]>::to_vec);
        f.index = Some(ix.index.to_string());
        f.change = ix.drop.to_string();
        f.rollback = ix.rollback.to_string();
        f.ev(format!("{} in the index findings", ix.index), "#indexes")
    }

    fn ev(mut self, text: String, link: &str) -> Finding {
        self.evidence.push(Evidence {
            text,
            link: link.into(),
        });
        self
    }
}

/// One item of the optimization checklist.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckItem {
    pub item: String,
    pub status: Status,
    pub evidence: String,
    pub link: String,
    /// With `not_enough_data`: the input that would answer it.
    pub needs: Option<String>,
}

/// A value to alert on, from this run's figures.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Threshold {
    pub metric: String,
    pub current: String,
    pub alert_when: String,
    pub source: String,
}

/// The few sentences and rows that open the report.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct FirstScreen {
    pub sentences: Vec<String>,
}

/// The key with the highest count.
fn top_key(m: &std::collections::BTreeMap<String, u64>) -> Option<String> {
    m.iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map(|(k, _)| k.clone())
}

/// What every rule reads: the audit built so far (queries, statistics, activity,
/// N+1, index advice) and the statistics snapshots.
pub struct RuleInput<'a> {
    pub audit: &'a Audit,
    /// The statistics of each database over its window (for rules that read
    /// the snapshots themselves).
    pub dbs: &'a [DatabaseStats],
    /// The index recommendation serving each query, by fingerprint.
    pub recommended_for: BTreeMap<&'a str, &'a IndexRecommendation>,
}

impl<'a> RuleInput<'a> {
    pub fn new(audit: &'a Audit, dbs: &'a [DatabaseStats]) -> RuleInput<'a> {
        let recommended_for = audit
            .index_recommendations
            .iter()
            .flat_map(|r| r.queries.iter().map(move |q| (q.as_str(), r)))
            .collect();
        RuleInput {
            audit,
            dbs,
            recommended_for,
        }
    }
}

/// The index a finding drops, as the statistics report it.
struct IndexDrop<'a> {
    database: &'a Option<String>,
    index: &'a str,
    table: &'a str,
    columns: Option<&'a [String]>,
    drop: &'a str,
    rollback: &'a str,
}

/// A rule: the audit's evidence in, the findings of one kind out.
pub type Rule = fn(&RuleInput) -> Vec<Finding>;

/// Every rule, with the kind it finds, in the order their findings are listed
/// before ranking (ties in the ranking keep this order).
pub const RULES: &[(Kind, Rule)] = &[
    (Kind::SlowQuery, slow_query::from_log),
    (Kind::SlowQuery, slow_query::from_statements),
    (Kind::NPlusOne, n_plus_one::rule),
    (Kind::MissingIndex, missing_index::rule),
    (Kind::DuplicateIndex, duplicate_index::rule),
    (Kind::RedundantIndex, redundant_index::rule),
    (Kind::UnusedIndex, unused_index::rule),
    (Kind::InvalidIndex, invalid_index::rule),
    (Kind::FkWithoutIndex, fk_without_index::rule),
    (Kind::IndexExplosion, index_explosion::rule),
    (Kind::LockContention, lock_contention::rule),
    (Kind::TempSpill, temp_spill::rule),
    (Kind::CheckpointPressure, checkpoint_pressure::rule),
    (Kind::CacheHit, cache_hit::rule),
    (Kind::Connections, connections::rule),
    (Kind::IdleInTransaction, idle_in_transaction::rule),
    (Kind::OverFetching, over_fetching::rule),
];

/// What an index finding says of its cost.
const NO_TIME_INDEX: &str = "not measurable from these inputs: an index costs time on every write and space in the cache, not in any one query";

/// Builds the findings, ranked by time at stake (unmeasurable last), then
/// severity, kind and title.
pub(crate) fn findings(a: &Audit, dbs: &[DatabaseStats]) -> Vec<Finding> {
    let input = RuleInput::new(a, dbs);
    let mut out: Vec<Finding> = RULES.iter().flat_map(|(_, rule)| rule(&input)).collect();
    out.sort_by(|x, y| {
        y.time_at_stake_ms
            .unwrap_or(-1.0)
            .total_cmp(&x.time_at_stake_ms.unwrap_or(-1.0))
            .then(x.severity.cmp(&y.severity))
            .then(x.kind.as_str().cmp(y.kind.as_str()))
            .then(x.title.cmp(&y.title))
    });
    out
}
