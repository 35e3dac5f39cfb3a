//! GitLab responses (the calls of `crate::gitlab`) → the evidence model.
//!
//! Unlike GitHub's, a GitLab record is assembled from several responses (a merge request
//! from the list, its approvals, commits, diff versions, pipelines and head-pipeline
//! jobs), so a source's responses are first read into [`Responses`] by call, then
//! assembled. Mapping decisions, documented for auditors in docs/gitlab.md:
//!
//! - merge request → `Change` (iid as number); its approvals → `Review`s in state
//!   `approved` at `approved_at`, given on the head of the diff version current at that
//!   time (`versions`: one per push), so CM-02 compares it with the head at merge;
//! - the head pipeline → a check named `pipeline` (its status; the rollup) and one check
//!   run per job; "Pipelines must succeed" → `pipeline` is a required check;
//! - protected branch + approval rules + project approval settings → `BranchProtection`:
//!   a pull request is required when no role may push; approvals reset on push dismiss
//!   stale approvals; GitLab has no administrator bypass switch (`enforce_admins`);
//! - deployment → `Deployment` with one status (GitLab keeps only the current one) and
//!   its approvals;
//! - group members (inherited included) → org members, owners (50) as `admin`; project
//!   members → repository collaborators (access level → permission, `crate::gitlab`);
//!   project members who are not group members → outside collaborators;
//! - not offered by GitLab's API: two-factor status (instance administrators only) and
//!   CI/CD variable ages → gaps, so AC-01 and the secret half of AC-04 are `not_tested`.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::NormalizeError;
use super::collected::Collected;
use super::ipe::{QueryKey, Yield};
use crate::locker::{Locker, RequestRecord, SourceMeta};
use crate::model::{
    Actor, ActorKind, AssociatedChange, AuditEvent, BranchCommit, BranchProtection, Change,
    CheckKind, CheckRun, CheckState, Checks, CommitInfo, DeployKey, Deployment, DeploymentApproval,
    DeploymentStatus, Environment, EnvironmentReviewer, GitIdentity, OrgMember,
    OutsideCollaborator, RepoCollaborator, Repository, Review, ReviewState, TimelineEvent,
    TimelineKind, Timestamp,
};

/// The recorded calls of one GitLab source, recognised.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    GroupProjects,
    Branches {
        project: String,
    },
    MergeRequests {
        project: String,
    },
    Approvals {
        project: String,
        iid: u64,
    },
    MrCommits {
        project: String,
        iid: u64,
    },
    Versions {
        project: String,
        iid: u64,
    },
    Pipelines {
        project: String,
        iid: u64,
    },
    Jobs {
        project: String,
        pipeline: u64,
    },
    BranchCommits {
        project: String,
        branch: String,
    },
    CommitMergeRequests {
        project: String,
        sha: String,
    },
    ProtectedBranches {
        project: String,
    },
    ApprovalRules {
        project: String,
    },
    ProjectApprovals {
        project: String,
    },
    Environments {
        project: String,
    },
    ProtectedEnvironments {
        project: String,
    },
    Deployments {
        project: String,
        environment: String,
    },
    Deployment {
        project: String,
        id: u64,
    },
    ProjectMembers {
        project: String,
    },
    DeployKeys {
        project: String,
    },
    ProjectAuditEvents {
        project: String,
    },
    GroupMembers,
    AuditEvents,
}

impl Kind {
    fn evidence_type(&self) -> &'static str {
        match self {
            Kind::GroupProjects | Kind::Branches { .. } => "repositories",
            Kind::MergeRequests { .. }
            | Kind::Approvals { .. }
            | Kind::MrCommits { .. }
            | Kind::Versions { .. }
            | Kind::Pipelines { .. }
            | Kind::Jobs { .. } => "pull_requests",
            Kind::BranchCommits { .. } | Kind::CommitMergeRequests { .. } => "branch_commits",
            Kind::ProtectedBranches { .. }
            | Kind::ApprovalRules { .. }
            | Kind::ProjectApprovals { .. } => "branch_protection",
            Kind::Environments { .. } | Kind::ProtectedEnvironments { .. } => "environments",
            Kind::Deployments { .. } => "deployments",
            Kind::Deployment { .. } => "deployment_approvals",
            Kind::ProjectMembers { .. } => "repo_collaborators",
            Kind::DeployKeys { .. } => "deploy_keys",
            Kind::ProjectAuditEvents { .. } => "protection_history",
            Kind::GroupMembers => "org_members",
            Kind::AuditEvents => "audit_log",
        }
    }

    fn project(&self) -> Option<&str> {
        match self {
            Kind::GroupProjects | Kind::GroupMembers | Kind::AuditEvents => None,
            Kind::Branches { project }
            | Kind::MergeRequests { project }
            | Kind::Approvals { project, .. }
            | Kind::MrCommits { project, .. }
            | Kind::Versions { project, .. }
            | Kind::Pipelines { project, .. }
            | Kind::Jobs { project, .. }
            | Kind::BranchCommits { project, .. }
            | Kind::CommitMergeRequests { project, .. }
            | Kind::ProtectedBranches { project }
            | Kind::ApprovalRules { project }
            | Kind::ProjectApprovals { project }
            | Kind::Environments { project }
            | Kind::ProtectedEnvironments { project }
            | Kind::Deployments { project, .. }
            | Kind::Deployment { project, .. }
            | Kind::ProjectMembers { project }
            | Kind::DeployKeys { project }
            | Kind::ProjectAuditEvents { project } => Some(project),
        }
    }

    /// Lists that make up a population (IPE records).
    fn population(&self) -> bool {
        matches!(
            self,
            Kind::GroupProjects
                | Kind::MergeRequests { .. }
                | Kind::BranchCommits { .. }
                | Kind::ProtectedBranches { .. }
                | Kind::Environments { .. }
                | Kind::Deployments { .. }
                | Kind::ProjectMembers { .. }
                | Kind::DeployKeys { .. }
                | Kind::GroupMembers
                | Kind::AuditEvents
                | Kind::ProjectAuditEvents { .. }
        )
    }
}

/// Percent-decoding of a path segment or query value.
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(text.get(i + 1..i + 3).unwrap_or(""), 16)
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// (path, query) of `url` under the API root.
fn relative<'u>(url: &'u str, api_url: &str) -> Option<(&'u str, &'u str)> {
    let rest = url.strip_prefix(api_url.trim_end_matches('/'))?;
    if !(rest.starts_with('/')) {
        return None;
    }
    Some(rest.split_once('?').unwrap_or((rest, "")))
}

fn param(query: &str, name: &str) -> Option<String> {
    query
        .split('&')
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| decode(v))
}

