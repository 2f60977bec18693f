//! Normalizations of statement texts remembered while logs are read: the
//! bounded cache that spares normalizing the same text again (on the workers
//! that normalize ahead, and on the thread that folds in order).

use crate::normalize::{Normalized, normalize};
use std::sync::Arc;

/// Statement texts and their normalizations.
pub type NormalizedMemo = rustc_hash::FxHashMap<String, Arc<Normalized>>;

/// Normalizations of recent statement texts, bounded in entries and in bytes
/// (cleared when full): a log of huge one-off statements must not grow it.
/// A text is kept from its second sighting on: most texts with their values
/// inline are seen once, and keeping them would cost a copy each and push
/// out the texts that do come back (prepared statements, `BEGIN`, ...).
#[derive(Default)]
pub struct NormalizedCache {
    memo: NormalizedMemo,
    bytes: usize,
    /// Hashes of texts seen once and not kept (bounded: cleared when full).
    seen_once: rustc_hash::FxHashSet<u64>,
}

impl NormalizedCache {
    /// Most texts kept.
    const ENTRIES: usize = 4096;
    /// Most bytes of text kept (each text's normalization is about as long).
    const BYTES: usize = 4 << 20;
    /// Longer texts are not kept at all.
    const LONGEST: usize = 16 << 10;
    /// Most texts remembered as seen once.
    const SEEN_ONCE: usize = 1 << 16;

    /// `sql`'s normalization, computed when not known, and kept when seen before.
    pub fn normalized(&mut self, sql: &str) -> Arc<Normalized> {
        if let Some(n) = self.memo.get(sql) {
            return n.clone();
        }
        let n = Arc::new(normalize(sql));
        if sql.len() <= Self::LONGEST && self.seen_before(sql) {
            if self.memo.len() >= Self::ENTRIES || self.bytes + sql.len() > Self::BYTES {
                self.memo.clear();
                self.bytes = 0;
            }
            self.bytes += sql.len();
            self.memo.insert(sql.to_string(), n.clone());
        }
        n
    }

    /// Whether `sql` (not kept) was seen once already; else it is noted.
    fn seen_before(&mut self, sql: &str) -> bool {
        use std::hash::BuildHasher;
        let h = rustc_hash::FxBuildHasher.hash_one(sql);
        if self.seen_once.remove(&h) {
            return true;
        }
        if self.seen_once.len() >= Self::SEEN_ONCE {
            self.seen_once.clear();
        }
        self.seen_once.insert(h);
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_normalization_cache_stays_bounded_and_answers_like_normalize() {
        let mut c = NormalizedCache::default();
        // a text too long to keep is still normalized
        let long = format!("SELECT '{}'", "x".repeat(NormalizedCache::LONGEST));
        assert_eq!(c.normalized(&long).key, normalize(&long).key);
        assert!(c.memo.is_empty());
        // many texts, each seen twice (kept): never more than the entry
        // limit, and answers unchanged
        for i in 0..NormalizedCache::ENTRIES + 10 {
            let sql = format!("SELECT {i} FROM t{i}");
            for _ in 0..2 {
                assert_eq!(c.normalized(&sql).key, format!("select $1 from t{i}"));
            }
            assert!(c.memo.len() <= NormalizedCache::ENTRIES);
        }
        assert!(c.memo.len() > 1);
        // big texts: never more than the byte limit
        let big = "y".repeat(NormalizedCache::LONGEST - 20);
        for i in 0..2 * NormalizedCache::BYTES / NormalizedCache::LONGEST {
            for _ in 0..2 {
                c.normalized(&format!("SELECT '{big}' AS c{i}"));
            }
            assert!(c.bytes <= NormalizedCache::BYTES);
            assert_eq!(c.bytes, c.memo.keys().map(String::len).sum::<usize>());
        }
        assert!(c.bytes > NormalizedCache::BYTES / 2);
    }

    #[test]
    fn the_normalization_cache_keeps_what_comes_back_through_a_flood_of_one_off_texts() {
        let mut c = NormalizedCache::default();
        let hot = "SELECT abalance FROM pgbench_accounts WHERE aid = $1";
        c.normalized(hot);
        // seen once: not kept
        assert!(c.memo.is_empty());
        c.normalized(hot);
        assert!(c.memo.contains_key(hot));
        // more one-off texts (values inline) than the cache holds: none is
        // kept, so the text that comes back is not pushed out
        for i in 0..3 * NormalizedCache::ENTRIES {
            let sql = format!("UPDATE t SET v = {i} WHERE id = {}", i * 7);
            assert_eq!(c.normalized(&sql).key, "update t set v = $1 where id = $2");
        }
        assert_eq!(c.memo.len(), 1);
        assert!(c.memo.contains_key(hot));
        // the one-off texts remembered stay bounded too
        for i in 0..2 * NormalizedCache::SEEN_ONCE {
            c.normalized(&format!("SELECT {i}"));
            assert!(c.seen_once.len() <= NormalizedCache::SEEN_ONCE);
        }
    }
}
