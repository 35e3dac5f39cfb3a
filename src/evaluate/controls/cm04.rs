//! CM-04: no change bypassed branch protection or rulesets. One exception per change, on
//! the strongest basis: a rule suite that recorded a bypass of the merge push, an
//! audit-log policy override at the merge, or inference from what the protection
//! requires and what the change had.

use serde_json::{Value, json};

use crate::evaluate::context::{Context, Index, describe_gap};
use crate::evaluate::facts::ChangeFacts;
use crate::evaluate::outcome::{Judgement, Outcome};
use crate::findings::Detail;
use crate::model::{AuditEvent, Evidence, RuleSuite, Text};
use crate::util::FastHashMap;

use super::{CHANGES, ControlDef, change_finding, cm03, names};

kinds! {
    pub enum Kind {
        ProtectionBypassed => "protection_bypassed",
    }
}

pub const DEF: ControlDef = ControlDef {
    id: "CM-04",
    kinds: Kind::NAMES,
    population: CHANGES,
    run,
};

/// The audit-log action GitHub records when protection is overridden.
pub const POLICY_OVERRIDE: &str = "protected_branch.policy_override";
/// How far from the merge time an override event may lie and still be the merge's.
const OVERRIDE_WINDOW_SECONDS: i64 = 5 * 60;

fn run(ctx: &Context<'_>) -> Outcome {
    let mut outcome = Outcome::new(ctx.index.population_caveats(CHANGES.evidence_type));
    let bypasses = Bypasses::build(ctx.index.evidence);
    for facts in &ctx.changes {
        outcome.record(facts.subject(), judge(&ctx.index, &bypasses, facts));
    }
    outcome
}

