//! Bundle tests over a small hand-built evaluation and a real locker in a temp dir.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::{TimeZone, Utc};
use serde_json::{Value, json};

use super::population::Populations;
use super::tables::EXCEPTION_COLUMNS;

/// The change population's controls, in result-column order.
pub(super) const CHANGE_CONTROLS: [&str; 5] = ["CM-01", "CM-02", "CM-03", "CM-04", "CM-09"];
/// The header of populations/changes.csv before the results, as published.
pub(super) const CHANGE_COLUMNS: [&str; 23] = [
    "repo",
    "number",
    "title",
    "url",
    "author",
    "authors",
    "base_branch",
    "merged_at",
    "merged_by",
    "merge_commit_sha",
    "head_sha",
    "approvers",
    "independent_approvers",
    "approval_on_head",
    "check_state",
    "required_checks",
    "labels",
    "emergency",
    "judged_by_cm09",
    "retro_approvers",
    "retro_review_at",
    "retro_review_due",
    "source",
];
/// The header of populations/commits.csv before the CM-05 result, as published.
pub(super) const COMMIT_COLUMNS: [&str; 10] = [
    "repo",
    "branch",
    "sha",
    "message_headline",
    "author",
    "committer",
    "committed_at",
    "url",
    "change",
    "source",
];
use super::*;
use crate::catalog::{CATALOG_FILES, Catalog};
use crate::config::Config;
use crate::evaluate::{ChangeRow, CommitRow, Evaluation};
use crate::findings::{
    ControlResult, Exception, ExceptionStatus, FINDINGS_SCHEMA, Findings, ResultKind, Severity,
    SubjectType, WaiverRef,
};
use crate::locker::{LOCKER_SCHEMA, Locker, LockerMeta, LockerWriter, SourceMeta, Window};
use crate::model::*;
use crate::util::sha256_hex;

mod oscal;
mod workpapers;

const CONFIG: &str = r#"
[audit]
name = "Acme Corp — SOC 2 Type II, Q3 2026"
window = { start = "2026-07-01", end = "2026-10-01" }

[[source]]
kind = "github"
name = "github-acme"
org = "acme"
exclude = ["sandbox-*"]

[scope]
production_branches = ["{default}", "release/*"]

[[controls.repository]]
repos = ["acme/payments"]
min_approvals = 2

[sampling]
seed = "auditor-seed-42"
"#;

const MALICIOUS_TITLE: &str = "<script>alert(1)</script>";
const UNICODE_NAME: &str = "Zoë Łukasiewicz";
const GRAPHQL_REQUEST: &[u8] = br#"{"query":"query MergedPullRequests { search { issueCount } }","variables":{"q":"org:acme is:pr is:merged"}}"#;
const NOT_JSON: &[u8] = b"<html>502 Bad Gateway</html>\n";

fn t(text: &str) -> Timestamp {
    chrono::DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

fn sha(n: u8) -> String {
    format!("{n:02x}").repeat(20)
}

/// Everything a bundle is built from, owned.
pub(super) struct Fixture {
    _dir: tempfile::TempDir,
    locker: Locker,
    meta: LockerMeta,
    evidence: Evidence,
    config: Config,
    catalog: Catalog,
    evaluation: Evaluation,
    /// Raw bodies the locker holds, by hash.
    raw: Vec<(String, Vec<u8>)>,
}

impl Fixture {
    pub(super) fn new(complete: bool) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("locker");
        let mut writer = LockerWriter::create(&root).unwrap();
        let search = json!({"data": {"search": {"issueCount": 3, "nodes": [
            {"number": 101}, {"number": 102}, {"number": 7}
        ]}}})
        .to_string()
        .into_bytes();
        let protection =
            json!({"url": "https://api.github.com/repos/acme/api/branches/main/protection",
            "required_status_checks": {"contexts": ["ci/test"]}})
            .to_string()
            .into_bytes();
        let time = t("2026-10-05T09:00:00Z");
        let graphql = writer
            .record(
                "github-acme",
                "POST",
                "https://api.github.com/graphql",
                Some(GRAPHQL_REQUEST),
                200,
                time,
                &search,
                &[("x-ratelimit-remaining", "4990")],
            )
            .unwrap();
        let rest = writer
            .record(
                "github-acme",
                "GET",
                "https://api.github.com/repos/acme/api/branches/main/protection",
                None,
                200,
                time,
                &protection,
                &[("etag", "\"abc\"")],
            )
            .unwrap();
        // The same body twice: stored once, listed once.
        writer
            .record(
                "github-acme",
                "GET",
                "https://api.github.com/repos/acme/api/branches/main/protection",
                None,
                200,
                time,
                &protection,
                &[],
            )
            .unwrap();
        writer
            .record(
                "github-acme",
                "GET",
                "https://api.github.com/repos/acme/payments/branches/main/protection",
                None,
                502,
                time,
                NOT_JSON,
                &[],
            )
            .unwrap();
        let window = Window {
            start: t("2026-07-01T00:00:00Z"),
            end: t("2026-10-01T00:00:00Z"),
        };
        let meta = LockerMeta {
            schema: LOCKER_SCHEMA.into(),
            tool_version: "0.1.0".into(),
            snapshot_time: time,
            window,
            sources: vec![SourceMeta {
                name: "github-acme".into(),
                kind: "github".into(),
                api_url: "https://api.github.com".into(),
                org: "acme".into(),
            }],
            complete,
            missing: if complete {
                vec![]
            } else {
                vec!["branch_protection for acme/payments: HTTP 502 after 5 retries".into()]
            },
        };
        writer.write_meta(&meta).unwrap();
        let locker = writer.finish().unwrap();
        let search_ref =
            |i: usize| format!("sha256:{}#/data/search/nodes/{i}", graphql.response_sha256);
        let evidence = evidence(
            time,
            &search_ref,
            &rest.response_sha256,
            &graphql.response_sha256,
        );
        let mut evidence = evidence;
        if !complete {
            evidence.gaps.push(Gap {
                source: "github-acme".into(),
                evidence_type: "branch_protection".into(),
                repo: Some("acme/payments".into()),
                status: Some(502),
                reason: "HTTP 502 after 5 retries".into(),
            });
        }
        locker.write_evidence(&evidence).unwrap();
        let config =
            Config::parse(CONFIG, Path::new("changeproof.toml"), PathBuf::from(".")).unwrap();
        let raw = [GRAPHQL_REQUEST, &search, &protection, NOT_JSON]
            .iter()
            .map(|b| (sha256_hex(b), b.to_vec()))
            .collect();
        Fixture {
            _dir: dir,
            locker,
            meta,
            evidence,
            config,
            catalog: Catalog::builtin().unwrap(),
            evaluation: evaluation(window, complete, &search_ref(1)),
            raw,
        }
    }

    pub(super) fn input(&self) -> BundleInput<'_> {
        BundleInput {
            locker: &self.locker,
            meta: &self.meta,
            evidence: &self.evidence,
            config: &self.config,
            catalog: &self.catalog,
            evaluation: &self.evaluation,
            generated_at: t("2026-10-06T12:00:00Z"),
            tool_version: "0.1.0",
            signing_key: None,
        }
    }

    fn build(&self) -> BundleFiles {
        build(&self.input()).unwrap()
    }
}

