//! Every REST call the normalizer reads, answered with GitHub's official example body.

use changeproof::model::{ActorKind, Evidence, PopulationQuery};
use serde_json::json;

use super::{SOURCE, TestLocker, evidence, example};

fn query<'a>(evidence: &'a Evidence, endpoint: &str, parameters: &str) -> &'a PopulationQuery {
    evidence
        .queries
        .iter()
        .find(|q| q.endpoint == endpoint && q.parameters == parameters)
        .unwrap_or_else(|| panic!("no query {endpoint} {parameters}: {:#?}", evidence.queries))
}

#[test]
fn organisation_repositories() {
    let mut t = TestLocker::new();
    let sha = t.get_json(
        "/orgs/acme/repos?type=all&per_page=100",
        &example("GET_orgs_org_repos__default.json"),
    );
    let ev = t.normalize().unwrap();
    assert_eq!(ev.schema, "changeproof.evidence/v1");
    assert_eq!(ev.snapshot_time.to_rfc3339(), "2026-10-05T09:00:00+00:00");
    assert_eq!(ev.repositories.len(), 1);
    let repo = &ev.repositories[0];
    assert_eq!(repo.source, SOURCE);
    assert_eq!(repo.full_name, "octocat/Hello-World");
    assert_eq!(repo.default_branch, "master");
    assert_eq!(repo.url, "https://github.com/octocat/Hello-World");
    assert!(!repo.archived);
    assert!(repo.production_branches.is_empty());
    assert_eq!(repo.evidence, vec![evidence(&sha, "/0")]);
    let q = query(&ev, "GET /orgs/acme/repos", "type=all&per_page=100");
    assert_eq!(q.evidence_type, "repositories");
    assert_eq!(q.repo, None);
    assert_eq!((q.pages, q.records, q.total_count), (1, 1, None));
    assert_eq!(q.responses, vec![sha]);
    assert!(ev.gaps.is_empty());
}

#[test]
fn classic_branch_protection() {
    let mut t = TestLocker::new();
    let sha = t.get_json(
        "/repos/acme/api/branches/main/protection",
        &example("GET_repos_owner_repo_branches_branch_protection__default.json"),
    );
    let ev = t.normalize().unwrap();
    assert_eq!(ev.branch_protections.len(), 1);
    let p = &ev.branch_protections[0];
    assert_eq!((p.repo.as_str(), p.branch.as_str()), ("acme/api", "main"));
    assert!(p.protected);
    assert!(!p.has_rulesets);
    assert!(p.require_pull_request);
    assert_eq!(p.required_approvals, 2);
    assert!(p.dismiss_stale_reviews);
    assert!(p.require_code_owner_review);
    assert_eq!(p.required_checks, vec!["continuous-integration/travis-ci"]);
    // The example states no `strict`: not required.
    assert!(!p.strict_checks);
    assert!(p.enforce_admins);
    assert!(p.allow_force_pushes);
    assert!(p.bypass_actors.is_empty());
    assert_eq!(p.evidence, vec![evidence(&sha, "")]);
    let q = query(&ev, "GET /repos/acme/api/branches/main/protection", "");
    assert_eq!(q.evidence_type, "branch_protection");
    assert_eq!(q.repo.as_deref(), Some("acme/api"));
    assert_eq!(q.records, 1);
}

