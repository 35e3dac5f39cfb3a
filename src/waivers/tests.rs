use std::path::Path;

use proptest::prelude::*;

use super::*;
use crate::findings::{ControlResult, Exception, Severity, SubjectType};
use crate::locker::Window;

const GOOD: &str = r#"# Waivers for Q3
[[waiver]]
control = "CM-03"
kind = "checks_missing"
repo = "acme/infra"
subject = "*"
reason = "acme/infra has no CI yet; each change is applied with a reviewed plan (INC-7)"
approved_by = "ciso@acme.example"
approved_at = "2026-07-15"
expires = "2026-12-31"

[[waiver]]
control = "CM-01"
kind = "no_approval"
repo = "acme/*"
subject = "12"
reason = "old"
approved_by = "ciso@acme.example"
approved_at = "2026-06-01"
expires = "2026-09-30T12:00:00Z"
"#;

fn parse(text: &str) -> Result<WaiversFile, WaiverError> {
    WaiversFile::parse("waivers.toml", text, Path::new("conf/waivers.toml"))
}

fn problems(text: &str) -> Vec<String> {
    match parse(text) {
        Err(WaiverError::Invalid { problems }) => problems,
        other => panic!("expected problems, got {other:?}"),
    }
}

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

#[test]
fn parses_entries_with_their_header_lines() {
    let file = parse(GOOD).unwrap();
    assert_eq!(file.waivers.len(), 2);
    let w = &file.waivers[0];
    assert_eq!(w.line, 2);
    assert_eq!(
        (w.control.as_str(), w.kind.as_str(), w.subject.as_str()),
        ("CM-03", "checks_missing", "*")
    );
    assert_eq!(w.expires_at, Some(t("2026-12-31T00:00:00Z")));
    assert_eq!(file.waivers[1].line, 12);
    assert_eq!(
        file.waivers[1].expires.as_deref(),
        Some("2026-09-30T12:00:00Z")
    );
    assert_eq!(file.text, GOOD);
}

#[test]
fn empty_file_has_no_waivers() {
    assert_eq!(parse("").unwrap().waivers, []);
    assert_eq!(parse("# nothing waived\n").unwrap().waivers, []);
}

#[test]
fn unknown_keys_are_errors_with_their_line() {
    let text = GOOD.replace("subject = \"12\"", "subject = \"12\"\nsubjct = \"13\"");
    let p = problems(&text);
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(p[0].starts_with("conf/waivers.toml:17:1: "), "{p:?}");
    assert!(p[0].contains("unknown key `subjct`"), "{p:?}");

    let p = problems("[[waivers]]\ncontrol = \"CM-01\"\n");
    assert!(p[0].starts_with("conf/waivers.toml:1:"), "{p:?}");
    assert!(p[0].contains("waivers"), "{p:?}");
}

#[test]
fn every_bad_field_is_reported_at_once_with_its_line() {
    let text = r#"[[waiver]]
control = 7
kind = ""
repo = "acme/api"
reason = "r"
approved_by = "x"
approved_at = "last tuesday"
expires = "2026-13-01"
colour = "blue"
"#;
    let p = problems(text);
    let expect = [
        ("conf/waivers.toml:9:1:", "unknown key `colour`"),
        (
            "conf/waivers.toml:2:11:",
            "`control` must be a string, not integer",
        ),
        ("conf/waivers.toml:3:8:", "`kind` is empty"),
        ("conf/waivers.toml:1:1:", "`subject` is missing"),
        (
            "conf/waivers.toml:7:15:",
            "`approved_at`: `last tuesday` is neither a date",
        ),
        (
            "conf/waivers.toml:8:11:",
            "`expires`: `2026-13-01` is neither a date",
        ),
    ];
    assert_eq!(p.len(), expect.len(), "{p:#?}");
    for (prefix, message) in expect {
        assert!(
            p.iter()
                .any(|x| x.starts_with(prefix) && x.contains(message)),
            "no `{prefix} … {message}` in {p:#?}"
        );
    }
    let err = parse(text).unwrap_err().to_string();
    assert_eq!(err.lines().count(), expect.len(), "{err}");
}

#[test]
fn expiry_must_follow_approval() {
    let text = GOOD.replace("expires = \"2026-12-31\"", "expires = \"2026-07-01\"");
    let p = problems(&text);
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(p[0].starts_with("conf/waivers.toml:10:11:"), "{p:?}");
    assert!(p[0].contains("after `approved_at`"), "{p:?}");
}

#[test]
fn a_syntax_error_names_the_line() {
    let p = problems("[[waiver]]\ncontrol = \"CM-01\n");
    assert!(p[0].starts_with("conf/waivers.toml:2:"), "{p:?}");
}