/// The query without its pagination parameters: the population's selection.
fn selection(query: &str) -> String {
    query
        .split('&')
        .filter(|p| {
            let k = p.split('=').next().unwrap_or("");
            !matches!(k, "page" | "cursor" | "id_after" | "id_before")
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn recognise(path: &str, query: &str) -> Option<Kind> {
    let seg: Vec<String> = path
        .trim_start_matches('/')
        .split('/')
        .map(decode)
        .collect();
    let s: Vec<&str> = seg.iter().map(String::as_str).collect();
    let project = |p: &str| p.to_string();
    Some(match s.as_slice() {
        ["groups", _, "projects"] => Kind::GroupProjects,
        ["groups", _, "members", "all"] => Kind::GroupMembers,
        ["groups", _, "audit_events"] => Kind::AuditEvents,
        ["projects", p, "repository", "branches"] => Kind::Branches {
            project: project(p),
        },
        ["projects", p, "repository", "commits"] => Kind::BranchCommits {
            project: project(p),
            branch: param(query, "ref_name")?,
        },
        [
            "projects",
            p,
            "repository",
            "commits",
            sha,
            "merge_requests",
        ] => Kind::CommitMergeRequests {
            project: project(p),
            sha: sha.to_string(),
        },
        ["projects", p, "merge_requests"] => Kind::MergeRequests {
            project: project(p),
        },
        ["projects", p, "merge_requests", iid, what] => {
            let iid: u64 = iid.parse().ok()?;
            let project = project(p);
            match *what {
                "approvals" => Kind::Approvals { project, iid },
                "commits" => Kind::MrCommits { project, iid },
                "versions" => Kind::Versions { project, iid },
                "pipelines" => Kind::Pipelines { project, iid },
                _ => return None,
            }
        }
        ["projects", p, "pipelines", id, "jobs"] => Kind::Jobs {
            project: project(p),
            pipeline: id.parse().ok()?,
        },
        ["projects", p, "protected_branches"] => Kind::ProtectedBranches {
            project: project(p),
        },
        ["projects", p, "approval_rules"] => Kind::ApprovalRules {
            project: project(p),
        },
        ["projects", p, "approvals"] => Kind::ProjectApprovals {
            project: project(p),
        },
        ["projects", p, "environments"] => Kind::Environments {
            project: project(p),
        },
        ["projects", p, "protected_environments"] => Kind::ProtectedEnvironments {
            project: project(p),
        },
        ["projects", p, "deployments"] => Kind::Deployments {
            project: project(p),
            environment: param(query, "environment")?,
        },
        ["projects", p, "deployments", id] => Kind::Deployment {
            project: project(p),
            id: id.parse().ok()?,
        },
        ["projects", p, "members", "all"] => Kind::ProjectMembers {
            project: project(p),
        },
        ["projects", p, "deploy_keys"] => Kind::DeployKeys {
            project: project(p),
        },
        ["projects", p, "audit_events"] => Kind::ProjectAuditEvents {
            project: project(p),
        },
        _ => return None,
    })
}

/// One usable response: its body and the evidence reference of its nodes.
#[derive(Debug, Clone)]
struct Body {
    sha256: String,
    value: Value,
}

impl Body {
    fn at(&self, pointer: &str) -> String {
        format!("sha256:{}#{pointer}", self.sha256)
    }
}

/// A list's items across pages, each with its reference.
type Items = Vec<(Value, String)>;

#[derive(Debug, Default)]
struct Responses {
    /// Calls that failed, by kind: (status, reason).
    failed: BTreeMap<Kind, (u16, String)>,
    lists: BTreeMap<Kind, Items>,
    objects: BTreeMap<Kind, Body>,
}

impl Responses {
    fn list(&self, kind: &Kind) -> Option<&Items> {
        self.lists.get(kind)
    }

    fn object(&self, kind: &Kind) -> Option<&Body> {
        self.objects.get(kind)
    }

    fn failed(&self, kind: &Kind) -> bool {
        self.failed.contains_key(kind)
    }
}

fn shape(record: &RequestRecord, message: String) -> NormalizeError {
    NormalizeError::Shape {
        call: format!("{} {}", record.method, record.url),
        sha256: record.response_sha256.clone(),
        message,
    }
}

/// Normalizes every recorded call of one GitLab source.
pub(super) fn process(
    locker: &Locker,
    collected: &mut Collected,
    source: &SourceMeta,
    records: &[&RequestRecord],
) -> Result<(), NormalizeError> {
    let mut r = Responses::default();
    for record in records {
        let Some((path, query)) = relative(&record.url, &source.api_url) else {
            continue;
        };
        let Some(kind) = recognise(path, query) else {
            tracing::debug!(url = %record.url, "GitLab call not read by the normalizer");
            continue;
        };
        if !super::is_success(record.status) {
            let reason = if record.status == 0 {
                record
                    .headers
                    .get(crate::collect::http::ERROR_HEADER)
                    .cloned()
                    .unwrap_or_else(|| "no complete response".into())
            } else {
                gitlab_message(locker, record)?
            };
            r.failed.insert(kind, (record.status, reason));
            continue;
        }
        let bytes = locker.raw(&record.response_sha256)?;
        let value: Value =
            serde_json::from_slice(&bytes).map_err(|e| shape(record, format!("not JSON: {e}")))?;
        r.failed.remove(&kind);
        match &value {
            Value::Array(items) => {
                let list = r.lists.entry(kind.clone()).or_default();
                // A page answered twice (a retry) replaces nothing: items are keyed later.
                let keys: Vec<String> = items.iter().map(natural_key).collect();
                for (i, item) in items.iter().enumerate() {
                    list.push((
                        item.clone(),
                        format!("sha256:{}#/{i}", record.response_sha256),
                    ));
                }
                if kind.population() {
                    let total = record
                        .headers
                        .get("x-total")
                        .and_then(|t| t.trim().parse().ok());
                    collected.queries.add(
                        QueryKey {
                            source: source.name.clone(),
                            evidence_type: kind.evidence_type().to_string(),
                            repo: kind.project().map(str::to_string),
                            endpoint: format!("GET {path}"),
                            parameters: selection(query),
                        },
                        &record.response_sha256,
                        Yield {
                            records: keys,
                            total_count: total,
                        },
                    );
                }
            }
            Value::Object(_) => {
                r.objects.insert(
                    kind,
                    Body {
                        sha256: record.response_sha256.clone(),
                        value,
                    },
                );
            }
            _ => return Err(shape(record, "expected a JSON array or object".into())),
        }
    }
    // Outside collaborators and group-based access are read from each project's full
    // member list: record how, for the completeness checks of AC-02 and AC-03.
    let group_members: BTreeSet<String> = r
        .list(&Kind::GroupMembers)
        .into_iter()
        .flatten()
        .filter_map(|(m, _)| s(m, "username").map(str::to_ascii_lowercase))
        .collect();
    for record in records {
        let Some((path, query)) = relative(&record.url, &source.api_url) else {
            continue;
        };
        let Some(Kind::ProjectMembers { project }) = recognise(path, query) else {
            continue;
        };
        let Some(items) = r.list(&Kind::ProjectMembers {
            project: project.clone(),
        }) else {
            continue;
        };
        let outside: Vec<String> = items
            .iter()
            .filter_map(|(m, _)| s(m, "username"))
            .filter(|u| !group_members.contains(&u.to_ascii_lowercase()))
            .map(str::to_string)
            .collect();
        for (evidence_type, how, records) in [
            (
                "outside_collaborators",
                "members who are not members of the group",
                outside,
            ),
            (
                "teams",
                "access through the group, its subgroups and invited groups is each member's access level",
                Vec::new(),
            ),
        ] {
            collected.queries.add(
                QueryKey {
                    source: source.name.clone(),
                    evidence_type: evidence_type.to_string(),
                    repo: Some(project.clone()),
                    endpoint: format!("GET {path}"),
                    parameters: format!("{} ({how})", selection(query)),
                },
                &record.response_sha256,
                Yield::records(records),
            );
        }
    }
    for (kind, (status, reason)) in &r.failed {
        collected.gap(
            &source.name,
            kind.evidence_type(),
            kind.project().map(str::to_string),
            (*status != 0).then_some(*status),
            format!(
                "GitLab answered {}: {reason}",
                if *status == 0 {
                    "nothing usable".to_string()
                } else {
                    format!("HTTP {status}")
                }
            ),
        );
    }
    let web_url = web_url(&source.api_url);
    let out = assemble(&r, source, &web_url).map_err(|message| NormalizeError::Request {
        seq: records.first().map(|r| r.seq).unwrap_or(0),
        call: format!("GitLab source `{}`", source.name),
        message,
    })?;
    // What GitLab's API does not offer.
    collected.gap(
        &source.name,
        "two_factor",
        None,
        None,
        "GitLab reports two-factor status only to instance administrators (GET /users?two_factor=…); a group token cannot see it".into(),
    );
    collected.gap(
        &source.name,
        "secrets",
        None,
        None,
        "GitLab's CI/CD variables API gives no creation or update time, so variable ages cannot be judged".into(),
    );
    // Protection changes: a project whose audit events could not be read, or name a
    // change to protection since the window start, has a protection history CM-10 cannot
    // judge (what changed is not in a form it compares).
    let window = locker.meta()?.window;
    for repo in &out.repositories {
        let kind = Kind::ProjectAuditEvents {
            project: repo.full_name.clone(),
        };
        if r.failed(&kind) {
            continue; // a gap of this type is already recorded, with the status
        }
        let Some(events) = r.list(&kind) else {
            collected.gap(
                &source.name,
                "protection_history",
                Some(repo.full_name.clone()),
                None,
                "the project's audit events were not collected, so changes to its protection in the window are unknown".into(),
            );
            continue;
        };
        let changed: Vec<String> = events
            .iter()
            .filter(|(e, _)| t(e, "created_at").is_some_and(|at| at >= window.start))
            .filter(|(e, _)| crate::gitlab::protection_event(e))
            .map(|(e, _)| {
                format!(
                    "{} on {} (audit event {})",
                    s(e, "event_name")
                        .filter(|n| !n.is_empty())
                        .or_else(|| e.get("details").and_then(|d| s(d, "custom_message")))
                        .unwrap_or("a change"),
                    s(e, "created_at").unwrap_or("?"),
                    n(e, "id").map(|id| id.to_string()).unwrap_or_default()
                )
            })
            .collect();
        if !changed.is_empty() {
            collected.gap(
                &source.name,
                "protection_history",
                Some(repo.full_name.clone()),
                None,
                format!(
                    "GitLab's audit events record protection changes since the window start ({}), in a form changeproof does not compare, so its protection during the window is unknown",
                    changed.join("; ")
                ),
            );
        }
    }
    collected.gitlab.push(out);
    Ok(())
}

fn natural_key(item: &Value) -> String {
    for k in ["iid", "id", "name", "username"] {
        match item.get(k) {
            Some(Value::Number(n)) => return n.to_string(),
            Some(Value::String(s)) => return s.clone(),
            _ => {}
        }
    }
    String::new()
}

fn gitlab_message(locker: &Locker, record: &RequestRecord) -> Result<String, NormalizeError> {
    let bytes = locker.raw(&record.response_sha256)?;
    let v: Option<Value> = serde_json::from_slice(&bytes).ok();
    let text = v.as_ref().and_then(|v| {
        ["message", "error"].iter().find_map(|k| match v.get(*k) {
            Some(Value::String(s)) => Some(s.clone()),
            Some(other @ Value::Object(_)) => Some(other.to_string()),
            _ => None,
        })
    });
    Ok(text.unwrap_or_else(|| "(no error message in the response body)".into()))
}

/// `https://gitlab.example.com/api/v4` → `https://gitlab.example.com`.
fn web_url(api_url: &str) -> String {
    api_url
        .trim_end_matches('/')
        .strip_suffix("/api/v4")
        .unwrap_or(api_url)
        .to_string()
}

/// What one GitLab source contributes to the evidence.
#[derive(Debug, Default)]
pub(super) struct Normalized {
    pub repositories: Vec<Repository>,
    pub changes: Vec<Change>,
    pub branch_commits: Vec<BranchCommit>,
    pub deployments: Vec<Deployment>,
    pub protections: Vec<BranchProtection>,
    pub environments: Vec<Environment>,
    pub audit_events: Vec<AuditEvent>,
    pub org_members: Vec<OrgMember>,
    pub outside_collaborators: Vec<OutsideCollaborator>,
    pub repo_collaborators: Vec<RepoCollaborator>,
    pub deploy_keys: Vec<DeployKey>,
}

fn s<'v>(v: &'v Value, key: &str) -> Option<&'v str> {
    v.get(key).and_then(Value::as_str)
}

fn n(v: &Value, key: &str) -> Option<u64> {
    v.get(key).and_then(Value::as_u64)
}

fn b(v: &Value, key: &str) -> bool {
    v.get(key).and_then(Value::as_bool).unwrap_or(false)
}

fn t(v: &Value, key: &str) -> Option<Timestamp> {
    chrono::DateTime::parse_from_rfc3339(s(v, key)?)
        .ok()
        .map(|t| t.with_timezone(&chrono::Utc))
}

fn need_t(v: &Value, key: &str, what: &str) -> Result<Timestamp, String> {
    t(v, key).ok_or_else(|| format!("{what}: `{key}` is missing or not an RFC 3339 time"))
}

fn actor(user: Option<&Value>) -> Option<Actor> {
    let user = user.filter(|u| !u.is_null())?;
    let login = s(user, "username")?.to_string();
    let kind = if b(user, "bot") {
        ActorKind::Bot
    } else {
        ActorKind::User
    };
    Some(Actor {
        login: login.into(),
        kind,
    })
}

fn identity(v: &Value, who: &str) -> GitIdentity {
    GitIdentity {
        name: s(v, &format!("{who}_name"))
            .unwrap_or("")
            .to_string()
            .into(),
        email: s(v, &format!("{who}_email"))
            .unwrap_or("")
            .to_string()
            .into(),
        login: None,
    }
}

fn pipeline_rollup(status: &str) -> CheckState {
    match status {
        "success" => CheckState::Success,
        "failed" => CheckState::Failure,
        "canceled" | "canceling" | "skipped" => CheckState::Error,
        _ => CheckState::Pending,
    }
}

/// A pipeline's or job's status as a check conclusion (`None`: not finished).
fn conclusion(status: &str, allow_failure: bool) -> Option<String> {
    Some(
        match status {
            "success" => "success",
            "failed" if allow_failure => "neutral",
            "failed" => "failure",
            "canceled" | "canceling" => "cancelled",
            "skipped" => "skipped",
            "manual" => "action_required",
            _ => return None,
        }
        .to_string(),
    )
}

fn deployment_state(status: &str) -> &'static str {
    match status {
        "success" => "success",
        "failed" => "failure",
        "canceled" => "cancelled",
        "skipped" => "skipped",
        "running" => "in_progress",
        "blocked" => "pending",
        _ => "queued",
    }
}

