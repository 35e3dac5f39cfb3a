//! REST response bodies, shaped like GitHub's official examples
//! (`tests/data/github/rest-examples/`): every key the example's objects carry, with
//! GitHub's URL templates, legacy node ids and timestamps.

use chrono::Duration;
use serde_json::{Value, json};

use super::people::{Acct, Kind, base64};
use super::render_graphql::iso;
use super::world::{
    API_URL, Deployment, ORG, ORG_ID, Protection, Repo, RunApproval, SecretPlan, TeamPlan, World,
};

/// GitHub Actions' app id (check runs, deployments).
const ACTIONS_APP_ID: u64 = 15_368;

/// `MDQ6VXNlcjE=`: base64 of `0{len(type)}:{type}{id}`.
pub fn legacy_node_id(kind: &str, id: u64) -> String {
    base64(format!("0{}:{kind}{id}", kind.len()).as_bytes())
}

pub fn user(w: &World, a: Acct) -> Value {
    let acct = w.people.get(a);
    let bot = acct.kind == Kind::Bot;
    let path = acct.login.replace('[', "%5B").replace(']', "%5D");
    let api = format!("{API_URL}/users/{path}");
    let (html, avatar) = if bot {
        let app_id = match acct.graphql_login.as_str() {
            "github-actions" => ACTIONS_APP_ID,
            "dependabot" => 29_110,
            _ => 2_740,
        };
        (
            format!("https://github.com/apps/{}", acct.graphql_login),
            format!("https://avatars.githubusercontent.com/in/{app_id}?v=4"),
        )
    } else {
        (
            format!("https://github.com/{}", acct.login),
            format!("https://avatars.githubusercontent.com/u/{}?v=4", acct.id),
        )
    };
    json!({
        "login": acct.login,
        "id": acct.id,
        "node_id": acct.node_id(),
        "avatar_url": avatar,
        "gravatar_id": "",
        "url": api,
        "html_url": html,
        "followers_url": format!("{api}/followers"),
        "following_url": format!("{api}/following{{/other_user}}"),
        "gists_url": format!("{api}/gists{{/gist_id}}"),
        "starred_url": format!("{api}/starred{{/owner}}{{/repo}}"),
        "subscriptions_url": format!("{api}/subscriptions"),
        "organizations_url": format!("{api}/orgs"),
        "repos_url": format!("{api}/repos"),
        "events_url": format!("{api}/events{{/privacy}}"),
        "received_events_url": format!("{api}/received_events"),
        "type": acct.typename(),
        "user_view_type": "public",
        "site_admin": false,
    })
}

fn org_owner() -> Value {
    let api = format!("{API_URL}/users/{ORG}");
    json!({
        "login": ORG,
        "id": ORG_ID,
        "node_id": legacy_node_id("Organization", ORG_ID),
        "avatar_url": format!("https://avatars.githubusercontent.com/u/{ORG_ID}?v=4"),
        "gravatar_id": "",
        "url": api,
        "html_url": format!("https://github.com/{ORG}"),
        "followers_url": format!("{api}/followers"),
        "following_url": format!("{api}/following{{/other_user}}"),
        "gists_url": format!("{api}/gists{{/gist_id}}"),
        "starred_url": format!("{api}/starred{{/owner}}{{/repo}}"),
        "subscriptions_url": format!("{api}/subscriptions"),
        "organizations_url": format!("{api}/orgs"),
        "repos_url": format!("{api}/repos"),
        "events_url": format!("{api}/events{{/privacy}}"),
        "received_events_url": format!("{api}/received_events"),
        "type": "Organization",
        "user_view_type": "public",
        "site_admin": false,
    })
}

/// `permissions` of a role name, as GitHub reports it for collaborators and team repos.
fn permissions(role: &str) -> Value {
    let rank = match role {
        "admin" => 5,
        "maintain" => 4,
        "write" => 3,
        "triage" => 2,
        _ => 1,
    };
    json!({
        "admin": rank >= 5,
        "maintain": rank >= 4,
        "push": rank >= 3,
        "triage": rank >= 2,
        "pull": true,
    })
}