#[test]
fn protection_with_checks_and_bypass_allowances_merged_with_rulesets() {
    let mut body = example("GET_repos_owner_repo_branches_branch_protection__default.json");
    body["required_status_checks"]["strict"] = json!(true);
    body["required_status_checks"]["checks"] = json!([{"context": "build", "app_id": 15368}]);
    body["required_pull_request_reviews"]["required_approving_review_count"] = json!(1);
    body["required_pull_request_reviews"]["bypass_pull_request_allowances"] = json!({
        "users": [{"login": "release-captain", "type": "User"}],
        "teams": [{"slug": "sre", "name": "SRE"}],
        "apps": [{"slug": "deploy-bot", "name": "Deploy"}]
    });
    let mut t = TestLocker::new();
    t.get_json("/repos/acme/api/branches/release%2F2.0/protection", &body);
    // The official example rules (commit message / author email patterns) apply too.
    let official = t.get_json(
        "/repos/acme/api/rules/branches/release%2F2.0?per_page=100",
        &example("GET_repos_owner_repo_rules_branches_branch__default.json"),
    );
    let extra = t.get_json(
        "/repos/acme/api/rules/branches/release%2F2.0?per_page=100&page=2",
        &json!([
            {"type": "pull_request", "ruleset_id": 9, "ruleset_source": "acme", "ruleset_source_type": "Organization",
             "parameters": {"required_approving_review_count": 2, "dismiss_stale_reviews_on_push": true,
                            "require_code_owner_review": false, "require_last_push_approval": false,
                            "required_review_thread_resolution": false}},
            {"type": "required_status_checks", "ruleset_id": 9, "ruleset_source": "acme", "ruleset_source_type": "Organization",
             "parameters": {"required_status_checks": [{"context": "security-scan", "integration_id": 1}],
                            "strict_required_status_checks_policy": false}},
            {"type": "non_fast_forward", "ruleset_id": 9, "ruleset_source": "acme", "ruleset_source_type": "Organization"}
        ]),
    );
    let ev = t.normalize().unwrap();
    assert_eq!(ev.branch_protections.len(), 1);
    let p = &ev.branch_protections[0];
    assert_eq!(p.branch, "release/2.0");
    assert!(p.protected && p.has_rulesets);
    assert_eq!(
        p.required_approvals, 2,
        "the stricter of classic (1) and rules (2)"
    );
    assert_eq!(
        p.required_checks,
        vec!["build", "continuous-integration/travis-ci", "security-scan"]
    );
    assert!(p.strict_checks);
    assert!(
        !p.allow_force_pushes,
        "the non_fast_forward rule blocks force pushes"
    );
    assert_eq!(
        p.bypass_actors,
        vec!["app:deploy-bot", "release-captain", "team:sre"]
    );
    assert_eq!(p.evidence.len(), 1 + 2 + 3);
    assert!(p.evidence.contains(&evidence(&official, "/1").into()));
    assert!(p.evidence.contains(&evidence(&extra, "/2").into()));
    let q = query(
        &ev,
        "GET /repos/acme/api/rules/branches/release%2F2.0",
        "per_page=100",
    );
    assert_eq!(q.evidence_type, "rulesets");
    assert_eq!((q.pages, q.records), (2, 5));
}

#[test]
fn branch_not_protected_is_evidence_not_a_gap() {
    let mut t = TestLocker::new();
    let sha = t.get(
        "/repos/acme/api/branches/main/protection",
        404,
        br#"{"message":"Branch not protected","documentation_url":"https://docs.github.com/rest/branches/branch-protection#get-branch-protection","status":"404"}"#,
    );
    t.get_json(
        "/repos/acme/api/rules/branches/main?per_page=100",
        &json!([]),
    );
    let ev = t.normalize().unwrap();
    assert!(ev.gaps.is_empty(), "{:?}", ev.gaps);
    let p = &ev.branch_protections[0];
    assert!(!p.protected && !p.has_rulesets && !p.require_pull_request);
    assert_eq!(p.required_approvals, 0);
    assert!(p.allow_force_pushes);
    assert_eq!(p.evidence, vec![evidence(&sha, "")]);
    let q = query(&ev, "GET /repos/acme/api/branches/main/protection", "");
    assert_eq!((q.pages, q.records), (1, 1));
}

#[test]
fn rule_suites() {
    let mut t = TestLocker::new();
    let sha = t.get_json(
        "/repos/acme/api/rulesets/rule-suites?ref=refs%2Fheads%2Fmain&time_period=month&per_page=100",
        &example("GET_repos_owner_repo_rulesets_rule-suites__default.json"),
    );
    let ev = t.normalize().unwrap();
    assert_eq!(ev.rule_suites.len(), 2);
    let bypass = &ev.rule_suites[0];
    assert_eq!(bypass.id, 21);
    assert_eq!(bypass.repo, "acme/api");
    assert_eq!(bypass.actor.as_deref(), Some("octocat"));
    assert_eq!(bypass.ref_name, "refs/heads/i-see-everything");
    assert_eq!(
        bypass.before_sha,
        "893f768e172fb1bc9c5d6f3dd48557e45f14e01d"
    );
    assert_eq!(bypass.after_sha, "dedd88641a362b6b4ea872da4847d6131a164d01");
    assert_eq!(bypass.pushed_at.to_rfc3339(), "2023-07-06T08:43:03+00:00");
    assert_eq!(bypass.result, "bypass");
    assert_eq!(bypass.evaluation_result, None);
    assert_eq!(bypass.evidence, vec![evidence(&sha, "/0")]);
    assert_eq!(ev.rule_suites[1].id, 25);
    assert_eq!(ev.rule_suites[1].evaluation_result.as_deref(), Some("fail"));
    let q = query(
        &ev,
        "GET /repos/acme/api/rulesets/rule-suites",
        "ref=refs%2Fheads%2Fmain&time_period=month&per_page=100",
    );
    assert_eq!(q.evidence_type, "rule_suites");
    assert_eq!(q.records, 2);
}

