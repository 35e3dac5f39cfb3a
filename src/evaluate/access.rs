//! Access facts for AC-01..AC-05, derived once: the accounts per organisation (members,
//! outside collaborators, direct repository collaborators) with their roster match, and
//! every access grant (org role, team membership, repository permission directly or
//! through a team, deploy key, secret) at the snapshot and at the previous snapshot.
//!
//! Scope: records of repositories the config's `[[source]] repos`/`exclude` leave out
//! are not access to the audited system and are left out; everything else counts.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::config::{AccessParams, Source};
use crate::inputs::{Inputs, PreviousAccess};
use crate::model::{
    Access, ActorKind, Evidence, OrgMember, OutsideCollaborator, RepoCollaborator, Timestamp,
    login_key,
};
use crate::roster::{Roster, RosterRow, RosterStatus};
use crate::util::glob_match;

use super::context::owner;
use super::identity::People;

/// One account with access to an organisation (AC-01, AC-02).
#[derive(Debug, Clone)]
pub struct OrgAccount<'a> {
    pub source: &'a str,
    pub org: String,
    /// As the API returned it (members list first).
    pub login: String,
    pub kind: ActorKind,
    pub member: Option<&'a OrgMember>,
    pub outside: Option<&'a OutsideCollaborator>,
    /// Direct collaborator entries on the org's in-scope repositories.
    pub direct: Vec<&'a RepoCollaborator>,
    pub roster: RosterMatch<'a>,
}

impl OrgAccount<'_> {
    /// AC-01's population: members and outside collaborators.
    pub fn in_org_lists(&self) -> bool {
        self.member.is_some() || self.outside.is_some()
    }

    pub fn is_owner(&self) -> bool {
        self.member.is_some_and(|m| m.role == "admin")
    }

    pub fn affiliation(&self) -> &'static str {
        if self.member.is_some() {
            "member"
        } else if self.outside.is_some() {
            "outside collaborator"
        } else {
            "repository collaborator"
        }
    }

    pub fn role(&self) -> &'static str {
        match self.member {
            Some(m) if m.role == "admin" => "owner",
            Some(_) => "member",
            None => "",
        }
    }

    /// `Some(false)` when either list says 2FA is disabled.
    pub fn two_factor(&self) -> Option<bool> {
        let statuses = [
            self.member.map(|m| m.two_factor_enabled),
            self.outside.map(|o| o.two_factor_enabled),
        ];
        let known: Vec<Option<bool>> = statuses.into_iter().flatten().collect();
        if known.contains(&Some(false)) {
            Some(false)
        } else if !known.is_empty() && known.iter().all(Option::is_some) {
            Some(true)
        } else {
            None
        }
    }

    pub fn evidence(&self) -> Vec<crate::model::EvidenceRef> {
        self.member
            .iter()
            .flat_map(|m| m.evidence.iter().cloned())
            .chain(self.outside.iter().flat_map(|o| o.evidence.iter().cloned()))
            .chain(self.direct.iter().flat_map(|c| c.evidence.iter().cloned()))
            .collect()
    }
}

/// How an account was joined against the HR roster (AC-02).
#[derive(Debug, Clone, PartialEq)]
pub enum RosterMatch<'a> {
    /// No roster is configured.
    NoRoster,
    /// An app's bot account (type Bot or a login ending in `[bot]`): an installation, not
    /// a person or a credential a roster can list.
    AppBot,
    /// Listed in `[access].service_accounts`.
    ServiceAccount,
    Login(&'a RosterRow),
    /// The roster row's email is one the evidence links to the account.
    Email(&'a RosterRow),
    Unmatched,
}

impl RosterMatch<'_> {
    pub fn name(&self) -> &'static str {
        match self {
            RosterMatch::NoRoster => "no roster",
            RosterMatch::AppBot => "app bot",
            RosterMatch::ServiceAccount => "service account",
            RosterMatch::Login(_) => "login",
            RosterMatch::Email(_) => "email",
            RosterMatch::Unmatched => "none",
        }
    }

    pub fn row(&self) -> Option<&RosterRow> {
        match self {
            RosterMatch::Login(row) | RosterMatch::Email(row) => Some(row),
            _ => None,
        }
    }
}

/// One access grant: (account, resource, permission) and how it is given.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct GrantRow {
    pub org: String,
    /// `user`, `bot`, `deploy_key` or `secret`.
    pub account_type: String,
    /// Login, deploy key title or secret name.
    pub account: String,
    /// The deploy key id; empty otherwise.
    pub account_id: String,
    /// The org login, `owner/name`, or a team (`@acme/platform`).
    pub resource: String,
    /// `owner`, `member`, `outside collaborator`, `read` … `admin` (or a custom role),
    /// `write`/`read` for deploy keys, `use` for secrets.
    pub permission: String,
    /// `org role`, `team membership`, `team @acme/platform`, `direct`, `deploy key`,
    /// `secret`.
    pub via: String,
}

