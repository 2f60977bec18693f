//! The [`Merge`] trait: how two partial results of the same kind combine, with
//! `Default` as the identity, so threads, files and saved partial results
//! combine the same way in any order. A bottom module (it uses no other module
//! of the crate), with the impls for counters and containers: counters add up,
//! maps merge their values key by key, sets unite, vectors append and arrays
//! and pairs merge element by element.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::{BuildHasher, Hash};

/// Combine two partial results of the same kind. `Default` must be the identity.
pub trait Merge {
    fn merge(&mut self, other: Self);
}

/// A counter: counts add up.
impl Merge for u64 {
    fn merge(&mut self, other: Self) {
        *self = self.saturating_add(other);
    }
}

/// Values of the same key merge; a key of `other` alone is taken as is.
impl<K: Ord, V: Merge> Merge for BTreeMap<K, V> {
    fn merge(&mut self, other: Self) {
        use std::collections::btree_map::Entry;
        for (k, v) in other {
            match self.entry(k) {
                Entry::Occupied(mut e) => e.get_mut().merge(v),
                Entry::Vacant(e) => {
                    e.insert(v);
                }
            }
        }
    }
}

/// Values of the same key merge; a key of `other` alone is taken as is (for
/// any hasher: `FxHashMap` too).
impl<K: Eq + Hash, V: Merge, S: BuildHasher> Merge for HashMap<K, V, S> {
    fn merge(&mut self, other: Self) {
        use std::collections::hash_map::Entry;
        for (k, v) in other {
            match self.entry(k) {
                Entry::Occupied(mut e) => e.get_mut().merge(v),
                Entry::Vacant(e) => {
                    e.insert(v);
                }
            }
        }
    }
}

/// The union.
impl<T: Ord> Merge for BTreeSet<T> {
    fn merge(&mut self, other: Self) {
        self.extend(other);
    }
}

/// `other`'s items after this one's.
impl<T> Merge for Vec<T> {
    fn merge(&mut self, other: Self) {
        self.extend(other);
    }
}

/// Element by element.
impl<T: Merge, const N: usize> Merge for [T; N] {
    fn merge(&mut self, other: Self) {
        for (a, b) in self.iter_mut().zip(other) {
            a.merge(b);
        }
    }
}

/// Element by element.
impl<A: Merge, B: Merge> Merge for (A, B) {
    fn merge(&mut self, other: Self) {
        self.0.merge(other.0);
        self.1.merge(other.1);
    }
}

#[cfg(test)]
mod tests;
