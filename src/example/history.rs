//! Branch histories: what each merge and push does to a branch, the way GitHub does it.
//!
//! - merge commit: the PR's commits enter the branch, then a merge commit (author: the
//!   merger, committer: web-flow) with parents [previous tip, PR head];
//! - squash: one new commit (author: the PR author, committer: web-flow);
//! - rebase: a rewritten copy of every PR commit (same author, committer web-flow,
//!   committed at the merge), the last of which GitHub reports as the merge commit.
//!
//! GitHub associates every such commit with the PR. Release branches are cut from the
//! default branch and so also hold its commits up to the cut.

use chrono::Duration;

use crate::model::Timestamp;

use super::activity::{Gen, RELEASE_CUTS};
use super::people::{Acct, GitId};
use super::rng::Rng;
use super::world::{
    AuditEvent, Branch, BranchCommit, BypassRecord, Commit, Method, Push, RuleSuite,
};

enum Event {
    Merge(usize),
    Push(usize),
}

/// Builds the production branches' histories and sets every merged PR's merge commit.
pub fn build_branches(g: &mut Gen, seed: u64) -> Vec<Branch> {
    let mut rng = Rng::stream(seed, "history");
    let mut branches: Vec<Branch> = Vec::new();
    let mut seq = 0u64;
    for repo in 0..g.repos.len() {
        if !g.repos[repo].in_scope {
            continue;
        }
        let mut bases: Vec<String> = g.repos[repo].production.clone();
        let mut others: Vec<String> = g
            .prs
            .iter()
            .filter(|p| p.repo == repo && p.merge.is_some() && !bases.contains(&p.base))
            .map(|p| p.base.clone())
            .collect();
        others.sort();
        others.dedup();
        // Merges into non-production branches only need their merge commit's sha.
        for p in g.prs.iter_mut() {
            if p.repo == repo
                && others.contains(&p.base)
                && let Some(m) = p.merge.as_mut()
            {
                m.commit = rng.sha();
            }
        }
        bases.retain(|b| !others.contains(b));
        for base in bases {
            let cut = RELEASE_CUTS.iter().find(|(name, _, _)| *name == base);
            let (start_tip, cut_from) = match cut {
                Some((_, day, hour)) => {
                    let at = g.at(*day, *hour, 0);
                    let parent = branches
                        .iter()
                        .position(|b| b.repo == repo && b.name == g.repos[repo].default_branch);
                    match parent {
                        Some(pi) => {
                            let pb = &branches[pi];
                            let last = pb.pushes.iter().rev().find(|p| p.at <= at);
                            match last {
                                Some(p) => (p.after.clone(), Some((pi, p.len_after))),
                                None => (pb.start_tip.clone(), Some((pi, 0))),
                            }
                        }
                        None => (rng.sha(), None),
                    }
                }
                None => (rng.sha(), None),
            };
            let mut branch = Branch {
                repo,
                name: base.clone(),
                commits: Vec::new(),
                cut_from,
                start_tip: start_tip.clone(),
                tip: start_tip,
                pushes: Vec::new(),
            };
            let mut events: Vec<(Timestamp, Event)> = g
                .prs
                .iter()
                .enumerate()
                .filter(|(_, p)| p.repo == repo && p.base == base)
                .filter_map(|(i, p)| p.merged_at().map(|t| (t, Event::Merge(i))))
                .chain(
                    g.pushes
                        .iter()
                        .enumerate()
                        .filter(|(_, p)| p.repo == repo && p.branch == base)
                        .map(|(i, p)| (p.at, Event::Push(i))),
                )
                .collect();
            events.sort_by_key(|(t, e)| {
                (
                    *t,
                    match e {
                        Event::Merge(i) | Event::Push(i) => *i,
                    },
                )
            });
            for (_, event) in events {
                match event {
                    Event::Merge(i) => apply_merge(g, &mut branch, i, &mut rng, &mut seq),
                    Event::Push(i) => {
                        let push = &g.pushes[i];
                        let mut commit = push.commit.clone();
                        commit.parents = vec![branch.tip.clone()];
                        let before = branch.tip.clone();
                        branch.tip = commit.sha.clone();
                        seq += 1;
                        branch.commits.push(BranchCommit {
                            commit,
                            prs: push.prs.clone(),
                            seq,
                        });
                        branch.pushes.push(Push {
                            at: push.at,
                            actor: push.pusher,
                            before,
                            after: branch.tip.clone(),
                            pr: None,
                            len_after: branch.commits.len(),
                        });
                    }
                }
            }
            branches.push(branch);
        }
    }
    branches
}

