//! The planted deployment cases (CM-06, CM-07, CM-08, OP-01 … OP-03): exceptions the
//! deployment controls must find and tricky deployments they must not flag. The ground
//! truth is written from what is planted here (`DeploymentPlant`), never by running
//! control logic.
//!
//! Two phases: `plant_prs` (from `scenarios::plant_all`) plants the changes the cases
//! deploy; `plant_deployments` (from `deploy::build`, once the branch histories have
//! given every merge its commit) adds the deployments on days `reserved_days` keeps free
//! of regular releases in the repository, so nothing else deploys there that day.
//!
//! Days are offsets from the window start (day 0 = Wednesday 2026-07-01); times are UTC
//! (New York is UTC-4 throughout the window, so 14:00 UTC is 10:00 there).

use chrono::Duration;

use super::activity::Gen;
use super::deploy::{deployment, pick_approver};
use super::rng::Rng;
use super::scenarios::{approve, jitter, pr};
use super::world::{Deployment, DeploymentPlant, Method, Plant, RunApproval};
use crate::model::Timestamp;

const ROLLBACK_EARLIER: &str = "Cache partner price lists for five minutes";
const ROLLBACK_LATER: &str = "Switch order search to the new index";
const BEFORE_WINDOW: &str = "Rotate the card vault data key";
const OTHER_APPROVER: &str = "Expose shipment tracking events in the v2 API";
const SELF_APPROVED: &str = "Add per-partner webhook signing secrets";
const NIGHT_HOTFIX: &str = "Hotfix: reject malformed partner tokens";
/// Planted by `scenarios::web_approved_only_by_coauthor` (a CM-01 self-approval).
const COAUTHOR_APPROVED: &str = "Rebuild the mega menu with keyboard navigation";

/// (repository, day) without regular releases: the planted deployments' days.
const RESERVED: &[(&str, i64)] = &[
    ("api", 27),
    ("api", 47),
    ("api", 55),
    ("api", 79),
    ("payments", 48),
    ("payments", 33),
    ("web", 40),
    ("web", 61),
    ("web", 69),
    ("web", 70),
];

/// (repository index, day) pairs `deploy::build` leaves free of regular releases.
pub fn reserved_days(g: &Gen) -> Vec<(usize, i64)> {
    RESERVED.iter().map(|(r, d)| (g.repo(r), *d)).collect()
}

/// Plants the changes the deployment cases deploy.
pub fn plant_prs(g: &mut Gen) {
    // A release and the rollback after it (day 27, Tuesday 2026-07-28).
    let merged = g.at(27, 13, 10) + jitter(g);
    let mut p = pr(
        g,
        "api",
        "main",
        "rpatel",
        ROLLBACK_EARLIER,
        merged - Duration::hours(4),
        Some(merged),
        "rpatel",
        Method::Squash,
        2,
    );
    approve(g, &mut p, "kmensah", merged - Duration::minutes(30));
    g.prs.push(p);
    let merged = g.at(27, 14, 20) + jitter(g);
    let mut p = pr(
        g,
        "api",
        "main",
        "jnunez",
        ROLLBACK_LATER,
        merged - Duration::hours(5),
        Some(merged),
        "jnunez",
        Method::Squash,
        3,
    );
    approve(g, &mut p, "fatima-alsayed", merged - Duration::minutes(25));
    g.prs.push(p);

    // Merged on 2026-06-18, before the window (and outside the search's day margin).
    let merged = g.at(-13, 15, 0);
    let mut p = pr(
        g,
        "payments",
        "main",
        "kmensah",
        BEFORE_WINDOW,
        merged - Duration::hours(26),
        Some(merged),
        "kmensah",
        Method::Merge,
        2,
    );
    approve(g, &mut p, "mwebb", merged - Duration::hours(3));
    approve(g, &mut p, "fatima-alsayed", merged - Duration::minutes(50));
    g.prs.push(p);

    // Reviewed by the environment reviewer who later approves its deployment (day 47).
    let merged = g.at(47, 13, 30) + jitter(g);
    let mut p = pr(
        g,
        "api",
        "main",
        "priya-raghunathan",
        OTHER_APPROVER,
        merged - Duration::hours(6),
        Some(merged),
        "priya-raghunathan",
        Method::Squash,
        2,
    );
    approve(g, &mut p, "zoe-lukasiewicz", merged - Duration::minutes(40));
    g.prs.push(p);

    // Its author approves its deployment herself (day 55).
    let merged = g.at(55, 13, 0) + jitter(g);
    let mut p = pr(
        g,
        "api",
        "main",
        "priya-raghunathan",
        SELF_APPROVED,
        merged - Duration::hours(5),
        Some(merged),
        "priya-raghunathan",
        Method::Squash,
        2,
    );
    approve(g, &mut p, "daniel-levi", merged - Duration::minutes(35));
    g.prs.push(p);

    // An emergency fix merged late on Sunday evening in New York (day 68, 02:05 UTC).
    let merged = g.at(68, 2, 5);
    let mut p = pr(
        g,
        "api",
        "main",
        "jnunez",
        NIGHT_HOTFIX,
        merged - Duration::minutes(70),
        Some(merged),
        "jnunez",
        Method::Squash,
        1,
    );
    p.labels = vec!["hotfix".into(), "security".into()];
    approve(g, &mut p, "kmensah", merged - Duration::minutes(25));
    g.prs.push(p);
}

