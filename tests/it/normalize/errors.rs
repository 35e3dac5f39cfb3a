//! Bad input: damaged bodies, undocumented shapes, failed calls. Normalization reports
//! them precisely and never panics.

use changeproof::locker::LockerError;
use changeproof::normalize::NormalizeError;
use proptest::prelude::*;
use serde_json::{Value, json};

use super::{TestLocker, example, graphql_fixture};

#[test]
fn a_truncated_body_is_an_error_naming_the_raw_file() {
    let mut t = TestLocker::new();
    let text = example("GET_repos_owner_repo_deployments__default.json").to_string();
    let sha = t.get(
        "/repos/acme/api/deployments?per_page=100",
        200,
        &text.as_bytes()[..200],
    );
    let err = t.normalize().unwrap_err();
    let message = err.to_string();
    assert!(
        matches!(err, NormalizeError::Locker(LockerError::Parse { .. })),
        "{err:?}"
    );
    assert!(
        message.contains(&format!("raw/{}/{sha}", &sha[..2])),
        "{message}"
    );
    assert!(message.contains("truncated or damaged"), "{message}");
}

#[test]
fn a_wrong_type_names_the_call_and_the_field_path() {
    let mut body = example("GET_repos_owner_repo_deployments__default.json");
    let first = body[0].clone();
    let list = body.as_array_mut().unwrap();
    for id in 2..=4 {
        let mut d = first.clone();
        d["id"] = json!(id);
        list.push(d);
    }
    body[3]["creator"]["login"] = json!(5);
    let mut t = TestLocker::new();
    let sha = t.get_json("/repos/acme/api/deployments?per_page=100", &body);
    match t.normalize().unwrap_err() {
        NormalizeError::Shape {
            call,
            sha256,
            message,
        } => {
            assert_eq!(call, "GET /repos/acme/api/deployments");
            assert_eq!(sha256, sha);
            assert!(
                message
                    .starts_with("[3].creator.login: invalid type: integer `5`, expected a string"),
                "{message}"
            );
        }
        other => panic!("expected a shape error, got {other:?}"),
    }
}

#[test]
fn a_missing_graphql_field_names_its_path() {
    let mut page: Value =
        serde_json::from_slice(&graphql_fixture("merged_pull_requests_page1.json")).unwrap();
    page["data"]["search"]["nodes"][1]["reviews"]["nodes"][0]["state"] = json!("APPROVED_MAYBE");
    let mut t = TestLocker::new();
    t.graphql(
        "MergedPullRequests",
        json!({"q": "repo:acme/api is:pr is:merged", "cursor": null}),
        200,
        page.to_string().as_bytes(),
    );
    let err = t.normalize().unwrap_err().to_string();
    assert!(
        err.starts_with("POST /graphql MergedPullRequests (response "),
        "{err}"
    );
    assert!(
        err.contains(
            "data.search.nodes[1].reviews.nodes[0].state: unknown variant `APPROVED_MAYBE`"
        ),
        "{err}"
    );
}

#[test]
fn forbidden_and_missing_calls_are_gaps_with_githubs_message() {
    let mut t = TestLocker::new();
    t.get(
        "/repos/acme/api/deployments?per_page=100",
        403,
        br#"{"message":"Resource not accessible by integration","documentation_url":"https://docs.github.com/rest/deployments/deployments#list-deployments","status":"403"}"#,
    );
    t.get(
        "/repos/acme/api/branches/main/protection",
        404,
        br#"{"message":"Not Found","documentation_url":"https://docs.github.com/rest","status":"404"}"#,
    );
    t.get("/orgs/acme/audit-log?per_page=100", 500, b"");
    let ev = t.normalize().unwrap();
    assert!(ev.deployments.is_empty() && ev.branch_protections.is_empty());
    assert!(ev.queries.is_empty(), "failed calls prove no population");
    let gaps: Vec<_> = ev
        .gaps
        .iter()
        .map(|g| (g.evidence_type.as_str(), g.repo.as_deref(), g.status))
        .collect();
    assert_eq!(
        gaps,
        vec![
            ("audit_log", None, Some(500)),
            ("branch_protection", Some("acme/api"), Some(404)),
            ("deployments", Some("acme/api"), Some(403)),
        ]
    );
    assert_eq!(
        ev.gaps[2].reason,
        "GET /repos/acme/api/deployments?per_page=100 returned HTTP 403: Resource not accessible by integration"
    );
    assert!(
        ev.gaps[0].reason.contains("empty response body"),
        "{}",
        ev.gaps[0].reason
    );
}

#[test]
fn a_failed_call_retried_successfully_is_no_gap() {
    let mut t = TestLocker::new();
    t.get("/repos/acme/api/keys?per_page=100", 502, b"bad gateway");
    let ok = t.get_json(
        "/repos/acme/api/keys?per_page=100",
        &example("GET_repos_owner_repo_keys__default.json"),
    );
    // A later failure of the same call does not undo the success either.
    t.get("/repos/acme/api/keys?per_page=100", 502, b"bad gateway");
    let ev = t.normalize().unwrap();
    assert!(ev.gaps.is_empty(), "{:?}", ev.gaps);
    assert_eq!(ev.access.deploy_keys.len(), 1);
    assert_eq!(ev.queries[0].responses, vec![ok]);
}

#[test]
fn unknown_calls_are_ignored() {
    let mut t = TestLocker::new();
    t.get("/repos/acme/api/pulls/1/reviews?per_page=100", 200, b"[]");
    t.get("/rate_limit", 200, b"{}");
    let ev = t.normalize().unwrap();
    assert!(ev.queries.is_empty() && ev.gaps.is_empty());
}

