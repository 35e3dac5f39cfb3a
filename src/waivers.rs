//! Waivers (SPEC §5): justified exceptions, approved by a named person.
//!
//! `waivers.toml` (the path is `[output] waivers` in the config) holds `[[waiver]]`
//! entries. Each matches exceptions by control, kind, repository and subject — each an
//! exact value or a glob (`*`, `?`, as the config's repository patterns) — and carries
//! the justification. Waivers are applied after evaluation: a matching exception keeps
//! its place in every output with status `waived` and the waiver's justification; it never
//! disappears. An expired waiver (its `expires` at or before the evidence's snapshot time —
//! never the wall clock) does not apply, and is reported with what it would have matched.
//! A waiver that matches nothing is reported as unused.
//!
//! Parsing never panics on bad input: every problem of the file is reported at once,
//! each naming the file, line and field.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::catalog::Catalog;
use crate::config::{Config, TimeSpec};
use crate::findings::{ExceptionStatus, Findings, ResultKind, WaiverRef};
use crate::model::Timestamp;
use crate::util::{glob_match, sha256_hex};

#[derive(Debug, thiserror::Error)]
pub enum WaiverError {
    // The I/O error is part of the message, not a `source`, so `{:#}` does not repeat it.
    #[error(
        "{path}: cannot read the waivers file named by [output] waivers: {error}; fix the path (relative to the config file) or remove the key"
    )]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    /// Every problem of the file, one per line, each `file:line:column: message`.
    #[error("{}", problems.join("\n"))]
    Invalid { problems: Vec<String> },
}

/// A parsed waivers file, with its exact text (copied into the bundle's `config/`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WaiversFile {
    /// The path as the config gives it (`[output] waivers`), for messages and reports.
    pub name: String,
    /// The file's exact bytes, as text.
    pub text: String,
    pub waivers: Vec<Waiver>,
}

/// One `[[waiver]]` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Waiver {
    /// Line of the entry's `[[waiver]]` header.
    pub line: usize,
    pub control: String,
    pub kind: String,
    pub repo: String,
    pub subject: String,
    pub reason: String,
    pub approved_by: String,
    /// As written in the file.
    pub approved_at: String,
    /// As written in the file.
    pub expires: Option<String>,
    /// `expires` as a time: a date means midnight UTC at the start of that day.
    pub expires_at: Option<Timestamp>,
}

impl Waiver {
    fn matches(&self, control: &str, kind: &str, repo: &str, subject: &str) -> bool {
        glob_match(&self.control, control)
            && glob_match(&self.kind, kind)
            && glob_match(&self.repo, repo)
            && glob_match(&self.subject, subject)
    }

    fn is_expired(&self, snapshot: Timestamp) -> bool {
        self.expires_at.is_some_and(|t| t <= snapshot)
    }

    fn reference(&self, file: &str) -> WaiverRef {
        WaiverRef {
            reason: self.reason.clone(),
            approved_by: self.approved_by.clone(),
            approved_at: self.approved_at.clone(),
            expires: self.expires.clone(),
            location: Some(format!("{file}:{}", self.line)),
        }
    }

    fn entry(&self, file: &str) -> WaiverEntry {
        WaiverEntry {
            location: format!("{file}:{}", self.line),
            control: self.control.clone(),
            kind: self.kind.clone(),
            repo: self.repo.clone(),
            subject: self.subject.clone(),
            approved_by: self.approved_by.clone(),
            approved_at: self.approved_at.clone(),
            expires: self.expires.clone(),
        }
    }
}

/// What applying the waivers did: `findings.json`'s `waivers` field.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaiverSummary {
    /// The waivers file as the config names it; its copy is `config/waivers.toml`.
    pub file: String,
    /// SHA-256 of the file's bytes.
    pub sha256: String,
    /// Waivers that waived at least one exception, with the exceptions' ids.
    pub applied: Vec<AppliedWaiver>,
    /// Waivers whose `expires` is at or before the snapshot time: they waive nothing.
    pub expired: Vec<ExpiredWaiver>,
    /// Waivers in force that waived nothing, with why.
    pub unused: Vec<UnusedWaiver>,
}

