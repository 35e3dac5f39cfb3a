//! GitLab: the REST calls changeproof makes (API v4) and how their answers are selected.
//!
//! The contract between the GitLab collector (`collect/gitlab.rs`), the normalizer
//! (`normalize/gitlab*.rs`), the example group generator (`example/gitlab/`) and the
//! fake GitLab server of the tests. Shapes follow GitLab's REST API documentation.
//!
//! URLs in the request log are `{api_url}{path}?{query}` with the query parameters in
//! the order given here, `&page=N` appended for later pages (offset pagination: GitLab's
//! `Link` header, `X-Total`, `X-Next-Page`) or the `Link` header's `cursor` for keyset
//! pagination. Projects and groups are named by their URL-encoded full path
//! (`globex%2Fstorefront`), branches and environments percent-encoded.
//!
//! | evidence type | call |
//! |---|---|
//! | repositories | `GET /groups/{group}/projects?include_subgroups=true&archived=false&order_by=path&sort=asc&per_page=100` |
//! | branches | `GET /projects/{project}/repository/branches?per_page=100` (which branches match the production patterns; not normalized) |
//! | pull_requests | `GET /projects/{project}/merge_requests?state=merged&updated_after={start}&order_by=updated_at&sort=asc&per_page=100` (`updated_at` is never before `merged_at`, so every MR merged in the window is listed; evaluation keeps the production ones merged inside it). For each listed MR in the population ([`in_population`]): `…/merge_requests/{iid}/approvals`, `…/merge_requests/{iid}/commits?per_page=100`, `…/merge_requests/{iid}/versions?per_page=100`, `…/merge_requests/{iid}/pipelines?per_page=100`, and the jobs of the head pipeline ([`head_pipeline`]) `…/pipelines/{pipeline_id}/jobs?per_page=100` |
//! | branch_commits | `GET /projects/{project}/repository/commits?ref_name={branch}&since={start}&until={end}&per_page=100` per production branch, then `GET /projects/{project}/repository/commits/{sha}/merge_requests` for each commit no MR of the population carries ([`carried_commits`]) |
//! | branch_protection | `GET /projects/{project}/protected_branches?per_page=100`, `GET /projects/{project}/approval_rules?per_page=100`, `GET /projects/{project}/approvals` (Premium: without them the approval terms are a gap) |
//! | environments | `GET /projects/{project}/environments?per_page=100`, `GET /projects/{project}/protected_environments?per_page=100` (Premium) |
//! | deployments | `GET /projects/{project}/deployments?environment={name}&updated_after={start}&order_by=updated_at&sort=asc&per_page=100` per production environment listed by `environments` |
//! | deployment_approvals | `GET /projects/{project}/deployments/{id}` for each of those deployments created at or after the window start (its `approvals`, Premium) |
//! | deployed_changes | `GET /projects/{project}/repository/commits/{sha}/merge_requests` for each deployed SHA the population's MRs do not carry |
//! | org_members | `GET /groups/{group}/members/all?per_page=100` (inherited members included) |
//! | repo_collaborators | `GET /projects/{project}/members/all?per_page=100` (every member with access: direct, inherited, invited groups) |
//! | deploy_keys | `GET /projects/{project}/deploy_keys?per_page=100` |
//! | audit_log | `GET /groups/{group}/audit_events?created_after={start - 1 day}&pagination=keyset&per_page=100` (Premium) |
//! | protection_history | `GET /projects/{project}/audit_events?created_after={start - 1 day}&pagination=keyset&per_page=100` (Premium): changes to protected branches, approval rules and approval settings are project events ([`protection_event`]) |
//!
//! Not available from GitLab's API, so recorded as gaps by the normalizer: two-factor
//! status (reported only to instance administrators), CI/CD variable ages (the variables
//! API has no creation or update time).

use crate::locker::Window;
use crate::model::Timestamp;

/// One documented call: a path under the API root and its query.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Call {
    pub path: String,
    pub query: String,
}

