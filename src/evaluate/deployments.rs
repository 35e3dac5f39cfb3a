//! The deployment population (CM-06, CM-07, CM-08, OP-01 … OP-03) and the facts every
//! deployment control reads, derived once: the deployment's outcome, the change that
//! introduced the deployed commit (which may have merged before the window: such
//! context changes get the same [`ChangeFacts`] as the change population), the
//! environment approvals that count, and the local time of its creation.

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::util::{FastHashMap, FastHashSet, lower};

use chrono::{DateTime, Datelike, Timelike};

use crate::config::{BusinessHours, parse_business_days};
use crate::model::{
    Change, Deployment, DeploymentApproval, Text, Timestamp, login_key, login_key_text,
};

use super::context::{Index, owner};
use super::facts::{self, ChangeFacts};
use super::population::{self, Membership};
use super::sha_index::ShaIndex;
use super::vecmap::VecMap;

/// How the deployed commit was tied to its change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TraceBasis {
    /// The change's merge commit is the deployed commit.
    MergeCommit,
    /// The change's head commit at merge is the deployed commit.
    Head,
    /// The deployed commit is one of the change's commits.
    Commit,
    /// A production-branch commit of that SHA that GitHub associates with the change.
    BranchCommit,
}

impl TraceBasis {
    pub fn code(self) -> &'static str {
        match self {
            TraceBasis::MergeCommit => "merge_commit",
            TraceBasis::Head => "head",
            TraceBasis::Commit => "commit",
            TraceBasis::BranchCommit => "branch_commit",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            TraceBasis::MergeCommit => "its merge commit",
            TraceBasis::Head => "its head commit",
            TraceBasis::Commit => "one of its commits",
            TraceBasis::BranchCommit => "a production-branch commit GitHub associates with it",
        }
    }
}

/// The change a deployment traces to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trace {
    pub number: u64,
    pub basis: TraceBasis,
    pub merged_at: Option<Timestamp>,
}

/// Where the traced change's facts are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeSlot {
    /// Index into the change population.
    Population(usize),
    /// Index into the context changes (merged outside the window).
    Context(usize),
}

/// An approval-like review of the deployment's run that does not count, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetAsideApproval {
    pub login: Text,
    pub why: &'static str,
}

/// Everything the deployment controls read about one deployment of the population.
#[derive(Debug, Clone)]
pub struct DeploymentFacts<'a> {
    pub deployment: &'a Deployment,
    /// The latest status as recorded (`inactive`, `success` …), or `none`.
    pub state: String,
    /// The latest of `success` / `failure` / `error`, with its time; `None` while the
    /// deployment had not concluded.
    pub outcome: Option<(&'a str, Timestamp)>,
    pub trace: Option<Trace>,
    pub change: Option<ChangeSlot>,
    /// People whose `approved` review of the run names the deployment's environment,
    /// key → login.
    pub approvers: VecMap<Text, Text>,
    pub approvals: Vec<&'a DeploymentApproval>,
    pub set_aside: Vec<SetAsideApproval>,
    /// The workflow run's web address, from a status URL.
    pub run_url: Option<String>,
    /// Creation time in `[audit] timezone`; `None` when the zone is not valid.
    pub local_time: Option<DateTime<chrono_tz::Tz>>,
    /// Whether `local_time` lies in business hours; `None` when the config cannot say.
    pub in_business_hours: Option<bool>,
    /// For a failed deployment: the first later successful deployment to the same
    /// repository and environment, with its success time (see [`recovery`]).
    pub recovery: Option<(&'a Deployment, Timestamp)>,
}

impl DeploymentFacts<'_> {
    /// `acme/api:123`: how reasons name the record.
    pub fn subject(&self) -> String {
        format!("{}:{}", self.deployment.repo, self.deployment.id)
    }

    pub fn short_sha(&self) -> &str {
        super::facts::short(&self.deployment.sha)
    }

    /// Where an auditor sees the deployment: its workflow run, else the API record.
    pub fn link(&self) -> String {
        self.run_url
            .clone()
            .unwrap_or_else(|| self.deployment.url.to_string())
    }

    pub fn failed(&self) -> bool {
        matches!(self.outcome, Some(("failure" | "error", _)))
    }
}

/// The deployment population with its facts, and the context changes the traces need.
pub struct Built<'a> {
    pub deployments: Vec<DeploymentFacts<'a>>,
    pub context_changes: Vec<ChangeFacts<'a>>,
}

