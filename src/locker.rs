//! The locker: a directory holding every raw API response exactly as received, the
//! request log, and the normalized evidence derived from them.
//!
//! ```text
//! LOCKER/
//!   locker.json        LockerMeta: snapshot time, window, sources, completeness
//!   config.toml        the effective config the collection ran with (no secrets)
//!   requests.ndjson    one RequestRecord per line, in request order
//!   raw/ab/ab12…       raw bodies, content-addressed by SHA-256 (responses and
//!                      GraphQL request bodies)
//!   evidence.json      normalized records (derived: `replay` rewrites it)
//! ```
//!
//! Every file is written to a temporary name, fsynced and renamed, so a crash never leaves
//! a half-written file under its final name. Reading verifies every raw body's hash, so a
//! truncated or altered file is named in an error, never silently used.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::model::{Evidence, Timestamp};

mod evidence_reader;
use crate::util::sha256_hex;

pub const LOCKER_SCHEMA: &str = "changeproof.locker/v1";
pub const META_FILE: &str = "locker.json";
pub const CONFIG_FILE: &str = "config.toml";
pub const REQUESTS_FILE: &str = "requests.ndjson";
pub const EVIDENCE_FILE: &str = "evidence.json";
pub const RAW_DIR: &str = "raw";

#[derive(Debug, thiserror::Error)]
pub enum LockerError {
    #[error("{path}: missing; {hint}")]
    Missing { path: PathBuf, hint: &'static str },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{path}:{line}:{column}: not a valid {what}: {message}; the file is truncated or damaged — re-run the collection or restore the locker from a copy"
    )]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        what: &'static str,
        message: String,
    },
    #[error(
        "{path}: content does not match its SHA-256 (expected {expected}, found {actual}); the raw response was truncated or altered — re-run the collection or restore the locker"
    )]
    HashMismatch {
        path: PathBuf,
        expected: String,
        actual: String,
    },
    #[error("{path}: schema {found:?} is not supported (expected {expected:?})")]
    Schema {
        path: PathBuf,
        found: String,
        expected: &'static str,
    },
    #[error("{path}: `{hash}` is not a SHA-256 hex digest")]
    BadHash { path: PathBuf, hash: String },
}

pub type Result<T, E = LockerError> = std::result::Result<T, E>;

/// `locker.json`: what was collected, when, and whether it is complete.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockerMeta {
    pub schema: String,
    /// Version of the tool that collected.
    pub tool_version: String,
    pub snapshot_time: Timestamp,
    pub window: Window,
    pub sources: Vec<SourceMeta>,
    /// False when the collection could not obtain everything; `missing` says what.
    pub complete: bool,
    pub missing: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    pub start: Timestamp,
    pub end: Timestamp,
}

impl Window {
    /// `[start, end)`.
    pub fn contains(&self, t: Timestamp) -> bool {
        self.start <= t && t < self.end
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceMeta {
    pub name: String,
    /// `github`, `gitlab` or `file`.
    pub kind: String,
    pub api_url: String,
    /// The organisation (GitLab: group) collected.
    pub org: String,
}

/// One line of `requests.ndjson`: the IPE trail of a single API call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestRecord {
    pub seq: u64,
    pub source: String,
    pub method: String,
    /// Full URL without credentials.
    pub url: String,
    /// SHA-256 of the request body (GraphQL: the query and variables), stored under raw/.
    pub request_sha256: Option<String>,
    pub status: u16,
    pub time: Timestamp,
    /// SHA-256 of the response body, stored under raw/.
    pub response_sha256: String,
    pub response_bytes: u64,
    /// Selected response headers, lower-case names: `etag`, `link`, `x-ratelimit-*`,
    /// `retry-after`, `x-github-request-id` (never anything that carries a credential).
    /// `x-changeproof-error` is the collector's own: why a request got no complete
    /// response (status 0) or why a complete one was unusable.
    ///
    /// Status conventions beyond HTTP's: `0` means no complete response arrived
    /// (connection error, timeout, body shorter than its Content-Length) and the body is
    /// whatever bytes did arrive; `304` means GitHub confirmed the cached response named
    /// by the request's `If-None-Match` ETag, and the record's `response_sha256` is that
    /// cached body (stored in this locker), so the record is as usable as a `200`; its
    /// `link` is the cached response's when the 304 did not repeat it.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Set when this answer was not asked again but reused from an earlier collection,
    /// because a conditional probe in this collection showed the evidence unchanged
    /// (docs/github.md, "Warm re-runs"). The record's `time` is when it was reused; the
    /// response is the earlier one, byte for byte.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reused: Option<Reused>,
}

/// Where a reused answer comes from, and what allowed its reuse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reused {
    /// The snapshot time of the collection that asked for it (its `locker.json`).
    pub collection: Timestamp,
    /// The answer's record in that collection's request log, and when it was requested.
    pub seq: u64,
    pub requested_at: Timestamp,
    /// The conditional request in this request log whose `304` showed the evidence
    /// unchanged since then: its `seq` and its call (`GET https://…`).
    pub probe_seq: u64,
    pub probe: String,
}

