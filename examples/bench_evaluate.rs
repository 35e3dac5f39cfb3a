//! Benchmark of evaluation at scale: writes a SYNTHETIC locker (benchmark only — its
//! evidence.json is generated directly, with no raw responses behind it) of 1,000,000
//! merged changes and 200,000 deployments, then evaluates it step by step as
//! `pipeline::evaluate_locker` does, the trend tables (`analytics`, which `bundle` needs
//! and `changeproof evaluate` skips) timed as a step of their own, and prints wall times.
//! Peak memory is measured from outside:
//!
//! ```text
//! cargo build --release --example bench_evaluate
//! ./target/release/examples/bench_evaluate write /tmp/bench-1m 1000000 200000
//! /usr/bin/time -v ./target/release/changeproof evaluate --locker /tmp/bench-1m/locker
//! /usr/bin/time -v ./target/release/examples/bench_evaluate evaluate /tmp/bench-1m
//! ```
//!
//! Why synthetic: the example generator renders every record as GitHub API responses
//! and normalizes them (about 1 minute and 1.2 GB of raw responses per 100,000 changes),
//! and plants scenarios for ground truth that a benchmark does not need. The records
//! here have the shape the normalizer produces for GitHub: per change 1–2 reviews,
//! 1–3 commits, 4 checks, the merge event and a label; one production-branch commit
//! per change (the merge commit) plus a few direct pushes; deployments with 2–3
//! statuses and an environment approval; 40 repositories, 3,000 people. A fixed share
//! of records carries each kind of exception (self-approval, missing approval, stale
//! approval, failed checks, direct push, unapproved or failed deployment), so every
//! control has work to do. The same arguments always write the same bytes.
//!
//! `evidence.json` is streamed to disk record by record (it is several GB), in the
//! same one-record-per-line layout the locker writes (`model::write_records`).

use std::io::{BufWriter, Write};

// Evaluation of a large locker allocates tens of millions of small strings; mimalloc
// serves them markedly faster than glibc's allocator and returns memory in bulk
// (docs/benchmarks.md has the figures).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use serde::ser::{SerializeSeq, SerializeStruct};
use serde::{Serialize, Serializer};

use changeproof::analytics;
use changeproof::catalog::Catalog;
use changeproof::locker::{Locker, LockerMeta, SourceMeta, Window};
use changeproof::model::*;
use changeproof::pipeline;

const REPOS: u64 = 40;
const PEOPLE: u64 = 3_000;
const SOURCE: &str = "github-acme";

const CONFIG: &str = r#"# Synthetic benchmark locker (examples/bench_evaluate.rs): not a real organisation.
[audit]
name = "Synthetic benchmark organisation"
window = { start = "2026-07-01", end = "2026-10-01" }
timezone = "America/New_York"

[[source]]
kind = "github"
name = "github-acme"
org = "acme"

[scope]
production_branches = ["{default}", "release/*"]
production_environments = ["production", "prod-*"]

[controls]
bots = ["acme-ci"]

[access]
service_accounts = ["acme-deploy-bot"]
"#;

/// splitmix64: a self-contained, seeded generator (no dependency, same on every platform).
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A pseudo-random value in `0..n` for (stream, index).
fn pick(stream: u64, index: u64, n: u64) -> u64 {
    mix(mix(stream) ^ index) % n
}

/// A 40-hex-digit SHA for (stream, index).
fn sha(stream: u64, index: u64) -> String {
    let a = mix(mix(stream ^ 0x5EED) ^ index);
    let b = mix(a);
    let c = mix(b);
    format!("{a:016x}{b:016x}{:08x}", c >> 32)
}

fn repo(i: u64) -> String {
    format!("acme/svc-{i:02}")
}

fn person(i: u64) -> String {
    format!("dev-{i:04}")
}

fn user(login: String) -> Actor {
    Actor {
        login: login.into(),
        kind: ActorKind::User,
    }
}

fn bot(login: &str) -> Actor {
    Actor {
        login: login.into(),
        kind: ActorKind::Bot,
    }
}

fn identity(login: &str) -> GitIdentity {
    GitIdentity {
        name: format!("Developer {}", &login[4..]).into(),
        email: format!("{login}@acme.example").into(),
        login: Some(login.into()),
    }
}

fn web_flow() -> GitIdentity {
    GitIdentity {
        name: "GitHub".into(),
        email: "noreply@github.com".into(),
        login: Some("web-flow".into()),
    }
}

