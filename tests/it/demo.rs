//! The demo end to end, through the real binary: findings equal the example's ground
//! truth, the bundle is deterministic and self-consistent.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::Path;
use std::process::Command;

use changeproof::example::GroundTruth;
use changeproof::findings::{ExceptionStatus, Findings};
use serde_json::Value;

use crate::support::changeproof_bin;

fn run_demo(out: &Path) {
    let output = Command::new(changeproof_bin())
        .args(["demo", "--out"])
        .arg(out)
        .env_remove("GITHUB_TOKEN")
        .output()
        .expect("the binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "demo failed ({:?})\nstdout:\n{stdout}\nstderr:\n{stderr}",
        output.status
    );
    // The summary table and the bundle's path are printed for the user.
    assert!(stdout.contains("CM-01"), "{stdout}");
    assert!(stdout.contains("changeproof-bundle.zip"), "{stdout}");
    // The waivers are reported on the summary, the expired and unused ones by line.
    assert!(
        stdout.contains(
            "waivers (waivers.toml): 1 applied (1 exceptions waived), 1 expired, 1 unused"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("EXPIRED waivers.toml:25"), "{stdout}");
    assert!(stdout.contains("UNUSED  waivers.toml:36"), "{stdout}");
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> T {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// One demo run shared by the tests that only read its output.
fn demo_output() -> &'static Path {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        run_demo(dir.path());
        dir
    })
    .path()
}

#[test]
fn demo_findings_equal_the_planted_ground_truth() {
    let out = demo_output();
    let truth: GroundTruth = read_json(&out.join("ground-truth.json"));
    let findings: Findings = read_json(&out.join("bundle/findings.json"));

    let found: BTreeSet<(String, String, String, String, String)> = findings
        .exceptions
        .iter()
        .map(|e| {
            (
                e.control.clone(),
                e.kind.clone(),
                e.repo.clone(),
                e.subject_type.as_str().to_string(),
                e.subject.clone(),
            )
        })
        .collect();
    let planted: BTreeSet<(String, String, String, String, String)> = truth
        .exceptions
        .iter()
        .map(|e| {
            (
                e.control.clone(),
                e.kind.clone(),
                e.repo.clone(),
                e.subject_type.clone(),
                e.subject.clone(),
            )
        })
        .collect();
    let unexpected: Vec<_> = found.difference(&planted).collect();
    let missed: Vec<_> = planted.difference(&found).collect();
    assert!(
        unexpected.is_empty() && missed.is_empty(),
        "findings differ from the ground truth\nnot planted but found: {unexpected:#?}\nplanted but not found: {missed:#?}"
    );
    let ids: BTreeSet<&str> = findings.exceptions.iter().map(|e| e.id.as_str()).collect();
    let truth_ids: BTreeSet<&str> = truth.exceptions.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, truth_ids, "exception ids");

    // The example's waivers: what the truth says is waived is `waived` (with the
    // waiver's justification), everything else stays open.
    let waived: BTreeSet<&str> = findings
        .exceptions
        .iter()
        .filter(|e| e.status == ExceptionStatus::Waived)
        .map(|e| e.id.as_str())
        .collect();
    let truth_waived: BTreeSet<&str> = truth
        .exceptions
        .iter()
        .filter(|e| e.waived)
        .map(|e| e.id.as_str())
        .collect();
    assert_eq!(waived, truth_waived, "waived exceptions");
    assert_eq!(waived.len(), 1, "the example waives one planted exception");
    for e in &findings.exceptions {
        match e.status {
            ExceptionStatus::Waived => {
                let w = e
                    .waiver
                    .as_ref()
                    .expect("a waived exception carries its waiver");
                assert!(w.reason.contains("no CI pipeline"), "{w:?}");
                assert_eq!(w.location.as_deref(), Some("waivers.toml:14"));
            }
            ExceptionStatus::Open => assert_eq!(e.waiver, None, "{}", e.id),
        }
    }
    for c in &findings.controls {
        let waived = findings
            .exceptions
            .iter()
            .filter(|e| e.control == c.id && e.status == ExceptionStatus::Waived)
            .count() as u64;
        assert_eq!(c.waived, waived, "{}", c.id);
    }
    let summary = findings
        .waivers
        .as_ref()
        .expect("findings report the waivers");
    assert_eq!(summary.applied.len(), 1);
    assert_eq!(
        summary
            .expired
            .iter()
            .map(|e| e.waiver.location.as_str())
            .collect::<Vec<_>>(),
        ["waivers.toml:25"]
    );
    assert!(
        summary.expired[0].would_match.iter().all(|id| findings
            .exceptions
            .iter()
            .any(|e| &e.id == id && e.status == ExceptionStatus::Open)),
        "the exceptions an expired waiver matches stay open"
    );
    assert_eq!(
        summary
            .unused
            .iter()
            .map(|u| u.waiver.location.as_str())
            .collect::<Vec<_>>(),
        ["waivers.toml:36"]
    );

    // Every kind of CM-01..CM-05 is planted, so each control is exercised.
    let kinds: BTreeSet<&str> = findings
        .exceptions
        .iter()
        .map(|e| e.kind.as_str())
        .collect();
    for kind in [
        "no_approval",
        "self_approval",
        "insufficient_approvals",
        "stale_approval",
        "checks_failed",
        "checks_missing",
        "protection_bypassed",
        "direct_push",
        "mfa_disabled",
        "terminated_with_access",
        "unmapped_account",
        "excess_org_owners",
        "outside_collaborator_write",
        "unapproved_admin",
        "write_deploy_key",
        "stale_secret",
        "emergency_unreviewed",
        "unprotected_branch",
        "weak_protection",
        "protection_weakened_in_window",
        "coverage_gap",
        "untraceable_deployment",
        "deployed_unapproved_change",
        "deployment_not_approved",
        "deployment_self_approved",
        "off_hours_deployment",
        "unknown_deployer",
        "unrecovered_failure",
    ] {
        assert!(kinds.contains(kind), "no `{kind}` exception in the demo");
    }
    // CM-04 is planted on each basis.
    let bases: BTreeSet<String> = findings
        .exceptions
        .iter()
        .filter(|e| e.control == "CM-04")
        .filter_map(|e| {
            e.detail
                .get("basis")
                .as_ref()
                .and_then(Value::as_str)
                .map(String::from)
        })
        .collect();
    assert_eq!(
        bases,
        BTreeSet::from(["audit_log", "inference", "rule_suite"].map(String::from)),
        "CM-04 bases"
    );

    // No tricky non-exception raised anything beyond what the truth lists for it.
    for case in &truth.tricky {
        let on_it: Vec<_> = findings
            .exceptions
            .iter()
            .filter(|e| {
                e.repo == case.repo
                    && e.subject_type.as_str() == case.subject_type
                    && e.subject == case.subject
            })
            .filter(|e| !truth_ids.contains(e.id.as_str()))
            .collect();
        assert!(on_it.is_empty(), "tricky case {case:?} raised {on_it:#?}");
    }
}

