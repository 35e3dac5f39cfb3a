//! Populations as tables: the one shape every renderer (CSV, HTML, PDF, XLSX, OSCAL)
//! reads, so a population is added to the bundle by one function that maps its
//! evaluation rows into a [`PopulationTable`] (see `population/changes.rs`) and one line
//! in [`Populations::derive`].
//!
//! A table carries its file stem (`populations/<stem>.csv`), its sheet name, the controls
//! it serves, typed columns (text, time, link, bool, list …; each renderer formats a type
//! its own way) and, per row, the result of each of its controls for that record
//! (`results.rs`).

use std::borrow::Cow;

use crate::findings::SubjectType;
use crate::model::Timestamp;

use super::BundleInput;
use super::format_time;
use super::results::{Cell, ExceptionIndex, Record, judge};

mod access_changes;
mod accounts;
mod branches;
mod changes;
mod commits;
mod credentials;
mod deployments;
mod grants;
mod privileged;
mod sources;

/// One typed value of a population row.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Value<'a> {
    Empty,
    Text(Cow<'a, str>),
    Int(u64),
    Time(Timestamp),
    Bool(bool),
    /// A web address: a hyperlink in the workbook, the address in the CSV.
    Url(&'a str),
    /// Logins, labels, check names …: `;`-joined in the CSV, `, `-joined for reading.
    List(&'a [String]),
    /// The same, of strings shared with the evidence.
    Texts(&'a [crate::model::Text]),
}

impl<'a> Value<'a> {
    pub(super) fn text(s: &'a str) -> Value<'a> {
        Value::Text(Cow::Borrowed(s))
    }

    /// The value as the CSV holds it: lossless, machine-readable.
    pub(super) fn csv(&self) -> Cow<'_, str> {
        match self {
            Value::Empty => Cow::Borrowed(""),
            Value::Text(s) => Cow::Borrowed(s),
            Value::Int(n) => Cow::Owned(n.to_string()),
            Value::Time(t) => Cow::Owned(format_time(*t)),
            Value::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
            Value::Url(u) => Cow::Borrowed(u),
            Value::List(items) => Cow::Owned(items.join(";")),
            Value::Texts(items) => Cow::Owned(crate::util::join(items, ";")),
        }
    }

    /// The value as a reader wants it: lists with commas, booleans as yes/no.
    pub(super) fn display(&self, style: Style) -> String {
        match (self, style) {
            (Value::Empty, _) => String::new(),
            (Value::Int(n), Style::Number) => format!("#{n}"),
            (Value::Text(s), Style::Sha) => s.chars().take(12).collect(),
            (Value::Text(s), _) => s.to_string(),
            (Value::Int(n), _) => n.to_string(),
            (Value::Time(t), _) => format_time(*t),
            (Value::Bool(b), _) => if *b { "yes" } else { "no" }.to_string(),
            (Value::Url(u), _) => u.to_string(),
            (Value::List(items), _) => items.join(", "),
            (Value::Texts(items), _) => crate::util::join(items, ", "),
        }
    }
}

/// Where a column appears in the reports (the CSV and the workbook hold every column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Show {
    /// Identifies the record: before the results in the HTML, and in the PDF excerpt.
    Key,
    /// Before the results in the HTML only (too wide for the PDF excerpt).
    Lead,
    /// Shown after the results in the HTML only.
    Detail,
    /// In the CSV and the workbook only (full hashes, addresses behind a link).
    FileOnly,
}

/// How a column's values read in the reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Style {
    Plain,
    /// Monospaced: times, branch names, check names.
    Mono,
    /// A number shown as `#n` (pull requests, merge requests).
    Number,
    /// A commit SHA shortened to 12 hex digits (the CSV keeps it whole), monospaced.
    Sha,
    /// Long free text (titles, messages) that may wrap.
    Prose,
}

#[derive(Debug, Clone)]
pub(super) struct Column {
    /// Machine name: the CSV and workbook header.
    pub name: &'static str,
    /// Header in the HTML and PDF.
    pub label: &'static str,
    pub show: Show,
    pub style: Style,
    /// In the reports, the value links to the web address held in this column.
    pub link: Option<&'static str>,
    /// Relative width in the PDF excerpt (key columns only).
    pub weight: f32,
}

impl Column {
    pub(super) fn new(name: &'static str, label: &'static str, show: Show) -> Column {
        Column {
            name,
            label,
            show,
            style: Style::Plain,
            link: None,
            weight: 14.0,
        }
    }

    pub(super) fn style(mut self, style: Style) -> Column {
        self.style = style;
        self
    }

    pub(super) fn link(mut self, url_column: &'static str) -> Column {
        self.link = Some(url_column);
        self
    }

    pub(super) fn weight(mut self, weight: f32) -> Column {
        self.weight = weight;
        self
    }
}

/// What a population is, independent of its rows.
#[derive(Debug, Clone)]
pub(super) struct TableSpec {
    /// `populations/<stem>.csv`; also the HTML anchor.
    pub stem: &'static str,
    /// Workbook sheet name (at most 31 characters).
    pub sheet: &'static str,
    /// Heading in the reports: "Change population".
    pub title: &'static str,
    /// Records in a count: ("change", "changes").
    pub noun: (&'static str, &'static str),
    /// One sentence after the count: which records are in the population and why.
    pub description: &'static str,
    /// What an empty population means, in a sentence.
    pub empty: &'static str,
    /// The controls it serves, in result-column order.
    pub controls: Vec<&'static str>,
    pub columns: Vec<Column>,
    /// Workbook columns kept in view when scrolling right.
    pub freeze_columns: u16,
    /// How the findings name a record of this population: its subject type, and the
    /// columns holding the repository and the subject (`Exception::subject`).
    pub subject: (SubjectOf, &'static str, &'static str),
    /// The column that dates a record (charts count exceptions by its month).
    pub time: Option<&'static str>,
}

/// The subject type of a table's records: one for every row, or named by a column
/// (deploy keys and secrets share the credential population).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SubjectOf {
    Fixed(SubjectType),
    Column(&'static str),
}

/// One record: its values in column order and one result per control.
#[derive(Debug, Clone)]
pub(super) struct Row<'a> {
    pub values: Vec<Value<'a>>,
    pub results: Vec<Cell>,
}

