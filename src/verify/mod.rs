//! `changeproof verify`: checks a bundle (zip or folder) as an auditor receives it.
//!
//! In order: the bundle is listed by a reader that refuses unsafe entries
//! (`source`); `manifest.json` is read and, with a public key, its minisign signature
//! checked; every file the manifest lists must be present with the listed size and
//! SHA-256, and no other file may be present; with `reperform`, the findings are
//! re-derived from the bundle's raw evidence and compared with `findings.json`
//! (`reperform`). Every problem is collected, so one run lists them all; the first names
//! the file to look at.
//!
//! Verification reads only: nothing is unpacked by entry name. Re-performance writes a
//! temporary locker whose file names are the raw bodies' checked SHA-256 hashes, under a
//! fresh directory of the system's temp dir, removed afterwards.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::bundle::{MANIFEST_FILE, MANIFEST_SCHEMA, SIGNATURE_FILE};
use crate::signing::{self, PublicKey, VerifiedSignature};

mod reperform;
mod source;

pub use reperform::Reperformed;
pub use source::{Form, Limits};

use source::{ReadError, Source};

/// The largest `manifest.json` and signature read (a manifest entry is ~150 bytes: this
/// allows well over a million files).
const MAX_MANIFEST_BYTES: u64 = 512 << 20;
const MAX_SIGNATURE_BYTES: u64 = 64 << 10;

#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    // The I/O error is part of the message, not a `source`, so `{:#}` does not repeat it.
    #[error("{path}: {error}; give the bundle's zip or its folder")]
    Open {
        path: PathBuf,
        error: std::io::Error,
    },
}

/// What to check.
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// The signer's public key. `None`: the signature is not checked, and the report
    /// says so (the CLI demands `--no-signature` for that).
    pub public_key: Option<PublicKey>,
    /// Re-derive the findings from the raw evidence and compare with `findings.json`.
    pub reperform: bool,
    pub limits: Limits,
}

/// One thing wrong with the bundle, named by the file it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Bundle path (`evidence/raw/….json`), or the bundle itself for zip-level problems.
    pub path: String,
    pub kind: ProblemKind,
    pub message: String,
}

impl Problem {
    fn new(path: &str, kind: ProblemKind, message: String) -> Problem {
        Problem {
            path: path.to_string(),
            kind,
            message,
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} — {}",
            self.path,
            self.kind.as_str(),
            self.message
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    /// Absolute path, `..`, link, encrypted or otherwise unsafe entry.
    UnsafeEntry,
    /// Listed in the manifest, absent from the bundle.
    Missing,
    /// In the bundle, not listed in the manifest.
    Extra,
    SizeMismatch,
    HashMismatch,
    Signature,
    /// `manifest.json` itself is malformed.
    Manifest,
    Unreadable,
    /// A reading limit was hit (decompression bomb or oversized entry).
    Limit,
    /// Re-performance gave a different result.
    Reperform,
}

impl ProblemKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemKind::UnsafeEntry => "unsafe entry",
            ProblemKind::Missing => "missing",
            ProblemKind::Extra => "extra file",
            ProblemKind::SizeMismatch => "size differs",
            ProblemKind::HashMismatch => "SHA-256 differs",
            ProblemKind::Signature => "signature",
            ProblemKind::Manifest => "manifest",
            ProblemKind::Unreadable => "unreadable",
            ProblemKind::Limit => "limit",
            ProblemKind::Reperform => "re-performance",
        }
    }
}

/// The signature check's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureStatus {
    Verified(VerifiedSignature),
    /// No public key given: not checked.
    NotChecked,
    /// Checked and failed (the reason is among the problems).
    Failed,
}

/// What the manifest says about the bundle (shown in the report).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ManifestSummary {
    pub tool_version: String,
    pub audit: String,
    pub window: String,
    pub generated_at: String,
    pub complete: bool,
    pub files: usize,
}

