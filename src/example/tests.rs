//! Tests of the example generator: determinism, the planted cases at every size, the
//! world's consistency with GitHub's own rules, and the shapes of what is written.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::Value;

use super::world::{BypassRecord, CheckCtx, Protection, ReviewState};
use super::*;
use crate::findings::{Exception, SubjectType};
use crate::locker::Locker;

fn config() -> Config {
    example_config().expect("the example config parses")
}

fn world(changes: usize, seed: u64) -> World {
    build_world(ExampleParams { seed, changes }, &config())
}

fn generate(changes: usize, seed: u64) -> (tempfile::TempDir, GroundTruth) {
    let dir = tempfile::tempdir().expect("tempdir");
    let truth = write_example(&dir.path().join("locker"), ExampleParams { seed, changes })
        .expect("the example is written");
    (dir, truth)
}

/// Every file under `root`, relative path → bytes.
fn files(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("readable dir") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(root).expect("under root");
                out.insert(
                    rel.to_string_lossy().into_owned(),
                    std::fs::read(&path).expect("readable file"),
                );
            }
        }
    }
    out
}

#[test]
fn same_params_give_byte_identical_lockers() {
    let (a, truth_a) = generate(60, 7);
    let (b, truth_b) = generate(60, 7);
    let fa = files(&a.path().join("locker"));
    let fb = files(&b.path().join("locker"));
    assert!(fa.len() > 50, "a locker has many files: {}", fa.len());
    assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>());
    for (name, bytes) in &fa {
        assert!(bytes == &fb[name], "{name} differs between two runs");
    }
    assert_eq!(truth_a, truth_b);
    // A different seed gives a different organisation.
    let (c, _) = generate(60, 8);
    let fc = files(&c.path().join("locker"));
    assert_ne!(fa.get("requests.ndjson"), fc.get("requests.ndjson"));
}

#[test]
fn refuses_to_overwrite_a_locker() {
    let (dir, _) = generate(40, 1);
    let err = write_example(
        &dir.path().join("locker"),
        ExampleParams {
            seed: 1,
            changes: 40,
        },
    )
    .expect_err("an existing locker is not overwritten");
    assert!(err.to_string().contains("already holds a locker"), "{err}");
}

#[test]
fn the_example_config_is_the_shipped_one() {
    let c = config();
    assert_eq!(c.controls.min_approvals_for("acme/payments"), 2);
    let w = c.audit.window.window();
    assert_eq!(iso(w.start), "2026-07-01T00:00:00Z");
    assert_eq!(iso(snapshot_time(&w)), "2026-10-05T09:00:00Z");
}

use super::render_graphql::iso;

// ------------------------------------------------------------------ the planted cases

/// (control, kind, repo) of every planted exception the brief asks for, with how many.
const EXPECTED: &[(&str, &str, &str, usize)] = &[
    ("CM-01", "no_approval", "acme/infra", 4),
    ("CM-01", "no_approval", "acme/api", 1),
    ("CM-01", "self_approval", "acme/web", 1),
    ("CM-01", "self_approval", "acme/mobile-app", 1),
    ("CM-01", "insufficient_approvals", "acme/payments", 1),
    ("CM-02", "stale_approval", "acme/web", 2),
    ("CM-03", "checks_failed", "acme/infra", 1),
    ("CM-03", "checks_failed", "acme/payments", 1),
    ("CM-03", "checks_missing", "acme/infra", 1),
    ("CM-03", "checks_missing", "acme/api", 1),
    ("CM-04", "protection_bypassed", "acme/api", 2),
    ("CM-04", "protection_bypassed", "acme/payments", 1),
    ("CM-05", "direct_push", "acme/infra", 2),
    ("CM-05", "direct_push", "acme/api", 1),
    ("AC-01", "mfa_disabled", "acme", 2),
    ("AC-02", "terminated_with_access", "acme", 1),
    ("AC-02", "unmapped_account", "acme", 1),
    ("AC-03", "excess_org_owners", "acme", 1),
    ("AC-03", "outside_collaborator_write", "acme/web", 1),
    ("AC-03", "unapproved_admin", "acme/infra", 1),
    ("AC-04", "write_deploy_key", "acme/payments", 1),
    ("AC-04", "stale_secret", "acme/api", 1),
    ("AC-04", "stale_secret", "acme", 1),
    ("CM-09", "emergency_unreviewed", "acme/infra", 2),
    ("CM-10", "unprotected_branch", "acme/infra", 1),
    ("CM-10", "weak_protection", "acme/api", 3),
    ("CM-10", "weak_protection", "acme/payments", 1),
    ("CM-10", "weak_protection", "acme/web", 1),
    ("CM-10", "protection_weakened_in_window", "acme/web", 1),
    (
        "CM-10",
        "protection_weakened_in_window",
        "acme/mobile-app",
        1,
    ),
    ("OP-04", "coverage_gap", "acme/mobile-app", 1),
    ("OP-04", "coverage_gap", "acme/payments", 1),
    ("CM-06", "untraceable_deployment", "acme/web", 1),
    ("CM-06", "deployed_unapproved_change", "acme/web", 1),
    ("CM-07", "deployment_not_approved", "acme/payments", 1),
    ("CM-08", "deployment_self_approved", "acme/api", 1),
    ("OP-01", "off_hours_deployment", "acme/api", 1),
    ("OP-02", "unknown_deployer", "acme/web", 1),
    ("OP-03", "unrecovered_failure", "acme/api", 1),
];

