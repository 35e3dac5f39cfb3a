//! `GET /orgs/{org}/audit-log`: organisation audit-log events (GitHub Enterprise Cloud).
//!
//! Events carry their time as milliseconds since the epoch (`created_at`, `@timestamp`);
//! the repository as `owner/name`; a protected-branch event may name the branch.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use serde_json::Value;

use super::Origin;
use super::de::{ShapeError, need, parse};
use super::ipe::Yield;
use crate::model::{AuditEvent, Timestamp};

#[derive(Deserialize)]
struct EventItem {
    action: String,
    actor: Option<String>,
    repo: Option<String>,
    branch: Option<String>,
    created_at: Option<EventTime>,
    #[serde(rename = "@timestamp")]
    timestamp: Option<EventTime>,
    #[serde(rename = "_document_id")]
    document_id: Option<String>,
    /// Everything else the event records.
    #[serde(flatten)]
    other: BTreeMap<String, Value>,
}

/// Whether an action records a configuration change (whose fields CM-10 reads), rather
/// than a bypass or an unrelated event.
fn is_configuration(action: &str) -> bool {
    (action.starts_with("protected_branch.") || action.starts_with("repository_ruleset."))
        && !matches!(
            action,
            "protected_branch.policy_override" | "protected_branch.rejected_ref_update"
        )
}

/// The scalar fields of a configuration event, as text.
fn scalar_fields(other: &BTreeMap<String, Value>) -> BTreeMap<String, String> {
    other
        .iter()
        .filter_map(|(k, v)| {
            let text = match v {
                Value::String(s) => s.clone(),
                Value::Bool(b) => b.to_string(),
                Value::Number(n) => n.to_string(),
                _ => return None,
            };
            Some((k.clone(), text))
        })
        .collect()
}

/// An event time: milliseconds since the epoch as documented, or an RFC 3339 string.
struct EventTime(Timestamp);

impl<'de> Deserialize<'de> for EventTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<EventTime, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = EventTime;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("milliseconds since the epoch or an RFC 3339 time")
            }
            fn visit_i64<E: de::Error>(self, ms: i64) -> Result<EventTime, E> {
                chrono::DateTime::from_timestamp_millis(ms)
                    .map(EventTime)
                    .ok_or_else(|| E::custom(format!("{ms} ms is out of range")))
            }
            fn visit_u64<E: de::Error>(self, ms: u64) -> Result<EventTime, E> {
                let ms =
                    i64::try_from(ms).map_err(|_| E::custom(format!("{ms} ms is out of range")))?;
                self.visit_i64(ms)
            }
            fn visit_f64<E: de::Error>(self, ms: f64) -> Result<EventTime, E> {
                if !ms.is_finite() || ms.abs() > 1e17 {
                    return Err(E::custom(format!("{ms} ms is out of range")));
                }
                self.visit_i64(ms.trunc() as i64)
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<EventTime, E> {
                chrono::DateTime::parse_from_rfc3339(text)
                    .map(|t| EventTime(t.to_utc()))
                    .map_err(|e| E::custom(format!("`{text}` is not an RFC 3339 time: {e}")))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Debug, Default)]
pub struct AuditLog {
    events: BTreeMap<(String, String, Timestamp, String), AuditEvent>,
}

impl AuditLog {
    pub fn page(
        &mut self,
        origin: &Origin<'_>,
        org: &str,
        body: &Value,
    ) -> Result<Yield, ShapeError> {
        let items: Vec<EventItem> = parse(body)?;
        let mut keys = Vec::with_capacity(items.len());
        for (i, item) in items.into_iter().enumerate() {
            let at = need(item.created_at.or(item.timestamp), || {
                format!("[{i}].created_at")
            })?
            .0;
            // Without a document id, the event's own attributes identify it.
            let identity = item.document_id.clone().unwrap_or_else(|| {
                format!(
                    "{}|{}|{}",
                    item.action,
                    item.actor.as_deref().unwrap_or(""),
                    item.repo.as_deref().unwrap_or("")
                )
            });
            keys.push(format!("{}|{identity}", at.timestamp_millis()));
            let fields = if is_configuration(&item.action) {
                scalar_fields(&item.other)
            } else {
                BTreeMap::new()
            };
            let event = AuditEvent {
                source: origin.source.to_string(),
                org: org.to_string(),
                action: item.action,
                actor: item.actor,
                repo: item.repo,
                branch: item.branch.map(|b| {
                    b.strip_prefix("refs/heads/")
                        .map(str::to_string)
                        .unwrap_or(b)
                }),
                at,
                fields,
                document_id: item.document_id,
                evidence: vec![origin.evidence(&format!("/{i}"))],
            };
            self.events.insert(
                (origin.source.to_string(), org.to_string(), at, identity),
                event,
            );
        }
        Ok(Yield::records(keys))
    }

    pub fn finish(self) -> Vec<AuditEvent> {
        self.events.into_values().collect()
    }
}
