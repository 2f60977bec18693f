//! "Statements (pg_stat_statements)": every statement counted by the extension,
//! joined to the log's query groups where possible.

use crate::analyze::Audit;
use crate::analyze::stats::CACHE_HIT_TARGET;
use crate::report::rows::ratio_or_dash;
use crate::units::{count, duration_ms, opt_duration_ms, percent};
use askama::Template;
use std::collections::HashSet;

#[derive(Debug, Clone, Default)]
pub struct StatementRow {
    pub rank: usize,
    pub normalized: String,
    pub fingerprint: String,
    /// `user@database`.
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
    /// The log group, when it is listed in the top-queries table.
    pub log_link: String,
}

#[derive(Debug, Default, Template)]
#[template(path = "sections/statements.html")]
pub struct StatementsSection {
    pub statements: Vec<StatementRow>,
    /// Entries beyond the `top` listed.
    pub statements_more: usize,
    pub statements_summary: String,
}

pub fn build(a: &Audit, top: usize) -> StatementsSection {
    let s = &a.stats;
    let listed: HashSet<&str> = a
        .queries
        .iter()
        .take(top)
        .map(|q| q.fingerprint.as_str())
        .collect();
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
            hit: ratio_or_dash(x.shared_hit_ratio),
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
    StatementsSection {
        statements_more: s.statements.len().saturating_sub(statements.len()),
        statements,
        statements_summary: summary(a),
    }
}

/// Totals of the export and how its entries joined the log's query groups.
fn summary(a: &Audit) -> String {
    let Some(x) = &a.stats.statements_summary else {
        return String::new();
    };
    format!(
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
    )
}