#[test]
fn demo_populations_match_the_example() {
    let out = demo_output();
    let truth: GroundTruth = read_json(&out.join("ground-truth.json"));
    let findings: Findings = read_json(&out.join("bundle/findings.json"));
    let control = |id: &str| {
        findings
            .controls
            .iter()
            .find(|c| c.id == id)
            .unwrap_or_else(|| panic!("{id} missing from findings"))
    };
    for id in ["CM-01", "CM-03", "CM-04"] {
        assert_eq!(control(id).population, truth.populations.changes, "{id}");
    }
    for id in ["CM-03", "CM-04"] {
        assert_eq!(control(id).tested, truth.populations.changes, "{id}");
    }
    // CM-01 counts the emergency changes CM-09 judges, but does not test them.
    assert!(truth.populations.judged_by_cm09 > 0);
    assert_eq!(
        control("CM-01").tested,
        truth.populations.changes - truth.populations.judged_by_cm09
    );
    assert_eq!(
        control("CM-10").population,
        truth.populations.production_branches
    );
    assert_eq!(
        control("CM-05").population,
        truth.populations.branch_commits
    );
    for id in ["CM-06", "CM-07", "CM-08", "OP-01", "OP-02", "OP-03"] {
        assert_eq!(
            control(id).population,
            truth.populations.deployments,
            "{id}"
        );
    }
    // Every deployment is judged, except by CM-08 the untraceable one (no change, so no
    // authors to compare).
    for id in ["CM-06", "CM-07", "OP-01", "OP-02", "OP-03"] {
        assert_eq!(control(id).tested, truth.populations.deployments, "{id}");
    }
    let untraceable = findings
        .exceptions
        .iter()
        .filter(|e| e.kind == "untraceable_deployment")
        .count() as u64;
    assert_eq!(
        control("CM-08").tested,
        truth.populations.deployments - untraceable
    );
    let cm01_exceptions = findings
        .exceptions
        .iter()
        .filter(|e| e.control == "CM-01")
        .count() as u64;
    assert_eq!(
        control("CM-02").population,
        truth.populations.changes - cm01_exceptions - truth.populations.judged_by_cm09,
        "CM-02 judges the changes without a CM-01 exception that CM-09 does not judge"
    );
    for c in &findings.controls {
        let expected = if c.exceptions > 0 {
            "exceptions"
        } else {
            "effective"
        };
        assert_eq!(c.result.as_str(), expected, "{}", c.id);
    }
    // The population CSV has one row per change.
    let csv = std::fs::read_to_string(out.join("bundle/populations/changes.csv")).unwrap();
    assert_eq!(csv.lines().count() as u64, truth.populations.changes + 1);
    // The access populations.
    assert_eq!(control("AC-01").population, truth.populations.org_accounts);
    assert_eq!(control("AC-02").population, truth.populations.accounts);
    assert_eq!(control("AC-02").tested, truth.populations.accounts);
    assert_eq!(control("AC-04").population, truth.populations.credentials);
    assert_eq!(
        control("AC-05").population,
        truth.populations.access_changes
    );
    let ac05 = control("AC-05").reason.clone().unwrap_or_default();
    assert!(
        ac05.starts_with("Informational: 3 grants added, 5 removed and 1 changed since the previous snapshot of 2026-07-06T09:00:00Z (locker `previous-locker`"),
        "{ac05}"
    );
}

