//! The example organisation: a seeded generator of a synthetic GitHub organisation that
//! writes a locker of GitHub-shaped raw API responses, plus its own ground truth (the
//! exceptions it planted). Tests, the demo and benchmarks build on it.
//!
//! `acme` has 25 people (three org owners, two members without 2FA), two outside
//! collaborators, the bots `dependabot[bot]` and `renovate[bot]`, the CI user `acme-ci`
//! (a bot by config) and the service account `acme-deploy-bot`. Its repositories:
//!
//! | repository | production branches | protection at the snapshot |
//! |---|---|---|
//! | acme/api | main, release/2026.08, release/2026.09 | classic: 1 approval (main dismisses stale approvals), required ci/build + ci/test (release/*: ci/build) |
//! | acme/web | main (also merges into develop) | classic: 1 approval, required build |
//! | acme/payments | main | rulesets: 2 approvals, required ci + security/scan |
//! | acme/mobile-app | main | rulesets: 1 approval, required build |
//! | acme/infra | master | none |
//! | acme/sandbox-playground | — | excluded by the config: listed, never collected |
//!
//! About `changes` merged PRs spread over the quarter (weekdays and business hours
//! mostly), clean by construction, surround the planted cases of `scenarios` (every case
//! at every size). From them follow the branch histories (merge, squash and rebase
//! merges as GitHub records them), rule suites, audit-log events, deployments with their
//! statuses and environment approvals, and the access lists.
//!
//! Modules: `rng` (the seeded PRNG), `people` and `world` (the plain data), `activity`
//! (ordinary PRs), `scenarios` (the planted cases; `scenarios_overflow`: a PR larger than
//! one GraphQL page), `history` (branches, rule suites, audit log), `deploy` and
//! `scenarios_deploy` (releases and the planted deployment cases), `access`,
//! `render_graphql` / `render_rest` (GitHub's shapes),
//! `calls` (the request log), `truth` (the ground truth, from the planting intent).

mod access;
mod activity;
mod calls;
mod deploy;
pub mod gitlab;
mod history;
mod people;
mod render_environments;
mod render_graphql;
mod render_graphql_deployments;
mod render_rest;
mod rng;
mod scenarios;
mod scenarios_access;
mod scenarios_branch;
mod scenarios_deploy;
mod scenarios_overflow;
mod truth;
mod truth_access;
mod waived;
mod world;

use std::path::{Path, PathBuf};

use chrono::Duration;
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::github;
use crate::locker::{
    LOCKER_SCHEMA, LockerError, LockerMeta, LockerWriter, META_FILE, REQUESTS_FILE, SourceMeta,
    Window,
};
use crate::model::Timestamp;
use world::World;

pub use truth::GROUND_TRUTH_SCHEMA;

/// Size and seed of the generated organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExampleParams {
    pub seed: u64,
    /// Approximate number of merged PRs in the window across all repositories.
    pub changes: usize,
}

impl Default for ExampleParams {
    fn default() -> Self {
        ExampleParams {
            seed: 2026,
            changes: 300,
        }
    }
}

