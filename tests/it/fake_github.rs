//! A fake GitHub API on the loopback interface, serving an organisation from a locker
//! written by the example generator: REST lists re-paginated by `per_page`/`page` with
//! GitHub's `Link` header, objects and errors as recorded, GraphQL answered by
//! operation name and variables. It sends rate-limit headers and ETags, answers
//! `If-None-Match` with 304, checks the bearer token, and injects faults on request.
//!
//! Bounded: it serves at most `MAX_REQUESTS` requests and stops when dropped or after
//! `LIFETIME`, whichever comes first. It binds 127.0.0.1:0 only.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use changeproof::locker::Locker;
use changeproof::util::sha256_hex;

const MAX_REQUESTS: u64 = 200_000;
const LIFETIME: Duration = Duration::from_secs(600);
const LIMIT: u64 = 5000;
/// The pull-request probe's query as the server keys it (`per_page` dropped).
const PULLS_PROBE: &str = "state=closed&sort=updated&direction=desc";

/// Epoch seconds as the server sees them (shared with the collector's clock in tests).
pub type Now = Arc<dyn Fn() -> i64 + Send + Sync>;

/// An organisation as the server serves it.
#[derive(Default)]
pub struct Org {
    /// (path, query without page/per_page) → what to serve.
    rest: BTreeMap<(String, String), Entry>,
    /// (operation, variables without nulls) → response body.
    graphql: Vec<(String, Value, Vec<u8>)>,
}

enum Entry {
    List(Vec<Value>),
    Raw { status: u16, body: Vec<u8> },
}

/// Splits `path?query` and drops `page`/`per_page`.
fn route_key(target: &str) -> (String, String, Option<usize>, Option<usize>) {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut page = None;
    let mut per_page = None;
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        match k {
            "page" => page = v.parse().ok(),
            "per_page" => per_page = v.parse().ok(),
            _ => kept.push(pair),
        }
    }
    (path.to_string(), kept.join("&"), page, per_page)
}

