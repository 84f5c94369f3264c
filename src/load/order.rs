//! The order a load reads its layers in, and its cancellation, shared between the load's
//! workers and whoever watches the load (the explorer). Without a preference the layers are
//! read bottom to top, as the merged views need them; the explorer asks for the layer the user
//! selected (`prefer`), which the next free worker takes first. Cancelling (the user quit
//! mid-download) makes every layer read fail at its next read, so its download stops and its
//! unfinished temp file in the blob store is removed as the reader drops; `finished` tells the
//! watcher when that has happened.
//!
//! Atomics and one small mutex: the workers ask at each layer, the UI writes at each key.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

/// No layer preferred.
const NONE: usize = usize::MAX;

/// See the module comment.
#[derive(Debug)]
pub struct Order {
    wanted: AtomicUsize,
    cancelled: AtomicBool,
    /// The layers have begun to be read (blobs may be on their way into the store).
    reading: AtomicBool,
    finished: Mutex<bool>,
    ended: Condvar,
}

impl Default for Order {
    fn default() -> Order {
        Order {
            wanted: AtomicUsize::new(NONE),
            cancelled: AtomicBool::new(false),
            reading: AtomicBool::new(false),
            finished: Mutex::new(false),
            ended: Condvar::new(),
        }
    }
}

impl Order {
    /// Reads `layer` next, if it has not started yet (the explorer's selected layer).
    pub fn prefer(&self, layer: usize) {
        self.wanted.store(layer, Ordering::Relaxed);
    }

    /// The next layer to read: the preferred one if it has not started, else the lowest that
    /// has not. Marks it started.
    pub(crate) fn next(&self, started: &mut [bool]) -> Option<usize> {
        let wanted = self.wanted.load(Ordering::Relaxed);
        let pick = match started.get(wanted) {
            Some(false) => Some(wanted),
            _ => started.iter().position(|s| !s),
        }?;
        started[pick] = true;
        Some(pick)
    }

    /// Stops the load: every layer read fails at its next read.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }

    /// The load has begun to read layers.
    pub(crate) fn start_reading(&self) {
        self.reading.store(true, Ordering::Relaxed);
    }

    /// Whether layers are being read (before that, a cancelled load leaves nothing behind
    /// and need not be waited for).
    pub fn reading(&self) -> bool {
        self.reading.load(Ordering::Relaxed)
    }

    /// The load using this order has returned (its readers are dropped).
    pub(crate) fn finish(&self) {
        if let Ok(mut f) = self.finished.lock() {
            *f = true;
        }
        self.ended.notify_all();
    }

    /// Waits up to `limit` for the load to return; whether it did.
    pub fn wait_finished(&self, limit: Duration) -> bool {
        let Ok(guard) = self.finished.lock() else {
            return false;
        };
        self.ended
            .wait_timeout_while(guard, limit, |f| !*f)
            .map(|(f, _)| *f)
            .unwrap_or(false)
    }
}

/// The error a read of a cancelled load fails with (not `Interrupted`: readers retry that).
pub(crate) fn cancelled() -> std::io::Error {
    std::io::Error::other("the load was cancelled")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bottom_to_top_unless_a_layer_is_preferred() {
        let order = Order::default();
        let mut started = vec![false; 4];
        assert_eq!(order.next(&mut started), Some(0));
        order.prefer(3);
        assert_eq!(order.next(&mut started), Some(3));
        // Already started: the lowest left.
        assert_eq!(order.next(&mut started), Some(1));
        assert_eq!(order.next(&mut started), Some(2));
        assert_eq!(order.next(&mut started), None);
        // A preference past the end is ignored.
        let mut fresh = vec![false; 2];
        order.prefer(9);
        assert_eq!(order.next(&mut fresh), Some(0));
    }

    #[test]
    fn waiting_for_the_end_returns_once_it_is_signalled() {
        let order = std::sync::Arc::new(Order::default());
        assert!(!order.wait_finished(Duration::from_millis(1)));
        let o = order.clone();
        let t = std::thread::spawn(move || o.finish());
        assert!(order.wait_finished(Duration::from_secs(30)));
        let _ = t.join();
    }
}