fn assemble(r: &Responses, source: &SourceMeta, web_url: &str) -> Result<Normalized, String> {
    let mut out = Normalized::default();
    let src = source.name.as_str();
    // Who is who: user ids → usernames from every member list.
    let mut usernames: BTreeMap<u64, String> = BTreeMap::new();
    for (kind, items) in &r.lists {
        if matches!(kind, Kind::GroupMembers | Kind::ProjectMembers { .. }) {
            for (m, _) in items {
                if let (Some(id), Some(name)) = (n(m, "id"), s(m, "username")) {
                    usernames.insert(id, name.to_string());
                }
            }
        }
    }
    let projects: Vec<(Value, String)> = r.list(&Kind::GroupProjects).cloned().unwrap_or_default();
    let mut by_path: BTreeMap<String, (Value, String)> = BTreeMap::new();
    for (p, at) in projects {
        if let Some(path) = s(&p, "path_with_namespace") {
            by_path.insert(path.to_string(), (p.clone(), at));
        }
    }
    // Production branches: those whose history was collected.
    let mut production: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for kind in r.lists.keys().chain(r.failed.keys()) {
        if let Kind::BranchCommits { project, branch } = kind {
            production
                .entry(project.clone())
                .or_default()
                .insert(branch.clone());
        }
    }
    for (path, (p, at)) in &by_path {
        out.repositories.push(Repository {
            source: src.to_string(),
            full_name: path.clone(),
            default_branch: s(p, "default_branch").unwrap_or("").to_string(),
            production_branches: production
                .get(path)
                .map(|b| b.iter().cloned().collect())
                .unwrap_or_default(),
            url: s(p, "web_url")
                .map(str::to_string)
                .unwrap_or_else(|| format!("{web_url}/{path}")),
            archived: b(p, "archived"),
            evidence: vec![at.clone().into()],
        });
    }
    let mut carried: BTreeMap<(String, String), Vec<AssociatedChange>> = BTreeMap::new();
    for (kind, items) in &r.lists {
        let Kind::MergeRequests { project } = kind else {
            continue;
        };
        let mut seen = BTreeSet::new();
        for (mr, at) in items.iter().rev() {
            let Some(iid) = n(mr, "iid") else {
                return Err(format!("{project}: a listed merge request has no `iid`"));
            };
            if !seen.insert(iid) {
                continue;
            }
            let change = change(r, src, project, mr, at, iid)?;
            let assoc = AssociatedChange {
                number: iid,
                merged: true,
                merged_at: Some(change.merged_at),
                base_branch: change.base_branch.clone(),
                merge_commit_sha: change.merge_commit_sha.clone(),
            };
            let mut shas: Vec<String> = crate::gitlab::carried_commits(mr, &[]);
            shas.extend(change.commits.iter().map(|c| c.sha.to_string()));
            for sha in shas {
                carried
                    .entry((project.clone(), sha))
                    .or_default()
                    .push(assoc.clone());
            }
            out.changes.push(change);
        }
    }
    out.changes
        .sort_by(|a, b| (&a.repo, a.number).cmp(&(&b.repo, b.number)));
    // Lookups of commits the population's MRs do not carry.
    for (kind, items) in &r.lists {
        let Kind::CommitMergeRequests { project, sha } = kind else {
            continue;
        };
        for (mr, _) in items {
            if s(mr, "state") != Some("merged") {
                continue;
            }
            carried
                .entry((project.clone(), sha.clone()))
                .or_default()
                .push(AssociatedChange {
                    number: n(mr, "iid").unwrap_or(0),
                    merged: true,
                    merged_at: t(mr, "merged_at"),
                    base_branch: s(mr, "target_branch").unwrap_or("").to_string().into(),
                    merge_commit_sha: (s(mr, "merge_commit_sha")
                        .or(s(mr, "squash_commit_sha"))
                        .map(str::to_string))
                    .map(Into::into),
                });
        }
    }
    for list in carried.values_mut() {
        list.sort_by_key(|a| a.number);
        list.dedup_by_key(|a| a.number);
    }
    for (kind, items) in &r.lists {
        let Kind::BranchCommits { project, branch } = kind else {
            continue;
        };
        let mut seen = BTreeSet::new();
        for (c, at) in items {
            let Some(sha) = s(c, "id") else {
                return Err(format!("{project} {branch}: a commit has no `id`"));
            };
            if !seen.insert(sha.to_string()) {
                continue;
            }
            out.branch_commits.push(BranchCommit {
                source: src.to_string().into(),
                repo: project.clone().into(),
                branch: branch.clone().into(),
                sha: sha.to_string().into(),
                message_headline: s(c, "title").unwrap_or("").to_string().into(),
                author: identity(c, "author"),
                committer: identity(c, "committer"),
                authored_at: need_t(c, "authored_date", sha)?,
                committed_at: need_t(c, "committed_date", sha)?,
                parents: c
                    .get("parent_ids")
                    .and_then(Value::as_array)
                    .map(|p| {
                        p.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_string)
                            .map(crate::model::Text::from)
                            .collect()
                    })
                    .unwrap_or_default(),
                associated_changes: carried
                    .get(&(project.clone(), sha.to_string()))
                    .cloned()
                    .unwrap_or_default(),
                url: s(c, "web_url")
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("{web_url}/{project}/-/commit/{sha}"))
                    .into(),
                evidence: vec![at.clone().into()],
            });
        }
    }
    for (path, (p, _)) in &by_path {
        for branch in production.get(path).into_iter().flatten() {
            if let Some(bp) = protection(r, src, path, branch, p) {
                out.protections.push(bp);
            }
        }
        environments(r, src, path, p, &usernames, &mut out.environments);
    }
    for (kind, items) in &r.lists {
        let Kind::Deployments {
            project,
            environment,
        } = kind
        else {
            continue;
        };
        let mut seen = BTreeSet::new();
        for (d, at) in items.iter().rev() {
            let Some(id) = n(d, "id") else {
                return Err(format!("{project} {environment}: a deployment has no `id`"));
            };
            if !seen.insert(id) {
                continue;
            }
            out.deployments
                .push(deployment(r, src, project, d, at, id, web_url)?);
        }
    }
    out.deployments
        .sort_by(|a, b| (&a.repo, a.created_at, &a.id).cmp(&(&b.repo, b.created_at, &b.id)));
    access(r, source, &usernames, &mut out);
    Ok(out)
}

