//! Temporary stand-in until the Go pdqsort port lands.
pub fn go_sort<T>(data: &mut [T], mut less: impl FnMut(&T, &T) -> bool) {
    data.sort_by(|a, b| {
        if less(a, b) {
            std::cmp::Ordering::Less
        } else if less(b, a) {
            std::cmp::Ordering::Greater
        } else {
            std::cmp::Ordering::Equal
        }
    });
}
