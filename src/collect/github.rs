//! What the collector fetches from one GitHub organisation, in the URL forms of the
//! contract (`crate::github`): the repositories in scope, and per repository (several
//! at a time) merged pull requests and production-branch history by GraphQL, branch
//! protection, rules, rule suites, production deployments with statuses and approvals
//! and the change behind any deployed commit the search did not return, collaborators, deploy keys and secrets; per organisation the audit log, members,
//! outside collaborators, teams and org secrets.
//!
//! Completeness: every call that could not be answered after retries, and every list
//! whose API total exceeds what was collected, becomes an exact `missing` entry (the
//! collection is then incomplete). A final refusal (403/404) is not missing: it is
//! recorded, and normalization turns it into a gap that leaves the dependent controls
//! `not_tested` with the reason.
//!
//! A merged PR whose nested connection (reviews, commits, checks, labels, timeline)
//! holds more than its page gets per-PR follow-up queries for that connection only,
//! from the page's `endCursor` on. A search matching more than GitHub's 1,000-result
//! cap is split into smaller date ranges until each part fits.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value, json};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::config::{Scope, Source};
use crate::github::{
    BRANCH_HISTORY, DEPLOYED_COMMIT, FOLLOW_UP_PULL_REQUEST, MERGED_PULL_REQUESTS, MergedRange,
    PRODUCTION_DEPLOYMENTS, PRODUCTION_DEPLOYMENTS_CONNECTION, PullRequestConnection,
    carried_commits, deployed_commit_lookups, deployments_continue, selected_deployment,
};
use crate::locker::{LockerError, Window};

use super::http::{ApiRequest, ApiResponse, CallError, Executor, Probe};
use super::pagination::{encode, graphql_url, next_link, next_page_url, url};

/// GitHub's search returns at most this many results per query.
pub use crate::github::SEARCH_CAP;

/// A list is abandoned (and reported missing) beyond this many pages.
const MAX_PAGES: usize = 10_000;

/// The outcome of fetching one list or object.
#[derive(Debug)]
pub enum Fetched<T> {
    Got(T),
    /// A final refusal (403, 404 …): recorded; normalization turns it into a gap.
    Denied {
        status: u16,
        message: String,
    },
    /// Given up after retries: already in `missing`.
    Failed,
}

/// The collection of one GitHub source.
pub struct Plan {
    exec: Arc<Executor>,
    source: Source,
    org: String,
    scope: Scope,
    window: Window,
    repo_slots: Semaphore,
    missing: Mutex<Vec<String>>,
    notes: Mutex<Vec<String>>,
    /// Probes answered `304` this run, by (repository, what they watch): the earlier
    /// collection's GraphQL answers for that evidence may be reused.
    probes: Mutex<BTreeMap<(String, String), Probe>>,
    /// Organisation rulesets whose rules apply to a production branch.
    org_rulesets: Mutex<BTreeSet<u64>>,
    /// Per-PR follow-ups already made: (repository, number, connection).
    followed: Mutex<BTreeSet<(String, u64, PullRequestConnection)>>,
}

type Step<T> = Result<T, LockerError>;

/// What the pull-request probe watches (the key of `Plan::probes`).
const PULLS: &str = "pulls";

impl Plan {
    pub fn new(
        exec: Arc<Executor>,
        source: Source,
        scope: Scope,
        window: Window,
        repos_at_once: usize,
    ) -> Plan {
        let org = source.org.clone().unwrap_or_default();
        Plan {
            exec,
            source,
            org,
            scope,
            window,
            repo_slots: Semaphore::new(repos_at_once.max(1)),
            missing: Mutex::new(Vec::new()),
            notes: Mutex::new(Vec::new()),
            probes: Mutex::new(BTreeMap::new()),
            followed: Mutex::new(BTreeSet::new()),
            org_rulesets: Mutex::new(BTreeSet::new()),
        }
    }

    /// A conditional GET whose `304` says the evidence it watches is unchanged since the
    /// earlier collection (`--etag-cache`); any other answer, or none, simply means no
    /// reuse. Contract: `crate::github::probe_*`.
    async fn probe(&self, repo: &str, watches: String, path: &str, query: &str) -> Step<()> {
        let request = ApiRequest::get(url(self.exec.api_url(), path, query));
        match self.exec.execute(&request).await {
            Ok(response) => {
                if let Some(probe) = Probe::of(&request, &response) {
                    lock(&self.probes).insert((repo.to_string(), watches), probe);
                }
                Ok(())
            }
            Err(CallError::Locker(e)) => Err(e),
            Err(e) => {
                tracing::info!(call = %request.label(), error = %e, "probe unanswered: the evidence it watches is asked again");
                Ok(())
            }
        }
    }

    fn probe_for(&self, repo: &str, watches: &str) -> Option<Probe> {
        lock(&self.probes)
            .get(&(repo.to_string(), watches.to_string()))
            .cloned()
    }

