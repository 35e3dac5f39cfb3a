//! Deployments exported from other systems (Argo CD, Jenkins, Spinnaker …), imported by a
//! `kind = "file"` source (SPEC §8): a CSV, JSON or JSON Lines file with the documented
//! schema (docs/file-import.md), validated record by record.
//!
//! Parsing is pure: bytes in, records or the first problems out. Every error names the
//! file, the line and the field, and says what to write instead; nothing panics on any
//! input. The collector validates a file with [`parse`] before it stores it in the
//! locker; the normalizer maps the stored bytes with the same function, so a locker's
//! deployments are exactly what the file said.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::model::Timestamp;

/// The request-log method of an imported file (`FILE file:<path>`).
pub const FILE_METHOD: &str = "FILE";
/// The request-log header that records an imported file's layout (`csv`, `json`,
/// `ndjson`).
pub const FORMAT_HEADER: &str = "x-changeproof-format";

/// The fields of a record, in the documented order: required first.
pub const FIELDS: [&str; 11] = [
    "id",
    "repo",
    "environment",
    "sha",
    "created_at",
    "status",
    "deployer",
    "approver",
    "finished_at",
    "ref",
    "url",
];

/// Fields every record must give.
pub const REQUIRED: [&str; 6] = ["id", "repo", "environment", "sha", "created_at", "status"];

/// The deployment states a record may have (GitHub's deployment status states, which
/// the controls read).
pub const STATES: [&str; 7] = [
    "success",
    "failure",
    "error",
    "inactive",
    "in_progress",
    "queued",
    "pending",
];

/// At most this many problems are reported for one file.
const MAX_PROBLEMS: usize = 20;

/// How a file is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileFormat {
    /// RFC 4180 CSV with a header row naming the fields.
    Csv,
    /// A JSON array of objects.
    Json,
    /// One JSON object per line (JSON Lines).
    Ndjson,
}

impl FileFormat {
    /// The format a file name's extension implies.
    pub fn from_path(path: &str) -> Option<FileFormat> {
        let lower = path.to_ascii_lowercase();
        if lower.ends_with(".csv") {
            Some(FileFormat::Csv)
        } else if lower.ends_with(".json") {
            Some(FileFormat::Json)
        } else if lower.ends_with(".ndjson") || lower.ends_with(".jsonl") {
            Some(FileFormat::Ndjson)
        } else {
            None
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FileFormat::Csv => "csv",
            FileFormat::Json => "json",
            FileFormat::Ndjson => "ndjson",
        }
    }
}

/// One imported deployment, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedDeployment {
    /// 1-based line where the record starts.
    pub line: usize,
    /// Where the record is in the file, as a fragment of the file's evidence reference:
    /// `row=N` (CSV data row, RFC 7111), `/N` (JSON array index, a JSON pointer) or
    /// `line=N` (JSON Lines, RFC 5147).
    pub fragment: String,
    pub id: String,
    pub repo: String,
    pub environment: String,
    /// Lower-case, 40 hexadecimal digits.
    pub sha: String,
    pub created_at: Timestamp,
    pub status: String,
    pub deployer: Option<String>,
    pub approvers: Vec<String>,
    /// When the final status was reached; the creation time when not given.
    pub finished_at: Timestamp,
    pub ref_name: String,
    pub url: String,
}

/// Problems found in a file: at most [`MAX_PROBLEMS`], each with its line and field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.render())]
pub struct ImportError {
    pub path: String,
    pub problems: Vec<Problem>,
    /// More problems were found than are listed.
    pub truncated: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line; 0 when the problem concerns the whole file.
    pub line: usize,
    /// The field concerned, if one is.
    pub field: Option<String>,
    pub message: String,
}

