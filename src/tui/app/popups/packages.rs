//! The Packages view's model: the image's packages by size (installed ones, then the ones a
//! later layer removed), filtered by what the user types, and a row for the bytes no package
//! owns, so the rows add up to the final view. Enter on a row narrows the Files panel to that
//! package's files (or to the unowned ones); the ids come from the inventory, never from the
//! text of a path.

use crate::analysis::packages::Inventory;
use crate::tree::paths::{PathId, PathTable};
use crate::tui::app::filetree::Only;

/// A row of the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PackageRow {
    /// An index into `Inventory::packages`.
    Package(usize),
    /// The final view's files no package owns.
    Unowned,
    /// Shown while the Files panel is narrowed: back to every file.
    AllFiles,
    /// An index into `Inventory::unreadable`: a database strata could not read.
    Unreadable(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageList {
    pub rows: Vec<PackageRow>,
    pub cursor: usize,
    /// What the names are filtered on (case-insensitive substring of ecosystem, name,
    /// version).
    pub filter: String,
    /// Keys go to the filter text.
    pub editing: bool,
    /// Whether the Files panel is narrowed now (the list then offers to widen it).
    narrowed: bool,
}

impl PackageList {
    pub fn of(inventory: &Inventory, narrowed: bool) -> PackageList {
        let mut list = PackageList {
            rows: Vec::new(),
            cursor: 0,
            filter: String::new(),
            editing: false,
            narrowed,
        };
        list.refilter(inventory);
        list
    }

    /// Rows passing the filter: installed packages largest first, removed ones after them,
    /// then the unowned bytes, then the databases that could not be read (their packages are
    /// missing from the list, so the user must see them).
    pub fn refilter(&mut self, inventory: &Inventory) {
        let needle = self.filter.to_lowercase();
        let passes = |i: &usize| {
            let p = &inventory.packages[*i];
            needle.is_empty()
                || p.name.to_lowercase().contains(&needle)
                || p.version.to_lowercase().contains(&needle)
                || p.ecosystem.name() == needle
        };
        let (mut installed, removed): (Vec<usize>, Vec<usize>) = (0..inventory.packages.len())
            .filter(passes)
            .partition(|&i| !inventory.packages[i].removed);
        // A name typed whole comes first (`curl` before the bigger `libcurl4`).
        installed.sort_by_key(|&i| inventory.packages[i].name.to_lowercase() != needle);
        let mut rows = Vec::with_capacity(installed.len() + removed.len() + 2);
        if self.narrowed && needle.is_empty() {
            rows.push(PackageRow::AllFiles);
        }
        rows.extend(installed.into_iter().map(PackageRow::Package));
        rows.extend(removed.into_iter().map(PackageRow::Package));
        if needle.is_empty() || "unowned".contains(&needle) {
            rows.push(PackageRow::Unowned);
        }
        rows.extend(
            (0..inventory.unreadable.len())
                .filter(|&i| {
                    needle.is_empty()
                        || "unreadable".contains(&needle)
                        || inventory.unreadable[i]
                            .path
                            .to_lowercase()
                            .contains(&needle)
                })
                .map(PackageRow::Unreadable),
        );
        self.rows = rows;
        self.cursor = self.cursor.min(self.rows.len().saturating_sub(1));
    }

    pub fn selected(&self) -> Option<PackageRow> {
        self.rows.get(self.cursor).copied()
    }
}

/// The files of one row, over the image's path table, for the Files panel to narrow to;
/// `None` for `AllFiles`. An unreadable database narrows to the database file itself.
pub fn narrowed(inventory: &Inventory, row: PackageRow, table: &PathTable) -> Option<Only> {
    let paths = table.len();
    fn mark(ids: &mut [bool], list: &[PathId], value: bool) {
        for &id in list {
            if let Some(slot) = ids.get_mut(id as usize) {
                *slot = value;
            }
        }
    }
    match row {
        PackageRow::AllFiles => None,
        PackageRow::Unreadable(i) => {
            let u = inventory.unreadable.get(i)?;
            let mut ids = vec![false; paths];
            let normalised = u.path.trim_start_matches('/');
            if let Some(id) = table.get(normalised) {
                mark(&mut ids, &[id], true);
            }
            Some(Only {
                label: format!("unreadable {}", u.path),
                ids,
            })
        }
        PackageRow::Package(i) => {
            let p = inventory.packages.get(i)?;
            let mut ids = vec![false; paths];
            mark(
                &mut ids,
                inventory.owned.get(i).map_or(&[], |v| v.as_slice()),
                true,
            );
            Some(Only {
                label: format!("package {} {}", p.name, p.version),
                ids,
            })
        }
        PackageRow::Unowned => {
            let mut ids = vec![true; paths];
            for list in &inventory.owned {
                mark(&mut ids, list, false);
            }
            Some(Only {
                label: "files no package owns".to_string(),
                ids,
            })
        }
    }
}

/// For each path id, the first package (largest first) that owns it: the footer names it.
pub fn owners(inventory: &Inventory, paths: usize) -> Vec<u32> {
    let mut owner = vec![u32::MAX; paths];
    for (i, list) in inventory.owned.iter().enumerate() {
        for &id in list {
            if let Some(slot) = owner.get_mut(id as usize) {
                if *slot == u32::MAX {
                    *slot = i as u32;
                }
            }
        }
    }
    owner
}
