//! Maps keyed by (repository, commit SHA): the change SHA index, the commit population
//! and the reconciliation's branch history each hold one entry per commit, millions at
//! scale, and look them up as often.
//!
//! Keyed by the strings (repository name, lower-cased SHA) every insert and lookup
//! hashed and compared some fifty bytes of text; here a key is the repository's number
//! and the SHA's 20 bytes. A SHA that is not 40 hexadecimal digits (test data, other
//! forges) is kept by its lower-cased text in a side map, so lookups are exact either
//! way, and a SHA's case never matters.

use std::collections::hash_map::Entry;

use crate::util::{FastHashMap, lower};

/// Each byte's value as a hexadecimal digit (either case), or `INVALID`.
const NIBBLES: [u8; 256] = {
    let mut table = [INVALID; 256];
    let mut c = 0;
    while c < 256 {
        table[c] = match c as u8 {
            b'0'..=b'9' => c as u8 - b'0',
            b'a'..=b'f' => c as u8 - b'a' + 10,
            b'A'..=b'F' => c as u8 - b'A' + 10,
            _ => INVALID,
        };
        c += 1;
    }
    table
};
const INVALID: u8 = 0x10;

/// A full SHA-1 in hexadecimal (either case) as its 20 bytes.
pub fn digest(sha: &str) -> Option<[u8; 20]> {
    let hex: &[u8; 40] = sha.as_bytes().try_into().ok()?;
    // Millions of calls: a table look-up per digit and one check at the end, no branch
    // per digit.
    let mut out = [0u8; 20];
    let mut invalid = 0u8;
    for (i, byte) in out.iter_mut().enumerate() {
        let (high, low) = (
            NIBBLES[hex[2 * i] as usize],
            NIBBLES[hex[2 * i + 1] as usize],
        );
        invalid |= high | low;
        *byte = (high << 4) | (low & 0x0f);
    }
    (invalid & INVALID == 0).then_some(out)
}

/// Numbers for repository names, given in the order they are first seen.
#[derive(Debug, Default)]
pub struct RepoNumbers<'a> {
    numbers: FastHashMap<&'a str, u32>,
}

impl<'a> RepoNumbers<'a> {
    /// The repository's number, giving it the next one if it has none yet.
    pub fn number(&mut self, repo: &'a str) -> u32 {
        let next = self.numbers.len() as u32;
        *self.numbers.entry(repo).or_insert(next)
    }

    /// The repository's number, if it has one.
    pub fn get(&self, repo: &str) -> Option<u32> {
        self.numbers.get(repo).copied()
    }

    /// How many repositories have a number (the numbers are `0..len`).
    pub fn len(&self) -> usize {
        self.numbers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.numbers.is_empty()
    }

