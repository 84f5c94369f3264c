//! The text form of `strata diff A B`: the story first (size, efficiency, packages, layers
//! with their steps, config, waste by cause and step), then the directories and metadata
//! changes rolled up, then the biggest file changes and the full waste table.

use std::fmt::Write as _;

use super::{change_name, figure_label, share_mark, DiffReport};
use crate::model::text::printable;
use crate::model::units;

impl DiffReport {
    /// The human summary; `top` limits each table (packages, directories, files).
    pub fn render_text(&self, top: usize) -> String {
        let mut o = String::new();
        let s = &self.summary;
        let (a, b) = (&self.a, &self.b);
        let _ = writeln!(
            o,
            "A          {} [{}]",
            printable(&a.image.reference, 500),
            a.image.format
        );
        let _ = writeln!(
            o,
            "B          {} [{}]",
            printable(&b.image.reference, 500),
            b.image.format
        );
        let _ = writeln!(
            o,
            "Size       {} -> {} ({}) visible; {} -> {} in layers",
            units::decimal(s.bytes_a),
            units::decimal(s.bytes_b),
            units::signed_decimal(s.bytes_b as i64 - s.bytes_a as i64),
            units::decimal(a.totals.total_bytes),
            units::decimal(b.totals.total_bytes)
        );
        let _ = writeln!(o, "Efficiency {}", self.efficiency_line());
        let _ = writeln!(o, "Packages   {}", s.packages_line());
        let _ = writeln!(
            o,
            "Layers     {} of B's {} layers are in A ({} shared); {}",
            s.shared_layers,
            s.layers_b,
            units::decimal(s.shared_bytes),
            s.stacks()
        );
        let _ = writeln!(
            o,
            "Fetch      a host with A needs {} ({} uncompressed) more for B",
            units::decimal(s.fetch_compressed_bytes),
            units::decimal(s.fetch_bytes)
        );
        let _ = writeln!(o, "Files      {}", self.files_line());
        let _ = writeln!(o);
        self.packages_text(&mut o, top);
        self.layers_text(&mut o);
        self.config_text(&mut o);
        self.causes_text(&mut o);
        self.dirs_text(&mut o, top);
        self.files_text(&mut o, top);
        self.history_text(&mut o);
        self.waste_text(&mut o);
        o
    }

    fn packages_text(&self, o: &mut String, top: usize) {
        if self.packages.is_empty() || top == 0 {
            return;
        }
        let _ = writeln!(o, "Packages");
        let _ = writeln!(
            o,
            "  {:<10} {:<7} {:<28} {:<32} {:>11}",
            "CHANGE", "TYPE", "NAME", "VERSION", "SIZE"
        );
        // The biggest moves first: a reader scans for what grew.
        let mut rows: Vec<&super::PackageRow> = self.packages.iter().collect();
        rows.sort_by_key(|p| std::cmp::Reverse(p.delta().unsigned_abs()));
        for p in rows.iter().take(top) {
            let _ = writeln!(
                o,
                "  {:<10} {:<7} {:<28} {:<32} {:>11}",
                p.change.name(),
                p.ecosystem.name(),
                printable(&p.name, 200),
                p.versions(),
                units::signed_decimal(p.delta())
            );
        }
        if rows.len() > top {
            let _ = writeln!(o, "  … {} more", units::count((rows.len() - top) as u64));
        }
        let _ = writeln!(o);
    }

    fn layers_text(&self, o: &mut String) {
        if self.layers.is_empty() {
            return;
        }
        let only_a = self.layers.iter().filter(|l| l.in_b.is_none()).count();
        let only_b = self.layers.iter().filter(|l| l.in_a.is_none()).count();
        let _ = writeln!(
            o,
            "Layers (= shared, - only in A, + only in B): {} shared, {only_a} only in A, {only_b} only in B",
            self.summary.shared_layers
        );
        let idx = |i: Option<usize>| i.map_or("-".to_string(), |x| x.to_string());
        for l in &self.layers {
            let _ = writeln!(
                o,
                "  {} {:>3} {:>3} {:>11}  {}",
                share_mark(l),
                idx(l.in_a),
                idx(l.in_b),
                units::decimal(l.size),
                printable(
                    &crate::model::history::short_command(
                        l.command.as_deref().unwrap_or(&l.diff_id)
                    ),
                    120
                )
            );
        }
        let _ = writeln!(o);
    }