/// A locker directory, opened for reading.
#[derive(Debug, Clone)]
pub struct Locker {
    root: PathBuf,
}

impl Locker {
    /// Opens an existing locker; fails with the path named if it is not one.
    pub fn open(root: impl Into<PathBuf>) -> Result<Locker> {
        let root = root.into();
        if !root.is_dir() {
            return Err(LockerError::Missing {
                path: root,
                hint: "expected a locker directory written by `changeproof collect` or `changeproof demo`",
            });
        }
        let locker = Locker { root };
        let meta = locker.path(META_FILE);
        if !meta.is_file() {
            return Err(LockerError::Missing {
                path: meta,
                hint: "not a locker (no locker.json); point --locker at the directory `collect` wrote",
            });
        }
        Ok(locker)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    /// Path of a raw body by its hash.
    pub fn raw_path(&self, sha256: &str) -> Result<PathBuf> {
        raw_path(&self.root, sha256)
    }

    pub fn meta(&self) -> Result<LockerMeta> {
        let path = self.path(META_FILE);
        let meta: LockerMeta = read_json(&path, "locker.json")?;
        if meta.schema != LOCKER_SCHEMA {
            return Err(LockerError::Schema {
                path,
                found: meta.schema,
                expected: LOCKER_SCHEMA,
            });
        }
        Ok(meta)
    }

    /// The effective config text stored with the collection, if any.
    pub fn config_text(&self) -> Result<Option<String>> {
        let path = self.path(CONFIG_FILE);
        if !path.exists() {
            return Ok(None);
        }
        fs::read_to_string(&path)
            .map(Some)
            .map_err(|source| LockerError::Io { path, source })
    }

    /// Every request record, in order. A malformed line is an error naming its line.
    pub fn requests(&self) -> Result<Vec<RequestRecord>> {
        let path = self.path(REQUESTS_FILE);
        let text = read_text(&path, "the request log is written by every collection")?;
        let records = parse_request_lines(&path, &text)?;
        if !text.is_empty() && !text.ends_with('\n') {
            // A crash mid-append leaves a last line without its newline; it parsed, but
            // we cannot know it is whole, so the log is treated as damaged.
            let line = text.lines().count();
            return Err(LockerError::Parse {
                path,
                line,
                column: text.lines().last().map_or(0, str::len),
                what: "request log",
                message: "the last line has no newline (interrupted write)".into(),
            });
        }
        Ok(records)
    }

    /// A raw body, verified against its hash.
    pub fn raw(&self, sha256: &str) -> Result<Vec<u8>> {
        let path = self.raw_path(sha256)?;
        let bytes = fs::read(&path).map_err(|source| {
            if source.kind() == std::io::ErrorKind::NotFound {
                LockerError::Missing {
                    path: path.clone(),
                    hint: "a raw response named in requests.ndjson is missing; re-run the collection or restore the locker",
                }
            } else {
                LockerError::Io {
                    path: path.clone(),
                    source,
                }
            }
        })?;
        let actual = sha256_hex(&bytes);
        if actual != sha256 {
            return Err(LockerError::HashMismatch {
                path,
                expected: sha256.to_string(),
                actual,
            });
        }
        Ok(bytes)
    }

    /// A raw body parsed as JSON; a truncated body is an error naming the file.
    pub fn raw_json(&self, sha256: &str) -> Result<serde_json::Value> {
        let bytes = self.raw(sha256)?;
        let path = self.raw_path(sha256)?;
        serde_json::from_slice(&bytes).map_err(|e| LockerError::Parse {
            path,
            line: e.line(),
            column: e.column(),
            what: "JSON response",
            message: e.to_string(),
        })
    }

    /// The normalized evidence, as last written by `replay` or a collection.
    pub fn evidence(&self) -> Result<Evidence> {
        let path = self.path(EVIDENCE_FILE);
        // The streamed, multi-threaded reader; it declines anything unusual, and the plain
        // parse then reads the file and names the line and column of any error.
        let evidence: Evidence = match evidence_reader::read(&path) {
            Some(evidence) => evidence,
            None => crate::model::interning(|| read_json(&path, "evidence.json"))?,
        };
        if evidence.schema != crate::model::EVIDENCE_SCHEMA {
            return Err(LockerError::Schema {
                path,
                found: evidence.schema,
                expected: crate::model::EVIDENCE_SCHEMA,
            });
        }
        Ok(evidence)
    }

    pub fn write_evidence(&self, evidence: &Evidence) -> Result<()> {
        let bytes = crate::model::records_bytes(evidence);
        write_atomic(&self.path(EVIDENCE_FILE), &bytes)
    }
}

/// Writes a new locker (collectors and the example generator).
#[derive(Debug)]
pub struct LockerWriter {
    root: PathBuf,
    requests: fs::File,
    next_seq: u64,
    /// Group commit (see [`LockerWriter::group_commit`]): fsync every this many records.
    group: Option<usize>,
    /// Raw bodies written since the last group commit, not yet fsynced.
    unsynced: std::sync::Mutex<Vec<PathBuf>>,
    unsynced_records: usize,
}

impl LockerWriter {
    /// Creates `root` (which must be absent or empty) and an empty request log.
    pub fn create(root: impl Into<PathBuf>) -> Result<LockerWriter> {
        let root = root.into();
        fs::create_dir_all(root.join(RAW_DIR)).map_err(|source| LockerError::Io {
            path: root.clone(),
            source,
        })?;
        let path = root.join(REQUESTS_FILE);
        let requests = fs::OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .open(&path)
            .map_err(|source| LockerError::Io { path, source })?;
        Ok(LockerWriter {
            root,
            requests,
            next_seq: 1,
            group: None,
            unsynced: std::sync::Mutex::new(Vec::new()),
            unsynced_records: 0,
        })
    }

