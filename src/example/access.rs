//! Access at the snapshot: teams, direct repository collaborators, deploy keys and
//! Actions secrets. Fixed, like the people table.
//!
//! The access controls' planted cases and tricky records, the HR roster and the previous
//! quarter's access lists are in `scenarios_access`, which builds on this plan.

use super::activity::Gen;
use super::people::{BACKEND, FRONTEND, PLATFORM};
use super::world::{AccessPlan, DeployKey, SecretPlan, TeamPlan};

pub fn build(g: &Gen) -> AccessPlan {
    let repo = |name: &str| g.repo(name);
    let who = |login: &str| g.who(login);
    let team_members = |slug: &str, maintainers: &[&str]| {
        g.people
            .team(slug)
            .into_iter()
            .map(|a| {
                let role = if maintainers.contains(&g.people.get(a).login.as_str()) {
                    "maintainer"
                } else {
                    "member"
                };
                (a, role)
            })
            .collect::<Vec<_>>()
    };
    let teams = vec![
        TeamPlan {
            id: 5_120_331,
            slug: PLATFORM,
            name: "Platform",
            description: "Cloud infrastructure, CI/CD and developer tooling",
            members: team_members(PLATFORM, &["soren-ostergaard"]),
            repos: vec![(repo("infra"), "admin"), (repo("api"), "maintain")],
        },
        TeamPlan {
            id: 5_120_348,
            slug: BACKEND,
            name: "Backend",
            description: "Order, customer and payment services",
            members: team_members(BACKEND, &["mwebb"]),
            repos: vec![(repo("api"), "write"), (repo("payments"), "write")],
        },
        TeamPlan {
            id: 5_120_377,
            slug: FRONTEND,
            name: "Frontend",
            description: "Storefront, dashboard and mobile apps",
            members: team_members(FRONTEND, &["obrennan"]),
            repos: vec![(repo("web"), "write"), (repo("mobile-app"), "write")],
        },
    ];
    let collaborators = vec![
        (repo("api"), who("mwebb"), "admin"),
        (repo("api"), who("acme-ci"), "write"),
        (repo("api"), who("acme-deploy-bot"), "write"),
        (repo("infra"), who("soren-ostergaard"), "admin"),
        (repo("infra"), who("dvolkov"), "admin"),
        (repo("infra"), who("acme-ci"), "write"),
        (repo("infra"), who("acme-deploy-bot"), "write"),
        (repo("mobile-app"), who("enakamura"), "maintain"),
        (repo("mobile-app"), who("acme-ci"), "write"),
        (repo("payments"), who("mwebb"), "admin"),
        (repo("payments"), who("kmensah"), "maintain"),
        (repo("payments"), who("acme-deploy-bot"), "write"),
        (repo("web"), who("obrennan"), "admin"),
        (repo("web"), who("jlee-agency"), "write"),
        (repo("web"), who("lena-fischer-design"), "read"),
        (repo("web"), who("acme-ci"), "write"),
        (repo("web"), who("acme-deploy-bot"), "write"),
    ];
    let deploy_keys = vec![
        DeployKey {
            repo: repo("api"),
            id: 98_114_503,
            title: "argocd-readonly",
            read_only: true,
            added_by: who("soren-ostergaard"),
            created_at: "2024-02-12T10:41:09Z",
            last_used: Some("2026-10-05T08:47:31Z"),
        },
        DeployKey {
            repo: repo("infra"),
            id: 91_220_877,
            title: "flux-gitops-write",
            read_only: false,
            added_by: who("soren-ostergaard"),
            created_at: "2023-11-03T14:02:55Z",
            last_used: Some("2026-10-05T08:52:10Z"),
        },
        DeployKey {
            repo: repo("payments"),
            id: 99_305_112,
            title: "release-tagger",
            read_only: false,
            added_by: who("mwebb"),
            created_at: "2026-08-21T15:30:44Z",
            last_used: Some("2026-09-30T17:02:13Z"),
        },
    ];
    let secret = |name, created_at, updated_at| SecretPlan {
        name,
        created_at,
        updated_at,
        visibility: None,
    };
    let repo_secrets = vec![
        (
            repo("api"),
            secret(
                "CODECOV_TOKEN",
                "2024-03-02T09:15:40Z",
                "2026-03-15T11:20:03Z",
            ),
        ),
        (
            repo("api"),
            secret(
                "PARTNER_SANDBOX_KEY",
                "2025-12-01T16:48:22Z",
                "2026-06-30T08:05:51Z",
            ),
        ),
        (
            repo("api"),
            secret(
                "SENTRY_AUTH_TOKEN",
                "2023-06-10T12:00:18Z",
                "2024-08-19T07:31:46Z",
            ),
        ),
        (
            repo("infra"),
            secret(
                "FLUX_GITHUB_TOKEN",
                "2023-01-15T13:37:02Z",
                "2025-10-06T10:12:29Z",
            ),
        ),
        (
            repo("infra"),
            secret(
                "TF_API_TOKEN",
                "2022-11-07T08:59:13Z",
                "2025-11-20T15:44:38Z",
            ),
        ),
        (
            repo("mobile-app"),
            secret(
                "APP_STORE_CONNECT_KEY",
                "2023-05-22T10:03:27Z",
                "2026-01-11T09:26:44Z",
            ),
        ),
        (
            repo("mobile-app"),
            secret(
                "GOOGLE_PLAY_SERVICE_ACCOUNT",
                "2023-05-22T10:05:51Z",
                "2026-03-30T14:18:09Z",
            ),
        ),
        (
            repo("payments"),
            secret(
                "ADYEN_API_KEY_TEST",
                "2024-01-08T11:22:33Z",
                "2026-07-02T09:40:12Z",
            ),
        ),
        (
            repo("payments"),
            secret("SNYK_TOKEN", "2024-04-17T15:05:26Z", "2026-04-17T15:09:54Z"),
        ),
        (
            repo("web"),
            secret(
                "SENTRY_AUTH_TOKEN",
                "2023-06-10T12:02:47Z",
                "2026-06-01T18:30:15Z",
            ),
        ),
        (
            repo("web"),
            secret(
                "VERCEL_TOKEN",
                "2022-03-14T17:45:00Z",
                "2026-02-27T13:12:36Z",
            ),
        ),
    ];
    let org_secrets = vec![
        SecretPlan {
            name: "DOCKERHUB_TOKEN",
            created_at: "2021-11-02T10:17:48Z",
            updated_at: "2024-12-12T09:03:11Z",
            visibility: Some("private"),
        },
        SecretPlan {
            name: "NPM_TOKEN",
            created_at: "2022-01-20T14:30:05Z",
            updated_at: "2026-05-04T08:21:57Z",
            visibility: Some("all"),
        },
        SecretPlan {
            name: "SLACK_WEBHOOK_DEPLOYS",
            created_at: "2023-08-09T12:11:40Z",
            updated_at: "2026-08-09T12:14:02Z",
            visibility: Some("selected"),
        },
    ];
    AccessPlan {
        teams,
        collaborators,
        deploy_keys,
        repo_secrets,
        org_secrets,
        ..AccessPlan::default()
    }
}