fn evidence_ref(stream: u64, index: u64, pointer: &str) -> Vec<EvidenceRef> {
    let page = sha(stream, index / 100);
    // A SHA-256 is 64 hex digits; `sha` gives 40.
    vec![format!("sha256:{page}{}#{pointer}/{}", &page[..24], index % 100).into()]
}

struct Plan {
    changes: u64,
    deployments: u64,
    start: DateTime<Utc>,
    /// Seconds of the window.
    span: i64,
}

impl Plan {
    fn merged_at(&self, i: u64) -> DateTime<Utc> {
        self.start + Duration::seconds((i as i64) * self.span / self.changes.max(1) as i64)
    }

    /// Change `i` (global order of merge) is number `i / REPOS + 1` of repository `i % REPOS`.
    fn change(&self, i: u64) -> Change {
        let repo_i = i % REPOS;
        let number = i / REPOS + 1;
        let repo = repo(repo_i);
        let author = person(pick(1, i, PEOPLE));
        let reviewer = person((pick(1, i, PEOPLE) + 1 + pick(2, i, PEOPLE - 1)) % PEOPLE);
        let merged_at = self.merged_at(i);
        let head = sha(3, i);
        let merge = sha(4, i);
        let kind = pick(5, i, 1000);
        let commits_n = 1 + pick(6, i, 3);
        let commits: Vec<CommitInfo> = (0..commits_n)
            .map(|c| {
                let at = merged_at - Duration::hours(3 * (commits_n - c) as i64);
                let co_author = pick(7, i, 20) == 0 && c == 0;
                CommitInfo {
                    sha: if c + 1 == commits_n {
                        head.clone().into()
                    } else {
                        sha(8, i * 4 + c).into()
                    },
                    message: if co_author {
                        format!(
                            "Work on item {number}\n\nCo-authored-by: Developer {r} <{r}@acme.example>",
                            r = &reviewer
                        ).into()
                    } else {
                        format!("Work on item {number}").into()
                    },
                    author: identity(&author),
                    committer: identity(&author),
                    co_authors: if co_author {
                        vec![GitIdentity {
                            name: format!("Developer {reviewer}").into(),
                            email: format!("{reviewer}@acme.example").into(),
                            login: None,
                        }]
                    } else {
                        vec![]
                    },
                    authored_at: at,
                    committed_at: at,
                }
            })
            .collect();
        let review = |login: String, commit: Option<String>, n: u64| Review {
            id: format!("{}", 3_000_000_000 + i * 2 + n).into(),
            author: Some(user(login)),
            state: ReviewState::Approved,
            submitted_at: Some(merged_at - Duration::minutes(30)),
            commit_sha: commit.map(Into::into),
            evidence: evidence_ref(9, i, "/data/search/nodes/reviews/nodes"),
        };
        // 0.5% no review, 0.5% self-approval, 1% stale approval, the rest approved on head
        // (a tenth of them with a second, commented review).
        let reviews = match kind {
            0..5 => vec![],
            5..10 => vec![review(author.clone(), Some(head.clone()), 0)],
            10..20 => vec![review(reviewer.clone(), Some(sha(8, i * 4)), 0)],
            _ => {
                let mut v = vec![review(reviewer.clone(), Some(head.clone()), 0)];
                if kind.is_multiple_of(10) {
                    let mut second = review(person(pick(10, i, PEOPLE)), Some(head.clone()), 1);
                    second.state = ReviewState::Commented;
                    v.push(second);
                }
                v
            }
        };
        let check = |name: &str, kind: CheckKind, conclusion: &str, app: Option<&str>| CheckRun {
            name: name.into(),
            kind,
            conclusion: Some(conclusion.into()),
            app: app.map(Into::into),
        };
        // 1% failed tests, 0.3% no checks at all.
        let (rollup, runs) = match kind {
            20..30 => (
                Some(CheckState::Failure),
                vec![
                    check(
                        "ci/build",
                        CheckKind::CheckRun,
                        "success",
                        Some("github-actions"),
                    ),
                    check(
                        "ci/test",
                        CheckKind::CheckRun,
                        "failure",
                        Some("github-actions"),
                    ),
                    check(
                        "lint",
                        CheckKind::CheckRun,
                        "success",
                        Some("github-actions"),
                    ),
                    check("codecov/project", CheckKind::StatusContext, "success", None),
                ],
            ),
            30..33 => (None, vec![]),
            _ => (
                Some(CheckState::Success),
                vec![
                    check(
                        "ci/build",
                        CheckKind::CheckRun,
                        "success",
                        Some("github-actions"),
                    ),
                    check(
                        "ci/test",
                        CheckKind::CheckRun,
                        "success",
                        Some("github-actions"),
                    ),
                    check(
                        "lint",
                        CheckKind::CheckRun,
                        "success",
                        Some("github-actions"),
                    ),
                    check("codecov/project", CheckKind::StatusContext, "success", None),
                ],
            ),
        };
        let label = match kind {
            33..38 => "hotfix",
            k if k.is_multiple_of(2) => "feature",
            _ => "bug",
        };
        Change {
            source: SOURCE.into(),
            url: format!("https://github.com/{repo}/pull/{number}").into(),
            repo: repo.into(),
            number,
            title: format!("Change {number}: update the service").into(),
            author: Some(user(author.clone())),
            base_branch: "main".into(),
            head_branch: format!("{author}/item-{number}").into(),
            created_at: merged_at - Duration::days(2),
            merged_at,
            merged_by: Some(user(author.clone())),
            merge_commit_sha: Some(merge.clone().into()),
            head_sha: head.clone().into(),
            labels: vec![label.into()],
            reviews,
            commits,
            checks: Checks {
                sha: head.into(),
                rollup,
                runs,
            },
            timeline: vec![TimelineEvent {
                at: merged_at,
                actor: Some(user(author)),
                event: TimelineKind::Merged {
                    commit: Some(merge.into()),
                    base: Some("main".into()),
                },
            }],
            incomplete: vec![],
            evidence: evidence_ref(11, i, "/data/search/nodes"),
        }
    }

