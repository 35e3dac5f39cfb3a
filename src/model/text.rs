//! [`Text`]: the string type of the high-volume evidence records.
//!
//! A locker of a million changes holds tens of millions of strings, most of them
//! repeated: the same logins, repository and branch names, check names, SHAs (a head
//! SHA appears on the change, its checks, its last commit and its reviews). As `String`s
//! each was its own allocation, and the evidence model alone outgrew the memory budget
//! (docs/benchmarks.md). A `Text` is a shared, immutable string: cloning it copies a
//! pointer, and while the locker's evidence is read ([`interning`]) equal short strings
//! are stored once.
//!
//! It serializes as a plain JSON string, so evidence files do not change.

use arcstr::ArcStr;
use std::borrow::Borrow;
use std::cell::RefCell;
use std::fmt;
use std::hash::BuildHasher;
use std::ops::Deref;

/// An immutable, cheaply cloned string (see the module docs).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Text(ArcStr);

// A thin pointer (the length lives with the characters): a million changes hold tens of
// millions of `Text` fields, and a fat `Arc<str>` was 8 bytes more each.
const _: () = assert!(std::mem::size_of::<Text>() == 8 && std::mem::size_of::<Option<Text>>() == 8);

impl Text {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Strings longer than this are rarely repeated (titles, URLs, evidence references):
/// looking them up would cost more than it saves.
const INTERN_UP_TO: usize = 64;

/// Slots of the interning table (a power of two).
const SLOTS: usize = 1 << 14;

/// The interning table: direct-mapped by hash, each slot holding the last string that
/// hashed there. Strings repeated across the evidence (logins, repository, branch and
/// check names) stay in it; a SHA repeated within one record (a head SHA on the change,
/// its checks, its last commit) is found while still there. Unlike a set of every
/// string seen, it stays small (256 KB) and fast, and a miss only costs a copy.
struct Table {
    /// Each slot's string with its full hash: a lookup that does not match compares the
    /// hashes and never touches the string (a cache miss on most unique strings).
    slots: Vec<(u64, Option<ArcStr>)>,
    hasher: foldhash::fast::FixedState,
    /// The table's references to strings it evicted, let go [`EVICTED`] evictions
    /// later. Letting go of a reference writes the string's count, and an evicted
    /// string was usually stored long before, out of cache: dropped at once, every
    /// eviction waited for memory (a third of the table's cost at a million changes).
    /// Asked for ahead of time ([`prefetch`]) and dropped later, it is in cache by then.
    evicted: Vec<Option<ArcStr>>,
    next_evicted: usize,
}

/// How many evicted strings wait (a power of two).
const EVICTED: usize = 1 << 6;

/// Asks the processor to bring the cache line of `string`'s count in, without waiting.
fn prefetch(string: &ArcStr) {
    // The count lives just before the characters (arcstr's layout); for another
    // layout this fetches a neighbouring line, which costs nothing but the hint.
    crate::util::prefetch(string.as_ptr().wrapping_sub(16));
}

thread_local! {
    static TABLE: RefCell<Option<Table>> = const { RefCell::new(None) };
}

/// Runs `f` with interning on for this thread: a [`Text`] deserialized inside it that
/// equals a recent one shares its storage (see [`Table`]). The table is dropped at the
/// end; the strings live as long as their records.
pub fn interning<R>(f: impl FnOnce() -> R) -> R {
    struct Off;
    impl Drop for Off {
        fn drop(&mut self) {
            TABLE.with(|t| t.borrow_mut().take());
        }
    }
    TABLE.with(|t| {
        *t.borrow_mut() = Some(Table {
            slots: vec![(0, None); SLOTS],
            hasher: Default::default(),
            evicted: vec![None; EVICTED],
            next_evicted: 0,
        })
    });
    let _off = Off;
    f()
}

pub(super) fn intern(s: &str) -> Text {
    intern_up_to(s, INTERN_UP_TO)
}

/// [`intern`] with another length limit: for strings known to repeat however long they
/// are (the response part of an evidence reference).
pub(super) fn intern_up_to(s: &str, limit: usize) -> Text {
    if s.len() <= limit {
        let shared = TABLE.with(|t| {
            let mut table = t.borrow_mut();
            let table = table.as_mut()?;
            let hash = table.hasher.hash_one(s);
            let slot = &mut table.slots[(hash as usize) & (SLOTS - 1)];
            if slot.0 == hash
                && let Some(found) = &slot.1
                && **found == *s
            {
                return Some(found.clone());
            }
            let new = ArcStr::from(s);
            let old = std::mem::replace(slot, (hash, Some(new.clone()))).1;
            if let Some(old) = old {
                prefetch(&old);
                let at = table.next_evicted;
                table.next_evicted = (at + 1) & (EVICTED - 1);
                // The reference evicted `EVICTED` evictions ago goes here.
                table.evicted[at] = Some(old);
            }
            Some(new)
        });
        if let Some(shared) = shared {
            return Text(shared);
        }
    }
    Text(ArcStr::from(s))
}

impl Default for Text {
    fn default() -> Self {
        Text(ArcStr::new())
    }
}

impl Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for Text {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.0, f)
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Text {
        Text(ArcStr::from(s))
    }
}

