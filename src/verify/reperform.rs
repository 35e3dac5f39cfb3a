//! Re-performance: re-derive the findings from the bundle's raw evidence alone and
//! compare them with `findings.json`.
//!
//! A temporary locker is rebuilt from `config/locker.json`, `evidence/requests.ndjson`
//! and `evidence/raw/*` (each body re-hashed as it is copied, stored under its hash);
//! the normalizer re-derives the evidence (compared with `evidence/evidence.json`), and
//! the controls are evaluated with the bundle's own `config/changeproof.toml` and
//! `config/controls/*.toml`, and the HR roster and previous access snapshot it names
//! (`config/hr_roster.csv`, `config/previous-access.json`). The findings must equal
//! `findings.json` byte for byte;
//! otherwise every difference is reported, by control and by exception id.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::catalog::{Catalog, ControlEntry};
use crate::config::Config;
use crate::locker::{Locker, META_FILE, RAW_DIR, REQUESTS_FILE};
use crate::normalize;

use super::source::Source;
use super::{Problem, ProblemKind, is_sha256_hex};

const FINDINGS: &str = "findings.json";
const EVIDENCE: &str = "evidence/evidence.json";
const REQUESTS: &str = "evidence/requests.ndjson";
const LOCKER_META: &str = "config/locker.json";
const CONFIG: &str = "config/changeproof.toml";
const CONTROLS_DIR: &str = "config/controls/";
const WAIVERS: &str = "config/waivers.toml";
const RAW_PREFIX: &str = "evidence/raw/";
/// Differences listed before the rest are summarised.
const MAX_DIFFERENCES: usize = 50;

/// What re-performance did and found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reperformed {
    /// Human-readable lines: what was re-derived and whether it matched.
    pub summary: Vec<String>,
    /// Every difference or failure (empty: the findings were reproduced exactly).
    pub problems: Vec<Problem>,
}

/// A listed file: path, size and SHA-256 from the manifest.
type Listed = (String, u64, String);

pub(super) fn reperform(source: &mut Source, listed: &[Listed], tool_version: &str) -> Reperformed {
    let mut outcome = Reperformed {
        summary: Vec::new(),
        problems: Vec::new(),
    };
    if let Err(problem) = run(source, listed, &mut outcome) {
        outcome
            .summary
            .push(format!("FAILED at {}: {}", problem.path, problem.message));
        outcome.problems.push(problem);
    }
    if tool_version != crate::TOOL_VERSION {
        outcome.summary.push(format!(
            "note: the bundle was made by changeproof {tool_version} and re-performed with {}; a difference may come from the tool's change",
            crate::TOOL_VERSION
        ));
    }
    outcome
}

