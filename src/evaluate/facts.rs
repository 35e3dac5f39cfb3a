//! Per-record facts, derived once and shared by every control and by the population
//! rows: who authored a change, who approved it (and which reviews do not count, and
//! why), whether an independent approval was on the head commit, the protection in force
//! and the state of the required checks; for a commit, the change that introduced it.

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::model::{
    AssociatedChange, BranchCommit, BranchProtection, Change, CheckRun, CheckState, GitIdentity,
    Review, ReviewState, Text, TimelineKind, Timestamp, login_key_text,
};

use super::context::Index;
use super::identity::{MatchedBy, is_web_flow, linked_login};
use super::population::{self, Membership, PopulationCommit};
use super::sha_index::ShaIndex;
use super::vecmap::VecMap;

/// How a person is an author of a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    PrAuthor,
    CommitAuthor(MatchedBy),
    Committer(MatchedBy),
    CoAuthor(MatchedBy),
}

impl Role {
    /// The role in a short phrase: "author", "committer", "co-author".
    pub fn noun(self) -> &'static str {
        match self {
            Role::PrAuthor => "author",
            Role::CommitAuthor(_) => "commit author",
            Role::Committer(_) => "committer",
            Role::CoAuthor(_) => "co-author",
        }
    }

    /// The role with how the identity was mapped, for exception details.
    pub fn describe(self) -> String {
        match self {
            Role::PrAuthor => "pull request author".into(),
            Role::CommitAuthor(m) | Role::Committer(m) if m == MatchedBy::Linked => {
                self.noun().into()
            }
            Role::CommitAuthor(m) | Role::Committer(m) => {
                format!("{} ({})", self.noun(), m.describe())
            }
            Role::CoAuthor(m) => format!("co-author (Co-authored-by trailer, {})", m.describe()),
        }
    }
}

impl Role {
    /// Every role, in `Ord` order: the bit positions of a [`RoleSet`].
    const ALL: [Role; 13] = {
        use MatchedBy::*;
        [
            Role::PrAuthor,
            Role::CommitAuthor(Linked),
            Role::CommitAuthor(NoreplyEmail),
            Role::CommitAuthor(KnownEmail),
            Role::CommitAuthor(LoginName),
            Role::Committer(Linked),
            Role::Committer(NoreplyEmail),
            Role::Committer(KnownEmail),
            Role::Committer(LoginName),
            Role::CoAuthor(Linked),
            Role::CoAuthor(NoreplyEmail),
            Role::CoAuthor(KnownEmail),
            Role::CoAuthor(LoginName),
        ]
    };

    fn bit(self) -> u16 {
        let position = Role::ALL.iter().position(|r| *r == self).unwrap_or(0);
        1 << position
    }
}

/// The roles of one author: a set of [`Role`]s in one word (a million changes have
/// millions of authors), iterated in `Role`'s order like a `BTreeSet<Role>`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RoleSet(u16);

impl RoleSet {
    pub fn insert(&mut self, role: Role) {
        self.0 |= role.bit();
    }

    pub fn iter(self) -> impl Iterator<Item = Role> {
        Role::ALL.into_iter().filter(move |r| self.0 & r.bit() != 0)
    }

    pub fn first(self) -> Option<Role> {
        self.iter().next()
    }
}

/// One author of a change and every way they are one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub login: Text,
    pub roles: RoleSet,
}

impl Person {
    /// The most telling role for a one-line summary (PR author first, co-author last).
    pub fn main_role(&self) -> &'static str {
        self.roles.first().map_or("author", |r| r.noun())
    }
}

/// A review that counts as an approval: APPROVED, by a human, at or before the merge,
/// and not superseded by a later request for changes from the same reviewer.
#[derive(Debug, Clone)]
pub struct Approval<'a> {
    pub review: &'a Review,
    /// The reviewer's comparison key (lower-case login).
    pub key: Text,
    pub reviewer: Text,
    pub independent: bool,
    pub on_head: bool,
}

/// Why an approval-like review does not count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetAsideWhy {
    DeletedAccount,
    Bot,
    Dismissed,
    AfterMerge,
    NoSubmissionTime,
    /// The same reviewer requested changes afterwards (and did not approve again).
    Superseded,
}

#[derive(Debug, Clone)]
pub struct SetAside<'a> {
    pub review: &'a Review,
    pub reviewer: Text,
    pub why: SetAsideWhy,
}

