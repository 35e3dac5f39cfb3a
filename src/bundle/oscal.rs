//! `oscal/assessment-results.json`: the findings as NIST OSCAL 1.1.2 assessment results,
//! for GRC tools that read OSCAL. One result covers the audit window; each control test is
//! an observation (method TEST) and each control a finding whose objective is satisfied
//! or not; every other file of the bundle is a back-matter resource pinned by SHA-256, so
//! the document vouches for the evidence it cites. The manifest is built after this file
//! and cannot be listed in it; it lists this file instead.
//!
//! OSCAL requires an assessment plan (`import-ap`). changeproof's plan is its control
//! catalog and the effective configuration: `import-ap` points at a back-matter resource
//! holding those files.
//!
//! Identifiers are version 5 UUIDs of stable names within the audit (its name, window
//! and sources), so a re-run of the same audit keeps them, as OSCAL asks of identifiers
//! that name the same subject across revisions.

use serde::Serialize;

use crate::findings::{ControlResult, ResultKind};

use super::evidence::pretty_json;
use super::manifest::{Digest, Digests};
use super::population::{PopulationTable, Populations};
use super::workpapers::repositories_in_scope;
use super::{BundleInput, MANIFEST_FILE, format_time};

mod uuid;

use uuid::Uuid;

pub(super) const PATH: &str = "oscal/assessment-results.json";
pub(super) const OSCAL_VERSION: &str = "1.1.2";
/// The namespace of changeproof's own property names: OSCAL requires one for any name it
/// does not define itself.
pub(super) const NS: &str = "https://github.com/changeproof/changeproof/ns/oscal";
/// Where changeproof lives: the root of its UUID names.
const PROJECT_URL: &str = "https://github.com/changeproof/changeproof";

/// The document's bytes, pinning every file in `files` (everything but the manifest).
pub(super) fn assessment_results(
    input: &BundleInput<'_>,
    populations: &Populations<'_>,
    files: &Digests,
) -> Vec<u8> {
    pretty_json(&Document::new(input, populations, files))
}

/// Stable UUIDs within one audit.
struct Ids {
    audit: Uuid,
}

impl Ids {
    fn new(input: &BundleInput<'_>) -> Ids {
        let window = input.config.audit.window.window();
        let mut name = format!(
            "audit\n{}\n{}\n{}",
            input.config.audit.name,
            format_time(window.start),
            format_time(window.end)
        );
        for source in &input.config.sources {
            name.push_str(&format!(
                "\n{}:{}",
                source.name,
                source.org.as_deref().unwrap_or_default()
            ));
        }
        let project = Uuid::v5(Uuid::URL_NAMESPACE, PROJECT_URL);
        Ids {
            audit: Uuid::v5(project, &name),
        }
    }

    fn of(&self, name: &str) -> String {
        Uuid::v5(self.audit, name).to_string()
    }
}

// ------------------------------------------------------------------ the model (subset)

