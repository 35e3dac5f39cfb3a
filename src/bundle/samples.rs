//! The auditor's samples (SPEC §6): for each control with a population, the selection
//! drawn from the seed by [`crate::sampling`], over the exact bytes of the population file
//! the bundle writes, and an evidence record per selected item.
//!
//! Generic over population files: a control samples the population file (listed in
//! [`POPULATION_FILES`]) whose header has a result column named after the control; its
//! population is the rows whose cell in that column is not `n/a`. Files written:
//! `samples/<control>.csv` (the selected rows, exactly as in the population file, with
//! the draw that selected them) and `samples/<control>.json` (per item: every attribute,
//! the links, the raw evidence references with their files, the exceptions raised).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::findings::ExceptionStatus;
use crate::sampling::{self, Method, Population, Sample, SortKey};
use crate::util::sha256_hex;

use super::evidence::RAW_DIR;
use super::{BundleError, BundleFiles, BundleInput};

/// A population file and the columns of its sort key (time, repository, id).
pub(super) struct PopulationFile {
    pub path: &'static str,
    /// The column that dates a record; snapshot populations (accounts, branches …) have
    /// none and sort by repository and id alone.
    pub time: Option<&'static str>,
    pub repo: &'static str,
    pub id: &'static str,
}

/// The population files samples are drawn from. A new population file with a result
/// column per control becomes sampleable by one entry here.
pub(super) const POPULATION_FILES: &[PopulationFile] = &[
    PopulationFile {
        path: "populations/changes.csv",
        time: Some("merged_at"),
        repo: "repo",
        id: "number",
    },
    PopulationFile {
        path: "populations/commits.csv",
        time: Some("committed_at"),
        repo: "repo",
        id: "sha",
    },
    PopulationFile {
        path: "populations/deployments.csv",
        time: Some("created_at"),
        repo: "repo",
        id: "id",
    },
    PopulationFile {
        path: "populations/branches.csv",
        time: None,
        repo: "repo",
        id: "branch",
    },
    PopulationFile {
        path: "populations/accounts.csv",
        time: None,
        repo: "org",
        id: "login",
    },
    PopulationFile {
        path: "populations/privileged_access.csv",
        time: None,
        repo: "resource",
        id: "record",
    },
    PopulationFile {
        path: "populations/credentials.csv",
        time: Some("created_at"),
        repo: "owner",
        id: "id",
    },
    PopulationFile {
        path: "populations/access_changes.csv",
        time: None,
        repo: "org",
        id: "grant",
    },
    PopulationFile {
        path: "populations/sources.csv",
        time: None,
        repo: "scope",
        id: "source",
    },
];

/// The method in one paragraph, as the manifest and the workbook state it.
pub(super) const METHOD: &str = "For each control: the population is the rows of its population file whose result column for the control is not `n/a`, sorted by (time as an instant, records without a time first — snapshot populations such as accounts have no time column; repository byte by byte; id numerically when both ids are decimal numbers and byte by byte otherwise), ties in file order; n rows; an empty population is not sampled. k is the sample size of the control's frequency (recurring: the configured 25, 40 or 60; daily 25; weekly 5; monthly 2; quarterly 2; annual 1); when n <= k every row is tested. Otherwise s = SHA-256(seed || control id || H), H the SHA-256 of the population file's bytes, || concatenation of UTF-8 strings, every digest written as 64 lowercase hex digits; stratum i (i = 0 … k-1) is the sorted rows [floor(i*n/k), floor((i+1)*n/k)); from it the row at offset SHA-256(s || i) mod (stratum length) is taken, i in decimal, the digest read as a big-endian unsigned integer. docs/auditor-guide.md re-performs it by hand.";

/// Every control's sampling outcome.
#[derive(Debug, Clone, Serialize)]
pub(super) struct Samples {
    pub seed: Option<String>,
    pub recurring_sample_size: u32,
    pub method: &'static str,
    /// One per catalog control, in catalog order.
    pub controls: Vec<ControlSample>,
}

