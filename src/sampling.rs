//! Auditor sampling (SPEC §6): a deterministic, re-performable selection from the
//! auditor's seed, stratified over the population's time order.
//!
//! The method, byte for byte (docs/auditor-guide.md works an example by hand):
//!
//! 1. The population is the rows of the control's population file (e.g.
//!    `populations/changes.csv`) that are in the control's population, sorted by
//!    (time, repository, id): times as instants (a row without a time sorts first),
//!    repositories byte by byte, ids numerically when both are decimal numbers and byte by
//!    byte otherwise. `n` is its size.
//! 2. `k` comes from the control's frequency ([`sample_size`]); when `n <= k` the whole
//!    population is tested and nothing is drawn.
//! 3. `s = SHA-256(seed ‖ control id ‖ H)`, where `H` is the SHA-256 of the population
//!    file's exact bytes; `‖` concatenates UTF-8 strings, and every digest is written as
//!    64 lowercase hex digits when it is an input or an output.
//! 4. Stratum `i` (for `i = 0 … k−1`) is the sorted rows `[floor(i·n/k), floor((i+1)·n/k))`.
//! 5. From stratum `i` take the row at offset `SHA-256(s ‖ i) mod len(stratum)`, with `i`
//!    in decimal and the digest read as a big-endian 256-bit unsigned integer.
//!
//! Pure: no I/O, no clock, no randomness other than the seed.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::model::Timestamp;
use crate::util::hex;

/// The sample sizes a config may choose for recurring (many times a day) controls:
/// 25 by default; 40 or 60 where the auditor assesses a higher risk.
pub const RECURRING_SIZES: [u32; 3] = [25, 40, 60];

/// `k` for a control's catalog frequency; `None` for a frequency this version does not
/// know (the control is then not sampled, and the bundle says why).
pub fn sample_size(frequency: &str, recurring: u32) -> Option<usize> {
    Some(match frequency {
        "recurring" => recurring as usize,
        "daily" => 25,
        "weekly" => 5,
        "monthly" | "quarterly" => 2,
        "annual" => 1,
        _ => return None,
    })
}

/// Where a row sorts in its population.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SortKey {
    pub time: Option<Timestamp>,
    pub repo: String,
    pub id: String,
}

impl Ord for SortKey {
    fn cmp(&self, other: &Self) -> Ordering {
        self.time
            .cmp(&other.time)
            .then_with(|| self.repo.as_bytes().cmp(other.repo.as_bytes()))
            .then_with(|| id_order(&self.id, &other.id))
    }
}

impl PartialOrd for SortKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Decimal ids compare as numbers (of any length: by magnitude, then digits); other ids,
/// and a number against a non-number, byte by byte.
fn id_order(a: &str, b: &str) -> Ordering {
    let decimal = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
    if decimal(a) && decimal(b) {
        let (a, b) = (a.trim_start_matches('0'), b.trim_start_matches('0'));
        a.len().cmp(&b.len()).then_with(|| a.cmp(b))
    } else {
        a.as_bytes().cmp(b.as_bytes())
    }
}

/// One control's population, as the sampler sees it.
#[derive(Debug, Clone)]
pub struct Population {
    pub control: String,
    /// The population file's path in the bundle (`populations/changes.csv`).
    pub file: String,
    /// Lowercase hex SHA-256 of the population file's exact bytes.
    pub file_sha256: String,
    /// The rows in the control's population: (1-based data row of the file, sort key),
    /// in any order.
    pub rows: Vec<(usize, SortKey)>,
}

/// How the sample was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// `k` strata, one row drawn from each.
    Stratified,
    /// The population is no larger than `k`: every row is tested.
    Full,
}

/// One selected row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Selection {
    /// The stratum (0-based); `None` when the population is tested in full.
    pub stratum: Option<usize>,
    /// The stratum's rows in sorted order: `[start, end)` (0-based positions).
    pub start: usize,
    pub end: usize,
    /// `SHA-256(s ‖ i)`, lowercase hex; `None` when tested in full.
    pub draw: Option<String>,
    /// `draw mod (end − start)`.
    pub offset: usize,
    /// 0-based position in the sorted population: `start + offset`.
    pub position: usize,
    /// 1-based data row of the population file (its header is not counted).
    pub row: usize,
    pub key: SortKey,
}

