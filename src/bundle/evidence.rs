//! The evidence and config parts of the bundle: the locker's request log and raw bodies
//! exactly as stored, the normalized evidence, the effective config, the control catalog
//! and the locker meta, so an auditor can re-perform every test from the bundle alone.

use std::collections::BTreeSet;

use crate::catalog::{CATALOG_FILES, ControlEntry};
use crate::locker::REQUESTS_FILE;

use super::{BundleError, BundleFiles, BundleInput};

pub(super) const REQUESTS_PATH: &str = "evidence/requests.ndjson";
pub(super) const RAW_DIR: &str = "evidence/raw";

/// The copied evidence, with the counts the manifest reports.
pub(super) struct CopiedEvidence {
    pub files: BundleFiles,
    /// Distinct raw bodies (responses and request bodies) under `evidence/raw/`.
    pub raw_files: usize,
    /// Records in the request log.
    pub requests: usize,
}

/// `evidence/requests.ndjson`, `evidence/raw/*` and `evidence/evidence.json`.
pub(super) fn evidence_files(input: &BundleInput<'_>) -> Result<CopiedEvidence, BundleError> {
    let mut files = BundleFiles::new();
    let log_path = input.locker.path(REQUESTS_FILE);
    let log = std::fs::read(&log_path).map_err(|source| BundleError::Io {
        path: log_path,
        source,
    })?;
    // Parsed separately through the locker, which rejects a damaged log by line.
    let records = input.locker.requests()?;
    let hashes: BTreeSet<&str> = records
        .iter()
        .flat_map(|r| {
            r.request_sha256
                .as_deref()
                .into_iter()
                .chain([r.response_sha256.as_str()])
        })
        .collect();
    for hash in &hashes {
        // `raw` verifies the body against its hash: an altered body fails the bundle.
        let body = input.locker.raw(hash)?;
        let extension = if serde_json::from_slice::<serde::de::IgnoredAny>(&body).is_ok() {
            "json"
        } else {
            "bin"
        };
        files.insert(format!("{RAW_DIR}/{hash}.{extension}"), body);
    }
    files.insert(REQUESTS_PATH.into(), log);
    files.insert("evidence/evidence.json".into(), pretty_json(input.evidence));
    Ok(CopiedEvidence {
        files,
        raw_files: hashes.len(),
        requests: records.len(),
    })
}

/// The bundle's copy of the waivers file applied, byte for byte.
pub(super) const WAIVERS_PATH: &str = "config/waivers.toml";

/// `config/changeproof.toml`, `config/controls/<ID>.toml`, `config/locker.json`, and
/// `config/waivers.toml` when waivers were applied.
pub(super) fn config_files(input: &BundleInput<'_>) -> BundleFiles {
    let mut files = BundleFiles::new();
    files.insert(
        "config/changeproof.toml".into(),
        input.config.to_effective_toml().into_bytes(),
    );
    for entry in &input.catalog.controls {
        files.insert(
            format!("config/controls/{}.toml", entry.id),
            catalog_text(entry).into_bytes(),
        );
    }
    files.insert("config/locker.json".into(), pretty_json(input.meta));
    if let Some(waivers) = &input.evaluation.waivers {
        files.insert(WAIVERS_PATH.into(), waivers.text.clone().into_bytes());
    }
    files
}

/// The embedded catalog file, comments and all, when it is the entry evaluated with;
/// otherwise the entry itself as TOML, so the bundle always holds what was used.
fn catalog_text(entry: &ControlEntry) -> String {
    let file_name = format!("{}.toml", entry.id);
    CATALOG_FILES
        .iter()
        .find(|(name, _)| *name == file_name)
        .filter(|(_, text)| toml::from_str::<ControlEntry>(text).is_ok_and(|e| e == *entry))
        .map(|(_, text)| (*text).to_string())
        .unwrap_or_else(|| toml::to_string_pretty(entry).expect("a control entry serializes"))
}

/// Pretty JSON with a trailing newline, the form of every JSON file the tool writes.
pub(super) fn pretty_json<T: serde::Serialize>(value: &T) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(value).expect("bundle JSON serializes");
    bytes.push(b'\n');
    bytes
}
