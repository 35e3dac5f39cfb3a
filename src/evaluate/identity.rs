//! Who is who: bots, GitHub's web-flow committer, and the mapping of git identities
//! (commit authors, committers, `Co-authored-by:` trailers) to accounts.
//!
//! A git identity is only a name and an email; the forge links some of them to an
//! account. An identity the forge did not link still counts as a person when the
//! evidence lets us map it (SPEC §2, "authors of a change"):
//! (a) a GitHub noreply email names the login; (b) the email appears elsewhere in the
//! evidence on an identity the forge linked; (c) the name equals a login seen in the
//! evidence. Unmappable identities are ignored: they cannot match a reviewer's login.

use std::collections::BTreeSet;

use crate::util::{FastHashMap, lower};

use crate::config::ControlParams;
use crate::model::{Actor, ActorKind, Evidence, GitIdentity, Text, login_key};

/// How a git identity was mapped to an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum MatchedBy {
    /// The forge linked the identity to the account.
    Linked,
    /// `12345+login@users.noreply.github.com` or `login@users.noreply.github.com`.
    NoreplyEmail,
    /// The email appears in the evidence on an identity linked to the account.
    KnownEmail,
    /// The name is the account's login.
    LoginName,
}

impl MatchedBy {
    pub fn describe(self) -> &'static str {
        match self {
            MatchedBy::Linked => "linked by GitHub",
            MatchedBy::NoreplyEmail => "matched by noreply email",
            MatchedBy::KnownEmail => "matched by an email known from other commits",
            MatchedBy::LoginName => "matched by name equal to a login",
        }
    }
}

/// An identity mapped to accounts (normally one; an email linked to several accounts
/// maps to all of them, so none escapes the author check).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// Logins as first seen in the evidence, sorted by their comparison key.
    pub logins: Vec<Text>,
    pub matched_by: MatchedBy,
}

/// The accounts the evidence knows about, and the bot list in force.
#[derive(Debug, Clone, Default)]
pub struct People {
    config_bots: BTreeSet<String>,
    /// Lower-cased email → login keys of linked identities carrying it (only looked
    /// up, so hashed: every identity of every commit is looked up here).
    email_logins: FastHashMap<String, BTreeSet<String>>,
    /// Login key → the login as first seen.
    known_logins: FastHashMap<String, Text>,
}

const NOREPLY_DOMAIN: &str = "@users.noreply.github.com";
const WEB_FLOW_LOGIN: &str = "web-flow";
const WEB_FLOW_EMAIL: &str = "noreply@github.com";

impl People {
    pub fn build(evidence: &Evidence, params: &ControlParams) -> People {
        let mut people = People {
            config_bots: params.bots.iter().map(|b| login_key(b)).collect(),
            ..People::default()
        };
        people.collect(evidence);
        people
    }

    fn see_login(&mut self, login: &str) {
        if login.is_empty() {
            return;
        }
        // Most logins are seen many times: look up before allocating a key.
        let key = lower(login);
        if !self.known_logins.contains_key(key.as_ref()) {
            self.known_logins
                .insert(key.into_owned(), Text::from(login));
        }
    }

    fn see_actor(&mut self, actor: Option<&Actor>) {
        if let Some(actor) = actor {
            self.see_login(&actor.login);
        }
    }

