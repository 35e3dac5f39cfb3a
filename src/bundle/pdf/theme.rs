//! The report's look in one place: colours, the typographic scale and the tones of the
//! result and severity labels. Every page draws from these, so the report stays
//! consistent.

use crate::findings::{ResultKind, Severity};

use super::fonts::Face;
use super::layout::{Rgb, TextStyle, Tone};

pub const INK: Rgb = Rgb(0x1f, 0x29, 0x33);
pub const MUTED: Rgb = Rgb(0x5b, 0x67, 0x75);
pub const ACCENT: Rgb = Rgb(0x1b, 0x36, 0x5d);
pub const RULE: Rgb = Rgb(0xd5, 0xda, 0xe1);
pub const RULE_STRONG: Rgb = Rgb(0x9a, 0xa5, 0xb1);
pub const HEADER_FILL: Rgb = Rgb(0xec, 0xef, 0xf3);
pub const ZEBRA_FILL: Rgb = Rgb(0xf7, 0xf8, 0xfa);
pub const PANEL_FILL: Rgb = Rgb(0xf3, 0xf5, 0xf8);
pub const WHITE: Rgb = Rgb(0xff, 0xff, 0xff);

pub const GOOD: Tone = Tone {
    fg: Rgb(0x16, 0x65, 0x34),
    bg: Rgb(0xdf, 0xf2, 0xe4),
};
pub const BAD: Tone = Tone {
    fg: Rgb(0xa8, 0x1f, 0x16),
    bg: Rgb(0xfc, 0xe4, 0xe2),
};
pub const WARN: Tone = Tone {
    fg: Rgb(0x8a, 0x52, 0x00),
    bg: Rgb(0xfd, 0xef, 0xcf),
};
pub const NEUTRAL: Tone = Tone {
    fg: Rgb(0x4a, 0x55, 0x63),
    bg: Rgb(0xe9, 0xec, 0xf0),
};

/// Body text.
pub const BODY: TextStyle = TextStyle::new(Face::Regular, 9.5, INK);
pub const BODY_BOLD: TextStyle = TextStyle::new(Face::Bold, 9.5, INK);
pub const SMALL: TextStyle = TextStyle::new(Face::Regular, 8.0, MUTED);
pub const SMALL_INK: TextStyle = TextStyle::new(Face::Regular, 8.0, INK);
pub const CODE: TextStyle = TextStyle::new(Face::Mono, 8.0, INK);
/// Table cells.
pub const CELL: TextStyle = TextStyle::new(Face::Regular, 7.8, INK);
pub const CELL_BOLD: TextStyle = TextStyle::new(Face::Bold, 7.8, INK);
pub const CELL_MUTED: TextStyle = TextStyle::new(Face::Regular, 7.0, MUTED);
pub const CELL_MONO: TextStyle = TextStyle::new(Face::Mono, 7.0, INK);
/// Headings: part, section, subsection.
pub const H1: TextStyle = TextStyle::new(Face::Bold, 17.0, ACCENT);
pub const H2: TextStyle = TextStyle::new(Face::Bold, 12.5, ACCENT);
pub const H3: TextStyle = TextStyle::new(Face::Bold, 9.8, INK);
pub const EYEBROW: TextStyle = TextStyle::new(Face::Bold, 8.0, MUTED);

/// The tone of a control result: effective green, exceptions red, not tested amber,
/// not applicable grey.
pub fn result_tone(result: ResultKind) -> Tone {
    match result {
        ResultKind::Effective => GOOD,
        ResultKind::Exceptions => BAD,
        ResultKind::NotTested => WARN,
        ResultKind::NotApplicable => NEUTRAL,
    }
}

pub fn severity_tone(severity: Severity) -> Tone {
    match severity {
        Severity::High => BAD,
        Severity::Medium => WARN,
        Severity::Low => NEUTRAL,
    }
}

/// Bars of the exceptions chart, one colour per control, distinguishable in grey print.
pub const SERIES: [Rgb; 8] = [
    Rgb(0x1b, 0x36, 0x5d),
    Rgb(0x2a, 0x9d, 0x8f),
    Rgb(0xe9, 0xa2, 0x3b),
    Rgb(0xc4, 0x45, 0x36),
    Rgb(0x7b, 0x5e, 0xa7),
    Rgb(0x6a, 0x8e, 0x3b),
    Rgb(0x8c, 0x6d, 0x46),
    Rgb(0x4f, 0x8f, 0xd6),
];