#[test]
fn audit_log_events() {
    let mut t = TestLocker::new();
    let sha = t.get_json(
        "/orgs/acme/audit-log?phrase=action%3Aprotected_branch.policy_override&per_page=100",
        &example("GET_orgs_org_audit-log__default.json"),
    );
    let ev = t.normalize().unwrap();
    assert_eq!(ev.audit_events.len(), 3);
    // Sorted by time: the example lists newest first.
    let oldest = &ev.audit_events[0];
    assert_eq!(oldest.action, "repo.destroy");
    assert_eq!(oldest.org, "acme");
    assert_eq!(oldest.actor.as_deref(), Some("monalisa"));
    assert_eq!(oldest.repo.as_deref(), Some("mona-org/mona-test-repo"));
    assert_eq!(oldest.branch, None);
    assert_eq!(oldest.at.to_rfc3339(), "2020-11-18T17:05:48.837+00:00");
    assert_eq!(
        oldest.document_id.as_deref(),
        Some("LwW2vpJZCDS-WUmo9Z-ifw")
    );
    assert_eq!(oldest.evidence, vec![evidence(&sha, "/2")]);
    assert_eq!(ev.audit_events[2].action, "team.add_member");
    let q = query(
        &ev,
        "GET /orgs/acme/audit-log",
        "phrase=action%3Aprotected_branch.policy_override&per_page=100",
    );
    assert_eq!((q.evidence_type.as_str(), q.records), ("audit_log", 3));
}

#[test]
fn audit_log_policy_override_names_the_branch() {
    let mut t = TestLocker::new();
    t.get_json(
        "/orgs/acme/audit-log?phrase=action%3Aprotected_branch.policy_override&per_page=100",
        &json!([{"@timestamp": 1788000000000u64, "_document_id": "d1",
                 "action": "protected_branch.policy_override", "actor": "mallory",
                 "org": "acme", "repo": "acme/api", "branch": "refs/heads/main"},
                {"@timestamp": 1788000001000u64, "action": "protected_branch.policy_override",
                 "actor": "mallory", "repo": "acme/api"}]),
    );
    let ev = t.normalize().unwrap();
    assert_eq!(ev.audit_events.len(), 2);
    assert_eq!(ev.audit_events[0].branch.as_deref(), Some("main"));
    assert_eq!(ev.audit_events[0].at.timestamp_millis(), 1788000000000);
    assert_eq!(ev.audit_events[1].document_id, None);
}

#[test]
fn ruleset_history_and_versions() {
    let mut t = TestLocker::new();
    t.get_json(
        "/repos/acme/api/rulesets/42/history?per_page=100",
        &example("GET_repos_owner_repo_rulesets_ruleset_id_history__default.json"),
    );
    let sha = t.get_json(
        "/repos/acme/api/rulesets/42/history/3",
        &example("GET_repos_owner_repo_rulesets_ruleset_id_history_version_id__default.json"),
    );
    let ev = t.normalize().unwrap();
    assert_eq!(ev.ruleset_versions.len(), 1);
    let v = &ev.ruleset_versions[0];
    assert_eq!(
        (v.repo.as_str(), v.ruleset_id, v.version_id),
        ("acme/api", 42, 3)
    );
    assert_eq!(v.updated_at.to_rfc3339(), "2024-10-23T16:29:47+00:00");
    assert_eq!(v.actor.as_deref(), Some("User 1"));
    assert_eq!(
        (v.name.as_str(), v.enforcement.as_str(), v.target.as_str()),
        ("super cool ruleset", "active", "branch")
    );
    assert_eq!(v.include, ["refs/heads/main", "refs/heads/master"]);
    assert_eq!(v.exclude, ["refs/heads/dev*"]);
    assert_eq!(v.bypass_actors, ["Team 234 (always)"]);
    // The example's only rule is a commit-author pattern: no protection terms.
    assert!(!v.require_pull_request && !v.blocks_force_pushes && v.required_checks.is_empty());
    assert_eq!(v.evidence, vec![evidence(&sha, "")]);
    let q = query(
        &ev,
        "GET /repos/acme/api/rulesets/42/history",
        "per_page=100",
    );
    assert_eq!(
        (q.evidence_type.as_str(), q.records),
        ("ruleset_history", 3)
    );
}

