//! `index.html`: the offline report, rendered with handlebars in strict mode from the
//! embedded templates. Every value is prepared here as display text; the templates only
//! lay it out, and handlebars escapes every `{{value}}`.

use handlebars::{
    Context, Handlebars, Helper, HelperDef, HelperResult, JsonTruthy, Output, RenderContext,
    RenderErrorReason, Renderable,
};
use serde::Serialize;

use crate::findings::{ControlResult, Exception, ExceptionStatus, ResultKind};
use crate::model::{Gap, PopulationQuery};

use super::manifest::{Counts, completeness, source_kind};
use super::population::{PopulationTable, Populations, Show, Style, Value};
use super::results::Cell;
use super::samples::Samples;
use super::{BundleError, BundleInput, MANIFEST_FILE, format_time, repository_names};

const TEMPLATE: &str = "index.html";
/// Records of each population shown in the page; the CSV and the workbook hold all.
/// Beyond this a browser slows down and the file grows past what an auditor can mail.
pub(super) const HTML_ROW_CAP: usize = 5_000;
/// Exceptions listed in the page; exceptions.csv and findings.json hold all.
pub(super) const HTML_EXCEPTION_CAP: usize = 5_000;
pub(super) const INDEX: &str = include_str!("../../templates/index.html.hbs");
/// The report's only script (sorting and filtering), allowed by its hash in the page's
/// Content-Security-Policy: nothing else can run, nothing can be fetched.
pub(super) const SCRIPT: &str = include_str!("../../templates/partials/tables.js");

/// The CSP source that allows exactly [`SCRIPT`]: `sha256-<base64 of its SHA-256>`.
pub(super) fn script_hash() -> String {
    use sha2::Digest as _;
    format!(
        "sha256-{}",
        crate::signing::encode_base64(&sha2::Sha256::digest(SCRIPT.as_bytes()))
    )
}

/// Partials, by the name templates include them with.
const PARTIALS: &[(&str, &str)] = &[
    (
        "style",
        include_str!("../../templates/partials/style.css.hbs"),
    ),
    ("link", include_str!("../../templates/partials/link.hbs")),
    ("cell", include_str!("../../templates/partials/cell.hbs")),
];

pub(super) fn render(
    input: &BundleInput<'_>,
    populations: &Populations<'_>,
    counts: &Counts,
    samples: &Samples,
) -> Result<String, BundleError> {
    let registry = registry(INDEX)?;
    let page = Page::new(input, populations, counts, samples);
    registry
        .render(TEMPLATE, &page)
        .map_err(|e| render_error(e.to_string()))
}

fn render_error(message: String) -> BundleError {
    BundleError::Render {
        template: format!("templates/{TEMPLATE}.hbs"),
        message,
    }
}

/// A registry in strict mode with the report's partials, `index` as the main template.
fn registry(index: &str) -> Result<Handlebars<'static>, BundleError> {
    let mut registry = Handlebars::new();
    registry.set_strict_mode(true);
    // Handlebars' own `if`/`unless` treat a missing field as false even in strict
    // mode, so a misspelt `{{#if complete}}` would silently drop the INCOMPLETE banner.
    registry.register_helper("if", Box::new(StrictIf { positive: true }));
    registry.register_helper("unless", Box::new(StrictIf { positive: false }));
    registry
        .register_template_string(TEMPLATE, index)
        .map_err(|e| render_error(e.to_string()))?;
    for (name, text) in PARTIALS {
        registry
            .register_partial(name, text.trim_end())
            .map_err(|e| render_error(format!("partial {name}: {e}")))?;
    }
    Ok(registry)
}

/// `if`/`unless` that fail on a field the data does not have (null is a value).
struct StrictIf {
    positive: bool,
}

impl HelperDef for StrictIf {
    fn call<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        r: &'reg Handlebars<'reg>,
        ctx: &'rc Context,
        rc: &mut RenderContext<'reg, 'rc>,
        out: &mut dyn Output,
    ) -> HelperResult {
        let name = if self.positive { "if" } else { "unless" };
        let param = h
            .param(0)
            .ok_or(RenderErrorReason::ParamNotFoundForIndex(name, 0))?;
        if param.is_value_missing() {
            return Err(RenderErrorReason::MissingVariable(param.relative_path().cloned()).into());
        }
        let truthy = param.value().is_truthy(false);
        let block = if truthy == self.positive {
            h.template()
        } else {
            h.inverse()
        };
        match block {
            Some(t) => t.render(r, ctx, rc, out),
            None => Ok(()),
        }
    }
}

