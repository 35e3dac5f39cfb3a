//! Reading the evidence's timestamps fast.
//!
//! A locker of a million changes holds about twelve million timestamps, nearly all in
//! the one form the normalizers write: `2026-07-01T14:23:33Z`. chrono's parser handles
//! every RFC 3339 variant and was a twentieth of the time to read `evidence.json`; this
//! reads the common form directly and hands everything else (fractional seconds,
//! offsets, invalid dates, leap seconds) to chrono, so the result and any error are
//! exactly chrono's. Writing is chrono's own. Used with `#[serde(with = …)]` on the
//! timestamp fields of the high-volume records.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde::{Deserializer, Serialize, Serializer, de};

use super::Timestamp;

pub fn serialize<S: Serializer>(value: &Timestamp, serializer: S) -> Result<S::Ok, S::Error> {
    value.serialize(serializer)
}

pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Timestamp, D::Error> {
    deserializer.deserialize_str(Visitor)
}

/// The same for `Option<Timestamp>` (JSON `null` is `None`).
pub mod option {
    use super::*;

    pub fn serialize<S: Serializer>(
        value: &Option<Timestamp>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        value.serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Timestamp>, D::Error> {
        deserializer.deserialize_option(OptionVisitor)
    }

    struct OptionVisitor;

    impl<'de> de::Visitor<'de> for OptionVisitor {
        type Value = Option<Timestamp>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an RFC 3339 timestamp or null")
        }

        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            super::deserialize(d).map(Some)
        }
    }
}

struct Visitor;

impl de::Visitor<'_> for Visitor {
    type Value = Timestamp;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // chrono's own wording, so errors read as before.
        f.write_str("a formatted date and time string or a unix timestamp")
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Timestamp, E> {
        parse(value).map_err(E::custom)
    }
}

/// `value` as chrono's `Deserialize` for `DateTime<Utc>` reads it.
pub fn parse(value: &str) -> Result<Timestamp, chrono::ParseError> {
    match parse_plain_utc(value.as_bytes()) {
        Some(t) => Ok(t),
        None => value
            .parse::<DateTime<FixedOffset>>()
            .map(|t| t.with_timezone(&Utc)),
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` exactly, with a valid date and time; `None` for anything else.
fn parse_plain_utc(b: &[u8]) -> Option<Timestamp> {
    if b.len() != 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
        || b[19] != b'Z'
    {
        return None;
    }
    let digits = |from: usize, to: usize| -> Option<u32> {
        b[from..to].iter().try_fold(0u32, |n, &d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    };
    let year = i32::try_from(digits(0, 4)?).ok()?;
    let date = NaiveDate::from_ymd_opt(year, digits(5, 7)?, digits(8, 10)?)?;
    // A leap second (`:60`) is not a valid `and_hms`: chrono reads it.
    let time = date.and_hms_opt(digits(11, 13)?, digits(14, 16)?, digits(17, 19)?)?;
    Some(time.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn chrono(value: &str) -> Result<Timestamp, String> {
        value
            .parse::<DateTime<FixedOffset>>()
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| e.to_string())
    }

    fn ours(value: &str) -> Result<Timestamp, String> {
        parse(value).map_err(|e| e.to_string())
    }

    #[test]
    fn the_plain_form_is_read_directly_and_agrees_with_chrono() {
        for value in [
            "2026-07-01T14:23:33Z",
            "2024-02-29T00:00:00Z",
            "1970-01-01T00:00:00Z",
            "9999-12-31T23:59:59Z",
            "0000-01-01T00:00:00Z",
        ] {
            assert!(parse_plain_utc(value.as_bytes()).is_some(), "{value}");
            assert_eq!(ours(value), chrono(value), "{value}");
        }
    }

    #[test]
    fn every_other_form_is_chronos_result_or_error() {
        for value in [
            "2026-07-01T14:23:33.412Z",
            "2026-07-01T14:23:33+02:00",
            "2026-07-01t14:23:33z",
            "2026-07-01 14:23:33Z",
            "2025-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-07-01T24:00:00Z",
            "2026-06-30T23:59:60Z",
            "2026-07-01T14:23:3xZ",
            "+2026-07-01T14:23:33Z",
            "2026-07-01T14:23:33",
            "",
            "not a time",
        ] {
            assert!(
                parse_plain_utc(value.as_bytes()).is_none() || value == "2026-07-01T14:23:33Z",
                "{value}"
            );
            assert_eq!(ours(value), chrono(value), "{value}");
        }
    }

    #[test]
    fn serde_round_trip_and_null() {
        #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
        struct Record {
            #[serde(with = "super")]
            at: Timestamp,
            #[serde(with = "super::option")]
            maybe: Option<Timestamp>,
        }
        let text = r#"{"at":"2026-07-01T14:23:33Z","maybe":null}"#;
        let record: Record = serde_json::from_str(text).unwrap();
        assert_eq!(serde_json::to_string(&record).unwrap(), text);
        let text = r#"{"at":"2026-07-01T14:23:33.5+01:00","maybe":"2026-07-01T00:00:00Z"}"#;
        let record: Record = serde_json::from_str(text).unwrap();
        assert_eq!(
            serde_json::to_string(&record).unwrap(),
            r#"{"at":"2026-07-01T13:23:33.500Z","maybe":"2026-07-01T00:00:00Z"}"#
        );
        let error = serde_json::from_str::<Record>(r#"{"at":"soon","maybe":null}"#)
            .unwrap_err()
            .to_string();
        let chrono_error = serde_json::from_str::<Timestamp>(r#""soon""#)
            .unwrap_err()
            .to_string();
        assert_eq!(
            error.split(" at line").next(),
            chrono_error.split(" at line").next()
        );
    }

    proptest! {
        #[test]
        fn any_near_plain_string_agrees_with_chrono(
            y in 0u32..10000, mo in 0u32..14, d in 0u32..33,
            h in 0u32..26, mi in 0u32..61, s in 0u32..62,
            t in prop::sample::select(vec!['T', 't', ' ']),
            z in prop::sample::select(vec!["Z", "z", "+00:00", ".1Z", ""]),
        ) {
            let value = format!("{y:04}-{mo:02}-{d:02}{t}{h:02}:{mi:02}:{s:02}{z}");
            prop_assert_eq!(ours(&value), chrono(&value), "{}", value);
        }
    }
}
