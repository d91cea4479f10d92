//! Sorting what is nearly sorted already: a long run in order (index entries) and a few others.

use std::cmp::Ordering;

/// `sorted` followed by `rest`, stably sorted by `cmp`, as `[sorted, rest].concat()` sorted
/// stably would be: `rest` (usually a handful) is sorted alone and merged in, in place (no second
/// buffer of tens of thousands of findings), each element moved at most once along its cycle.
/// `sorted` is checked, and sorted when it is not.
pub(crate) fn merge_sorted_by<T>(
    mut sorted: Vec<T>,
    mut rest: Vec<T>,
    cmp: impl Fn(&T, &T) -> Ordering,
) -> Vec<T> {
    let in_order = |a: &T, b: &T| cmp(a, b) != Ordering::Greater;
    if !sorted.is_sorted_by(in_order) {
        sorted.append(&mut rest);
        sorted.sort_by(&cmp);
        return sorted;
    }
    if rest.is_empty() {
        return sorted;
    }
    rest.sort_by(&cmp);
    let n = sorted.len();
    sorted.append(&mut rest);
    let all = sorted;
    // `from[p]`: the position of the element that belongs at `p`.
    let mut from = Vec::with_capacity(all.len());
    let (mut i, mut j) = (0, n);
    while i < n || j < all.len() {
        if j == all.len() || (i < n && in_order(&all[i], &all[j])) {
            from.push(i);
            i += 1;
        } else {
            from.push(j);
            j += 1;
        }
    }
    let mut all = all;
    for start in 0..from.len() {
        let mut p = start;
        loop {
            let q = from[p];
            from[p] = p;
            if q == start || q == p {
                break;
            }
            all.swap(p, q);
            p = q;
        }
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_as_a_stable_sort_of_both() {
        let by_key = |a: &(u8, char), b: &(u8, char)| a.0.cmp(&b.0);
        for (sorted, rest) in [
            (
                vec![(1, 'a'), (2, 'b'), (2, 'c'), (5, 'd')],
                vec![(2, 'x'), (0, 'y'), (9, 'z'), (5, 'w')],
            ),
            (vec![(3, 'a'), (1, 'b'), (2, 'c')], vec![(1, 'x')]),
            (vec![], vec![(2, 'x'), (1, 'y')]),
            (vec![(1, 'a')], vec![]),
            (vec![(1, 'a'), (2, 'b'), (3, 'c'), (4, 'd')], vec![(0, 'x')]),
            (
                vec![(1, 'a'), (3, 'b'), (5, 'c'), (7, 'd')],
                vec![(6, 'x'), (2, 'y'), (0, 'z'), (9, 'w'), (4, 'v')],
            ),
        ] {
            let mut want = [sorted.clone(), rest.clone()].concat();
            want.sort_by(by_key);
            assert_eq!(merge_sorted_by(sorted, rest, by_key), want);
        }
    }

    #[test]
    fn many_merged_in_place() {
        let mut seed = 7u32;
        let mut next = || {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (seed >> 16) % 50
        };
        for _ in 0..50 {
            let mut sorted: Vec<(u32, usize)> = (0..200).map(|i| (next(), i)).collect();
            sorted.sort_by_key(|x| x.0);
            let rest: Vec<(u32, usize)> = (0..30).map(|i| (next(), 1000 + i)).collect();
            let mut want = [sorted.clone(), rest.clone()].concat();
            want.sort_by_key(|x| x.0);
            assert_eq!(merge_sorted_by(sorted, rest, |a, b| a.0.cmp(&b.0)), want);
        }
    }
}
