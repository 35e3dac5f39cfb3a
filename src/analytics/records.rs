//! Plain input records for the trend queries, read from the evaluation's populations,
//! its exceptions and the evidence's deployments. No polars here.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, Days, NaiveDate};

use crate::config::Config;
use crate::evaluate::Evaluation;
use crate::findings::ExceptionStatus;
use crate::locker::Window;
use crate::model::{Deployment, Evidence, Text, Timestamp};

/// How a deleted account appears, as in the population rows.
const GHOST: &str = "ghost";

/// A record an exception can be about.
#[derive(Debug, Clone)]
pub struct Subject {
    pub subject_type: &'static str,
    pub repo: Text,
    /// The exception's subject as it names the record (commit SHAs in lower case).
    pub key: Text,
    pub month: Text,
    pub person: Text,
}

#[derive(Debug, Clone)]
pub struct ExceptionRecord {
    pub control: String,
    pub subject_type: &'static str,
    pub repo: String,
    pub key: String,
    pub waived: bool,
}

/// A deployment's outcome: its last `success`, `failure` or `error` status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Failure,
}

#[derive(Debug, Clone)]
pub struct DeploymentRecord {
    pub repo: String,
    pub environment: String,
    pub id: String,
    pub in_window: bool,
    pub week: String,
    pub month: String,
    /// The outcome and when its status was created (Unix seconds).
    pub outcome: Option<(Outcome, i64)>,
    /// For a failure in the window: the deployment OP-03 found recovered it and the
    /// time of that success (Unix seconds), so the trend tables and the control agree.
    pub recovered: Option<(String, i64)>,
}

/// Everything the queries read.
#[derive(Debug, Clone)]
pub struct Records {
    pub subjects: Vec<Subject>,
    pub exceptions: Vec<ExceptionRecord>,
    /// (control id, population) in catalog order.
    pub controls: Vec<(String, u64)>,
    /// Every production deployment of an in-scope repository, in or out of the window.
    pub deployments: Vec<DeploymentRecord>,
    /// The `YYYY-MM` months the window overlaps.
    pub months: Vec<String>,
    /// The first days (`YYYY-MM-DD`) of the Monday-based weeks the window overlaps.
    pub weeks: Vec<String>,
}

impl Records {
    pub fn gather(evidence: &Evidence, config: &Config, evaluation: &Evaluation) -> Records {
        let window = evaluation.findings.window;
        // A subject per change, commit and deployment (over a million at scale): their
        // strings share the rows' and the month names are made once each.
        let mut months_seen: BTreeMap<(i32, u32), Text> = BTreeMap::new();
        let mut month_of = |t: Timestamp| {
            months_seen
                .entry((t.year(), t.month()))
                .or_insert_with(|| Text::from(month(t)))
                .clone()
        };
        let mut subjects = Vec::with_capacity(evaluation.changes.len() + evaluation.commits.len());
        for change in &evaluation.changes {
            subjects.push(Subject {
                subject_type: "change",
                repo: change.repo.clone(),
                key: Text::from(change.number.to_string()),
                month: month_of(change.merged_at),
                person: change.author.clone(),
            });
        }
        for commit in &evaluation.commits {
            subjects.push(Subject {
                subject_type: "commit",
                repo: commit.repo.clone(),
                key: crate::model::login_key_text(&commit.sha),
                month: month_of(commit.committed_at),
                person: commit.author.clone(),
            });
        }
        let recovered: BTreeMap<(&str, &str), (String, i64)> = evaluation
            .deployments
            .iter()
            .filter_map(|d| {
                Some((
                    (d.repo.as_str(), d.id.as_str()),
                    (d.recovered_by.clone()?, d.recovered_at?.timestamp()),
                ))
            })
            .collect();
        let mut deployments = production_deployments(evidence, config, &window);
        for (_, record) in &mut deployments {
            record.recovered = recovered
                .get(&(record.repo.as_str(), record.id.as_str()))
                .cloned();
        }
        let mut seen = BTreeSet::new();
        for (d, record) in &deployments {
            if record.in_window && seen.insert((record.repo.clone(), record.id.clone())) {
                subjects.push(Subject {
                    subject_type: "deployment",
                    repo: d.repo.clone(),
                    key: d.id.clone(),
                    month: month_of(d.created_at),
                    person: d
                        .creator
                        .as_ref()
                        .map_or_else(|| Text::from(GHOST), |a| a.login.clone()),
                });
            }
        }
        let exceptions = evaluation
            .findings
            .exceptions
            .iter()
            .map(|e| {
                let subject_type = e.subject_type.as_str();
                ExceptionRecord {
                    control: e.control.clone(),
                    subject_type,
                    repo: e.repo.clone(),
                    key: if subject_type == "commit" {
                        e.subject.to_ascii_lowercase()
                    } else {
                        e.subject.clone()
                    },
                    waived: e.status == ExceptionStatus::Waived,
                }
            })
            .collect();
        Records {
            subjects,
            exceptions,
            controls: evaluation
                .findings
                .controls
                .iter()
                .map(|c| (c.id.clone(), c.population))
                .collect(),
            deployments: deployments.into_iter().map(|(_, r)| r).collect(),
            months: months(&window),
            weeks: weeks(&window),
        }
    }
}

