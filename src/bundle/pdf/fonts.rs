//! The report's typefaces: DejaVu Sans, Sans Bold and Sans Mono, shipped in
//! `templates/fonts/` and embedded in the binary, so a report never depends on the fonts
//! of the machine that renders it. Text is measured from the fonts' own advance widths,
//! and each face is embedded as a subset of the glyphs the report uses.

use std::collections::{BTreeMap, BTreeSet};

use allsorts::binary::read::ReadScope;
use allsorts::font_data::FontData;
use allsorts::subset::{CmapTarget, SubsetProfile, subset};
use printpdf::ParsedFont;

use super::PdfError;

const SANS: &[u8] = include_bytes!("../../../templates/fonts/DejaVuSans.ttf");
const SANS_BOLD: &[u8] = include_bytes!("../../../templates/fonts/DejaVuSans-Bold.ttf");
const MONO: &[u8] = include_bytes!("../../../templates/fonts/DejaVuSansMono.ttf");

/// Drawn for a character the face has no glyph for, so the gap is visible, not silent.
const REPLACEMENT: char = '\u{FFFD}';

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Face {
    Regular,
    Bold,
    Mono,
}

impl Face {
    /// The PostScript name, also the PDF font resource name.
    pub fn postscript_name(self) -> &'static str {
        match self {
            Face::Regular => "DejaVuSans",
            Face::Bold => "DejaVuSans-Bold",
            Face::Mono => "DejaVuSansMono",
        }
    }

    fn bytes(self) -> &'static [u8] {
        match self {
            Face::Regular => SANS,
            Face::Bold => SANS_BOLD,
            Face::Mono => MONO,
        }
    }

    fn index(self) -> usize {
        match self {
            Face::Regular => 0,
            Face::Bold => 1,
            Face::Mono => 2,
        }
    }
}

/// Glyph coverage and advance widths of one face.
struct Metrics {
    units_per_em: f32,
    /// Advance of each character in font units; Latin-1 and Latin Extended-A, the bulk of
    /// any report, are looked up in this table instead of the maps below.
    common: Vec<Option<u16>>,
    glyphs: BTreeMap<u32, u16>,
    advances: BTreeMap<u16, u16>,
}

const COMMON_CHARS: usize = 0x250;

impl Metrics {
    fn parse(face: Face) -> Result<Metrics, PdfError> {
        let mut warnings = Vec::new();
        let font = ParsedFont::from_bytes(face.bytes(), 0, &mut warnings).ok_or_else(|| {
            PdfError::Font(format!(
                "templates/fonts/{}: the embedded font does not parse ({warnings:?})",
                face.postscript_name()
            ))
        })?;
        let advances = font.glyph_widths.clone();
        let glyphs = font.codepoint_to_glyph.clone();
        let common = (0..COMMON_CHARS as u32)
            .map(|c| glyphs.get(&c).and_then(|g| advances.get(g)).copied())
            .collect();
        Ok(Metrics {
            units_per_em: f32::from(font.units_per_em.max(1)),
            common,
            glyphs,
            advances,
        })
    }

    fn advance(&self, c: char) -> Option<u16> {
        let code = c as usize;
        if code < COMMON_CHARS {
            return self.common[code];
        }
        let glyph = self.glyphs.get(&(c as u32))?;
        self.advances.get(glyph).copied()
    }
}

/// The three faces with their metrics.
pub struct Fonts {
    metrics: [Metrics; 3],
}

impl Fonts {
    pub fn load() -> Result<Fonts, PdfError> {
        Ok(Fonts {
            metrics: [
                Metrics::parse(Face::Regular)?,
                Metrics::parse(Face::Bold)?,
                Metrics::parse(Face::Mono)?,
            ],
        })
    }

    fn metrics(&self, face: Face) -> &Metrics {
        &self.metrics[face.index()]
    }

    /// The text as the face can draw it: tabs become spaces, other control characters
    /// go, and a character without a glyph becomes U+FFFD.
    pub fn clean(&self, face: Face, text: &str) -> String {
        let metrics = self.metrics(face);
        text.chars()
            .filter_map(|c| match c {
                '\t' => Some(' '),
                c if c.is_control() => None,
                c if metrics.advance(c).is_some() => Some(c),
                _ => Some(REPLACEMENT),
            })
            .collect()
    }