    fn config_text(&self, o: &mut String) {
        if self.config.is_empty() {
            return;
        }
        let _ = writeln!(o, "Config");
        for (k, c) in &self.config {
            let _ = writeln!(
                o,
                "  {k:<14} {} -> {}",
                printable(&c.a.to_string(), 300),
                printable(&c.b.to_string(), 300)
            );
        }
        let _ = writeln!(o);
    }

    fn causes_text(&self, o: &mut String) {
        if self.waste_causes.is_empty() {
            return;
        }
        let _ = writeln!(o, "Waste by cause");
        for c in &self.waste_causes {
            let _ = writeln!(
                o,
                "  {:<12} {:>13}  {}",
                c.cause.label(),
                units::signed_decimal(c.delta),
                c.sentence(120)
            );
        }
        let _ = writeln!(o);
    }

    fn dirs_text(&self, o: &mut String, top: usize) {
        if top == 0 || (self.dirs.is_empty() && self.metadata_only_dirs.is_empty()) {
            return;
        }
        if !self.dirs.is_empty() {
            let _ = writeln!(o, "Directories");
            for d in self.dirs.iter().take(top) {
                let _ = writeln!(
                    o,
                    "  {:>13} {:>12}  {}/",
                    units::signed_decimal(d.bytes_b as i64 - d.bytes_a as i64),
                    units::counted(d.files, "file", "files"),
                    printable(d.path.trim_end_matches('/'), 1000)
                );
            }
            let _ = writeln!(o);
        }
        if !self.metadata_only_dirs.is_empty() {
            let _ = writeln!(o, "Metadata only");
            for m in self.metadata_only_dirs.iter().take(top) {
                let _ = writeln!(
                    o,
                    "  {:>15}  {}/  {}",
                    units::counted(m.entries as u64, "entry", "entries"),
                    printable(m.path.trim_end_matches('/'), 1000),
                    m.change
                );
            }
            if self.metadata_only_dirs.len() > top {
                let _ = writeln!(
                    o,
                    "  … {} more",
                    units::count((self.metadata_only_dirs.len() - top) as u64)
                );
            }
            let _ = writeln!(o);
        }
    }

    fn files_text(&self, o: &mut String, top: usize) {
        if self.files.is_empty() || top == 0 {
            return;
        }
        let _ = writeln!(o, "Biggest changes");
        let _ = writeln!(
            o,
            "  {:<13} {:>10} {:>10} {:>11}  PATH",
            "CHANGE", "A", "B", "DELTA"
        );
        for f in self.files.iter().take(top) {
            let side = |kind: Option<&str>, size: u64| {
                if kind.is_some() {
                    units::decimal(size)
                } else {
                    "-".into()
                }
            };
            let _ = writeln!(
                o,
                "  {:<13} {:>10} {:>10} {:>11}  {}",
                change_name(f.change),
                side(f.kind_a, f.size_a),
                side(f.kind_b, f.size_b),
                units::signed_decimal(f.size_b as i64 - f.size_a as i64),
                printable(&f.path, 1000)
            );
        }
        if self.files.len() > top {
            let _ = writeln!(
                o,
                "  … {} more",
                units::count((self.files.len() - top) as u64)
            );
        }
        let _ = writeln!(o);
    }

    fn history_text(&self, o: &mut String) {
        let changed: Vec<_> = self.history.iter().filter(|h| h.op != "equal").collect();
        if changed.is_empty() {
            return;
        }
        let _ = writeln!(o, "History");
        for h in changed {
            let mark = if h.op == "added" { "+" } else { "-" };
            let _ = writeln!(o, "  {mark} {}", printable(&h.command, 200));
        }
        let _ = writeln!(o);
    }

    fn waste_text(&self, o: &mut String) {
        let _ = writeln!(
            o,
            "Waste      {:<18} {:>12} {:>12} {:>12}",
            "", "A", "B", "delta"
        );
        for (k, w) in &self.waste {
            if k == "efficiency" {
                let _ = writeln!(
                    o,
                    "  {:<25} {:>10.1} % {:>10.1} % {:>+9.1} pp",
                    figure_label(k),
                    w.a * 100.0,
                    w.b * 100.0,
                    w.delta
                );
            } else {
                let _ = writeln!(
                    o,
                    "  {:<25} {:>12} {:>12} {:>12}",
                    figure_label(k),
                    units::decimal(w.a as u64),
                    units::decimal(w.b as u64),
                    units::signed_decimal(w.delta as i64)
                );
            }
        }
    }
}
