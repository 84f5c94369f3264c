//! Package-manager caches left in the final view. One table names each manager's cache
//! directories and the flag or cleanup that keeps them out, so adding a manager is one row;
//! the final view is scanned once for all of them. A manager's cache files in the base's
//! layers are a hint of their own, apart from the user's.

use std::collections::{BTreeMap, BTreeSet};

use super::{
    final_entries, main_layer, size, under, waste_severity, Hint, HintInput, Paths, WASTE_FLOOR,
};
use crate::tree::EntryKind;

/// A package manager: its cache directories and how to keep them out of the image.
struct Manager {
    name: &'static str,
    dirs: &'static [&'static str],
    fix: &'static str,
}

const MANAGERS: &[Manager] = &[
    Manager {
        name: "apt",
        dirs: &["var/lib/apt/lists", "var/cache/apt"],
        fix: "end the RUN that runs apt-get install with `apt-get clean && rm -rf \
              /var/lib/apt/lists/*` (same RUN, or the files stay in the layer)",
    },
    Manager {
        name: "apk",
        dirs: &["var/cache/apk"],
        fix: "use `apk add --no-cache` so the index never lands in a layer",
    },
    Manager {
        name: "pip",
        dirs: &["root/.cache/pip", "home/*/.cache/pip"],
        fix: "use `pip install --no-cache-dir` (or ENV PIP_NO_CACHE_DIR=1)",
    },
    Manager {
        name: "npm",
        dirs: &["root/.npm", "home/*/.npm"],
        fix: "run `npm cache clean --force` in the same RUN as the install, or use \
              `RUN --mount=type=cache,target=/root/.npm`",
    },
    Manager {
        name: "yarn",
        dirs: &[
            "usr/local/share/.cache/yarn",
            "root/.cache/yarn",
            "home/*/.cache/yarn",
        ],
        fix: "run `yarn cache clean` in the same RUN as `yarn install`, or use \
              `RUN --mount=type=cache`",
    },
    Manager {
        name: "dnf/yum",
        dirs: &["var/cache/dnf", "var/cache/yum"],
        fix: "end the RUN that installs packages with `dnf clean all` (`yum clean all`)",
    },
    Manager {
        name: "go build",
        dirs: &["root/.cache/go-build", "home/*/.cache/go-build"],
        fix: "run `go clean -cache` in the same RUN as `go build`, or use \
              `RUN --mount=type=cache,target=/root/.cache/go-build`",
    },
];

pub(super) fn package_cache(input: &HintInput<'_>, out: &mut Vec<Hint>) {
    // Per manager, the user's files and the base's: [mine, base].
    let mut found: Vec<[(Paths, BTreeMap<usize, u64>); 2]> =
        MANAGERS.iter().map(|_| Default::default()).collect();
    // The top-level directories the caches live in: most paths are ruled out by one compare.
    let mut tops: Vec<&str> = MANAGERS
        .iter()
        .flat_map(|m| m.dirs.iter())
        .map(|d| d.split('/').next().unwrap_or(d))
        .collect();
    tops.sort_unstable();
    tops.dedup();
    for (path, e, layer) in final_entries(input) {
        if e.kind != EntryKind::File || e.size == 0 {
            continue;
        }
        let top = path.split('/').next().unwrap_or(path);
        if !tops.contains(&top) {
            continue;
        }
        if let Some(i) = MANAGERS
            .iter()
            .position(|m| m.dirs.iter().any(|d| under(path, d) && path != *d))
        {
            let part = &mut found[i][usize::from(input.base.contains(layer))];
            part.0.add(path, e.size);
            *part.1.entry(layer).or_default() += e.size;
        }
    }
    for (m, parts) in MANAGERS.iter().zip(found) {
        for (part, (paths, layers)) in parts.into_iter().enumerate() {
            if let Some(hint) = cache_hint(m, paths, &layers, part == 1) {
                out.push(hint);
            }
        }
    }
}

fn cache_hint(
    m: &Manager,
    paths: Paths,
    layers: &BTreeMap<usize, u64>,
    from_base: bool,
) -> Option<Hint> {
    let bytes = paths.total();
    if bytes < WASTE_FLOOR {
        return None;
    }
    let layer = main_layer(layers);
    let top = paths.top();
    let dirs: BTreeSet<String> = top
        .iter()
        .filter_map(|p| m.dirs.iter().find(|d| under(p, d)).map(|d| (p, d)))
        .map(|(p, d)| {
            let n = d.split('/').count();
            format!("/{}", p.split('/').take(n).collect::<Vec<_>>().join("/"))
        })
        .collect();
    Some(Hint {
        id: "package-cache",
        severity: waste_severity(bytes),
        message: format!(
            "the {} cache ({}) keeps {} in the image{}; {}",
            m.name,
            dirs.into_iter().collect::<Vec<_>>().join(", "),
            size(bytes),
            layer.map_or(String::new(), |l| format!(", mostly from layer {l}")),
            m.fix,
        ),
        bytes,
        layer,
        paths: top,
        paths_total: paths.len(),
        from_base,
    })
}