#[test]
fn ruleset_version_rules_become_protection_terms() {
    let mut t = TestLocker::new();
    t.get_json(
        "/repos/acme/api/rulesets/7/history/2",
        &json!({"version_id": 2, "actor": {"id": 9, "type": "User"},
                "updated_at": "2026-08-10T22:04:00Z",
                "state": {"id": 7, "name": "main", "target": "branch", "enforcement": "disabled",
                  "bypass_actors": [{"actor_id": null, "actor_type": "OrganizationAdmin", "bypass_mode": "always"}],
                  "conditions": {"ref_name": {"include": ["~DEFAULT_BRANCH"], "exclude": []}},
                  "rules": [{"type": "non_fast_forward"},
                            {"type": "pull_request", "parameters": {"required_approving_review_count": 2, "dismiss_stale_reviews_on_push": true}},
                            {"type": "required_status_checks", "parameters": {"required_status_checks": [{"context": "ci"}, {"context": "build"}]}}]}}),
    );
    let ev = t.normalize().unwrap();
    let v = &ev.ruleset_versions[0];
    assert_eq!(v.enforcement, "disabled");
    assert!(v.require_pull_request && v.dismiss_stale_reviews && v.blocks_force_pushes);
    assert_eq!(v.required_approvals, 2);
    assert_eq!(v.required_checks, ["build", "ci"]);
    assert_eq!(v.bypass_actors, ["OrganizationAdmin (always)"]);
}

#[test]
fn audit_log_configuration_events_keep_their_fields_and_coverage_is_recorded() {
    let mut t = TestLocker::new();
    let phrase = "phrase=action%3Aprotected_branch%20created%3A%3E%3D2026-06-30&per_page=100";
    t.get_json(
        &format!("/orgs/acme/audit-log?{phrase}"),
        &json!([{"@timestamp": 1788000000000u64, "_document_id": "d1",
                 "action": "protected_branch.update_admin_enforced", "actor": "mallory",
                 "org": "acme", "repo": "acme/api", "name": "main", "admin_enforced": false,
                 "actor_location": {"country_code": "US"}},
                {"@timestamp": 1788000001000u64, "_document_id": "d2",
                 "action": "protected_branch.policy_override", "actor": "mallory",
                 "org": "acme", "repo": "acme/api", "branch": "main"}]),
    );
    t.get_json(
        "/repos/acme/payments/rulesets/rule-suites?ref=refs%2Fheads%2Fmain&time_period=month&per_page=100",
        &json!([]),
    );
    let ev = t.normalize().unwrap();
    let config = &ev.audit_events[0];
    assert_eq!(
        config.fields.get("admin_enforced").map(String::as_str),
        Some("false")
    );
    assert_eq!(config.fields.get("name").map(String::as_str), Some("main"));
    assert!(
        !config.fields.contains_key("actor_location"),
        "only scalar fields"
    );
    // A bypass event is not a configuration change: no fields kept.
    assert!(ev.audit_events[1].fields.is_empty());
    assert_eq!(ev.coverage.len(), 2);
    let audit = ev
        .coverage
        .iter()
        .find(|c| c.evidence_type == "audit_log")
        .unwrap();
    assert_eq!(audit.scope, "acme");
    assert_eq!(
        audit.retention_from.to_rfc3339(),
        "2026-06-30T00:00:00+00:00"
    );
    assert_eq!(
        audit.oldest_record.map(|t| t.timestamp_millis()),
        Some(1788000000000)
    );
    assert_eq!(audit.as_of, ev.snapshot_time);
    let suites = ev
        .coverage
        .iter()
        .find(|c| c.evidence_type == "rule_suites")
        .unwrap();
    assert_eq!(suites.scope, "acme/payments");
    assert_eq!(
        suites.retention_from,
        ev.snapshot_time
            .checked_sub_months(chrono::Months::new(1))
            .unwrap()
    );
    assert_eq!(suites.oldest_record, None);
}

