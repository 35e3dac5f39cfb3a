//! The result of each control for each record of a population, for the population CSVs
//! and the report: `pass`, the exception kind(s), `not_tested`, `n/a`, or `undetermined`.
//!
//! The evaluation reports exceptions per record but only counts (population, tested) per
//! control. A record without an exception passes only when those counts prove it was
//! tested; records the evaluation could not judge are recognised by the documented
//! reasons (a missing branch-protection record, a nested collection collected in part).
//! When the counts and those reasons disagree, the bundle says `undetermined` rather
//! than claim a pass it cannot prove, and the report explains why.

use std::collections::BTreeMap;

use crate::evaluate::{ChangeRow, CommitRow};
use crate::findings::{ControlResult, Exception, ExceptionStatus, ResultKind, SubjectType};
use crate::model::Change;

use super::BundleInput;

/// Controls whose population is the changes, in column order.
pub(super) const CHANGE_CONTROLS: [&str; 4] = ["CM-01", "CM-02", "CM-03", "CM-04"];
/// The control whose population is the production-branch commits.
pub(super) const COMMIT_CONTROL: &str = "CM-05";

/// The result of one control for one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Cell {
    Pass,
    /// The exception kinds raised on the record, sorted, with whether each is waived.
    Exceptions(Vec<(String, bool)>),
    NotTested,
    /// The record is outside the control's population.
    NotApplicable,
    /// The evaluation's counts do not say whether the record was tested.
    Undetermined,
}

impl Cell {
    pub(super) fn text(&self) -> String {
        match self {
            Cell::Pass => "pass".into(),
            Cell::Exceptions(kinds) => kinds
                .iter()
                .map(|(kind, waived)| {
                    if *waived {
                        format!("{kind} (waived)")
                    } else {
                        kind.clone()
                    }
                })
                .collect::<Vec<_>>()
                .join(";"),
            Cell::NotTested => "not_tested".into(),
            Cell::NotApplicable => "n/a".into(),
            Cell::Undetermined => "undetermined".into(),
        }
    }

    /// CSS class of the report's badge.
    pub(super) fn class(&self) -> &'static str {
        match self {
            Cell::Pass => "pass",
            Cell::Exceptions(kinds) if kinds.iter().all(|(_, waived)| *waived) => "waived",
            Cell::Exceptions(_) => "fail",
            Cell::NotTested | Cell::Undetermined => "untested",
            Cell::NotApplicable => "na",
        }
    }
}

/// Per-record results of every population control.
pub(super) struct PopulationResults {
    /// One row per `Evaluation::changes` entry, one cell per [`CHANGE_CONTROLS`] entry.
    pub changes: Vec<Vec<Cell>>,
    /// One cell per `Evaluation::commits` entry.
    pub commits: Vec<Cell>,
    /// Why some cells are `undetermined` (empty when every cell is proven).
    pub notes: Vec<String>,
}

type ExceptionKey<'a> = (&'a str, &'a str, SubjectType, &'a str);

impl PopulationResults {
    pub(super) fn derive(input: &BundleInput<'_>) -> PopulationResults {
        let findings = &input.evaluation.findings;
        let mut by_subject: BTreeMap<ExceptionKey<'_>, Vec<&Exception>> = BTreeMap::new();
        for e in &findings.exceptions {
            by_subject
                .entry((&e.control, &e.repo, e.subject_type, &e.subject))
                .or_default()
                .push(e);
        }
        let control = |id: &str| findings.controls.iter().find(|c| c.id == id);
        let mut notes = Vec::new();

        let rows = &input.evaluation.changes;
        let numbers: Vec<String> = rows.iter().map(|r| r.number.to_string()).collect();
        let change_exceptions = |control: &'static str, i: usize| {
            by_subject
                .get(&(
                    control,
                    rows[i].repo.as_str(),
                    SubjectType::Change,
                    &numbers[i],
                ))
                .map(Vec::as_slice)
                .unwrap_or_default()
        };
        let changes_by_key: BTreeMap<(&str, u64), &Change> = input
            .evidence
            .changes
            .iter()
            .map(|c| ((c.repo.as_str(), c.number), c))
            .collect();

