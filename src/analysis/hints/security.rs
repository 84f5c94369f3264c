//! Security hints: who the container runs as, credentials (visible in the final view, or
//! hidden by a later layer but still extractable), and setuid or world-writable paths the
//! image adds. They are errors or warnings whatever their size: they say nothing of bytes.

use std::collections::BTreeMap;

use super::{final_entries, path_list, step_in_layer, Hint, HintInput, Paths, Severity};
use crate::analysis::merge::{entry, Cause};
use crate::tree::{secrets, Entry, EntryKind, FLAG_PRIVATE_KEY, FLAG_TOKEN};

/// The config's user means root: unset, empty, or a user part of `root` or uid 0 however it
/// is written (`0`, `00`, `+0`, `-0`: runc reads a numeric user with Go's `strconv.Atoi`).
pub fn runs_as_root(user: Option<&str>) -> bool {
    let user = user.unwrap_or("").trim();
    let name = user.split(':').next().unwrap_or("").trim();
    let digits = name.strip_prefix(['+', '-']).unwrap_or(name);
    name.is_empty()
        || name == "root"
        || (!digits.is_empty()
            && digits.bytes().all(|b| b.is_ascii_digit())
            && digits.bytes().all(|b| b == b'0'))
}

pub(super) fn root_user(input: &HintInput<'_>, out: &mut Vec<Hint>) {
    if !runs_as_root(input.user) {
        return;
    }
    let shown = match input.user.map(str::trim) {
        None | Some("") => "User is unset".to_string(),
        Some(u) => format!("User is \"{u}\""),
    };
    out.push(Hint {
        id: "root-user",
        severity: Severity::Warning,
        message: format!(
            "the container runs as root ({shown}); add a USER with a non-root uid (e.g. \
             `USER 1000:1000`) after the steps that need root"
        ),
        bytes: 0,
        layer: None,
        paths: Vec::new(),
        paths_total: 0,
        from_base: false,
    });
}

// ---------------------------------------------------------------------------------------------
// Credentials, visible or merely hidden.

/// What credential a file is, if it is one: by name for files that are secrets whatever they
/// hold, by name and content flags for files that may as well be harmless (a `.pem`
/// certificate, an `.npmrc` naming a registry).
fn secret_kind(e: &Entry) -> Option<String> {
    if e.kind != EntryKind::File {
        return None;
    }
    let kind = secrets::kind(&e.path)?;
    let name = e.name().to_ascii_lowercase();
    let by_name = match kind {
        "SSH private key" | "AWS credentials" => true,
        "environment file" => ![".example", ".sample", ".template", ".dist"]
            .iter()
            .any(|s| name.ends_with(s)),
        _ => name == ".git-credentials",
    };
    let flagged = e.flags & (FLAG_PRIVATE_KEY | FLAG_TOKEN) != 0;
    if !by_name && !flagged {
        return None;
    }
    let what = if e.flags & FLAG_PRIVATE_KEY != 0 && kind != "SSH private key" {
        format!("{kind} holding a private key")
    } else if e.flags & FLAG_TOKEN != 0 {
        format!("{kind} holding a token or password")
    } else {
        kind.to_string()
    };
    Some(what)
}

pub(super) fn secrets_found(input: &HintInput<'_>, out: &mut Vec<Hint>) {
    // Visible: grouped by layer and kind.
    let mut visible: BTreeMap<(usize, String), Paths> = BTreeMap::new();
    for (path, e, layer) in final_entries(input) {
        if let Some(kind) = secret_kind(e) {
            visible.entry((layer, kind)).or_default().add(path, e.size);
        }
    }
    for ((layer, kind), paths) in visible {
        let top = paths.top();
        out.push(Hint {
            id: "secret",
            severity: Severity::Error,
            message: format!(
                "{kind} in the final image: {} (layer {layer}); remove it from the image and \
                 pass it at build time with `RUN --mount=type=secret` or at run time, and \
                 rotate it if the image was ever pushed",
                path_list(&top, paths.len(), 5),
            ),
            bytes: paths.total(),
            layer: Some(layer),
            paths: top,
            paths_total: paths.len(),
            from_base: input.base.contains(layer),
        });
    }

    // Hidden by a later layer but still stored: grouped by storing layer, hiding layer, kind.
    // The hiding step's command is not quoted: it may carry the credential inline.
    // A copy-up leaves the same content visible, which `secret` already reports.
    let stack = &input.stack;
    let mut hidden: BTreeMap<(usize, usize, String), Paths> = BTreeMap::new();
    for h in stack.hidden.iter().filter(|h| h.cause != Cause::CopyUp) {
        let Some(e) = entry(input.layers, h.copy) else {
            continue;
        };
        if let Some(kind) = secret_kind(e) {
            hidden
                .entry((h.copy.layer as usize, h.by_layer as usize, kind))
                .or_default()
                .add(stack.paths.path(h.path), h.bytes);
        }
    }
    for ((stored, by, kind), paths) in hidden {
        let top = paths.top();
        out.push(Hint {
            id: "secret-removed",
            severity: Severity::Error,
            message: format!(
                "{kind} {} is stored in layer {stored}; hiding it in layer {by} does not remove \
                 it: anyone who pulls the image can extract it from layer {stored}; rebuild \
                 without it (`RUN --mount=type=secret`, or a multi-stage build) and rotate it",
                path_list(&top, paths.len(), 5),
            ),
            bytes: paths.total(),
            layer: Some(stored),
            paths: top,
            paths_total: paths.len(),
            from_base: input.base.contains(by),
        });
    }
}

