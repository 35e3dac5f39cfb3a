//! The example group in GitLab's REST shapes (API v4, as documented per endpoint).

use serde_json::{Value, json};

use super::world::{
    Commit, Deployment, GROUP, GROUP_ID, MergeRequest, Project, User, WEB_URL, World,
};
use crate::model::Timestamp;

pub fn iso(t: Timestamp) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// A user as GitLab embeds one (`author`, `merge_user`, `user` …).
pub fn user(u: &User) -> Value {
    json!({
        "id": u.id,
        "username": u.username,
        "name": u.name,
        "state": "active",
        "locked": false,
        "avatar_url": format!("{WEB_URL}/uploads/-/system/user/avatar/{}/avatar.png", u.id),
        "web_url": format!("{WEB_URL}/{}", u.username),
    })
}

pub fn project(w: &World, p: &Project) -> Value {
    json!({
        "id": p.id,
        "description": null,
        "name": p.name,
        "name_with_namespace": format!("Globex / {}", p.name),
        "path": p.name,
        "path_with_namespace": p.path(),
        "created_at": iso(w.window.start - chrono::Duration::days(400 + p.id as i64)),
        "default_branch": "main",
        "ssh_url_to_repo": format!("git@gitlab.example.com:{}.git", p.path()),
        "http_url_to_repo": format!("{WEB_URL}/{}.git", p.path()),
        "web_url": format!("{WEB_URL}/{}", p.path()),
        "visibility": "private",
        "archived": false,
        "namespace": {"id": GROUP_ID, "name": "Globex", "path": GROUP, "kind": "group", "full_path": GROUP},
        "merge_method": match p.merge {
            super::world::MergeMethod::Merge => "merge",
            _ => "ff",
        },
        "squash_option": match p.merge {
            super::world::MergeMethod::Squash => "always",
            _ => "default_off",
        },
        "only_allow_merge_if_pipeline_succeeds": p.pipelines_must_succeed,
        "allow_merge_on_skipped_pipeline": false,
    })
}

pub fn branches(w: &World, p: usize) -> Vec<Value> {
    let tip = w.main[p].last().map(|c| c.sha.clone()).unwrap_or_default();
    let mut names = vec!["main".to_string()];
    names.extend(
        w.mrs
            .iter()
            .filter(|m| m.project == p)
            .take(2)
            .map(|m| format!("feature/mr-{}", m.iid)),
    );
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let protected = name == "main" && w.projects[p].main_push_level.is_some();
            json!({
                "name": name,
                "merged": name != "main",
                "protected": protected,
                "default": name == "main",
                "developers_can_push": false,
                "developers_can_merge": false,
                "can_push": true,
                "web_url": format!("{WEB_URL}/{}/-/tree/{}", w.projects[p].path(), name),
                "commit": {"id": tip, "short_id": &tip[..tip.len().min(8)]},
            })
        })
        .collect()
}

fn mr_state(w: &World, m: &MergeRequest) -> Value {
    let p = &w.projects[m.project];
    json!({
        "id": m.id,
        "iid": m.iid,
        "project_id": p.id,
        "title": m.title,
        "description": "",
        "state": "merged",
        "created_at": iso(m.created_at),
        "updated_at": iso(m.merged_at + chrono::Duration::minutes(1)),
        "merged_at": iso(m.merged_at),
        "closed_at": null,
        "merged_by": user(&w.users[m.merge_user]),
        "merge_user": user(&w.users[m.merge_user]),
        "target_branch": "main",
        "source_branch": format!("feature/mr-{}", m.iid),
        "author": user(&w.users[m.author]),
        "labels": m.labels,
        "draft": false,
        "sha": m.head(),
        "merge_commit_sha": m.merge_commit_sha,
        "squash_commit_sha": m.squash_commit_sha,
        "squash": m.squash_commit_sha.is_some(),
        "references": {"short": format!("!{}", m.iid), "full": format!("{}!{}", p.path(), m.iid)},
        "web_url": format!("{WEB_URL}/{}/-/merge_requests/{}", p.path(), m.iid),
    })
}