    /// Runs the whole plan; returns the `missing` entries (sorted) and informational
    /// notes. A locker that cannot be written stops everything.
    pub async fn run(self: Arc<Self>) -> Step<(Vec<String>, Vec<String>)> {
        let repos = self.repositories().await?;
        self.exec.progress().repositories(repos.len() as u64);
        let mut tasks = JoinSet::new();
        tasks.spawn(Arc::clone(&self).organisation());
        for (name, default_branch) in repos {
            let plan = Arc::clone(&self);
            tasks.spawn(async move {
                let _slot = plan.repo_slots.acquire().await;
                Arc::clone(&plan).repository(name, default_branch).await
            });
        }
        self.join(tasks).await?;
        // Organisation rulesets that apply to a production branch keep their history at
        // the organisation: once each, after every repository named them.
        let org_rulesets: Vec<u64> = lock(&self.org_rulesets).iter().copied().collect();
        for id in org_rulesets {
            let path = format!("/orgs/{}/rulesets/{id}/history", encode(&self.org));
            let what = format!("{} ruleset_history ({id})", self.org);
            self.ruleset_history_at(&path, &what).await?;
        }
        let mut missing = std::mem::take(&mut *lock(&self.missing));
        missing.sort();
        missing.dedup();
        let mut notes = std::mem::take(&mut *lock(&self.notes));
        notes.sort();
        Ok((missing, notes))
    }