/// What the generator planted, for tests to compare findings with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroundTruth {
    pub schema: String,
    /// Every planted exception, sorted by id.
    pub exceptions: Vec<ExpectedException>,
    /// The tricky records a careless tool gets wrong, which must raise nothing (or only
    /// what `exceptions` lists for them).
    pub tricky: Vec<TrickyCase>,
    /// Population sizes the controls should report.
    pub populations: Populations,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedException {
    pub id: String,
    pub control: String,
    pub kind: String,
    pub repo: String,
    pub subject_type: String,
    pub subject: String,
    /// What was planted, in words.
    pub why: String,
    /// The example's waivers file waives it (status `waived` in the findings).
    #[serde(default)]
    pub waived: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrickyCase {
    pub repo: String,
    pub subject_type: String,
    pub subject: String,
    pub why: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Populations {
    /// Merged PRs into production branches inside the window.
    pub changes: u64,
    /// Distinct production-branch commits with committer date in the window.
    pub branch_commits: u64,
    /// Production deployments created inside the window.
    pub deployments: u64,
    /// AC-01: members and outside collaborators of the org.
    pub org_accounts: u64,
    /// AC-02: distinct accounts that are members, outside collaborators or direct
    /// collaborators of an in-scope repository.
    pub accounts: u64,
    /// AC-04: deploy keys and repository and org secrets.
    pub credentials: u64,
    /// AC-05: grant changes since the previous quarter's snapshot (the demo's).
    pub access_changes: u64,
    /// Changes CM-09 judges instead of CM-01/CM-02 (emergency changes merged without
    /// enough independent approvals).
    #[serde(default)]
    pub judged_by_cm09: u64,
    /// Production branches at the snapshot (CM-10).
    #[serde(default)]
    pub production_branches: u64,
}

/// The example's config (window, scope, parameters), as written into the locker.
pub const EXAMPLE_CONFIG: &str = include_str!("../../examples/changeproof.toml");

/// The example's waivers (`[output] waivers = "waivers.toml"`), written next to the
/// locker's config: one waives a planted exception, one has expired, one is unused.
pub const EXAMPLE_WAIVERS: &str = include_str!("../../examples/waivers.toml");

/// Writes the example organisation's locker into `dir` (created; must not hold a locker)
/// and returns its ground truth.
pub fn write_example(dir: &Path, params: ExampleParams) -> Result<GroundTruth, LockerError> {
    write_example_with(dir, params, StatusCalls::Graphql)
}

/// [`write_example`] as collectors before the `ProductionDeployments` query recorded it:
/// deployment statuses by one REST call per production deployment. Lockers like this
/// must keep normalizing (to the same records; only evidence references differ).
pub fn write_legacy_example(dir: &Path, params: ExampleParams) -> Result<GroundTruth, LockerError> {
    write_example_with(dir, params, StatusCalls::Rest)
}

/// How deployment statuses are collected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StatusCalls {
    Graphql,
    Rest,
}

fn write_example_with(
    dir: &Path,
    params: ExampleParams,
    statuses: StatusCalls,
) -> Result<GroundTruth, LockerError> {
    for name in [META_FILE, REQUESTS_FILE] {
        let path = dir.join(name);
        if path.exists() {
            return Err(LockerError::Io {
                path,
                source: std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    "the directory already holds a locker; write the example into a new or empty directory",
                ),
            });
        }
    }
    let config = example_config()?;
    let world = build_world(params, &config);
    let calls = collect_calls(&world, &config, statuses);
    let mut writer = LockerWriter::create(dir)?;
    writer.write_config(EXAMPLE_CONFIG)?;
    // The config names `hr_roster.csv`, relative to the config: next to it in the locker.
    crate::locker::write_atomic(
        &dir.join(ROSTER_FILE),
        example_roster_csv(&world).as_bytes(),
    )?;
    // The config names its waivers file relative to itself: beside the locker's copy.
    crate::locker::write_atomic(&dir.join("waivers.toml"), EXAMPLE_WAIVERS.as_bytes())?;
    calls.write(&mut writer, params.seed, world.snapshot)?;
    writer.write_meta(&LockerMeta {
        schema: LOCKER_SCHEMA.into(),
        tool_version: crate::TOOL_VERSION.into(),
        snapshot_time: world.snapshot,
        window: world.window,
        sources: vec![SourceMeta {
            name: world::SOURCE.into(),
            kind: "github".into(),
            api_url: world::API_URL.into(),
            org: world::ORG.into(),
        }],
        complete: true,
        missing: Vec::new(),
    })?;
    writer.finish()?;
    Ok(truth::ground_truth(&world, &config))
}

/// The example's HR roster file name (`[access].hr_roster` of the example config).
pub const ROSTER_FILE: &str = "hr_roster.csv";

fn example_roster_csv(world: &World) -> String {
    crate::roster::to_csv(&world.access.roster)
}

/// The example's HR roster as CSV (also checked in as `examples/hr_roster.csv`).
pub fn example_roster(params: ExampleParams) -> Result<String, LockerError> {
    let config = example_config()?;
    Ok(example_roster_csv(&build_world(params, &config)))
}

/// Writes the example organisation's previous quarter into `dir`: a small locker with
/// the access lists at 2026-07-06T09:00:00Z, the previous snapshot AC-05 compares with.
pub fn write_previous_example(dir: &Path, params: ExampleParams) -> Result<(), LockerError> {
    let config = example_config()?;
    let world = build_world(params, &config);
    let previous = scenarios_access::previous_plan(&world);
    let parse = |t: &str| {
        chrono::DateTime::parse_from_rfc3339(t)
            .map(|t| t.with_timezone(&chrono::Utc))
            .map_err(|e| LockerError::Parse {
                path: PathBuf::from("src/example/scenarios_access.rs"),
                line: 0,
                column: 0,
                what: "example time",
                message: e.to_string(),
            })
    };
    let snapshot = parse(scenarios_access::PREVIOUS_SNAPSHOT)?;
    let window = Window {
        start: parse(scenarios_access::PREVIOUS_WINDOW.0)?,
        end: parse(scenarios_access::PREVIOUS_WINDOW.1)?,
    };
    let reset = snapshot - Duration::minutes(15) + Duration::hours(1);
    let calls = scenarios_access::previous_calls(&world, &previous, reset);
    let mut writer = LockerWriter::create(dir)?;
    calls.write(&mut writer, params.seed, snapshot)?;
    writer.write_meta(&LockerMeta {
        schema: LOCKER_SCHEMA.into(),
        tool_version: crate::TOOL_VERSION.into(),
        snapshot_time: snapshot,
        window,
        sources: vec![SourceMeta {
            name: world::SOURCE.into(),
            kind: "github".into(),
            api_url: world::API_URL.into(),
            org: world::ORG.into(),
        }],
        complete: true,
        missing: Vec::new(),
    })?;
    writer.finish()?;
    Ok(())
}

