//! CM-02: at least one independent approval was given on the final code, i.e. on the
//! PR head at merge. Only changes with no CM-01 exception are in its population.

use serde_json::{Value, json};

use crate::evaluate::context::Context;
use crate::evaluate::facts::{ChangeFacts, short};
use crate::evaluate::outcome::{Judgement, Outcome};

use super::{CHANGES, ControlDef, change_finding, cm01, detail};

kinds! {
    pub enum Kind {
        StaleApproval => "stale_approval",
    }
}

pub const DEF: ControlDef = ControlDef {
    id: "CM-02",
    kinds: Kind::NAMES,
    population: CHANGES,
    run,
};

fn run(ctx: &Context<'_>) -> Outcome {
    let mut outcome = Outcome::new(ctx.index.population_caveats(CHANGES.evidence_type));
    for facts in &ctx.changes {
        let judgement = match cm01::judge(&ctx.index, facts) {
            // A change with a CM-01 exception has no approval on the final code worth
            // testing: it is outside CM-02's population.
            Judgement::Fail(_) => continue,
            Judgement::Untested(reason) => Judgement::Untested(reason),
            Judgement::Pass => judge(facts),
        };
        outcome.record(facts.subject(), judgement);
    }
    outcome
}

fn judge(facts: &ChangeFacts<'_>) -> Judgement {
    if facts.independent_on_head {
        return Judgement::Pass;
    }
    let change = facts.change;
    let independent: Vec<_> = facts.approvals.iter().filter(|a| a.independent).collect();
    let given: Vec<String> = independent
        .iter()
        .map(|a| match &a.review.commit_sha {
            Some(sha) => format!("@{} approved {}", a.reviewer, short(sha)),
            None => format!("@{}'s approval names no commit", a.reviewer),
        })
        .collect();
    let summary = format!(
        "PR #{} was not approved on its final commit {} ({})",
        change.number,
        short(&change.head_sha),
        given.join("; ")
    );
    let approvals: Vec<Value> = independent
        .iter()
        .map(|a| {
            json!({
                "reviewer": a.reviewer,
                "review": a.review.id,
                "commit": a.review.commit_sha,
                "submitted_at": a.review.submitted_at,
            })
        })
        .collect();
    let evidence = independent
        .iter()
        .flat_map(|a| a.review.evidence.iter().cloned())
        .collect();
    Judgement::Fail(vec![change_finding(
        facts,
        Kind::StaleApproval.as_str(),
        summary,
        evidence,
        detail([
            ("head_sha", json!(change.head_sha)),
            ("independent_approvals", json!(approvals)),
        ]),
    )])
}

#[cfg(test)]
mod tests {
    use crate::evaluate::testkit::*;
    use crate::findings::ResultKind;

    #[test]
    fn approval_on_head_passes() {
        let mut kit = Kit::new();
        kit.add(pr(1).approve("bob"));
        let eval = kit.run();
        assert_eq!(eval.kinds("CM-02"), []);
        assert_eq!(eval.result("CM-02").result, ResultKind::Effective);
        assert!(eval.changes[0].approval_on_head);
    }

    #[test]
    fn approval_on_an_earlier_commit_is_stale() {
        let mut kit = Kit::new();
        kit.add(pr(1).approve_on("bob", Some("0123456789abcdef")));
        let eval = kit.run();
        assert_eq!(eval.kinds("CM-01"), []);
        assert_eq!(eval.kinds("CM-02"), [exc(1, "stale_approval")]);
        let e = eval.exception("CM-02/acme/api/change/1/stale_approval");
        assert_eq!(
            e.summary,
            format!(
                "PR #1 was not approved on its final commit {} (@bob approved 0123456)",
                &head_sha(1)[..7]
            )
        );
        assert_eq!(e.detail.to_map()["head_sha"], head_sha(1));
        assert!(e.evidence.iter().any(|e| e == "sha256:pr1#/reviews/0"));
        assert!(!eval.changes[0].approval_on_head);
    }

    #[test]
    fn approval_on_an_unknown_commit_is_stale() {
        let mut kit = Kit::new();
        kit.add(pr(1).approve_on("bob", None));
        let eval = kit.run();
        assert_eq!(eval.kinds("CM-02"), [exc(1, "stale_approval")]);
        assert!(
            eval.exception("CM-02/acme/api/change/1/stale_approval")
                .summary
                .ends_with("(@bob's approval names no commit)")
        );
    }

    #[test]
    fn one_independent_approval_on_head_is_enough() {
        let mut kit = Kit::new();
        kit.add(pr(1).approve_on("bob", Some("0123456")).approve("carol"));
        assert_eq!(kit.run().kinds("CM-02"), []);
    }

    #[test]
    fn an_author_approving_the_head_does_not_make_it_fresh() {
        let mut kit = Kit::new();
        kit.add(pr(1).approve_on("bob", Some("0123456")).approve("alice"));
        assert_eq!(kit.run().kinds("CM-02"), [exc(1, "stale_approval")]);
    }

    #[test]
    fn changes_with_a_cm01_exception_are_not_in_the_population() {
        let mut kit = Kit::new();
        kit.add(pr(1));
        kit.add(pr(2).approve("bob"));
        let eval = kit.run();
        assert_eq!(eval.kinds("CM-02"), []);
        assert_eq!(eval.result("CM-01").population, 2);
        assert_eq!(eval.result("CM-02").population, 1);
    }

    #[test]
    fn changes_cm01_cannot_judge_are_untested() {
        let mut kit = Kit::new();
        kit.add(pr(1).approve("bob").incomplete("reviews"));
        let r = kit.run().result("CM-02").clone();
        assert_eq!(r.result, ResultKind::NotTested);
        assert_eq!((r.population, r.tested), (1, 0));
    }
}
