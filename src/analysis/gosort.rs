//! Bit-exact port of Go's `sort.Sort` (pattern-defeating quicksort, Go 1.19+).
//!
//! `dive` orders its output with Go's *unstable* `sort.Sort` on a single
//! integer key, so elements with equal keys come out in whatever permutation
//! Go's pdqsort happens to produce. To reproduce that order exactly we mirror
//! Go's `src/sort/zsortinterface.go` operation for operation: the same
//! comparisons and swaps in the same sequence, including the deterministic
//! xorshift used by `breakPatterns` and the heapsort fallback. Do not
//! "improve" this code; any deviation changes the order of ties.

/// Sorts `data` in place exactly as Go's `sort.Sort` would with this `less`, ties included.
pub fn go_sort<T>(data: &mut [T], less: impl FnMut(&T, &T) -> bool) {
    let n = data.len();
    if n <= 1 {
        return;
    }
    let limit = bits_len(n);
    let mut ls = LessSwap { data, less };
    pdqsort(&mut ls, 0, n, limit);
}

/// Go's `lessSwap`: index-based `Less` and `Swap` over the slice.
struct LessSwap<'a, T, F> {
    data: &'a mut [T],
    less: F,
}

impl<T, F: FnMut(&T, &T) -> bool> LessSwap<'_, T, F> {
    fn less(&mut self, i: usize, j: usize) -> bool {
        (self.less)(&self.data[i], &self.data[j])
    }

    fn swap(&mut self, i: usize, j: usize) {
        self.data.swap(i, j);
    }
}

/// Go's `sortedHint`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SortedHint {
    Unknown,
    Increasing,
    Decreasing,
}

/// Go's `bits.Len`: the minimum number of bits needed to represent `x`.
fn bits_len(x: usize) -> u32 {
    usize::BITS - x.leading_zeros()
}

/// Go's `nextPowerOfTwo` (`1 << bits.Len(length)`, wrapping to 0 like Go).
fn next_power_of_two(length: usize) -> usize {
    1usize.checked_shl(bits_len(length)).unwrap_or(0)
}

/// Go's `xorshift` (shifts 13, 17, 5 as in `sort.go`).
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 17;
        self.0 ^= self.0 << 5;
        self.0
    }
}

/// insertionSort sorts data[a:b] using insertion sort.
fn insertion_sort<T, F: FnMut(&T, &T) -> bool>(d: &mut LessSwap<'_, T, F>, a: usize, b: usize) {
    for i in a + 1..b {
        let mut j = i;
        while j > a && d.less(j, j - 1) {
            d.swap(j, j - 1);
            j -= 1;
        }
    }
}

/// siftDown implements the heap property on data[lo:hi]; `first` is the heap root offset.
fn sift_down<T, F: FnMut(&T, &T) -> bool>(
    d: &mut LessSwap<'_, T, F>,
    lo: usize,
    hi: usize,
    first: usize,
) {
    let mut root = lo;
    loop {
        let mut child = 2 * root + 1;
        if child >= hi {
            break;
        }
        if child + 1 < hi && d.less(first + child, first + child + 1) {
            child += 1;
        }
        if !d.less(first + root, first + child) {
            return;
        }
        d.swap(first + root, first + child);
        root = child;
    }
}

fn heap_sort<T, F: FnMut(&T, &T) -> bool>(d: &mut LessSwap<'_, T, F>, a: usize, b: usize) {
    let first = a;
    let lo = 0;
    let hi = b - a;
    if hi == 0 {
        return;
    }

    // Build heap with greatest element at top.
    for i in (0..=(hi - 1) / 2).rev() {
        sift_down(d, i, hi, first);
    }

    // Pop elements, largest first, into end of data.
    for i in (0..hi).rev() {
        d.swap(first, first + i);
        sift_down(d, lo, i, first);
    }
}