/// The branch tip at time `t` (the last update at or before it).
fn tip_at(branch: &Branch, t: Timestamp) -> String {
    branch
        .pushes
        .iter()
        .rev()
        .find(|p| p.at <= t)
        .map_or_else(|| branch.start_tip.clone(), |p| p.after.clone())
}

fn apply_merge(g: &mut Gen, branch: &mut Branch, i: usize, rng: &mut Rng, seq: &mut u64) {
    let pr = &g.prs[i];
    let Some(merge) = pr.merge.as_ref() else {
        return;
    };
    let at = merge.at;
    let before = branch.tip.clone();
    let mut new: Vec<Commit> = Vec::new();
    match merge.method {
        Method::Merge => {
            let first_time = pr.commits.first().map_or(at, |c| c.committed);
            let mut parent = tip_at(branch, first_time - Duration::minutes(1));
            for c in &pr.commits {
                let mut c = c.clone();
                c.parents = vec![parent];
                parent = c.sha.clone();
                new.push(c);
            }
            let merger = g.people.get(merge.by);
            let message = format!(
                "Merge pull request #{} from {}/{}\n\n{}",
                pr.number,
                super::world::ORG,
                pr.head_ref,
                pr.title
            );
            new.push(Commit {
                sha: rng.sha(),
                message,
                author: merger.git_identity(),
                committer: GitId::web_flow(),
                author_offset_min: 0,
                committer_offset_min: 0,
                authored: at,
                committed: at,
                parents: vec![before.clone(), pr.head_sha().to_string()],
            });
        }
        Method::Squash => {
            let author = g.people.get(pr.author);
            new.push(Commit {
                sha: rng.sha(),
                message: format!("{} (#{})", pr.title, pr.number),
                author: author.git_identity(),
                committer: GitId::web_flow(),
                author_offset_min: 0,
                committer_offset_min: 0,
                authored: at,
                committed: at,
                parents: vec![before.clone()],
            });
        }
        Method::Rebase => {
            let mut parent = before.clone();
            for c in &pr.commits {
                let sha = rng.sha();
                new.push(Commit {
                    sha: sha.clone(),
                    message: c.message.clone(),
                    author: c.author.clone(),
                    committer: GitId::web_flow(),
                    author_offset_min: c.author_offset_min,
                    committer_offset_min: 0,
                    authored: c.authored,
                    committed: at,
                    parents: vec![parent],
                });
                parent = sha;
            }
        }
    }
    let actor: Acct = merge.by;
    for commit in new {
        *seq += 1;
        branch.tip = commit.sha.clone();
        branch.commits.push(BranchCommit {
            commit,
            prs: vec![i],
            seq: *seq,
        });
    }
    branch.pushes.push(Push {
        at,
        actor,
        before,
        after: branch.tip.clone(),
        pr: Some(i),
        len_after: branch.commits.len(),
    });
    if let Some(m) = g.prs[i].merge.as_mut() {
        m.commit = branch.tip.clone();
    }
}

/// The commits the BranchHistory query returns for a branch: committer date in the
/// window, newest first (ties: the later update first), inherited commits included.
pub fn visible_commits(
    branches: &[Branch],
    b: usize,
    since: Timestamp,
    until: Timestamp,
) -> Vec<&BranchCommit> {
    let branch = &branches[b];
    let mut all: Vec<&BranchCommit> = branch.commits.iter().collect();
    if let Some((parent, count)) = branch.cut_from {
        all.extend(branches[parent].commits.iter().take(count));
    }
    all.retain(|c| c.commit.committed >= since && c.commit.committed < until);
    all.sort_by_key(|c| std::cmp::Reverse((c.commit.committed, c.seq)));
    all
}

