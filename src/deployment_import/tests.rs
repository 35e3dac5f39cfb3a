use super::*;

const SHA: &str = "0123456789abcdef0123456789abcdef01234567";

fn csv(body: &str) -> Result<Vec<ImportedDeployment>, ImportError> {
    parse("argo.csv", FileFormat::Csv, body.as_bytes())
}

fn messages(e: &ImportError) -> Vec<String> {
    e.to_string().lines().map(String::from).collect()
}

#[test]
fn a_csv_export_becomes_deployments_with_their_rows() {
    let body = format!(
        "id,repo,environment,sha,created_at,status,deployer,approver,finished_at,url\n\
         sync-1,acme/api,production,{SHA},2026-07-02T10:00:00-04:00,Success,argocd-bot,alice;bob,2026-07-02T14:03:00Z,https://argo.example.com/applications/api\n\
         sync-2,acme/api,production,{},2026-07-03T09:00:00Z,failure,,,,\n",
        SHA.to_uppercase()
    );
    let d = csv(&body).unwrap();
    assert_eq!(d.len(), 2);
    assert_eq!(d[0].line, 2);
    assert_eq!(d[0].fragment, "row=2");
    assert_eq!(d[0].created_at.to_rfc3339(), "2026-07-02T14:00:00+00:00");
    assert_eq!(d[0].finished_at.to_rfc3339(), "2026-07-02T14:03:00+00:00");
    assert_eq!(d[0].status, "success");
    assert_eq!(d[0].approvers, ["alice", "bob"]);
    assert_eq!(d[0].deployer.as_deref(), Some("argocd-bot"));
    assert_eq!(d[1].sha, SHA, "SHAs are lower-cased");
    assert_eq!(d[1].deployer, None);
    assert!(d[1].approvers.is_empty());
    assert_eq!(d[1].finished_at, d[1].created_at);
}

#[test]
fn every_problem_names_its_line_and_field() {
    let body = format!(
        "id,repo,environment,sha,created_at,status\n\
         1,acme/api,production,{SHA},2026-07-02,success\n\
         2,acme api,production,abc123,2026-07-02T10:00:00Z,Healthy\n\
         3,acme/api,production,{SHA},2026-07-02T10:00:00Z,success\n\
         3,acme/api,production,{SHA},2026-07-02T11:00:00Z,success\n"
    );
    let e = csv(&body).unwrap_err();
    let m = messages(&e);
    assert!(
        m[0].starts_with("argo.csv:2: field `created_at`: `2026-07-02` is not an RFC 3339 time"),
        "{m:?}"
    );
    assert!(
        m[1].starts_with("argo.csv:3: field `repo`: `acme api` is not a repository path"),
        "{m:?}"
    );
    assert!(
        m[2].starts_with("argo.csv:3: field `sha`: `abc123` is not a full commit SHA"),
        "{m:?}"
    );
    assert!(
        m[3].starts_with("argo.csv:3: field `status`: `Healthy` is not a deployment state"),
        "{m:?}"
    );
    assert!(m[3].contains("Healthy → success"), "says how to map: {m:?}");
    assert_eq!(
        m[4],
        "argo.csv:5: field `id`: deployment `3` of acme/api is also on line 4: each deployment once"
    );
    assert_eq!(m.len(), 5);
}

#[test]
fn the_header_must_name_known_fields_and_every_required_one() {
    let e = csv("id,repo,enviroment,sha,created_at,status\n").unwrap_err();
    let m = messages(&e);
    assert!(
        m[0].starts_with(
            "argo.csv:1: field `enviroment`: `enviroment` is not a field of the deployment schema"
        ),
        "{m:?}"
    );
    assert!(
        m[1].starts_with("argo.csv:1: field `environment`: the header has no `environment` column"),
        "{m:?}"
    );
    let e = csv("id,repo,environment,sha,created_at,status,id\n").unwrap_err();
    assert!(messages(&e)[0].contains("the column is named twice"));
}

#[test]
fn rows_of_the_wrong_width_and_empty_required_fields_are_refused() {
    let body = format!(
        "id,repo,environment,sha,created_at,status\n1,acme/api,production,{SHA}\n2,acme/api,,{SHA},2026-07-02T10:00:00Z,success\n"
    );
    let m = messages(&csv(&body).unwrap_err());
    assert!(
        m[0].starts_with("argo.csv:2: the row cannot be read"),
        "{m:?}"
    );
    assert_eq!(
        m[1],
        "argo.csv:3: field `environment`: is required and empty"
    );
}