fn without_nulls(v: &Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), without_nulls(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

impl Org {
    /// Reads every recorded call of a locker (written against `https://api.github.com`).
    pub fn from_locker(locker: &Locker) -> Org {
        let api = "https://api.github.com";
        let mut org = Org::default();
        let mut pages: BTreeMap<(String, String), Vec<(usize, Value)>> = BTreeMap::new();
        for record in locker.requests().expect("request log") {
            let body = locker.raw(&record.response_sha256).expect("raw body");
            let target = record
                .url
                .strip_prefix(api)
                .expect("example URL")
                .to_string();
            if record.method == "POST" {
                let request = locker
                    .raw_json(record.request_sha256.as_deref().expect("graphql body"))
                    .expect("graphql request");
                let op = request["operationName"].as_str().unwrap_or("").to_string();
                org.graphql
                    .push((op, without_nulls(&request["variables"]), body));
                continue;
            }
            let (path, query, page, _) = route_key(&target);
            match serde_json::from_slice::<Value>(&body) {
                Ok(Value::Array(items)) if record.status == 200 => {
                    pages
                        .entry((path, query))
                        .or_default()
                        .push((page.unwrap_or(1), Value::Array(items)));
                }
                _ => {
                    org.rest.insert(
                        (path, query),
                        Entry::Raw {
                            status: record.status,
                            body,
                        },
                    );
                }
            }
        }
        for (key, mut list) in pages {
            list.sort_by_key(|(page, _)| *page);
            let items = list
                .into_iter()
                .flat_map(|(_, v)| match v {
                    Value::Array(items) => items,
                    _ => Vec::new(),
                })
                .collect();
            org.rest.insert(key, Entry::List(items));
        }
        org.add_branch_lists();
        org
    }

    /// Adds `copies - 1` copies of every repository (`acme/api` → `acme/api-c2` …), for
    /// benchmarks of organisations larger than the example's. Names are replaced in
    /// paths, queries, variables and bodies; ids and commits repeat across copies.
    pub fn replicate(&mut self, copies: usize) {
        let repos: Vec<Value> = match self
            .rest
            .get(&("/orgs/acme/repos".into(), "type=all".into()))
        {
            Some(Entry::List(items)) => items.clone(),
            _ => return,
        };
        let names: Vec<String> = repos
            .iter()
            .filter_map(|r| r["name"].as_str().map(str::to_string))
            .collect();
        let mut listed = repos.clone();
        let mut rest_new = Vec::new();
        let mut graphql_new = Vec::new();
        for copy in 2..=copies {
            for name in &names {
                let from = format!("acme/{name}");
                let to = format!("acme/{name}-c{copy}");
                let swap = |text: &str| {
                    text.replace(&format!("{from}/"), &format!("{to}/"))
                        .replace(&format!("{from}\""), &format!("{to}\""))
                        .replace(&format!("{from} "), &format!("{to} "))
                        .replace(&format!("{from}#"), &format!("{to}#"))
                };
                for repo in repos.iter().filter(|r| r["name"].as_str() == Some(name)) {
                    let text = swap(&repo.to_string()).replace(
                        &format!("\"name\":\"{name}\""),
                        &format!("\"name\":\"{name}-c{copy}\""),
                    );
                    listed.push(serde_json::from_str(&text).unwrap_or(Value::Null));
                }
                let prefix = format!("/repos/{from}/");
                for ((path, query), entry) in &self.rest {
                    if !path.starts_with(&prefix) {
                        continue;
                    }
                    let key = (swap(path), query.clone());
                    let entry = match entry {
                        Entry::List(items) => Entry::List(
                            items
                                .iter()
                                .map(|v| {
                                    serde_json::from_str(&swap(&v.to_string()))
                                        .unwrap_or(Value::Null)
                                })
                                .collect(),
                        ),
                        Entry::Raw { status, body } => Entry::Raw {
                            status: *status,
                            body: swap(&String::from_utf8_lossy(body)).into_bytes(),
                        },
                    };
                    rest_new.push((key, entry));
                }
                for (op, vars, body) in &self.graphql {
                    let mine = vars["q"]
                        .as_str()
                        .is_some_and(|q| q.contains(&format!("repo:{from} ")))
                        || vars["name"].as_str() == Some(name.as_str());
                    if !mine {
                        continue;
                    }
                    let mut vars = vars.clone();
                    if let Some(q) = vars["q"].as_str() {
                        vars["q"] = Value::String(
                            q.replace(&format!("repo:{from} "), &format!("repo:{to} ")),
                        );
                    }
                    if vars["name"].as_str() == Some(name.as_str()) {
                        vars["name"] = Value::String(format!("{name}-c{copy}"));
                    }
                    graphql_new.push((
                        op.clone(),
                        vars,
                        swap(&String::from_utf8_lossy(body)).into_bytes(),
                    ));
                }
            }
        }
        self.rest.extend(rest_new);
        self.graphql.extend(graphql_new);
        self.rest.insert(
            ("/orgs/acme/repos".into(), "type=all".into()),
            Entry::List(listed),
        );
        self.add_branch_lists();
    }

    /// `GET /repos/{o}/{r}/branches`: the example records no such call; the branches are
    /// the default branch and every branch the recorded calls name.
    fn add_branch_lists(&mut self) {
        let mut branches: BTreeMap<String, std::collections::BTreeSet<String>> = BTreeMap::new();
        let repos: Vec<Value> = match self
            .rest
            .get(&("/orgs/acme/repos".into(), "type=all".into()))
        {
            Some(Entry::List(items)) => items.clone(),
            _ => Vec::new(),
        };
        for repo in &repos {
            if let (Some(full), Some(default)) =
                (repo["full_name"].as_str(), repo["default_branch"].as_str())
            {
                branches
                    .entry(full.to_string())
                    .or_default()
                    .insert(default.to_string());
            }
        }
        for (path, _) in self.rest.keys() {
            let parts: Vec<&str> = path.split('/').collect();
            if let ["", "repos", o, r, "branches", b, "protection"] = parts.as_slice() {
                branches
                    .entry(format!("{o}/{r}"))
                    .or_default()
                    .insert(b.replace("%2F", "/").replace("%25", "%"));
            }
        }
        for (op, vars, _) in &self.graphql {
            if op == "BranchHistory"
                && let (Some(o), Some(n), Some(r)) = (
                    vars["owner"].as_str(),
                    vars["name"].as_str(),
                    vars["ref"].as_str(),
                )
            {
                branches
                    .entry(format!("{o}/{n}"))
                    .or_default()
                    .insert(r.trim_start_matches("refs/heads/").to_string());
            }
        }
        for (full, names) in branches {
            let items: Vec<Value> = names
                .into_iter()
                .map(|name| {
                    json!({
                        "name": name,
                        "commit": {"sha": sha256_hex(format!("{full}:{name}").as_bytes())[..40].to_string(),
                                   "url": format!("https://api.github.com/repos/{full}/commits/{name}")},
                        "protected": false,
                    })
                })
                .collect();
            // The probes (contract: `crate::github`): each branch, and the most recently
            // updated closed pull request.
            for branch in &items {
                let name = branch["name"].as_str().unwrap_or_default();
                let path = format!(
                    "/repos/{full}/branches/{}",
                    name.replace('%', "%25").replace('/', "%2F")
                );
                self.rest.insert(
                    (path, String::new()),
                    Entry::Raw {
                        status: 200,
                        body: serde_json::to_vec(branch).unwrap_or_default(),
                    },
                );
            }
            self.rest.insert(
                (format!("/repos/{full}/branches"), String::new()),
                Entry::List(items),
            );
            self.rest.insert(
                (format!("/repos/{full}/pulls"), PULLS_PROBE.to_string()),
                Entry::List(vec![json!({
                    "url": format!("https://api.github.com/repos/{full}/pulls/1"),
                    "number": 1,
                    "state": "closed",
                    "title": "the most recently updated closed pull request",
                    "updated_at": "2026-10-04T17:00:00Z",
                })]),
            );
        }
    }

    /// Adds items to the list served at `path` (with `query`), creating it if need be.
    pub fn extend_list(&mut self, path: &str, query: &str, added: Vec<Value>) {
        let entry = self
            .rest
            .entry((path.to_string(), query.to_string()))
            .or_insert_with(|| Entry::List(Vec::new()));
        if let Entry::List(items) = entry {
            items.extend(added);
        }
    }

    /// Serves `body` with status 200 at `path`.
    pub fn set_object(&mut self, path: &str, body: &Value) {
        self.rest.insert(
            (path.to_string(), String::new()),
            Entry::Raw {
                status: 200,
                body: serde_json::to_vec(body).unwrap_or_default(),
            },
        );
    }

    /// The recorded GraphQL answers: (operation, variables without nulls, body).
    pub fn graphql_mut(&mut self) -> &mut Vec<(String, Value, Vec<u8>)> {
        &mut self.graphql
    }

    /// A pull request of `full` updated after the collection: the pull-request probe's
    /// answer (and so its ETag) changes, and `edit` changes what the recorded
    /// `MergedPullRequests` pages of the repository say.
    pub fn update_pull_request(
        &mut self,
        full: &str,
        updated_at: &str,
        mut edit: impl FnMut(&mut Value),
    ) {
        if let Some(Entry::List(items)) = self
            .rest
            .get_mut(&(format!("/repos/{full}/pulls"), PULLS_PROBE.to_string()))
        {
            for item in items {
                item["updated_at"] = Value::String(updated_at.to_string());
            }
        }
        for (op, vars, body) in &mut self.graphql {
            let mine = vars["q"]
                .as_str()
                .is_some_and(|q| q.starts_with(&format!("repo:{full} ")));
            if op == "MergedPullRequests" && mine {
                let mut value: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
                edit(&mut value);
                *body = serde_json::to_vec(&value).unwrap_or_default();
            }
        }
    }
}

/// A fault to inject.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Answer with this status and a GitHub-style error body.
    Status(u16),
    /// Send Content-Length of the whole body, half of it, then close the connection.
    Truncate,
    /// 403 with `retry-after`.
    Secondary { retry_after: u64 },
    /// A 200 whose `x-ratelimit-remaining` is 0, resetting in `reset_in` seconds; requests
    /// of that resource before the reset get 403.
    ExhaustPrimary { reset_in: i64 },
    /// A 200 with `errors: [{type: RATE_LIMITED}]` (GraphQL).
    GraphqlRateLimited,
    /// 403 "Resource not accessible by integration", every time.
    Forbidden,
}

