//! The example GitLab group `globex`: plain data, planned from a seed.
//!
//! | project | merges | protection of `main` | environments |
//! |---|---|---|---|
//! | globex/storefront | merge commits | push: no one; 1 approval (rule for all protected branches); approvals reset on push; pipelines must succeed | production (protected: Taro Nakamura approves), staging |
//! | globex/billing | squash, fast-forward | push: Maintainers (a weak protection); 1 approval; approvals kept on push; pipelines must succeed | production (protected: Taro Nakamura approves) |
//! | globex/ops | fast-forward | none | prod-eu (unprotected) |
//!
//! Ordinary merge requests are clean by construction: one author who writes every commit,
//! one approval by another developer after the last push, a passing head pipeline, a
//! merge on a weekday, and (storefront, billing) a deployment half an hour later created
//! by `globex-deployer` and approved by Taro Nakamura, who authors nothing. The planted
//! cases (`plant`) break exactly one rule each, and the truth lists what each must raise.

use chrono::{Datelike, Duration, TimeZone, Utc, Weekday};

use crate::locker::Window;
use crate::model::Timestamp;

use super::super::rng::Rng;

pub const API_URL: &str = "https://gitlab.example.com/api/v4";
pub const WEB_URL: &str = "https://gitlab.example.com";
pub const SOURCE: &str = "gitlab-globex";
pub const GROUP: &str = "globex";
pub const GROUP_ID: u64 = 42;

#[derive(Debug, Clone)]
pub struct User {
    pub id: u64,
    pub username: &'static str,
    pub name: &'static str,
    pub email: &'static str,
    /// Access level in the group (50 owner, 40 maintainer, 30 developer); 0: no group
    /// membership.
    pub group_level: u64,
}

/// (username, name, email, group access level)
const USERS: &[(&str, &str, &str, u64)] = &[
    (
        "mkowalski",
        "Marta Kowalski",
        "marta.kowalski@globex.example",
        50,
    ),
    (
        "zlukasiewicz",
        "Zoë Łukasiewicz",
        "zoe.lukasiewicz@globex.example",
        50,
    ),
    (
        "tnakamura",
        "Taro Nakamura",
        "taro.nakamura@globex.example",
        50,
    ),
    (
        "afernandes",
        "Ana Fernandes",
        "ana.fernandes@globex.example",
        40,
    ),
    ("bokafor", "Bola Okafor", "bola.okafor@globex.example", 30),
    (
        "cdubois",
        "Claire Dubois",
        "claire.dubois@globex.example",
        30,
    ),
    ("dnguyen", "Duc Nguyen", "duc.nguyen@globex.example", 30),
    (
        "eschmidt",
        "Erik Schmidt",
        "erik.schmidt@globex.example",
        30,
    ),
    ("gwright", "Grace Wright", "grace.wright@globex.example", 30),
    (
        "hpatel-contractor",
        "Hari Patel",
        "hari.patel@contractor.example",
        30,
    ),
    (
        "globex-deployer",
        "Globex Deployer",
        "deployer@globex.example",
        30,
    ),
    ("ext-auditor", "Kim Berg", "kim.berg@auditfirm.example", 0),
];

pub const DEPLOY_APPROVER: usize = 2;
pub const DEPLOYER: usize = 10;
pub const OUTSIDER: usize = 11;
/// Authors and approvers of ordinary merge requests.
const DEVELOPERS: &[usize] = &[0, 1, 3, 4, 5, 6];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MergeMethod {
    /// A merge commit on the target branch (parents: the branch, the MR head).
    Merge,
    /// The MR's commits squashed into one commit, fast-forwarded.
    Squash,
    /// The MR's commits fast-forwarded onto the branch as they are.
    FastForward,
}

