//! `workpapers.xlsx` read back with an independent reader (calamine) and, for what
//! calamine does not expose (frozen panes, filters, widths, properties), from its XML.

use std::io::{Cursor, Read};

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};

use super::*;

const CHANGES: &str = "Changes";
const COMMITS: &str = "Commits";
use crate::bundle::workpapers::{
    CONTROL_COLUMNS, CONTROLS, EXCEPTIONS, PATH, RECONCILIATION, RESULT_COLUMNS, SAMPLES, SUMMARY,
};

fn open(files: &BundleFiles) -> Xlsx<Cursor<Vec<u8>>> {
    open_workbook_from_rs(Cursor::new(files[PATH].clone())).expect("the workbook opens")
}

fn range(book: &mut Xlsx<Cursor<Vec<u8>>>, sheet: &str) -> Vec<Vec<Data>> {
    book.worksheet_range(sheet)
        .unwrap_or_else(|e| panic!("{sheet}: {e}"))
        .rows()
        .map(<[Data]>::to_vec)
        .collect()
}

fn strings(row: &[Data]) -> Vec<String> {
    row.iter().map(|d| d.to_string()).collect()
}

/// The rows of the table whose header row starts with `first`, up to the first blank row.
fn table(rows: &[Vec<Data>], first: &str) -> (Vec<String>, Vec<Vec<Data>>) {
    let start = rows
        .iter()
        .position(|r| r.first().is_some_and(|d| *d == first))
        .unwrap_or_else(|| panic!("no table headed {first}"));
    let header: Vec<String> = strings(&rows[start])
        .into_iter()
        .filter(|h| !h.is_empty())
        .collect();
    let body = rows[start + 1..]
        .iter()
        .take_while(|r| r.iter().any(|d| *d != Data::Empty))
        .cloned()
        .collect();
    (header, body)
}

fn cell<'a>(header: &[String], row: &'a [Data], name: &str) -> &'a Data {
    let index = header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name} in {header:?}"));
    &row[index]
}

/// The XML of a part of the workbook's zip.
fn part(files: &BundleFiles, name: &str) -> String {
    let mut zip = zip::ZipArchive::new(Cursor::new(files[PATH].clone())).unwrap();
    let mut text = String::new();
    zip.by_name(name)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .read_to_string(&mut text)
        .unwrap();
    text
}

/// The worksheet XML of a sheet, by its position in the workbook (1-based).
fn sheet_xml(files: &BundleFiles, position: usize) -> String {
    part(files, &format!("xl/worksheets/sheet{position}.xml"))
}

/// Excel serial days of a UTC time.
fn serial(time: &str) -> f64 {
    let t = t(time);
    25_569.0 + t.timestamp() as f64 / 86_400.0
}

fn datetime_seconds(data: &Data) -> i64 {
    match data {
        Data::DateTime(dt) => {
            assert!(dt.is_datetime(), "{dt:?} is not formatted as a date-time");
            ((dt.as_f64() - 25_569.0) * 86_400.0).round() as i64
        }
        other => panic!("expected a date-time cell, got {other:?}"),
    }
}

#[test]
fn the_workbook_has_every_sheet_in_order() {
    let files = Fixture::new(true).build();
    let book = open(&files);
    assert_eq!(
        book.sheet_names(),
        [
            SUMMARY,
            CONTROLS,
            EXCEPTIONS,
            CHANGES,
            COMMITS,
            "Deployments",
            "Branches",
            "Accounts",
            "Privileged access",
            "Access grants",
            "Credentials",
            "Access changes",
            "Sources",
            SAMPLES,
            RECONCILIATION,
            "Trends"
        ]
    );
}