impl From<&String> for Text {
    fn from(s: &String) -> Text {
        Text(ArcStr::from(s.as_str()))
    }
}

impl From<String> for Text {
    fn from(s: String) -> Text {
        Text(ArcStr::from(s))
    }
}

impl From<&Text> for Text {
    fn from(s: &Text) -> Text {
        s.clone()
    }
}

impl From<Text> for String {
    fn from(s: Text) -> String {
        s.0.to_string()
    }
}

impl From<&Text> for String {
    fn from(s: &Text) -> String {
        s.0.to_string()
    }
}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl PartialEq<String> for Text {
    fn eq(&self, other: &String) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<Text> for str {
    fn eq(&self, other: &Text) -> bool {
        self == &*other.0
    }
}

impl PartialEq<Text> for &str {
    fn eq(&self, other: &Text) -> bool {
        *self == &*other.0
    }
}

impl PartialEq<Text> for String {
    fn eq(&self, other: &Text) -> bool {
        **self == *other.0
    }
}

impl serde::Serialize for Text {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// Deserializes a [`Text`] without looking it up in the interning table: for fields whose
/// values are all but unique (titles, URLs, ids: `#[serde(deserialize_with =
/// "text::unique")]`). Looking them up found nothing and evicted a string that does
/// repeat, and the eviction read that string's count from memory long out of cache:
/// at a million changes, most of the table's cost.
pub fn unique<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Text, D::Error> {
    text_from(deserializer, |s| Text::from(s))
}

impl<'de> serde::Deserialize<'de> for Text {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Text, D::Error> {
        text_from(deserializer, intern)
    }
}

/// Deserializes a string as the [`Text`] `make` gives for it.
fn text_from<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
    make: fn(&str) -> Text,
) -> Result<Text, D::Error> {
    struct Visitor(fn(&str) -> Text);
    impl serde::de::Visitor<'_> for Visitor {
        type Value = Text;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string")
        }
        fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Text, E> {
            Ok((self.0)(s))
        }
    }
    deserializer.deserialize_str(Visitor(make))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_as_the_plain_string() {
        let text = Text::from("Zoë \"quoted\"");
        let json = serde_json::to_string(&text).unwrap();
        assert_eq!(json, serde_json::to_string("Zoë \"quoted\"").unwrap());
        let back: Text = serde_json::from_str(&json).unwrap();
        assert_eq!(back, "Zoë \"quoted\"");
    }

    #[test]
    fn equal_strings_share_storage_only_while_interning() {
        let parse = || -> Vec<Text> { serde_json::from_str(r#"["main","main"]"#).unwrap() };
        let plain = parse();
        assert!(!ArcStr::ptr_eq(&plain[0].0, &plain[1].0));
        let shared = interning(parse);
        assert!(ArcStr::ptr_eq(&shared[0].0, &shared[1].0));
        assert_eq!(shared, plain);
        // The table is gone afterwards.
        let again = parse();
        assert!(!ArcStr::ptr_eq(&again[0].0, &again[1].0));
    }

    #[test]
    fn unique_fields_do_not_go_through_the_table() {
        #[derive(serde::Deserialize)]
        struct Record {
            #[serde(deserialize_with = "super::unique")]
            url: Text,
            name: Text,
        }
        let records: Vec<Record> = interning(|| {
            serde_json::from_str(r#"[{"url":"u","name":"n"},{"url":"u","name":"n"}]"#).unwrap()
        });
        assert!(ArcStr::ptr_eq(&records[0].name.0, &records[1].name.0));
        assert!(!ArcStr::ptr_eq(&records[0].url.0, &records[1].url.0));
        assert_eq!(
            (records[1].url.as_str(), records[1].name.as_str()),
            ("u", "n")
        );
    }

    #[test]
    fn compares_and_orders_like_str() {
        let a = Text::from("alpha");
        let owned = String::from("alpha");
        assert!(a == *"alpha");
        assert!(*"alpha" == a);
        assert!(a == owned);
        assert!(owned == a);
        let mut sorted = vec![Text::from("b"), Text::from("a")];
        sorted.sort();
        assert_eq!(sorted, ["a", "b"]);
        assert_eq!(format!("{a}/{a:?}"), "alpha/\"alpha\"");
    }
}
