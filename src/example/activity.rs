//! Building blocks for the example organisation's pull requests (commits, reviews,
//! checks) and the ordinary, clean activity that fills the quarter around the planted
//! cases.
//!
//! Every ordinary PR is clean by construction: an independent human approval on the head
//! commit before merge (two on acme/payments), every check passing, merged by a member.

use std::collections::BTreeSet;

use chrono::{Datelike, Duration, Weekday};

use crate::locker::Window;
use crate::model::Timestamp;

use super::people::{Acct, GitId, Kind, OrgRole, People};
use super::rng::Rng;
use super::world::{CheckCtx, Checks, Commit, Merge, Method, Pr, Repo, Review, ReviewState};

/// Release branch cut times, as day offsets from the window start and UTC hour.
pub const RELEASE_CUTS: &[(&str, i64, i64)] =
    &[("release/2026.08", 27, 15), ("release/2026.09", 61, 15)];

/// A commit pushed straight to a branch, not through a merged PR.
#[derive(Debug, Clone)]
pub struct DirectPush {
    pub repo: usize,
    pub branch: String,
    pub at: Timestamp,
    pub pusher: Acct,
    pub commit: Commit,
    /// PRs GitHub associates with the commit (an open PR that contains it).
    pub prs: Vec<usize>,
    /// An org owner overrode classic protection: audit-log `policy_override`.
    pub audit_override: bool,
    /// Planted CM-05 exception: what was planted, in words.
    pub why: String,
}

/// The generator's working state.
pub struct Gen {
    pub rng: Rng,
    pub people: People,
    pub repos: Vec<Repo>,
    pub window: Window,
    pub snapshot: Timestamp,
    pub prs: Vec<Pr>,
    pub pushes: Vec<DirectPush>,
    /// Times no other merge into the same repository may come near (planted bypass
    /// records match merges by time).
    pub reserved: Vec<(usize, Timestamp)>,
    /// Branch-protection history and planted CM-09/CM-10/OP-04 cases.
    pub branch_plan: super::scenarios_branch::BranchPlan,
}

impl Gen {
    pub fn new(seed: u64, window: Window, snapshot: Timestamp) -> Gen {
        Gen {
            rng: Rng::stream(seed, "scenarios"),
            people: People::new(),
            repos: super::world::repos(),
            window,
            snapshot,
            prs: Vec::new(),
            pushes: Vec::new(),
            reserved: Vec::new(),
            branch_plan: Default::default(),
        }
    }

    /// `day` days after the window start (day 0 = 2026-07-01) at `h:m` UTC.
    pub fn at(&self, day: i64, h: i64, m: i64) -> Timestamp {
        self.window.start + Duration::days(day) + Duration::hours(h) + Duration::minutes(m)
    }

    pub fn repo(&self, name: &str) -> usize {
        self.repos
            .iter()
            .position(|r| r.name == name)
            .unwrap_or_else(|| panic!("the example organisation has no repository `{name}`"))
    }

    pub fn who(&self, login: &str) -> Acct {
        self.people.by_login(login)
    }

    /// A commit by `author`, committed by `committer` (`None`: GitHub's web-flow).
    pub fn commit(
        &mut self,
        author: Acct,
        committer: Option<Acct>,
        message: String,
        authored: Timestamp,
        committed: Timestamp,
    ) -> Commit {
        let a = self.people.get(author);
        let mut author_id = a.git_identity();
        let (mut committer_id, committer_offset) = match committer {
            Some(c) => {
                let c = self.people.get(c);
                (c.git_identity(), c.utc_offset_min)
            }
            None => (GitId::web_flow(), 0),
        };
        // Dmitri sometimes commits from a laptop set up with a personal address that is
        // linked to no account: GitHub resolves no user for it.
        if a.login == "dvolkov" && committer == Some(author) && self.rng.chance(30) {
            author_id = GitId {
                name: a.name.clone(),
                email: "dmitri@volkov.dev".into(),
                login: None,
            };
            committer_id = author_id.clone();
        }
        Commit {
            sha: self.rng.sha(),
            message,
            author: author_id,
            committer: committer_id,
            author_offset_min: a.utc_offset_min,
            committer_offset_min: committer_offset,
            authored,
            committed,
            parents: Vec::new(),
        }
    }

