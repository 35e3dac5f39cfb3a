//! `POST /graphql`: which query a request sent (from its stored body), GraphQL errors in
//! a 200 response (gaps, with any partial data still used), and dispatch to the
//! per-query normalizers.

use serde::Deserialize;
use serde_json::{Map, Value};

use super::call::Call;
use super::collected::Collected;
use super::de::{ShapeError, member, parse, parse_at};
use super::ipe::QueryKey;
use super::{NormalizeError, Origin, error_message, is_success};
use super::{graphql_branch_history, graphql_pull_requests};
use crate::github::{self, PullRequestConnection};
use crate::locker::Locker;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RequestBody {
    operation_name: Option<String>,
    query: Option<String>,
    variables: Option<Map<String, Value>>,
}

#[derive(Deserialize)]
struct MergedPullRequestsVariables {
    q: String,
}

#[derive(Deserialize)]
struct BranchHistoryVariables {
    owner: String,
    name: String,
    #[serde(rename = "ref")]
    ref_name: String,
}

#[derive(Deserialize)]
struct RepositoryVariables {
    owner: String,
    name: String,
}

#[derive(Deserialize)]
struct PullRequestVariables {
    owner: String,
    name: String,
    number: u64,
}

#[derive(Deserialize)]
struct DeployedCommitVariables {
    owner: String,
    name: String,
    oid: String,
}

#[derive(Deserialize)]
struct GraphQlError {
    message: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Operation {
    MergedPullRequests {
        repo: Option<String>,
    },
    BranchHistory {
        repo: String,
        branch: String,
    },
    /// Production deployments with their statuses.
    ProductionDeployments {
        repo: String,
    },
    /// A per-PR follow-up continuing one nested connection of `MergedPullRequests`.
    PullRequestFollowUp {
        repo: String,
        number: u64,
        connection: PullRequestConnection,
    },
    DeployedCommit {
        repo: String,
        oid: String,
    },
}

impl Operation {
    fn name(&self) -> &'static str {
        match self {
            Operation::MergedPullRequests { .. } => "MergedPullRequests",
            Operation::BranchHistory { .. } => "BranchHistory",
            Operation::ProductionDeployments { .. } => "ProductionDeployments",
            Operation::PullRequestFollowUp { connection, .. } => connection.follow_up().0,
            Operation::DeployedCommit { .. } => "DeployedCommit",
        }
    }

    fn evidence_type(&self) -> &'static str {
        match self {
            Operation::MergedPullRequests { .. } => "pull_requests",
            Operation::BranchHistory { .. } => "branch_commits",
            Operation::ProductionDeployments { .. } => "deployment_statuses",
            Operation::PullRequestFollowUp { .. } => "pull_requests",
            Operation::DeployedCommit { .. } => "deployed_changes",
        }
    }

    fn repo(&self) -> Option<&str> {
        match self {
            Operation::MergedPullRequests { repo } => repo.as_deref(),
            Operation::BranchHistory { repo, .. }
            | Operation::PullRequestFollowUp { repo, .. }
            | Operation::DeployedCommit { repo, .. }
            | Operation::ProductionDeployments { repo } => Some(repo),
        }
    }

    /// What the call covered, for gap reasons.
    fn subject(&self) -> String {
        match self {
            Operation::MergedPullRequests { repo } => repo.clone().unwrap_or_default(),
            Operation::BranchHistory { repo, branch } => format!("{repo} branch {branch}"),
            Operation::ProductionDeployments { repo } => format!("{repo} production deployments"),
            Operation::PullRequestFollowUp {
                repo,
                number,
                connection,
            } => format!("{repo}#{number} {}", connection.name()),
            Operation::DeployedCommit { repo, oid } => format!("{repo} commit {oid}"),
        }
    }
}

/// The query a request body sent: by operation name, else by its exact text.
fn operation_name(body: &RequestBody) -> Option<&'static str> {
    github::QUERIES.iter().find_map(|(name, text)| {
        let by_name = body.operation_name.as_deref() == Some(*name);
        let by_text = body.operation_name.is_none()
            && body.query.as_deref().map(str::trim) == Some(text.trim());
        (by_name || by_text).then_some(*name)
    })
}

/// `repo:acme/api` in a search query.
fn search_repo(q: &str) -> Option<String> {
    q.split_whitespace()
        .find_map(|term| term.strip_prefix("repo:"))
        .map(str::to_string)
}

