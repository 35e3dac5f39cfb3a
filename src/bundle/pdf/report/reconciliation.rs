//! Section 4: the samples drawn for re-performance and the reconciliation of changes,
//! production-branch commits and deployments (SPEC §6).

use super::*;

/// Differences listed in the report; `reconciliation-differences.csv` holds all of them.
pub const DIFFERENCE_CAP: usize = 300;

impl Report<'_> {
    /// The control's sample, in its own section.
    pub(super) fn control_sample(&self, flow: &mut Flow<'_>, control: &str) {
        let Some(sample) = self.samples.of(control) else {
            return;
        };
        flow.heading(subsection_small("Sample for re-performance"));
        let seed = self.input.config.sampling.seed.as_deref();
        prose(flow, &sample.summary(seed), BODY, 3.0);
        let selected = sample.selected();
        if !selected.is_empty() {
            prose(
                flow,
                &format!("Selected, in stratum order: {}.", selected.join(", ")),
                SMALL,
                4.0,
            );
        }
    }

    pub(super) fn reconciliation(&self, flow: &mut Flow<'_>) {
        let r = &self.input.evaluation.reconciliation;
        flow.heading(
            section("4  Reconciliation", Some("reconciliation")).outline_title("4 Reconciliation"),
        );
        prose(
            flow,
            &format!(
                "For each repository in scope, the changes merged into a production branch in the window are reconciled against the commits that entered a production branch and against the production deployments (SPEC §6). {} Every difference is in `reconciliation-differences.csv`; the per-repository counts are in `reconciliation.csv` and on the Reconciliation sheet of the workbook.",
                if r.reconciled {
                    "Every repository reconciles."
                } else {
                    "Not every repository reconciles: the differences are listed below."
                }
            ),
            BODY,
            8.0,
        );
        let num = |n: u64| Cell::new(n.to_string());
        let rows: Vec<Vec<Cell>> = r
            .repositories
            .iter()
            .map(|x| {
                let mut flags = Cell::new(if x.reconciled { "yes" } else { "no" });
                for f in &x.flags {
                    flags = flags.para(f.clone(), CELL_MUTED);
                }
                vec![
                    Cell::new(x.repo.clone()),
                    num(x.changes),
                    num(x.changes_not_on_branch),
                    num(x.commits),
                    num(x.commits_without_change),
                    num(x.deployments),
                    num(x.deployments_without_change),
                    Cell::new(
                        x.changes_not_deployed
                            .map_or_else(|| "—".to_string(), |n| n.to_string()),
                    ),
                    flags,
                ]
            })
            .collect();
        if rows.is_empty() {
            prose(flow, "No repository is in scope.", BODY, 0.0);
        } else {
            flow.table(&table(
                vec![
                    Column::new("Repository", 17.0, CELL),
                    Column::new("Changes", 8.0, CELL).right(),
                    Column::new("Not on branch", 8.0, CELL).right(),
                    Column::new("Commits", 8.0, CELL).right(),
                    Column::new("Without change", 9.0, CELL).right(),
                    Column::new("Deployments", 9.0, CELL).right(),
                    Column::new("Untraced", 8.0, CELL).right(),
                    Column::new("Not deployed", 8.0, CELL).right(),
                    Column::new("Reconciles", 25.0, CELL),
                ],
                rows,
                Some("Reconciliation by repository".into()),
            ));
        }
        for m in &r.query_mismatches {
            prose(flow, m, BODY, 3.0);
        }
        flow.heading(subsection("4.1  Differences"));
        if r.differences.is_empty() {
            prose(flow, "None.", BODY, 0.0);
            return;
        }
        if r.differences.len() > DIFFERENCE_CAP {
            prose(
                flow,
                &format!(
                    "The first {DIFFERENCE_CAP} of {} differences are listed; `reconciliation-differences.csv` holds all of them.",
                    r.differences.len()
                ),
                BODY_BOLD,
                6.0,
            );
        }
        let rows = r
            .differences
            .iter()
            .take(DIFFERENCE_CAP)
            .map(|d| {
                let subject = if d.subject_type == "commit" {
                    short_sha(&d.subject).to_string()
                } else {
                    d.subject.clone()
                };
                let mut record = Cell::styled(format!("{} {subject}", d.subject_type), CELL);
                if web(&d.url) {
                    record.link = Some(Target::Uri(d.url.clone()));
                }
                vec![
                    Cell::new(d.repo.clone()),
                    Cell::styled(d.kind.as_str(), CELL_MONO),
                    record,
                    Cell::styled(format_time(d.time), CELL_MONO),
                ]
            })
            .collect();
        flow.table(&table(
            vec![
                Column::new("Repository", 20.0, CELL),
                Column::new("Difference", 34.0, CELL_MONO),
                Column::new("Record", 24.0, CELL),
                Column::new("Time", 22.0, CELL_MONO),
            ],
            rows,
            Some("Differences".into()),
        ));
    }
}
