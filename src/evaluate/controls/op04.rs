//! OP-04: the evidence covers the whole window. Sources GitHub keeps for a limited time
//! — rule suites (about a month, per repository), the organisation audit log (90 to 180
//! days), git events (7 days) — are tested against the window start: the earliest time
//! each call could return records for (its documented retention or the query's own
//! period, from the time it was made), or its oldest record if that is older.

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::evaluate::context::{Context, Index, describe_gap, owner};
use crate::evaluate::outcome::{Finding, Judgement, Outcome, PopulationKind};
use crate::findings::SubjectType;
use crate::model::{SourceCoverage, Timestamp};

use super::{ControlDef, detail};

kinds! {
    pub enum Kind {
        CoverageGap => "coverage_gap",
    }
}

pub const DEF: ControlDef = ControlDef {
    id: "OP-04",
    kinds: Kind::NAMES,
    population: SOURCES,
    run,
};

pub const SOURCES: PopulationKind = PopulationKind {
    evidence_type: "rule_suites",
    noun: "sources",
};

/// One time-limited source of the population, with what it covered (SPEC §6 row).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CoverageRow {
    /// The repository (rule suites) or the organisation (audit log, git events).
    pub scope: String,
    /// `rule_suites`, `audit_log` or `git_events`.
    pub source: String,
    pub retention: String,
    /// The earliest time the evidence reaches back to (`None`: not collected).
    pub covered_from: Option<Timestamp>,
    pub oldest_record: Option<Timestamp>,
    pub as_of: Option<Timestamp>,
    pub window_start: Timestamp,
    /// The part of the window the source does not cover, if any.
    pub uncovered_from: Option<Timestamp>,
    pub uncovered_until: Option<Timestamp>,
    /// Why the source could not be tested.
    pub not_tested: Option<String>,
}

/// The earliest time a coverage record shows the source reaching back to.
pub fn covered_from(c: &SourceCoverage) -> Timestamp {
    c.oldest_record
        .map_or(c.retention_from, |oldest| oldest.min(c.retention_from))
}

/// A source of the population and what is known of it.
struct Subject<'a> {
    evidence_type: &'static str,
    scope: String,
    source: String,
    coverage: Vec<&'a SourceCoverage>,
    gaps: Vec<String>,
}

fn run(ctx: &Context<'_>) -> Outcome {
    let index = &ctx.index;
    let mut outcome = Outcome::new(Vec::new());
    outcome.not_applicable = Some(
        "no time-limited evidence source is used: no ruleset applies to a production branch (so there are no rule suites to keep), the organisation audit log was not requested, and git events are not collected"
            .into(),
    );
    for subject in population(index) {
        let judgement = judge(index, &subject).0;
        outcome.record(
            format!("{} of {}", subject.evidence_type, subject.scope),
            judgement,
        );
    }
    outcome
}

pub fn rows(index: &Index<'_>) -> Vec<CoverageRow> {
    population(index)
        .iter()
        .map(|s| judge(index, s).1)
        .collect()
}

fn population<'a>(index: &Index<'a>) -> Vec<Subject<'a>> {
    let evidence = index.evidence;
    let mut subjects = Vec::new();
    // Rule suites matter where a ruleset protects a production branch, or where the
    // API returned some (a ruleset applied at some time).
    for repo in index.repos.values() {
        let name = repo.full_name.as_str();
        let rulesets = repo
            .production_branches
            .iter()
            .any(|b| index.protection(name, b).is_some_and(|p| p.has_rulesets))
            || evidence
                .rule_suites
                .iter()
                .any(|s| s.repo.eq_ignore_ascii_case(name));
        if !rulesets {
            continue;
        }
        subjects.push(subject(index, "rule_suites", &repo.source, name));
    }
    // Org-wide sources: where a call was made (a coverage record) or attempted (a gap).
    for evidence_type in ["audit_log", "git_events"] {
        let mut scopes: Vec<(String, String)> = evidence
            .coverage
            .iter()
            .filter(|c| c.evidence_type == evidence_type)
            .map(|c| (c.source.clone(), c.scope.clone()))
            .chain(
                evidence
                    .gaps
                    .iter()
                    .filter(|g| g.evidence_type == evidence_type)
                    .map(|g| {
                        let scope = g.repo.as_deref().map_or_else(
                            || org_of_source(index, &g.source),
                            |r| owner(r).to_string(),
                        );
                        (g.source.clone(), scope)
                    }),
            )
            .collect();
        scopes.sort();
        scopes.dedup();
        for (source, scope) in scopes {
            subjects.push(subject(index, evidence_type, &source, &scope));
        }
    }
    subjects
}