fn change(repo: &str, number: u64, title: &str, evidence: String) -> Change {
    Change {
        source: "github-acme".into(),
        repo: repo.into(),
        number,
        title: title.into(),
        url: format!("https://github.com/{repo}/pull/{number}").into(),
        author: Some(Actor {
            login: "alice".into(),
            kind: ActorKind::User,
        }),
        base_branch: "main".into(),
        head_branch: format!("feature-{number}").into(),
        created_at: t("2026-07-10T09:00:00Z"),
        merged_at: t("2026-07-11T09:00:00Z"),
        merged_by: None,
        merge_commit_sha: Some(sha(number as u8).into()),
        head_sha: sha((number as u8).wrapping_add(1)).into(),
        labels: vec![],
        reviews: vec![],
        commits: vec![],
        checks: Checks::default(),
        timeline: vec![],
        incomplete: vec![],
        evidence: vec![evidence.into()],
    }
}

fn evidence(
    snapshot: Timestamp,
    search_ref: &dyn Fn(usize) -> String,
    protection_sha: &str,
    search_sha: &str,
) -> Evidence {
    Evidence {
        schema: EVIDENCE_SCHEMA.into(),
        snapshot_time: snapshot,
        repositories: ["acme/payments", "acme/api"]
            .iter()
            .map(|name| Repository {
                source: "github-acme".into(),
                full_name: name.to_string(),
                default_branch: "main".into(),
                production_branches: vec!["main".into()],
                url: format!("https://github.com/{name}"),
                archived: false,
                evidence: vec![],
            })
            .collect(),
        changes: vec![
            change("acme/api", 101, "Add rate limiting", search_ref(0)),
            change("acme/api", 102, MALICIOUS_TITLE, search_ref(1)),
            change("acme/payments", 7, "Fix rounding", search_ref(2)),
        ],
        branch_commits: vec![],
        deployments: vec![],
        // acme/payments has no protection record: CM-03 cannot judge its change.
        branch_protections: vec![BranchProtection {
            source: "github-acme".into(),
            repo: "acme/api".into(),
            branch: "main".into(),
            protected: true,
            has_rulesets: false,
            require_pull_request: true,
            required_approvals: 1,
            dismiss_stale_reviews: true,
            require_code_owner_review: false,
            required_checks: vec!["ci/test".into()],
            strict_checks: true,
            enforce_admins: true,
            allow_force_pushes: false,
            bypass_actors: vec![],
            ruleset_ids: vec![],
            evidence: vec![format!("sha256:{protection_sha}#").into()],
        }],
        rule_suites: vec![],
        audit_events: vec![],
        access: Access::default(),
        queries: vec![PopulationQuery {
            source: "github-acme".into(),
            evidence_type: "pull_requests".into(),
            repo: None,
            endpoint: "POST /graphql MergedPullRequests".into(),
            parameters: "q=org:acme is:pr is:merged merged:2026-07-01..2026-09-30".into(),
            pages: 1,
            records: 3,
            total_count: Some(3),
            responses: vec![search_sha.to_string()],
        }],
        gaps: vec![],
        ruleset_versions: vec![],
        coverage: vec![],
        environments: vec![],
    }
}

fn change_row(repo: &str, number: u64, title: &str) -> ChangeRow {
    ChangeRow {
        source: "github-acme".into(),
        repo: repo.into(),
        number,
        title: title.into(),
        url: format!("https://github.com/{repo}/pull/{number}").into(),
        author: "alice".into(),
        authors: vec!["alice".into()].into(),
        base_branch: "main".into(),
        merged_at: t("2026-07-11T09:00:00Z"),
        merged_by: "bob".into(),
        merge_commit_sha: sha(number as u8).into(),
        head_sha: sha((number as u8).wrapping_add(1)).into(),
        approvers: vec!["bob".into(), "dave".into()].into(),
        independent_approvers: vec!["bob".into(), "dave".into()].into(),
        approval_on_head: true,
        check_state: "success".into(),
        required_checks: vec!["ci/test".into(), "lint".into()].into(),
        labels: vec![].into(),
        emergency: false,
        judged_by_cm09: false,
        retro_approvers: vec![].into(),
        retro_review_at: None,
        retro_review_due: None,
    }
}

fn commit_row(n: u8, change: Option<u64>, author: &str) -> CommitRow {
    CommitRow {
        source: "github-acme".into(),
        repo: "acme/api".into(),
        branch: "main".into(),
        sha: sha(n).into(),
        message_headline: format!("Commit {n}").into(),
        author: author.into(),
        committer: "GitHub".into(),
        committed_at: Utc.with_ymd_and_hms(2026, 8, 1, 10, n.into(), 0).unwrap(),
        url: format!("https://github.com/acme/api/commit/{}", sha(n)).into(),
        change,
    }
}

fn control(
    id: &str,
    result: ResultKind,
    population: u64,
    tested: u64,
    exceptions: u64,
    waived: u64,
) -> ControlResult {
    ControlResult {
        id: id.into(),
        title: format!("{id} title"),
        tsc: vec!["CC8.1".into()],
        result,
        population,
        tested,
        exceptions,
        waived,
        reason: None,
    }
}

