//! Evaluation inputs that are not API evidence: the HR roster (AC-02) and the previous
//! access snapshot (AC-05).
//!
//! They are read when the controls are evaluated (`evaluate`, `bundle`, `run`, `demo`),
//! from the paths the config names (relative to the config file) or `--previous`, and
//! travel with the evaluation into the bundle's `config/` folder (`config/hr_roster.csv`,
//! `config/previous-access.json`, listed and hashed in the manifest). The bundle's
//! `config/changeproof.toml` names these copies, so `verify --reperform` evaluates with
//! exactly the inputs the findings came from.
//!
//! A previous snapshot is a locker directory, a bundle (zip or folder; every file is
//! checked against its manifest first) or a `previous-access.json` a bundle carries. From
//! a locker or bundle only what AC-05 needs is kept: the snapshot time, the access lists,
//! the access-evidence gaps, and where it came from (file name and SHA-256 of its
//! evidence and manifest).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::locker::{EVIDENCE_FILE, Locker, META_FILE};
use crate::model::{Access, Evidence, Gap, Timestamp};
use crate::roster::{Roster, RosterError};
use crate::util::sha256_hex;

/// The bundled roster's file name under `config/`.
pub const ROSTER_FILE: &str = "hr_roster.csv";
/// The bundled previous snapshot's file name under `config/`.
pub const PREVIOUS_FILE: &str = "previous-access.json";
pub const PREVIOUS_ACCESS_SCHEMA: &str = "changeproof.previous-access/v1";

/// Evidence types whose gaps make a previous snapshot's access lists partial.
pub const ACCESS_EVIDENCE_TYPES: &[&str] = &[
    "org_members",
    "two_factor",
    "outside_collaborators",
    "repo_collaborators",
    "teams",
    "deploy_keys",
    "secrets",
];

#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error(transparent)]
    Roster(#[from] RosterError),
    #[error(
        "{path}: cannot read the HR roster named by [access].hr_roster ({error}); the path is relative to the config file's directory"
    )]
    RosterIo {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{path}: not usable as the previous snapshot for AC-05: {message}")]
    Previous { path: PathBuf, message: String },
}

/// A file the evaluation read besides the evidence and the config, as carried into the
/// bundle under `config/<name>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputFile {
    pub name: String,
    pub sha256: String,
    pub content: String,
}

impl InputFile {
    fn new(name: &str, content: String) -> InputFile {
        InputFile {
            name: name.to_string(),
            sha256: sha256_hex(content.as_bytes()),
            content,
        }
    }
}

/// The roster as read.
#[derive(Debug, Clone)]
pub struct LoadedRoster {
    pub file: InputFile,
    pub roster: Roster,
}

/// The previous snapshot as read.
#[derive(Debug, Clone)]
pub struct LoadedPrevious {
    pub file: InputFile,
    pub snapshot: PreviousAccess,
}

/// `previous-access.json`: the access lists of an earlier snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreviousAccess {
    pub schema: String,
    pub origin: PreviousOrigin,
    pub snapshot_time: Timestamp,
    pub access: Access,
    /// Gaps of the access evidence types in that snapshot.
    pub gaps: Vec<Gap>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreviousOrigin {
    /// `locker` or `bundle`.
    pub kind: String,
    /// The locker's or bundle's file name (never the full path: bundles stay portable).
    pub name: String,
    /// SHA-256 of its `evidence.json`.
    pub evidence_sha256: String,
    /// SHA-256 of a bundle's `manifest.json` (which pins every file of it).
    pub manifest_sha256: Option<String>,
}

impl PreviousAccess {
    /// One line naming the snapshot, for reasons auditors read.
    pub fn describe(&self) -> String {
        let manifest = self
            .origin
            .manifest_sha256
            .as_ref()
            .map(|m| format!(", manifest SHA-256 {m}"))
            .unwrap_or_default();
        format!(
            "the previous snapshot of {} ({} `{}`, evidence SHA-256 {}{manifest})",
            self.snapshot_time
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            self.origin.kind,
            self.origin.name,
            self.origin.evidence_sha256
        )
    }
}

/// Everything evaluation reads besides the evidence and the config.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    pub roster: Option<LoadedRoster>,
    pub previous: Option<LoadedPrevious>,
}

impl Inputs {
    /// Reads the roster the config names and the previous snapshot (`previous` overrides
    /// `[access].previous_snapshot`).
    pub fn load(config: &Config, previous: Option<&Path>) -> Result<Inputs, InputError> {
        let roster = match &config.access.hr_roster {
            None => None,
            Some(path) => Some(load_roster(&config.resolve(path))?),
        };
        let previous_path = match previous {
            Some(p) => Some(p.to_path_buf()),
            None => config
                .access
                .previous_snapshot
                .as_ref()
                .map(|p| config.resolve(p)),
        };
        let previous = match previous_path {
            None => None,
            Some(path) => Some(load_previous(&path)?),
        };
        Ok(Inputs { roster, previous })
    }

