//! `kind = "file"` sources: a deployment export from another system (Argo CD, Jenkins,
//! Spinnaker …) imported into the locker like an API response. The file is validated
//! first (every problem by line and field, nothing stored when one is found), then kept
//! byte for byte under its SHA-256 with one request-log record (`FILE file:<path>`), so
//! the bundle carries it and re-performance reads it like any other raw evidence.

use crate::config::{Config, Source};
use crate::deployment_import;
use crate::locker::{LockerWriter, RequestRecord};

use super::CollectError;
use super::time::Clock;

use crate::deployment_import::{FILE_METHOD as METHOD, FORMAT_HEADER};

/// The request-log URL of a file source: its path as the config gives it (relative to
/// the config file), so the log names no machine-specific directory.
pub fn url(source: &Source) -> String {
    let path = source
        .path
        .as_ref()
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .unwrap_or_default();
    format!("file:{path}")
}

/// Imports one file source, unless a resumed collection already holds it. Returns the
/// number of deployments imported (`None`: already in the locker).
pub(super) fn import(
    config: &Config,
    source: &Source,
    writer: &mut LockerWriter,
    clock: &dyn Clock,
    previous: &[RequestRecord],
) -> Result<Option<usize>, CollectError> {
    let refused = |message: String| CollectError::Source {
        name: source.name.clone(),
        message,
    };
    if previous
        .iter()
        .any(|r| r.source == source.name && r.method == METHOD && r.status == 200)
    {
        return Ok(None);
    }
    let (Some(path), Some(format)) = (&source.path, source.file_format()) else {
        return Err(refused(
            "a file source needs `path` and a known format (docs/file-import.md)".into(),
        ));
    };
    let full = config.resolve(path);
    let bytes = std::fs::read(&full).map_err(|e| {
        refused(format!(
            "{}: cannot be read ({e}); check `path` (relative to the config file)",
            full.display()
        ))
    })?;
    let shown = path.to_string_lossy();
    let records = deployment_import::parse(&shown, format, &bytes).map_err(|e| {
        refused(format!(
            "the export has problems; nothing was imported:\n{e}"
        ))
    })?;
    writer.record(
        &source.name,
        METHOD,
        &url(source),
        None,
        200,
        clock.now(),
        &bytes,
        &[(FORMAT_HEADER, format.as_str())],
    )?;
    Ok(Some(records.len()))
}
