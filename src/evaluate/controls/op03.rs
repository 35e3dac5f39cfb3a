//! OP-03: a failed production deployment is followed by a successful one to the same
//! repository and environment within `recovery_within`.

use serde_json::json;

use crate::evaluate::context::Context;
use crate::evaluate::deployments::{self, DeploymentFacts};
use crate::evaluate::outcome::{Judgement, Outcome};

use super::{ControlDef, DEPLOYMENTS, deployment_finding, deployment_gaps, detail};

kinds! {
    pub enum Kind {
        UnrecoveredFailure => "unrecovered_failure",
    }
}

pub const DEF: ControlDef = ControlDef {
    id: "OP-03",
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
    let Some((state, failed_at)) = facts.outcome.filter(|_| facts.failed()) else {
        if let Some(gaps) = deployment_gaps(ctx, facts, &["deployment_statuses"]) {
            return Judgement::Untested(format!("its statuses are unknown: {gaps}"));
        }
        return Judgement::Pass;
    };
    let within = ctx.index.params.recovery_within;
    let deadline = failed_at + within.duration();
    let recovery = deployments::recovery(&ctx.index, facts);
    if let Some((_, at)) = recovery
        && at <= deadline
    {
        return Judgement::Pass;
    }
    let snapshot = ctx.index.evidence.snapshot_time;
    if recovery.is_none() && deadline > snapshot {
        return Judgement::Untested(format!(
            "it failed less than {within} before the snapshot and no successful deployment followed yet"
        ));
    }
    let d = facts.deployment;
    let after = match recovery {
        Some((r, at)) => format!(
            "the next successful deployment ({}) came {} later",
            r.id,
            hours(at - failed_at)
        ),
        None => "no successful deployment followed".into(),
    };
    let summary = format!(
        "deployment {} to {} ended `{state}` at {} and {after}, beyond {within}",
        d.id,
        d.environment,
        failed_at.format("%Y-%m-%d %H:%M UTC"),
    );
    Judgement::Fail(vec![deployment_finding(
        facts,
        Kind::UnrecoveredFailure.as_str(),
        summary,
        recovery
            .map(|(r, _)| r.evidence.clone())
            .unwrap_or_default(),
        detail([
            ("environment", json!(d.environment)),
            ("failed_at", json!(failed_at)),
            ("state", json!(state)),
            ("recovery_within", json!(within.to_string())),
            ("recovered_by", json!(recovery.map(|(r, _)| r.id.clone()))),
            ("recovered_at", json!(recovery.map(|(_, at)| at))),
        ]),
    )])
}

/// `26h10m`.
fn hours(d: chrono::Duration) -> String {
    let minutes = d.num_minutes();
    format!("{}h{:02}m", minutes / 60, minutes % 60)
}

#[cfg(test)]
mod tests {
    use crate::evaluate::testkit::*;
    use crate::findings::ResultKind;

    #[test]
    fn failure_recovered_in_time_passes() {
        let mut kit = Kit::new();
        kit.deploy(deployment(1, "aa").outcome(Some(("failure", 5))));
        kit.deploy(deployment(2, "aa").at("2026-08-04T10:00:00Z"));
        let eval = kit.run();
        assert_eq!(eval.kinds("OP-03"), []);
        assert_eq!(eval.deployments[0].recovered_by.as_deref(), Some("2"));
        assert_eq!(eval.deployments[0].outcome, "failure");
    }

    #[test]
    fn the_recovery_is_the_earliest_success_of_a_later_deployment() {
        let mut kit = Kit::new();
        kit.deploy(
            deployment(1, "aa")
                .at("2026-08-03T10:00:00Z")
                .outcome(Some(("failure", 30))),
        );
        // Created later, succeeded 10:40 and 10:35: the earlier success recovers.
        kit.deploy(
            deployment(2, "bb")
                .at("2026-08-03T10:05:00Z")
                .outcome(Some(("success", 35))),
        );
        kit.deploy(
            deployment(3, "cc")
                .at("2026-08-03T10:10:00Z")
                .outcome(Some(("success", 25))),
        );
        // Created before the failure, succeeded after it (10:50): not a recovery.
        kit.deploy(
            deployment(4, "dd")
                .at("2026-08-03T09:00:00Z")
                .outcome(Some(("success", 110))),
        );
        let eval = kit.run();
        let failed = eval.deployments.iter().find(|d| d.id == "1").unwrap();
        assert_eq!(failed.recovered_by.as_deref(), Some("3"));
        assert_eq!(
            failed.recovered_at.map(|t| t.to_rfc3339()).as_deref(),
            Some("2026-08-03T10:35:00+00:00")
        );
    }

    #[test]
    fn late_or_missing_recovery_is_an_exception() {
        let mut kit = Kit::new();
        kit.deploy(deployment(1, "aa").outcome(Some(("error", 5))));
        kit.deploy(deployment(2, "aa").at("2026-08-04T16:00:00Z"));
        // A success to another environment does not recover production.
        kit.deploy(
            deployment(3, "bb")
                .environment("prod-eu")
                .outcome(Some(("failure", 5)))
                .at("2026-08-10T10:00:00Z"),
        );
        kit.deploy(deployment(4, "bb").at("2026-08-10T11:00:00Z"));
        let eval = kit.run();
        assert_eq!(
            eval.kinds("OP-03"),
            [
                dexc(1, "unrecovered_failure"),
                dexc(3, "unrecovered_failure")
            ]
        );
        let e = eval.exception("OP-03/acme/api/deployment/1/unrecovered_failure");
        assert!(e.summary.contains("came 25h00m later"), "{}", e.summary);
        let e = eval.exception("OP-03/acme/api/deployment/3/unrecovered_failure");
        assert!(
            e.summary.contains("no successful deployment followed"),
            "{}",
            e.summary
        );
    }

    #[test]
    fn inactive_after_success_is_success_and_in_progress_is_no_failure() {
        let mut kit = Kit::new();
        let mut d = deployment(1, "aa").build();
        d.statuses.push(crate::model::DeploymentStatus {
            state: "inactive".into(),
            created_at: t("2026-08-05T00:00:00Z"),
            creator: None,
            log_url: None,
        });
        kit.evidence.deployments.push(d);
        kit.deploy(deployment(2, "aa").outcome(None));
        let eval = kit.run();
        assert_eq!(eval.kinds("OP-03"), []);
        assert_eq!(eval.deployments[0].state, "inactive");
        assert_eq!(eval.deployments[0].outcome, "success");
        assert_eq!(eval.deployments[1].outcome, "none");
    }

    #[test]
    fn failure_whose_recovery_period_is_still_open_is_not_judged() {
        let mut kit = Kit::new();
        kit.deploy(
            deployment(1, "aa")
                .at("2026-09-30T20:00:00Z")
                .outcome(Some(("failure", 5))),
        );
        kit.evidence.snapshot_time = t("2026-10-01T09:00:00Z");
        let eval = kit.run();
        assert_eq!(eval.kinds("OP-03"), []);
        let r = eval.result("OP-03");
        assert_eq!(r.result, ResultKind::NotTested);
        assert!(
            r.reason.as_deref().unwrap().contains("before the snapshot"),
            "{r:?}"
        );
        // At the real snapshot the day has passed: unrecovered.
        kit.evidence.snapshot_time = t("2026-10-05T09:00:00Z");
        assert_eq!(kit.run().kinds("OP-03"), [dexc(1, "unrecovered_failure")]);
    }
}