/// Rule suites GitHub keeps (a month) for the branches rulesets protect: every push
/// there, `bypass` where a bypass actor overrode a rule.
pub fn rule_suites(g: &Gen, branches: &[Branch], seed: u64) -> Vec<RuleSuite> {
    let mut rng = Rng::stream(seed, "rule-suites");
    let since = g.snapshot - Duration::days(30);
    let mut suites = Vec::new();
    for b in branches {
        let repo = &g.repos[b.repo];
        if !matches!(
            repo.protection(&b.name),
            super::world::Protection::Rulesets { .. }
        ) {
            continue;
        }
        for push in b
            .pushes
            .iter()
            .filter(|p| p.at >= since && p.at < g.snapshot)
        {
            let bypass = push
                .pr
                .and_then(|i| g.prs[i].merge.as_ref())
                .is_some_and(|m| m.bypass == Some(BypassRecord::RuleSuite));
            suites.push(RuleSuite {
                id: 0,
                repo: b.repo,
                actor: push.actor,
                actor_name: recorded_login(g, push.actor, push.at),
                branch: b.name.clone(),
                before: push.before.clone(),
                after: push.after.clone(),
                pushed_at: push.at,
                result: if bypass { "bypass" } else { "pass" },
                evaluation_result: if bypass { "fail" } else { "pass" },
            });
        }
    }
    suites.sort_by_key(|s| (s.pushed_at, s.repo));
    let mut id = 2_418_770u64;
    for s in &mut suites {
        id += rng.range(3, 400) as u64;
        s.id = id;
    }
    suites
}

/// The login as GitHub recorded it at `at`: Grace Liu changed her login's case from
/// `graceliu` to `GraceLiu` on 2026-09-28; records written before keep the old form.
fn recorded_login(g: &Gen, who: Acct, at: Timestamp) -> String {
    let login = &g.people.get(who).login;
    if login == "GraceLiu" && at < g.at(89, 0, 0) {
        login.to_ascii_lowercase()
    } else {
        login.clone()
    }
}

/// `protected_branch.policy_override` events: owners merging or pushing over classic
/// protection, plus one older event from before the window.
pub fn audit_events(g: &Gen, seed: u64) -> Vec<AuditEvent> {
    let mut rng = Rng::stream(seed, "audit-log");
    let mut events = Vec::new();
    let web = g.repo("web");
    events.push(AuditEvent {
        at: g.at(-43, 21, 7) + Duration::milliseconds(412),
        actor: g.who("soren-ostergaard"),
        repo: web,
        branch: "main".into(),
        document_id: String::new(),
    });
    for p in &g.prs {
        if let Some(m) = p.merge.as_ref()
            && m.bypass == Some(BypassRecord::AuditLog)
        {
            events.push(AuditEvent {
                at: m.at + Duration::milliseconds(rng.range(100, 900)),
                actor: m.by,
                repo: p.repo,
                branch: p.base.clone(),
                document_id: String::new(),
            });
        }
    }
    for push in g.pushes.iter().filter(|p| p.audit_override) {
        events.push(AuditEvent {
            at: push.at + Duration::milliseconds(rng.range(100, 900)),
            actor: push.pusher,
            repo: push.repo,
            branch: push.branch.clone(),
            document_id: String::new(),
        });
    }
    events.sort_by_key(|e| e.at);
    for e in &mut events {
        e.document_id = document_id(&mut rng);
    }
    events
}

/// A 22-character URL-safe id like GitHub's `_document_id`.
pub fn document_id(rng: &mut Rng) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    (0..22).map(|_| ALPHABET[rng.index(64)] as char).collect()
}
