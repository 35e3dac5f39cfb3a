//! The one way the collector talks to GitHub: every request goes through
//! [`Executor::execute`], which authenticates, honours rate limits, retries transient
//! failures with backoff, revalidates cached responses by ETag, answers from the resume
//! journal, and records every attempt in the locker's request log.
//!
//! Credentials travel only in the `Authorization` header (marked sensitive, never
//! logged or recorded); URLs never carry them, and the executor only sends requests to
//! URLs under the source's API root.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::header::{self, HeaderMap, HeaderValue};
use serde_json::Value;
use tokio::sync::Semaphore;

use crate::locker::{LockerError, LockerWriter};
use crate::model::Timestamp;
use crate::util::sha256_hex;

use super::auth::TokenSource;
use super::journal::{EtagCache, Journal, RequestKey};
use super::progress::Progress;
use super::ratelimit::{Disposition, RateLimits, Resource, classify};
use super::time::{Clock, Sleeper, until};

/// The API version every request asks for.
pub const API_VERSION: &str = "2022-11-28";

/// Response headers kept in the request log (never one that carries a credential):
/// GitHub's and GitLab's rate-limit, pagination and request-id headers.
pub const RECORDED_HEADERS: &[&str] = &[
    "etag",
    "link",
    "ratelimit-limit",
    "ratelimit-observed",
    "ratelimit-remaining",
    "ratelimit-reset",
    "retry-after",
    "x-github-request-id",
    "x-next-page",
    "x-page",
    "x-per-page",
    "x-request-id",
    "x-total",
    "x-total-pages",
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
    "x-ratelimit-resource",
    "x-ratelimit-used",
];

/// The collector's own header on records of failed attempts.
pub const ERROR_HEADER: &str = "x-changeproof-error";

/// Retry, wait and concurrency limits.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Requests in flight at once (GitHub asks integrators to keep concurrency low).
    pub max_in_flight: usize,
    /// Attempts per request for transient failures (5xx, timeouts, truncated bodies).
    pub max_attempts: u32,
    /// Rate-limit waits accepted per request before giving up on it.
    pub max_rate_limit_waits: u32,
    /// The longest single rate-limit wait accepted (a primary limit resets within the hour).
    pub max_wait: Duration,
    /// First backoff; doubled per attempt up to `backoff_max`.
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// Whole-request timeout, and connection timeout.
    pub request_timeout: Duration,
    pub connect_timeout: Duration,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            max_in_flight: 6,
            max_attempts: 6,
            max_rate_limit_waits: 20,
            max_wait: Duration::from_secs(65 * 60),
            backoff_base: Duration::from_secs(1),
            backoff_max: Duration::from_secs(60),
            request_timeout: Duration::from_secs(90),
            connect_timeout: Duration::from_secs(15),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// One API call.
#[derive(Debug, Clone)]
pub struct ApiRequest {
    pub method: Method,
    /// Absolute URL under the source's API root.
    pub url: String,
    /// JSON request body (GraphQL).
    pub body: Option<Vec<u8>>,
    pub resource: Resource,
}

impl ApiRequest {
    pub fn get(url: String) -> ApiRequest {
        ApiRequest {
            method: Method::Get,
            url,
            body: None,
            resource: Resource::Core,
        }
    }

    pub fn graphql(url: String, body: Vec<u8>) -> ApiRequest {
        ApiRequest {
            method: Method::Post,
            url,
            body: Some(body),
            resource: Resource::GraphQl,
        }
    }

    /// `GET https://…/orgs/acme/repos?…`: how errors and logs name the call.
    pub fn label(&self) -> String {
        format!("{} {}", self.method.as_str(), self.url)
    }
}

/// Where an answer came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Network,
    /// A `304`: the cached body was confirmed.
    NotModified,
    /// The resume journal.
    Journal,
    /// An earlier collection's answer, reused behind a probe (`Executor::reuse_or_execute`).
    Reused,
}

/// The final answer to a request: a success or an error no retry can change.
#[derive(Debug, Clone)]
pub struct ApiResponse {
    /// The answer's record in this collection's request log.
    pub seq: Option<u64>,
    pub status: u16,
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
    pub origin: Origin,
}

