//! A planted pull request too large for one page of `MergedPullRequests`: more labels,
//! reviews, commits, head-commit checks and timeline events than the query's nested
//! pages hold, so a collector must fetch the rest per pull request (the follow-up
//! queries of `crate::github::PullRequestConnection`).
//!
//! It is clean and a tricky case: its only approval is its last review and its required
//! check `build` comes after the per-package jobs, both beyond the first page, so a tool
//! that read only that page would see an unapproved, unchecked change (or an incomplete
//! one).

use chrono::Duration;

use super::activity::Gen;
use super::world::{CheckCtx, Method, ReviewState, Timeline};
use crate::github::PullRequestConnection;

/// Plants the case (one line in `scenarios::plant_all`).
pub fn plant_overflowing_pr(g: &mut Gen) {
    let over = |c: PullRequestConnection| c.first_page() + 5;
    let created = g.at(49, 8, 10);
    let merged = g.at(51, 15, 40);
    let repo = g.repo("web");
    let author = g.who("hschaefer");
    let reviewer = g.who("tomas-obriain");
    let title = "Move the storefront to design tokens";
    let mut p = g.skeleton(
        repo,
        "main",
        author,
        title,
        created,
        Some(merged),
        author,
        Method::Squash,
    );
    let last_commit = merged - Duration::hours(3);
    p.commits = g.commits(
        author,
        over(PullRequestConnection::Commits),
        created - Duration::minutes(50),
        last_commit,
        title,
    );
    // Comments along the way, then one approval of the head.
    let comments = over(PullRequestConnection::Reviews);
    for i in 0..comments {
        let at = created + Duration::minutes(20 * i as i64 + 5);
        let r = g.review(reviewer, ReviewState::Commented, at, None);
        p.reviews.push(r);
    }
    let head = p.head_sha().to_string();
    let r = g.review(
        reviewer,
        ReviewState::Approved,
        merged - Duration::minutes(40),
        Some(&head),
    );
    p.reviews.push(r);
    // Per-package jobs first: the repository's own checks come after the first page.
    if let Some(checks) = p.checks.as_mut() {
        let mut contexts: Vec<CheckCtx> = (1..=over(PullRequestConnection::Checks))
            .map(|i| CheckCtx::Run {
                name: format!("tokens/package-{i:02}"),
                conclusion: "SUCCESS",
            })
            .collect();
        contexts.append(&mut checks.contexts);
        checks.contexts = contexts;
    }
    p.labels = (1..=over(PullRequestConnection::Labels))
        .map(|i| format!("design-tokens/part-{i:02}"))
        .collect();
    // Rebased onto main again and again before review: force pushes, all before the
    // last commit (the approval is on the final head).
    let pushes = over(PullRequestConnection::Timeline);
    for i in 0..pushes {
        p.timeline.push(Timeline::ForcePushed {
            at: created + Duration::minutes(15 * i as i64 + 3),
            actor: author,
            before: None,
            after: None,
        });
    }
    p.tricky = Some(format!(
        "more labels, reviews ({}), commits ({}), checks and timeline events than one GraphQL page holds: the only approval (@tomas-obriain, on the head) is review {} and the required check `build` is beyond the first {} check contexts, so both are only seen through the per-PR follow-up queries",
        p.reviews.len(),
        p.commits.len(),
        p.reviews.len(),
        PullRequestConnection::Checks.first_page()
    ));
    g.prs.push(p);
}
