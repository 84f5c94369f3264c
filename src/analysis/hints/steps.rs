//! Hints about the build: the only ones that read what each step ran (`BuildStep`) rather
//! than the files it left. A broad COPY before a dependency install busts the install's cache
//! on every source change; runs of tiny RUN steps could be one. The history is parsed once,
//! in `model::build_step`; these rules only look up programs and sources in it.

use std::collections::BTreeSet;

use super::{
    path_list, size, step_in_layer, waste_severity, Hint, HintInput, Paths, Severity,
    DIR_COPY_LOOKAHEAD, TINY_LAYER_BYTES, TINY_RUN_STEPS,
};
use crate::model::build_step::{BuildStep, ShellCommand};
use crate::model::history::HistoryStep;
use crate::tree::EntryKind;

/// What a COPY/ADD step copies, as far as the history tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CopyKind {
    /// The whole build context (`COPY . .`).
    Broad,
    /// A directory the classic builder names only by hash (`COPY dir:<hash> in /app`).
    Dir,
}

fn copy_kind(step: &BuildStep) -> Option<CopyKind> {
    let BuildStep::Copy(copy) = step else {
        return None;
    };
    // From another stage or image: not the build context.
    if copy.from_other {
        return None;
    }
    let sources = copy.sources();
    if sources
        .iter()
        .any(|s| matches!(*s, "." | "./" | "*" | "./*"))
    {
        return Some(CopyKind::Broad);
    }
    if sources.iter().any(|s| s.starts_with("dir:")) {
        return Some(CopyKind::Dir);
    }
    None
}

/// An ecosystem's dependency install, with the manifests to copy before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Install {
    what: &'static str,
    manifests: &'static str,
}

const NODE: &str = "package.json + lock file";

/// The dependency install a RUN step performs, if any: the first of its commands that is one.
fn install_in(step: &BuildStep) -> Option<Install> {
    step.run()?.commands().find_map(install_in_command)
}

fn install_in_command(command: ShellCommand<'_>) -> Option<Install> {
    // Only the program of the command counts (`echo yarn` installs nothing).
    let mut k = command.program_index()?;
    let words: Vec<&str> = command.words().collect();
    let mut tool = crate::model::path::file_name(words[k]);
    if tool.starts_with("python") && words.get(k + 1) == Some(&"-m") {
        k += 2;
        tool = words.get(k).copied()?;
    }
    let rest = &words[k + 1..];
    let args: Vec<&str> = rest
        .iter()
        .copied()
        .filter(|w| !w.starts_with('-'))
        .collect();
    let first = args.first().copied();
    match tool {
        "npm"
            if matches!(first, Some("install" | "i" | "ci"))
                && !rest.iter().any(|w| *w == "-g" || *w == "--global") =>
        {
            Some(Install {
                what: "npm install",
                manifests: NODE,
            })
        }
        "pnpm" if matches!(first, Some("install" | "i")) => Some(Install {
            what: "pnpm install",
            manifests: NODE,
        }),
        "yarn" if matches!(first, None | Some("install")) => Some(Install {
            what: "yarn install",
            manifests: NODE,
        }),
        "pip" | "pip3" | "pip2"
            if first == Some("install")
                && rest
                    .iter()
                    .any(|w| w.starts_with("-r") || w.starts_with("--requirement")) =>
        {
            Some(Install {
                what: "pip install -r",
                manifests: "requirements.txt",
            })
        }
        "go" if args.starts_with(&["mod", "download"]) => Some(Install {
            what: "go mod download",
            manifests: "go.mod/go.sum",
        }),
        "bundle" if matches!(first, None | Some("install")) => Some(Install {
            what: "bundle install",
            manifests: "Gemfile + Gemfile.lock",
        }),
        "mvn" | "mvnw" if args.iter().any(|a| a.starts_with("dependency:")) => Some(Install {
            what: "mvn dependency:",
            manifests: "pom.xml",
        }),
        "composer" if first == Some("install") => Some(Install {
            what: "composer install",
            manifests: "composer.json + composer.lock",
        }),
        "cargo" if matches!(first, Some("fetch" | "build")) => Some(Install {
            what: "cargo fetch/build",
            manifests: "Cargo.toml + Cargo.lock",
        }),
        "poetry" if first == Some("install") => Some(Install {
            what: "poetry install",
            manifests: "pyproject.toml + poetry.lock",
        }),
        "pipenv" if first == Some("install") => Some(Install {
            what: "pipenv install",
            manifests: "Pipfile + Pipfile.lock",
        }),
        _ => None,
    }
}

/// File names that declare dependencies: what to copy before the install.
const MANIFESTS: &[&str] = &[
    "package.json",
    "package-lock.json",
    "npm-shrinkwrap.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "requirements.txt",
    "pyproject.toml",
    "poetry.lock",
    "Pipfile",
    "Pipfile.lock",
    "go.mod",
    "go.sum",
    "Gemfile",
    "Gemfile.lock",
    "pom.xml",
    "composer.json",
    "composer.lock",
    "Cargo.toml",
    "Cargo.lock",
];