fn change(
    r: &Responses,
    src: &str,
    project: &str,
    mr: &Value,
    at: &str,
    iid: u64,
) -> Result<Change, String> {
    let what = format!("{project}!{iid}");
    let head = s(mr, "sha").unwrap_or("").to_string();
    let mut incomplete = Vec::new();
    let mut evidence = vec![at.to_string()];
    let key = |f: fn(String, u64) -> Kind| f(project.to_string(), iid);
    let approvals = key(|project, iid| Kind::Approvals { project, iid });
    let commits_kind = key(|project, iid| Kind::MrCommits { project, iid });
    let versions_kind = key(|project, iid| Kind::Versions { project, iid });
    let pipelines_kind = key(|project, iid| Kind::Pipelines { project, iid });
    // Diff versions: (pushed at, head), oldest first.
    let mut versions: Vec<(Timestamp, String, String)> = r
        .list(&versions_kind)
        .into_iter()
        .flatten()
        .filter_map(|(v, at)| {
            Some((
                t(v, "created_at")?,
                s(v, "head_commit_sha")?.to_string(),
                at.clone(),
            ))
        })
        .collect();
    versions.sort();
    let mut reviews = Vec::new();
    match r.object(&approvals) {
        Some(body) => {
            evidence.push(body.at(""));
            let approved_by = body
                .value
                .get("approved_by")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for (i, a) in approved_by.iter().enumerate() {
                let user = actor(a.get("user"));
                let approved_at = t(a, "approved_at");
                let version = approved_at
                    .and_then(|when| versions.iter().rev().find(|(pushed, _, _)| *pushed <= when));
                let mut refs = vec![body.at(&format!("/approved_by/{i}"))];
                if let Some((_, _, v_at)) = version {
                    refs.push(v_at.clone());
                }
                reviews.push(Review {
                    id: format!(
                        "approval/{}",
                        a.get("user")
                            .and_then(|u| n(u, "id"))
                            .map(|id| id.to_string())
                            .unwrap_or_else(|| i.to_string())
                    )
                    .into(),
                    author: user,
                    state: ReviewState::Approved,
                    submitted_at: approved_at,
                    commit_sha: (version.map(|(_, sha, _)| sha.clone())).map(Into::into),
                    evidence: crate::model::evidence_refs(refs),
                });
            }
        }
        None => incomplete.push(super::INCOMPLETE_REVIEWS.into()),
    }
    // Without the versions an approval's commit is unknown.
    if (r.failed(&versions_kind) || (r.list(&versions_kind).is_none() && !reviews.is_empty()))
        && !incomplete.iter().any(|i| i == super::INCOMPLETE_REVIEWS)
    {
        incomplete.push(super::INCOMPLETE_REVIEWS.to_string());
    }
    let mut commits = Vec::new();
    match r.list(&commits_kind) {
        Some(items) => {
            let mut seen = BTreeSet::new();
            // Listed newest first; the model keeps them oldest first.
            for (c, _) in items.iter().rev() {
                let Some(sha) = s(c, "id") else {
                    return Err(format!("{what}: a commit has no `id`"));
                };
                if !seen.insert(sha.to_string()) {
                    continue;
                }
                let message = s(c, "message").unwrap_or("").to_string();
                commits.push(CommitInfo {
                    sha: sha.to_string().into(),
                    co_authors: super::trailers::co_authors(&message),
                    message: crate::model::Text::from(message),
                    author: identity(c, "author"),
                    committer: identity(c, "committer"),
                    authored_at: need_t(c, "authored_date", &what)?,
                    committed_at: need_t(c, "committed_date", &what)?,
                });
            }
            if let Some((_, at)) = items.first() {
                evidence.push(
                    at.rsplit_once('#')
                        .map(|(h, _)| format!("{h}#"))
                        .unwrap_or_default(),
                );
            }
        }
        None => incomplete.push(super::INCOMPLETE_COMMITS.to_string()),
    }
    let mut checks = Checks {
        sha: head.clone().into(),
        rollup: None,
        runs: Vec::new(),
    };
    match r.list(&pipelines_kind) {
        Some(items) => {
            let listed: Vec<Value> = items.iter().map(|(v, _)| v.clone()).collect();
            if let Some(id) = crate::gitlab::head_pipeline(&listed, &head)
                && let Some((p, p_at)) = items.iter().find(|(p, _)| n(p, "id") == Some(id))
            {
                evidence.push(p_at.clone());
                let status = s(p, "status").unwrap_or("");
                checks.rollup = Some(pipeline_rollup(status));
                checks.runs.push(CheckRun {
                    name: "pipeline".into(),
                    kind: CheckKind::StatusContext,
                    conclusion: (conclusion(status, false)).map(Into::into),
                    app: Some("gitlab-ci".into()),
                });
                let jobs = Kind::Jobs {
                    project: project.to_string(),
                    pipeline: id,
                };
                match r.list(&jobs) {
                    Some(jobs) => {
                        for (j, _) in jobs {
                            checks.runs.push(CheckRun {
                                name: s(j, "name").unwrap_or("").to_string().into(),
                                kind: CheckKind::CheckRun,
                                conclusion: (conclusion(
                                    s(j, "status").unwrap_or(""),
                                    b(j, "allow_failure"),
                                ))
                                .map(Into::into),
                                app: Some("gitlab-ci".into()),
                            });
                        }
                    }
                    None => incomplete.push(super::INCOMPLETE_CHECKS.to_string()),
                }
            }
        }
        None => incomplete.push(super::INCOMPLETE_CHECKS.to_string()),
    }
    let merged_at = need_t(mr, "merged_at", &what)?;
    let merged_by = actor(mr.get("merge_user")).or_else(|| actor(mr.get("merged_by")));
    let merge_commit_sha = s(mr, "merge_commit_sha")
        .or(s(mr, "squash_commit_sha"))
        .map(str::to_string);
    let timeline = vec![TimelineEvent {
        at: merged_at,
        actor: merged_by.clone(),
        event: TimelineKind::Merged {
            commit: (merge_commit_sha.clone().or_else(|| Some(head.clone()))).map(Into::into),
            base: (s(mr, "target_branch").map(str::to_string)).map(Into::into),
        },
    }];
    Ok(Change {
        source: src.to_string().into(),
        repo: project.to_string().into(),
        number: iid,
        title: s(mr, "title").unwrap_or("").to_string().into(),
        url: s(mr, "web_url").unwrap_or("").to_string().into(),
        author: actor(mr.get("author")),
        base_branch: s(mr, "target_branch").unwrap_or("").to_string().into(),
        head_branch: s(mr, "source_branch").unwrap_or("").to_string().into(),
        created_at: need_t(mr, "created_at", &what)?,
        merged_at,
        merged_by,
        merge_commit_sha: (merge_commit_sha).map(Into::into),
        head_sha: head.into(),
        labels: mr
            .get("labels")
            .and_then(Value::as_array)
            .map(|l| {
                l.iter()
                    .filter_map(|x| x.as_str().or_else(|| x.get("name").and_then(Value::as_str)))
                    .map(str::to_string)
                    .map(crate::model::Text::from)
                    .collect()
            })
            .unwrap_or_default(),
        reviews,
        commits,
        checks,
        timeline,
        incomplete: crate::model::texts(incomplete),
        evidence: crate::model::evidence_refs(evidence),
    })
}

