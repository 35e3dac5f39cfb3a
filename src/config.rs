//! The TOML configuration (SPEC §10). Unknown keys are errors naming their line, so a
//! typo never silently changes an audit. Every parameter has a documented default; the
//! effective config (defaults filled in) is written into the locker and the bundle.

use std::fmt;
use std::path::{Path, PathBuf};

use chrono::{NaiveDate, NaiveTime, TimeZone, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::locker::Window;
use crate::model::Timestamp;
use crate::util::glob_match;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read the config: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: {message}")]
    Invalid {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub audit: Audit,
    #[serde(default, rename = "source")]
    pub sources: Vec<Source>,
    #[serde(default)]
    pub scope: Scope,
    #[serde(default)]
    pub controls: ControlParams,
    #[serde(default)]
    pub access: AccessParams,
    #[serde(default)]
    pub sampling: Sampling,
    #[serde(default)]
    pub output: Output,
    /// Directory of the config file: relative paths in it are relative to this.
    #[serde(skip)]
    pub base_dir: PathBuf,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Audit {
    pub name: String,
    pub window: WindowSpec,
    /// IANA time zone for business hours (OP-01).
    #[serde(default = "default_timezone")]
    pub timezone: String,
}

fn default_timezone() -> String {
    "UTC".into()
}

impl Audit {
    /// The IANA time zone of `timezone` (validated when the config is read).
    pub fn time_zone(&self) -> Result<chrono_tz::Tz, String> {
        self.timezone.parse::<chrono_tz::Tz>().map_err(|_| {
            format!(
                "[audit].timezone `{}` is not an IANA time zone name; write e.g. \"UTC\", \"America/New_York\" or \"Europe/Berlin\"",
                self.timezone
            )
        })
    }
}

/// Business hours (OP-01) as local times of day: `[start, end)`; an end of `24:00` is
/// the end of the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BusinessHours {
    /// Minutes after local midnight.
    pub start_minute: u32,
    pub end_minute: u32,
}

impl BusinessHours {
    pub fn parse(text: &str) -> Result<BusinessHours, String> {
        let err = || {
            format!(
                "[controls].business_hours `{text}` is not a range of local times; write \"HH:MM-HH:MM\" with the start before the end, e.g. \"08:00-20:00\""
            )
        };
        let minute = |part: &str| -> Option<u32> {
            let (h, m) = part.trim().split_once(':')?;
            if h.len() != 2 || m.len() != 2 {
                return None;
            }
            let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
            (m < 60 && (h < 24 || (h == 24 && m == 0))).then_some(h * 60 + m)
        };
        let (start, end) = text.split_once('-').ok_or_else(err)?;
        let (start, end) = (minute(start).ok_or_else(err)?, minute(end).ok_or_else(err)?);
        if start >= end {
            return Err(err());
        }
        Ok(BusinessHours {
            start_minute: start,
            end_minute: end,
        })
    }

    /// Whether a local time of day (minutes and seconds after midnight) is inside.
    pub fn contains(&self, seconds_after_midnight: u32) -> bool {
        let (start, end) = (self.start_minute * 60, self.end_minute * 60);
        start <= seconds_after_midnight && seconds_after_midnight < end
    }
}

/// Parses `business_days` (`Mon` … `Sun`, any case; full names accepted).
pub fn parse_business_days(days: &[String]) -> Result<Vec<chrono::Weekday>, String> {
    let mut out = Vec::new();
    for day in days {
        let weekday = day.trim().parse::<chrono::Weekday>().map_err(|_| {
            format!(
                "[controls].business_days: `{day}` is not a day of the week; write Mon, Tue, Wed, Thu, Fri, Sat or Sun"
            )
        })?;
        if !out.contains(&weekday) {
            out.push(weekday);
        }
    }
    Ok(out)
}

/// `[start, end)` as dates (`2026-07-01`, midnight UTC) or RFC 3339 times.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowSpec {
    pub start: TimeSpec,
    pub end: TimeSpec,
}

impl WindowSpec {
    pub fn window(&self) -> Window {
        Window {
            start: self.start.0,
            end: self.end.0,
        }
    }
}

/// A time given in the config as a date or an RFC 3339 time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeSpec(pub Timestamp);

