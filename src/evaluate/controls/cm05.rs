//! CM-05: no commit entered a production branch inside the window without a merged
//! change.

use serde_json::{Value, json};

use crate::evaluate::context::Context;
use crate::evaluate::facts::CommitFacts;
use crate::evaluate::outcome::{Finding, Judgement, Outcome, PopulationKind};
use crate::findings::SubjectType;

use super::{ControlDef, detail, names};

kinds! {
    pub enum Kind {
        DirectPush => "direct_push",
    }
}

pub const COMMITS: PopulationKind = PopulationKind {
    evidence_type: "branch_commits",
    noun: "commits",
};

pub const DEF: ControlDef = ControlDef {
    id: "CM-05",
    kinds: Kind::NAMES,
    population: COMMITS,
    run,
};

fn run(ctx: &Context<'_>) -> Outcome {
    let mut outcome = Outcome::new(ctx.index.population_caveats(COMMITS.evidence_type));
    for facts in &ctx.commits {
        outcome.record(
            format!("{}@{}", facts.repo, facts.short_sha()),
            judge(facts),
        );
    }
    outcome
}

fn judge(facts: &CommitFacts<'_>) -> Judgement {
    if let Some(reason) = &facts.unplaced {
        return Judgement::Untested(reason.clone());
    }
    if facts.change.is_some() {
        return Judgement::Pass;
    }
    let first = facts.first();
    let branches = facts.branches();
    let unmerged: Vec<String> = facts
        .other_changes
        .iter()
        .map(|c| format!("#{}", c.number))
        .collect();
    let aside = match unmerged.as_slice() {
        [] => String::new(),
        [one] => {
            format!(" ({one} is associated with it but was not merged into a production branch)")
        }
        many => format!(
            " ({} are associated with it but none was merged into a production branch)",
            many.join(", ")
        ),
    };
    let summary = format!(
        "commit {} entered {} without a merged pull request{aside}",
        facts.short_sha(),
        names(&branches)
    );
    let identity = |id: &crate::model::GitIdentity| json!({"name": id.name, "email": id.email, "login": id.login});
    let associated: Vec<Value> = facts
        .other_changes
        .iter()
        .map(|c| json!({"number": c.number, "merged": c.merged, "base_branch": c.base_branch}))
        .collect();
    Judgement::Fail(vec![Finding {
        kind: Kind::DirectPush.as_str(),
        repo: facts.repo.to_string(),
        subject_type: SubjectType::Commit,
        subject: facts.sha.to_string(),
        summary,
        url: first.url.to_string(),
        evidence: facts
            .records
            .iter()
            .flat_map(|r| r.evidence.iter().cloned())
            .collect(),
        detail: detail([
            ("branches", json!(branches)),
            ("message_headline", json!(first.message_headline)),
            ("author", identity(&first.author)),
            ("committer", identity(&first.committer)),
            ("committed_at", json!(first.committed_at)),
            ("associated_changes", json!(associated)),
        ]),
    }])
}

#[cfg(test)]
mod tests {
    use crate::evaluate::testkit::*;
    use crate::findings::ResultKind;

    const SHA: &str = "1a2b3c4d5e6f708192a3b4c5d6e7f80912a3b4c5";

    fn commit_exc(sha: &str) -> (String, String) {
        (format!("acme/api/commit/{sha}"), "direct_push".to_string())
    }

    #[test]
    fn commit_with_no_pull_request_is_a_direct_push() {
        let mut kit = Kit::new();
        kit.add_commit(bc("acme/api", "main", SHA));
        let eval = kit.run();
        assert_eq!(eval.kinds("CM-05"), [commit_exc(SHA)]);
        let e = eval.exception(&format!("CM-05/acme/api/commit/{SHA}/direct_push"));
        assert_eq!(
            e.summary,
            "commit 1a2b3c4 entered `main` without a merged pull request"
        );
        assert_eq!(e.url, format!("https://github.com/acme/api/commit/{SHA}"));
        assert_eq!(e.severity, crate::findings::Severity::High);
        assert_eq!(eval.result("CM-05").result, ResultKind::Exceptions);
        assert_eq!(eval.commits[0].change, None);
    }

    #[test]
    fn commit_of_an_unmerged_pull_request_is_a_direct_push() {
        let mut kit = Kit::new();
        kit.add_commit(bc("acme/api", "main", SHA).associated(7, false, "main"));
        let eval = kit.run();
        assert_eq!(eval.kinds("CM-05"), [commit_exc(SHA)]);
        assert!(
            eval.exception(&format!("CM-05/acme/api/commit/{SHA}/direct_push"))
                .summary
                .ends_with(
                    "(#7 is associated with it but was not merged into a production branch)"
                )
        );
    }

