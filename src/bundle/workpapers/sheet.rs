//! Writing a worksheet: cell values with their formats, column widths fitted to the
//! content, heights for wrapped rows, and Excel's limits (cell text length, hyperlinks
//! per sheet, URL length, the 1900 date system) handled rather than tripped over.

use std::collections::BTreeMap;

use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder, Url, Worksheet, XlsxError};

use crate::findings::ResultKind;
use crate::model::Timestamp;

use crate::bundle::format_time;
use crate::bundle::results::Cell;

/// Text longer than this (in characters) wraps instead of widening its column.
const WRAP_AT: usize = 60;
const MIN_WIDTH: usize = 6;
/// Excel refuses a cell string longer than this (UTF-16 code units).
const MAX_CELL_TEXT: usize = 32_767;
/// Excel refuses a hyperlink longer than this (UTF-16 code units).
const MAX_URL: usize = 2_080;
/// Excel's limit of hyperlinks per worksheet; further addresses are written as text.
const MAX_LINKS_PER_SHEET: usize = 65_530;
/// Shown for every date-time: Excel has no time zones, so the format says UTC.
const DATETIME_FORMAT: &str = "yyyy-mm-dd hh:mm:ss \"UTC\"";
/// Display width of a date-time in [`DATETIME_FORMAT`].
const DATETIME_WIDTH: usize = 23;

// ------------------------------------------------------------------------ formats

pub(super) struct Formats {
    pub(super) title: Format,
    pub(super) subtitle: Format,
    pub(super) banner: Format,
    pub(super) label: Format,
    pub(super) header: Format,
    pub(super) text: Format,
    pub(super) wrap: Format,
    pub(super) int: Format,
    pub(super) int_left: Format,
    pub(super) datetime: Format,
    pub(super) datetime_left: Format,
    pub(super) link: Format,
    pub(super) pass: Format,
    pub(super) fail: Format,
    pub(super) waived: Format,
    pub(super) untested: Format,
    pub(super) na: Format,
}

impl Formats {
    pub(super) fn new() -> Formats {
        let top = || Format::new().set_align(FormatAlign::Top);
        // Excel's own "Good", "Bad" and "Neutral" cell styles, so the colours read as
        // they do in any other workbook.
        let badge = |fill: u32, font: u32| {
            top()
                .set_background_color(Color::RGB(fill))
                .set_font_color(Color::RGB(font))
        };
        Formats {
            title: Format::new().set_bold().set_font_size(16),
            subtitle: Format::new()
                .set_italic()
                .set_font_color(Color::RGB(0x595959)),
            banner: Format::new()
                .set_bold()
                .set_font_color(Color::White)
                .set_background_color(Color::RGB(0xA4161A))
                .set_text_wrap()
                .set_align(FormatAlign::Top),
            label: top().set_bold(),
            header: top()
                .set_bold()
                .set_text_wrap()
                .set_background_color(Color::RGB(0xD9E1F2))
                .set_border_bottom(FormatBorder::Thin),
            text: top(),
            wrap: top().set_text_wrap(),
            int: top().set_num_format("0"),
            int_left: top().set_num_format("0").set_align(FormatAlign::Left),
            datetime: top().set_num_format(DATETIME_FORMAT),
            datetime_left: top()
                .set_num_format(DATETIME_FORMAT)
                .set_align(FormatAlign::Left),
            link: top().set_hyperlink(),
            pass: badge(0xC6EFCE, 0x006100),
            fail: badge(0xFFC7CE, 0x9C0006),
            waived: badge(0xFFEB9C, 0x9C5700),
            untested: badge(0xEDEDED, 0x404040),
            na: top().set_font_color(Color::RGB(0x808080)),
        }
    }

    /// The badge of a per-record result, by the report's class.
    pub(super) fn cell(&self, cell: &Cell) -> &Format {
        match cell.class() {
            "pass" => &self.pass,
            "fail" => &self.fail,
            "waived" => &self.waived,
            "na" => &self.na,
            _ => &self.untested,
        }
    }

