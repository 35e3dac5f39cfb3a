//! Teams (`GET /orgs/{org}/teams`) with their members and repositories
//! (`…/teams/{slug}/members`, `…/teams/{slug}/repos`), joined by the slug in the URL.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::Origin;
use super::de::{ShapeError, parse};
use super::ipe::Yield;
use super::rest_access::{Permissions, permission_name};
use crate::model::{EvidenceRef, Team, TeamRepo, login_key};

#[derive(Deserialize)]
struct TeamItem {
    slug: String,
    name: String,
}

#[derive(Deserialize)]
struct MemberItem {
    login: String,
}

#[derive(Deserialize)]
struct TeamRepoItem {
    full_name: String,
    role_name: Option<String>,
    permissions: Option<Permissions>,
}

#[derive(Debug, Default)]
struct TeamEntry {
    name: Option<String>,
    /// login key → login as returned.
    members: BTreeMap<String, String>,
    repos: BTreeMap<String, String>,
    evidence: Vec<EvidenceRef>,
}

#[derive(Debug, Default)]
pub struct Teams {
    /// (source, org, slug) → team.
    teams: BTreeMap<(String, String, String), TeamEntry>,
}

impl Teams {
    fn team(&mut self, origin: &Origin<'_>, org: &str, slug: &str) -> &mut TeamEntry {
        self.teams
            .entry((origin.source.to_string(), org.to_string(), slug.to_string()))
            .or_default()
    }

    pub fn teams(
        &mut self,
        origin: &Origin<'_>,
        org: &str,
        body: &Value,
    ) -> Result<Yield, ShapeError> {
        let items: Vec<TeamItem> = parse(body)?;
        let mut keys = Vec::with_capacity(items.len());
        for (i, item) in items.into_iter().enumerate() {
            let team = self.team(origin, org, &item.slug);
            team.name = Some(item.name);
            team.evidence.push(origin.evidence(&format!("/{i}")));
            keys.push(item.slug);
        }
        Ok(Yield::records(keys))
    }

    pub fn members(
        &mut self,
        origin: &Origin<'_>,
        org: &str,
        slug: &str,
        body: &Value,
    ) -> Result<Yield, ShapeError> {
        let items: Vec<MemberItem> = parse(body)?;
        let team = self.team(origin, org, slug);
        team.evidence.push(origin.evidence(""));
        let mut keys = Vec::with_capacity(items.len());
        for item in items {
            let key = login_key(&item.login);
            keys.push(key.clone());
            team.members.insert(key, item.login);
        }
        Ok(Yield::records(keys))
    }

    pub fn repos(
        &mut self,
        origin: &Origin<'_>,
        org: &str,
        slug: &str,
        body: &Value,
    ) -> Result<Yield, ShapeError> {
        let items: Vec<TeamRepoItem> = parse(body)?;
        let team = self.team(origin, org, slug);
        team.evidence.push(origin.evidence(""));
        let mut keys = Vec::with_capacity(items.len());
        for (i, item) in items.into_iter().enumerate() {
            let permission = permission_name(item.role_name, item.permissions.as_ref(), || {
                format!("[{i}]")
            })?;
            keys.push(item.full_name.clone());
            team.repos.insert(item.full_name, permission);
        }
        Ok(Yield::records(keys))
    }

    pub fn finish(self) -> Vec<Team> {
        self.teams
            .into_iter()
            .map(|((source, org, slug), team)| Team {
                source,
                org,
                // A team seen only through its member or repository list keeps its slug.
                name: team.name.unwrap_or_else(|| slug.clone()),
                slug,
                members: team.members.into_values().collect(),
                repos: team
                    .repos
                    .into_iter()
                    .map(|(repo, permission)| TeamRepo { repo, permission })
                    .collect(),
                evidence: team.evidence,
            })
            .collect()
    }
}