/// Re-performance's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReperformStatus {
    NotRequested,
    /// Not run because the bundle already failed (re-deriving from evidence that does
    /// not match its manifest proves nothing).
    Skipped,
    Done(Reperformed),
}

/// Everything `verify` found.
#[derive(Debug, Clone)]
pub struct Report {
    pub bundle: PathBuf,
    pub form: Form,
    pub manifest: Option<ManifestSummary>,
    pub signature: SignatureStatus,
    /// Files listed in the manifest and found with the right size and SHA-256.
    pub files_verified: usize,
    pub problems: Vec<Problem>,
    pub reperform: ReperformStatus,
}

impl Report {
    /// Every check that ran passed. (With no public key the signature was not checked:
    /// see `fully_verified`.)
    pub fn passed(&self) -> bool {
        self.problems.is_empty() && self.signature != SignatureStatus::Failed
    }

    /// Passed, and the signature was verified with a public key.
    pub fn fully_verified(&self) -> bool {
        self.passed() && matches!(self.signature, SignatureStatus::Verified(_))
    }

    /// The first problem: the file to look at first.
    pub fn first_problem(&self) -> Option<&Problem> {
        self.problems.first()
    }
}

#[derive(Deserialize)]
struct Manifest {
    schema: String,
    #[serde(default)]
    tool_version: String,
    #[serde(default)]
    generated_at: String,
    audit: ManifestAudit,
    #[serde(default)]
    complete: bool,
    /// `null` for an unsigned bundle.
    #[serde(default)]
    signature: Option<ManifestSignature>,
    files: Vec<ManifestFile>,
}

#[derive(Deserialize)]
struct ManifestSignature {
    key_id: String,
}

#[derive(Deserialize)]
struct ManifestAudit {
    name: String,
    window: ManifestWindow,
}

#[derive(Deserialize)]
struct ManifestWindow {
    start: String,
    end: String,
}

#[derive(Deserialize, Clone)]
struct ManifestFile {
    path: String,
    size: u64,
    sha256: String,
}

/// Verifies the bundle at `path` (a zip file or a folder).
pub fn verify(path: &Path, options: &VerifyOptions) -> Result<Report, VerifyError> {
    let mut problems = Vec::new();
    let mut source =
        Source::open(path, options.limits, &mut problems).map_err(|error| VerifyError::Open {
            path: path.to_path_buf(),
            error,
        })?;
    let mut report = Report {
        bundle: path.to_path_buf(),
        form: source.form,
        manifest: None,
        signature: SignatureStatus::NotChecked,
        files_verified: 0,
        problems: Vec::new(),
        reperform: if options.reperform {
            ReperformStatus::Skipped
        } else {
            ReperformStatus::NotRequested
        },
    };
    let manifest = read_manifest(&mut source, &mut problems);
    if let (Some((bytes, manifest)), Some(key)) = (&manifest, &options.public_key) {
        report.signature = check_signature(&mut source, key, bytes, &mut problems);
        if let SignatureStatus::Verified(verified) = &report.signature {
            check_signature_claim(manifest, verified, &mut problems);
        }
    } else if options.public_key.is_some() {
        report.signature = SignatureStatus::Failed;
    }
    if let Some((_, manifest)) = &manifest {
        report.manifest = Some(ManifestSummary {
            tool_version: manifest.tool_version.clone(),
            audit: manifest.audit.name.clone(),
            window: format!(
                "{} to {}",
                manifest.audit.window.start, manifest.audit.window.end
            ),
            generated_at: manifest.generated_at.clone(),
            complete: manifest.complete,
            files: manifest.files.len(),
        });
        report.files_verified = check_files(&mut source, &manifest.files, &mut problems);
        if options.reperform && problems.is_empty() {
            let listed: Vec<(String, u64, String)> = manifest
                .files
                .iter()
                .map(|f| (f.path.clone(), f.size, f.sha256.clone()))
                .collect();
            let outcome = reperform::reperform(&mut source, &listed, &manifest.tool_version);
            problems.extend(outcome.problems.iter().cloned());
            report.reperform = ReperformStatus::Done(outcome);
        }
    }
    report.problems = problems;
    Ok(report)
}