        let mut columns = Vec::new();
        for id in CHANGE_CONTROLS {
            let records: Vec<Record<'_>> = (0..rows.len())
                .map(|i| Record {
                    in_population: id != "CM-02" || change_exceptions("CM-01", i).is_empty(),
                    exceptions: change_exceptions(id, i),
                    known_untested: change_untested(
                        id,
                        &rows[i],
                        changes_by_key
                            .get(&(rows[i].repo.as_str(), rows[i].number))
                            .copied(),
                        input,
                    ),
                })
                .collect();
            columns.push(judge(id, control(id), &records, "changes", &mut notes));
        }
        let changes = (0..rows.len())
            .map(|i| columns.iter().map(|column| column[i].clone()).collect())
            .collect();

        let commit_records: Vec<Record<'_>> = input
            .evaluation
            .commits
            .iter()
            .map(|c: &CommitRow| Record {
                in_population: true,
                exceptions: by_subject
                    .get(&(COMMIT_CONTROL, c.repo.as_str(), SubjectType::Commit, &c.sha))
                    .map(Vec::as_slice)
                    .unwrap_or_default(),
                known_untested: false,
            })
            .collect();
        let commits = judge(
            COMMIT_CONTROL,
            control(COMMIT_CONTROL),
            &commit_records,
            "commits",
            &mut notes,
        );
        PopulationResults {
            changes,
            commits,
            notes,
        }
    }
}

/// What the bundle knows about one record for one control.
struct Record<'a> {
    in_population: bool,
    exceptions: &'a [&'a Exception],
    /// A documented reason why the evaluation cannot have judged the record.
    known_untested: bool,
}

/// Whether the evaluation could not judge a change for a control, by the reasons the
/// controls document: CM-03 needs the base branch's protection record; a change whose
/// reviews, commits or checks were collected only in part is not judged on them.
fn change_untested(
    control: &str,
    row: &ChangeRow,
    change: Option<&Change>,
    input: &BundleInput<'_>,
) -> bool {
    let partial = |what: &[&str]| {
        change.is_some_and(|c| c.incomplete.iter().any(|i| what.contains(&i.as_str())))
    };
    match control {
        "CM-01" | "CM-02" => partial(&["reviews", "commits"]),
        "CM-03" => {
            partial(&["checks"])
                || !input
                    .evidence
                    .branch_protections
                    .iter()
                    .any(|p| p.repo == row.repo && p.branch == row.base_branch)
        }
        _ => false,
    }
}

/// The cells of one control over its records.
fn judge(
    id: &str,
    result: Option<&ControlResult>,
    records: &[Record<'_>],
    population_name: &str,
    notes: &mut Vec<String>,
) -> Vec<Cell> {
    let exception_cell = |r: &Record<'_>| {
        let mut kinds: Vec<(String, bool)> = r
            .exceptions
            .iter()
            .map(|e| (e.kind.clone(), e.status == ExceptionStatus::Waived))
            .collect();
        kinds.sort();
        kinds.dedup();
        Cell::Exceptions(kinds)
    };
    let Some(result) = result else {
        if !records.is_empty() {
            notes.push(format!(
                "{id} is not in findings.json: the {population_name} show “not_tested” for it."
            ));
        }
        return records
            .iter()
            .map(|r| match (r.in_population, r.exceptions.is_empty()) {
                (false, _) => Cell::NotApplicable,
                (true, false) => exception_cell(r),
                (true, true) => Cell::NotTested,
            })
            .collect();
    };
    let in_population = records.iter().filter(|r| r.in_population).count() as u64;
    let untested_expected = result.population.saturating_sub(result.tested);
    let untested_known = records
        .iter()
        .filter(|r| r.in_population && r.exceptions.is_empty() && r.known_untested)
        .count() as u64;
    let proven = in_population == result.population && untested_known == untested_expected;
    if !proven && result.result != ResultKind::NotTested {
        notes.push(format!(
            "{id}: findings.json reports a population of {} with {} tested; the {population_name} table holds {in_population} records in its population, {untested_known} of them recognisably untested. Records without an exception show “undetermined” for {id}.",
            result.population, result.tested
        ));
    }
    records
        .iter()
        .map(|r| {
            if !r.in_population {
                Cell::NotApplicable
            } else if !r.exceptions.is_empty() {
                exception_cell(r)
            } else if result.result == ResultKind::NotTested || (proven && r.known_untested) {
                Cell::NotTested
            } else if proven {
                Cell::Pass
            } else {
                Cell::Undetermined
            }
        })
        .collect()
}