impl ImportError {
    fn render(&self) -> String {
        let mut lines: Vec<String> = self
            .problems
            .iter()
            .map(|p| {
                let place = if p.line == 0 {
                    self.path.clone()
                } else {
                    format!("{}:{}", self.path, p.line)
                };
                match &p.field {
                    Some(field) => format!("{place}: field `{field}`: {}", p.message),
                    None => format!("{place}: {}", p.message),
                }
            })
            .collect();
        if self.truncated {
            lines.push(format!(
                "{}: more problems not listed; fix these and run again",
                self.path
            ));
        }
        lines.join("\n")
    }

    fn whole(path: &str, message: String) -> ImportError {
        ImportError {
            path: path.to_string(),
            problems: vec![Problem {
                line: 0,
                field: None,
                message,
            }],
            truncated: false,
        }
    }
}

/// A record's fields as text, before validation, with where it is.
struct RawRecord {
    line: usize,
    fragment: String,
    fields: BTreeMap<String, String>,
}

/// Parses and validates a deployment file. `path` is how errors name the file.
pub fn parse(
    path: &str,
    format: FileFormat,
    bytes: &[u8],
) -> Result<Vec<ImportedDeployment>, ImportError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        ImportError::whole(
            path,
            format!(
                "is not UTF-8 (byte {}): export the file as UTF-8",
                e.valid_up_to()
            ),
        )
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut problems = Vec::new();
    let raw = match format {
        FileFormat::Csv => csv_records(text, &mut problems),
        FileFormat::Json => json_records(text, &mut problems),
        FileFormat::Ndjson => ndjson_records(text, &mut problems),
    };
    let mut out = Vec::new();
    let mut seen: BTreeMap<(String, String), usize> = BTreeMap::new();
    for record in raw {
        if let Some(d) = validate(&record, &mut problems) {
            let key = (d.repo.to_ascii_lowercase(), d.id.clone());
            if let Some(first) = seen.insert(key, d.line) {
                problems.push(Problem {
                    line: d.line,
                    field: Some("id".into()),
                    message: format!(
                        "deployment `{}` of {} is also on line {first}: each deployment once",
                        d.id, d.repo
                    ),
                });
            }
            out.push(d);
        }
        if problems.len() > MAX_PROBLEMS {
            break;
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        let truncated = problems.len() > MAX_PROBLEMS;
        problems.truncate(MAX_PROBLEMS);
        Err(ImportError {
            path: path.to_string(),
            problems,
            truncated,
        })
    }
}

fn unknown_field(name: &str) -> String {
    format!(
        "`{name}` is not a field of the deployment schema; the fields are {} (docs/file-import.md)",
        FIELDS.join(", ")
    )
}

