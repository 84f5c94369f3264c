//! Which bottom layers are the base image's: the layers the user's Dockerfile did not write.
//! Hints whose layers are all base layers are marked `from_base` and listed after the user's
//! own, whichever image the base is under (so one base layer gets the same hints in the base
//! image itself and in every image built on it).
//!
//! `--base IMAGE` says it exactly: the layers this image shares with IMAGE at the bottom (by
//! diff_id). Without it the history tells, by the marks a base image leaves at the bottom:
//!
//! - **the end of an earlier Dockerfile**: a `CMD` or `ENTRYPOINT` step followed by a step
//!   that makes a layer. A Dockerfile sets its CMD at the end, so the last such step ends the
//!   base (a base on a base, python on debian, ends at python's `CMD ["python3"]`); every
//!   layer made before it is the base's. The image's own CMD at the top is followed by no
//!   layer and ends nothing.
//! - **a root filesystem as the first layer**: the first layer-making step is an `ADD` into
//!   `/` of a `file:<hash>` (the classic builder's name for a local tar, `ADD file:… in /`) or
//!   of an archive (BuildKit's `ADD alpine-minirootfs-….tar.gz /`), or is free text rather
//!   than a Dockerfile instruction (`# debian.sh --arch 'amd64' out/ 'bookworm' …`, written by
//!   the tool that made the root filesystem). That layer is the base's even with nothing on
//!   top: debian:bookworm alone is all base, as its layer is at the bottom of web.
//!
//! The base ends at whichever of the two reaches higher. An image without either (a history
//! missing, `FROM scratch` with a COPY, a base built without CMD) has no base layers unless
//! `--base` names the base; a Dockerfile with a CMD in the middle of its steps has its steps
//! before that CMD counted as the base's (`--base` then says better).

use crate::model::build_step::BuildStep;
use crate::model::history::HistoryStep;

/// The bottom layers counted as the base image's, and how that was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct BaseLayers {
    /// Layers `0..layers` are the base's.
    pub layers: usize,
    /// `history` (read from the history's marks) or `--base` (matched with the given base).
    pub by: BaseFrom,
}

/// Where the count of base layers comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub enum BaseFrom {
    #[default]
    #[serde(rename = "history")]
    History,
    #[serde(rename = "--base")]
    Given,
}

impl BaseLayers {
    /// The base as the history shows it (see the module comment), at most `layers` layers.
    pub fn from_history(history: &[HistoryStep], layers: usize) -> BaseLayers {
        BaseLayers {
            layers: from_history(history).min(layers),
            by: BaseFrom::History,
        }
    }

    /// The base as `--base` gives it: `layers` shared layers at the bottom.
    pub fn given(layers: usize) -> BaseLayers {
        BaseLayers {
            layers,
            by: BaseFrom::Given,
        }
    }

    /// Layer `layer` is the base's.
    pub fn contains(&self, layer: usize) -> bool {
        layer < self.layers
    }
}

fn from_history(history: &[HistoryStep]) -> usize {
    // Layers made so far; the count at the last CMD/ENTRYPOINT that a layer followed.
    let mut made = 0;
    let mut ended = 0;
    let mut cmd_at: Option<usize> = None;
    let mut first_layer = true;
    for step in history {
        if let Some(layer) = step.layer {
            if first_layer && is_root_filesystem(step) {
                ended = ended.max(layer + 1);
            }
            first_layer = false;
            if let Some(at) = cmd_at.take() {
                ended = ended.max(at);
            }
            made = layer + 1;
        }
        if ends_a_dockerfile(&step.command) {
            cmd_at = Some(made);
        }
    }
    ended
}

/// `CMD …` or `ENTRYPOINT …`, as every builder records them once cleaned.
fn ends_a_dockerfile(command: &str) -> bool {
    let verb = command.split_whitespace().next().unwrap_or("");
    verb.eq_ignore_ascii_case("CMD") || verb.eq_ignore_ascii_case("ENTRYPOINT")
}

/// Archives `ADD` unpacks, by their names' endings.
const ARCHIVES: &[&str] = &[
    ".tar", ".tar.gz", ".tgz", ".tar.xz", ".txz", ".tar.bz2", ".tbz2", ".tar.zst",
];