    /// The merge commit of change `i` on the default branch.
    fn merge_commit(&self, i: u64) -> BranchCommit {
        let repo = repo(i % REPOS);
        let number = i / REPOS + 1;
        let author = person(pick(1, i, PEOPLE));
        let at = self.merged_at(i);
        let previous = (i >= REPOS).then(|| sha(4, i - REPOS));
        let head = sha(3, i);
        let sha = sha(4, i);
        BranchCommit {
            source: SOURCE.into(),
            url: format!("https://github.com/{repo}/commit/{sha}").into(),
            repo: repo.into(),
            branch: "main".into(),
            message_headline: format!("Merge pull request #{number}").into(),
            author: identity(&author),
            committer: web_flow(),
            authored_at: at,
            committed_at: at,
            // First parent: the repository's previous merge commit, so the branch is
            // one history (a deployment reaches every earlier change); second: the head.
            parents: previous.into_iter().chain([head]).map(Text::from).collect(),
            associated_changes: vec![AssociatedChange {
                number,
                merged: true,
                merged_at: Some(at),
                base_branch: "main".into(),
                merge_commit_sha: Some(sha.clone().into()),
            }],
            sha: sha.into(),
            evidence: evidence_ref(12, i, "/data/repository/ref/target/history/nodes"),
        }
    }

    /// A direct push (one per 2,000 changes): no associated change.
    fn direct_push(&self, k: u64) -> BranchCommit {
        let i = k * 2_000 + 1_000;
        let mut commit = self.merge_commit(i);
        let sha = sha(13, k);
        // A side commit on top of the merge it follows.
        commit.parents = vec![commit.sha.clone()];
        commit.sha = sha.clone().into();
        commit.url = format!("https://github.com/{}/commit/{sha}", commit.repo).into();
        commit.message_headline = "Quick fix".into();
        commit.committer = commit.author.clone();
        commit.associated_changes = vec![];
        commit
    }

