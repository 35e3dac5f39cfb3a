//! The polars queries. Every frame is built from [`Records`] here and every result is
//! read back into plain rows here: no polars type leaves this file.

use polars::prelude::*;

use super::records::{Outcome, Records};
use super::{DeploymentFrequency, Dimension, ExceptionRate, Recovery, RecoverySummary, round};

/// The subject types changeproof holds a record population of.
const RECORD_TYPES: [&str; 3] = ["change", "commit", "deployment"];

/// A string column, copied straight from borrowed strings (no owned copy of each first:
/// the subject frame alone has a row per change, commit and deployment).
fn strings<'a>(name: &str, values: impl Iterator<Item = &'a str>) -> Column {
    Column::new(name.into(), values.collect::<Vec<&str>>())
}

fn ints(name: &str, values: Vec<i64>) -> Column {
    Column::new(name.into(), values)
}

fn frame(columns: Vec<Column>) -> PolarsResult<LazyFrame> {
    Ok(DataFrame::new_infer_height(columns)?.lazy())
}

fn read_str(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<String>>> {
    let column = df.column(name)?.cast(&DataType::String)?;
    Ok(column
        .str()?
        .iter()
        .map(|v| v.map(str::to_string))
        .collect())
}

fn read_i64(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<i64>>> {
    let column = df.column(name)?.cast(&DataType::Int64)?;
    Ok(column.i64()?.iter().collect())
}

fn read_f64(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<f64>>> {
    let column = df.column(name)?.cast(&DataType::Float64)?;
    Ok(column.f64()?.iter().collect())
}

fn count(v: Option<i64>) -> u64 {
    v.and_then(|n| u64::try_from(n).ok()).unwrap_or(0)
}

fn keys(names: &[&str]) -> Vec<Expr> {
    names.iter().map(|n| col(*n)).collect()
}

fn left_join(left: LazyFrame, right: LazyFrame, on: &[&str]) -> LazyFrame {
    left.join(right, keys(on), keys(on), JoinArgs::new(JoinType::Left))
}

/// Integer sum columns with nulls (no match in a left join) as zero.
fn zero_filled(names: &[&str]) -> Vec<Expr> {
    names
        .iter()
        .map(|n| col(*n).cast(DataType::Int64).fill_null(lit(0i64)))
        .collect()
}

const COUNTS: [&str; 4] = ["records_with_exceptions", "exceptions", "open", "waived"];

fn exceptions_frame(r: &Records) -> PolarsResult<LazyFrame> {
    let e = &r.exceptions;
    let records: Vec<String> = e
        .iter()
        .map(|x| format!("{}\u{1f}{}\u{1f}{}", x.subject_type, x.repo, x.key))
        .collect();
    frame(vec![
        strings("control", e.iter().map(|x| x.control.as_str())),
        strings("subject_type", e.iter().map(|x| x.subject_type)),
        strings("repo", e.iter().map(|x| x.repo.as_str())),
        strings("key", e.iter().map(|x| x.key.as_str())),
        // One string per record, for counting distinct records.
        strings("record", records.iter().map(String::as_str)),
        ints("open", e.iter().map(|x| i64::from(!x.waived)).collect()),
        ints("waived", e.iter().map(|x| i64::from(x.waived)).collect()),
    ])
}

fn exception_counts() -> [Expr; 4] {
    [
        col("record")
            .n_unique()
            .cast(DataType::Int64)
            .alias("records_with_exceptions"),
        len().cast(DataType::Int64).alias("exceptions"),
        col("open").sum().alias("open"),
        col("waived").sum().alias("waived"),
    ]
}

/// Exception rates per control, repository, month and person.
pub fn exception_rates(r: &Records) -> PolarsResult<Vec<ExceptionRate>> {
    let exceptions = exceptions_frame(r)?;
    let mut rows = Vec::new();

    // Per control: the control's population from the findings.
    let controls = frame(vec![
        strings("key", r.controls.iter().map(|(id, _)| id.as_str())),
        ints(
            "records",
            r.controls
                .iter()
                .map(|(_, n)| i64::try_from(*n).unwrap_or(i64::MAX))
                .collect(),
        ),
        strings("subject_type", r.controls.iter().map(|_| "all")),
    ])?;
    let per_control = exceptions
        .clone()
        .group_by([col("control").alias("key")])
        .agg(exception_counts());
    let df = left_join(controls, per_control, &["key"])
        .with_columns(zero_filled(&COUNTS))
        .collect()?;
    push_rates(&mut rows, Dimension::Control, &df)?;

    // Per repository: every exception by its repository and subject type, against the
    // records of that type in the repository.
    let s = &r.subjects;
    let subjects = frame(vec![
        strings("subject_type", s.iter().map(|x| x.subject_type)),
        strings("repo", s.iter().map(|x| x.repo.as_str())),
        strings("key", s.iter().map(|x| x.key.as_str())),
        strings("month", s.iter().map(|x| x.month.as_str())),
        strings("person", s.iter().map(|x| x.person.as_str())),
    ])?;
    let records_per_repo = subjects
        .clone()
        .group_by([col("repo"), col("subject_type")])
        .agg([len().cast(DataType::Int64).alias("records")]);
    let exceptions_per_repo = exceptions
        .clone()
        .group_by([col("repo"), col("subject_type")])
        .agg(exception_counts());
    let df = records_per_repo
        .join(
            exceptions_per_repo,
            keys(&["repo", "subject_type"]),
            keys(&["repo", "subject_type"]),
            JoinArgs::new(JoinType::Full),
        )
        .with_columns(zero_filled(&COUNTS))
        .select([
            either("repo").alias("key"),
            either("subject_type"),
            col("records"),
            col("records_with_exceptions"),
            col("exceptions"),
            col("open"),
            col("waived"),
        ])
        .collect()?;
    push_rates(&mut rows, Dimension::Repository, &df)?;

    // Per month and per person: the records, each with its own exceptions.
    let per_record = exceptions
        .group_by([col("subject_type"), col("repo"), col("key")])
        .agg([
            len().cast(DataType::Int64).alias("exceptions"),
            col("open").sum().alias("open"),
            col("waived").sum().alias("waived"),
        ]);
    let records = left_join(subjects, per_record, &["subject_type", "repo", "key"])
        .with_columns(zero_filled(&["exceptions", "open", "waived"]))
        .with_column(
            col("exceptions")
                .gt(lit(0i64))
                .cast(DataType::Int64)
                .alias("flagged"),
        );
    let by = |dimension: &str| {
        records
            .clone()
            .group_by([col(dimension).alias("key"), col("subject_type")])
            .agg([
                len().cast(DataType::Int64).alias("records"),
                col("flagged").sum().alias("records_with_exceptions"),
                col("exceptions").sum().alias("exceptions"),
                col("open").sum().alias("open"),
                col("waived").sum().alias("waived"),
            ])
    };
    // Every month of the window, each record type, even with no record at all.
    let (grid_months, grid_types): (Vec<String>, Vec<String>) = r
        .months
        .iter()
        .flat_map(|m| RECORD_TYPES.iter().map(move |t| (m.clone(), t.to_string())))
        .unzip();
    let grid = frame(vec![
        strings("key", grid_months.iter().map(String::as_str)),
        strings("subject_type", grid_types.iter().map(String::as_str)),
    ])?;
    let df = left_join(grid, by("month"), &["key", "subject_type"])
        .with_columns(zero_filled(&[
            "records",
            "records_with_exceptions",
            "exceptions",
            "open",
            "waived",
        ]))
        .collect()?;
    push_rates(&mut rows, Dimension::Month, &df)?;
    let df = by("person").collect()?;
    push_rates(&mut rows, Dimension::Person, &df)?;

    rows.sort_by(|a, b| {
        (a.dimension, &a.key, &a.subject_type).cmp(&(b.dimension, &b.key, &b.subject_type))
    });
    Ok(rows)
}

/// A key column of a full join: the left value, or the right one where the left side
/// had no match.
fn either(name: &str) -> Expr {
    when(col(name).is_null())
        .then(col(format!("{name}_right")))
        .otherwise(col(name))
        .alias(name)
}

fn push_rates(
    rows: &mut Vec<ExceptionRate>,
    dimension: Dimension,
    df: &DataFrame,
) -> PolarsResult<()> {
    let key = read_str(df, "key")?;
    let subject_type = read_str(df, "subject_type")?;
    let records = read_i64(df, "records")?;
    let flagged = read_i64(df, "records_with_exceptions")?;
    let exceptions = read_i64(df, "exceptions")?;
    let open = read_i64(df, "open")?;
    let waived = read_i64(df, "waived")?;
    for i in 0..df.height() {
        let subject_type = subject_type[i].clone().unwrap_or_default();
        let records =
            if dimension == Dimension::Control || RECORD_TYPES.contains(&subject_type.as_str()) {
                Some(count(records[i]))
            } else {
                None
            };
        let with = count(flagged[i]);
        rows.push(ExceptionRate {
            dimension,
            key: key[i].clone().unwrap_or_default(),
            subject_type,
            records,
            records_with_exceptions: with,
            exceptions: count(exceptions[i]),
            open: count(open[i]),
            waived: count(waived[i]),
            rate: records
                .filter(|n| *n > 0)
                .map(|n| round(with as f64 / n as f64, 4)),
        });
    }
    Ok(())
}

/// Production deployments inside the window, with their outcome as 0/1 columns.
fn window_deployments(r: &Records) -> PolarsResult<LazyFrame> {
    let d: Vec<_> = r.deployments.iter().filter(|d| d.in_window).collect();
    let is = |want: Outcome| -> Vec<i64> {
        d.iter()
            .map(|x| i64::from(x.outcome.is_some_and(|(o, _)| o == want)))
            .collect()
    };
    frame(vec![
        strings("repo", d.iter().map(|x| x.repo.as_str())),
        strings("week", d.iter().map(|x| x.week.as_str())),
        strings("month", d.iter().map(|x| x.month.as_str())),
        ints("succeeded", is(Outcome::Success)),
        ints("failed", is(Outcome::Failure)),
    ])
}

/// Repositories with a production deployment inside the window, sorted.
fn deploying_repos(r: &Records) -> Vec<String> {
    let mut repos: Vec<String> = r
        .deployments
        .iter()
        .filter(|d| d.in_window)
        .map(|d| d.repo.clone())
        .collect();
    repos.sort();
    repos.dedup();
    repos
}

/// Production deployments per repository and week / month, zero-filled over the window.
pub fn deployment_frequency(r: &Records) -> PolarsResult<Vec<DeploymentFrequency>> {
    let deployments = window_deployments(r)?;
    let repos = deploying_repos(r);
    let mut rows = Vec::new();
    for (period, periods) in [("month", &r.months), ("week", &r.weeks)] {
        let (grid_repos, grid_periods): (Vec<String>, Vec<String>) = repos
            .iter()
            .flat_map(|repo| periods.iter().map(move |p| (repo.clone(), p.clone())))
            .unzip();
        let grid = frame(vec![
            strings("repo", grid_repos.iter().map(String::as_str)),
            strings("period", grid_periods.iter().map(String::as_str)),
        ])?;
        let counts = deployments
            .clone()
            .group_by([col("repo"), col(period).alias("period")])
            .agg([
                len().cast(DataType::Int64).alias("deployments"),
                col("succeeded").sum().alias("succeeded"),
                col("failed").sum().alias("failed"),
            ]);
        let df = left_join(grid, counts, &["repo", "period"])
            .with_columns(zero_filled(&["deployments", "succeeded", "failed"]))
            .collect()?;
        let repo = read_str(&df, "repo")?;
        let start = read_str(&df, "period")?;
        let deployments = read_i64(&df, "deployments")?;
        let succeeded = read_i64(&df, "succeeded")?;
        let failed = read_i64(&df, "failed")?;
        for i in 0..df.height() {
            let start = start[i].clone().unwrap_or_default();
            rows.push(DeploymentFrequency {
                repo: repo[i].clone().unwrap_or_default(),
                period: period.to_string(),
                // Months are keyed `YYYY-MM`; the row names the first day.
                period_start: if period == "month" {
                    format!("{start}-01")
                } else {
                    start
                },
                deployments: count(deployments[i]),
                succeeded: count(succeeded[i]),
                failed: count(failed[i]),
            });
        }
    }
    rows.sort_by(|a, b| {
        (&a.repo, &a.period, &a.period_start).cmp(&(&b.repo, &b.period, &b.period_start))
    });
    Ok(rows)
}

fn rfc3339(seconds: i64) -> String {
    chrono::DateTime::from_timestamp(seconds, 0).map_or_else(
        || seconds.to_string(),
        |t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    )
}

/// Each failed production deployment of the window with its recovery, and the summary
/// per repository.
pub fn recoveries(r: &Records) -> PolarsResult<(Vec<Recovery>, Vec<RecoverySummary>)> {
    // The failures of the window with the recovery OP-03 found (one definition for the
    // control and the trend); a success recorded before the failure status counts as
    // recovering it in zero seconds.
    let failures: Vec<_> = r
        .deployments
        .iter()
        .filter_map(|d| match d.outcome {
            Some((Outcome::Failure, at)) if d.in_window => Some((d, at)),
            _ => None,
        })
        .collect();
    let failures = frame(vec![
        strings("repo", failures.iter().map(|(d, _)| d.repo.as_str())),
        strings(
            "environment",
            failures.iter().map(|(d, _)| d.environment.as_str()),
        ),
        strings("deployment", failures.iter().map(|(d, _)| d.id.as_str())),
        ints("at", failures.iter().map(|(_, at)| *at).collect()),
        Column::new(
            "recovered_by".into(),
            failures
                .iter()
                .map(|(d, _)| d.recovered.as_ref().map(|(id, _)| id.clone()))
                .collect::<Vec<Option<String>>>(),
        ),
        Column::new(
            "recovered_at".into(),
            failures
                .iter()
                .map(|(d, _)| d.recovered.as_ref().map(|(_, at)| *at))
                .collect::<Vec<Option<i64>>>(),
        ),
    ])?
    .with_column(
        when((col("recovered_at") - col("at")).lt(lit(0i64)))
            .then(lit(0i64))
            .otherwise(col("recovered_at") - col("at"))
            .alias("seconds"),
    );

    let df = failures
        .clone()
        .sort_by_exprs(
            keys(&["repo", "environment", "at", "deployment"]),
            SortMultipleOptions::default(),
        )
        .collect()?;
    let repo = read_str(&df, "repo")?;
    let environment = read_str(&df, "environment")?;
    let deployment = read_str(&df, "deployment")?;
    let at = read_i64(&df, "at")?;
    let recovered_by = read_str(&df, "recovered_by")?;
    let recovered_at = read_i64(&df, "recovered_at")?;
    let seconds = read_i64(&df, "seconds")?;
    let rows = (0..df.height())
        .map(|i| Recovery {
            repo: repo[i].clone().unwrap_or_default(),
            environment: environment[i].clone().unwrap_or_default(),
            deployment: deployment[i].clone().unwrap_or_default(),
            failed_at: at[i].map(rfc3339).unwrap_or_default(),
            recovered_by: recovered_by[i].clone(),
            recovered_at: recovered_at[i].map(rfc3339),
            seconds: seconds[i],
        })
        .collect();

    let repos = frame(vec![strings(
        "repo",
        deploying_repos(r).iter().map(String::as_str),
    )])?;
    let per_repo = failures.group_by([col("repo")]).agg([
        len().cast(DataType::Int64).alias("failures"),
        col("seconds")
            .count()
            .cast(DataType::Int64)
            .alias("recovered"),
        col("seconds")
            .cast(DataType::Float64)
            .median()
            .alias("median"),
        col("seconds")
            .cast(DataType::Float64)
            .quantile(lit(0.9), QuantileMethod::Linear)
            .alias("p90"),
    ]);
    let df = left_join(repos, per_repo, &["repo"])
        .with_columns(zero_filled(&["failures", "recovered"]))
        .sort(["repo"], SortMultipleOptions::default())
        .collect()?;
    let repo = read_str(&df, "repo")?;
    let failures = read_i64(&df, "failures")?;
    let recovered = read_i64(&df, "recovered")?;
    let median = read_f64(&df, "median")?;
    let p90 = read_f64(&df, "p90")?;
    let summary = (0..df.height())
        .map(|i| {
            let (failures, recovered) = (count(failures[i]), count(recovered[i]));
            RecoverySummary {
                repo: repo[i].clone().unwrap_or_default(),
                failures,
                recovered,
                unrecovered: failures - recovered.min(failures),
                median_seconds: median[i].filter(|v| v.is_finite()).map(|v| round(v, 1)),
                p90_seconds: p90[i].filter(|v| v.is_finite()).map(|v| round(v, 1)),
            }
        })
        .collect();
    Ok((rows, summary))
}
