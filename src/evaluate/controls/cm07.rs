//! CM-07: every production deployment was approved by a person for its environment
//! (an `approved` environment review of the workflow run that created it).

use serde_json::json;

use crate::evaluate::context::Context;
use crate::evaluate::deployments::DeploymentFacts;
use crate::evaluate::outcome::{Judgement, Outcome};

use super::{ControlDef, DEPLOYMENTS, deployment_finding, deployment_gaps, detail};

kinds! {
    pub enum Kind {
        DeploymentNotApproved => "deployment_not_approved",
    }
}

pub const DEF: ControlDef = ControlDef {
    id: "CM-07",
    kinds: Kind::NAMES,
    population: DEPLOYMENTS,
    run,
};

/// The evidence approvals are read from.
pub const APPROVAL_EVIDENCE: &[&str] = &["deployment_statuses", "deployment_approvals"];

fn run(ctx: &Context<'_>) -> Outcome {
    let mut outcome = Outcome::new(ctx.index.population_caveats(DEPLOYMENTS.evidence_type));
    let required = ctx.index.params.require_deployment_approval;
    if !required && !ctx.deployments.is_empty() {
        outcome.notes.push(
            "`require_deployment_approval = false`: the configuration does not require production deployments to be approved, so every deployment passes; the approvals found are listed in the deployment population".into(),
        );
    }
    for facts in &ctx.deployments {
        let judgement = if required {
            judge(ctx, facts)
        } else {
            Judgement::Pass
        };
        outcome.record(facts.subject(), judgement);
    }
    outcome
}

fn judge(ctx: &Context<'_>, facts: &DeploymentFacts<'_>) -> Judgement {
    if !facts.approvers.is_empty() {
        return Judgement::Pass;
    }
    if let Some(gaps) = deployment_gaps(ctx, facts, APPROVAL_EVIDENCE) {
        return Judgement::Untested(format!("its approvals are unknown: {gaps}"));
    }
    let d = facts.deployment;
    let why = match d.workflow_run_id {
        None => {
            "no workflow run is linked to it, so no environment approval is recorded".to_string()
        }
        Some(run) if facts.set_aside.is_empty() => {
            format!("workflow run {run} has no environment review")
        }
        Some(run) => {
            let notes: Vec<String> = facts
                .set_aside
                .iter()
                .map(|s| match s.why {
                    "rejected" => format!("@{} rejected it", s.login),
                    "bot" => format!("the approval by bot @{} does not count", s.login),
                    _ => format!("@{} approved other environments only", s.login),
                })
                .collect();
            format!(
                "workflow run {run} has no approval for `{}` ({})",
                d.environment,
                notes.join("; ")
            )
        }
    };
    let summary = format!(
        "deployment {} to {} was not approved: {why}",
        d.id, d.environment
    );
    let reviews: Vec<_> = facts
        .set_aside
        .iter()
        .map(|s| json!({"reviewer": s.login, "reason": s.why}))
        .collect();
    let evidence = d
        .approvals
        .iter()
        .flat_map(|a| a.evidence.iter().cloned())
        .collect();
    Judgement::Fail(vec![deployment_finding(
        facts,
        Kind::DeploymentNotApproved.as_str(),
        summary,
        evidence,
        detail([
            ("environment", json!(d.environment)),
            ("workflow_run_id", json!(d.workflow_run_id)),
            ("not_counted", json!(reviews)),
        ]),
    )])
}

#[cfg(test)]
mod tests {
    use crate::evaluate::testkit::*;
    use crate::findings::ResultKind;

    #[test]
    fn approved_for_the_environment_passes() {
        let mut kit = Kit::new();
        kit.add(pr(1).approve("bob"));
        kit.deploy(deployment(1, &merge_sha(1)).environment("prod-eu"));
        let eval = kit.run();
        assert_eq!(eval.kinds("CM-07"), []);
        assert_eq!(eval.result("CM-07").result, ResultKind::Effective);
        assert_eq!(eval.deployments[0].approvers, ["carol"]);
    }

    #[test]
    fn no_workflow_run_is_not_approved() {
        let mut kit = Kit::new();
        kit.deploy(deployment(1, "aa").no_run());
        let eval = kit.run();
        assert_eq!(eval.kinds("CM-07"), [dexc(1, "deployment_not_approved")]);
        let e = eval.exception("CM-07/acme/api/deployment/1/deployment_not_approved");
        assert!(e.summary.contains("no workflow run"), "{}", e.summary);
        assert_eq!(e.url, "https://api.github.com/repos/acme/api/deployments/1");
    }

    #[test]
    fn rejections_bots_and_other_environments_do_not_count() {
        let mut kit = Kit::new();
        kit.deploy(deployment(1, "aa").no_approval());
        kit.deploy(
            deployment(2, "bb")
                .no_approval()
                .review("bob", "rejected", None)
                .review("renovate[bot]", "approved", None)
                .review("dave", "approved", Some(&["staging"])),
        );
        let eval = kit.run();
        assert_eq!(
            eval.kinds("CM-07"),
            [
                dexc(1, "deployment_not_approved"),
                dexc(2, "deployment_not_approved")
            ]
        );
        let e = eval.exception("CM-07/acme/api/deployment/2/deployment_not_approved");
        assert!(e.summary.contains("@bob rejected it"), "{}", e.summary);
        assert!(e.summary.contains("bot @renovate[bot]"), "{}", e.summary);
        assert!(
            e.summary.contains("@dave approved other environments only"),
            "{}",
            e.summary
        );
        let e = eval.exception("CM-07/acme/api/deployment/1/deployment_not_approved");
        assert!(e.summary.contains("no environment review"), "{}", e.summary);
    }

    #[test]
    fn a_config_listed_bot_approval_does_not_count() {
        let mut kit = Kit::new();
        kit.deploy(
            deployment(1, "aa")
                .no_approval()
                .review("acme-ci", "approved", None),
        );
        assert_eq!(
            kit.run().kinds("CM-07"),
            [dexc(1, "deployment_not_approved")]
        );
    }

    #[test]
    fn approvals_that_could_not_be_collected_leave_it_untested() {
        let mut kit = Kit::new();
        kit.deploy(deployment(1, "aa").no_approval());
        kit.gap("deployment_approvals", Some("acme/api"));
        let eval = kit.run();
        assert_eq!(eval.kinds("CM-07"), []);
        let r = eval.result("CM-07");
        assert_eq!((r.result, r.tested), (ResultKind::NotTested, 0));
        assert!(
            r.reason
                .as_deref()
                .unwrap()
                .contains("deployment_approvals"),
            "{r:?}"
        );
    }

    #[test]
    fn not_required_by_config_passes_and_says_so() {
        let mut kit = Kit::new();
        kit.config.controls.require_deployment_approval = false;
        kit.deploy(deployment(1, "aa").no_run());
        let eval = kit.run();
        assert_eq!(eval.kinds("CM-07"), []);
        let r = eval.result("CM-07");
        assert_eq!(r.result, ResultKind::Effective);
        assert!(
            r.reason
                .as_deref()
                .unwrap()
                .contains("require_deployment_approval = false"),
            "{r:?}"
        );
        assert!(!eval.deployments[0].approval_required);
    }
}