impl SetAside<'_> {
    /// A clause for summaries: "@alice's approval was dismissed".
    pub fn describe(&self) -> String {
        let who = &self.reviewer;
        match self.why {
            SetAsideWhy::DeletedAccount => "an approval by a deleted account does not count".into(),
            SetAsideWhy::Bot => format!("the approval by bot @{who} does not count"),
            SetAsideWhy::Dismissed => format!("@{who}'s review was dismissed"),
            SetAsideWhy::AfterMerge => format!("@{who} approved only after the merge"),
            SetAsideWhy::NoSubmissionTime => {
                format!("@{who}'s approval has no submission time")
            }
            SetAsideWhy::Superseded => {
                format!("@{who} requested changes after approving")
            }
        }
    }

    pub fn code(&self) -> &'static str {
        match self.why {
            SetAsideWhy::DeletedAccount => "deleted_account",
            SetAsideWhy::Bot => "bot",
            SetAsideWhy::Dismissed => "dismissed",
            SetAsideWhy::AfterMerge => "after_merge",
            SetAsideWhy::NoSubmissionTime => "no_submission_time",
            SetAsideWhy::Superseded => "superseded",
        }
    }
}

/// The head commit's checks against the required checks of the base branch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckFacts<'a> {
    /// The rollup in lower case (`success`, `failure` …), or `none`.
    pub state: &'static str,
    /// Whether the collected checks belong to the head commit at merge.
    pub on_head: bool,
    /// The head commit has no check run or status at all.
    pub no_checks: bool,
    /// Required checks in force on the base branch (empty without a protection record),
    /// sorted, each once: the protection's own list when it already is.
    pub required: Cow<'a, [Text]>,
    pub missing_required: Box<[Text]>,
    /// Required checks present with a conclusion other than success/neutral/skipped:
    /// (name, conclusion or `pending`).
    pub failed_required: Box<[(Text, String)]>,
    pub rollup_failing: bool,
    /// Every check that did not pass, required or not: (name, conclusion or `pending`).
    pub failing: Box<[(String, String)]>,
}

/// Everything the controls read about one change of the population.
#[derive(Debug, Clone)]
pub struct ChangeFacts<'a> {
    pub change: &'a Change,
    /// Why the change's membership could not be established (unknown repository).
    pub unplaced: Option<String>,
    /// Authors by comparison key.
    pub authors: VecMap<Text, Person>,
    pub approvals: Box<[Approval<'a>]>,
    /// Approvers (humans with a counting approval) by key → login.
    pub approvers: VecMap<Text, Text>,
    pub independent: VecMap<Text, Text>,
    pub independent_on_head: bool,
    pub set_aside: Box<[SetAside<'a>]>,
    /// Humans who reviewed but never approved, by key → (login, what they did).
    pub non_approving: VecMap<Text, (Text, &'static str)>,
    pub reviews_complete: bool,
    pub commits_complete: bool,
    pub checks_complete: bool,
    pub protection: Option<&'a BranchProtection>,
    pub checks: CheckFacts<'a>,
    pub emergency: bool,
}

impl ChangeFacts<'_> {
    pub fn subject(&self) -> String {
        format!("{}#{}", self.change.repo, self.change.number)
    }

    /// Approvals that GitHub's own protection counts: a human's approval at or before
    /// merge by anyone but the PR author (GitHub does not exclude co-authors).
    pub fn github_counted_approvers(&self) -> Vec<&str> {
        let author = self
            .change
            .author
            .as_ref()
            .map(|a| login_key_text(&a.login));
        self.approvers
            .iter()
            .filter(|(key, _)| Some(*key) != author.as_ref())
            .map(|(_, login)| login.as_str())
            .collect()
    }
}

/// Whether a check conclusion counts as passing.
pub fn passing(conclusion: &str) -> bool {
    ["success", "neutral", "skipped"]
        .iter()
        .any(|p| conclusion.eq_ignore_ascii_case(p))
}

/// Whether a check run passed (a run without a conclusion is pending: not passing).
fn run_passed(run: &CheckRun) -> bool {
    run.conclusion.as_deref().is_some_and(passing)
}

pub fn change_facts<'a>(
    index: &Index<'a>,
    change: &'a Change,
    membership: Membership,
) -> ChangeFacts<'a> {
    let incomplete = |what: &[&str]| {
        change
            .incomplete
            .iter()
            .any(|i| what.iter().any(|w| i.eq_ignore_ascii_case(w)))
    };
    let authors = authors(index, change);
    let reviews = judge_reviews(index, change, &authors);
    let protection = index.protection(&change.repo, &change.base_branch);
    let emergency = change.labels.iter().any(|l| {
        index
            .params
            .emergency_labels
            .iter()
            .any(|e| e.eq_ignore_ascii_case(l))
    });
    ChangeFacts {
        change,
        unplaced: match membership {
            Membership::Unplaced(reason) => Some(reason),
            Membership::In | Membership::Out => None,
        },
        independent_on_head: reviews.approvals.iter().any(|a| a.independent && a.on_head),
        independent: reviews
            .approvals
            .iter()
            .filter(|a| a.independent)
            .map(|a| (a.key.clone(), a.reviewer.clone()))
            .collect(),
        approvers: reviews
            .approvals
            .iter()
            .map(|a| (a.key.clone(), a.reviewer.clone()))
            .collect(),
        approvals: reviews.approvals.into(),
        set_aside: reviews.set_aside.into(),
        non_approving: reviews.non_approving,
        authors,
        reviews_complete: !incomplete(&["reviews"]),
        commits_complete: !incomplete(&["commits"]),
        checks_complete: !incomplete(&["checks", "contexts", "status_checks"]),
        checks: check_facts(change, protection),
        protection,
        emergency,
    }
}

