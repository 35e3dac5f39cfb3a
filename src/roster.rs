//! The HR roster (AC-02): a CSV export of the people the organisation employs or
//! contracts, joined against the accounts that have access.
//!
//! Schema (docs/configuration.md): a header naming exactly the columns `login`, `email`,
//! `name`, `status`, `termination_date` (any order, case-insensitive), then one row per
//! person. Each row needs a `login` or an `email`; `status` is `active`, `leave`,
//! `contractor` or `terminated`; `termination_date` is `YYYY-MM-DD`, required with
//! `terminated` and refused with any other status. Logins and emails are unique
//! (case-insensitive). Errors name the file, the line and the column (the field's
//! 1-based position in the header) and say what to fix; parsing never panics.

use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The columns of the roster, in the documented order.
pub const COLUMNS: [&str; 5] = ["login", "email", "name", "status", "termination_date"];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}:{line}:{column}: {message}")]
pub struct RosterError {
    pub path: String,
    /// 1-based line of the file.
    pub line: usize,
    /// 1-based position of the field in the row (0: the whole line).
    pub column: usize,
    pub message: String,
}

/// Employment status of a roster row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RosterStatus {
    Active,
    /// On leave: still employed, access may stay.
    Leave,
    /// A current non-employee (agency, contractor) the organisation vouches for.
    Contractor,
    Terminated,
}

impl RosterStatus {
    pub const NAMES: [&'static str; 4] = ["active", "leave", "contractor", "terminated"];

    pub fn as_str(self) -> &'static str {
        match self {
            RosterStatus::Active => "active",
            RosterStatus::Leave => "leave",
            RosterStatus::Contractor => "contractor",
            RosterStatus::Terminated => "terminated",
        }
    }

    fn parse(text: &str) -> Option<RosterStatus> {
        Some(match text.to_ascii_lowercase().as_str() {
            "active" => RosterStatus::Active,
            "leave" => RosterStatus::Leave,
            "contractor" => RosterStatus::Contractor,
            "terminated" => RosterStatus::Terminated,
            _ => return None,
        })
    }
}

impl fmt::Display for RosterStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One person of the roster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterRow {
    /// 1-based line in the file, for references in findings.
    pub line: usize,
    pub login: Option<String>,
    pub email: Option<String>,
    pub name: String,
    pub status: RosterStatus,
    pub termination_date: Option<NaiveDate>,
}

/// A parsed roster with lookups by login and email (both case-insensitive).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Roster {
    pub rows: Vec<RosterRow>,
    by_login: BTreeMap<String, usize>,
    by_email: BTreeMap<String, usize>,
}

impl Roster {
    /// The row whose login is `login` (case-insensitive).
    pub fn by_login(&self, login: &str) -> Option<&RosterRow> {
        self.by_login
            .get(&login.to_ascii_lowercase())
            .map(|&i| &self.rows[i])
    }

    /// The row whose email is `email` (case-insensitive).
    pub fn by_email(&self, email: &str) -> Option<&RosterRow> {
        self.by_email
            .get(&email.trim().to_ascii_lowercase())
            .map(|&i| &self.rows[i])
    }