fn exception(
    control: &str,
    repo: &str,
    subject_type: SubjectType,
    subject: &str,
    kind: &str,
) -> Exception {
    Exception {
        id: Exception::make_id(control, repo, subject_type, subject, kind),
        control: control.into(),
        kind: kind.into(),
        severity: Severity::High,
        repo: repo.into(),
        subject_type,
        subject: subject.into(),
        summary: format!("{kind} on {subject}"),
        url: match subject_type {
            SubjectType::Change => format!("https://github.com/{repo}/pull/{subject}"),
            _ => format!("https://github.com/{repo}/commit/{subject}"),
        },
        evidence: vec![],
        status: ExceptionStatus::Open,
        waiver: None,
        detail: Default::default(),
    }
}

fn evaluation(window: Window, complete: bool, evidence_ref: &str) -> Evaluation {
    let mut self_approval = exception(
        "CM-01",
        "acme/api",
        SubjectType::Change,
        "102",
        "self_approval",
    );
    self_approval.evidence = vec![
        evidence_ref.to_string().into(),
        format!("{evidence_ref}/reviews/0").into(),
    ];
    self_approval.summary =
        format!("PR #102 “{MALICIOUS_TITLE}” was approved only by its co-author");
    let mut bypass = exception(
        "CM-04",
        "acme/payments",
        SubjectType::Change,
        "7",
        "protection_bypassed",
    );
    bypass.detail = serde_json::Map::from_iter([("basis".to_string(), json!("rule_suite"))]).into();
    let direct = exception(
        "CM-05",
        "acme/api",
        SubjectType::Commit,
        &sha(2),
        "direct_push",
    );
    let mut waived = exception(
        "CM-05",
        "acme/api",
        SubjectType::Commit,
        &sha(3),
        "direct_push",
    );
    waived.status = ExceptionStatus::Waived;
    waived.waiver = Some(Box::new(WaiverRef {
        reason: "Release tooling hotfix, reviewed in INC-42".into(),
        approved_by: "ciso@acme.example".into(),
        approved_at: "2026-09-02".into(),
        expires: None,
        location: None,
    }));
    let mut exceptions = vec![self_approval, bypass, direct, waived];
    exceptions.sort_by(|a, b| a.id.cmp(&b.id));
    let mut cm03 = control("CM-03", ResultKind::Effective, 3, 2, 0, 0);
    cm03.reason =
        Some("acme/payments: no branch protection record for main; 1 change not tested".into());
    let mut changes = vec![
        change_row("acme/api", 101, "Add rate limiting"),
        change_row("acme/api", 102, MALICIOUS_TITLE),
        change_row("acme/payments", 7, "Fix rounding"),
    ];
    changes[1].authors = vec!["alice".into(), "bob".into()].into();
    changes[1].approvers = vec!["bob".into()].into();
    changes[1].independent_approvers = vec![].into();
    changes[1].approval_on_head = false;
    changes[2].labels = vec!["hotfix".into(), "payments".into()].into();
    Evaluation {
        findings: Findings {
            schema: FINDINGS_SCHEMA.into(),
            window,
            complete,
            missing: vec![],
            controls: vec![
                control("CM-01", ResultKind::Exceptions, 3, 3, 1, 0),
                control("CM-02", ResultKind::Effective, 2, 2, 0, 0),
                cm03,
                control("CM-04", ResultKind::Exceptions, 3, 3, 1, 0),
                control("CM-05", ResultKind::Exceptions, 3, 3, 2, 1),
            ],
            exceptions,
            waivers: None,
        },
        changes,
        commits: vec![
            commit_row(1, Some(101), "alice"),
            commit_row(2, None, UNICODE_NAME),
            commit_row(3, None, "release-bot"),
        ],
        ..Evaluation::from_findings(Findings {
            schema: FINDINGS_SCHEMA.into(),
            window,
            complete,
            missing: vec![],
            controls: vec![],
            exceptions: vec![],
            waivers: None,
        })
    }
}

fn text(files: &BundleFiles, path: &str) -> String {
    String::from_utf8(files[path].clone()).unwrap()
}

fn read_csv(bytes: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_reader(bytes);
    let header = reader.headers().unwrap().iter().map(String::from).collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    (header, rows)
}

fn column<'a>(header: &[String], row: &'a [String], name: &str) -> &'a str {
    let index = header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name}"));
    &row[index]
}

// ---------------------------------------------------------------- the file set

