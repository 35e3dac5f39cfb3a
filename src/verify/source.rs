//! Reading a bundle that may be hostile, as a zip or as a folder.
//!
//! Nothing is ever extracted by entry name: entries are listed, checked, and read into
//! memory or a hasher with hard limits. Refused: names that are not UTF-8, absolute,
//! contain `..`, `.`, empty segments, backslashes, drive letters or NUL; symlinks and
//! any other non-regular file; encrypted entries; compression methods other than
//! stored/deflate; duplicate names (also case-insensitively, as they would collide on
//! many file systems); zips whose entries share compressed data (the overlapping-entry
//! bomb) or whose local headers disagree with the central directory. Sizes in a zip's
//! headers are never trusted: bytes are counted while reading, and reading stops one
//! byte past what the caller expects, past the per-entry cap, past the total cap, or
//! when an entry inflates beyond the allowed ratio.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use ::zip::{CompressionMethod, ZipArchive};

use super::{Problem, ProblemKind};

/// Caps on what reading a bundle may cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Entries in the zip or files in the folder.
    pub max_entries: usize,
    /// Uncompressed bytes of one entry.
    pub max_entry_bytes: u64,
    /// Uncompressed bytes read in all.
    pub max_total_bytes: u64,
    /// Uncompressed bytes per compressed byte, checked once an entry passes `ratio_floor`.
    pub max_ratio: u64,
    pub ratio_floor: u64,
}

impl Default for Limits {
    /// Far above any real bundle (the demo's entries compress at most ~30:1; a zip entry
    /// without ZIP64 is under 4 GiB), far below what a bomb needs.
    fn default() -> Self {
        Limits {
            max_entries: 2_000_000,
            max_entry_bytes: 4 << 30,
            max_total_bytes: 64 << 30,
            max_ratio: 500,
            ratio_floor: 1 << 20,
        }
    }
}

/// One regular file of the bundle.
#[derive(Debug, Clone)]
pub(super) struct Entry {
    /// Size as the zip's central directory or the file system states it (not trusted).
    pub declared_size: u64,
    /// Compressed size (zip) — for the ratio check; `None` for a folder.
    pub compressed_size: Option<u64>,
    location: Location,
}

#[derive(Debug, Clone)]
enum Location {
    ZipIndex(usize),
    File(PathBuf),
}

/// A bundle opened for reading: its regular files by path, and the problems found
/// while listing them.
pub(super) struct Source {
    pub form: Form,
    pub entries: BTreeMap<String, Entry>,
    zip: Option<ZipArchive<fs::File>>,
    limits: Limits,
    total_read: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    Zip,
    Folder,
}

impl Form {
    pub fn as_str(self) -> &'static str {
        match self {
            Form::Zip => "zip",
            Form::Folder => "folder",
        }
    }
}

/// Why reading an entry stopped.
#[derive(Debug)]
pub(super) enum ReadError {
    /// More bytes than the caller allowed: the count read so far (at least `limit + 1`).
    TooLong(u64),
    /// A cap of `Limits` was hit; the message names it.
    Limit(String),
    Io(String),
}

impl Source {
    /// Opens `path` as a zip (a file) or a folder; problems found while listing are
    /// pushed to `problems` (the offending entries are left out of `entries`).
    pub fn open(path: &Path, limits: Limits, problems: &mut Vec<Problem>) -> io::Result<Source> {
        let meta = fs::metadata(path)?;
        let mut source = Source {
            form: if meta.is_dir() {
                Form::Folder
            } else {
                Form::Zip
            },
            entries: BTreeMap::new(),
            zip: None,
            limits,
            total_read: 0,
        };
        let bundle = path.display().to_string();
        if meta.is_dir() {
            source.list_folder(path, problems);
        } else {
            let file = fs::File::open(path)?;
            match ZipArchive::new(file) {
                Ok(zip) => source.list_zip(zip, &bundle, problems),
                Err(e) => problems.push(Problem::new(
                    &bundle,
                    ProblemKind::Unreadable,
                    format!("not a readable zip: {e}"),
                )),
            }
        }
        let mut folded: BTreeMap<String, &str> = BTreeMap::new();
        let mut collisions = Vec::new();
        for name in source.entries.keys() {
            if let Some(other) = folded.insert(name.to_lowercase(), name) {
                collisions.push((other.to_string(), name.clone()));
            }
        }
        for (first, second) in collisions {
            problems.push(Problem::new(
                &second,
                ProblemKind::UnsafeEntry,
                format!("differs from `{first}` only in letter case: the two would collide when unpacked on many systems"),
            ));
        }
        Ok(source)
    }

