//! The change population (CM-01 … CM-04): pull requests merged into a production branch
//! inside the window.

use crate::evaluate::ChangeRow;
use crate::findings::SubjectType;
use crate::model::Change;

use super::super::BundleInput;
use super::super::results::{ExceptionIndex, Record};
use super::{Column, Draft, Show, Style, SubjectOf, TableSpec, Value};

/// Controls whose population is the changes, in column order.
pub(in crate::bundle) const CONTROLS: [&str; 5] = ["CM-01", "CM-02", "CM-03", "CM-04", "CM-09"];

fn spec() -> TableSpec {
    use Show::*;
    TableSpec {
        stem: "changes",
        sheet: "Changes",
        title: "Change population",
        noun: ("change", "changes"),
        description: "pull requests merged into a production branch inside the window (CM-01, CM-03, CM-04; CM-02 for those without a CM-01 exception that CM-09 does not judge; CM-09 for those with an emergency label).",
        empty: "No change merged into a production branch inside the window.",
        controls: CONTROLS.to_vec(),
        columns: vec![
            Column::new("repo", "Repository", Key).weight(16.0),
            Column::new("number", "PR", Key)
                .style(Style::Number)
                .link("url")
                .weight(7.0),
            Column::new("title", "Title", Lead).style(Style::Prose),
            Column::new("url", "Address", FileOnly),
            Column::new("author", "Author", Key).weight(13.0),
            Column::new("authors", "Authors", Detail),
            Column::new("base_branch", "Base branch", Lead).style(Style::Mono),
            Column::new("merged_at", "Merged at", Key)
                .style(Style::Mono)
                .weight(17.0),
            Column::new("merged_by", "Merged by", Detail),
            Column::new("merge_commit_sha", "Merge commit", FileOnly),
            Column::new("head_sha", "Head commit", FileOnly),
            Column::new("approvers", "Approvers", Detail),
            Column::new("independent_approvers", "Independent approvers", Detail),
            Column::new("approval_on_head", "Approval on head", Detail),
            Column::new("check_state", "Checks", Detail).style(Style::Mono),
            Column::new("required_checks", "Required checks", Detail).style(Style::Mono),
            Column::new("labels", "Labels", Detail),
            Column::new("emergency", "Emergency", Detail),
            Column::new("judged_by_cm09", "Judged by CM-09", FileOnly),
            Column::new("retro_approvers", "Retro approvers", Detail),
            Column::new("retro_review_at", "Retro review at", Detail).style(Style::Mono),
            Column::new("retro_review_due", "Retro review due", Detail).style(Style::Mono),
            Column::new("source", "Source", Detail),
        ],
        subject: (SubjectOf::Fixed(SubjectType::Change), "repo", "number"),
        time: Some("merged_at"),
        freeze_columns: 2,
    }
}

fn values(c: &ChangeRow) -> Vec<Value<'_>> {
    vec![
        Value::text(&c.repo),
        Value::Int(c.number),
        Value::text(&c.title),
        Value::Url(&c.url),
        Value::text(&c.author),
        Value::Texts(&c.authors),
        Value::text(&c.base_branch),
        Value::Time(c.merged_at),
        Value::text(&c.merged_by),
        Value::text(&c.merge_commit_sha),
        Value::text(&c.head_sha),
        Value::Texts(&c.approvers),
        Value::Texts(&c.independent_approvers),
        Value::Bool(c.approval_on_head),
        Value::text(&c.check_state),
        Value::Texts(&c.required_checks),
        Value::Texts(&c.labels),
        Value::Bool(c.emergency),
        Value::Bool(c.judged_by_cm09),
        Value::List(&c.retro_approvers),
        c.retro_review_at.map_or(Value::Empty, Value::Time),
        c.retro_review_due.map_or(Value::Empty, Value::Time),
        Value::text(&c.source),
    ]
}

pub(super) fn table<'a>(input: &'a BundleInput<'a>, index: &ExceptionIndex<'a>) -> Draft<'a> {
    let rows = &input.evaluation.changes;
    let by_key: std::collections::BTreeMap<(&str, u64), &Change> = input
        .evidence
        .changes
        .iter()
        .map(|c| ((c.repo.as_str(), c.number), c))
        .collect();
    let numbers: Vec<String> = rows.iter().map(|r| r.number.to_string()).collect();
    let exceptions = |control: &str, i: usize| {
        index.get(control, &rows[i].repo, SubjectType::Change, &numbers[i])
    };
    let records = CONTROLS
        .iter()
        .map(|&id| {
            (0..rows.len())
                .map(|i| Record {
                    // CM-02 tests the changes CM-01 found independently approved, except
                    // the emergency changes CM-09 judges instead; CM-09 tests the
                    // emergency changes.
                    in_population: match id {
                        "CM-02" => exceptions("CM-01", i).is_empty() && !rows[i].judged_by_cm09,
                        "CM-09" => rows[i].emergency,
                        _ => true,
                    },
                    exceptions: exceptions(id, i),
                    known_untested: untested(
                        id,
                        &rows[i],
                        by_key
                            .get(&(rows[i].repo.as_str(), rows[i].number))
                            .copied(),
                        input,
                    ),
                })
                .collect()
        })
        .collect();
    Draft {
        spec: spec(),
        rows: rows.iter().map(values).collect(),
        records,
    }
}

/// Whether the evaluation could not judge a change for a control, by the reasons the
/// controls document: CM-03 needs the base branch's protection record; a change whose
/// reviews, commits or checks were collected only in part is not judged on them.
fn untested(
    control: &str,
    row: &ChangeRow,
    change: Option<&Change>,
    input: &BundleInput<'_>,
) -> bool {
    let partial = |what: &[&str]| {
        change.is_some_and(|c| c.incomplete.iter().any(|i| what.contains(&i.as_str())))
    };
    match control {
        // An emergency change CM-09 judges instead stays in CM-01's population untested.
        "CM-01" => row.judged_by_cm09 || partial(&["reviews", "commits"]),
        "CM-02" => partial(&["reviews", "commits"]),
        "CM-09" => input
            .evaluation
            .untested("CM-09", &format!("{}#{}", row.repo, row.number)),
        "CM-03" => {
            partial(&["checks"])
                || !input
                    .evidence
                    .branch_protections
                    .iter()
                    .any(|p| p.repo == row.repo && p.branch == row.base_branch)
        }
        _ => false,
    }
}
