//! The evidence bundle (SPEC §7): a deterministic set of files, written as a folder and
//! as a zip with fixed timestamps, order and permissions.
//!
//! Invariant: the bundle is a pure function of its inputs (locker contents, config,
//! catalog, evaluation, generation time, tool version): the same inputs give
//! byte-identical files.
//!
//! Layout of the code: `writer` sends each file, as it is made, to the folder, the zip
//! (`archive`) or memory, hashing it for the manifest; `evidence` copies the locker's
//! request log and raw bodies and the config; `population` turns the evaluation's rows
//! into the tables every renderer reads, with `results` judging each record per control;
//! `tables` writes the CSVs; `html` renders `index.html`; `pdf`, `workpapers` and
//! `oscal` the other formats; `manifest` lists and hashes everything; `signature` signs
//! the manifest (minisign).

use std::collections::BTreeMap;

use crate::catalog::Catalog;
use crate::config::Config;
use crate::evaluate::Evaluation;
use crate::locker::{Locker, LockerError, LockerMeta};
use crate::model::{Evidence, Timestamp};
use crate::signing::SigningKey;

mod analytics;
mod archive;
mod evidence;
mod html;
mod manifest;
mod oscal;
mod paths;
mod pdf;
mod population;
mod reconciliation;
mod results;
mod samples;
pub mod signature;
mod svg;
mod tables;
#[cfg(test)]
mod tests;
mod workpapers;
mod writer;

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
    /// An internal error: files must reach the zip in path order to keep it deterministic.
    #[error(
        "bundle entry `{path}` was written after `{after}`: entries are written once each, in path order (a bug in changeproof; please report it)"
    )]
    Order { path: String, after: String },
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

/// Builds every file of the bundle in memory (tests, small bundles); [`write`] streams
/// them to disk instead. Both give the same bytes.
pub fn build(input: &BundleInput<'_>) -> Result<BundleFiles, BundleError> {
    let mut files = BundleFiles::new();
    let target = writer::MemoryTarget::new(&mut files);
    emit(input, writer::Emitter::new(vec![Box::new(target)]))?;
    Ok(files)
}

/// Writes the bundle as a folder under `dir` (created; if it exists it must be empty)
/// and/or as a zip at `zip`, one file at a time: memory stays bounded by the largest
/// rendering, not the bundle. Returns every file's size and SHA-256 (the manifest's).
pub fn write(
    input: &BundleInput<'_>,
    dir: Option<&std::path::Path>,
    zip: Option<&std::path::Path>,
) -> Result<BTreeMap<String, (u64, String)>, BundleError> {
    let mut targets: Vec<Box<dyn writer::Target>> = Vec::new();
    if let Some(dir) = dir {
        targets.push(Box::new(writer::DirTarget::create(dir)?));
    }
    if let Some(zip) = zip {
        targets.push(Box::new(archive::ZipTarget::create(zip)?));
    }
    let digests = emit(input, writer::Emitter::new(targets))?;
    Ok(digests
        .into_iter()
        .map(|(path, d)| (path, (d.size, d.sha256)))
        .collect())
}

/// Makes every file of the bundle, in path order, into `out`.
fn emit(
    input: &BundleInput<'_>,
    mut out: writer::Emitter<'_>,
) -> Result<manifest::Digests, BundleError> {
    // Path order up to the manifest: `analytics/` sorts first.
    if let Some(aggregates) = &input.evaluation.aggregates {
        let mut trends = BundleFiles::new();
        analytics::insert(&mut trends, aggregates)?;
        for (path, bytes) in &trends {
            out.file(path, bytes)?;
        }
    }
    for (path, bytes) in evidence::config_files(input) {
        out.file(&path, &bytes)?;
    }
    let plan = evidence::EvidencePlan::read(input)?;
    evidence::write_evidence(input, &plan, &mut out)?;
    let counts = manifest::Counts::new(input, plan.raw_files(), plan.requests);
    out.file(
        "exceptions.csv",
        &tables::exceptions_csv(&input.evaluation.findings.exceptions)?,
    )?;
    out.file("findings.json", &input.evaluation.findings.to_json_bytes())?;

    let populations = population::Populations::derive(input);
    // The samples are drawn from the population files' exact bytes, and the reports
    // describe them: the files are made first and written after `index.html`, in path
    // order. Each rendering is written, then dropped, before the next is made.
    let mut population_files = BundleFiles::new();
    for table in &populations.tables {
        population_files.insert(table.csv_path(), tables::population_csv(table)?);
    }
    let samples = samples::draw(input, &population_files, out.digests())?;
    out.file(
        "index.html",
        html::render(input, &populations, &counts, &samples)?.as_bytes(),
    )?;
    for (path, bytes) in &population_files {
        out.file(path, bytes)?;
    }
    for (path, bytes) in samples::files(&samples, &population_files)? {
        out.file(&path, &bytes)?;
    }
    drop(population_files);
    for (path, bytes) in reconciliation::files(&input.evaluation.reconciliation)? {
        out.file(&path, &bytes)?;
    }
    out.file(
        pdf::REPORT_FILE,
        &pdf::render(input, &populations, &counts, &samples)?,
    )?;
    out.file(
        workpapers::PATH,
        &workpapers::workbook(input, &populations, &counts, &samples)?,
    )?;
    // After every other file but the manifest: the OSCAL document pins them by SHA-256.
    let oscal = oscal::assessment_results(input, &populations, out.digests());
    out.file(oscal::PATH, &oscal)?;
    drop(populations);

    let manifest = manifest::manifest_json(input, &counts, out.digests(), &samples);
    out.file(MANIFEST_FILE, &manifest)?;
    if let Some(key) = input.signing_key {
        out.file(SIGNATURE_FILE, &signature::sign(input, key, &manifest))?;
    }
    out.finish()
}

/// Writes files built in memory as a folder tree under `dir` (created; if it exists it
/// must be empty).
pub fn write_dir(files: &BundleFiles, dir: &std::path::Path) -> Result<(), BundleError> {
    for path in files.keys() {
        paths::check(path)?;
    }
    writer::write_all(files, Box::new(writer::DirTarget::create(dir)?))
}

/// Writes files built in memory as a deterministic zip.
pub fn write_zip(files: &BundleFiles, path: &std::path::Path) -> Result<(), BundleError> {
    for name in files.keys() {
        paths::check(name)?;
    }
    writer::write_all(files, Box::new(archive::ZipTarget::create(path)?))
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

/// The Trust Services Criteria the evaluated controls address, for titles:
/// `Trust Services Criteria CC6.1, CC6.2, CC8.1`.
pub(super) fn criteria(findings: &crate::findings::Findings) -> String {
    let mut tsc: Vec<&str> = findings
        .controls
        .iter()
        .flat_map(|c| c.tsc.iter().map(String::as_str))
        .collect();
    tsc.sort_unstable();
    tsc.dedup();
    if tsc.is_empty() {
        "no criteria (no control was evaluated)".into()
    } else {
        format!("Trust Services Criteria {}", tsc.join(", "))
    }
}

pub(crate) fn format_time(t: Timestamp) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}
