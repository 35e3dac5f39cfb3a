//! The layout of `evidence.json`: one record per line.
//!
//! The top-level members and the elements of the top-level collections each start a
//! line; a record itself (a change with its reviews, commits and checks) is written
//! compactly on that line. Pretty-printing every nested field instead made a locker of
//! a million changes about a third larger (5.2 GB instead of 3.4 GB), and reading it
//! scans every byte. One record per line still diffs, greps and pages well, and any
//! JSON reader takes it (the reader does not depend on the layout).

use std::io::{self, Write};

use serde::Serialize;
use serde_json::ser::{CompactFormatter, Formatter};

/// Containers at this depth or less break their members onto lines (the root object is
/// depth 1, a top-level collection 2, a member of `access` such as `org_members` 3).
/// Records nested deeper are written compactly.
const BREAK_ARRAYS_TO: usize = 3;
const BREAK_OBJECTS_TO: usize = 2;

/// A `serde_json` formatter for the record-per-line layout.
#[derive(Default)]
struct RecordPerLine {
    /// For each open container: whether its members go on their own lines, and whether
    /// it has any (an empty container closes on its own line's end: `[]`).
    open: Vec<Container>,
}

#[derive(Clone, Copy)]
struct Container {
    breaks: bool,
    has_members: bool,
}

impl RecordPerLine {
    /// Depth of the container being written (0 outside any).
    fn depth(&self) -> usize {
        self.open.len()
    }

    fn open(&mut self, limit: usize) {
        let parent_breaks = self.open.last().is_none_or(|c| c.breaks);
        self.open.push(Container {
            // The new container's depth is one more than the current.
            breaks: parent_breaks && self.depth() < limit,
            has_members: false,
        });
    }

    /// Called before each member: whether it starts a line.
    fn member(&mut self) -> bool {
        match self.open.last_mut() {
            Some(container) => {
                container.has_members = true;
                container.breaks
            }
            None => false,
        }
    }

    fn breaking(&self) -> bool {
        self.open.last().is_some_and(|c| c.breaks)
    }

    /// A new line indented to the current depth.
    fn line<W: ?Sized + Write>(&self, writer: &mut W) -> io::Result<()> {
        writer.write_all(b"\n")?;
        for _ in 0..self.depth() {
            writer.write_all(b"  ")?;
        }
        Ok(())
    }

    /// Before an array element or an object member: the comma, and the new line when
    /// the container breaks.
    fn separate<W: ?Sized + Write>(&mut self, writer: &mut W, first: bool) -> io::Result<()> {
        if !first {
            writer.write_all(b",")?;
        }
        if self.member() {
            self.line(writer)?;
        }
        Ok(())
    }

    fn close<W: ?Sized + Write>(&mut self, writer: &mut W, bracket: &[u8]) -> io::Result<()> {
        let container = self.open.pop();
        if container.is_some_and(|c| c.breaks && c.has_members) {
            self.line(writer)?;
        }
        writer.write_all(bracket)
    }
}

impl Formatter for RecordPerLine {
    fn begin_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.open(BREAK_ARRAYS_TO);
        writer.write_all(b"[")
    }

    fn end_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.close(writer, b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.separate(writer, first)
    }

    fn begin_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.open(BREAK_OBJECTS_TO);
        writer.write_all(b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.close(writer, b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.separate(writer, first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        if self.breaking() {
            writer.write_all(b": ")
        } else {
            CompactFormatter.begin_object_value(writer)
        }
    }
}

/// Writes `value` (the evidence, or any part of it) in the record-per-line layout,
/// followed by a newline.
pub fn write_records<W: Write, T: Serialize + ?Sized>(writer: W, value: &T) -> io::Result<()> {
    let mut serializer = serde_json::Serializer::with_formatter(writer, RecordPerLine::default());
    value.serialize(&mut serializer).map_err(io::Error::other)?;
    serializer.into_inner().write_all(b"\n")
}

/// [`write_records`] into memory.
pub fn records_bytes<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    let mut bytes = Vec::new();
    write_records(&mut bytes, value).expect("the evidence model serializes");
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    #[test]
    fn each_record_on_its_own_line_and_compact_inside() {
        let value = json!({
            "schema": "s",
            "changes": [
                {"number": 1, "labels": ["a", "b"], "checks": {"runs": [{"name": "x"}]}},
                {"number": 2, "labels": []}
            ],
            "empty": [],
            "access": {"org_members": [{"login": "a"}, {"login": "b"}], "teams": []}
        });
        let text = String::from_utf8(records_bytes(&value)).unwrap();
        let expected = r#"{
  "schema": "s",
  "changes": [
    {"number":1,"labels":["a","b"],"checks":{"runs":[{"name":"x"}]}},
    {"number":2,"labels":[]}
  ],
  "empty": [],
  "access": {
    "org_members": [
      {"login":"a"},
      {"login":"b"}
    ],
    "teams": []
  }
}
"#;
        assert_eq!(text, expected);
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, value);
    }

    #[test]
    fn strings_with_newlines_stay_on_their_line() {
        let value = json!({"changes": [{"title": "two\nlines"}]});
        let text = String::from_utf8(records_bytes(&value)).unwrap();
        assert_eq!(text.lines().count(), 5, "{text}");
        assert!(text.contains(r#"{"title":"two\nlines"}"#));
    }
}