    fn deployment(&self, j: u64) -> Deployment {
        let at =
            self.start + Duration::seconds((j as i64) * self.span / self.deployments.max(1) as i64);
        // Deploys the merge commit of a change merged shortly before (1% untraceable).
        let merged_before =
            ((at - self.start).num_seconds() as u64 * self.changes) / self.span.max(1) as u64;
        let i = merged_before.saturating_sub(1 + pick(20, j, 200));
        let repo = repo(i % REPOS);
        let kind = pick(21, j, 100);
        let sha_deployed = if kind == 0 { sha(22, j) } else { sha(4, i) };
        let environment = if j.is_multiple_of(5) {
            "prod-eu"
        } else {
            "production"
        };
        let bot_actor = bot("github-actions[bot]");
        let run = 16_000_000_000 + j;
        let log = format!("https://github.com/{repo}/actions/runs/{run}");
        let status = |state: &str, minutes: i64| DeploymentStatus {
            state: state.into(),
            created_at: at + Duration::minutes(minutes),
            creator: Some(bot_actor.clone()),
            log_url: Some(log.clone().into()),
        };
        // 3% fail.
        let statuses = if (1..4).contains(&kind) {
            vec![status("in_progress", 1), status("failure", 6)]
        } else {
            vec![
                status("in_progress", 1),
                status("success", 5),
                status("inactive", 600),
            ]
        };
        // 2% not approved.
        let approvals = if (4..6).contains(&kind) {
            vec![]
        } else {
            vec![DeploymentApproval {
                user: user(person(pick(23, j, PEOPLE))),
                state: "approved".into(),
                environments: vec![environment.into()],
                comment: String::new().into(),
                evidence: evidence_ref(24, j, ""),
            }]
        };
        Deployment {
            source: SOURCE.into(),
            id: format!("{}", 2_000_000_000 + j).into(),
            url: format!(
                "https://api.github.com/repos/{repo}/deployments/{}",
                2_000_000_000 + j
            )
            .into(),
            repo: repo.into(),
            environment: environment.into(),
            sha: sha_deployed.into(),
            ref_name: "main".into(),
            created_at: at,
            creator: Some(bot_actor),
            statuses,
            workflow_run_id: Some(run),
            approvals,
            evidence: evidence_ref(25, j, ""),
        }
    }

    fn repositories(&self) -> Vec<Repository> {
        (0..REPOS)
            .map(|r| Repository {
                source: SOURCE.into(),
                full_name: repo(r),
                default_branch: "main".into(),
                production_branches: vec!["main".into()],
                url: format!("https://github.com/{}", repo(r)),
                archived: false,
                evidence: evidence_ref(30, r, "/data/organization/repositories/nodes"),
            })
            .collect()
    }

    fn protections(&self) -> Vec<BranchProtection> {
        (0..REPOS)
            .map(|r| BranchProtection {
                source: SOURCE.into(),
                repo: repo(r),
                branch: "main".into(),
                protected: true,
                has_rulesets: false,
                require_pull_request: true,
                required_approvals: 1,
                dismiss_stale_reviews: true,
                require_code_owner_review: false,
                required_checks: vec!["ci/build".into(), "ci/test".into()],
                strict_checks: true,
                enforce_admins: true,
                allow_force_pushes: false,
                bypass_actors: vec![],
                ruleset_ids: vec![],
                evidence: evidence_ref(31, r, ""),
            })
            .collect()
    }

    fn access(&self) -> Access {
        Access {
            org_members: (0..PEOPLE)
                .map(|p| OrgMember {
                    source: SOURCE.into(),
                    org: "acme".into(),
                    login: person(p),
                    kind: ActorKind::User,
                    role: if p < 3 { "admin" } else { "member" }.into(),
                    two_factor_enabled: Some(p % 500 != 7),
                    evidence: evidence_ref(32, p, ""),
                })
                .collect(),
            ..Access::default()
        }
    }

    /// One recorded query per repository and evidence type, with its record count.
    fn queries(&self, direct_pushes: u64) -> Vec<PopulationQuery> {
        let mut queries = Vec::new();
        for r in 0..REPOS {
            let per_repo = |total: u64| total / REPOS + u64::from(r < total % REPOS);
            for (evidence_type, endpoint, records) in [
                (
                    "pull_requests",
                    "POST /graphql pull_requests",
                    per_repo(self.changes),
                ),
                (
                    "branch_commits",
                    "POST /graphql branch_commits",
                    per_repo(self.changes + direct_pushes),
                ),
                (
                    "branch_protection",
                    "GET /repos/{repo}/branches/main/protection",
                    1,
                ),
                ("rulesets", "GET /repos/{repo}/rulesets", 0),
                ("rule_suites", "GET /repos/{repo}/rulesets/rule-suites", 0),
                (
                    "deployments",
                    "GET /repos/{repo}/deployments",
                    per_repo(self.deployments),
                ),
                (
                    "deployment_statuses",
                    "GET /repos/{repo}/deployments/{id}/statuses",
                    per_repo(self.deployments),
                ),
                (
                    "deployment_approvals",
                    "GET /repos/{repo}/actions/runs/{run}/approvals",
                    per_repo(self.deployments),
                ),
            ] {
                queries.push(PopulationQuery {
                    source: SOURCE.into(),
                    evidence_type: evidence_type.into(),
                    repo: Some(repo(r)),
                    endpoint: endpoint.replace("{repo}", &repo(r)),
                    parameters: format!("repo:{}", repo(r)),
                    pages: (records / 100 + 1) as u32,
                    records,
                    total_count: Some(records),
                    responses: vec![sha(33, r)],
                });
            }
        }
        for evidence_type in [
            "audit_log",
            "org_members",
            "two_factor",
            "outside_collaborators",
            "repo_collaborators",
            "teams",
            "deploy_keys",
            "secrets",
            "repositories",
        ] {
            queries.push(PopulationQuery {
                source: SOURCE.into(),
                evidence_type: evidence_type.into(),
                repo: None,
                endpoint: format!("GET /orgs/acme/{evidence_type}"),
                parameters: String::new(),
                pages: 1,
                records: if evidence_type == "org_members" {
                    PEOPLE
                } else {
                    0
                },
                total_count: None,
                responses: vec![sha(34, 0)],
            });
        }
        queries
    }
}

