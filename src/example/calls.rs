//! The request log a collection of the example organisation would produce: every call in
//! order, REST lists paginated at 100 with GitHub's `Link` headers, GraphQL bodies with
//! `rateLimit`, and deterministic request times and response headers.

use chrono::Duration;
use serde_json::{Map, Value, json};

use crate::locker::{LockerError, LockerWriter};
use crate::model::Timestamp;
use crate::util::sha256_hex;

use super::render_graphql::{Page, iso};
use super::rng::Rng;
use super::world::{API_URL, SOURCE};

const RATE_LIMIT: u32 = 5000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Resource {
    Core,
    Graphql,
}

impl Resource {
    fn name(self) -> &'static str {
        match self {
            Resource::Core => "core",
            Resource::Graphql => "graphql",
        }
    }
}

struct Call {
    method: &'static str,
    url: String,
    request: Option<Vec<u8>>,
    status: u16,
    body: Vec<u8>,
    link: Option<String>,
    resource: Resource,
    /// Requests used in this resource's budget after this one.
    used: u32,
}

/// The calls of one collection, in order.
pub struct Calls {
    list: Vec<Call>,
    core_used: u32,
    graphql_used: u32,
    /// When the rate-limit budgets reset (an hour after the collection started).
    reset: Timestamp,
}

impl Calls {
    pub fn new(reset: Timestamp) -> Calls {
        Calls {
            list: Vec::new(),
            core_used: 0,
            graphql_used: 0,
            reset,
        }
    }

    /// `POST /graphql` of one page of `operation`.
    pub fn graphql(&mut self, operation: &str, query: &str, page: Page) {
        self.graphql_used += 1;
        let mut data = Map::new();
        data.insert(
            "rateLimit".into(),
            json!({
                "cost": 1,
                "remaining": RATE_LIMIT.saturating_sub(self.graphql_used),
                "resetAt": iso(self.reset),
            }),
        );
        data.extend(page.data);
        let body = json!({ "data": data });
        let request = json!({
            "operationName": operation,
            "query": query,
            "variables": page.variables,
        });
        self.list.push(Call {
            method: "POST",
            url: format!("{API_URL}/graphql"),
            request: Some(to_bytes(&request)),
            status: 200,
            body: to_bytes(&body),
            link: None,
            resource: Resource::Graphql,
            used: self.graphql_used,
        });
    }

    /// A single REST GET; `query` may be empty.
    pub fn get(&mut self, path: &str, query: &str, status: u16, body: &Value) {
        self.core_used += 1;
        self.list.push(Call {
            method: "GET",
            url: url(path, query, None),
            request: None,
            status,
            body: to_bytes(body),
            link: None,
            resource: Resource::Core,
            used: self.core_used,
        });
    }

    /// A REST list, split into pages of 100 (`&page=N` after the first), each with the
    /// `Link` header GitHub sends.
    pub fn get_list(&mut self, path: &str, query: &str, items: Vec<Value>) {
        let pages: Vec<Vec<Value>> = if items.is_empty() {
            vec![Vec::new()]
        } else {
            items.chunks(100).map(<[Value]>::to_vec).collect()
        };
        let n = pages.len();
        for (k, page) in pages.into_iter().enumerate() {
            let number = k + 1;
            self.core_used += 1;
            let link = (n > 1).then(|| link_header(path, query, number, n));
            self.list.push(Call {
                method: "GET",
                url: url(path, query, (number > 1).then_some(number)),
                request: None,
                status: 200,
                body: to_bytes(&Value::Array(page)),
                link,
                resource: Resource::Core,
                used: self.core_used,
            });
        }
    }