    /// [`People::see_actor`], skipped when the login is the one `last` saw: a change's
    /// author is usually also its merger and the actor of its events, and a login read
    /// from the locker is one shared string within a record ([`crate::model::interning`]).
    fn see_actor_once<'e>(&mut self, actor: Option<&'e Actor>, last: &mut Option<&'e Text>) {
        if let Some(actor) = actor {
            if last.is_some_and(|l| Text::ptr_eq(l, &actor.login)) {
                return;
            }
            self.see_login(&actor.login);
            *last = Some(&actor.login);
        }
    }

    /// [`People::see_identity`], skipped when login and email are those `last` saw (a
    /// commit's author and committer usually are; see [`People::see_actor_once`]).
    fn see_identity_once<'e>(&mut self, id: &'e GitIdentity, last: &mut Option<&'e GitIdentity>) {
        if let Some(seen) = *last {
            let same_login = match (&seen.login, &id.login) {
                (Some(a), Some(b)) => Text::ptr_eq(a, b),
                (None, None) => true,
                _ => false,
            };
            if same_login && Text::ptr_eq(&seen.email, &id.email) {
                return;
            }
        }
        self.see_identity(id);
        *last = Some(id);
    }

    fn see_identity(&mut self, id: &GitIdentity) {
        let Some(login) = linked_login(id) else {
            return;
        };
        self.see_login(login);
        if is_web_flow(id) {
            return;
        }
        let email = lower(id.email.trim());
        if email.is_empty() {
            return;
        }
        let key = lower(login);
        match self.email_logins.get_mut(email.as_ref()) {
            Some(keys) => {
                if !keys.contains(key.as_ref()) {
                    keys.insert(key.into_owned());
                }
            }
            None => {
                self.email_logins
                    .insert(email.into_owned(), BTreeSet::from([key.into_owned()]));
            }
        }
    }

    fn collect(&mut self, evidence: &Evidence) {
        // What was seen last: a repeat of it changes nothing (seeing is idempotent).
        let mut actor = None;
        let mut identity = None;
        for change in &evidence.changes {
            self.see_actor_once(change.author.as_ref(), &mut actor);
            self.see_actor_once(change.merged_by.as_ref(), &mut actor);
            for review in &change.reviews {
                self.see_actor_once(review.author.as_ref(), &mut actor);
            }
            for event in &change.timeline {
                self.see_actor_once(event.actor.as_ref(), &mut actor);
            }
            for commit in &change.commits {
                self.see_identity_once(&commit.author, &mut identity);
                self.see_identity_once(&commit.committer, &mut identity);
                for co in &commit.co_authors {
                    self.see_identity_once(co, &mut identity);
                }
            }
        }
        for commit in &evidence.branch_commits {
            self.see_identity_once(&commit.author, &mut identity);
            self.see_identity_once(&commit.committer, &mut identity);
        }
        for deployment in &evidence.deployments {
            self.see_actor(deployment.creator.as_ref());
            for status in &deployment.statuses {
                self.see_actor(status.creator.as_ref());
            }
            for approval in &deployment.approvals {
                self.see_login(&approval.user.login);
            }
        }
        for suite in &evidence.rule_suites {
            if let Some(actor) = &suite.actor {
                self.see_login(actor);
            }
        }
        for event in &evidence.audit_events {
            if let Some(actor) = &event.actor {
                self.see_login(actor);
            }
        }
        let access = &evidence.access;
        for m in &access.org_members {
            self.see_login(&m.login);
        }
        for c in &access.outside_collaborators {
            self.see_login(&c.login);
        }
        for c in &access.repo_collaborators {
            self.see_login(&c.login);
        }
        for team in &access.teams {
            for member in &team.members {
                self.see_login(member);
            }
        }
    }

    /// Bots never count as reviewers or approvers: account type Bot, a login ending in
    /// `[bot]`, or a login listed in config `bots`.
    pub fn is_bot(&self, actor: &Actor) -> bool {
        actor.kind == ActorKind::Bot || self.is_bot_login(&actor.login)
    }

    pub fn is_bot_login(&self, login: &str) -> bool {
        // Asked for every reviewer and deployer: no key allocated for a lower-case login.
        let key = lower(login);
        key.ends_with("[bot]") || self.config_bots.contains(key.as_ref())
    }

    /// The login as first seen in the evidence (logins are case-insensitive).
    pub fn display(&self, login: &str) -> Text {
        // Logins are mostly lower-case already: look up without allocating a key then.
        let found = if login.bytes().any(|b| b.is_ascii_uppercase()) {
            self.known_logins.get(&login_key(login))
        } else {
            self.known_logins.get(login)
        };
        found.cloned().unwrap_or_else(|| Text::from(login))
    }

    /// Login keys of the accounts an email belongs to, by the evidence: a GitHub noreply
    /// address names its login; any other address counts when the forge linked it to an
    /// account on a commit in the evidence (AC-02 joins the HR roster by email this way).
    pub fn logins_with_email(&self, email: &str) -> Vec<String> {
        let email = email.trim().to_ascii_lowercase();
        if let Some(login) = noreply_login(&email) {
            return vec![login_key(login)];
        }
        self.email_logins
            .get(&email)
            .map(|keys| keys.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Maps a git identity to accounts, or `None` when nothing in the evidence links it.
    /// The rules are tried in order; the first that matches decides: a [`linked_login`]
    /// (which `facts::authors` takes directly, without building the answer), a noreply
    /// email, an email known from linked identities, a name equal to a login.
    pub fn resolve(&self, id: &GitIdentity) -> Option<Resolved> {
        if let Some(login) = linked_login(id) {
            return Some(Resolved {
                logins: vec![self.display(login)],
                matched_by: MatchedBy::Linked,
            });
        }
        let email = id.email.trim().to_ascii_lowercase();
        if let Some(login) = noreply_login(&email) {
            return Some(Resolved {
                logins: vec![self.display(login)],
                matched_by: MatchedBy::NoreplyEmail,
            });
        }
        if let Some(keys) = self.email_logins.get(&email) {
            return Some(Resolved {
                logins: keys.iter().map(|k| self.display(k)).collect(),
                matched_by: MatchedBy::KnownEmail,
            });
        }
        let name = login_key(id.name.trim());
        self.known_logins.get(&name).map(|login| Resolved {
            logins: vec![login.clone()],
            matched_by: MatchedBy::LoginName,
        })
    }
}

/// The account the forge linked a git identity to, if any: the identity's login as
/// recorded ([`People::resolve`]'s first rule).
pub fn linked_login(id: &GitIdentity) -> Option<&Text> {
    id.login.as_ref().filter(|l| !l.is_empty())
}

/// GitHub's own committer of web-made and squash/rebase merge commits: not a person.
pub fn is_web_flow(id: &GitIdentity) -> bool {
    id.login
        .as_deref()
        .is_some_and(|l| l.eq_ignore_ascii_case(WEB_FLOW_LOGIN))
        || id.email.trim().eq_ignore_ascii_case(WEB_FLOW_EMAIL)
}

/// The login a GitHub noreply email names: `12345+login@…` or `login@…`.
fn noreply_login(email: &str) -> Option<&str> {
    let local = email.strip_suffix(NOREPLY_DOMAIN)?;
    let login = match local.split_once('+') {
        Some((id, login)) if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) => login,
        Some(_) => return None,
        None => local,
    };
    (!login.is_empty()).then_some(login)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(name: &str, email: &str, login: Option<&str>) -> GitIdentity {
        GitIdentity {
            name: name.into(),
            email: email.into(),
            login: login.map(Text::from),
        }
    }

    #[test]
    fn noreply_emails_name_the_login() {
        assert_eq!(
            noreply_login("12345+bob@users.noreply.github.com"),
            Some("bob")
        );
        assert_eq!(noreply_login("bob@users.noreply.github.com"), Some("bob"));
        assert_eq!(noreply_login("x+bob@users.noreply.github.com"), None);
        assert_eq!(noreply_login("bob@example.com"), None);
        assert_eq!(noreply_login("@users.noreply.github.com"), None);
    }

    #[test]
    fn web_flow_is_recognised_by_login_or_email() {
        assert!(is_web_flow(&id("GitHub", "noreply@github.com", None)));
        assert!(is_web_flow(&id("GitHub", "x@y", Some("Web-Flow"))));
        assert!(!is_web_flow(&id("Bob", "bob@acme.test", Some("bob"))));
    }

    /// Collecting skips an actor or identity that repeats the one before it by shared
    /// storage: on evidence read as the locker reads it (strings shared), what it
    /// collects equals seeing every actor and identity.
    #[test]
    fn collecting_with_shared_strings_sees_what_seeing_everything_sees() {
        use crate::evaluate::testkit::{Kit, linked, pr, unlinked};
        let mut kit = Kit::new();
        let carol = || linked("Carol C", "carol@acme.test", "Carol");
        kit.add(
            pr(1)
                .author("Carol")
                .commit(carol(), carol())
                // Same login, another email; same email, another login; no login.
                .commit(linked("Carol C", "c@home.test", "Carol"), carol())
                .commit(linked("Carol C", "carol@acme.test", "dave"), carol())
                .commit(unlinked("Carol C", "carol@acme.test"), carol())
                .commit(
                    linked("Eve", "EVE@acme.test", "Eve"),
                    linked("Eve", "eve@home.test", "eve"),
                ),
        );
        kit.add(pr(2).author("dave").commit(carol(), carol()));
        let json = serde_json::to_vec(&kit.evidence).unwrap();
        let shared: Evidence = crate::model::interning(|| serde_json::from_slice(&json).unwrap());
        let change = &shared.changes[0];
        assert!(Text::ptr_eq(
            &change.commits[1].author.email,
            &change.commits[1].committer.email
        ));

        let params = &kit.config.controls;
        let collected = People::build(&shared, params);
        let mut everything = People {
            config_bots: collected.config_bots.clone(),
            ..People::default()
        };
        for change in &shared.changes {
            let actors = [change.author.as_ref(), change.merged_by.as_ref()];
            let reviewers = change.reviews.iter().map(|r| r.author.as_ref());
            let events = change.timeline.iter().map(|e| e.actor.as_ref());
            for actor in actors.into_iter().chain(reviewers).chain(events) {
                everything.see_actor(actor);
            }
            for commit in &change.commits {
                everything.see_identity(&commit.author);
                everything.see_identity(&commit.committer);
                commit
                    .co_authors
                    .iter()
                    .for_each(|co| everything.see_identity(co));
            }
        }
        for commit in &shared.branch_commits {
            everything.see_identity(&commit.author);
            everything.see_identity(&commit.committer);
        }
        assert_eq!(collected.known_logins, everything.known_logins);
        assert_eq!(collected.email_logins, everything.email_logins);
        assert_eq!(
            collected.email_logins["carol@acme.test"],
            BTreeSet::from(["carol".to_owned(), "dave".to_owned()])
        );
        assert!(collected.email_logins.contains_key("c@home.test"));
    }

    #[test]
    fn resolution_rules_apply_in_order() {
        let mut people = People::default();
        people.see_identity(&id("Carol C", "carol@acme.test", Some("Carol")));
        people.see_login("dave");
        let r = people.resolve(&id("x", "carol@ACME.test", None)).unwrap();
        assert_eq!(r.logins, vec!["Carol"]);
        assert_eq!(r.matched_by, MatchedBy::KnownEmail);
        let r = people
            .resolve(&id("x", "1+carol@users.noreply.github.com", None))
            .unwrap();
        assert_eq!(
            (r.logins[0].as_str(), r.matched_by),
            ("Carol", MatchedBy::NoreplyEmail)
        );
        let r = people.resolve(&id("DAVE", "d@home.test", None)).unwrap();
        assert_eq!(
            (r.logins[0].as_str(), r.matched_by),
            ("dave", MatchedBy::LoginName)
        );
        assert_eq!(people.resolve(&id("Eve", "eve@home.test", None)), None);
        // A linked identity is its login as first seen, whatever its email says
        // (`facts::authors` takes linked identities this way without calling resolve).
        let r = people
            .resolve(&id("x", "1+dave@users.noreply.github.com", Some("CAROL")))
            .unwrap();
        assert_eq!(
            (r.logins, r.matched_by),
            (vec![people.display("CAROL")], MatchedBy::Linked)
        );
        assert_eq!(people.display("CAROL"), "Carol");
    }

    #[test]
    fn bots_by_type_suffix_or_config() {
        let people = People {
            config_bots: ["acme-ci".to_string()].into(),
            ..People::default()
        };
        let user = |login: &str| Actor {
            login: login.into(),
            kind: ActorKind::User,
        };
        assert!(people.is_bot(&user("renovate[bot]")));
        assert!(people.is_bot(&user("ACME-CI")));
        assert!(people.is_bot(&Actor {
            login: "copilot".into(),
            kind: ActorKind::Bot
        }));
        assert!(!people.is_bot(&user("alice")));
    }
}
