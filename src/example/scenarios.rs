//! The planted cases: exceptions the controls must find and tricky records they must not
//! flag. Each function plants one case and documents it; the ground truth is written from
//! what is planted here (`Pr::plants`, `Pr::tricky`, `DirectPush::why`), never by running
//! control logic.
//!
//! A planted world must still be one GitHub could produce: on a protected branch a change
//! that lacks what the protection demands can only have merged by a bypass, so such
//! changes are planted as bypasses and carry a CM-04 exception too. GitHub counts
//! co-authors' and committers' approvals (only the PR author cannot approve), which is
//! why self-approvals are planted where the protection is nonetheless satisfied.
//!
//! Days are offsets from the window start (day 0 = Wednesday 2026-07-01); times are UTC.

use chrono::Duration;

use super::activity::{DirectPush, Gen};
use super::world::{BypassRecord, CheckCtx, Checks, Method, Plant, Pr, ReviewState, Timeline};
use crate::model::Timestamp;

/// Plants every case. Times are fixed per case (with a few minutes of seeded jitter), so
/// every size of the organisation holds all of them.
pub fn plant_all(g: &mut Gen) {
    infra_merged_without_review(g);
    infra_only_commented(g);
    api_dismissed_approval_admin_merge(g);
    infra_approved_after_merge(g);
    infra_approved_only_by_ci_account(g);
    web_approved_only_by_coauthor(g);
    mobile_approved_only_by_committer(g);
    payments_one_independent_approval(g);
    web_new_commit_after_approval(g);
    web_approval_on_force_pushed_commit(g);
    infra_failing_checks(g);
    payments_failed_scan_ruleset_bypass(g);
    infra_no_checks(g);
    api_release_missing_required_check(g);
    infra_direct_pushes(g);
    api_push_of_open_pr_commit(g);

    tricky_dependabot(g);
    tricky_squash_and_rebase(g);
    tricky_web_ui_commit(g);
    tricky_changes_requested_then_approved(g);
    tricky_mixed_case_approver(g);
    tricky_external_coauthor(g);
    tricky_hotfix_label(g);
    tricky_outside_window(g);
    tricky_non_production_base(g);
    tricky_release_branch_change(g);
    tricky_merge_commit_brings_commits(g);
    super::scenarios_overflow::plant_overflowing_pr(g);
    super::scenarios_branch::plant_all(g);

    super::scenarios_deploy::plant_prs(g);
}

fn plant(pr: &mut Pr, control: &'static str, kind: &'static str, why: String) {
    pr.plants.push(Plant { control, kind, why });
}

pub(super) fn jitter(g: &mut Gen) -> Duration {
    Duration::minutes(g.rng.range(0, 12)) + Duration::seconds(g.rng.range(0, 59))
}

/// A clean PR planted at a fixed time: `n` commits by its author, checks passing, no
/// reviews yet. Commits end a third of the way between creation and merge.
#[allow(clippy::too_many_arguments)]
pub(super) fn pr(
    g: &mut Gen,
    repo: &str,
    base: &str,
    author: &str,
    title: &str,
    created: Timestamp,
    merged: Option<Timestamp>,
    merger: &str,
    method: Method,
    n: usize,
) -> Pr {
    let repo = g.repo(repo);
    let author = g.who(author);
    let merger = g.who(merger);
    let mut p = g.skeleton(repo, base, author, title, created, merged, merger, method);
    let end = match merged {
        Some(m) => created + (m - created) / 3,
        None => created + Duration::hours(1),
    };
    p.commits = g.commits(author, n, created - Duration::minutes(50), end, title);
    p
}

pub(super) fn approve(g: &mut Gen, p: &mut Pr, who: &str, at: Timestamp) {
    let who = g.who(who);
    let head = p.head_sha().to_string();
    let r = g.review(who, ReviewState::Approved, at, Some(&head));
    p.reviews.push(r);
}

// ---------------------------------------------------------------- CM-01 no_approval

/// acme/infra has no branch protection: a PR merged by its author with no review at all.
fn infra_merged_without_review(g: &mut Gen) {
    let created = g.at(8, 13, 5) + jitter(g);
    let merged = g.at(8, 16, 40) + jitter(g);
    let mut p = pr(
        g,
        "infra",
        "master",
        "dvolkov",
        "Raise max_connections on the reporting replica",
        created,
        Some(merged),
        "dvolkov",
        Method::Squash,
        2,
    );
    plant(
        &mut p,
        "CM-01",
        "no_approval",
        "merged by its author @dvolkov with no review at all (acme/infra master is unprotected)"
            .into(),
    );
    g.prs.push(p);
}

