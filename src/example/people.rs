//! The people and machine accounts of the example organisation `acme`, and the git
//! identities they commit with.
//!
//! The table is fixed (not drawn from the seed) so that names, logins and ids are stable
//! across seeds and sizes: documentation and tests can name them.

/// Index of an account in [`People::accounts`].
pub type Acct = usize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    User,
    Bot,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrgRole {
    Owner,
    Member,
    /// Outside collaborator: repository access without org membership.
    Outside,
    /// Not in the organisation at all (GitHub's own accounts, apps).
    None,
}

/// Which email an account's commits carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitEmail {
    /// A verified work address, which GitHub links to the account.
    Work(&'static str),
    /// GitHub's private address `ID+login@users.noreply.github.com`.
    Noreply,
    /// Not a committer (service accounts).
    Nothing,
}

#[derive(Debug, Clone)]
pub struct Account {
    /// The login as REST returns it (`dependabot[bot]` for apps).
    pub login: String,
    /// The login as GraphQL returns it: GitHub Apps' bot accounts lose the `[bot]` suffix.
    pub graphql_login: String,
    pub name: String,
    pub id: u64,
    pub kind: Kind,
    pub email: CommitEmail,
    /// The commit timezone, minutes east of UTC (summer time: the window is Q3).
    pub utc_offset_min: i32,
    pub role: OrgRole,
    pub two_factor: bool,
}

impl Account {
    /// `MDQ6VXNlcjE=`-style legacy node id (`04:User1`, base64).
    pub fn node_id(&self) -> String {
        let kind = match self.kind {
            Kind::User => "User",
            Kind::Bot => "Bot",
        };
        let tag = if self.kind == Kind::Bot { "03" } else { "04" };
        base64(format!("{tag}:{kind}{}", self.id).as_bytes())
    }

    pub fn typename(&self) -> &'static str {
        match self.kind {
            Kind::User => "User",
            Kind::Bot => "Bot",
        }
    }

    pub fn noreply_email(&self) -> String {
        format!("{}+{}@users.noreply.github.com", self.id, self.login)
    }

    /// The identity this account's own commits carry.
    pub fn git_identity(&self) -> GitId {
        match self.email {
            CommitEmail::Work(email) => GitId {
                name: self.name.clone(),
                email: email.to_string(),
                login: Some(self.graphql_login.clone()),
            },
            CommitEmail::Noreply | CommitEmail::Nothing => GitId {
                name: self.name.clone(),
                email: self.noreply_email(),
                // GitActor.user is a User: commits by apps resolve to no user.
                login: (self.kind == Kind::User).then(|| self.graphql_login.clone()),
            },
        }
    }
}

/// A git identity (author or committer of a commit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitId {
    pub name: String,
    pub email: String,
    /// The GitHub user GitHub links the email to, if any.
    pub login: Option<String>,
}

impl GitId {
    /// GitHub's web-flow committer of commits made through the web UI and merges.
    pub fn web_flow() -> GitId {
        GitId {
            name: "GitHub".into(),
            email: "noreply@github.com".into(),
            login: Some("web-flow".into()),
        }
    }
}

/// Teams of the organisation (slugs).
pub const PLATFORM: &str = "platform";
pub const BACKEND: &str = "backend";
pub const FRONTEND: &str = "frontend";

struct Row {
    login: &'static str,
    name: &'static str,
    id: u64,
    email: CommitEmail,
    offset: i32,
    role: OrgRole,
    two_factor: bool,
    team: &'static str,
}

const fn person(
    login: &'static str,
    name: &'static str,
    id: u64,
    email: CommitEmail,
    offset: i32,
    team: &'static str,
) -> Row {
    Row {
        login,
        name,
        id,
        email,
        offset,
        role: OrgRole::Member,
        two_factor: true,
        team,
    }
}

use CommitEmail::{Noreply, Work};

