//! AC-03: privileged access is limited: org owners at most `max_org_owners`; outside
//! collaborators at most read on in-scope repositories; repository admins (directly or
//! through a team) in `approved_admins` when that list is given. Org owners administer
//! every repository by their role: they are judged by the owner count, not as admins.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::evaluate::access::{above_read, approved_admin, in_scope, is_admin};
use crate::evaluate::context::{Context, owner};
use crate::evaluate::outcome::{Finding, Judgement, Outcome, PopulationKind};
use crate::findings::SubjectType;
use crate::model::login_key;

use super::ac01::account_caveats;
use super::{ControlDef, detail, people};

kinds! {
    pub enum Kind {
        ExcessOrgOwners => "excess_org_owners",
        OutsideCollaboratorWrite => "outside_collaborator_write",
        UnapprovedAdmin => "unapproved_admin",
    }
}

pub const DEF: ControlDef = ControlDef {
    id: "AC-03",
    kinds: Kind::NAMES,
    population: PopulationKind {
        evidence_type: "org_members",
        noun: "privileged access records",
    },
    run,
};

/// An account's admin permission on a repository: its login as first seen, the routes
/// (direct, teams) and their evidence.
type AdminGrant = (String, Vec<String>, Vec<crate::model::EvidenceRef>);

/// One privileged access record of the AC-03 population (SPEC §6 row).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrivilegedRow {
    pub org: String,
    /// `org owners`, `outside collaborator` or `repository admin`.
    pub record: String,
    /// The organisation (owner lists) or the repository.
    pub resource: String,
    /// The account (empty for an owner list).
    pub account: String,
    /// `owner`, the outside collaborator's permission, or `admin`.
    pub permission: String,
    /// Owner lists: the owners; repository admins: the routes (`direct collaborator`,
    /// `team @acme/platform`).
    pub members: Vec<String>,
    /// The record as the control's reason names it: `acme owners`, `@bob on acme/web`,
    /// `@bob admin of acme/web`.
    pub label: String,
}

fn run(ctx: &Context<'_>) -> Outcome {
    let mut outcome = Outcome::new(account_caveats(ctx, &["repo_collaborators", "teams"]));
    for (row, judgement) in records(ctx) {
        outcome.record(row.label, judgement);
    }
    outcome
}

/// The AC-03 population rows, in the order the control judges them.
pub fn rows(ctx: &Context<'_>) -> Vec<PrivilegedRow> {
    records(ctx).into_iter().map(|(row, _)| row).collect()
}

