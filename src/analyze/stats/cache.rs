//! Cache hit ratios from `pg_statio_user_tables`: heap and index blocks found in
//! shared buffers over all user tables (the lowest database's ratio when there
//! are several), and the tables reading the most blocks from outside them.

use super::ident::qualified;
use super::ratio;
use crate::stats::snapshot::DatabaseStats;
use serde::{Deserialize, Serialize};

/// PgHero's and pgCluu's threshold for a cache hit ratio.
pub const CACHE_HIT_TARGET: f64 = 0.99;
/// Tables listed, most blocks read first.
const TABLES_SHOWN: usize = 10;

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct CacheView {
    pub target: f64,
    /// Heap blocks found in shared buffers, all user tables.
    pub table_hit_ratio: Option<f64>,
    /// Heap blocks hit or read in the database whose ratio `table_hit_ratio` is
    /// (how much traffic it rests on).
    #[serde(default)]
    pub table_blocks: Option<u64>,
    pub index_hit_ratio: Option<f64>,
    /// Relation blocks found in shared buffers by every backend, cluster-wide,
    /// from pg_stat_io (16+), and the blocks it rests on.
    #[serde(default)]
    pub io_hit_ratio: Option<f64>,
    #[serde(default)]
    pub io_blocks: Option<u64>,
    /// Tables reading the most blocks from outside shared buffers.
    pub tables: Vec<TableCache>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TableCache {
    pub table: String,
    pub heap_blks_read: u64,
    pub heap_blks_hit: u64,
    pub hit_ratio: Option<f64>,
}

/// Adds one database's tables to `cache`; its ratios replace the view's when lower.
pub(super) fn cache(cache: &mut CacheView, d: &DatabaseStats) {
    let mut heap = (0u64, 0u64);
    let mut idx = (0u64, 0u64);
    for t in &d.view.tables {
        if let (Some(h), Some(r)) = (t.heap_blks_hit, t.heap_blks_read) {
            heap.0 += h;
            heap.1 += r;
            cache.tables.push(TableCache {
                table: qualified(&t.schema, &t.name),
                heap_blks_read: r,
                heap_blks_hit: h,
                hit_ratio: ratio(h, r),
            });
        }
        if let (Some(h), Some(r)) = (t.idx_blks_hit, t.idx_blks_read) {
            idx.0 += h;
            idx.1 += r;
        }
    }
    if heap != (0, 0) {
        let lower = lowest(cache.table_hit_ratio, heap);
        if lower != cache.table_hit_ratio {
            cache.table_blocks = Some(heap.0 + heap.1);
        }
        cache.table_hit_ratio = lower;
    }
    if idx != (0, 0) {
        cache.index_hit_ratio = lowest(cache.index_hit_ratio, idx);
    }
}

/// The cluster's shared-buffer hit ratio from the first export holding
/// pg_stat_io: hits and reads of relations (not temporary ones), all backends.
pub(super) fn io(cache: &mut CacheView, dbs: &[DatabaseStats]) {
    let Some(d) = super::preferred(dbs)
        .into_iter()
        .find(|d| !d.view.io.is_empty())
    else {
        return;
    };
    let (hit, read) = d
        .view
        .io
        .iter()
        .filter(|r| r.object == "relation")
        .fold((0, 0), |(h, rd), r| {
            (h + r.hits.unwrap_or(0), rd + r.reads.unwrap_or(0))
        });
    cache.io_hit_ratio = ratio(hit, read);
    cache.io_blocks = Some(hit + read);
}

/// The lower of `prev` and the ratio of `(hit, read)`.
fn lowest(prev: Option<f64>, (hit, read): (u64, u64)) -> Option<f64> {
    ratio(hit, read).map(|x| prev.map_or(x, |p| p.min(x)))
}

/// Once every database is in: the tables reading most, and the target.
pub(super) fn finish(cache: &mut CacheView) {
    cache.tables.sort_by(|a, b| {
        b.heap_blks_read
            .cmp(&a.heap_blks_read)
            .then(a.table.cmp(&b.table))
    });
    cache.tables.truncate(TABLES_SHOWN);
    cache.target = CACHE_HIT_TARGET;
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{db, snapshot};
    use super::*;
    use crate::stats::records::Table;

    fn table(name: &str, heap: Option<(u64, u64)>, idx: Option<(u64, u64)>) -> Table {
        Table {
            schema: "public".into(),
            name: name.into(),
            heap_blks_hit: heap.map(|h| h.0),
            heap_blks_read: heap.map(|h| h.1),
            idx_blks_hit: idx.map(|i| i.0),
            idx_blks_read: idx.map(|i| i.1),
            ..Default::default()
        }
    }

    fn export(tables: Vec<Table>) -> DatabaseStats {
        let mut s = snapshot("shop", &["pg_statio_user_tables"]);
        s.tables = tables;
        db(s, None, None)
    }

    #[test]
    fn ratios_sum_the_tables_and_keep_the_lowest_database() {
        let mut c = CacheView::default();
        cache(
            &mut c,
            &export(vec![
                table("a", Some((90, 10)), Some((99, 1))),
                table("b", Some((10, 0)), None),
                table("c", None, None),
            ]),
        );
        assert_eq!(c.table_hit_ratio, Some(0.909091));
        assert_eq!(c.table_blocks, Some(110));
        assert_eq!(c.index_hit_ratio, Some(0.99));
        assert_eq!(c.tables.len(), 2);
        cache(
            &mut c,
            &export(vec![table("d", Some((50, 50)), Some((1, 0)))]),
        );
        assert_eq!(c.table_hit_ratio, Some(0.5));
        assert_eq!(
            c.table_blocks,
            Some(100),
            "the blocks of the lowest database"
        );
        assert_eq!(c.index_hit_ratio, Some(0.99));
        // a higher ratio elsewhere changes neither
        cache(&mut c, &export(vec![table("e", Some((900, 0)), None)]));
        assert_eq!((c.table_hit_ratio, c.table_blocks), (Some(0.5), Some(100)));
    }

    #[test]
    fn no_block_access_leaves_the_ratios_null() {
        let mut c = CacheView::default();
        cache(
            &mut c,
            &export(vec![table("a", Some((0, 0)), Some((0, 0)))]),
        );
        assert_eq!((c.table_hit_ratio, c.index_hit_ratio), (None, None));
        assert_eq!(c.tables[0].hit_ratio, None);
    }

    #[test]
    fn the_ten_tables_reading_most_are_kept() {
        let mut c = CacheView::default();
        let tables = (0..12)
            .map(|i| table(&format!("t{i:02}"), Some((1, i)), None))
            .collect();
        cache(&mut c, &export(tables));
        finish(&mut c);
        assert_eq!(c.target, CACHE_HIT_TARGET);
        assert_eq!(c.tables.len(), 10);
        assert_eq!(c.tables[0].table, "public.t11");
        assert_eq!(c.tables[9].table, "public.t02");
    }
}
