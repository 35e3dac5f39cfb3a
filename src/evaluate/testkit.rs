//! Hand-built evidence for the control tests: an organisation `acme` with repositories
//! `acme/api` and `acme/payments` (default branch `main`, protected: one approval and
//! `ci/test` required), the example's window and config, and builders for changes and
//! branch commits whose defaults pass every control.

use std::ops::Deref;
use std::path::{Path, PathBuf};

use chrono::Duration;

use crate::catalog::Catalog;
use crate::config::{Config, RepositoryOverride};
use crate::findings::{ControlResult, Exception};
use crate::model::*;

use super::{EvalInput, Evaluation, evaluate};

pub const SOURCE: &str = "github-acme";
/// Stands for the change's head SHA in review builders.
pub const HEAD: &str = "<head>";

const CONFIG: &str = r#"
[audit]
name = "test"
window = { start = "2026-07-01", end = "2026-10-01" }

[[source]]
kind = "github"
name = "github-acme"
org = "acme"

[scope]
production_branches = ["{default}", "release/*"]
production_environments = ["production", "prod-*"]

[controls]
bots = ["acme-ci"]
"#;

pub fn t(text: &str) -> Timestamp {
    chrono::DateTime::parse_from_rfc3339(text)
        .expect("test time")
        .with_timezone(&chrono::Utc)
}

/// The default merge time of a test change.
pub fn merged() -> Timestamp {
    t("2026-08-01T12:00:00Z")
}

pub fn user(login: &str) -> Actor {
    Actor {
        login: login.into(),
        kind: ActorKind::User,
    }
}

/// A git identity the forge linked to `login`.
pub fn ident(login: &str) -> GitIdentity {
    linked(login, &format!("{login}@acme.test"), login)
}

pub fn linked(name: &str, email: &str, login: &str) -> GitIdentity {
    GitIdentity {
        name: name.into(),
        email: email.into(),
        login: Some(login.into()),
    }
}

pub fn unlinked(name: &str, email: &str) -> GitIdentity {
    GitIdentity {
        name: name.into(),
        email: email.into(),
        login: None,
    }
}

pub fn head_sha(number: u64) -> String {
    format!("{:040x}", 0xbeef_0000_u64 + number)
}

pub fn merge_sha(number: u64) -> String {
    format!("{:040x}", 0xfeed_0000_u64 + number)
}

/// `(repo/subject_type/subject, kind)` of a change exception in `acme/api`.
pub fn exc(number: u64, kind: &str) -> (String, String) {
    (format!("acme/api/change/{number}"), kind.to_string())
}

fn protection(repo: &str, branch: &str) -> BranchProtection {
    BranchProtection {
        source: SOURCE.into(),
        repo: repo.into(),
        branch: branch.into(),
        protected: true,
        has_rulesets: false,
        require_pull_request: true,
        required_approvals: 1,
        dismiss_stale_reviews: true,
        require_code_owner_review: false,
        required_checks: vec!["ci/test".into()],
        strict_checks: false,
        enforce_admins: true,
        allow_force_pushes: false,
        bypass_actors: Vec::new(),
        ruleset_ids: Vec::new(),
        evidence: vec![format!("sha256:bp-{repo}-{branch}#/").into()],
    }
}

fn query(evidence_type: &str, repo: &str, records: u64) -> PopulationQuery {
    PopulationQuery {
        source: SOURCE.into(),
        evidence_type: evidence_type.into(),
        repo: Some(repo.into()),
        endpoint: format!("POST /graphql {evidence_type}"),
        parameters: format!("repo:{repo}"),
        pages: 1,
        records,
        total_count: Some(records),
        responses: vec![format!("q-{evidence_type}-{repo}")],
    }
}

/// Evidence and config under construction.
pub struct Kit {
    pub evidence: Evidence,
    pub config: Config,
    /// The HR roster and previous snapshot (see `testkit_access`).
    pub inputs: crate::inputs::Inputs,
}

