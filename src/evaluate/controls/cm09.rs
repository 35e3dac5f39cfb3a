//! CM-09: emergency changes (a label in `emergency_labels`) that merged without enough
//! independent approvals got an independent review after the merge, within
//! `emergency_review_within`. Such a change is judged here instead of by CM-01/CM-02; an
//! emergency change properly approved before merge is CM-01/CM-02's and passes here.

use serde_json::json;

use crate::evaluate::context::{Context, Index};
use crate::evaluate::facts::{ChangeFacts, SetAsideWhy};
use crate::evaluate::outcome::{Judgement, Outcome, PopulationKind};
use crate::model::{Review, Text, Timestamp, login_key};

use super::{ControlDef, change_finding, cm01, detail, people};

kinds! {
    pub enum Kind {
        EmergencyUnreviewed => "emergency_unreviewed",
    }
}

pub const DEF: ControlDef = ControlDef {
    id: "CM-09",
    kinds: Kind::NAMES,
    population: EMERGENCY,
    run,
};

/// The emergency changes: the change population's records with an emergency label.
pub const EMERGENCY: PopulationKind = PopulationKind {
    evidence_type: "pull_requests",
    noun: "emergency changes",
};

/// How CM-01 names the changes it leaves to CM-09.
pub const DEFERRED: &str =
    "emergency changes merged without enough independent approvals, judged by CM-09";

fn run(ctx: &Context<'_>) -> Outcome {
    let mut outcome = Outcome::new(ctx.index.population_caveats(EMERGENCY.evidence_type));
    let labels: Vec<String> = ctx
        .index
        .params
        .emergency_labels
        .iter()
        .map(|l| format!("`{l}`"))
        .collect();
    outcome.not_applicable = Some(format!(
        "none of the {} changes of the population carries an emergency label ({})",
        ctx.changes.len(),
        labels.join(", ")
    ));
    for facts in ctx.changes.iter().filter(|f| f.emergency) {
        outcome.record(facts.subject(), judge(&ctx.index, facts));
    }
    outcome
}

/// Whether CM-09 judges the change instead of CM-01/CM-02: it carries an emergency label
/// and CM-01 would raise an exception for it.
pub fn takes_over(index: &Index<'_>, facts: &ChangeFacts<'_>) -> bool {
    facts.emergency && matches!(cm01::judge(index, facts), Judgement::Fail(_))
}

/// The independent reviews after the merge of an emergency change.
#[derive(Debug, Clone)]
pub struct Retro<'a> {
    /// When the retro review was due: merge time plus `emergency_review_within`.
    pub due: Timestamp,
    /// Independent human approvals submitted after the merge, in time order.
    pub approvals: Vec<(Text, &'a Review)>,
}

impl<'a> Retro<'a> {
    pub fn of(index: &Index<'_>, facts: &ChangeFacts<'a>) -> Retro<'a> {
        let due = facts.change.merged_at + index.params.emergency_review_within.duration();
        // Reviews judged "approved only after the merge" are human approvals (bots and
        // deleted accounts are set aside for that first) that were not dismissed.
        let mut approvals: Vec<(Text, &'a Review)> = facts
            .set_aside
            .iter()
            .filter(|s| s.why == SetAsideWhy::AfterMerge)
            .filter(|s| {
                s.review
                    .author
                    .as_ref()
                    .is_some_and(|a| !facts.authors.contains_key(login_key(&a.login).as_str()))
            })
            .map(|s| (s.reviewer.clone(), s.review))
            .collect();
        approvals.sort_by_key(|(_, r)| r.submitted_at);
        Retro { due, approvals }
    }

    /// The first independent approval after the merge.
    pub fn first(&self) -> Option<(&str, Timestamp)> {
        self.approvals
            .iter()
            .find_map(|(who, r)| r.submitted_at.map(|at| (who.as_str(), at)))
    }

    /// Logins of the retro approvers, in time order, each once.
    pub fn approvers(&self) -> Vec<String> {
        let mut seen = Vec::new();
        for (who, _) in &self.approvals {
            if !seen.iter().any(|s| s == who) {
                seen.push(who.to_string());
            }
        }
        seen
    }
}

