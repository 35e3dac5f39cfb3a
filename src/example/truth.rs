//! The ground truth, written from what was planted (`Pr::plants`, `Pr::tricky`, the
//! direct pushes) and from the world's own records for the population sizes — never by
//! running the controls' logic.

use std::collections::BTreeSet;

use crate::config::Config;
use crate::findings::{Exception, SubjectType};

use super::history::visible_commits;
use super::world::World;
use super::{ExpectedException, GroundTruth, Populations, TrickyCase};

pub const GROUND_TRUTH_SCHEMA: &str = "changeproof.example-truth/v1";

pub fn ground_truth(w: &World, config: &Config) -> GroundTruth {
    let mut exceptions = Vec::new();
    for p in &w.prs {
        let repo = w.repos[p.repo].full_name();
        let subject = p.number.to_string();
        for plant in &p.plants {
            exceptions.push(ExpectedException {
                id: Exception::make_id(
                    plant.control,
                    &repo,
                    SubjectType::Change,
                    &subject,
                    plant.kind,
                ),
                control: plant.control.into(),
                kind: plant.kind.into(),
                repo: repo.clone(),
                subject_type: SubjectType::Change.as_str().into(),
                subject: subject.clone(),
                why: format!("PR #{}: {}", p.number, plant.why),
                waived: false,
            });
        }
    }
    for c in &w.planted_commits {
        let repo = w.repos[c.repo].full_name();
        exceptions.push(ExpectedException {
            id: Exception::make_id("CM-05", &repo, SubjectType::Commit, &c.sha, "direct_push"),
            control: "CM-05".into(),
            kind: "direct_push".into(),
            repo,
            subject_type: SubjectType::Commit.as_str().into(),
            subject: c.sha.clone(),
            why: c.why.clone(),
            waived: false,
        });
    }
    for case in &w.deployment_plants {
        let d = &w.deployments[case.deployment];
        let repo = w.repos[d.repo].full_name();
        let subject = d.id.to_string();
        for plant in &case.plants {
            exceptions.push(ExpectedException {
                id: Exception::make_id(
                    plant.control,
                    &repo,
                    SubjectType::Deployment,
                    &subject,
                    plant.kind,
                ),
                control: plant.control.into(),
                kind: plant.kind.into(),
                repo: repo.clone(),
                subject_type: SubjectType::Deployment.as_str().into(),
                subject: subject.clone(),
                why: format!("deployment {subject} to {}: {}", d.environment, plant.why),
                waived: false,
            });
        }
    }
    exceptions.extend(super::truth_access::exceptions(w));
    branch_and_source_truth(w, &mut exceptions);
    for e in &mut exceptions {
        e.waived = super::waived::waived(e);
    }
    exceptions.sort_by(|a, b| a.id.cmp(&b.id));

    let mut tricky: Vec<TrickyCase> = w
        .prs
        .iter()
        .filter_map(|p| {
            p.tricky.as_ref().map(|why| TrickyCase {
                repo: w.repos[p.repo].full_name(),
                subject_type: SubjectType::Change.as_str().into(),
                subject: p.number.to_string(),
                why: format!("PR #{}: {why}", p.number),
            })
        })
        .chain(w.tricky_commits.iter().map(|c| TrickyCase {
            repo: w.repos[c.repo].full_name(),
            subject_type: SubjectType::Commit.as_str().into(),
            subject: c.sha.clone(),
            why: c.why.clone(),
        }))
        .chain(w.deployment_plants.iter().filter_map(|case| {
            let d = &w.deployments[case.deployment];
            case.tricky.as_ref().map(|why| TrickyCase {
                repo: w.repos[d.repo].full_name(),
                subject_type: SubjectType::Deployment.as_str().into(),
                subject: d.id.to_string(),
                why: format!("deployment {} to {}: {why}", d.id, d.environment),
            })
        }))
        .chain(super::truth_access::tricky(w))
        .chain(
            w.branch_plan
                .tricky_branches
                .iter()
                .map(|(repo, branch, why)| TrickyCase {
                    repo: w.repos[*repo].full_name(),
                    subject_type: SubjectType::Branch.as_str().into(),
                    subject: branch.clone(),
                    why: why.clone(),
                }),
        )
        .chain(std::iter::once(TrickyCase {
            repo: super::world::ORG.into(),
            subject_type: SubjectType::Source.as_str().into(),
            subject: "audit_log".into(),
            why: "searched with created:>= a day before the window start, the audit log (kept 180 days) reaches back to the window start".into(),
        }))
        .collect();
    tricky.sort_by(|a, b| {
        (&a.repo, &a.subject_type, a.subject.len(), &a.subject).cmp(&(
            &b.repo,
            &b.subject_type,
            b.subject.len(),
            &b.subject,
        ))
    });

    GroundTruth {
        schema: GROUND_TRUTH_SCHEMA.into(),
        exceptions,
        tricky,
        populations: populations(w, config),
    }
}