pub(super) struct PopulationTable<'a> {
    pub spec: TableSpec,
    pub rows: Vec<Row<'a>>,
}

impl TableSpec {
    /// The controls the population serves, for a heading: `CM-01, CM-02`, or what a
    /// reference population (no control of its own) is the base of.
    pub(super) fn served(&self) -> String {
        if self.controls.is_empty() {
            "reference population".to_string()
        } else {
            self.controls.join(", ")
        }
    }
}

impl PopulationTable<'_> {
    pub(super) fn csv_path(&self) -> String {
        format!("populations/{}.csv", self.spec.stem)
    }

    /// `"3 changes"`.
    pub(super) fn count_text(&self) -> String {
        let (one, many) = self.spec.noun;
        format!(
            "{} {}",
            self.rows.len(),
            if self.rows.len() == 1 { one } else { many }
        )
    }

    /// The position of a column by machine name.
    pub(super) fn column(&self, name: &str) -> Option<usize> {
        self.spec.columns.iter().position(|c| c.name == name)
    }

    /// The finding's key of a row: (repository, subject type, subject).
    pub(super) fn subject_of(&self, row: &Row<'_>) -> Option<(String, SubjectType, String)> {
        let (subject_of, repo, subject) = self.spec.subject;
        let subject_type = match subject_of {
            SubjectOf::Fixed(t) => t,
            SubjectOf::Column(name) => {
                SubjectType::parse(&row.values.get(self.column(name)?)?.csv())?
            }
        };
        let repo = row.values.get(self.column(repo)?)?.csv().into_owned();
        let subject = row.values.get(self.column(subject)?)?.csv().into_owned();
        Some((repo, subject_type, subject))
    }

    /// The time that dates a row, if the table has one.
    pub(super) fn time_of(&self, row: &Row<'_>) -> Option<Timestamp> {
        match row.values.get(self.column(self.spec.time?)?)? {
            Value::Time(t) => Some(*t),
            _ => None,
        }
    }

    /// The web address a column's value links to in this row, if any.
    pub(super) fn link_of<'r>(&self, row: &'r Row<'_>, column: &Column) -> Option<&'r str> {
        let index = self.column(column.link?)?;
        match &row.values[index] {
            Value::Url(u) if u.starts_with("https://") || u.starts_with("http://") => Some(u),
            _ => None,
        }
    }

    /// The columns shown in the given places, with their indexes, in column order.
    pub(super) fn shown<'s>(
        &'s self,
        show: &'s [Show],
    ) -> impl Iterator<Item = (usize, &'s Column)> + 's {
        self.spec
            .columns
            .iter()
            .enumerate()
            .filter(move |(_, c)| show.contains(&c.show))
    }
}