#[test]
fn deployments_with_statuses_and_run_approvals() {
    let mut t = TestLocker::new();
    let deployments = t.get_json(
        "/repos/acme/api/deployments?per_page=100",
        &example("GET_repos_owner_repo_deployments__default.json"),
    );
    // Newest first, as GitHub lists them: a success that names the workflow run, then
    // the official example status (older, no run), on two pages.
    let mut newest =
        example("GET_repos_owner_repo_deployments_deployment_id_statuses__default.json");
    newest[0]["id"] = json!(2);
    newest[0]["created_at"] = json!("2012-07-20T01:25:00Z");
    newest[0]["log_url"] = json!("https://github.com/octocat/example/actions/runs/5555/job/1");
    let page1 = t.get_json(
        "/repos/acme/api/deployments/1/statuses?per_page=100",
        &newest,
    );
    let page2 = t.get_json(
        "/repos/acme/api/deployments/1/statuses?per_page=100&page=2",
        &example("GET_repos_owner_repo_deployments_deployment_id_statuses__default.json"),
    );
    let approvals = t.get_json(
        "/repos/acme/api/actions/runs/5555/approvals",
        &example("GET_repos_owner_repo_actions_runs_run_id_approvals__default.json"),
    );
    let ev = t.normalize().unwrap();
    assert_eq!(ev.deployments.len(), 1);
    let d = &ev.deployments[0];
    assert_eq!((d.repo.as_str(), d.id.as_str()), ("acme/api", "1"));
    assert_eq!(d.environment, "production");
    assert_eq!(d.sha, "a84d88e7554fc1fa21bcbc4efae3c782a70d2b9d");
    assert_eq!(d.ref_name, "topic-branch");
    assert_eq!(d.created_at.to_rfc3339(), "2012-07-20T01:19:13+00:00");
    let creator = d.creator.as_ref().unwrap();
    assert_eq!(
        (creator.login.as_str(), creator.kind),
        ("octocat", ActorKind::User)
    );
    assert_eq!(
        d.url,
        "https://api.github.com/repos/octocat/example/deployments/1"
    );
    assert_eq!(d.statuses.len(), 2);
    assert_eq!(
        d.statuses[0].created_at.to_rfc3339(),
        "2012-07-20T01:19:13+00:00"
    );
    assert_eq!(
        d.statuses[0].log_url.as_deref(),
        Some("https://example.com/deployment/42/output")
    );
    assert_eq!(d.statuses[1].state, "success");
    assert_eq!(d.workflow_run_id, Some(5555));
    assert_eq!(d.approvals.len(), 1);
    let a = &d.approvals[0];
    assert_eq!(
        (a.user.login.as_str(), a.state.as_str()),
        ("octocat", "approved")
    );
    assert_eq!(a.environments, vec!["staging"]);
    assert_eq!(a.comment, "Ship it!");
    assert_eq!(a.evidence, vec![evidence(&approvals, "/0")]);
    assert_eq!(
        d.evidence,
        vec![
            evidence(&deployments, "/0"),
            evidence(&page2, "/0"),
            evidence(&page1, "/0")
        ]
    );
    let q = query(
        &ev,
        "GET /repos/acme/api/deployments/1/statuses",
        "per_page=100",
    );
    assert_eq!(q.evidence_type, "deployment_statuses");
    assert_eq!((q.pages, q.records), (2, 2));
    assert_eq!(q.responses, vec![page1, page2]);
    let q = query(&ev, "GET /repos/acme/api/actions/runs/5555/approvals", "");
    assert_eq!(q.evidence_type, "deployment_approvals");
}

