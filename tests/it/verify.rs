//! `changeproof verify` and signing, end to end: the demo bundle verifies (zip and
//! folder, signature checked by an independent implementation), any altered byte is
//! caught and named, hostile zips are refused without writing anything, re-performance
//! reproduces the findings and catches an edited-and-re-signed findings.json, and the
//! signing password and secret key never reach any output.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use changeproof::bundle::{BundleFiles, MANIFEST_FILE, SIGNATURE_FILE};
use changeproof::example::ExampleParams;
use changeproof::signing::{DEMO_PUBLIC_KEY, KeyPassword, PublicKey, SigningKey};
use changeproof::verify::{self, Limits, ProblemKind, Report, VerifyOptions};
use serde_json::Value;

use crate::support::changeproof_bin;

/// A small demo (every planted case, few fillers), made once.
fn small_demo() -> &'static Path {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let params = ExampleParams {
            changes: 10,
            ..ExampleParams::default()
        };
        changeproof::pipeline::demo(dir.path(), params).expect("the demo runs");
        dir
    })
    .path()
}

fn demo_key_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/demo-key/changeproof-demo.pub")
}

fn demo_public_key() -> PublicKey {
    PublicKey::parse(DEMO_PUBLIC_KEY, "demo").unwrap()
}

/// The demo bundle's files, read from its folder.
fn demo_files() -> BundleFiles {
    let root = small_demo().join("bundle");
    let mut files = BundleFiles::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let relative = path.strip_prefix(&root).unwrap().to_str().unwrap();
                files.insert(relative.replace('\\', "/"), std::fs::read(&path).unwrap());
            }
        }
    }
    files
}

fn options(key: Option<PublicKey>, reperform: bool) -> VerifyOptions {
    VerifyOptions {
        public_key: key,
        reperform,
        limits: Limits::default(),
    }
}

fn check(path: &Path, key: Option<PublicKey>, reperform: bool) -> Report {
    verify::verify(path, &options(key, reperform)).expect("the bundle opens")
}

fn zip_of(files: &BundleFiles, dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    changeproof::bundle::write_zip(files, &path).unwrap();
    path
}

fn run(args: &[&str], dir: Option<&Path>, env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(changeproof_bin());
    command.args(args).env_remove("CHANGEPROOF_KEY_PASSWORD");
    if let Some(dir) = dir {
        command.current_dir(dir);
    }
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().expect("the binary runs")
}

fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A problem naming `path`: as the problem's file, or (for the signature pair, which a
/// cryptographic check cannot tell apart) in its message.
fn names(report: &Report, path: &str) -> bool {
    report
        .problems
        .iter()
        .any(|p| p.path == path || (path == SIGNATURE_FILE && p.message.contains(path)))
}

// ------------------------------------------------------------------- the demo verifies

