//! `oscal/assessment-results.json`: valid against NIST's OSCAL 1.1.2 schema, one
//! observation per control test, findings per control, every other file pinned.

use std::collections::{BTreeMap, BTreeSet};

use super::*;
use crate::bundle::oscal::{OSCAL_VERSION, PATH};

/// The official schema, shipped as test data (see tests/data/oscal/README.md).
pub(crate) fn oscal_validator() -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/oscal/oscal_assessment-results_schema.json");
    let schema: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .should_validate_formats(true)
        // The schema's patterns use Unicode classes (`\p{L}`) and must all compile.
        .with_pattern_options(jsonschema::PatternOptions::fancy_regex())
        .build(&schema)
        .expect("the OSCAL schema compiles")
}

fn schema_errors(document: &Value) -> Vec<String> {
    oscal_validator()
        .iter_errors(document)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

fn document(files: &BundleFiles) -> Value {
    serde_json::from_slice(&files[PATH]).expect("the OSCAL file is JSON")
}

/// A fixture whose controls show every result kind.
fn every_result_kind() -> Fixture {
    let mut fixture = Fixture::new(false);
    let controls = &mut fixture.evaluation.findings.controls;
    controls[2].result = ResultKind::NotTested;
    controls[2].tested = 0;
    controls[2].reason = Some("no branch protection record for acme/api main".into());
    controls[1].result = ResultKind::NotApplicable;
    controls[1].population = 0;
    controls[1].tested = 0;
    controls[1].reason = Some("no changes in the population: the query returned 0 records".into());
    fixture
}

#[test]
fn the_document_validates_against_the_official_oscal_schema() {
    for fixture in [Fixture::new(true), every_result_kind()] {
        let files = fixture.build();
        let errors = schema_errors(&document(&files));
        assert!(errors.is_empty(), "{errors:#?}");
    }
}

#[test]
fn the_schema_check_rejects_what_oscal_forbids() {
    let valid = document(&Fixture::new(true).build());
    let broken = |edit: &dyn Fn(&mut Value)| {
        let mut doc = valid.clone();
        edit(&mut doc);
        schema_errors(&doc)
    };
    // A version 8 UUID: OSCAL 1.1.2 allows only versions 4 and 5.
    assert!(
        !broken(&|d| {
            d["assessment-results"]["uuid"] = json!("1bf5aed2-b6d8-86dc-a9f9-f661ab7a07dc")
        })
        .is_empty()
    );
    // The plan reference is required.
    assert!(
        !broken(&|d| {
            d["assessment-results"]
                .as_object_mut()
                .unwrap()
                .remove("import-ap");
        })
        .is_empty()
    );
    // An objective status OSCAL does not define.
    assert!(
        !broken(&|d| {
            d["assessment-results"]["results"][0]["findings"][0]["target"]["status"]["state"] =
                json!("effective")
        })
        .is_empty()
    );
    // A date-time without a zone.
    assert!(
        !broken(&|d| {
            d["assessment-results"]["metadata"]["last-modified"] = json!("2026-10-06T12:00:00")
        })
        .is_empty()
    );
    // A property value with a line break (OSCAL strings are single-line).
    assert!(
        !broken(&|d| { d["assessment-results"]["metadata"]["props"][0]["value"] = json!("a\nb") })
            .is_empty()
    );
}

#[test]
fn metadata_names_the_audit_and_the_generation_time() {
    let fixture = Fixture::new(true);
    let doc = document(&fixture.build());
    let metadata = &doc["assessment-results"]["metadata"];
    assert_eq!(metadata["title"], "Acme Corp — SOC 2 Type II, Q3 2026");
    assert_eq!(metadata["last-modified"], "2026-10-06T12:00:00Z");
    assert_eq!(metadata["oscal-version"], OSCAL_VERSION);
    assert_eq!(metadata["parties"][0]["name"], "acme");
    let result = &doc["assessment-results"]["results"][0];
    assert_eq!(result["start"], "2026-07-01T00:00:00Z");
    assert_eq!(result["end"], "2026-10-01T00:00:00Z");
    assert!(
        result.get("remarks").is_none(),
        "complete: no INCOMPLETE remark"
    );

    let doc = document(&Fixture::new(false).build());
    let remarks = doc["assessment-results"]["results"][0]["remarks"]
        .as_str()
        .unwrap();
    assert!(remarks.starts_with("INCOMPLETE"), "{remarks}");
    assert!(remarks.contains("branch_protection for acme/payments"));
}

#[test]
fn each_control_test_is_an_observation_and_each_control_a_finding() {
    let fixture = every_result_kind();
    let doc = document(&fixture.build());
    let result = &doc["assessment-results"]["results"][0];
    let controls = &fixture.evaluation.findings.controls;
    let ids: Vec<&str> = controls.iter().map(|c| c.id.as_str()).collect();

    let selected: Vec<&str> =
        result["reviewed-controls"]["control-selections"][0]["include-controls"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["control-id"].as_str().unwrap())
            .collect();
    assert_eq!(selected, ids);

    let observations = result["observations"].as_array().unwrap();
    assert_eq!(observations.len(), controls.len());
    let mut observation_uuids = BTreeMap::new();
    for (observation, control) in observations.iter().zip(controls) {
        assert_eq!(observation["methods"], json!(["TEST"]));
        assert!(
            observation["title"]
                .as_str()
                .unwrap()
                .starts_with(&format!("{} test", control.id))
        );
        assert_eq!(observation["collected"], "2026-10-05T09:00:00Z");
        let subjects: Vec<&str> = observation["subjects"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["title"].as_str().unwrap())
            .collect();
        assert_eq!(subjects, ["acme/api", "acme/payments"]);
        observation_uuids.insert(observation["uuid"].as_str().unwrap(), control.id.as_str());
    }

    let findings = result["findings"].as_array().unwrap();
    assert_eq!(findings.len(), controls.len());
    let status: Vec<(&str, &str, &str)> = findings
        .iter()
        .map(|f| {
            let target = &f["target"];
            assert_eq!(target["type"], "objective-id");
            (
                target["target-id"].as_str().unwrap(),
                target["status"]["state"].as_str().unwrap(),
                target["status"]["reason"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        status,
        [
            ("CM-01_obj", "not-satisfied", "fail"),
            ("CM-02_obj", "satisfied", "other"),
            ("CM-03_obj", "not-satisfied", "other"),
            ("CM-04_obj", "not-satisfied", "fail"),
            ("CM-05_obj", "not-satisfied", "fail"),
        ]
    );
    // Remarks say what the mapping means for the two results OSCAL has no word for.
    let remark = |i: usize| findings[i]["target"]["status"]["remarks"].as_str().unwrap();
    assert!(remark(1).starts_with("Not applicable: no changes in the population"));
    assert!(remark(2).starts_with("Not tested: no branch protection record"));
    for (finding, control) in findings.iter().zip(controls) {
        let observation = finding["related-observations"][0]["observation-uuid"]
            .as_str()
            .unwrap();
        assert_eq!(observation_uuids[observation], control.id);
    }
}

#[test]
fn every_other_file_is_a_resource_pinned_by_sha256() {
    let files = Fixture::new(true).build();
    let doc = document(&files);
    let resources = doc["assessment-results"]["back-matter"]["resources"]
        .as_array()
        .unwrap();
    let mut pinned = BTreeSet::new();
    let mut by_uuid = BTreeMap::new();
    for resource in resources {
        by_uuid.insert(resource["uuid"].as_str().unwrap(), resource);
        for link in resource["rlinks"].as_array().unwrap() {
            let href = link["href"].as_str().unwrap();
            let path = href.strip_prefix("../").expect("relative to oscal/");
            let bytes = files
                .get(path)
                .unwrap_or_else(|| panic!("{href} names no bundle file"));
            assert_eq!(link["hashes"][0]["algorithm"], "SHA-256");
            assert_eq!(link["hashes"][0]["value"], sha256_hex(bytes), "{path}");
            pinned.insert(path.to_string());
        }
    }
    let expected: BTreeSet<String> = files
        .keys()
        .filter(|p| *p != PATH && *p != MANIFEST_FILE)
        .cloned()
        .collect();
    assert_eq!(pinned, expected);

    // The plan the document imports is the catalog and the effective config.
    let plan = doc["assessment-results"]["import-ap"]["href"]
        .as_str()
        .unwrap()
        .strip_prefix('#')
        .unwrap();
    let plan_files: BTreeSet<&str> = by_uuid[plan]["rlinks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["href"].as_str().unwrap())
        .collect();
    assert!(plan_files.contains("../config/changeproof.toml"));
    assert!(plan_files.contains("../config/controls/CM-01.toml"));

    // Every evidence reference of an observation names a resource of the document.
    for observation in doc["assessment-results"]["results"][0]["observations"]
        .as_array()
        .unwrap()
    {
        let evidence = observation["relevant-evidence"].as_array().unwrap();
        assert!(evidence.len() >= 4);
        for item in evidence {
            let uuid = item["href"].as_str().unwrap().strip_prefix('#').unwrap();
            assert!(by_uuid.contains_key(uuid), "{item}");
        }
    }
}

#[test]
fn identifiers_are_unique_stable_and_specific_to_the_audit() {
    let uuids = |doc: &Value| {
        let mut found = Vec::new();
        collect_uuids(doc, &mut found);
        found
    };
    let fixture = Fixture::new(true);
    let first = fixture.build();
    let doc = document(&first);
    let all = uuids(&doc);
    let distinct: BTreeSet<&String> = all.iter().collect();
    assert_eq!(distinct.len(), all.len(), "every defined uuid is unique");
    for uuid in &all {
        assert_eq!(&uuid[14..15], "5", "{uuid} is a version 5 UUID");
    }
    assert_eq!(first[PATH], fixture.build()[PATH], "deterministic");

    // Other evidence of the same audit: the same identifiers (OSCAL's per-subject rule).
    let mut changed = Fixture::new(true);
    changed.evaluation.changes[0].title = "Renamed".into();
    let changed_doc = document(&changed.build());
    assert_eq!(uuids(&changed_doc), all);
    assert_ne!(changed_doc, doc, "the population file's hash changed");

    // Another audit: other identifiers.
    let mut other = Fixture::new(true);
    other.config.audit.name = "Acme Corp — SOC 2 Type II, Q4 2026".into();
    let other_doc = document(&other.build());
    assert_ne!(
        other_doc["assessment-results"]["uuid"],
        doc["assessment-results"]["uuid"]
    );
}

/// The values of every `uuid` key (the identifiers the document defines).
fn collect_uuids(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                if key == "uuid" {
                    out.push(v.as_str().unwrap().to_string());
                } else {
                    collect_uuids(v, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_uuids(v, out)),
        _ => {}
    }
}
