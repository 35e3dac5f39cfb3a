//! Figure 1: exceptions by month and control, a stacked bar chart drawn with vector
//! primitives (bars, axes, gridlines, legend).

use std::collections::BTreeMap;

use chrono::{Datelike, TimeZone, Utc};

use crate::findings::{Exception, SubjectType};

use super::super::population::Populations;
use crate::model::Timestamp;

use super::fonts::{Face, Fonts};
use super::layout::{Page, TextStyle};
use super::theme::{INK, MUTED, RULE, RULE_STRONG, SERIES, WHITE};

/// Exceptions counted by month and control.
pub(in crate::bundle) struct MonthlyExceptions {
    /// `(year, month)` of every month the window touches, in order.
    pub months: Vec<(i32, u32)>,
    /// Control ids in catalog order, each with a count per month.
    pub series: Vec<(String, Vec<u64>)>,
    /// Exceptions whose record carries no time (or lies outside the window's months).
    pub undated: u64,
}

impl MonthlyExceptions {
    /// Dates each exception by its record, with the time column of its population (a
    /// change by its merge time, a commit by its committer time …).
    pub fn count(
        exceptions: &[Exception],
        populations: &Populations<'_>,
        window: (Timestamp, Timestamp),
        controls: &[String],
    ) -> MonthlyExceptions {
        let months = months_of(window.0, window.1);
        let mut times: BTreeMap<(String, SubjectType, String), Timestamp> = BTreeMap::new();
        for table in &populations.tables {
            for row in &table.rows {
                if let (Some(key), Some(time)) = (table.subject_of(row), table.time_of(row)) {
                    times.insert(key, time);
                }
            }
        }
        let mut series: Vec<(String, Vec<u64>)> = controls
            .iter()
            .map(|id| (id.clone(), vec![0; months.len()]))
            .collect();
        let mut undated = 0;
        for e in exceptions {
            let month = times
                .get(&(e.repo.clone(), e.subject_type, e.subject.clone()))
                .and_then(|t| months.iter().position(|m| *m == (t.year(), t.month())));
            let row = match series.iter().position(|(id, _)| *id == e.control) {
                Some(row) => row,
                None => {
                    series.push((e.control.clone(), vec![0; months.len()]));
                    series.len() - 1
                }
            };
            match month {
                Some(m) => series[row].1[m] += 1,
                None => undated += 1,
            }
        }
        MonthlyExceptions {
            months,
            series,
            undated,
        }
    }

    pub(in crate::bundle) fn totals(&self) -> Vec<u64> {
        (0..self.months.len())
            .map(|m| self.series.iter().map(|(_, counts)| counts[m]).sum())
            .collect()
    }
}

/// The months `[start, end)` touches.
fn months_of(start: Timestamp, end: Timestamp) -> Vec<(i32, u32)> {
    let mut months = Vec::new();
    let (mut year, mut month) = (start.year(), start.month());
    // At most twenty years of months: a longer window is not a SOC 2 period.
    while let Some(first) = Utc.with_ymd_and_hms(year, month, 1, 0, 0, 0).single() {
        if first >= end || months.len() >= 240 {
            break;
        }
        months.push((year, month));
        if month == 12 {
            year += 1;
            month = 1;
        } else {
            month += 1;
        }
    }
    months
}

pub(in crate::bundle) const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A tick step of 1, 2 or 5 times a power of ten giving at most five intervals.
pub(in crate::bundle) fn tick_step(max: u64) -> u64 {
    let mut step = 1;
    loop {
        for m in [1, 2, 5] {
            if max.div_ceil(step * m) <= 5 {
                return step * m;
            }
        }
        step *= 10;
    }
}

pub const HEIGHT: f32 = 200.0;

const LABEL: TextStyle = TextStyle::new(Face::Regular, 7.0, MUTED);
const VALUE: TextStyle = TextStyle::new(Face::Bold, 7.0, INK);
const LEGEND: TextStyle = TextStyle::new(Face::Regular, 7.5, INK);