/// A repository object (org repos list, team repos).
pub fn repo(w: &World, r: &Repo, role: &str) -> Value {
    let full = r.full_name();
    let api = format!("{API_URL}/repos/{full}");
    let html = format!("https://github.com/{full}");
    let pushed = w
        .branches
        .iter()
        .filter(|b| w.repos[b.repo].name == r.name)
        .filter_map(|b| b.pushes.last().map(|p| p.at))
        .max()
        .filter(|t| *t < w.snapshot)
        .unwrap_or(w.window.start - Duration::days(40));
    let open_issues = r.id % 37;
    let mut m = serde_json::Map::new();
    let mut put = |k: &str, v: Value| {
        m.insert(k.to_string(), v);
    };
    put("id", json!(r.id));
    put("node_id", json!(legacy_node_id("Repository", r.id)));
    put("name", json!(r.name));
    put("full_name", json!(full));
    put("private", json!(true));
    put("owner", org_owner());
    put("html_url", json!(html));
    put("description", json!(r.description));
    put("fork", json!(false));
    put("url", json!(api));
    // GitHub's URL templates, in the order the API lists them.
    for (key, suffix) in [
        ("forks_url", "/forks"),
        ("keys_url", "/keys{/key_id}"),
        ("collaborators_url", "/collaborators{/collaborator}"),
        ("teams_url", "/teams"),
        ("hooks_url", "/hooks"),
        ("issue_events_url", "/issues/events{/number}"),
        ("events_url", "/events"),
        ("assignees_url", "/assignees{/user}"),
        ("branches_url", "/branches{/branch}"),
        ("tags_url", "/tags"),
        ("blobs_url", "/git/blobs{/sha}"),
        ("git_tags_url", "/git/tags{/sha}"),
        ("git_refs_url", "/git/refs{/sha}"),
        ("trees_url", "/git/trees{/sha}"),
        ("statuses_url", "/statuses/{sha}"),
        ("languages_url", "/languages"),
        ("stargazers_url", "/stargazers"),
        ("contributors_url", "/contributors"),
        ("subscribers_url", "/subscribers"),
        ("subscription_url", "/subscription"),
        ("commits_url", "/commits{/sha}"),
        ("git_commits_url", "/git/commits{/sha}"),
        ("comments_url", "/comments{/number}"),
        ("issue_comment_url", "/issues/comments{/number}"),
        ("contents_url", "/contents/{+path}"),
        ("compare_url", "/compare/{base}...{head}"),
        ("merges_url", "/merges"),
        ("archive_url", "/{archive_format}{/ref}"),
        ("downloads_url", "/downloads"),
        ("issues_url", "/issues{/number}"),
        ("pulls_url", "/pulls{/number}"),
        ("milestones_url", "/milestones{/number}"),
        (
            "notifications_url",
            "/notifications{?since,all,participating}",
        ),
        ("labels_url", "/labels{/name}"),
        ("releases_url", "/releases{/id}"),
        ("deployments_url", "/deployments"),
    ] {
        put(key, json!(format!("{api}{suffix}")));
    }
    let rest = json!({
        "created_at": r.created_at,
        "updated_at": iso(pushed),
        "pushed_at": iso(pushed),
        "git_url": format!("git://github.com/{full}.git"),
        "ssh_url": format!("git@github.com:{full}.git"),
        "clone_url": format!("{html}.git"),
        "svn_url": html,
        "homepage": null,
        "size": 4_096 + (r.id % 90_000),
        "stargazers_count": 0,
        "watchers_count": 0,
        "language": r.language,
        "has_issues": true,
        "has_projects": true,
        "has_downloads": true,
        "has_wiki": false,
        "has_pages": false,
        "has_discussions": false,
        "forks_count": 0,
        "mirror_url": null,
        "archived": false,
        "disabled": false,
        "open_issues_count": open_issues,
        "license": null,
        "allow_forking": false,
        "is_template": false,
        "web_commit_signoff_required": false,
        "topics": r.topics,
        "visibility": "private",
        "forks": 0,
        "open_issues": open_issues,
        "watchers": 0,
        "default_branch": r.default_branch,
        "permissions": permissions(role),
        "security_and_analysis": {
            "advanced_security": {"status": "enabled"},
            "secret_scanning": {"status": "enabled"},
            "secret_scanning_push_protection": {"status": "enabled"},
            "secret_scanning_non_provider_patterns": {"status": "disabled"},
            "secret_scanning_delegated_alert_dismissal": {"status": "disabled"},
        },
    });
    if let Value::Object(rest) = rest {
        m.extend(rest);
    }
    Value::Object(m)
}

