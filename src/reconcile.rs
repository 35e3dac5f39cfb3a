//! Population reconciliation (SPEC §6): per repository, the merged changes against the
//! commits on production branches against the production deployments, with every
//! difference listed and every repository whose counts do not reconcile flagged.
//!
//! The three sources are independent API populations (the pull-request search, the
//! branch-history query, the deployments list), so agreement between them is evidence of
//! completeness; each difference is for the auditor to follow up:
//!
//! - a change whose merge commit, head commit or commits are not in the collected history
//!   of a production branch (the change population claims code the branch does not show);
//! - a production-branch commit that no change introduced (CM-05's direct pushes);
//! - a production deployment whose commit is neither in a production branch's collected
//!   history nor carried by a change merged into a production branch, or that is on a
//!   production branch but traced to no change;
//! - a change never deployed to production (informational, and only for repositories
//!   with production deployments: a library without deployments is not a difference).
//!
//! Pure: a function of the evidence, the config and the evaluated populations.

use crate::sha_map::{LOOKAHEAD, RepoNumbers, ShaMap};
use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};

use crate::util::FastHashSet;

use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::evaluate::{ChangeRow, CommitRow};
use crate::locker::Window;
use crate::model::{Evidence, Timestamp};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Reconciliation {
    /// One line per in-scope repository, sorted by name.
    pub repositories: Vec<RepoReconciliation>,
    /// Every difference, sorted by (repository, kind, time, subject).
    pub differences: Vec<Difference>,
    /// Population queries whose record count differs from the API's own total.
    pub query_mismatches: Vec<String>,
    /// True when every repository reconciles and every query count agrees.
    pub reconciled: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RepoReconciliation {
    pub repo: String,
    /// Changes in the population (merged into a production branch in the window).
    pub changes: u64,
    pub changes_on_branch: u64,
    pub changes_not_on_branch: u64,
    /// Production-branch commits in the window (the CM-05 population).
    pub commits: u64,
    pub commits_with_change: u64,
    /// Of those, attributed to a change outside the change population (merged before
    /// the window, for instance).
    pub commits_with_change_outside: u64,
    pub commits_without_change: u64,
    /// Production deployments created in the window.
    pub deployments: u64,
    pub deployments_traced: u64,
    pub deployments_not_on_branch: u64,
    pub deployments_without_change: u64,
    /// Changes whose code reached a production deployment; `None` when the repository
    /// has no production deployment at all (nothing to reconcile against).
    pub changes_deployed: Option<u64>,
    pub changes_not_deployed: Option<u64>,
    /// Whether the production-branch history of the repository was collected at all.
    pub history_collected: bool,
    /// True when no difference other than informational ones was found.
    pub reconciled: bool,
    /// Why it does not reconcile, in words.
    pub flags: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DifferenceKind {
    ChangeNotOnProductionBranch,
    CommitWithoutChange,
    DeploymentNotOnProductionBranch,
    DeploymentWithoutChange,
    ChangeNeverDeployed,
}

impl DifferenceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DifferenceKind::ChangeNotOnProductionBranch => "change_not_on_production_branch",
            DifferenceKind::CommitWithoutChange => "commit_without_change",
            DifferenceKind::DeploymentNotOnProductionBranch => {
                "deployment_not_on_production_branch"
            }
            DifferenceKind::DeploymentWithoutChange => "deployment_without_change",
            DifferenceKind::ChangeNeverDeployed => "change_never_deployed",
        }
    }

    /// Informational differences do not make a repository unreconciled.
    pub fn informational(self) -> bool {
        self == DifferenceKind::ChangeNeverDeployed
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Difference {
    pub repo: String,
    pub kind: DifferenceKind,
    /// `change`, `commit` or `deployment`.
    pub subject_type: String,
    /// The PR number, the full commit SHA or the deployment id.
    pub subject: String,
    pub time: Timestamp,
    pub url: String,
    pub detail: String,
    pub informational: bool,
}

/// Reconciles the populations of one evaluation.
pub fn reconcile(
    evidence: &Evidence,
    config: &Config,
    window: Window,
    changes: &[ChangeRow],
    commits: &[CommitRow],
) -> Reconciliation {
    prepare(evidence, config, window).finish(changes, commits)
}

/// The part of the reconciliation that reads only the evidence (the branch history and
/// which deployed commits a change carries): it can run while the population rows
/// [`Prepared::finish`] needs are built.
pub struct Prepared<'e> {
    evidence: &'e Evidence,
    config: &'e Config,
    window: Window,
    /// In-scope repositories and their default branches.
    repos: BTreeMap<&'e str, &'e str>,
    graph: History<'e>,
    history_repos: BTreeSet<&'e str>,
    carried: ShaMap<Cell<bool>>,
}

