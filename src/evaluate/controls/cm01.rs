//! CM-01: every change has at least `min_approvals` independent approvals before merge.

use serde_json::{Value, json};

use crate::evaluate::context::{Context, Index};
use crate::evaluate::facts::ChangeFacts;
use crate::evaluate::outcome::{Judgement, Outcome};

use super::{CHANGES, ControlDef, change_finding, count, detail, people};

kinds! {
    pub enum Kind {
        NoApproval => "no_approval",
        SelfApproval => "self_approval",
        InsufficientApprovals => "insufficient_approvals",
    }
}

pub const DEF: ControlDef = ControlDef {
    id: "CM-01",
    kinds: Kind::NAMES,
    population: CHANGES,
    run,
};

fn run(ctx: &Context<'_>) -> Outcome {
    let mut outcome = Outcome::new(ctx.index.population_caveats(CHANGES.evidence_type));
    for facts in &ctx.changes {
        match judge(&ctx.index, facts) {
            // An emergency change that fell short is judged by CM-09 on its retro review.
            Judgement::Fail(_) if facts.emergency => {
                outcome.defer(facts.subject(), super::cm09::DEFERRED.to_string());
            }
            judgement => outcome.record(facts.subject(), judgement),
        }
    }
    outcome
}

/// Why a change cannot be judged on its approvals, if it cannot: shared with CM-02,
/// which judges only what CM-01 could.
pub fn untested_reason(facts: &ChangeFacts<'_>) -> Option<String> {
    if let Some(reason) = &facts.unplaced {
        return Some(reason.clone());
    }
    if !facts.reviews_complete {
        return Some("its reviews were not collected in full".into());
    }
    if !facts.commits_complete {
        return Some("its commits were not collected in full, so its authors are not known".into());
    }
    None
}

/// CM-01's verdict on one change. CM-02 calls this to find its population.
pub fn judge(index: &Index<'_>, facts: &ChangeFacts<'_>) -> Judgement {
    if let Some(reason) = untested_reason(facts) {
        return Judgement::Untested(reason);
    }
    let change = facts.change;
    let min = index.params.min_approvals_for(&change.repo) as usize;
    // Most changes pass: nothing is gathered for them (CM-01 and CM-02 judge each).
    if facts.independent.len() >= min {
        return Judgement::Pass;
    }
    let independent: Vec<&str> = facts.independent.values().map(|t| t.as_str()).collect();
    let number = change.number;
    let (kind, summary) = if facts.approvers.is_empty() {
        (Kind::NoApproval, no_approval_summary(facts))
    } else if independent.is_empty() {
        (Kind::SelfApproval, self_approval_summary(facts))
    } else {
        (
            Kind::InsufficientApprovals,
            format!(
                "PR #{number} had {} ({}) but {} requires {min}",
                count(independent.len(), "independent approval"),
                people(&independent),
                change.repo
            ),
        )
    };
    let evidence = facts
        .approvals
        .iter()
        .map(|a| a.review)
        .chain(facts.set_aside.iter().map(|s| s.review))
        .flat_map(|r| r.evidence.iter().cloned())
        .collect();
    let authors: serde_json::Map<String, Value> = facts
        .authors
        .values()
        .map(|p| {
            let roles: Vec<String> = p.roles.iter().map(|r| r.describe()).collect();
            (p.login.to_string(), json!(roles))
        })
        .collect();
    let set_aside: Vec<Value> = facts
        .set_aside
        .iter()
        .map(|s| json!({"reviewer": s.reviewer, "review": s.review.id, "reason": s.code()}))
        .collect();
    let detail = detail([
        ("min_approvals", json!(min)),
        ("authors", Value::Object(authors)),
        (
            "approvers",
            json!(facts.approvers.values().collect::<Vec<_>>()),
        ),
        ("independent_approvers", json!(independent)),
        ("not_counted", json!(set_aside)),
    ]);
    Judgement::Fail(vec![change_finding(
        facts,
        kind.as_str(),
        summary,
        evidence,
        detail,
    )])
}

fn no_approval_summary(facts: &ChangeFacts<'_>) -> String {
    let number = facts.change.number;
    let mut notes: Vec<String> = facts.set_aside.iter().map(|s| s.describe()).collect();
    for (key, (login, what)) in &facts.non_approving {
        let mentioned = facts
            .set_aside
            .iter()
            .any(|s| crate::model::login_key(&s.reviewer) == *key);
        if !mentioned {
            notes.push(format!("@{login} {what}"));
        }
    }
    if notes.is_empty() {
        return format!("PR #{number} was merged without any review");
    }
    const SHOWN: usize = 3;
    let more = notes.len().saturating_sub(SHOWN);
    notes.truncate(SHOWN);
    if more > 0 {
        notes.push(format!("and {more} more"));
    }
    format!(
        "PR #{number} was merged without an approval by a person ({})",
        notes.join("; ")
    )
}

