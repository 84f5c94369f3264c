//! `strata diff A B`: both images load in parallel; on a terminal the compare screen opens,
//! else (or with `--format` or `-o FILE`) the `strata.diff/v1` document, its text or its
//! markdown is printed or written to FILE.

use std::io::IsTerminal;

use super::args::{ColorArg, DiffArgs, DiffFormat};
use super::error::Error;
use super::{explore, options, output};

const WHAT: &str = "diff";

pub fn run(args: &DiffArgs, color: ColorArg) -> Result<(), Error> {
    output::refuse_existing(args.output.as_deref(), args.force, WHAT)?;
    let opts = options::source_options(&args.source)?;
    let format = if args.json {
        Some(DiffFormat::Json)
    } else {
        args.format
    };
    if format.is_none()
        && args.output.is_none()
        && std::io::stdout().is_terminal()
        && std::io::stdin().is_terminal()
    {
        let ui = explore::ui_config(&[&args.a, &args.b], color)?;
        return Ok(strata::tui::runtime::run_compare(
            &args.a, &args.b, opts, ui,
        )?);
    }
    let (a, b) = options::load_pair(&args.a, &args.b, &args.source, &opts);
    let (a, b) = (a?, b?);
    let (an_a, an_b) = (a.analyse(), b.analyse());
    let (doc, _) = strata::report::diff::compare_images(a.image(), &an_a, b.image(), &an_b);
    let out = match format {
        Some(DiffFormat::Json) => doc.to_json() + "\n",
        Some(DiffFormat::Markdown) => {
            doc.render_markdown(strata::report::diff::markdown::COMMENT_LIMIT)
        }
        _ => doc.render_text(args.top),
    };
    output::write_report(args.output.as_deref(), args.force, WHAT, out.as_bytes())
}