    /// The files to carry into the bundle, roster first.
    pub fn files(&self) -> Vec<InputFile> {
        self.roster
            .iter()
            .map(|r| r.file.clone())
            .chain(self.previous.iter().map(|p| p.file.clone()))
            .collect()
    }
}

/// The config as the bundle carries it: the inputs' paths name the bundled copies next
/// to it, so the bundle re-performs on its own.
pub fn bundled_config(config: &Config, files: &[InputFile]) -> Config {
    let mut config = config.clone();
    for file in files {
        match file.name.as_str() {
            ROSTER_FILE => config.access.hr_roster = Some(PathBuf::from(ROSTER_FILE)),
            PREVIOUS_FILE => config.access.previous_snapshot = Some(PathBuf::from(PREVIOUS_FILE)),
            _ => {}
        }
    }
    config
}

fn load_roster(path: &Path) -> Result<LoadedRoster, InputError> {
    let bytes = std::fs::read(path).map_err(|error| InputError::RosterIo {
        path: path.to_path_buf(),
        error,
    })?;
    let roster = Roster::parse(&bytes, &path.display().to_string())?;
    // Parsing succeeded, so the bytes are UTF-8 (a leading BOM is kept verbatim).
    let content = String::from_utf8(bytes).map_err(|_| RosterError {
        path: path.display().to_string(),
        line: 1,
        column: 0,
        message: "not UTF-8 text".into(),
    })?;
    Ok(LoadedRoster {
        file: InputFile::new(ROSTER_FILE, content),
        roster,
    })
}

