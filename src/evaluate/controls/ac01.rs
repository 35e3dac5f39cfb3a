//! AC-01: every member and outside collaborator has two-factor authentication.

use serde_json::json;

use crate::evaluate::access::OrgAccount;
use crate::evaluate::context::{Context, describe_gap};
use crate::evaluate::outcome::{Finding, Judgement, Outcome, PopulationKind};
use crate::findings::SubjectType;

use super::{ControlDef, detail};

kinds! {
    pub enum Kind {
        MfaDisabled => "mfa_disabled",
    }
}

/// The org-account population's kind, shared by AC-01 and AC-02.
pub const ACCOUNTS: PopulationKind = PopulationKind {
    evidence_type: "org_members",
    noun: "accounts",
};

pub const DEF: ControlDef = ControlDef {
    id: "AC-01",
    kinds: Kind::NAMES,
    population: ACCOUNTS,
    run,
};

/// Why the population of org accounts may be incomplete.
pub fn account_caveats(ctx: &Context<'_>, extra: &[&str]) -> Vec<String> {
    let mut caveats = Vec::new();
    for evidence_type in ["org_members", "outside_collaborators"].iter().chain(extra) {
        caveats.extend(ctx.index.population_caveats(evidence_type));
    }
    caveats.sort();
    caveats.dedup();
    caveats
}

fn run(ctx: &Context<'_>) -> Outcome {
    let mut outcome = Outcome::new(account_caveats(ctx, &[]));
    for account in ctx.access.accounts.iter().filter(|a| a.in_org_lists()) {
        outcome.record(
            format!("{}/@{}", account.org, account.login),
            judge(ctx, account),
        );
    }
    outcome
}

fn judge(ctx: &Context<'_>, account: &OrgAccount<'_>) -> Judgement {
    match account.two_factor() {
        Some(true) => Judgement::Pass,
        None => {
            let gaps: Vec<String> = ctx
                .index
                .gaps("two_factor", account.source, &account.org)
                .into_iter()
                .map(describe_gap)
                .collect();
            Judgement::Untested(if gaps.is_empty() {
                "two-factor status not visible to the collecting token (GitHub lists members without 2FA only to organisation owners)".to_string()
            } else {
                format!("two-factor status unknown: {}", gaps.join("; "))
            })
        }
        Some(false) => Judgement::Fail(vec![Finding {
            kind: Kind::MfaDisabled.as_str(),
            repo: account.org.clone(),
            subject_type: SubjectType::Account,
            subject: account.login.clone(),
            summary: format!(
                "@{} ({} of {}) does not have two-factor authentication enabled",
                account.login,
                if account.is_owner() {
                    "owner"
                } else {
                    account.affiliation()
                },
                account.org
            ),
            url: format!("https://github.com/{}", account.login),
            evidence: account.evidence(),
            detail: detail([
                ("affiliation", json!(account.affiliation())),
                ("role", json!(account.role())),
            ]),
        }]),
    }
}

#[cfg(test)]
mod tests {
    use crate::evaluate::testkit::*;
    use crate::findings::ResultKind;

    #[test]
    fn member_or_outside_collaborator_without_2fa_is_an_exception() {
        let mut kit = Kit::new();
        kit.access_lists();
        kit.member("alice", "admin", Some(true));
        kit.member("bob", "member", Some(false));
        kit.outside("carol", Some(false));
        kit.outside("dave", Some(true));
        let eval = kit.run();
        assert_eq!(
            eval.kinds("AC-01"),
            [
                ("acme/account/bob".to_string(), "mfa_disabled".to_string()),
                ("acme/account/carol".to_string(), "mfa_disabled".to_string()),
            ]
        );
        let e = eval.exception("AC-01/acme/account/carol/mfa_disabled");
        assert_eq!(
            e.summary,
            "@carol (outside collaborator of acme) does not have two-factor authentication enabled"
        );
        assert_eq!(e.repo, "acme");
        let r = eval.result("AC-01");
        assert_eq!(
            (r.result, r.population, r.tested),
            (ResultKind::Exceptions, 4, 4)
        );
        let row = eval.accounts.iter().find(|a| a.login == "bob").unwrap();
        assert_eq!(
            (row.two_factor.as_str(), row.role.as_str()),
            ("disabled", "member")
        );
    }

    #[test]
    fn unknown_2fa_status_is_not_tested_never_passed() {
        let mut kit = Kit::new();
        kit.access_lists();
        kit.member("alice", "admin", Some(true));
        kit.member("bob", "member", None);
        let r = kit.run().result("AC-01").clone();
        assert_eq!(
            (r.result, r.population, r.tested),
            (ResultKind::NotTested, 2, 1)
        );
        assert!(r.reason.unwrap().contains("two-factor status not visible"));

        kit.gap("two_factor", Some("acme"));
        let r = kit.run().result("AC-01").clone();
        assert!(
            r.reason
                .unwrap()
                .contains("`two_factor` of acme could not be collected (HTTP 403)")
        );
    }

    #[test]
    fn everyone_with_2fa_is_effective_and_direct_collaborators_are_not_in_the_population() {
        let mut kit = Kit::new();
        kit.access_lists();
        kit.member("alice", "admin", Some(true));
        kit.collaborator("acme/api", "zed", "read");
        let r = kit.run().result("AC-01").clone();
        assert_eq!((r.result, r.population), (ResultKind::Effective, 1));
    }

    #[test]
    fn no_member_list_is_not_tested() {
        let kit = Kit::new();
        let r = kit.run().result("AC-01").clone();
        assert_eq!(r.result, ResultKind::NotTested);
        assert!(
            r.reason
                .unwrap()
                .contains("no record of how the `org_members` of acme/api were collected")
        );
    }
}
