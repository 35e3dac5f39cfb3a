//! The demo bundle's workbook and OSCAL document, read back with independent readers:
//! the workbook has a row per population record, the OSCAL file validates against NIST's
//! official 1.1.2 schema and pins the bundle's files.

use std::collections::BTreeMap;
use std::io::Cursor;
use std::path::Path;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use changeproof::example::ExampleParams;
use changeproof::findings::Findings;
use changeproof::pipeline;
use serde_json::Value;

use crate::support::data;

/// One demo bundle shared by these tests, built through the library.
fn bundle() -> &'static Path {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        pipeline::demo(dir.path(), ExampleParams::default()).expect("the demo runs");
        dir
    })
    .path()
}

fn read(path: &str) -> Vec<u8> {
    let path = bundle().join("bundle").join(path);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn csv_rows(path: &str) -> usize {
    csv::Reader::from_reader(read(path).as_slice())
        .records()
        .count()
}

#[test]
fn the_workbook_has_a_row_per_population_record() {
    let findings: Findings = serde_json::from_slice(&read("findings.json")).unwrap();
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(read("workpapers.xlsx"))).unwrap();
    assert_eq!(
        book.sheet_names(),
        [
            "Summary",
            "Controls",
            "Exceptions",
            "Changes",
            "Commits",
            "Deployments",
            "Branches",
            "Accounts",
            "Privileged access",
            "Access grants",
            "Credentials",
            "Access changes",
            "Sources",
            "Samples",
            "Reconciliation",
            "Trends"
        ]
    );
    let rows = |book: &mut Xlsx<_>, sheet: &str| book.worksheet_range(sheet).unwrap().height() - 1;
    let changes = rows(&mut book, "Changes");
    let commits = rows(&mut book, "Commits");
    assert_eq!(changes, csv_rows("populations/changes.csv"));
    assert_eq!(commits, csv_rows("populations/commits.csv"));
    assert_eq!(rows(&mut book, "Exceptions"), findings.exceptions.len());
    // The populations are the ones the controls tested.
    let population = |id: &str| {
        findings
            .controls
            .iter()
            .find(|c| c.id == id)
            .unwrap()
            .population as usize
    };
    assert_eq!(changes, population("CM-01"));
    assert_eq!(commits, population("CM-05"));
    for (sheet, file, control) in [
        ("Deployments", "deployments", "CM-06"),
        ("Branches", "branches", "CM-10"),
        ("Accounts", "accounts", "AC-02"),
        ("Privileged access", "privileged_access", "AC-03"),
        ("Credentials", "credentials", "AC-04"),
        ("Access changes", "access_changes", "AC-05"),
        ("Sources", "sources", "OP-04"),
    ] {
        let n = rows(&mut book, sheet);
        assert_eq!(n, csv_rows(&format!("populations/{file}.csv")), "{sheet}");
        assert_eq!(n, population(control), "{sheet}");
        assert!(n > 0, "the demo's {sheet} population is not empty");
    }
    // The reference population of access grants: every grant the evaluation holds, at
    // least one per account.
    let grants = rows(&mut book, "Access grants");
    assert_eq!(grants, csv_rows("populations/grants.csv"));
    assert!(grants >= population("AC-02"), "{grants} grants");
    assert!(changes > 100, "the demo has a realistic population");
    // Every pull request is a link.
    let links = book.hyperlinks_by_sheet_name("Changes").unwrap();
    assert_eq!(links.len(), changes);
    assert!(links.iter().all(|l| {
        l.target
            .as_deref()
            .is_some_and(|t| t.starts_with("https://github.com/acme/"))
    }));
    // The demo signs its bundle with the demo key: the Summary says so.
    let summary = book.worksheet_range("Summary").unwrap();
    let signature = summary
        .rows()
        .find(|r| r[0] == "Signature")
        .map(|r| r[1].to_string())
        .unwrap();
    assert!(
        signature.starts_with("signed: manifest.json.minisig"),
        "{signature}"
    );
    let merged_at = book.worksheet_range("Changes").unwrap();
    assert!(matches!(merged_at.get((1, 7)), Some(Data::DateTime(dt)) if dt.is_datetime()));
}

