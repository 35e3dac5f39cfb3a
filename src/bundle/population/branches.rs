//! The production-branch population (CM-10): each production branch of the in-scope
//! repositories at the snapshot, with every setting tested and the configuration changes
//! recorded in the window.

use std::borrow::Cow;

use crate::evaluate::BranchRow;
use crate::findings::SubjectType;

use super::super::BundleInput;
use super::super::results::ExceptionIndex;
use super::{Column, Draft, Show, Style, SubjectOf, TableSpec, Value, labelled_record};

pub(in crate::bundle) const CONTROL: &str = "CM-10";

fn spec() -> TableSpec {
    use Show::*;
    TableSpec {
        stem: "branches",
        sheet: "Branches",
        title: "Production branch population",
        noun: ("production branch", "production branches"),
        description: "the production branches of the in-scope repositories at the snapshot, with the protection settings tested against the baseline and the configuration changes recorded in the window.",
        empty: "No in-scope repository has a production branch.",
        controls: vec![CONTROL],
        columns: vec![
            Column::new("repo", "Repository", Key).weight(18.0),
            Column::new("branch", "Branch", Key)
                .style(Style::Mono)
                .weight(14.0),
            Column::new("classic_protection", "Classic protection", Detail),
            Column::new("rulesets", "Rulesets", Detail),
            Column::new("ruleset_ids", "Ruleset ids", FileOnly),
            Column::new("require_pull_request", "PR required", Detail),
            Column::new("required_approvals", "Approvals required", Key).weight(10.0),
            Column::new("min_approvals", "Baseline approvals", Detail),
            Column::new("dismiss_stale_reviews", "Dismiss stale reviews", Detail),
            Column::new("required_checks", "Required checks", Detail).style(Style::Mono),
            Column::new("enforce_admins", "Enforced for admins", Detail),
            Column::new("bypass_actors", "Bypass actors", Detail),
            Column::new("allow_force_pushes", "Force pushes allowed", Detail),
            Column::new("failing_settings", "Below baseline", Lead).style(Style::Prose),
            Column::new("configuration_changes", "Changes in window", Detail).style(Style::Prose),
            Column::new("weakened_in_window", "Weakened in window", Key).weight(10.0),
        ],
        subject: (SubjectOf::Fixed(SubjectType::Branch), "repo", "branch"),
        time: None,
        freeze_columns: 2,
    }
}

fn changes(b: &BranchRow) -> String {
    b.configuration_changes
        .iter()
        .map(|c| {
            let mut line = format!(
                "{} {} ({})",
                super::super::format_time(c.at),
                c.action,
                c.basis
            );
            if let Some(actor) = &c.actor {
                line.push_str(&format!(" by @{actor}"));
            }
            if !c.weakened.is_empty() {
                line.push_str(&format!(": weakened {}", c.weakened.join(", ")));
            }
            line
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn values(b: &BranchRow) -> Vec<Value<'_>> {
    let opt_bool = |v: Option<bool>| v.map_or(Value::Empty, Value::Bool);
    vec![
        Value::text(&b.repo),
        Value::text(&b.branch),
        opt_bool(b.classic_protection),
        opt_bool(b.rulesets),
        Value::Text(Cow::Owned(
            b.ruleset_ids
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(";"),
        )),
        opt_bool(b.require_pull_request),
        b.required_approvals
            .map_or(Value::Empty, |n| Value::Int(u64::from(n))),
        Value::Int(u64::from(b.min_approvals)),
        opt_bool(b.dismiss_stale_reviews),
        Value::List(&b.required_checks),
        opt_bool(b.enforce_admins),
        Value::List(&b.bypass_actors),
        opt_bool(b.allow_force_pushes),
        Value::List(&b.failing_settings),
        Value::Text(Cow::Owned(changes(b))),
        Value::Bool(b.weakened_in_window),
    ]
}

pub(super) fn table<'a>(input: &'a BundleInput<'a>, index: &ExceptionIndex<'a>) -> Draft<'a> {
    let rows = &input.evaluation.branches;
    Draft {
        spec: spec(),
        rows: rows.iter().map(values).collect(),
        records: vec![
            rows.iter()
                .map(|b| {
                    labelled_record(
                        input,
                        index,
                        CONTROL,
                        (&b.repo, SubjectType::Branch, &b.branch),
                        &format!("{}:{}", b.repo, b.branch),
                    )
                })
                .collect(),
        ],
    }
}