fn protection(
    r: &Responses,
    src: &str,
    project: &str,
    branch: &str,
    p: &Value,
) -> Option<BranchProtection> {
    let protected_kind = Kind::ProtectedBranches {
        project: project.to_string(),
    };
    let listed = r.list(&protected_kind)?;
    // The approval terms come from two more calls (Premium); without them the
    // protection is unknown, not weak (the gap says why).
    let rules_kind = Kind::ApprovalRules {
        project: project.to_string(),
    };
    let settings_kind = Kind::ProjectApprovals {
        project: project.to_string(),
    };
    if r.list(&rules_kind).is_none() || r.object(&settings_kind).is_none() {
        return None;
    }
    let entry = listed
        .iter()
        .find(|(e, _)| s(e, "name") == Some(branch))
        .or_else(|| {
            listed
                .iter()
                .find(|(e, _)| s(e, "name").is_some_and(|n| crate::util::glob_match(n, branch)))
        });
    let mut bp = BranchProtection {
        source: src.to_string(),
        repo: project.to_string(),
        branch: branch.to_string(),
        protected: false,
        has_rulesets: false,
        require_pull_request: false,
        required_approvals: 0,
        dismiss_stale_reviews: false,
        require_code_owner_review: false,
        required_checks: Vec::new(),
        strict_checks: false,
        enforce_admins: false,
        allow_force_pushes: true,
        bypass_actors: Vec::new(),
        ruleset_ids: Vec::new(),
        evidence: Vec::new(),
    };
    let Some((e, at)) = entry else {
        // The list's first page is the evidence that no entry protects the branch.
        bp.evidence.push(
            listed
                .first()
                .map(|(_, at)| at.clone())
                .unwrap_or_default()
                .into(),
        );
        bp.evidence.retain(|e| !e.is_empty());
        return Some(bp);
    };
    bp.evidence.push(at.clone().into());
    bp.protected = true;
    let push: Vec<&Value> = e
        .get("push_access_levels")
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    bp.require_pull_request = !push.is_empty()
        && push.iter().all(|l| {
            n(l, "access_level") == Some(0)
                && l.get("user_id").is_none_or(Value::is_null)
                && l.get("group_id").is_none_or(Value::is_null)
                && l.get("deploy_key_id").is_none_or(Value::is_null)
        });
    for l in &push {
        for (key, label) in [
            ("user_id", "User"),
            ("group_id", "Group"),
            ("deploy_key_id", "DeployKey"),
        ] {
            if let Some(id) = n(l, key) {
                bp.bypass_actors.push(format!("{label} {id} (push)"));
            }
        }
    }
    bp.allow_force_pushes = b(e, "allow_force_push");
    bp.require_code_owner_review = b(e, "code_owner_approval_required");
    bp.enforce_admins = true;
    let entry_name = s(e, "name").unwrap_or(branch);
    if let Some(rules) = r.list(&Kind::ApprovalRules {
        project: project.to_string(),
    }) {
        for (rule, at) in rules {
            let applies = b(rule, "applies_to_all_protected_branches")
                || rule
                    .get("protected_branches")
                    .and_then(Value::as_array)
                    .is_some_and(|bs| bs.iter().any(|pb| s(pb, "name") == Some(entry_name)));
            let kind = s(rule, "rule_type").unwrap_or("regular");
            if applies && matches!(kind, "regular" | "any_approver") {
                let required = n(rule, "approvals_required").unwrap_or(0) as u32;
                if required > 0 {
                    bp.evidence.push(at.clone().into());
                }
                bp.required_approvals = bp.required_approvals.max(required);
            }
        }
    }
    if let Some(body) = r.object(&Kind::ProjectApprovals {
        project: project.to_string(),
    }) {
        bp.dismiss_stale_reviews = b(&body.value, "reset_approvals_on_push");
        bp.evidence.push(body.at("").into());
    }
    if b(p, "only_allow_merge_if_pipeline_succeeds") {
        bp.required_checks.push("pipeline".into());
    }
    Some(bp)
}

