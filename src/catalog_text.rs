//! The catalog as text for people: `docs/controls.md` for auditors (generated, and checked
//! by a test to match the catalog the binary embeds) and `changeproof controls show`
//! (wrapped for a terminal).

use std::fmt::Write;

use crate::catalog::{Catalog, ControlEntry};

/// Where the generated auditor documentation lives in the repository.
pub const CONTROLS_DOC: &str = "docs/controls.md";

/// The command that regenerates [`CONTROLS_DOC`].
pub const REGENERATE: &str = "cargo run -- controls doc > docs/controls.md";

/// `docs/controls.md`: every control of the catalog, for auditors.
pub fn markdown(catalog: &Catalog) -> String {
    let mut out = String::new();
    out.push_str("# Control catalog\n\n");
    let _ = writeln!(
        out,
        "<!-- Generated from controls/*.toml by `{REGENERATE}`; do not edit by hand. -->\n"
    );
    out.push_str(
        "Each control below is tested by changeproof on every record of its population over \
         the audit window `[start, end)` UTC. A control's result is `effective` (population \
         tested, no open exception), `exceptions` (one or more open exceptions), `not_tested` \
         (evidence unavailable, with the reason) or `not_applicable` (empty population, proven \
         by a recorded query that returned zero rows). Exception ids are \
         `control/repo/subject_type/subject/kind` and are stable across runs.\n\n",
    );
    out.push_str("| id | title | TSC | frequency | severity |\n|---|---|---|---|---|\n");
    for c in &catalog.controls {
        let _ = writeln!(
            out,
            "| [{id}](#{anchor}) | {title} | {tsc} | {freq} | {sev} |",
            id = c.id,
            anchor = anchor(c),
            title = cell(&c.title),
            tsc = c.tsc.join(", "),
            freq = c.frequency,
            sev = c.severity.as_str()
        );
    }
    for c in &catalog.controls {
        out.push('\n');
        control_section(&mut out, c);
    }
    out
}

fn control_section(out: &mut String, c: &ControlEntry) {
    let _ = writeln!(out, "## {} — {}\n", c.id, c.title);
    let _ = writeln!(
        out,
        "TSC {} · frequency {} · severity {}\n",
        c.tsc.join(", "),
        c.frequency,
        c.severity.as_str()
    );
    let _ = writeln!(out, "**Objective.** {}\n", prose(&c.objective));
    let _ = writeln!(out, "**Population.** {}\n", prose(&c.population));
    out.push_str("**Test procedure.**\n\n");
    for line in c.procedure.trim().lines() {
        let line = line.trim();
        match step_label(line) {
            // Sub-steps ("a. …") nest under the numbered step as a bullet list.
            Some(Step::Lettered) => {
                let _ = writeln!(out, "   - {line}");
            }
            _ => {
                let _ = writeln!(out, "{line}");
            }
        }
    }
    out.push('\n');
    if c.kinds.is_empty() {
        out.push_str("**Exception kinds.** None: the control is informational.\n");
    } else {
        out.push_str("**Exception kinds.**\n\n| kind | severity | meaning |\n|---|---|---|\n");
        for k in &c.kinds {
            let _ = writeln!(
                out,
                "| `{}` | {} | {} |",
                k.kind,
                k.severity.unwrap_or(c.severity).as_str(),
                cell(&k.description)
            );
        }
    }
    if !c.parameters.is_empty() {
        out.push_str("\n**Parameters.**\n\n| parameter | default | meaning |\n|---|---|---|\n");
        for p in &c.parameters {
            let _ = writeln!(
                out,
                "| `{}` | `{}` | {} |",
                p.name,
                p.default,
                cell(&p.description)
            );
        }
    }
}

/// GitHub's heading anchor for `## CM-01 — Title`.
fn anchor(c: &ControlEntry) -> String {
    let heading = format!("{} — {}", c.id, c.title);
    heading
        .to_lowercase()
        .chars()
        .filter_map(|ch| match ch {
            ' ' => Some('-'),
            ch if ch.is_alphanumeric() || ch == '-' || ch == '_' => Some(ch),
            _ => None,
        })
        .collect()
}

