//! The example GitLab group `globex`: a seeded generator that writes a locker of
//! GitLab-shaped raw API responses (the calls of `crate::gitlab`, in the collector's
//! order) and the ground truth of what it planted. The tests collect it from a fake
//! GitLab server and check the findings against the truth; `world.rs` describes the
//! group and its planted cases.

mod render;
mod world;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use chrono::Duration;
use serde_json::Value;

use crate::config::Config;
use crate::findings::{Exception, SubjectType};
use crate::gitlab;
use crate::locker::{LOCKER_SCHEMA, LockerError, LockerMeta, LockerWriter, SourceMeta, Window};
use crate::model::Timestamp;
use crate::util::sha256_hex;

use super::{ExpectedException, GroundTruth, Populations, TrickyCase, truth::GROUND_TRUTH_SCHEMA};

pub use world::{API_URL, GROUP, SOURCE};

/// The example group's config.
pub const GITLAB_EXAMPLE_CONFIG: &str = include_str!("../../../examples/gitlab.toml");
/// Its HR roster (`[access].hr_roster`), written next to the locker's config.
pub const GITLAB_ROSTER: &str = include_str!("../../../examples/gitlab_roster.csv");
pub const GITLAB_ROSTER_FILE: &str = "gitlab_roster.csv";

fn config() -> Result<Config, LockerError> {
    let path = Path::new("examples/gitlab.toml");
    Config::parse(GITLAB_EXAMPLE_CONFIG, path, PathBuf::from("examples")).map_err(|e| {
        LockerError::Parse {
            path: path.to_path_buf(),
            line: 0,
            column: 0,
            what: "example config",
            message: e.to_string(),
        }
    })
}

fn plan(seed: u64, config: &Config) -> world::World {
    let window = config.audit.window.window();
    let snapshot = window.end + Duration::days(4) + Duration::hours(9);
    world::build(seed, window, snapshot)
}

/// Writes the example group's locker into `dir` (new or empty) and returns its truth.
pub fn write_gitlab_example(dir: &Path, seed: u64) -> Result<GroundTruth, LockerError> {
    let config = config()?;
    let w = plan(seed, &config);
    let calls = calls(&w, &config);
    let mut writer = LockerWriter::create(dir)?;
    writer.write_config(GITLAB_EXAMPLE_CONFIG)?;
    crate::locker::write_atomic(&dir.join(GITLAB_ROSTER_FILE), GITLAB_ROSTER.as_bytes())?;
    calls.write(&mut writer, w.snapshot)?;
    writer.write_meta(&LockerMeta {
        schema: LOCKER_SCHEMA.into(),
        tool_version: crate::TOOL_VERSION.into(),
        snapshot_time: w.snapshot,
        window: w.window,
        sources: vec![SourceMeta {
            name: SOURCE.into(),
            kind: "gitlab".into(),
            api_url: API_URL.into(),
            org: GROUP.into(),
        }],
        complete: true,
        missing: Vec::new(),
    })?;
    writer.finish()?;
    Ok(truth(&w))
}

/// One recorded call.
struct Call {
    url: String,
    status: u16,
    body: Vec<u8>,
    headers: Vec<(String, String)>,
}

struct Calls {
    list: Vec<Call>,
}

const PAGE: usize = 100;
const LIMIT: usize = 2000;

impl Calls {
    fn get(&mut self, call: &gitlab::Call, status: u16, body: &Value) {
        self.list.push(Call {
            url: format!("{API_URL}{}", call.target()),
            status,
            body: serde_json::to_vec(body).unwrap_or_default(),
            headers: Vec::new(),
        });
    }

