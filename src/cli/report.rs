//! `strata report IMAGE`: the text report, the `strata.report/v1` document or the markdown
//! comment, with the split against a base image when `--base` names one.

use strata::report::{markdown, text, Report};

use super::args::{ReportFormat, SourceArgs};
use super::error::Error;
use super::{options, write_out, write_with};

pub fn run(
    image: &str,
    source: &SourceArgs,
    format: ReportFormat,
    top: usize,
    base: Option<&str>,
) -> Result<(), Error> {
    let opts = options::source_options(source)?;
    let (loaded, base_image) = match base {
        Some(b) => {
            let (loaded, base) = options::load_pair(image, b, source, &opts);
            (loaded, Some(base))
        }
        None => (options::load(image, source, &opts), None),
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
    let written = match format {
        ReportFormat::Json => write_with("report", |stdout| doc.write_json(stdout)),
        ReportFormat::Markdown => write_out(
            &markdown::render(&doc, top, markdown::COMMENT_LIMIT),
            "report",
        ),
        ReportFormat::Text => write_out(&text::render(&doc, top), "report"),
    };
    // The process ends right after: freeing millions of entries one by one would only
    // delay the exit (a tenth of a reopen of a 300k-file image went there).
    std::mem::forget((doc, analysis, loaded, base_image));
    written
}