    /// Writes every call into the locker's request log, at times spread over the
    /// minutes before `end` (the snapshot), increasing.
    pub fn write(
        self,
        writer: &mut LockerWriter,
        seed: u64,
        end: Timestamp,
    ) -> Result<(), LockerError> {
        let mut rng = Rng::stream(seed, "clock");
        let start = end - Duration::minutes(15);
        let budget_ms: i64 = 14 * 60 * 1000;
        // GraphQL pages of 100 nested PRs take a second or so; REST calls a few hundred ms.
        let steps: Vec<i64> = self
            .list
            .iter()
            .map(|c| match c.resource {
                Resource::Graphql => rng.range(700, 1_600),
                Resource::Core => rng.range(60, 350),
            })
            .collect();
        let total: i64 = steps.iter().sum();
        let mut t = start;
        for (call, step) in self.list.into_iter().zip(steps) {
            let step = if total > budget_ms {
                (step * budget_ms / total).max(1)
            } else {
                step
            };
            t += Duration::milliseconds(step);
            let headers = headers(&call, self.reset, t, &mut rng);
            let refs: Vec<(&str, &str)> = headers
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            writer.record(
                SOURCE,
                call.method,
                &call.url,
                call.request.as_deref(),
                call.status,
                t,
                &call.body,
                &refs,
            )?;
        }
        Ok(())
    }
}

fn to_bytes(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).unwrap_or_default()
}

fn url(path: &str, query: &str, page: Option<usize>) -> String {
    let mut url = format!("{API_URL}{path}");
    if !query.is_empty() {
        url.push('?');
        url.push_str(query);
    }
    if let Some(p) = page {
        url.push_str(if query.is_empty() { "?" } else { "&" });
        url.push_str(&format!("page={p}"));
    }
    url
}

/// GitHub's `Link` header: `prev`, `next`, `last`, `first`, as applicable.
fn link_header(path: &str, query: &str, page: usize, pages: usize) -> String {
    let at = |p: usize| {
        let base = url(path, query, None);
        let sep = if query.is_empty() { '?' } else { '&' };
        format!("<{base}{sep}page={p}>")
    };
    let mut parts = Vec::new();
    if page > 1 {
        parts.push(format!("{}; rel=\"prev\"", at(page - 1)));
    }
    if page < pages {
        parts.push(format!("{}; rel=\"next\"", at(page + 1)));
        parts.push(format!("{}; rel=\"last\"", at(pages)));
    }
    if page > 1 {
        parts.push(format!("{}; rel=\"first\"", at(1)));
    }
    parts.join(", ")
}

fn headers(call: &Call, reset: Timestamp, at: Timestamp, rng: &mut Rng) -> Vec<(String, String)> {
    let mut h = Vec::new();
    if call.status == 200 {
        h.push((
            "etag".to_string(),
            format!("W/\"{}\"", sha256_hex(&call.body)),
        ));
    }
    if let Some(link) = &call.link {
        h.push(("link".into(), link.clone()));
    }
    let request_id = format!(
        "{:04X}:{:05X}:{:06X}:{:07X}:{:08X}",
        rng.below(0x1_0000),
        rng.below(0x10_0000),
        rng.below(0x100_0000),
        rng.below(0x1000_0000),
        at.timestamp()
    );
    h.push(("x-github-request-id".into(), request_id));
    h.push(("x-ratelimit-limit".into(), RATE_LIMIT.to_string()));
    h.push((
        "x-ratelimit-remaining".into(),
        RATE_LIMIT.saturating_sub(call.used).to_string(),
    ));
    h.push(("x-ratelimit-reset".into(), reset.timestamp().to_string()));
    h.push(("x-ratelimit-resource".into(), call.resource.name().into()));
    h.push(("x-ratelimit-used".into(), call.used.to_string()));
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_header_matches_githubs_format() {
        let first = link_header("/repos/acme/api/deployments", "per_page=100", 1, 3);
        assert_eq!(
            first,
            "<https://api.github.com/repos/acme/api/deployments?per_page=100&page=2>; rel=\"next\", <https://api.github.com/repos/acme/api/deployments?per_page=100&page=3>; rel=\"last\""
        );
        let middle = link_header("/x", "per_page=100", 2, 3);
        assert!(
            middle.starts_with("<https://api.github.com/x?per_page=100&page=1>; rel=\"prev\", ")
        );
        assert!(middle.ends_with("<https://api.github.com/x?per_page=100&page=1>; rel=\"first\""));
        let last = link_header("/x", "per_page=100", 3, 3);
        assert!(!last.contains("next"));
    }
}
