//! The access controls' planted cases (AC-01..AC-04), their tricky non-exceptions, the
//! HR roster export, and the previous quarter's access lists AC-05 compares with.
//!
//! Planted (with the example config: `max_org_owners = 2`, `approved_admins`,
//! `allowed_write_deploy_keys`, `service_accounts`):
//! - AC-01 `mfa_disabled`: @tomas-obriain and @daniel-levi (people table).
//! - AC-02 `terminated_with_access`: @sokafor, terminated 2026-09-18, still a member;
//!   `unmapped_account`: @lena-fischer-design, an agency designer HR never registered.
//! - AC-03 `excess_org_owners`: three owners, two allowed; `outside_collaborator_write`:
//!   @jlee-agency with write on acme/web; `unapproved_admin`: @mkowalczyk, admin of
//!   acme/infra through the platform team.
//! - AC-04 `write_deploy_key`: `release-tagger` on acme/payments; `stale_secret`:
//!   acme/api `SENTRY_AUTH_TOKEN` (set 2024-08-19) and the org's `DOCKERHUB_TOKEN`.
//!
//! Tricky: @acme-ci (a bot by `[controls] bots`, listed as a service account too),
//! @acme-deploy-bot (service account), @aikotanaka on leave, @sarah-oconnor terminated
//! after the snapshot, @hschaefer in the roster by email only, @jlee-agency a contractor,
//! @lena-fischer-design with read only, owners who administer repositories, the
//! read-only `argocd-readonly` key, the listed `flux-gitops-write` key, and
//! `FLUX_GITHUB_TOKEN` rotated 364 days before the snapshot.

use chrono::NaiveDate;

use crate::findings::SubjectType;
use crate::roster::{RosterRow, RosterStatus};

use super::activity::Gen;
use super::calls::Calls;
use super::people::{CommitEmail, OrgRole};
use super::render_rest as rest;
use super::world::{self, AccessCase, AccessPlan, SecretPlan, World};

/// The previous snapshot: the Monday after the previous quarter, 09:00 UTC.
pub const PREVIOUS_SNAPSHOT: &str = "2026-07-06T09:00:00Z";
/// The previous quarter's window.
pub const PREVIOUS_WINDOW: (&str, &str) = ("2026-04-01T00:00:00Z", "2026-07-01T00:00:00Z");

/// Grant changes between the previous snapshot and this one, counted by hand from
/// [`previous_plan`]: @rgarcia left (org member, backend team membership and the team's
/// write on acme/api and acme/payments: 4 removed), the `LEGACY_JENKINS_TOKEN` org secret
/// was deleted (1 removed), @jlee-agency joined as an outside collaborator with write on
/// acme/web (2 added), the `release-tagger` deploy key was added (1 added), and
/// @dvolkov's direct permission on acme/infra went from write to admin (1 changed).
pub const ACCESS_CHANGES: u64 = 9;

fn case(
    control: &'static str,
    kind: &'static str,
    repo: &str,
    subject_type: SubjectType,
    subject: &str,
    why: &str,
) -> AccessCase {
    AccessCase {
        control,
        kind,
        repo: repo.to_string(),
        subject_type,
        subject: subject.to_string(),
        why: why.to_string(),
    }
}

fn date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

