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

use crate::findings::{ControlResult, Exception, ExceptionStatus, ResultKind, SubjectType};

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

type ExceptionKey<'a> = (&'a str, &'a str, SubjectType, &'a str);

/// The exceptions of the findings by (control, repo, subject type, subject).
pub(super) struct ExceptionIndex<'a> {
    by_subject: BTreeMap<ExceptionKey<'a>, Vec<&'a Exception>>,
}

impl<'a> ExceptionIndex<'a> {
    pub(super) fn new(exceptions: &'a [Exception]) -> ExceptionIndex<'a> {
        let mut by_subject: BTreeMap<ExceptionKey<'a>, Vec<&'a Exception>> = BTreeMap::new();
        for e in exceptions {
            by_subject
                .entry((&e.control, &e.repo, e.subject_type, &e.subject))
                .or_default()
                .push(e);
        }
        ExceptionIndex { by_subject }
    }

    /// The exceptions a control raised on one subject (none: an empty list).
    pub(super) fn get(
        &self,
        control: &str,
        repo: &str,
        subject_type: SubjectType,
        subject: &str,
    ) -> Vec<&'a Exception> {
        self.by_subject
            .get(&(control, repo, subject_type, subject))
            .cloned()
            .unwrap_or_default()
    }
}

/// What the bundle knows about one record for one control.
#[derive(Debug, Clone)]
pub(super) struct Record<'a> {
    /// False: the record is outside this control's population (`n/a`).
    pub in_population: bool,
    pub exceptions: Vec<&'a Exception>,
    /// A documented reason why the evaluation cannot have judged the record.
    pub known_untested: bool,
}

/// The cells of one control over its records.
pub(super) fn judge(
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