/// See [`Prepared`].
pub fn prepare<'e>(evidence: &'e Evidence, config: &'e Config, window: Window) -> Prepared<'e> {
    let scope = &config.scope;
    // In-scope repositories and their default branches (the config's globs decide).
    let mut repos: BTreeMap<&str, &str> = BTreeMap::new();
    for r in &evidence.repositories {
        let name = r.full_name.rsplit('/').next().unwrap_or(&r.full_name);
        let excluded = config
            .sources
            .iter()
            .find(|s| s.name == r.source)
            .is_some_and(|s| !s.includes_repo(name));
        if !excluded {
            repos
                .entry(r.full_name.as_str())
                .or_insert(r.default_branch.as_str());
        }
    }
    let is_production = |repo: &str, branch: &str| {
        repos
            .get(repo)
            .is_some_and(|default| scope.is_production_branch(branch, default))
    };

    // Production-branch history as a graph of numbered commits: built and looked up
    // once per commit, change and deployment (millions at scale), so one hash map from
    // (repo, SHA) to a number and the parent links as numbers.
    let mut graph = History::default();
    // The in-scope repositories are numbered first, in name order: a repository's
    // number is also the index of its line in [`Prepared::finish`].
    for repo in repos.keys() {
        graph.repo_numbers.number(repo);
    }
    let mut history_repos: BTreeSet<&str> = BTreeSet::new();
    for (i, c) in evidence.branch_commits.iter().enumerate() {
        if let Some(ahead) = evidence.branch_commits.get(i + LOOKAHEAD) {
            graph.prefetch(&ahead.repo, &ahead.sha);
        }
        if !is_production(&c.repo, &c.branch) {
            continue;
        }
        history_repos.insert(c.repo.as_str());
        graph.add_commit(c);
    }
    graph.link_parents();
    for q in &evidence.queries {
        if q.evidence_type == "branch_commits"
            && let Some(repo) = q.repo.as_deref()
            && let Some((name, _)) = repos.get_key_value(repo)
        {
            history_repos.insert(name);
        }
    }
    // Production deployments in the window: whether a merged production change carries
    // each one's commit (as merge commit, head or one of its commits, or through a
    // production-branch commit's association). Only these SHAs are ever asked about, so
    // only they are kept.
    let mut carried: ShaMap<Cell<bool>> = ShaMap::default();
    for d in &evidence.deployments {
        if repos.contains_key(d.repo.as_str())
            && scope.is_production_environment(&d.environment)
            && window.contains(d.created_at)
        {
            let repo = graph.repo_numbers.number(&d.repo);
            carried.get_or_insert_with(repo, &d.sha, || Cell::new(false));
        }
    }
    // A repository none of whose deployments is asked about has no number here.
    let carry = |repo: u32, sha: &str| {
        if let Some(flag) = carried.get(repo, sha) {
            flag.set(true);
        }
    };
    let mut number_of = graph.repo_numbers.runs();
    let changes = &evidence.changes;
    for (i, change) in changes.iter().enumerate() {
        if let Some(ahead) = changes.get(i + LOOKAHEAD)
            && let Some(repo) = graph.repo_numbers.get(&ahead.repo)
        {
            for sha in ahead.carried_shas() {
                carried.prefetch(repo, sha);
            }
        }
        let Some(repo) = number_of(&change.repo) else {
            continue;
        };
        if !is_production(&change.repo, &change.base_branch) {
            continue;
        }
        for sha in change.carried_shas() {
            carry(repo, sha);
        }
    }
    for c in &evidence.branch_commits {
        if let Some(repo) = number_of(&c.repo)
            && is_production(&c.repo, &c.branch)
            && c.associated_changes
                .iter()
                .any(|a| a.merged && is_production(&c.repo, &a.base_branch))
        {
            carry(repo, &c.sha);
        }
    }
    drop(number_of);

    Prepared {
        evidence,
        config,
        window,
        repos,
        graph,
        history_repos,
        carried,
    }
}