    /// Width in points of text already [`clean`](Fonts::clean)ed for the face.
    pub fn width(&self, face: Face, size: f32, text: &str) -> f32 {
        let metrics = self.metrics(face);
        let units: u32 = text
            .chars()
            .map(|c| u32::from(metrics.advance(c).unwrap_or(0)))
            .sum();
        units as f32 / metrics.units_per_em * size
    }

    /// A face reduced to the glyphs of `chars` (plus `.notdef`), parsed for embedding:
    /// the glyph ids change, the advance widths and the Unicode mapping stay.
    pub fn subset(&self, face: Face, chars: &BTreeSet<char>) -> Result<ParsedFont, PdfError> {
        let error = |message: String| {
            PdfError::Font(format!(
                "templates/fonts/{}: subsetting failed: {message}",
                face.postscript_name()
            ))
        };
        let metrics = self.metrics(face);
        let mut glyph_ids: Vec<u16> = chars
            .iter()
            .filter_map(|c| metrics.glyphs.get(&(*c as u32)).copied())
            .filter(|g| *g != 0)
            .collect::<BTreeSet<u16>>()
            .into_iter()
            .collect();
        glyph_ids.insert(0, 0);
        let font_file = ReadScope::new(face.bytes())
            .read::<FontData<'_>>()
            .map_err(|e| error(e.to_string()))?;
        let provider = font_file
            .table_provider(0)
            .map_err(|e| error(e.to_string()))?;
        let bytes = subset(
            &provider,
            &glyph_ids,
            &SubsetProfile::Pdf,
            CmapTarget::Unicode,
        )
        .map_err(|e| error(format!("{e:?}")))?;
        let mut warnings = Vec::new();
        let mut font = ParsedFont::from_bytes(&bytes, 0, &mut warnings)
            .ok_or_else(|| error(format!("the subset does not parse ({warnings:?})")))?;
        font.font_name = Some(format!("{}+{}", subset_tag(face), face.postscript_name()));
        Ok(font)
    }
}

/// The six-letter tag PDF requires on a subset font's name; fixed per face so the
/// output stays byte-identical.
fn subset_tag(face: Face) -> &'static str {
    match face {
        Face::Regular => "CPFAAA",
        Face::Bold => "CPFAAB",
        Face::Mono => "CPFAAC",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_come_from_the_fonts_advances() {
        let fonts = Fonts::load().unwrap();
        // DejaVu Sans: 2048 units per em, `i` 569 units, `W` 2025 units.
        let i = fonts.width(Face::Regular, 10.0, "i");
        let w = fonts.width(Face::Regular, 10.0, "W");
        assert!((i - 569.0 / 2048.0 * 10.0).abs() < 0.01, "{i}");
        assert!((w - 2025.0 / 2048.0 * 10.0).abs() < 0.01, "{w}");
        // Monospaced: every character as wide as the next.
        assert_eq!(
            fonts.width(Face::Mono, 10.0, "iiii"),
            fonts.width(Face::Mono, 10.0, "WWWW")
        );
        assert!(
            fonts.width(Face::Bold, 10.0, "Approval")
                > fonts.width(Face::Regular, 10.0, "Approval")
        );
    }

    #[test]
    fn text_is_cleaned_to_what_the_face_can_draw() {
        let fonts = Fonts::load().unwrap();
        assert_eq!(
            fonts.clean(Face::Regular, "Zoë Łukasiewicz\tJosé Núñez\u{7}"),
            "Zoë Łukasiewicz José Núñez"
        );
        // A CJK ideograph is not in DejaVu Sans: it shows as the replacement character.
        assert_eq!(fonts.clean(Face::Regular, "a中b"), "a\u{FFFD}b");
    }

    #[test]
    fn a_subset_keeps_the_mapping_and_the_widths() {
        let fonts = Fonts::load().unwrap();
        let chars: BTreeSet<char> = "Zoë Łukasiewicz".chars().collect();
        let font = fonts.subset(Face::Regular, &chars).unwrap();
        assert!(
            font.original_bytes.len() < 40_000,
            "{}",
            font.original_bytes.len()
        );
        for c in chars {
            let glyph = font.lookup_glyph_index(c as u32).unwrap();
            let subset_width = font.get_glyph_width(glyph).unwrap();
            let full = fonts.metrics(Face::Regular).advance(c).unwrap();
            assert_eq!(subset_width, full, "{c}");
        }
        // A character outside the subset has no glyph of its own in it.
        assert!(
            font.lookup_glyph_index('q' as u32).unwrap_or(0) == 0,
            "{:?}",
            font.lookup_glyph_index('q' as u32)
        );
    }
}