    /// `n` commits by `who` spread over `[from, to]`, the first one carrying `first`.
    pub fn commits(
        &mut self,
        who: Acct,
        n: usize,
        from: Timestamp,
        to: Timestamp,
        first: &str,
    ) -> Vec<Commit> {
        let n = n.max(1);
        let span = (to - from).num_seconds().max(n as i64);
        let mut out = Vec::with_capacity(n);
        let mut used = Vec::new();
        for i in 0..n {
            // Even spacing with jitter, so commit times strictly increase.
            let slot = span / n as i64;
            let t = from + Duration::seconds(slot * i as i64 + self.rng.range(0, slot.max(1) - 1));
            let t = if i + 1 == n { to } else { t };
            let message = if i == 0 {
                first.to_string()
            } else {
                self.follow_up_message(&mut used)
            };
            // Local commits: authored a little before they were committed (amends, rebases).
            let authored = t - Duration::seconds(self.rng.range(0, 900));
            let c = self.commit(who, Some(who), message, authored, t);
            out.push(c);
        }
        out
    }

    /// A `Co-authored-by:` value in one of the forms people write, each resolvable to the
    /// account: the noreply address, the address their own commits carry, or the login
    /// as the name with a private address.
    fn coauthor_trailer(&mut self, co: Acct) -> String {
        let a = self.people.get(co);
        match self.rng.weighted(&[40, 40, 20]) {
            0 => format!("{} <{}>", a.name, a.noreply_email()),
            1 => {
                let id = a.git_identity();
                format!("{} <{}>", id.name, id.email)
            }
            _ => format!(
                "{} <{}@fastmail.example>",
                a.login,
                a.login.to_ascii_lowercase()
            ),
        }
    }

    fn follow_up_message(&mut self, used: &mut Vec<usize>) -> String {
        const MESSAGES: &[&str] = &[
            "Add tests",
            "Address review comments",
            "Fix lint",
            "Handle empty response",
            "Rename variables for clarity",
            "Update snapshots",
            "Add missing error handling",
            "Simplify condition",
            "Tidy up",
            "Fix flaky test",
            "Update docs",
            "Add metric for the new code path",
        ];
        let mut i = self.rng.index(MESSAGES.len());
        while used.contains(&i) && used.len() < MESSAGES.len() {
            i = (i + 1) % MESSAGES.len();
        }
        used.push(i);
        MESSAGES[i].to_string()
    }

    pub fn review(
        &mut self,
        who: Acct,
        state: ReviewState,
        at: Timestamp,
        commit: Option<&str>,
    ) -> Review {
        Review {
            id: 0,
            author: who,
            state,
            submitted_at: at,
            commit: commit.map(str::to_string),
        }
    }

    /// Every check of the repository concluded successfully on the head commit.
    pub fn passing_checks(&mut self, repo: usize) -> Checks {
        let r = &self.repos[repo];
        let mut contexts: Vec<CheckCtx> = r
            .check_runs
            .iter()
            .map(|name| CheckCtx::Run {
                name: (*name).to_string(),
                conclusion: "SUCCESS",
            })
            .collect();
        // Optional jobs that did not apply: GitHub's rollup treats them as passing.
        if self.rng.chance(12) {
            let (name, conclusion) = match r.name {
                "web" => ("visual-regression", "SKIPPED"),
                "api" => ("codeql", "NEUTRAL"),
                "infra" => ("cost-estimate", "SKIPPED"),
                "payments" => ("load-test", "SKIPPED"),
                _ => ("e2e-detox", "SKIPPED"),
            };
            contexts.push(CheckCtx::Run {
                name: name.into(),
                conclusion,
            });
        }
        contexts.push(CheckCtx::Status {
            context: r.status_context.to_string(),
            state: "SUCCESS",
        });
        Checks {
            rollup: "SUCCESS",
            contexts,
        }
    }