impl TimeSpec {
    pub fn parse(text: &str) -> Result<TimeSpec, String> {
        if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            return Ok(TimeSpec(
                Utc.from_utc_datetime(&date.and_time(NaiveTime::MIN)),
            ));
        }
        chrono::DateTime::parse_from_rfc3339(text)
            .map(|t| TimeSpec(t.with_timezone(&Utc)))
            .map_err(|_| {
                format!(
                    "`{text}` is neither a date (2026-07-01) nor an RFC 3339 time (2026-07-01T00:00:00Z)"
                )
            })
    }
}

impl<'de> Deserialize<'de> for TimeSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        TimeSpec::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl Serialize for TimeSpec {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
    }
}

/// A duration written as a number and a unit: `90s`, `30m`, `72h`, `365d`, `2w`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DurationSpec {
    pub seconds: i64,
    text_unit: char,
}

impl DurationSpec {
    pub fn parse(text: &str) -> Result<DurationSpec, String> {
        let err = || {
            format!(
                "`{text}` is not a duration; write a number and a unit: 90s, 30m, 72h, 365d, 2w"
            )
        };
        let unit = text.chars().last().ok_or_else(err)?;
        let number: i64 = text[..text.len() - unit.len_utf8()]
            .parse()
            .map_err(|_| err())?;
        let scale = match unit {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 7 * 86_400,
            _ => return Err(err()),
        };
        if number < 0 {
            return Err(err());
        }
        Ok(DurationSpec {
            seconds: number.checked_mul(scale).ok_or_else(err)?,
            text_unit: unit,
        })
    }

    pub fn duration(&self) -> chrono::Duration {
        chrono::Duration::seconds(self.seconds)
    }

    fn hours(h: i64) -> DurationSpec {
        DurationSpec {
            seconds: h * 3600,
            text_unit: 'h',
        }
    }

    fn days(d: i64) -> DurationSpec {
        DurationSpec {
            seconds: d * 86_400,
            text_unit: 'd',
        }
    }
}

impl fmt::Display for DurationSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scale = match self.text_unit {
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 7 * 86_400,
            _ => 1,
        };
        if self.seconds % scale == 0 {
            write!(f, "{}{}", self.seconds / scale, self.text_unit)
        } else {
            write!(f, "{}s", self.seconds)
        }
    }
}

impl<'de> Deserialize<'de> for DurationSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        DurationSpec::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl Serialize for DurationSpec {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    Github,
    Gitlab,
    File,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub kind: SourceKind,
    pub name: String,
    #[serde(default)]
    pub api_url: Option<String>,
    #[serde(default)]
    pub org: Option<String>,
    /// Globs over the org's repositories.
    #[serde(default = "default_all")]
    pub repos: Vec<String>,
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Name of the environment variable holding the token (never the token itself).
    #[serde(default)]
    pub token_env: Option<String>,
    #[serde(default)]
    pub app: Option<AppAuth>,
    /// `kind = "file"`: the deployment export to import (relative to the config file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<PathBuf>,
    /// `kind = "file"`: `csv`, `json` or `ndjson`; by default from the file's extension.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<crate::deployment_import::FileFormat>,
}

impl Source {
    /// The layout of a file source's export: `format`, else the extension of `path`.
    pub fn file_format(&self) -> Option<crate::deployment_import::FileFormat> {
        self.format.or_else(|| {
            self.path
                .as_ref()
                .and_then(|p| crate::deployment_import::FileFormat::from_path(&p.to_string_lossy()))
        })
    }

    pub fn api_url(&self) -> String {
        match (&self.api_url, self.kind) {
            (Some(url), _) => url.trim_end_matches('/').to_string(),
            (None, SourceKind::Github) => "https://api.github.com".into(),
            (None, SourceKind::Gitlab) => "https://gitlab.com/api/v4".into(),
            (None, SourceKind::File) => String::new(),
        }
    }

    /// Whether a repository name (without owner) is in this source's scope.
    pub fn includes_repo(&self, name: &str) -> bool {
        self.repos.iter().any(|p| glob_match(p, name))
            && !self.exclude.iter().any(|p| glob_match(p, name))
    }
}