/// The example's config, parsed (it is compiled in: a failure is a bug, reported as an
/// error naming the file rather than a panic).
fn example_config() -> Result<Config, LockerError> {
    let path = Path::new("examples/changeproof.toml");
    Config::parse(EXAMPLE_CONFIG, path, PathBuf::from("examples")).map_err(|e| LockerError::Parse {
        path: path.to_path_buf(),
        line: 0,
        column: 0,
        what: "example config",
        message: e.to_string(),
    })
}

/// The snapshot: the Monday after the window, 09:00 UTC (2026-10-05T09:00:00Z).
fn snapshot_time(window: &Window) -> Timestamp {
    window.end + Duration::days(4) + Duration::hours(9)
}

/// Plans the whole organisation: planted cases first, then ordinary activity around
/// them, then what follows from it (branch histories, rule suites, deployments).
fn build_world(params: ExampleParams, config: &Config) -> World {
    let window = config.audit.window.window();
    let snapshot = snapshot_time(&window);
    let seed = params.seed;
    let mut g = activity::Gen::new(seed, window, snapshot);
    scenarios::plant_all(&mut g);
    let planted_in_window = g
        .prs
        .iter()
        .filter(|p| p.merged_at().is_some_and(|t| window.contains(t)))
        .count();
    g.fillers(seed, params.changes.saturating_sub(planted_in_window));
    g.number_and_ids(seed);
    let branches = history::build_branches(&mut g, seed);
    let rule_suites = history::rule_suites(&g, &branches, seed);
    let audit_events = history::audit_events(&g, seed);
    let (deployments, run_approvals, deployment_plants) = deploy::build(&g, &branches, seed);
    let mut access = access::build(&g);
    scenarios_access::plant(&mut access, &g);
    let tricky_commits = inherited_commit(&g, &branches, &window)
        .into_iter()
        .collect();
    let planted_commits = g
        .pushes
        .iter()
        .map(|p| world::PlantedCommit {
            repo: p.repo,
            sha: p.commit.sha.clone(),
            why: p.why.clone(),
        })
        .collect();
    World {
        window,
        snapshot,
        people: g.people,
        repos: g.repos,
        prs: g.prs,
        branches,
        rule_suites,
        audit_events,
        deployments,
        run_approvals,
        deployment_plants,
        access,
        planted_commits,
        tricky_commits,
        branch_plan: g.branch_plan,
    }
}

/// The newest commit release/2026.09 inherited from main when it was cut: its PR's base
/// is main, not the release branch, yet main is a production branch too.
fn inherited_commit(
    g: &activity::Gen,
    branches: &[world::Branch],
    window: &Window,
) -> Option<world::TrickyCommit> {
    let b = branches.iter().position(|b| b.name == "release/2026.09")?;
    let (parent, count) = branches[b].cut_from?;
    let c = branches[parent].commits[..count]
        .iter()
        .rev()
        .find(|c| window.contains(c.commit.committed) && !c.prs.is_empty())?;
    let pr = &g.prs[*c.prs.first()?];
    Some(world::TrickyCommit {
        repo: branches[b].repo,
        sha: c.commit.sha.clone(),
        why: format!(
            "on release/2026.09 because the branch was cut from main; GitHub associates it with PR #{} into main (a production branch), so it is no direct push",
            pr.number
        ),
    })
}

/// Percent-encodes a branch or ref for a URL path or query (`release%2F2026.08`).
fn enc(name: &str) -> String {
    name.replace('%', "%25").replace('/', "%2F")
}

