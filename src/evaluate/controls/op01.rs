//! OP-01: production deployments happen inside business hours (in `[audit] timezone`)
//! or deploy an emergency change.

use serde_json::json;

use crate::evaluate::context::Context;
use crate::evaluate::deployments::DeploymentFacts;
use crate::evaluate::outcome::{Judgement, Outcome};

use super::{ControlDef, DEPLOYMENTS, deployment_finding, detail};

kinds! {
    pub enum Kind {
        OffHoursDeployment => "off_hours_deployment",
    }
}

pub const DEF: ControlDef = ControlDef {
    id: "OP-01",
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
    let (Some(local), Some(inside)) = (facts.local_time, facts.in_business_hours) else {
        // The config is validated when read; a hand-built one may still be wrong.
        return Judgement::Untested(
            "`[audit] timezone`, `business_hours` or `business_days` is not valid".into(),
        );
    };
    if inside {
        return Judgement::Pass;
    }
    let change = ctx.deployed_change(facts);
    if change.is_some_and(|c| c.emergency) {
        return Judgement::Pass;
    }
    let d = facts.deployment;
    let params = ctx.index.params;
    let zone = &ctx.index.config.audit.timezone;
    let traced = match (facts.trace, change) {
        (Some(t), Some(_)) => format!("PR #{} is not labelled as an emergency", t.number),
        (Some(t), None) => format!(
            "PR #{} was not collected, so no emergency label is known",
            t.number
        ),
        (None, _) => "it traces to no change, so it is no emergency change".into(),
    };
    let summary = format!(
        "deployment {} to {} was created {} ({zone}), outside business hours {} {}; {traced}",
        d.id,
        d.environment,
        local.format("%a %Y-%m-%d %H:%M"),
        params.business_days.join("/"),
        params.business_hours,
    );
    Judgement::Fail(vec![deployment_finding(
        facts,
        Kind::OffHoursDeployment.as_str(),
        summary,
        Vec::new(),
        detail([
            ("created_at", json!(d.created_at)),
            (
                "created_local",
                json!(local.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
            ),
            ("timezone", json!(zone)),
            ("business_hours", json!(params.business_hours)),
            ("business_days", json!(params.business_days)),
            (
                "change",
                json!(facts.trace.map(|t| format!("{}#{}", d.repo, t.number))),
            ),
        ]),
    )])
}

#[cfg(test)]
mod tests {
    use crate::evaluate::testkit::*;

    fn ny(kit: &mut Kit) {
        kit.config.audit.timezone = "America/New_York".into();
    }

    #[test]
    fn business_hours_are_judged_in_the_configured_zone() {
        let mut kit = Kit::new();
        ny(&mut kit);
        kit.add(pr(1).approve("bob"));
        // 13:30 UTC = 09:30 EDT; 02:00 UTC Tuesday = 22:00 EDT Monday.
        kit.deploy(deployment(1, &merge_sha(1)).at("2026-08-03T13:30:00Z"));
        kit.deploy(deployment(2, &merge_sha(1)).at("2026-08-04T02:00:00Z"));
        // 23:59 UTC = 19:59 EDT: inside; 00:00 UTC = 20:00 EDT: the end is excluded.
        kit.deploy(deployment(3, &merge_sha(1)).at("2026-08-04T23:59:00Z"));
        kit.deploy(deployment(4, &merge_sha(1)).at("2026-08-05T00:00:00Z"));
        let eval = kit.run();
        assert_eq!(
            eval.kinds("OP-01"),
            [
                dexc(2, "off_hours_deployment"),
                dexc(4, "off_hours_deployment")
            ]
        );
        let e = eval.exception("OP-01/acme/api/deployment/2/off_hours_deployment");
        assert!(e.summary.contains("Mon 2026-08-03 22:00"), "{}", e.summary);
        assert_eq!(e.severity, crate::findings::Severity::Low);
        assert_eq!(
            eval.deployments[0].created_local,
            "2026-08-03T09:30:00-04:00"
        );
        assert_eq!(eval.deployments[0].business_hours, Some(true));
    }

    #[test]
    fn weekends_are_outside_business_days() {
        let mut kit = Kit::new();
        kit.add(pr(1).approve("bob"));
        kit.deploy(deployment(1, &merge_sha(1)).at("2026-08-08T12:00:00Z"));
        assert_eq!(kit.run().kinds("OP-01"), [dexc(1, "off_hours_deployment")]);
        kit.config.controls.business_days.push("Sat".into());
        assert_eq!(kit.run().kinds("OP-01"), []);
    }

    #[test]
    fn emergency_change_deployed_off_hours_passes() {
        let mut kit = Kit::new();
        kit.add(pr(1).approve("bob").label("Hotfix"));
        kit.deploy(deployment(1, &merge_sha(1)).at("2026-08-04T03:00:00Z"));
        let eval = kit.run();
        assert_eq!(eval.kinds("OP-01"), []);
        assert!(eval.deployments[0].emergency);
        assert_eq!(eval.deployments[0].business_hours, Some(false));
    }

    #[test]
    fn untraceable_off_hours_deployment_is_an_exception() {
        let mut kit = Kit::new();
        kit.deploy(deployment(1, "aa").at("2026-08-04T03:00:00Z"));
        let eval = kit.run();
        assert_eq!(eval.kinds("OP-01"), [dexc(1, "off_hours_deployment")]);
        let e = eval.exception("OP-01/acme/api/deployment/1/off_hours_deployment");
        assert!(e.summary.contains("traces to no change"), "{}", e.summary);
    }

    #[test]
    fn an_invalid_zone_is_untested_not_passed() {
        let mut kit = Kit::new();
        kit.config.audit.timezone = "Mars/Olympus".into();
        kit.deploy(deployment(1, "aa"));
        let r = kit.run().result("OP-01").clone();
        assert_eq!(r.result, crate::findings::ResultKind::NotTested);
    }
}