fn csv_records(text: &str, problems: &mut Vec<Problem>) -> Vec<RawRecord> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(text.as_bytes());
    let header: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|c| c.trim().to_ascii_lowercase()).collect(),
        Err(e) => {
            problems.push(Problem {
                line: 1,
                field: None,
                message: format!("the header row cannot be read: {e}"),
            });
            return Vec::new();
        }
    };
    let mut header_ok = true;
    for (i, name) in header.iter().enumerate() {
        if !FIELDS.contains(&name.as_str()) {
            header_ok = false;
            problems.push(Problem {
                line: 1,
                field: Some(name.clone()),
                message: unknown_field(name),
            });
        } else if header[..i].contains(name) {
            header_ok = false;
            problems.push(Problem {
                line: 1,
                field: Some(name.clone()),
                message: "the column is named twice".into(),
            });
        }
    }
    for required in REQUIRED {
        if !header.iter().any(|h| h == required) {
            header_ok = false;
            problems.push(Problem {
                line: 1,
                field: Some(required.into()),
                message: format!(
                    "the header has no `{required}` column; the required columns are {}",
                    REQUIRED.join(", ")
                ),
            });
        }
    }
    if !header_ok {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (row, result) in reader.records().enumerate() {
        match result {
            Ok(record) => {
                let line = record.position().map_or(0, |p| p.line() as usize);
                out.push(RawRecord {
                    line,
                    fragment: format!("row={}", row + 2),
                    fields: header
                        .iter()
                        .cloned()
                        .zip(record.iter().map(|v| v.trim().to_string()))
                        .collect(),
                });
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as usize);
                problems.push(Problem {
                    line,
                    field: None,
                    message: format!(
                        "the row cannot be read ({e}); every row needs one value per header column"
                    ),
                });
                if problems.len() > MAX_PROBLEMS {
                    break;
                }
            }
        }
    }
    out
}

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// The fields of one JSON object: strings as they are, numbers as their text, arrays of
/// strings `;`-joined (the approvers), null as absent.
fn object_fields(
    value: &serde_json::Value,
    line: usize,
    problems: &mut Vec<Problem>,
) -> Option<BTreeMap<String, String>> {
    let Some(object) = value.as_object() else {
        problems.push(Problem {
            line,
            field: None,
            message: "a record must be a JSON object with the schema's fields".into(),
        });
        return None;
    };
    let mut fields = BTreeMap::new();
    let mut ok = true;
    for (name, v) in object {
        let key = name.to_ascii_lowercase();
        if !FIELDS.contains(&key.as_str()) {
            ok = false;
            problems.push(Problem {
                line,
                field: Some(name.clone()),
                message: unknown_field(name),
            });
            continue;
        }
        let text = match v {
            serde_json::Value::Null => continue,
            serde_json::Value::String(s) => s.trim().to_string(),
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::Array(items) if key == "approver" => {
                let mut names = Vec::new();
                for item in items {
                    match item.as_str() {
                        Some(s) => names.push(s.trim().to_string()),
                        None => {
                            ok = false;
                            problems.push(Problem {
                                line,
                                field: Some(name.clone()),
                                message: "approvers are logins: strings".into(),
                            });
                        }
                    }
                }
                names.join(";")
            }
            _ => {
                ok = false;
                problems.push(Problem {
                    line,
                    field: Some(name.clone()),
                    message: "must be a string".into(),
                });
                continue;
            }
        };
        fields.insert(key, text);
    }
    ok.then_some(fields)
}

fn json_records(text: &str, problems: &mut Vec<Problem>) -> Vec<RawRecord> {
    let items: Vec<serde_json::Value> = match serde_json::from_str(text) {
        Ok(items) => items,
        Err(e) => {
            problems.push(Problem {
                line: e.line(),
                field: None,
                message: format!(
                    "{e}; a JSON deployment file is an array of objects ([{{\"id\": …}}, …])"
                ),
            });
            return Vec::new();
        }
    };
    let starts = element_starts(text);
    let mut out = Vec::new();
    for (i, value) in items.iter().enumerate() {
        let line = starts.get(i).map_or(0, |&offset| line_of(text, offset));
        if let Some(fields) = object_fields(value, line, problems) {
            out.push(RawRecord {
                line,
                fragment: format!("/{i}"),
                fields,
            });
        }
        if problems.len() > MAX_PROBLEMS {
            break;
        }
    }
    out
}

/// Byte offsets where the elements of a top-level JSON array start (the text has parsed
/// as an array, so it is well-formed).
fn element_starts(text: &str) -> Vec<usize> {
    let mut starts = Vec::new();
    let (mut depth, mut in_string, mut escaped, mut expecting) = (0usize, false, false, false);
    for (i, b) in text.bytes().enumerate() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        if expecting && !b.is_ascii_whitespace() && b != b']' {
            starts.push(i);
            expecting = false;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth == 1 && b == b'[' {
                    expecting = true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            b',' if depth == 1 => expecting = true,
            _ => {}
        }
    }
    starts
}

fn ndjson_records(text: &str, problems: &mut Vec<Problem>) -> Vec<RawRecord> {
    let mut out = Vec::new();
    for (i, content) in text.lines().enumerate() {
        let line = i + 1;
        if content.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<serde_json::Value>(content) {
            Ok(value) => {
                if let Some(fields) = object_fields(&value, line, problems) {
                    out.push(RawRecord {
                        line,
                        fragment: format!("line={line}"),
                        fields,
                    });
                }
            }
            Err(e) => problems.push(Problem {
                line,
                field: None,
                message: format!("{e}; each line is one JSON object"),
            }),
        }
        if problems.len() > MAX_PROBLEMS {
            break;
        }
    }
    out
}