#[test]
fn the_file_list_is_exactly_the_expected_set() {
    let fixture = Fixture::new(true);
    let files = fixture.build();
    let mut expected: BTreeSet<String> = [
        "index.html",
        "report.pdf",
        "findings.json",
        "exceptions.csv",
        "manifest.json",
        "populations/changes.csv",
        "populations/commits.csv",
        "populations/deployments.csv",
        "populations/branches.csv",
        "populations/accounts.csv",
        "populations/privileged_access.csv",
        "populations/grants.csv",
        "populations/credentials.csv",
        "populations/access_changes.csv",
        "populations/sources.csv",
        "evidence/requests.ndjson",
        "evidence/evidence.json",
        "config/changeproof.toml",
        "config/locker.json",
        "workpapers.xlsx",
        "oscal/assessment-results.json",
        "reconciliation.csv",
        "reconciliation-differences.csv",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for (file, _) in CATALOG_FILES {
        expected.insert(format!("config/controls/{file}"));
    }
    // The fixture has a seed: every control with a population file has its sample.
    for control in &fixture.evaluation.findings.controls {
        expected.insert(format!("samples/{}.csv", control.id));
        expected.insert(format!("samples/{}.json", control.id));
    }
    for (hash, body) in &fixture.raw {
        let extension = if body == NOT_JSON { "bin" } else { "json" };
        expected.insert(format!("evidence/raw/{hash}.{extension}"));
    }
    let actual: BTreeSet<String> = files.keys().cloned().collect();
    assert_eq!(actual, expected);
}

#[test]
fn evidence_is_copied_byte_for_byte() {
    let fixture = Fixture::new(true);
    let files = fixture.build();
    let log = std::fs::read(fixture.locker.path(crate::locker::REQUESTS_FILE)).unwrap();
    assert_eq!(files["evidence/requests.ndjson"], log);
    for (hash, body) in &fixture.raw {
        let extension = if body == NOT_JSON { "bin" } else { "json" };
        assert_eq!(&files[&format!("evidence/raw/{hash}.{extension}")], body);
    }
    let stored = std::fs::read(fixture.locker.path(crate::locker::EVIDENCE_FILE)).unwrap();
    assert_eq!(files["evidence/evidence.json"], stored);
    assert_eq!(
        files["findings.json"],
        fixture.evaluation.findings.to_json_bytes()
    );
    let meta: LockerMeta = serde_json::from_slice(&files["config/locker.json"]).unwrap();
    assert_eq!(meta, fixture.meta);
    let config_text = text(&files, "config/changeproof.toml");
    let config = Config::parse(&config_text, Path::new("x.toml"), PathBuf::from(".")).unwrap();
    assert_eq!(config, fixture.config);
    for (file, embedded) in CATALOG_FILES {
        assert_eq!(text(&files, &format!("config/controls/{file}")), *embedded);
    }
}

#[test]
fn an_altered_raw_body_fails_the_build() {
    let fixture = Fixture::new(true);
    let (hash, _) = &fixture.raw[1];
    std::fs::write(
        fixture.locker.raw_path(hash).unwrap(),
        b"{\"tampered\":true}",
    )
    .unwrap();
    let err = build(&fixture.input()).unwrap_err().to_string();
    assert!(err.contains("does not match its SHA-256"), "{err}");
    assert!(err.contains(hash.as_str()), "{err}");
}

// ---------------------------------------------------------------- manifest

#[test]
fn the_manifest_lists_every_other_file_with_size_and_sha256() {
    let fixture = Fixture::new(true);
    let files = fixture.build();
    let manifest: Value = serde_json::from_slice(&files["manifest.json"]).unwrap();
    assert!(files["manifest.json"].ends_with(b"}\n"));
    let listed = manifest["files"].as_array().unwrap();
    let paths: Vec<&str> = listed.iter().map(|f| f["path"].as_str().unwrap()).collect();
    let expected: Vec<&str> = files
        .keys()
        .map(String::as_str)
        .filter(|p| *p != "manifest.json")
        .collect();
    assert_eq!(paths, expected, "every other file, sorted by path");
    for entry in listed {
        let bytes = &files[entry["path"].as_str().unwrap()];
        assert_eq!(entry["size"].as_u64().unwrap(), bytes.len() as u64);
        assert_eq!(entry["sha256"].as_str().unwrap(), sha256_hex(bytes));
    }
    assert_eq!(manifest["schema"], "changeproof.manifest/v1");
    assert_eq!(manifest["tool_version"], "0.1.0");
    assert_eq!(manifest["generated_at"], "2026-10-06T12:00:00Z");
    assert_eq!(
        manifest["audit"]["name"],
        "Acme Corp — SOC 2 Type II, Q3 2026"
    );
    assert_eq!(manifest["audit"]["window"]["start"], "2026-07-01T00:00:00Z");
    assert_eq!(manifest["audit"]["window"]["end"], "2026-10-01T00:00:00Z");
    assert_eq!(manifest["seed"], "auditor-seed-42");
    assert_eq!(manifest["complete"], true);
    assert_eq!(manifest["missing"], json!([]));
    assert_eq!(
        manifest["scope"]["production_branches"],
        json!(["{default}", "release/*"])
    );
    assert_eq!(
        manifest["scope"]["production_environments"],
        json!(["production"])
    );
    assert_eq!(manifest["scope"]["sources"][0]["name"], "github-acme");
    assert_eq!(
        manifest["scope"]["sources"][0]["api_url"],
        "https://api.github.com"
    );
    assert_eq!(
        manifest["scope"]["repositories"],
        json!(["acme/api", "acme/payments"])
    );
    assert_eq!(
        manifest["counts"],
        json!({"changes": 3, "commits": 3, "exceptions": 4, "open_exceptions": 3,
               "raw_responses": 4, "requests": 4})
    );
    let manifest_text = text(&files, "manifest.json");
    assert!(
        !manifest_text.contains("GITHUB_TOKEN"),
        "no credential names"
    );
}

#[test]
fn an_incomplete_collection_is_stated_in_the_manifest() {
    let fixture = Fixture::new(false);
    let manifest: Value = serde_json::from_slice(&fixture.build()["manifest.json"]).unwrap();
    assert_eq!(manifest["complete"], false);
    assert_eq!(
        manifest["missing"],
        json!(["branch_protection for acme/payments: HTTP 502 after 5 retries"])
    );
}

#[test]
fn a_collection_window_short_of_the_audit_window_is_incomplete() {
    let mut fixture = Fixture::new(true);
    fixture.meta.window.start = t("2026-08-01T00:00:00Z");
    let files = fixture.build();
    let manifest: Value = serde_json::from_slice(&files["manifest.json"]).unwrap();
    assert_eq!(manifest["complete"], false);
    let missing = manifest["missing"][0].as_str().unwrap();
    assert!(
        missing.contains("[2026-08-01T00:00:00Z, 2026-10-01T00:00:00Z)"),
        "{missing}"
    );
    assert!(text(&files, "index.html").contains("INCOMPLETE"));
}

// ---------------------------------------------------------------- zip and folder

#[test]
fn two_builds_give_byte_identical_zips() {
    let out = tempfile::tempdir().unwrap();
    let (a, b) = (out.path().join("a.zip"), out.path().join("sub/b.zip"));
    // Two fixtures in two temp dirs: nothing of the machine's state leaks in.
    write_zip(&Fixture::new(true).build(), &a).unwrap();
    write_zip(&Fixture::new(true).build(), &b).unwrap();
    let (a, b) = (std::fs::read(a).unwrap(), std::fs::read(b).unwrap());
    assert!(!a.is_empty());
    assert_eq!(sha256_hex(&a), sha256_hex(&b));
    let leftovers: Vec<_> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn streaming_to_disk_gives_the_bytes_of_the_built_bundle() {
    let fixture = Fixture::new(true);
    let files = fixture.build();
    let out = tempfile::tempdir().unwrap();
    let (built_zip, streamed_zip) = (out.path().join("built.zip"), out.path().join("s.zip"));
    let streamed_dir = out.path().join("streamed");
    write_zip(&files, &built_zip).unwrap();
    let digests = super::write(&fixture.input(), Some(&streamed_dir), Some(&streamed_zip)).unwrap();
    assert_eq!(
        std::fs::read(&built_zip).unwrap(),
        std::fs::read(&streamed_zip).unwrap(),
        "the streamed zip is the zip of the built files"
    );
    let mut on_disk = BTreeSet::new();
    let mut stack = vec![streamed_dir.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let name = path.strip_prefix(&streamed_dir).unwrap();
                on_disk.insert(name.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    assert_eq!(on_disk, files.keys().cloned().collect::<BTreeSet<_>>());
    for (name, bytes) in &files {
        assert_eq!(
            &std::fs::read(streamed_dir.join(name)).unwrap(),
            bytes,
            "{name}"
        );
        if name != MANIFEST_FILE && name != SIGNATURE_FILE {
            let (size, sha256) = &digests[name];
            assert_eq!(
                (*size, sha256.as_str()),
                (bytes.len() as u64, sha256_hex(bytes).as_str())
            );
        }
    }
    // A failed bundle leaves no zip and no temporary file behind.
    let broken = Fixture::new(true);
    let (hash, _) = &broken.raw[1];
    std::fs::write(broken.locker.raw_path(hash).unwrap(), b"{}").unwrap();
    let failed = out.path().join("failed.zip");
    assert!(super::write(&broken.input(), None, Some(&failed)).is_err());
    let names: Vec<String> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.contains("failed")), "{names:?}");
}

#[test]
fn the_zip_reads_back_with_fixed_time_and_permissions() {
    let files = Fixture::new(true).build();
    let out = tempfile::tempdir().unwrap();
    let path = out.path().join("bundle.zip");
    write_zip(&files, &path).unwrap();
    let mut archive = ::zip::ZipArchive::new(std::fs::File::open(&path).unwrap()).unwrap();
    assert_eq!(archive.len(), files.len());
    assert!(archive.comment().is_empty());
    for (index, (name, bytes)) in files.iter().enumerate() {
        let mut entry = archive.by_index(index).unwrap();
        assert_eq!(
            entry.name().unwrap(),
            name.as_str(),
            "entries in path order"
        );
        assert!(!entry.is_dir());
        assert_eq!(entry.compression(), ::zip::CompressionMethod::Deflated);
        assert_eq!(entry.last_modified(), Some(::zip::DateTime::default()));
        let fixed = entry.last_modified().unwrap();
        assert_eq!(
            (
                fixed.year(),
                fixed.month(),
                fixed.day(),
                fixed.hour(),
                fixed.minute(),
                fixed.second()
            ),
            (1980, 1, 1, 0, 0, 0)
        );
        assert_eq!(entry.unix_mode().map(|m| m & 0o7777), Some(0o644), "{name}");
        assert!(entry.extra_data().is_none_or(|d| d.is_empty()), "{name}");
        assert!(entry.comment().is_empty());
        let mut content = Vec::new();
        entry.read_to_end(&mut content).unwrap();
        assert_eq!(&content, bytes, "{name}");
    }
}

#[test]
fn the_folder_holds_every_file_and_a_used_folder_is_refused() {
    let files = Fixture::new(true).build();
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("bundle");
    write_dir(&files, &dir).unwrap();
    for (name, bytes) in &files {
        assert_eq!(&std::fs::read(dir.join(name)).unwrap(), bytes, "{name}");
    }
    let err = write_dir(&files, &dir).unwrap_err().to_string();
    assert!(err.contains("not empty"), "{err}");
    // An existing empty folder is fine.
    let empty = out.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    write_dir(&files, &empty).unwrap();
}

#[test]
fn unsafe_entry_paths_are_refused_by_both_writers() {
    let out = tempfile::tempdir().unwrap();
    for bad in ["../escape.txt", "/abs.txt", "", "a/../../b"] {
        let mut files = BundleFiles::new();
        files.insert("ok.txt".into(), b"ok".to_vec());
        files.insert(bad.into(), b"x".to_vec());
        let zip = out.path().join("x.zip");
        let err = write_zip(&files, &zip).unwrap_err();
        assert!(
            matches!(err, BundleError::UnsafePath { .. }),
            "{bad}: {err}"
        );
        assert!(!zip.exists());
        let err = write_dir(&files, &out.path().join("d")).unwrap_err();
        assert!(
            matches!(err, BundleError::UnsafePath { .. }),
            "{bad}: {err}"
        );
        assert!(!out.path().join("escape.txt").exists());
    }
}

// ---------------------------------------------------------------- index.html

/// `(tag name, attribute text)` of every start tag.
fn start_tags(html: &str) -> Vec<(String, String)> {
    let mut tags = Vec::new();
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        rest = &rest[open + 1..];
        let Some(close) = rest.find('>') else { break };
        let tag = &rest[..close];
        rest = &rest[close + 1..];
        if tag.starts_with('/') || tag.starts_with('!') {
            continue;
        }
        let name: String = tag
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        tags.push((name, tag.to_string()));
    }
    tags
}

#[test]
fn the_report_loads_nothing_from_the_network() {
    let html = text(&Fixture::new(true).build(), "index.html");
    let tags = start_tags(&html);
    assert!(tags.iter().any(|(name, attrs)| name == "a"
        && attrs.contains("href=\"https://github.com/acme/api/pull/101\"")));
    for (name, attrs) in &tags {
        assert!(
            !["img", "link", "iframe", "object", "embed"].contains(&name.as_str()),
            "<{attrs}>"
        );
        // The one script is inline (its hash is checked against the policy elsewhere).
        assert!(name != "script" || attrs == "script", "<{attrs}>");
        if name != "a" {
            let lower = attrs.to_ascii_lowercase();
            assert!(
                !lower.contains("http://") && !lower.contains("https://"),
                "<{attrs}>"
            );
        }
    }
    let style = &html[html.find("<style>").unwrap()..html.find("</style>").unwrap()];
    assert!(
        !style.contains("url(") && !style.contains("@import"),
        "no fetched CSS resources"
    );
    assert!(
        html.contains("default-src 'none'"),
        "a CSP forbids any fetch"
    );
}

#[test]
fn the_incomplete_banner_shows_exactly_when_incomplete() {
    let complete = text(&Fixture::new(true).build(), "index.html");
    assert!(!complete.contains("INCOMPLETE"));
    let incomplete = text(&Fixture::new(false).build(), "index.html");
    assert!(incomplete.contains("<h2>INCOMPLETE</h2>"));
    assert!(
        incomplete
            .contains("<li>branch_protection for acme/payments: HTTP 502 after 5 retries</li>")
    );
    assert!(incomplete.contains("<title>INCOMPLETE — "));
}

#[test]
fn the_report_escapes_a_malicious_title_and_shows_unicode() {
    let html = text(&Fixture::new(true).build(), "index.html");
    assert!(!html.contains(MALICIOUS_TITLE));
    assert_eq!(
        html.matches("<script").count(),
        1,
        "only the report's own script"
    );
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains(UNICODE_NAME));
    assert!(html.contains("Acme Corp — SOC 2 Type II, Q3 2026"));
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<meta charset=\"utf-8\">"));
}