/// Which requests a fault applies to.
#[derive(Debug, Clone)]
pub enum Matcher {
    /// The request target (`/path?query`) contains this text.
    Target(String),
    /// A GraphQL operation.
    Operation(String),
}

#[derive(Debug)]
pub struct Rule {
    pub matcher: Matcher,
    pub fault: Fault,
    /// Let this many matching requests through first.
    pub skip: u64,
    /// Then inject the fault this many times (`u64::MAX`: always).
    pub times: u64,
    seen: AtomicU64,
}

impl Rule {
    pub fn new(matcher: Matcher, fault: Fault, skip: u64, times: u64) -> Rule {
        Rule {
            matcher,
            fault,
            skip,
            times,
            seen: AtomicU64::new(0),
        }
    }
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Served {
    pub method: String,
    pub target: String,
    pub operation: Option<String>,
    pub status: u16,
    pub conditional: bool,
    /// Rate-limit budget this request consumed (REST: 1 unless 304; GraphQL: points).
    pub cost: u64,
    pub fault: bool,
}

/// A GitHub App the server knows: JWTs must be signed by this key (DER RSAPublicKey)
/// and name this App id; installation tokens last `token_lifetime` seconds.
pub struct App {
    pub id: u64,
    pub installation_id: u64,
    pub public_key: Vec<u8>,
    pub token_lifetime: i64,
}

pub struct Options {
    pub token: String,
    pub app: Option<App>,
    pub now: Now,
    pub latency: Duration,
    pub rules: Vec<Rule>,
}

struct State {
    org: Org,
    options: Options,
    base: Mutex<String>,
    served: Mutex<Vec<Served>>,
    core_used: AtomicU64,
    graphql_used: AtomicU64,
    exhausted_until: Mutex<BTreeMap<&'static str, i64>>,
    reset: i64,
    count: AtomicU64,
    /// Installation tokens issued, with their expiry.
    issued: Mutex<Vec<(String, i64)>>,
}

pub struct FakeGithub {
    pub url: String,
    state: Arc<State>,
    task: JoinHandle<()>,
}

impl Drop for FakeGithub {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeGithub {
    pub async fn start(org: Org, options: Options) -> FakeGithub {
        FakeGithub::start_at(org, options, "127.0.0.1:0").await
    }