fn time(text: &str) -> Result<Timestamp, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            format!(
                "`{text}` is not an RFC 3339 time ({e}); write e.g. 2026-07-01T14:05:00Z or 2026-07-01T10:05:00-04:00"
            )
        })
}

fn validate(record: &RawRecord, problems: &mut Vec<Problem>) -> Option<ImportedDeployment> {
    let before = problems.len();
    let mut problem = |field: &str, message: String| {
        problems.push(Problem {
            line: record.line,
            field: Some(field.into()),
            message,
        });
    };
    let get = |field: &str| {
        record
            .fields
            .get(field)
            .map(String::as_str)
            .unwrap_or_default()
    };
    for field in REQUIRED {
        if get(field).is_empty() {
            problem(field, "is required and empty".into());
        }
    }
    let repo = get("repo");
    if !repo.is_empty() {
        let parts: Vec<&str> = repo.split('/').collect();
        if parts.len() < 2 || parts.iter().any(|p| p.is_empty() || p.contains(' ')) {
            problem(
                "repo",
                format!(
                    "`{repo}` is not a repository path; write owner/name as the forge names it (e.g. acme/api)"
                ),
            );
        }
    }
    let sha = get("sha");
    if !sha.is_empty() && (sha.len() != 40 || !sha.bytes().all(|b| b.is_ascii_hexdigit())) {
        problem(
            "sha",
            format!(
                "`{sha}` is not a full commit SHA; give all 40 hexadecimal digits, so the deployment traces to exactly one commit"
            ),
        );
    }
    let status = get("status").to_ascii_lowercase();
    if !status.is_empty() && !STATES.contains(&status.as_str()) {
        problem(
            "status",
            format!(
                "`{}` is not a deployment state; use one of {} (map the system's own states, e.g. Argo CD Healthy → success, Degraded → failure)",
                get("status"),
                STATES.join(", ")
            ),
        );
    }
    let created_at = match get("created_at") {
        "" => None,
        t => time(t).map_err(|m| problem("created_at", m)).ok(),
    };
    let finished_at = match get("finished_at") {
        "" => None,
        t => time(t).map_err(|m| problem("finished_at", m)).ok(),
    };
    if let (Some(c), Some(f)) = (created_at, finished_at)
        && f < c
    {
        problem(
            "finished_at",
            "is before created_at: a deployment finishes after it starts".into(),
        );
    }
    let url = get("url");
    if !(url.is_empty() || url.starts_with("https://") || url.starts_with("http://")) {
        problem(
            "url",
            format!("`{url}` is not a web address (http:// or https://)"),
        );
    }
    let login_ok = |s: &str| !s.is_empty() && !s.chars().any(|c| c.is_whitespace() || c == ',');
    let deployer = get("deployer");
    if !deployer.is_empty() && !login_ok(deployer) {
        problem(
            "deployer",
            format!("`{deployer}` is not one login (no spaces or commas)"),
        );
    }
    let approvers: Vec<String> = get("approver")
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    if let Some(bad) = approvers.iter().find(|a| !login_ok(a)) {
        problem(
            "approver",
            format!("`{bad}` is not a login; separate several approvers with `;`"),
        );
    }
    if problems.len() > before {
        return None;
    }
    let created_at = created_at?;
    Some(ImportedDeployment {
        line: record.line,
        fragment: record.fragment.clone(),
        id: get("id").to_string(),
        repo: repo.to_string(),
        environment: get("environment").to_string(),
        sha: sha.to_ascii_lowercase(),
        created_at,
        status,
        deployer: (!deployer.is_empty()).then(|| deployer.to_string()),
        approvers,
        finished_at: finished_at.unwrap_or(created_at),
        ref_name: get("ref").to_string(),
        url: url.to_string(),
    })
}

#[cfg(test)]
mod tests;