#[test]
fn every_scenario_is_planted_at_every_size() {
    for (changes, seed) in [(40, 2026), (300, 2026), (60, 3), (120, 99)] {
        let w = world(changes, seed);
        let truth = truth::ground_truth(&w, &config());
        let mut counts: BTreeMap<(String, String, String), usize> = BTreeMap::new();
        for e in &truth.exceptions {
            *counts
                .entry((e.control.clone(), e.kind.clone(), e.repo.clone()))
                .or_default() += 1;
        }
        let expected: BTreeMap<(String, String, String), usize> = EXPECTED
            .iter()
            .map(|(c, k, r, n)| ((c.to_string(), k.to_string(), r.to_string()), *n))
            .collect();
        assert_eq!(counts, expected, "size {changes}, seed {seed}");
        // 15 change and commit cases (one an overflowing PR), 12 access, 4 branch and
        // source, 5 deployment.
        assert_eq!(truth.tricky.len(), 36, "size {changes}: every tricky case");
        // CM-04 is planted once on each basis, and the records GitHub keeps agree.
        let bases: BTreeSet<&str> = w
            .prs
            .iter()
            .filter_map(|p| p.merge.as_ref()?.bypass)
            .map(|b| match b {
                BypassRecord::AuditLog => "audit_log",
                BypassRecord::RuleSuite => "rule_suite",
                BypassRecord::Unrecorded => "inference",
            })
            .collect();
        assert_eq!(bases.len(), 3);
        // Merged PR counts scale with the size asked for.
        let in_window = w
            .prs
            .iter()
            .filter(|p| p.merged_at().is_some_and(|t| w.window.contains(t)))
            .count();
        assert!(
            in_window >= changes && in_window <= changes.max(40) + 2,
            "{in_window} for {changes}"
        );
        // Spread over the quarter: every month holds planted exceptions.
        let months: BTreeSet<u32> = w
            .prs
            .iter()
            .filter(|p| !p.plants.is_empty())
            .filter_map(|p| p.merged_at())
            .map(|t| chrono::Datelike::month(&t))
            .collect();
        assert_eq!(months, [7, 8, 9].into_iter().collect());
    }
}

#[test]
fn ground_truth_ids_are_well_formed_sorted_and_unique() {
    let (_dir, truth) = generate(60, 11);
    assert_eq!(truth.schema, GROUND_TRUTH_SCHEMA);
    let mut seen = BTreeSet::new();
    for e in &truth.exceptions {
        let st = match e.subject_type.as_str() {
            "change" => {
                assert!(e.subject.parse::<u64>().is_ok(), "{}", e.id);
                SubjectType::Change
            }
            "commit" => {
                assert!(e.subject.len() == 40 && e.subject.bytes().all(|b| b.is_ascii_hexdigit()));
                SubjectType::Commit
            }
            "account" => SubjectType::Account,
            "org" => SubjectType::Org,
            "secret" => SubjectType::Secret,
            "deploy_key" => {
                assert!(e.subject.parse::<u64>().is_ok(), "{}", e.id);
                SubjectType::DeployKey
            }
            "branch" => SubjectType::Branch,
            "source" => {
                assert!(["rule_suites", "audit_log"].contains(&e.subject.as_str()));
                SubjectType::Source
            }
            "deployment" => {
                assert!(e.subject.parse::<u64>().is_ok(), "{}", e.id);
                SubjectType::Deployment
            }
            other => panic!("unexpected subject type {other}"),
        };
        assert_eq!(
            e.id,
            Exception::make_id(&e.control, &e.repo, st, &e.subject, &e.kind)
        );
        assert!(!e.why.is_empty());
        assert!(seen.insert(e.id.clone()), "duplicate {}", e.id);
    }
    let ids: Vec<&String> = truth.exceptions.iter().map(|e| &e.id).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted);
    for t in &truth.tricky {
        assert!(!t.why.is_empty());
        assert!(
            t.repo == "acme" || t.repo.starts_with("acme/"),
            "{}",
            t.repo
        );
    }
    // The ground truth round-trips through its JSON form.
    let json = serde_json::to_string(&truth).expect("serializes");
    let back: GroundTruth = serde_json::from_str(&json).expect("deserializes");
    assert_eq!(back, truth);
}

// ------------------------------------------------- an independent oracle over the world

