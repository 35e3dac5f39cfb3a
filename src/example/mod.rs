//! The example organisation: a seeded generator of a synthetic GitHub organisation that
//! writes a locker of GitHub-shaped raw API responses, plus its own ground truth (the
//! exceptions it planted). Tests, the demo and benchmarks build on it.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::locker::LockerError;

/// Size and seed of the generated organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExampleParams {
    pub seed: u64,
    /// Approximate number of merged PRs in the window across all repositories.
    pub changes: usize,
}

impl Default for ExampleParams {
    fn default() -> Self {
        ExampleParams {
            seed: 2026,
            changes: 300,
        }
    }
}

/// What the generator planted, for tests to compare findings with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroundTruth {
    pub schema: String,
    /// Every planted exception, sorted by id.
    pub exceptions: Vec<ExpectedException>,
    /// The tricky records a careless tool gets wrong, which must raise nothing (or only
    /// what `exceptions` lists for them).
    pub tricky: Vec<TrickyCase>,
    /// Population sizes the controls should report.
    pub populations: Populations,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedException {
    pub id: String,
    pub control: String,
    pub kind: String,
    pub repo: String,
    pub subject_type: String,
    pub subject: String,
    /// What was planted, in words.
    pub why: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrickyCase {
    pub repo: String,
    pub subject_type: String,
    pub subject: String,
    pub why: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Populations {
    /// Merged PRs into production branches inside the window.
    pub changes: u64,
    /// Distinct production-branch commits with committer date in the window.
    pub branch_commits: u64,
    /// Production deployments created inside the window.
    pub deployments: u64,
}

/// The example's config (window, scope, parameters), as written into the locker.
pub const EXAMPLE_CONFIG: &str = include_str!("../../examples/changeproof.toml");

/// Writes the example organisation's locker into `dir` (created; must not hold a locker)
/// and returns its ground truth.
pub fn write_example(dir: &Path, params: ExampleParams) -> Result<GroundTruth, LockerError> {
    let _ = (dir, params);
    unimplemented!("the example generator is being written")
}
