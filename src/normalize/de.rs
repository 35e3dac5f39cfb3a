//! Typed parsing of raw JSON with errors that name the field path.
//!
//! Response shapes are serde structs mirroring GitHub's documentation; deserializing them
//! through [`parse`] instead of `serde_json::from_value` makes every error say *where* the
//! body departs from the documented shape (`[3].creator.login: invalid type: integer `5`,
//! expected a string`), which is what an operator needs to find the offending record.

use std::fmt;

use serde::Deserialize;
use serde::de::value::BorrowedStrDeserializer;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

/// A body that does not have the expected shape, with the path of the offending value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShapeError {
    /// `data.search.nodes[3].author.login`; empty for the top level.
    path: Option<String>,
    message: String,
}

impl ShapeError {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> ShapeError {
        ShapeError {
            path: Some(path.into()),
            message: message.into(),
        }
    }

    /// A required value that is absent or null.
    pub fn missing(path: impl Into<String>) -> ShapeError {
        ShapeError::new(path, "missing (absent or null) but required")
    }

    /// Attaches the path where the error surfaced, unless a deeper one is already known.
    fn at(mut self, path: &Path<'_>) -> ShapeError {
        if self.path.is_none() {
            self.path = Some(path.to_string());
        }
        self
    }
}

impl fmt::Display for ShapeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.path.as_deref() {
            Some(path) if !path.is_empty() => write!(f, "{path}: {}", self.message),
            _ => write!(f, "top level: {}", self.message),
        }
    }
}

impl std::error::Error for ShapeError {}

impl de::Error for ShapeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        ShapeError {
            path: None,
            message: msg.to_string(),
        }
    }
}

/// Parses a whole body.
pub fn parse<'de, T: Deserialize<'de>>(value: &'de Value) -> Result<T, ShapeError> {
    parse_at(value, "")
}

/// Parses a value found at `path` inside a body (the path prefixes error locations).
pub fn parse_at<'de, T: Deserialize<'de>>(value: &'de Value, path: &str) -> Result<T, ShapeError> {
    let root = Path::Root(path);
    T::deserialize(ValueDe { value, path: &root }).map_err(|e| e.at(&root))
}

/// Unwraps a value the shape requires, naming its path when it is absent.
pub fn need<T>(value: Option<T>, path: impl FnOnce() -> String) -> Result<T, ShapeError> {
    value.ok_or_else(|| ShapeError::missing(path()))
}

/// The member `key` of the object at `path`: `None` when absent or null.
pub fn member<'v>(
    value: &'v Value,
    path: &str,
    key: &str,
) -> Result<Option<&'v Value>, ShapeError> {
    match value {
        Value::Object(map) => Ok(map.get(key).filter(|v| !v.is_null())),
        other => Err(ShapeError::new(
            path,
            format!("invalid type: {}, expected an object", describe(other)),
        )),
    }
}

/// The elements of the array at `path`.
pub fn elements<'v>(value: &'v Value, path: &str) -> Result<&'v [Value], ShapeError> {
    match value {
        Value::Array(items) => Ok(items),
        other => Err(ShapeError::new(
            path,
            format!("invalid type: {}, expected an array", describe(other)),
        )),
    }
}

/// A value's kind in serde's wording (`integer `5``, `map` …).
fn describe(value: &Value) -> String {
    unexpected(value).to_string()
}

/// Where a value sits in the body; built on the stack while descending, rendered only
/// when an error needs it.
#[derive(Clone, Copy)]
enum Path<'a> {
    Root(&'a str),
    Field(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Root(prefix) => f.write_str(prefix),
            Path::Field(parent, name) => {
                let parent_text = parent.to_string();
                if parent_text.is_empty() {
                    f.write_str(name)
                } else {
                    write!(f, "{parent_text}.{name}")
                }
            }
            Path::Index(parent, i) => write!(f, "{parent}[{i}]"),
        }
    }
}

struct ValueDe<'de, 'p> {
    value: &'de Value,
    path: &'p Path<'p>,
}

