//! The normalized evidence model: what every collector produces and every control reads.
//!
//! Records here are derived from raw API responses by `normalize` (a pure function), so a
//! locker can be re-normalized at any time and an auditor can trace every attribute back
//! to the raw response it came from through [`EvidenceRef`]s.
//!
//! Identities: GitHub logins are case-insensitive; records keep the login as the API
//! returned it and comparisons go through [`login_key`].

mod evidence_ref;
mod layout;
mod text;
pub mod timestamp;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use evidence_ref::EvidenceRef;
pub use layout::{records_bytes, write_records};
pub use text::{Text, interning};

/// A point in time, always UTC.
pub type Timestamp = DateTime<Utc>;

/// Schema tag of the normalized evidence file.
pub const EVIDENCE_SCHEMA: &str = "changeproof.evidence/v1";

/// The normalized evidence of one locker.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    pub schema: String,
    /// When the collection ran: every "now" a control needs is measured against it.
    pub snapshot_time: Timestamp,
    pub repositories: Vec<Repository>,
    pub changes: Vec<Change>,
    pub branch_commits: Vec<BranchCommit>,
    pub deployments: Vec<Deployment>,
    pub branch_protections: Vec<BranchProtection>,
    pub rule_suites: Vec<RuleSuite>,
    pub audit_events: Vec<AuditEvent>,
    pub access: Access,
    /// How each population was obtained (completeness and accuracy, SPEC §6).
    pub queries: Vec<PopulationQuery>,
    /// Evidence that could not be obtained; dependent controls become `not_tested`.
    pub gaps: Vec<Gap>,
    /// Versions of the rulesets that protect production branches (ruleset history).
    #[serde(default)]
    pub ruleset_versions: Vec<RulesetVersion>,
    /// How far back in time each time-limited source reaches (OP-04).
    #[serde(default)]
    pub coverage: Vec<SourceCoverage>,
    /// Deployment environments and their protection rules at the snapshot (absent from
    /// evidence written before they were collected).
    #[serde(default)]
    pub environments: Vec<Environment>,
}

/// An account as an API reports it on a record (author, reviewer, merger, deployer …).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Actor {
    pub login: Text,
    pub kind: ActorKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    User,
    Bot,
    Organization,
    Mannequin,
    /// Any other type the API reports (e.g. EnterpriseUserAccount) or an unknown type.
    Other,
}

impl ActorKind {
    /// Maps GitHub's GraphQL `__typename` or REST `type` of an actor.
    pub fn from_github_type(name: &str) -> ActorKind {
        match name {
            "User" => ActorKind::User,
            "Bot" => ActorKind::Bot,
            "Organization" => ActorKind::Organization,
            "Mannequin" => ActorKind::Mannequin,
            _ => ActorKind::Other,
        }
    }
}

impl Actor {
    /// An account as GitHub's REST API names it. GraphQL gives an App's bot account
    /// without the suffix (`dependabot`), REST with it (`dependabot[bot]`); normalizing
    /// GraphQL actors to the REST form makes one bot one login across the evidence.
    pub fn github(typename: &str, login: &str) -> Actor {
        let kind = ActorKind::from_github_type(typename);
        let login = if kind == ActorKind::Bot && !login.ends_with("[bot]") {
            format!("{login}[bot]").into()
        } else {
            login.into()
        };
        Actor { kind, login }
    }
}

/// The comparison key of a login: GitHub logins are case-insensitive.
pub fn login_key(login: &str) -> String {
    login.to_ascii_lowercase()
}

