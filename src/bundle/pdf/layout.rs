//! A small page-layout engine for the report: A4 pages with margins, text measured from
//! the fonts' advance widths and wrapped at word boundaries, tables whose header row
//! repeats on every page they continue onto, headings kept with what follows them, a
//! running header and footer with "page N of M", outline entries and page references.
//!
//! Coordinates are points from the page's top-left corner, y growing downwards; the
//! PDF writer turns them into PDF's bottom-up space. Content flows top to bottom: every
//! block asks [`Flow::reserve`] for its height and gets a new page when it would not fit.

use std::collections::BTreeMap;

use super::fonts::{Face, Fonts};

/// A4 in points.
pub const PAGE_WIDTH: f32 = 595.28;
pub const PAGE_HEIGHT: f32 = 841.89;
pub const MARGIN_LEFT: f32 = 56.7;
pub const MARGIN_RIGHT: f32 = 56.7;
/// The running header sits in the top margin, the footer in the bottom margin.
pub const MARGIN_TOP: f32 = 68.0;
pub const MARGIN_BOTTOM: f32 = 64.0;
pub const CONTENT_WIDTH: f32 = PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT;
const CONTENT_BOTTOM: f32 = PAGE_HEIGHT - MARGIN_BOTTOM;

/// Space between a table cell's text and its edges.
const CELL_PAD_X: f32 = 4.0;
const CELL_PAD_Y: f32 = 3.6;
/// Space between paragraphs inside one table cell.
const CELL_PARA_GAP: f32 = 1.2;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

/// Foreground and background of a coloured label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tone {
    pub fg: Rgb,
    pub bg: Rgb,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TextStyle {
    pub face: Face,
    pub size: f32,
    pub color: Rgb,
}

impl TextStyle {
    pub const fn new(face: Face, size: f32, color: Rgb) -> TextStyle {
        TextStyle { face, size, color }
    }

    pub const fn color(self, color: Rgb) -> TextStyle {
        TextStyle { color, ..self }
    }

    pub const fn face(self, face: Face) -> TextStyle {
        TextStyle { face, ..self }
    }

    pub const fn size(self, size: f32) -> TextStyle {
        TextStyle { size, ..self }
    }

    /// The distance between baselines of consecutive lines.
    pub fn line_height(self) -> f32 {
        self.size * 1.36
    }
}

/// Where a link leads.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    Uri(String),
    /// A named place in the document, see [`Flow::anchor`].
    Anchor(String),
}

/// Something drawn on a page.
#[derive(Debug, Clone, PartialEq)]
pub enum Mark {
    Text {
        x: f32,
        baseline: f32,
        style: TextStyle,
        text: String,
    },
    Fill {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        color: Rgb,
    },
    Line {
        from: (f32, f32),
        to: (f32, f32),
        width: f32,
        color: Rgb,
    },
    Link {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        target: Target,
    },
    /// The page number of an anchor, right-aligned at `right`; resolved by
    /// [`Flow::finish`] once every page exists.
    PageOf {
        right: f32,
        baseline: f32,
        style: TextStyle,
        anchor: String,
    },
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Page {
    pub marks: Vec<Mark>,
}

impl Page {
    pub fn text(&mut self, x: f32, baseline: f32, style: TextStyle, text: impl Into<String>) {
        let text = text.into();
        if !text.is_empty() {
            self.marks.push(Mark::Text {
                x,
                baseline,
                style,
                text,
            });
        }
    }

    pub fn fill(&mut self, x: f32, y: f32, w: f32, h: f32, color: Rgb) {
        self.marks.push(Mark::Fill { x, y, w, h, color });
    }

    pub fn line(&mut self, from: (f32, f32), to: (f32, f32), width: f32, color: Rgb) {
        self.marks.push(Mark::Line {
            from,
            to,
            width,
            color,
        });
    }

    pub fn link(&mut self, x: f32, y: f32, w: f32, h: f32, target: Target) {
        self.marks.push(Mark::Link { x, y, w, h, target });
    }

    /// Draws a wrapped line with its left edge at `x`.
    pub fn draw_line(&mut self, x: f32, baseline: f32, line: &Line) {
        for run in &line.runs {
            self.text(x + run.x, baseline, run.style, run.text.clone());
        }
    }
}

/// The baseline that centres capitals vertically in a line box starting at `top`.
pub fn baseline_in(top: f32, line_height: f32, size: f32) -> f32 {
    // DejaVu's capitals are 0.73 em tall: centre them in the box.
    top + line_height / 2.0 + 0.365 * size
}

/// A piece of text in one style.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    pub text: String,
    pub style: TextStyle,
}

impl Span {
    pub fn new(text: impl Into<String>, style: TextStyle) -> Span {
        Span {
            text: text.into(),
            style,
        }
    }
}

/// A run of one style within a wrapped line, `x` from the line's start.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub x: f32,
    pub style: TextStyle,
    pub text: String,
}

/// One wrapped line.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Line {
    pub runs: Vec<Run>,
    pub width: f32,
    /// The largest line height of the line's styles.
    pub height: f32,
}

impl Line {
    #[cfg(test)]
    pub fn text(&self) -> String {
        self.runs.iter().map(|r| r.text.as_str()).collect()
    }