/// The only review is a COMMENTED one: a comment is not an approval.
fn infra_only_commented(g: &mut Gen) {
    let created = g.at(36, 9, 30) + jitter(g);
    let merged = g.at(36, 15, 10) + jitter(g);
    let mut p = pr(
        g,
        "infra",
        "master",
        "bjorn-eriksson",
        "Switch NAT gateways to one per availability zone",
        created,
        Some(merged),
        "bjorn-eriksson",
        Method::Squash,
        2,
    );
    let who = g.who("ihalvorsen");
    let head = p.head_sha().to_string();
    let r = g.review(
        who,
        ReviewState::Commented,
        merged - Duration::minutes(35),
        Some(&head),
    );
    p.reviews.push(r);
    plant(
        &mut p,
        "CM-01",
        "no_approval",
        "the only review is a COMMENTED one by @ihalvorsen; nobody approved before the merge"
            .into(),
    );
    g.prs.push(p);
}

/// acme/api main requires one approval and dismisses stale reviews. The approval was
/// dismissed by its reviewer before merge; an org owner then merged over the protection
/// (enforce_admins is off), which GitHub records as `protected_branch.policy_override`.
fn api_dismissed_approval_admin_merge(g: &mut Gen) {
    let created = g.at(43, 12, 20) + jitter(g);
    let merged = g.at(43, 16, 47) + Duration::seconds(23);
    let mut p = pr(
        g,
        "api",
        "main",
        "rpatel",
        "Add nullable partner_reference column to orders",
        created,
        Some(merged),
        "mwebb",
        Method::Merge,
        2,
    );
    approve(g, &mut p, "nhaddad", merged - Duration::minutes(95));
    p.reviews[0].state = ReviewState::Dismissed;
    let reviewer = g.who("nhaddad");
    p.timeline.push(Timeline::ReviewDismissed {
        at: merged - Duration::minutes(44),
        actor: reviewer,
        review: 0,
    });
    if let Some(m) = p.merge.as_mut() {
        m.bypass = Some(BypassRecord::AuditLog);
    }
    g.reserved.push((p.repo, merged));
    plant(&mut p, "CM-01", "no_approval",
        "the only approval (@nhaddad) was dismissed before the merge; no approval stood at merge time".into());
    plant(&mut p, "CM-04", "protection_bypassed",
        "acme/api main requires 1 approval; @mwebb (org owner) merged with none: the audit log holds protected_branch.policy_override by @mwebb at the merge time (basis audit_log)".into());
    g.prs.push(p);
}

/// An approval given two hours after the merge does not count.
fn infra_approved_after_merge(g: &mut Gen) {
    let created = g.at(34, 11, 0) + jitter(g);
    let merged = g.at(34, 15, 20) + jitter(g);
    let mut p = pr(
        g,
        "infra",
        "master",
        "mkowalczyk",
        "Enable S3 access logging on the exports bucket",
        created,
        Some(merged),
        "mkowalczyk",
        Method::Rebase,
        1,
    );
    approve(
        g,
        &mut p,
        "soren-ostergaard",
        merged + Duration::minutes(145),
    );
    plant(
        &mut p,
        "CM-01",
        "no_approval",
        "@soren-ostergaard approved 2h25m after the merge; no approval existed at merge time"
            .into(),
    );
    g.prs.push(p);
}

/// A Renovate PR auto-approved by `acme-ci` (a User account listed in the config's
/// `bots`) and auto-merged by renovate[bot]: no human approved.
fn infra_approved_only_by_ci_account(g: &mut Gen) {
    let created = g.at(64, 6, 2) + jitter(g);
    let merged = g.at(64, 6, 31) + jitter(g);
    let repo = g.repo("infra");
    let bot = g.people.renovate;
    let mut p = g.skeleton(
        repo,
        "master",
        bot,
        "chore(deps): update terraform aws to v5.66.0",
        created,
        Some(merged),
        bot,
        Method::Squash,
    );
    p.head_ref = "renovate/terraform-aws-5.x".into();
    p.labels = vec!["dependencies".into()];
    let c = g.commit(
        bot,
        Some(bot),
        p.title.clone(),
        created - Duration::seconds(40),
        created - Duration::seconds(40),
    );
    p.commits = vec![c];
    approve(g, &mut p, "acme-ci", created + Duration::minutes(9));
    plant(&mut p, "CM-01", "no_approval",
        "approved only by acme-ci, a bot account by config (`controls.bots`), and auto-merged by renovate[bot]: no human approval".into());
    g.prs.push(p);
}