    /// Reopens the request log of an interrupted collection to append to it, and returns
    /// the records already logged. A last line cut short by a crash (no newline: its
    /// fsync never completed) is dropped from the file, so the request it described is
    /// simply made again; any other malformed line is an error naming its line.
    pub fn reopen(root: impl Into<PathBuf>) -> Result<(LockerWriter, Vec<RequestRecord>)> {
        let root = root.into();
        fs::create_dir_all(root.join(RAW_DIR)).map_err(|source| LockerError::Io {
            path: root.clone(),
            source,
        })?;
        let path = root.join(REQUESTS_FILE);
        let io = |source| LockerError::Io {
            path: path.clone(),
            source,
        };
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(io(e)),
        };
        let whole = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        let requests = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(io)?;
        if whole < bytes.len() {
            requests.set_len(whole as u64).map_err(io)?;
            requests.sync_all().map_err(io)?;
        }
        let text = std::str::from_utf8(&bytes[..whole]).map_err(|e| LockerError::Parse {
            path: path.clone(),
            line: 0,
            column: 0,
            what: "UTF-8 text",
            message: e.to_string(),
        })?;
        let records = parse_request_lines(&path, text)?;
        let next_seq = records.iter().map(|r| r.seq).max().unwrap_or(0) + 1;
        Ok((
            LockerWriter {
                root,
                requests,
                next_seq,
                group: None,
                unsynced: std::sync::Mutex::new(Vec::new()),
                unsynced_records: 0,
            },
            records,
        ))
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Group commit: instead of two fsyncs per record (its raw body, then its log line),
    /// make everything durable every `records` records and on [`LockerWriter::sync`] —
    /// raw bodies first, then the log, so a durable record never names a body that is
    /// not. Files are still written to a temporary name and renamed, so a crash of the
    /// process (even kill -9) loses nothing written; a power loss can lose the records
    /// since the last commit, which a resumed collection simply fetches again.
    pub fn group_commit(&mut self, records: usize) {
        self.group = Some(records.max(1));
    }