#[derive(Serialize)]
struct Document {
    #[serde(rename = "assessment-results")]
    assessment_results: AssessmentResults,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct AssessmentResults {
    uuid: String,
    metadata: Metadata,
    import_ap: ImportAp,
    results: Vec<AssessmentResult>,
    back_matter: BackMatter,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Metadata {
    title: String,
    last_modified: String,
    version: String,
    oscal_version: &'static str,
    props: Vec<Prop>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    roles: Vec<Role>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    parties: Vec<Party>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    responsible_parties: Vec<ResponsibleParty>,
    remarks: String,
}

#[derive(Serialize)]
struct Prop {
    name: &'static str,
    ns: &'static str,
    value: String,
}

fn prop(name: &'static str, value: impl ToString) -> Prop {
    Prop {
        name,
        ns: NS,
        value: value.to_string(),
    }
}

#[derive(Serialize)]
struct Role {
    id: &'static str,
    title: &'static str,
}

#[derive(Serialize)]
struct Party {
    uuid: String,
    #[serde(rename = "type")]
    kind: &'static str,
    name: String,
    remarks: String,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct ResponsibleParty {
    role_id: &'static str,
    party_uuids: Vec<String>,
}

#[derive(Serialize)]
struct Link {
    href: String,
    rel: &'static str,
}

#[derive(Serialize)]
struct ImportAp {
    href: String,
    remarks: String,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct AssessmentResult {
    uuid: String,
    title: String,
    description: String,
    start: String,
    end: String,
    props: Vec<Prop>,
    local_definitions: LocalDefinitions,
    reviewed_controls: ReviewedControls,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    observations: Vec<Observation>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    findings: Vec<Finding>,
    #[serde(skip_serializing_if = "Option::is_none")]
    remarks: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct LocalDefinitions {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    components: Vec<Component>,
    assessment_assets: AssessmentAssets,
}

#[derive(Serialize)]
struct Component {
    uuid: String,
    #[serde(rename = "type")]
    kind: &'static str,
    title: String,
    description: String,
    props: Vec<Prop>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    links: Vec<Link>,
    status: State,
}

#[derive(Serialize)]
struct State {
    state: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct AssessmentAssets {
    components: Vec<Component>,
    assessment_platforms: Vec<Platform>,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Platform {
    uuid: String,
    title: String,
    uses_components: Vec<UsesComponent>,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct UsesComponent {
    component_uuid: String,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct ReviewedControls {
    description: String,
    control_selections: Vec<ControlSelection>,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct ControlSelection {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    include_controls: Vec<SelectControl>,
    #[serde(skip_serializing_if = "Option::is_none")]
    remarks: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct SelectControl {
    control_id: String,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Observation {
    uuid: String,
    title: String,
    description: String,
    props: Vec<Prop>,
    methods: Vec<&'static str>,
    types: Vec<&'static str>,
    origins: Vec<Origin>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    subjects: Vec<SubjectReference>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    relevant_evidence: Vec<RelevantEvidence>,
    collected: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    remarks: Option<String>,
}

#[derive(Serialize)]
struct Origin {
    actors: Vec<Actor>,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Actor {
    #[serde(rename = "type")]
    kind: &'static str,
    actor_uuid: String,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct SubjectReference {
    subject_uuid: String,
    #[serde(rename = "type")]
    kind: &'static str,
    title: String,
}

#[derive(Serialize)]
struct RelevantEvidence {
    href: String,
    description: String,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Finding {
    uuid: String,
    title: String,
    description: String,
    props: Vec<Prop>,
    origins: Vec<Origin>,
    target: Target,
    related_observations: Vec<RelatedObservation>,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Target {
    #[serde(rename = "type")]
    kind: &'static str,
    target_id: String,
    title: String,
    status: TargetStatus,
}

#[derive(Serialize)]
struct TargetStatus {
    state: &'static str,
    reason: &'static str,
    remarks: String,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct RelatedObservation {
    observation_uuid: String,
}

#[derive(Serialize)]
struct BackMatter {
    resources: Vec<Resource>,
}

#[derive(Serialize)]
struct Resource {
    uuid: String,
    title: String,
    description: String,
    rlinks: Vec<Rlink>,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Rlink {
    href: String,
    media_type: &'static str,
    hashes: Vec<Hash>,
}

#[derive(Serialize)]
struct Hash {
    algorithm: &'static str,
    value: String,
}

// ------------------------------------------------------------------ building

impl Document {
    fn new(input: &BundleInput<'_>, populations: &Populations<'_>, files: &Digests) -> Document {
        let ids = Ids::new(input);
        let (complete, missing) = super::manifest::completeness(input);
        let plan = ids.of("assessment-plan");
        let incomplete_remark = (!complete).then(|| {
            format!(
                "INCOMPLETE: the collection did not obtain all evidence; results cover only what was collected. Missing: {}",
                if missing.is_empty() {
                    "the locker does not say what".to_string()
                } else {
                    missing.join("; ")
                }
            )
        });
        Document {
            assessment_results: AssessmentResults {
                uuid: ids.of("assessment-results"),
                metadata: metadata(input, &ids, complete, incomplete_remark.as_deref()),
                import_ap: ImportAp {
                    href: format!("#{plan}"),
                    remarks: "changeproof has no separate OSCAL assessment plan: the plan is its control catalog (objective, test procedure, population and parameters of each control) and the effective configuration, listed and pinned by SHA-256 in the back-matter resource referenced here.".into(),
                },
                results: vec![result(
                    input,
                    populations,
                    files,
                    &ids,
                    complete,
                    incomplete_remark,
                )],
                back_matter: back_matter(input, populations, files, &ids, plan),
            },
        }
    }
}

fn metadata(
    input: &BundleInput<'_>,
    ids: &Ids,
    complete: bool,
    incomplete: Option<&str>,
) -> Metadata {
    let parties: Vec<Party> = input
        .config
        .sources
        .iter()
        .filter_map(|source| {
            let org = source.org.as_deref()?;
            Some(Party {
                uuid: ids.of(&format!("party/{}/{org}", source.name)),
                kind: "organization",
                name: org.to_string(),
                remarks: format!(
                    "The organisation whose delivery records were collected (source {}).",
                    source.name
                ),
            })
        })
        .collect();
    let mut remarks = format!(
        "Generated by changeproof {} from the evidence bundle it belongs to; the bundle's {MANIFEST_FILE} lists the SHA-256 of this file.",
        input.tool_version
    );
    if let Some(incomplete) = incomplete {
        remarks = format!("{incomplete}\n\n{remarks}");
    }
    Metadata {
        title: input.config.audit.name.clone(),
        last_modified: format_time(input.generated_at),
        version: format_time(input.generated_at),
        oscal_version: OSCAL_VERSION,
        props: vec![
            prop("tool", format!("changeproof {}", input.tool_version)),
            prop("complete", complete),
        ],
        roles: if parties.is_empty() {
            Vec::new()
        } else {
            vec![Role {
                id: "prepared-for",
                title: "Prepared For",
            }]
        },
        responsible_parties: if parties.is_empty() {
            Vec::new()
        } else {
            vec![ResponsibleParty {
                role_id: "prepared-for",
                party_uuids: parties.iter().map(|p| p.uuid.clone()).collect(),
            }]
        },
        parties,
        remarks,
    }
}

fn result(
    input: &BundleInput<'_>,
    populations: &Populations<'_>,
    files: &Digests,
    ids: &Ids,
    complete: bool,
    incomplete: Option<String>,
) -> AssessmentResult {
    let window = input.config.audit.window.window();
    let findings = &input.evaluation.findings;
    let tool = ids.of("component/changeproof");
    let origins = || {
        vec![Origin {
            actors: vec![Actor {
                kind: "tool",
                actor_uuid: tool.clone(),
            }],
        }]
    };
    let repositories: Vec<Component> = repositories_in_scope(input)
        .into_iter()
        .map(|r| Component {
            uuid: ids.of(&format!("component/repository/{}", r.full_name)),
            kind: "software",
            title: r.full_name.clone(),
            description: format!(
                "Source repository {} (source {}), default branch {}; production branches: {}.",
                r.full_name,
                r.source,
                r.default_branch,
                input.config.scope.production_branches.join(", ")
            ),
            props: vec![prop("default-branch", &r.default_branch)],
            links: web_link(&r.url, "homepage"),
            status: State {
                state: if r.archived {
                    "disposition"
                } else {
                    "operational"
                },
            },
        })
        .collect();
    let subjects: Vec<SubjectReference> = repositories
        .iter()
        .map(|c| SubjectReference {
            subject_uuid: c.uuid.clone(),
            kind: "component",
            title: c.title.clone(),
        })
        .collect();

    let mut observations = Vec::new();
    let mut results = Vec::new();
    for control in &findings.controls {
        let observation = ids.of(&format!("observation/{}", control.id));
        observations.push(Observation {
            uuid: observation.clone(),
            title: format!("{} test: {}", control.id, control.title),
            description: observation_description(input, control),
            props: counts(control),
            methods: vec!["TEST"],
            types: vec!["control-objective"],
            origins: origins(),
            subjects: subjects
                .iter()
                .map(|s| SubjectReference {
                    subject_uuid: s.subject_uuid.clone(),
                    kind: s.kind,
                    title: s.title.clone(),
                })
                .collect(),
            relevant_evidence: relevant_evidence(&control.id, populations, files, ids),
            collected: format_time(input.meta.snapshot_time),
            remarks: control.reason.clone(),
        });
        results.push(finding(control, ids, observation, origins()));
    }

    AssessmentResult {
        uuid: ids.of("result"),
        title: format!(
            "Controls of {}, {} to {}",
            super::criteria(&input.evaluation.findings),
            format_time(window.start),
            format_time(window.end)
        ),
        description: format!(
            "changeproof tested the records of each control's population in the audit window [{}, {}) UTC against the controls of its catalog, from the delivery records collected at {}. Each control's test is an observation; each control's conclusion is a finding.",
            format_time(window.start),
            format_time(window.end),
            format_time(input.meta.snapshot_time)
        ),
        start: format_time(window.start),
        end: format_time(window.end),
        props: vec![
            prop("complete", complete),
            prop("snapshot-time", format_time(input.meta.snapshot_time)),
        ],
        local_definitions: LocalDefinitions {
            components: repositories,
            assessment_assets: AssessmentAssets {
                components: vec![Component {
                    uuid: tool.clone(),
                    kind: "software",
                    title: "changeproof".into(),
                    description: "Open-source tool that collects delivery records from the forge, tests every record against the control catalog and packages the evidence bundle.".into(),
                    props: vec![prop("version", input.tool_version)],
                    links: web_link(PROJECT_URL, "homepage"),
                    status: State {
                        state: "operational",
                    },
                }],
                assessment_platforms: vec![Platform {
                    uuid: ids.of("assessment-platform/changeproof"),
                    title: format!("changeproof {}", input.tool_version),
                    uses_components: vec![UsesComponent {
                        component_uuid: tool,
                    }],
                }],
            },
        },
        reviewed_controls: ReviewedControls {
            description: "The controls of changeproof's catalog evaluated in this run (config/controls/ in the bundle).".into(),
            control_selections: vec![if findings.controls.is_empty() {
                ControlSelection {
                    include_controls: Vec::new(),
                    remarks: Some("No control was evaluated.".into()),
                }
            } else {
                ControlSelection {
                    include_controls: findings
                        .controls
                        .iter()
                        .map(|c| SelectControl {
                            control_id: token(&c.id),
                        })
                        .collect(),
                    remarks: None,
                }
            }],
        },
        observations,
        findings: results,
        remarks: incomplete,
    }
}

fn web_link(url: &str, rel: &'static str) -> Vec<Link> {
    if url.starts_with("https://") || url.starts_with("http://") {
        vec![Link {
            href: url.to_string(),
            rel,
        }]
    } else {
        Vec::new()
    }
}

fn counts(control: &ControlResult) -> Vec<Prop> {
    vec![
        prop("result", control.result.as_str()),
        prop("population", control.population),
        prop("tested", control.tested),
        prop("exceptions", control.exceptions),
        prop("waived", control.waived),
    ]
}

fn observation_description(input: &BundleInput<'_>, control: &ControlResult) -> String {
    let population = input
        .catalog
        .get(&control.id)
        .map(|entry| format!(" The population: {}", entry.population.trim()))
        .unwrap_or_default();
    format!(
        "changeproof applied the test procedure of {id} (config/controls/{id}.toml in the bundle) to each record of its population: {} of {} records tested, {} exceptions of which {} waived.{population}",
        control.tested,
        control.population,
        control.exceptions,
        control.waived,
        id = control.id
    )
}

/// The bundle files that evidence a control's test, by reference to their back-matter
/// resources.
fn relevant_evidence(
    control: &str,
    populations: &Populations<'_>,
    files: &Digests,
    ids: &Ids,
) -> Vec<RelevantEvidence> {
    let population = populations
        .for_control(control)
        .map(|table| (table.csv_path(), population_description(table)));
    let catalog = format!("config/controls/{control}.toml");
    let population = population
        .iter()
        .map(|(path, description)| (path.as_str(), description.as_str()));
    let candidates = population.chain([
        (
            catalog.as_str(),
            "The control's catalog entry: objective, test procedure, population and parameters.",
        ),
        (
            "findings.json",
            "The control's result and every exception, with raw evidence references.",
        ),
        ("exceptions.csv", "Every exception, one row each."),
        (
            "evidence/requests.ndjson",
            "Every API request made to collect the evidence, with the SHA-256 of each response.",
        ),
    ]);
    candidates
        .filter(|(path, _)| files.contains_key(*path))
        .map(|(path, description)| RelevantEvidence {
            href: format!("#{}", ids.of(&format!("resource/{path}"))),
            description: format!("{path}: {description}"),
        })
        .collect()
}

fn finding(
    control: &ControlResult,
    ids: &Ids,
    observation: String,
    origins: Vec<Origin>,
) -> Finding {
    let (state, reason, remarks) = match control.result {
        ResultKind::Effective => (
            "satisfied",
            "pass",
            format!(
                "Effective: all {} records of the population were tested and none failed.",
                control.tested
            ),
        ),
        ResultKind::Exceptions => (
            "not-satisfied",
            "fail",
            format!(
                "Exceptions: the test of the {} records tested found {} exceptions, {} of them waived. Each is listed in findings.json and exceptions.csv.",
                control.tested, control.exceptions, control.waived
            ),
        ),
        ResultKind::NotTested => (
            "not-satisfied",
            "other",
            format!(
                "Not tested: {}. The objective could not be assessed, so it is not reported as satisfied.",
                control
                    .reason
                    .as_deref()
                    .unwrap_or("the evidence was unavailable")
            ),
        ),
        ResultKind::NotApplicable => (
            "satisfied",
            "other",
            format!(
                "Not applicable: {}. No record fell in the population during the window, so no instance of the control failed.",
                control
                    .reason
                    .as_deref()
                    .unwrap_or("the population is empty")
            ),
        ),
    };
    Finding {
        uuid: ids.of(&format!("finding/{}", control.id)),
        title: format!("{}: {}", control.id, control.title),
        description: format!(
            "{} ({}) {}.",
            control.id,
            control.tsc.join(", "),
            match control.result {
                ResultKind::Effective => "operated effectively over the audit window".to_string(),
                ResultKind::Exceptions => format!(
                    "did not operate effectively over the audit window: {} exceptions",
                    control.exceptions
                ),
                ResultKind::NotTested => "could not be tested".to_string(),
                ResultKind::NotApplicable =>
                    "had no occurrence to test in the audit window".to_string(),
            }
        ),
        props: counts(control),
        origins,
        target: Target {
            kind: "objective-id",
            target_id: format!("{}_obj", token(&control.id)),
            title: format!("Objective of {}", control.id),
            status: TargetStatus {
                state,
                reason,
                remarks,
            },
        },
        related_observations: vec![RelatedObservation {
            observation_uuid: observation,
        }],
    }
}

fn back_matter(
    input: &BundleInput<'_>,
    populations: &Populations<'_>,
    files: &Digests,
    ids: &Ids,
    plan: String,
) -> BackMatter {
    let plan_files: Vec<Rlink> = files
        .iter()
        .filter(|(path, _)| {
            *path == "config/changeproof.toml" || path.starts_with("config/controls/")
        })
        .map(|(path, digest)| rlink(path, digest))
        .collect();
    let controls: Vec<&str> = input
        .catalog
        .controls
        .iter()
        .map(|c| c.id.as_str())
        .collect();
    let mut resources = vec![Resource {
        uuid: plan,
        title: "Assessment plan: changeproof control catalog and configuration".into(),
        description: format!(
            "The plan this assessment followed: the catalog entry of each control ({}) with its objective, test procedure, population and parameters, and the effective configuration (audit window, scope, parameters in force).",
            controls.join(", ")
        ),
        rlinks: plan_files,
    }];
    resources.extend(files.iter().map(|(path, digest)| Resource {
        uuid: ids.of(&format!("resource/{path}")),
        title: path.clone(),
        description: describe(path, populations),
        rlinks: vec![rlink(path, digest)],
    }));
    BackMatter { resources }
}

fn rlink(path: &str, digest: &Digest) -> Rlink {
    Rlink {
        // Relative to this document, which lies in `oscal/`.
        href: format!("../{}", percent_encode_path(path)),
        media_type: media_type(path),
        hashes: vec![Hash {
            algorithm: "SHA-256",
            value: digest.sha256.clone(),
        }],
    }
}

/// A population file in one sentence: which records, and which controls' results.
fn population_description(table: &PopulationTable<'_>) -> String {
    let (one, _) = table.spec.noun;
    format!(
        "{}, one row per {one}: {}{}",
        table.spec.title,
        table.spec.description,
        if table.spec.controls.is_empty() {
            String::new()
        } else {
            format!(
                " With the result of {} for each {one}.",
                table.spec.controls.join(", ")
            )
        }
    )
}

/// What a bundle file is, for its back-matter resource.
fn describe(path: &str, populations: &Populations<'_>) -> String {
    if let Some(table) = path
        .strip_prefix("populations/")
        .and_then(|name| name.strip_suffix(".csv"))
        .and_then(|stem| populations.by_stem(stem))
    {
        return population_description(table);
    }
    match path {
        "findings.json" => "Findings: each control's result and every exception (SPEC §4).",
        "exceptions.csv" => "Every exception, one row each.",
        "index.html" => "The offline report.",
        "report.pdf" => "The printable report.",
        "workpapers.xlsx" => "The Excel workpapers.",
        "evidence/requests.ndjson" => {
            "The request log: every API request with method, URL, status, time and the SHA-256 of its response."
        }
        "evidence/evidence.json" => "The normalized evidence derived from the raw responses.",
        "config/changeproof.toml" => "The effective configuration.",
        "config/locker.json" => {
            "The collection's metadata: snapshot time, window, sources, completeness."
        }
        _ if path.starts_with("evidence/raw/") => {
            "A raw API response (or request body) exactly as received, named by its SHA-256."
        }
        _ if path.starts_with("config/controls/") => {
            "A control's catalog entry: objective, test procedure, population and parameters."
        }
        _ if path.starts_with("populations/") => "A population, one row per record.",
        _ => "A file of the evidence bundle.",
    }
    .to_string()
}

fn media_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, extension)| extension) {
        Some("json") => "application/json",
        Some("ndjson") => "application/x-ndjson",
        Some("csv") => "text/csv",
        Some("html") => "text/html",
        Some("toml") => "application/toml",
        Some("pdf") => "application/pdf",
        Some("xlsx") => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        Some("minisig" | "txt" | "md") => "text/plain",
        _ => "application/octet-stream",
    }
}

/// A bundle path as a URI path: unreserved characters and `/` as they are, everything
/// else percent-encoded (bundle paths are relative and checked, so no `..` appears).
fn percent_encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// A control id as an OSCAL token (an XML NCName): letters, digits, `.`, `-`, `_`, not
/// starting with a digit or punctuation. Catalog ids such as `CM-01` are tokens already.
fn token(id: &str) -> String {
    let mut out: String = id
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if !out.starts_with(|c: char| c.is_alphabetic() || c == '_') {
        out.insert(0, '_');
    }
    out
}

#[cfg(test)]
mod unit_tests {
    use super::{media_type, percent_encode_path, token};

    #[test]
    fn control_ids_become_tokens() {
        assert_eq!(token("CM-01"), "CM-01");
        assert_eq!(token("ac 2(1)"), "ac_2_1_");
        assert_eq!(token("1.2"), "_1.2");
        assert_eq!(token(""), "_");
    }

    #[test]
    fn paths_become_uri_references() {
        assert_eq!(
            percent_encode_path("evidence/raw/ab12.json"),
            "evidence/raw/ab12.json"
        );
        assert_eq!(
            percent_encode_path("config/controls/A B#1.toml"),
            "config/controls/A%20B%231.toml"
        );
        assert_eq!(percent_encode_path("é"), "%C3%A9");
        assert_eq!(
            media_type("workpapers.xlsx"),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        );
        assert_eq!(media_type("evidence/raw/x.bin"), "application/octet-stream");
    }
}
