//! The hints popup: the analysis's hints (most severe first), one of them selected. The popup
//! reads the hints where the analysis keeps them; its own state is the selection.

use crate::analysis::hints::Hint;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HintList {
    pub cursor: usize,
    /// How many hints there are to select from.
    pub len: usize,
}

impl HintList {
    pub fn of(hints: &[Hint]) -> HintList {
        HintList {
            cursor: 0,
            len: hints.len(),
        }
    }

    /// The selected hint of `hints` (the ones this list was made of).
    pub fn selected<'a>(&self, hints: &'a [Hint]) -> Option<&'a Hint> {
        hints.get(self.cursor)
    }
}
