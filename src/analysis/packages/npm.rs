//! npm packages: a `package.json` names the package installed in its directory
//! (`node_modules/NAME/package.json`, Debian's `usr/share/nodejs/NAME/package.json`).
//!
//! The reference is syft 1.18.1's javascript-package-cataloger
//! (`syft/pkg/cataloger/javascript/parse_package_json.go`, `package.go`), which decodes every
//! `package.json` with Go's `encoding/json` into a struct. Its rules, followed here:
//! - keys match the struct's fields without regard to case, the last of a repeated key wins
//!   and `null` leaves a field as it was;
//! - a field of the wrong JSON type (a numeric `version`, a string `private`, a non-string
//!   dependency version, an `author` object with a numeric `name`...) fails the whole file,
//!   as does a syntax error: `Err`;
//! - the file is a stream of JSON values, each a package (a second object is rare; only the
//!   first package is returned here);
//! - every package.json is a package, but syft's compliance step then drops one without a
//!   name and stubs a missing version as `UNKNOWN` (`internal/task/package_task_factory.go`):
//!   `Ok(None)` and `UNKNOWN` here. `private` packages are kept, as syft keeps them;
//! - the licence: `license` as a string, or the `type` of a `{type, url}` object, else the
//!   `type` of each entry of the deprecated `licenses` array. syft lists several; the model
//!   has one string, so several become `(A OR B)`, the reading npm's docs give that form.
//!
//! Thousands of these are parsed per image: only the fields above are decoded, strings are
//! borrowed from the input where they have no escapes, and everything else is skipped
//! without being built. Invalid UTF-8 is replaced (Go does the same inside strings), which
//! copies the input once. Nesting deeper than Go's limit (10000) is an error, found by a scan
//! before parsing: serde_json skips what is not decoded without recursing (so no stack
//! overflow, but no limit either), and the decoders here look at most two levels down.

use crate::model::packages::{Ecosystem, Record};
use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

/// The package a `package.json` declares, `Ok(None)` if syft would not list one.
pub fn package_json(bytes: &[u8]) -> Result<Option<Record>, String> {
    // A file shorter than the limit cannot nest deeper (most package.json files are).
    if bytes.len() > MAX_DEPTH && nesting(bytes) > MAX_DEPTH {
        return Err(format!(
            "invalid package.json: nested deeper than {MAX_DEPTH}"
        ));
    }
    // Valid UTF-8 (nearly every file) is borrowed without `from_utf8_lossy`'s slower scan.
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    };
    let mut first = None;
    for value in serde_json::Deserializer::from_str(&text).into_iter::<Option<PackageJson>>() {
        let package = value.map_err(|e| format!("invalid package.json: {e}"))?;
        if first.is_none() {
            first = package.unwrap_or_default().into_record();
        }
    }
    Ok(first)
}

/// Go's `encoding/json` refuses deeper nesting.
const MAX_DEPTH: usize = 10_000;

/// The deepest nesting of arrays and objects in JSON text (brackets inside strings do not
/// count); malformed text is left to the parser.
fn nesting(bytes: &[u8]) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for &b in bytes {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// The fields syft's `packageJSON` struct has, decoded (or only checked) as Go would.
#[derive(Default)]
struct PackageJson<'a> {
    name: Option<Cow<'a, str>>,
    version: Option<Cow<'a, str>>,
    license: License<'a>,
    licenses: Licenses<'a>,
}

/// The `license` value as syft's `licenseFromJSON` reads it.
#[derive(Default)]
enum License<'a> {
    #[default]
    Absent,
    /// A string (`null` reads as ""), or an object's `type`.
    Value(Cow<'a, str>),
    /// Neither: syft falls back to `licenses`.
    Invalid,
}

/// The `licenses` value as syft's `licensesFromJSON` reads it.
#[derive(Default)]
enum Licenses<'a> {
    #[default]
    None,
    Types(Vec<Cow<'a, str>>),
}

