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

use std::alloc::Layout;
use std::borrow::Borrow;
use std::cell::RefCell;
use std::fmt;
use std::hash::{BuildHasher, Hash, Hasher};
use std::ops::Deref;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicUsize, Ordering, fence};

/// An immutable, cheaply cloned string (see the module docs).
///
/// A thin pointer to one allocation: a [`Header`] (reference count and length) followed
/// by the characters. It is our own rather than `Arc<str>` (8 bytes more per field: a
/// million changes hold tens of millions of them) or a crate's thin `Arc` string because
/// the interning table needs to take many references at once ([`Table`]): counting
/// each one was, at a million changes, a third of the table's cost, most of it waiting
/// for the string's memory.
pub struct Text(NonNull<Header>);

// A thin pointer, and `Option<Text>` no larger.
const _: () = assert!(std::mem::size_of::<Text>() == 8 && std::mem::size_of::<Option<Text>>() == 8);

/// What precedes a string's characters in its allocation.
#[repr(C)]
struct Header {
    /// References to the string. 0 only for [`EMPTY`], which is never freed: a string
    /// anyone can still reach has at least the one reference they hold.
    count: AtomicUsize,
    len: usize,
}

const HEADER: usize = std::mem::size_of::<Header>();

/// The empty string, shared by every empty `Text` and never counted.
static EMPTY: Header = Header {
    count: AtomicUsize::new(0),
    len: 0,
};

/// More references than this means a leak of `Text`s gone wrong: abort as `Arc` does
/// rather than let the count wrap.
const MAX_COUNT: usize = isize::MAX as usize;

// SAFETY: a `Text`'s characters never change after it is made, and its count is atomic:
// it can be shared and sent between threads like an `Arc<str>`.
unsafe impl Send for Text {}
// SAFETY: as for `Send`.
unsafe impl Sync for Text {}

/// The allocation of a string of `len` bytes.
fn layout(len: usize) -> Layout {
    // A `&str` is at most isize::MAX bytes and so is any allocation: a string that
    // exists leaves room for its 16-byte header in all but an address space full of it.
    Layout::from_size_align(HEADER + len, std::mem::align_of::<Header>())
        .expect("a string's length leaves room for its header")
}

impl Text {
    /// A new allocation holding `s`, with `count` references to it (the caller's).
    fn with_count(s: &str, count: usize) -> Text {
        if s.is_empty() {
            return Text::default();
        }
        let layout = layout(s.len());
        // SAFETY: the layout has a non-zero size (the header).
        let raw = unsafe { std::alloc::alloc(layout) }.cast::<Header>();
        let Some(ptr) = NonNull::new(raw) else {
            std::alloc::handle_alloc_error(layout)
        };
        // SAFETY: `ptr` is a fresh allocation of HEADER + len bytes, aligned for Header;
        // the characters go right after the header, inside it.
        unsafe {
            ptr.as_ptr().write(Header {
                count: AtomicUsize::new(count),
                len: s.len(),
            });
            std::ptr::copy_nonoverlapping(
                s.as_ptr(),
                ptr.as_ptr().cast::<u8>().add(HEADER),
                s.len(),
            );
        }
        #[cfg(test)]
        tests::LIVE.with(|live| live.set(live.get() + 1));
        Text(ptr)
    }

    fn header(&self) -> &Header {
        // SAFETY: a `Text` holds a reference, so its allocation (or EMPTY) is alive.
        unsafe { self.0.as_ref() }
    }

    pub fn as_str(&self) -> &str {
        let len = self.header().len;
        if len == 0 {
            return "";
        }
        // SAFETY: the allocation holds `len` bytes after the header, copied from a
        // `&str` when it was made and never changed since; it lives as long as `self`.
        unsafe {
            std::str::from_utf8_unchecked(std::slice::from_raw_parts(
                self.0.as_ptr().cast::<u8>().add(HEADER),
                len,
            ))
        }
    }

    /// Whether both share one storage, and so are equal (a cheap test that can say
    /// "different storage" of equal strings: for skipping repeated work, not equality).
    pub fn ptr_eq(a: &Text, b: &Text) -> bool {
        a.0 == b.0
    }
}

/// Takes `n` more references to the string at `ptr`, whose count the caller knows is
/// not 0 (it holds a reference).
fn take(header: &Header, n: usize) {
    if header.count.fetch_add(n, Ordering::Relaxed) > MAX_COUNT {
        std::process::abort();
    }
}

