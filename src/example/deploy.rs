//! Deployments made by GitHub Actions: a "Deploy" workflow run per release that deploys
//! the latest merged change to `staging`, waits for an environment reviewer, then deploys
//! to `production` (acme/api also to `prod-eu`). A few production deployments fail and
//! are redeployed by a later run the same afternoon; a newer success marks the previous
//! one `inactive`.
//!
//! These regular releases are clean by construction: created in New York business hours
//! (14:00–21:45 UTC on weekdays), approved by an environment reviewer who wrote none of
//! the released changes, and never of a change planted without approval (a release waits
//! for the next approved change). The planted deployment cases (`scenarios_deploy`) are
//! added on days kept free of regular releases in their repository.

use chrono::{Datelike, Duration, Weekday};

use crate::model::Timestamp;

use super::activity::Gen;
use super::people::Acct;
use super::rng::Rng;
use super::scenarios_deploy;
use super::world::{Branch, Deployment, DeploymentPlant, DeploymentStatus, RunApproval};

/// Deployments, the environment approvals of their runs, and the planted deployment
/// cases (indices into the deployments).
pub fn build(
    g: &Gen,
    branches: &[Branch],
    seed: u64,
) -> (Vec<Deployment>, Vec<RunApproval>, Vec<DeploymentPlant>) {
    let mut rng = Rng::stream(seed, "deployments");
    let mut deployments = Vec::new();
    let mut approvals = Vec::new();
    let mut run_id = 16_904_118_000u64;
    let reserved = scenarios_deploy::reserved_days(g);
    for repo in 0..g.repos.len() {
        let r = &g.repos[repo];
        if !r.has_deployments {
            continue;
        }
        let Some(branch) = branches
            .iter()
            .find(|b| b.repo == repo && b.name == r.default_branch)
        else {
            continue;
        };
        let environments: &[&'static str] = if r.name == "api" {
            &["production", "prod-eu"]
        } else {
            &["production"]
        };
        // Merged changes into the default branch, oldest first: (time, merge commit, pr).
        let mut merges: Vec<(Timestamp, String, usize)> = g
            .prs
            .iter()
            .enumerate()
            .filter(|(_, p)| p.repo == repo && p.base == r.default_branch)
            .filter(|(_, p)| !p.plants.iter().any(|plant| plant.control == "CM-01"))
            .filter_map(|(i, p)| p.merge.as_ref().map(|m| (m.at, m.commit.clone(), i)))
            .collect();
        merges.sort();
        let mut last_sha = String::new();
        let mut since_last: Timestamp = g.window.start - Duration::days(30);
        let first_day = -3i64; // a release shortly before the window, for context
        let days = (g.window.end - g.window.start).num_days();
        for day in first_day..days {
            let date = g.window.start + Duration::days(day);
            if matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
                || reserved.contains(&(repo, day))
            {
                continue;
            }
            let at = date
                + Duration::hours(rng.range(14, 20))
                + Duration::minutes(rng.range(0, 59))
                + Duration::seconds(rng.range(0, 59));
            let deployed = merges
                .iter()
                .rev()
                .find(|(t, _, _)| *t < at - Duration::minutes(10));
            let (sha, included): (String, Vec<usize>) = match deployed {
                Some((_, sha, _)) => (
                    sha.clone(),
                    merges
                        .iter()
                        .filter(|(t, _, _)| *t > since_last && *t < at - Duration::minutes(10))
                        .map(|(_, _, i)| *i)
                        .collect(),
                ),
                None => (branch.start_tip.clone(), Vec::new()),
            };
            if sha == last_sha {
                continue;
            }
            last_sha = sha.clone();
            since_last = at - Duration::minutes(10);
            let approver = pick_approver(g, repo, &included, &mut rng);
            run_id += rng.range(20_000, 900_000) as u64;
            let staging_ok = !rng.chance(3);
            deployments.push(deployment(
                repo, "staging", &sha, at, run_id, staging_ok, &mut rng,
            ));
            if !staging_ok {
                continue;
            }
            let approved_at = at + Duration::minutes(rng.range(8, 45));
            approvals.push(RunApproval {
                repo,
                run_id,
                environments: environments.to_vec(),
                user: approver,
                comment: approval_comment(&mut rng),
            });
            let mut failed = false;
            for (k, env) in environments.iter().enumerate() {
                let created = approved_at + Duration::seconds(8 + 35 * k as i64);
                let ok = !rng.chance(4);
                failed |= !ok;
                deployments.push(deployment(repo, env, &sha, created, run_id, ok, &mut rng));
            }
            if failed {
                // A redeploy run later the same afternoon (before 20:00 in New York).
                let retry = approved_at + Duration::minutes(rng.range(40, 100));
                run_id += rng.range(20_000, 900_000) as u64;
                let approved = retry + Duration::minutes(rng.range(2, 15));
                approvals.push(RunApproval {
                    repo,
                    run_id,
                    environments: environments.to_vec(),
                    user: approver,
                    comment: "Redeploy after the failed rollout".into(),
                });
                for (k, env) in environments.iter().enumerate() {
                    let created = approved + Duration::seconds(8 + 35 * k as i64);
                    deployments.push(deployment(repo, env, &sha, created, run_id, true, &mut rng));
                }
            }
        }
    }
    let plants = scenarios_deploy::plant_deployments(g, seed, &mut deployments, &mut approvals);
    mark_inactive(&mut deployments);
    assign_ids(&mut deployments, &mut rng);
    (deployments, approvals, plants)
}

