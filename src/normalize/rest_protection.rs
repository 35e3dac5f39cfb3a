//! Branch protection in force at the snapshot: classic protection
//! (`GET …/branches/{branch}/protection`) merged with the ruleset rules that apply to the
//! branch (`GET …/rules/branches/{branch}`).

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use serde_json::Value;

use super::Origin;
use super::de::{ShapeError, parse, parse_at};
use super::ipe::Yield;
use crate::model::{BranchProtection, EvidenceRef};

#[derive(Deserialize)]
struct ClassicBody {
    required_status_checks: Option<StatusChecks>,
    enforce_admins: Option<Enabled>,
    required_pull_request_reviews: Option<PullRequestReviews>,
    allow_force_pushes: Option<Enabled>,
}

#[derive(Deserialize)]
struct StatusChecks {
    strict: Option<bool>,
    #[serde(default)]
    contexts: Vec<String>,
    #[serde(default)]
    checks: Vec<CheckItem>,
}

#[derive(Deserialize)]
struct CheckItem {
    context: String,
}

#[derive(Deserialize)]
struct Enabled {
    enabled: bool,
}

#[derive(Deserialize)]
struct PullRequestReviews {
    #[serde(default)]
    dismiss_stale_reviews: bool,
    #[serde(default)]
    require_code_owner_reviews: bool,
    #[serde(default)]
    required_approving_review_count: u32,
    bypass_pull_request_allowances: Option<Allowances>,
}

#[derive(Deserialize)]
struct Allowances {
    #[serde(default)]
    users: Vec<Login>,
    #[serde(default)]
    teams: Vec<Slug>,
    #[serde(default)]
    apps: Vec<OptionalSlug>,
}

#[derive(Deserialize)]
struct Login {
    login: String,
}

#[derive(Deserialize)]
struct Slug {
    slug: String,
}

#[derive(Deserialize)]
struct OptionalSlug {
    slug: Option<String>,
}

#[derive(Deserialize)]
struct RuleItem {
    #[serde(rename = "type")]
    kind: String,
    ruleset_id: Option<u64>,
}

#[derive(Deserialize)]
struct PullRequestRule {
    #[serde(default)]
    required_approving_review_count: u32,
    #[serde(default)]
    dismiss_stale_reviews_on_push: bool,
    #[serde(default)]
    require_code_owner_review: bool,
}

#[derive(Deserialize)]
struct StatusCheckRule {
    #[serde(default)]
    required_status_checks: Vec<CheckItem>,
    #[serde(default)]
    strict_required_status_checks_policy: bool,
}

/// What classic protection says about a branch.
#[derive(Debug, Clone)]
struct Classic {
    protected: bool,
    require_pull_request: bool,
    required_approvals: u32,
    dismiss_stale_reviews: bool,
    require_code_owner_review: bool,
    required_checks: BTreeSet<String>,
    strict_checks: bool,
    enforce_admins: bool,
    allow_force_pushes: bool,
    bypass_actors: BTreeSet<String>,
    evidence: EvidenceRef,
}

/// The ruleset rules applying to a branch, folded into protection terms.
#[derive(Debug, Clone, Default)]
struct Rules {
    any: bool,
    require_pull_request: bool,
    required_approvals: u32,
    dismiss_stale_reviews: bool,
    require_code_owner_review: bool,
    required_checks: BTreeSet<String>,
    strict_checks: bool,
    blocks_force_pushes: bool,
    ruleset_ids: BTreeSet<u64>,
    evidence: Vec<EvidenceRef>,
}

type BranchKey = (String, String, String);

#[derive(Debug, Default)]
pub struct Protections {
    classic: BTreeMap<BranchKey, Classic>,
    rules: BTreeMap<BranchKey, Rules>,
}

fn key(origin: &Origin<'_>, repo: &str, branch: &str) -> BranchKey {
    (
        origin.source.to_string(),
        repo.to_string(),
        branch.to_string(),
    )
}

impl Protections {
    pub fn classic(
        &mut self,
        origin: &Origin<'_>,
        repo: &str,
        branch: &str,
        body: &Value,
    ) -> Result<Yield, ShapeError> {
        let body: ClassicBody = parse(body)?;
        let reviews = body.required_pull_request_reviews.as_ref();
        let checks = body.required_status_checks.as_ref();
        let mut bypass_actors = BTreeSet::new();
        if let Some(allow) = reviews.and_then(|r| r.bypass_pull_request_allowances.as_ref()) {
            bypass_actors.extend(allow.users.iter().map(|u| u.login.clone()));
            bypass_actors.extend(allow.teams.iter().map(|t| format!("team:{}", t.slug)));
            bypass_actors.extend(
                allow
                    .apps
                    .iter()
                    .filter_map(|a| a.slug.as_ref())
                    .map(|s| format!("app:{s}")),
            );
        }
        let classic = Classic {
            protected: true,
            require_pull_request: reviews.is_some(),
            required_approvals: reviews.map_or(0, |r| r.required_approving_review_count),
            dismiss_stale_reviews: reviews.is_some_and(|r| r.dismiss_stale_reviews),
            require_code_owner_review: reviews.is_some_and(|r| r.require_code_owner_reviews),
            required_checks: checks
                .map(|c| {
                    c.contexts
                        .iter()
                        .cloned()
                        .chain(c.checks.iter().map(|k| k.context.clone()))
                        .collect()
                })
                .unwrap_or_default(),
            strict_checks: checks.and_then(|c| c.strict).unwrap_or(false),
            enforce_admins: body.enforce_admins.is_some_and(|e| e.enabled),
            allow_force_pushes: body.allow_force_pushes.is_some_and(|e| e.enabled),
            bypass_actors,
            evidence: origin.evidence(""),
        };
        self.classic.insert(key(origin, repo, branch), classic);
        Ok(Yield::records(vec![format!("{repo}:{branch}")]))
    }