/// Catalog text joins its lines with `\` continuations already; trim and keep one paragraph.
fn prose(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Text inside a table cell: one line, pipes escaped.
fn cell(text: &str) -> String {
    prose(text).replace('|', "\\|")
}

/// `changeproof controls show ID`: the entry as plain text wrapped to `width` columns.
pub fn plain(c: &ControlEntry, width: usize) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} — {}", c.id, c.title);
    let _ = writeln!(
        out,
        "TSC: {}\nSeverity: {}\nFrequency: {}\n",
        c.tsc.join(", "),
        c.severity.as_str(),
        c.frequency
    );
    heading_block(&mut out, "Objective", &prose(&c.objective), width);
    heading_block(&mut out, "Population", &prose(&c.population), width);
    out.push_str("Test procedure\n");
    for step in c.procedure.trim().lines().filter(|l| !l.trim().is_empty()) {
        let step = prose(step);
        // Hang each step's continuation lines under its text; sub-steps indent further.
        let (first, hang) = match step_label(&step) {
            Some(Step::Numbered(label)) => ("  ".to_string(), 2 + label),
            Some(Step::Lettered) => ("     ".to_string(), 8),
            None => ("  ".to_string(), 2),
        };
        wrap_into(&mut out, &step, &first, &" ".repeat(hang), width);
    }
    out.push('\n');
    if c.kinds.is_empty() {
        out.push_str("Exception kinds\n  none: the control is informational\n");
    } else {
        out.push_str("Exception kinds\n");
        for k in &c.kinds {
            let _ = writeln!(out, "  {}", k.kind);
            wrap_into(&mut out, &prose(&k.description), "      ", "      ", width);
        }
    }
    if !c.parameters.is_empty() {
        out.push_str("\nParameters\n");
        for p in &c.parameters {
            let _ = writeln!(out, "  {} (default {})", p.name, p.default);
            wrap_into(&mut out, &prose(&p.description), "      ", "      ", width);
        }
    }
    out
}

enum Step {
    /// `12. …`: the label's length including the dot and space.
    Numbered(usize),
    /// `a. …`
    Lettered,
}

fn step_label(line: &str) -> Option<Step> {
    let (label, _) = line.split_once(". ")?;
    if !label.is_empty() && label.chars().all(|ch| ch.is_ascii_digit()) {
        Some(Step::Numbered(label.len() + 2))
    } else if label.len() == 1 && label.chars().all(|ch| ch.is_ascii_lowercase()) {
        Some(Step::Lettered)
    } else {
        None
    }
}

fn heading_block(out: &mut String, heading: &str, text: &str, width: usize) {
    let _ = writeln!(out, "{heading}");
    wrap_into(out, text, "  ", "  ", width);
    out.push('\n');
}

/// Greedy word wrap; a word longer than the line stays whole on its own line.
fn wrap_into(out: &mut String, text: &str, first: &str, rest: &str, width: usize) {
    let mut line = String::from(first);
    let mut has_word = false;
    for word in text.split_whitespace() {
        if has_word && line.chars().count() + 1 + word.chars().count() > width {
            out.push_str(&line);
            out.push('\n');
            line = String::from(rest);
            has_word = false;
        }
        if has_word {
            line.push(' ');
        }
        line.push_str(word);
        has_word = true;
    }
    if has_word {
        out.push_str(&line);
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_doc_is_current() {
        let catalog = Catalog::builtin().unwrap();
        let expected = markdown(&catalog);
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(CONTROLS_DOC);
        if std::env::var_os("CHANGEPROOF_UPDATE_DOCS").is_some() {
            std::fs::write(&path, &expected).unwrap();
        }
        let actual = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            actual == expected,
            "{CONTROLS_DOC} is not current with controls/*.toml: run `{REGENERATE}` \
             (or this test with CHANGEPROOF_UPDATE_DOCS=1)"
        );
    }

    #[test]
    fn markdown_documents_every_control_and_kind() {
        let catalog = Catalog::builtin().unwrap();
        let doc = markdown(&catalog);
        for c in &catalog.controls {
            assert!(
                doc.contains(&format!("## {} — {}", c.id, c.title)),
                "{}",
                c.id
            );
            assert!(
                doc.contains(&format!("[{}](#{})", c.id, anchor(c))),
                "{}",
                c.id
            );
            for k in &c.kinds {
                assert!(doc.contains(&format!("| `{}` |", k.kind)), "{}", k.kind);
            }
        }
    }

    #[test]
    fn anchors_follow_github_rules() {
        let catalog = Catalog::builtin().unwrap();
        let c = catalog.get("CM-01").unwrap();
        assert_eq!(
            anchor(c),
            "cm-01--changes-are-independently-approved-before-merge"
        );
    }

    #[test]
    fn plain_text_wraps_to_the_width() {
        let catalog = Catalog::builtin().unwrap();
        for c in &catalog.controls {
            let text = plain(c, 80);
            // The heading line (id and title) is not wrapped.
            for line in text.lines().skip(1) {
                let long_word = line.split_whitespace().any(|w| w.chars().count() > 50);
                assert!(
                    line.chars().count() <= 80 || long_word,
                    "{}: {line:?}",
                    c.id
                );
            }
            assert!(text.contains("Test procedure"));
            for k in &c.kinds {
                assert!(text.contains(&format!("  {}\n", k.kind)));
            }
        }
    }

    #[test]
    fn numbered_steps_hang_under_their_text() {
        let mut out = String::new();
        wrap_into(
            &mut out,
            "1. alpha beta gamma delta epsilon zeta eta theta iota kappa lambda",
            "  ",
            "     ",
            30,
        );
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines.len() > 1);
        assert!(lines[0].starts_with("  1. alpha"));
        assert!(lines[1..].iter().all(|l| l.starts_with("     ")));
    }
}
