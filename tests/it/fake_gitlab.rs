//! A fake GitLab (REST API v4) on the loopback interface, serving a group from a locker
//! written by the example generator (recorded against `https://gitlab.example.com/api/v4`):
//! lists re-paginated by `per_page`/`page` with GitLab's offset-pagination headers
//! (`Link` with prev/next/first/last, `X-Page`, `X-Per-Page`, `X-Next-Page`,
//! `X-Prev-Page`, `X-Total`, `X-Total-Pages`, the totals omitted above 10,000 records as
//! GitLab does), keyset pagination (`pagination=keyset`: a `cursor` in `Link` only),
//! `RateLimit-*` headers, ETags and 304s, bearer-token checks, and injected faults (5xx,
//! 429 with `Retry-After`, 403 for a Premium feature).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use tokio::io::BufReader;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use changeproof::locker::Locker;
use changeproof::util::sha256_hex;

use crate::fake_github::{Now, Reply, Request, read_request, send};

const RECORDED_API: &str = "https://gitlab.example.com/api/v4";
/// The prefix of the API on the fake server, as on GitLab.
pub const API_PREFIX: &str = "/api/v4";
const LIMIT: u64 = 2000;
/// GitLab stops counting offset-paginated totals beyond this.
pub const COUNT_CAP: usize = 10_000;

enum Entry {
    List(Vec<Value>),
    Raw { status: u16, body: Vec<u8> },
}

/// A GitLab group as the server serves it: (path, query without pagination) → answer.
#[derive(Default)]
pub struct Group {
    rest: BTreeMap<(String, String), Entry>,
}

/// Splits `path?query`, dropping `page`, `per_page` and `cursor`.
fn route_key(target: &str) -> (String, String, Option<usize>, Option<usize>, Option<usize>) {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let (mut page, mut per_page, mut cursor) = (None, None, None);
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        match k {
            "page" => page = v.parse().ok(),
            "per_page" => per_page = v.parse().ok(),
            "cursor" => cursor = v.strip_prefix("c").and_then(|n| n.parse().ok()),
            _ => kept.push(pair),
        }
    }
    (path.to_string(), kept.join("&"), page, per_page, cursor)
}

/// A recorded page: its number and items.
type Page = (usize, Vec<Value>);