    pub(super) fn result(&self, result: ResultKind) -> &Format {
        match result {
            ResultKind::Effective => &self.pass,
            ResultKind::Exceptions => &self.fail,
            ResultKind::NotTested => &self.untested,
            ResultKind::NotApplicable => &self.na,
        }
    }
}

// ------------------------------------------------------------------------ writing

/// One cell's value.
pub(super) enum Value<'a> {
    Text(String),
    Int(u64),
    /// A decimal number, written as the text it was given (e.g. `0.1250`), shown and
    /// stored as a number.
    Decimal(String),
    Bool(bool),
    Time(Timestamp),
    /// A hyperlink when the address is a web address Excel accepts, else text.
    Link {
        url: &'a str,
        text: String,
    },
    Styled(String, &'a Format),
    Empty,
}

pub(super) fn text(s: impl Into<String>) -> Value<'static> {
    Value::Text(s.into())
}

pub(super) fn list(items: &[String]) -> Value<'static> {
    Value::Text(items.join(", "))
}

pub(super) fn link(url: &str) -> Value<'_> {
    Value::Link {
        url,
        text: url.to_string(),
    }
}

/// A worksheet being written: tracks the widest content per column for the widths.
pub(super) struct Sheet<'f> {
    pub(super) ws: Worksheet,
    pub(super) f: &'f Formats,
    pub(super) widths: BTreeMap<u16, usize>,
    /// Per-column wrap widths that differ from [`WRAP_AT`].
    pub(super) wrap_at: BTreeMap<u16, usize>,
    /// The display width of each line of every wrapped cell, by row and column: spreadsheet
    /// programs do not grow a row for wrapped text on opening, so the heights are set.
    pub(super) wrapped: BTreeMap<u32, Vec<(u16, Vec<usize>)>>,
    /// Numbers and times aligned left, as in a list of facts rather than a table.
    pub(super) align_left: bool,
    pub(super) links: usize,
    /// Measuring only: widths, wraps and links are counted, nothing is written.
    dry_run: bool,
}

impl<'f> Sheet<'f> {
    pub(super) fn new(name: &str, f: &'f Formats) -> Result<Sheet<'f>, XlsxError> {
        Sheet::on(Worksheet::new(), name, f)
    }

    /// A sheet on a given worksheet (such as a low-memory one, which writes each row to
    /// a temporary file as soon as the next begins).
    pub(super) fn on(
        mut ws: Worksheet,
        name: &str,
        f: &'f Formats,
    ) -> Result<Sheet<'f>, XlsxError> {
        ws.set_name(name)?;
        // Printed, every sheet is one page wide: columns are never split across pages.
        ws.set_landscape();
        ws.set_print_fit_to_pages(1, 0);
        Ok(Sheet {
            ws,
            f,
            widths: BTreeMap::new(),
            wrap_at: BTreeMap::new(),
            wrapped: BTreeMap::new(),
            align_left: false,
            links: 0,
            dry_run: false,
        })
    }

    pub(super) fn fit(&mut self, col: u16, width: usize) {
        let entry = self.widths.entry(col).or_default();
        *entry = (*entry).max(width);
    }

    pub(super) fn wrap_width(&self, col: u16) -> usize {
        self.wrap_at.get(&col).copied().unwrap_or(WRAP_AT)
    }

    /// Text in a cell: wrapped when it has several lines or is wider than the column may
    /// grow, so the column keeps a readable width.
    pub(super) fn write_text(
        &mut self,
        row: u32,
        col: u16,
        value: &str,
        format: Option<&Format>,
    ) -> Result<(), XlsxError> {
        let value = excel_text(value);
        let lines: Vec<usize> = value.lines().map(display_width).collect();
        let widest = lines.iter().copied().max().unwrap_or(0);
        let limit = self.wrap_width(col);
        let wraps = widest > limit || lines.len() > 1;
        if wraps {
            self.wrapped.entry(row).or_default().push((col, lines));
        }
        let wrapped;
        let format = match format {
            Some(format) if wraps => {
                wrapped = format.clone().set_text_wrap();
                &wrapped
            }
            Some(format) => format,
            None if wraps => &self.f.wrap,
            None => &self.f.text,
        };
        if !self.dry_run {
            self.ws
                .write_string_with_format(row, col, value.as_ref(), format)?;
        }
        self.fit(col, widest.min(limit));
        Ok(())
    }