#[test]
fn the_report_shows_controls_exceptions_and_populations() {
    let html = text(&Fixture::new(true).build(), "index.html");
    for needle in [
        "2026-07-01T00:00:00Z",
        "2026-10-05T09:00:00Z",
        "2026-10-06T12:00:00Z",
        "changeproof 0.1.0",
        "auditor-seed-42",
        "<span class=\"badge exceptions\">Exceptions</span>",
        "<span class=\"badge effective\">Effective</span>",
        "acme/payments: no branch protection record for main; 1 change not tested",
        "CM-01/acme/api/change/102/self_approval",
        "<span class=\"badge fail\">self_approval</span>",
        "<span class=\"badge na\">n/a</span>",
        "<span class=\"badge untested\">not_tested</span>",
        "<span class=\"badge waived\">direct_push (waived)</span>",
        "basis: rule_suite",
        "Release tooling hotfix, reviewed in INC-42",
        "POST /graphql MergedPullRequests",
        ">hotfix, payments</td>",
    ] {
        assert!(html.contains(needle), "missing {needle}");
    }
    assert!(
        !html.contains("<td><span class=\"badge untested\">undetermined</span></td>"),
        "every cell is proven"
    );
}

/// The elements of an SVG fragment are balanced and properly nested.
fn assert_well_formed(svg: &str) {
    let mut open: Vec<String> = Vec::new();
    let mut rest = svg;
    while let Some(start) = rest.find('<') {
        let end = rest[start..].find('>').expect("every tag closes") + start;
        let tag = &rest[start + 1..end];
        assert!(!tag.contains('<'), "a tag inside a tag: {tag}");
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(open.pop().as_deref(), Some(name), "closing {name}");
        } else if !tag.ends_with('/') {
            let name: String = tag.chars().take_while(|c| !c.is_whitespace()).collect();
            open.push(name);
        }
        // Text between tags holds no raw markup characters.
        let text_end = rest[end..].find('<').map_or(rest.len(), |i| i + end);
        assert!(!rest[end + 1..text_end].contains('>'), "raw `>` in text");
        rest = &rest[end + 1..];
    }
    assert!(open.is_empty(), "unclosed: {open:?}");
}