    /// An offset-paginated list with GitLab's headers (`X-Total` … and `Link`).
    fn list(&mut self, call: &gitlab::Call, items: Vec<Value>) {
        let pages: Vec<Vec<Value>> = if items.is_empty() {
            vec![Vec::new()]
        } else {
            items.chunks(PAGE).map(<[Value]>::to_vec).collect()
        };
        let n = pages.len();
        let total = items.len();
        let at = |page: usize| format!("{API_URL}{}&page={page}", call.target());
        for (k, page) in pages.into_iter().enumerate() {
            let number = k + 1;
            let mut headers = vec![
                ("x-page".to_string(), number.to_string()),
                ("x-per-page".to_string(), PAGE.to_string()),
                ("x-total".to_string(), total.to_string()),
                ("x-total-pages".to_string(), n.to_string()),
                (
                    "x-next-page".to_string(),
                    if number < n {
                        (number + 1).to_string()
                    } else {
                        String::new()
                    },
                ),
            ];
            let mut link = Vec::new();
            if number > 1 {
                link.push(format!("<{}>; rel=\"prev\"", at(number - 1)));
            }
            if number < n {
                link.push(format!("<{}>; rel=\"next\"", at(number + 1)));
            }
            link.push(format!("<{}>; rel=\"first\"", at(1)));
            link.push(format!("<{}>; rel=\"last\"", at(n)));
            headers.push(("link".to_string(), link.join(", ")));
            let url = if number == 1 {
                format!("{API_URL}{}", call.target())
            } else {
                at(number)
            };
            self.list.push(Call {
                url,
                status: 200,
                body: serde_json::to_vec(&Value::Array(page)).unwrap_or_default(),
                headers,
            });
        }
    }

    /// A keyset-paginated list (one page here: the example's lists are short).
    fn keyset(&mut self, call: &gitlab::Call, items: Vec<Value>) {
        self.list.push(Call {
            url: format!("{API_URL}{}", call.target()),
            status: 200,
            body: serde_json::to_vec(&Value::Array(items)).unwrap_or_default(),
            headers: Vec::new(),
        });
    }

    fn write(self, writer: &mut LockerWriter, end: Timestamp) -> Result<(), LockerError> {
        let n = self.list.len() as i64;
        let start = end - Duration::minutes(10);
        for (k, call) in self.list.into_iter().enumerate() {
            let t = start + Duration::milliseconds(9 * 60 * 1000 * k as i64 / n.max(1));
            let mut headers = call.headers;
            if call.status == 200 {
                headers.push((
                    "etag".into(),
                    format!("W/\"{}\"", &sha256_hex(&call.body)[..32]),
                ));
            }
            headers.push(("ratelimit-limit".into(), LIMIT.to_string()));
            headers.push(("ratelimit-observed".into(), ((k % LIMIT) + 1).to_string()));
            headers.push((
                "ratelimit-remaining".into(),
                (LIMIT - 1 - k % LIMIT).to_string(),
            ));
            headers.push(("ratelimit-reset".into(), (t.timestamp() + 60).to_string()));
            headers.push((
                "x-request-id".into(),
                sha256_hex(format!("{k}").as_bytes())[..26].to_uppercase(),
            ));
            headers.sort();
            let refs: Vec<(&str, &str)> = headers
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            writer.record(
                SOURCE,
                "GET",
                &call.url,
                None,
                call.status,
                t,
                &call.body,
                &refs,
            )?;
        }
        Ok(())
    }
}