// ---------------------------------------------------------------- CM-01 self_approval

/// The only approver is credited as co-author by a `Co-authored-by:` trailer carrying her
/// noreply address. GitHub counts her approval (she is not the PR author), so web's
/// protection was satisfied: no bypass.
fn web_approved_only_by_coauthor(g: &mut Gen) {
    let created = g.at(15, 10, 15) + jitter(g);
    let merged = g.at(15, 17, 5) + jitter(g);
    let mut p = pr(
        g,
        "web",
        "main",
        "obrennan",
        "Rebuild the mega menu with keyboard navigation",
        created,
        Some(merged),
        "obrennan",
        Method::Squash,
        3,
    );
    let aiko = g.who("aikotanaka");
    let trailer = format!(
        "\n\nCo-authored-by: Aiko Tanaka <{}>",
        g.people.get(aiko).noreply_email()
    );
    p.commits[1].message.push_str(&trailer);
    approve(g, &mut p, "aikotanaka", merged - Duration::minutes(70));
    plant(&mut p, "CM-01", "self_approval",
        "approved only by @aikotanaka, credited as co-author (Co-authored-by trailer with her noreply email); GitHub counted her approval, so no bypass".into());
    g.prs.push(p);
}

/// The only approver pushed a commit to the PR: a committer is an author. The ruleset's
/// one required approval was satisfied (GitHub only excludes the PR author).
fn mobile_approved_only_by_committer(g: &mut Gen) {
    let created = g.at(49, 8, 40) + jitter(g);
    let merged = g.at(49, 18, 12) + jitter(g);
    let mut p = pr(
        g,
        "mobile-app",
        "main",
        "enakamura",
        "Fix crash on Android 14 when the camera permission is revoked",
        created,
        Some(merged),
        "enakamura",
        Method::Squash,
        2,
    );
    let hannah = g.who("hschaefer");
    let at = merged - Duration::hours(3);
    let c = g.commit(
        hannah,
        Some(hannah),
        "Handle SecurityException from CameraX".into(),
        at - Duration::minutes(4),
        at,
    );
    p.commits.push(c);
    approve(g, &mut p, "hschaefer", merged - Duration::minutes(50));
    plant(&mut p, "CM-01", "self_approval",
        "approved only by @hschaefer, who pushed a commit to the PR (a committer is an author); the ruleset counted the approval, so no bypass".into());
    g.prs.push(p);
}

// ------------------------------------------------------- CM-01 insufficient_approvals

/// acme/payments needs two independent approvals; one of the two approvers is a
/// co-author. The ruleset (2 approvals, PR author excluded) was satisfied: no bypass.
fn payments_one_independent_approval(g: &mut Gen) {
    let created = g.at(70, 9, 5) + jitter(g);
    let merged = g.at(70, 16, 25) + jitter(g);
    let mut p = pr(
        g,
        "payments",
        "main",
        "nhaddad",
        "Support partial refunds on split tenders",
        created,
        Some(merged),
        "nhaddad",
        Method::Merge,
        3,
    );
    let samuel = g.who("sokafor");
    let trailer = format!(
        "\n\nCo-authored-by: Samuel Okafor <{}>",
        g.people.get(samuel).noreply_email()
    );
    p.commits[0].message.push_str(&trailer);
    approve(g, &mut p, "sokafor", merged - Duration::minutes(120));
    approve(g, &mut p, "kmensah", merged - Duration::minutes(40));
    plant(&mut p, "CM-01", "insufficient_approvals",
        "acme/payments requires 2 independent approvals; @sokafor is a co-author (Co-authored-by trailer), so only @kmensah's approval is independent".into());
    g.prs.push(p);
}

// ---------------------------------------------------------------- CM-02 stale_approval

