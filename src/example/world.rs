//! The example organisation as plain data: repositories, pull requests, commits, branch
//! histories, deployments, protection and access. Built by `build`, planted by
//! `scenarios`, turned into GitHub responses by the renderers.

use crate::locker::Window;
use crate::model::Timestamp;

use super::people::{Acct, GitId, People};

pub const ORG: &str = "acme";
pub const ORG_ID: u64 = 91_345_120;
pub const API_URL: &str = "https://api.github.com";
pub const SOURCE: &str = "github-acme";

/// Everything the example organisation holds at the snapshot.
#[derive(Debug, Clone)]
pub struct World {
    pub window: Window,
    pub snapshot: Timestamp,
    pub people: People,
    pub repos: Vec<Repo>,
    pub prs: Vec<Pr>,
    pub branches: Vec<Branch>,
    pub rule_suites: Vec<RuleSuite>,
    pub audit_events: Vec<AuditEvent>,
    pub deployments: Vec<Deployment>,
    pub run_approvals: Vec<RunApproval>,
    /// Planted deployment exceptions and tricky deployments.
    pub deployment_plants: Vec<DeploymentPlant>,
    pub access: AccessPlan,
    /// Planted direct pushes (CM-05), with why.
    pub planted_commits: Vec<PlantedCommit>,
    /// Tricky commits and other non-change subjects.
    pub tricky_commits: Vec<TrickyCommit>,
    /// Branch-protection history and planted CM-09/CM-10/OP-04 cases.
    pub branch_plan: super::scenarios_branch::BranchPlan,
}

#[derive(Debug, Clone)]
pub struct Repo {
    pub name: &'static str,
    pub id: u64,
    pub description: &'static str,
    pub language: &'static str,
    pub topics: &'static [&'static str],
    pub created_at: &'static str,
    pub default_branch: &'static str,
    /// Production branches collected (default first).
    pub production: Vec<String>,
    /// Excluded by the config (`sandbox-*`): listed, never collected.
    pub in_scope: bool,
    pub protection: Vec<(String, Protection)>,
    /// Check runs (by github-actions) every head commit gets, and the status context.
    pub check_runs: &'static [&'static str],
    pub status_context: &'static str,
    pub team: &'static str,
    pub first_pr_number: u64,
    pub has_deployments: bool,
}

impl Repo {
    pub fn full_name(&self) -> String {
        format!("{ORG}/{}", self.name)
    }

    pub fn protection(&self, branch: &str) -> &Protection {
        self.protection
            .iter()
            .find(|(b, _)| b == branch)
            .map(|(_, p)| p)
            .unwrap_or(&Protection::None)
    }
}

/// What protects a production branch at the snapshot.
#[derive(Debug, Clone, PartialEq)]
pub enum Protection {
    None,
    Classic {
        approvals: u32,
        dismiss_stale: bool,
        checks: Vec<&'static str>,
        enforce_admins: bool,
    },
    Rulesets {
        ruleset_id: u64,
        ruleset_name: &'static str,
        approvals: u32,
        dismiss_stale: bool,
        checks: Vec<&'static str>,
    },
}

// What GitHub demands before a merge (used by the consistency tests).
#[cfg(test)]
impl Protection {
    pub fn required_approvals(&self) -> u32 {
        match self {
            Protection::None => 0,
            Protection::Classic { approvals, .. } | Protection::Rulesets { approvals, .. } => {
                *approvals
            }
        }
    }

    pub fn required_checks(&self) -> &[&'static str] {
        match self {
            Protection::None => &[],
            Protection::Classic { checks, .. } | Protection::Rulesets { checks, .. } => checks,
        }
    }

    pub fn dismisses_stale(&self) -> bool {
        match self {
            Protection::None => false,
            Protection::Classic { dismiss_stale, .. }
            | Protection::Rulesets { dismiss_stale, .. } => *dismiss_stale,
        }
    }
}