impl Group {
    pub fn from_locker(locker: &Locker) -> Group {
        let mut group = Group::default();
        let mut pages: BTreeMap<(String, String), Vec<Page>> = BTreeMap::new();
        for record in locker.requests().expect("request log") {
            let body = locker.raw(&record.response_sha256).expect("raw body");
            let target = record.url.strip_prefix(RECORDED_API).expect("example URL");
            let (path, query, page, _, _) = route_key(target);
            match serde_json::from_slice::<Value>(&body) {
                Ok(Value::Array(items)) if record.status == 200 => {
                    pages
                        .entry((path, query))
                        .or_default()
                        .push((page.unwrap_or(1), items));
                }
                _ => {
                    group.rest.insert(
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
            let items = list.into_iter().flat_map(|(_, items)| items).collect();
            group.rest.insert(key, Entry::List(items));
        }
        group
    }

    /// Replaces what `path` (with `query`) answers by a refusal.
    pub fn refuse(&mut self, path: &str, status: u16, message: &str) {
        let keys: Vec<(String, String)> = self
            .rest
            .keys()
            .filter(|(p, _)| p == path)
            .cloned()
            .collect();
        for key in keys {
            self.rest.insert(
                key,
                Entry::Raw {
                    status,
                    body: serde_json::to_vec(&json!({"message": message})).unwrap(),
                },
            );
        }
    }
}

#[derive(Debug, Clone)]
pub enum Fault {
    /// This status with GitLab's error body.
    Status(u16),
    /// 429 with `Retry-After` (seconds), as GitLab's rate limiter answers.
    TooManyRequests { retry_after: u64 },
}

#[derive(Debug)]
pub struct Rule {
    /// The request target contains this text.
    pub target: String,
    pub fault: Fault,
    pub skip: u64,
    pub times: u64,
    seen: AtomicU64,
}

impl Rule {
    pub fn new(target: &str, fault: Fault, skip: u64, times: u64) -> Rule {
        Rule {
            target: target.to_string(),
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
    pub target: String,
    pub status: u16,
    pub authorization: Option<String>,
}

pub struct Options {
    pub token: String,
    pub now: Now,
    pub rules: Vec<Rule>,
    /// The largest page the server gives, whatever `per_page` asks (GitLab: 100).
    pub max_per_page: usize,
    /// Lists longer than this get no `X-Total`/`X-Total-Pages` and no `last` link
    /// (GitLab: 10,000).
    pub count_cap: usize,
    /// Lists whose target contains this text state one record more than they hold
    /// (a list that changed while it was paged, or a server that lost a record).
    pub overstate: Option<String>,
}

struct State {
    group: Group,
    options: Options,
    base: String,
    served: Mutex<Vec<Served>>,
    used: AtomicU64,
}

pub struct FakeGitlab {
    /// The API root to configure: `http://127.0.0.1:PORT/api/v4`.
    pub api_url: String,
    state: Arc<State>,
    task: JoinHandle<()>,
}

impl Drop for FakeGitlab {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeGitlab {
    pub async fn start(group: Group, options: Options) -> FakeGitlab {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let state = Arc::new(State {
            group,
            options,
            base: base.clone(),
            served: Mutex::new(Vec::new()),
            used: AtomicU64::new(0),
        });
        let shared = Arc::clone(&state);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let _ = stream.set_nodelay(true);
                tokio::spawn(connection(Arc::clone(&shared), stream));
            }
        });
        FakeGitlab {
            api_url: format!("{base}{API_PREFIX}"),
            state,
            task,
        }
    }

    pub fn served(&self) -> Vec<Served> {
        self.state.served.lock().unwrap().clone()
    }
}

async fn connection(state: Arc<State>, stream: TcpStream) {
    let mut reader = BufReader::new(stream);
    while let Some(request) = read_request(&mut reader).await {
        let reply = handle(&state, &request);
        if !send(&mut reader, &reply).await {
            return;
        }
    }
}

fn error(status: u16, message: &str) -> Reply {
    Reply {
        status,
        headers: Vec::new(),
        body: serde_json::to_vec(&json!({"message": message})).unwrap(),
        truncate: false,
    }
}

fn handle(state: &State, request: &Request) -> Reply {
    let now = (state.options.now)();
    let authorization = request.headers.get("authorization").cloned();
    let mut reply = answer(state, request, authorization.as_deref());
    let used = state.used.fetch_add(1, Ordering::Relaxed) + 1;
    reply.headers.extend([
        (
            "ratelimit-name".to_string(),
            "throttle_authenticated_api".to_string(),
        ),
        ("ratelimit-limit".to_string(), LIMIT.to_string()),
        ("ratelimit-observed".to_string(), (used % LIMIT).to_string()),
        (
            "ratelimit-remaining".to_string(),
            (LIMIT - used % LIMIT).to_string(),
        ),
        ("ratelimit-reset".to_string(), (now + 60).to_string()),
        ("x-request-id".to_string(), format!("01FAKE{used:020}")),
        ("content-type".to_string(), "application/json".to_string()),
    ]);
    state.served.lock().unwrap().push(Served {
        target: request.target.clone(),
        status: reply.status,
        authorization,
    });
    reply
}

fn answer(state: &State, request: &Request, authorization: Option<&str>) -> Reply {
    let expected = format!("Bearer {}", state.options.token);
    if authorization != Some(expected.as_str()) {
        return error(401, "401 Unauthorized");
    }
    if request.headers.get("accept").map(String::as_str) != Some("application/json") {
        return error(406, "406 Not Acceptable");
    }
    for rule in &state.options.rules {
        if !request.target.contains(rule.target.as_str()) {
            continue;
        }
        let n = rule.seen.fetch_add(1, Ordering::Relaxed);
        if n < rule.skip || n - rule.skip >= rule.times {
            continue;
        }
        return match rule.fault {
            Fault::Status(status) => error(status, "500 Internal Server Error"),
            Fault::TooManyRequests { retry_after } => {
                let mut r = error(429, "Retry later");
                r.headers
                    .push(("retry-after".into(), retry_after.to_string()));
                r
            }
        };
    }
    let Some(target) = request.target.strip_prefix(API_PREFIX) else {
        return error(404, "404 Not Found");
    };
    let (path, query, page, per_page, cursor) = route_key(target);
    let with_etag = |status: u16, body: Vec<u8>, mut headers: Vec<(String, String)>| {
        let etag = format!("W/\"{}\"", &sha256_hex(&body)[..32]);
        if status == 200 && request.headers.get("if-none-match") == Some(&etag) {
            return Reply {
                status: 304,
                headers: vec![("etag".into(), etag)],
                body: Vec::new(),
                truncate: false,
            };
        }
        if status == 200 {
            headers.push(("etag".into(), etag));
        }
        Reply {
            status,
            headers,
            body,
            truncate: false,
        }
    };
    match state.group.rest.get(&(path.clone(), query.clone())) {
        None => error(404, "404 Not Found"),
        Some(Entry::Raw { status, body }) => with_etag(*status, body.clone(), Vec::new()),
        Some(Entry::List(items)) => {
            let per_page = per_page
                .unwrap_or(20)
                .clamp(1, state.options.max_per_page.max(1));
            let q = if query.is_empty() {
                String::new()
            } else {
                format!("{query}&")
            };
            let url = |p: &str| {
                format!(
                    "<{}{API_PREFIX}{path}?{q}per_page={per_page}&{p}>",
                    state.base
                )
            };
            if query.contains("pagination=keyset") {
                // Keyset: an opaque cursor to the next page, in `Link` only.
                let start = cursor.unwrap_or(0);
                let slice: Vec<Value> = items.iter().skip(start).take(per_page).cloned().collect();
                let mut headers = Vec::new();
                if start + per_page < items.len() {
                    headers.push((
                        "link".into(),
                        format!(
                            "{}; rel=\"next\"",
                            url(&format!("cursor=c{}", start + per_page))
                        ),
                    ));
                }
                return with_etag(
                    200,
                    serde_json::to_vec(&Value::Array(slice)).unwrap(),
                    headers,
                );
            }
            let pages = items.len().div_ceil(per_page).max(1);
            let page = page.unwrap_or(1).max(1);
            let slice: Vec<Value> = items
                .iter()
                .skip((page - 1) * per_page)
                .take(per_page)
                .cloned()
                .collect();
            let counted = items.len() <= state.options.count_cap;
            let mut links = Vec::new();
            if page > 1 {
                links.push(format!(
                    "{}; rel=\"prev\"",
                    url(&format!("page={}", page - 1))
                ));
            }
            if page < pages {
                links.push(format!(
                    "{}; rel=\"next\"",
                    url(&format!("page={}", page + 1))
                ));
            }
            links.push(format!("{}; rel=\"first\"", url("page=1")));
            if counted {
                links.push(format!("{}; rel=\"last\"", url(&format!("page={pages}"))));
            }
            let mut headers = vec![
                ("link".to_string(), links.join(", ")),
                ("x-page".to_string(), page.to_string()),
                ("x-per-page".to_string(), per_page.to_string()),
                (
                    "x-next-page".to_string(),
                    if page < pages {
                        (page + 1).to_string()
                    } else {
                        String::new()
                    },
                ),
                (
                    "x-prev-page".to_string(),
                    if page > 1 {
                        (page - 1).to_string()
                    } else {
                        String::new()
                    },
                ),
            ];
            if counted {
                let overstated = state
                    .options
                    .overstate
                    .as_ref()
                    .is_some_and(|t| request.target.contains(t.as_str()));
                let total = items.len() + usize::from(overstated);
                headers.push(("x-total".to_string(), total.to_string()));
                headers.push(("x-total-pages".to_string(), pages.to_string()));
            }
            with_etag(
                200,
                serde_json::to_vec(&Value::Array(slice)).unwrap(),
                headers,
            )
        }
    }
}
