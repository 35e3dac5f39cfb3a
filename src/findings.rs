//! `findings.json` (SPEC §4): the machine-readable contract auditors and scripts key on.
//! Field names and exception ids are public: they may grow, never change meaning.

use serde::{Deserialize, Serialize};

use crate::locker::Window;

pub const FINDINGS_SCHEMA: &str = "changeproof.findings/v1";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Findings {
    pub schema: String,
    pub window: Window,
    /// False when the collection was incomplete: every output says INCOMPLETE.
    pub complete: bool,
    /// What the collection could not obtain (empty when complete).
    pub missing: Vec<String>,
    pub controls: Vec<ControlResult>,
    /// Sorted by id.
    pub exceptions: Vec<Exception>,
    /// What the waivers file did (SPEC §5): applied, expired and unused waivers. Absent
    /// when the config names no waivers file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waivers: Option<crate::waivers::WaiverSummary>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ControlResult {
    pub id: String,
    pub title: String,
    pub tsc: Vec<String>,
    pub result: ResultKind,
    pub population: u64,
    pub tested: u64,
    /// Exceptions, open and waived.
    pub exceptions: u64,
    pub waived: u64,
    /// Why the control is `not_tested`, or the zero-row query behind `not_applicable`,
    /// or which records could not be judged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResultKind {
    Effective,
    Exceptions,
    NotTested,
    NotApplicable,
}

impl ResultKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ResultKind::Effective => "effective",
            ResultKind::Exceptions => "exceptions",
            ResultKind::NotTested => "not_tested",
            ResultKind::NotApplicable => "not_applicable",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubjectType {
    Change,
    Commit,
    Deployment,
    Account,
    Branch,
    DeployKey,
    Secret,
    Org,
    Source,
}

impl SubjectType {
    pub const ALL: [SubjectType; 9] = [
        SubjectType::Change,
        SubjectType::Commit,
        SubjectType::Deployment,
        SubjectType::Account,
        SubjectType::Branch,
        SubjectType::DeployKey,
        SubjectType::Secret,
        SubjectType::Org,
        SubjectType::Source,
    ];

