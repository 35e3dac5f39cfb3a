//! The report's content: cover, contents, summary with the exceptions chart, scope and
//! method, one section per control, the exceptions appendix and population excerpts.
//! Everything shown comes from the bundle's inputs; the full populations stay in the CSV
//! files, the PDF lists exceptions and a capped excerpt.

use std::collections::BTreeMap;

use crate::catalog::ControlEntry;
use crate::findings::{ControlResult, Exception, ExceptionStatus, ResultKind, SubjectType};
use crate::model::PopulationQuery;

mod appendix;
mod controls;
mod cover;
mod method;
mod reconciliation;
mod summary;

use super::super::html::{detail_lines, result_label, short_sha, waiver_text};
use super::super::manifest::{Counts, completeness};
use super::super::population::{Populations, Show, Style, Value};
use super::super::results::Cell as ResultCell;
use super::super::samples::Samples;
use super::super::{BundleInput, MANIFEST_FILE, format_time};
use super::chart::{self, MonthlyExceptions};
use super::emit::Meta;
use super::fonts::Face;
use super::layout::{
    CONTENT_WIDTH, Cell, Column, Flow, Heading, MARGIN_LEFT, Mark, Page, Running, Span, Table,
    Target, TextStyle, Tone, baseline_in, truncate, wrap,
};
use super::theme::*;

/// Exceptions listed in a control's own section; all of them are in Appendix A.
pub const CONTROL_EXCEPTION_CAP: usize = 100;
/// Exceptions listed in Appendix A; beyond that, exceptions.csv and findings.json.
pub const APPENDIX_EXCEPTION_CAP: usize = 5_000;
/// Records of each population shown in Appendix B.
pub const EXCERPT_CAP: usize = 40;

pub struct Report<'a> {
    input: &'a BundleInput<'a>,
    populations: &'a Populations<'a>,
    counts: &'a Counts,
    samples: &'a Samples,
    complete: bool,
    missing: Vec<String>,
    /// The key id of the signing key, when the bundle is signed.
    signed: Option<String>,
}

/// An entry of the table of contents.
struct TocEntry {
    number: String,
    title: String,
    anchor: String,
    level: usize,
}

impl<'a> Report<'a> {
    pub fn new(
        input: &'a BundleInput<'a>,
        populations: &'a Populations<'a>,
        counts: &'a Counts,
        samples: &'a Samples,
    ) -> Report<'a> {
        let (complete, missing) = completeness(input);
        Report {
            input,
            populations,
            counts,
            samples,
            complete,
            missing,
            signed: input.signing_key.map(|k| k.key_id()),
        }
    }

    fn controls(&self) -> &'a [ControlResult] {
        &self.input.evaluation.findings.controls
    }

    fn exceptions(&self) -> &'a [Exception] {
        &self.input.evaluation.findings.exceptions
    }

    fn catalog(&self, id: &str) -> Option<&'a ControlEntry> {
        self.input.catalog.get(id)
    }

    pub fn meta(&self) -> Meta {
        Meta {
            title: format!("{} — evidence report", self.input.config.audit.name),
            subject: format!(
                "SOC 2 Type II evidence: control testing over {} to {}",
                self.window().0,
                self.window().1
            ),
            producer: format!("changeproof {}", self.input.tool_version),
            date: self.input.generated_at,
        }
    }

    pub fn running(&self) -> Running {
        Running {
            header_left: self.input.config.audit.name.clone(),
            header_right: "SOC 2 Type II evidence report".into(),
            footer_left: format!(
                "changeproof {} · generated {}{}",
                self.input.tool_version,
                format_time(self.input.generated_at),
                if self.signed.is_some() {
                    ""
                } else {
                    " · UNSIGNED"
                }
            ),
            incomplete: (!self.complete).then(|| {
                "INCOMPLETE — the collection did not obtain all evidence (see the cover)"
                    .to_string()
            }),
        }
    }

    fn window(&self) -> (String, String) {
        let w = self.input.config.audit.window.window();
        (format_time(w.start), format_time(w.end))
    }

    fn toc(&self) -> Vec<TocEntry> {
        let entry = |number: &str, title: &str, anchor: &str, level| TocEntry {
            number: number.into(),
            title: title.into(),
            anchor: anchor.into(),
            level,
        };
        let mut toc = vec![
            entry("1", "Summary", "summary", 1),
            entry("2", "Scope and method", "method", 1),
            entry("3", "Control results", "controls", 1),
        ];
        for (i, c) in self.controls().iter().enumerate() {
            toc.push(TocEntry {
                number: format!("3.{}", i + 1),
                title: format!("{} · {}", c.id, c.title),
                anchor: control_anchor(&c.id),
                level: 2,
            });
        }
        toc.push(entry("4", "Reconciliation", "reconciliation", 1));
        toc.push(entry(
            "A",
            "Appendix A: Exceptions",
            "appendix-exceptions",
            1,
        ));
        toc.push(entry(
            "B",
            "Appendix B: Population excerpts",
            "appendix-populations",
            1,
        ));
        toc
    }

    pub fn write(&self, flow: &mut Flow<'_>) {
        self.cover(flow);
        flow.new_page();
        self.contents(flow);
        flow.new_page();
        self.summary(flow);
        flow.new_page();
        self.method(flow);
        for (i, control) in self.controls().iter().enumerate() {
            flow.new_page();
            self.control(flow, i, control);
        }
        flow.new_page();
        self.reconciliation(flow);
        flow.new_page();
        self.appendix_exceptions(flow);
        flow.new_page();
        self.appendix_populations(flow);
    }
}

