//! Files a layer writes under a `VOLUME` an earlier step declared. At run time whatever is
//! mounted there (a named volume, a bind mount) hides them, and the classic builder even
//! discards such writes at build time; BuildKit keeps them, so the same Dockerfile gives
//! different images. The declaration comes from the history (`VOLUME [/data]`, as the classic
//! builder, BuildKit and buildah record it); what was written before it seeds the volume and
//! is fine.

use std::collections::BTreeMap;

use super::{step_in_layer, Hint, HintInput, Severity, MAX_PATHS};

/// The paths of a `VOLUME` step (`VOLUME [/data /logs]`, `VOLUME ["/data"]`, `VOLUME /data`),
/// normalised (no leading `/`); none for any other step.
fn declared(command: &str) -> Vec<String> {
    let Some(rest) = command.trim().strip_prefix("VOLUME") else {
        return Vec::new();
    };
    if !rest.starts_with([' ', '\t']) {
        return Vec::new();
    }
    rest.trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .split([' ', ','])
        .map(|p| p.trim().trim_matches('"').trim_matches('/').to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

pub(super) fn written_under_volume(input: &HintInput<'_>, out: &mut Vec<Hint>) {
    // (volume, the first layer made after its declaration).
    let mut volumes: Vec<(String, usize)> = Vec::new();
    let mut next_layer = 0usize;
    for step in input.history {
        if let Some(l) = step.layer {
            next_layer = l + 1;
        }
        for v in declared(&step.command) {
            volumes.push((v, next_layer));
        }
    }
    if volumes.is_empty() {
        return;
    }
    // (layer, volume) -> the files written there and their bytes.
    let mut found: BTreeMap<(usize, &str), (Vec<&str>, u64)> = BTreeMap::new();
    for (layer, tree) in input.layers.iter().enumerate() {
        for e in &tree.entries {
            if e.kind.is_deletion() || e.kind == crate::tree::EntryKind::Dir {
                continue;
            }
            let path: &str = &e.path;
            let hit = volumes.iter().find(|(v, since)| {
                layer >= *since
                    && (path == v.as_str()
                        || (path.len() > v.len()
                            && path.starts_with(v.as_str())
                            && path.as_bytes()[v.len()] == b'/'))
            });
            if let Some((v, _)) = hit {
                let slot = found.entry((layer, v.as_str())).or_default();
                slot.0.push(path);
                slot.1 += e.content_bytes();
            }
        }
    }
    for ((layer, volume), (paths, bytes)) in found {
        let n = paths.len();
        out.push(Hint {
            id: "written-under-volume",
            severity: Severity::Warning,
            message: format!(
                "{} writes {n} file{} ({}) under /{volume}, which an earlier VOLUME step \
                 declared: whatever is mounted there at run time hides them, and the classic \
                 builder drops them at build time. Write them before the VOLUME line, or \
                 somewhere else",
                step_in_layer(input.history, layer),
                if n == 1 { "" } else { "s" },
                super::size(bytes),
            ),
            bytes,
            layer: Some(layer),
            paths: paths
                .iter()
                .take(MAX_PATHS)
                .map(|p| p.to_string())
                .collect(),
            paths_total: n,
            from_base: input.base.contains(layer),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::declared;

    #[test]
    fn volume_steps_are_read_in_every_form_builders_record() {
        assert_eq!(declared("VOLUME [/data]"), ["data"]);
        assert_eq!(declared("VOLUME [/data /var/log/]"), ["data", "var/log"]);
        assert_eq!(declared("VOLUME [\"/data\", \"/x\"]"), ["data", "x"]);
        assert_eq!(declared("VOLUME /data"), ["data"]);
        assert!(declared("VOLUMES /data").is_empty());
        assert!(declared("RUN mkdir /data").is_empty());
    }
}