#[test]
fn the_report_is_one_offline_file_whose_only_script_its_policy_allows() {
    let html = text(&Fixture::new(true).build(), "index.html");
    // No resource of any kind is loaded: no src, no stylesheet link, no CSS url or import.
    for needle in [
        "src=", "<link", "url(", "@import", "<iframe", "<object", "<embed", "<img",
    ] {
        assert!(!html.contains(needle), "{needle}");
    }
    let csp_start = html.find("Content-Security-Policy\" content=\"").unwrap();
    let csp = &html[csp_start..];
    let csp = &csp[..csp.find("\">").unwrap()];
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(!csp.contains("unsafe-inline'; script") && !csp.contains("script-src 'unsafe"));
    // The inline script is exactly the one the policy's hash allows.
    let body = html
        .split("<script>")
        .nth(1)
        .unwrap()
        .split("</script>")
        .next()
        .unwrap();
    use sha2::Digest as _;
    let hash = crate::signing::encode_base64(&sha2::Sha256::digest(body.as_bytes()));
    assert!(
        csp.contains(&format!("script-src 'sha256-{hash}'")),
        "{csp}"
    );
    for forbidden in [
        "http",
        "fetch(",
        "XMLHttpRequest",
        "eval(",
        "localStorage",
        "import(",
    ] {
        assert!(!body.contains(forbidden), "the script uses {forbidden}");
    }
    // Both charts are inline SVG, well-formed, with a title for assistive technology.
    let svgs: Vec<&str> = html
        .match_indices("<svg")
        .map(|(i, _)| &html[i..i + html[i..].find("</svg>").unwrap() + 6])
        .collect();
    assert_eq!(svgs.len(), 2);
    for svg in &svgs {
        assert_well_formed(svg);
        assert!(
            svg.contains("role=\"img\"") && svg.contains("<title id="),
            "{svg}"
        );
    }
    // The month chart counts the fixture's exceptions per control, the results chart
    // draws one row per control.
    assert!(svgs[0].contains("Exceptions by month and control"));
    assert!(svgs[0].contains("CM-01 ("), "{}", svgs[0]);
    assert!(svgs[1].contains("CM-05"));
    assert!(svgs[1].contains("pass"));
}

#[test]
fn a_long_population_is_capped_in_the_page_with_a_note() {
    let mut fixture = Fixture::new(true);
    let row = fixture.evaluation.commits[0].clone();
    fixture.evaluation.commits = (0..html::HTML_ROW_CAP + 3)
        .map(|i| CommitRow {
            sha: format!("{:040x}", i).into(),
            ..row.clone()
        })
        .collect();
    let html = text(&fixture.build(), "index.html");
    let section = &html[html.find("<section id=\"commits\"").unwrap()..];
    let section = &section[..section.find("</section>").unwrap()];
    assert_eq!(
        section.matches("<tr>").count(),
        html::HTML_ROW_CAP + 1,
        "header and capped rows"
    );
    assert!(section.contains(&format!(
        "This page shows the first {} of the {} commits",
        html::HTML_ROW_CAP,
        html::HTML_ROW_CAP + 3
    )));
    assert!(section.contains("populations/commits.csv"));
}

#[test]
fn empty_populations_say_so() {
    let mut fixture = Fixture::new(true);
    fixture.evaluation.changes.clear();
    fixture.evaluation.commits.clear();
    fixture.evaluation.findings.exceptions.clear();
    fixture.evidence.queries.clear();
    let html = text(&fixture.build(), "index.html");
    for needle in [
        "No change merged into a production branch inside the window.",
        "No commit entered a production branch inside the window.",
        "No exceptions.",
        "The evidence records no population query.",
    ] {
        assert!(html.contains(needle), "missing {needle}");
    }
    // The header row keeps its per-control columns.
    assert!(html.contains("<th scope=\"col\" class=\"result\" data-sort=\"text\">CM-04</th>"));
}