fn load_previous(path: &Path) -> Result<LoadedPrevious, InputError> {
    let fail = |message: String| InputError::Previous {
        path: path.to_path_buf(),
        message,
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let snapshot = if path.is_dir() && path.join(META_FILE).is_file() {
        let locker = Locker::open(path).map_err(|e| fail(e.to_string()))?;
        let evidence_path = locker.path(EVIDENCE_FILE);
        let bytes = std::fs::read(&evidence_path).map_err(|e| {
            fail(format!(
                "cannot read {}: {e}; run `changeproof replay --locker {}` first",
                evidence_path.display(),
                path.display()
            ))
        })?;
        extract(&bytes, "locker", name, None).map_err(fail)?
    } else if path.is_dir() || path.extension().is_some_and(|e| e == "zip") {
        let (evidence, manifest_sha256) =
            crate::verify::read_checked_file(path, "evidence/evidence.json").map_err(fail)?;
        extract(&evidence, "bundle", name, Some(manifest_sha256)).map_err(fail)?
    } else {
        let bytes = std::fs::read(path).map_err(|e| fail(e.to_string()))?;
        let content = String::from_utf8(bytes).map_err(|_| fail("not UTF-8 JSON".into()))?;
        let snapshot: PreviousAccess = serde_json::from_str(&content).map_err(|e| {
            fail(format!(
                "expected a locker directory, a bundle (zip or folder) or a {PREVIOUS_FILE} ({e})"
            ))
        })?;
        if snapshot.schema != PREVIOUS_ACCESS_SCHEMA {
            return Err(fail(format!(
                "schema {:?} is not {PREVIOUS_ACCESS_SCHEMA:?}",
                snapshot.schema
            )));
        }
        // The file is carried verbatim, so the bundled copy is byte for byte what was read.
        return Ok(LoadedPrevious {
            file: InputFile::new(PREVIOUS_FILE, content),
            snapshot,
        });
    };
    let mut content = serde_json::to_string_pretty(&snapshot).map_err(|e| fail(e.to_string()))?;
    content.push('\n');
    Ok(LoadedPrevious {
        file: InputFile::new(PREVIOUS_FILE, content),
        snapshot,
    })
}

/// The access part of a previous snapshot's evidence.
fn extract(
    evidence_bytes: &[u8],
    kind: &str,
    name: String,
    manifest_sha256: Option<String>,
) -> Result<PreviousAccess, String> {
    let evidence: Evidence = serde_json::from_slice(evidence_bytes)
        .map_err(|e| format!("its evidence.json is not changeproof evidence: {e}"))?;
    if evidence.schema != crate::model::EVIDENCE_SCHEMA {
        return Err(format!(
            "its evidence schema {:?} is not {:?}",
            evidence.schema,
            crate::model::EVIDENCE_SCHEMA
        ));
    }
    Ok(PreviousAccess {
        schema: PREVIOUS_ACCESS_SCHEMA.into(),
        origin: PreviousOrigin {
            kind: kind.into(),
            name,
            evidence_sha256: sha256_hex(evidence_bytes),
            manifest_sha256,
        },
        snapshot_time: evidence.snapshot_time,
        access: evidence.access,
        gaps: evidence
            .gaps
            .into_iter()
            .filter(|g| ACCESS_EVIDENCE_TYPES.contains(&g.evidence_type.as_str()))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(dir: &Path, access: &str) -> Config {
        let text = format!(
            "[audit]\nname = \"t\"\nwindow = {{ start = \"2026-07-01\", end = \"2026-10-01\" }}\n[access]\n{access}\n"
        );
        Config::parse(&text, &dir.join("c.toml"), dir.to_path_buf()).unwrap()
    }

    #[test]
    fn no_inputs_configured_reads_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let inputs = Inputs::load(&config(dir.path(), ""), None).unwrap();
        assert!(inputs.roster.is_none() && inputs.previous.is_none());
        assert!(inputs.files().is_empty());
    }

    #[test]
    fn roster_is_read_relative_to_the_config_and_errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let c = config(dir.path(), "hr_roster = \"people/hr.csv\"");
        let err = Inputs::load(&c, None).unwrap_err().to_string();
        assert!(
            err.contains("people/hr.csv: cannot read the HR roster"),
            "{err}"
        );
        std::fs::create_dir(dir.path().join("people")).unwrap();
        std::fs::write(
            dir.path().join("people/hr.csv"),
            "login,email,name,status,termination_date\nbob,,Bob,active,2026-01-01\n",
        )
        .unwrap();
        let err = Inputs::load(&c, None).unwrap_err().to_string();
        assert!(
            err.contains("people/hr.csv:2:5: a termination_date"),
            "{err}"
        );
        let text = "login,email,name,status,termination_date\nbob,,Bob,active,\n";
        std::fs::write(dir.path().join("people/hr.csv"), text).unwrap();
        let inputs = Inputs::load(&c, None).unwrap();
        let files = inputs.files();
        assert_eq!(files.len(), 1);
        assert_eq!(
            (files[0].name.as_str(), files[0].content.as_str()),
            (ROSTER_FILE, text)
        );
        let bundled = bundled_config(&c, &files);
        assert_eq!(bundled.access.hr_roster, Some(PathBuf::from(ROSTER_FILE)));
    }

    #[test]
    fn previous_snapshot_from_a_locker_round_trips_through_its_bundled_form() {
        let dir = tempfile::tempdir().unwrap();
        let locker = dir.path().join("q2");
        let writer = crate::locker::LockerWriter::create(&locker).unwrap();
        writer
            .write_meta(&crate::locker::LockerMeta {
                schema: crate::locker::LOCKER_SCHEMA.into(),
                tool_version: "t".into(),
                snapshot_time: "2026-07-06T09:00:00Z".parse().unwrap(),
                window: crate::locker::Window {
                    start: "2026-04-01T00:00:00Z".parse().unwrap(),
                    end: "2026-07-01T00:00:00Z".parse().unwrap(),
                },
                sources: vec![],
                complete: true,
                missing: vec![],
            })
            .unwrap();
        let mut evidence = Evidence {
            schema: crate::model::EVIDENCE_SCHEMA.into(),
            snapshot_time: "2026-07-06T09:00:00Z".parse().unwrap(),
            ..Evidence::default()
        };
        evidence.gaps.push(Gap {
            source: "s".into(),
            evidence_type: "pull_requests".into(),
            repo: None,
            status: None,
            reason: "not access".into(),
        });
        evidence.gaps.push(Gap {
            source: "s".into(),
            evidence_type: "teams".into(),
            repo: None,
            status: Some(403),
            reason: "no teams".into(),
        });
        let locker = writer.finish().unwrap();
        locker.write_evidence(&evidence).unwrap();

        let c = config(dir.path(), "previous_snapshot = \"q2\"");
        let inputs = Inputs::load(&c, None).unwrap();
        let previous = inputs.previous.unwrap();
        assert_eq!(previous.snapshot.origin.kind, "locker");
        assert_eq!(previous.snapshot.origin.name, "q2");
        assert_eq!(previous.snapshot.gaps.len(), 1, "only access gaps are kept");
        assert!(
            previous
                .snapshot
                .describe()
                .contains("2026-07-06T09:00:00Z")
        );

        // The bundled copy reads back as the same snapshot and the same bytes.
        std::fs::write(dir.path().join(PREVIOUS_FILE), &previous.file.content).unwrap();
        let again = Inputs::load(&c, Some(&dir.path().join(PREVIOUS_FILE))).unwrap();
        let again = again.previous.unwrap();
        assert_eq!(again.snapshot, previous.snapshot);
        assert_eq!(again.file, previous.file);

        let err = Inputs::load(&c, Some(&dir.path().join("c.toml")))
            .unwrap_err()
            .to_string();
        assert!(err.contains("not usable as the previous snapshot"), "{err}");
    }
}