impl Call {
    fn new(path: String, query: impl Into<String>) -> Call {
        Call {
            path,
            query: query.into(),
        }
    }

    /// `path?query` (or `path`), relative to the API root.
    pub fn target(&self) -> String {
        if self.query.is_empty() {
            self.path.clone()
        } else {
            format!("{}?{}", self.path, self.query)
        }
    }
}

/// Percent-encodes a path segment or query value (`globex/api` → `globex%2Fapi`).
pub fn enc(text: &str) -> String {
    crate::collect::pagination::encode(text)
}

/// GitLab's time format in queries: `2026-07-01T00:00:00Z`.
pub fn time(t: Timestamp) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

const PER_PAGE: &str = "per_page=100";

pub fn group_projects(group: &str) -> Call {
    Call::new(
        format!("/groups/{}/projects", enc(group)),
        "include_subgroups=true&archived=false&order_by=path&sort=asc&per_page=100",
    )
}

pub fn branches(project: &str) -> Call {
    Call::new(
        format!("/projects/{}/repository/branches", enc(project)),
        PER_PAGE,
    )
}

pub fn merge_requests(project: &str, window: &Window) -> Call {
    Call::new(
        format!("/projects/{}/merge_requests", enc(project)),
        format!(
            "state=merged&updated_after={}&order_by=updated_at&sort=asc&per_page=100",
            enc(&time(window.start))
        ),
    )
}

fn mr_path(project: &str, iid: u64) -> String {
    format!("/projects/{}/merge_requests/{iid}", enc(project))
}

pub fn mr_approvals(project: &str, iid: u64) -> Call {
    Call::new(format!("{}/approvals", mr_path(project, iid)), "")
}

pub fn mr_commits(project: &str, iid: u64) -> Call {
    Call::new(format!("{}/commits", mr_path(project, iid)), PER_PAGE)
}

pub fn mr_versions(project: &str, iid: u64) -> Call {
    Call::new(format!("{}/versions", mr_path(project, iid)), PER_PAGE)
}

pub fn mr_pipelines(project: &str, iid: u64) -> Call {
    Call::new(format!("{}/pipelines", mr_path(project, iid)), PER_PAGE)
}

pub fn pipeline_jobs(project: &str, pipeline_id: u64) -> Call {
    Call::new(
        format!("/projects/{}/pipelines/{pipeline_id}/jobs", enc(project)),
        PER_PAGE,
    )
}

pub fn branch_commits(project: &str, branch: &str, window: &Window) -> Call {
    Call::new(
        format!("/projects/{}/repository/commits", enc(project)),
        format!(
            "ref_name={}&since={}&until={}&per_page=100",
            enc(branch),
            enc(&time(window.start)),
            enc(&time(window.end))
        ),
    )
}

pub fn commit_merge_requests(project: &str, sha: &str) -> Call {
    Call::new(
        format!(
            "/projects/{}/repository/commits/{}/merge_requests",
            enc(project),
            enc(sha)
        ),
        "",
    )
}

pub fn protected_branches(project: &str) -> Call {
    Call::new(
        format!("/projects/{}/protected_branches", enc(project)),
        PER_PAGE,
    )
}

pub fn approval_rules(project: &str) -> Call {
    Call::new(
        format!("/projects/{}/approval_rules", enc(project)),
        PER_PAGE,
    )
}

pub fn project_approvals(project: &str) -> Call {
    Call::new(format!("/projects/{}/approvals", enc(project)), "")
}

pub fn environments(project: &str) -> Call {
    Call::new(format!("/projects/{}/environments", enc(project)), PER_PAGE)
}

pub fn protected_environments(project: &str) -> Call {
    Call::new(
        format!("/projects/{}/protected_environments", enc(project)),
        PER_PAGE,
    )
}

pub fn deployments(project: &str, environment: &str, window: &Window) -> Call {
    Call::new(
        format!("/projects/{}/deployments", enc(project)),
        format!(
            "environment={}&updated_after={}&order_by=updated_at&sort=asc&per_page=100",
            enc(environment),
            enc(&time(window.start))
        ),
    )
}

