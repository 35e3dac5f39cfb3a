//! The trend tables against hand-computed expectations on small inputs.

use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::evaluate::{ChangeRow, CommitRow, Evaluation};
use crate::findings::{
    ControlResult, Exception, ExceptionStatus, FINDINGS_SCHEMA, Findings, ResultKind, Severity,
    SubjectType, WaiverRef,
};
use crate::locker::Window;
use crate::model::{Actor, ActorKind, Deployment, DeploymentStatus, Evidence, Timestamp};

use super::*;

const CONFIG: &str = r#"
[audit]
name = "test"
window = { start = "2026-07-01", end = "2026-10-01" }

[[source]]
kind = "github"
name = "github-acme"
org = "acme"
exclude = ["sandbox"]

[scope]
production_environments = ["production", "prod-*"]
"#;

fn t(text: &str) -> Timestamp {
    chrono::DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&chrono::Utc)
}

fn config() -> Config {
    Config::parse(CONFIG, Path::new("test.toml"), PathBuf::from(".")).unwrap()
}

fn window() -> Window {
    Window {
        start: t("2026-07-01T00:00:00Z"),
        end: t("2026-10-01T00:00:00Z"),
    }
}

fn change(repo: &str, number: u64, author: &str, merged_at: &str) -> ChangeRow {
    ChangeRow {
        source: "github-acme".into(),
        repo: repo.into(),
        number,
        title: format!("change {number}").into(),
        url: String::new().into(),
        author: author.into(),
        authors: vec![author.into()].into(),
        base_branch: "main".into(),
        merged_at: t(merged_at),
        merged_by: author.into(),
        merge_commit_sha: String::new().into(),
        head_sha: String::new().into(),
        approvers: vec![].into(),
        independent_approvers: vec![].into(),
        approval_on_head: false,
        check_state: "success".into(),
        required_checks: vec![].into(),
        labels: vec![].into(),
        emergency: false,
        judged_by_cm09: false,
        retro_approvers: vec![].into(),
        retro_review_at: None,
        retro_review_due: None,
    }
}

fn commit(repo: &str, sha: &str, author: &str, at: &str) -> CommitRow {
    CommitRow {
        source: "github-acme".into(),
        repo: repo.into(),
        branch: "main".into(),
        sha: sha.into(),
        message_headline: String::new().into(),
        author: author.into(),
        committer: author.into(),
        committed_at: t(at),
        url: String::new().into(),
        change: None,
    }
}

fn control(id: &str, population: u64) -> ControlResult {
    ControlResult {
        id: id.into(),
        title: id.into(),
        tsc: vec![],
        result: ResultKind::Effective,
        population,
        tested: population,
        exceptions: 0,
        waived: 0,
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
        summary: String::new(),
        url: String::new(),
        evidence: vec![],
        status: ExceptionStatus::Open,
        waiver: None,
        detail: Default::default(),
    }
}

fn waived(mut e: Exception) -> Exception {
    e.status = ExceptionStatus::Waived;
    e.waiver = Some(Box::new(WaiverRef {
        reason: "accepted".into(),
        approved_by: "cfo".into(),
        approved_at: "2026-09-01".into(),
        expires: None,
        location: None,
    }));
    e
}

fn evaluation(
    controls: Vec<ControlResult>,
    exceptions: Vec<Exception>,
    changes: Vec<ChangeRow>,
    commits: Vec<CommitRow>,
) -> Evaluation {
    Evaluation {
        changes,
        commits,
        ..Evaluation::from_findings(Findings {
            schema: FINDINGS_SCHEMA.into(),
            window: window(),
            complete: true,
            missing: vec![],
            controls,
            exceptions,
            waivers: None,
        })
    }
}

/// A deployment whose statuses are `(state, time)` pairs, oldest first.
fn deployment(
    repo: &str,
    id: &str,
    env: &str,
    created: &str,
    statuses: &[(&str, &str)],
) -> Deployment {
    let bot = Actor {
        login: "deployer".into(),
        kind: ActorKind::User,
    };
    Deployment {
        source: "github-acme".into(),
        repo: repo.into(),
        id: id.into(),
        environment: env.into(),
        sha: "abc".into(),
        ref_name: "main".into(),
        created_at: t(created),
        creator: Some(bot.clone()),
        statuses: statuses
            .iter()
            .map(|(state, at)| DeploymentStatus {
                state: (*state).into(),
                created_at: t(at),
                creator: Some(bot.clone()),
                log_url: None,
            })
            .collect(),
        workflow_run_id: None,
        approvals: vec![],
        url: String::new().into(),
        evidence: vec![],
    }
}

