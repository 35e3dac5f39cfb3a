//! Deployment statuses by GraphQL (`ProductionDeployments`) and by the REST calls of
//! older lockers normalize to the same deployments.

use serde_json::Value;

use super::*;
use crate::locker::Locker;
use crate::model::Deployment;

fn evidence(legacy: bool) -> (crate::model::Evidence, Vec<String>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("locker");
    let params = ExampleParams {
        seed: 11,
        changes: 80,
    };
    if legacy {
        write_legacy_example(&root, params).expect("legacy example");
    } else {
        write_example(&root, params).expect("example");
    }
    let locker = Locker::open(&root).expect("opens");
    let urls = locker
        .requests()
        .expect("request log")
        .into_iter()
        .map(|r| r.url)
        .collect();
    (
        crate::normalize::normalize(&locker).expect("normalizes"),
        urls,
    )
}

/// A deployment without what differs by construction: where its records were read
/// (evidence references) and REST's empty `log_url` strings (GraphQL says null).
fn comparable(d: &Deployment) -> Value {
    let mut d = d.clone();
    d.evidence.clear();
    for s in &mut d.statuses {
        s.log_url = s.log_url.take().filter(|u| !u.is_empty());
    }
    for a in &mut d.approvals {
        a.evidence.clear();
    }
    serde_json::to_value(d).expect("serializes")
}

#[test]
fn graphql_and_rest_statuses_normalize_to_the_same_deployments() {
    let (new, new_urls) = evidence(false);
    let (old, old_urls) = evidence(true);
    assert!(
        old_urls
            .iter()
            .any(|u| u.ends_with("/statuses?per_page=100"))
            && !new_urls.iter().any(|u| u.contains("/statuses")),
        "the legacy locker reads statuses by REST, the current one does not"
    );
    assert!(new_urls.len() < old_urls.len());
    assert_eq!(new.deployments.len(), old.deployments.len());
    let mut with_statuses = 0;
    let mut with_approvals = 0;
    for (a, b) in new.deployments.iter().zip(&old.deployments) {
        assert_eq!(comparable(a), comparable(b), "deployment {}", a.id);
        with_statuses += usize::from(!a.statuses.is_empty());
        with_approvals += usize::from(!a.approvals.is_empty());
        // Every status is cited: GraphQL ones by their node in the query's response.
        assert_eq!(
            a.evidence.len(),
            1 + a.statuses.len(),
            "deployment {}",
            a.id
        );
    }
    assert!(
        with_statuses > 10 && with_approvals > 5,
        "{with_statuses} {with_approvals}"
    );
    // Nothing else changes (GraphQL responses carry the remaining rate limit, so the
    // responses, and the references to them, differ where the call order did).
    assert_eq!(without_refs(&new.changes), without_refs(&old.changes));
    assert_eq!(
        without_refs(&new.branch_commits),
        without_refs(&old.branch_commits)
    );
    assert_eq!(new.access, old.access);
    assert_eq!(new.gaps, old.gaps);
}

fn without_refs<T: serde::Serialize>(records: &T) -> Value {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(map) => {
                map.remove("evidence");
                map.values_mut().for_each(strip);
            }
            Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut v = serde_json::to_value(records).expect("serializes");
    strip(&mut v);
    v
}

#[test]
fn environments_carry_their_protection_rules() {
    let (evidence, urls) = evidence(false);
    assert!(
        urls.iter()
            .any(|u| u.ends_with("/environments?per_page=100"))
    );
    let production: Vec<_> = evidence
        .environments
        .iter()
        .filter(|e| e.name == "production")
        .collect();
    assert!(!production.is_empty());
    for e in &production {
        assert!(!e.reviewers.is_empty(), "{}", e.repo);
        assert!(e.prevent_self_review);
        assert_eq!(e.can_admins_bypass, Some(false));
        assert_eq!(
            e.deployment_branch_policy,
            Some(crate::model::DeploymentBranchPolicy {
                protected_branches: true,
                custom_branch_policies: false
            })
        );
        assert_eq!(e.evidence.len(), 1);
    }
    assert!(
        evidence
            .environments
            .iter()
            .any(|e| e.name == "staging" && e.reviewers.is_empty())
    );
    // Older evidence without the field still loads.
    let mut v = serde_json::to_value(&evidence).expect("serializes");
    v.as_object_mut().expect("object").remove("environments");
    let old: crate::model::Evidence = serde_json::from_value(v).expect("loads");
    assert!(old.environments.is_empty());
}
