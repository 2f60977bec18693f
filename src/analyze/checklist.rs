//! The optimization checklist, item by item, each marked from the evidence as
//! pass, attention, fail or not enough data (naming the input that would answer
//! it); the regression thresholds to monitor; and the first screen.

use super::Audit;
use super::findings::{CheckItem, Finding, FirstScreen, Kind, Status, Threshold};
use super::stats::CACHE_HIT_TARGET;
use crate::stats::snapshot::DatabaseStats;
use crate::units::{ms_text as ms, short};

fn item(
    name: &str,
    status: Status,
    evidence: String,
    link: &str,
    needs: Option<&str>,
) -> CheckItem {
    CheckItem {
        item: name.into(),
        status,
        evidence,
        link: link.into(),
        needs: needs.map(str::to_string),
    }
}

/// A setting from any export (`on`/`off`, a number), if exported.
fn setting<'a>(dbs: &'a [DatabaseStats], name: &str) -> Option<&'a str> {
    dbs.iter()
        .find_map(|d| d.view.settings.get(name).map(|s| s.setting.as_str()))
}

/// The checklist of the brief, in its order.
pub(crate) fn checklist(a: &Audit, findings: &[Finding], dbs: &[DatabaseStats]) -> Vec<CheckItem> {
    let mut out = Vec::new();
    let logged = a.summary.executions > 0;
    let pgss = !a.stats.statements.is_empty();
    let stats = a.stats.stats_window.is_some();
    let has = |k: Kind| findings.iter().filter(|f| f.kind == k).count();

    // 1. EXPLAIN evidence on slow queries
    let slow: Vec<&super::QueryReport> = a
        .queries
        .iter()
        .filter(|q| q.count > 0)
        .filter(|q| {
            let w = q.normalized.split([' ', ';']).next().unwrap_or("");
            !matches!(
                w,
                "begin"
                    | "commit"
                    | "end"
                    | "rollback"
                    | "set"
                    | "show"
                    | "start"
                    | "savepoint"
                    | "release"
            )
        })
        .take(5)
        .collect();
    if slow.is_empty() {
        out.push(item(
            "EXPLAIN evidence on slow queries",
            Status::NotEnoughData,
            "no timed statements in the log".into(),
            "#queries",
            Some("a log with durations (log_min_duration_statement)"),
        ));
    } else {
        let with_plan = slow
            .iter()
            .filter(|q| {
                a.activity
                    .plans
                    .iter()
                    .any(|p| p.fingerprint == q.fingerprint)
            })
            .count();
        let status = if with_plan == slow.len() {
            Status::Pass
        } else if with_plan > 0 {
            Status::Attention
        } else if a.activity.plans.is_empty() {
            Status::NotEnoughData
        } else {
            Status::Fail
        };
        out.push(item(
            "EXPLAIN evidence on slow queries",
            status,
            format!("{with_plan} of the {} queries taking the most time have an auto_explain plan in the log", slow.len()),
            "#plans",
            (with_plan < slow.len()).then_some("auto_explain in shared_preload_libraries with auto_explain.log_min_duration at the slow queries' p95 (and log_analyze, log_buffers)"),
        ));
    }
    // 2. Baseline metrics
    if logged {
        let top = &a.queries[0];
        out.push(item(
            "Baseline metrics",
            Status::Pass,
            format!(
                "{} timed executions of {} normalized queries with count, mean and P50/P95/P99 each (top query: p95 {})",
                a.summary.executions,
                a.summary.distinct_queries,
                top.p95_ms.map_or("-".into(), ms)
            ),
            "#queries",
            None,
        ));
    } else if pgss {
        out.push(item(
            "Baseline metrics",
            Status::Attention,
            "pg_stat_statements gives calls and means, but no percentiles without a log".into(),
            "#statements",
            Some("a log of statement durations for P50/P95/P99"),
        ));
    } else {
        out.push(item(
            "Baseline metrics",
            Status::NotEnoughData,
            "neither timed statements in a log nor pg_stat_statements".into(),
            "#queries",
            Some("a log with log_min_duration_statement, or a pg_stat_statements export"),
        ));
    }
    // 3. Bottlenecks ranked by total time
    if logged || pgss {
        let (what, share) = match (a.queries.first(), a.stats.statements.first()) {
            (Some(q), _) if logged => ("the log's top query", q.share),
            (_, Some(s)) => ("pg_stat_statements' top entry", s.share),
            _ => ("the top query", 0.0),
        };
        out.push(item(
            "Bottlenecks ranked by total time",
            Status::Pass,
            format!("queries ranked by total time (count x mean); {what} takes {:.1}% of it; findings ranked by time at stake", share * 100.0),
            "#findings",
            None,
        ));
    } else {
        out.push(item(
            "Bottlenecks ranked by total time",
            Status::NotEnoughData,
            "no statement timings".into(),
            "#queries",
            Some("a log with durations or a pg_stat_statements export"),
        ));
    }
    // 4. N+1 patterns
    let n = &a.n_plus_one;
    if !n.detected.is_empty() {
        out.push(item(
            "N+1 patterns",
            Status::Fail,
            format!(
                "{} queries run in bursts after a parent or in one-row loops ({} executions)",
                n.detected.len(),
                n.detected.iter().map(|d| d.executions).sum::<u64>()
            ),
            "#nplusone",
            None,
        ));
    } else if !n.suspected.is_empty() {
        out.push(item("N+1 patterns", Status::Attention, format!("{} pg_stat_statements entries look like N+1 children (one row per call, many calls); the log cannot confirm", n.suspected.len()), "#nplusone", Some("a short log with log_min_duration_statement = 0 and %p in log_line_prefix")));
    } else if n.tracked >= 1000 && n.limits.is_empty() {
        out.push(item(
            "N+1 patterns",
            Status::Pass,
            format!("{} executions followed per session; no burst", n.tracked),
            "#nplusone",
            None,
        ));
    } else {
        out.push(item(
            "N+1 patterns",
            Status::NotEnoughData,
            n.limits.first().cloned().unwrap_or_else(|| {
                format!(
                    "only {} statements could be followed per session: too few to rule bursts out",
                    n.tracked
                )
            }),
            "#nplusone",
            Some(
                "a log with log_min_duration_statement = 0 (for a while) and %p in log_line_prefix",
            ),
        ));
    }
    // 5. Missing indexes
    let tables_exported = dbs
        .iter()
        .any(|d| d.view.views.contains("pg_stat_user_tables"));
    if has(Kind::MissingIndex) > 0 {
        out.push(item(
            "Missing indexes",
            Status::Fail,
            format!(
                "{} index(es) to create, each with its CREATE/DROP INDEX CONCURRENTLY",
                has(Kind::MissingIndex)
            ),
            "#advice",
            None,
        ));
    } else if !a.stats.tables.seq_scan_heavy.is_empty() {
        out.push(item(
            "Missing indexes",
            Status::Attention,
            format!(
                "{} large table(s) read by sequential scans, no query text pins the column",
                a.stats.tables.seq_scan_heavy.len()
            ),
            "#tables",
            Some("the log of the statements reading those tables, or auto_explain plans"),
        ));
    } else if tables_exported {
        out.push(item(
            "Missing indexes",
            Status::Pass,
            "no large table read mostly by sequential scans".into(),
            "#tables",
            None,
        ));
    } else if !a.activity.plans.is_empty() {
        out.push(item(
            "Missing indexes",
            Status::Attention,
            "no table statistics: only auto_explain plans were checked".into(),
            "#plans",
            Some("export pg_stat_user_tables (pgsift export-script)"),
        ));
    } else {
        out.push(item(
            "Missing indexes",
            Status::NotEnoughData,
            "no table statistics and no plans".into(),
            "#tables",
            Some("export pg_stat_user_tables and index definitions (pgsift export-script)"),
        ));
    }
    // 6. Unused / duplicate indexes
    let ix = &a.stats.indexes;
    let defs = ix.count > 0;
    let usage = dbs
        .iter()
        .any(|d| d.view.views.contains("pg_stat_user_indexes"));
    if !ix.duplicates.is_empty() || !ix.redundant.is_empty() || !ix.invalid.is_empty() {
        out.push(item(
            "Unused and duplicate indexes (index explosion)",
            Status::Fail,
            format!(
                "{} duplicate, {} redundant, {} invalid, {} unused",
                ix.duplicates.len(),
                ix.redundant.len(),
                ix.invalid.len(),
                ix.unused.len()
            ),
            "#indexes",
            None,
        ));
    } else if !ix.unused.is_empty() {
        out.push(item("Unused and duplicate indexes (index explosion)", Status::Attention, format!("{} index(es) not scanned in the window (check the window and replicas before dropping)", ix.unused.len()), "#indexes", None));
    } else if defs && usage {
        out.push(item(
            "Unused and duplicate indexes (index explosion)",
            Status::Pass,
            format!(
                "{} indexes checked: none unused, duplicate or redundant",
                ix.count
            ),
            "#indexes",
            None,
        ));
    } else {
        out.push(item(
            "Unused and duplicate indexes (index explosion)",
            Status::NotEnoughData,
            "index definitions and usage not both exported".into(),
            "#indexes",
            Some("export pg_stat_user_indexes and index definitions (pgsift export-script)"),
        ));
    }
    // 7. Lock contention
    let l = &a.activity.locks;
    let blocked = a.stats.activity.as_ref().map_or(0, |x| x.blocked.len());
    let lock_waits_on = setting(dbs, "log_lock_waits");
    let stats_deadlocks: u64 = a.stats.databases.iter().filter_map(|d| d.deadlocks).sum();
    if a.activity.deadlocks.count == 0 && stats_deadlocks > 0 {
        out.push(item(
            "Lock contention",
            Status::Fail,
            format!("{stats_deadlocks} deadlock(s) in pg_stat_database over the statistics window"),
            "#cache",
            None,
        ));
    } else if a.activity.deadlocks.count > 0 || l.total_wait_ms >= 10_000.0 {
        out.push(item(
            "Lock contention",
            Status::Fail,
            format!(
                "{} lock waits ({}), {} deadlocks",
                l.waits,
                ms(l.total_wait_ms),
                a.activity.deadlocks.count
            ),
            "#locks",
            None,
        ));
    } else if l.waits > 0 || blocked > 0 {
        out.push(item(
            "Lock contention",
            Status::Attention,
            if a.summary.entries > 0 {
                format!(
                    "{} lock waits ({}) in the log, {blocked} blocked session(s) at the snapshot",
                    l.waits,
                    ms(l.total_wait_ms)
                )
            } else {
                format!("no log; {blocked} blocked session(s) at the snapshot")
            },
            if l.waits > 0 {
                "#locks"
            } else {
                "#connections"
            },
            None,
        ));
    } else if lock_waits_on == Some("on") && a.summary.entries > 0 {
        out.push(item(
            "Lock contention",
            Status::Pass,
            "log_lock_waits is on and no wait was logged".into(),
            "#locks",
            None,
        ));
    } else {
        out.push(item(
            "Lock contention",
            Status::NotEnoughData,
            "no lock wait in the log, but nothing shows log_lock_waits was on".into(),
            "#locks",
            Some("set log_lock_waits = on (and export pg_settings)"),
        ));
    }
    // 8. Cache hit rate
    let ratios: Vec<f64> = a
        .stats
        .databases
        .iter()
        .filter_map(|d| d.cache_hit_ratio)
        .chain(a.stats.cache.table_hit_ratio)
        .collect();
    match ratios.iter().cloned().reduce(f64::min) {
        Some(r) if r < 0.95 => out.push(item(
            "Cache hit rate",
            Status::Fail,
            format!("lowest {:.1}% (target 99%)", r * 100.0),
            "#cache",
            None,
        )),
        Some(r) if r < CACHE_HIT_TARGET => out.push(item(
            "Cache hit rate",
            Status::Attention,
            format!("lowest {:.1}% (target 99%)", r * 100.0),
            "#cache",
            None,
        )),
        Some(r) => out.push(item(
            "Cache hit rate",
            Status::Pass,
            format!("lowest {:.2}% (target 99%)", r * 100.0),
            "#cache",
            None,
        )),
        None => out.push(item(
            "Cache hit rate",
            Status::NotEnoughData,
            "no block counters".into(),
            "#cache",
            Some("export pg_stat_database and pg_statio_user_tables (pgsift export-script)"),
        )),
    }
    // 9. Connection pool sizing
    let peak = a.activity.sessions.peak_concurrent;
    match (a.stats.activity.as_ref().and_then(|x| x.pool.as_ref()), peak) {
        (Some(p), _) => out.push(item(
            "Connection pool sizing",
            match p.verdict.as_str() {
                "ok" => Status::Pass,
                "saturated" => Status::Fail,
                _ => Status::Attention,
            },
            format!("{} sessions, {} active for {} cores (pool {}-{})", p.connections, p.active, p.cpu_cores, p.recommended_min, p.recommended_max),
            "#connections",
            None,
        )),
        (None, Some(pk)) => out.push(item("Connection pool sizing", Status::NotEnoughData, format!("peak of {pk} concurrent sessions in the log, but the server's cores are unknown"), "#sessions", Some("--cpu-cores N"))),
        (None, None) => out.push(item("Connection pool sizing", Status::NotEnoughData, "no connection counts and no core count".into(), "#connections", Some("--cpu-cores N, with a pg_stat_activity export or log_connections + log_disconnections"))),
    }
    // 10. Write-performance impact of indexes
    if !ix.write_overhead.is_empty() {
        out.push(item("Write-performance impact of indexes", Status::Attention, format!("{} table(s) write many or removable indexes; every proposed index states its write cost", ix.write_overhead.len()), "#indexes", None));
    } else if tables_exported && defs {
        out.push(item("Write-performance impact of indexes", Status::Pass, "no table with many or removable indexes under writes; every proposed index states its write cost".into(), "#indexes", None));
    } else {
        out.push(item(
            "Write-performance impact of indexes",
            Status::NotEnoughData,
            "write rates and index counts unknown".into(),
            "#indexes",
            Some("export pg_stat_user_tables and index definitions"),
        ));
    }
    // 11. Before/after comparison of two runs
    match (&a.comparison, a.stats.stats_window.as_ref()) {
        (Some(c), _) if c.matched == 0 => out.push(item(
            "Before/after comparison of two runs",
            Status::NotEnoughData,
            format!("the baseline ({}) has no query in common with this run", c.baseline),
            "#comparison",
            Some("--baseline with the JSON of a run over the same workload"),
        )),
        (Some(c), _) => out.push(item(
            "Before/after comparison of two runs",
            if c.regressions.is_empty() { Status::Pass } else { Status::Attention },
            format!("compared with {}: {} queries faster, {} slower", c.baseline, c.improvements.len(), c.regressions.len()),
            "#comparison",
            None,
        )),
        (None, Some(w)) if w.snapshots >= 2 && matches!(w.source, crate::stats::snapshot::WindowSource::Snapshots) => out.push(item(
            "Before/after comparison of two runs",
            Status::Attention,
            "statistics are deltas between two snapshots, but no earlier pgsift run to compare query latencies with".into(),
            "#snapshot",
            Some("--baseline EARLIER.json (a previous run's --json)"),
        )),
        _ => out.push(item("Before/after comparison of two runs", Status::NotEnoughData, "one run only".into(), "#comparison", Some("--baseline EARLIER.json (the --json of the run before the change)"))),
    }
    // 12. Monitoring / regression thresholds
    if logged || pgss || stats {
        out.push(item(
            "Monitoring and regression thresholds",
            Status::Pass,
            "thresholds derived from this run are listed to alert on".into(),
            "#thresholds",
            None,
        ));
    } else {
        out.push(item(
            "Monitoring and regression thresholds",
            Status::NotEnoughData,
            "no figures to derive thresholds from".into(),
            "#thresholds",
            Some("a log with durations or a statistics export"),
        ));
    }
    // 13. Rollback procedure for every change
    let changes = findings.iter().filter(|f| !f.change.is_empty()).count();
    let without = findings
        .iter()
        .filter(|f| !f.change.is_empty() && f.rollback.is_empty())
        .count();
    let anything = a.summary.entries > 0 || a.stats.stats_window.is_some();
    out.push(item(
        "Rollback procedure for every change",
        if without > 0 {
            Status::Fail
        } else if changes == 0 && !anything {
            Status::NotEnoughData
        } else {
            Status::Pass
        },
        if changes == 0 {
            "no change proposed".into()
        } else {
            format!(
                "{} of {changes} proposed changes carry their rollback",
                changes - without
            )
        },
        "#findings",
        None,
    ));
    let _ = short;
    out
}