/// The authors of a change (SPEC §2): the PR author; every commit author and committer
/// except GitHub's web-flow; every co-author trailer that maps to an account.
fn authors(index: &Index<'_>, change: &Change) -> VecMap<Text, Person> {
    let mut authors: VecMap<Text, Person> = VecMap::new();
    let mut add = |login: &Text, role: Role| {
        if login.is_empty() {
            return;
        }
        authors
            .get_or_insert_with(login_key_text(login), || Person {
                login: index.people.display(login),
                roles: RoleSet::default(),
            })
            .roles
            .insert(role);
    };
    if let Some(author) = &change.author {
        add(&author.login, Role::PrAuthor);
    }
    let mut add_identity = |id: &GitIdentity, role: fn(MatchedBy) -> Role| {
        if is_web_flow(id) {
            return;
        }
        // A linked identity, as most are, is its login (what `resolve` would answer,
        // without building the answer: four times per change).
        if let Some(login) = linked_login(id) {
            add(login, role(MatchedBy::Linked));
            return;
        }
        if let Some(resolved) = index.people.resolve(id) {
            for login in &resolved.logins {
                add(login, role(resolved.matched_by));
            }
        }
    };
    for commit in &change.commits {
        add_identity(&commit.author, Role::CommitAuthor);
        add_identity(&commit.committer, Role::Committer);
        for co in &commit.co_authors {
            add_identity(co, Role::CoAuthor);
        }
    }
    // Facts live as long as the evaluation: keep no spare room (one per change).
    authors.shrink_to_fit();
    authors
}

struct JudgedReviews<'a> {
    approvals: Vec<Approval<'a>>,
    set_aside: Vec<SetAside<'a>>,
    non_approving: VecMap<Text, (Text, &'static str)>,
}