/// Gives back `n` of the references the caller holds to the string at `ptr`, freeing it
/// if they were the last.
///
/// # Safety
/// The caller holds `n` counted references to the string at `ptr` (or `ptr` is EMPTY)
/// and uses none of them afterwards.
unsafe fn release(ptr: NonNull<Header>, n: usize) {
    // SAFETY: the caller's references keep the allocation alive until the fetch_sub.
    let header = unsafe { ptr.as_ref() };
    // Only EMPTY reads 0 here: the caller holds n >= 1 references to any other string.
    if header.count.load(Ordering::Relaxed) == 0 {
        return;
    }
    // As `Arc`: the release orders every use of the string before the last drop, the
    // acquire fence orders that drop's free after them.
    if header.count.fetch_sub(n, Ordering::Release) != n {
        return;
    }
    fence(Ordering::Acquire);
    #[cfg(test)]
    tests::LIVE.with(|live| live.set(live.get() - 1));
    let layout = layout(header.len);
    // SAFETY: the count reached 0: no one else holds a reference, and the allocation
    // was made by `with_count` with this layout.
    unsafe { std::alloc::dealloc(ptr.as_ptr().cast(), layout) }
}

impl Clone for Text {
    fn clone(&self) -> Text {
        let header = self.header();
        if header.count.load(Ordering::Relaxed) != 0 {
            take(header, 1);
        }
        Text(self.0)
    }
}

impl Drop for Text {
    fn drop(&mut self) {
        // SAFETY: `self` holds one reference and is gone after this.
        unsafe { release(self.0, 1) }
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Text) -> bool {
        self.0 == other.0 || self.as_str() == other.as_str()
    }
}

impl Eq for Text {}

impl PartialOrd for Text {
    fn partial_cmp(&self, other: &Text) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Text {
    fn cmp(&self, other: &Text) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl Hash for Text {
    // As `str` hashes, which `Borrow<str>` requires.
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state)
    }
}

/// Strings longer than this are rarely repeated (titles, URLs, evidence references):
/// looking them up would cost more than it saves.
const INTERN_UP_TO: usize = 64;

/// Slots of the interning table (a power of two).
const SLOTS: usize = 1 << 14;

/// Strings up to this long are kept in their slot too, and a lookup compares them there.
const INLINE: usize = 32;

/// References the table takes to a string at once, to hand out without counting.
const RESERVE: usize = 1 << 16;

/// One slot of the interning table: one cache line.
#[repr(C, align(64))]
struct Slot {
    /// The full hash of the slot's string: a lookup that does not match compares the
    /// hashes and nothing else.
    hash: u64,
    /// The slot's string, of which the table holds `reserve` counted references.
    text: Option<NonNull<Header>>,
    /// At least 1 while `text` is set: the table's own reference.
    reserve: u32,
    len: u32,
    /// The string's bytes, zero-padded, when it is at most [`INLINE`] long: most strings
    /// that repeat (logins, names, repositories, branches) are compared here without
    /// reading the string, which is usually long out of cache.
    inline: [u8; INLINE],
}

const EMPTY_SLOT: Slot = Slot {
    hash: 0,
    text: None,
    reserve: 0,
    len: 0,
    inline: [0; INLINE],
};

/// The interning table: direct-mapped by hash, each slot holding the last string that
/// hashed there. Strings repeated across the evidence (logins, repository, branch and
/// check names) stay in it; a SHA repeated within one record (a head SHA on the change,
/// its checks, its last commit) is found while still there. Unlike a set of every
/// string seen, it stays small (1 MB) and fast, and a miss only costs a copy.
///
/// A hit hands out a reference without touching the string: the table takes
/// [`RESERVE`] references when it stores a string and counts them down, and gives back
/// what is left when the string leaves the table.
struct Table {
    slots: Vec<Slot>,
    hasher: foldhash::fast::FixedState,
    /// Strings evicted from the table with the references it still held, given back
    /// [`EVICTED`] evictions later. Giving back writes the string's count, and an
    /// evicted string was usually stored long before, out of cache: given back at once,
    /// every eviction waited for memory. Asked for ahead of time
    /// ([`crate::util::prefetch`]) and given back later, it is in cache by then.
    evicted: Vec<Option<(NonNull<Header>, u32)>>,
    next_evicted: usize,
}

/// How many evicted strings wait (a power of two).
const EVICTED: usize = 1 << 6;

impl Table {
    fn new() -> Table {
        Table {
            slots: std::iter::repeat_with(|| EMPTY_SLOT).take(SLOTS).collect(),
            hasher: Default::default(),
            evicted: vec![None; EVICTED],
            next_evicted: 0,
        }
    }