    pub(super) fn put(&mut self, row: u32, col: u16, value: Value<'_>) -> Result<(), XlsxError> {
        match value {
            Value::Text(s) => self.write_text(row, col, &s, None)?,
            Value::Styled(s, format) => self.write_text(row, col, &s, Some(format))?,
            Value::Int(n) => {
                // Excel keeps 15 significant digits: larger numbers stay exact as text.
                if n < 1_000_000_000_000_000 {
                    let format = if self.align_left {
                        &self.f.int_left
                    } else {
                        &self.f.int
                    };
                    if !self.dry_run {
                        self.ws
                            .write_number_with_format(row, col, n as f64, format)?;
                    }
                    self.fit(col, n.to_string().len());
                } else {
                    self.write_text(row, col, &n.to_string(), None)?;
                }
            }
            Value::Decimal(s) => match s.parse::<f64>() {
                Ok(v) if v.is_finite() => {
                    if !self.dry_run {
                        self.ws
                            .write_number_with_format(row, col, v, &self.f.text)?;
                    }
                    self.fit(col, s.len());
                }
                _ => self.write_text(row, col, &s, None)?,
            },
            Value::Bool(b) => {
                if !self.dry_run {
                    self.ws
                        .write_boolean_with_format(row, col, b, &self.f.text)?;
                }
                self.fit(col, 5);
            }
            Value::Time(t) => match excel_serial(t) {
                Some(serial) => {
                    let format = if self.align_left {
                        &self.f.datetime_left
                    } else {
                        &self.f.datetime
                    };
                    if !self.dry_run {
                        self.ws.write_number_with_format(row, col, serial, format)?;
                    }
                    self.fit(col, DATETIME_WIDTH);
                }
                None => self.write_text(row, col, &format_time(t), None)?,
            },
            Value::Link { url, text } => {
                let web = url.starts_with("https://") || url.starts_with("http://");
                if web
                    && self.links < MAX_LINKS_PER_SHEET
                    && url.encode_utf16().count() <= MAX_URL
                    && text.encode_utf16().count() <= MAX_URL
                {
                    if !self.dry_run {
                        let link = Url::new(url).set_text(text.as_str());
                        self.ws
                            .write_url_with_format(row, col, link, &self.f.link)?;
                    }
                    self.links += 1;
                    let width = display_width(&text).min(self.wrap_width(col));
                    self.fit(col, width);
                } else {
                    self.write_text(row, col, &text, None)?;
                }
            }
            Value::Empty => {}
        }
        Ok(())
    }

    /// A header row.
    pub(super) fn header(&mut self, row: u32, names: &[&str]) -> Result<(), XlsxError> {
        for (col, name) in names.iter().enumerate() {
            let col = col as u16;
            if !self.dry_run {
                self.ws
                    .write_string_with_format(row, col, *name, &self.f.header)?;
            }
            // Bold text and the filter button need room beyond the characters.
            self.fit(col, display_width(name) + 3);
        }
        Ok(())
    }

