//! Section 3: one part per control — objective, procedure, population and its
//! completeness, result, exceptions.

use super::appendix::{status_cell, subject_cell};
use super::method::{gaps_table, queries_table};
use super::*;

impl Report<'_> {
    pub(super) fn control(&self, flow: &mut Flow<'_>, index: usize, result: &ControlResult) {
        let entry = self.catalog(&result.id);
        if index == 0 {
            flow.heading(
                section("3  Control results", Some("controls")).outline_title("3 Control results"),
            );
        }
        let mut heading = Heading::new(
            format!("3.{}  {} · {}", index + 1, result.id, result.title),
            H2,
        );
        heading.outline = Some(2);
        heading.outline_title = Some(format!("{} {}", result.id, result.title));
        heading.anchor = Some(control_anchor(&result.id));
        heading.space_after = 8.0;
        flow.heading(heading);

        self.result_banner(flow, result);

        let mut facts = vec![("Criteria", result.tsc.join(", "))];
        if let Some(entry) = entry {
            facts.push(("Frequency", frequency(&entry.frequency)));
            facts.push(("Severity", entry.severity.as_str().to_string()));
            if !entry.parameters.is_empty() {
                let params: Vec<String> = entry
                    .parameters
                    .iter()
                    .map(|p| {
                        format!(
                            "{} (default {}): {}",
                            p.name,
                            p.default,
                            p.description.replace('`', "")
                        )
                    })
                    .collect();
                facts.push(("Parameters", params.join("\n")));
            }
        }
        flow.table(&key_values(facts));
        flow.space(4.0);
        let Some(entry) = entry else {
            prose(
                flow,
                &format!(
                    "{} is not in the control catalog this bundle was built with; its objective and procedure cannot be shown.",
                    result.id
                ),
                BODY,
                8.0,
            );
            self.control_exceptions(flow, result);
            return;
        };

        flow.heading(subsection_small("Objective"));
        flow.paragraph(&code_spans(&entry.objective, BODY), 0.0, None, 4.0);

        flow.heading(subsection_small("Test procedure"));
        procedure(flow, &entry.procedure);
        flow.space(2.0);

        flow.heading(subsection_small("Population and its completeness"));
        flow.paragraph(&code_spans(&entry.population, BODY), 0.0, None, 5.0);
        self.completeness(flow, result);

        flow.heading(subsection_small("Result"));
        self.result_text(flow, result, entry);
        self.control_sample(flow, &result.id);

        self.control_exceptions(flow, result);
    }

    pub(super) fn result_banner(&self, flow: &mut Flow<'_>, result: &ControlResult) {
        let tone = result_tone(result.result);
        let fonts = flow.fonts();
        let label = result_label(result.result).to_uppercase();
        let figures = [
            ("Population", result.population.to_string()),
            ("Tested", result.tested.to_string()),
            ("Exceptions", result.exceptions.to_string()),
            ("Waived", result.waived.to_string()),
        ];
        flow.block(44.0, |page, x, y, w| {
            page.fill(x, y, w, 40.0, tone.bg);
            page.fill(x, y, 4.0, 40.0, tone.fg);
            page.text(
                x + 14.0,
                y + 14.0,
                TextStyle::new(Face::Bold, 7.0, tone.fg),
                "RESULT",
            );
            page.text(
                x + 14.0,
                y + 31.0,
                TextStyle::new(Face::Bold, 15.0, tone.fg),
                label.clone(),
            );
            let col_w = 74.0;
            for (i, (name, value)) in figures.iter().enumerate() {
                let right = x + w - 12.0 - (figures.len() - 1 - i) as f32 * col_w;
                let vs = TextStyle::new(Face::Bold, 14.0, INK);
                let vw = fonts.width(vs.face, vs.size, value);
                page.text(right - vw, y + 22.0, vs, value.clone());
                let ns = TextStyle::new(Face::Regular, 7.0, MUTED);
                let nw = fonts.width(ns.face, ns.size, name);
                page.text(right - nw, y + 33.0, ns, *name);
            }
        });
        flow.space(6.0);
    }

    /// The queries that produced the control's population, with their counts, and the
    /// gaps in the evidence it relies on.
    pub(super) fn completeness(&self, flow: &mut Flow<'_>, result: &ControlResult) {
        let (population, supporting) = evidence_types(&result.id);
        let evidence = self.input.evidence;
        let queries: Vec<&PopulationQuery> = evidence
            .queries
            .iter()
            .filter(|q| population.contains(&q.evidence_type.as_str()))
            .collect();
        if population.is_empty() {
            prose(
                flow,
                "The queries behind this control's population are listed in section 2.2.",
                BODY,
                6.0,
            );
        } else if queries.is_empty() {
            prose(
                flow,
                &format!(
                    "No {} query is recorded in the evidence: the population's completeness is not evidenced.",
                    population.join(" or ").replace('_', " ")
                ),
                BODY_BOLD.color(BAD.fg),
                6.0,
            );
        } else {
            let records: u64 = queries.iter().map(|q| q.records).sum();
            let totals: Vec<u64> = queries.iter().filter_map(|q| q.total_count).collect();
            let mut text = format!(
                "Obtained by {} quer{} for {}, returning {} records in total",
                queries.len(),
                if queries.len() == 1 { "y" } else { "ies" },
                population.join(" and ").replace('_', " "),
                records
            );
            if totals.len() == queries.len() {
                let total: u64 = totals.iter().sum();
                let agrees = if total == records {
                    "agrees"
                } else {
                    "DOES NOT agree"
                };
                text.push_str(&format!(
                    "; the API's own total count is {total}, which {agrees} with the records obtained"
                ));
            }
            text.push_str(&format!(
                ". Of these, {} records fall in this control's population (inside the window, on a production branch{}), and {} were tested.",
                result.population,
                if result.id == "CM-02" { ", without a CM-01 exception" } else { "" },
                result.tested
            ));
            prose(flow, &text, BODY, 5.0);
            match self.first_control_with(population) {
                Some(first) if first != result.id => prose(
                    flow,
                    &format!(
                        "These are the queries behind {first}'s population, listed in its section."
                    ),
                    BODY,
                    5.0,
                ),
                _ => {
                    let caption = format!("{} population queries", result.id);
                    flow.table(&queries_table(queries.into_iter(), &caption));
                    flow.space(5.0);
                }
            }
        }
        let relevant: Vec<&str> = population.iter().chain(supporting).copied().collect();
        let gaps: Vec<_> = evidence
            .gaps
            .iter()
            .filter(|g| relevant.contains(&g.evidence_type.as_str()))
            .collect();
        if !supporting.is_empty() {
            let parts: Vec<String> = supporting
                .iter()
                .map(|t| {
                    let queries: Vec<&PopulationQuery> = evidence
                        .queries
                        .iter()
                        .filter(|q| q.evidence_type == *t)
                        .collect();
                    let records: u64 = queries.iter().map(|q| q.records).sum();
                    format!(
                        "{} ({} quer{}, {} records)",
                        t.replace('_', " "),
                        queries.len(),
                        if queries.len() == 1 { "y" } else { "ies" },
                        records
                    )
                })
                .collect();
            prose(
                flow,
                &format!("The test also relies on: {}.", parts.join("; ")),
                BODY,
                5.0,
            );
        }
        if !gaps.is_empty() {
            prose(
                flow,
                "Evidence this control relies on that could not be obtained:",
                BODY_BOLD.color(BAD.fg),
                3.0,
            );
            flow.table(&gaps_table(gaps.into_iter()));
            flow.space(5.0);
        }
    }

    /// The first control whose population comes from these evidence types.
    pub(super) fn first_control_with(&self, population: &[&str]) -> Option<String> {
        self.controls()
            .iter()
            .find(|c| evidence_types(&c.id).0 == population)
            .map(|c| c.id.clone())
    }

    pub(super) fn result_text(
        &self,
        flow: &mut Flow<'_>,
        result: &ControlResult,
        entry: &ControlEntry,
    ) {
        let open = result.exceptions - result.waived;
        let sentence = match result.result {
            ResultKind::Effective => format!(
                "Effective: all {} records of the population were tested and no exception is open{}.",
                result.tested,
                if result.waived > 0 {
                    format!(" ({} waived)", result.waived)
                } else {
                    String::new()
                }
            ),
            ResultKind::Exceptions => format!(
                "Exceptions: {} of the {} records tested raised {} open exception{}{}.",
                self.records_with_exceptions(&result.id),
                result.tested,
                open,
                if open == 1 { "" } else { "s" },
                if result.waived > 0 {
                    format!(" and {} waived", result.waived)
                } else {
                    String::new()
                }
            ),
            ResultKind::NotTested => {
                "Not tested: the evidence this control needs was not available.".to_string()
            }
            ResultKind::NotApplicable => {
                "Not applicable: the population is empty, as the recorded queries show.".to_string()
            }
        };
        flow.paragraph(&[Span::new(sentence, BODY)], 0.0, None, 4.0);
        if let Some(reason) = &result.reason {
            flow.paragraph(
                &[
                    Span::new("Reason: ", BODY_BOLD),
                    Span::new(reason.clone(), BODY),
                ],
                0.0,
                None,
                4.0,
            );
        }
        // Exceptions by kind, with what each kind means.
        let mut by_kind: BTreeMap<&str, u64> = BTreeMap::new();
        for e in self.exceptions().iter().filter(|e| e.control == result.id) {
            *by_kind.entry(e.kind.as_str()).or_default() += 1;
        }
        if entry.kinds.is_empty() {
            return;
        }
        let rows = entry
            .kinds
            .iter()
            .map(|k| {
                let severity = k.severity.unwrap_or(entry.severity);
                vec![
                    Cell::styled(k.kind.clone(), CELL_MONO),
                    Cell::badge(severity.as_str(), severity_tone(severity)),
                    Cell::new(
                        by_kind
                            .get(k.kind.as_str())
                            .copied()
                            .unwrap_or(0)
                            .to_string(),
                    ),
                    Cell::rich(code_spans(&k.description, CELL)),
                ]
            })
            .collect();
        flow.space(2.0);
        flow.table(&table(
            vec![
                Column::new("Exception kind", 19.0, CELL),
                Column::new("Severity", 9.0, CELL),
                Column::new("Count", 7.0, CELL).right(),
                Column::new("Meaning", 65.0, CELL),
            ],
            rows,
            Some(format!("{} exception kinds", result.id)),
        ));
        flow.space(8.0);
    }

    pub(super) fn records_with_exceptions(&self, control: &str) -> usize {
        let mut subjects: Vec<(&str, SubjectType, &str)> = self
            .exceptions()
            .iter()
            .filter(|e| e.control == control && e.status == ExceptionStatus::Open)
            .map(|e| (e.repo.as_str(), e.subject_type, e.subject.as_str()))
            .collect();
        subjects.sort_unstable();
        subjects.dedup();
        subjects.len()
    }

    pub(super) fn control_exceptions(&self, flow: &mut Flow<'_>, result: &ControlResult) {
        let exceptions: Vec<&Exception> = self
            .exceptions()
            .iter()
            .filter(|e| e.control == result.id)
            .collect();
        flow.heading(subsection_small(&format!(
            "Exceptions ({})",
            exceptions.len()
        )));
        if exceptions.is_empty() {
            prose(flow, "None.", BODY, 0.0);
            return;
        }
        if exceptions.len() > CONTROL_EXCEPTION_CAP {
            prose(
                flow,
                &format!(
                    "The first {CONTROL_EXCEPTION_CAP} of {} exceptions are listed; Appendix A lists all of them with their details, as do `exceptions.csv` and `findings.json`.",
                    exceptions.len()
                ),
                SMALL,
                4.0,
            );
        }
        let rows = exceptions
            .iter()
            .take(CONTROL_EXCEPTION_CAP)
            .map(|e| {
                let mut summary = Cell::rich(code_spans(&e.summary, CELL));
                if let Some(w) = &e.waiver {
                    summary = summary.para(format!("Waiver: {}", waiver_text(w)), CELL_MUTED);
                }
                vec![
                    subject_cell(e),
                    Cell::styled(e.kind.clone(), CELL_MONO),
                    Cell::badge(e.severity.as_str(), severity_tone(e.severity)),
                    summary,
                    status_cell(e),
                ]
            })
            .collect();
        flow.table(&table(
            vec![
                Column::new("Subject", 17.0, CELL),
                Column::new("Kind", 17.0, CELL),
                Column::new("Severity", 9.0, CELL),
                Column::new("Summary", 47.0, CELL),
                Column::new("Status", 9.0, CELL),
            ],
            rows,
            Some(format!("{} exceptions", result.id)),
        ));
    }
}