/// Approved, then a new commit was pushed and merged without re-approval; acme/web does
/// not dismiss stale reviews, so GitHub let it merge.
fn web_new_commit_after_approval(g: &mut Gen) {
    let created = g.at(22, 9, 0) + jitter(g);
    let merged = g.at(22, 19, 30) + jitter(g);
    let mut p = pr(
        g,
        "web",
        "main",
        "lucia-fernandez",
        "Show saved cards in checkout",
        created,
        Some(merged),
        "lucia-fernandez",
        Method::Squash,
        2,
    );
    approve(g, &mut p, "chenwei", merged - Duration::hours(4));
    let lucia = p.author;
    let at = merged - Duration::hours(1);
    let c = g.commit(
        lucia,
        Some(lucia),
        "Fix spacing on small screens".into(),
        at - Duration::minutes(3),
        at,
    );
    let approved = p.reviews[0].commit.clone().unwrap_or_default();
    p.commits.push(c);
    plant(
        &mut p,
        "CM-02",
        "stale_approval",
        format!(
            "@chenwei approved commit {approved}; a new commit was pushed afterwards and the PR merged without a fresh approval (acme/web keeps stale approvals)"
        ),
    );
    g.prs.push(p);
}

/// The approval was given on a commit that a later force-push removed: GitHub reports
/// the review's commit as null (the commit is gone), so it cannot be the head.
fn web_approval_on_force_pushed_commit(g: &mut Gen) {
    let created = g.at(76, 8, 50) + jitter(g);
    let merged = g.at(76, 20, 5) + jitter(g);
    let mut p = pr(
        g,
        "web",
        "main",
        "amelie-dubois",
        "Migrate newsletter signup to the new forms API",
        created,
        Some(merged),
        "amelie-dubois",
        Method::Squash,
        2,
    );
    let sarah = g.who("sarah-oconnor");
    let r = g.review(
        sarah,
        ReviewState::Approved,
        merged - Duration::hours(5),
        None,
    );
    p.reviews.push(r);
    // Rebased and force-pushed after the approval: new commits, the old ones gone.
    let amelie = p.author;
    let pushed = merged - Duration::hours(2);
    let rewritten = g.commits(
        amelie,
        2,
        pushed - Duration::minutes(6),
        pushed - Duration::minutes(1),
        "Migrate newsletter signup to the new forms API",
    );
    p.commits = rewritten;
    let head = p.head_sha().to_string();
    p.timeline.push(Timeline::ForcePushed {
        at: pushed,
        actor: amelie,
        before: None,
        after: Some(head),
    });
    plant(&mut p, "CM-02", "stale_approval",
        "@sarah-oconnor approved a commit that a later force-push removed (review commit is null); nobody approved the final head".into());
    g.prs.push(p);
}

// ---------------------------------------------------------------- CM-03 checks

/// terraform-plan failed on the head commit; infra has no protection to stop the merge.
fn infra_failing_checks(g: &mut Gen) {
    let created = g.at(56, 10, 10) + jitter(g);
    let merged = g.at(56, 14, 55) + jitter(g);
    let mut p = pr(
        g,
        "infra",
        "master",
        "ihalvorsen",
        "Restrict SSH ingress to the bastion CIDR",
        created,
        Some(merged),
        "ihalvorsen",
        Method::Squash,
        2,
    );
    p.checks = Some(Checks {
        rollup: "FAILURE",
        contexts: vec![
            CheckCtx::Run {
                name: "terraform-fmt".into(),
                conclusion: "SUCCESS",
            },
            CheckCtx::Run {
                name: "terraform-plan".into(),
                conclusion: "FAILURE",
            },
            CheckCtx::Status {
                context: "atlantis/plan".into(),
                state: "FAILURE",
            },
        ],
    });
    approve(g, &mut p, "dvolkov", merged - Duration::minutes(30));
    plant(&mut p, "CM-03", "checks_failed",
        "terraform-plan failed on the head commit (check rollup FAILURE) and the PR merged anyway (acme/infra has no protection, so no bypass)".into());
    g.prs.push(p);
}

