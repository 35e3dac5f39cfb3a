//! Section 2: scope, how the evidence was collected, how the controls were tested and
//! how to verify the bundle.

use super::*;

impl Report<'_> {
    pub(super) fn method(&self, flow: &mut Flow<'_>) {
        let input = self.input;
        let config = input.config;
        flow.heading(
            section("2  Scope and method", Some("method")).outline_title("2 Scope and method"),
        );

        flow.heading(subsection("2.1  Scope"));
        prose(
            flow,
            &format!(
                "The audit window is {} to {} (UTC, start inclusive, end exclusive). A change is a pull request merged inside the window into a production branch; a production branch is a repository's default branch or a branch matching {}. Production environments are those matching {}.",
                self.window().0,
                self.window().1,
                quoted(&config.scope.production_branches),
                quoted(&config.scope.production_environments)
            ),
            BODY,
            8.0,
        );
        let sources = config
            .sources
            .iter()
            .map(|s| {
                vec![
                    Cell::new(s.name.clone()),
                    Cell::new(forge_name(s.kind)),
                    Cell::new(s.org.clone().unwrap_or_default()),
                    Cell::styled(s.api_url(), CELL_MONO),
                    Cell::styled(s.repos.join(", "), CELL_MONO),
                    Cell::styled(s.exclude.join(", "), CELL_MONO),
                ]
            })
            .collect();
        flow.table(&table(
            vec![
                Column::new("Source", 14.0, CELL),
                Column::new("Kind", 8.0, CELL),
                Column::new("Organisation", 12.0, CELL),
                Column::new("API", 22.0, CELL),
                Column::new("Repositories", 14.0, CELL),
                Column::new("Excluded", 14.0, CELL),
            ],
            sources,
            Some("Sources".into()),
        ));
        flow.space(6.0);
        let repos = self.repositories();
        flow.paragraph(
            &[
                Span::new(
                    format!("Repositories collected ({}): ", repos.len()),
                    BODY_BOLD,
                ),
                Span::new(
                    if repos.is_empty() {
                        "none".into()
                    } else {
                        repos.join(", ")
                    },
                    BODY,
                ),
            ],
            0.0,
            None,
            10.0,
        );

        flow.heading(subsection("2.2  How the evidence was collected"));
        let c = self.counts;
        prose(
            flow,
            &format!(
                "The evidence was collected through the forge's API at {}: {} recorded requests and {} distinct raw response bodies, each kept exactly as received under `evidence/raw/` and named by its SHA-256. `evidence/requests.ndjson` lists every request (method, URL without credentials, status, time, SHA-256 of the response); `evidence/evidence.json` holds the records normalized from the responses, each pointing back to its raw response as `sha256:<hash>#<JSON pointer>`.",
                format_time(input.meta.snapshot_time),
                c.requests,
                c.raw_responses
            ),
            BODY,
            6.0,
        );
        prose(
            flow,
            &format!(
                "The evidence records {} quer{}, one per population request: its endpoint and the parameters that select the records, the pages read, the records obtained, the API's own total count where it reports one, and the SHA-256 of every raw response. The table sums them by kind of evidence; section 3 lists, for each control, every query behind its population, and `evidence/evidence.json` holds all of them under `queries`.",
                input.evidence.queries.len(),
                if input.evidence.queries.len() == 1 {
                    "y"
                } else {
                    "ies"
                }
            ),
            BODY,
            6.0,
        );
        flow.table(&query_summary_table(&input.evidence.queries));
        flow.space(8.0);
        flow.heading(Heading {
            space_before: 4.0,
            ..Heading::new("Evidence that could not be obtained", H3)
        });
        if input.evidence.gaps.is_empty() {
            prose(flow, "None: every evidence type was obtained.", BODY, 8.0);
        } else {
            flow.table(&gaps_table(input.evidence.gaps.iter()));
            flow.space(8.0);
        }

        flow.heading(subsection("2.3  How the controls were tested"));
        prose(
            flow,
            "Each control is described in the control catalog (`config/controls/` in this bundle), which states its objective, its test procedure in auditor language, its population and its exception kinds; section 3 repeats them. changeproof applies each procedure to every record of the control's population — there is no sampling in the results below — and records an exception for each record that fails, with the raw evidence it rests on. An exception matched by a waiver (`config/`, if any) keeps its place in every output with status waived and the waiver's justification; it does not make a control effective.",
            BODY,
            6.0,
        );
        prose(
            flow,
            "A record the evaluation could not judge (for example a change whose reviews were collected only in part, or a branch without a protection record) is counted as not tested; a control with untested records is never reported effective without saying so.",
            BODY,
            6.0,
        );
        for note in &self.populations.notes {
            flow.paragraph(
                &[Span::new(note.clone(), BODY)],
                12.0,
                Some(Span::new("•", BODY)),
                3.0,
            );
        }
        flow.space(6.0);

        flow.heading(subsection("2.4  How to verify this bundle"));
        prose(
            flow,
            &format!(
                "`{MANIFEST_FILE}` lists every other file of the bundle with its size and SHA-256, together with the tool version, window, scope and counts. With standard tools, from the bundle's folder:"
            ),
            BODY,
            4.0,
        );
        code_block(
            flow,
            &["jq -r '.files[] | \"\\(.sha256)  \\(.path)\"' manifest.json | sha256sum -c -"],
        );
        prose(
            flow,
            "Every file must report OK, and the folder must hold no file the manifest does not list. Each raw body's file name is its own SHA-256, so `sha256sum evidence/raw/*` re-proves the raw evidence, and the hashes in `evidence/requests.ndjson` and `evidence/evidence.json` tie every record to it.",
            BODY,
            6.0,
        );
        if self.signed.is_some() {
            prose(
                flow,
                "The manifest is signed: `manifest.json.minisig` is a minisign signature over `manifest.json`. Verify it with the preparer's public key, obtained from them directly:",
                BODY,
                4.0,
            );
            code_block(
                flow,
                &[
                    "minisign -Vm manifest.json -p changeproof.pub",
                    "changeproof verify BUNDLE --pubkey changeproof.pub",
                ],
            );
        } else {
            flow.paragraph(
                &[
                    Span::new("This bundle is UNSIGNED. ", BODY_BOLD.color(WARN.fg)),
                    Span::new(
                        "Without a signature the hashes prove only that the files agree with the manifest, not who produced them. A signed bundle carries `manifest.json.minisig`, checked with `minisign -Vm manifest.json -p KEY.pub` or `changeproof verify BUNDLE --pubkey KEY.pub`.",
                        BODY,
                    ),
                ],
                0.0,
                None,
                6.0,
            );
        }
        prose(
            flow,
            "The effective configuration and the control catalog used are under `config/`; re-running the evaluation on this evidence with them gives the same `findings.json`, which `changeproof verify BUNDLE --reperform` checks.",
            BODY,
            0.0,
        );
    }
}

