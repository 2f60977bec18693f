//! Top statements of `pg_stat_statements`, each read once per server, ranked by
//! total time and joined to the log's query groups (by `queryid` when the log
//! carries it, else by normalized text).

use super::{StatsView, preferred, ratio, round6};
use crate::analyze::{QueryReport, round3};
use crate::normalize::{fingerprint, fingerprint_hex, normalize};
use crate::stats::records::Statement;
use crate::stats::snapshot::DatabaseStats;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// One `pg_stat_statements` entry.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StatementReport {
    pub rank: usize,
    pub queryid: Option<String>,
    /// pgsift's normalization of the statement text (joins to `queries[]`).
    pub normalized: String,
    pub fingerprint: String,
    pub user: Option<String>,
    pub database: Option<String>,
    pub toplevel: Option<bool>,
    pub calls: u64,
    /// Plan + execution time.
    pub total_ms: f64,
    pub exec_ms: f64,
    pub plan_ms: f64,
    pub mean_ms: f64,
    pub max_ms: Option<f64>,
    pub rows: u64,
    pub rows_per_call: f64,
    /// Fraction (0-1) of the total time of all entries.
    pub share: f64,
    /// Shared buffer hits / (hits + reads); null with no block access.
    pub shared_hit_ratio: Option<f64>,
    pub shared_blks_read: u64,
    pub temp_blks_read: u64,
    pub temp_blks_written: u64,
    /// Block read + write time (`track_io_timing`).
    pub io_ms: f64,
    /// Fingerprint of the log's query group, when joined.
    pub log_group: Option<String>,
    /// How the entry was joined to its log group.
    pub joined_by: Option<JoinedBy>,
    pub log_count: Option<u64>,
    pub log_p50_ms: Option<f64>,
    pub log_p95_ms: Option<f64>,
    pub log_p99_ms: Option<f64>,
}

/// How a `pg_stat_statements` entry was joined to a log query group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JoinedBy {
    /// The log carries the entry's `queryid`.
    Queryid,
    /// Same normalized text.
    Normalized,
}

impl JoinedBy {
    /// The name serialized in the JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            JoinedBy::Queryid => "queryid",
            JoinedBy::Normalized => "normalized",
        }
    }
}

impl std::fmt::Display for JoinedBy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StatementsSummary {
    pub entries: usize,
    pub calls: u64,
    pub total_ms: f64,
    pub joined_by_queryid: usize,
    pub joined_by_normalized: usize,
    /// Entries with no log group (their statements were under
    /// `log_min_duration_statement`, or no log was given).
    pub not_joined: usize,
    /// Log groups with no `pg_stat_statements` entry.
    pub log_groups_not_in_statements: usize,
    /// `pg_stat_statements_info.dealloc`: entries evicted (statements lost).
    pub dealloc: Option<u64>,
    pub pgss_version: Option<String>,
}

/// The `pg_stat_statements` entries of every server, each read once.
struct ClusterStatements<'a> {
    rows: Vec<&'a Statement>,
    dealloc: Option<u64>,
    version: Option<String>,
}

/// pg_stat_statements is cluster-wide: every database's export holds it; read
/// each entry once per server. Null when no export holds it.
fn cluster_statements(dbs: &[DatabaseStats]) -> Option<ClusterStatements<'_>> {
    let mut seen: BTreeSet<(Option<String>, String)> = BTreeSet::new();
    let mut out = ClusterStatements {
        rows: Vec::new(),
        dealloc: None,
        version: None,
    };
    let mut any = false;
    let mut servers_read: BTreeSet<Option<String>> = BTreeSet::new();
    for d in preferred(dbs) {
        if !d.view.views.contains("pg_stat_statements")
            || (d.view.server.is_some() && !servers_read.insert(d.view.server.clone()))
        {
            continue;
        }
        any = true;
        out.dealloc = out
            .dealloc
            .or(d.view.statements_info.as_ref().and_then(|i| i.dealloc));
        out.version = out
            .version
            .or(d.view.meta.as_ref().and_then(|m| m.pgss_version.clone()));
        for s in &d.view.statements {
            if seen.insert((d.view.server.clone(), s.key())) {
                out.rows.push(s);
            }
        }
    }
    any.then_some(out)
}

