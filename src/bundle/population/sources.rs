//! The time-limited evidence sources (OP-04): rule suites, the organisation audit log
//! and git events, with the part of the window each covers.

use crate::evaluate::CoverageRow;
use crate::findings::SubjectType;

use super::super::BundleInput;
use super::super::results::ExceptionIndex;
use super::{Column, Draft, Show, Style, SubjectOf, TableSpec, Value, labelled_record};

pub(in crate::bundle) const CONTROL: &str = "OP-04";

fn spec() -> TableSpec {
    use Show::*;
    TableSpec {
        stem: "sources",
        sheet: "Sources",
        title: "Time-limited evidence sources",
        noun: ("source", "sources"),
        description: "the evidence sources GitHub keeps for a limited time that changeproof used, and the part of the window each reaches back to.",
        empty: "No time-limited evidence source was used.",
        controls: vec![CONTROL],
        columns: vec![
            Column::new("scope", "Scope", Key).weight(18.0),
            Column::new("source", "Source", Key)
                .style(Style::Mono)
                .weight(12.0),
            Column::new("retention", "Retention", Detail),
            Column::new("covered_from", "Covered from", Key)
                .style(Style::Mono)
                .weight(17.0),
            Column::new("oldest_record", "Oldest record", Detail).style(Style::Mono),
            Column::new("as_of", "Collected at", Detail).style(Style::Mono),
            Column::new("window_start", "Window start", FileOnly),
            Column::new("uncovered_from", "Uncovered from", Lead).style(Style::Mono),
            Column::new("uncovered_until", "Uncovered until", Lead).style(Style::Mono),
            Column::new("not_tested", "Not tested because", Detail).style(Style::Prose),
        ],
        subject: (SubjectOf::Fixed(SubjectType::Source), "scope", "source"),
        time: None,
        freeze_columns: 2,
    }
}

fn values(c: &CoverageRow) -> Vec<Value<'_>> {
    let time = |t: Option<_>| t.map_or(Value::Empty, Value::Time);
    vec![
        Value::text(&c.scope),
        Value::text(&c.source),
        Value::text(&c.retention),
        time(c.covered_from),
        time(c.oldest_record),
        time(c.as_of),
        Value::Time(c.window_start),
        time(c.uncovered_from),
        time(c.uncovered_until),
        c.not_tested.as_deref().map_or(Value::Empty, Value::text),
    ]
}

pub(super) fn table<'a>(input: &'a BundleInput<'a>, index: &ExceptionIndex<'a>) -> Draft<'a> {
    let rows = &input.evaluation.coverage;
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
                        (&c.scope, SubjectType::Source, &c.source),
                        &format!("{} of {}", c.source, c.scope),
                    )
                })
                .collect(),
        ],
    }
}
