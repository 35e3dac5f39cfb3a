//! Who has access: organisation members and owners, outside collaborators, their
//! two-factor status, and direct repository collaborators.
//!
//! Two-factor status comes from GitHub's `filter=2fa_disabled` lists: an account on the
//! list has 2FA disabled, every other account has it enabled — but only when the whole
//! list was obtained. If any page of it failed, or it was never fetched, the status is
//! unknown (`None`), never assumed.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use serde_json::Value;

use super::Origin;
use super::call::MemberList;
use super::de::{ShapeError, parse};
use super::ipe::Yield;
use super::rest_deployments::UserItem;
use crate::model::{
    ActorKind, EvidenceRef, OrgMember, OutsideCollaborator, RepoCollaborator, login_key,
};

#[derive(Deserialize)]
struct CollaboratorItem {
    login: String,
    #[serde(rename = "type")]
    kind: Option<String>,
    role_name: Option<String>,
    permissions: Option<Permissions>,
}

/// Repository permission flags (collaborators, team repositories).
#[derive(Deserialize)]
pub(super) struct Permissions {
    #[serde(default)]
    admin: bool,
    #[serde(default)]
    maintain: bool,
    #[serde(default)]
    push: bool,
    #[serde(default)]
    triage: bool,
    #[serde(default)]
    pull: bool,
}

/// The permission GitHub names in `role_name`, else the highest flag that is set.
pub(super) fn permission_name(
    role_name: Option<String>,
    permissions: Option<&Permissions>,
    path: impl FnOnce() -> String,
) -> Result<String, ShapeError> {
    if let Some(role) = role_name.filter(|r| !r.is_empty()) {
        return Ok(role);
    }
    let Some(p) = permissions else {
        return Err(ShapeError::new(
            path(),
            "neither `role_name` nor `permissions` is given",
        ));
    };
    let name = if p.admin {
        "admin"
    } else if p.maintain {
        "maintain"
    } else if p.push {
        "write"
    } else if p.triage {
        "triage"
    } else if p.pull {
        "read"
    } else {
        "none"
    };
    Ok(name.to_string())
}

#[derive(Debug)]
struct Account {
    login: String,
    kind: ActorKind,
    evidence: Vec<EvidenceRef>,
}

/// One 2FA-disabled list: who is on it and whether all of it was obtained.
#[derive(Debug, Default)]
struct TwoFactorList {
    disabled: BTreeSet<String>,
    obtained: bool,
    failed: bool,
}

impl TwoFactorList {
    fn status(&self, key: &str) -> Option<bool> {
        (self.obtained && !self.failed).then(|| !self.disabled.contains(key))
    }
}

#[derive(Debug, Default)]
struct OrgAccess {
    members: BTreeMap<String, Account>,
    owners: BTreeSet<String>,
    members_2fa: TwoFactorList,
    outside: BTreeMap<String, Account>,
    outside_2fa: TwoFactorList,
}

#[derive(Debug, Default)]
pub struct AccessLists {
    /// (source, org) → lists.
    orgs: BTreeMap<(String, String), OrgAccess>,
    repo_collaborators: BTreeMap<(String, String, String), RepoCollaborator>,
}

fn add_account(
    accounts: &mut BTreeMap<String, Account>,
    user: UserItem,
    evidence: EvidenceRef,
) -> String {
    let key = login_key(&user.login);
    let actor = user.actor();
    let account = accounts.entry(key.clone()).or_insert_with(|| Account {
        login: actor.login.to_string(),
        kind: actor.kind,
        evidence: Vec::new(),
    });
    account.evidence.push(evidence);
    key
}

impl AccessLists {
    fn org(&mut self, origin: &Origin<'_>, org: &str) -> &mut OrgAccess {
        self.orgs
            .entry((origin.source.to_string(), org.to_string()))
            .or_default()
    }

