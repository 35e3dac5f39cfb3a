//! report.pdf read back with lopdf: text per page, outline, metadata, fonts.

use lopdf::{Document, Object};

use super::super::BundleInput;
use super::super::manifest::Counts;
use super::super::population::Populations;
use super::super::tests::Fixture;
use crate::evaluate::Evaluation;
use crate::findings::{Exception, ExceptionStatus, Severity, SubjectType};

fn render_pdf(input: &BundleInput<'_>) -> Vec<u8> {
    let populations = Populations::derive(input);
    let counts = Counts::new(input, 4, 4);
    let samples = super::super::samples::draw_for_tests(input, &populations);
    super::render(input, &populations, &counts, &samples).expect("the report renders")
}

/// The text of every page, in page order, without whitespace: lines wrap anywhere, so
/// the tests compare text with its whitespace removed (see [`squash`]).
fn page_texts(bytes: &[u8]) -> Vec<String> {
    let doc = Document::load_mem(bytes).expect("the PDF parses");
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    pages
        .iter()
        .map(|n| squash(&doc.extract_text(&[*n]).expect("the page's text extracts")))
        .collect()
}

fn squash(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Whether the page text holds `needle`, whitespace aside.
fn has(text: &str, needle: &str) -> bool {
    text.contains(&squash(needle))
}

fn exception(control: &str, n: usize, summary: &str) -> Exception {
    let subject = (5000 + n).to_string();
    Exception {
        id: Exception::make_id(
            control,
            "acme/api",
            SubjectType::Change,
            &subject,
            "self_approval",
        ),
        control: control.into(),
        kind: "self_approval".into(),
        severity: Severity::High,
        repo: "acme/api".into(),
        subject_type: SubjectType::Change,
        subject: subject.clone(),
        summary: summary.into(),
        url: format!("https://github.com/acme/api/pull/{subject}"),
        evidence: vec![],
        status: ExceptionStatus::Open,
        waiver: None,
        detail: Default::default(),
    }
}

/// The fixture's evaluation with `extra` exceptions added (and counted) for CM-01.
fn with_exceptions(base: &Evaluation, extra: Vec<Exception>) -> Evaluation {
    let mut evaluation = base.clone();
    let added = extra.len() as u64;
    evaluation.findings.exceptions.extend(extra);
    evaluation
        .findings
        .exceptions
        .sort_by(|a, b| a.id.cmp(&b.id));
    let cm01 = evaluation
        .findings
        .controls
        .iter_mut()
        .find(|c| c.id == "CM-01")
        .unwrap();
    cm01.exceptions += added;
    evaluation
}

#[test]
fn the_report_parses_and_shows_controls_exceptions_and_page_numbers() {
    let fixture = Fixture::new(true);
    let bytes = render_pdf(&fixture.input());
    assert!(bytes.starts_with(b"%PDF-"));
    let pages = page_texts(&bytes);
    let total = pages.len();
    assert!(total >= 8, "{total} pages");
    let all = pages.join("\n");
    for id in ["CM-01", "CM-02", "CM-03", "CM-04", "CM-05"] {
        assert!(has(&all, id), "{id} missing");
    }
    // An exception summary, and the waiver of the waived one.
    assert!(has(&all, "was approved only by its co-author"), "{all}");
    assert!(has(&all, "Release tooling hotfix, reviewed in INC-42"));
    assert!(
        has(&pages[0], &format!("page 1 of {total}")),
        "{}",
        pages[0]
    );
    for (i, text) in pages.iter().enumerate() {
        assert!(
            has(text, &format!("page {} of {total}", i + 1)),
            "page {} has no page number: {text}",
            i + 1
        );
    }
    // The cover names the audit, the window and the generation time, and says UNSIGNED.
    assert!(has(&pages[0], "Acme Corp"), "{}", pages[0]);
    assert!(has(&pages[0], "2026-07-01T00:00:00Z"));
    assert!(has(&pages[0], "2026-10-06T12:00:00Z"));
    assert!(has(&pages[0], "UNSIGNED"));
    assert!(!has(&all, "INCOMPLETE"));
}

#[test]
fn a_long_exception_table_repeats_its_header_on_every_page() {
    let fixture = Fixture::new(true);
    let extra = (0..160)
        .map(|n| {
            exception(
                "CM-01",
                n,
                &format!("Synthetic row {n:03} approved only by its author"),
            )
        })
        .collect();
    let evaluation = with_exceptions(&fixture.input().evaluation.clone(), extra);
    let input = BundleInput {
        evaluation: &evaluation,
        ..fixture.input()
    };
    let pages = page_texts(&render_pdf(&input));
    // The CM-01 section lists the first 100 synthetic rows over several pages.
    let section: Vec<&String> = pages
        .iter()
        .filter(|t| has(t, "Synthetic row") && !has(t, "Exception id"))
        .collect();
    assert!(
        section.len() >= 3,
        "{} pages of CM-01 exceptions",
        section.len()
    );
    for text in &section {
        for title in ["Subject", "Kind", "Severity", "Summary", "Status"] {
            assert!(
                has(text, title),
                "a continuation page lacks the header `{title}`: {text}"
            );
        }
    }
    // Every continuation page says what continues.
    let continued = pages
        .iter()
        .filter(|t| has(t, "CM-01 exceptions (continued)"))
        .count();
    assert_eq!(continued, section.len() - 1);
    // Appendix A lists all 164 exceptions, its header on each of its pages.
    let appendix: Vec<&String> = pages.iter().filter(|t| has(t, "Exception id")).collect();
    assert!(appendix.len() >= 3);
    let rows: usize = pages
        .iter()
        .map(|t| t.matches(&squash("Synthetic row")).count())
        .sum();
    // The section's first 100 are the fixture's own CM-01 exception (its id sorts
    // first) and 99 synthetic ones; Appendix A has all.
    assert_eq!(rows, 99 + 160);
    assert!(
        pages
            .iter()
            .any(|t| has(t, "The first 100 of 161 exceptions are listed"))
    );
}

#[test]
fn an_incomplete_collection_is_marked_on_every_page() {
    let fixture = Fixture::new(false);
    let pages = page_texts(&render_pdf(&fixture.input()));
    assert!(pages.len() >= 8);
    for (i, text) in pages.iter().enumerate() {
        assert!(
            has(text, "INCOMPLETE"),
            "page {} is not marked: {text}",
            i + 1
        );
    }
    // The cover says what is missing.
    assert!(has(
        &pages[0],
        "branch_protection for acme/payments: HTTP 502 after 5 retries"
    ));
}

#[test]
fn the_same_inputs_give_the_same_bytes_and_fixed_metadata() {
    let fixture = Fixture::new(true);
    let first = render_pdf(&fixture.input());
    let second = render_pdf(&fixture.input());
    assert!(first == second, "two renderings differ");

    let doc = Document::load_mem(&first).unwrap();
    let info = doc
        .trailer
        .get(b"Info")
        .and_then(Object::as_reference)
        .and_then(|r| doc.get_dictionary(r))
        .unwrap();
    let string = |key: &[u8]| decode_text(info.get(key).unwrap().as_str().unwrap());
    assert_eq!(string(b"CreationDate"), "D:20261006120000Z");
    assert_eq!(string(b"ModDate"), "D:20261006120000Z");
    assert_eq!(string(b"Producer"), "changeproof 0.1.0");
    assert_eq!(string(b"Creator"), "changeproof 0.1.0");

    // Another generation time: other dates, other document id.
    let later = crate::model::Timestamp::from(
        chrono::DateTime::parse_from_rfc3339("2026-10-07T08:00:00Z").unwrap(),
    );
    let other = render_pdf(&BundleInput {
        generated_at: later,
        ..fixture.input()
    });
    assert_ne!(document_id(&first), document_id(&other));
    assert_eq!(document_id(&first).len(), 16);
}

fn document_id(bytes: &[u8]) -> Vec<u8> {
    let doc = Document::load_mem(bytes).unwrap();
    let id = doc.trailer.get(b"ID").unwrap().as_array().unwrap();
    assert_eq!(id.len(), 2);
    assert_eq!(id[0], id[1]);
    id[0].as_str().unwrap().to_vec()
}

/// A PDF text string: UTF-16BE after a byte-order mark, else bytes as Latin-1.
fn decode_text(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(&[0xfe, 0xff]) {
        let units: Vec<u16> = rest
            .chunks(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect();
        return String::from_utf16(&units).unwrap();
    }
    bytes.iter().map(|b| *b as char).collect()
}

#[test]
fn names_outside_ascii_survive_with_their_unicode_mapping() {
    let fixture = Fixture::new(true);
    let extra = vec![exception(
        "CM-01",
        1,
        "PR #5001 was approved only by its co-author Zoë Łukasiewicz; committed by José Núñez",
    )];
    let evaluation = with_exceptions(&fixture.input().evaluation.clone(), extra);
    let bytes = render_pdf(&BundleInput {
        evaluation: &evaluation,
        ..fixture.input()
    });
    let all = page_texts(&bytes).join("\n");
    assert!(has(&all, "Zoë Łukasiewicz"), "{all}");
    assert!(has(&all, "José Núñez"));

    // Every font is embedded from the repository's DejaVu files, with a ToUnicode map.
    let doc = Document::load_mem(&bytes).unwrap();
    let mut fonts = Vec::new();
    for object in doc.objects.values() {
        let Ok(dict) = object.as_dict() else { continue };
        if dict.get(b"Type").and_then(Object::as_name).ok() != Some(b"Font".as_slice())
            || dict.get(b"Subtype").and_then(Object::as_name).ok() != Some(b"Type0".as_slice())
        {
            continue;
        }
        let name =
            String::from_utf8_lossy(dict.get(b"BaseFont").unwrap().as_name().unwrap()).into_owned();
        assert!(dict.has(b"ToUnicode"), "{name} has no ToUnicode map");
        let descendant = match &dict.get(b"DescendantFonts").unwrap().as_array().unwrap()[0] {
            Object::Reference(id) => doc.get_dictionary(*id).unwrap(),
            other => other.as_dict().unwrap(),
        };
        let descriptor = descendant
            .get(b"FontDescriptor")
            .unwrap()
            .as_reference()
            .unwrap();
        assert!(
            doc.get_dictionary(descriptor).unwrap().has(b"FontFile2"),
            "{name} is not embedded"
        );
        fonts.push(name);
    }
    fonts.sort();
    assert_eq!(
        fonts,
        [
            "CPFAAA+DejaVuSans",
            "CPFAAB+DejaVuSans-Bold",
            "CPFAAC+DejaVuSansMono"
        ]
    );
}

#[test]
fn the_outline_has_every_section_and_control() {
    let fixture = Fixture::new(true);
    let doc = Document::load_mem(&render_pdf(&fixture.input())).unwrap();
    let catalog = doc.catalog().unwrap();
    assert_eq!(
        catalog.get(b"PageMode").unwrap().as_name().unwrap(),
        b"UseOutlines"
    );
    let root = doc
        .get_dictionary(catalog.get(b"Outlines").unwrap().as_reference().unwrap())
        .unwrap();
    let titles = |first: Option<&Object>| -> Vec<(String, lopdf::ObjectId)> {
        let mut out = Vec::new();
        let mut next = first.and_then(|o| o.as_reference().ok());
        while let Some(id) = next {
            let item = doc.get_dictionary(id).unwrap();
            out.push((
                decode_text(item.get(b"Title").unwrap().as_str().unwrap()),
                id,
            ));
            // Each bookmark points at a page of the document.
            let dest = item.get(b"Dest").unwrap().as_array().unwrap();
            assert!(doc.get_dictionary(dest[0].as_reference().unwrap()).is_ok());
            next = item.get(b"Next").ok().and_then(|o| o.as_reference().ok());
        }
        out
    };
    let top = titles(root.get(b"First").ok());
    let names: Vec<&str> = top.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(
        names,
        [
            "Contents",
            "1 Summary",
            "2 Scope and method",
            "3 Control results",
            "4 Reconciliation",
            "Appendix A: Exceptions",
            "Appendix B: Population excerpts"
        ]
    );
    let controls = doc.get_dictionary(top[3].1).unwrap();
    let children: Vec<String> = titles(controls.get(b"First").ok())
        .into_iter()
        .map(|(t, _)| t)
        .collect();
    assert_eq!(children.len(), 5);
    assert!(children[0].starts_with("CM-01 "), "{children:?}");
    assert!(children[4].starts_with("CM-05 "));
}

#[test]
fn a_signed_bundle_says_so_on_the_cover() {
    let fixture = Fixture::new(true);
    let key = crate::signing::SigningKey::demo().expect("demo key");
    let pages = page_texts(&render_pdf(&BundleInput {
        signing_key: Some(&key),
        ..fixture.input()
    }));
    assert!(has(&pages[0], "Signed"), "{}", pages[0]);
    assert!(has(&pages[0], &key.key_id()), "{}", pages[0]);
    assert!(!pages.iter().any(|p| has(p, "UNSIGNED")));
    assert!(pages.iter().any(|p| has(p, "minisign -Vm manifest.json")));
}

#[test]
fn each_control_section_describes_its_sample_and_section_4_reconciles() {
    let fixture = Fixture::new(true);
    let text = page_texts(&render_pdf(&fixture.input())).join("");
    for expected in [
        "Sample for re-performance",
        "samples/CM-01.csv lists the selected rows",
        "4 Reconciliation",
        "reconciled against the commits that entered a production branch",
        "4.1 Differences",
    ] {
        assert!(text.contains(&squash(expected)), "{expected}");
    }
}
