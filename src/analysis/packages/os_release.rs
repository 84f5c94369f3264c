//! `/etc/os-release` (or `/usr/lib/os-release`): which distribution an image says it is, for
//! the `distro=` qualifier of OS packages' purls.
//!
//! The reference is syft 1.18.1 (`syft/linux/identify_release.go`), which reads the file with
//! `github.com/acobaugh/osrelease` v0.1.0: one `KEY=VALUE` per line, `#` comments in column
//! one, key and value trimmed of spaces, the last of a repeated key wins, and a file with none
//! of the known keys set is no release at all (syft then tries the next file). One deliberate
//! difference: osrelease strips single quotes only from a value that also contains a double
//! quote, so `ID='x'` would be `'x'`; the os-release format (a shell assignment) says `x`, and
//! that is what this gives.

use crate::model::packages::Distro;

/// The keys syft copies into its release; a file where all of them are empty is not one.
const KNOWN_KEYS: [&str; 18] = [
    "PRETTY_NAME",
    "NAME",
    "ID",
    "ID_LIKE",
    "VERSION",
    "VERSION_ID",
    "VERSION_CODENAME",
    "BUILD_ID",
    "IMAGE_ID",
    "IMAGE_VERSION",
    "VARIANT",
    "VARIANT_ID",
    "HOME_URL",
    "SUPPORT_URL",
    "BUG_REPORT_URL",
    "PRIVACY_POLICY_URL",
    "CPE_NAME",
    "SUPPORT_END",
];

/// `ID` and `VERSION_ID` of an os-release file. Invalid UTF-8 is read lossily.
pub fn distro(bytes: &[u8]) -> Result<Distro, String> {
    let text = String::from_utf8_lossy(bytes);
    let mut distro = Distro::default();
    // Whether each known key's last value is non-empty (the last of a repeated key wins).
    let mut set = [false; KNOWN_KEYS.len()];
    for line in text.split('\n') {
        // Go's line scanner drops one `\r` before each `\n`.
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, raw)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim_matches(' ');
        let value = unquote(raw.trim_matches(' '));
        if let Some(i) = KNOWN_KEYS.iter().position(|k| *k == key) {
            set[i] = !value.is_empty();
        }
        match key {
            "ID" => distro.id = value,
            "VERSION_ID" => distro.version_id = value,
            _ => {}
        }
    }
    if set.contains(&true) {
        Ok(distro)
    } else {
        Err("no os-release fields".to_string())
    }
}

/// A value without its enclosing quotes, with the backslash escapes a shell honours inside
/// double quotes (`\"`, `\$`, `\\`, `` \` ``) resolved, as osrelease resolves them in any
/// value. Inside single quotes nothing is an escape.
fn unquote(value: &str) -> String {
    let bytes = value.as_bytes();
    if bytes.len() >= 2 && bytes[0] == b'\'' && bytes[bytes.len() - 1] == b'\'' {
        return value[1..value.len() - 1].to_string();
    }
    let inner = if bytes.len() >= 2 && bytes[0] == b'"' && bytes[bytes.len() - 1] == b'"' {
        &value[1..value.len() - 1]
    } else {
        value
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(&next @ ('"' | '$' | '\\' | '`')) = chars.peek() {
                out.push(next);
                chars.next();
                continue;
            }
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `/usr/lib/os-release` of the py-app fixture image (Debian 12).
    const DEBIAN_12: &str = r#"PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
SUPPORT_URL="https://www.debian.org/support"
BUG_REPORT_URL="https://bugs.debian.org/"
"#;

    fn d(id: &str, version_id: &str) -> Distro {
        Distro {
            id: id.to_string(),
            version_id: version_id.to_string(),
        }
    }

    #[test]
    fn real_files() {
        assert_eq!(distro(DEBIAN_12.as_bytes()), Ok(d("debian", "12")));
        let alpine = "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME=\"Alpine Linux v3.19\"\n";
        assert_eq!(distro(alpine.as_bytes()), Ok(d("alpine", "3.19.1")));
        // Debian testing has no VERSION_ID.
        let trixie =
            "PRETTY_NAME=\"Debian GNU/Linux trixie/sid\"\nNAME=\"Debian GNU/Linux\"\nID=debian\n";
        assert_eq!(distro(trixie.as_bytes()), Ok(d("debian", "")));
    }

    #[test]
    fn quoting_comments_and_line_ends() {
        let text = "# ID=commented\r\n  ID = \"ubuntu\"  \r\nVERSION_ID='22.04'\r\nNAME=\"a \\\"b\\\" \\$c \\\\d\"\n";
        assert_eq!(distro(text.as_bytes()), Ok(d("ubuntu", "22.04")));
        assert_eq!(unquote(r#""a \"b\" \$c \\d""#), r#"a "b" $c \d"#);
        assert_eq!(unquote(r"'a \$b'"), r"a \$b");
        assert_eq!(unquote("\""), "\"");
        assert_eq!(unquote(""), "");
        // The last of a repeated key wins.
        assert_eq!(distro(b"ID=a\nID=b\n"), Ok(d("b", "")));
    }

    #[test]
    fn not_a_release() {
        assert!(distro(b"").is_err());
        assert!(distro(b"# nothing\n\nFOO=bar\nnot a line\n").is_err());
        assert!(distro(b"ID=\nVERSION_ID=\"\"\n").is_err());
        assert!(distro(b"ID=x\nID=\n").is_err());
        // A release without ID is still one, as syft has it.
        assert_eq!(distro(b"NAME=x\n"), Ok(d("", "")));
    }

    #[test]
    fn hostile_bytes() {
        assert_eq!(
            distro(b"ID=\xff\xfe\nVERSION_ID=1\n"),
            Ok(d("\u{fffd}\u{fffd}", "1"))
        );
        assert!(distro(&[b'='; 10_000]).is_err());
        let _ = distro(&[b'\\'; 10_000]);
        let _ = distro(b"ID=\"\\");
    }
}
