//! What a response means for the next attempt: done, wait for a rate limit, or retry a
//! transient failure — and the shared rate-limit state every request consults first.
//!
//! GitHub signals limits in several ways, all handled here:
//! - primary limit: `x-ratelimit-remaining: 0` (on any response; a 403/429 when already
//!   exhausted) → wait until `x-ratelimit-reset` (epoch seconds), for that resource;
//! - secondary limit: 403/429 with `retry-after` (seconds), or a message naming the
//!   secondary rate limit → pause every request for that long (at least a minute);
//! - GraphQL: a 200 whose `errors` have type `RATE_LIMITED` → wait until the reset.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde_json::Value;

use crate::model::Timestamp;

/// The rate-limit budget a request draws on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Resource {
    /// REST (`core`).
    Core,
    /// `POST /graphql` (`graphql`), metered in query points.
    GraphQl,
}

impl Resource {
    pub fn name(self) -> &'static str {
        match self {
            Resource::Core => "core",
            Resource::GraphQl => "graphql",
        }
    }
}

/// What to do after a response.
#[derive(Debug, Clone, PartialEq)]
pub enum Disposition {
    /// A final answer (success, or an error that retrying cannot change).
    Done,
    /// A rate limit: try again once `until` has passed. `everything`: the pause applies
    /// to every request (secondary limits are per token), else to the resource.
    Wait {
        until: Timestamp,
        everything: bool,
        reason: String,
    },
    /// A transient failure (5xx, connection error, truncated body): back off and retry.
    Retry { reason: String },
}

/// The shortest pause for a secondary limit that names no `retry-after` (GitHub: "wait
/// at least one minute").
pub const SECONDARY_MIN_WAIT_SECS: i64 = 60;

/// Header lookup by lower-case name.
fn header<'h>(headers: &'h BTreeMap<String, String>, name: &str) -> Option<&'h str> {
    headers.get(name).map(|v| v.trim())
}

/// GitHub's `x-ratelimit-*`, else GitLab's `ratelimit-*` (same meaning: requests left,
/// and the reset as epoch seconds).
fn remaining(headers: &BTreeMap<String, String>) -> Option<u64> {
    header(headers, "x-ratelimit-remaining")
        .or_else(|| header(headers, "ratelimit-remaining"))?
        .parse()
        .ok()
}

fn reset(headers: &BTreeMap<String, String>) -> Option<Timestamp> {
    let secs: i64 = header(headers, "x-ratelimit-reset")
        .or_else(|| header(headers, "ratelimit-reset"))?
        .parse()
        .ok()?;
    chrono::DateTime::from_timestamp(secs, 0)
}

/// `retry-after` as seconds or an HTTP date.
fn retry_after(headers: &BTreeMap<String, String>, now: Timestamp) -> Option<Timestamp> {
    let value = header(headers, "retry-after")?;
    if let Ok(secs) = value.parse::<i64>() {
        return Some(now + chrono::Duration::seconds(secs.max(0)));
    }
    chrono::DateTime::parse_from_rfc2822(value)
        .ok()
        .map(|t| t.with_timezone(&chrono::Utc))
}

fn message(body: &[u8]) -> String {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_string))
        .unwrap_or_default()
}

/// Classifies one response. `status` 0 is a request that got no complete response;
/// `headers` are lower-case.
pub fn classify(
    resource: Resource,
    status: u16,
    headers: &BTreeMap<String, String>,
    body: &[u8],
    now: Timestamp,
) -> Disposition {
    match status {
        0 => Disposition::Retry {
            reason: header(headers, "x-changeproof-error")
                .unwrap_or("no complete response")
                .to_string(),
        },
        // Credentials rejected: an installation token may just have expired; the
        // executor refreshes it. A token that stays rejected ends as missing evidence
        // (never as a permission gap).
        401 => Disposition::Retry {
            reason: format!("HTTP 401: credentials rejected: {}", message(body)),
        },
        403 | 429 => limited(resource, status, headers, body, now),
        500..=599 => Disposition::Retry {
            reason: format!("HTTP {status}"),
        },
        200..=299 => usable_body(resource, status, headers, body, now),
        _ => Disposition::Done,
    }
}

