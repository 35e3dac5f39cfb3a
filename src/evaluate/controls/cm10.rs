//! CM-10: each production branch is protected to the baseline for the whole window: a
//! pull request required, `min_approvals` approvals, stale approvals dismissed, status
//! checks required, no administrator or actor bypass, no force pushes. Judged on the
//! protection in force at the snapshot, and on the configuration changes recorded in
//! the window (organisation audit log, ruleset history).

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::evaluate::context::{Context, Index, describe_gap, owner};
use crate::evaluate::outcome::{Finding, Judgement, Outcome, PopulationKind};
use crate::findings::SubjectType;
use crate::model::{AuditEvent, BranchProtection, Repository, RulesetVersion, Timestamp};
use crate::util::glob_match;

use super::{ControlDef, detail};

kinds! {
    pub enum Kind {
        UnprotectedBranch => "unprotected_branch",
        WeakProtection => "weak_protection",
        ProtectionWeakenedInWindow => "protection_weakened_in_window",
    }
}

pub const DEF: ControlDef = ControlDef {
    id: "CM-10",
    kinds: Kind::NAMES,
    population: BRANCHES,
    run,
};

pub const BRANCHES: PopulationKind = PopulationKind {
    evidence_type: "branch_protection",
    noun: "production branches",
};

/// One production branch with every setting CM-10 tested and the configuration changes
/// recorded for it in the window (SPEC §6 population row).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BranchRow {
    pub repo: String,
    pub branch: String,
    /// Classic branch protection exists (`None`: protection unknown).
    pub classic_protection: Option<bool>,
    /// At least one ruleset rule applies.
    pub rulesets: Option<bool>,
    pub ruleset_ids: Vec<u64>,
    pub require_pull_request: Option<bool>,
    pub required_approvals: Option<u32>,
    /// The approvals the config requires for the repository (`min_approvals`).
    pub min_approvals: u32,
    pub dismiss_stale_reviews: Option<bool>,
    pub required_checks: Vec<String>,
    pub enforce_admins: Option<bool>,
    /// Classic PR-review bypass allowances and ruleset bypass actors.
    pub bypass_actors: Vec<String>,
    pub allow_force_pushes: Option<bool>,
    /// Each setting below the baseline at the snapshot, in words.
    pub failing_settings: Vec<String>,
    /// Configuration changes recorded in the window, oldest first.
    pub configuration_changes: Vec<ConfigChange>,
    pub weakened_in_window: bool,
}

/// A recorded change to the protection of a branch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigChange {
    pub at: Timestamp,
    pub actor: Option<String>,
    /// `audit_log` or `ruleset_history`.
    pub basis: String,
    /// The audit-log action, or `ruleset {id} version {n}`.
    pub action: String,
    /// What it weakened, in words (empty: it did not weaken the protection).
    pub weakened: Vec<String>,
    #[serde(skip)]
    pub evidence: Vec<crate::model::EvidenceRef>,
}

/// Audit-log actions that record a protection bypass, not a configuration change.
const NOT_CONFIGURATION: &[&str] = &[
    "protected_branch.policy_override",
    "protected_branch.rejected_ref_update",
];

fn run(ctx: &Context<'_>) -> Outcome {
    let index = &ctx.index;
    let mut outcome = Outcome::new(index.population_caveats(BRANCHES.evidence_type));
    for (repo, branch) in population(index) {
        let assessed = assess(index, repo, branch);
        outcome.record(format!("{}:{branch}", repo.full_name), assessed.judgement());
    }
    outcome
}

/// The production branches at the snapshot, by repository then as collected.
pub fn population<'a>(index: &Index<'a>) -> Vec<(&'a Repository, &'a str)> {
    index
        .repos
        .values()
        .flat_map(|r| r.production_branches.iter().map(move |b| (r, b.as_str())))
        .collect()
}

/// The rows of the CM-10 population.
pub fn rows(index: &Index<'_>) -> Vec<BranchRow> {
    population(index)
        .into_iter()
        .map(|(repo, branch)| assess(index, repo, branch).row())
        .collect()
}

/// Everything CM-10 found about one branch.
struct Assessment<'a> {
    repo: &'a Repository,
    branch: &'a str,
    protection: Option<&'a BranchProtection>,
    min_approvals: u32,
    ruleset_bypass: Vec<String>,
    /// Settings below the baseline.
    failing: Vec<Failing>,
    changes: Vec<ConfigChange>,
    /// Why the branch cannot be judged at all.
    untested: Option<String>,
    /// What could not be seen (bypass actors of rulesets, the window's changes).
    unknown: Vec<String>,
}