/// The PR planted with `title` in repository `repo`.
fn find(g: &Gen, repo: &str, title: &str) -> usize {
    let repo = g.repo(repo);
    g.prs
        .iter()
        .position(|p| p.repo == repo && p.title == title)
        .unwrap_or_else(|| panic!("the planted PR `{title}` is missing"))
}

fn merge_commit(g: &Gen, pr: usize) -> String {
    g.prs[pr]
        .merge
        .as_ref()
        .map(|m| m.commit.clone())
        .unwrap_or_default()
}

/// The latest change merged into the repository's default branch before `at` that
/// passed review (what a regular release at `at` would deploy).
fn latest_approved(g: &Gen, repo: usize, at: Timestamp) -> usize {
    let branch = g.repos[repo].default_branch;
    g.prs
        .iter()
        .enumerate()
        .filter(|(_, p)| p.repo == repo && p.base == branch)
        .filter(|(_, p)| !p.plants.iter().any(|plant| plant.control == "CM-01"))
        .filter_map(|(i, p)| p.merged_at().filter(|t| *t < at).map(|t| (t, i)))
        .max()
        .map(|(_, i)| i)
        .unwrap_or_else(|| panic!("no approved change in {} before {at}", g.repos[repo].name))
}

/// Adds the planted deployments and their runs' approvals; returns the cases.
pub fn plant_deployments(
    g: &Gen,
    seed: u64,
    deployments: &mut Vec<Deployment>,
    approvals: &mut Vec<RunApproval>,
) -> Vec<DeploymentPlant> {
    let mut p = Planter {
        g,
        rng: Rng::stream(seed, "planted deployments"),
        deployments,
        approvals,
        run_id: 17_100_000_000,
        cases: Vec::new(),
    };
    let api = g.repo("api");
    let web = g.repo("web");
    let payments = g.repo("payments");
    let number = |pr: usize| g.prs[pr].number;

    // Tricky: a rollback to the earlier release traces to the earlier (approved) change.
    let earlier = find(g, "api", ROLLBACK_EARLIER);
    let later = find(g, "api", ROLLBACK_LATER);
    let reviewer = g.who("zoe-lukasiewicz");
    p.run(
        api,
        g.at(27, 15, 5),
        &merge_commit(g, later),
        Some(reviewer),
        &[("production", true)],
    );
    let mwebb = g.who("mwebb");
    let rollback = p.run(
        api,
        g.at(27, 16, 20),
        &merge_commit(g, earlier),
        Some(mwebb),
        &[("production", true)],
    );
    p.tricky(
        rollback[0],
        format!(
            "a rollback: redeploys the merge commit of PR #{} an hour after PR #{} was released; it traces to PR #{} (approved by @kmensah), not to the newer change",
            number(earlier),
            number(later),
            number(earlier)
        ),
    );

    // Tricky: a change merged before the window, redeployed inside it.
    let before = find(g, "payments", BEFORE_WINDOW);
    let fatima = g.who("fatima-alsayed");
    let redeploy = p.run(
        payments,
        g.at(33, 15, 30),
        &merge_commit(g, before),
        Some(fatima),
        &[("production", true)],
    );
    p.tricky(
        redeploy[0],
        format!(
            "redeploys PR #{}, merged 2026-06-18 (before the window and outside the search's day margin): the collector fetches that change for the deployment (DeployedCommit); it had two independent approvals, and it is no change of the population",
            number(before)
        ),
    );

    // Tricky: approved by someone other than the author (who reviewed the change).
    let other = find(g, "api", OTHER_APPROVER);
    let zoe = p.run(
        api,
        g.at(47, 14, 45),
        &merge_commit(g, other),
        Some(reviewer),
        &[("production", true)],
    );
    p.tricky(
        zoe[0],
        format!(
            "approved by @zoe-lukasiewicz, who reviewed PR #{} but did not write it (@priya-raghunathan did): no self-approval",
            number(other)
        ),
    );

    // CM-08: the author approves the release of her own change.
    let own = find(g, "api", SELF_APPROVED);
    let priya = g.who("priya-raghunathan");
    let selfie = p.run(
        api,
        g.at(55, 14, 30),
        &merge_commit(g, own),
        Some(priya),
        &[("production", true)],
    );
    p.plant(
        selfie[0],
        "CM-08",
        "deployment_self_approved",
        format!(
            "approved by @priya-raghunathan, the author of PR #{} it deploys",
            number(own)
        ),
    );

    // Tricky: an emergency change deployed at night (22:30 Sunday in New York).
    let hotfix = find(g, "api", NIGHT_HOTFIX);
    let night = p.run(
        api,
        g.at(68, 2, 30),
        &merge_commit(g, hotfix),
        Some(mwebb),
        &[("production", true)],
    );
    p.tricky(
        night[0],
        format!(
            "created 22:30 on a Sunday in New York, outside business hours, but PR #{} is labelled hotfix (an emergency label): no off-hours exception",
            number(hotfix)
        ),
    );

    // OP-01: a Saturday release of an ordinary change.
    let at = g.at(59, 15, 0);
    let latest = latest_approved(g, api, at);
    let saturday = p.run_picked(api, at, latest, &[("production", true)]);
    p.plant(
        saturday[0],
        "OP-01",
        "off_hours_deployment",
        format!(
            "released on Saturday 2026-08-29 at 11:00 in New York; PR #{} carries no emergency label",
            number(latest)
        ),
    );

    // CM-06: a commit of an unmerged spike branch deployed straight to production.
    let mut rng = Rng::stream(seed, "planted deployment commits");
    let spike = rng.sha();
    let obrennan = g.who("obrennan");
    let untraced = p.run(
        web,
        g.at(40, 15, 20),
        &spike,
        Some(obrennan),
        &[("production", true)],
    );
    p.deployments[untraced[0]].ref_name = "spike/edge-cache".into();
    p.plant(
        untraced[0],
        "CM-06",
        "untraceable_deployment",
        format!(
            "deploys commit {} of the unmerged branch spike/edge-cache: no pull request introduced it into main",
            &spike[..7]
        ),
    );

    // CM-06: a release of a change approved only by its co-author.
    let coauthored = find(g, "web", COAUTHOR_APPROVED);
    let soren = g.who("soren-ostergaard");
    let unapproved = p.run(
        web,
        g.at(15, 18, 40),
        &merge_commit(g, coauthored),
        Some(soren),
        &[("production", true)],
    );
    p.plant(
        unapproved[0],
        "CM-06",
        "deployed_unapproved_change",
        format!(
            "deploys PR #{}, which only its co-author @aikotanaka approved (its CM-01 self_approval)",
            number(coauthored)
        ),
    );

    // CM-07: a run that did not wait for an environment reviewer.
    let at = g.at(48, 15, 0);
    let latest = latest_approved(g, payments, at);
    let unreviewed = p.run(
        payments,
        at,
        &merge_commit(g, latest),
        None,
        &[("production", true)],
    );
    p.plant(
        unreviewed[0],
        "CM-07",
        "deployment_not_approved",
        format!(
            "the workflow run deploying PR #{} ran without an environment review (the environment's required reviewers had been removed)",
            number(latest)
        ),
    );

    // OP-02: the deploy workflow used a contractor's personal token.
    let at = g.at(61, 16, 0);
    let latest = latest_approved(g, web, at);
    let contractor = p.run_picked(web, at, latest, &[("production", true)]);
    p.deployments[contractor[0]].creator = Some(g.who("jlee-agency"));
    p.plant(
        contractor[0],
        "OP-02",
        "unknown_deployer",
        "created with the personal token of @jlee-agency, an outside collaborator (not an org member, not a listed service account)".into(),
    );

    // OP-03: prod-eu fails on a Friday evening; the next success comes on Monday.
    let at = g.at(79, 18, 30);
    let latest = latest_approved(g, api, at);
    let friday = p.run_picked(api, at, latest, &[("production", true), ("prod-eu", false)]);
    p.plant(
        friday[1],
        "OP-03",
        "unrecovered_failure",
        "the prod-eu rollout failed on Friday 2026-09-18 and nothing succeeded on prod-eu until the next release on Monday, beyond 24h".into(),
    );

    // Tricky: a failure recovered the next morning, within 24 hours.
    let at = g.at(69, 19, 30);
    let latest = latest_approved(g, web, at);
    let failed = p.run_picked(web, at, latest, &[("production", false)]);
    p.run_picked(web, g.at(70, 13, 15), latest, &[("production", true)]);
    p.tricky(
        failed[0],
        "failed at 15:30 in New York; a redeploy succeeded the next morning, about 18 hours later, within recovery_within (24h)".into(),
    );

    p.cases
}