/// Every call a collector makes for the organisation, in order (the contract of
/// `crate::github`).
fn collect_calls(w: &World, config: &Config, status_calls: StatusCalls) -> calls::Calls {
    use render_rest as rest;
    let reset = w.snapshot - Duration::minutes(15) + Duration::hours(1);
    let mut c = calls::Calls::new(reset);
    let org = world::ORG;

    let mut listed: Vec<&world::Repo> = w.repos.iter().collect();
    // The org repos list's default order: newest first.
    listed.sort_by(|a, b| b.created_at.cmp(a.created_at));
    let repos: Vec<serde_json::Value> = listed.iter().map(|r| rest::repo(w, r, "admin")).collect();
    c.get_list(
        &format!("/orgs/{org}/repos"),
        "type=all&per_page=100",
        repos,
    );

    let mut in_scope: Vec<usize> = (0..w.repos.len())
        .filter(|i| w.repos[*i].in_scope)
        .collect();
    in_scope.sort_by_key(|i| w.repos[*i].name);
    for repo in in_scope {
        let r = &w.repos[repo];
        let base = format!("/repos/{}", r.full_name());
        let (pages, returned) = render_graphql::merged_pull_requests(w, repo);
        // The commits the search's merged production PRs carry: deployed commits outside
        // them are looked up (contract: `deployed_changes`).
        let mut carried = std::collections::BTreeSet::new();
        for page in pages {
            let nodes = page
                .data
                .get("search")
                .and_then(|s| s.get("nodes"))
                .and_then(serde_json::Value::as_array);
            for node in nodes.into_iter().flatten() {
                carried.extend(github::carried_commits(node, |b| {
                    config.scope.is_production_branch(b, r.default_branch)
                }));
            }
            c.graphql("MergedPullRequests", github::MERGED_PULL_REQUESTS, page);
        }
        for (operation, query, page) in render_graphql::follow_ups(w, repo, &returned) {
            c.graphql(operation, query, page);
        }
        for branch in &r.production {
            if let Some(b) = w
                .branches
                .iter()
                .position(|b| b.repo == repo && &b.name == branch)
            {
                for page in render_graphql::branch_history(w, b) {
                    c.graphql("BranchHistory", github::BRANCH_HISTORY, page);
                }
            }
        }
        for branch in &r.production {
            let (status, body) = rest::protection(r, branch);
            c.get(
                &format!("{base}/branches/{}/protection", enc(branch)),
                "",
                status,
                &body,
            );
        }
        for branch in &r.production {
            let rules = rest::rules(r, branch);
            let items = rules.as_array().cloned().unwrap_or_default();
            c.get_list(
                &format!("{base}/rules/branches/{}", enc(branch)),
                "per_page=100",
                items,
            );
        }
        for branch in &r.production {
            let suites = rest::rule_suites(w, repo, branch);
            let items = suites.as_array().cloned().unwrap_or_default();
            let query = format!(
                "ref={}&time_period=month&per_page=100",
                enc(&format!("refs/heads/{branch}"))
            );
            c.get_list(&format!("{base}/rulesets/rule-suites"), &query, items);
        }
        // The history of each repository ruleset that applies to a production branch.
        let mut rulesets: Vec<u64> = r
            .production
            .iter()
            .filter_map(|b| match r.protection(b) {
                world::Protection::Rulesets { ruleset_id, .. } => Some(*ruleset_id),
                _ => None,
            })
            .collect();
        rulesets.sort();
        rulesets.dedup();
        for id in rulesets {
            let history = format!("{base}/rulesets/{id}/history");
            c.get_list(&history, "per_page=100", rest::ruleset_history(w, repo, id));
            for v in rest::ruleset_versions_fetched(w, repo, id) {
                c.get(
                    &format!("{history}/{}", v.version_id),
                    "",
                    200,
                    &rest::ruleset_version(w, v),
                );
            }
        }
        let deployments = rest::deployments(w, repo);
        let deployed: Vec<String> = deployments
            .iter()
            .filter(|d| {
                github::selected_deployment(
                    d,
                    |e| config.scope.is_production_environment(e),
                    w.window.start,
                )
            })
            .filter_map(|d| d.get("sha").and_then(serde_json::Value::as_str))
            .map(str::to_string)
            .collect();
        c.get_list(&format!("{base}/deployments"), "per_page=100", deployments);
        // Statuses and approvals only where a population needs them: deployments to
        // production environments created from the window start on (the contract).
        let mut listed: Vec<&world::Deployment> = w
            .deployments
            .iter()
            .filter(|d| d.repo == repo)
            .filter(|d| {
                config.scope.is_production_environment(d.environment)
                    && d.created_at >= w.window.start
            })
            .collect();
        // Their statuses by GraphQL (the collector's order: newest first), then the
        // approvals of each workflow run named by a status, once per run.
        let environments: std::collections::BTreeSet<&str> =
            listed.iter().map(|d| d.environment).collect();
        if !listed.is_empty() && status_calls == StatusCalls::Graphql {
            for page in render_graphql_deployments::production_deployments(w, repo, &environments) {
                c.graphql(
                    "ProductionDeployments",
                    github::PRODUCTION_DEPLOYMENTS,
                    page,
                );
            }
        }
        listed.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
        let mut runs_seen: Vec<u64> = Vec::new();
        for d in listed {
            if status_calls == StatusCalls::Rest {
                let statuses = rest::deployment_statuses(w, d);
                let items = statuses.as_array().cloned().unwrap_or_default();
                c.get_list(
                    &format!("{base}/deployments/{}/statuses", d.id),
                    "per_page=100",
                    items,
                );
            }
            if !runs_seen.contains(&d.run_id) {
                runs_seen.push(d.run_id);
                let approvals = rest::run_approvals(w, repo, d.run_id);
                c.get(
                    &format!("{base}/actions/runs/{}/approvals", d.run_id),
                    "",
                    200,
                    &approvals,
                );
            }
        }
        for sha in github::deployed_commit_lookups(&carried, deployed) {
            let page = render_graphql::deployed_commit(w, repo, &sha);
            c.graphql("DeployedCommit", github::DEPLOYED_COMMIT, page);
        }
        c.get_list(
            &format!("{base}/collaborators"),
            "affiliation=direct&per_page=100",
            rest::collaborators(w, repo),
        );
        c.get_list(
            &format!("{base}/keys"),
            "per_page=100",
            rest::deploy_keys(w, repo),
        );
        let secrets: Vec<&world::SecretPlan> = w
            .access
            .repo_secrets
            .iter()
            .filter(|(r, _)| *r == repo)
            .map(|(_, s)| s)
            .collect();
        c.get(
            &format!("{base}/actions/secrets"),
            "per_page=100",
            200,
            &rest::secrets(&secrets, false),
        );
        c.get(
            &format!("{base}/environments"),
            "per_page=100",
            200,
            &render_environments::environments(w, repo),
        );
    }

    for (category, phrase) in ["protected_branch", "repository_ruleset"]
        .into_iter()
        .zip(github::audit_log_phrases(w.window.start))
    {
        c.get_list(
            &format!("/orgs/{org}/audit-log"),
            &format!("phrase={phrase}&per_page=100"),
            rest::audit_log_search(w, category),
        );
    }
    c.get_list(
        &format!("/orgs/{org}/members"),
        "role=admin&per_page=100",
        rest::users(w, w.people.owners()),
    );
    c.get_list(
        &format!("/orgs/{org}/members"),
        "role=all&per_page=100",
        rest::users(w, w.people.members()),
    );
    let no_2fa: Vec<people::Acct> = w
        .people
        .members()
        .into_iter()
        .filter(|a| !w.people.get(*a).two_factor)
        .collect();
    c.get_list(
        &format!("/orgs/{org}/members"),
        "filter=2fa_disabled&per_page=100",
        rest::users(w, no_2fa),
    );
    let outside_no_2fa: Vec<people::Acct> = w
        .people
        .outside_collaborators()
        .into_iter()
        .filter(|a| !w.people.get(*a).two_factor)
        .collect();
    c.get_list(
        &format!("/orgs/{org}/outside_collaborators"),
        "filter=2fa_disabled&per_page=100",
        rest::users(w, outside_no_2fa),
    );
    c.get_list(
        &format!("/orgs/{org}/outside_collaborators"),
        "per_page=100",
        rest::users(w, w.people.outside_collaborators()),
    );
    let mut teams: Vec<&world::TeamPlan> = w.access.teams.iter().collect();
    teams.sort_by_key(|t| t.slug);
    c.get_list(
        &format!("/orgs/{org}/teams"),
        "per_page=100",
        teams.iter().map(|t| rest::team(t)).collect(),
    );
    for t in teams {
        c.get_list(
            &format!("/orgs/{org}/teams/{}/members", t.slug),
            "per_page=100",
            rest::team_members(w, t),
        );
        c.get_list(
            &format!("/orgs/{org}/teams/{}/repos", t.slug),
            "per_page=100",
            rest::team_repos(w, t),
        );
    }
    let org_secrets: Vec<&world::SecretPlan> = w.access.org_secrets.iter().collect();
    c.get(
        &format!("/orgs/{org}/actions/secrets"),
        "per_page=100",
        200,
        &rest::secrets(&org_secrets, true),
    );
    c
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_access;
#[cfg(test)]
mod tests_deploy;
#[cfg(test)]
mod tests_deployments;