    /// A PR with no commits or reviews yet, merged at `merged_at` by `by`.
    #[allow(clippy::too_many_arguments)]
    pub fn skeleton(
        &mut self,
        repo: usize,
        base: &str,
        author: Acct,
        title: &str,
        created_at: Timestamp,
        merged_at: Option<Timestamp>,
        by: Acct,
        method: Method,
    ) -> Pr {
        let head_ref = head_ref_for(&self.people, author, title, &mut self.rng);
        let checks = self.passing_checks(repo);
        Pr {
            repo,
            number: 0,
            title: title.to_string(),
            author,
            base: base.to_string(),
            head_ref,
            created_at,
            merge: merged_at.map(|at| Merge {
                at,
                by,
                method,
                commit: String::new(),
                bypass: None,
            }),
            labels: Vec::new(),
            commits: Vec::new(),
            reviews: Vec::new(),
            checks: Some(checks),
            timeline: Vec::new(),
            plants: Vec::new(),
            tricky: None,
            planted: true,
        }
    }

    /// Humans of the repository's team (members, not service accounts).
    pub fn team_of(&self, repo: usize) -> Vec<Acct> {
        self.people.team(self.repos[repo].team)
    }

    /// An ordinary, clean PR merged at `merged_at` into `base`.
    pub fn ordinary(&mut self, repo: usize, base: &str, merged_at: Timestamp) -> Pr {
        let rname = self.repos[repo].name;
        let team = self.team_of(repo);
        let dependency = match rname {
            "api" | "web" if self.rng.chance(7) => Some(self.people.dependabot),
            "infra" | "mobile-app" if self.rng.chance(7) => Some(self.people.renovate),
            _ => None,
        };
        let outside = self.people.outside_collaborators();
        let author = match dependency {
            Some(bot) => bot,
            None if rname == "web" && self.rng.chance(4) => outside[0],
            None => *self.rng.pick(&team),
        };
        let is_bot = self.people.get(author).kind == Kind::Bot;

        let lead_minutes = match self.rng.weighted(&[25, 35, 30, 10]) {
            0 => self.rng.range(40, 180),
            1 => self.rng.range(180, 24 * 60),
            2 => self.rng.range(24 * 60, 3 * 24 * 60),
            _ => self.rng.range(3 * 24 * 60, 8 * 24 * 60),
        };
        let created_at = merged_at - Duration::minutes(lead_minutes);
        let span = (merged_at - created_at).num_seconds();
        let last_commit = created_at + Duration::seconds(span * self.rng.range(5, 55) / 100);
        let first_commit = if is_bot {
            created_at - Duration::seconds(self.rng.range(20, 90))
        } else {
            created_at - Duration::seconds(self.rng.range(60, 4 * 3600))
        };

        let (title, labels) = if is_bot {
            dependency_title(rname, &mut self.rng)
        } else {
            (
                self.rng.pick(titles(rname)).to_string(),
                pick_labels(rname, &mut self.rng),
            )
        };
        let method = if base != self.repos[repo].default_branch {
            Method::Merge
        } else {
            merge_method(rname, &mut self.rng)
        };
        let mut pr = self.skeleton(
            repo,
            base,
            author,
            &title,
            created_at,
            Some(merged_at),
            author,
            method,
        );
        pr.planted = false;
        pr.labels = labels;
        if is_bot {
            pr.head_ref = dependency_branch(&title, author == self.people.dependabot);
        }

        // Commits.
        let n = if is_bot {
            1
        } else {
            1 + self.rng.weighted(&[30, 25, 20, 12, 8, 5])
        };
        let mut commits = if is_bot {
            let committer = if author == self.people.dependabot {
                None // dependabot commits through the API: committed by web-flow
            } else {
                Some(author)
            };
            vec![self.commit(author, committer, title.clone(), last_commit, last_commit)]
        } else {
            let first = commit_subject(&title);
            self.commits(
                author,
                n,
                first_commit.min(last_commit),
                last_commit,
                &first,
            )
        };
        // A teammate credited in a trailer now and then (resolvable: they are excluded
        // from the reviewers below like every author).
        let mut coauthors = Vec::new();
        if !is_bot && self.rng.chance(5) && team.len() > 3 {
            let co = *self.rng.pick(&team);
            if co != author {
                let trailer = self.coauthor_trailer(co);
                let c = commits.len() - 1;
                commits[c]
                    .message
                    .push_str(&format!("\n\nCo-authored-by: {trailer}"));
                coauthors.push(co);
            }
        }
        // An edit made in the web UI (committed by web-flow) now and then.
        if !is_bot && commits.len() > 1 && self.rng.chance(5) {
            let i = self.rng.range(1, commits.len() as i64 - 1) as usize;
            commits[i].committer = GitId::web_flow();
            commits[i].committer_offset_min = 0;
            commits[i].authored = commits[i].committed;
            commits[i].message = "Update README.md".into();
        }
        let head = commits.last().map(|c| c.sha.clone()).unwrap_or_default();

        // Reviews: independent humans of the team, approving the head commit.
        let mut excluded = vec![author];
        excluded.extend(coauthors.iter().copied());
        let mut pool: Vec<Acct> = team
            .iter()
            .copied()
            .filter(|a| !excluded.contains(a))
            .collect();
        self.rng.shuffle(&mut pool);
        let approvers = if rname == "payments" || self.rng.chance(10) {
            2
        } else {
            1
        };
        let approve_from = last_commit + Duration::seconds(60);
        let approve_span = (merged_at - approve_from).num_seconds().max(120);
        let mut reviews = Vec::new();
        if commits.len() > 1 && self.rng.chance(12) {
            // Changes requested on an earlier commit, then approved on the head.
            let before = &commits[commits.len() - 2];
            let from = before.committed.max(created_at);
            let at = from + Duration::seconds(((last_commit - from).num_seconds() / 2).max(1));
            let sha = before.sha.clone();
            reviews.push(self.review(pool[0], ReviewState::ChangesRequested, at, Some(&sha)));
        }
        if self.rng.chance(15) && pool.len() > approvers {
            let who = pool[approvers];
            let c = self.rng.index(commits.len());
            let at =
                commits[c].committed.max(created_at) + Duration::minutes(self.rng.range(5, 50));
            let at = at.min(merged_at - Duration::seconds(30));
            let sha = commits[c].sha.clone();
            reviews.push(self.review(who, ReviewState::Commented, at, Some(&sha)));
        }
        for (k, who) in pool.iter().take(approvers).enumerate() {
            let at = approve_from
                + Duration::seconds(
                    approve_span * (20 + 30 * k as i64 + self.rng.range(0, 25)) / 100,
                );
            let at = at.min(merged_at - Duration::seconds(20));
            reviews.push(self.review(*who, ReviewState::Approved, at, Some(&head)));
        }
        reviews.sort_by_key(|r| r.submitted_at);

        let merger =
            if is_bot || self.people.get(author).role == OrgRole::Outside || self.rng.chance(20) {
                pool[0]
            } else {
                author
            };
        if let Some(m) = pr.merge.as_mut() {
            m.by = merger;
        }
        pr.commits = commits;
        pr.reviews = reviews;
        pr
    }

