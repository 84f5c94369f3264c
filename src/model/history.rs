//! The config's history: every step (empty ones too) mapped to the layer it made, and its
//! command cleaned for display while the raw text is kept. Each command is cleaned and read
//! (`BuildStep`) here, once, so whoever shows a step and whoever reasons about it see the
//! same thing.

use crate::model::build_step::BuildStep;
use crate::model::image::ImageConfig;

/// One history step of the image config.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HistoryStep {
    /// The command as the config stores it.
    pub created_by: String,
    /// The command as shown: shell boilerplate removed.
    pub command: String,
    pub created: Option<String>,
    pub comment: Option<String>,
    pub empty_layer: bool,
    /// Index of the layer this step made; `None` for empty steps (and for steps beyond the
    /// layers when a config's history does not add up).
    pub layer: Option<usize>,
    /// What the step did, read from `command`. Not serialised: it is derived from the
    /// command, which is.
    #[serde(skip)]
    pub step: BuildStep,
}

/// Maps history to layers: non-empty steps take layers in order.
pub fn steps(config: &ImageConfig, layers: usize) -> Vec<HistoryStep> {
    let mut next = 0usize;
    config
        .history
        .as_deref()
        .unwrap_or(&[])
        .iter()
        .map(|h| {
            let empty = h.empty_layer.unwrap_or(false);
            let layer = if empty || next >= layers {
                None
            } else {
                next += 1;
                Some(next - 1)
            };
            let raw = h.created_by.clone().unwrap_or_default();
            let command = clean_command(&raw);
            HistoryStep {
                step: BuildStep::parse(&command),
                command,
                created_by: raw,
                created: h.created.clone(),
                comment: h.comment.clone(),
                empty_layer: empty,
                layer,
            }
        })
        .collect()
}

/// A command as a list shows it: the classic builder's, buildah's and kaniko's `COPY` and
/// `ADD` name what they copied by a content hash (`COPY file:01b0553b…2d in /bin/busybox`,
/// `COPY dir:4265… in .`), which spends a narrow column on noise; the destination is what a
/// reader wants: `COPY file → /bin/busybox`. Anything else is returned as it is. The hash
/// stays in the layer's details and in `command`.
pub fn short_command(command: &str) -> String {
    let shortened = (|| {
        let (verb, rest) = command.split_once(' ')?;
        if verb != "COPY" && verb != "ADD" {
            return None;
        }
        let (source, dest) = rest.split_once(" in ")?;
        let (kind, hash) = source.split_once(':')?;
        let hex = hash.len() >= 16 && hash.bytes().all(|b| b.is_ascii_hexdigit());
        (matches!(kind, "file" | "dir" | "multi") && hex)
            .then(|| format!("{verb} {kind} → {}", dest.trim()))
    })();
    shortened.unwrap_or_else(|| command.to_string())
}

/// The history step that made each layer, by layer index.
pub fn by_layer(steps: &[HistoryStep], layers: usize) -> Vec<Option<&HistoryStep>> {
    let mut out = vec![None; layers];
    for s in steps {
        if let Some(i) = s.layer {
            out[i] = Some(s);
        }
    }
    out
}

/// `/bin/sh -c #(nop) CMD ["x"]` -> `CMD ["x"]`; `/bin/sh -c apt-get ...` -> `RUN apt-get ...`;
/// BuildKit's `RUN /bin/sh -c x # buildkit` -> `RUN x`.
pub fn clean_command(raw: &str) -> String {
    let s = raw.trim();
    let s = s.strip_suffix("# buildkit").map(str::trim_end).unwrap_or(s);
    if let Some(rest) = s.strip_prefix("/bin/sh -c #(nop)") {
        return rest.trim().to_string();
    }
    if let Some(rest) = s.strip_prefix("/bin/sh -c ") {
        return format!("RUN {}", rest.trim());
    }
    if let Some(rest) = s.strip_prefix("RUN /bin/sh -c ") {
        return format!("RUN {}", rest.trim());
    }
    s.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::image::History;

    #[test]
    fn cleans_shell_boilerplate() {
        assert_eq!(
            clean_command("/bin/sh -c #(nop)  CMD [\"sh\"]"),
            "CMD [\"sh\"]"
        );
        assert_eq!(
            clean_command("/bin/sh -c #(nop) ADD file:abc in / "),
            "ADD file:abc in /"
        );
        assert_eq!(
            clean_command("/bin/sh -c apt-get update"),
            "RUN apt-get update"
        );
        assert_eq!(clean_command("RUN /bin/sh -c make # buildkit"), "RUN make");
        assert_eq!(clean_command("COPY . . # buildkit"), "COPY . .");
        let h = "01b0553b128d4b3874da2687f49510d7a1f9882a69db52690c33df2a986d2a8f";
        assert_eq!(
            short_command(&format!("COPY file:{h} in /bin/busybox")),
            "COPY file → /bin/busybox"
        );
        assert_eq!(short_command(&format!("ADD dir:{h} in . ")), "ADD dir → .");
        for keep in [
            "COPY . .",
            "COPY file:abc in /x",
            "RUN echo file:{h} in /",
            "ADD x in y",
        ] {
            assert_eq!(short_command(keep), keep);
        }
    }

    #[test]
    fn empty_steps_take_no_layer() {
        let h = |empty| History {
            created_by: Some("x".into()),
            empty_layer: Some(empty),
            ..Default::default()
        };
        let config = ImageConfig {
            history: Some(vec![h(false), h(true), h(false), h(false)]),
            ..Default::default()
        };
        let got: Vec<Option<usize>> = steps(&config, 2).iter().map(|s| s.layer).collect();
        assert_eq!(got, vec![Some(0), None, Some(1), None]);
    }
}