    /// The subject type named as in findings.json (`deploy_key` …).
    pub fn parse(name: &str) -> Option<SubjectType> {
        SubjectType::ALL.into_iter().find(|t| t.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SubjectType::Change => "change",
            SubjectType::Commit => "commit",
            SubjectType::Deployment => "deployment",
            SubjectType::Account => "account",
            SubjectType::Branch => "branch",
            SubjectType::DeployKey => "deploy_key",
            SubjectType::Secret => "secret",
            SubjectType::Org => "org",
            SubjectType::Source => "source",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Low,
    Medium,
    High,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExceptionStatus {
    Open,
    Waived,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exception {
    /// `control/repo/subject_type/subject/kind`, stable across runs.
    pub id: String,
    pub control: String,
    pub kind: String,
    pub severity: Severity,
    pub repo: String,
    pub subject_type: SubjectType,
    pub subject: String,
    pub summary: String,
    pub url: String,
    /// Raw evidence references (`sha256:<hash>#<JSON pointer>`).
    pub evidence: Vec<crate::model::EvidenceRef>,
    pub status: ExceptionStatus,
    // Boxed: a waiver is rare, and a quarter of a million exceptions each had room
    // for one inline (120 bytes).
    pub waiver: Option<Box<WaiverRef>>,
    /// Kind-specific facts, e.g. CM-04's `basis`, CM-10's failing settings.
    #[serde(default, skip_serializing_if = "Detail::is_empty")]
    pub detail: Detail,
}

/// An exception's kind-specific facts: a JSON object, held as its compact JSON text.
///
/// A run can hold hundreds of thousands of exceptions until the bundle is written, and
/// as a parsed map (keys, values, hash index, nested maps) the detail of each cost
/// about six times its text: at a million changes the details outweighed the rest of
/// the exceptions (docs/benchmarks.md). Readers parse it when they need it; it is
/// written into `findings.json` exactly as the map was.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Detail(Option<Box<str>>);

impl Detail {
    /// The detail of `map`; no text at all when the map is empty.
    pub fn new(map: &serde_json::Map<String, serde_json::Value>) -> Detail {
        if map.is_empty() {
            return Detail(None);
        }
        // A map of JSON values always serializes.
        Detail(serde_json::to_string(map).ok().map(String::into_boxed_str))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    /// The compact JSON text of the object (`{}` when empty).
    pub fn as_json(&self) -> &str {
        self.0.as_deref().unwrap_or("{}")
    }

    /// The object, parsed (in the order it was built).
    pub fn to_map(&self) -> serde_json::Map<String, serde_json::Value> {
        match &self.0 {
            // The text was written from a map, so it parses back into one.
            Some(text) => serde_json::from_str(text).unwrap_or_default(),
            None => serde_json::Map::new(),
        }
    }

    /// One fact, parsed.
    pub fn get(&self, key: &str) -> Option<serde_json::Value> {
        self.to_map().remove(key)
    }
}

impl From<serde_json::Map<String, serde_json::Value>> for Detail {
    fn from(map: serde_json::Map<String, serde_json::Value>) -> Detail {
        Detail::new(&map)
    }
}

impl std::fmt::Debug for Detail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_json())
    }
}

impl Serialize for Detail {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Parsed and written as a map, so the writer's layout (pretty or compact) applies.
        self.to_map().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Detail {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Detail, D::Error> {
        let map = serde_json::Map::deserialize(deserializer)?;
        Ok(Detail::new(&map))
    }
}

impl Exception {
    pub fn make_id(
        control: &str,
        repo: &str,
        subject_type: SubjectType,
        subject: &str,
        kind: &str,
    ) -> String {
        format!(
            "{control}/{repo}/{}/{subject}/{kind}",
            subject_type.as_str()
        )
    }
}

/// The waiver that applies to an exception (SPEC §5).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaiverRef {
    pub reason: String,
    pub approved_by: String,
    pub approved_at: String,
    pub expires: Option<String>,
    /// Where the waiver is written: `waivers.toml:12` (file as the config names it, line
    /// of its `[[waiver]]` header).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

impl Findings {
    /// Number of open (not waived) exceptions: decides the exit code.
    pub fn open_exceptions(&self) -> usize {
        self.exceptions
            .iter()
            .filter(|e| e.status == ExceptionStatus::Open)
            .count()
    }

    /// Pretty JSON with a trailing newline: the exact bytes of `findings.json`.
    pub fn to_json_bytes(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).expect("findings serialize");
        bytes.push(b'\n');
        bytes
    }
}

#[cfg(test)]
mod tests {
    use super::Detail;
    use serde_json::{Map, Value, json};

    fn map(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => unreachable!("an object"),
        }
    }

    #[test]
    fn a_detail_is_written_exactly_as_its_map_in_either_layout() {
        // Keys out of alphabetical order, nesting, numbers, escapes: kept as built.
        let built = map(json!({
            "zeta": 1, "alpha": [1.5, "two", null], "nested": {"b": true, "a": "Zoë \"q\""}
        }));
        let detail = Detail::new(&built);
        assert_eq!(
            serde_json::to_string(&detail).unwrap(),
            serde_json::to_string(&built).unwrap()
        );
        assert_eq!(
            serde_json::to_string_pretty(&detail).unwrap(),
            serde_json::to_string_pretty(&built).unwrap()
        );
        assert_eq!(detail.as_json(), serde_json::to_string(&built).unwrap());
        assert_eq!(detail.to_map(), built);
        assert_eq!(detail.get("zeta"), Some(json!(1)));
        assert_eq!(detail.get("missing"), None);
        let back: Detail = serde_json::from_str(detail.as_json()).unwrap();
        assert_eq!(back, detail);
    }

    #[test]
    fn an_empty_detail_holds_nothing_and_reads_as_an_empty_object() {
        let empty = Detail::new(&Map::new());
        assert!(empty.is_empty());
        assert_eq!(empty, Detail::default());
        assert_eq!(empty.as_json(), "{}");
        assert!(empty.to_map().is_empty());
        assert_eq!(serde_json::to_string(&empty).unwrap(), "{}");
        let back: Detail = serde_json::from_str("{}").unwrap();
        assert!(back.is_empty());
        assert!(!Detail::new(&map(json!({"a": 1}))).is_empty());
    }
}
