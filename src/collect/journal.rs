//! Answers the collector already has, so it does not ask GitHub again:
//! - the **resume journal**: the request log of an interrupted collection in the same
//!   locker. A request whose final answer is logged there is answered from the locker
//!   (no network call, no new record), so a resumed collection neither refetches
//!   finished pages nor duplicates records;
//! - the **ETag cache**: a previous locker's responses with their `etag`, sent back as
//!   `If-None-Match` so unchanged data costs a free `304`; and its GraphQL answers, which
//!   have no ETag, for reuse where a conditional probe showed the evidence unchanged.

use std::collections::BTreeMap;
use std::path::Path;

use crate::locker::{Locker, LockerError, RequestRecord};

use super::ratelimit::{Disposition, Resource, classify};

/// The identity of a request: method, URL and SHA-256 of the request body.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RequestKey {
    pub method: String,
    pub url: String,
    pub body_sha256: Option<String>,
}

/// A response read back from a locker.
#[derive(Debug, Clone)]
pub struct Stored {
    /// Its record in the locker's request log.
    pub seq: u64,
    pub status: u16,
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
}

/// The request log of the collection being resumed.
#[derive(Debug)]
pub struct Journal {
    locker: Option<Locker>,
    entries: BTreeMap<RequestKey, Vec<RequestRecord>>,
}

impl Journal {
    /// An empty journal (a fresh collection).
    pub fn empty() -> Journal {
        Journal {
            locker: None,
            entries: BTreeMap::new(),
        }
    }

    /// The records of `source` already in the locker at `root`.
    pub fn from_records(
        root: &Path,
        source: &str,
        records: &[RequestRecord],
    ) -> Result<Journal, LockerError> {
        let mut entries: BTreeMap<RequestKey, Vec<RequestRecord>> = BTreeMap::new();
        for r in records.iter().filter(|r| r.source == source) {
            let key = RequestKey {
                method: r.method.clone(),
                url: r.url.clone(),
                body_sha256: r.request_sha256.clone(),
            };
            entries.entry(key).or_default().push(r.clone());
        }
        let locker = if entries.is_empty() {
            None
        } else {
            Some(Locker::open(root)?)
        };
        Ok(Journal { locker, entries })
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The final answer logged for `key` — the latest record that needs no retry — with
    /// its body. A record whose body is missing or damaged is not an answer (the request
    /// is simply made again).
    pub fn answer(&self, key: &RequestKey, resource: Resource) -> Option<Stored> {
        let locker = self.locker.as_ref()?;
        let records = self.entries.get(key)?;
        for record in records.iter().rev() {
            let body = match locker.raw(&record.response_sha256) {
                Ok(body) => body,
                Err(e) => {
                    tracing::warn!(seq = record.seq, error = %e, "logged response unusable; asking again");
                    continue;
                }
            };
            let status = if record.status == 304 {
                200
            } else {
                record.status
            };
            if classify(resource, status, &record.headers, &body, record.time) == Disposition::Done
            {
                return Some(Stored {
                    seq: record.seq,
                    status: record.status,
                    headers: record.headers.clone(),
                    body,
                });
            }
        }
        None
    }
}

/// ETags of a previous locker's responses, by URL, and its GraphQL answers by request.
#[derive(Debug)]
pub struct EtagCache {
    locker: Option<Locker>,
    entries: BTreeMap<String, Cached>,
    answers: BTreeMap<RequestKey, RequestRecord>,
    /// The previous collection's snapshot time.
    collection: Option<crate::model::Timestamp>,
}

/// A previous collection's answer that may be reused, with where it comes from.
#[derive(Debug, Clone)]
pub struct Reusable {
    pub status: u16,
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
    /// The collection that asked for it (its snapshot time), its record there and when
    /// it was requested — the first collection's, if that one reused it too.
    pub collection: crate::model::Timestamp,
    pub seq: u64,
    pub requested_at: crate::model::Timestamp,
}

#[derive(Debug, Clone)]
struct Cached {
    etag: String,
    sha256: String,
    link: Option<String>,
}

/// A cached response to revalidate: the ETag to send, and the body and `link` header it
/// stands for (a 304 need not repeat the `Link` header, yet pagination needs it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revalidate {
    pub etag: String,
    pub body: Vec<u8>,
    pub link: Option<String>,
}

impl EtagCache {
    pub fn empty() -> EtagCache {
        EtagCache {
            locker: None,
            entries: BTreeMap::new(),
            answers: BTreeMap::new(),
            collection: None,
        }
    }

    /// The GET responses of `source` in the locker at `root` that carry an ETag, and its
    /// GraphQL answers.
    pub fn from_locker(root: &Path, source: &str) -> Result<EtagCache, LockerError> {
        let locker = Locker::open(root)?;
        let collection = locker.meta()?.snapshot_time;
        let mut entries = BTreeMap::new();
        let mut answers = BTreeMap::new();
        for r in locker.requests()? {
            if r.source != source {
                continue;
            }
            if r.method == "POST" && r.status == 200 {
                let key = RequestKey {
                    method: r.method.clone(),
                    url: r.url.clone(),
                    body_sha256: r.request_sha256.clone(),
                };
                // The latest answer to a request is the one that counted.
                answers.insert(key, r);
                continue;
            }
            if r.method != "GET" || !matches!(r.status, 200 | 304) {
                continue;
            }
            if let Some(etag) = r.headers.get("etag") {
                let cached = Cached {
                    etag: etag.clone(),
                    sha256: r.response_sha256.clone(),
                    link: r.headers.get("link").cloned(),
                };
                entries.insert(r.url.clone(), cached);
            }
        }
        Ok(EtagCache {
            locker: Some(locker),
            entries,
            answers,
            collection: Some(collection),
        })
    }

