//! DESIGN.md section 5's boundaries, checked by scanning the sources so they cannot rot:
//! every top-level folder of `src/` imports only from the folders below it (a full table,
//! `ALLOWED`), the external crates that belong to one layer stay there (`CRATES`), the
//! analysis does no I/O, and no two files import each other, directly or around a cycle.
//!
//! What counts as an import: every path in non-test code that starts with `crate::`,
//! `strata::` (the binary), `super::` or `self::`, or with the name of a child module, in
//! `use` lines and inline alike; comments and `#[cfg(test)]` sections do not count.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, bottom first, and what each may import (itself always). The binary's `cli`
/// (and `main.rs`) sit on top of everything.
const ALLOWED: &[(&str, &[&str])] = &[
    ("model", &[]),
    ("blob", &["model"]),
    ("source", &["model", "blob"]),
    ("tree", &["model"]),
    ("analysis", &["model", "tree"]),
    ("cache", &["model", "blob", "tree", "analysis"]),
    (
        "load",
        &["model", "blob", "source", "tree", "analysis", "cache"],
    ),
    ("extract", &["model", "tree", "analysis", "load"]),
    ("report", &["model", "blob", "tree", "analysis", "load"]),
    (
        "tui",
        &[
            "model", "blob", "source", "tree", "analysis", "cache", "load", "extract", "report",
        ],
    ),
    (
        "cli",
        &[
            "model", "blob", "source", "tree", "analysis", "cache", "load", "extract", "report",
            "tui",
        ],
    ),
];

/// External crates that belong to some layers only: (crate, the folders that may use it).
/// `main.rs` counts as `cli`.
const CRATES: &[(&str, &[&str])] = &[
    ("ratatui", &["tui"]),
    ("crossterm", &["tui"]),
    ("clap", &["cli"]),
    ("clap_complete", &["cli"]),
    ("clap_mangen", &["cli"]),
    ("roff", &["cli"]),
    // The layer walker and the outer-archive source; nothing else reads tars.
    ("tar", &["tree", "source"]),
    ("oci_client", &["source/registry"]),
    ("tokio", &["source"]),
    ("hyper", &["source"]),
    ("hyper_util", &["source"]),
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(rust_files(&p));
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// A file's code without comments, string contents and `#[cfg(test)]` sections.
fn code_of(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap_or("");
    let mut out = String::with_capacity(text.len());
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'/' && b.get(i + 1) == Some(&b'/') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if b[i] == b'"' {
            // Skip a string literal (escapes included); raw strings in this code base hold
            // no quotes that would confuse this.
            i += 1;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else if b[i] == b'\'' && b.get(i + 2) == Some(&b'\'') {
            // A char literal like '"' or '{'.
            i += 3;
            out.push_str("' '");
        } else {
            out.push(b[i] as char);
            i += 1;
        }
    }
    out
}

/// The module path of a file: `src/tui/app/explorer/files.rs` -> `tui::app::explorer::files`.
fn module_of(file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src()).unwrap();
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap();
    let stem = last.trim_end_matches(".rs");
    if stem != "mod" && stem != "lib" && stem != "main" {
        parts.push(stem.to_string());
    }
    if stem == "main" || rel.starts_with("cli") {
        // The binary's modules: `crate::` there is the binary, `strata::` the library.
        let mut bin = vec!["<bin>".to_string()];
        bin.extend(parts);
        return bin;
    }
    parts
}

/// The top-level folder a module path is in (`main.rs` and `cli/` are `cli`).
fn layer_of(module: &[String]) -> String {
    match module.first().map(String::as_str) {
        Some("<bin>") => "cli".into(),
        Some(top) => top.into(),
        None => "lib".into(),
    }
}

/// Every path the code names that resolves inside the crate, as absolute module paths (as
/// long as they were written; the caller trims them to files).
fn references(file: &Path, code: &str, child_modules: &BTreeSet<String>) -> Vec<Vec<String>> {
    let here = module_of(file);
    let in_bin = here.first().is_some_and(|m| m == "<bin>");
    let mut out = Vec::new();
    for path in paths_in(code) {
        let segs: Vec<&str> = path.iter().map(String::as_str).collect();
        let Some(first) = segs.first() else { continue };
        let resolved: Option<Vec<String>> = match *first {
            "crate" if in_bin => None,
            "crate" => Some(segs[1..].iter().map(|s| s.to_string()).collect()),
            "strata" if in_bin => Some(segs[1..].iter().map(|s| s.to_string()).collect()),
            "super" => {
                let mut base = here.clone();
                let mut rest = &segs[..];
                while rest.first() == Some(&"super") {
                    base.pop();
                    rest = &rest[1..];
                }
                base.extend(rest.iter().map(|s| s.to_string()));
                Some(base).filter(|b| b.first().is_none_or(|m| m != "<bin>"))
            }
            "self" => {
                let mut base = here.clone();
                base.extend(segs[1..].iter().map(|s| s.to_string()));
                Some(base)
            }
            child if child_modules.contains(child) && !in_bin => {
                let mut base = here.clone();
                base.extend(segs.iter().map(|s| s.to_string()));
                Some(base)
            }
            _ => None,
        };
        if let Some(r) = resolved.filter(|r| !r.is_empty()) {
            out.push(r);
        }
    }
    out
}