fn assess<'a>(index: &Index<'a>, repo: &'a Repository, branch: &'a str) -> Assessment<'a> {
    let name = repo.full_name.as_str();
    let protection = index.protection(name, branch);
    let min_approvals = index.params.min_approvals_for(name);
    let mut a = Assessment {
        repo,
        branch,
        protection,
        min_approvals,
        ruleset_bypass: Vec::new(),
        failing: Vec::new(),
        changes: Vec::new(),
        untested: None,
        unknown: Vec::new(),
    };
    let gaps = |t: &str| -> Vec<String> {
        index
            .gaps(t, &repo.source, name)
            .into_iter()
            .map(describe_gap)
            .collect()
    };
    let Some(p) = protection else {
        let mut reasons = gaps("branch_protection");
        if reasons.is_empty() {
            reasons.push("no branch protection record for the branch".into());
        }
        a.untested = Some(reasons.join("; "));
        return a;
    };
    if !p.protected && !p.has_rulesets {
        let rules_gaps = gaps("rulesets");
        if !rules_gaps.is_empty() {
            a.untested = Some(format!(
                "no classic protection, and whether rulesets apply is unknown: {}",
                rules_gaps.join("; ")
            ));
            return a;
        }
    }
    if p.has_rulesets {
        for id in &p.ruleset_ids {
            match latest_version(index, name, *id) {
                Some(v) => a.ruleset_bypass.extend(v.bypass_actors.iter().cloned()),
                None => {
                    let mut why = gaps("ruleset_history");
                    if why.is_empty() {
                        why.push(format!("no version of ruleset {id} was collected"));
                    }
                    a.unknown.push(format!(
                        "the bypass actors of ruleset {id} are unknown: {}",
                        why.join("; ")
                    ));
                }
            }
        }
        a.ruleset_bypass.sort();
        a.ruleset_bypass.dedup();
    }
    if p.protected || p.has_rulesets {
        a.failing = failing_settings(p, min_approvals, &a.ruleset_bypass);
    }
    a.changes = changes_in_window(index, repo, branch, p);
    a.unknown.extend(history_unknown(index, repo, p));
    a
}

/// One setting below the baseline.
struct Failing {
    setting: &'static str,
    baseline: String,
    actual: String,
    /// The shortfall as a clause for summaries and rows.
    clause: String,
}

fn failing_settings(p: &BranchProtection, min: u32, ruleset_bypass: &[String]) -> Vec<Failing> {
    let mut failing = Vec::new();
    let mut fail = |setting: &'static str, baseline: String, actual: String, clause: String| {
        failing.push(Failing {
            setting,
            baseline,
            actual,
            clause,
        });
    };
    if !p.require_pull_request {
        fail(
            "pull request required",
            "required".into(),
            "not required".into(),
            "a pull request is not required".into(),
        );
    }
    if p.required_approvals < min {
        fail(
            "required approvals",
            format!("at least {min}"),
            p.required_approvals.to_string(),
            format!(
                "{} required where the policy asks for {min}",
                super::count(p.required_approvals as usize, "approval")
            ),
        );
    }
    if !p.dismiss_stale_reviews {
        fail(
            "stale approvals dismissed on new commits",
            "dismissed".into(),
            "not dismissed".into(),
            "stale approvals are not dismissed when commits are pushed".into(),
        );
    }
    if p.required_checks.is_empty() {
        fail(
            "required status checks",
            "at least one".into(),
            "none".into(),
            "no status check is required".into(),
        );
    }
    if p.protected && !p.enforce_admins {
        fail(
            "administrators included",
            "enforced for administrators".into(),
            "administrators exempt".into(),
            "administrators are exempt (enforce_admins off)".into(),
        );
    }
    let mut bypass: Vec<String> = p
        .bypass_actors
        .iter()
        .chain(ruleset_bypass)
        .cloned()
        .collect();
    bypass.sort();
    bypass.dedup();
    if !bypass.is_empty() {
        let listed = bypass.join(", ");
        fail(
            "bypass actors",
            "none".into(),
            listed.clone(),
            format!("bypass allowed for {listed}"),
        );
    }
    if p.allow_force_pushes {
        fail(
            "force pushes",
            "blocked".into(),
            "allowed".into(),
            "force pushes are allowed".into(),
        );
    }
    failing
}

/// The latest collected version of a repository ruleset.
fn latest_version<'a>(index: &Index<'a>, repo: &str, id: u64) -> Option<&'a RulesetVersion> {
    index
        .evidence
        .ruleset_versions
        .iter()
        .filter(|v| v.ruleset_id == id && of_ruleset(v, repo))
        .max_by_key(|v| v.version_id)
}

/// Whether a ruleset version's owner is the repository or (an organisation ruleset)
/// the repository's organisation.
fn of_ruleset(v: &RulesetVersion, repo: &str) -> bool {
    v.repo.eq_ignore_ascii_case(repo) || v.repo.eq_ignore_ascii_case(owner(repo))
}

