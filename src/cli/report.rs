//! `strata report IMAGE`: the text report, the `strata.report/v1` document, the markdown
//! comment or the HTML page,
//! on stdout or in a file (`-o`, as `output` writes it), with the split against a base image
//! when `--base` names one.

use strata::report::{html, markdown, text, Report};

use super::args::{ReportArgs, ReportFormat};
use super::error::Error;
use super::{options, output};

pub fn run(args: &ReportArgs) -> Result<(), Error> {
    let format = match (args.json, args.format) {
        (true, _) => ReportFormat::Json,
        (false, f) => f.unwrap_or(ReportFormat::Text),
    };
    let (source, base) = (&args.source, args.base.as_deref());
    output::refuse_existing(args.output.as_deref(), args.force, "report")?;
    let opts = options::source_options(source)?;
    let (loaded, base_image) = match base {
        Some(b) => {
            let (loaded, base) = options::load_pair(&args.image, b, source, &opts);
            (loaded, Some(base))
        }
        None => (options::load(&args.image, source, &opts), None),
    };
    let loaded = loaded?;
    let base_image = base_image.transpose()?;
    // The hints count the layers `--base` matched as the base's, not the history's guess.
    let shared = base_image
        .as_ref()
        .map(|b| strata::report::shared_base_layers(loaded.image(), b.image()));
    let analysis = loaded.analyse_with_base(shared);
    let mut doc = Report::new(loaded.image(), &analysis);
    if let (Some(reference), Some(b)) = (base, &base_image) {
        doc.set_base(reference, b.image(), loaded.image(), &analysis);
    }
    let path = args.output.as_deref();
    let written = match format {
        ReportFormat::Json => output::emit(path, args.force, "report", |w| doc.write_json(w)),
        ReportFormat::Text => {
            let out = text::render(&doc, args.top);
            output::emit(path, args.force, "report", |w| w.write_all(out.as_bytes()))
        }
        ReportFormat::Markdown => {
            let out = markdown::render(&doc, args.top, markdown::COMMENT_LIMIT);
            output::emit(path, args.force, "report", |w| w.write_all(out.as_bytes()))
        }
        ReportFormat::Html => {
            let page = html::render(&doc, &html::Treemap::of(loaded.image(), &analysis));
            output::emit(path, args.force, "report", |w| w.write_all(page.as_bytes()))
        }
    };
    if let (Ok(()), Some(path), false) = (&written, path, source.quiet) {
        eprintln!("strata: report written to {}", output::shown(path));
    }
    // The process ends right after: freeing millions of entries one by one would only
    // delay the exit (a tenth of a reopen of a 300k-file image went there).
    std::mem::forget((doc, analysis, loaded, base_image));
    written
}