    #[test]
    fn commit_of_a_pull_request_merged_elsewhere_is_a_direct_push() {
        let mut kit = Kit::new();
        kit.add_commit(bc("acme/api", "main", SHA).associated(7, true, "develop"));
        assert_eq!(kit.run().kinds("CM-05"), [commit_exc(SHA)]);
    }

    #[test]
    fn squash_and_merge_commits_of_a_merged_change_pass() {
        let mut kit = Kit::new();
        kit.add_commit(bc("acme/api", "main", &merge_sha(1)).associated(1, true, "main"));
        let eval = kit.run();
        assert_eq!(eval.kinds("CM-05"), []);
        assert_eq!(eval.commits[0].change, Some(1));
        assert_eq!(eval.result("CM-05").result, ResultKind::Effective);
    }

    #[test]
    fn rebase_and_merge_method_commits_pass() {
        let mut kit = Kit::new();
        // Rebased commits and a merge commit's second-parent commits all carry the PR.
        for sha in ["aa00000", "bb00000", "cc00000"] {
            kit.add_commit(bc("acme/api", "main", sha).associated(5, true, "main"));
        }
        assert_eq!(kit.run().kinds("CM-05"), []);
    }

    #[test]
    fn commit_carried_by_a_change_record_passes_without_association() {
        let mut kit = Kit::new();
        kit.add(pr(3).approve("bob"));
        kit.add_commit(bc("acme/api", "main", &merge_sha(3)));
        kit.add_commit(bc("acme/api", "main", &head_sha(3)));
        let eval = kit.run();
        assert_eq!(eval.kinds("CM-05"), []);
        assert!(eval.commits.iter().all(|c| c.change == Some(3)));
    }

    #[test]
    fn commit_outside_the_window_is_not_in_the_population() {
        let mut kit = Kit::new();
        kit.add_commit(bc("acme/api", "main", SHA).at("2026-06-30T23:59:59Z"));
        kit.add_commit(bc("acme/api", "main", "ffff000").at("2026-10-01T00:00:00Z"));
        let eval = kit.run();
        assert_eq!(eval.kinds("CM-05"), []);
        assert_eq!(eval.result("CM-05").population, 0);
        assert_eq!(eval.result("CM-05").result, ResultKind::NotApplicable);
    }

    #[test]
    fn commit_on_a_non_production_branch_is_not_in_the_population() {
        let mut kit = Kit::new();
        kit.add_commit(bc("acme/api", "develop", SHA));
        assert_eq!(kit.run().result("CM-05").population, 0);
    }

    #[test]
    fn commit_on_two_production_branches_counts_once() {
        let mut kit = Kit::new();
        kit.add_commit(bc("acme/api", "release/2.0", SHA));
        kit.add_commit(bc("acme/api", "main", SHA));
        let eval = kit.run();
        assert_eq!(eval.kinds("CM-05"), [commit_exc(SHA)]);
        assert_eq!(eval.result("CM-05").population, 1);
        assert_eq!(eval.commits.len(), 1);
        assert_eq!(eval.commits[0].branch, "main, release/2.0");
        let e = eval.exception(&format!("CM-05/acme/api/commit/{SHA}/direct_push"));
        assert_eq!(
            e.summary,
            "commit 1a2b3c4 entered `main` and `release/2.0` without a merged pull request"
        );
        assert_eq!(e.evidence.len(), 2);
    }

    #[test]
    fn empty_population_without_a_query_is_not_tested() {
        let mut kit = Kit::new();
        kit.evidence
            .queries
            .retain(|q| q.evidence_type != "branch_commits");
        let r = kit.run().result("CM-05").clone();
        assert_eq!(r.result, ResultKind::NotTested);
        assert!(
            r.reason
                .unwrap()
                .contains("no record of how the `branch_commits`")
        );
        let mut kit = Kit::new();
        kit.evidence.queries.clear();
        kit.evidence.repositories.clear();
        let r = kit.run().result("CM-05").clone();
        assert_eq!(r.result, ResultKind::NotTested);
        assert_eq!(
            r.reason.unwrap(),
            "no evidence of the population was collected (no `branch_commits` query is recorded)"
        );
    }

    #[test]
    fn branch_commit_gap_makes_the_control_not_tested() {
        let mut kit = Kit::new();
        kit.gap("branch_commits", Some("acme/payments"));
        kit.add_commit(bc("acme/api", "main", &merge_sha(1)).associated(1, true, "main"));
        let r = kit.run().result("CM-05").clone();
        assert_eq!(
            (r.result, r.population, r.tested),
            (ResultKind::NotTested, 1, 1)
        );
        assert!(
            r.reason
                .unwrap()
                .contains("the population may be incomplete")
        );
    }
}
