//! Helpers shared by the integration tests.

use std::path::PathBuf;

/// The `changeproof` binary under test.
pub fn changeproof_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_changeproof"))
}

/// A test data file under `tests/data/`.
pub fn data(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(path)
}