/// The project's merged MRs as the list returns them (ordered by `updated_at`).
pub fn merge_requests(w: &World, p: usize) -> Vec<Value> {
    let mut mrs: Vec<&MergeRequest> = w.mrs.iter().filter(|m| m.project == p).collect();
    mrs.sort_by_key(|m| (m.merged_at, m.iid));
    mrs.into_iter().map(|m| mr_state(w, m)).collect()
}

pub fn approvals(w: &World, m: &MergeRequest) -> Value {
    let p = &w.projects[m.project];
    let required = p.approval_rule.unwrap_or(0);
    json!({
        "id": m.id,
        "iid": m.iid,
        "project_id": p.id,
        "title": m.title,
        "state": "merged",
        "created_at": iso(m.created_at),
        "updated_at": iso(m.merged_at + chrono::Duration::minutes(1)),
        "merge_status": "can_be_merged",
        "approved": !m.approvals.is_empty(),
        "approvals_required": required,
        "approvals_left": required.saturating_sub(m.approvals.len() as u64),
        "require_password_to_approve": false,
        "approved_by": m.approvals.iter().map(|(u, at)| json!({
            "user": user(&w.users[*u]),
            "approved_at": iso(*at),
        })).collect::<Vec<_>>(),
    })
}

fn commit(w: &World, p: &Project, c: &Commit) -> Value {
    let a = &w.users[c.author];
    let k = &w.users[c.committer];
    let title = c.message.lines().next().unwrap_or("").to_string();
    json!({
        "id": c.sha,
        "short_id": &c.sha[..8],
        "created_at": iso(c.committed_at),
        "parent_ids": c.parents,
        "title": title,
        "message": c.message,
        "author_name": a.name,
        "author_email": a.email,
        "authored_date": iso(c.authored_at),
        "committer_name": k.name,
        "committer_email": k.email,
        "committed_date": iso(c.committed_at),
        "trailers": {},
        "extended_trailers": {},
        "web_url": format!("{WEB_URL}/{}/-/commit/{}", p.path(), c.sha),
    })
}

/// An MR's commits, newest first (as GitLab lists them).
pub fn mr_commits(w: &World, m: &MergeRequest) -> Vec<Value> {
    let p = &w.projects[m.project];
    m.commits.iter().rev().map(|c| commit(w, p, c)).collect()
}

/// An MR's diff versions, newest first: one per push, with the head it pushed.
pub fn versions(w: &World, m: &MergeRequest) -> Vec<Value> {
    let base = w.main[m.project]
        .first()
        .map(|c| c.sha.clone())
        .unwrap_or_default();
    m.versions
        .iter()
        .rev()
        .map(|(id, at, sha)| {
            json!({
                "id": id,
                "head_commit_sha": sha,
                "base_commit_sha": base,
                "start_commit_sha": base,
                "created_at": iso(*at),
                "merge_request_id": m.id,
                "state": "collected",
                "real_size": "3",
                "patch_id_sha": null,
            })
        })
        .collect()
}

pub fn pipelines(w: &World, m: &MergeRequest) -> Vec<Value> {
    let p = &w.projects[m.project];
    m.pipelines
        .iter()
        .map(|pl| {
            json!({
                "id": pl.id,
                "iid": pl.id - 5000,
                "project_id": p.id,
                "sha": pl.sha,
                "ref": format!("refs/merge-requests/{}/head", m.iid),
                "status": pl.status,
                "source": "merge_request_event",
                "created_at": iso(pl.created_at),
                "updated_at": iso(pl.created_at + chrono::Duration::minutes(8)),
                "web_url": format!("{WEB_URL}/{}/-/pipelines/{}", p.path(), pl.id),
            })
        })
        .collect()
}

