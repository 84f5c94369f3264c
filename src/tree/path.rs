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