#[test]
fn a_link_to_anything_but_a_web_address_stays_text() {
    let mut fixture = Fixture::new(true);
    fixture.evaluation.changes[0].url = "javascript:alert(1)".into();
    let html = text(&fixture.build(), "index.html");
    assert!(!html.contains("href=\"javascript"));
    assert!(!html.contains("javascript:alert(1)\""));
}

#[test]
fn rendering_is_deterministic() {
    let a = Fixture::new(false).build();
    let b = Fixture::new(false).build();
    assert_eq!(a, b);
}

// ---------------------------------------------------------------- strict mode

#[test]
fn strict_mode_rejects_a_missing_field() {
    let data = json!({"present": "yes", "flag": null});
    assert_eq!(html::render_with("{{present}}", &data).unwrap(), "yes");
    assert!(html::render_with("{{absent}}", &data).is_err());
    assert!(html::render_with("{{#each absent}}x{{/each}}", &data).is_err());
    // Handlebars' own `if` would treat these as false; ours fails instead.
    let err = html::render_with("{{#if absent}}x{{/if}}", &data)
        .unwrap_err()
        .to_string();
    assert!(err.contains("absent"), "{err}");
    assert!(html::render_with("{{#unless absent}}x{{/unless}}", &data).is_err());
    // A present null is a value: false.
    assert_eq!(
        html::render_with("{{#if flag}}x{{else}}y{{/if}}", &data).unwrap(),
        "y"
    );
}

/// Every key path of a JSON value, following arrays through their first element.
fn key_paths(value: &Value, prefix: &[String], out: &mut Vec<Vec<String>>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let mut path = prefix.to_vec();
                path.push(key.clone());
                out.push(path.clone());
                key_paths(child, &path, out);
            }
        }
        Value::Array(items) => {
            if let Some(first) = items.first() {
                let mut path = prefix.to_vec();
                path.push("0".into());
                key_paths(first, &path, out);
            }
        }
        _ => {}
    }
}

fn remove_path(value: &mut Value, path: &[String]) {
    let (last, parents) = path.split_last().unwrap();
    let mut node = value;
    for segment in parents {
        node = match node {
            Value::Array(items) => &mut items[segment.parse::<usize>().unwrap()],
            other => &mut other[segment.as_str()],
        };
    }
    node.as_object_mut().unwrap().remove(last).unwrap();
}

#[test]
fn the_real_template_fails_when_any_field_of_its_data_is_missing() {
    // Incomplete, with a gap and a described exception kind: every part of the
    // template is rendered, so every field is read.
    let mut fixture = Fixture::new(false);
    fixture.catalog.controls[0]
        .kinds
        .push(crate::catalog::KindEntry {
            kind: "self_approval".into(),
            description: "approved only by authors".into(),
            severity: None,
        });
    let input = fixture.input();
    let populations = Populations::derive(&input);
    let counts = manifest::Counts::new(&input, 0, 0);
    let samples = samples::draw_for_tests(&input, &populations);
    let page = html::page_json(&input, &populations, &counts, &samples);
    html::render_with(html::INDEX, &page).unwrap();
    let mut paths = Vec::new();
    key_paths(&page, &[], &mut paths);
    assert!(paths.len() > 100, "{}", paths.len());
    for path in paths {
        let mut broken = page.clone();
        remove_path(&mut broken, &path);
        let err = html::render_with(html::INDEX, &broken)
            .map(|_| ())
            .expect_err(&format!("rendered without {}", path.join(".")));
        assert!(matches!(err, BundleError::Render { .. }), "{err}");
    }
}

// ---------------------------------------------------------------- CSV files

#[test]
fn changes_csv_has_every_attribute_and_a_result_per_control() {
    let files = Fixture::new(true).build();
    let (header, rows) = read_csv(&files["populations/changes.csv"]);
    let expected: Vec<String> = CHANGE_COLUMNS
        .iter()
        .chain(CHANGE_CONTROLS.iter())
        .map(|s| s.to_string())
        .collect();
    assert_eq!(header, expected);
    assert_eq!(rows.len(), 3);
    let results: Vec<Vec<&str>> = rows
        .iter()
        .map(|r| {
            CHANGE_CONTROLS
                .iter()
                .map(|c| column(&header, r, c))
                .collect()
        })
        .collect();
    assert_eq!(
        results,
        vec![
            vec!["pass", "pass", "pass", "pass", "n/a"],
            vec!["self_approval", "n/a", "pass", "pass", "n/a"],
            vec!["pass", "pass", "not_tested", "protection_bypassed", "n/a"],
        ]
    );
    let first = &rows[0];
    assert_eq!(column(&header, first, "number"), "101");
    assert_eq!(column(&header, first, "merged_at"), "2026-07-11T09:00:00Z");
    assert_eq!(column(&header, first, "approvers"), "bob;dave");
    assert_eq!(column(&header, first, "required_checks"), "ci/test;lint");
    assert_eq!(column(&header, first, "approval_on_head"), "true");
    assert_eq!(column(&header, &rows[1], "title"), MALICIOUS_TITLE);
    assert_eq!(column(&header, &rows[1], "authors"), "alice;bob");
    assert_eq!(column(&header, &rows[1], "independent_approvers"), "");
    assert_eq!(column(&header, &rows[2], "labels"), "hotfix;payments");
}

#[test]
fn commits_csv_has_the_cm05_result() {
    let files = Fixture::new(true).build();
    let (header, rows) = read_csv(&files["populations/commits.csv"]);
    let mut expected: Vec<String> = COMMIT_COLUMNS.iter().map(|s| s.to_string()).collect();
    expected.push("CM-05".into());
    assert_eq!(header, expected);
    let cells: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|r| {
            (
                column(&header, r, "change"),
                column(&header, r, "author"),
                column(&header, r, "CM-05"),
            )
        })
        .collect();
    assert_eq!(
        cells,
        vec![
            ("101", "alice", "pass"),
            ("", UNICODE_NAME, "direct_push"),
            ("", "release-bot", "direct_push (waived)"),
        ]
    );
    assert_eq!(column(&header, &rows[0], "sha"), sha(1));
    assert_eq!(
        column(&header, &rows[0], "committed_at"),
        "2026-08-01T10:01:00Z"
    );
}