/// The shared semantics (common brief) applied to the planned world: what a correct set
/// of controls must find. Written independently of the planting, it checks that ordinary
/// activity is clean and that every planted case raises exactly what the truth says.
fn oracle(w: &World, config: &Config) -> BTreeSet<String> {
    let bots: Vec<String> = config
        .controls
        .bots
        .iter()
        .map(|b| b.to_ascii_lowercase())
        .collect();
    let is_human = |a: people::Acct| {
        let acct = w.people.get(a);
        acct.kind == people::Kind::User
            && !acct.login.ends_with("[bot]")
            && !bots.contains(&acct.login.to_ascii_lowercase())
    };
    // Emails seen on commit identities that carry a login.
    let mut known_emails: BTreeMap<String, String> = BTreeMap::new();
    let mut known_logins: BTreeSet<String> = BTreeSet::new();
    for p in &w.prs {
        known_logins.insert(w.people.get(p.author).graphql_login.to_ascii_lowercase());
        for c in &p.commits {
            for id in [&c.author, &c.committer] {
                if let Some(l) = &id.login {
                    known_emails.insert(id.email.to_ascii_lowercase(), l.to_ascii_lowercase());
                    known_logins.insert(l.to_ascii_lowercase());
                }
            }
        }
        for r in &p.reviews {
            known_logins.insert(w.people.get(r.author).graphql_login.to_ascii_lowercase());
        }
    }
    let mut ids = BTreeSet::new();
    for p in &w.prs {
        let r = &w.repos[p.repo];
        let Some(m) = p.merge.as_ref() else { continue };
        if !w.window.contains(m.at) || !config.scope.is_production_branch(&p.base, r.default_branch)
        {
            continue;
        }
        let repo = r.full_name();
        let id = |control: &str, kind: &str| {
            Exception::make_id(
                control,
                &repo,
                SubjectType::Change,
                &p.number.to_string(),
                kind,
            )
        };
        let pr_author = w.people.get(p.author).graphql_login.to_ascii_lowercase();
        let mut authors: BTreeSet<String> = BTreeSet::from([pr_author.clone()]);
        for c in &p.commits {
            for gid in [&c.author, &c.committer] {
                let web_flow =
                    gid.login.as_deref() == Some("web-flow") || gid.email == "noreply@github.com";
                if let (Some(l), false) = (&gid.login, web_flow) {
                    authors.insert(l.to_ascii_lowercase());
                }
            }
            for line in c.message.lines() {
                let Some(rest) = line.strip_prefix("Co-authored-by: ") else {
                    continue;
                };
                let (name, email) = match rest.rsplit_once('<') {
                    Some((n, e)) => (n.trim(), e.trim_end_matches('>').to_ascii_lowercase()),
                    None => continue,
                };
                if let Some(local) = email.strip_suffix("@users.noreply.github.com") {
                    let login = local.split_once('+').map_or(local, |(_, l)| l);
                    authors.insert(login.to_string());
                } else if let Some(l) = known_emails.get(&email) {
                    authors.insert(l.clone());
                } else if known_logins.contains(&name.to_ascii_lowercase()) {
                    authors.insert(name.to_ascii_lowercase());
                }
            }
        }
        let approvals: Vec<&world::Review> = p
            .reviews
            .iter()
            .filter(|rv| {
                rv.state == ReviewState::Approved && is_human(rv.author) && rv.submitted_at <= m.at
            })
            .collect();
        let login = |a: people::Acct| w.people.get(a).graphql_login.to_ascii_lowercase();
        let independent: BTreeSet<String> = approvals
            .iter()
            .map(|rv| login(rv.author))
            .filter(|l| !authors.contains(l))
            .collect();
        let min = config.controls.min_approvals_for(&repo) as usize;
        let mut cm01 = false;
        let emergency = p.labels.iter().any(|l| {
            config
                .controls
                .emergency_labels
                .iter()
                .any(|e| e.eq_ignore_ascii_case(l))
        });
        if independent.len() < min && emergency {
            // CM-09 judges it on its retro review instead of CM-01/CM-02.
            cm01 = true;
            let due = m.at + config.controls.emergency_review_within.duration();
            let timely = p.reviews.iter().any(|rv| {
                rv.state == ReviewState::Approved
                    && is_human(rv.author)
                    && !authors.contains(&login(rv.author))
                    && rv.submitted_at > m.at
                    && rv.submitted_at <= due
            });
            if !timely {
                ids.insert(id("CM-09", "emergency_unreviewed"));
            }
        } else if independent.len() < min {
            cm01 = true;
            let kind = if approvals.is_empty() {
                "no_approval"
            } else if independent.is_empty() {
                "self_approval"
            } else {
                "insufficient_approvals"
            };
            ids.insert(id("CM-01", kind));
        }
        if !cm01
            && !approvals.iter().any(|rv| {
                !authors.contains(&login(rv.author)) && rv.commit.as_deref() == Some(p.head_sha())
            })
        {
            ids.insert(id("CM-02", "stale_approval"));
        }
        let protection = r.protection(&p.base);
        let required = protection.required_checks();
        let passing = |c: &str| matches!(c, "SUCCESS" | "NEUTRAL" | "SKIPPED");
        let (mut missing, mut failed) = (false, false);
        match &p.checks {
            None => missing = true,
            Some(checks) => {
                for req in required {
                    let found = checks.contexts.iter().find_map(|c| match c {
                        CheckCtx::Run { name, conclusion } if name == req => Some(*conclusion),
                        CheckCtx::Status { context, state } if context == req => Some(*state),
                        _ => None,
                    });
                    match found {
                        None => missing = true,
                        Some(c) if !passing(c) => failed = true,
                        Some(_) => {}
                    }
                }
                if matches!(checks.rollup, "FAILURE" | "ERROR") {
                    failed = true;
                }
            }
        }
        if missing {
            ids.insert(id("CM-03", "checks_missing"));
        }
        if failed {
            ids.insert(id("CM-03", "checks_failed"));
        }
        let suite = w.rule_suites.iter().any(|s| {
            s.repo == p.repo && s.branch == p.base && s.result == "bypass" && s.after == m.commit
        });
        let audit = w.audit_events.iter().any(|e| {
            e.repo == p.repo && e.branch == p.base && (e.at - m.at).num_seconds().abs() <= 300
        });
        let github_approvals: BTreeSet<String> = approvals
            .iter()
            .map(|rv| login(rv.author))
            .filter(|l| *l != pr_author)
            .collect();
        let unmet = *protection != Protection::None
            && ((github_approvals.len() as u32) < protection.required_approvals()
                || missing_or_failing(p, required));
        if suite || audit || unmet {
            ids.insert(id("CM-04", "protection_bypassed"));
        }
    }
    branch_oracle(w, config, &mut ids);
    // CM-05.
    for (b, branch) in w.branches.iter().enumerate() {
        let r = &w.repos[branch.repo];
        for c in history::visible_commits(&w.branches, b, w.window.start, w.window.end) {
            let covered = c.prs.iter().any(|i| {
                let p = &w.prs[*i];
                p.merge.is_some() && config.scope.is_production_branch(&p.base, r.default_branch)
            });
            if !covered {
                ids.insert(Exception::make_id(
                    "CM-05",
                    &r.full_name(),
                    SubjectType::Commit,
                    &c.commit.sha,
                    "direct_push",
                ));
            }
        }
    }
    ids.extend(super::tests_access::oracle(w, config));
    ids.extend(super::tests_deploy::oracle(w, config));
    ids
}