/// The required `security/scan` failed; a ruleset bypass actor merged anyway. GitHub's
/// rule suites record the merge push as `bypass` (kept for a month: planted inside it).
fn payments_failed_scan_ruleset_bypass(g: &mut Gen) {
    let created = g.at(83, 9, 45) + jitter(g);
    let merged = g.at(83, 17, 35) + jitter(g);
    let mut p = pr(
        g,
        "payments",
        "main",
        "kmensah",
        "Upgrade Bouncy Castle to 1.78.1",
        created,
        Some(merged),
        "mwebb",
        Method::Merge,
        2,
    );
    p.checks = Some(Checks {
        rollup: "FAILURE",
        contexts: vec![
            CheckCtx::Run {
                name: "ci".into(),
                conclusion: "SUCCESS",
            },
            CheckCtx::Run {
                name: "contract-tests".into(),
                conclusion: "SUCCESS",
            },
            CheckCtx::Status {
                context: "security/scan".into(),
                state: "FAILURE",
            },
        ],
    });
    approve(g, &mut p, "fatima-alsayed", merged - Duration::minutes(150));
    approve(g, &mut p, "sokafor", merged - Duration::minutes(80));
    if let Some(m) = p.merge.as_mut() {
        m.bypass = Some(BypassRecord::RuleSuite);
    }
    plant(
        &mut p,
        "CM-03",
        "checks_failed",
        "the required status security/scan failed on the head commit (rollup FAILURE)".into(),
    );
    plant(&mut p, "CM-04", "protection_bypassed",
        "the payments ruleset requires security/scan; @mwebb merged as a bypass actor and the rule suite of the merge push has result bypass (basis rule_suite)".into());
    g.prs.push(p);
}

/// The head commit has no checks at all (the change touched only paths CI ignores).
fn infra_no_checks(g: &mut Gen) {
    let created = g.at(78, 12, 0) + jitter(g);
    let merged = g.at(78, 15, 40) + jitter(g);
    let mut p = pr(
        g,
        "infra",
        "master",
        "soren-ostergaard",
        "Add break-glass IAM role for incident response",
        created,
        Some(merged),
        "soren-ostergaard",
        Method::Rebase,
        2,
    );
    p.checks = None;
    approve(g, &mut p, "bjorn-eriksson", merged - Duration::minutes(25));
    plant(
        &mut p,
        "CM-03",
        "checks_missing",
        "the head commit has no checks at all (statusCheckRollup null) and require_checks is on"
            .into(),
    );
    g.prs.push(p);
}

/// A backport into release/2026.08, whose protection requires `ci/build`: the build
/// workflow never ran on the head commit. It merged over the protection, and nothing
/// recorded the override: only inference can see it.
fn api_release_missing_required_check(g: &mut Gen) {
    let created = g.at(42, 8, 30) + jitter(g);
    let merged = g.at(42, 13, 25) + jitter(g);
    let mut p = pr(
        g,
        "api",
        "release/2026.08",
        "priya-raghunathan",
        "Backport: fix tax rounding on discounted lines",
        created,
        Some(merged),
        "priya-raghunathan",
        Method::Merge,
        1,
    );
    p.checks = Some(Checks {
        rollup: "SUCCESS",
        contexts: vec![
            CheckCtx::Run {
                name: "ci/test".into(),
                conclusion: "SUCCESS",
            },
            CheckCtx::Run {
                name: "lint".into(),
                conclusion: "SUCCESS",
            },
            CheckCtx::Status {
                context: "codecov/project".into(),
                state: "SUCCESS",
            },
        ],
    });
    approve(g, &mut p, "jnunez", merged - Duration::minutes(45));
    if let Some(m) = p.merge.as_mut() {
        m.bypass = Some(BypassRecord::Unrecorded);
    }
    plant(
        &mut p,
        "CM-03",
        "checks_missing",
        "the required check ci/build never reported on the head commit".into(),
    );
    plant(&mut p, "CM-04", "protection_bypassed",
        "release/* protection requires ci/build and the PR merged without it; no audit-log event or rule suite records the override (basis inference)".into());
    g.prs.push(p);
}

// ---------------------------------------------------------------- CM-05 direct pushes

/// Two commits pushed straight to acme/infra master (unprotected) during incidents.
fn infra_direct_pushes(g: &mut Gen) {
    let repo = g.repo("infra");
    for (day, h, m, who, message) in [
        (
            29,
            2,
            14,
            "dvolkov",
            "Raise node pool max size to 12 during traffic spike",
        ),
        (
            85,
            23,
            41,
            "soren-ostergaard",
            "Widen ALB idle timeout to 120s",
        ),
    ] {
        let at = g.at(day, h, m);
        let pusher = g.who(who);
        let commit = g.commit(
            pusher,
            Some(pusher),
            message.into(),
            at - Duration::minutes(3),
            at - Duration::minutes(2),
        );
        let why = format!("pushed straight to acme/infra master by @{who} with no pull request");
        g.pushes.push(DirectPush {
            repo,
            branch: "master".into(),
            at,
            pusher,
            commit,
            prs: vec![],
            audit_override: false,
            why,
        });
    }
}