/// Sorts the reviews into counting approvals, approvals that do not count (and why),
/// and humans who reviewed without approving.
fn judge_reviews<'a>(
    index: &Index<'a>,
    change: &'a Change,
    authors: &VecMap<Text, Person>,
) -> JudgedReviews<'a> {
    let merged_at = change.merged_at;
    let mut set_aside = Vec::new();
    // Human reviews that decided before merge: (key, time, position, review).
    let mut decided: Vec<(Text, Timestamp, usize, &'a Review)> = Vec::new();
    let mut reviewed: VecMap<Text, (Text, &'static str)> = VecMap::new();
    for (position, review) in change.reviews.iter().enumerate() {
        let approved = review.state == ReviewState::Approved;
        let Some(author) = &review.author else {
            if approved {
                set_aside.push(SetAside {
                    review,
                    reviewer: "ghost".into(),
                    why: SetAsideWhy::DeletedAccount,
                });
            }
            continue;
        };
        let reviewer = index.people.display(&author.login);
        if index.people.is_bot(author) {
            if approved {
                set_aside.push(SetAside {
                    review,
                    reviewer,
                    why: SetAsideWhy::Bot,
                });
            }
            continue;
        }
        let key = login_key_text(&author.login);
        let what = match review.state {
            ReviewState::Pending => continue,
            ReviewState::Dismissed => {
                if was_approval(change, review) {
                    set_aside.push(SetAside {
                        review,
                        reviewer: reviewer.clone(),
                        why: SetAsideWhy::Dismissed,
                    });
                }
                "had a review dismissed"
            }
            ReviewState::Commented => "only commented",
            ReviewState::ChangesRequested => "requested changes",
            ReviewState::Approved => "approved",
        };
        let entry = reviewed.get_or_insert_with(key.clone(), || (reviewer.clone(), what));
        if rank(what) > rank(entry.1) {
            entry.1 = what;
        }
        if !matches!(
            review.state,
            ReviewState::Approved | ReviewState::ChangesRequested
        ) {
            continue;
        }
        match review.submitted_at {
            Some(at) if at <= merged_at => decided.push((key, at, position, review)),
            Some(_) if approved => set_aside.push(SetAside {
                review,
                reviewer,
                why: SetAsideWhy::AfterMerge,
            }),
            None if approved => set_aside.push(SetAside {
                review,
                reviewer,
                why: SetAsideWhy::NoSubmissionTime,
            }),
            _ => {}
        }
    }
    // A reviewer's approval stands unless they requested changes after it (GitHub's
    // review decision uses each reviewer's latest approving or change-requesting review).
    let mut last_request: BTreeMap<&str, (Timestamp, usize)> = BTreeMap::new();
    for (key, at, position, review) in &decided {
        if review.state == ReviewState::ChangesRequested {
            let slot = last_request.entry(key.as_str()).or_insert((*at, *position));
            *slot = (*slot).max((*at, *position));
        }
    }
    let mut approvals = Vec::new();
    for (key, at, position, review) in &decided {
        if review.state != ReviewState::Approved {
            continue;
        }
        let reviewer = reviewed
            .get(key)
            .map_or_else(|| key.clone(), |(login, _)| login.clone());
        if last_request
            .get(key.as_str())
            .is_some_and(|last| *last > (*at, *position))
        {
            set_aside.push(SetAside {
                review,
                reviewer,
                why: SetAsideWhy::Superseded,
            });
            continue;
        }
        approvals.push(Approval {
            review,
            key: key.clone(),
            reviewer,
            independent: !authors.contains_key(key),
            on_head: review
                .commit_sha
                .as_deref()
                .is_some_and(|sha| sha.eq_ignore_ascii_case(&change.head_sha)),
        });
    }
    reviewed.retain(|key, _| !approvals.iter().any(|a| a.key == *key));
    approvals.shrink_to_fit();
    set_aside.shrink_to_fit();
    reviewed.shrink_to_fit();
    JudgedReviews {
        approvals,
        set_aside,
        non_approving: reviewed,
    }
}

/// Which of a non-approver's reviews says most about them.
fn rank(what: &str) -> u8 {
    match what {
        "requested changes" => 3,
        "only commented" => 2,
        "had a review dismissed" => 1,
        _ => 0,
    }
}

/// Whether a dismissed review had been an approval (or may have been: the timeline does
/// not always say).
fn was_approval(change: &Change, review: &Review) -> bool {
    let previous = change.timeline.iter().find_map(|event| match &event.event {
        TimelineKind::ReviewDismissed {
            review_id: Some(id),
            previous_state,
        } if *id == review.id => Some(*previous_state),
        _ => None,
    });
    match previous {
        Some(Some(state)) => state == ReviewState::Approved,
        Some(None) | None => true,
    }
}

fn check_facts<'a>(change: &Change, protection: Option<&'a BranchProtection>) -> CheckFacts<'a> {
    let checks = &change.checks;
    let conclusion = |c: &Option<Text>| {
        c.as_deref()
            .map_or_else(|| "pending".to_string(), str::to_ascii_lowercase)
    };
    let required: Cow<'a, [Text]> = match protection {
        None => Cow::Borrowed(&[]),
        Some(p) if p.required_checks.is_sorted_by(|a, b| a < b) => {
            Cow::Borrowed(&p.required_checks)
        }
        Some(p) => {
            let mut sorted = p.required_checks.clone();
            sorted.sort();
            sorted.dedup();
            Cow::Owned(sorted)
        }
    };
    let mut missing_required = Vec::new();
    let mut failed_required = Vec::new();
    for name in required.iter() {
        let mut runs = checks.runs.iter().filter(|r| r.name == *name).peekable();
        if runs.peek().is_none() {
            missing_required.push(name.clone());
            continue;
        }
        // A name reported more than once must pass every time: the API does not say
        // which run is the latest, and a failed run is evidence in itself.
        if let Some(bad) = runs.find(|r| !run_passed(r)) {
            failed_required.push((name.clone(), conclusion(&bad.conclusion)));
        }
    }
    // Only failing runs are written out (four runs a change, most passing).
    let mut failing: Vec<(String, String)> = checks
        .runs
        .iter()
        .filter(|r| !run_passed(r))
        .map(|r| (r.name.to_string(), conclusion(&r.conclusion)))
        .collect();
    failing.sort();
    failing.dedup();
    CheckFacts {
        state: checks.rollup.map_or("none", rollup_name),
        on_head: checks.sha.is_empty() || checks.sha.eq_ignore_ascii_case(&change.head_sha),
        no_checks: checks.runs.is_empty() && checks.rollup.is_none(),
        required,
        missing_required: missing_required.into(),
        failed_required: failed_required.into(),
        rollup_failing: matches!(checks.rollup, Some(CheckState::Failure | CheckState::Error)),
        failing: failing.into(),
    }
}

