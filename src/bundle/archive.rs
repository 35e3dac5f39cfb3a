//! Writing a bundle out: as a folder tree, or as a deterministic zip (entries in path
//! order, Deflate at a fixed level, the zip epoch 1980-01-01 00:00:00 as every entry's
//! time, Unix mode 0644, no directory entries, extra fields or comments), so the same
//! files always give the same zip bytes.

use std::fs;
use std::io::{BufWriter, Seek, Write};
use std::path::Path;

use ::zip::write::SimpleFileOptions;
use ::zip::{CompressionMethod, DateTime, System, ZipWriter};

use super::{BundleError, BundleFiles, paths};

/// Unix permissions of every entry: readable by all, writable by the owner.
pub(super) const ENTRY_MODE: u32 = 0o644;
/// zlib's default level, fixed so a change of the crate's default cannot change bytes.
const DEFLATE_LEVEL: i64 = 6;

pub(super) fn write_dir(files: &BundleFiles, dir: &Path) -> Result<(), BundleError> {
    for path in files.keys() {
        paths::check(path)?;
    }
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| BundleError::Io { path, source }
    };
    if dir.exists() {
        let mut entries = fs::read_dir(dir).map_err(io(dir))?;
        if entries.next().is_some() {
            return Err(BundleError::NotEmpty {
                path: dir.to_path_buf(),
            });
        }
    }
    fs::create_dir_all(dir).map_err(io(dir))?;
    for (relative, bytes) in files {
        let path = relative
            .split('/')
            .fold(dir.to_path_buf(), |p, s| p.join(s));
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(io(parent))?;
        }
        fs::write(&path, bytes).map_err(io(&path))?;
    }
    Ok(())
}

pub(super) fn write_zip(files: &BundleFiles, path: &Path) -> Result<(), BundleError> {
    for name in files.keys() {
        paths::check(name)?;
    }
    let io = |source| BundleError::Io {
        path: path.to_path_buf(),
        source,
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent).map_err(io)?;
    }
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "bundle.zip".into());
    // Written beside the target and renamed, so a crash never leaves a partial zip
    // under the bundle's name.
    let tmp = path.with_file_name(format!(".{file_name}.tmp"));
    let result = (|| {
        let file = fs::File::create(&tmp).map_err(io)?;
        let file = zip_into(files, BufWriter::new(file)).map_err(|message| BundleError::Zip {
            path: path.to_path_buf(),
            message,
        })?;
        let file = file.into_inner().map_err(|e| io(e.into_error()))?;
        file.sync_all().map_err(io)?;
        fs::rename(&tmp, path).map_err(io)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Writes the zip into `sink` and returns it.
pub(super) fn zip_into<W: Write + Seek>(files: &BundleFiles, sink: W) -> Result<W, String> {
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .compression_level(Some(DEFLATE_LEVEL))
        .last_modified_time(DateTime::default())
        .unix_permissions(ENTRY_MODE)
        .system(System::Unix)
        .large_file(false);
    let mut zip = ZipWriter::new(sink);
    for (name, bytes) in files {
        zip.start_file(name.as_str(), options)
            .map_err(|e| format!("{name}: {e}"))?;
        zip.write_all(bytes).map_err(|e| format!("{name}: {e}"))?;
    }
    zip.finish().map_err(|e| e.to_string())
}