#[test]
fn demo_bundle_carries_the_roster_and_previous_snapshot_it_was_evaluated_with() {
    let out = demo_output();
    let bundled = std::fs::read(out.join("bundle/config/hr_roster.csv")).unwrap();
    let in_locker = std::fs::read(out.join("locker/hr_roster.csv")).unwrap();
    assert_eq!(bundled, in_locker);
    let config = std::fs::read_to_string(out.join("bundle/config/changeproof.toml")).unwrap();
    assert!(config.contains("hr_roster = \"hr_roster.csv\""), "{config}");
    assert!(
        config.contains("previous_snapshot = \"previous-access.json\""),
        "{config}"
    );
    let previous: Value = read_json(&out.join("bundle/config/previous-access.json"));
    assert_eq!(previous["schema"], "changeproof.previous-access/v1");
    assert_eq!(previous["snapshot_time"], "2026-07-06T09:00:00Z");
    let manifest = std::fs::read_to_string(out.join("bundle/manifest.json")).unwrap();
    for path in ["config/hr_roster.csv", "config/previous-access.json"] {
        assert!(manifest.contains(path), "{path} not in the manifest");
    }
}

#[test]
fn demo_runs_give_byte_identical_zips() {
    let first = demo_output();
    let second = tempfile::tempdir().unwrap();
    run_demo(second.path());
    let a = std::fs::read(first.join("changeproof-bundle.zip")).unwrap();
    let b = std::fs::read(second.path().join("changeproof-bundle.zip")).unwrap();
    assert!(a == b, "two demo runs wrote different zips");
}

