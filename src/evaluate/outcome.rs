//! Per-control outcomes and their assembly into `ControlResult`s and `Exception`s
//! (SPEC §3, §4): the rules that decide effective / exceptions / not_tested /
//! not_applicable live here, once, for every control.

use std::collections::BTreeMap;

use crate::catalog::{Catalog, ControlEntry};
use crate::findings::{ControlResult, Exception, ExceptionStatus, ResultKind, SubjectType};

use super::context::Index;

/// An exception a control found, before it gets its id and severity.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub kind: &'static str,
    pub repo: String,
    pub subject_type: SubjectType,
    pub subject: String,
    pub summary: String,
    pub url: String,
    pub evidence: Vec<crate::model::EvidenceRef>,
    pub detail: crate::findings::Detail,
}

/// A control's verdict on one record of its population.
#[derive(Debug, Clone, PartialEq)]
pub enum Judgement {
    Pass,
    Fail(Vec<Finding>),
    /// The record could not be judged; the reason says which evidence is missing.
    Untested(String),
}

/// What one control found over its population.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    pub population: u64,
    pub tested: u64,
    pub findings: Vec<Finding>,
    /// Untested records: reason → subjects, in population order.
    pub untested: BTreeMap<String, Vec<String>>,
    /// Why the population itself may be incomplete.
    pub caveats: Vec<String>,
    /// What the auditor should know about the result that changes nothing in it (e.g.
    /// AC-05's informational summary); appended to the reason.
    pub notes: Vec<String>,
    /// The control as a whole could not be tested (an input it needs is missing): the
    /// result is `not_tested` with this reason, whatever the population.
    pub unavailable: Option<String>,
    /// Records of the population another control judges instead (reason → subjects, in
    /// population order): counted in the population, not as tested, and named in the
    /// reason without making the result `not_tested`.
    pub deferred: BTreeMap<String, Vec<String>>,
    /// For a control whose population is not a recorded query's result: why an empty
    /// population means the control does not apply (used only when nothing suggests the
    /// population is incomplete).
    pub not_applicable: Option<String>,
}

impl Outcome {
    pub fn new(caveats: Vec<String>) -> Outcome {
        Outcome {
            caveats,
            ..Outcome::default()
        }
    }

    /// Adds one record of the population and the control's verdict on it.
    pub fn record(&mut self, subject: String, judgement: Judgement) {
        self.population += 1;
        match judgement {
            Judgement::Pass => self.tested += 1,
            Judgement::Fail(findings) => {
                self.tested += 1;
                self.findings.extend(findings);
            }
            Judgement::Untested(reason) => self.untested.entry(reason).or_default().push(subject),
        }
    }

    /// Adds one record of the population that another control judges instead.
    pub fn defer(&mut self, subject: String, reason: String) {
        self.population += 1;
        self.deferred.entry(reason).or_default().push(subject);
    }

    fn untested_count(&self) -> usize {
        self.untested.values().map(Vec::len).sum()
    }
}

/// What the assembler needs to know about a control's population.
#[derive(Debug, Clone, Copy)]
pub struct PopulationKind {
    /// The evidence type whose queries prove an empty population (`pull_requests` …).
    pub evidence_type: &'static str,
    /// Plural noun for reasons: "changes", "commits".
    pub noun: &'static str,
}

/// Most subjects a reason lists before it says "and N more".
const LIST_LIMIT: usize = 10;

/// Turns a control's outcome into its result line and its exceptions. `outcome` is
/// `None` for a catalog control whose test logic this version does not have.
pub fn assemble(
    entry: &ControlEntry,
    catalog: &Catalog,
    index: &Index<'_>,
    outcome: Option<(Outcome, PopulationKind)>,
) -> (ControlResult, Vec<Exception>) {
    let base = |result, reason: Option<String>| ControlResult {
        id: entry.id.clone(),
        title: entry.title.clone(),
        tsc: entry.tsc.clone(),
        result,
        population: 0,
        tested: 0,
        exceptions: 0,
        waived: 0,
        reason,
    };
    let Some((mut outcome, kind)) = outcome else {
        return (
            base(
                ResultKind::NotTested,
                Some(format!(
                    "changeproof {} has no test for {}; the control was not tested",
                    crate::TOOL_VERSION,
                    entry.id
                )),
            ),
            Vec::new(),
        );
    };
    // The findings become the exceptions: moved, not copied (there can be hundreds of
    // thousands).
    let exceptions: Vec<Exception> = std::mem::take(&mut outcome.findings)
        .into_iter()
        .map(|f| exception(entry, catalog, f))
        .collect();
    let (result, reason) = if let Some(reason) = &outcome.unavailable {
        (ResultKind::NotTested, Some(reason.clone()))
    } else if outcome.population == 0 {
        match &outcome.not_applicable {
            Some(why) if outcome.caveats.is_empty() => {
                (ResultKind::NotApplicable, Some(why.clone()))
            }
            _ => empty_population(&outcome, kind, index),
        }
    } else {
        let untested = untested_reason(&outcome, kind);
        let result = if !exceptions.is_empty() {
            ResultKind::Exceptions
        } else if untested.is_some() {
            ResultKind::NotTested
        } else {
            ResultKind::Effective
        };
        (result, untested)
    };
    let reason = match (reason, deferred_note(&outcome, kind)) {
        (Some(reason), Some(note)) => Some(sentences(&reason, &note)),
        (reason, note) => reason.or(note),
    };
    // Notes (informational summaries) follow whatever the result's reason is, once.
    let reason = if outcome.notes.is_empty() {
        reason
    } else {
        let notes = outcome.notes.join(" ");
        Some(match reason {
            Some(r) => sentences(&r, &notes),
            None => notes,
        })
    };
    let mut line = base(result, reason);
    line.population = outcome.population;
    line.tested = outcome.tested;
    line.exceptions = exceptions.len() as u64;
    (line, exceptions)
}