/// Why the window's configuration changes of a branch cannot all be seen.
fn history_unknown(index: &Index<'_>, repo: &Repository, p: &BranchProtection) -> Vec<String> {
    let name = repo.full_name.as_str();
    let org = owner(name);
    let mut unknown = Vec::new();
    let audit_gaps: Vec<String> = index
        .gaps("audit_log", &repo.source, name)
        .into_iter()
        .map(describe_gap)
        .collect();
    let audit_queried = index.queries("audit_log").iter().any(|q| {
        q.source == repo.source
            && q.repo
                .as_deref()
                .is_none_or(|r| r.eq_ignore_ascii_case(org))
    });
    if !audit_gaps.is_empty() {
        unknown.push(format!(
            "changes to its protection in the window cannot be seen without the organisation audit log: {}",
            audit_gaps.join("; ")
        ));
    } else if !audit_queried {
        unknown.push(
            "changes to its protection in the window cannot be seen: the organisation audit log was not collected"
                .into(),
        );
    } else if let Some(from) = audit_log_reaches(index, &repo.source, org)
        && from > index.window.start
    {
        unknown.push(format!(
            "the organisation audit log reaches back only to {}, after the window start",
            from.format("%Y-%m-%d %H:%M UTC")
        ));
    }
    // A source whose protection history is not read at all (GitLab: protected-branch
    // changes are project audit events, not collected yet) says so with this gap.
    let history_gaps: Vec<String> = index
        .gaps("protection_history", &repo.source, name)
        .into_iter()
        .map(describe_gap)
        .collect();
    if !history_gaps.is_empty() {
        unknown.push(format!(
            "changes to its protection in the window cannot be seen: {}",
            history_gaps.join("; ")
        ));
    }
    if p.has_rulesets {
        let gaps: Vec<String> = index
            .gaps("ruleset_history", &repo.source, name)
            .into_iter()
            .map(describe_gap)
            .collect();
        if !gaps.is_empty() {
            unknown.push(format!(
                "the history of its rulesets could not be collected: {}",
                gaps.join("; ")
            ));
        }
    }
    unknown
}

/// How far back the audit log reaches for an organisation, by its coverage record.
fn audit_log_reaches(index: &Index<'_>, source: &str, org: &str) -> Option<Timestamp> {
    index
        .evidence
        .coverage
        .iter()
        .filter(|c| {
            c.evidence_type == "audit_log"
                && c.source == source
                && c.scope.eq_ignore_ascii_case(org)
        })
        .map(super::op04::covered_from)
        .max()
}

/// The configuration changes of the branch's protection inside the window.
fn changes_in_window(
    index: &Index<'_>,
    repo: &Repository,
    branch: &str,
    p: &BranchProtection,
) -> Vec<ConfigChange> {
    let name = repo.full_name.as_str();
    let mut changes = Vec::new();
    for event in &index.evidence.audit_events {
        if !index.window.contains(event.at)
            || !event
                .repo
                .as_deref()
                .is_some_and(|r| r.eq_ignore_ascii_case(name))
            || !concerns(event, branch, p)
        {
            continue;
        }
        changes.push(ConfigChange {
            at: event.at,
            actor: event.actor.clone(),
            basis: "audit_log".into(),
            action: event.action.clone(),
            weakened: event_weakens(event, index.params.min_approvals_for(name)),
            evidence: event.evidence.clone(),
        });
    }
    for id in &p.ruleset_ids {
        let mut versions: Vec<&RulesetVersion> = index
            .evidence
            .ruleset_versions
            .iter()
            .filter(|v| v.ruleset_id == *id && of_ruleset(v, name))
            .collect();
        versions.sort_by_key(|v| v.version_id);
        for pair in versions.windows(2) {
            let (before, after) = (pair[0], pair[1]);
            if !index.window.contains(after.updated_at) {
                continue;
            }
            changes.push(ConfigChange {
                at: after.updated_at,
                actor: after.actor.clone(),
                basis: "ruleset_history".into(),
                action: format!("ruleset {} version {}", after.ruleset_id, after.version_id),
                weakened: version_weakens(before, after, branch, &repo.default_branch),
                evidence: before
                    .evidence
                    .iter()
                    .chain(&after.evidence)
                    .cloned()
                    .collect(),
            });
        }
    }
    changes.sort_by(|a, b| (a.at, &a.action).cmp(&(b.at, &b.action)));
    changes
}

/// Whether an audit-log event is a configuration change that concerns the branch.
fn concerns(event: &AuditEvent, branch: &str, p: &BranchProtection) -> bool {
    let action = event.action.as_str();
    if NOT_CONFIGURATION.contains(&action) {
        return false;
    }
    if let Some(rest) = action.strip_prefix("protected_branch.") {
        let _ = rest;
        // Classic rules name the branch or the pattern they protect.
        return match event.fields.get("name").or(event.branch.as_ref()) {
            Some(pattern) => glob_match(pattern, branch),
            None => true,
        };
    }
    if action.starts_with("repository_ruleset.") {
        // A deleted ruleset no longer shows which branches it applied to: it may have
        // applied to any. Other events name the ruleset.
        if action == "repository_ruleset.destroy" {
            return true;
        }
        return match event
            .fields
            .get("ruleset_id")
            .and_then(|id| id.parse::<u64>().ok())
        {
            Some(id) => p.ruleset_ids.contains(&id),
            None => p.has_rulesets,
        };
    }
    false
}

