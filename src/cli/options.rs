//! The flags every command shares turned into the library's `SourceOptions`, and loading with
//! a progress line on stderr.

use strata::{Session, SourceOptions};

use super::args::{SourceArgs, SourceChoice};
use super::error::Error;
use super::progress::Progress;

/// The source options the flags ask for; `--password-stdin` reads the password here.
pub fn source_options(args: &SourceArgs) -> Result<SourceOptions, Error> {
    let credentials = match (&args.username, args.password_stdin) {
        (Some(user), true) => {
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .map_err(Error::Stdin)?;
            let password = line.trim_end_matches(['\r', '\n']).to_string();
            if password.is_empty() {
                return Err(Error::NoPassword);
            }
            Some(strata::source::credentials::Credentials {
                username: user.clone(),
                password: strata::source::credentials::Secret::new(password),
            })
        }
        _ => None,
    };
    Ok(SourceOptions {
        platform: args.platform.clone(),
        source: args.source.map(|s| match s {
            SourceChoice::Registry => strata::source::SourceKind::Registry,
            SourceChoice::Docker => {
                strata::source::SourceKind::Engine(strata::source::reference::Engine::Docker)
            }
            SourceChoice::Podman => {
                strata::source::SourceKind::Engine(strata::source::reference::Engine::Podman)
            }
        }),
        insecure: args.insecure,
        credentials,
        no_cache: args.no_cache,
        timeout: args.timeout.map(std::time::Duration::from_secs),
        limits: args.limits(),
        verify_diff_ids: args.verify_diff_ids,
    })
}

/// Loads an image with progress and notices on stderr (unless `--quiet`).
pub fn load(image: &str, args: &SourceArgs, opts: &SourceOptions) -> strata::Result<Session> {
    let progress = Progress::new(image, args.quiet);
    let result = strata::load(image, opts, &|ev| progress.event(ev));
    progress.finish();
    result
}

/// Loads two images at once, each with its own progress line.
pub fn load_pair(
    a: &str,
    b: &str,
    args: &SourceArgs,
    opts: &SourceOptions,
) -> (strata::Result<Session>, strata::Result<Session>) {
    let (pa, pb) = (Progress::new(a, args.quiet), Progress::new(b, args.quiet));
    let result = strata::load_pair(a, b, opts, &|ev| pa.event(ev), &|ev| pb.event(ev));
    pa.finish();
    pb.finish();
    result
}