#[derive(Debug, Clone, Serialize)]
pub(super) struct ControlSample {
    pub control: String,
    pub frequency: String,
    /// Why no sample was drawn (no seed, no population file, unknown frequency).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_drawn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sample: Option<Sample>,
    /// `samples/<control>.csv` and `.json`, when drawn.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub files: Option<[String; 2]>,
    /// One evidence record per selection, in selection order.
    #[serde(skip)]
    pub items: Vec<Item>,
}

/// The evidence record of one sampled item.
#[derive(Debug, Clone, Serialize)]
pub(super) struct Item {
    pub stratum: Option<usize>,
    pub stratum_rows: [usize; 2],
    pub draw: Option<String>,
    pub offset: usize,
    pub position: usize,
    pub population_row: usize,
    pub repo: String,
    pub id: String,
    /// The control's result for the record, as in its population file.
    pub result: String,
    /// Every attribute of the population file's row, in column order.
    pub attributes: BTreeMap<String, String>,
    #[serde(skip)]
    pub row: Vec<String>,
    pub links: Vec<String>,
    pub evidence: Vec<EvidenceLink>,
    pub exceptions: Vec<ItemException>,
}

#[derive(Debug, Clone, Serialize)]
pub(super) struct EvidenceLink {
    /// `sha256:<hash>#<JSON pointer>`.
    pub reference: String,
    /// The raw response's file in the bundle, when it is there.
    pub file: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub(super) struct ItemException {
    pub id: String,
    pub kind: String,
    pub status: &'static str,
    pub url: String,
}

/// A parsed population file.
struct Parsed {
    sha256: String,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

/// Draws every control's sample from the population files in `files`.
/// `files` holds the population files' bytes; `written` names every bundle file written
/// so far (the raw evidence an item links to).
pub(super) fn draw(
    input: &BundleInput<'_>,
    files: &BundleFiles,
    written: &super::manifest::Digests,
) -> Result<Samples, BundleError> {
    let seed = input.config.sampling.seed.clone();
    let recurring = input.config.sampling.recurring_sample_size;
    let mut parsed: BTreeMap<&str, Parsed> = BTreeMap::new();
    for file in POPULATION_FILES {
        if let Some(bytes) = files.get(file.path) {
            parsed.insert(file.path, parse(file.path, bytes)?);
        }
    }
    let mut controls = Vec::new();
    for entry in &input.catalog.controls {
        let mut out = ControlSample {
            control: entry.id.clone(),
            frequency: entry.frequency.clone(),
            not_drawn: None,
            sample: None,
            files: None,
            items: Vec::new(),
        };
        let table = POPULATION_FILES.iter().find_map(|f| {
            let p = parsed.get(f.path)?;
            let column = p.header.iter().position(|h| *h == entry.id)?;
            Some((f, p, column))
        });
        let k = sampling::sample_size(&entry.frequency, recurring);
        match (&seed, table, k) {
            (None, _, _) => {
                out.not_drawn = Some(
                    "no seed: the auditor gives one with `--seed` or `[sampling] seed`; every record of the population was tested".into(),
                );
            }
            (_, None, _) => {
                out.not_drawn = Some(format!(
                    "no population file of the bundle has a result column for {}",
                    entry.id
                ));
            }
            (_, _, None) => {
                out.not_drawn = Some(format!(
                    "the catalog's frequency `{}` has no sample size in this version",
                    entry.frequency
                ));
            }
            (Some(seed), Some((file, table, column)), Some(k)) => {
                let sample = draw_one(&entry.id, seed, k, file, table, column)?;
                if sample.population == 0 {
                    out.not_drawn = Some(format!(
                        "the population is empty (no row of {} is in it): there is nothing to sample",
                        file.path
                    ));
                    controls.push(out);
                    continue;
                }
                out.items = sample
                    .selections
                    .iter()
                    .map(|s| item(input, written, file, table, column, &entry.id, s))
                    .collect();
                out.files = Some([
                    format!("samples/{}.csv", entry.id),
                    format!("samples/{}.json", entry.id),
                ]);
                out.sample = Some(sample);
            }
        }
        controls.push(out);
    }
    Ok(Samples {
        seed,
        recurring_sample_size: recurring,
        method: METHOD,
        controls,
    })
}

fn parse(path: &str, bytes: &[u8]) -> Result<Parsed, BundleError> {
    let error = |message: String| BundleError::Render {
        template: path.to_string(),
        message: format!("re-reading it for sampling: {message}"),
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(bytes);
    let header = reader
        .headers()
        .map_err(|e| error(e.to_string()))?
        .iter()
        .map(String::from)
        .collect();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| error(e.to_string()))?;
        rows.push(record.iter().map(String::from).collect());
    }
    Ok(Parsed {
        sha256: sha256_hex(bytes),
        header,
        rows,
    })
}

fn draw_one(
    control: &str,
    seed: &str,
    k: usize,
    file: &PopulationFile,
    table: &Parsed,
    column: usize,
) -> Result<Sample, BundleError> {
    let col = |name: &str| {
        table
            .header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| BundleError::Render {
                template: file.path.to_string(),
                message: format!("sampling needs its `{name}` column"),
            })
    };
    let time = file.time.map(col).transpose()?;
    let (repo, id) = (col(file.repo)?, col(file.id)?);
    let mut rows = Vec::new();
    for (index, row) in table.rows.iter().enumerate() {
        if row.get(column).is_some_and(|c| c == "n/a") {
            continue;
        }
        let cell = |i: usize| row.get(i).cloned().unwrap_or_default();
        let when = time.map(cell).unwrap_or_default();
        let parsed = if when.is_empty() {
            None
        } else {
            Some(
                chrono::DateTime::parse_from_rfc3339(&when)
                    .map_err(|e| BundleError::Render {
                        template: file.path.to_string(),
                        message: format!(
                            "row {}: `{when}` is not an RFC 3339 time: {e}",
                            index + 1
                        ),
                    })?
                    .with_timezone(&chrono::Utc),
            )
        };
        rows.push((
            index + 1,
            SortKey {
                time: parsed,
                repo: cell(repo),
                id: cell(id),
            },
        ));
    }
    Ok(sampling::draw(
        seed,
        k,
        &Population {
            control: control.to_string(),
            file: file.path.to_string(),
            file_sha256: table.sha256.clone(),
            rows,
        },
    ))
}

