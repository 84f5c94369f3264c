//! The package inventory (DESIGN section 3b): parsers of each package manager's own files,
//! run on the bytes a layer kept as it streamed by, and the inventory that stacks them layer
//! on layer to say which layer installed, changed or removed each package, which files each
//! owns and how many bytes of the final view that is.
//!
//! Parsers take bytes and give records or a short reason the file could not be read; they do
//! no I/O and never panic on any input (each has a fuzz target).
