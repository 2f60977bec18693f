//! View models for the statistics sections of the HTML report: pg_stat_statements,
//! indexes, tables, cache and databases, sessions and blocking, checkpoints, and
//! the statistics window. Values pre-formatted; text is escaped by askama.

use super::html::Card;
use crate::analyze::Audit;
use crate::analyze::stats::CACHE_HIT_TARGET;
use crate::units::{bytes, count, duration_ms, opt_duration_ms, percent};

pub struct StatementRow {
    pub rank: usize,
    pub normalized: String,
    pub fingerprint: String,
    pub who: String,
    pub calls: u64,
    pub calls_s: String,
    pub total_ms: f64,
    pub total: String,
    pub mean_ms: f64,
    pub mean: String,
    pub rows_per_call: String,
    pub share: String,
    pub hit: String,
    pub hit_low: bool,
    pub temp: String,
    pub io: String,
    /// Log percentiles when joined, or why not.
    pub log: String,
    /// The log group is listed in the top-queries table.
    pub log_link: String,
}

/// A finding row: a name, what it is, and the SQL to change and roll back.
pub struct IndexRow {
    pub kind: &'static str,
    pub index: String,
    pub table: String,
    pub detail: String,
    pub size: String,
    pub change: String,
    pub rollback: String,
}

pub struct Simple {
    pub cells: Vec<String>,
}

pub struct StatsPage {
    pub present: bool,
    pub window: String,
    pub window_caveat: String,
    pub resets: Vec<String>,
    pub statements: Vec<StatementRow>,
    pub statements_more: usize,
    pub statements_summary: String,
    pub index_rows: Vec<IndexRow>,
    pub index_summary: String,
    pub kept: Vec<Simple>,
    pub write_overhead: Vec<Simple>,
    pub index_limits: Vec<String>,
    pub seq_tables: Vec<Simple>,
    pub maintenance: Vec<Simple>,
    pub hot: Vec<Simple>,
    pub tables_summary: String,
    pub cache_cards: Vec<Card>,
    pub databases: Vec<Simple>,
    pub cache_tables: Vec<Simple>,
    pub session_cards: Vec<Card>,
    pub session_present: bool,
    pub by_state: String,
    pub pool: String,
    pub sessions: Vec<Simple>,
    pub blocked: Vec<Simple>,
    pub checkpoint_cards: Vec<Card>,
    pub checkpoint_advice: String,
}

fn ratio_s(r: Option<f64>) -> String {
    r.map_or_else(|| "-".into(), percent)
}

fn opt_count(n: Option<u64>) -> String {
    n.map_or_else(|| "-".into(), count)
}

