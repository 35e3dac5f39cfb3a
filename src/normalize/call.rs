//! Recognising a recorded request: which documented call it is, for which repository or
//! organisation, with which parameters (the URL forms are fixed in `crate::github`).

use crate::locker::RequestRecord;

/// The API root of a source and the web root derived from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiBase {
    /// `https://api.github.com` or `https://ghe.example.com/api/v3`, no trailing slash.
    pub api_url: String,
    /// `https://github.com` or `https://ghe.example.com`.
    pub web_url: String,
}

impl ApiBase {
    pub fn new(api_url: &str) -> ApiBase {
        let api_url = api_url.trim_end_matches('/').to_string();
        let web_url = web_url_of(&api_url);
        ApiBase { api_url, web_url }
    }

    /// The path and query of `url` relative to the API root, or `None` for a URL elsewhere.
    /// GitHub Enterprise Server serves GraphQL at `/api/graphql` beside the REST root
    /// `/api/v3`; both spellings are accepted.
    fn relative<'u>(&self, url: &'u str) -> Option<&'u str> {
        if let Some(rest) = url.strip_prefix(&self.api_url)
            && (rest.is_empty() || rest.starts_with('/') || rest.starts_with('?'))
        {
            return Some(rest);
        }
        let graphql_root = self.api_url.strip_suffix("/v3")?;
        let rest = url.strip_prefix(graphql_root)?;
        (rest == "/graphql" || rest.starts_with("/graphql?")).then_some(rest)
    }
}

/// `api.github.com` → `github.com`; GHES `https://host/api/v3` → `https://host`.
fn web_url_of(api_url: &str) -> String {
    let (scheme, rest) = api_url.split_once("://").unwrap_or(("https", api_url));
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let path = path.trim_end_matches('/');
    let path = path
        .strip_suffix("api/v3")
        .map(|p| p.trim_end_matches('/'))
        .unwrap_or(path);
    let host = host.strip_prefix("api.").unwrap_or(host);
    if path.is_empty() {
        format!("{scheme}://{host}")
    } else {
        format!("{scheme}://{host}/{path}")
    }
}

/// How organisation member lists are selected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum MemberList {
    /// `role=admin`: the owners.
    Owners,
    /// `role=all` (or no role filter): everyone.
    All,
    /// `filter=2fa_disabled`: accounts without two-factor authentication.
    TwoFactorDisabled,
}

/// A documented call, with the repository / organisation it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    OrgRepos {
        org: String,
    },
    BranchProtection {
        repo: String,
        branch: String,
    },
    BranchRules {
        repo: String,
        branch: String,
    },
    RuleSuites {
        repo: String,
    },
    RulesetHistory {
        repo: String,
        ruleset_id: u64,
    },
    RulesetVersion {
        repo: String,
        ruleset_id: u64,
        version_id: u64,
    },
    AuditLog {
        org: String,
    },
    Deployments {
        repo: String,
    },
    DeploymentStatuses {
        repo: String,
        deployment_id: u64,
    },
    RunApprovals {
        repo: String,
        run_id: u64,
    },
    Environments {
        repo: String,
    },
    OrgMembers {
        org: String,
        list: MemberList,
    },
    OutsideCollaborators {
        org: String,
        two_factor_disabled: bool,
    },
    RepoCollaborators {
        repo: String,
    },
    Teams {
        org: String,
    },
    TeamMembers {
        org: String,
        slug: String,
    },
    TeamRepos {
        org: String,
        slug: String,
    },
    DeployKeys {
        repo: String,
    },
    RepoSecrets {
        repo: String,
    },
    OrgSecrets {
        org: String,
    },
    GraphQl,
}

