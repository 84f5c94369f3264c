//! Waste deltas by cause and by the build step that caused them (DESIGN section 4b,
//! `waste_causes`): "new step `RUN chown -R app:app /app` copied 168.24 MB".
//!
//! Each hidden copy (`Stack::hidden`) is charged to the layer whose change hid it and that
//! layer's history step. Steps are matched across the two images by their command, so a step
//! both images run is one row with both figures, and a step only B runs is "new". The causes
//! are the three kinds of hiding (overwritten, copy_up, removed); duplicates and caches are
//! figures of the final view alone and stay in the `waste` table.

use std::collections::BTreeMap;

use crate::analysis::merge::{Cause, Hidden};

/// One side: its hidden copies and each layer's step command (`None`: no history for it).
pub struct Steps<'a> {
    pub hidden: &'a [Hidden],
    pub commands: &'a [Option<String>],
}

/// A waste delta of one cause charged to one step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CauseDelta {
    pub cause: Cause,
    /// The step's command, or `layer N` when the image has no history for it.
    pub step: String,
    /// The first layer of each image made by that step (and charged with bytes).
    pub layer_a: Option<usize>,
    pub layer_b: Option<usize>,
    pub bytes_a: u64,
    pub bytes_b: u64,
}

impl CauseDelta {
    pub fn delta(&self) -> i64 {
        self.bytes_b as i64 - self.bytes_a as i64
    }

    /// Whether only B runs this step.
    pub fn new_step(&self) -> bool {
        self.layer_a.is_none()
    }
}

/// A step's command as both images would write it: the classic builder names what `COPY`
/// and `ADD` copied by a content hash (`COPY dir:70cd…e3 in .`), which differs whenever a
/// single copied file does; the destination is what makes it the same step.
pub fn step_key(command: &str) -> String {
    let mut out = String::with_capacity(command.len());
    let mut rest = command;
    while let Some(at) = rest.find(['f', 'd']) {
        let (head, tail) = rest.split_at(at);
        out.push_str(head);
        let prefix = ["file:", "dir:"].into_iter().find(|p| tail.starts_with(p));
        match prefix {
            Some(p) => {
                let hex = tail[p.len()..]
                    .bytes()
                    .take_while(u8::is_ascii_hexdigit)
                    .count();
                if hex >= 32 {
                    out.push_str(p);
                    out.push('…');
                    rest = &tail[p.len() + hex..];
                } else {
                    out.push_str(p);
                    rest = &tail[p.len()..];
                }
            }
            None => {
                out.push_str(&tail[..1]);
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Bytes per (cause, step) for one side, with the first layer charged.
fn charged(side: &Steps<'_>) -> BTreeMap<(Cause, String), (u64, usize)> {
    let mut out: BTreeMap<(Cause, String), (u64, usize)> = BTreeMap::new();
    for h in side.hidden {
        let layer = h.by_layer as usize;
        let step = side
            .commands
            .get(layer)
            .and_then(|c| c.as_deref())
            .map_or_else(|| format!("layer {layer}"), step_key);
        let slot = out.entry((h.cause, step)).or_insert((0, layer));
        slot.0 += h.bytes;
        slot.1 = slot.1.min(layer);
    }
    out
}

/// Every (cause, step) whose bytes differ between A and B, largest change first.
pub fn cause_deltas(a: &Steps<'_>, b: &Steps<'_>) -> Vec<CauseDelta> {
    let (ca, cb) = (charged(a), charged(b));
    let mut keys: Vec<&(Cause, String)> = ca.keys().chain(cb.keys()).collect();
    keys.sort();
    keys.dedup();
    // A step B runs charged with nothing still names B's layer when B has the step.
    let layer_of = |side: &Steps<'_>, step: &str| {
        side.commands
            .iter()
            .position(|c| c.as_deref().map(step_key).as_deref() == Some(step))
    };
    let mut out: Vec<CauseDelta> = keys
        .into_iter()
        .filter_map(|key| {
            let (x, y) = (ca.get(key), cb.get(key));
            let (bytes_a, bytes_b) = (x.map_or(0, |v| v.0), y.map_or(0, |v| v.0));
            (bytes_a != bytes_b).then(|| CauseDelta {
                cause: key.0,
                step: key.1.clone(),
                layer_a: x.map(|v| v.1).or_else(|| layer_of(a, &key.1)),
                layer_b: y.map(|v| v.1).or_else(|| layer_of(b, &key.1)),
                bytes_a,
                bytes_b,
            })
        })
        .collect();
    out.sort_by(|x, y| {
        y.delta()
            .unsigned_abs()
            .cmp(&x.delta().unsigned_abs())
            .then_with(|| x.cause.cmp(&y.cause))
            .then_with(|| x.step.cmp(&y.step))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::merge::Loc;

    fn hid(by_layer: u32, bytes: u64, cause: Cause) -> Hidden {
        Hidden {
            path: 1,
            copy: Loc { layer: 0, entry: 0 },
            by_layer,
            bytes,
            cause,
        }
    }

    #[test]
    fn copies_by_content_hash_are_the_same_step_when_their_destination_is() {
        let h = "70cdfe0138252802df3b585b869e726e9e1e919a322636ce4591024c206209e3";
        assert_eq!(step_key(&format!("COPY dir:{h} in .")), "COPY dir:… in .");
        assert_eq!(
            step_key(&format!("ADD file:{h} in / ")),
            step_key("ADD file:0123456789abcdef0123456789abcdef in / ")
        );
        // Short or absent hashes, and words that merely contain the prefixes, stay.
        for s in [
            "RUN echo dir:abc",
            "COPY --from=build /usr/bin/false /x",
            "find / -type d",
        ] {
            assert_eq!(step_key(s), s);
        }
    }

    #[test]
    fn a_new_step_that_copies_up_is_named_with_its_bytes() {
        let cmds = |v: &[&str]| v.iter().map(|c| Some(c.to_string())).collect::<Vec<_>>();
        let (ca, cb) = (
            cmds(&["FROM x", "RUN pip install", "COPY . /app"]),
            cmds(&[
                "FROM x",
                "RUN pip install",
                "COPY . /app",
                "RUN chown -R app:app /app",
            ]),
        );
        let ha = vec![hid(1, 10, Cause::Overwritten)];
        let hb = vec![
            hid(1, 10, Cause::Overwritten),
            hid(3, 168, Cause::CopyUp),
            hid(3, 2, Cause::CopyUp),
            hid(2, 5, Cause::Removed),
        ];
        let got = cause_deltas(
            &Steps {
                hidden: &ha,
                commands: &ca,
            },
            &Steps {
                hidden: &hb,
                commands: &cb,
            },
        );
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[0].cause, Cause::CopyUp);
        assert_eq!(got[0].step, "RUN chown -R app:app /app");
        assert_eq!(
            (got[0].bytes_a, got[0].bytes_b, got[0].delta()),
            (0, 170, 170)
        );
        assert!(got[0].new_step());
        assert_eq!(got[0].layer_b, Some(3));
        // A step both run: not new, A's layer named though A charged it nothing.
        assert_eq!(got[1].cause, Cause::Removed);
        assert_eq!((got[1].layer_a, got[1].layer_b), (Some(2), Some(2)));
        assert!(!got[1].new_step());
    }
}
