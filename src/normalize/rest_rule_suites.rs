//! `GET /repos/{owner}/{repo}/rulesets/rule-suites`: ruleset evaluations of pushes.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::Origin;
use super::de::{ShapeError, parse};
use super::ipe::Yield;
use crate::model::{RuleSuite, Timestamp};

#[derive(Deserialize)]
struct RuleSuiteItem {
    id: u64,
    actor_name: Option<String>,
    #[serde(rename = "ref")]
    ref_name: String,
    before_sha: String,
    after_sha: String,
    pushed_at: Timestamp,
    result: String,
    evaluation_result: Option<String>,
}

#[derive(Debug, Default)]
pub struct RuleSuites {
    suites: BTreeMap<(String, String, u64), RuleSuite>,
}

impl RuleSuites {
    pub fn page(
        &mut self,
        origin: &Origin<'_>,
        repo: &str,
        body: &Value,
    ) -> Result<Yield, ShapeError> {
        let items: Vec<RuleSuiteItem> = parse(body)?;
        let mut keys = Vec::with_capacity(items.len());
        for (i, item) in items.into_iter().enumerate() {
            keys.push(item.id.to_string());
            let suite = RuleSuite {
                source: origin.source.to_string(),
                repo: repo.to_string(),
                id: item.id,
                actor: item.actor_name,
                ref_name: item.ref_name,
                before_sha: item.before_sha,
                after_sha: item.after_sha,
                pushed_at: item.pushed_at,
                result: item.result,
                evaluation_result: item.evaluation_result,
                evidence: vec![origin.evidence(&format!("/{i}"))],
            };
            self.suites.insert(
                (origin.source.to_string(), repo.to_string(), item.id),
                suite,
            );
        }
        Ok(Yield::records(keys))
    }

    pub fn finish(self) -> Vec<RuleSuite> {
        self.suites.into_values().collect()
    }
}