    /// Makes every raw body and record written so far durable.
    pub fn sync(&mut self) -> Result<()> {
        let pending = std::mem::take(&mut *self.unsynced.lock().unwrap_or_else(|e| e.into_inner()));
        let mut dirs = std::collections::BTreeSet::new();
        for path in pending {
            let io = |source| LockerError::Io {
                path: path.clone(),
                source,
            };
            fs::File::open(&path)
                .and_then(|f| f.sync_all())
                .map_err(io)?;
            if let Some(dir) = path.parent() {
                dirs.insert(dir.to_path_buf());
            }
        }
        for dir in dirs {
            // The renames into place are durable once their directory is synced.
            if let Ok(d) = fs::File::open(&dir) {
                let _ = d.sync_all();
            }
        }
        let path = self.root.join(REQUESTS_FILE);
        self.requests
            .sync_data()
            .map_err(|source| LockerError::Io { path, source })?;
        self.unsynced_records = 0;
        Ok(())
    }

    /// Stores a raw body and returns its SHA-256 (content addressing deduplicates).
    pub fn put_raw(&self, bytes: &[u8]) -> Result<String> {
        let sha = sha256_hex(bytes);
        let path = raw_path(&self.root, &sha)?;
        if !path.exists() {
            if let Some(dir) = path.parent() {
                fs::create_dir_all(dir).map_err(|source| LockerError::Io {
                    path: dir.to_path_buf(),
                    source,
                })?;
            }
            if self.group.is_some() {
                write_renamed(&path, bytes)?;
                self.unsynced
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(path);
            } else {
                write_atomic(&path, bytes)?;
            }
        }
        Ok(sha)
    }

    /// Stores a request's bodies and appends its record to the request log.
    #[allow(clippy::too_many_arguments)]
    pub fn record(
        &mut self,
        source: &str,
        method: &str,
        url: &str,
        request_body: Option<&[u8]>,
        status: u16,
        time: Timestamp,
        response_body: &[u8],
        headers: &[(&str, &str)],
    ) -> Result<RequestRecord> {
        self.record_reused(
            source,
            method,
            url,
            request_body,
            status,
            time,
            response_body,
            headers,
            None,
        )
    }

    /// [`LockerWriter::record`] of an answer reused from an earlier collection.
    #[allow(clippy::too_many_arguments)]
    pub fn record_reused(
        &mut self,
        source: &str,
        method: &str,
        url: &str,
        request_body: Option<&[u8]>,
        status: u16,
        time: Timestamp,
        response_body: &[u8],
        headers: &[(&str, &str)],
        reused: Option<Reused>,
    ) -> Result<RequestRecord> {
        let request_sha256 = request_body.map(|b| self.put_raw(b)).transpose()?;
        let response_sha256 = self.put_raw(response_body)?;
        let record = RequestRecord {
            seq: self.next_seq,
            source: source.to_string(),
            method: method.to_string(),
            url: url.to_string(),
            request_sha256,
            status,
            time,
            response_sha256,
            response_bytes: response_body.len() as u64,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
                .collect(),
            reused,
        };
        self.next_seq += 1;
        let mut line = serde_json::to_vec(&record).expect("request record serializes");
        line.push(b'\n');
        let path = self.root.join(REQUESTS_FILE);
        match self.group {
            None => self
                .requests
                .write_all(&line)
                .and_then(|()| self.requests.sync_data())
                .map_err(|source| LockerError::Io { path, source })?,
            Some(every) => {
                self.requests
                    .write_all(&line)
                    .map_err(|source| LockerError::Io { path, source })?;
                self.unsynced_records += 1;
                if self.unsynced_records >= every {
                    self.sync()?;
                }
            }
        }
        Ok(record)
    }

    pub fn write_meta(&self, meta: &LockerMeta) -> Result<()> {
        let mut bytes = serde_json::to_vec_pretty(meta).expect("locker meta serializes");
        bytes.push(b'\n');
        write_atomic(&self.root.join(META_FILE), &bytes)
    }

    pub fn write_config(&self, config_text: &str) -> Result<()> {
        write_atomic(&self.root.join(CONFIG_FILE), config_text.as_bytes())
    }

    /// Finishes writing (making everything durable) and opens the locker for reading.
    pub fn finish(mut self) -> Result<Locker> {
        if self.group.is_some() {
            self.sync()?;
        }
        Locker::open(self.root)
    }
}

/// Parses the lines of a request log; a malformed line is an error naming its line.
fn parse_request_lines(path: &Path, text: &str) -> Result<Vec<RequestRecord>> {
    let mut records = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let record: RequestRecord = serde_json::from_str(line).map_err(|e| LockerError::Parse {
            path: path.to_path_buf(),
            line: index + 1,
            column: e.column(),
            what: "request record",
            message: e.to_string(),
        })?;
        records.push(record);
    }
    Ok(records)
}

