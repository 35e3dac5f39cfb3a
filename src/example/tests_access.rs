//! Tests of the example's access cases: an oracle over the world's access plan (written
//! from the people table and the plans, independently of `evaluate`), the planted cases
//! at every size, the checked-in roster, and the previous quarter's grant changes.

use std::collections::{BTreeMap, BTreeSet};

use super::people::{CommitEmail, Kind, OrgRole};
use super::scenarios_access::{ACCESS_CHANGES, previous_plan};
use super::world::{AccessPlan, World};
use super::*;
use crate::config::Config;
use crate::findings::{Exception, SubjectType};
use crate::roster::RosterStatus;

fn config() -> Config {
    example_config().expect("the example config parses")
}

fn world(changes: usize, seed: u64) -> World {
    build_world(ExampleParams { seed, changes }, &config())
}

fn id(control: &str, repo: &str, st: SubjectType, subject: &str, kind: &str) -> String {
    Exception::make_id(control, repo, st, subject, kind)
}

/// The access exceptions the world holds, by the SPEC's rules applied to the plan.
pub(super) fn oracle(w: &World, config: &Config) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    let people = &w.people;
    let access = &config.access;
    let org = world::ORG;
    let in_org: Vec<usize> = (0..people.accounts.len())
        .filter(|a| {
            matches!(
                people.get(*a).role,
                OrgRole::Owner | OrgRole::Member | OrgRole::Outside
            )
        })
        .collect();
    // AC-01.
    for a in &in_org {
        if !people.get(*a).two_factor {
            let login = &people.get(*a).login;
            ids.insert(id(
                "AC-01",
                org,
                SubjectType::Account,
                login,
                "mfa_disabled",
            ));
        }
    }
    // AC-02: roster rows by login, else by the person's work email.
    let mut accounts: BTreeSet<usize> = in_org.iter().copied().collect();
    for (r, a, _) in &w.access.collaborators {
        if w.repos[*r].in_scope {
            accounts.insert(*a);
        }
    }
    let snapshot = w.snapshot.date_naive();
    for a in accounts {
        let acct = people.get(a);
        if acct.kind == Kind::Bot
            || access
                .service_accounts
                .iter()
                .any(|s| s.eq_ignore_ascii_case(&acct.login))
        {
            continue;
        }
        let row = w.access.roster.iter().find(|r| {
            r.login
                .as_deref()
                .is_some_and(|l| l.eq_ignore_ascii_case(&acct.login))
                || (r.login.is_none()
                    && matches!(acct.email, CommitEmail::Work(e) if Some(e) == r.email.as_deref()))
        });
        match row {
            None => {
                ids.insert(id(
                    "AC-02",
                    org,
                    SubjectType::Account,
                    &acct.login,
                    "unmapped_account",
                ));
            }
            Some(r)
                if r.status == RosterStatus::Terminated
                    && r.termination_date.is_some_and(|d| d < snapshot) =>
            {
                ids.insert(id(
                    "AC-02",
                    org,
                    SubjectType::Account,
                    &acct.login,
                    "terminated_with_access",
                ));
            }
            Some(_) => {}
        }
    }
    // AC-03.
    let owners = people.owners();
    if owners.len() > access.max_org_owners as usize {
        ids.insert(id("AC-03", org, SubjectType::Org, org, "excess_org_owners"));
    }
    for (r, a, role) in &w.access.collaborators {
        if people.get(*a).role == OrgRole::Outside && *role != "read" && w.repos[*r].in_scope {
            let repo = w.repos[*r].full_name();
            let login = &people.get(*a).login;
            ids.insert(id(
                "AC-03",
                &repo,
                SubjectType::Account,
                login,
                "outside_collaborator_write",
            ));
        }
    }
    let mut admins: BTreeSet<(usize, usize)> = BTreeSet::new();
    for (r, a, role) in &w.access.collaborators {
        if *role == "admin" {
            admins.insert((*r, *a));
        }
    }
    for t in &w.access.teams {
        for (r, role) in &t.repos {
            if *role == "admin" {
                admins.extend(t.members.iter().map(|(a, _)| (*r, *a)));
            }
        }
    }
    for (r, a) in admins {
        let login = &people.get(a).login;
        let approved = access
            .approved_admins
            .iter()
            .any(|x| x.eq_ignore_ascii_case(login));
        if !owners.contains(&a) && !approved && !access.approved_admins.is_empty() {
            let repo = w.repos[r].full_name();
            ids.insert(id(
                "AC-03",
                &repo,
                SubjectType::Account,
                login,
                "unapproved_admin",
            ));
        }
    }
    // AC-04.
    for k in &w.access.deploy_keys {
        let repo = w.repos[k.repo].full_name();
        let listed = access
            .allowed_write_deploy_keys
            .iter()
            .any(|x| x.repo == repo && x.title.as_deref() == Some(k.title));
        if !k.read_only && !listed {
            ids.insert(id(
                "AC-04",
                &repo,
                SubjectType::DeployKey,
                &k.id.to_string(),
                "write_deploy_key",
            ));
        }
    }
    let oldest = w.snapshot - access.max_secret_age.duration();
    let stale =
        |updated: &str| chrono::DateTime::parse_from_rfc3339(updated).expect("plan time") < oldest;
    for (r, s) in &w.access.repo_secrets {
        if stale(s.updated_at) {
            let repo = w.repos[*r].full_name();
            ids.insert(id(
                "AC-04",
                &repo,
                SubjectType::Secret,
                s.name,
                "stale_secret",
            ));
        }
    }
    for s in &w.access.org_secrets {
        if stale(s.updated_at) {
            ids.insert(id(
                "AC-04",
                org,
                SubjectType::Secret,
                s.name,
                "stale_secret",
            ));
        }
    }
    ids
}

