//! AC-04: pipeline credentials are scoped and rotated: deploy keys are read-only unless
//! listed in `allowed_write_deploy_keys`; repository and org Actions secrets were set
//! within `max_secret_age` of the snapshot.

use serde_json::json;

use crate::evaluate::access::{allowed_write_key, in_scope};
use crate::evaluate::context::Context;
use crate::evaluate::outcome::{Finding, Judgement, Outcome, PopulationKind};
use crate::findings::SubjectType;

use super::{ControlDef, detail};

kinds! {
    pub enum Kind {
        WriteDeployKey => "write_deploy_key",
        StaleSecret => "stale_secret",
    }
}

pub const DEF: ControlDef = ControlDef {
    id: "AC-04",
    kinds: Kind::NAMES,
    population: PopulationKind {
        evidence_type: "secrets",
        noun: "credentials",
    },
    run,
};

fn run(ctx: &Context<'_>) -> Outcome {
    let access = &ctx.access;
    let params = access.params;
    let evidence = ctx.index.evidence;
    let mut caveats = ctx.index.population_caveats("deploy_keys");
    caveats.extend(ctx.index.population_caveats("secrets"));
    caveats.sort();
    caveats.dedup();
    let mut outcome = Outcome::new(caveats);

    let mut keys: Vec<_> = evidence
        .access
        .deploy_keys
        .iter()
        .filter(|k| in_scope(access.sources, &k.source, &k.repo))
        .collect();
    keys.sort_by(|a, b| (&a.repo, a.id).cmp(&(&b.repo, b.id)));
    for key in keys {
        let judgement = if key.read_only || allowed_write_key(params, &key.repo, &key.title, key.id)
        {
            Judgement::Pass
        } else {
            Judgement::Fail(vec![Finding {
                kind: Kind::WriteDeployKey.as_str(),
                repo: key.repo.clone(),
                subject_type: SubjectType::DeployKey,
                subject: key.id.to_string(),
                summary: format!(
                    "deploy key `{}` (id {}) can write to {} and is not in allowed_write_deploy_keys",
                    key.title, key.id, key.repo
                ),
                url: format!("https://github.com/{}/settings/keys", key.repo),
                evidence: key.evidence.clone(),
                detail: detail([
                    ("title", json!(key.title)),
                    ("created_at", json!(key.created_at)),
                    ("last_used", json!(key.last_used)),
                ]),
            }])
        };
        outcome.record(format!("{} key {}", key.repo, key.id), judgement);
    }

    let oldest = access.snapshot - params.max_secret_age.duration();
    let mut secrets: Vec<_> = evidence
        .access
        .secrets
        .iter()
        .filter(|s| s.scope != "repo" || in_scope(access.sources, &s.source, &s.owner))
        .collect();
    secrets.sort_by(|a, b| (&a.owner, &a.name).cmp(&(&b.owner, &b.name)));
    for secret in secrets {
        let judgement = if secret.updated_at >= oldest {
            Judgement::Pass
        } else {
            let days = (access.snapshot - secret.updated_at).num_days();
            let (url, what) = if secret.scope == "org" {
                (
                    format!(
                        "https://github.com/organizations/{}/settings/secrets/actions",
                        secret.owner
                    ),
                    "organisation secret",
                )
            } else {
                (
                    format!(
                        "https://github.com/{}/settings/secrets/actions",
                        secret.owner
                    ),
                    "repository secret",
                )
            };
            Judgement::Fail(vec![Finding {
                kind: Kind::StaleSecret.as_str(),
                repo: secret.owner.clone(),
                subject_type: SubjectType::Secret,
                subject: secret.name.clone(),
                summary: format!(
                    "{what} `{}` of {} was last set {} ({days} days before the snapshot; max_secret_age = {})",
                    secret.name,
                    secret.owner,
                    secret.updated_at.format("%Y-%m-%d"),
                    params.max_secret_age
                ),
                url,
                evidence: secret.evidence.clone(),
                detail: detail([
                    ("scope", json!(secret.scope)),
                    ("updated_at", json!(secret.updated_at)),
                    ("age_days", json!(days)),
                ]),
            }])
        };
        outcome.record(
            format!("{} secret {}", secret.owner, secret.name),
            judgement,
        );
    }
    outcome
}