#[test]
fn population_sheets_have_the_csv_columns_and_one_row_per_record() {
    let fixture = Fixture::new(true);
    let files = fixture.build();
    let mut book = open(&files);

    let rows = range(&mut book, CHANGES);
    let expected: Vec<String> = CHANGE_COLUMNS
        .iter()
        .chain(&CHANGE_CONTROLS)
        .map(|s| s.to_string())
        .collect();
    assert_eq!(strings(&rows[0]), expected);
    assert_eq!(rows.len() - 1, fixture.evaluation.changes.len());
    // The same header as the CSV, so a reviewer can match the two.
    let (csv_header, _) = read_csv(&files["populations/changes.csv"]);
    assert_eq!(csv_header, expected);
    let header = strings(&rows[0]);
    let pr102 = &rows[2];
    assert_eq!(cell(&header, pr102, "number"), &Data::Float(102.0));
    // Cells hold text, never markup: the title is verbatim.
    assert_eq!(
        cell(&header, pr102, "title"),
        &Data::String(MALICIOUS_TITLE.into())
    );
    assert_eq!(
        cell(&header, pr102, "authors"),
        &Data::String("alice, bob".into())
    );
    assert_eq!(cell(&header, pr102, "approval_on_head"), &Data::Bool(false));
    assert_eq!(cell(&header, pr102, "emergency"), &Data::Bool(false));
    assert_eq!(
        cell(&header, pr102, "CM-01"),
        &Data::String("self_approval".into())
    );
    assert_eq!(
        cell(&header, &rows[1], "CM-01"),
        &Data::String("pass".into())
    );
    // acme/payments has no protection record: CM-03 could not judge its change.
    assert_eq!(
        cell(&header, &rows[3], "CM-03"),
        &Data::String("not_tested".into())
    );

    let rows = range(&mut book, COMMITS);
    let expected: Vec<String> = COMMIT_COLUMNS
        .iter()
        .chain(["CM-05"].iter())
        .map(|s| s.to_string())
        .collect();
    assert_eq!(strings(&rows[0]), expected);
    assert_eq!(rows.len() - 1, fixture.evaluation.commits.len());
    let header = strings(&rows[0]);
    assert_eq!(
        cell(&header, &rows[2], "author"),
        &Data::String(UNICODE_NAME.into())
    );
    assert_eq!(cell(&header, &rows[1], "change"), &Data::Float(101.0));
    assert_eq!(cell(&header, &rows[2], "change"), &Data::Empty);
    assert_eq!(
        cell(&header, &rows[3], "CM-05"),
        &Data::String("direct_push (waived)".into())
    );
}

#[test]
fn exceptions_and_controls_have_a_row_each() {
    let fixture = Fixture::new(true);
    let files = fixture.build();
    let mut book = open(&files);

    let rows = range(&mut book, EXCEPTIONS);
    assert_eq!(strings(&rows[0]), EXCEPTION_COLUMNS);
    let exceptions = &fixture.evaluation.findings.exceptions;
    assert_eq!(rows.len() - 1, exceptions.len());
    let header = strings(&rows[0]);
    for (row, e) in rows[1..].iter().zip(exceptions) {
        assert_eq!(cell(&header, row, "id"), &Data::String(e.id.clone()));
    }
    let bypass = rows[1..]
        .iter()
        .find(|r| *cell(&header, r, "kind") == "protection_bypassed")
        .unwrap();
    assert_eq!(
        cell(&header, bypass, "detail").to_string(),
        "basis: rule_suite"
    );
    let waived = rows[1..]
        .iter()
        .find(|r| *cell(&header, r, "status") == "waived")
        .unwrap();
    assert_eq!(
        cell(&header, waived, "waiver_reason").to_string(),
        "Release tooling hotfix, reviewed in INC-42"
    );
    assert_eq!(
        cell(&header, waived, "waiver_approved_by").to_string(),
        "ciso@acme.example"
    );
    let self_approval = rows[1..]
        .iter()
        .find(|r| *cell(&header, r, "kind") == "self_approval")
        .unwrap();
    assert_eq!(
        cell(&header, self_approval, "evidence")
            .to_string()
            .lines()
            .count(),
        2
    );

    let rows = range(&mut book, CONTROLS);
    assert_eq!(strings(&rows[0]), CONTROL_COLUMNS);
    assert_eq!(rows.len() - 1, fixture.catalog.controls.len());
    let header = strings(&rows[0]);
    let cm01 = rows
        .iter()
        .find(|r| *cell(&header, r, "id") == Data::String("CM-01".into()))
        .expect("a CM-01 row");
    assert_eq!(cell(&header, cm01, "id").to_string(), "CM-01");
    let parameters = cell(&header, cm01, "parameters_in_force").to_string();
    assert!(
        parameters.contains("min_approvals = 1 (default 1)"),
        "{parameters}"
    );
    // The per-repository override of the config is in force, and shown.
    assert!(parameters.contains("acme/payments"), "{parameters}");
    let kinds = cell(&header, cm01, "exception_kinds").to_string();
    assert!(kinds.contains("self_approval (high): "), "{kinds}");
    assert!(
        cell(&header, cm01, "procedure")
            .to_string()
            .starts_with("1. Obtain the population")
    );
}

