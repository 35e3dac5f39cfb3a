//! The report's content: cover, contents, summary with the exceptions chart, scope and
//! method, one section per control, the exceptions appendix and population excerpts.
//! Everything shown comes from the bundle's inputs; the full populations stay in the CSV
//! files, the PDF lists exceptions and a capped excerpt.

use std::collections::BTreeMap;

use crate::catalog::ControlEntry;
use crate::findings::{ControlResult, Exception, ExceptionStatus, ResultKind, SubjectType};
use crate::model::PopulationQuery;

use super::super::html::{detail_lines, result_label, short_sha, waiver_text};
use super::super::manifest::{Counts, completeness, source_kind};
use super::super::results::{
    CHANGE_CONTROLS, COMMIT_CONTROL, Cell as ResultCell, PopulationResults,
};
use super::super::{BundleInput, MANIFEST_FILE, format_time};
use super::chart::{self, MonthlyExceptions};
use super::emit::Meta;
use super::fonts::Face;
use super::layout::{
    CONTENT_WIDTH, Cell, Column, Flow, Heading, MARGIN_LEFT, Mark, Page, Running, Span, Table,
    Target, TextStyle, Tone, baseline_in, wrap,
};
use super::theme::*;

/// Exceptions listed in a control's own section; all of them are in Appendix A.
pub const CONTROL_EXCEPTION_CAP: usize = 100;
/// Exceptions listed in Appendix A; beyond that, exceptions.csv and findings.json.
pub const APPENDIX_EXCEPTION_CAP: usize = 5_000;
/// Records of each population shown in Appendix B.
pub const EXCERPT_CAP: usize = 40;

/// The evidence types whose queries make up a control's population, and those it
/// relies on besides.
fn evidence_types(control: &str) -> (&'static [&'static str], &'static [&'static str]) {
    match control {
        "CM-01" | "CM-02" => (&["pull_requests"], &[]),
        "CM-03" => (&["pull_requests"], &["branch_protection", "rulesets"]),
        "CM-04" => (
            &["pull_requests"],
            &["branch_protection", "rulesets", "rule_suites", "audit_log"],
        ),
        "CM-05" => (&["branch_commits"], &["pull_requests"]),
        _ => (&[], &[]),
    }
}