#[test]
fn the_demo_bundle_verifies_as_zip_and_folder_with_the_demo_key() {
    let out = small_demo();
    let key = demo_key_path();
    for bundle in [out.join("changeproof-bundle.zip"), out.join("bundle")] {
        let output = run(
            &[
                "verify",
                bundle.to_str().unwrap(),
                "--pubkey",
                key.to_str().unwrap(),
                "--reperform",
            ],
            None,
            &[],
        );
        let (stdout, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
        assert!(stdout.contains("\nVERIFIED\n"), "{stdout}");
        assert!(
            stdout.contains("signature:  verified, minisign key 1A6FE330BBDC68B8"),
            "{stdout}"
        );
        assert!(
            stdout.contains("findings.json reproduced exactly"),
            "{stdout}"
        );
        assert!(
            stdout.contains("identical to evidence/evidence.json"),
            "{stdout}"
        );
    }
    // The bare key line is accepted as well as the file.
    let line = DEMO_PUBLIC_KEY.lines().nth(1).unwrap();
    let output = run(
        &[
            "verify",
            out.join("changeproof-bundle.zip").to_str().unwrap(),
            "--pubkey",
            line,
        ],
        None,
        &[],
    );
    assert_eq!(output.status.code(), Some(0), "{:?}", text(&output));
}

#[test]
fn the_signature_verifies_with_an_independent_minisign_implementation() {
    let bundle = small_demo().join("bundle");
    let manifest = std::fs::read(bundle.join(MANIFEST_FILE)).unwrap();
    let signature = std::fs::read_to_string(bundle.join(SIGNATURE_FILE)).unwrap();
    let key = minisign_verify::PublicKey::decode(DEMO_PUBLIC_KEY).unwrap();
    let parsed = minisign_verify::Signature::decode(&signature).unwrap();
    key.verify(&manifest, &parsed, false)
        .expect("minisign-verify accepts the signature (prehashed, no legacy)");
    assert!(parsed.trusted_comment().contains("audit: Acme Corp"));
    assert!(!parsed.trusted_comment().contains("timestamp"));
    let mut altered = manifest.clone();
    altered[10] ^= 1;
    assert!(key.verify(&altered, &parsed, false).is_err());

    // The reference tool too, where it is installed (CI may not have it).
    match Command::new("minisign")
        .args(["-Vm", MANIFEST_FILE, "-p"])
        .arg(demo_key_path())
        .current_dir(&bundle)
        .output()
    {
        Ok(output) => assert!(
            output.status.success(),
            "minisign -V refused the signature: {:?}",
            text(&output)
        ),
        Err(_) => eprintln!("minisign is not installed: checked with minisign-verify only"),
    }
}

#[test]
fn without_a_key_verify_demands_no_signature_and_says_what_was_not_checked() {
    let zip = small_demo().join("changeproof-bundle.zip");
    let output = run(&["verify", zip.to_str().unwrap()], None, &[]);
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--pubkey") && stderr.contains("--no-signature"),
        "{stderr}"
    );

    let output = run(
        &["verify", zip.to_str().unwrap(), "--no-signature"],
        None,
        &[],
    );
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("signature:  NOT CHECKED"), "{stdout}");
    assert!(stdout.contains("SIGNATURE NOT CHECKED"), "{stdout}");
    assert!(!stdout.contains("\nVERIFIED"), "{stdout}");
}

#[test]
fn a_bundle_signed_with_another_key_fails_naming_the_signature() {
    let dir = tempfile::tempdir().unwrap();
    let other = changeproof::signing::generate(dir.path(), "other", None).unwrap();
    let zip = small_demo().join("changeproof-bundle.zip");
    let output = run(
        &[
            "verify",
            zip.to_str().unwrap(),
            "--pubkey",
            other.public_key.to_str().unwrap(),
        ],
        None,
        &[],
    );
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(4), "{stdout}");
    assert!(
        stdout.contains("NOT VERIFIED: 1 problem; first: manifest.json.minisig"),
        "{stdout}"
    );
    assert!(
        stdout.contains("1A6FE330BBDC68B8") && stdout.contains(&other.key_id),
        "{stdout}"
    );
    assert!(
        stderr.contains("verification failed: manifest.json.minisig"),
        "{stderr}"
    );
}

// ------------------------------------------------------------------- altered bundles

#[test]
fn flipping_any_single_byte_of_any_file_fails_and_names_it() {
    let files = demo_files();
    assert!(files.len() > 50, "{}", files.len());
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("bundle");
    changeproof::bundle::write_dir(&files, &folder).unwrap();
    assert!(check(&folder, Some(demo_public_key()), false).fully_verified());
    for (path, bytes) in &files {
        // First, middle and last byte: the hash covers every byte, the signature the
        // manifest, and the signature file must be exactly as written.
        let mut positions = vec![0, bytes.len() / 2, bytes.len() - 1];
        positions.dedup();
        for position in positions {
            let on_disk = path.split('/').fold(folder.clone(), |p, s| p.join(s));
            let mut altered = bytes.clone();
            altered[position] ^= 0x01;
            std::fs::write(&on_disk, &altered).unwrap();
            let report = check(&folder, Some(demo_public_key()), false);
            std::fs::write(&on_disk, bytes).unwrap();
            assert!(!report.passed(), "{path}@{position}: passed");
            assert!(
                names(&report, path),
                "{path}@{position}: not named in {:#?}",
                report.problems
            );
            if path != SIGNATURE_FILE {
                assert_eq!(report.problems[0].path, *path, "{path}@{position}");
            }
        }
    }
    assert!(check(&folder, Some(demo_public_key()), false).fully_verified());
}