    /// [`FakeGithub::start`] on a given address: a server restarted where an earlier one
    /// listened keeps the URLs (and so the ETag cache) of a collection from it valid.
    pub async fn start_at(org: Org, options: Options, address: &str) -> FakeGithub {
        // A server just dropped there releases its listener when its task next runs.
        let mut tries = 0;
        let listener = loop {
            match TcpListener::bind(address).await {
                Ok(listener) => break listener,
                Err(e) if tries < 100 => {
                    tries += 1;
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(e) => panic!("bind {address}: {e}"),
            }
        };
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let reset = (options.now)() + 3600;
        let state = Arc::new(State {
            org,
            options,
            base: Mutex::new(url.clone()),
            served: Mutex::new(Vec::new()),
            core_used: AtomicU64::new(0),
            graphql_used: AtomicU64::new(0),
            exhausted_until: Mutex::new(BTreeMap::new()),
            reset,
            count: AtomicU64::new(0),
            issued: Mutex::new(Vec::new()),
        });
        let shared = Arc::clone(&state);
        let task = tokio::spawn(async move {
            let accept = async {
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        return;
                    };
                    if shared.count.load(Ordering::Relaxed) >= MAX_REQUESTS {
                        return;
                    }
                    let _ = stream.set_nodelay(true);
                    tokio::spawn(connection(Arc::clone(&shared), stream));
                }
            };
            let _ = tokio::time::timeout(LIFETIME, accept).await;
        });
        FakeGithub { url, state, task }
    }

    /// Every request served so far, in order of arrival.
    pub fn served(&self) -> Vec<Served> {
        self.state.served.lock().unwrap().clone()
    }

    /// Rate-limit budget used: REST requests (304s are free) and GraphQL points.
    pub fn budget(&self) -> (u64, u64) {
        (
            self.state.core_used.load(Ordering::Relaxed),
            self.state.graphql_used.load(Ordering::Relaxed),
        )
    }

    /// Installation tokens issued to the App.
    pub fn issued_tokens(&self) -> Vec<String> {
        self.state
            .issued
            .lock()
            .unwrap()
            .iter()
            .map(|(t, _)| t.clone())
            .collect()
    }

