//! The deployment population (CM-06 … CM-08, OP-01 … OP-03): deployments of the
//! in-scope repositories to a production environment created inside the window.

use std::borrow::Cow;

use crate::evaluate::DeploymentRow;
use crate::findings::SubjectType;

use super::super::BundleInput;
use super::super::results::ExceptionIndex;
use super::{Column, Draft, Show, Style, SubjectOf, TableSpec, Value, labelled_record};

/// Controls whose population is the deployments, in column order.
pub(in crate::bundle) const CONTROLS: [&str; 6] =
    ["CM-06", "CM-07", "CM-08", "OP-01", "OP-02", "OP-03"];

fn spec() -> TableSpec {
    use Show::*;
    TableSpec {
        stem: "deployments",
        sheet: "Deployments",
        title: "Deployment population",
        noun: ("deployment", "deployments"),
        description: "deployments of the in-scope repositories to a production environment created inside the window, each traced to the change it shipped (CM-06 … CM-08, OP-01 … OP-03).",
        empty: "No deployment to a production environment was created inside the window.",
        controls: CONTROLS.to_vec(),
        columns: vec![
            Column::new("repo", "Repository", Key).weight(15.0),
            Column::new("id", "Deployment", Key)
                .style(Style::Mono)
                .link("url")
                .weight(13.0),
            Column::new("environment", "Environment", Lead).style(Style::Mono),
            Column::new("sha", "Commit", Lead).style(Style::Sha),
            Column::new("ref", "Ref", FileOnly),
            Column::new("created_at", "Created at", Key)
                .style(Style::Mono)
                .weight(17.0),
            Column::new("created_local", "Local time", Detail).style(Style::Mono),
            Column::new("business_hours", "Business hours", Detail),
            Column::new("deployer", "Deployer", Lead),
            Column::new("deployer_basis", "Deployer from", Detail),
            Column::new("workflow_run_id", "Workflow run", FileOnly),
            Column::new("state", "State", Detail).style(Style::Mono),
            Column::new("outcome", "Outcome", Detail),
            Column::new("approvers", "Approvers", Detail),
            Column::new("approval_required", "Approval required", Detail),
            Column::new("change", "Change", Lead),
            Column::new("traced_by", "Traced by", Detail),
            Column::new("change_merged_at", "Change merged at", FileOnly),
            Column::new("change_in_window", "Change in window", Detail),
            Column::new("change_authors", "Change authors", Detail),
            Column::new("emergency", "Emergency", Detail),
            Column::new("recovered_by", "Recovered by", Detail),
            Column::new("recovered_at", "Recovered at", FileOnly),
            Column::new("url", "Address", FileOnly),
            Column::new("source", "Source", Detail),
        ],
        subject: (SubjectOf::Fixed(SubjectType::Deployment), "repo", "id"),
        time: Some("created_at"),
        freeze_columns: 2,
    }
}

fn values(d: &DeploymentRow) -> Vec<Value<'_>> {
    vec![
        Value::text(&d.repo),
        Value::text(&d.id),
        Value::text(&d.environment),
        Value::text(&d.sha),
        Value::text(&d.ref_name),
        Value::Time(d.created_at),
        Value::text(&d.created_local),
        d.business_hours.map_or(Value::Empty, Value::Bool),
        Value::text(&d.deployer),
        Value::text(&d.deployer_basis),
        d.workflow_run_id
            .map_or(Value::Empty, |id| Value::Text(Cow::Owned(id.to_string()))),
        Value::text(&d.state),
        Value::text(&d.outcome),
        Value::Texts(&d.approvers),
        Value::Bool(d.approval_required),
        d.change.as_deref().map_or(Value::Empty, Value::text),
        Value::text(&d.traced_by),
        d.change_merged_at.map_or(Value::Empty, Value::Time),
        d.change_in_window.map_or(Value::Empty, Value::Bool),
        Value::Texts(&d.change_authors),
        Value::Bool(d.emergency),
        d.recovered_by.as_deref().map_or(Value::Empty, Value::text),
        d.recovered_at.map_or(Value::Empty, Value::Time),
        Value::Url(&d.url),
        Value::text(&d.source),
    ]
}

pub(super) fn table<'a>(input: &'a BundleInput<'a>, index: &ExceptionIndex<'a>) -> Draft<'a> {
    let rows = &input.evaluation.deployments;
    let records = CONTROLS
        .iter()
        .map(|&id| {
            rows.iter()
                .map(|d| {
                    labelled_record(
                        input,
                        index,
                        id,
                        (&d.repo, SubjectType::Deployment, &d.id),
                        &format!("{}:{}", d.repo, d.id),
                    )
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
