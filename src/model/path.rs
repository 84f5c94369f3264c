//! Tar paths to one canonical form: components joined by `/`, no leading `/` or `./`, no
//! trailing `/`, `.` dropped and `..` resolved lexically (never above the root).

/// Normalises a tar path. `None` means the root itself (`.`, `/`, `./`).
pub fn normalize(raw: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for comp in raw.split('/') {
        match comp {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    if parts.is_empty() {
        None
    } else {
        Some(parts.join("/"))
    }
}

/// Where the bytes 0x80..=0xFF of a name that is not UTF-8 are kept: U+F780..=U+F7FF, one
/// character of the Private Use Area each, so two names that differ only in those bytes stay
/// two paths, and extraction writes the original bytes back (`name_to_bytes`). A real name
/// using these characters is read back as raw bytes: a collision no tar seen so far has.
const RAW_BYTE_BASE: u32 = 0xF780;

/// A tar name (or link target) as a string: UTF-8 as it is, other bytes kept as described
/// at `RAW_BYTE_BASE`.
pub fn name_from_bytes(raw: &[u8]) -> String {
    if let Ok(s) = std::str::from_utf8(raw) {
        return s.to_string();
    }
    let mut out = String::with_capacity(raw.len() + 8);
    for chunk in raw.utf8_chunks() {
        out.push_str(chunk.valid());
        for &b in chunk.invalid() {
            // Invalid UTF-8 is always bytes of 0x80 and above.
            out.extend(char::from_u32(RAW_BYTE_BASE + u32::from(b) - 0x80));
        }
    }
    out
}

/// The byte a character of `name_from_bytes` stands for, if it stands for one.
pub fn raw_byte(c: char) -> Option<u8> {
    let n = c as u32;
    (RAW_BYTE_BASE..RAW_BYTE_BASE + 0x80)
        .contains(&n)
        .then(|| (n - RAW_BYTE_BASE + 0x80) as u8)
}

/// The bytes of a name read by `name_from_bytes`, as the tar had them.
pub fn name_to_bytes(name: &str) -> std::borrow::Cow<'_, [u8]> {
    if !name.chars().any(|c| raw_byte(c).is_some()) {
        return std::borrow::Cow::Borrowed(name.as_bytes());
    }
    let mut out = Vec::with_capacity(name.len());
    for c in name.chars() {
        match raw_byte(c) {
            Some(b) => out.push(b),
            None => out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// The parent of a normalised path; `None` for a top-level entry.
pub fn parent(path: &str) -> Option<&str> {
    path.rfind('/').map(|i| &path[..i])
}

/// The last component of a normalised path.
pub fn file_name(path: &str) -> &str {
    match path.rfind('/') {
        Some(i) => &path[i + 1..],
        None => path,
    }
}

/// `parent/name`, or `name` at the top.
pub fn join(parent: Option<&str>, name: &str) -> String {
    match parent {
        Some(p) => format!("{p}/{name}"),
        None => name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_are_not_utf8_keep_their_bytes() {
        let a = name_from_bytes(b"n\xff");
        let b = name_from_bytes(b"n\xfe");
        assert_ne!(a, b);
        assert_eq!(&*name_to_bytes(&a), b"n\xff");
        assert_eq!(&*name_to_bytes(&b), b"n\xfe");
        // A valid sequence next to invalid bytes stays as it is.
        let mixed = name_from_bytes(b"\xc3\xa9t\xe9\x80/x");
        assert_eq!(&*name_to_bytes(&mixed), b"\xc3\xa9t\xe9\x80/x");
        assert!(mixed.starts_with("\u{e9}t"));
        assert_eq!(name_from_bytes("ünï".as_bytes()), "ünï");
    }

    #[test]
    fn all_spellings_of_a_path_agree() {
        for raw in [
            "a/b", "./a/b", "/a/b", "a/b/", "a//b", "./a/./b/", "a/c/../b",
        ] {
            assert_eq!(normalize(raw).as_deref(), Some("a/b"), "{raw}");
        }
        for root in [".", "/", "./", "", "..", "../"] {
            assert_eq!(normalize(root), None, "{root}");
        }
        assert_eq!(normalize("../../etc/passwd").as_deref(), Some("etc/passwd"));
        assert_eq!(
            normalize("with space/ünï 😀").as_deref(),
            Some("with space/ünï 😀")
        );
    }

    #[test]
    fn parent_and_name() {
        assert_eq!(parent("a/b/c"), Some("a/b"));
        assert_eq!(parent("a"), None);
        assert_eq!(file_name("a/b/c"), "c");
        assert_eq!(join(Some("a"), "b"), "a/b");
        assert_eq!(join(None, "b"), "b");
    }
}