fn judge(index: &Index<'_>, facts: &ChangeFacts<'_>) -> Judgement {
    if let Some(reason) = cm01::untested_reason(facts) {
        return Judgement::Untested(reason);
    }
    if !takes_over(index, facts) {
        // Approved before merge as every change must be: CM-01/CM-02 judge it.
        return Judgement::Pass;
    }
    let change = facts.change;
    let retro = Retro::of(index, facts);
    let within = &index.params.emergency_review_within;
    let timely: Vec<&(Text, &Review)> = retro
        .approvals
        .iter()
        .filter(|(_, r)| r.submitted_at.is_some_and(|at| at <= retro.due))
        .collect();
    if !timely.is_empty() {
        return Judgement::Pass;
    }
    let number = change.number;
    let labels: Vec<&str> = change
        .labels
        .iter()
        .filter(|l| {
            index
                .params
                .emergency_labels
                .iter()
                .any(|e| e.eq_ignore_ascii_case(l))
        })
        .map(|t| t.as_str())
        .collect();
    let summary = match retro.first() {
        Some((who, at)) => format!(
            "emergency PR #{number} was merged without an independent approval and reviewed by @{who} only {} after the merge (due within {within})",
            elapsed(at - change.merged_at)
        ),
        None if retro.due > index.evidence.snapshot_time => {
            return Judgement::Untested(format!(
                "no independent review yet, and its review period ({within} after the merge) had not ended at the snapshot"
            ));
        }
        None => format!(
            "emergency PR #{number} was merged without an independent approval and never reviewed independently afterwards (due within {within})"
        ),
    };
    let late: Vec<serde_json::Value> = retro
        .approvals
        .iter()
        .map(|(who, r)| json!({"reviewer": who, "review": r.id, "submitted_at": r.submitted_at}))
        .collect();
    let before: Vec<&str> = facts.approvers.values().map(|t| t.as_str()).collect();
    let evidence = retro
        .approvals
        .iter()
        .flat_map(|(_, r)| r.evidence.iter().cloned())
        .collect();
    let summary = if before.is_empty() {
        summary
    } else {
        format!(
            "{summary}; before the merge only {} approved",
            people(&before)
        )
    };
    Judgement::Fail(vec![change_finding(
        facts,
        Kind::EmergencyUnreviewed.as_str(),
        summary,
        evidence,
        detail([
            ("emergency_labels", json!(labels)),
            ("merged_at", json!(change.merged_at)),
            ("review_due", json!(retro.due)),
            ("emergency_review_within", json!(within.to_string())),
            ("approvers_before_merge", json!(before)),
            ("retro_approvals", json!(late)),
        ]),
    )])
}

/// `5 days 3 hours`, `80 hours`: how long after the merge, for summaries.
fn elapsed(d: chrono::Duration) -> String {
    let hours = d.num_hours();
    if hours < 96 {
        return format!("{hours} hours");
    }
    let (days, rest) = (hours / 24, hours % 24);
    if rest == 0 {
        format!("{days} days")
    } else {
        format!("{days} days {rest} hours")
    }
}

#[cfg(test)]
mod tests {
    use crate::evaluate::testkit::*;
    use crate::findings::ResultKind;
    use crate::model::ReviewState;

    const HOUR: i64 = 60;

    #[test]
    fn timely_retro_review_passes_and_cm01_defers() {
        let mut kit = Kit::new();
        kit.add(pr(1).label("Emergency").review(
            "bob",
            ReviewState::Approved,
            5 * HOUR,
            Some(HEAD),
        ));
        let eval = kit.run();
        assert_eq!(eval.kinds("CM-09"), []);
        assert_eq!(eval.kinds("CM-01"), []);
        let r = eval.result("CM-09");
        assert_eq!(
            (r.result, r.population, r.tested),
            (ResultKind::Effective, 1, 1)
        );
        // CM-01 counts the change but leaves it to CM-09, and says so.
        let r = eval.result("CM-01");
        assert_eq!(
            (r.result, r.population, r.tested),
            (ResultKind::Effective, 1, 0)
        );
        let reason = r.reason.as_deref().unwrap();
        assert!(reason.contains("judged by CM-09 (acme/api#1)"), "{reason}");
        // Not in CM-02's population.
        assert_eq!(eval.result("CM-02").population, 0);
        let row = &eval.changes[0];
        assert!(row.emergency && row.judged_by_cm09);
        assert_eq!(*row.retro_approvers, ["bob"]);
        assert_eq!(
            row.retro_review_at,
            Some(merged() + chrono::Duration::hours(5))
        );
        assert_eq!(
            row.retro_review_due,
            Some(merged() + chrono::Duration::hours(72))
        );
    }

    #[test]
    fn late_retro_review_is_an_exception() {
        let mut kit = Kit::new();
        kit.add(
            pr(2)
                .label("hotfix")
                .review("bob", ReviewState::Approved, 100 * HOUR, Some(HEAD)),
        );
        let eval = kit.run();
        assert_eq!(eval.kinds("CM-09"), [exc(2, "emergency_unreviewed")]);
        assert_eq!(eval.kinds("CM-01"), []);
        let e = eval.exception("CM-09/acme/api/change/2/emergency_unreviewed");
        assert_eq!(
            e.summary,
            "emergency PR #2 was merged without an independent approval and reviewed by @bob only 4 days 4 hours after the merge (due within 72h)"
        );
        assert_eq!(e.detail.to_map()["retro_approvals"][0]["reviewer"], "bob");
        assert!(e.evidence.iter().any(|e| e == "sha256:pr2#/reviews/0"));
    }