// ---------------------------------------------------------------------------------------------
// Setuid/setgid files and world-writable paths, in every layer: the base's are the base's
// hints (they once were left out whenever an image had more than one layer, so the same
// Debian layer got a setuid hint in debian:bookworm and none in an image built on it).

pub(super) fn permissions(input: &HintInput<'_>, out: &mut Vec<Hint>) {
    let mut setuid: BTreeMap<usize, Paths> = BTreeMap::new();
    let mut writable: BTreeMap<usize, Paths> = BTreeMap::new();
    for (path, e, layer) in final_entries(input) {
        if e.kind == EntryKind::File && e.mode & 0o6000 != 0 {
            setuid.entry(layer).or_default().add(path, e.size);
        }
        let sticky_dir = e.kind == EntryKind::Dir && e.mode & 0o1000 != 0;
        if matches!(e.kind, EntryKind::File | EntryKind::Dir) && e.mode & 0o002 != 0 && !sticky_dir
        {
            writable.entry(layer).or_default().add(path, e.size);
        }
    }
    for (layer, paths) in setuid {
        let top = paths.top();
        let n = paths.len();
        out.push(Hint {
            id: "setuid",
            severity: Severity::Warning,
            message: format!(
                "{} adds {n} setuid/setgid file{} ({}); drop the bit with `chmod u-s,g-s` in the \
                 same step (or COPY --chmod=755) unless the program must run with raised \
                 privileges",
                step_in_layer(input.history, layer),
                if n == 1 { "" } else { "s" },
                path_list(&top, paths.len(), 5),
            ),
            bytes: paths.total(),
            layer: Some(layer),
            paths: top,
            paths_total: paths.len(),
            from_base: input.base.contains(layer),
        });
    }
    for (layer, paths) in writable {
        let top = paths.top();
        let n = paths.len();
        out.push(Hint {
            id: "world-writable",
            severity: Severity::Warning,
            message: format!(
                "{} adds {n} world-writable path{} ({}); remove the bit with `chmod o-w` (give \
                 the app user ownership with COPY --chown instead), or make shared \
                 directories sticky (chmod 1777)",
                step_in_layer(input.history, layer),
                if n == 1 { "" } else { "s" },
                path_list(&top, paths.len(), 5),
            ),
            bytes: paths.total(),
            layer: Some(layer),
            paths: top,
            paths_total: paths.len(),
            from_base: input.base.contains(layer),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uid_zero_is_root_however_it_is_written() {
        for root in [
            None,
            Some(""),
            Some("root"),
            Some("0"),
            Some("00"),
            Some("+0"),
            Some("000:000"),
            Some(" 0:1000"),
            Some("-0"),
        ] {
            assert!(runs_as_root(root), "{root:?}");
        }
        for user in ["1000", "10", "app", "0app", "+", "1000:0", "-1"] {
            assert!(!runs_as_root(Some(user)), "{user}");
        }
    }

    #[test]
    fn users() {
        for root in [
            None,
            Some(""),
            Some("0"),
            Some("root"),
            Some("0:0"),
            Some("root:root"),
            Some("0:1000"),
        ] {
            assert!(runs_as_root(root), "{root:?}");
        }
        for user in [
            Some("1000"),
            Some("1000:0"),
            Some("app"),
            Some("nobody:nogroup"),
        ] {
            assert!(!runs_as_root(user), "{user:?}");
        }
    }
}