/// A count with its noun: "1 change was", "3 changes were".
fn counted(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The forge as its maker spells it.
fn forge_name(kind: crate::config::SourceKind) -> &'static str {
    match kind {
        crate::config::SourceKind::Github => "GitHub",
        crate::config::SourceKind::Gitlab => "GitLab",
        crate::config::SourceKind::File => "file",
    }
}

/// A paragraph in one style, `code` in backticks in the monospaced face.
fn prose(flow: &mut Flow<'_>, text: &str, style: TextStyle, space_after: f32) {
    flow.paragraph(&code_spans(text, style), 0.0, None, space_after);
}

fn control_anchor(id: &str) -> String {
    format!("control-{id}")
}

fn web(url: &str) -> bool {
    url.starts_with("https://") || url.starts_with("http://")
}

fn quoted(items: &[String]) -> String {
    if items.is_empty() {
        return "nothing (none configured)".into();
    }
    items
        .iter()
        .map(|i| format!("“{i}”"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A part heading: level 1 of the outline, with a rule under it.
fn section(text: &str, anchor: Option<&str>) -> Heading {
    let mut h = Heading::new(text, H1);
    h.outline = Some(1);
    h.anchor = anchor.map(String::from);
    h.rule = true;
    h.space_after = 12.0;
    h
}

fn subsection(text: &str) -> Heading {
    let mut h = Heading::new(text, H2.size(11.5));
    h.space_before = 14.0;
    h.space_after = 6.0;
    h
}

fn subsection_small(text: &str) -> Heading {
    let mut h = Heading::new(text, H3.color(ACCENT));
    h.space_before = 10.0;
    h.space_after = 4.0;
    h
}

/// A two-column table of labels and values, without a header.
fn key_values(rows: Vec<(&str, String)>) -> Table {
    let rows = rows
        .into_iter()
        .map(|(k, v)| vec![Cell::styled(k, CELL_BOLD.color(MUTED)), Cell::new(v)])
        .collect();
    let mut t = table(
        vec![
            Column::new("", 24.0, CELL),
            Column::new("", 76.0, CELL.size(8.4)),
        ],
        rows,
        None,
    );
    t.header = false;
    t.zebra = false;
    t
}

fn table(columns: Vec<Column>, rows: Vec<Vec<Cell>>, caption: Option<String>) -> Table {
    Table {
        columns,
        rows,
        header: true,
        caption,
        zebra: true,
        header_style: TextStyle::new(Face::Bold, 7.2, MUTED),
        rule: RULE,
        header_fill: HEADER_FILL,
        zebra_fill: ZEBRA_FILL,
        caption_style: SMALL,
    }
}

/// Text with `code` in backticks as spans: the code in the monospaced face.
fn code_spans(text: &str, style: TextStyle) -> Vec<Span> {
    let code = style.face(Face::Mono).size(style.size * 0.9);
    text.split('`')
        .enumerate()
        .filter(|(_, part)| !part.is_empty())
        .map(|(i, part)| Span::new(part, if i % 2 == 1 { code } else { style }))
        .collect()
}

/// Lines of code or commands on a tinted panel.
fn code_block(flow: &mut Flow<'_>, lines: &[&str]) {
    let fonts = flow.fonts();
    let wrapped: Vec<_> = lines
        .iter()
        .flat_map(|l| wrap(fonts, &[Span::new(*l, CODE)], CONTENT_WIDTH - 20.0))
        .collect();
    let h = wrapped.iter().map(|l| l.height).sum::<f32>() + 12.0;
    flow.block(h, |page: &mut Page, x, y, w| {
        page.fill(x, y, w, h, PANEL_FILL);
        let mut ly = y + 6.0;
        for line in &wrapped {
            page.draw_line(x + 10.0, baseline_in(ly, line.height, CODE.size), line);
            ly += line.height;
        }
    });
    flow.space(6.0);
}
