//! The audit proper: every problem the evidence shows as a finding (what, how much
//! time it costs, the change, its rollback, how to verify, a measurable target,
//! links to the evidence), ranked by time at stake; the optimization checklist,
//! item by item, from evidence or "not enough data" naming the missing input;
//! regression thresholds; and the first screen's few sentences.

use super::Audit;
use super::stats::CACHE_HIT_TARGET;
use crate::stats::snapshot::DatabaseStats;
use crate::units::{bytes_text, ms_text, pct};
use serde::{Deserialize, Serialize};

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

/// A query is slow enough to be a finding: a real share of the time, and slow
/// per execution (PgHero: 100+ calls averaging 20+ ms; or a p95 of 100+ ms).
fn slow_queries(a: &Audit) -> Vec<&super::QueryReport> {
    a.queries
        .iter()
        .filter(|q| {
            q.share >= 0.05
                && (q.p95_ms.is_some_and(|p| p >= 100.0)
                    || (q.count >= 100 && q.mean_ms.is_some_and(|m| m >= 20.0)))
        })
        .take(5)
        .collect()
}

/// The key with the highest count.
fn top_key(m: &std::collections::BTreeMap<String, u64>) -> Option<String> {
    m.iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map(|(k, _)| k.clone())
}

/// Builds the findings, ranked by time at stake (unmeasurable last), then severity.
pub(crate) fn findings(a: &Audit, dbs: &[DatabaseStats]) -> Vec<Finding> {
    let mut out = Vec::new();
    let recommended_for: std::collections::BTreeMap<
        &str,
        &super::index_advice::IndexRecommendation,
    > = a
        .index_recommendations
        .iter()
        .flat_map(|r| r.queries.iter().map(move |q| (q.as_str(), r)))
        .collect();
    // slow queries
    for q in slow_queries(a) {
        let p95 = q.p95_ms.unwrap_or(0.0);
        let plan = a
            .activity
            .plans
            .iter()
            .find(|p| p.fingerprint == q.fingerprint);
        let mut f = Finding::new(
            Kind::SlowQuery,
            if q.share >= 0.2 {
                Severity::High
            } else {
                Severity::Medium
            },
            format!(
                "Query takes {} of all query time ({} executions, p95 {})",
                pct(q.share),
                q.count,
                ms_text(p95)
            ),
        );
        f.time_at_stake_ms = Some(q.total_ms);
        f.time_basis = format!("log: {} timed executions", q.count);
        f.database = top_key(&q.databases);
        f.fingerprint = Some(q.fingerprint.clone());
        f.normalized = Some(q.normalized.clone());
        f.target = format!(
            "p95 {} -> under {}",
            ms_text(p95),
            ms_text((p95 / 10.0).max(5.0))
        );
        f.change = match (recommended_for.get(q.fingerprint.as_str()), plan) {
            (Some(r), _) => format!("Create the index it lacks: {}", r.create),
            (None, Some(p)) if !p.flags.is_empty() => format!(
                "Fix what its plan shows ({}); then re-check the plan",
                p.flags.join("; ")
            ),
            (None, Some(_)) => "Read its plan (below) for the costliest node and rewrite or index for it".into(),
            (None, None) => "Get its plan: EXPLAIN (ANALYZE, BUFFERS) with the example's parameters, or auto_explain (auto_explain.log_min_duration = the p95)".into(),
        };
        f.rollback = match recommended_for.get(q.fingerprint.as_str()) {
            Some(r) => r.rollback.clone(),
            None => "Revert the query or setting change; a plan read changes nothing".into(),
        };
        f.verify = format!(
            "Run pgsift on the same period's log after the change: p95 of query {} under the target; EXPLAIN (ANALYZE, BUFFERS) shows fewer buffers",
            q.fingerprint
        );
        f = f.ev(
            format!("query {} in the top queries", q.fingerprint),
            &format!("#q-{}", q.fingerprint),
        );
        if plan.is_some() {
            f = f.ev("its slowest auto_explain plan".into(), "#plans");
        }
        out.push(f);
    }
    // slow statements only pg_stat_statements sees (not in the log, or no log)
    let logged: std::collections::BTreeSet<&str> = slow_queries(a)
        .iter()
        .map(|q| q.fingerprint.as_str())
        .collect();
    for st in a
        .stats
        .statements
        .iter()
        .filter(|st| {
            st.toplevel != Some(false)
                && st.share >= 0.05
                && ((st.calls >= 100 && st.mean_ms >= 20.0) || st.mean_ms >= 100.0)
                && !st.log_group.as_deref().is_some_and(|g| logged.contains(g))
                && !a
                    .queries
                    .iter()
                    .any(|q| Some(&q.fingerprint) == st.log_group.as_ref() && q.share >= 0.05)
        })
        .take(5)
    {
        let mut f = Finding::new(
            Kind::SlowQuery,
            if st.share >= 0.2 {
                Severity::High
            } else {
                Severity::Medium
            },
            format!(
                "Statement takes {} of the statistics' time ({} calls, mean {})",
                pct(st.share),
                st.calls,
                ms_text(st.mean_ms)
            ),
        );
        f.time_at_stake_ms = Some(st.total_ms);
        f.time_basis = format!(
            "pg_stat_statements: {} calls in the statistics window",
            st.calls
        );
        f.fingerprint = Some(st.fingerprint.clone());
        f.normalized = Some(st.normalized.clone());
        f.database = st.database.clone();
        f.target = format!(
            "mean {} -> under {}",
            ms_text(st.mean_ms),
            ms_text((st.mean_ms / 10.0).max(2.0))
        );
        f.change = match recommended_for.get(st.fingerprint.as_str()) {
            Some(r) => format!("Create the index it lacks: {}", r.create),
            None => "Get its plan: EXPLAIN (ANALYZE, BUFFERS) with typical parameters (PostgreSQL 16+: EXPLAIN (GENERIC_PLAN) with $n)".into(),
        };
        f.rollback = match recommended_for.get(st.fingerprint.as_str()) {
            Some(r) => r.rollback.clone(),
            None => "Revert the query change; reading a plan changes nothing".into(),
        };
        f.verify = "pg_stat_statements mean_exec_time for this queryid over a new window (pg_stat_statements_reset() or a second snapshot)".into();
        f = f.ev(
            format!("statement {} in pg_stat_statements", st.fingerprint),
            &format!("#stmt-{}", st.fingerprint),
        );
        out.push(f);
    }
    // N+1
    for n in &a.n_plus_one.detected {
        let mut f = Finding::new(
            Kind::NPlusOne,
            if n.executions >= 1000 || n.total_ms >= 1000.0 {
                Severity::High
            } else {
                Severity::Medium
            },
            match &n.parent_normalized {
                Some(_) => format!(
                    "N+1: a query runs {:.0} times per burst right after its parent ({} bursts)",
                    n.mean_per_burst, n.bursts
                ),
                None => format!(
                    "N+1-style loop: a query runs {:.0} times per burst, one row at a time ({} bursts, no parent query seen)",
                    n.mean_per_burst, n.bursts
                ),
            },
        );
        f.time_at_stake_ms = Some(n.total_ms);
        f.time_basis = format!(
            "log: server time of the {} executions in bursts (each also costs a network round trip the log cannot see)",
            n.executions
        );
        f.fingerprint = Some(n.fingerprint.clone());
        f.normalized = Some(n.normalized.clone());
        f.database = top_key(&n.databases);
        f.target = n.target.clone();
        f.change = match &n.batched {
            Some(b) => format!("{} Batched form: {b}", n.rewrite),
            None => n.rewrite.clone(),
        };
        f.rollback = "Application change: deploy the previous version of the code path".into();
        f.verify = "Run pgsift on a log with log_min_duration_statement = 0 after the change: no burst of this query, and the parent followed by one batched query".into();
        f = f.ev(format!("N+1 burst of query {}", n.fingerprint), "#nplusone");
        out.push(f);
    }
    // missing indexes
    for r in &a.index_recommendations {
        let mut f = Finding::new(
            Kind::MissingIndex,
            if r.served_ms >= 1000.0 {
                Severity::High
            } else {
                Severity::Medium
            },
            format!("Missing index on {} ({})", r.table, r.columns.join(", ")),
        );
        f.time_at_stake_ms = Some(r.served_ms);
        f.time_basis = format!("time of the {} queries it serves", r.queries.len());
        f.table = Some(r.table.clone());
        f.columns = Some(r.columns.clone());
        f.index = Some(r.index.clone());
        f.database = r.database.clone();
        f.fingerprint = r.queries.first().cloned();
        f.target = r.target.clone();
        f.change = r.create.clone();
        f.rollback = r.rollback.clone();
        f.verify = r.verify.join(" ");
        f = f.ev(format!("recommendation for {}", r.table), "#advice");
        if r.evidence.iter().any(|e| e == "seq_scan_stats") {
            f = f.ev("sequential scans in pg_stat_user_tables".into(), "#tables");
        }
        out.push(f);
    }
    // indexes to drop
    let ix = &a.stats.indexes;
    let no_time = "not measurable from these inputs: an index costs time on every write and space in the cache, not in any one query".to_string();
    for u in &ix.duplicates {
        let mut f = Finding::new(
            Kind::DuplicateIndex,
            Severity::Medium,
            format!("Duplicate index {} (same as {})", u.index, u.duplicate_of),
        );
        f.time_basis = no_time.clone();
        f.database = u.database.clone();
        f.table = Some(u.table.clone());
        f.columns = Some(u.columns.clone());
        f.index = Some(u.index.clone());
        f.target = format!("one index on ({}) instead of two", u.columns.join(", "));
        f.change = u.drop.clone();
        f.rollback = u.rollback.clone();
        f.verify = format!(
            "Queries that used {} now use {} (pg_stat_user_indexes.idx_scan grows there)",
            u.index, u.duplicate_of
        );
        out.push(f.ev(format!("{} in the index findings", u.index), "#indexes"));
    }
    for u in &ix.redundant {
        let mut f = Finding::new(
            Kind::RedundantIndex,
            Severity::Low,
            format!("Redundant index {} (a prefix of {})", u.index, u.covered_by),
        );
        f.time_basis = no_time.clone();
        f.database = u.database.clone();
        f.table = Some(u.table.clone());
        f.columns = Some(u.columns.clone());
        f.index = Some(u.index.clone());
        f.target = format!("{} fewer index to maintain on {}", 1, u.table);
        f.change = u.drop.clone();
        f.rollback = u.rollback.clone();
        f.verify = format!(
            "Its scans move to {}; p95 of the queries on {} does not grow",
            u.covered_by, u.table
        );
        out.push(f.ev(format!("{} in the index findings", u.index), "#indexes"));
    }
    for u in &ix.unused {
        let mut f = Finding::new(
            Kind::UnusedIndex,
            Severity::Low,
            format!(
                "Unused index {} ({} scans in the window)",
                u.index, u.idx_scan
            ),
        );
        f.time_basis = no_time.clone();
        f.database = u.database.clone();
        f.table = Some(u.table.clone());
        f.columns = Some(u.columns.clone());
        f.index = Some(u.index.clone());
        f.target = format!(
            "{} less to write on every change of {}",
            u.bytes.map_or_else(
                || "an index".into(),
                |b| format!("{} of index", bytes_text(b))
            ),
            u.table
        );
        f.change = u.drop.clone();
        f.rollback = u.rollback.clone();
        f.verify = format!(
            "{} Before dropping: idx_scan still 0 over a longer window and on every replica.",
            u.caveat
        );
        out.push(f.ev(format!("{} in the index findings", u.index), "#indexes"));
    }
    for u in &ix.invalid {
        let mut f = Finding::new(
            Kind::InvalidIndex,
            Severity::Medium,
            format!("Invalid index {}", u.index),
        );
        f.time_basis = no_time.clone();
        f.database = u.database.clone();
        f.table = Some(u.table.clone());
        f.index = Some(u.index.clone());
        f.target = "no INVALID index (written, never read)".into();
        f.change = u.drop.clone();
        f.rollback = u.rollback.clone();
        f.verify =
            "SELECT indexrelid::regclass FROM pg_index WHERE NOT indisvalid returns nothing".into();
        out.push(f.ev(format!("{} in the index findings", u.index), "#indexes"));
    }
    for u in &ix.fk_without_index {
        let mut f = Finding::new(
            Kind::FkWithoutIndex,
            Severity::Low,
            format!(
                "Foreign key {} on {} ({}) has no index",
                u.constraint,
                u.table,
                u.columns.join(", ")
            ),
        );
        f.time_basis = "not measurable from these inputs: it costs a scan of this table on every delete or key update of the referenced table".into();
        f.database = u.database.clone();
        f.table = Some(u.table.clone());
        f.columns = Some(u.columns.clone());
        f.target = "deletes on the referenced table look rows up by index".into();
        f.change = u.create.clone();
        f.rollback = u.rollback.clone();
        f.verify = "EXPLAIN (ANALYZE) of a DELETE on the referenced table: the foreign-key trigger time drops".into();
        out.push(f.ev(
            format!("{} in the index findings", u.constraint),
            "#indexes",
        ));
    }
    // index explosion: many indexes on a busy table, removable ones among them
    for w in ix
        .write_overhead
        .iter()
        .filter(|w| !w.removable.is_empty() || w.indexes >= super::stats::MANY_INDEXES)
    {
        let mut f = Finding::new(
            Kind::IndexExplosion,
            if w.removable.len() >= 2 {
                Severity::Medium
            } else {
                Severity::Low
            },
            format!(
                "{} indexes on {}, written {} times in the window{}",
                w.indexes,
                w.table,
                w.writes,
                if w.removable.is_empty() {
                    String::new()
                } else {
                    format!("; {} serve no reads", w.removable.len())
                }
            ),
        );
        f.time_basis = no_time.clone();
        f.database = w.database.clone();
        f.table = Some(w.table.clone());
        f.target = format!(
            "{} -> {} indexes on {}",
            w.indexes,
            w.indexes - w.removable.len(),
            w.table
        );
        f.change = if w.removable.is_empty() {
            "Review which indexes the queries use (pg_stat_user_indexes) before adding more".into()
        } else {
            format!(
                "Drop the indexes reported above: {}",
                w.removable.join(", ")
            )
        };
        f.rollback = "Each drop's rollback rebuilds it (see the index findings)".into();
        f.verify = "Write latency (INSERT/UPDATE p95 in the log) and WAL volume drop; HOT update share rises".into();
        out.push(f.ev(format!("write overhead of {}", w.table), "#indexes"));
    }
    // lock contention
    let l = &a.activity.locks;
    if l.waits > 0 || a.activity.deadlocks.count > 0 {
        let mut f = Finding::new(
            Kind::LockContention,
            if a.activity.deadlocks.count > 0 || l.total_wait_ms >= 10_000.0 {
                Severity::High
            } else {
                Severity::Medium
            },
            format!(
                "{} lock waits ({} in all), {} deadlock(s)",
                l.waits,
                ms_text(l.total_wait_ms),
                a.activity.deadlocks.count
            ),
        );
        f.time_at_stake_ms = Some(l.total_wait_ms);
        f.time_basis = "log: time statements waited for locks (log_lock_waits)".into();
        if let Some(top) = l.by_query.first() {
            f.fingerprint = Some(top.key.clone());
            f.normalized = Some(top.label.clone());
        }
        f.target = format!(
            "lock wait {} -> near 0; deadlocks {} -> 0",
            ms_text(l.total_wait_ms),
            a.activity.deadlocks.count
        );
        f.change = "Shorten the transactions holding the locks (commit sooner, no user think-time inside), touch rows in one order everywhere (no deadlocks), and set lock_timeout for the waiting code path".into();
        f.rollback = "Revert the application change; RESET lock_timeout".into();
        f.verify = "Run pgsift on the log after the change: lock waits and deadlocks in the Locks section drop".into();
        out.push(f.ev("lock waits and deadlocks".into(), "#locks"));
    }
    if let Some(act) = &a.stats.activity
        && !act.blocked.is_empty()
        && l.waits == 0
    {
        let mut f = Finding::new(
            Kind::LockContention,
            Severity::Medium,
            format!("{} session(s) blocked at the snapshot", act.blocked.len()),
        );
        f.time_basis = "not measurable from these inputs: one snapshot shows who waits, not for how long in all (set log_lock_waits = on)".into();
        f.target = "no session blocked by one idle in a transaction".into();
        f.change =
            "Find the blocking sessions' code paths (pids below) and shorten their transactions"
                .into();
        f.rollback = "Revert the application change".into();
        f.verify = "pg_stat_activity shows no wait_event_type = Lock for long".into();
        out.push(f.ev("blocked/blocking pairs".into(), "#connections"));
    }
    // temp spills
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
    // checkpoints
    let ck = &a.activity.checkpoints;
    let stats_ck = a
        .stats
        .checkpointer
        .as_ref()
        .filter(|c| c.too_many_requested);
    if ck.too_frequent > 0 || stats_ck.is_some() {
        let mut f = Finding::new(
            Kind::CheckpointPressure,
            Severity::Medium,
            match stats_ck {
                Some(c) => format!(
                    "Checkpoints requested by WAL volume: {} requested vs {} timed",
                    c.requested.unwrap_or(0),
                    c.timed.unwrap_or(0)
                ),
                None => format!(
                    "{} 'checkpoints are occurring too frequently' warnings",
                    ck.too_frequent
                ),
            },
        );
        f.time_basis = "not measurable from these inputs: checkpoints cost write spikes and full-page writes, not one query's time".into();
        f.target = "requested checkpoints under 10% of all; no 'too frequently' warning".into();
        f.change = "Raise max_wal_size (for example double it) so checkpoint_timeout starts most checkpoints; ALTER SYSTEM SET max_wal_size = '...'; SELECT pg_reload_conf();".into();
        f.rollback = "ALTER SYSTEM RESET max_wal_size; SELECT pg_reload_conf();".into();
        f.verify = "pg_stat_bgwriter/pg_stat_checkpointer: requested grows slower than timed; no warning in the log".into();
        out.push(f.ev(
            "checkpoints".into(),
            if stats_ck.is_some() {
                "#checkpointer"
            } else {
                "#checkpoints"
            },
        ));
    }
    // cache
    let low: Vec<(String, f64)> = a
        .stats
        .databases
        .iter()
        .filter_map(|d| {
            d.cache_hit_ratio
                .filter(|r| *r < CACHE_HIT_TARGET)
                .map(|r| (d.datname.clone(), r))
        })
        .chain(
            a.stats
                .cache
                .table_hit_ratio
                .filter(|r| *r < CACHE_HIT_TARGET)
                .map(|r| ("tables".to_string(), r)),
        )
        .collect();
    if !low.is_empty() {
        let io: f64 = a.stats.statements.iter().map(|s| s.io_ms).sum();
        let mut f = Finding::new(
            Kind::CacheHit,
            if low.iter().any(|(_, r)| *r < 0.95) {
                Severity::High
            } else {
                Severity::Medium
            },
            format!(
                "Cache hit ratio under 99%: {}",
                low.iter()
                    .map(|(n, r)| format!("{n} {}", pct(*r)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
        if io > 0.0 {
            f.time_at_stake_ms = Some(io);
            f.time_basis = "pg_stat_statements: block read/write time (track_io_timing)".into();
        } else {
            f.time_basis =
                "not measurable from these inputs: turn on track_io_timing to time block reads"
                    .into();
        }
        f.target = "cache hit ratio 99% or more".into();
        f.change = "Cut the big reads first (missing indexes, sequential scans above); then size shared_buffers (about 25% of RAM) to the working set".into();
        f.rollback = "ALTER SYSTEM RESET shared_buffers (needs a restart)".into();
        f.verify = "blks_hit / (blks_hit + blks_read) in pg_stat_database over a new window".into();
        out.push(f.ev("cache hit ratios".into(), "#cache"));
    }
    // connections
    if let Some(act) = &a.stats.activity {
        if let Some(p) = act.pool.as_ref().filter(|p| p.verdict != "ok") {
            let mut f = Finding::new(
                Kind::Connections,
                if p.verdict == "saturated" {
                    Severity::High
                } else {
                    Severity::Medium
                },
                format!(
                    "{} sessions ({} active) for {} CPU cores: the pool is {}",
                    p.connections, p.active, p.cpu_cores, p.verdict
                ),
            );
            f.time_basis = "not measurable from these inputs: queueing for CPU shows as higher latency everywhere".into();
            f.target = format!(
                "{}-{} active connections (2-3x cores), through a pooler",
                p.recommended_min, p.recommended_max
            );
            f.change = format!(
                "Put PgBouncer (transaction pooling) in front, default_pool_size = {}",
                p.recommended_max
            );
            f.rollback = "Point the application back at PostgreSQL directly".into();
            f.verify = "pg_stat_activity: active sessions stay at or under the pool size; p95 latency under load drops".into();
            out.push(f.ev("sessions and pool sizing".into(), "#connections"));
        }
        if let Some(m) = act.max_connections
            && act.total * 10 >= m * 8
        {
            let mut f = Finding::new(
                Kind::Connections,
                Severity::High,
                format!("{} of max_connections {} in use", act.total, m),
            );
            f.time_basis = "not measurable: new connections fail when the limit is reached".into();
            f.target = "connections under 80% of max_connections".into();
            f.change = "Pool connections (PgBouncer) instead of raising max_connections".into();
            f.rollback = "Remove the pooler".into();
            f.verify = "pg_stat_activity count stays under 80% of max_connections".into();
            out.push(f.ev("sessions".into(), "#connections"));
        }
    }
    // idle in transaction: the snapshot, and pauses inside transactions in the log
    let tx = &a.transaction_pauses;
    // pauses between logged statements are pauses only when every statement is logged
    let tx_gaps = if tx.complete_log { tx.long_gaps } else { 0 };
    let idle_now = a
        .stats
        .activity
        .as_ref()
        .map_or(0, |x| x.idle_in_transaction.len());
    if idle_now > 0 || tx_gaps > 0 {
        let mut f = Finding::new(
            Kind::IdleInTransaction,
            if tx.long_gap_ms >= 10_000.0 || idle_now >= 5 {
                Severity::High
            } else {
                Severity::Medium
            },
            format!(
                "Time lost outside the database inside transactions: {}{}",
                if tx_gaps > 0 {
                    format!(
                        "{} pause(s) of {} ms or more ({} in all) between statements of a transaction",
                        tx.long_gaps,
                        tx.pause_threshold_ms,
                        ms_text(tx.long_gap_ms)
                    )
                } else {
                    String::new()
                },
                if idle_now > 0 {
                    format!(
                        "{}{idle_now} session(s) idle in transaction at the snapshot",
                        if tx_gaps > 0 { "; " } else { "" }
                    )
                } else {
                    String::new()
                }
            ),
        );
        if tx_gaps > 0 {
            f.time_at_stake_ms = Some(tx.long_gap_ms);
            f.time_basis = "log: time between the end of one statement and the start of the next inside explicit transactions (locks held meanwhile)".into();
        } else {
            f.time_basis =
                "not measurable from one snapshot: log every statement to time the pauses".into();
        }
        f.target =
            "no pause over 100 ms inside a transaction; 0 sessions idle in transaction".into();
        f.change = "Do the application work (HTTP calls, rendering, user input) before BEGIN or after COMMIT; set idle_in_transaction_session_timeout (e.g. '60s') as a guard".into();
        f.rollback =
            "Revert the code change; ALTER ROLE ... RESET idle_in_transaction_session_timeout"
                .into();
        f.verify = "pg_stat_activity shows no 'idle in transaction' older than a second; pgsift's transaction pauses drop".into();
        if idle_now > 0 {
            f = f.ev("sessions idle in transaction".into(), "#connections");
        }
        if tx_gaps > 0 {
            f = f.ev("pauses inside transactions".into(), "#nplusone");
        }
        out.push(f);
    }
    // over-fetching: many rows per call
    for s in a
        .stats
        .statements
        .iter()
        .filter(|s| {
            s.calls >= 100 && s.rows_per_call >= 1000.0 && s.normalized.starts_with("select")
        })
        .take(3)
    {
        let mut f = Finding::new(
            Kind::OverFetching,
            Severity::Low,
            format!(
                "A query returns {:.0} rows per call ({} calls)",
                s.rows_per_call, s.calls
            ),
        );
        f.time_at_stake_ms = Some(s.total_ms);
        f.time_basis = "pg_stat_statements: total time of the statement".into();
        f.fingerprint = Some(s.fingerprint.clone());
        f.normalized = Some(s.normalized.clone());
        f.target = format!(
            "rows per call {:.0} -> what one page shows (LIMIT, keyset pagination)",
            s.rows_per_call
        );
        f.change = "Fetch only what is shown: LIMIT with keyset pagination, only the needed columns, aggregates in SQL".into();
        f.rollback = "Revert the query change".into();
        f.verify = "pg_stat_statements rows / calls drops for this query".into();
        out.push(f.ev(
            format!("statement {}", s.fingerprint),
            &format!("#stmt-{}", s.fingerprint),
        ));
    }
    let _ = dbs;
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
