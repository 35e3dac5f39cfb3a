//! Normalization of lockers built in a temporary directory: REST responses from GitHub's
//! official examples, hand-written GraphQL responses shaped by the queries, bad input.

mod errors;
mod graphql;
mod rest;

use std::path::PathBuf;

use changeproof::github;
use changeproof::locker::{LOCKER_SCHEMA, Locker, LockerMeta, LockerWriter, SourceMeta, Window};
use changeproof::model::Evidence;
use changeproof::normalize::{NormalizeError, normalize};
use serde_json::{Value, json};

pub const SOURCE: &str = "github-acme";
pub const SNAPSHOT: &str = "2026-10-05T09:00:00Z";

/// A locker under construction: one source, requests recorded in order.
pub struct TestLocker {
    dir: tempfile::TempDir,
    writer: LockerWriter,
    pub api_url: String,
}

impl TestLocker {
    pub fn new() -> TestLocker {
        TestLocker::with_api_url("https://api.github.com")
    }

    pub fn with_api_url(api_url: &str) -> TestLocker {
        let dir = tempfile::tempdir().expect("temp dir");
        let writer = LockerWriter::create(dir.path().join("locker")).expect("locker");
        let meta = LockerMeta {
            schema: LOCKER_SCHEMA.into(),
            tool_version: "test".into(),
            snapshot_time: SNAPSHOT.parse().unwrap(),
            window: Window {
                start: "2026-07-01T00:00:00Z".parse().unwrap(),
                end: "2026-10-01T00:00:00Z".parse().unwrap(),
            },
            sources: vec![SourceMeta {
                name: SOURCE.into(),
                kind: "github".into(),
                api_url: api_url.into(),
                org: "acme".into(),
            }],
            complete: true,
            missing: vec![],
        };
        writer.write_meta(&meta).expect("meta");
        TestLocker {
            dir,
            writer,
            api_url: api_url.into(),
        }
    }

    /// Records `GET {api_url}{path}` answered with `status` and `body`; returns the
    /// response hash.
    pub fn get(&mut self, path: &str, status: u16, body: &[u8]) -> String {
        let url = format!("{}{path}", self.api_url);
        self.record("GET", &url, None, status, body)
    }

    pub fn get_json(&mut self, path: &str, body: &Value) -> String {
        self.get(path, 200, body.to_string().as_bytes())
    }

    /// Records `POST {api_url}/graphql` sending `operation` with `variables`.
    pub fn graphql(
        &mut self,
        operation: &str,
        variables: Value,
        status: u16,
        body: &[u8],
    ) -> String {
        let query = github::QUERIES
            .iter()
            .find(|(name, _)| *name == operation)
            .map(|(_, q)| *q)
            .expect("known operation");
        let request = json!({"operationName": operation, "query": query, "variables": variables});
        let url = format!("{}/graphql", self.api_url);
        self.record(
            "POST",
            &url,
            Some(request.to_string().as_bytes()),
            status,
            body,
        )
    }

    pub fn record(
        &mut self,
        method: &str,
        url: &str,
        request: Option<&[u8]>,
        status: u16,
        body: &[u8],
    ) -> String {
        self.writer
            .record(
                SOURCE,
                method,
                url,
                request,
                status,
                SNAPSHOT.parse().unwrap(),
                body,
                &[],
            )
            .expect("record")
            .response_sha256
    }

    pub fn root(&self) -> PathBuf {
        self.writer.root().to_path_buf()
    }

    /// Normalizes the locker (the temporary directory lives until this returns).
    pub fn normalize(self) -> Result<Evidence, NormalizeError> {
        let TestLocker { dir, writer, .. } = self;
        let locker: Locker = writer.finish().expect("open locker");
        let result = normalize(&locker);
        drop(dir);
        result
    }
}

/// An official example body from `tests/data/github/rest-examples/`.
pub fn example(name: &str) -> Value {
    let path = crate::support::data(&format!("github/rest-examples/{name}"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A hand-written GraphQL response from `tests/data/github/graphql/`.
pub fn graphql_fixture(name: &str) -> Vec<u8> {
    let path = crate::support::data(&format!("github/graphql/{name}"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `sha256:<hash>#<pointer>`.
pub fn evidence(sha: &str, pointer: &str) -> String {
    format!("sha256:{sha}#{pointer}")
}