/// `GET /repos/{owner}/{repo}/branches/{branch}/protection`: status and body.
pub fn protection(r: &Repo, branch: &str) -> (u16, Value) {
    let Protection::Classic {
        approvals,
        dismiss_stale,
        checks,
        enforce_admins,
    } = r.protection(branch)
    else {
        return (
            404,
            json!({
                "message": "Branch not protected",
                "documentation_url": "https://docs.github.com/rest/branches/branch-protection#get-branch-protection",
                "status": "404",
            }),
        );
    };
    let url = format!(
        "{API_URL}/repos/{}/branches/{branch}/protection",
        r.full_name()
    );
    let contexts: Vec<&str> = checks.clone();
    let check_objs: Vec<Value> = checks
        .iter()
        .map(|c| json!({"context": c, "app_id": ACTIONS_APP_ID}))
        .collect();
    (
        200,
        json!({
            "url": url,
            "required_status_checks": {
                "url": format!("{url}/required_status_checks"),
                "strict": true,
                "contexts": contexts,
                "contexts_url": format!("{url}/required_status_checks/contexts"),
                "checks": check_objs,
            },
            "required_pull_request_reviews": {
                "url": format!("{url}/required_pull_request_reviews"),
                "dismiss_stale_reviews": dismiss_stale,
                "require_code_owner_reviews": false,
                "require_last_push_approval": false,
                "required_approving_review_count": approvals,
            },
            "required_signatures": {
                "url": format!("{url}/required_signatures"),
                "enabled": false,
            },
            "enforce_admins": {
                "url": format!("{url}/enforce_admins"),
                "enabled": enforce_admins,
            },
            "required_linear_history": {"enabled": false},
            "allow_force_pushes": {"enabled": false},
            "allow_deletions": {"enabled": false},
            "block_creations": {"enabled": false},
            "required_conversation_resolution": {"enabled": false},
            "lock_branch": {"enabled": false},
            "allow_fork_syncing": {"enabled": false},
            "restrictions": null,
        }),
    )
}

/// `GET /repos/{owner}/{repo}/rules/branches/{branch}`: the ruleset rules in force.
pub fn rules(r: &Repo, branch: &str) -> Value {
    let Protection::Rulesets {
        ruleset_id,
        approvals,
        dismiss_stale,
        checks,
        ..
    } = r.protection(branch)
    else {
        return json!([]);
    };
    let required: Vec<Value> = checks
        .iter()
        .map(|c| {
            if r.check_runs.contains(c) {
                json!({"context": c, "integration_id": ACTIONS_APP_ID})
            } else {
                json!({"context": c})
            }
        })
        .collect();
    json!([
        {
            "type": "pull_request",
            "parameters": {
                "required_approving_review_count": approvals,
                "dismiss_stale_reviews_on_push": dismiss_stale,
                "require_code_owner_review": false,
                "require_last_push_approval": false,
                "required_review_thread_resolution": false,
                "allowed_merge_methods": ["merge", "squash", "rebase"],
            },
            "ruleset_source_type": "Repository",
            "ruleset_source": r.full_name(),
            "ruleset_id": ruleset_id,
        },
        {
            "type": "required_status_checks",
            "parameters": {
                "strict_required_status_checks_policy": false,
                "do_not_enforce_on_create": false,
                "required_status_checks": required,
            },
            "ruleset_source_type": "Repository",
            "ruleset_source": r.full_name(),
            "ruleset_id": ruleset_id,
        },
        {
            "type": "non_fast_forward",
            "ruleset_source_type": "Repository",
            "ruleset_source": r.full_name(),
            "ruleset_id": ruleset_id,
        },
    ])
}