/// Draws the chart in the box `(left, top, width, HEIGHT)`.
pub fn draw(
    fonts: &Fonts,
    page: &mut Page,
    data: &MonthlyExceptions,
    left: f32,
    top: f32,
    width: f32,
) {
    let legend_w = 118.0;
    let axis_w = 26.0;
    let plot_left = left + axis_w;
    let plot_right = left + width - legend_w - 10.0;
    let plot_top = top + 12.0;
    let plot_bottom = top + HEIGHT - 22.0;
    let plot_h = plot_bottom - plot_top;
    let totals = data.totals();
    let max = totals.iter().copied().max().unwrap_or(0);
    let step = tick_step(max.max(1));
    let axis_max = (max.max(1)).div_ceil(step) * step;
    let y_of = |v: f64| plot_bottom - (v / axis_max as f64) as f32 * plot_h;

    // Gridlines and the y axis labels.
    let mut tick = 0;
    while tick <= axis_max {
        let y = y_of(tick as f64);
        let color = if tick == 0 { RULE_STRONG } else { RULE };
        page.line(
            (plot_left, y),
            (plot_right, y),
            if tick == 0 { 0.8 } else { 0.4 },
            color,
        );
        let label = tick.to_string();
        let w = fonts.width(LABEL.face, LABEL.size, &label);
        page.text(plot_left - 5.0 - w, y + 2.4, LABEL, label);
        tick += step;
    }

    let slots = data.months.len().max(1) as f32;
    let slot = (plot_right - plot_left) / slots;
    let bar_w = (slot * 0.56).min(46.0);
    for (m, (year, month)) in data.months.iter().enumerate() {
        let cx = plot_left + slot * (m as f32 + 0.5);
        let x = cx - bar_w / 2.0;
        let mut base = 0u64;
        for (s, (_, counts)) in data.series.iter().enumerate() {
            let v = counts[m];
            if v == 0 {
                continue;
            }
            let y_top = y_of((base + v) as f64);
            let y_bottom = y_of(base as f64);
            page.fill(x, y_top, bar_w, y_bottom - y_top, SERIES[s % SERIES.len()]);
            // A hairline of white keeps adjacent segments apart.
            if base > 0 {
                page.line((x, y_bottom), (x + bar_w, y_bottom), 0.6, WHITE);
            }
            base += v;
        }
        if totals[m] > 0 {
            let label = totals[m].to_string();
            let w = fonts.width(VALUE.face, VALUE.size, &label);
            page.text(cx - w / 2.0, y_of(totals[m] as f64) - 3.0, VALUE, label);
        }
        let name = MONTHS.get(*month as usize - 1).copied().unwrap_or("?");
        let label = if data.months.len() > 8 {
            format!("{name} {:02}", year % 100)
        } else {
            format!("{name} {year}")
        };
        let w = fonts.width(LABEL.face, LABEL.size, &label);
        if w < slot || m % 2 == 0 {
            page.text(cx - w / 2.0, plot_bottom + 11.0, LABEL, label);
        }
    }

    // Legend: one swatch per control with its total.
    let lx = left + width - legend_w;
    let mut ly = plot_top + 2.0;
    page.text(lx, ly + 6.0, LEGEND.face(Face::Bold), "Control");
    let total_label = "Total";
    let tw = fonts.width(Face::Bold, LEGEND.size, total_label);
    page.text(
        left + width - tw,
        ly + 6.0,
        LEGEND.face(Face::Bold),
        total_label,
    );
    ly += 14.0;
    // Only the controls with charted exceptions (a bar segment to name), in rows that
    // fit the chart's height whatever their number.
    let shown: Vec<(usize, &String, u64)> = data
        .series
        .iter()
        .enumerate()
        .map(|(s, (id, counts))| (s, id, counts.iter().sum::<u64>()))
        .filter(|(_, _, n)| *n > 0)
        .collect();
    let room = top + HEIGHT - ly;
    let row = (room / shown.len().max(1) as f32).min(13.0);
    for (s, id, n) in shown {
        page.fill(
            lx,
            ly,
            9.0f32.min(row - 1.0),
            9.0f32.min(row - 1.0),
            SERIES[s % SERIES.len()],
        );
        page.text(lx + 14.0, ly + 7.6, LEGEND, id.clone());
        let label = n.to_string();
        let w = fonts.width(LEGEND.face, LEGEND.size, &label);
        page.text(left + width - w, ly + 7.6, LEGEND, label);
        ly += row;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_few() {
        assert_eq!(tick_step(1), 1);
        assert_eq!(tick_step(5), 1);
        assert_eq!(tick_step(7), 2);
        assert_eq!(tick_step(23), 5);
        assert_eq!(tick_step(480), 100);
    }

    #[test]
    fn the_window_gives_its_months() {
        let t = |s: &str| {
            chrono::DateTime::parse_from_rfc3339(s)
                .unwrap()
                .with_timezone(&Utc)
        };
        assert_eq!(
            months_of(t("2026-07-01T00:00:00Z"), t("2026-10-01T00:00:00Z")),
            vec![(2026, 7), (2026, 8), (2026, 9)]
        );
        assert_eq!(
            months_of(t("2026-11-15T00:00:00Z"), t("2027-01-02T00:00:00Z")),
            vec![(2026, 11), (2026, 12), (2027, 1)]
        );
    }
}
