//! CM-03: the head commit at merge passed its checks: every required check is present
//! and passed, the rollup is not failing, and (with `require_checks`) there were checks.

use serde_json::json;

use crate::evaluate::context::{Context, Index, describe_gap};
use crate::evaluate::facts::{ChangeFacts, short};
use crate::evaluate::outcome::{Judgement, Outcome};

use super::{CHANGES, ControlDef, change_finding, detail, names};

kinds! {
    pub enum Kind {
        ChecksFailed => "checks_failed",
        ChecksMissing => "checks_missing",
    }
}

pub const DEF: ControlDef = ControlDef {
    id: "CM-03",
    kinds: Kind::NAMES,
    population: CHANGES,
    run,
};

/// Evidence types the required checks come from.
pub const PROTECTION_TYPES: &[&str] = &["branch_protection", "rulesets"];

fn run(ctx: &Context<'_>) -> Outcome {
    let mut outcome = Outcome::new(ctx.index.population_caveats(CHANGES.evidence_type));
    for facts in &ctx.changes {
        outcome.record(facts.subject(), judge(&ctx.index, facts));
    }
    outcome
}

/// Why the protection in force on a change's base branch is unknown, if it is.
pub fn protection_unknown(index: &Index<'_>, facts: &ChangeFacts<'_>) -> Option<String> {
    let change = facts.change;
    if let Some(gap) = PROTECTION_TYPES
        .iter()
        .flat_map(|t| index.gaps(t, &change.source, &change.repo))
        .next()
    {
        return Some(describe_gap(gap));
    }
    if facts.protection.is_none() {
        return Some(format!(
            "no branch protection record for {} branch `{}` at the snapshot",
            change.repo, change.base_branch
        ));
    }
    None
}

/// Why the head commit's checks cannot be judged, if they cannot.
pub fn checks_unknown(facts: &ChangeFacts<'_>) -> Option<String> {
    if !facts.checks_complete {
        return Some("the head commit's checks were not collected in full".into());
    }
    if !facts.checks.on_head {
        return Some("the checks collected belong to another commit than the head at merge".into());
    }
    None
}

fn judge(index: &Index<'_>, facts: &ChangeFacts<'_>) -> Judgement {
    if let Some(reason) = facts
        .unplaced
        .clone()
        .or_else(|| protection_unknown(index, facts))
        .or_else(|| checks_unknown(facts))
    {
        return Judgement::Untested(reason);
    }
    let change = facts.change;
    let checks = &facts.checks;
    let number = change.number;
    let head = short(&change.head_sha);
    let protection_evidence = facts
        .protection
        .map(|p| p.evidence.clone())
        .unwrap_or_default();
    let mut findings = Vec::new();
    let no_checks = index.params.require_checks && checks.no_checks;
    if !checks.missing_required.is_empty() || no_checks {
        let missing: Vec<&str> = checks.missing_required.iter().map(|t| t.as_str()).collect();
        let summary = if checks.no_checks {
            let required = if missing.is_empty() {
                String::new()
            } else {
                format!(" (required: {})", names(&missing))
            };
            format!("PR #{number} merged with no checks at all on its head commit {head}{required}")
        } else {
            let noun = if missing.len() == 1 {
                "check"
            } else {
                "checks"
            };
            format!(
                "PR #{number} merged without required {noun} {} on its head commit {head}",
                names(&missing)
            )
        };
        findings.push(change_finding(
            facts,
            Kind::ChecksMissing.as_str(),
            summary,
            protection_evidence.clone(),
            detail([
                ("head_sha", json!(change.head_sha)),
                ("required_checks", json!(checks.required)),
                ("missing_required", json!(checks.missing_required)),
                ("no_checks_at_all", json!(checks.no_checks)),
            ]),
        ));
    }
    if !checks.failed_required.is_empty() || checks.rollup_failing {
        let summary = failed_summary(facts);
        let failed: Vec<_> = checks
            .failed_required
            .iter()
            .map(|(name, conclusion)| json!({"name": name, "conclusion": conclusion}))
            .collect();
        let failing: Vec<_> = checks
            .failing
            .iter()
            .map(|(name, conclusion)| json!({"name": name, "conclusion": conclusion}))
            .collect();
        findings.push(change_finding(
            facts,
            Kind::ChecksFailed.as_str(),
            summary,
            protection_evidence,
            detail([
                ("head_sha", json!(change.head_sha)),
                ("rollup", json!(checks.state)),
                ("required_checks", json!(checks.required)),
                ("failed_required", json!(failed)),
                ("failing_checks", json!(failing)),
            ]),
        ));
    }
    if findings.is_empty() {
        Judgement::Pass
    } else {
        Judgement::Fail(findings)
    }
}

