//! Trends over the evaluated populations: exception rates (per control, repository,
//! month and person), production deployment frequency (per repository, week and month)
//! and time to recover from a failed production deployment.
//!
//! The joins and group-bys run on polars, which stays inside this module: its public
//! output is [`Aggregates`], plain sorted rows with fixed rounding, so the bundle (and
//! anything else) never sees a polars type. `records` turns the evidence and the
//! evaluation into plain input records; `compute` holds every polars query.
//!
//! Definitions (also in docs/auditor-guide.md, "Trends"):
//! - A *record* is a change or commit of the evaluated populations, or a production
//!   deployment (environment matching `[scope] production_environments`) created inside
//!   the window in an in-scope repository. Its month is the UTC month of its merge /
//!   committer / creation time; its person is the change's PR author, the commit's
//!   author, the deployment's creator (`ghost` for a deleted account).
//! - *Exception rate* = records with at least one exception (open or waived) / records;
//!   empty when there are no records. Per control the records are the control's
//!   population (as in `findings.json`).
//! - A deployment's *outcome* is its last status among `success`, `failure` and `error`
//!   (`failure` and `error` are failures); a deployment without one has no outcome.
//! - *Time to recover* of a failed production deployment created in the window: from its
//!   failing status to the success of the deployment OP-03 found recovered it (the first
//!   later deployment to the same repository and environment that succeeded, any time up
//!   to the snapshot; `DeploymentRow::recovered_by`), 0 when that success came first —
//!   one definition for the control and the trend. Median and 90th
//!   percentile per repository use linear interpolation between closest ranks (Excel's
//!   `PERCENTILE.INC`), rounded to 0.1 s.

mod compute;
mod records;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::evaluate::Evaluation;
use crate::model::Evidence;

/// Every trend table, as plain rows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Aggregates {
    /// Sorted by (dimension, key, subject_type).
    pub exception_rates: Vec<ExceptionRate>,
    /// Sorted by (repo, period, period_start).
    pub deployment_frequency: Vec<DeploymentFrequency>,
    /// One row per failed production deployment in the window, sorted by (repo,
    /// environment, failed_at, deployment).
    pub recoveries: Vec<Recovery>,
    /// Per repository with production deployments in the window, sorted by repo.
    pub recovery_by_repo: Vec<RecoverySummary>,
}

/// What an exception-rate row is broken down by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    Control,
    Repository,
    Month,
    Person,
}

impl Dimension {
    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::Control => "control",
            Dimension::Repository => "repository",
            Dimension::Month => "month",
            Dimension::Person => "person",
        }
    }
}

/// Exceptions against records for one key of one dimension.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExceptionRate {
    pub dimension: Dimension,
    /// The control id, `owner/name`, `YYYY-MM` or login.
    pub key: String,
    /// `change`, `commit`, `deployment` …; `all` on control rows.
    pub subject_type: String,
    /// Records of that type for the key; `None` where changeproof has no record
    /// population of the type (accounts, branches, secrets …).
    pub records: Option<u64>,
    /// Distinct records with at least one exception (open or waived).
    pub records_with_exceptions: u64,
    pub exceptions: u64,
    pub open: u64,
    pub waived: u64,
    /// records_with_exceptions / records, rounded to 4 decimals; `None` without records.
    pub rate: Option<f64>,
}

/// Production deployments of one repository in one week (Monday-based, UTC) or month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentFrequency {
    pub repo: String,
    /// `month` or `week`.
    pub period: String,
    /// First day of the period (`YYYY-MM-DD`); the first and last periods may extend
    /// beyond the window, only deployments inside it are counted.
    pub period_start: String,
    pub deployments: u64,
    pub succeeded: u64,
    pub failed: u64,
}

/// One failed production deployment and what recovered it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recovery {
    pub repo: String,
    pub environment: String,
    pub deployment: String,
    /// RFC 3339, UTC: the failing status.
    pub failed_at: String,
    /// The deployment whose success recovered it; `None`: never recovered.
    pub recovered_by: Option<String>,
    pub recovered_at: Option<String>,
    pub seconds: Option<i64>,
}

/// Time to recover per repository.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecoverySummary {
    pub repo: String,
    pub failures: u64,
    pub recovered: u64,
    pub unrecovered: u64,
    /// Over the recovered failures, seconds rounded to 0.1; `None` when none recovered.
    pub median_seconds: Option<f64>,
    pub p90_seconds: Option<f64>,
}

#[derive(Debug, thiserror::Error)]
pub enum AnalyticsError {
    /// A query over the populations failed: a defect in changeproof, not in the input.
    #[error(
        "computing the trend tables ({table}) failed: {message}; this is a changeproof defect, please report it with the command that produced it"
    )]
    Query {
        table: &'static str,
        message: String,
    },
}

/// Computes every trend table from the evidence, its evaluation and the config.
pub fn aggregate(
    evidence: &Evidence,
    config: &Config,
    evaluation: &Evaluation,
) -> Result<Aggregates, AnalyticsError> {
    let input = records::Records::gather(evidence, config, evaluation);
    let (recoveries, recovery_by_repo) =
        compute::recoveries(&input).map_err(|e| query_error("time to recover", e))?;
    Ok(Aggregates {
        exception_rates: compute::exception_rates(&input)
            .map_err(|e| query_error("exception rates", e))?,
        deployment_frequency: compute::deployment_frequency(&input)
            .map_err(|e| query_error("deployment frequency", e))?,
        recoveries,
        recovery_by_repo,
    })
}

fn query_error(table: &'static str, error: polars::error::PolarsError) -> AnalyticsError {
    AnalyticsError::Query {
        table,
        message: error.to_string(),
    }
}

/// Rounds half away from zero to `decimals` places, so every platform prints the same.
pub(crate) fn round(value: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (value * scale).round() / scale
}
