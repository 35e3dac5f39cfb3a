use super::*;
use crate::evaluate::testkit::*;
use crate::model::Deployment;

fn deployment(repo: &str, id: &str, environment: &str, sha: &str, at: &str) -> Deployment {
    Deployment {
        source: "github-acme".into(),
        repo: repo.into(),
        id: id.into(),
        environment: environment.into(),
        sha: sha.into(),
        ref_name: "main".into(),
        created_at: t(at),
        creator: Some(user("deployer")),
        statuses: vec![],
        workflow_run_id: None,
        approvals: vec![],
        url: format!("https://github.com/{repo}/deployments/{id}").into(),
        evidence: vec![],
    }
}

fn kinds(r: &Reconciliation) -> Vec<(&str, &str, &str)> {
    r.differences
        .iter()
        .map(|d| (d.repo.as_str(), d.kind.as_str(), d.subject.as_str()))
        .collect()
}

#[test]
fn agreeing_sources_reconcile() {
    let mut kit = Kit::new();
    kit.add(pr(1).approve("bob"));
    kit.add_commit(
        bc("acme/api", "main", &merge_sha(1))
            .associated(1, true, "main")
            .parent("0000000000"),
    );
    kit.evidence.deployments.push(deployment(
        "acme/api",
        "500",
        "production",
        &merge_sha(1),
        "2026-08-02T10:00:00Z",
    ));
    let eval = kit.run();
    let r = &eval.reconciliation;
    assert_eq!(kinds(r), []);
    assert!(r.reconciled);
    let api = r
        .repositories
        .iter()
        .find(|l| l.repo == "acme/api")
        .unwrap();
    assert_eq!(
        (
            api.changes,
            api.changes_on_branch,
            api.commits,
            api.commits_with_change
        ),
        (1, 1, 1, 1)
    );
    assert_eq!((api.deployments, api.deployments_traced), (1, 1));
    assert_eq!(
        (api.changes_deployed, api.changes_not_deployed),
        (Some(1), Some(0))
    );
    // acme/payments has no deployment: never-deployed is not asked of it.
    let payments = r
        .repositories
        .iter()
        .find(|l| l.repo == "acme/payments")
        .unwrap();
    assert_eq!(payments.changes_deployed, None);
    assert!(payments.reconciled, "{payments:?}");
}

#[test]
fn every_difference_is_listed_and_flagged() {
    let mut kit = Kit::new();
    // PR 1 is on the branch; PR 2's merge commit is not in the history.
    kit.add(pr(1).approve("bob"));
    kit.add(pr(2).approve("bob").merged_at("2026-08-03T12:00:00Z"));
    kit.add_commit(bc("acme/api", "main", &merge_sha(1)).associated(1, true, "main"));
    // A direct push, later than PR 1's merge commit and with it as parent.
    kit.add_commit(
        bc("acme/api", "main", "d1rect0000")
            .at("2026-08-05T12:00:00Z")
            .parent(&merge_sha(1)),
    );
    kit.evidence.deployments.extend([
        // Deploys the direct push: on the branch, no change; it also deploys PR 1.
        deployment(
            "acme/api",
            "601",
            "production",
            "d1rect0000",
            "2026-08-05T13:00:00Z",
        ),
        // A commit nobody knows.
        deployment(
            "acme/api",
            "602",
            "prod-eu",
            "ffffffffff",
            "2026-08-06T13:00:00Z",
        ),
        // Not production, and outside the window: neither is reconciled.
        deployment(
            "acme/api",
            "603",
            "staging",
            "eeeeeeeeee",
            "2026-08-06T13:00:00Z",
        ),
        deployment(
            "acme/api",
            "604",
            "production",
            "dddddddddd",
            "2026-10-02T13:00:00Z",
        ),
    ]);
    kit.config.scope.production_environments = vec!["production".into(), "prod-*".into()];
    let eval = kit.run();
    let r = &eval.reconciliation;
    assert_eq!(
        kinds(r),
        [
            ("acme/api", "change_not_on_production_branch", "2"),
            ("acme/api", "commit_without_change", "d1rect0000"),
            ("acme/api", "deployment_not_on_production_branch", "602"),
            ("acme/api", "deployment_without_change", "601"),
            ("acme/api", "change_never_deployed", "2"),
        ]
    );
    assert!(r.differences.last().unwrap().informational);
    assert!(!r.reconciled);
    let api = r
        .repositories
        .iter()
        .find(|l| l.repo == "acme/api")
        .unwrap();
    assert_eq!(
        api.flags,
        [
            "1 change not found on a production branch",
            "1 production commit without a change",
            "1 deployment of a commit on no production branch",
            "1 deployment traced to no change",
        ]
    );
    assert_eq!(
        api.deployments, 2,
        "staging and after-window deployments are not counted"
    );
    assert_eq!(
        (api.changes_deployed, api.changes_not_deployed),
        (Some(1), Some(1))
    );
    let d = &r.differences[0];
    assert_eq!(d.url, "https://github.com/acme/api/pull/2");
    assert!(d.detail.contains(&merge_sha(2)), "{}", d.detail);
}

#[test]
fn a_deployment_of_a_change_merged_before_the_window_is_traced() {
    let mut kit = Kit::new();
    // PR 7 merged before the window: not in the population, but it carries the commit.
    kit.add(pr(7).approve("bob").merged_at("2026-06-20T12:00:00Z"));
    kit.evidence.deployments.push(deployment(
        "acme/api",
        "700",
        "production",
        &merge_sha(7),
        "2026-07-02T09:00:00Z",
    ));
    let r = kit.run().reconciliation.clone();
    assert_eq!(kinds(&r), []);
    assert!(r.reconciled);
}

#[test]
fn missing_history_and_disagreeing_query_counts_are_flagged() {
    let mut kit = Kit::new();
    kit.evidence.queries.retain(|q| {
        !(q.evidence_type == "branch_commits" && q.repo.as_deref() == Some("acme/api"))
    });
    kit.evidence.queries[0].total_count = Some(5);
    kit.add(pr(1).approve("bob"));
    let r = kit.run().reconciliation.clone();
    let api = r
        .repositories
        .iter()
        .find(|l| l.repo == "acme/api")
        .unwrap();
    assert!(!api.history_collected);
    assert!(
        api.flags[0].starts_with("no production-branch history was collected"),
        "{:?}",
        api.flags
    );
    assert_eq!(r.query_mismatches.len(), 1, "{:?}", r.query_mismatches);
    assert!(r.query_mismatches[0].contains("the API counts 5"));
    assert!(!r.reconciled);
}