    /// Appends text. A space before it is drawn in whichever of the two styles has the
    /// narrower space, so code in the monospaced face is not followed by a wide gap.
    fn push(&mut self, fonts: &Fonts, style: TextStyle, text: &str, space_before: bool) {
        let space_width = |s: TextStyle| fonts.width(s.face, s.size, " ");
        let mut text = text.to_string();
        if let Some(last) = self.runs.last_mut().filter(|_| space_before) {
            if last.style == style || space_width(last.style) <= space_width(style) {
                last.text.push(' ');
                self.width += space_width(last.style);
            } else {
                text.insert(0, ' ');
            }
        }
        match self.runs.last_mut() {
            Some(last) if last.style == style => last.text.push_str(&text),
            _ => self.runs.push(Run {
                x: self.width,
                style,
                text: text.clone(),
            }),
        }
        self.width += fonts.width(style.face, style.size, &text);
        self.height = self.height.max(style.line_height());
    }

    /// The width a space would add before a word in `style`.
    fn space_width(&self, fonts: &Fonts, style: TextStyle) -> f32 {
        self.runs
            .last()
            .map(|r| {
                fonts
                    .width(r.style.face, r.style.size, " ")
                    .min(fonts.width(style.face, style.size, " "))
            })
            .unwrap_or(0.0)
    }
}

/// A word with the style it is drawn in.
struct Word {
    style: TextStyle,
    text: String,
    width: f32,
    space_before: bool,
    /// Line breaks in the text before the word.
    breaks_before: usize,
}

fn words(fonts: &Fonts, spans: &[Span]) -> Vec<Word> {
    let mut out = Vec::new();
    let mut space = false;
    let mut breaks = 0;
    for span in spans {
        let text = span.text.replace("\r\n", "\n");
        for (i, part) in text.split('\n').enumerate() {
            if i > 0 {
                breaks += 1;
                space = false;
            }
            let part = fonts.clean(span.style.face, part);
            for (j, piece) in part.split(' ').enumerate() {
                if j > 0 {
                    space = true;
                }
                if piece.is_empty() {
                    continue;
                }
                out.push(Word {
                    style: span.style,
                    width: fonts.width(span.style.face, span.style.size, piece),
                    text: piece.to_string(),
                    space_before: space && breaks == 0,
                    breaks_before: breaks,
                });
                space = false;
                breaks = 0;
            }
        }
    }
    out
}

/// Characters after which a word too long for a line is preferably broken.
fn is_break_char(c: char) -> bool {
    matches!(
        c,
        '/' | '-' | '_' | '.' | ',' | ':' | ';' | '?' | '&' | '=' | '#' | '+'
    )
}

/// Splits a word into pieces, the first no wider than `first`, the others no wider than
/// `max`, breaking after punctuation where it can.
fn split_word(fonts: &Fonts, word: &Word, first: f32, max: f32) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut rest: &str = &word.text;
    let style = word.style;
    while !rest.is_empty() {
        let max = if pieces.is_empty() { first } else { max };
        if fonts.width(style.face, style.size, rest) <= max {
            pieces.push(rest.to_string());
            break;
        }
        // The longest prefix that fits, at least one character.
        let mut fit = 0;
        let mut width = 0.0;
        let mut last_break = None;
        for (i, c) in rest.char_indices() {
            let w = fonts.width(style.face, style.size, c.encode_utf8(&mut [0; 4]));
            if width + w > max && fit > 0 {
                break;
            }
            width += w;
            fit = i + c.len_utf8();
            if is_break_char(c) {
                last_break = Some(fit);
            }
        }
        // Break after punctuation unless that leaves a sliver of a line.
        let cut = match last_break {
            Some(b) if b * 3 >= fit => b,
            _ => fit,
        };
        pieces.push(rest[..cut].to_string());
        rest = &rest[cut..];
    }
    pieces
}

/// Wraps spans into lines no wider than `max` (a word wider than a line is broken).
pub fn wrap(fonts: &Fonts, spans: &[Span], max: f32) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut line = Line::default();
    for cluster in clusters(words(fonts, spans)) {
        let first = &cluster[0];
        if first.breaks_before > 0 {
            if !line.runs.is_empty() || !lines.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            // A blank line between two line breaks keeps its height.
            for _ in 1..first.breaks_before {
                lines.push(Line {
                    height: first.style.line_height(),
                    ..Line::default()
                });
            }
        }
        let space = if first.space_before {
            line.space_width(fonts, first.style)
        } else {
            0.0
        };
        let width: f32 = cluster.iter().map(|w| w.width).sum();
        if line.width + space + width <= max {
            for (i, word) in cluster.iter().enumerate() {
                line.push(fonts, word.style, &word.text, i == 0 && word.space_before);
            }
            continue;
        }
        if !line.runs.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        for word in &cluster {
            if line.width + word.width <= max {
                line.push(fonts, word.style, &word.text, false);
                continue;
            }
            // A word too long for what is left: it continues the line it is glued to
            // if a useful piece fits there, and breaks into pieces, each on its own line.
            let room = max - line.width;
            if !line.runs.is_empty() && room < word.style.size * 3.0 {
                lines.push(std::mem::take(&mut line));
            }
            let pieces = split_word(fonts, word, max - line.width, max);
            let last = pieces.len().saturating_sub(1);
            for (i, piece) in pieces.into_iter().enumerate() {
                line.push(fonts, word.style, &piece, false);
                if i < last {
                    lines.push(std::mem::take(&mut line));
                }
            }
        }
    }
    if !line.runs.is_empty() {
        lines.push(line);
    }
    lines
}

/// Words that touch (in different styles, with no space between) stay on one line.
fn clusters(words: Vec<Word>) -> Vec<Vec<Word>> {
    let mut out: Vec<Vec<Word>> = Vec::new();
    for word in words {
        match out.last_mut() {
            Some(cluster) if !word.space_before && word.breaks_before == 0 => cluster.push(word),
            _ => out.push(vec![word]),
        }
    }
    out
}