#[cfg(test)]
mod tests {
    use crate::config::AllowedDeployKey;
    use crate::evaluate::testkit::*;
    use crate::findings::ResultKind;

    #[test]
    fn write_deploy_keys_need_listing_by_title_or_id() {
        let mut kit = Kit::new();
        kit.access_lists();
        kit.deploy_key("acme/api", 11, "argocd-readonly", true);
        kit.deploy_key("acme/api", 12, "flux-write", false);
        kit.deploy_key("acme/payments", 13, "release-tagger", false);
        kit.deploy_key("acme/payments", 14, "flux-write", false);
        kit.config.access.allowed_write_deploy_keys = vec![
            AllowedDeployKey {
                repo: "acme/api".into(),
                title: Some("flux-write".into()),
                id: None,
            },
            AllowedDeployKey {
                repo: "acme/payments".into(),
                title: None,
                id: Some(13),
            },
        ];
        let eval = kit.run();
        // The title allows the key on acme/api only.
        assert_eq!(
            eval.kinds("AC-04"),
            [(
                "acme/payments/deploy_key/14".into(),
                "write_deploy_key".into()
            )]
        );
        assert_eq!(
            eval.exception("AC-04/acme/payments/deploy_key/14/write_deploy_key")
                .summary,
            "deploy key `flux-write` (id 14) can write to acme/payments and is not in allowed_write_deploy_keys"
        );
        let row = eval.credentials.iter().find(|c| c.id == "14").unwrap();
        assert_eq!((row.read_only, row.allowed), (Some(false), Some(false)));
    }

    #[test]
    fn secrets_older_than_max_age_are_stale_for_repos_and_orgs() {
        let mut kit = Kit::new();
        kit.access_lists();
        // Snapshot 2026-10-05T09:00Z; 365 days before is 2025-10-05T09:00Z.
        kit.secret("acme/api", "OLD", "2025-10-05T08:59:59Z");
        kit.secret("acme/api", "EDGE", "2025-10-05T09:00:00Z");
        kit.secret("acme", "ORG_OLD", "2024-12-12T09:03:11Z");
        kit.secret("acme", "ORG_NEW", "2026-05-04T08:21:57Z");
        let eval = kit.run();
        assert_eq!(
            eval.kinds("AC-04"),
            [
                ("acme/api/secret/OLD".into(), "stale_secret".into()),
                ("acme/secret/ORG_OLD".into(), "stale_secret".into()),
            ]
        );
        assert_eq!(
            eval.exception("AC-04/acme/secret/ORG_OLD/stale_secret")
                .summary,
            "organisation secret `ORG_OLD` of acme was last set 2024-12-12 (661 days before the snapshot; max_secret_age = 365d)"
        );
        kit.config.access.max_secret_age = crate::config::DurationSpec::parse("700d").unwrap();
        assert_eq!(kit.run().kinds("AC-04"), []);
    }

    #[test]
    fn no_credentials_with_queries_is_not_applicable_and_a_gap_is_not_tested() {
        let mut kit = Kit::new();
        kit.access_lists();
        let r = kit.run().result("AC-04").clone();
        assert_eq!(r.result, ResultKind::NotApplicable);
        kit.gap("deploy_keys", Some("acme/api"));
        kit.secret("acme", "X", "2026-09-01T00:00:00Z");
        let r = kit.run().result("AC-04").clone();
        assert_eq!(r.result, ResultKind::NotTested);
        assert!(
            r.reason
                .unwrap()
                .contains("`deploy_keys` of acme/api could not be collected")
        );
    }
}
