//! N+1 patterns: bursts of one query per session found in the log (evidence), and,
//! when the log cannot show them, pg_stat_statements entries that look like one
//! (suspected, with the evidence that is missing). Never claims without evidence.

use super::stats::DatabaseReport;
use super::stats::StatementReport;
use super::{DisplayZone, QueryReport, round3};
use crate::aggregate::bursts::Bursts;
use crate::normalize::shape::{Use, shape};
use crate::normalize::{fingerprint, fingerprint_hex};
use crate::parse::timestamp::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Pauses between the statements of explicit transactions (time the session
/// held its transaction open doing something else).
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct TransactionPauses {
    /// Explicit transactions seen from BEGIN (needs every statement logged).
    pub transactions: u64,
    pub statements: u64,
    /// Pauses of `pause_threshold_ms` or more, and their total.
    pub long_gaps: u64,
    pub long_gap_ms: f64,
    pub pause_threshold_ms: i64,
    pub total_gap_ms: f64,
    pub max_gap_ms: f64,
    /// Where the longest pause ended: `file:line`.
    pub max_gap_at: Option<String>,
    /// The log seems to hold every statement (some under 1 ms): only then is a
    /// pause between two logged statements a pause (else unlogged statements
    /// may fill it), and only then does a finding use it.
    pub complete_log: bool,
    /// Statements after an unlogged one in their session (by `%l`): no pause measured.
    pub gaps_not_measured: u64,
    /// Of `long_gaps`, those timed by whole-second timestamps (`%t`, BSD
    /// syslog), each to within a second either way, and their total.
    #[serde(default)]
    pub approximate_pauses: u64,
    #[serde(default)]
    pub approximate_pause_ms: f64,
    /// The longest pause was timed by whole-second timestamps (±1 s).
    #[serde(default)]
    pub max_gap_approximate: bool,
    /// Gaps whole-second timestamps cannot time (under 2 s apart, or not a
    /// pause once the clock's second is taken off): not in `statements`,
    /// never counted as pauses.
    #[serde(default)]
    pub gaps_unmeasurable: u64,
}

impl TransactionPauses {
    pub(crate) fn from(tx: &crate::aggregate::bursts::TxGaps, threshold_ms: i64) -> Self {
        TransactionPauses {
            transactions: tx.transactions,
            statements: tx.statements,
            long_gaps: tx.long_gaps,
            long_gap_ms: super::ms(tx.long_gap_us),
            pause_threshold_ms: threshold_ms,
            total_gap_ms: super::ms(tx.gap_us),
            max_gap_ms: super::ms(tx.max_gap_us),
            max_gap_at: tx.max_gap_at.as_ref().map(|(f, l)| format!("{f}:{l}")),
            complete_log: false,
            gaps_not_measured: tx.skipped,
            approximate_pauses: tx.approximate_gaps,
            approximate_pause_ms: super::ms(tx.approximate_gap_us),
            max_gap_approximate: tx.max_gap_approximate,
            gaps_unmeasurable: tx.unmeasurable,
        }
    }
}

/// Calls in the statistics window above which a one-row primary-key lookup is a
/// suspected N+1 child.
pub const SUSPECT_MIN_CALLS: u64 = 1000;

/// Calls per transaction of its database below which a lookup is no suspected
/// N+1 child: a fixed transaction script (pgbench's TPC-B) runs each of its
/// statements once per transaction.
pub const SUSPECT_MIN_PER_TRANSACTION: f64 = 2.0;

/// A burst seen only once is an N+1 only when it takes at least this share of
/// all query time; below, it is a one-off loop.
pub const ONCE_MAX_SHARE: f64 = 0.005;

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct NPlusOneView {
    /// Found in the log: bursts of one query in one session.
    pub detected: Vec<NPlusOneReport>,
    /// Looks like one in pg_stat_statements; the log does not show it.
    pub suspected: Vec<SuspectedNPlusOne>,
    /// The same statement, same parameters, many times in a row (cacheable).
    pub repeated: Vec<NPlusOneReport>,
    /// One query many times in a row with no parent query before it: a loop over
    /// ids held by the application, or a pooled connection serving independent
    /// requests; listed, not called N+1.
    pub loops: Vec<NPlusOneReport>,
    /// A child after its parent in one burst only, taking under
    /// [`ONCE_MAX_SHARE`] of all query time: a script's loop run once (a data
    /// load filling a table row by row, as `pgbench -i` does), not a code path
    /// that repeats; listed, not called N+1.
    #[serde(default)]
    pub once: Vec<NPlusOneReport>,
    /// Executions the detector could place in a session, and those it could not.
    pub tracked: u64,
    pub untracked: u64,
    /// What limits detection with these inputs.
    pub limits: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct NPlusOneReport {
    /// The child query (executed in bursts).
    pub fingerprint: String,
    pub normalized: String,
    /// The query run just before most bursts.
    pub parent_fingerprint: Option<String>,
    pub parent_normalized: Option<String>,
    pub bursts: u64,
    pub executions: u64,
    pub mean_per_burst: f64,
    pub max_per_burst: u64,
    /// Execution time of the bursts' statements.
    pub total_ms: f64,
    pub users: BTreeMap<String, u64>,
    pub databases: BTreeMap<String, u64>,
    pub apps: BTreeMap<String, u64>,
    /// The largest burst: where it starts.
    pub example_file: Option<String>,
    pub example_line: Option<u64>,
    pub example_ts: Option<String>,
    pub example_executions: Option<u64>,
    pub example_duration_ms: Option<i64>,
    /// The batched form of the child query, when its lookup column is known.
    pub batched: Option<String>,
    pub rewrite: String,
    pub target: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SuspectedNPlusOne {
    pub fingerprint: String,
    pub normalized: String,
    pub calls: u64,
    pub rows_per_call: f64,
    pub total_ms: f64,
    /// The lookup column (equality on one column).
    pub column: String,
    pub missing_evidence: String,
}

/// The child's lookup column and its batched text: `col = $1` -> `col = any($1)`.
fn batched(normalized: &str) -> Option<(String, String)> {
    let s = shape(normalized);
    let eq: Vec<_> = s.uses.iter().filter(|u| u.usage == Use::Eq).collect();
    let col = eq.first()?.column.clone();
    for pat in [format!("{col} = $"), format!(".{col} = $")] {
        if let Some(p) = normalized.find(&pat) {
            let at = p + pat.len() - 1;
            let end = normalized[at + 1..]
                .find(|c: char| !c.is_ascii_digit())
                .map_or(normalized.len(), |e| at + 1 + e);
            let param = &normalized[at..end];
            let text = format!(
                "{}{} = any({param}){}",
                &normalized[..p],
                &pat[..pat.len() - 4],
                &normalized[end..]
            );
            return Some((col, text));
        }
    }
    Some((col, String::new())).filter(|(_, t)| !t.is_empty())
}

fn report(key: &str, b: &crate::aggregate::bursts::BurstStats, tz: &DisplayZone) -> NPlusOneReport {
    let parent = b
        .parents
        .iter()
        .max_by(|a, c| a.1.cmp(c.1).then(c.0.cmp(a.0)))
        .map(|(k, _)| k.clone());
    let mean = b.executions as f64 / b.bursts.max(1) as f64;
    let batch = batched(key);
    let ex = b.example.as_ref();
    NPlusOneReport {
        fingerprint: fingerprint_hex(fingerprint(key)),
        normalized: key.to_string(),
        parent_fingerprint: parent.as_deref().map(|p| fingerprint_hex(fingerprint(p))),
        parent_normalized: parent,
        bursts: b.bursts,
        executions: b.executions,
        mean_per_burst: round3(mean),
        max_per_burst: b.max_per_burst,
        total_ms: super::ms(b.total_us),
        users: b.users.clone(),
        databases: b.dbs.clone(),
        apps: b.apps.clone(),
        example_file: ex.map(|e| e.file.clone()),
        example_line: ex.map(|e| e.line),
        example_ts: ex.map(|e| tz.format(Timestamp(e.ts))),
        example_executions: ex.map(|e| e.executions),
        example_duration_ms: ex.map(|e| e.duration_ms),
        rewrite: if key.starts_with("insert") {
            "Insert all rows in one statement: a multi-row VALUES list, INSERT ... SELECT FROM unnest($1, $2, ...) with arrays, or COPY.".into()
        } else {
            match &batch {
                Some((col, _)) if key.starts_with("update") || key.starts_with("delete") => format!(
                    "Change all rows in one statement: `{col} = ANY($1)` with the array of keys (or UPDATE ... FROM a VALUES list when the new values differ)."
                ),
                Some((col, _)) => format!(
                    "Fetch the children of all parent rows at once: one query with `{col} = ANY($1)` and the array of parent keys, or a JOIN with the parent query; in an ORM, eager loading (includes / prefetch_related / JOIN FETCH)."
                ),
                None => "Fetch the children of all parent rows at once (one query over the set of parent keys, or a JOIN with the parent query); in an ORM, eager loading.".into(),
            }
        },
        batched: batch.map(|(_, t)| t).filter(|_| !key.starts_with("insert")),
        target: format!(
            "{:.0} queries per burst -> 2 (parent + one batched query); {} executions -> {}",
            mean + 1.0,
            b.executions,
            b.bursts
        ),
    }
}

/// Builds the N+1 view.
pub(crate) fn build(
    bursts: &Bursts,
    queries: &[QueryReport],
    statements: &[StatementReport],
    databases: &[DatabaseReport],
    tz: &DisplayZone,
) -> NPlusOneView {
    // all query time of the log, in µs
    let all_us: f64 = queries.iter().map(|q| q.total_ms * 1000.0).sum();
    let mut v = NPlusOneView {
        tracked: bursts.tracked,
        untracked: bursts.untracked,
        ..Default::default()
    };
    for (k, b) in &bursts.by_query {
        if b.identical_bursts == b.bursts {
            v.repeated.push(report(k, b, tz));
        } else if b.parents.is_empty() {
            v.loops.push(report(k, b, tz));
        } else if b.bursts < 2 && (b.total_us as f64) < ONCE_MAX_SHARE * all_us {
            v.once.push(report(k, b, tz));
        } else {
            v.detected.push(report(k, b, tz));
        }
    }
    let order = |a: &NPlusOneReport, b: &NPlusOneReport| {
        b.total_ms
            .total_cmp(&a.total_ms)
            .then(b.executions.cmp(&a.executions))
            .then(a.normalized.cmp(&b.normalized))
    };
    v.detected.sort_by(order);
    v.repeated.sort_by(order);
    v.loops.sort_by(order);
    v.once.sort_by(order);
    let executions: u64 = queries.iter().map(|q| q.count).sum();
    if executions > 0 && bursts.tracked == 0 {
        v.limits.push(
            "the log's lines carry no process id (%p) or session id (%c) with a timestamp: statements cannot be grouped by session, so bursts cannot be seen".into(),
        );
    }
    // The log sees every statement only with log_min_duration_statement = 0; a
    // log of slow statements alone cannot show fast children.
    let fast_logged = queries
        .iter()
        .filter(|q| q.min_ms.is_some_and(|m| m < 1.0))
        .count();
    if executions > 0 && fast_logged == 0 {
        v.limits.push(
            "no statement under 1 ms is in the log: it looks like log_min_duration_statement filters the fast statements N+1 children are made of; set it to 0 for a short while to see bursts".into(),
        );
    }
    if executions == 0 {
        v.limits
            .push("no log with timed statements: bursts cannot be seen".into());
    }
    let detected: std::collections::BTreeSet<&str> =
        v.detected.iter().map(|d| d.fingerprint.as_str()).collect();
    // the log can show this statement's bursts: sessions are tracked and fast
    // statements are logged; the log having it without a burst clears it
    let log_sees_bursts = bursts.tracked > 0 && fast_logged > 0;
    for s in statements {
        if s.calls < SUSPECT_MIN_CALLS
            || s.rows_per_call > 1.5
            || detected.contains(s.fingerprint.as_str())
            || (s.log_group.is_some() && log_sees_bursts)
        {
            continue;
        }
        let transactions = databases
            .iter()
            .find(|d| s.database.as_deref() == Some(d.datname.as_str()))
            .and_then(|d| Some(d.xact_commit? + d.xact_rollback.unwrap_or(0)));
        if transactions.is_some_and(|t| (s.calls as f64) < SUSPECT_MIN_PER_TRANSACTION * t as f64) {
            continue;
        }
        let sh = shape(&s.normalized);
        let eq: Vec<_> = sh.uses.iter().filter(|u| u.usage == Use::Eq).collect();
        if !s.normalized.starts_with("select") || eq.len() != 1 || sh.tables.len() != 1 {
            continue;
        }
        v.suspected.push(SuspectedNPlusOne {
            fingerprint: s.fingerprint.clone(),
            normalized: s.normalized.clone(),
            calls: s.calls,
            rows_per_call: s.rows_per_call,
            total_ms: s.total_ms,
            column: eq[0].column.clone(),
            missing_evidence: if s.log_group.is_some() {
                "the log has this statement but no bursts of it in one session: the calls may come from many sessions (not an N+1)".into()
            } else {
                "the log does not have this statement (under log_min_duration_statement): log every statement for a short while, with %p in log_line_prefix, to see whether the calls come in bursts after a parent query".into()
            },
        });
    }
    v.suspected.sort_by(|a, b| {
        b.total_ms
            .total_cmp(&a.total_ms)
            .then(a.normalized.cmp(&b.normalized))
    });
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lookup_is_suspected_only_where_the_log_cannot_show_bursts_and_calls_per_transaction_say_so()
     {
        let tz = DisplayZone::choose(Some("UTC"), &Default::default());
        // pgbench's primary-key lookup: one call per transaction
        let lookup = StatementReport {
            fingerprint: "pk".into(),
            normalized: "select abalance from pgbench_accounts where aid = $1".into(),
            calls: 45_714,
            rows_per_call: 1.0,
            database: Some("bench".into()),
            ..Default::default()
        };
        let db = |xacts: u64| DatabaseReport {
            datname: "bench".into(),
            xact_commit: Some(xacts),
            ..Default::default()
        };
        let suspected =
            |st: &StatementReport, dbs: &[DatabaseReport], b: &Bursts, q: &[QueryReport]| {
                build(b, q, std::slice::from_ref(st), dbs, &tz)
                    .suspected
                    .len()
            };
        let none = Bursts::default();
        assert_eq!(suspected(&lookup, &[db(45_700)], &none, &[]), 0);
        assert_eq!(suspected(&lookup, &[db(22_857)], &none, &[]), 1);
        assert_eq!(
            suspected(&lookup, &[], &none, &[]),
            1,
            "transactions unknown"
        );
        // the log has it, with sessions and fast statements, and no burst
        let logged = StatementReport {
            log_group: Some("pk".into()),
            ..lookup.clone()
        };
        let fast = QueryReport {
            normalized: "select 1".into(),
            count: 1,
            total_ms: 0.1,
            min_ms: Some(0.1),
            ..Default::default()
        };
        let tracked = Bursts {
            tracked: 10,
            ..Default::default()
        };
        assert_eq!(
            suspected(&logged, &[], &tracked, std::slice::from_ref(&fast)),
            0
        );
        assert_eq!(
            suspected(&logged, &[], &none, std::slice::from_ref(&fast)),
            1
        );
    }

    #[test]
    fn a_burst_seen_once_for_a_negligible_time_is_a_one_off_loop() {
        use crate::aggregate::bursts::BurstStats;
        let child = |bursts: u64, total_us: u64| BurstStats {
            bursts,
            executions: 10 * bursts,
            total_us,
            parents: [("insert into parent values ($1)".to_string(), bursts)].into(),
            ..Default::default()
        };
        let all = QueryReport {
            normalized: "select 1".into(),
            count: 1,
            total_ms: 1000.0,
            ..Default::default()
        };
        let tz = DisplayZone::choose(Some("UTC"), &Default::default());
        let build_with = |b: BurstStats| {
            let mut bursts = Bursts::default();
            bursts
                .by_query
                .insert("insert into child values ($1)".into(), b);
            build(&bursts, std::slice::from_ref(&all), &[], &[], &tz)
        };
        // once, 0.2 ms of 1 s: a one-off loop
        let v = build_with(child(1, 200));
        assert!(v.detected.is_empty());
        assert_eq!(v.once.len(), 1);
        // once but 1% of the time, or twice: a pattern
        assert_eq!(build_with(child(1, 10_000)).detected.len(), 1);
        assert_eq!(build_with(child(2, 200)).detected.len(), 1);
    }

    #[test]
    fn batched_form_replaces_the_lookup() {
        let (col, text) =
            batched("select id, qty from order_items where order_id = $1 order by id").unwrap();
        assert_eq!(col, "order_id");
        assert_eq!(
            text,
            "select id, qty from order_items where order_id = any($1) order by id"
        );
        let (_, text) = batched("select * from items i where i.order_id = $12").unwrap();
        assert_eq!(text, "select * from items i where i.order_id = any($12)");
        assert!(batched("select now()").is_none());
    }
}
