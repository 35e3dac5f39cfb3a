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
//! | pull_requests | `POST /graphql` [`MERGED_PULL_REQUESTS`], `$q` = `repo:{owner}/{repo} is:pr is:merged merged:{start - 1 day}..{end}` (dates: search's date qualifiers are coarse, so the query has a day's margin on each side and the exact window is applied by evaluation; PRs into every base branch come back, evaluation keeps the production ones). GitHub's search yields at most [`SEARCH_CAP`] results: when the first page's `issueCount` exceeds it, that search is not paged further but its day range is halved ([`MergedRange::split`]) and each half searched the same way, until every search holds at most [`SEARCH_CAP`] |
//! | pull_requests (overflow) | `POST /graphql` [`PULL_REQUEST_REVIEWS`], [`PULL_REQUEST_COMMITS`], [`PULL_REQUEST_CHECKS`], [`PULL_REQUEST_LABELS`], [`PULL_REQUEST_TIMELINE`] per merged PR and per nested connection whose `totalCount` exceeds what its `MergedPullRequests` (or `DeployedCommit`) page carried, `$owner`/`$name`/`$number` of the PR, `$cursor` = that connection's `pageInfo.endCursor`, then each page's (see [`PullRequestConnection`]) |
//! | branches | `GET /repos/{owner}/{repo}/branches?per_page=100` (names only: which branches match the production patterns; not normalized) |
//! | branch_commits | `POST /graphql` [`BRANCH_HISTORY`] per production branch, `$since`/`$until` = window start/end as `YYYY-MM-DDTHH:MM:SSZ` |
//! | branch_protection | `GET /repos/{owner}/{repo}/branches/{branch}/protection` (404 `Branch not protected` is evidence, not an error) |
//! | rulesets | `GET /repos/{owner}/{repo}/rules/branches/{branch}?per_page=100` |
//! | rule_suites | `GET /repos/{owner}/{repo}/rulesets/rule-suites?ref={ref}&time_period=month&per_page=100` |
//! | ruleset_history | `GET /repos/{owner}/{repo}/rulesets/{ruleset_id}/history?per_page=100` for every repository ruleset (`ruleset_source_type` `Repository`) whose rules apply to a production branch; then `GET /repos/{owner}/{repo}/rulesets/{ruleset_id}/history/{version_id}` for each version updated at or after the window start and the latest version before it; likewise `GET /orgs/{org}/rulesets/{ruleset_id}/history?per_page=100` and `…/history/{version_id}` once for each organisation ruleset (`ruleset_source_type` `Organization`) whose rules apply to a production branch |
//! | audit_log | `GET /orgs/{org}/audit-log?phrase={phrase}&per_page=100`, once per phrase of [`audit_log_phrases`]: `action:protected_branch created:>={start - 1 day}` and `action:repository_ruleset created:>={start - 1 day}` (`YYYY-MM-DD`; spaces as `%20`, `:` as `%3A`, `>` as `%3E`, `=` as `%3D`). Without a `created:` qualifier the API returns only the past three months |
//! | deployments | `GET /repos/{owner}/{repo}/deployments?per_page=100` |
//! | deployment_statuses | `POST /graphql` [`PRODUCTION_DEPLOYMENTS`], `$owner`/`$name`, `$environments` = the distinct production environments (config), sorted, of the listed deployments created at or after the window start (no call when there are none); newest first, 100 deployments a page with up to 100 statuses each, continuing while [`deployments_continue`] says so. Lockers written before this query hold `GET /repos/{owner}/{repo}/deployments/{id}/statuses?per_page=100` per such deployment instead; the normalizer still reads them |
//! | deployment_approvals | `GET /repos/{owner}/{repo}/actions/runs/{run_id}/approvals` (run id from the status `log_url`/`target_url` `…/actions/runs/{run_id}…`), once per run of those deployments |
//! | deployed_changes | `POST /graphql` [`DEPLOYED_COMMIT`], `$owner`/`$name`/`$oid`, once per distinct deployed SHA ([`deployed_commit_lookups`]) of those deployments that no merged pull request into a production branch returned by the repository's `pull_requests` search carries (as merge commit, head or commit): the change behind a rollback or a redeploy of a change merged before the window |
//! | environments | `GET /repos/{owner}/{repo}/environments?per_page=100` (an object: `total_count`, `environments`), every repository in scope |
//! | org_members | `GET /orgs/{org}/members?role=admin&per_page=100` (owners), `GET /orgs/{org}/members?role=all&per_page=100` |
//! | two_factor | `GET /orgs/{org}/members?filter=2fa_disabled&per_page=100`, `GET /orgs/{org}/outside_collaborators?filter=2fa_disabled&per_page=100` |
//! | outside_collaborators | `GET /orgs/{org}/outside_collaborators?per_page=100` |
//! | repo_collaborators | `GET /repos/{owner}/{repo}/collaborators?affiliation=direct&per_page=100` |
//! | teams | `GET /orgs/{org}/teams?per_page=100`, `GET /orgs/{org}/teams/{slug}/members?per_page=100`, `GET /orgs/{org}/teams/{slug}/repos?per_page=100` |
//! | deploy_keys | `GET /repos/{owner}/{repo}/keys?per_page=100` |
//! | secrets | `GET /repos/{owner}/{repo}/actions/secrets?per_page=100`, `GET /orgs/{org}/actions/secrets?per_page=100` |
//!
//! | (probe) pull_requests | `GET /repos/{owner}/{repo}/pulls?state=closed&sort=updated&direction=desc&per_page=1` ([`PULLS_PROBE_QUERY`]) before the repository's pull-request queries, conditional on the earlier collection's ETag (`--etag-cache`): a `304` says no closed pull request was updated since, and the earlier answers to `MergedPullRequests` and the per-PR follow-ups are reused (recorded as reused, citing the probe) instead of asked again |
//! | (probe) branch_commits | `GET /repos/{owner}/{repo}/branches/{branch}` before each production branch's `BranchHistory`: a `304` says the branch head has not moved, and the earlier history pages are reused |
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

