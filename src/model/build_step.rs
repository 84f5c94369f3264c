//! What a history step did, read once from its cleaned command: the instruction and, for a
//! RUN, the shell commands it ran. Every reader of the history (the hints above all) takes
//! this instead of parsing `created_by` again, so two readers cannot disagree on what a step
//! was.
//!
//! It is read from the cleaned command (`history::clean_command`) rather than the raw text:
//! the cleaning already drops the builders' wrappers (`/bin/sh -c`, `#(nop)`, `# buildkit`),
//! and what a hint decides on is then the very text it quotes. What the cleaning keeps is
//! read here: the build-arg prefix `|N K=V ...` that Docker's classic builder writes as is
//! and BuildKit writes after `RUN `.

/// The shell the builders wrap a shell-form RUN in.
const SHELL: &str = "/bin/sh -c ";

/// One history step, as far as its command tells.
///
/// Only the text a step needs is kept, once; commands, words and sources are cut from it
/// when asked, as slices of it: a hostile config may hold 16 MiB of one-letter words, which
/// kept as one `String` each would take many times that for as long as the image is open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildStep {
    /// A RUN.
    Run(Shell),
    /// A COPY or ADD.
    Copy(CopyStep),
    /// Anything else: ENV, CMD, LABEL, an empty command, a tool's free text.
    Other,
}

/// A RUN's shell text, without the build-arg prefix and the shell wrapper.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shell(String);

impl Shell {
    /// The simple commands, in order, cut at `&&`, `||`, `|`, `;` and newlines without
    /// reading quotes: what readers look for (which program runs) is rarely quoted, and a
    /// quoted `;` cutting a command short costs at worst one missed hint.
    pub fn commands(&self) -> impl Iterator<Item = ShellCommand<'_>> {
        split_commands(&self.0)
            .map(ShellCommand)
            .filter(|c| c.words().next().is_some())
    }
}

/// One simple command of a RUN's shell text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShellCommand<'a>(&'a str);

impl<'a> ShellCommand<'a> {
    /// Its words, split on whitespace.
    pub fn words(&self) -> impl Iterator<Item = &'a str> {
        self.0.split_whitespace()
    }

    /// Where the program is among the words: the first that is not an environment
    /// assignment, a flag (`--mount=...` of a RUN), a wrapper such as `sudo` or `env`, or the
    /// shell itself. `echo npm` runs echo, not npm.
    pub fn program_index(&self) -> Option<usize> {
        self.words().position(|w| !is_prefix_word(w))
    }
}

/// Words that may precede the program of a shell command: env assignments, wrappers, the
/// shell itself and RUN flags such as `--mount=...`.
fn is_prefix_word(w: &str) -> bool {
    w.starts_with('-')
        || w.contains('=')
        || matches!(
            w,
            "sudo"
                | "exec"
                | "env"
                | "time"
                | "nice"
                | "command"
                | "sh"
                | "bash"
                | "/bin/sh"
                | "/bin/bash"
        )
}

/// A COPY or ADD step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyStep {
    /// `ADD` rather than `COPY`.
    pub add: bool,
    /// A `--from` flag: the sources are another stage or image, not the build context.
    pub from_other: bool,
    /// The text after the verb, read by `sources` when asked.
    args: String,
}

impl CopyStep {
    /// What is copied: every argument but the destination (and the classic builder's `in`
    /// before it, as in `COPY dir:<hash> in /app`), flags before the first argument left out,
    /// JSON-array brackets and quotes dropped. None when the step names fewer than a source
    /// and a destination.
    pub fn sources(&self) -> Vec<&str> {
        let args: Vec<&str> = copy_args(&self.args).skip_while(|w| is_flag(w)).collect();
        if args.len() < 2 {
            return Vec::new();
        }
        let end = match args.iter().rposition(|w| *w == "in") {
            Some(i) if i + 2 == args.len() => i,
            _ => args.len() - 1,
        };
        args[..end].to_vec()
    }

    /// Where it copies to: the last argument. None when the step names fewer than a source
    /// and a destination.
    pub fn destination(&self) -> Option<&str> {
        let args: Vec<&str> = copy_args(&self.args).skip_while(|w| is_flag(w)).collect();
        match args.as_slice() {
            [_, .., last] => Some(last),
            _ => None,
        }
    }
}