impl Kit {
    pub fn new() -> Kit {
        let config =
            Config::parse(CONFIG, Path::new("test.toml"), PathBuf::from(".")).expect("test config");
        let repos = ["acme/api", "acme/payments"];
        let evidence = Evidence {
            schema: EVIDENCE_SCHEMA.into(),
            snapshot_time: t("2026-10-05T09:00:00Z"),
            repositories: repos
                .iter()
                .map(|r| Repository {
                    source: SOURCE.into(),
                    full_name: (*r).into(),
                    default_branch: "main".into(),
                    production_branches: vec!["main".into()],
                    url: format!("https://github.com/{r}"),
                    archived: false,
                    evidence: vec![format!("sha256:repos#/{r}").into()],
                })
                .collect(),
            branch_protections: repos.iter().map(|r| protection(r, "main")).collect(),
            queries: repos
                .iter()
                .flat_map(|r| {
                    [
                        query("pull_requests", r, 0),
                        query("branch_commits", r, 0),
                        query("branch_protection", r, 1),
                        query("deployments", r, 0),
                    ]
                })
                .collect(),
            ..Evidence::default()
        };
        Kit {
            evidence,
            config,
            inputs: crate::inputs::Inputs::default(),
        }
    }

    pub fn add(&mut self, change: ChangeBuilder) {
        self.evidence.changes.push(change.build());
    }

    pub fn add_commit(&mut self, commit: CommitBuilder) {
        self.evidence.branch_commits.push(commit.0);
    }

    /// Adds a deployment. The first one also brings the org's member list (alice, bob,
    /// carol, dave), which OP-02 reads.
    pub fn deploy(&mut self, deployment: DeploymentBuilder) {
        if self.evidence.access.org_members.is_empty() {
            for login in ["alice", "bob", "carol", "dave"] {
                self.evidence.access.org_members.push(OrgMember {
                    source: SOURCE.into(),
                    org: "acme".into(),
                    login: login.into(),
                    kind: ActorKind::User,
                    role: "member".into(),
                    two_factor_enabled: Some(true),
                    evidence: vec![format!("sha256:members#/{login}").into()],
                });
            }
        }
        self.evidence.deployments.push(deployment.build());
    }

    pub fn config_min_approvals(&mut self, repo: &str, n: u32) {
        self.config.controls.repository.push(RepositoryOverride {
            repos: vec![repo.into()],
            min_approvals: Some(n),
        });
    }

    /// The protection record of (repo, branch), created with the defaults if missing.
    pub fn protection(&mut self, repo: &str, branch: &str) -> &mut BranchProtection {
        let list = &mut self.evidence.branch_protections;
        let at = match list
            .iter()
            .position(|p| p.repo == repo && p.branch == branch)
        {
            Some(at) => at,
            None => {
                list.push(protection(repo, branch));
                list.len() - 1
            }
        };
        &mut list[at]
    }

    pub fn remove_protection(&mut self, repo: &str, branch: &str) {
        self.evidence
            .branch_protections
            .retain(|p| !(p.repo == repo && p.branch == branch));
    }

    pub fn gap(&mut self, evidence_type: &str, repo: Option<&str>) {
        self.evidence.gaps.push(Gap {
            source: SOURCE.into(),
            evidence_type: evidence_type.into(),
            repo: repo.map(String::from),
            status: Some(403),
            reason: "Resource not accessible by integration".into(),
        });
    }

    pub fn run(&self) -> Eval {
        let catalog = Catalog::builtin().expect("catalog");
        let missing = Vec::new();
        Eval(evaluate(&EvalInput {
            evidence: &self.evidence,
            config: &self.config,
            catalog: &catalog,
            window: self.config.audit.window.window(),
            complete: true,
            missing: &missing,
            inputs: &self.inputs,
        }))
    }
}

/// An evaluation with lookups for assertions.
pub struct Eval(pub Evaluation);

impl Deref for Eval {
    type Target = Evaluation;
    fn deref(&self) -> &Evaluation {
        &self.0
    }
}

