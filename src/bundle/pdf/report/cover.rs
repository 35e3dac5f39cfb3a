//! The cover and the table of contents.

use super::*;

impl Report<'_> {
    pub(super) fn cover(&self, flow: &mut Flow<'_>) {
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
                let mut text = format!("{} — {}", s.name, forge_name(s.kind));
                if let Some(org) = &s.org {
                    // GitLab calls its organisations groups, and its repositories projects.
                    let unit = match s.kind {
                        crate::config::SourceKind::Gitlab => "group",
                        _ => "organisation",
                    };
                    text.push_str(&format!(" {unit} {org}"));
                }
                let api = s.api_url();
                if !api.is_empty() {
                    text.push_str(&format!(" ({api})"));
                }
                let repositories = match s.kind {
                    crate::config::SourceKind::Gitlab => "projects",
                    _ => "repositories",
                };
                text.push_str(&format!("; {repositories} {}", s.repos.join(", ")));
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

        if let Some(key_id) = &self.signed {
            self.panel(
                flow,
                GOOD,
                "Signed",
                &format!(
                    "`{MANIFEST_FILE}` lists every file of this bundle with its size and SHA-256 and is signed with minisign key {key_id} (`manifest.json.minisig`). Verify it with the preparer's public key before relying on this report (see 2.4)."
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
    pub(super) fn criteria(&self) -> String {
        super::super::super::criteria(&self.input.evaluation.findings)
    }

    pub(super) fn repositories(&self) -> Vec<String> {
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
    pub(super) fn glance(&self, flow: &mut Flow<'_>) {
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
    pub(super) fn panel(&self, flow: &mut Flow<'_>, tone: Tone, title: &str, text: &str) {
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

    pub(super) fn contents(&self, flow: &mut Flow<'_>) {
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
            let title = truncate(fonts, style, &entry.title, right - title_x - 40.0);
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
}