pub fn deployment(
    repo: usize,
    environment: &'static str,
    sha: &str,
    created_at: Timestamp,
    run_id: u64,
    ok: bool,
    rng: &mut Rng,
) -> Deployment {
    let started = created_at + Duration::seconds(rng.range(4, 30));
    let finished = started + Duration::seconds(rng.range(90, 540));
    Deployment {
        id: 0,
        repo,
        environment,
        sha: sha.to_string(),
        ref_name: String::new(),
        created_at,
        creator: None,
        run_id,
        job_id: 0,
        statuses: vec![
            DeploymentStatus {
                id: 0,
                state: "in_progress",
                created_at: started,
            },
            DeploymentStatus {
                id: 0,
                state: if ok { "success" } else { "failure" },
                created_at: finished,
            },
        ],
    }
}

/// GitHub marks the previous successful deployment to an environment `inactive` when a
/// newer one succeeds.
fn mark_inactive(deployments: &mut [Deployment]) {
    let mut order: Vec<usize> = (0..deployments.len()).collect();
    order.sort_by_key(|i| (deployments[*i].created_at, *i));
    let mut last_ok: Vec<((usize, &'static str), usize)> = Vec::new();
    for i in order {
        let d = &deployments[i];
        let Some(done) = d.statuses.last() else {
            continue;
        };
        if done.state != "success" {
            continue;
        }
        let key = (d.repo, d.environment);
        let at = done.created_at;
        if let Some(pos) = last_ok.iter().position(|(k, _)| *k == key) {
            let prev = last_ok[pos].1;
            deployments[prev].statuses.push(DeploymentStatus {
                id: 0,
                state: "inactive",
                created_at: at + Duration::seconds(1),
            });
            last_ok[pos].1 = i;
        } else {
            last_ok.push((key, i));
        }
    }
}

/// Deployment, job and status ids increase with time across the organisation.
fn assign_ids(deployments: &mut [Deployment], rng: &mut Rng) {
    let mut order: Vec<usize> = (0..deployments.len()).collect();
    order.sort_by_key(|i| (deployments[*i].created_at, *i));
    let mut id = 2_561_300_000u64;
    let mut job = 47_730_000_000u64;
    for i in order {
        id += rng.range(900, 60_000) as u64;
        job += rng.range(40_000, 2_000_000) as u64;
        let d = &mut deployments[i];
        d.id = id;
        d.job_id = job;
        if d.ref_name.is_empty() {
            // Every deploying repository's default branch is `main`.
            d.ref_name = "main".into();
        }
    }
    let mut statuses: Vec<(Timestamp, usize, usize)> = Vec::new();
    for (i, d) in deployments.iter().enumerate() {
        for (k, s) in d.statuses.iter().enumerate() {
            statuses.push((s.created_at, i, k));
        }
    }
    statuses.sort();
    let mut sid = 2_870_400_000u64;
    for (_, i, k) in statuses {
        sid += rng.range(700, 50_000) as u64;
        deployments[i].statuses[k].id = sid;
    }
}

/// An environment reviewer for the repository who authored none of the changes being
/// deployed: one of the repository's reviewers, else any other human org member.
pub fn pick_approver(g: &Gen, repo: usize, included: &[usize], rng: &mut Rng) -> Acct {
    let candidates: &[&str] = match g.repos[repo].name {
        "api" => &["mwebb", "priya-raghunathan", "zoe-lukasiewicz"],
        "payments" => &["mwebb", "kmensah", "fatima-alsayed"],
        _ => &["obrennan", "aikotanaka", "soren-ostergaard"],
    };
    let mut order: Vec<Acct> = candidates.iter().map(|l| g.who(l)).collect();
    rng.shuffle(&mut order);
    let authored = |a: Acct| {
        let login = g.people.get(a).graphql_login.as_str();
        included.iter().any(|i| {
            let p = &g.prs[*i];
            p.author == a
                || p.commits.iter().any(|c| {
                    c.author.login.as_deref() == Some(login)
                        || c.committer.login.as_deref() == Some(login)
                        || coauthored_by(&c.message, g.people.get(a))
                })
        })
    };
    let fallback = g
        .people
        .members()
        .into_iter()
        .filter(|a| g.people.get(*a).kind == super::people::Kind::User)
        .filter(|a| !g.people.get(*a).login.starts_with("acme-"));
    order
        .iter()
        .copied()
        .chain(fallback)
        .find(|a| !authored(*a))
        .unwrap_or(order[0])
}

/// Whether a commit message credits the account in a `Co-authored-by:` trailer, in any
/// of the forms the generator writes (noreply address, commit address, login as name).
fn coauthored_by(message: &str, a: &super::people::Account) -> bool {
    let noreply = a.noreply_email().to_ascii_lowercase();
    let email = a.git_identity().email.to_ascii_lowercase();
    message.lines().any(|line| {
        let Some(value) = line.strip_prefix("Co-authored-by:") else {
            return false;
        };
        let value = value.trim().to_ascii_lowercase();
        let (name, address) = value.rsplit_once('<').unwrap_or((value.as_str(), ""));
        let address = address.trim_end_matches('>');
        address == noreply
            || (!email.is_empty() && address == email)
            || name.trim() == a.login.to_ascii_lowercase()
    })
}

fn approval_comment(rng: &mut Rng) -> String {
    const COMMENTS: &[&str] = &[
        "",
        "",
        "",
        "Ship it",
        "Release notes checked",
        "LGTM, monitoring dashboards open",
    ];
    rng.pick(COMMENTS).to_string()
}