#[test]
fn json_arrays_give_each_record_its_line_and_pointer() {
    let body = format!(
        "[\n  {{\"id\": \"7\", \"repo\": \"acme/web\", \"environment\": \"production\", \"sha\": \"{SHA}\",\n   \"created_at\": \"2026-07-02T10:00:00Z\", \"status\": \"success\", \"approver\": [\"carol\"]}},\n  {{\"id\": 8, \"repo\": \"acme/web\", \"environment\": \"production\", \"sha\": \"{SHA}\", \"created_at\": \"2026-07-03T10:00:00Z\", \"status\": \"error\", \"deployer\": null}}\n]\n"
    );
    let d = parse("spinnaker.json", FileFormat::Json, body.as_bytes()).unwrap();
    assert_eq!((d[0].line, d[0].fragment.as_str()), (2, "/0"));
    assert_eq!((d[1].line, d[1].fragment.as_str()), (4, "/1"));
    assert_eq!(d[0].approvers, ["carol"]);
    assert_eq!(d[1].id, "8", "a numeric id is its text");

    let bad = format!(
        "[\n{{\"id\": \"1\", \"repo\": \"acme/web\", \"environment\": \"production\", \"sha\": \"{SHA}\", \"created_at\": \"2026-07-02T10:00:00Z\", \"status\": true, \"color\": \"red\"}}\n]"
    );
    let m = messages(&parse("s.json", FileFormat::Json, bad.as_bytes()).unwrap_err());
    assert!(
        m.iter()
            .any(|l| l.starts_with("s.json:2: field `color`: `color` is not a field")),
        "{m:?}"
    );
    assert!(
        m.iter()
            .any(|l| l == "s.json:2: field `status`: must be a string"),
        "{m:?}"
    );
    let m = messages(&parse("s.json", FileFormat::Json, b"[\n{\"id\": \"1\",\n").unwrap_err());
    assert!(m[0].starts_with("s.json:3: "), "{m:?}");
    let m = messages(&parse("s.json", FileFormat::Json, b"{\"id\": \"1\"}").unwrap_err());
    assert!(m[0].contains("an array of objects"), "{m:?}");
}

#[test]
fn json_lines_name_the_line() {
    let body = format!(
        "{{\"id\": \"1\", \"repo\": \"acme/web\", \"environment\": \"production\", \"sha\": \"{SHA}\", \"created_at\": \"2026-07-02T10:00:00Z\", \"status\": \"success\"}}\n\n{{\"id\": \"2\"\n"
    );
    let e = parse("jenkins.ndjson", FileFormat::Ndjson, body.as_bytes()).unwrap_err();
    let m = messages(&e);
    assert_eq!(m.len(), 1, "{m:?}");
    assert!(m[0].starts_with("jenkins.ndjson:3: "), "{m:?}");
    let ok = parse(
        "jenkins.ndjson",
        FileFormat::Ndjson,
        body.lines().next().unwrap().as_bytes(),
    )
    .unwrap();
    assert_eq!(ok[0].fragment, "line=1");
}

#[test]
fn a_file_that_is_not_utf8_is_refused_whole() {
    let e = csv("id\n\u{0}").unwrap_err();
    assert!(!e.problems.is_empty());
    let e = parse("x.csv", FileFormat::Csv, b"id,repo\n\xff\xfe").unwrap_err();
    assert_eq!(e.problems[0].line, 0);
    assert!(e.to_string().starts_with("x.csv: is not UTF-8"), "{e}");
}

#[test]
fn many_problems_are_capped_with_a_note() {
    let mut body = String::from("id,repo,environment,sha,created_at,status\n");
    for i in 0..50 {
        body.push_str(&format!(
            "{i},acme/api,production,bad,2026-07-02T10:00:00Z,success\n"
        ));
    }
    let e = csv(&body).unwrap_err();
    assert_eq!(e.problems.len(), MAX_PROBLEMS);
    assert!(e.truncated);
    assert!(
        e.to_string()
            .ends_with("more problems not listed; fix these and run again")
    );
}

#[test]
fn formats_follow_the_extension() {
    assert_eq!(FileFormat::from_path("a/b.CSV"), Some(FileFormat::Csv));
    assert_eq!(FileFormat::from_path("x.json"), Some(FileFormat::Json));
    assert_eq!(FileFormat::from_path("x.jsonl"), Some(FileFormat::Ndjson));
    assert_eq!(FileFormat::from_path("x.txt"), None);
}

mod generated {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn any_bytes_give_records_or_errors_never_a_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            for format in [FileFormat::Csv, FileFormat::Json, FileFormat::Ndjson] {
                let _ = parse("fuzz", format, &bytes);
            }
        }

        #[test]
        fn any_text_row_gives_records_or_errors_with_lines(cells in proptest::collection::vec("[ -~]{0,12}", 6)) {
            let body = format!("id,repo,environment,sha,created_at,status\n{}\n", cells.join(","));
            match csv(&body) {
                Ok(d) => prop_assert!(d.iter().all(|d| d.line == 2)),
                Err(e) => prop_assert!(e.problems.iter().all(|p| p.line <= 3)),
            }
        }
    }
}

#[test]
fn the_documented_example_export_is_valid() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/deployments-export.csv"
    );
    let bytes = std::fs::read(path).unwrap();
    let d = parse("examples/deployments-export.csv", FileFormat::Csv, &bytes).unwrap();
    assert_eq!(d.len(), 2);
    assert_eq!(d[1].approvers, ["soren-ostergaard", "mwebb"]);
}