fn raw_path(root: &Path, sha256: &str) -> Result<PathBuf> {
    let valid = sha256.len() == 64
        && sha256
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !valid {
        return Err(LockerError::BadHash {
            path: root.join(REQUESTS_FILE),
            hash: sha256.to_string(),
        });
    }
    Ok(root.join(RAW_DIR).join(&sha256[..2]).join(sha256))
}

fn read_text(path: &Path, hint: &'static str) -> Result<String> {
    match fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes).map_err(|e| LockerError::Parse {
            path: path.to_path_buf(),
            line: 0,
            column: 0,
            what: "UTF-8 text",
            message: e.to_string(),
        }),
        Err(source) if source.kind() == std::io::ErrorKind::NotFound => Err(LockerError::Missing {
            path: path.to_path_buf(),
            hint,
        }),
        Err(source) => Err(LockerError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path, what: &'static str) -> Result<T> {
    let hint = match what {
        "evidence.json" => {
            "run `changeproof replay --locker DIR` to derive it from the raw responses"
        }
        _ => "the locker is incomplete; re-run the collection or restore it from a copy",
    };
    let text = read_text(path, hint)?;
    serde_json::from_str(&text).map_err(|e| LockerError::Parse {
        path: path.to_path_buf(),
        line: e.line(),
        column: e.column(),
        what,
        message: e.to_string(),
    })
}

/// Writes `bytes` to a temporary file beside `path` and renames it into place, without
/// fsync (group commit syncs later).
fn write_renamed(path: &Path, bytes: &[u8]) -> Result<()> {
    let io = |source| LockerError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{file_name}.tmp"));
    fs::write(&tmp, bytes).map_err(io)?;
    fs::rename(&tmp, path).map_err(io)?;
    Ok(())
}