fn item(
    input: &BundleInput<'_>,
    files: &super::manifest::Digests,
    file: &PopulationFile,
    table: &Parsed,
    column: usize,
    control: &str,
    s: &sampling::Selection,
) -> Item {
    let row = table.rows.get(s.row - 1).cloned().unwrap_or_default();
    let attributes: BTreeMap<String, String> = table
        .header
        .iter()
        .cloned()
        .zip(row.iter().cloned())
        .collect();
    let (repo, id) = (s.key.repo.clone(), s.key.id.clone());
    let exceptions: Vec<ItemException> = input
        .evaluation
        .findings
        .exceptions
        .iter()
        .filter(|e| e.control == control && e.repo == repo && e.subject == id)
        .map(|e| ItemException {
            id: e.id.clone(),
            kind: e.kind.clone(),
            status: match e.status {
                ExceptionStatus::Open => "open",
                ExceptionStatus::Waived => "waived",
            },
            url: e.url.clone(),
        })
        .collect();
    let mut links: Vec<String> = attributes
        .get("url")
        .filter(|u| !u.is_empty())
        .cloned()
        .into_iter()
        .collect();
    for e in &exceptions {
        if !e.url.is_empty() && !links.contains(&e.url) {
            links.push(e.url.clone());
        }
    }
    let evidence = evidence_refs(input, file.path, &repo, &id)
        .into_iter()
        .map(|reference| {
            if reference.starts_with("config/") {
                let file = files.contains_key(&reference).then(|| reference.clone());
                return EvidenceLink { reference, file };
            }
            let file = reference
                .strip_prefix("sha256:")
                .and_then(|r| r.split('#').next())
                .and_then(|hash| {
                    ["json", "bin"]
                        .iter()
                        .map(|ext| format!("{RAW_DIR}/{hash}.{ext}"))
                        .find(|path| files.contains_key(path))
                });
            EvidenceLink { reference, file }
        })
        .collect();
    Item {
        stratum: s.stratum,
        stratum_rows: [s.start, s.end],
        draw: s.draw.clone(),
        offset: s.offset,
        position: s.position,
        population_row: s.row,
        repo,
        id,
        result: row.get(column).cloned().unwrap_or_default(),
        attributes,
        row,
        links,
        evidence,
        exceptions,
    }
}