/// The ruleset versions a collector fetches: the latest before the window start and
/// every later one, oldest first (the contract of `crate::github`).
pub fn ruleset_versions_fetched(
    w: &World,
    repo: usize,
    ruleset_id: u64,
) -> Vec<&super::scenarios_branch::RulesetVersionPlan> {
    let mut all: Vec<_> = w
        .branch_plan
        .ruleset_versions
        .iter()
        .filter(|v| v.repo == repo && v.ruleset_id == ruleset_id)
        .collect();
    all.sort_by_key(|v| (v.at, v.version_id));
    let from = all.iter().rposition(|v| v.at < w.window.start).unwrap_or(0);
    all.split_off(from)
}

/// `GET /repos/{owner}/{repo}/rulesets/{id}/history`: newest first.
pub fn ruleset_history(w: &World, repo: usize, ruleset_id: u64) -> Vec<Value> {
    let mut all: Vec<_> = w
        .branch_plan
        .ruleset_versions
        .iter()
        .filter(|v| v.repo == repo && v.ruleset_id == ruleset_id)
        .collect();
    all.sort_by_key(|v| std::cmp::Reverse(v.version_id));
    all.into_iter()
        .map(|v| {
            json!({
                "version_id": v.version_id,
                "actor": {"id": w.people.get(v.actor).id, "type": "User"},
                "updated_at": iso(v.at),
            })
        })
        .collect()
}

/// `GET /repos/{owner}/{repo}/rulesets/{id}/history/{version_id}`: the version's state.
pub fn ruleset_version(w: &World, v: &super::scenarios_branch::RulesetVersionPlan) -> Value {
    let r = &w.repos[v.repo];
    let name = match r.protection(r.default_branch) {
        Protection::Rulesets { ruleset_name, .. } => *ruleset_name,
        _ => "branch protection",
    };
    let required: Vec<Value> = v
        .checks
        .iter()
        .map(|c| {
            if r.check_runs.contains(c) {
                json!({"context": c, "integration_id": ACTIONS_APP_ID})
            } else {
                json!({"context": c})
            }
        })
        .collect();
    let bypass: Vec<Value> = v
        .bypass
        .iter()
        .map(|(kind, id, mode)| json!({"actor_id": id, "actor_type": kind, "bypass_mode": mode}))
        .collect();
    json!({
        "version_id": v.version_id,
        "actor": {"id": w.people.get(v.actor).id, "type": "User"},
        "updated_at": iso(v.at),
        "state": {
            "id": v.ruleset_id,
            "name": name,
            "target": "branch",
            "source_type": "Repository",
            "source": r.full_name(),
            "enforcement": v.enforcement,
            "bypass_actors": bypass,
            "conditions": {"ref_name": {"include": ["~DEFAULT_BRANCH"], "exclude": []}},
            "rules": [
                {"type": "deletion"},
                {"type": "non_fast_forward"},
                {
                    "type": "pull_request",
                    "parameters": {
                        "required_approving_review_count": v.approvals,
                        "dismiss_stale_reviews_on_push": v.dismiss_stale,
                        "require_code_owner_review": false,
                        "require_last_push_approval": false,
                        "required_review_thread_resolution": false,
                        "allowed_merge_methods": ["merge", "squash", "rebase"],
                    },
                },
                {
                    "type": "required_status_checks",
                    "parameters": {
                        "strict_required_status_checks_policy": false,
                        "do_not_enforce_on_create": false,
                        "required_status_checks": required,
                    },
                },
            ],
        },
    })
}

/// `GET /repos/{owner}/{repo}/rulesets/rule-suites?ref=…`: newest first.
pub fn rule_suites(w: &World, repo: usize, branch: &str) -> Value {
    let r = &w.repos[repo];
    let mut suites: Vec<&super::world::RuleSuite> = w
        .rule_suites
        .iter()
        .filter(|s| s.repo == repo && s.branch == branch)
        .collect();
    suites.sort_by(|a, b| b.pushed_at.cmp(&a.pushed_at).then(b.id.cmp(&a.id)));
    Value::Array(
        suites
            .into_iter()
            .map(|s| {
                json!({
                    "id": s.id,
                    "actor_id": w.people.get(s.actor).id,
                    "actor_name": s.actor_name,
                    "before_sha": s.before,
                    "after_sha": s.after,
                    "ref": format!("refs/heads/{}", s.branch),
                    "repository_id": r.id,
                    "repository_name": r.name,
                    "pushed_at": iso(s.pushed_at),
                    "result": s.result,
                    "evaluation_result": s.evaluation_result,
                })
            })
            .collect(),
    )
}