fn run(source: &mut Source, listed: &[Listed], outcome: &mut Reperformed) -> Result<(), Problem> {
    let by_path: BTreeMap<&str, &Listed> = listed.iter().map(|l| (l.0.as_str(), l)).collect();
    let temp = TempDir::create()
        .map_err(|e| fail(".", format!("cannot create a temporary locker: {e}")))?;
    let root = temp.path();

    let read = |source: &mut Source, path: &str| -> Result<Vec<u8>, Problem> {
        let (_, size, sha) = by_path
            .get(path)
            .ok_or_else(|| fail(path, "not in the bundle; re-performance needs it".into()))?;
        read_checked(source, path, *size, sha)
    };
    let meta_bytes = read(source, LOCKER_META)?;
    write(&root.join(META_FILE), &meta_bytes, LOCKER_META)?;
    let requests = read(source, REQUESTS)?;
    write(&root.join(REQUESTS_FILE), &requests, REQUESTS)?;

    let mut raw_count = 0usize;
    for (path, size, sha) in listed {
        let Some(name) = path.strip_prefix(RAW_PREFIX) else {
            continue;
        };
        let hash = name
            .strip_suffix(".json")
            .or_else(|| name.strip_suffix(".bin"))
            .filter(|h| is_sha256_hex(h))
            .ok_or_else(|| {
                fail(
                    path,
                    "a raw body's name is its SHA-256 and `.json` or `.bin`".into(),
                )
            })?;
        if hash != sha {
            return Err(fail(
                path,
                format!("named for SHA-256 {hash} but its content hashes to {sha}"),
            ));
        }
        let target = root.join(RAW_DIR).join(&hash[..2]).join(hash);
        copy_checked(source, path, *size, sha, &target)?;
        raw_count += 1;
    }

    let locker = Locker::open(root).map_err(|e| fail(LOCKER_META, e.to_string()))?;
    let meta = locker
        .meta()
        .map_err(|e| fail(LOCKER_META, e.to_string()))?;
    let evidence = normalize::normalize(&locker).map_err(|e| fail(RAW_PREFIX, e.to_string()))?;
    let request_count = requests.iter().filter(|&&b| b == b'\n').count();

    let rederived_evidence = crate::model::records_bytes(&evidence);
    let bundled_evidence = read(source, EVIDENCE)?;
    let difference = (rederived_evidence != bundled_evidence)
        .then(|| first_difference(&bundled_evidence, &rederived_evidence));
    match difference {
        None => outcome.summary.push(format!(
            "evidence re-derived from {raw_count} raw bodies ({request_count} requests): identical to {EVIDENCE}"
        )),
        // A bundle written by a changeproof version with another layout of the file
        // (earlier versions pretty-printed every field): the content is what counts.
        Some(None) => outcome.summary.push(format!(
            "evidence re-derived from {raw_count} raw bodies ({request_count} requests): identical in content to {EVIDENCE} (laid out differently)"
        )),
        Some(Some(at)) => {
            outcome.summary.push(format!(
                "evidence re-derived from {raw_count} raw bodies: DIFFERS from {EVIDENCE} (first at {at})"
            ));
            outcome.problems.push(Problem::new(
                EVIDENCE,
                ProblemKind::Reperform,
                format!("differs from the evidence re-derived from evidence/raw (first difference at JSON pointer {at})"),
            ));
        }
    }

    let config_text =
        String::from_utf8(read(source, CONFIG)?).map_err(|_| fail(CONFIG, "not UTF-8".into()))?;
    let config = Config::parse(&config_text, Path::new(CONFIG), root.to_path_buf())
        .map_err(|e| fail(CONFIG, e.to_string()))?;
    let catalog = bundled_catalog(source, listed)?;
    // The HR roster and previous snapshot the findings were evaluated with travel next to
    // the config, which names them (`config/hr_roster.csv`, `config/previous-access.json`).
    for name in [crate::inputs::ROSTER_FILE, crate::inputs::PREVIOUS_FILE] {
        let path = format!("config/{name}");
        if by_path.contains_key(path.as_str()) {
            let bytes = read(source, &path)?;
            write(&root.join(name), &bytes, &path)?;
        }
    }
    let inputs =
        crate::inputs::Inputs::load(&config, None).map_err(|e| fail(CONFIG, e.to_string()))?;
    // The waivers the bundle applied: its own copy, named as the config names it.
    let waivers = match &config.output.waivers {
        None => None,
        Some(name) => {
            let text = String::from_utf8(read(source, WAIVERS)?)
                .map_err(|_| fail(WAIVERS, "not UTF-8".into()))?;
            let file = crate::waivers::WaiversFile::parse(
                &name.display().to_string(),
                &text,
                Path::new(WAIVERS),
            )
            .map_err(|e| fail(WAIVERS, e.to_string()))?;
            Some(file)
        }
    };
    let evaluation = crate::pipeline::evaluate_with_waivers(
        &evidence,
        &config,
        &catalog,
        &meta,
        &inputs,
        waivers.as_ref(),
    );
    let rederived = evaluation.findings.to_json_bytes();
    let bundled = read(source, FINDINGS)?;
    let findings = &evaluation.findings;
    if rederived == bundled {
        outcome.summary.push(format!(
            "{} controls re-evaluated over {} changes, {} commits, {} deployments, {} accounts and {} grants with the bundle's config and catalog{}: findings.json reproduced exactly ({} exceptions)",
            findings.controls.len(),
            evaluation.changes.len(),
            evaluation.commits.len(),
            evaluation.deployments.len(),
            evaluation.accounts.len(),
            evaluation.grants.len(),
            if waivers.is_some() {
                format!(" and its waivers ({WAIVERS})")
            } else {
                String::new()
            },
            findings.exceptions.len()
        ));
        return Ok(());
    }
    let differences = findings_differences(&bundled, &rederived);
    outcome.summary.push(format!(
        "{} controls re-evaluated: findings.json DIFFERS from the re-derived findings ({} difference{})",
        findings.controls.len(),
        differences.len(),
        if differences.len() == 1 { "" } else { "s" }
    ));
    let total = differences.len();
    for difference in differences.into_iter().take(MAX_DIFFERENCES) {
        outcome
            .problems
            .push(Problem::new(FINDINGS, ProblemKind::Reperform, difference));
    }
    if total > MAX_DIFFERENCES {
        outcome.problems.push(Problem::new(
            FINDINGS,
            ProblemKind::Reperform,
            format!("… and {} more differences", total - MAX_DIFFERENCES),
        ));
    }
    Ok(())
}