/// The query of the pull-request probe: the one most recently updated closed pull
/// request (any update to a closed PR, a merge included, changes it and its ETag).
pub const PULLS_PROBE_QUERY: &str = "state=closed&sort=updated&direction=desc&per_page=1";

/// Merged pull requests of a repository in the window, with reviews, commits, head
/// checks, labels and timeline events nested (about 6 points per 100 PRs).
pub const MERGED_PULL_REQUESTS: &str = include_str!("queries/merged_pull_requests.graphql");

/// Commits on a production branch in the window with their associated pull requests.
pub const BRANCH_HISTORY: &str = include_str!("queries/branch_history.graphql");

/// The reviews of one pull request after the first page (overflow follow-up).
pub const PULL_REQUEST_REVIEWS: &str = include_str!("queries/pull_request_reviews.graphql");

/// The commits of one pull request after the first page (overflow follow-up).
pub const PULL_REQUEST_COMMITS: &str = include_str!("queries/pull_request_commits.graphql");

/// The head commit's checks of one pull request after the first page (overflow follow-up).
pub const PULL_REQUEST_CHECKS: &str = include_str!("queries/pull_request_checks.graphql");

/// The labels of one pull request after the first page (overflow follow-up).
pub const PULL_REQUEST_LABELS: &str = include_str!("queries/pull_request_labels.graphql");

/// The timeline events of one pull request after the first page (overflow follow-up).
pub const PULL_REQUEST_TIMELINE: &str = include_str!("queries/pull_request_timeline.graphql");
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

/// The pull requests GitHub associates with one deployed commit, with the fields of
/// [`MERGED_PULL_REQUESTS`].
pub const DEPLOYED_COMMIT: &str = include_str!("queries/deployed_commit.graphql");

/// Deployments to production environments with their status histories, newest first.
pub const PRODUCTION_DEPLOYMENTS: &str = include_str!("queries/production_deployments.graphql");

/// Where the deployments connection is in a `ProductionDeployments` response.
pub const PRODUCTION_DEPLOYMENTS_CONNECTION: &str = "/data/repository/deployments";

/// Whether `ProductionDeployments` needs the page after one whose last (oldest)
/// deployment was created at `last_created_at`: deployments created before the window
/// start belong to no population, so paging stops at the first page reaching them.
pub fn deployments_continue(
    last_created_at: crate::model::Timestamp,
    window: &crate::locker::Window,
) -> bool {
    last_created_at >= window.start
}

