//! "Cache and databases": table, index and database cache hit ratios against
//! the 99% target, per-database counters, and the tables reading the most
//! blocks from outside shared buffers.

use crate::analyze::Audit;
use crate::analyze::stats::CACHE_HIT_TARGET;
use crate::report::rows::{Card, count_or_dash, ratio_or_dash};
use crate::units::{bytes, count};
use askama::Template;

/// Databases with a card of their own (the rest are in the table).
const DATABASE_CARDS: usize = 2;

#[derive(Debug, Clone, Default)]
pub struct DatabaseRow {
    pub database: String,
    pub cache_hit: String,
    pub blocks_read: String,
    pub commits: String,
    pub rollbacks: String,
    pub temp_files: String,
    pub temp_bytes: String,
    pub deadlocks: String,
    pub backends: String,
}

#[derive(Debug, Clone, Default)]
pub struct CacheTableRow {
    pub table: String,
    pub blocks_read: String,
    pub blocks_hit: String,
    pub hit_ratio: String,
}

#[derive(Debug, Default, Template)]
#[template(path = "sections/cache.html")]
pub struct CacheSection {
    pub cache_cards: Vec<Card>,
    pub databases: Vec<DatabaseRow>,
    pub cache_tables: Vec<CacheTableRow>,
}

/// A hit ratio against the target, in words.
fn verdict(r: Option<f64>) -> String {
    match r {
        Some(r) if r >= CACHE_HIT_TARGET => "at or above the 99% target".to_string(),
        Some(_) => "below the 99% target: the working set does not fit in shared_buffers, or large scans evict it".to_string(),
        None => "not exported (pg_statio_user_tables)".to_string(),
    }
}

pub fn build(a: &Audit, _top: usize) -> CacheSection {
    let s = &a.stats;
    let c = &s.cache;
    let mut cache_cards = vec![
        Card {
            label: "Table cache hit",
            value: ratio_or_dash(c.table_hit_ratio),
            note: verdict(c.table_hit_ratio),
        },
        Card {
            label: "Index cache hit",
            value: ratio_or_dash(c.index_hit_ratio),
            note: verdict(c.index_hit_ratio),
        },
    ];
    if c.io_hit_ratio.is_some() {
        cache_cards.push(Card {
            label: "Shared buffers hit (pg_stat_io)",
            value: ratio_or_dash(c.io_hit_ratio),
            note: format!(
                "all backends, cluster-wide, over {} blocks: {}",
                crate::units::count(c.io_blocks.unwrap_or(0)),
                verdict(c.io_hit_ratio)
            ),
        });
    }
    for d in s.databases.iter().take(DATABASE_CARDS) {
        cache_cards.push(Card {
            label: "Database cache hit",
            value: ratio_or_dash(d.cache_hit_ratio),
            note: format!("{}: {}", d.datname, verdict(d.cache_hit_ratio)),
        });
    }
    CacheSection {
        cache_cards,
        databases: s
            .databases
            .iter()
            .map(|d| DatabaseRow {
                database: d.datname.clone(),
                cache_hit: ratio_or_dash(d.cache_hit_ratio),
                blocks_read: count_or_dash(d.blks_read),
                commits: count_or_dash(d.xact_commit),
                rollbacks: ratio_or_dash(d.rollback_ratio),
                temp_files: count_or_dash(d.temp_files),
                temp_bytes: d.temp_bytes.map(bytes).unwrap_or_else(|| "-".into()),
                deadlocks: count_or_dash(d.deadlocks),
                backends: count_or_dash(d.numbackends),
            })
            .collect(),
        cache_tables: c
            .tables
            .iter()
            .map(|x| CacheTableRow {
                table: x.table.clone(),
                blocks_read: count(x.heap_blks_read),
                blocks_hit: count(x.heap_blks_hit),
                hit_ratio: ratio_or_dash(x.hit_ratio),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_verdict_compares_with_the_target() {
        assert_eq!(
            verdict(Some(CACHE_HIT_TARGET)),
            "at or above the 99% target"
        );
        assert!(verdict(Some(0.5)).starts_with("below the 99% target"));
        assert!(verdict(None).starts_with("not exported"));
    }
}
