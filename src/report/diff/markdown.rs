//! `strata diff A B --format markdown`: the comparison as a pull-request comment. A summary
//! table and the waste causes up front, then packages, layers and config as tables, and the
//! long lists (directories, metadata-only changes, files) folded in `<details>`.
//!
//! The whole comment stays under GitHub's limit (65,536 characters): each table takes rows
//! while its share of what is left allows, and says how many it left out. Every name, version
//! and command from the images is escaped, so nothing in an image can add markup.

use std::fmt::Write as _;

use super::{change_name, share_mark, DiffReport};
use crate::model::units;
use crate::report::markdown_util::{cell, footer, share, table, RESERVE};

/// GitHub's limit on a comment's body, in characters.
pub use crate::report::markdown_util::COMMENT_LIMIT;

impl DiffReport {
    /// The comparison as GitHub-flavoured markdown, at most `limit` bytes (`COMMENT_LIMIT`
    /// for a comment).
    pub fn render_markdown(&self, limit: usize) -> String {
        let limit = limit.max(4 * RESERVE);
        let mut o = String::new();
        let s = &self.summary;
        let (a, b) = (&self.a, &self.b);
        let _ = writeln!(
            o,
            "### strata diff: {} → {}\n",
            cell(&a.image.reference, 200),
            cell(&b.image.reference, 200)
        );
        let _ = writeln!(o, "| | A | B | Δ |\n|---|---:|---:|---:|");
        let _ = writeln!(
            o,
            "| Visible size | {} | {} | {} |",
            units::decimal(s.bytes_a),
            units::decimal(s.bytes_b),
            units::signed_decimal(s.bytes_b as i64 - s.bytes_a as i64)
        );
        let _ = writeln!(
            o,
            "| In layers | {} | {} | {} |",
            units::decimal(a.totals.total_bytes),
            units::decimal(b.totals.total_bytes),
            units::signed_decimal(b.totals.total_bytes as i64 - a.totals.total_bytes as i64)
        );
        if let Some(e) = self.waste.get("efficiency") {
            let _ = writeln!(
                o,
                "| Efficiency | {:.1} % | {:.1} % | {:+.1} pp |",
                e.a * 100.0,
                e.b * 100.0,
                e.delta
            );
        }
        let _ = writeln!(
            o,
            "| Layers | {} | {} | {} shared |",
            s.layers_a, s.layers_b, s.shared_layers
        );
        let _ = writeln!(o, "| Packages | | | {} |", s.packages_line());
        let _ = writeln!(o, "| Files | | | {} |\n", self.files_line());
        let _ = writeln!(
            o,
            "A host with A fetches {} more for B.\n",
            units::decimal(s.fetch_compressed_bytes)
        );

        if !self.waste_causes.is_empty() {
            let _ = writeln!(o, "**Waste by cause**\n");
            for c in self.waste_causes.iter().take(10) {
                let _ = writeln!(
                    o,
                    "- {} ({}, {})",
                    cell(&c.sentence(160), 400),
                    c.cause.label(),
                    units::signed_decimal(c.delta)
                );
            }
            if self.waste_causes.len() > 10 {
                let _ = writeln!(o, "- … {} more", self.waste_causes.len() - 10);
            }
            o.push('\n');
        }

        // Each section below may take a share of what is left; the files take the rest.
        let share = |o: &String, part: usize| share(o, limit, part);
        if !self.packages.is_empty() {
            let _ = writeln!(
                o,
                "#### Packages ({})\n",
                units::count(self.packages.len() as u64)
            );
            let mut rows: Vec<&super::PackageRow> = self.packages.iter().collect();
            rows.sort_by_key(|p| std::cmp::Reverse(p.delta().unsigned_abs()));
            let budget = share(&o, 3);
            table(
                &mut o,
                budget,
                &["Change", "Type", "Name", "Version", "Δ size"],
                rows.into_iter().map(|p| {
                    format!(
                        "| {} | {} | {} | {} | {} |",
                        p.change.name(),
                        p.ecosystem.name(),
                        cell(&p.name, 200),
                        cell(&p.versions(), 250),
                        units::signed_decimal(p.delta())
                    )
                }),
                "packages",
            );
        }
        let moved: Vec<&super::LayerRow> = self
            .layers
            .iter()
            .filter(|l| share_mark(l) != "=")
            .collect();
        if !moved.is_empty() {
            let _ = writeln!(o, "#### Layers only in one image ({})\n", moved.len());
            let idx = |i: Option<usize>| i.map_or("-".to_string(), |x| x.to_string());
            let budget = share(&o, 4);
            table(
                &mut o,
                budget,
                &["", "A", "B", "Size", "Step"],
                moved.into_iter().map(|l| {
                    format!(
                        "| {} | {} | {} | {} | {} |",
                        if share_mark(l) == "-" {
                            "only A"
                        } else {
                            "only B"
                        },
                        idx(l.in_a),
                        idx(l.in_b),
                        units::decimal(l.size),
                        cell(
                            &crate::model::history::short_command(
                                l.command.as_deref().unwrap_or(&l.diff_id)
                            ),
                            200
                        )
                    )
                }),
                "layers",
            );
        }
        if !self.config.is_empty() {
            let _ = writeln!(o, "#### Config\n");
            let budget = share(&o, 4);
            table(
                &mut o,
                budget,
                &["Key", "in A", "in B"],
                self.config.iter().map(|(k, c)| {
                    format!(
                        "| {} | {} | {} |",
                        cell(k, 100),
                        cell(&c.a.to_string(), 300),
                        cell(&c.b.to_string(), 300)
                    )
                }),
                "keys",
            );
        }
        if !self.dirs.is_empty() {
            let _ = writeln!(
                o,
                "<details><summary>Directories whose size changed ({})</summary>\n",
                self.dirs.len()
            );
            let budget = share(&o, 4);
            table(
                &mut o,
                budget,
                &["Δ size", "Files", "Directory"],
                self.dirs.iter().map(|d| {
                    format!(
                        "| {} | {} | {}/ |",
                        units::signed_decimal(d.bytes_b as i64 - d.bytes_a as i64),
                        units::count(d.files),
                        cell(d.path.trim_end_matches('/'), 300)
                    )
                }),
                "directories",
            );
            let _ = writeln!(o, "</details>\n");
        }
        if !self.metadata_only_dirs.is_empty() {
            let _ = writeln!(
                o,
                "<details><summary>Metadata-only changes ({})</summary>\n",
                units::counted(s.metadata_only, "entry", "entries")
            );
            let budget = share(&o, 4);
            table(
                &mut o,
                budget,
                &["Entries", "Directory", "Change"],
                self.metadata_only_dirs.iter().map(|m| {
                    format!(
                        "| {} | {}/ | {} |",
                        units::count(m.entries as u64),
                        cell(m.path.trim_end_matches('/'), 300),
                        cell(&m.change, 100)
                    )
                }),
                "directories",
            );
            let _ = writeln!(o, "</details>\n");
        }
        if !self.files.is_empty() {
            let _ = writeln!(
                o,
                "<details><summary>Files ({} changed paths)</summary>\n",
                units::count(self.files.len() as u64)
            );
            let budget = limit - RESERVE;
            table(
                &mut o,
                budget,
                &["Change", "A", "B", "Δ size", "Path"],
                self.files.iter().map(|f| {
                    let side = |kind: Option<&str>, size: u64| {
                        if kind.is_some() {
                            units::decimal(size)
                        } else {
                            "-".into()
                        }
                    };
                    format!(
                        "| {} | {} | {} | {} | {} |",
                        change_name(f.change).replace('_', " "),
                        side(f.kind_a, f.size_a),
                        side(f.kind_b, f.size_b),
                        units::signed_decimal(f.size_b as i64 - f.size_a as i64),
                        cell(&f.path, 300)
                    )
                }),
                "files",
            );
            let _ = writeln!(o, "</details>\n");
        }
        footer(&mut o);
        o
    }
}