/// CM-10 and OP-04 from the world's protection plan and configuration history.
fn branch_oracle(w: &World, config: &Config, ids: &mut BTreeSet<String>) {
    for (i, r) in w.repos.iter().enumerate().filter(|(_, r)| r.in_scope) {
        let repo = r.full_name();
        let min = config.controls.min_approvals_for(&repo);
        let id = |branch: &str, kind: &str| {
            Exception::make_id("CM-10", &repo, SubjectType::Branch, branch, kind)
        };
        for branch in &r.production {
            let weak = match r.protection(branch) {
                Protection::None => {
                    ids.insert(id(branch, "unprotected_branch"));
                    false
                }
                Protection::Classic {
                    approvals,
                    dismiss_stale,
                    checks,
                    enforce_admins,
                } => *approvals < min || !dismiss_stale || checks.is_empty() || !enforce_admins,
                Protection::Rulesets {
                    ruleset_id,
                    approvals,
                    dismiss_stale,
                    checks,
                    ..
                } => {
                    let bypass = w
                        .branch_plan
                        .ruleset_versions
                        .iter()
                        .filter(|v| v.ruleset_id == *ruleset_id)
                        .max_by_key(|v| v.version_id)
                        .is_some_and(|v| !v.bypass.is_empty());
                    *approvals < min || !dismiss_stale || checks.is_empty() || bypass
                }
            };
            if weak {
                ids.insert(id(branch, "weak_protection"));
            }
            let event_weakens = w.branch_plan.config_events.iter().any(|e| {
                let field = |k: &str| {
                    e.fields
                        .iter()
                        .find(|(f, _)| *f == k)
                        .map(|(_, v)| v.clone())
                };
                e.repo == i
                    && w.window.contains(e.at)
                    && match e.action {
                        "protected_branch.update_required_status_checks_enforcement_level" => {
                            field("name").is_some_and(|n| n == branch.as_str())
                                && field("required_status_checks_enforcement_level")
                                    .is_some_and(|v| v == "off")
                        }
                        "protected_branch.destroy" => {
                            field("name").is_some_and(|n| n == branch.as_str())
                        }
                        "repository_ruleset.update" => {
                            field("ruleset_enforcement").is_some_and(|v| v != "active")
                        }
                        _ => false,
                    }
            });
            let version_weakens = match r.protection(branch) {
                Protection::Rulesets { ruleset_id, .. } => {
                    let mut versions: Vec<_> = w
                        .branch_plan
                        .ruleset_versions
                        .iter()
                        .filter(|v| v.ruleset_id == *ruleset_id)
                        .collect();
                    versions.sort_by_key(|v| v.version_id);
                    versions.windows(2).any(|pair| {
                        w.window.contains(pair[1].at)
                            && pair[0].enforcement == "active"
                            && (pair[1].enforcement != "active"
                                || pair[1].approvals < pair[0].approvals)
                    })
                }
                _ => false,
            };
            if event_weakens || version_weakens {
                ids.insert(id(branch, "protection_weakened_in_window"));
            }
        }
        // Rule suites are requested for the last month at the snapshot.
        let rulesets = r
            .production
            .iter()
            .any(|b| matches!(r.protection(b), Protection::Rulesets { .. }));
        let month_back = w
            .snapshot
            .checked_sub_months(chrono::Months::new(1))
            .expect("a month back");
        if rulesets && month_back > w.window.start {
            ids.insert(Exception::make_id(
                "OP-04",
                &repo,
                SubjectType::Source,
                "rule_suites",
                "coverage_gap",
            ));
        }
    }
}

fn missing_or_failing(p: &world::Pr, required: &[&str]) -> bool {
    let Some(checks) = &p.checks else {
        return !required.is_empty();
    };
    required.iter().any(|req| {
        !checks.contexts.iter().any(|c| match c {
            CheckCtx::Run { name, conclusion } => {
                name == req && matches!(*conclusion, "SUCCESS" | "NEUTRAL" | "SKIPPED")
            }
            CheckCtx::Status { context, state } => {
                context == req && matches!(*state, "SUCCESS" | "NEUTRAL" | "SKIPPED")
            }
        })
    })
}

#[test]
fn oracle_finds_exactly_the_planted_exceptions() {
    let config = config();
    for (changes, seed) in [
        (40, 2026),
        (60, 1),
        (60, 2),
        (300, 2026),
        (300, 5),
        (800, 17),
    ] {
        let w = world(changes, seed);
        let truth = truth::ground_truth(&w, &config);
        let planted: BTreeSet<String> = truth.exceptions.iter().map(|e| e.id.clone()).collect();
        let found = oracle(&w, &config);
        let extra: Vec<&String> = found.difference(&planted).collect();
        let absent: Vec<&String> = planted.difference(&found).collect();
        assert!(
            extra.is_empty() && absent.is_empty(),
            "size {changes} seed {seed}: unplanted exceptions {extra:?}; planted but not found {absent:?}"
        );
        // Tricky cases raise nothing beyond what the truth lists for them.
        for t in &truth.tricky {
            let prefix = format!("/{}/{}/{}/", t.repo, t.subject_type, t.subject);
            assert!(
                !found
                    .iter()
                    .any(|id| id.contains(&prefix) && !planted.contains(id)),
                "tricky {prefix} is flagged"
            );
        }
    }
}

#[test]
fn the_oracle_notices_a_broken_world() {
    let config = config();
    let mut w = world(60, 1);
    let planted: BTreeSet<String> = truth::ground_truth(&w, &config)
        .exceptions
        .into_iter()
        .map(|e| e.id)
        .collect();
    // An ordinary web change loses its approvals: CM-01 must appear.
    let i = w
        .prs
        .iter()
        .position(|p| {
            !p.planted
                && w.repos[p.repo].name == "web"
                && p.base == "main"
                && p.merged_at().is_some_and(|t| w.window.contains(t))
        })
        .expect("an ordinary web change");
    w.prs[i].reviews.clear();
    let found = oracle(&w, &config);
    let extra: Vec<&String> = found.difference(&planted).collect();
    assert!(
        extra.iter().any(|id| id.ends_with("/no_approval")),
        "{extra:?}"
    );
    assert!(
        extra.iter().any(|id| id.contains("CM-04")),
        "web main requires an approval: {extra:?}"
    );
    // A planted direct push that GitHub associated with a merged change is no exception.
    let mut w = world(60, 1);
    let infra = w
        .repos
        .iter()
        .position(|r| r.name == "infra")
        .expect("infra");
    let b = w
        .branches
        .iter()
        .position(|b| b.repo == infra)
        .expect("master");
    let merged = w
        .prs
        .iter()
        .position(|p| p.repo == infra && p.merge.is_some())
        .expect("a merged infra PR");
    for c in &mut w.branches[b].commits {
        if c.prs.is_empty() {
            c.prs.push(merged);
        }
    }
    let found = oracle(&w, &config);
    assert!(!found.iter().any(|id| id.starts_with("CM-05/acme/infra/")));
}

