//! The population rows (SPEC §6): the attributes the controls tested, one row per
//! record, filled from the same facts the controls judged.

use crate::model::{Actor, Text};

use super::context::Context;
use super::context::Index;
use super::controls::cm09;
use super::deployments::{self, ChangeSlot, DeploymentFacts};
use super::facts::{ChangeFacts, CommitFacts};
use super::{ChangeRow, CommitRow, DeploymentRow};

/// How a missing account (GitHub's deleted-user "ghost") appears in rows.
const GHOST: &str = "ghost";

fn login(actor: Option<&Actor>) -> Text {
    actor.map_or_else(|| Text::from(GHOST), |a| a.login.clone())
}

pub fn change_row(index: &Index<'_>, facts: &ChangeFacts<'_>) -> ChangeRow {
    let change = facts.change;
    let retro = cm09::Retro::of(index, facts);
    let mut labels: Box<[Text]> = change.labels.as_slice().into();
    labels.sort();
    ChangeRow {
        source: change.source.clone(),
        repo: change.repo.clone(),
        number: change.number,
        title: change.title.clone(),
        url: change.url.clone(),
        author: login(change.author.as_ref()),
        authors: facts.authors.values().map(|p| p.login.clone()).collect(),
        base_branch: change.base_branch.clone(),
        merged_at: change.merged_at,
        merged_by: login(change.merged_by.as_ref()),
        merge_commit_sha: change.merge_commit_sha.clone().unwrap_or_default(),
        head_sha: change.head_sha.clone(),
        approvers: facts.approvers.values().cloned().collect(),
        independent_approvers: facts.independent.values().cloned().collect(),
        approval_on_head: facts.independent_on_head,
        check_state: facts.checks.state.into(),
        required_checks: facts.checks.required.as_ref().into(),
        labels,
        emergency: facts.emergency,
        judged_by_cm09: cm09::takes_over(index, facts),
        retro_approvers: retro.approvers().into(),
        retro_review_at: retro.first().map(|(_, at)| at),
        retro_review_due: facts.emergency.then_some(retro.due),
    }
}

pub fn commit_row(facts: &CommitFacts<'_>) -> CommitRow {
    let first = facts.first();
    let identity =
        |id: &crate::model::GitIdentity| id.login.clone().unwrap_or_else(|| id.name.clone());
    CommitRow {
        source: first.source.clone(),
        repo: first.repo.clone(),
        branch: match facts.records.as_slice() {
            // One branch (nearly every commit): its name, shared with the evidence.
            [only] => only.branch.clone(),
            _ => facts.branches().join(", ").into(),
        },
        // The population keys commits by SHA in any case; the row shows the SHA as the
        // first record of the commit gave it.
        sha: if first.sha == facts.sha {
            first.sha.clone()
        } else {
            Text::from(facts.sha)
        },
        message_headline: first.message_headline.clone(),
        author: identity(&first.author),
        committer: identity(&first.committer),
        committed_at: first.committed_at,
        url: first.url.clone(),
        change: facts.change,
    }
}

pub fn deployment_row(ctx: &Context<'_>, facts: &DeploymentFacts<'_>) -> DeploymentRow {
    let d = facts.deployment;
    let change = ctx.deployed_change(facts);
    let recovery = facts
        .failed()
        .then(|| deployments::recovery(&ctx.index, facts))
        .flatten();
    DeploymentRow {
        source: d.source.clone(),
        repo: d.repo.clone(),
        id: d.id.clone(),
        environment: d.environment.clone(),
        sha: d.sha.clone(),
        ref_name: d.ref_name.clone(),
        created_at: d.created_at,
        created_local: facts
            .local_time
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_default(),
        business_hours: facts.in_business_hours,
        deployer: login(d.creator.as_ref()),
        deployer_basis: deployments::deployer_basis(&ctx.index, facts)
            .code()
            .to_string(),
        workflow_run_id: d.workflow_run_id,
        state: facts.state.clone(),
        outcome: facts
            .outcome
            .map_or_else(|| "none".to_string(), |(o, _)| o.to_string()),
        approvers: facts.approvers.values().cloned().collect(),
        approval_required: ctx.index.params.require_deployment_approval,
        change: facts.trace.map(|t| format!("{}#{}", d.repo, t.number)),
        traced_by: facts.trace.map_or("none", |t| t.basis.code()).to_string(),
        change_merged_at: facts.trace.and_then(|t| t.merged_at),
        change_in_window: facts
            .change
            .map(|slot| matches!(slot, ChangeSlot::Population(_))),
        change_authors: change
            .map(|c| c.authors.values().map(|p| p.login.clone()).collect())
            .unwrap_or_default(),
        emergency: change.is_some_and(|c| c.emergency),
        recovered_by: recovery.map(|(r, _)| r.id.to_string()),
        recovered_at: recovery.map(|(_, at)| at),
        url: facts.link(),
    }
}