/// Reads one file of a bundle (zip or folder) after checking every file the manifest
/// lists (the signature is not checked here), with the SHA-256 of `manifest.json`. For
/// evaluation inputs taken from an earlier bundle (AC-05's previous snapshot).
pub fn read_checked_file(path: &Path, name: &str) -> Result<(Vec<u8>, String), String> {
    let report = verify(path, &VerifyOptions::default()).map_err(|e| e.to_string())?;
    if let Some(problem) = report.first_problem() {
        return Err(format!("the bundle does not verify: {problem}"));
    }
    let mut problems = Vec::new();
    let mut source =
        Source::open(path, Limits::default(), &mut problems).map_err(|e| e.to_string())?;
    let manifest = source
        .read(MANIFEST_FILE, MAX_MANIFEST_BYTES)
        .map_err(|e| read_problem(MANIFEST_FILE, e, MAX_MANIFEST_BYTES).to_string())?;
    let listed: Manifest = serde_json::from_slice(&manifest).map_err(|e| e.to_string())?;
    let file = listed
        .files
        .iter()
        .find(|f| f.path == name)
        .ok_or_else(|| format!("the bundle has no {name}"))?;
    let bytes = source
        .read(name, file.size)
        .map_err(|e| read_problem(name, e, file.size).to_string())?;
    if crate::util::sha256_hex(&bytes) != file.sha256 {
        return Err(format!("{name} changed while it was being read"));
    }
    Ok((bytes, crate::util::sha256_hex(&manifest)))
}

/// Reads and parses `manifest.json`; every problem is pushed and `None` returned.
fn read_manifest(source: &mut Source, problems: &mut Vec<Problem>) -> Option<(Vec<u8>, Manifest)> {
    if !source.entries.contains_key(MANIFEST_FILE) {
        problems.push(Problem::new(
            MANIFEST_FILE,
            ProblemKind::Missing,
            "the bundle has no manifest, so nothing in it can be checked".into(),
        ));
        return None;
    }
    let bytes = match source.read(MANIFEST_FILE, MAX_MANIFEST_BYTES) {
        Ok(b) => b,
        Err(e) => {
            problems.push(read_problem(MANIFEST_FILE, e, MAX_MANIFEST_BYTES));
            return None;
        }
    };
    let manifest: Manifest = match serde_json::from_slice(&bytes) {
        Ok(m) => m,
        Err(e) => {
            problems.push(Problem::new(
                MANIFEST_FILE,
                ProblemKind::Manifest,
                format!("not a changeproof manifest: {e}"),
            ));
            return None;
        }
    };
    if manifest.schema != MANIFEST_SCHEMA {
        problems.push(Problem::new(
            MANIFEST_FILE,
            ProblemKind::Manifest,
            format!(
                "schema {:?}, this changeproof reads {MANIFEST_SCHEMA:?}",
                manifest.schema
            ),
        ));
        return None;
    }
    Some((bytes, manifest))
}

