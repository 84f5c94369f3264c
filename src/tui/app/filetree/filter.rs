//! What the Files panel filters on, and which paths of a tree pass: a substring (matched
//! only where a new match could start, since a path containing its parent's match matches
//! too) or a glob (run as a DFA carried down the tree, so each path costs its last name's
//! bytes, not its whole length).

use globset::{Glob, GlobSet, GlobSetBuilder};
use regex_automata::dfa::{dense, Automaton};
use regex_automata::util::primitives::StateID;
use regex_automata::util::start;
use regex_automata::Anchored;

use super::FileTree;
use crate::tree::paths::{PathId, PathTable, ROOT};

/// What the Files panel filters on.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Substring (case-insensitive unless it has capitals) or glob (`*`, `?`, `[`).
    pub text: String,
    glob: Option<GlobFilter>,
    /// Hidden statuses, by `Status::index`.
    pub hidden: [bool; 5],
    /// Only files of at least this many bytes (directories roll up).
    pub min_size: Option<u64>,
    /// Only these paths (a package's files, from the Packages view).
    pub only: Option<std::sync::Arc<Only>>,
    /// Why the text is not read as typed: a regex or glob that does not compile is matched as
    /// text, and the user is told so.
    pub note: Option<String>,
    /// The size floor as the user typed it (`50k`), offered again by its prompt.
    pub min_size_text: Option<String>,
}

/// A set of paths the Files panel is narrowed to, and what to call it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Only {
    /// For the footer: `package requests 2.32.3`, `files no package owns`.
    pub label: String,
    /// `ids[path id]`: whether the path is in the set.
    pub ids: Vec<bool>,
}

impl Filter {
    pub fn set_text(&mut self, text: &str) {
        self.text = text.to_string();
        let compiled = if looks_like_regex(text) {
            // dive's filter is a regex: `\.png$`, `^/usr/.*\.so`, `(a|b)` work as there.
            // One that does not compile is matched as a substring, and says so.
            Some(GlobFilter::regex(text).map_err(|e| format!("not a valid regex ({e})")))
        } else if text.contains(['*', '?', '[']) {
            let pattern = if text.starts_with('/') || text.starts_with('*') {
                text.to_string()
            } else {
                format!("*{text}")
            };
            Some(GlobFilter::new(&pattern).ok_or_else(|| "not a valid glob".to_string()))
        } else {
            None
        };
        (self.glob, self.note) = match compiled {
            Some(Ok(g)) => (Some(g), None),
            Some(Err(why)) => (None, Some(format!("{why}; matched as text"))),
            None => (None, None),
        };
    }

    pub fn is_active(&self) -> bool {
        !self.text.is_empty()
            || self.min_size.is_some()
            || self.hidden.iter().any(|h| *h)
            || self.only.is_some()
    }

    /// Which paths pass: a leaf on its own merit (status, size floor, text), a directory
    /// with children through them.
    pub(crate) fn keep(&self, tree: &FileTree, paths: &PathTable) -> Vec<bool> {
        let n = tree.status.len();
        let found = match &self.glob {
            Some(glob) => Some(glob.matches(tree, paths)),
            None if !self.text.is_empty() => Some(self.substring_matches(tree, paths)),
            None => None,
        };
        let mut keep = vec![false; n];
        for i in (1..n).rev() {
            let Some(status) = tree.status[i] else {
                continue;
            };
            let leaf_ok = || {
                tree.kids[i] == 0
                    && !self.hidden[status.index()]
                    && self.min_size.is_none_or(|m| tree.size[i] >= m)
                    && found.as_ref().is_none_or(|f| f[i])
                    && self
                        .only
                        .as_ref()
                        .is_none_or(|o| o.ids.get(i).copied().unwrap_or(false))
            };
            if keep[i] || leaf_ok() {
                keep[i] = true;
                keep[paths.parent(i as PathId) as usize] = true;
            }
        }
        keep
    }