pub fn deployment(project: &str, id: u64) -> Call {
    Call::new(format!("/projects/{}/deployments/{id}", enc(project)), "")
}

pub fn group_members(group: &str) -> Call {
    Call::new(format!("/groups/{}/members/all", enc(group)), PER_PAGE)
}

pub fn project_members(project: &str) -> Call {
    Call::new(format!("/projects/{}/members/all", enc(project)), PER_PAGE)
}

pub fn deploy_keys(project: &str) -> Call {
    Call::new(format!("/projects/{}/deploy_keys", enc(project)), PER_PAGE)
}

pub fn audit_events(group: &str, window: &Window) -> Call {
    audit_events_of("groups", group, window)
}

pub fn project_audit_events(project: &str, window: &Window) -> Call {
    audit_events_of("projects", project, window)
}

/// A group's or project's audit events from a day before the window (keyset pages).
fn audit_events_of(scope: &str, path: &str, window: &Window) -> Call {
    Call::new(
        format!("/{scope}/{}/audit_events", enc(path)),
        format!(
            "created_after={}&pagination=keyset&per_page=100",
            enc(&time(window.start - chrono::Duration::days(1)))
        ),
    )
}

/// Whether a project audit event may have changed how a branch is protected: its
/// `event_name` or its `details` name a protected branch, an approval rule or setting,
/// a push rule or merge settings. GitLab's event names are many and grow, so the test is
/// deliberately wide: a false match only leaves a branch not tested, a miss would pass it.
pub fn protection_event(event: &serde_json::Value) -> bool {
    const WORDS: &[&str] = &["protect", "approv", "push", "merge", "code_owner", "force"];
    let mut text = str_at(event, "event_name")
        .unwrap_or("")
        .to_ascii_lowercase();
    if let Some(details) = event.get("details").and_then(serde_json::Value::as_object) {
        for key in ["change", "custom_message", "target_type", "event_name"] {
            if let Some(v) = details.get(key).and_then(serde_json::Value::as_str) {
                text.push(' ');
                text.push_str(&v.to_ascii_lowercase());
            }
        }
    }
    WORDS.iter().any(|w| text.contains(w))
}

fn str_at<'v>(v: &'v serde_json::Value, key: &str) -> Option<&'v str> {
    v.get(key).and_then(serde_json::Value::as_str)
}

fn time_at(v: &serde_json::Value, key: &str) -> Option<Timestamp> {
    let s = str_at(v, key)?;
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&chrono::Utc))
}

/// Whether a listed merged MR needs its follow-up calls: merged inside the window into
/// a production branch.
pub fn in_population(
    mr: &serde_json::Value,
    is_production_branch: impl Fn(&str) -> bool,
    window: &Window,
) -> bool {
    let merged = time_at(mr, "merged_at").is_some_and(|t| window.contains(t));
    merged && str_at(mr, "target_branch").is_some_and(is_production_branch)
}

/// The MR's pipeline for its head commit: the newest (the list is newest first) whose
/// `sha` is the MR's head `sha`.
pub fn head_pipeline(pipelines: &[serde_json::Value], head_sha: &str) -> Option<u64> {
    pipelines
        .iter()
        .find(|p| str_at(p, "sha") == Some(head_sha))
        .and_then(|p| p.get("id").and_then(serde_json::Value::as_u64))
}

/// The commits an MR of the population carries into its target branch: its merge and
/// squash commits, its head, and each of its commits.
pub fn carried_commits(mr: &serde_json::Value, commits: &[serde_json::Value]) -> Vec<String> {
    let mut out: Vec<String> = ["merge_commit_sha", "squash_commit_sha", "sha"]
        .iter()
        .filter_map(|k| str_at(mr, k))
        .map(str::to_string)
        .collect();
    out.extend(
        commits
            .iter()
            .filter_map(|c| str_at(c, "id"))
            .map(str::to_string),
    );
    out
}