    /// The previous collection's final answer to `key`, if it had one (a GraphQL answer
    /// that asks for no retry or wait), with its body verified against its hash.
    pub fn reusable(&self, key: &RequestKey, resource: Resource) -> Option<Reusable> {
        let locker = self.locker.as_ref()?;
        let record = self.answers.get(key)?;
        let body = match locker.raw(&record.response_sha256) {
            Ok(body) => body,
            Err(e) => {
                tracing::warn!(seq = record.seq, error = %e, "cached answer unusable; asking again");
                return None;
            }
        };
        if classify(resource, record.status, &record.headers, &body, record.time)
            != Disposition::Done
        {
            return None;
        }
        let (collection, seq, requested_at) = match &record.reused {
            Some(r) => (r.collection, r.seq, r.requested_at),
            None => (self.collection?, record.seq, record.time),
        };
        Some(Reusable {
            status: record.status,
            headers: record.headers.clone(),
            body,
            collection,
            seq,
            requested_at,
        })
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The ETag to send for `url` and what it stands for (body verified against its hash).
    pub fn lookup(&self, url: &str) -> Option<Revalidate> {
        let locker = self.locker.as_ref()?;
        let cached = self.entries.get(url)?;
        match locker.raw(&cached.sha256) {
            Ok(body) => Some(Revalidate {
                etag: cached.etag.clone(),
                body,
                link: cached.link.clone(),
            }),
            Err(e) => {
                tracing::warn!(url, error = %e, "cached response unusable; fetching in full");
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::locker::{LOCKER_SCHEMA, LockerMeta, LockerWriter, Window};

    fn t0() -> crate::model::Timestamp {
        "2026-10-05T09:00:00Z".parse().unwrap()
    }

    fn writer(dir: &Path) -> LockerWriter {
        let w = LockerWriter::create(dir).unwrap();
        w.write_meta(&LockerMeta {
            schema: LOCKER_SCHEMA.into(),
            tool_version: "test".into(),
            snapshot_time: t0(),
            window: Window {
                start: t0(),
                end: t0(),
            },
            sources: vec![],
            complete: false,
            missing: vec![],
        })
        .unwrap();
        w
    }

    fn key(url: &str) -> RequestKey {
        RequestKey {
            method: "GET".into(),
            url: url.into(),
            body_sha256: None,
        }
    }

    #[test]
    fn journal_answers_final_records_only() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = writer(dir.path());
        let rec = |w: &mut LockerWriter, url: &str, status: u16, body: &[u8]| {
            w.record("s", "GET", url, None, status, t0(), body, &[])
                .unwrap()
        };
        let a = rec(&mut w, "https://x/a", 502, b"bad gateway");
        let b = rec(&mut w, "https://x/a", 200, b"[1]");
        let c = rec(&mut w, "https://x/b", 503, b"");
        let d = rec(
            &mut w,
            "https://x/c",
            403,
            br#"{"message":"Must have admin rights"}"#,
        );
        let e = rec(&mut w, "https://x/d", 200, b"[1,"); // truncated
        let journal = Journal::from_records(dir.path(), "s", &[a, b, c, d, e]).unwrap();
        assert_eq!(
            journal
                .answer(&key("https://x/a"), Resource::Core)
                .unwrap()
                .body,
            b"[1]"
        );
        assert!(
            journal
                .answer(&key("https://x/b"), Resource::Core)
                .is_none()
        );
        assert_eq!(
            journal
                .answer(&key("https://x/c"), Resource::Core)
                .unwrap()
                .status,
            403
        );
        assert!(
            journal
                .answer(&key("https://x/d"), Resource::Core)
                .is_none()
        );
        assert!(
            journal
                .answer(&key("https://x/e"), Resource::Core)
                .is_none()
        );
        let other_source = Journal::from_records(dir.path(), "t", &[]).unwrap();
        assert!(other_source.is_empty());
    }

    #[test]
    fn etag_cache_reads_a_previous_locker() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = writer(dir.path());
        w.record(
            "s",
            "GET",
            "https://x/a",
            None,
            200,
            t0(),
            b"[1]",
            &[
                ("etag", "W/\"1\""),
                ("link", "<https://x/a?page=2>; rel=\"next\""),
            ],
        )
        .unwrap();
        w.record("s", "GET", "https://x/b", None, 200, t0(), b"[2]", &[])
            .unwrap();
        w.record(
            "s",
            "GET",
            "https://x/c",
            None,
            404,
            t0(),
            b"{}",
            &[("etag", "W/\"3\"")],
        )
        .unwrap();
        let cache = EtagCache::from_locker(dir.path(), "s").unwrap();
        assert_eq!(cache.len(), 1);
        assert_eq!(
            cache.lookup("https://x/a"),
            Some(Revalidate {
                etag: "W/\"1\"".to_string(),
                body: b"[1]".to_vec(),
                link: Some("<https://x/a?page=2>; rel=\"next\"".to_string()),
            })
        );
        assert!(cache.lookup("https://x/b").is_none());
    }
}