    pub fn requests(&self) -> u64 {
        self.state.count.load(Ordering::Relaxed)
    }
}

pub struct Request {
    pub method: String,
    pub target: String,
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
}

pub async fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut line = String::new();
    if reader.read_line(&mut line).await.ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let mut headers = BTreeMap::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).await.ok()? == 0 {
            return None;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let length: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length.min(16 << 20)];
    reader.read_exact(&mut body).await.ok()?;
    Some(Request {
        method,
        target,
        headers,
        body,
    })
}

pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub truncate: bool,
}

async fn connection(state: Arc<State>, stream: TcpStream) {
    let mut reader = BufReader::new(stream);
    while let Some(request) = read_request(&mut reader).await {
        if state.count.fetch_add(1, Ordering::Relaxed) >= MAX_REQUESTS {
            return;
        }
        if !state.options.latency.is_zero() {
            tokio::time::sleep(state.options.latency).await;
        }
        let reply = handle(&state, &request);
        if !send(&mut reader, &reply).await {
            return;
        }
    }
}

/// Writes one HTTP/1.1 response; false when the connection is to be closed (a write
/// failed, or the reply was truncated on purpose).
pub async fn send(reader: &mut BufReader<TcpStream>, reply: &Reply) -> bool {
    let reason = match reply.status {
        200 => "OK",
        201 => "Created",
        304 => "Not Modified",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        _ => "Status",
    };
    let mut head = format!("HTTP/1.1 {} {reason}\r\n", reply.status);
    for (k, v) in &reply.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if reply.status != 304 {
        head.push_str(&format!("content-length: {}\r\n", reply.body.len()));
    }
    head.push_str("\r\n");
    // One write per response: a head and a body in separate segments would meet
    // the client's delayed ACK (Nagle), adding tens of milliseconds per request.
    let mut bytes = head.into_bytes();
    if reply.truncate {
        bytes.extend_from_slice(&reply.body[..reply.body.len() / 2]);
    } else if reply.status != 304 {
        bytes.extend_from_slice(&reply.body);
    }
    let stream = reader.get_mut();
    if stream.write_all(&bytes).await.is_err() {
        return false;
    }
    if reply.truncate {
        let _ = stream.shutdown().await;
        return false;
    }
    true
}

fn error_body(message: &str) -> Vec<u8> {
    serde_json::to_vec(
        &json!({"message": message, "documentation_url": "https://docs.github.com/rest"}),
    )
    .unwrap_or_default()
}

/// GraphQL cost by GitHub's formula (requests / 100, rounded up; at least 1): the
/// per-PR follow-ups, one connection of 100, cost 1.
fn graphql_cost(operation: &str) -> u64 {
    match operation {
        "MergedPullRequests" => 6,
        "BranchHistory" => 2,
        _ => 1,
    }
}

