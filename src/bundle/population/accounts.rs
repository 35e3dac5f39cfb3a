//! The account population (AC-01, AC-02): every account with access to an organisation
//! at the snapshot, with its role, two-factor status and roster match.

use std::borrow::Cow;

use crate::evaluate::AccountRow;
use crate::findings::SubjectType;

use super::super::BundleInput;
use super::super::results::ExceptionIndex;
use super::{Column, Draft, Show, Style, SubjectOf, TableSpec, Value, labelled_record};

/// Controls whose population is the accounts, in column order.
pub(in crate::bundle) const CONTROLS: [&str; 2] = ["AC-01", "AC-02"];

fn spec() -> TableSpec {
    use Show::*;
    TableSpec {
        stem: "accounts",
        sheet: "Accounts",
        title: "Account population",
        noun: ("account", "accounts"),
        description: "the accounts with access to each organisation at the snapshot: members and outside collaborators (AC-01, AC-02) and direct collaborators of an in-scope repository (AC-02 only), one record per account and organisation.",
        empty: "No account had access at the snapshot.",
        controls: CONTROLS.to_vec(),
        columns: vec![
            Column::new("org", "Organisation", Key).weight(12.0),
            Column::new("login", "Account", Key).weight(18.0),
            Column::new("kind", "Kind", Detail),
            Column::new("affiliation", "Affiliation", Key).weight(16.0),
            Column::new("role", "Role", Lead),
            Column::new("two_factor", "Two-factor", Key).weight(10.0),
            Column::new("direct_repos", "Direct grants", Detail),
            Column::new("roster_match", "Roster match", Lead),
            Column::new("roster_line", "Roster line", FileOnly),
            Column::new("roster_name", "Roster name", Detail),
            Column::new("roster_status", "Roster status", Detail),
            Column::new("termination_date", "Termination date", Detail).style(Style::Mono),
            Column::new("source", "Source", Detail),
        ],
        subject: (SubjectOf::Fixed(SubjectType::Account), "org", "login"),
        time: None,
        freeze_columns: 2,
    }
}

fn values(a: &AccountRow) -> Vec<Value<'_>> {
    vec![
        Value::text(&a.org),
        Value::text(&a.login),
        Value::text(&a.kind),
        Value::text(&a.affiliation),
        Value::text(&a.role),
        Value::text(&a.two_factor),
        Value::List(&a.direct_repos),
        Value::text(&a.roster_match),
        a.roster_line.map_or(Value::Empty, |l| Value::Int(l as u64)),
        Value::text(&a.roster_name),
        Value::text(&a.roster_status),
        a.termination_date.map_or(Value::Empty, |d| {
            Value::Text(Cow::Owned(d.format("%Y-%m-%d").to_string()))
        }),
        Value::text(&a.source),
    ]
}

pub(super) fn table<'a>(input: &'a BundleInput<'a>, index: &ExceptionIndex<'a>) -> Draft<'a> {
    let rows = &input.evaluation.accounts;
    let records = CONTROLS
        .iter()
        .map(|&id| {
            rows.iter()
                .map(|a| {
                    let mut record = labelled_record(
                        input,
                        index,
                        id,
                        (&a.org, SubjectType::Account, &a.login),
                        &format!("{}/@{}", a.org, a.login),
                    );
                    // AC-01 tests the organisation's own lists; a repository's direct
                    // collaborator is only in AC-02's population.
                    record.in_population =
                        id != "AC-01" || a.affiliation != "repository collaborator";
                    record
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