    /// [`get`](Self::get) for names that come in runs, as records grouped by
    /// repository do: each run's name is hashed once.
    pub fn runs<'n, 'r>(&'n self) -> impl FnMut(&'r str) -> Option<u32> + 'n
    where
        'r: 'n,
    {
        let mut last: Option<(&'r str, Option<u32>)> = None;
        move |repo| match last {
            Some((name, number)) if name == repo => number,
            _ => {
                let number = self.get(repo);
                last = Some((repo, number));
                number
            }
        }
    }
}

/// A map from (repository number, commit SHA) to `V` (see the module docs).
#[derive(Debug)]
pub struct ShaMap<V> {
    by_digest: FastHashMap<(u32, [u8; 20]), V>,
    /// Per repository, by lower-cased text (rare: owned keys are cheap enough).
    by_text: FastHashMap<u32, FastHashMap<String, V>>,
    len: usize,
}

impl<V> Default for ShaMap<V> {
    fn default() -> Self {
        ShaMap {
            by_digest: FastHashMap::default(),
            by_text: FastHashMap::default(),
            len: 0,
        }
    }
}

impl<V> ShaMap<V> {
    /// Room for `capacity` SHAs in hexadecimal without growing.
    pub fn with_capacity(capacity: usize) -> Self {
        ShaMap {
            by_digest: FastHashMap::with_capacity_and_hasher(capacity, Default::default()),
            by_text: FastHashMap::default(),
            len: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn get(&self, repo: u32, sha: &str) -> Option<&V> {
        match digest(sha) {
            Some(key) => self.by_digest.get(&(repo, key)),
            None => self.by_text.get(&repo)?.get(lower(sha).as_ref()),
        }
    }

    /// The value under the key, inserting `make()` first when there is none; `true`
    /// when it was inserted.
    pub fn get_or_insert_with(
        &mut self,
        repo: u32,
        sha: &str,
        make: impl FnOnce() -> V,
    ) -> (&mut V, bool) {
        fn upsert<'m, K, V>(
            entry: Entry<'m, K, V>,
            len: &mut usize,
            make: impl FnOnce() -> V,
        ) -> (&'m mut V, bool) {
            match entry {
                Entry::Occupied(e) => (e.into_mut(), false),
                Entry::Vacant(e) => {
                    *len += 1;
                    (e.insert(make()), true)
                }
            }
        }
        match digest(sha) {
            Some(key) => upsert(self.by_digest.entry((repo, key)), &mut self.len, make),
            None => upsert(
                self.by_text
                    .entry(repo)
                    .or_default()
                    .entry(lower(sha).into_owned()),
                &mut self.len,
                make,
            ),
        }
    }

    /// Every value, in no particular order.
    pub fn into_values(self) -> impl Iterator<Item = V> {
        self.by_digest.into_values().chain(
            self.by_text
                .into_values()
                .flat_map(FastHashMap::into_values),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "0123456789abcdef0123456789abcdef01234567";

    #[test]
    fn a_sha_is_one_key_whatever_its_case() {
        let mut map = ShaMap::default();
        let (value, inserted) = map.get_or_insert_with(0, SHA, || 1);
        assert!(inserted);
        *value += 1;
        let upper = SHA.to_uppercase();
        assert_eq!(map.get(0, &upper), Some(&2));
        let (value, inserted) =
            map.get_or_insert_with(0, "0123456789ABCDEF0123456789abcdef01234567", || 9);
        assert!(!inserted);
        assert_eq!(*value, 2);
        assert_eq!(map.len(), 1);
        // Another repository is another key.
        assert_eq!(map.get(1, SHA), None);
    }

    #[test]
    fn a_sha_that_is_not_forty_hex_digits_is_kept_by_its_lower_cased_text() {
        let mut map = ShaMap::default();
        map.get_or_insert_with(0, "Merge-ABC", || 'a');
        map.get_or_insert_with(0, "0123abc", || 'b');
        // 40 characters, not all hexadecimal.
        let almost = "g123456789abcdef0123456789abcdef01234567";
        map.get_or_insert_with(0, almost, || 'c');
        assert_eq!(map.get(0, "merge-abc"), Some(&'a'));
        assert_eq!(map.get(0, "MERGE-ABC"), Some(&'a'));
        assert_eq!(map.get(0, "0123ABC"), Some(&'b'));
        assert_eq!(map.get(0, &almost.to_uppercase()), Some(&'c'));
        assert_eq!(map.get(0, SHA), None);
        let mut values: Vec<char> = map.into_values().collect();
        values.sort();
        assert_eq!(values, ['a', 'b', 'c']);
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

    #[test]
    fn repositories_are_numbered_in_the_order_first_seen() {
        let mut numbers = RepoNumbers::default();
        assert_eq!(numbers.number("acme/b"), 0);
        assert_eq!(numbers.number("acme/a"), 1);
        assert_eq!(numbers.number("acme/b"), 0);
        assert_eq!(numbers.get("acme/a"), Some(1));
        assert_eq!(numbers.get("acme/c"), None);
    }

    #[test]
    fn run_lookups_answer_as_get_does() {
        let mut numbers = RepoNumbers::default();
        numbers.number("acme/a");
        numbers.number("acme/b");
        assert_eq!(numbers.len(), 2);
        let mut get = numbers.runs();
        let names = [
            "acme/a", "acme/a", "acme/x", "acme/x", "acme/b", "acme/a", "",
        ];
        let got: Vec<Option<u32>> = names.iter().map(|n| get(n)).collect();
        let want: Vec<Option<u32>> = names.iter().map(|n| numbers.get(n)).collect();
        assert_eq!(got, want);
        assert_eq!(got, [Some(0), Some(0), None, None, Some(1), Some(0), None]);
    }
}
