//! GraphQL responses, shaped exactly by `src/github/queries/*.graphql`: the keys are the
//! selected fields and aliases, `__typename` where the query asks for it, cursors are
//! GitHub's opaque base64 strings. `rateLimit` is added by the recorder (it depends on
//! the request order).

use chrono::{Duration, FixedOffset};
use serde_json::{Map, Value, json};

use crate::locker::Window;
use crate::model::Timestamp;

use super::history::visible_commits;
use super::people::{Acct, GitId, base64};
use super::world::{CheckCtx, Pr, Timeline, World};

/// One page of a paginated query: its variables and `data` without `rateLimit`.
pub struct Page {
    pub variables: Value,
    pub data: Map<String, Value>,
}

pub const PAGE_SIZE: usize = 100;

/// `2026-07-01T00:00:00Z`.
pub fn iso(t: Timestamp) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A GitTimestamp: GitHub keeps the committer's own UTC offset.
pub fn git_time(t: Timestamp, offset_min: i32) -> String {
    match FixedOffset::east_opt(offset_min * 60) {
        Some(offset) if offset_min != 0 => t
            .with_timezone(&offset)
            .format("%Y-%m-%dT%H:%M:%S%:z")
            .to_string(),
        _ => iso(t),
    }
}

/// The search string of MergedPullRequests: a day's margin on each side of the window
/// (search date qualifiers are coarse; evaluation applies the exact window).
pub fn search_query(full_name: &str, window: &Window) -> String {
    format!(
        "repo:{full_name} is:pr is:merged merged:{}..{}",
        (window.start - Duration::days(1)).format("%Y-%m-%d"),
        window.end.format("%Y-%m-%d")
    )
}

/// Whether the search above returns a PR merged at `t` (both dates are inclusive days).
fn search_matches(window: &Window, t: Timestamp) -> bool {
    let from = window.start - Duration::days(1);
    let to = window.end + Duration::days(1);
    from <= t && t < to
}

fn actor(w: &World, a: Acct) -> Value {
    let acct = w.people.get(a);
    json!({"__typename": acct.typename(), "login": acct.graphql_login})
}

fn git_actor(id: &GitId) -> Value {
    json!({
        "name": id.name,
        "email": id.email,
        "user": id.login.as_ref().map(|l| json!({"login": l})),
    })
}

pub fn merged_pull_requests(w: &World, repo: usize) -> Vec<Page> {
    let r = &w.repos[repo];
    let q = search_query(&r.full_name(), &w.window);
    let mut prs: Vec<&Pr> = w
        .prs
        .iter()
        .filter(|p| p.repo == repo)
        .filter(|p| p.merged_at().is_some_and(|t| search_matches(&w.window, t)))
        .collect();
    prs.sort_by_key(|p| std::cmp::Reverse(p.number));
    let total = prs.len();
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    let chunks: Vec<&[&Pr]> = if prs.is_empty() {
        vec![&[]]
    } else {
        prs.chunks(PAGE_SIZE).collect()
    };
    let last = chunks.len() - 1;
    for (k, chunk) in chunks.into_iter().enumerate() {
        let end_cursor = (!chunk.is_empty())
            .then(|| base64(format!("cursor:{}", k * PAGE_SIZE + chunk.len()).as_bytes()));
        let nodes: Vec<Value> = chunk.iter().map(|p| pr_node(w, p)).collect();
        let mut data = Map::new();
        data.insert(
            "search".into(),
            json!({
                "issueCount": total,
                "pageInfo": {"hasNextPage": k < last, "endCursor": end_cursor},
                "nodes": nodes,
            }),
        );
        pages.push(Page {
            variables: json!({"q": q, "cursor": cursor}),
            data,
        });
        cursor = end_cursor;
    }
    pages
}

