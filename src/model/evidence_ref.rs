//! [`EvidenceRef`]: where a record came from, `sha256:<hex of the raw response>#<JSON
//! pointer>`.
//!
//! Every change, review, branch commit, deployment and approval carries one, and a
//! locker of a million changes holds several million. As one string each was a unique
//! allocation of 110–160 bytes (docs/benchmarks.md: about 480 MB at that scale). Yet a
//! reference is two parts that each repeat: the response hash is the same for every
//! record of one page (a hundred records), and the pointer (`/data/search/nodes/17`) is
//! the same on every page. Held apart and shared while evidence is read
//! ([`super::interning`]), a reference costs two pointers.
//!
//! It reads, writes, compares and orders exactly as the string it stands for.

use std::cmp::Ordering;
use std::fmt;

use super::text::{Text, intern, intern_up_to};

/// Where a record came from (see the module docs). `sha256:9f2c…#/data/search/nodes/17`
/// is the record at that JSON pointer in the raw response with that SHA-256, which the
/// locker keeps under its hash.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct EvidenceRef {
    /// Up to the first `#`: `sha256:<hex>`, shared by the records of one response.
    response: Text,
    /// After the first `#`; `None` when the reference has no `#`.
    pointer: Option<Text>,
}

const _: () = assert!(std::mem::size_of::<EvidenceRef>() == 16);

/// The response part of a reference, `sha256:` and 64 hex digits, is interned whole.
const RESPONSE_LEN: usize = 7 + 64;

impl EvidenceRef {
    /// The reference written as `text`.
    pub fn new(text: &str) -> EvidenceRef {
        EvidenceRef::split(text, |s| s.into(), |s| s.into())
    }

    /// Splits at the first `#`, making each part with the given constructor.
    fn split(
        text: &str,
        response: impl FnOnce(&str) -> Text,
        pointer: impl FnOnce(&str) -> Text,
    ) -> EvidenceRef {
        match text.split_once('#') {
            Some((r, p)) => EvidenceRef {
                response: response(r),
                pointer: Some(pointer(p)),
            },
            None => EvidenceRef {
                response: response(text),
                pointer: None,
            },
        }
    }

    /// The part before the first `#` (`sha256:<hex>` in every reference we write).
    pub fn response(&self) -> &str {
        &self.response
    }

    /// The JSON pointer after the first `#`, if there is a `#`.
    pub fn pointer(&self) -> Option<&str> {
        self.pointer.as_deref()
    }

    /// Whether the reference is the empty string.
    pub fn is_empty(&self) -> bool {
        self.response.is_empty() && self.pointer.is_none()
    }

    /// The parts as they compare with a string written the same way.
    fn parts(&self) -> (&str, Option<&str>) {
        (&self.response, self.pointer.as_deref())
    }

    /// The reference's bytes as written, for ordering like the string.
    fn bytes(&self) -> impl Iterator<Item = u8> + '_ {
        let pointer = self.pointer.as_deref();
        self.response
            .bytes()
            .chain(pointer.map(|_| b'#'))
            .chain(pointer.unwrap_or_default().bytes())
    }
}

impl fmt::Display for EvidenceRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.response)?;
        if let Some(pointer) = &self.pointer {
            f.write_str("#")?;
            f.write_str(pointer)?;
        }
        Ok(())
    }
}

impl fmt::Debug for EvidenceRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.to_string(), f)
    }
}

impl Ord for EvidenceRef {
    fn cmp(&self, other: &Self) -> Ordering {
        // The common case, as fast as comparing the parts: the same response.
        if self.response == other.response {
            return self.pointer.cmp(&other.pointer);
        }
        self.bytes().cmp(other.bytes())
    }
}

impl PartialOrd for EvidenceRef {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl From<&str> for EvidenceRef {
    fn from(text: &str) -> EvidenceRef {
        EvidenceRef::new(text)
    }
}

impl From<String> for EvidenceRef {
    fn from(text: String) -> EvidenceRef {
        EvidenceRef::new(&text)
    }
}

impl From<&String> for EvidenceRef {
    fn from(text: &String) -> EvidenceRef {
        EvidenceRef::new(text)
    }
}

impl From<&EvidenceRef> for String {
    fn from(r: &EvidenceRef) -> String {
        r.to_string()
    }
}

impl PartialEq<str> for EvidenceRef {
    fn eq(&self, other: &str) -> bool {
        let (response, pointer) = match other.split_once('#') {
            Some((r, p)) => (r, Some(p)),
            None => (other, None),
        };
        self.parts() == (response, pointer)
    }
}

impl PartialEq<&str> for EvidenceRef {
    fn eq(&self, other: &&str) -> bool {
        *self == **other
    }
}

impl PartialEq<String> for EvidenceRef {
    fn eq(&self, other: &String) -> bool {
        *self == **other
    }
}

impl serde::Serialize for EvidenceRef {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // serde_json writes (and escapes) the parts straight into its output.
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for EvidenceRef {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<EvidenceRef, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = EvidenceRef;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an evidence reference (a string)")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<EvidenceRef, E> {
                Ok(EvidenceRef::split(
                    s,
                    |r| intern_up_to(r, RESPONSE_LEN),
                    intern,
                ))
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reads_and_writes_the_string() {
        let text = "sha256:9f2c#/data/search/nodes/17";
        let r: EvidenceRef = serde_json::from_str(&serde_json::to_string(text).unwrap()).unwrap();
        assert_eq!(r.response(), "sha256:9f2c");
        assert_eq!(r.pointer(), Some("/data/search/nodes/17"));
        assert_eq!(r.to_string(), text);
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            serde_json::to_string(text).unwrap()
        );
        assert_eq!(r, text);
        assert_eq!(format!("{r:?}"), format!("{text:?}"));
    }

    #[test]
    fn a_reference_without_pointer_or_with_an_empty_one_keeps_its_form() {
        for text in ["sha256:abc", "sha256:abc#", "", "#", "a#b#c"] {
            let r = EvidenceRef::new(text);
            assert_eq!(r.to_string(), text);
            assert_eq!(r, text);
        }
        assert_ne!(
            EvidenceRef::new("sha256:abc"),
            EvidenceRef::new("sha256:abc#")
        );
        assert_ne!(EvidenceRef::new("sha256:abc"), "sha256:abc#");
    }

    #[test]
    fn special_characters_are_escaped_as_in_a_plain_string() {
        let text = "sha256:x#/a\"b\\c\u{1}é";
        let r = EvidenceRef::new(text);
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            serde_json::to_string(text).unwrap()
        );
    }

    #[test]
    fn responses_are_shared_while_interning() {
        let json = r#"["sha256:0000000000000000000000000000000000000000000000000000000000000000#/0","sha256:0000000000000000000000000000000000000000000000000000000000000000#/1"]"#;
        let refs: Vec<EvidenceRef> =
            super::super::interning(|| serde_json::from_str(json).unwrap());
        assert!(std::ptr::eq(
            refs[0].response().as_ptr(),
            refs[1].response().as_ptr()
        ));
    }

    proptest! {
        #[test]
        fn compares_and_orders_exactly_as_the_strings(a in "[a-c#!\"/]{0,6}", b in "[a-c#!\"/]{0,6}") {
            let (ra, rb) = (EvidenceRef::new(&a), EvidenceRef::new(&b));
            prop_assert_eq!(ra.cmp(&rb), a.cmp(&b));
            prop_assert_eq!(ra == rb, a == b);
            prop_assert_eq!(ra == b.as_str(), a == b);
            prop_assert_eq!(ra.to_string(), a);
        }
    }
}
