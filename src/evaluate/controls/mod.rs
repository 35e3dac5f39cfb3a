//! The test logic, one module per control. Each control is a pure function of the
//! shared [`Context`] that returns an [`Outcome`]; the exception kinds it can emit are
//! an enum declared with [`kinds!`], so the catalog can be checked against the code.

use serde_json::{Map, Value};

use crate::findings::{Detail, SubjectType};

use super::context::Context;
use super::deployments::DeploymentFacts;
use super::facts::ChangeFacts;
use super::outcome::{Finding, Outcome, PopulationKind};

/// Declares a control's exception kinds: an enum, its public names and `ALL`.
macro_rules! kinds {
    ($vis:vis enum $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        $vis enum $name { $($variant),+ }

        impl $name {
            /// Every kind's public name, as in the catalog and the exception ids.
            pub const NAMES: &'static [&'static str] = &[$($text),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }
    };
}

pub mod ac01;
pub mod ac02;
pub mod ac03;
pub mod ac04;
pub mod ac05;
pub mod cm01;
pub mod cm02;
pub mod cm03;
pub mod cm04;
pub mod cm05;
pub mod cm06;
pub mod cm07;
pub mod cm08;
pub mod cm09;
pub mod cm10;
pub mod op01;
pub mod op02;
pub mod op03;
pub mod op04;

/// A control's test logic.
pub struct ControlDef {
    pub id: &'static str,
    /// Every exception kind the logic can emit.
    pub kinds: &'static [&'static str],
    pub population: PopulationKind,
    pub run: fn(&Context<'_>) -> Outcome,
}

/// Every control with test logic, in catalog order.
pub const CONTROLS: &[ControlDef] = &[
    ac01::DEF,
    ac02::DEF,
    ac03::DEF,
    ac04::DEF,
    ac05::DEF,
    cm01::DEF,
    cm02::DEF,
    cm03::DEF,
    cm04::DEF,
    cm05::DEF,
    cm06::DEF,
    cm07::DEF,
    cm08::DEF,
    cm09::DEF,
    cm10::DEF,
    op01::DEF,
    op02::DEF,
    op03::DEF,
    op04::DEF,
];

pub fn find(id: &str) -> Option<&'static ControlDef> {
    CONTROLS.iter().find(|c| c.id == id)
}

/// The change population's kind, shared by CM-01 … CM-04.
pub const CHANGES: PopulationKind = PopulationKind {
    evidence_type: "pull_requests",
    noun: "changes",
};

/// The deployment population's kind, shared by CM-06 … CM-08 and OP-01 … OP-03.
pub const DEPLOYMENTS: PopulationKind = PopulationKind {
    evidence_type: "deployments",
    noun: "deployments",
};

/// A finding about a deployment: subject (the deployment id), url (its workflow run or
/// API record) and the deployment's own evidence filled in.
pub fn deployment_finding(
    facts: &DeploymentFacts<'_>,
    kind: &'static str,
    summary: String,
    extra_evidence: Vec<crate::model::EvidenceRef>,
    detail: Detail,
) -> Finding {
    let d = facts.deployment;
    Finding {
        kind,
        repo: d.repo.to_string(),
        subject_type: SubjectType::Deployment,
        subject: d.id.to_string(),
        summary,
        url: facts.link(),
        evidence: d.evidence.iter().cloned().chain(extra_evidence).collect(),
        detail,
    }
}

/// Why no deployment of a repository can be judged on evidence of `types`: the gaps
/// that cover it, joined; `None` when every type was collected.
pub fn deployment_gaps(
    ctx: &Context<'_>,
    facts: &DeploymentFacts<'_>,
    types: &[&str],
) -> Option<String> {
    let d = facts.deployment;
    let gaps: Vec<String> = types
        .iter()
        .flat_map(|t| ctx.index.gaps(t, &d.source, &d.repo))
        .map(super::context::describe_gap)
        .collect();
    (!gaps.is_empty()).then(|| gaps.join("; "))
}

/// A finding about a change: subject, url and the change's own evidence filled in.
pub fn change_finding(
    facts: &ChangeFacts<'_>,
    kind: &'static str,
    summary: String,
    extra_evidence: Vec<crate::model::EvidenceRef>,
    detail: Detail,
) -> Finding {
    let change = facts.change;
    Finding {
        kind,
        repo: change.repo.to_string(),
        subject_type: SubjectType::Change,
        subject: change.number.to_string(),
        summary,
        url: change.url.to_string(),
        evidence: change
            .evidence
            .iter()
            .cloned()
            .chain(extra_evidence)
            .collect(),
        detail,
    }
}