/// `DeployedCommit`: the pull requests GitHub associates with a deployed commit (the
/// PR that merged it as merge commit, or whose head or commits hold it), by number.
pub fn deployed_commit(w: &World, repo: usize, sha: &str) -> Page {
    let r = &w.repos[repo];
    let mut prs: Vec<&Pr> = w
        .prs
        .iter()
        .filter(|p| p.repo == repo)
        .filter(|p| {
            p.merge
                .as_ref()
                .is_some_and(|m| m.commit.eq_ignore_ascii_case(sha))
                || p.commits.iter().any(|c| c.sha.eq_ignore_ascii_case(sha))
        })
        .collect();
    prs.sort_by_key(|p| p.number);
    let nodes: Vec<Value> = prs
        .iter()
        .map(|p| {
            // The same fields as a search node, which alone selects `__typename`.
            let mut node = pr_node(w, p);
            if let Some(map) = node.as_object_mut() {
                map.remove("__typename");
            }
            node
        })
        .collect();
    let mut data = Map::new();
    data.insert(
        "repository".into(),
        json!({"object": {
            "__typename": "Commit",
            "oid": sha,
            "associatedPullRequests": {"totalCount": nodes.len(), "nodes": nodes},
        }}),
    );
    Page {
        variables: json!({"owner": super::world::ORG, "name": r.name, "oid": sha}),
        data,
    }
}

fn pr_node(w: &World, p: &Pr) -> Value {
    let r = &w.repos[p.repo];
    let merge = p.merge.as_ref();
    let labels: Vec<Value> = p.labels.iter().map(|l| json!({"name": l})).collect();
    let reviews: Vec<Value> = p
        .reviews
        .iter()
        .map(|rv| {
            json!({
                "databaseId": rv.id,
                "author": actor(w, rv.author),
                "state": rv.state.graphql(),
                "submittedAt": iso(rv.submitted_at),
                "commit": rv.commit.as_ref().map(|c| json!({"oid": c})),
            })
        })
        .collect();
    let commits: Vec<Value> = p
        .commits
        .iter()
        .map(|c| {
            json!({"commit": {
                "oid": c.sha,
                "message": c.message,
                "authoredDate": git_time(c.authored, c.author_offset_min),
                "committedDate": git_time(c.committed, c.committer_offset_min),
                "author": git_actor(&c.author),
                "committer": git_actor(&c.committer),
            }})
        })
        .collect();
    let rollup = p.checks.as_ref().map(|checks| {
        let nodes: Vec<Value> = checks
            .contexts
            .iter()
            .map(|c| match c {
                CheckCtx::Run { name, conclusion } => json!({
                    "__typename": "CheckRun",
                    "name": name,
                    "status": "COMPLETED",
                    "conclusion": conclusion,
                    "checkSuite": {"app": {"slug": "github-actions"}},
                }),
                CheckCtx::Status { context, state } => json!({
                    "__typename": "StatusContext",
                    "context": context,
                    "state": state,
                }),
            })
            .collect();
        json!({
            "state": checks.rollup,
            "contexts": {"totalCount": nodes.len(), "nodes": nodes},
        })
    });
    let mut timeline: Vec<(Timestamp, Value)> = p
        .timeline
        .iter()
        .map(|t| match t {
            Timeline::ReviewDismissed {
                at,
                actor: a,
                review,
            } => (
                *at,
                json!({
                    "__typename": "ReviewDismissedEvent",
                    "createdAt": iso(*at),
                    "actor": actor(w, *a),
                    "review": p.reviews.get(*review).map(|rv| json!({"databaseId": rv.id})),
                    "previousReviewState": "APPROVED",
                }),
            ),
            Timeline::ForcePushed {
                at,
                actor: a,
                before,
                after,
            } => (
                *at,
                json!({
                    "__typename": "HeadRefForcePushedEvent",
                    "createdAt": iso(*at),
                    "actor": actor(w, *a),
                    "beforeCommit": before.as_ref().map(|c| json!({"oid": c})),
                    "afterCommit": after.as_ref().map(|c| json!({"oid": c})),
                }),
            ),
        })
        .collect();
    if let Some(m) = merge {
        timeline.push((
            m.at,
            json!({
                "__typename": "MergedEvent",
                "createdAt": iso(m.at),
                "actor": actor(w, m.by),
                "commit": {"oid": m.commit},
                "mergeRefName": p.base,
            }),
        ));
    }
    timeline.sort_by_key(|(t, _)| *t);
    let timeline: Vec<Value> = timeline.into_iter().map(|(_, v)| v).collect();
    json!({
        "__typename": "PullRequest",
        "number": p.number,
        "title": p.title,
        "url": format!("https://github.com/{}/pull/{}", r.full_name(), p.number),
        "createdAt": iso(p.created_at),
        "mergedAt": merge.map(|m| iso(m.at)),
        "repository": {"nameWithOwner": r.full_name()},
        "author": actor(w, p.author),
        "mergedBy": merge.map(|m| actor(w, m.by)),
        "baseRefName": p.base,
        "headRefName": p.head_ref,
        "headRefOid": p.head_sha(),
        "mergeCommit": merge.map(|m| json!({"oid": m.commit})),
        "labels": {"totalCount": labels.len(), "nodes": labels},
        "reviews": {"totalCount": reviews.len(), "nodes": reviews},
        "commits": {"totalCount": commits.len(), "nodes": commits},
        "headCommit": {"nodes": [{"commit": {"oid": p.head_sha(), "statusCheckRollup": rollup}}]},
        "timelineItems": {"totalCount": timeline.len(), "nodes": timeline},
    })
}