/// The report's data: display text only.
#[derive(Serialize)]
struct Page {
    audit_name: String,
    /// `Trust Services Criteria CC6.1, …`.
    criteria: String,
    window_start: String,
    window_end: String,
    snapshot_time: String,
    generated_at: String,
    tool_version: String,
    complete: bool,
    missing: Vec<String>,
    /// `null` when the bundle is unsigned: the cover then says UNSIGNED.
    signature: Option<SignatureView>,
    sources: Vec<SourceView>,
    repositories: Vec<String>,
    repository_count: usize,
    production_branches: String,
    production_environments: String,
    seed: String,
    counts: CountsView,
    controls: Vec<ControlView>,
    exceptions: Vec<ExceptionView>,
    /// Set when the exceptions table shows only the first [`HTML_EXCEPTION_CAP`].
    exceptions_cap_note: Option<String>,
    populations: Vec<PopulationView>,
    charts: ChartsView,
    script: &'static str,
    script_hash: String,
    queries: Vec<QueryView>,
    gaps: Vec<GapView>,
    notes: Vec<String>,
    catalog: Vec<CatalogView>,
    manifest_file: &'static str,
    samples: Vec<SampleView>,
    reconciliation: ReconciliationView,
}

/// One control's sample for re-performance.
#[derive(Serialize)]
struct SampleView {
    control: String,
    summary: String,
    /// The selected records: `acme/api 2323 (pass)`.
    selected: Vec<String>,
}

/// Changes vs production-branch commits vs deployments (SPEC §6).
#[derive(Serialize)]
struct ReconciliationView {
    reconciled: bool,
    repositories: Vec<RepoReconciliationView>,
    differences: Vec<DifferenceView>,
    /// Set when only the first [`HTML_DIFFERENCE_CAP`] differences are listed.
    differences_cap_note: Option<String>,
    query_mismatches: Vec<String>,
}

#[derive(Serialize)]
struct RepoReconciliationView {
    repo: String,
    changes: u64,
    changes_not_on_branch: u64,
    commits: u64,
    commits_without_change: u64,
    deployments: u64,
    deployments_traced: u64,
    deployments_without_change: u64,
    changes_not_deployed: String,
    reconciled: bool,
    flags: String,
}

#[derive(Serialize)]
struct DifferenceView {
    repo: String,
    kind: &'static str,
    subject: Link,
    time: String,
}

/// Differences the HTML lists; `reconciliation-differences.csv` holds all of them.
const HTML_DIFFERENCE_CAP: usize = 500;

fn sample_views(input: &BundleInput<'_>, samples: &Samples) -> Vec<SampleView> {
    let seed = input.config.sampling.seed.as_deref();
    samples
        .controls
        .iter()
        .map(|c| SampleView {
            control: c.control.clone(),
            summary: c.summary(seed),
            selected: c.selected(),
        })
        .collect()
}

fn reconciliation_view(r: &crate::reconcile::Reconciliation) -> ReconciliationView {
    let differences = r
        .differences
        .iter()
        .take(HTML_DIFFERENCE_CAP)
        .map(|d| DifferenceView {
            repo: d.repo.clone(),
            kind: d.kind.as_str(),
            subject: Link {
                href: (d.url.starts_with("https://") || d.url.starts_with("http://"))
                    .then(|| d.url.clone()),
                text: format!("{} {}", d.subject_type, d.subject),
            },
            time: format_time(d.time),
        })
        .collect();
    ReconciliationView {
        reconciled: r.reconciled,
        repositories: r
            .repositories
            .iter()
            .map(|x| RepoReconciliationView {
                repo: x.repo.clone(),
                changes: x.changes,
                changes_not_on_branch: x.changes_not_on_branch,
                commits: x.commits,
                commits_without_change: x.commits_without_change,
                deployments: x.deployments,
                deployments_traced: x.deployments_traced,
                deployments_without_change: x.deployments_without_change,
                changes_not_deployed: x
                    .changes_not_deployed
                    .map_or_else(|| "—".to_string(), |n| n.to_string()),
                reconciled: x.reconciled,
                flags: x.flags.join("; "),
            })
            .collect(),
        differences,
        differences_cap_note: (r.differences.len() > HTML_DIFFERENCE_CAP).then(|| {
            format!(
                "The first {HTML_DIFFERENCE_CAP} of {} differences are listed; reconciliation-differences.csv holds all of them.",
                r.differences.len()
            )
        }),
        query_mismatches: r.query_mismatches.clone(),
    }
}