fn is_manifest(path: &str) -> bool {
    let name = crate::model::path::file_name(path);
    (MANIFESTS.contains(&name) || (name.starts_with("requirements") && name.ends_with(".txt")))
        && !path
            .split('/')
            .any(|c| c == "node_modules" || c == "vendor")
}

pub(super) fn cache_busting_order(input: &HintInput<'_>, out: &mut Vec<Hint>) {
    // Layer-making steps, in order.
    let steps: Vec<&HistoryStep> = input
        .history
        .iter()
        .filter(|s| !s.empty_layer && s.layer.is_some())
        .collect();
    let mut broad: Option<&HistoryStep> = None;
    let mut reported = BTreeSet::new();
    let in_base = |s: &HistoryStep| s.layer.is_some_and(|l| input.base.contains(l));
    for (i, step) in steps.iter().enumerate() {
        // The base's COPY busts no cache of the user's build: it was built once, elsewhere.
        if broad.is_some_and(in_base) && !in_base(step) {
            broad = None;
        }
        if let Some(install) = install_in(&step.step) {
            if let (Some(copy), Some(layer)) = (broad, step.layer) {
                if reported.insert(layer) {
                    out.push(busting_hint(input, copy, step, layer, install));
                }
            }
        }
        if broad.is_none() {
            broad = match copy_kind(&step.step) {
                Some(CopyKind::Broad) => Some(step),
                Some(CopyKind::Dir)
                    if steps[i + 1..]
                        .iter()
                        .take(DIR_COPY_LOOKAHEAD)
                        .any(|s| install_in(&s.step).is_some()) =>
                {
                    Some(step)
                }
                _ => None,
            };
        }
    }
}

fn busting_hint(
    input: &HintInput<'_>,
    copy: &HistoryStep,
    install_step: &HistoryStep,
    layer: usize,
    install: Install,
) -> Hint {
    let bytes = input.stats.get(layer).map_or(0, |s| s.size);
    let mut manifests = Paths::default();
    if let Some(tree) = copy.layer.and_then(|l| input.layers.get(l)) {
        for e in tree
            .entries
            .iter()
            .filter(|e| e.kind == EntryKind::File && is_manifest(&e.path))
        {
            manifests.add(&e.path, e.size);
        }
    }
    let found = manifests.top();
    let named = if found.is_empty() {
        String::new()
    } else {
        format!(": {}", path_list(&found, manifests.len(), 4))
    };
    Hint {
        id: "cache-busting-order",
        severity: waste_severity(bytes),
        message: format!(
            "{} comes before {} ({}), so every source change re-runs the install and re-ships \
             its {}; copy the dependency manifests first ({}{named}), install, then COPY the \
             rest",
            step_in_layer(input.history, copy.layer.unwrap_or(layer)),
            step_in_layer(input.history, layer),
            install.what,
            size(bytes),
            install.manifests,
        ),
        bytes,
        layer: Some(install_step.layer.unwrap_or(layer)),
        paths: found,
        paths_total: manifests.len(),
        from_base: input.base.contains(layer),
    }
}

// ---------------------------------------------------------------------------------------------
// Runs of tiny RUN layers.

pub(super) fn tiny_layers(input: &HintInput<'_>, out: &mut Vec<Hint>) {
    let mut run: Vec<usize> = Vec::new();
    let mut flush = |run: &mut Vec<usize>| {
        if run.len() >= TINY_RUN_STEPS {
            out.push(tiny_hint(input, run));
        }
        run.clear();
    };
    for step in input.history.iter().filter(|s| !s.empty_layer) {
        let Some(layer) = step.layer else { continue };
        let size = input.stats.get(layer).map_or(0, |s| s.size);
        let tiny = step.step.is_run() && size < TINY_LAYER_BYTES;
        // A run stops where the base's layers end: the user can join only their own steps.
        let follows = run.last().is_none_or(|&l| {
            l + 1 == layer && input.base.contains(l) == input.base.contains(layer)
        });
        if !tiny || !follows {
            flush(&mut run);
        }
        if tiny {
            run.push(layer);
        }
    }
    flush(&mut run);
}