pub fn branch_history(w: &World, b: usize) -> Vec<Page> {
    let branch = &w.branches[b];
    let r = &w.repos[branch.repo];
    let commits = visible_commits(&w.branches, b, w.window.start, w.window.end);
    let total = commits.len();
    let chunks: Vec<&[&super::world::BranchCommit]> = if commits.is_empty() {
        vec![&[]]
    } else {
        commits.chunks(PAGE_SIZE).collect()
    };
    let last = chunks.len() - 1;
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    for (k, chunk) in chunks.into_iter().enumerate() {
        let end_cursor = (!chunk.is_empty()).then(|| {
            base64(format!("{} {}", branch.tip, k * PAGE_SIZE + chunk.len() - 1).as_bytes())
        });
        let nodes: Vec<Value> = chunk
            .iter()
            .map(|bc| {
                let c = &bc.commit;
                let parents: Vec<Value> = c
                    .parents
                    .iter()
                    .take(2)
                    .map(|p| json!({"oid": p}))
                    .collect();
                let associated: Vec<Value> = bc
                    .prs
                    .iter()
                    .take(5)
                    .map(|i| {
                        let p = &w.prs[*i];
                        let m = p.merge.as_ref();
                        json!({
                            "number": p.number,
                            "state": if m.is_some() { "MERGED" } else { "OPEN" },
                            "merged": m.is_some(),
                            "mergedAt": m.map(|m| iso(m.at)),
                            "baseRefName": p.base,
                            "mergeCommit": m.map(|m| json!({"oid": m.commit})),
                        })
                    })
                    .collect();
                json!({
                    "oid": c.sha,
                    "messageHeadline": c.headline(),
                    "authoredDate": git_time(c.authored, c.author_offset_min),
                    "committedDate": git_time(c.committed, c.committer_offset_min),
                    "author": git_actor(&c.author),
                    "committer": git_actor(&c.committer),
                    "parents": {"totalCount": c.parents.len(), "nodes": parents},
                    "associatedPullRequests": {"nodes": associated},
                })
            })
            .collect();
        let mut data = Map::new();
        data.insert(
            "repository".into(),
            json!({
                "nameWithOwner": r.full_name(),
                "ref": {
                    "name": branch.name,
                    "target": {
                        "__typename": "Commit",
                        "history": {
                            "totalCount": total,
                            "pageInfo": {"hasNextPage": k < last, "endCursor": end_cursor},
                            "nodes": nodes,
                        },
                    },
                },
            }),
        );
        pages.push(Page {
            variables: json!({
                "owner": super::world::ORG,
                "name": r.name,
                "ref": format!("refs/heads/{}", branch.name),
                "since": iso(w.window.start),
                "until": iso(w.window.end),
                "cursor": cursor,
            }),
            data,
        });
        cursor = end_cursor;
    }
    pages
}