impl ApiResponse {
    /// A usable body: 2xx, or 304 with the cached body.
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status) || self.status == 304
    }

    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// GitHub's error `message`, if any.
    pub fn message(&self) -> String {
        self.json()
            .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_string))
            .unwrap_or_default()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// Retries or rate-limit waits ran out: the evidence of this call is missing.
    #[error("{call}: gave up after {attempts} attempts: {reason}")]
    GaveUp {
        call: String,
        attempts: u32,
        reason: String,
    },
    /// The locker could not be written: the collection cannot go on.
    #[error(transparent)]
    Locker(#[from] LockerError),
    #[error("{call}: {message}")]
    Refused { call: String, message: String },
}

/// A conditional request of this collection answered `304`: the evidence it watches has
/// not changed since the earlier collection, whose answers may then be reused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    /// Its record in this collection's request log.
    pub seq: u64,
    /// `GET https://…`
    pub call: String,
}

impl Probe {
    /// The probe `response` to `request` makes, if it is a `304`.
    pub fn of(request: &ApiRequest, response: &ApiResponse) -> Option<Probe> {
        (response.origin == Origin::NotModified
            || (response.origin == Origin::Journal && response.status == 304))
            .then_some(())
            .and(response.seq)
            .map(|seq| Probe {
                seq,
                call: request.label(),
            })
    }
}

/// Counters of one collection.
#[derive(Debug, Default)]
pub struct Stats {
    /// Requests sent over the network (every attempt).
    pub network: AtomicU64,
    /// Answers taken from the resume journal.
    pub journal: AtomicU64,
    /// `304 Not Modified` answers (free of rate limit).
    pub not_modified: AtomicU64,
    /// Answers reused from the earlier collection behind a probe (free).
    pub reused: AtomicU64,
    /// Attempts that were retried (transient failures).
    pub retries: AtomicU64,
    /// Rate-limit waits.
    pub waits: AtomicU64,
    /// REST requests that counted against the primary limit (every response but 304).
    pub core_used: AtomicU64,
    /// GraphQL requests and the points they cost (`rateLimit.cost`).
    pub graphql_requests: AtomicU64,
    pub graphql_points: AtomicU64,
}

/// A snapshot of [`Stats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct StatsSnapshot {
    pub network: u64,
    pub journal: u64,
    pub not_modified: u64,
    /// Answers reused from the earlier collection behind a probe.
    pub reused: u64,
    pub retries: u64,
    pub waits: u64,
    pub core_used: u64,
    pub graphql_requests: u64,
    pub graphql_points: u64,
}

impl Stats {
    pub fn snapshot(&self) -> StatsSnapshot {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        StatsSnapshot {
            network: g(&self.network),
            journal: g(&self.journal),
            not_modified: g(&self.not_modified),
            reused: g(&self.reused),
            retries: g(&self.retries),
            waits: g(&self.waits),
            core_used: g(&self.core_used),
            graphql_requests: g(&self.graphql_requests),
            graphql_points: g(&self.graphql_points),
        }
    }
}

fn bump(counter: &AtomicU64, by: u64) {
    counter.fetch_add(by, Ordering::Relaxed);
}

/// What one attempt got.
struct Attempt {
    status: u16,
    headers: BTreeMap<String, String>,
    body: Vec<u8>,
}

/// Which forge's API the executor speaks (its request headers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    Github,
    /// GitLab REST v4: `Accept: application/json`, no GitHub version header; the
    /// bearer token is a personal, group or project access token.
    Gitlab,
}

/// Everything the executor needs besides the network.
pub struct ExecutorParts {
    pub source: String,
    pub api: Api,
    /// The API root requests must stay under, without trailing slash.
    pub api_url: String,
    pub settings: HttpSettings,
    pub tokens: Arc<dyn TokenSource>,
    pub writer: Arc<Mutex<LockerWriter>>,
    pub journal: Journal,
    pub etags: EtagCache,
    pub clock: Arc<dyn Clock>,
    pub sleeper: Arc<dyn Sleeper>,
    pub progress: Arc<dyn Progress>,
}

/// Sends, retries, waits and records; see the module documentation.
pub struct Executor {
    parts: ExecutorParts,
    client: reqwest::Client,
    limits: RateLimits,
    in_flight: Semaphore,
    pub stats: Stats,
}