    fn list_zip(
        &mut self,
        mut zip: ZipArchive<fs::File>,
        bundle: &str,
        problems: &mut Vec<Problem>,
    ) {
        if zip.has_duplicate_names() {
            problems.push(Problem::new(
                bundle,
                ProblemKind::UnsafeEntry,
                "the zip's central directory lists the same name more than once; tools disagree on which copy they unpack".into(),
            ));
        }
        match zip.has_overlapping_entries() {
            Ok(false) => {}
            Ok(true) => problems.push(Problem::new(
                bundle,
                ProblemKind::UnsafeEntry,
                "entries of the zip share bytes (a decompression-bomb technique); a bundle's entries never overlap".into(),
            )),
            Err(e) => problems.push(Problem::new(
                bundle,
                ProblemKind::Unreadable,
                format!("the zip's entries cannot be located: {e}"),
            )),
        }
        if zip.has_duplicate_names() {
            // Reported above; the header check would only repeat it.
        } else if let Err(e) = zip.validate_header_consistency() {
            problems.push(Problem::new(
                bundle,
                ProblemKind::UnsafeEntry,
                format!("local headers disagree with the central directory: {e}"),
            ));
        }
        if zip.len() > self.limits.max_entries {
            problems.push(Problem::new(
                bundle,
                ProblemKind::Limit,
                format!(
                    "{} entries, more than the limit of {}",
                    zip.len(),
                    self.limits.max_entries
                ),
            ));
            return;
        }
        for index in 0..zip.len() {
            let data = match zip.by_index_data(index) {
                Ok(d) => d,
                Err(e) => {
                    problems.push(Problem::new(
                        bundle,
                        ProblemKind::Unreadable,
                        format!("entry {index}: {e}"),
                    ));
                    continue;
                }
            };
            let Ok(name) = std::str::from_utf8(data.name_raw()) else {
                problems.push(Problem::new(
                    &String::from_utf8_lossy(data.name_raw()),
                    ProblemKind::UnsafeEntry,
                    "the entry name is not UTF-8".into(),
                ));
                continue;
            };
            let refuse = |problems: &mut Vec<Problem>, message: String| {
                problems.push(Problem::new(name, ProblemKind::UnsafeEntry, message));
            };
            let is_dir_name = name.ends_with('/');
            let path = name.strip_suffix('/').unwrap_or(name);
            if let Some(reason) = unsafe_path_reason(path) {
                refuse(problems, format!("unsafe entry name: {reason}"));
                continue;
            }
            let file_type = data.unix_mode().map(|m| m & S_IFMT);
            if file_type == Some(S_IFLNK) {
                refuse(
                    problems,
                    "a symbolic link; a bundle holds regular files only".into(),
                );
                continue;
            }
            if is_dir_name || file_type == Some(S_IFDIR) {
                // A directory entry carries no data; its name was checked above.
                continue;
            }
            if let Some(kind) = file_type.filter(|&t| t != S_IFREG && t != 0) {
                refuse(
                    problems,
                    format!("not a regular file (Unix file type 0o{kind:06o})"),
                );
                continue;
            }
            if data.encrypted() {
                refuse(problems, "encrypted; a bundle is never encrypted".into());
                continue;
            }
            let method = data.compression();
            if method != CompressionMethod::Stored && method != CompressionMethod::Deflated {
                refuse(
                    problems,
                    format!("compression method {method} is not stored or deflate"),
                );
                continue;
            }
            self.entries.insert(
                name.to_string(),
                Entry {
                    declared_size: data.size(),
                    compressed_size: Some(data.compressed_size()),
                    location: Location::ZipIndex(index),
                },
            );
        }
        self.zip = Some(zip);
    }

