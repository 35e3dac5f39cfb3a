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
    // Population sizes, from the plan's own records.
    let control = |id: &str| findings.controls.iter().find(|c| c.id == id).unwrap();
    let p = &truth.populations;
    assert_eq!(control("CM-01").population, p.changes);
    assert_eq!(control("CM-05").population, p.branch_commits);
    assert_eq!(control("CM-06").population, p.deployments);
    assert_eq!(control("AC-02").population, p.accounts);
    assert_eq!(control("AC-04").population, p.credentials);
    assert_eq!(control("CM-10").population, p.production_branches);
    // What GitLab does not offer is not_tested with the reason, never a pass.
    let ac01 = control("AC-01");
    assert_eq!(ac01.result, ResultKind::NotTested);
    assert!(
        ac01.reason
            .as_deref()
            .unwrap_or("")
            .contains("two-factor status only to instance administrators"),
        "{ac01:?}"
    );
    let ac04 = control("AC-04");
    assert!(
        ac04.reason
            .as_deref()
            .unwrap_or("")
            .contains("CI/CD variables API gives no creation or update time"),
        "{ac04:?}"
    );
    // Protection changes in the window come from the projects' audit events: storefront's
    // show a topic change only, so its compliant `main` is tested and passes; ops' show
    // its `main` unprotected on day 12, an exception on its snapshot already.
    let cm10 = control("CM-10");
    assert_eq!((cm10.tested, cm10.exceptions), (3, 2), "{cm10:?}");
    assert_eq!(cm10.population, 3, "{cm10:?}");
    assert!(cm10.reason.is_none(), "{cm10:?}");
    // Every other population is complete: each was obtained by a recorded query.
    for c in &findings.controls {
        if c.id != "AC-04" {
            assert!(
                !c.reason
                    .as_deref()
                    .unwrap_or("")
                    .contains("may be incomplete"),
                "{c:?}"
            );
        }
    }
    // The tricky cases raise nothing.
    for t in &truth.tricky {
        assert!(
            !findings.exceptions.iter().any(|e| e.repo == t.repo
                && e.subject == t.subject
                && e.subject_type.as_str() == t.subject_type),
            "{t:?}"
        );
    }
    assert_eq!(truth.tricky.len(), 2);
}

/// The GitLab group's bundle: every population carries the GitLab source, and an
/// auditor re-performs the findings from the bundle alone.
#[test]
fn gitlab_example_bundles_and_reperforms() {
    use changeproof::pipeline;
    let dir = tempfile::tempdir().unwrap();
    write_gitlab_example(dir.path(), 2026).unwrap();
    pipeline::replay(&Locker::open(dir.path()).unwrap()).unwrap();
    let evaluated = pipeline::evaluate_locker(dir.path(), None).unwrap();
    let files = pipeline::bundle_files(&evaluated, evaluated.meta.snapshot_time, None).unwrap();
    for stem in [
        "changes",
        "commits",
        "deployments",
        "accounts",
        "credentials",
    ] {
        let csv = String::from_utf8(files[&format!("populations/{stem}.csv")].clone()).unwrap();
        let mut lines = csv.lines();
        let header: Vec<&str> = lines.next().unwrap().split(',').collect();
        let column = header
            .iter()
            .position(|h| *h == "source")
            .unwrap_or_else(|| panic!("{stem}: {header:?}"));
        let rows: Vec<&str> = lines.collect();
        assert!(!rows.is_empty(), "{stem}");
        for row in rows {
            // The source is the last or an inner column; values here hold no commas.
            assert!(
                row.split(',').any(|v| v == "gitlab-globex"),
                "{stem} row without its source: {row} (column {column})"
            );
        }
    }
    crate::support::bundle_and_reperform(&evaluated, dir.path());
}
