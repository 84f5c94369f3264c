//! The loading screen's state: each layer's progress as the load reports it.

use crate::load::LoadEvent;

/// Progress of one layer while the image loads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LayerLoad {
    pub read: u64,
    pub total: u64,
    pub phase: Phase,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Phase {
    #[default]
    Queued,
    /// Decompressing, verifying and indexing, in one pass.
    Reading,
    Done,
}

/// The loading screen's state.
#[derive(Debug, Clone, Default)]
pub struct Loading {
    pub layers: Vec<LayerLoad>,
    /// The second image's layers, when comparing two.
    pub layers_b: Vec<LayerLoad>,
    pub elapsed_ms: u64,
    /// All layers read; stacking and waste analysis running.
    pub analysing: bool,
    /// What the loader had to tell (e.g. working from the cache), escaped when drawn.
    pub notices: Vec<String>,
}

impl Loading {
    pub fn bytes(&self) -> (u64, u64) {
        self.layers
            .iter()
            .chain(&self.layers_b)
            .fold((0, 0), |(r, t), l| (r + l.read.min(l.total), t + l.total))
    }

    /// Seconds left at the rate so far, once there is a rate to speak of.
    pub fn eta_secs(&self) -> Option<u64> {
        let (read, total) = self.bytes();
        if read == 0 || self.elapsed_ms < 200 || read >= total {
            return None;
        }
        let rate = read as f64 / self.elapsed_ms as f64;
        Some(((total - read) as f64 / rate / 1000.0).ceil() as u64)
    }

    /// An event of the first image's load (`second`: of the second image of a comparison).
    pub fn on_event(&mut self, ev: LoadEvent, second: bool) {
        if let LoadEvent::Notice(text) = &ev {
            self.notices.push(text.clone());
        }
        let layers = if second {
            &mut self.layers_b
        } else {
            &mut self.layers
        };
        match ev {
            LoadEvent::Opened { layer_bytes } => {
                *layers = layer_bytes
                    .into_iter()
                    .map(|total| LayerLoad {
                        total,
                        ..Default::default()
                    })
                    .collect()
            }
            LoadEvent::LayerStarted { index } => {
                if let Some(x) = layers.get_mut(index) {
                    x.phase = Phase::Reading;
                }
            }
            LoadEvent::LayerProgress { index, read, total } => {
                if let Some(x) = layers.get_mut(index) {
                    x.read = read;
                    x.total = total;
                    x.phase = Phase::Reading;
                }
            }
            LoadEvent::LayerFinished { index, .. } => {
                if let Some(x) = layers.get_mut(index) {
                    x.read = x.total;
                    x.phase = Phase::Done;
                }
                if !second && layers.iter().all(|x| x.phase == Phase::Done) {
                    self.analysing = true;
                }
            }
            LoadEvent::Notice(_) => {}
        }
    }
}