pub fn repos() -> Vec<Repo> {
    let classic = |approvals, dismiss_stale, checks: Vec<&'static str>| Protection::Classic {
        approvals,
        dismiss_stale,
        checks,
        enforce_admins: false,
    };
    vec![
        Repo {
            name: "api",
            id: 412_907_331,
            description: "Public and partner REST API (orders, customers, invoices)",
            language: "Go",
            topics: &["api", "golang", "orders"],
            created_at: "2021-09-14T08:12:44Z",
            default_branch: "main",
            production: vec![
                "main".into(),
                "release/2026.08".into(),
                "release/2026.09".into(),
            ],
            in_scope: true,
            protection: vec![
                ("main".into(), classic(1, true, vec!["ci/build", "ci/test"])),
                (
                    "release/2026.08".into(),
                    classic(1, false, vec!["ci/build"]),
                ),
                (
                    "release/2026.09".into(),
                    classic(1, false, vec!["ci/build"]),
                ),
            ],
            check_runs: &["ci/build", "ci/test", "lint"],
            status_context: "codecov/project",
            team: super::people::BACKEND,
            first_pr_number: 2318,
            has_deployments: true,
        },
        Repo {
            name: "infra",
            id: 418_220_905,
            description: "Terraform and Flux manifests for Acme's cloud accounts",
            language: "HCL",
            topics: &["terraform", "gitops", "flux"],
            created_at: "2021-10-02T13:40:07Z",
            default_branch: "master",
            production: vec!["master".into()],
            in_scope: true,
            protection: vec![("master".into(), Protection::None)],
            check_runs: &["terraform-fmt", "terraform-plan"],
            status_context: "atlantis/plan",
            team: super::people::PLATFORM,
            first_pr_number: 305,
            has_deployments: false,
        },
        Repo {
            name: "mobile-app",
            id: 501_663_418,
            description: "Acme iOS and Android app (React Native)",
            language: "TypeScript",
            topics: &["react-native", "ios", "android"],
            created_at: "2022-06-21T09:03:51Z",
            default_branch: "main",
            production: vec!["main".into()],
            in_scope: true,
            protection: vec![(
                "main".into(),
                Protection::Rulesets {
                    ruleset_id: 1_244_871,
                    ruleset_name: "main protection",
                    approvals: 1,
                    dismiss_stale: true,
                    checks: vec!["build"],
                },
            )],
            check_runs: &["build", "unit-tests"],
            status_context: "ci/bitrise",
            team: super::people::FRONTEND,
            first_pr_number: 911,
            has_deployments: false,
        },
        Repo {
            name: "payments",
            id: 433_518_264,
            description: "Payment orchestration, card vaulting and payouts",
            language: "Kotlin",
            topics: &["payments", "pci", "kotlin"],
            created_at: "2021-12-08T16:25:30Z",
            default_branch: "main",
            production: vec!["main".into()],
            in_scope: true,
            protection: vec![(
                "main".into(),
                Protection::Rulesets {
                    ruleset_id: 1_198_502,
                    ruleset_name: "payments main (PCI)",
                    approvals: 2,
                    dismiss_stale: true,
                    checks: vec!["ci", "security/scan"],
                },
            )],
            check_runs: &["ci", "contract-tests"],
            status_context: "security/scan",
            team: super::people::BACKEND,
            first_pr_number: 640,
            has_deployments: true,
        },
        Repo {
            name: "sandbox-playground",
            id: 689_004_127,
            description: "Throwaway experiments (not production)",
            language: "Python",
            topics: &[],
            created_at: "2024-03-11T10:00:12Z",
            default_branch: "main",
            production: vec![],
            in_scope: false,
            protection: vec![],
            check_runs: &[],
            status_context: "",
            team: "",
            first_pr_number: 1,
            has_deployments: false,
        },
        Repo {
            name: "web",
            id: 415_336_782,
            description: "acme.io storefront and customer dashboard (Next.js)",
            language: "TypeScript",
            topics: &["nextjs", "react", "storefront"],
            created_at: "2021-09-20T11:31:02Z",
            default_branch: "main",
            production: vec!["main".into()],
            in_scope: true,
            protection: vec![("main".into(), classic(1, false, vec!["build"]))],
            check_runs: &["build", "lint", "e2e"],
            status_context: "Vercel",
            team: super::people::FRONTEND,
            first_pr_number: 1834,
            has_deployments: true,
        },
    ]
}

/// How a pull request was merged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Merge,
    Squash,
    Rebase,
}