#[test]
fn flipping_a_byte_inside_a_zip_entry_fails_and_names_the_entry() {
    let files = demo_files();
    let dir = tempfile::tempdir().unwrap();
    // Each entry altered before zipping (the zip itself is then consistent) ...
    for (index, (path, bytes)) in files.iter().enumerate() {
        let mut altered = files.clone();
        let mut content = bytes.clone();
        let position = (index * 7919) % content.len();
        content[position] ^= 0x80;
        altered.insert(path.clone(), content);
        let zip = zip_of(&altered, dir.path(), &format!("a{index}.zip"));
        let report = check(&zip, Some(demo_public_key()), false);
        assert!(!report.passed(), "{path}: passed");
        assert!(names(&report, path), "{path}: {:#?}", report.problems);
        std::fs::remove_file(zip).unwrap();
    }
    // ... and each entry's compressed bytes altered inside the zip.
    let zip_path = zip_of(&files, dir.path(), "b.zip");
    let original = std::fs::read(&zip_path).unwrap();
    let archive = zip::ZipArchive::new(std::fs::File::open(&zip_path).unwrap()).unwrap();
    let mut tested = 0;
    for index in 0..archive.len() {
        let entry = archive.by_index_data(index).unwrap();
        let name = entry.name().unwrap().to_string();
        let header = entry.header_start() as usize;
        let name_len = u16::from_le_bytes([original[header + 26], original[header + 27]]) as usize;
        let extra_len = u16::from_le_bytes([original[header + 28], original[header + 29]]) as usize;
        let data = header + 30 + name_len + extra_len;
        let compressed = entry.compressed_size() as usize;
        if compressed == 0 {
            continue;
        }
        let mut bytes = original.clone();
        bytes[data + compressed / 2] ^= 0x10;
        std::fs::write(&zip_path, &bytes).unwrap();
        let report = check(&zip_path, Some(demo_public_key()), false);
        assert!(!report.passed(), "{name}: passed");
        assert!(names(&report, &name), "{name}: {:#?}", report.problems);
        tested += 1;
    }
    assert_eq!(tested, files.len());
}

#[test]
fn a_missing_file_an_extra_file_and_an_altered_manifest_are_named() {
    let files = demo_files();
    let dir = tempfile::tempdir().unwrap();
    let key = || Some(demo_public_key());

    let mut missing = files.clone();
    missing.remove("exceptions.csv");
    let report = check(&zip_of(&missing, dir.path(), "m.zip"), key(), false);
    assert_eq!(report.problems.len(), 1, "{:#?}", report.problems);
    assert_eq!(report.problems[0].path, "exceptions.csv");
    assert_eq!(report.problems[0].kind, ProblemKind::Missing);

    let mut extra = files.clone();
    extra.insert("evidence/raw/notes.txt".into(), b"added later".to_vec());
    let report = check(&zip_of(&extra, dir.path(), "e.zip"), key(), false);
    assert_eq!(report.problems.len(), 1, "{:#?}", report.problems);
    assert_eq!(report.problems[0].path, "evidence/raw/notes.txt");
    assert_eq!(report.problems[0].kind, ProblemKind::Extra);

    // Hiding an edit by updating the manifest's hash breaks the signature.
    let mut edited = files.clone();
    let findings = String::from_utf8(edited["findings.json"].clone()).unwrap();
    let findings = findings.replacen("\"open\"", "\"waived\"", 1).into_bytes();
    let manifest = rehash(&edited[MANIFEST_FILE], "findings.json", &findings);
    edited.insert("findings.json".into(), findings);
    edited.insert(MANIFEST_FILE.into(), manifest);
    let report = check(&zip_of(&edited, dir.path(), "s.zip"), key(), false);
    assert_eq!(report.problems.len(), 1, "{:#?}", report.problems);
    assert_eq!(report.problems[0].path, MANIFEST_FILE);
    assert_eq!(report.problems[0].kind, ProblemKind::Signature);
    // Without a key, the same bundle passes the file checks: only the signature catches it.
    assert!(check(&zip_of(&edited, dir.path(), "s2.zip"), None, false).passed());
}

/// The manifest with `path`'s size and SHA-256 updated for `bytes`.
fn rehash(manifest: &[u8], path: &str, bytes: &[u8]) -> Vec<u8> {
    let mut value: Value = serde_json::from_slice(manifest).unwrap();
    for file in value["files"].as_array_mut().unwrap() {
        if file["path"] == path {
            file["size"] = bytes.len().into();
            file["sha256"] = changeproof::util::sha256_hex(bytes).into();
        }
    }
    let mut out = serde_json::to_vec_pretty(&value).unwrap();
    out.push(b'\n');
    out
}