    /// Ordinary PRs spread over the quarter so that about `count` merge in the window.
    pub fn fillers(&mut self, seed: u64, count: usize) {
        let mut rng = Rng::stream(seed, "fillers");
        // acme/api, infra, mobile-app, payments, sandbox, web (repo table order).
        let weights: Vec<u32> = self
            .repos
            .iter()
            .map(|r| match r.name {
                "api" => 34,
                "web" => 24,
                "payments" => 12,
                "infra" => 14,
                "mobile-app" => 16,
                _ => 0,
            })
            .collect();
        // Minutes already holding a merge or push, per repository.
        let minute = |t: Timestamp| t.timestamp().div_euclid(60);
        let mut taken: BTreeSet<(usize, i64)> = self
            .prs
            .iter()
            .filter_map(|p| p.merged_at().map(|t| (p.repo, minute(t))))
            .chain(self.pushes.iter().map(|p| (p.repo, minute(p.at))))
            .collect();
        let days = (self.window.end - self.window.start).num_days();
        // The filler's own randomness: swap the scenario stream out while generating.
        std::mem::swap(&mut self.rng, &mut rng);
        for _ in 0..count {
            let repo = self.rng.weighted(&weights);
            let mut attempts = 0;
            let merged_at = loop {
                attempts += 1;
                let day = self.rng.range(0, days - 1);
                let date = self.window.start + Duration::days(day);
                let weekend = matches!(date.weekday(), Weekday::Sat | Weekday::Sun);
                if weekend && !self.rng.chance(6) {
                    continue;
                }
                let hour = if self.rng.chance(88) {
                    self.rng.range(13, 21)
                } else {
                    self.rng.range(0, 23)
                };
                let t = date
                    + Duration::hours(hour)
                    + Duration::minutes(self.rng.range(0, 59))
                    + Duration::seconds(self.rng.range(1, 59));
                // Merges a few minutes apart at least (relaxed for huge sizes, where the
                // quarter runs out of free minutes); never near a planted bypass record.
                let crowded =
                    attempts < 40 && (-2..=2).any(|d| taken.contains(&(repo, minute(t) + d)));
                let reserved = self
                    .reserved
                    .iter()
                    .any(|(r, x)| *r == repo && (*x - t).num_minutes().abs() < 20);
                if !crowded && !reserved && self.window.contains(t) {
                    break t;
                }
            };
            taken.insert((repo, minute(merged_at)));
            let base = self.filler_base(repo, merged_at);
            let pr = self.ordinary(repo, &base, merged_at);
            self.prs.push(pr);
        }
        std::mem::swap(&mut self.rng, &mut rng);
    }

