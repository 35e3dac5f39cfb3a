//! (repository, commit SHA) → the merged production changes that carry the commit (as
//! merge commit, head at merge or one of their commits). The deployments' traces and the
//! commit population's change lookup read it.
//!
//! A million changes carry about three million SHAs. With the carriers' times and
//! numbers in each entry, keyed by strings, the map was 600 MB; here an entry names its
//! carriers by their position in the evidence, keyed as every [`ShaMap`] is (about
//! 150 MB).

use crate::model::{Change, Timestamp};
use crate::sha_map::{LOOKAHEAD, RepoNumbers, ShaMap};

use super::deployments::TraceBasis;
use super::population;

/// The carriers of one SHA: the two minimums the readers take.
#[derive(Debug, Clone, Copy)]
struct Carriers {
    /// The change of the strongest basis, then the earliest merge, then the lowest
    /// number (the trace), as a position in the evidence's changes.
    best: u32,
    basis: TraceBasis,
    /// The change with the lowest number (the commit population's lookup).
    lowest: u32,
}

/// What an empty slot of the map holds (never read).
impl Default for Carriers {
    fn default() -> Self {
        Carriers {
            best: 0,
            basis: TraceBasis::MergeCommit,
            lowest: 0,
        }
    }
}

pub(super) struct ShaIndex<'a> {
    changes: &'a [Change],
    repos: RepoNumbers<'a>,
    carriers: ShaMap<Carriers>,
}