/// What an audit-log configuration event weakened, in words.
fn event_weakens(event: &AuditEvent, min: u32) -> Vec<String> {
    let field = |k: &str| event.fields.get(k).map(String::as_str);
    let off = |v: Option<&str>| matches!(v, Some("off" | "non_admins" | "false"));
    let weakened = match event.action.as_str() {
        "protected_branch.destroy" => Some("branch protection removed".to_string()),
        "protected_branch.update_admin_enforced" if field("admin_enforced") == Some("false") => {
            Some("administrators exempted from the protection".into())
        }
        "protected_branch.update_allow_force_pushes_enforcement_level"
            if field("allow_force_pushes_enforcement_level").is_some_and(|v| v != "off") =>
        {
            Some("force pushes allowed".into())
        }
        "protected_branch.update_pull_request_reviews_enforcement_level"
            if off(field("pull_request_reviews_enforcement_level")) =>
        {
            Some(format!(
                "pull request reviews no longer required for everyone ({})",
                field("pull_request_reviews_enforcement_level").unwrap_or_default()
            ))
        }
        "protected_branch.update_required_status_checks_enforcement_level"
            if off(field("required_status_checks_enforcement_level")) =>
        {
            Some(format!(
                "required status checks no longer enforced for everyone ({})",
                field("required_status_checks_enforcement_level").unwrap_or_default()
            ))
        }
        "protected_branch.update_required_approving_review_count" => {
            field("required_approving_review_count")
                .and_then(|v| v.parse::<u32>().ok())
                .filter(|n| *n < min)
                .map(|n| format!("required approvals lowered to {n}"))
        }
        "protected_branch.dismiss_stale_reviews" if off(field("dismiss_stale_reviews_on_push")) => {
            Some("stale approvals no longer dismissed".into())
        }
        "repository_ruleset.destroy" => Some("ruleset deleted".into()),
        "repository_ruleset.update"
            if field("ruleset_enforcement").is_some_and(|v| v != "active") =>
        {
            Some(format!(
                "ruleset enforcement set to {}",
                field("ruleset_enforcement").unwrap_or_default()
            ))
        }
        _ => None,
    };
    weakened.into_iter().collect()
}

/// Whether a ruleset version applies to a branch: active, targeting branches, and its
/// `ref_name` conditions include the branch and do not exclude it.
fn applies(v: &RulesetVersion, branch: &str, default_branch: &str) -> bool {
    let matches = |pattern: &str| match pattern {
        "~ALL" => true,
        "~DEFAULT_BRANCH" => branch == default_branch,
        p => glob_match(p.strip_prefix("refs/heads/").unwrap_or(p), branch),
    };
    v.enforcement == "active"
        && v.target == "branch"
        && v.include.iter().any(|p| matches(p))
        && !v.exclude.iter().any(|p| matches(p))
}

/// What a new ruleset version weakened for a branch, compared with the previous one.
fn version_weakens(
    before: &RulesetVersion,
    after: &RulesetVersion,
    branch: &str,
    default_branch: &str,
) -> Vec<String> {
    if !applies(before, branch, default_branch) {
        return Vec::new();
    }
    if !applies(after, branch, default_branch) {
        return vec![if after.enforcement != "active" {
            format!("ruleset enforcement set to {}", after.enforcement)
        } else {
            "ruleset no longer applies to the branch".into()
        }];
    }
    let mut out = Vec::new();
    if before.require_pull_request && !after.require_pull_request {
        out.push("pull request no longer required".into());
    }
    if after.required_approvals < before.required_approvals {
        out.push(format!(
            "required approvals lowered from {} to {}",
            before.required_approvals, after.required_approvals
        ));
    }
    if before.dismiss_stale_reviews && !after.dismiss_stale_reviews {
        out.push("stale approvals no longer dismissed".into());
    }
    let removed: Vec<&str> = before
        .required_checks
        .iter()
        .filter(|c| !after.required_checks.contains(c))
        .map(String::as_str)
        .collect();
    if !removed.is_empty() {
        out.push(format!("required checks removed: {}", removed.join(", ")));
    }
    if before.blocks_force_pushes && !after.blocks_force_pushes {
        out.push("force pushes no longer blocked".into());
    }
    let added: Vec<&str> = after
        .bypass_actors
        .iter()
        .filter(|a| !before.bypass_actors.contains(a))
        .map(String::as_str)
        .collect();
    if !added.is_empty() {
        out.push(format!("bypass actors added: {}", added.join(", ")));
    }
    out
}

