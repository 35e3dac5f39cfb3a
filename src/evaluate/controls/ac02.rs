//! AC-02: every account with access is a current person or an approved service
//! account, joined against the HR roster.
//!
//! Bots: an app's bot account (type Bot, or a login ending in `[bot]`) is an app
//! installation, governed where apps are installed, not a person or credential a roster
//! can list: it passes and its row says `app bot`. A *user* account run by automation
//! (even one in `[controls] bots`, which only stops it counting as an approver) holds a
//! credential like any person and must be listed in `[access].service_accounts` or in the
//! roster.

use serde_json::json;

use crate::evaluate::access::{OrgAccount, RosterMatch, terminated_before};
use crate::evaluate::context::Context;
use crate::evaluate::outcome::{Finding, Judgement, Outcome};
use crate::findings::{Detail, SubjectType};

use super::ac01::{ACCOUNTS, account_caveats};
use super::{ControlDef, detail_map};

kinds! {
    pub enum Kind {
        TerminatedWithAccess => "terminated_with_access",
        UnmappedAccount => "unmapped_account",
    }
}

pub const DEF: ControlDef = ControlDef {
    id: "AC-02",
    kinds: Kind::NAMES,
    population: ACCOUNTS,
    run,
};

const NO_ROSTER: &str =
    "no HR roster is configured (`[access].hr_roster`), so accounts cannot be joined to people";

fn run(ctx: &Context<'_>) -> Outcome {
    let mut outcome = Outcome::new(account_caveats(ctx, &["repo_collaborators"]));
    for account in &ctx.access.accounts {
        outcome.record(
            format!("{}/@{}", account.org, account.login),
            judge(ctx, account),
        );
    }
    outcome
}

fn access_words(account: &OrgAccount<'_>) -> String {
    let mut parts = Vec::new();
    match account.role() {
        "owner" => parts.push(format!("owner of {}", account.org)),
        "member" => parts.push(format!("member of {}", account.org)),
        _ => {}
    }
    if account.outside.is_some() {
        parts.push(format!("outside collaborator of {}", account.org));
    }
    let repos: Vec<String> = account
        .direct
        .iter()
        .map(|c| format!("{} on {}", c.permission, c.repo))
        .collect();
    if !repos.is_empty() {
        parts.push(repos.join(", "));
    }
    parts.join("; ")
}

