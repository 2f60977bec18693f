//! View models for the server-activity sections of the HTML report: sessions,
//! lock waits, deadlocks, temporary files, errors, checkpoints, autovacuum,
//! auto_explain plans and the events-over-time chart. Values pre-formatted.

use super::html::{Card, who};
use crate::analyze::Audit;
use crate::analyze::activity::StatementView;
use crate::units::{bytes, count, duration_ms};

/// A statement cell: text, and the fingerprint link when the query is listed.
pub struct Stmt {
    pub text: String,
    pub fingerprint: String,
}

fn stmt(s: &Option<StatementView>) -> Stmt {
    match s {
        Some(v) => Stmt {
            text: v.text.clone(),
            fingerprint: v.fingerprint.clone(),
        },
        None => Stmt {
            text: "(statement not in the log)".into(),
            fingerprint: String::new(),
        },
    }
}

pub struct LockRow {
    pub stmt: Stmt,
    pub object: String,
    pub mode: String,
    pub waits: String,
    pub total: String,
    pub total_ms: f64,
    pub max: String,
    pub deadlocks: u64,
}

pub struct DeadlockRow {
    pub ts: String,
    pub cycle: String,
    pub victim: Stmt,
}

pub struct TempRow {
    pub stmt: Stmt,
    pub count: String,
    pub total: String,
    pub total_bytes: u64,
    pub max: String,
}

pub struct ErrorRow {
    pub severity: String,
    pub sqlstate: String,
    pub message: String,
    pub count: u64,
    pub count_s: String,
    pub seen: String,
    pub example: Stmt,
}

pub struct VacuumRow {
    pub table: String,
    pub vacuums: u64,
    pub analyzes: u64,
    pub elapsed: String,
    pub pages: String,
    pub tuples: String,
}

pub struct PlanRow {
    pub fingerprint: String,
    pub normalized: String,
    pub duration: String,
    pub ts: String,
    pub count: u64,
    pub flags: Vec<String>,
    pub text: String,
}

/// One row of the events-over-time chart: a kind and its bars.
pub struct TimelineRow {
    pub kind: String,
    pub total: String,
    pub y: f64,
    pub label_y: f64,
    pub bars: Vec<(f64, f64, f64, String)>,
}