#[test]
fn exceptions_csv_has_one_row_per_exception() {
    let fixture = Fixture::new(true);
    let files = fixture.build();
    let (header, rows) = read_csv(&files["exceptions.csv"]);
    assert_eq!(header, EXCEPTION_COLUMNS.to_vec());
    let ids: Vec<&str> = rows.iter().map(|r| column(&header, r, "id")).collect();
    let expected: Vec<&str> = fixture
        .evaluation
        .findings
        .exceptions
        .iter()
        .map(|e| e.id.as_str())
        .collect();
    assert_eq!(ids, expected);
    let self_approval = rows
        .iter()
        .find(|r| column(&header, r, "kind") == "self_approval")
        .unwrap();
    let evidence = column(&header, self_approval, "evidence");
    assert_eq!(evidence.split(' ').count(), 2, "{evidence}");
    assert!(evidence.starts_with("sha256:"));
    assert_eq!(column(&header, self_approval, "status"), "open");
    assert_eq!(column(&header, self_approval, "subject_type"), "change");
    let waived = rows
        .iter()
        .find(|r| column(&header, r, "status") == "waived")
        .unwrap();
    assert_eq!(
        column(&header, waived, "waiver_reason"),
        "Release tooling hotfix, reviewed in INC-42"
    );
    assert_eq!(column(&header, waived, "subject"), sha(3));
    let bypass = rows
        .iter()
        .find(|r| column(&header, r, "kind") == "protection_bypassed")
        .unwrap();
    assert_eq!(
        column(&header, bypass, "detail"),
        r#"{"basis":"rule_suite"}"#
    );
}

#[test]
fn counts_that_do_not_prove_a_pass_give_undetermined() {
    let mut fixture = Fixture::new(true);
    // The evaluation says one change went untested for CM-04, but names no reason the
    // bundle can recognise: it must not print `pass` for the others.
    let cm04 = fixture
        .evaluation
        .findings
        .controls
        .iter_mut()
        .find(|c| c.id == "CM-04")
        .unwrap();
    cm04.tested = 2;
    let files = fixture.build();
    let (header, rows) = read_csv(&files["populations/changes.csv"]);
    let cm04: Vec<&str> = rows.iter().map(|r| column(&header, r, "CM-04")).collect();
    assert_eq!(
        cm04,
        vec!["undetermined", "undetermined", "protection_bypassed"]
    );
    let html = text(&files, "index.html");
    assert!(html.contains("CM-04: findings.json reports a population of 3 with 2 tested"));
}

#[test]
fn a_control_not_tested_marks_its_records_not_tested() {
    let mut fixture = Fixture::new(true);
    let cm05 = fixture
        .evaluation
        .findings
        .controls
        .iter_mut()
        .find(|c| c.id == "CM-05")
        .unwrap();
    *cm05 = control("CM-05", ResultKind::NotTested, 3, 0, 0, 0);
    fixture
        .evaluation
        .findings
        .exceptions
        .retain(|e| e.control != "CM-05");
    let (header, rows) = read_csv(&fixture.build()["populations/commits.csv"]);
    assert!(
        rows.iter()
            .all(|r| column(&header, r, "CM-05") == "not_tested")
    );
}

#[test]
fn a_change_with_partial_reviews_is_not_tested_for_cm01() {
    let mut fixture = Fixture::new(true);
    fixture.evidence.changes[0].incomplete = vec!["reviews".into()];
    for c in &mut fixture.evaluation.findings.controls {
        if c.id == "CM-01" || c.id == "CM-02" {
            c.tested -= 1;
        }
    }
    let (header, rows) = read_csv(&fixture.build()["populations/changes.csv"]);
    assert_eq!(column(&header, &rows[0], "CM-01"), "not_tested");
    assert_eq!(column(&header, &rows[0], "CM-02"), "not_tested");
    assert_eq!(column(&header, &rows[2], "CM-01"), "pass");
}

// ---------------------------------------------------------------- signature

#[test]
fn a_signed_bundle_carries_a_deterministic_signature_of_its_manifest() {
    let fixture = Fixture::new(true);
    let key = crate::signing::SigningKey::demo().unwrap();
    let input = BundleInput {
        signing_key: Some(&key),
        ..fixture.input()
    };
    let files = build(&input).unwrap();
    assert_eq!(files, build(&input).unwrap(), "signing is deterministic");
    let signature = text(&files, SIGNATURE_FILE);
    let verified =
        crate::signing::verify(&key.public_key(), &files[MANIFEST_FILE], &signature).unwrap();
    assert_eq!(
        verified.trusted_comment,
        "changeproof manifest.json | audit: Acme Corp — SOC 2 Type II, Q3 2026 | window: \
         2026-07-01T00:00:00Z to 2026-10-01T00:00:00Z | tool: changeproof 0.1.0"
    );
    // No time of signing anywhere in the signature file.
    assert!(!signature.contains("timestamp"), "{signature}");
    let manifest: Value = serde_json::from_slice(&files[MANIFEST_FILE]).unwrap();
    assert_eq!(manifest["signature"]["file"], SIGNATURE_FILE);
    assert_eq!(manifest["signature"]["key_id"], key.key_id());
    // The signature is not listed in the manifest it signs.
    let listed: Vec<&str> = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(!listed.contains(&SIGNATURE_FILE));
    let html = text(&files, "index.html");
    assert!(html.contains(&format!(
        "minisign key <span class=\"mono\">{}</span>",
        key.key_id()
    )));
    assert!(!html.contains("UNSIGNED"));
}

#[test]
fn an_unsigned_bundle_says_so_in_the_manifest_and_on_the_cover() {
    let files = Fixture::new(true).build();
    assert!(!files.contains_key(SIGNATURE_FILE));
    let manifest: Value = serde_json::from_slice(&files[MANIFEST_FILE]).unwrap();
    assert_eq!(manifest["signature"], Value::Null);
    let html = text(&files, "index.html");
    let header = &html[html.find("<header").unwrap()..html.find("</header>").unwrap()];
    assert!(header.contains("UNSIGNED"), "{header}");
}