/// Whether a deployment is in the population: production environment, created inside
/// the window, repository not excluded by the config.
pub fn in_population(index: &Index<'_>, deployment: &Deployment) -> bool {
    index.window.contains(deployment.created_at)
        && index
            .scope
            .is_production_environment(&deployment.environment)
        && !index.repos.is_excluded(&deployment.repo)
}

/// The latest conclusive status of a deployment, and its latest status of any kind.
fn outcome(deployment: &Deployment) -> (String, Option<(&str, Timestamp)>) {
    let state = deployment
        .statuses
        .last()
        .map_or_else(|| "none".to_string(), |s| s.state.to_ascii_lowercase());
    let outcome = deployment.statuses.iter().rev().find_map(|s| {
        let state = s.state.as_str();
        ["success", "failure", "error"]
            .into_iter()
            .find(|known| state.eq_ignore_ascii_case(known))
            .map(|known| (known, s.created_at))
    });
    (state, outcome)
}

/// (repo, lower-case sha) → the production-branch records of the commits that deployments
/// name but no change carries: the fallback of [`trace`], gathered in one pass over the
/// history instead of a scan per deployment. Keys borrow the SHA when it is lower-case
/// already (no allocation per history commit).
type BranchRecords<'a> = FastHashMap<(&'a str, Cow<'a, str>), Vec<&'a crate::model::BranchCommit>>;

fn branch_records<'a>(
    index: &Index<'a>,
    by_sha: &ShaIndex<'a>,
    deployments: &[&'a Deployment],
) -> BranchRecords<'a> {
    let mut wanted: BranchRecords<'a> = FastHashMap::default();
    for d in deployments {
        if !by_sha.contains(&d.repo, &d.sha) {
            wanted.insert((d.repo.as_str(), lower(&d.sha)), Vec::new());
        }
    }
    if wanted.is_empty() {
        return wanted;
    }
    for commit in &index.evidence.branch_commits {
        if let Some(records) = wanted.get_mut(&(commit.repo.as_str(), lower(&commit.sha))) {
            records.push(commit);
        }
    }
    wanted
}

/// The change that introduced `sha`: the strongest basis first (merge commit, head,
/// commit), then the earliest merged; else a production-branch commit's association.
fn trace(
    index: &Index<'_>,
    by_sha: &ShaIndex<'_>,
    branch: &BranchRecords<'_>,
    repo: &str,
    sha: &str,
) -> Option<Trace> {
    if let Some((basis, merged_at, number)) = by_sha.best(repo, sha) {
        return Some(Trace {
            number,
            basis,
            merged_at: Some(merged_at),
        });
    }
    let mut best: Option<(Option<Timestamp>, u64)> = None;
    let records = branch.get(&(repo, lower(sha)))?;
    for commit in records {
        if population::is_production(&index.repos, index.scope, repo, &commit.branch) != Some(true)
        {
            continue;
        }
        for associated in &commit.associated_changes {
            let production =
                population::is_production(&index.repos, index.scope, repo, &associated.base_branch)
                    == Some(true);
            if associated.merged && production {
                let candidate = (associated.merged_at, associated.number);
                best = Some(best.map_or(candidate, |b| b.min(candidate)));
            }
        }
    }
    best.map(|(merged_at, number)| Trace {
        number,
        basis: TraceBasis::BranchCommit,
        merged_at,
    })
}

/// The workflow run URL among the status URLs (`…/actions/runs/{id}…`).
fn run_url(deployment: &Deployment) -> Option<String> {
    deployment
        .statuses
        .iter()
        .filter_map(|s| s.log_url.as_deref())
        .find(|url| url.contains("/actions/runs/"))
        .map(|url| match url.find("/job/") {
            Some(at) => url[..at].to_string(),
            None => url.to_string(),
        })
}

fn judge_approvals<'a>(
    index: &Index<'a>,
    deployment: &'a Deployment,
) -> (
    VecMap<Text, Text>,
    Vec<&'a DeploymentApproval>,
    Vec<SetAsideApproval>,
) {
    let mut approvers = VecMap::new();
    let mut counted = Vec::new();
    let mut set_aside = Vec::new();
    for approval in &deployment.approvals {
        let login = index.people.display(&approval.user.login);
        let why = if !approval.state.eq_ignore_ascii_case("approved") {
            Some("rejected")
        } else if index.people.is_bot(&approval.user) {
            Some("bot")
        } else if !approval
            .environments
            .iter()
            .any(|e| e.eq_ignore_ascii_case(&deployment.environment))
        {
            Some("other_environment")
        } else {
            None
        };
        match why {
            Some(why) => set_aside.push(SetAsideApproval { login, why }),
            None => {
                approvers.insert(login_key_text(&approval.user.login), login);
                counted.push(approval);
            }
        }
    }
    (approvers, counted, set_aside)
}