#[derive(Serialize)]
struct SignatureView {
    key_id: String,
    file: &'static str,
}

#[derive(Serialize)]
struct CountsView {
    exceptions: usize,
    open_exceptions: usize,
    waived_exceptions: usize,
    requests: usize,
    raw_responses: usize,
}

#[derive(Serialize)]
struct SourceView {
    name: String,
    kind: &'static str,
    org: String,
    api_url: String,
    repos: String,
    exclude: String,
}

#[derive(Serialize)]
struct ControlView {
    id: String,
    title: String,
    tsc: String,
    result: &'static str,
    result_label: &'static str,
    population: u64,
    tested: u64,
    exceptions: u64,
    waived: u64,
    reason: Option<String>,
}

#[derive(Serialize)]
struct Link {
    href: Option<String>,
    text: String,
}

impl Link {
    /// A link only to a web address: any other scheme (`javascript:` …) stays text.
    fn new(url: &str, text: impl Into<String>) -> Link {
        let web = url.starts_with("https://") || url.starts_with("http://");
        Link {
            href: web.then(|| url.to_string()),
            text: text.into(),
        }
    }
}

#[derive(Serialize)]
struct ExceptionView {
    id: String,
    control: String,
    kind: String,
    severity: &'static str,
    repo: String,
    subject_type: &'static str,
    subject: Link,
    summary: String,
    status: &'static str,
    waiver: Option<String>,
    detail: Vec<String>,
}

/// Inline SVG charts (markup built in `svg.rs` with every text escaped).
#[derive(Serialize)]
struct ChartsView {
    by_month: String,
    by_result: String,
    /// Exceptions the month chart cannot place, said under it.
    undated: u64,
}

/// A population table as the page shows it.
#[derive(Serialize)]
struct PopulationView {
    stem: &'static str,
    title: &'static str,
    controls: String,
    /// "3 changes".
    count: String,
    total: usize,
    noun: &'static str,
    description: &'static str,
    csv: String,
    sheet: &'static str,
    /// Set only when the population is empty: what that means.
    empty: Option<EmptyView>,
    headers: Vec<HeaderView>,
    rows: Vec<Vec<CellView>>,
    /// Set when the page shows only the first [`HTML_ROW_CAP`] records.
    cap_note: Option<String>,
}

#[derive(Serialize)]
struct EmptyView {
    text: &'static str,
    columns: usize,
}

#[derive(Serialize)]
struct HeaderView {
    label: &'static str,
    /// `result` for a control's result column.
    class: &'static str,
    /// How the script sorts the column: `text`, `number` or `time`.
    sort: &'static str,
}

/// One table cell: text, a link when `href` is set, a badge when `badge` is set.
#[derive(Serialize)]
struct CellView {
    text: String,
    href: Option<String>,
    class: &'static str,
    badge: Option<&'static str>,
    /// The sort key when it differs from the text (numbers).
    key: Option<String>,
}

impl From<&Cell> for CellView {
    fn from(cell: &Cell) -> CellView {
        CellView {
            text: cell.text(),
            href: None,
            class: "",
            badge: Some(cell.class()),
            key: None,
        }
    }
}

