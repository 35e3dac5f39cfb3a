//! `MergedPullRequests` (src/github/queries/merged_pull_requests.graphql): one
//! [`Change`] per pull request node, with reviews, commits, head checks, labels and
//! timeline events.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::Origin;
use super::de::{ShapeError, elements, member, need, parse_at};
use super::ipe::Yield;
use super::trailers::co_authors;
use crate::github::PullRequestConnection;
use crate::model::{
    Actor, Change, CheckKind, CheckRun, CheckState, Checks, CommitInfo, EvidenceRef, GitIdentity,
    Review, ReviewState, TimelineEvent, TimelineKind, Timestamp,
};

/// Names put into [`Change::incomplete`] when a nested connection was truncated.
/// (They are [`PullRequestConnection::name`]; a follow-up that completes the connection
/// removes its name.)
pub const INCOMPLETE_LABELS: &str = "labels";
pub const INCOMPLETE_REVIEWS: &str = "reviews";
pub const INCOMPLETE_COMMITS: &str = "commits";
pub const INCOMPLETE_CHECKS: &str = "checks";
pub const INCOMPLETE_TIMELINE: &str = "timeline";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PullRequestNode {
    number: u64,
    title: String,
    url: String,
    created_at: Timestamp,
    merged_at: Option<Timestamp>,
    repository: RepositoryRef,
    author: Option<ActorNode>,
    merged_by: Option<ActorNode>,
    base_ref_name: String,
    head_ref_name: String,
    head_ref_oid: String,
    merge_commit: Option<Oid>,
    labels: Option<Connection<LabelNode>>,
    reviews: Option<Connection<ReviewNode>>,
    commits: Option<Connection<PullRequestCommit>>,
    head_commit: Option<Connection<PullRequestHeadCommit>>,
    timeline_items: Option<Connection<TimelineNode>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Connection<T> {
    total_count: Option<u64>,
    nodes: Option<Vec<Option<T>>>,
}

impl<T> Connection<T> {
    fn nodes(&self) -> impl Iterator<Item = (usize, &T)> {
        self.nodes
            .iter()
            .flatten()
            .enumerate()
            .filter_map(|(i, n)| n.as_ref().map(|n| (i, n)))
    }
}

/// Whether a connection came back in full: present, with nodes, and no more than it holds.
fn complete<T>(connection: Option<&Connection<T>>) -> bool {
    match connection {
        Some(Connection {
            total_count,
            nodes: Some(nodes),
        }) => total_count.is_none_or(|total| total <= nodes.len() as u64),
        _ => false,
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RepositoryRef {
    name_with_owner: String,
}

#[derive(Deserialize)]
pub(super) struct Oid {
    pub oid: String,
}

#[derive(Deserialize)]
pub(super) struct ActorNode {
    #[serde(rename = "__typename")]
    typename: String,
    login: String,
}

impl ActorNode {
    fn actor(&self) -> Actor {
        Actor::github(&self.typename, &self.login)
    }
}

#[derive(Deserialize)]
struct LabelNode {
    name: String,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum PullRequestReviewState {
    Approved,
    ChangesRequested,
    Commented,
    Dismissed,
    Pending,
}

impl From<PullRequestReviewState> for ReviewState {
    fn from(state: PullRequestReviewState) -> ReviewState {
        match state {
            PullRequestReviewState::Approved => ReviewState::Approved,
            PullRequestReviewState::ChangesRequested => ReviewState::ChangesRequested,
            PullRequestReviewState::Commented => ReviewState::Commented,
            PullRequestReviewState::Dismissed => ReviewState::Dismissed,
            PullRequestReviewState::Pending => ReviewState::Pending,
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReviewNode {
    database_id: Option<u64>,
    author: Option<ActorNode>,
    state: PullRequestReviewState,
    submitted_at: Option<Timestamp>,
    commit: Option<Oid>,
}

#[derive(Deserialize)]
struct PullRequestCommit {
    commit: CommitNode,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CommitNode {
    oid: String,
    message: String,
    authored_date: Timestamp,
    committed_date: Timestamp,
    author: Option<GitActorNode>,
    committer: Option<GitActorNode>,
}

#[derive(Deserialize)]
pub(super) struct GitActorNode {
    name: Option<String>,
    email: Option<String>,
    user: Option<LoginNode>,
}

#[derive(Deserialize)]
struct LoginNode {
    login: String,
}

/// A git identity; GitHub reports a missing one (or its parts) as null.
pub(super) fn git_identity(actor: Option<GitActorNode>) -> GitIdentity {
    let actor = actor.unwrap_or(GitActorNode {
        name: None,
        email: None,
        user: None,
    });
    GitIdentity {
        name: actor.name.unwrap_or_default().into(),
        email: actor.email.unwrap_or_default().into(),
        login: (actor.user.map(|u| u.login)).map(Into::into),
    }
}

#[derive(Deserialize)]
struct PullRequestHeadCommit {
    commit: HeadCommit,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct HeadCommit {
    oid: String,
    status_check_rollup: Option<Rollup>,
}

#[derive(Deserialize)]
struct Rollup {
    state: StatusState,
    contexts: Option<Connection<ContextNode>>,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum StatusState {
    Error,
    Expected,
    Failure,
    Pending,
    Success,
}

impl StatusState {
    fn check_state(self) -> CheckState {
        match self {
            StatusState::Error => CheckState::Error,
            StatusState::Expected => CheckState::Expected,
            StatusState::Failure => CheckState::Failure,
            StatusState::Pending => CheckState::Pending,
            StatusState::Success => CheckState::Success,
        }
    }

    /// A status context's state as a REST-style conclusion; `EXPECTED` (required but not
    /// yet reported) has not concluded, like `PENDING`.
    fn conclusion(self) -> &'static str {
        match self {
            StatusState::Error => "error",
            StatusState::Failure => "failure",
            StatusState::Success => "success",
            StatusState::Pending | StatusState::Expected => "pending",
        }
    }
}

/// A `CheckRun` or `StatusContext` (the union's members, flattened).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ContextNode {
    #[serde(rename = "__typename")]
    typename: String,
    name: Option<String>,
    status: Option<String>,
    conclusion: Option<String>,
    check_suite: Option<CheckSuite>,
    context: Option<String>,
    state: Option<StatusState>,
}

#[derive(Deserialize)]
struct CheckSuite {
    app: Option<App>,
}

#[derive(Deserialize)]
struct App {
    slug: Option<String>,
}

/// A timeline item (the three event types queried, flattened).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TimelineNode {
    #[serde(rename = "__typename")]
    typename: String,
    created_at: Option<Timestamp>,
    actor: Option<ActorNode>,
    review: Option<DatabaseId>,
    previous_review_state: Option<PullRequestReviewState>,
    before_commit: Option<Oid>,
    after_commit: Option<Oid>,
    commit: Option<Oid>,
    merge_ref_name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DatabaseId {
    database_id: Option<u64>,
}

pub type ChangeKey = (String, String, u64);

/// Maps one page of search results (`data` of the response) into `changes`; a PR seen
/// before (a retried or shifted page) is replaced by this later copy.
pub fn page(
    changes: &mut BTreeMap<ChangeKey, Change>,
    origin: &Origin<'_>,
    data: &Value,
) -> Result<Yield, ShapeError> {
    let Some(search) = member(data, "data", "search")? else {
        return Ok(Yield::default());
    };
    let issue_count = match member(search, "data.search", "issueCount")? {
        Some(count) => Some(parse_at::<u64>(count, "data.search.issueCount")?),
        None => None,
    };
    let nodes = match member(search, "data.search", "nodes")? {
        Some(nodes) => elements(nodes, "data.search.nodes")?,
        None => &[],
    };
    let mut keys = Vec::with_capacity(nodes.len());
    for (i, node) in nodes.iter().enumerate() {
        let path = format!("data.search.nodes[{i}]");
        if node.is_null() {
            continue;
        }
        let typename = need(member(node, &path, "__typename")?, || {
            format!("{path}.__typename")
        })?;
        if typename.as_str() != Some("PullRequest") {
            continue;
        }
        let pr: PullRequestNode = parse_at(node, &path)?;
        let pointer = format!("/data/search/nodes/{i}");
        let Some(change) = change(origin, pr, &path, &pointer)? else {
            continue;
        };
        keys.push(format!("{}#{}", change.repo, change.number));
        changes.insert(
            (
                change.source.to_string(),
                change.repo.to_string(),
                change.number,
            ),
            change,
        );
    }
    Ok(Yield {
        records: keys,
        total_count: issue_count,
    })
}

/// Maps a `DeployedCommit` answer (`data`): every merged pull request GitHub associates
/// with the commit becomes a [`Change`], exactly as a search result would. A change the
/// search also returned is kept once (keyed like the search's).
pub fn deployed_commit(
    changes: &mut BTreeMap<ChangeKey, Change>,
    origin: &Origin<'_>,
    data: &Value,
) -> Result<Yield, ShapeError> {
    let base = "data.repository.object.associatedPullRequests";
    let Some(repository) = member(data, "data", "repository")? else {
        return Ok(Yield::default());
    };
    let Some(object) = member(repository, "data.repository", "object")? else {
        return Ok(Yield::default());
    };
    let Some(associated) = member(object, "data.repository.object", "associatedPullRequests")?
    else {
        return Ok(Yield::default());
    };
    let total = match member(associated, base, "totalCount")? {
        Some(count) => Some(parse_at::<u64>(count, &format!("{base}.totalCount"))?),
        None => None,
    };
    let nodes = match member(associated, base, "nodes")? {
        Some(nodes) => elements(nodes, &format!("{base}.nodes"))?,
        None => &[],
    };
    let mut keys = Vec::with_capacity(nodes.len());
    for (i, node) in nodes.iter().enumerate() {
        if node.is_null() {
            continue;
        }
        let path = format!("{base}.nodes[{i}]");
        let pr: PullRequestNode = parse_at(node, &path)?;
        let pointer = format!("/data/repository/object/associatedPullRequests/nodes/{i}");
        let Some(change) = change(origin, pr, &path, &pointer)? else {
            continue;
        };
        keys.push(format!("{}#{}", change.repo, change.number));
        let key = (
            change.source.to_string(),
            change.repo.to_string(),
            change.number,
        );
        // The search's copy (the population's evidence) wins over this context copy.
        changes.entry(key).or_insert(change);
    }
    Ok(Yield {
        records: keys,
        total_count: total,
    })
}

fn change(
    origin: &Origin<'_>,
    pr: PullRequestNode,
    path: &str,
    pointer: &str,
) -> Result<Option<Change>, ShapeError> {
    let Some(merged_at) = pr.merged_at else {
        // Not merged (the search asks for merged PRs only): not a change.
        tracing::debug!(repo = %pr.repository.name_with_owner, number = pr.number, "unmerged pull request in the search results");
        return Ok(None);
    };
    let mut incomplete = Vec::new();
    if !complete(pr.labels.as_ref()) {
        incomplete.push(INCOMPLETE_LABELS.into());
    }
    if !complete(pr.reviews.as_ref()) {
        incomplete.push(INCOMPLETE_REVIEWS.to_string());
    }
    if !complete(pr.commits.as_ref()) {
        incomplete.push(INCOMPLETE_COMMITS.to_string());
    }
    if !complete(pr.timeline_items.as_ref()) {
        incomplete.push(INCOMPLETE_TIMELINE.to_string());
    }
    let (checks, checks_complete) = checks(pr.head_commit, &pr.head_ref_oid, path)?;
    if !checks_complete {
        incomplete.push(INCOMPLETE_CHECKS.to_string());
    }
    incomplete.sort();

    let mut labels: Vec<String> = pr
        .labels
        .iter()
        .flat_map(|c| c.nodes())
        .map(|(_, l)| l.name.clone())
        .collect();
    labels.sort();
    labels.dedup();

    let reviews = reviews(pr.reviews.as_ref(), origin, pointer);
    let commits = commits(pr.commits);

    let timeline = timeline(pr.timeline_items, path)?;

    Ok(Some(Change {
        source: origin.source.to_string().into(),
        repo: pr.repository.name_with_owner.into(),
        number: pr.number,
        title: pr.title.into(),
        url: pr.url.into(),
        author: pr.author.as_ref().map(ActorNode::actor),
        base_branch: pr.base_ref_name.into(),
        head_branch: pr.head_ref_name.into(),
        created_at: pr.created_at,
        merged_at,
        merged_by: pr.merged_by.as_ref().map(ActorNode::actor),
        merge_commit_sha: (pr.merge_commit.map(|c| c.oid)).map(Into::into),
        head_sha: pr.head_ref_oid.into(),
        labels: crate::model::texts(labels),
        reviews,
        commits,
        checks,
        timeline,
        incomplete: crate::model::texts(incomplete),
        evidence: vec![origin.evidence(pointer)],
    }))
}

fn reviews(
    connection: Option<&Connection<ReviewNode>>,
    origin: &Origin<'_>,
    pointer: &str,
) -> Vec<Review> {
    connection
        .iter()
        .flat_map(|c| c.nodes())
        .map(|(j, r)| Review {
            id: r
                .database_id
                .map(|id| id.to_string())
                .unwrap_or_default()
                .into(),
            author: r.author.as_ref().map(ActorNode::actor),
            state: r.state.into(),
            submitted_at: r.submitted_at,
            commit_sha: (r.commit.as_ref().map(|c| c.oid.clone())).map(Into::into),
            evidence: vec![origin.evidence(&format!("{pointer}/reviews/nodes/{j}"))],
        })
        .collect()
}

fn commits(connection: Option<Connection<PullRequestCommit>>) -> Vec<CommitInfo> {
    connection
        .into_iter()
        .flat_map(|c| c.nodes.into_iter().flatten().flatten())
        .map(|node| {
            let c = node.commit;
            CommitInfo {
                co_authors: co_authors(&c.message),
                sha: c.oid.into(),
                message: c.message.into(),
                author: git_identity(c.author),
                committer: git_identity(c.committer),
                authored_at: c.authored_date,
                committed_at: c.committed_date,
            }
        })
        .collect()
}

/// The head commit's checks, and whether all of them came back.
fn checks(
    head: Option<Connection<PullRequestHeadCommit>>,
    head_ref_oid: &str,
    path: &str,
) -> Result<(Checks, bool), ShapeError> {
    let no_checks = |complete| {
        (
            Checks {
                sha: head_ref_oid.to_string().into(),
                rollup: None,
                runs: Vec::new(),
            },
            complete,
        )
    };
    let Some(head) = head
        .and_then(|c| c.nodes)
        .and_then(|n| n.into_iter().next().flatten())
    else {
        // Without the head commit node, nothing is known about its checks.
        return Ok(no_checks(false));
    };
    let commit = head.commit;
    let Some(rollup) = commit.status_check_rollup else {
        // GitHub's rollup is null when the commit has no checks at all.
        return Ok((
            Checks {
                sha: commit.oid.into(),
                rollup: None,
                runs: Vec::new(),
            },
            true,
        ));
    };
    let base = format!("{path}.headCommit.nodes[0].commit.statusCheckRollup.contexts.nodes");
    let complete = complete(rollup.contexts.as_ref());
    let runs = check_runs(rollup.contexts.as_ref(), &base)?;
    Ok((
        Checks {
            sha: commit.oid.into(),
            rollup: Some(rollup.state.check_state()),
            runs,
        },
        complete,
    ))
}

/// The check runs and status contexts of a rollup's `contexts` connection.
fn check_runs(
    contexts: Option<&Connection<ContextNode>>,
    base: &str,
) -> Result<Vec<CheckRun>, ShapeError> {
    let mut runs = Vec::new();
    for (k, node) in contexts.iter().flat_map(|c| c.nodes()) {
        let at = |field: &str| format!("{base}[{k}].{field}");
        match node.typename.as_str() {
            "CheckRun" => {
                let status = need(node.status.as_deref(), || at("status"))?;
                runs.push(CheckRun {
                    name: need(node.name.clone(), || at("name"))?.into(),
                    kind: CheckKind::CheckRun,
                    conclusion: if status.eq_ignore_ascii_case("COMPLETED") {
                        (node.conclusion.as_deref().map(str::to_ascii_lowercase)).map(Into::into)
                    } else {
                        None
                    },
                    app: (node
                        .check_suite
                        .as_ref()
                        .and_then(|s| s.app.as_ref())
                        .and_then(|a| a.slug.clone()))
                    .map(Into::into),
                });
            }
            "StatusContext" => runs.push(CheckRun {
                name: need(node.context.clone(), || at("context"))?.into(),
                kind: CheckKind::StatusContext,
                conclusion: Some(
                    need(node.state, || at("state"))?
                        .conclusion()
                        .to_string()
                        .into(),
                ),
                app: None,
            }),
            other => tracing::debug!(typename = other, "unknown check context type ignored"),
        }
    }
    Ok(runs)
}

fn timeline(
    items: Option<Connection<TimelineNode>>,
    path: &str,
) -> Result<Vec<TimelineEvent>, ShapeError> {
    let mut events = Vec::new();
    let Some(items) = items else {
        return Ok(events);
    };
    for (k, node) in items.nodes.into_iter().flatten().enumerate() {
        let Some(node) = node else { continue };
        let event = match node.typename.as_str() {
            "ReviewDismissedEvent" => TimelineKind::ReviewDismissed {
                review_id: (node
                    .review
                    .and_then(|r| r.database_id)
                    .map(|id| id.to_string()))
                .map(Into::into),
                previous_state: node.previous_review_state.map(Into::into),
            },
            "HeadRefForcePushedEvent" => TimelineKind::HeadRefForcePushed {
                before: (node.before_commit.map(|c| c.oid)).map(Into::into),
                after: (node.after_commit.map(|c| c.oid)).map(Into::into),
            },
            "MergedEvent" => TimelineKind::Merged {
                commit: (node.commit.map(|c| c.oid)).map(Into::into),
                base: (node.merge_ref_name).map(Into::into),
            },
            other => {
                tracing::debug!(typename = other, "unknown timeline item type ignored");
                continue;
            }
        };
        events.push(TimelineEvent {
            at: need(node.created_at, || {
                format!("{path}.timelineItems.nodes[{k}].createdAt")
            })?,
            actor: node.actor.as_ref().map(ActorNode::actor),
            event,
        });
    }
    Ok(events)
}

/// What the follow-up queries (`PullRequestReviews` …) returned for one change: the
/// records after the first page, and the connection totals they reported.
#[derive(Debug, Default)]
pub struct FollowUp {
    labels: Vec<String>,
    reviews: Vec<Review>,
    commits: Vec<CommitInfo>,
    checks: Vec<CheckRun>,
    timeline: Vec<TimelineEvent>,
    /// `totalCount` of each connection as its latest follow-up page reported it.
    totals: BTreeMap<PullRequestConnection, u64>,
    /// Per connection (so that the order does not depend on which follow-up answered
    /// first), its pages in request order.
    evidence: BTreeMap<PullRequestConnection, Vec<EvidenceRef>>,
}

pub type FollowUps = BTreeMap<ChangeKey, FollowUp>;

/// `repository.pullRequest` of a follow-up response: only the queried connection is set.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FollowUpNode {
    number: u64,
    labels: Option<Connection<LabelNode>>,
    reviews: Option<Connection<ReviewNode>>,
    commits: Option<Connection<PullRequestCommit>>,
    head_commit: Option<Connection<PullRequestHeadCommit>>,
    timeline_items: Option<Connection<TimelineNode>>,
}

/// One page of a follow-up query (`data` of the response) for the change `repo`#number:
/// its records are kept apart until [`merge_follow_ups`], so the order in which pages
/// and the search page holding the change are read does not matter.
pub fn follow_up_page(
    follow_ups: &mut FollowUps,
    origin: &Origin<'_>,
    repo: &str,
    connection: PullRequestConnection,
    data: &Value,
) -> Result<(), ShapeError> {
    let base = "data.repository.pullRequest";
    let Some(repository) = member(data, "data", "repository")? else {
        return Ok(());
    };
    let Some(node) = member(repository, "data.repository", "pullRequest")? else {
        return Ok(());
    };
    let pr: FollowUpNode = parse_at(node, base)?;
    let key = (origin.source.to_string(), repo.to_string(), pr.number);
    let pointer = "/data/repository/pullRequest";
    let f = follow_ups.entry(key).or_default();
    let total = |c: Option<u64>, f: &mut FollowUp| {
        if let Some(total) = c {
            f.totals.insert(connection, total);
        }
    };
    match connection {
        PullRequestConnection::Labels => {
            let Some(c) = pr.labels else { return Ok(()) };
            total(c.total_count, f);
            f.labels.extend(c.nodes().map(|(_, l)| l.name.clone()));
        }
        PullRequestConnection::Reviews => {
            let Some(c) = pr.reviews else { return Ok(()) };
            total(c.total_count, f);
            f.reviews.extend(reviews(Some(&c), origin, pointer));
        }
        PullRequestConnection::Commits => {
            let Some(c) = pr.commits else { return Ok(()) };
            total(c.total_count, f);
            f.commits.extend(commits(Some(c)));
        }
        PullRequestConnection::Checks => {
            let Some(contexts) = pr
                .head_commit
                .and_then(|c| c.nodes)
                .and_then(|n| n.into_iter().next().flatten())
                .and_then(|h| h.commit.status_check_rollup)
                .and_then(|r| r.contexts)
            else {
                return Ok(());
            };
            total(contexts.total_count, f);
            let at = format!("{base}.headCommit.nodes[0].commit.statusCheckRollup.contexts.nodes");
            f.checks.extend(check_runs(Some(&contexts), &at)?);
        }
        PullRequestConnection::Timeline => {
            let Some(c) = pr.timeline_items else {
                return Ok(());
            };
            total(c.total_count, f);
            f.timeline.extend(timeline(Some(c), base)?);
        }
    }
    f.evidence
        .entry(connection)
        .or_default()
        .push(origin.evidence(pointer));
    Ok(())
}

/// Adds the follow-up records to their changes (a record already present — same review
/// id, commit sha, label, or an identical check or event — is kept once) and clears a
/// connection from `incomplete` when the change now holds as many records as its total.
/// A connection whose follow-up failed or stopped short stays incomplete.
pub fn merge_follow_ups(changes: &mut BTreeMap<ChangeKey, Change>, follow_ups: FollowUps) {
    for (key, f) in follow_ups {
        let Some(change) = changes.get_mut(&key) else {
            tracing::debug!(repo = %key.1, number = key.2, "follow-up for a pull request no search returned");
            continue;
        };
        change
            .labels
            .extend(f.labels.into_iter().map(crate::model::Text::from));
        change.labels.sort();
        change.labels.dedup();
        for review in f.reviews {
            let known = !review.id.is_empty() && change.reviews.iter().any(|r| r.id == review.id);
            if !known {
                change.reviews.push(review);
            }
        }
        for commit in f.commits {
            if !change.commits.iter().any(|c| c.sha == commit.sha) {
                change.commits.push(commit);
            }
        }
        for run in f.checks {
            if !change.checks.runs.contains(&run) {
                change.checks.runs.push(run);
            }
        }
        for event in f.timeline {
            if !change.timeline.contains(&event) {
                change.timeline.push(event);
            }
        }
        for (connection, total) in f.totals {
            let held = match connection {
                PullRequestConnection::Labels => change.labels.len(),
                PullRequestConnection::Reviews => change.reviews.len(),
                PullRequestConnection::Commits => change.commits.len(),
                PullRequestConnection::Checks => change.checks.runs.len(),
                PullRequestConnection::Timeline => change.timeline.len(),
            } as u64;
            if held >= total {
                change.incomplete.retain(|i| i != connection.name());
            }
        }
        for evidence in f.evidence.into_values().flatten() {
            if !change.evidence.contains(&evidence) {
                change.evidence.push(evidence);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn origin(sha256: &str) -> Origin<'_> {
        Origin {
            source: "github-acme",
            web_url: "https://github.com",
            sha256,
        }
    }

    fn review(id: u64) -> Value {
        json!({"databaseId": id, "author": {"__typename": "User", "login": "bob"}, "state": "COMMENTED", "submittedAt": "2026-08-03T10:00:00Z", "commit": null})
    }

    /// A search page holding PR #7 with `shown` of `total` reviews.
    fn search_page(total: usize, shown: usize) -> Value {
        let reviews: Vec<Value> = (1..=shown as u64).map(review).collect();
        json!({"search": {"issueCount": 1, "pageInfo": {"hasNextPage": false, "endCursor": "Yw=="}, "nodes": [{
            "__typename": "PullRequest", "number": 7, "title": "t", "url": "https://github.com/acme/api/pull/7",
            "createdAt": "2026-08-03T09:00:00Z", "mergedAt": "2026-08-03T12:00:00Z",
            "repository": {"nameWithOwner": "acme/api"},
            "author": {"__typename": "User", "login": "alice"}, "mergedBy": {"__typename": "User", "login": "alice"},
            "baseRefName": "main", "headRefName": "f", "headRefOid": "abc", "mergeCommit": {"oid": "def"},
            "labels": {"totalCount": 0, "nodes": []},
            "reviews": {"totalCount": total, "pageInfo": {"hasNextPage": shown < total, "endCursor": "cjE="}, "nodes": reviews},
            "commits": {"totalCount": 0, "nodes": []},
            "headCommit": {"nodes": [{"commit": {"oid": "abc", "statusCheckRollup": null}}]},
            "timelineItems": {"totalCount": 0, "nodes": []},
        }]}})
    }

    fn follow_up(total: usize, ids: &[u64]) -> Value {
        let reviews: Vec<Value> = ids.iter().copied().map(review).collect();
        json!({"repository": {"pullRequest": {"number": 7, "reviews": {
            "totalCount": total, "pageInfo": {"hasNextPage": false, "endCursor": null}, "nodes": reviews,
        }}}})
    }

    fn collected(total: usize, shown: usize, follow_ups: &[Value]) -> Change {
        let mut changes = BTreeMap::new();
        page(&mut changes, &origin("aa"), &search_page(total, shown)).unwrap();
        let mut extra = FollowUps::default();
        for data in follow_ups {
            follow_up_page(
                &mut extra,
                &origin("bb"),
                "acme/api",
                PullRequestConnection::Reviews,
                data,
            )
            .unwrap();
        }
        merge_follow_ups(&mut changes, extra);
        changes.into_values().next().unwrap()
    }

    #[test]
    fn a_truncated_connection_without_follow_up_stays_incomplete() {
        let change = collected(3, 1, &[]);
        assert_eq!(change.incomplete, vec![INCOMPLETE_REVIEWS.to_string()]);
        assert_eq!(change.reviews.len(), 1);
    }

    #[test]
    fn follow_ups_complete_the_change_and_are_cited() {
        let change = collected(3, 1, &[follow_up(3, &[2, 3])]);
        assert!(change.incomplete.is_empty(), "{:?}", change.incomplete);
        let ids: Vec<&str> = change.reviews.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["1", "2", "3"]);
        assert_eq!(
            change.reviews[2].evidence,
            vec!["sha256:bb#/data/repository/pullRequest/reviews/nodes/1".to_string()]
        );
        assert!(
            change
                .evidence
                .iter()
                .any(|e| e == "sha256:bb#/data/repository/pullRequest")
        );
    }

    #[test]
    fn a_follow_up_that_stops_short_or_repeats_leaves_the_change_incomplete() {
        // One page of two is missing.
        let change = collected(4, 1, &[follow_up(4, &[2, 3])]);
        assert_eq!(change.incomplete, vec![INCOMPLETE_REVIEWS.to_string()]);
        // A repeated review counts once: still one short.
        let change = collected(3, 1, &[follow_up(3, &[1, 2])]);
        assert_eq!(change.reviews.len(), 2);
        assert_eq!(change.incomplete, vec![INCOMPLETE_REVIEWS.to_string()]);
    }
}