/// (environment, deployment, failed_at, recovered_by, seconds)
type RecoveryView<'a> = (&'a str, &'a str, &'a str, Option<&'a str>, Option<i64>);

fn run(evidence: &Evidence, evaluation: &Evaluation) -> Aggregates {
    aggregate(evidence, &config(), evaluation).unwrap()
}

fn rate<'a>(
    a: &'a Aggregates,
    dimension: Dimension,
    key: &str,
    subject_type: &str,
) -> &'a ExceptionRate {
    a.exception_rates
        .iter()
        .find(|r| r.dimension == dimension && r.key == key && r.subject_type == subject_type)
        .unwrap_or_else(|| panic!("no {dimension:?} row {key}/{subject_type}"))
}

/// (records, records_with_exceptions, exceptions, open, waived, rate)
fn counts(r: &ExceptionRate) -> (Option<u64>, u64, u64, u64, u64, Option<f64>) {
    (
        r.records,
        r.records_with_exceptions,
        r.exceptions,
        r.open,
        r.waived,
        r.rate,
    )
}

fn rates_fixture() -> Evaluation {
    evaluation(
        vec![
            control("CM-01", 3),
            control("CM-05", 2),
            control("CM-09", 0),
        ],
        vec![
            exception("CM-01", "acme/api", SubjectType::Change, "1", "no_approval"),
            waived(exception(
                "CM-03",
                "acme/api",
                SubjectType::Change,
                "1",
                "checks_failed",
            )),
            exception(
                "CM-01",
                "acme/api",
                SubjectType::Change,
                "3",
                "self_approval",
            ),
            // Commit subjects match case-insensitively.
            exception(
                "CM-05",
                "acme/web",
                SubjectType::Commit,
                "ABCDEF",
                "direct_push",
            ),
            exception(
                "AC-01",
                "acme",
                SubjectType::Account,
                "mallory",
                "mfa_disabled",
            ),
        ],
        vec![
            change("acme/api", 1, "alice", "2026-07-02T10:00:00Z"),
            change("acme/api", 2, "bob", "2026-07-31T23:59:59Z"),
            change("acme/api", 3, "alice", "2026-09-30T12:00:00Z"),
        ],
        vec![
            commit("acme/web", "abcdef", "carol", "2026-07-15T00:00:00Z"),
            commit("acme/web", "123456", "alice", "2026-09-01T00:00:00Z"),
        ],
    )
}

#[test]
fn exception_rates_per_control_use_the_population_and_leave_zero_denominators_empty() {
    let a = run(&Evidence::default(), &rates_fixture());
    // CM-01: changes 1 and 3 of 3.
    assert_eq!(
        counts(rate(&a, Dimension::Control, "CM-01", "all")),
        (Some(3), 2, 2, 2, 0, Some(0.6667))
    );
    assert_eq!(
        counts(rate(&a, Dimension::Control, "CM-05", "all")),
        (Some(2), 1, 1, 1, 0, Some(0.5))
    );
    // An empty population: no rate rather than 0 or NaN.
    assert_eq!(
        counts(rate(&a, Dimension::Control, "CM-09", "all")),
        (Some(0), 0, 0, 0, 0, None)
    );
    // Only controls of the findings are listed (CM-03 and AC-01 are not in this one).
    assert!(
        !a.exception_rates
            .iter()
            .any(|r| r.dimension == Dimension::Control && r.key == "CM-03")
    );
}