    /// Parses roster bytes; `path` only names the file in errors.
    pub fn parse(bytes: &[u8], path: &str) -> Result<Roster, RosterError> {
        let err = |line: usize, column: usize, message: String| RosterError {
            path: path.to_string(),
            line,
            column,
            message,
        };
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let text = std::str::from_utf8(bytes).map_err(|e| {
            let line = bytes[..e.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1;
            err(
                line,
                0,
                "not UTF-8 text; export the roster as UTF-8 CSV".into(),
            )
        })?;
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut records = reader.records();
        let header = loop {
            match records.next() {
                None => {
                    return Err(err(
                        1,
                        0,
                        format!(
                            "the roster is empty; it needs a header line `{}`",
                            COLUMNS.join(",")
                        ),
                    ));
                }
                Some(Err(e)) => return Err(csv_error(path, text, &e)),
                Some(Ok(record)) if record.iter().all(|f| f.trim().is_empty()) => continue,
                Some(Ok(record)) => break record,
            }
        };
        // csv's own line count skips blank lines; the byte offset does not.
        let line_of = |position: Option<&csv::Position>| {
            position.map_or(0, |p| {
                let bytes = text.as_bytes();
                // A record's position can point at blank lines csv skipped before it.
                let mut end = (p.byte() as usize).min(bytes.len());
                while end < bytes.len() && matches!(bytes[end], b'\n' | b'\r') {
                    end += 1;
                }
                bytes[..end].iter().filter(|&&b| b == b'\n').count() + 1
            })
        };
        let header_line = line_of(header.position());
        let mut index: [Option<usize>; 5] = [None; 5];
        for (i, name) in header.iter().enumerate() {
            let name = name.trim().to_ascii_lowercase();
            let Some(c) = COLUMNS.iter().position(|c| *c == name) else {
                return Err(err(
                    header_line,
                    i + 1,
                    format!(
                        "unknown column `{name}`; the roster's columns are {} (is the header line missing?)",
                        COLUMNS.join(",")
                    ),
                ));
            };
            if index[c].is_some() {
                return Err(err(
                    header_line,
                    i + 1,
                    format!("column `{name}` appears twice in the header"),
                ));
            }
            index[c] = Some(i);
        }
        let missing: Vec<&str> = COLUMNS
            .iter()
            .zip(index)
            .filter(|(_, i)| i.is_none())
            .map(|(c, _)| *c)
            .collect();
        if !missing.is_empty() {
            return Err(err(
                header_line,
                0,
                format!(
                    "the header lacks the column{} `{}`; it must name {}",
                    if missing.len() == 1 { "" } else { "s" },
                    missing.join("`, `"),
                    COLUMNS.join(",")
                ),
            ));
        }
        let [login_at, email_at, name_at, status_at, date_at] = index.map(|i| i.unwrap_or(0));
        let mut roster = Roster::default();
        for record in records {
            let record = record.map_err(|e| csv_error(path, text, &e))?;
            let line = line_of(record.position());
            if record.iter().all(|f| f.trim().is_empty()) {
                continue;
            }
            if record.len() != header.len() {
                return Err(err(
                    line,
                    0,
                    format!(
                        "{} fields, but the header has {}; quote fields that contain commas",
                        record.len(),
                        header.len()
                    ),
                ));
            }
            let field = |at: usize| record.get(at).unwrap_or("").trim();
            let optional = |at: usize| Some(field(at).to_string()).filter(|f| !f.is_empty());
            let login = optional(login_at);
            let email = optional(email_at);
            if login.is_none() && email.is_none() {
                return Err(err(
                    line,
                    login_at + 1,
                    "neither `login` nor `email` is given; each row needs one to be matched to an account".into(),
                ));
            }
            if let Some(login) = &login
                && login.chars().any(char::is_whitespace)
            {
                return Err(err(
                    line,
                    login_at + 1,
                    format!("login `{login}` contains a space; GitHub logins never do"),
                ));
            }
            if let Some(email) = &email
                && (!email.contains('@') || email.chars().any(char::is_whitespace))
            {
                return Err(err(
                    line,
                    email_at + 1,
                    format!("`{email}` is not an email address"),
                ));
            }
            let status_text = field(status_at);
            let status = RosterStatus::parse(status_text).ok_or_else(|| {
                err(
                    line,
                    status_at + 1,
                    format!(
                        "status `{status_text}` is not one of {}",
                        RosterStatus::NAMES.join(", ")
                    ),
                )
            })?;
            let date_text = field(date_at);
            let termination_date = if date_text.is_empty() {
                None
            } else {
                Some(parse_date(date_text).ok_or_else(|| {
                    err(
                        line,
                        date_at + 1,
                        format!("termination_date `{date_text}` is not a date written YYYY-MM-DD"),
                    )
                })?)
            };
            match (status, termination_date) {
                (RosterStatus::Terminated, None) => {
                    return Err(err(
                        line,
                        date_at + 1,
                        "status is terminated but no termination_date is given; AC-02 needs the date to judge access at the snapshot".into(),
                    ));
                }
                (other, Some(_)) if other != RosterStatus::Terminated => {
                    return Err(err(
                        line,
                        date_at + 1,
                        format!(
                            "a termination_date is given but the status is {other}; give the date only with status terminated"
                        ),
                    ));
                }
                _ => {}
            }
            let at = roster.rows.len();
            if let Some(login) = &login
                && let Some(&first) = roster.by_login.get(&login.to_ascii_lowercase())
            {
                return Err(err(
                    line,
                    login_at + 1,
                    format!(
                        "login `{login}` is also on line {}; each person appears once",
                        roster.rows[first].line
                    ),
                ));
            }
            if let Some(email) = &email
                && let Some(&first) = roster.by_email.get(&email.to_ascii_lowercase())
            {
                return Err(err(
                    line,
                    email_at + 1,
                    format!(
                        "email `{email}` is also on line {}; each person appears once",
                        roster.rows[first].line
                    ),
                ));
            }
            if let Some(login) = &login {
                roster.by_login.insert(login.to_ascii_lowercase(), at);
            }
            if let Some(email) = &email {
                roster.by_email.insert(email.to_ascii_lowercase(), at);
            }
            roster.rows.push(RosterRow {
                line,
                login,
                email,
                name: field(name_at).to_string(),
                status,
                termination_date,
            });
        }
        Ok(roster)
    }
}

/// `YYYY-MM-DD` exactly (chrono alone would accept `2026-9-1`).
fn parse_date(text: &str) -> Option<NaiveDate> {
    let b = text.as_bytes();
    let shape = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    shape
        .then(|| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok())
        .flatten()
}

fn csv_error(path: &str, text: &str, e: &csv::Error) -> RosterError {
    let line = e.position().map_or(0, |p| {
        let end = (p.byte() as usize).min(text.len());
        text.as_bytes()[..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    });
    RosterError {
        path: path.to_string(),
        line,
        column: 0,
        message: format!("not valid CSV: {e}"),
    }
}

/// Writes rows as a roster CSV (the example generator's export), header first.
pub fn to_csv(rows: &[RosterRow]) -> String {
    let mut out = String::from("login,email,name,status,termination_date\n");
    for row in rows {
        let quote = |s: &str| {
            if s.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", s.replace('"', "\"\""))
            } else {
                s.to_string()
            }
        };
        out.push_str(&format!(
            "{},{},{},{},{}\n",
            quote(row.login.as_deref().unwrap_or("")),
            quote(row.email.as_deref().unwrap_or("")),
            quote(&row.name),
            row.status,
            row.termination_date
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default()
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const HEADER: &str = "login,email,name,status,termination_date\n";

    fn parse(text: &str) -> Result<Roster, RosterError> {
        Roster::parse(text.as_bytes(), "hr.csv")
    }

    fn error(text: &str) -> String {
        parse(text).unwrap_err().to_string()
    }

    #[test]
    fn parses_rows_in_any_column_order() {
        let roster = parse(
            "\u{feff}Name,STATUS,login,termination_date,email\n\
             \"Núñez, José\",active,jnunez,,jose@acme.io\n\
             Sam,terminated,sokafor,2026-09-18,\n\
             \n\
             Hannah,leave,,,hannah@acme.io\n",
        )
        .unwrap();
        assert_eq!(roster.rows.len(), 3);
        assert_eq!(roster.rows[0].name, "Núñez, José");
        assert_eq!(roster.rows[0].line, 2);
        assert_eq!(roster.by_login("JNUNEZ").unwrap().line, 2);
        assert_eq!(roster.by_email("Hannah@Acme.io").unwrap().line, 5);
        let sam = roster.by_login("sokafor").unwrap();
        assert_eq!(sam.status, RosterStatus::Terminated);
        assert_eq!(sam.termination_date, NaiveDate::from_ymd_opt(2026, 9, 18));
        assert_eq!(sam.email, None);
    }

    #[test]
    fn errors_name_file_line_and_column() {
        assert_eq!(
            error(&format!(
                "{HEADER}a,a@x.io,A,active,\nb,b@x.io,B,terminated,2026-13-01\n"
            )),
            "hr.csv:3:5: termination_date `2026-13-01` is not a date written YYYY-MM-DD"
        );
        assert_eq!(
            error(&format!("{HEADER}b,b@x.io,B,terminated,1/9/2026\n")),
            "hr.csv:2:5: termination_date `1/9/2026` is not a date written YYYY-MM-DD"
        );
        assert!(
            error("login,email,name,status\n")
                .starts_with("hr.csv:1:0: the header lacks the column `termination_date`")
        );
        assert!(
            error("login,email,name,status,termination_date,team\n")
                .starts_with("hr.csv:1:6: unknown column `team`")
        );
        assert!(
            error("jnunez,j@x.io,J,active,\n").starts_with("hr.csv:1:1: unknown column `jnunez`")
        );
        assert!(error("login,login,name,status,termination_date\n").contains("appears twice"));
        assert_eq!(
            error(&format!("{HEADER}a,a@x.io,A,active,\nA,b@x.io,B,active,\n")),
            "hr.csv:3:1: login `A` is also on line 2; each person appears once"
        );
        assert_eq!(
            error(&format!("{HEADER}a,a@x.io,A,active,\nb,A@X.io,B,active,\n")),
            "hr.csv:3:2: email `A@X.io` is also on line 2; each person appears once"
        );
        assert!(
            error(&format!("{HEADER}a,a@x.io,A,terminated,\n"))
                .starts_with("hr.csv:2:5: status is terminated but no termination_date")
        );
        assert!(
            error(&format!("{HEADER}a,a@x.io,A,active,2026-01-01\n"))
                .starts_with("hr.csv:2:5: a termination_date is given but the status is active")
        );
        assert!(
            error(&format!("{HEADER},,A,active,\n"))
                .starts_with("hr.csv:2:1: neither `login` nor `email`")
        );
        assert!(
            error(&format!("{HEADER}a,a@x.io,A,retired,\n"))
                .starts_with("hr.csv:2:4: status `retired` is not one of active, leave")
        );
        assert!(error(&format!("{HEADER}a,a@x.io,A,active\n")).starts_with("hr.csv:2:0: 4 fields"));
        assert!(error(&format!("{HEADER}a,not-an-email,A,active,\n")).contains("not an email"));
        assert!(error("").starts_with("hr.csv:1:0: the roster is empty"));
        assert!(
            Roster::parse(b"login,email\n\xff\n", "hr.csv")
                .unwrap_err()
                .to_string()
                .starts_with("hr.csv:2:0: not UTF-8")
        );
    }

    #[test]
    fn csv_round_trips() {
        let rows = vec![
            RosterRow {
                line: 2,
                login: Some("a".into()),
                email: None,
                name: "O'Brien, \"Tom\"".into(),
                status: RosterStatus::Terminated,
                termination_date: NaiveDate::from_ymd_opt(2026, 2, 28),
            },
            RosterRow {
                line: 3,
                login: None,
                email: Some("b@x.io".into()),
                name: "B".into(),
                status: RosterStatus::Contractor,
                termination_date: None,
            },
        ];
        assert_eq!(parse(&to_csv(&rows)).unwrap().rows, rows);
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = Roster::parse(&bytes, "hr.csv");
        }

        #[test]
        fn never_panics_on_csv_like_text(
            lines in proptest::collection::vec(
                proptest::collection::vec("[a-z@.,\"0-9 -]{0,12}", 0..7), 0..8)
        ) {
            let mut text = String::from(HEADER);
            for fields in lines {
                text.push_str(&fields.join(","));
                text.push('\n');
            }
            if let Err(e) = parse(&text) {
                prop_assert!(e.line >= 1, "{e}");
                prop_assert!(e.to_string().starts_with("hr.csv:"));
            }
        }

        #[test]
        fn valid_rows_parse_back(
            people in proptest::collection::btree_map("[a-z][a-z0-9-]{0,10}", (0u8..4, 1u32..28), 0..12)
        ) {
            let rows: Vec<RosterRow> = people
                .into_iter()
                .enumerate()
                .map(|(i, (login, (status, day)))| {
                    let status = [RosterStatus::Active, RosterStatus::Leave, RosterStatus::Contractor, RosterStatus::Terminated][status as usize];
                    RosterRow {
                        line: i + 2,
                        email: Some(format!("{login}@acme.io")),
                        login: Some(login),
                        name: format!("Person {i}, Jr."),
                        status,
                        termination_date: (status == RosterStatus::Terminated)
                            .then(|| NaiveDate::from_ymd_opt(2026, 9, day).unwrap()),
                    }
                })
                .collect();
            prop_assert_eq!(parse(&to_csv(&rows)).unwrap().rows, rows);
        }
    }
}