struct Planter<'g, 'd> {
    g: &'g Gen,
    rng: Rng,
    deployments: &'d mut Vec<Deployment>,
    approvals: &'d mut Vec<RunApproval>,
    run_id: u64,
    cases: Vec<DeploymentPlant>,
}

impl Planter<'_, '_> {
    /// One workflow run deploying `sha` to each environment (`ok`: it succeeds), a
    /// minute apart, after `approver`'s environment review (`None`: no review).
    /// Returns the new deployments' indices.
    fn run(
        &mut self,
        repo: usize,
        at: Timestamp,
        sha: &str,
        approver: Option<super::people::Acct>,
        environments: &[(&'static str, bool)],
    ) -> Vec<usize> {
        self.run_id += 1_000_003;
        if let Some(user) = approver {
            self.approvals.push(RunApproval {
                repo,
                run_id: self.run_id,
                environments: environments.iter().map(|(e, _)| *e).collect(),
                user,
                comment: String::new(),
            });
        }
        let mut created = Vec::new();
        for (k, (environment, ok)) in environments.iter().enumerate() {
            let d = deployment(
                repo,
                environment,
                sha,
                at + Duration::minutes(k as i64),
                self.run_id,
                *ok,
                &mut self.rng,
            );
            self.deployments.push(d);
            created.push(self.deployments.len() - 1);
        }
        created
    }

    /// A run deploying PR `pr`'s merge commit, approved by a reviewer who did not write it.
    fn run_picked(
        &mut self,
        repo: usize,
        at: Timestamp,
        pr: usize,
        environments: &[(&'static str, bool)],
    ) -> Vec<usize> {
        let approver = pick_approver(self.g, repo, &[pr], &mut self.rng);
        let sha = merge_commit(self.g, pr);
        self.run(repo, at, &sha, Some(approver), environments)
    }

    fn plant(&mut self, deployment: usize, control: &'static str, kind: &'static str, why: String) {
        self.cases.push(DeploymentPlant {
            deployment,
            plants: vec![Plant { control, kind, why }],
            tricky: None,
        });
    }

    fn tricky(&mut self, deployment: usize, why: String) {
        self.cases.push(DeploymentPlant {
            deployment,
            plants: Vec::new(),
            tricky: Some(why),
        });
    }
}
