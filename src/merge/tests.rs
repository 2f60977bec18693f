use super::*;

/// `a` merged with `b`.
fn merged<T: Merge>(mut a: T, b: T) -> T {
    a.merge(b);
    a
}

/// `Default` is the identity on either side, and merging is associative.
fn check_laws<T: Merge + Default + Clone + PartialEq + std::fmt::Debug>(a: T, b: T, c: T) {
    assert_eq!(merged(T::default(), a.clone()), a);
    assert_eq!(merged(a.clone(), T::default()), a);
    let left = merged(merged(a.clone(), b.clone()), c.clone());
    let right = merged(a, merged(b, c));
    assert_eq!(left, right);
}

#[test]
fn counters_add_up() {
    assert_eq!(merged(2u64, 3), 5);
    check_laws(1u64, 2, 3);
}

#[test]
fn btree_maps_merge_values_key_by_key() {
    let m = |kv: &[(&str, u64)]| -> BTreeMap<String, u64> {
        kv.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    };
    let (a, b, c) = (
        m(&[("x", 1), ("y", 2)]),
        m(&[("y", 10), ("z", 5)]),
        m(&[("x", 100)]),
    );
    assert_eq!(
        merged(a.clone(), b.clone()),
        m(&[("x", 1), ("y", 12), ("z", 5)])
    );
    check_laws(a, b, c);
}

#[test]
fn hash_maps_merge_values_key_by_key_with_any_hasher() {
    let m = |kv: &[(i64, [u64; 2])]| -> HashMap<i64, [u64; 2], rustc_hash::FxBuildHasher> {
        kv.iter().copied().collect()
    };
    let (a, b, c) = (
        m(&[(1, [1, 0]), (2, [0, 1])]),
        m(&[(2, [5, 5])]),
        m(&[(3, [7, 7]), (1, [1, 1])]),
    );
    let ab = merged(a.clone(), b.clone());
    assert_eq!(ab[&1], [1, 0]);
    assert_eq!(ab[&2], [5, 6]);
    assert_eq!(ab.len(), 2);
    check_laws(a, b, c);
    // std's hasher too
    let s: HashMap<&str, u64> = [("a", 1)].into_iter().collect();
    assert_eq!(merged(s.clone(), s)["a"], 2);
}

#[test]
fn nested_maps_merge_all_the_way_down() {
    let inner = |k: &str, v: u64| -> BTreeMap<String, u64> { [(k.to_string(), v)].into() };
    let a: BTreeMap<u32, BTreeMap<String, u64>> = [(1, inner("p", 1))].into();
    let b: BTreeMap<u32, BTreeMap<String, u64>> = [(1, inner("p", 2)), (2, inner("q", 3))].into();
    let c: BTreeMap<u32, BTreeMap<String, u64>> = [(1, inner("r", 4))].into();
    let ab = merged(a.clone(), b.clone());
    assert_eq!(ab[&1]["p"], 3);
    assert_eq!(ab[&2]["q"], 3);
    check_laws(a, b, c);
}

#[test]
fn vectors_append_sets_unite_arrays_and_pairs_merge_by_element() {
    assert_eq!(merged(vec![1, 2], vec![3]), vec![1, 2, 3]);
    check_laws(vec![1], vec![2, 3], vec![4]);
    let s = |v: &[u8]| -> BTreeSet<u8> { v.iter().copied().collect() };
    assert_eq!(merged(s(&[1, 2]), s(&[2, 3])), s(&[1, 2, 3]));
    check_laws(s(&[1]), s(&[1, 2]), s(&[9]));
    assert_eq!(merged([1u64, 2, 3], [10, 20, 30]), [11, 22, 33]);
    check_laws([1u64, 2], [3, 4], [5, 6]);
    assert_eq!(merged((1u64, 2u64), (3, 4)), (4, 6));
    check_laws((1u64, vec![1]), (2, vec![2]), (3, vec![3]));
}