fn environments(
    r: &Responses,
    src: &str,
    project: &str,
    p: &Value,
    usernames: &BTreeMap<u64, String>,
    out: &mut Vec<Environment>,
) {
    let Some(listed) = r.list(&Kind::Environments {
        project: project.to_string(),
    }) else {
        return;
    };
    let protected = r.list(&Kind::ProtectedEnvironments {
        project: project.to_string(),
    });
    let self_review_allowed = b(p, "allow_pipeline_trigger_approve_deployment");
    for (env, at) in listed {
        let Some(name) = s(env, "name") else { continue };
        let mut e = Environment {
            source: src.to_string(),
            repo: project.to_string(),
            name: name.to_string(),
            wait_timer: None,
            reviewers: Vec::new(),
            prevent_self_review: false,
            deployment_branch_policy: None,
            can_admins_bypass: None,
            evidence: vec![at.clone().into()],
        };
        if let Some((pe, pe_at)) = protected
            .into_iter()
            .flatten()
            .find(|(pe, _)| s(pe, "name") == Some(name))
        {
            e.evidence.push(pe_at.clone().into());
            e.prevent_self_review = !self_review_allowed;
            for rule in pe
                .get("approval_rules")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(id) = n(rule, "user_id") {
                    e.reviewers.push(EnvironmentReviewer {
                        kind: "User".into(),
                        name: usernames
                            .get(&id)
                            .cloned()
                            .unwrap_or_else(|| format!("user {id}")),
                    });
                } else if let Some(id) = n(rule, "group_id") {
                    e.reviewers.push(EnvironmentReviewer {
                        kind: "Team".into(),
                        name: s(rule, "access_level_description")
                            .map(str::to_string)
                            .unwrap_or_else(|| format!("group {id}")),
                    });
                } else if let Some(level) = s(rule, "access_level_description") {
                    e.reviewers.push(EnvironmentReviewer {
                        kind: "Role".into(),
                        name: level.to_string(),
                    });
                }
            }
        }
        out.push(e);
    }
}

