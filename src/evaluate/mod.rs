//! Evaluation: tests the normalized evidence against the control catalog.
//!
//! Invariant: evaluation does no I/O and reads no clock. Every "now" is the locker's
//! snapshot time; the same evidence and config always give the same findings.
//!
//! Layout: `population` decides which records each control tests; `facts` derives every
//! per-record fact once (authors, approvals, checks, the change behind a commit);
//! `controls/cmNN` holds each control's test as a pure function of that shared
//! `context`; `outcome` turns per-control outcomes into results and exceptions;
//! `rows` fills the population rows from the same facts.

mod access;
mod access_rows;
mod context;
mod controls;
mod deployments;
mod facts;
mod identity;
mod outcome;
mod population;
mod rows;
mod sha_index;
#[cfg(test)]
pub(crate) mod testkit;
#[cfg(test)]
mod testkit_access;
mod vecmap;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::catalog::Catalog;
use crate::config::Config;
use crate::findings::{FINDINGS_SCHEMA, Findings};
use crate::locker::Window;
use crate::model::{Evidence, Text, Timestamp};

use context::Context;

pub use access::GrantRow;
pub use access_rows::{AccessChangeRow, AccountRow, CredentialRow};
pub use controls::ac03::PrivilegedRow;
pub use controls::cm10::{BranchRow, ConfigChange};
pub use controls::op04::CoverageRow;

/// Everything evaluation reads.
pub struct EvalInput<'a> {
    pub evidence: &'a Evidence,
    pub config: &'a Config,
    pub catalog: &'a Catalog,
    pub window: Window,
    /// From the locker: false when the collection was incomplete.
    pub complete: bool,
    pub missing: &'a [String],
    /// The HR roster (AC-02) and the previous snapshot (AC-05), if any.
    pub inputs: &'a crate::inputs::Inputs,
}

/// Findings plus the per-record attributes the controls tested, for the population files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    pub findings: Findings,
    /// The change population (CM-01/03/04), one row per change, sorted by (merged_at, repo, number).
    pub changes: Vec<ChangeRow>,
    /// The CM-05 population: distinct production-branch commits in the window, sorted by
    /// (committed_at, repo, sha).
    pub commits: Vec<CommitRow>,
    /// AC-01/AC-02: accounts with access per organisation, sorted by (org, login).
    pub accounts: Vec<AccountRow>,
    /// Every access grant at the snapshot (AC-03, AC-05), sorted.
    pub grants: Vec<GrantRow>,
    /// AC-04: deploy keys and Actions secrets, sorted by (kind, owner, id).
    pub credentials: Vec<CredentialRow>,
    /// AC-05: grants added, removed or changed since the previous snapshot (empty
    /// without one).
    pub access_changes: Vec<AccessChangeRow>,
    /// Files read besides the evidence and config (HR roster, previous snapshot), carried
    /// into the bundle's `config/` folder.
    pub inputs: Vec<crate::inputs::InputFile>,
    /// Trend tables over the populations (exception rates, deployment frequency, time
    /// to recover); `None` until `pipeline::evaluate_locker` computes them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aggregates: Option<crate::analytics::Aggregates>,
    /// Merged changes vs production-branch commits vs deployments (SPEC §6).
    #[serde(default)]
    pub reconciliation: crate::reconcile::Reconciliation,
    /// The waivers file applied to the findings, if the config names one (its exact text
    /// goes into the bundle's `config/`). Set by `pipeline`, which reads the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waivers: Option<crate::waivers::WaiversFile>,
    /// The CM-10 population: production branches at the snapshot, by repository.
    #[serde(default)]
    pub branches: Vec<BranchRow>,
    /// The OP-04 population: time-limited evidence sources and what they cover.
    #[serde(default)]
    pub coverage: Vec<CoverageRow>,
    /// The deployment population (CM-06 … CM-08, OP-01 … OP-03), sorted by
    /// (created_at, repo, id).
    #[serde(default)]
    pub deployments: Vec<DeploymentRow>,
    /// The AC-03 population: each organisation's owner list, outside collaborators'
    /// direct grants and (with `approved_admins`) repository admins.
    #[serde(default)]
    pub privileged: Vec<PrivilegedRow>,
    /// Per control, the records of its population it did not judge (untested, or judged
    /// by another control), by the subject label the control's reason uses. The bundle
    /// marks those records `not_tested` in the population files.
    #[serde(default)]
    pub untested: BTreeMap<String, BTreeSet<String>>,
}