/// Fills the view's statements and their summary.
pub(super) fn statements(
    view: &mut StatsView,
    dbs: &[DatabaseStats],
    queries: &[QueryReport],
    log_query_ids: &BTreeMap<i64, String>,
) {
    let Some(cluster) = cluster_statements(dbs) else {
        return;
    };
    let by_fp: BTreeMap<&str, &QueryReport> = queries
        .iter()
        .map(|q| (q.fingerprint.as_str(), q))
        .collect();
    // nested statements (toplevel = f) are inside their caller's time: not summed
    let total: f64 = cluster
        .rows
        .iter()
        .filter(|s| s.toplevel != Some(false))
        .map(|s| s.total_ms())
        .sum();
    let mut out: Vec<StatementReport> = cluster
        .rows
        .iter()
        .map(|s| report(s, total, &by_fp, log_query_ids))
        .collect();
    out.sort_by(|a, b| {
        b.total_ms
            .total_cmp(&a.total_ms)
            .then(b.calls.cmp(&a.calls))
            .then(a.normalized.cmp(&b.normalized))
            .then(a.queryid.cmp(&b.queryid))
            .then(a.user.cmp(&b.user))
            .then(a.database.cmp(&b.database))
    });
    for (i, s) in out.iter_mut().enumerate() {
        s.rank = i + 1;
    }
    view.statements_summary = Some(summary(&out, total, queries, cluster));
    view.statements = out;
}

/// One entry, its share of `total` and its log group (rank still 0).
fn report(
    s: &Statement,
    total: f64,
    by_fp: &BTreeMap<&str, &QueryReport>,
    log_query_ids: &BTreeMap<i64, String>,
) -> StatementReport {
    let n = normalize(&s.query);
    let fp = fingerprint_hex(fingerprint(&n.key));
    let (group, how) = match s.queryid.and_then(|q| log_query_ids.get(&q)) {
        Some(g) if by_fp.contains_key(g.as_str()) => (Some(g.clone()), Some(JoinedBy::Queryid)),
        _ if by_fp.contains_key(fp.as_str()) => (Some(fp.clone()), Some(JoinedBy::Normalized)),
        _ => (None, None),
    };
    let q = group.as_deref().and_then(|g| by_fp.get(g));
    StatementReport {
        rank: 0,
        queryid: s.queryid.map(|q| q.to_string()),
        normalized: n.key,
        fingerprint: fp,
        user: s.user.clone().or(s.userid.map(|u| u.to_string())),
        database: s.database.clone().or(s.dbid.map(|d| d.to_string())),
        toplevel: s.toplevel,
        calls: s.calls,
        total_ms: round3(s.total_ms()),
        exec_ms: round3(s.exec_ms),
        plan_ms: round3(s.plan_ms),
        mean_ms: if s.calls > 0 {
            round3(s.total_ms() / s.calls as f64)
        } else {
            0.0
        },
        max_ms: s.max_ms.map(round3),
        rows: s.rows,
        rows_per_call: if s.calls > 0 {
            round3(s.rows as f64 / s.calls as f64)
        } else {
            0.0
        },
        share: if total > 0.0 {
            round6(s.total_ms() / total)
        } else {
            0.0
        },
        shared_hit_ratio: ratio(s.shared_blks_hit, s.shared_blks_read),
        shared_blks_read: s.shared_blks_read,
        temp_blks_read: s.temp_blks_read,
        temp_blks_written: s.temp_blks_written,
        io_ms: round3(s.io_read_ms + s.io_write_ms),
        log_group: group.clone(),
        joined_by: how,
        log_count: q.map(|q| q.count),
        log_p50_ms: q.and_then(|q| q.p50_ms),
        log_p95_ms: q.and_then(|q| q.p95_ms),
        log_p99_ms: q.and_then(|q| q.p99_ms),
    }
}

fn summary(
    out: &[StatementReport],
    total: f64,
    queries: &[QueryReport],
    cluster: ClusterStatements,
) -> StatementsSummary {
    let joined: BTreeSet<&str> = out.iter().filter_map(|s| s.log_group.as_deref()).collect();
    StatementsSummary {
        entries: out.len(),
        calls: out
            .iter()
            .filter(|s| s.toplevel != Some(false))
            .map(|s| s.calls)
            .fold(0, u64::saturating_add),
        total_ms: round3(total),
        joined_by_queryid: out
            .iter()
            .filter(|s| s.joined_by == Some(JoinedBy::Queryid))
            .count(),
        joined_by_normalized: out
            .iter()
            .filter(|s| s.joined_by == Some(JoinedBy::Normalized))
            .count(),
        not_joined: out.iter().filter(|s| s.log_group.is_none()).count(),
        log_groups_not_in_statements: queries
            .iter()
            .filter(|q| q.count > 0 && !joined.contains(q.fingerprint.as_str()))
            .count(),
        dealloc: cluster.dealloc,
        pgss_version: cluster.version,
    }
}

#[cfg(test)]
mod tests;