/// `GET /orgs/{org}/audit-log?phrase=action:{category} created:>=…`: the events of one
/// category (`protected_branch`, `repository_ruleset`), newest first: policy overrides
/// and configuration changes.
pub fn audit_log_search(w: &World, category: &str) -> Vec<Value> {
    let prefix = format!("{category}.");
    let mut events: Vec<(crate::model::Timestamp, Value)> = Vec::new();
    if category == "protected_branch" {
        events.extend(w.audit_events.iter().map(|e| (e.at, override_event(w, e))));
    }
    for e in w
        .branch_plan
        .config_events
        .iter()
        .filter(|e| e.action.starts_with(&prefix))
    {
        let actor = w.people.get(e.actor);
        let r = &w.repos[e.repo];
        let ms = e.at.timestamp_millis();
        let mut item = serde_json::Map::new();
        for (k, v) in &e.fields {
            item.insert((*k).to_string(), v.clone());
        }
        let base = json!({
            "@timestamp": ms,
            "_document_id": e.document_id,
            "action": e.action,
            "actor": actor.login,
            "actor_id": actor.id,
            "actor_is_bot": false,
            "created_at": ms,
            "operation_type": if e.action.ends_with(".destroy") { "remove" } else if e.action.ends_with(".create") { "create" } else { "modify" },
            "org": ORG,
            "org_id": ORG_ID,
            "public_repo": false,
            "repo": r.full_name(),
            "repo_id": r.id,
        });
        if let Value::Object(base) = base {
            item.extend(base);
        }
        events.push((e.at, Value::Object(item)));
    }
    events.sort_by_key(|(at, _)| std::cmp::Reverse(*at));
    events.into_iter().map(|(_, v)| v).collect()
}

/// One `protected_branch.policy_override` event.
fn override_event(w: &World, e: &super::world::AuditEvent) -> Value {
    let actor = w.people.get(e.actor);
    let r = &w.repos[e.repo];
    let ms = e.at.timestamp_millis();
    let country = match actor.utc_offset_min {
        -480..=-180 => "US",
        60 => "IE",
        120 => "DK",
        _ => "GB",
    };
    json!({
        "@timestamp": ms,
        "_document_id": e.document_id,
        "action": "protected_branch.policy_override",
        "actor": actor.login,
        "actor_id": actor.id,
        "actor_is_bot": false,
        "actor_location": {"country_code": country},
        "branch": e.branch,
        "created_at": ms,
        "operation_type": "modify",
        "org": ORG,
        "org_id": ORG_ID,
        "public_repo": false,
        "repo": r.full_name(),
        "repo_id": r.id,
    })
}

fn actions_app() -> Value {
    json!({
        "id": ACTIONS_APP_ID,
        "slug": "github-actions",
        "node_id": legacy_node_id("App", ACTIONS_APP_ID),
        "name": "GitHub Actions",
        "description": "Automate your workflow from idea to production",
        "external_url": "https://help.github.com/en/actions",
        "html_url": "https://github.com/apps/github-actions",
        "created_at": "2018-07-30T09:30:17Z",
        "updated_at": "2024-04-10T20:33:16Z",
        "events": ["check_run", "check_suite", "deployment", "deployment_status", "workflow_run"],
    })
}

pub fn job_url(r: &Repo, d: &Deployment) -> String {
    format!(
        "https://github.com/{}/actions/runs/{}/job/{}",
        r.full_name(),
        d.run_id,
        d.job_id
    )
}

fn environment_url(r: &Repo, env: &str) -> String {
    let host = match r.name {
        "api" => "api.acme.io",
        "payments" => "payments.internal.acme.io",
        _ => "acme.io",
    };
    match env {
        "production" => format!("https://{host}"),
        "prod-eu" => format!("https://eu.{host}"),
        other => format!("https://{other}.{host}"),
    }
}