/// The recorded bypasses, indexed for the look-up of each change. Rule suites are
/// recorded for every push to a protected branch, about one per change: scanning them
/// all for each change was quadratic (a million changes, a million suites).
struct Bypasses<'a> {
    /// Rule suites with the result `bypass` by (repository, ref, pushed SHA), both
    /// lower-cased: the lowest id of each, the first of equal ids in evidence order.
    rule_suites: FastHashMap<(String, &'a str, String), &'a RuleSuite>,
    /// Policy overrides by lower-cased repository, with their place in the evidence, in
    /// time order.
    overrides: FastHashMap<String, Vec<(usize, &'a AuditEvent)>>,
}

impl<'a> Bypasses<'a> {
    fn build(evidence: &'a Evidence) -> Bypasses<'a> {
        let mut rule_suites: FastHashMap<(String, &str, String), &RuleSuite> =
            FastHashMap::default();
        for suite in &evidence.rule_suites {
            if !suite.result.eq_ignore_ascii_case("bypass") {
                continue;
            }
            let key = (
                suite.repo.to_ascii_lowercase(),
                suite.ref_name.as_str(),
                suite.after_sha.to_ascii_lowercase(),
            );
            let kept = rule_suites.entry(key).or_insert(suite);
            if suite.id < kept.id {
                *kept = suite;
            }
        }
        let mut overrides: FastHashMap<String, Vec<_>> = FastHashMap::default();
        for (position, event) in evidence.audit_events.iter().enumerate() {
            if event.action != POLICY_OVERRIDE {
                continue;
            }
            if let Some(repo) = &event.repo {
                overrides
                    .entry(repo.to_ascii_lowercase())
                    .or_default()
                    .push((position, event));
            }
        }
        for events in overrides.values_mut() {
            events.sort_by_key(|&(position, event)| (event.at, position));
        }
        Bypasses {
            rule_suites,
            overrides,
        }
    }
}

/// What the protection required and the change did not have.
struct Inference {
    required_approvals: u32,
    counted: Vec<String>,
    approvals_short: bool,
    missing_checks: Vec<Text>,
    failed_checks: Vec<(Text, String)>,
}

enum Basis<'a> {
    RuleSuite(&'a RuleSuite),
    AuditLog(&'a AuditEvent),
    Inference(Inference),
}

impl Basis<'_> {
    fn name(&self) -> &'static str {
        match self {
            Basis::RuleSuite(_) => "rule_suite",
            Basis::AuditLog(_) => "audit_log",
            Basis::Inference(_) => "inference",
        }
    }
}

fn judge(index: &Index<'_>, bypasses: &Bypasses<'_>, facts: &ChangeFacts<'_>) -> Judgement {
    if let Some(reason) = &facts.unplaced {
        return Judgement::Untested(reason.clone());
    }
    let change = facts.change;
    let mut bases = Vec::new();
    let mut unknown = Vec::new();
    // A missing source of bypass evidence matters only where it could hold a bypass of
    // this branch: rule suites record ruleset bypasses, the audit log's policy overrides
    // are of classic protection. A branch with neither has nothing to bypass (CM-10
    // reports it). Unknown protection keeps both sources relevant.
    let protection = index.protection(&change.repo, &change.base_branch);
    let rulesets_apply = protection.is_none_or(|p| p.has_rulesets);
    let classic_applies = protection.is_none_or(|p| p.protected);
    match rule_suite(bypasses, facts) {
        Some(suite) => bases.push(Basis::RuleSuite(suite)),
        None if rulesets_apply => unknown.extend(
            index
                .gaps("rule_suites", &change.source, &change.repo)
                .into_iter()
                .map(describe_gap),
        ),
        None => {}
    }
    match audit_event(bypasses, facts) {
        Some(event) => bases.push(Basis::AuditLog(event)),
        None if classic_applies => unknown.extend(
            index
                .gaps("audit_log", &change.source, &change.repo)
                .into_iter()
                .map(describe_gap),
        ),
        None => {}
    }
    match infer(index, facts) {
        Ok(Some(inference)) => bases.push(Basis::Inference(inference)),
        Ok(None) => {}
        Err(reason) => unknown.push(reason),
    }
    if bases.is_empty() {
        return if unknown.is_empty() {
            Judgement::Pass
        } else {
            Judgement::Untested(unknown.join("; "))
        };
    }
    Judgement::Fail(vec![finding(facts, &bases)])
}

/// Rule suite `bypass` of the push that merged the change.
fn rule_suite<'a>(bypasses: &Bypasses<'a>, facts: &ChangeFacts<'_>) -> Option<&'a RuleSuite> {
    let change = facts.change;
    let merge = change.merge_commit_sha.as_deref()?;
    let ref_name = format!("refs/heads/{}", change.base_branch);
    let key = (
        change.repo.to_ascii_lowercase(),
        ref_name.as_str(),
        merge.to_ascii_lowercase(),
    );
    bypasses.rule_suites.get(&key).copied()
}

/// A policy override on the change's repository and branch within five minutes of the
/// merge; the closest one when there are several.
fn audit_event<'a>(bypasses: &Bypasses<'a>, facts: &ChangeFacts<'_>) -> Option<&'a AuditEvent> {
    let change = facts.change;
    let events = bypasses.overrides.get(&change.repo.to_ascii_lowercase())?;
    // Whole seconds apart, as `num_seconds` counts (it truncates): a second more on each
    // side bounds the search, the test below decides.
    let reach = chrono::Duration::seconds(OVERRIDE_WINDOW_SECONDS + 1);
    let from = events.partition_point(|(_, e)| e.at < change.merged_at - reach);
    let to = events.partition_point(|(_, e)| e.at <= change.merged_at + reach);
    let seconds_apart = |e: &AuditEvent| (e.at - change.merged_at).num_seconds().abs();
    events[from..to]
        .iter()
        .filter(|(_, e)| {
            e.branch.as_deref().is_none_or(|b| b == change.base_branch)
                && seconds_apart(e) <= OVERRIDE_WINDOW_SECONDS
        })
        // The closest, then by document id; the first in evidence order of equals.
        .min_by_key(|(position, e)| (seconds_apart(e), e.document_id.clone(), *position))
        .map(|(_, e)| *e)
}

/// Infers a bypass from the protection in force: `Ok(None)` when the change met what
/// it requires (or it requires nothing), `Err` when that cannot be told.
fn infer(index: &Index<'_>, facts: &ChangeFacts<'_>) -> Result<Option<Inference>, String> {
    if let Some(reason) = cm03::protection_unknown(index, facts) {
        return Err(reason);
    }
    let Some(protection) = facts.protection else {
        return Ok(None);
    };
    if !(protection.protected || protection.has_rulesets) {
        return Ok(None);
    }
    let mut unknown = None;
    let required_approvals = protection.required_approvals;
    let mut counted = Vec::new();
    let mut approvals_short = false;
    if required_approvals > 0 {
        if facts.reviews_complete {
            counted = facts
                .github_counted_approvers()
                .into_iter()
                .map(String::from)
                .collect();
            approvals_short = counted.len() < required_approvals as usize;
        } else {
            unknown = Some("its reviews were not collected in full".to_string());
        }
    }
    let (mut missing_checks, mut failed_checks) = (Vec::new(), Vec::new());
    if !facts.checks.required.is_empty() {
        match cm03::checks_unknown(facts) {
            Some(reason) => unknown = Some(reason),
            None => {
                missing_checks = facts.checks.missing_required.to_vec();
                failed_checks = facts.checks.failed_required.to_vec();
            }
        }
    }
    if approvals_short || !missing_checks.is_empty() || !failed_checks.is_empty() {
        return Ok(Some(Inference {
            required_approvals,
            counted,
            approvals_short,
            missing_checks,
            failed_checks,
        }));
    }
    match unknown {
        Some(reason) => Err(reason),
        None => Ok(None),
    }
}

fn finding(facts: &ChangeFacts<'_>, bases: &[Basis<'_>]) -> crate::evaluate::outcome::Finding {
    let change = facts.change;
    let number = change.number;
    let strongest = &bases[0];
    let mut detail = serde_json::Map::new();
    detail.insert("basis".into(), json!(strongest.name()));
    let mut evidence = Vec::new();
    let summary = match strongest {
        Basis::RuleSuite(suite) => {
            let by = suite
                .actor
                .as_deref()
                .map(|a| format!(" by @{a}"))
                .unwrap_or_default();
            format!(
                "PR #{number} bypassed branch protection (rule suite {} recorded a bypass{by})",
                suite.id
            )
        }
        Basis::AuditLog(event) => {
            let by = event
                .actor
                .as_deref()
                .map(|a| format!(" by @{a}"))
                .unwrap_or_default();
            format!(
                "PR #{number} bypassed branch protection (audit log: {POLICY_OVERRIDE}{by} at {})",
                event.at.format("%Y-%m-%d %H:%M:%S UTC")
            )
        }
        Basis::Inference(inference) => {
            format!(
                "PR #{number} merged without meeting the protection of `{}` (inferred: {})",
                change.base_branch,
                shortfalls(inference).join("; ")
            )
        }
    };
    for basis in bases {
        match basis {
            Basis::RuleSuite(suite) => {
                detail.insert(
                    "rule_suite".into(),
                    json!({
                        "id": suite.id,
                        "actor": suite.actor,
                        "ref": suite.ref_name,
                        "after_sha": suite.after_sha,
                        "pushed_at": suite.pushed_at,
                        "result": suite.result,
                    }),
                );
                evidence.extend(suite.evidence.iter().cloned());
            }
            Basis::AuditLog(event) => {
                detail.insert(
                    "audit_event".into(),
                    json!({
                        "action": event.action,
                        "actor": event.actor,
                        "repo": event.repo,
                        "branch": event.branch,
                        "at": event.at,
                        "document_id": event.document_id,
                    }),
                );
                evidence.extend(event.evidence.iter().cloned());
            }
            Basis::Inference(inference) => {
                let failed: Vec<Value> = inference
                    .failed_checks
                    .iter()
                    .map(|(name, conclusion)| json!({"name": name, "conclusion": conclusion}))
                    .collect();
                detail.insert(
                    "inference".into(),
                    json!({
                        "required_approvals": inference.required_approvals,
                        "approvals_counted": inference.counted,
                        "required_checks": facts.checks.required,
                        "missing_checks": inference.missing_checks,
                        "failed_checks": failed,
                    }),
                );
                if let Some(p) = facts.protection {
                    evidence.extend(p.evidence.iter().cloned());
                }
                evidence.extend(
                    facts
                        .approvals
                        .iter()
                        .flat_map(|a| a.review.evidence.iter().cloned()),
                );
            }
        }
    }
    let corroborated: Vec<&str> = bases[1..].iter().map(Basis::name).collect();
    detail.insert("corroborated_by".into(), json!(corroborated));
    change_finding(
        facts,
        Kind::ProtectionBypassed.as_str(),
        summary,
        evidence,
        Detail::new(&detail),
    )
}