/// Installs the ring crypto provider for rustls (idempotent).
pub fn install_crypto_provider() {
    // Err means a provider is already installed, which is what we want.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl Executor {
    pub fn new(parts: ExecutorParts) -> Result<Executor, CallError> {
        install_crypto_provider();
        let refused = |message: String| CallError::Refused {
            call: parts.api_url.clone(),
            message,
        };
        check_api_url(&parts.api_url).map_err(refused)?;
        let mut headers = HeaderMap::new();
        match parts.api {
            Api::Github => {
                headers.insert(
                    header::ACCEPT,
                    HeaderValue::from_static("application/vnd.github+json"),
                );
                headers.insert(
                    "x-github-api-version",
                    HeaderValue::from_static(API_VERSION),
                );
            }
            Api::Gitlab => {
                headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
            }
        }
        let mut builder = reqwest::Client::builder();
        if is_loopback(&parts.api_url) {
            // A proxy from the environment must not capture calls to this machine.
            builder = builder.no_proxy();
        }
        let client = builder
            .user_agent(concat!("changeproof/", env!("CARGO_PKG_VERSION")))
            .default_headers(headers)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(parts.settings.request_timeout)
            .connect_timeout(parts.settings.connect_timeout)
            .pool_max_idle_per_host(parts.settings.max_in_flight.max(1))
            .build()
            .map_err(|e| refused(format!("cannot set up the HTTP client: {e}")))?;
        let in_flight = Semaphore::new(parts.settings.max_in_flight.max(1));
        Ok(Executor {
            parts,
            client,
            limits: RateLimits::default(),
            in_flight,
            stats: Stats::default(),
        })
    }

    pub fn api_url(&self) -> &str {
        &self.parts.api_url
    }

    pub fn source(&self) -> &str {
        &self.parts.source
    }

    pub fn now(&self) -> Timestamp {
        self.parts.clock.now()
    }

    pub fn progress(&self) -> &dyn Progress {
        self.parts.progress.as_ref()
    }

    /// [`Executor::execute`], unless the earlier collection (the `--etag-cache` locker)
    /// answered exactly this request and `probe` — a conditional request of this
    /// collection answered `304` — shows the evidence unchanged since: then that answer is
    /// reused, recorded in the request log as reused (its origin, time and the probe),
    /// and costs nothing. Only GraphQL answers are reused this way (REST ones revalidate
    /// by ETag themselves).
    pub async fn reuse_or_execute(
        &self,
        request: &ApiRequest,
        probe: Option<&Probe>,
    ) -> Result<ApiResponse, CallError> {
        let key = RequestKey {
            method: request.method.as_str().to_string(),
            url: request.url.clone(),
            body_sha256: request.body.as_deref().map(sha256_hex),
        };
        let reusable = match probe {
            // A resumed collection's journal comes first: its answer is final.
            Some(_) if self.parts.journal.answer(&key, request.resource).is_some() => None,
            Some(probe) => self
                .parts
                .etags
                .reusable(&key, request.resource)
                .map(|r| (r, probe)),
            None => None,
        };
        let Some((answer, probe)) = reusable else {
            return self.execute(request).await;
        };
        let attempt = Attempt {
            status: answer.status,
            headers: answer.headers.clone(),
            body: answer.body,
        };
        let reused = crate::locker::Reused {
            collection: answer.collection,
            seq: answer.seq,
            requested_at: answer.requested_at,
            probe_seq: probe.seq,
            probe: probe.call.clone(),
        };
        let seq = self
            .record(request, self.parts.clock.now(), &attempt, Some(reused))
            .await?;
        bump(&self.stats.reused, 1);
        self.parts.progress.request_done();
        Ok(ApiResponse {
            seq: Some(seq),
            status: attempt.status,
            headers: attempt.headers,
            body: attempt.body,
            origin: Origin::Reused,
        })
    }

    /// The final answer to `request`, after retries and rate-limit waits. Every attempt
    /// that reached the network is in the request log.
    pub async fn execute(&self, request: &ApiRequest) -> Result<ApiResponse, CallError> {
        if !under_root(&request.url, &self.parts.api_url) {
            return Err(CallError::Refused {
                call: request.label(),
                message: format!(
                    "not under the source's API root {}; credentials are only sent there",
                    self.parts.api_url
                ),
            });
        }
        let key = RequestKey {
            method: request.method.as_str().to_string(),
            url: request.url.clone(),
            body_sha256: request.body.as_deref().map(sha256_hex),
        };
        if let Some(stored) = self.parts.journal.answer(&key, request.resource) {
            bump(&self.stats.journal, 1);
            self.parts.progress.request_done();
            return Ok(ApiResponse {
                seq: Some(stored.seq),
                status: stored.status,
                headers: stored.headers,
                body: stored.body,
                origin: Origin::Journal,
            });
        }
        let cached = match request.method {
            Method::Get => self.parts.etags.lookup(&request.url),
            Method::Post => None,
        };
        let mut transient = 0u32;
        let mut waits = 0u32;
        loop {
            self.wait_turn(request, transient + waits).await?;
            let permit = self
                .in_flight
                .acquire()
                .await
                .map_err(|_| CallError::Refused {
                    call: request.label(),
                    message: "the collection was shut down".into(),
                })?;
            // A limit may have been announced while this request queued for a slot.
            if self
                .limits
                .blocked_until(request.resource, self.parts.clock.now())
                .is_some()
            {
                drop(permit);
                continue;
            }
            let started = self.parts.clock.now();
            let attempt = self
                .send_once(request, cached.as_ref().map(|c| c.etag.as_str()))
                .await;
            bump(&self.stats.network, 1);
            let (attempt, origin) = match (&cached, attempt.status) {
                (Some(cached), 304) => {
                    let mut headers = attempt.headers;
                    if let Some(link) = &cached.link {
                        headers
                            .entry("link".to_string())
                            .or_insert_with(|| link.clone());
                    }
                    (
                        Attempt {
                            status: 304,
                            headers,
                            body: cached.body.clone(),
                        },
                        Origin::NotModified,
                    )
                }
                _ => (attempt, Origin::Network),
            };
            let now = self.parts.clock.now();
            let status_for_class = if origin == Origin::NotModified {
                200
            } else {
                attempt.status
            };
            let disposition = classify(
                request.resource,
                status_for_class,
                &attempt.headers,
                &attempt.body,
                now,
            );
            // Limits are registered before the slot is released, so that no request
            // queued behind this one goes out into a limit this one has just met.
            self.limits.observe(request.resource, &attempt.headers);
            if let Disposition::Wait {
                until: wait_until,
                everything,
                reason,
            } = &disposition
            {
                self.limits
                    .pause(request.resource, *wait_until, *everything, reason);
            }
            drop(permit);
            if attempt.status == 401 {
                self.parts.tokens.invalidate();
            }
            self.count(request, &attempt);
            let seq = self.record(request, started, &attempt, None).await?;
            match disposition {
                Disposition::Done => {
                    self.parts.progress.request_done();
                    return Ok(ApiResponse {
                        seq: Some(seq),
                        status: attempt.status,
                        headers: attempt.headers,
                        body: attempt.body,
                        origin,
                    });
                }
                Disposition::Wait { reason, .. } => {
                    waits += 1;
                    bump(&self.stats.waits, 1);
                    if waits > self.parts.settings.max_rate_limit_waits {
                        return Err(CallError::GaveUp {
                            call: request.label(),
                            attempts: transient + waits,
                            reason: format!(
                                "{reason} ({} rate-limit waits already)",
                                self.parts.settings.max_rate_limit_waits
                            ),
                        });
                    }
                }
                Disposition::Retry { reason } => {
                    transient += 1;
                    if transient >= self.parts.settings.max_attempts {
                        return Err(CallError::GaveUp {
                            call: request.label(),
                            attempts: transient + waits,
                            reason,
                        });
                    }
                    bump(&self.stats.retries, 1);
                    let delay = self.backoff(&request.url, transient);
                    tracing::debug!(call = %request.label(), %reason, delay_ms = delay.as_millis() as u64, "retrying");
                    self.parts.progress.retrying(&request.label(), &reason);
                    self.parts.sleeper.sleep(delay).await;
                }
            }
        }
    }

    /// Waits while the request's budget is exhausted or every request is paused; gives
    /// up when the wait is longer than the longest accepted.
    async fn wait_turn(&self, request: &ApiRequest, attempts: u32) -> Result<(), CallError> {
        loop {
            let now = self.parts.clock.now();
            let Some((wait_until, reason)) = self.limits.blocked_until(request.resource, now)
            else {
                return Ok(());
            };
            let wait = until(now, wait_until);
            if wait > self.parts.settings.max_wait {
                return Err(CallError::GaveUp {
                    call: request.label(),
                    attempts,
                    reason: format!(
                        "{reason}: a wait of {}s, longer than the {}s accepted (--max-wait)",
                        wait.as_secs(),
                        self.parts.settings.max_wait.as_secs()
                    ),
                });
            }
            self.parts.progress.rate_limit_wait(wait_until, &reason);
            tracing::info!(%reason, seconds = wait.as_secs(), "waiting for the rate limit");
            self.parts.sleeper.sleep(wait).await;
        }
    }

    fn backoff(&self, url: &str, attempt: u32) -> Duration {
        let s = &self.parts.settings;
        let exp = s.backoff_base.saturating_mul(
            1u32.checked_shl(attempt.saturating_sub(1))
                .unwrap_or(u32::MAX),
        );
        let capped = exp.min(s.backoff_max);
        // Deterministic jitter (75–100 %) so parallel retries do not fall in step.
        let seed = sha256_hex(format!("{url}#{attempt}").as_bytes());
        let n = u64::from_str_radix(&seed[..8], 16).unwrap_or(0);
        let factor = 0.75 + (n % 1000) as f64 / 4000.0;
        capped.mul_f64(factor)
    }

    fn count(&self, request: &ApiRequest, attempt: &Attempt) {
        match request.resource {
            Resource::Core => {
                if attempt.status == 304 {
                    bump(&self.stats.not_modified, 1);
                } else if attempt.status != 0 {
                    bump(&self.stats.core_used, 1);
                }
            }
            Resource::GraphQl => {
                bump(&self.stats.graphql_requests, 1);
                let cost = serde_json::from_slice::<Value>(&attempt.body)
                    .ok()
                    .and_then(|v| v.pointer("/data/rateLimit/cost").and_then(Value::as_u64));
                if let Some(cost) = cost {
                    bump(&self.stats.graphql_points, cost);
                }
            }
        }
    }

    async fn send_once(&self, request: &ApiRequest, etag: Option<&str>) -> Attempt {
        let failed = |message: String, status: u16, body: Vec<u8>| {
            let mut headers = BTreeMap::new();
            let message = if status == 0 {
                message
            } else {
                format!("HTTP {status}: {message}")
            };
            headers.insert(ERROR_HEADER.to_string(), message);
            Attempt {
                status: 0,
                headers,
                body,
            }
        };
        let token = match self.parts.tokens.token().await {
            Ok(token) => token,
            Err(e) => return failed(format!("no credential: {e}"), 0, Vec::new()),
        };
        let mut auth = match HeaderValue::from_str(&format!("Bearer {}", token.expose())) {
            Ok(v) => v,
            Err(_) => {
                return failed(
                    "the token contains characters not allowed in an HTTP header".into(),
                    0,
                    Vec::new(),
                );
            }
        };
        auth.set_sensitive(true);
        let mut builder = match request.method {
            Method::Get => self.client.get(&request.url),
            Method::Post => self.client.post(&request.url),
        }
        .header(header::AUTHORIZATION, auth);
        if let Some(etag) = etag
            && let Ok(v) = HeaderValue::from_str(etag)
        {
            builder = builder.header(header::IF_NONE_MATCH, v);
        }
        if let Some(body) = &request.body {
            builder = builder
                .header(header::CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        let mut response = match builder.send().await {
            Ok(r) => r,
            Err(e) => return failed(describe(&e), 0, Vec::new()),
        };
        let status = response.status().as_u16();
        let headers = recorded_headers(response.headers());
        let expected = response.content_length();
        let mut body = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                Ok(None) => break,
                Err(e) => {
                    let mut attempt = failed(
                        format!(
                            "body cut short after {} bytes: {}",
                            body.len(),
                            describe(&e)
                        ),
                        status,
                        body,
                    );
                    for (k, v) in headers {
                        attempt.headers.entry(k).or_insert(v);
                    }
                    return attempt;
                }
            }
        }
        if let Some(expected) = expected
            && (body.len() as u64) < expected
        {
            let mut attempt = failed(
                format!("body of {} bytes, Content-Length {expected}", body.len()),
                status,
                body,
            );
            for (k, v) in headers {
                attempt.headers.entry(k).or_insert(v);
            }
            return attempt;
        }
        Attempt {
            status,
            headers,
            body,
        }
    }

    async fn record(
        &self,
        request: &ApiRequest,
        time: Timestamp,
        attempt: &Attempt,
        reused: Option<crate::locker::Reused>,
    ) -> Result<u64, CallError> {
        let writer = Arc::clone(&self.parts.writer);
        let source = self.parts.source.clone();
        let method = request.method.as_str();
        let url = request.url.clone();
        let request_body = request.body.clone();
        let status = attempt.status;
        let body = attempt.body.clone();
        let headers = attempt.headers.clone();
        let result = tokio::task::spawn_blocking(move || {
            let pairs: Vec<(&str, &str)> = headers
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let mut writer = writer.lock().unwrap_or_else(|e| e.into_inner());
            writer
                .record_reused(
                    &source,
                    method,
                    &url,
                    request_body.as_deref(),
                    status,
                    time,
                    &body,
                    &pairs,
                    reused,
                )
                .map(|r| r.seq)
        })
        .await;
        match result {
            Ok(r) => r.map_err(CallError::from),
            Err(e) => Err(CallError::Refused {
                call: request.label(),
                message: format!("recording the request failed: {e}"),
            }),
        }
    }
}