impl Evaluation {
    /// Findings with every population empty: the start of hand-built evaluations (tests,
    /// tools), so adding a population touches one place.
    pub fn from_findings(findings: Findings) -> Evaluation {
        Evaluation {
            findings,
            changes: Vec::new(),
            commits: Vec::new(),
            accounts: Vec::new(),
            grants: Vec::new(),
            credentials: Vec::new(),
            access_changes: Vec::new(),
            inputs: Vec::new(),
            aggregates: None,
            reconciliation: Default::default(),
            waivers: None,
            branches: Vec::new(),
            coverage: Vec::new(),
            deployments: Vec::new(),
            privileged: Vec::new(),
            untested: BTreeMap::new(),
        }
    }

    /// Whether a control left the record with this subject label unjudged.
    pub fn untested(&self, control: &str, label: &str) -> bool {
        self.untested
            .get(control)
            .is_some_and(|labels| labels.contains(label))
    }
}

/// One change with the attributes the controls tested (SPEC §6).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeRow {
    /// The config's source the record came from.
    #[serde(default)]
    pub source: Text,
    pub repo: Text,
    pub number: u64,
    pub title: Text,
    pub url: Text,
    pub author: Text,
    /// Every author of the change (SPEC §2), logins, sorted.
    pub authors: Box<[Text]>,
    pub base_branch: Text,
    pub merged_at: Timestamp,
    pub merged_by: Text,
    pub merge_commit_sha: Text,
    pub head_sha: Text,
    /// Humans whose review was APPROVED at collection time, at or before merge, sorted.
    pub approvers: Box<[Text]>,
    /// Approvers who are not authors, sorted.
    pub independent_approvers: Box<[Text]>,
    /// Whether an independent approval was given on the head commit at merge.
    pub approval_on_head: bool,
    /// The head commit's check rollup: `success`, `failure`, `pending`, `none` …
    pub check_state: std::borrow::Cow<'static, str>,
    /// Required checks in force on the base branch.
    pub required_checks: Box<[Text]>,
    pub labels: Box<[Text]>,
    /// Carries an emergency label (judged by CM-09 instead of CM-01/CM-02).
    pub emergency: bool,
    /// An emergency change merged without enough independent approvals: CM-09 judges it
    /// on its retro review instead of CM-01/CM-02.
    #[serde(default)]
    pub judged_by_cm09: bool,
    /// Independent approvers after the merge (the retro review), in time order.
    #[serde(default)]
    pub retro_approvers: Box<[String]>,
    /// The first independent approval after the merge.
    #[serde(default)]
    pub retro_review_at: Option<Timestamp>,
    /// For an emergency change: when its retro review was due (merge time plus
    /// `emergency_review_within`).
    #[serde(default)]
    pub retro_review_due: Option<Timestamp>,
}

/// One production-branch commit of the CM-05 population.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommitRow {
    /// The config's source the record came from.
    #[serde(default)]
    pub source: Text,
    pub repo: Text,
    pub branch: Text,
    pub sha: Text,
    pub message_headline: Text,
    pub author: Text,
    pub committer: Text,
    pub committed_at: Timestamp,
    pub url: Text,
    /// The merged change that introduced the commit, if any.
    pub change: Option<u64>,
}