/// Values to alert on, from this run.
pub(crate) fn thresholds(a: &Audit) -> Vec<Threshold> {
    let mut out = Vec::new();
    for q in a.queries.iter().filter(|q| q.count >= 10).take(5) {
        if let Some(p95) = q.p95_ms {
            out.push(Threshold {
                metric: format!("p95 of query {}", q.fingerprint),
                current: ms(p95),
                alert_when: format!("above {} for 10 minutes", ms((p95 * 1.5).max(p95 + 5.0))),
                source: "log_min_duration_statement durations, or pg_stat_statements mean".into(),
            });
        }
    }
    let errors: u64 = a.activity.errors.iter().map(|e| e.count).sum();
    if a.summary.executions > 0 {
        out.push(Threshold {
            metric: "errors per 1,000 executions".into(),
            current: format!(
                "{:.2}",
                errors as f64 * 1000.0 / a.summary.executions as f64
            ),
            alert_when: "doubles".into(),
            source: "the log's ERROR lines".into(),
        });
    }
    out.push(Threshold {
        metric: "cache hit ratio (pg_stat_database)".into(),
        current: a
            .stats
            .databases
            .iter()
            .filter_map(|d| d.cache_hit_ratio)
            .reduce(f64::min)
            .map_or("-".into(), |r| format!("{:.2}%", r * 100.0)),
        alert_when: "under 99%".into(),
        source: "pg_stat_database".into(),
    });
    out.push(Threshold {
        metric: "sessions idle in transaction for over 60 s".into(),
        current: a.stats.activity.as_ref().map_or("-".into(), |x| {
            x.idle_in_transaction
                .iter()
                .filter(|s| s.duration_ms.is_some_and(|d| d > 60_000))
                .count()
                .to_string()
        }),
        alert_when: "any".into(),
        source: "pg_stat_activity".into(),
    });
    out.push(Threshold {
        metric: "deadlocks".into(),
        current: a.activity.deadlocks.count.to_string(),
        alert_when: "any".into(),
        source: "the log (deadlock detected) or pg_stat_database.deadlocks".into(),
    });
    out.push(Threshold {
        metric: "requested checkpoints".into(),
        current: a
            .stats
            .checkpointer
            .as_ref()
            .and_then(|c| c.requested_share)
            .map_or("-".into(), |r| format!("{:.0}% of all", r * 100.0)),
        alert_when: "over 10% of all".into(),
        source: "pg_stat_bgwriter / pg_stat_checkpointer".into(),
    });
    out
}