#[derive(Debug, Clone)]
pub struct Merge {
    pub at: Timestamp,
    pub by: Acct,
    pub method: Method,
    /// Set when the branch histories are built.
    pub commit: String,
    /// The protection was overridden; how GitHub recorded it.
    pub bypass: Option<BypassRecord>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BypassRecord {
    /// An org owner merged despite classic protection: audit-log `policy_override`.
    AuditLog,
    /// A ruleset bypass actor merged: rule suite `bypass`.
    RuleSuite,
    /// Nothing recorded it.
    Unrecorded,
}

#[derive(Debug, Clone)]
pub struct Commit {
    pub sha: String,
    pub message: String,
    pub author: GitId,
    pub committer: GitId,
    pub author_offset_min: i32,
    pub committer_offset_min: i32,
    pub authored: Timestamp,
    pub committed: Timestamp,
    /// Filled for commits that enter a branch history.
    pub parents: Vec<String>,
}

impl Commit {
    pub fn headline(&self) -> &str {
        self.message.lines().next().unwrap_or("")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewState {
    Approved,
    Commented,
    ChangesRequested,
    Dismissed,
}

impl ReviewState {
    pub fn graphql(self) -> &'static str {
        match self {
            ReviewState::Approved => "APPROVED",
            ReviewState::Commented => "COMMENTED",
            ReviewState::ChangesRequested => "CHANGES_REQUESTED",
            ReviewState::Dismissed => "DISMISSED",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Review {
    /// `databaseId`, assigned in time order across the organisation.
    pub id: u64,
    pub author: Acct,
    pub state: ReviewState,
    pub submitted_at: Timestamp,
    /// The commit reviewed; `None` when GitHub no longer has it (force-pushed away).
    pub commit: Option<String>,
}

#[derive(Debug, Clone)]
pub enum CheckCtx {
    Run {
        name: String,
        conclusion: &'static str,
    },
    Status {
        context: String,
        state: &'static str,
    },
}

#[derive(Debug, Clone)]
pub struct Checks {
    /// `statusCheckRollup.state`.
    pub rollup: &'static str,
    pub contexts: Vec<CheckCtx>,
}

#[derive(Debug, Clone)]
pub enum Timeline {
    ReviewDismissed {
        at: Timestamp,
        actor: Acct,
        /// Index into the PR's reviews.
        review: usize,
    },
    ForcePushed {
        at: Timestamp,
        actor: Acct,
        before: Option<String>,
        after: Option<String>,
    },
}

/// A planted exception on a change.
#[derive(Debug, Clone)]
pub struct Plant {
    pub control: &'static str,
    pub kind: &'static str,
    pub why: String,
}

#[derive(Debug, Clone)]
pub struct Pr {
    pub repo: usize,
    /// Assigned per repository in creation order.
    pub number: u64,
    pub title: String,
    pub author: Acct,
    pub base: String,
    pub head_ref: String,
    pub created_at: Timestamp,
    /// `None`: still open.
    pub merge: Option<Merge>,
    pub labels: Vec<String>,
    pub commits: Vec<Commit>,
    pub reviews: Vec<Review>,
    /// `None`: the head commit has no checks at all (`statusCheckRollup: null`).
    pub checks: Option<Checks>,
    pub timeline: Vec<Timeline>,
    pub plants: Vec<Plant>,
    pub tricky: Option<String>,
    /// Planted records keep their times: fillers are scheduled around them.
    pub planted: bool,
}

impl Pr {
    pub fn head_sha(&self) -> &str {
        self.commits.last().map_or("", |c| c.sha.as_str())
    }

    pub fn merged_at(&self) -> Option<Timestamp> {
        self.merge.as_ref().map(|m| m.at)
    }
}

/// A production branch's history as the BranchHistory query sees it.
#[derive(Debug, Clone)]
pub struct Branch {
    pub repo: usize,
    pub name: String,
    pub commits: Vec<BranchCommit>,
    /// A release branch cut from another branch: it also holds that branch's first
    /// `count` commits (index into `branches`, count).
    pub cut_from: Option<(usize, usize)>,
    /// The tip before the first update recorded here (before the window).
    pub start_tip: String,
    pub tip: String,
    /// Every update of the branch ref, oldest first (for rule suites).
    pub pushes: Vec<Push>,
}

#[derive(Debug, Clone)]
pub struct BranchCommit {
    pub commit: Commit,
    /// PRs GitHub associates with the commit (indices into `prs`).
    pub prs: Vec<usize>,
    /// Insertion order on the branch: ties of committer date are shown newest first.
    pub seq: u64,
}

#[derive(Debug, Clone)]
pub struct Push {
    pub at: Timestamp,
    pub actor: Acct,
    pub before: String,
    pub after: String,
    pub pr: Option<usize>,
    /// `commits.len()` after the update (a release branch cut here inherits that many).
    pub len_after: usize,
}

#[derive(Debug, Clone)]
pub struct RuleSuite {
    pub id: u64,
    pub repo: usize,
    pub actor: Acct,
    /// The login recorded at push time (may differ in case from today's login).
    pub actor_name: String,
    pub branch: String,
    pub before: String,
    pub after: String,
    pub pushed_at: Timestamp,
    pub result: &'static str,
    pub evaluation_result: &'static str,
}

#[derive(Debug, Clone)]
pub struct AuditEvent {
    pub at: Timestamp,
    pub actor: Acct,
    pub repo: usize,
    pub branch: String,
    pub document_id: String,
}

#[derive(Debug, Clone)]
pub struct Deployment {
    pub id: u64,
    pub repo: usize,
    pub environment: &'static str,
    pub sha: String,
    pub ref_name: String,
    pub created_at: Timestamp,
    /// Who created it; `None`: github-actions[bot] (the workflow's own token).
    pub creator: Option<Acct>,
    pub run_id: u64,
    pub job_id: u64,
    /// Oldest first.
    pub statuses: Vec<DeploymentStatus>,
}

#[derive(Debug, Clone)]
pub struct DeploymentStatus {
    pub id: u64,
    pub state: &'static str,
    pub created_at: Timestamp,
}

/// A planted deployment case: exceptions it must raise, or why it must raise none.
#[derive(Debug, Clone)]
pub struct DeploymentPlant {
    /// Index into `World::deployments`.
    pub deployment: usize,
    pub plants: Vec<Plant>,
    pub tricky: Option<String>,
}

/// An environment reviewer's approval of a workflow run.
#[derive(Debug, Clone)]
pub struct RunApproval {
    pub repo: usize,
    pub run_id: u64,
    pub environments: Vec<&'static str>,
    pub user: Acct,
    pub comment: String,
}

/// Access at the snapshot.
#[derive(Debug, Clone, Default)]
pub struct AccessPlan {
    pub teams: Vec<TeamPlan>,
    /// (repo, account, role name) direct collaborators.
    pub collaborators: Vec<(usize, Acct, &'static str)>,
    pub deploy_keys: Vec<DeployKey>,
    pub repo_secrets: Vec<(usize, SecretPlan)>,
    pub org_secrets: Vec<SecretPlan>,
    /// The HR roster export (AC-02), written next to the locker's config.
    pub roster: Vec<crate::roster::RosterRow>,
    /// Planted access exceptions (AC-01..AC-04), from the planting intent.
    pub plants: Vec<AccessCase>,
    /// Access records a careless tool gets wrong, which must raise nothing.
    pub tricky: Vec<AccessCase>,
}

/// A planted access exception or tricky access record.
#[derive(Debug, Clone)]
pub struct AccessCase {
    pub control: &'static str,
    pub kind: &'static str,
    /// `owner/name`, or the org for org-wide subjects.
    pub repo: String,
    pub subject_type: crate::findings::SubjectType,
    pub subject: String,
    pub why: String,
}

#[derive(Debug, Clone)]
pub struct TeamPlan {
    pub id: u64,
    pub slug: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub members: Vec<(Acct, &'static str)>,
    pub repos: Vec<(usize, &'static str)>,
}

#[derive(Debug, Clone)]
pub struct DeployKey {
    pub repo: usize,
    pub id: u64,
    pub title: &'static str,
    pub read_only: bool,
    pub added_by: Acct,
    pub created_at: &'static str,
    pub last_used: Option<&'static str>,
}

#[derive(Debug, Clone)]
pub struct SecretPlan {
    pub name: &'static str,
    pub created_at: &'static str,
    pub updated_at: &'static str,
    pub visibility: Option<&'static str>,
}

#[derive(Debug, Clone)]
pub struct PlantedCommit {
    pub repo: usize,
    pub sha: String,
    pub why: String,
}

#[derive(Debug, Clone)]
pub struct TrickyCommit {
    pub repo: usize,
    pub sha: String,
    pub why: String,
}