/// GitHub's own rules hold: on a protected branch, a change that lacks what the
/// protection demands merged only through a bypass, and every bypass had a reason; with
/// dismiss-stale on, no approval of an older commit survives.
#[test]
fn the_world_is_one_github_could_produce() {
    for (changes, seed) in [(40, 2026), (300, 2026), (300, 9)] {
        let w = world(changes, seed);
        for p in &w.prs {
            let Some(m) = p.merge.as_ref() else { continue };
            let r = &w.repos[p.repo];
            let protection = r.protection(&p.base);
            let approvers: BTreeSet<people::Acct> = p
                .reviews
                .iter()
                .filter(|rv| {
                    rv.state == ReviewState::Approved
                        && rv.submitted_at <= m.at
                        && rv.author != p.author
                })
                .map(|rv| rv.author)
                .collect();
            let unmet = *protection != Protection::None
                && ((approvers.len() as u32) < protection.required_approvals()
                    || missing_or_failing(p, protection.required_checks()));
            assert_eq!(
                unmet,
                m.bypass.is_some(),
                "{} #{}: unmet {unmet}, bypass {:?}",
                r.name,
                p.number,
                m.bypass
            );
            if protection.dismisses_stale() {
                for rv in p
                    .reviews
                    .iter()
                    .filter(|rv| rv.state == ReviewState::Approved)
                {
                    assert_eq!(
                        rv.commit.as_deref(),
                        Some(p.head_sha()),
                        "{} #{}: stale approval survived dismissal",
                        r.name,
                        p.number
                    );
                }
            }
            // Times are in order: created, commits, reviews; the PR author never approves.
            for rv in &p.reviews {
                assert!(
                    rv.submitted_at >= p.created_at,
                    "{} #{} review before creation",
                    r.name,
                    p.number
                );
                assert_ne!(rv.author, p.author, "{} #{} self-review", r.name, p.number);
            }
            for c in &p.commits {
                assert!(
                    c.authored <= c.committed && c.committed < m.at,
                    "{} #{} commit times",
                    r.name,
                    p.number
                );
            }
        }
    }
}

// ------------------------------------------------------------ what the locker holds

/// A GraphQL selection set: fields by response key, and inline fragments by type.
#[derive(Debug, Default)]
struct Selection {
    fields: Vec<(String, Option<Selection>)>,
    fragments: Vec<(String, Selection)>,
}

fn tokens(query: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in query.lines() {
        let line = line.split('#').next().unwrap_or("");
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            if c.is_alphanumeric() || c == '_' || c == '$' {
                let mut t = c.to_string();
                while let Some(&n) = chars.peek() {
                    if n.is_alphanumeric() || n == '_' {
                        t.push(n);
                        chars.next();
                    } else {
                        break;
                    }
                }
                out.push(t);
            } else if c == '.' {
                if chars.peek() == Some(&'.') {
                    chars.next();
                    chars.next();
                    out.push("...".into());
                }
            } else if c == '"' {
                for n in chars.by_ref() {
                    if n == '"' {
                        break;
                    }
                }
                out.push("\"\"".into());
            } else if !c.is_whitespace() && c != ',' {
                out.push(c.to_string());
            }
        }
    }
    out
}

fn parse_selection(t: &[String], i: &mut usize) -> Selection {
    assert_eq!(t[*i], "{");
    *i += 1;
    let mut sel = Selection::default();
    while t[*i] != "}" {
        if t[*i] == "..." {
            assert_eq!(t[*i + 1], "on");
            let ty = t[*i + 2].clone();
            *i += 3;
            let inner = parse_selection(t, i);
            sel.fragments.push((ty, inner));
            continue;
        }
        let mut key = t[*i].clone();
        *i += 1;
        if t[*i] == ":" {
            // alias: field
            *i += 2;
        }
        if t[*i] == "(" {
            let mut depth = 0;
            loop {
                if t[*i] == "(" {
                    depth += 1;
                } else if t[*i] == ")" {
                    depth -= 1;
                }
                *i += 1;
                if depth == 0 {
                    break;
                }
            }
        }
        let sub = (t[*i] == "{").then(|| parse_selection(t, i));
        sel.fields.push((std::mem::take(&mut key), sub));
    }
    *i += 1;
    sel
}

/// The query's operation selection set and its variable names.
fn parse_query(query: &str) -> (Selection, BTreeSet<String>) {
    let t = tokens(query);
    let mut i = t.iter().position(|x| x == "query").expect("a query") + 2;
    let mut vars = BTreeSet::new();
    if t[i] == "(" {
        while t[i] != ")" {
            if let Some(v) = t[i].strip_prefix('$') {
                vars.insert(v.to_string());
            }
            i += 1;
        }
        i += 1;
    }
    (parse_selection(&t, &mut i), vars)
}

/// Every key of `value` is selected by `sel` (with `__typename` only where asked), and
/// every selected field is present.
fn check_shape(value: &Value, sel: &Selection, path: &str) {
    match value {
        Value::Null => {}
        Value::Array(items) => {
            for (k, item) in items.iter().enumerate() {
                check_shape(item, sel, &format!("{path}/{k}"));
            }
        }
        Value::Object(map) => {
            let typename = map.get("__typename").and_then(Value::as_str);
            let mut allowed: Vec<(&String, &Option<Selection>)> =
                sel.fields.iter().map(|(k, s)| (k, s)).collect();
            let mut required: Vec<&String> = sel.fields.iter().map(|(k, _)| k).collect();
            for (ty, frag) in &sel.fragments {
                let applies = typename.is_none_or(|t| t == ty);
                if applies {
                    allowed.extend(frag.fields.iter().map(|(k, s)| (k, s)));
                    if typename.is_some() {
                        required.extend(frag.fields.iter().map(|(k, _)| k));
                    }
                }
            }
            for (key, v) in map {
                let Some((_, sub)) = allowed.iter().find(|(k, _)| *k == key) else {
                    panic!("{path}: key `{key}` is not selected by the query");
                };
                match sub {
                    Some(s) => check_shape(v, s, &format!("{path}/{key}")),
                    None => assert!(!v.is_object(), "{path}/{key}: a leaf field holds an object"),
                }
            }
            for key in required {
                assert!(
                    map.contains_key(key),
                    "{path}: selected field `{key}` is missing"
                );
            }
        }
        _ => panic!("{path}: expected an object, found {value}"),
    }
}

