//! Ruleset history: `GET /repos/{owner}/{repo}/rulesets/{id}/history` (the versions, for
//! the completeness record) and `GET …/history/{version_id}` (one version with the
//! ruleset's full `state`), folded into the protection terms CM-10 compares.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use serde_json::Value;

use super::Origin;
use super::de::{ShapeError, parse, parse_at};
use super::ipe::Yield;
use crate::model::{RulesetVersion, Timestamp};

#[derive(Deserialize)]
struct HistoryItem {
    version_id: u64,
}

#[derive(Deserialize)]
struct VersionBody {
    version_id: u64,
    actor: Option<ActorRef>,
    updated_at: Timestamp,
    state: State,
}

#[derive(Deserialize)]
struct ActorRef {
    id: Option<u64>,
    #[serde(rename = "type")]
    kind: Option<String>,
}

#[derive(Deserialize)]
struct State {
    #[serde(default)]
    name: String,
    #[serde(default)]
    target: Option<String>,
    enforcement: String,
    #[serde(default)]
    bypass_actors: Vec<BypassActor>,
    conditions: Option<Conditions>,
    #[serde(default)]
    rules: Vec<Value>,
}

#[derive(Deserialize)]
struct BypassActor {
    actor_id: Option<u64>,
    actor_type: String,
    bypass_mode: Option<String>,
}

#[derive(Deserialize)]
struct Conditions {
    ref_name: Option<RefName>,
}

#[derive(Deserialize)]
struct RefName {
    #[serde(default)]
    include: Vec<String>,
    #[serde(default)]
    exclude: Vec<String>,
}

#[derive(Deserialize)]
struct RuleType {
    #[serde(rename = "type")]
    kind: String,
}

#[derive(Deserialize)]
struct PullRequestParameters {
    #[serde(default)]
    required_approving_review_count: u32,
    #[serde(default)]
    dismiss_stale_reviews_on_push: bool,
}

#[derive(Deserialize)]
struct StatusCheckParameters {
    #[serde(default)]
    required_status_checks: Vec<Context>,
}

#[derive(Deserialize)]
struct Context {
    context: String,
}

type VersionKey = (String, String, u64, u64);

#[derive(Debug, Default)]
pub struct Rulesets {
    versions: BTreeMap<VersionKey, RulesetVersion>,
}

impl Rulesets {
    /// The list of versions: counted for completeness; each version is its own call.
    pub fn history(&mut self, repo: &str, id: u64, body: &Value) -> Result<Yield, ShapeError> {
        let items: Vec<HistoryItem> = parse(body)?;
        Ok(Yield::records(
            items
                .iter()
                .map(|v| format!("{repo}:{id}:{}", v.version_id))
                .collect(),
        ))
    }

    pub fn version(
        &mut self,
        origin: &Origin<'_>,
        repo: &str,
        id: u64,
        body: &Value,
    ) -> Result<Yield, ShapeError> {
        let v: VersionBody = parse(body)?;
        let mut version = RulesetVersion {
            source: origin.source.to_string(),
            repo: repo.to_string(),
            ruleset_id: id,
            version_id: v.version_id,
            updated_at: v.updated_at,
            actor: v.actor.map(|a| {
                format!(
                    "{} {}",
                    a.kind.as_deref().unwrap_or("actor"),
                    a.id.map_or_else(|| "?".to_string(), |id| id.to_string())
                )
            }),
            name: v.state.name,
            enforcement: v.state.enforcement,
            target: v.state.target.unwrap_or_else(|| "branch".into()),
            include: Vec::new(),
            exclude: Vec::new(),
            require_pull_request: false,
            required_approvals: 0,
            dismiss_stale_reviews: false,
            required_checks: Vec::new(),
            blocks_force_pushes: false,
            bypass_actors: v
                .state
                .bypass_actors
                .iter()
                .map(|b| {
                    let mode = b.bypass_mode.as_deref().unwrap_or("always");
                    match (b.actor_type.as_str(), b.actor_id) {
                        ("OrganizationAdmin", _) | (_, None) => {
                            format!("{} ({mode})", b.actor_type)
                        }
                        (kind, Some(id)) => format!("{kind} {id} ({mode})"),
                    }
                })
                .collect(),
            evidence: vec![origin.evidence("")],
        };
        if let Some(r) = v.state.conditions.and_then(|c| c.ref_name) {
            version.include = r.include;
            version.exclude = r.exclude;
        }
        let mut checks = BTreeSet::new();
        for (i, rule) in v.state.rules.iter().enumerate() {
            let path = format!("state.rules[{i}]");
            let kind: RuleType = parse_at(rule, &path)?;
            let parameters = rule.get("parameters").filter(|p| !p.is_null());
            let path = format!("{path}.parameters");
            match (kind.kind.as_str(), parameters) {
                ("pull_request", Some(p)) => {
                    let p: PullRequestParameters = parse_at(p, &path)?;
                    version.require_pull_request = true;
                    version.required_approvals = version
                        .required_approvals
                        .max(p.required_approving_review_count);
                    version.dismiss_stale_reviews |= p.dismiss_stale_reviews_on_push;
                }
                ("pull_request", None) => version.require_pull_request = true,
                ("required_status_checks", Some(p)) => {
                    let p: StatusCheckParameters = parse_at(p, &path)?;
                    checks.extend(p.required_status_checks.into_iter().map(|c| c.context));
                }
                ("non_fast_forward", _) => version.blocks_force_pushes = true,
                _ => {}
            }
        }
        version.required_checks = checks.into_iter().collect();
        version.bypass_actors.sort();
        version.bypass_actors.dedup();
        let key = format!("{repo}:{id}:{}", version.version_id);
        self.versions.insert(
            (
                origin.source.to_string(),
                repo.to_string(),
                id,
                version.version_id,
            ),
            version,
        );
        Ok(Yield::records(vec![key]))
    }

    pub fn finish(self) -> Vec<RulesetVersion> {
        self.versions.into_values().collect()
    }
}