/// A control's sample.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sample {
    pub control: String,
    pub file: String,
    pub file_sha256: String,
    /// `n`: rows in the control's population.
    pub population: usize,
    /// `k` from the control's frequency.
    pub sample_size: usize,
    pub method: Method,
    /// `s`, lowercase hex; `None` when tested in full.
    pub s: Option<String>,
    /// In stratum order (in sorted order when tested in full).
    pub selections: Vec<Selection>,
}

/// Draws a control's sample of size `k` (>= 1) from the seed.
pub fn draw(seed: &str, k: usize, population: &Population) -> Sample {
    let k = k.max(1);
    let mut rows: Vec<&(usize, SortKey)> = population.rows.iter().collect();
    rows.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
    let n = rows.len();
    let base = Sample {
        control: population.control.clone(),
        file: population.file.clone(),
        file_sha256: population.file_sha256.clone(),
        population: n,
        sample_size: k,
        method: Method::Full,
        s: None,
        selections: Vec::new(),
    };
    if n <= k {
        let selections = rows
            .iter()
            .enumerate()
            .map(|(position, (row, key))| Selection {
                stratum: None,
                start: position,
                end: position + 1,
                draw: None,
                offset: 0,
                position,
                row: *row,
                key: key.clone(),
            })
            .collect();
        return Sample { selections, ..base };
    }
    let s = sha256_hex_of(&[seed, &population.control, &population.file_sha256]);
    let selections = (0..k)
        .map(|i| {
            let start = i * n / k;
            let end = (i + 1) * n / k;
            let digest = Sha256::digest(format!("{s}{i}").as_bytes());
            let offset = mod_big_endian(&digest, end - start);
            let (row, key) = rows[start + offset];
            Selection {
                stratum: Some(i),
                start,
                end,
                draw: Some(hex(&digest)),
                offset,
                position: start + offset,
                row: *row,
                key: key.clone(),
            }
        })
        .collect();
    Sample {
        method: Method::Stratified,
        s: Some(s),
        selections,
        ..base
    }
}

fn sha256_hex_of(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
    }
    hex(&hasher.finalize())
}

