//! The populations the controls test (SPEC §3): the changes (pull requests merged into a
//! production branch inside the window) and the distinct production-branch commits whose
//! committer date lies in the window.

use std::collections::{BTreeMap, BTreeSet};

use crate::config::{Scope, Source};
use crate::locker::Window;
use crate::model::{BranchCommit, Change, Repository};
use crate::sha_map::{LOOKAHEAD, RepoNumbers, ShaMap};
use crate::util::FastHashSet;

/// Whether a record belongs to a population.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Membership {
    In,
    Out,
    /// In the window, but the repository's production branches are unknown (no
    /// repository record): counted in the population and left untested, never dropped.
    Unplaced(String),
}

/// Repositories by `owner/name`.
/// The repositories of the evidence, split into those in the audit's scope and those the
/// config's `[[source]] repos`/`exclude` globs leave out (their records are never in a
/// population, and nothing is expected to have been collected for them).
#[derive(Debug, Default)]
pub struct Repos<'a> {
    in_scope: BTreeMap<&'a str, &'a Repository>,
    excluded: BTreeSet<&'a str>,
}

impl<'a> Repos<'a> {
    pub fn get(&self, full_name: &str) -> Option<&'a Repository> {
        self.in_scope.get(full_name).copied()
    }

    /// In-scope repositories, by name.
    pub fn values(&self) -> impl Iterator<Item = &'a Repository> + '_ {
        self.in_scope.values().copied()
    }

    pub fn is_excluded(&self, full_name: &str) -> bool {
        self.excluded.contains(full_name)
    }
}

/// Indexes the repositories; one whose source is configured and whose name the source's
/// globs leave out is excluded.
pub fn index_repos<'a>(repositories: &'a [Repository], sources: &[Source]) -> Repos<'a> {
    let mut repos = Repos::default();
    for repo in repositories {
        let name = repo.full_name.rsplit('/').next().unwrap_or(&repo.full_name);
        let excluded = sources
            .iter()
            .find(|s| s.name == repo.source)
            .is_some_and(|s| !s.includes_repo(name));
        if excluded {
            repos.excluded.insert(repo.full_name.as_str());
        } else {
            repos
                .in_scope
                .entry(repo.full_name.as_str())
                .or_insert(repo);
        }
    }
    repos
}

/// Whether `branch` is a production branch of `repo`: `Some(bool)`, or `None` when the
/// repository is unknown. Nothing of an excluded repository is production.
pub fn is_production(repos: &Repos<'_>, scope: &Scope, repo: &str, branch: &str) -> Option<bool> {
    if repos.is_excluded(repo) {
        return Some(false);
    }
    repos
        .get(repo)
        .map(|r| scope.is_production_branch(branch, &r.default_branch))
}

fn placement(
    repos: &Repos<'_>,
    scope: &Scope,
    window: &Window,
    repo: &str,
    branch: &str,
    at: crate::model::Timestamp,
) -> Membership {
    if !window.contains(at) {
        return Membership::Out;
    }
    match is_production(repos, scope, repo, branch) {
        Some(true) => Membership::In,
        Some(false) => Membership::Out,
        // Without the repository's default branch only the explicit patterns can place
        // the record; `{default}` never matches an empty default branch name.
        None if scope.is_production_branch(branch, "") => Membership::In,
        None => Membership::Unplaced(format!(
            "no repository record for {repo}, so its production branches are unknown"
        )),
    }
}

/// A change is in the population when it merged inside the window into a production
/// branch of its repository.
pub fn change_membership(
    repos: &Repos<'_>,
    scope: &Scope,
    window: &Window,
    change: &Change,
) -> Membership {
    placement(
        repos,
        scope,
        window,
        &change.repo,
        &change.base_branch,
        change.merged_at,
    )
}

/// The change population, one entry per (repo, number), sorted by (merged_at, repo,
/// number). A change the evidence holds twice is counted once (the first record wins).
pub fn changes<'a>(
    repos: &Repos<'_>,
    scope: &Scope,
    window: &Window,
    all: &'a [Change],
) -> Vec<(&'a Change, Membership)> {
    let mut seen: FastHashSet<(&str, u64)> = FastHashSet::default();
    let mut members = Vec::new();
    for change in all {
        let membership = change_membership(repos, scope, window, change);
        if membership != Membership::Out && seen.insert((change.repo.as_str(), change.number)) {
            members.push((change, membership));
        }
    }
    // Sorted on keys copied beside the entries: comparing through the references read
    // two records far apart in memory per comparison, a million records at scale. The
    // keys are distinct, so the order is the same whatever the algorithm.
    members.sort_by_cached_key(|&(change, _)| {
        let change: &'a Change = change;
        (change.merged_at, change.repo.as_str(), change.number)
    });
    members
}

/// One distinct commit of the CM-05 population with every production-branch record of
/// it (a commit on `main` and `release/2.0` is one commit).
#[derive(Debug, Clone)]
pub struct PopulationCommit<'a> {
    pub repo: &'a str,
    pub sha: &'a str,
    /// One record per production branch, the default branch first, then by name.
    pub records: Vec<&'a BranchCommit>,
    pub membership: Membership,
}

/// The commit population, sorted by (committed_at, repo, sha).
pub fn commits<'a>(
    repos: &Repos<'_>,
    scope: &Scope,
    window: &Window,
    all: &'a [BranchCommit],
) -> Vec<PopulationCommit<'a>> {
    // Keyed by (repo, SHA whatever its case); the final sort decides the order, and no
    // two members can tie on it (equal SHAs share a key).
    let mut repo_numbers = RepoNumbers::default();
    // The members in evidence order, found by (repository, SHA).
    let mut members: Vec<PopulationCommit<'a>> = Vec::new();
    let mut by_sha: ShaMap<usize> = ShaMap::with_capacity(all.len());
    for (i, commit) in all.iter().enumerate() {
        if let Some(ahead) = all.get(i + LOOKAHEAD)
            && let Some(repo) = repo_numbers.get(&ahead.repo)
        {
            by_sha.prefetch(repo, &ahead.sha);
        }
        let membership = placement(
            repos,
            scope,
            window,
            &commit.repo,
            &commit.branch,
            commit.committed_at,
        );
        if membership == Membership::Out {
            continue;
        }
        let next = members.len();
        let (&mut index, inserted) =
            by_sha.get_or_insert_with(repo_numbers.number(&commit.repo), &commit.sha, || next);
        if inserted {
            members.push(PopulationCommit {
                repo: &commit.repo,
                sha: &commit.sha,
                records: Vec::new(),
                membership,
            });
        }
        let entry = &mut members[index];
        if !entry.records.iter().any(|r| r.branch == commit.branch) {
            entry.records.push(commit);
        }
    }
    drop(by_sha);
    for member in &mut members {
        let default = repos.get(member.repo).map(|r| r.default_branch.as_str());
        member.records.sort_by(|a, b| {
            let key = |c: &BranchCommit| (Some(c.branch.as_str()) != default, c.branch.clone());
            key(a).cmp(&key(b))
        });
    }
    // On copied keys, as the changes are (see there); distinct here too.
    members.sort_by_cached_key(|m| (m.records[0].committed_at, m.repo, m.sha));
    members
}