    /// A table: header at `first_row`, one row per record, a filter over all of it.
    /// Returns the next free row.
    pub(super) fn table<'v>(
        &mut self,
        first_row: u32,
        names: &[&str],
        rows: impl Iterator<Item = Vec<Value<'v>>>,
    ) -> Result<u32, XlsxError> {
        self.header(first_row, names)?;
        let mut row = first_row;
        for values in rows {
            row += 1;
            for (col, value) in values.into_iter().enumerate() {
                self.put(row, col as u16, value)?;
            }
        }
        let last_col = names.len().saturating_sub(1) as u16;
        self.ws.autofilter(first_row, 0, row, last_col)?;
        self.ws.set_repeat_rows(first_row, first_row)?;
        Ok(row + 1)
    }

    /// A table written row by row in one pass after measuring it in another, for a
    /// low-memory worksheet: each row's height is known (from the final column widths)
    /// when it is written, as a flushed row can no longer change. Gives the cells,
    /// widths and heights of [`Sheet::table`].
    pub(super) fn table_in_order<'v, I>(
        &mut self,
        names: &[&str],
        rows: impl Fn() -> I,
    ) -> Result<(), XlsxError>
    where
        I: Iterator<Item = Vec<Value<'v>>>,
    {
        self.dry_run = true;
        self.table(0, names, rows())?;
        self.dry_run = false;
        self.links = 0;
        let columns = self.final_widths();
        let wrapped = std::mem::take(&mut self.wrapped);
        self.header(0, names)?;
        let mut row = 0;
        for values in rows() {
            row += 1;
            for (col, value) in values.into_iter().enumerate() {
                self.put(row, col as u16, value)?;
            }
            if let Some(cells) = wrapped.get(&row) {
                self.ws.set_row_height(row, height_of(&columns, cells))?;
            }
        }
        // Wraps were recorded again while writing: their heights are set already.
        self.wrapped.clear();
        let last_col = names.len().saturating_sub(1) as u16;
        self.ws.autofilter(0, 0, row, last_col)?;
        self.ws.set_repeat_rows(0, 0)?;
        Ok(())
    }

    /// Column widths as [`Sheet::finish`] sets them.
    fn final_widths(&self) -> BTreeMap<u16, usize> {
        self.widths
            .iter()
            .map(|(col, width)| (*col, (width + 2).max(MIN_WIDTH)))
            .collect()
    }

    /// A line of prose that may run across empty neighbouring cells: not measured.
    pub(super) fn note(&mut self, row: u32, value: &str, format: &Format) -> Result<(), XlsxError> {
        self.ws
            .write_string_with_format(row, 0, excel_text(value).as_ref(), format)?;
        Ok(())
    }

    /// Wrapped prose across `cols` columns (merged), with a row height for its lines.
    pub(super) fn paragraph(
        &mut self,
        row: u32,
        cols: u16,
        value: &str,
        format: &Format,
    ) -> Result<(), XlsxError> {
        let value = excel_text(value);
        let width: usize = (0..cols)
            .map(|c| self.widths.get(&c).copied().unwrap_or(10) + 2)
            .sum();
        let lines: usize = value
            .lines()
            .map(|line| display_width(line).div_ceil(width.max(1)).max(1))
            .sum();
        self.ws
            .merge_range(row, 0, row, cols.saturating_sub(1), value.as_ref(), format)?;
        self.ws.set_row_height(row, row_height(lines))?;
        Ok(())
    }

    /// Applies the column widths and the heights of rows with wrapped text, and hands
    /// the worksheet over.
    pub(super) fn finish(mut self) -> Result<Worksheet, XlsxError> {
        let columns = self.final_widths();
        for (col, width) in &columns {
            self.ws.set_column_width(*col, *width as f64)?;
        }
        for (row, cells) in &self.wrapped {
            self.ws.set_row_height(*row, height_of(&columns, cells))?;
        }
        Ok(self.ws)
    }
}

/// The height of a row whose wrapped cells hold lines of these widths, by column.
fn height_of(columns: &BTreeMap<u16, usize>, cells: &[(u16, Vec<usize>)]) -> f64 {
    let lines = cells
        .iter()
        .map(|(col, lines)| {
            // A line wraps at about the column's width less its padding.
            let room = columns
                .get(col)
                .map_or(WRAP_AT, |w| w.saturating_sub(1).max(1));
            lines.iter().map(|w| w.div_ceil(room).max(1)).sum::<usize>()
        })
        .max()
        .unwrap_or(1);
    row_height(lines)
}

/// The height in points of a row showing `lines` lines of 11-point text, within Excel's
/// maximum row height.
fn row_height(lines: usize) -> f64 {
    const LINE: f64 = 15.0;
    const MAX_ROW_HEIGHT: f64 = 409.0;
    (LINE * lines.max(1) as f64).min(MAX_ROW_HEIGHT)
}

