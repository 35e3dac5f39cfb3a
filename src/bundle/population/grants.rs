//! The access-grant population: every grant at the snapshot — (account, resource,
//! permission) and its route (org role, team, direct, deploy key, secret). A reference
//! population: AC-03 judges the privileged grants (`privileged_access`) and AC-05 the
//! grants that changed (`access_changes`); this is the list both are drawn from.

use crate::evaluate::GrantRow;
use crate::findings::SubjectType;

use super::super::BundleInput;
use super::{Column, Draft, Show, SubjectOf, TableSpec, Value};

fn spec() -> TableSpec {
    use Show::*;
    TableSpec {
        stem: "grants",
        sheet: "Access grants",
        title: "Access grant population",
        noun: ("grant", "grants"),
        description: "every access grant at the snapshot: an account (user, bot, deploy key or secret), the resource (organisation, repository or team), the permission and the route that gives it. The privileged access (AC-03) and access changes (AC-05) populations are drawn from it.",
        empty: "No access grant was collected.",
        controls: Vec::new(),
        columns: vec![
            Column::new("org", "Organisation", FileOnly),
            Column::new("account_type", "Account type", Key).weight(12.0),
            Column::new("account", "Account", Key).weight(22.0),
            Column::new("account_id", "Account id", FileOnly),
            Column::new("resource", "Resource", Key).weight(22.0),
            Column::new("permission", "Permission", Key).weight(14.0),
            Column::new("via", "Via", Key).weight(18.0),
        ],
        subject: (SubjectOf::Fixed(SubjectType::Account), "org", "account"),
        time: None,
        freeze_columns: 0,
    }
}

fn values(g: &GrantRow) -> Vec<Value<'_>> {
    vec![
        Value::text(&g.org),
        Value::text(&g.account_type),
        Value::text(&g.account),
        Value::text(&g.account_id),
        Value::text(&g.resource),
        Value::text(&g.permission),
        Value::text(&g.via),
    ]
}

pub(super) fn table<'a>(input: &'a BundleInput<'a>) -> Draft<'a> {
    Draft {
        spec: spec(),
        rows: input.evaluation.grants.iter().map(values).collect(),
        records: Vec::new(),
    }
}