impl Eval {
    /// `(repo/subject_type/subject, kind)` of a control's exceptions, in id order.
    pub fn kinds(&self, control: &str) -> Vec<(String, String)> {
        self.findings
            .exceptions
            .iter()
            .filter(|e| e.control == control)
            .map(|e| {
                (
                    format!("{}/{}/{}", e.repo, e.subject_type.as_str(), e.subject),
                    e.kind.clone(),
                )
            })
            .collect()
    }

    pub fn exception(&self, id: &str) -> &Exception {
        self.findings
            .exceptions
            .iter()
            .find(|e| e.id == id)
            .unwrap_or_else(|| panic!("no exception {id}: {:#?}", self.findings.exceptions))
    }

    pub fn result(&self, control: &str) -> &ControlResult {
        self.findings
            .controls
            .iter()
            .find(|c| c.id == control)
            .unwrap_or_else(|| panic!("no result for {control}"))
    }
}

/// A change whose defaults pass every control: merged 2026-08-01 12:00 into `main` of
/// `acme/api`, authored and committed by alice, head checks green. Add reviews.
pub fn pr(number: u64) -> ChangeBuilder {
    ChangeBuilder {
        change: Change {
            source: SOURCE.into(),
            repo: "acme/api".into(),
            number,
            title: format!("Change {number}").into(),
            url: String::new().into(),
            author: Some(user("alice")),
            base_branch: "main".into(),
            head_branch: format!("feature/{number}").into(),
            created_at: merged() - Duration::days(1),
            merged_at: merged(),
            merged_by: Some(user("alice")),
            merge_commit_sha: Some(merge_sha(number).into()),
            head_sha: head_sha(number).into(),
            labels: Vec::new(),
            reviews: Vec::new(),
            commits: Vec::new(),
            checks: Checks {
                sha: String::new().into(),
                rollup: Some(CheckState::Success),
                runs: vec![run("ci/test", Some("success"))],
            },
            timeline: Vec::new(),
            incomplete: Vec::new(),
            evidence: vec![format!("sha256:pr{number}#/").into()],
        },
        extra_commits: Vec::new(),
        co_authors: Vec::new(),
    }
}

pub fn run(name: &str, conclusion: Option<&str>) -> CheckRun {
    CheckRun {
        name: name.into(),
        kind: CheckKind::CheckRun,
        conclusion: conclusion.map(crate::model::Text::from),
        app: Some("github-actions".into()),
    }
}

pub struct ChangeBuilder {
    change: Change,
    extra_commits: Vec<(GitIdentity, GitIdentity)>,
    co_authors: Vec<GitIdentity>,
}

impl ChangeBuilder {
    pub fn repo(mut self, repo: &str) -> Self {
        self.change.repo = repo.into();
        self
    }

    pub fn author(mut self, login: &str) -> Self {
        self.change.author = Some(user(login));
        self
    }

    pub fn author_bot(mut self, login: &str) -> Self {
        self.change.author = Some(Actor {
            login: login.into(),
            kind: ActorKind::Bot,
        });
        self
    }

    pub fn deleted_author(mut self) -> Self {
        self.change.author = None;
        self
    }

    pub fn base(mut self, branch: &str) -> Self {
        self.change.base_branch = branch.into();
        self
    }

    pub fn merged_at(mut self, at: &str) -> Self {
        self.change.merged_at = t(at);
        self.change.created_at = t(at) - Duration::days(1);
        self
    }

    pub fn merge_sha(mut self, sha: Option<&str>) -> Self {
        self.change.merge_commit_sha = sha.map(crate::model::Text::from);
        self
    }

    pub fn label(mut self, label: &str) -> Self {
        self.change.labels.push(label.into());
        self
    }

    pub fn incomplete(mut self, what: &str) -> Self {
        self.change.incomplete.push(what.into());
        self
    }

    /// A commit besides the default one by the PR author.
    pub fn commit(mut self, author: GitIdentity, committer: GitIdentity) -> Self {
        self.extra_commits.push((author, committer));
        self
    }

