//! The access population rows (SPEC §6): accounts (AC-01, AC-02), grants (AC-03,
//! AC-05), pipeline credentials (AC-04) and the grant changes since the previous
//! snapshot (AC-05), filled from the same facts the controls judged.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::model::{ActorKind, Timestamp};

use super::access::{AccessFacts, GrantRow, in_scope};
use crate::config::Source;
use crate::model::Evidence;

/// One account with access to an organisation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountRow {
    /// The configured source the account was collected from.
    #[serde(default)]
    pub source: String,
    pub org: String,
    pub login: String,
    /// `user`, `bot`, `organization`, `mannequin`, `other`.
    pub kind: String,
    /// `member`, `outside collaborator` or `repository collaborator`.
    pub affiliation: String,
    /// `owner`, `member`, or empty for non-members.
    pub role: String,
    /// `enabled`, `disabled` or `unknown` (the token could not see it).
    pub two_factor: String,
    /// Direct collaborator grants: `acme/web (write)`, sorted.
    pub direct_repos: Vec<String>,
    /// How AC-02 matched the account: `login`, `email`, `service account`, `app bot`,
    /// `none`, or `no roster`.
    pub roster_match: String,
    /// The matching roster row's line, name, status and termination date.
    pub roster_line: Option<usize>,
    pub roster_name: String,
    pub roster_status: String,
    pub termination_date: Option<NaiveDate>,
}

/// A deploy key or an Actions secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CredentialRow {
    /// The configured source the credential was collected from.
    #[serde(default)]
    pub source: String,
    /// `deploy_key` or `secret`.
    pub kind: String,
    /// `repo` or `org`.
    pub scope: String,
    /// `owner/name`, or the org login for org secrets.
    pub owner: String,
    /// The key id, or the secret name.
    pub id: String,
    /// The key title, or the secret name.
    pub name: String,
    /// Deploy keys: read-only or not.
    pub read_only: Option<bool>,
    /// Write deploy keys: listed in `allowed_write_deploy_keys`.
    pub allowed: Option<bool>,
    pub created_at: Timestamp,
    /// Secrets: when the value was last set.
    pub updated_at: Option<Timestamp>,
    /// Deploy keys: last use GitHub recorded.
    pub last_used: Option<Timestamp>,
    /// Whole days from `updated_at` (secrets) or `created_at` (keys) to the snapshot.
    pub age_days: i64,
}

/// A grant added, removed or changed since the previous snapshot (AC-05).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessChangeRow {
    pub org: String,
    /// `added`, `removed` or `changed` (same account, resource and route; other
    /// permission).
    pub change: String,
    pub account_type: String,
    pub account: String,
    pub account_id: String,
    pub resource: String,
    /// The permission now (empty when removed).
    pub permission: String,
    /// The permission at the previous snapshot (empty when added).
    pub previous_permission: String,
    pub via: String,
}

impl AccessChangeRow {
    /// What identifies the grant within its organisation, in words: the key AC-05
    /// compares the snapshots by (`user alice on acme/web via direct`).
    pub fn grant(&self) -> String {
        let who = if self.account_id.is_empty() {
            &self.account
        } else {
            &self.account_id
        };
        format!(
            "{} {who} on {} via {}",
            self.account_type, self.resource, self.via
        )
    }
}

fn kind_name(kind: ActorKind) -> &'static str {
    match kind {
        ActorKind::User => "user",
        ActorKind::Bot => "bot",
        ActorKind::Organization => "organization",
        ActorKind::Mannequin => "mannequin",
        ActorKind::Other => "other",
    }
}

pub fn account_rows(facts: &AccessFacts<'_>) -> Vec<AccountRow> {
    facts
        .accounts
        .iter()
        .map(|a| {
            let row = a.roster.row();
            let mut direct: Vec<String> = a
                .direct
                .iter()
                .map(|c| format!("{} ({})", c.repo, c.permission))
                .collect();
            direct.sort();
            AccountRow {
                source: a.source.to_string(),
                org: a.org.clone(),
                login: a.login.clone(),
                kind: kind_name(a.kind).into(),
                affiliation: a.affiliation().into(),
                role: a.role().into(),
                two_factor: match (a.in_org_lists(), a.two_factor()) {
                    (false, _) => String::new(),
                    (true, Some(true)) => "enabled".into(),
                    (true, Some(false)) => "disabled".into(),
                    (true, None) => "unknown".into(),
                },
                direct_repos: direct,
                roster_match: a.roster.name().into(),
                roster_line: row.map(|r| r.line),
                roster_name: row.map(|r| r.name.clone()).unwrap_or_default(),
                roster_status: row.map(|r| r.status.to_string()).unwrap_or_default(),
                termination_date: row.and_then(|r| r.termination_date),
            }
        })
        .collect()
}