#[test]
fn org_members_owners_and_two_factor() {
    let mut t = TestLocker::new();
    let member = example("GET_orgs_org_members__default.json");
    let mut everyone = member.clone();
    let mut hubot = member[0].clone();
    hubot["login"] = json!("Hubot");
    hubot["type"] = json!("Bot");
    everyone.as_array_mut().unwrap().push(hubot);
    t.get_json("/orgs/acme/members?role=admin&per_page=100", &member);
    t.get_json("/orgs/acme/members?role=all&per_page=100", &everyone);
    t.get_json(
        "/orgs/acme/members?filter=2fa_disabled&per_page=100",
        &member,
    );
    let ev = t.normalize().unwrap();
    let members = &ev.access.org_members;
    assert_eq!(members.len(), 2);
    assert_eq!(members[0].login, "Hubot");
    assert_eq!(members[0].kind, ActorKind::Bot);
    assert_eq!(members[0].role, "member");
    assert_eq!(members[0].two_factor_enabled, Some(true));
    assert_eq!(members[1].login, "octocat");
    assert_eq!(members[1].org, "acme");
    assert_eq!(members[1].role, "admin");
    assert_eq!(members[1].two_factor_enabled, Some(false));
    assert_eq!(members[1].evidence.len(), 3);
    assert_eq!(
        query(
            &ev,
            "GET /orgs/acme/members",
            "filter=2fa_disabled&per_page=100"
        )
        .evidence_type,
        "two_factor"
    );
    assert_eq!(
        query(&ev, "GET /orgs/acme/members", "role=all&per_page=100").records,
        2
    );
}

#[test]
fn two_factor_unknown_when_its_list_failed() {
    let mut t = TestLocker::new();
    t.get_json(
        "/orgs/acme/members?role=all&per_page=100",
        &example("GET_orgs_org_members__default.json"),
    );
    t.get(
        "/orgs/acme/members?filter=2fa_disabled&per_page=100",
        403,
        br#"{"message":"Must have admin rights to Repository.","documentation_url":"https://docs.github.com/rest"}"#,
    );
    t.get_json(
        "/orgs/acme/outside_collaborators?per_page=100",
        &example("GET_orgs_org_outside_collaborators__default.json"),
    );
    let ev = t.normalize().unwrap();
    assert_eq!(ev.access.org_members[0].two_factor_enabled, None);
    assert_eq!(ev.access.org_members[0].role, "member");
    // Never fetched: unknown as well.
    assert_eq!(ev.access.outside_collaborators[0].two_factor_enabled, None);
    assert_eq!(ev.gaps.len(), 1);
    let gap = &ev.gaps[0];
    assert_eq!(gap.evidence_type, "two_factor");
    assert_eq!(gap.status, Some(403));
    assert_eq!(gap.repo, None);
    assert!(
        gap.reason.contains("Must have admin rights"),
        "{}",
        gap.reason
    );
    assert!(
        gap.reason
            .contains("GET /orgs/acme/members?filter=2fa_disabled"),
        "{}",
        gap.reason
    );
}

#[test]
fn outside_collaborators_and_their_two_factor_status() {
    let mut t = TestLocker::new();
    let sha = t.get_json(
        "/orgs/acme/outside_collaborators?per_page=100",
        &example("GET_orgs_org_outside_collaborators__default.json"),
    );
    t.get_json(
        "/orgs/acme/outside_collaborators?filter=2fa_disabled&per_page=100",
        &json!([]),
    );
    let ev = t.normalize().unwrap();
    let o = &ev.access.outside_collaborators;
    assert_eq!(o.len(), 1);
    assert_eq!(
        (o[0].org.as_str(), o[0].login.as_str()),
        ("acme", "octocat")
    );
    assert_eq!(o[0].two_factor_enabled, Some(true));
    assert_eq!(o[0].evidence, vec![evidence(&sha, "/0")]);
    assert!(ev.access.org_members.is_empty());
}

#[test]
fn repository_collaborators() {
    let mut t = TestLocker::new();
    let mut body = example("GET_repos_owner_repo_collaborators__default.json");
    let mut admin = body[0].clone();
    admin["login"] = json!("root");
    admin.as_object_mut().unwrap().remove("role_name");
    admin["permissions"] =
        json!({"admin": true, "maintain": true, "push": true, "triage": true, "pull": true});
    body.as_array_mut().unwrap().push(admin);
    let sha = t.get_json(
        "/repos/acme/api/collaborators?affiliation=direct&per_page=100",
        &body,
    );
    let ev = t.normalize().unwrap();
    let c = &ev.access.repo_collaborators;
    assert_eq!(c.len(), 2);
    assert_eq!(
        (c[0].login.as_str(), c[0].permission.as_str()),
        ("octocat", "write")
    );
    assert_eq!(c[0].repo, "acme/api");
    assert_eq!(c[0].kind, ActorKind::User);
    assert_eq!(c[0].evidence, vec![evidence(&sha, "/0")]);
    assert_eq!(
        (c[1].login.as_str(), c[1].permission.as_str()),
        ("root", "admin")
    );
}

