//! `BranchHistory` (src/github/queries/branch_history.graphql): the commits of one
//! production branch in the window, with the pull requests GitHub associates with each.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::Origin;
use super::de::{ShapeError, elements, member, need, parse_at};
use super::graphql_pull_requests::{GitActorNode, Oid, git_identity};
use super::ipe::Yield;
use crate::model::{AssociatedChange, BranchCommit, Timestamp};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct HistoryNode {
    oid: String,
    message_headline: String,
    authored_date: Timestamp,
    committed_date: Timestamp,
    author: Option<GitActorNode>,
    committer: Option<GitActorNode>,
    parents: Option<Parents>,
    associated_pull_requests: Option<AssociatedPullRequests>,
}

#[derive(Deserialize)]
struct Parents {
    nodes: Option<Vec<Option<Oid>>>,
}

#[derive(Deserialize)]
struct AssociatedPullRequests {
    nodes: Option<Vec<Option<AssociatedPullRequest>>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AssociatedPullRequest {
    number: u64,
    merged: bool,
    merged_at: Option<Timestamp>,
    base_ref_name: String,
    merge_commit: Option<Oid>,
}

pub type CommitKey = (String, String, String, String);

/// What one page said about its branch.
#[derive(Debug, Default)]
pub struct HistoryPage {
    pub contributed: Yield,
    /// GitHub answered that the branch does not exist (`ref: null`).
    pub ref_missing: bool,
}

/// Maps one page of a branch's history (`data` of the response) into `commits`.
pub fn page(
    commits: &mut BTreeMap<CommitKey, BranchCommit>,
    origin: &Origin<'_>,
    repo_from_variables: &str,
    data: &Value,
) -> Result<HistoryPage, ShapeError> {
    let Some(repository) = member(data, "data", "repository")? else {
        return Ok(HistoryPage::default());
    };
    let repo = match member(repository, "data.repository", "nameWithOwner")? {
        Some(name) => parse_at::<String>(name, "data.repository.nameWithOwner")?,
        None => repo_from_variables.to_string(),
    };
    let Some(git_ref) = member(repository, "data.repository", "ref")? else {
        return Ok(HistoryPage {
            ref_missing: true,
            ..HistoryPage::default()
        });
    };
    let branch: String = parse_at(
        need(member(git_ref, "data.repository.ref", "name")?, || {
            "data.repository.ref.name".to_string()
        })?,
        "data.repository.ref.name",
    )?;
    let mut out = HistoryPage::default();
    let Some(target) = member(git_ref, "data.repository.ref", "target")? else {
        return Ok(out);
    };
    let Some(history) = member(target, "data.repository.ref.target", "history")? else {
        // A ref pointing at something other than a commit has no history.
        return Ok(out);
    };
    let base = "data.repository.ref.target.history";
    if let Some(total) = member(history, base, "totalCount")? {
        out.contributed.total_count = Some(parse_at(total, &format!("{base}.totalCount"))?);
    }
    let nodes = match member(history, base, "nodes")? {
        Some(nodes) => elements(nodes, &format!("{base}.nodes"))?,
        None => &[],
    };
    for (i, node) in nodes.iter().enumerate() {
        if node.is_null() {
            continue;
        }
        let node: HistoryNode = parse_at(node, &format!("{base}.nodes[{i}]"))?;
        out.contributed.records.push(node.oid.clone());
        let commit = BranchCommit {
            source: origin.source.to_string().into(),
            repo: repo.clone().into(),
            branch: branch.clone().into(),
            url: format!("{}/{repo}/commit/{}", origin.web_url, node.oid).into(),
            message_headline: node.message_headline.into(),
            author: git_identity(node.author),
            committer: git_identity(node.committer),
            authored_at: node.authored_date,
            committed_at: node.committed_date,
            parents: node
                .parents
                .and_then(|p| p.nodes)
                .into_iter()
                .flatten()
                .flatten()
                .map(|p| p.oid)
                .map(crate::model::Text::from)
                .collect(),
            associated_changes: node
                .associated_pull_requests
                .and_then(|a| a.nodes)
                .into_iter()
                .flatten()
                .flatten()
                .map(|pr| AssociatedChange {
                    number: pr.number,
                    merged: pr.merged,
                    merged_at: pr.merged_at,
                    base_branch: pr.base_ref_name.into(),
                    merge_commit_sha: (pr.merge_commit.map(|c| c.oid)).map(Into::into),
                })
                .collect(),
            evidence: vec![
                origin.evidence(&format!("/data/repository/ref/target/history/nodes/{i}")),
            ],
            sha: node.oid.into(),
        };
        commits.insert(
            (
                commit.source.to_string(),
                commit.repo.to_string(),
                commit.branch.to_string(),
                commit.sha.to_string(),
            ),
            commit,
        );
    }
    Ok(out)
}