pub(super) fn process(
    locker: &Locker,
    collected: &mut Collected,
    origin: &Origin<'_>,
    call: &Call<'_>,
) -> Result<(), NormalizeError> {
    let record = call.record;
    let Some(request_sha) = record.request_sha256.as_deref() else {
        return Err(NormalizeError::Request {
            seq: record.seq,
            call: call.label(),
            message: "a GraphQL request without its stored request body (request_sha256); the normalizer cannot tell which query it answers".into(),
        });
    };
    let request_json = locker.raw_json(request_sha)?;
    let request_shape = |e: ShapeError| NormalizeError::Shape {
        call: format!("{} (request body)", call.label()),
        sha256: request_sha.to_string(),
        message: e.to_string(),
    };
    let body: RequestBody = parse(&request_json).map_err(request_shape)?;
    let Some(name) = operation_name(&body) else {
        tracing::debug!(
            seq = record.seq,
            operation = body.operation_name.as_deref().unwrap_or(""),
            "GraphQL operation the normalizer does not read"
        );
        return Ok(());
    };
    let mut variables = body.variables.unwrap_or_default();
    let variables_value = Value::Object(variables.clone());
    let operation = match name {
        "MergedPullRequests" => {
            let v: MergedPullRequestsVariables =
                parse_at(&variables_value, "variables").map_err(request_shape)?;
            Operation::MergedPullRequests {
                repo: search_repo(&v.q),
            }
        }
        "ProductionDeployments" => {
            let v: RepositoryVariables =
                parse_at(&variables_value, "variables").map_err(request_shape)?;
            Operation::ProductionDeployments {
                repo: format!("{}/{}", v.owner, v.name),
            }
        }
        other if PullRequestConnection::of_operation(other).is_some() => {
            let v: PullRequestVariables =
                parse_at(&variables_value, "variables").map_err(request_shape)?;
            Operation::PullRequestFollowUp {
                repo: format!("{}/{}", v.owner, v.name),
                number: v.number,
                connection: PullRequestConnection::of_operation(other)
                    .unwrap_or(PullRequestConnection::Reviews),
            }
        }
        "DeployedCommit" => {
            let v: DeployedCommitVariables =
                parse_at(&variables_value, "variables").map_err(request_shape)?;
            Operation::DeployedCommit {
                repo: format!("{}/{}", v.owner, v.name),
                oid: v.oid,
            }
        }
        _ => {
            let v: BranchHistoryVariables =
                parse_at(&variables_value, "variables").map_err(request_shape)?;
            Operation::BranchHistory {
                repo: format!("{}/{}", v.owner, v.name),
                branch: v
                    .ref_name
                    .strip_prefix("refs/heads/")
                    .unwrap_or(&v.ref_name)
                    .to_string(),
            }
        }
    };
    variables.remove("cursor");
    let label = format!("{} {}", call.label(), operation.name());
    let repo = operation.repo().map(str::to_string);

    if let Operation::PullRequestFollowUp {
        repo,
        number,
        connection,
    } = &operation
    {
        return follow_up(
            locker,
            collected,
            origin,
            &label,
            record,
            repo,
            *number,
            *connection,
        );
    }

    if !is_success(record.status) {
        let message = error_message(locker, record)?;
        collected.gap(
            origin.source,
            operation.evidence_type(),
            repo,
            Some(record.status),
            format!(
                "{label} ({}) returned HTTP {}: {message}",
                operation.subject(),
                record.status
            ),
        );
        if let Operation::BranchHistory { repo, branch } = &operation {
            // The branch was meant to be collected; its history is what is missing.
            collected
                .repositories
                .production_branch(origin.source, repo, branch);
        }
        return Ok(());
    }

    let response = locker.raw_json(&record.response_sha256)?;
    let shape = |e: ShapeError| NormalizeError::Shape {
        call: label.clone(),
        sha256: record.response_sha256.clone(),
        message: e.to_string(),
    };
    let errors: Vec<GraphQlError> = match member(&response, "", "errors").map_err(shape)? {
        Some(errors) => parse_at(errors, "errors").map_err(shape)?,
        None => Vec::new(),
    };
    if !errors.is_empty() {
        let messages: Vec<String> = errors
            .iter()
            .map(|e| {
                let message = e.message.as_deref().unwrap_or("(no message)");
                match &e.kind {
                    Some(kind) => format!("{kind}: {message}"),
                    None => message.to_string(),
                }
            })
            .collect();
        collected.gap(
            origin.source,
            operation.evidence_type(),
            repo.clone(),
            Some(record.status),
            format!(
                "{label} ({}) returned GraphQL errors: {}",
                operation.subject(),
                messages.join("; ")
            ),
        );
    }
    let Some(data) = member(&response, "", "data").map_err(shape)? else {
        if errors.is_empty() {
            return Err(shape(ShapeError::missing("data")));
        }
        if let Operation::BranchHistory { repo, branch } = &operation {
            collected
                .repositories
                .production_branch(origin.source, repo, branch);
        }
        return Ok(());
    };

    let contributed = match &operation {
        Operation::MergedPullRequests { .. } => {
            graphql_pull_requests::page(&mut collected.changes, origin, data).map_err(shape)?
        }
        Operation::PullRequestFollowUp { .. } => return Ok(()),
        Operation::DeployedCommit { .. } => {
            graphql_pull_requests::deployed_commit(&mut collected.changes, origin, data)
                .map_err(shape)?
        }
        Operation::ProductionDeployments { repo } => collected
            .deployments
            .graphql_page(origin, repo, data)
            .map_err(shape)?,
        Operation::BranchHistory { repo, branch } => {
            let page =
                graphql_branch_history::page(&mut collected.branch_commits, origin, repo, data)
                    .map_err(shape)?;
            // A branch GitHub says does not exist is no production branch; one whose
            // answer was cut short by errors still is.
            if !page.ref_missing || !errors.is_empty() {
                collected
                    .repositories
                    .production_branch(origin.source, repo, branch);
            }
            page.contributed
        }
    };
    collected.queries.add(
        QueryKey {
            source: origin.source.to_string(),
            evidence_type: operation.evidence_type().to_string(),
            repo,
            endpoint: label,
            parameters: Value::Object(variables).to_string(),
        },
        &record.response_sha256,
        contributed,
    );
    Ok(())
}