/// Shortens text with an ellipsis to fit `max`.
pub fn truncate(fonts: &Fonts, style: TextStyle, text: &str, max: f32) -> String {
    let text = fonts.clean(style.face, text);
    if fonts.width(style.face, style.size, &text) <= max {
        return text;
    }
    let ellipsis = fonts.width(style.face, style.size, "…");
    let mut out = String::new();
    let mut width = 0.0;
    for c in text.chars() {
        let w = fonts.width(style.face, style.size, c.encode_utf8(&mut [0; 4]));
        if width + w + ellipsis > max {
            break;
        }
        width += w;
        out.push(c);
    }
    out.trim_end().to_string() + "…"
}

/// A heading: kept on the same page as the start of what follows it.
#[derive(Debug, Clone)]
pub struct Heading {
    pub text: String,
    pub style: TextStyle,
    pub space_before: f32,
    pub space_after: f32,
    /// Level in the PDF outline (1 = top), if the heading is a bookmark.
    pub outline: Option<usize>,
    /// The outline's title when it should differ from the heading's text.
    pub outline_title: Option<String>,
    pub anchor: Option<String>,
    /// A rule under the heading, across the text width.
    pub rule: bool,
}

impl Heading {
    pub fn new(text: impl Into<String>, style: TextStyle) -> Heading {
        Heading {
            text: text.into(),
            style,
            space_before: style.size,
            space_after: style.size * 0.5,
            outline: None,
            outline_title: None,
            anchor: None,
            rule: false,
        }
    }

    /// Names the heading's bookmark differently from its text.
    pub fn outline_title(mut self, title: &str) -> Heading {
        self.outline_title = Some(title.to_string());
        self
    }
}

struct Pending {
    heading: Heading,
    lines: Vec<Line>,
}

impl Pending {
    fn height(&self, at_top: bool) -> f32 {
        let before = if at_top {
            0.0
        } else {
            self.heading.space_before
        };
        let rule = if self.heading.rule { 4.0 } else { 0.0 };
        before + self.lines.iter().map(|l| l.height).sum::<f32>() + rule + self.heading.space_after
    }
}

/// A bookmark of the PDF outline.
#[derive(Debug, Clone, PartialEq)]
pub struct OutlineEntry {
    pub title: String,
    pub level: usize,
    /// Page index, from 0.
    pub page: usize,
    pub top: f32,
}

/// Horizontal alignment of a table column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

#[derive(Debug, Clone)]
pub struct Column {
    pub title: String,
    /// Share of the table's width, relative to the other columns.
    pub weight: f32,
    pub align: Align,
    /// The style of the column's cells unless a cell says otherwise.
    pub style: TextStyle,
    /// Widened, where the table has room, so its cells' lines do not wrap.
    pub nowrap: bool,
}

impl Column {
    pub fn new(title: impl Into<String>, weight: f32, style: TextStyle) -> Column {
        Column {
            title: title.into(),
            weight,
            align: Align::Left,
            style,
            nowrap: false,
        }
    }

    pub fn nowrap(mut self) -> Column {
        self.nowrap = true;
        self
    }

    pub fn right(mut self) -> Column {
        self.align = Align::Right;
        self
    }
}

/// One paragraph of a table cell: runs of text, each in its own style or the column's.
#[derive(Debug, Clone)]
pub struct CellText {
    pub runs: Vec<(String, Option<TextStyle>)>,
}

impl CellText {
    fn spans(&self, default: TextStyle) -> Vec<Span> {
        self.runs
            .iter()
            .map(|(text, style)| Span::new(text.clone(), style.unwrap_or(default)))
            .collect()
    }

    fn is_empty(&self) -> bool {
        self.runs.iter().all(|(text, _)| text.is_empty())
    }
}

#[derive(Debug, Clone, Default)]
pub struct Cell {
    pub paras: Vec<CellText>,
    /// Draws the first paragraph as a coloured label.
    pub badge: Option<Tone>,
    pub link: Option<Target>,
}

impl Cell {
    pub fn new(text: impl Into<String>) -> Cell {
        Cell {
            paras: vec![CellText {
                runs: vec![(text.into(), None)],
            }],
            ..Cell::default()
        }
    }

    pub fn styled(text: impl Into<String>, style: TextStyle) -> Cell {
        Cell::default().para(text, style)
    }

    /// A cell of one paragraph of mixed styles.
    pub fn rich(spans: Vec<Span>) -> Cell {
        Cell {
            paras: vec![CellText {
                runs: spans.into_iter().map(|s| (s.text, Some(s.style))).collect(),
            }],
            ..Cell::default()
        }
    }

    /// Adds a paragraph in its own style.
    pub fn para(mut self, text: impl Into<String>, style: TextStyle) -> Cell {
        self.paras.push(CellText {
            runs: vec![(text.into(), Some(style))],
        });
        self
    }

    pub fn badge(text: impl Into<String>, tone: Tone) -> Cell {
        Cell {
            badge: Some(tone),
            ..Cell::new(text)
        }
    }

    pub fn link(mut self, target: Option<Target>) -> Cell {
        self.link = target;
        self
    }
}

#[derive(Debug, Clone)]
pub struct Table {
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
    /// Draws the header row (on every page the table continues onto).
    pub header: bool,
    /// Shown above the repeated header on continuation pages, e.g. "CM-01 exceptions".
    pub caption: Option<String>,
    pub zebra: bool,
    pub header_style: TextStyle,
    pub rule: Rgb,
    pub header_fill: Rgb,
    pub zebra_fill: Rgb,
    pub caption_style: TextStyle,
}