pub struct ActivityPage {
    pub session_cards: Vec<Card>,
    pub session_rows: Vec<(&'static str, String)>,
    pub locks_summary: String,
    pub locks: Vec<LockRow>,
    pub deadlocks_summary: String,
    pub deadlocks: Vec<DeadlockRow>,
    pub temp_summary: String,
    pub temp: Vec<TempRow>,
    pub errors_summary: String,
    pub errors: Vec<ErrorRow>,
    pub cancellations: String,
    pub auth: Vec<(String, String, String)>,
    pub checkpoint_cards: Vec<Card>,
    pub checkpoint_advice: String,
    pub vacuum_summary: String,
    pub vacuums: Vec<VacuumRow>,
    pub plans: Vec<PlanRow>,
    pub timeline: Vec<TimelineRow>,
    pub timeline_h: f64,
    pub timeline_bar_w: f64,
    /// First and last bucket start, under the chart.
    pub timeline_from: String,
    pub timeline_to: String,
    pub timeline_note: String,
}

fn ts_range(a: &Option<String>, b: &Option<String>) -> String {
    match (a, b) {
        (Some(x), Some(y)) if x == y => x.clone(),
        (Some(x), Some(y)) => format!("{x} to {y}"),
        _ => "-".into(),
    }
}

/// Builds the activity sections; `top` bounds each table.
pub fn build(audit: &Audit, top: usize) -> ActivityPage {
    let a = &audit.activity;
    let s = &a.sessions;
    let session_cards = vec![
        Card {
            label: "Connections",
            value: count(s.connections_received),
            note: format!(
                "{} authorized, {} failed logins",
                count(s.connections_authorized),
                count(s.failures)
            ),
        },
        Card {
            label: "Peak concurrent sessions",
            value: s
                .peak_concurrent
                .map_or("-".into(), |p| count(p.max(0) as u64)),
            note: match (&s.peak_at, s.peak_concurrent) {
                (Some(t), _) => format!("at {t}"),
                (None, None) => "needs log_disconnections".into(),
                (None, Some(_)) => "-".into(),
            },
        },
        Card {
            label: "Sessions ended",
            value: count(s.disconnections),
            note: s
                .mean_session_ms
                .map_or("-".into(), |m| format!("mean session {}", duration_ms(m))),
        },
    ];
    let session_rows = [
        ("Users", &s.by_user),
        ("Databases", &s.by_database),
        ("Applications", &s.by_app),
        ("Client hosts", &s.by_client),
    ]
    .into_iter()
    .filter(|(_, m)| !m.is_empty())
    .map(|(k, m)| (k, who(m)))
    .collect();
    let l = &a.locks;
    let locks = l
        .items
        .iter()
        .take(top)
        .map(|i| LockRow {
            stmt: stmt(&i.statement),
            object: i.object.clone(),
            mode: i.mode.clone(),
            waits: count(i.waits),
            total: duration_ms(i.total_wait_ms),
            total_ms: i.total_wait_ms,
            max: duration_ms(i.max_wait_ms),
            deadlocks: i.deadlocks,
        })
        .collect();
    let t = &a.temp_files;
    let temp = t
        .by_query
        .iter()
        .take(top)
        .map(|q| TempRow {
            stmt: stmt(&Some(q.statement.clone())),
            count: count(q.count),
            total: bytes(q.total_bytes),
            total_bytes: q.total_bytes,
            max: bytes(q.max_bytes),
        })
        .collect();
    let errors = a
        .errors
        .iter()
        .take(top)
        .map(|e| ErrorRow {
            severity: e.severity.clone(),
            sqlstate: e.sqlstate.clone().unwrap_or_else(|| "-".into()),
            message: e.message.clone(),
            count: e.count,
            count_s: count(e.count),
            seen: ts_range(&e.first_ts, &e.last_ts),
            example: stmt(&e.example),
        })
        .collect();
    let c = &a.checkpoints;
    let avg = |total: u64| {
        if c.completed == 0 {
            "-".into()
        } else {
            duration_ms(total as f64 / c.completed as f64)
        }
    };
    let checkpoint_cards = vec![
        Card {
            label: "Checkpoints",
            value: count(c.count),
            note: c
                .by_reason
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", "),
        },
        Card {
            label: "Mean duration",
            value: avg(c.total_ms),
            note: format!(
                "write {}, sync {}; longest {}",
                avg(c.write_ms),
                avg(c.sync_ms),
                duration_ms(c.max_total_ms as f64)
            ),
        },
        Card {
            label: "Written",
            value: count(c.buffers),
            note: format!("buffers; WAL distance {}", bytes(c.distance_kb * 1024)),
        },
        Card {
            label: "Too frequent",
            value: count(c.too_frequent),
            note: c
                .min_seconds_apart
                .map_or("no warning".into(), |s| format!("as little as {s} s apart")),
        },
    ];
    let requested = c.by_reason.get("wal").copied().unwrap_or(0);
    let checkpoint_advice = if c.too_frequent > 0 || (c.count > 0 && requested * 2 > c.count) {
        "Checkpoints are triggered by WAL volume more often than by time: raise max_wal_size (and keep checkpoint_completion_target at 0.9) so they happen on checkpoint_timeout instead; rollback: set it back and reload.".to_string()
    } else {
        String::new()
    };
    let vacuums = a
        .autovacuum
        .by_table
        .iter()
        .take(top)
        .map(|v| VacuumRow {
            table: v.table.clone(),
            vacuums: v.vacuums,
            analyzes: v.analyzes,
            elapsed: duration_ms(v.elapsed_ms as f64),
            pages: count(v.pages_removed),
            tuples: count(v.tuples_removed),
        })
        .collect();
    let plans = a
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
        .collect();
    // A trend needs a few buckets; a log spanning a minute or two has none to show.
    let (timeline, timeline_h) = if audit.activity.timeline.buckets.len() >= 3 {
        timeline_rows(audit)
    } else {
        (Vec::new(), 0.0)
    };
    ActivityPage {
        session_cards,
        session_rows,
        locks_summary: format!(
            "{} waits logged (log_lock_waits), {} acquired after waiting {} in all.",
            count(l.waits),
            count(l.acquired),
            duration_ms(l.total_wait_ms)
        ),
        locks,
        deadlocks_summary: format!("{} deadlock(s).", count(a.deadlocks.count)),
        deadlocks: a
            .deadlocks
            .items
            .iter()
            .take(top)
            .map(|d| DeadlockRow {
                ts: d.ts.clone().unwrap_or_else(|| "-".into()),
                cycle: d.cycle.clone(),
                victim: stmt(&d.victim),
            })
            .collect(),
        temp_summary: format!(
            "{} temporary files, {} in all, the largest {}{}.",
            count(t.count),
            bytes(t.total_bytes),
            bytes(t.max_bytes),
            if t.unattributed_count > 0 {
                format!(
                    "; {} files ({}) were logged without a statement",
                    count(t.unattributed_count),
                    bytes(t.unattributed_bytes)
                )
            } else {
                String::new()
            }
        ),
        temp,
        errors_summary: format!(
            "{} errors in {} kinds.",
            count(a.errors.iter().map(|e| e.count).sum()),
            count(a.errors.len() as u64)
        ),
        errors,
        cancellations: a
            .cancellations
            .iter()
            .map(|(k, v)| format!("{} {}", k.replace('_', " "), count(*v)))
            .collect::<Vec<_>>()
            .join(", "),
        auth: a
            .auth_failures
            .iter()
            .map(|f| (f.user.clone(), f.host.clone(), count(f.count)))
            .collect(),
        checkpoint_cards,
        checkpoint_advice,
        vacuum_summary: format!(
            "{} autovacuum and {} autoanalyze runs on {} tables.",
            count(a.autovacuum.vacuums),
            count(a.autovacuum.analyzes),
            count(a.autovacuum.by_table.len() as u64)
        ),
        vacuums,
        plans,
        timeline,
        timeline_h,
        timeline_from: audit
            .activity
            .timeline
            .buckets
            .first()
            .map(|b| b.0.clone())
            .unwrap_or_default(),
        timeline_to: audit
            .activity
            .timeline
            .buckets
            .last()
            .map(|b| b.0.clone())
            .unwrap_or_default(),
        timeline_bar_w: (760.0 / audit.activity.timeline.buckets.len().max(1) as f64 - 1.0)
            .max(1.0),
        timeline_note: format!(
            "Each bar is {}; rows are scaled separately.",
            bucket_text(a.timeline.bucket_minutes)
        ),
    }
}

