//! CM-08: the person who approved a production deployment is not an author of the
//! change it deployed (authors as SPEC §2 defines them, from the change's facts).

use serde_json::{Value, json};

use crate::evaluate::context::Context;
use crate::evaluate::deployments::DeploymentFacts;
use crate::evaluate::outcome::{Judgement, Outcome};

use super::cm07::APPROVAL_EVIDENCE;
use super::{ControlDef, DEPLOYMENTS, cm01, deployment_finding, deployment_gaps, detail};

kinds! {
    pub enum Kind {
        DeploymentSelfApproved => "deployment_self_approved",
    }
}

pub const DEF: ControlDef = ControlDef {
    id: "CM-08",
    kinds: Kind::NAMES,
    population: DEPLOYMENTS,
    run,
};

fn run(ctx: &Context<'_>) -> Outcome {
    let mut outcome = Outcome::new(ctx.index.population_caveats(DEPLOYMENTS.evidence_type));
    for facts in &ctx.deployments {
        outcome.record(facts.subject(), judge(ctx, facts));
    }
    outcome
}

fn judge(ctx: &Context<'_>, facts: &DeploymentFacts<'_>) -> Judgement {
    let d = facts.deployment;
    if facts.approvers.is_empty() {
        if let Some(gaps) = deployment_gaps(ctx, facts, APPROVAL_EVIDENCE) {
            return Judgement::Untested(format!("its approvals are unknown: {gaps}"));
        }
        // Nobody approved: no approver can be an author (CM-07 reports the missing approval).
        return Judgement::Pass;
    }
    let Some(trace) = facts.trace else {
        return Judgement::Untested(
            "it traces to no change, so the authors it deployed are unknown (CM-06 reports it)"
                .into(),
        );
    };
    let Some(change) = ctx.deployed_change(facts) else {
        return Judgement::Untested(format!(
            "the record of PR #{}, which it deployed, was not collected, so its authors are unknown",
            trace.number
        ));
    };
    if let Some(reason) = cm01::untested_reason(change) {
        return Judgement::Untested(format!(
            "the authors of PR #{} are not known: {reason}",
            trace.number
        ));
    }
    let selves: Vec<(&str, &crate::evaluate::facts::Person)> = facts
        .approvers
        .iter()
        .filter_map(|(key, login)| change.authors.get(key).map(|p| (login.as_str(), p)))
        .collect();
    if selves.is_empty() {
        return Judgement::Pass;
    }
    let described: Vec<String> = selves
        .iter()
        .map(|(login, person)| {
            format!(
                "@{login}, the {} of PR #{}",
                person.main_role(),
                trace.number
            )
        })
        .collect();
    let summary = format!(
        "deployment {} to {} was approved by {}",
        d.id,
        d.environment,
        described.join(" and ")
    );
    let authors: serde_json::Map<String, Value> = selves
        .iter()
        .map(|(login, person)| {
            let roles: Vec<String> = person.roles.iter().map(|r| r.describe()).collect();
            (login.to_string(), json!(roles))
        })
        .collect();
    let evidence = facts
        .approvals
        .iter()
        .flat_map(|a| a.evidence.iter().cloned())
        .chain(change.change.evidence.iter().cloned())
        .collect();
    Judgement::Fail(vec![deployment_finding(
        facts,
        Kind::DeploymentSelfApproved.as_str(),
        summary,
        evidence,
        detail([
            ("change", json!(format!("{}#{}", d.repo, trace.number))),
            (
                "approvers",
                json!(facts.approvers.values().collect::<Vec<_>>()),
            ),
            ("approvers_who_are_authors", Value::Object(authors)),
        ]),
    )])
}

#[cfg(test)]
mod tests {
    use crate::evaluate::testkit::*;
    use crate::findings::ResultKind;

    #[test]
    fn approval_by_someone_other_than_the_author_passes() {
        let mut kit = Kit::new();
        kit.add(pr(1).approve("bob"));
        kit.deploy(deployment(1, &merge_sha(1)));
        let eval = kit.run();
        assert_eq!(eval.kinds("CM-08"), []);
        assert_eq!(eval.result("CM-08").result, ResultKind::Effective);
        assert_eq!(eval.deployments[0].change_authors, ["alice"]);
    }

    #[test]
    fn approval_by_the_pr_author_is_self_approval() {
        let mut kit = Kit::new();
        kit.add(pr(1).approve("bob"));
        kit.deploy(
            deployment(1, &merge_sha(1))
                .no_approval()
                .review("Alice", "approved", None),
        );
        let eval = kit.run();
        assert_eq!(eval.kinds("CM-08"), [dexc(1, "deployment_self_approved")]);
        let e = eval.exception("CM-08/acme/api/deployment/1/deployment_self_approved");
        assert!(e.summary.contains("the author of PR #1"), "{}", e.summary);
    }

    #[test]
    fn approval_by_a_co_author_is_self_approval() {
        let mut kit = Kit::new();
        kit.add(
            pr(1)
                .approve("bob")
                .co_author("Dave", "dave@users.noreply.github.com"),
        );
        kit.deploy(
            deployment(1, &merge_sha(1))
                .no_approval()
                .review("dave", "approved", None),
        );
        let eval = kit.run();
        assert_eq!(eval.kinds("CM-08"), [dexc(1, "deployment_self_approved")]);
        let e = eval.exception("CM-08/acme/api/deployment/1/deployment_self_approved");
        assert!(e.summary.contains("co-author"), "{}", e.summary);
    }

    #[test]
    fn unapproved_deployment_is_no_self_approval() {
        let mut kit = Kit::new();
        kit.add(pr(1).approve("bob"));
        kit.deploy(deployment(1, &merge_sha(1)).no_approval());
        assert_eq!(kit.run().kinds("CM-08"), []);
    }

    #[test]
    fn untraceable_deployment_is_not_tested() {
        let mut kit = Kit::new();
        kit.deploy(deployment(1, "aa"));
        let r = kit.run().result("CM-08").clone();
        assert_eq!(r.result, ResultKind::NotTested);
        assert!(r.reason.unwrap().contains("traces to no change"));
    }

    #[test]
    fn incomplete_commits_leave_it_untested() {
        let mut kit = Kit::new();
        kit.add(pr(1).approve("bob").incomplete("commits"));
        kit.deploy(deployment(1, &merge_sha(1)));
        let eval = kit.run();
        assert_eq!(eval.kinds("CM-08"), []);
        assert_eq!(eval.result("CM-08").result, ResultKind::NotTested);
    }
}