/// The evidence types whose queries make up a control's population, and those it
/// relies on besides.
pub(super) fn evidence_types(control: &str) -> (&'static [&'static str], &'static [&'static str]) {
    match control {
        "CM-01" | "CM-02" => (&["pull_requests"], &[]),
        "CM-03" => (&["pull_requests"], &["branch_protection", "rulesets"]),
        "CM-04" => (
            &["pull_requests"],
            &["branch_protection", "rulesets", "rule_suites", "audit_log"],
        ),
        "CM-05" => (&["branch_commits"], &["pull_requests"]),
        _ => (&[], &[]),
    }
}

/// The catalog's procedure: numbered steps with hanging numbers, other lines as text.
pub(super) fn procedure(flow: &mut Flow<'_>, text: &str) {
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let step = line
            .split_once(". ")
            .filter(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
        match step {
            Some((n, rest)) => flow.paragraph(
                &code_spans(rest, BODY),
                16.0,
                Some(Span::new(format!("{n}."), BODY_BOLD.color(ACCENT))),
                3.5,
            ),
            None => flow.paragraph(&code_spans(line, BODY), 0.0, None, 3.5),
        }
    }
}

pub(super) fn frequency(f: &str) -> String {
    match f {
        "recurring" => "recurring (many times a day)".into(),
        other => other.to_string(),
    }
}