// ------------------------------------------------------------------- hostile zips

/// A zip of the demo files plus hostile entries written by `add`, as raw bytes.
fn hostile_zip(add: impl FnOnce(&mut zip::ZipWriter<std::io::Cursor<Vec<u8>>>)) -> Vec<u8> {
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o644);
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes) in demo_files() {
        writer.start_file(name, options).unwrap();
        writer.write_all(&bytes).unwrap();
    }
    add(&mut writer);
    writer.finish().unwrap().into_inner()
}

fn entry(writer: &mut zip::ZipWriter<std::io::Cursor<Vec<u8>>>, name: &str, bytes: &[u8]) {
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o644);
    writer.start_file(name, options).unwrap();
    writer.write_all(bytes).unwrap();
}

/// Runs `verify` on `zip` from an empty working directory inside a temp dir and checks
/// that it failed naming `offender` and that nothing was written anywhere near.
fn refuses(zip: &[u8], offender: &str, expect: &str) {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let path = dir.path().join("hostile.zip");
    std::fs::write(&path, zip).unwrap();
    let output = run(
        &[
            "verify",
            path.to_str().unwrap(),
            "--pubkey",
            demo_key_path().to_str().unwrap(),
            "--reperform",
        ],
        Some(&work),
        &[],
    );
    let (stdout, stderr) = text(&output);
    assert_eq!(
        output.status.code(),
        Some(4),
        "{offender}: {stdout}\n{stderr}"
    );
    assert!(
        stdout.contains(&format!("{offender}: ")) && stdout.contains(expect),
        "{offender} / {expect}: {stdout}"
    );
    assert!(stdout.contains("reperform:  SKIPPED"), "{stdout}");
    // Nothing was unpacked: the working directory is empty, nothing appeared beside it.
    assert_eq!(std::fs::read_dir(&work).unwrap().count(), 0, "{offender}");
    let beside: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    let mut beside = beside;
    beside.sort();
    assert_eq!(beside, ["hostile.zip", "work"], "{offender}");
}

#[test]
fn zip_slip_and_absolute_entries_are_refused() {
    let zip = hostile_zip(|w| entry(w, "../x", b"escape"));
    refuses(&zip, "../x", "the path contains `..`");
    let zip = hostile_zip(|w| entry(w, "evidence/../../x", b"escape"));
    refuses(&zip, "evidence/../../x", "`..`");
    let zip = hostile_zip(|w| entry(w, "/etc/x", b"absolute"));
    refuses(&zip, "/etc/x", "the path is absolute");
    let zip = hostile_zip(|w| entry(w, "evidence\\..\\x", b"backslash"));
    refuses(&zip, "evidence\\..\\x", "backslash");
}

#[test]
fn a_symlink_entry_is_refused() {
    let zip = hostile_zip(|w| {
        w.add_symlink(
            "evidence/passwd",
            "/etc/passwd",
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
    });
    refuses(&zip, "evidence/passwd", "a symbolic link");
}

#[test]
fn a_symlink_in_a_folder_bundle_is_refused_and_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("bundle");
    changeproof::bundle::write_dir(&demo_files(), &folder).unwrap();
    let outside = dir.path().join("outside.txt");
    std::fs::write(&outside, b"outside").unwrap();
    #[cfg(unix)]
    {
        // A listed file replaced by a link to a copy outside: same bytes, still refused.
        let target = folder.join("exceptions.csv");
        let copy = dir.path().join("exceptions-copy.csv");
        std::fs::rename(&target, &copy).unwrap();
        std::os::unix::fs::symlink(&copy, &target).unwrap();
        std::os::unix::fs::symlink(&outside, folder.join("evidence/link")).unwrap();
        let report = check(&folder, Some(demo_public_key()), false);
        let mut unsafe_paths: Vec<&str> = report
            .problems
            .iter()
            .filter(|p| p.kind == ProblemKind::UnsafeEntry)
            .map(|p| p.path.as_str())
            .collect();
        unsafe_paths.sort();
        assert_eq!(
            unsafe_paths,
            ["evidence/link", "exceptions.csv"],
            "{:#?}",
            report.problems
        );
        assert!(!report.passed());
    }
}