fn populations(w: &World, config: &Config) -> Populations {
    let scope = &config.scope;
    let changes = w
        .prs
        .iter()
        .filter(|p| {
            let r = &w.repos[p.repo];
            r.in_scope
                && p.merged_at().is_some_and(|t| w.window.contains(t))
                && scope.is_production_branch(&p.base, r.default_branch)
        })
        .count() as u64;
    let mut commits = BTreeSet::new();
    for (b, branch) in w.branches.iter().enumerate() {
        for c in visible_commits(&w.branches, b, w.window.start, w.window.end) {
            commits.insert((branch.repo, c.commit.sha.as_str()));
        }
    }
    let deployments = w
        .deployments
        .iter()
        .filter(|d| {
            scope.is_production_environment(d.environment) && w.window.contains(d.created_at)
        })
        .count() as u64;
    let access = super::truth_access::populations(w);
    Populations {
        changes,
        branch_commits: commits.len() as u64,
        deployments,
        org_accounts: access.org_accounts,
        accounts: access.accounts,
        credentials: access.credentials,
        access_changes: access.access_changes,
        judged_by_cm09: w.branch_plan.judged_by_cm09.len() as u64,
        production_branches: w
            .repos
            .iter()
            .filter(|r| r.in_scope)
            .map(|r| r.production.len() as u64)
            .sum(),
    }
}

/// The planted CM-10 findings, and OP-04's: rule suites, kept for a month, cannot reach
/// back from the snapshot to the window start wherever rulesets protect a branch.
fn branch_and_source_truth(w: &World, exceptions: &mut Vec<ExpectedException>) {
    for (repo, branch, kind, why) in &w.branch_plan.branch_findings {
        let repo = w.repos[*repo].full_name();
        exceptions.push(ExpectedException {
            id: Exception::make_id("CM-10", &repo, SubjectType::Branch, branch, kind),
            control: "CM-10".into(),
            kind: (*kind).into(),
            repo,
            subject_type: SubjectType::Branch.as_str().into(),
            subject: branch.clone(),
            why: format!("`{branch}`: {why}"),
            waived: false,
        });
    }
    for r in w.repos.iter().filter(|r| r.in_scope) {
        let rulesets = r
            .production
            .iter()
            .any(|b| matches!(r.protection(b), super::world::Protection::Rulesets { .. }));
        if !rulesets {
            continue;
        }
        let repo = r.full_name();
        exceptions.push(ExpectedException {
            id: Exception::make_id(
                "OP-04",
                &repo,
                SubjectType::Source,
                "rule_suites",
                "coverage_gap",
            ),
            control: "OP-04".into(),
            kind: "coverage_gap".into(),
            repo,
            subject_type: SubjectType::Source.as_str().into(),
            subject: "rule_suites".into(),
            why: format!(
                "rule suites are requested for the last month (time_period=month) at the snapshot {}, two months short of the window start {}",
                w.snapshot.format("%Y-%m-%d"),
                w.window.start.format("%Y-%m-%d")
            ),
            waived: false,
        });
    }
}