    async fn join(&self, mut tasks: JoinSet<Step<()>>) -> Step<()> {
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok(result) => result?,
                Err(e) => self.missing(format!("internal error in a collection task: {e}")),
            }
        }
        Ok(())
    }

    fn missing(&self, entry: String) {
        tracing::warn!("missing: {entry}");
        lock(&self.missing).push(entry);
    }

    fn note(&self, entry: String) {
        tracing::info!("{entry}");
        lock(&self.notes).push(entry);
    }

    fn subject(&self, what: &str) -> String {
        format!("{} {what}", self.source.name)
    }

    /// One request; a call given up on becomes a `missing` entry.
    async fn call(&self, request: ApiRequest, what: &str) -> Step<Option<ApiResponse>> {
        self.call_reusing(request, what, None).await
    }

    /// [`Plan::call`], reusing the earlier collection's answer behind `probe`.
    async fn call_reusing(
        &self,
        request: ApiRequest,
        what: &str,
        probe: Option<&Probe>,
    ) -> Step<Option<ApiResponse>> {
        match self.exec.reuse_or_execute(&request, probe).await {
            Ok(response) => Ok(Some(response)),
            Err(CallError::Locker(e)) => Err(e),
            Err(e) => {
                self.missing(format!("{}: {e}", self.subject(what)));
                Ok(None)
            }
        }
    }

    /// Every page of a REST list (following `Link: rel="next"`), as parsed bodies.
    async fn pages(&self, path: &str, query: &str, what: &str) -> Step<Fetched<Vec<Value>>> {
        let mut next = url(self.exec.api_url(), path, query);
        let mut seen = BTreeSet::new();
        let mut pages = Vec::new();
        loop {
            if !seen.insert(next.clone()) || pages.len() >= MAX_PAGES {
                self.missing(format!(
                    "{}: GET {next}: pagination does not end (a page repeats or more than {MAX_PAGES} pages)",
                    self.subject(what)
                ));
                return Ok(Fetched::Failed);
            }
            let Some(response) = self.call(ApiRequest::get(next.clone()), what).await? else {
                return Ok(Fetched::Failed);
            };
            if !response.ok() {
                return Ok(denied(&response));
            }
            let Some(body) = response.json() else {
                self.missing(format!(
                    "{}: GET {next}: the response is not JSON",
                    self.subject(what)
                ));
                return Ok(Fetched::Failed);
            };
            pages.push(body);
            let Some(link) = response.headers.get("link").and_then(|l| next_link(l)) else {
                return Ok(Fetched::Got(pages));
            };
            match next_page_url(&next, link) {
                Some(url) => next = url,
                None => {
                    self.missing(format!(
                        "{}: GET {next}: cannot follow the next-page link {link}",
                        self.subject(what)
                    ));
                    return Ok(Fetched::Failed);
                }
            }
        }
    }

    /// One object (no pagination).
    async fn object(&self, path: &str, query: &str, what: &str) -> Step<Fetched<Value>> {
        let target = url(self.exec.api_url(), path, query);
        let Some(response) = self.call(ApiRequest::get(target.clone()), what).await? else {
            return Ok(Fetched::Failed);
        };
        if !response.ok() {
            return Ok(denied(&response));
        }
        match response.json() {
            Some(body) => Ok(Fetched::Got(body)),
            None => {
                self.missing(format!(
                    "{}: GET {target}: the response is not JSON",
                    self.subject(what)
                ));
                Ok(Fetched::Failed)
            }
        }
    }

    /// Every page of a GraphQL connection at `connection` (a JSON pointer into the
    /// response), following `pageInfo.endCursor` through `$cursor`.
    async fn graphql_pages(
        &self,
        operation: &str,
        query: &str,
        variables: Map<String, Value>,
        connection: &str,
        what: &str,
        probe: Option<&Probe>,
    ) -> Step<Fetched<Vec<Value>>> {
        self.graphql_pages_until(operation, query, variables, connection, what, probe, |_| {
            false
        })
        .await
    }

    /// [`Plan::graphql_pages`], stopping after a page for which `stop` is true.
    #[allow(clippy::too_many_arguments)]
    async fn graphql_pages_until(
        &self,
        operation: &str,
        query: &str,
        mut variables: Map<String, Value>,
        connection: &str,
        what: &str,
        probe: Option<&Probe>,
        stop: impl Fn(&Value) -> bool,
    ) -> Step<Fetched<Vec<Value>>> {
        let endpoint = graphql_url(self.exec.api_url());
        let mut cursors = BTreeSet::new();
        let mut pages = Vec::new();
        loop {
            let body = json!({
                "operationName": operation,
                "query": query,
                "variables": Value::Object(variables.clone()),
            });
            let bytes = serde_json::to_vec(&body).unwrap_or_default();
            let Some(response) = self
                .call_reusing(ApiRequest::graphql(endpoint.clone(), bytes), what, probe)
                .await?
            else {
                return Ok(Fetched::Failed);
            };
            if !response.ok() {
                return Ok(denied(&response));
            }
            let Some(json) = response.json() else {
                self.missing(format!(
                    "{}: POST {endpoint} {operation}: the response is not JSON",
                    self.subject(what)
                ));
                return Ok(Fetched::Failed);
            };
            let conn = json.pointer(connection).filter(|v| !v.is_null()).cloned();
            let errors = graphql_errors(&json);
            let stopped = stop(&json);
            pages.push(json);
            let Some(conn) = conn else {
                if errors.is_empty() {
                    // The object holding the connection is absent (e.g. a branch that no
                    // longer exists): an answer, with nothing in it.
                    return Ok(Fetched::Got(pages));
                }
                return Ok(Fetched::Denied {
                    status: 200,
                    message: errors.join("; "),
                });
            };
            let has_next = !stopped
                && conn
                    .pointer("/pageInfo/hasNextPage")
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
            let cursor = conn
                .pointer("/pageInfo/endCursor")
                .and_then(Value::as_str)
                .map(str::to_string);
            match (has_next, cursor) {
                (false, _) => return Ok(Fetched::Got(pages)),
                (true, Some(cursor))
                    if cursors.insert(cursor.clone()) && pages.len() < MAX_PAGES =>
                {
                    variables.insert("cursor".into(), Value::String(cursor));
                }
                (true, _) => {
                    self.missing(format!(
                        "{}: POST {endpoint} {operation}: pagination does not end (no new endCursor)",
                        self.subject(what)
                    ));
                    return Ok(Fetched::Failed);
                }
            }
        }
    }

    /// The organisation's repositories in scope: (name, default branch).
    async fn repositories(&self) -> Step<Vec<(String, Option<String>)>> {
        let what = format!("{} repositories", self.org);
        let path = format!("/orgs/{}/repos", encode(&self.org));
        let pages = match self.pages(&path, "type=all&per_page=100", &what).await? {
            Fetched::Got(pages) => pages,
            Fetched::Denied { status, message } => {
                self.missing(format!(
                    "{}: cannot list the repositories of {} (HTTP {status}: {message}); nothing else can be collected",
                    self.source.name, self.org
                ));
                return Ok(Vec::new());
            }
            Fetched::Failed => return Ok(Vec::new()),
        };
        let mut repos = Vec::new();
        for item in items(&pages) {
            let Some(name) = item.get("name").and_then(Value::as_str) else {
                continue;
            };
            if !self.source.includes_repo(name) {
                continue;
            }
            let default = item
                .get("default_branch")
                .and_then(Value::as_str)
                .map(str::to_string);
            repos.push((name.to_string(), default));
        }
        repos.sort();
        Ok(repos)
    }

    async fn repository(self: Arc<Self>, name: String, default_branch: Option<String>) -> Step<()> {
        let full = format!("{}/{name}", self.org);
        // No closed pull request updated since the earlier collection: its answers on
        // them may be reused (a merge, review, label, edit or push moves `updated_at`).
        self.probe(
            &full,
            PULLS.to_string(),
            &self.repo_path(&name, "/pulls"),
            crate::github::PULLS_PROBE_QUERY,
        )
        .await?;
        let commits = Arc::new(Mutex::new(DeployedAndCarried::default()));
        let mut tasks = JoinSet::new();
        tasks.spawn(Arc::clone(&self).pull_requests(
            full.clone(),
            default_branch.clone().unwrap_or_default(),
            Arc::clone(&commits),
        ));
        tasks.spawn(Arc::clone(&self).branches(name.clone(), default_branch));
        tasks.spawn(Arc::clone(&self).deployments(name.clone(), Arc::clone(&commits)));
        tasks.spawn(Arc::clone(&self).repo_access(name.clone()));
        self.join(tasks).await?;
        let lookups = {
            let found = lock(&commits);
            deployed_commit_lookups(&found.carried, found.deployed.iter().cloned())
        };
        self.deployed_commits(&name, lookups).await?;
        self.exec.progress().repository_done(&full);
        Ok(())
    }

    /// The change behind each deployed commit the search did not return (contract:
    /// `deployed_changes`). A refusal is recorded and becomes a gap.
    async fn deployed_commits(&self, name: &str, shas: Vec<String>) -> Step<()> {
        for sha in shas {
            let mut variables = Map::new();
            variables.insert("owner".into(), Value::String(self.org.clone()));
            variables.insert("name".into(), Value::String(name.to_string()));
            variables.insert("oid".into(), Value::String(sha.clone()));
            let what = format!("{}/{name} deployed_changes ({sha})", self.org);
            let connection = "/data/repository/object/associatedPullRequests";
            if let Fetched::Got(pages) = self
                .graphql_pages(
                    "DeployedCommit",
                    DEPLOYED_COMMIT,
                    variables,
                    connection,
                    &what,
                    // Its associated pull requests may be open ones, which the closed-PR
                    // probe does not watch: always asked again.
                    None,
                )
                .await?
            {
                let listed =
                    |p: &Value, field: &str| p.pointer(&format!("{connection}/{field}")).cloned();
                for page in &pages {
                    let total = listed(page, "totalCount").and_then(|v| v.as_u64());
                    let got = listed(page, "nodes")
                        .and_then(|v| v.as_array().map(Vec::len))
                        .unwrap_or(0) as u64;
                    if total.is_some_and(|t| t > got) {
                        self.note(format!(
                            "{}/{name}: commit {sha} is associated with more pull requests than one page carries; the first {got} were collected",
                            self.org
                        ));
                    }
                }
                // A deployed change's own connections that overflowed get the same
                // per-PR follow-ups as the search's (once per PR and connection).
                let full = format!("{}/{name}", self.org);
                for page in &pages {
                    let nodes = listed(page, "nodes").unwrap_or(Value::Null);
                    for node in nodes.as_array().map(Vec::as_slice).unwrap_or_default() {
                        let Some(number) = node.get("number").and_then(Value::as_u64) else {
                            continue;
                        };
                        for connection in PullRequestConnection::ALL {
                            if let Some(t) = truncated(node, connection)
                                && lock(&self.followed).insert((full.clone(), number, connection))
                            {
                                self.follow_up(&self.org, name, &full, number, connection, t)
                                    .await?;
                            }
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn repo_path(&self, name: &str, rest: &str) -> String {
        format!("/repos/{}/{}{rest}", encode(&self.org), encode(name))
    }

    async fn pull_requests(
        self: Arc<Self>,
        full: String,
        default_branch: String,
        commits: Arc<Mutex<DeployedAndCarried>>,
    ) -> Step<()> {
        let what = format!("{full} pull_requests");
        let probe = self.probe_for(&full, PULLS);
        let mut ranges = vec![MergedRange::of_window(&self.window)];
        let mut nodes: Vec<Value> = Vec::new();
        let mut split = 0u32;
        // Depth first, earliest days first: the order the example generator records.
        while let Some(range) = ranges.pop() {
            let splittable = range.split();
            let mut variables = Map::new();
            variables.insert("q".into(), Value::String(range.query(&full)));
            variables.insert("cursor".into(), Value::Null);
            let over_cap = |page: &Value| {
                page.pointer("/data/search/issueCount")
                    .and_then(Value::as_u64)
                    .is_some_and(|n| n > SEARCH_CAP)
            };
            let pages = match self
                .graphql_pages_until(
                    "MergedPullRequests",
                    MERGED_PULL_REQUESTS,
                    variables,
                    "/data/search",
                    &what,
                    probe.as_ref(),
                    |page| splittable.is_some() && over_cap(page),
                )
                .await?
            {
                Fetched::Got(pages) => pages,
                _ => return Ok(()),
            };
            let issue_count = pages
                .iter()
                .rev()
                .find_map(|p| p.pointer("/data/search/issueCount").and_then(Value::as_u64))
                .unwrap_or(0);
            if issue_count > SEARCH_CAP
                && let Some((first, second)) = splittable
            {
                split += 1;
                ranges.push(second);
                ranges.push(first);
                continue;
            }
            let mut numbers = BTreeSet::new();
            for page in &pages {
                for node in page
                    .pointer("/data/search/nodes")
                    .and_then(Value::as_array)
                    .map(Vec::as_slice)
                    .unwrap_or_default()
                {
                    if let Some(number) = node.get("number").and_then(Value::as_u64)
                        && numbers.insert(number)
                    {
                        // Deployed commits that no collected change carries are looked
                        // up later (`DeployedCommit`).
                        let carried = carried_commits(node, |b| {
                            self.scope.is_production_branch(b, &default_branch)
                        });
                        lock(&commits).carried.extend(carried);
                        nodes.push(node.clone());
                    }
                }
            }
            let q = range.query(&full);
            if issue_count > SEARCH_CAP {
                self.missing(format!(
                    "{}: `{q}`: {issue_count} merged pull requests match one day's search, but GitHub's search returns at most {SEARCH_CAP}; {} were collected",
                    self.subject(&what),
                    numbers.len()
                ));
            } else if (numbers.len() as u64) < issue_count {
                self.missing(format!(
                    "{}: `{q}`: the search counts {issue_count} merged pull requests, {} were collected",
                    self.subject(&what),
                    numbers.len()
                ));
            }
        }
        if split > 0 {
            self.note(format!(
                "{full}: more than {SEARCH_CAP} merged pull requests matched one search; the window was split into smaller date ranges ({split} splits)"
            ));
        }
        let (name, owner) = match full.split_once('/') {
            Some((owner, name)) => (name.to_string(), owner.to_string()),
            None => (full.clone(), self.org.clone()),
        };
        let mut follow_ups = JoinSet::new();
        let mut overflowing = BTreeSet::new();
        for node in nodes {
            let Some(number) = node.get("number").and_then(Value::as_u64) else {
                continue;
            };
            for connection in PullRequestConnection::ALL {
                let Some(truncated) = truncated(&node, connection) else {
                    continue;
                };
                lock(&self.followed).insert((full.clone(), number, connection));
                overflowing.insert(number);
                let plan = Arc::clone(&self);
                let (owner, name, full) = (owner.clone(), name.clone(), full.clone());
                follow_ups.spawn(async move {
                    plan.follow_up(&owner, &name, &full, number, connection, truncated)
                        .await
                });
            }
        }
        self.join(follow_ups).await?;
        if !overflowing.is_empty() {
            self.note(format!(
                "{full}: {} pull requests had more reviews, commits, checks, labels or timeline events than one page carries; the rest was fetched per pull request",
                overflowing.len()
            ));
        }
        Ok(())
    }

    /// Pages one nested connection of one PR from where its search page stopped; a
    /// follow-up that fails or stops short is missing (the change stays `incomplete`).
    async fn follow_up(
        &self,
        owner: &str,
        name: &str,
        full: &str,
        number: u64,
        connection: PullRequestConnection,
        truncated: Truncated,
    ) -> Step<()> {
        let (operation, query) = connection.follow_up();
        let what = format!("{full}#{number} {} (pull_requests)", connection.name());
        let mut variables = Map::new();
        variables.insert("owner".into(), Value::String(owner.to_string()));
        variables.insert("name".into(), Value::String(name.to_string()));
        variables.insert("number".into(), Value::from(number));
        variables.insert(
            "cursor".into(),
            truncated
                .end_cursor
                .clone()
                .map_or(Value::Null, Value::String),
        );
        let pointer = format!("{FOLLOW_UP_PULL_REQUEST}{}", connection.pointer());
        let probe = self.probe_for(full, PULLS);
        let pages = match self
            .graphql_pages(operation, query, variables, &pointer, &what, probe.as_ref())
            .await?
        {
            Fetched::Got(pages) => pages,
            Fetched::Denied { status, message } => {
                self.missing(format!(
                    "{}: POST /graphql {operation} refused (HTTP {status}: {message}); the change keeps `{}` incomplete",
                    self.subject(&what),
                    connection.name()
                ));
                return Ok(());
            }
            Fetched::Failed => return Ok(()),
        };
        let mut got = truncated.held;
        let mut total = truncated.total;
        for page in &pages {
            if let Some(c) = page.pointer(&pointer) {
                got += c
                    .get("nodes")
                    .and_then(Value::as_array)
                    .map_or(0, |n| n.len() as u64);
                if let Some(t) = c.get("totalCount").and_then(Value::as_u64) {
                    total = t;
                }
            }
        }
        if got < total {
            self.missing(format!(
                "{}: {total} in all, {got} were collected; the change keeps `{}` incomplete",
                self.subject(&what),
                connection.name()
            ));
        }
        Ok(())
    }

    async fn branches(self: Arc<Self>, name: String, default_branch: Option<String>) -> Step<()> {
        let full = format!("{}/{name}", self.org);
        let what = format!("{full} branches");
        let listed: Vec<String> = match self
            .pages(&self.repo_path(&name, "/branches"), "per_page=100", &what)
            .await?
        {
            Fetched::Got(pages) => items(&pages)
                .filter_map(|b| b.get("name").and_then(Value::as_str).map(str::to_string))
                .collect(),
            Fetched::Denied { status, message } => {
                self.missing(format!(
                    "{}: cannot list branches (HTTP {status}: {message}); only the default branch was collected",
                    self.subject(&what)
                ));
                default_branch.iter().cloned().collect()
            }
            Fetched::Failed => default_branch.iter().cloned().collect(),
        };
        let default = default_branch.unwrap_or_default();
        let mut production: Vec<String> = listed
            .into_iter()
            .filter(|b| self.scope.is_production_branch(b, &default))
            .collect();
        production.sort();
        production.dedup();
        let mut tasks = JoinSet::new();
        for branch in production {
            tasks.spawn(Arc::clone(&self).branch(name.clone(), branch));
        }
        // The repository rulesets that apply to some production branch, once each.
        let mut rulesets = BTreeSet::new();
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok(result) => rulesets.extend(result?),
                Err(e) => self.missing(format!("internal error in a collection task: {e}")),
            }
        }
        for id in rulesets {
            self.ruleset_history(&name, id).await?;
        }
        Ok(())
    }

    /// A ruleset's history: the list of versions, then each version updated inside or
    /// after the window and the one in force at the window start.
    async fn ruleset_history(&self, name: &str, id: u64) -> Step<()> {
        let full = format!("{}/{name}", self.org);
        let what = format!("{full} ruleset_history ({id})");
        let path = self.repo_path(name, &format!("/rulesets/{id}/history"));
        self.ruleset_history_at(&path, &what).await
    }

    /// The versions listed at `path` (a repository's or the organisation's ruleset
    /// history), then each version in or after the window and the one in force at its start.
    async fn ruleset_history_at(&self, path: &str, what: &str) -> Step<()> {
        let Fetched::Got(pages) = self.pages(path, "per_page=100", what).await? else {
            return Ok(());
        };
        let mut versions: Vec<(String, u64)> = items(&pages)
            .filter_map(|v| {
                Some((
                    v.get("updated_at")?.as_str()?.to_string(),
                    v.get("version_id")?.as_u64()?,
                ))
            })
            .collect();
        versions.sort();
        let start = iso(self.window.start);
        let before = versions.iter().rposition(|(at, _)| *at < start);
        let from = before.unwrap_or(0);
        for (_, version) in &versions[from..] {
            self.object(&format!("{path}/{version}"), "", what).await?;
        }
        Ok(())
    }

    async fn branch(self: Arc<Self>, name: String, branch: String) -> Step<BTreeSet<u64>> {
        let full = format!("{}/{name}", self.org);
        let encoded = encode(&branch);
        // History by GraphQL, completeness against its totalCount.
        let what = format!("{full} branch_commits ({branch})");
        let mut variables = Map::new();
        variables.insert("owner".into(), Value::String(self.org.clone()));
        variables.insert("name".into(), Value::String(name.clone()));
        variables.insert("ref".into(), Value::String(format!("refs/heads/{branch}")));
        variables.insert("since".into(), Value::String(iso(self.window.start)));
        variables.insert("until".into(), Value::String(iso(self.window.end)));
        variables.insert("cursor".into(), Value::Null);
        let connection = "/data/repository/ref/target/history";
        // The branch's head unchanged since the earlier collection: its history too.
        let watches = format!("branch {branch}");
        self.probe(
            &full,
            watches.clone(),
            &self.repo_path(&name, &format!("/branches/{encoded}")),
            "",
        )
        .await?;
        let probe = self.probe_for(&full, &watches);
        if let Fetched::Got(pages) = self
            .graphql_pages(
                "BranchHistory",
                BRANCH_HISTORY,
                variables,
                connection,
                &what,
                probe.as_ref(),
            )
            .await?
        {
            let mut total = 0;
            let mut commits = BTreeSet::new();
            for page in &pages {
                let Some(history) = page.pointer(connection) else {
                    continue;
                };
                if let Some(n) = history.get("totalCount").and_then(Value::as_u64) {
                    total = n;
                }
                for node in history
                    .get("nodes")
                    .and_then(Value::as_array)
                    .map(Vec::as_slice)
                    .unwrap_or_default()
                {
                    if let Some(oid) = node.get("oid").and_then(Value::as_str) {
                        commits.insert(oid.to_string());
                    }
                }
            }
            if (commits.len() as u64) < total {
                self.missing(format!(
                    "{}: the history counts {total} commits in the window, {} were collected",
                    self.subject(&what),
                    commits.len()
                ));
            }
        }
        // Classic protection: a 404 "Branch not protected" is evidence, not a failure.
        self.object(
            &self.repo_path(&name, &format!("/branches/{encoded}/protection")),
            "",
            &format!("{full} branch_protection ({branch})"),
        )
        .await?;
        let mut rulesets = BTreeSet::new();
        if let Fetched::Got(pages) = self
            .pages(
                &self.repo_path(&name, &format!("/rules/branches/{encoded}")),
                "per_page=100",
                &format!("{full} rulesets ({branch})"),
            )
            .await?
        {
            // A repository's rulesets keep their history at the repository, the
            // organisation's at the organisation (collected once, in `run`).
            for rule in items(&pages) {
                let Some(id) = rule.get("ruleset_id").and_then(Value::as_u64) else {
                    continue;
                };
                match rule.get("ruleset_source_type").and_then(Value::as_str) {
                    Some("Repository") => {
                        rulesets.insert(id);
                    }
                    Some("Organization") => {
                        lock(&self.org_rulesets).insert(id);
                    }
                    _ => {}
                }
            }
        }
        self.pages(
            &self.repo_path(&name, "/rulesets/rule-suites"),
            &format!(
                "ref={}&time_period=month&per_page=100",
                encode(&format!("refs/heads/{branch}"))
            ),
            &format!("{full} rule_suites ({branch})"),
        )
        .await?;
        Ok(rulesets)
    }

    /// Deployments; statuses and approvals of those to production environments created
    /// inside or after the window start (older ones belong to no population).
    async fn deployments(
        self: Arc<Self>,
        name: String,
        commits: Arc<Mutex<DeployedAndCarried>>,
    ) -> Step<()> {
        let full = format!("{}/{name}", self.org);
        let what = format!("{full} deployments");
        let Fetched::Got(pages) = self
            .pages(
                &self.repo_path(&name, "/deployments"),
                "per_page=100",
                &what,
            )
            .await?
        else {
            return Ok(());
        };
        // Production deployments from the window start on: their statuses (and through
        // them the workflow runs) are what the populations need.
        let mut selected: BTreeSet<u64> = BTreeSet::new();
        let mut environments: BTreeSet<String> = BTreeSet::new();
        for d in items(&pages).filter(|d| {
            selected_deployment(
                d,
                |e| self.scope.is_production_environment(e),
                self.window.start,
            )
        }) {
            // Their commits: those no collected change carries are looked up
            // (`DeployedCommit`).
            if let Some(sha) = d.get("sha").and_then(Value::as_str) {
                lock(&commits).deployed.push(sha.to_string());
            }
            if let Some(id) = d.get("id").and_then(Value::as_u64) {
                selected.insert(id);
                let environment = d.get("environment").and_then(Value::as_str).unwrap_or("");
                environments.insert(environment.to_string());
            }
        }
        if selected.is_empty() {
            return Ok(());
        }
        // Statuses of all of them by GraphQL, 100 deployments a query, newest first.
        let what = format!("{full} deployment_statuses");
        let mut variables = Map::new();
        variables.insert("owner".into(), Value::String(self.org.clone()));
        variables.insert("name".into(), Value::String(name.clone()));
        variables.insert(
            "environments".into(),
            Value::Array(environments.into_iter().map(Value::String).collect()),
        );
        variables.insert("cursor".into(), Value::Null);
        let window = self.window;
        let Fetched::Got(pages) = self
            .graphql_pages_until(
                "ProductionDeployments",
                PRODUCTION_DEPLOYMENTS,
                variables,
                PRODUCTION_DEPLOYMENTS_CONNECTION,
                &what,
                // Statuses are always asked again: no probe is known to change with them.
                None,
                |page| {
                    let oldest = page
                        .pointer(PRODUCTION_DEPLOYMENTS_CONNECTION)
                        .and_then(|c| c.get("nodes"))
                        .and_then(Value::as_array)
                        .and_then(|nodes| nodes.last())
                        .and_then(|n| n.get("createdAt"))
                        .and_then(Value::as_str)
                        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok());
                    oldest.is_some_and(|t| {
                        !deployments_continue(t.with_timezone(&chrono::Utc), &window)
                    })
                },
            )
            .await?
        else {
            return Ok(());
        };
        let mut runs: Vec<u64> = Vec::new();
        let mut seen_deployments = BTreeSet::new();
        for page in &pages {
            for node in page
                .pointer(PRODUCTION_DEPLOYMENTS_CONNECTION)
                .and_then(|c| c.get("nodes"))
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default()
            {
                let Some(id) = node.get("databaseId").and_then(Value::as_u64) else {
                    continue;
                };
                seen_deployments.insert(id);
                let statuses = node.get("statuses");
                let listed = statuses
                    .and_then(|s| s.get("nodes"))
                    .and_then(Value::as_array)
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                let total = statuses
                    .and_then(|s| s.get("totalCount"))
                    .and_then(Value::as_u64)
                    .unwrap_or(0);
                if selected.contains(&id) && (listed.len() as u64) < total {
                    self.missing(format!(
                        "{}: deployment {id} has {total} statuses, {} were collected (more than one page of statuses is not followed)",
                        self.subject(&what),
                        listed.len()
                    ));
                }
                if selected.contains(&id)
                    && let Some(run) = listed.iter().find_map(run_id)
                {
                    runs.push(run);
                }
            }
        }
        let unanswered: Vec<String> = selected
            .difference(&seen_deployments)
            .map(u64::to_string)
            .collect();
        if !unanswered.is_empty() {
            self.missing(format!(
                "{}: the GraphQL deployments did not include deployment(s) {} of the REST list",
                self.subject(&what),
                unanswered.join(", ")
            ));
        }
        let mut seen = BTreeSet::new();
        let mut approvals = JoinSet::new();
        for run in runs {
            if !seen.insert(run) {
                continue;
            }
            let plan = Arc::clone(&self);
            let name = name.clone();
            approvals.spawn(async move {
                let path = plan.repo_path(&name, &format!("/actions/runs/{run}/approvals"));
                let what = format!("{}/{name} deployment_approvals (run {run})", plan.org);
                plan.object(&path, "", &what).await.map(|_| ())
            });
        }
        self.join(approvals).await
    }

    async fn repo_access(self: Arc<Self>, name: String) -> Step<()> {
        let full = format!("{}/{name}", self.org);
        self.pages(
            &self.repo_path(&name, "/collaborators"),
            "affiliation=direct&per_page=100",
            &format!("{full} repo_collaborators"),
        )
        .await?;
        self.pages(
            &self.repo_path(&name, "/keys"),
            "per_page=100",
            &format!("{full} deploy_keys"),
        )
        .await?;
        self.secrets(
            &self.repo_path(&name, "/actions/secrets"),
            &format!("{full} secrets"),
        )
        .await?;
        // Environment protection rules; completeness against `total_count`.
        let what = format!("{full} environments");
        if let Fetched::Got(pages) = self
            .pages(
                &self.repo_path(&name, "/environments"),
                "per_page=100",
                &what,
            )
            .await?
        {
            let total = pages
                .last()
                .and_then(|p| p.get("total_count"))
                .and_then(Value::as_u64);
            let got = items(&pages).count() as u64;
            if let Some(total) = total
                && got < total
            {
                self.missing(format!(
                    "{}: GitHub counts {total} environments, {got} were collected",
                    self.subject(&what)
                ));
            }
        }
        Ok(())
    }

    /// Secrets lists carry `total_count`: completeness is checked against it.
    async fn secrets(&self, path: &str, what: &str) -> Step<()> {
        if let Fetched::Got(pages) = self.pages(path, "per_page=100", what).await? {
            let total = pages
                .last()
                .and_then(|p| p.get("total_count"))
                .and_then(Value::as_u64)
                .unwrap_or(0);
            let collected = items(&pages).count() as u64;
            if collected < total {
                self.missing(format!(
                    "{}: the API counts {total} secrets, {collected} were collected",
                    self.subject(what)
                ));
            }
        }
        Ok(())
    }

    async fn organisation(self: Arc<Self>) -> Step<()> {
        let org = self.org.clone();
        let o = encode(&org);
        for phrase in crate::github::audit_log_phrases(self.window.start) {
            self.pages(
                &format!("/orgs/{o}/audit-log"),
                &format!("phrase={phrase}&per_page=100"),
                &format!("{org} audit_log"),
            )
            .await?;
        }
        for (query, what) in [
            ("role=admin&per_page=100", "org_members (owners)"),
            ("role=all&per_page=100", "org_members"),
            ("filter=2fa_disabled&per_page=100", "two_factor (members)"),
        ] {
            self.pages(
                &format!("/orgs/{o}/members"),
                query,
                &format!("{org} {what}"),
            )
            .await?;
        }
        for (query, what) in [
            (
                "filter=2fa_disabled&per_page=100",
                "two_factor (outside collaborators)",
            ),
            ("per_page=100", "outside_collaborators"),
        ] {
            self.pages(
                &format!("/orgs/{o}/outside_collaborators"),
                query,
                &format!("{org} {what}"),
            )
            .await?;
        }
        if let Fetched::Got(pages) = self
            .pages(
                &format!("/orgs/{o}/teams"),
                "per_page=100",
                &format!("{org} teams"),
            )
            .await?
        {
            let slugs: Vec<String> = items(&pages)
                .filter_map(|t| t.get("slug").and_then(Value::as_str).map(str::to_string))
                .collect();
            let mut tasks = JoinSet::new();
            for slug in slugs {
                let plan = Arc::clone(&self);
                tasks.spawn(async move {
                    let org = plan.org.clone();
                    let base = format!("/orgs/{}/teams/{}", encode(&org), encode(&slug));
                    plan.pages(
                        &format!("{base}/members"),
                        "per_page=100",
                        &format!("{org} teams ({slug} members)"),
                    )
                    .await?;
                    plan.pages(
                        &format!("{base}/repos"),
                        "per_page=100",
                        &format!("{org} teams ({slug} repositories)"),
                    )
                    .await?;
                    Ok(())
                });
            }
            self.join(tasks).await?;
        }
        self.secrets(
            &format!("/orgs/{o}/actions/secrets"),
            &format!("{org} secrets"),
        )
        .await
    }
}

/// Per repository: the commits the merged production pull requests of the search carry,
/// and the commits of the selected deployments.
#[derive(Debug, Default)]
struct DeployedAndCarried {
    carried: BTreeSet<String>,
    deployed: Vec<String>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn denied<T>(response: &ApiResponse) -> Fetched<T> {
    Fetched::Denied {
        status: response.status,
        message: response.message(),
    }
}

/// The items of a list's pages: arrays, or the array inside an object page (secrets:
/// `{"total_count": …, "secrets": […]}`).
fn items(pages: &[Value]) -> impl Iterator<Item = &Value> {
    pages.iter().flat_map(|page| {
        let list: &[Value] = match page {
            Value::Array(items) => items,
            Value::Object(map) => map
                .values()
                .find_map(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default(),
            _ => &[],
        };
        list.iter()
    })
}

fn graphql_errors(json: &Value) -> Vec<String> {
    json.get("errors")
        .and_then(Value::as_array)
        .map(|errors| {
            errors
                .iter()
                .map(|e| {
                    let message = e.get("message").and_then(Value::as_str).unwrap_or("");
                    match e.get("type").and_then(Value::as_str) {
                        Some(kind) => format!("{kind}: {message}"),
                        None => message.to_string(),
                    }
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A nested connection of a PR node that holds fewer items than its total.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Truncated {
    total: u64,
    held: u64,
    /// Where the page stopped (`None` without `pageInfo`: the follow-up starts over).
    end_cursor: Option<String>,
}

fn truncated(node: &Value, connection: PullRequestConnection) -> Option<Truncated> {
    let c = node.pointer(connection.pointer())?;
    let total = c.get("totalCount").and_then(Value::as_u64)?;
    let held = c
        .get("nodes")
        .and_then(Value::as_array)
        .map_or(0, |n| n.len() as u64);
    (total > held).then(|| Truncated {
        total,
        held,
        end_cursor: c
            .pointer("/pageInfo/endCursor")
            .and_then(Value::as_str)
            .map(str::to_string),
    })
}

/// The run id in a deployment status's `log_url` or `target_url`
/// (`…/actions/runs/{run_id}/…`).
fn run_id(status: &Value) -> Option<u64> {
    ["log_url", "target_url", "logUrl"]
        .into_iter()
        .find_map(|field| {
            let url = status.get(field)?.as_str()?;
            let rest = &url[url.find("/actions/runs/")? + "/actions/runs/".len()..];
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
}

/// The contract's search query: `merged:` dates with a day's margin before the window
/// (search dates are coarse; evaluation applies the exact window).
pub fn search_query(full_name: &str, window: &Window) -> String {
    MergedRange::of_window(window).query(full_name)
}

fn iso(t: crate::model::Timestamp) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_query_has_the_contract_form() {
        let window = Window {
            start: "2026-07-01T00:00:00Z".parse().unwrap(),
            end: "2026-10-01T00:00:00Z".parse().unwrap(),
        };
        assert_eq!(
            search_query("acme/api", &window),
            "repo:acme/api is:pr is:merged merged:2026-06-30..2026-10-01"
        );
    }

    #[test]
    fn run_ids_come_from_status_urls() {
        let status = json!({"log_url": "https://github.com/acme/api/actions/runs/4242/job/1", "target_url": null});
        assert_eq!(run_id(&status), Some(4242));
        let status = json!({"target_url": "https://github.com/acme/api/actions/runs/77"});
        assert_eq!(run_id(&status), Some(77));
        assert_eq!(
            run_id(&json!({"log_url": "https://ci.example.com/build/1"})),
            None
        );
    }

    #[test]
    fn items_of_arrays_and_wrapped_lists() {
        let pages = vec![
            json!([{"a": 1}, {"a": 2}]),
            json!({"total_count": 3, "secrets": [{"a": 3}]}),
        ];
        assert_eq!(items(&pages).count(), 3);
    }

    #[test]
    fn truncated_connections_are_detected_with_their_cursor() {
        use PullRequestConnection::*;
        let full = json!({"reviews": {"totalCount": 2, "nodes": [{}, {}]}, "commits": {"totalCount": 1, "nodes": [{}]}});
        assert!(
            PullRequestConnection::ALL
                .into_iter()
                .all(|c| truncated(&full, c).is_none())
        );
        let cut = json!({"commits": {"totalCount": 101, "pageInfo": {"hasNextPage": true, "endCursor": "Y3Vyc29yOjE="}, "nodes": [{}]}});
        assert_eq!(
            truncated(&cut, Commits),
            Some(Truncated {
                total: 101,
                held: 1,
                end_cursor: Some("Y3Vyc29yOjE=".into())
            })
        );
        assert_eq!(truncated(&cut, Reviews), None);
        let checks = json!({"headCommit": {"nodes": [{"commit": {"statusCheckRollup": {"contexts": {"totalCount": 60, "nodes": []}}}}]}});
        assert_eq!(
            truncated(&checks, Checks),
            Some(Truncated {
                total: 60,
                held: 0,
                end_cursor: None
            })
        );
    }
}