    /// A `Co-authored-by:` trailer on the default commit.
    pub fn co_author(mut self, name: &str, email: &str) -> Self {
        self.co_authors.push(unlinked(name, email));
        self
    }

    /// A review `minutes` after the merge (negative: before), on `commit` (`HEAD` for
    /// the head commit).
    pub fn review(
        mut self,
        login: &str,
        state: ReviewState,
        minutes: i64,
        commit: Option<&str>,
    ) -> Self {
        self.push_review(Some(user(login)), state, minutes, commit);
        self
    }

    fn push_review(
        &mut self,
        author: Option<Actor>,
        state: ReviewState,
        minutes: i64,
        commit: Option<&str>,
    ) {
        let i = self.change.reviews.len();
        let number = self.change.number;
        self.change.reviews.push(Review {
            id: format!("r{number}-{i}").into(),
            author,
            state,
            submitted_at: Some(self.change.merged_at + Duration::minutes(minutes)),
            commit_sha: commit.map(crate::model::Text::from),
            evidence: vec![format!("sha256:pr{number}#/reviews/{i}").into()],
        });
    }

    /// An approval on the head commit an hour before the merge.
    pub fn approve(self, login: &str) -> Self {
        self.review(login, ReviewState::Approved, -60, Some(HEAD))
    }

    pub fn approve_on(self, login: &str, commit: Option<&str>) -> Self {
        self.review(login, ReviewState::Approved, -60, commit)
    }

    pub fn approve_bot(mut self, login: &str) -> Self {
        let bot = Actor {
            login: login.into(),
            kind: ActorKind::Bot,
        };
        self.push_review(Some(bot), ReviewState::Approved, -60, Some(HEAD));
        self
    }

    pub fn approve_ghost(mut self) -> Self {
        self.push_review(None, ReviewState::Approved, -60, Some(HEAD));
        self
    }

    /// Replaces the head commit's checks.
    pub fn checks(mut self, rollup: Option<CheckState>, runs: &[(&str, Option<&str>)]) -> Self {
        self.change.checks.rollup = rollup;
        self.change.checks.runs = runs.iter().map(|(n, c)| run(n, *c)).collect();
        self
    }

    pub fn checks_sha(mut self, sha: &str) -> Self {
        self.change.checks.sha = sha.into();
        self
    }

    pub fn build(mut self) -> Change {
        let c = &mut self.change;
        c.url = format!("https://github.com/{}/pull/{}", c.repo, c.number).into();
        if c.checks.sha.is_empty() {
            c.checks.sha = c.head_sha.clone();
        }
        for review in &mut c.reviews {
            if review.commit_sha.as_deref() == Some(HEAD) {
                review.commit_sha = Some(c.head_sha.clone());
            }
        }
        let me = match &c.author {
            Some(a) => ident(&a.login),
            None => unlinked("Ghost", "ghost@home.test"),
        };
        let mut commits = vec![(me.clone(), me, self.co_authors)];
        commits.extend(
            self.extra_commits
                .into_iter()
                .map(|(a, m)| (a, m, Vec::new())),
        );
        let count = commits.len();
        c.commits = commits
            .into_iter()
            .enumerate()
            .map(|(i, (author, committer, co_authors))| CommitInfo {
                sha: if i + 1 == count {
                    c.head_sha.clone()
                } else {
                    format!("{:040x}", 0xc0_0000 + c.number * 16 + i as u64).into()
                },
                message: format!("Commit {i}").into(),
                author,
                committer,
                co_authors,
                authored_at: c.merged_at - Duration::hours(3),
                committed_at: c.merged_at - Duration::hours(3),
            })
            .collect();
        self.change
    }
}