/// The headers of [`RECORDED_HEADERS`], lower-case.
fn recorded_headers(headers: &HeaderMap) -> BTreeMap<String, String> {
    RECORDED_HEADERS
        .iter()
        .filter_map(|name| {
            let value = headers.get(*name)?.to_str().ok()?;
            Some((name.to_string(), value.to_string()))
        })
        .collect()
}

/// A transport error in words (reqwest's message plus its causes; never a header).
fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connection failed"
    } else if e.is_body() || e.is_decode() {
        "body incomplete"
    } else {
        "request failed"
    };
    // reqwest's own message repeats the URL, which the record already names.
    let mut message = kind.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        message.push_str(&format!(": {s}"));
        source = s.source();
    }
    message
}

fn is_loopback(api_url: &str) -> bool {
    let Ok(url) = reqwest::Url::parse(api_url) else {
        return false;
    };
    let host = url.host_str().unwrap_or("");
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Rejects API roots that would carry credentials or are not HTTP(S).
pub fn check_api_url(api_url: &str) -> Result<(), String> {
    let url = reqwest::Url::parse(api_url).map_err(|e| format!("not a URL: {e}"))?;
    if !matches!(url.scheme(), "https" | "http") {
        return Err(format!("scheme `{}` is not http(s)", url.scheme()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(
            "the URL carries credentials; put the token in the environment variable named by `token_env`"
                .into(),
        );
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("the API root must not have a query or fragment".into());
    }
    Ok(())
}

/// Whether `url` is the API root or below it (GHES GraphQL lives at `/api/graphql`
/// beside the REST root `/api/v3`).
pub fn under_root(url: &str, api_url: &str) -> bool {
    let below = |root: &str| {
        url.strip_prefix(root)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/') || rest.starts_with('?'))
    };
    below(api_url)
        || api_url
            .strip_suffix("/v3")
            .is_some_and(|root| url == format!("{root}/graphql"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_roots_with_credentials_are_refused() {
        assert!(check_api_url("https://api.github.com").is_ok());
        assert!(check_api_url("https://ghe.example.com/api/v3").is_ok());
        assert!(check_api_url("https://user:pw@api.github.com").is_err());
        assert!(check_api_url("https://api.github.com?access_token=x").is_err());
        assert!(check_api_url("ftp://api.github.com").is_err());
    }

    #[test]
    fn requests_stay_under_the_api_root() {
        let root = "https://api.github.com";
        assert!(under_root(
            "https://api.github.com/orgs/acme/repos?page=2",
            root
        ));
        assert!(under_root("https://api.github.com/graphql", root));
        assert!(!under_root(
            "https://api.github.com.evil.example/orgs",
            root
        ));
        assert!(!under_root("https://example.com/orgs", root));
        let ghes = "https://ghe.example.com/api/v3";
        assert!(under_root("https://ghe.example.com/api/graphql", ghes));
        assert!(under_root(
            "https://ghe.example.com/api/v3/orgs/acme/repos",
            ghes
        ));
        assert!(!under_root("https://ghe.example.com/other", ghes));
    }
}