/// The jobs of the MR's head pipeline, if it has one.
pub fn head_jobs(w: &World, m: &MergeRequest) -> Option<(u64, Vec<Value>)> {
    let p = &w.projects[m.project];
    let pl = m.pipelines.iter().find(|pl| pl.sha == m.head())?;
    let jobs = pl
        .jobs
        .iter()
        .map(|(id, name, status)| {
            json!({
                "id": id,
                "name": name,
                "stage": if *name == "build" { "build" } else { "test" },
                "status": status,
                "allow_failure": false,
                "created_at": iso(pl.created_at),
                "started_at": iso(pl.created_at + chrono::Duration::seconds(30)),
                "finished_at": iso(pl.created_at + chrono::Duration::minutes(6)),
                "ref": format!("refs/merge-requests/{}/head", m.iid),
                "commit": {"id": pl.sha, "short_id": &pl.sha[..8]},
                "pipeline": {"id": pl.id, "project_id": p.id, "sha": pl.sha, "status": pl.status},
                "web_url": format!("{WEB_URL}/{}/-/jobs/{id}", p.path()),
            })
        })
        .collect();
    Some((pl.id, jobs))
}

/// Every commit reachable from `main` with a committer date in `[from, to)`, newest
/// first: first-parent commits, and with merge commits the merged branches' commits.
pub fn main_commits(w: &World, p: usize) -> Vec<&Commit> {
    let mut all: Vec<&Commit> = w.main[p].iter().collect();
    if w.projects[p].merge == super::world::MergeMethod::Merge {
        all.extend(
            w.mrs
                .iter()
                .filter(|m| m.project == p)
                .flat_map(|m| m.commits.iter()),
        );
    }
    all.retain(|c| w.window.contains(c.committed_at));
    all.sort_by(|a, b| b.committed_at.cmp(&a.committed_at).then(a.sha.cmp(&b.sha)));
    all
}

pub fn branch_commits(w: &World, p: usize) -> Vec<Value> {
    let project = &w.projects[p];
    main_commits(w, p)
        .into_iter()
        .map(|c| commit(w, project, c))
        .collect()
}

/// `commits/{sha}/merge_requests`: the MRs GitLab associates with a commit.
pub fn commit_merge_requests(w: &World, p: usize, sha: &str) -> Vec<Value> {
    w.mrs
        .iter()
        .filter(|m| m.project == p)
        .filter(|m| {
            m.landed() == sha
                || m.head() == sha
                || m.squash_commit_sha.as_deref() == Some(sha)
                || m.commits.iter().any(|c| c.sha == sha)
        })
        .map(|m| mr_state(w, m))
        .collect()
}

fn level(level: u64) -> &'static str {
    match level {
        0 => "No one",
        30 => "Developers + Maintainers",
        40 => "Maintainers",
        _ => "Owners",
    }
}

pub fn protected_branches(w: &World, p: usize) -> Vec<Value> {
    let project = &w.projects[p];
    let Some(push) = project.main_push_level else {
        return Vec::new();
    };
    vec![json!({
        "id": 700 + project.id,
        "name": "main",
        "push_access_levels": [{"id": 800 + project.id, "access_level": push, "access_level_description": level(push), "deploy_key_id": null, "user_id": null, "group_id": null}],
        "merge_access_levels": [{"id": 900 + project.id, "access_level": 30, "access_level_description": level(30), "user_id": null, "group_id": null}],
        "unprotect_access_levels": [],
        "allow_force_push": false,
        "code_owner_approval_required": false,
        "inherited": false,
    })]
}

pub fn approval_rules(w: &World, p: usize) -> Vec<Value> {
    let project = &w.projects[p];
    let Some(required) = project.approval_rule else {
        return Vec::new();
    };
    let eligible: Vec<Value> = w
        .users
        .iter()
        .filter(|u| u.group_level >= 30)
        .map(user)
        .collect();
    vec![json!({
        "id": 1000 + project.id,
        "name": "Reviewers",
        "rule_type": "regular",
        "report_type": null,
        "eligible_approvers": eligible,
        "approvals_required": required,
        "users": [],
        "groups": [{"id": GROUP_ID, "name": "Globex", "path": GROUP, "full_path": GROUP}],
        "contains_hidden_groups": false,
        "protected_branches": [],
        "applies_to_all_protected_branches": true,
    })]
}

