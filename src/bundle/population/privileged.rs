//! The privileged access population (AC-03): each organisation's owner list, outside
//! collaborators' direct grants on in-scope repositories and, when `approved_admins` is
//! given, repository admins other than owners.

use crate::evaluate::PrivilegedRow;
use crate::findings::SubjectType;

use super::super::BundleInput;
use super::super::results::ExceptionIndex;
use super::{Column, Draft, Show, SubjectOf, TableSpec, Value, labelled_record};

pub(in crate::bundle) const CONTROL: &str = "AC-03";

fn spec() -> TableSpec {
    use Show::*;
    TableSpec {
        stem: "privileged_access",
        sheet: "Privileged access",
        title: "Privileged access population",
        noun: ("privileged access record", "privileged access records"),
        description: "each organisation's owner list, each direct grant of an outside collaborator on an in-scope repository and, when `approved_admins` is given, each repository admin who is not an organisation owner, at the snapshot.",
        empty: "No privileged access record exists at the snapshot.",
        controls: vec![CONTROL],
        columns: vec![
            Column::new("org", "Organisation", FileOnly),
            Column::new("record", "Record", Key).weight(26.0),
            Column::new("kind", "Kind", Key).weight(16.0),
            Column::new("resource", "Resource", Lead),
            Column::new("account", "Account", Lead),
            Column::new("permission", "Permission", Key).weight(10.0),
            Column::new("members", "Owners or routes", Detail),
            Column::new("subject_type", "Subject type", FileOnly),
            Column::new("subject", "Subject", FileOnly),
        ],
        subject: (SubjectOf::Column("subject_type"), "resource", "subject"),
        time: None,
        freeze_columns: 2,
    }
}

/// How the findings name the record: an owner list by its organisation, a grant by the
/// repository and the account.
fn subject(p: &PrivilegedRow) -> (SubjectType, &str) {
    if p.account.is_empty() {
        (SubjectType::Org, &p.resource)
    } else {
        (SubjectType::Account, &p.account)
    }
}

/// The exception kind a record of this kind can raise.
fn kind_of(p: &PrivilegedRow) -> &'static str {
    match p.record.as_str() {
        "org owners" => "excess_org_owners",
        "outside collaborator" => "outside_collaborator_write",
        _ => "unapproved_admin",
    }
}

fn values(p: &PrivilegedRow) -> Vec<Value<'_>> {
    let (subject_type, subject) = subject(p);
    vec![
        Value::text(&p.org),
        Value::text(&p.label),
        Value::text(&p.record),
        Value::text(&p.resource),
        Value::text(&p.account),
        Value::text(&p.permission),
        Value::List(&p.members),
        Value::text(subject_type.as_str()),
        Value::text(subject),
    ]
}

pub(super) fn table<'a>(input: &'a BundleInput<'a>, index: &ExceptionIndex<'a>) -> Draft<'a> {
    let rows = &input.evaluation.privileged;
    Draft {
        spec: spec(),
        rows: rows.iter().map(values).collect(),
        records: vec![
            rows.iter()
                .map(|p| {
                    let (subject_type, subject) = subject(p);
                    let mut record = labelled_record(
                        input,
                        index,
                        CONTROL,
                        (&p.resource, subject_type, subject),
                        &p.label,
                    );
                    // An outside collaborator who is also an admin of the repository is
                    // two records under one subject: each takes its own kind.
                    record.exceptions.retain(|e| e.kind == kind_of(p));
                    record
                })
                .collect(),
        ],
    }
}