/// The catalog the bundle says it was evaluated with: `config/controls/<ID>.toml`.
fn bundled_catalog(source: &mut Source, listed: &[Listed]) -> Result<Catalog, Problem> {
    let mut controls = Vec::new();
    for (path, size, sha) in listed {
        let Some(file) = path
            .strip_prefix(CONTROLS_DIR)
            .filter(|f| f.ends_with(".toml"))
        else {
            continue;
        };
        let text = String::from_utf8(read_checked(source, path, *size, sha)?)
            .map_err(|_| fail(path, "not UTF-8".into()))?;
        let entry: ControlEntry = toml::from_str(&text).map_err(|e| fail(path, e.to_string()))?;
        if format!("{}.toml", entry.id) != file {
            return Err(fail(
                path,
                format!("holds control `{}`, not the one its name says", entry.id),
            ));
        }
        controls.push(entry);
    }
    if controls.is_empty() {
        return Err(fail(
            CONTROLS_DIR,
            "the bundle holds no control catalog".into(),
        ));
    }
    controls.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(Catalog { controls })
}

/// Reads a listed file whole, re-checking its size and SHA-256 (the bundle is read a
/// second time here, so it is checked a second time).
fn read_checked(source: &mut Source, path: &str, size: u64, sha: &str) -> Result<Vec<u8>, Problem> {
    let bytes = source
        .read(path, size)
        .map_err(|e| super::read_problem(path, e, size))?;
    let actual = crate::util::sha256_hex(&bytes);
    if bytes.len() as u64 != size || actual != sha {
        return Err(Problem::new(
            path,
            ProblemKind::HashMismatch,
            "changed while it was being verified".into(),
        ));
    }
    Ok(bytes)
}

/// Streams a listed file into `target`, then re-checks its SHA-256.
fn copy_checked(
    source: &mut Source,
    path: &str,
    size: u64,
    sha: &str,
    target: &Path,
) -> Result<(), Problem> {
    if let Some(parent) = target.parent() {
        fs::create_dir_all(parent).map_err(|e| fail(path, format!("temporary locker: {e}")))?;
    }
    let mut file =
        fs::File::create(target).map_err(|e| fail(path, format!("temporary locker: {e}")))?;
    let mut copy = |chunk: &[u8]| file.write_all(chunk);
    source
        .read_into(path, size, &mut copy)
        .map_err(|e| super::read_problem(path, e, size))?;
    let actual = hash_file(target).map_err(|e| fail(path, format!("temporary locker: {e}")))?;
    if actual != sha {
        return Err(Problem::new(
            path,
            ProblemKind::HashMismatch,
            "changed while it was being verified".into(),
        ));
    }
    Ok(())
}

