//! Planted cases of the emergency procedure (CM-09), branch protection (CM-10) and
//! evidence coverage (OP-04), with the protection configuration history they need: the
//! rulesets' version histories and the audit log's configuration events.
//!
//! The protection at the snapshot is the world's (`world::repos`); what it fails of the
//! baseline is planted here as intent, each with why, and a consistency test checks that
//! the rendered protection says the same. Days are offsets from the window start.

use chrono::Duration;

use super::activity::Gen;
use super::people::Acct;
use super::rng::Rng;
use super::world::{Method, Plant, Pr, ReviewState};
use crate::model::Timestamp;

/// The branch-protection history and the planted branch and source findings.
#[derive(Debug, Clone, Default)]
pub struct BranchPlan {
    /// Audit-log configuration events (`protected_branch.*`, `repository_ruleset.*`).
    pub config_events: Vec<ConfigEvent>,
    /// Versions of the repository rulesets, oldest first per ruleset.
    pub ruleset_versions: Vec<RulesetVersionPlan>,
    /// Planted CM-10 exceptions: (repo, branch, kind, why).
    pub branch_findings: Vec<(usize, String, &'static str, String)>,
    /// Branches a careless tool would flag: (repo, branch, why).
    pub tricky_branches: Vec<(usize, String, String)>,
    /// PRs (indices into `prs`) CM-09 judges instead of CM-01/CM-02.
    pub judged_by_cm09: Vec<usize>,
}

#[derive(Debug, Clone)]
pub struct ConfigEvent {
    pub at: Timestamp,
    pub actor: Acct,
    pub repo: usize,
    pub action: &'static str,
    /// The event's own fields (`name`, `admin_enforced` …).
    pub fields: Vec<(&'static str, serde_json::Value)>,
    pub document_id: String,
}

#[derive(Debug, Clone)]
pub struct RulesetVersionPlan {
    pub repo: usize,
    pub ruleset_id: u64,
    pub version_id: u64,
    pub at: Timestamp,
    pub actor: Acct,
    pub enforcement: &'static str,
    pub approvals: u32,
    pub dismiss_stale: bool,
    pub checks: Vec<&'static str>,
    /// (actor type, actor id, bypass mode).
    pub bypass: Vec<(&'static str, Option<u64>, &'static str)>,
}

/// Plants every case of this file.
pub fn plant_all(g: &mut Gen) {
    emergency_timely_retro_review(g);
    emergency_late_retro_review(g);
    emergency_never_reviewed(g);
    ruleset_histories(g);
    protection_config_events(g);
    branch_findings(g);
}

fn jitter(g: &mut Gen) -> Duration {
    Duration::minutes(g.rng.range(0, 12)) + Duration::seconds(g.rng.range(0, 59))
}

/// An emergency PR on acme/infra (no protection: merging unreviewed is possible without
/// a bypass), merged by its author without review.
fn emergency_pr(g: &mut Gen, day: i64, title: &str, author: &str, label: &str) -> Pr {
    let created = g.at(day, 2, 10) + jitter(g);
    let merged = g.at(day, 2, 55) + jitter(g);
    let repo = g.repo("infra");
    let who = g.who(author);
    let mut p = g.skeleton(
        repo,
        "master",
        who,
        title,
        created,
        Some(merged),
        who,
        Method::Squash,
    );
    p.commits = g.commits(
        who,
        1,
        created - Duration::minutes(20),
        created + Duration::minutes(10),
        title,
    );
    p.labels = vec![label.into(), "incident".into()];
    p
}

fn retro_review(g: &mut Gen, p: &mut Pr, who: &str, after: Duration) {
    let who = g.who(who);
    let head = p.head_sha().to_string();
    let at = p.merged_at().unwrap_or(p.created_at) + after;
    let r = g.review(who, ReviewState::Approved, at, Some(&head));
    p.reviews.push(r);
}

/// Emergency fix at night, reviewed independently the next morning: within 72 hours.
fn emergency_timely_retro_review(g: &mut Gen) {
    let mut p = emergency_pr(
        g,
        20,
        "Raise NAT gateway connection limit (incident INC-2291)",
        "dvolkov",
        "emergency",
    );
    retro_review(g, &mut p, "sarah-oconnor", Duration::hours(7));
    p.tricky = Some(
        "emergency-labelled, merged at night without review and reviewed independently by @sarah-oconnor 7 hours later, inside emergency_review_within (72h): CM-09 passes it and CM-01 leaves it to CM-09".into(),
    );
    p.planted = true;
    g.branch_plan.judged_by_cm09.push(g.prs.len());
    g.prs.push(p);
}

/// Emergency fix reviewed only five days later.
fn emergency_late_retro_review(g: &mut Gen) {
    let mut p = emergency_pr(
        g,
        33,
        "Rotate expired TLS certificate on the edge load balancer",
        "dvolkov",
        "hotfix",
    );
    retro_review(
        g,
        &mut p,
        "sarah-oconnor",
        Duration::days(5) + Duration::hours(2),
    );
    p.plants.push(Plant {
        control: "CM-09",
        kind: "emergency_unreviewed",
        why: "hotfix merged without review; @sarah-oconnor approved it 5 days 2 hours after the merge, later than emergency_review_within (72h)".into(),
    });
    p.planted = true;
    g.branch_plan.judged_by_cm09.push(g.prs.len());
    g.prs.push(p);
}

/// Emergency fix never reviewed by anyone but its author (who approved it himself).
fn emergency_never_reviewed(g: &mut Gen) {
    let mut p = emergency_pr(
        g,
        47,
        "Scale payments worker pool to 40 replicas",
        "sarah-oconnor",
        "Emergency",
    );
    let commenter = g.who("dvolkov");
    let at = p.merged_at().unwrap_or(p.created_at) + Duration::hours(3);
    let head = p.head_sha().to_string();
    let r = g.review(commenter, ReviewState::Commented, at, Some(&head));
    p.reviews.push(r);
    p.plants.push(Plant {
        control: "CM-09",
        kind: "emergency_unreviewed",
        why: "emergency (label `Emergency`) merged without review and never approved afterwards: @dvolkov only commented".into(),
    });
    p.planted = true;
    g.branch_plan.judged_by_cm09.push(g.prs.len());
    g.prs.push(p);
}

/// The version histories of the two repository rulesets; the latest version of each is
/// the protection the world has at the snapshot.
fn ruleset_histories(g: &mut Gen) {
    let mobile = g.repo("mobile-app");
    let payments = g.repo("payments");
    let owner = g.who("mwebb");
    let lead = g.who("priya-raghunathan");
    let plan = &mut g.branch_plan;
    let base = |repo, ruleset_id, version_id, at, actor| RulesetVersionPlan {
        repo,
        ruleset_id,
        version_id,
        at,
        actor,
        enforcement: "active",
        approvals: 1,
        dismiss_stale: true,
        checks: vec!["build"],
        bypass: Vec::new(),
    };
    // mobile-app: created in 2025, switched off for a day in August, switched back on.
    let mobile_id = 1_244_871;
    plan.ruleset_versions.push(base(
        mobile,
        mobile_id,
        1,
        g.window.start - Duration::days(270) + Duration::hours(11),
        owner,
    ));
    let mut off = base(
        mobile,
        mobile_id,
        2,
        g.window.start + Duration::days(40) + Duration::hours(22) + Duration::minutes(4),
        owner,
    );
    off.enforcement = "disabled";
    plan.ruleset_versions.push(off);
    plan.ruleset_versions.push(base(
        mobile,
        mobile_id,
        3,
        g.window.start + Duration::days(41) + Duration::hours(13) + Duration::minutes(37),
        owner,
    ));
    // payments: org owners may always bypass; two approvals since July (a tightening).
    let payments_id = 1_198_502;
    let payments_version = |version, at, approvals| {
        let mut v = base(payments, payments_id, version, at, lead);
        v.approvals = approvals;
        v.checks = vec!["ci", "security/scan"];
        v.bypass = vec![("OrganizationAdmin", None, "always")];
        v
    };
    plan.ruleset_versions.push(payments_version(
        1,
        g.window.start - Duration::days(410) + Duration::hours(15),
        1,
    ));
    plan.ruleset_versions.push(payments_version(
        2,
        g.window.start + Duration::days(9) + Duration::hours(14) + Duration::minutes(2),
        2,
    ));
}

/// The audit log's configuration events: web's required checks switched off for an
/// afternoon, the mobile ruleset's enforcement change, and changes that weaken nothing.
fn protection_config_events(g: &mut Gen) {
    let web = g.repo("web");
    let api = g.repo("api");
    let mobile = g.repo("mobile-app");
    let admin = g.who("soren-ostergaard");
    let owner = g.who("mwebb");
    let at = |day: i64, h: i64, m: i64| g.at(day, h, m);
    let s = |v: &str| serde_json::Value::String(v.to_string());
    let mut events = vec![
        ConfigEvent {
            at: at(25, 15, 12),
            actor: admin,
            repo: web,
            action: "protected_branch.update_required_status_checks_enforcement_level",
            fields: vec![
                ("name", s("main")),
                ("required_status_checks_enforcement_level", s("off")),
            ],
            document_id: String::new(),
        },
        ConfigEvent {
            at: at(25, 18, 40),
            actor: admin,
            repo: web,
            action: "protected_branch.update_required_status_checks_enforcement_level",
            fields: vec![
                ("name", s("main")),
                ("required_status_checks_enforcement_level", s("everyone")),
            ],
            document_id: String::new(),
        },
        // Protection of a release branch that no longer exists, removed before the window.
        ConfigEvent {
            at: at(-20, 10, 5),
            actor: owner,
            repo: api,
            action: "protected_branch.destroy",
            fields: vec![("name", s("release/2026.06"))],
            document_id: String::new(),
        },
        // The new release branch gets its protection when it is cut: nothing weakened.
        ConfigEvent {
            at: at(63, 9, 2),
            actor: owner,
            repo: api,
            action: "protected_branch.create",
            fields: vec![("name", s("release/2026.09"))],
            document_id: String::new(),
        },
    ];
    let mobile_versions: Vec<(Timestamp, &'static str)> = g
        .branch_plan
        .ruleset_versions
        .iter()
        .filter(|v| v.repo == mobile && v.version_id > 1)
        .map(|v| (v.at, v.enforcement))
        .collect();
    for (at, enforcement) in mobile_versions {
        events.push(ConfigEvent {
            at: at + Duration::milliseconds(310),
            actor: owner,
            repo: mobile,
            action: "repository_ruleset.update",
            fields: vec![
                ("ruleset_id", serde_json::json!(1_244_871)),
                ("ruleset_name", s("main protection")),
                ("ruleset_enforcement", s(enforcement)),
            ],
            document_id: String::new(),
        });
    }
    let mut rng = Rng::stream(0x5eed, "config-events");
    events.sort_by_key(|e| e.at);
    for e in &mut events {
        e.document_id = super::history::document_id(&mut rng);
    }
    g.branch_plan.config_events = events;
}

/// What the protection at the snapshot and the configuration history make CM-10 find.
fn branch_findings(g: &mut Gen) {
    let api = g.repo("api");
    let infra = g.repo("infra");
    let mobile = g.repo("mobile-app");
    let payments = g.repo("payments");
    let web = g.repo("web");
    let plan = &mut g.branch_plan;
    let mut plant = |repo, branch: &str, kind, why: &str| {
        plan.branch_findings
            .push((repo, branch.to_string(), kind, why.to_string()));
    };
    plant(
        api,
        "main",
        "weak_protection",
        "classic protection does not apply to administrators (enforce_admins off): that is how an owner merged over it (the CM-04 audit-log case)",
    );
    plant(
        api,
        "release/2026.08",
        "weak_protection",
        "release branches keep stale approvals and exempt administrators",
    );
    plant(
        api,
        "release/2026.09",
        "weak_protection",
        "release branches keep stale approvals and exempt administrators (its protection.create in the window weakened nothing)",
    );
    plant(
        infra,
        "master",
        "unprotected_branch",
        "acme/infra has no branch protection and no ruleset",
    );
    plant(
        payments,
        "main",
        "weak_protection",
        "the payments ruleset lets organisation admins bypass it (OrganizationAdmin, always): @mwebb merged over a failed scan that way",
    );
    plant(
        web,
        "main",
        "weak_protection",
        "stale approvals survive new commits (the CM-02 cases) and administrators are exempt",
    );
    plant(
        web,
        "main",
        "protection_weakened_in_window",
        "required status checks were switched off for everyone on 2026-07-26 15:12 and back on at 18:40 (audit log)",
    );
    plant(
        mobile,
        "main",
        "protection_weakened_in_window",
        "the ruleset was disabled on 2026-08-10 22:04 and re-enabled the next day (ruleset history version 2, and the audit log)",
    );
    plan.tricky_branches.push((
        mobile,
        "main".into(),
        "meets the baseline at the snapshot (ruleset: pull request, 1 approval, stale approvals dismissed, build required, force pushes blocked, no bypass actor)".into(),
    ));
    plan.tricky_branches.push((
        payments,
        "main".into(),
        "its ruleset was tightened in the window (1 → 2 approvals, version 2): a change that weakens nothing".into(),
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_latest_ruleset_version_is_the_protection_at_the_snapshot() {
        let config = super::super::example_config().unwrap();
        let window = config.audit.window.window();
        let mut g = Gen::new(7, window, super::super::snapshot_time(&window));
        plant_all(&mut g);
        for (repo, branch) in [("mobile-app", "main"), ("payments", "main")] {
            let r = g.repo(repo);
            let super::super::world::Protection::Rulesets {
                ruleset_id,
                approvals,
                dismiss_stale,
                checks,
                ..
            } = g.repos[r].protection(branch).clone()
            else {
                panic!("{repo} has rulesets");
            };
            let latest = g
                .branch_plan
                .ruleset_versions
                .iter()
                .filter(|v| v.ruleset_id == ruleset_id)
                .max_by_key(|v| v.version_id)
                .unwrap();
            assert_eq!(latest.enforcement, "active", "{repo}");
            assert_eq!(latest.approvals, approvals, "{repo}");
            assert_eq!(latest.dismiss_stale, dismiss_stale, "{repo}");
            assert_eq!(latest.checks, checks, "{repo}");
        }
        let infra = g.repo("infra");
        assert_eq!(
            *g.repos[infra].protection("master"),
            super::super::world::Protection::None
        );
    }
}