fn handle(state: &State, request: &Request) -> Reply {
    let now = (state.options.now)();
    let base = state.base.lock().unwrap().clone();
    let bearer = request
        .headers
        .get("authorization")
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if let Some(app) = &state.options.app
        && request.method == "POST"
        && request.target == format!("/app/installations/{}/access_tokens", app.installation_id)
    {
        return app_token(state, app, bearer, now);
    }
    let authorized = bearer == state.options.token
        || state
            .issued
            .lock()
            .unwrap()
            .iter()
            .any(|(t, expires)| t == bearer && *expires > now);
    let graphql = request.method == "POST" && request.target == "/graphql";
    let resource = if graphql { "graphql" } else { "core" };
    let (operation, variables) = if graphql {
        let v: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        (
            v["operationName"].as_str().map(str::to_string),
            Some(without_nulls(&v["variables"])),
        )
    } else {
        (None, None)
    };
    let mut served = Served {
        method: request.method.clone(),
        target: request.target.clone(),
        operation: operation.clone(),
        status: 0,
        conditional: request.headers.contains_key("if-none-match"),
        cost: 0,
        fault: false,
    };
    let finish = |served: &mut Served, mut reply: Reply, cost: u64| {
        let used = if resource == "core" {
            state.core_used.fetch_add(cost, Ordering::Relaxed) + cost
        } else {
            state.graphql_used.fetch_add(cost, Ordering::Relaxed) + cost
        };
        let exhausted = state
            .exhausted_until
            .lock()
            .unwrap()
            .get(resource)
            .is_some_and(|t| *t > now);
        let remaining = if exhausted {
            0
        } else {
            LIMIT.saturating_sub(used)
        };
        let reset = state
            .exhausted_until
            .lock()
            .unwrap()
            .get(resource)
            .copied()
            .filter(|t| *t > now)
            .unwrap_or(state.reset);
        reply.headers.extend([
            ("x-ratelimit-limit".to_string(), LIMIT.to_string()),
            ("x-ratelimit-remaining".to_string(), remaining.to_string()),
            ("x-ratelimit-reset".to_string(), reset.to_string()),
            ("x-ratelimit-used".to_string(), used.to_string()),
            ("x-ratelimit-resource".to_string(), resource.to_string()),
            (
                "x-github-request-id".to_string(),
                format!("FAKE:{:08X}", state.count.load(Ordering::Relaxed)),
            ),
            (
                "content-type".to_string(),
                "application/json; charset=utf-8".to_string(),
            ),
        ]);
        served.status = reply.status;
        served.cost = cost;
        state.served.lock().unwrap().push(served.clone());
        reply
    };
    if !authorized {
        let reply = Reply {
            status: 401,
            headers: vec![],
            body: error_body("Bad credentials"),
            truncate: false,
        };
        return finish(&mut served, reply, 0);
    }
    if state
        .exhausted_until
        .lock()
        .unwrap()
        .get(resource)
        .is_some_and(|t| *t > now)
    {
        let reply = Reply {
            status: 403,
            headers: vec![],
            body: error_body("API rate limit exceeded for user ID 1."),
            truncate: false,
        };
        return finish(&mut served, reply, 0);
    }
    // Faults.
    for rule in &state.options.rules {
        let hit = match &rule.matcher {
            Matcher::Target(t) => request.target.contains(t.as_str()),
            Matcher::Operation(op) => operation.as_deref() == Some(op.as_str()),
        };
        if !hit {
            continue;
        }
        let n = rule.seen.fetch_add(1, Ordering::Relaxed);
        if n < rule.skip || n - rule.skip >= rule.times {
            continue;
        }
        served.fault = true;
        match &rule.fault {
            Fault::Status(status) => {
                let reply = Reply {
                    status: *status,
                    headers: vec![],
                    body: error_body("Server Error"),
                    truncate: false,
                };
                return finish(&mut served, reply, 0);
            }
            Fault::Secondary { retry_after } => {
                let reply = Reply {
                    status: 403,
                    headers: vec![("retry-after".into(), retry_after.to_string())],
                    body: error_body(
                        "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
                    ),
                    truncate: false,
                };
                return finish(&mut served, reply, 0);
            }
            Fault::GraphqlRateLimited => {
                let body = serde_json::to_vec(&json!({"errors": [{"type": "RATE_LIMITED", "message": "API rate limit exceeded for user ID 1."}]})).unwrap_or_default();
                let reply = Reply {
                    status: 200,
                    headers: vec![],
                    body,
                    truncate: false,
                };
                return finish(&mut served, reply, 0);
            }
            Fault::Forbidden => {
                let reply = Reply {
                    status: 403,
                    headers: vec![],
                    body: error_body("Resource not accessible by integration"),
                    truncate: false,
                };
                return finish(&mut served, reply, 0);
            }
            Fault::ExhaustPrimary { reset_in } => {
                state
                    .exhausted_until
                    .lock()
                    .unwrap()
                    .insert(resource, now + reset_in);
                // Served normally below, but announcing remaining 0.
                break;
            }
            Fault::Truncate => {
                let mut reply = answer(
                    state,
                    request,
                    &base,
                    operation.as_deref(),
                    variables.as_ref(),
                );
                reply.truncate = true;
                return finish(&mut served, reply, 1);
            }
        }
    }
    let reply = answer(
        state,
        request,
        &base,
        operation.as_deref(),
        variables.as_ref(),
    );
    let cost = match (graphql, reply.status) {
        (true, _) => graphql_cost(operation.as_deref().unwrap_or("")),
        (false, 304) => 0,
        (false, _) => 1,
    };
    finish(&mut served, reply, cost)
}