#[test]
fn times_are_excel_date_times_in_utc() {
    let files = Fixture::new(true).build();
    let mut book = open(&files);
    let rows = range(&mut book, CHANGES);
    let header = strings(&rows[0]);
    assert_eq!(
        datetime_seconds(cell(&header, &rows[1], "merged_at")),
        t("2026-07-11T09:00:00Z").timestamp()
    );
    match cell(&header, &rows[1], "merged_at") {
        Data::DateTime(dt) => assert!((dt.as_f64() - serial("2026-07-11T09:00:00Z")).abs() < 1e-9),
        other => panic!("{other:?}"),
    }
    let rows = range(&mut book, COMMITS);
    let header = strings(&rows[0]);
    assert_eq!(
        datetime_seconds(cell(&header, &rows[3], "committed_at")),
        t("2026-08-01T10:03:00Z").timestamp()
    );

    let rows = range(&mut book, SUMMARY);
    let fact = |label: &str| {
        rows.iter()
            .find(|r| r[0] == label)
            .unwrap_or_else(|| panic!("no {label}"))[1]
            .clone()
    };
    assert_eq!(
        datetime_seconds(&fact("Window start (UTC, inclusive)")),
        t("2026-07-01T00:00:00Z").timestamp()
    );
    assert_eq!(
        datetime_seconds(&fact("Window end (UTC, exclusive)")),
        t("2026-10-01T00:00:00Z").timestamp()
    );
    assert_eq!(
        datetime_seconds(&fact("Generated at (UTC)")),
        t("2026-10-06T12:00:00Z").timestamp()
    );
    assert_eq!(
        datetime_seconds(&fact("Evidence snapshot (UTC)")),
        t("2026-10-05T09:00:00Z").timestamp()
    );
    // The number format says the zone, since Excel has none.
    assert!(part(&files, "xl/styles.xml").contains("yyyy-mm-dd hh:mm:ss &quot;UTC&quot;"));
}

#[test]
fn pull_requests_and_commits_are_hyperlinks() {
    let mut fixture = Fixture::new(true);
    // A forge address that is not a web address stays text.
    fixture.evaluation.findings.exceptions[0].url = "javascript:alert(1)".into();
    let files = fixture.build();
    let mut book = open(&files);

    let links = book.hyperlinks_by_sheet_name(CHANGES).unwrap();
    let targets: Vec<String> = links.iter().filter_map(|l| l.target.clone()).collect();
    assert_eq!(
        targets,
        [
            "https://github.com/acme/api/pull/101",
            "https://github.com/acme/api/pull/102",
            "https://github.com/acme/payments/pull/7"
        ]
    );
    let url_col = CHANGE_COLUMNS.iter().position(|c| *c == "url").unwrap() as u32;
    assert_eq!(links[0].range.start, (1, url_col));

    let links = book.hyperlinks_by_sheet_name(COMMITS).unwrap();
    assert_eq!(links.len(), 3);
    assert_eq!(
        links[1].target.as_deref(),
        Some(format!("https://github.com/acme/api/commit/{}", sha(2)).as_str())
    );

    let links = book.hyperlinks_by_sheet_name(EXCEPTIONS).unwrap();
    assert_eq!(links.len(), 3, "the javascript: address is not a link");
    let rows = range(&mut book, EXCEPTIONS);
    let header = strings(&rows[0]);
    assert_eq!(
        cell(&header, &rows[1], "url").to_string(),
        "javascript:alert(1)"
    );
}

