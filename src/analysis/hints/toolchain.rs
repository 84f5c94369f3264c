//! Build tools in the final view: compilers, headers, language toolchains. They are summed
//! over the user's layers (one hint, split by part) because the fix is one multi-stage build,
//! whichever layers installed them; the base's build tools are one hint of their own.

use std::collections::BTreeMap;

use super::{
    final_entries, main_layer, size, under, waste_severity, Hint, HintInput, Paths, TOOLCHAIN_FLOOR,
};
use crate::model::packages::Package;
use crate::tree::EntryKind;

/// What part of a build toolchain a path belongs to.
fn toolchain_part(path: &str) -> Option<&'static str> {
    let name = crate::model::path::file_name(path);
    if path.starts_with("usr/lib/gcc/")
        || path.starts_with("usr/libexec/gcc/")
        || (under(path, "usr/bin")
            && path.matches('/').count() == 2
            && (name.starts_with("gcc")
                || name.starts_with("g++")
                || name.starts_with("cc1")
                || name.contains("-gcc")
                || name.contains("-g++")))
    {
        return Some("gcc");
    }
    if path.starts_with("usr/include/") || path.starts_with("usr/local/include/") {
        return Some("C headers");
    }
    if path.starts_with("usr/local/go/") {
        return Some("Go toolchain");
    }
    if [
        "root/.rustup/",
        "root/.cargo/",
        "usr/local/rustup/",
        "usr/local/cargo/",
    ]
    .iter()
    .any(|p| path.starts_with(p))
    {
        return Some("Rust toolchain");
    }
    if path.starts_with("node_modules/node-gyp/")
        || path.contains("/node_modules/node-gyp/")
        || path.starts_with("root/.cache/node-gyp/")
    {
        return Some("node-gyp");
    }
    None
}

pub(super) fn build_toolchain(input: &HintInput<'_>, out: &mut Vec<Hint>) {
    // The user's build tools and the base's: [mine, base].
    let mut found: [Found; 2] = Default::default();
    // Files of build-tool packages count too, under their package's name in the message.
    let tools = super::packages::toolchain(input);
    let tool_files: std::collections::HashSet<&str> = tools
        .iter()
        .flat_map(|(_, ids)| ids.iter().map(|&id| input.stack.paths.path(id)))
        .collect();
    for (path, e, layer) in final_entries(input) {
        if e.kind != EntryKind::File {
            continue;
        }
        let part = toolchain_part(path).or_else(|| {
            tool_files
                .contains(path)
                .then_some("other build-tool packages")
        });
        if let Some(part) = part {
            let f = &mut found[usize::from(input.base.contains(layer))];
            f.paths.add(path, e.size);
            *f.layers.entry(layer).or_default() += e.size;
            *f.parts.entry(part).or_default() += e.size;
        }
    }
    for (i, f) in found.into_iter().enumerate() {
        let from_base = i == 1;
        // Each part names the packages it installed.
        let packages: Vec<&Package> = tools
            .iter()
            .map(|(p, _)| *p)
            .filter(|p| input.base.contains(p.layer) == from_base)
            .collect();
        if let Some(hint) = toolchain_hint(f, &packages, from_base) {
            out.push(hint);
        }
    }
}

/// Build-tool files found in one part of the image (the user's layers or the base's).
#[derive(Default)]
struct Found {
    paths: Paths,
    layers: BTreeMap<usize, u64>,
    parts: BTreeMap<&'static str, u64>,
}

fn toolchain_hint(f: Found, tools: &[&Package], from_base: bool) -> Option<Hint> {
    let bytes = f.paths.total();
    if bytes < TOOLCHAIN_FLOOR {
        return None;
    }
    let mut parts: Vec<(&str, u64)> = f.parts.into_iter().collect();
    parts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    let layer = main_layer(&f.layers);
    Some(Hint {
        id: "build-toolchain",
        severity: waste_severity(bytes),
        message: format!(
            "build tools take {} of the final image ({}){}{}; suggest a multi-stage build: \
             compile in a builder stage and COPY only the artefacts into a slim runtime stage",
            size(bytes),
            parts
                .iter()
                .map(|(p, b)| format!("{p} {}", size(*b)))
                .collect::<Vec<_>>()
                .join(", "),
            layer.map_or(String::new(), |l| format!(", mostly from layer {l}")),
            if tools.is_empty() {
                String::new()
            } else {
                format!("; packages {}", super::packages::sized_names(tools))
            },
        ),
        bytes,
        layer,
        paths: f.paths.top(),
        paths_total: f.paths.len(),
        from_base,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toolchain_parts() {
        assert_eq!(toolchain_part("usr/bin/gcc-12"), Some("gcc"));
        assert_eq!(
            toolchain_part("usr/bin/x86_64-linux-gnu-gcc-12"),
            Some("gcc")
        );
        assert_eq!(toolchain_part("usr/bin/gcov"), None);
        assert_eq!(
            toolchain_part("app/node_modules/node-gyp/lib/build.js"),
            Some("node-gyp")
        );
    }
}