fn records(ctx: &Context<'_>) -> Vec<(PrivilegedRow, Judgement)> {
    let access = &ctx.access;
    let params = access.params;
    let sources = access.sources;
    let mut records = Vec::new();

    // 1. Owners, one record per organisation.
    let mut owners: BTreeMap<String, (String, Vec<&str>, Vec<crate::model::EvidenceRef>)> =
        BTreeMap::new();
    for a in &access.accounts {
        if a.member.is_some() {
            let entry = owners
                .entry(a.org.to_ascii_lowercase())
                .or_insert_with(|| (a.org.clone(), Vec::new(), Vec::new()));
            if a.is_owner() {
                entry.1.push(&a.login);
                entry.2.extend(a.evidence());
            }
        }
    }
    for (org, list, evidence) in owners.into_values() {
        let judgement = if list.len() as u64 <= u64::from(params.max_org_owners) {
            Judgement::Pass
        } else {
            Judgement::Fail(vec![Finding {
                kind: Kind::ExcessOrgOwners.as_str(),
                repo: org.clone(),
                subject_type: SubjectType::Org,
                subject: org.clone(),
                summary: format!(
                    "{org} has {} owners ({}), more than max_org_owners = {}",
                    list.len(),
                    people(&list),
                    params.max_org_owners
                ),
                url: format!("https://github.com/orgs/{org}/people?query=role%3Aowner"),
                evidence,
                detail: detail([
                    ("owners", json!(list)),
                    ("max_org_owners", json!(params.max_org_owners)),
                ]),
            }])
        };
        records.push((
            PrivilegedRow {
                org: org.clone(),
                record: "org owners".into(),
                resource: org.clone(),
                account: String::new(),
                permission: "owner".into(),
                members: list.iter().map(|l| l.to_string()).collect(),
                label: format!("{org} owners"),
            },
            judgement,
        ));
    }

    // 2. Outside collaborators' direct grants on in-scope repositories.
    for a in access.accounts.iter().filter(|a| a.outside.is_some()) {
        for c in &a.direct {
            let judgement = if !above_read(&c.permission) {
                Judgement::Pass
            } else {
                Judgement::Fail(vec![Finding {
                    kind: Kind::OutsideCollaboratorWrite.as_str(),
                    repo: c.repo.clone(),
                    subject_type: SubjectType::Account,
                    subject: a.login.clone(),
                    summary: format!(
                        "outside collaborator @{} has {} on {} (at most read is allowed)",
                        a.login, c.permission, c.repo
                    ),
                    url: format!("https://github.com/{}/settings/access", c.repo),
                    evidence: c
                        .evidence
                        .iter()
                        .cloned()
                        .chain(a.outside.iter().flat_map(|o| o.evidence.iter().cloned()))
                        .collect(),
                    detail: detail([("permission", json!(c.permission))]),
                }])
            };
            records.push((
                PrivilegedRow {
                    org: a.org.clone(),
                    record: "outside collaborator".into(),
                    resource: c.repo.clone(),
                    account: a.login.clone(),
                    permission: c.permission.clone(),
                    members: Vec::new(),
                    label: format!("@{} on {}", a.login, c.repo),
                },
                judgement,
            ));
        }
    }

    // 3. Repository admins other than org owners, when an approved list is given.
    if params.approved_admins.is_empty() {
        return records;
    }
    let owner_keys: Vec<(String, String)> = access
        .accounts
        .iter()
        .filter(|a| a.is_owner())
        .map(|a| (a.org.to_ascii_lowercase(), login_key(&a.login)))
        .collect();
    let mut admins: BTreeMap<(String, String), AdminGrant> = BTreeMap::new();
    let evidence = ctx.index.evidence;
    for c in &evidence.access.repo_collaborators {
        if is_admin(&c.permission) && in_scope(sources, &c.source, &c.repo) {
            let e = admins
                .entry((c.repo.clone(), login_key(&c.login)))
                .or_insert_with(|| (c.login.clone(), Vec::new(), Vec::new()));
            e.1.push("direct collaborator".into());
            e.2.extend(c.evidence.iter().cloned());
        }
    }
    for team in &evidence.access.teams {
        for repo in team
            .repos
            .iter()
            .filter(|r| is_admin(&r.permission) && in_scope(sources, &team.source, &r.repo))
        {
            for member in &team.members {
                let e = admins
                    .entry((repo.repo.clone(), login_key(member)))
                    .or_insert_with(|| (member.clone(), Vec::new(), Vec::new()));
                e.1.push(format!("team @{}/{}", team.org, team.slug));
                e.2.extend(team.evidence.iter().cloned());
            }
        }
    }
    for ((repo, key), (login, routes, evidence)) in admins {
        if owner_keys.contains(&(owner(&repo).to_ascii_lowercase(), key)) {
            continue;
        }
        let judgement = if approved_admin(params, &login) {
            Judgement::Pass
        } else {
            Judgement::Fail(vec![Finding {
                kind: Kind::UnapprovedAdmin.as_str(),
                repo: repo.clone(),
                subject_type: SubjectType::Account,
                subject: login.clone(),
                summary: format!(
                    "@{login} is an admin of {repo} ({}) but not in approved_admins",
                    routes.join(", ")
                ),
                url: format!("https://github.com/{repo}/settings/access"),
                evidence,
                detail: detail([("via", json!(routes))]),
            }])
        };
        records.push((
            PrivilegedRow {
                org: owner(&repo).to_string(),
                record: "repository admin".into(),
                resource: repo.clone(),
                account: login.clone(),
                permission: "admin".into(),
                members: routes,
                label: format!("@{login} admin of {repo}"),
            },
            judgement,
        ));
    }
    records
}