impl Prepared<'_> {
    /// The reconciliation, with the change and commit populations' rows.
    pub fn finish(self, changes: &[ChangeRow], commits: &[CommitRow]) -> Reconciliation {
        let Prepared {
            evidence,
            config,
            window,
            repos,
            mut graph,
            history_repos,
            carried,
        } = self;
        let scope = &config.scope;
        // One line per in-scope repository, indexed by its number (`prepare` numbered
        // them first, in name order).
        let mut lines: Vec<RepoReconciliation> = repos
            .keys()
            .map(|r| RepoReconciliation {
                repo: r.to_string(),
                history_collected: history_repos.contains(r),
                ..Default::default()
            })
            .collect();
        let mut differences = Vec::new();

        // Rows by repository number (rows come grouped by repository); changes and
        // commits are keyed by (repository number, change number) below.
        let (change_repos, commit_repos): (Vec<Option<u32>>, Vec<Option<u32>>) = {
            let mut number_of = graph.repo_numbers.runs();
            (
                changes.iter().map(|c| number_of(&c.repo)).collect(),
                commits.iter().map(|c| number_of(&c.repo)).collect(),
            )
        };
        let attributed: FastHashSet<(u32, u64)> = commits
            .iter()
            .zip(&commit_repos)
            .filter_map(|(c, repo)| Some(((*repo)?, c.change?)))
            .collect();
        let in_population: FastHashSet<(u32, u64)> = changes
            .iter()
            .zip(&change_repos)
            .filter_map(|(c, repo)| Some(((*repo)?, c.number)))
            .collect();

        // Commits against the changes.
        for (c, repo) in commits.iter().zip(&commit_repos) {
            let Some(repo) = *repo else { continue };
            let Some(line) = lines.get_mut(repo as usize) else {
                continue;
            };
            line.commits += 1;
            match c.change {
                Some(number) => {
                    line.commits_with_change += 1;
                    if !in_population.contains(&(repo, number)) {
                        line.commits_with_change_outside += 1;
                    }
                }
                None => {
                    line.commits_without_change += 1;
                    differences.push(Difference {
                    repo: c.repo.to_string(),
                    kind: DifferenceKind::CommitWithoutChange,
                    subject_type: "commit".into(),
                    subject: c.sha.to_string(),
                    time: c.committed_at,
                    url: c.url.to_string(),
                    detail: format!(
                        "commit on {} by {} (committer {}) that no merged change introduced: a direct push (CM-05)",
                        c.branch, c.author, c.committer
                    ),
                    informational: false,
                });
                }
            }
        }
        drop(in_population);

        // Deployments against the branch history and the changes.
        let mut deployed_repos = vec![false; lines.len()];
        for d in &evidence.deployments {
            if !repos.contains_key(d.repo.as_str())
                || !scope.is_production_environment(&d.environment)
            {
                continue;
            }
            let repo = graph.repo_numbers.number(&d.repo);
            if let Some(deployed) = deployed_repos.get_mut(repo as usize) {
                *deployed = true;
            }
            graph.deployed(repo, &d.sha);
            if !window.contains(d.created_at) {
                continue;
            }
            let Some(line) = lines.get_mut(repo as usize) else {
                continue;
            };
            line.deployments += 1;
            let change = carried.get(repo, &d.sha).is_some_and(Cell::get);
            let branch = graph.on_branch(repo, &d.sha);
            let kind = match (change, branch) {
                (true, _) => {
                    line.deployments_traced += 1;
                    continue;
                }
                (false, false) => {
                    line.deployments_not_on_branch += 1;
                    DifferenceKind::DeploymentNotOnProductionBranch
                }
                (false, true) => {
                    line.deployments_without_change += 1;
                    DifferenceKind::DeploymentWithoutChange
                }
            };
            let detail = match kind {
                DifferenceKind::DeploymentNotOnProductionBranch => format!(
                    "deployment to {} of {}: the commit is in no collected production-branch history and no merged change carries it",
                    d.environment, d.sha
                ),
                _ => format!(
                    "deployment to {} of {}: the commit is on a production branch, but no merged change introduced it",
                    d.environment, d.sha
                ),
            };
            differences.push(Difference {
                repo: d.repo.to_string(),
                kind,
                subject_type: "deployment".into(),
                subject: d.id.to_string(),
                time: d.created_at,
                url: d.url.to_string(),
                detail,
                informational: false,
            });
        }
        for (line, deployed) in lines.iter_mut().zip(&deployed_repos) {
            if *deployed {
                line.changes_deployed = Some(0);
                line.changes_not_deployed = Some(0);
            }
        }

        // Changes against the branch history and, in repositories with production
        // deployments, whether they were ever deployed: whether a change's commits are
        // reachable, through the collected history's parent links, from any production
        // deployment's commit. One walk from every deployed commit: the nodes of
        // different repositories never link (a node is a repository's SHA), so this is
        // the walk of each repository.
        let reached = graph.reachable_from_deployed();
        for (i, (c, repo)) in changes.iter().zip(&change_repos).enumerate() {
            if let (Some(ahead), Some(Some(repo))) =
                (changes.get(i + LOOKAHEAD), change_repos.get(i + LOOKAHEAD))
            {
                graph.nodes.prefetch(*repo, &ahead.merge_commit_sha);
                graph.nodes.prefetch(*repo, &ahead.head_sha);
            }
            let Some(repo) = *repo else { continue };
            let Some(line) = lines.get_mut(repo as usize) else {
                continue;
            };
            line.changes += 1;
            let deployed_repo = deployed_repos[repo as usize];
            let is_attributed = attributed.contains(&(repo, c.number));
            // The nodes of the merge and head commits (looked up once for both tests).
            let shas = [&c.merge_commit_sha, &c.head_sha];
            let nodes = if deployed_repo || !is_attributed {
                shas.map(|sha| graph.node(repo, sha))
            } else {
                [None, None]
            };
            let found = is_attributed
                || nodes
                    .iter()
                    .any(|n| n.is_some_and(|n| graph.is_collected(n)));
            if found {
                line.changes_on_branch += 1;
            } else {
                line.changes_not_on_branch += 1;
                let commit = if c.merge_commit_sha.is_empty() {
                    "no merge commit recorded".to_string()
                } else {
                    format!("merge commit {}", c.merge_commit_sha)
                };
                differences.push(Difference {
                repo: c.repo.to_string(),
                kind: DifferenceKind::ChangeNotOnProductionBranch,
                subject_type: "change".into(),
                subject: c.number.to_string(),
                time: c.merged_at,
                url: c.url.to_string(),
                detail: format!(
                    "PR #{} merged into {} at {}: neither its {commit} nor its head {} is in the collected history of a production branch",
                    c.number,
                    c.base_branch,
                    c.merged_at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
                    c.head_sha
                ),
                informational: false,
            });
            }
            if !deployed_repo {
                continue;
            }
            let hit = shas
                .iter()
                .zip(nodes)
                .any(|(sha, node)| !sha.is_empty() && node.is_some_and(|n| reached[n]));
            if hit {
                *line.changes_deployed.get_or_insert(0) += 1;
            } else {
                *line.changes_not_deployed.get_or_insert(0) += 1;
                differences.push(Difference {
                    repo: c.repo.to_string(),
                    kind: DifferenceKind::ChangeNeverDeployed,
                    subject_type: "change".into(),
                    subject: c.number.to_string(),
                    time: c.merged_at,
                    url: c.url.to_string(),
                    detail: format!(
                        "PR #{}: no production deployment recorded up to the snapshot deploys its merge commit or a later commit of the branch",
                        c.number
                    ),
                    informational: true,
                });
            }
        }

        let mut query_mismatches = Vec::new();
        for q in &evidence.queries {
            if let Some(total) = q.total_count
                && total != q.records
            {
                query_mismatches.push(format!(
                    "`{}` for {} ({}): {} records obtained, the API counts {total}",
                    q.endpoint,
                    q.repo
                        .clone()
                        .unwrap_or_else(|| format!("source {}", q.source)),
                    q.parameters,
                    q.records
                ));
            }
        }

        for line in &mut lines {
            let mut flags = Vec::new();
            if !line.history_collected && (line.changes > 0 || line.deployments > 0) {
                flags.push(
                "no production-branch history was collected: the changes and deployments cannot be reconciled with it"
                    .to_string(),
            );
            }
            let counted = [
                (
                    line.changes_not_on_branch,
                    "change",
                    "not found on a production branch",
                ),
                (
                    line.commits_without_change,
                    "production commit",
                    "without a change",
                ),
                (
                    line.deployments_not_on_branch,
                    "deployment",
                    "of a commit on no production branch",
                ),
                (
                    line.deployments_without_change,
                    "deployment",
                    "traced to no change",
                ),
            ];
            for (count, noun, what) in counted {
                if count > 0 {
                    let plural = if count == 1 { "" } else { "s" };
                    flags.push(format!("{count} {noun}{plural} {what}"));
                }
            }
            line.reconciled = flags.is_empty();
            line.flags = flags;
        }
        differences.sort_by(|a, b| {
            (&a.repo, a.kind, a.time, &a.subject).cmp(&(&b.repo, b.kind, b.time, &b.subject))
        });
        let repositories = lines;
        let reconciled = query_mismatches.is_empty() && repositories.iter().all(|r| r.reconciled);
        Reconciliation {
            repositories,
            differences,
            query_mismatches,
            reconciled,
        }
    }
}