/// One production deployment with the attributes the deployment controls tested.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeploymentRow {
    /// The config's source the record came from (a GitHub organisation, a file export).
    #[serde(default)]
    pub source: Text,
    pub repo: Text,
    pub id: Text,
    pub environment: Text,
    pub sha: Text,
    #[serde(rename = "ref")]
    pub ref_name: Text,
    pub created_at: Timestamp,
    /// Creation time in `[audit] timezone`, RFC 3339 with the zone's offset (empty when
    /// the zone is not valid).
    pub created_local: String,
    /// Inside business hours (OP-01); `None` when the config cannot say.
    pub business_hours: Option<bool>,
    /// The deployment's creator (the deployer), `ghost` for a deleted account.
    pub deployer: Text,
    /// Why the deployer may deploy: `org_member`, `service_account`, `actions_workflow`
    /// (github-actions[bot] for a workflow run of the repository) or `unknown`.
    pub deployer_basis: String,
    pub workflow_run_id: Option<u64>,
    /// The latest status as recorded (`success`, `inactive`, `failure` …) or `none`.
    pub state: String,
    /// The latest of success / failure / error, or `none` while not concluded.
    pub outcome: String,
    /// People whose approval of the run names this environment, sorted.
    pub approvers: Vec<Text>,
    /// Whether `require_deployment_approval` was in force.
    pub approval_required: bool,
    /// The traced change as `owner/name#number`.
    pub change: Option<String>,
    /// How the deployed commit was traced: `merge_commit`, `head`, `commit`,
    /// `branch_commit`, or `none`.
    pub traced_by: String,
    pub change_merged_at: Option<Timestamp>,
    /// Whether the change merged inside the window (is in the change population).
    pub change_in_window: Option<bool>,
    /// Authors of the traced change (SPEC §2), sorted.
    pub change_authors: Vec<Text>,
    /// The traced change carries an emergency label.
    pub emergency: bool,
    /// For a failed deployment: the later successful deployment to the same environment.
    pub recovered_by: Option<String>,
    pub recovered_at: Option<Timestamp>,
    /// The workflow run, else the API record of the deployment.
    pub url: String,
}

/// Evaluates every control of the catalog, in catalog order. A catalog control without
/// test logic is reported `not_tested`, never as passing.
pub fn evaluate(input: &EvalInput<'_>) -> Evaluation {
    let ctx = Context::build(input);
    // The population rows and the reconciliation do not read the controls' outcomes, so
    // the two cores share the work: here the rows, then the controls and the other
    // rows; beside them the reconciliation's history part, then (once the rows are
    // there) its rest. The facts are let go here too, while the reconciliation ends.
    std::thread::scope(|scope| {
        let prepared =
            scope.spawn(|| crate::reconcile::prepare(input.evidence, input.config, input.window));
        let changes: Vec<ChangeRow> = ctx
            .changes
            .iter()
            .map(|f| rows::change_row(&ctx.index, f))
            .collect();
        let commits: Vec<CommitRow> = ctx.commits.iter().map(rows::commit_row).collect();
        let mut evaluation = std::thread::scope(|inner| {
            let reconciliation =
                inner.spawn(|| crate::util::joined(prepared.join()).finish(&changes, &commits));
            let (controls, exceptions, untested) = run_controls(input, &ctx);
            let mut evaluation = Evaluation {
                findings: Findings {
                    schema: FINDINGS_SCHEMA.to_string(),
                    window: input.window,
                    complete: input.complete,
                    missing: input.missing.to_vec(),
                    controls,
                    exceptions,
                    waivers: None,
                },
                changes: Vec::new(),
                commits: Vec::new(),
                accounts: access_rows::account_rows(&ctx.access),
                grants: ctx.access.grants.clone(),
                credentials: access_rows::credential_rows(
                    input.evidence,
                    &ctx.access,
                    &input.config.sources,
                ),
                access_changes: access_rows::access_changes(&ctx.access).unwrap_or_default(),
                inputs: input.inputs.files(),
                aggregates: None,
                reconciliation: Default::default(),
                waivers: None,
                branches: controls::cm10::rows(&ctx.index),
                coverage: controls::op04::rows(&ctx.index),
                deployments: ctx
                    .deployments
                    .iter()
                    .map(|d| rows::deployment_row(&ctx, d))
                    .collect(),
                privileged: controls::ac03::rows(&ctx),
                untested,
            };
            drop(ctx);
            evaluation.reconciliation = crate::util::joined(reconciliation.join());
            evaluation
        });
        evaluation.changes = changes;
        evaluation.commits = commits;
        evaluation
    })
}

