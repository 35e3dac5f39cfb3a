//! The trend tables (`analytics/*.csv`): exception rates, deployment frequency and time
//! to recover, from the evaluation's [`Aggregates`]. Same CSV conventions as the
//! populations: CRLF, quoting only where needed, empty cells for "no value".

use crate::analytics::Aggregates;

use super::{BundleError, BundleFiles};

pub(super) const EXCEPTION_RATES: &str = "analytics/exception_rates.csv";
pub(super) const DEPLOYMENT_FREQUENCY: &str = "analytics/deployment_frequency.csv";
pub(super) const TIME_TO_RECOVER: &str = "analytics/time_to_recover.csv";
pub(super) const TIME_TO_RECOVER_BY_REPO: &str = "analytics/time_to_recover_by_repo.csv";

/// One trend table: its CSV, a title for the workbook, its header and its rows as the
/// CSV holds them.
pub(super) struct TrendTable {
    pub path: &'static str,
    pub title: &'static str,
    pub header: &'static [&'static str],
    pub rows: Vec<Vec<String>>,
}

/// Adds the trend CSVs to the bundle's files.
pub(super) fn insert(files: &mut BundleFiles, a: &Aggregates) -> Result<(), BundleError> {
    for t in tables(a) {
        files.insert(t.path.into(), csv(t.path, t.header, t.rows.into_iter())?);
    }
    Ok(())
}

/// The trend tables, in the order the CSVs and the workbook's Trends sheet list them.
pub(super) fn tables(a: &Aggregates) -> Vec<TrendTable> {
    let mut tables = Vec::new();
    let rates = a.exception_rates.iter().map(|r| {
        vec![
            r.dimension.as_str().to_string(),
            r.key.clone(),
            r.subject_type.clone(),
            opt(r.records),
            r.records_with_exceptions.to_string(),
            r.exceptions.to_string(),
            r.open.to_string(),
            r.waived.to_string(),
            r.rate.map(|v| format!("{v:.4}")).unwrap_or_default(),
        ]
    });
    tables.push(TrendTable {
        path: EXCEPTION_RATES,
        title: "Exception rates per control, repository, month and person",
        header: &[
            "dimension",
            "key",
            "subject_type",
            "records",
            "records_with_exceptions",
            "exceptions",
            "open",
            "waived",
            "rate",
        ],
        rows: rates.collect(),
    });
    let frequency = a.deployment_frequency.iter().map(|r| {
        vec![
            r.repo.clone(),
            r.period.clone(),
            r.period_start.clone(),
            r.deployments.to_string(),
            r.succeeded.to_string(),
            r.failed.to_string(),
        ]
    });
    tables.push(TrendTable {
        path: DEPLOYMENT_FREQUENCY,
        title: "Production deployments per repository, per week and per month",
        header: &[
            "repo",
            "period",
            "period_start",
            "deployments",
            "succeeded",
            "failed",
        ],
        rows: frequency.collect(),
    });
    let recoveries = a.recoveries.iter().map(|r| {
        vec![
            r.repo.clone(),
            r.environment.clone(),
            r.deployment.clone(),
            r.failed_at.clone(),
            r.recovered_by.clone().unwrap_or_default(),
            r.recovered_at.clone().unwrap_or_default(),
            opt(r.seconds),
        ]
    });
    tables.push(TrendTable {
        path: TIME_TO_RECOVER,
        title: "Failed production deployments and the deployment that recovered each",
        header: &[
            "repo",
            "environment",
            "deployment",
            "failed_at",
            "recovered_by",
            "recovered_at",
            "seconds",
        ],
        rows: recoveries.collect(),
    });
    let summary = a.recovery_by_repo.iter().map(|r| {
        vec![
            r.repo.clone(),
            r.failures.to_string(),
            r.recovered.to_string(),
            r.unrecovered.to_string(),
            r.median_seconds
                .map(|v| format!("{v:.1}"))
                .unwrap_or_default(),
            r.p90_seconds.map(|v| format!("{v:.1}")).unwrap_or_default(),
        ]
    });
    tables.push(TrendTable {
        path: TIME_TO_RECOVER_BY_REPO,
        title: "Time to recover per repository (seconds)",
        header: &[
            "repo",
            "failures",
            "recovered",
            "unrecovered",
            "median_seconds",
            "p90_seconds",
        ],
        rows: summary.collect(),
    });
    tables
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

fn csv(
    name: &str,
    header: &[&str],
    rows: impl Iterator<Item = Vec<String>>,
) -> Result<Vec<u8>, BundleError> {
    let error = |e: csv::Error| BundleError::Render {
        template: name.to_string(),
        message: e.to_string(),
    };
    let mut writer = csv::WriterBuilder::new()
        .quote_style(csv::QuoteStyle::Necessary)
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    writer.write_record(header).map_err(error)?;
    for row in rows {
        writer.write_record(&row).map_err(error)?;
    }
    writer.into_inner().map_err(|e| BundleError::Render {
        template: name.to_string(),
        message: e.to_string(),
    })
}