/// [`login_key`] as a [`Text`]: the login itself (shared, not copied) when it is
/// lower-case already, as most are.
pub fn login_key_text(login: &Text) -> Text {
    match crate::util::lower(login) {
        std::borrow::Cow::Borrowed(_) => login.clone(),
        std::borrow::Cow::Owned(key) => Text::from(key),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Repository {
    /// The configured source this repository was collected from.
    pub source: String,
    /// `owner/name` (GitLab: the project path).
    pub full_name: String,
    pub default_branch: String,
    /// Production branches that existed at the snapshot, resolved from the config patterns.
    pub production_branches: Vec<String>,
    pub url: String,
    pub archived: bool,
    pub evidence: Vec<EvidenceRef>,
}

/// A pull request (GitLab: merge request) merged into a branch. Whether it is in the
/// population (production branch, merged inside the window) is decided by evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Change {
    pub source: Text,
    pub repo: Text,
    pub number: u64,
    #[serde(deserialize_with = "text::unique")]
    pub title: Text,
    #[serde(deserialize_with = "text::unique")]
    pub url: Text,
    /// `None` when the account was deleted (GitHub's "ghost").
    pub author: Option<Actor>,
    pub base_branch: Text,
    #[serde(deserialize_with = "text::unique")]
    pub head_branch: Text,
    #[serde(with = "timestamp")]
    pub created_at: Timestamp,
    #[serde(with = "timestamp")]
    pub merged_at: Timestamp,
    pub merged_by: Option<Actor>,
    pub merge_commit_sha: Option<Text>,
    /// The PR head at merge (`headRefOid` of a merged PR).
    pub head_sha: Text,
    pub labels: Vec<Text>,
    pub reviews: Vec<Review>,
    pub commits: Vec<CommitInfo>,
    /// Checks of the head commit.
    pub checks: Checks,
    pub timeline: Vec<TimelineEvent>,
    /// Nested collections that could not be collected in full (e.g. `"reviews"`). Controls
    /// that depend on them do not judge the change from partial data.
    pub incomplete: Vec<Text>,
    pub evidence: Vec<EvidenceRef>,
}

impl Change {
    /// Every commit SHA the change carries: its merge commit, its head at merge and its
    /// commits, in that order (a SHA may come more than once).
    pub fn carried_shas(&self) -> impl Iterator<Item = &Text> {
        self.merge_commit_sha
            .iter()
            .chain([&self.head_sha])
            .chain(self.commits.iter().map(|c| &c.sha))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Review {
    #[serde(deserialize_with = "text::unique")]
    pub id: Text,
    pub author: Option<Actor>,
    /// The state at collection time: a dismissed approval is `Dismissed`.
    pub state: ReviewState,
    #[serde(default, with = "timestamp::option")]
    pub submitted_at: Option<Timestamp>,
    /// The commit the review was given on; `None` when the API does not say.
    pub commit_sha: Option<Text>,
    pub evidence: Vec<EvidenceRef>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewState {
    Approved,
    ChangesRequested,
    Commented,
    Dismissed,
    Pending,
}

/// A git identity as recorded in a commit (author, committer or co-author trailer).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GitIdentity {
    pub name: Text,
    pub email: Text,
    /// The account the forge linked this identity to, if any.
    pub login: Option<Text>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommitInfo {
    pub sha: Text,
    pub message: Text,
    pub author: GitIdentity,
    pub committer: GitIdentity,
    /// `Co-authored-by:` trailers of the message, as written (login not yet resolved).
    pub co_authors: Vec<GitIdentity>,
    #[serde(with = "timestamp")]
    pub authored_at: Timestamp,
    #[serde(with = "timestamp")]
    pub committed_at: Timestamp,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checks {
    /// The head commit the checks belong to.
    pub sha: Text,
    /// GitHub's combined rollup state; `None` when the commit has no checks at all.
    pub rollup: Option<CheckState>,
    pub runs: Vec<CheckRun>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckState {
    Success,
    Failure,
    Error,
    Pending,
    Expected,
}

/// One check run or commit status context on the head commit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckRun {
    /// Check run name, or status context.
    pub name: Text,
    pub kind: CheckKind,
    /// The concluded outcome, lower-case as in the REST API: `success`, `failure`,
    /// `neutral`, `skipped`, `cancelled`, `timed_out`, `action_required`, `stale`,
    /// `startup_failure`, `error`, `pending`; `None` while a check run has not completed.
    pub conclusion: Option<Text>,
    /// The app that ran a check run (`github-actions` …).
    pub app: Option<Text>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckKind {
    CheckRun,
    StatusContext,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimelineEvent {
    #[serde(with = "timestamp")]
    pub at: Timestamp,
    pub actor: Option<Actor>,
    pub event: TimelineKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum TimelineKind {
    ReviewDismissed {
        review_id: Option<Text>,
        previous_state: Option<ReviewState>,
    },
    HeadRefForcePushed {
        before: Option<Text>,
        after: Option<Text>,
    },
    Merged {
        commit: Option<Text>,
        base: Option<Text>,
    },
}

/// A commit on a production branch (CM-05 population), with the changes the forge
/// associates with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BranchCommit {
    pub source: Text,
    pub repo: Text,
    pub branch: Text,
    pub sha: Text,
    pub message_headline: Text,
    pub author: GitIdentity,
    pub committer: GitIdentity,
    #[serde(with = "timestamp")]
    pub authored_at: Timestamp,
    #[serde(with = "timestamp")]
    pub committed_at: Timestamp,
    pub parents: Vec<Text>,
    pub associated_changes: Vec<AssociatedChange>,
    #[serde(deserialize_with = "text::unique")]
    pub url: Text,
    pub evidence: Vec<EvidenceRef>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssociatedChange {
    pub number: u64,
    pub merged: bool,
    #[serde(default, with = "timestamp::option")]
    pub merged_at: Option<Timestamp>,
    pub base_branch: Text,
    pub merge_commit_sha: Option<Text>,
}

/// A deployment to an environment (production or not: evaluation filters).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deployment {
    pub source: Text,
    pub repo: Text,
    #[serde(deserialize_with = "text::unique")]
    pub id: Text,
    pub environment: Text,
    pub sha: Text,
    pub ref_name: Text,
    #[serde(with = "timestamp")]
    pub created_at: Timestamp,
    pub creator: Option<Actor>,
    /// Status history, oldest first.
    pub statuses: Vec<DeploymentStatus>,
    /// The workflow run that created the deployment, when known.
    pub workflow_run_id: Option<u64>,
    /// Environment reviews of that run.
    pub approvals: Vec<DeploymentApproval>,
    #[serde(deserialize_with = "text::unique")]
    pub url: Text,
    pub evidence: Vec<EvidenceRef>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeploymentStatus {
    /// `success`, `failure`, `error`, `inactive`, `in_progress`, `queued`, `pending`.
    pub state: Text,
    #[serde(with = "timestamp")]
    pub created_at: Timestamp,
    pub creator: Option<Actor>,
    pub log_url: Option<Text>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeploymentApproval {
    pub user: Actor,
    /// `approved` or `rejected`.
    pub state: Text,
    pub environments: Vec<Text>,
    pub comment: Text,
    pub evidence: Vec<EvidenceRef>,
}

/// Branch protection and ruleset rules in force on one branch at the snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BranchProtection {
    pub source: String,
    pub repo: String,
    pub branch: String,
    /// Classic branch protection exists.
    pub protected: bool,
    /// At least one ruleset rule applies to the branch.
    pub has_rulesets: bool,
    pub require_pull_request: bool,
    pub required_approvals: u32,
    pub dismiss_stale_reviews: bool,
    pub require_code_owner_review: bool,
    /// Required status check contexts (union of protection and rulesets).
    pub required_checks: Vec<Text>,
    pub strict_checks: bool,
    pub enforce_admins: bool,
    pub allow_force_pushes: bool,
    /// Actors allowed to bypass (ruleset bypass actors, PR-review bypass allowances).
    pub bypass_actors: Vec<String>,
    /// The rulesets whose rules apply to the branch (`ruleset_id` of each rule).
    #[serde(default)]
    pub ruleset_ids: Vec<u64>,
    pub evidence: Vec<EvidenceRef>,
}

/// A ruleset evaluation of a push (GitHub rule suites): `bypass` is the strongest
/// evidence that a change bypassed protection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSuite {
    pub source: String,
    pub repo: String,
    pub id: u64,
    pub actor: Option<String>,
    pub ref_name: String,
    pub before_sha: String,
    pub after_sha: String,
    pub pushed_at: Timestamp,
    /// `pass`, `fail` or `bypass`.
    pub result: String,
    pub evaluation_result: Option<String>,
    pub evidence: Vec<EvidenceRef>,
}

/// An organisation audit-log event of interest (e.g. `protected_branch.policy_override`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditEvent {
    pub source: String,
    pub org: String,
    pub action: String,
    pub actor: Option<String>,
    pub repo: Option<String>,
    pub branch: Option<String>,
    pub at: Timestamp,
    pub document_id: Option<String>,
    /// The event's other scalar fields as recorded (e.g. `admin_enforced` → `false`,
    /// `name` → the protected branch pattern), for configuration-change events.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub fields: std::collections::BTreeMap<String, String>,
    pub evidence: Vec<EvidenceRef>,
}

/// One version of a ruleset (`GET …/rulesets/{id}/history/{version_id}`), folded into
/// the protection terms CM-10 compares.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesetVersion {
    pub source: String,
    /// The repository (`owner/name`) whose ruleset this is, or the organisation login for
    /// an organisation ruleset.
    pub repo: String,
    pub ruleset_id: u64,
    pub version_id: u64,
    pub updated_at: Timestamp,
    /// `User 123`: the history names actors by type and id only.
    pub actor: Option<String>,
    pub name: String,
    /// `active`, `evaluate` or `disabled`.
    pub enforcement: String,
    /// `branch`, `tag` or `push`.
    pub target: String,
    /// `conditions.ref_name` patterns (`refs/heads/main`, `~DEFAULT_BRANCH`, `~ALL` …).
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    pub require_pull_request: bool,
    pub required_approvals: u32,
    pub dismiss_stale_reviews: bool,
    pub required_checks: Vec<String>,
    pub blocks_force_pushes: bool,
    /// `Team 234 (always)`, `RepositoryRole 5 (pull_request)` …
    pub bypass_actors: Vec<String>,
    pub evidence: Vec<EvidenceRef>,
}

/// How far back a time-limited source reaches, per repository or organisation (OP-04).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceCoverage {
    pub source: String,
    /// `rule_suites`, `audit_log` or `git_events`.
    pub evidence_type: String,
    /// The repository (`owner/name`) or the organisation login.
    pub scope: String,
    /// The earliest time the call can return records for: the documented retention, or
    /// the query's own period, counted back from the snapshot time (the collection ran
    /// in the minutes before it).
    pub retention_from: Timestamp,
    /// How that limit is documented (`time_period=month: the last month` …).
    pub retention: String,
    /// The oldest record actually retrieved, if any.
    pub oldest_record: Option<Timestamp>,
    /// The snapshot time the retention is counted back from.
    pub as_of: Timestamp,
    /// SHA-256 of the responses the figures come from.
    pub responses: Vec<String>,
}

/// Access lists at the snapshot.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Access {
    pub org_members: Vec<OrgMember>,
    pub outside_collaborators: Vec<OutsideCollaborator>,
    pub repo_collaborators: Vec<RepoCollaborator>,
    pub teams: Vec<Team>,
    pub deploy_keys: Vec<DeployKey>,
    pub secrets: Vec<Secret>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgMember {
    pub source: String,
    pub org: String,
    pub login: String,
    pub kind: ActorKind,
    /// `admin` (owner) or `member`.
    pub role: String,
    /// `None` when the token could not see 2FA status.
    pub two_factor_enabled: Option<bool>,
    pub evidence: Vec<EvidenceRef>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutsideCollaborator {
    pub source: String,
    pub org: String,
    pub login: String,
    pub two_factor_enabled: Option<bool>,
    pub evidence: Vec<EvidenceRef>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepoCollaborator {
    pub source: String,
    pub repo: String,
    pub login: String,
    pub kind: ActorKind,
    /// `read`, `triage`, `write`, `maintain` or `admin` (or a custom role name).
    pub permission: String,
    pub evidence: Vec<EvidenceRef>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Team {
    pub source: String,
    pub org: String,
    pub slug: String,
    pub name: String,
    pub members: Vec<String>,
    pub repos: Vec<TeamRepo>,
    pub evidence: Vec<EvidenceRef>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamRepo {
    pub repo: String,
    pub permission: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeployKey {
    pub source: String,
    pub repo: String,
    pub id: u64,
    pub title: String,
    pub read_only: bool,
    pub created_at: Timestamp,
    pub last_used: Option<Timestamp>,
    pub evidence: Vec<EvidenceRef>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Secret {
    pub source: String,
    /// `repo` or `org`.
    pub scope: String,
    /// The repository (`owner/name`) or the org login.
    pub owner: String,
    pub name: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub evidence: Vec<EvidenceRef>,
}

/// How one population (or one repository's share of it) was obtained: the IPE record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PopulationQuery {
    pub source: String,
    /// The evidence type, one of [`EVIDENCE_TYPES`].
    pub evidence_type: String,
    pub repo: Option<String>,
    /// `GET /repos/acme/api/deployments` or `POST /graphql MergedPullRequests`.
    pub endpoint: String,
    /// The query parameters or GraphQL variables that select the population.
    pub parameters: String,
    pub pages: u32,
    pub records: u64,
    /// The API's own count of the population, where it gives one.
    pub total_count: Option<u64>,
    /// SHA-256 of every raw response that made up the population, in request order.
    pub responses: Vec<String>,
}

/// A repository's deployment environment and its protection rules at the snapshot
/// (`GET /repos/{owner}/{repo}/environments`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Environment {
    pub source: String,
    pub repo: String,
    pub name: String,
    /// Minutes a job waits before deploying (the `wait_timer` rule), when set.
    pub wait_timer: Option<u32>,
    /// Required reviewers (the `required_reviewers` rule); empty without that rule.
    pub reviewers: Vec<EnvironmentReviewer>,
    /// Whether the rule forbids the one who triggered the run to approve it.
    pub prevent_self_review: bool,
    /// Which branches may deploy; `None`: any branch.
    pub deployment_branch_policy: Option<DeploymentBranchPolicy>,
    /// Whether administrators can bypass the rules (`None` where GitHub does not say).
    pub can_admins_bypass: Option<bool>,
    pub evidence: Vec<EvidenceRef>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentReviewer {
    /// `User` or `Team`, as GitHub types the reviewer.
    pub kind: String,
    /// The user's login or the team's slug.
    pub name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeploymentBranchPolicy {
    /// Only branches with branch protection may deploy.
    pub protected_branches: bool,
    /// Only branches matching the environment's custom name patterns may deploy.
    pub custom_branch_policies: bool,
}

/// Evidence that could not be obtained or is incomplete.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gap {
    pub source: String,
    pub evidence_type: String,
    pub repo: Option<String>,
    /// HTTP status of the failing call, if there was one.
    pub status: Option<u16>,
    pub reason: String,
}

/// The evidence types a collector can gather; gaps and queries name one of these.
pub const EVIDENCE_TYPES: &[&str] = &[
    "repositories",
    "pull_requests",
    "branch_commits",
    "branch_protection",
    "rulesets",
    "rule_suites",
    "ruleset_history",
    "protection_history",
    "audit_log",
    "deployments",
    "deployment_statuses",
    "deployment_approvals",
    "deployed_changes",
    "environments",
    "org_members",
    "two_factor",
    "outside_collaborators",
    "repo_collaborators",
    "teams",
    "deploy_keys",
    "secrets",
];

/// Strings as [`EvidenceRef`]s (normalizers build lists of owned strings).
pub fn evidence_refs(strings: Vec<String>) -> Vec<EvidenceRef> {
    strings.iter().map(|s| EvidenceRef::new(s)).collect()
}

/// Strings as [`Text`]s (normalizers build lists of owned strings).
pub fn texts(strings: Vec<String>) -> Vec<Text> {
    strings.into_iter().map(Text::from).collect()
}

/// [`Text`]s as owned strings.
pub fn strings(texts: Vec<Text>) -> Vec<String> {
    texts.into_iter().map(String::from).collect()
}