/// Runs every control of the catalog in catalog order: the findings' result lines, the
/// exceptions (sorted by id) and, per control, the records it did not judge.
#[allow(clippy::type_complexity)]
fn run_controls(
    input: &EvalInput<'_>,
    ctx: &Context<'_>,
) -> (
    Vec<crate::findings::ControlResult>,
    Vec<crate::findings::Exception>,
    BTreeMap<String, BTreeSet<String>>,
) {
    let mut controls = Vec::with_capacity(input.catalog.controls.len());
    let mut found_by_control = Vec::with_capacity(input.catalog.controls.len());
    let mut untested: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for entry in &input.catalog.controls {
        let outcome = controls::find(&entry.id).map(|def| {
            let outcome = (def.run)(ctx);
            debug_assert!(
                outcome.findings.iter().all(|f| def.kinds.contains(&f.kind)),
                "{} emitted an undeclared kind",
                def.id
            );
            let labels: BTreeSet<String> = outcome
                .untested
                .values()
                .chain(outcome.deferred.values())
                .flatten()
                .cloned()
                .collect();
            if !labels.is_empty() {
                untested.insert(entry.id.clone(), labels);
            }
            (outcome, def.population)
        });
        let (line, found) = outcome::assemble(entry, input.catalog, &ctx.index, outcome);
        controls.push(line);
        found_by_control.push(found);
    }
    // Gathered into a vector of exactly their number: grown one control at a time, it
    // doubled its way up, and at a million changes the unused half was ~90 MB held
    // through the rest of the run.
    let mut exceptions = Vec::with_capacity(found_by_control.iter().map(Vec::len).sum());
    for found in found_by_control {
        exceptions.extend(found);
    }
    exceptions.sort_by(|a, b| a.id.cmp(&b.id));
    (controls, exceptions, untested)
}

#[cfg(test)]
mod tests {
    use super::testkit::*;
    use crate::findings::ResultKind;

    #[test]
    fn change_outside_production_or_window_is_not_in_the_population() {
        let mut kit = Kit::new();
        kit.add(pr(1).base("develop"));
        kit.add(pr(2).merged_at("2026-06-30T23:59:59Z"));
        kit.add(pr(3).merged_at("2026-10-01T00:00:00Z"));
        kit.add(pr(4).base("release/2.0").merged_at("2026-07-01T00:00:00Z"));
        let eval = kit.run();
        let numbers: Vec<u64> = eval.changes.iter().map(|c| c.number).collect();
        assert_eq!(numbers, [4]);
        assert_eq!(eval.result("CM-01").population, 1);
        assert_eq!(eval.kinds("CM-01"), [exc(4, "no_approval")]);
    }

    #[test]
    fn repositories_the_config_excludes_are_out_of_scope() {
        let mut kit = Kit::new();
        kit.config.sources[0].exclude = vec!["sandbox-*".into()];
        let mut sandbox = kit.evidence.repositories[0].clone();
        sandbox.full_name = "acme/sandbox-play".into();
        kit.evidence.repositories.push(sandbox);
        kit.add(pr(1).repo("acme/sandbox-play"));
        kit.add(pr(2));
        let eval = kit.run();
        let numbers: Vec<u64> = eval.changes.iter().map(|c| c.number).collect();
        assert_eq!(
            numbers,
            [2],
            "the excluded repository's change is not in the population"
        );
        // Nothing was collected for the excluded repository, and nothing is expected.
        for id in ["CM-01", "CM-05"] {
            let reason = eval.result(id).reason.clone().unwrap_or_default();
            assert!(!reason.contains("sandbox"), "{id}: {reason}");
        }

        // Without the exclusion, the same evidence is a caveat on the population.
        kit.config.sources[0].exclude.clear();
        let eval = kit.run();
        assert!(
            eval.result("CM-01")
                .reason
                .as_deref()
                .is_some_and(|r| r.contains("acme/sandbox-play")),
            "{:?}",
            eval.result("CM-01").reason
        );
    }