#[test]
fn the_access_oracle_finds_exactly_the_planted_access_exceptions_at_every_size() {
    let config = config();
    for (changes, seed) in [(40, 2026), (300, 2026), (60, 3)] {
        let w = world(changes, seed);
        let truth = truth::ground_truth(&w, &config);
        let planted: BTreeSet<String> = truth
            .exceptions
            .iter()
            .filter(|e| e.control.starts_with("AC-"))
            .map(|e| e.id.clone())
            .collect();
        assert_eq!(oracle(&w, &config), planted, "size {changes} seed {seed}");
        let kinds: BTreeSet<&str> = truth
            .exceptions
            .iter()
            .filter(|e| e.control.starts_with("AC-"))
            .map(|e| e.kind.as_str())
            .collect();
        assert_eq!(
            kinds,
            BTreeSet::from([
                "mfa_disabled",
                "terminated_with_access",
                "unmapped_account",
                "excess_org_owners",
                "outside_collaborator_write",
                "unapproved_admin",
                "write_deploy_key",
                "stale_secret",
            ]),
            "every access kind is planted"
        );
        assert_eq!(truth.populations.org_accounts, 29);
        assert_eq!(truth.populations.accounts, 29);
        assert_eq!(truth.populations.credentials, 17);
    }
}

#[test]
fn the_access_oracle_notices_a_changed_plan() {
    let config = config();
    let mut w = world(40, 2026);
    let planted = oracle(&w, &config);
    // Making the read-only deploy key writable raises an exception.
    for k in &mut w.access.deploy_keys {
        if k.title == "argocd-readonly" {
            k.read_only = false;
        }
    }
    let found = oracle(&w, &config);
    let extra: Vec<&String> = found.difference(&planted).collect();
    assert_eq!(
        extra,
        ["AC-04/acme/api/deploy_key/98114503/write_deploy_key"]
    );
}

#[test]
fn the_checked_in_roster_is_the_generators() {
    let generated = example_roster(ExampleParams::default()).expect("roster");
    let shipped = include_str!("../../examples/hr_roster.csv");
    assert_eq!(
        shipped, generated,
        "examples/hr_roster.csv is stale: write the generator's roster there"
    );
    let roster = crate::roster::Roster::parse(shipped.as_bytes(), "examples/hr_roster.csv")
        .expect("the shipped roster parses");
    let terminated: Vec<&str> = roster
        .rows
        .iter()
        .filter(|r| r.status == RosterStatus::Terminated)
        .filter_map(|r| r.login.as_deref())
        .collect();
    assert_eq!(terminated, ["sokafor", "sarah-oconnor", "rgarcia"]);
    // Hannah is matched by email only; service accounts are no people.
    let hannah = roster.by_email("hannah.schaefer@acme.io").expect("row");
    assert_eq!(hannah.login, None);
    assert!(roster.by_login("acme-ci").is_none());
    // The roster is the same at every size and seed.
    assert_eq!(
        example_roster(ExampleParams {
            seed: 3,
            changes: 40
        })
        .expect("roster"),
        generated
    );
}

/// Grants as plain tuples from a plan: (account, resource, permission, via).
fn plan_grants(
    w: &World,
    owners: &[usize],
    members: &[usize],
    outside: &[usize],
    plan: &AccessPlan,
) -> BTreeMap<(String, String, String), String> {
    let login = |a: usize| w.people.get(a).login.clone();
    let mut out = BTreeMap::new();
    for a in members {
        let role = if owners.contains(a) {
            "owner"
        } else {
            "member"
        };
        out.insert((login(*a), "acme".into(), "org".into()), role.into());
    }
    for a in outside {
        out.insert((login(*a), "acme".into(), "org".into()), "outside".into());
    }
    for t in &plan.teams {
        for (a, _) in &t.members {
            out.insert(
                (login(*a), format!("@acme/{}", t.slug), "membership".into()),
                "member".into(),
            );
            for (r, role) in &t.repos {
                out.insert(
                    (login(*a), w.repos[*r].full_name(), t.slug.into()),
                    role.to_string(),
                );
            }
        }
    }
    for (r, a, role) in &plan.collaborators {
        out.insert(
            (login(*a), w.repos[*r].full_name(), "direct".into()),
            role.to_string(),
        );
    }
    for k in &plan.deploy_keys {
        out.insert(
            (k.id.to_string(), w.repos[k.repo].full_name(), "key".into()),
            k.read_only.to_string(),
        );
    }
    for (r, s) in &plan.repo_secrets {
        out.insert(
            (s.name.into(), w.repos[*r].full_name(), "secret".into()),
            String::new(),
        );
    }
    for s in &plan.org_secrets {
        out.insert(
            (s.name.into(), "acme".into(), "secret".into()),
            String::new(),
        );
    }
    out
}

#[test]
fn the_previous_quarter_differs_by_the_counted_grant_changes() {
    let w = world(40, 2026);
    let p = &w.people;
    let now = plan_grants(
        &w,
        &p.owners(),
        &p.members(),
        &p.outside_collaborators(),
        &w.access,
    );
    let prev = previous_plan(&w);
    let before = plan_grants(&w, &prev.owners, &prev.members, &prev.outside, &prev.access);
    let added = now.keys().filter(|k| !before.contains_key(*k)).count();
    let removed = before.keys().filter(|k| !now.contains_key(*k)).count();
    let changed = now
        .iter()
        .filter(|(k, v)| before.get(*k).is_some_and(|b| b != *v))
        .count();
    assert_eq!((added, removed, changed), (3, 5, 1));
    assert_eq!((added + removed + changed) as u64, ACCESS_CHANGES);
}
