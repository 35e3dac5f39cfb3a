//! The pipeline credential population (AC-04): deploy keys of the in-scope repositories
//! and Actions secrets of those repositories and of the organisation, names and dates
//! only.

use std::borrow::Cow;

use crate::evaluate::CredentialRow;
use crate::findings::SubjectType;

use super::super::BundleInput;
use super::super::results::ExceptionIndex;
use super::{Column, Draft, Show, Style, SubjectOf, TableSpec, Value, labelled_record};

pub(in crate::bundle) const CONTROL: &str = "AC-04";

fn spec() -> TableSpec {
    use Show::*;
    TableSpec {
        stem: "credentials",
        sheet: "Credentials",
        title: "Deploy key and secret population",
        noun: ("credential", "credentials"),
        description: "the deploy keys of the in-scope repositories and the Actions secrets of those repositories and of the organisation at the snapshot (names and dates only: GitHub never returns secret values).",
        empty: "No deploy key or Actions secret existed at the snapshot.",
        controls: vec![CONTROL],
        columns: vec![
            Column::new("kind", "Kind", Key)
                .style(Style::Mono)
                .weight(11.0),
            Column::new("scope", "Scope", Detail),
            Column::new("owner", "Owner", Key).weight(16.0),
            Column::new("id", "Id", FileOnly),
            Column::new("name", "Name", Key)
                .style(Style::Mono)
                .weight(18.0),
            Column::new("read_only", "Read-only", Lead),
            Column::new("allowed", "Allowed write key", Detail),
            Column::new("created_at", "Created at", Lead).style(Style::Mono),
            Column::new("updated_at", "Value set at", Detail).style(Style::Mono),
            Column::new("last_used", "Last used", Detail).style(Style::Mono),
            Column::new("age_days", "Age (days)", Key).weight(8.0),
            Column::new("source", "Source", Detail),
        ],
        subject: (SubjectOf::Column("kind"), "owner", "id"),
        time: Some("created_at"),
        freeze_columns: 1,
    }
}

fn values(c: &CredentialRow) -> Vec<Value<'_>> {
    let opt_bool = |v: Option<bool>| v.map_or(Value::Empty, Value::Bool);
    let time = |t: Option<_>| t.map_or(Value::Empty, Value::Time);
    vec![
        Value::text(&c.kind),
        Value::text(&c.scope),
        Value::text(&c.owner),
        Value::text(&c.id),
        Value::text(&c.name),
        opt_bool(c.read_only),
        opt_bool(c.allowed),
        Value::Time(c.created_at),
        time(c.updated_at),
        time(c.last_used),
        Value::Text(Cow::Owned(c.age_days.to_string())),
        Value::text(&c.source),
    ]
}

pub(super) fn table<'a>(input: &'a BundleInput<'a>, index: &ExceptionIndex<'a>) -> Draft<'a> {
    let rows = &input.evaluation.credentials;
    Draft {
        spec: spec(),
        rows: rows.iter().map(values).collect(),
        records: vec![
            rows.iter()
                .map(|c| {
                    let (subject_type, label) = if c.kind == "deploy_key" {
                        (SubjectType::DeployKey, format!("{} key {}", c.owner, c.id))
                    } else {
                        (
                            SubjectType::Secret,
                            format!("{} secret {}", c.owner, c.name),
                        )
                    };
                    labelled_record(
                        input,
                        index,
                        CONTROL,
                        (&c.owner, subject_type, &c.id),
                        &label,
                    )
                })
                .collect(),
        ],
    }
}