impl Assessment<'_> {
    fn judgement(&self) -> Judgement {
        if let Some(reason) = &self.untested {
            return Judgement::Untested(reason.clone());
        }
        let mut findings = Vec::new();
        if let Some(p) = self.protection {
            if !p.protected && !p.has_rulesets {
                findings.push(self.finding(
                    Kind::UnprotectedBranch,
                    format!(
                        "`{}` of {} has no branch protection and no ruleset applies to it",
                        self.branch, self.repo.full_name
                    ),
                    p.evidence.clone(),
                    detail([
                        ("classic_protection", json!(false)),
                        ("rulesets", json!(false)),
                    ]),
                ));
            } else if !self.failing.is_empty() {
                let settings: Vec<&str> = self.failing.iter().map(|f| f.clause.as_str()).collect();
                let failing: Vec<Value> = self
                    .failing
                    .iter()
                    .map(|f| json!({"setting": f.setting, "baseline": f.baseline, "actual": f.actual}))
                    .collect();
                findings.push(self.finding(
                    Kind::WeakProtection,
                    format!(
                        "`{}` of {} is protected below the baseline: {}",
                        self.branch,
                        self.repo.full_name,
                        settings.join("; ")
                    ),
                    p.evidence.clone(),
                    detail([
                        ("failing_settings", json!(failing)),
                        ("min_approvals", json!(self.min_approvals)),
                        ("classic_protection", json!(p.protected)),
                        ("rulesets", json!(p.ruleset_ids)),
                    ]),
                ));
            }
        }
        let weakening: Vec<&ConfigChange> = self
            .changes
            .iter()
            .filter(|c| !c.weakened.is_empty())
            .collect();
        if let Some(first) = weakening.first() {
            let by = first
                .actor
                .as_deref()
                .map(|a| format!(" by {}", actor(a)))
                .unwrap_or_default();
            let more = match weakening.len() {
                1 => String::new(),
                n => format!(
                    " (and {} more change{})",
                    n - 1,
                    if n == 2 { "" } else { "s" }
                ),
            };
            let listed: Vec<Value> = weakening
                .iter()
                .map(|c| {
                    json!({"at": c.at, "actor": c.actor, "basis": c.basis, "action": c.action, "weakened": c.weakened})
                })
                .collect();
            findings.push(
                self.finding(
                    Kind::ProtectionWeakenedInWindow,
                    format!(
                        "the protection of `{}` of {} was weakened on {}{by} ({}: {}){more}",
                        self.branch,
                        self.repo.full_name,
                        first.at.format("%Y-%m-%d %H:%M UTC"),
                        first.action,
                        first.weakened.join("; ")
                    ),
                    weakening
                        .iter()
                        .flat_map(|c| c.evidence.iter().cloned())
                        .collect(),
                    detail([("changes", json!(listed))]),
                ),
            );
        }
        if !findings.is_empty() {
            return Judgement::Fail(findings);
        }
        if !self.unknown.is_empty() {
            return Judgement::Untested(self.unknown.join("; "));
        }
        Judgement::Pass
    }

    fn finding(
        &self,
        kind: Kind,
        summary: String,
        evidence: Vec<crate::model::EvidenceRef>,
        detail: crate::findings::Detail,
    ) -> Finding {
        Finding {
            kind: kind.as_str(),
            repo: self.repo.full_name.clone(),
            subject_type: SubjectType::Branch,
            subject: self.branch.to_string(),
            summary,
            url: format!("{}/settings/branches", self.repo.url),
            evidence,
            detail,
        }
    }

    fn row(&self) -> BranchRow {
        let p = self.protection;
        let mut bypass: Vec<String> = p
            .map(|p| p.bypass_actors.clone())
            .unwrap_or_default()
            .into_iter()
            .chain(self.ruleset_bypass.iter().cloned())
            .collect();
        bypass.sort();
        bypass.dedup();
        BranchRow {
            repo: self.repo.full_name.clone(),
            branch: self.branch.to_string(),
            classic_protection: p.map(|p| p.protected),
            rulesets: p.map(|p| p.has_rulesets),
            ruleset_ids: p.map(|p| p.ruleset_ids.clone()).unwrap_or_default(),
            require_pull_request: p.map(|p| p.require_pull_request),
            required_approvals: p.map(|p| p.required_approvals),
            min_approvals: self.min_approvals,
            dismiss_stale_reviews: p.map(|p| p.dismiss_stale_reviews),
            required_checks: crate::model::strings(
                p.map(|p| p.required_checks.clone()).unwrap_or_default(),
            ),
            enforce_admins: p.map(|p| p.enforce_admins),
            bypass_actors: bypass,
            allow_force_pushes: p.map(|p| p.allow_force_pushes),
            failing_settings: self.failing.iter().map(|f| f.clause.clone()).collect(),
            weakened_in_window: self.changes.iter().any(|c| !c.weakened.is_empty()),
            configuration_changes: self.changes.clone(),
        }
    }
}

/// `@login`, or the history's `User 12` as it is.
fn actor(name: &str) -> String {
    if name.contains(' ') {
        name.to_string()
    } else {
        format!("@{name}")
    }
}

#[cfg(test)]
mod tests {
    use crate::evaluate::testkit::*;
    use crate::findings::ResultKind;

