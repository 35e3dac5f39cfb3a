//! The GraphQL queries, answered with hand-written responses shaped by the queries.

use changeproof::model::{
    ActorKind, CheckKind, CheckState, GitIdentity, ReviewState, TimelineKind,
};
use serde_json::json;

use super::{SOURCE, TestLocker, evidence, graphql_fixture};

const Q_API: &str = "repo:acme/api is:pr is:merged merged:2026-06-30..2026-10-01";

fn sha(pair: &str) -> String {
    pair.repeat(20)
}

/// Two pages of acme/api's merged PRs (PR 102 on both) plus a partial answer for acme/web.
fn pull_request_locker() -> (TestLocker, [String; 3]) {
    let mut t = TestLocker::new();
    let p1 = t.graphql(
        "MergedPullRequests",
        json!({"q": Q_API, "cursor": null}),
        200,
        &graphql_fixture("merged_pull_requests_page1.json"),
    );
    let p2 = t.graphql(
        "MergedPullRequests",
        json!({"q": Q_API, "cursor": "Y3Vyc29yOjM="}),
        200,
        &graphql_fixture("merged_pull_requests_page2.json"),
    );
    let partial = t.graphql(
        "MergedPullRequests",
        json!({"q": "repo:acme/web is:pr is:merged merged:2026-06-30..2026-10-01", "cursor": null}),
        200,
        &graphql_fixture("merged_pull_requests_partial_errors.json"),
    );
    (t, [p1, p2, partial])
}

