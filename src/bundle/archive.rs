//! The deterministic zip: entries in path order, Deflate at a fixed level, the zip epoch
//! 1980-01-01 00:00:00 as every entry's time, Unix mode 0644, no directory entries, extra
//! fields or comments, so the same files always give the same zip bytes. Written as a
//! [`Target`] of the bundle writer, one entry at a time.

use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use ::zip::write::SimpleFileOptions;
use ::zip::{CompressionMethod, DateTime, System, ZipWriter};

use super::BundleError;
use super::writer::{Target, io_at};

/// Unix permissions of every entry: readable by all, writable by the owner.
pub(super) const ENTRY_MODE: u32 = 0o644;
/// zlib's default level, fixed so a change of the crate's default cannot change bytes.
const DEFLATE_LEVEL: i64 = 6;

fn options() -> SimpleFileOptions {
    SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .compression_level(Some(DEFLATE_LEVEL))
        .last_modified_time(DateTime::default())
        .unix_permissions(ENTRY_MODE)
        .system(System::Unix)
        .large_file(false)
}

/// A zip written beside its final path and renamed into place when complete, so a crash
/// or an error never leaves a partial zip under the bundle's name.
pub(super) struct ZipTarget {
    path: PathBuf,
    tmp: PathBuf,
    zip: Option<ZipWriter<BufWriter<fs::File>>>,
}

impl ZipTarget {
    pub(super) fn create(path: &Path) -> Result<ZipTarget, BundleError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::create_dir_all(parent).map_err(io_at(path))?;
        }
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "bundle.zip".into());
        let tmp = path.with_file_name(format!(".{file_name}.tmp"));
        let file = fs::File::create(&tmp).map_err(io_at(path))?;
        Ok(ZipTarget {
            path: path.to_path_buf(),
            tmp,
            zip: Some(ZipWriter::new(BufWriter::new(file))),
        })
    }

    fn error(&self, message: String) -> BundleError {
        BundleError::Zip {
            path: self.path.clone(),
            message,
        }
    }

    fn zip(&mut self) -> Result<&mut ZipWriter<BufWriter<fs::File>>, BundleError> {
        let path = self.path.clone();
        self.zip.as_mut().ok_or(BundleError::Zip {
            path,
            message: "the zip was already finished".into(),
        })
    }
}

impl Target for ZipTarget {
    fn start(&mut self, name: &str) -> Result<(), BundleError> {
        let result = self.zip()?.start_file(name, options());
        result.map_err(|e| self.error(format!("{name}: {e}")))
    }

    fn write(&mut self, chunk: &[u8]) -> Result<(), BundleError> {
        let result = self.zip()?.write_all(chunk);
        result.map_err(io_at(&self.path))
    }

    fn end(&mut self) -> Result<(), BundleError> {
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<(), BundleError> {
        let Some(zip) = self.zip.take() else {
            return Err(self.error("the zip was already finished".into()));
        };
        let result = zip
            .finish()
            .map_err(|e| self.error(e.to_string()))
            .and_then(|file| {
                file.into_inner()
                    .map_err(|e| io_at(&self.path)(e.into_error()))
            })
            .and_then(|file| file.sync_all().map_err(io_at(&self.path)))
            .and_then(|()| fs::rename(&self.tmp, &self.path).map_err(io_at(&self.path)));
        if result.is_err() {
            let _ = fs::remove_file(&self.tmp);
        }
        result
    }
}

impl Drop for ZipTarget {
    fn drop(&mut self) {
        // Still open: the bundle failed before the zip was complete.
        if self.zip.is_some() {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}
