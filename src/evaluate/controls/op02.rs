//! OP-02: production deployments are created by org members or listed service
//! accounts; `github-actions[bot]` counts as the repository's own workflow when the
//! deployment is linked to one of its runs (see the catalog text for why).

use serde_json::json;

use crate::evaluate::context::{Context, owner};
use crate::evaluate::deployments::{self, DeployerBasis, DeploymentFacts};
use crate::evaluate::outcome::{Judgement, Outcome};

use super::{ControlDef, DEPLOYMENTS, deployment_finding, deployment_gaps, detail};

kinds! {
    pub enum Kind {
        UnknownDeployer => "unknown_deployer",
    }
}

pub const DEF: ControlDef = ControlDef {
    id: "OP-02",
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
    let basis = deployments::deployer_basis(&ctx.index, facts);
    if basis != DeployerBasis::Unknown {
        return Judgement::Pass;
    }
    if let Some(gaps) = deployment_gaps(ctx, facts, &["org_members"]) {
        return Judgement::Untested(format!("the organisation's members are unknown: {gaps}"));
    }
    let d = facts.deployment;
    let org = owner(&d.repo);
    let (deployer, why) = match &d.creator {
        None => (
            "ghost".to_string(),
            "a deleted account (GitHub's ghost)".to_string(),
        ),
        Some(c) if c.login.eq_ignore_ascii_case(deployments::GITHUB_ACTIONS) => (
            c.login.to_string(),
            "GitHub Actions, but no workflow run of the repository is linked to it".to_string(),
        ),
        Some(c) => (
            c.login.to_string(),
            format!(
                "@{}, who is neither a member of {org} nor a listed service account",
                c.login
            ),
        ),
    };
    let summary = format!(
        "deployment {} to {} was created by {why}",
        d.id, d.environment
    );
    Judgement::Fail(vec![deployment_finding(
        facts,
        Kind::UnknownDeployer.as_str(),
        summary,
        Vec::new(),
        detail([
            ("deployer", json!(deployer)),
            ("deployer_type", json!(d.creator.as_ref().map(|c| c.kind))),
            ("org", json!(org)),
            ("workflow_run_id", json!(d.workflow_run_id)),
        ]),
    )])
}

#[cfg(test)]
mod tests {
    use crate::evaluate::testkit::*;
    use crate::findings::ResultKind;

    #[test]
    fn members_service_accounts_and_actions_runs_pass() {
        let mut kit = Kit::new();
        kit.config.access.service_accounts = vec!["ACME-deploy-bot".into()];
        kit.deploy(deployment(1, "aa"));
        kit.deploy(deployment(2, "bb").creator(Some(user("Bob"))));
        kit.deploy(
            deployment(3, "cc")
                .no_run()
                .creator(Some(user("acme-deploy-bot"))),
        );
        let eval = kit.run();
        assert_eq!(eval.kinds("OP-02"), []);
        let bases: Vec<&str> = eval
            .deployments
            .iter()
            .map(|r| r.deployer_basis.as_str())
            .collect();
        assert_eq!(bases, ["actions_workflow", "org_member", "service_account"]);
    }

    #[test]
    fn outsiders_ghosts_and_unlinked_actions_are_unknown() {
        let mut kit = Kit::new();
        kit.deploy(deployment(1, "aa").creator(Some(user("contractor-x"))));
        kit.deploy(deployment(2, "bb").creator(None));
        kit.deploy(deployment(3, "cc").no_run());
        kit.deploy(deployment(4, "dd").creator(Some(crate::model::Actor {
            login: "release-app[bot]".into(),
            kind: crate::model::ActorKind::Bot,
        })));
        let eval = kit.run();
        assert_eq!(
            eval.kinds("OP-02"),
            [
                dexc(1, "unknown_deployer"),
                dexc(2, "unknown_deployer"),
                dexc(3, "unknown_deployer"),
                dexc(4, "unknown_deployer")
            ]
        );
        let e = eval.exception("OP-02/acme/api/deployment/1/unknown_deployer");
        assert!(
            e.summary.contains("neither a member of acme"),
            "{}",
            e.summary
        );
        let e = eval.exception("OP-02/acme/api/deployment/3/unknown_deployer");
        assert!(e.summary.contains("no workflow run"), "{}", e.summary);
    }

    #[test]
    fn member_list_gap_leaves_unknown_deployers_untested() {
        let mut kit = Kit::new();
        kit.deploy(deployment(1, "aa").creator(Some(user("contractor-x"))));
        kit.gap("org_members", Some("acme"));
        let eval = kit.run();
        assert_eq!(eval.kinds("OP-02"), []);
        assert_eq!(eval.result("OP-02").result, ResultKind::NotTested);
    }
}