    fn branch(repo: &str, kind: &str) -> (String, String) {
        (format!("{repo}/branch/main"), kind.to_string())
    }

    /// Both repositories' `main` meet the baseline and the audit log is collected.
    fn baseline() -> Kit {
        let mut kit = Kit::new();
        kit.audit_log_collected();
        kit
    }

    #[test]
    fn baseline_protection_passes() {
        let eval = baseline().run();
        assert_eq!(eval.kinds("CM-10"), []);
        let r = eval.result("CM-10");
        assert_eq!(
            (r.result, r.population, r.tested),
            (ResultKind::Effective, 2, 2)
        );
        let row = &eval.branches[0];
        assert_eq!(
            (row.repo.as_str(), row.branch.as_str()),
            ("acme/api", "main")
        );
        assert_eq!(row.required_approvals, Some(1));
        assert_eq!(row.min_approvals, 1);
        assert_eq!(row.enforce_admins, Some(true));
        assert!(row.failing_settings.is_empty() && !row.weakened_in_window);
    }

    #[test]
    fn no_protection_and_no_rulesets_is_unprotected() {
        let mut kit = baseline();
        let p = kit.protection("acme/api", "main");
        p.protected = false;
        p.require_pull_request = false;
        p.required_approvals = 0;
        let eval = kit.run();
        assert_eq!(
            eval.kinds("CM-10"),
            [branch("acme/api", "unprotected_branch")]
        );
        let e = eval.exception("CM-10/acme/api/branch/main/unprotected_branch");
        assert_eq!(
            e.summary,
            "`main` of acme/api has no branch protection and no ruleset applies to it"
        );
        assert_eq!(e.url, "https://github.com/acme/api/settings/branches");
        assert!(e.evidence.iter().any(|e| e == "sha256:bp-acme/api-main#/"));
    }

