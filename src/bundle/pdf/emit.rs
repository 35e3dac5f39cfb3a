//! Writes laid-out pages as PDF with printpdf's page operations, then finishes the file
//! with lopdf: a nested outline, fixed metadata and a document id derived from the
//! file's own content, so the same report is always the same bytes.

use std::collections::{BTreeMap, BTreeSet};

use lopdf::{Dictionary, Object, ObjectId, StringFormat};
use printpdf::{
    Actions, BorderArray, Color, Destination, FontId, LinkAnnotation, Op, PaintMode, PdfDocument,
    PdfFont, PdfFontHandle, PdfPage, PdfSaveOptions, PdfWarnMsg, Point, Pt, Rect, TextItem,
    TextMatrix,
};

use super::PdfError;
use super::fonts::{Face, Fonts};
use super::layout::{Laid, Mark, OutlineEntry, PAGE_HEIGHT, PAGE_WIDTH, Rgb, Target};
use crate::util::sha256_hex;

/// The document's fixed metadata.
pub struct Meta {
    pub title: String,
    pub subject: String,
    /// Creator and producer: `changeproof <version>`.
    pub producer: String,
    /// Creation and modification date: the bundle's generation time.
    pub date: crate::model::Timestamp,
}

/// Stands in for the document id until the file's hash is known; same length as the id.
const ID_PLACEHOLDER: [u8; 16] = [0; 16];

pub fn write(laid: &Laid, fonts: &Fonts, meta: &Meta) -> Result<Vec<u8>, PdfError> {
    let mut doc = PdfDocument::new(&meta.title);
    for (face, chars) in used_chars(laid) {
        let font = fonts.subset(face, &chars)?;
        doc.resources
            .fonts
            .map
            .insert(font_id(face), PdfFont::new(font));
    }
    doc.pages = laid
        .pages
        .iter()
        .map(|page| {
            PdfPage::new(
                printpdf::Mm::from(Pt(PAGE_WIDTH)),
                printpdf::Mm::from(Pt(PAGE_HEIGHT)),
                ops(&page.marks, &laid.anchors),
            )
        })
        .collect();

    let options = PdfSaveOptions {
        optimize: false,
        subset_fonts: false,
        secure: true,
        image_optimization: None,
    };
    let mut warnings: Vec<PdfWarnMsg> = Vec::new();
    let mut lo = doc.to_lopdf_document(&options, &mut warnings);
    if let Some(w) = warnings
        .iter()
        .find(|w| w.severity == printpdf::PdfParseErrorSeverity::Error)
    {
        return Err(PdfError::Write(w.msg.clone()));
    }
    finish(&mut lo, laid, meta)?;
    lo.compress();
    let mut bytes = Vec::new();
    lo.save_to(&mut bytes)
        .map_err(|e| PdfError::Write(e.to_string()))?;
    set_document_id(&mut bytes)?;
    Ok(bytes)
}

fn font_id(face: Face) -> FontId {
    FontId(face.postscript_name().to_string())
}

/// The characters each face draws, for subsetting.
fn used_chars(laid: &Laid) -> BTreeMap<Face, BTreeSet<char>> {
    let mut used: BTreeMap<Face, BTreeSet<char>> = BTreeMap::new();
    for page in &laid.pages {
        for mark in &page.marks {
            if let Mark::Text { style, text, .. } = mark {
                used.entry(style.face).or_default().extend(text.chars());
            }
        }
    }
    used
}

/// Two decimals are finer than any printer resolves and keep the content streams short.
fn r(v: f32) -> f32 {
    (v * 100.0).round() / 100.0
}

fn color(c: Rgb) -> Color {
    Color::Rgb(printpdf::Rgb {
        r: f32::from(c.0) / 255.0,
        g: f32::from(c.1) / 255.0,
        b: f32::from(c.2) / 255.0,
        icc_profile: None,
    })
}

/// A rectangle in PDF space from a top-down box.
fn rect(x: f32, y: f32, w: f32, h: f32, mode: Option<PaintMode>) -> Rect {
    Rect {
        x: Pt(r(x)),
        y: Pt(r(PAGE_HEIGHT - y - h)),
        width: Pt(r(w)),
        height: Pt(r(h)),
        mode,
        winding_order: None,
    }
}

fn point(x: f32, y: f32) -> Point {
    Point {
        x: Pt(r(x)),
        y: Pt(r(PAGE_HEIGHT - y)),
    }
}

