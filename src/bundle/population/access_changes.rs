//! The access-change population (AC-05): grants added, removed or changed since the
//! previous snapshot, for the access reviewer's sign-off.

use std::borrow::Cow;

use crate::evaluate::AccessChangeRow;
use crate::findings::SubjectType;

use super::super::BundleInput;
use super::super::results::ExceptionIndex;
use super::{Column, Draft, Show, SubjectOf, TableSpec, Value, labelled_record};

pub(in crate::bundle) const CONTROL: &str = "AC-05";

fn spec() -> TableSpec {
    use Show::*;
    TableSpec {
        stem: "access_changes",
        sheet: "Access changes",
        title: "Access changes since the previous snapshot",
        noun: ("access change", "access changes"),
        description: "the access grants (account, resource, permission and route) added, removed or changed between the previous snapshot and this one.",
        empty: "No access grant differs from the previous snapshot, or no previous snapshot was given (see AC-05's result).",
        controls: vec![CONTROL],
        columns: vec![
            Column::new("org", "Organisation", FileOnly),
            Column::new("grant", "Grant", FileOnly),
            Column::new("change", "Change", Key).weight(9.0),
            Column::new("account_type", "Account type", Detail),
            Column::new("account", "Account", Key).weight(18.0),
            Column::new("account_id", "Account id", FileOnly),
            Column::new("resource", "Resource", Key).weight(18.0),
            Column::new("permission", "Permission", Key).weight(10.0),
            Column::new("previous_permission", "Previous permission", Key).weight(10.0),
            Column::new("via", "Via", Lead),
        ],
        subject: (SubjectOf::Fixed(SubjectType::Account), "org", "account"),
        time: None,
        freeze_columns: 0,
    }
}

fn values(c: &AccessChangeRow) -> Vec<Value<'_>> {
    vec![
        Value::text(&c.org),
        Value::Text(Cow::Owned(c.grant())),
        Value::text(&c.change),
        Value::text(&c.account_type),
        Value::text(&c.account),
        Value::text(&c.account_id),
        Value::text(&c.resource),
        Value::text(&c.permission),
        Value::text(&c.previous_permission),
        Value::text(&c.via),
    ]
}

pub(super) fn table<'a>(input: &'a BundleInput<'a>, index: &ExceptionIndex<'a>) -> Draft<'a> {
    let rows = &input.evaluation.access_changes;
    Draft {
        spec: spec(),
        rows: rows.iter().map(values).collect(),
        records: vec![
            rows.iter()
                .map(|c| {
                    labelled_record(
                        input,
                        index,
                        CONTROL,
                        (&c.org, SubjectType::Account, &c.account),
                        &format!("{} {} {}", c.change, c.account, c.resource),
                    )
                })
                .collect(),
        ],
    }
}