/// Every call a collector makes for the group, in its order (the contract of
/// `crate::gitlab`).
fn calls(w: &world::World, config: &Config) -> Calls {
    let mut c = Calls { list: Vec::new() };
    let window = &w.window;
    let mut projects: Vec<usize> = (0..w.projects.len()).collect();
    projects.sort_by_key(|p| w.projects[*p].path());
    c.list(
        &gitlab::group_projects(GROUP),
        projects
            .iter()
            .map(|p| render::project(w, &w.projects[*p]))
            .collect(),
    );
    for p in projects {
        let path = w.projects[p].path();
        c.list(&gitlab::branches(&path), render::branches(w, p));
        let listed = render::merge_requests(w, p);
        c.list(&gitlab::merge_requests(&path, window), listed.clone());
        let mut carried: BTreeSet<String> = BTreeSet::new();
        for item in &listed {
            if !gitlab::in_population(
                item,
                |b| config.scope.is_production_branch(b, "main"),
                window,
            ) {
                continue;
            }
            let Some(m) = w
                .mrs
                .iter()
                .find(|m| m.project == p && Some(m.iid) == item.get("iid").and_then(Value::as_u64))
            else {
                continue;
            };
            c.get(
                &gitlab::mr_approvals(&path, m.iid),
                200,
                &render::approvals(w, m),
            );
            let commits = render::mr_commits(w, m);
            carried.extend(gitlab::carried_commits(item, &commits));
            c.list(&gitlab::mr_commits(&path, m.iid), commits);
            c.list(&gitlab::mr_versions(&path, m.iid), render::versions(w, m));
            let pipelines = render::pipelines(w, m);
            let head = gitlab::head_pipeline(&pipelines, m.head());
            c.list(&gitlab::mr_pipelines(&path, m.iid), pipelines);
            if let (Some(id), Some((jobs_of, jobs))) = (head, render::head_jobs(w, m))
                && id == jobs_of
            {
                c.list(&gitlab::pipeline_jobs(&path, id), jobs);
            }
        }
        let branch_commits = render::branch_commits(w, p);
        let mut looked_up: BTreeSet<String> = BTreeSet::new();
        let lookups: Vec<String> = branch_commits
            .iter()
            .filter_map(|c| c.get("id").and_then(Value::as_str))
            .filter(|sha| !carried.contains(*sha))
            .map(str::to_string)
            .collect();
        c.list(
            &gitlab::branch_commits(&path, "main", window),
            branch_commits,
        );
        for sha in lookups {
            if looked_up.insert(sha.clone()) {
                c.list(
                    &gitlab::commit_merge_requests(&path, &sha),
                    render::commit_merge_requests(w, p, &sha),
                );
            }
        }
        c.list(
            &gitlab::protected_branches(&path),
            render::protected_branches(w, p),
        );
        c.list(&gitlab::approval_rules(&path), render::approval_rules(w, p));
        c.get(
            &gitlab::project_approvals(&path),
            200,
            &render::project_approvals(w, p),
        );
        let environments = render::environments(w, p);
        c.list(&gitlab::environments(&path), environments);
        c.list(
            &gitlab::protected_environments(&path),
            render::protected_environments(w, p),
        );
        for (e, (_, name, _)) in w.projects[p].environments.iter().enumerate() {
            if !config.scope.is_production_environment(name) {
                continue;
            }
            let listed = render::deployments(w, p, e);
            c.list(&gitlab::deployments(&path, name, window), listed.clone());
            let mut deployed = Vec::new();
            for item in &listed {
                if !gitlab::deployment_needs_detail(item, window) {
                    continue;
                }
                let id = item.get("id").and_then(Value::as_u64).unwrap_or_default();
                if let Some(d) = w.deployments.iter().find(|d| d.id == id) {
                    c.get(
                        &gitlab::deployment(&path, id),
                        200,
                        &render::deployment(w, d),
                    );
                    deployed.push(d.sha.clone());
                }
            }
            for sha in deployed {
                if !carried.contains(&sha) && looked_up.insert(sha.clone()) {
                    c.list(
                        &gitlab::commit_merge_requests(&path, &sha),
                        render::commit_merge_requests(w, p, &sha),
                    );
                }
            }
        }
        c.keyset(
            &gitlab::project_audit_events(&path, window),
            render::project_audit_events(w, p),
        );
        c.list(
            &gitlab::project_members(&path),
            render::project_members(w, p),
        );
        c.list(&gitlab::deploy_keys(&path), render::deploy_keys(w, p));
    }
    c.list(&gitlab::group_members(GROUP), render::group_members(w));
    c.keyset(
        &gitlab::audit_events(GROUP, window),
        render::audit_events(w),
    );
    c
}

fn expected(
    control: &str,
    kind: &str,
    repo: &str,
    subject_type: SubjectType,
    subject: &str,
    why: String,
) -> ExpectedException {
    ExpectedException {
        id: Exception::make_id(control, repo, subject_type, subject, kind),
        control: control.into(),
        kind: kind.into(),
        repo: repo.into(),
        subject_type: subject_type.as_str().into(),
        subject: subject.into(),
        why,
        waived: false,
    }
}