/// Adds the roster and the planted and tricky cases to the access plan.
pub fn plant(plan: &mut AccessPlan, g: &Gen) {
    use SubjectType::{Account, DeployKey, Org, Secret};
    let org = world::ORG;
    plan.roster = roster(g);
    plan.plants = vec![
        case(
            "AC-01",
            "mfa_disabled",
            org,
            Account,
            "tomas-obriain",
            "member without two-factor authentication",
        ),
        case(
            "AC-01",
            "mfa_disabled",
            org,
            Account,
            "daniel-levi",
            "member without two-factor authentication",
        ),
        case(
            "AC-02",
            "terminated_with_access",
            org,
            Account,
            "sokafor",
            "terminated 2026-09-18 per the HR roster, still an org member at the snapshot",
        ),
        case(
            "AC-02",
            "unmapped_account",
            org,
            Account,
            "lena-fischer-design",
            "outside collaborator (agency designer) HR never registered",
        ),
        case(
            "AC-03",
            "excess_org_owners",
            org,
            Org,
            org,
            "three owners; the example's policy allows two",
        ),
        case(
            "AC-03",
            "outside_collaborator_write",
            "acme/web",
            Account,
            "jlee-agency",
            "outside collaborator with write on acme/web",
        ),
        case(
            "AC-03",
            "unapproved_admin",
            "acme/infra",
            Account,
            "mkowalczyk",
            "admin of acme/infra through the platform team, not in approved_admins",
        ),
        case(
            "AC-04",
            "write_deploy_key",
            "acme/payments",
            DeployKey,
            "99305112",
            "write deploy key `release-tagger`, not in allowed_write_deploy_keys",
        ),
        case(
            "AC-04",
            "stale_secret",
            "acme/api",
            Secret,
            "SENTRY_AUTH_TOKEN",
            "repository secret last set 2024-08-19",
        ),
        case(
            "AC-04",
            "stale_secret",
            org,
            Secret,
            "DOCKERHUB_TOKEN",
            "org secret last set 2024-12-12",
        ),
    ];
    plan.tricky = vec![
        case(
            "AC-02",
            "",
            org,
            Account,
            "acme-ci",
            "a bot by [controls] bots for review counting, and listed in service_accounts: no roster row needed",
        ),
        case(
            "AC-02",
            "",
            org,
            Account,
            "acme-deploy-bot",
            "service account listed in service_accounts",
        ),
        case(
            "AC-02",
            "",
            org,
            Account,
            "aikotanaka",
            "on leave: still employed",
        ),
        case(
            "AC-02",
            "",
            org,
            Account,
            "sarah-oconnor",
            "terminated 2026-10-16, after the snapshot",
        ),
        case(
            "AC-02",
            "",
            org,
            Account,
            "hschaefer",
            "roster row by email only; GitHub links the email to her commits",
        ),
        case(
            "AC-02",
            "",
            org,
            Account,
            "jlee-agency",
            "contractor in the roster (AC-03 flags his write access, not AC-02)",
        ),
        case(
            "AC-03",
            "",
            "acme/web",
            Account,
            "lena-fischer-design",
            "outside collaborator with read only (AC-02 flags her as unmapped, not AC-03)",
        ),
        case(
            "AC-03",
            "",
            "acme/api",
            Account,
            "mwebb",
            "repository admin who is an org owner: judged by the owner count",
        ),
        case(
            "AC-03",
            "",
            "acme/infra",
            Account,
            "dvolkov",
            "admin directly and through the platform team, in approved_admins",
        ),
        case(
            "AC-04",
            "",
            "acme/api",
            DeployKey,
            "98114503",
            "read-only deploy key",
        ),
        case(
            "AC-04",
            "",
            "acme/infra",
            DeployKey,
            "91220877",
            "write deploy key listed in allowed_write_deploy_keys",
        ),
        case(
            "AC-04",
            "",
            "acme/infra",
            Secret,
            "FLUX_GITHUB_TOKEN",
            "rotated 364 days before the snapshot, inside max_secret_age",
        ),
    ];
}

/// The HR export: every human member and both outside collaborators' agencies, plus the
/// engineer who left in August. Service accounts are not people and are not in it.
fn roster(g: &Gen) -> Vec<RosterRow> {
    let people = &g.people;
    let mut rows = Vec::new();
    for a in people
        .members()
        .into_iter()
        .chain(people.outside_collaborators())
    {
        let acct = people.get(a);
        if acct.email == CommitEmail::Nothing || acct.login == "lena-fischer-design" {
            continue;
        }
        let email = match acct.email {
            CommitEmail::Work(email) => Some(email.to_string()),
            _ => Some(format!(
                "{}@acme.io",
                acct.name.to_ascii_lowercase().replace(' ', ".")
            ))
            .filter(|e| e.is_ascii()),
        };
        let (status, termination) = match acct.login.as_str() {
            "sokafor" => (RosterStatus::Terminated, date("2026-09-18")),
            "sarah-oconnor" => (RosterStatus::Terminated, date("2026-10-16")),
            "aikotanaka" => (RosterStatus::Leave, None),
            _ if acct.role == OrgRole::Outside => (RosterStatus::Contractor, None),
            _ => (RosterStatus::Active, None),
        };
        // Hannah's row carries only her work email, as HR exports often do.
        let login = (acct.login != "hschaefer").then(|| acct.login.clone());
        rows.push(RosterRow {
            line: rows.len() + 2,
            login,
            email,
            name: acct.name.clone(),
            status,
            termination_date: termination,
        });
    }
    let rosa = people.get(people.by_login("rgarcia"));
    rows.push(RosterRow {
        line: rows.len() + 2,
        login: Some(rosa.login.clone()),
        email: Some("rosa.garcia@acme.io".into()),
        name: rosa.name.clone(),
        status: RosterStatus::Terminated,
        termination_date: date("2026-08-14"),
    });
    rows
}

/// The access lists at the previous snapshot.
pub struct PreviousPlan {
    pub owners: Vec<usize>,
    pub members: Vec<usize>,
    pub outside: Vec<usize>,
    pub access: AccessPlan,
}