    fn filler_base(&mut self, repo: usize, merged_at: Timestamp) -> String {
        let r = &self.repos[repo];
        let default = r.default_branch.to_string();
        match r.name {
            "api" if self.rng.chance(9) => {
                // Backports go to the newest release branch cut before the merge.
                let mut base = None;
                for (name, day, hour) in RELEASE_CUTS {
                    if merged_at > self.at(*day, *hour, 0) + Duration::hours(2) {
                        base = Some((*name).to_string());
                    }
                }
                base.unwrap_or(default)
            }
            "web" if self.rng.chance(2) => "develop".into(),
            _ => default,
        }
    }

    /// PR numbers per repository in creation order, with the gaps issues and closed PRs
    /// leave; review ids in submission order across the organisation.
    pub fn number_and_ids(&mut self, seed: u64) {
        let mut rng = Rng::stream(seed, "numbers");
        for repo in 0..self.repos.len() {
            let mut idx: Vec<usize> = (0..self.prs.len())
                .filter(|i| self.prs[*i].repo == repo)
                .collect();
            idx.sort_by_key(|i| (self.prs[*i].created_at, *i));
            let mut n = self.repos[repo].first_pr_number;
            for i in idx {
                n += rng.range(1, 3) as u64;
                self.prs[i].number = n;
            }
        }
        let mut reviews: Vec<(Timestamp, usize, usize)> = Vec::new();
        for (p, pr) in self.prs.iter().enumerate() {
            for (r, review) in pr.reviews.iter().enumerate() {
                reviews.push((review.submitted_at, p, r));
            }
        }
        reviews.sort();
        let mut id = 3_184_220_000u64;
        for (_, p, r) in reviews {
            id += rng.range(40, 2_400) as u64;
            self.prs[p].reviews[r].id = id;
        }
    }
}