fn default_all() -> Vec<String> {
    vec!["*".into()]
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppAuth {
    pub id: u64,
    pub installation_id: u64,
    pub private_key_file: PathBuf,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scope {
    /// Branch patterns; `{default}` is the repository's default branch.
    #[serde(default = "default_production_branches")]
    pub production_branches: Vec<String>,
    #[serde(default = "default_production_environments")]
    pub production_environments: Vec<String>,
}

impl Default for Scope {
    fn default() -> Self {
        Scope {
            production_branches: default_production_branches(),
            production_environments: default_production_environments(),
        }
    }
}

fn default_production_branches() -> Vec<String> {
    vec!["{default}".into()]
}

fn default_production_environments() -> Vec<String> {
    vec!["production".into()]
}

impl Scope {
    /// Whether `branch` is a production branch of a repository whose default branch is
    /// `default_branch`.
    pub fn is_production_branch(&self, branch: &str, default_branch: &str) -> bool {
        self.production_branches.iter().any(|p| {
            if p == "{default}" {
                branch == default_branch
            } else {
                glob_match(p, branch)
            }
        })
    }

    pub fn is_production_environment(&self, environment: &str) -> bool {
        self.production_environments
            .iter()
            .any(|p| glob_match(p, environment))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ControlParams {
    #[serde(default = "one")]
    pub min_approvals: u32,
    #[serde(default)]
    pub bots: Vec<String>,
    #[serde(default = "default_emergency_labels")]
    pub emergency_labels: Vec<String>,
    #[serde(default = "default_emergency_review_within")]
    pub emergency_review_within: DurationSpec,
    #[serde(default = "yes")]
    pub require_checks: bool,
    #[serde(default = "yes")]
    pub require_deployment_approval: bool,
    #[serde(default = "default_business_hours")]
    pub business_hours: String,
    #[serde(default = "default_business_days")]
    pub business_days: Vec<String>,
    #[serde(default = "default_recovery_within")]
    pub recovery_within: DurationSpec,
    /// Per-repository overrides, e.g. two approvals on payment services:
    /// `[[controls.repository]] repos = ["acme/payments-*"], min_approvals = 2`.
    /// The last matching entry wins.
    #[serde(default)]
    pub repository: Vec<RepositoryOverride>,
}

impl Default for ControlParams {
    fn default() -> Self {
        ControlParams {
            min_approvals: 1,
            bots: Vec::new(),
            emergency_labels: default_emergency_labels(),
            emergency_review_within: default_emergency_review_within(),
            require_checks: true,
            require_deployment_approval: true,
            business_hours: default_business_hours(),
            business_days: default_business_days(),
            recovery_within: default_recovery_within(),
            repository: Vec::new(),
        }
    }
}

impl ControlParams {
    /// `min_approvals` in force for a repository (`owner/name`).
    pub fn min_approvals_for(&self, repo: &str) -> u32 {
        self.repository
            .iter()
            .rev()
            .find(|o| o.min_approvals.is_some() && o.repos.iter().any(|p| glob_match(p, repo)))
            .and_then(|o| o.min_approvals)
            .unwrap_or(self.min_approvals)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepositoryOverride {
    /// Globs over `owner/name`.
    pub repos: Vec<String>,
    #[serde(default)]
    pub min_approvals: Option<u32>,
}

fn one() -> u32 {
    1
}
fn yes() -> bool {
    true
}
fn default_emergency_labels() -> Vec<String> {
    vec!["emergency".into(), "hotfix".into()]
}
fn default_emergency_review_within() -> DurationSpec {
    DurationSpec::hours(72)
}
fn default_business_hours() -> String {
    "08:00-20:00".into()
}
fn default_business_days() -> Vec<String> {
    ["Mon", "Tue", "Wed", "Thu", "Fri"]
        .map(String::from)
        .to_vec()
}
fn default_recovery_within() -> DurationSpec {
    DurationSpec::hours(24)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessParams {
    #[serde(default)]
    pub hr_roster: Option<PathBuf>,
    #[serde(default)]
    pub service_accounts: Vec<String>,
    #[serde(default = "three")]
    pub max_org_owners: u32,
    #[serde(default)]
    pub approved_admins: Vec<String>,
    #[serde(default)]
    pub allowed_write_deploy_keys: Vec<AllowedDeployKey>,
    #[serde(default = "default_max_secret_age")]
    pub max_secret_age: DurationSpec,
    /// AC-05: the previous snapshot to diff the access grants against: a previous locker
    /// directory, a previous bundle (zip or folder), or a `previous-access.json` a bundle
    /// carries. `changeproof evaluate|bundle|run --previous PATH` overrides it.
    #[serde(default)]
    pub previous_snapshot: Option<PathBuf>,
}

impl Default for AccessParams {
    fn default() -> Self {
        AccessParams {
            hr_roster: None,
            service_accounts: Vec::new(),
            max_org_owners: 3,
            approved_admins: Vec::new(),
            allowed_write_deploy_keys: Vec::new(),
            max_secret_age: default_max_secret_age(),
            previous_snapshot: None,
        }
    }
}

fn three() -> u32 {
    3
}
fn default_max_secret_age() -> DurationSpec {
    DurationSpec::days(365)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowedDeployKey {
    pub repo: String,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub id: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sampling {
    /// The auditor's seed; without one no sample is drawn (`--seed` overrides it).
    #[serde(default)]
    pub seed: Option<String>,
    /// Sample size of recurring (many times a day) controls: 25, 40 or 60.
    #[serde(default = "default_recurring_sample_size")]
    pub recurring_sample_size: u32,
}

impl Default for Sampling {
    fn default() -> Self {
        Sampling {
            seed: None,
            recurring_sample_size: default_recurring_sample_size(),
        }
    }
}

fn default_recurring_sample_size() -> u32 {
    crate::sampling::RECURRING_SIZES[0]
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Output {
    #[serde(default)]
    pub waivers: Option<PathBuf>,
    #[serde(default)]
    pub signing_key: Option<PathBuf>,
    /// The generation time printed in the bundle. Default: `SOURCE_DATE_EPOCH` if set,
    /// else the locker's snapshot time, so a bundle never depends on the wall clock.
    #[serde(default)]
    pub generated_at: Option<TimeSpec>,
}

impl Config {
    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let base_dir = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        Config::parse(&text, path, base_dir)
    }

    /// Parses config text; `path` is only used to name the file in errors.
    pub fn parse(text: &str, path: &Path, base_dir: PathBuf) -> Result<Config, ConfigError> {
        let mut config: Config = toml::from_str(text).map_err(|e| {
            let (line, column) = e.span().map(|s| line_col(text, s.start)).unwrap_or((1, 1));
            ConfigError::Invalid {
                path: path.to_path_buf(),
                line,
                column,
                message: format!(
                    "{}; see docs/configuration.md for every key",
                    e.message().trim_end()
                ),
            }
        })?;
        config.base_dir = base_dir;
        config.validate(text, path)?;
        Ok(config)
    }

    fn validate(&self, text: &str, path: &Path) -> Result<(), ConfigError> {
        let invalid = |key: &str, message: String| {
            let (line, column) = key_position(text, key);
            ConfigError::Invalid {
                path: path.to_path_buf(),
                line,
                column,
                message,
            }
        };
        let window = self.audit.window.window();
        if window.start >= window.end {
            return Err(invalid(
                "window",
                "[audit].window: start must be before end (the window is [start, end))".into(),
            ));
        }
        self.audit
            .time_zone()
            .map_err(|message| invalid("timezone", message))?;
        BusinessHours::parse(&self.controls.business_hours)
            .map_err(|message| invalid("business_hours", message))?;
        parse_business_days(&self.controls.business_days)
            .map_err(|message| invalid("business_days", message))?;
        if self.controls.min_approvals == 0 {
            return Err(invalid(
                "min_approvals",
                "[controls].min_approvals must be at least 1".into(),
            ));
        }
        if !crate::sampling::RECURRING_SIZES.contains(&self.sampling.recurring_sample_size) {
            return Err(invalid(
                "recurring_sample_size",
                format!(
                    "[sampling].recurring_sample_size must be 25, 40 or 60 (the sample sizes for controls that operate many times a day), not {}",
                    self.sampling.recurring_sample_size
                ),
            ));
        }
        if self.sampling.seed.as_deref().is_some_and(|s| s.is_empty()) {
            return Err(invalid(
                "seed",
                "[sampling].seed is empty; give the auditor's seed, or remove the key to draw no sample".into(),
            ));
        }
        let mut names = std::collections::BTreeSet::new();
        for source in &self.sources {
            if !names.insert(source.name.as_str()) {
                return Err(invalid(
                    "name",
                    format!(
                        "[[source]] name `{}` is used twice; give each source its own name",
                        source.name
                    ),
                ));
            }
            if source.kind == SourceKind::Github && source.org.is_none() {
                return Err(invalid(
                    "kind",
                    format!("[[source]] `{}`: a github source needs `org`", source.name),
                ));
            }
            match (source.kind, &source.path) {
                (SourceKind::File, None) => {
                    return Err(invalid(
                        "kind",
                        format!(
                            "[[source]] `{}`: a file source needs `path`, the deployment export to import (docs/file-import.md)",
                            source.name
                        ),
                    ));
                }
                (SourceKind::File, Some(_)) if source.file_format().is_none() => {
                    return Err(invalid(
                        "path",
                        format!(
                            "[[source]] `{}`: the file's extension does not say its format; add `format = \"csv\"`, `\"json\"` or `\"ndjson\"`",
                            source.name
                        ),
                    ));
                }
                (SourceKind::Github | SourceKind::Gitlab, Some(_)) => {
                    return Err(invalid(
                        "path",
                        format!(
                            "[[source]] `{}`: `path` is for file sources (kind = \"file\")",
                            source.name
                        ),
                    ));
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Resolves a path from the config relative to the config file's directory.
    pub fn resolve(&self, path: &Path) -> PathBuf {
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.base_dir.join(path)
        }
    }

    /// The effective config with every default written out, as TOML.
    pub fn to_effective_toml(&self) -> String {
        toml::to_string_pretty(self).expect("config serializes to TOML")
    }

    /// Whether `login` is a bot by config (`bots`), besides the forge's own account type.
    pub fn is_listed_bot(&self, login: &str) -> bool {
        self.controls
            .bots
            .iter()
            .any(|b| b.eq_ignore_ascii_case(login))
    }
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    (line, column)
}

/// Position of the first `key =` assignment in the text (for semantic errors that serde
/// cannot place), or line 1 when the key is absent.
fn key_position(text: &str, key: &str) -> (usize, usize) {
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if let Some(rest) = trimmed.strip_prefix(key)
            && rest.trim_start().starts_with('=')
        {
            return (index + 1, line.len() - trimmed.len() + 1);
        }
    }
    (1, 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
[audit]
name = "Acme"
window = { start = "2026-07-01", end = "2026-10-01" }
"#;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("changeproof.toml"), PathBuf::from("."))
    }

    #[test]
    fn minimal_config_gets_the_documented_defaults() {
        let config = parse(MINIMAL).unwrap();
        assert_eq!(config.controls.min_approvals, 1);
        assert_eq!(config.controls.emergency_review_within.seconds, 72 * 3600);
        assert_eq!(config.access.max_secret_age.seconds, 365 * 86_400);
        assert_eq!(config.scope.production_branches, vec!["{default}"]);
        assert!(config.controls.require_checks);
        assert_eq!(
            config.audit.window.window().start.to_rfc3339(),
            "2026-07-01T00:00:00+00:00"
        );
    }

    #[test]
    fn unknown_key_is_an_error_with_its_line() {
        let text = format!("{MINIMAL}\n[controls]\nmin_aprovals = 2\n");
        let err = parse(&text).unwrap_err().to_string();
        assert!(err.starts_with("changeproof.toml:7:"), "{err}");
        assert!(err.contains("min_aprovals"), "{err}");
    }

    #[test]
    fn bad_duration_names_the_line_and_the_expected_form() {
        let text = format!("{MINIMAL}\n[controls]\nemergency_review_within = \"3 days\"\n");
        let err = parse(&text).unwrap_err().to_string();
        assert!(err.starts_with("changeproof.toml:7:"), "{err}");
        assert!(err.contains("72h"), "{err}");
    }

    #[test]
    fn empty_window_is_rejected() {
        let text = MINIMAL.replace("2026-10-01", "2026-07-01");
        let err = parse(&text).unwrap_err().to_string();
        assert!(err.contains("changeproof.toml:4:"), "{err}");
        assert!(err.contains("start must be before end"), "{err}");
    }

    #[test]
    fn unknown_time_zone_is_an_error_with_its_line() {
        let text = MINIMAL.replace("window = {", "timezone = \"America/New_Yrok\"\nwindow = {");
        let err = parse(&text).unwrap_err().to_string();
        assert!(err.starts_with("changeproof.toml:4:"), "{err}");
        assert!(
            err.contains("America/New_Yrok") && err.contains("IANA"),
            "{err}"
        );
        let text = MINIMAL.replace("window = {", "timezone = \"Europe/Berlin\"\nwindow = {");
        let config = parse(&text).unwrap();
        assert_eq!(config.audit.time_zone().unwrap(), chrono_tz::Europe::Berlin);
        assert_eq!(
            parse(MINIMAL).unwrap().audit.time_zone().unwrap(),
            chrono_tz::UTC
        );
    }

    #[test]
    fn business_hours_and_days_are_validated() {
        let hours = BusinessHours::parse("08:00-20:00").unwrap();
        assert!(hours.contains(8 * 3600));
        assert!(hours.contains(20 * 3600 - 1));
        assert!(!hours.contains(20 * 3600));
        assert!(!hours.contains(8 * 3600 - 1));
        assert!(
            BusinessHours::parse("00:00-24:00")
                .unwrap()
                .contains(86_399)
        );
        for bad in ["8-20", "20:00-08:00", "08:00", "08:00-25:00", "08:60-09:00"] {
            assert!(BusinessHours::parse(bad).is_err(), "{bad}");
        }
        let text = format!("{MINIMAL}\n[controls]\nbusiness_hours = \"9 to 5\"\n");
        let err = parse(&text).unwrap_err().to_string();
        assert!(err.starts_with("changeproof.toml:7:"), "{err}");
        let text = format!("{MINIMAL}\n[controls]\nbusiness_days = [\"Mon\", \"Fry\"]\n");
        let err = parse(&text).unwrap_err().to_string();
        assert!(
            err.starts_with("changeproof.toml:7:") && err.contains("Fry"),
            "{err}"
        );
        let days = parse_business_days(&["mon".into(), "Tuesday".into()]).unwrap();
        assert_eq!(days, [chrono::Weekday::Mon, chrono::Weekday::Tue]);
    }

    #[test]
    fn repository_override_applies_to_matching_repos_only() {
        let text = format!(
            "{MINIMAL}\n[controls]\nmin_approvals = 1\n[[controls.repository]]\nrepos = [\"acme/pay*\"]\nmin_approvals = 2\n"
        );
        let config = parse(&text).unwrap();
        assert_eq!(config.controls.min_approvals_for("acme/payments"), 2);
        assert_eq!(config.controls.min_approvals_for("acme/api"), 1);
    }

    #[test]
    fn recurring_sample_size_is_25_40_or_60() {
        assert_eq!(parse(MINIMAL).unwrap().sampling.recurring_sample_size, 25);
        let text = format!("{MINIMAL}\n[sampling]\nseed = \"s\"\nrecurring_sample_size = 40\n");
        assert_eq!(parse(&text).unwrap().sampling.recurring_sample_size, 40);
        let text = format!("{MINIMAL}\n[sampling]\nrecurring_sample_size = 30\n");
        let err = parse(&text).unwrap_err().to_string();
        assert!(err.starts_with("changeproof.toml:7:"), "{err}");
        assert!(err.contains("25, 40 or 60"), "{err}");
        let text = format!("{MINIMAL}\n[sampling]\nseed = \"\"\n");
        assert!(
            parse(&text)
                .unwrap_err()
                .to_string()
                .contains("seed is empty")
        );
    }

    #[test]
    fn effective_config_round_trips() {
        let config = parse(MINIMAL).unwrap();
        let again = parse(&config.to_effective_toml()).unwrap();
        assert_eq!(config, again);
    }

    #[test]
    fn production_branch_patterns() {
        let scope = Scope {
            production_branches: vec!["{default}".into(), "release/*".into()],
            production_environments: vec!["production".into(), "prod-*".into()],
        };
        assert!(scope.is_production_branch("main", "main"));
        assert!(scope.is_production_branch("release/2.1", "main"));
        assert!(!scope.is_production_branch("develop", "main"));
        assert!(scope.is_production_environment("prod-eu"));
        assert!(!scope.is_production_environment("staging"));
    }

    mod generated {
        use super::*;
        use proptest::prelude::*;

        const EXAMPLE: &str = include_str!("../examples/changeproof.toml");

        proptest! {
            #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

            /// Any text is a config or an error that names the file; never a panic.
            #[test]
            fn any_text_parses_or_errs(text in "\\PC{0,300}") {
                if let Err(e) = Config::parse(&text, Path::new("c.toml"), PathBuf::from(".")) {
                    prop_assert!(e.to_string().contains("c.toml"), "{e}");
                }
            }

            /// The example with one line removed, or one value replaced, still parses or
            /// fails with the file's line.
            #[test]
            fn the_example_with_a_line_changed_parses_or_errs(
                at in any::<prop::sample::Index>(),
                replacement in "\\PC{0,40}",
                remove in any::<bool>(),
            ) {
                let mut lines: Vec<String> = EXAMPLE.lines().map(String::from).collect();
                let i = at.index(lines.len());
                if remove {
                    lines.remove(i);
                } else if let Some((key, _)) = lines[i].split_once('=') {
                    lines[i] = format!("{key}= {replacement}");
                }
                let text = lines.join("\n");
                if let Err(e) = Config::parse(&text, Path::new("c.toml"), PathBuf::from("examples")) {
                    prop_assert!(e.to_string().contains("c.toml"), "{e}");
                }
            }
        }
    }
}
