//! Writing the bundle while it is made: each file goes to its targets (a folder, a zip,
//! or memory for tests) as soon as it exists, hashed on the way for the manifest, so the
//! bundle is never held in memory as a whole and raw evidence is copied one body at a
//! time.
//!
//! The zip lists its entries in path order, as it always has. Files that sort after
//! `manifest.json.minisig` (`oscal/`, `populations/`, `report.pdf`, `workpapers.xlsx`) are
//! made before the manifest but must be zipped after it, so they alone are held in
//! memory until [`Emitter::finish`]; everything large (raw evidence, `evidence.json`,
//! `index.html`) sorts before the manifest and streams straight through.

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use super::manifest::{Digest, Digests};
use super::{BundleError, BundleFiles, SIGNATURE_FILE, paths};

/// Where bundle files go. Each file is `start`ed, written in chunks and `end`ed; files
/// arrive in path order.
pub(super) trait Target {
    fn start(&mut self, path: &str) -> Result<(), BundleError>;
    fn write(&mut self, chunk: &[u8]) -> Result<(), BundleError>;
    fn end(&mut self) -> Result<(), BundleError>;
    /// Completes the target (the zip's central directory, its rename into place).
    fn finish(self: Box<Self>) -> Result<(), BundleError>;
}

/// Sends files to every target, hashing them, in path order.
pub(super) struct Emitter<'t> {
    targets: Vec<Box<dyn Target + 't>>,
    digests: Digests,
    /// Files made early that the zip lists after the manifest and its signature.
    held: BundleFiles,
    last: Option<String>,
}