fn deployment(
    r: &Responses,
    src: &str,
    project: &str,
    d: &Value,
    at: &str,
    id: u64,
    web_url: &str,
) -> Result<Deployment, String> {
    let what = format!("{project} deployment {id}");
    let environment = d
        .get("environment")
        .and_then(|e| s(e, "name"))
        .unwrap_or("")
        .to_string();
    let creator = actor(d.get("user"));
    let status = s(d, "status").unwrap_or("");
    let finished = t(d, "finished_at").or_else(|| t(d, "updated_at"));
    let created_at = need_t(d, "created_at", &what)?;
    let mut evidence = vec![at.to_string()];
    let mut approvals = Vec::new();
    if let Some(body) = r.object(&Kind::Deployment {
        project: project.to_string(),
        id,
    }) {
        evidence.push(body.at(""));
        for (i, a) in body
            .value
            .get("approvals")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let Some(user) = actor(a.get("user")) else {
                continue;
            };
            approvals.push(DeploymentApproval {
                user,
                state: match s(a, "status") {
                    Some("approved") => "approved".into(),
                    Some(other) => other.to_string().into(),
                    None => "approved".into(),
                },
                environments: vec![environment.clone().into()],
                comment: s(a, "comment").unwrap_or("").to_string().into(),
                evidence: vec![body.at(&format!("/approvals/{i}")).into()],
            });
        }
    }
    let deployable = d.get("deployable").filter(|v| !v.is_null());
    Ok(Deployment {
        source: src.to_string().into(),
        repo: project.to_string().into(),
        id: id.to_string().into(),
        environment: crate::model::Text::from(environment),
        sha: s(d, "sha").unwrap_or("").to_string().into(),
        ref_name: s(d, "ref").unwrap_or("").to_string().into(),
        created_at,
        creator: creator.clone(),
        statuses: vec![DeploymentStatus {
            state: deployment_state(status).to_string().into(),
            created_at: finished.unwrap_or(created_at),
            creator,
            log_url: (deployable.and_then(|j| s(j, "web_url")).map(str::to_string)).map(Into::into),
        }],
        workflow_run_id: None,
        approvals,
        url: deployable
            .and_then(|j| s(j, "web_url"))
            .map(str::to_string)
            .unwrap_or_else(|| format!("{web_url}/{project}/-/environments"))
            .into(),
        evidence: crate::model::evidence_refs(evidence),
    })
}

