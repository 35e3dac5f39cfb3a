//! `index.html`: the offline report, rendered with handlebars in strict mode from the
//! embedded templates. Every value is prepared here as display text; the templates only
//! lay it out, and handlebars escapes every `{{value}}`.

use handlebars::{
    Context, Handlebars, Helper, HelperDef, HelperResult, JsonTruthy, Output, RenderContext,
    RenderErrorReason, Renderable,
};
use serde::Serialize;

use crate::evaluate::{ChangeRow, CommitRow};
use crate::findings::{ControlResult, Exception, ExceptionStatus, ResultKind};
use crate::model::{Gap, PopulationQuery};

use super::manifest::{Counts, completeness, source_kind};
use super::results::{CHANGE_CONTROLS, COMMIT_CONTROL, Cell, PopulationResults};
use super::{BundleError, BundleInput, MANIFEST_FILE, format_time, repository_names};

const TEMPLATE: &str = "index.html";
pub(super) const INDEX: &str = include_str!("../../templates/index.html.hbs");
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
    results: &PopulationResults,
    counts: &Counts,
) -> Result<String, BundleError> {
    let registry = registry(INDEX)?;
    let page = Page::new(input, results, counts);
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
    change_controls: Vec<&'static str>,
    changes: Vec<ChangeView>,
    commit_control: &'static str,
    commits: Vec<CommitView>,
    queries: Vec<QueryView>,
    gaps: Vec<GapView>,
    notes: Vec<String>,
    catalog: Vec<CatalogView>,
    manifest_file: &'static str,
}

#[derive(Serialize)]
struct SignatureView {
    key_id: String,
    file: &'static str,
}

#[derive(Serialize)]
struct CountsView {
    changes: usize,
    commits: usize,
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

#[derive(Serialize)]
struct CellView {
    text: String,
    class: &'static str,
}

impl From<&Cell> for CellView {
    fn from(cell: &Cell) -> CellView {
        CellView {
            text: cell.text(),
            class: cell.class(),
        }
    }
}

#[derive(Serialize)]
struct ChangeView {
    repo: String,
    pr: Link,
    title: String,
    author: String,
    authors: String,
    base_branch: String,
    merged_at: String,
    merged_by: String,
    approvers: String,
    independent_approvers: String,
    approval_on_head: &'static str,
    check_state: String,
    required_checks: String,
    labels: String,
    cells: Vec<CellView>,
}

#[derive(Serialize)]
struct CommitView {
    repo: String,
    branch: String,
    sha: Link,
    headline: String,
    author: String,
    committer: String,
    committed_at: String,
    change: String,
    cell: CellView,
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
    fn new(input: &BundleInput<'_>, results: &PopulationResults, counts: &Counts) -> Page {
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
                changes: counts.changes,
                commits: counts.commits,
                exceptions: counts.exceptions,
                open_exceptions: counts.open_exceptions,
                waived_exceptions: counts.exceptions - counts.open_exceptions,
                requests: counts.requests,
                raw_responses: counts.raw_responses,
            },
            controls: findings.controls.iter().map(control_view).collect(),
            exceptions: findings.exceptions.iter().map(exception_view).collect(),
            change_controls: CHANGE_CONTROLS.to_vec(),
            changes: input
                .evaluation
                .changes
                .iter()
                .zip(&results.changes)
                .map(|(row, cells)| change_view(row, cells))
                .collect(),
            commit_control: COMMIT_CONTROL,
            commits: input
                .evaluation
                .commits
                .iter()
                .zip(&results.commits)
                .map(|(row, cell)| commit_view(row, cell))
                .collect(),
            queries: input.evidence.queries.iter().map(query_view).collect(),
            gaps: input.evidence.gaps.iter().map(gap_view).collect(),
            notes: results.notes.clone(),
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
        waiver: e.waiver.as_ref().map(waiver_text),
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

fn change_view(row: &ChangeRow, cells: &[Cell]) -> ChangeView {
    ChangeView {
        repo: row.repo.clone(),
        pr: Link::new(&row.url, format!("#{}", row.number)),
        title: row.title.clone(),
        author: row.author.clone(),
        authors: row.authors.join(", "),
        base_branch: row.base_branch.clone(),
        merged_at: format_time(row.merged_at),
        merged_by: row.merged_by.clone(),
        approvers: row.approvers.join(", "),
        independent_approvers: row.independent_approvers.join(", "),
        approval_on_head: if row.approval_on_head { "yes" } else { "no" },
        check_state: row.check_state.clone(),
        required_checks: row.required_checks.join(", "),
        labels: row.labels.join(", "),
        cells: cells.iter().map(CellView::from).collect(),
    }
}

fn commit_view(row: &CommitRow, cell: &Cell) -> CommitView {
    CommitView {
        repo: row.repo.clone(),
        branch: row.branch.clone(),
        sha: Link::new(&row.url, short_sha(&row.sha)),
        headline: row.message_headline.clone(),
        author: row.author.clone(),
        committer: row.committer.clone(),
        committed_at: format_time(row.committed_at),
        change: row.change.map(|n| format!("#{n}")).unwrap_or_default(),
        cell: CellView::from(cell),
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
    results: &PopulationResults,
    counts: &Counts,
) -> serde_json::Value {
    serde_json::to_value(Page::new(input, results, counts)).expect("the page serializes")
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