/// `90 minutes` / `3 hours` / `78 days`.
fn bucket_text(minutes: i64) -> String {
    match minutes {
        m if m % 1440 == 0 => format!("{} day(s)", m / 1440),
        m if m % 60 == 0 => format!("{} hour(s)", m / 60),
        m => format!("{m} minute(s)"),
    }
}

/// The chart: one row of bars per kind of event.
fn timeline_rows(audit: &Audit) -> (Vec<TimelineRow>, f64) {
    let tl = &audit.activity.timeline;
    let n = tl.buckets.len().max(1) as f64;
    let (x0, w) = (150.0, 760.0);
    let row_h = 34.0;
    let rows: Vec<TimelineRow> = tl
        .kinds
        .iter()
        .enumerate()
        .filter(|(k, _)| tl.buckets.iter().any(|(_, c)| c[*k] > 0))
        .enumerate()
        .map(|(r, (k, kind))| {
            let max = tl
                .buckets
                .iter()
                .map(|(_, c)| c[k])
                .max()
                .unwrap_or(1)
                .max(1) as f64;
            let y = 8.0 + r as f64 * row_h;
            let bars = tl
                .buckets
                .iter()
                .enumerate()
                .filter(|(_, (_, c))| c[k] > 0)
                .map(|(i, (start, c))| {
                    let h = (c[k] as f64 / max * (row_h - 10.0)).max(2.0);
                    (
                        x0 + i as f64 * w / n,
                        y + row_h - 6.0 - h,
                        h,
                        format!("{start}: {} {kind}", c[k]),
                    )
                })
                .collect();
            TimelineRow {
                kind: kind.clone(),
                total: count(tl.buckets.iter().map(|(_, c)| c[k]).sum()),
                y,
                label_y: y + row_h / 2.0,
                bars,
            }
        })
        .collect();
    let h = 30.0 + rows.len() as f64 * row_h;
    (rows, h)
}