impl BuildStep {
    /// Reads a cleaned command (`history::clean_command`'s output).
    pub fn parse(command: &str) -> BuildStep {
        if let Some(body) = command.strip_prefix("RUN ") {
            // BuildKit writes a RUN with build args as `RUN |N K=V ... /bin/sh -c x`.
            BuildStep::Run(Shell(strip_build_args(body).unwrap_or(body).to_string()))
        } else if let Some(body) = strip_build_args(command) {
            // The classic builder writes the same without `RUN ` (and cleaning keeps it).
            BuildStep::Run(Shell(body.to_string()))
        } else {
            copy(command).map_or(BuildStep::Other, BuildStep::Copy)
        }
    }

    /// The shell text of a RUN; none for any other step.
    pub fn run(&self) -> Option<&Shell> {
        match self {
            BuildStep::Run(shell) => Some(shell),
            _ => None,
        }
    }

    pub fn is_run(&self) -> bool {
        matches!(self, BuildStep::Run(_))
    }
}

/// The command after a build-arg prefix `|N K=V ...`: after the first `/bin/sh -c ` for a
/// shell-form RUN (values may hold spaces, so counting words would cut inside one), else
/// after N words for an exec-form RUN. `None` when the text has no such prefix.
fn strip_build_args(s: &str) -> Option<&str> {
    let rest = s.strip_prefix('|')?;
    if let Some(i) = rest.find(SHELL) {
        return Some(&rest[i + SHELL.len()..]);
    }
    let (count, mut rest) = rest.split_once(' ')?;
    let count: usize = count.parse().ok()?;
    for _ in 0..count {
        let (word, after) = rest.trim_start().split_once(' ')?;
        if !word.contains('=') {
            return None;
        }
        rest = after;
    }
    Some(rest.trim_start())
}

/// Cuts shell text at `&&`, `|` (so `||` too), `;` and newlines. Only ASCII bytes are
/// compared, so every cut falls on a character boundary.
fn split_commands(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let s = rest?;
        let b = s.as_bytes();
        let mut i = 0;
        while i < b.len() {
            let sep = match b[i] {
                b'|' | b';' | b'\n' => 1,
                b'&' if b.get(i + 1) == Some(&b'&') => 2,
                _ => 0,
            };
            if sep > 0 {
                rest = Some(&s[i + sep..]);
                return Some(&s[..i]);
            }
            i += 1;
        }
        rest = None;
        Some(s)
    })
}

/// A COPY's words after the verb, JSON-array brackets and quotes dropped.
fn copy_args(args: &str) -> impl Iterator<Item = &str> {
    args.split_whitespace()
        .map(|w| w.trim_matches(|c| c == '[' || c == ']' || c == '"' || c == ','))
        .filter(|w| !w.is_empty())
}

/// Flags come before the first argument; a later `--x` is a path.
fn is_flag(w: &str) -> bool {
    w.starts_with("--")
}

