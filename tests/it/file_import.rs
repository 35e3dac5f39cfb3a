//! A `kind = "file"` source beside a GitHub source: deployments exported from another
//! system (Argo CD here) are validated, kept in the locker byte for byte, normalized
//! into the same evidence model, judged by the deployment controls and carried into the
//! bundle with a reference to their row of the file; a bad export stops the collection
//! with the line and field before anything is stored.

use std::path::Path;

use changeproof::collect::collect;
use changeproof::config::Config;
use changeproof::locker::Locker;
use changeproof::pipeline;

use crate::collect::{Harness, config_text, harness, options};

/// The example's config with an Argo CD export beside the GitHub source, written into
/// `dir` with the files it names.
fn write_config(dir: &Path, url: &str, export: &str) -> std::path::PathBuf {
    // The file source goes with the other `[[source]]` tables, before `[scope]`.
    let text = config_text(url).replacen(
        "\n[scope]\n",
        "\n[[source]]\nkind = \"file\"\nname = \"argocd\"\npath = \"exports/argocd.csv\"\n\n[scope]\n",
        1,
    );
    std::fs::create_dir_all(dir.join("exports")).unwrap();
    std::fs::write(dir.join("exports/argocd.csv"), export).unwrap();
    for file in ["hr_roster.csv", "waivers.toml"] {
        std::fs::copy(Path::new("examples").join(file), dir.join(file)).unwrap();
    }
    let path = dir.join("changeproof.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_argo_cd_export_is_collected_judged_and_bundled_with_github() {
    let Harness {
        example,
        server,
        time,
    } = harness(Vec::new()).await;
    // A change of the example merged in the window: its merge commit is deployed by
    // Argo CD and approved by someone who is not its author.
    let change = example
        .evidence
        .changes
        .iter()
        .find(|c| {
            c.repo == "acme/api"
                && c.merge_commit_sha.is_some()
                && c.merged_at
                    > "2026-07-10T00:00:00Z"
                        .parse::<changeproof::model::Timestamp>()
                        .unwrap()
                && c.merged_at
                    < "2026-10-01T00:00:00Z"
                        .parse::<changeproof::model::Timestamp>()
                        .unwrap()
        })
        .unwrap();
    let merged = change.merge_commit_sha.clone().unwrap();
    let author = change.author.as_ref().unwrap().login.clone();
    let approver = if author == "mwebb" {
        "soren-ostergaard"
    } else {
        "mwebb"
    };
    let untraced = "f".repeat(40);
    let export = format!(
        "id,repo,environment,sha,created_at,status,deployer,approver,url\n\
         argo-1001,acme/api,production,{merged},2026-08-20T15:00:00Z,success,acme-deploy-bot,{approver},https://argo.example.com/applications/api?rev=1001\n\
         argo-1002,acme/api,production,{untraced},2026-08-21T15:00:00Z,success,acme-deploy-bot,{approver},https://argo.example.com/applications/api?rev=1002\n"
    );
    let dir = tempfile::tempdir().unwrap();
    let config_path = write_config(dir.path(), &server.url, &export);
    let config = Config::load(&config_path).unwrap();
    let out = dir.path().join("locker");
    let collection = collect(&config, &out, options(&time, None)).await.unwrap();
    assert!(collection.meta.complete, "{:?}", collection.meta.missing);

    // The file is in the locker byte for byte, logged as what it is.
    let locker = Locker::open(&out).unwrap();
    let record = locker
        .requests()
        .unwrap()
        .into_iter()
        .find(|r| r.source == "argocd")
        .unwrap();
    assert_eq!(
        (record.method.as_str(), record.url.as_str()),
        ("FILE", "file:exports/argocd.csv")
    );
    assert_eq!(
        locker.raw(&record.response_sha256).unwrap(),
        export.as_bytes()
    );
    assert!(
        !record
            .url
            .contains(&dir.path().to_string_lossy().to_string()),
        "no machine path"
    );

    // Normalized into the same model, each record pointing at its row.
    let imported: Vec<_> = collection
        .evidence
        .deployments
        .iter()
        .filter(|d| d.source == "argocd")
        .collect();
    assert_eq!(imported.len(), 2);
    assert_eq!(imported[0].id, "argo-1001");
    assert_eq!(imported[0].statuses[0].state, "success");
    assert_eq!(imported[0].approvals[0].user.login, approver);
    assert_eq!(
        imported[1].evidence,
        [format!("sha256:{}#row=3", record.response_sha256)]
    );
    let query = collection
        .evidence
        .queries
        .iter()
        .find(|q| q.source == "argocd")
        .unwrap();
    assert_eq!(
        (query.endpoint.as_str(), query.records),
        ("FILE file:exports/argocd.csv", 2)
    );
    // Replaying the locker gives the same evidence.
    assert_eq!(pipeline::replay(&locker).unwrap(), collection.evidence);

    // Judged with the GitHub deployments: the deployment of a commit no change explains
    // is a CM-06 exception,
    // the traced and independently approved one raises none.
    let evaluated = pipeline::evaluate_locker(&out, Some(&config_path)).unwrap();
    let findings = &evaluated.evaluation.findings;
    let on = |id: &str| -> Vec<String> {
        findings
            .exceptions
            .iter()
            .filter(|e| e.subject_type.as_str() == "deployment" && e.subject == id)
            .map(|e| format!("{}/{}", e.control, e.kind))
            .collect()
    };
    assert_eq!(on("argo-1002"), ["CM-06/untraceable_deployment"]);
    assert_eq!(on("argo-1001"), Vec::<String>::new());
    let row = evaluated
        .evaluation
        .deployments
        .iter()
        .find(|d| d.id == "argo-1001")
        .unwrap();
    assert_eq!(
        row.change.as_deref(),
        Some(format!("acme/api#{}", change.number).as_str())
    );

    // In the bundle: the population row, and the export among the raw evidence.
    let files = pipeline::bundle_files(&evaluated, evaluated.meta.snapshot_time, None).unwrap();
    let deployments = String::from_utf8(files["populations/deployments.csv"].clone()).unwrap();
    assert!(
        deployments
            .lines()
            .any(|l| l.starts_with("acme/api,argo-1002,")),
        "{deployments}"
    );
    let raw = files
        .iter()
        .find(|(path, _)| path.starts_with(&format!("evidence/raw/{}", record.response_sha256)))
        .unwrap();
    assert_eq!(raw.1.as_slice(), export.as_bytes());

    // An auditor re-performs the findings from the bundle, the export included.
    let report = crate::support::bundle_and_reperform(&evaluated, dir.path());
    assert!(matches!(
        report.reperform,
        changeproof::verify::ReperformStatus::Done(_)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_export_stops_the_collection_with_line_and_field() {
    let Harness { server, time, .. } = harness(Vec::new()).await;
    let export = format!(
        "id,repo,environment,sha,created_at,status\n\
         argo-1,acme/api,production,{},2026-08-20 15:00,success\n",
        "a".repeat(40)
    );
    let dir = tempfile::tempdir().unwrap();
    let config_path = write_config(dir.path(), &server.url, &export);
    let config = Config::load(&config_path).unwrap();
    let out = dir.path().join("locker");
    let err = collect(&config, &out, options(&time, None))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(
            "exports/argocd.csv:2: field `created_at`: `2026-08-20 15:00` is not an RFC 3339 time"
        ),
        "{err}"
    );
    assert!(err.starts_with("[[source]] `argocd`:"), "{err}");
    // Nothing of the file was stored.
    let locker = Locker::open(&out).unwrap();
    assert!(
        locker
            .requests()
            .unwrap()
            .iter()
            .all(|r| r.source != "argocd")
    );
}

#[test]
fn a_file_source_needs_a_path_with_a_known_format() {
    let base = "[audit]\nname = \"x\"\nwindow = { start = \"2026-07-01\", end = \"2026-10-01\" }\n\n[[source]]\nkind = \"file\"\nname = \"argo\"\n";
    let err = Config::parse(base, Path::new("c.toml"), ".".into())
        .unwrap_err()
        .to_string();
    assert!(err.contains("a file source needs `path`"), "{err}");
    let err = Config::parse(
        &format!("{base}path = \"deploys.txt\"\n"),
        Path::new("c.toml"),
        ".".into(),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("add `format = \"csv\"`"), "{err}");
    let ok = Config::parse(
        &format!("{base}path = \"deploys.txt\"\nformat = \"ndjson\"\n"),
        Path::new("c.toml"),
        ".".into(),
    )
    .unwrap();
    assert_eq!(
        ok.sources[0].file_format(),
        Some(changeproof::deployment_import::FileFormat::Ndjson)
    );
}
