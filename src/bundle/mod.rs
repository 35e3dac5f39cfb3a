//! The evidence bundle (SPEC §7): a deterministic set of files, written as a folder and
//! as a zip with fixed timestamps, order and permissions.
//!
//! Invariant: the bundle is a pure function of its inputs (locker contents, config,
//! catalog, evaluation, generation time, tool version): the same inputs give
//! byte-identical files.

use std::collections::BTreeMap;

use crate::catalog::Catalog;
use crate::config::Config;
use crate::evaluate::Evaluation;
use crate::locker::{Locker, LockerError, LockerMeta};
use crate::model::{Evidence, Timestamp};

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
}

/// The bundle's files by path (`/`-separated, relative), in the order they are zipped.
pub type BundleFiles = BTreeMap<String, Vec<u8>>;

/// Builds every file of the bundle in memory.
pub fn build(input: &BundleInput<'_>) -> Result<BundleFiles, BundleError> {
    let _ = input;
    unimplemented!("the bundle is being written")
}

/// Writes the files as a folder tree under `dir` (created).
pub fn write_dir(files: &BundleFiles, dir: &std::path::Path) -> Result<(), BundleError> {
    let _ = (files, dir);
    unimplemented!("the bundle is being written")
}

/// Writes the files as a deterministic zip.
pub fn write_zip(files: &BundleFiles, path: &std::path::Path) -> Result<(), BundleError> {
    let _ = (files, path);
    unimplemented!("the bundle is being written")
}