/// `GET /repos/{owner}/{repo}/deployments`: newest first.
pub fn deployments(w: &World, repo: usize) -> Vec<Value> {
    let r = &w.repos[repo];
    let api = format!("{API_URL}/repos/{}", r.full_name());
    let mut list: Vec<&Deployment> = w.deployments.iter().filter(|d| d.repo == repo).collect();
    list.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
    list.into_iter()
        .map(|d| {
            let updated = d.statuses.last().map_or(d.created_at, |s| s.created_at);
            json!({
                "url": format!("{api}/deployments/{}", d.id),
                "id": d.id,
                "node_id": legacy_node_id("Deployment", d.id),
                "task": "deploy",
                "original_environment": d.environment,
                "environment": d.environment,
                "description": "",
                "created_at": iso(d.created_at),
                "updated_at": iso(updated),
                "statuses_url": format!("{api}/deployments/{}/statuses", d.id),
                "repository_url": api,
                "creator": user(w, d.creator.unwrap_or(w.people.github_actions)),
                "sha": d.sha,
                "ref": d.ref_name,
                "payload": {},
                "transient_environment": false,
                "production_environment": d.environment != "staging",
                "performed_via_github_app": actions_app(),
            })
        })
        .collect()
}

/// `GET /repos/{owner}/{repo}/deployments/{id}/statuses`: newest first.
pub fn deployment_statuses(w: &World, d: &Deployment) -> Value {
    let r = &w.repos[d.repo];
    let api = format!("{API_URL}/repos/{}", r.full_name());
    let log = job_url(r, d);
    Value::Array(
        d.statuses
            .iter()
            .rev()
            .map(|s| {
                let (description, log_url) = match s.state {
                    "in_progress" => ("Deployment started", log.clone()),
                    "success" => ("Deployment finished successfully.", log.clone()),
                    "failure" => ("Deployment failed", log.clone()),
                    _ => ("", String::new()),
                };
                json!({
                    "url": format!("{api}/deployments/{}/statuses/{}", d.id, s.id),
                    "id": s.id,
                    "node_id": legacy_node_id("DeploymentStatus", s.id),
                    "state": s.state,
                    "creator": user(w, w.people.github_actions),
                    "description": description,
                    "environment": d.environment,
                    "target_url": log_url,
                    "created_at": iso(s.created_at),
                    "updated_at": iso(s.created_at),
                    "deployment_url": format!("{api}/deployments/{}", d.id),
                    "repository_url": api,
                    "environment_url": if s.state == "success" { environment_url(r, d.environment) } else { String::new() },
                    "log_url": log_url,
                    "performed_via_github_app": actions_app(),
                })
            })
            .collect(),
    )
}

/// Environment ids per repository environment (stable).
fn environment_id(r: &Repo, env: &str) -> u64 {
    let offset = match env {
        "production" => 11,
        "prod-eu" => 29,
        _ => 47,
    };
    1_180_000_000 + (r.id % 100_000) * 100 + offset
}

/// `GET /repos/{owner}/{repo}/actions/runs/{run_id}/approvals`.
pub fn run_approvals(w: &World, repo: usize, run_id: u64) -> Value {
    let r = &w.repos[repo];
    let list: Vec<&RunApproval> = w
        .run_approvals
        .iter()
        .filter(|a| a.repo == repo && a.run_id == run_id)
        .collect();
    Value::Array(
        list.into_iter()
            .map(|a| {
                let envs: Vec<Value> = a
                    .environments
                    .iter()
                    .map(|env| {
                        let id = environment_id(r, env);
                        json!({
                            "id": id,
                            "node_id": format!("EN_kwDO{}", base64(format!("{}:{id}", r.id).as_bytes()).trim_end_matches('=')),
                            "name": env,
                            "url": format!("{API_URL}/repos/{}/environments/{env}", r.full_name()),
                            "html_url": format!("https://github.com/{}/deployments/activity_log?environments_filter={env}", r.full_name()),
                            "created_at": "2023-02-14T10:22:41Z",
                            "updated_at": "2026-03-02T16:05:19Z",
                        })
                    })
                    .collect();
                json!({
                    "environments": envs,
                    "state": "approved",
                    "user": user(w, a.user),
                    "comment": a.comment,
                })
            })
            .collect(),
    )
}

