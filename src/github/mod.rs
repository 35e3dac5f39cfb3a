//! GitHub: the API calls changeproof makes and the queries it sends.
//!
//! This module is the contract between the collector (which makes the calls), the
//! normalizer (which parses what they return) and the example generator (which emits
//! what GitHub would return). Shapes follow GitHub's official descriptions: the GraphQL
//! schema (`tests/data/github/schema.graphql`, checked in a test) and the REST examples
//! (`tests/data/github/rest-examples/`).
//!
//! URLs in the request log are `{api_url}{path}?{query}`, with the query parameters in
//! the order given below and `&page=N` appended for pages after the first (as GitHub's
//! Link headers give them). Branch names and refs in paths and queries are
//! percent-encoded (`release%2F2.0`, `refs%2Fheads%2Fmain`).
//!
//! | evidence type | call |
//! |---|---|
//! | repositories | `GET /orgs/{org}/repos?type=all&per_page=100` |
//! | pull_requests | `POST /graphql` [`MERGED_PULL_REQUESTS`], `$q` = `repo:{owner}/{repo} is:pr is:merged merged:{start - 1 day}..{end}` (dates: search's date qualifiers are coarse, so the query has a day's margin on each side and the exact window is applied by evaluation; PRs into every base branch come back, evaluation keeps the production ones) |
//! | branches | `GET /repos/{owner}/{repo}/branches?per_page=100` (names only: which branches match the production patterns; not normalized) |
//! | branch_commits | `POST /graphql` [`BRANCH_HISTORY`] per production branch, `$since`/`$until` = window start/end as `YYYY-MM-DDTHH:MM:SSZ` |
//! | branch_protection | `GET /repos/{owner}/{repo}/branches/{branch}/protection` (404 `Branch not protected` is evidence, not an error) |
//! | rulesets | `GET /repos/{owner}/{repo}/rules/branches/{branch}?per_page=100` |
//! | rule_suites | `GET /repos/{owner}/{repo}/rulesets/rule-suites?ref={ref}&time_period=month&per_page=100` |
//! | audit_log | `GET /orgs/{org}/audit-log?phrase=action%3Aprotected_branch.policy_override&per_page=100` |
//! | deployments | `GET /repos/{owner}/{repo}/deployments?per_page=100` |
//! | deployment_statuses | `GET /repos/{owner}/{repo}/deployments/{id}/statuses?per_page=100`, for deployments to a production environment (config) created at or after the window start |
//! | deployment_approvals | `GET /repos/{owner}/{repo}/actions/runs/{run_id}/approvals` (run id from the status `log_url`/`target_url` `…/actions/runs/{run_id}…`), once per run of those deployments |
//! | deployed_changes | `POST /graphql` [`DEPLOYED_COMMIT`], `$owner`/`$name`/`$oid`, once per distinct deployed SHA ([`deployed_commit_lookups`]) of those deployments that no merged pull request into a production branch returned by the repository's `pull_requests` search carries (as merge commit, head or commit): the change behind a rollback or a redeploy of a change merged before the window |
//! | org_members | `GET /orgs/{org}/members?role=admin&per_page=100` (owners), `GET /orgs/{org}/members?role=all&per_page=100` |
//! | two_factor | `GET /orgs/{org}/members?filter=2fa_disabled&per_page=100`, `GET /orgs/{org}/outside_collaborators?filter=2fa_disabled&per_page=100` |
//! | outside_collaborators | `GET /orgs/{org}/outside_collaborators?per_page=100` |
//! | repo_collaborators | `GET /repos/{owner}/{repo}/collaborators?affiliation=direct&per_page=100` |
//! | teams | `GET /orgs/{org}/teams?per_page=100`, `GET /orgs/{org}/teams/{slug}/members?per_page=100`, `GET /orgs/{org}/teams/{slug}/repos?per_page=100` |
//! | deploy_keys | `GET /repos/{owner}/{repo}/keys?per_page=100` |
//! | secrets | `GET /repos/{owner}/{repo}/actions/secrets?per_page=100`, `GET /orgs/{org}/actions/secrets?per_page=100` |
//!
//! Production branches are the repository's default branch plus the branches listed by
//! `branches` that match `[scope].production_branches`. Pagination: REST lists follow the
//! `Link` header's `rel="next"`, keeping the URL above and taking only its `page` (or
//! cursor) parameter; GraphQL pages pass `pageInfo.endCursor` as `$cursor` (`null` on the
//! first page). A `304 Not Modified` to a conditional request is recorded with status
//! 304 and the cached body it confirmed (see `locker::RequestRecord`).
//!
//! GraphQL request bodies are `{"operationName": …, "query": …, "variables": {…}}`, stored
//! in the locker (the record's `request_sha256`), so the normalizer knows which query a
//! response answers and with which variables.

/// Merged pull requests of a repository in the window, with reviews, commits, head
/// checks, labels and timeline events nested (about 6 points per 100 PRs).
pub const MERGED_PULL_REQUESTS: &str = include_str!("queries/merged_pull_requests.graphql");

/// Commits on a production branch in the window with their associated pull requests.
pub const BRANCH_HISTORY: &str = include_str!("queries/branch_history.graphql");

/// The pull requests GitHub associates with one deployed commit, with the fields of
/// [`MERGED_PULL_REQUESTS`].
pub const DEPLOYED_COMMIT: &str = include_str!("queries/deployed_commit.graphql");