/// A COPY or ADD step: its verb in any case.
fn copy(command: &str) -> Option<CopyStep> {
    let command = command.trim_start();
    let (verb, args) = command
        .split_once(char::is_whitespace)
        .unwrap_or((command, ""));
    let add = verb.eq_ignore_ascii_case("ADD");
    if !add && !verb.eq_ignore_ascii_case("COPY") {
        return None;
    }
    Some(CopyStep {
        add,
        from_other: copy_args(args)
            .take_while(|w| is_flag(w))
            .any(|w| w.starts_with("--from")),
        args: args.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::history::clean_command;

    fn step(raw: &str) -> BuildStep {
        BuildStep::parse(&clean_command(raw))
    }

    fn shell(raw: &str) -> Vec<Vec<String>> {
        step(raw)
            .run()
            .map(|shell| {
                shell
                    .commands()
                    .map(|c| c.words().map(str::to_string).collect())
                    .collect()
            })
            .unwrap_or_default()
    }

    fn words(s: &[&str]) -> Vec<String> {
        s.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn runs_as_each_builder_writes_them() {
        let want = vec![words(&["go", "mod", "download"])];
        // Docker's classic builder and buildah.
        assert_eq!(shell("/bin/sh -c go mod download"), want);
        // BuildKit.
        assert_eq!(shell("RUN /bin/sh -c go mod download # buildkit"), want);
        // Kaniko and other tools that write the Dockerfile line.
        assert_eq!(shell("RUN go mod download"), want);
    }

    /// The build-arg prefix is read the same whichever builder wrote it. Before `BuildStep`,
    /// the hints read the classic builder's `|1 A=1 /bin/sh -c x` as the RUN `x` but
    /// BuildKit's `RUN |1 A=1 /bin/sh -c x` as a RUN of the program `1`, so a dependency
    /// install with a build arg went unnoticed when BuildKit built the image.
    #[test]
    fn build_args_are_not_commands_whoever_wrote_them() {
        let want = vec![words(&["npm", "ci"])];
        assert_eq!(shell("|2 A=1 B=2 /bin/sh -c npm ci"), want);
        assert_eq!(shell("RUN |2 A=1 B=2 /bin/sh -c npm ci # buildkit"), want);
        // Exec form: no shell, the arguments follow the N assignments.
        assert_eq!(shell("|2 A=1 B=2 npm ci"), want);
        assert_eq!(shell("RUN |2 A=1 B=2 npm ci # buildkit"), want);
        // A value with a space, a `|` or `&&` stays in the prefix.
        assert_eq!(shell("RUN |2 A=a b B=x|y&&z /bin/sh -c npm ci"), want);
        // Not a build-arg prefix: left as text, and not a RUN without `RUN `.
        assert_eq!(step("|bogus"), BuildStep::Other);
        assert_eq!(step("|2 A=1 npm"), BuildStep::Other);
        assert_eq!(
            shell("RUN |x y"),
            vec![words(&["x", "y"])],
            "the text of a RUN is read as it stands when no prefix parses"
        );
    }

    #[test]
    fn shell_text_is_cut_into_simple_commands() {
        assert_eq!(
            shell("/bin/sh -c apt-get update && apt-get install -y x || true; ls | wc -l\nid"),
            vec![
                words(&["apt-get", "update"]),
                words(&["apt-get", "install", "-y", "x"]),
                words(&["true"]),
                words(&["ls"]),
                words(&["wc", "-l"]),
                words(&["id"]),
            ]
        );
        let program = |raw: &str| {
            let step = step(raw);
            let c = step.run()?.commands().next()?;
            let program = c.words().nth(c.program_index()?).map(str::to_string);
            program
        };
        assert_eq!(
            program("RUN --mount=type=cache,target=/x /bin/sh -c NODE_ENV=1 sudo npm ci"),
            Some("npm".to_string())
        );
        assert_eq!(program("RUN echo npm"), Some("echo".to_string()));
    }

    #[test]
    fn copies_and_their_sources() {
        let sources = |raw: &str| match step(raw) {
            BuildStep::Copy(c) => Some((c.add, c.from_other, words(&c.sources()))),
            _ => None,
        };
        assert_eq!(
            sources("COPY . . # buildkit"),
            Some((false, false, words(&["."])))
        );
        assert_eq!(
            sources("/bin/sh -c #(nop) COPY dir:0a1b in /app "),
            Some((false, false, words(&["dir:0a1b"])))
        );
        assert_eq!(
            sources("ADD [\"a\", \"b\", \"/app\"]"),
            Some((true, false, words(&["a", "b"])))
        );
        assert_eq!(
            sources("COPY --chown=app --from=build /out ."),
            Some((false, true, words(&["/out"])))
        );
        assert_eq!(sources("copy x"), Some((false, false, vec![])));
        let destination = |raw: &str| match step(raw) {
            BuildStep::Copy(c) => c.destination().map(str::to_string),
            _ => None,
        };
        assert_eq!(
            destination("/bin/sh -c #(nop) ADD file:f487 in / "),
            Some("/".into())
        );
        assert_eq!(
            destination("ADD --chown=1 rootfs.tar.gz / # buildkit"),
            Some("/".into())
        );
        assert_eq!(destination("ADD [\"a\", \"/app\"]"), Some("/app".into()));
        assert_eq!(destination("copy x"), None);
        assert_eq!(sources("RUN cp . /x"), None);
        assert_eq!(sources("CMD [\"sh\"]"), None);
    }
}
