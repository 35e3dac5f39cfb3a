//! Everything normalized so far, keyed by natural keys so that a record seen twice (a
//! retried or shifted page) is kept once — the later copy — and output order is
//! deterministic.

use std::collections::BTreeMap;

use super::coverage::Coverage;
use super::graphql_branch_history::CommitKey;
use super::graphql_pull_requests::{ChangeKey, FollowUps, merge_follow_ups};
use super::ipe::Queries;
use super::rest_access::AccessLists;
use super::rest_audit_log::AuditLog;
use super::rest_credentials::Credentials;
use super::rest_deployments::Deployments;
use super::rest_environments::Environments;
use super::rest_protection::Protections;
use super::rest_repos::Repositories;
use super::rest_rule_suites::RuleSuites;
use super::rest_rulesets::Rulesets;
use super::rest_teams::Teams;
use crate::locker::LockerMeta;
use crate::model::{Access, BranchCommit, Change, Deployment, EVIDENCE_SCHEMA, Evidence, Gap};

#[derive(Debug, Default)]
pub(super) struct Collected {
    pub repositories: Repositories,
    pub changes: BTreeMap<ChangeKey, Change>,
    /// Records of per-PR follow-up queries, merged into `changes` at the end.
    pub follow_ups: FollowUps,
    pub branch_commits: BTreeMap<CommitKey, BranchCommit>,
    pub deployments: Deployments,
    pub environments: Environments,
    pub protections: Protections,
    pub rule_suites: RuleSuites,
    pub rulesets: Rulesets,
    pub coverage: Coverage,
    pub audit_log: AuditLog,
    pub access: AccessLists,
    pub teams: Teams,
    pub credentials: Credentials,
    pub queries: Queries,
    /// What each GitLab source contributed (`gitlab.rs`), in source order.
    pub gitlab: Vec<super::gitlab::Normalized>,
    /// Deployments of file sources (`file_deployments.rs`), in file order.
    pub imported_deployments: Vec<Deployment>,
    gaps: Vec<Gap>,
}

impl Collected {
    pub fn gap(
        &mut self,
        source: &str,
        evidence_type: &str,
        repo: Option<String>,
        status: Option<u16>,
        reason: String,
    ) {
        self.gaps.push(Gap {
            source: source.to_string(),
            evidence_type: evidence_type.to_string(),
            repo,
            status,
            reason,
        });
    }

    pub fn finish(mut self, meta: &LockerMeta) -> Evidence {
        merge_follow_ups(&mut self.changes, std::mem::take(&mut self.follow_ups));
        let (org_members, outside_collaborators, repo_collaborators) = self.access.finish();
        let (deploy_keys, secrets) = self.credentials.finish();
        let mut gaps = self.gaps;
        gaps.sort_by(|a, b| {
            (&a.source, &a.evidence_type, &a.repo, a.status, &a.reason).cmp(&(
                &b.source,
                &b.evidence_type,
                &b.repo,
                b.status,
                &b.reason,
            ))
        });
        gaps.dedup();
        let mut evidence = Evidence {
            schema: EVIDENCE_SCHEMA.to_string(),
            snapshot_time: meta.snapshot_time,
            repositories: self.repositories.finish(),
            changes: self.changes.into_values().collect(),
            branch_commits: self.branch_commits.into_values().collect(),
            deployments: {
                let mut deployments = self.deployments.finish(meta.window.start);
                deployments.extend(self.imported_deployments);
                deployments
            },
            branch_protections: self.protections.finish(),
            rule_suites: self.rule_suites.finish(),
            audit_events: self.audit_log.finish(),
            access: Access {
                org_members,
                outside_collaborators,
                repo_collaborators,
                teams: self.teams.finish(),
                deploy_keys,
                secrets,
            },
            queries: self.queries.finish(),
            gaps,
            ruleset_versions: self.rulesets.finish(),
            coverage: Vec::new(),
            environments: self.environments.finish(),
        };
        for g in self.gitlab {
            evidence.repositories.extend(g.repositories);
            evidence.changes.extend(g.changes);
            evidence.branch_commits.extend(g.branch_commits);
            evidence.deployments.extend(g.deployments);
            evidence.branch_protections.extend(g.protections);
            evidence.environments.extend(g.environments);
            evidence.audit_events.extend(g.audit_events);
            let access = &mut evidence.access;
            access.org_members.extend(g.org_members);
            access.outside_collaborators.extend(g.outside_collaborators);
            access.repo_collaborators.extend(g.repo_collaborators);
            access.deploy_keys.extend(g.deploy_keys);
        }
        evidence.coverage = self.coverage.finish(&evidence);
        evidence
    }
}
