//! A small ordered map for per-record facts.
//!
//! A change has a handful of authors and approvers. `BTreeMap` allocates a whole node
//! (room for 11 entries) for each of them, which at a million changes was gigabytes of
//! empty slots; these keep the entries in one sorted `Vec` and iterate in the same key
//! order a `BTreeMap` would, so every output built from them is unchanged.

use std::borrow::Borrow;

/// A map kept sorted by key: `BTreeMap`'s iteration order and lookup by `Borrow`ed key,
/// stored as one vector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VecMap<K, V> {
    entries: Vec<(K, V)>,
}

impl<K, V> Default for VecMap<K, V> {
    fn default() -> Self {
        VecMap {
            entries: Vec::new(),
        }
    }
}

impl<K: Ord, V> VecMap<K, V> {
    pub fn new() -> Self {
        VecMap::default()
    }

    fn position<Q: Ord + ?Sized>(&self, key: &Q) -> Result<usize, usize>
    where
        K: Borrow<Q>,
    {
        self.entries.binary_search_by(|(k, _)| k.borrow().cmp(key))
    }

    pub fn get<Q: Ord + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.position(key).ok().map(|i| &self.entries[i].1)
    }

    pub fn contains_key<Q: Ord + ?Sized>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.position(key).is_ok()
    }

    /// The value under `key`, inserting `make()` first when there is none (`BTreeMap`'s
    /// `entry(key).or_insert_with(make)`).
    pub fn get_or_insert_with(&mut self, key: K, make: impl FnOnce() -> V) -> &mut V {
        let i = match self.position(&key) {
            Ok(i) => i,
            Err(i) => {
                self.entries.insert(i, (key, make()));
                i
            }
        };
        &mut self.entries[i].1
    }

    /// Inserts or replaces the value under `key`, returning the one replaced.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.position(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.entries[i].1, value)),
            Err(i) => {
                self.entries.insert(i, (key, value));
                None
            }
        }
    }

    /// Gives back the room left over from building the map.
    pub fn shrink_to_fit(&mut self) {
        self.entries.shrink_to_fit();
    }

    pub fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        self.entries.retain_mut(|(k, v)| keep(k, v));
    }
}

impl<K, V> VecMap<K, V> {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&K, &V)> + ExactSizeIterator {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &K> + ExactSizeIterator {
        self.entries.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> + ExactSizeIterator {
        self.entries.iter().map(|(_, v)| v)
    }
}

/// Like `BTreeMap`'s: sorted by key, and of equal keys the last one wins.
impl<K: Ord, V> FromIterator<(K, V)> for VecMap<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut entries: Vec<(K, V)> = iter.into_iter().collect();
        // Stable: equal keys stay in insertion order, so the last of them is the last.
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let mut deduped: Vec<(K, V)> = Vec::with_capacity(entries.len());
        for entry in entries {
            match deduped.last_mut() {
                Some(last) if last.0 == entry.0 => *last = entry,
                _ => deduped.push(entry),
            }
        }
        VecMap { entries: deduped }
    }
}

impl<'m, K, V> IntoIterator for &'m VecMap<K, V> {
    type Item = (&'m K, &'m V);
    type IntoIter = std::iter::Map<std::slice::Iter<'m, (K, V)>, fn(&'m (K, V)) -> (&'m K, &'m V)>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter().map(|(k, v)| (k, v))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// Built from the same pairs, the map iterates, looks up and keeps values
        /// exactly as `BTreeMap` does (last value of a repeated key wins).
        #[test]
        fn map_behaves_like_btreemap(pairs in proptest::collection::vec((0u8..12, any::<u16>()), 0..40), probe in 0u8..14) {
            let ours: VecMap<u8, u16> = pairs.iter().copied().collect();
            let std: BTreeMap<u8, u16> = pairs.iter().copied().collect();
            prop_assert_eq!(ours.iter().collect::<Vec<_>>(), std.iter().collect::<Vec<_>>());
            prop_assert_eq!(ours.get(&probe), std.get(&probe));
            prop_assert_eq!(ours.contains_key(&probe), std.contains_key(&probe));
            prop_assert_eq!(ours.len(), std.len());

            let mut ours_inc: VecMap<u8, u16> = VecMap::new();
            let mut std_inc: BTreeMap<u8, u16> = BTreeMap::new();
            let mut ours_set: VecMap<u8, u16> = VecMap::new();
            let mut std_set: BTreeMap<u8, u16> = BTreeMap::new();
            for (k, v) in &pairs {
                prop_assert_eq!(ours_set.insert(*k, *v), std_set.insert(*k, *v));
                *ours_inc.get_or_insert_with(*k, || 0) += *v % 7;
                *std_inc.entry(*k).or_insert(0) += *v % 7;
            }
            ours_inc.retain(|k, _| *k != probe);
            std_inc.retain(|k, _| *k != probe);
            prop_assert_eq!(ours_inc.iter().collect::<Vec<_>>(), std_inc.iter().collect::<Vec<_>>());
            prop_assert_eq!(ours_set.iter().collect::<Vec<_>>(), std_set.iter().collect::<Vec<_>>());
        }
    }

    #[test]
    fn string_keys_are_found_by_str() {
        let map: VecMap<String, u32> = [("bob".to_string(), 2), ("alice".to_string(), 1)]
            .into_iter()
            .collect();
        assert_eq!(map.get("alice"), Some(&1));
        assert_eq!(map.keys().collect::<Vec<_>>(), ["alice", "bob"]);
    }
}