    /// The interned `s` (at most `u32::MAX` bytes long, not empty).
    fn intern(&mut self, s: &str) -> Text {
        let hash = self.hasher.hash_one(s);
        let mut inline = [0u8; INLINE];
        if let Some(prefix) = inline.get_mut(..s.len()) {
            prefix.copy_from_slice(s.as_bytes());
        }
        let slot = &mut self.slots[(hash as usize) & (SLOTS - 1)];
        if slot.hash == hash
            && slot.len as usize == s.len()
            && let Some(ptr) = slot.text
        {
            let same = if s.len() <= INLINE {
                slot.inline == inline
            } else {
                // SAFETY: the table holds a reference to the slot's string.
                std::mem::ManuallyDrop::new(Text(ptr)).as_str() == s
            };
            if same {
                if slot.reserve == 1 {
                    // SAFETY: the table holds a reference (reserve >= 1).
                    take(unsafe { ptr.as_ref() }, RESERVE);
                    slot.reserve += RESERVE as u32;
                }
                // The one handed out was counted when the table took it.
                slot.reserve -= 1;
                return Text(ptr);
            }
        }
        let new = Text::with_count(s, RESERVE + 1);
        let old = slot.text.replace(new.0).map(|ptr| (ptr, slot.reserve));
        slot.hash = hash;
        slot.reserve = RESERVE as u32;
        slot.len = s.len() as u32;
        slot.inline = inline;
        if let Some((ptr, _)) = old {
            // The count lives at the start of the allocation.
            crate::util::prefetch(ptr.as_ptr());
            let at = self.next_evicted;
            self.next_evicted = (at + 1) & (EVICTED - 1);
            // The string evicted `EVICTED` evictions ago goes now.
            if let Some((ptr, reserve)) = std::mem::replace(&mut self.evicted[at], old) {
                // SAFETY: the table held `reserve` references and forgets the string.
                unsafe { release(ptr, reserve as usize) }
            }
        }
        new
    }
}

impl Drop for Table {
    fn drop(&mut self) {
        let held = self
            .slots
            .iter()
            .filter_map(|s| s.text.map(|t| (t, s.reserve)));
        let evicted = self.evicted.iter().flatten().copied();
        for (ptr, reserve) in held.chain(evicted) {
            // SAFETY: the table held `reserve` references to each and is going.
            unsafe { release(ptr, reserve as usize) }
        }
    }
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
    TABLE.with(|t| *t.borrow_mut() = Some(Table::new()));
    let _off = Off;
    f()
}

pub(super) fn intern(s: &str) -> Text {
    intern_up_to(s, INTERN_UP_TO)
}

/// [`intern`] with another length limit: for strings known to repeat however long they
/// are (the response part of an evidence reference).
pub(super) fn intern_up_to(s: &str, limit: usize) -> Text {
    if !s.is_empty() && s.len() <= limit && s.len() <= u32::MAX as usize {
        let shared = TABLE.with(|t| Some(t.borrow_mut().as_mut()?.intern(s)));
        if let Some(shared) = shared {
            return shared;
        }
    }
    Text::from(s)
}

impl Default for Text {
    fn default() -> Self {
        // EMPTY is never written through this pointer: its count stays 0 (see `Header`).
        Text(NonNull::from(&EMPTY))
    }
}

impl Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for Text {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Text {
        Text::with_count(s, 1)
    }
}

impl From<&String> for Text {
    fn from(s: &String) -> Text {
        Text::with_count(s, 1)
    }
}

impl From<String> for Text {
    fn from(s: String) -> Text {
        Text::with_count(&s, 1)
    }
}

impl From<&Text> for Text {
    fn from(s: &Text) -> Text {
        s.clone()
    }
}

impl From<Text> for String {
    fn from(s: Text) -> String {
        s.as_str().to_owned()
    }
}