impl<'a> PackageJson<'a> {
    fn into_record(self) -> Option<Record> {
        let name = self.name.filter(|n| !n.trim().is_empty())?;
        let version = self
            .version
            .filter(|v| !v.trim().is_empty())
            .unwrap_or(Cow::Borrowed("UNKNOWN"));
        let mut record = Record::new(Ecosystem::Npm, &name, &version);
        let types = match self.license {
            License::Value(l) => vec![l],
            License::Absent | License::Invalid => match self.licenses {
                Licenses::Types(types) => types,
                Licenses::None => Vec::new(),
            },
        };
        let mut types: Vec<Cow<str>> = types.into_iter().filter(|t| !t.is_empty()).collect();
        types.dedup();
        record.license = match types.len() {
            0 => None,
            1 => types.pop().map(Cow::into_owned),
            _ => Some(format!("({})", types.join(" OR "))),
        };
        Some(record)
    }
}

/// The `packageJSON` fields, matched as Go matches keys (ASCII case folded).
enum Field {
    Name,
    Version,
    License,
    Licenses,
    Homepage,
    Description,
    Latest,
    Author,
    Dependencies,
    Repository,
    Private,
    Other,
}

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Field, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Field;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: de::Error>(self, key: &str) -> Result<Field, E> {
                const FIELDS: [(&str, Field); 11] = [
                    ("name", Field::Name),
                    ("version", Field::Version),
                    ("license", Field::License),
                    ("licenses", Field::Licenses),
                    ("homepage", Field::Homepage),
                    ("description", Field::Description),
                    ("latest", Field::Latest),
                    ("author", Field::Author),
                    ("dependencies", Field::Dependencies),
                    ("repository", Field::Repository),
                    ("private", Field::Private),
                ];
                Ok(FIELDS
                    .into_iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(key))
                    .map_or(Field::Other, |(_, f)| f))
            }
        }
        d.deserialize_str(V)
    }
}

impl<'de> Deserialize<'de> for PackageJson<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<PackageJson<'de>, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = PackageJson<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a package.json object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut p = PackageJson::default();
                while let Some(field) = map.next_key::<Field>()? {
                    match field {
                        Field::Name => set(&mut p.name, map.next_value::<GoStr>()?),
                        Field::Version => set(&mut p.version, map.next_value::<GoStr>()?),
                        Field::Homepage | Field::Description => {
                            map.next_value::<GoStr>()?;
                        }
                        Field::License => p.license = map.next_value::<LicenseValue>()?.0,
                        Field::Licenses => p.licenses = map.next_value::<LicensesValue>()?.0,
                        Field::Latest => {
                            map.next_value::<StringList>()?;
                        }
                        Field::Author => {
                            map.next_value::<Author>()?;
                        }
                        Field::Dependencies => {
                            map.next_value::<StringMap>()?;
                        }
                        Field::Repository => {
                            map.next_value::<Repository>()?;
                        }
                        Field::Private => {
                            map.next_value::<Option<bool>>()?;
                        }
                        Field::Other => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(p)
            }
        }
        d.deserialize_map(V)
    }
}

/// Go's assignment of a decoded string: `null` leaves the field as it was.
fn set<'a>(field: &mut Option<Cow<'a, str>>, value: GoStr<'a>) {
    if let Some(v) = value.0 {
        *field = Some(v);
    }
}

/// A JSON string or `null` (`None`), what Go decodes into a `string`; anything else is a
/// type error.
struct GoStr<'a>(Option<Cow<'a, str>>);

struct StrVisitor;

impl<'de> Visitor<'de> for StrVisitor {
    type Value = Cow<'de, str>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(s))
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(s.to_string()))
    }
}

impl<'de> Deserialize<'de> for GoStr<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<GoStr<'de>, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = GoStr<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or null")
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(GoStr(None))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.deserialize_str(StrVisitor).map(|s| GoStr(Some(s)))
            }
        }
        d.deserialize_option(V)
    }
}

/// `[]string`: an array of strings (or nulls), or `null`; checked, not kept.
struct StringList;