impl GrantRow {
    /// What identifies a grant across snapshots; the permission may change under it.
    pub fn key(&self) -> (String, String, String, String, String) {
        let who = if self.account_id.is_empty() {
            self.account.to_ascii_lowercase()
        } else {
            self.account_id.clone()
        };
        (
            self.org.to_ascii_lowercase(),
            self.account_type.clone(),
            who,
            self.resource.to_ascii_lowercase(),
            self.via.to_ascii_lowercase(),
        )
    }
}

/// The access facts of one evaluation.
pub struct AccessFacts<'a> {
    pub snapshot: Timestamp,
    pub params: &'a AccessParams,
    /// The configured sources (their repository globs decide what is in scope).
    pub sources: &'a [Source],
    pub previous: Option<&'a PreviousAccess>,
    /// Sorted by (org, login key).
    pub accounts: Vec<OrgAccount<'a>>,
    /// Every grant at the snapshot, sorted.
    pub grants: Vec<GrantRow>,
    /// Every grant at the previous snapshot, sorted.
    pub previous_grants: Option<Vec<GrantRow>>,
}

impl<'a> AccessFacts<'a> {
    pub fn build(
        evidence: &'a Evidence,
        params: &'a AccessParams,
        sources: &'a [Source],
        people: &People,
        inputs: &'a Inputs,
    ) -> AccessFacts<'a> {
        let roster = inputs.roster.as_ref().map(|r| &r.roster);
        let previous = inputs.previous.as_ref().map(|p| &p.snapshot);
        let scoped = |source: &str, repo: &str| in_scope(sources, source, repo);
        let access = &evidence.access;
        let mut accounts: BTreeMap<(String, String), OrgAccount<'a>> = BTreeMap::new();
        fn entry<'m, 'a>(
            accounts: &'m mut BTreeMap<(String, String), OrgAccount<'a>>,
            source: &'a str,
            org: &str,
            login: &str,
            kind: ActorKind,
        ) -> &'m mut OrgAccount<'a> {
            accounts
                .entry((org.to_ascii_lowercase(), login_key(login)))
                .or_insert_with(|| OrgAccount {
                    source,
                    org: org.to_string(),
                    login: login.to_string(),
                    kind,
                    member: None,
                    outside: None,
                    direct: Vec::new(),
                    roster: RosterMatch::NoRoster,
                })
        }
        for m in &access.org_members {
            entry(&mut accounts, &m.source, &m.org, &m.login, m.kind).member = Some(m);
        }
        for o in &access.outside_collaborators {
            entry(&mut accounts, &o.source, &o.org, &o.login, ActorKind::User).outside = Some(o);
        }
        for c in &access.repo_collaborators {
            if scoped(&c.source, &c.repo) {
                entry(&mut accounts, &c.source, owner(&c.repo), &c.login, c.kind)
                    .direct
                    .push(c);
            }
        }
        let mut accounts: Vec<OrgAccount<'a>> = accounts.into_values().collect();
        for account in &mut accounts {
            account.roster = roster_match(account, params, roster, people);
        }
        let grants = grants(access, &scoped);
        let previous_grants = previous.map(|p| grants_of(&p.access, sources));
        AccessFacts {
            snapshot: evidence.snapshot_time,
            params,
            sources,
            previous,
            accounts,
            grants,
            previous_grants,
        }
    }

    /// The snapshot's date (UTC): a termination dated before it ended access rights.
    pub fn snapshot_date(&self) -> NaiveDate {
        self.snapshot.date_naive()
    }
}

fn is_service_account(params: &AccessParams, login: &str) -> bool {
    params
        .service_accounts
        .iter()
        .any(|s| s.eq_ignore_ascii_case(login))
}

/// Whether a repository's records are in the audit's scope: a repository of a
/// configured source whose globs leave it out is not.
pub fn in_scope(sources: &[Source], source: &str, repo: &str) -> bool {
    let name = repo.rsplit('/').next().unwrap_or(repo);
    sources
        .iter()
        .find(|s| s.name == source)
        .is_none_or(|s| s.includes_repo(name))
}

fn roster_match<'r>(
    account: &OrgAccount<'_>,
    params: &AccessParams,
    roster: Option<&'r Roster>,
    people: &People,
) -> RosterMatch<'r> {
    let Some(roster) = roster else {
        return RosterMatch::NoRoster;
    };
    if account.kind == ActorKind::Bot || login_key(&account.login).ends_with("[bot]") {
        return RosterMatch::AppBot;
    }
    if is_service_account(params, &account.login) {
        return RosterMatch::ServiceAccount;
    }
    if let Some(row) = roster.by_login(&account.login) {
        return RosterMatch::Login(row);
    }
    let key = login_key(&account.login);
    // Roster rows whose email the evidence links to this login, in file order.
    roster
        .rows
        .iter()
        .filter(|row| row.login.is_none())
        .find(|row| {
            row.email
                .as_deref()
                .is_some_and(|e| people.logins_with_email(e).contains(&key))
        })
        .map_or(RosterMatch::Unmatched, RosterMatch::Email)
}

