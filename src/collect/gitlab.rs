//! What the collector fetches from one GitLab group, in the URL forms of the contract
//! (`crate::gitlab`): the group's projects in scope and, per project (several at a
//! time), merged merge requests with their approvals, commits, diff versions and head
//! pipeline, production-branch commits and the merge requests of commits no listed MR
//! carries, branch protection and approval settings, environments and deployments with
//! their approvals, members and deploy keys; per group the members and audit events.
//!
//! Completeness: a call given up on after retries, and a list whose `X-Total` exceeds
//! what was collected, become exact `missing` entries. A final refusal (403 on a
//! Premium feature, 404 on what the token cannot see) is recorded; normalization turns
//! it into a gap that leaves the dependent controls `not_tested`. GitLab omits
//! `X-Total` above 10,000 records; the collector then follows `Link` to the end and
//! claims no total.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::config::{Scope, Source};
use crate::gitlab::{self, Call};
use crate::locker::{LockerError, Window};

use super::http::{ApiRequest, ApiResponse, CallError, Executor};
use super::pagination::{next_link, next_page_url, url};

/// A list is abandoned (and reported missing) beyond this many pages.
const MAX_PAGES: usize = 10_000;

type Step<T> = Result<T, LockerError>;

/// The outcome of fetching one list or object.
enum Fetched<T> {
    Got(T),
    /// A final refusal: recorded, a gap after normalization.
    Denied,
    /// Given up after retries: already in `missing`.
    Failed,
}

impl<T> Fetched<T> {
    fn got(self) -> Option<T> {
        match self {
            Fetched::Got(t) => Some(t),
            _ => None,
        }
    }
}

/// The collection of one GitLab source.
pub struct Plan {
    exec: Arc<Executor>,
    source: Source,
    group: String,
    scope: Scope,
    window: Window,
    project_slots: Semaphore,
    missing: Mutex<Vec<String>>,
}

impl Plan {
    pub fn new(
        exec: Arc<Executor>,
        source: Source,
        scope: Scope,
        window: Window,
        projects_at_once: usize,
    ) -> Plan {
        let group = source.org.clone().unwrap_or_default();
        Plan {
            exec,
            source,
            group,
            scope,
            window,
            project_slots: Semaphore::new(projects_at_once.max(1)),
            missing: Mutex::new(Vec::new()),
        }
    }