/// `bytes` as a big-endian unsigned integer, modulo `m` (> 0).
fn mod_big_endian(bytes: &[u8], m: usize) -> usize {
    let m = m as u128;
    let mut r: u128 = 0;
    for b in bytes {
        // r < m <= usize::MAX, so r * 256 + 255 fits in u128.
        r = (r * 256 + u128::from(*b)) % m;
    }
    r as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(time: &str, repo: &str, id: &str) -> SortKey {
        SortKey {
            time: (!time.is_empty()).then(|| time.parse().unwrap()),
            repo: repo.into(),
            id: id.into(),
        }
    }

    fn population(n: usize) -> Population {
        Population {
            control: "CM-01".into(),
            file: "populations/changes.csv".into(),
            file_sha256: "ab".repeat(32),
            // Rows given in reverse time order: the sampler sorts them itself.
            rows: (0..n)
                .map(|i| {
                    let t = "2026-07-01T00:00:00Z".parse::<Timestamp>().unwrap()
                        + chrono::Duration::minutes((n - i) as i64);
                    (
                        i + 1,
                        SortKey {
                            time: Some(t),
                            repo: "acme/api".into(),
                            id: (i + 1).to_string(),
                        },
                    )
                })
                .collect(),
        }
    }

    #[test]
    fn sample_sizes_follow_the_frequency() {
        assert_eq!(sample_size("recurring", 40), Some(40));
        assert_eq!(sample_size("daily", 60), Some(25));
        assert_eq!(sample_size("weekly", 25), Some(5));
        assert_eq!(sample_size("monthly", 25), Some(2));
        assert_eq!(sample_size("quarterly", 25), Some(2));
        assert_eq!(sample_size("annual", 25), Some(1));
        assert_eq!(sample_size("hourly", 25), None);
    }

    #[test]
    fn sort_order_is_time_repo_then_numeric_or_bytewise_id() {
        let mut keys = [
            key("2026-07-02T00:00:00Z", "acme/api", "10"),
            key("2026-07-02T00:00:00Z", "acme/api", "9"),
            key("2026-07-01T00:00:00.5Z", "acme/web", "1"),
            key("2026-07-01T00:00:00Z", "acme/web", "1"),
            key("2026-07-02T00:00:00Z", "Acme/api", "11"),
            key("2026-07-02T00:00:00Z", "acme/api", "b1"),
            key("2026-07-02T00:00:00Z", "acme/api", "A1"),
            key("", "acme/zzz", "1"),
        ];
        keys.sort();
        let order: Vec<(String, &str)> = keys
            .iter()
            .map(|k| (k.repo.clone(), k.id.as_str()))
            .collect();
        assert_eq!(
            order,
            [
                ("acme/zzz".to_string(), "1"),
                ("acme/web".into(), "1"),
                ("acme/web".into(), "1"),
                ("Acme/api".into(), "11"),
                ("acme/api".into(), "9"),
                ("acme/api".into(), "10"),
                ("acme/api".into(), "A1"),
                ("acme/api".into(), "b1"),
            ]
        );
        assert!(keys[1].time < keys[2].time, "fractions order as instants");
        assert_eq!(id_order("007", "7"), Ordering::Equal);
        assert_eq!(
            id_order("99999999999999999999999", "100000000000000000000000"),
            Ordering::Less
        );
    }

    #[test]
    fn small_population_is_tested_in_full() {
        let sample = draw("seed", 25, &population(3));
        assert_eq!(sample.method, Method::Full);
        assert_eq!(sample.s, None);
        let rows: Vec<usize> = sample.selections.iter().map(|s| s.row).collect();
        assert_eq!(rows, [3, 2, 1], "in sorted (time) order");
        let sample = draw("seed", 25, &population(25));
        assert_eq!((sample.method, sample.selections.len()), (Method::Full, 25));
        assert_eq!(draw("seed", 25, &population(0)).selections, []);
    }

    #[test]
    fn one_row_from_each_equal_stratum() {
        let p = population(103);
        let sample = draw("auditor-2026", 25, &p);
        assert_eq!(sample.method, Method::Stratified);
        assert_eq!(sample.selections.len(), 25);
        let mut covered = 0;
        for (i, s) in sample.selections.iter().enumerate() {
            assert_eq!(s.stratum, Some(i));
            assert_eq!(s.start, covered, "strata are contiguous");
            assert!((4..=5).contains(&(s.end - s.start)), "equal strata: {s:?}");
            assert!(s.start <= s.position && s.position < s.end);
            covered = s.end;
        }
        assert_eq!(covered, 103);
        // The sort is by time: the latest row (row 1) is last.
        assert_eq!(sample.selections[24].end, 103);
        // Same inputs, same sample; any input changed, a different one.
        assert_eq!(sample, draw("auditor-2026", 25, &p));
        assert_ne!(sample.selections, draw("auditor-2027", 25, &p).selections);
        let mut other = p.clone();
        other.file_sha256 = "cd".repeat(32);
        assert_ne!(sample.s, draw("auditor-2026", 25, &other).s);
        other = p.clone();
        other.control = "CM-02".into();
        assert_ne!(sample.s, draw("auditor-2026", 25, &other).s);
    }

    #[test]
    fn the_digests_are_the_documented_ones() {
        // s = SHA-256("seed" "CM-01" "abab…ab"), computed with sha256sum:
        // printf '%s' "seedCM-01$(printf 'ab%.0s' $(seq 32))" | sha256sum
        let p = population(30);
        let sample = draw("seed", 2, &p);
        let s = sample.s.clone().unwrap();
        assert_eq!(
            s,
            crate::util::sha256_hex(format!("seedCM-01{}", "ab".repeat(32)).as_bytes())
        );
        let draw1 = crate::util::sha256_hex(format!("{s}1").as_bytes());
        assert_eq!(sample.selections[1].draw.as_deref(), Some(draw1.as_str()));
        // The offset is the digest as a big-endian integer modulo the stratum's length.
        let last = u128::from_str_radix(&draw1[32..], 16).unwrap();
        let high = u128::from_str_radix(&draw1[..32], 16).unwrap();
        // (high·2^128 + last) mod 15, with 2^128 mod 15 = 1.
        assert_eq!(
            sample.selections[1].offset as u128,
            (high % 15 + last % 15) % 15
        );
    }

    #[test]
    fn big_endian_modulo() {
        assert_eq!(mod_big_endian(&[1, 0], 7), 256 % 7);
        assert_eq!(mod_big_endian(&[0xff; 32], 1), 0);
        assert_eq!(mod_big_endian(&[0, 0, 1, 2, 3], 1000), 0x010203 % 1000);
    }
}