fn hash_file(path: &Path) -> std::io::Result<String> {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    let mut file = fs::File::open(path)?;
    std::io::copy(&mut file, &mut hasher)?;
    Ok(crate::util::hex(&hasher.finalize()))
}

fn write(path: &Path, bytes: &[u8], from: &str) -> Result<(), Problem> {
    fs::write(path, bytes).map_err(|e| fail(from, format!("temporary locker: {e}")))
}

fn fail(path: &str, message: String) -> Problem {
    Problem::new(path, ProblemKind::Reperform, message)
}

/// The JSON pointer of the first difference between two JSON documents; `None` when
/// they hold the same value, whatever their layout.
fn first_difference(a: &[u8], b: &[u8]) -> Option<String> {
    match (
        serde_json::from_slice::<Value>(a),
        serde_json::from_slice::<Value>(b),
    ) {
        (Ok(a), Ok(b)) => pointer_of_difference(&a, &b, String::new()),
        _ => Some("(the bundled file is not JSON)".into()),
    }
}

fn pointer_of_difference(a: &Value, b: &Value, at: String) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (key, value) in x {
                let here = format!("{at}/{}", key.replace('~', "~0").replace('/', "~1"));
                match y.get(key) {
                    Some(other) => {
                        if let Some(p) = pointer_of_difference(value, other, here) {
                            return Some(p);
                        }
                    }
                    None => return Some(here),
                }
            }
            y.keys()
                .find(|k| !x.contains_key(*k))
                .map(|k| format!("{at}/{k}"))
        }
        (Value::Array(x), Value::Array(y)) => {
            for (i, (u, v)) in x.iter().zip(y).enumerate() {
                if let Some(p) = pointer_of_difference(u, v, format!("{at}/{i}")) {
                    return Some(p);
                }
            }
            (x.len() != y.len()).then(|| format!("{at}/{}", x.len().min(y.len())))
        }
        _ => (a != b).then(|| if at.is_empty() { "/".into() } else { at }),
    }
}

/// Differences between the bundled and the re-derived findings, in terms an auditor
/// follows up: top-level fields, then controls by id, then exceptions by id.
fn findings_differences(bundled: &[u8], rederived: &[u8]) -> Vec<String> {
    let (Ok(a), Ok(b)) = (
        serde_json::from_slice::<Value>(bundled),
        serde_json::from_slice::<Value>(rederived),
    ) else {
        return vec!["findings.json is not valid JSON".into()];
    };
    if a == b {
        return vec![
            "same content as re-derived, but different bytes (the file was reformatted)".into(),
        ];
    }
    let mut out = Vec::new();
    let (Some(x), Some(y)) = (a.as_object(), b.as_object()) else {
        return vec!["findings.json is not a JSON object".into()];
    };
    let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
    keys.sort();
    keys.dedup();
    for key in keys {
        let (u, v) = (x.get(key), y.get(key));
        if u == v {
            continue;
        }
        match key.as_str() {
            "controls" => keyed_differences("control", u, v, &mut out),
            "exceptions" => keyed_differences("exception", u, v, &mut out),
            _ => out.push(format!(
                "`{key}` is {} in findings.json, re-derived {}",
                short(u),
                short(v)
            )),
        }
    }
    out
}

