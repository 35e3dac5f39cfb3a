//! An independent oracle for the deployment controls over the planned world, used by
//! `tests::oracle`: what a correct CM-06 … CM-08 and OP-01 … OP-03 must find, derived
//! from the world's own records (not from the planting intent, and not by the
//! evaluation code).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, Timelike, Weekday};

use crate::config::Config;
use crate::findings::{Exception, SubjectType};
use crate::model::Timestamp;

use super::people::{self, OrgRole};
use super::world::{Pr, ReviewState, World};

fn login(w: &World, a: people::Acct) -> String {
    w.people.get(a).graphql_login.to_ascii_lowercase()
}

/// The PR author, commit authors and committers (web-flow aside) and noreply co-authors.
fn authors(w: &World, p: &Pr) -> BTreeSet<String> {
    let mut out = BTreeSet::from([login(w, p.author)]);
    for c in &p.commits {
        for id in [&c.author, &c.committer] {
            if let Some(l) = id.login.as_deref().filter(|l| *l != "web-flow") {
                out.insert(l.to_ascii_lowercase());
            }
        }
        for line in c.message.lines() {
            let Some((name, email)) = line
                .strip_prefix("Co-authored-by: ")
                .and_then(|rest| rest.rsplit_once('<'))
                .map(|(n, e)| (n.trim(), e.trim_end_matches('>').to_ascii_lowercase()))
            else {
                continue;
            };
            if let Some(local) = email.strip_suffix("@users.noreply.github.com") {
                out.insert(local.split_once('+').map_or(local, |(_, l)| l).to_string());
            } else if let Some(a) = w.people.accounts.iter().find(|a| {
                a.git_identity().login.is_some()
                    && a.git_identity().email.eq_ignore_ascii_case(&email)
            }) {
                // An address the account's own (linked) commits carry.
                out.insert(a.graphql_login.to_ascii_lowercase());
            } else if let Some(a) = w
                .people
                .accounts
                .iter()
                .find(|a| a.login.eq_ignore_ascii_case(name))
            {
                out.insert(a.graphql_login.to_ascii_lowercase());
            }
        }
    }
    out
}

pub fn oracle(w: &World, config: &Config) -> BTreeSet<String> {
    let tz: chrono_tz::Tz = config.audit.timezone.parse().expect("example time zone");
    let min_within = config.controls.recovery_within.duration();
    let human = |a: people::Acct| {
        let acct = w.people.get(a);
        acct.kind == people::Kind::User
            && !acct.login.ends_with("[bot]")
            && !config.is_listed_bot(&acct.login)
    };
    let mut ids = BTreeSet::new();
    // (repo, environment) → (created, success time) of every successful deployment.
    let mut successes: BTreeMap<(usize, &str), Vec<(Timestamp, Timestamp)>> = BTreeMap::new();
    for d in &w.deployments {
        if let Some(s) = d.statuses.iter().find(|s| s.state == "success") {
            successes
                .entry((d.repo, d.environment))
                .or_default()
                .push((d.created_at, s.created_at));
        }
    }
    for d in &w.deployments {
        if !config.scope.is_production_environment(d.environment)
            || !w.window.contains(d.created_at)
        {
            continue;
        }
        let r = &w.repos[d.repo];
        let repo = r.full_name();
        let id = |control: &str, kind: &str| {
            Exception::make_id(
                control,
                &repo,
                SubjectType::Deployment,
                &d.id.to_string(),
                kind,
            )
        };
        let production = |p: &&Pr| {
            p.repo == d.repo
                && p.merge.is_some()
                && config.scope.is_production_branch(&p.base, r.default_branch)
        };
        let traced: Option<&Pr> = w
            .prs
            .iter()
            .filter(production)
            .find(|p| p.merge.as_ref().is_some_and(|m| m.commit == d.sha))
            .or_else(|| {
                w.prs
                    .iter()
                    .filter(production)
                    .filter(|p| p.commits.iter().any(|c| c.sha == d.sha))
                    .min_by_key(|p| p.merged_at())
            });
        let approvers: BTreeSet<String> = w
            .run_approvals
            .iter()
            .filter(|a| a.repo == d.repo && a.run_id == d.run_id)
            .filter(|a| a.environments.contains(&d.environment) && human(a.user))
            .map(|a| login(w, a.user))
            .collect();
        // CM-06
        match traced {
            None => {
                ids.insert(id("CM-06", "untraceable_deployment"));
            }
            Some(p) => {
                let merged = p.merged_at().expect("merged");
                let own = authors(w, p);
                let independent: BTreeSet<String> = p
                    .reviews
                    .iter()
                    .filter(|rv| {
                        rv.state == ReviewState::Approved
                            && human(rv.author)
                            && rv.submitted_at <= merged
                    })
                    .map(|rv| login(w, rv.author))
                    .filter(|l| !own.contains(l))
                    .collect();
                if independent.len() < config.controls.min_approvals_for(&repo) as usize {
                    ids.insert(id("CM-06", "deployed_unapproved_change"));
                }
            }
        }
        // CM-07
        if approvers.is_empty() {
            ids.insert(id("CM-07", "deployment_not_approved"));
        }
        // CM-08
        if let Some(p) = traced
            && approvers.iter().any(|a| authors(w, p).contains(a))
        {
            ids.insert(id("CM-08", "deployment_self_approved"));
        }
        // OP-01
        let local = d.created_at.with_timezone(&tz);
        let workday = !matches!(local.weekday(), Weekday::Sat | Weekday::Sun);
        let hours = (8..20).contains(&local.hour());
        let emergency = traced.is_some_and(|p| {
            p.labels.iter().any(|l| {
                config
                    .controls
                    .emergency_labels
                    .iter()
                    .any(|e| e.eq_ignore_ascii_case(l))
            })
        });
        let inside = workday && hours;
        if !inside && !emergency {
            ids.insert(id("OP-01", "off_hours_deployment"));
        }
        // OP-02
        if let Some(creator) = d.creator {
            let acct = w.people.get(creator);
            let member = matches!(acct.role, OrgRole::Owner | OrgRole::Member);
            let service = config
                .access
                .service_accounts
                .iter()
                .any(|s| s.eq_ignore_ascii_case(&acct.login));
            if !member && !service {
                ids.insert(id("OP-02", "unknown_deployer"));
            }
        }
        // OP-03
        if let Some(failed) = d.statuses.iter().rev().find(|s| s.state == "failure") {
            let recovered = successes
                .get(&(d.repo, d.environment))
                .into_iter()
                .flatten()
                .any(|(created, ok)| {
                    *created > d.created_at && *ok <= failed.created_at + min_within
                });
            if !recovered {
                ids.insert(id("OP-03", "unrecovered_failure"));
            }
        }
    }
    ids
}
