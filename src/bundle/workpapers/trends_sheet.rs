//! The Trends sheet: the trend tables of `analytics/*.csv` (exception rates, deployment
//! frequency, time to recover), one block each, numbers and times typed for Excel.

use rust_xlsxwriter::{Worksheet, XlsxError};

use super::super::BundleInput;
use super::super::analytics::tables;
use super::TRENDS;
use super::sheet::{Formats, Sheet, Value, text};

pub(super) fn sheet(input: &BundleInput<'_>, f: &Formats) -> Result<Worksheet, XlsxError> {
    let mut sheet = Sheet::new(TRENDS, f)?;
    sheet.note(0, "Trends", &f.title)?;
    let Some(aggregates) = &input.evaluation.aggregates else {
        sheet.note(
            1,
            "The trend tables were not computed for this evaluation; nothing is shown.",
            &f.text,
        )?;
        return sheet.finish();
    };
    sheet.note(
        1,
        "Computed from the populations and the findings; each block is also a CSV file under analytics/ (docs/auditor-guide.md, section 5, defines every column).",
        &f.text,
    )?;
    let mut row = 3;
    for table in tables(aggregates) {
        sheet.note(
            row,
            &format!(
                "{} ({}, {} rows)",
                table.title,
                table.path,
                table.rows.len()
            ),
            &f.label,
        )?;
        let rows = table
            .rows
            .into_iter()
            .map(|cells| cells.into_iter().map(typed).collect::<Vec<_>>());
        row = sheet.table(row + 1, table.header, rows)? + 1;
    }
    sheet.finish()
}

/// A CSV cell as Excel should hold it: whole numbers and decimals as numbers, RFC 3339
/// times as date-times, anything else as text.
fn typed(cell: String) -> Value<'static> {
    if cell.is_empty() {
        return Value::Empty;
    }
    if cell.bytes().all(|b| b.is_ascii_digit())
        && let Ok(n) = cell.parse::<u64>()
    {
        return Value::Int(n);
    }
    if cell.bytes().all(|b| b.is_ascii_digit() || b == b'.') && cell.contains('.') {
        return Value::Decimal(cell);
    }
    if cell.len() >= 20
        && let Ok(t) = chrono::DateTime::parse_from_rfc3339(&cell)
    {
        return Value::Time(t.with_timezone(&chrono::Utc));
    }
    text(cell)
}