/// A commit of a still-open PR, pushed straight to acme/api main by an org owner
/// (classic protection does not bind admins here; the audit log records the override,
/// at a time no merge is near). GitHub associates the commit with the open PR only; the
/// PR stays open because its later commit never reached main.
fn api_push_of_open_pr_commit(g: &mut Gen) {
    let pushed = g.at(71, 14, 30) + Duration::seconds(41);
    let repo = g.repo("api");
    let jose = g.who("jnunez");
    let mwebb = g.who("mwebb");
    let created = pushed - Duration::minutes(12);
    let mut open = g.skeleton(
        repo,
        "main",
        jose,
        "Raise partner rate limit for Northwind (temporary)",
        created,
        None,
        jose,
        Method::Merge,
    );
    let first_at = pushed - Duration::minutes(15);
    let first = g.commit(
        jose,
        Some(jose),
        "Raise partner rate limit for Northwind to 600 rpm".into(),
        first_at - Duration::minutes(2),
        first_at,
    );
    let later = pushed + Duration::hours(2);
    let second = g.commit(
        jose,
        Some(jose),
        "Add config flag for partner overrides".into(),
        later,
        later,
    );
    open.commits = vec![first.clone(), second];
    let sha = first.sha.clone();
    let open_index = g.prs.len();
    g.prs.push(open);
    // No merge into api may come near: the branch must not move between the commit and
    // the push (a fast-forward), and the audit event must match no merge.
    g.reserved.push((repo, first_at));
    g.reserved.push((repo, pushed));
    let why = format!(
        "commit {sha} was pushed straight to acme/api main by @mwebb (the audit log records a policy_override for the push); its only associated PR is still open, not merged"
    );
    g.pushes.push(DirectPush {
        repo,
        branch: "main".into(),
        at: pushed,
        pusher: mwebb,
        commit: first,
        prs: vec![open_index],
        audit_override: true,
        why,
    });
}

// ---------------------------------------------------------------- tricky, must not flag

fn tricky(p: &mut Pr, why: &str) {
    p.tricky = Some(why.to_string());
}

/// A dependabot[bot] PR approved by a human (a bot author does not make the human's
/// approval less independent; the bot is no approver).
fn tricky_dependabot(g: &mut Gen) {
    let created = g.at(20, 4, 12) + jitter(g);
    let merged = g.at(20, 15, 3) + jitter(g);
    let repo = g.repo("api");
    let bot = g.people.dependabot;
    let raj = g.who("rpatel");
    let mut p = g.skeleton(
        repo,
        "main",
        bot,
        "Bump golang.org/x/crypto from 0.26.0 to 0.27.0",
        created,
        Some(merged),
        raj,
        Method::Squash,
    );
    p.head_ref = "dependabot/go_modules/golang.org/x/crypto-0.27.0".into();
    p.labels = vec!["dependencies".into(), "go".into()];
    let at = created - Duration::seconds(35);
    let c = g.commit(bot, None, p.title.clone(), at, at);
    p.commits = vec![c];
    approve(g, &mut p, "rpatel", merged - Duration::minutes(12));
    tricky(
        &mut p,
        "authored by dependabot[bot] (a Bot: its commit is committed by web-flow) and approved before merge by @rpatel, a human who is not an author",
    );
    g.prs.push(p);
}

/// Ordinary PRs merged by squash (web) and by rebase (infra): the commits on the branch
/// are new ones committed by web-flow, associated with the PR.
fn tricky_squash_and_rebase(g: &mut Gen) {
    let web = g.repo("web");
    let t = g.at(35, 16, 20) + jitter(g);
    let mut p = g.ordinary(web, "main", t);
    p.planted = true;
    if let Some(m) = p.merge.as_mut() {
        m.method = Method::Squash;
    }
    tricky(
        &mut p,
        "squash-merged: main holds one new commit (committed by web-flow) associated with the PR; the PR's own commits never reach main",
    );
    g.prs.push(p);

    let infra = g.repo("infra");
    let t = g.at(41, 14, 5) + jitter(g);
    let mut p = g.ordinary(infra, "master", t);
    p.planted = true;
    if let Some(m) = p.merge.as_mut() {
        m.method = Method::Rebase;
    }
    tricky(
        &mut p,
        "rebase-merged: master holds rewritten copies of its commits (new SHAs, committed by web-flow) that GitHub associates with the PR; the merge commit sha is the last of them",
    );
    g.prs.push(p);
}