fn judge(ctx: &Context<'_>, account: &OrgAccount<'_>) -> Judgement {
    let finding = |kind: Kind, summary: String, extra: Vec<(&str, serde_json::Value)>| {
        let mut d = detail_map([
            ("affiliation", json!(account.affiliation())),
            ("role", json!(account.role())),
            (
                "direct_repos",
                json!(
                    account
                        .direct
                        .iter()
                        .map(|c| json!({"repo": c.repo, "permission": c.permission}))
                        .collect::<Vec<_>>()
                ),
            ),
        ]);
        for (k, v) in extra {
            d.insert(k.to_string(), v);
        }
        Judgement::Fail(vec![Finding {
            kind: kind.as_str(),
            repo: account.org.clone(),
            subject_type: SubjectType::Account,
            subject: account.login.clone(),
            summary,
            url: format!("https://github.com/{}", account.login),
            evidence: account.evidence(),
            detail: Detail::new(&d),
        }])
    };
    match &account.roster {
        RosterMatch::NoRoster => Judgement::Untested(NO_ROSTER.into()),
        RosterMatch::AppBot | RosterMatch::ServiceAccount => Judgement::Pass,
        RosterMatch::Login(row) | RosterMatch::Email(row) => {
            if !terminated_before(row, ctx.access.snapshot_date()) {
                return Judgement::Pass;
            }
            let date = row
                .termination_date
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default();
            finding(
                Kind::TerminatedWithAccess,
                format!(
                    "@{} ({}, terminated {date} per HR roster line {}) still has access: {}",
                    account.login,
                    row.name,
                    row.line,
                    access_words(account)
                ),
                vec![
                    ("roster_line", json!(row.line)),
                    ("roster_name", json!(row.name)),
                    ("termination_date", json!(date)),
                    ("matched_by", json!(account.roster.name())),
                ],
            )
        }
        RosterMatch::Unmatched => finding(
            Kind::UnmappedAccount,
            format!(
                "@{} is in neither the HR roster nor the service accounts, yet has access: {}",
                account.login,
                access_words(account)
            ),
            Vec::new(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use crate::evaluate::testkit::*;
    use crate::findings::ResultKind;

    fn acct(login: &str, kind: &str) -> (String, String) {
        (format!("acme/account/{login}"), kind.to_string())
    }

    fn org(kit: &mut Kit) {
        kit.access_lists();
        kit.member("alice", "admin", Some(true));
        kit.member("Bob", "member", Some(true));
        kit.member("acme-deploy-bot", "member", Some(true));
        kit.member("acme-ci", "member", Some(true));
        kit.outside("carol", Some(true));
        kit.collaborator("acme/api", "carol", "read");
        kit.collaborator("acme/api", "renovate[bot]", "write");
        kit.config.access.service_accounts = vec!["ACME-deploy-bot".into()];
    }

    #[test]
    fn no_roster_is_not_tested_with_the_reason() {
        let mut kit = Kit::new();
        org(&mut kit);
        let eval = kit.run();
        let r = eval.result("AC-02");
        assert_eq!(
            (r.result, r.population, r.tested),
            (ResultKind::NotTested, 6, 0)
        );
        assert!(
            r.reason
                .as_deref()
                .unwrap()
                .contains("no HR roster is configured")
        );
        assert_eq!(eval.accounts[0].roster_match, "no roster");
    }

    #[test]
    fn terminated_before_the_snapshot_and_unmapped_accounts_are_exceptions() {
        let mut kit = Kit::new();
        org(&mut kit);
        // The snapshot is 2026-10-05T09:00Z.
        kit.roster(
            "alice,alice@acme.io,Alice,terminated,2026-10-04\n\
             bob,,Bob B,active,\n\
             ,carol@agency.example,Carol,contractor,\n",
        );
        let eval = kit.run();
        // carol's roster row has only an email the evidence never links to her login;
        // acme-ci is a bot by `[controls] bots` but no listed service account.
        assert_eq!(
            eval.kinds("AC-02"),
            [
                acct("acme-ci", "unmapped_account"),
                acct("alice", "terminated_with_access"),
                acct("carol", "unmapped_account"),
            ]
        );
        let e = eval.exception("AC-02/acme/account/alice/terminated_with_access");
        assert_eq!(
            e.summary,
            "@alice (Alice, terminated 2026-10-04 per HR roster line 2) still has access: owner of acme"
        );
        let e = eval.exception("AC-02/acme/account/carol/unmapped_account");
        assert!(
            e.summary
                .ends_with("outside collaborator of acme; read on acme/api"),
            "{}",
            e.summary
        );
        let r = eval.result("AC-02");
        assert_eq!(
            (r.result, r.population, r.tested),
            (ResultKind::Exceptions, 6, 6)
        );
        let bot = eval
            .accounts
            .iter()
            .find(|a| a.login == "renovate[bot]")
            .unwrap();
        assert_eq!(
            (bot.roster_match.as_str(), bot.affiliation.as_str()),
            ("app bot", "repository collaborator")
        );
        let bob = eval.accounts.iter().find(|a| a.login == "Bob").unwrap();
        assert_eq!(
            (bob.roster_match.as_str(), bob.roster_line),
            ("login", Some(3))
        );
    }

    #[test]
    fn non_exceptions_leave_future_termination_service_account_and_email_match() {
        let mut kit = Kit::new();
        org(&mut kit);
        kit.config.access.service_accounts.push("acme-ci".into());
        // carol's work email is linked to her login on a commit in the evidence.
        kit.add(
            pr(1)
                .commit(
                    linked("Carol", "carol@agency.example", "carol"),
                    ident("carol"),
                )
                .approve("bob"),
        );
        kit.roster(
            "alice,,Alice,terminated,2026-10-05\n\
             BOB,,Bob,leave,\n\
             ,Carol@Agency.example,Carol,contractor,\n",
        );
        let eval = kit.run();
        assert_eq!(eval.kinds("AC-02"), []);
        assert_eq!(eval.result("AC-02").result, ResultKind::Effective);
        let carol = eval.accounts.iter().find(|a| a.login == "carol").unwrap();
        assert_eq!(
            (carol.roster_match.as_str(), carol.roster_status.as_str()),
            ("email", "contractor")
        );
    }

    #[test]
    fn accounts_are_judged_per_org_and_excluded_repositories_do_not_count() {
        let mut kit = Kit::new();
        kit.access_lists();
        kit.config.sources[0].exclude = vec!["sandbox-*".into()];
        kit.collaborator("acme/sandbox-x", "ghosty", "admin");
        kit.collaborator("other-org/tool", "dave", "read");
        kit.roster("alice,,Alice,active,\n");
        let eval = kit.run();
        assert_eq!(
            eval.kinds("AC-02"),
            [("other-org/account/dave".into(), "unmapped_account".into())]
        );
        assert_eq!(eval.result("AC-02").population, 1);
    }
}
