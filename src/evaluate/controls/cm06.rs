//! CM-06: every production deployment deploys a commit introduced by a merged change,
//! and that change passed CM-01 (judged with CM-01's own logic, also when it merged
//! before the window).

use serde_json::json;

use crate::evaluate::context::Context;
use crate::evaluate::deployments::DeploymentFacts;
use crate::evaluate::outcome::{Judgement, Outcome};

use super::{ControlDef, DEPLOYMENTS, cm01, deployment_finding, deployment_gaps, detail};

kinds! {
    pub enum Kind {
        UntraceableDeployment => "untraceable_deployment",
        DeployedUnapprovedChange => "deployed_unapproved_change",
    }
}

pub const DEF: ControlDef = ControlDef {
    id: "CM-06",
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

/// The evidence types a trace depends on.
const TRACE_EVIDENCE: &[&str] = &["pull_requests", "deployed_changes"];

fn judge(ctx: &Context<'_>, facts: &DeploymentFacts<'_>) -> Judgement {
    let d = facts.deployment;
    let Some(trace) = facts.trace else {
        if let Some(gaps) = deployment_gaps(ctx, facts, TRACE_EVIDENCE) {
            return Judgement::Untested(format!(
                "the change behind the deployed commit cannot be established: {gaps}"
            ));
        }
        let summary = format!(
            "deployment {} to {} deployed commit {}, which no merged pull request introduced into a production branch",
            d.id,
            d.environment,
            facts.short_sha()
        );
        return Judgement::Fail(vec![deployment_finding(
            facts,
            Kind::UntraceableDeployment.as_str(),
            summary,
            Vec::new(),
            detail([
                ("sha", json!(d.sha)),
                ("environment", json!(d.environment)),
                ("ref", json!(d.ref_name)),
            ]),
        )]);
    };
    let Some(change) = ctx.deployed_change(facts) else {
        return Judgement::Untested(format!(
            "the deployed commit belongs to PR #{} (by {}), whose record was not collected, so its approvals are unknown",
            trace.number,
            trace.basis.describe()
        ));
    };
    let verdict = cm01::judge(&ctx.index, change);
    let found = match verdict {
        Judgement::Pass => return Judgement::Pass,
        Judgement::Untested(reason) => {
            return Judgement::Untested(format!(
                "the deployed change PR #{} cannot be judged: {reason}",
                trace.number
            ));
        }
        Judgement::Fail(found) => found,
    };
    let Some(first) = found.first() else {
        return Judgement::Pass;
    };
    let window = &ctx.index.window;
    let when = if window.contains(change.change.merged_at) {
        String::new()
    } else {
        format!(
            " (merged {}, outside the window)",
            change.change.merged_at.format("%Y-%m-%d")
        )
    };
    let summary = format!(
        "deployment {} to {} deployed PR #{}{when}, which lacks independent approval: {}",
        d.id, d.environment, trace.number, first.summary
    );
    Judgement::Fail(vec![deployment_finding(
        facts,
        Kind::DeployedUnapprovedChange.as_str(),
        summary,
        change.change.evidence.clone(),
        detail([
            ("change", json!(format!("{}#{}", d.repo, trace.number))),
            ("change_url", json!(change.change.url)),
            ("traced_by", json!(trace.basis.code())),
            ("change_merged_at", json!(change.change.merged_at)),
            (
                "change_in_window",
                json!(window.contains(change.change.merged_at)),
            ),
            ("cm01_kind", json!(first.kind)),
            (
                "cm01_detail",
                serde_json::Value::Object(first.detail.to_map()),
            ),
        ]),
    )])
}

#[cfg(test)]
mod tests {
    use crate::evaluate::testkit::*;
    use crate::findings::ResultKind;

    #[test]
    fn deployment_of_an_approved_merge_commit_passes() {
        let mut kit = Kit::new();
        kit.add(pr(1).approve("bob"));
        kit.deploy(deployment(1, &merge_sha(1)));
        let eval = kit.run();
        assert_eq!(eval.kinds("CM-06"), []);
        let r = eval.result("CM-06");
        assert_eq!(
            (r.result, r.population, r.tested),
            (ResultKind::Effective, 1, 1)
        );
        let row = &eval.deployments[0];
        assert_eq!(row.change.as_deref(), Some("acme/api#1"));
        assert_eq!(row.traced_by, "merge_commit");
        assert_eq!(row.change_in_window, Some(true));
    }

    #[test]
    fn head_and_inner_commits_trace_too() {
        let mut kit = Kit::new();
        kit.add(pr(1).approve("bob").merge_sha(None));
        kit.add(pr(2).approve("bob").commit(ident("alice"), ident("alice")));
        kit.deploy(deployment(1, &head_sha(1)));
        let inner = kit.evidence.changes[1].commits[0].sha.clone();
        kit.deploy(deployment(2, &inner.to_uppercase()));
        let eval = kit.run();
        assert_eq!(eval.kinds("CM-06"), []);
        let traced: Vec<&str> = eval
            .deployments
            .iter()
            .map(|r| r.traced_by.as_str())
            .collect();
        assert_eq!(traced, ["head", "commit"]);
    }

    #[test]
    fn unknown_commit_is_untraceable() {
        let mut kit = Kit::new();
        kit.deploy(deployment(7, "0123456789abcdef0123456789abcdef01234567"));
        let eval = kit.run();
        assert_eq!(eval.kinds("CM-06"), [dexc(7, "untraceable_deployment")]);
        let e = eval.exception("CM-06/acme/api/deployment/7/untraceable_deployment");
        assert!(e.summary.contains("commit 0123456"), "{}", e.summary);
        assert_eq!(e.url, "https://github.com/acme/api/actions/runs/907");
        assert_eq!(eval.deployments[0].traced_by, "none");
    }

    #[test]
    fn a_commit_on_a_non_production_branch_change_is_untraceable() {
        let mut kit = Kit::new();
        kit.add(pr(1).approve("bob").base("develop"));
        kit.deploy(deployment(1, &merge_sha(1)));
        assert_eq!(
            kit.run().kinds("CM-06"),
            [dexc(1, "untraceable_deployment")]
        );
    }

    #[test]
    fn branch_commit_association_traces_without_a_change_record() {
        let mut kit = Kit::new();
        let sha = "abcabcabcabcabcabcabcabcabcabcabcabcabca";
        kit.add_commit(bc("acme/api", "main", sha).associated(40, true, "main"));
        kit.deploy(deployment(1, sha));
        let eval = kit.run();
        assert_eq!(eval.kinds("CM-06"), []);
        let r = eval.result("CM-06");
        assert_eq!(r.result, ResultKind::NotTested);
        assert!(r.reason.as_deref().unwrap().contains("PR #40"), "{r:?}");
        assert_eq!(eval.deployments[0].traced_by, "branch_commit");
    }

    #[test]
    fn deployed_change_without_approval_is_an_exception() {
        let mut kit = Kit::new();
        kit.add(pr(3));
        kit.deploy(deployment(1, &merge_sha(3)));
        let eval = kit.run();
        assert_eq!(eval.kinds("CM-06"), [dexc(1, "deployed_unapproved_change")]);
        let e = eval.exception("CM-06/acme/api/deployment/1/deployed_unapproved_change");
        assert!(e.summary.contains("PR #3"), "{}", e.summary);
        assert_eq!(e.detail.to_map()["cm01_kind"], "no_approval");
        assert!(e.evidence.iter().any(|e| e == "sha256:pr3#/"));
    }

    #[test]
    fn rollback_to_an_earlier_approved_commit_passes() {
        let mut kit = Kit::new();
        kit.add(pr(1).merged_at("2026-08-01T10:00:00Z").approve("bob"));
        kit.add(pr(2).merged_at("2026-08-02T10:00:00Z").approve("bob"));
        kit.deploy(deployment(1, &merge_sha(1)).at("2026-08-01T15:00:00Z"));
        kit.deploy(deployment(2, &merge_sha(2)).at("2026-08-02T15:00:00Z"));
        kit.deploy(deployment(3, &merge_sha(1)).at("2026-08-02T16:00:00Z"));
        let eval = kit.run();
        assert_eq!(eval.kinds("CM-06"), []);
        assert_eq!(eval.deployments[2].change.as_deref(), Some("acme/api#1"));
    }

    #[test]
    fn change_merged_before_the_window_is_judged_but_not_counted() {
        let mut kit = Kit::new();
        kit.add(pr(1).merged_at("2026-06-10T10:00:00Z").approve("bob"));
        kit.add(pr(2).merged_at("2026-06-11T10:00:00Z"));
        kit.deploy(deployment(1, &merge_sha(1)));
        kit.deploy(deployment(2, &merge_sha(2)));
        let eval = kit.run();
        assert_eq!(eval.result("CM-01").population, 0);
        assert_eq!(eval.kinds("CM-01"), []);
        assert_eq!(eval.kinds("CM-06"), [dexc(2, "deployed_unapproved_change")]);
        let e = eval.exception("CM-06/acme/api/deployment/2/deployed_unapproved_change");
        assert!(e.summary.contains("outside the window"), "{}", e.summary);
        assert_eq!(eval.deployments[0].change_in_window, Some(false));
    }

    #[test]
    fn untraceable_with_a_lookup_gap_is_not_tested() {
        let mut kit = Kit::new();
        kit.deploy(deployment(1, "0123456789abcdef0123456789abcdef01234567"));
        kit.gap("deployed_changes", Some("acme/api"));
        let eval = kit.run();
        assert_eq!(eval.kinds("CM-06"), []);
        let r = eval.result("CM-06");
        assert_eq!(r.result, ResultKind::NotTested);
        assert!(
            r.reason.as_deref().unwrap().contains("deployed_changes"),
            "{r:?}"
        );
    }

    #[test]
    fn non_production_and_out_of_window_deployments_are_not_in_the_population() {
        let mut kit = Kit::new();
        kit.deploy(deployment(1, "aa").environment("staging"));
        kit.deploy(deployment(2, "bb").at("2026-06-30T23:59:59Z"));
        kit.deploy(
            deployment(3, "cc")
                .environment("prod-eu")
                .at("2026-10-01T00:00:00Z"),
        );
        kit.deploy(deployment(4, "dd").environment("prod-eu"));
        let eval = kit.run();
        let ids: Vec<&str> = eval.deployments.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["4"]);
    }

    #[test]
    fn empty_deployment_population_is_not_applicable_with_its_query() {
        let eval = Kit::new().run();
        for id in ["CM-06", "CM-07", "CM-08", "OP-01", "OP-02", "OP-03"] {
            let r = eval.result(id);
            assert_eq!(r.result, ResultKind::NotApplicable, "{id}");
            assert!(
                r.reason
                    .as_deref()
                    .unwrap()
                    .starts_with("no deployments in the population"),
                "{r:?}"
            );
        }
    }
}