/// The collected production-branch history of every repository as numbered nodes: a
/// node per (repository, lower-case SHA) of a collected commit (numbered first, in
/// evidence order), of a parent outside the collected history, and of a deployed commit.
#[derive(Default)]
struct History<'e> {
    /// The repositories' numbers in the keys of `nodes` (and of the carried SHAs).
    repo_numbers: RepoNumbers<'e>,
    nodes: ShaMap<usize>,
    /// The first record of each collected commit (node `i` for `i < commits.len()`).
    commits: Vec<&'e crate::model::BranchCommit>,
    /// Parent links: the parents of node `i` are `parents[starts[i]..starts[i + 1]]`;
    /// nodes past `starts.len() - 1` (parents and deployed commits outside the
    /// collected history) have none.
    starts: Vec<usize>,
    parents: Vec<usize>,
    /// Nodes of deployed commits (production environments, any time).
    deployed: Vec<usize>,
}

impl<'e> History<'e> {
    fn intern(&mut self, repo: u32, sha: &str) -> usize {
        let next = self.nodes.len();
        *self.nodes.get_or_insert_with(repo, sha, || next).0
    }

    fn add_commit(&mut self, commit: &'e crate::model::BranchCommit) {
        let next = self.nodes.len();
        let repo = self.repo_numbers.number(&commit.repo);
        if self.intern(repo, &commit.sha) == next {
            self.commits.push(commit);
        }
    }