pub fn project_approvals(w: &World, p: usize) -> Value {
    let project = &w.projects[p];
    json!({
        "approvals_before_merge": project.approval_rule.unwrap_or(0),
        "reset_approvals_on_push": project.reset_approvals_on_push,
        "selective_code_owner_removals": false,
        "disable_overriding_approvers_per_merge_request": true,
        "merge_requests_author_approval": true,
        "merge_requests_disable_committers_approval": false,
        "require_password_to_approve": false,
        "require_reauthentication_to_approve": false,
    })
}

pub fn environments(w: &World, p: usize) -> Vec<Value> {
    let project = &w.projects[p];
    project
        .environments
        .iter()
        .map(|(id, name, _)| {
            json!({
                "id": id,
                "name": name,
                "slug": name,
                "external_url": format!("https://{name}.{}.globex.example", project.name),
                "state": "available",
                "tier": if name.starts_with("prod") { "production" } else { "staging" },
                "created_at": iso(w.window.start - chrono::Duration::days(300)),
                "updated_at": iso(w.window.start - chrono::Duration::days(300)),
            })
        })
        .collect()
}

pub fn protected_environments(w: &World, p: usize) -> Vec<Value> {
    let project = &w.projects[p];
    let approver = &w.users[super::world::DEPLOY_APPROVER];
    project
        .environments
        .iter()
        .filter(|(_, _, protected)| *protected)
        .map(|(_, name, _)| {
            json!({
                "name": name,
                "deploy_access_levels": [{"id": 1, "access_level": 40, "access_level_description": "Maintainers", "user_id": null, "group_id": null, "group_inheritance_type": 0}],
                "required_approval_count": 1,
                "approval_rules": [{"id": 2, "user_id": approver.id, "group_id": null, "access_level": null, "access_level_description": approver.name, "required_approvals": 1, "group_inheritance_type": 0}],
            })
        })
        .collect()
}

fn deployment_summary(w: &World, d: &Deployment, with_approvals: bool) -> Value {
    let p = &w.projects[d.project];
    let (env_id, env_name, _) = p.environments[d.environment];
    let mut v = json!({
        "id": d.id,
        "iid": d.iid,
        "ref": "main",
        "sha": d.sha,
        "created_at": iso(d.created_at),
        "updated_at": iso(d.finished_at),
        "finished_at": iso(d.finished_at),
        "status": d.status,
        "user": user(&w.users[d.user]),
        "environment": {"id": env_id, "name": env_name, "slug": env_name, "external_url": null, "state": "available", "tier": "production"},
        "deployable": {
            "id": d.id + 90_000,
            "name": format!("deploy:{env_name}"),
            "stage": "deploy",
            "status": d.status,
            "ref": "main",
            "created_at": iso(d.created_at),
            "finished_at": iso(d.finished_at),
            "commit": {"id": d.sha, "short_id": &d.sha[..8]},
            "web_url": format!("{WEB_URL}/{}/-/jobs/{}", p.path(), d.id + 90_000),
        },
    });
    if with_approvals && let Some(map) = v.as_object_mut() {
        map.insert("pending_approval_count".into(), json!(0));
        map.insert(
            "approvals".into(),
            Value::Array(
                d.approvals
                    .iter()
                    .map(|(u, at)| json!({"user": user(&w.users[*u]), "status": "approved", "created_at": iso(*at), "comment": "LGTM"}))
                    .collect(),
            ),
        );
    }
    v
}

/// A production environment's deployments, ordered by `updated_at`.
pub fn deployments(w: &World, p: usize, environment: usize) -> Vec<Value> {
    let mut list: Vec<&Deployment> = w
        .deployments
        .iter()
        .filter(|d| d.project == p && d.environment == environment)
        .collect();
    list.sort_by_key(|d| (d.finished_at, d.id));
    list.into_iter()
        .map(|d| deployment_summary(w, d, false))
        .collect()
}

