//! What a load reports while it works, for progress lines and the loading screen. Sent from
//! worker threads; merged at the source (a layer reports every MiB, not every read).

/// One thing the loader has to tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadEvent {
    /// Metadata read: the stored (compressed) size of each layer blob to read.
    Opened {
        layer_bytes: Vec<u64>,
    },
    LayerStarted {
        index: usize,
    },
    /// Stored (compressed) bytes of the layer read so far, out of `total`.
    LayerProgress {
        index: usize,
        read: u64,
        total: u64,
    },
    LayerFinished {
        index: usize,
        entries: usize,
    },
    /// Something the user should know that is not an error (e.g. the registry was
    /// unreachable and the cached manifest was used).
    Notice(String),
}

/// Where a load sends its events.
pub type Progress<'a> = &'a (dyn Fn(LoadEvent) + Sync);
