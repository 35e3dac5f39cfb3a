//! `GET /repos/{owner}/{repo}/environments` for the example organisation: every
//! environment the repository deploys to. Production environments require a reviewer
//! (the accounts that approve the example's production runs), forbid self-review and
//! admit only protected branches; `staging` has no protection rules.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::people::base64;
use super::render_rest::{legacy_node_id, user};
use super::world::{API_URL, World};

pub fn environments(w: &World, repo: usize) -> Value {
    let r = &w.repos[repo];
    let names: BTreeSet<&str> = w
        .deployments
        .iter()
        .filter(|d| d.repo == repo)
        .map(|d| d.environment)
        .collect();
    let items: Vec<Value> = names
        .into_iter()
        .enumerate()
        .map(|(k, name)| {
            let id = 161_000_000 + (r.id % 100_000) * 10 + k as u64;
            let production = name != "staging";
            let mut approvers: Vec<_> = w
                .run_approvals
                .iter()
                .filter(|a| a.repo == repo && a.environments.contains(&name))
                .map(|a| a.user)
                .collect();
            approvers.sort_by_key(|a| w.people.get(*a).login.to_ascii_lowercase());
            approvers.dedup();
            let rules: Vec<Value> = if production && !approvers.is_empty() {
                vec![
                    json!({
                        "id": id * 10 + 1,
                        "node_id": legacy_node_id("Gate", id * 10 + 1),
                        "prevent_self_review": true,
                        "type": "required_reviewers",
                        "reviewers": approvers
                            .iter()
                            .map(|a| json!({"type": "User", "reviewer": user(w, *a)}))
                            .collect::<Vec<_>>(),
                    }),
                    json!({
                        "id": id * 10 + 2,
                        "node_id": legacy_node_id("Gate", id * 10 + 2),
                        "type": "branch_policy",
                    }),
                ]
            } else {
                Vec::new()
            };
            json!({
                "id": id,
                "node_id": format!("EN_kwDO{}", base64(format!("{}:{id}", r.id).as_bytes()).trim_end_matches('=')),
                "name": name,
                "url": format!("{API_URL}/repos/{}/environments/{name}", r.full_name()),
                "html_url": format!("https://github.com/{}/deployments/activity_log?environments_filter={name}", r.full_name()),
                "created_at": "2023-02-14T10:22:41Z",
                "updated_at": "2026-03-02T16:05:19Z",
                "can_admins_bypass": !production,
                "protection_rules": rules,
                "deployment_branch_policy": if production {
                    json!({"protected_branches": true, "custom_branch_policies": false})
                } else {
                    Value::Null
                },
            })
        })
        .collect();
    json!({"total_count": items.len(), "environments": items})
}
