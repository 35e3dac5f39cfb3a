//! Re-performs the bundle's samples INDEPENDENTLY of changeproof's sampling code, the way
//! docs/auditor-guide.md tells an auditor to: read the population file, keep the
//! control's rows, sort them, hash, split into strata, reduce the digests modulo each
//! stratum's length — with this file's own few lines of SHA-256 and big-integer
//! arithmetic (the digest reduced hex digit by hex digit, not byte by byte as the tool
//! does) — and compare with manifest.json and samples/<control>.csv.

use std::path::Path;

use changeproof::example::ExampleParams;
use serde_json::Value;
use sha2::{Digest, Sha256};

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A lowercase hex number modulo `m`, one hex digit at a time.
fn hex_mod(hex: &str, m: u64) -> u64 {
    hex.chars().fold(0u64, |r, c| {
        (r * 16 + u64::from(c.to_digit(16).expect("hex digit"))) % m
    })
}

/// The documented order: time as an instant (none, for populations that do not date
/// their records, first), repository by bytes, then the id — numerically when both ids
/// are decimal numbers, byte by byte otherwise.
fn order(a: (Option<&str>, &str, &str), b: (Option<&str>, &str, &str)) -> std::cmp::Ordering {
    let time = |t: Option<&str>| {
        t.filter(|t| !t.is_empty()).map(|t| {
            let t = chrono::DateTime::parse_from_rfc3339(t).expect("an RFC 3339 time");
            (t.timestamp(), t.timestamp_subsec_nanos())
        })
    };
    let decimal = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    time(a.0)
        .cmp(&time(b.0))
        .then_with(|| a.1.as_bytes().cmp(b.1.as_bytes()))
        .then_with(|| {
            if decimal(a.2) && decimal(b.2) {
                let (x, y) = (a.2.trim_start_matches('0'), b.2.trim_start_matches('0'));
                (x.len(), x).cmp(&(y.len(), y))
            } else {
                a.2.as_bytes().cmp(b.2.as_bytes())
            }
        })
}

/// The sort columns docs/auditor-guide.md lists per population file: (time, repository,
/// id).
fn sort_columns(file: &str) -> (Option<&'static str>, &'static str, &'static str) {
    match file {
        "populations/changes.csv" => (Some("merged_at"), "repo", "number"),
        "populations/commits.csv" => (Some("committed_at"), "repo", "sha"),
        "populations/deployments.csv" => (Some("created_at"), "repo", "id"),
        "populations/branches.csv" => (None, "repo", "branch"),
        "populations/accounts.csv" => (None, "org", "login"),
        "populations/privileged_access.csv" => (None, "resource", "record"),
        "populations/credentials.csv" => (Some("created_at"), "owner", "id"),
        "populations/access_changes.csv" => (None, "org", "grant"),
        "populations/sources.csv" => (None, "scope", "source"),
        other => panic!("a population file the auditor guide does not describe: {other}"),
    }
}

/// The sample size of a control's frequency (SPEC §6), the demo's recurring size being 25.
fn sample_size(frequency: &str) -> usize {
    match frequency {
        "recurring" | "daily" => 25,
        "weekly" => 5,
        "monthly" | "quarterly" => 2,
        "annual" => 1,
        other => panic!("unknown frequency {other}"),
    }
}

fn demo() -> &'static Path {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        changeproof::pipeline::demo(dir.path(), ExampleParams::default()).expect("the demo runs");
        dir
    })
    .path()
}

fn read_csv(bytes: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_reader(bytes);
    let header = reader.headers().unwrap().iter().map(String::from).collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    (header, rows)
}