/// Every GraphQL query changeproof sends, by operation name (validated against GitHub's
/// schema in `tests/`).
pub const QUERIES: &[(&str, &str)] = &[
    ("MergedPullRequests", MERGED_PULL_REQUESTS),
    ("BranchHistory", BRANCH_HISTORY),
    ("DeployedCommit", DEPLOYED_COMMIT),
];

/// Whether a deployment of a REST deployments list is one whose statuses, run approvals
/// and change are collected: to a production environment, created at or after the
/// window start (a creation time that does not parse is included, never dropped).
pub fn selected_deployment(
    item: &serde_json::Value,
    is_production_environment: impl Fn(&str) -> bool,
    window_start: crate::model::Timestamp,
) -> bool {
    let environment = item
        .get("environment")
        .and_then(serde_json::Value::as_str)
        .unwrap_or("");
    let recent = item
        .get("created_at")
        .and_then(serde_json::Value::as_str)
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .is_none_or(|t| t.with_timezone(&chrono::Utc) >= window_start);
    is_production_environment(environment) && recent
}

/// The commits (lower-case SHAs) a merged pull request node of [`MERGED_PULL_REQUESTS`]
/// or [`DEPLOYED_COMMIT`] carries: merge commit, head and commits; none when it was not
/// merged into a production branch.
pub fn carried_commits(
    node: &serde_json::Value,
    is_production_branch: impl Fn(&str) -> bool,
) -> Vec<String> {
    use serde_json::Value;
    let merged = node.get("mergedAt").is_some_and(|m| !m.is_null());
    let base = node
        .get("baseRefName")
        .and_then(Value::as_str)
        .unwrap_or("");
    if !merged || !is_production_branch(base) {
        return Vec::new();
    }
    let commits = node
        .pointer("/commits/nodes")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(|c| c.pointer("/commit/oid"));
    node.pointer("/mergeCommit/oid")
        .into_iter()
        .chain(node.get("headRefOid"))
        .chain(commits)
        .filter_map(Value::as_str)
        .map(str::to_ascii_lowercase)
        .collect()
}

/// The [`DEPLOYED_COMMIT`] lookups of one repository: the distinct deployed SHAs
/// (lower-case, sorted) that no carried commit matches.
pub fn deployed_commit_lookups(
    carried: &std::collections::BTreeSet<String>,
    deployed: impl IntoIterator<Item = String>,
) -> Vec<String> {
    let wanted: std::collections::BTreeSet<String> = deployed
        .into_iter()
        .map(|sha| sha.to_ascii_lowercase())
        .filter(|sha| !sha.is_empty() && !carried.contains(sha))
        .collect();
    wanted.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// The pull-request selection of a query: the lines between `marker` and the line
    /// closing it, without indentation.
    fn selection(query: &str, marker: &str, close_indent: usize) -> Vec<String> {
        let start = query.find(marker).expect(marker) + marker.len();
        let close = format!("\n{}}}\n", " ".repeat(close_indent));
        let end = start + query[start..].find(&close).expect("closing brace");
        query[start..end]
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect()
    }

    #[test]
    fn deployed_commit_asks_for_the_fields_of_merged_pull_requests() {
        let merged = selection(MERGED_PULL_REQUESTS, "... on PullRequest {", 6);
        let deployed = selection(DEPLOYED_COMMIT, "nodes {\n            number", 10);
        assert!(merged.len() > 20, "{merged:?}");
        assert_eq!(deployed.first().map(String::as_str), Some("title"));
        assert_eq!(
            &merged[1..],
            &deployed[..],
            "the PR fields of the two queries differ"
        );
        assert_eq!(merged[0], "number");
    }

    #[test]
    fn lookups_are_the_deployed_commits_no_production_change_carries() {
        let node = json!({
            "mergedAt": "2026-07-02T10:00:00Z", "baseRefName": "main",
            "mergeCommit": {"oid": "AAA"}, "headRefOid": "bbb",
            "commits": {"nodes": [{"commit": {"oid": "ccc"}}]},
        });
        let production = |b: &str| b == "main";
        assert_eq!(carried_commits(&node, production), ["aaa", "bbb", "ccc"]);
        let mut develop = node.clone();
        develop["baseRefName"] = json!("develop");
        assert!(carried_commits(&develop, production).is_empty());
        let mut open = node.clone();
        open["mergedAt"] = json!(null);
        assert!(carried_commits(&open, production).is_empty());
        let carried = carried_commits(&node, production).into_iter().collect();
        let lookups = deployed_commit_lookups(
            &carried,
            ["aaa", "DDD", "ccc", "ddd", "eee"].map(String::from),
        );
        assert_eq!(lookups, ["ddd", "eee"]);
    }

    #[test]
    fn deployments_selected_by_environment_and_time() {
        let start = "2026-07-01T00:00:00Z".parse().unwrap();
        let prod = |e: &str| e == "production";
        let d = |env: &str, at: &str| json!({"environment": env, "created_at": at});
        assert!(selected_deployment(
            &d("production", "2026-07-01T00:00:00Z"),
            prod,
            start
        ));
        assert!(!selected_deployment(
            &d("production", "2026-06-30T23:59:59Z"),
            prod,
            start
        ));
        assert!(!selected_deployment(
            &d("staging", "2026-07-02T00:00:00Z"),
            prod,
            start
        ));
        assert!(selected_deployment(
            &d("production", "yesterday"),
            prod,
            start
        ));
    }
}