/// The organisation of a source: the owner of its repositories.
fn org_of_source(index: &Index<'_>, source: &str) -> String {
    index
        .repos
        .values()
        .find(|r| r.source == source)
        .map_or_else(|| source.to_string(), |r| owner(&r.full_name).to_string())
}

fn subject<'a>(
    index: &Index<'a>,
    evidence_type: &'static str,
    source: &str,
    scope: &str,
) -> Subject<'a> {
    Subject {
        evidence_type,
        scope: scope.to_string(),
        source: source.to_string(),
        coverage: index
            .evidence
            .coverage
            .iter()
            .filter(|c| {
                c.evidence_type == evidence_type
                    && c.source == source
                    && c.scope.eq_ignore_ascii_case(scope)
            })
            .collect(),
        gaps: index
            .gaps(evidence_type, source, scope)
            .into_iter()
            .map(describe_gap)
            .collect(),
    }
}

/// `rule suites`, `the audit log` …, with the verb that agrees with it.
fn noun(evidence_type: &str) -> (&'static str, &'static str) {
    match evidence_type {
        "rule_suites" => ("rule suites", "cover"),
        "audit_log" => ("the audit log", "covers"),
        "git_events" => ("git events", "cover"),
        _ => ("the source", "covers"),
    }
}

fn day(t: Timestamp) -> String {
    t.format("%Y-%m-%d").to_string()
}

fn judge(index: &Index<'_>, s: &Subject<'_>) -> (Judgement, CoverageRow) {
    let start = index.window.start;
    let mut row = CoverageRow {
        scope: s.scope.clone(),
        source: s.evidence_type.to_string(),
        retention: String::new(),
        covered_from: None,
        oldest_record: None,
        as_of: None,
        window_start: start,
        uncovered_from: None,
        uncovered_until: None,
        not_tested: None,
    };
    let untested = |mut row: CoverageRow, reason: String| {
        row.not_tested = Some(reason.clone());
        (Judgement::Untested(reason), row)
    };
    if !s.gaps.is_empty() {
        return untested(row, s.gaps.join("; "));
    }
    // The weakest call decides: every call of the source must reach the window start.
    let Some(weakest) = s.coverage.iter().max_by_key(|c| covered_from(c)) else {
        return untested(
            row,
            format!(
                "no record of how far {} of {} reach back",
                noun(s.evidence_type).0,
                s.scope
            ),
        );
    };
    let from = covered_from(weakest);
    row.retention = weakest.retention.clone();
    row.covered_from = Some(from);
    row.oldest_record = s.coverage.iter().filter_map(|c| c.oldest_record).min();
    row.as_of = Some(weakest.as_of);
    if from <= start {
        return (Judgement::Pass, row);
    }
    let until = from.min(index.window.end);
    row.uncovered_from = Some(start);
    row.uncovered_until = Some(until);
    let (name, verb) = noun(s.evidence_type);
    let summary = format!(
        "{name} of {} {verb} {} … {}; {} … {} is not covered",
        s.scope,
        day(from),
        day(weakest.as_of),
        day(start),
        day(until)
    );
    let finding = Finding {
        kind: Kind::CoverageGap.as_str(),
        repo: s.scope.clone(),
        subject_type: SubjectType::Source,
        subject: s.evidence_type.to_string(),
        summary,
        url: String::new(),
        evidence: s
            .coverage
            .iter()
            .flat_map(|c| c.responses.iter().map(|h| format!("sha256:{h}#")))
            .map(crate::model::EvidenceRef::from)
            .collect(),
        detail: detail([
            ("source", json!(s.source)),
            ("retention", json!(weakest.retention)),
            ("covered_from", json!(from)),
            ("oldest_record", json!(row.oldest_record)),
            ("as_of", json!(weakest.as_of)),
            ("uncovered", json!({"from": start, "until": until})),
        ]),
    };
    (Judgement::Fail(vec![finding]), row)
}

#[cfg(test)]
mod tests {
    use crate::evaluate::testkit::*;
    use crate::findings::ResultKind;

    fn rulesets_on_payments(kit: &mut Kit) {
        let p = kit.protection("acme/payments", "main");
        p.has_rulesets = true;
        p.ruleset_ids = vec![7];
    }