impl<'de> Deserialize<'de> for StringList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<StringList, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = StringList;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an array of strings or null")
            }
            fn visit_unit<E: de::Error>(self) -> Result<StringList, E> {
                Ok(StringList)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<StringList, A::Error> {
                while seq.next_element::<GoStr>()?.is_some() {}
                Ok(StringList)
            }
        }
        d.deserialize_any(V)
    }
}

/// `map[string]string`: an object of strings (or nulls), or `null`; checked, not kept.
struct StringMap;

impl<'de> Deserialize<'de> for StringMap {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<StringMap, D::Error> {
        d.deserialize_any(StringMapVisitor)
    }
}

struct StringMapVisitor;

impl<'de> Visitor<'de> for StringMapVisitor {
    type Value = StringMap;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object of strings or null")
    }
    fn visit_unit<E: de::Error>(self) -> Result<StringMap, E> {
        Ok(StringMap)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<StringMap, A::Error> {
        while map.next_entry::<IgnoredAny, GoStr>()?.is_some() {}
        Ok(StringMap)
    }
}

/// syft's `repository`: a string, or an object decoded as `map[string]string`.
struct Repository;

impl<'de> Deserialize<'de> for Repository {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Repository, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Repository;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or an object of strings")
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Repository, E> {
                Ok(Repository)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Repository, E> {
                Ok(Repository)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Repository, A::Error> {
                StringMapVisitor.visit_map(map).map(|_| Repository)
            }
        }
        d.deserialize_any(V)
    }
}

/// syft's `author`: a string, or an object whose `name`, `email` and `url` (any case, as
/// mapstructure matches them) are strings; the object's other keys may hold anything.
struct Author;

impl<'de> Deserialize<'de> for Author {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Author, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Author;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or an object")
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Author, E> {
                Ok(Author)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Author, E> {
                Ok(Author)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Author, A::Error> {
                while let Some(key) = map.next_key::<Cow<str>>()? {
                    if ["name", "email", "url"]
                        .iter()
                        .any(|k| k.eq_ignore_ascii_case(&key))
                    {
                        map.next_value::<GoStr>()?;
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(Author)
            }
        }
        d.deserialize_any(V)
    }
}

/// The `type` of a `{"type": ..., "url": ...}` licence object as Go's `json.Unmarshal` into
/// syft's `npmPackageLicense` gives it: `None` when that fails (a field of another type).
/// The whole object is consumed either way.
fn license_object<'de, A: MapAccess<'de>>(mut map: A) -> Result<Option<Cow<'de, str>>, A::Error> {
    let mut kind = Some(Cow::Borrowed(""));
    while let Some(key) = map.next_key::<Cow<str>>()? {
        let is_type = key.eq_ignore_ascii_case("type");
        if is_type || key.eq_ignore_ascii_case("url") {
            match map.next_value::<LooseStr>()? {
                LooseStr::Str(s) if is_type && kind.is_some() => kind = Some(s),
                LooseStr::Str(_) | LooseStr::Null => {}
                LooseStr::Other => kind = None,
            }
        } else {
            map.next_value::<IgnoredAny>()?;
        }
    }
    Ok(kind)
}

/// Any JSON value, told apart as a string, `null` or something else (skipped).
enum LooseStr<'a> {
    Str(Cow<'a, str>),
    Null,
    Other,
}

impl<'de> Deserialize<'de> for LooseStr<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<LooseStr<'de>, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LooseStr<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any value")
            }
            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Self::Value, E> {
                Ok(LooseStr::Str(Cow::Borrowed(s)))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
                Ok(LooseStr::Str(Cow::Owned(s.to_string())))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(LooseStr::Null)
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(LooseStr::Other)
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(LooseStr::Other)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(LooseStr::Other)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(LooseStr::Other)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(LooseStr::Other)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(LooseStr::Other)
            }
        }
        d.deserialize_any(V)
    }
}

/// `license`: never a type error (syft keeps it raw and reads it afterwards).
struct LicenseValue<'a>(License<'a>);