/// The page's marks as PDF operations; consecutive texts share one text object, and
/// font and colour are set only when they change.
fn ops(marks: &[Mark], anchors: &BTreeMap<String, (usize, f32)>) -> Vec<Op> {
    let mut ops = Vec::new();
    let mut in_text = false;
    let mut font: Option<(Face, f32)> = None;
    let mut fill: Option<Rgb> = None;
    for mark in marks {
        if in_text && !matches!(mark, Mark::Text { .. }) {
            ops.push(Op::EndTextSection);
            in_text = false;
        }
        match mark {
            Mark::Text {
                x,
                baseline,
                style,
                text,
            } => {
                if !in_text {
                    ops.push(Op::StartTextSection);
                    in_text = true;
                    // A text object starts with no font selected.
                    font = None;
                }
                if font != Some((style.face, style.size)) {
                    ops.push(Op::SetFont {
                        font: PdfFontHandle::External(font_id(style.face)),
                        size: Pt(style.size),
                    });
                    font = Some((style.face, style.size));
                }
                if fill != Some(style.color) {
                    ops.push(Op::SetFillColor {
                        col: color(style.color),
                    });
                    fill = Some(style.color);
                }
                ops.push(Op::SetTextMatrix {
                    matrix: TextMatrix::Translate(Pt(r(*x)), Pt(r(PAGE_HEIGHT - baseline))),
                });
                ops.push(Op::ShowText {
                    items: vec![TextItem::Text(text.clone())],
                });
            }
            Mark::Fill {
                x,
                y,
                w,
                h,
                color: c,
            } => {
                if fill != Some(*c) {
                    ops.push(Op::SetFillColor { col: color(*c) });
                    fill = Some(*c);
                }
                ops.push(Op::DrawRectangle {
                    rectangle: rect(*x, *y, *w, *h, Some(PaintMode::Fill)),
                });
            }
            Mark::Line {
                from,
                to,
                width,
                color: c,
            } => {
                ops.push(Op::SetOutlineColor { col: color(*c) });
                ops.push(Op::SetOutlineThickness { pt: Pt(*width) });
                ops.push(Op::DrawLine {
                    line: printpdf::Line {
                        points: vec![
                            printpdf::LinePoint {
                                p: point(from.0, from.1),
                                bezier: false,
                            },
                            printpdf::LinePoint {
                                p: point(to.0, to.1),
                                bezier: false,
                            },
                        ],
                        is_closed: false,
                    },
                });
            }
            Mark::Link { x, y, w, h, target } => {
                let actions = match target {
                    Target::Uri(uri) => Actions::Uri(uri.clone()),
                    Target::Anchor(name) => match anchors.get(name) {
                        Some((page, top)) => Actions::Goto(Destination::Xyz {
                            page: page + 1,
                            left: Some(0.0),
                            top: Some(r(PAGE_HEIGHT - top + 12.0)),
                            zoom: None,
                        }),
                        None => continue,
                    },
                };
                ops.push(Op::LinkAnnotation {
                    link: LinkAnnotation::new(
                        rect(*x, *y, *w, *h, None),
                        actions,
                        Some(BorderArray::Solid([0.0, 0.0, 0.0])),
                        None,
                        None,
                    ),
                });
            }
            // Resolved by `Flow::finish`; one left over has nothing to show.
            Mark::PageOf { .. } => {}
        }
    }
    if in_text {
        ops.push(Op::EndTextSection);
    }
    ops
}

/// Metadata, outline and viewer preferences on the lopdf document.
fn finish(doc: &mut lopdf::Document, laid: &Laid, meta: &Meta) -> Result<(), PdfError> {
    let date = Object::String(
        meta.date.format("D:%Y%m%d%H%M%SZ").to_string().into_bytes(),
        StringFormat::Literal,
    );
    let info = Dictionary::from_iter(vec![
        ("Title", text_string(&meta.title)),
        ("Subject", text_string(&meta.subject)),
        ("Creator", text_string(&meta.producer)),
        ("Producer", text_string(&meta.producer)),
        ("CreationDate", date.clone()),
        ("ModDate", date),
    ]);
    let info_id = doc.add_object(info);
    doc.trailer.set("Info", Object::Reference(info_id));
    doc.trailer.set(
        "ID",
        Object::Array(vec![
            Object::String(ID_PLACEHOLDER.to_vec(), StringFormat::Hexadecimal),
            Object::String(ID_PLACEHOLDER.to_vec(), StringFormat::Hexadecimal),
        ]),
    );

    let pages: Vec<ObjectId> = doc.get_pages().into_values().collect();
    let outline = outline(doc, &laid.outline, &pages);
    let root = doc
        .trailer
        .get(b"Root")
        .and_then(Object::as_reference)
        .map_err(|e| PdfError::Write(format!("the document has no catalog: {e}")))?;
    let catalog = doc
        .get_object_mut(root)
        .and_then(Object::as_dict_mut)
        .map_err(|e| PdfError::Write(format!("the document's catalog: {e}")))?;
    catalog.set("Lang", Object::string_literal("en"));
    catalog.set(
        "ViewerPreferences",
        Dictionary::from_iter(vec![("DisplayDocTitle", Object::Boolean(true))]),
    );
    if let Some(outline) = outline {
        catalog.set("Outlines", Object::Reference(outline));
        catalog.set("PageMode", Object::Name(b"UseOutlines".to_vec()));
    } else {
        catalog.set("PageMode", Object::Name(b"UseNone".to_vec()));
    }
    Ok(())
}