/// A step that lays down a root filesystem (see the module comment).
fn is_root_filesystem(step: &HistoryStep) -> bool {
    match &step.step {
        BuildStep::Copy(copy) => {
            copy.add
                && !copy.from_other
                && copy.destination() == Some("/")
                && copy.sources().iter().any(|s| {
                    s.starts_with("file:")
                        || ARCHIVES.iter().any(|a| s.to_ascii_lowercase().ends_with(a))
                })
        }
        BuildStep::Run(_) => false,
        BuildStep::Other => step.command.trim_start().starts_with('#'),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::history::clean_command;

    /// Steps from raw `created_by` texts; `None` marks an empty step.
    fn history(steps: &[(&str, bool)]) -> Vec<HistoryStep> {
        let mut next = 0;
        steps
            .iter()
            .map(|(raw, layer)| {
                let command = clean_command(raw);
                let layer = layer.then(|| {
                    next += 1;
                    next - 1
                });
                HistoryStep {
                    created_by: raw.to_string(),
                    step: BuildStep::parse(&command),
                    command,
                    created: None,
                    comment: None,
                    empty_layer: layer.is_none(),
                    layer,
                }
            })
            .collect()
    }

    fn base(steps: &[(&str, bool)]) -> usize {
        let h = history(steps);
        let layers = h.iter().filter(|s| s.layer.is_some()).count();
        BaseLayers::from_history(&h, layers).layers
    }

    const ROOTFS: (&str, bool) = ("/bin/sh -c #(nop) ADD file:f487632a in / ", true);
    const BASH: (&str, bool) = ("/bin/sh -c #(nop)  CMD [\"bash\"]", false);

    #[test]
    fn a_classic_root_filesystem_and_its_cmd() {
        // debian:bookworm alone, and web on it (the fixtures' histories).
        assert_eq!(base(&[ROOTFS, BASH]), 1);
        assert_eq!(
            base(&[
                ROOTFS,
                BASH,
                (
                    "/bin/sh -c apt-get update && apt-get install -y nginx",
                    true
                ),
                (
                    "/bin/sh -c #(nop) COPY dir:02890ae6 in /var/www/html/ ",
                    true
                ),
                ("/bin/sh -c #(nop)  CMD [\"nginx\"]", false),
            ]),
            1
        );
    }

    #[test]
    fn a_base_on_a_base_ends_at_the_last_cmd_followed_by_a_layer() {
        assert_eq!(
            base(&[
                ROOTFS,
                BASH,
                ("/bin/sh -c apt-get install -y python3", true),
                (
                    "/bin/sh -c #(nop)  ENTRYPOINT [\"docker-entrypoint.sh\"]",
                    false
                ),
                ("/bin/sh -c #(nop)  CMD [\"python3\"]", false),
                ("/bin/sh -c #(nop) ENV APP=1", false),
                ("COPY . /app # buildkit", true),
                (
                    "RUN /bin/sh -c pip install -r requirements.txt # buildkit",
                    true
                ),
                ("CMD [\"gunicorn\"]", false),
            ]),
            2
        );
    }

    #[test]
    fn buildkit_and_tool_written_root_filesystems() {
        // debian since 2024: one free-text step, no CMD in the history.
        assert_eq!(
            base(&[
                (
                    "# debian.sh --arch 'amd64' out/ 'bookworm' '@1717977600'",
                    true
                ),
                ("RUN /bin/sh -c apt-get update # buildkit", true),
            ]),
            1
        );
        // alpine with BuildKit.
        assert_eq!(
            base(&[
                (
                    "ADD alpine-minirootfs-3.19.1-x86_64.tar.gz / # buildkit",
                    true
                ),
                ("CMD [\"/bin/sh\"]", false),
                ("RUN /bin/sh -c apk add --no-cache curl # buildkit", true),
            ]),
            1
        );
        // ubuntu: ARG and LABEL steps come before its root filesystem.
        assert_eq!(
            base(&[
                ("/bin/sh -c #(nop)  ARG RELEASE", false),
                (
                    "/bin/sh -c #(nop)  LABEL org.opencontainers.image.version=22.04",
                    false
                ),
                ("/bin/sh -c #(nop) ADD file:7d1c5f1d in / ", true),
                ("/bin/sh -c #(nop)  CMD [\"/bin/bash\"]", false),
                ("/bin/sh -c apt-get update", true),
            ]),
            1
        );
    }

    #[test]
    fn no_marks_no_base() {
        assert_eq!(base(&[]), 0);
        // FROM scratch, COPY: the user's own layers.
        assert_eq!(
            base(&[
                ("COPY --from=build /out/server /app/server # buildkit", true),
                ("CMD [\"/app/server\"]", false),
            ]),
            0
        );
        // A file copied into / is not a root filesystem, nor is an ADD of a file elsewhere.
        assert_eq!(
            base(&[
                (
                    "/bin/sh -c #(nop) COPY file:01b0553b in /bin/busybox ",
                    true
                ),
                ("/bin/sh -c /bin/busybox --install -s", true),
            ]),
            0
        );
        assert_eq!(
            base(&[(
                "/bin/sh -c #(nop) ADD file:139c3708 in /somefile.txt ",
                true
            )]),
            0
        );
        // A root filesystem above the first layer is the user's doing.
        assert_eq!(
            base(&[
                (
                    "/bin/sh -c #(nop) COPY file:01b0553b in /bin/busybox ",
                    true
                ),
                ROOTFS,
            ]),
            0
        );
    }

    #[test]
    fn never_more_base_layers_than_layers() {
        // A history that does not add up: more layer-making steps than layers.
        let h = history(&[ROOTFS, BASH, ("/bin/sh -c make", true)]);
        assert_eq!(BaseLayers::from_history(&h, 0).layers, 0);
        assert_eq!(BaseLayers::from_history(&h, 1).layers, 1);
        assert!(BaseLayers::given(2).contains(1));
        assert!(!BaseLayers::given(2).contains(2));
    }
}
