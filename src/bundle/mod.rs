//! The evidence bundle (SPEC §7): a deterministic set of files, written as a folder and
//! as a zip with fixed timestamps, order and permissions.
//!
//! Invariant: the bundle is a pure function of its inputs (locker contents, config,
//! catalog, evaluation, generation time, tool version): the same inputs give
//! byte-identical files.
//!
//! Layout of the code: `evidence` copies the locker's request log and raw bodies and the
//! config; `tables` writes the CSV populations; `results` derives the per-record result
//! of each control (shared by the CSVs and the report); `html` renders `index.html`;
//! `manifest` lists and hashes everything; `signature` signs the manifest (minisign);
//! `archive` writes the folder and the zip.

use std::collections::BTreeMap;

use crate::catalog::Catalog;
use crate::config::Config;
use crate::evaluate::Evaluation;
use crate::locker::{Locker, LockerError, LockerMeta};
use crate::model::{Evidence, Timestamp};
use crate::signing::SigningKey;

mod archive;
mod evidence;
mod html;
mod manifest;
mod oscal;
mod paths;
mod pdf;
mod reconciliation;
mod results;
mod samples;
pub mod signature;
mod tables;
#[cfg(test)]
mod tests;
mod workpapers;

pub use manifest::MANIFEST_SCHEMA;
pub(crate) use paths::unsafe_reason as unsafe_path_reason;
pub use signature::SIGNATURE_FILE;

/// The manifest's own path: it lists every other file.
pub const MANIFEST_FILE: &str = "manifest.json";

#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error(transparent)]
    Locker(#[from] LockerError),
    #[error("{path}: {source}")]
    Io {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("rendering {template}: {message}")]
    Render { template: String, message: String },
    /// A bundle entry whose path could escape the bundle or is not portable.
    #[error(
        "bundle entry `{path}`: {reason}; bundle paths are relative, `/`-separated and never contain `..`"
    )]
    UnsafePath { path: String, reason: &'static str },
    #[error(
        "{path}: already exists and is not empty; write the bundle into a new or empty directory so no stale file mixes with it"
    )]
    NotEmpty { path: std::path::PathBuf },
    #[error("{path}: writing the zip failed: {message}")]
    Zip {
        path: std::path::PathBuf,
        message: String,
    },
}

/// Everything a bundle is made from.
pub struct BundleInput<'a> {
    pub locker: &'a Locker,
    pub meta: &'a LockerMeta,
    pub evidence: &'a Evidence,
    pub config: &'a Config,
    pub catalog: &'a Catalog,
    pub evaluation: &'a Evaluation,
    /// Printed as the generation time; never the wall clock.
    pub generated_at: Timestamp,
    pub tool_version: &'a str,
    /// Signs `manifest.json` into `manifest.json.minisig`; `None`: the bundle is UNSIGNED
    /// and says so in the manifest and on the report's cover.
    pub signing_key: Option<&'a SigningKey>,
}

/// The bundle's files by path (`/`-separated, relative), in the order they are zipped.
pub type BundleFiles = BTreeMap<String, Vec<u8>>;

/// Builds every file of the bundle in memory.
pub fn build(input: &BundleInput<'_>) -> Result<BundleFiles, BundleError> {
    let mut files = BundleFiles::new();
    let copied = evidence::evidence_files(input)?;
    files.extend(copied.files);
    files.extend(evidence::config_files(input));

    let results = results::PopulationResults::derive(input);
    files.insert(
        "findings.json".into(),
        input.evaluation.findings.to_json_bytes(),
    );
    files.insert(
        "exceptions.csv".into(),
        tables::exceptions_csv(&input.evaluation.findings.exceptions)?,
    );
    files.insert(
        "populations/changes.csv".into(),
        tables::changes_csv(&input.evaluation.changes, &results)?,
    );
    files.insert(
        "populations/commits.csv".into(),
        tables::commits_csv(&input.evaluation.commits, &results)?,
    );

    // Samples are drawn over the exact bytes of the population files just written.
    let samples = samples::draw(input, &files)?;
    let sample_files = samples::files(&samples, &files)?;
    files.extend(sample_files);
    files.extend(reconciliation::files(&input.evaluation.reconciliation)?);

    let counts = manifest::Counts::new(input, copied.raw_files, copied.requests);
    files.insert(
        "index.html".into(),
        html::render(input, &results, &counts)?.into_bytes(),
    );
    files.insert(
        workpapers::PATH.into(),
        workpapers::workbook(input, &results, &counts, &samples)?,
    );
    files.insert(
        pdf::REPORT_FILE.into(),
        pdf::render(input, &results, &counts)?,
    );
    // After every other file but the manifest: the OSCAL document pins them by SHA-256.
    let oscal = oscal::assessment_results(input, &files);
    files.insert(oscal::PATH.into(), oscal);

    for path in files.keys() {
        paths::check(path)?;
    }
    let manifest = manifest::manifest_json(input, &counts, &files, &samples);
    if let Some(key) = input.signing_key {
        files.insert(
            SIGNATURE_FILE.into(),
            signature::sign(input, key, &manifest),
        );
    }
    files.insert(MANIFEST_FILE.into(), manifest);
    Ok(files)
}

/// Writes the files as a folder tree under `dir` (created; if it exists it must be empty).
pub fn write_dir(files: &BundleFiles, dir: &std::path::Path) -> Result<(), BundleError> {
    archive::write_dir(files, dir)
}

/// Writes the files as a deterministic zip.
pub fn write_zip(files: &BundleFiles, path: &std::path::Path) -> Result<(), BundleError> {
    archive::write_zip(files, path)
}

/// A time as printed everywhere in the bundle: RFC 3339, UTC, `Z`, whole seconds unless
/// the evidence carries fractions.
/// The collected repositories' names, sorted and distinct: the scope every cover,
/// summary and manifest lists.
pub(crate) fn repository_names<'a>(input: &BundleInput<'a>) -> Vec<&'a str> {
    let mut names: Vec<&str> = input
        .evidence
        .repositories
        .iter()
        .map(|r| r.full_name.as_str())
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}

pub(crate) fn format_time(t: Timestamp) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}