impl<'a> ShaIndex<'a> {
    /// Indexes the SHAs of the merged changes into production branches.
    pub(super) fn build(
        changes: &'a [Change],
        repos: &population::Repos<'a>,
        scope: &crate::config::Scope,
    ) -> ShaIndex<'a> {
        // The merged production changes, and a size for the table from their SHAs: a
        // head is usually also the last of the commits, so merge commit plus commits;
        // should there be more, the table grows.
        let mut members: Vec<u32> = Vec::with_capacity(changes.len());
        let mut size = 0usize;
        for (position, change) in changes.iter().enumerate() {
            let Ok(position) = u32::try_from(position) else {
                break; // more than 4 billion changes: beyond any locker
            };
            if population::is_production(repos, scope, &change.repo, &change.base_branch)
                == Some(true)
            {
                members.push(position);
                size +=
                    usize::from(change.merge_commit_sha.is_some()) + change.commits.len().max(1);
            }
        }
        let mut index = ShaIndex {
            changes,
            repos: RepoNumbers::default(),
            carriers: ShaMap::with_capacity(size),
        };
        for (i, &position) in members.iter().enumerate() {
            // The slots of a change a few ahead are fetched while this one is added.
            if let Some(&ahead) = members.get(i + LOOKAHEAD) {
                let ahead = &changes[ahead as usize];
                if let Some(repo) = index.repos.get(&ahead.repo) {
                    index.prefetch(repo, ahead);
                }
            }
            let change = &changes[position as usize];
            let repo = index.repos.number(&change.repo);
            if let Some(sha) = &change.merge_commit_sha {
                index.add(repo, sha, TraceBasis::MergeCommit, position);
            }
            index.add(repo, &change.head_sha, TraceBasis::Head, position);
            for commit in &change.commits {
                index.add(repo, &commit.sha, TraceBasis::Commit, position);
            }
        }
        index
    }

    fn prefetch(&self, repo: u32, change: &Change) {
        for sha in change.carried_shas() {
            self.carriers.prefetch(repo, sha);
        }
    }

    fn add(&mut self, repo: u32, sha: &'a str, basis: TraceBasis, position: u32) {
        let changes = self.changes;
        let rank = |basis: TraceBasis, at: u32| {
            let c = &changes[at as usize];
            (basis, c.merged_at, c.number)
        };
        let merge = |carriers: &mut Carriers| {
            if rank(basis, position) < rank(carriers.basis, carriers.best) {
                carriers.best = position;
                carriers.basis = basis;
            }
            if changes[position as usize].number < changes[carriers.lowest as usize].number {
                carriers.lowest = position;
            }
        };
        let (carriers, inserted) = self.carriers.get_or_insert_with(repo, sha, || Carriers {
            best: position,
            basis,
            lowest: position,
        });
        if !inserted {
            merge(carriers);
        }
    }

    fn get(&self, repo: &str, sha: &str) -> Option<Carriers> {
        let repo = self.repos.get(repo)?;
        self.carriers.get(repo, sha).copied()
    }

    pub(super) fn contains(&self, repo: &str, sha: &str) -> bool {
        self.get(repo, sha).is_some()
    }

    /// The carrier the trace takes: the strongest basis, then the earliest merged, then
    /// the lowest number.
    pub(super) fn best(&self, repo: &str, sha: &str) -> Option<(TraceBasis, Timestamp, u64)> {
        self.get(repo, sha).map(|c| {
            let change = &self.changes[c.best as usize];
            (c.basis, change.merged_at, change.number)
        })
    }

    /// The lowest number among the carriers.
    pub(super) fn lowest_number(&self, repo: &str, sha: &str) -> Option<u64> {
        self.get(repo, sha)
            .map(|c| self.changes[c.lowest as usize].number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluate::testkit::{Kit, head_sha, merge_sha, pr};

    fn index_of(kit: &Kit) -> ShaIndex<'_> {
        let repos = population::index_repos(&kit.evidence.repositories, &kit.config.sources);
        // The index borrows the repositories only while it is built.
        ShaIndex::build(&kit.evidence.changes, &repos, &kit.config.scope)
    }

    #[test]
    fn a_sha_is_found_whatever_its_case_with_how_the_change_carries_it() {
        let mut kit = Kit::new();
        kit.add(pr(7));
        let index = index_of(&kit);
        let merge = merge_sha(7);
        let best = index.best("acme/api", &merge.to_uppercase()).unwrap();
        assert_eq!((best.0, best.2), (TraceBasis::MergeCommit, 7));
        let head = index.best("acme/api", &head_sha(7)).unwrap();
        assert_eq!(head.0, TraceBasis::Head);
        assert_eq!(index.lowest_number("acme/api", &merge), Some(7));
        // Another repository, an unknown repository, an unknown SHA.
        assert!(!index.contains("acme/payments", &merge));
        assert!(!index.contains("acme/nowhere", &merge));
        assert!(!index.contains("acme/api", &merge_sha(8)));
    }

    #[test]
    fn of_several_carriers_the_trace_takes_the_strongest_basis_and_the_lookup_the_lowest_number() {
        let mut kit = Kit::new();
        // #9's merge commit is also the head of #5 (merged earlier, lower number).
        kit.add(pr(9).merged_at("2026-08-02T12:00:00Z"));
        let mut earlier = pr(5).merged_at("2026-08-01T09:00:00Z").build();
        earlier.head_sha = merge_sha(9).into();
        kit.evidence.changes.push(earlier);
        let index = index_of(&kit);
        let best = index.best("acme/api", &merge_sha(9)).unwrap();
        assert_eq!((best.0, best.2), (TraceBasis::MergeCommit, 9));
        assert_eq!(index.lowest_number("acme/api", &merge_sha(9)), Some(5));
        // Same basis: the earlier merge wins, whatever the order of the records.
        let mut kit = Kit::new();
        kit.add(pr(3).merged_at("2026-08-03T12:00:00Z"));
        let mut twin = pr(4).merged_at("2026-08-01T12:00:00Z").build();
        twin.head_sha = head_sha(3).into();
        kit.evidence.changes.push(twin);
        let index = index_of(&kit);
        let best = index.best("acme/api", &head_sha(3)).unwrap();
        assert_eq!((best.0, best.2), (TraceBasis::Head, 4));
        assert_eq!(index.lowest_number("acme/api", &head_sha(3)), Some(3));
    }

    #[test]
    fn a_sha_that_is_not_forty_hex_digits_is_found_by_its_text() {
        let mut kit = Kit::new();
        kit.add(pr(1).merge_sha(Some("Merge-ABC")));
        kit.add(pr(2).base("feature/x").merge_sha(Some("0123abc")));
        let index = index_of(&kit);
        assert_eq!(index.lowest_number("acme/api", "merge-abc"), Some(1));
        assert_eq!(index.lowest_number("acme/api", "MERGE-ABC"), Some(1));
        // Only changes merged into a production branch carry commits.
        assert!(!index.contains("acme/api", "0123abc"));
        assert!(!index.contains("acme/api", &head_sha(2)));
    }
}