/// Three to five sentences: what is wrong, what it costs, what to do first.
pub(crate) fn first_screen(a: &Audit, findings: &[Finding]) -> FirstScreen {
    let mut s = Vec::new();
    let total = a.summary.total_duration_ms;
    if findings.is_empty() {
        s.push("No problem stands out in these inputs.".to_string());
    } else {
        let kinds: Vec<String> = findings.iter().take(3).map(|f| f.title.clone()).collect();
        s.push(format!("What is wrong: {}.", kinds.join("; ")));
        let measured: f64 = findings
            .iter()
            .filter_map(|f| f.time_at_stake_ms)
            .take(3)
            .sum();
        if measured > 0.0 && total > 0.0 {
            s.push(format!(
                "The top findings involve {} of the {} of statement time the log shows ({:.0}%); time at stake can overlap between findings (an index fixes a slow query).",
                ms(measured),
                ms(total),
                (measured / total * 100.0).min(100.0)
            ));
        }
        let f = &findings[0];
        let change = short(&f.change, 220);
        let stop = if change.ends_with('.') || change.ends_with(';') {
            ""
        } else {
            "."
        };
        s.push(format!("Do first: {change}{stop} Target: {}.", f.target));
        s.push(format!("Roll back with: {}", short(&f.rollback, 160)));
    }
    let nod = a
        .checklist
        .iter()
        .filter(|c| c.status == Status::NotEnoughData)
        .count();
    if nod > 0 {
        s.push(format!(
            "{nod} checklist item(s) lack the data to judge; the checklist names what to collect."
        ));
    }
    FirstScreen { sentences: s }
}
