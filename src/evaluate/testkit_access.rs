//! Access builders for the AC-01..AC-05 tests: org members, outside collaborators,
//! repository collaborators, teams, deploy keys, secrets, the HR roster and a previous
//! snapshot, added to a [`Kit`].

use crate::inputs::{
    InputFile, LoadedPrevious, LoadedRoster, PREVIOUS_ACCESS_SCHEMA, PreviousAccess, PreviousOrigin,
};
use crate::model::*;
use crate::roster::Roster;

use super::testkit::{Kit, SOURCE, t};

fn org_query(evidence_type: &str, endpoint: &str, records: u64) -> PopulationQuery {
    PopulationQuery {
        source: SOURCE.into(),
        evidence_type: evidence_type.into(),
        repo: None,
        endpoint: endpoint.into(),
        parameters: "per_page=100".into(),
        pages: 1,
        records,
        total_count: None,
        responses: vec![format!("q-{evidence_type}")],
    }
}

impl Kit {
    /// Records the access queries a collection makes (all returning what the kit holds).
    pub fn access_lists(&mut self) {
        for (evidence_type, endpoint) in [
            ("org_members", "GET /orgs/acme/members"),
            ("two_factor", "GET /orgs/acme/members"),
            (
                "outside_collaborators",
                "GET /orgs/acme/outside_collaborators",
            ),
            ("repo_collaborators", "GET /repos/{repo}/collaborators"),
            ("teams", "GET /orgs/acme/teams"),
            ("deploy_keys", "GET /repos/{repo}/keys"),
            ("secrets", "GET /orgs/acme/actions/secrets"),
        ] {
            self.evidence
                .queries
                .push(org_query(evidence_type, endpoint, 0));
        }
    }

    pub fn member(&mut self, login: &str, role: &str, two_factor: Option<bool>) {
        self.evidence.access.org_members.push(OrgMember {
            source: SOURCE.into(),
            org: "acme".into(),
            login: login.into(),
            kind: ActorKind::User,
            role: role.into(),
            two_factor_enabled: two_factor,
            evidence: vec![format!("sha256:members#/{login}").into()],
        });
    }

    pub fn outside(&mut self, login: &str, two_factor: Option<bool>) {
        self.evidence
            .access
            .outside_collaborators
            .push(OutsideCollaborator {
                source: SOURCE.into(),
                org: "acme".into(),
                login: login.into(),
                two_factor_enabled: two_factor,
                evidence: vec![format!("sha256:outside#/{login}").into()],
            });
    }

    pub fn collaborator(&mut self, repo: &str, login: &str, permission: &str) {
        self.evidence
            .access
            .repo_collaborators
            .push(RepoCollaborator {
                source: SOURCE.into(),
                repo: repo.into(),
                login: login.into(),
                kind: if login.ends_with("[bot]") {
                    ActorKind::Bot
                } else {
                    ActorKind::User
                },
                permission: permission.into(),
                evidence: vec![format!("sha256:collaborators-{repo}#/{login}").into()],
            });
    }

    pub fn team(&mut self, slug: &str, members: &[&str], repos: &[(&str, &str)]) {
        self.evidence.access.teams.push(Team {
            source: SOURCE.into(),
            org: "acme".into(),
            slug: slug.into(),
            name: slug.into(),
            members: members.iter().map(|m| m.to_string()).collect(),
            repos: repos
                .iter()
                .map(|(repo, permission)| TeamRepo {
                    repo: repo.to_string(),
                    permission: permission.to_string(),
                })
                .collect(),
            evidence: vec![format!("sha256:team-{slug}#/").into()],
        });
    }

    pub fn deploy_key(&mut self, repo: &str, id: u64, title: &str, read_only: bool) {
        self.evidence.access.deploy_keys.push(DeployKey {
            source: SOURCE.into(),
            repo: repo.into(),
            id,
            title: title.into(),
            read_only,
            created_at: t("2025-01-10T10:00:00Z"),
            last_used: None,
            evidence: vec![format!("sha256:keys-{repo}#/{id}").into()],
        });
    }

    /// A secret of a repository (`acme/api`) or of the org (`acme`), last set at `updated`.
    pub fn secret(&mut self, owner: &str, name: &str, updated: &str) {
        self.evidence.access.secrets.push(Secret {
            source: SOURCE.into(),
            scope: if owner.contains('/') { "repo" } else { "org" }.into(),
            owner: owner.into(),
            name: name.into(),
            created_at: t("2022-01-01T00:00:00Z"),
            updated_at: t(updated),
            evidence: vec![format!("sha256:secrets-{owner}#/{name}").into()],
        });
    }

    /// Sets the HR roster from CSV rows (the header is added).
    pub fn roster(&mut self, rows: &str) {
        let text = format!("login,email,name,status,termination_date\n{rows}");
        let roster = Roster::parse(text.as_bytes(), "hr.csv").expect("test roster");
        self.inputs.roster = Some(LoadedRoster {
            file: InputFile {
                name: crate::inputs::ROSTER_FILE.into(),
                sha256: crate::util::sha256_hex(text.as_bytes()),
                content: text,
            },
            roster,
        });
    }

    /// Sets the previous snapshot to `access` at 2026-07-06T09:00:00Z.
    pub fn previous(&mut self, access: Access) {
        let snapshot = PreviousAccess {
            schema: PREVIOUS_ACCESS_SCHEMA.into(),
            origin: PreviousOrigin {
                kind: "locker".into(),
                name: "q2-locker".into(),
                evidence_sha256: "ab".repeat(32),
                manifest_sha256: None,
            },
            snapshot_time: t("2026-07-06T09:00:00Z"),
            access,
            gaps: Vec::new(),
        };
        let content = serde_json::to_string_pretty(&snapshot).expect("serializes");
        self.inputs.previous = Some(LoadedPrevious {
            file: InputFile {
                name: crate::inputs::PREVIOUS_FILE.into(),
                sha256: crate::util::sha256_hex(content.as_bytes()),
                content,
            },
            snapshot,
        });
    }
}