fn access(
    r: &Responses,
    source: &SourceMeta,
    usernames: &BTreeMap<u64, String>,
    out: &mut Normalized,
) {
    let src = source.name.as_str();
    let group = source.org.as_str();
    let mut members: BTreeSet<String> = BTreeSet::new();
    if let Some(items) = r.list(&Kind::GroupMembers) {
        let mut seen = BTreeSet::new();
        for (m, at) in items {
            let Some(login) = s(m, "username") else {
                continue;
            };
            if !seen.insert(login.to_string()) {
                continue;
            }
            members.insert(login.to_ascii_lowercase());
            out.org_members.push(OrgMember {
                source: src.to_string(),
                org: group.to_string(),
                login: login.to_string(),
                kind: if b(m, "bot") {
                    ActorKind::Bot
                } else {
                    ActorKind::User
                },
                role: if n(m, "access_level").unwrap_or(0) >= crate::gitlab::OWNER {
                    "admin".into()
                } else {
                    "member".into()
                },
                two_factor_enabled: None,
                evidence: vec![at.clone().into()],
            });
        }
    }
    let mut outside: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (kind, items) in &r.lists {
        match kind {
            Kind::ProjectMembers { project } => {
                let mut seen = BTreeSet::new();
                for (m, at) in items {
                    let Some(login) = s(m, "username") else {
                        continue;
                    };
                    let Some(permission) = n(m, "access_level").and_then(crate::gitlab::permission)
                    else {
                        continue;
                    };
                    if !seen.insert(login.to_string()) {
                        continue;
                    }
                    // Outside collaborators only where the group's member list was read.
                    if r.list(&Kind::GroupMembers).is_some()
                        && !members.contains(&login.to_ascii_lowercase())
                    {
                        outside
                            .entry(login.to_string())
                            .or_default()
                            .push(at.clone());
                    }
                    out.repo_collaborators.push(RepoCollaborator {
                        source: src.to_string(),
                        repo: project.clone(),
                        login: login.to_string(),
                        kind: if b(m, "bot") {
                            ActorKind::Bot
                        } else {
                            ActorKind::User
                        },
                        permission: permission.to_string(),
                        evidence: vec![at.clone().into()],
                    });
                }
            }
            Kind::DeployKeys { project } => {
                for (k, at) in items {
                    let (Some(id), Some(created_at)) = (n(k, "id"), t(k, "created_at")) else {
                        continue;
                    };
                    out.deploy_keys.push(DeployKey {
                        source: src.to_string(),
                        repo: project.clone(),
                        id,
                        title: s(k, "title").unwrap_or("").to_string(),
                        read_only: !b(k, "can_push"),
                        created_at,
                        last_used: None,
                        evidence: vec![at.clone().into()],
                    });
                }
            }
            Kind::AuditEvents | Kind::ProjectAuditEvents { .. } => {
                for (e, at) in items {
                    let Some(at_time) = t(e, "created_at") else {
                        continue;
                    };
                    let details = e.get("details").cloned().unwrap_or(Value::Null);
                    let fields = details
                        .as_object()
                        .map(|m| {
                            m.iter()
                                .filter_map(|(k, v)| match v {
                                    Value::String(s) => Some((k.clone(), s.clone())),
                                    Value::Number(n) => Some((k.clone(), n.to_string())),
                                    Value::Bool(b) => Some((k.clone(), b.to_string())),
                                    _ => None,
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    out.audit_events.push(AuditEvent {
                        source: src.to_string(),
                        org: group.to_string(),
                        action: format!("gitlab.{}", s(e, "event_name").unwrap_or("unknown")),
                        actor: n(e, "author_id").map(|id| {
                            usernames
                                .get(&id)
                                .cloned()
                                .unwrap_or_else(|| format!("user {id}"))
                        }),
                        repo: (s(e, "entity_type") == Some("Project"))
                            .then(|| s(&details, "entity_path").unwrap_or("").to_string()),
                        branch: None,
                        at: at_time,
                        document_id: n(e, "id").map(|id| id.to_string()),
                        fields,
                        evidence: vec![at.clone().into()],
                    });
                }
            }
            _ => {}
        }
    }
    for (login, evidence) in outside {
        out.outside_collaborators.push(OutsideCollaborator {
            source: src.to_string(),
            org: group.to_string(),
            login,
            two_factor_enabled: None,
            evidence: crate::model::evidence_refs(evidence),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(value: Value) -> Body {
        Body {
            sha256: "ab".repeat(32),
            value,
        }
    }

    #[test]
    fn calls_are_recognised_from_their_urls() {
        let k = |url: &str| {
            let (path, query) = relative(url, "https://gl.example/api/v4").unwrap();
            recognise(path, query)
        };
        assert_eq!(
            k("https://gl.example/api/v4/projects/globex%2Fapi/merge_requests/7/approvals"),
            Some(Kind::Approvals {
                project: "globex/api".into(),
                iid: 7
            })
        );
        assert_eq!(
            k(
                "https://gl.example/api/v4/projects/g%2Fsub%2Fp/repository/commits?ref_name=release%2F1.0&since=x&page=2"
            ),
            Some(Kind::BranchCommits {
                project: "g/sub/p".into(),
                branch: "release/1.0".into()
            })
        );
        assert_eq!(
            k(
                "https://gl.example/api/v4/projects/g%2Fp/deployments?environment=prod-eu&updated_after=x"
            ),
            Some(Kind::Deployments {
                project: "g/p".into(),
                environment: "prod-eu".into()
            })
        );
        assert_eq!(k("https://gl.example/api/v4/projects/g%2Fp/issues"), None);
        assert_eq!(selection("a=1&page=3&cursor=zz&b=2"), "a=1&b=2");
        assert_eq!(decode("release%2F1.0%"), "release/1.0%");
    }

    fn responses(
        project: &str,
        protected: Value,
        rules: Option<Value>,
        approvals: Value,
    ) -> Responses {
        let mut r = Responses::default();
        let items = |v: Value| -> Items {
            v.as_array()
                .unwrap()
                .iter()
                .enumerate()
                .map(|(i, x)| (x.clone(), format!("sha256:aa#/{i}")))
                .collect()
        };
        r.lists.insert(
            Kind::ProtectedBranches {
                project: project.into(),
            },
            items(protected),
        );
        match rules {
            Some(rules) => {
                r.lists.insert(
                    Kind::ApprovalRules {
                        project: project.into(),
                    },
                    items(rules),
                );
            }
            None => {
                r.failed.insert(
                    Kind::ApprovalRules {
                        project: project.into(),
                    },
                    (403, "403 Forbidden".into()),
                );
            }
        }
        r.objects.insert(
            Kind::ProjectApprovals {
                project: project.into(),
            },
            body(approvals),
        );
        r
    }

    #[test]
    fn protected_branches_map_to_the_baseline_terms() {
        let protected = json!([{"name": "release/*", "push_access_levels": [{"access_level": 0}],
            "merge_access_levels": [{"access_level": 30}], "allow_force_push": false,
            "code_owner_approval_required": true}]);
        let rules = json!([{"rule_type": "regular", "approvals_required": 2, "applies_to_all_protected_branches": false,
            "protected_branches": [{"name": "release/*"}]},
            {"rule_type": "code_owner", "approvals_required": 5, "applies_to_all_protected_branches": true}]);
        let r = responses(
            "g/p",
            protected,
            Some(rules),
            json!({"reset_approvals_on_push": true}),
        );
        let project = json!({"only_allow_merge_if_pipeline_succeeds": true});
        let bp = protection(&r, "gl", "g/p", "release/2.0", &project).unwrap();
        assert!(
            bp.protected
                && bp.require_pull_request
                && bp.dismiss_stale_reviews
                && bp.enforce_admins
        );
        assert!(bp.require_code_owner_review && !bp.allow_force_pushes);
        assert_eq!(
            bp.required_approvals, 2,
            "code-owner rules are not approval counts"
        );
        assert_eq!(bp.required_checks, ["pipeline"]);
        // A branch no entry protects is recorded as unprotected.
        let main = protection(&r, "gl", "g/p", "main", &project).unwrap();
        assert!(!main.protected && !main.require_pull_request);
        // Maintainers allowed to push, a user allowed to push: no pull request required.
        let weak = json!([{"name": "main", "push_access_levels": [{"access_level": 40}, {"access_level": 40, "user_id": 7}]}]);
        let r = responses(
            "g/p",
            weak.clone(),
            Some(json!([])),
            json!({"reset_approvals_on_push": false}),
        );
        let bp = protection(&r, "gl", "g/p", "main", &json!({})).unwrap();
        assert!(bp.protected && !bp.require_pull_request && !bp.dismiss_stale_reviews);
        assert_eq!(bp.bypass_actors, ["User 7 (push)"]);
        assert!(bp.required_checks.is_empty());
        // Approval rules refused (Free tier, or a token without access): unknown.
        let r = responses("g/p", weak, None, json!({"reset_approvals_on_push": false}));
        assert!(protection(&r, "gl", "g/p", "main", &json!({})).is_none());
    }

    #[test]
    fn an_approval_is_given_on_the_head_of_the_version_current_at_its_time() {
        let mut r = Responses::default();
        let p = "g/p".to_string();
        r.objects.insert(
            Kind::Approvals {
                project: p.clone(),
                iid: 3,
            },
            body(json!({"approved_by": [
                {"user": {"id": 1, "username": "ann"}, "approved_at": "2026-07-02T10:00:00Z"},
                {"user": {"id": 2, "username": "bob"}, "approved_at": "2026-07-02T12:00:00Z"},
                {"user": {"id": 3, "username": "cy"}}
            ]})),
        );
        r.lists.insert(
            Kind::Versions {
                project: p.clone(),
                iid: 3,
            },
            vec![
                (
                    json!({"head_commit_sha": "h2", "created_at": "2026-07-02T11:00:00Z"}),
                    "sha256:v#/0".into(),
                ),
                (
                    json!({"head_commit_sha": "h1", "created_at": "2026-07-02T09:00:00Z"}),
                    "sha256:v#/1".into(),
                ),
            ],
        );
        r.lists.insert(
            Kind::MrCommits {
                project: p.clone(),
                iid: 3,
            },
            Vec::new(),
        );
        r.lists.insert(
            Kind::Pipelines {
                project: p.clone(),
                iid: 3,
            },
            Vec::new(),
        );
        let mr = json!({"iid": 3, "sha": "h2", "merged_at": "2026-07-02T13:00:00Z", "created_at": "2026-07-01T13:00:00Z",
            "target_branch": "main", "author": {"username": "dee"}, "merge_user": {"username": "ann"}, "squash_commit_sha": "s"});
        let c = change(&r, "gl", &p, &mr, "sha256:l#/0", 3).unwrap();
        let on: Vec<(Option<&str>, Option<&str>)> = c
            .reviews
            .iter()
            .map(|r| {
                (
                    r.author.as_ref().map(|a| a.login.as_str()),
                    r.commit_sha.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            on,
            [
                (Some("ann"), Some("h1")),
                (Some("bob"), Some("h2")),
                (Some("cy"), None)
            ]
        );
        assert_eq!(c.merge_commit_sha.as_deref(), Some("s"));
        assert!(c.incomplete.is_empty(), "{:?}", c.incomplete);
        // No pipeline for the head: no checks at all (CM-03's checks_missing).
        assert_eq!(c.checks.rollup, None);
        // Without its approvals the change's reviews are incomplete, never empty-and-judged.
        r.objects.clear();
        let c = change(&r, "gl", &p, &mr, "sha256:l#/0", 3).unwrap();
        assert_eq!(c.incomplete, [super::super::INCOMPLETE_REVIEWS]);
    }
}