impl<'t> Emitter<'t> {
    pub(super) fn new(targets: Vec<Box<dyn Target + 't>>) -> Emitter<'t> {
        Emitter {
            targets,
            digests: Digests::new(),
            held: BundleFiles::new(),
            last: None,
        }
    }

    /// Every file's size and SHA-256 so far.
    pub(super) fn digests(&self) -> &Digests {
        &self.digests
    }

    pub(super) fn file(&mut self, path: &str, bytes: &[u8]) -> Result<(), BundleError> {
        self.stream(path, |w| w.write_all(bytes))
    }

    /// Writes one file whose bytes `write` produces into the writer it is given.
    pub(super) fn stream(
        &mut self,
        path: &str,
        write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> Result<(), BundleError> {
        paths::check(path)?;
        if self.digests.contains_key(path) {
            return Err(BundleError::Order {
                path: path.to_string(),
                after: path.to_string(),
            });
        }
        if path > SIGNATURE_FILE {
            let mut bytes = Vec::new();
            write(&mut bytes).map_err(|e| io_error(path, e))?;
            self.digests.insert(path.to_string(), Digest::of(&bytes));
            self.held.insert(path.to_string(), bytes);
            return Ok(());
        }
        if let Some(last) = &self.last
            && path <= last.as_str()
        {
            return Err(BundleError::Order {
                path: path.to_string(),
                after: last.clone(),
            });
        }
        for target in &mut self.targets {
            target.start(path)?;
        }
        let mut entry = Entry {
            targets: &mut self.targets,
            hasher: Sha256::new(),
            size: 0,
            failed: None,
        };
        let result = {
            let mut blocks = Blocks::new(&mut entry);
            write(&mut blocks).and_then(|()| blocks.finish())
        };
        if let Some(error) = entry.failed.take() {
            return Err(error);
        }
        result.map_err(|e| io_error(path, e))?;
        let digest = Digest {
            size: entry.size,
            sha256: crate::util::hex(&entry.hasher.finalize()),
        };
        for target in &mut self.targets {
            target.end()?;
        }
        self.digests.insert(path.to_string(), digest);
        self.last = Some(path.to_string());
        Ok(())
    }

    /// Writes the held files after everything else and completes every target.
    pub(super) fn finish(mut self) -> Result<Digests, BundleError> {
        let held = std::mem::take(&mut self.held);
        for (path, bytes) in &held {
            for target in &mut self.targets {
                target.start(path)?;
                target.write(bytes)?;
                target.end()?;
            }
        }
        for target in self.targets {
            target.finish()?;
        }
        Ok(self.digests)
    }
}

/// A failure while making a file, named by its bundle path.
fn io_error(path: &str, source: io::Error) -> BundleError {
    BundleError::Io {
        path: PathBuf::from(path),
        source,
    }
}

/// Bytes a file is streamed in are handed on in blocks of this size.
const BLOCK: usize = 1 << 16;

/// Hands the bytes written to it on in blocks of exactly [`BLOCK`] bytes (the last one
/// shorter), whatever sizes they were written in. The zip's compressor gives different
/// (equally valid) output for the same bytes cut at different places, so without this
/// the zip's bytes changed when a serializer merely wrote a value in more pieces; with
/// it they are a function of each file's content.
struct Blocks<W: Write> {
    inner: W,
    block: Vec<u8>,
}

impl<W: Write> Blocks<W> {
    fn new(inner: W) -> Blocks<W> {
        Blocks {
            inner,
            block: Vec::with_capacity(BLOCK),
        }
    }

    /// Hands on the last, shorter block.
    fn finish(mut self) -> io::Result<()> {
        if !self.block.is_empty() {
            self.inner.write_all(&self.block)?;
        }
        self.inner.flush()
    }
}

impl<W: Write> Write for Blocks<W> {
    fn write(&mut self, mut data: &[u8]) -> io::Result<usize> {
        let written = data.len();
        while !data.is_empty() {
            let take = (BLOCK - self.block.len()).min(data.len());
            self.block.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.block.len() == BLOCK {
                self.inner.write_all(&self.block)?;
                self.block.clear();
            }
        }
        Ok(written)
    }

    /// Holds on to a partial block: only [`Blocks::finish`] hands it on, so a flush
    /// in the middle of a file cannot move a block boundary.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The writer a file's bytes go through: to every target, and into the hash.
struct Entry<'e, 't> {
    targets: &'e mut Vec<Box<dyn Target + 't>>,
    hasher: Sha256,
    size: u64,
    /// A target's own error, kept whole (an `io::Error` would lose which file failed).
    failed: Option<BundleError>,
}

impl Write for Entry<'_, '_> {
    fn write(&mut self, chunk: &[u8]) -> io::Result<usize> {
        if self.failed.is_some() {
            return Err(io::Error::other("a bundle target failed"));
        }
        for target in self.targets.iter_mut() {
            if let Err(e) = target.write(chunk) {
                self.failed = Some(e);
                return Err(io::Error::other("a bundle target failed"));
            }
        }
        self.hasher.update(chunk);
        self.size += chunk.len() as u64;
        Ok(chunk.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The bundle as a map in memory (tests, and callers that want the bytes).
pub(super) struct MemoryTarget<'m> {
    pub files: &'m mut BundleFiles,
    current: Option<(String, Vec<u8>)>,
}

impl<'m> MemoryTarget<'m> {
    pub(super) fn new(files: &'m mut BundleFiles) -> MemoryTarget<'m> {
        MemoryTarget {
            files,
            current: None,
        }
    }
}

impl Target for MemoryTarget<'_> {
    fn start(&mut self, path: &str) -> Result<(), BundleError> {
        self.current = Some((path.to_string(), Vec::new()));
        Ok(())
    }

    fn write(&mut self, chunk: &[u8]) -> Result<(), BundleError> {
        if let Some((_, bytes)) = &mut self.current {
            bytes.extend_from_slice(chunk);
        }
        Ok(())
    }

    fn end(&mut self) -> Result<(), BundleError> {
        if let Some((path, bytes)) = self.current.take() {
            self.files.insert(path, bytes);
        }
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<(), BundleError> {
        Ok(())
    }
}

/// The bundle as a folder tree (created; if it exists it must be empty).
pub(super) struct DirTarget {
    root: PathBuf,
    current: Option<(PathBuf, BufWriter<fs::File>)>,
}

impl DirTarget {
    pub(super) fn create(root: &Path) -> Result<DirTarget, BundleError> {
        if root.exists() {
            let mut entries = fs::read_dir(root).map_err(io_at(root))?;
            if entries.next().is_some() {
                return Err(BundleError::NotEmpty {
                    path: root.to_path_buf(),
                });
            }
        }
        fs::create_dir_all(root).map_err(io_at(root))?;
        Ok(DirTarget {
            root: root.to_path_buf(),
            current: None,
        })
    }
}

impl Target for DirTarget {
    fn start(&mut self, relative: &str) -> Result<(), BundleError> {
        let path = relative
            .split('/')
            .fold(self.root.clone(), |p, segment| p.join(segment));
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(io_at(parent))?;
        }
        let file = fs::File::create(&path).map_err(io_at(&path))?;
        self.current = Some((path, BufWriter::new(file)));
        Ok(())
    }

    fn write(&mut self, chunk: &[u8]) -> Result<(), BundleError> {
        if let Some((path, file)) = &mut self.current {
            file.write_all(chunk).map_err(io_at(path))?;
        }
        Ok(())
    }

    fn end(&mut self) -> Result<(), BundleError> {
        if let Some((path, file)) = self.current.take() {
            file.into_inner().map_err(|e| BundleError::Io {
                path,
                source: e.into_error(),
            })?;
        }
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<(), BundleError> {
        Ok(())
    }
}

pub(super) fn io_at(path: &Path) -> impl FnOnce(io::Error) -> BundleError + use<> {
    let path = path.to_path_buf();
    move |source| BundleError::Io { path, source }
}

/// Writes files already in memory through the same targets, in path order, so
/// `write_dir`/`write_zip` of a built bundle give the bytes a streamed bundle gets.
pub(super) fn write_all<'t>(
    files: &BundleFiles,
    mut target: Box<dyn Target + 't>,
) -> Result<(), BundleError> {
    for path in files.keys() {
        paths::check(path)?;
    }
    for (path, bytes) in files {
        target.start(path)?;
        target.write(bytes)?;
        target.end()?;
    }
    target.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records the chunks it is handed.
    #[derive(Default)]
    struct Chunks(Vec<Vec<u8>>);

    impl Write for &mut Chunks {
        fn write(&mut self, chunk: &[u8]) -> io::Result<usize> {
            self.0.push(chunk.to_vec());
            Ok(chunk.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn handed_on(content: &[u8], piece: usize, flush_every: usize) -> Vec<Vec<u8>> {
        let mut chunks = Chunks::default();
        let mut blocks = Blocks::new(&mut chunks);
        for (i, part) in content.chunks(piece).enumerate() {
            blocks.write_all(part).unwrap();
            if i % flush_every == 0 {
                blocks.flush().unwrap();
            }
        }
        blocks.finish().unwrap();
        chunks.0
    }

    #[test]
    fn blocks_are_cut_by_content_alone_whatever_the_writes_and_flushes() {
        let content: Vec<u8> = (0..(3 * BLOCK + 1234))
            .map(|i| (i * 7 % 251) as u8)
            .collect();
        let expected = handed_on(&content, content.len(), 1);
        assert_eq!(expected.len(), 4);
        assert!(expected[..3].iter().all(|b| b.len() == BLOCK));
        assert_eq!(expected.concat(), content);
        for (piece, flush_every) in [
            (1, 997),
            (7, 3),
            (BLOCK - 1, 1),
            (BLOCK + 1, 2),
            (100_000, 1),
        ] {
            assert_eq!(
                handed_on(&content, piece, flush_every),
                expected,
                "{piece}/{flush_every}"
            );
        }
        // An empty file hands on nothing.
        assert!(handed_on(&[], 1, 1).is_empty());
    }
}