/// A table cell wrapped into lines.
struct LaidCell {
    /// Lines with the top offset of each from the cell's text top.
    lines: Vec<(f32, Line)>,
    /// How many of the lines the first paragraph takes (a label's lines).
    first_para: usize,
    height: f32,
}

/// The text of a cell that did not fit on a page ends with this.
const TRUNCATED: &str = "… (continued in the CSV files)";

/// The content flowing into pages.
pub struct Flow<'f> {
    fonts: &'f Fonts,
    pages: Vec<Page>,
    y: f32,
    /// Nothing is placed on the current page yet.
    fresh: bool,
    pending: Vec<Pending>,
    anchors: BTreeMap<String, (usize, f32)>,
    outline: Vec<OutlineEntry>,
}

/// What a finished flow gives the PDF writer.
pub struct Laid {
    pub pages: Vec<Page>,
    pub outline: Vec<OutlineEntry>,
    /// Page index and top of every anchor.
    pub anchors: BTreeMap<String, (usize, f32)>,
}

/// The running header and footer of every page.
pub struct Running {
    /// Left of the header: the audit's name.
    pub header_left: String,
    pub header_right: String,
    pub footer_left: String,
    /// Printed on every page, cover included, when the evidence is incomplete.
    pub incomplete: Option<String>,
}

impl<'f> Flow<'f> {
    pub fn new(fonts: &'f Fonts) -> Flow<'f> {
        Flow {
            fonts,
            pages: vec![Page::default()],
            y: MARGIN_TOP,
            fresh: true,
            pending: Vec::new(),
            anchors: BTreeMap::new(),
            outline: Vec::new(),
        }
    }

    pub fn fonts(&self) -> &'f Fonts {
        self.fonts
    }

    fn page(&mut self) -> &mut Page {
        self.pages.last_mut().expect("a flow always has a page")
    }

    pub fn new_page(&mut self) {
        self.pages.push(Page::default());
        self.y = MARGIN_TOP;
        self.fresh = true;
    }

    /// Vertical space; none at the top of a page.
    pub fn space(&mut self, h: f32) {
        if let Some(last) = self.pending.last_mut() {
            last.heading.space_after += h;
        } else if !self.fresh {
            self.y += h;
        }
    }

    pub fn heading(&mut self, heading: Heading) {
        let lines = wrap(
            self.fonts,
            &[Span::new(heading.text.clone(), heading.style)],
            CONTENT_WIDTH,
        );
        self.pending.push(Pending { heading, lines });
    }

    /// Takes `h` points of height at the cursor, on a new page if the current one has
    /// no room (a block taller than a page overflows an empty page rather than loop),
    /// placing any pending headings first. Returns the block's top.
    pub fn reserve(&mut self, h: f32) -> f32 {
        if !self.fresh && self.y + self.pending_height() + h > CONTENT_BOTTOM {
            self.new_page();
        }
        self.flush_pending();
        let top = self.y;
        self.y += h;
        self.fresh = false;
        top
    }

    fn flush_pending(&mut self) {
        for pending in std::mem::take(&mut self.pending) {
            let heading = pending.heading;
            if !self.fresh {
                self.y += heading.space_before;
            }
            let page_index = self.pages.len() - 1;
            let top = self.y;
            if let Some(level) = heading.outline {
                self.outline.push(OutlineEntry {
                    title: heading
                        .outline_title
                        .clone()
                        .unwrap_or_else(|| heading.text.clone()),
                    level,
                    page: page_index,
                    top,
                });
            }
            if let Some(anchor) = heading.anchor.clone() {
                self.anchors.insert(anchor, (page_index, top));
            }
            for line in &pending.lines {
                let baseline = baseline_in(self.y, line.height, heading.style.size);
                self.page().draw_line(MARGIN_LEFT, baseline, line);
                self.y += line.height;
            }
            if heading.rule {
                self.y += 3.0;
                let y = self.y;
                self.page().line(
                    (MARGIN_LEFT, y),
                    (MARGIN_LEFT + CONTENT_WIDTH, y),
                    0.8,
                    heading.style.color,
                );
                self.y += 1.0;
            }
            self.y += heading.space_after;
            self.fresh = false;
        }
    }

    /// A paragraph of spans, wrapped to the text width less `indent`; an optional
    /// `marker` (a bullet or a step number) hangs in the indent of the first line.
    pub fn paragraph(
        &mut self,
        spans: &[Span],
        indent: f32,
        marker: Option<Span>,
        space_after: f32,
    ) {
        let lines = wrap(self.fonts, spans, CONTENT_WIDTH - indent);
        if lines.is_empty() {
            return;
        }
        // Keep the first two and the last two lines together: no orphans, no widows.
        let n = lines.len();
        let mut groups: Vec<std::ops::Range<usize>> = Vec::new();
        if n <= 3 {
            groups.push(0..n);
        } else {
            groups.push(0..2);
            for i in 2..n - 2 {
                groups.push(i..i + 1);
            }
            groups.push(n - 2..n);
        }
        for (g, range) in groups.into_iter().enumerate() {
            let h: f32 = lines[range.clone()].iter().map(|l| l.height).sum();
            let mut top = self.reserve(h);
            for (i, line) in lines[range].iter().enumerate() {
                let size = line.runs.first().map(|r| r.style.size).unwrap_or(9.0);
                let baseline = baseline_in(top, line.height, size);
                if let Some(marker) = marker.as_ref().filter(|_| g == 0 && i == 0) {
                    self.page()
                        .text(MARGIN_LEFT, baseline, marker.style, marker.text.clone());
                }
                self.page().draw_line(MARGIN_LEFT + indent, baseline, line);
                top += line.height;
            }
        }
        self.space(space_after);
    }

