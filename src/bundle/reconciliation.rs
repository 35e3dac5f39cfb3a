//! The reconciliation files (SPEC §6): `reconciliation.csv`, one line per repository
//! with the counts of the three sources and whether they reconcile, and
//! `reconciliation-differences.csv`, every difference. The data is the evaluation's
//! [`crate::reconcile::Reconciliation`]; the workbook's Reconciliation sheet shows the same.

use crate::reconcile::Reconciliation;

use super::tables::write_csv;
use super::{BundleError, BundleFiles, format_time};

pub(super) const PATH: &str = "reconciliation.csv";
pub(super) const DIFFERENCES_PATH: &str = "reconciliation-differences.csv";

pub(super) const REPOSITORY_COLUMNS: [&str; 17] = [
    "repo",
    "reconciled",
    "merged_changes",
    "changes_on_production_branch",
    "changes_not_on_production_branch",
    "production_commits",
    "commits_with_change",
    "commits_with_change_outside_population",
    "commits_without_change",
    "production_deployments",
    "deployments_traced_to_change",
    "deployments_not_on_production_branch",
    "deployments_without_change",
    "changes_deployed",
    "changes_never_deployed",
    "history_collected",
    "flags",
];

pub(super) const DIFFERENCE_COLUMNS: [&str; 8] = [
    "repo",
    "difference",
    "informational",
    "subject_type",
    "subject",
    "time",
    "url",
    "detail",
];

pub(super) fn files(r: &Reconciliation) -> Result<BundleFiles, BundleError> {
    let optional = |v: Option<u64>| v.map(|n| n.to_string()).unwrap_or_else(|| "n/a".into());
    let rows = r.repositories.iter().map(|l| {
        vec![
            l.repo.clone(),
            l.reconciled.to_string(),
            l.changes.to_string(),
            l.changes_on_branch.to_string(),
            l.changes_not_on_branch.to_string(),
            l.commits.to_string(),
            l.commits_with_change.to_string(),
            l.commits_with_change_outside.to_string(),
            l.commits_without_change.to_string(),
            l.deployments.to_string(),
            l.deployments_traced.to_string(),
            l.deployments_not_on_branch.to_string(),
            l.deployments_without_change.to_string(),
            optional(l.changes_deployed),
            optional(l.changes_not_deployed),
            l.history_collected.to_string(),
            l.flags.join("; "),
        ]
    });
    let mut files = BundleFiles::new();
    files.insert(
        PATH.into(),
        write_csv(PATH, REPOSITORY_COLUMNS.map(String::from).to_vec(), rows)?,
    );
    let rows = r.differences.iter().map(|d| {
        vec![
            d.repo.clone(),
            d.kind.as_str().into(),
            d.informational.to_string(),
            d.subject_type.clone(),
            d.subject.clone(),
            format_time(d.time),
            d.url.clone(),
            d.detail.clone(),
        ]
    });
    files.insert(
        DIFFERENCES_PATH.into(),
        write_csv(
            DIFFERENCES_PATH,
            DIFFERENCE_COLUMNS.map(String::from).to_vec(),
            rows,
        )?,
    );
    Ok(files)
}