#[test]
fn graphql_responses_match_the_queries_selections() {
    let (dir, _) = generate(130, 4);
    let locker = Locker::open(dir.path().join("locker")).expect("opens");
    let queries: BTreeMap<&str, (Selection, BTreeSet<String>)> = github::QUERIES
        .iter()
        .map(|(name, q)| (*name, parse_query(q)))
        .collect();
    let mut checked: BTreeMap<String, usize> = BTreeMap::new();
    for r in locker.requests().expect("request log") {
        if r.method != "POST" {
            continue;
        }
        assert_eq!(r.url, "https://api.github.com/graphql");
        let request = locker
            .raw_json(r.request_sha256.as_deref().expect("a request body"))
            .expect("request JSON");
        let op = request["operationName"].as_str().expect("operationName");
        let text = github::QUERIES
            .iter()
            .find(|(n, _)| *n == op)
            .map(|(_, q)| *q)
            .expect("a known operation");
        assert_eq!(
            request["query"].as_str(),
            Some(text),
            "{op}: the real query text is stored"
        );
        let (sel, vars) = &queries[op];
        let sent: BTreeSet<String> = request["variables"]
            .as_object()
            .expect("variables")
            .keys()
            .cloned()
            .collect();
        assert_eq!(&sent, vars, "{op}: variables are the query's");
        let body = locker.raw_json(&r.response_sha256).expect("response JSON");
        let obj = body.as_object().expect("an object");
        assert_eq!(obj.keys().collect::<Vec<_>>(), vec!["data"], "{op}");
        check_shape(&body["data"], sel, &format!("{op}#{}", r.seq));
        assert_eq!(
            body["data"]["rateLimit"]["remaining"]
                .as_u64()
                .map(|n| n.to_string()),
            r.headers.get("x-ratelimit-remaining").cloned(),
            "the body's rateLimit agrees with the headers"
        );
        *checked.entry(op.to_string()).or_default() += 1;
    }
    assert!(checked.get("MergedPullRequests").copied().unwrap_or(0) >= 5);
    assert!(checked.get("BranchHistory").copied().unwrap_or(0) >= 7);
    assert!(checked.get("ProductionDeployments").copied().unwrap_or(0) >= 2);
}

#[test]
fn the_shape_check_rejects_unselected_and_missing_keys() {
    let (sel, _) = parse_query(github::BRANCH_HISTORY);
    let good: Value = serde_json::json!({"rateLimit": {"cost": 1, "remaining": 1, "resetAt": "x"}, "repository": null});
    check_shape(&good, &sel, "good");
    let extra = serde_json::json!({"rateLimit": {"cost": 1, "remaining": 1, "resetAt": "x", "limit": 5}, "repository": null});
    assert!(std::panic::catch_unwind(|| check_shape(&extra, &sel, "extra")).is_err());
    let missing = serde_json::json!({"rateLimit": {"cost": 1, "remaining": 1}, "repository": null});
    assert!(std::panic::catch_unwind(|| check_shape(&missing, &sel, "missing")).is_err());
}

/// The official example each REST call's body follows, by URL.
fn example_for(url: &str) -> Option<&'static str> {
    let path = url
        .trim_start_matches("https://api.github.com")
        .split('?')
        .next()?;
    let parts: Vec<&str> = path.split('/').collect();
    Some(match parts.as_slice() {
        ["", "orgs", _, "repos"] => "GET_orgs_org_repos__default.json",
        ["", "orgs", _, "audit-log"] => "GET_orgs_org_audit-log__default.json",
        ["", "orgs", _, "members"] => "GET_orgs_org_members__default.json",
        ["", "orgs", _, "outside_collaborators"] => {
            "GET_orgs_org_outside_collaborators__default.json"
        }
        ["", "orgs", _, "teams"] => "GET_orgs_org_teams__default.json",
        ["", "orgs", _, "teams", _, "members"] => {
            "GET_orgs_org_teams_team_slug_members__default.json"
        }
        ["", "orgs", _, "teams", _, "repos"] => "GET_orgs_org_teams_team_slug_repos__default.json",
        ["", "orgs", _, "actions", "secrets"] => "GET_orgs_org_actions_secrets__default.json",
        ["", "repos", _, _, "branches", _, "protection"] => {
            "GET_repos_owner_repo_branches_branch_protection__default.json"
        }
        ["", "repos", _, _, "rules", "branches", _] => {
            "GET_repos_owner_repo_rules_branches_branch__default.json"
        }
        ["", "repos", _, _, "rulesets", "rule-suites"] => {
            "GET_repos_owner_repo_rulesets_rule-suites__default.json"
        }
        ["", "repos", _, _, "rulesets", _, "history"] => {
            "GET_repos_owner_repo_rulesets_ruleset_id_history__default.json"
        }
        ["", "repos", _, _, "rulesets", _, "history", _] => {
            "GET_repos_owner_repo_rulesets_ruleset_id_history_version_id__default.json"
        }
        ["", "repos", _, _, "deployments"] => "GET_repos_owner_repo_deployments__default.json",
        ["", "repos", _, _, "deployments", _, "statuses"] => {
            "GET_repos_owner_repo_deployments_deployment_id_statuses__default.json"
        }
        ["", "repos", _, _, "actions", "runs", _, "approvals"] => {
            "GET_repos_owner_repo_actions_runs_run_id_approvals__default.json"
        }
        ["", "repos", _, _, "collaborators"] => "GET_repos_owner_repo_collaborators__default.json",
        ["", "repos", _, _, "keys"] => "GET_repos_owner_repo_keys__default.json",
        ["", "repos", _, _, "environments"] => "GET_repos_owner_repo_environments__default.json",
        ["", "repos", _, _, "actions", "secrets"] => {
            "GET_repos_owner_repo_actions_secrets__default.json"
        }
        _ => return None,
    })
}

/// Keys every top-level object of an example has (for lists: every element).
fn example_keys(example: &Value) -> BTreeSet<String> {
    let objects: Vec<&serde_json::Map<String, Value>> = match example {
        Value::Array(items) => items.iter().filter_map(Value::as_object).collect(),
        Value::Object(m) => vec![m],
        _ => vec![],
    };
    let mut keys: Option<BTreeSet<String>> = None;
    for o in objects {
        let k: BTreeSet<String> = o.keys().cloned().collect();
        keys = Some(match keys {
            None => k,
            Some(prev) => prev.intersection(&k).cloned().collect(),
        });
    }
    keys.unwrap_or_default()
}