/// Every GraphQL query changeproof sends, by operation name (validated against GitHub's
/// schema in `tests/`).
pub const QUERIES: &[(&str, &str)] = &[
    ("MergedPullRequests", MERGED_PULL_REQUESTS),
    ("BranchHistory", BRANCH_HISTORY),
    ("PullRequestReviews", PULL_REQUEST_REVIEWS),
    ("PullRequestCommits", PULL_REQUEST_COMMITS),
    ("PullRequestChecks", PULL_REQUEST_CHECKS),
    ("PullRequestLabels", PULL_REQUEST_LABELS),
    ("PullRequestTimeline", PULL_REQUEST_TIMELINE),
    ("DeployedCommit", DEPLOYED_COMMIT),
    ("ProductionDeployments", PRODUCTION_DEPLOYMENTS),
];

/// A connection nested in each pull request of `MergedPullRequests`, and the follow-up
/// query that continues it when one page did not hold it all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PullRequestConnection {
    Labels,
    Reviews,
    Commits,
    Checks,
    Timeline,
}

impl PullRequestConnection {
    pub const ALL: [PullRequestConnection; 5] = [
        PullRequestConnection::Labels,
        PullRequestConnection::Reviews,
        PullRequestConnection::Commits,
        PullRequestConnection::Checks,
        PullRequestConnection::Timeline,
    ];

    /// The name in `Change::incomplete` while the connection is not collected in full.
    pub fn name(self) -> &'static str {
        match self {
            PullRequestConnection::Labels => "labels",
            PullRequestConnection::Reviews => "reviews",
            PullRequestConnection::Commits => "commits",
            PullRequestConnection::Checks => "checks",
            PullRequestConnection::Timeline => "timeline",
        }
    }

    /// Its page size in `MergedPullRequests` (the `first:` argument there).
    pub fn first_page(self) -> usize {
        match self {
            PullRequestConnection::Labels => 20,
            PullRequestConnection::Reviews => 50,
            PullRequestConnection::Commits => 100,
            PullRequestConnection::Checks => 50,
            PullRequestConnection::Timeline => 50,
        }
    }

    /// The page size of the follow-up query.
    pub const FOLLOW_UP_PAGE: usize = 100;

    /// Where the connection is, relative to a pull request node (both in a
    /// `MergedPullRequests` search node and in the follow-up's `repository.pullRequest`).
    pub fn pointer(self) -> &'static str {
        match self {
            PullRequestConnection::Labels => "/labels",
            PullRequestConnection::Reviews => "/reviews",
            PullRequestConnection::Commits => "/commits",
            PullRequestConnection::Checks => {
                "/headCommit/nodes/0/commit/statusCheckRollup/contexts"
            }
            PullRequestConnection::Timeline => "/timelineItems",
        }
    }

    /// The follow-up query: (operation name, text).
    pub fn follow_up(self) -> (&'static str, &'static str) {
        match self {
            PullRequestConnection::Labels => ("PullRequestLabels", PULL_REQUEST_LABELS),
            PullRequestConnection::Reviews => ("PullRequestReviews", PULL_REQUEST_REVIEWS),
            PullRequestConnection::Commits => ("PullRequestCommits", PULL_REQUEST_COMMITS),
            PullRequestConnection::Checks => ("PullRequestChecks", PULL_REQUEST_CHECKS),
            PullRequestConnection::Timeline => ("PullRequestTimeline", PULL_REQUEST_TIMELINE),
        }
    }

    /// The connection a follow-up operation continues.
    pub fn of_operation(operation: &str) -> Option<PullRequestConnection> {
        Self::ALL.into_iter().find(|c| c.follow_up().0 == operation)
    }
}

/// GitHub's search returns at most this many results per query (its `issueCount` may
/// say more).
pub const SEARCH_CAP: u64 = 1000;

/// The days of a `merged:{from}..{to}` search qualifier (both inclusive, UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct MergedRange {
    pub from: chrono::NaiveDate,
    pub to: chrono::NaiveDate,
}

