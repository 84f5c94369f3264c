//! The TOC's JSON (`{"version": 1, "entries": [...]}`, the same shape in eStargz and
//! zstd:chunked), read one entry at a time: each record is handed to the format's builder as
//! it is parsed, so memory holds the built entries and one record, never a generic JSON
//! value of the whole TOC, and the entry count stops the read as soon as it is past the limit.

use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use super::TocError;
use crate::model::limits::{LimitHit, Limits};

/// One TOC record, every field either format writes (unknown ones, such as `xattrs`, are
/// skipped). Numbers are Go's int64, so negative values parse here and are refused later.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct RawEntry {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub size: i64,
    pub mode: i64,
    pub uid: i64,
    pub gid: i64,
    pub modtime: Option<String>,
    #[serde(rename = "linkName")]
    pub link_name: String,
    #[serde(rename = "devMajor")]
    pub dev_major: i64,
    #[serde(rename = "devMinor")]
    pub dev_minor: i64,
    pub digest: String,
    pub offset: i64,
    /// zstd:chunked: end of a file's last frame.
    #[serde(rename = "endOffset")]
    pub end_offset: i64,
    /// eStargz: decompressed bytes before this payload in the member at `offset`.
    #[serde(rename = "innerOffset")]
    pub inner_offset: i64,
    #[serde(rename = "chunkOffset")]
    pub chunk_offset: i64,
    #[serde(rename = "chunkSize")]
    pub chunk_size: i64,
    #[serde(rename = "chunkDigest")]
    pub chunk_digest: String,
    /// zstd:chunked: "" (data) or "zeros".
    #[serde(rename = "chunkType")]
    pub chunk_type: String,
}

/// Reads `json`, handing each record to `each` in order; returns the TOC's version. Records
/// other than `chunk` count against `--max-entries`.
pub(super) fn for_each_entry(
    json: &[u8],
    limits: &Limits,
    each: &mut dyn FnMut(RawEntry) -> Result<(), TocError>,
) -> Result<u64, TocError> {
    let mut state = State {
        each,
        limits,
        files: 0,
        failed: None,
    };
    let mut de = serde_json::Deserializer::from_slice(json);
    let parsed = Top(&mut state).deserialize(&mut de).and_then(|v| {
        de.end()?;
        Ok(v)
    });
    match (parsed, state.failed) {
        (_, Some(e)) => Err(e),
        (Ok(version), None) => version.ok_or_else(|| TocError::Unreadable("no version".into())),
        (Err(e), None) => Err(TocError::Unreadable(e.to_string())),
    }
}

struct State<'a> {
    each: &'a mut dyn FnMut(RawEntry) -> Result<(), TocError>,
    limits: &'a Limits,
    files: u64,
    /// The builder's (or the limit's) error, which serde only carries as text.
    failed: Option<TocError>,
}

/// The top-level object: `version`, `entries`, and anything else skipped.
struct Top<'s, 'a>(&'s mut State<'a>);

impl<'de> DeserializeSeed<'de> for Top<'_, '_> {
    type Value = Option<u64>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Top<'_, '_> {
    type Value = Option<u64>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a table of contents object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut version = None;
        let mut entries = false;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match &*key {
                "version" => version = Some(map.next_value::<u64>()?),
                "entries" if !entries => {
                    entries = true;
                    map.next_value_seed(Entries(&mut *self.0))?;
                }
                "entries" => return Err(de::Error::custom("entries given twice")),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(version)
    }
}

struct Entries<'s, 'a>(&'s mut State<'a>);

impl<'de> DeserializeSeed<'de> for Entries<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Entries<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of entries")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let state = self.0;
        while let Some(raw) = seq.next_element::<RawEntry>()? {
            if raw.kind != "chunk" {
                state.files += 1;
                if state.files > state.limits.entries {
                    state.failed = Some(TocError::Limit(LimitHit::new(
                        format!("its entry count (more than {})", state.limits.entries),
                        state.limits.entries.to_string(),
                        "--max-entries",
                    )));
                    return Err(de::Error::custom("stopped"));
                }
            }
            if let Err(e) = (state.each)(raw) {
                state.failed = Some(e);
                return Err(de::Error::custom("stopped"));
            }
        }
        Ok(())
    }
}