/// Members and collaborators come back sorted by login, case-insensitively.
pub fn users(w: &World, mut accounts: Vec<Acct>) -> Vec<Value> {
    accounts.sort_by_key(|a| w.people.get(*a).login.to_ascii_lowercase());
    accounts.into_iter().map(|a| user(w, a)).collect()
}

pub fn collaborators(w: &World, repo: usize) -> Vec<Value> {
    let mut list: Vec<(Acct, &str)> = w
        .access
        .collaborators
        .iter()
        .filter(|(r, _, _)| *r == repo)
        .map(|(_, a, role)| (*a, *role))
        .collect();
    list.sort_by_key(|(a, _)| w.people.get(*a).login.to_ascii_lowercase());
    list.into_iter()
        .map(|(a, role)| {
            let mut u = user(w, a);
            if let Value::Object(m) = &mut u {
                m.insert("permissions".into(), permissions(role));
                m.insert("role_name".into(), json!(role));
            }
            u
        })
        .collect()
}

pub fn team(t: &TeamPlan) -> Value {
    let url = format!("{API_URL}/organizations/{ORG_ID}/team/{}", t.id);
    json!({
        "name": t.name,
        "id": t.id,
        "node_id": legacy_node_id("Team", t.id),
        "slug": t.slug,
        "description": t.description,
        "privacy": "closed",
        "notification_setting": "notifications_enabled",
        "url": url,
        "html_url": format!("https://github.com/orgs/{ORG}/teams/{}", t.slug),
        "members_url": format!("{url}/members{{/member}}"),
        "repositories_url": format!("{url}/repos"),
        "permission": "pull",
        "parent": null,
    })
}

pub fn team_members(w: &World, t: &TeamPlan) -> Vec<Value> {
    let mut members = t.members.clone();
    members.sort_by_key(|(a, _)| w.people.get(*a).login.to_ascii_lowercase());
    members
        .into_iter()
        .map(|(a, role)| {
            let mut u = user(w, a);
            if let Value::Object(m) = &mut u {
                m.insert("role".into(), json!(role));
                m.insert("inherited".into(), json!(false));
            }
            u
        })
        .collect()
}

pub fn team_repos(w: &World, t: &TeamPlan) -> Vec<Value> {
    let mut repos = t.repos.clone();
    repos.sort_by_key(|(r, _)| w.repos[*r].name);
    repos
        .into_iter()
        .map(|(r, role)| {
            let mut v = repo(w, &w.repos[r], role);
            if let Value::Object(m) = &mut v {
                m.insert("role_name".into(), json!(role));
            }
            v
        })
        .collect()
}

pub fn deploy_keys(w: &World, repo: usize) -> Vec<Value> {
    let r = &w.repos[repo];
    w.access
        .deploy_keys
        .iter()
        .filter(|k| k.repo == repo)
        .map(|k| {
            json!({
                "id": k.id,
                "key": format!("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI{}", base64(format!("{}{}", k.title, k.id).as_bytes()).trim_end_matches('=')),
                "url": format!("{API_URL}/repos/{}/keys/{}", r.full_name(), k.id),
                "title": k.title,
                "verified": true,
                "created_at": k.created_at,
                "read_only": k.read_only,
                "added_by": w.people.get(k.added_by).login,
                "last_used": k.last_used,
                "enabled": true,
            })
        })
        .collect()
}

pub fn secrets(list: &[&SecretPlan], org: bool) -> Value {
    let items: Vec<Value> = list
        .iter()
        .map(|s| {
            let mut v = json!({
                "name": s.name,
                "created_at": s.created_at,
                "updated_at": s.updated_at,
            });
            if org && let Value::Object(m) = &mut v {
                let visibility = s.visibility.unwrap_or("private");
                m.insert("visibility".into(), json!(visibility));
                if visibility == "selected" {
                    m.insert(
                        "selected_repositories_url".into(),
                        json!(format!(
                            "{API_URL}/orgs/{ORG}/actions/secrets/{}/repositories",
                            s.name
                        )),
                    );
                }
            }
            v
        })
        .collect();
    json!({"total_count": items.len(), "secrets": items})
}