#[test]
fn the_samples_re_perform_from_the_bundled_files_alone() {
    let bundle = demo().join("bundle");
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(bundle.join("manifest.json")).unwrap()).unwrap();
    let sampling = &manifest["sampling"];
    let seed = sampling["seed"].as_str().expect("the demo has a seed");
    assert_eq!(seed, "example-seed");
    let (mut stratified, mut full) = (0, 0);
    for entry in sampling["controls"].as_array().unwrap() {
        let control = entry["control"].as_str().unwrap();
        let file = entry["population_file"]
            .as_str()
            .unwrap_or_else(|| panic!("{control} has a population file: {entry}"));
        let bytes = std::fs::read(bundle.join(file)).unwrap();
        let h = sha256_hex(&bytes);
        assert_eq!(entry["population_sha256"], h.as_str(), "{control}");
        let (header, rows) = read_csv(&bytes);
        let col = |name: &str| header.iter().position(|h| h == name).unwrap();
        let (time, repo, id) = sort_columns(file);
        let (time, repo, id, result) = (time.map(col), col(repo), col(id), col(control));
        let mut population: Vec<(usize, &Vec<String>)> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| (i + 1, r))
            .filter(|(_, r)| r[result] != "n/a")
            .collect();
        let sort_key =
            |r: &Vec<String>| (time.map(|t| r[t].clone()), r[repo].clone(), r[id].clone());
        // A stable sort: ties keep the file's order, as the guide says.
        population.sort_by(|(_, x), (_, y)| {
            let (x, y) = (sort_key(x), sort_key(y));
            order((x.0.as_deref(), &x.1, &x.2), (y.0.as_deref(), &y.1, &y.2))
        });
        let n = population.len();
        let k = sample_size(entry["frequency"].as_str().unwrap());
        assert_eq!(entry["population_size"], n, "{control}");
        assert!(n > 0, "{control}: the demo's populations are not empty");
        let listed: Vec<usize> = entry["selected_rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as usize)
            .collect();
        let expected_rows: Vec<usize> = if n <= k {
            // Every row is tested, in sort order.
            assert_eq!(entry["drawn"], "full", "{control}");
            full += 1;
            population.iter().map(|(row, _)| *row).collect()
        } else {
            assert_eq!(entry["drawn"], "stratified", "{control}");
            let s = sha256_hex(format!("{seed}{control}{h}").as_bytes());
            assert_eq!(entry["s"], s.as_str(), "{control}");
            stratified += 1;
            (0..k)
                .map(|i| {
                    let (start, end) = (i * n / k, (i + 1) * n / k);
                    let draw = sha256_hex(format!("{s}{i}").as_bytes());
                    let offset = hex_mod(&draw, (end - start) as u64) as usize;
                    population[start + offset].0
                })
                .collect()
        };
        assert_eq!(listed, expected_rows, "{control}");

        // samples/<control>.csv holds exactly those rows, as in the population file.
        let sample = std::fs::read(bundle.join(format!("samples/{control}.csv"))).unwrap();
        let (sample_header, sample_rows) = read_csv(&sample);
        assert_eq!(&sample_header[7..7 + header.len()], header.as_slice());
        assert_eq!(sample_rows.len(), expected_rows.len());
        for (got, want) in sample_rows.iter().zip(&expected_rows) {
            assert_eq!(got[6], want.to_string(), "{control}: population_row");
            assert_eq!(
                &got[7..7 + header.len()],
                rows[want - 1].as_slice(),
                "{control}"
            );
        }
        // Every sampled item has an evidence record with its raw evidence.
        let record: Value = serde_json::from_slice(
            &std::fs::read(bundle.join(format!("samples/{control}.json"))).unwrap(),
        )
        .unwrap();
        for item in record["items"].as_array().unwrap() {
            let evidence = item["evidence"].as_array().unwrap();
            assert!(!evidence.is_empty(), "{control}: {item}");
            for e in evidence {
                let file = e["file"]
                    .as_str()
                    .expect("the raw response is in the bundle");
                assert!(bundle.join(file).is_file(), "{file}");
            }
            if header.iter().any(|h| h == "url") {
                assert!(!item["links"].as_array().unwrap().is_empty(), "{item}");
            }
        }
    }
    // Every control of the catalog is sampled: stratified where its population is larger
    // than its sample size, tested in full otherwise.
    assert_eq!(
        (stratified, full),
        (17, 2),
        "every control of the demo is sampled"
    );
}

#[test]
fn another_seed_draws_another_sample_and_no_seed_draws_none() {
    let locker = demo().join("locker");
    let out = tempfile::tempdir().unwrap();
    let bundle = |extra: &[&str], config: Option<&Path>| -> Value {
        let dir = out
            .path()
            .join(format!("b{}", extra.len() + config.map_or(0, |_| 10)));
        let mut c = std::process::Command::new(crate::support::changeproof_bin());
        c.args(["bundle", "--locker"])
            .arg(&locker)
            .arg("--out")
            .arg(dir.with_extension("zip"))
            .arg("--dir")
            .arg(&dir)
            .args(extra);
        if let Some(config) = config {
            c.arg("--config").arg(config);
        }
        let output = c.output().unwrap();
        assert!(
            matches!(output.status.code(), Some(0 | 1)),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap()
    };
    let other = bundle(&["--seed", "another-auditor"], None);
    assert_eq!(other["sampling"]["seed"], "another-auditor");
    assert_eq!(other["seed"], "another-auditor");
    let ours: Value =
        serde_json::from_slice(&std::fs::read(demo().join("bundle/manifest.json")).unwrap())
            .unwrap();
    let cm01 = |m: &Value| -> Value {
        m["sampling"]["controls"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["control"] == "CM-01")
            .unwrap()["selected_rows"]
            .clone()
    };
    assert_ne!(cm01(&other), cm01(&ours));

    // The example config without its seed: no sample, and the bundle says why.
    let config_dir = tempfile::tempdir().unwrap();
    let text = changeproof::example::EXAMPLE_CONFIG.replace("seed = \"example-seed\"\n", "");
    std::fs::write(config_dir.path().join("changeproof.toml"), text).unwrap();
    std::fs::write(
        config_dir.path().join("waivers.toml"),
        changeproof::example::EXAMPLE_WAIVERS,
    )
    .unwrap();
    // The example config names its HR roster, relative to the config file.
    std::fs::copy(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/hr_roster.csv"),
        config_dir.path().join("hr_roster.csv"),
    )
    .unwrap();
    let none = bundle(&[], Some(&config_dir.path().join("changeproof.toml")));
    assert_eq!(none["sampling"]["seed"], Value::Null);
    let first = &none["sampling"]["controls"][0];
    assert!(
        first["not_drawn"].as_str().unwrap().starts_with("no seed"),
        "{first}"
    );
    assert!(
        !out.path().join("b10/samples").exists(),
        "no sample files without a seed"
    );
}