pub(super) fn queries_table<'q>(
    queries: impl Iterator<Item = &'q PopulationQuery>,
    caption: &str,
) -> Table {
    let rows: Vec<Vec<Cell>> = queries
        .map(|q| {
            vec![
                Cell::new(q.evidence_type.replace('_', " ")),
                Cell::new(q.repo.clone().unwrap_or_else(|| "—".into())),
                Cell::styled(q.endpoint.clone(), CELL_MONO),
                Cell::styled(readable_parameters(&q.parameters), CELL_MONO),
                Cell::new(q.pages.to_string()),
                Cell::new(q.records.to_string()),
                Cell::new(
                    q.total_count
                        .map(|n| n.to_string())
                        .unwrap_or_else(|| "—".into()),
                ),
                Cell::new(q.responses.len().to_string()),
            ]
        })
        .collect();
    let empty = rows.is_empty();
    let mut t = table(
        vec![
            Column::new("Evidence", 11.0, CELL),
            Column::new("Repository", 12.0, CELL),
            Column::new("Endpoint", 21.0, CELL),
            Column::new("Parameters", 26.0, CELL),
            Column::new("Pages", 6.5, CELL).right(),
            Column::new("Records", 7.5, CELL).right(),
            Column::new("API total", 8.0, CELL).right(),
            Column::new("Resp.", 6.0, CELL).right(),
        ],
        rows,
        Some(caption.to_string()),
    );
    if empty {
        t.rows.push(vec![
            Cell::styled("The evidence records no population query.", CELL_MUTED),
            Cell::default(),
            Cell::default(),
            Cell::default(),
            Cell::default(),
            Cell::default(),
            Cell::default(),
            Cell::default(),
        ]);
    }
    t
}