/// Characters as a spreadsheet shows them: one column each (close enough for the Latin,
/// Greek and Cyrillic text of the evidence; wide scripts get a column that wraps earlier).
fn display_width(text: &str) -> usize {
    text.chars().count()
}

/// Text Excel accepts in a cell: cut at its length limit with a pointer to the full text.
fn excel_text(value: &str) -> std::borrow::Cow<'_, str> {
    if value.encode_utf16().count() <= MAX_CELL_TEXT {
        return value.into();
    }
    const MARK: &str =
        " … [cut at Excel's cell limit; the CSV and findings.json hold the full text]";
    let budget = MAX_CELL_TEXT - MARK.encode_utf16().count();
    let mut used = 0;
    let mut cut = String::new();
    for c in value.chars() {
        used += c.len_utf16();
        if used > budget {
            break;
        }
        cut.push(c);
    }
    cut.push_str(MARK);
    cut.into()
}

/// An Excel date-time serial (1900 date system, days since 1899-12-30) for a UTC time;
/// None before 1900-03-01, where Excel's calendar is wrong.
fn excel_serial(t: Timestamp) -> Option<f64> {
    /// 1970-01-01 in Excel's serial days.
    const UNIX_EPOCH_SERIAL: f64 = 25_569.0;
    /// 1900-03-01 in Excel's serial days.
    const FIRST_EXACT_SERIAL: f64 = 61.0;
    let seconds = t.timestamp() as f64 + f64::from(t.timestamp_subsec_nanos()) / 1e9;
    let serial = UNIX_EPOCH_SERIAL + seconds / 86_400.0;
    (serial >= FIRST_EXACT_SERIAL).then_some(serial)
}

#[cfg(test)]
mod unit_tests {
    use super::*;

    #[test]
    pub(super) fn text_beyond_excels_cell_limit_is_cut_with_a_pointer() {
        let short = "Zoë".repeat(10);
        assert_eq!(excel_text(&short), short);
        // '𝄞' takes two UTF-16 units: the limit counts units, not characters.
        let long = "𝄞".repeat(20_000);
        let cut = excel_text(&long);
        assert!(cut.encode_utf16().count() <= MAX_CELL_TEXT);
        assert!(
            cut.ends_with("hold the full text]"),
            "{}",
            &cut[cut.len() - 80..]
        );
        assert!(cut.starts_with("𝄞𝄞𝄞"));
    }

    #[test]
    pub(super) fn date_time_serials_follow_excels_1900_system() {
        let at = |s: &str| {
            chrono::DateTime::parse_from_rfc3339(s)
                .unwrap()
                .with_timezone(&chrono::Utc)
        };
        assert_eq!(excel_serial(at("1970-01-01T00:00:00Z")), Some(25_569.0));
        assert_eq!(excel_serial(at("2026-07-11T09:00:00Z")), Some(46_214.375));
        let fraction = excel_serial(at("2026-07-11T09:00:00.5Z")).unwrap();
        assert!((fraction - 46_214.375 - 0.5 / 86_400.0).abs() < 1e-9);
        // Before 1900-03-01 Excel's calendar is off by a day: written as text instead.
        assert_eq!(excel_serial(at("1900-02-28T00:00:00Z")), None);
    }

    #[test]
    pub(super) fn links_beyond_excels_per_sheet_limit_become_text() {
        let formats = Formats::new();
        let mut sheet = Sheet::new("Links", &formats).unwrap();
        let url = "https://github.com/acme/api/pull/1";
        for row in 0..=MAX_LINKS_PER_SHEET as u32 {
            sheet.put(row, 0, link(url)).unwrap();
        }
        assert_eq!(sheet.links, MAX_LINKS_PER_SHEET);
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL));
        sheet.links = 0;
        sheet.put(0, 1, link(&long)).unwrap();
        assert_eq!(
            sheet.links, 0,
            "an address longer than Excel allows is text"
        );
    }
}