pub struct Report<'a> {
    input: &'a BundleInput<'a>,
    results: &'a PopulationResults,
    counts: &'a Counts,
    complete: bool,
    missing: Vec<String>,
    signed: bool,
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
        results: &'a PopulationResults,
        counts: &'a Counts,
    ) -> Report<'a> {
        let (complete, missing) = completeness(input);
        Report {
            input,
            results,
            counts,
            complete,
            missing,
            signed: input.config.output.signing_key.is_some(),
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
                if self.signed { "" } else { " · UNSIGNED" }
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
        self.appendix_exceptions(flow);
        flow.new_page();
        self.appendix_populations(flow);
    }

    // ------------------------------------------------------------------ cover

    fn cover(&self, flow: &mut Flow<'_>) {
        let config = self.input.config;
        let (start, end) = self.window();
        flow.move_to(120.0);
        prose(
            flow,
            "SOC 2 TYPE II · EVIDENCE REPORT",
            EYEBROW.color(ACCENT),
            8.0,
        );
        prose(
            flow,
            &config.audit.name,
            TextStyle::new(Face::Bold, 24.0, ACCENT),
            6.0,
        );
        let criteria = self.criteria();
        prose(
            flow,
            &format!("Control testing and evidence for {criteria}"),
            TextStyle::new(Face::Regular, 12.0, MUTED),
            14.0,
        );
        flow.block(6.0, |page, x, y, w| {
            page.line((x, y), (x + w, y), 1.6, ACCENT)
        });
        flow.space(8.0);

        let sources: Vec<String> = config
            .sources
            .iter()
            .map(|s| {
                let mut text = format!("{} — {}", s.name, source_kind(s.kind));
                if let Some(org) = &s.org {
                    text.push_str(&format!(" organisation {org}"));
                }
                let api = s.api_url();
                if !api.is_empty() {
                    text.push_str(&format!(" ({api})"));
                }
                text.push_str(&format!("; repositories {}", s.repos.join(", ")));
                if !s.exclude.is_empty() {
                    text.push_str(&format!(", excluding {}", s.exclude.join(", ")));
                }
                text
            })
            .collect();
        let repositories = self.repositories();
        let repos = if repositories.is_empty() {
            "none".to_string()
        } else if repositories.len() <= 12 {
            format!("{}: {}", repositories.len(), repositories.join(", "))
        } else {
            format!("{} (listed under Scope and method)", repositories.len())
        };
        let rows = vec![
            (
                "Audit window (UTC)",
                format!("{start} to {end}\nstart inclusive, end exclusive"),
            ),
            (
                "Sources",
                if sources.is_empty() {
                    "none configured".into()
                } else {
                    sources.join("\n")
                },
            ),
            ("Repositories collected", repos),
            (
                "Production branches",
                config.scope.production_branches.join(", "),
            ),
            (
                "Production environments",
                config.scope.production_environments.join(", "),
            ),
            (
                "Evidence snapshot",
                format!(
                    "{}\nwhen the collection ran",
                    format_time(self.input.meta.snapshot_time)
                ),
            ),
            (
                "Report generated",
                format!(
                    "{}\nfrom the bundle's inputs, not the clock",
                    format_time(self.input.generated_at)
                ),
            ),
            (
                "Prepared with",
                format!("changeproof {}", self.input.tool_version),
            ),
        ];
        flow.table(&key_values(rows));
        flow.space(14.0);

        self.glance(flow);
        flow.space(12.0);

        if self.signed {
            self.panel(
                flow,
                GOOD,
                "Signed",
                &format!(
                    "`{MANIFEST_FILE}` lists every file of this bundle with its size and SHA-256 and is signed with minisign (`manifest.json.minisig`). Verify it with the preparer's public key before relying on this report (see 2.4)."
                ),
            );
        } else {
            self.panel(
                flow,
                WARN,
                "UNSIGNED",
                &format!(
                    "This bundle carries no signature. `{MANIFEST_FILE}` lists every file with its SHA-256, but anyone able to alter the files could also recompute those hashes. Ask the preparer for a signed bundle, or verify the files against hashes obtained from them directly."
                ),
            );
        }
        if !self.complete {
            let mut text = "The collection did not obtain all evidence. Results in this report cover only what was collected; populations may lack records, and no control can be relied on for what is missing:".to_string();
            if self.missing.is_empty() {
                text.push_str("\n• the locker does not say what is missing");
            }
            for m in &self.missing {
                text.push_str(&format!("\n• {m}"));
            }
            self.panel(flow, BAD, "INCOMPLETE", &text);
        }
    }

    /// The criteria the catalog's controls address, e.g. "CC8.1".
    fn criteria(&self) -> String {
        let mut tsc: Vec<&str> = self
            .controls()
            .iter()
            .flat_map(|c| c.tsc.iter().map(String::as_str))
            .collect();
        tsc.sort_unstable();
        tsc.dedup();
        if tsc.is_empty() {
            "no criteria (no control was evaluated)".into()
        } else {
            format!("Trust Services Criteria {}", tsc.join(", "))
        }
    }

    fn repositories(&self) -> Vec<String> {
        let mut repos: Vec<String> = self
            .input
            .evidence
            .repositories
            .iter()
            .map(|r| r.full_name.clone())
            .collect();
        repos.sort();
        repos.dedup();
        repos
    }

    /// Results at a glance: controls by result, and the exceptions open and waived.
    fn glance(&self, flow: &mut Flow<'_>) {
        let count = |k: ResultKind| self.controls().iter().filter(|c| c.result == k).count();
        let open = self.counts.open_exceptions;
        let waived = self.counts.exceptions - open;
        let controls = [
            (count(ResultKind::Effective), "effective", GOOD),
            (count(ResultKind::Exceptions), "with exceptions", BAD),
            (count(ResultKind::NotTested), "not tested", WARN),
            (count(ResultKind::NotApplicable), "not applicable", NEUTRAL),
        ];
        let exceptions = [
            (open, "open", if open > 0 { BAD } else { GOOD }),
            (waived, "waived", NEUTRAL),
        ];
        let n_controls = self.controls().len();
        let n_exceptions = self.counts.exceptions;
        flow.block(70.0, |page, x, y, w| {
            let gap = 6.0;
            let group_gap = 18.0;
            let tile_w = (w - group_gap - gap * 4.0) / 6.0;
            let caption = TextStyle::new(Face::Bold, 8.0, MUTED);
            page.text(
                x,
                y + 9.0,
                caption,
                format!("CONTROLS TESTED: {n_controls}"),
            );
            let ex_x = x + 4.0 * (tile_w + gap) - gap + group_gap;
            page.text(
                ex_x,
                y + 9.0,
                caption,
                format!("EXCEPTIONS: {n_exceptions}"),
            );
            let tiles = controls
                .iter()
                .enumerate()
                .map(|(i, t)| (x + i as f32 * (tile_w + gap), t))
                .chain(
                    exceptions
                        .iter()
                        .enumerate()
                        .map(|(i, t)| (ex_x + i as f32 * (tile_w + gap), t)),
                );
            for (tx, (n, label, tone)) in tiles {
                let ty = y + 18.0;
                page.fill(tx, ty, tile_w, 48.0, tone.bg);
                page.fill(tx, ty, 3.0, 48.0, tone.fg);
                page.text(
                    tx + 10.0,
                    ty + 25.0,
                    TextStyle::new(Face::Bold, 18.0, tone.fg),
                    n.to_string(),
                );
                page.text(
                    tx + 10.0,
                    ty + 39.0,
                    TextStyle::new(Face::Regular, 7.5, tone.fg),
                    *label,
                );
            }
        });
    }

    /// A tinted panel with a bold title and wrapped text.
    fn panel(&self, flow: &mut Flow<'_>, tone: Tone, title: &str, text: &str) {
        let fonts = flow.fonts();
        let inner = CONTENT_WIDTH - 24.0;
        let body = TextStyle::new(Face::Regular, 8.8, INK);
        let lines = wrap(fonts, &code_spans(text, body), inner);
        let title_style = TextStyle::new(Face::Bold, 10.5, tone.fg);
        let h = 12.0
            + title_style.line_height()
            + 2.0
            + lines.iter().map(|l| l.height).sum::<f32>()
            + 10.0;
        flow.block(h, |page, x, y, w| {
            page.fill(x, y, w, h, tone.bg);
            page.fill(x, y, 3.5, h, tone.fg);
            let mut ly = y + 10.0;
            page.text(
                x + 14.0,
                baseline_in(ly, title_style.line_height(), title_style.size),
                title_style,
                title,
            );
            ly += title_style.line_height() + 2.0;
            for line in &lines {
                page.draw_line(x + 14.0, baseline_in(ly, line.height, body.size), line);
                ly += line.height;
            }
        });
        flow.space(8.0);
    }

    // --------------------------------------------------------------- contents

    fn contents(&self, flow: &mut Flow<'_>) {
        flow.heading(section("Contents", None));
        let fonts = flow.fonts();
        for entry in self.toc() {
            let (style, indent, h) = if entry.level == 1 {
                (BODY_BOLD, 0.0, 20.0)
            } else {
                (BODY, 22.0, 15.0)
            };
            let number_w = if entry.level == 1 { 22.0 } else { 30.0 };
            let right = MARGIN_LEFT + CONTENT_WIDTH;
            let title_x = MARGIN_LEFT + indent + number_w;
            let title = super::layout::truncate(fonts, style, &entry.title, right - title_x - 40.0);
            let title_w = fonts.width(style.face, style.size, &title);
            let dot_w = fonts.width(Face::Regular, style.size, ". ");
            let anchor = entry.anchor.clone();
            flow.block(h, |page, _x, y, _w| {
                let baseline = y + h - 5.0;
                page.text(
                    MARGIN_LEFT + indent,
                    baseline,
                    style.color(ACCENT),
                    entry.number.clone(),
                );
                page.text(title_x, baseline, style, title);
                // Dot leaders from the title to the page number.
                let from = title_x + title_w + 6.0;
                let to = right - 22.0;
                if to > from {
                    let dots = ((to - from) / dot_w).floor() as usize;
                    page.text(
                        to - dots as f32 * dot_w,
                        baseline,
                        TextStyle::new(Face::Regular, style.size, RULE_STRONG),
                        ". ".repeat(dots),
                    );
                }
                page.marks.push(Mark::PageOf {
                    right,
                    baseline,
                    style,
                    anchor: anchor.clone(),
                });
                page.link(MARGIN_LEFT, y, CONTENT_WIDTH, h, Target::Anchor(anchor));
            });
        }
        flow.space(16.0);
        prose(
            flow,
            "Every figure in this report is derived from the files of the bundle it came in: the raw API responses under `evidence/raw/`, the normalized records in `evidence/evidence.json`, the findings in `findings.json` and the populations in `populations/*.csv`. Those files, not this document, are the evidence of record; this report presents them for reading and printing.",
            SMALL,
            0.0,
        );
    }

    // ---------------------------------------------------------------- summary

    fn summary(&self, flow: &mut Flow<'_>) {
        flow.heading(section("1  Summary", Some("summary")).outline_title("1 Summary"));
        let (start, end) = self.window();
        let c = self.counts;
        prose(
            flow,
            &format!(
                "Over the audit window {start} to {end}, {} changes were merged into production branches and {} distinct commits entered production branches. changeproof tested every record of each population against {} controls — no sampling — and found {} exceptions: {} open and {} waived.",
                c.changes,
                c.commits,
                self.controls().len(),
                c.exceptions,
                c.open_exceptions,
                c.exceptions - c.open_exceptions
            ),
            BODY,
            10.0,
        );
        flow.table(&self.summary_table());
        flow.space(6.0);
        let reasons: Vec<&ControlResult> = self
            .controls()
            .iter()
            .filter(|c| c.reason.is_some())
            .collect();
        for c in reasons {
            flow.paragraph(
                &[
                    Span::new(format!("{}: ", c.id), SMALL_INK.face(Face::Bold)),
                    Span::new(c.reason.clone().unwrap_or_default(), SMALL_INK),
                ],
                0.0,
                None,
                3.0,
            );
        }
        flow.space(4.0);
        prose(
            flow,
            "Effective: the whole population was tested and no exception is open. Exceptions: one or more open exceptions. Not tested: the evidence was unavailable, and the reason says why. Not applicable: the population is empty, proven by a recorded query that returned no rows. The result word is always printed; the colour only repeats it.",
            SMALL,
            12.0,
        );

        let window = self.input.config.audit.window.window();
        let ids: Vec<String> = self.controls().iter().map(|c| c.id.clone()).collect();
        let data =
            MonthlyExceptions::count(self.input.evaluation, (window.start, window.end), &ids);
        let mut figure = Heading::new("Figure 1 — Exceptions by month and control", H3);
        figure.space_before = 8.0;
        flow.heading(figure);
        let fonts = flow.fonts();
        flow.block(chart::HEIGHT, |page, x, y, w| {
            chart::draw(fonts, page, &data, x, y, w)
        });
        let mut caption = "Each exception is counted in the month of its record: a change by its merge time, a commit by its committer time. Open and waived exceptions are both shown.".to_string();
        if data.undated > 0 {
            caption.push_str(&format!(
                " {} exceptions whose record carries no time inside the window are not charted.",
                data.undated
            ));
        }
        prose(flow, &caption, SMALL, 0.0);
    }

    fn summary_table(&self) -> Table {
        let columns = vec![
            Column::new("Control", 8.0, CELL_BOLD),
            Column::new("Title", 30.0, CELL),
            Column::new("TSC", 7.0, CELL),
            Column::new("Result", 13.0, CELL),
            Column::new("Population", 10.0, CELL).right(),
            Column::new("Tested", 8.5, CELL).right(),
            Column::new("Exceptions", 10.0, CELL).right(),
            Column::new("Waived", 8.0, CELL).right(),
        ];
        let rows = self
            .controls()
            .iter()
            .map(|c| {
                vec![
                    Cell::new(c.id.clone()).link(Some(Target::Anchor(control_anchor(&c.id)))),
                    Cell::new(c.title.clone()),
                    Cell::new(c.tsc.join(", ")),
                    Cell::badge(result_label(c.result), result_tone(c.result)),
                    Cell::new(c.population.to_string()),
                    Cell::new(c.tested.to_string()),
                    Cell::new(c.exceptions.to_string()),
                    Cell::new(c.waived.to_string()),
                ]
            })
            .collect();
        table(columns, rows, Some("Control results".into()))
    }

    // ----------------------------------------------------------------- method

    fn method(&self, flow: &mut Flow<'_>) {
        let input = self.input;
        let config = input.config;
        flow.heading(
            section("2  Scope and method", Some("method")).outline_title("2 Scope and method"),
        );

        flow.heading(subsection("2.1  Scope"));
        prose(
            flow,
            &format!(
                "The audit window is {} to {} (UTC, start inclusive, end exclusive). A change is a pull request merged inside the window into a production branch; a production branch is a repository's default branch or a branch matching {}. Production environments are those matching {}.",
                self.window().0,
                self.window().1,
                quoted(&config.scope.production_branches),
                quoted(&config.scope.production_environments)
            ),
            BODY,
            8.0,
        );
        let sources = config
            .sources
            .iter()
            .map(|s| {
                vec![
                    Cell::new(s.name.clone()),
                    Cell::new(source_kind(s.kind)),
                    Cell::new(s.org.clone().unwrap_or_default()),
                    Cell::styled(s.api_url(), CELL_MONO),
                    Cell::styled(s.repos.join(", "), CELL_MONO),
                    Cell::styled(s.exclude.join(", "), CELL_MONO),
                ]
            })
            .collect();
        flow.table(&table(
            vec![
                Column::new("Source", 14.0, CELL),
                Column::new("Kind", 8.0, CELL),
                Column::new("Organisation", 12.0, CELL),
                Column::new("API", 22.0, CELL),
                Column::new("Repositories", 14.0, CELL),
                Column::new("Excluded", 14.0, CELL),
            ],
            sources,
            Some("Sources".into()),
        ));
        flow.space(6.0);
        let repos = self.repositories();
        flow.paragraph(
            &[
                Span::new(
                    format!("Repositories collected ({}): ", repos.len()),
                    BODY_BOLD,
                ),
                Span::new(
                    if repos.is_empty() {
                        "none".into()
                    } else {
                        repos.join(", ")
                    },
                    BODY,
                ),
            ],
            0.0,
            None,
            10.0,
        );

        flow.heading(subsection("2.2  How the evidence was collected"));
        let c = self.counts;
        prose(
            flow,
            &format!(
                "The evidence was collected through the forge's API at {}: {} recorded requests and {} distinct raw response bodies, each kept exactly as received under `evidence/raw/` and named by its SHA-256. `evidence/requests.ndjson` lists every request (method, URL without credentials, status, time, SHA-256 of the response); `evidence/evidence.json` holds the records normalized from the responses, each pointing back to its raw response as `sha256:<hash>#<JSON pointer>`.",
                format_time(input.meta.snapshot_time),
                c.requests,
                c.raw_responses
            ),
            BODY,
            6.0,
        );
        prose(
            flow,
            &format!(
                "The evidence records {} queries, one per population request: its endpoint and the parameters that select the records, the pages read, the records obtained, the API's own total count where it reports one, and the SHA-256 of every raw response. The table sums them by kind of evidence; section 3 lists, for each control, every query behind its population, and `evidence/evidence.json` holds all of them under `queries`.",
                input.evidence.queries.len()
            ),
            BODY,
            6.0,
        );
        flow.table(&query_summary_table(&input.evidence.queries));
        flow.space(8.0);
        flow.heading(Heading {
            space_before: 4.0,
            ..Heading::new("Evidence that could not be obtained", H3)
        });
        if input.evidence.gaps.is_empty() {
            prose(flow, "None: every evidence type was obtained.", BODY, 8.0);
        } else {
            flow.table(&gaps_table(input.evidence.gaps.iter()));
            flow.space(8.0);
        }

        flow.heading(subsection("2.3  How the controls were tested"));
        prose(
            flow,
            "Each control is described in the control catalog (`config/controls/` in this bundle), which states its objective, its test procedure in auditor language, its population and its exception kinds; section 3 repeats them. changeproof applies each procedure to every record of the control's population — there is no sampling in the results below — and records an exception for each record that fails, with the raw evidence it rests on. An exception matched by a waiver (`config/`, if any) keeps its place in every output with status waived and the waiver's justification; it does not make a control effective.",
            BODY,
            6.0,
        );
        prose(
            flow,
            "A record the evaluation could not judge (for example a change whose reviews were collected only in part, or a branch without a protection record) is counted as not tested; a control with untested records is never reported effective without saying so.",
            BODY,
            6.0,
        );
        for note in &self.results.notes {
            flow.paragraph(
                &[Span::new(note.clone(), BODY)],
                12.0,
                Some(Span::new("•", BODY)),
                3.0,
            );
        }
        flow.space(6.0);

        flow.heading(subsection("2.4  How to verify this bundle"));
        prose(
            flow,
            &format!(
                "`{MANIFEST_FILE}` lists every other file of the bundle with its size and SHA-256, together with the tool version, window, scope and counts. With standard tools, from the bundle's folder:"
            ),
            BODY,
            4.0,
        );
        code_block(
            flow,
            &["jq -r '.files[] | \"\\(.sha256)  \\(.path)\"' manifest.json | sha256sum -c -"],
        );
        prose(
            flow,
            "Every file must report OK, and the folder must hold no file the manifest does not list. Each raw body's file name is its own SHA-256, so `sha256sum evidence/raw/*` re-proves the raw evidence, and the hashes in `evidence/requests.ndjson` and `evidence/evidence.json` tie every record to it.",
            BODY,
            6.0,
        );
        if self.signed {
            prose(
                flow,
                "The manifest is signed: `manifest.json.minisig` is a minisign signature over `manifest.json`. Verify it with the preparer's public key, obtained from them directly:",
                BODY,
                4.0,
            );
            code_block(
                flow,
                &[
                    "minisign -Vm manifest.json -p changeproof.pub",
                    "changeproof verify BUNDLE --pubkey changeproof.pub",
                ],
            );
        } else {
            flow.paragraph(
                &[
                    Span::new("This bundle is UNSIGNED. ", BODY_BOLD.color(WARN.fg)),
                    Span::new(
                        "Without a signature the hashes prove only that the files agree with the manifest, not who produced them. A signed bundle carries `manifest.json.minisig`, checked with `minisign -Vm manifest.json -p KEY.pub` or `changeproof verify BUNDLE --pubkey KEY.pub`.",
                        BODY,
                    ),
                ],
                0.0,
                None,
                6.0,
            );
        }
        prose(
            flow,
            "The effective configuration and the control catalog used are under `config/`; re-running the evaluation on this evidence with them gives the same `findings.json`, which `changeproof verify BUNDLE --reperform` checks.",
            BODY,
            0.0,
        );
    }

    // --------------------------------------------------------------- controls

    fn control(&self, flow: &mut Flow<'_>, index: usize, result: &ControlResult) {
        let entry = self.catalog(&result.id);
        if index == 0 {
            flow.heading(
                section("3  Control results", Some("controls")).outline_title("3 Control results"),
            );
        }
        let mut heading = Heading::new(
            format!("3.{}  {} · {}", index + 1, result.id, result.title),
            H2,
        );
        heading.outline = Some(2);
        heading.outline_title = Some(format!("{} {}", result.id, result.title));
        heading.anchor = Some(control_anchor(&result.id));
        heading.space_after = 8.0;
        flow.heading(heading);

        self.result_banner(flow, result);

        let mut facts = vec![("Criteria", result.tsc.join(", "))];
        if let Some(entry) = entry {
            facts.push(("Frequency", frequency(&entry.frequency)));
            facts.push(("Severity", entry.severity.as_str().to_string()));
            if !entry.parameters.is_empty() {
                let params: Vec<String> = entry
                    .parameters
                    .iter()
                    .map(|p| {
                        format!(
                            "{} (default {}): {}",
                            p.name,
                            p.default,
                            p.description.replace('`', "")
                        )
                    })
                    .collect();
                facts.push(("Parameters", params.join("\n")));
            }
        }
        flow.table(&key_values(facts));
        flow.space(4.0);
        let Some(entry) = entry else {
            prose(
                flow,
                &format!(
                    "{} is not in the control catalog this bundle was built with; its objective and procedure cannot be shown.",
                    result.id
                ),
                BODY,
                8.0,
            );
            self.control_exceptions(flow, result);
            return;
        };

        flow.heading(subsection_small("Objective"));
        flow.paragraph(&code_spans(&entry.objective, BODY), 0.0, None, 4.0);

        flow.heading(subsection_small("Test procedure"));
        procedure(flow, &entry.procedure);
        flow.space(2.0);

        flow.heading(subsection_small("Population and its completeness"));
        flow.paragraph(&code_spans(&entry.population, BODY), 0.0, None, 5.0);
        self.completeness(flow, result);

        flow.heading(subsection_small("Result"));
        self.result_text(flow, result, entry);

        self.control_exceptions(flow, result);
    }

    fn result_banner(&self, flow: &mut Flow<'_>, result: &ControlResult) {
        let tone = result_tone(result.result);
        let fonts = flow.fonts();
        let label = result_label(result.result).to_uppercase();
        let figures = [
            ("Population", result.population.to_string()),
            ("Tested", result.tested.to_string()),
            ("Exceptions", result.exceptions.to_string()),
            ("Waived", result.waived.to_string()),
        ];
        flow.block(44.0, |page, x, y, w| {
            page.fill(x, y, w, 40.0, tone.bg);
            page.fill(x, y, 4.0, 40.0, tone.fg);
            page.text(
                x + 14.0,
                y + 14.0,
                TextStyle::new(Face::Bold, 7.0, tone.fg),
                "RESULT",
            );
            page.text(
                x + 14.0,
                y + 31.0,
                TextStyle::new(Face::Bold, 15.0, tone.fg),
                label.clone(),
            );
            let col_w = 74.0;
            for (i, (name, value)) in figures.iter().enumerate() {
                let right = x + w - 12.0 - (figures.len() - 1 - i) as f32 * col_w;
                let vs = TextStyle::new(Face::Bold, 14.0, INK);
                let vw = fonts.width(vs.face, vs.size, value);
                page.text(right - vw, y + 22.0, vs, value.clone());
                let ns = TextStyle::new(Face::Regular, 7.0, MUTED);
                let nw = fonts.width(ns.face, ns.size, name);
                page.text(right - nw, y + 33.0, ns, *name);
            }
        });
        flow.space(6.0);
    }

    /// The queries that produced the control's population, with their counts, and the
    /// gaps in the evidence it relies on.
    fn completeness(&self, flow: &mut Flow<'_>, result: &ControlResult) {
        let (population, supporting) = evidence_types(&result.id);
        let evidence = self.input.evidence;
        let queries: Vec<&PopulationQuery> = evidence
            .queries
            .iter()
            .filter(|q| population.contains(&q.evidence_type.as_str()))
            .collect();
        if population.is_empty() {
            prose(
                flow,
                "The queries behind this control's population are listed in section 2.2.",
                BODY,
                6.0,
            );
        } else if queries.is_empty() {
            prose(
                flow,
                &format!(
                    "No {} query is recorded in the evidence: the population's completeness is not evidenced.",
                    population.join(" or ")
                ),
                BODY_BOLD.color(BAD.fg),
                6.0,
            );
        } else {
            let records: u64 = queries.iter().map(|q| q.records).sum();
            let totals: Vec<u64> = queries.iter().filter_map(|q| q.total_count).collect();
            let mut text = format!(
                "Obtained by {} {} quer{} returning {} records in total",
                queries.len(),
                population.join(" and "),
                if queries.len() == 1 { "y" } else { "ies" },
                records
            );
            if totals.len() == queries.len() {
                let total: u64 = totals.iter().sum();
                let agrees = if total == records {
                    "agrees"
                } else {
                    "DOES NOT agree"
                };
                text.push_str(&format!(
                    "; the API's own total count is {total}, which {agrees} with the records obtained"
                ));
            }
            text.push_str(&format!(
                ". Of these, {} records fall in this control's population (inside the window, on a production branch{}), and {} were tested.",
                result.population,
                if result.id == "CM-02" { ", without a CM-01 exception" } else { "" },
                result.tested
            ));
            prose(flow, &text, BODY, 5.0);
            match self.first_control_with(population) {
                Some(first) if first != result.id => prose(
                    flow,
                    &format!(
                        "These are the queries behind {first}'s population, listed in its section."
                    ),
                    BODY,
                    5.0,
                ),
                _ => {
                    let caption = format!("{} population queries", result.id);
                    flow.table(&queries_table(queries.into_iter(), &caption));
                    flow.space(5.0);
                }
            }
        }
        let relevant: Vec<&str> = population.iter().chain(supporting).copied().collect();
        let gaps: Vec<_> = evidence
            .gaps
            .iter()
            .filter(|g| relevant.contains(&g.evidence_type.as_str()))
            .collect();
        if !supporting.is_empty() {
            let parts: Vec<String> = supporting
                .iter()
                .map(|t| {
                    let queries: Vec<&PopulationQuery> = evidence
                        .queries
                        .iter()
                        .filter(|q| q.evidence_type == *t)
                        .collect();
                    let records: u64 = queries.iter().map(|q| q.records).sum();
                    format!(
                        "{} ({} quer{}, {} records)",
                        t.replace('_', " "),
                        queries.len(),
                        if queries.len() == 1 { "y" } else { "ies" },
                        records
                    )
                })
                .collect();
            prose(
                flow,
                &format!("The test also relies on: {}.", parts.join("; ")),
                BODY,
                5.0,
            );
        }
        if !gaps.is_empty() {
            prose(
                flow,
                "Evidence this control relies on that could not be obtained:",
                BODY_BOLD.color(BAD.fg),
                3.0,
            );
            flow.table(&gaps_table(gaps.into_iter()));
            flow.space(5.0);
        }
    }

    /// The first control whose population comes from these evidence types.
    fn first_control_with(&self, population: &[&str]) -> Option<String> {
        self.controls()
            .iter()
            .find(|c| evidence_types(&c.id).0 == population)
            .map(|c| c.id.clone())
    }

    fn result_text(&self, flow: &mut Flow<'_>, result: &ControlResult, entry: &ControlEntry) {
        let open = result.exceptions - result.waived;
        let sentence = match result.result {
            ResultKind::Effective => format!(
                "Effective: all {} records of the population were tested and no exception is open{}.",
                result.tested,
                if result.waived > 0 {
                    format!(" ({} waived)", result.waived)
                } else {
                    String::new()
                }
            ),
            ResultKind::Exceptions => format!(
                "Exceptions: {} of the {} records tested raised {} open exception{}{}.",
                self.records_with_exceptions(&result.id),
                result.tested,
                open,
                if open == 1 { "" } else { "s" },
                if result.waived > 0 {
                    format!(" and {} waived", result.waived)
                } else {
                    String::new()
                }
            ),
            ResultKind::NotTested => {
                "Not tested: the evidence this control needs was not available.".to_string()
            }
            ResultKind::NotApplicable => {
                "Not applicable: the population is empty, as the recorded queries show.".to_string()
            }
        };
        flow.paragraph(&[Span::new(sentence, BODY)], 0.0, None, 4.0);
        if let Some(reason) = &result.reason {
            flow.paragraph(
                &[
                    Span::new("Reason: ", BODY_BOLD),
                    Span::new(reason.clone(), BODY),
                ],
                0.0,
                None,
                4.0,
            );
        }
        // Exceptions by kind, with what each kind means.
        let mut by_kind: BTreeMap<&str, u64> = BTreeMap::new();
        for e in self.exceptions().iter().filter(|e| e.control == result.id) {
            *by_kind.entry(e.kind.as_str()).or_default() += 1;
        }
        if entry.kinds.is_empty() {
            return;
        }
        let rows = entry
            .kinds
            .iter()
            .map(|k| {
                let severity = k.severity.unwrap_or(entry.severity);
                vec![
                    Cell::styled(k.kind.clone(), CELL_MONO),
                    Cell::badge(severity.as_str(), severity_tone(severity)),
                    Cell::new(
                        by_kind
                            .get(k.kind.as_str())
                            .copied()
                            .unwrap_or(0)
                            .to_string(),
                    ),
                    Cell::rich(code_spans(&k.description, CELL)),
                ]
            })
            .collect();
        flow.space(2.0);
        flow.table(&table(
            vec![
                Column::new("Exception kind", 19.0, CELL),
                Column::new("Severity", 9.0, CELL),
                Column::new("Count", 7.0, CELL).right(),
                Column::new("Meaning", 65.0, CELL),
            ],
            rows,
            Some(format!("{} exception kinds", result.id)),
        ));
        flow.space(8.0);
    }

    fn records_with_exceptions(&self, control: &str) -> usize {
        let mut subjects: Vec<(&str, SubjectType, &str)> = self
            .exceptions()
            .iter()
            .filter(|e| e.control == control && e.status == ExceptionStatus::Open)
            .map(|e| (e.repo.as_str(), e.subject_type, e.subject.as_str()))
            .collect();
        subjects.sort_unstable();
        subjects.dedup();
        subjects.len()
    }

    fn control_exceptions(&self, flow: &mut Flow<'_>, result: &ControlResult) {
        let exceptions: Vec<&Exception> = self
            .exceptions()
            .iter()
            .filter(|e| e.control == result.id)
            .collect();
        flow.heading(subsection_small(&format!(
            "Exceptions ({})",
            exceptions.len()
        )));
        if exceptions.is_empty() {
            prose(flow, "None.", BODY, 0.0);
            return;
        }
        if exceptions.len() > CONTROL_EXCEPTION_CAP {
            prose(
                flow,
                &format!(
                    "The first {CONTROL_EXCEPTION_CAP} of {} exceptions are listed; Appendix A lists all of them with their details, as do `exceptions.csv` and `findings.json`.",
                    exceptions.len()
                ),
                SMALL,
                4.0,
            );
        }
        let rows = exceptions
            .iter()
            .take(CONTROL_EXCEPTION_CAP)
            .map(|e| {
                let mut summary = Cell::rich(code_spans(&e.summary, CELL));
                if let Some(w) = &e.waiver {
                    summary = summary.para(format!("Waiver: {}", waiver_text(w)), CELL_MUTED);
                }
                vec![
                    subject_cell(e),
                    Cell::styled(e.kind.clone(), CELL_MONO),
                    Cell::badge(e.severity.as_str(), severity_tone(e.severity)),
                    summary,
                    status_cell(e),
                ]
            })
            .collect();
        flow.table(&table(
            vec![
                Column::new("Subject", 17.0, CELL),
                Column::new("Kind", 17.0, CELL),
                Column::new("Severity", 9.0, CELL),
                Column::new("Summary", 47.0, CELL),
                Column::new("Status", 9.0, CELL),
            ],
            rows,
            Some(format!("{} exceptions", result.id)),
        ));
    }

    // -------------------------------------------------------------- appendices

    fn appendix_exceptions(&self, flow: &mut Flow<'_>) {
        flow.heading(section(
            "Appendix A: Exceptions",
            Some("appendix-exceptions"),
        ));
        let all = self.exceptions();
        let open = all
            .iter()
            .filter(|e| e.status == ExceptionStatus::Open)
            .count();
        prose(
            flow,
            &format!(
                "{} exceptions: {open} open, {} waived, sorted by exception id. The id (control/repository/subject type/subject/kind) is stable across runs; `exceptions.csv` and `findings.json` carry the same exceptions with the raw evidence references (`sha256:<hash>#<JSON pointer>`) of each.",
                all.len(),
                all.len() - open
            ),
            BODY,
            8.0,
        );
        if all.is_empty() {
            prose(flow, "No exceptions.", BODY, 0.0);
            return;
        }
        if all.len() > APPENDIX_EXCEPTION_CAP {
            prose(
                flow,
                &format!(
                    "The first {APPENDIX_EXCEPTION_CAP} of {} exceptions are listed; `exceptions.csv` and `findings.json` hold all of them.",
                    all.len()
                ),
                BODY_BOLD,
                6.0,
            );
        }
        let rows = all
            .iter()
            .take(APPENDIX_EXCEPTION_CAP)
            .map(|e| {
                let mut details = Cell::rich(code_spans(&e.summary, CELL));
                for line in detail_lines(e) {
                    details = details.para(line, CELL_MUTED);
                }
                if let Some(w) = &e.waiver {
                    details =
                        details.para(format!("Waiver: {}", waiver_text(w)), CELL_MUTED.color(INK));
                }
                details = details.para(
                    format!(
                        "{} evidence reference{} in findings.json",
                        e.evidence.len(),
                        if e.evidence.len() == 1 { "" } else { "s" }
                    ),
                    CELL_MUTED,
                );
                let mut id = Cell::styled(e.id.clone(), CELL_MONO);
                if web(&e.url) {
                    id.link = Some(Target::Uri(e.url.clone()));
                }
                vec![
                    id,
                    Cell::badge(e.severity.as_str(), severity_tone(e.severity)),
                    status_cell(e),
                    details,
                ]
            })
            .collect();
        flow.table(&table(
            vec![
                Column::new("Exception id", 27.0, CELL),
                Column::new("Severity", 9.0, CELL),
                Column::new("Status", 9.0, CELL),
                Column::new("Summary and details", 55.0, CELL),
            ],
            rows,
            Some("Appendix A: Exceptions".into()),
        ));
    }

    fn appendix_populations(&self, flow: &mut Flow<'_>) {
        flow.heading(section(
            "Appendix B: Population excerpts",
            Some("appendix-populations"),
        ));
        let evaluation = self.input.evaluation;
        prose(
            flow,
            &format!(
                "The populations are listed in full, with every attribute the controls tested and the result of each control for each record, in `populations/changes.csv` and `populations/commits.csv`. This appendix shows an excerpt of at most {EXCERPT_CAP} records of each, in time order, so the report stays readable for populations of any size."
            ),
            BODY,
            8.0,
        );

        flow.heading(subsection(&format!(
            "Changes ({} records)",
            evaluation.changes.len()
        )));
        if evaluation.changes.is_empty() {
            prose(
                flow,
                "No change was merged into a production branch inside the window.",
                BODY,
                8.0,
            );
        } else {
            prose(
                flow,
                &excerpt_note(evaluation.changes.len(), "populations/changes.csv"),
                SMALL,
                4.0,
            );
            let mut columns = vec![
                Column::new("Repository", 16.0, CELL),
                Column::new("PR", 7.0, CELL),
                Column::new("Merged at", 17.0, CELL_MONO),
                Column::new("Author", 13.0, CELL),
            ];
            for id in CHANGE_CONTROLS {
                columns.push(Column::new(id, 11.75, CELL));
            }
            let rows = evaluation
                .changes
                .iter()
                .zip(&self.results.changes)
                .take(EXCERPT_CAP)
                .map(|(row, cells)| {
                    let mut out = vec![
                        Cell::new(row.repo.clone()),
                        Cell::new(format!("#{}", row.number))
                            .link(web(&row.url).then(|| Target::Uri(row.url.clone()))),
                        Cell::new(format_time(row.merged_at)),
                        Cell::new(row.author.clone()),
                    ];
                    out.extend(cells.iter().map(result_cell));
                    out
                })
                .collect();
            flow.table(&table(columns, rows, Some("Changes excerpt".into())));
            flow.space(10.0);
        }

        flow.heading(subsection(&format!(
            "Production commits ({} records, {COMMIT_CONTROL})",
            evaluation.commits.len()
        )));
        if evaluation.commits.is_empty() {
            prose(
                flow,
                "No commit entered a production branch inside the window.",
                BODY,
                0.0,
            );
        } else {
            prose(
                flow,
                &excerpt_note(evaluation.commits.len(), "populations/commits.csv"),
                SMALL,
                4.0,
            );
            let rows = evaluation
                .commits
                .iter()
                .zip(&self.results.commits)
                .take(EXCERPT_CAP)
                .map(|(row, cell)| {
                    vec![
                        Cell::new(row.repo.clone()),
                        Cell::styled(short_sha(&row.sha), CELL_MONO)
                            .link(web(&row.url).then(|| Target::Uri(row.url.clone()))),
                        Cell::new(format_time(row.committed_at)),
                        Cell::new(row.author.clone()),
                        Cell::new(
                            row.change
                                .map(|n| format!("#{n}"))
                                .unwrap_or_else(|| "—".into()),
                        ),
                        result_cell(cell),
                    ]
                })
                .collect();
            flow.table(&table(
                vec![
                    Column::new("Repository", 16.0, CELL),
                    Column::new("Commit", 13.0, CELL),
                    Column::new("Committed at", 17.0, CELL_MONO),
                    Column::new("Author", 20.0, CELL),
                    Column::new("Change", 9.0, CELL),
                    Column::new(COMMIT_CONTROL, 25.0, CELL),
                ],
                rows,
                Some("Production commits excerpt".into()),
            ));
        }
    }
}

