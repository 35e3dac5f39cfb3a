//! The report's charts as inline SVG: exceptions by month and control, and each
//! control's records by result. Drawn from the same data as the PDF's figure, with a
//! `<title>` on every bar for pointer and screen-reader users and a text summary beside
//! each chart, so nothing is carried by colour alone.

use std::fmt::Write as _;

use crate::findings::ControlResult;

use super::pdf::chart::{MONTHS, MonthlyExceptions, tick_step};
use super::population::Populations;
use super::results::Cell;

/// Series colours (the PDF's palette), by control order.
const SERIES: [&str; 8] = [
    "#1b365d", "#2a9d8f", "#e9a23b", "#c44536", "#7b5ea7", "#6a8e3b", "#8c6d46", "#4f8fd6",
];
const INK: &str = "#1d2430";
const MUTED: &str = "#5b6576";
const RULE: &str = "#d9dee7";

/// Text for SVG content and attribute values.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Stacked bars: one per month, one colour per control.
pub(super) fn exceptions_by_month(data: &MonthlyExceptions) -> String {
    let (width, height) = (640.0_f32, 250.0_f32);
    let (left, right, top, bottom) = (40.0_f32, 130.0_f32, 14.0_f32, 34.0_f32);
    let plot_w = width - left - right;
    let plot_h = height - top - bottom;
    let totals = data.totals();
    let max = totals.iter().copied().max().unwrap_or(0);
    let step = tick_step(max.max(1));
    let ceiling = max.max(1).div_ceil(step) * step;
    let y = |v: u64| top + plot_h - plot_h * v as f32 / ceiling as f32;
    let mut svg = String::new();
    let total: u64 = totals.iter().sum();
    let _ = write!(
        svg,
        r#"<svg viewBox="0 0 {width} {height}" role="img" aria-labelledby="chart-months-title chart-months-desc" font-family="inherit" font-size="11"><title id="chart-months-title">Exceptions by month and control</title><desc id="chart-months-desc">{total} exceptions dated by their record's month across {} months.</desc>"#,
        data.months.len()
    );
    let mut tick = 0;
    while tick <= ceiling {
        let ty = y(tick);
        let _ = write!(
            svg,
            r#"<line x1="{left}" y1="{ty:.1}" x2="{:.1}" y2="{ty:.1}" stroke="{RULE}" stroke-width="1"/><text x="{:.1}" y="{:.1}" text-anchor="end" fill="{MUTED}">{tick}</text>"#,
            left + plot_w,
            left - 6.0,
            ty + 4.0
        );
        tick += step;
    }
    let slot = plot_w / data.months.len().max(1) as f32;
    let bar = (slot * 0.6).min(56.0);
    for (m, (year, month)) in data.months.iter().enumerate() {
        let x = left + slot * m as f32 + (slot - bar) / 2.0;
        let mut base = 0;
        let name = MONTHS.get(*month as usize - 1).copied().unwrap_or("?");
        for (s, (control, counts)) in data.series.iter().enumerate() {
            let n = counts[m];
            if n == 0 {
                continue;
            }
            let (y0, y1) = (y(base), y(base + n));
            let _ = write!(
                svg,
                r#"<rect x="{x:.1}" y="{y1:.1}" width="{bar:.1}" height="{:.1}" fill="{}"><title>{}: {n} in {name} {year}</title></rect>"#,
                (y0 - y1).max(0.5),
                SERIES[s % SERIES.len()],
                esc(control)
            );
            base += n;
        }
        if totals[m] > 0 {
            let _ = write!(
                svg,
                r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="{INK}" font-weight="600">{}</text>"#,
                x + bar / 2.0,
                y(totals[m]) - 4.0,
                totals[m]
            );
        }
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="{MUTED}">{name} {year}</text>"#,
            x + bar / 2.0,
            top + plot_h + 18.0
        );
    }
    let _ = write!(
        svg,
        r#"<line x1="{left}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{MUTED}" stroke-width="1"/>"#,
        top + plot_h,
        left + plot_w,
        top + plot_h
    );
    for (s, (control, counts)) in data.series.iter().enumerate() {
        let ly = top + 6.0 + 18.0 * s as f32;
        let lx = width - right + 16.0;
        let _ = write!(
            svg,
            r#"<rect x="{lx:.1}" y="{ly:.1}" width="11" height="11" fill="{}"/><text x="{:.1}" y="{:.1}" fill="{INK}">{} ({})</text>"#,
            SERIES[s % SERIES.len()],
            lx + 16.0,
            ly + 10.0,
            esc(control),
            counts.iter().sum::<u64>()
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Records of each control's population by result, from the population tables; a
/// control without a table shows its tested and untested counts.
pub(super) fn results_by_control(
    controls: &[ControlResult],
    populations: &Populations<'_>,
) -> String {
    const KINDS: [(&str, &str); 5] = [
        ("pass", "#17663a"),
        ("open exception", "#a4161a"),
        ("waived", "#8a93a3"),
        ("not tested", "#e0a030"),
        ("tested (no per-record result)", "#5b7fa8"),
    ];
    let row_h = 26.0_f32;
    let (left, right, top) = (64.0_f32, 16.0_f32, 8.0_f32);
    let width = 640.0_f32;
    let legend_h = 22.0;
    let height = top + row_h * controls.len().max(1) as f32 + legend_h + 8.0;
    let plot_w = width - left - right;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg viewBox="0 0 {width} {height:.0}" role="img" aria-labelledby="chart-results-title chart-results-desc" font-family="inherit" font-size="11"><title id="chart-results-title">Records by result, per control</title><desc id="chart-results-desc">For each control, the share of its population that passed, has an open exception, has only waived exceptions, or was not tested.</desc>"#
    );
    for (i, control) in controls.iter().enumerate() {
        let mut counts = [0_u64; 5];
        match populations.for_control(&control.id).and_then(|t| {
            let column = t.spec.controls.iter().position(|c| *c == control.id)?;
            Some((t, column))
        }) {
            Some((table, column)) => {
                for row in &table.rows {
                    match &row.results[column] {
                        Cell::Pass => counts[0] += 1,
                        Cell::Exceptions(kinds) if kinds.iter().all(|(_, w)| *w) => counts[2] += 1,
                        Cell::Exceptions(_) => counts[1] += 1,
                        Cell::NotTested | Cell::Undetermined => counts[3] += 1,
                        Cell::NotApplicable => {}
                    }
                }
            }
            None => {
                counts[4] = control.tested;
                counts[3] = control.population.saturating_sub(control.tested);
            }
        }
        let total: u64 = counts.iter().sum();
        let y = top + row_h * i as f32;
        let _ = write!(
            svg,
            r#"<text x="0" y="{:.1}" fill="{INK}" font-weight="600">{}</text>"#,
            y + 15.0,
            esc(&control.id)
        );
        if total == 0 {
            let _ = write!(
                svg,
                r#"<text x="{left}" y="{:.1}" fill="{MUTED}">empty population</text>"#,
                y + 15.0
            );
            continue;
        }
        let mut x = left;
        for (k, n) in counts.iter().enumerate() {
            if *n == 0 {
                continue;
            }
            let w = (plot_w * *n as f32 / total as f32).max(2.0);
            let _ = write!(
                svg,
                r#"<rect x="{x:.1}" y="{:.1}" width="{w:.1}" height="16" fill="{}"><title>{}: {n} of {total} {}</title></rect>"#,
                y + 3.0,
                KINDS[k].1,
                esc(&control.id),
                KINDS[k].0
            );
            x += w;
        }
    }
    let ly = top + row_h * controls.len().max(1) as f32 + 6.0;
    let mut lx = left;
    for (label, colour) in KINDS {
        let _ = write!(
            svg,
            r#"<rect x="{lx:.1}" y="{ly:.1}" width="11" height="11" fill="{colour}"/><text x="{:.1}" y="{:.1}" fill="{INK}">{label}</text>"#,
            lx + 15.0,
            ly + 10.0
        );
        lx += 30.0 + 6.2 * label.len() as f32;
    }
    svg.push_str("</svg>");
    svg
}