#[test]
fn header_rows_are_frozen_and_filtered() {
    let files = Fixture::new(true).build();
    // Sheet positions: Summary 1, Controls 2, Exceptions 3, Changes 4, Commits 5.
    let changes = sheet_xml(&files, 4);
    assert!(
        changes.contains(r#"<pane xSplit="2" ySplit="1" topLeftCell="C2" activePane="bottomRight" state="frozen"/>"#),
        "{changes}"
    );
    // The last column's letters: 27 columns end at AA.
    let n = CHANGE_COLUMNS.len() + CHANGE_CONTROLS.len();
    let last_col = if n <= 26 {
        ((b'A' + (n - 1) as u8) as char).to_string()
    } else {
        format!(
            "{}{}",
            (b'A' + ((n - 1) / 26 - 1) as u8) as char,
            (b'A' + ((n - 1) % 26) as u8) as char
        )
    };
    assert!(
        changes.contains(&format!(r#"<autoFilter ref="A1:{last_col}4"/>"#)),
        "{changes}"
    );
    let exceptions = sheet_xml(&files, 3);
    assert!(exceptions.contains(r#"ySplit="1""#) && exceptions.contains(r#"state="frozen""#));
    assert!(
        exceptions.contains(r#"<autoFilter ref="A1:P5"/>"#),
        "{exceptions}"
    );
    let commits = sheet_xml(&files, 5);
    assert!(
        commits.contains(r#"<autoFilter ref="A1:K4"/>"#),
        "{commits}"
    );
}

/// Column widths of a worksheet, by 1-based column.
fn widths(xml: &str) -> Vec<(usize, f64)> {
    xml.split("<col ")
        .skip(1)
        .flat_map(|c| {
            let attr = |name: &str| {
                let start = c.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
                let end = start + c[start..].find('"').unwrap();
                c[start..end].to_string()
            };
            let (min, max): (usize, usize) =
                (attr("min").parse().unwrap(), attr("max").parse().unwrap());
            let width: f64 = attr("width").parse().unwrap();
            (min..=max).map(move |col| (col, width))
        })
        .collect()
}

#[test]
fn column_widths_fit_the_content_within_caps() {
    let mut fixture = Fixture::new(true);
    fixture.evaluation.changes[0].title = "A very long title ".repeat(20).into();
    let files = fixture.build();
    let changes = widths(&sheet_xml(&files, 4));
    let width = |name: &str| {
        let col = CHANGE_COLUMNS.iter().position(|c| *c == name).unwrap() + 1;
        changes
            .iter()
            .find(|(c, _)| *c == col)
            .map(|(_, w)| *w)
            .unwrap()
    };
    // A 40-character SHA gets its width; the long title wraps at a capped width.
    assert!(width("head_sha") >= 40.0, "{}", width("head_sha"));
    assert!(
        width("title") <= 63.0 && width("title") >= 60.0,
        "{}",
        width("title")
    );
    // A short column is as wide as its header, not wider than needed.
    assert!(
        width("number") >= 9.0 && width("number") <= 12.0,
        "{}",
        width("number")
    );
    // The long title's cell wraps (a format with wrap text on).
    assert!(part(&files, "xl/styles.xml").contains(r#"wrapText="1""#));
}

#[test]
fn the_summary_states_scope_signature_and_completeness() {
    let fixture = Fixture::new(true);
    let files = fixture.build();
    let mut book = open(&files);
    let rows = range(&mut book, SUMMARY);
    let text: Vec<String> = rows.iter().flat_map(|r| strings(r)).collect();
    assert_eq!(text[0], "Acme Corp — SOC 2 Type II, Q3 2026");
    assert!(!text.iter().any(|t| t.contains("INCOMPLETE")), "{text:?}");
    assert!(text.iter().any(|t| t.starts_with("UNSIGNED")), "{text:?}");
    assert!(text.iter().any(|t| t == "changeproof 0.1.0"));
    assert!(text.iter().any(|t| t == "auditor-seed-42"));
    assert!(text.iter().any(|t| t == "2: acme/api, acme/payments"));
    let (header, body) = table(&rows, "Control");
    assert_eq!(header, RESULT_COLUMNS);
    assert_eq!(body.len(), fixture.evaluation.findings.controls.len());
    assert_eq!(cell(&header, &body[0], "Result").to_string(), "Exceptions");
    assert_eq!(cell(&header, &body[1], "Result").to_string(), "Effective");
    assert_eq!(
        cell(&header, &body[2], "Reason").to_string(),
        "acme/payments: no branch protection record for main; 1 change not tested"
    );
    assert_eq!(cell(&header, &body[4], "Waived"), &Data::Float(1.0));
    let summary = sheet_xml(&files, 1);
    assert!(summary.contains(r#"ySplit="3""#), "title rows are frozen");

    let incomplete = Fixture::new(false);
    let key = crate::signing::SigningKey::demo().unwrap();
    let files = build(&BundleInput {
        signing_key: Some(&key),
        ..incomplete.input()
    })
    .unwrap();
    let mut book = open(&files);
    let rows = range(&mut book, SUMMARY);
    // The banner is the third row, right under the title, frozen with it.
    let banner = rows[2][0].to_string();
    assert!(banner.starts_with("INCOMPLETE"), "{banner}");
    assert!(
        banner.contains("branch_protection for acme/payments: HTTP 502 after 5 retries"),
        "{banner}"
    );
    let text: Vec<String> = rows.iter().flat_map(|r| strings(r)).collect();
    assert!(!text.iter().any(|t| t.starts_with("UNSIGNED")), "{text:?}");
    let signature = format!(
        "signed: manifest.json.minisig is the minisign signature of manifest.json (key {}), which lists the SHA-256 of every file",
        key.key_id()
    );
    assert!(text.contains(&signature), "{text:?}");
}

#[test]
fn samples_and_reconciliation_sheets() {
    let mut fixture = Fixture::new(true);
    // Collected, but the config's `exclude` leaves it out of the audit.
    let mut sandbox = fixture.evidence.repositories[0].clone();
    sandbox.full_name = "acme/sandbox-play".into();
    fixture.evidence.repositories.push(sandbox);
    fixture.evaluation.reconciliation = crate::reconcile::reconcile(
        &fixture.evidence,
        &fixture.config,
        fixture.config.audit.window.window(),
        &fixture.evaluation.changes,
        &fixture.evaluation.commits,
    );
    let files = fixture.build();
    let mut book = open(&files);
    let rows = range(&mut book, SAMPLES);
    let text: Vec<String> = rows.iter().flat_map(|r| strings(r)).collect();
    assert!(text.contains(&"auditor-seed-42".to_string()), "{text:?}");
    let (header, body) = table(&rows, "Control");
    assert_eq!(body.len(), fixture.catalog.controls.len());
    let body: Vec<_> = body
        .into_iter()
        .skip_while(|r| *cell(&header, r, "Control") != "CM-01")
        .collect();
    // Three changes, fewer than the 25 of a recurring control: tested in full.
    assert_eq!(
        cell(&header, &body[0], "Drawn").to_string(),
        "population tested in full (n <= k)"
    );
    assert_eq!(
        cell(&header, &body[0], "Selected rows").to_string(),
        "1, 2, 3"
    );
    assert_eq!(
        cell(&header, &body[0], "Population SHA-256").to_string(),
        crate::util::sha256_hex(&files["populations/changes.csv"])
    );
    let start = rows
        .iter()
        .position(|r| r.get(1).is_some_and(|d| *d == "Stratum"))
        .expect("the sampled items table");
    let (header, items) = table(&rows[start..], "Control");
    let cm01: Vec<_> = items.iter().filter(|r| r[0] == "CM-01").collect();
    assert_eq!(cm01.len(), 3);
    assert_eq!(cell(&header, cm01[0], "Record").to_string(), "101");

    let rows = range(&mut book, RECONCILIATION);
    let (header, body) = table(&rows, "repo");
    let repo_row = |repo: &str| {
        body.iter()
            .find(|r| r[0] == repo)
            .unwrap_or_else(|| panic!("no {repo}"))
    };
    // acme/api: #101 and #102; three commits, the first from #101, two direct pushes.
    let api = repo_row("acme/api");
    assert_eq!(cell(&header, api, "reconciled").to_string(), "no");
    assert_eq!(
        cell(&header, api, "commits_without_change").to_string(),
        "2"
    );
    assert!(
        cell(&header, api, "flags")
            .to_string()
            .contains("2 production commits without a change")
    );
    assert!(
        !body.iter().any(|r| r[0] == "acme/sandbox-play"),
        "an excluded repository is not reconciled"
    );
    let (header, queries) = table(&rows, "source");
    assert_eq!(queries.len(), fixture.evidence.queries.len());
    assert_eq!(
        cell(&header, &queries[0], "records_equal_api_total").to_string(),
        "yes"
    );
}

#[test]
fn the_workbook_is_deterministic_and_dated_by_the_generation_time() {
    let fixture = Fixture::new(true);
    let first = fixture.build();
    let second = fixture.build();
    assert_eq!(first[PATH], second[PATH]);
    let core = part(&first, "docProps/core.xml");
    assert!(
        core.contains(
            r#"<dcterms:created xsi:type="dcterms:W3CDTF">2026-10-06T12:00:00Z</dcterms:created>"#
        ),
        "{core}"
    );
    assert!(
        core.contains(
            r#"<dcterms:modified xsi:type="dcterms:W3CDTF">2026-10-06T12:00:00Z</dcterms:modified>"#
        ),
        "{core}"
    );
    // The zip entries inside carry no build time either.
    let mut zip = zip::ZipArchive::new(Cursor::new(first[PATH].clone())).unwrap();
    for i in 0..zip.len() {
        let entry = zip.by_index(i).unwrap();
        let time = entry.last_modified().unwrap();
        assert_eq!(
            (time.year(), time.month(), time.day()),
            (1980, 1, 1),
            "{:?}",
            entry.name()
        );
    }
}
