//! The package inventory (DESIGN section 3b): parsers of each package manager's own files,
//! run on the bytes a layer kept as it streamed by, and the inventory that stacks them layer
//! on layer to say which layer installed, changed or removed each package, which files each
//! owns and how many bytes of the final view that is.
//!
//! Parsers take bytes and give records or a short reason the file could not be read; they do
//! no I/O and never panic on any input (each has a fuzz target).

pub mod apk;
pub mod collect;
pub mod dpkg;
pub mod go;
pub mod inventory;
pub mod npm;
pub mod os_release;
pub mod purl;
pub mod python;
pub mod rpm;
pub mod toolchain;
pub mod version;

use crate::model::packages::{Distro, Package, Unreadable};

/// The packages of an image, layer by layer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inventory {
    /// Every package installed in some layer's merged view, largest first (then by
    /// ecosystem and name); removed ones included, with `removed` set.
    pub packages: Vec<Package>,
    /// Databases that could not be read.
    pub unreadable: Vec<Unreadable>,
    /// Bytes of the final view no package owns: with the packages' sizes, `final_bytes`.
    pub unowned: u64,
    /// What the final view's os-release says.
    pub distro: Option<Distro>,
    /// Per layer: how many packages it added, removed and changed.
    pub layers: Vec<LayerDelta>,
    /// Per package (parallel to `packages`): the regular files of the final view it owns,
    /// by path id, symlinked directories resolved; empty for a removed package.
    pub owned: Vec<Vec<crate::tree::paths::PathId>>,
}

/// One layer's package changes, counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LayerDelta {
    pub added: u32,
    pub removed: u32,
    /// Upgraded, downgraded or reinstalled.
    pub changed: u32,
}
