//! Sorting what is nearly sorted already: a long run in order (index entries) and a few others.

use std::cmp::Ordering;

/// `sorted` followed by `rest`, stably sorted by `cmp`, as `[sorted, rest].concat()` sorted
/// stably would be, moving each element once: `rest` (usually a handful) is sorted alone and
/// merged in. `sorted` is checked, and sorted when it is not.
pub(crate) fn merge_sorted_by<T>(
    mut sorted: Vec<T>,
    mut rest: Vec<T>,
    cmp: impl Fn(&T, &T) -> Ordering,
) -> Vec<T> {
    if !sorted.is_sorted_by(|a, b| cmp(a, b) != Ordering::Greater) {
        sorted.sort_by(&cmp);
    }
    if rest.is_empty() {
        return sorted;
    }
    rest.sort_by(&cmp);
    let mut out = Vec::with_capacity(sorted.len() + rest.len());
    let mut left = sorted.into_iter().peekable();
    let mut right = rest.into_iter().peekable();
    loop {
        let take_left = match (left.peek(), right.peek()) {
            (Some(l), Some(r)) => cmp(l, r) != Ordering::Greater,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => break,
        };
        out.extend(if take_left { left.next() } else { right.next() });
    }
    out
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
        ] {
            let mut want = [sorted.clone(), rest.clone()].concat();
            want.sort_by(by_key);
            assert_eq!(merge_sorted_by(sorted, rest, by_key), want);
        }
    }
}