#[test]
fn duplicate_and_encrypted_entries_are_refused() {
    // The zip writer refuses duplicate names, so a second entry is renamed in the bytes
    // to the name of the first (same length: the zip stays well-formed).
    let mut zip = hostile_zip(|w| entry(w, "findings.jsoN", b"{\"forged\": true}\n"));
    replace_all(&mut zip, b"findings.jsoN", b"findings.json");
    refuses(&zip, "hostile.zip", "the same name more than once");

    let mut zip = hostile_zip(|w| entry(w, "zz-encrypted.bin", b"secret"));
    set_encrypted_flag(&mut zip, b"zz-encrypted.bin");
    refuses(&zip, "zz-encrypted.bin", "encrypted");

    let zip = hostile_zip(|w| entry(w, "Findings.json", b"{}"));
    refuses(&zip, "findings.json", "letter case");
}

fn replace_all(bytes: &mut [u8], from: &[u8], to: &[u8]) {
    let mut count = 0;
    let mut i = 0;
    while i + from.len() <= bytes.len() {
        if &bytes[i..i + from.len()] == from {
            bytes[i..i + from.len()].copy_from_slice(to);
            count += 1;
        }
        i += 1;
    }
    assert_eq!(count, 2, "local header and central directory");
}

/// Sets general-purpose bit 0 (encrypted) on the entry named `name`, in its local header
/// (signature PK\3\4, flags at +6) and its central directory record (PK\1\2, flags at +8).
fn set_encrypted_flag(bytes: &mut [u8], name: &[u8]) {
    let mut patched = 0;
    for i in 0..bytes.len().saturating_sub(4) {
        let (flags, name_at) = match &bytes[i..i + 4] {
            [b'P', b'K', 3, 4] => (i + 6, i + 30),
            [b'P', b'K', 1, 2] => (i + 8, i + 46),
            _ => continue,
        };
        if bytes.get(name_at..name_at + name.len()) == Some(name) {
            bytes[flags] |= 1;
            patched += 1;
        }
    }
    assert_eq!(patched, 2);
}

#[test]
fn a_decompression_bomb_is_refused_without_inflating_it() {
    // 64 MiB of zeros: deflate shrinks it ~1000-fold. Listed in a forged manifest with
    // its true size and hash, so only the reader's limits stand in the way.
    let bomb = vec![0u8; 64 << 20];
    let name = format!("evidence/raw/{}.json", changeproof::util::sha256_hex(&bomb));
    let mut files = demo_files();
    let manifest = add_to_manifest(&files[MANIFEST_FILE], &name, &bomb);
    files.insert(MANIFEST_FILE.into(), manifest);
    let zip = hostile_zip_of(&files, &name, &bomb);
    assert!(zip.len() < 2 << 20, "{}", zip.len());
    // Default limits, through the binary: the ratio stops it after ~1 MiB.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bomb.zip");
    std::fs::write(&path, &zip).unwrap();
    let output = run(
        &["verify", path.to_str().unwrap(), "--no-signature"],
        None,
        &[],
    );
    let (stdout, _) = text(&output);
    assert_eq!(output.status.code(), Some(4), "{stdout}");
    assert!(stdout.contains(&format!("  {name}: limit")), "{stdout}");
    assert!(stdout.contains("decompression bomb"), "{stdout}");

    // Per-entry and total caps, whatever the ratio.
    for (limits, expect) in [
        (
            Limits {
                max_entry_bytes: 8 << 20,
                max_ratio: u64::MAX,
                ..Limits::default()
            },
            "for one entry",
        ),
        (
            Limits {
                max_total_bytes: 16 << 20,
                max_ratio: u64::MAX,
                ..Limits::default()
            },
            "for the whole bundle",
        ),
    ] {
        let report = verify::verify(
            &path,
            &VerifyOptions {
                public_key: None,
                reperform: false,
                limits,
            },
        )
        .unwrap();
        let problem = report
            .problems
            .iter()
            .find(|p| p.kind == ProblemKind::Limit)
            .unwrap_or_else(|| panic!("{expect}: {:#?}", report.problems));
        assert_eq!(problem.path, name);
        assert!(problem.message.contains(expect), "{}", problem.message);
    }
}