    /// Whether each path's `/path` contains the text (case-insensitive unless the text has
    /// capitals). What contains its parent's match matches too, so each path is searched
    /// only where a new match could be: its last component and the few bytes before it.
    fn substring_matches(&self, tree: &FileTree, paths: &PathTable) -> Vec<bool> {
        let needle = self.text.as_bytes();
        let exact = self.text.chars().any(char::is_uppercase);
        let finder = memchr::memmem::Finder::new(needle);
        let find = |hay: &[u8]| {
            if exact {
                finder.find(hay).is_some()
            } else {
                contains_ignore_ascii_case(hay, needle)
            }
        };
        let n = tree.status.len();
        let mut found = vec![false; n];
        let mut buf = Vec::new();
        for i in 1..n {
            if tree.status[i].is_none() {
                continue;
            }
            let parent = paths.parent(i as PathId);
            if found[parent as usize] {
                found[i] = true;
                continue;
            }
            let path = paths.path(i as PathId).as_bytes();
            // A match not inside `/parent` starts at or after len(`/parent`) + 1 - len(text).
            let parent_len = if parent == ROOT {
                0
            } else {
                1 + paths.path(parent).len()
            };
            let start = (parent_len + 1).saturating_sub(needle.len());
            found[i] = match start.checked_sub(1) {
                Some(s) => find(path.get(s..).unwrap_or_default()),
                None => {
                    buf.clear();
                    buf.push(b'/');
                    buf.extend_from_slice(path);
                    find(&buf)
                }
            };
        }
        found
    }
}

/// A compiled glob: a DFA when the pattern's one is small (almost always), else globset.
#[derive(Debug, Clone)]
struct GlobFilter {
    dfa: Option<(dense::DFA<Vec<u32>>, StateID)>,
    /// A one-glob set: globset picks a literal strategy (extension, suffix, ...) where the
    /// pattern allows; the fallback when the glob's DFA is too big. `None` for a regex.
    set: Option<GlobSet>,
}

/// The last line of a regex parser's error (`unclosed group`), which says what is wrong
/// without the pattern drawn over several lines.
fn short_error(e: &str) -> String {
    e.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .map_or(e, str::trim)
        .trim_start_matches("error: ")
        .to_string()
}

/// Text that only a regex would be written as: `\ ^ $ ( ) |`, `.*` or `.+` (`+` alone is
/// a substring, as in `c++`; `{a,b}` is a glob's).
fn looks_like_regex(text: &str) -> bool {
    text.contains(['\\', '^', '$', '(', ')', '|']) || text.contains(".*") || text.contains(".+")
}

/// Room a glob's DFA may take (a glob's is a few kB; classes and alternations can grow it).
const DFA_LIMIT: usize = 4 << 20;

impl GlobFilter {
    /// `None` for a pattern that is not a glob (it is then matched as a substring).
    fn new(pattern: &str) -> Option<GlobFilter> {
        let glob = Glob::new(pattern).ok()?;
        let set = GlobSetBuilder::new().add(glob.clone()).build().ok()?;
        // The syntax globset compiles its own regexes with: bytes, and a `*` or `?` matches
        // a newline too.
        let dfa = anchored_dfa(glob.regex(), false);
        Some(GlobFilter {
            dfa,
            set: Some(set),
        })
    }

    /// A regex found anywhere in `/path`, case-insensitive unless it has capitals (as the
    /// substring filter); why it does not compile, else.
    fn regex(pattern: &str) -> Result<GlobFilter, String> {
        // Checked on its own first: its error names the pattern's own fault, not the wrapper's.
        regex_automata::util::syntax::parse(pattern).map_err(|e| short_error(&e.to_string()))?;
        let anywhere = format!("(?s-u:.*)(?:{pattern})(?s-u:.*)");
        let smart_case = !pattern.chars().any(char::is_uppercase);
        let dfa = anchored_dfa(&anywhere, smart_case).ok_or("too large to match")?;
        Ok(GlobFilter {
            dfa: Some(dfa),
            set: None,
        })
    }

    /// Whether each leaf's `/path` matches.
    fn matches(&self, tree: &FileTree, paths: &PathTable) -> Vec<bool> {
        match (&self.dfa, &self.set) {
            (Some((dfa, start)), _) => dfa_matches(dfa, *start, tree, paths),
            (None, Some(set)) => set_matches(set, tree, paths),
            (None, None) => vec![false; tree.status.len()],
        }
    }
}

