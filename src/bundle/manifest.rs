//! `manifest.json`: every other file of the bundle with its size and SHA-256, plus the
//! tool version, window, scope, seed, completeness and counts, so anyone can check the
//! bundle with `sha256sum` and a JSON reader.

use serde::Serialize;

use crate::util::sha256_hex;

use super::evidence::pretty_json;
use super::{BundleInput, format_time, repository_names};

pub const MANIFEST_SCHEMA: &str = "changeproof.manifest/v1";

/// Record counts, shared by the manifest and the report.
#[derive(Debug, Clone, Serialize)]
pub(super) struct Counts {
    pub changes: usize,
    pub commits: usize,
    pub exceptions: usize,
    pub open_exceptions: usize,
    pub raw_responses: usize,
    pub requests: usize,
}

impl Counts {
    pub(super) fn new(input: &BundleInput<'_>, raw_responses: usize, requests: usize) -> Counts {
        let findings = &input.evaluation.findings;
        Counts {
            changes: input.evaluation.changes.len(),
            commits: input.evaluation.commits.len(),
            exceptions: findings.exceptions.len(),
            open_exceptions: findings.open_exceptions(),
            raw_responses,
            requests,
        }
    }
}

/// Completeness as every output states it: incomplete if the locker or the findings say
/// so, or if the collection's window does not cover the audit window (the populations
/// would then silently lack records), with everything named that is missing.
pub(super) fn completeness(input: &BundleInput<'_>) -> (bool, Vec<String>) {
    let findings = &input.evaluation.findings;
    let audit = input.config.audit.window.window();
    let collected = input.meta.window;
    let covered = collected.start <= audit.start && audit.end <= collected.end;
    let mut missing = input.meta.missing.clone();
    for item in &findings.missing {
        if !missing.contains(item) {
            missing.push(item.clone());
        }
    }
    if !covered {
        missing.push(format!(
            "records outside the collected window: the locker was collected for [{}, {}), the audit window is [{}, {})",
            format_time(collected.start),
            format_time(collected.end),
            format_time(audit.start),
            format_time(audit.end)
        ));
    }
    (input.meta.complete && findings.complete && covered, missing)
}

#[derive(Serialize)]
struct Manifest<'a> {
    schema: &'static str,
    tool_version: &'a str,
    generated_at: String,
    audit: Audit<'a>,
    scope: Scope<'a>,
    seed: Option<&'a str>,
    /// The sampling method, seed, and per control the population hash and selections.
    sampling: serde_json::Value,
    /// Whether merged changes, production commits and deployments reconcile.
    reconciliation: serde_json::Value,
    complete: bool,
    missing: Vec<String>,
    counts: &'a Counts,
    /// `null`: UNSIGNED.
    signature: Option<super::signature::SignatureInfo>,
    files: Vec<FileEntry<'a>>,
}

#[derive(Serialize)]
struct Audit<'a> {
    name: &'a str,
    window: Window,
}

#[derive(Serialize)]
struct Window {
    start: String,
    end: String,
}

#[derive(Serialize)]
struct Scope<'a> {
    sources: Vec<Source<'a>>,
    production_branches: &'a [String],
    production_environments: &'a [String],
    /// The repositories actually collected.
    repositories: Vec<&'a str>,
}

#[derive(Serialize)]
struct Source<'a> {
    name: &'a str,
    kind: &'static str,
    api_url: String,
    org: Option<&'a str>,
    repos: &'a [String],
    exclude: &'a [String],
}

#[derive(Serialize)]
struct FileEntry<'a> {
    path: &'a str,
    size: u64,
    sha256: &'a str,
}

/// A bundle file's size and SHA-256, taken as it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Digest {
    pub size: u64,
    pub sha256: String,
}

impl Digest {
    pub(super) fn of(bytes: &[u8]) -> Digest {
        Digest {
            size: bytes.len() as u64,
            sha256: sha256_hex(bytes),
        }
    }
}

/// Every file written so far, by bundle path.
pub(super) type Digests = std::collections::BTreeMap<String, Digest>;

/// The manifest's bytes over `files` (which must not contain the manifest itself).
pub(super) fn manifest_json(
    input: &BundleInput<'_>,
    counts: &Counts,
    files: &Digests,
    samples: &super::samples::Samples,
) -> Vec<u8> {
    let config = input.config;
    let window = config.audit.window.window();
    let (complete, missing) = completeness(input);
    let repositories = repository_names(input);
    let manifest = Manifest {
        schema: MANIFEST_SCHEMA,
        tool_version: input.tool_version,
        generated_at: format_time(input.generated_at),
        audit: Audit {
            name: &config.audit.name,
            window: Window {
                start: format_time(window.start),
                end: format_time(window.end),
            },
        },
        scope: Scope {
            sources: config
                .sources
                .iter()
                .map(|s| Source {
                    name: &s.name,
                    kind: source_kind(s.kind),
                    api_url: s.api_url(),
                    org: s.org.as_deref(),
                    repos: &s.repos,
                    exclude: &s.exclude,
                })
                .collect(),
            production_branches: &config.scope.production_branches,
            production_environments: &config.scope.production_environments,
            repositories,
        },
        seed: config.sampling.seed.as_deref(),
        sampling: super::samples::manifest_entry(samples),
        reconciliation: {
            let r = &input.evaluation.reconciliation;
            serde_json::json!({
                "reconciled": r.reconciled,
                "repositories_not_reconciled": r
                    .repositories
                    .iter()
                    .filter(|l| !l.reconciled)
                    .map(|l| l.repo.as_str())
                    .collect::<Vec<_>>(),
                "differences": r.differences.iter().filter(|d| !d.informational).count(),
                "informational_differences": r.differences.iter().filter(|d| d.informational).count(),
                "query_count_mismatches": r.query_mismatches,
                "files": [super::reconciliation::PATH, super::reconciliation::DIFFERENCES_PATH],
            })
        },
        complete,
        missing,
        counts,
        signature: input.signing_key.map(super::signature::info),
        files: files
            .iter()
            .map(|(path, digest)| FileEntry {
                path,
                size: digest.size,
                sha256: &digest.sha256,
            })
            .collect(),
    };
    pretty_json(&manifest)
}

pub(super) fn source_kind(kind: crate::config::SourceKind) -> &'static str {
    match kind {
        crate::config::SourceKind::Github => "github",
        crate::config::SourceKind::Gitlab => "gitlab",
        crate::config::SourceKind::File => "file",
    }
}