impl<'de> de::Deserializer<'de> for ValueDe<'de, '_> {
    type Error = ShapeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ShapeError> {
        let path = self.path;
        let result = match self.value {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Number(n) => {
                if let Some(u) = n.as_u64() {
                    visitor.visit_u64(u)
                } else if let Some(i) = n.as_i64() {
                    visitor.visit_i64(i)
                } else {
                    visitor.visit_f64(n.as_f64().unwrap_or(f64::NAN))
                }
            }
            Value::String(s) => visitor.visit_borrowed_str(s),
            Value::Array(items) => visitor.visit_seq(SeqDe {
                items: items.iter().enumerate(),
                path,
            }),
            Value::Object(map) => visitor.visit_map(MapDe {
                entries: map.iter(),
                pending: None,
                path,
            }),
        };
        result.map_err(|e| e.at(path))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ShapeError> {
        let path = self.path;
        match self.value {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
        .map_err(|e| e.at(path))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ShapeError> {
        let path = self.path;
        match self.value {
            // Only unit variants written as strings occur in the shapes parsed here.
            Value::String(s) => visitor.visit_enum(BorrowedStrDeserializer::new(s)),
            other => Err(<ShapeError as de::Error>::invalid_type(
                unexpected(other),
                &visitor,
            )),
        }
        .map_err(|e: ShapeError| e.at(path))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, ShapeError> {
        let path = self.path;
        visitor.visit_newtype_struct(self).map_err(|e| e.at(path))
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ShapeError> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct seq tuple tuple_struct map struct identifier
    }
}

fn unexpected(value: &Value) -> de::Unexpected<'_> {
    match value {
        Value::Null => de::Unexpected::Unit,
        Value::Bool(b) => de::Unexpected::Bool(*b),
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => de::Unexpected::Unsigned(u),
            (None, Some(i)) => de::Unexpected::Signed(i),
            _ => de::Unexpected::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => de::Unexpected::Str(s),
        Value::Array(_) => de::Unexpected::Seq,
        Value::Object(_) => de::Unexpected::Map,
    }
}

struct SeqDe<'de, 'p> {
    items: std::iter::Enumerate<std::slice::Iter<'de, Value>>,
    path: &'p Path<'p>,
}

impl<'de> SeqAccess<'de> for SeqDe<'de, '_> {
    type Error = ShapeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, ShapeError> {
        match self.items.next() {
            None => Ok(None),
            Some((i, value)) => {
                let path = Path::Index(self.path, i);
                seed.deserialize(ValueDe { value, path: &path })
                    .map(Some)
                    .map_err(|e| e.at(&path))
            }
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct MapDe<'de, 'p> {
    entries: serde_json::map::Iter<'de>,
    pending: Option<(&'de str, &'de Value)>,
    path: &'p Path<'p>,
}

impl<'de> MapAccess<'de> for MapDe<'de, '_> {
    type Error = ShapeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, ShapeError> {
        match self.entries.next() {
            None => Ok(None),
            Some((key, value)) => {
                self.pending = Some((key.as_str(), value));
                seed.deserialize(BorrowedStrDeserializer::new(key.as_str()))
                    .map(Some)
            }
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, ShapeError> {
        let Some((key, value)) = self.pending.take() else {
            return Err(de::Error::custom("value requested before its key"));
        };
        let path = Path::Field(self.path, key);
        seed.deserialize(ValueDe { value, path: &path })
            .map_err(|e| e.at(&path))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Creator {
        login: String,
        #[serde(rename = "type")]
        kind: Option<String>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Deployment {
        id: u64,
        creator: Option<Creator>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
    enum State {
        Approved,
        ChangesRequested,
    }

    #[test]
    fn parses_documented_shapes_and_ignores_unknown_fields() {
        let body = json!([{"id": 1, "creator": {"login": "octocat", "type": "User", "x": [1]}},
                          {"id": 2, "creator": null}]);
        let parsed: Vec<Deployment> = parse(&body).unwrap();
        assert_eq!(parsed[0].creator.as_ref().unwrap().login, "octocat");
        assert_eq!(parsed[1].creator, None);
    }

    #[test]
    fn wrong_type_names_the_field_path() {
        let body = json!([{"id": 1, "creator": null}, {"id": 2, "creator": {"login": 5}}]);
        let err = parse::<Vec<Deployment>>(&body).unwrap_err().to_string();
        assert!(
            err.starts_with("[1].creator.login: invalid type: integer `5`, expected a string"),
            "{err}"
        );
    }

    #[test]
    fn missing_field_names_the_object_and_the_field() {
        let body = json!({"data": [{"id": 3, "creator": {"type": "Bot"}}]});
        let err = parse_at::<Vec<Deployment>>(&body["data"], "data")
            .unwrap_err()
            .to_string();
        assert_eq!(err, "data[0].creator: missing field `login`");
    }

    #[test]
    fn unknown_enum_value_is_named() {
        let body = json!({"s": "MAYBE"});
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct S {
            s: State,
        }
        let err = parse::<S>(&body).unwrap_err().to_string();
        assert!(err.starts_with("s: unknown variant `MAYBE`"), "{err}");
        let ok: State = parse(&json!("CHANGES_REQUESTED")).unwrap();
        assert_eq!(ok, State::ChangesRequested);
        assert_eq!(parse::<State>(&json!("APPROVED")).unwrap(), State::Approved);
    }

    #[test]
    fn top_level_errors_say_so() {
        let err = parse::<Vec<Deployment>>(&json!({"message": "x"}))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("top level: invalid type: map"), "{err}");
    }

    #[test]
    fn timestamps_and_numbers_parse_through_serde() {
        #[derive(Debug, Deserialize)]
        struct T {
            at: crate::model::Timestamp,
            n: i64,
        }
        let t: T = parse(&json!({"at": "2017-07-08T16:18:44-04:00", "n": -3})).unwrap();
        assert_eq!(t.at.to_rfc3339(), "2017-07-08T20:18:44+00:00");
        assert_eq!(t.n, -3);
        let err = parse::<T>(&json!({"at": "yesterday", "n": 1}))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("at: "), "{err}");
    }
}
