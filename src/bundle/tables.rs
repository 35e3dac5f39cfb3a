//! The CSV files: `exceptions.csv` and the populations. One row per record, lists joined
//! with `;`, times in RFC 3339 UTC, quoting only where needed, so the same evaluation
//! always gives the same bytes.

use crate::evaluate::{ChangeRow, CommitRow};
use crate::findings::{Exception, ExceptionStatus};

use super::results::{CHANGE_CONTROLS, COMMIT_CONTROL, PopulationResults};
use super::{BundleError, format_time};

pub(super) const EXCEPTION_COLUMNS: [&str; 16] = [
    "id",
    "control",
    "kind",
    "severity",
    "status",
    "repo",
    "subject_type",
    "subject",
    "summary",
    "url",
    "evidence",
    "waiver_reason",
    "waiver_approved_by",
    "waiver_approved_at",
    "waiver_expires",
    "detail",
];

pub(super) const CHANGE_COLUMNS: [&str; 18] = [
    "repo",
    "number",
    "title",
    "url",
    "author",
    "authors",
    "base_branch",
    "merged_at",
    "merged_by",
    "merge_commit_sha",
    "head_sha",
    "approvers",
    "independent_approvers",
    "approval_on_head",
    "check_state",
    "required_checks",
    "labels",
    "emergency",
];

pub(super) const COMMIT_COLUMNS: [&str; 9] = [
    "repo",
    "branch",
    "sha",
    "message_headline",
    "author",
    "committer",
    "committed_at",
    "url",
    "change",
];

pub(super) fn exceptions_csv(exceptions: &[Exception]) -> Result<Vec<u8>, BundleError> {
    let rows = exceptions.iter().map(|e| {
        let waiver = e.waiver.as_ref();
        vec![
            e.id.clone(),
            e.control.clone(),
            e.kind.clone(),
            e.severity.as_str().into(),
            match e.status {
                ExceptionStatus::Open => "open".into(),
                ExceptionStatus::Waived => "waived".into(),
            },
            e.repo.clone(),
            e.subject_type.as_str().into(),
            e.subject.clone(),
            e.summary.clone(),
            e.url.clone(),
            e.evidence.join(" "),
            waiver.map(|w| w.reason.clone()).unwrap_or_default(),
            waiver.map(|w| w.approved_by.clone()).unwrap_or_default(),
            waiver.map(|w| w.approved_at.clone()).unwrap_or_default(),
            waiver.and_then(|w| w.expires.clone()).unwrap_or_default(),
            if e.detail.is_empty() {
                String::new()
            } else {
                serde_json::Value::Object(e.detail.clone()).to_string()
            },
        ]
    });
    write_csv(
        "exceptions.csv",
        EXCEPTION_COLUMNS.map(String::from).to_vec(),
        rows,
    )
}

pub(super) fn changes_csv(
    changes: &[ChangeRow],
    results: &PopulationResults,
) -> Result<Vec<u8>, BundleError> {
    let header = CHANGE_COLUMNS
        .iter()
        .chain(CHANGE_CONTROLS.iter())
        .map(|c| c.to_string())
        .collect();
    let rows = changes.iter().zip(&results.changes).map(|(c, cells)| {
        let mut row = vec![
            c.repo.clone(),
            c.number.to_string(),
            c.title.clone(),
            c.url.clone(),
            c.author.clone(),
            c.authors.join(";"),
            c.base_branch.clone(),
            format_time(c.merged_at),
            c.merged_by.clone(),
            c.merge_commit_sha.clone(),
            c.head_sha.clone(),
            c.approvers.join(";"),
            c.independent_approvers.join(";"),
            c.approval_on_head.to_string(),
            c.check_state.clone(),
            c.required_checks.join(";"),
            c.labels.join(";"),
            c.emergency.to_string(),
        ];
        row.extend(cells.iter().map(|cell| cell.text()));
        row
    });
    write_csv("populations/changes.csv", header, rows)
}

pub(super) fn commits_csv(
    commits: &[CommitRow],
    results: &PopulationResults,
) -> Result<Vec<u8>, BundleError> {
    let header = COMMIT_COLUMNS
        .iter()
        .chain([COMMIT_CONTROL].iter())
        .map(|c| c.to_string())
        .collect();
    let rows = commits.iter().zip(&results.commits).map(|(c, cell)| {
        vec![
            c.repo.clone(),
            c.branch.clone(),
            c.sha.clone(),
            c.message_headline.clone(),
            c.author.clone(),
            c.committer.clone(),
            format_time(c.committed_at),
            c.url.clone(),
            c.change.map(|n| n.to_string()).unwrap_or_default(),
            cell.text(),
        ]
    });
    write_csv("populations/commits.csv", header, rows)
}

pub(super) fn write_csv(
    name: &str,
    header: Vec<String>,
    rows: impl Iterator<Item = Vec<String>>,
) -> Result<Vec<u8>, BundleError> {
    let error = |message: String| BundleError::Render {
        template: name.to_string(),
        message,
    };
    let mut writer = csv::WriterBuilder::new()
        .quote_style(csv::QuoteStyle::Necessary)
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    writer
        .write_record(&header)
        .map_err(|e| error(e.to_string()))?;
    for row in rows {
        writer
            .write_record(&row)
            .map_err(|e| error(e.to_string()))?;
    }
    writer.into_inner().map_err(|e| error(e.to_string()))
}
