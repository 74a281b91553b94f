use super::node::{FANOUT, LEAF_MAX};
use super::*;
use proptest::prelude::*;

fn entry(t: i64, app: u32) -> Entry {
    Entry::new(Timestamp::from_second(t).unwrap(), AppIx::new(app))
}

/// Checks the tree's shape: counts, separators, fill, equal depth. Returns (len, depth).
fn check(node: &Node, lo: Option<Entry>, hi: Option<Entry>, root: bool) -> (usize, usize) {
    match node {
        Node::Leaf(keys) => {
            assert!(keys.windows(2).all(|w| w[0] < w[1]), "leaf sorted");
            assert!(keys.len() <= LEAF_MAX);
            assert!(
                root || keys.len() >= LEAF_MAX / 4,
                "leaf underfull: {}",
                keys.len()
            );
            assert!(keys
                .iter()
                .all(|k| lo.is_none_or(|l| *k >= l) && hi.is_none_or(|h| *k < h)));
            (keys.len(), 0)
        }
        Node::Internal(inner) => {
            let Inner {
                children,
                counts,
                seps,
            } = &**inner;
            assert_eq!(children.len(), counts.len());
            assert_eq!(children.len(), seps.len());
            assert!(children.len() <= FANOUT);
            assert!(if root {
                children.len() >= 2
            } else {
                children.len() >= FANOUT / 4
            });
            let mut depth = None;
            let mut total = 0;
            for (i, c) in children.iter().enumerate() {
                let clo = if i == 0 { lo } else { Some(seps[i]) };
                let chi = if i + 1 < children.len() {
                    Some(seps[i + 1])
                } else {
                    hi
                };
                let (n, d) = check(c, clo, chi, false);
                assert_eq!(n, counts[i], "count of child {i}");
                assert!(depth.is_none_or(|x| x == d), "equal depth");
                depth = Some(d);
                total += n;
            }
            (total, depth.unwrap_or(0) + 1)
        }
    }
}

fn run(ops: &[(bool, i64, u32)]) {
    let mut idx = OrderIndex::default();
    let mut model: Vec<Entry> = Vec::new();
    for (n, (insert, t, s)) in ops.iter().enumerate() {
        let e = entry(*t, *s);
        if *insert {
            let fresh = model.binary_search(&e).is_err();
            assert_eq!(idx.insert(e), fresh);
            if let Err(i) = model.binary_search(&e) {
                model.insert(i, e);
            }
        } else {
            let had = model.binary_search(&e).is_ok();
            assert_eq!(idx.remove(&e), had);
            model.retain(|x| *x != e);
        }
        assert_eq!(idx.len(), model.len());
        assert_eq!(idx.count_less(&e), model.partition_point(|x| *x < e));
        assert_eq!(idx.contains(&e), model.binary_search(&e).is_ok());
        if n % 64 == 0 || n + 1 == ops.len() {
            let (len, _) = check(&idx.root, None, None, true);
            assert_eq!(len, model.len());
            assert!(
                idx.iter().copied().eq(model.iter().copied()),
                "iteration order"
            );
            for (i, m) in model.iter().enumerate().step_by(13) {
                assert_eq!(idx.select(i), Some(*m));
                assert_eq!(idx.count_less(m), i);
            }
            assert_eq!(idx.select(model.len()), None);
        }
    }
}