fn check_signature(
    source: &mut Source,
    key: &PublicKey,
    manifest: &[u8],
    problems: &mut Vec<Problem>,
) -> SignatureStatus {
    if !source.entries.contains_key(SIGNATURE_FILE) {
        problems.push(Problem::new(
            SIGNATURE_FILE,
            ProblemKind::Missing,
            "the bundle is UNSIGNED: there is no signature to check against the public key".into(),
        ));
        return SignatureStatus::Failed;
    }
    let text = match source.read(SIGNATURE_FILE, MAX_SIGNATURE_BYTES) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) => {
            problems.push(read_problem(SIGNATURE_FILE, e, MAX_SIGNATURE_BYTES));
            return SignatureStatus::Failed;
        }
    };
    match signing::verify(key, manifest, &text) {
        Ok(verified) => {
            let expected = crate::bundle::signature::untrusted_comment(&verified.key_id);
            if signing::is_canonical(&text, &expected) {
                return SignatureStatus::Verified(verified);
            }
            problems.push(Problem::new(
                SIGNATURE_FILE,
                ProblemKind::Signature,
                "the signature verifies, but the file is not byte for byte what changeproof writes: its unsigned comment line or its layout was altered".into(),
            ));
            SignatureStatus::Failed
        }
        // The cryptographic check cannot tell which of the two files changed; the
        // manifest is named, since altering it is what a signature guards against.
        Err(signing::SigningError::Mismatch(message)) => {
            problems.push(Problem::new(
                MANIFEST_FILE,
                ProblemKind::Signature,
                format!(
                    "does not match its signature {SIGNATURE_FILE} ({message}): manifest.json or the signature was altered"
                ),
            ));
            SignatureStatus::Failed
        }
        Err(e) => {
            problems.push(Problem::new(
                SIGNATURE_FILE,
                ProblemKind::Signature,
                format!("{e}"),
            ));
            SignatureStatus::Failed
        }
    }
}

/// The manifest states whether and with which key the bundle is signed; a verified
/// signature must agree with that statement.
fn check_signature_claim(
    manifest: &Manifest,
    verified: &VerifiedSignature,
    problems: &mut Vec<Problem>,
) {
    let message = match &manifest.signature {
        None => {
            "says the bundle is unsigned (`\"signature\": null`), yet it carries a valid signature"
                .to_string()
        }
        Some(claim) if claim.key_id != verified.key_id => format!(
            "names signing key {} but is signed with key {}",
            claim.key_id, verified.key_id
        ),
        Some(_) => return,
    };
    problems.push(Problem::new(MANIFEST_FILE, ProblemKind::Signature, message));
}

/// Checks every listed file's presence, size and SHA-256, and that nothing else is in
/// the bundle; returns how many listed files passed.
fn check_files(source: &mut Source, files: &[ManifestFile], problems: &mut Vec<Problem>) -> usize {
    let mut listed = std::collections::BTreeSet::new();
    let mut verified = 0;
    for file in files {
        let path = file.path.as_str();
        if let Some(reason) = source::unsafe_path_reason(path) {
            problems.push(Problem::new(
                path,
                ProblemKind::Manifest,
                format!("manifest.json lists an unsafe path: {reason}"),
            ));
            continue;
        }
        if path == MANIFEST_FILE || path == SIGNATURE_FILE {
            problems.push(Problem::new(
                path,
                ProblemKind::Manifest,
                "manifest.json cannot list itself or its signature".into(),
            ));
            continue;
        }
        if !listed.insert(path.to_string()) {
            problems.push(Problem::new(
                path,
                ProblemKind::Manifest,
                "listed twice in manifest.json".into(),
            ));
            continue;
        }
        if !is_sha256_hex(&file.sha256) {
            problems.push(Problem::new(
                path,
                ProblemKind::Manifest,
                format!(
                    "manifest.json gives {:?}, not a SHA-256 hex digest",
                    file.sha256
                ),
            ));
            continue;
        }
        let Some(entry) = source.entries.get(path) else {
            problems.push(Problem::new(
                path,
                ProblemKind::Missing,
                "listed in manifest.json but not in the bundle".into(),
            ));
            continue;
        };
        if entry.declared_size != file.size {
            // Refused before reading: the header already contradicts the manifest.
            problems.push(Problem::new(
                path,
                ProblemKind::SizeMismatch,
                format!(
                    "{} bytes in the bundle, {} in manifest.json",
                    entry.declared_size, file.size
                ),
            ));
            continue;
        }
        match hash_entry(source, path, file.size) {
            Ok(actual) if actual == file.sha256 => verified += 1,
            Ok(actual) => problems.push(Problem::new(
                path,
                ProblemKind::HashMismatch,
                format!("SHA-256 is {actual}, manifest.json lists {}", file.sha256),
            )),
            Err(problem) => problems.push(problem),
        }
    }
    for path in source.paths() {
        if path != MANIFEST_FILE && path != SIGNATURE_FILE && !listed.contains(path) {
            problems.push(Problem::new(
                path,
                ProblemKind::Extra,
                "in the bundle but not listed in manifest.json".into(),
            ));
        }
    }
    verified
}