#[test]
fn rest_bodies_carry_every_key_of_githubs_examples() {
    let (dir, _) = generate(60, 5);
    // The legacy locker adds the REST deployment statuses (see write_legacy_example).
    let legacy = tempfile::tempdir().expect("tempdir");
    write_legacy_example(
        &legacy.path().join("locker"),
        ExampleParams {
            seed: 5,
            changes: 60,
        },
    )
    .expect("the legacy example is written");
    let examples = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/github/rest-examples");
    let mut non_empty: BTreeMap<&str, usize> = BTreeMap::new();
    for root in [dir.path(), legacy.path()] {
        let locker = Locker::open(root.join("locker")).expect("opens");
        for r in locker.requests().expect("request log") {
            if r.method != "GET" {
                continue;
            }
            let name = example_for(&r.url).unwrap_or_else(|| panic!("no example for {}", r.url));
            let body = locker.raw_json(&r.response_sha256).expect("JSON body");
            if r.status == 404 {
                assert_eq!(body["message"], "Branch not protected", "{}", r.url);
                continue;
            }
            assert_eq!(r.status, 200, "{}", r.url);
            let text = std::fs::read_to_string(examples.join(name)).expect("example file");
            let example: Value = serde_json::from_str(&text).expect("example JSON");
            let keys = example_keys(&example);
            assert!(!keys.is_empty(), "{name}");
            assert_eq!(
                body.is_array(),
                example.is_array(),
                "{}: list or object like the example",
                r.url
            );
            let objects: Vec<&Value> = match &body {
                Value::Array(items) => items.iter().collect(),
                other => vec![other],
            };
            for o in &objects {
                let have: BTreeSet<String> =
                    o.as_object().expect("object").keys().cloned().collect();
                let mut missing: Vec<&String> = keys.difference(&have).collect();
                // Rules without settings (GitHub's `non_fast_forward`, `deletion` …) carry
                // no `parameters`; the example only shows rules that have them.
                if o.get("type").and_then(Value::as_str) == Some("non_fast_forward") {
                    missing.retain(|k| k.as_str() != "parameters");
                }
                assert!(
                    missing.is_empty(),
                    "{}: missing {missing:?} of {name}",
                    r.url
                );
            }
            // Wrapped lists (secrets): their items carry the example items' keys too.
            for wrapper in ["secrets", "environments"] {
                if let (Some(items), Some(ex_items)) = (body.get(wrapper), example.get(wrapper)) {
                    let keys = example_keys(ex_items);
                    for item in items.as_array().expect("a list") {
                        let have: BTreeSet<String> =
                            item.as_object().expect("object").keys().cloned().collect();
                        assert!(keys.is_subset(&have), "{}: {wrapper} keys", r.url);
                    }
                }
            }
            let populated = match &body {
                Value::Array(items) => !items.is_empty(),
                Value::Object(_) => body
                    .get("secrets")
                    .and_then(Value::as_array)
                    .is_none_or(|s| !s.is_empty()),
                _ => false,
            };
            if populated {
                *non_empty.entry(name).or_default() += 1;
            }
        }
    }
    // Every endpoint was checked on a real body, not only on empty lists.
    for entry in std::fs::read_dir(&examples).expect("examples") {
        let name = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        let name: &str = &name;
        assert!(
            non_empty.keys().any(|n| *n == name),
            "{name}: no non-empty body was checked"
        );
    }
}

#[test]
fn the_request_log_reads_like_a_real_collection() {
    let (dir, truth) = generate(300, 2026);
    let locker = Locker::open(dir.path().join("locker")).expect("opens");
    let meta = locker.meta().expect("meta");
    assert_eq!(iso(meta.snapshot_time), "2026-10-05T09:00:00Z");
    assert!(meta.complete && meta.missing.is_empty());
    assert_eq!(meta.sources[0].name, "github-acme");
    assert_eq!(
        locker.config_text().expect("config").as_deref(),
        Some(EXAMPLE_CONFIG)
    );
    let requests = locker.requests().expect("log");
    let mut last = None;
    let mut urls = BTreeSet::new();
    for (k, r) in requests.iter().enumerate() {
        assert_eq!(r.seq, k as u64 + 1);
        assert!(
            r.time < meta.snapshot_time
                && meta.snapshot_time - r.time < chrono::Duration::minutes(30)
        );
        if let Some(prev) = last {
            assert!(r.time > prev, "request times increase");
        }
        last = Some(r.time);
        for h in [
            "x-ratelimit-limit",
            "x-ratelimit-remaining",
            "x-ratelimit-used",
            "x-ratelimit-reset",
            "x-ratelimit-resource",
            "x-github-request-id",
        ] {
            assert!(r.headers.contains_key(h), "{}: header {h}", r.url);
        }
        if r.status == 200 {
            assert!(r.headers["etag"].starts_with("W/\""), "{}", r.url);
        }
        if r.method == "GET" {
            assert!(urls.insert(r.url.clone()), "{} requested twice", r.url);
            assert!(
                !r.url.contains("sandbox-playground"),
                "excluded repos are never collected"
            );
        }
        if let Some(link) = r.headers.get("link") {
            assert!(
                link.contains("rel=\"next\"") || link.contains("rel=\"prev\""),
                "{link}"
            );
        }
    }
    // Paginated lists: page 2 follows page 1 with the URL the Link header gave.
    let paged: Vec<&crate::locker::RequestRecord> = requests
        .iter()
        .filter(|r| r.url.ends_with("&page=2"))
        .collect();
    assert!(
        !paged.is_empty(),
        "some list has a second page at this size"
    );
    for p2 in paged {
        let first = p2.url.trim_end_matches("&page=2");
        let p1 = requests
            .iter()
            .find(|r| r.url == first)
            .expect("page 1 precedes page 2");
        assert!(p1.headers["link"].contains(&format!("<{}>; rel=\"next\"", p2.url)));
    }

    // The populations the truth states are what the responses hold.
    let window = meta.window;
    let config = config();
    let mut changes = 0u64;
    let mut commits = BTreeSet::new();
    let mut deployments = 0u64;
    for r in &requests {
        let body = locker.raw_json(&r.response_sha256).expect("JSON");
        if r.method == "POST" {
            if let Some(nodes) = body["data"]["search"]["nodes"].as_array() {
                for n in nodes {
                    let merged = chrono::DateTime::parse_from_rfc3339(
                        n["mergedAt"].as_str().expect("mergedAt"),
                    )
                    .expect("time");
                    let repo = n["repository"]["nameWithOwner"].as_str().expect("repo");
                    let default = if repo == "acme/infra" {
                        "master"
                    } else {
                        "main"
                    };
                    if window.contains(merged.with_timezone(&chrono::Utc))
                        && config
                            .scope
                            .is_production_branch(n["baseRefName"].as_str().expect("base"), default)
                    {
                        changes += 1;
                    }
                }
            }
            if let Some(nodes) =
                body["data"]["repository"]["ref"]["target"]["history"]["nodes"].as_array()
            {
                let repo = body["data"]["repository"]["nameWithOwner"]
                    .as_str()
                    .expect("repo")
                    .to_string();
                for n in nodes {
                    commits.insert((repo.clone(), n["oid"].as_str().expect("oid").to_string()));
                }
            }
        } else if r.url.contains("/deployments?") {
            for d in body.as_array().expect("list") {
                let created = chrono::DateTime::parse_from_rfc3339(
                    d["created_at"].as_str().expect("created"),
                )
                .expect("time");
                if config
                    .scope
                    .is_production_environment(d["environment"].as_str().expect("env"))
                    && window.contains(created.with_timezone(&chrono::Utc))
                {
                    deployments += 1;
                }
            }
        }
    }
    assert_eq!(changes, truth.populations.changes);
    assert_eq!(commits.len() as u64, truth.populations.branch_commits);
    assert_eq!(deployments, truth.populations.deployments);
    assert!(truth.populations.changes >= 290 && truth.populations.deployments > 100);
}