#[test]
fn the_oscal_document_is_valid_and_pins_the_bundle() {
    let schema: Value = serde_json::from_slice(
        &std::fs::read(data("oscal/oscal_assessment-results_schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .should_validate_formats(true)
        .with_pattern_options(jsonschema::PatternOptions::fancy_regex())
        .build(&schema)
        .unwrap();
    let document: Value = serde_json::from_slice(&read("oscal/assessment-results.json")).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&document)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");

    let findings: Findings = serde_json::from_slice(&read("findings.json")).unwrap();
    let result = &document["assessment-results"]["results"][0];
    assert_eq!(
        result["observations"].as_array().unwrap().len(),
        findings.controls.len()
    );
    assert_eq!(
        result["findings"].as_array().unwrap().len(),
        findings.controls.len()
    );

    // The manifest lists the OSCAL file; the OSCAL file pins every other file, with the
    // hash the manifest gives it.
    let manifest: Value = serde_json::from_slice(&read("manifest.json")).unwrap();
    let listed: BTreeMap<String, String> = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["sha256"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(listed.contains_key("oscal/assessment-results.json"));
    let mut pinned = BTreeMap::new();
    for resource in document["assessment-results"]["back-matter"]["resources"]
        .as_array()
        .unwrap()
    {
        for link in resource["rlinks"].as_array().unwrap() {
            let path = link["href"].as_str().unwrap().strip_prefix("../").unwrap();
            pinned.insert(
                path.to_string(),
                link["hashes"][0]["value"].as_str().unwrap().to_string(),
            );
        }
    }
    let mut expected = listed.clone();
    expected.remove("oscal/assessment-results.json");
    assert_eq!(pinned, expected);
}

/// Every control's result column in the population files agrees with findings.json: as
/// many records in the population, as many untested, as many with an exception; no
/// record is left `undetermined`.
#[test]
fn every_control_has_a_population_file_that_agrees_with_the_findings() {
    let findings: Findings = serde_json::from_slice(&read("findings.json")).unwrap();
    let mut served = Vec::new();
    for file in [
        "changes",
        "commits",
        "deployments",
        "branches",
        "accounts",
        "privileged_access",
        "grants",
        "credentials",
        "access_changes",
        "sources",
    ] {
        let bytes = read(&format!("populations/{file}.csv"));
        let mut reader = csv::Reader::from_reader(bytes.as_slice());
        let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
        let records: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
        for control in &findings.controls {
            let Some(column) = header.iter().position(|h| *h == control.id) else {
                continue;
            };
            served.push(control.id.clone());
            let cells: Vec<&str> = records.iter().map(|r| &r[column]).collect();
            let count = |f: &dyn Fn(&str) -> bool| cells.iter().filter(|c| f(c)).count() as u64;
            let id = &control.id;
            assert_eq!(count(&|c| c == "undetermined"), 0, "{id} in {file}.csv");
            assert_eq!(
                count(&|c| c != "n/a"),
                control.population,
                "{id} population"
            );
            assert_eq!(
                count(&|c| c == "not_tested"),
                control.population - control.tested,
                "{id} untested"
            );
            let with_exception = findings
                .exceptions
                .iter()
                .filter(|e| e.control == *id)
                .map(|e| (&e.repo, e.subject_type, &e.subject))
                .collect::<std::collections::BTreeSet<_>>()
                .len() as u64;
            assert_eq!(
                count(&|c| !["pass", "n/a", "not_tested"].contains(&c)),
                with_exception,
                "{id} records with an exception"
            );
        }
    }
    served.sort();
    let all: Vec<String> = findings.controls.iter().map(|c| c.id.clone()).collect();
    let mut all_sorted = all.clone();
    all_sorted.sort();
    assert_eq!(
        served, all_sorted,
        "every control has exactly one population file"
    );
}

/// index.html describes every control's sample and the reconciliation, from the same
/// data as the manifest and reconciliation.csv.
#[test]
fn the_html_report_has_the_samples_and_the_reconciliation() {
    let html = String::from_utf8(read("index.html")).unwrap();
    let manifest: Value = serde_json::from_slice(&read("manifest.json")).unwrap();
    assert!(html.contains(r#"<section id="samples">"#));
    assert!(html.contains(r#"<section id="reconciliation">"#));
    for c in manifest["sampling"]["controls"].as_array().unwrap() {
        if let Some(s) = c["s"].as_str() {
            assert!(html.contains(s), "{} s = {s}", c["control"]);
        }
    }
    let reconciliation = String::from_utf8(read("reconciliation.csv")).unwrap();
    let repos = reconciliation.lines().skip(1).count();
    let section = &html[html.find(r#"<section id="reconciliation">"#).unwrap()..];
    let section = &section[..section.find("</section>").unwrap()];
    assert!(section.matches("<tr><td class=\"nowrap\">").count() >= repos);
}

/// The Trends sheet holds the trend tables of analytics/*.csv, row for row, with the
/// numbers as numbers.
#[test]
fn the_trends_sheet_holds_every_trend_table() {
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(read("workpapers.xlsx"))).unwrap();
    let range = book.worksheet_range("Trends").unwrap();
    let rows: Vec<Vec<Data>> = range.rows().map(|r| r.to_vec()).collect();
    for file in [
        "analytics/exception_rates.csv",
        "analytics/deployment_frequency.csv",
        "analytics/time_to_recover.csv",
        "analytics/time_to_recover_by_repo.csv",
    ] {
        let n = csv_rows(file);
        let title = rows
            .iter()
            .position(|r| matches!(&r[0], Data::String(s) if s.contains(file)))
            .unwrap_or_else(|| panic!("no block for {file}"));
        assert!(
            matches!(&rows[title][0], Data::String(s) if s.ends_with(&format!("{n} rows)"))),
            "{file}: {:?}",
            rows[title][0]
        );
        let header: Vec<String> = csv::Reader::from_reader(read(file).as_slice())
            .headers()
            .unwrap()
            .iter()
            .map(String::from)
            .collect();
        let sheet_header: Vec<String> = rows[title + 1][..header.len()]
            .iter()
            .map(|c| c.to_string())
            .collect();
        assert_eq!(sheet_header, header, "{file}");
        assert!(n > 0, "the demo has {file} rows");
        // The first data row's numeric columns are numbers.
        assert!(
            rows[title + 2].iter().any(|c| matches!(c, Data::Float(_))),
            "{file}: {:?}",
            rows[title + 2]
        );
    }
}

/// The trend table's recoveries are OP-03's: every failure of analytics/time_to_recover.csv
/// names the same recovering deployment and time as its row of the deployment population.
#[test]
fn time_to_recover_agrees_with_op03() {
    let records = |file: &str| -> Vec<std::collections::HashMap<String, String>> {
        let bytes = read(file);
        let mut reader = csv::Reader::from_reader(bytes.as_slice());
        let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
        reader
            .records()
            .map(|r| {
                header
                    .iter()
                    .cloned()
                    .zip(r.unwrap().iter().map(String::from))
                    .collect()
            })
            .collect()
    };
    let deployments = records("populations/deployments.csv");
    let recoveries = records("analytics/time_to_recover.csv");
    assert!(!recoveries.is_empty(), "the demo has failed deployments");
    for r in &recoveries {
        let d = deployments
            .iter()
            .find(|d| d["repo"] == r["repo"] && d["id"] == r["deployment"])
            .unwrap_or_else(|| panic!("{r:?} is in the deployment population"));
        assert_eq!(d["recovered_by"], r["recovered_by"], "{r:?}");
        assert_eq!(d["recovered_at"], r["recovered_at"], "{r:?}");
    }
}
