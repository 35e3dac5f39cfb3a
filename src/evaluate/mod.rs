//! Evaluation: tests the normalized evidence against the control catalog.
//!
//! Invariant: evaluation does no I/O and reads no clock. Every "now" is the locker's
//! snapshot time; the same evidence and config always give the same findings.

use serde::{Deserialize, Serialize};

use crate::catalog::Catalog;
use crate::config::Config;
use crate::findings::Findings;
use crate::locker::Window;
use crate::model::{Evidence, Timestamp};

/// Everything evaluation reads.
pub struct EvalInput<'a> {
    pub evidence: &'a Evidence,
    pub config: &'a Config,
    pub catalog: &'a Catalog,
    pub window: Window,
    /// From the locker: false when the collection was incomplete.
    pub complete: bool,
    pub missing: &'a [String],
}

/// Findings plus the per-record attributes the controls tested, for the population files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    pub findings: Findings,
    /// The change population (CM-01/03/04), one row per change, sorted by (merged_at, repo, number).
    pub changes: Vec<ChangeRow>,
    /// The CM-05 population: distinct production-branch commits in the window, sorted by
    /// (committed_at, repo, sha).
    pub commits: Vec<CommitRow>,
}

/// One change with the attributes the controls tested (SPEC §6).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeRow {
    pub repo: String,
    pub number: u64,
    pub title: String,
    pub url: String,
    pub author: String,
    /// Every author of the change (SPEC §2), logins, sorted.
    pub authors: Vec<String>,
    pub base_branch: String,
    pub merged_at: Timestamp,
    pub merged_by: String,
    pub merge_commit_sha: String,
    pub head_sha: String,
    /// Humans whose review was APPROVED at collection time, at or before merge, sorted.
    pub approvers: Vec<String>,
    /// Approvers who are not authors, sorted.
    pub independent_approvers: Vec<String>,
    /// Whether an independent approval was given on the head commit at merge.
    pub approval_on_head: bool,
    /// The head commit's check rollup: `success`, `failure`, `pending`, `none` …
    pub check_state: String,
    /// Required checks in force on the base branch.
    pub required_checks: Vec<String>,
    pub labels: Vec<String>,
    /// Carries an emergency label (judged by CM-09 instead of CM-01/CM-02).
    pub emergency: bool,
}

/// One production-branch commit of the CM-05 population.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommitRow {
    pub repo: String,
    pub branch: String,
    pub sha: String,
    pub message_headline: String,
    pub author: String,
    pub committer: String,
    pub committed_at: Timestamp,
    pub url: String,
    /// The merged change that introduced the commit, if any.
    pub change: Option<u64>,
}

/// Evaluates every control of the catalog.
pub fn evaluate(input: &EvalInput<'_>) -> Evaluation {
    let _ = input;
    unimplemented!("evaluation is being written")
}