    #[test]
    fn rule_suites_kept_for_a_month_do_not_cover_the_quarter() {
        let mut kit = Kit::new();
        rulesets_on_payments(&mut kit);
        kit.evidence.coverage.push(coverage(
            "rule_suites",
            "acme/payments",
            "2026-09-05T08:50:00Z",
        ));
        // acme/api has no ruleset: its rule suites are not in the population.
        kit.evidence
            .coverage
            .push(coverage("rule_suites", "acme/api", "2026-09-05T08:50:00Z"));
        let eval = kit.run();
        assert_eq!(
            eval.kinds("OP-04"),
            [(
                "acme/payments/source/rule_suites".to_string(),
                "coverage_gap".to_string()
            )]
        );
        let e = eval.exception("OP-04/acme/payments/source/rule_suites/coverage_gap");
        assert_eq!(
            e.summary,
            "rule suites of acme/payments cover 2026-09-05 … 2026-10-05; 2026-07-01 … 2026-09-05 is not covered"
        );
        assert_eq!(e.evidence, ["sha256:cov-rule_suites-acme/payments#"]);
        assert_eq!(e.severity, crate::findings::Severity::Medium);
        let r = eval.result("OP-04");
        assert_eq!(
            (r.result, r.population, r.tested),
            (ResultKind::Exceptions, 1, 1)
        );
        let row = &eval.coverage[0];
        assert_eq!(row.uncovered_until, Some(t("2026-09-05T08:50:00Z")));
    }

    #[test]
    fn a_source_reaching_the_window_start_passes() {
        let mut kit = Kit::new();
        rulesets_on_payments(&mut kit);
        kit.audit_log_collected();
        kit.evidence.coverage.push(coverage(
            "rule_suites",
            "acme/payments",
            "2026-07-01T00:00:00Z",
        ));
        let eval = kit.run();
        assert_eq!(eval.kinds("OP-04"), []);
        let r = eval.result("OP-04");
        assert_eq!((r.result, r.population), (ResultKind::Effective, 2));
        let sources: Vec<&str> = eval.coverage.iter().map(|c| c.source.as_str()).collect();
        assert_eq!(sources, ["rule_suites", "audit_log"]);
    }

    #[test]
    fn an_older_record_than_the_documented_retention_extends_coverage() {
        let mut kit = Kit::new();
        rulesets_on_payments(&mut kit);
        let mut c = coverage("rule_suites", "acme/payments", "2026-09-05T08:50:00Z");
        c.oldest_record = Some(t("2026-06-20T00:00:00Z"));
        kit.evidence.coverage.push(c);
        assert_eq!(kit.run().kinds("OP-04"), []);
    }

    #[test]
    fn the_call_that_reaches_back_least_decides() {
        let mut kit = Kit::new();
        rulesets_on_payments(&mut kit);
        kit.evidence.coverage.push(coverage(
            "rule_suites",
            "acme/payments",
            "2026-06-01T00:00:00Z",
        ));
        kit.evidence.coverage.push(coverage(
            "rule_suites",
            "acme/payments",
            "2026-08-01T00:00:00Z",
        ));
        let eval = kit.run();
        let e = eval.exception("OP-04/acme/payments/source/rule_suites/coverage_gap");
        assert!(
            e.summary.contains("2026-07-01 … 2026-08-01 is not covered"),
            "{}",
            e.summary
        );
    }

    #[test]
    fn audit_log_short_of_the_window_is_a_gap_of_the_org() {
        let mut kit = Kit::new();
        kit.audit_log_collected();
        kit.evidence.coverage[0].retention_from = t("2026-07-05T09:00:00Z");
        let eval = kit.run();
        let e = eval.exception("OP-04/acme/source/audit_log/coverage_gap");
        assert_eq!(
            e.summary,
            "the audit log of acme covers 2026-07-05 … 2026-10-05; 2026-07-01 … 2026-07-05 is not covered"
        );
    }

    #[test]
    fn sources_that_could_not_be_collected_are_not_tested() {
        let mut kit = Kit::new();
        kit.gap("audit_log", Some("acme"));
        rulesets_on_payments(&mut kit);
        let eval = kit.run();
        assert_eq!(eval.kinds("OP-04"), []);
        let r = eval.result("OP-04");
        assert_eq!(
            (r.result, r.population, r.tested),
            (ResultKind::NotTested, 2, 0)
        );
        let reason = r.reason.as_deref().unwrap();
        assert!(
            reason.contains("`audit_log` of acme could not be collected (HTTP 403)"),
            "{reason}"
        );
        assert!(
            reason.contains("no record of how far rule suites of acme/payments reach back"),
            "{reason}"
        );
    }

    #[test]
    fn no_time_limited_source_is_not_applicable() {
        let r = Kit::new().run().result("OP-04").clone();
        assert_eq!(r.result, ResultKind::NotApplicable);
        assert!(
            r.reason
                .unwrap()
                .starts_with("no time-limited evidence source is used")
        );
    }
}