const PEOPLE: &[Row] = &[
    Row {
        role: OrgRole::Owner,
        ..person(
            "zoe-lukasiewicz",
            "Zoë Łukasiewicz",
            8_123_451,
            Work("zoe.lukasiewicz@acme.io"),
            120,
            PLATFORM,
        )
    },
    person("jnunez", "José Núñez", 15_672_309, Noreply, 120, BACKEND),
    Row {
        role: OrgRole::Owner,
        ..person(
            "soren-ostergaard",
            "Søren Østergaard",
            3_345_872,
            Work("soren.ostergaard@acme.io"),
            120,
            PLATFORM,
        )
    },
    person(
        "aikotanaka",
        "Aiko Tanaka",
        27_650_932,
        Work("aiko.tanaka@acme.io"),
        540,
        FRONTEND,
    ),
    person(
        "priya-raghunathan",
        "Priya Raghunathan",
        41_236_718,
        Work("priya.raghunathan@acme.io"),
        330,
        BACKEND,
    ),
    Row {
        role: OrgRole::Owner,
        ..person(
            "mwebb",
            "Marcus Webb",
            1_894_562,
            Work("marcus.webb@acme.io"),
            -240,
            BACKEND,
        )
    },
    person(
        "fatima-alsayed",
        "Fatima Al-Sayed",
        36_221_047,
        Noreply,
        60,
        BACKEND,
    ),
    person(
        "chenwei",
        "Wei Chen",
        22_904_516,
        Work("wei.chen@acme.io"),
        -420,
        FRONTEND,
    ),
    person(
        "obrennan",
        "Olivia Brennan",
        9_817_345,
        Work("olivia.brennan@acme.io"),
        60,
        FRONTEND,
    ),
    person(
        "kmensah",
        "Kwame Mensah",
        31_562_209,
        Work("kwame.mensah@acme.io"),
        0,
        BACKEND,
    ),
    person(
        "ihalvorsen",
        "Ingrid Halvorsen",
        12_983_470,
        Work("ingrid.halvorsen@acme.io"),
        120,
        PLATFORM,
    ),
    person(
        "dvolkov",
        "Dmitri Volkov",
        6_623_190,
        Noreply,
        120,
        PLATFORM,
    ),
    person(
        "lucia-fernandez",
        "Lucía Fernández",
        45_123_987,
        Work("lucia.fernandez@acme.io"),
        -180,
        FRONTEND,
    ),
    person(
        "hschaefer",
        "Hannah Schäfer",
        28_734_561,
        Work("hannah.schaefer@acme.io"),
        120,
        FRONTEND,
    ),
    person(
        "rpatel",
        "Raj Patel",
        17_345_902,
        Work("raj.patel@acme.io"),
        -240,
        BACKEND,
    ),
    person(
        "enakamura",
        "Emily Nakamura",
        38_812_045,
        Noreply,
        -420,
        FRONTEND,
    ),
    person(
        "bjorn-eriksson",
        "Björn Eriksson",
        20_456_193,
        Work("bjorn.eriksson@acme.io"),
        120,
        PLATFORM,
    ),
    person(
        "nhaddad",
        "Nadia Haddad",
        33_671_284,
        Work("nadia.haddad@acme.io"),
        -240,
        BACKEND,
    ),
    person("sokafor", "Samuel Okafor", 44_210_376, Noreply, 60, BACKEND),
    person(
        "GraceLiu",
        "Grace Liu",
        25_519_087,
        Work("grace.liu@acme.io"),
        -240,
        BACKEND,
    ),
    Row {
        two_factor: false,
        ..person(
            "tomas-obriain",
            "Tomás Ó Briain",
            39_987_123,
            Work("tomas.obriain@acme.io"),
            60,
            FRONTEND,
        )
    },
    person(
        "amelie-dubois",
        "Amélie Dubois",
        47_612_398,
        Work("amelie.dubois@acme.io"),
        120,
        FRONTEND,
    ),
    person(
        "mkowalczyk",
        "Marta Kowalczyk",
        30_128_745,
        Noreply,
        120,
        PLATFORM,
    ),
    Row {
        two_factor: false,
        ..person(
            "daniel-levi",
            "Daniel Levi",
            42_318_876,
            Work("daniel.levi@acme.io"),
            180,
            BACKEND,
        )
    },
    person(
        "sarah-oconnor",
        "Sarah O'Connor",
        34_409_812,
        Work("sarah.oconnor@acme.io"),
        -240,
        FRONTEND,
    ),
    // Outside collaborators (design agency, contractor): access to acme/web only.
    Row {
        role: OrgRole::Outside,
        ..person(
            "jlee-agency",
            "Jason Lee",
            51_234_987,
            Work("jason@northwind-studio.example"),
            -420,
            "",
        )
    },
    Row {
        role: OrgRole::Outside,
        ..person(
            "lena-fischer-design",
            "Lena Fischer",
            52_876_123,
            Noreply,
            120,
            "",
        )
    },
];