#[test]
fn a_record_of_an_unknown_source_is_an_error() {
    let mut t = TestLocker::new();
    t.get("/orgs/acme/repos", 200, b"[]");
    let root = t.root();
    let log = root.join("requests.ndjson");
    let text = std::fs::read_to_string(&log).unwrap();
    std::fs::write(&log, text.replace("github-acme", "github-other")).unwrap();
    let err = t.normalize().unwrap_err().to_string();
    assert!(err.contains("record 1"), "{err}");
    assert!(err.contains("`github-other` is not listed"), "{err}");
}

#[test]
fn a_graphql_record_without_its_request_body_is_an_error() {
    let mut t = TestLocker::new();
    let url = format!("{}/graphql", t.api_url);
    t.record("POST", &url, None, 200, br#"{"data":{}}"#);
    let err = t.normalize().unwrap_err().to_string();
    assert!(err.contains("without its stored request body"), "{err}");
}

#[test]
fn graphql_variables_missing_from_the_request_body_are_named() {
    let mut t = TestLocker::new();
    t.graphql(
        "BranchHistory",
        json!({"owner": "acme", "name": "api"}),
        200,
        &graphql_fixture("branch_history_main.json"),
    );
    let err = t.normalize().unwrap_err().to_string();
    assert!(err.starts_with("POST /graphql (request body)"), "{err}");
    assert!(err.contains("variables: missing field `ref`"), "{err}");
}

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "[a-z_@]{0,8}".prop_map(Value::from),
        Just(Value::from("2026-07-01T00:00:00Z")),
        Just(Value::from("PullRequest")),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        let keys = prop_oneof![
            Just("id".to_string()),
            Just("login".to_string()),
            Just("creator".to_string()),
            Just("data".to_string()),
            Just("search".to_string()),
            Just("nodes".to_string()),
            Just("__typename".to_string()),
            Just("errors".to_string()),
            Just("created_at".to_string()),
            "[a-z]{1,6}",
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((keys, inner), 0..6)
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}

/// One locker per call, so that an error on one call does not hide the others.
fn normalize_each(body: &[u8], status: u16) -> Vec<Result<(), String>> {
    let calls: [&dyn Fn(&mut TestLocker); 6] = [
        &|t| {
            t.get("/repos/acme/api/deployments?per_page=100", status, body);
        },
        &|t| {
            t.get("/repos/acme/api/branches/main/protection", status, body);
        },
        &|t| {
            t.get(
                "/repos/acme/api/rules/branches/main?per_page=100",
                status,
                body,
            );
        },
        &|t| {
            t.get("/orgs/acme/audit-log?per_page=100", status, body);
        },
        &|t| {
            t.graphql(
                "MergedPullRequests",
                json!({"q": "repo:acme/api is:pr is:merged", "cursor": null}),
                status,
                body,
            );
        },
        &|t| {
            t.graphql(
                "BranchHistory",
                json!({"owner": "acme", "name": "api", "ref": "refs/heads/main",
                       "since": "2026-07-01T00:00:00Z", "until": "2026-10-01T00:00:00Z"}),
                status,
                body,
            );
        },
    ];
    calls
        .iter()
        .map(|record| {
            let mut t = TestLocker::new();
            record(&mut t);
            t.normalize().map(|_| ()).map_err(|e| e.to_string())
        })
        .collect()
}

/// Every JSON pointer inside `value`.
fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
    match value {
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                pointers(item, format!("{at}/{i}"), out);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                pointers(v, format!("{at}/{k}"), out);
            }
        }
        _ => {}
    }
    out.push(at);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..256),
                                   status in prop_oneof![Just(200u16), Just(403u16), Just(404u16)]) {
        let _ = normalize_each(&body, status);
    }

    #[test]
    fn arbitrary_json_never_panics(value in arbitrary_json(), wrap in 0..4usize) {
        // Wrapped so that the values reach past the outer layers of each shape.
        let body = match wrap {
            0 => value,
            1 => json!([value]),
            2 => json!({"data": {"search": {"issueCount": 1, "nodes": [value]}}}),
            _ => json!({"data": {"repository": {"nameWithOwner": "acme/api", "ref": value}}}),
        };
        for result in normalize_each(body.to_string().as_bytes(), 200) {
            if let Err(message) = result {
                // Every failure names what was wrong.
                prop_assert!(!message.is_empty());
            }
        }
    }

    #[test]
    fn a_realistic_page_with_any_value_replaced_never_panics(
        replacement in arbitrary_json(),
        at in any::<prop::sample::Index>(),
    ) {
        let mut page: Value =
            serde_json::from_slice(&graphql_fixture("merged_pull_requests_page1.json")).unwrap();
        let mut all = Vec::new();
        pointers(&page, String::new(), &mut all);
        let pointer = all[at.index(all.len())].clone();
        match page.pointer_mut(&pointer) {
            Some(slot) => *slot = replacement,
            None => page = replacement,
        }
        let mut t = TestLocker::new();
        t.graphql(
            "MergedPullRequests",
            json!({"q": "repo:acme/api is:pr is:merged", "cursor": null}),
            200,
            page.to_string().as_bytes(),
        );
        if let Err(e) = t.normalize() {
            let message = e.to_string();
            prop_assert!(message.starts_with("POST /graphql MergedPullRequests"), "{}", message);
        }
    }
}
