//! The Reconciliation sheet: per repository the merged changes against the
//! production-branch commits against the production deployments, whether they reconcile
//! and why not; every difference; and the population queries' own counts.

use rust_xlsxwriter::{Worksheet, XlsxError};

use super::super::BundleInput;
use super::super::reconciliation::{DIFFERENCE_COLUMNS, REPOSITORY_COLUMNS};
use super::RECONCILIATION;
use super::sheet::{Formats, Sheet, Value, link, text};

pub(super) fn sheet(input: &BundleInput<'_>, f: &Formats) -> Result<Worksheet, XlsxError> {
    let r = &input.evaluation.reconciliation;
    let mut sheet = Sheet::new(RECONCILIATION, f)?;
    sheet.note(0, "Reconciliation", &f.title)?;
    sheet.note(
        1,
        "Per repository: the merged changes in the window (the change population), the commits on production branches in the window (the CM-05 population) and the deployments to production environments in the window, from three independent API populations.",
        &f.text,
    )?;
    sheet.note(
        2,
        "Differences are listed, not resolved: each is for the auditor to follow up. A repository with any difference other than a change never deployed (informational) is flagged as not reconciled.",
        &f.text,
    )?;
    let overall = if r.reconciled {
        Value::Styled("every repository reconciles".into(), &f.pass)
    } else {
        Value::Styled(
            format!(
                "NOT RECONCILED: {} of {} repositories{}",
                r.repositories.iter().filter(|l| !l.reconciled).count(),
                r.repositories.len(),
                if r.query_mismatches.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; {} query counts differ from the API's",
                        r.query_mismatches.len()
                    )
                }
            ),
            &f.fail,
        )
    };
    sheet.put(3, 0, overall)?;
    sheet.ws.set_freeze_panes(6, 1)?;
    let optional = |v: Option<u64>| v.map_or(text("n/a"), Value::Int);
    let rows = r.repositories.iter().map(|l| {
        vec![
            text(&l.repo),
            if l.reconciled {
                Value::Styled("yes".into(), &f.pass)
            } else {
                Value::Styled("no".into(), &f.fail)
            },
            Value::Int(l.changes),
            Value::Int(l.changes_on_branch),
            Value::Int(l.changes_not_on_branch),
            Value::Int(l.commits),
            Value::Int(l.commits_with_change),
            Value::Int(l.commits_with_change_outside),
            Value::Int(l.commits_without_change),
            Value::Int(l.deployments),
            Value::Int(l.deployments_traced),
            Value::Int(l.deployments_not_on_branch),
            Value::Int(l.deployments_without_change),
            optional(l.changes_deployed),
            optional(l.changes_not_deployed),
            Value::Bool(l.history_collected),
            text(l.flags.join("\n")),
        ]
    });
    let mut row = sheet.table(5, &REPOSITORY_COLUMNS, rows)?;

    row += 1;
    sheet.note(
        row,
        &format!("Differences ({})", r.differences.len()),
        &f.label,
    )?;
    row += 1;
    // One filter per sheet: the repository table has it; these are plain tables.
    sheet.header(row, &DIFFERENCE_COLUMNS)?;
    for d in &r.differences {
        row += 1;
        let values = vec![
            text(&d.repo),
            text(d.kind.as_str()),
            Value::Bool(d.informational),
            text(&d.subject_type),
            text(&d.subject),
            Value::Time(d.time),
            link(&d.url),
            text(&d.detail),
        ];
        for (col, value) in values.into_iter().enumerate() {
            sheet.put(row, col as u16, value)?;
        }
    }

    row += 2;
    sheet.note(
        row,
        "Population queries (completeness of the sources)",
        &f.label,
    )?;
    row += 1;
    let header = [
        "source",
        "evidence_type",
        "repo",
        "endpoint",
        "parameters",
        "pages",
        "records",
        "api_total_count",
        "records_equal_api_total",
        "responses",
    ];
    sheet.header(row, &header)?;
    for q in &input.evidence.queries {
        row += 1;
        let agrees = match q.total_count {
            Some(total) if total == q.records => text("yes"),
            Some(_) => Value::Styled("differs".into(), &f.fail),
            None => text("no count given"),
        };
        let values = vec![
            text(&q.source),
            text(&q.evidence_type),
            text(q.repo.clone().unwrap_or_default()),
            text(&q.endpoint),
            text(&q.parameters),
            Value::Int(q.pages.into()),
            Value::Int(q.records),
            q.total_count.map_or(Value::Empty, Value::Int),
            agrees,
            Value::Int(q.responses.len() as u64),
        ];
        for (col, value) in values.into_iter().enumerate() {
            sheet.put(row, col as u16, value)?;
        }
    }
    sheet.finish()
}