    fn list_folder(&mut self, root: &Path, problems: &mut Vec<Problem>) {
        // Depth-first with an explicit stack; symlinks are reported, never followed.
        let mut stack = vec![(root.to_path_buf(), String::new())];
        let mut seen = 0usize;
        while let Some((dir, prefix)) = stack.pop() {
            let listing = match fs::read_dir(&dir) {
                Ok(l) => l,
                Err(e) => {
                    problems.push(Problem::new(
                        if prefix.is_empty() { "." } else { &prefix },
                        ProblemKind::Unreadable,
                        format!("cannot list the folder: {e}"),
                    ));
                    continue;
                }
            };
            let mut children: Vec<_> = listing.filter_map(Result::ok).collect();
            children.sort_by_key(|c| c.file_name());
            for child in children {
                seen += 1;
                if seen > self.limits.max_entries {
                    problems.push(Problem::new(
                        ".",
                        ProblemKind::Limit,
                        format!("more than {} files", self.limits.max_entries),
                    ));
                    return;
                }
                let name = child.file_name();
                let Some(name) = name.to_str() else {
                    problems.push(Problem::new(
                        &format!("{prefix}{}", name.to_string_lossy()),
                        ProblemKind::UnsafeEntry,
                        "the file name is not UTF-8".into(),
                    ));
                    continue;
                };
                let relative = format!("{prefix}{name}");
                if let Some(reason) = unsafe_path_reason(&relative) {
                    problems.push(Problem::new(
                        &relative,
                        ProblemKind::UnsafeEntry,
                        format!("unsafe file name: {reason}"),
                    ));
                    continue;
                }
                let meta = match fs::symlink_metadata(child.path()) {
                    Ok(m) => m,
                    Err(e) => {
                        problems.push(Problem::new(
                            &relative,
                            ProblemKind::Unreadable,
                            e.to_string(),
                        ));
                        continue;
                    }
                };
                let kind = meta.file_type();
                if kind.is_symlink() {
                    problems.push(Problem::new(
                        &relative,
                        ProblemKind::UnsafeEntry,
                        "a symbolic link; a bundle holds regular files only (links can point outside the bundle)".into(),
                    ));
                } else if kind.is_dir() {
                    stack.push((child.path(), format!("{relative}/")));
                } else if kind.is_file() {
                    self.entries.insert(
                        relative,
                        Entry {
                            declared_size: meta.len(),
                            compressed_size: None,
                            location: Location::File(child.path()),
                        },
                    );
                } else {
                    problems.push(Problem::new(
                        &relative,
                        ProblemKind::UnsafeEntry,
                        "not a regular file (a device, socket or pipe)".into(),
                    ));
                }
            }
        }
    }

    pub fn paths(&self) -> BTreeSet<&str> {
        self.entries.keys().map(String::as_str).collect()
    }

    /// Reads an entry whole, failing with `TooLong` beyond `limit` bytes (and on any cap).
    pub fn read(&mut self, path: &str, limit: u64) -> Result<Vec<u8>, ReadError> {
        let mut out = Vec::new();
        self.read_into(path, limit, &mut |chunk| {
            out.extend_from_slice(chunk);
            Ok(())
        })?;
        Ok(out)
    }

    /// Streams an entry through `sink` in chunks, counting bytes: at most `limit + 1`
    /// bytes are ever read (so a longer entry is detected but never read whole).
    pub fn read_into(
        &mut self,
        path: &str,
        limit: u64,
        sink: &mut dyn FnMut(&[u8]) -> io::Result<()>,
    ) -> Result<u64, ReadError> {
        let entry = self
            .entries
            .get(path)
            .cloned()
            .ok_or_else(|| ReadError::Io("not in the bundle".into()))?;
        let limits = self.limits;
        let cap = limit.min(limits.max_entry_bytes);
        let total_before = self.total_read;
        let count = match &entry.location {
            Location::File(file) => {
                let mut reader = fs::File::open(file).map_err(|e| ReadError::Io(e.to_string()))?;
                pump(&mut reader, cap, &entry, limits, total_before, sink)?
            }
            Location::ZipIndex(index) => {
                let zip = self
                    .zip
                    .as_mut()
                    .ok_or_else(|| ReadError::Io("the zip is not open".into()))?;
                let mut reader = zip
                    .by_index(*index)
                    .map_err(|e| ReadError::Io(e.to_string()))?;
                pump(&mut reader, cap, &entry, limits, total_before, sink)?
            }
        };
        self.total_read += count;
        judge(count, limit, limits)
    }
}

/// The outcome of reading `count` bytes (at most `min(limit, max_entry_bytes) + 1`).
fn judge(count: u64, limit: u64, limits: Limits) -> Result<u64, ReadError> {
    if count > limits.max_entry_bytes {
        return Err(ReadError::Limit(format!(
            "larger than the limit of {} bytes for one entry; refused",
            limits.max_entry_bytes
        )));
    }
    if count > limit {
        return Err(ReadError::TooLong(count));
    }
    Ok(count)
}