fn tiny_hint(input: &HintInput<'_>, run: &[usize]) -> Hint {
    let (first, last) = (run[0], run[run.len() - 1]);
    let mut paths = Paths::default();
    let mut bytes = 0;
    for &l in run {
        bytes += input.stats.get(l).map_or(0, |s| s.size);
        if let Some(tree) = input.layers.get(l) {
            for e in tree.entries.iter().filter(|e| e.kind == EntryKind::File) {
                paths.add(&e.path, e.size);
            }
        }
    }
    Hint {
        id: "tiny-layers",
        severity: Severity::Info,
        message: format!(
            "{} RUN steps in layers {first}..{last} could be one RUN (each adds under {}); join \
             their commands with `&&` in a single RUN to drop {} layers",
            run.len(),
            size(TINY_LAYER_BYTES),
            run.len() - 1,
        ),
        bytes,
        layer: Some(first),
        paths: paths.top(),
        paths_total: paths.len(),
        from_base: input.base.contains(first),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rules read a step parsed once in `model::build_step`; these tests write the
    /// cleaned command it is parsed from.
    fn copy_kind(cmd: &str) -> Option<CopyKind> {
        super::copy_kind(&BuildStep::parse(cmd))
    }

    #[test]
    fn broad_copies() {
        assert_eq!(copy_kind("COPY . ."), Some(CopyKind::Broad));
        assert_eq!(
            copy_kind("COPY --chown=app:app . /srv"),
            Some(CopyKind::Broad)
        );
        assert_eq!(copy_kind("ADD . /app"), Some(CopyKind::Broad));
        assert_eq!(copy_kind("COPY [\".\", \"/app\"]"), Some(CopyKind::Broad));
        assert_eq!(copy_kind("COPY dir:0a1b2c in /app"), Some(CopyKind::Dir));
        assert_eq!(copy_kind("COPY file:0a1b2c in /app/"), None);
        assert_eq!(copy_kind("COPY multi:0a1b2c in ./"), None);
        assert_eq!(copy_kind("COPY package*.json ./"), None);
        assert_eq!(copy_kind("COPY --from=build /out . "), None);
        assert_eq!(copy_kind("COPY --from=build . ."), None);
        assert_eq!(copy_kind("RUN cp . /x"), None);
    }

    #[test]
    fn installs() {
        let what = |c: &str| install_in(&BuildStep::parse(c)).map(|i| i.what);
        assert_eq!(what("RUN npm ci"), Some("npm install"));
        assert_eq!(
            what("RUN apt-get update && npm install --production"),
            Some("npm install")
        );
        assert_eq!(what("RUN npm install -g pm2"), None);
        assert_eq!(what("RUN yarn --frozen-lockfile"), Some("yarn install"));
        assert_eq!(what("RUN yarn build"), None);
        assert_eq!(
            what("RUN pip install --no-cache-dir -r requirements.txt"),
            Some("pip install -r")
        );
        assert_eq!(
            what("RUN python3 -m pip install -rreq.txt"),
            Some("pip install -r")
        );
        assert_eq!(what("RUN pip install flask"), None);
        assert_eq!(what("RUN go mod download"), Some("go mod download"));
        assert_eq!(what("RUN go build ./..."), None);
        assert_eq!(what("RUN bundle install --jobs 4"), Some("bundle install"));
        assert_eq!(
            what("RUN ./mvnw -B dependency:go-offline"),
            Some("mvn dependency:")
        );
        assert_eq!(what("RUN composer install"), Some("composer install"));
        assert_eq!(what("RUN cargo build --release"), Some("cargo fetch/build"));
        assert_eq!(what("COPY npm install"), None);
        assert_eq!(what("RUN echo npm"), None);
        assert_eq!(what("RUN echo yarn"), None);
        assert_eq!(
            what("RUN cd /app && NODE_ENV=production yarn"),
            Some("yarn install")
        );
        assert_eq!(
            what("RUN --mount=type=cache,target=/root/.npm /bin/sh -c npm ci"),
            Some("npm install")
        );
        assert_eq!(
            what("|1 GOFLAGS=-mod=mod /bin/sh -c go mod download"),
            Some("go mod download")
        );
    }

    /// BuildKit writes a RUN with build args as `RUN |N K=V ... /bin/sh -c x`. Before the
    /// history was parsed once, the hints cut that at its `|` and took `1` for the program
    /// of the first command, so an install there went unnoticed (the classic builder's same
    /// prefix without `RUN ` was read). Exec-form RUNs with build args were missed by both.
    #[test]
    fn installs_behind_build_args() {
        let what = |c: &str| install_in(&BuildStep::parse(c)).map(|i| i.what);
        assert_eq!(
            what("RUN |1 NODE_ENV=production /bin/sh -c npm ci"),
            Some("npm install")
        );
        assert_eq!(
            what("RUN |2 A=1 B=2 /bin/sh -c go mod download && go build"),
            Some("go mod download")
        );
        assert_eq!(what("RUN |1 A=1 npm ci"), Some("npm install"));
        assert_eq!(what("|1 A=1 npm ci"), Some("npm install"));
        assert!(BuildStep::parse("|1 A=1 npm ci").is_run());
    }

    #[test]
    fn manifests() {
        assert!(is_manifest("app/package.json"));
        assert!(!is_manifest("app/node_modules/x/package.json"));
    }
}
