//! The shared, precomputed context every control reads: indexes over the evidence, the
//! people directory, the populations and their per-record facts, and the gap lookups.

use std::collections::BTreeMap;

use crate::util::FastHashSet;

use crate::config::{Config, ControlParams, Scope};
use crate::locker::Window;
use crate::model::{BranchProtection, Evidence, Gap, PopulationQuery};

use super::EvalInput;
use super::access::AccessFacts;
use super::deployments::{self, ChangeSlot, DeploymentFacts};
use super::facts::{self, ChangeFacts, CommitFacts};
use super::identity::People;
use super::population::{self, Repos};
use super::sha_index::ShaIndex;

/// Indexes over the evidence, built once.
pub struct Index<'a> {
    pub evidence: &'a Evidence,
    /// The whole config, for parameters outside `[controls]` (time zone, service accounts).
    pub config: &'a Config,
    pub params: &'a ControlParams,
    pub scope: &'a Scope,
    pub window: Window,
    pub people: People,
    pub repos: Repos<'a>,
    protections: BTreeMap<(&'a str, &'a str), &'a BranchProtection>,
    /// (lower-case org, login key) of every organisation member at the snapshot: looked
    /// up once per deployment and control, so hashed rather than scanned.
    org_members: FastHashSet<(String, String)>,
}

impl<'a> Index<'a> {
    fn build(input: &EvalInput<'a>) -> Index<'a> {
        let evidence = input.evidence;
        let scope = &input.config.scope;
        let repos = population::index_repos(&evidence.repositories, &input.config.sources);
        let mut protections = BTreeMap::new();
        for p in &evidence.branch_protections {
            protections
                .entry((p.repo.as_str(), p.branch.as_str()))
                .or_insert(p);
        }
        let people = People::build(evidence, &input.config.controls);
        let org_members = evidence
            .access
            .org_members
            .iter()
            .map(|m| {
                (
                    m.org.to_ascii_lowercase(),
                    crate::model::login_key(&m.login),
                )
            })
            .collect();
        Index {
            evidence,
            config: input.config,
            params: &input.config.controls,
            scope,
            window: input.window,
            people,
            repos,
            protections,
            org_members,
        }
    }

    /// Whether the login (a login key) is a member of the organisation at the snapshot.
    pub fn is_org_member(&self, org: &str, login_key: &str) -> bool {
        self.org_members
            .contains(&(org.to_ascii_lowercase(), login_key.to_string()))
    }

    /// Branch protection and rulesets in force on (repo, branch) at the snapshot.
    pub fn protection(&self, repo: &str, branch: &str) -> Option<&'a BranchProtection> {
        self.protections.get(&(repo, branch)).copied()
    }

    /// Gaps of an evidence type that cover a repository: gaps of that repository, of its
    /// owner (org-wide evidence) or of the whole source.
    pub fn gaps(&self, evidence_type: &str, source: &str, repo: &str) -> Vec<&'a Gap> {
        let owner = owner(repo);
        self.evidence
            .gaps
            .iter()
            .filter(|g| {
                g.evidence_type == evidence_type
                    && g.source == source
                    && g.repo.as_deref().is_none_or(|r| {
                        r.eq_ignore_ascii_case(repo) || r.eq_ignore_ascii_case(owner)
                    })
            })
            .collect()
    }

    /// Recorded queries of an evidence type, sorted by (repo, endpoint, parameters).
    pub fn queries(&self, evidence_type: &str) -> Vec<&'a PopulationQuery> {
        let mut queries: Vec<_> = self
            .evidence
            .queries
            .iter()
            .filter(|q| q.evidence_type == evidence_type)
            .collect();
        queries.sort_by(|a, b| {
            (&a.repo, &a.endpoint, &a.parameters).cmp(&(&b.repo, &b.endpoint, &b.parameters))
        });
        queries
    }

    /// Why a population of `evidence_type` may be incomplete: gaps of that type or of the
    /// repository list, and repositories with no recorded query for it.
    pub fn population_caveats(&self, evidence_type: &str) -> Vec<String> {
        let mut caveats: Vec<String> = self
            .evidence
            .gaps
            .iter()
            .filter(|g| g.evidence_type == evidence_type || g.evidence_type == "repositories")
            .map(describe_gap)
            .collect();
        let queries = self.queries(evidence_type);
        for repo in self.repos.values() {
            let covered = |source: &str, r: Option<&str>| {
                source == repo.source && r.is_none_or(|r| r == repo.full_name)
            };
            let queried = queries
                .iter()
                .any(|q| covered(&q.source, q.repo.as_deref()));
            let gap =
                self.evidence.gaps.iter().any(|g| {
                    g.evidence_type == evidence_type && covered(&g.source, g.repo.as_deref())
                });
            if !queried && !gap {
                caveats.push(format!(
                    "no record of how the `{evidence_type}` of {} were collected",
                    repo.full_name
                ));
            }
        }
        caveats.sort();
        caveats.dedup();
        caveats
    }
}