/// Copies from `reader` to `sink` until EOF or `cap + 1` bytes, enforcing the entry's
/// ratio and the total cap as bytes arrive.
fn pump(
    reader: &mut dyn Read,
    cap: u64,
    entry: &Entry,
    limits: Limits,
    total_before: u64,
    sink: &mut dyn FnMut(&[u8]) -> io::Result<()>,
) -> Result<u64, ReadError> {
    let mut buffer = vec![0u8; 64 * 1024];
    let mut count: u64 = 0;
    loop {
        let room = (cap + 1 - count).min(buffer.len() as u64) as usize;
        if room == 0 {
            break;
        }
        let n = match reader.read(&mut buffer[..room]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(ReadError::Io(e.to_string())),
        };
        count += n as u64;
        if let Some(compressed) = entry.compressed_size
            && count > limits.ratio_floor
            && count > compressed.max(1).saturating_mul(limits.max_ratio)
        {
            return Err(ReadError::Limit(format!(
                "inflates to more than {} times its compressed size of {compressed} bytes (a decompression bomb?); refused",
                limits.max_ratio
            )));
        }
        if total_before + count > limits.max_total_bytes {
            return Err(ReadError::Limit(format!(
                "reading it would pass the limit of {} bytes for the whole bundle; refused",
                limits.max_total_bytes
            )));
        }
        sink(&buffer[..n]).map_err(|e| ReadError::Io(e.to_string()))?;
    }
    Ok(count)
}

const S_IFMT: u32 = 0o170000;
const S_IFLNK: u32 = 0o120000;
const S_IFDIR: u32 = 0o040000;
const S_IFREG: u32 = 0o100000;

/// Why a bundle path is unsafe, or `None`: the rules the bundle writer follows.
pub(crate) use crate::bundle::unsafe_path_reason;

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that claims nothing and yields `n` zero bytes.
    struct Zeros(u64);
    impl Read for Zeros {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = (buf.len() as u64).min(self.0) as usize;
            buf[..n].fill(0);
            self.0 -= n as u64;
            Ok(n)
        }
    }

    fn entry(compressed: Option<u64>) -> Entry {
        Entry {
            declared_size: 10,
            compressed_size: compressed,
            location: Location::File(PathBuf::from("x")),
        }
    }

    #[test]
    fn reading_stops_one_byte_past_the_limit_whatever_the_header_says() {
        let mut seen = 0u64;
        let count = pump(
            &mut Zeros(10 << 20),
            100,
            &entry(None),
            Limits::default(),
            0,
            &mut |c| {
                seen += c.len() as u64;
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(count, 101);
        assert_eq!(seen, 101);
    }

    #[test]
    fn an_entry_inflating_past_the_ratio_is_refused() {
        let limits = Limits {
            ratio_floor: 1000,
            max_ratio: 10,
            ..Limits::default()
        };
        let err = pump(
            &mut Zeros(1 << 20),
            1 << 30,
            &entry(Some(50)),
            limits,
            0,
            &mut |_| Ok(()),
        )
        .unwrap_err();
        assert!(
            matches!(err, ReadError::Limit(ref m) if m.contains("decompression bomb")),
            "{err:?}"
        );
    }

    #[test]
    fn the_total_cap_counts_earlier_entries() {
        let limits = Limits {
            max_total_bytes: 1000,
            ..Limits::default()
        };
        let err = pump(
            &mut Zeros(600),
            1 << 20,
            &entry(None),
            limits,
            500,
            &mut |_| Ok(()),
        )
        .unwrap_err();
        assert!(
            matches!(err, ReadError::Limit(ref m) if m.contains("whole bundle")),
            "{err:?}"
        );
    }

    #[test]
    fn the_entry_cap_applies_even_when_the_caller_allows_more() {
        let limits = Limits {
            max_entry_bytes: 1000,
            ..Limits::default()
        };
        let err = judge(1001, 5000, limits).unwrap_err();
        assert!(
            matches!(err, ReadError::Limit(ref m) if m.contains("one entry")),
            "{err:?}"
        );
        assert!(matches!(
            judge(101, 100, limits),
            Err(ReadError::TooLong(101))
        ));
        assert_eq!(judge(100, 100, limits).unwrap(), 100);
    }
}