/// Two parts of a reason as consecutive sentences, with one full stop between them.
fn sentences(first: &str, second: &str) -> String {
    if first.ends_with('.') {
        format!("{first} {second}")
    } else {
        format!("{first}. {second}")
    }
}

fn exception(entry: &ControlEntry, catalog: &Catalog, f: Finding) -> Exception {
    Exception {
        id: Exception::make_id(&entry.id, &f.repo, f.subject_type, &f.subject, f.kind),
        control: entry.id.clone(),
        kind: f.kind.to_string(),
        // A kind missing from the catalog is caught by a unit test; should one slip
        // through, it is reported at the control's severity rather than dropped.
        severity: catalog
            .severity(&entry.id, f.kind)
            .unwrap_or(entry.severity),
        repo: f.repo,
        subject_type: f.subject_type,
        subject: f.subject,
        summary: f.summary,
        url: f.url,
        evidence: dedup(f.evidence),
        status: ExceptionStatus::Open,
        waiver: None,
        detail: f.detail,
    }
}

/// An empty population is `not_applicable` only when recorded queries prove it and
/// nothing suggests it is incomplete; otherwise the control was not tested.
fn empty_population(
    outcome: &Outcome,
    kind: PopulationKind,
    index: &Index<'_>,
) -> (ResultKind, Option<String>) {
    if !outcome.caveats.is_empty() {
        return (
            ResultKind::NotTested,
            Some(format!(
                "no {} in the population, but it may be incomplete: {}",
                kind.noun,
                outcome.caveats.join("; ")
            )),
        );
    }
    let queries = index.queries(kind.evidence_type);
    if queries.is_empty() {
        return (
            ResultKind::NotTested,
            Some(format!(
                "no evidence of the population was collected (no `{}` query is recorded)",
                kind.evidence_type
            )),
        );
    }
    let described: Vec<String> = queries
        .iter()
        .map(|q| {
            let scope = q
                .repo
                .clone()
                .unwrap_or_else(|| format!("source {}", q.source));
            let total = q
                .total_count
                .map(|t| format!(", API total {t}"))
                .unwrap_or_default();
            format!(
                "`{}` for {scope} ({}) returned {} record{}{total}",
                q.endpoint,
                q.parameters,
                q.records,
                plural(q.records)
            )
        })
        .collect();
    (
        ResultKind::NotApplicable,
        Some(format!(
            "no {} in the population: {}",
            kind.noun,
            list(&described, "; ")
        )),
    )
}

/// Names the records another control judges: informational, the result stands.
fn deferred_note(outcome: &Outcome, kind: PopulationKind) -> Option<String> {
    let count: usize = outcome.deferred.values().map(Vec::len).sum();
    if count == 0 {
        return None;
    }
    let groups: Vec<String> = outcome
        .deferred
        .iter()
        .map(|(reason, subjects)| format!("{reason} ({})", list(subjects, ", ")))
        .collect();
    Some(format!(
        "{count} of {} {} judged by another control instead: {}",
        outcome.population,
        kind.noun,
        groups.join("; ")
    ))
}

fn untested_reason(outcome: &Outcome, kind: PopulationKind) -> Option<String> {
    let mut parts = Vec::new();
    let count = outcome.untested_count();
    if count > 0 {
        let groups: Vec<String> = outcome
            .untested
            .iter()
            .map(|(reason, subjects)| format!("{reason} ({})", list(subjects, ", ")))
            .collect();
        parts.push(format!(
            "{count} of {} {} not tested: {}",
            outcome.population,
            kind.noun,
            groups.join("; ")
        ));
    }
    if !outcome.caveats.is_empty() {
        parts.push(format!(
            "the population may be incomplete: {}",
            outcome.caveats.join("; ")
        ));
    }
    (!parts.is_empty()).then(|| parts.join(". "))
}

/// Joins at most [`LIST_LIMIT`] items and says how many more there are.
fn list(items: &[String], sep: &str) -> String {
    let shown = items
        .iter()
        .take(LIST_LIMIT)
        .cloned()
        .collect::<Vec<_>>()
        .join(sep);
    if items.len() > LIST_LIMIT {
        format!("{shown}{sep}and {} more", items.len() - LIST_LIMIT)
    } else {
        shown
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Removes repeats, keeping the first occurrence's position.
pub fn dedup<T: Ord + Clone>(items: Vec<T>) -> Vec<T> {
    // Most exceptions cite one to three references: compare them directly.
    if items.len() <= 8 {
        let mut out: Vec<T> = Vec::with_capacity(items.len());
        for item in items {
            if !out.contains(&item) {
                out.push(item);
            }
        }
        return out;
    }
    let mut seen = std::collections::BTreeSet::new();
    items
        .into_iter()
        .filter(|i| seen.insert(i.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::dedup;

    /// Short and long lists (two code paths) keep each item's first occurrence, in order.
    #[test]
    fn dedup_keeps_first_occurrences_in_order() {
        assert_eq!(dedup(vec![3, 1, 3, 2, 1]), [3, 1, 2]);
        let long: Vec<u32> = (0..40).map(|i| (i * 7) % 13).collect();
        let mut expected = Vec::new();
        for i in &long {
            if !expected.contains(i) {
                expected.push(*i);
            }
        }
        assert_eq!(dedup(long), expected);
    }
}