fn population_view(table: &PopulationTable<'_>) -> PopulationView {
    let spec = &table.spec;
    let lead: Vec<_> = table.shown(&[Show::Key, Show::Lead]).collect();
    let detail: Vec<_> = table.shown(&[Show::Detail]).collect();
    let value_header = |c: &super::population::Column, value: Option<&Value<'_>>| HeaderView {
        label: c.label,
        class: "",
        sort: match value {
            Some(Value::Int(_)) => "number",
            _ => "text",
        },
    };
    let first = table.rows.first();
    let mut headers: Vec<HeaderView> = lead
        .iter()
        .map(|(i, c)| value_header(c, first.map(|r| &r.values[*i])))
        .collect();
    headers.extend(spec.controls.iter().map(|id| HeaderView {
        label: id,
        class: "result",
        sort: "text",
    }));
    headers.extend(
        detail
            .iter()
            .map(|(i, c)| value_header(c, first.map(|r| &r.values[*i]))),
    );
    let value_cell = |row: &super::population::Row<'_>, i: usize, c: &super::population::Column| {
        let value = &row.values[i];
        CellView {
            text: value.display(c.style),
            href: table.link_of(row, c).map(str::to_string),
            class: match c.style {
                Style::Mono | Style::Sha => "nowrap mono",
                Style::Number => "nowrap",
                Style::Prose => "title",
                Style::Plain => "",
            },
            badge: None,
            key: match value {
                Value::Int(n) => Some(n.to_string()),
                _ => None,
            },
        }
    };
    let rows = table
        .rows
        .iter()
        .take(HTML_ROW_CAP)
        .map(|row| {
            lead.iter()
                .map(|(i, c)| value_cell(row, *i, c))
                .chain(row.results.iter().map(CellView::from))
                .chain(detail.iter().map(|(i, c)| value_cell(row, *i, c)))
                .collect()
        })
        .collect();
    let total = table.rows.len();
    PopulationView {
        stem: spec.stem,
        title: spec.title,
        controls: spec.served(),
        count: table.count_text(),
        total,
        noun: spec.noun.1,
        description: spec.description,
        csv: table.csv_path(),
        sheet: spec.sheet,
        empty: table.rows.is_empty().then_some(EmptyView {
            text: spec.empty,
            columns: headers.len(),
        }),
        headers,
        rows,
        cap_note: (total > HTML_ROW_CAP).then(|| {
            format!(
                "This page shows the first {HTML_ROW_CAP} of the {total} {} in the order of the file, so it stays quick to open; all {total} are in {} and on the {} sheet of workpapers.xlsx, and every exception is listed above.",
                spec.noun.1,
                table.csv_path(),
                spec.sheet
            )
        }),
    }
}

#[derive(Serialize)]
struct QueryView {
    source: String,
    evidence_type: String,
    repo: String,
    endpoint: String,
    parameters: String,
    pages: u32,
    records: u64,
    total_count: String,
    responses: usize,
}

#[derive(Serialize)]
struct GapView {
    source: String,
    evidence_type: String,
    repo: String,
    status: String,
    reason: String,
}

#[derive(Serialize)]
struct CatalogView {
    id: String,
    title: String,
    tsc: String,
    objective: String,
    procedure: String,
    population: String,
    frequency: String,
    severity: &'static str,
    kinds: Vec<KindView>,
}

#[derive(Serialize)]
struct KindView {
    kind: String,
    description: String,
}

