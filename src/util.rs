//! Small pure helpers shared across the crate.

use sha2::{Digest, Sha256};

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// Shell-style glob match over a whole string: `*` matches any run of characters
/// (including `/`), `?` one character; everything else matches itself.
/// Used for repository, branch and environment patterns and for waivers.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    // Branch, environment and repository names are nearly always ASCII, where bytes are
    // characters: match them without allocating (this runs millions of times at scale).
    if pattern.is_ascii() && text.is_ascii() {
        return glob_match_units(pattern.as_bytes(), text.as_bytes(), b'?', b'*');
    }
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    glob_match_units(&p, &t, '?', '*')
}

fn glob_match_units<T: PartialEq + Copy>(p: &[T], t: &[T], any: T, many: T) -> bool {
    // Iterative matcher with single-star backtracking: linear in practice, no recursion.
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == any || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == many {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == many {
        pi += 1;
    }
    pi == p.len()
}

/// `text` in ASCII lower case (SHAs, and the comparison keys of logins and emails),
/// borrowed when it already is, as most are: looked up millions of times at scale.
pub fn lower(text: &str) -> std::borrow::Cow<'_, str> {
    if text.bytes().any(|b| b.is_ascii_uppercase()) {
        std::borrow::Cow::Owned(text.to_ascii_lowercase())
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// The items joined with `separator` (`[String]::join` for anything displayed as text:
/// strings, `Text`s, evidence references).
pub fn join<T: std::fmt::Display>(items: &[T], separator: &str) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(separator);
        }
        // Writing into a `String` cannot fail.
        let _ = write!(out, "{item}");
    }
    out
}

/// A hash map for lookups over millions of records (SHAs, logins): foldhash with a
/// fixed seed instead of std's SipHash, which dominated evaluation profiles at scale.
/// Never iterated for output, so its order does not matter; the fixed seed keeps runs
/// alike anyway.
pub type FastHashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::FixedState>;

/// The set form of [`FastHashMap`].
pub type FastHashSet<K> = std::collections::HashSet<K, foldhash::fast::FixedState>;

/// `items.into_iter().map(f).collect()`, on two threads when there are enough items to
/// be worth it (evaluation runs on 2-core machines; per-record facts are independent).
/// The output keeps the input's order, so results do not depend on the split.
pub fn par_map<T: Send, U: Send>(items: Vec<T>, f: impl Fn(T) -> U + Sync) -> Vec<U> {
    const SERIAL_BELOW: usize = 20_000;
    if items.len() < SERIAL_BELOW {
        return items.into_iter().map(f).collect();
    }
    let mut first = items;
    let second = first.split_off(first.len() / 2);
    let f = &f;
    std::thread::scope(|scope| {
        let tail = scope.spawn(move || second.into_iter().map(f).collect::<Vec<U>>());
        let mut out: Vec<U> = first.into_iter().map(f).collect();
        out.extend(joined(tail.join()));
        out
    })
}

/// A scoped thread's result, or its panic carried on to the thread that joins it.
pub fn joined<T>(result: std::thread::Result<T>) -> T {
    match result {
        Ok(value) => value,
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

/// Asks the processor to bring the cache line holding `address` in, without waiting: a
/// hint for memory read soon (a no-op where not implemented). Any address will do.
pub fn prefetch<T>(address: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is a hint: it never faults, whatever the address, and reads
    // nothing observable.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(address.cast())
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = address;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_empty_input() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn glob_matches_like_a_shell() {
        assert!(glob_match("release/*", "release/1.2"));
        assert!(glob_match("*", "anything/at/all"));
        assert!(glob_match("prod-?", "prod-1"));
        assert!(!glob_match("prod-?", "prod-12"));
        assert!(!glob_match("release/*", "main"));
        assert!(glob_match("a*b*c", "aXXbYYc"));
        assert!(!glob_match("a*b*c", "aXXbYY"));
        assert!(glob_match("main", "main"));
        assert!(!glob_match("main", "mainline"));
    }
}