    #[test]
    fn empty_population_proven_by_a_query_is_not_applicable() {
        let eval = Kit::new().run();
        for id in ["CM-01", "CM-02", "CM-03", "CM-04"] {
            let r = eval.result(id);
            assert_eq!(r.result, ResultKind::NotApplicable, "{id}");
            let reason = r.reason.as_deref().unwrap();
            assert!(
                reason.starts_with("no changes in the population: `POST /graphql pull_requests` for acme/api (repo:acme/api) returned 0 records"),
                "{reason}"
            );
        }
        assert_eq!(eval.result("CM-05").result, ResultKind::NotApplicable);
    }

    #[test]
    fn empty_population_with_a_gap_is_not_tested() {
        let mut kit = Kit::new();
        kit.gap("pull_requests", Some("acme/payments"));
        let r = kit.run().result("CM-01").clone();
        assert_eq!(r.result, ResultKind::NotTested);
        assert!(
            r.reason
                .unwrap()
                .contains("`pull_requests` of acme/payments could not be collected")
        );
    }

    #[test]
    fn change_of_an_unknown_repository_is_untested_not_dropped() {
        let mut kit = Kit::new();
        kit.add(pr(1).repo("acme/ghost-repo"));
        let eval = kit.run();
        assert_eq!(eval.findings.exceptions, []);
        let r = eval.result("CM-01");
        assert_eq!(
            (r.result, r.population, r.tested),
            (ResultKind::NotTested, 1, 0)
        );
        assert!(
            r.reason
                .as_deref()
                .unwrap()
                .contains("no repository record for acme/ghost-repo")
        );
        // A branch matching an explicit pattern is production whatever the default is.
        let mut kit = Kit::new();
        kit.add(pr(1).repo("acme/ghost-repo").base("release/1.0"));
        let eval = kit.run();
        assert_eq!(eval.result("CM-01").tested, 1);
        assert_eq!(eval.kinds("CM-01").len(), 1);
    }

    #[test]
    fn effective_when_everything_passes() {
        let mut kit = Kit::new();
        kit.add(pr(1).approve("bob"));
        kit.add_commit(bc("acme/api", "main", &merge_sha(1)).associated(1, true, "main"));
        kit.deploy(deployment(1, &merge_sha(1)));
        let eval = kit.run();
        // Controls over other populations (emergency changes, branches, sources) have
        // their own tests.
        let change_controls = ["CM-01", "CM-02", "CM-03", "CM-04", "CM-05"];
        for c in eval
            .findings
            .controls
            .iter()
            .filter(|c| change_controls.contains(&c.id.as_str()))
        {
            assert_eq!(c.result, ResultKind::Effective, "{c:?}");
            assert_eq!(
                (c.population, c.tested, c.exceptions, c.waived),
                (1, 1, 0, 0)
            );
            assert_eq!(c.reason, None);
        }
        let ids: Vec<&str> = eval
            .findings
            .controls
            .iter()
            .map(|c| c.id.as_str())
            .collect();
        assert_eq!(
            ids,
            [
                "AC-01", "AC-02", "AC-03", "AC-04", "AC-05", "CM-01", "CM-02", "CM-03", "CM-04",
                "CM-05", "CM-06", "CM-07", "CM-08", "CM-09", "CM-10", "OP-01", "OP-02", "OP-03",
                "OP-04"
            ]
        );
        assert!(eval.findings.complete);
        assert_eq!(eval.findings.schema, crate::findings::FINDINGS_SCHEMA);
    }