/// A paragraph in one style, `code` in backticks in the monospaced face.
fn prose(flow: &mut Flow<'_>, text: &str, style: TextStyle, space_after: f32) {
    flow.paragraph(&code_spans(text, style), 0.0, None, space_after);
}

fn excerpt_note(total: usize, file: &str) -> String {
    if total > EXCERPT_CAP {
        format!("The first {EXCERPT_CAP} of {total} records; all {total} are in {file}.")
    } else {
        format!("All {total} records; also in {file}.")
    }
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

fn frequency(f: &str) -> String {
    match f {
        "recurring" => "recurring (many times a day)".into(),
        other => other.to_string(),
    }
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

trait OutlineTitle {
    fn outline_title(self, title: &str) -> Heading;
}

impl OutlineTitle for Heading {
    fn outline_title(mut self, title: &str) -> Heading {
        self.outline_title = Some(title.to_string());
        self
    }
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

fn queries_table<'q>(queries: impl Iterator<Item = &'q PopulationQuery>, caption: &str) -> Table {
    let rows: Vec<Vec<Cell>> = queries
        .map(|q| {
            vec![
                Cell::new(q.evidence_type.replace('_', " ")),
                Cell::new(q.repo.clone().unwrap_or_else(|| "—".into())),
                Cell::styled(q.endpoint.clone(), CELL_MONO),
                Cell::styled(readable_parameters(&q.parameters), CELL_MONO),
                Cell::new(q.pages.to_string()),
                Cell::new(q.records.to_string()),
                Cell::new(
                    q.total_count
                        .map(|n| n.to_string())
                        .unwrap_or_else(|| "—".into()),
                ),
                Cell::new(q.responses.len().to_string()),
            ]
        })
        .collect();
    let empty = rows.is_empty();
    let mut t = table(
        vec![
            Column::new("Evidence", 11.0, CELL),
            Column::new("Repository", 12.0, CELL),
            Column::new("Endpoint", 21.0, CELL),
            Column::new("Parameters", 26.0, CELL),
            Column::new("Pages", 6.5, CELL).right(),
            Column::new("Records", 7.5, CELL).right(),
            Column::new("API total", 8.0, CELL).right(),
            Column::new("Resp.", 6.0, CELL).right(),
        ],
        rows,
        Some(caption.to_string()),
    );
    if empty {
        t.rows.push(vec![
            Cell::styled("The evidence records no population query.", CELL_MUTED),
            Cell::default(),
            Cell::default(),
            Cell::default(),
            Cell::default(),
            Cell::default(),
            Cell::default(),
            Cell::default(),
        ]);
    }
    t
}

/// The queries summed by kind of evidence.
fn query_summary_table(queries: &[PopulationQuery]) -> Table {
    struct Sum {
        queries: usize,
        repos: std::collections::BTreeSet<String>,
        pages: u64,
        records: u64,
        total: Option<u64>,
        responses: usize,
    }
    let mut sums: BTreeMap<&str, Sum> = BTreeMap::new();
    for q in queries {
        let sum = sums.entry(q.evidence_type.as_str()).or_insert(Sum {
            queries: 0,
            repos: Default::default(),
            pages: 0,
            records: 0,
            total: Some(0),
            responses: 0,
        });
        sum.queries += 1;
        if let Some(repo) = &q.repo {
            sum.repos.insert(repo.clone());
        }
        sum.pages += u64::from(q.pages);
        sum.records += q.records;
        sum.total = sum.total.zip(q.total_count).map(|(a, b)| a + b);
        sum.responses += q.responses.len();
    }
    // In the order the model lists evidence types, then any other.
    let mut order: Vec<&str> = crate::model::EVIDENCE_TYPES
        .iter()
        .copied()
        .filter(|t| sums.contains_key(t))
        .collect();
    order.extend(
        sums.keys()
            .copied()
            .filter(|t| !crate::model::EVIDENCE_TYPES.contains(t)),
    );
    let mut rows: Vec<Vec<Cell>> = order
        .iter()
        .map(|t| {
            let s = &sums[t];
            vec![
                Cell::new(t.replace('_', " ")),
                Cell::new(s.queries.to_string()),
                Cell::new(if s.repos.is_empty() {
                    "—".to_string()
                } else {
                    s.repos.len().to_string()
                }),
                Cell::new(s.pages.to_string()),
                Cell::new(s.records.to_string()),
                Cell::new(s.total.map(|n| n.to_string()).unwrap_or_else(|| "—".into())),
                Cell::new(s.responses.to_string()),
            ]
        })
        .collect();
    if rows.is_empty() {
        rows.push(vec![
            Cell::styled("The evidence records no population query.", CELL_MUTED),
            Cell::default(),
            Cell::default(),
            Cell::default(),
            Cell::default(),
            Cell::default(),
            Cell::default(),
        ]);
    }
    table(
        vec![
            Column::new("Evidence", 28.0, CELL),
            Column::new("Queries", 11.0, CELL).right(),
            Column::new("Repositories", 13.0, CELL).right(),
            Column::new("Pages", 10.0, CELL).right(),
            Column::new("Records", 12.0, CELL).right(),
            Column::new("API total", 13.0, CELL).right(),
            Column::new("Responses", 13.0, CELL).right(),
        ],
        rows,
        Some("Population queries by evidence".into()),
    )
}

/// Query parameters for reading: a JSON object as `key=value` pairs, a query string
/// decoded and split at `&`. evidence/evidence.json keeps them exactly as sent.
fn readable_parameters(parameters: &str) -> String {
    use serde_json::Value;
    if let Ok(Value::Object(map)) = serde_json::from_str::<Value>(parameters) {
        return map
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => format!("{k}={s}"),
                other => format!("{k}={other}"),
            })
            .collect::<Vec<_>>()
            .join(", ");
    }
    if parameters.contains('=') && !parameters.contains(' ') {
        return parameters
            .split('&')
            .map(percent_decode)
            .collect::<Vec<_>>()
            .join(", ");
    }
    parameters.to_string()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
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

fn gaps_table<'g>(gaps: impl Iterator<Item = &'g crate::model::Gap>) -> Table {
    let rows = gaps
        .map(|g| {
            vec![
                Cell::new(g.evidence_type.replace('_', " ")),
                Cell::new(g.repo.clone().unwrap_or_else(|| "—".into())),
                Cell::new(
                    g.status
                        .map(|s| s.to_string())
                        .unwrap_or_else(|| "—".into()),
                ),
                Cell::new(g.reason.clone()),
                Cell::new(g.source.clone()),
            ]
        })
        .collect();
    table(
        vec![
            Column::new("Evidence", 14.0, CELL),
            Column::new("Repository", 16.0, CELL),
            Column::new("HTTP status", 9.0, CELL),
            Column::new("Reason", 47.0, CELL),
            Column::new("Source", 14.0, CELL),
        ],
        rows,
        Some("Evidence not obtained".into()),
    )
}