/// SHA-256 of an entry read with exactly `size` bytes allowed.
fn hash_entry(source: &mut Source, path: &str, size: u64) -> Result<String, Problem> {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    let count = source
        .read_into(path, size, &mut |chunk| {
            hasher.update(chunk);
            Ok(())
        })
        .map_err(|e| read_problem(path, e, size))?;
    if count != size {
        return Err(Problem::new(
            path,
            ProblemKind::SizeMismatch,
            format!("{count} bytes read, {size} in manifest.json"),
        ));
    }
    Ok(crate::util::hex(&hasher.finalize()))
}

fn read_problem(path: &str, error: ReadError, limit: u64) -> Problem {
    match error {
        ReadError::TooLong(count) => Problem::new(
            path,
            ProblemKind::SizeMismatch,
            format!("holds more than the {limit} bytes expected ({count} read before stopping)"),
        ),
        ReadError::Limit(message) => Problem::new(path, ProblemKind::Limit, message),
        ReadError::Io(message) => Problem::new(path, ProblemKind::Unreadable, message),
    }
}

fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl fmt::Display for Report {
    /// The report as `changeproof verify` prints it: what was checked, what was not,
    /// and every problem.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "bundle:     {} ({})",
            self.bundle.display(),
            self.form.as_str()
        )?;
        if let Some(m) = &self.manifest {
            writeln!(
                f,
                "audit:      {} — window {}; generated {} by changeproof {}{}",
                m.audit,
                m.window,
                m.generated_at,
                m.tool_version,
                if m.complete {
                    ""
                } else {
                    " — INCOMPLETE collection"
                }
            )?;
        }
        match &self.signature {
            SignatureStatus::Verified(v) => {
                writeln!(f, "signature:  verified, minisign key {}", v.key_id)?;
                writeln!(f, "            trusted comment: {}", v.trusted_comment)?;
            }
            SignatureStatus::NotChecked => writeln!(
                f,
                "signature:  NOT CHECKED (no public key given): the hashes below show the files match manifest.json, not who produced it"
            )?,
            SignatureStatus::Failed => writeln!(f, "signature:  FAILED (see problems)")?,
        }
        let listed = self.manifest.as_ref().map_or(0, |m| m.files);
        writeln!(
            f,
            "files:      {} of {listed} listed in manifest.json present with the listed size and SHA-256",
            self.files_verified
        )?;
        match &self.reperform {
            ReperformStatus::NotRequested => writeln!(
                f,
                "reperform:  not requested (--reperform re-derives findings.json from the raw evidence)"
            )?,
            ReperformStatus::Skipped => writeln!(
                f,
                "reperform:  SKIPPED: the bundle failed the checks above, so its evidence cannot be relied on"
            )?,
            ReperformStatus::Done(r) => {
                for line in &r.summary {
                    writeln!(f, "reperform:  {line}")?;
                }
            }
        }
        if self.problems.is_empty() {
            if self.fully_verified() {
                writeln!(f, "\nVERIFIED")?;
            } else {
                writeln!(
                    f,
                    "\nFILES VERIFIED, SIGNATURE NOT CHECKED (--no-signature)"
                )?;
            }
        } else {
            writeln!(
                f,
                "\nNOT VERIFIED: {} problem{}; first: {}",
                self.problems.len(),
                if self.problems.len() == 1 { "" } else { "s" },
                self.problems[0].path
            )?;
            for problem in &self.problems {
                writeln!(f, "  {problem}")?;
            }
        }
        Ok(())
    }
}