/// A commit on a branch, committed 2026-08-01 12:00, not associated with any change.
pub fn bc(repo: &str, branch: &str, sha: &str) -> CommitBuilder {
    CommitBuilder(BranchCommit {
        source: SOURCE.into(),
        repo: repo.into(),
        branch: branch.into(),
        sha: sha.into(),
        message_headline: format!("Commit {}", &sha[..sha.len().min(7)]).into(),
        author: ident("alice"),
        committer: ident("alice"),
        authored_at: merged(),
        committed_at: merged(),
        parents: Vec::new(),
        associated_changes: Vec::new(),
        url: format!("https://github.com/{repo}/commit/{sha}").into(),
        evidence: vec![format!("sha256:history-{branch}#/{sha}").into()],
    })
}

pub struct CommitBuilder(BranchCommit);

impl CommitBuilder {
    pub fn at(mut self, at: &str) -> Self {
        self.0.committed_at = t(at);
        self
    }

    pub fn parent(mut self, sha: &str) -> Self {
        self.0.parents.push(sha.into());
        self
    }

    pub fn associated(mut self, number: u64, merged_pr: bool, base: &str) -> Self {
        self.0.associated_changes.push(AssociatedChange {
            number,
            merged: merged_pr,
            merged_at: merged_pr.then(merged),
            base_branch: base.into(),
            merge_commit_sha: (merged_pr.then(|| merge_sha(number))).map(Into::into),
        });
        self
    }
}

/// A coverage record of a time-limited source, requested at the snapshot.
pub fn coverage(evidence_type: &str, scope: &str, retention_from: &str) -> SourceCoverage {
    SourceCoverage {
        source: SOURCE.into(),
        evidence_type: evidence_type.into(),
        scope: scope.into(),
        retention_from: t(retention_from),
        retention: "test retention".into(),
        oldest_record: None,
        as_of: t("2026-10-05T08:50:00Z"),
        responses: vec![format!("cov-{evidence_type}-{scope}")],
    }
}

impl Kit {
    /// Records the organisation audit log as collected, reaching back before the window.
    pub fn audit_log_collected(&mut self) {
        self.evidence.queries.push(PopulationQuery {
            source: SOURCE.into(),
            evidence_type: "audit_log".into(),
            repo: None,
            endpoint: "GET /orgs/acme/audit-log".into(),
            parameters: "phrase=action%3Aprotected_branch".into(),
            pages: 1,
            records: 0,
            total_count: None,
            responses: vec!["audit".into()],
        });
        self.evidence
            .coverage
            .push(coverage("audit_log", "acme", "2026-04-08T09:00:00Z"));
    }

    /// An audit-log configuration event on `acme/api`.
    pub fn audit_event(&mut self, action: &str, at: &str, fields: &[(&str, &str)]) {
        let n = self.evidence.audit_events.len();
        self.evidence.audit_events.push(AuditEvent {
            source: SOURCE.into(),
            org: "acme".into(),
            action: action.into(),
            actor: Some("olivia".into()),
            repo: Some("acme/api".into()),
            branch: None,
            at: t(at),
            document_id: Some(format!("doc{n}")),
            fields: fields
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            evidence: vec![format!("sha256:audit#/{n}").into()],
        });
    }
}

/// A version of ruleset `id` of `acme/payments` applying to its default branch with
/// the baseline settings.
pub fn ruleset_version(id: u64, version: u64, at: &str) -> RulesetVersion {
    RulesetVersion {
        source: SOURCE.into(),
        repo: "acme/payments".into(),
        ruleset_id: id,
        version_id: version,
        updated_at: t(at),
        actor: Some("User 7".into()),
        name: "payments main".into(),
        enforcement: "active".into(),
        target: "branch".into(),
        include: vec!["~DEFAULT_BRANCH".into()],
        exclude: Vec::new(),
        require_pull_request: true,
        required_approvals: 1,
        dismiss_stale_reviews: true,
        required_checks: vec!["ci/test".into()],
        blocks_force_pushes: true,
        bypass_actors: Vec::new(),
        evidence: vec![format!("sha256:ruleset-{id}-{version}#").into()],
    }
}

/// `(repo/subject_type/subject, kind)` of a deployment exception in `acme/api`.
pub fn dexc(id: u64, kind: &str) -> (String, String) {
    (format!("acme/api/deployment/{id}"), kind.to_string())
}