/// The queries summed by kind of evidence.
pub(super) fn query_summary_table(queries: &[PopulationQuery]) -> Table {
    struct Sum {
        queries: usize,
        repos: std::collections::BTreeSet<String>,
        pages: u64,
        records: u64,
        total: Option<u64>,
        responses: usize,
    }
    let mut sums: BTreeMap<&str, Sum> = BTreeMap::new();
    for q in queries {
        let sum = sums.entry(q.evidence_type.as_str()).or_insert(Sum {
            queries: 0,
            repos: Default::default(),
            pages: 0,
            records: 0,
            total: Some(0),
            responses: 0,
        });
        sum.queries += 1;
        if let Some(repo) = &q.repo {
            sum.repos.insert(repo.clone());
        }
        sum.pages += u64::from(q.pages);
        sum.records += q.records;
        sum.total = sum.total.zip(q.total_count).map(|(a, b)| a + b);
        sum.responses += q.responses.len();
    }
    // In the order the model lists evidence types, then any other.
    let mut order: Vec<&str> = crate::model::EVIDENCE_TYPES
        .iter()
        .copied()
        .filter(|t| sums.contains_key(t))
        .collect();
    order.extend(
        sums.keys()
            .copied()
            .filter(|t| !crate::model::EVIDENCE_TYPES.contains(t)),
    );
    let mut rows: Vec<Vec<Cell>> = order
        .iter()
        .map(|t| {
            let s = &sums[t];
            vec![
                Cell::new(t.replace('_', " ")),
                Cell::new(s.queries.to_string()),
                Cell::new(if s.repos.is_empty() {
                    "—".to_string()
                } else {
                    s.repos.len().to_string()
                }),
                Cell::new(s.pages.to_string()),
                Cell::new(s.records.to_string()),
                Cell::new(s.total.map(|n| n.to_string()).unwrap_or_else(|| "—".into())),
                Cell::new(s.responses.to_string()),
            ]
        })
        .collect();
    if rows.is_empty() {
        rows.push(vec![
            Cell::styled("The evidence records no population query.", CELL_MUTED),
            Cell::default(),
            Cell::default(),
            Cell::default(),
            Cell::default(),
            Cell::default(),
            Cell::default(),
        ]);
    }
    table(
        vec![
            Column::new("Evidence", 28.0, CELL),
            Column::new("Queries", 11.0, CELL).right(),
            Column::new("Repositories", 13.0, CELL).right(),
            Column::new("Pages", 10.0, CELL).right(),
            Column::new("Records", 12.0, CELL).right(),
            Column::new("API total", 13.0, CELL).right(),
            Column::new("Responses", 13.0, CELL).right(),
        ],
        rows,
        Some("Population queries by evidence".into()),
    )
}

/// Query parameters for reading: a JSON object as `key=value` pairs, a query string
/// decoded and split at `&`. evidence/evidence.json keeps them exactly as sent.
pub(super) fn readable_parameters(parameters: &str) -> String {
    use serde_json::Value;
    if let Ok(Value::Object(map)) = serde_json::from_str::<Value>(parameters) {
        return map
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => format!("{k}={s}"),
                other => format!("{k}={other}"),
            })
            .collect::<Vec<_>>()
            .join(", ");
    }
    if parameters.contains('=') && !parameters.contains(' ') {
        return parameters
            .split('&')
            .map(percent_decode)
            .collect::<Vec<_>>()
            .join(", ");
    }
    parameters.to_string()
}

pub(super) fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub(super) fn gaps_table<'g>(gaps: impl Iterator<Item = &'g crate::model::Gap>) -> Table {
    let rows = gaps
        .map(|g| {
            vec![
                Cell::new(g.evidence_type.replace('_', " ")),
                Cell::new(g.repo.clone().unwrap_or_else(|| "—".into())),
                Cell::new(
                    g.status
                        .map(|s| s.to_string())
                        .unwrap_or_else(|| "—".into()),
                ),
                Cell::new(g.reason.clone()),
                Cell::new(g.source.clone()),
            ]
        })
        .collect();
    table(
        vec![
            Column::new("Evidence", 14.0, CELL),
            Column::new("Repository", 16.0, CELL),
            Column::new("HTTP status", 9.0, CELL),
            Column::new("Reason", 47.0, CELL),
            Column::new("Source", 14.0, CELL),
        ],
        rows,
        Some("Evidence not obtained".into()),
    )
}