fn add_to_manifest(manifest: &[u8], path: &str, bytes: &[u8]) -> Vec<u8> {
    let mut value: Value = serde_json::from_slice(manifest).unwrap();
    value["files"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({
            "path": path,
            "size": bytes.len(),
            "sha256": changeproof::util::sha256_hex(bytes),
        }));
    serde_json::to_vec_pretty(&value).unwrap()
}

fn hostile_zip_of(files: &BundleFiles, extra_name: &str, extra: &[u8]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o644);
    for (name, bytes) in files {
        writer.start_file(name.as_str(), options).unwrap();
        writer.write_all(bytes).unwrap();
    }
    writer.start_file(extra_name, options).unwrap();
    writer.write_all(extra).unwrap();
    writer.finish().unwrap().into_inner()
}

// ------------------------------------------------------------------- re-performance

#[test]
fn reperformance_catches_findings_edited_and_re_signed_with_another_key() {
    let dir = tempfile::tempdir().unwrap();
    let generated = changeproof::signing::generate(dir.path(), "forger", None).unwrap();
    let forger = SigningKey::load(&generated.secret_key, KeyPassword::Unavailable).unwrap();
    let mut files = demo_files();

    // Drop one exception from findings.json and fix its manifest entry and signature.
    let mut findings: Value = serde_json::from_slice(&files["findings.json"]).unwrap();
    let removed = findings["exceptions"].as_array_mut().unwrap().remove(0);
    let removed_id = removed["id"].as_str().unwrap().to_string();
    let control = removed["control"].as_str().unwrap().to_string();
    for c in findings["controls"].as_array_mut().unwrap() {
        if c["id"] == control.as_str() {
            c["exceptions"] = (c["exceptions"].as_u64().unwrap() - 1).into();
        }
    }
    let mut bytes = serde_json::to_vec_pretty(&findings).unwrap();
    bytes.push(b'\n');
    let manifest = rehash(&files[MANIFEST_FILE], "findings.json", &bytes);
    let forged_claim = String::from_utf8(manifest.clone())
        .unwrap()
        .replace("1A6FE330BBDC68B8", &forger.key_id());
    // Re-signing alone leaves the manifest naming the demo key: caught.
    let mut careless = files.clone();
    careless.insert("findings.json".into(), bytes.clone());
    careless.insert(
        SIGNATURE_FILE.into(),
        forger
            .sign(
                &manifest,
                "t",
                &changeproof::bundle::signature::untrusted_comment(&forger.key_id()),
            )
            .into_bytes(),
    );
    careless.insert(MANIFEST_FILE.into(), manifest);
    let report = check(
        &zip_of(&careless, dir.path(), "careless.zip"),
        Some(forger.public_key()),
        false,
    );
    assert_eq!(report.problems.len(), 1, "{report}");
    assert!(
        report.problems[0]
            .message
            .contains("names signing key 1A6FE330BBDC68B8"),
        "{report}"
    );
    let manifest = forged_claim.into_bytes();
    files.insert("findings.json".into(), bytes);
    let old_signature = String::from_utf8(files[SIGNATURE_FILE].clone()).unwrap();
    let trusted = old_signature
        .lines()
        .nth(2)
        .unwrap()
        .trim_start_matches("trusted comment: ");
    let signature = forger.sign(
        &manifest,
        trusted,
        &changeproof::bundle::signature::untrusted_comment(&forger.key_id()),
    );
    files.insert(MANIFEST_FILE.into(), manifest);
    files.insert(SIGNATURE_FILE.into(), signature.into_bytes());
    let zip = zip_of(&files, dir.path(), "forged.zip");

    let forger_key = Some(forger.public_key());
    let report = check(&zip, forger_key.clone(), false);
    assert!(report.fully_verified(), "{report}");
    let report = check(&zip, forger_key, true);
    assert!(!report.passed(), "{report}");
    let first = &report.problems[0];
    assert_eq!(first.path, "findings.json", "{report}");
    assert_eq!(first.kind, ProblemKind::Reperform);
    let all = report.to_string();
    assert!(
        all.contains(&format!(
            "exception {removed_id} is re-derived from the evidence but missing from findings.json"
        )),
        "{all}"
    );
    // The forger lowered the control's count to match; re-performance counts again.
    assert!(
        all.contains(&format!("control {control}: `exceptions` is ")),
        "{all}"
    );
    // With the real demo key, the same bundle fails on the signature.
    assert!(!check(&zip, Some(demo_public_key()), false).passed());
}