    /// GitHub's 404 `Branch not protected`: evidence that no classic protection exists.
    pub fn unprotected(&mut self, origin: &Origin<'_>, repo: &str, branch: &str) -> Yield {
        let classic = Classic {
            protected: false,
            require_pull_request: false,
            required_approvals: 0,
            dismiss_stale_reviews: false,
            require_code_owner_review: false,
            required_checks: BTreeSet::new(),
            strict_checks: false,
            enforce_admins: false,
            // Nothing stops a force push to a branch without protection.
            allow_force_pushes: true,
            bypass_actors: BTreeSet::new(),
            evidence: origin.evidence(""),
        };
        self.classic.insert(key(origin, repo, branch), classic);
        Yield::records(vec![format!("{repo}:{branch}")])
    }

    pub fn rules(
        &mut self,
        origin: &Origin<'_>,
        repo: &str,
        branch: &str,
        body: &Value,
    ) -> Result<Yield, ShapeError> {
        let items: Vec<RuleItem> = parse(body)?;
        let list = body.as_array().map(Vec::as_slice).unwrap_or_default();
        let rules = self.rules.entry(key(origin, repo, branch)).or_default();
        let mut keys = Vec::with_capacity(items.len());
        for (i, (item, raw)) in items.iter().zip(list).enumerate() {
            rules.any = true;
            rules.ruleset_ids.extend(item.ruleset_id);
            rules.evidence.push(origin.evidence(&format!("/{i}")));
            keys.push(format!("{repo}:{branch}:{i}:{}", item.kind));
            let parameters = raw.get("parameters").filter(|p| !p.is_null());
            let path = format!("[{i}].parameters");
            match (item.kind.as_str(), parameters) {
                ("pull_request", Some(p)) => {
                    let p: PullRequestRule = parse_at(p, &path)?;
                    rules.require_pull_request = true;
                    rules.required_approvals = rules
                        .required_approvals
                        .max(p.required_approving_review_count);
                    rules.dismiss_stale_reviews |= p.dismiss_stale_reviews_on_push;
                    rules.require_code_owner_review |= p.require_code_owner_review;
                }
                ("pull_request", None) => rules.require_pull_request = true,
                ("required_status_checks", Some(p)) => {
                    let p: StatusCheckRule = parse_at(p, &path)?;
                    rules
                        .required_checks
                        .extend(p.required_status_checks.into_iter().map(|c| c.context));
                    rules.strict_checks |= p.strict_required_status_checks_policy;
                }
                ("non_fast_forward", _) => rules.blocks_force_pushes = true,
                _ => {}
            }
        }
        Ok(Yield::records(keys))
    }

    /// One record per branch whose classic protection state is known; ruleset rules are
    /// folded in (the stricter setting wins). Rules alone, without the classic answer,
    /// make no record: the gap of the failed call says why.
    pub fn finish(self) -> Vec<BranchProtection> {
        let mut out = Vec::with_capacity(self.classic.len());
        let mut rules_by_branch = self.rules;
        for ((source, repo, branch), classic) in self.classic {
            let rules = rules_by_branch
                .remove(&(source.clone(), repo.clone(), branch.clone()))
                .unwrap_or_default();
            let mut evidence = vec![classic.evidence];
            evidence.extend(rules.evidence);
            let required_checks: BTreeSet<String> = classic
                .required_checks
                .into_iter()
                .chain(rules.required_checks)
                .collect();
            out.push(BranchProtection {
                source,
                repo,
                branch,
                protected: classic.protected,
                has_rulesets: rules.any,
                require_pull_request: classic.require_pull_request || rules.require_pull_request,
                required_approvals: classic.required_approvals.max(rules.required_approvals),
                dismiss_stale_reviews: classic.dismiss_stale_reviews || rules.dismiss_stale_reviews,
                require_code_owner_review: classic.require_code_owner_review
                    || rules.require_code_owner_review,
                required_checks: required_checks
                    .into_iter()
                    .map(crate::model::Text::from)
                    .collect(),
                strict_checks: classic.strict_checks || rules.strict_checks,
                enforce_admins: classic.enforce_admins,
                allow_force_pushes: classic.allow_force_pushes && !rules.blocks_force_pushes,
                bypass_actors: classic.bypass_actors.into_iter().collect(),
                ruleset_ids: rules.ruleset_ids.into_iter().collect(),
                evidence,
            });
        }
        for (source, repo, branch) in rules_by_branch.keys() {
            tracing::debug!(%source, %repo, %branch, "ruleset rules without classic protection status; no protection record");
        }
        out
    }
}