#[cfg(test)]
mod tests {
    use crate::evaluate::testkit::*;
    use crate::findings::ResultKind;

    #[test]
    fn more_owners_than_allowed_is_one_org_exception() {
        let mut kit = Kit::new();
        kit.access_lists();
        for login in ["a", "b", "c"] {
            kit.member(login, "admin", Some(true));
        }
        kit.member("d", "member", Some(true));
        let eval = kit.run();
        assert_eq!(
            eval.kinds("AC-03"),
            [],
            "three owners are allowed by default"
        );
        assert_eq!(eval.result("AC-03").result, ResultKind::Effective);

        kit.config.access.max_org_owners = 2;
        let eval = kit.run();
        assert_eq!(
            eval.kinds("AC-03"),
            [("acme/org/acme".into(), "excess_org_owners".into())]
        );
        assert_eq!(
            eval.exception("AC-03/acme/org/acme/excess_org_owners")
                .summary,
            "acme has 3 owners (@a, @b and @c), more than max_org_owners = 2"
        );
    }

    #[test]
    fn outside_collaborator_above_read_is_an_exception() {
        let mut kit = Kit::new();
        kit.access_lists();
        kit.outside("agency", Some(true));
        kit.outside("designer", Some(true));
        kit.collaborator("acme/api", "agency", "write");
        kit.collaborator("acme/payments", "agency", "read");
        kit.collaborator("acme/api", "designer", "read");
        kit.collaborator("acme/payments", "designer", "triage");
        // A member with write is no outside collaborator.
        kit.member("bob", "member", Some(true));
        kit.collaborator("acme/api", "bob", "write");
        let eval = kit.run();
        assert_eq!(
            eval.kinds("AC-03"),
            [
                (
                    "acme/api/account/agency".into(),
                    "outside_collaborator_write".into()
                ),
                (
                    "acme/payments/account/designer".into(),
                    "outside_collaborator_write".into()
                ),
            ]
        );
        assert_eq!(
            eval.exception("AC-03/acme/api/account/agency/outside_collaborator_write")
                .summary,
            "outside collaborator @agency has write on acme/api (at most read is allowed)"
        );
        // Org owners record + four outside grants.
        assert_eq!(eval.result("AC-03").population, 5);
    }

    #[test]
    fn admins_are_tested_only_against_a_given_list() {
        let mut kit = Kit::new();
        kit.access_lists();
        kit.member("owner1", "admin", Some(true));
        kit.member("dana", "member", Some(true));
        kit.member("erik", "member", Some(true));
        kit.collaborator("acme/api", "owner1", "admin");
        kit.collaborator("acme/api", "dana", "admin");
        kit.collaborator("acme/api", "erik", "maintain");
        kit.team(
            "platform",
            &["erik", "Dana"],
            &[("acme/payments", "admin"), ("acme/api", "admin")],
        );
        let eval = kit.run();
        assert_eq!(
            eval.kinds("AC-03"),
            [],
            "no approved_admins: admins are not tested"
        );
        assert_eq!(eval.result("AC-03").population, 1);

        kit.config.access.approved_admins = vec!["DANA".into()];
        let eval = kit.run();
        assert_eq!(
            eval.kinds("AC-03"),
            [
                ("acme/api/account/erik".into(), "unapproved_admin".into()),
                (
                    "acme/payments/account/erik".into(),
                    "unapproved_admin".into()
                ),
            ]
        );
        assert_eq!(
            eval.exception("AC-03/acme/api/account/erik/unapproved_admin")
                .summary,
            "@erik is an admin of acme/api (team @acme/platform) but not in approved_admins"
        );
        // owners (1) + dana api, dana payments, erik api, erik payments; owner1 is judged
        // by the owner count only.
        assert_eq!(eval.result("AC-03").population, 5);
    }
}
