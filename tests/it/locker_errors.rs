//! A damaged locker gives a clear error naming the file — never a panic.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use changeproof::example::{ExampleParams, write_example};
use changeproof::locker::Locker;

use crate::support::changeproof_bin;

fn example_locker() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let locker = dir.path().join("locker");
    write_example(
        &locker,
        ExampleParams {
            seed: 7,
            changes: 40,
        },
    )
    .expect("example locker");
    (dir, locker)
}

fn changeproof(args: &[&str], locker: &Path) -> Output {
    Command::new(changeproof_bin())
        .args(args)
        .arg("--locker")
        .arg(locker)
        .output()
        .expect("the binary runs")
}

/// Exit 2, the message names `needle`, and nothing panicked.
fn assert_clear_error(output: &Output, needle: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    assert!(
        stderr.contains(needle),
        "error does not name {needle}: {stderr}"
    );
}

fn first_response(locker: &Path) -> PathBuf {
    let locker = Locker::open(locker).unwrap();
    let record = locker.requests().unwrap().into_iter().next().unwrap();
    locker.raw_path(&record.response_sha256).unwrap()
}

#[test]
fn truncated_raw_response_is_named() {
    let (_dir, locker) = example_locker();
    let raw = first_response(&locker);
    let bytes = std::fs::read(&raw).unwrap();
    std::fs::write(&raw, &bytes[..bytes.len() / 2]).unwrap();
    let output = changeproof(&["replay"], &locker);
    assert_clear_error(&output, &raw.display().to_string());
}

#[test]
fn missing_raw_response_is_named() {
    let (_dir, locker) = example_locker();
    let raw = first_response(&locker);
    std::fs::remove_file(&raw).unwrap();
    let output = changeproof(&["replay"], &locker);
    assert_clear_error(&output, &raw.display().to_string());
}

#[test]
fn truncated_request_log_is_named_with_its_line() {
    let (_dir, locker) = example_locker();
    let log = locker.join("requests.ndjson");
    let text = std::fs::read_to_string(&log).unwrap();
    std::fs::write(&log, &text[..text.len() - 40]).unwrap();
    let output = changeproof(&["replay"], &locker);
    assert_clear_error(&output, "requests.ndjson:");
}

#[test]
fn truncated_locker_meta_is_named() {
    let (_dir, locker) = example_locker();
    let meta = locker.join("locker.json");
    let text = std::fs::read_to_string(&meta).unwrap();
    std::fs::write(&meta, &text[..text.len() / 2]).unwrap();
    let output = changeproof(&["evaluate"], &locker);
    assert_clear_error(&output, "locker.json");
}

#[test]
fn missing_evidence_says_to_replay() {
    let (_dir, locker) = example_locker();
    let output = changeproof(&["evaluate"], &locker);
    assert_clear_error(&output, "evidence.json");
    assert!(String::from_utf8_lossy(&output.stderr).contains("changeproof replay"));
}

#[test]
fn truncated_evidence_is_named() {
    let (_dir, locker) = example_locker();
    assert!(changeproof(&["replay"], &locker).status.success());
    let evidence = locker.join("evidence.json");
    let text = std::fs::read_to_string(&evidence).unwrap();
    std::fs::write(&evidence, &text[..text.len() / 3]).unwrap();
    let output = changeproof(&["evaluate"], &locker);
    assert_clear_error(&output, "evidence.json:");
}

#[test]
fn bad_config_in_locker_names_its_line() {
    let (_dir, locker) = example_locker();
    assert!(changeproof(&["replay"], &locker).status.success());
    let config = locker.join("config.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, format!("{text}\n[controls.typo]\nx = 1\n")).unwrap();
    let output = changeproof(&["evaluate"], &locker);
    assert_clear_error(&output, "config.toml:");
}

#[test]
fn not_a_locker_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let output = changeproof(&["evaluate"], dir.path());
    assert_clear_error(&output, "locker.json");
}
