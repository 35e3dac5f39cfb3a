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

/// Writes the evaluated locker's bundle as a zip in `dir` and verifies it the way an
/// auditor does, re-performing the findings from the bundle alone; returns the report.
pub fn bundle_and_reperform(
    evaluated: &changeproof::pipeline::Evaluated,
    dir: &std::path::Path,
) -> changeproof::verify::Report {
    let zip = dir.join("bundle.zip");
    changeproof::pipeline::write_bundle(
        evaluated,
        evaluated.meta.snapshot_time,
        None,
        None,
        Some(&zip),
    )
    .unwrap();
    let report = changeproof::verify::verify(
        &zip,
        &changeproof::verify::VerifyOptions {
            reperform: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert!(report.passed(), "{:?}", report.first_problem());
    report
}