fn self_approval_summary(facts: &ChangeFacts<'_>) -> String {
    let number = facts.change.number;
    let approvers: Vec<(&str, &str)> = facts
        .approvers
        .iter()
        .map(|(key, login)| {
            let role = facts.authors.get(key).map_or("author", |p| p.main_role());
            (login.as_str(), role)
        })
        .collect();
    match approvers.as_slice() {
        [(login, role)] => format!("PR #{number} was approved only by its {role} @{login}"),
        many => {
            let listed: Vec<String> = many
                .iter()
                .map(|(login, role)| format!("@{login} ({role})"))
                .collect();
            format!(
                "PR #{number} was approved only by its own authors: {}",
                listed.join(", ")
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::evaluate::testkit::*;
    use crate::findings::ResultKind;
    use crate::model::ReviewState;

    fn cm01(kit: &Kit) -> Vec<(String, String)> {
        kit.run().kinds("CM-01")
    }

    #[test]
    fn independent_approval_passes() {
        let mut kit = Kit::new();
        kit.add(pr(1).approve("bob"));
        let eval = kit.run();
        assert_eq!(eval.kinds("CM-01"), []);
        assert_eq!(eval.result("CM-01").result, ResultKind::Effective);
        assert_eq!(eval.result("CM-01").population, 1);
        assert_eq!(eval.result("CM-01").tested, 1);
    }

    #[test]
    fn no_review_at_all_is_no_approval() {
        let mut kit = Kit::new();
        kit.add(pr(1));
        let eval = kit.run();
        assert_eq!(eval.kinds("CM-01"), [exc(1, "no_approval")]);
        let e = eval.exception("CM-01/acme/api/change/1/no_approval");
        assert_eq!(e.summary, "PR #1 was merged without any review");
        assert_eq!(e.url, "https://github.com/acme/api/pull/1");
        assert_eq!(e.severity, crate::findings::Severity::High);
        assert!(e.evidence.iter().any(|e| e == "sha256:pr1#/"));
        assert_eq!(eval.result("CM-01").result, ResultKind::Exceptions);
    }

    #[test]
    fn bot_authored_change_approved_by_a_human_passes() {
        let mut kit = Kit::new();
        kit.add(
            pr(1)
                .author_bot("dependabot[bot]")
                .commit(ident("dependabot[bot]"), ident("dependabot[bot]"))
                .approve("bob"),
        );
        assert_eq!(cm01(&kit), []);
    }

    #[test]
    fn approval_by_bots_only_is_no_approval() {
        let mut kit = Kit::new();
        kit.add(pr(1).approve_bot("renovate[bot]").approve("acme-ci"));
        let eval = kit.run();
        assert_eq!(eval.kinds("CM-01"), [exc(1, "no_approval")]);
        let summary = &eval
            .exception("CM-01/acme/api/change/1/no_approval")
            .summary;
        assert!(summary.contains("bot @renovate[bot]"), "{summary}");
        assert!(summary.contains("bot @acme-ci"), "{summary}");
    }

    #[test]
    fn comment_only_review_is_no_approval() {
        let mut kit = Kit::new();
        kit.add(pr(1).review("bob", ReviewState::Commented, 0, None));
        let eval = kit.run();
        assert_eq!(eval.kinds("CM-01"), [exc(1, "no_approval")]);
        assert_eq!(
            eval.exception("CM-01/acme/api/change/1/no_approval")
                .summary,
            "PR #1 was merged without an approval by a person (@bob only commented)"
        );
    }

    #[test]
    fn dismissed_approval_does_not_count() {
        let mut kit = Kit::new();
        kit.add(pr(1).review("bob", ReviewState::Dismissed, -60, Some(HEAD)));
        let eval = kit.run();
        assert_eq!(eval.kinds("CM-01"), [exc(1, "no_approval")]);
        let summary = &eval
            .exception("CM-01/acme/api/change/1/no_approval")
            .summary;
        assert!(summary.contains("@bob's review was dismissed"), "{summary}");
    }

    #[test]
    fn approval_after_merge_does_not_count() {
        let mut kit = Kit::new();
        kit.add(pr(1).review("bob", ReviewState::Approved, 30, Some(HEAD)));
        let eval = kit.run();
        assert_eq!(eval.kinds("CM-01"), [exc(1, "no_approval")]);
        let summary = &eval
            .exception("CM-01/acme/api/change/1/no_approval")
            .summary;
        assert!(
            summary.contains("@bob approved only after the merge"),
            "{summary}"
        );
    }

    #[test]
    fn approval_at_the_merge_second_counts() {
        let mut kit = Kit::new();
        kit.add(pr(1).review("bob", ReviewState::Approved, 0, Some(HEAD)));
        assert_eq!(cm01(&kit), []);
    }

    #[test]
    fn approval_by_deleted_account_does_not_count() {
        let mut kit = Kit::new();
        kit.add(pr(1).approve_ghost());
        assert_eq!(cm01(&kit), [exc(1, "no_approval")]);
    }

    #[test]
    fn pr_author_approving_is_self_approval() {
        let mut kit = Kit::new();
        kit.add(pr(1).approve("alice"));
        let eval = kit.run();
        assert_eq!(eval.kinds("CM-01"), [exc(1, "self_approval")]);
        assert_eq!(
            eval.exception("CM-01/acme/api/change/1/self_approval")
                .summary,
            "PR #1 was approved only by its author @alice"
        );
    }

    #[test]
    fn co_author_approval_via_noreply_email_is_self_approval() {
        let mut kit = Kit::new();
        kit.add(
            pr(1)
                .co_author("Bob B", "4242+bob@users.noreply.github.com")
                .approve("bob"),
        );
        let eval = kit.run();
        assert_eq!(eval.kinds("CM-01"), [exc(1, "self_approval")]);
        let e = eval.exception("CM-01/acme/api/change/1/self_approval");
        assert_eq!(e.summary, "PR #1 was approved only by its co-author @bob");
        let roles = &e.detail.to_map()["authors"]["bob"];
        assert_eq!(
            roles,
            &serde_json::json!(["co-author (Co-authored-by trailer, matched by noreply email)"])
        );
    }

    #[test]
    fn co_author_approval_via_plain_noreply_email_is_self_approval() {
        let mut kit = Kit::new();
        kit.add(
            pr(1)
                .co_author("B", "bob@users.noreply.github.com")
                .approve("bob"),
        );
        assert_eq!(cm01(&kit), [exc(1, "self_approval")]);
    }

    #[test]
    fn co_author_approval_via_known_email_is_self_approval() {
        let mut kit = Kit::new();
        // Bob's work email is linked to his account on another change's commit.
        kit.add(
            pr(2)
                .commit(
                    linked("Bob", "bob@acme.test", "bob"),
                    linked("Bob", "bob@acme.test", "bob"),
                )
                .approve("carol"),
        );
        kit.add(pr(1).co_author("Robert", "BOB@acme.test").approve("bob"));
        assert_eq!(cm01(&kit), [exc(1, "self_approval")]);
    }

    #[test]
    fn co_author_approval_via_login_name_is_self_approval() {
        let mut kit = Kit::new();
        kit.add(pr(1).co_author("Bob", "bob@home.test").approve("bob"));
        assert_eq!(cm01(&kit), [exc(1, "self_approval")]);
    }

    #[test]
    fn unmappable_co_author_is_ignored() {
        let mut kit = Kit::new();
        kit.add(
            pr(1)
                .co_author("Robert Smith", "rs@home.test")
                .approve("bob"),
        );
        assert_eq!(cm01(&kit), []);
    }

    #[test]
    fn committer_approval_is_self_approval() {
        let mut kit = Kit::new();
        kit.add(pr(1).commit(ident("alice"), ident("dave")).approve("dave"));
        let eval = kit.run();
        assert_eq!(eval.kinds("CM-01"), [exc(1, "self_approval")]);
        assert_eq!(
            eval.exception("CM-01/acme/api/change/1/self_approval")
                .summary,
            "PR #1 was approved only by its committer @dave"
        );
    }

    #[test]
    fn web_flow_committer_is_not_an_author() {
        let mut kit = Kit::new();
        kit.add(
            pr(1)
                .commit(
                    ident("alice"),
                    linked("GitHub", "noreply@github.com", "web-flow"),
                )
                .approve("bob"),
        );
        let eval = kit.run();
        assert_eq!(eval.kinds("CM-01"), []);
        assert_eq!(*eval.changes[0].authors, ["alice"]);
    }

    #[test]
    fn web_flow_by_email_alone_is_not_an_author() {
        let mut kit = Kit::new();
        kit.add(
            pr(1)
                .commit(ident("alice"), unlinked("GitHub", "noreply@github.com"))
                .approve("bob"),
        );
        assert_eq!(*kit.run().changes[0].authors, ["alice"]);
    }

    #[test]
    fn logins_differing_in_case_are_one_person() {
        let mut kit = Kit::new();
        kit.add(pr(1).author("Alice").approve("ALICE"));
        assert_eq!(cm01(&kit), [exc(1, "self_approval")]);
        let mut kit = Kit::new();
        kit.add(pr(2).approve("Bob").approve("bob"));
        kit.config_min_approvals("acme/api", 2);
        assert_eq!(cm01(&kit), [exc(2, "insufficient_approvals")]);
    }

    #[test]
    fn two_approvals_needed_by_repository_override() {
        let mut kit = Kit::new();
        kit.config_min_approvals("acme/payments", 2);
        kit.add(pr(1).repo("acme/payments").approve("bob"));
        kit.add(pr(2).repo("acme/payments").approve("bob").approve("carol"));
        kit.add(pr(3).approve("bob"));
        let eval = kit.run();
        assert_eq!(
            eval.kinds("CM-01"),
            [(
                "acme/payments/change/1".to_string(),
                "insufficient_approvals".to_string()
            )]
        );
        let e = eval.exception("CM-01/acme/payments/change/1/insufficient_approvals");
        assert_eq!(
            e.summary,
            "PR #1 had 1 independent approval (@bob) but acme/payments requires 2"
        );
        assert_eq!(e.detail.to_map()["min_approvals"], 2);
    }

    #[test]
    fn author_approval_does_not_make_up_for_a_missing_second() {
        let mut kit = Kit::new();
        kit.config_min_approvals("acme/api", 2);
        kit.add(pr(1).approve("bob").approve("alice"));
        assert_eq!(cm01(&kit), [exc(1, "insufficient_approvals")]);
    }

    #[test]
    fn changes_requested_then_approved_counts_once() {
        let mut kit = Kit::new();
        kit.config_min_approvals("acme/api", 2);
        kit.add(
            pr(1)
                .review("bob", ReviewState::ChangesRequested, -120, Some("c0"))
                .review("bob", ReviewState::Approved, -60, Some(HEAD)),
        );
        let eval = kit.run();
        assert_eq!(eval.kinds("CM-01"), [exc(1, "insufficient_approvals")]);
        assert_eq!(*eval.changes[0].approvers, ["bob"]);
    }

    #[test]
    fn approval_superseded_by_a_later_change_request_does_not_count() {
        let mut kit = Kit::new();
        kit.add(
            pr(1)
                .review("bob", ReviewState::Approved, -120, Some("c0"))
                .review("bob", ReviewState::ChangesRequested, -60, Some(HEAD)),
        );
        let eval = kit.run();
        assert_eq!(eval.kinds("CM-01"), [exc(1, "no_approval")]);
        let summary = &eval
            .exception("CM-01/acme/api/change/1/no_approval")
            .summary;
        assert!(
            summary.contains("@bob requested changes after approving"),
            "{summary}"
        );
    }

    #[test]
    fn incomplete_reviews_leave_the_change_untested() {
        let mut kit = Kit::new();
        kit.add(pr(1).incomplete("reviews"));
        kit.add(pr(2).approve("bob"));
        let eval = kit.run();
        assert_eq!(eval.kinds("CM-01"), []);
        let r = eval.result("CM-01");
        assert_eq!(r.result, ResultKind::NotTested);
        assert_eq!((r.population, r.tested), (2, 1));
        let reason = r.reason.as_deref().unwrap();
        assert!(reason.contains("1 of 2 changes not tested"), "{reason}");
        assert!(
            reason.contains("reviews were not collected in full (acme/api#1)"),
            "{reason}"
        );
    }

    #[test]
    fn exceptions_with_untested_records_say_so() {
        let mut kit = Kit::new();
        kit.add(pr(1).incomplete("commits"));
        kit.add(pr(2));
        let eval = kit.run();
        let r = eval.result("CM-01");
        assert_eq!(r.result, ResultKind::Exceptions);
        assert_eq!(r.exceptions, 1);
        assert!(
            r.reason
                .as_deref()
                .unwrap()
                .contains("1 of 2 changes not tested")
        );
    }
}