/// A DFA matching the whole of a path against `pattern`, within `DFA_LIMIT`.
fn anchored_dfa(pattern: &str, case_insensitive: bool) -> Option<(dense::DFA<Vec<u32>>, StateID)> {
    let dfa = dense::Builder::new()
        .syntax(
            regex_automata::util::syntax::Config::new()
                .utf8(false)
                .dot_matches_new_line(true)
                .case_insensitive(case_insensitive),
        )
        .thompson(regex_automata::nfa::thompson::Config::new().utf8(false))
        .configure(
            dense::Config::new()
                .dfa_size_limit(Some(DFA_LIMIT))
                .determinize_size_limit(Some(DFA_LIMIT)),
        )
        .build(pattern)
        .ok()?;
    let start = dfa
        .start_state(&start::Config::new().anchored(Anchored::Yes))
        .ok()?;
    Some((dfa, start))
}

/// The DFA run over `/path` of every path, each starting from where its parent's run ended
/// (`/parent` is a prefix of `/parent/name`): a directory's subtree is skipped once the DFA
/// is dead.
fn dfa_matches(
    dfa: &dense::DFA<Vec<u32>>,
    start: StateID,
    tree: &FileTree,
    paths: &PathTable,
) -> Vec<bool> {
    let n = tree.status.len();
    let mut found = vec![false; n];
    let mut state = vec![start; n];
    for i in 1..n {
        if tree.status[i].is_none() {
            continue;
        }
        let parent = paths.parent(i as PathId);
        let (mut s, name) = if parent == ROOT {
            (start, paths.path(i as PathId))
        } else {
            let skip = paths.path(parent).len() + 1;
            let path = paths.path(i as PathId);
            (state[parent as usize], path.get(skip..).unwrap_or(path))
        };
        if !dfa.is_dead_state(s) {
            s = dfa.next_state(s, b'/');
            for &b in name.as_bytes() {
                s = dfa.next_state(s, b);
            }
        }
        state[i] = s;
        if tree.kids[i] == 0 && !dfa.is_dead_state(s) {
            found[i] = dfa.is_match_state(dfa.next_eoi_state(s));
        }
    }
    found
}

/// Whether each leaf's `/path` matches the glob set, on every core for a big tree (globset
/// takes ~80-170 ns a path: 25-50 ms on one core for 300k paths).
fn set_matches(glob: &GlobSet, tree: &FileTree, paths: &PathTable) -> Vec<bool> {
    let n = tree.status.len();
    let mut found = vec![false; n];
    let threads = if n < 20_000 {
        1
    } else {
        std::thread::available_parallelism().map_or(1, |t| t.get().min(8))
    };
    let chunk = n.div_ceil(threads).max(1);
    let (status, kids) = (&tree.status, &tree.kids);
    let part = |first: usize, out: &mut [bool]| {
        let mut buf = String::new();
        for (i, f) in (first..).zip(out.iter_mut()) {
            if status[i].is_some() && kids[i] == 0 {
                buf.clear();
                buf.push('/');
                buf.push_str(paths.path(i as PathId));
                *f = glob.is_match(buf.as_str());
            }
        }
    };
    std::thread::scope(|s| {
        let mut parts = found.chunks_mut(chunk).enumerate();
        let mine = parts.next();
        for (k, out) in parts {
            s.spawn(move || part(k * chunk, out));
        }
        if let Some((_, out)) = mine {
            part(0, out);
        }
    });
    found
}