pub fn credential_rows(
    evidence: &Evidence,
    facts: &AccessFacts<'_>,
    sources: &[Source],
) -> Vec<CredentialRow> {
    let days = |t: Timestamp| (facts.snapshot - t).num_days();
    let mut rows: Vec<CredentialRow> = evidence
        .access
        .deploy_keys
        .iter()
        .filter(|k| in_scope(sources, &k.source, &k.repo))
        .map(|k| CredentialRow {
            source: k.source.clone(),
            kind: "deploy_key".into(),
            scope: "repo".into(),
            owner: k.repo.clone(),
            id: k.id.to_string(),
            name: k.title.clone(),
            read_only: Some(k.read_only),
            allowed: (!k.read_only)
                .then(|| super::access::allowed_write_key(facts.params, &k.repo, &k.title, k.id)),
            created_at: k.created_at,
            updated_at: None,
            last_used: k.last_used,
            age_days: days(k.created_at),
        })
        .collect();
    rows.extend(
        evidence
            .access
            .secrets
            .iter()
            .filter(|s| s.scope != "repo" || in_scope(sources, &s.source, &s.owner))
            .map(|s| CredentialRow {
                source: s.source.clone(),
                kind: "secret".into(),
                scope: s.scope.clone(),
                owner: s.owner.clone(),
                id: s.name.clone(),
                name: s.name.clone(),
                read_only: None,
                allowed: None,
                created_at: s.created_at,
                updated_at: Some(s.updated_at),
                last_used: None,
                age_days: days(s.updated_at),
            }),
    );
    rows.sort_by(|a, b| (&a.kind, &a.owner, &a.id).cmp(&(&b.kind, &b.owner, &b.id)));
    rows
}

/// The grant changes between the previous snapshot and this one, sorted by (org, resource,
/// account, via); `None` without a previous snapshot.
pub fn access_changes(facts: &AccessFacts<'_>) -> Option<Vec<AccessChangeRow>> {
    let previous = facts.previous_grants.as_ref()?;
    let index = |grants: &[GrantRow]| {
        grants
            .iter()
            .map(|g| (g.key(), g.clone()))
            .collect::<std::collections::BTreeMap<_, _>>()
    };
    let (before, now) = (index(previous), index(&facts.grants));
    let row = |change: &str, g: &GrantRow, permission: &str, previous: &str| AccessChangeRow {
        org: g.org.clone(),
        change: change.into(),
        account_type: g.account_type.clone(),
        account: g.account.clone(),
        account_id: g.account_id.clone(),
        resource: g.resource.clone(),
        permission: permission.into(),
        previous_permission: previous.into(),
        via: g.via.clone(),
    };
    let mut rows = Vec::new();
    for (key, g) in &now {
        match before.get(key) {
            None => rows.push(row("added", g, &g.permission, "")),
            Some(old) if old.permission != g.permission => {
                rows.push(row("changed", g, &g.permission, &old.permission));
            }
            Some(_) => {}
        }
    }
    for (key, g) in &before {
        if !now.contains_key(key) {
            rows.push(row("removed", g, "", &g.permission));
        }
    }
    rows.sort_by(|a, b| {
        (
            a.org.to_ascii_lowercase(),
            a.resource.to_ascii_lowercase(),
            a.account.to_ascii_lowercase(),
            &a.via,
            &a.change,
        )
            .cmp(&(
                b.org.to_ascii_lowercase(),
                b.resource.to_ascii_lowercase(),
                b.account.to_ascii_lowercase(),
                &b.via,
                &b.change,
            ))
    });
    Some(rows)
}
