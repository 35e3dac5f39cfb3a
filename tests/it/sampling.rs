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

/// The documented sort key: time as an instant, repository by bytes, id as a number when
/// it is one.
fn key(time: &str, repo: &str, id: &str) -> (i64, u32, String, (usize, String)) {
    let t = chrono::DateTime::parse_from_rfc3339(time).expect("an RFC 3339 time");
    let id_key = if id.bytes().all(|b| b.is_ascii_digit()) {
        let digits = id.trim_start_matches('0').to_string();
        (digits.len(), digits)
    } else {
        (0, id.to_string())
    };
    (
        t.timestamp(),
        t.timestamp_subsec_nanos(),
        repo.to_string(),
        id_key,
    )
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
    let mut stratified = 0;
    let mut without_population_file = Vec::new();
    for entry in sampling["controls"].as_array().unwrap() {
        let control = entry["control"].as_str().unwrap();
        let Some(file) = entry["population_file"].as_str() else {
            assert_eq!(
                entry["not_drawn"],
                format!("no population file of the bundle has a result column for {control}"),
                "{control} was not sampled: {entry}"
            );
            without_population_file.push(control.to_string());
            continue;
        };
        let bytes = std::fs::read(bundle.join(file)).unwrap();
        let h = sha256_hex(&bytes);
        assert_eq!(entry["population_sha256"], h.as_str(), "{control}");
        let (header, rows) = read_csv(&bytes);
        let col = |name: &str| header.iter().position(|h| h == name).unwrap();
        let (time, id) = if file.ends_with("changes.csv") {
            (col("merged_at"), col("number"))
        } else {
            (col("committed_at"), col("sha"))
        };
        let (repo, result) = (col("repo"), col(control));
        let mut population: Vec<(usize, &Vec<String>)> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| (i + 1, r))
            .filter(|(_, r)| r[result] != "n/a")
            .collect();
        population.sort_by_key(|(_, r)| key(&r[time], &r[repo], &r[id]));
        let n = population.len();
        let k = 25;
        assert_eq!(entry["population_size"], n, "{control}");
        assert!(
            n > k,
            "{control}: the demo's populations are larger than 25"
        );
        let s = sha256_hex(format!("{seed}{control}{h}").as_bytes());
        assert_eq!(entry["s"], s.as_str(), "{control}");
        let mut expected_rows = Vec::new();
        for i in 0..k {
            let (start, end) = (i * n / k, (i + 1) * n / k);
            let draw = sha256_hex(format!("{s}{i}").as_bytes());
            let offset = hex_mod(&draw, (end - start) as u64) as usize;
            expected_rows.push(population[start + offset].0);
        }
        let listed: Vec<usize> = entry["selected_rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as usize)
            .collect();
        assert_eq!(listed, expected_rows, "{control}");

        // samples/<control>.csv holds exactly those rows, as in the population file.
        let sample = std::fs::read(bundle.join(format!("samples/{control}.csv"))).unwrap();
        let (sample_header, sample_rows) = read_csv(&sample);
        assert_eq!(&sample_header[7..7 + header.len()], header.as_slice());
        assert_eq!(sample_rows.len(), k);
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
            assert!(!item["links"].as_array().unwrap().is_empty());
        }
        stratified += 1;
    }
    // UNFINISHED (issues 4 and 5): these controls are evaluated and in findings.json, but
    // the bundle does not yet write their populations as files, so they cannot be
    // sampled. The list must shrink to nothing; a control added to it is a regression.
    assert_eq!(
        without_population_file,
        [
            "AC-01", "AC-02", "AC-03", "AC-04", "AC-05", "CM-06", "CM-07", "CM-08", "CM-09",
            "CM-10", "OP-01", "OP-02", "OP-03", "OP-04"
        ],
        "controls whose population the bundle does not write yet"
    );
    assert_eq!(stratified, 5, "every control of the demo is sampled");
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