/// The previous quarter: see [`ACCESS_CHANGES`] for what differs.
pub fn previous_plan(w: &World) -> PreviousPlan {
    let people = &w.people;
    let who = |login: &str| people.by_login(login);
    let rosa = who("rgarcia");
    let jason = who("jlee-agency");
    let mut members = people.members();
    members.push(rosa);
    let outside: Vec<usize> = people
        .outside_collaborators()
        .into_iter()
        .filter(|a| *a != jason)
        .collect();
    let mut access = w.access.clone();
    for team in &mut access.teams {
        if team.slug == super::people::BACKEND {
            team.members.push((rosa, "member"));
        }
    }
    access.collaborators.retain(|(_, a, _)| *a != jason);
    let infra = w.repos.iter().position(|r| r.name == "infra");
    for (repo, a, role) in &mut access.collaborators {
        if Some(*repo) == infra && *a == who("dvolkov") {
            *role = "write";
        }
    }
    access.deploy_keys.retain(|k| k.title != "release-tagger");
    access.org_secrets.push(SecretPlan {
        name: "LEGACY_JENKINS_TOKEN",
        created_at: "2021-03-09T11:40:00Z",
        updated_at: "2025-09-14T08:15:27Z",
        visibility: Some("private"),
    });
    PreviousPlan {
        owners: people.owners(),
        members,
        outside,
        access,
    }
}

/// The access calls of the previous collection (the repository list, then what AC-05
/// compares), rendered like the current ones.
pub fn previous_calls(w: &World, previous: &PreviousPlan, reset: crate::model::Timestamp) -> Calls {
    let mut pw = w.clone();
    pw.access = previous.access.clone();
    let w = &pw;
    let org = world::ORG;
    let mut c = Calls::new(reset);
    let mut listed: Vec<&world::Repo> = w.repos.iter().collect();
    listed.sort_by(|a, b| b.created_at.cmp(a.created_at));
    c.get_list(
        &format!("/orgs/{org}/repos"),
        "type=all&per_page=100",
        listed.iter().map(|r| rest::repo(w, r, "admin")).collect(),
    );
    let mut in_scope: Vec<usize> = (0..w.repos.len())
        .filter(|i| w.repos[*i].in_scope)
        .collect();
    in_scope.sort_by_key(|i| w.repos[*i].name);
    for repo in in_scope {
        let base = format!("/repos/{}", w.repos[repo].full_name());
        c.get_list(
            &format!("{base}/collaborators"),
            "affiliation=direct&per_page=100",
            rest::collaborators(w, repo),
        );
        c.get_list(
            &format!("{base}/keys"),
            "per_page=100",
            rest::deploy_keys(w, repo),
        );
        let secrets: Vec<&SecretPlan> = w
            .access
            .repo_secrets
            .iter()
            .filter(|(r, _)| *r == repo)
            .map(|(_, s)| s)
            .collect();
        c.get(
            &format!("{base}/actions/secrets"),
            "per_page=100",
            200,
            &rest::secrets(&secrets, false),
        );
    }
    let users = |list: &[usize]| rest::users(w, list.to_vec());
    let no_2fa = |list: &[usize]| -> Vec<usize> {
        list.iter()
            .copied()
            .filter(|a| !w.people.get(*a).two_factor)
            .collect()
    };
    c.get_list(
        &format!("/orgs/{org}/members"),
        "role=admin&per_page=100",
        users(&previous.owners),
    );
    c.get_list(
        &format!("/orgs/{org}/members"),
        "role=all&per_page=100",
        users(&previous.members),
    );
    c.get_list(
        &format!("/orgs/{org}/members"),
        "filter=2fa_disabled&per_page=100",
        users(&no_2fa(&previous.members)),
    );
    c.get_list(
        &format!("/orgs/{org}/outside_collaborators"),
        "filter=2fa_disabled&per_page=100",
        users(&no_2fa(&previous.outside)),
    );
    c.get_list(
        &format!("/orgs/{org}/outside_collaborators"),
        "per_page=100",
        users(&previous.outside),
    );
    let mut teams: Vec<&world::TeamPlan> = w.access.teams.iter().collect();
    teams.sort_by_key(|t| t.slug);
    c.get_list(
        &format!("/orgs/{org}/teams"),
        "per_page=100",
        teams.iter().map(|t| rest::team(t)).collect(),
    );
    for t in teams {
        c.get_list(
            &format!("/orgs/{org}/teams/{}/members", t.slug),
            "per_page=100",
            rest::team_members(w, t),
        );
        c.get_list(
            &format!("/orgs/{org}/teams/{}/repos", t.slug),
            "per_page=100",
            rest::team_repos(w, t),
        );
    }
    let org_secrets: Vec<&SecretPlan> = w.access.org_secrets.iter().collect();
    c.get(
        &format!("/orgs/{org}/actions/secrets"),
        "per_page=100",
        200,
        &rest::secrets(&org_secrets, true),
    );
    c
}