/// `@a`, `@a and @b`, `@a, @b and @c`.
pub fn people(logins: &[&str]) -> String {
    let tagged: Vec<String> = logins.iter().map(|l| format!("@{l}")).collect();
    match tagged.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// `` `a` ``, `` `a` and `b` `` …
pub fn names(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| format!("`{i}`")).collect();
    match quoted.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// `1 approval`, `2 approvals`.
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// An exception's detail: a JSON object of (key, value) pairs, in their order, held as
/// its compact text from the start (a control can find a hundred thousand exceptions,
/// and their parsed maps were the largest thing alive while it ran).
pub fn detail<const N: usize>(pairs: [(&str, Value); N]) -> Detail {
    Detail::new(&detail_map(pairs))
}

/// The pairs as a JSON object, for a detail that is built in steps.
pub fn detail_map<const N: usize>(pairs: [(&str, Value); N]) -> Map<String, Value> {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::catalog::Catalog;

    #[test]
    fn catalog_and_code_agree_on_controls_and_kinds() {
        let catalog = Catalog::builtin().unwrap();
        for def in CONTROLS {
            let entry = catalog
                .get(def.id)
                .unwrap_or_else(|| panic!("{} has logic but no catalog entry", def.id));
            let in_catalog: BTreeSet<&str> = entry.kinds.iter().map(|k| k.kind.as_str()).collect();
            let in_code: BTreeSet<&str> = def.kinds.iter().copied().collect();
            assert_eq!(
                in_catalog, in_code,
                "{}: catalog kinds differ from code",
                def.id
            );
            assert_eq!(
                in_catalog.len(),
                entry.kinds.len(),
                "{}: a kind is listed twice",
                def.id
            );
        }
        for entry in &catalog.controls {
            assert!(
                find(&entry.id).is_some(),
                "{} is in the catalog but has no test logic",
                entry.id
            );
        }
        let order: Vec<&str> = CONTROLS.iter().map(|c| c.id).collect();
        let catalog_order: Vec<&str> = catalog.controls.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(order, catalog_order);
    }

    /// The frequencies SPEC §6 gives sample sizes for.
    const FREQUENCIES: &[&str] = &[
        "recurring",
        "daily",
        "weekly",
        "monthly",
        "quarterly",
        "annual",
    ];

    #[test]
    fn catalog_text_is_complete() {
        let catalog = Catalog::builtin().unwrap();
        for (file, text) in crate::catalog::CATALOG_FILES {
            assert!(!text.contains("TODO"), "{file} still has TODO");
            assert!(!text.contains("PLACEHOLDER"), "{file} is a placeholder");
        }
        for entry in &catalog.controls {
            for text in [
                &entry.title,
                &entry.objective,
                &entry.procedure,
                &entry.population,
            ] {
                assert!(
                    text.trim().len() > 10,
                    "{}: text too short: {text:?}",
                    entry.id
                );
            }
            assert!(!entry.tsc.is_empty(), "{}: no TSC reference", entry.id);
            assert!(
                FREQUENCIES.contains(&entry.frequency.as_str()),
                "{}: frequency `{}` is not one of {FREQUENCIES:?}",
                entry.id,
                entry.frequency
            );
            for kind in &entry.kinds {
                assert!(
                    kind.description.trim().len() > 20,
                    "{}/{}",
                    entry.id,
                    kind.kind
                );
            }
            for p in &entry.parameters {
                assert!(
                    !p.default.is_empty() && !p.description.is_empty(),
                    "{}/{}",
                    entry.id,
                    p.name
                );
            }
        }
    }

    #[test]
    fn catalog_parameter_defaults_match_the_config_defaults() {
        let catalog = Catalog::builtin().unwrap();
        let defaults = crate::config::ControlParams::default();
        let expected = |name: &str| -> Option<String> {
            Some(match name {
                "min_approvals" => defaults.min_approvals.to_string(),
                "require_checks" => defaults.require_checks.to_string(),
                "require_deployment_approval" => defaults.require_deployment_approval.to_string(),
                "business_hours" => defaults.business_hours.clone(),
                "business_days" => format!("{:?}", defaults.business_days),
                "recovery_within" => defaults.recovery_within.to_string(),
                "emergency_labels" => format!("{:?}", defaults.emergency_labels),
                "service_accounts" => "[]".to_string(),
                "timezone" => "UTC".to_string(),
                "bots" => "[]".to_string(),
                _ => return None,
            })
        };
        for entry in &catalog.controls {
            for p in &entry.parameters {
                if let Some(value) = expected(&p.name) {
                    assert_eq!(p.default, value, "{}/{}", entry.id, p.name);
                }
            }
        }
    }

    #[test]
    fn helpers_read_naturally() {
        assert_eq!(people(&["a"]), "@a");
        assert_eq!(people(&["a", "b", "c"]), "@a, @b and @c");
        assert_eq!(names(&["x", "y"]), "`x` and `y`");
        assert_eq!(count(1, "approval"), "1 approval");
        assert_eq!(count(0, "approval"), "0 approvals");
    }
}