/// pdqsort sorts data[a:b]; `limit` is the number of allowed bad pivots before heapsort.
fn pdqsort<T, F: FnMut(&T, &T) -> bool>(
    d: &mut LessSwap<'_, T, F>,
    mut a: usize,
    mut b: usize,
    mut limit: u32,
) {
    const MAX_INSERTION: usize = 12;

    let mut was_balanced = true;
    let mut was_partitioned = true;

    loop {
        let length = b - a;

        if length <= MAX_INSERTION {
            insertion_sort(d, a, b);
            return;
        }

        // Fall back to heapsort if too many bad choices were made.
        if limit == 0 {
            heap_sort(d, a, b);
            return;
        }

        // If the last partitioning was imbalanced, break patterns.
        if !was_balanced {
            break_patterns(d, a, b);
            limit -= 1;
        }

        let (mut pivot, mut hint) = choose_pivot(d, a, b);
        if hint == SortedHint::Decreasing {
            reverse_range(d, a, b);
            pivot = (b - 1) - (pivot - a);
            hint = SortedHint::Increasing;
        }

        // The slice is likely already sorted.
        if was_balanced
            && was_partitioned
            && hint == SortedHint::Increasing
            && partial_insertion_sort(d, a, b)
        {
            return;
        }

        // Probably many duplicates: split into elements equal to and greater than the pivot.
        if a > 0 && !d.less(a - 1, pivot) {
            a = partition_equal(d, a, b, pivot);
            continue;
        }

        let (mid, already_partitioned) = partition(d, a, b, pivot);
        was_partitioned = already_partitioned;

        let (left_len, right_len) = (mid - a, b - mid);
        let balance_threshold = length / 8;
        if left_len < right_len {
            was_balanced = left_len >= balance_threshold;
            pdqsort(d, a, mid, limit);
            a = mid + 1;
        } else {
            was_balanced = right_len >= balance_threshold;
            pdqsort(d, mid + 1, b, limit);
            b = mid;
        }
    }
}

/// partition does one quicksort partition around data[pivot]; returns (newpivot, alreadyPartitioned).
fn partition<T, F: FnMut(&T, &T) -> bool>(
    d: &mut LessSwap<'_, T, F>,
    a: usize,
    b: usize,
    pivot: usize,
) -> (usize, bool) {
    d.swap(a, pivot);
    // i and j are inclusive of the elements remaining to be partitioned.
    let (mut i, mut j) = (a + 1, b - 1);

    while i <= j && d.less(i, a) {
        i += 1;
    }
    while i <= j && !d.less(j, a) {
        j -= 1;
    }
    if i > j {
        d.swap(j, a);
        return (j, true);
    }
    d.swap(i, j);
    i += 1;
    j -= 1;

    loop {
        while i <= j && d.less(i, a) {
            i += 1;
        }
        while i <= j && !d.less(j, a) {
            j -= 1;
        }
        if i > j {
            break;
        }
        d.swap(i, j);
        i += 1;
        j -= 1;
    }
    d.swap(j, a);
    (j, false)
}

/// partitionEqual partitions data[a:b] into elements equal to data[pivot] followed by greater ones.
fn partition_equal<T, F: FnMut(&T, &T) -> bool>(
    d: &mut LessSwap<'_, T, F>,
    a: usize,
    b: usize,
    pivot: usize,
) -> usize {
    d.swap(a, pivot);
    let (mut i, mut j) = (a + 1, b - 1);

    loop {
        while i <= j && !d.less(a, i) {
            i += 1;
        }
        while i <= j && d.less(a, j) {
            j -= 1;
        }
        if i > j {
            break;
        }
        d.swap(i, j);
        i += 1;
        j -= 1;
    }
    i
}

/// partialInsertionSort partially sorts data[a:b]; returns true if it ends up sorted.
fn partial_insertion_sort<T, F: FnMut(&T, &T) -> bool>(
    d: &mut LessSwap<'_, T, F>,
    a: usize,
    b: usize,
) -> bool {
    const MAX_STEPS: usize = 5;
    const SHORTEST_SHIFTING: usize = 50;

    let mut i = a + 1;
    for _ in 0..MAX_STEPS {
        while i < b && !d.less(i, i - 1) {
            i += 1;
        }

        if i == b {
            return true;
        }

        if b - a < SHORTEST_SHIFTING {
            return false;
        }

        d.swap(i, i - 1);

        // Shift the smaller one to the left. Note: Go bounds this loop by 1,
        // not by `a`; kept verbatim for bit-exactness.
        if i - a >= 2 {
            let mut j = i - 1;
            while j >= 1 {
                if !d.less(j, j - 1) {
                    break;
                }
                d.swap(j, j - 1);
                j -= 1;
            }
        }
        // Shift the greater one to the right.
        if b - i >= 2 {
            let mut j = i + 1;
            while j < b {
                if !d.less(j, j - 1) {
                    break;
                }
                d.swap(j, j - 1);
                j += 1;
            }
        }
    }
    false
}

/// breakPatterns scatters some elements around to break patterns causing imbalanced partitions.
fn break_patterns<T, F: FnMut(&T, &T) -> bool>(d: &mut LessSwap<'_, T, F>, a: usize, b: usize) {
    let length = b - a;
    if length >= 8 {
        let mut random = XorShift(length as u64);
        let modulus = next_power_of_two(length);

        let mid = a + (length / 4) * 2;
        for idx in mid - 1..=mid + 1 {
            // Go: int(uint(random.Next()) & (modulus - 1)); `as usize` truncates like Go's uint.
            let mut other = (random.next() as usize) & modulus.wrapping_sub(1);
            if other >= length {
                other -= length;
            }
            d.swap(idx, a + other);
        }
    }
}