/// The ground truth, from the planting intent (`world.rs`) and the plan's own records.
fn truth(w: &world::World) -> GroundTruth {
    let mut exceptions = Vec::new();
    for m in &w.mrs {
        let repo = w.projects[m.project].path();
        for p in &m.plants {
            exceptions.push(expected(
                p.control,
                p.kind,
                &repo,
                SubjectType::Change,
                &m.iid.to_string(),
                format!("!{}: {}", m.iid, p.why),
            ));
        }
    }
    for (p, sha, why) in &w.direct_pushes {
        exceptions.push(expected(
            "CM-05",
            "direct_push",
            &w.projects[*p].path(),
            SubjectType::Commit,
            sha,
            why.clone(),
        ));
    }
    for d in &w.deployments {
        let repo = w.projects[d.project].path();
        for p in &d.plants {
            exceptions.push(expected(
                p.control,
                p.kind,
                &repo,
                SubjectType::Deployment,
                &d.id.to_string(),
                format!("deployment {}: {}", d.id, p.why),
            ));
        }
    }
    // Branch protection of `main` at the snapshot.
    exceptions.push(expected(
        "CM-10",
        "weak_protection",
        "globex/billing",
        SubjectType::Branch,
        "main",
        "Maintainers may push to main, and approvals are kept on push".into(),
    ));
    exceptions.push(expected(
        "CM-10",
        "unprotected_branch",
        "globex/ops",
        SubjectType::Branch,
        "main",
        "main is not a protected branch".into(),
    ));
    // Access.
    exceptions.push(expected(
        "AC-02",
        "terminated_with_access",
        GROUP,
        SubjectType::Account,
        "gwright",
        "terminated 2026-09-15, still a group member".into(),
    ));
    exceptions.push(expected(
        "AC-02",
        "unmapped_account",
        GROUP,
        SubjectType::Account,
        "hpatel-contractor",
        "group member HR never registered".into(),
    ));
    exceptions.push(expected(
        "AC-03",
        "excess_org_owners",
        GROUP,
        SubjectType::Org,
        GROUP,
        "three group owners; the policy allows two".into(),
    ));
    exceptions.push(expected(
        "AC-03",
        "outside_collaborator_write",
        "globex/storefront",
        SubjectType::Account,
        "ext-auditor",
        "no group member, Developer on globex/storefront".into(),
    ));
    exceptions.push(expected(
        "AC-04",
        "write_deploy_key",
        "globex/ops",
        SubjectType::DeployKey,
        "302",
        "deploy key `terraform-write` can push".into(),
    ));
    exceptions.sort_by(|a, b| a.id.cmp(&b.id));

    let mut tricky = vec![TrickyCase {
        repo: "globex/storefront".into(),
        subject_type: SubjectType::Change.as_str().into(),
        subject: w
            .mrs
            .iter()
            .find(|m| m.project == 0 && m.approvals.len() == 2)
            .map(|m| m.iid.to_string())
            .unwrap_or_default(),
        why: "approved by its author and by another developer: the other approval is independent"
            .into(),
    }];
    if let Some(d) = w
        .deployments
        .iter()
        .find(|d| d.status == "failed" && d.plants.is_empty())
    {
        tricky.push(TrickyCase {
            repo: w.projects[d.project].path(),
            subject_type: SubjectType::Deployment.as_str().into(),
            subject: d.id.to_string(),
            why: "failed, redeployed successfully two hours later".into(),
        });
    }
    let in_window = |t: Timestamp| w.window.contains(t);
    let changes = w.mrs.iter().filter(|m| in_window(m.merged_at)).count() as u64;
    let commits: BTreeSet<(usize, &str)> = (0..w.projects.len())
        .flat_map(|p| {
            render::main_commits(w, p)
                .into_iter()
                .map(move |c| (p, c.sha.as_str()))
        })
        .collect();
    let deployments = w
        .deployments
        .iter()
        .filter(|d| in_window(d.created_at))
        .count() as u64;
    let members = w.users.iter().filter(|u| u.group_level > 0).count() as u64;
    GroundTruth {
        schema: GROUND_TRUTH_SCHEMA.into(),
        exceptions,
        tricky,
        populations: Populations {
            changes,
            branch_commits: commits.len() as u64,
            deployments,
            // Group members plus the outside collaborator.
            org_accounts: members + 1,
            accounts: members + 1,
            credentials: w.projects.iter().map(|p| p.deploy_keys.len() as u64).sum(),
            access_changes: 0,
            judged_by_cm09: w
                .mrs
                .iter()
                .filter(|m| m.labels.contains(&"hotfix"))
                .count() as u64,
            production_branches: w.projects.len() as u64,
        },
    }
}

/// The example group's window (for tests that need it without a locker).
pub fn window() -> Result<Window, LockerError> {
    Ok(config()?.audit.window.window())
}