impl Page {
    fn new(
        input: &BundleInput<'_>,
        populations: &Populations<'_>,
        counts: &Counts,
        samples: &Samples,
    ) -> Page {
        let config = input.config;
        let findings = &input.evaluation.findings;
        let window = config.audit.window.window();
        let (complete, missing) = completeness(input);
        let repositories: Vec<String> = repository_names(input)
            .into_iter()
            .map(String::from)
            .collect();
        Page {
            audit_name: config.audit.name.clone(),
            criteria: super::criteria(findings),
            window_start: format_time(window.start),
            window_end: format_time(window.end),
            snapshot_time: format_time(input.meta.snapshot_time),
            generated_at: format_time(input.generated_at),
            tool_version: input.tool_version.to_string(),
            complete,
            missing,
            signature: input.signing_key.map(|key| SignatureView {
                key_id: key.key_id(),
                file: super::SIGNATURE_FILE,
            }),
            sources: config
                .sources
                .iter()
                .map(|s| SourceView {
                    name: s.name.clone(),
                    kind: source_kind(s.kind),
                    org: s.org.clone().unwrap_or_default(),
                    api_url: s.api_url(),
                    repos: s.repos.join(", "),
                    exclude: s.exclude.join(", "),
                })
                .collect(),
            repository_count: repositories.len(),
            repositories,
            production_branches: config.scope.production_branches.join(", "),
            production_environments: config.scope.production_environments.join(", "),
            seed: config
                .sampling
                .seed
                .clone()
                .unwrap_or_else(|| "(not set)".into()),
            counts: CountsView {
                exceptions: counts.exceptions,
                open_exceptions: counts.open_exceptions,
                waived_exceptions: counts.exceptions - counts.open_exceptions,
                requests: counts.requests,
                raw_responses: counts.raw_responses,
            },
            controls: findings.controls.iter().map(control_view).collect(),
            exceptions: findings
                .exceptions
                .iter()
                .take(HTML_EXCEPTION_CAP)
                .map(exception_view)
                .collect(),
            exceptions_cap_note: (findings.exceptions.len() > HTML_EXCEPTION_CAP).then(|| {
                format!(
                    "This page lists the first {HTML_EXCEPTION_CAP} of the {} exceptions, sorted by id; exceptions.csv, findings.json and the Exceptions sheet of workpapers.xlsx hold all of them.",
                    findings.exceptions.len()
                )
            }),
            populations: populations.tables.iter().map(population_view).collect(),
            charts: {
                let ids: Vec<String> = findings.controls.iter().map(|c| c.id.clone()).collect();
                let months = super::pdf::chart::MonthlyExceptions::count(
                    &findings.exceptions,
                    populations,
                    (window.start, window.end),
                    &ids,
                );
                ChartsView {
                    by_month: super::svg::exceptions_by_month(&months),
                    by_result: super::svg::results_by_control(&findings.controls, populations),
                    undated: months.undated,
                }
            },
            script: SCRIPT,
            script_hash: script_hash(),
            queries: input.evidence.queries.iter().map(query_view).collect(),
            gaps: input.evidence.gaps.iter().map(gap_view).collect(),
            notes: populations.notes.clone(),
            catalog: input
                .catalog
                .controls
                .iter()
                .map(|c| CatalogView {
                    id: c.id.clone(),
                    title: c.title.clone(),
                    tsc: c.tsc.join(", "),
                    objective: c.objective.clone(),
                    procedure: c.procedure.clone(),
                    population: c.population.clone(),
                    frequency: c.frequency.clone(),
                    severity: c.severity.as_str(),
                    kinds: c
                        .kinds
                        .iter()
                        .map(|k| KindView {
                            kind: k.kind.clone(),
                            description: k.description.clone(),
                        })
                        .collect(),
                })
                .collect(),
            manifest_file: MANIFEST_FILE,
            samples: sample_views(input, samples),
            reconciliation: reconciliation_view(&input.evaluation.reconciliation),
        }
    }
}

fn control_view(c: &ControlResult) -> ControlView {
    ControlView {
        id: c.id.clone(),
        title: c.title.clone(),
        tsc: c.tsc.join(", "),
        result: c.result.as_str(),
        result_label: result_label(c.result),
        population: c.population,
        tested: c.tested,
        exceptions: c.exceptions,
        waived: c.waived,
        reason: c.reason.clone(),
    }
}

/// A control result as a reader says it.
pub(super) fn result_label(result: ResultKind) -> &'static str {
    match result {
        ResultKind::Effective => "Effective",
        ResultKind::Exceptions => "Exceptions",
        ResultKind::NotTested => "Not tested",
        ResultKind::NotApplicable => "Not applicable",
    }
}

/// A waiver in one sentence: its reason, who approved it and when, and its expiry.
pub(super) fn waiver_text(w: &crate::findings::WaiverRef) -> String {
    let expires = w
        .expires
        .as_ref()
        .map(|x| format!(", expires {x}"))
        .unwrap_or_default();
    format!(
        "{} (approved by {} on {}{expires})",
        w.reason, w.approved_by, w.approved_at
    )
}

/// An exception's kind-specific details as readable lines.
pub(super) fn detail_lines(e: &Exception) -> Vec<String> {
    e.detail
        .to_map()
        .iter()
        .map(|(k, v)| format!("{}: {}", k.replace('_', " "), readable(v)))
        .collect()
}

