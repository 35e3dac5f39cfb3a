//! Appendix A (every exception) and Appendix B (capped population excerpts).

use super::*;

impl Report<'_> {
    pub(super) fn appendix_exceptions(&self, flow: &mut Flow<'_>) {
        flow.heading(section(
            "Appendix A: Exceptions",
            Some("appendix-exceptions"),
        ));
        let all = self.exceptions();
        let open = all
            .iter()
            .filter(|e| e.status == ExceptionStatus::Open)
            .count();
        prose(
            flow,
            &format!(
                "{}: {open} open, {} waived, sorted by exception id. The id (control/repository/subject type/subject/kind) is stable across runs; `exceptions.csv` and `findings.json` carry the same exceptions with the raw evidence references (`sha256:<hash>#<JSON pointer>`) of each.",
                counted(all.len(), "exception", "exceptions"),
                all.len() - open
            ),
            BODY,
            8.0,
        );
        if all.is_empty() {
            prose(flow, "No exceptions.", BODY, 0.0);
            return;
        }
        if all.len() > APPENDIX_EXCEPTION_CAP {
            prose(
                flow,
                &format!(
                    "The first {APPENDIX_EXCEPTION_CAP} of {} exceptions are listed; `exceptions.csv` and `findings.json` hold all of them.",
                    all.len()
                ),
                BODY_BOLD,
                6.0,
            );
        }
        let rows = all
            .iter()
            .take(APPENDIX_EXCEPTION_CAP)
            .map(|e| {
                let mut details = Cell::rich(code_spans(&e.summary, CELL));
                for line in detail_lines(e) {
                    details = details.para(line, CELL_MUTED);
                }
                if let Some(w) = &e.waiver {
                    details =
                        details.para(format!("Waiver: {}", waiver_text(w)), CELL_MUTED.color(INK));
                }
                details = details.para(
                    format!(
                        "{} evidence reference{} in findings.json",
                        e.evidence.len(),
                        if e.evidence.len() == 1 { "" } else { "s" }
                    ),
                    CELL_MUTED,
                );
                let mut id = Cell::styled(e.id.clone(), CELL_MONO);
                if web(&e.url) {
                    id.link = Some(Target::Uri(e.url.clone()));
                }
                vec![
                    id,
                    Cell::badge(e.severity.as_str(), severity_tone(e.severity)),
                    status_cell(e),
                    details,
                ]
            })
            .collect();
        flow.table(&table(
            vec![
                Column::new("Exception id", 27.0, CELL),
                Column::new("Severity", 9.0, CELL),
                Column::new("Status", 9.0, CELL),
                Column::new("Summary and details", 55.0, CELL),
            ],
            rows,
            Some("Appendix A: Exceptions".into()),
        ));
    }

    pub(super) fn appendix_populations(&self, flow: &mut Flow<'_>) {
        flow.heading(section(
            "Appendix B: Population excerpts",
            Some("appendix-populations"),
        ));
        let tables = &self.populations.tables;
        let files: Vec<String> = tables
            .iter()
            .map(|t| format!("`{}`", t.csv_path()))
            .collect();
        prose(
            flow,
            &format!(
                "The populations are listed in full, with every attribute the controls tested and the result of each control for each record, in {} (and the workbook's sheets of the same names). This appendix shows an excerpt of at most {EXCERPT_CAP} records of each, in the order of the file, so the report stays readable for populations of any size.",
                join_words(&files)
            ),
            BODY,
            8.0,
        );
        for (n, table) in tables.iter().enumerate() {
            let spec = &table.spec;
            flow.heading(subsection(&format!(
                "{} ({}, {})",
                spec.title,
                counted(table.rows.len(), spec.noun.0, spec.noun.1),
                spec.served()
            )));
            let last = n + 1 == tables.len();
            if table.rows.is_empty() {
                prose(flow, spec.empty, BODY, if last { 0.0 } else { 8.0 });
                continue;
            }
            prose(
                flow,
                &excerpt_note(table.rows.len(), &table.csv_path()),
                SMALL,
                4.0,
            );
            let keys: Vec<_> = table.shown(&[Show::Key]).collect();
            let key_weight: f32 = keys.iter().map(|(_, c)| c.weight).sum();
            // The results share what the key columns leave, at least a readable badge.
            let result_weight =
                ((100.0 - key_weight) / spec.controls.len().max(1) as f32).max(11.0);
            let mut columns: Vec<Column> = keys
                .iter()
                .map(|(_, c)| {
                    let style = match c.style {
                        Style::Mono => CELL_MONO,
                        _ => CELL,
                    };
                    let column = Column::new(c.label, c.weight, style);
                    match c.style {
                        Style::Mono | Style::Number => column.nowrap(),
                        _ => column,
                    }
                })
                .collect();
            columns.extend(
                spec.controls
                    .iter()
                    .map(|id| Column::new(*id, result_weight, CELL)),
            );
            let rows = table
                .rows
                .iter()
                .take(EXCERPT_CAP)
                .map(|row| {
                    let mut out: Vec<Cell> = keys
                        .iter()
                        .map(|(i, c)| {
                            let value = &row.values[*i];
                            let text = match (value, c.style) {
                                (Value::Time(t), _) => table_time(*t),
                                (Value::Empty, _) => "—".to_string(),
                                _ => value.display(c.style),
                            };
                            let cell = match c.style {
                                Style::Sha => Cell::styled(text, CELL_MONO),
                                _ => Cell::new(text),
                            };
                            cell.link(
                                table
                                    .link_of(row, c)
                                    .map(|url| Target::Uri(url.to_string())),
                            )
                        })
                        .collect();
                    out.extend(row.results.iter().map(result_cell));
                    out
                })
                .collect();
            flow.table(&super::table(
                columns,
                rows,
                Some(format!("{} excerpt", spec.sheet)),
            ));
            if !last {
                flow.space(10.0);
            }
        }
    }
}

/// `a`, `a and b`, `a, b and c`.
fn join_words(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// A time in a narrow table column: RFC 3339 with a space for the `T`, so it can wrap
/// between date and time.
fn table_time(t: crate::model::Timestamp) -> String {
    format_time(t).replacen('T', " ", 1)
}

pub(super) fn excerpt_note(total: usize, file: &str) -> String {
    if total > EXCERPT_CAP {
        format!("The first {EXCERPT_CAP} of {total} records; all {total} are in {file}.")
    } else {
        format!("All {total} records; also in {file}.")
    }
}

pub(super) fn subject_cell(e: &Exception) -> Cell {
    let subject = match e.subject_type {
        SubjectType::Change => format!("PR #{}", e.subject),
        SubjectType::Commit => format!("commit {}", short_sha(&e.subject)),
        other => format!("{} {}", other.as_str().replace('_', " "), e.subject),
    };
    let mut cell = Cell::new(subject).para(e.repo.clone(), CELL_MUTED);
    if web(&e.url) {
        cell.link = Some(Target::Uri(e.url.clone()));
    }
    cell
}

pub(super) fn status_cell(e: &Exception) -> Cell {
    match e.status {
        ExceptionStatus::Open => Cell::badge("open", BAD),
        ExceptionStatus::Waived => Cell::badge("waived", NEUTRAL),
    }
}

/// A per-record result as in the population CSVs, coloured like the control results.
pub(super) fn result_cell(cell: &ResultCell) -> Cell {
    let tone = match cell.class() {
        "pass" => GOOD,
        "fail" => BAD,
        "untested" => WARN,
        _ => NEUTRAL,
    };
    Cell::badge(cell.text().replace(';', "; "), tone)
}
