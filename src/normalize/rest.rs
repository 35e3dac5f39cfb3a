//! REST calls: error statuses (gaps, or the evidence of an unprotected branch) and
//! dispatch of successful responses to the per-area normalizers.

use super::call::{Call, Endpoint, MemberList};
use super::collected::Collected;
use super::ipe::QueryKey;
use super::{NormalizeError, Origin, error_message, is_success};
use crate::locker::Locker;

/// GitHub's answer for a branch without classic protection.
const NOT_PROTECTED: &str = "Branch not protected";

pub(super) fn process(
    locker: &Locker,
    collected: &mut Collected,
    origin: &Origin<'_>,
    call: &Call<'_>,
) -> Result<(), NormalizeError> {
    let record = call.record;
    let endpoint = &call.endpoint;
    let query_key = || QueryKey {
        source: origin.source.to_string(),
        evidence_type: endpoint.evidence_type().to_string(),
        repo: endpoint.repo().map(str::to_string),
        endpoint: call.label(),
        parameters: call.parameters.clone(),
    };

    if !is_success(record.status) {
        let message = error_message(locker, record)?;
        if let Endpoint::BranchProtection { repo, branch } = endpoint
            && record.status == 404
            && message.trim().eq_ignore_ascii_case(NOT_PROTECTED)
        {
            let contributed = collected.protections.unprotected(origin, repo, branch);
            collected
                .queries
                .add(query_key(), &record.response_sha256, contributed);
            return Ok(());
        }
        match endpoint {
            Endpoint::OrgMembers {
                org,
                list: MemberList::TwoFactorDisabled,
            } => collected.access.two_factor_failed(origin, org, false),
            Endpoint::OutsideCollaborators {
                org,
                two_factor_disabled: true,
            } => collected.access.two_factor_failed(origin, org, true),
            _ => {}
        }
        collected.gap(
            origin.source,
            endpoint.evidence_type(),
            endpoint.repo().map(str::to_string),
            Some(record.status),
            format!(
                "{}{} returned HTTP {}: {message}",
                call.label(),
                record
                    .url
                    .split_once('?')
                    .map(|(_, query)| format!("?{query}"))
                    .unwrap_or_default(),
                record.status
            ),
        );
        return Ok(());
    }

    let body = locker.raw_json(&record.response_sha256)?;
    let c = &mut *collected;
    let contributed = match endpoint {
        Endpoint::OrgRepos { .. } => c.repositories.org_repos(origin, &body),
        Endpoint::BranchProtection { repo, branch } => {
            c.protections.classic(origin, repo, branch, &body)
        }
        Endpoint::BranchRules { repo, branch } => c.protections.rules(origin, repo, branch, &body),
        Endpoint::RuleSuites { repo } => c.rule_suites.page(origin, repo, &body),
        Endpoint::RulesetHistory { repo, ruleset_id } => {
            c.rulesets.history(repo, *ruleset_id, &body)
        }
        Endpoint::RulesetVersion {
            repo, ruleset_id, ..
        } => c.rulesets.version(origin, repo, *ruleset_id, &body),
        Endpoint::AuditLog { org } => c.audit_log.page(origin, org, &body),
        Endpoint::Deployments { repo } => c.deployments.deployments(origin, repo, &body),
        Endpoint::DeploymentStatuses {
            repo,
            deployment_id,
        } => c.deployments.statuses(origin, repo, *deployment_id, &body),
        Endpoint::RunApprovals { repo, run_id } => {
            c.deployments.approvals(origin, repo, *run_id, &body)
        }
        Endpoint::Environments { repo } => c.environments.page(origin, repo, &body),
        Endpoint::OrgMembers { org, list } => c.access.members(origin, org, *list, &body),
        Endpoint::OutsideCollaborators {
            org,
            two_factor_disabled,
        } => c
            .access
            .outside_collaborators(origin, org, *two_factor_disabled, &body),
        Endpoint::RepoCollaborators { repo } => c.access.repo_collaborators(origin, repo, &body),
        Endpoint::Teams { org } => c.teams.teams(origin, org, &body),
        Endpoint::TeamMembers { org, slug } => c.teams.members(origin, org, slug, &body),
        Endpoint::TeamRepos { org, slug } => c.teams.repos(origin, org, slug, &body),
        Endpoint::DeployKeys { repo } => c.credentials.deploy_keys(origin, repo, &body),
        Endpoint::RepoSecrets { repo } => c.credentials.secrets(origin, "repo", repo, &body),
        Endpoint::OrgSecrets { org } => c.credentials.secrets(origin, "org", org, &body),
        // Dispatched to `graphql::process` before reaching here.
        Endpoint::GraphQl => return Ok(()),
    }
    .map_err(|e| NormalizeError::Shape {
        call: call.label(),
        sha256: record.response_sha256.clone(),
        message: e.to_string(),
    })?;
    collected
        .queries
        .add(query_key(), &record.response_sha256, contributed);
    match endpoint {
        Endpoint::RuleSuites { repo } => {
            collected
                .coverage
                .observe("rule_suites", origin.source, repo, call, record)
        }
        Endpoint::AuditLog { org } => {
            collected
                .coverage
                .observe("audit_log", origin.source, org, call, record)
        }
        _ => {}
    }
    Ok(())
}