    pub fn members(
        &mut self,
        origin: &Origin<'_>,
        org: &str,
        list: MemberList,
        body: &Value,
    ) -> Result<Yield, ShapeError> {
        let users: Vec<UserItem> = parse(body)?;
        let access = self.org(origin, org);
        if list == MemberList::TwoFactorDisabled {
            access.members_2fa.obtained = true;
        }
        let mut keys = Vec::with_capacity(users.len());
        for (i, user) in users.into_iter().enumerate() {
            let key = add_account(&mut access.members, user, origin.evidence(&format!("/{i}")));
            match list {
                MemberList::Owners => {
                    access.owners.insert(key.clone());
                }
                MemberList::TwoFactorDisabled => {
                    access.members_2fa.disabled.insert(key.clone());
                }
                MemberList::All => {}
            }
            keys.push(key);
        }
        Ok(Yield::records(keys))
    }

    pub fn outside_collaborators(
        &mut self,
        origin: &Origin<'_>,
        org: &str,
        two_factor_disabled: bool,
        body: &Value,
    ) -> Result<Yield, ShapeError> {
        let users: Vec<UserItem> = parse(body)?;
        let access = self.org(origin, org);
        if two_factor_disabled {
            access.outside_2fa.obtained = true;
        }
        let mut keys = Vec::with_capacity(users.len());
        for (i, user) in users.into_iter().enumerate() {
            let key = add_account(&mut access.outside, user, origin.evidence(&format!("/{i}")));
            if two_factor_disabled {
                access.outside_2fa.disabled.insert(key.clone());
            }
            keys.push(key);
        }
        Ok(Yield::records(keys))
    }

    /// A 2FA-disabled list could not be obtained (in full): statuses become unknown.
    pub fn two_factor_failed(&mut self, origin: &Origin<'_>, org: &str, outside: bool) {
        let access = self.org(origin, org);
        if outside {
            access.outside_2fa.failed = true;
        } else {
            access.members_2fa.failed = true;
        }
    }

    pub fn repo_collaborators(
        &mut self,
        origin: &Origin<'_>,
        repo: &str,
        body: &Value,
    ) -> Result<Yield, ShapeError> {
        let items: Vec<CollaboratorItem> = parse(body)?;
        let mut keys = Vec::with_capacity(items.len());
        for (i, item) in items.into_iter().enumerate() {
            let permission = permission_name(item.role_name, item.permissions.as_ref(), || {
                format!("[{i}]")
            })?;
            let key = login_key(&item.login);
            keys.push(key.clone());
            self.repo_collaborators.insert(
                (origin.source.to_string(), repo.to_string(), key),
                RepoCollaborator {
                    source: origin.source.to_string(),
                    repo: repo.to_string(),
                    kind: ActorKind::from_github_type(item.kind.as_deref().unwrap_or("")),
                    login: item.login,
                    permission,
                    evidence: vec![origin.evidence(&format!("/{i}"))],
                },
            );
        }
        Ok(Yield::records(keys))
    }

    pub fn finish(
        self,
    ) -> (
        Vec<OrgMember>,
        Vec<OutsideCollaborator>,
        Vec<RepoCollaborator>,
    ) {
        let mut members = Vec::new();
        let mut outside = Vec::new();
        for ((source, org), access) in self.orgs {
            for (key, account) in access.members {
                members.push(OrgMember {
                    source: source.clone(),
                    org: org.clone(),
                    two_factor_enabled: access.members_2fa.status(&key),
                    role: if access.owners.contains(&key) {
                        "admin"
                    } else {
                        "member"
                    }
                    .to_string(),
                    login: account.login,
                    kind: account.kind,
                    evidence: account.evidence,
                });
            }
            for (key, account) in access.outside {
                outside.push(OutsideCollaborator {
                    source: source.clone(),
                    org: org.clone(),
                    two_factor_enabled: access.outside_2fa.status(&key),
                    login: account.login,
                    evidence: account.evidence,
                });
            }
        }
        (
            members,
            outside,
            self.repo_collaborators.into_values().collect(),
        )
    }
}