    #[test]
    fn every_failing_setting_is_named_in_one_exception() {
        let mut kit = baseline();
        let p = kit.protection("acme/api", "main");
        p.require_pull_request = false;
        p.required_approvals = 0;
        p.dismiss_stale_reviews = false;
        p.required_checks.clear();
        p.enforce_admins = false;
        p.bypass_actors = vec!["olivia".into()];
        p.allow_force_pushes = true;
        let eval = kit.run();
        assert_eq!(eval.kinds("CM-10"), [branch("acme/api", "weak_protection")]);
        let e = eval.exception("CM-10/acme/api/branch/main/weak_protection");
        let detail = e.detail.to_map();
        let settings: Vec<&str> = detail["failing_settings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["setting"].as_str().unwrap())
            .collect();
        assert_eq!(
            settings,
            [
                "pull request required",
                "required approvals",
                "stale approvals dismissed on new commits",
                "required status checks",
                "administrators included",
                "bypass actors",
                "force pushes"
            ]
        );
        assert_eq!(
            e.summary,
            "`main` of acme/api is protected below the baseline: a pull request is not required; 0 approvals required where the policy asks for 1; stale approvals are not dismissed when commits are pushed; no status check is required; administrators are exempt (enforce_admins off); bypass allowed for olivia; force pushes are allowed"
        );
        assert_eq!(eval.branches[0].failing_settings.len(), 7);
    }

    #[test]
    fn each_setting_alone_fails_and_the_rest_pass() {
        type Weaken = fn(&mut crate::model::BranchProtection);
        let cases: [(&str, Weaken); 4] = [
            ("stale approvals are not dismissed", |p| {
                p.dismiss_stale_reviews = false
            }),
            ("administrators are exempt", |p| p.enforce_admins = false),
            ("force pushes are allowed", |p| p.allow_force_pushes = true),
            ("no status check is required", |p| p.required_checks.clear()),
        ];
        for (setting, weaken) in cases {
            let mut kit = baseline();
            weaken(kit.protection("acme/api", "main"));
            let eval = kit.run();
            let e = eval.exception("CM-10/acme/api/branch/main/weak_protection");
            assert_eq!(
                e.detail.to_map()["failing_settings"]
                    .as_array()
                    .unwrap()
                    .len(),
                1
            );
            assert!(e.summary.contains(setting), "{setting}: {}", e.summary);
        }
    }

    #[test]
    fn required_approvals_follow_the_repository_override() {
        let mut kit = baseline();
        kit.config_min_approvals("acme/payments", 2);
        let eval = kit.run();
        assert_eq!(
            eval.kinds("CM-10"),
            [branch("acme/payments", "weak_protection")]
        );
        let e = eval.exception("CM-10/acme/payments/branch/main/weak_protection");
        assert_eq!(e.detail.to_map()["failing_settings"][0]["actual"], "1");
        assert_eq!(e.detail.to_map()["min_approvals"], 2);
        kit.protection("acme/payments", "main").required_approvals = 2;
        assert_eq!(kit.run().kinds("CM-10"), []);
    }

    #[test]
    fn rulesets_alone_are_judged_with_their_bypass_actors() {
        let mut kit = baseline();
        let p = kit.protection("acme/payments", "main");
        p.protected = false;
        p.enforce_admins = false;
        p.has_rulesets = true;
        p.ruleset_ids = vec![7];
        // Without the ruleset's history its bypass actors are unknown.
        let r = kit.run().result("CM-10").clone();
        assert_eq!(r.result, ResultKind::NotTested);
        assert!(
            r.reason
                .as_deref()
                .unwrap()
                .contains("the bypass actors of ruleset 7 are unknown"),
            "{:?}",
            r.reason
        );
        // Administrators are bound by rulesets: no bypass actor, no exception.
        kit.evidence
            .ruleset_versions
            .push(ruleset_version(7, 1, "2025-01-10T10:00:00Z"));
        let eval = kit.run();
        assert_eq!(eval.kinds("CM-10"), []);
        assert_eq!(eval.result("CM-10").result, ResultKind::Effective);
        // The latest version's bypass actors count.
        let mut v2 = ruleset_version(7, 2, "2025-02-10T10:00:00Z");
        v2.bypass_actors = vec!["Team 234 (always)".into()];
        kit.evidence.ruleset_versions.push(v2);
        let eval = kit.run();
        let e = eval.exception("CM-10/acme/payments/branch/main/weak_protection");
        assert_eq!(
            e.detail.to_map()["failing_settings"][0]["actual"],
            "Team 234 (always)"
        );
        assert_eq!(eval.branches[1].bypass_actors, ["Team 234 (always)"]);
    }

    #[test]
    fn unknown_protection_is_not_tested() {
        let mut kit = baseline();
        kit.remove_protection("acme/api", "main");
        let r = kit.run().result("CM-10").clone();
        assert_eq!((r.result, r.tested), (ResultKind::NotTested, 1));
        assert!(
            r.reason
                .unwrap()
                .contains("no branch protection record for the branch (acme/api:main)")
        );
        kit.gap("branch_protection", Some("acme/api"));
        let r = kit.run().result("CM-10").clone();
        assert!(
            r.reason
                .unwrap()
                .contains("`branch_protection` of acme/api could not be collected (HTTP 403)")
        );
        // No classic protection, and the rulesets could not be collected.
        let mut kit = baseline();
        kit.protection("acme/api", "main").protected = false;
        kit.gap("rulesets", Some("acme/api"));
        let eval = kit.run();
        assert_eq!(eval.kinds("CM-10"), []);
        assert!(
            eval.result("CM-10")
                .reason
                .as_deref()
                .unwrap()
                .contains("whether rulesets apply is unknown")
        );
    }

    #[test]
    fn audit_log_event_that_weakened_protection_in_the_window() {
        let mut kit = baseline();
        kit.audit_event(
            "protected_branch.update_admin_enforced",
            "2026-08-12T14:03:00Z",
            &[("name", "main"), ("admin_enforced", "false")],
        );
        kit.audit_event(
            "protected_branch.update_admin_enforced",
            "2026-08-13T09:00:00Z",
            &[("name", "main"), ("admin_enforced", "true")],
        );
        let eval = kit.run();
        assert_eq!(
            eval.kinds("CM-10"),
            [branch("acme/api", "protection_weakened_in_window")]
        );
        let e = eval.exception("CM-10/acme/api/branch/main/protection_weakened_in_window");
        assert_eq!(
            e.summary,
            "the protection of `main` of acme/api was weakened on 2026-08-12 14:03 UTC by @olivia (protected_branch.update_admin_enforced: administrators exempted from the protection)"
        );
        assert_eq!(e.evidence, ["sha256:audit#/0"]);
        let row = &eval.branches[0];
        assert_eq!(row.configuration_changes.len(), 2);
        assert!(row.weakened_in_window);
        assert!(row.configuration_changes[1].weakened.is_empty());
    }

    #[test]
    fn events_that_do_not_weaken_this_branch_in_the_window_raise_nothing() {
        let mut kit = baseline();
        // Before the window; another branch pattern; a bypass (CM-04's); a strengthening.
        kit.audit_event(
            "protected_branch.destroy",
            "2026-06-30T23:59:59Z",
            &[("name", "main")],
        );
        kit.audit_event(
            "protected_branch.destroy",
            "2026-08-01T10:00:00Z",
            &[("name", "release/*")],
        );
        kit.audit_event(
            "protected_branch.policy_override",
            "2026-08-01T10:00:00Z",
            &[],
        );
        kit.audit_event(
            "protected_branch.update_required_approving_review_count",
            "2026-08-02T10:00:00Z",
            &[("name", "main"), ("required_approving_review_count", "2")],
        );
        kit.audit_event(
            "protected_branch.update_required_status_checks_enforcement_level",
            "2026-08-03T10:00:00Z",
            &[
                ("name", "main"),
                ("required_status_checks_enforcement_level", "everyone"),
            ],
        );
        let eval = kit.run();
        assert_eq!(eval.kinds("CM-10"), []);
        assert_eq!(eval.branches[0].configuration_changes.len(), 2);
        // The same destroy inside the window, on the branch's pattern, is a weakening.
        kit.audit_event(
            "protected_branch.destroy",
            "2026-09-01T10:00:00Z",
            &[("name", "ma*")],
        );
        assert_eq!(
            kit.run().kinds("CM-10"),
            [branch("acme/api", "protection_weakened_in_window")]
        );
    }

    #[test]
    fn ruleset_history_that_weakened_protection_in_the_window() {
        let mut kit = baseline();
        let p = kit.protection("acme/payments", "main");
        p.has_rulesets = true;
        p.ruleset_ids = vec![7];
        let v1 = ruleset_version(7, 1, "2025-01-10T10:00:00Z");
        // A strengthening inside the window raises nothing.
        let mut v2 = ruleset_version(7, 2, "2026-07-20T10:00:00Z");
        v2.required_approvals = 2;
        let mut v3 = ruleset_version(7, 3, "2026-08-20T10:00:00Z");
        v3.required_approvals = 2;
        v3.enforcement = "disabled".into();
        let mut v4 = ruleset_version(7, 4, "2026-08-21T10:00:00Z");
        v4.required_approvals = 2;
        kit.evidence.ruleset_versions = vec![v1, v2];
        let eval = kit.run();
        assert_eq!(eval.kinds("CM-10"), []);
        assert_eq!(eval.branches[1].configuration_changes.len(), 1);
        kit.evidence.ruleset_versions.extend([v3, v4]);
        let eval = kit.run();
        assert_eq!(
            eval.kinds("CM-10"),
            [branch("acme/payments", "protection_weakened_in_window")]
        );
        let e = eval.exception("CM-10/acme/payments/branch/main/protection_weakened_in_window");
        assert_eq!(
            e.summary,
            "the protection of `main` of acme/payments was weakened on 2026-08-20 10:00 UTC by User 7 (ruleset 7 version 3: ruleset enforcement set to disabled)"
        );
        assert_eq!(e.detail.to_map()["changes"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn ruleset_versions_compare_every_setting() {
        let base = ruleset_version(7, 1, "2026-07-02T00:00:00Z");
        let mut weaker = base.clone();
        weaker.require_pull_request = false;
        weaker.required_approvals = 0;
        weaker.dismiss_stale_reviews = false;
        weaker.required_checks.clear();
        weaker.blocks_force_pushes = false;
        weaker.bypass_actors = vec!["Team 1 (always)".into()];
        let found = super::version_weakens(&base, &weaker, "main", "main");
        assert_eq!(found.len(), 6, "{found:?}");
        let mut retargeted = base.clone();
        retargeted.include = vec!["refs/heads/release/*".into()];
        assert_eq!(
            super::version_weakens(&base, &retargeted, "main", "main"),
            ["ruleset no longer applies to the branch"]
        );
        let mut excluded = base.clone();
        excluded.exclude = vec!["refs/heads/ma*".into()];
        assert_eq!(
            super::version_weakens(&base, &excluded, "main", "main").len(),
            1
        );
        // A ruleset that did not apply before cannot have been weakened for the branch.
        assert!(super::version_weakens(&retargeted, &weaker, "main", "main").is_empty());
        assert!(super::version_weakens(&base, &base.clone(), "main", "main").is_empty());
    }

    #[test]
    fn window_changes_that_cannot_be_seen_leave_passing_branches_untested() {
        // No audit log at all.
        let kit = Kit::new();
        let r = kit.run().result("CM-10").clone();
        assert_eq!((r.result, r.tested), (ResultKind::NotTested, 0));
        assert!(
            r.reason
                .as_deref()
                .unwrap()
                .contains("the organisation audit log was not collected")
        );
        // The audit log refused (no Enterprise Cloud): the reason quotes the gap.
        let mut kit = Kit::new();
        kit.gap("audit_log", Some("acme"));
        let r = kit.run().result("CM-10").clone();
        assert_eq!(r.result, ResultKind::NotTested);
        assert!(
            r.reason
                .as_deref()
                .unwrap()
                .contains("`audit_log` of acme could not be collected")
        );
        // A branch failing at the snapshot is an exception all the same.
        kit.protection("acme/api", "main").enforce_admins = false;
        let eval = kit.run();
        assert_eq!(eval.kinds("CM-10"), [branch("acme/api", "weak_protection")]);
        assert_eq!(eval.result("CM-10").result, ResultKind::Exceptions);
        // An audit log that starts after the window start.
        let mut kit = baseline();
        kit.evidence.coverage[0].retention_from = t("2026-07-05T09:00:00Z");
        let r = kit.run().result("CM-10").clone();
        assert_eq!(r.result, ResultKind::NotTested);
        assert!(
            r.reason
                .unwrap()
                .contains("reaches back only to 2026-07-05 09:00 UTC")
        );
    }
}