#[test]
fn reperformance_catches_edited_evidence_json() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = demo_files();
    let evidence = String::from_utf8(files["evidence/evidence.json"].clone()).unwrap();
    let edited = evidence.replacen("\"APPROVED\"", "\"approved\"", 1);
    let edited = if edited == evidence {
        evidence.replacen("\"title\":\"", "\"title\":\"X", 1)
    } else {
        edited
    };
    assert_ne!(edited, evidence);
    let manifest = rehash(
        &files[MANIFEST_FILE],
        "evidence/evidence.json",
        edited.as_bytes(),
    );
    files.insert("evidence/evidence.json".into(), edited.into_bytes());
    files.insert(MANIFEST_FILE.into(), manifest);
    files.remove(SIGNATURE_FILE);
    let report = check(&zip_of(&files, dir.path(), "e.zip"), None, true);
    assert_eq!(report.problems.len(), 1, "{report}");
    assert_eq!(report.problems[0].path, "evidence/evidence.json");
    assert!(
        report.problems[0]
            .message
            .contains("JSON pointer /changes/"),
        "{report}"
    );
}

/// Bundles of earlier versions pretty-printed every field of `evidence.json`; the same
/// content in another layout re-performs (and an edit in it is still caught above).
#[test]
fn reperformance_accepts_evidence_json_laid_out_by_an_earlier_version() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = demo_files();
    let value: serde_json::Value =
        serde_json::from_slice(&files["evidence/evidence.json"]).unwrap();
    let mut pretty = serde_json::to_vec_pretty(&value).unwrap();
    pretty.push(b'\n');
    assert_ne!(pretty, files["evidence/evidence.json"]);
    let manifest = rehash(&files[MANIFEST_FILE], "evidence/evidence.json", &pretty);
    files.insert("evidence/evidence.json".into(), pretty);
    files.insert(MANIFEST_FILE.into(), manifest);
    files.remove(SIGNATURE_FILE);
    let report = check(&zip_of(&files, dir.path(), "p.zip"), None, true);
    assert!(report.passed(), "{report}");
    assert!(
        report.to_string().contains("identical in content"),
        "{report}"
    );
}

#[test]
fn reperformance_uses_the_bundled_roster_and_previous_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    // The HR roster edited after the fact: the terminated employee made active.
    let mut files = demo_files();
    let roster = String::from_utf8(files["config/hr_roster.csv"].clone()).unwrap();
    let edited = roster.replace("terminated,2026-09-18", "active,");
    assert_ne!(edited, roster);
    let manifest = rehash(
        &files[MANIFEST_FILE],
        "config/hr_roster.csv",
        edited.as_bytes(),
    );
    files.insert("config/hr_roster.csv".into(), edited.into_bytes());
    files.insert(MANIFEST_FILE.into(), manifest);
    files.remove(SIGNATURE_FILE);
    let report = check(&zip_of(&files, dir.path(), "roster.zip"), None, true);
    let all = report.to_string();
    assert!(
        all.contains(
            "exception AC-02/acme/account/sokafor/terminated_with_access is in findings.json but not re-derived from the evidence"
        ),
        "{all}"
    );

    // The previous snapshot edited: one member fewer changes AC-05's population.
    let mut files = demo_files();
    let mut previous: Value =
        serde_json::from_slice(&files["config/previous-access.json"]).unwrap();
    previous["access"]["org_members"]
        .as_array_mut()
        .unwrap()
        .retain(|m| m["login"] != "rgarcia");
    let mut bytes = serde_json::to_vec_pretty(&previous).unwrap();
    bytes.push(b'\n');
    let manifest = rehash(&files[MANIFEST_FILE], "config/previous-access.json", &bytes);
    files.insert("config/previous-access.json".into(), bytes);
    files.insert(MANIFEST_FILE.into(), manifest);
    files.remove(SIGNATURE_FILE);
    let report = check(&zip_of(&files, dir.path(), "previous.zip"), None, true);
    let all = report.to_string();
    assert!(all.contains("control AC-05: "), "{all}");

    // Untouched, the bundle re-performs exactly, roster and previous snapshot included.
    let files = demo_files();
    let report = check(&zip_of(&files, dir.path(), "same.zip"), None, true);
    assert!(report.passed(), "{report}");
}

// ------------------------------------------------------------------- keygen and secrets