fn limited(
    resource: Resource,
    status: u16,
    headers: &BTreeMap<String, String>,
    body: &[u8],
    now: Timestamp,
) -> Disposition {
    if let Some(until) = retry_after(headers, now) {
        return Disposition::Wait {
            until,
            everything: true,
            reason: format!(
                "secondary rate limit (HTTP {status}, retry-after {}s)",
                (until - now).num_seconds()
            ),
        };
    }
    if remaining(headers) == Some(0) {
        let until = reset(headers).unwrap_or(now + chrono::Duration::seconds(60));
        return Disposition::Wait {
            until: until + chrono::Duration::seconds(1),
            everything: false,
            reason: format!(
                "{} rate limit exhausted (HTTP {status}); resets at {}",
                resource.name(),
                until.format("%H:%M:%S UTC")
            ),
        };
    }
    let message = message(body).to_ascii_lowercase();
    if status == 429 || message.contains("secondary rate limit") || message.contains("abuse") {
        return Disposition::Wait {
            until: now + chrono::Duration::seconds(SECONDARY_MIN_WAIT_SECS),
            everything: true,
            reason: format!("secondary rate limit (HTTP {status}, no retry-after)"),
        };
    }
    // A plain 403: missing permission or scope. Final; normalization records the gap.
    Disposition::Done
}

fn usable_body(
    resource: Resource,
    status: u16,
    headers: &BTreeMap<String, String>,
    body: &[u8],
    now: Timestamp,
) -> Disposition {
    if body.is_empty() && status == 204 {
        return Disposition::Done;
    }
    let Ok(json) = serde_json::from_slice::<Value>(body) else {
        return Disposition::Retry {
            reason: format!(
                "HTTP {status} with a body that is not complete JSON ({} bytes; truncated?)",
                body.len()
            ),
        };
    };
    if resource != Resource::GraphQl {
        return Disposition::Done;
    }
    let errors = json
        .get("errors")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let rate_limited = errors
        .iter()
        .any(|e| e.get("type").and_then(Value::as_str) == Some("RATE_LIMITED"));
    if rate_limited {
        let until = reset(headers).unwrap_or(now + chrono::Duration::seconds(60));
        let until = until.max(now) + chrono::Duration::seconds(1);
        return Disposition::Wait {
            until,
            everything: false,
            reason: format!(
                "GraphQL RATE_LIMITED; resets at {}",
                until.format("%H:%M:%S UTC")
            ),
        };
    }
    let no_data = json.get("data").is_none_or(Value::is_null);
    let transient = errors.iter().any(|e| {
        let m = e
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_ascii_lowercase();
        m.contains("something went wrong") || m.contains("timeout") || m.contains("timed out")
    });
    if no_data && transient {
        return Disposition::Retry {
            reason: "GraphQL query failed on GitHub's side (timeout)".into(),
        };
    }
    Disposition::Done
}

/// The rate-limit state shared by every request of one source.
#[derive(Debug, Default)]
pub struct RateLimits {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// Per resource: no request before this time (budget exhausted).
    exhausted: BTreeMap<Resource, (Timestamp, String)>,
    /// No request at all before this time (secondary limit).
    paused: Option<(Timestamp, String)>,
}

impl RateLimits {
    /// Takes in a response's headers: a budget at zero blocks the resource until reset.
    pub fn observe(&self, resource: Resource, headers: &BTreeMap<String, String>) {
        if remaining(headers) == Some(0)
            && let Some(reset) = reset(headers)
        {
            let until = reset + chrono::Duration::seconds(1);
            let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            let reason = format!(
                "{} rate limit used up; resets at {}",
                resource.name(),
                reset.format("%H:%M:%S UTC")
            );
            let entry = state
                .exhausted
                .entry(resource)
                .or_insert((until, reason.clone()));
            if entry.0 < until {
                *entry = (until, reason);
            }
        }
    }