impl Endpoint {
    /// The evidence type a call contributes to (one of `model::EVIDENCE_TYPES`).
    pub fn evidence_type(&self) -> &'static str {
        match self {
            Endpoint::OrgRepos { .. } => "repositories",
            Endpoint::BranchProtection { .. } => "branch_protection",
            Endpoint::BranchRules { .. } => "rulesets",
            Endpoint::RuleSuites { .. } => "rule_suites",
            Endpoint::RulesetHistory { .. } | Endpoint::RulesetVersion { .. } => "ruleset_history",
            Endpoint::AuditLog { .. } => "audit_log",
            Endpoint::Deployments { .. } => "deployments",
            Endpoint::DeploymentStatuses { .. } => "deployment_statuses",
            Endpoint::RunApprovals { .. } => "deployment_approvals",
            Endpoint::Environments { .. } => "environments",
            Endpoint::OrgMembers {
                list: MemberList::TwoFactorDisabled,
                ..
            } => "two_factor",
            Endpoint::OrgMembers { .. } => "org_members",
            Endpoint::OutsideCollaborators {
                two_factor_disabled: true,
                ..
            } => "two_factor",
            Endpoint::OutsideCollaborators { .. } => "outside_collaborators",
            Endpoint::RepoCollaborators { .. } => "repo_collaborators",
            Endpoint::Teams { .. } | Endpoint::TeamMembers { .. } | Endpoint::TeamRepos { .. } => {
                "teams"
            }
            Endpoint::DeployKeys { .. } => "deploy_keys",
            Endpoint::RepoSecrets { .. } | Endpoint::OrgSecrets { .. } => "secrets",
            // Resolved per operation by the GraphQL dispatcher.
            Endpoint::GraphQl => "graphql",
        }
    }

    /// The repository a repository-scoped call concerns (`None` for organisation calls).
    pub fn repo(&self) -> Option<&str> {
        match self {
            Endpoint::BranchProtection { repo, .. }
            | Endpoint::BranchRules { repo, .. }
            | Endpoint::RuleSuites { repo }
            | Endpoint::RulesetHistory { repo, .. }
            | Endpoint::RulesetVersion { repo, .. }
            | Endpoint::Deployments { repo }
            | Endpoint::DeploymentStatuses { repo, .. }
            | Endpoint::RunApprovals { repo, .. }
            | Endpoint::Environments { repo }
            | Endpoint::RepoCollaborators { repo }
            | Endpoint::DeployKeys { repo }
            | Endpoint::RepoSecrets { repo } => Some(repo),
            _ => None,
        }
    }
}

/// A recorded request recognised as a documented call.
#[derive(Debug, Clone)]
pub struct Call<'r> {
    pub record: &'r RequestRecord,
    pub endpoint: Endpoint,
    /// Path relative to the API root, as recorded (still percent-encoded).
    pub path: String,
    /// The query string as recorded, without the `page` parameter.
    pub parameters: String,
}