impl<'de> Deserialize<'de> for LicenseValue<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<LicenseValue<'de>, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LicenseValue<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any value")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                Ok(LicenseValue(match license_object(map)? {
                    Some(kind) => License::Value(kind),
                    None => License::Invalid,
                }))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(LicenseValue(License::Invalid))
            }
            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Self::Value, E> {
                Ok(LicenseValue(License::Value(Cow::Borrowed(s))))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
                Ok(LicenseValue(License::Value(Cow::Owned(s.to_string()))))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(LicenseValue(License::Value(Cow::Borrowed(""))))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(LicenseValue(License::Invalid))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(LicenseValue(License::Invalid))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(LicenseValue(License::Invalid))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(LicenseValue(License::Invalid))
            }
        }
        d.deserialize_any(V)
    }
}

/// `licenses`: an array of licence objects (a `null` entry is an empty one); anything else,
/// or any entry that is not an object, gives no licences (never a type error).
struct LicensesValue<'a>(Licenses<'a>);

/// One entry of `licenses`: `None` when it fails to decode as a licence object.
struct LicenseEntry<'a>(Option<Cow<'a, str>>);

impl<'de> Deserialize<'de> for LicenseEntry<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<LicenseEntry<'de>, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LicenseEntry<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any value")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                license_object(map).map(LicenseEntry)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(LicenseEntry(Some(Cow::Borrowed(""))))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(LicenseEntry(None))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(LicenseEntry(None))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(LicenseEntry(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(LicenseEntry(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(LicenseEntry(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(LicenseEntry(None))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for LicensesValue<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<LicensesValue<'de>, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LicensesValue<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any value")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut types = Some(Vec::new());
                while let Some(entry) = seq.next_element::<LicenseEntry>()? {
                    match (entry.0, types.as_mut()) {
                        (Some(kind), Some(types)) => types.push(kind),
                        _ => types = None,
                    }
                }
                Ok(LicensesValue(types.map_or(Licenses::None, Licenses::Types)))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(LicensesValue(Licenses::None))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(LicensesValue(Licenses::None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(LicensesValue(Licenses::None))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(LicensesValue(Licenses::None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(LicensesValue(Licenses::None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(LicensesValue(Licenses::None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(LicensesValue(Licenses::None))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(name: &str, version: &str, license: Option<&str>) -> Option<Record> {
        let mut r = Record::new(Ecosystem::Npm, name, version);
        r.license = license.map(str::to_string);
        Some(r)
    }

    /// `node_modules/@ampproject/remapping/package.json` of the node-app fixture image
    /// (scripts and devDependencies cut short).
    const REMAPPING: &str = r#"{
  "name": "@ampproject/remapping",
  "version": "2.3.0",
  "description": "Remap sequential sourcemaps through transformations to point at the original source code",
  "keywords": [
    "source",
    "map",
    "remap"
  ],
  "main": "dist/remapping.umd.js",
  "module": "dist/remapping.mjs",
  "types": "dist/types/remapping.d.ts",
  "exports": {
    ".": [
      {
        "types": {
          "import": "./dist/types/remapping.d.mts",
          "require": "./dist/types/remapping.d.ts"
        },
        "browser": "./dist/remapping.umd.js",
        "require": "./dist/remapping.umd.js",
        "import": "./dist/remapping.mjs"
      },
      "./dist/remapping.umd.js"
    ],
    "./package.json": "./package.json"
  },
  "files": [
    "dist"
  ],
  "author": "Justin Ridgewell <jridgewell@google.com>",
  "repository": {
    "type": "git",
    "url": "git+https://github.com/ampproject/remapping.git"
  },
  "license": "Apache-2.0",
  "engines": {
    "node": ">=6.0.0"
  },
  "dependencies": {
    "@jridgewell/gen-mapping": "^0.3.5",
    "@jridgewell/trace-mapping": "^0.3.24"
  }
}
"#;

    #[test]
    fn real_package_json() {
        assert_eq!(
            package_json(REMAPPING.as_bytes()),
            Ok(rec("@ampproject/remapping", "2.3.0", Some("Apache-2.0")))
        );
        // A nested package.json that only sets the module type (dom-helpers ships dozens):
        // syft drops it for want of a name.
        assert_eq!(package_json(br#"{"type": "module"}"#), Ok(None));
        // No version: syft's stub, as it lists dom-helpers/activeElement.
        let dom = r#"{"name": "dom-helpers/activeElement", "private": true, "main": "../cjs/activeElement.js"}"#;
        assert_eq!(
            package_json(dom.as_bytes()),
            Ok(rec("dom-helpers/activeElement", "UNKNOWN", None))
        );
    }

    #[test]
    fn licence_forms() {
        let p = |s: &str| {
            package_json(s.as_bytes())
                .ok()
                .flatten()
                .and_then(|r| r.license)
        };
        assert_eq!(p(r#"{"name":"a","license":"MIT"}"#).as_deref(), Some("MIT"));
        assert_eq!(
            p(r#"{"name":"a","license":{"type":"ISC","url":"http://x"}}"#).as_deref(),
            Some("ISC")
        );
        assert_eq!(
            p(r#"{"name":"a","licenses":[{"type":"MIT"},{"TYPE":"Apache-2.0","url":null}]}"#)
                .as_deref(),
            Some("(MIT OR Apache-2.0)")
        );
        assert_eq!(
            p(r#"{"name":"a","licenses":[{"type":"MIT"}]}"#).as_deref(),
            Some("MIT")
        );
        // `license` wins over `licenses`; a `null` license is an empty one, and still wins.
        assert_eq!(
            p(r#"{"name":"a","license":"BSD","licenses":[{"type":"MIT"}]}"#).as_deref(),
            Some("BSD")
        );
        assert_eq!(
            p(r#"{"name":"a","license":null,"licenses":[{"type":"MIT"}]}"#),
            None
        );
        // An unreadable `license` falls back to `licenses`.
        assert_eq!(
            p(r#"{"name":"a","license":["MIT"],"licenses":[{"type":"MIT"}]}"#).as_deref(),
            Some("MIT")
        );
        assert_eq!(
            p(r#"{"name":"a","license":{"type":5},"licenses":[{"type":"X"}]}"#).as_deref(),
            Some("X")
        );
        // An array holding anything but objects gives nothing.
        assert_eq!(p(r#"{"name":"a","licenses":["MIT"]}"#), None);
        assert_eq!(p(r#"{"name":"a","licenses":[{"type":"MIT"},"x"]}"#), None);
        assert_eq!(p(r#"{"name":"a","licenses":{"type":"MIT"}}"#), None);
        assert_eq!(p(r#"{"name":"a","license":""}"#), None);
        assert_eq!(
            p(r#"{"name":"a","licenses":[{"type":"MIT"},{"type":"MIT"}]}"#).as_deref(),
            Some("MIT")
        );
    }

    #[test]
    fn go_decoding_rules() {
        // Keys in any case; the last wins; null leaves the value.
        assert_eq!(
            package_json(br#"{"NAME":"a","Version":"1","name":"b","version":null}"#),
            Ok(rec("b", "1", None))
        );
        // Whitespace-only names are dropped, versions stubbed.
        assert_eq!(package_json(br#"{"name":"  ","version":"1"}"#), Ok(None));
        assert_eq!(
            package_json(br#"{"name":"a","version":" "}"#),
            Ok(rec("a", "UNKNOWN", None))
        );
        // Empty input or only whitespace: no package; `null`: an empty one, dropped.
        assert_eq!(package_json(b""), Ok(None));
        assert_eq!(package_json(b" \n "), Ok(None));
        assert_eq!(package_json(b"null"), Ok(None));
        // A stream of objects: the first package.
        assert_eq!(
            package_json(br#"{"x":1} {"name":"a","version":"1"}{"name":"b"}"#),
            Ok(rec("a", "1", None))
        );
        // Escapes and other value types in fields syft does not declare.
        assert_eq!(
            package_json(br#"{"n\u0061me":"\u0040s/x","version":"1.0.0","scripts":{"a":[1,true,null,{"b":2.5e3}]},"bin":7}"#),
            Ok(rec("@s/x", "1.0.0", None))
        );
        // Fields syft declares, in the types it accepts.
        let ok = r#"{"name":"a","version":"1","private":false,"homepage":null,"description":"d",
            "latest":["x",null],"author":{"name":"n","email":null,"other":[1]},
            "dependencies":{"b":"^1","c":null},"repository":"git://x"}"#;
        assert_eq!(package_json(ok.as_bytes()), Ok(rec("a", "1", None)));
        assert!(
            package_json(br#"{"name":"a","repository":{"type":"git","directory":"x"}}"#).is_ok()
        );
        assert!(
            package_json(br#"{"name":"a","author":null,"dependencies":null,"latest":null}"#)
                .is_ok()
        );
    }

    #[test]
    fn type_errors_fail_the_file() {
        for bad in [
            r#"{"name":"a","version":1}"#,
            r#"{"name":["a"]}"#,
            r#"{"name":"a","private":"true"}"#,
            r#"{"name":"a","dependencies":{"b":1}}"#,
            r#"{"name":"a","dependencies":["b"]}"#,
            r#"{"name":"a","author":{"name":1}}"#,
            r#"{"name":"a","author":["x"]}"#,
            r#"{"name":"a","repository":{"url":{"x":1}}}"#,
            r#"{"name":"a","latest":"x"}"#,
            r#"{"name":"a","Description":{}}"#,
            r#"{"name":"a","version":"1"} {"name":"b","version":2}"#,
            r#"{"name":"a","version":"1"} x"#,
            "[]",
            "\"x\"",
            "{",
            "{\"name\":\"a\",}",
            "\u{feff}{\"name\":\"a\"}",
        ] {
            assert!(package_json(bad.as_bytes()).is_err(), "{bad}");
        }
    }

    #[test]
    fn invalid_utf8_is_replaced() {
        assert_eq!(
            package_json(b"{\"name\":\"caf\xe9\",\"version\":\"1\",\"author\":\"Jos\xe9\"}"),
            Ok(rec("caf\u{fffd}", "1", None))
        );
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let depth = 100_000;
        let nested = |open: &str, close: &str, around: (&str, &str)| {
            let mut s = String::from(around.0);
            s.push_str(&open.repeat(depth));
            s.push_str(&close.repeat(depth));
            s.push_str(around.1);
            s
        };
        for input in [
            nested("[", "]", ("", "")),
            nested("[", "]", (r#"{"name":"a","x":"#, "}")),
            nested("[", "]", (r#"{"name":"a","license":"#, "}")),
            nested("[", "]", (r#"{"name":"a","licenses":"#, "}")),
            nested(r#"{"a":"#, "}", (r#"{"name":"a","author":"#, "}")),
            nested("[", "]", (r#"{"name":"a","licenses":[{"type":"#, "}]}")),
            nested("[", "]", (r#"{"name":"a","repository":{"x":"#, "}}")),
        ] {
            assert!(package_json(input.as_bytes()).is_err(), "{}", &input[..40]);
        }
        // Unclosed, too.
        assert!(package_json("[".repeat(depth).as_bytes()).is_err());
        // Go's limit is 10000, the outer object included.
        let deep = |field: &str, n: usize| {
            format!(
                r#"{{"name":"a",{field}:{}{}}}"#,
                "[".repeat(n),
                "]".repeat(n)
            )
        };
        assert!(package_json(deep(r#""x""#, 9_999).as_bytes()).is_ok());
        assert!(package_json(deep(r#""x""#, 10_000).as_bytes()).is_err());
        assert_eq!(
            package_json(deep(r#""license""#, 9_999).as_bytes()),
            Ok(rec("a", "UNKNOWN", None))
        );
        assert_eq!(nesting(br#"["[[[", {"a\"[": [{}]}]"#), 4);
    }
}