/// A sequence serialized element by element from a generator, never held in memory.
struct Generated<F>(u64, F);

impl<T: Serialize, F: Fn(u64) -> T> Serialize for Generated<F> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0 as usize))?;
        for i in 0..self.0 {
            seq.serialize_element(&(self.1)(i))?;
        }
        seq.end()
    }
}

/// The evidence file, field for field in `Evidence`'s order.
struct SyntheticEvidence<'a>(&'a Plan, DateTime<Utc>);

impl Serialize for SyntheticEvidence<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let plan = self.0;
        let direct_pushes = plan.changes / 2_000;
        let mut e = s.serialize_struct("Evidence", 12)?;
        e.serialize_field("schema", EVIDENCE_SCHEMA)?;
        e.serialize_field("snapshot_time", &self.1)?;
        e.serialize_field("repositories", &plan.repositories())?;
        e.serialize_field("changes", &Generated(plan.changes, |i| plan.change(i)))?;
        e.serialize_field(
            "branch_commits",
            &Generated(plan.changes + direct_pushes, |i| {
                if i < plan.changes {
                    plan.merge_commit(i)
                } else {
                    plan.direct_push(i - plan.changes)
                }
            }),
        )?;
        e.serialize_field(
            "deployments",
            &Generated(plan.deployments, |j| plan.deployment(j)),
        )?;
        e.serialize_field("branch_protections", &plan.protections())?;
        e.serialize_field("rule_suites", &Vec::<RuleSuite>::new())?;
        e.serialize_field("audit_events", &Vec::<AuditEvent>::new())?;
        e.serialize_field("access", &plan.access())?;
        e.serialize_field("queries", &plan.queries(direct_pushes))?;
        e.serialize_field("gaps", &Vec::<Gap>::new())?;
        e.end()
    }
}

fn time(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("a fixed time")
        .with_timezone(&Utc)
}

fn write(out: &Path, changes: u64, deployments: u64) -> std::io::Result<PathBuf> {
    let locker = out.join("locker");
    if locker.exists() {
        std::fs::remove_dir_all(&locker)?;
    }
    std::fs::create_dir_all(locker.join("raw"))?;
    let start = time("2026-07-01T00:00:00Z");
    let end = time("2026-10-01T00:00:00Z");
    let snapshot = time("2026-10-05T09:00:00Z");
    let plan = Plan {
        changes,
        deployments,
        start,
        span: (end - start).num_seconds(),
    };
    let meta = LockerMeta {
        schema: changeproof::locker::LOCKER_SCHEMA.into(),
        tool_version: changeproof::TOOL_VERSION.into(),
        snapshot_time: snapshot,
        window: Window { start, end },
        sources: vec![SourceMeta {
            name: SOURCE.into(),
            kind: "github".into(),
            api_url: "https://api.github.com".into(),
            org: "acme".into(),
        }],
        complete: true,
        missing: vec![],
    };
    std::fs::write(
        locker.join("locker.json"),
        serde_json::to_vec_pretty(&meta).expect("locker.json serializes"),
    )?;
    std::fs::write(locker.join("config.toml"), CONFIG)?;
    std::fs::write(locker.join("requests.ndjson"), "")?;
    let file = std::fs::File::create(locker.join("evidence.json"))?;
    let mut w = BufWriter::with_capacity(1 << 20, file);
    changeproof::model::write_records(&mut w, &SyntheticEvidence(&plan, snapshot))?;
    w.flush()?;
    Ok(locker)
}