/// Whether a roster row's termination took effect before the snapshot date.
pub fn terminated_before(row: &RosterRow, snapshot: NaiveDate) -> bool {
    row.status == RosterStatus::Terminated && row.termination_date.is_some_and(|d| d < snapshot)
}

fn grants_of(access: &Access, sources: &[Source]) -> Vec<GrantRow> {
    grants(access, &|s, r| in_scope(sources, s, r))
}

fn account_type(kind: ActorKind, login: &str) -> &'static str {
    if kind == ActorKind::Bot || login_key(login).ends_with("[bot]") {
        "bot"
    } else {
        "user"
    }
}

/// Every grant of the access lists, sorted and without repeats.
pub fn grants(access: &Access, in_scope: &dyn Fn(&str, &str) -> bool) -> Vec<GrantRow> {
    let mut out = Vec::new();
    let grant = |org: &str,
                 kind: &str,
                 account: &str,
                 id: String,
                 resource: &str,
                 permission: &str,
                 via: String| GrantRow {
        org: org.to_string(),
        account_type: kind.to_string(),
        account: account.to_string(),
        account_id: id,
        resource: resource.to_string(),
        permission: permission.to_string(),
        via,
    };
    for m in &access.org_members {
        let role = if m.role == "admin" { "owner" } else { "member" };
        out.push(grant(
            &m.org,
            account_type(m.kind, &m.login),
            &m.login,
            String::new(),
            &m.org,
            role,
            "org role".into(),
        ));
    }
    for o in &access.outside_collaborators {
        out.push(grant(
            &o.org,
            "user",
            &o.login,
            String::new(),
            &o.org,
            "outside collaborator",
            "org role".into(),
        ));
    }
    for team in &access.teams {
        let name = format!("@{}/{}", team.org, team.slug);
        for member in &team.members {
            out.push(grant(
                &team.org,
                account_type(ActorKind::User, member),
                member,
                String::new(),
                &name,
                "member",
                "team membership".into(),
            ));
            for repo in team
                .repos
                .iter()
                .filter(|r| in_scope(&team.source, &r.repo))
            {
                out.push(grant(
                    &team.org,
                    account_type(ActorKind::User, member),
                    member,
                    String::new(),
                    &repo.repo,
                    &repo.permission,
                    format!("team {name}"),
                ));
            }
        }
    }
    for c in access
        .repo_collaborators
        .iter()
        .filter(|c| in_scope(&c.source, &c.repo))
    {
        out.push(grant(
            owner(&c.repo),
            account_type(c.kind, &c.login),
            &c.login,
            String::new(),
            &c.repo,
            &c.permission,
            "direct".into(),
        ));
    }
    for k in access
        .deploy_keys
        .iter()
        .filter(|k| in_scope(&k.source, &k.repo))
    {
        out.push(grant(
            owner(&k.repo),
            "deploy_key",
            &k.title,
            k.id.to_string(),
            &k.repo,
            if k.read_only { "read" } else { "write" },
            "deploy key".into(),
        ));
    }
    for s in &access.secrets {
        if s.scope == "repo" && !in_scope(&s.source, &s.owner) {
            continue;
        }
        out.push(grant(
            owner(&s.owner),
            "secret",
            &s.name,
            String::new(),
            &s.owner,
            "use",
            "secret".into(),
        ));
    }
    out.sort();
    out.dedup_by(|a, b| a.key() == b.key() && a.permission == b.permission);
    out
}

/// Whether a repository permission is above read. Custom roles (any other name) build
/// on a base role GitHub does not report here, so they count as above read.
pub fn above_read(permission: &str) -> bool {
    !matches!(
        permission.to_ascii_lowercase().as_str(),
        "read" | "pull" | "none"
    )
}

pub fn is_admin(permission: &str) -> bool {
    permission.eq_ignore_ascii_case("admin")
}

/// Whether a deploy key is listed in `allowed_write_deploy_keys`: same repository, and
/// the entry's title and id (those it gives; it must give one) match.
pub fn allowed_write_key(params: &AccessParams, repo: &str, title: &str, id: u64) -> bool {
    params.allowed_write_deploy_keys.iter().any(|a| {
        a.repo.eq_ignore_ascii_case(repo)
            && (a.title.is_some() || a.id.is_some())
            && a.title.as_deref().is_none_or(|t| t == title)
            && a.id.is_none_or(|i| i == id)
    })
}

/// Whether `login` is in `approved_admins` (globs allowed, case-insensitive).
pub fn approved_admin(params: &AccessParams, login: &str) -> bool {
    let login = login_key(login);
    params
        .approved_admins
        .iter()
        .any(|a| glob_match(&login_key(a), &login))
}