#[test]
fn a_missing_file_is_an_error_naming_it() {
    let mut config = crate::config::Config::parse(
        "[audit]\nname = \"x\"\nwindow = { start = \"2026-07-01\", end = \"2026-10-01\" }\n[output]\nwaivers = \"nope.toml\"\n",
        Path::new("c.toml"),
        std::path::PathBuf::from("/nonexistent-dir"),
    )
    .unwrap();
    let err = WaiversFile::load(&config).unwrap_err().to_string();
    assert!(
        err.starts_with("/nonexistent-dir/nope.toml: cannot read"),
        "{err}"
    );
    config.output.waivers = None;
    assert_eq!(WaiversFile::load(&config).unwrap(), None);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Arbitrary text, and arbitrary edits of a valid file, never panic: they parse or
    /// give problems that each name the file and a line.
    #[test]
    fn parsing_never_panics(text in "\\PC{0,300}", cut in 0usize..600, insert in "[\\[\\]=\"a-z0-9 \\n\u{e9}]{0,12}") {
        for text in [text.clone(), {
            let mut s = GOOD.to_string();
            let mut at = cut.min(s.len());
            while !s.is_char_boundary(at) { at -= 1; }
            s.insert_str(at, &insert);
            s
        }] {
            if let Err(WaiverError::Invalid { problems }) = parse(&text) {
                prop_assert!(!problems.is_empty());
                for p in problems {
                    prop_assert!(p.starts_with("conf/waivers.toml:"), "{}", p);
                }
            }
        }
    }
}

// ------------------------------------------------------------------ application

fn exception(control: &str, kind: &str, repo: &str, subject: &str) -> Exception {
    Exception {
        id: Exception::make_id(control, repo, SubjectType::Change, subject, kind),
        control: control.into(),
        kind: kind.into(),
        severity: Severity::High,
        repo: repo.into(),
        subject_type: SubjectType::Change,
        subject: subject.into(),
        summary: String::new(),
        url: String::new(),
        evidence: vec![],
        status: ExceptionStatus::Open,
        waiver: None,
        detail: Default::default(),
    }
}

fn control(id: &str, exceptions: u64, reason: Option<&str>) -> ControlResult {
    ControlResult {
        id: id.into(),
        title: id.into(),
        tsc: vec!["CC8.1".into()],
        result: if exceptions > 0 {
            ResultKind::Exceptions
        } else {
            ResultKind::Effective
        },
        population: 10,
        tested: 10,
        exceptions,
        waived: 0,
        reason: reason.map(String::from),
    }
}

fn findings() -> Findings {
    let mut exceptions = vec![
        exception("CM-03", "checks_missing", "acme/infra", "4"),
        exception("CM-03", "checks_missing", "acme/infra", "9"),
        exception("CM-01", "no_approval", "acme/infra", "12"),
        exception("CM-01", "self_approval", "acme/web", "3"),
        exception("CM-02", "stale_approval", "acme/web", "5"),
    ];
    exceptions.sort_by(|a, b| a.id.cmp(&b.id));
    Findings {
        schema: crate::findings::FINDINGS_SCHEMA.into(),
        window: Window {
            start: t("2026-07-01T00:00:00Z"),
            end: t("2026-10-01T00:00:00Z"),
        },
        complete: true,
        missing: vec![],
        controls: vec![
            control("CM-01", 2, None),
            control("CM-02", 1, Some("1 of 10 changes not tested")),
            control("CM-03", 2, None),
        ],
        exceptions,
        waivers: None,
    }
}

fn catalog() -> Catalog {
    Catalog::builtin().unwrap()
}

const SNAPSHOT: &str = "2026-10-05T09:00:00Z";

#[test]
fn matching_exceptions_are_waived_and_stay_listed() {
    let file = parse(GOOD).unwrap();
    let mut f = findings();
    let summary = file.apply(&mut f, &catalog(), t(SNAPSHOT));
    assert_eq!(f.exceptions.len(), 5, "nothing disappears");
    let waived: Vec<&str> = f
        .exceptions
        .iter()
        .filter(|e| e.status == ExceptionStatus::Waived)
        .map(|e| e.id.as_str())
        .collect();
    assert_eq!(
        waived,
        [
            "CM-03/acme/infra/change/4/checks_missing",
            "CM-03/acme/infra/change/9/checks_missing"
        ]
    );
    let w = f.exceptions.iter().find(|e| e.subject == "4").unwrap();
    let r = w.waiver.as_ref().unwrap();
    assert_eq!(r.location.as_deref(), Some("waivers.toml:2"));
    assert_eq!(r.approved_by, "ciso@acme.example");
    assert_eq!(r.expires.as_deref(), Some("2026-12-31"));

    let cm03 = f.controls.iter().find(|c| c.id == "CM-03").unwrap();
    assert_eq!(
        (cm03.result, cm03.exceptions, cm03.waived),
        (ResultKind::Effective, 2, 2)
    );
    let cm01 = f.controls.iter().find(|c| c.id == "CM-01").unwrap();
    assert_eq!((cm01.result, cm01.waived), (ResultKind::Exceptions, 0));
    assert_eq!(f.open_exceptions(), 3);

    assert_eq!(summary.file, "waivers.toml");
    assert_eq!(summary.sha256, sha256_hex(GOOD.as_bytes()));
    assert_eq!(summary.applied.len(), 1);
    assert_eq!(summary.applied[0].waiver.location, "waivers.toml:2");
    assert_eq!(summary.applied[0].exceptions.len(), 2);
    // The second waiver expired before the snapshot: it waives nothing, and says what
    // it would have matched.
    assert_eq!(summary.expired.len(), 1);
    assert_eq!(
        summary.expired[0].would_match,
        ["CM-01/acme/infra/change/12/no_approval"]
    );
    assert_eq!(summary.unused, []);
}

