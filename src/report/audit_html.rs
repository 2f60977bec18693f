//! View models for the audit sections of the HTML report: the first screen, the
//! optimization checklist, the ranked findings, index recommendations, N+1
//! patterns and transaction pauses, regression thresholds and the before/after
//! comparison. Values pre-formatted; askama escapes every one.

use crate::analyze::Audit;
use crate::units::{count, duration_ms, opt_duration_ms};

pub struct FindingRow {
    pub rank: usize,
    pub kind: String,
    pub severity: String,
    pub title: String,
    pub time: String,
    pub time_ms: f64,
    pub time_basis: String,
    pub target: String,
    pub change: String,
    pub rollback: String,
    pub verify: String,
    pub subject: String,
    pub evidence: Vec<(String, String)>,
}

pub struct CheckRow {
    pub item: String,
    pub status: String,
    pub label: &'static str,
    pub evidence: String,
    pub link: String,
    pub needs: String,
}

pub struct AdviceRow {
    pub table: String,
    pub columns: String,
    pub served: String,
    pub evidence: String,
    pub create: String,
    pub rollback: String,
    pub target: String,
    pub write_overhead: String,
    pub verify: Vec<String>,
    pub caveats: Vec<String>,
    pub queries: Vec<String>,
}

pub struct BurstRow {
    pub fingerprint: String,
    pub normalized: String,
    pub parent: String,
    pub bursts: String,
    pub executions: String,
    pub per_burst: String,
    pub time: String,
    pub who: String,
    pub example: String,
    pub batched: String,
    pub target: String,
}

pub struct Cells {
    pub cells: Vec<String>,
}

pub struct AuditPage {
    pub sentences: Vec<String>,
    pub top: Vec<FindingRow>,
    pub findings: Vec<FindingRow>,
    pub checklist: Vec<CheckRow>,
    pub advice: Vec<AdviceRow>,
    pub detected: Vec<BurstRow>,
    pub repeated: Vec<BurstRow>,
    pub loops: Vec<BurstRow>,
    pub suspected: Vec<Cells>,
    pub nplusone_limits: Vec<String>,
    pub nplusone_summary: String,
    pub pauses: String,
    pub thresholds: Vec<Cells>,
    pub comparison: Option<String>,
    pub regressions: Vec<Cells>,
    pub improvements: Vec<Cells>,
}

fn burst_row(b: &crate::analyze::nplusone::NPlusOneReport) -> BurstRow {
    BurstRow {
        fingerprint: b.fingerprint.clone(),
        normalized: b.normalized.clone(),
        parent: b
            .parent_normalized
            .clone()
            .unwrap_or_else(|| "(none seen: a loop over ids held by the application?)".into()),
        bursts: count(b.bursts),
        executions: count(b.executions),
        per_burst: format!("{:.1} (max {})", b.mean_per_burst, b.max_per_burst),
        time: duration_ms(b.total_ms),
        who: super::html::who(&b.users),
        example: match (&b.example_file, b.example_line, &b.example_ts) {
            (Some(f), Some(l), ts) => format!(
                "{f}:{l}{}: {} executions in {} ms",
                ts.as_deref()
                    .map(|t| format!(" at {t}"))
                    .unwrap_or_default(),
                b.example_executions.unwrap_or(0),
                b.example_duration_ms.unwrap_or(0)
            ),
            _ => String::new(),
        },
        batched: b.batched.clone().unwrap_or_default(),
        target: b.target.clone(),
    }
}