/// Which waiver, where: the fields that identify it in the file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaiverEntry {
    /// `waivers.toml:12`: the file and the line of the entry's `[[waiver]]` header.
    pub location: String,
    pub control: String,
    pub kind: String,
    pub repo: String,
    pub subject: String,
    pub approved_by: String,
    pub approved_at: String,
    pub expires: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppliedWaiver {
    #[serde(flatten)]
    pub waiver: WaiverEntry,
    /// Ids of the exceptions it waived, sorted.
    pub exceptions: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpiredWaiver {
    #[serde(flatten)]
    pub waiver: WaiverEntry,
    /// Ids of the exceptions it would have matched (they stay open unless another waiver
    /// in force covers them), sorted.
    pub would_match: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnusedWaiver {
    #[serde(flatten)]
    pub waiver: WaiverEntry,
    pub reason: String,
}

/// The keys of a `[[waiver]]` entry.
const KEYS: [&str; 8] = [
    "control",
    "kind",
    "repo",
    "subject",
    "reason",
    "approved_by",
    "approved_at",
    "expires",
];
const REQUIRED: [&str; 7] = [
    "control",
    "kind",
    "repo",
    "subject",
    "reason",
    "approved_by",
    "approved_at",
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    waiver: Vec<Spanned<BTreeMap<Spanned<String>, Spanned<toml::Value>>>>,
}

impl WaiversFile {
    /// Reads the waivers file the config names (`None` when it names none).
    pub fn load(config: &Config) -> Result<Option<WaiversFile>, WaiverError> {
        let Some(path) = &config.output.waivers else {
            return Ok(None);
        };
        let resolved = config.resolve(path);
        let text = std::fs::read_to_string(&resolved).map_err(|error| WaiverError::Io {
            path: resolved.clone(),
            error,
        })?;
        WaiversFile::parse(&path.display().to_string(), &text, &resolved).map(Some)
    }

    /// Parses waivers text. `name` is the path as configured (kept in reports); `path`
    /// names the file in error messages.
    pub fn parse(name: &str, text: &str, path: &Path) -> Result<WaiversFile, WaiverError> {
        let shown = path.display().to_string();
        let at = |offset: usize, message: String| {
            let (line, column) = line_col(text, offset);
            format!("{shown}:{line}:{column}: {message}")
        };
        let raw: RawFile = toml::from_str(text).map_err(|e| WaiverError::Invalid {
            problems: vec![at(
                e.span().map_or(0, |s| s.start),
                format!(
                    "{}; a waivers file holds only [[waiver]] entries (see docs/configuration.md)",
                    e.message().trim_end()
                ),
            )],
        })?;
        let mut problems = Vec::new();
        let mut waivers = Vec::new();
        for entry in &raw.waiver {
            let header = header_offset(text, entry.span().start);
            let fields = entry.get_ref();
            for key in fields.keys() {
                if !KEYS.contains(&key.get_ref().as_str()) {
                    problems.push(at(
                        key.span().start,
                        format!(
                            "[[waiver]]: unknown key `{}`; the keys are {}",
                            key.get_ref(),
                            KEYS.join(", ")
                        ),
                    ));
                }
            }
            let value = |name: &str| {
                fields
                    .iter()
                    .find(|(k, _)| k.get_ref() == name)
                    .map(|(_, v)| v)
            };
            let mut text_of = |name: &str| -> Option<String> {
                let Some(v) = value(name) else {
                    if REQUIRED.contains(&name) {
                        problems.push(at(
                            header,
                            format!(
                                "[[waiver]]: `{name}` is missing; every waiver needs {}",
                                REQUIRED.join(", ")
                            ),
                        ));
                    }
                    return None;
                };
                match v.get_ref() {
                    toml::Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
                    toml::Value::String(_) => {
                        problems.push(at(v.span().start, format!("[[waiver]]: `{name}` is empty")));
                        None
                    }
                    other => {
                        problems.push(at(
                            v.span().start,
                            format!(
                                "[[waiver]]: `{name}` must be a string, not {}",
                                other.type_str()
                            ),
                        ));
                        None
                    }
                }
            };
            let control = text_of("control");
            let kind = text_of("kind");
            let repo = text_of("repo");
            let subject = text_of("subject");
            let reason = text_of("reason");
            let approved_by = text_of("approved_by");
            let approved_at = text_of("approved_at");
            let expires = text_of("expires");
            let mut time_of = |name: &str, written: &Option<String>| -> Option<Timestamp> {
                let written = written.as_ref()?;
                match TimeSpec::parse(written) {
                    Ok(t) => Some(t.0),
                    Err(message) => {
                        let offset = value(name).map_or(header, |v| v.span().start);
                        problems.push(at(offset, format!("[[waiver]]: `{name}`: {message}")));
                        None
                    }
                }
            };
            let approved_time = time_of("approved_at", &approved_at);
            let expires_at = time_of("expires", &expires);
            if let (Some(approved), Some(expires)) = (approved_time, expires_at)
                && expires <= approved
            {
                let offset = value("expires").map_or(header, |v| v.span().start);
                problems.push(at(
                    offset,
                    "[[waiver]]: `expires` must be after `approved_at`".to_string(),
                ));
            }
            if let (
                Some(control),
                Some(kind),
                Some(repo),
                Some(subject),
                Some(reason),
                Some(approved_by),
                Some(approved_at),
                Some(_),
            ) = (
                control,
                kind,
                repo,
                subject,
                reason,
                approved_by,
                approved_at,
                approved_time,
            ) && (expires.is_none() || expires_at.is_some())
            {
                waivers.push(Waiver {
                    line: line_col(text, header).0,
                    control,
                    kind,
                    repo,
                    subject,
                    reason,
                    approved_by,
                    approved_at,
                    expires,
                    expires_at,
                });
            }
        }
        if !problems.is_empty() {
            return Err(WaiverError::Invalid { problems });
        }
        Ok(WaiversFile {
            name: name.to_string(),
            text: text.to_string(),
            waivers,
        })
    }

    /// Applies the waivers to evaluated findings: each open exception takes the first
    /// waiver in force (file order) that matches it; control results are recomputed (a
    /// control whose exceptions are all waived is `effective`, or `not_tested` when part
    /// of its population could not be tested). `snapshot` is the evidence's snapshot
    /// time, against which expiry is judged.
    pub fn apply(
        &self,
        findings: &mut Findings,
        catalog: &Catalog,
        snapshot: Timestamp,
    ) -> WaiverSummary {
        let mut applied: Vec<Vec<String>> = vec![Vec::new(); self.waivers.len()];
        let mut matched: Vec<Vec<String>> = vec![Vec::new(); self.waivers.len()];
        for exception in &mut findings.exceptions {
            let mut taken = exception.status == ExceptionStatus::Waived;
            for (index, waiver) in self.waivers.iter().enumerate() {
                if !waiver.matches(
                    &exception.control,
                    &exception.kind,
                    &exception.repo,
                    &exception.subject,
                ) {
                    continue;
                }
                matched[index].push(exception.id.clone());
                if !taken && !waiver.is_expired(snapshot) {
                    exception.status = ExceptionStatus::Waived;
                    exception.waiver = Some(Box::new(waiver.reference(&self.name)));
                    applied[index].push(exception.id.clone());
                    taken = true;
                }
            }
        }
        for control in &mut findings.controls {
            let (total, waived) = findings
                .exceptions
                .iter()
                .filter(|e| e.control == control.id)
                .fold((0u64, 0u64), |(t, w), e| {
                    (t + 1, w + u64::from(e.status == ExceptionStatus::Waived))
                });
            control.waived = waived;
            if control.result == ResultKind::Exceptions && total > 0 && total == waived {
                control.result = if control.reason.is_some() {
                    ResultKind::NotTested
                } else {
                    ResultKind::Effective
                };
            }
        }

        let mut summary = WaiverSummary {
            file: self.name.clone(),
            sha256: sha256_hex(self.text.as_bytes()),
            ..WaiverSummary::default()
        };
        for (index, waiver) in self.waivers.iter().enumerate() {
            let entry = waiver.entry(&self.name);
            let mut ids = std::mem::take(&mut applied[index]);
            ids.sort();
            let mut would = std::mem::take(&mut matched[index]);
            would.sort();
            if waiver.is_expired(snapshot) {
                summary.expired.push(ExpiredWaiver {
                    waiver: entry,
                    would_match: would,
                });
            } else if !ids.is_empty() {
                summary.applied.push(AppliedWaiver {
                    waiver: entry,
                    exceptions: ids,
                });
            } else {
                let reason = if !would.is_empty() {
                    "every exception it matches is waived by an earlier entry of the file"
                        .to_string()
                } else if !catalog.controls.iter().any(|c| {
                    glob_match(&waiver.control, &c.id)
                        && c.kinds.iter().any(|k| glob_match(&waiver.kind, &k.kind))
                }) {
                    "no control and exception kind of the catalog matches its control and kind"
                        .to_string()
                } else {
                    "it matches no exception of this evaluation".to_string()
                };
                summary.unused.push(UnusedWaiver {
                    waiver: entry,
                    reason,
                });
            }
        }
        summary
    }
}

/// The offset of the `[[waiver]]` header that opens the table whose content starts at
/// `offset` (the span toml gives an array-of-tables entry may start at its header or at
/// its first key, depending on the version).
fn header_offset(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    if text
        .get(offset..)
        .is_some_and(|rest| rest.starts_with("[["))
    {
        return offset;
    }
    let before = text.get(..offset).unwrap_or(text);
    let header = before.rfind("[[");
    match header {
        Some(h)
            if before[h..]
                .trim_start_matches("[[")
                .trim_start()
                .starts_with("waiver") =>
        {
            h
        }
        _ => offset,
    }
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    (line, column)
}

#[cfg(test)]
mod tests;