/// One commit made in the web UI (committer web-flow): web-flow is not an author.
fn tricky_web_ui_commit(g: &mut Gen) {
    let created = g.at(50, 9, 20) + jitter(g);
    let merged = g.at(50, 16, 45) + jitter(g);
    let mut p = pr(
        g,
        "api",
        "main",
        "fatima-alsayed",
        "Document webhook retry policy in the OpenAPI spec",
        created,
        Some(merged),
        "fatima-alsayed",
        Method::Merge,
        1,
    );
    let fatima = p.author;
    let at = merged - Duration::hours(2);
    let c = g.commit(fatima, None, "Update openapi.yaml".into(), at, at);
    p.commits.push(c);
    approve(g, &mut p, "daniel-levi", merged - Duration::minutes(40));
    tricky(
        &mut p,
        "one commit was made in the web UI (committer GitHub <noreply@github.com>, login web-flow); web-flow is no author, and @daniel-levi's approval on the head is independent",
    );
    g.prs.push(p);
}

/// A reviewer requests changes on an earlier commit, then approves the head.
fn tricky_changes_requested_then_approved(g: &mut Gen) {
    let created = g.at(7, 8, 0) + jitter(g);
    let merged = g.at(7, 18, 10) + jitter(g);
    let mut p = pr(
        g,
        "web",
        "main",
        "hschaefer",
        "Fix currency formatting for JPY",
        created,
        Some(merged),
        "hschaefer",
        Method::Squash,
        1,
    );
    let tomas = g.who("tomas-obriain");
    let first = p.head_sha().to_string();
    let cr_at = merged - Duration::hours(6);
    let r = g.review(tomas, ReviewState::ChangesRequested, cr_at, Some(&first));
    p.reviews.push(r);
    let hannah = p.author;
    let at = merged - Duration::hours(3);
    let c = g.commit(
        hannah,
        Some(hannah),
        "Use Intl.NumberFormat minimumFractionDigits 0 for JPY".into(),
        at - Duration::minutes(2),
        at,
    );
    p.commits.push(c);
    approve(g, &mut p, "tomas-obriain", merged - Duration::minutes(30));
    tricky(
        &mut p,
        "@tomas-obriain requested changes on the first commit, then approved the head: the later APPROVED review counts",
    );
    g.prs.push(p);
}

/// The approver's login is mixed case (`GraceLiu`); the rule suite of her merge push
/// records it as `graceliu` (before she changed its case). Logins compare
/// case-insensitively; she is not an author. Planted inside the rule suites' month.
fn tricky_mixed_case_approver(g: &mut Gen) {
    let created = g.at(77, 9, 15) + jitter(g);
    let merged = g.at(77, 15, 50) + jitter(g);
    let mut p = pr(
        g,
        "payments",
        "main",
        "sokafor",
        "Retry payouts on transient bank errors",
        created,
        Some(merged),
        "GraceLiu",
        Method::Merge,
        2,
    );
    approve(g, &mut p, "GraceLiu", merged - Duration::minutes(90));
    approve(g, &mut p, "kmensah", merged - Duration::minutes(30));
    tricky(
        &mut p,
        "approved and merged by @GraceLiu, whose login the rule suite of the merge push records as `graceliu`; logins compare case-insensitively and she is no author (2 independent approvals)",
    );
    g.prs.push(p);
}

/// A `Co-authored-by:` trailer whose email maps to no account (an agency designer):
/// ignored; the approval by someone else is independent.
fn tricky_external_coauthor(g: &mut Gen) {
    let created = g.at(13, 9, 0) + jitter(g);
    let merged = g.at(13, 17, 20) + jitter(g);
    let mut p = pr(
        g,
        "mobile-app",
        "main",
        "tomas-obriain",
        "Add push notification opt-in screen",
        created,
        Some(merged),
        "tomas-obriain",
        Method::Squash,
        2,
    );
    p.commits[0]
        .message
        .push_str("\n\nCo-authored-by: Mei Lin <mei.lin@brightpixel-agency.example>");
    approve(g, &mut p, "sarah-oconnor", merged - Duration::minutes(55));
    tricky(
        &mut p,
        "a Co-authored-by trailer names mei.lin@brightpixel-agency.example, which maps to no account; @sarah-oconnor's approval is independent",
    );
    g.prs.push(p);
}