/// A link to an anchor the page has: a query or statement beyond the listed
/// ones links to its table, a statistics section absent without statistics
/// links to the statistics note.
fn fixer(a: &Audit, top: usize) -> impl Fn(&str) -> String {
    let queries: std::collections::HashSet<String> = a
        .queries
        .iter()
        .take(top)
        .map(|q| q.fingerprint.clone())
        .collect();
    let statements: std::collections::HashSet<String> = a
        .stats
        .statements
        .iter()
        .take(top)
        .map(|s| s.fingerprint.clone())
        .collect();
    let stats = a.stats.stats_window.is_some();
    move |link: &str| -> String {
        if let Some(fp) = link.strip_prefix("#q-") {
            return if queries.contains(fp) {
                link.to_string()
            } else {
                "#queries".into()
            };
        }
        if let Some(fp) = link.strip_prefix("#stmt-") {
            return if !stats {
                "#snapshot".into()
            } else if statements.contains(fp) {
                link.to_string()
            } else {
                "#statements".into()
            };
        }
        match link {
            "#cache" | "#connections" | "#indexes" | "#statements" | "#tables"
            | "#checkpointer"
                if !stats =>
            {
                "#snapshot".into()
            }
            _ => link.to_string(),
        }
    }
}

pub fn build(a: &Audit, top: usize) -> AuditPage {
    let fix = fixer(a, top);
    let findings: Vec<FindingRow> = a
        .findings
        .iter()
        .enumerate()
        .map(|(i, f)| FindingRow {
            rank: i + 1,
            kind: f.kind.as_str().replace('_', " "),
            severity: f.severity.as_str().to_string(),
            title: f.title.clone(),
            time: f
                .time_at_stake_ms
                .map_or_else(|| "not measurable".into(), duration_ms),
            time_ms: f.time_at_stake_ms.unwrap_or(-1.0),
            time_basis: f.time_basis.clone(),
            target: f.target.clone(),
            change: f.change.clone(),
            rollback: f.rollback.clone(),
            verify: f.verify.clone(),
            subject: match (&f.normalized, &f.table, &f.index) {
                (_, Some(t), Some(i)) => format!("{i} on {t}"),
                (_, Some(t), None) => t.clone(),
                (Some(n), _, _) => n.chars().take(300).collect(),
                _ => String::new(),
            },
            evidence: f
                .evidence
                .iter()
                .map(|e| (e.text.clone(), fix(&e.link)))
                .collect(),
        })
        .collect();
    let top = findings
        .iter()
        .take(5)
        .map(|f| FindingRow {
            change: crate::units::short(&f.change, 160),
            ..FindingRow {
                rank: f.rank,
                kind: f.kind.clone(),
                severity: f.severity.as_str().to_string(),
                title: f.title.clone(),
                time: f.time.clone(),
                time_ms: f.time_ms,
                time_basis: f.time_basis.clone(),
                target: f.target.clone(),
                change: String::new(),
                rollback: f.rollback.clone(),
                verify: f.verify.clone(),
                subject: f.subject.clone(),
                evidence: f.evidence.clone(),
            }
        })
        .collect();
    let checklist = a
        .checklist
        .iter()
        .map(|c| CheckRow {
            item: c.item.clone(),
            label: c.status.label(),
            status: c.status.as_str().to_string(),
            evidence: c.evidence.clone(),
            link: fix(&c.link),
            needs: c.needs.clone().unwrap_or_default(),
        })
        .collect();
    let advice = a
        .index_recommendations
        .iter()
        .map(|r| AdviceRow {
            table: r.table.clone(),
            columns: r.columns.join(", "),
            served: duration_ms(r.served_ms),
            evidence: r
                .evidence
                .iter()
                .map(|e| match e.as_str() {
                    "plan" => "Seq Scan in the query's auto_explain plan".to_string(),
                    "seq_scan_stats" => format!(
                        "{} sequential scans reading {} rows ({} live) in pg_stat_user_tables",
                        r.seq_scan.map_or("-".into(), count),
                        r.seq_tup_read.map_or("-".into(), count),
                        r.n_live_tup.map_or("-".into(), count)
                    ),
                    other => other.to_string(),
                })
                .collect::<Vec<_>>()
                .join("; "),
            create: r.create.clone(),
            rollback: r.rollback.clone(),
            target: r.target.clone(),
            write_overhead: r.write_overhead.clone(),
            verify: r.verify.clone(),
            caveats: r.caveats.clone(),
            queries: r
                .queries
                .iter()
                .filter_map(|fp| {
                    a.queries
                        .iter()
                        .find(|q| &q.fingerprint == fp)
                        .map(|q| q.normalized.clone())
                        .or_else(|| {
                            a.stats
                                .statements
                                .iter()
                                .find(|s| &s.fingerprint == fp)
                                .map(|s| s.normalized.clone())
                        })
                })
                .take(5)
                .collect(),
        })
        .collect();
    let n = &a.n_plus_one;
    let t = &a.transaction_pauses;
    AuditPage {
        sentences: a.first_screen.sentences.clone(),
        top,
        findings,
        checklist,
        advice,
        detected: n.detected.iter().map(burst_row).collect(),
        repeated: n.repeated.iter().map(burst_row).collect(),
        loops: n.loops.iter().map(burst_row).collect(),
        suspected: n
            .suspected
            .iter()
            .map(|s| Cells {
                cells: vec![
                    s.normalized.clone(),
                    count(s.calls),
                    format!("{:.2}", s.rows_per_call),
                    duration_ms(s.total_ms),
                    s.column.clone(),
                    s.missing_evidence.clone(),
                ],
            })
            .collect(),
        nplusone_limits: n.limits.clone(),
        nplusone_summary: format!(
            "{} executions followed session by session ({} could not be placed in a session).",
            count(n.tracked),
            count(n.untracked)
        ),
        pauses: if t.transactions == 0 {
            "No explicit transaction (BEGIN ... COMMIT) seen from its start: pauses inside transactions need every statement logged.".into()
        } else {
            format!(
                "{} explicit transactions, {} statements inside them: {} pauses of {} ms or more between statements ({} in all; longest {}{}), {} of pauses in all.",
                count(t.transactions),
                count(t.statements),
                count(t.long_gaps),
                t.pause_threshold_ms,
                duration_ms(t.long_gap_ms),
                duration_ms(t.max_gap_ms),
                t.max_gap_at.as_deref().map(|p| format!(", ending at {p}")).unwrap_or_default(),
                duration_ms(t.total_gap_ms)
            )
        },
        thresholds: a
            .thresholds
            .iter()
            .map(|t| Cells {
                cells: vec![t.metric.clone(), t.current.clone(), t.alert_when.clone(), t.source.clone()],
            })
            .collect(),
        comparison: a.comparison.as_ref().map(|c| {
            format!(
                "Against {}: executions {} -> {}, total time {} -> {}; {} queries slower (p95 +20% or more), {} faster, {} only before, {} only now.",
                c.baseline,
                count(c.before_executions),
                count(c.after_executions),
                duration_ms(c.before_total_ms),
                duration_ms(c.after_total_ms),
                c.regressions.len(),
                c.improvements.len(),
                c.only_before,
                c.only_after
            )
        }),
        regressions: change_rows(a.comparison.as_ref().map(|c| &c.regressions)),
        improvements: change_rows(a.comparison.as_ref().map(|c| &c.improvements)),
    }
}

fn change_rows(v: Option<&Vec<crate::analyze::compare::QueryChange>>) -> Vec<Cells> {
    v.map(|v| {
        v.iter()
            .take(25)
            .map(|c| Cells {
                cells: vec![
                    c.normalized.clone(),
                    format!(
                        "{} -> {}",
                        duration_ms(c.before_p95_ms),
                        duration_ms(c.after_p95_ms)
                    ),
                    format!("{:+.0}%", c.p95_change * 100.0),
                    format!(
                        "{} -> {}",
                        opt_duration_ms(c.before_mean_ms),
                        opt_duration_ms(c.after_mean_ms)
                    ),
                    format!("{} -> {}", count(c.before_count), count(c.after_count)),
                ],
            })
            .collect()
    })
    .unwrap_or_default()
}