/// The raw evidence behind a record of a population file, from the evidence model.
fn evidence_refs(input: &BundleInput<'_>, path: &str, repo: &str, id: &str) -> Vec<String> {
    let evidence = input.evidence;
    let mut refs: Vec<String> = match path {
        "populations/changes.csv" => evidence
            .changes
            .iter()
            .filter(|c| c.repo == repo && c.number.to_string() == id)
            .flat_map(|c| {
                c.evidence
                    .iter()
                    .chain(c.reviews.iter().flat_map(|r| r.evidence.iter()))
            })
            .map(String::from)
            .collect(),
        "populations/commits.csv" => evidence
            .branch_commits
            .iter()
            .filter(|c| c.repo == repo && c.sha == id)
            .flat_map(|c| c.evidence.iter())
            .map(String::from)
            .collect(),
        "populations/deployments.csv" => evidence
            .deployments
            .iter()
            .filter(|d| d.repo == repo && d.id == id)
            .flat_map(|d| {
                d.evidence
                    .iter()
                    .chain(d.approvals.iter().flat_map(|a| a.evidence.iter()))
            })
            .map(String::from)
            .collect(),
        "populations/branches.csv" => evidence
            .branch_protections
            .iter()
            .filter(|p| p.repo == repo && p.branch == id)
            .flat_map(|p| p.evidence.iter())
            .map(String::from)
            .collect(),
        "populations/accounts.csv" => account_refs(input, repo, id),
        "populations/privileged_access.csv" => privileged_refs(input, repo, id),
        "populations/credentials.csv" => evidence
            .access
            .deploy_keys
            .iter()
            .filter(|k| k.repo == repo && k.id.to_string() == id)
            .flat_map(|k| k.evidence.iter())
            .chain(
                evidence
                    .access
                    .secrets
                    .iter()
                    .filter(|s| s.owner == repo && s.name == id)
                    .flat_map(|s| s.evidence.iter()),
            )
            .map(String::from)
            .collect(),
        "populations/access_changes.csv" => input
            .evaluation
            .access_changes
            .iter()
            .filter(|c| c.org == repo && c.grant() == id)
            .flat_map(|c| account_refs(input, &c.org, &c.account))
            // The other side of the comparison: the previous snapshot's access lists,
            // carried in the bundle's config folder.
            .chain([format!("config/{}", crate::inputs::PREVIOUS_FILE)])
            .collect(),
        "populations/sources.csv" => evidence
            .coverage
            .iter()
            .filter(|c| c.scope == repo && c.evidence_type == id)
            .flat_map(|c| c.responses.iter().map(|sha| format!("sha256:{sha}")))
            .collect(),
        _ => Vec::new(),
    };
    let mut seen = std::collections::BTreeSet::new();
    refs.retain(|r| seen.insert(r.clone()));
    refs
}

/// The access-list records of an account in an organisation: membership, outside
/// collaboration and direct repository grants.
fn account_refs(input: &BundleInput<'_>, org: &str, login: &str) -> Vec<String> {
    let access = &input.evidence.access;
    let same = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
    let in_org = |repo: &str| repo.split('/').next().is_some_and(|o| same(o, org));
    access
        .org_members
        .iter()
        .filter(|m| same(&m.org, org) && same(&m.login, login))
        .flat_map(|m| m.evidence.iter())
        .chain(
            access
                .outside_collaborators
                .iter()
                .filter(|o| same(&o.org, org) && same(&o.login, login))
                .flat_map(|o| o.evidence.iter()),
        )
        .chain(
            access
                .repo_collaborators
                .iter()
                .filter(|c| in_org(&c.repo) && same(&c.login, login))
                .flat_map(|c| c.evidence.iter()),
        )
        .map(String::from)
        .collect()
}