fn merge_method(repo: &str, rng: &mut Rng) -> Method {
    let weights: [u32; 3] = match repo {
        "api" => [60, 30, 10],
        "web" => [10, 85, 5],
        "payments" => [80, 20, 0],
        "infra" => [10, 50, 40],
        _ => [10, 90, 0],
    };
    match rng.weighted(&weights) {
        0 => Method::Merge,
        1 => Method::Squash,
        _ => Method::Rebase,
    }
}

pub fn titles(repo: &str) -> &'static [&'static str] {
    match repo {
        "api" => &[
            "Add idempotency keys to POST /v2/orders",
            "Fix N+1 query in invoice listing",
            "Paginate /v2/customers with cursors",
            "Return 409 on duplicate webhook registration",
            "Add OpenTelemetry spans to order pipeline",
            "Rate-limit partner API per client id",
            "Migrate sessions table to bigint ids",
            "Validate currency codes against ISO 4217",
            "Cache tax rates for 10 minutes",
            "Remove deprecated /v1/carts endpoints",
            "Handle context cancellation in export worker",
            "Add retry with jitter to webhook dispatcher",
            "Expose fulfilment status on orders",
            "Log request ids in structured errors",
            "Speed up customer search with a trigram index",
            "Fix time zone handling in invoice due dates",
            "Add partner scopes to OAuth tokens",
            "Move pricing engine into its own package",
            "Reject negative quantities in line items",
            "Add health check for the Redis pool",
            "Document pagination headers in the OpenAPI spec",
            "Use prepared statements in reporting queries",
            "Backfill missing shipping regions",
            "Guard against duplicate refunds",
            "Return Retry-After on 429 responses",
        ],
        "web" => &[
            "Redesign checkout address form",
            "Fix hydration warning on product page",
            "Add skeleton loaders to dashboard cards",
            "Lazy-load review carousel images",
            "Show delivery estimate on cart page",
            "Fix focus trap in mobile navigation",
            "Add German and Polish translations",
            "Move order history to server components",
            "Improve LCP of the landing page hero",
            "Track checkout funnel events",
            "Fix currency formatting for JPY",
            "Add dark mode to the customer dashboard",
            "Remove legacy jQuery widgets",
            "Debounce search suggestions",
            "Add aria labels to icon buttons",
            "Fix broken link in footer",
            "Paginate saved addresses",
            "Offer invoice PDF download",
            "Update cookie consent banner copy",
            "Handle expired sessions gracefully",
        ],
        "payments" => &[
            "Add 3-D Secure 2 challenge flow for Visa",
            "Retry payouts on transient bank errors",
            "Encrypt card fingerprints with KMS envelope keys",
            "Reconcile Adyen settlement reports daily",
            "Fix rounding in multi-currency refunds",
            "Make the capture endpoint idempotent",
            "Rotate vault tokens on card update",
            "Alert on chargeback rate above threshold",
            "Support SEPA Instant payouts",
            "Harden webhook signature verification",
            "Remove PAN fragments from debug logs",
            "Add ledger entries for partial captures",
            "Validate IBAN checksums",
            "Split payout batches by currency",
        ],
        "infra" => &[
            "Upgrade EKS node groups to 1.30",
            "Add WAF rule for /v2/orders burst traffic",
            "Raise RDS storage autoscaling limit",
            "Move Flux sources to OCI artifacts",
            "Add staging Redis cluster",
            "Tighten S3 bucket policies for exports",
            "Rotate Datadog API key via External Secrets",
            "Add budget alerts for the sandbox account",
            "Enable GuardDuty in eu-west-1",
            "Scale api HPA on request latency",
            "Pin Terraform AWS provider to 5.x",
            "Add VPC endpoint for Secrets Manager",
            "Create IAM role for payments batch jobs",
            "Enable RDS Performance Insights",
        ],
        _ => &[
            "Add biometric login on Android",
            "Fix crash when opening a deep link while logged out",
            "Cache product images for offline use",
            "Upgrade React Native to 0.75",
            "Add push notification opt-in screen",
            "Fix keyboard covering the checkout button on iOS",
            "Show order tracking map",
            "Lazy-load charts to shrink the bundle",
            "Add Sentry breadcrumbs for navigation",
            "Support Dynamic Type on iOS",
            "Prevent double submit on the payment sheet",
            "Localise onboarding for Japanese",
        ],
    }
}