/// Every path written in `code` (`a::b::c`, and each leaf of `a::{b::c, d}`), as segments.
fn paths_in(code: &str) -> Vec<Vec<String>> {
    let chars: Vec<char> = code.chars().collect();
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let starts = (chars[i].is_alphabetic() || chars[i] == '_')
            && (i == 0 || !(word(chars[i - 1]) || chars[i - 1] == ':'));
        if starts {
            let (paths, end) = parse_tree(&chars, i, Vec::new());
            out.extend(paths.into_iter().filter(|p| p.len() > 1));
            i = end.max(i + 1);
        } else {
            i += 1;
        }
    }
    out
}

fn skip_space(chars: &[char], mut i: usize) -> usize {
    while i < chars.len() && chars[i].is_whitespace() {
        i += 1;
    }
    i
}

/// The path starting at `i` under `prefix`: its leaves, and where it ends.
fn parse_tree(chars: &[char], mut i: usize, prefix: Vec<String>) -> (Vec<Vec<String>>, usize) {
    let mut segs = prefix;
    loop {
        let start = i;
        while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
            i += 1;
        }
        if i > start {
            segs.push(chars[start..i].iter().collect());
        }
        let j = skip_space(chars, i);
        if chars.get(j) != Some(&':') || chars.get(j + 1) != Some(&':') {
            return (vec![segs], i);
        }
        i = skip_space(chars, j + 2);
        if chars.get(i) != Some(&'{') {
            continue;
        }
        let mut leaves = vec![segs.clone()];
        i += 1;
        loop {
            i = skip_space(chars, i);
            match chars.get(i) {
                Some('}') => return (leaves, i + 1),
                Some(',') => i += 1,
                None => return (leaves, i),
                Some(_) => {
                    let (more, end) = parse_tree(chars, i, segs.clone());
                    leaves.extend(more);
                    i = end.max(i + 1);
                }
            }
        }
    }
}

/// Every source file with its module path and its code.
fn sources() -> Vec<(PathBuf, Vec<String>, String)> {
    rust_files(&src())
        .into_iter()
        .map(|f| {
            let m = module_of(&f);
            let code = code_of(&std::fs::read_to_string(&f).unwrap());
            (f, m, code)
        })
        .collect()
}

/// The names of the modules a file declares (`mod x;`, `pub mod x;`, `pub(crate) mod x;`).
fn declared_children(code: &str) -> BTreeSet<String> {
    code.lines()
        .filter_map(|l| {
            let l = l.trim();
            let rest = l
                .strip_prefix("pub mod ")
                .or_else(|| l.strip_prefix("mod "))
                .or_else(|| l.strip_prefix("pub(crate) mod "))?;
            rest.strip_suffix(';').map(str::to_string)
        })
        .collect()
}

/// Upward imports, as `file: imports layer X` lines.
fn upward_imports(files: &[(PathBuf, Vec<String>, String)]) -> Vec<String> {
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let mut bad = Vec::new();
    for (file, module, code) in files {
        let layer = layer_of(module);
        if layer == "lib" {
            continue;
        }
        let Some(may) = allowed.get(layer.as_str()) else {
            bad.push(format!(
                "{}: folder {layer} is missing from ALLOWED",
                file.display()
            ));
            continue;
        };
        let children = declared_children(code);
        for r in references(file, code, &children) {
            let target = r[0].as_str();
            if target == layer || may.contains(&target) || !allowed.contains_key(target) {
                continue;
            }
            bad.push(format!(
                "{}: {layer} imports {} (from a layer above it, or beside it)",
                file.display(),
                r.join("::")
            ));
        }
    }
    bad.sort();
    bad.dedup();
    bad
}

#[test]
fn no_folder_imports_from_a_layer_above_it() {
    let bad = upward_imports(&sources());
    assert!(bad.is_empty(), "upward imports:\n{}", bad.join("\n"));
}

/// The check itself catches an upward import (a deliberate one, in memory).
#[test]
fn the_layer_check_fails_on_a_deliberate_upward_import() {
    let mut files = sources();
    let clean = upward_imports(&files);
    let (_, _, code) = files
        .iter_mut()
        .find(|(f, _, _)| f.ends_with("analysis/merge.rs"))
        .unwrap();
    code.push_str("\nuse crate::load::Session;\n");
    let bad = upward_imports(&files);
    let new: Vec<&String> = bad.iter().filter(|b| !clean.contains(b)).collect();
    assert_eq!(new.len(), 1, "{bad:?}");
    assert!(new[0].contains("analysis imports load::Session"), "{bad:?}");
}

