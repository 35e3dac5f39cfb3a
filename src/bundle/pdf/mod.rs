//! `report.pdf`: the report for print and for the file — cover, contents, summary with
//! a chart, scope and method, one section per control, the exceptions and population
//! excerpts — laid out by our own small engine (`layout`) and written with printpdf's
//! page operations in the DejaVu fonts shipped in `templates/fonts/`.
//!
//! Deterministic: no clock (dates are the bundle's generation time), fixed producer
//! and font subset names, and a document id derived from the file's content.

use super::manifest::Counts;
use super::population::Populations;
use super::samples::Samples;
use super::{BundleError, BundleInput};

pub(super) mod chart;
mod emit;
mod fonts;
mod layout;
mod report;
#[cfg(test)]
mod tests;
mod theme;

/// The bundle path of the report.
pub(super) const REPORT_FILE: &str = "report.pdf";

#[derive(Debug, thiserror::Error)]
pub(crate) enum PdfError {
    #[error("{0}")]
    Font(String),
    #[error("writing the PDF failed: {0}")]
    Write(String),
}

impl From<PdfError> for BundleError {
    fn from(e: PdfError) -> BundleError {
        BundleError::Render {
            template: REPORT_FILE.into(),
            message: e.to_string(),
        }
    }
}

pub(super) fn render(
    input: &BundleInput<'_>,
    populations: &Populations<'_>,
    counts: &Counts,
    samples: &Samples,
) -> Result<Vec<u8>, BundleError> {
    let fonts = fonts::Fonts::load()?;
    let report = report::Report::new(input, populations, counts, samples);
    let mut flow = layout::Flow::new(&fonts);
    report.write(&mut flow);
    let laid = flow.finish(&report.running());
    Ok(emit::write(&laid, &fonts, &report.meta())?)
}