/// A table under construction: rows, and what the bundle knows about each record for
/// each control (`records[control][row]`), judged into results by [`Draft::finish`].
pub(super) struct Draft<'a> {
    pub spec: TableSpec,
    pub rows: Vec<Vec<Value<'a>>>,
    pub records: Vec<Vec<Record<'a>>>,
}

impl<'a> Draft<'a> {
    fn finish(self, input: &BundleInput<'_>, notes: &mut Vec<String>) -> PopulationTable<'a> {
        debug_assert_eq!(self.records.len(), self.spec.controls.len());
        let findings = &input.evaluation.findings;
        let columns: Vec<Vec<Cell>> = self
            .spec
            .controls
            .iter()
            .zip(&self.records)
            .map(|(id, records)| {
                debug_assert_eq!(records.len(), self.rows.len());
                let result = findings.controls.iter().find(|c| c.id == *id);
                judge(id, result, records, self.spec.noun.1, notes)
            })
            .collect();
        let rows = self
            .rows
            .into_iter()
            .enumerate()
            .map(|(i, values)| Row {
                values,
                results: columns.iter().map(|column| column[i].clone()).collect(),
            })
            .collect();
        PopulationTable {
            spec: self.spec,
            rows,
        }
    }
}

/// Every population of the evaluation as a table, in report order, with the notes on
/// results the evaluation's counts could not prove.
pub(super) struct Populations<'a> {
    pub tables: Vec<PopulationTable<'a>>,
    /// Why some cells are `undetermined` (empty when every cell is proven).
    pub notes: Vec<String>,
}

impl<'a> Populations<'a> {
    pub(super) fn derive(input: &'a BundleInput<'a>) -> Populations<'a> {
        let index = ExceptionIndex::new(&input.evaluation.findings.exceptions);
        // One line per population: its table function maps the evaluation's rows.
        let drafts = [
            changes::table(input, &index),
            commits::table(input, &index),
            deployments::table(input, &index),
            branches::table(input, &index),
            accounts::table(input, &index),
            privileged::table(input, &index),
            grants::table(input),
            credentials::table(input, &index),
            access_changes::table(input, &index),
            sources::table(input, &index),
        ];
        let mut notes = Vec::new();
        let tables = drafts
            .into_iter()
            .map(|draft| draft.finish(input, &mut notes))
            .collect();
        Populations { tables, notes }
    }

    /// The table serving a control, if any.
    pub(super) fn for_control(&self, control: &str) -> Option<&PopulationTable<'a>> {
        self.tables
            .iter()
            .find(|t| t.spec.controls.contains(&control))
    }

    pub(super) fn by_stem(&self, stem: &str) -> Option<&PopulationTable<'a>> {
        self.tables.iter().find(|t| t.spec.stem == stem)
    }
}

/// The plain record of a control over a subject: in the population, judged by its
/// exceptions alone.
pub(super) fn plain_record<'a>(
    index: &ExceptionIndex<'a>,
    control: &'static str,
    repo: &str,
    subject_type: SubjectType,
    subject: &str,
) -> Record<'a> {
    Record {
        in_population: true,
        exceptions: index.get(control, repo, subject_type, subject),
        known_untested: false,
    }
}

/// The record of a control over a subject whose control names it by `label` in its
/// reason: in the population, judged by its exceptions, and untested when the
/// evaluation says the control left that record unjudged.
pub(super) fn labelled_record<'a>(
    input: &BundleInput<'_>,
    index: &ExceptionIndex<'a>,
    control: &'static str,
    (repo, subject_type, subject): (&str, SubjectType, &str),
    label: &str,
) -> Record<'a> {
    Record {
        in_population: true,
        exceptions: index.get(control, repo, subject_type, subject),
        known_untested: input.evaluation.untested(control, label),
    }
}