impl MergedRange {
    /// The window with a day's margin before its start: `[start - 1 day, end]`.
    pub fn of_window(window: &crate::locker::Window) -> MergedRange {
        MergedRange {
            from: (window.start - chrono::Duration::days(1)).date_naive(),
            to: window.end.date_naive(),
        }
    }

    /// `$q` of `MergedPullRequests` for the repository `owner/name`.
    pub fn query(&self, full_name: &str) -> String {
        format!(
            "repo:{full_name} is:pr is:merged merged:{}..{}",
            self.from.format("%Y-%m-%d"),
            self.to.format("%Y-%m-%d")
        )
    }

    /// The two halves (the first one the longer by a day if the count is odd); `None`
    /// for a single day, which cannot be split further.
    pub fn split(&self) -> Option<(MergedRange, MergedRange)> {
        let days = (self.to - self.from).num_days();
        if days < 1 {
            return None;
        }
        let mid = self.from + chrono::Duration::days(days / 2);
        Some((
            MergedRange {
                from: self.from,
                to: mid,
            },
            MergedRange {
                from: mid + chrono::Duration::days(1),
                to: self.to,
            },
        ))
    }

    /// Whether the search matches a PR merged at `t`.
    pub fn contains(&self, t: crate::model::Timestamp) -> bool {
        let day = t.date_naive();
        self.from <= day && day <= self.to
    }

    /// The range of a `$q` written by [`MergedRange::query`].
    pub fn of_query(q: &str) -> Option<MergedRange> {
        let range = q
            .split_whitespace()
            .find_map(|term| term.strip_prefix("merged:"))?;
        let (from, to) = range.split_once("..")?;
        Some(MergedRange {
            from: chrono::NaiveDate::parse_from_str(from, "%Y-%m-%d").ok()?,
            to: chrono::NaiveDate::parse_from_str(to, "%Y-%m-%d").ok()?,
        })
    }
}

/// Where the pull request is in a follow-up response.
pub const FOLLOW_UP_PULL_REQUEST: &str = "/data/repository/pullRequest";

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

    #[test]
    fn first_pages_are_those_of_the_query() {
        for c in PullRequestConnection::ALL {
            let first = format!("(first: {}", c.first_page());
            let field = match c {
                PullRequestConnection::Labels => "labels",
                PullRequestConnection::Reviews => "reviews",
                PullRequestConnection::Commits => "commits",
                PullRequestConnection::Checks => "contexts",
                PullRequestConnection::Timeline => "timelineItems",
            };
            assert!(
                MERGED_PULL_REQUESTS.contains(&format!("{field}{first}")),
                "{field}{first}"
            );
            let (name, text) = c.follow_up();
            assert_eq!(PullRequestConnection::of_operation(name), Some(c));
            assert!(text.contains(&format!(
                "{field}(first: {}, after: $cursor",
                PullRequestConnection::FOLLOW_UP_PAGE
            )));
        }
    }

    #[test]
    fn merged_ranges_split_down_to_single_days() {
        let window = crate::locker::Window {
            start: "2026-07-01T00:00:00Z".parse().unwrap(),
            end: "2026-10-01T00:00:00Z".parse().unwrap(),
        };
        let range = MergedRange::of_window(&window);
        let q = range.query("acme/api");
        assert_eq!(
            q,
            "repo:acme/api is:pr is:merged merged:2026-06-30..2026-10-01"
        );
        assert_eq!(MergedRange::of_query(&q), Some(range));
        let (a, b) = range.split().unwrap();
        assert_eq!(a.from, range.from);
        assert_eq!(b.to, range.to);
        assert_eq!(a.to + chrono::Duration::days(1), b.from);
        // Every day is in exactly one half.
        let mut day = range.from;
        while day <= range.to {
            let t = day.and_hms_opt(12, 0, 0).unwrap().and_utc();
            assert!(range.contains(t));
            assert!(a.contains(t) != b.contains(t), "{day}");
            day += chrono::Duration::days(1);
        }
        let one = MergedRange {
            from: range.from,
            to: range.from,
        };
        assert_eq!(one.split(), None);
        let two = MergedRange {
            from: range.from,
            to: range.from + chrono::Duration::days(1),
        };
        let (x, y) = two.split().unwrap();
        assert_eq!(
            (x.from, x.to, y.from, y.to),
            (two.from, two.from, two.to, two.to)
        );
    }
}