fn pick_labels(repo: &str, rng: &mut Rng) -> Vec<String> {
    // Now and then an urgent fix, reviewed like any other change.
    if repo != "infra" && rng.chance(3) {
        return vec!["hotfix".into(), "bug".into()];
    }
    let pool: &[&str] = match repo {
        "api" => &[
            "bug",
            "enhancement",
            "performance",
            "tech-debt",
            "documentation",
        ],
        "web" => &["bug", "enhancement", "ui", "a11y", "i18n"],
        "payments" => &["bug", "enhancement", "pci", "reconciliation"],
        "infra" => &["terraform", "security", "cost"],
        _ => &["bug", "enhancement", "ios", "android"],
    };
    let mut labels = Vec::new();
    for _ in 0..rng.weighted(&[30, 55, 15]) {
        let l = rng.pick(pool).to_string();
        if !labels.contains(&l) {
            labels.push(l);
        }
    }
    labels
}

fn dependency_title(repo: &str, rng: &mut Rng) -> (String, Vec<String>) {
    let (bumps, labels): (&[&str], &[&str]) = match repo {
        "api" => (
            &[
                "Bump github.com/jackc/pgx/v5 from 5.6.0 to 5.7.1",
                "Bump golang.org/x/net from 0.28.0 to 0.29.0",
                "Bump google.golang.org/grpc from 1.66.0 to 1.66.2",
                "Bump github.com/redis/go-redis/v9 from 9.6.1 to 9.6.2",
            ],
            &["dependencies", "go"],
        ),
        "web" => (
            &[
                "Bump next from 14.2.5 to 14.2.13",
                "Bump axios from 1.7.2 to 1.7.7",
                "Bump @sentry/nextjs from 8.26.0 to 8.30.0",
                "Bump postcss from 8.4.41 to 8.4.47",
            ],
            &["dependencies", "javascript"],
        ),
        "infra" => (
            &[
                "chore(deps): update terraform aws to v5.64.0",
                "chore(deps): update helm release cert-manager to v1.15.3",
                "chore(deps): update terraform google to v6.2.0",
            ],
            &["dependencies"],
        ),
        _ => (
            &[
                "chore(deps): update dependency react-native-reanimated to v3.15.1",
                "chore(deps): update dependency @react-navigation/native to v6.1.18",
                "chore(deps): update dependency typescript to v5.6.2",
            ],
            &["dependencies"],
        ),
    };
    (
        rng.pick(bumps).to_string(),
        labels.iter().map(|l| l.to_string()).collect(),
    )
}

fn dependency_branch(title: &str, dependabot: bool) -> String {
    let slug = slugify(title);
    if dependabot {
        format!("dependabot/{}", slug.trim_start_matches("bump-"))
    } else {
        format!("renovate/{}", slug.trim_start_matches("chore-deps-update-"))
    }
}

/// The first commit's subject: the title in the imperative, without a PR suffix.
fn commit_subject(title: &str) -> String {
    title.to_string()
}

fn head_ref_for(people: &People, author: Acct, title: &str, rng: &mut Rng) -> String {
    let prefix = if title.starts_with("Fix") {
        "fix"
    } else {
        *rng.pick(&["feature", "feat", "chore"])
    };
    let login = people.get(author).login.to_ascii_lowercase();
    let mut slug = slugify(title);
    if slug.len() > 40 {
        // Cut at a word boundary, as people shorten branch names.
        let cut = slug[..40].rfind('-').unwrap_or(40);
        slug.truncate(cut);
    }
    if rng.chance(30) {
        format!("{login}/{slug}")
    } else {
        format!("{prefix}/{slug}")
    }
}

pub fn slugify(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == '.' {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}
