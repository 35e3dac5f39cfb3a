//! The access part of the ground truth: the planted cases and tricky records as
//! `scenarios_access` planted them, and the access population sizes counted from the
//! world's access plan (never by running the controls).

use std::collections::BTreeSet;

use crate::findings::Exception;

use super::people::OrgRole;
use super::scenarios_access::ACCESS_CHANGES;
use super::world::World;
use super::{ExpectedException, TrickyCase};

pub fn exceptions(w: &World) -> Vec<ExpectedException> {
    w.access
        .plants
        .iter()
        .map(|p| ExpectedException {
            id: Exception::make_id(p.control, &p.repo, p.subject_type, &p.subject, p.kind),
            control: p.control.into(),
            kind: p.kind.into(),
            repo: p.repo.clone(),
            subject_type: p.subject_type.as_str().into(),
            subject: p.subject.clone(),
            why: format!("{}: {}", p.control, p.why),
            waived: false,
        })
        .collect()
}

pub fn tricky(w: &World) -> impl Iterator<Item = TrickyCase> + '_ {
    w.access.tricky.iter().map(|t| TrickyCase {
        repo: t.repo.clone(),
        subject_type: t.subject_type.as_str().into(),
        subject: t.subject.clone(),
        why: format!("{}: {}", t.control, t.why),
    })
}

pub struct AccessPopulations {
    pub org_accounts: u64,
    pub accounts: u64,
    pub credentials: u64,
    pub access_changes: u64,
}

pub fn populations(w: &World) -> AccessPopulations {
    let people = &w.people;
    let in_org: BTreeSet<usize> = (0..people.accounts.len())
        .filter(|a| {
            matches!(
                people.get(*a).role,
                OrgRole::Owner | OrgRole::Member | OrgRole::Outside
            )
        })
        .collect();
    let mut accounts = in_org.clone();
    for (repo, a, _) in &w.access.collaborators {
        if w.repos[*repo].in_scope {
            accounts.insert(*a);
        }
    }
    let in_scope = |repo: usize| w.repos[repo].in_scope;
    let credentials = w
        .access
        .deploy_keys
        .iter()
        .filter(|k| in_scope(k.repo))
        .count()
        + w.access
            .repo_secrets
            .iter()
            .filter(|(r, _)| in_scope(*r))
            .count()
        + w.access.org_secrets.len();
    AccessPopulations {
        org_accounts: in_org.len() as u64,
        accounts: accounts.len() as u64,
        credentials: credentials as u64,
        access_changes: ACCESS_CHANGES,
    }
}