#[test]
fn larger_organisations_paginate_and_stay_consistent() {
    let w = world(1_500, 3);
    let (pages, _) = render_graphql::merged_pull_requests(
        &w,
        w.repos.iter().position(|r| r.name == "api").expect("api"),
    );
    assert!(pages.len() >= 5, "api's ~500 PRs take several pages");
    for (k, page) in pages.iter().enumerate() {
        let info = &page.data["search"]["pageInfo"];
        assert_eq!(info["hasNextPage"], k + 1 < pages.len());
        if k > 0 {
            assert_eq!(
                page.variables["cursor"],
                pages[k - 1].data["search"]["pageInfo"]["endCursor"]
            );
        }
    }
}

#[test]
fn overflowing_connections_are_continued_by_follow_up_pages() {
    use crate::github::PullRequestConnection;
    let (dir, _) = generate(60, 2026);
    let w = world(60, 2026);
    let web = w.repos.iter().position(|r| r.name == "web").expect("web");
    let big = w
        .prs
        .iter()
        .find(|p| p.repo == web && p.reviews.len() > PullRequestConnection::Reviews.first_page())
        .expect("the overflowing PR is planted");
    let (pages, returned) = render_graphql::merged_pull_requests(&w, web);
    let node = pages
        .iter()
        .flat_map(|p| {
            p.data["search"]["nodes"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .find(|n| n["number"] == big.number)
        .expect("the PR is in the search");
    let follow_ups = render_graphql::follow_ups(&w, web, &returned);
    for c in PullRequestConnection::ALL {
        let first = &node.pointer(c.pointer()).expect("connection")["nodes"];
        assert_eq!(
            first.as_array().map(Vec::len),
            Some(c.first_page()),
            "{c:?}"
        );
        let connection = node.pointer(c.pointer()).expect("connection");
        assert_eq!(connection["pageInfo"]["hasNextPage"], true, "{c:?}");
        // The follow-up starts at the page's end cursor.
        let (operation, _) = c.follow_up();
        let mine: Vec<_> = follow_ups
            .iter()
            .filter(|(op, _, p)| *op == operation && p.variables["number"] == big.number)
            .collect();
        assert_eq!(mine.len(), 1, "{c:?}");
        assert_eq!(
            mine[0].2.variables["cursor"],
            connection["pageInfo"]["endCursor"]
        );
    }
    // Normalized, the change is whole: every record, nothing incomplete.
    let evidence = crate::normalize::normalize(&Locker::open(dir.path().join("locker")).unwrap())
        .expect("normalizes");
    let change = evidence
        .changes
        .iter()
        .find(|c| c.repo == "acme/web" && c.number == big.number)
        .expect("the change");
    assert!(change.incomplete.is_empty(), "{:?}", change.incomplete);
    assert_eq!(change.reviews.len(), big.reviews.len());
    assert_eq!(change.commits.len(), big.commits.len());
    assert_eq!(change.labels.len(), big.labels.len());
    assert_eq!(
        change.checks.runs.len(),
        big.checks.as_ref().map_or(0, |c| c.contexts.len())
    );
    assert_eq!(
        change.timeline.len(),
        big.timeline.len() + 1,
        "with the merge"
    );
    assert!(evidence.changes.iter().all(|c| c.incomplete.is_empty()));
}

#[test]
fn a_search_over_githubs_cap_is_split_into_day_ranges() {
    use crate::github::{MergedRange, SEARCH_CAP};
    let w = world(3_600, 5);
    let api = w.repos.iter().position(|r| r.name == "api").expect("api");
    let window = MergedRange::of_window(&w.window);
    let all = w
        .prs
        .iter()
        .filter(|p| p.repo == api && p.merged_at().is_some_and(|t| window.contains(t)))
        .count();
    assert!(all as u64 > SEARCH_CAP, "api has {all} PRs in the window");
    let (pages, returned) = render_graphql::merged_pull_requests(&w, api);
    // Every PR once, every search within the cap, the oversized ones read one page.
    let numbers: BTreeSet<u64> = returned.iter().map(|p| p.number).collect();
    assert_eq!(numbers.len(), all);
    assert_eq!(returned.len(), all);
    let mut by_query: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for page in &pages {
        by_query
            .entry(page.variables["q"].as_str().unwrap().to_string())
            .or_default()
            .push(&page.data["search"]);
    }
    let first = window.query("acme/api");
    assert_eq!(
        by_query[&first].len(),
        1,
        "the oversized search is not paged"
    );
    assert_eq!(by_query[&first][0]["issueCount"], all);
    let mut leaves = 0;
    for (q, searches) in &by_query {
        let count = searches[0]["issueCount"].as_u64().unwrap();
        if count > SEARCH_CAP {
            assert_eq!(searches.len(), 1, "{q}");
            let (a, b) = MergedRange::of_query(q).unwrap().split().unwrap();
            assert!(by_query.contains_key(&a.query("acme/api")));
            assert!(by_query.contains_key(&b.query("acme/api")));
        } else {
            leaves += 1;
            let held: usize = searches
                .iter()
                .map(|s| s["nodes"].as_array().unwrap().len())
                .sum();
            assert_eq!(held as u64, count, "{q}");
        }
    }
    assert!(leaves >= 2);
}