/// Builds the deployment population (sorted by created_at, repo, id; a deployment the
/// evidence holds twice counts once) and the context changes their traces need.
pub fn build<'a>(
    index: &Index<'a>,
    by_sha: &ShaIndex<'a>,
    changes: &[ChangeFacts<'a>],
) -> Built<'a> {
    let tz = index.config.audit.time_zone().ok();
    let hours = BusinessHours::parse(&index.params.business_hours).ok();
    let days = parse_business_days(&index.params.business_days).ok();
    let mut seen: FastHashSet<(&str, &str)> = FastHashSet::default();
    let mut members: Vec<&'a Deployment> = Vec::new();
    for deployment in &index.evidence.deployments {
        if in_population(index, deployment)
            && seen.insert((deployment.repo.as_str(), deployment.id.as_str()))
        {
            members.push(deployment);
        }
    }
    drop(seen);
    // On keys copied beside the entries, distinct (see `population::changes`).
    members.sort_by_cached_key(|d| (d.created_at, d.repo.as_str(), d.id.as_str()));

    let successes = Successes::build(index.evidence);
    let branch = branch_records(index, by_sha, &members);
    let traces: Vec<Option<Trace>> = members
        .iter()
        .map(|d| trace(index, by_sha, &branch, &d.repo, &d.sha))
        .collect();
    // The changes the traces name, found in the population's facts or else among the
    // evidence's production changes. Only those are kept: a map of every change (a
    // million at scale, twice) cost more to build than all the rest.
    let wanted: FastHashSet<(&str, u64)> = members
        .iter()
        .zip(&traces)
        .filter_map(|(d, t)| Some((d.repo.as_str(), t.as_ref()?.number)))
        .collect();
    let population_slots: FastHashMap<(&str, u64), usize> = changes
        .iter()
        .enumerate()
        .map(|(i, f)| ((f.change.repo.as_str(), f.change.number), i))
        .filter(|(key, _)| wanted.contains(key))
        .collect();
    // The first record of each change wins (the iteration is reversed, later wins).
    let records: FastHashMap<(&str, u64), &'a Change> = index
        .evidence
        .changes
        .iter()
        .map(|c| ((c.repo.as_str(), c.number), c))
        .filter(|(key, c)| {
            wanted.contains(key)
                && population::is_production(&index.repos, index.scope, &c.repo, &c.base_branch)
                    == Some(true)
        })
        .rev()
        .collect();
    drop(wanted);
    let mut context_changes: Vec<ChangeFacts<'a>> = Vec::new();
    let mut context_slots: BTreeMap<(&str, u64), usize> = BTreeMap::new();
    let mut out = Vec::with_capacity(members.len());
    for (deployment, trace) in members.into_iter().zip(traces) {
        let (state, outcome) = outcome(deployment);
        let change = trace.and_then(|t| {
            let key = (deployment.repo.as_str(), t.number);
            if let Some(i) = population_slots.get(&key) {
                return Some(ChangeSlot::Population(*i));
            }
            if let Some(i) = context_slots.get(&key) {
                return Some(ChangeSlot::Context(*i));
            }
            let record = records.get(&key)?;
            context_changes.push(facts::change_facts(index, record, Membership::In));
            context_slots.insert(key, context_changes.len() - 1);
            Some(ChangeSlot::Context(context_changes.len() - 1))
        });
        let (approvers, approvals, set_aside) = judge_approvals(index, deployment);
        let local_time = tz.map(|tz| deployment.created_at.with_timezone(&tz));
        let in_business_hours = match (local_time, hours, &days) {
            (Some(local), Some(hours), Some(days)) => Some(
                days.contains(&local.weekday())
                    && hours.contains(local.num_seconds_from_midnight()),
            ),
            _ => None,
        };
        out.push(DeploymentFacts {
            deployment,
            state,
            outcome,
            trace,
            change,
            approvers,
            approvals,
            set_aside,
            run_url: run_url(deployment),
            local_time,
            in_business_hours,
            recovery: matches!(outcome, Some(("failure" | "error", _)))
                .then(|| successes.first_after(deployment))
                .flatten(),
        });
    }
    Built {
        deployments: out,
        context_changes,
    }
}