#[test]
fn pull_requests_become_changes_with_reviews_commits_checks_and_timeline() {
    let (t, [p1, _, _]) = pull_request_locker();
    let ev = t.normalize().unwrap();
    let numbers: Vec<_> = ev
        .changes
        .iter()
        .map(|c| (c.repo.as_str(), c.number))
        .collect();
    assert_eq!(
        numbers,
        vec![
            ("acme/api", 101),
            ("acme/api", 102),
            ("acme/api", 103),
            ("acme/web", 7)
        ]
    );
    let c = &ev.changes[0];
    assert_eq!(c.source, SOURCE);
    assert_eq!(c.title, "Add login rate limiting");
    assert_eq!(c.url, "https://github.com/acme/api/pull/101");
    assert_eq!(c.author.as_ref().unwrap().login, "alice");
    assert_eq!(c.author.as_ref().unwrap().kind, ActorKind::User);
    assert_eq!(c.merged_by.as_ref().unwrap().login, "bob");
    assert_eq!(
        (c.base_branch.as_str(), c.head_branch.as_str()),
        ("main", "feature/login-rate-limit")
    );
    assert_eq!(c.created_at.to_rfc3339(), "2026-07-14T09:12:00+00:00");
    assert_eq!(c.merged_at.to_rfc3339(), "2026-07-15T16:40:05+00:00");
    assert_eq!(c.merge_commit_sha.as_deref(), Some(sha("3c").as_str()));
    assert_eq!(c.head_sha, sha("1a"));
    assert_eq!(c.labels, vec!["security"]);
    assert!(c.incomplete.is_empty(), "{:?}", c.incomplete);
    assert_eq!(c.evidence, vec![evidence(&p1, "/data/search/nodes/0")]);

    // Reviews: a dismissed approval stays dismissed; a bot's comment keeps its kind.
    let states: Vec<_> = c.reviews.iter().map(|r| (r.id.as_str(), r.state)).collect();
    assert_eq!(
        states,
        vec![
            ("9001", ReviewState::Dismissed),
            ("9002", ReviewState::Approved),
            ("9003", ReviewState::Commented)
        ]
    );
    assert_eq!(c.reviews[0].commit_sha.as_deref(), Some(sha("0b").as_str()));
    assert_eq!(c.reviews[1].commit_sha.as_deref(), Some(sha("1a").as_str()));
    assert_eq!(
        c.reviews[1].submitted_at.unwrap().to_rfc3339(),
        "2026-07-15T15:30:00+00:00"
    );
    assert_eq!(c.reviews[2].author.as_ref().unwrap().kind, ActorKind::Bot);
    assert_eq!(c.reviews[2].commit_sha, None);
    assert_eq!(
        c.reviews[1].evidence,
        vec![evidence(&p1, "/data/search/nodes/0/reviews/nodes/1")]
    );

    // Commits: identities with their linked logins, the web-flow committer as recorded,
    // co-author trailers as written.
    assert_eq!(c.commits.len(), 2);
    let head = &c.commits[1];
    assert_eq!(head.sha, sha("1a"));
    assert_eq!(head.author.login.as_deref(), Some("alice"));
    assert_eq!(
        head.committer,
        GitIdentity {
            name: "GitHub".into(),
            email: "noreply@github.com".into(),
            login: Some("web-flow".into())
        }
    );
    assert_eq!(
        head.co_authors,
        vec![
            GitIdentity {
                name: "Dave Example".into(),
                email: "dave@example.com".into(),
                login: None
            },
            GitIdentity {
                name: "Carol Chen".into(),
                email: "4242+carol@users.noreply.github.com".into(),
                login: None
            },
        ]
    );
    assert!(c.commits[0].co_authors.is_empty());
    assert_eq!(
        c.commits[0].authored_at.to_rfc3339(),
        "2026-07-14T09:00:00+00:00"
    );

    // Checks: a completed run, an unfinished run, a failing status context.
    assert_eq!(c.checks.sha, sha("1a"));
    assert_eq!(c.checks.rollup, Some(CheckState::Failure));
    let runs: Vec<_> = c
        .checks
        .runs
        .iter()
        .map(|r| {
            (
                r.name.as_str(),
                r.kind,
                r.conclusion.as_deref(),
                r.app.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        runs,
        vec![
            (
                "build",
                CheckKind::CheckRun,
                Some("success"),
                Some("github-actions")
            ),
            ("lint", CheckKind::CheckRun, None, Some("github-actions")),
            (
                "ci/jenkins",
                CheckKind::StatusContext,
                Some("failure"),
                None
            ),
        ]
    );

    // Timeline.
    assert_eq!(c.timeline.len(), 2);
    assert_eq!(c.timeline[0].actor.as_ref().unwrap().login, "bob");
    assert_eq!(
        c.timeline[0].event,
        TimelineKind::ReviewDismissed {
            review_id: Some("9001".into()),
            previous_state: Some(ReviewState::Approved)
        }
    );
    assert_eq!(
        c.timeline[1].event,
        TimelineKind::Merged {
            commit: Some(sha("3c").into()),
            base: Some("main".into())
        }
    );
}

#[test]
fn bot_authors_truncated_connections_and_missing_checks() {
    let (t, [_, p2, _]) = pull_request_locker();
    let ev = t.normalize().unwrap();
    let bot = &ev.changes[1];
    assert_eq!(bot.author.as_ref().unwrap().kind, ActorKind::Bot);
    // GraphQL answers `dependabot`; the evidence names the bot as REST does, so the
    // same account is one login in pull requests, deployments and access lists.
    assert_eq!(bot.author.as_ref().unwrap().login, "dependabot[bot]");
    // 75 reviews and 60 check contexts, one of each returned.
    assert_eq!(bot.incomplete, vec!["checks", "reviews"]);
    assert_eq!(bot.commits[0].committer.login.as_deref(), Some("web-flow"));
    assert_eq!(bot.checks.rollup, Some(CheckState::Success));

    let ghost = &ev.changes[2];
    assert_eq!(ghost.author, None, "a deleted account has no author");
    assert_eq!(ghost.base_branch, "release/2.0");
    assert_eq!(ghost.labels, vec!["backport", "hotfix"]);
    assert_eq!(
        ghost.incomplete,
        vec!["commits"],
        "250 commits, one returned"
    );
    assert_eq!(ghost.checks.sha, sha("5f"));
    assert_eq!(ghost.checks.rollup, None, "no checks at all");
    assert!(ghost.checks.runs.is_empty());
    assert_eq!(ghost.commits[0].author.login, None);
    assert_eq!(ghost.timeline[0].actor, None);
    assert_eq!(
        ghost.timeline[0].event,
        TimelineKind::HeadRefForcePushed {
            before: Some(sha("77").into()),
            after: Some(sha("5f").into())
        }
    );
    assert_eq!(ghost.evidence, vec![evidence(&p2, "/data/search/nodes/1")]);
}

#[test]
fn a_pull_request_on_two_pages_is_kept_once_from_the_later_page() {
    let (t, [p1, p2, _]) = pull_request_locker();
    let ev = t.normalize().unwrap();
    let copies: Vec<_> = ev.changes.iter().filter(|c| c.number == 102).collect();
    assert_eq!(copies.len(), 1);
    assert_eq!(
        copies[0].title,
        "Bump serde from 1.0.1 to 1.0.2 (retried page)"
    );
    assert_eq!(
        copies[0].evidence,
        vec![evidence(&p2, "/data/search/nodes/0")]
    );

    let q = ev
        .queries
        .iter()
        .find(|q| q.repo.as_deref() == Some("acme/api"))
        .unwrap();
    assert_eq!(q.evidence_type, "pull_requests");
    assert_eq!(q.endpoint, "POST /graphql MergedPullRequests");
    assert_eq!(q.parameters, format!("{{\"q\":\"{Q_API}\"}}"));
    assert_eq!(q.pages, 2);
    assert_eq!(
        q.records, 3,
        "PR 102 counts once; the Issue node not at all"
    );
    assert_eq!(q.total_count, Some(3));
    assert_eq!(q.responses, vec![p1, p2]);
}

#[test]
fn graphql_errors_are_gaps_and_partial_data_is_kept() {
    let (t, [_, _, partial]) = pull_request_locker();
    let ev = t.normalize().unwrap();
    assert_eq!(ev.gaps.len(), 1);
    let gap = &ev.gaps[0];
    assert_eq!(gap.evidence_type, "pull_requests");
    assert_eq!(gap.repo.as_deref(), Some("acme/web"));
    assert_eq!(gap.status, Some(200));
    assert!(
        gap.reason
            .contains("FORBIDDEN: Resource not accessible by integration"),
        "{}",
        gap.reason
    );
    let web = ev.changes.iter().find(|c| c.repo == "acme/web").unwrap();
    assert_eq!(web.number, 7);
    // Its reviews came back null and its head commit is unknown.
    assert_eq!(web.incomplete, vec!["checks", "reviews"]);
    let q = ev
        .queries
        .iter()
        .find(|q| q.repo.as_deref() == Some("acme/web"))
        .unwrap();
    assert_eq!(q.responses, vec![partial]);
}

#[test]
fn a_rate_limited_page_retried_successfully_leaves_no_gap() {
    let mut t = TestLocker::new();
    let vars = json!({"q": Q_API, "cursor": null});
    t.graphql(
        "MergedPullRequests",
        vars.clone(),
        200,
        &graphql_fixture("rate_limited.json"),
    );
    t.graphql(
        "MergedPullRequests",
        vars.clone(),
        502,
        b"<html>Bad Gateway</html>",
    );
    let ok = t.graphql(
        "MergedPullRequests",
        vars,
        200,
        &graphql_fixture("merged_pull_requests_page1.json"),
    );
    let ev = t.normalize().unwrap();
    assert!(ev.gaps.is_empty(), "{:?}", ev.gaps);
    assert_eq!(ev.changes.len(), 2);
    assert_eq!(ev.queries[0].responses, vec![ok]);
}

#[test]
fn a_rate_limited_page_never_retried_is_a_gap() {
    let mut t = TestLocker::new();
    t.graphql(
        "MergedPullRequests",
        json!({"q": Q_API, "cursor": null}),
        200,
        &graphql_fixture("rate_limited.json"),
    );
    let ev = t.normalize().unwrap();
    assert!(ev.changes.is_empty());
    assert!(ev.queries.is_empty(), "a failed page proves no population");
    assert_eq!(ev.gaps.len(), 1);
    assert_eq!(ev.gaps[0].repo.as_deref(), Some("acme/api"));
    assert!(
        ev.gaps[0].reason.contains("RATE_LIMITED"),
        "{}",
        ev.gaps[0].reason
    );
}

fn history_vars(branch: &str) -> serde_json::Value {
    json!({"owner": "acme", "name": "api", "ref": format!("refs/heads/{branch}"),
           "since": "2026-07-01T00:00:00Z", "until": "2026-10-01T00:00:00Z", "cursor": null})
}

#[test]
fn branch_history_commits_and_production_branches() {
    let mut t = TestLocker::new();
    t.get_json(
        "/orgs/acme/repos?type=all&per_page=100",
        &json!([{"full_name": "acme/api", "default_branch": "main",
                 "html_url": "https://github.com/acme/api", "archived": false}]),
    );
    let main = t.graphql(
        "BranchHistory",
        history_vars("main"),
        200,
        &graphql_fixture("branch_history_main.json"),
    );
    t.graphql(
        "BranchHistory",
        history_vars("release/2.0"),
        200,
        &graphql_fixture("rate_limited.json"),
    );
    t.graphql(
        "BranchHistory",
        history_vars("release/0.9"),
        200,
        &graphql_fixture("branch_history_missing_ref.json"),
    );
    let ev = t.normalize().unwrap();
    // Queried branches count, unless GitHub said the branch does not exist.
    assert_eq!(
        ev.repositories[0].production_branches,
        vec!["main", "release/2.0"]
    );
    assert_eq!(ev.gaps.len(), 1);
    assert_eq!(ev.gaps[0].evidence_type, "branch_commits");
    assert!(
        ev.gaps[0].reason.contains("release/2.0"),
        "{}",
        ev.gaps[0].reason
    );

    assert_eq!(ev.branch_commits.len(), 3);
    let direct = ev
        .branch_commits
        .iter()
        .find(|c| c.sha == sha("ab"))
        .unwrap();
    assert_eq!(direct.branch, "main");
    assert_eq!(direct.repo, "acme/api");
    assert_eq!(direct.message_headline, "Hotfix straight to main");
    assert_eq!(direct.author.login.as_deref(), Some("mallory"));
    assert_eq!(
        direct.committed_at.to_rfc3339(),
        "2026-08-20T22:00:00+00:00"
    );
    assert!(direct.associated_changes.is_empty());
    assert_eq!(
        direct.url,
        format!("https://github.com/acme/api/commit/{}", sha("ab"))
    );
    assert_eq!(
        direct.evidence,
        vec![evidence(
            &main,
            "/data/repository/ref/target/history/nodes/0"
        )]
    );
    let merge = ev
        .branch_commits
        .iter()
        .find(|c| c.sha == sha("3c"))
        .unwrap();
    assert_eq!(merge.parents, vec![sha("cd"), sha("1a")]);
    assert_eq!(merge.associated_changes.len(), 2);
    let pr = &merge.associated_changes[0];
    assert_eq!(
        (pr.number, pr.merged, pr.base_branch.as_str()),
        (101, true, "main")
    );
    assert_eq!(pr.merge_commit_sha.as_deref(), Some(sha("3c").as_str()));
    assert_eq!(
        pr.merged_at.unwrap().to_rfc3339(),
        "2026-07-15T16:40:05+00:00"
    );
    assert!(!merge.associated_changes[1].merged);

    let q = ev
        .queries
        .iter()
        .find(|q| q.parameters.contains("refs/heads/main"))
        .unwrap();
    assert_eq!(q.endpoint, "POST /graphql BranchHistory");
    assert_eq!(q.evidence_type, "branch_commits");
    assert_eq!(q.repo.as_deref(), Some("acme/api"));
    assert_eq!((q.records, q.total_count), (3, Some(3)));
    assert!(!q.parameters.contains("cursor"));
}

#[test]
fn commit_links_point_at_the_enterprise_server_host() {
    let mut t = TestLocker::with_api_url("https://ghe.example.com/api/v3");
    // GHES serves GraphQL beside the REST root.
    let request = json!({"operationName": "BranchHistory",
                         "query": changeproof::github::BRANCH_HISTORY,
                         "variables": history_vars("main")});
    t.record(
        "POST",
        "https://ghe.example.com/api/graphql",
        Some(request.to_string().as_bytes()),
        200,
        &graphql_fixture("branch_history_main.json"),
    );
    let ev = t.normalize().unwrap();
    assert_eq!(ev.branch_commits.len(), 3);
    assert!(
        ev.branch_commits.iter().all(|c| c
            .url
            .starts_with("https://ghe.example.com/acme/api/commit/")),
        "{:?}",
        ev.branch_commits.iter().map(|c| &c.url).collect::<Vec<_>>()
    );
}

/// A DeployedCommit answer holding `nodes` (PR nodes shaped like the search's, without
/// `__typename`, which only the search selects).
fn deployed_commit_body(oid: &str, nodes: Vec<serde_json::Value>) -> Vec<u8> {
    serde_json::to_vec(&json!({"data": {
        "rateLimit": {"cost": 1, "remaining": 4990, "resetAt": "2026-10-05T10:00:00Z"},
        "repository": {"object": {
            "__typename": "Commit",
            "oid": oid,
            "associatedPullRequests": {"totalCount": nodes.len(), "nodes": nodes},
        }},
    }}))
    .unwrap()
}

fn search_node(index: usize) -> serde_json::Value {
    let page: serde_json::Value =
        serde_json::from_slice(&graphql_fixture("merged_pull_requests_page1.json")).unwrap();
    let mut node = page["data"]["search"]["nodes"][index].clone();
    node.as_object_mut().unwrap().remove("__typename");
    node
}

#[test]
fn deployed_commit_answers_become_context_changes() {
    let mut t = TestLocker::new();
    let merged = search_node(0);
    let mut open = search_node(0);
    open["number"] = json!(150);
    open["mergedAt"] = json!(null);
    let vars = json!({"owner": "acme", "name": "api", "oid": sha("3c")});
    let body = deployed_commit_body(&sha("3c"), vec![merged, open]);
    let answer = t.graphql("DeployedCommit", vars, 200, &body);
    let ev = t.normalize().unwrap();
    let numbers: Vec<_> = ev.changes.iter().map(|c| c.number).collect();
    assert_eq!(numbers, [101], "the unmerged PR is no change");
    let c = &ev.changes[0];
    assert_eq!(c.merge_commit_sha.as_deref(), Some(sha("3c").as_str()));
    assert_eq!(
        c.evidence,
        [evidence(
            &answer,
            "/data/repository/object/associatedPullRequests/nodes/0"
        )]
    );
    let q = ev
        .queries
        .iter()
        .find(|q| q.evidence_type == "deployed_changes")
        .expect("a deployed_changes query record");
    assert_eq!(q.repo.as_deref(), Some("acme/api"));
    assert_eq!((q.records, q.total_count), (1, Some(2)));
    assert!(
        ev.queries
            .iter()
            .all(|q| q.evidence_type != "pull_requests")
    );
}

#[test]
fn the_search_copy_of_a_change_wins_over_the_deployed_commit_copy() {
    let (mut t, [p1, _, _]) = pull_request_locker();
    let vars = json!({"owner": "acme", "name": "api", "oid": sha("3c")});
    t.graphql(
        "DeployedCommit",
        vars,
        200,
        &deployed_commit_body(&sha("3c"), vec![search_node(0)]),
    );
    let ev = t.normalize().unwrap();
    let c = ev.changes.iter().find(|c| c.number == 101).unwrap();
    assert_eq!(c.evidence, vec![evidence(&p1, "/data/search/nodes/0")]);
    assert_eq!(ev.changes.iter().filter(|c| c.number == 101).count(), 1);
}

#[test]
fn a_refused_deployed_commit_lookup_is_a_gap() {
    let mut t = TestLocker::new();
    let vars = json!({"owner": "acme", "name": "api", "oid": sha("3c")});
    t.graphql(
        "DeployedCommit",
        vars,
        200,
        br#"{"data": {"repository": null}, "errors": [{"type": "FORBIDDEN", "message": "Resource not accessible by integration"}]}"#,
    );
    let ev = t.normalize().unwrap();
    let gap = ev
        .gaps
        .iter()
        .find(|g| g.evidence_type == "deployed_changes")
        .expect("a gap");
    assert_eq!(gap.repo.as_deref(), Some("acme/api"));
    assert!(gap.reason.contains("FORBIDDEN"), "{}", gap.reason);
    assert!(gap.reason.contains(&sha("3c")), "{}", gap.reason);
}