/// Production deployments of in-scope repositories (the config's `[[source]]` globs),
/// each once by (repo, id), with their plain record.
fn production_deployments<'a>(
    evidence: &'a Evidence,
    config: &Config,
    window: &Window,
) -> Vec<(&'a Deployment, DeploymentRecord)> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for d in &evidence.deployments {
        if !config.scope.is_production_environment(&d.environment) {
            continue;
        }
        let name = d.repo.rsplit('/').next().unwrap_or(&d.repo);
        let excluded = config
            .sources
            .iter()
            .find(|s| s.name == d.source)
            .is_some_and(|s| !s.includes_repo(name));
        if excluded || !seen.insert((d.repo.as_str(), d.id.as_str())) {
            continue;
        }
        out.push((
            d,
            DeploymentRecord {
                repo: d.repo.to_string(),
                environment: d.environment.to_string(),
                id: d.id.to_string(),
                in_window: window.contains(d.created_at),
                week: week_start(d.created_at),
                month: month(d.created_at),
                outcome: outcome(d),
                recovered: None,
            },
        ));
    }
    out
}

fn outcome(d: &Deployment) -> Option<(Outcome, i64)> {
    d.statuses.iter().rev().find_map(|s| {
        let outcome = match s.state.to_ascii_lowercase().as_str() {
            "success" => Outcome::Success,
            "failure" | "error" => Outcome::Failure,
            _ => return None,
        };
        Some((outcome, s.created_at.timestamp()))
    })
}

pub fn month(t: Timestamp) -> String {
    t.format("%Y-%m").to_string()
}

/// The Monday (UTC) of the week `t` falls in, as `YYYY-MM-DD`.
pub fn week_start(t: Timestamp) -> String {
    monday(t.date_naive()).format("%Y-%m-%d").to_string()
}

fn monday(date: NaiveDate) -> NaiveDate {
    date - Days::new(u64::from(date.weekday().num_days_from_monday()))
}

/// The last instant inside `[start, end)`, or `None` for an empty window.
fn last_day(window: &Window) -> Option<NaiveDate> {
    (window.start < window.end)
        .then(|| (window.end - chrono::Duration::nanoseconds(1)).date_naive())
}

fn months(window: &Window) -> Vec<String> {
    let Some(last) = last_day(window) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let (mut year, mut mon) = (window.start.year(), window.start.month());
    while (year, mon) <= (last.year(), last.month()) {
        out.push(format!("{year:04}-{mon:02}"));
        (year, mon) = if mon == 12 {
            (year + 1, 1)
        } else {
            (year, mon + 1)
        };
    }
    out
}

fn weeks(window: &Window) -> Vec<String> {
    let Some(last) = last_day(window) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut day = monday(window.start.date_naive());
    while day <= last {
        out.push(day.format("%Y-%m-%d").to_string());
        day = day + Days::new(7);
    }
    out
}
