//! AC-05: access review support. The grants added, removed or changed since the
//! previous snapshot, for the reviewer's sign-off. Informational: no exception kind.
//!
//! How the result reads: without a previous snapshot, `not_tested` with the reason.
//! With one, the population is the list of grant changes (each one a record, all
//! "tested" by being listed): `effective` when it was produced from complete access
//! lists on both sides (the reason then sums up the changes and names the previous
//! snapshot), `not_applicable` when nothing changed (the reason names both snapshots'
//! queries), `not_tested` when either snapshot's access lists are incomplete (the
//! differences may then be artefacts of missing data).

use crate::evaluate::access_rows::access_changes;
use crate::evaluate::context::{Context, describe_gap};
use crate::evaluate::outcome::{Judgement, Outcome, PopulationKind};
use crate::inputs::ACCESS_EVIDENCE_TYPES;

use super::{ControlDef, count};

pub const DEF: ControlDef = ControlDef {
    id: "AC-05",
    kinds: &[],
    population: PopulationKind {
        evidence_type: "org_members",
        noun: "access changes",
    },
    run,
};

const NO_PREVIOUS: &str = "no previous snapshot was given (`[access].previous_snapshot` or `--previous LOCKER|BUNDLE`), so there is nothing to compare the access grants with";

fn run(ctx: &Context<'_>) -> Outcome {
    let access = &ctx.access;
    let (Some(previous), Some(changes)) = (access.previous, access_changes(access)) else {
        return Outcome {
            unavailable: Some(NO_PREVIOUS.into()),
            ..Outcome::default()
        };
    };
    let mut caveats = Vec::new();
    for evidence_type in ACCESS_EVIDENCE_TYPES.iter().filter(|t| **t != "two_factor") {
        caveats.extend(ctx.index.population_caveats(evidence_type));
    }
    caveats.extend(
        previous
            .gaps
            .iter()
            .filter(|g| g.evidence_type != "two_factor")
            .map(|g| format!("in the previous snapshot, {}", describe_gap(g))),
    );
    caveats.sort();
    caveats.dedup();
    let mut outcome = Outcome::new(caveats);
    let tally = |what: &str| changes.iter().filter(|c| c.change == what).count();
    for change in &changes {
        outcome.record(
            format!("{} {} {}", change.change, change.account, change.resource),
            Judgement::Pass,
        );
    }
    outcome.notes.push(format!(
        "Informational: {} added, {} removed and {} changed since {}; the list is the access-changes population, for the reviewer's sign-off.",
        count(tally("added"), "grant"),
        tally("removed"),
        tally("changed"),
        previous.describe()
    ));
    outcome
}

#[cfg(test)]
mod tests {
    use crate::evaluate::testkit::*;
    use crate::findings::ResultKind;

    #[test]
    fn without_a_previous_snapshot_it_is_not_tested() {
        let mut kit = Kit::new();
        kit.access_lists();
        kit.member("alice", "admin", Some(true));
        let eval = kit.run();
        let r = eval.result("AC-05");
        assert_eq!(
            (r.result, r.population, r.tested),
            (ResultKind::NotTested, 0, 0)
        );
        assert!(
            r.reason
                .as_deref()
                .unwrap()
                .contains("no previous snapshot was given")
        );
        assert!(eval.access_changes.is_empty());
    }

    #[test]
    fn grants_added_removed_and_changed_are_listed() {
        let mut kit = Kit::new();
        kit.access_lists();
        kit.member("alice", "admin", Some(true));
        kit.member("bob", "member", Some(true));
        kit.collaborator("acme/api", "bob", "admin");
        kit.deploy_key("acme/api", 7, "new-key", true);
        let before = {
            let mut old = Kit::new();
            old.member("alice", "admin", Some(true));
            old.member("zed", "member", Some(true));
            old.collaborator("acme/api", "BOB", "write");
            old.secret("acme", "GONE", "2026-01-01T00:00:00Z");
            old.evidence.access
        };
        kit.previous(before);
        let eval = kit.run();
        let changes: Vec<(String, String, String, String, String)> = eval
            .access_changes
            .iter()
            .map(|c| {
                (
                    c.change.clone(),
                    c.account.clone(),
                    c.resource.clone(),
                    c.permission.clone(),
                    c.previous_permission.clone(),
                )
            })
            .collect();
        let row = |a: &str, b: &str, c: &str, d: &str, e: &str| {
            (
                a.to_string(),
                b.to_string(),
                c.to_string(),
                d.to_string(),
                e.to_string(),
            )
        };
        assert_eq!(
            changes,
            [
                row("added", "bob", "acme", "member", ""),
                row("removed", "GONE", "acme", "", "use"),
                row("removed", "zed", "acme", "", "member"),
                row("changed", "bob", "acme/api", "admin", "write"),
                row("added", "new-key", "acme/api", "read", ""),
            ]
        );
        let r = eval.result("AC-05");
        assert_eq!(
            (r.result, r.population, r.tested, r.exceptions),
            (ResultKind::Effective, 5, 5, 0)
        );
        let reason = r.reason.as_deref().unwrap();
        assert!(reason.starts_with("Informational: 2 grants added, 2 removed and 1 changed since the previous snapshot of 2026-07-06T09:00:00Z (locker `q2-locker`"), "{reason}");
        assert_eq!(
            reason.matches("Informational").count(),
            1,
            "stated once: {reason}"
        );
        assert!(!reason.contains(".."), "{reason}");
    }

    #[test]
    fn nothing_changed_is_not_applicable_and_partial_lists_are_not_tested() {
        let mut kit = Kit::new();
        kit.access_lists();
        kit.member("alice", "admin", Some(true));
        kit.previous(kit.evidence.access.clone());
        let r = kit.run().result("AC-05").clone();
        assert_eq!((r.result, r.population), (ResultKind::NotApplicable, 0));
        assert!(
            r.reason
                .unwrap()
                .contains("Informational: 0 grants added, 0 removed and 0 changed")
        );

        kit.gap("teams", Some("acme"));
        let r = kit.run().result("AC-05").clone();
        assert_eq!(r.result, ResultKind::NotTested);
    }
}