fn answer(
    state: &State,
    request: &Request,
    base: &str,
    operation: Option<&str>,
    variables: Option<&Value>,
) -> Reply {
    let with_etag = |status: u16, body: Vec<u8>, mut headers: Vec<(String, String)>| {
        let etag = format!("W/\"{}\"", sha256_hex(&body));
        if status == 200 && request.headers.get("if-none-match") == Some(&etag) {
            return Reply {
                status: 304,
                headers: vec![("etag".into(), etag)],
                body: Vec::new(),
                truncate: false,
            };
        }
        if status == 200 && request.method == "GET" {
            headers.push(("etag".into(), etag));
        }
        Reply {
            status,
            headers,
            body,
            truncate: false,
        }
    };
    if request.method == "POST" {
        if request.target != "/graphql" {
            return with_etag(404, error_body("Not Found"), vec![]);
        }
        let operation = operation.unwrap_or("");
        let found = state
            .org
            .graphql
            .iter()
            .find(|(op, vars, _)| op == operation && Some(vars) == variables);
        return match found {
            Some((_, _, body)) => with_etag(200, body.clone(), vec![]),
            // A search the example did not record (another split, a page past the cap):
            // answered by searching like GitHub does.
            None if operation == "MergedPullRequests" => match variables.and_then(|v| search(state, v)) {
                Some(body) => with_etag(200, body, vec![]),
                None => with_etag(
                    200,
                    serde_json::to_vec(&json!({"errors": [{"type": "INVALID_QUERY", "message": "the fake server only reads `repo:O/R is:pr is:merged merged:A..B`"}]})).unwrap_or_default(),
                    vec![],
                ),
            },
            None => {
                let body = serde_json::to_vec(&json!({"data": null, "errors": [{"type": "NOT_FOUND", "message": format!("no such {operation} page in the fake organisation")}]})).unwrap_or_default();
                with_etag(200, body, vec![])
            }
        };
    }
    let (path, query, page, per_page) = route_key(&request.target);
    match state.org.rest.get(&(path.clone(), query.clone())) {
        None => with_etag(404, error_body("Not Found"), vec![]),
        Some(Entry::Raw { status, body }) => with_etag(*status, body.clone(), vec![]),
        Some(Entry::List(items)) => {
            let per_page = per_page.unwrap_or(30).clamp(1, 100);
            let pages = items.len().div_ceil(per_page).max(1);
            let page = page.unwrap_or(1).max(1);
            let slice: Vec<Value> = items
                .iter()
                .skip((page - 1) * per_page)
                .take(per_page)
                .cloned()
                .collect();
            let body = serde_json::to_vec(&Value::Array(slice)).unwrap_or_default();
            let mut headers = Vec::new();
            if pages > 1 {
                // GitHub names org lists by id in its links; the collector must cope.
                let link_path = path.replacen("/orgs/acme/", "/organizations/1/", 1);
                let at = |p: usize| {
                    let q = if query.is_empty() {
                        String::new()
                    } else {
                        format!("{query}&")
                    };
                    format!("<{base}{link_path}?{q}per_page={per_page}&page={p}>")
                };
                let mut links = Vec::new();
                if page > 1 {
                    links.push(format!("{}; rel=\"prev\"", at(page - 1)));
                }
                if page < pages {
                    links.push(format!("{}; rel=\"next\"", at(page + 1)));
                    links.push(format!("{}; rel=\"last\"", at(pages)));
                }
                if page > 1 {
                    links.push(format!("{}; rel=\"first\"", at(1)));
                }
                headers.push(("link".to_string(), links.join(", ")));
            }
            with_etag(200, body, headers)
        }
    }
}

/// GitHub's search returns at most this many results, whatever `issueCount` says.
pub const SEARCH_CAP: usize = 1000;

