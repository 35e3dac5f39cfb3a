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
        let evaluation = self.input.evaluation;
        prose(
            flow,
            &format!(
                "The populations are listed in full, with every attribute the controls tested and the result of each control for each record, in `populations/changes.csv` and `populations/commits.csv`. This appendix shows an excerpt of at most {EXCERPT_CAP} records of each, in time order, so the report stays readable for populations of any size."
            ),
            BODY,
            8.0,
        );

        flow.heading(subsection(&format!(
            "Changes ({} records)",
            evaluation.changes.len()
        )));
        if evaluation.changes.is_empty() {
            prose(
                flow,
                "No change was merged into a production branch inside the window.",
                BODY,
                8.0,
            );
        } else {
            prose(
                flow,
                &excerpt_note(evaluation.changes.len(), "populations/changes.csv"),
                SMALL,
                4.0,
            );
            let mut columns = vec![
                Column::new("Repository", 16.0, CELL),
                Column::new("PR", 7.0, CELL).nowrap(),
                Column::new("Merged at", 17.0, CELL_MONO).nowrap(),
                Column::new("Author", 13.0, CELL),
            ];
            for id in CHANGE_CONTROLS {
                columns.push(Column::new(id, 11.75, CELL));
            }
            let rows = evaluation
                .changes
                .iter()
                .zip(&self.results.changes)
                .take(EXCERPT_CAP)
                .map(|(row, cells)| {
                    let mut out = vec![
                        Cell::new(row.repo.clone()),
                        Cell::new(format!("#{}", row.number))
                            .link(web(&row.url).then(|| Target::Uri(row.url.clone()))),
                        Cell::new(table_time(row.merged_at)),
                        Cell::new(row.author.clone()),
                    ];
                    out.extend(cells.iter().map(result_cell));
                    out
                })
                .collect();
            flow.table(&table(columns, rows, Some("Changes excerpt".into())));
            flow.space(10.0);
        }

        flow.heading(subsection(&format!(
            "Production commits ({} records, {COMMIT_CONTROL})",
            evaluation.commits.len()
        )));
        if evaluation.commits.is_empty() {
            prose(
                flow,
                "No commit entered a production branch inside the window.",
                BODY,
                0.0,
            );
        } else {
            prose(
                flow,
                &excerpt_note(evaluation.commits.len(), "populations/commits.csv"),
                SMALL,
                4.0,
            );
            let rows = evaluation
                .commits
                .iter()
                .zip(&self.results.commits)
                .take(EXCERPT_CAP)
                .map(|(row, cell)| {
                    vec![
                        Cell::new(row.repo.clone()),
                        Cell::styled(short_sha(&row.sha), CELL_MONO)
                            .link(web(&row.url).then(|| Target::Uri(row.url.clone()))),
                        Cell::new(table_time(row.committed_at)),
                        Cell::new(row.author.clone()),
                        Cell::new(
                            row.change
                                .map(|n| format!("#{n}"))
                                .unwrap_or_else(|| "—".into()),
                        ),
                        result_cell(cell),
                    ]
                })
                .collect();
            flow.table(&table(
                vec![
                    Column::new("Repository", 16.0, CELL),
                    Column::new("Commit", 13.0, CELL),
                    Column::new("Committed at", 17.0, CELL_MONO).nowrap(),
                    Column::new("Author", 20.0, CELL),
                    Column::new("Change", 9.0, CELL),
                    Column::new(COMMIT_CONTROL, 25.0, CELL),
                ],
                rows,
                Some("Production commits excerpt".into()),
            ));
        }
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