#[test]
fn exception_rates_per_repository_month_and_person() {
    let a = run(&Evidence::default(), &rates_fixture());
    // acme/api: 3 changes, 2 with exceptions (change 1 twice, one of them waived).
    assert_eq!(
        counts(rate(&a, Dimension::Repository, "acme/api", "change")),
        (Some(3), 2, 3, 2, 1, Some(0.6667))
    );
    assert_eq!(
        counts(rate(&a, Dimension::Repository, "acme/web", "commit")),
        (Some(2), 1, 1, 1, 0, Some(0.5))
    );
    // Accounts have no record population here: counts without a rate.
    assert_eq!(
        counts(rate(&a, Dimension::Repository, "acme", "account")),
        (None, 1, 1, 1, 0, None)
    );

    // Months: every month of the window for every record type, even empty ones.
    let months: Vec<(&str, &str)> = a
        .exception_rates
        .iter()
        .filter(|r| r.dimension == Dimension::Month)
        .map(|r| (r.key.as_str(), r.subject_type.as_str()))
        .collect();
    assert_eq!(months.len(), 9, "{months:?}");
    assert_eq!(
        counts(rate(&a, Dimension::Month, "2026-07", "change")),
        (Some(2), 1, 2, 1, 1, Some(0.5))
    );
    // No change merged in August: zero records and no rate.
    assert_eq!(
        counts(rate(&a, Dimension::Month, "2026-08", "change")),
        (Some(0), 0, 0, 0, 0, None)
    );
    assert_eq!(
        counts(rate(&a, Dimension::Month, "2026-09", "change")),
        (Some(1), 1, 1, 1, 0, Some(1.0))
    );
    assert_eq!(
        counts(rate(&a, Dimension::Month, "2026-07", "deployment")),
        (Some(0), 0, 0, 0, 0, None)
    );

    // People: alice authored changes 1 and 3 and commit 123456.
    assert_eq!(
        counts(rate(&a, Dimension::Person, "alice", "change")),
        (Some(2), 2, 3, 2, 1, Some(1.0))
    );
    assert_eq!(
        counts(rate(&a, Dimension::Person, "alice", "commit")),
        (Some(1), 0, 0, 0, 0, Some(0.0))
    );
    assert_eq!(
        counts(rate(&a, Dimension::Person, "bob", "change")),
        (Some(1), 0, 0, 0, 0, Some(0.0))
    );
    assert_eq!(
        counts(rate(&a, Dimension::Person, "carol", "commit")),
        (Some(1), 1, 1, 1, 0, Some(1.0))
    );

    // Sorted by (dimension, key, subject type).
    let keys: Vec<_> = a
        .exception_rates
        .iter()
        .map(|r| (r.dimension, r.key.clone(), r.subject_type.clone()))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
}

