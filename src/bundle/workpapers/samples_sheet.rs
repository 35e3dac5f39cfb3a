//! The Samples sheet: the sampling method and seed, per control the population file,
//! its SHA-256, sizes and `s`, and one row per sampled item with the draw that selected
//! it, its attributes' key facts, links, raw evidence and exceptions (its evidence sheet
//! in one row; `samples/<control>.json` holds every attribute).

use rust_xlsxwriter::{Worksheet, XlsxError};

use super::super::BundleInput;
use super::super::samples::{METHOD, Samples};
use super::SAMPLES;
use super::sheet::{Formats, Sheet, Value, link, text};

pub(super) const CONTROL_COLUMNS: [&str; 10] = [
    "Control",
    "Frequency",
    "Population file",
    "Population SHA-256",
    "Population size (n)",
    "Sample size (k)",
    "Drawn",
    "s",
    "Selected rows",
    "Files",
];

pub(super) const ITEM_COLUMNS: [&str; 14] = [
    "Control",
    "Stratum",
    "Stratum rows [start, end)",
    "SHA-256(s || i)",
    "Offset",
    "Position",
    "Population row",
    "Repository",
    "Record",
    "Result",
    "Link",
    "Attributes",
    "Raw evidence",
    "Exceptions",
];

pub(super) fn sheet(
    input: &BundleInput<'_>,
    samples: &Samples,
    f: &Formats,
) -> Result<Worksheet, XlsxError> {
    let _ = input;
    let mut sheet = Sheet::new(SAMPLES, f)?;
    sheet.note(0, "Samples", &f.title)?;
    let mut row = 1;
    match &samples.seed {
        Some(seed) => {
            sheet.note(
                row,
                "Each control's sample is drawn from the auditor's seed over the exact bytes of its population file, so anyone can re-perform the selection (docs/auditor-guide.md does it by hand with sha256sum and python3).",
                &f.text,
            )?;
            row += 2;
            sheet.write_text(row, 0, "Seed", Some(&f.label))?;
            sheet.put(row, 1, text(seed))?;
        }
        None => {
            sheet.note(
                row,
                "No sample was drawn: no seed was given (`--seed` or `[sampling] seed`). Every record of each population was tested; the population sheets show each record's result.",
                &f.text,
            )?;
            row += 2;
            sheet.write_text(row, 0, "Seed", Some(&f.label))?;
            sheet.put(row, 1, text("(not set)"))?;
        }
    }
    row += 1;
    sheet.write_text(row, 0, "Recurring sample size", Some(&f.label))?;
    sheet.put(row, 1, Value::Int(samples.recurring_sample_size.into()))?;
    row += 1;
    sheet.write_text(row, 0, "Method", Some(&f.label))?;
    sheet.paragraph(row, CONTROL_COLUMNS.len() as u16, METHOD, &f.wrap)?;
    row += 2;

    let controls = samples.controls.iter().map(|c| match &c.sample {
        Some(s) => vec![
            text(&c.control),
            text(&c.frequency),
            text(&s.file),
            text(&s.file_sha256),
            Value::Int(s.population as u64),
            Value::Int(s.sample_size as u64),
            text(match s.method {
                crate::sampling::Method::Stratified => "stratified",
                crate::sampling::Method::Full => "population tested in full (n <= k)",
            }),
            s.s.as_deref().map_or(Value::Empty, text),
            text(
                s.selections
                    .iter()
                    .map(|x| x.row.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            text(c.files.as_ref().map(|f| f.join("\n")).unwrap_or_default()),
        ],
        None => vec![
            text(&c.control),
            text(&c.frequency),
            Value::Empty,
            Value::Empty,
            Value::Empty,
            Value::Empty,
            Value::Styled(
                format!("not drawn: {}", c.not_drawn.as_deref().unwrap_or("")),
                &f.untested,
            ),
            Value::Empty,
            Value::Empty,
            Value::Empty,
        ],
    });
    row = sheet.table(row, &CONTROL_COLUMNS, controls)?;
    row += 1;
    sheet.note(
        row,
        "Sampled items: one row per selection (its evidence record, with every attribute, is in samples/<control>.json)",
        &f.label,
    )?;
    row += 1;
    // One filter per sheet: the control table has it; this one is a plain table.
    sheet.header(row, &ITEM_COLUMNS)?;
    for c in &samples.controls {
        for i in &c.items {
            row += 1;
            let attributes = i
                .attributes
                .iter()
                .filter(|(k, v)| !v.is_empty() && k.as_str() != "url")
                .map(|(k, v)| format!("{k}: {v}"))
                .collect::<Vec<_>>()
                .join("\n");
            let values = vec![
                text(&c.control),
                i.stratum.map_or(Value::Empty, |s| Value::Int(s as u64)),
                text(format!("[{}, {})", i.stratum_rows[0], i.stratum_rows[1])),
                i.draw.as_deref().map_or(Value::Empty, text),
                Value::Int(i.offset as u64),
                Value::Int(i.position as u64),
                Value::Int(i.population_row as u64),
                text(&i.repo),
                text(&i.id),
                text(&i.result),
                i.links.first().map_or(Value::Empty, |u| link(u)),
                text(attributes),
                text(
                    i.evidence
                        .iter()
                        .map(|e| match &e.file {
                            Some(file) => format!("{} ({file})", e.reference),
                            None => e.reference.clone(),
                        })
                        .collect::<Vec<_>>()
                        .join("\n"),
                ),
                text(
                    i.exceptions
                        .iter()
                        .map(|e| format!("{} ({})", e.id, e.status))
                        .collect::<Vec<_>>()
                        .join("\n"),
                ),
            ];
            for (col, value) in values.into_iter().enumerate() {
                sheet.put(row, col as u16, value)?;
            }
        }
    }
    sheet.finish()
}
