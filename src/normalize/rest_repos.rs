//! `GET /orgs/{org}/repos`: the organisation's repositories.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use serde_json::Value;

use super::Origin;
use super::de::{ShapeError, parse};
use super::ipe::Yield;
use crate::model::Repository;

#[derive(Deserialize)]
struct RepoItem {
    full_name: String,
    default_branch: String,
    html_url: String,
    #[serde(default)]
    archived: bool,
}

/// Repositories and the production branches the branch-history queries covered.
#[derive(Debug, Default)]
pub struct Repositories {
    repos: BTreeMap<(String, String), Repository>,
    /// (source, repo) → branches whose history was queried.
    production_branches: BTreeMap<(String, String), BTreeSet<String>>,
}

impl Repositories {
    pub fn org_repos(&mut self, origin: &Origin<'_>, body: &Value) -> Result<Yield, ShapeError> {
        let items: Vec<RepoItem> = parse(body)?;
        let mut keys = Vec::with_capacity(items.len());
        for (i, item) in items.into_iter().enumerate() {
            keys.push(item.full_name.clone());
            let repo = Repository {
                source: origin.source.to_string(),
                full_name: item.full_name.clone(),
                default_branch: item.default_branch,
                production_branches: Vec::new(),
                url: item.html_url,
                archived: item.archived,
                evidence: vec![origin.evidence(&format!("/{i}"))],
            };
            self.repos
                .insert((origin.source.to_string(), item.full_name), repo);
        }
        Ok(Yield::records(keys))
    }

    /// Records that `branch` of `repo` was queried as a production branch.
    pub fn production_branch(&mut self, source: &str, repo: &str, branch: &str) {
        self.production_branches
            .entry((source.to_string(), repo.to_string()))
            .or_default()
            .insert(branch.to_string());
    }

    pub fn finish(mut self) -> Vec<Repository> {
        for (key, branches) in self.production_branches {
            match self.repos.get_mut(&key) {
                Some(repo) => repo.production_branches = branches.into_iter().collect(),
                None => tracing::debug!(
                    source = %key.0,
                    repo = %key.1,
                    "branch history collected for a repository missing from the repository list"
                ),
            }
        }
        self.repos.into_values().collect()
    }
}