#[derive(Debug, Clone)]
pub struct Project {
    pub id: u64,
    pub name: &'static str,
    pub merge: MergeMethod,
    /// Push access level of the protected `main` (0 no one, 40 maintainers); `None`: the
    /// branch is not protected.
    pub main_push_level: Option<u64>,
    /// Approvals required by the project's approval rule (for all protected branches).
    pub approval_rule: Option<u64>,
    pub reset_approvals_on_push: bool,
    pub pipelines_must_succeed: bool,
    /// (environment id, name, protected with an approval rule for Taro Nakamura)
    pub environments: Vec<(u64, &'static str, bool)>,
    /// (key id, title, can push)
    pub deploy_keys: Vec<(u64, &'static str, bool)>,
    /// Whether its merge requests are deployed, each half an hour after its merge.
    pub deploys_each_merge: bool,
}

impl Project {
    pub fn path(&self) -> String {
        format!("{GROUP}/{}", self.name)
    }
}

#[derive(Debug, Clone)]
pub struct Commit {
    pub sha: String,
    pub message: String,
    pub author: usize,
    pub committer: usize,
    pub authored_at: Timestamp,
    pub committed_at: Timestamp,
    pub parents: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Pipeline {
    pub id: u64,
    pub sha: String,
    /// `success` or `failed`.
    pub status: &'static str,
    pub created_at: Timestamp,
    /// (job id, name, status)
    pub jobs: Vec<(u64, &'static str, &'static str)>,
}

#[derive(Debug, Clone)]
pub struct Plant {
    pub control: &'static str,
    pub kind: &'static str,
    pub why: String,
}

#[derive(Debug, Clone)]
pub struct MergeRequest {
    pub project: usize,
    pub id: u64,
    pub iid: u64,
    pub title: String,
    pub author: usize,
    pub created_at: Timestamp,
    pub commits: Vec<Commit>,
    /// (version id, pushed at, head sha), oldest first: one push per commit.
    pub versions: Vec<(u64, Timestamp, String)>,
    /// (user, approved at)
    pub approvals: Vec<(usize, Timestamp)>,
    pub pipelines: Vec<Pipeline>,
    pub merged_at: Timestamp,
    pub merge_user: usize,
    pub labels: Vec<&'static str>,
    pub merge_commit_sha: Option<String>,
    pub squash_commit_sha: Option<String>,
    pub plants: Vec<Plant>,
}

impl MergeRequest {
    pub fn head(&self) -> &str {
        self.commits.last().map(|c| c.sha.as_str()).unwrap_or("")
    }

    /// The commit this MR put on its target branch last (what a deployment ships).
    pub fn landed(&self) -> &str {
        self.merge_commit_sha
            .as_deref()
            .or(self.squash_commit_sha.as_deref())
            .unwrap_or_else(|| self.head())
    }
}

#[derive(Debug, Clone)]
pub struct Deployment {
    pub project: usize,
    pub id: u64,
    pub iid: u64,
    pub environment: usize,
    pub sha: String,
    pub created_at: Timestamp,
    pub finished_at: Timestamp,
    /// `success` or `failed`.
    pub status: &'static str,
    pub user: usize,
    /// (user, approved at)
    pub approvals: Vec<(usize, Timestamp)>,
    pub plants: Vec<Plant>,
}

#[derive(Debug, Clone)]
pub struct World {
    pub window: Window,
    pub snapshot: Timestamp,
    pub users: Vec<User>,
    pub projects: Vec<Project>,
    pub mrs: Vec<MergeRequest>,
    /// Per project: commits on `main` in order (MR commits and direct pushes).
    pub main: Vec<Vec<Commit>>,
    /// (project, sha, why) of commits pushed to `main` without a merge request.
    pub direct_pushes: Vec<(usize, String, String)>,
    pub deployments: Vec<Deployment>,
}

fn users() -> Vec<User> {
    USERS
        .iter()
        .enumerate()
        .map(|(i, (username, name, email, level))| User {
            id: 1000 + i as u64,
            username,
            name,
            email,
            group_level: *level,
        })
        .collect()
}

fn projects() -> Vec<Project> {
    vec![
        Project {
            id: 101,
            name: "storefront",
            merge: MergeMethod::Merge,
            main_push_level: Some(0),
            approval_rule: Some(1),
            reset_approvals_on_push: true,
            pipelines_must_succeed: true,
            environments: vec![(201, "production", true), (202, "staging", false)],
            deploy_keys: vec![(301, "ci-readonly", false)],
            deploys_each_merge: true,
        },
        Project {
            id: 102,
            name: "billing",
            merge: MergeMethod::Squash,
            main_push_level: Some(40),
            approval_rule: Some(1),
            reset_approvals_on_push: false,
            pipelines_must_succeed: true,
            environments: vec![(203, "production", true)],
            deploy_keys: Vec::new(),
            deploys_each_merge: true,
        },
        Project {
            id: 103,
            name: "ops",
            merge: MergeMethod::FastForward,
            main_push_level: None,
            approval_rule: None,
            reset_approvals_on_push: false,
            pipelines_must_succeed: false,
            environments: vec![(204, "prod-eu", false)],
            deploy_keys: vec![(302, "terraform-write", true)],
            deploys_each_merge: false,
        },
    ]
}

/// What a planned merge request departs from the ordinary in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Twist {
    None,
    SelfApproved,
    Unapproved,
    /// Labelled `hotfix`, merged without approval (GitLab cannot approve a merged MR).
    UnreviewedHotfix,
    /// Approved, then another commit pushed before the merge.
    ApprovedBeforeLastPush,
    FailedPipeline,
    NoPipeline,
    /// Approved by its author and by another developer: still independently approved.
    AuthorAndOtherApproved,
}

pub struct Gen {
    rng: Rng,
    window: Window,
    next_id: u64,
}

impl Gen {
    fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// A weekday of the window (from its second week to its last) at 07:00–13:00 UTC
    /// (09:00–15:00 in Berlin).
    fn workday(&mut self) -> Timestamp {
        loop {
            let day = self.rng.range(5, 86);
            let t = self.window.start + Duration::days(day);
            if matches!(t.weekday(), Weekday::Sat | Weekday::Sun) {
                continue;
            }
            return t
                + Duration::hours(self.rng.range(7, 12))
                + Duration::minutes(self.rng.range(0, 59));
        }
    }

    fn other_than(&mut self, author: usize) -> usize {
        loop {
            let u = *self.rng.pick(DEVELOPERS);
            if u != author {
                return u;
            }
        }
    }
}

fn plant(control: &'static str, kind: &'static str, why: &str) -> Plant {
    Plant {
        control,
        kind,
        why: why.to_string(),
    }
}

/// Plans the group.
pub fn build(seed: u64, window: Window, snapshot: Timestamp) -> World {
    let mut g = Gen {
        rng: Rng::stream(seed, "gitlab"),
        window,
        next_id: 5000,
    };
    let projects = projects();
    // (project, twist) of every merge request, ordinary ones first.
    let mut planned: Vec<(usize, Twist)> = Vec::new();
    for (p, n) in [(0usize, 14usize), (1, 10), (2, 6)] {
        planned.extend(std::iter::repeat_n((p, Twist::None), n));
    }
    planned.extend([
        (0, Twist::SelfApproved),
        (0, Twist::Unapproved),
        (0, Twist::UnreviewedHotfix),
        (0, Twist::AuthorAndOtherApproved),
        (1, Twist::ApprovedBeforeLastPush),
        (1, Twist::FailedPipeline),
        (2, Twist::Unapproved),
        (2, Twist::NoPipeline),
    ]);
    let mut mrs: Vec<MergeRequest> = planned
        .into_iter()
        .map(|(project, twist)| merge_request(&mut g, &projects, project, twist))
        .collect();
    // iids in merge order per project, like a project's history.
    mrs.sort_by_key(|m| (m.project, m.merged_at));
    let mut iid = [0u64; 3];
    for mr in &mut mrs {
        iid[mr.project] += 1;
        mr.iid = iid[mr.project] + 10;
    }
    let mut main: Vec<Vec<Commit>> = vec![Vec::new(); projects.len()];
    let mut direct_pushes = Vec::new();
    land(&mut g, &projects, &mut mrs, &mut main);
    // A commit pushed straight to ops' unprotected main.
    {
        let at = Utc
            .with_ymd_and_hms(2026, 8, 19, 10, 12, 0)
            .single()
            .unwrap_or(window.start);
        let parents = main[2]
            .iter()
            .rev()
            .find(|c| c.committed_at < at)
            .map(|c| vec![c.sha.clone()])
            .unwrap_or_default();
        let sha = g.rng.sha();
        main[2].push(Commit {
            sha: sha.clone(),
            message: "Raise the EU worker pool size".into(),
            author: 6,
            committer: 6,
            authored_at: at - Duration::minutes(3),
            committed_at: at,
            parents,
        });
        main[2].sort_by_key(|c| c.committed_at);
        direct_pushes.push((
            2,
            sha,
            "pushed straight to ops' unprotected main by dnguyen, no merge request".to_string(),
        ));
    }
    let deployments = deployments(&mut g, &projects, &mrs);
    World {
        window,
        snapshot,
        users: users(),
        projects,
        mrs,
        main,
        direct_pushes,
        deployments,
    }
}

fn merge_request(g: &mut Gen, projects: &[Project], project: usize, twist: Twist) -> MergeRequest {
    let author = *g.rng.pick(DEVELOPERS);
    let merged_at = g.workday();
    let created_at = merged_at - Duration::hours(g.rng.range(20, 70));
    let n = g.rng.range(1, 3) as usize;
    let mut commits = Vec::new();
    let mut versions = Vec::new();
    let span = (merged_at - created_at).num_minutes() - 180;
    for k in 0..n {
        let at = created_at + Duration::minutes(span * k as i64 / n as i64 + 10);
        let sha = g.rng.sha();
        commits.push(Commit {
            sha: sha.clone(),
            message: format!("{} ({}/{n})", title(g), k + 1),
            author,
            committer: author,
            authored_at: at - Duration::minutes(7),
            committed_at: at,
            parents: Vec::new(),
        });
        let version = g.id();
        versions.push((version, at + Duration::minutes(1), sha));
    }
    let last_push = versions.last().map(|v| v.1).unwrap_or(created_at);
    let approver = g.other_than(author);
    let mut approvals = vec![(approver, last_push + Duration::minutes(50))];
    let mut labels = Vec::new();
    let mut plants = Vec::new();
    let pipeline_status = if twist == Twist::FailedPipeline {
        "failed"
    } else {
        "success"
    };
    let path = projects[project].path();
    match twist {
        Twist::None => {}
        Twist::SelfApproved => {
            approvals = vec![(author, last_push + Duration::minutes(30))];
            plants.push(plant(
                "CM-01",
                "self_approval",
                "approved only by its author",
            ));
        }
        Twist::Unapproved => {
            approvals.clear();
            plants.push(plant("CM-01", "no_approval", "merged without any approval"));
        }
        Twist::UnreviewedHotfix => {
            approvals.clear();
            labels.push("hotfix");
            plants.push(plant(
                "CM-09",
                "emergency_unreviewed",
                "hotfix merged without approval; GitLab cannot approve a merged MR, so no review followed",
            ));
        }
        Twist::ApprovedBeforeLastPush => {
            // The approval came after the first push; another commit followed it and
            // billing keeps approvals on push.
            let first = versions[0].1;
            approvals = vec![(approver, first + Duration::minutes(20))];
            let at = first + Duration::minutes(90);
            let sha = g.rng.sha();
            commits.push(Commit {
                sha: sha.clone(),
                message: "Address review comments".into(),
                author,
                committer: author,
                authored_at: at - Duration::minutes(5),
                committed_at: at,
                parents: Vec::new(),
            });
            let version = g.id();
            versions.push((version, at + Duration::minutes(1), sha));
            plants.push(plant(
                "CM-02",
                "stale_approval",
                "the only approval predates the last push (approvals are kept on push in billing)",
            ));
        }
        Twist::FailedPipeline => {
            plants.push(plant(
                "CM-03",
                "checks_failed",
                "merged with its head pipeline failed",
            ));
        }
        Twist::NoPipeline => {
            plants.push(plant(
                "CM-03",
                "checks_missing",
                "merged with no pipeline for its head commit",
            ));
        }
        Twist::AuthorAndOtherApproved => {
            approvals.insert(0, (author, last_push + Duration::minutes(20)));
        }
    }
    // Every push of the branch ran a pipeline; the MR's list is newest first.
    let mut pipelines = Vec::new();
    if twist != Twist::NoPipeline {
        for (k, (_, at, sha)) in versions.iter().enumerate() {
            let last = k + 1 == versions.len();
            let status = if last { pipeline_status } else { "success" };
            let id = g.id();
            let build = g.id();
            let test = g.id();
            pipelines.push(Pipeline {
                id,
                sha: sha.clone(),
                status,
                created_at: *at + Duration::seconds(20),
                jobs: vec![
                    (build, "build", "success"),
                    (
                        test,
                        "test",
                        if status == "failed" {
                            "failed"
                        } else {
                            "success"
                        },
                    ),
                ],
            });
        }
        pipelines.reverse();
    }
    // Protection requires an approval and a passing pipeline in storefront and billing:
    // a merge without them went around it.
    let p = &projects[project];
    let unapproved = matches!(
        twist,
        Twist::SelfApproved | Twist::Unapproved | Twist::UnreviewedHotfix
    );
    if (p.approval_rule.is_some() && unapproved)
        || (p.pipelines_must_succeed && twist == Twist::FailedPipeline)
    {
        plants.push(plant(
            "CM-04",
            "protection_bypassed",
            &format!(
                "{path} requires an approval and a passing pipeline; this MR merged without them"
            ),
        ));
    }
    let merge_user = if author == 3 { 0 } else { 3 };
    let title = title(g);
    MergeRequest {
        project,
        id: g.id(),
        iid: 0,
        title,
        author,
        created_at,
        commits,
        versions,
        approvals,
        pipelines,
        merged_at,
        merge_user,
        labels,
        merge_commit_sha: None,
        squash_commit_sha: None,
        plants,
    }
}

fn title(g: &mut Gen) -> String {
    const VERBS: &[&str] = &["Add", "Fix", "Refactor", "Speed up", "Document", "Harden"];
    const THINGS: &[&str] = &[
        "checkout totals",
        "invoice export",
        "cart session handling",
        "VAT rounding",
        "retry policy",
        "payment webhooks",
        "metrics labels",
        "search indexing",
    ];
    format!("{} {}", g.rng.pick(VERBS), g.rng.pick(THINGS))
}

/// Puts each MR's commits on its project's `main`, in merge order, by its project's
/// merge method.
fn land(g: &mut Gen, projects: &[Project], mrs: &mut [MergeRequest], main: &mut [Vec<Commit>]) {
    for mr in mrs.iter_mut() {
        let p = mr.project;
        let tip = main[p].last().map(|c| c.sha.clone());
        match projects[p].merge {
            MergeMethod::Merge => {
                // The MR branch starts from the tip; a merge commit joins it back.
                let mut parent = tip.clone();
                for c in &mut mr.commits {
                    c.parents = parent.iter().cloned().collect();
                    parent = Some(c.sha.clone());
                }
                let sha = g.rng.sha();
                main[p].push(Commit {
                    sha: sha.clone(),
                    message: format!("Merge branch 'mr-{}' into 'main'", mr.iid),
                    author: mr.merge_user,
                    committer: mr.merge_user,
                    authored_at: mr.merged_at,
                    committed_at: mr.merged_at,
                    parents: tip.into_iter().chain(Some(mr.head().to_string())).collect(),
                });
                mr.merge_commit_sha = Some(sha);
            }
            MergeMethod::Squash => {
                let mut parent = tip.clone();
                for c in &mut mr.commits {
                    c.parents = parent.iter().cloned().collect();
                    parent = Some(c.sha.clone());
                }
                let sha = g.rng.sha();
                main[p].push(Commit {
                    sha: sha.clone(),
                    message: mr.title.clone(),
                    author: mr.author,
                    committer: mr.merge_user,
                    authored_at: mr
                        .commits
                        .first()
                        .map(|c| c.authored_at)
                        .unwrap_or(mr.merged_at),
                    committed_at: mr.merged_at,
                    parents: tip.into_iter().collect(),
                });
                mr.squash_commit_sha = Some(sha);
            }
            MergeMethod::FastForward => {
                // The MR's commits go onto the branch as they are.
                let mut parent = tip;
                for c in &mut mr.commits {
                    c.parents = parent.iter().cloned().collect();
                    parent = Some(c.sha.clone());
                    main[p].push(c.clone());
                }
            }
        }
    }
}

fn deployments(g: &mut Gen, projects: &[Project], mrs: &[MergeRequest]) -> Vec<Deployment> {
    let mut out = Vec::new();
    let mut iid = [0u64; 3];
    let mut add = |g: &mut Gen, project: usize, environment: usize, sha: String, at: Timestamp| {
        iid[project] += 1;
        Deployment {
            project,
            id: g.id(),
            iid: iid[project],
            environment,
            sha,
            created_at: at,
            finished_at: at + Duration::minutes(6),
            status: "success",
            user: DEPLOYER,
            approvals: vec![(DEPLOY_APPROVER, at - Duration::minutes(4))],
            plants: Vec::new(),
        }
    };
    for mr in mrs
        .iter()
        .filter(|m| projects[m.project].deploys_each_merge)
    {
        let d = add(
            g,
            mr.project,
            0,
            mr.landed().to_string(),
            mr.merged_at + Duration::minutes(30),
        );
        out.push(d);
        // A change merged without an independent approval (an unreviewed hotfix too)
        // was unapproved when it shipped.
        if mr
            .plants
            .iter()
            .any(|p| p.control == "CM-01" || p.control == "CM-09")
            && let Some(d) = out.last_mut()
        {
            d.plants.push(plant(
                "CM-06",
                "deployed_unapproved_change",
                &format!(
                    "ships !{} of {}, merged without an independent approval",
                    mr.iid,
                    projects[mr.project].path()
                ),
            ));
        }
    }
    // Planted deployments.
    let storefront: Vec<&MergeRequest> = mrs
        .iter()
        .filter(|m| m.project == 0 && m.plants.is_empty())
        .collect();
    let billing: Vec<&MergeRequest> = mrs
        .iter()
        .filter(|m| m.project == 1 && m.plants.is_empty())
        .collect();
    // Its author approved the deployment of an ordinary storefront MR.
    if let Some(mr) = storefront.get(3)
        && let Some(d) = out
            .iter_mut()
            .find(|d| d.project == 0 && d.sha == mr.landed())
    {
        d.approvals = vec![(mr.author, d.created_at - Duration::minutes(3))];
        d.plants.push(plant(
            "CM-08",
            "deployment_self_approved",
            &format!(
                "approved by {}, the author of the change it ships",
                USERS[mr.author].0
            ),
        ));
    }
    // A redeploy on a Saturday night.
    if let Some(mr) = storefront.get(5) {
        let at = Utc
            .with_ymd_and_hms(2026, 8, 22, 1, 40, 0)
            .single()
            .unwrap_or(g.window.start);
        let mut d = add(g, 0, 0, mr.landed().to_string(), at);
        d.plants.push(plant(
            "OP-01",
            "off_hours_deployment",
            "Saturday 03:40 in Berlin, no emergency change",
        ));
        out.push(d);
    }
    // A commit no merge request carries.
    {
        let at = Utc
            .with_ymd_and_hms(2026, 9, 8, 11, 5, 0)
            .single()
            .unwrap_or(g.window.start);
        let sha = g.rng.sha();
        let mut d = add(g, 1, 0, sha, at);
        d.plants.push(plant(
            "CM-06",
            "untraceable_deployment",
            "ships a commit no merge request introduced",
        ));
        out.push(d);
    }
    // Created by the outside collaborator.
    if let Some(mr) = billing.get(2) {
        let at = mr.merged_at + Duration::hours(2);
        let mut d = add(g, 1, 0, mr.landed().to_string(), at);
        d.user = OUTSIDER;
        d.plants.push(plant(
            "OP-02",
            "unknown_deployer",
            "created by ext-auditor, no group member or service account",
        ));
        out.push(d);
    }
    // A failure recovered two hours later (no exception), and one never recovered.
    if let Some(mr) = billing.get(4) {
        let at = mr.merged_at + Duration::hours(1);
        let mut failed = add(g, 1, 0, mr.landed().to_string(), at);
        failed.status = "failed";
        out.push(failed);
        let again = add(g, 1, 0, mr.landed().to_string(), at + Duration::hours(2));
        out.push(again);
    }
    if let Some(last) = billing.last() {
        let at = Utc
            .with_ymd_and_hms(2026, 9, 29, 9, 30, 0)
            .single()
            .unwrap_or(g.window.start);
        let mut d = add(g, 1, 0, last.landed().to_string(), at);
        d.status = "failed";
        d.plants.push(plant(
            "OP-03",
            "unrecovered_failure",
            "failed, and no later deployment to production succeeded",
        ));
        out.push(d);
    }
    // ops deploys to its unprotected prod-eu: nobody approves.
    if let Some(mr) = mrs
        .iter()
        .rev()
        .find(|m| m.project == 2 && m.plants.is_empty())
    {
        let at = mr.merged_at + Duration::hours(1);
        let mut d = add(g, 2, 0, mr.landed().to_string(), at);
        d.approvals.clear();
        d.plants.push(plant(
            "CM-07",
            "deployment_not_approved",
            "prod-eu has no protection: nobody approved it",
        ));
        out.push(d);
    }
    out.sort_by_key(|d| (d.project, d.created_at));
    out
}