    #[test]
    fn never_reviewed_is_an_exception() {
        let mut kit = Kit::new();
        kit.add(pr(3).label("hotfix"));
        let eval = kit.run();
        assert_eq!(eval.kinds("CM-09"), [exc(3, "emergency_unreviewed")]);
        assert!(
            eval.exception("CM-09/acme/api/change/3/emergency_unreviewed")
                .summary
                .contains("never reviewed independently afterwards")
        );
        assert_eq!(eval.result("CM-09").result, ResultKind::Exceptions);
    }

    #[test]
    fn retro_reviews_that_do_not_count() {
        // The author, a bot and a dismissed review are no independent retro review.
        let mut kit = Kit::new();
        kit.add(
            pr(4)
                .label("hotfix")
                .review("alice", ReviewState::Approved, HOUR, Some(HEAD))
                .review("carol", ReviewState::Dismissed, HOUR, Some(HEAD))
                .review("bob", ReviewState::Commented, HOUR, Some(HEAD)),
        );
        let mut bot = pr(5).label("hotfix").build();
        bot.reviews.push(crate::model::Review {
            id: "r5-bot".into(),
            author: Some(crate::model::Actor {
                login: "renovate[bot]".into(),
                kind: crate::model::ActorKind::Bot,
            }),
            state: ReviewState::Approved,
            submitted_at: Some(merged() + chrono::Duration::hours(1)),
            commit_sha: None,
            evidence: vec![],
        });
        kit.evidence.changes.push(bot);
        let eval = kit.run();
        assert_eq!(
            eval.kinds("CM-09"),
            [
                exc(4, "emergency_unreviewed"),
                exc(5, "emergency_unreviewed")
            ]
        );
    }

    #[test]
    fn approved_before_merge_is_cm01s_and_passes_here() {
        let mut kit = Kit::new();
        kit.add(pr(6).label("hotfix").approve("bob"));
        // A self-approved emergency change is CM-09's, not CM-01's.
        kit.add(pr(7).label("hotfix").approve("alice").review(
            "carol",
            ReviewState::Approved,
            2 * HOUR,
            Some(HEAD),
        ));
        let eval = kit.run();
        assert_eq!(eval.kinds("CM-09"), []);
        assert_eq!(eval.kinds("CM-01"), []);
        assert_eq!(eval.result("CM-09").population, 2);
        assert!(!eval.changes[0].judged_by_cm09);
        assert!(eval.changes[1].judged_by_cm09);
        assert_eq!(eval.result("CM-02").population, 1);
    }

    #[test]
    fn no_label_means_cm01_judges_it() {
        let mut kit = Kit::new();
        kit.add(pr(8).review("bob", ReviewState::Approved, HOUR, Some(HEAD)));
        let eval = kit.run();
        assert_eq!(eval.kinds("CM-01"), [exc(8, "no_approval")]);
        assert_eq!(eval.kinds("CM-09"), []);
        assert_eq!(eval.result("CM-09").result, ResultKind::NotApplicable);
    }

    #[test]
    fn review_period_open_at_the_snapshot_is_not_judged() {
        let mut kit = Kit::new();
        // Merged 2026-09-30 12:00: due 2026-10-03 12:00 is before the snapshot
        // (2026-10-05 09:00); move the snapshot back to leave the period open.
        kit.add(pr(9).label("hotfix").merged_at("2026-09-30T12:00:00Z"));
        kit.evidence.snapshot_time = t("2026-10-02T09:00:00Z");
        let eval = kit.run();
        assert_eq!(eval.kinds("CM-09"), []);
        let r = eval.result("CM-09");
        assert_eq!((r.result, r.tested), (ResultKind::NotTested, 0));
        assert!(
            r.reason
                .as_deref()
                .unwrap()
                .contains("had not ended at the snapshot")
        );
        // A review after the window end but inside the period counts.
        let mut kit = Kit::new();
        kit.add(
            pr(10)
                .label("hotfix")
                .merged_at("2026-09-30T20:00:00Z")
                .review("bob", ReviewState::Approved, 30 * HOUR, Some(HEAD)),
        );
        assert_eq!(kit.run().kinds("CM-09"), []);
    }

    #[test]
    fn configured_period_and_labels_apply() {
        let mut kit = Kit::new();
        kit.config.controls.emergency_labels = vec!["sev1".into()];
        kit.config.controls.emergency_review_within =
            crate::config::DurationSpec::parse("4h").unwrap();
        kit.add(
            pr(11)
                .label("SEV1")
                .review("bob", ReviewState::Approved, 5 * HOUR, Some(HEAD)),
        );
        kit.add(pr(12).label("hotfix"));
        let eval = kit.run();
        assert_eq!(eval.kinds("CM-09"), [exc(11, "emergency_unreviewed")]);
        assert_eq!(eval.kinds("CM-01"), [exc(12, "no_approval")]);
    }
}
