//! Normalization: raw API responses → the evidence model.
//!
//! Invariant: a pure function of the locker's request log and raw responses (no network,
//! no clock), so `replay` re-derives exactly the evidence a collection produced and an
//! auditor can re-derive every finding from the raw evidence.
//!
//! Each recorded request is recognised by method and URL ([`call`]), its response parsed
//! by the normalizer of its area (`rest_*`, `graphql_*`) into [`collected::Collected`],
//! and attributed to its population query ([`ipe`]). Failed calls become [`Gap`]s; a body
//! that departs from the documented shape is an error naming the call and the field.
//!
//! A request repeated with the same method, URL and body (a retry, or a resumed
//! collection) counts once: the latest successful copy, else the latest copy.

mod call;
mod collected;
mod coverage;
mod de;
mod file_deployments;
mod gitlab;
mod graphql;
mod graphql_branch_history;
mod graphql_pull_requests;
mod ipe;
mod rest;
mod rest_access;
mod rest_audit_log;
mod rest_credentials;
mod rest_deployments;
mod rest_environments;
mod rest_protection;
mod rest_repos;
mod rest_rule_suites;
mod rest_rulesets;
mod rest_teams;
mod trailers;

use std::collections::BTreeSet;

use crate::locker::{Locker, LockerError, RequestRecord};
use crate::model::{Evidence, EvidenceRef};

pub use graphql_pull_requests::{
    INCOMPLETE_CHECKS, INCOMPLETE_COMMITS, INCOMPLETE_LABELS, INCOMPLETE_REVIEWS,
    INCOMPLETE_TIMELINE,
};

#[derive(Debug, thiserror::Error)]
pub enum NormalizeError {
    #[error(transparent)]
    Locker(#[from] LockerError),
    /// A response that does not have the shape the API documents.
    #[error("{call} (response {sha256}): {message}")]
    Shape {
        call: String,
        sha256: String,
        message: String,
    },
    /// A request record the normalizer cannot interpret (the request log is damaged or
    /// was written by an incompatible collector).
    #[error("requests.ndjson record {seq} ({call}): {message}")]
    Request {
        seq: u64,
        call: String,
        message: String,
    },
}

/// Where a response came from: the source it was collected for and its raw hash.
pub(crate) struct Origin<'a> {
    pub source: &'a str,
    /// `https://github.com` (or the GHES host), for links to commits.
    pub web_url: &'a str,
    pub sha256: &'a str,
}

impl Origin<'_> {
    /// `sha256:<hash>#<JSON pointer>` of a node of this response.
    pub fn evidence(&self, pointer: &str) -> EvidenceRef {
        format!("sha256:{}#{pointer}", self.sha256).into()
    }
}

/// A usable response: a 2xx, or a `304 Not Modified` whose record carries the cached
/// body GitHub confirmed (see `locker::RequestRecord`).
fn is_success(status: u16) -> bool {
    (200..300).contains(&status) || status == 304
}

/// GitHub's `message` of an error response, for gap reasons.
fn error_message(locker: &Locker, record: &RequestRecord) -> Result<String, NormalizeError> {
    let bytes = locker.raw(&record.response_sha256)?;
    let message = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|v| {
            v.get("message")
                .and_then(|m| m.as_str())
                .map(str::to_string)
        });
    Ok(message.unwrap_or_else(|| {
        if bytes.is_empty() {
            "(empty response body)".to_string()
        } else {
            "(no JSON error message in the response body)".to_string()
        }
    }))
}

/// The records that count: for each (source, method, URL, request body), the latest
/// successful copy, else the latest copy; in request order.
fn effective<'a>(records: &'a [RequestRecord]) -> Vec<&'a RequestRecord> {
    type Key<'a> = (&'a str, &'a str, &'a str, Option<&'a str>);
    let key = |r: &'a RequestRecord| -> Key<'a> {
        (
            r.source.as_str(),
            r.method.as_str(),
            r.url.as_str(),
            r.request_sha256.as_deref(),
        )
    };
    let succeeded: BTreeSet<Key<'_>> = records
        .iter()
        .filter(|r| is_success(r.status))
        .map(key)
        .collect();
    let mut seen = BTreeSet::new();
    let mut kept: Vec<&RequestRecord> = records
        .iter()
        .rev()
        .filter(|r| {
            let k = key(r);
            (is_success(r.status) || !succeeded.contains(&k)) && seen.insert(k)
        })
        .collect();
    kept.reverse();
    kept
}

/// Derives the normalized evidence from a locker's raw responses.
pub fn normalize(locker: &Locker) -> Result<Evidence, NormalizeError> {
    let meta = locker.meta()?;
    let records = locker.requests()?;
    let mut collected = collected::Collected::default();
    let effective = effective(&records);
    for source in meta
        .sources
        .iter()
        .filter(|s| s.kind.eq_ignore_ascii_case("gitlab"))
    {
        let own: Vec<&RequestRecord> = effective
            .iter()
            .copied()
            .filter(|r| r.source == source.name)
            .collect();
        gitlab::process(locker, &mut collected, source, &own)?;
    }
    for record in effective {
        let Some(source) = meta.sources.iter().find(|s| s.name == record.source) else {
            return Err(NormalizeError::Request {
                seq: record.seq,
                call: format!("{} {}", record.method, record.url),
                message: format!(
                    "source `{}` is not listed in locker.json `sources`",
                    record.source
                ),
            });
        };
        if source.kind.eq_ignore_ascii_case("file") {
            file_deployments::process(locker, &mut collected, &source.name, record)?;
            continue;
        }
        if source.kind.eq_ignore_ascii_case("gitlab") {
            continue;
        }
        if !source.kind.eq_ignore_ascii_case("github") {
            tracing::debug!(seq = record.seq, kind = %source.kind, "no normalizer for this source kind");
            continue;
        }
        let base = call::ApiBase::new(&source.api_url);
        let Some(call) = call::Call::recognise(record, &base) else {
            tracing::debug!(seq = record.seq, method = %record.method, url = %record.url, "call not read by the normalizer");
            continue;
        };
        let origin = Origin {
            source: &source.name,
            web_url: &base.web_url,
            sha256: &record.response_sha256,
        };
        if call.endpoint == call::Endpoint::GraphQl {
            graphql::process(locker, &mut collected, &origin, &call)?;
        } else {
            rest::process(locker, &mut collected, &origin, &call)?;
        }
    }
    Ok(collected.finish(&meta))
}