#[test]
fn expiry_is_judged_at_the_snapshot_not_the_wall_clock() {
    let file = parse(GOOD).unwrap();
    let mut f = findings();
    let summary = file.apply(&mut f, &catalog(), t("2026-09-30T11:59:59Z"));
    assert_eq!(summary.expired, []);
    assert_eq!(summary.applied.len(), 2);
    let e = f.exceptions.iter().find(|e| e.subject == "12").unwrap();
    assert_eq!(e.status, ExceptionStatus::Waived);
    // At the expiry instant itself the waiver no longer applies.
    let mut f = findings();
    let summary = file.apply(&mut f, &catalog(), t("2026-09-30T12:00:00Z"));
    assert_eq!(summary.expired.len(), 1);
}

#[test]
fn all_waived_with_untested_records_is_not_tested() {
    let text = GOOD
        .replace("CM-03", "CM-02")
        .replace("checks_missing", "stale_approval")
        .replace("acme/infra", "acme/web");
    let file = parse(&text).unwrap();
    let mut f = findings();
    file.apply(&mut f, &catalog(), t(SNAPSHOT));
    let cm02 = f.controls.iter().find(|c| c.id == "CM-02").unwrap();
    assert_eq!((cm02.result, cm02.waived), (ResultKind::NotTested, 1));
}

#[test]
fn unused_waivers_say_why() {
    let text = format!(
        "{GOOD}
[[waiver]]
control = \"CM-05\"
kind = \"direct_push\"
repo = \"acme/web\"
subject = \"*\"
reason = \"nothing to waive\"
approved_by = \"x\"
approved_at = \"2026-07-01\"

[[waiver]]
control = \"CM-03\"
kind = \"checks_*\"
repo = \"acme/infra\"
subject = \"4\"
reason = \"duplicate\"
approved_by = \"x\"
approved_at = \"2026-07-01\"

[[waiver]]
control = \"CM-01\"
kind = \"no_aproval\"
repo = \"*\"
subject = \"*\"
reason = \"typo\"
approved_by = \"x\"
approved_at = \"2026-07-01\"
"
    );
    let file = parse(&text).unwrap();
    let mut f = findings();
    let summary = file.apply(&mut f, &catalog(), t(SNAPSHOT));
    let reasons: Vec<(&str, &str)> = summary
        .unused
        .iter()
        .map(|u| (u.waiver.location.as_str(), u.reason.as_str()))
        .collect();
    assert_eq!(
        reasons,
        [
            (
                "waivers.toml:22",
                "it matches no exception of this evaluation"
            ),
            (
                "waivers.toml:31",
                "every exception it matches is waived by an earlier entry of the file"
            ),
            (
                "waivers.toml:40",
                "no control and exception kind of the catalog matches its control and kind"
            ),
        ]
    );
    // The first waiver in file order is the one recorded on the exception.
    let e = f.exceptions.iter().find(|e| e.subject == "4").unwrap();
    assert_eq!(
        e.waiver.as_ref().unwrap().location.as_deref(),
        Some("waivers.toml:2")
    );
}

#[test]
fn globs_match_every_field() {
    let text = GOOD
        .replace("control = \"CM-03\"", "control = \"CM-0?\"")
        .replace("kind = \"checks_missing\"", "kind = \"*\"")
        .replace("repo = \"acme/infra\"", "repo = \"acme/w*\"");
    let file = parse(&text).unwrap();
    let mut f = findings();
    let summary = file.apply(&mut f, &catalog(), t(SNAPSHOT));
    assert_eq!(
        summary.applied[0].exceptions,
        [
            "CM-01/acme/web/change/3/self_approval",
            "CM-02/acme/web/change/5/stale_approval"
        ]
    );
}