#[test]
fn deployment_frequency_counts_production_deployments_inside_the_window_per_week_and_month() {
    let mut evidence = Evidence::default();
    fn ok(at: &str) -> [(&str, &str); 3] {
        [
            ("in_progress", at),
            ("success", at),
            ("inactive", "2026-09-30T00:00:00Z"),
        ]
    }
    evidence.deployments = vec![
        // Wednesday 1 July: the week of Monday 29 June.
        deployment(
            "acme/api",
            "1",
            "production",
            "2026-07-01T09:00:00Z",
            &ok("2026-07-01T09:05:00Z"),
        ),
        deployment(
            "acme/api",
            "2",
            "prod-eu",
            "2026-07-05T23:00:00Z",
            &[("failure", "2026-07-05T23:10:00Z")],
        ),
        // Monday 6 July: the next week.
        deployment(
            "acme/api",
            "3",
            "production",
            "2026-07-06T00:00:00Z",
            &[
                ("error", "2026-07-06T00:01:00Z"),
                ("success", "2026-07-06T00:30:00Z"),
            ],
        ),
        // No outcome yet.
        deployment(
            "acme/api",
            "4",
            "production",
            "2026-09-30T23:59:59Z",
            &[("queued", "2026-09-30T23:59:59Z")],
        ),
        // The same record twice counts once.
        deployment("acme/api", "4", "production", "2026-09-30T23:59:59Z", &[]),
        // Not production, outside the window, or an excluded repository.
        deployment("acme/api", "5", "staging", "2026-07-02T00:00:00Z", &[]),
        deployment("acme/api", "6", "production", "2026-06-30T23:59:59Z", &[]),
        deployment("acme/api", "7", "production", "2026-10-01T00:00:00Z", &[]),
        deployment(
            "acme/sandbox",
            "8",
            "production",
            "2026-07-02T00:00:00Z",
            &[],
        ),
        deployment(
            "acme/web",
            "9",
            "production",
            "2026-08-15T12:00:00Z",
            &ok("2026-08-15T12:01:00Z"),
        ),
    ];
    let a = run(&evidence, &evaluation(vec![], vec![], vec![], vec![]));
    let rows: Vec<(&str, &str, &str, u64, u64, u64)> = a
        .deployment_frequency
        .iter()
        .filter(|r| r.deployments > 0)
        .map(|r| {
            (
                r.repo.as_str(),
                r.period.as_str(),
                r.period_start.as_str(),
                r.deployments,
                r.succeeded,
                r.failed,
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("acme/api", "month", "2026-07-01", 3, 2, 1),
            ("acme/api", "month", "2026-09-01", 1, 0, 0),
            ("acme/api", "week", "2026-06-29", 2, 1, 1),
            ("acme/api", "week", "2026-07-06", 1, 1, 0),
            ("acme/api", "week", "2026-09-28", 1, 0, 0),
            ("acme/web", "month", "2026-08-01", 1, 1, 0),
            ("acme/web", "week", "2026-08-10", 1, 1, 0),
        ]
    );
    // Zero-filled: 3 months and 14 weeks (29 June .. 28 September) per deploying repo.
    for repo in ["acme/api", "acme/web"] {
        let of = |period: &str| {
            a.deployment_frequency
                .iter()
                .filter(|r| r.repo == repo && r.period == period)
                .count()
        };
        assert_eq!((of("month"), of("week")), (3, 14), "{repo}");
    }
    assert!(
        a.deployment_frequency
            .iter()
            .all(|r| r.repo != "acme/sandbox")
    );
    // A deployment is a record of the exception-rate tables, its creator the person.
    assert_eq!(
        counts(rate(&a, Dimension::Person, "deployer", "deployment")),
        (Some(5), 0, 0, 0, 0, Some(0.0))
    );
}

#[test]
fn time_to_recover_per_failure_and_per_repository() {
    let mut evidence = Evidence::default();
    let failed =
        |id: &str, at: &str| deployment("acme/api", id, "production", at, &[("failure", at)]);
    let succeeded =
        |id: &str, at: &str| deployment("acme/api", id, "production", at, &[("success", at)]);
    evidence.deployments = vec![
        // A success before any failure recovers nothing.
        succeeded("10", "2026-07-01T08:00:00Z"),
        // Two failures recovered by the same success: 3600 s and 600 s.
        failed("11", "2026-07-02T10:00:00Z"),
        failed("12", "2026-07-02T10:50:00Z"),
        // A success in another environment does not recover production.
        deployment(
            "acme/api",
            "13",
            "prod-eu",
            "2026-07-02T10:55:00Z",
            &[("success", "2026-07-02T10:55:00Z")],
        ),
        succeeded("14", "2026-07-02T11:00:00Z"),
        // A tie: a success at the very second of the failure recovers it in 0 s.
        failed("15", "2026-08-01T00:00:00Z"),
        succeeded("16", "2026-08-01T00:00:00Z"),
        // 7200 s, recovered by a deployment after the window.
        failed("17", "2026-09-30T23:00:00Z"),
        succeeded("18", "2026-10-01T01:00:00Z"),
        // A failure before the window is not counted; one in prod-eu never recovers.
        failed("19", "2026-06-30T00:00:00Z"),
        deployment(
            "acme/api",
            "20",
            "prod-eu",
            "2026-09-01T00:00:00Z",
            &[("error", "2026-09-01T00:05:00Z")],
        ),
        // A repository that deployed and never failed.
        deployment(
            "acme/web",
            "30",
            "production",
            "2026-07-10T00:00:00Z",
            &[("success", "2026-07-10T00:01:00Z")],
        ),
    ];
    // The recoveries are OP-03's: the evaluation runs over the same evidence.
    let mut kit = crate::evaluate::testkit::Kit::new();
    kit.config = config();
    kit.evidence.deployments = evidence.deployments.clone();
    let evaluated = kit.run().0;
    let a = run(&kit.evidence, &evaluated);
    let rows: Vec<RecoveryView<'_>> = a
        .recoveries
        .iter()
        .map(|r| {
            (
                r.environment.as_str(),
                r.deployment.as_str(),
                r.failed_at.as_str(),
                r.recovered_by.as_deref(),
                r.seconds,
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("prod-eu", "20", "2026-09-01T00:05:00Z", None, None),
            (
                "production",
                "11",
                "2026-07-02T10:00:00Z",
                Some("14"),
                Some(3600)
            ),
            (
                "production",
                "12",
                "2026-07-02T10:50:00Z",
                Some("14"),
                Some(600)
            ),
            (
                "production",
                "15",
                "2026-08-01T00:00:00Z",
                Some("16"),
                Some(0)
            ),
            (
                "production",
                "17",
                "2026-09-30T23:00:00Z",
                Some("18"),
                Some(7200)
            ),
        ]
    );
    assert_eq!(
        a.recoveries[1].recovered_at.as_deref(),
        Some("2026-07-02T11:00:00Z")
    );
    // Durations 0, 600, 3600, 7200: median (600 + 3600) / 2; p90 at rank 0.9 × 3 = 2.7,
    // 3600 + 0.7 × (7200 − 3600).
    assert_eq!(
        a.recovery_by_repo,
        [
            RecoverySummary {
                repo: "acme/api".into(),
                failures: 5,
                recovered: 4,
                unrecovered: 1,
                median_seconds: Some(2100.0),
                p90_seconds: Some(6120.0),
            },
            RecoverySummary {
                repo: "acme/web".into(),
                failures: 0,
                recovered: 0,
                unrecovered: 0,
                median_seconds: None,
                p90_seconds: None,
            },
        ]
    );
}

#[test]
fn a_failure_never_recovered_has_no_duration_and_no_statistics() {
    let evidence = Evidence {
        deployments: vec![deployment(
            "acme/api",
            "1",
            "production",
            "2026-07-01T00:00:00Z",
            &[
                ("success", "2026-07-01T00:01:00Z"),
                ("failure", "2026-07-01T00:02:00Z"),
            ],
        )],
        ..Evidence::default()
    };
    let a = run(&evidence, &evaluation(vec![], vec![], vec![], vec![]));
    // The last terminal status decides: this deployment failed, and nothing followed.
    assert_eq!(a.recoveries.len(), 1);
    assert_eq!(
        (
            a.recoveries[0].recovered_by.as_ref(),
            a.recoveries[0].seconds
        ),
        (None, None)
    );
    let s = &a.recovery_by_repo[0];
    assert_eq!(
        (
            s.failures,
            s.recovered,
            s.unrecovered,
            s.median_seconds,
            s.p90_seconds
        ),
        (1, 0, 1, None, None)
    );
}

#[test]
fn nothing_to_aggregate_gives_empty_tables_and_a_zero_filled_month_grid() {
    let a = run(
        &Evidence::default(),
        &evaluation(vec![], vec![], vec![], vec![]),
    );
    assert!(a.deployment_frequency.is_empty());
    assert!(a.recoveries.is_empty());
    assert!(a.recovery_by_repo.is_empty());
    assert_eq!(a.exception_rates.len(), 9);
    assert!(
        a.exception_rates
            .iter()
            .all(|r| r.records == Some(0) && r.rate.is_none())
    );
}

#[test]
fn aggregation_is_deterministic() {
    let mut evidence = Evidence {
        deployments: vec![
            deployment(
                "acme/b",
                "1",
                "production",
                "2026-07-01T00:00:00Z",
                &[("failure", "2026-07-01T00:00:00Z")],
            ),
            deployment(
                "acme/a",
                "2",
                "production",
                "2026-07-01T00:00:00Z",
                &[("failure", "2026-07-01T00:00:00Z")],
            ),
            deployment(
                "acme/a",
                "3",
                "production",
                "2026-07-01T00:00:00Z",
                &[("failure", "2026-07-01T00:00:00Z")],
            ),
        ],
        ..Evidence::default()
    };
    let first = run(&evidence, &rates_fixture());
    evidence.deployments.reverse();
    let second = run(&evidence, &rates_fixture());
    assert_eq!(first, second);
    let ids: Vec<_> = first
        .recoveries
        .iter()
        .map(|r| r.deployment.as_str())
        .collect();
    assert_eq!(ids, ["2", "3", "1"]);
}