#[test]
fn the_password_and_secret_key_never_reach_any_output() {
    const PASSWORD: &str = "pw-4f1c9e-never-print-me";
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    let output = run(
        &["keygen", "--out", keys.to_str().unwrap(), "--name", "audit"],
        None,
        &[("CHANGEPROOF_KEY_PASSWORD", PASSWORD)],
    );
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    let secret_text = std::fs::read_to_string(keys.join("audit.key")).unwrap();
    let secret_line = secret_text.lines().nth(1).unwrap().to_string();
    assert!(
        secret_text.contains("encrypted with a password"),
        "{secret_text}"
    );
    let key =
        SigningKey::load(&keys.join("audit.key"), KeyPassword::Given(PASSWORD.into())).unwrap();
    let mut outputs = vec![stdout, stderr];

    // Sign a bundle with it, from a config naming the key.
    let config = dir.path().join("changeproof.toml");
    let example = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/changeproof.toml"),
    )
    .unwrap();
    let text_with_key = example.replace(
        "# signing_key = \"keys/audit.key\"",
        "signing_key = \"keys/audit.key\"",
    );
    assert_ne!(text_with_key, example, "the example documents signing_key");
    std::fs::write(&config, text_with_key).unwrap();
    // The example config names its HR roster, relative to the config file.
    std::fs::copy(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/hr_roster.csv"),
        dir.path().join("hr_roster.csv"),
    )
    .unwrap();
    // The example config names its waivers file, relative to itself.
    std::fs::write(
        dir.path().join("waivers.toml"),
        changeproof::example::EXAMPLE_WAIVERS,
    )
    .unwrap();
    let locker = small_demo().join("locker");
    let zip = dir.path().join("bundle.zip");
    let folder = dir.path().join("bundle");
    let args = [
        "bundle",
        "--locker",
        locker.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
        "--out",
        zip.to_str().unwrap(),
        "--dir",
        folder.to_str().unwrap(),
    ];
    // No password and no terminal: refused, naming what to do.
    let output = run(&args, None, &[]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(stderr.contains("CHANGEPROOF_KEY_PASSWORD"), "{stderr}");
    outputs.extend([stdout, stderr]);
    let output = run(&args, None, &[("CHANGEPROOF_KEY_PASSWORD", PASSWORD)]);
    let (stdout, stderr) = text(&output);
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains(&format!("signed: minisign key {}", key.key_id())),
        "{stdout}"
    );
    outputs.extend([stdout, stderr]);

    let output = run(
        &[
            "verify",
            zip.to_str().unwrap(),
            "--pubkey",
            keys.join("audit.pub").to_str().unwrap(),
        ],
        None,
        &[],
    );
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    outputs.extend([stdout, stderr]);

    for output in &outputs {
        assert!(!output.contains(PASSWORD), "password printed: {output}");
        assert!(
            !output.contains(&secret_line),
            "secret key printed: {output}"
        );
    }
    let mut bundle_bytes: Vec<(String, Vec<u8>)> =
        vec![("zip".into(), std::fs::read(&zip).unwrap())];
    let mut stack = vec![folder.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                bundle_bytes.push((p.display().to_string(), std::fs::read(&p).unwrap()));
            }
        }
    }
    for (name, bytes) in &bundle_bytes {
        for needle in [PASSWORD.as_bytes(), secret_line.as_bytes()] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle),
                "{name} contains a secret"
            );
        }
    }
}

#[test]
fn keygen_without_a_password_or_terminal_asks_for_one_and_unencrypted_works() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(
        &["keygen", "--out", dir.path().to_str().unwrap()],
        None,
        &[],
    );
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--unencrypted"), "{stderr}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);

    let output = run(
        &[
            "keygen",
            "--out",
            dir.path().to_str().unwrap(),
            "--unencrypted",
        ],
        None,
        &[],
    );
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("NOT encrypted"), "{stdout}");
    let names: BTreeMap<String, ()> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| (e.unwrap().file_name().into_string().unwrap(), ()))
        .collect();
    assert_eq!(
        names.keys().collect::<Vec<_>>(),
        ["changeproof.key", "changeproof.pub"]
    );
    // A second run never overwrites.
    let output = run(
        &[
            "keygen",
            "--out",
            dir.path().to_str().unwrap(),
            "--unencrypted",
        ],
        None,
        &[],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output).1.contains("already exists"));
}