impl From<&Text> for String {
    fn from(s: &Text) -> String {
        s.as_str().to_owned()
    }
}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Text {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialEq<Text> for str {
    fn eq(&self, other: &Text) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<Text> for &str {
    fn eq(&self, other: &Text) -> bool {
        *self == other.as_str()
    }
}

impl PartialEq<Text> for String {
    fn eq(&self, other: &Text) -> bool {
        self.as_str() == other.as_str()
    }
}

impl serde::Serialize for Text {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
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

    thread_local! {
        /// Strings allocated minus strings freed on this thread.
        pub(super) static LIVE: std::cell::Cell<isize> = const { std::cell::Cell::new(0) };
    }

    fn live() -> isize {
        LIVE.with(|live| live.get())
    }

    /// Interns `strings` in order, as the reader's threads do.
    fn intern_all(strings: &[String]) -> Vec<Text> {
        interning(|| strings.iter().map(|s| intern(s)).collect())
    }

    /// More distinct strings than the table has slots, repeated, of every length up to
    /// and past what is kept inline and what is interned at all: every string reads back
    /// as it went in, repeats close together share storage, and once everything is
    /// dropped (texts before or after the table, in any order) every allocation is freed.
    #[test]
    fn interned_strings_read_back_and_are_all_freed() {
        let before = live();
        let strings: Vec<String> = (0..3 * SLOTS)
            .flat_map(|i| {
                let s = format!("{i:x}-{}", "x".repeat(i % (INTERN_UP_TO + 8)));
                [s.clone(), s, String::new()]
            })
            .collect();
        let texts = intern_all(&strings);
        assert_eq!(texts.len(), strings.len());
        for (text, string) in texts.iter().zip(&strings) {
            assert_eq!(text.as_str(), string.as_str());
        }
        for pair in texts.chunks(3) {
            let shared = Text::ptr_eq(&pair[0], &pair[1]);
            assert_eq!(shared, pair[0].len() <= INTERN_UP_TO, "{:?}", pair[0]);
        }
        // Some dropped early, some cloned and kept, the rest dropped in reverse.
        let kept: Vec<Text> = texts.iter().step_by(7).cloned().collect();
        let mut texts = texts;
        texts.retain(|t| t.len() % 2 == 0);
        while texts.pop().is_some() {}
        for (text, string) in kept.iter().zip(strings.iter().step_by(7)) {
            assert_eq!(text, string);
        }
        drop(kept);
        assert_eq!(live(), before);
    }

    /// One string handed out more often than the table reserves references for at once:
    /// it takes more, and the count comes back to exactly zero.
    #[test]
    fn a_string_handed_out_past_the_reserve_is_counted_right() {
        let before = live();
        let strings = vec!["dev-0215".to_owned(); 3 * RESERVE + 5];
        let texts = intern_all(&strings);
        assert!(
            texts
                .iter()
                .all(|t| Text::ptr_eq(t, &texts[0]) && *t == "dev-0215")
        );
        assert_eq!(live(), before + 1);
        let one = texts[17].clone();
        drop(texts);
        assert_eq!((live(), one.as_str()), (before + 1, "dev-0215"));
        drop(one);
        assert_eq!(live(), before);
    }

    /// Texts made while interning are cloned and dropped on other threads at once: the
    /// counts stay right (every string readable until its last reference goes).
    #[test]
    fn interned_texts_are_shared_between_threads() {
        let strings: Vec<String> = (0..20_000).map(|i| format!("login-{}", i % 300)).collect();
        let texts = intern_all(&strings);
        std::thread::scope(|scope| {
            for t in 0..4 {
                let texts = &texts;
                let strings = &strings;
                scope.spawn(move || {
                    for _ in 0..20 {
                        let copies: Vec<Text> = texts.iter().skip(t).cloned().collect();
                        for (copy, string) in copies.iter().zip(strings.iter().skip(t)) {
                            assert_eq!(copy, string);
                        }
                    }
                });
            }
        });
        let moved: Vec<Text> = std::thread::spawn(move || texts.into_iter().step_by(3).collect())
            .join()
            .unwrap();
        for (text, string) in moved.iter().zip(strings.iter().step_by(3)) {
            assert_eq!(text, string);
        }
    }

    #[test]
    fn the_empty_string_is_never_counted_or_freed() {
        let before = live();
        let empty = Text::default();
        let copies: Vec<Text> = (0..3).map(|_| empty.clone()).collect();
        let made = [Text::from(""), Text::from(String::new()), intern("")];
        assert!(
            copies
                .iter()
                .chain(&made)
                .all(|t| Text::ptr_eq(t, &empty) && t.is_empty())
        );
        assert_eq!(EMPTY.count.load(Ordering::Relaxed), 0);
        drop((copies, made, empty));
        assert_eq!(live(), before);
    }

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
        assert!(!Text::ptr_eq(&plain[0], &plain[1]));
        let shared = interning(parse);
        assert!(Text::ptr_eq(&shared[0], &shared[1]));
        assert_eq!(shared, plain);
        // The table is gone afterwards.
        let again = parse();
        assert!(!Text::ptr_eq(&again[0], &again[1]));
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
        assert!(Text::ptr_eq(&records[0].name, &records[1].name));
        assert!(!Text::ptr_eq(&records[0].url, &records[1].url));
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
