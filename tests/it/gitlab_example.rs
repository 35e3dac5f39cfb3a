//! The example GitLab group end to end without a network: its locker normalizes and
//! evaluates to findings that equal the planted ground truth, control by control.

use std::collections::BTreeSet;

use changeproof::example::gitlab::write_gitlab_example;
use changeproof::findings::ResultKind;
use changeproof::locker::Locker;

type Key = (String, String, String, String, String);

#[test]
fn gitlab_example_findings_equal_the_planted_ground_truth() {
    let dir = tempfile::tempdir().unwrap();
    let truth = write_gitlab_example(dir.path(), 2026).unwrap();
    changeproof::pipeline::replay(&Locker::open(dir.path()).unwrap()).unwrap();
    let evaluated = changeproof::pipeline::evaluate_locker(dir.path(), None).unwrap();
    let findings = &evaluated.evaluation.findings;
    let found: BTreeSet<Key> = findings
        .exceptions
        .iter()
        .map(|e| {
            (
                e.control.clone(),
                e.kind.clone(),
                e.repo.clone(),
                e.subject_type.as_str().to_string(),
                e.subject.clone(),
            )
        })
        .collect();
    let planted: BTreeSet<Key> = truth
        .exceptions
        .iter()
        .map(|e| {
            (
                e.control.clone(),
                e.kind.clone(),
                e.repo.clone(),
                e.subject_type.clone(),
                e.subject.clone(),
            )
        })
        .collect();
    let summary: Vec<String> = findings
        .controls
        .iter()
        .map(|c| {
            format!(
                "{} {:?} pop {} tested {} exc {} {}",
                c.id,
                c.result,
                c.population,
                c.tested,
                c.exceptions,
                c.reason.clone().unwrap_or_default()
            )
        })
        .collect();
    let missed: Vec<&Key> = planted.difference(&found).collect();
    let extra: Vec<&Key> = found.difference(&planted).collect();
    assert!(
        missed.is_empty() && extra.is_empty(),
        "missed {missed:#?}\nextra {extra:#?}\ncontrols:\n{}",
        summary.join("\n")
    );
    let _ = ResultKind::Effective;
}