/// Writes `bytes` to a temporary file beside `path`, fsyncs it and renames it into place.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let io = |source| LockerError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{file_name}.tmp"));
    let mut file = fs::File::create(&tmp).map_err(io)?;
    file.write_all(bytes).map_err(io)?;
    file.sync_all().map_err(io)?;
    drop(file);
    fs::rename(&tmp, path).map_err(io)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t0() -> Timestamp {
        chrono::Utc.with_ymd_and_hms(2026, 10, 5, 9, 0, 0).unwrap()
    }

    fn meta() -> LockerMeta {
        LockerMeta {
            schema: LOCKER_SCHEMA.into(),
            tool_version: "test".into(),
            snapshot_time: t0(),
            window: Window {
                start: chrono::Utc.with_ymd_and_hms(2026, 7, 1, 0, 0, 0).unwrap(),
                end: chrono::Utc.with_ymd_and_hms(2026, 10, 1, 0, 0, 0).unwrap(),
            },
            sources: vec![],
            complete: true,
            missing: vec![],
        }
    }

    fn sample_locker(dir: &Path) -> (Locker, RequestRecord) {
        let mut w = LockerWriter::create(dir).unwrap();
        w.write_meta(&meta()).unwrap();
        let rec = w
            .record(
                "github-acme",
                "GET",
                "https://api.github.com/orgs/acme/repos?type=all&per_page=100",
                None,
                200,
                t0(),
                br#"[{"full_name":"acme/api"}]"#,
                &[("ETag", "W/\"abc\"")],
            )
            .unwrap();
        (w.finish().unwrap(), rec)
    }

    #[test]
    fn round_trip_keeps_bodies_and_the_request_log() {
        let dir = tempfile::tempdir().unwrap();
        let (locker, rec) = sample_locker(dir.path());
        assert_eq!(locker.meta().unwrap(), meta());
        let records = locker.requests().unwrap();
        assert_eq!(records, vec![rec.clone()]);
        assert_eq!(records[0].headers["etag"], "W/\"abc\"");
        let body = locker.raw(&rec.response_sha256).unwrap();
        assert_eq!(body, br#"[{"full_name":"acme/api"}]"#);
        assert_eq!(
            locker.raw_json(&rec.response_sha256).unwrap()[0]["full_name"],
            "acme/api"
        );
    }

    #[test]
    fn truncated_raw_body_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let (locker, rec) = sample_locker(dir.path());
        let path = locker.raw_path(&rec.response_sha256).unwrap();
        fs::write(&path, br#"[{"full_name":"#).unwrap();
        let err = locker.raw(&rec.response_sha256).unwrap_err().to_string();
        assert!(err.contains(&path.display().to_string()), "{err}");
        assert!(err.contains("truncated or altered"), "{err}");
    }

    #[test]
    fn missing_raw_body_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let (locker, rec) = sample_locker(dir.path());
        let path = locker.raw_path(&rec.response_sha256).unwrap();
        fs::remove_file(&path).unwrap();
        let err = locker.raw(&rec.response_sha256).unwrap_err().to_string();
        assert!(err.contains(&path.display().to_string()), "{err}");
        assert!(err.contains("missing"), "{err}");
    }

    #[test]
    fn interrupted_request_log_names_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let (locker, _) = sample_locker(dir.path());
        let path = locker.path(REQUESTS_FILE);
        let text = fs::read_to_string(&path).unwrap();
        fs::write(&path, format!("{text}{}", &text[..text.len() / 2])).unwrap();
        let err = locker.requests().unwrap_err().to_string();
        assert!(err.contains("requests.ndjson:2:"), "{err}");
    }

    #[test]
    fn request_log_without_final_newline_is_damaged() {
        let dir = tempfile::tempdir().unwrap();
        let (locker, _) = sample_locker(dir.path());
        let path = locker.path(REQUESTS_FILE);
        let text = fs::read_to_string(&path).unwrap();
        fs::write(&path, text.trim_end()).unwrap();
        let err = locker.requests().unwrap_err().to_string();
        assert!(err.contains("interrupted write"), "{err}");
    }

    #[test]
    fn hash_that_is_not_hex_is_rejected_before_touching_the_disk() {
        let dir = tempfile::tempdir().unwrap();
        let (locker, _) = sample_locker(dir.path());
        let err = locker.raw("../../etc/passwd").unwrap_err().to_string();
        assert!(err.contains("not a SHA-256"), "{err}");
    }

    #[test]
    fn missing_meta_means_not_a_locker() {
        let dir = tempfile::tempdir().unwrap();
        let err = Locker::open(dir.path()).unwrap_err().to_string();
        assert!(err.contains("locker.json"), "{err}");
        let err = Locker::open(dir.path().join("nope"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("nope"), "{err}");
    }

    #[test]
    fn reopen_appends_after_the_last_whole_record_and_drops_a_cut_line() {
        let dir = tempfile::tempdir().unwrap();
        let (_, first) = sample_locker(dir.path());
        let path = dir.path().join(REQUESTS_FILE);
        let text = fs::read_to_string(&path).unwrap();
        // A crash in the middle of appending the second record.
        fs::write(&path, format!("{text}{}", &text[..20])).unwrap();
        let (mut w, records) = LockerWriter::reopen(dir.path()).unwrap();
        assert_eq!(records, vec![first.clone()]);
        let second = w
            .record(
                "github-acme",
                "GET",
                "https://x/2",
                None,
                200,
                t0(),
                b"[]",
                &[],
            )
            .unwrap();
        assert_eq!(second.seq, first.seq + 1);
        let locker = w.finish().unwrap();
        assert_eq!(locker.requests().unwrap(), vec![first, second]);
    }

    #[test]
    fn group_commit_keeps_every_record_and_body() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = LockerWriter::create(dir.path()).unwrap();
        w.write_meta(&meta()).unwrap();
        w.group_commit(2);
        let mut written = Vec::new();
        for i in 0..5u8 {
            let body = vec![b'0' + i; 3];
            written.push(
                w.record("s", "GET", "https://x/", None, 200, t0(), &body, &[])
                    .unwrap(),
            );
        }
        let locker = w.finish().unwrap();
        assert_eq!(locker.requests().unwrap(), written);
        for r in &written {
            locker.raw(&r.response_sha256).unwrap();
        }
    }

    #[test]
    fn reopen_names_a_damaged_line() {
        let dir = tempfile::tempdir().unwrap();
        sample_locker(dir.path());
        let path = dir.path().join(REQUESTS_FILE);
        let text = fs::read_to_string(&path).unwrap();
        fs::write(&path, format!("{{oops\n{text}")).unwrap();
        let err = LockerWriter::reopen(dir.path()).unwrap_err().to_string();
        assert!(err.contains("requests.ndjson:1:"), "{err}");
    }

    #[test]
    fn missing_evidence_says_how_to_derive_it() {
        let dir = tempfile::tempdir().unwrap();
        let (locker, _) = sample_locker(dir.path());
        let err = locker.evidence().unwrap_err().to_string();
        assert!(err.contains("evidence.json"), "{err}");
        assert!(err.contains("changeproof replay"), "{err}");
    }
}