/// Substring search ignoring ASCII case; `needle` is lowercase.
fn contains_ignore_ascii_case(hay: &[u8], needle: &[u8]) -> bool {
    if needle.len() > hay.len() {
        return false;
    }
    hay.windows(needle.len()).any(|w| {
        w.iter()
            .zip(needle)
            .all(|(a, b)| a.to_ascii_lowercase() == *b)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::compare::{FileChange, FileDiff};

    fn tree_of(paths: &[&str]) -> (FileTree, PathTable) {
        let files: Vec<FileDiff> = paths
            .iter()
            .map(|p| FileDiff {
                size_b: 1,
                ..FileDiff::for_test(p, FileChange::Added)
            })
            .collect();
        let mut table = PathTable::default();
        let tree = FileTree::from_diff(&files, &mut table);
        (tree, table)
    }

    #[test]
    fn the_dfa_walk_matches_what_globset_matches() {
        let (tree, paths) = tree_of(&[
            "usr/lib/x86_64-linux-gnu/libc.so.6",
            "usr/lib/python3/dist-packages/a.py",
            "app/pkg07/mod001/f0000001.bin",
            "app/pkg17/mod010/f0000002.py",
            "a/b/c/d/e/f",
            "ab/ba/abc",
            "line\nbreak/x.so",
            "é/ü.txt",
        ]);
        let patterns = [
            "*.so*",
            "*7/*1.bin",
            "/usr/*",
            "*lib*",
            "*[ab]?c",
            "*{py,bin}",
            "/a/*/c/*",
            "*\n*",
            "*ü*",
            "/[!u]*",
            "*/",
            "/a?/b?/*",
        ];
        let mut leaves = 0;
        for p in patterns {
            let g = GlobFilter::new(p).expect("a glob");
            let (dfa, start) = g.dfa.as_ref().expect("a small DFA");
            let by_dfa = dfa_matches(dfa, *start, &tree, &paths);
            let by_set = set_matches(g.set.as_ref().expect("a glob set"), &tree, &paths);
            assert_eq!(by_dfa, by_set, "pattern {p:?}");
            leaves += by_set.iter().filter(|m| **m).count();
        }
        assert!(leaves > 10, "the patterns match something ({leaves})");
    }

    /// dive's filter is a regex: text only a regex is written as is matched as one,
    /// anywhere in `/path`, case-insensitive unless it has capitals.
    #[test]
    fn regex_filters_as_dive_users_write_them() {
        let all = [
            "usr/lib/libc.so.6",
            "usr/lib/libz.so",
            "srv/www/logo.png",
            "srv/www/logo.pngx",
            "etc/LICENSE",
            "opt/c++/x",
        ];
        let (tree, paths) = tree_of(&all);
        let id = |p: &str| paths.get(p).expect("path") as usize;
        for (text, yes) in [
            ("\\.png$", &["srv/www/logo.png"][..]),
            (
                "^/usr/.*\\.so",
                &["usr/lib/libc.so.6", "usr/lib/libz.so"][..],
            ),
            ("lib(c|z)\\.so$", &["usr/lib/libz.so"][..]),
            ("license$", &["etc/LICENSE"][..]),
            ("LICENSE$", &["etc/LICENSE"][..]),
            ("License$", &[][..]),
            // `+` alone is no regex; nor is what does not compile: substrings.
            ("c++", &["opt/c++/x"][..]),
            ("c++/(", &[][..]),
            ("lib.+so$", &["usr/lib/libz.so"][..]),
        ] {
            let mut f = Filter::default();
            f.set_text(text);
            let keep = f.keep(&tree, &paths);
            for p in all {
                assert_eq!(keep[id(p)], yes.contains(&p), "{text:?} on {p}");
            }
        }
    }

    #[test]
    fn substring_matches_only_where_a_new_match_can_start() {
        let (tree, paths) = tree_of(&["usr/lib/libc.so", "usr/libexec/x", "opt/b/usr", "Usr/x"]);
        let id = |p: &str| paths.get(p).expect("path") as usize;
        for (text, yes, no) in [
            (
                "usr/lib",
                &["usr/lib/libc.so", "usr/libexec/x"][..],
                &["opt/b/usr"][..],
            ),
            ("r/l", &["usr/lib/libc.so"][..], &["opt/b/usr"][..]),
            (
                "/usr",
                &["usr/lib/libc.so", "opt/b/usr", "Usr/x"][..],
                &[][..],
            ),
            ("/Usr", &["Usr/x"][..], &["usr/lib/libc.so"][..]),
            ("b/usr", &["opt/b/usr"][..], &["usr/lib/libc.so"][..]),
        ] {
            let mut f = Filter::default();
            f.set_text(text);
            let found = f.substring_matches(&tree, &paths);
            for p in yes {
                assert!(found[id(p)], "{text:?} in /{p}");
            }
            for p in no {
                assert!(!found[id(p)], "{text:?} not in /{p}");
            }
        }
    }
}
