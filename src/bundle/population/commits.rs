//! The production-branch commit population (CM-05): distinct commits that entered a
//! production branch with a committer date inside the window.

use crate::evaluate::CommitRow;
use crate::findings::SubjectType;

use super::super::BundleInput;
use super::super::results::ExceptionIndex;
use super::{Column, Draft, Show, Style, SubjectOf, TableSpec, Value, plain_record};

pub(in crate::bundle) const CONTROL: &str = "CM-05";

fn spec() -> TableSpec {
    use Show::*;
    TableSpec {
        stem: "commits",
        sheet: "Commits",
        title: "Production commit population",
        noun: ("commit", "commits"),
        description: "distinct commits that entered a production branch with a committer date inside the window; a commit with no merged change is a direct push.",
        empty: "No commit entered a production branch inside the window.",
        controls: vec![CONTROL],
        columns: vec![
            Column::new("repo", "Repository", Key).weight(16.0),
            Column::new("branch", "Branch", Lead).style(Style::Mono),
            Column::new("sha", "Commit", Key)
                .style(Style::Sha)
                .link("url")
                .weight(13.0),
            Column::new("message_headline", "Message", Lead).style(Style::Prose),
            Column::new("author", "Author", Key).weight(20.0),
            Column::new("committer", "Committer", Detail),
            Column::new("committed_at", "Committed at", Key)
                .style(Style::Mono)
                .weight(17.0),
            Column::new("url", "Address", FileOnly),
            Column::new("change", "Change", Key)
                .style(Style::Number)
                .weight(9.0),
            Column::new("source", "Source", Detail),
        ],
        subject: (SubjectOf::Fixed(SubjectType::Commit), "repo", "sha"),
        time: Some("committed_at"),
        freeze_columns: 0,
    }
}

fn values(c: &CommitRow) -> Vec<Value<'_>> {
    vec![
        Value::text(&c.repo),
        Value::text(&c.branch),
        Value::text(&c.sha),
        Value::text(&c.message_headline),
        Value::text(&c.author),
        Value::text(&c.committer),
        Value::Time(c.committed_at),
        Value::Url(&c.url),
        c.change.map_or(Value::Empty, Value::Int),
        Value::text(&c.source),
    ]
}

pub(super) fn table<'a>(input: &'a BundleInput<'a>, index: &ExceptionIndex<'a>) -> Draft<'a> {
    let rows = &input.evaluation.commits;
    Draft {
        spec: spec(),
        rows: rows.iter().map(values).collect(),
        records: vec![
            rows.iter()
                .map(|c| plain_record(index, CONTROL, &c.repo, SubjectType::Commit, &c.sha))
                .collect(),
        ],
    }
}