/// choosePivot chooses a pivot in data[a:b] and reports whether the sample looked sorted.
fn choose_pivot<T, F: FnMut(&T, &T) -> bool>(
    d: &mut LessSwap<'_, T, F>,
    a: usize,
    b: usize,
) -> (usize, SortedHint) {
    const SHORTEST_NINTHER: usize = 50;
    const MAX_SWAPS: usize = 4 * 3;

    let l = b - a;

    let mut swaps = 0usize;
    let mut i = a + l / 4;
    let mut j = a + l / 4 * 2;
    let mut k = a + l / 4 * 3;

    if l >= 8 {
        if l >= SHORTEST_NINTHER {
            // Tukey ninther method.
            i = median_adjacent(d, i, &mut swaps);
            j = median_adjacent(d, j, &mut swaps);
            k = median_adjacent(d, k, &mut swaps);
        }
        // Find the median among i, j, k and store it into j.
        j = median(d, i, j, k, &mut swaps);
    }

    match swaps {
        0 => (j, SortedHint::Increasing),
        MAX_SWAPS => (j, SortedHint::Decreasing),
        _ => (j, SortedHint::Unknown),
    }
}

/// order2 returns (x, y) where data[x] <= data[y], with {x, y} = {a, b}.
fn order2<T, F: FnMut(&T, &T) -> bool>(
    d: &mut LessSwap<'_, T, F>,
    a: usize,
    b: usize,
    swaps: &mut usize,
) -> (usize, usize) {
    if d.less(b, a) {
        *swaps += 1;
        return (b, a);
    }
    (a, b)
}

/// median returns the index of the median of data[a], data[b], data[c].
fn median<T, F: FnMut(&T, &T) -> bool>(
    d: &mut LessSwap<'_, T, F>,
    a: usize,
    b: usize,
    c: usize,
    swaps: &mut usize,
) -> usize {
    let (a, b) = order2(d, a, b, swaps);
    let (b, _c) = order2(d, b, c, swaps);
    let (_a, b) = order2(d, a, b, swaps);
    b
}

/// medianAdjacent finds the median of data[a - 1], data[a], data[a + 1].
fn median_adjacent<T, F: FnMut(&T, &T) -> bool>(
    d: &mut LessSwap<'_, T, F>,
    a: usize,
    swaps: &mut usize,
) -> usize {
    median(d, a - 1, a, a + 1, swaps)
}

fn reverse_range<T, F: FnMut(&T, &T) -> bool>(d: &mut LessSwap<'_, T, F>, a: usize, b: usize) {
    let mut i = a;
    let mut j = b - 1;
    while i < j {
        d.swap(i, j);
        i += 1;
        j -= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::go_sort;

    /// Vectors generated with Go's own `sort.Sort` (go1.19.8): `keys;expected_permutation`.
    const VECTORS: &str = include_str!("../../tests/data/gosort_vectors.txt");

    fn parse(s: &str) -> Vec<u64> {
        if s.is_empty() {
            return Vec::new();
        }
        s.split(',')
            .map(|x| {
                x.parse()
                    .unwrap_or_else(|e| panic!("bad number {x:?} in gosort vectors: {e}"))
            })
            .collect()
    }

    fn sorted_perm(keys: &[u64]) -> Vec<u64> {
        let mut items: Vec<(u64, u64)> = keys.iter().copied().zip(0u64..).collect();
        go_sort(&mut items, |x, y| x.0 < y.0);
        items.into_iter().map(|(_, idx)| idx).collect()
    }

    #[test]
    fn matches_go_vectors() {
        let mut count = 0;
        for (line_no, line) in VECTORS.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let Some((keys, expected)) = line.split_once(';') else {
                panic!("missing ';' on line {} of gosort vectors", line_no + 1);
            };
            let keys = parse(keys);
            let expected = parse(expected);
            assert_eq!(keys.len(), expected.len(), "line {}", line_no + 1);
            assert_eq!(
                sorted_perm(&keys),
                expected,
                "mismatch on line {} (n = {})",
                line_no + 1,
                keys.len()
            );
            count += 1;
        }
        assert!(count > 500, "expected many vectors, got {count}");
    }

    #[test]
    fn twenty_equal_keys_match_go() {
        // Go 1.19 `sort.Sort` leaves 20 equal keys in their original order.
        let keys = vec![5u64; 20];
        let expected: Vec<u64> = (0..20).collect();
        assert_eq!(sorted_perm(&keys), expected);
    }
}