    #[test]
    fn exceptions_are_sorted_by_id_and_carry_catalog_data() {
        let mut kit = Kit::new();
        kit.add(pr(20).merged_at("2026-07-02T00:00:00Z"));
        kit.add(pr(3).approve("alice"));
        kit.add_commit(bc("acme/api", "main", "abcdef0123"));
        let eval = kit.run();
        let ids: Vec<&str> = eval
            .findings
            .exceptions
            .iter()
            .map(|e| e.id.as_str())
            .collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted);
        assert!(ids.contains(&"CM-01/acme/api/change/3/self_approval"));
        assert!(ids.contains(&"CM-05/acme/api/commit/abcdef0123/direct_push"));
        let e = eval.exception("CM-01/acme/api/change/3/self_approval");
        assert_eq!(
            (
                e.control.as_str(),
                e.kind.as_str(),
                e.repo.as_str(),
                e.subject.as_str()
            ),
            ("CM-01", "self_approval", "acme/api", "3")
        );
        assert_eq!(e.status, crate::findings::ExceptionStatus::Open);
        assert_eq!(e.waiver, None);
        let c = eval.result("CM-01");
        assert_eq!((c.result, c.exceptions), (ResultKind::Exceptions, 2));
        assert_eq!(c.tsc, ["CC8.1"]);
        assert_eq!(c.title, "Changes are independently approved before merge");
    }

    #[test]
    fn change_rows_carry_the_tested_attributes() {
        let mut kit = Kit::new();
        kit.add(
            pr(2)
                .merged_at("2026-09-01T00:00:00Z")
                .deleted_author()
                .approve("bob"),
        );
        kit.add(
            pr(1)
                .label("hotfix")
                .label("backend")
                .commit(ident("carol"), ident("carol"))
                .approve("carol")
                .approve_on("bob", Some("0123456")),
        );
        let eval = kit.run();
        assert_eq!(eval.changes.len(), 2);
        let row = &eval.changes[0];
        assert_eq!(row.number, 1);
        assert_eq!(*row.authors, ["alice", "carol"]);
        assert_eq!(*row.approvers, ["bob", "carol"]);
        assert_eq!(*row.independent_approvers, ["bob"]);
        assert!(!row.approval_on_head);
        assert_eq!(*row.labels, ["backend", "hotfix"]);
        assert!(row.emergency);
        assert_eq!(row.merge_commit_sha, merge_sha(1));
        assert_eq!(row.url, "https://github.com/acme/api/pull/1");
        let ghost = &eval.changes[1];
        assert_eq!((ghost.author.as_str(), ghost.authors.len()), ("ghost", 0));
        assert!(!ghost.emergency);
        assert_eq!(eval.kinds("CM-01"), []);
    }

    #[test]
    fn missing_merge_commit_means_no_rule_suite_match() {
        let mut kit = Kit::new();
        kit.add(pr(1).approve("bob").merge_sha(None));
        assert_eq!(kit.run().kinds("CM-04"), []);
    }

    #[test]
    fn evaluation_is_deterministic() {
        let mut kit = Kit::new();
        kit.add(pr(2).approve("alice"));
        kit.add(pr(1));
        kit.add_commit(bc("acme/api", "main", "abc"));
        assert_eq!(kit.run().0, kit.run().0);
    }

    #[test]
    fn a_catalog_control_without_logic_is_not_tested() {
        let kit = Kit::new();
        let mut catalog = crate::catalog::Catalog::builtin().unwrap();
        let mut extra = catalog.controls[0].clone();
        extra.id = "CM-99".into();
        catalog.controls.push(extra);
        let eval = super::evaluate(&super::EvalInput {
            evidence: &kit.evidence,
            config: &kit.config,
            catalog: &catalog,
            window: kit.config.audit.window.window(),
            complete: false,
            missing: &["audit_log".to_string()],
            inputs: &kit.inputs,
        });
        let r = eval.findings.controls.last().unwrap();
        assert_eq!((r.id.as_str(), r.result), ("CM-99", ResultKind::NotTested));
        assert!(
            r.reason
                .as_deref()
                .unwrap()
                .contains("has no test for CM-99")
        );
        assert!(!eval.findings.complete);
        assert_eq!(eval.findings.missing, ["audit_log"]);
    }
}