/// The records behind a privileged access record: the owner list's memberships, or the
/// account's grants on the repository directly and through teams.
fn privileged_refs(input: &BundleInput<'_>, resource: &str, label: &str) -> Vec<String> {
    let access = &input.evidence.access;
    let same = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
    let Some(row) = input
        .evaluation
        .privileged
        .iter()
        .find(|p| p.resource == resource && p.label == label)
    else {
        return Vec::new();
    };
    if row.account.is_empty() {
        return access
            .org_members
            .iter()
            .filter(|m| same(&m.org, &row.org) && m.role == "admin")
            .flat_map(|m| m.evidence.iter())
            .map(String::from)
            .collect();
    }
    let login = row.account.as_str();
    let outside = row.record == "outside collaborator";
    let admin = row.record == "repository admin";
    access
        .outside_collaborators
        .iter()
        .filter(|o| outside && same(&o.org, &row.org) && same(&o.login, login))
        .flat_map(|o| o.evidence.iter())
        .chain(
            access
                .repo_collaborators
                .iter()
                .filter(|c| same(&c.repo, resource) && same(&c.login, login))
                .flat_map(|c| c.evidence.iter()),
        )
        .chain(
            access
                .teams
                .iter()
                .filter(|t| {
                    admin
                        && t.repos.iter().any(|r| same(&r.repo, resource))
                        && t.members.iter().any(|m| same(m, login))
                })
                .flat_map(|t| t.evidence.iter()),
        )
        .map(String::from)
        .collect()
}

/// `samples/<control>.csv` and `samples/<control>.json` for every drawn sample.
pub(super) fn files(samples: &Samples, all: &BundleFiles) -> Result<BundleFiles, BundleError> {
    let mut out = BundleFiles::new();
    for c in &samples.controls {
        let (Some(sample), Some([csv_path, json_path])) = (&c.sample, &c.files) else {
            continue;
        };
        let header_of_population: Vec<String> = all
            .get(sample.file.as_str())
            .and_then(|bytes| {
                csv::Reader::from_reader(bytes.as_slice())
                    .headers()
                    .ok()
                    .map(|h| h.iter().map(String::from).collect())
            })
            .unwrap_or_default();
        let mut header: Vec<String> = [
            "stratum",
            "stratum_start",
            "stratum_end",
            "draw_sha256",
            "offset",
            "position",
            "population_row",
        ]
        .map(String::from)
        .to_vec();
        header.extend(header_of_population);
        header.push("evidence".into());
        header.push("exceptions".into());
        let rows = c.items.iter().map(|i| {
            let mut row = vec![
                i.stratum.map(|s| s.to_string()).unwrap_or_default(),
                i.stratum_rows[0].to_string(),
                i.stratum_rows[1].to_string(),
                i.draw.clone().unwrap_or_default(),
                i.offset.to_string(),
                i.position.to_string(),
                i.population_row.to_string(),
            ];
            row.extend(i.row.iter().cloned());
            row.push(
                i.evidence
                    .iter()
                    .map(|e| e.reference.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
            );
            row.push(
                i.exceptions
                    .iter()
                    .map(|e| e.id.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
            );
            row
        });
        out.insert(
            csv_path.clone(),
            super::tables::write_csv(csv_path, header, rows)?,
        );
        #[derive(Serialize)]
        struct Record<'a> {
            control: &'a str,
            frequency: &'a str,
            seed: Option<&'a str>,
            method: &'a str,
            #[serde(flatten)]
            sample: SampleHead<'a>,
            items: &'a [Item],
        }
        #[derive(Serialize)]
        struct SampleHead<'a> {
            population_file: &'a str,
            population_sha256: &'a str,
            population_size: usize,
            sample_size: usize,
            drawn: Method,
            s: Option<&'a str>,
        }
        let record = Record {
            control: &c.control,
            frequency: &c.frequency,
            seed: samples.seed.as_deref(),
            method: samples.method,
            sample: SampleHead {
                population_file: &sample.file,
                population_sha256: &sample.file_sha256,
                population_size: sample.population,
                sample_size: sample.sample_size,
                drawn: sample.method,
                s: sample.s.as_deref(),
            },
            items: &c.items,
        };
        out.insert(json_path.clone(), super::evidence::pretty_json(&record));
    }
    Ok(out)
}