fn subject_cell(e: &Exception) -> Cell {
    let subject = match e.subject_type {
        SubjectType::Change => format!("PR #{}", e.subject),
        SubjectType::Commit => format!("commit {}", short_sha(&e.subject)),
        other => format!("{} {}", other.as_str().replace('_', " "), e.subject),
    };
    let mut cell = Cell::new(subject).para(e.repo.clone(), CELL_MUTED);
    if web(&e.url) {
        cell.link = Some(Target::Uri(e.url.clone()));
    }
    cell
}

fn status_cell(e: &Exception) -> Cell {
    match e.status {
        ExceptionStatus::Open => Cell::badge("open", BAD),
        ExceptionStatus::Waived => Cell::badge("waived", NEUTRAL),
    }
}

/// A per-record result as in the population CSVs, coloured like the control results.
fn result_cell(cell: &ResultCell) -> Cell {
    let tone = match cell.class() {
        "pass" => GOOD,
        "fail" => BAD,
        "untested" => WARN,
        _ => NEUTRAL,
    };
    Cell::badge(cell.text().replace(';', "; "), tone)
}

/// The catalog's procedure: numbered steps with hanging numbers, other lines as text.
fn procedure(flow: &mut Flow<'_>, text: &str) {
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let step = line
            .split_once(". ")
            .filter(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
        match step {
            Some((n, rest)) => flow.paragraph(
                &code_spans(rest, BODY),
                16.0,
                Some(Span::new(format!("{n}."), BODY_BOLD.color(ACCENT))),
                3.5,
            ),
            None => flow.paragraph(&code_spans(line, BODY), 0.0, None, 3.5),
        }
    }
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