fn rollup_name(state: CheckState) -> &'static str {
    match state {
        CheckState::Success => "success",
        CheckState::Failure => "failure",
        CheckState::Error => "error",
        CheckState::Pending => "pending",
        CheckState::Expected => "expected",
    }
}

/// Everything CM-05 reads about one production-branch commit.
#[derive(Debug, Clone)]
pub struct CommitFacts<'a> {
    pub repo: &'a str,
    pub sha: &'a str,
    /// One record per production branch carrying the commit, default branch first.
    pub records: Vec<&'a BranchCommit>,
    pub unplaced: Option<String>,
    /// The merged production change that introduced the commit, if any.
    pub change: Option<u64>,
    /// Associated changes that do not qualify (not merged, or not into production).
    pub other_changes: Vec<&'a AssociatedChange>,
}

impl CommitFacts<'_> {
    pub fn first(&self) -> &BranchCommit {
        self.records[0]
    }

    pub fn branches(&self) -> Vec<&str> {
        self.records.iter().map(|r| r.branch.as_str()).collect()
    }

    pub fn short_sha(&self) -> &str {
        short(self.sha)
    }
}

/// The first 7 characters of a SHA, as git shows it.
pub fn short(sha: &str) -> &str {
    sha.get(..7).unwrap_or(sha)
}

pub fn commit_facts<'a>(
    index: &Index<'a>,
    by_sha: &ShaIndex<'_>,
    commit: PopulationCommit<'a>,
) -> CommitFacts<'a> {
    let mut change = None;
    let mut other_changes = Vec::new();
    for record in &commit.records {
        for associated in &record.associated_changes {
            let production = population::is_production(
                &index.repos,
                index.scope,
                commit.repo,
                &associated.base_branch,
            ) == Some(true);
            if associated.merged && production {
                change = Some(change.map_or(associated.number, |n: u64| n.min(associated.number)));
            } else if !other_changes
                .iter()
                .any(|o: &&AssociatedChange| o.number == associated.number)
            {
                other_changes.push(associated);
            }
        }
    }
    // The forge's association list is capped; the change records also show which
    // merged change carried the commit.
    let change = change.or_else(|| by_sha.lowest_number(commit.repo, commit.sha));
    other_changes.sort_by_key(|c| c.number);
    CommitFacts {
        repo: commit.repo,
        sha: commit.sha,
        records: commit.records,
        unplaced: match commit.membership {
            Membership::Unplaced(reason) => Some(reason),
            Membership::In | Membership::Out => None,
        },
        change,
        other_changes,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn passing_conclusions_are_success_neutral_and_skipped_in_any_case() {
        for yes in ["success", "SUCCESS", "Neutral", "skipped"] {
            assert!(passing(yes), "{yes}");
        }
        for no in ["cancelled", "pending", "failure", "", "successful", "skip"] {
            assert!(!passing(no), "{no}");
        }
    }

    /// The bit set iterates like the `BTreeSet<Role>` it replaced, whatever is inserted.
    #[test]
    fn role_set_orders_like_a_btreeset() {
        for mask in 0u16..(1 << 13) {
            let roles: Vec<Role> = Role::ALL
                .iter()
                .enumerate()
                .filter(|(i, _)| mask & (1 << i) != 0)
                .map(|(_, r)| *r)
                .rev()
                .collect();
            let mut ours = RoleSet::default();
            let mut std = BTreeSet::new();
            for role in &roles {
                ours.insert(*role);
                std.insert(*role);
            }
            assert_eq!(
                ours.iter().collect::<Vec<_>>(),
                std.iter().copied().collect::<Vec<_>>()
            );
            assert_eq!(ours.first(), std.first().copied());
        }
    }
}
