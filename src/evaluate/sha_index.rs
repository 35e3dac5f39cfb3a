//! (repository, commit SHA) → the merged production changes that carry the commit (as
//! merge commit, head at merge or one of their commits). The deployments' traces and the
//! commit population's change lookup read it.
//!
//! A million changes carry about three million SHAs. Keyed by strings, with the carriers'
//! times and numbers in each entry, the map was 600 MB; here a key is the repository's
//! number and the SHA's 20 bytes, and an entry names its carriers by their position in
//! the evidence (about 150 MB). A SHA that is not 40 hexadecimal digits (test data,
//! other forges) is kept by its lower-cased text in a side map, so lookups are exact
//! either way.

use std::borrow::Cow;

use crate::model::{Change, Timestamp};
use crate::util::{FastHashMap, lower};

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

pub(super) struct ShaIndex<'a> {
    changes: &'a [Change],
    repos: FastHashMap<&'a str, u32>,
    by_digest: FastHashMap<(u32, [u8; 20]), Carriers>,
    by_text: FastHashMap<(u32, Cow<'a, str>), Carriers>,
}

/// A full SHA-1 in hexadecimal (either case) as its 20 bytes.
fn digest(sha: &str) -> Option<[u8; 20]> {
    let hex = sha.as_bytes();
    if hex.len() != 40 {
        return None;
    }
    let nibble = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    let mut out = [0u8; 20];
    for (i, pair) in hex.chunks_exact(2).enumerate() {
        out[i] = nibble(pair[0])? << 4 | nibble(pair[1])?;
    }
    Some(out)
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
            repos: FastHashMap::default(),
            by_digest: FastHashMap::with_capacity_and_hasher(size, Default::default()),
            by_text: FastHashMap::default(),
        };
        for position in members {
            let change = &changes[position as usize];
            let next = index.repos.len() as u32;
            let repo = *index.repos.entry(change.repo.as_str()).or_insert(next);
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
        let new = Carriers {
            best: position,
            basis,
            lowest: position,
        };
        match digest(sha) {
            Some(key) => self
                .by_digest
                .entry((repo, key))
                .and_modify(merge)
                .or_insert(new),
            None => self
                .by_text
                .entry((repo, lower(sha)))
                .and_modify(merge)
                .or_insert(new),
        };
    }

    fn get(&self, repo: &str, sha: &str) -> Option<Carriers> {
        let repo = *self.repos.get(repo)?;
        match digest(sha) {
            Some(key) => self.by_digest.get(&(repo, key)).copied(),
            None => {
                // Looked up with a key that lives shorter than the index's.
                let by_text: &FastHashMap<(u32, Cow<'_, str>), Carriers> = &self.by_text;
                by_text.get(&(repo, lower(sha))).copied()
            }
        }
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

    #[test]
    fn digests_read_both_cases_and_refuse_anything_else() {
        let sha = "0123456789abcdefABCDEF0123456789abcdef01";
        let bytes = digest(sha).unwrap();
        assert_eq!(crate::util::hex(&bytes), sha.to_ascii_lowercase());
        assert_eq!(digest(&sha.to_ascii_lowercase()), Some(bytes));
        for bad in ["", "0123", &format!("{sha}0"), &sha.replace('a', "g")] {
            assert_eq!(digest(bad), None, "{bad}");
        }
    }
}