/// A per-PR follow-up page: its records go to the change (see
/// `graphql_pull_requests::merge_follow_ups`). A follow-up that failed, or answered with
/// errors and no data, adds nothing: the change keeps the connection in `incomplete`
/// (and the collection lists it as missing). Follow-ups are no population query of
/// their own, so they add no IPE record.
#[allow(clippy::too_many_arguments)]
fn follow_up(
    locker: &Locker,
    collected: &mut Collected,
    origin: &Origin<'_>,
    label: &str,
    record: &crate::locker::RequestRecord,
    repo: &str,
    number: u64,
    connection: PullRequestConnection,
) -> Result<(), NormalizeError> {
    if !is_success(record.status) {
        tracing::debug!(seq = record.seq, %repo, number, status = record.status, "failed follow-up: the change keeps `{}` incomplete", connection.name());
        return Ok(());
    }
    let response = locker.raw_json(&record.response_sha256)?;
    let shape = |e: ShapeError| NormalizeError::Shape {
        call: label.to_string(),
        sha256: record.response_sha256.clone(),
        message: e.to_string(),
    };
    let Some(data) = member(&response, "", "data").map_err(shape)? else {
        return Ok(());
    };
    if !data.is_null() {
        graphql_pull_requests::follow_up_page(
            &mut collected.follow_ups,
            origin,
            repo,
            connection,
            data,
        )
        .map_err(shape)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_repo_qualifier() {
        assert_eq!(
            search_repo("repo:acme/api is:pr is:merged merged:2026-06-30..2026-10-01"),
            Some("acme/api".to_string())
        );
        assert_eq!(search_repo("is:pr"), None);
    }

    #[test]
    fn operations_are_identified_by_name_or_text() {
        let by_name = RequestBody {
            operation_name: Some("BranchHistory".into()),
            query: None,
            variables: None,
        };
        assert_eq!(operation_name(&by_name), Some("BranchHistory"));
        let by_text = RequestBody {
            operation_name: None,
            query: Some(github::MERGED_PULL_REQUESTS.to_string()),
            variables: None,
        };
        assert_eq!(operation_name(&by_text), Some("MergedPullRequests"));
        let other = RequestBody {
            operation_name: Some("Viewer".into()),
            query: Some("query Viewer { viewer { login } }".into()),
            variables: None,
        };
        assert_eq!(operation_name(&other), None);
    }
}