/// Whether a listed deployment needs its single-deployment call (for its approvals):
/// created at or after the window start.
pub fn deployment_needs_detail(deployment: &serde_json::Value, window: &Window) -> bool {
    time_at(deployment, "created_at").is_some_and(|t| t >= window.start)
}

/// GitLab's access levels as GitHub-style permissions, so that access controls read one
/// vocabulary: Guest/Planner/Reporter → `read`, Developer → `write`, Maintainer →
/// `maintain`, Owner → `admin`. `None`: no access (0, or minimal access 5).
pub fn permission(access_level: u64) -> Option<&'static str> {
    match access_level {
        50.. => Some("admin"),
        40..=49 => Some("maintain"),
        30..=39 => Some("write"),
        10..=29 => Some("read"),
        _ => None,
    }
}

/// The owner access level: group owners are the organisation's owners (AC-03).
pub const OWNER: u64 = 50;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn window() -> Window {
        Window {
            start: "2026-07-01T00:00:00Z".parse().unwrap(),
            end: "2026-10-01T00:00:00Z".parse().unwrap(),
        }
    }

    #[test]
    fn calls_name_projects_by_encoded_path() {
        let c = merge_requests("globex/storefront", &window());
        assert_eq!(c.path, "/projects/globex%2Fstorefront/merge_requests");
        assert_eq!(
            c.query,
            "state=merged&updated_after=2026-07-01T00%3A00%3A00Z&order_by=updated_at&sort=asc&per_page=100"
        );
        assert_eq!(
            branch_commits("globex/storefront", "release/1.0", &window()).query,
            "ref_name=release%2F1.0&since=2026-07-01T00%3A00%3A00Z&until=2026-10-01T00%3A00%3A00Z&per_page=100"
        );
        assert_eq!(
            mr_approvals("g/p", 7).target(),
            "/projects/g%2Fp/merge_requests/7/approvals"
        );
    }

    #[test]
    fn population_head_pipeline_and_carried_commits() {
        let mr = json!({"merged_at": "2026-07-02T10:00:00Z", "target_branch": "main",
            "sha": "h", "merge_commit_sha": "m", "squash_commit_sha": null});
        assert!(in_population(&mr, |b| b == "main", &window()));
        assert!(!in_population(&mr, |b| b == "release", &window()));
        let before = json!({"merged_at": "2026-06-30T10:00:00Z", "target_branch": "main"});
        assert!(!in_population(&before, |_| true, &window()));
        let pipelines = [
            json!({"id": 3, "sha": "x"}),
            json!({"id": 2, "sha": "h"}),
            json!({"id": 1, "sha": "h"}),
        ];
        assert_eq!(head_pipeline(&pipelines, "h"), Some(2));
        assert_eq!(head_pipeline(&pipelines, "z"), None);
        assert_eq!(
            carried_commits(&mr, &[json!({"id": "c1"})]),
            vec!["m", "h", "c1"]
        );
    }

    #[test]
    fn protection_events_are_recognised_widely() {
        let e =
            |name: &str, change: &str| json!({"event_name": name, "details": {"change": change}});
        assert!(protection_event(&e("protected_branch_updated", "")));
        assert!(protection_event(&e("update_approval_rules", "")));
        assert!(protection_event(&e("", "allow_force_push")));
        assert!(protection_event(&e(
            "project_setting_updated",
            "reset_approvals_on_push"
        )));
        assert!(protection_event(
            &json!({"details": {"custom_message": "Unprotected branch main"}})
        ));
        assert!(!protection_event(&e("member_updated", "access_level")));
        assert!(!protection_event(&e("project_topics_updated", "topics")));
    }

    #[test]
    fn access_levels_map_to_permissions() {
        assert_eq!(permission(50), Some("admin"));
        assert_eq!(permission(40), Some("maintain"));
        assert_eq!(permission(30), Some("write"));
        assert_eq!(permission(20), Some("read"));
        assert_eq!(permission(15), Some("read"));
        assert_eq!(permission(10), Some("read"));
        assert_eq!(permission(5), None);
        assert_eq!(permission(0), None);
    }
}