/// What the change lacked, in short clauses.
fn shortfalls(inference: &Inference) -> Vec<String> {
    let mut parts = Vec::new();
    if inference.approvals_short {
        parts.push(format!(
            "{} of {} required approvals",
            inference.counted.len(),
            inference.required_approvals
        ));
    }
    if !inference.missing_checks.is_empty() {
        let listed: Vec<&str> = inference
            .missing_checks
            .iter()
            .map(|t| t.as_str())
            .collect();
        parts.push(format!("required {} missing", checks_noun(&listed)));
    }
    if !inference.failed_checks.is_empty() {
        let listed: Vec<&str> = inference
            .failed_checks
            .iter()
            .map(|(n, _)| n.as_str())
            .collect();
        parts.push(format!("required {} not passing", checks_noun(&listed)));
    }
    parts
}

fn checks_noun(listed: &[&str]) -> String {
    let noun = if listed.len() == 1 { "check" } else { "checks" };
    format!("{noun} {}", names(listed))
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use crate::evaluate::testkit::*;
    use crate::findings::ResultKind;
    use crate::model::{AuditEvent, CheckState, RuleSuite};

    fn suite(id: u64, after: &str, result: &str) -> RuleSuite {
        RuleSuite {
            source: SOURCE.into(),
            repo: "acme/api".into(),
            id,
            actor: Some("alice".into()),
            ref_name: "refs/heads/main".into(),
            before_sha: "0".repeat(40),
            after_sha: after.into(),
            pushed_at: merged(),
            result: result.into(),
            evaluation_result: None,
            evidence: vec![format!("sha256:suites#/{id}").into()],
        }
    }

    fn override_event(minutes: i64, branch: Option<&str>) -> AuditEvent {
        AuditEvent {
            source: SOURCE.into(),
            org: "acme".into(),
            action: "protected_branch.policy_override".into(),
            actor: Some("alice".into()),
            repo: Some("acme/api".into()),
            branch: branch.map(String::from),
            at: merged() + Duration::minutes(minutes),
            document_id: Some(format!("doc{minutes}")),
            fields: Default::default(),
            evidence: vec![format!("sha256:audit#/{minutes}").into()],
        }
    }

    fn basis(eval: &Eval, n: u64) -> String {
        eval.exception(&format!("CM-04/acme/api/change/{n}/protection_bypassed"))
            .detail
            .to_map()["basis"]
            .as_str()
            .unwrap()
            .to_string()
    }

    #[test]
    fn compliant_change_passes() {
        let mut kit = Kit::new();
        kit.add(pr(1).approve("bob"));
        kit.evidence
            .rule_suites
            .push(suite(1, &merge_sha(1), "pass"));
        let eval = kit.run();
        assert_eq!(eval.kinds("CM-04"), []);
        assert_eq!(eval.result("CM-04").result, ResultKind::Effective);
    }

    #[test]
    fn rule_suite_bypass() {
        let mut kit = Kit::new();
        kit.add(pr(12).approve("bob"));
        kit.evidence
            .rule_suites
            .push(suite(4711, &merge_sha(12), "bypass"));
        let eval = kit.run();
        assert_eq!(eval.kinds("CM-04"), [exc(12, "protection_bypassed")]);
        let e = eval.exception("CM-04/acme/api/change/12/protection_bypassed");
        assert_eq!(
            e.summary,
            "PR #12 bypassed branch protection (rule suite 4711 recorded a bypass by @alice)"
        );
        assert_eq!(e.detail.to_map()["basis"], "rule_suite");
        assert_eq!(e.detail.to_map()["rule_suite"]["id"], 4711);
        assert!(e.evidence.iter().any(|e| e == "sha256:suites#/4711"));
    }

    /// The indexed look-ups answer as a scan of every record would: repository and SHA
    /// in any case, the lowest id of several bypasses of one push, results other than
    /// bypass ignored; an override 300.9 s from the merge is within five minutes (whole
    /// seconds), one 301 s away is not, among thousands of records of other pushes.
    #[test]
    fn bypass_records_are_found_among_many_by_their_push_and_time() {
        let mut kit = Kit::new();
        kit.add(pr(1).approve("bob"));
        kit.add(pr(2).approve("bob").merged_at("2026-08-03T12:00:00Z"));
        kit.add(pr(3).approve("bob").merged_at("2026-08-05T12:00:00Z"));
        for n in 100..3100 {
            kit.evidence
                .rule_suites
                .push(suite(n, &merge_sha(n), "bypass"));
            let mut far = override_event(0, None);
            far.at = merged() + Duration::minutes(n as i64 + 10);
            kit.evidence.audit_events.push(far);
        }
        let mut upper = suite(5, &merge_sha(1).to_uppercase(), "bypass");
        upper.repo = "ACME/API".into();
        kit.evidence.rule_suites.push(upper);
        kit.evidence
            .rule_suites
            .push(suite(7, &merge_sha(1), "bypass"));
        kit.evidence
            .rule_suites
            .push(suite(3, &merge_sha(1), "pass"));
        let at = |merged: &str, millis: i64| t(merged) + Duration::milliseconds(millis);
        let mut inside = override_event(0, None);
        (inside.at, inside.document_id) = (at("2026-08-03T12:00:00Z", -300_900), None);
        inside.repo = Some("Acme/Api".into());
        kit.evidence.audit_events.push(inside);
        let mut outside = override_event(0, None);
        outside.at = at("2026-08-05T12:00:00Z", 301_000);
        kit.evidence.audit_events.push(outside);
        let eval = kit.run();
        assert_eq!(
            eval.kinds("CM-04"),
            [exc(1, "protection_bypassed"), exc(2, "protection_bypassed")]
        );
        let first = eval.exception("CM-04/acme/api/change/1/protection_bypassed");
        assert_eq!(first.detail.to_map()["rule_suite"]["id"], 5);
        assert_eq!(basis(&eval, 2), "audit_log");
    }

    #[test]
    fn rule_suite_of_another_push_or_branch_is_not_the_change() {
        let mut kit = Kit::new();
        kit.add(pr(1).approve("bob"));
        kit.evidence
            .rule_suites
            .push(suite(1, &merge_sha(2), "bypass"));
        let mut other_branch = suite(2, &merge_sha(1), "bypass");
        other_branch.ref_name = "refs/heads/develop".into();
        kit.evidence.rule_suites.push(other_branch);
        assert_eq!(kit.run().kinds("CM-04"), []);
    }

    #[test]
    fn audit_log_override_near_the_merge() {
        let mut kit = Kit::new();
        kit.add(pr(1).approve("bob"));
        kit.add(pr(2).approve("bob"));
        kit.add(pr(3).approve("bob").merged_at("2026-08-02T12:00:00Z"));
        kit.evidence
            .audit_events
            .push(override_event(4, Some("main")));
        kit.evidence.audit_events.push(override_event(-3, None));
        let mut other_branch = override_event(1, Some("develop"));
        other_branch.document_id = None;
        kit.evidence.audit_events.push(other_branch);
        let eval = kit.run();
        assert_eq!(
            eval.kinds("CM-04"),
            [exc(1, "protection_bypassed"), exc(2, "protection_bypassed")]
        );
        let e = eval.exception("CM-04/acme/api/change/1/protection_bypassed");
        assert_eq!(e.detail.to_map()["basis"], "audit_log");
        assert_eq!(e.detail.to_map()["audit_event"]["document_id"], "doc-3");
        assert!(
            e.summary
                .contains("audit log: protected_branch.policy_override by @alice")
        );
    }

    #[test]
    fn audit_event_outside_five_minutes_is_not_the_merge() {
        let mut kit = Kit::new();
        kit.add(pr(1).approve("bob"));
        kit.evidence
            .audit_events
            .push(override_event(6, Some("main")));
        assert_eq!(kit.run().kinds("CM-04"), []);
    }

    #[test]
    fn inference_from_missing_approvals_and_checks() {
        let mut kit = Kit::new();
        kit.add(pr(1).checks(Some(CheckState::Failure), &[("ci/test", Some("failure"))]));
        let eval = kit.run();
        assert_eq!(eval.kinds("CM-04"), [exc(1, "protection_bypassed")]);
        let e = eval.exception("CM-04/acme/api/change/1/protection_bypassed");
        assert_eq!(
            e.summary,
            "PR #1 merged without meeting the protection of `main` (inferred: 0 of 1 required approvals; required check `ci/test` not passing)"
        );
        assert_eq!(e.detail.to_map()["inference"]["required_approvals"], 1);
        assert!(e.evidence.iter().any(|e| e == "sha256:bp-acme/api-main#/"));
    }

    #[test]
    fn inference_from_a_missing_required_check() {
        let mut kit = Kit::new();
        kit.add(
            pr(1)
                .approve("bob")
                .checks(Some(CheckState::Success), &[("lint", Some("success"))]),
        );
        let eval = kit.run();
        assert_eq!(basis(&eval, 1), "inference");
        assert!(
            eval.exception("CM-04/acme/api/change/1/protection_bypassed")
                .summary
                .contains("required check `ci/test` missing")
        );
    }

    #[test]
    fn strongest_basis_wins_and_the_others_corroborate() {
        let mut kit = Kit::new();
        kit.add(pr(1));
        kit.evidence
            .rule_suites
            .push(suite(9, &merge_sha(1), "bypass"));
        kit.evidence
            .audit_events
            .push(override_event(0, Some("main")));
        kit.add(pr(2).merged_at("2026-08-03T12:00:00Z"));
        let mut event = override_event(0, Some("main"));
        event.at = t("2026-08-03T12:01:00Z");
        kit.evidence.audit_events.push(event);
        let eval = kit.run();
        assert_eq!(
            eval.kinds("CM-04"),
            [exc(1, "protection_bypassed"), exc(2, "protection_bypassed")]
        );
        let e = eval.exception("CM-04/acme/api/change/1/protection_bypassed");
        assert_eq!(e.detail.to_map()["basis"], "rule_suite");
        assert_eq!(
            e.detail.to_map()["corroborated_by"],
            serde_json::json!(["audit_log", "inference"])
        );
        assert_eq!(basis(&eval, 2), "audit_log");
    }

    #[test]
    fn no_inference_when_protection_requires_nothing() {
        let mut kit = Kit::new();
        let p = kit.protection("acme/api", "main");
        p.required_approvals = 0;
        p.required_checks.clear();
        kit.add(pr(1).checks(None, &[]));
        assert_eq!(kit.run().kinds("CM-04"), []);
    }

    #[test]
    fn no_inference_on_an_unprotected_branch() {
        let mut kit = Kit::new();
        let p = kit.protection("acme/api", "main");
        p.protected = false;
        p.has_rulesets = false;
        kit.add(pr(1).checks(None, &[]));
        assert_eq!(kit.run().kinds("CM-04"), []);
    }

    #[test]
    fn rulesets_alone_make_a_branch_protected() {
        let mut kit = Kit::new();
        let p = kit.protection("acme/api", "main");
        p.protected = false;
        p.has_rulesets = true;
        kit.add(pr(1));
        assert_eq!(kit.run().kinds("CM-04"), [exc(1, "protection_bypassed")]);
    }

    #[test]
    fn co_author_approval_satisfies_github_so_no_inference() {
        let mut kit = Kit::new();
        kit.add(
            pr(1)
                .co_author("Bob", "4242+bob@users.noreply.github.com")
                .approve("bob"),
        );
        let eval = kit.run();
        assert_eq!(eval.kinds("CM-01"), [exc(1, "self_approval")]);
        assert_eq!(eval.kinds("CM-04"), []);
    }

    #[test]
    fn pr_author_approval_does_not_satisfy_github() {
        let mut kit = Kit::new();
        kit.add(pr(1).approve("alice"));
        assert_eq!(kit.run().kinds("CM-04"), [exc(1, "protection_bypassed")]);
    }

    #[test]
    fn missing_audit_log_leaves_clean_changes_untested() {
        let mut kit = Kit::new();
        kit.gap("audit_log", None);
        kit.add(pr(1).approve("bob"));
        kit.add(pr(2));
        let eval = kit.run();
        assert_eq!(eval.kinds("CM-04"), [exc(2, "protection_bypassed")]);
        let r = eval.result("CM-04");
        assert_eq!(
            (r.result, r.population, r.tested),
            (ResultKind::Exceptions, 2, 1)
        );
        assert!(
            r.reason
                .as_deref()
                .unwrap()
                .contains("`audit_log` of source github-acme")
        );
    }

    #[test]
    fn positive_evidence_is_judged_despite_a_rule_suite_gap() {
        let mut kit = Kit::new();
        kit.gap("rule_suites", Some("acme/api"));
        kit.add(pr(1).approve("bob"));
        kit.evidence
            .audit_events
            .push(override_event(0, Some("main")));
        let eval = kit.run();
        assert_eq!(basis(&eval, 1), "audit_log");
        assert_eq!(eval.result("CM-04").tested, 1);
    }

    #[test]
    fn a_missing_evidence_source_matters_only_where_it_could_hold_a_bypass() {
        // Rulesets only: the audit log's policy overrides are of classic protection.
        let mut kit = Kit::new();
        kit.gap("audit_log", None);
        let p = kit.protection("acme/api", "main");
        p.protected = false;
        p.has_rulesets = true;
        kit.add(pr(1).approve("bob"));
        let r = kit.run().result("CM-04").clone();
        assert_eq!((r.result, r.tested), (ResultKind::Effective, 1), "{r:?}");

        // Classic protection only: rule suites record ruleset bypasses.
        let mut kit = Kit::new();
        kit.gap("rule_suites", Some("acme/api"));
        kit.add(pr(1).approve("bob"));
        let r = kit.run().result("CM-04").clone();
        assert_eq!((r.result, r.tested), (ResultKind::Effective, 1), "{r:?}");

        // Both apply: a rule-suite gap leaves a clean change untested.
        let mut kit = Kit::new();
        kit.gap("rule_suites", Some("acme/api"));
        kit.protection("acme/api", "main").has_rulesets = true;
        kit.add(pr(1).approve("bob"));
        let r = kit.run().result("CM-04").clone();
        assert_eq!((r.result, r.tested), (ResultKind::NotTested, 0), "{r:?}");
    }

    #[test]
    fn unknown_protection_is_untested() {
        let mut kit = Kit::new();
        kit.remove_protection("acme/api", "main");
        kit.add(pr(1).approve("bob"));
        let r = kit.run().result("CM-04").clone();
        assert_eq!(r.result, ResultKind::NotTested);
        assert!(r.reason.unwrap().contains("no branch protection record"));
    }
}