#[test]
fn crates_that_belong_to_one_layer_stay_there() {
    let mut bad = Vec::new();
    for (file, module, code) in sources() {
        let layer = layer_of(&module);
        let rel = file
            .strip_prefix(src())
            .unwrap()
            .to_string_lossy()
            .into_owned();
        for (name, homes) in CRATES {
            if homes.iter().any(|h| rel.starts_with(h) || layer == *h) {
                continue;
            }
            let used = code.match_indices(&format!("{name}::")).any(|(i, _)| {
                let before = code[..i].chars().last();
                // `::tar::` is the crate; `x::tar::` or `x_tar::` is something else.
                !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
                    && !code[..i].ends_with("::")
                    || code[..i].ends_with(" ::")
                    || code[..i].ends_with("(::")
            });
            if used {
                bad.push(format!("{rel}: uses {name}, which belongs to {homes:?}"));
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn analysis_does_no_io() {
    let mut bad = Vec::new();
    for (file, module, code) in sources() {
        if layer_of(&module) != "analysis" {
            continue;
        }
        for needle in ["std::fs", "std::io", "std::net", "std::process", "tokio"] {
            if code.contains(needle) {
                bad.push(format!("{}: {needle}", file.display()));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "analysis must do no I/O:\n{}",
        bad.join("\n")
    );
}

/// A cycle of files that import each other, leaving out a module and the modules inside it:
/// a child using its parent's types, or a parent re-exporting a child's, is how a module is
/// split into files, not a cycle between two ideas.
fn import_cycle(files: &[(PathBuf, Vec<String>, String)]) -> Option<Vec<String>> {
    let module_files: BTreeMap<Vec<String>, usize> = files
        .iter()
        .enumerate()
        .map(|(i, (_, m, _))| (m.clone(), i))
        .collect();
    let file_of = |path: &[String]| -> Option<usize> {
        (1..=path.len())
            .rev()
            .find_map(|n| module_files.get(&path[..n]).copied())
    };
    let related = |a: &[String], b: &[String]| a.starts_with(b) || b.starts_with(a);
    let mut edges: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); files.len()];
    for (i, (file, module, code)) in files.iter().enumerate() {
        let children = declared_children(code);
        for r in references(file, code, &children) {
            let Some(j) = file_of(&r) else { continue };
            if i != j && !related(module, &files[j].1) {
                edges[i].insert(j);
            }
        }
    }
    fn visit(
        n: usize,
        edges: &[BTreeSet<usize>],
        state: &mut [u8],
        stack: &mut Vec<usize>,
    ) -> Option<Vec<usize>> {
        state[n] = 1;
        stack.push(n);
        for &m in &edges[n] {
            if state[m] == 1 {
                let at = stack.iter().position(|&x| x == m).unwrap_or(0);
                let mut cycle = stack[at..].to_vec();
                cycle.push(m);
                return Some(cycle);
            }
            if state[m] == 0 {
                if let Some(c) = visit(m, edges, state, stack) {
                    return Some(c);
                }
            }
        }
        stack.pop();
        state[n] = 2;
        None
    }
    let mut state = vec![0u8; files.len()];
    for n in 0..files.len() {
        if state[n] == 0 {
            if let Some(cycle) = visit(n, &edges, &mut state, &mut Vec::new()) {
                return Some(
                    cycle
                        .iter()
                        .map(|&i| {
                            files[i]
                                .0
                                .strip_prefix(src())
                                .unwrap()
                                .display()
                                .to_string()
                        })
                        .collect(),
                );
            }
        }
    }
    None
}

#[test]
fn no_two_files_import_each_other() {
    if let Some(cycle) = import_cycle(&sources()) {
        panic!("files import each other: {}", cycle.join(" -> "));
    }
}

/// The cycle check finds two files that import each other (a deliberate back edge, in
/// memory).
#[test]
fn the_cycle_check_finds_two_files_importing_each_other() {
    let mut files = sources();
    let (_, _, code) = files
        .iter_mut()
        .find(|(f, _, _)| f.ends_with("load/blob_read.rs"))
        .unwrap();
    code.push_str("\nuse super::layers::read_all;\n");
    let cycle = import_cycle(&files).unwrap_or_default();
    assert_eq!(
        cycle,
        ["load/blob_read.rs", "load/layers.rs", "load/blob_read.rs"],
        "layers.rs reads blobs with blob_read.rs; the back edge closes a cycle"
    );
}