#[test]
fn demo_zip_is_sound_and_matches_its_manifest() {
    let out = demo_output();
    let file = std::fs::File::open(out.join("changeproof-bundle.zip")).unwrap();
    let mut zip = zip::ZipArchive::new(file).expect("a readable zip");
    let mut names = BTreeSet::new();
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).unwrap();
        let name = entry.name().expect("entry name is valid").to_string();
        assert!(!name.starts_with('/') && !name.contains(".."), "{name}");
        let mut content = Vec::new();
        // Reading to the end checks the entry's CRC, as `unzip -t` does.
        entry
            .read_to_end(&mut content)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let on_disk = std::fs::read(out.join("bundle").join(&name)).unwrap();
        assert!(content == on_disk, "{name} differs between zip and folder");
        names.insert(name);
    }
    let manifest: Value = read_json(&out.join("bundle/manifest.json"));
    let mut listed = BTreeSet::new();
    for f in manifest["files"].as_array().expect("manifest.files") {
        let path = f["path"].as_str().unwrap();
        let bytes = std::fs::read(out.join("bundle").join(path)).unwrap();
        assert_eq!(f["size"].as_u64().unwrap(), bytes.len() as u64, "{path}");
        assert_eq!(
            f["sha256"].as_str().unwrap(),
            changeproof::util::sha256_hex(&bytes),
            "{path}"
        );
        listed.insert(path.to_string());
    }
    listed.insert("manifest.json".to_string());
    // The demo is signed with the demo key: the signature is the one file the manifest
    // cannot list.
    listed.insert("manifest.json.minisig".to_string());
    assert_eq!(names, listed, "zip entries vs manifest");
    for required in [
        "index.html",
        "findings.json",
        "exceptions.csv",
        "populations/changes.csv",
        "evidence/requests.ndjson",
    ] {
        assert!(
            names.contains(required),
            "{required} missing from the bundle"
        );
    }
    // Every request's raw response is in the bundle.
    let requests = std::fs::read_to_string(out.join("bundle/evidence/requests.ndjson")).unwrap();
    for line in requests.lines() {
        let record: Value = serde_json::from_str(line).unwrap();
        let sha = record["response_sha256"].as_str().unwrap();
        assert!(
            names.contains(&format!("evidence/raw/{sha}.json")),
            "raw response {sha} missing"
        );
    }
}

#[test]
fn demo_report_works_offline() {
    let out = demo_output();
    let html = std::fs::read_to_string(out.join("bundle/index.html")).unwrap();
    for tag in [
        "<link",
        "<script src",
        "<img",
        "<iframe",
        "@import",
        "url(http",
    ] {
        for (i, _) in html.match_indices(tag) {
            let snippet: String = html[i..].chars().take(200).collect();
            let tag_end = snippet.find('>').unwrap_or(snippet.len());
            assert!(
                !snippet[..tag_end].contains("http"),
                "the report loads something from the network: {snippet}"
            );
        }
    }
    assert!(
        html.contains("<meta charset=\"utf-8\">"),
        "the report declares UTF-8"
    );
    // Non-ASCII text reaches the page as UTF-8, not as mangled bytes or escapes.
    assert!(
        html.contains("Acme Corp — SOC 2 Type II, Q3 2026"),
        "the audit name renders verbatim"
    );
}

/// `evaluate` skips the trend tables (they are the bundle's), and its findings are the
/// bundle's byte for byte.
#[test]
fn evaluate_prints_exactly_the_bundles_findings() {
    let out = demo_output();
    let output = Command::new(changeproof_bin())
        .args(["evaluate", "--json", "--locker"])
        .arg(out.join("locker"))
        .arg("--previous")
        .arg(out.join("previous-locker"))
        .output()
        .expect("the binary runs");
    assert_eq!(
        output.status.code(),
        Some(1),
        "the demo has open exceptions"
    );
    let bundled = std::fs::read(out.join("bundle/findings.json")).unwrap();
    assert!(
        output.stdout == bundled,
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn a_previous_bundle_or_locker_is_the_previous_snapshot_for_the_cli() {
    let out = demo_output();
    let ac05 = |previous: &Path| -> Value {
        let output = Command::new(changeproof_bin())
            .args(["evaluate", "--json", "--locker"])
            .arg(out.join("locker"))
            .arg("--previous")
            .arg(previous)
            .output()
            .expect("the binary runs");
        let findings: Value = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stderr)));
        findings["controls"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == "AC-05")
            .cloned()
            .unwrap()
    };
    // The same quarter's bundle as the previous snapshot: nothing changed.
    for previous in [out.join("changeproof-bundle.zip"), out.join("bundle")] {
        let c = ac05(&previous);
        assert_eq!(c["result"], "not_applicable", "{c}");
        let reason = c["reason"].as_str().unwrap();
        assert!(
            reason.contains("0 grants added, 0 removed and 0 changed"),
            "{reason}"
        );
        assert!(reason.contains("manifest SHA-256"), "{reason}");
    }
    let c = ac05(&out.join("previous-locker"));
    assert_eq!(
        (c["result"].as_str(), c["population"].as_u64()),
        (Some("effective"), Some(9))
    );
    // Something that is no snapshot is a usage error naming it.
    let output = Command::new(changeproof_bin())
        .args(["evaluate", "--locker"])
        .arg(out.join("locker"))
        .arg("--previous")
        .arg(out.join("ground-truth.json"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("ground-truth.json: not usable as the previous snapshot"),
        "{stderr}"
    );
}