/// The organisation's people and machine accounts.
#[derive(Debug, Clone)]
pub struct People {
    pub accounts: Vec<Account>,
    teams: Vec<(Acct, &'static str)>,
    pub github_actions: Acct,
    pub dependabot: Acct,
    pub renovate: Acct,
}

impl People {
    pub fn new() -> People {
        let mut accounts = Vec::new();
        let mut teams = Vec::new();
        for row in PEOPLE {
            if !row.team.is_empty() {
                teams.push((accounts.len(), row.team));
            }
            accounts.push(Account {
                login: row.login.into(),
                graphql_login: row.login.into(),
                name: row.name.into(),
                id: row.id,
                kind: Kind::User,
                email: row.email,
                utc_offset_min: row.offset,
                role: row.role,
                two_factor: row.two_factor,
            });
        }
        let mut add = |login: &str, graphql: &str, name: &str, id: u64, kind, role| {
            accounts.push(Account {
                login: login.into(),
                graphql_login: graphql.into(),
                name: name.into(),
                id,
                kind,
                email: if kind == Kind::Bot {
                    CommitEmail::Noreply
                } else {
                    CommitEmail::Nothing
                },
                utc_offset_min: 0,
                role,
                two_factor: true,
            });
            accounts.len() - 1
        };
        // GitHub's web-flow committer account, named in commits as `GitId::web_flow`.
        add(
            "web-flow",
            "web-flow",
            "GitHub",
            19_864_447,
            Kind::User,
            OrgRole::None,
        );
        let github_actions = add(
            "github-actions[bot]",
            "github-actions",
            "github-actions[bot]",
            41_898_282,
            Kind::Bot,
            OrgRole::None,
        );
        let dependabot = add(
            "dependabot[bot]",
            "dependabot",
            "dependabot[bot]",
            49_699_333,
            Kind::Bot,
            OrgRole::None,
        );
        let renovate = add(
            "renovate[bot]",
            "renovate",
            "renovate[bot]",
            29_139_614,
            Kind::Bot,
            OrgRole::None,
        );
        // A User account driven by CI automation, listed in the config's `bots`.
        add(
            "acme-ci",
            "acme-ci",
            "Acme CI",
            61_204_518,
            Kind::User,
            OrgRole::Member,
        );
        // The deployment service account (`[access].service_accounts`).
        add(
            "acme-deploy-bot",
            "acme-deploy-bot",
            "Acme Deploy Bot",
            61_877_302,
            Kind::User,
            OrgRole::Member,
        );
        // A backend engineer who left in August: an org member in the previous quarter's
        // access lists only (AC-05), terminated in the HR roster.
        add(
            "rgarcia",
            "rgarcia",
            "Rosa García",
            36_640_281,
            Kind::User,
            OrgRole::None,
        );
        People {
            accounts,
            teams,
            github_actions,
            dependabot,
            renovate,
        }
    }

    pub fn get(&self, a: Acct) -> &Account {
        &self.accounts[a]
    }

    /// The account with this REST login (exact).
    pub fn by_login(&self, login: &str) -> Acct {
        self.accounts
            .iter()
            .position(|a| a.login == login)
            .unwrap_or_else(|| panic!("the example organisation has no account `{login}`"))
    }

    /// Members of a team, in table order.
    pub fn team(&self, slug: &str) -> Vec<Acct> {
        self.teams
            .iter()
            .filter(|(_, t)| *t == slug)
            .map(|(a, _)| *a)
            .collect()
    }

    pub fn owners(&self) -> Vec<Acct> {
        self.with_role(OrgRole::Owner)
    }

    /// Org members (owners included), people first, then service accounts.
    pub fn members(&self) -> Vec<Acct> {
        (0..self.accounts.len())
            .filter(|a| matches!(self.accounts[*a].role, OrgRole::Owner | OrgRole::Member))
            .collect()
    }

    pub fn outside_collaborators(&self) -> Vec<Acct> {
        self.with_role(OrgRole::Outside)
    }

    fn with_role(&self, role: OrgRole) -> Vec<Acct> {
        (0..self.accounts.len())
            .filter(|a| self.accounts[*a].role == role)
            .collect()
    }
}

impl Default for People {
    fn default() -> Self {
        People::new()
    }
}

/// Standard base64 with padding (GitHub node ids and cursors).
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 0x3f) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_github_node_ids() {
        assert_eq!(base64(b"04:User1"), "MDQ6VXNlcjE=");
        assert_eq!(base64(b"cursor:100"), "Y3Vyc29yOjEwMA==");
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"ab"), "YWI=");
    }

    #[test]
    fn table_is_consistent() {
        let people = People::new();
        let mut logins: Vec<String> = people
            .accounts
            .iter()
            .map(|a| a.login.to_ascii_lowercase())
            .collect();
        logins.sort();
        logins.dedup();
        assert_eq!(logins.len(), people.accounts.len(), "logins are unique");
        assert_eq!(people.owners().len(), 3);
        assert!(people.accounts.iter().any(|a| a.name == "Zoë Łukasiewicz"));
        assert_eq!(
            people.accounts.iter().filter(|a| !a.two_factor).count(),
            2,
            "two members without 2FA"
        );
        assert_eq!(people.outside_collaborators().len(), 2);
        let humans = people
            .members()
            .iter()
            .filter(|a| people.get(**a).email != CommitEmail::Nothing)
            .count();
        assert_eq!(humans, 25);
        assert_eq!(people.get(people.dependabot).graphql_login, "dependabot");
        assert_eq!(people.get(people.dependabot).git_identity().login, None);
    }
}