    /// Runs the whole plan; returns the `missing` entries (sorted) and notes.
    pub async fn run(self: Arc<Self>) -> Step<(Vec<String>, Vec<String>)> {
        let projects = self.projects().await?;
        self.exec.progress().repositories(projects.len() as u64);
        let mut tasks: JoinSet<Step<()>> = JoinSet::new();
        for (path, default_branch) in projects {
            let plan = Arc::clone(&self);
            tasks.spawn(async move {
                let _slot = plan.project_slots.acquire().await;
                plan.project(&path, &default_branch).await?;
                plan.exec.progress().repository_done(&path);
                Ok(())
            });
        }
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok(result) => result?,
                Err(e) => self.missing(format!("internal error in a collection task: {e}")),
            }
        }
        // Group-wide lists.
        self.list(&gitlab::group_members(&self.group), "group members")
            .await?;
        self.list(
            &gitlab::audit_events(&self.group, &self.window),
            "audit events",
        )
        .await?;
        let mut missing = std::mem::take(&mut *lock(&self.missing));
        missing.sort();
        missing.dedup();
        Ok((missing, Vec::new()))
    }

    fn missing(&self, entry: String) {
        tracing::warn!("missing: {entry}");
        lock(&self.missing).push(entry);
    }

    async fn call(&self, request: ApiRequest, what: &str) -> Step<Option<ApiResponse>> {
        match self.exec.execute(&request).await {
            Ok(response) => Ok(Some(response)),
            Err(CallError::Locker(e)) => Err(e),
            Err(e) => {
                self.missing(format!("{} {what}: {e}", self.source.name));
                Ok(None)
            }
        }
    }

    /// Every page of a list (following `Link: rel="next"`), its items; a shortfall
    /// against `X-Total` is missing.
    async fn list(&self, call: &Call, what: &str) -> Step<Fetched<Vec<Value>>> {
        let mut next = url(self.exec.api_url(), &call.path, &call.query);
        let mut seen = BTreeSet::new();
        let mut items = Vec::new();
        let mut total: Option<u64> = None;
        loop {
            if !seen.insert(next.clone()) || seen.len() > MAX_PAGES {
                self.missing(format!(
                    "{} {what}: GET {next}: pagination does not end (a page repeats or more than {MAX_PAGES} pages)",
                    self.source.name
                ));
                return Ok(Fetched::Failed);
            }
            let Some(response) = self.call(ApiRequest::get(next.clone()), what).await? else {
                return Ok(Fetched::Failed);
            };
            if !response.ok() {
                return Ok(Fetched::Denied);
            }
            match response.json() {
                Some(Value::Array(page)) => items.extend(page),
                _ => {
                    self.missing(format!(
                        "{} {what}: GET {next}: the response is not a JSON array",
                        self.source.name
                    ));
                    return Ok(Fetched::Failed);
                }
            }
            if let Some(t) = response
                .headers
                .get("x-total")
                .and_then(|t| t.trim().parse().ok())
            {
                total = Some(t);
            }
            let Some(link) = response.headers.get("link").and_then(|l| next_link(l)) else {
                break;
            };
            match next_page_url(&next, link) {
                Some(url) => next = url,
                None => {
                    self.missing(format!(
                        "{} {what}: GET {next}: cannot follow the next-page link {link}",
                        self.source.name
                    ));
                    return Ok(Fetched::Failed);
                }
            }
        }
        if let Some(total) = total
            && total > items.len() as u64
        {
            self.missing(format!(
                "{} {what}: GitLab counts {total} records (X-Total) but {} were listed",
                self.source.name,
                items.len()
            ));
        }
        Ok(Fetched::Got(items))
    }

    async fn object(&self, call: &Call, what: &str) -> Step<Fetched<Value>> {
        let target = url(self.exec.api_url(), &call.path, &call.query);
        let Some(response) = self.call(ApiRequest::get(target.clone()), what).await? else {
            return Ok(Fetched::Failed);
        };
        if !response.ok() {
            return Ok(Fetched::Denied);
        }
        match response.json() {
            Some(v) => Ok(Fetched::Got(v)),
            None => {
                self.missing(format!(
                    "{} {what}: GET {target}: the response is not JSON",
                    self.source.name
                ));
                Ok(Fetched::Failed)
            }
        }
    }

    /// The group's projects in scope: (full path, default branch), sorted by path.
    async fn projects(&self) -> Step<Vec<(String, String)>> {
        let call = gitlab::group_projects(&self.group);
        let items = match self.list(&call, "projects").await? {
            Fetched::Got(items) => items,
            Fetched::Denied => {
                self.missing(format!(
                    "{}: cannot list the projects of group {}; nothing else can be collected",
                    self.source.name, self.group
                ));
                return Ok(Vec::new());
            }
            Fetched::Failed => return Ok(Vec::new()),
        };
        let prefix = format!("{}/", self.group);
        let mut projects: Vec<(String, String)> = items
            .iter()
            .filter_map(|p| {
                let path = p.get("path_with_namespace")?.as_str()?;
                // Globs name projects by their path below the group.
                let name = path.strip_prefix(&prefix).unwrap_or(path);
                if !self.source.includes_repo(name) {
                    return None;
                }
                let default = p
                    .get("default_branch")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                Some((path.to_string(), default.to_string()))
            })
            .collect();
        projects.sort();
        Ok(projects)
    }

    /// Everything of one project, in the contract's order.
    async fn project(&self, path: &str, default_branch: &str) -> Step<()> {
        let is_production = |b: &str| self.scope.is_production_branch(b, default_branch);
        let branches = self
            .list(&gitlab::branches(path), &format!("{path} branches"))
            .await?
            .got()
            .unwrap_or_default();
        let mut production: Vec<String> = branches
            .iter()
            .filter_map(|b| b.get("name").and_then(Value::as_str))
            .filter(|b| is_production(b))
            .map(str::to_string)
            .collect();
        if !default_branch.is_empty() && !production.iter().any(|b| b == default_branch) {
            production.push(default_branch.to_string());
        }
        production.sort();

        // Merged merge requests and, for the population, their follow-ups.
        let mut carried: BTreeSet<String> = BTreeSet::new();
        let listed = self
            .list(
                &gitlab::merge_requests(path, &self.window),
                &format!("{path} merge requests"),
            )
            .await?
            .got()
            .unwrap_or_default();
        for mr in &listed {
            if !gitlab::in_population(mr, is_production, &self.window) {
                continue;
            }
            let Some(iid) = mr.get("iid").and_then(Value::as_u64) else {
                continue;
            };
            let what = format!("{path}!{iid}");
            self.object(
                &gitlab::mr_approvals(path, iid),
                &format!("{what} approvals"),
            )
            .await?;
            let commits = self
                .list(&gitlab::mr_commits(path, iid), &format!("{what} commits"))
                .await?
                .got()
                .unwrap_or_default();
            carried.extend(gitlab::carried_commits(mr, &commits));
            self.list(&gitlab::mr_versions(path, iid), &format!("{what} versions"))
                .await?;
            let pipelines = self
                .list(
                    &gitlab::mr_pipelines(path, iid),
                    &format!("{what} pipelines"),
                )
                .await?
                .got()
                .unwrap_or_default();
            let head = mr.get("sha").and_then(Value::as_str).unwrap_or("");
            if let Some(id) = gitlab::head_pipeline(&pipelines, head) {
                self.list(
                    &gitlab::pipeline_jobs(path, id),
                    &format!("{what} pipeline {id} jobs"),
                )
                .await?;
            }
        }

        // Production-branch history, and the MRs of commits no listed MR carries.
        let mut looked_up: BTreeSet<String> = BTreeSet::new();
        for branch in &production {
            let commits = self
                .list(
                    &gitlab::branch_commits(path, branch, &self.window),
                    &format!("{path} {branch} commits"),
                )
                .await?
                .got()
                .unwrap_or_default();
            for sha in commits
                .iter()
                .filter_map(|c| c.get("id").and_then(Value::as_str))
            {
                if !carried.contains(sha) && looked_up.insert(sha.to_string()) {
                    self.list(
                        &gitlab::commit_merge_requests(path, sha),
                        &format!("{path} commit {sha} merge requests"),
                    )
                    .await?;
                }
            }
        }

        // Protection.
        self.list(
            &gitlab::protected_branches(path),
            &format!("{path} protected branches"),
        )
        .await?;
        self.list(
            &gitlab::approval_rules(path),
            &format!("{path} approval rules"),
        )
        .await?;
        self.object(
            &gitlab::project_approvals(path),
            &format!("{path} approval settings"),
        )
        .await?;

        // Environments and production deployments.
        let environments = self
            .list(&gitlab::environments(path), &format!("{path} environments"))
            .await?
            .got()
            .unwrap_or_default();
        self.list(
            &gitlab::protected_environments(path),
            &format!("{path} protected environments"),
        )
        .await?;
        for env in &environments {
            let Some(name) = env.get("name").and_then(Value::as_str) else {
                continue;
            };
            if !self.scope.is_production_environment(name) {
                continue;
            }
            let listed = self
                .list(
                    &gitlab::deployments(path, name, &self.window),
                    &format!("{path} {name} deployments"),
                )
                .await?
                .got()
                .unwrap_or_default();
            let mut deployed = Vec::new();
            for d in &listed {
                if !gitlab::deployment_needs_detail(d, &self.window) {
                    continue;
                }
                let Some(id) = d.get("id").and_then(Value::as_u64) else {
                    continue;
                };
                self.object(
                    &gitlab::deployment(path, id),
                    &format!("{path} deployment {id}"),
                )
                .await?;
                if let Some(sha) = d.get("sha").and_then(Value::as_str) {
                    deployed.push(sha.to_string());
                }
            }
            for sha in deployed {
                if !carried.contains(&sha) && looked_up.insert(sha.clone()) {
                    self.list(
                        &gitlab::commit_merge_requests(path, &sha),
                        &format!("{path} deployed commit {sha} merge requests"),
                    )
                    .await?;
                }
            }
        }

        // Changes to protection: project audit events.
        self.list(
            &gitlab::project_audit_events(path, &self.window),
            &format!("{path} audit events"),
        )
        .await?;

        // Access.
        self.list(&gitlab::project_members(path), &format!("{path} members"))
            .await?;
        self.list(&gitlab::deploy_keys(path), &format!("{path} deploy keys"))
            .await?;
        Ok(())
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