/// The manifest's `sampling` entry: method, seed and, per control, the population hash
/// and the selections.
pub(super) fn manifest_entry(samples: &Samples) -> serde_json::Value {
    let controls: Vec<serde_json::Value> = samples
        .controls
        .iter()
        .map(|c| match &c.sample {
            None => serde_json::json!({
                "control": c.control,
                "frequency": c.frequency,
                "not_drawn": c.not_drawn,
            }),
            Some(s) => serde_json::json!({
                "control": c.control,
                "frequency": c.frequency,
                "population_file": s.file,
                "population_sha256": s.file_sha256,
                "population_size": s.population,
                "sample_size": s.sample_size,
                "drawn": s.method,
                "s": s.s,
                "selected_rows": s.selections.iter().map(|x| x.row).collect::<Vec<_>>(),
                "files": c.files,
            }),
        })
        .collect();
    serde_json::json!({
        "seed": samples.seed,
        "recurring_sample_size": samples.recurring_sample_size,
        "method": samples.method,
        "controls": controls,
    })
}

impl Samples {
    /// The sampling outcome of one control.
    pub(super) fn of(&self, control: &str) -> Option<&ControlSample> {
        self.controls.iter().find(|c| c.control == control)
    }
}

impl ControlSample {
    /// How the control's sample was drawn, in one or two sentences for the reports.
    pub(super) fn summary(&self, seed: Option<&str>) -> String {
        let (Some(sample), Some([csv, json])) = (&self.sample, &self.files) else {
            return format!(
                "No sample was drawn: {}.",
                self.not_drawn
                    .as_deref()
                    .unwrap_or("no reason was recorded")
            );
        };
        let files = format!(
            "`{csv}` lists the selected rows as in the population file and `{json}` each one's evidence"
        );
        match sample.method {
            Method::Full => format!(
                "The population ({} of `{}`) is no larger than the sample size {} for a {} control, so every record is selected. {files}.",
                records(sample.population),
                sample.file,
                sample.sample_size,
                self.frequency
            ),
            Method::Stratified => format!(
                "{} of {} of `{}` were selected, one from each of {} strata, from the seed `{}` (s = `{}`), as section 6 of the auditor guide re-performs. {files}.",
                sample.sample_size,
                records(sample.population),
                sample.file,
                sample.sample_size,
                seed.unwrap_or(""),
                sample.s.as_deref().unwrap_or("")
            ),
        }
    }

    /// The selected records in selection order: `acme/api 2323 (pass)`.
    pub(super) fn selected(&self) -> Vec<String> {
        self.items
            .iter()
            .map(|i| format!("{} {} ({})", i.repo, i.id, i.result))
            .collect()
    }
}

fn records(n: usize) -> String {
    format!("{n} {}", if n == 1 { "record" } else { "records" })
}

/// The samples of the populations, drawn as the bundle draws them (for the renderers'
/// tests, which render without writing a bundle).
#[cfg(test)]
pub(super) fn draw_for_tests(
    input: &BundleInput<'_>,
    populations: &super::population::Populations<'_>,
) -> Samples {
    let files: BundleFiles = populations
        .tables
        .iter()
        .map(|t| {
            let csv = super::tables::population_csv(t).expect("the population renders");
            (t.csv_path(), csv)
        })
        .collect();
    draw(input, &files, &Default::default()).expect("the samples draw")
}
