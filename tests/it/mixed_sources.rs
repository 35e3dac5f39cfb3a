//! One config mixing GitHub, GitLab and a file export: collected into one locker from the
//! fake GitHub and the fake GitLab, evaluated into findings that keep each example's
//! planted exceptions, and bundled with the source of every record; the bundle
//! re-performs.

use std::collections::BTreeSet;
use std::sync::Arc;

use changeproof::collect::collect;
use changeproof::config::Config;
use changeproof::example::gitlab::{GITLAB_ROSTER, write_gitlab_example};
use changeproof::example::{ExampleParams, write_example};
use changeproof::locker::Locker;
use changeproof::pipeline;

use crate::collect::{Harness, TOKEN, config_text, harness, options};
use crate::fake_gitlab::{FakeGitlab, Group, Options};
use crate::gitlab_collect::GITLAB_TOKEN;

type Key = (String, String, String, String, String);

/// Controls whose results do not depend on the settings where the two examples'
/// configs differ (time zone, access policy): their findings must be each example's.
const COMPARED: &[&str] = &[
    "CM-01", "CM-02", "CM-03", "CM-04", "CM-05", "CM-06", "CM-07", "CM-08", "CM-09", "CM-10",
    "OP-02", "OP-03",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn github_gitlab_and_a_file_make_one_consistent_bundle() {
    let Harness { server, time, .. } = harness(Vec::new()).await;
    // The truths of both examples.
    let scratch = tempfile::tempdir().unwrap();
    let github_truth = write_example(&scratch.path().join("gh"), ExampleParams::default()).unwrap();
    let gitlab_truth = write_gitlab_example(&scratch.path().join("gl"), 2026).unwrap();
    let clock = Arc::clone(&time);
    let gitlab = FakeGitlab::start(
        Group::from_locker(&Locker::open(scratch.path().join("gl")).unwrap()),
        Options {
            token: GITLAB_TOKEN.into(),
            now: Arc::new(move || {
                use changeproof::collect::time::Clock;
                clock.now().timestamp()
            }),
            rules: Vec::new(),
            max_per_page: 100,
            count_cap: crate::fake_gitlab::COUNT_CAP,
            overstate: None,
        },
    )
    .await;

    // acme's config, with the GitLab group and an Argo CD export as further sources.
    let untraced = "e".repeat(40);
    let export = format!(
        "id,repo,environment,sha,created_at,status,deployer,approver\n\
         argo-7,acme/api,production,{untraced},2026-08-19T15:00:00Z,success,acme-deploy-bot,mwebb\n"
    );
    let dir = tempfile::tempdir().unwrap();
    let sources = format!(
        "\n[[source]]\nkind = \"gitlab\"\nname = \"gitlab-globex\"\napi_url = \"{}\"\norg = \"globex\"\ntoken_env = \"GITLAB_TOKEN\"\n\n[[source]]\nkind = \"file\"\nname = \"argocd\"\npath = \"argocd.csv\"\n\n[scope]\n",
        gitlab.api_url
    );
    let text = config_text(&server.url)
        .replacen("\n[scope]\n", &sources, 1)
        .replace(
            "service_accounts = [\"acme-deploy-bot\", \"acme-ci\"]",
            "service_accounts = [\"acme-deploy-bot\", \"acme-ci\", \"globex-deployer\"]",
        );
    assert!(text.contains("globex-deployer"));
    std::fs::write(dir.path().join("argocd.csv"), &export).unwrap();
    let roster = std::fs::read_to_string("examples/hr_roster.csv").unwrap()
        + GITLAB_ROSTER.split_once('\n').unwrap().1;
    std::fs::write(dir.path().join("hr_roster.csv"), roster).unwrap();
    std::fs::copy("examples/waivers.toml", dir.path().join("waivers.toml")).unwrap();
    let config_path = dir.path().join("changeproof.toml");
    std::fs::write(&config_path, &text).unwrap();
    let config = Config::load(&config_path).unwrap();

    let mut opts = options(&time, None);
    opts.env = Arc::new(|name| match name {
        "GITHUB_TOKEN" => Some(TOKEN.to_string()),
        "GITLAB_TOKEN" => Some(GITLAB_TOKEN.to_string()),
        _ => None,
    });
    let out = dir.path().join("locker");
    let collection = collect(&config, &out, opts).await.unwrap();
    assert!(collection.meta.complete, "{:?}", collection.meta.missing);
    let kinds: Vec<&str> = collection
        .meta
        .sources
        .iter()
        .map(|s| s.kind.as_str())
        .collect();
    assert_eq!(kinds, ["github", "gitlab", "file"]);

    let evaluated = pipeline::evaluate_locker(&out, Some(&config_path)).unwrap();
    let findings = &evaluated.evaluation.findings;
    let found: BTreeSet<Key> = findings
        .exceptions
        .iter()
        .filter(|e| COMPARED.contains(&e.control.as_str()))
        .map(|e| {
            (
                e.control.clone(),
                e.kind.clone(),
                e.repo.clone(),
                e.subject_type.as_str().to_string(),
                e.subject.clone(),
            )
        })
        .collect();
    let mut planted: BTreeSet<Key> = github_truth
        .exceptions
        .iter()
        .chain(&gitlab_truth.exceptions)
        .filter(|e| COMPARED.contains(&e.control.as_str()))
        .map(|e| {
            (
                e.control.clone(),
                e.kind.clone(),
                e.repo.clone(),
                e.subject_type.clone(),
                e.subject.clone(),
            )
        })
        .collect();
    planted.insert((
        "CM-06".into(),
        "untraceable_deployment".into(),
        "acme/api".into(),
        "deployment".into(),
        "argo-7".into(),
    ));
    let missed: Vec<&Key> = planted.difference(&found).collect();
    let extra: Vec<&Key> = found.difference(&planted).collect();
    assert!(
        missed.is_empty() && extra.is_empty(),
        "missed {missed:#?}\nextra {extra:#?}"
    );

    // One bundle: every record of every population names its source.
    let files = pipeline::bundle_files(&evaluated, evaluated.meta.snapshot_time, None).unwrap();
    let expected: BTreeSet<&str> = ["github-acme", "gitlab-globex", "argocd"].into();
    for (stem, sources) in [
        ("changes", vec!["github-acme", "gitlab-globex"]),
        ("commits", vec!["github-acme", "gitlab-globex"]),
        (
            "deployments",
            vec!["github-acme", "gitlab-globex", "argocd"],
        ),
        ("accounts", vec!["github-acme", "gitlab-globex"]),
        ("credentials", vec!["github-acme", "gitlab-globex"]),
    ] {
        let csv = files[&format!("populations/{stem}.csv")].clone();
        let mut reader = csv::Reader::from_reader(csv.as_slice());
        let column = reader
            .headers()
            .unwrap()
            .iter()
            .position(|h| h == "source")
            .unwrap_or_else(|| panic!("{stem} has no source column"));
        let seen: BTreeSet<String> = reader
            .records()
            .map(|r| r.unwrap()[column].to_string())
            .collect();
        assert!(
            seen.iter().all(|s| expected.contains(s.as_str())),
            "{stem}: {seen:?}"
        );
        for s in sources {
            assert!(seen.contains(s), "{stem} has no record of {s}: {seen:?}");
        }
    }
    crate::support::bundle_and_reperform(&evaluated, dir.path());
}