fn usage() -> ! {
    eprintln!(
        "usage: bench_evaluate write DIR [CHANGES] [DEPLOYMENTS]   # default 1000000 200000\n       bench_evaluate evaluate DIR [digest]"
    );
    std::process::exit(2)
}

fn main() {
    changeproof::allocator::configure();
    let args: Vec<String> = std::env::args().collect();
    let (Some(command), Some(dir)) = (args.get(1), args.get(2)) else {
        usage()
    };
    let dir = PathBuf::from(dir);
    let number = |n: usize, default: u64| {
        args.get(n)
            .map_or(Some(default), |a| a.replace('_', "").parse().ok())
            .unwrap_or_else(|| usage())
    };
    match command.as_str() {
        "write" => {
            let (changes, deployments) = (number(3, 1_000_000), number(4, 200_000));
            let started = Instant::now();
            let locker = write(&dir, changes, deployments).expect("writing the synthetic locker");
            let size = std::fs::metadata(locker.join("evidence.json")).map_or(0, |m| m.len());
            println!(
                "wrote {} ({changes} changes, {deployments} deployments, evidence.json {:.2} GB) in {:.1} s",
                locker.display(),
                size as f64 / 1e9,
                started.elapsed().as_secs_f64()
            );
        }
        "evaluate" => {
            // The steps of `pipeline::evaluate_locker` (trend tables included), timed one
            // by one.
            let started = Instant::now();
            let locker = Locker::open(dir.join("locker")).expect("a locker");
            let meta = locker.meta().expect("locker.json");
            let config = pipeline::load_config(&locker, None).expect("config.toml");
            let evidence = locker.evidence().expect("evidence.json");
            let loaded = started.elapsed().as_secs_f64();
            let catalog = Catalog::builtin().expect("the built-in catalog");
            let mut evaluation = pipeline::evaluate_evidence(&evidence, &config, &catalog, &meta);
            let evaluated = started.elapsed().as_secs_f64();
            evaluation.aggregates =
                Some(analytics::aggregate(&evidence, &config, &evaluation).expect("aggregates"));
            let total = started.elapsed().as_secs_f64();
            let f = &evaluation.findings;
            for c in &f.controls {
                println!(
                    "{:6} {:15} population {:>8} exceptions {:>6}",
                    c.id,
                    c.result.as_str(),
                    c.population,
                    c.exceptions
                );
            }
            println!(
                "{} changes, {} deployments, {} exceptions: load {loaded:.2} s, evaluate {:.2} s, aggregates {:.2} s, total {total:.2} s",
                evaluation.changes.len(),
                evidence.deployments.len(),
                f.exceptions.len(),
                evaluated - loaded,
                total - evaluated,
            );
            // `evaluate DIR digest`: a SHA-256 of the whole evaluation (findings, every
            // population row, the reconciliation, the trend tables), after the timings,
            // to check that a change to the evaluation's internals changed no result.
            if args.get(3).map(String::as_str) == Some("digest") {
                // `Sha256` is an `io::Write`: the JSON is hashed as it is written.
                let mut hasher = <sha2::Sha256 as sha2::Digest>::new();
                serde_json::to_writer(&mut hasher, &evaluation).expect("the evaluation serializes");
                println!(
                    "evaluation digest: {}",
                    changeproof::util::hex(&sha2::Digest::finalize(hasher))
                );
            }
        }
        // The plain parse `evidence.json` had before the streamed reader, for comparison.
        "load-plain" => {
            let started = Instant::now();
            let text =
                std::fs::read_to_string(dir.join("locker/evidence.json")).expect("evidence.json");
            let evidence: Evidence = serde_json::from_str(&text).expect("valid evidence");
            println!(
                "plain parse: {} changes in {:.2} s",
                evidence.changes.len(),
                started.elapsed().as_secs_f64()
            );
        }
        "load" => {
            let started = Instant::now();
            let evidence = Locker::open(dir.join("locker"))
                .expect("a locker")
                .evidence()
                .expect("evidence.json");
            println!(
                "streamed reader: {} changes in {:.2} s",
                evidence.changes.len(),
                started.elapsed().as_secs_f64()
            );
        }
        _ => usage(),
    }
}