impl<'r> Call<'r> {
    /// Recognises `record`; `None` when it is not a call the normalizer reads.
    pub fn recognise(record: &'r RequestRecord, base: &ApiBase) -> Option<Call<'r>> {
        let relative = base.relative(&record.url)?;
        let (path, raw_query) = relative.split_once('?').unwrap_or((relative, ""));
        let path = path.trim_end_matches('/');
        let query = parse_query(raw_query);
        let segments: Vec<String> = path
            .split('/')
            .skip(1)
            .map(percent_decode)
            .collect::<Vec<_>>();
        let endpoint = route(&record.method, &segments, &query)?;
        let parameters = raw_query
            .split('&')
            .filter(|pair| !pair.is_empty() && pair.split('=').next() != Some("page"))
            .collect::<Vec<_>>()
            .join("&");
        Some(Call {
            record,
            endpoint,
            path: path.to_string(),
            parameters,
        })
    }

    /// `GET /repos/acme/api/deployments`: how errors and IPE records name the call.
    pub fn label(&self) -> String {
        format!("{} {}", self.record.method, self.path)
    }
}

fn route(method: &str, s: &[String], query: &[(String, String)]) -> Option<Endpoint> {
    let param = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let seg: Vec<&str> = s.iter().map(String::as_str).collect();
    if method.eq_ignore_ascii_case("POST") {
        return (seg == ["graphql"]).then_some(Endpoint::GraphQl);
    }
    if !method.eq_ignore_ascii_case("GET") {
        return None;
    }
    let endpoint = match seg.as_slice() {
        ["orgs", org, "repos"] => Endpoint::OrgRepos {
            org: org.to_string(),
        },
        ["orgs", org, "audit-log"] => Endpoint::AuditLog {
            org: org.to_string(),
        },
        ["orgs", org, "members"] => {
            let list = if param("filter") == Some("2fa_disabled") {
                MemberList::TwoFactorDisabled
            } else if param("role") == Some("admin") {
                MemberList::Owners
            } else {
                MemberList::All
            };
            Endpoint::OrgMembers {
                org: org.to_string(),
                list,
            }
        }
        ["orgs", org, "outside_collaborators"] => Endpoint::OutsideCollaborators {
            org: org.to_string(),
            two_factor_disabled: param("filter") == Some("2fa_disabled"),
        },
        ["orgs", org, "teams"] => Endpoint::Teams {
            org: org.to_string(),
        },
        ["orgs", org, "teams", slug, "members"] => Endpoint::TeamMembers {
            org: org.to_string(),
            slug: slug.to_string(),
        },
        ["orgs", org, "teams", slug, "repos"] => Endpoint::TeamRepos {
            org: org.to_string(),
            slug: slug.to_string(),
        },
        ["orgs", org, "actions", "secrets"] => Endpoint::OrgSecrets {
            org: org.to_string(),
        },
        // An organisation ruleset's history: its versions name the organisation where a
        // repository ruleset's name the repository.
        ["orgs", org, "rulesets", id, "history"] => Endpoint::RulesetHistory {
            repo: org.to_string(),
            ruleset_id: id.parse().ok()?,
        },
        ["orgs", org, "rulesets", id, "history", version] => Endpoint::RulesetVersion {
            repo: org.to_string(),
            ruleset_id: id.parse().ok()?,
            version_id: version.parse().ok()?,
        },
        ["repos", owner, name, rest @ ..] => {
            let repo = format!("{owner}/{name}");
            repo_route(repo, rest)?
        }
        _ => return None,
    };
    Some(endpoint)
}

fn repo_route(repo: String, rest: &[&str]) -> Option<Endpoint> {
    let endpoint = match rest {
        // Branch names are percent-encoded into one segment; a collector that left the
        // slashes of `release/2.0` unencoded still names the same branch.
        ["branches", branch @ .., "protection"] if !branch.is_empty() => {
            Endpoint::BranchProtection {
                repo,
                branch: branch.join("/"),
            }
        }
        ["rules", "branches", branch @ ..] if !branch.is_empty() => Endpoint::BranchRules {
            repo,
            branch: branch.join("/"),
        },
        ["rulesets", "rule-suites"] => Endpoint::RuleSuites { repo },
        ["rulesets", id, "history"] => Endpoint::RulesetHistory {
            repo,
            ruleset_id: id.parse().ok()?,
        },
        ["rulesets", id, "history", version] => Endpoint::RulesetVersion {
            repo,
            ruleset_id: id.parse().ok()?,
            version_id: version.parse().ok()?,
        },
        ["deployments"] => Endpoint::Deployments { repo },
        ["deployments", id, "statuses"] => Endpoint::DeploymentStatuses {
            repo,
            deployment_id: id.parse().ok()?,
        },
        ["actions", "runs", id, "approvals"] => Endpoint::RunApprovals {
            repo,
            run_id: id.parse().ok()?,
        },
        ["environments"] => Endpoint::Environments { repo },
        ["collaborators"] => Endpoint::RepoCollaborators { repo },
        ["keys"] => Endpoint::DeployKeys { repo },
        ["actions", "secrets"] => Endpoint::RepoSecrets { repo },
        _ => return None,
    };
    Some(endpoint)
}

fn parse_query(raw: &str) -> Vec<(String, String)> {
    raw.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (
                percent_decode(&k.replace('+', " ")),
                percent_decode(&v.replace('+', " ")),
            )
        })
        .collect()
}

