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
//! | ruleset_history | `GET /repos/{owner}/{repo}/rulesets/{ruleset_id}/history?per_page=100` for every repository ruleset (`ruleset_source_type` `Repository`) whose rules apply to a production branch; then `GET /repos/{owner}/{repo}/rulesets/{ruleset_id}/history/{version_id}` for each version updated at or after the window start and the latest version before it |
//! | audit_log | `GET /orgs/{org}/audit-log?phrase={phrase}&per_page=100`, once per phrase of [`audit_log_phrases`]: `action:protected_branch created:>={start - 1 day}` and `action:repository_ruleset created:>={start - 1 day}` (`YYYY-MM-DD`; spaces as `%20`, `:` as `%3A`, `>` as `%3E`, `=` as `%3D`). Without a `created:` qualifier the API returns only the past three months |
//! | deployments | `GET /repos/{owner}/{repo}/deployments?per_page=100` |
//! | deployment_statuses | `GET /repos/{owner}/{repo}/deployments/{id}/statuses?per_page=100`, for deployments to a production environment (config) created at or after the window start |
//! | deployment_approvals | `GET /repos/{owner}/{repo}/actions/runs/{run_id}/approvals` (run id from the status `log_url`/`target_url` `…/actions/runs/{run_id}…`), once per run of those deployments |
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

/// The audit-log searches, each as its URL-encoded `phrase` parameter: the protected-branch
/// and ruleset categories (configuration changes for CM-10, policy overrides for CM-04)
/// from a day before the window start.
pub fn audit_log_phrases(window_start: chrono::DateTime<chrono::Utc>) -> Vec<String> {
    let since = (window_start - chrono::Duration::days(1)).format("%Y-%m-%d");
    ["protected_branch", "repository_ruleset"]
        .iter()
        .map(|category| format!("action%3A{category}%20created%3A%3E%3D{since}"))
        .collect()
}

/// Every GraphQL query changeproof sends, by operation name (validated against GitHub's
/// schema in `tests/`).
pub const QUERIES: &[(&str, &str)] = &[
    ("MergedPullRequests", MERGED_PULL_REQUESTS),
    ("BranchHistory", BRANCH_HISTORY),
];
