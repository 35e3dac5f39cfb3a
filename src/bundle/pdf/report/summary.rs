//! Section 1: the results at a glance, the control table and the exceptions chart.

use super::*;

impl Report<'_> {
    pub(super) fn summary(&self, flow: &mut Flow<'_>) {
        flow.heading(section("1  Summary", Some("summary")).outline_title("1 Summary"));
        let (start, end) = self.window();
        let c = self.counts;
        prose(
            flow,
            &format!(
                "Over the audit window {start} to {end}, {} merged into production branches and {} entered production branches. changeproof tested every record of each population against {} — no sampling — and found {}: {} open and {} waived.",
                counted(c.changes, "change was", "changes were"),
                counted(c.commits, "distinct commit", "distinct commits"),
                counted(self.controls().len(), "control", "controls"),
                counted(c.exceptions, "exception", "exceptions"),
                c.open_exceptions,
                c.exceptions - c.open_exceptions
            ),
            BODY,
            10.0,
        );
        if self.controls().is_empty() {
            prose(flow, "No control was evaluated.", BODY_BOLD, 6.0);
        } else {
            flow.table(&self.summary_table());
        }
        flow.space(6.0);
        let reasons: Vec<&ControlResult> = self
            .controls()
            .iter()
            .filter(|c| c.reason.is_some())
            .collect();
        for c in reasons {
            flow.paragraph(
                &[
                    Span::new(format!("{}: ", c.id), SMALL_INK.face(Face::Bold)),
                    Span::new(c.reason.clone().unwrap_or_default(), SMALL_INK),
                ],
                0.0,
                None,
                3.0,
            );
        }
        flow.space(4.0);
        prose(
            flow,
            "Effective: the whole population was tested and no exception is open. Exceptions: one or more open exceptions. Not tested: the evidence was unavailable, and the reason says why. Not applicable: the population is empty, proven by a recorded query that returned no rows. The result word is always printed; the colour only repeats it.",
            SMALL,
            12.0,
        );

        let window = self.input.config.audit.window.window();
        let ids: Vec<String> = self.controls().iter().map(|c| c.id.clone()).collect();
        let data = MonthlyExceptions::count(
            self.exceptions(),
            self.populations,
            (window.start, window.end),
            &ids,
        );
        let mut figure = Heading::new("Figure 1 — Exceptions by month and control", H3);
        figure.space_before = 8.0;
        flow.heading(figure);
        let fonts = flow.fonts();
        flow.block(chart::HEIGHT, |page, x, y, w| {
            chart::draw(fonts, page, &data, x, y, w)
        });
        let mut caption = "Each exception is counted in the month of its record: a change by its merge time, a commit by its committer time. Open and waived exceptions are both shown.".to_string();
        if data.undated > 0 {
            caption.push_str(&format!(
                " {} exceptions whose record carries no time inside the window are not charted.",
                data.undated
            ));
        }
        prose(flow, &caption, SMALL, 0.0);
    }

    pub(super) fn summary_table(&self) -> Table {
        let columns = vec![
            Column::new("Control", 8.0, CELL_BOLD),
            Column::new("Title", 30.0, CELL),
            Column::new("TSC", 7.0, CELL),
            Column::new("Result", 13.0, CELL),
            Column::new("Population", 10.0, CELL).right(),
            Column::new("Tested", 8.5, CELL).right(),
            Column::new("Exceptions", 10.0, CELL).right(),
            Column::new("Waived", 8.0, CELL).right(),
        ];
        let rows = self
            .controls()
            .iter()
            .map(|c| {
                vec![
                    Cell::new(c.id.clone()).link(Some(Target::Anchor(control_anchor(&c.id)))),
                    Cell::new(c.title.clone()),
                    Cell::new(c.tsc.join(", ")),
                    Cell::badge(result_label(c.result), result_tone(c.result)),
                    Cell::new(c.population.to_string()),
                    Cell::new(c.tested.to_string()),
                    Cell::new(c.exceptions.to_string()),
                    Cell::new(c.waived.to_string()),
                ]
            })
            .collect();
        table(columns, rows, Some("Control results".into()))
    }
}