fn exception_view(e: &Exception) -> ExceptionView {
    let subject = match e.subject_type {
        crate::findings::SubjectType::Change => format!("#{}", e.subject),
        crate::findings::SubjectType::Commit => short_sha(&e.subject),
        _ => e.subject.clone(),
    };
    ExceptionView {
        id: e.id.clone(),
        control: e.control.clone(),
        kind: e.kind.clone(),
        severity: e.severity.as_str(),
        repo: e.repo.clone(),
        subject_type: e.subject_type.as_str(),
        subject: Link::new(&e.url, subject),
        summary: e.summary.clone(),
        status: match e.status {
            ExceptionStatus::Open => "open",
            ExceptionStatus::Waived => "waived",
        },
        waiver: e.waiver.as_deref().map(waiver_text),
        detail: detail_lines(e),
    }
}

/// An exception detail value as a reader wants it, not as JSON: lists joined with commas,
/// objects as `key value` pairs, an empty list as "none". findings.json keeps the JSON.
pub(super) fn readable(value: &serde_json::Value) -> String {
    use serde_json::Value;
    match value {
        Value::Null => "none".to_string(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => if *b { "yes" } else { "no" }.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Array(items) if items.is_empty() => "none".to_string(),
        Value::Array(items) => {
            let separator = if items.iter().any(Value::is_object) {
                "; "
            } else {
                ", "
            };
            items
                .iter()
                .map(readable)
                .collect::<Vec<_>>()
                .join(separator)
        }
        Value::Object(map) if map.is_empty() => "none".to_string(),
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| match v {
                Value::Object(_) | Value::Array(_) => {
                    format!("{} ({})", k.replace('_', " "), readable(v))
                }
                _ => format!("{} {}", k.replace('_', " "), readable(v)),
            })
            .collect::<Vec<_>>()
            .join(", "),
    }
}

fn query_view(q: &PopulationQuery) -> QueryView {
    QueryView {
        source: q.source.clone(),
        evidence_type: q.evidence_type.clone(),
        repo: q.repo.clone().unwrap_or_default(),
        endpoint: q.endpoint.clone(),
        parameters: q.parameters.clone(),
        pages: q.pages,
        records: q.records,
        total_count: q
            .total_count
            .map(|n| n.to_string())
            .unwrap_or_else(|| "—".into()),
        responses: q.responses.len(),
    }
}

fn gap_view(g: &Gap) -> GapView {
    GapView {
        source: g.source.clone(),
        evidence_type: g.evidence_type.clone(),
        repo: g.repo.clone().unwrap_or_default(),
        status: g.status.map(|s| s.to_string()).unwrap_or_default(),
        reason: g.reason.clone(),
    }
}

/// The first 12 hex digits: unambiguous in practice, the full SHA is in the CSV.
pub(super) fn short_sha(sha: &str) -> String {
    sha.chars().take(12).collect()
}

#[cfg(test)]
pub(super) fn page_json(
    input: &BundleInput<'_>,
    populations: &Populations<'_>,
    counts: &Counts,
    samples: &Samples,
) -> serde_json::Value {
    serde_json::to_value(Page::new(input, populations, counts, samples))
        .expect("the page serializes")
}

#[cfg(test)]
pub(super) fn render_with(index: &str, data: &serde_json::Value) -> Result<String, BundleError> {
    registry(index)?
        .render(TEMPLATE, data)
        .map_err(|e| render_error(e.to_string()))
}

#[cfg(test)]
mod readable_tests {
    use super::readable;
    use serde_json::json;

    #[test]
    fn details_read_as_text_not_json() {
        assert_eq!(readable(&json!([])), "none");
        assert_eq!(readable(&json!(["alice", "bob"])), "alice, bob");
        assert_eq!(
            readable(&json!({"bob": ["co-author", "committer"], "carol": ["pull request author"]})),
            "bob (co-author, committer), carol (pull request author)"
        );
        assert_eq!(
            readable(&json!([
                {"reviewer": "dan", "reason": "dismissed"},
                {"reviewer": "eve", "reason": "bot"}
            ])),
            "reviewer dan, reason dismissed; reviewer eve, reason bot"
        );
        assert_eq!(
            readable(&json!({"name": "Zoë Łukasiewicz", "login": null})),
            "name Zoë Łukasiewicz, login none"
        );
    }
}
