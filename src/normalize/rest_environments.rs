//! Deployment environments and their protection rules
//! (`GET /repos/{owner}/{repo}/environments`): wait timer, required reviewers, the
//! deployment branch policy.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::Origin;
use super::de::{ShapeError, parse};
use super::ipe::Yield;
use crate::model::{DeploymentBranchPolicy, Environment, EnvironmentReviewer};

#[derive(Deserialize)]
struct Body {
    total_count: u64,
    environments: Vec<Item>,
}

#[derive(Deserialize)]
struct Item {
    name: String,
    #[serde(default)]
    protection_rules: Vec<Rule>,
    deployment_branch_policy: Option<BranchPolicy>,
    can_admins_bypass: Option<bool>,
}

#[derive(Deserialize)]
struct Rule {
    #[serde(rename = "type")]
    kind: String,
    wait_timer: Option<u32>,
    prevent_self_review: Option<bool>,
    #[serde(default)]
    reviewers: Vec<Reviewer>,
}

#[derive(Deserialize)]
struct Reviewer {
    #[serde(rename = "type")]
    kind: String,
    reviewer: Option<ReviewerAccount>,
}

/// A user (`login`) or a team (`slug`).
#[derive(Deserialize)]
struct ReviewerAccount {
    login: Option<String>,
    slug: Option<String>,
}

#[derive(Deserialize)]
struct BranchPolicy {
    protected_branches: bool,
    custom_branch_policies: bool,
}

#[derive(Debug, Default)]
pub struct Environments {
    /// (source, repo, name) → environment; a page seen again replaces the earlier copy.
    items: BTreeMap<(String, String, String), Environment>,
}

impl Environments {
    pub fn page(
        &mut self,
        origin: &Origin<'_>,
        repo: &str,
        body: &Value,
    ) -> Result<Yield, ShapeError> {
        let body: Body = parse(body)?;
        let mut keys = Vec::with_capacity(body.environments.len());
        for (i, item) in body.environments.into_iter().enumerate() {
            keys.push(item.name.clone());
            let mut environment = Environment {
                source: origin.source.to_string(),
                repo: repo.to_string(),
                name: item.name,
                wait_timer: None,
                reviewers: Vec::new(),
                prevent_self_review: false,
                deployment_branch_policy: item.deployment_branch_policy.map(|p| {
                    DeploymentBranchPolicy {
                        protected_branches: p.protected_branches,
                        custom_branch_policies: p.custom_branch_policies,
                    }
                }),
                can_admins_bypass: item.can_admins_bypass,
                evidence: vec![origin.evidence(&format!("/environments/{i}"))],
            };
            for rule in item.protection_rules {
                match rule.kind.as_str() {
                    "wait_timer" => environment.wait_timer = rule.wait_timer,
                    "required_reviewers" => {
                        environment.prevent_self_review = rule.prevent_self_review.unwrap_or(false);
                        environment
                            .reviewers
                            .extend(rule.reviewers.into_iter().filter_map(|r| {
                                let account = r.reviewer?;
                                Some(EnvironmentReviewer {
                                    name: account.login.or(account.slug)?,
                                    kind: r.kind,
                                })
                            }));
                    }
                    // `branch_policy` restates deployment_branch_policy; custom
                    // (App) protection rules name no reviewer changeproof can check.
                    _ => {}
                }
            }
            self.items.insert(
                (
                    environment.source.clone(),
                    environment.repo.clone(),
                    environment.name.clone(),
                ),
                environment,
            );
        }
        Ok(Yield {
            records: keys,
            total_count: Some(body.total_count),
        })
    }

    pub fn finish(self) -> Vec<Environment> {
        self.items.into_values().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// GitHub's official example body.
    #[test]
    fn the_official_example_normalizes() {
        let text = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(
            "tests/data/github/rest-examples/GET_repos_owner_repo_environments__default.json",
        ))
        .expect("example file");
        let body: Value = serde_json::from_str(&text).expect("JSON");
        let mut environments = Environments::default();
        let origin = Origin {
            source: "github-acme",
            web_url: "https://github.com",
            sha256: "abc",
        };
        let y = environments
            .page(&origin, "acme/api", &body)
            .expect("parses");
        assert_eq!(y.total_count, Some(1));
        let out = environments.finish();
        assert_eq!(out.len(), 1);
        let e = &out[0];
        assert_eq!(e.name, "staging");
        assert_eq!(e.wait_timer, Some(30));
        assert_eq!(
            e.reviewers,
            vec![
                EnvironmentReviewer {
                    kind: "User".into(),
                    name: "octocat".into()
                },
                EnvironmentReviewer {
                    kind: "Team".into(),
                    name: "justice-league".into()
                },
            ]
        );
        assert!(!e.prevent_self_review);
        assert_eq!(
            e.deployment_branch_policy,
            Some(DeploymentBranchPolicy {
                protected_branches: false,
                custom_branch_policies: true
            })
        );
        assert_eq!(e.evidence, vec!["sha256:abc#/environments/0".to_string()]);
    }
}