    /// Numbers the parents of every collected commit (call once, after the commits).
    fn link_parents(&mut self) {
        self.starts.reserve(self.commits.len() + 1);
        self.starts.push(0);
        for i in 0..self.commits.len() {
            if let Some(ahead) = self.commits.get(i + LOOKAHEAD) {
                for parent in &ahead.parents {
                    self.prefetch(&ahead.repo, parent);
                }
            }
            let commit = self.commits[i];
            let repo = self.repo_numbers.number(&commit.repo);
            for parent in &commit.parents {
                let node = self.intern(repo, parent);
                self.parents.push(node);
            }
            self.starts.push(self.parents.len());
        }
    }

    fn deployed(&mut self, repo: u32, sha: &str) {
        let node = self.intern(repo, sha);
        self.deployed.push(node);
    }

    /// See [`ShaMap::prefetch`].
    fn prefetch(&self, repo: &str, sha: &str) {
        if let Some(repo) = self.repo_numbers.get(repo) {
            self.nodes.prefetch(repo, sha);
        }
    }

    fn node(&self, repo: u32, sha: &str) -> Option<usize> {
        self.nodes.get(repo, sha).copied()
    }

    /// Whether the node is a commit of the collected history of a production branch.
    fn is_collected(&self, node: usize) -> bool {
        node < self.commits.len()
    }

    /// Whether the commit is in the collected history of a production branch.
    fn on_branch(&self, repo: u32, sha: &str) -> bool {
        self.node(repo, sha).is_some_and(|n| self.is_collected(n))
    }

    /// Per node: whether a deployed commit reaches it through parent links.
    fn reachable_from_deployed(&self) -> Vec<bool> {
        let mut reached = vec![false; self.nodes.len()];
        let mut stack = self.deployed.clone();
        while let Some(node) = stack.pop() {
            if std::mem::replace(&mut reached[node], true) {
                continue;
            }
            if node + 1 < self.starts.len() {
                let parents = &self.parents[self.starts[node]..self.starts[node + 1]];
                stack.extend(parents.iter().filter(|&&p| !reached[p]));
            }
        }
        reached
    }
}

#[cfg(test)]
mod tests;
