//! The evidence and config parts of the bundle: the locker's request log and raw bodies
//! exactly as stored, the normalized evidence, the effective config, the control catalog
//! and the locker meta, so an auditor can re-perform every test from the bundle alone.
//!
//! Raw bodies are copied one at a time, each verified against its hash on the way; the
//! normalized evidence is serialized straight into the bundle, never held as bytes.

use std::collections::BTreeSet;

use crate::catalog::{CATALOG_FILES, ControlEntry};
use crate::locker::REQUESTS_FILE;

use super::writer::{Emitter, io_at};
use super::{BundleError, BundleFiles, BundleInput};

pub(super) const REQUESTS_PATH: &str = "evidence/requests.ndjson";
pub(super) const RAW_DIR: &str = "evidence/raw";

/// The evidence to copy, read from the locker's request log.
pub(super) struct EvidencePlan {
    /// Distinct raw bodies (responses and request bodies), sorted.
    hashes: BTreeSet<String>,
    /// Records in the request log.
    pub requests: usize,
}

impl EvidencePlan {
    pub(super) fn read(input: &BundleInput<'_>) -> Result<EvidencePlan, BundleError> {
        // Parsed through the locker, which rejects a damaged log by line.
        let records = input.locker.requests()?;
        let hashes = records
            .iter()
            .flat_map(|r| {
                r.request_sha256
                    .iter()
                    .cloned()
                    .chain([r.response_sha256.clone()])
            })
            .collect();
        Ok(EvidencePlan {
            hashes,
            requests: records.len(),
        })
    }

    /// Distinct raw bodies under `evidence/raw/`.
    pub(super) fn raw_files(&self) -> usize {
        self.hashes.len()
    }
}

/// `evidence/evidence.json`, `evidence/raw/*` and `evidence/requests.ndjson`, in path order.
pub(super) fn write_evidence(
    input: &BundleInput<'_>,
    plan: &EvidencePlan,
    out: &mut Emitter<'_>,
) -> Result<(), BundleError> {
    out.stream("evidence/evidence.json", |w| {
        crate::model::write_records(&mut *w, input.evidence)
    })?;
    for hash in &plan.hashes {
        // `raw` verifies the body against its hash: an altered body fails the bundle.
        let body = input.locker.raw(hash)?;
        let extension = if serde_json::from_slice::<serde::de::IgnoredAny>(&body).is_ok() {
            "json"
        } else {
            "bin"
        };
        out.file(&format!("{RAW_DIR}/{hash}.{extension}"), &body)?;
    }
    let log_path = input.locker.path(REQUESTS_FILE);
    let mut log = std::fs::File::open(&log_path).map_err(io_at(&log_path))?;
    out.stream(REQUESTS_PATH, |w| std::io::copy(&mut log, w).map(|_| ()))
}

/// The bundle's copy of the waivers file applied, byte for byte.
pub(super) const WAIVERS_PATH: &str = "config/waivers.toml";

/// `config/changeproof.toml`, `config/controls/<ID>.toml`, `config/locker.json`, the
/// evaluation's input files (`config/hr_roster.csv`, `config/previous-access.json`), and
/// `config/waivers.toml` when waivers were applied.
pub(super) fn config_files(input: &BundleInput<'_>) -> BundleFiles {
    let mut files = BundleFiles::new();
    // The config names the bundled copies of the roster and previous snapshot, so the
    // bundle re-performs on its own.
    let inputs = &input.evaluation.inputs;
    files.insert(
        "config/changeproof.toml".into(),
        crate::inputs::bundled_config(input.config, inputs)
            .to_effective_toml()
            .into_bytes(),
    );
    for file in inputs {
        files.insert(
            format!("config/{}", file.name),
            file.content.clone().into_bytes(),
        );
    }
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
