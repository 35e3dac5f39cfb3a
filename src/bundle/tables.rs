//! The CSV files: `exceptions.csv` and the populations. One row per record, lists joined
//! with `;`, times in RFC 3339 UTC, quoting only where needed, so the same evaluation
//! always gives the same bytes.

use crate::findings::{Exception, ExceptionStatus};

use super::BundleError;
use super::population::PopulationTable;

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
            crate::util::join(&e.evidence, " "),
            waiver.map(|w| w.reason.clone()).unwrap_or_default(),
            waiver.map(|w| w.approved_by.clone()).unwrap_or_default(),
            waiver.map(|w| w.approved_at.clone()).unwrap_or_default(),
            waiver.and_then(|w| w.expires.clone()).unwrap_or_default(),
            if e.detail.is_empty() {
                String::new()
            } else {
                e.detail.as_json().to_string()
            },
        ]
    });
    write_csv(
        "exceptions.csv",
        EXCEPTION_COLUMNS.map(String::from).to_vec(),
        rows,
    )
}

/// `populations/<stem>.csv`: every column of the table, then one result per control.
pub(super) fn population_csv(table: &PopulationTable<'_>) -> Result<Vec<u8>, BundleError> {
    let header = table
        .spec
        .columns
        .iter()
        .map(|c| c.name)
        .chain(table.spec.controls.iter().copied())
        .map(String::from)
        .collect();
    let rows = table.rows.iter().map(|row| {
        row.values
            .iter()
            .map(|v| v.csv().into_owned())
            .chain(row.results.iter().map(|cell| cell.text()))
            .collect()
    });
    write_csv(&table.csv_path(), header, rows)
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