    /// Registers a wait the classification asked for.
    pub fn pause(&self, resource: Resource, until: Timestamp, everything: bool, reason: &str) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let new = (until, reason.to_string());
        if everything {
            if state.paused.as_ref().is_none_or(|(t, _)| *t < until) {
                state.paused = Some(new);
            }
        } else {
            let entry = state
                .exhausted
                .entry(resource)
                .or_insert_with(|| new.clone());
            if entry.0 < until {
                *entry = new;
            }
        }
    }

    /// Until when a request of `resource` must wait, and why (`None`: go ahead).
    pub fn blocked_until(&self, resource: Resource, now: Timestamp) -> Option<(Timestamp, String)> {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let mut wait: Option<(Timestamp, String)> = None;
        for candidate in [state.paused.as_ref(), state.exhausted.get(&resource)]
            .into_iter()
            .flatten()
        {
            if candidate.0 > now && wait.as_ref().is_none_or(|w| w.0 < candidate.0) {
                wait = Some(candidate.clone());
            }
        }
        wait
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> Timestamp {
        "2026-10-05T09:00:00Z".parse().unwrap()
    }

    fn headers(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn success_and_permanent_errors_are_final() {
        let h = headers(&[]);
        assert_eq!(
            classify(Resource::Core, 200, &h, b"[]", t0()),
            Disposition::Done
        );
        assert_eq!(
            classify(Resource::Core, 304, &h, b"", t0()),
            Disposition::Done
        );
        assert_eq!(
            classify(Resource::Core, 404, &h, b"{}", t0()),
            Disposition::Done
        );
        let forbidden = br#"{"message":"Resource not accessible by integration"}"#;
        assert_eq!(
            classify(Resource::Core, 403, &h, forbidden, t0()),
            Disposition::Done
        );
    }

    #[test]
    fn server_errors_connection_failures_and_truncated_bodies_are_retried() {
        let h = headers(&[("x-changeproof-error", "connection reset")]);
        assert!(matches!(
            classify(Resource::Core, 502, &h, b"", t0()),
            Disposition::Retry { .. }
        ));
        assert_eq!(
            classify(Resource::Core, 0, &h, b"", t0()),
            Disposition::Retry {
                reason: "connection reset".into()
            }
        );
        let cut = br#"[{"id":1},{"id""#;
        assert!(matches!(
            classify(Resource::Core, 200, &h, cut, t0()),
            Disposition::Retry { .. }
        ));
        let bad = br#"{"message":"Bad credentials"}"#;
        assert!(matches!(
            classify(Resource::Core, 401, &h, bad, t0()),
            Disposition::Retry { reason } if reason.contains("Bad credentials")
        ));
        let timeout = br#"{"data":null,"errors":[{"message":"Something went wrong while executing your query. This may be the result of a timeout"}]}"#;
        assert!(matches!(
            classify(Resource::GraphQl, 200, &h, timeout, t0()),
            Disposition::Retry { .. }
        ));
    }

    #[test]
    fn secondary_limits_pause_everything() {
        let h = headers(&[("retry-after", "30"), ("x-ratelimit-remaining", "4000")]);
        let Disposition::Wait {
            until, everything, ..
        } = classify(Resource::Core, 403, &h, b"{}", t0())
        else {
            panic!("a wait")
        };
        assert!(everything);
        assert_eq!(until, t0() + chrono::Duration::seconds(30));
        let h = headers(&[]);
        let body = br#"{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}"#;
        let Disposition::Wait {
            until, everything, ..
        } = classify(Resource::Core, 403, &h, body, t0())
        else {
            panic!("a wait")
        };
        assert!(everything);
        assert_eq!(until, t0() + chrono::Duration::seconds(60));
    }

    #[test]
    fn primary_exhaustion_waits_for_the_reset() {
        let reset = t0() + chrono::Duration::minutes(20);
        let h = headers(&[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", &reset.timestamp().to_string()),
        ]);
        let Disposition::Wait {
            until, everything, ..
        } = classify(Resource::Core, 403, &h, b"{}", t0())
        else {
            panic!("a wait")
        };
        assert!(!everything);
        assert_eq!(until, reset + chrono::Duration::seconds(1));

        let limits = RateLimits::default();
        limits.observe(Resource::Core, &h);
        let (until, _) = limits.blocked_until(Resource::Core, t0()).unwrap();
        assert_eq!(until, reset + chrono::Duration::seconds(1));
        assert!(limits.blocked_until(Resource::GraphQl, t0()).is_none());
        assert!(limits.blocked_until(Resource::Core, until).is_none());
    }

    #[test]
    fn graphql_rate_limited_inside_a_200_waits() {
        let reset = t0() + chrono::Duration::minutes(5);
        let h = headers(&[("x-ratelimit-reset", &reset.timestamp().to_string())]);
        let body = br#"{"errors":[{"type":"RATE_LIMITED","message":"API rate limit exceeded"}]}"#;
        let Disposition::Wait { until, .. } = classify(Resource::GraphQl, 200, &h, body, t0())
        else {
            panic!("a wait")
        };
        assert_eq!(until, reset + chrono::Duration::seconds(1));
        // Other GraphQL errors (e.g. NOT_FOUND with partial data) are answers.
        let partial =
            br#"{"data":{"repository":null},"errors":[{"type":"NOT_FOUND","message":"x"}]}"#;
        assert_eq!(
            classify(Resource::GraphQl, 200, &h, partial, t0()),
            Disposition::Done
        );
    }

    #[test]
    fn pauses_apply_to_everything_or_one_resource() {
        let limits = RateLimits::default();
        let until = t0() + chrono::Duration::seconds(90);
        limits.pause(Resource::Core, until, true, "secondary");
        assert_eq!(
            limits.blocked_until(Resource::GraphQl, t0()).unwrap().0,
            until
        );
        let later = t0() + chrono::Duration::seconds(300);
        limits.pause(Resource::GraphQl, later, false, "points");
        assert_eq!(
            limits.blocked_until(Resource::GraphQl, t0()).unwrap().0,
            later
        );
        assert_eq!(limits.blocked_until(Resource::Core, t0()).unwrap().0, until);
    }
}
