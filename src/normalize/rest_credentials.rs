//! Pipeline credentials: deploy keys (`GET …/keys`) and Actions secrets of repositories
//! and organisations (`GET …/actions/secrets`; names and dates only, never values).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::Origin;
use super::de::{ShapeError, parse};
use super::ipe::Yield;
use crate::model::{DeployKey, Secret, Timestamp};

#[derive(Deserialize)]
struct KeyItem {
    id: u64,
    title: String,
    read_only: bool,
    created_at: Timestamp,
    last_used: Option<Timestamp>,
}

#[derive(Deserialize)]
struct SecretsBody {
    total_count: u64,
    secrets: Vec<SecretItem>,
}

#[derive(Deserialize)]
struct SecretItem {
    name: String,
    created_at: Timestamp,
    updated_at: Timestamp,
}

#[derive(Debug, Default)]
pub struct Credentials {
    keys: BTreeMap<(String, String, u64), DeployKey>,
    /// (source, scope, owner, name) → secret.
    secrets: BTreeMap<(String, String, String, String), Secret>,
}

impl Credentials {
    pub fn deploy_keys(
        &mut self,
        origin: &Origin<'_>,
        repo: &str,
        body: &Value,
    ) -> Result<Yield, ShapeError> {
        let items: Vec<KeyItem> = parse(body)?;
        let mut keys = Vec::with_capacity(items.len());
        for (i, item) in items.into_iter().enumerate() {
            keys.push(item.id.to_string());
            self.keys.insert(
                (origin.source.to_string(), repo.to_string(), item.id),
                DeployKey {
                    source: origin.source.to_string(),
                    repo: repo.to_string(),
                    id: item.id,
                    title: item.title,
                    read_only: item.read_only,
                    created_at: item.created_at,
                    last_used: item.last_used,
                    evidence: vec![origin.evidence(&format!("/{i}"))],
                },
            );
        }
        Ok(Yield::records(keys))
    }

    /// `scope` is `repo` (owner = `owner/name`) or `org` (owner = the org login).
    pub fn secrets(
        &mut self,
        origin: &Origin<'_>,
        scope: &str,
        owner: &str,
        body: &Value,
    ) -> Result<Yield, ShapeError> {
        let page: SecretsBody = parse(body)?;
        let mut keys = Vec::with_capacity(page.secrets.len());
        for (i, item) in page.secrets.into_iter().enumerate() {
            keys.push(item.name.clone());
            self.secrets.insert(
                (
                    origin.source.to_string(),
                    scope.to_string(),
                    owner.to_string(),
                    item.name.clone(),
                ),
                Secret {
                    source: origin.source.to_string(),
                    scope: scope.to_string(),
                    owner: owner.to_string(),
                    name: item.name,
                    created_at: item.created_at,
                    updated_at: item.updated_at,
                    evidence: vec![origin.evidence(&format!("/secrets/{i}"))],
                },
            );
        }
        Ok(Yield {
            records: keys,
            total_count: Some(page.total_count),
        })
    }

    pub fn finish(self) -> (Vec<DeployKey>, Vec<Secret>) {
        (
            self.keys.into_values().collect(),
            self.secrets.into_values().collect(),
        )
    }
}