pub fn build(a: &Audit, top: usize) -> StatsPage {
    let s = &a.stats;
    let Some(w) = &s.stats_window else {
        return StatsPage {
            present: false,
            window: String::new(),
            window_caveat: String::new(),
            resets: Vec::new(),
            statements: Vec::new(),
            statements_more: 0,
            statements_summary: String::new(),
            index_rows: Vec::new(),
            index_summary: String::new(),
            kept: Vec::new(),
            write_overhead: Vec::new(),
            index_limits: Vec::new(),
            seq_tables: Vec::new(),
            maintenance: Vec::new(),
            hot: Vec::new(),
            tables_summary: String::new(),
            cache_cards: Vec::new(),
            databases: Vec::new(),
            cache_tables: Vec::new(),
            session_cards: Vec::new(),
            session_present: false,
            by_state: String::new(),
            pool: String::new(),
            sessions: Vec::new(),
            blocked: Vec::new(),
            checkpoint_cards: Vec::new(),
            checkpoint_advice: String::new(),
        };
    };
    let listed: std::collections::HashSet<&str> = a
        .queries
        .iter()
        .take(top)
        .map(|q| q.fingerprint.as_str())
        .collect();
    let dbs: Vec<String> = w
        .databases
        .iter()
        .map(|d| {
            format!(
                "{}{} ({} snapshot{})",
                d.database.as_deref().unwrap_or("database not named"),
                d.server
                    .as_deref()
                    .map(|s| format!(" on {s}"))
                    .unwrap_or_default(),
                d.snapshots,
                if d.snapshots == 1 { "" } else { "s" }
            )
        })
        .collect();
    let window = format!(
        "{} to {}: {} ({})",
        w.start
            .as_deref()
            .unwrap_or("last statistics reset (time unknown)"),
        w.end.as_deref().unwrap_or("?"),
        match w.source {
            crate::stats::snapshot::WindowSource::Snapshots =>
                "deltas between the first and last snapshot",
            crate::stats::snapshot::WindowSource::StatsReset => "totals since the statistics reset",
            crate::stats::snapshot::WindowSource::Unknown => "totals since an unknown time",
        },
        dbs.join("; ")
    );
    let statements: Vec<StatementRow> = s
        .statements
        .iter()
        .take(top)
        .map(|x| StatementRow {
            rank: x.rank,
            normalized: x.normalized.clone(),
            fingerprint: x.fingerprint.clone(),
            who: format!(
                "{}@{}",
                x.user.as_deref().unwrap_or("?"),
                x.database.as_deref().unwrap_or("?")
            ),
            calls: x.calls,
            calls_s: count(x.calls),
            total_ms: x.total_ms,
            total: duration_ms(x.total_ms),
            mean_ms: x.mean_ms,
            mean: duration_ms(x.mean_ms),
            rows_per_call: format!("{:.1}", x.rows_per_call),
            share: percent(x.share),
            hit: ratio_s(x.shared_hit_ratio),
            hit_low: x.shared_hit_ratio.is_some_and(|r| r < CACHE_HIT_TARGET),
            temp: if x.temp_blks_written > 0 {
                format!("{} blocks written", count(x.temp_blks_written))
            } else {
                "-".into()
            },
            io: if x.io_ms > 0.0 {
                duration_ms(x.io_ms)
            } else {
                "-".into()
            },
            log: match &x.joined_by {
                Some(how) => format!(
                    "{} logged; p50 {}, p95 {}, p99 {} (joined by {how})",
                    count(x.log_count.unwrap_or(0)),
                    opt_duration_ms(x.log_p50_ms),
                    opt_duration_ms(x.log_p95_ms),
                    opt_duration_ms(x.log_p99_ms)
                ),
                None => "not in the log".into(),
            },
            log_link: x
                .log_group
                .as_deref()
                .filter(|g| listed.contains(g))
                .unwrap_or_default()
                .to_string(),
        })
        .collect();
    let statements_summary = match &s.statements_summary {
        Some(x) => format!(
            "{} entries, {} calls, {} in total (plan + execution){}. Joined to log groups: {} by queryid, {} by normalized text; {} not in the log (under log_min_duration_statement, or no log given); {} log groups have no entry here.{}",
            count(x.entries as u64),
            count(x.calls),
            duration_ms(x.total_ms),
            x.pgss_version
                .as_deref()
                .map(|v| format!(", pg_stat_statements {v}"))
                .unwrap_or_default(),
            count(x.joined_by_queryid as u64),
            count(x.joined_by_normalized as u64),
            count(x.not_joined as u64),
            count(x.log_groups_not_in_statements as u64),
            match x.dealloc {
                Some(d) if d > 0 => format!(
                    " {} entries were evicted (dealloc): raise pg_stat_statements.max, totals miss some statements.",
                    count(d)
                ),
                _ => String::new(),
            }
        ),
        None => String::new(),
    };
    let ix = &s.indexes;
    let mut index_rows = Vec::new();
    for x in &ix.invalid {
        index_rows.push(IndexRow {
            kind: "invalid",
            index: x.index.clone(),
            table: x.table.clone(),
            detail:
                "a failed CREATE INDEX CONCURRENTLY left it: written on every change, never read"
                    .into(),
            size: x.bytes.map(bytes).unwrap_or_default(),
            change: format!("{} -- then build it again if it is needed", x.drop),
            rollback: x.rollback.clone(),
        });
    }
    for x in &ix.duplicates {
        index_rows.push(IndexRow {
            kind: "duplicate",
            index: x.index.clone(),
            table: x.table.clone(),
            detail: format!(
                "same columns ({}) as {}; scanned {} times",
                x.columns.join(", "),
                x.duplicate_of,
                opt_count(x.idx_scan)
            ),
            size: x.bytes.map(bytes).unwrap_or_default(),
            change: x.drop.clone(),
            rollback: x.rollback.clone(),
        });
    }
    for x in &ix.redundant {
        index_rows.push(IndexRow {
            kind: "redundant",
            index: x.index.clone(),
            table: x.table.clone(),
            detail: format!(
                "({}) is a left prefix of {} ({}); scanned {} times (those scans can use the longer index)",
                x.columns.join(", "),
                x.covered_by,
                x.covering_columns.join(", "),
                opt_count(x.idx_scan)
            ),
            size: x.bytes.map(bytes).unwrap_or_default(),
            change: x.drop.clone(),
            rollback: x.rollback.clone(),
        });
    }
    for x in &ix.unused {
        index_rows.push(IndexRow {
            kind: "unused",
            index: x.index.clone(),
            table: x.table.clone(),
            detail: format!("({}): 0 scans in the window", x.columns.join(", ")),
            size: x.bytes.map(bytes).unwrap_or_default(),
            change: x.drop.clone(),
            rollback: x.rollback.clone(),
        });
    }
    for x in &ix.fk_without_index {
        index_rows.push(IndexRow {
            kind: "foreign key without index",
            index: x.constraint.clone(),
            table: x.table.clone(),
            detail: format!(
                "({}) references {}: deletes and key updates there scan this table",
                x.columns.join(", "),
                x.referenced.as_deref().unwrap_or("?")
            ),
            size: String::new(),
            change: x.create.clone(),
            rollback: x.rollback.clone(),
        });
    }
    let index_summary = format!(
        "{} index definitions read: {} unused, {} duplicate, {} redundant, {} invalid; {} never-scanned indexes kept on purpose (below).",
        count(ix.count as u64),
        ix.unused.len(),
        ix.duplicates.len(),
        ix.redundant.len(),
        ix.invalid.len(),
        ix.not_flagged.len()
    );
    let kept = ix
        .not_flagged
        .iter()
        .map(|k| Simple {
            cells: vec![k.index.clone(), k.table.clone(), k.reason.clone()],
        })
        .collect();
    let write_overhead = ix
        .write_overhead
        .iter()
        .map(|x| Simple {
            cells: vec![
                x.table.clone(),
                count(x.indexes as u64),
                count(x.writes),
                x.writes_per_s
                    .map_or_else(|| "-".into(), |w| format!("{w:.1}/s")),
                ratio_s(x.hot_update_ratio),
                x.note.clone(),
            ],
        })
        .collect();
    let t = &s.tables;
    let seq_tables = t
        .seq_scan_heavy
        .iter()
        .map(|x| Simple {
            cells: vec![
                x.table.clone(),
                count(x.seq_scan),
                count(x.seq_tup_read),
                count(x.n_live_tup),
                count(x.rows_per_seq_scan.round() as u64),
                percent(x.index_usage),
                x.table_bytes.map(bytes).unwrap_or_else(|| "-".into()),
                {
                    let n: Vec<String> = x
                        .statements
                        .iter()
                        .filter_map(|fp| s.statements.iter().find(|st| &st.fingerprint == fp))
                        .map(|st| {
                            format!(
                                "{} ({} calls, {})",
                                st.normalized.chars().take(120).collect::<String>(),
                                count(st.calls),
                                duration_ms(st.total_ms)
                            )
                        })
                        .collect();
                    if n.is_empty() {
                        "-".into()
                    } else {
                        n.join("\n")
                    }
                },
            ],
        })
        .collect();
    let maintenance = t
        .maintenance
        .iter()
        .map(|x| Simple {
            cells: vec![
                x.table.clone(),
                count(x.n_live_tup),
                count(x.n_dead_tup),
                percent(x.dead_ratio),
                x.last_vacuum.clone().unwrap_or_else(|| "never".into()),
                x.last_analyze.clone().unwrap_or_else(|| "never".into()),
                x.problems.join("; "),
            ],
        })
        .collect();
    let hot = t
        .hot_updates
        .iter()
        .map(|x| Simple {
            cells: vec![
                x.table.clone(),
                count(x.n_tup_upd),
                count(x.n_tup_hot_upd),
                percent(x.hot_update_ratio),
            ],
        })
        .collect();
    let tables_summary = format!(
        "{} tables read; {} read mostly by sequential scans over {} rows or more, {} with dead tuples or stale statistics, {} with few HOT updates.",
        count(t.count as u64),
        t.seq_scan_heavy.len(),
        count(crate::analyze::stats::SEQ_SCAN_MIN_ROWS),
        t.maintenance.len(),
        t.hot_updates.len()
    );
    let c = &s.cache;
    let verdict = |r: Option<f64>| {
        match r {
        Some(r) if r >= CACHE_HIT_TARGET => "at or above the 99% target".to_string(),
        Some(_) => "below the 99% target: the working set does not fit in shared_buffers, or large scans evict it".to_string(),
        None => "not exported (pg_statio_user_tables)".to_string(),
    }
    };
    let mut cache_cards = vec![
        Card {
            label: "Table cache hit",
            value: ratio_s(c.table_hit_ratio),
            note: verdict(c.table_hit_ratio),
        },
        Card {
            label: "Index cache hit",
            value: ratio_s(c.index_hit_ratio),
            note: verdict(c.index_hit_ratio),
        },
    ];
    for d in s.databases.iter().take(2) {
        cache_cards.push(Card {
            label: "Database cache hit",
            value: ratio_s(d.cache_hit_ratio),
            note: format!("{}: {}", d.datname, verdict(d.cache_hit_ratio)),
        });
    }
    let databases = s
        .databases
        .iter()
        .map(|d| Simple {
            cells: vec![
                d.datname.clone(),
                ratio_s(d.cache_hit_ratio),
                opt_count(d.blks_read),
                opt_count(d.xact_commit),
                ratio_s(d.rollback_ratio),
                opt_count(d.temp_files),
                d.temp_bytes.map(bytes).unwrap_or_else(|| "-".into()),
                opt_count(d.deadlocks),
                opt_count(d.numbackends),
            ],
        })
        .collect();
    let cache_tables = c
        .tables
        .iter()
        .map(|x| Simple {
            cells: vec![
                x.table.clone(),
                count(x.heap_blks_read),
                count(x.heap_blks_hit),
                ratio_s(x.hit_ratio),
            ],
        })
        .collect();
    let (session_cards, by_state, pool, sessions, blocked, session_present) = match &s.activity {
        None => (
            Vec::new(),
            String::new(),
            String::new(),
            Vec::new(),
            Vec::new(),
            false,
        ),
        Some(n) => {
            let idle_tx = n.idle_in_transaction.len() as u64;
            let cards = vec![
                Card {
                    label: "Client sessions",
                    value: count(n.total),
                    note: match n.max_connections {
                        Some(m) => format!(
                            "of max_connections {} ({})",
                            count(m),
                            percent(n.total as f64 / m.max(1) as f64)
                        ),
                        None => format!("at {}", n.snapshot_at.as_deref().unwrap_or("?")),
                    },
                },
                Card {
                    label: "Active",
                    value: count(n.by_state.get("active").copied().unwrap_or(0)),
                    note: "running a statement at the snapshot".into(),
                },
                Card {
                    label: "Idle in transaction",
                    value: count(idle_tx),
                    note: "hold locks and snapshots while the application does something else"
                        .into(),
                },
                Card {
                    label: "Blocked",
                    value: count(n.blocked.len() as u64),
                    note: format!(
                        "blocked/blocking pairs; {} locks not granted",
                        count(n.locks_waiting)
                    ),
                },
            ];
            let by_state = n
                .by_state
                .iter()
                .map(|(k, v)| format!("{k} {}", count(*v)))
                .collect::<Vec<_>>()
                .join(", ");
            let pool = match &n.pool {
                Some(p) => format!(
                    "With {} CPU cores, {}-{} active connections keep every core busy without queueing inside PostgreSQL (2-3x cores). At the snapshot: {} sessions, {} active: {}.",
                    p.cpu_cores,
                    p.recommended_min,
                    p.recommended_max,
                    count(p.connections),
                    count(p.active),
                    match p.verdict.as_str() {
                        "saturated" =>
                            "more active sessions than the cores can run: they queue for CPU; cap the pool",
                        "oversized" =>
                            "far more sessions than needed: put a pooler (PgBouncer, transaction mode) in front and size it to the cores",
                        _ => "within what the cores can serve",
                    }
                ),
                None => "Pool sizing needs the server's core count: pass --cpu-cores N.".into(),
            };
            let mut rows: Vec<Simple> = Vec::new();
            for (label, list) in [
                ("idle in transaction", &n.idle_in_transaction),
                ("long-running", &n.long_running),
                ("waiting for a lock", &n.waiting),
            ] {
                for x in list.iter().take(top) {
                    rows.push(Simple {
                        cells: vec![
                            label.to_string(),
                            x.pid.map(|p| p.to_string()).unwrap_or_default(),
                            format!(
                                "{}@{} {}",
                                x.user.as_deref().unwrap_or("?"),
                                x.database.as_deref().unwrap_or("?"),
                                x.app.as_deref().unwrap_or("")
                            ),
                            x.duration_ms
                                .map_or_else(|| "-".into(), |d| duration_ms(d as f64)),
                            x.wait.clone().unwrap_or_default(),
                            x.query.clone().unwrap_or_default(),
                        ],
                    });
                }
            }
            let blocked = n
                .blocked
                .iter()
                .take(top)
                .map(|b| Simple {
                    cells: vec![
                        b.blocked_pid.to_string(),
                        b.blocked_query.clone().unwrap_or_default(),
                        b.blocking_pid.to_string(),
                        b.blocking_state.clone().unwrap_or_default(),
                        b.blocking_query.clone().unwrap_or_default(),
                    ],
                })
                .collect();
            (cards, by_state, pool, rows, blocked, true)
        }
    };
    let (checkpoint_cards, checkpoint_advice) = match &s.checkpointer {
        None => (Vec::new(), String::new()),
        Some(c) => (
            vec![
                Card {
                    label: "Timed checkpoints",
                    value: opt_count(c.timed),
                    note: "started by checkpoint_timeout".into(),
                },
                Card {
                    label: "Requested checkpoints",
                    value: opt_count(c.requested),
                    note: format!(
                        "{} of all: started by WAL volume (max_wal_size) or by hand",
                        ratio_s(c.requested_share)
                    ),
                },
                Card {
                    label: "Checkpoint write + sync",
                    value: duration_ms(c.write_ms.unwrap_or(0.0) + c.sync_ms.unwrap_or(0.0)),
                    note: format!("{} buffers written", opt_count(c.buffers_checkpoint)),
                },
                Card {
                    label: "Buffers written by backends",
                    value: opt_count(c.buffers_backend),
                    note: "backends writing their own buffers: the background writer is behind (not counted since PostgreSQL 17)".into(),
                },
            ],
            if c.too_many_requested {
                "More than 10% of checkpoints were requested, not timed: WAL fills max_wal_size before checkpoint_timeout. Raise max_wal_size (rollback: set it back; both take effect on reload).".into()
            } else {
                String::new()
            },
        ),
    };
    StatsPage {
        present: true,
        window,
        window_caveat: w.caveat.clone(),
        resets: w.resets.clone(),
        statements_more: s.statements.len().saturating_sub(statements.len()),
        statements,
        statements_summary,
        index_rows,
        index_summary,
        kept,
        write_overhead,
        index_limits: ix.limits.clone(),
        seq_tables,
        maintenance,
        hot,
        tables_summary,
        cache_cards,
        databases,
        cache_tables,
        session_cards,
        session_present,
        by_state,
        pool,
        sessions,
        blocked,
        checkpoint_cards,
        checkpoint_advice,
    }
}