/// Whether an account may deploy by OP-02's rule, and on which basis.
pub fn deployer_basis(index: &Index<'_>, facts: &DeploymentFacts<'_>) -> DeployerBasis {
    let deployment = facts.deployment;
    let Some(creator) = &deployment.creator else {
        return DeployerBasis::Unknown;
    };
    let key = login_key(&creator.login);
    if index
        .config
        .access
        .service_accounts
        .iter()
        .any(|s| login_key(s) == key)
    {
        return DeployerBasis::ServiceAccount;
    }
    if index.is_org_member(owner(&deployment.repo), &key) {
        return DeployerBasis::OrgMember;
    }
    if key == GITHUB_ACTIONS && deployment.workflow_run_id.is_some() {
        return DeployerBasis::ActionsWorkflow;
    }
    DeployerBasis::Unknown
}

/// The login GitHub Actions' repository token creates deployments as.
pub const GITHUB_ACTIONS: &str = "github-actions[bot]";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeployerBasis {
    OrgMember,
    ServiceAccount,
    /// `github-actions[bot]` on behalf of a workflow run of the repository.
    ActionsWorkflow,
    Unknown,
}

impl DeployerBasis {
    pub fn code(self) -> &'static str {
        match self {
            DeployerBasis::OrgMember => "org_member",
            DeployerBasis::ServiceAccount => "service_account",
            DeployerBasis::ActionsWorkflow => "actions_workflow",
            DeployerBasis::Unknown => "unknown",
        }
    }
}

/// The first later successful deployment to the same repository and environment, with
/// its success time (any production deployment, also one created after the window):
/// among the deployments created after the failed one (by creation time, then id), the
/// earliest success (by success time, then id). Computed once per deployment in
/// [`build`].
pub fn recovery<'a>(
    _index: &Index<'a>,
    failed: &DeploymentFacts<'a>,
) -> Option<(&'a Deployment, Timestamp)> {
    failed.recovery
}

/// The successful deployments per (repository, environment), sorted by (creation time,
/// id), with the earliest success at or after each position: one binary search per
/// failure instead of a scan of every deployment.
struct Successes<'a> {
    by_target: FastHashMap<(&'a str, &'a str), Vec<Success<'a>>>,
}

struct Success<'a> {
    created_at: Timestamp,
    id: &'a str,
    /// The earliest (success time, id) among this and every later-created success.
    earliest_from_here: (Timestamp, &'a str, &'a Deployment),
}

impl<'a> Successes<'a> {
    fn build(evidence: &'a crate::model::Evidence) -> Successes<'a> {
        // (created_at, id, success time, deployment) per (repository, environment).
        type Candidates<'a> = Vec<(Timestamp, &'a str, Timestamp, &'a Deployment)>;
        let mut by_target: FastHashMap<(&'a str, &'a str), Candidates<'a>> = FastHashMap::default();
        for o in &evidence.deployments {
            if let (_, Some(("success", at))) = outcome(o) {
                by_target
                    .entry((o.repo.as_str(), o.environment.as_str()))
                    .or_default()
                    .push((o.created_at, o.id.as_str(), at, o));
            }
        }
        let by_target = by_target
            .into_iter()
            .map(|(key, mut list)| {
                list.sort_by(|a, b| (a.0, a.1, a.2).cmp(&(b.0, b.1, b.2)));
                let mut out: Vec<Success<'a>> = Vec::with_capacity(list.len());
                let mut best: Option<(Timestamp, &'a str, &'a Deployment)> = None;
                for &(created_at, id, at, d) in list.iter().rev() {
                    if best.is_none_or(|(t, i, _)| (at, id) < (t, i)) {
                        best = Some((at, id, d));
                    }
                    if let Some(earliest) = best {
                        out.push(Success {
                            created_at,
                            id,
                            earliest_from_here: earliest,
                        });
                    }
                }
                out.reverse();
                (key, out)
            })
            .collect();
        Successes { by_target }
    }

    fn first_after(&self, d: &Deployment) -> Option<(&'a Deployment, Timestamp)> {
        let list = self
            .by_target
            .get(&(d.repo.as_str(), d.environment.as_str()))?;
        let p = list.partition_point(|s| (s.created_at, s.id) <= (d.created_at, d.id.as_str()));
        list.get(p)
            .map(|s| (s.earliest_from_here.2, s.earliest_from_here.0))
    }
}
