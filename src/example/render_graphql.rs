//! GraphQL responses, shaped exactly by `src/github/queries/*.graphql`: the keys are the
//! selected fields and aliases, `__typename` where the query asks for it, cursors are
//! GitHub's opaque base64 strings. `rateLimit` is added by the recorder (it depends on
//! the request order).

use std::collections::BTreeMap;

use chrono::FixedOffset;
use serde_json::{Map, Value, json};

use crate::github::{MergedRange, PullRequestConnection, SEARCH_CAP};
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

/// The PRs a search over `range` matches, in GitHub's order (newest number first).
fn matching<'w>(w: &'w World, repo: usize, range: &MergedRange) -> Vec<&'w Pr> {
    let mut prs: Vec<&Pr> = w
        .prs
        .iter()
        .filter(|p| p.repo == repo)
        .filter(|p| p.merged_at().is_some_and(|t| range.contains(t)))
        .collect();
    prs.sort_by_key(|p| std::cmp::Reverse(p.number));
    prs
}

/// The pages of `MergedPullRequests` a collector fetches for one repository: the
/// window's search, and, while a search matches more than GitHub's cap, its first page
/// and then the searches over both halves of its days (the contract's split), earliest
/// first. Returns the pages and the PRs they returned.
pub fn merged_pull_requests(w: &World, repo: usize) -> (Vec<Page>, Vec<&Pr>) {
    let r = &w.repos[repo];
    let mut pages = Vec::new();
    let mut returned = Vec::new();
    let mut ranges = vec![MergedRange::of_window(&w.window)];
    while let Some(range) = ranges.pop() {
        let q = range.query(&r.full_name());
        let prs = matching(w, repo, &range);
        let total = prs.len();
        let over = total as u64 > SEARCH_CAP;
        if over && let Some((first, second)) = range.split() {
            pages.push(search_page(w, &q, &prs, total, 0, true));
            ranges.push(second);
            ranges.push(first);
            continue;
        }
        // GitHub's search stops at its cap whatever `issueCount` says.
        let reachable = &prs[..prs.len().min(SEARCH_CAP as usize)];
        let mut offset = 0;
        loop {
            let end = (offset + PAGE_SIZE).min(reachable.len());
            pages.push(search_page(
                w,
                &q,
                reachable,
                total,
                offset,
                end < reachable.len(),
            ));
            offset = end;
            if offset >= reachable.len() {
                break;
            }
        }
        returned.extend(reachable.iter().copied());
    }
    (pages, returned)
}

/// Opaque cursor after `n` items, as GitHub's are (base64).
fn cursor(n: usize) -> String {
    base64(format!("cursor:{n}").as_bytes())
}

/// One search page: `prs[offset..offset + 100]`.
fn search_page(
    w: &World,
    q: &str,
    prs: &[&Pr],
    total: usize,
    offset: usize,
    has_next: bool,
) -> Page {
    let chunk: Vec<&&Pr> = prs.iter().skip(offset).take(PAGE_SIZE).collect();
    let end_cursor = (!chunk.is_empty()).then(|| cursor(offset + chunk.len()));
    let nodes: Vec<Value> = chunk.iter().map(|p| pr_node(w, p)).collect();
    let mut data = Map::new();
    data.insert(
        "search".into(),
        json!({
            "issueCount": total,
            "pageInfo": {"hasNextPage": has_next, "endCursor": end_cursor},
            "nodes": nodes,
        }),
    );
    Page {
        variables: json!({"q": q, "cursor": (offset > 0).then(|| cursor(offset))}),
        data,
    }
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

/// `nodes[offset..offset + size]` as a connection with `totalCount` and `pageInfo`.
fn connection_page(nodes: &[Value], offset: usize, size: usize) -> Value {
    let page: Vec<Value> = nodes.iter().skip(offset).take(size).cloned().collect();
    let end = offset + page.len();
    json!({
        "totalCount": nodes.len(),
        "pageInfo": {"hasNextPage": end < nodes.len(), "endCursor": (!page.is_empty()).then(|| cursor(end))},
        "nodes": page,
    })
}

/// The follow-up queries a collector sends for the PRs of `returned` whose nested
/// connections overflow their first page: (operation, query, page), per PR and
/// connection in the contract's order.
pub fn follow_ups(
    w: &World,
    repo: usize,
    returned: &[&Pr],
) -> Vec<(&'static str, &'static str, Page)> {
    let r = &w.repos[repo];
    let mut out = Vec::new();
    for p in returned {
        let nested = nested(w, p);
        for connection in PullRequestConnection::ALL {
            let Some(nodes) = nested.get(&connection) else {
                continue;
            };
            let first = connection.first_page();
            if nodes.len() <= first {
                continue;
            }
            let (operation, query) = connection.follow_up();
            let mut offset = first;
            while offset < nodes.len() {
                let page = connection_page(nodes, offset, PullRequestConnection::FOLLOW_UP_PAGE);
                let pull_request = match connection {
                    PullRequestConnection::Checks => json!({
                        "number": p.number,
                        "headCommit": {"nodes": [{"commit": {
                            "oid": p.head_sha(),
                            "statusCheckRollup": p.checks.as_ref().map(|c| json!({"state": c.rollup, "contexts": page})),
                        }}]},
                    }),
                    _ => {
                        let field = connection.pointer().trim_start_matches('/');
                        json!({"number": p.number, field: page})
                    }
                };
                let mut data = Map::new();
                data.insert("repository".into(), json!({"pullRequest": pull_request}));
                out.push((
                    operation,
                    query,
                    Page {
                        variables: json!({
                            "owner": super::world::ORG,
                            "name": r.name,
                            "number": p.number,
                            "cursor": cursor(offset),
                        }),
                        data,
                    },
                ));
                offset += PullRequestConnection::FOLLOW_UP_PAGE;
            }
        }
    }
    out
}

/// Every node of a PR's nested connections (the checks only when the head commit has
/// a rollup).
fn nested(w: &World, p: &Pr) -> BTreeMap<PullRequestConnection, Vec<Value>> {
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
    let contexts = p.checks.as_ref().map(|checks| {
        checks
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
            .collect::<Vec<Value>>()
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
    let mut nested = BTreeMap::new();
    nested.insert(PullRequestConnection::Labels, labels);
    nested.insert(PullRequestConnection::Reviews, reviews);
    nested.insert(PullRequestConnection::Commits, commits);
    if let Some(contexts) = contexts {
        nested.insert(PullRequestConnection::Checks, contexts);
    }
    nested.insert(PullRequestConnection::Timeline, timeline);
    nested
}

fn pr_node(w: &World, p: &Pr) -> Value {
    let r = &w.repos[p.repo];
    let merge = p.merge.as_ref();
    let nested = nested(w, p);
    let first = |c: PullRequestConnection| {
        nested
            .get(&c)
            .map(|nodes| connection_page(nodes, 0, c.first_page()))
    };
    let rollup = p.checks.as_ref().map(|checks| {
        json!({
            "state": checks.rollup,
            "contexts": first(PullRequestConnection::Checks),
        })
    });
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
        "labels": first(PullRequestConnection::Labels),
        "reviews": first(PullRequestConnection::Reviews),
        "commits": first(PullRequestConnection::Commits),
        "headCommit": {"nodes": [{"commit": {"oid": p.head_sha(), "statusCheckRollup": rollup}}]},
        "timelineItems": first(PullRequestConnection::Timeline),
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