#[test]
fn teams_with_members_and_repositories() {
    let mut t = TestLocker::new();
    let teams = t.get_json(
        "/orgs/acme/teams?per_page=100",
        &example("GET_orgs_org_teams__default.json"),
    );
    t.get_json(
        "/orgs/acme/teams/justice-league/members?per_page=100",
        &example("GET_orgs_org_teams_team_slug_members__default.json"),
    );
    t.get_json(
        "/orgs/acme/teams/justice-league/repos?per_page=100",
        &example("GET_orgs_org_teams_team_slug_repos__default.json"),
    );
    let ev = t.normalize().unwrap();
    assert_eq!(ev.access.teams.len(), 1);
    let team = &ev.access.teams[0];
    assert_eq!(
        (team.org.as_str(), team.slug.as_str()),
        ("acme", "justice-league")
    );
    assert_eq!(team.name, "Justice League");
    assert_eq!(team.members, vec!["octocat"]);
    assert_eq!(team.repos.len(), 1);
    assert_eq!(team.repos[0].repo, "octocat/Hello-World");
    // The example gives permission flags (pull only), no role name.
    assert_eq!(team.repos[0].permission, "read");
    assert_eq!(team.evidence[0], evidence(&teams, "/0"));
    assert_eq!(team.evidence.len(), 3);
}

#[test]
fn deploy_keys() {
    let mut t = TestLocker::new();
    let sha = t.get_json(
        "/repos/acme/api/keys?per_page=100",
        &example("GET_repos_owner_repo_keys__default.json"),
    );
    let ev = t.normalize().unwrap();
    let k = &ev.access.deploy_keys[0];
    assert_eq!(
        (k.repo.as_str(), k.id, k.title.as_str()),
        ("acme/api", 1, "octocat@octomac")
    );
    assert!(k.read_only);
    assert_eq!(k.created_at.to_rfc3339(), "2014-12-10T15:53:42+00:00");
    assert_eq!(
        k.last_used.unwrap().to_rfc3339(),
        "2022-01-10T15:53:42+00:00"
    );
    assert_eq!(k.evidence, vec![evidence(&sha, "/0")]);
}

#[test]
fn repository_and_organisation_secrets() {
    let mut t = TestLocker::new();
    let repo_sha = t.get_json(
        "/repos/acme/api/actions/secrets?per_page=100",
        &example("GET_repos_owner_repo_actions_secrets__default.json"),
    );
    t.get_json(
        "/orgs/acme/actions/secrets?per_page=100",
        &example("GET_orgs_org_actions_secrets__default.json"),
    );
    let ev = t.normalize().unwrap();
    let s = &ev.access.secrets;
    assert_eq!(s.len(), 5);
    let org: Vec<_> = s.iter().filter(|s| s.scope == "org").collect();
    let repo: Vec<_> = s.iter().filter(|s| s.scope == "repo").collect();
    assert_eq!(org.len(), 3);
    assert!(org.iter().all(|s| s.owner == "acme"));
    assert_eq!(repo[0].owner, "acme/api");
    assert_eq!(repo[0].name, "GH_TOKEN");
    assert_eq!(repo[0].created_at.to_rfc3339(), "2019-08-10T14:59:22+00:00");
    assert_eq!(repo[0].updated_at.to_rfc3339(), "2020-01-10T14:59:22+00:00");
    assert_eq!(repo[0].evidence, vec![evidence(&repo_sha, "/secrets/0")]);
    let q = query(&ev, "GET /repos/acme/api/actions/secrets", "per_page=100");
    assert_eq!(
        (q.evidence_type.as_str(), q.records, q.total_count),
        ("secrets", 2, Some(2))
    );
    let q = query(&ev, "GET /orgs/acme/actions/secrets", "per_page=100");
    assert_eq!((q.records, q.total_count), (3, Some(3)));
}