/// A deployment whose defaults pass every deployment control: to `production` of
/// `acme/api` on Monday 2026-08-03 15:00 UTC, created by github-actions[bot] for workflow
/// run `900 + id`, approved by carol for its environment, succeeded five minutes later.
pub fn deployment(id: u64, sha: &str) -> DeploymentBuilder {
    DeploymentBuilder {
        deployment: Deployment {
            source: SOURCE.into(),
            repo: "acme/api".into(),
            id: id.to_string().into(),
            environment: "production".into(),
            sha: sha.into(),
            ref_name: "main".into(),
            created_at: t("2026-08-03T15:00:00Z"),
            creator: Some(Actor {
                login: "github-actions[bot]".into(),
                kind: ActorKind::Bot,
            }),
            statuses: Vec::new(),
            workflow_run_id: Some(900 + id),
            approvals: Vec::new(),
            url: format!("https://api.github.com/repos/acme/api/deployments/{id}").into(),
            evidence: vec![format!("sha256:deploy{id}#/").into()],
        },
        outcome: Some(("success", 5)),
        approvers: vec![("carol".into(), "approved".into(), None)],
    }
}

pub struct DeploymentBuilder {
    deployment: Deployment,
    /// Final state and minutes after creation; `None`: only `in_progress`.
    outcome: Option<(&'static str, i64)>,
    /// (login, state, environments; `None`: the deployment's own).
    approvers: Vec<(String, String, Option<Vec<String>>)>,
}

impl DeploymentBuilder {
    pub fn environment(mut self, environment: &str) -> Self {
        self.deployment.environment = environment.into();
        self
    }

    pub fn at(mut self, at: &str) -> Self {
        self.deployment.created_at = t(at);
        self
    }

    pub fn creator(mut self, actor: Option<Actor>) -> Self {
        self.deployment.creator = actor;
        self
    }

    /// Not created by a workflow run: no run, no approvals.
    pub fn no_run(mut self) -> Self {
        self.deployment.workflow_run_id = None;
        self.approvers.clear();
        self
    }

    pub fn no_approval(mut self) -> Self {
        self.approvers.clear();
        self
    }

    /// An environment review of the run; `environments` `None`: the deployment's own.
    pub fn review(mut self, login: &str, state: &str, environments: Option<&[&str]>) -> Self {
        self.approvers.push((
            login.into(),
            state.into(),
            environments.map(|e| e.iter().map(|s| s.to_string()).collect()),
        ));
        self
    }

    /// The final status and its minutes after creation; `None`: still in progress.
    pub fn outcome(mut self, outcome: Option<(&'static str, i64)>) -> Self {
        self.outcome = outcome;
        self
    }

    pub fn build(self) -> Deployment {
        let mut d = self.deployment;
        let run_url = d
            .workflow_run_id
            .map(|run| format!("https://github.com/{}/actions/runs/{run}/job/1", d.repo));
        let status = |state: &str, minutes: i64| DeploymentStatus {
            state: state.into(),
            created_at: d.created_at + Duration::minutes(minutes),
            creator: d.creator.clone(),
            log_url: (run_url.clone()).map(Into::into),
        };
        d.statuses.push(status("in_progress", 1));
        if let Some((state, minutes)) = self.outcome {
            d.statuses.push(status(state, minutes));
        }
        for (i, (login, state, environments)) in self.approvers.into_iter().enumerate() {
            let kind = if login.ends_with("[bot]") {
                ActorKind::Bot
            } else {
                ActorKind::User
            };
            d.approvals.push(DeploymentApproval {
                user: Actor {
                    login: login.into(),
                    kind,
                },
                state: crate::model::Text::from(state),
                environments: crate::model::texts(
                    environments.unwrap_or_else(|| vec![d.environment.to_string()]),
                ),
                comment: String::new().into(),
                evidence: vec![format!("sha256:approvals{}#/{i}", d.id).into()],
            });
        }
        d
    }
}
