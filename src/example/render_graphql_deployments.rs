//! `ProductionDeployments` as GitHub's GraphQL API would answer it for the example
//! organisation (src/github/queries/production_deployments.graphql).

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use super::people::base64;
use super::render_graphql::{PAGE_SIZE, Page, iso};
use super::render_rest::job_url;
use super::world::{Deployment, ORG, World};
use crate::github::deployments_continue;

/// The pages the collector reads for `repo`, given the production environments it
/// derived from the REST deployment list (`environments`, sorted): newest first, up to
/// and including the first page whose oldest deployment predates the window.
pub fn production_deployments(w: &World, repo: usize, environments: &BTreeSet<&str>) -> Vec<Page> {
    let r = &w.repos[repo];
    let mut list: Vec<&Deployment> = w
        .deployments
        .iter()
        .filter(|d| d.repo == repo && environments.contains(d.environment))
        .collect();
    list.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
    let total = list.len();
    let chunks: Vec<&[&Deployment]> = if list.is_empty() {
        vec![&[]]
    } else {
        list.chunks(PAGE_SIZE).collect()
    };
    let last = chunks.len() - 1;
    let env_names: Vec<&str> = environments.iter().copied().collect();
    let actions = w.people.get(w.people.github_actions);
    let creator = json!({"__typename": actions.typename(), "login": actions.graphql_login});
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    for (k, chunk) in chunks.into_iter().enumerate() {
        let end_cursor = (!chunk.is_empty()).then(|| {
            base64(format!("deployments {} {}", r.name, k * PAGE_SIZE + chunk.len() - 1).as_bytes())
        });
        let nodes: Vec<Value> = chunk
            .iter()
            .map(|d| {
                let log = job_url(r, d);
                // Newest first, as GitHub lists statuses.
                let statuses: Vec<Value> = d
                    .statuses
                    .iter()
                    .rev()
                    .map(|s| {
                        let log_url = matches!(s.state, "in_progress" | "success" | "failure")
                            .then(|| log.clone());
                        json!({
                            "state": s.state.to_ascii_uppercase(),
                            "createdAt": iso(s.created_at),
                            "logUrl": log_url,
                            "creator": creator,
                        })
                    })
                    .collect();
                json!({
                    "databaseId": d.id,
                    "environment": d.environment,
                    "commitOid": d.sha,
                    "createdAt": iso(d.created_at),
                    "statuses": {"totalCount": statuses.len(), "nodes": statuses},
                })
            })
            .collect();
        let oldest = chunk.last().map(|d| d.created_at);
        let more = k < last;
        let mut data = Map::new();
        data.insert(
            "repository".into(),
            json!({
                "nameWithOwner": r.full_name(),
                "deployments": {
                    "totalCount": total,
                    "pageInfo": {"hasNextPage": more, "endCursor": end_cursor},
                    "nodes": nodes,
                },
            }),
        );
        pages.push(Page {
            variables: json!({
                "owner": ORG,
                "name": r.name,
                "environments": env_names,
                "cursor": cursor,
            }),
            data,
        });
        if !more || oldest.is_some_and(|t| !deployments_continue(t, &w.window)) {
            break;
        }
        cursor = end_cursor;
    }
    pages
}