    /// A block of fixed height drawn by `draw(page, left, top, width)`.
    pub fn block(&mut self, h: f32, draw: impl FnOnce(&mut Page, f32, f32, f32)) {
        let top = self.reserve(h);
        draw(self.page(), MARGIN_LEFT, top, CONTENT_WIDTH);
    }

    /// A table across the text width.
    pub fn table(&mut self, table: &Table) {
        let widths = self.column_widths(table);
        let header_cells: Vec<LaidCell> = table
            .columns
            .iter()
            .zip(&widths)
            .map(|(c, w)| {
                self.lay_cell(
                    &Cell::new(c.title.clone()),
                    table.header_style,
                    *w,
                    f32::MAX,
                )
            })
            .collect();
        let header_h = if table.header {
            row_height(&header_cells)
        } else {
            0.0
        };
        let caption_h = table.caption_style.line_height() + 2.0;
        // A row may take at most a page below the repeated header.
        let max_row = CONTENT_BOTTOM - MARGIN_TOP - header_h - caption_h;
        let mut header_on_page: Option<usize> = None;
        for (r, row) in table.rows.iter().enumerate() {
            let cells: Vec<LaidCell> = row
                .iter()
                .zip(&table.columns)
                .zip(&widths)
                .map(|((cell, column), w)| self.lay_cell(cell, column.style, *w, max_row))
                .collect();
            let h = row_height(&cells);
            let page_now = self.pages.len() - 1;
            let need_header = table.header && header_on_page != Some(page_now);
            let continued = header_on_page.is_some();
            let caption = if continued {
                table.caption.as_ref()
            } else {
                None
            };
            let mut need = h + if need_header {
                header_h + caption.map_or(0.0, |_| caption_h)
            } else {
                0.0
            };
            // The last row never continues alone on a page: it takes the one before along.
            if r + 2 == table.rows.len() && r > 0 {
                let last: Vec<LaidCell> = table.rows[r + 1]
                    .iter()
                    .zip(&table.columns)
                    .zip(&widths)
                    .map(|((cell, column), w)| self.lay_cell(cell, column.style, *w, max_row))
                    .collect();
                need += row_height(&last);
            }
            // Room on this page for the header (if due) and the row, or start a new page.
            if !self.fresh && self.y + self.pending_height() + need > CONTENT_BOTTOM {
                self.new_page();
            }
            let page_now = self.pages.len() - 1;
            if table.header && header_on_page != Some(page_now) {
                if let Some(caption) = caption {
                    let top = self.reserve(caption_h);
                    let baseline = baseline_in(top, caption_h, table.caption_style.size);
                    let text = format!("{caption} (continued)");
                    self.page()
                        .text(MARGIN_LEFT, baseline, table.caption_style, text);
                }
                let top = self.reserve(header_h);
                self.draw_row(table, &header_cells, &widths, top, header_h, true, None);
                header_on_page = Some(page_now);
            }
            let top = self.reserve(h);
            let zebra = table.zebra && r % 2 == 1;
            self.draw_row(table, &cells, &widths, top, h, false, Some((row, zebra)));
        }
    }

    /// Column widths from the weights, widened where a header word or a cell's word
    /// would not fit unbroken (up to a share of the table), taken from the others.
    fn column_widths(&self, table: &Table) -> Vec<f32> {
        let n = table.columns.len();
        let cap = CONTENT_WIDTH * 0.3;
        let fonts = self.fonts;
        let longest_word = |style: TextStyle, text: &str| -> f32 {
            fonts
                .clean(style.face, text)
                .split(' ')
                .map(|w| fonts.width(style.face, style.size, w))
                .fold(0.0, f32::max)
        };
        let mut min: Vec<f32> = table
            .columns
            .iter()
            .map(|c| {
                if table.header {
                    longest_word(table.header_style, &c.title)
                } else {
                    0.0
                }
            })
            .collect();
        for row in &table.rows {
            for (i, cell) in row.iter().enumerate().take(n) {
                let badge = if cell.badge.is_some() { 5.0 } else { 0.0 };
                let style = cell_style(cell, table.columns[i].style);
                for para in &cell.paras {
                    let spans = para.spans(style);
                    let w = if table.columns[i].nowrap {
                        spans
                            .iter()
                            .map(|s| {
                                fonts.width(
                                    s.style.face,
                                    s.style.size,
                                    &fonts.clean(s.style.face, &s.text),
                                )
                            })
                            .sum::<f32>()
                    } else {
                        spans
                            .iter()
                            .map(|s| longest_word(s.style, &s.text))
                            .fold(0.0, f32::max)
                    };
                    min[i] = min[i].max((w + badge).min(cap));
                }
            }
        }
        for m in &mut min {
            *m += 2.0 * CELL_PAD_X + 0.5;
        }
        let min_total: f32 = min.iter().sum();
        if min_total >= CONTENT_WIDTH {
            // Too wide: narrow the widest columns to a common width, keep the rest.
            let mut sorted = min.clone();
            sorted.sort_by(f32::total_cmp);
            let mut rest = CONTENT_WIDTH;
            let mut level = 0.0;
            for (i, m) in sorted.iter().enumerate() {
                let share = rest / (sorted.len() - i) as f32;
                if *m > share {
                    level = share;
                    break;
                }
                rest -= m;
            }
            return min.iter().map(|m| m.min(level)).collect();
        }
        let weights: Vec<f32> = table.columns.iter().map(|c| c.weight.max(0.0)).collect();
        let mut fixed = vec![false; n];
        let mut widths = vec![0.0; n];
        loop {
            let fixed_width: f32 = (0..n).filter(|&i| fixed[i]).map(|i| widths[i]).sum();
            let free_weight: f32 = (0..n).filter(|&i| !fixed[i]).map(|i| weights[i]).sum();
            for i in (0..n).filter(|&i| !fixed[i]) {
                widths[i] = if free_weight > 0.0 {
                    weights[i] / free_weight * (CONTENT_WIDTH - fixed_width)
                } else {
                    (CONTENT_WIDTH - fixed_width) / n as f32
                };
            }
            let mut changed = false;
            for i in 0..n {
                if !fixed[i] && widths[i] < min[i] {
                    widths[i] = min[i];
                    fixed[i] = true;
                    changed = true;
                }
            }
            if !changed {
                return widths;
            }
        }
    }

