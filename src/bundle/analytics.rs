//! The trend tables (`analytics/*.csv`): exception rates, deployment frequency and time
//! to recover, from the evaluation's [`Aggregates`]. Same CSV conventions as the
//! populations: CRLF, quoting only where needed, empty cells for "no value".

use crate::analytics::Aggregates;

use super::{BundleError, BundleFiles};

pub(super) const EXCEPTION_RATES: &str = "analytics/exception_rates.csv";
pub(super) const DEPLOYMENT_FREQUENCY: &str = "analytics/deployment_frequency.csv";
pub(super) const TIME_TO_RECOVER: &str = "analytics/time_to_recover.csv";
pub(super) const TIME_TO_RECOVER_BY_REPO: &str = "analytics/time_to_recover_by_repo.csv";

/// Adds the trend CSVs to the bundle's files.
pub(super) fn insert(files: &mut BundleFiles, a: &Aggregates) -> Result<(), BundleError> {
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
    files.insert(
        EXCEPTION_RATES.into(),
        csv(
            EXCEPTION_RATES,
            &[
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
            rates,
        )?,
    );
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
    files.insert(
        DEPLOYMENT_FREQUENCY.into(),
        csv(
            DEPLOYMENT_FREQUENCY,
            &[
                "repo",
                "period",
                "period_start",
                "deployments",
                "succeeded",
                "failed",
            ],
            frequency,
        )?,
    );
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
    files.insert(
        TIME_TO_RECOVER.into(),
        csv(
            TIME_TO_RECOVER,
            &[
                "repo",
                "environment",
                "deployment",
                "failed_at",
                "recovered_by",
                "recovered_at",
                "seconds",
            ],
            recoveries,
        )?,
    );
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
    files.insert(
        TIME_TO_RECOVER_BY_REPO.into(),
        csv(
            TIME_TO_RECOVER_BY_REPO,
            &[
                "repo",
                "failures",
                "recovered",
                "unrecovered",
                "median_seconds",
                "p90_seconds",
            ],
            summary,
        )?,
    );
    Ok(())
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