/// The shared context of one evaluation: the indexes plus the per-record facts of both
/// populations.
pub struct Context<'a> {
    pub index: Index<'a>,
    /// The change population, sorted by (merged_at, repo, number).
    pub changes: Vec<ChangeFacts<'a>>,
    /// The commit population, sorted by (committed_at, repo, sha).
    pub commits: Vec<CommitFacts<'a>>,
    /// Accounts and grants (AC-01..AC-05).
    pub access: AccessFacts<'a>,
    /// The deployment population, sorted by (created_at, repo, id).
    pub deployments: Vec<DeploymentFacts<'a>>,
    /// Changes deployments trace to that are not in the change population (merged
    /// before the window): judged with the same facts, never counted as changes.
    pub context_changes: Vec<ChangeFacts<'a>>,
}

impl<'a> Context<'a> {
    pub fn build(input: &EvalInput<'a>) -> Context<'a> {
        let evidence = input.evidence;
        // The SHA index (the changes carrying each commit: for the commit population's
        // change lookup and the deployments' traces, not for the change facts) is built
        // beside the other indexes and the change facts, and dropped once read.
        let (index, changes, by_sha) = std::thread::scope(|scope| {
            // Its own copy of the repository index (a few dozen entries): the thread
            // needs nothing from `Index`, which is built meanwhile.
            let by_sha = scope.spawn(|| {
                let repos = population::index_repos(&evidence.repositories, &input.config.sources);
                ShaIndex::build(&evidence.changes, &repos, &input.config.scope)
            });
            let index = Index::build(input);
            let changes: Vec<ChangeFacts<'a>> = crate::util::par_map(
                population::changes(&index.repos, index.scope, &index.window, &evidence.changes),
                |(change, membership)| facts::change_facts(&index, change, membership),
            );
            (index, changes, crate::util::joined(by_sha.join()))
        });
        // The deployments (one thread) beside the commit population (the other: on two,
        // it was done well before the deployments, leaving a core idle).
        let (commits, built) = std::thread::scope(|scope| {
            let built = scope.spawn(|| deployments::build(&index, &by_sha, &changes));
            let commits: Vec<_> = population::commits(
                &index.repos,
                index.scope,
                &index.window,
                &evidence.branch_commits,
            )
            .into_iter()
            .map(|commit| facts::commit_facts(&index, &by_sha, commit))
            .collect();
            (commits, crate::util::joined(built.join()))
        });
        drop(by_sha);
        let access = AccessFacts::build(
            evidence,
            &input.config.access,
            &input.config.sources,
            &index.people,
            input.inputs,
        );
        Context {
            index,
            changes,
            commits,
            access,
            deployments: built.deployments,
            context_changes: built.context_changes,
        }
    }

    /// The facts of the change a deployment traces to, if its record was collected.
    pub fn deployed_change(&self, facts: &DeploymentFacts<'_>) -> Option<&ChangeFacts<'a>> {
        match facts.change? {
            ChangeSlot::Population(i) => self.changes.get(i),
            ChangeSlot::Context(i) => self.context_changes.get(i),
        }
    }
}

/// The owner part of `owner/name`.
pub fn owner(repo: &str) -> &str {
    repo.split_once('/').map_or(repo, |(owner, _)| owner)
}

/// One line naming a gap, for reasons auditors read.
pub fn describe_gap(gap: &Gap) -> String {
    let scope = match &gap.repo {
        Some(repo) => repo.clone(),
        None => format!("source {}", gap.source),
    };
    let status = gap
        .status
        .map(|s| format!(" (HTTP {s})"))
        .unwrap_or_default();
    format!(
        "`{}` of {scope} could not be collected{status}: {}",
        gap.evidence_type,
        gap.reason.trim()
    )
}
