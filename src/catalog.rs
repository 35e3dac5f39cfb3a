//! The control catalog: auditor-facing descriptions of each control, kept as data in
//! `controls/*.toml` and embedded in the binary so a bundle always carries the catalog
//! it was evaluated with. The test logic lives in `evaluate::controls`.

use serde::{Deserialize, Serialize};

use crate::findings::Severity;

#[derive(Debug, thiserror::Error)]
#[error("controls/{file}: {message}")]
pub struct CatalogError {
    pub file: String,
    pub message: String,
}

/// The catalog files, embedded at build time (sorted by id).
pub const CATALOG_FILES: &[(&str, &str)] = &[
    ("AC-01.toml", include_str!("../controls/AC-01.toml")),
    ("AC-02.toml", include_str!("../controls/AC-02.toml")),
    ("AC-03.toml", include_str!("../controls/AC-03.toml")),
    ("AC-04.toml", include_str!("../controls/AC-04.toml")),
    ("AC-05.toml", include_str!("../controls/AC-05.toml")),
    ("CM-01.toml", include_str!("../controls/CM-01.toml")),
    ("CM-02.toml", include_str!("../controls/CM-02.toml")),
    ("CM-03.toml", include_str!("../controls/CM-03.toml")),
    ("CM-04.toml", include_str!("../controls/CM-04.toml")),
    ("CM-05.toml", include_str!("../controls/CM-05.toml")),
    ("CM-06.toml", include_str!("../controls/CM-06.toml")),
    ("CM-07.toml", include_str!("../controls/CM-07.toml")),
    ("CM-08.toml", include_str!("../controls/CM-08.toml")),
    ("CM-09.toml", include_str!("../controls/CM-09.toml")),
    ("CM-10.toml", include_str!("../controls/CM-10.toml")),
    ("OP-01.toml", include_str!("../controls/OP-01.toml")),
    ("OP-02.toml", include_str!("../controls/OP-02.toml")),
    ("OP-03.toml", include_str!("../controls/OP-03.toml")),
    ("OP-04.toml", include_str!("../controls/OP-04.toml")),
];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ControlEntry {
    pub id: String,
    pub title: String,
    /// Trust Services Criteria, e.g. `CC8.1`.
    pub tsc: Vec<String>,
    /// What the control is meant to achieve, in auditor language.
    pub objective: String,
    /// How changeproof tests it, step by step, in auditor language.
    pub procedure: String,
    /// The population tested.
    pub population: String,
    /// `recurring` (many times a day), `daily`, `weekly`, `monthly`, `quarterly`, `annual`.
    pub frequency: String,
    pub severity: Severity,
    pub kinds: Vec<KindEntry>,
    #[serde(default)]
    pub parameters: Vec<ParameterEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KindEntry {
    pub kind: String,
    pub description: String,
    /// Overrides the control's severity for this kind.
    #[serde(default)]
    pub severity: Option<Severity>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParameterEntry {
    /// Config key under `[controls]` or `[access]`.
    pub name: String,
    pub default: String,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Catalog {
    pub controls: Vec<ControlEntry>,
}

impl Catalog {
    /// The built-in catalog.
    pub fn builtin() -> Result<Catalog, CatalogError> {
        let mut controls = Vec::new();
        for (file, text) in CATALOG_FILES {
            let entry: ControlEntry = toml::from_str(text).map_err(|e| CatalogError {
                file: file.to_string(),
                message: e.to_string(),
            })?;
            if format!("{}.toml", entry.id) != *file {
                return Err(CatalogError {
                    file: file.to_string(),
                    message: format!("id `{}` does not match the file name", entry.id),
                });
            }
            controls.push(entry);
        }
        Ok(Catalog { controls })
    }

    pub fn get(&self, id: &str) -> Option<&ControlEntry> {
        self.controls.iter().find(|c| c.id == id)
    }

    /// The severity of an exception kind of a control.
    pub fn severity(&self, control: &str, kind: &str) -> Option<Severity> {
        let entry = self.get(control)?;
        let kind = entry.kinds.iter().find(|k| k.kind == kind)?;
        Some(kind.severity.unwrap_or(entry.severity))
    }
}