pub fn deployment(w: &World, d: &Deployment) -> Value {
    deployment_summary(w, d, true)
}

fn member(u: &User, level: u64) -> Value {
    let mut v = user(u);
    if let Some(map) = v.as_object_mut() {
        map.insert("access_level".into(), json!(level));
        map.insert("created_at".into(), json!("2025-01-06T09:00:00.000Z"));
        map.insert("expires_at".into(), Value::Null);
        map.insert("membership_state".into(), json!("active"));
    }
    v
}

pub fn group_members(w: &World) -> Vec<Value> {
    w.users
        .iter()
        .filter(|u| u.group_level > 0)
        .map(|u| member(u, u.group_level))
        .collect()
}

/// Everyone with access to the project: the group's members (inherited) and, in
/// storefront, the outside auditor added as a Developer.
pub fn project_members(w: &World, p: usize) -> Vec<Value> {
    let mut out = group_members(w);
    if p == 0 {
        out.push(member(&w.users[super::world::OUTSIDER], 30));
    }
    out
}

pub fn deploy_keys(w: &World, p: usize) -> Vec<Value> {
    w.projects[p]
        .deploy_keys
        .iter()
        .map(|(id, title, can_push)| {
            json!({
                "id": id,
                "title": title,
                "key": format!("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA{id} {title}"),
                "fingerprint_sha256": format!("SHA256:{title}{id}"),
                "created_at": iso(w.window.start - chrono::Duration::days(90)),
                "expires_at": null,
                "can_push": can_push,
            })
        })
        .collect()
}

/// Group audit events from a day before the window: membership changes only (nothing
/// touched protected branches in the window), one a week.
pub fn audit_events(w: &World) -> Vec<Value> {
    let owner = &w.users[0];
    (0..9u64)
        .map(|k| {
            let target = &w.users[3 + (k as usize % 5)];
            json!({
                "id": 61001 + k,
                "author_id": owner.id,
                "entity_id": GROUP_ID,
                "entity_type": "Group",
                "event_name": "member_updated",
                "details": {
                    "change": "access_level",
                    "from": "Developer",
                    "to": "Maintainer",
                    "author_name": owner.name,
                    "author_class": "User",
                    "target_id": target.id,
                    "target_type": "User",
                    "target_details": target.name,
                    "custom_message": "Changed access level from Developer to Maintainer",
                    "ip_address": "203.0.113.7",
                    "entity_path": GROUP,
                },
                "created_at": iso(w.window.start + chrono::Duration::days(3 + 7 * k as i64) + chrono::Duration::hours(9)),
            })
        })
        .collect()
}

/// A project's audit events from a day before the window. storefront's show a topic
/// change only (its protection stood all window); ops' show its `main` losing its
/// protection in July.
pub fn project_audit_events(w: &World, p: usize) -> Vec<Value> {
    let project = &w.projects[p];
    let owner = &w.users[0];
    let event = |id: u64, name: &str, change: &str, message: &str, days: i64| {
        json!({
            "id": id,
            "author_id": owner.id,
            "entity_id": project.id,
            "entity_type": "Project",
            "event_name": name,
            "details": {
                "change": change,
                "author_name": owner.name,
                "author_class": "User",
                "target_id": project.id,
                "target_type": "Project",
                "custom_message": message,
                "entity_path": project.path(),
            },
            "created_at": iso(w.window.start + chrono::Duration::days(days) + chrono::Duration::hours(10)),
        })
    };
    match project.name {
        "storefront" => vec![event(
            71001,
            "project_topics_updated",
            "topics",
            "Changed topics",
            30,
        )],
        "ops" => vec![event(
            71002,
            "protected_branch_removed",
            "",
            "Unprotected branch main",
            12,
        )],
        _ => Vec::new(),
    }
}