/// `MergedPullRequests` over any `merged:A..B` day range of one repository, from the
/// pull requests of the recorded searches: newest number first, 100 a page, cursors
/// `base64("cursor:N")` like the example's, and no result past the 1,000th (the page
/// that reaches it says `hasNextPage: false`), while `issueCount` counts them all.
fn search(state: &State, variables: &Value) -> Option<Vec<u8>> {
    use changeproof::github::MergedRange;
    let q = variables["q"].as_str()?;
    let repo = q.split_whitespace().find_map(|t| t.strip_prefix("repo:"))?;
    let range = MergedRange::of_query(q)?;
    let mut nodes: BTreeMap<u64, Value> = BTreeMap::new();
    for (op, vars, body) in &state.org.graphql {
        if op != "MergedPullRequests"
            || !vars["q"]
                .as_str()
                .is_some_and(|q| q.contains(&format!("repo:{repo} ")))
        {
            continue;
        }
        let body: Value = serde_json::from_slice(body).ok()?;
        for node in body
            .pointer("/data/search/nodes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let merged = node["mergedAt"]
                .as_str()
                .and_then(|t| t.parse::<chrono::DateTime<chrono::Utc>>().ok());
            if let (Some(number), Some(merged)) = (node["number"].as_u64(), merged)
                && range.contains(merged)
            {
                nodes.insert(number, node.clone());
            }
        }
    }
    let total = nodes.len();
    let reachable: Vec<Value> = nodes.into_values().rev().take(SEARCH_CAP).collect();
    let offset = match variables["cursor"].as_str() {
        None => 0,
        Some(cursor) => {
            let decoded = changeproof::collect::app::b64_decode(cursor)?;
            String::from_utf8(decoded)
                .ok()?
                .strip_prefix("cursor:")?
                .parse()
                .ok()?
        }
    };
    let page: Vec<Value> = reachable.iter().skip(offset).take(100).cloned().collect();
    let end = offset + page.len();
    let end_cursor = (!page.is_empty()).then(|| base64(format!("cursor:{end}").as_bytes()));
    serde_json::to_vec(&json!({"data": {
        "rateLimit": {"cost": 1, "remaining": 4999, "resetAt": "2026-10-05T10:00:00Z"},
        "search": {
            "issueCount": total,
            "pageInfo": {"hasNextPage": end < reachable.len(), "endCursor": end_cursor},
            "nodes": page,
        },
    }}))
    .ok()
}

/// Standard base64 with padding (GitHub's cursors).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// `POST /app/installations/{id}/access_tokens`: checks the App's JWT (RS256 signature
/// by the App's key, `iss` = the App id, not expired) and issues a token.
fn app_token(state: &State, app: &App, jwt: &str, now: i64) -> Reply {
    use changeproof::collect::app::b64_decode;
    let refuse = |message: &str| Reply {
        status: 401,
        headers: vec![],
        body: error_body(message),
        truncate: false,
    };
    let parts: Vec<&str> = jwt.split('.').collect();
    let [header, claims, signature] = parts.as_slice() else {
        return refuse("A JSON web token could not be decoded");
    };
    let signed = format!("{header}.{claims}");
    let key = ring::signature::UnparsedPublicKey::new(
        &ring::signature::RSA_PKCS1_2048_8192_SHA256,
        &app.public_key,
    );
    let Some(signature) = b64_decode(signature) else {
        return refuse("A JSON web token could not be decoded");
    };
    if key.verify(signed.as_bytes(), &signature).is_err() {
        return refuse("A JSON web token could not be decoded");
    }
    let claims: Value = b64_decode(claims)
        .and_then(|c| serde_json::from_slice(&c).ok())
        .unwrap_or(Value::Null);
    let iss_ok = claims["iss"].as_str() == Some(app.id.to_string().as_str());
    let time_ok = claims["iat"].as_i64().is_some_and(|t| t <= now)
        && claims["exp"]
            .as_i64()
            .is_some_and(|t| t > now && t - now <= 600);
    if !iss_ok || !time_ok {
        return refuse("'Expiration time' claim ('exp') is too far in the future");
    }
    let mut issued = state.issued.lock().unwrap();
    let token = format!("ghs_FAKEinstallationTOKEN{:04}", issued.len() + 1);
    let expires = now + app.token_lifetime;
    issued.push((token.clone(), expires));
    let expires_at = chrono::DateTime::from_timestamp(expires, 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default();
    let body =
        serde_json::to_vec(&json!({"token": token, "expires_at": expires_at, "permissions": {}}))
            .unwrap_or_default();
    Reply {
        status: 201,
        headers: vec![],
        body,
        truncate: false,
    }
}