fn failed_summary(facts: &ChangeFacts<'_>) -> String {
    let number = facts.change.number;
    let checks = &facts.checks;
    let failed = &checks.failed_required;
    if failed.is_empty() {
        let listed: Vec<String> = checks
            .failing
            .iter()
            .map(|(name, conclusion)| format!("`{name}` {conclusion}"))
            .collect();
        let which = if listed.is_empty() {
            String::new()
        } else {
            format!(": {}", listed.join(", "))
        };
        return format!(
            "PR #{number} merged while its head commit's checks were failing (rollup {}{which})",
            checks.state
        );
    }
    let all_failure = failed.iter().all(|(_, c)| c == "failure");
    let noun = if failed.len() == 1 { "check" } else { "checks" };
    if all_failure {
        let listed: Vec<&str> = failed.iter().map(|(n, _)| n.as_str()).collect();
        format!(
            "PR #{number} merged with required {noun} {} failed",
            names(&listed)
        )
    } else {
        let listed: Vec<String> = failed
            .iter()
            .map(|(name, conclusion)| format!("`{name}` {conclusion}"))
            .collect();
        format!(
            "PR #{number} merged with required {noun} not passing: {}",
            listed.join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::evaluate::testkit::*;
    use crate::findings::ResultKind;
    use crate::model::CheckState;

    fn approved(n: u64) -> ChangeBuilder {
        pr(n).approve("bob")
    }

    #[test]
    fn green_required_check_passes() {
        let mut kit = Kit::new();
        kit.add(approved(1));
        let eval = kit.run();
        assert_eq!(eval.kinds("CM-03"), []);
        assert_eq!(eval.result("CM-03").result, ResultKind::Effective);
        assert_eq!(eval.changes[0].check_state, "success");
        assert_eq!(*eval.changes[0].required_checks, ["ci/test"]);
    }

    #[test]
    fn missing_required_check() {
        let mut kit = Kit::new();
        kit.add(approved(1).checks(Some(CheckState::Success), &[("lint", Some("success"))]));
        let eval = kit.run();
        assert_eq!(eval.kinds("CM-03"), [exc(1, "checks_missing")]);
        let e = eval.exception("CM-03/acme/api/change/1/checks_missing");
        assert_eq!(
            e.summary,
            format!(
                "PR #1 merged without required check `ci/test` on its head commit {}",
                &head_sha(1)[..7]
            )
        );
        assert_eq!(
            e.detail.to_map()["missing_required"],
            serde_json::json!(["ci/test"])
        );
        assert!(e.evidence.iter().any(|e| e == "sha256:bp-acme/api-main#/"));
    }

    #[test]
    fn failed_required_check() {
        let mut kit = Kit::new();
        kit.add(approved(88).checks(Some(CheckState::Failure), &[("ci/test", Some("failure"))]));
        let eval = kit.run();
        assert_eq!(eval.kinds("CM-03"), [exc(88, "checks_failed")]);
        assert_eq!(
            eval.exception("CM-03/acme/api/change/88/checks_failed")
                .summary,
            "PR #88 merged with required check `ci/test` failed"
        );
    }

    #[test]
    fn cancelled_or_pending_required_check_is_not_passing() {
        let mut kit = Kit::new();
        kit.add(approved(1).checks(Some(CheckState::Pending), &[("ci/test", None)]));
        kit.add(approved(2).checks(Some(CheckState::Failure), &[("ci/test", Some("cancelled"))]));
        let eval = kit.run();
        assert_eq!(
            eval.kinds("CM-03"),
            [exc(1, "checks_failed"), exc(2, "checks_failed")]
        );
        assert_eq!(
            eval.exception("CM-03/acme/api/change/1/checks_failed")
                .summary,
            "PR #1 merged with required check not passing: `ci/test` pending"
        );
    }

    #[test]
    fn failing_rollup_fails_even_when_required_checks_pass() {
        let mut kit = Kit::new();
        kit.add(approved(1).checks(
            Some(CheckState::Failure),
            &[("ci/test", Some("success")), ("lint", Some("failure"))],
        ));
        let eval = kit.run();
        assert_eq!(eval.kinds("CM-03"), [exc(1, "checks_failed")]);
        let e = eval.exception("CM-03/acme/api/change/1/checks_failed");
        assert_eq!(
            e.summary,
            "PR #1 merged while its head commit's checks were failing (rollup failure: `lint` failure)"
        );
    }

    #[test]
    fn missing_and_failed_on_one_change_are_two_exceptions() {
        let mut kit = Kit::new();
        kit.protection("acme/api", "main").required_checks = vec!["ci/test".into(), "lint".into()];
        kit.add(approved(1).checks(Some(CheckState::Failure), &[("lint", Some("failure"))]));
        assert_eq!(
            kit.run().kinds("CM-03"),
            [exc(1, "checks_failed"), exc(1, "checks_missing")]
        );
    }

    #[test]
    fn neutral_and_skipped_pass() {
        let mut kit = Kit::new();
        kit.protection("acme/api", "main").required_checks = vec!["ci/test".into(), "docs".into()];
        kit.add(approved(1).checks(
            Some(CheckState::Success),
            &[("ci/test", Some("neutral")), ("docs", Some("skipped"))],
        ));
        assert_eq!(kit.run().kinds("CM-03"), []);
    }

    #[test]
    fn no_checks_at_all_with_require_checks() {
        let mut kit = Kit::new();
        kit.protection("acme/api", "main").required_checks.clear();
        kit.add(approved(1).checks(None, &[]));
        let eval = kit.run();
        assert_eq!(eval.kinds("CM-03"), [exc(1, "checks_missing")]);
        assert_eq!(
            eval.exception("CM-03/acme/api/change/1/checks_missing")
                .summary,
            format!(
                "PR #1 merged with no checks at all on its head commit {}",
                &head_sha(1)[..7]
            )
        );
        assert_eq!(eval.changes[0].check_state, "none");
    }

    #[test]
    fn no_checks_at_all_without_require_checks() {
        let mut kit = Kit::new();
        kit.config.controls.require_checks = false;
        kit.protection("acme/api", "main").required_checks.clear();
        kit.add(approved(1).checks(None, &[]));
        assert_eq!(kit.run().kinds("CM-03"), []);
        // A required check is still required.
        let mut kit = Kit::new();
        kit.config.controls.require_checks = false;
        kit.add(approved(1).checks(None, &[]));
        let eval = kit.run();
        assert_eq!(eval.kinds("CM-03"), [exc(1, "checks_missing")]);
        assert!(
            eval.exception("CM-03/acme/api/change/1/checks_missing")
                .summary
                .ends_with("(required: `ci/test`)")
        );
    }

    #[test]
    fn no_protection_record_leaves_the_change_untested() {
        let mut kit = Kit::new();
        kit.add(approved(1).base("release/1.0"));
        let eval = kit.run();
        assert_eq!(eval.kinds("CM-03"), []);
        let r = eval.result("CM-03");
        assert_eq!(r.result, ResultKind::NotTested);
        assert!(
            r.reason
                .as_deref()
                .unwrap()
                .contains("no branch protection record for acme/api branch `release/1.0`"),
            "{:?}",
            r.reason
        );
    }

    #[test]
    fn protection_gap_leaves_the_repository_untested() {
        let mut kit = Kit::new();
        kit.gap("rulesets", Some("acme/api"));
        kit.add(approved(1).checks(None, &[]));
        kit.add(approved(2).repo("acme/payments"));
        let eval = kit.run();
        assert_eq!(eval.kinds("CM-03"), []);
        let r = eval.result("CM-03");
        assert_eq!(
            (r.result, r.population, r.tested),
            (ResultKind::NotTested, 2, 1)
        );
        assert!(
            r.reason
                .as_deref()
                .unwrap()
                .contains("`rulesets` of acme/api could not be collected (HTTP 403)")
        );
    }

    #[test]
    fn checks_of_another_commit_are_not_judged() {
        let mut kit = Kit::new();
        kit.add(approved(1).checks_sha("0000000000000000000000000000000000000abc"));
        assert_eq!(kit.run().result("CM-03").result, ResultKind::NotTested);
    }
}
