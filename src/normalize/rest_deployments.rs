//! Deployments (`GET …/deployments`), their status histories
//! (`GET …/deployments/{id}/statuses`) and the environment approvals of the workflow run
//! that created them (`GET …/actions/runs/{run_id}/approvals`). Statuses come from the
//! GraphQL `ProductionDeployments` query (nested in each deployment) or, in lockers
//! written before it, from one REST call per deployment; both land in the same records.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::Origin;
use super::de::{ShapeError, parse, parse_at};
use super::ipe::Yield;
use crate::model::{
    Actor, ActorKind, Deployment, DeploymentApproval, DeploymentStatus, EvidenceRef, Timestamp,
};

#[derive(Deserialize)]
pub(super) struct UserItem {
    pub login: String,
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

impl UserItem {
    pub fn actor(self) -> Actor {
        Actor {
            kind: ActorKind::from_github_type(self.kind.as_deref().unwrap_or("")),
            login: self.login.into(),
        }
    }
}

#[derive(Deserialize)]
struct DeploymentItem {
    id: u64,
    sha: String,
    #[serde(rename = "ref")]
    ref_name: String,
    environment: String,
    created_at: Timestamp,
    creator: Option<UserItem>,
    url: String,
}

#[derive(Deserialize)]
struct StatusItem {
    id: u64,
    state: String,
    created_at: Timestamp,
    creator: Option<UserItem>,
    log_url: Option<String>,
    target_url: Option<String>,
}

#[derive(Deserialize)]
struct ApprovalItem {
    user: UserItem,
    state: String,
    #[serde(default)]
    environments: Vec<EnvironmentItem>,
    comment: Option<String>,
}

#[derive(Deserialize)]
struct EnvironmentItem {
    name: Option<String>,
}

#[derive(Deserialize)]
struct GqlPage {
    repository: Option<GqlRepository>,
}

#[derive(Deserialize)]
struct GqlRepository {
    deployments: GqlConnection<GqlDeployment>,
}

#[derive(Deserialize)]
struct GqlConnection<T> {
    nodes: Vec<T>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GqlDeployment {
    database_id: Option<u64>,
    statuses: GqlConnection<GqlStatus>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GqlStatus {
    state: String,
    created_at: Timestamp,
    log_url: Option<String>,
    creator: Option<GqlActor>,
}

#[derive(Deserialize)]
struct GqlActor {
    #[serde(rename = "__typename")]
    typename: Option<String>,
    login: String,
}

impl GqlActor {
    /// As REST names the account: GraphQL gives an App's bot as `github-actions`, REST
    /// (and the deployment's own `creator`) as `github-actions[bot]`.
    fn actor(self) -> Actor {
        Actor::github(self.typename.as_deref().unwrap_or(""), &self.login)
    }
}

type RepoKey = (String, String);

#[derive(Debug)]
struct StatusEntry {
    status: DeploymentStatus,
    /// `target_url`, the field `log_url` replaced; still where some tools put the run.
    target_url: Option<String>,
    evidence: EvidenceRef,
}

#[derive(Debug, Default)]
pub struct Deployments {
    deployments: BTreeMap<(String, String, u64), Deployment>,
    /// (source, repo, deployment id) → status id → status.
    statuses: BTreeMap<(String, String, u64), BTreeMap<u64, StatusEntry>>,
    /// (source, repo, deployment id) → statuses from `ProductionDeployments`, in response
    /// order (a page seen again replaces the earlier copy).
    graphql_statuses: BTreeMap<(String, String, u64), Vec<StatusEntry>>,
    /// (source, repo, run id) → approvals, in response order.
    approvals: BTreeMap<(String, String, u64), Vec<DeploymentApproval>>,
}

fn repo_key(origin: &Origin<'_>, repo: &str) -> RepoKey {
    (origin.source.to_string(), repo.to_string())
}

impl Deployments {
    pub fn deployments(
        &mut self,
        origin: &Origin<'_>,
        repo: &str,
        body: &Value,
    ) -> Result<Yield, ShapeError> {
        let items: Vec<DeploymentItem> = parse(body)?;
        let (source, repo) = repo_key(origin, repo);
        let mut keys = Vec::with_capacity(items.len());
        for (i, item) in items.into_iter().enumerate() {
            keys.push(item.id.to_string());
            let deployment = Deployment {
                source: source.clone().into(),
                repo: repo.clone().into(),
                id: item.id.to_string().into(),
                environment: item.environment.into(),
                sha: item.sha.into(),
                ref_name: item.ref_name.into(),
                created_at: item.created_at,
                creator: item.creator.map(UserItem::actor),
                statuses: Vec::new(),
                workflow_run_id: None,
                approvals: Vec::new(),
                url: item.url.into(),
                evidence: vec![origin.evidence(&format!("/{i}"))],
            };
            self.deployments
                .insert((source.clone(), repo.clone(), item.id), deployment);
        }
        Ok(Yield::records(keys))
    }

    pub fn statuses(
        &mut self,
        origin: &Origin<'_>,
        repo: &str,
        deployment_id: u64,
        body: &Value,
    ) -> Result<Yield, ShapeError> {
        let items: Vec<StatusItem> = parse(body)?;
        let (source, repo) = repo_key(origin, repo);
        let entries = self
            .statuses
            .entry((source, repo, deployment_id))
            .or_default();
        let mut keys = Vec::with_capacity(items.len());
        for (i, item) in items.into_iter().enumerate() {
            keys.push(item.id.to_string());
            let entry = StatusEntry {
                status: DeploymentStatus {
                    state: item.state.into(),
                    created_at: item.created_at,
                    creator: item.creator.map(UserItem::actor),
                    log_url: (item.log_url.or_else(|| item.target_url.clone())).map(Into::into),
                },
                target_url: item.target_url,
                evidence: origin.evidence(&format!("/{i}")),
            };
            entries.insert(item.id, entry);
        }
        Ok(Yield::records(keys))
    }

    /// One `ProductionDeployments` page (`data`): the statuses of each deployment. The
    /// deployments themselves come from the REST list, which names every deployment.
    pub fn graphql_page(
        &mut self,
        origin: &Origin<'_>,
        repo: &str,
        data: &Value,
    ) -> Result<Yield, ShapeError> {
        let page: GqlPage = parse_at(data, "/data")?;
        let Some(repository) = page.repository else {
            return Ok(Yield::records(Vec::new()));
        };
        let (source, repo) = repo_key(origin, repo);
        let mut keys = Vec::new();
        for (i, node) in repository.deployments.nodes.into_iter().enumerate() {
            let Some(id) = node.database_id else {
                continue;
            };
            keys.push(id.to_string());
            let entries = node
                .statuses
                .nodes
                .into_iter()
                .enumerate()
                .map(|(j, status)| StatusEntry {
                    status: DeploymentStatus {
                        // GraphQL's enum (`SUCCESS`) as REST spells it (`success`).
                        state: status.state.to_ascii_lowercase().into(),
                        created_at: status.created_at,
                        creator: status.creator.map(GqlActor::actor),
                        log_url: (status.log_url).map(Into::into),
                    },
                    target_url: None,
                    evidence: origin.evidence(&format!(
                        "/data/repository/deployments/nodes/{i}/statuses/nodes/{j}"
                    )),
                })
                .collect();
            self.graphql_statuses
                .insert((source.clone(), repo.clone(), id), entries);
        }
        Ok(Yield::records(keys))
    }

    pub fn approvals(
        &mut self,
        origin: &Origin<'_>,
        repo: &str,
        run_id: u64,
        body: &Value,
    ) -> Result<Yield, ShapeError> {
        let items: Vec<ApprovalItem> = parse(body)?;
        let (source, repo) = repo_key(origin, repo);
        let approvals = self.approvals.entry((source, repo, run_id)).or_default();
        let mut keys = Vec::with_capacity(items.len());
        for (i, item) in items.into_iter().enumerate() {
            keys.push(format!("{run_id}:{}", origin.evidence(&format!("/{i}"))));
            approvals.push(DeploymentApproval {
                user: item.user.actor(),
                state: item.state.into(),
                environments: item
                    .environments
                    .into_iter()
                    .filter_map(|e| e.name)
                    .map(crate::model::Text::from)
                    .collect(),
                comment: item.comment.unwrap_or_default().into(),
                evidence: vec![origin.evidence(&format!("/{i}"))],
            });
        }
        Ok(Yield::records(keys))
    }

    /// Joins statuses to their deployments (oldest first, by time then id) and approvals
    /// to deployments through the workflow run named in a status URL.
    ///
    /// `window_start`: the last `ProductionDeployments` page may reach deployments created
    /// before the window (paging stops there); their statuses belong to no population
    /// and are not attached, as the per-deployment REST calls never fetched them.
    pub fn finish(mut self, window_start: Timestamp) -> Vec<Deployment> {
        let mut out = Vec::with_capacity(self.deployments.len());
        for ((source, repo, id), mut deployment) in self.deployments {
            let key = (source.clone(), repo.clone(), id);
            let mut entries: Vec<(u64, StatusEntry)> = self
                .statuses
                .remove(&key)
                .map(|m| m.into_iter().collect())
                .unwrap_or_default();
            // GraphQL statuses carry no REST id: ordered by time, then response position
            // (the sort is stable; same-second statuses keep GitHub's order reversed, as
            // GitHub lists them newest first).
            if let Some(graphql) = self.graphql_statuses.remove(&key)
                && deployment.created_at >= window_start
            {
                let n = graphql.len() as u64;
                entries.extend(
                    graphql
                        .into_iter()
                        .enumerate()
                        .map(|(j, e)| (n - j as u64, e)),
                );
            }
            entries.sort_by(|(a_id, a), (b_id, b)| {
                (a.status.created_at, a_id).cmp(&(b.status.created_at, b_id))
            });
            deployment.workflow_run_id = entries.iter().find_map(|(_, e)| {
                e.status
                    .log_url
                    .as_deref()
                    .and_then(workflow_run_id)
                    .or_else(|| e.target_url.as_deref().and_then(workflow_run_id))
            });
            for (_, entry) in entries {
                deployment.evidence.push(entry.evidence);
                deployment.statuses.push(entry.status);
            }
            if let Some(run) = deployment.workflow_run_id
                && let Some(approvals) = self.approvals.get(&(source, repo, run))
            {
                deployment.approvals = approvals.clone();
            }
            out.push(deployment);
        }
        for (source, repo, id) in self.statuses.keys() {
            tracing::debug!(%source, %repo, id, "statuses of a deployment missing from the deployment list");
        }
        out
    }
}

/// The workflow run id in a URL such as
/// `https://github.com/acme/api/actions/runs/123456/job/789`.
pub fn workflow_run_id(url: &str) -> Option<u64> {
    let (_, rest) = url.split_once("/actions/runs/")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::workflow_run_id;

    #[test]
    fn run_ids_come_from_actions_urls_only() {
        assert_eq!(
            workflow_run_id("https://github.com/acme/api/actions/runs/123456/job/789"),
            Some(123456)
        );
        assert_eq!(
            workflow_run_id("https://github.com/acme/api/actions/runs/42"),
            Some(42)
        );
        assert_eq!(
            workflow_run_id("https://example.com/deployment/42/output"),
            None
        );
        assert_eq!(
            workflow_run_id("https://github.com/acme/api/actions/runs/"),
            None
        );
    }
}
