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
    #[cfg(test)]
    fn len(&self) -> usize {
        self.numbers.len()
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

/// How many records ahead the builders and readers of a [`ShaMap`] ask for slots
/// ([`ShaMap::prefetch`]): enough for memory to answer meanwhile.
pub const LOOKAHEAD: usize = 8;

/// A map from (repository number, commit SHA) to `V` (see the module docs).
///
/// The SHAs are an open-addressing table of its own (linear probing, at most 4/5 full)
/// rather than a `HashMap`: at a million changes its millions of slots are far larger
/// than any cache, so nearly every look-up waits for memory, and a loop that knows
/// its next keys can ask for their slots ahead of time ([`prefetch`](Self::prefetch)),
/// which a `HashMap` does not allow. An empty slot has the repository number
/// [`EMPTY`], so a slot is only the key and the value (32 bytes for a `usize`).
#[derive(Debug)]
pub struct ShaMap<V> {
    slots: Vec<Slot<V>>,
    /// SHAs in `slots`.
    in_slots: usize,
    /// Per repository, by lower-cased text (rare: owned keys are cheap enough).
    by_text: FastHashMap<u32, FastHashMap<String, V>>,
    len: usize,
    hasher: foldhash::fast::FixedState,
}

#[derive(Debug, Clone)]
struct Slot<V> {
    repo: u32,
    digest: [u8; 20],
    value: V,
}

/// The repository number of an empty slot (numbers count up from 0).
const EMPTY: u32 = u32::MAX;

impl<V> Default for ShaMap<V> {
    fn default() -> Self {
        ShaMap {
            slots: Vec::new(),
            in_slots: 0,
            by_text: FastHashMap::default(),
            len: 0,
            hasher: Default::default(),
        }
    }
}

impl<V: Default> ShaMap<V> {
    /// Room for `capacity` SHAs in hexadecimal without growing.
    pub fn with_capacity(capacity: usize) -> Self {
        ShaMap {
            slots: empty_slots(slots_for(capacity)),
            ..ShaMap::default()
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
            Some(key) => {
                let at = self.find(repo, &key).ok()?;
                Some(&self.slots[at].value)
            }
            None => self.by_text.get(&repo)?.get(lower(sha).as_ref()),
        }
    }

    /// Asks the processor for the slot where (`repo`, `sha`) is or would go, without
    /// waiting: a loop calls it for a key some iterations ahead, and the look-up
    /// finds the slot in cache.
    pub fn prefetch(&self, repo: u32, sha: &str) {
        if self.slots.is_empty() {
            return;
        }
        if let Some(key) = digest(sha) {
            let at = self.home(repo, &key);
            crate::util::prefetch(&self.slots[at]);
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
        let Some(key) = digest(sha) else {
            let (value, inserted) = match self
                .by_text
                .entry(repo)
                .or_default()
                .entry(lower(sha).into_owned())
            {
                Entry::Occupied(e) => (e.into_mut(), false),
                Entry::Vacant(e) => (e.insert(make()), true),
            };
            self.len += usize::from(inserted);
            return (value, inserted);
        };
        if (self.in_slots + 1) * 5 > self.slots.len() * 4 {
            self.grow();
        }
        match self.find(repo, &key) {
            Ok(at) => (&mut self.slots[at].value, false),
            Err(at) => {
                self.slots[at] = Slot {
                    repo,
                    digest: key,
                    value: make(),
                };
                self.in_slots += 1;
                self.len += 1;
                (&mut self.slots[at].value, true)
            }
        }
    }

    /// Every value, in no particular order (the tests' view of the whole map).
    #[cfg(test)]
    fn into_values(self) -> impl Iterator<Item = V> {
        self.slots
            .into_iter()
            .filter(|slot| slot.repo != EMPTY)
            .map(|slot| slot.value)
            .chain(
                self.by_text
                    .into_values()
                    .flat_map(FastHashMap::into_values),
            )
    }

    /// The first slot to look in for the key.
    fn home(&self, repo: u32, key: &[u8; 20]) -> usize {
        use std::hash::BuildHasher;
        let hash = self.hasher.hash_one((repo, key));
        // The hash scaled to the table's size (any size, not only powers of two).
        ((u128::from(hash) * self.slots.len() as u128) >> 64) as usize
    }

    /// The key's slot (`Ok`), or the empty slot where it would go (`Err`). The table is
    /// never full, so the probe ends.
    fn find(&self, repo: u32, key: &[u8; 20]) -> Result<usize, usize> {
        if self.slots.is_empty() {
            return Err(0);
        }
        let mut at = self.home(repo, key);
        loop {
            let slot = &self.slots[at];
            if slot.repo == EMPTY {
                return Err(at);
            }
            if slot.repo == repo && slot.digest == *key {
                return Ok(at);
            }
            at += 1;
            if at == self.slots.len() {
                at = 0;
            }
        }
    }

    /// Twice the room, every SHA moved to its slot in the new table.
    fn grow(&mut self) {
        let wanted = slots_for((self.in_slots + 1) * 2);
        let old = std::mem::replace(&mut self.slots, empty_slots(wanted));
        for slot in old {
            if slot.repo != EMPTY
                && let Err(at) = self.find(slot.repo, &slot.digest)
            {
                self.slots[at] = slot;
            }
        }
    }
}

/// Slots for `capacity` SHAs at most 4/5 full, with one to spare (never full).
fn slots_for(capacity: usize) -> usize {
    (capacity.max(8) * 5).div_ceil(4) + 1
}

fn empty_slots<V: Default>(n: usize) -> Vec<Slot<V>> {
    let mut slots = Vec::with_capacity(n);
    slots.resize_with(n, || Slot {
        repo: EMPTY,
        digest: [0; 20],
        value: V::default(),
    });
    slots
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

    /// Many SHAs (the table grows from empty, probes wrap around its end), mixed with
    /// the same SHAs under other repositories and in upper case: every one is found
    /// with its own value, and nothing else is.
    #[test]
    fn a_grown_table_finds_every_key_and_only_those() {
        let sha = |i: u64| format!("{:040x}", i.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        for mut map in [ShaMap::default(), ShaMap::with_capacity(5_000)] {
            for i in 0..5_000u64 {
                for repo in 0..3u32 {
                    let (value, inserted) =
                        map.get_or_insert_with(repo, &sha(i), || (u64::from(repo), i));
                    assert!(inserted);
                    assert_eq!(*value, (u64::from(repo), i));
                }
            }
            assert_eq!(map.len(), 15_000);
            for i in 0..5_000u64 {
                map.prefetch(1, &sha(i));
                assert_eq!(map.get(1, &sha(i).to_uppercase()), Some(&(1, i)));
                let (_, inserted) = map.get_or_insert_with(2, &sha(i), || (9, 9));
                assert!(!inserted);
                assert_eq!(map.get(3, &sha(i)), None);
                assert_eq!(map.get(0, &sha(i + 5_000)), None);
            }
            let mut values: Vec<(u64, u64)> = map.into_values().collect();
            values.sort();
            let mut want: Vec<(u64, u64)> = (0..3)
                .flat_map(|r| (0..5_000).map(move |i| (r, i)))
                .collect();
            want.sort();
            assert_eq!(values, want);
        }
    }
}