/// A PDF text string: UTF-16BE with its byte-order mark, so any name survives.
fn text_string(text: &str) -> Object {
    let mut bytes = vec![0xfe, 0xff];
    for unit in text.encode_utf16() {
        bytes.extend_from_slice(&unit.to_be_bytes());
    }
    Object::String(bytes, StringFormat::Hexadecimal)
}

/// The outline tree from the flat, ordered entries (levels from 1); returns its root.
fn outline(
    doc: &mut lopdf::Document,
    entries: &[OutlineEntry],
    pages: &[ObjectId],
) -> Option<ObjectId> {
    if entries.is_empty() {
        return None;
    }
    let root = doc.new_object_id();
    let ids: Vec<ObjectId> = entries.iter().map(|_| doc.new_object_id()).collect();
    // Parent of each entry: the nearest earlier entry of a lower level, else the root.
    let mut parents: Vec<Option<usize>> = Vec::with_capacity(entries.len());
    let mut stack: Vec<usize> = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        while stack
            .last()
            .is_some_and(|&p| entries[p].level >= entry.level)
        {
            stack.pop();
        }
        parents.push(stack.last().copied());
        stack.push(i);
    }
    let children = |parent: Option<usize>| -> Vec<usize> {
        (0..entries.len())
            .filter(|&i| parents[i] == parent)
            .collect()
    };
    let mut dicts: Vec<Dictionary> = Vec::with_capacity(entries.len());
    for (i, entry) in entries.iter().enumerate() {
        let page = pages.get(entry.page).copied();
        let mut dict = Dictionary::from_iter(vec![
            ("Title", text_string(&entry.title)),
            (
                "Parent",
                Object::Reference(parents[i].map_or(root, |p| ids[p])),
            ),
        ]);
        if let Some(page) = page {
            dict.set(
                "Dest",
                Object::Array(vec![
                    Object::Reference(page),
                    Object::Name(b"XYZ".to_vec()),
                    Object::Real(0.0),
                    Object::Real(r(PAGE_HEIGHT - entry.top + 12.0)),
                    Object::Null,
                ]),
            );
        }
        let siblings = children(parents[i]);
        let at = siblings.iter().position(|&s| s == i).unwrap_or(0);
        if at > 0 {
            dict.set("Prev", Object::Reference(ids[siblings[at - 1]]));
        }
        if let Some(&next) = siblings.get(at + 1) {
            dict.set("Next", Object::Reference(ids[next]));
        }
        let kids = children(Some(i));
        if let (Some(&first), Some(&last)) = (kids.first(), kids.last()) {
            dict.set("First", Object::Reference(ids[first]));
            dict.set("Last", Object::Reference(ids[last]));
            // Open, showing every descendant.
            let descendants = (i + 1..entries.len())
                .take_while(|&j| entries[j].level > entry.level)
                .count();
            dict.set("Count", Object::Integer(descendants as i64));
        }
        dicts.push(dict);
    }
    for (id, dict) in ids.iter().zip(dicts) {
        doc.objects.insert(*id, Object::Dictionary(dict));
    }
    let top = children(None);
    let mut root_dict = Dictionary::from_iter(vec![
        ("Type", Object::Name(b"Outlines".to_vec())),
        ("Count", Object::Integer(entries.len() as i64)),
    ]);
    if let (Some(&first), Some(&last)) = (top.first(), top.last()) {
        root_dict.set("First", Object::Reference(ids[first]));
        root_dict.set("Last", Object::Reference(ids[last]));
    }
    doc.objects.insert(root, Object::Dictionary(root_dict));
    Some(root)
}

/// Replaces the placeholder id in the trailer by the first 16 bytes of the SHA-256 of
/// the file as written with the placeholder: fixed for fixed content, different for
/// different content.
fn set_document_id(bytes: &mut [u8]) -> Result<(), PdfError> {
    let placeholder = format!("<{}>", "00".repeat(ID_PLACEHOLDER.len()));
    let trailer = bytes
        .windows(b"trailer".len())
        .rposition(|w| w == b"trailer")
        .ok_or_else(|| PdfError::Write("the written PDF has no trailer".into()))?;
    let hash = sha256_hex(bytes);
    let id = format!("<{}>", &hash[..ID_PLACEHOLDER.len() * 2]);
    let mut found = 0;
    let mut at = trailer;
    while let Some(pos) = bytes[at..]
        .windows(placeholder.len())
        .position(|w| w.eq_ignore_ascii_case(placeholder.as_bytes()))
    {
        let start = at + pos;
        bytes[start..start + id.len()].copy_from_slice(id.as_bytes());
        at = start + id.len();
        found += 1;
    }
    if found != 2 {
        return Err(PdfError::Write(format!(
            "the written PDF's trailer holds {found} document id placeholders, expected 2"
        )));
    }
    Ok(())
}