fn keyed_differences(what: &str, a: Option<&Value>, b: Option<&Value>, out: &mut Vec<String>) {
    let index = |v: Option<&Value>| -> BTreeMap<String, Value> {
        v.and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .map(|item| {
                        let id = item
                            .get("id")
                            .and_then(Value::as_str)
                            .unwrap_or("(no id)")
                            .to_string();
                        (id, item.clone())
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let (x, y) = (index(a), index(b));
    for (id, item) in &x {
        match y.get(id) {
            None => out.push(format!(
                "{what} {id} is in findings.json but not re-derived from the evidence"
            )),
            Some(other) if other != item => {
                let fields = differing_fields(item, other);
                out.push(format!("{what} {id}: {fields}"));
            }
            Some(_) => {}
        }
    }
    for id in y.keys().filter(|id| !x.contains_key(*id)) {
        out.push(format!(
            "{what} {id} is re-derived from the evidence but missing from findings.json"
        ));
    }
    if out.is_empty() && a != b {
        out.push(format!("the {what}s are in a different order"));
    }
}

fn differing_fields(a: &Value, b: &Value) -> String {
    let (Some(x), Some(y)) = (a.as_object(), b.as_object()) else {
        return format!(
            "is {} in findings.json, re-derived {}",
            short(Some(a)),
            short(Some(b))
        );
    };
    let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| x.get(*k) != y.get(*k))
        .map(|k| {
            format!(
                "`{k}` is {} in findings.json, re-derived {}",
                short(x.get(k)),
                short(y.get(k))
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// A value in one line, cut to a readable length.
fn short(value: Option<&Value>) -> String {
    let text = value.map_or_else(|| "absent".to_string(), Value::to_string);
    if text.chars().count() > 120 {
        format!("{}…", text.chars().take(120).collect::<String>())
    } else {
        text
    }
}

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn create() -> std::io::Result<TempDir> {
        let base = std::env::temp_dir();
        let pid = std::process::id();
        let mut last = None;
        for attempt in 0..1000u32 {
            let path = base.join(format!("changeproof-reperform-{pid}-{attempt}"));
            match fs::create_dir(&path) {
                Ok(()) => return Ok(TempDir(path)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| std::io::Error::other("no free temporary directory name")))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn findings_differences_name_controls_and_exceptions() {
        let a = serde_json::json!({
            "schema": "s", "complete": true,
            "controls": [{"id": "CM-01", "exceptions": 1}, {"id": "CM-02", "exceptions": 0}],
            "exceptions": [{"id": "CM-01/acme/api/change/1/self_approval", "summary": "x"},
                           {"id": "CM-01/acme/api/change/2/no_approval", "summary": "y"}]
        });
        let b = serde_json::json!({
            "schema": "s", "complete": true,
            "controls": [{"id": "CM-01", "exceptions": 2}, {"id": "CM-02", "exceptions": 0}],
            "exceptions": [{"id": "CM-01/acme/api/change/1/self_approval", "summary": "z"},
                           {"id": "CM-01/acme/api/change/3/no_approval", "summary": "w"}]
        });
        let out = findings_differences(a.to_string().as_bytes(), b.to_string().as_bytes());
        assert_eq!(
            out,
            vec![
                "control CM-01: `exceptions` is 1 in findings.json, re-derived 2",
                "exception CM-01/acme/api/change/1/self_approval: `summary` is \"x\" in findings.json, re-derived \"z\"",
                "exception CM-01/acme/api/change/2/no_approval is in findings.json but not re-derived from the evidence",
                "exception CM-01/acme/api/change/3/no_approval is re-derived from the evidence but missing from findings.json",
            ]
        );
        let same = findings_differences(
            a.to_string().as_bytes(),
            serde_json::to_vec_pretty(&a).unwrap().as_slice(),
        );
        assert_eq!(same.len(), 1);
        assert!(same[0].contains("reformatted"));
    }

    #[test]
    fn first_difference_is_a_json_pointer() {
        let a = br#"{"changes":[{"n":1},{"n":2,"reviews":[1]}]}"#;
        let b = br#"{"changes":[{"n":1},{"n":2,"reviews":[1,2]}]}"#;
        assert_eq!(
            first_difference(a, b).as_deref(),
            Some("/changes/1/reviews/1")
        );
        assert_eq!(
            first_difference(a, br#"{ "changes": [{"n":1}, {"reviews":[1], "n":2}] }"#),
            None
        );
    }

    #[test]
    fn temp_dirs_are_fresh_and_removed() {
        let a = TempDir::create().unwrap();
        let b = TempDir::create().unwrap();
        assert_ne!(a.path(), b.path());
        let kept = a.path().to_path_buf();
        fs::write(kept.join("x"), b"x").unwrap();
        drop(a);
        assert!(!kept.exists());
    }
}