proptest! {
    /// Against a sorted Vec, small keys so that removals hit.
    #[test]
    fn matches_sorted_vec(ops in proptest::collection::vec((any::<bool>(), 0i64..50, 0u32..400), 1..400)) {
        run(&ops);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Thousands of entries: three levels, splits and merges at every depth.
    #[test]
    fn deep_trees_stay_balanced(grow in 2000usize..6000, seed in any::<u64>()) {
        let mut x = seed | 1;
        let mut next = move || { x ^= x << 13; x ^= x >> 7; x ^= x << 17; x };
        let mut ops: Vec<(bool, i64, u32)> = (0..grow)
            .map(|_| (true, i64::try_from(next() % 3000).unwrap(), u32::try_from(next() % 8).unwrap()))
            .collect();
        let shrink: Vec<(bool, i64, u32)> = ops.iter().map(|(_, t, s)| (false, *t, *s)).rev().step_by(1).collect();
        ops.extend(shrink.into_iter().filter(|_| next() % 4 != 0));
        run(&ops);
    }
}

#[test]
fn ascending_inserts_then_full_removal() {
    let ops: Vec<(bool, i64, u32)> = (0..5000)
        .map(|i| (true, i, 0))
        .chain((0..5000).map(|i| (false, i, 0)))
        .collect();
    run(&ops);
}

#[test]
fn packed_keys_order_as_time_then_application() {
    let min = Timestamp::MIN;
    let max = Timestamp::MAX;
    assert!(min.as_nanosecond() >= EARLIEST_NANOS);
    assert!((max.as_nanosecond() - EARLIEST_NANOS) < (1i128 << 70));
    let half = Timestamp::new(-1, -500_000_000).unwrap();
    let times = [
        min,
        half,
        Timestamp::UNIX_EPOCH,
        Timestamp::new(0, 1).unwrap(),
        max,
    ];
    for (i, a) in times.iter().enumerate() {
        for (j, b) in times.iter().enumerate() {
            for (x, y) in [(0, u32::MAX - 1), (u32::MAX - 1, 0), (7, 7)] {
                let want = a.cmp(b).then(x.cmp(&y));
                assert_eq!(
                    Entry::new(*a, AppIx::new(x)).cmp(&Entry::new(*b, AppIx::new(y))),
                    want,
                    "{i} {j}"
                );
            }
        }
    }
    assert_eq!(
        Entry::new(max, AppIx::new(u32::MAX - 1)).app().get(),
        u32::MAX - 1
    );
}

proptest! {
    #[test]
    fn count_prefix_is_partition_point(mut keys in proptest::collection::vec(0i64..200, 0..80), at in -1i64..201) {
        keys.sort_unstable();
        keys.dedup();
        let keys: Vec<Entry> = keys.into_iter().map(|t| entry(t, 0)).collect();
        let e = entry(at.max(0), 1);
        prop_assert_eq!(count_prefix(&keys, |k| k < &e), keys.partition_point(|k| k < &e));
        prop_assert_eq!(count_prefix(&keys, |k| k <= &e), keys.partition_point(|k| k <= &e));
        prop_assert_eq!(search(&keys, &keys.get(3).copied().unwrap_or(e)), keys.binary_search(&keys.get(3).copied().unwrap_or(e)));
        prop_assert_eq!(search(&keys, &e), keys.binary_search(&e));
    }
}

/// Applies `ops` to `idx` and to the sorted `model`, checking the two agree throughout.
fn mutate_both(idx: &mut OrderIndex, model: &mut Vec<Entry>, ops: &[(bool, i64, u32)]) {
    for (insert, t, s) in ops {
        let e = entry(*t, *s);
        if *insert {
            assert_eq!(idx.insert(e), model.binary_search(&e).is_err());
            if let Err(i) = model.binary_search(&e) {
                model.insert(i, e);
            }
        } else {
            assert_eq!(idx.remove(&e), model.binary_search(&e).is_ok());
            model.retain(|x| *x != e);
        }
    }
    let (len, _) = check(&idx.root, None, None, true);
    assert_eq!(len, model.len());
    assert_eq!(idx.len(), model.len());
    assert!(idx.iter().copied().eq(model.iter().copied()));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Built bottom-up from keys in any order (duplicates too), the index holds what one
    /// grown by inserting them one by one holds, answers every rank and select the same,
    /// keeps the tree's invariants, and stays equal under later inserts and removals.
    #[test]
    fn built_from_keys_equals_inserted_one_by_one(
        keys in proptest::collection::vec((0i64..20_000, 0u32..4), 0..6000),
        sorted in any::<bool>(),
        later in proptest::collection::vec((any::<bool>(), 0i64..20_000, 0u32..4), 0..300),
    ) {
        let mut keys: Vec<Entry> = keys.into_iter().map(|(t, s)| entry(t, s)).collect();
        if sorted {
            keys.sort_unstable();
        }
        let mut inserted = OrderIndex::default();
        for k in &keys {
            inserted.insert(*k);
        }
        let mut built = OrderIndex::from_keys(keys.clone());
        let mut model = keys;
        model.sort_unstable();
        model.dedup();
        let (len, _) = check(&built.root, None, None, true);
        prop_assert_eq!(len, model.len());
        prop_assert_eq!(built.len(), inserted.len());
        prop_assert!(built.iter().eq(inserted.iter()));
        for probe in (0..20_001i64).step_by(97) {
            let e = entry(probe, 2);
            prop_assert_eq!(built.count_less(&e), inserted.count_less(&e));
            prop_assert_eq!(built.contains(&e), inserted.contains(&e));
        }
        for i in (0..=model.len()).step_by(7) {
            prop_assert_eq!(built.select(i), inserted.select(i));
        }
        mutate_both(&mut built, &mut model, &later);
    }
}

#[test]
fn built_trees_have_every_size_right() {
    // Around each boundary where a level gains a node or the tree a level.
    let sizes = [0, 1, LEAF_MAX - 1, LEAF_MAX, LEAF_MAX + 1, 2 * LEAF_MAX + 1];
    let deep = [
        FANOUT * LEAF_MAX,
        FANOUT * LEAF_MAX + 1,
        FANOUT * FANOUT * LEAF_MAX + 5,
    ];
    for n in sizes.into_iter().chain(deep) {
        let keys: Vec<Entry> = (0..n)
            .map(|i| entry(i64::try_from(i).unwrap(), 0))
            .collect();
        let built = OrderIndex::from_keys(keys.clone());
        let (len, _) = check(&built.root, None, None, true);
        assert_eq!(len, n, "size {n}");
        assert!(built.iter().copied().eq(keys.iter().copied()), "size {n}");
        let mut grown = built.clone();
        let mut model = keys;
        let more: Vec<(bool, i64, u32)> = (0..200).map(|i| (i % 3 != 0, i * 7, 1)).collect();
        mutate_both(&mut grown, &mut model, &more);
    }
}