/// Decodes `%XX` escapes; malformed escapes are kept as written.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let (Some(h), Some(l)) = (
                bytes.get(i + 1).and_then(|b| (*b as char).to_digit(16)),
                bytes.get(i + 2).and_then(|b| (*b as char).to_digit(16)),
            )
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::locker::RequestRecord;

    fn record(method: &str, url: &str) -> RequestRecord {
        RequestRecord {
            seq: 1,
            source: "github-acme".into(),
            method: method.into(),
            url: url.into(),
            request_sha256: None,
            status: 200,
            time: "2026-10-05T09:00:00Z".parse().unwrap(),
            response_sha256: "0".repeat(64),
            response_bytes: 0,
            headers: Default::default(),
            reused: None,
        }
    }

    #[test]
    fn web_url_is_derived_from_the_api_url() {
        assert_eq!(
            ApiBase::new("https://api.github.com").web_url,
            "https://github.com"
        );
        assert_eq!(
            ApiBase::new("https://ghe.example.com/api/v3/").web_url,
            "https://ghe.example.com"
        );
        assert_eq!(
            ApiBase::new("http://localhost:8080").web_url,
            "http://localhost:8080"
        );
    }

    #[test]
    fn recognises_every_documented_rest_call() {
        let base = ApiBase::new("https://api.github.com");
        let cases: Vec<(&str, Endpoint)> = vec![
            (
                "/orgs/acme/repos?type=all&per_page=100",
                Endpoint::OrgRepos { org: "acme".into() },
            ),
            (
                "/repos/acme/api/branches/release%2F2.0/protection",
                Endpoint::BranchProtection {
                    repo: "acme/api".into(),
                    branch: "release/2.0".into(),
                },
            ),
            (
                "/repos/acme/api/rules/branches/main?per_page=100",
                Endpoint::BranchRules {
                    repo: "acme/api".into(),
                    branch: "main".into(),
                },
            ),
            (
                "/repos/acme/api/rulesets/rule-suites?ref=refs%2Fheads%2Fmain&time_period=month&per_page=100",
                Endpoint::RuleSuites {
                    repo: "acme/api".into(),
                },
            ),
            (
                "/orgs/acme/audit-log?phrase=action%3Aprotected_branch.policy_override&per_page=100",
                Endpoint::AuditLog { org: "acme".into() },
            ),
            (
                "/orgs/acme/audit-log?phrase=action%3Arepository_ruleset%20created%3A%3E%3D2026-06-30&per_page=100",
                Endpoint::AuditLog { org: "acme".into() },
            ),
            (
                "/repos/acme/api/rulesets/42/history?per_page=100",
                Endpoint::RulesetHistory {
                    repo: "acme/api".into(),
                    ruleset_id: 42,
                },
            ),
            (
                "/repos/acme/api/rulesets/42/history/3",
                Endpoint::RulesetVersion {
                    repo: "acme/api".into(),
                    ruleset_id: 42,
                    version_id: 3,
                },
            ),
            (
                "/repos/acme/api/deployments?per_page=100",
                Endpoint::Deployments {
                    repo: "acme/api".into(),
                },
            ),
            (
                "/repos/acme/api/deployments/42/statuses?per_page=100",
                Endpoint::DeploymentStatuses {
                    repo: "acme/api".into(),
                    deployment_id: 42,
                },
            ),
            (
                "/repos/acme/api/actions/runs/7/approvals",
                Endpoint::RunApprovals {
                    repo: "acme/api".into(),
                    run_id: 7,
                },
            ),
            (
                "/orgs/acme/members?role=admin&per_page=100",
                Endpoint::OrgMembers {
                    org: "acme".into(),
                    list: MemberList::Owners,
                },
            ),
            (
                "/orgs/acme/members?role=all&per_page=100&page=2",
                Endpoint::OrgMembers {
                    org: "acme".into(),
                    list: MemberList::All,
                },
            ),
            (
                "/orgs/acme/members?filter=2fa_disabled&per_page=100",
                Endpoint::OrgMembers {
                    org: "acme".into(),
                    list: MemberList::TwoFactorDisabled,
                },
            ),
            (
                "/orgs/acme/outside_collaborators?filter=2fa_disabled&per_page=100",
                Endpoint::OutsideCollaborators {
                    org: "acme".into(),
                    two_factor_disabled: true,
                },
            ),
            (
                "/orgs/acme/outside_collaborators?per_page=100",
                Endpoint::OutsideCollaborators {
                    org: "acme".into(),
                    two_factor_disabled: false,
                },
            ),
            (
                "/repos/acme/api/collaborators?affiliation=direct&per_page=100",
                Endpoint::RepoCollaborators {
                    repo: "acme/api".into(),
                },
            ),
            (
                "/orgs/acme/teams?per_page=100",
                Endpoint::Teams { org: "acme".into() },
            ),
            (
                "/orgs/acme/teams/core/members?per_page=100",
                Endpoint::TeamMembers {
                    org: "acme".into(),
                    slug: "core".into(),
                },
            ),
            (
                "/orgs/acme/teams/core/repos?per_page=100",
                Endpoint::TeamRepos {
                    org: "acme".into(),
                    slug: "core".into(),
                },
            ),
            (
                "/repos/acme/api/keys?per_page=100",
                Endpoint::DeployKeys {
                    repo: "acme/api".into(),
                },
            ),
            (
                "/repos/acme/api/actions/secrets?per_page=100",
                Endpoint::RepoSecrets {
                    repo: "acme/api".into(),
                },
            ),
            (
                "/orgs/acme/actions/secrets?per_page=100",
                Endpoint::OrgSecrets { org: "acme".into() },
            ),
        ];
        for (path, expected) in cases {
            let url = format!("https://api.github.com{path}");
            let rec = record("GET", &url);
            let call = Call::recognise(&rec, &base).unwrap_or_else(|| panic!("{url}"));
            assert_eq!(call.endpoint, expected, "{url}");
        }
    }

    #[test]
    fn parameters_drop_the_page_and_labels_name_the_path() {
        let base = ApiBase::new("https://ghe.example.com/api/v3");
        let rec = record(
            "GET",
            "https://ghe.example.com/api/v3/orgs/acme/members?role=all&per_page=100&page=3",
        );
        let call = Call::recognise(&rec, &base).unwrap();
        assert_eq!(call.label(), "GET /orgs/acme/members");
        assert_eq!(call.parameters, "role=all&per_page=100");
    }

    #[test]
    fn graphql_on_ghes_and_unknown_calls() {
        let base = ApiBase::new("https://ghe.example.com/api/v3");
        let gql = record("POST", "https://ghe.example.com/api/graphql");
        assert_eq!(
            Call::recognise(&gql, &base).unwrap().endpoint,
            Endpoint::GraphQl
        );
        let other = record(
            "GET",
            "https://ghe.example.com/api/v3/repos/acme/api/pulls/1/reviews",
        );
        assert!(Call::recognise(&other, &base).is_none());
        let elsewhere = record("GET", "https://example.com/orgs/acme/repos");
        assert!(Call::recognise(&elsewhere, &base).is_none());
        let prefix_only = record("GET", "https://ghe.example.com/api/v3x/orgs/acme/repos");
        assert!(Call::recognise(&prefix_only, &base).is_none());
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("release%2F2.0"), "release/2.0");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%41"), "%zzA");
    }
}