/// An emergency-labelled PR that nonetheless got a normal approval before merge.
fn tricky_hotfix_label(g: &mut Gen) {
    let created = g.at(62, 14, 5) + jitter(g);
    let merged = g.at(62, 16, 20) + jitter(g);
    let mut p = pr(
        g,
        "api",
        "main",
        "kmensah",
        "Hotfix: stop double-charging shipping on split orders",
        created,
        Some(merged),
        "kmensah",
        Method::Merge,
        1,
    );
    p.labels = vec!["hotfix".into(), "bug".into()];
    approve(
        g,
        &mut p,
        "priya-raghunathan",
        merged - Duration::minutes(18),
    );
    tricky(
        &mut p,
        "labelled hotfix (an emergency label) but independently approved on the head before merge: nothing to flag",
    );
    g.prs.push(p);
}

/// Merged just outside the window: the search's one-day margin returns them, but they
/// are not in the population (and neither was reviewed, so counting them would flag).
fn tricky_outside_window(g: &mut Gen) {
    let before = g.window.start - Duration::hours(2); // 2026-06-30T22:00Z
    let mut p = pr(
        g,
        "infra",
        "master",
        "mkowalczyk",
        "Bump Karpenter to 0.37",
        before - Duration::hours(3),
        Some(before),
        "mkowalczyk",
        Method::Squash,
        1,
    );
    tricky(
        &mut p,
        "merged 2026-06-30T22:00Z without review: returned by the search's day margin, but before the window and not in the population",
    );
    g.prs.push(p);

    let after = g.window.end + Duration::hours(1); // 2026-10-01T01:00Z
    let mut p = pr(
        g,
        "infra",
        "master",
        "dvolkov",
        "Drain old node group after the 1.30 upgrade",
        after - Duration::hours(5),
        Some(after),
        "dvolkov",
        Method::Squash,
        1,
    );
    tricky(
        &mut p,
        "merged 2026-10-01T01:00Z without review: returned by the search's day margin, but after the window and not in the population",
    );
    g.prs.push(p);
}

/// Merged into `develop` (not a production branch) without review.
fn tricky_non_production_base(g: &mut Gen) {
    let created = g.at(57, 10, 0) + jitter(g);
    let merged = g.at(57, 11, 30) + jitter(g);
    let mut p = pr(
        g,
        "web",
        "develop",
        "chenwei",
        "Prototype product comparison table",
        created,
        Some(merged),
        "chenwei",
        Method::Merge,
        2,
    );
    tricky(
        &mut p,
        "merged into develop, which is not a production branch, without review: not in the population",
    );
    g.prs.push(p);
}

/// A backport into release/2026.09, approved and fully checked.
fn tricky_release_branch_change(g: &mut Gen) {
    let created = g.at(69, 13, 0) + jitter(g);
    let merged = g.at(69, 18, 15) + jitter(g);
    let mut p = pr(
        g,
        "api",
        "release/2026.09",
        "nhaddad",
        "Backport: handle missing shipping region in tax lookup",
        created,
        Some(merged),
        "nhaddad",
        Method::Merge,
        1,
    );
    approve(g, &mut p, "rpatel", merged - Duration::minutes(25));
    tricky(
        &mut p,
        "a change into release/2026.09 (a production branch by `release/*`), approved and checked like any other: in the population, no exception",
    );
    g.prs.push(p);
}

/// A merge-commit merge: the PR's own commits enter main's history, associated with it.
fn tricky_merge_commit_brings_commits(g: &mut Gen) {
    let created = g.at(14, 8, 10) + jitter(g);
    let merged = g.at(14, 17, 0) + jitter(g);
    let mut p = pr(
        g,
        "api",
        "main",
        "jnunez",
        "Add retry with jitter to the webhook dispatcher",
        created,
        Some(merged),
        "jnunez",
        Method::Merge,
        3,
    );
    approve(g, &mut p, "kmensah", merged - Duration::minutes(35));
    tricky(
        &mut p,
        "merged with a merge commit: its three commits appear in main's history, each associated with this merged PR, so none is a direct push",
    );
    g.prs.push(p);
}