    fn pending_height(&self) -> f32 {
        self.pending
            .iter()
            .enumerate()
            .map(|(i, p)| p.height(self.fresh && i == 0))
            .sum()
    }

    fn lay_cell(&self, cell: &Cell, style: TextStyle, width: f32, max_height: f32) -> LaidCell {
        let style = cell_style(cell, style);
        let inner = (width - 2.0 * CELL_PAD_X).max(4.0);
        let mut lines = Vec::new();
        let mut first_para = None;
        let mut y = 0.0;
        let max_text = max_height - 2.0 * CELL_PAD_Y;
        'paras: for para in &cell.paras {
            if para.is_empty() {
                continue;
            }
            if !lines.is_empty() {
                y += CELL_PARA_GAP;
                first_para.get_or_insert(lines.len());
            }
            let spans = para.spans(style);
            let para_style = spans.first().map_or(style, |s| s.style);
            for line in wrap(self.fonts, &spans, inner) {
                if y + line.height > max_text {
                    // The row would not fit on a page: end it visibly instead.
                    if let Some((_, last)) = lines.last_mut() {
                        *last =
                            wrap(self.fonts, &[Span::new(TRUNCATED, para_style)], inner).remove(0);
                    }
                    break 'paras;
                }
                let h = line.height;
                lines.push((y, line));
                y += h;
            }
        }
        LaidCell {
            first_para: first_para.unwrap_or(lines.len()),
            lines,
            height: y,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn draw_row(
        &mut self,
        table: &Table,
        cells: &[LaidCell],
        widths: &[f32],
        top: f32,
        h: f32,
        header: bool,
        row: Option<(&Vec<Cell>, bool)>,
    ) {
        let page = self.page();
        let right = MARGIN_LEFT + CONTENT_WIDTH;
        if header {
            page.fill(MARGIN_LEFT, top, CONTENT_WIDTH, h, table.header_fill);
        } else if let Some((_, true)) = row {
            page.fill(MARGIN_LEFT, top, CONTENT_WIDTH, h, table.zebra_fill);
        }
        let mut x = MARGIN_LEFT;
        for (i, (laid, w)) in cells.iter().zip(widths).enumerate() {
            let column = &table.columns[i];
            let source = row.and_then(|(cells, _)| cells.get(i));
            let badge = source.and_then(|c| c.badge);
            let first_para_lines = laid.first_para;
            for (j, (offset, line)) in laid.lines.iter().enumerate() {
                let size = line.runs.first().map(|r| r.style.size).unwrap_or(7.0);
                let line_top = top + CELL_PAD_Y + offset;
                let baseline = baseline_in(line_top, line.height, size);
                let lx = match column.align {
                    Align::Left => x + CELL_PAD_X,
                    Align::Right => x + w - CELL_PAD_X - line.width,
                };
                if let (Some(tone), true) = (badge, j < first_para_lines) {
                    page.fill(
                        lx - 2.5,
                        line_top + 0.2,
                        line.width + 5.0,
                        line.height - 0.4,
                        tone.bg,
                    );
                    for run in &line.runs {
                        page.text(
                            lx + run.x,
                            baseline,
                            run.style.color(tone.fg).face(Face::Bold),
                            run.text.clone(),
                        );
                    }
                    continue;
                }
                page.draw_line(lx, baseline, line);
            }
            if let (Some(target), Some((_, first))) =
                (source.and_then(|c| c.link.clone()), laid.lines.first())
            {
                let lx = match column.align {
                    Align::Left => x + CELL_PAD_X,
                    Align::Right => x + w - CELL_PAD_X - first.width,
                };
                page.link(lx, top + CELL_PAD_Y, first.width, first.height, target);
            }
            x += w;
        }
        let (width, color) = if header {
            (0.7, table.header_style.color)
        } else {
            (0.35, table.rule)
        };
        page.line((MARGIN_LEFT, top + h), (right, top + h), width, color);
    }

    /// Every page with its running header and footer, page references resolved.
    pub fn finish(mut self, running: &Running) -> Laid {
        self.flush_pending();
        let total = self.pages.len();
        let fonts = self.fonts;
        for (i, page) in self.pages.iter_mut().enumerate() {
            decorate(fonts, page, i, total, running);
            for mark in &mut page.marks {
                if let Mark::PageOf {
                    right,
                    baseline,
                    style,
                    anchor,
                } = mark
                {
                    let text = self
                        .anchors
                        .get(anchor.as_str())
                        .map(|(p, _)| (p + 1).to_string())
                        .unwrap_or_default();
                    let x = *right - fonts.width(style.face, style.size, &text);
                    *mark = Mark::Text {
                        x,
                        baseline: *baseline,
                        style: *style,
                        text,
                    };
                }
            }
        }
        Laid {
            pages: self.pages,
            outline: self.outline,
            anchors: self.anchors,
        }
    }

    /// Moves the cursor down to `y` on the current page (for the cover).
    pub fn move_to(&mut self, y: f32) {
        self.y = self.y.max(y);
    }
}

/// The style a cell's text is laid out in: a label is bold.
fn cell_style(cell: &Cell, column: TextStyle) -> TextStyle {
    if cell.badge.is_some() {
        column.face(Face::Bold)
    } else {
        column
    }
}

fn row_height(cells: &[LaidCell]) -> f32 {
    cells.iter().map(|c| c.height).fold(0.0, f32::max) + 2.0 * CELL_PAD_Y
}

const HEADER_STYLE: TextStyle = TextStyle::new(Face::Regular, 7.5, Rgb(0x5b, 0x67, 0x75));
const INCOMPLETE_STYLE: TextStyle = TextStyle::new(Face::Bold, 8.5, Rgb(0xff, 0xff, 0xff));
const INCOMPLETE_FILL: Rgb = Rgb(0xb4, 0x23, 0x18);
const FOOTER_RULE: Rgb = Rgb(0xd5, 0xda, 0xe1);

/// The running header (not on the cover), the footer with "page N of M", and the
/// INCOMPLETE band at the top of every page when the evidence is incomplete.
fn decorate(fonts: &Fonts, page: &mut Page, index: usize, total: usize, running: &Running) {
    let right = MARGIN_LEFT + CONTENT_WIDTH;
    let mut marks = Vec::new();
    let mut top = Page::default();
    if let Some(text) = &running.incomplete {
        top.fill(0.0, 0.0, PAGE_WIDTH, 20.0, INCOMPLETE_FILL);
        let text = truncate(fonts, INCOMPLETE_STYLE, text, CONTENT_WIDTH);
        let w = fonts.width(INCOMPLETE_STYLE.face, INCOMPLETE_STYLE.size, &text);
        top.text(
            (PAGE_WIDTH - w) / 2.0,
            baseline_in(0.0, 20.0, INCOMPLETE_STYLE.size),
            INCOMPLETE_STYLE,
            text,
        );
    }
    if index > 0 {
        let y = MARGIN_TOP - 26.0;
        let half = CONTENT_WIDTH * 0.62;
        let left = truncate(fonts, HEADER_STYLE, &running.header_left, half);
        top.text(MARGIN_LEFT, y, HEADER_STYLE, left);
        let right_text = truncate(
            fonts,
            HEADER_STYLE,
            &running.header_right,
            CONTENT_WIDTH - half - 12.0,
        );
        let w = fonts.width(HEADER_STYLE.face, HEADER_STYLE.size, &right_text);
        top.text(right - w, y, HEADER_STYLE, right_text);
        top.line((MARGIN_LEFT, y + 5.0), (right, y + 5.0), 0.4, FOOTER_RULE);
    }
    let y = PAGE_HEIGHT - MARGIN_BOTTOM + 30.0;
    top.line((MARGIN_LEFT, y - 11.0), (right, y - 11.0), 0.4, FOOTER_RULE);
    let number = format!("page {} of {}", index + 1, total);
    let w = fonts.width(HEADER_STYLE.face, HEADER_STYLE.size, &number);
    top.text(right - w, y, HEADER_STYLE, number);
    let footer = truncate(
        fonts,
        HEADER_STYLE,
        &running.footer_left,
        CONTENT_WIDTH * 0.6,
    );
    top.text(MARGIN_LEFT, y, HEADER_STYLE, footer);
    if running.incomplete.is_some() {
        let style = HEADER_STYLE.face(Face::Bold).color(INCOMPLETE_FILL);
        let w = fonts.width(style.face, style.size, "INCOMPLETE");
        top.text(
            MARGIN_LEFT + CONTENT_WIDTH * 0.72 - w / 2.0,
            y,
            style,
            "INCOMPLETE",
        );
    }
    // Decoration first: content draws over the band's fill, never under it.
    marks.append(&mut top.marks);
    marks.append(&mut page.marks);
    page.marks = marks;
}

#[cfg(test)]
mod tests {
    use super::*;

    const STYLE: TextStyle = TextStyle::new(Face::Regular, 9.5, Rgb(0, 0, 0));

    fn running() -> Running {
        Running {
            header_left: "Audit".into(),
            header_right: "Report".into(),
            footer_left: "footer".into(),
            incomplete: None,
        }
    }

    /// The texts of each page.
    fn texts(laid: &Laid) -> Vec<Vec<String>> {
        laid.pages
            .iter()
            .map(|p| {
                p.marks
                    .iter()
                    .filter_map(|m| match m {
                        Mark::Text { text, .. } => Some(text.clone()),
                        _ => None,
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn wrapped_lines_fit_and_keep_every_word() {
        let fonts = Fonts::load().unwrap();
        let text = "Every change to production code is approved before it is merged by people who did not write it, see CM-01/acme/api/change/1234/self_approval and 8e95602492122769a1bba5ba17345ee3b2aa6f56.";
        let lines = wrap(&fonts, &[Span::new(text, STYLE)], 120.0);
        assert!(lines.len() > 5);
        for line in &lines {
            let measured = fonts.width(STYLE.face, STYLE.size, &line.text());
            assert!(measured <= 120.0 + 0.01, "{measured}: {}", line.text());
            assert!((measured - line.width).abs() < 0.01);
        }
        let joined: String = lines.iter().map(Line::text).collect::<Vec<_>>().join(" ");
        assert_eq!(joined.replace(' ', ""), text.replace(' ', ""));
        // The long id breaks after a slash, not inside a word.
        assert!(lines.iter().any(|l| l.text().ends_with('/')), "{lines:?}");
    }

    #[test]
    fn touching_spans_stay_on_one_line_and_breaks_are_kept() {
        let fonts = Fonts::load().unwrap();
        let code = STYLE.face(Face::Mono);
        let spans = [
            Span::new("an address (", STYLE),
            Span::new("login@users.noreply.github.com", code),
            Span::new(") ends here\nsecond line", STYLE),
        ];
        let lines = wrap(&fonts, &spans, 150.0);
        let texts: Vec<String> = lines.iter().map(Line::text).collect();
        // The parenthesis stays with the address it opens.
        assert!(texts.iter().any(|t| t.contains("(login@")), "{texts:?}");
        assert!(!texts.iter().any(|t| t.ends_with('(')), "{texts:?}");
        assert_eq!(texts.last().unwrap(), "second line");
    }

    #[test]
    fn a_heading_is_never_left_alone_at_the_bottom_of_a_page() {
        let fonts = Fonts::load().unwrap();
        let mut flow = Flow::new(&fonts);
        // Fill the page to just above the bottom: room for the heading, not for more.
        while flow.y < CONTENT_BOTTOM - 40.0 {
            flow.paragraph(&[Span::new("filler", STYLE)], 0.0, None, 0.0);
        }
        let mut heading = Heading::new("The heading", STYLE.size(12.5));
        heading.outline = Some(1);
        flow.heading(heading);
        flow.paragraph(
            &[Span::new("First line of what follows, long enough to wrap onto a second line of the page and a third one as well, with more words.", STYLE)],
            0.0,
            None,
            0.0,
        );
        let laid = flow.finish(&running());
        let texts = texts(&laid);
        let heading_page = texts
            .iter()
            .position(|t| t.iter().any(|s| s == "The heading"))
            .unwrap();
        let body_page = texts
            .iter()
            .position(|t| t.iter().any(|s| s.starts_with("First line")))
            .unwrap();
        assert_eq!(heading_page, body_page);
        assert_eq!(
            heading_page, 1,
            "the heading moved to the next page with its text"
        );
        assert_eq!(laid.outline[0].page, 1);
    }

    #[test]
    fn a_table_repeats_its_header_on_every_page_it_continues_onto() {
        let fonts = Fonts::load().unwrap();
        let mut flow = Flow::new(&fonts);
        let table = Table {
            columns: vec![
                Column::new("Row title", 30.0, STYLE),
                Column::new("Amount", 10.0, STYLE).right(),
            ],
            rows: (0..150)
                .map(|i| vec![Cell::new(format!("row {i}")), Cell::new(i.to_string())])
                .collect(),
            header: true,
            caption: Some("Rows".into()),
            zebra: true,
            header_style: STYLE.face(Face::Bold),
            rule: Rgb(200, 200, 200),
            header_fill: Rgb(240, 240, 240),
            zebra_fill: Rgb(248, 248, 248),
            caption_style: STYLE,
        };
        flow.table(&table);
        let laid = flow.finish(&running());
        let texts = texts(&laid);
        assert!(texts.len() >= 3, "{} pages", texts.len());
        let mut rows = 0;
        for (i, page) in texts.iter().enumerate() {
            rows += page.iter().filter(|t| t.starts_with("row ")).count();
            assert_eq!(
                page.iter().filter(|t| *t == "Row title").count(),
                1,
                "page {i}"
            );
            assert_eq!(
                page.iter().filter(|t| *t == "Rows (continued)").count(),
                usize::from(i > 0),
                "page {i}"
            );
        }
        assert_eq!(rows, 150);
        let last_page_rows = texts
            .last()
            .unwrap()
            .iter()
            .filter(|t| t.starts_with("row "))
            .count();
        assert!(last_page_rows >= 2, "the last row is alone on its page");
        // Numbers are right-aligned: every amount ends at the same x.
        let ends: Vec<f32> = laid.pages[0]
            .marks
            .iter()
            .filter_map(|m| match m {
                Mark::Text { x, text, style, .. }
                    if text.chars().all(|c| c.is_ascii_digit()) && style.face == Face::Regular =>
                {
                    Some(x + fonts.width(style.face, style.size, text))
                }
                _ => None,
            })
            .collect();
        assert!(ends.len() > 10);
        assert!(ends.iter().all(|e| (e - ends[0]).abs() < 0.01), "{ends:?}");
    }

    #[test]
    fn page_references_resolve_and_every_page_is_numbered() {
        let fonts = Fonts::load().unwrap();
        let mut flow = Flow::new(&fonts);
        flow.block(10.0, |page, x, y, _| {
            page.marks.push(Mark::PageOf {
                right: x + 100.0,
                baseline: y + 8.0,
                style: STYLE,
                anchor: "target".into(),
            })
        });
        flow.new_page();
        flow.new_page();
        let mut heading = Heading::new("Target", STYLE);
        heading.anchor = Some("target".into());
        flow.heading(heading);
        flow.paragraph(&[Span::new("text", STYLE)], 0.0, None, 0.0);
        let laid = flow.finish(&Running {
            incomplete: Some("INCOMPLETE — test".into()),
            ..running()
        });
        let texts = texts(&laid);
        assert!(texts[0].iter().any(|t| t == "3"), "{:?}", texts[0]);
        for (i, page) in texts.iter().enumerate() {
            assert!(page.iter().any(|t| *t == format!("page {} of 3", i + 1)));
            assert!(page.iter().any(|t| t == "INCOMPLETE"));
        }
    }
}
