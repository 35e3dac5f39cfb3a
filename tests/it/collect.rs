//! The GitHub collector against the fake GitHub server serving the example organisation:
//! collected-then-normalized evidence equals the example's, with and without faults,
//! across an interruption, with a missing permission, with a warm ETag cache; and the
//! token never lands anywhere.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use changeproof::collect::http::HttpSettings;
use changeproof::collect::progress::Silent;
use changeproof::collect::time::{Clock, VirtualTime};
use changeproof::collect::{CollectOptions, Collection, collect};
use changeproof::config::Config;
use changeproof::example::{EXAMPLE_CONFIG, ExampleParams, write_example};
use changeproof::locker::Locker;
use changeproof::model::Evidence;
use changeproof::normalize::normalize;

use crate::fake_github::{FakeGithub, Fault, Matcher, Options, Org, Rule};

pub const TOKEN: &str = "ghp_CHANGEPROOFtestTOKEN0123456789abcdefXYZ";

/// The example organisation: its locker and its normalized evidence.
pub struct Example {
    _dir: tempfile::TempDir,
    pub locker: Locker,
    pub evidence: Evidence,
}

pub fn example() -> Example {
    example_with(ExampleParams::default())
}

pub fn example_with(params: ExampleParams) -> Example {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("example");
    write_example(&path, params).unwrap();
    let locker = Locker::open(&path).unwrap();
    let evidence = normalize(&locker).unwrap();
    Example {
        _dir: dir,
        locker,
        evidence,
    }
}

/// The example's config pointed at the fake server.
pub fn config_text(url: &str) -> String {
    let text = EXAMPLE_CONFIG.replace(
        "api_url = \"https://api.github.com\"",
        &format!("api_url = \"{url}\""),
    );
    assert_ne!(
        text, EXAMPLE_CONFIG,
        "the example config names api.github.com"
    );
    text
}

pub fn config(url: &str) -> Config {
    Config::parse(
        &config_text(url),
        Path::new("test.toml"),
        PathBuf::from("."),
    )
    .unwrap()
}

fn snapshot() -> changeproof::model::Timestamp {
    "2026-10-05T09:00:00Z".parse().unwrap()
}

/// The fake GitHub server serving the example organisation, on a virtual clock.
pub struct Harness {
    pub example: Example,
    pub server: FakeGithub,
    pub time: Arc<VirtualTime>,
}

/// The fake server's options on the harness's clock.
fn test_options(time: &Arc<VirtualTime>, rules: Vec<Rule>) -> Options {
    let clock = Arc::clone(time);
    Options {
        token: TOKEN.into(),
        app: None,
        now: Arc::new(move || clock.now().timestamp()),
        latency: Duration::ZERO,
        rules,
    }
}

pub async fn harness(rules: Vec<Rule>) -> Harness {
    let example = example();
    let time = Arc::new(VirtualTime::new(snapshot()));
    let clock = Arc::clone(&time);
    let server = FakeGithub::start(
        Org::from_locker(&example.locker),
        Options {
            token: TOKEN.into(),
            app: None,
            now: Arc::new(move || clock.now().timestamp()),
            latency: Duration::ZERO,
            rules,
        },
    )
    .await;
    Harness {
        example,
        server,
        time,
    }
}

/// Collection options on the harness's virtual clock, with the test token.
pub fn options(time: &Arc<VirtualTime>, etag_cache: Option<PathBuf>) -> CollectOptions {
    CollectOptions {
        settings: HttpSettings {
            request_timeout: Duration::from_secs(20),
            ..HttpSettings::default()
        },
        etag_cache,
        clock: Arc::clone(time) as Arc<dyn Clock>,
        sleeper: Arc::clone(time) as Arc<dyn changeproof::collect::time::Sleeper>,
        progress: Arc::new(Silent),
        env: Arc::new(|name| (name == "GITHUB_TOKEN").then(|| TOKEN.to_string())),
    }
}

impl Harness {
    async fn collect(&self, out: &Path, etag_cache: Option<PathBuf>) -> Collection {
        collect(
            &config(&self.server.url),
            out,
            options(&self.time, etag_cache),
        )
        .await
        .unwrap()
    }
}

/// Evidence as JSON with the fake server's address replaced by GitHub's, so evidence
/// collected from it compares with the example's.
pub fn comparable(evidence: &Evidence, server_url: &str) -> serde_json::Value {
    let text = serde_json::to_string(evidence).unwrap();
    let text = text.replace(server_url, "https://github.com");
    serde_json::from_str(&text).unwrap()
}

/// The first difference between two JSON values, as a pointer and both sides.
pub fn first_difference(a: &serde_json::Value, b: &serde_json::Value, at: &str) -> Option<String> {
    use serde_json::Value;
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            keys.into_iter().find_map(|k| match (x.get(k), y.get(k)) {
                (Some(p), Some(q)) => first_difference(p, q, &format!("{at}/{k}")),
                _ => Some(format!("{at}/{k}: present on one side only")),
            })
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (p, q))| first_difference(p, q, &format!("{at}/{i}"))),
        _ if a == b => None,
        _ => Some(format!(
            "{at}: {} != {}",
            truncate(&a.to_string()),
            truncate(&b.to_string())
        )),
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(300).collect()
}

pub fn assert_same_evidence(collected: &Evidence, expected: &Evidence, server_url: &str) {
    let a = comparable(collected, server_url);
    let b = serde_json::to_value(expected).unwrap();
    if let Some(diff) = first_difference(&a, &b, "") {
        panic!("collected evidence differs from the example's: {diff}");
    }
}

/// (method, URL, request body) of every successful record, with duplicates counted.
pub fn successful_keys(locker: &Locker) -> BTreeMap<(String, String, Option<String>), u32> {
    let mut keys = BTreeMap::new();
    for r in locker.requests().unwrap() {
        if (200..300).contains(&r.status) || r.status == 304 {
            *keys
                .entry((r.method.clone(), r.url.clone(), r.request_sha256.clone()))
                .or_insert(0) += 1;
        }
    }
    keys
}

/// The whole records of a request log, even one whose last line a kill cut short.
pub fn whole_records(locker: &Path) -> Vec<changeproof::locker::RequestRecord> {
    let text = std::fs::read_to_string(locker.join("requests.ndjson")).unwrap();
    let whole = text.rfind('\n').map_or(0, |i| i + 1);
    text[..whole]
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collected_evidence_equals_the_example() {
    let h = harness(Vec::new()).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("locker");
    let collection = h.collect(&out, None).await;
    assert!(
        collection.meta.complete,
        "missing: {:?}",
        collection.meta.missing
    );
    assert_eq!(collection.meta.snapshot_time, snapshot());
    assert_same_evidence(&collection.evidence, &h.example.evidence, &h.server.url);
    // The locker is whole: evidence.json re-derives from it, every record is unique.
    let locker = Locker::open(&out).unwrap();
    assert_eq!(locker.evidence().unwrap(), collection.evidence);
    assert!(successful_keys(&locker).values().all(|n| *n == 1));
    assert_eq!(
        locker.config_text().unwrap().unwrap(),
        config(&h.server.url).to_effective_toml()
    );
    // No request went unauthenticated or unanswered.
    let served = h.server.served();
    assert!(
        served
            .iter()
            .all(|s| s.status != 401 && s.status != 404 || s.target.contains("/protection"))
    );
    assert_eq!(collection.stats[0].1.network, served.len() as u64);
    // The example's overflowing PR needed every follow-up query, and got all of it.
    for (operation, _) in changeproof::github::QUERIES.iter().skip(2) {
        assert!(
            served
                .iter()
                .any(|s| s.operation.as_deref() == Some(operation)),
            "{operation} was never sent"
        );
    }
    assert!(
        collection
            .evidence
            .changes
            .iter()
            .all(|c| c.incomplete.is_empty())
    );
    assert!(
        collection
            .evidence
            .changes
            .iter()
            .any(|c| c.reviews.len() > 50 && c.commits.len() > 100),
        "the overflowing PR is collected whole"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_follow_up_leaves_the_change_incomplete_and_the_collection_missing_it() {
    let rules = vec![Rule::new(
        Matcher::Operation("PullRequestReviews".into()),
        Fault::Status(502),
        0,
        u64::MAX,
    )];
    let h = harness(rules).await;
    let dir = tempfile::tempdir().unwrap();
    let collection = h.collect(&dir.path().join("locker"), None).await;
    assert!(!collection.meta.complete);
    assert_eq!(
        collection.meta.missing.len(),
        1,
        "{:?}",
        collection.meta.missing
    );
    assert!(
        collection.meta.missing[0].contains("reviews")
            && collection.meta.missing[0].contains("502"),
        "{:?}",
        collection.meta.missing
    );
    let incomplete: Vec<_> = collection
        .evidence
        .changes
        .iter()
        .filter(|c| !c.incomplete.is_empty())
        .collect();
    assert_eq!(incomplete.len(), 1);
    assert_eq!(incomplete[0].incomplete, vec!["reviews".to_string()]);
    assert_eq!(incomplete[0].reviews.len(), 50);
    // Its other connections were completed by their follow-ups.
    assert!(incomplete[0].commits.len() > 100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repository_over_the_search_cap_is_split_and_collected_whole() {
    use changeproof::github::{MergedRange, SEARCH_CAP};
    let example = example_with(ExampleParams {
        seed: 5,
        changes: 3_600,
    });
    let time = Arc::new(VirtualTime::new(snapshot()));
    let clock = Arc::clone(&time);
    let server = FakeGithub::start(
        Org::from_locker(&example.locker),
        Options {
            token: TOKEN.into(),
            app: None,
            now: Arc::new(move || clock.now().timestamp()),
            latency: Duration::ZERO,
            rules: Vec::new(),
        },
    )
    .await;
    let window = MergedRange::of_window(&config(&server.url).audit.window.window());
    let full = window.query("acme/api");
    let expected: Vec<_> = example
        .evidence
        .changes
        .iter()
        .filter(|c| c.repo == "acme/api")
        .cloned()
        .collect();
    let in_search = expected
        .iter()
        .filter(|c| window.contains(c.merged_at))
        .count();
    assert!(in_search as u64 > SEARCH_CAP, "{in_search}");

    // The fake server caps its search like GitHub: results stop at the 1,000th.
    changeproof::collect::http::install_crypto_provider();
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let page = |cursor: Option<String>| {
        let body = serde_json::json!({
            "operationName": "MergedPullRequests",
            "query": changeproof::github::MERGED_PULL_REQUESTS,
            "variables": {"q": full, "cursor": cursor},
        });
        let request = client
            .post(format!("{}/graphql", server.url))
            .bearer_auth(TOKEN)
            .header("content-type", "application/json")
            .body(serde_json::to_vec(&body).unwrap());
        async move {
            let bytes = request.send().await.unwrap().bytes().await.unwrap();
            let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            v["data"]["search"].clone()
        }
    };
    let mut cursor = None;
    let mut seen = 0;
    loop {
        let search = page(cursor.clone()).await;
        assert_eq!(search["issueCount"], in_search);
        seen += search["nodes"].as_array().unwrap().len();
        if search["pageInfo"]["hasNextPage"] != true {
            break;
        }
        cursor = search["pageInfo"]["endCursor"].as_str().map(str::to_string);
    }
    assert_eq!(seen as u64, SEARCH_CAP);
    let served_before = server.served().len();

    // Only acme/api, to keep the test quick.
    let text = config_text(&server.url).replace("repos = [\"*\"]", "repos = [\"api\"]");
    let cfg = Config::parse(&text, Path::new("test.toml"), PathBuf::from(".")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let collection = collect(&cfg, &dir.path().join("locker"), options(&time, None))
        .await
        .unwrap();
    assert!(
        collection.meta.complete,
        "missing: {:?}",
        collection.meta.missing
    );
    let collected = serde_json::to_value(&collection.evidence.changes).unwrap();
    let text = collected
        .to_string()
        .replace(&server.url, "https://github.com");
    let collected: serde_json::Value = serde_json::from_str(&text).unwrap();
    let expected = serde_json::to_value(&expected).unwrap();
    if let Some(diff) = first_difference(&collected, &expected, "") {
        panic!("collected changes differ from the example's: {diff}");
    }
    // The oversized search was read one page, then split.
    let served = &server.served()[served_before..];
    let searches: Vec<_> = served
        .iter()
        .filter(|s| s.operation.as_deref() == Some("MergedPullRequests"))
        .collect();
    assert!(searches.len() > in_search / 100);
    let locker = Locker::open(dir.path().join("locker")).unwrap();
    let full_range = locker
        .requests()
        .unwrap()
        .iter()
        .filter(|r| r.method == "POST")
        .filter(|r| {
            let body = locker
                .raw_json(r.request_sha256.as_deref().unwrap())
                .unwrap();
            body["variables"]["q"] == full.as_str()
        })
        .count();
    assert_eq!(full_range, 1);
    // The population queries: each search within the cap and whole.
    let queries: Vec<_> = collection
        .evidence
        .queries
        .iter()
        .filter(|q| q.evidence_type == "pull_requests")
        .collect();
    assert!(queries.len() >= 2);
    assert!(queries.iter().all(|q| q.total_count == Some(q.records)));
    assert_eq!(
        queries.iter().map(|q| q.records).sum::<u64>(),
        in_search as u64
    );
    assert!(collection.notes.iter().any(|n| n.contains("split")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_and_rate_limits_do_not_change_the_evidence() {
    let rules = vec![
        Rule::new(
            Matcher::Target("/deployments?".into()),
            Fault::Status(502),
            0,
            2,
        ),
        Rule::new(
            Matcher::Operation("ProductionDeployments".into()),
            Fault::Status(503),
            1,
            2,
        ),
        Rule::new(
            Matcher::Target("/collaborators".into()),
            Fault::Truncate,
            0,
            2,
        ),
        Rule::new(
            Matcher::Operation("MergedPullRequests".into()),
            Fault::Truncate,
            1,
            1,
        ),
        Rule::new(
            Matcher::Target("/members?".into()),
            Fault::Secondary { retry_after: 30 },
            0,
            1,
        ),
        Rule::new(
            Matcher::Operation("BranchHistory".into()),
            Fault::GraphqlRateLimited,
            0,
            1,
        ),
        Rule::new(
            Matcher::Target("/repos/".into()),
            Fault::ExhaustPrimary { reset_in: 120 },
            40,
            1,
        ),
    ];
    let h = harness(rules).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("locker");
    let collection = h.collect(&out, None).await;
    assert!(
        collection.meta.complete,
        "missing: {:?}",
        collection.meta.missing
    );
    assert_same_evidence(&collection.evidence, &h.example.evidence, &h.server.url);
    let stats = collection.stats[0].1;
    assert!(stats.retries >= 7, "{stats:?}");
    // The secondary limit and GraphQL's RATE_LIMITED: waits after a refusal. The
    // primary limit is announced on a 200 and waited for before anything is refused.
    assert!(stats.waits >= 2, "{stats:?}");
    // The waits happened (in virtual time): the primary reset is 2 minutes away.
    assert!(
        h.time.slept() >= Duration::from_secs(120),
        "{:?}",
        h.time.slept()
    );
    // Every failed attempt is in the request log, but counts once in the evidence.
    let locker = Locker::open(&out).unwrap();
    let records = locker.requests().unwrap();
    assert!(
        records
            .iter()
            .any(|r| r.status == 0 && r.headers.contains_key("x-changeproof-error"))
    );
    assert!(records.iter().any(|r| r.status == 502));
    assert!(
        records
            .iter()
            .any(|r| r.status == 403 && r.headers.contains_key("retry-after"))
    );
    // After the primary limit was announced, no REST request arrived before its reset
    // except those already in flight.
    let premature = h
        .server
        .served()
        .iter()
        .filter(|s| s.status == 403 && s.target.starts_with("/repos/") && !s.fault)
        .count();
    if premature > 6 {
        for (i, s) in h.server.served().iter().enumerate() {
            eprintln!(
                "{i} {} {} {} fault={}",
                s.method, s.status, s.target, s.fault
            );
        }
    }
    assert!(
        premature <= HttpSettings::default().max_in_flight,
        "{premature}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_permission_is_a_gap_not_an_incomplete_collection() {
    let rules = vec![Rule::new(
        Matcher::Target("/keys?".into()),
        Fault::Forbidden,
        0,
        u64::MAX,
    )];
    let h = harness(rules).await;
    let dir = tempfile::tempdir().unwrap();
    let collection = h.collect(&dir.path().join("locker"), None).await;
    assert!(
        collection.meta.complete,
        "missing: {:?}",
        collection.meta.missing
    );
    let gaps: Vec<_> = collection
        .evidence
        .gaps
        .iter()
        .filter(|g| g.evidence_type == "deploy_keys")
        .collect();
    let repos = h
        .server
        .served()
        .iter()
        .filter(|s| s.target.contains("/keys?"))
        .map(|s| s.target.clone())
        .collect::<BTreeSet<_>>()
        .len();
    assert!(repos > 1);
    assert_eq!(gaps.len(), repos, "{gaps:?}");
    assert!(
        gaps.iter()
            .all(|g| g.status == Some(403) && g.reason.contains("Resource not accessible"))
    );
    assert!(collection.evidence.access.deploy_keys.is_empty());
    // Nothing else is affected.
    assert_eq!(collection.evidence.changes, h.example.evidence.changes);
    // One attempt per list: a refusal is final, not retried.
    let tries = h
        .server
        .served()
        .iter()
        .filter(|s| s.target.contains("/keys?"))
        .count();
    assert_eq!(tries, repos);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_collection_resumes_without_refetching_or_duplicating() {
    let h = harness(Vec::new()).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("locker");
    // Run until the server has answered 150 requests, then drop the collection.
    let stop_after = 150;
    let cfg = config(&h.server.url);
    tokio::select! {
        result = collect(&cfg, &out, options(&h.time, None)) => {
            panic!("the collection should have been interrupted: {:?}", result.map(|c| c.meta));
        }
        _ = async {
            while h.server.requests() < stop_after {
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        } => {}
    }
    // Let recording tasks that were already writing finish (a group commit's fsyncs
    // can take a while on a busy disk): until the request log stops growing.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let mut written = whole_records(&out).len();
    loop {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let now = whole_records(&out).len();
        if now == written || std::time::Instant::now() > deadline {
            break;
        }
        written = now;
    }
    let interrupted = Locker::open(&out).unwrap();
    let meta = interrupted.meta().unwrap();
    assert!(!meta.complete);
    assert_eq!(
        meta.missing,
        vec![changeproof::collect::IN_PROGRESS.to_string()]
    );
    let done_before: BTreeSet<_> = successful_keys(&interrupted).into_keys().collect();
    let records_before = whole_records(&out).len();
    assert!(done_before.len() >= 100, "{}", done_before.len());
    let served_before = h.server.served().len();

    let collection = h.collect(&out, None).await;
    assert!(collection.resumed);
    assert!(
        collection.meta.complete,
        "missing: {:?}",
        collection.meta.missing
    );
    assert_eq!(collection.meta.snapshot_time, snapshot());
    assert_same_evidence(&collection.evidence, &h.example.evidence, &h.server.url);
    let locker = Locker::open(&out).unwrap();
    let keys = successful_keys(&locker);
    let duplicated: Vec<_> = keys.iter().filter(|(_, n)| **n > 1).collect();
    assert!(duplicated.is_empty(), "{duplicated:?}");
    // Nothing finished before the interruption was asked for again.
    let refetched: Vec<_> = h.server.served()[served_before..]
        .iter()
        .filter(|s| {
            done_before.iter().any(|(method, url, _)| {
                *method == s.method && s.method == "GET" && url.ends_with(&s.target)
            })
        })
        .map(|s| s.target.clone())
        .collect();
    assert!(refetched.is_empty(), "{refetched:?}");
    // Every final answer of the first run (successes and 404 "Branch not protected")
    // was taken from the locker.
    let final_before = whole_records(&out)
        .iter()
        .take(records_before)
        .filter(|r| r.status != 0 && r.status < 500)
        .map(|r| (r.method.clone(), r.url.clone(), r.request_sha256.clone()))
        .collect::<BTreeSet<_>>()
        .len();
    assert_eq!(collection.stats[0].1.journal as usize, final_before);
    // Sequence numbers continue without a gap.
    let seqs: Vec<u64> = locker.requests().unwrap().iter().map(|r| r.seq).collect();
    assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_warm_etag_cache_makes_a_rerun_almost_free() {
    let h = harness(Vec::new()).await;
    let dir = tempfile::tempdir().unwrap();
    let first_out = dir.path().join("first");
    let first = h.collect(&first_out, None).await;
    assert!(first.meta.complete);
    let (core_1, graphql_1) = h.server.budget();
    let second = h
        .collect(&dir.path().join("second"), Some(first_out.clone()))
        .await;
    let (core_2, graphql_2) = h.server.budget();
    let (core_2, graphql_2) = (core_2 - core_1, graphql_2 - graphql_1);
    assert!(second.meta.complete);
    assert_same_evidence(&second.evidence, &h.example.evidence, &h.server.url);
    assert_eq!(first.evidence, second.evidence);
    // Every REST answer with an ETag was revalidated for free; error answers (404 "Branch
    // not protected") carry none and cost again.
    let errors = Locker::open(&first_out)
        .unwrap()
        .requests()
        .unwrap()
        .iter()
        .filter(|r| r.method == "GET" && r.status != 200)
        .count() as u64;
    assert_eq!(core_2, errors);
    assert_eq!(
        second.stats[0].1.not_modified,
        first.stats[0].1.core_used - errors
    );
    // GraphQL answers on pull requests and branch histories were reused behind their
    // probes; deployment statuses and deployed commits were asked again.
    let first_log = Locker::open(&first_out).unwrap().requests().unwrap();
    let asked_again: u64 = h
        .server
        .served()
        .iter()
        .take(first.stats[0].1.network as usize)
        .filter(|s| {
            matches!(
                s.operation.as_deref(),
                Some("ProductionDeployments" | "DeployedCommit")
            )
        })
        .map(|s| s.cost)
        .sum();
    assert_eq!(graphql_2, asked_again);
    assert!(
        graphql_2 * 10 < graphql_1,
        "{graphql_2} of {graphql_1} points"
    );
    let second_log = Locker::open(dir.path().join("second"))
        .unwrap()
        .requests()
        .unwrap();
    let reused: Vec<_> = second_log.iter().filter(|r| r.reused.is_some()).collect();
    assert_eq!(reused.len() as u64, second.stats[0].1.reused);
    // The summary names each reused population's probe; the token is nowhere.
    assert!(
        second
            .reused
            .iter()
            .any(|l| l.contains("/repos/acme/api/pulls?state=closed")),
        "{:?}",
        second.reused
    );
    assert_token_absent(&dir.path().join("second"));
    assert!(reused.len() > 10, "{}", reused.len());
    let first_snapshot = Locker::open(&first_out)
        .unwrap()
        .meta()
        .unwrap()
        .snapshot_time;
    for r in &reused {
        let origin = r.reused.as_ref().unwrap();
        assert_eq!(origin.collection, first_snapshot);
        // The earlier record answered the same request, with the same bytes.
        let earlier = first_log.iter().find(|e| e.seq == origin.seq).unwrap();
        assert_eq!(
            (
                &earlier.url,
                &earlier.request_sha256,
                &earlier.response_sha256,
                earlier.time
            ),
            (
                &r.url,
                &r.request_sha256,
                &r.response_sha256,
                origin.requested_at
            )
        );
        // The probe it relied on is in this log, answered 304, and watches this evidence.
        let probe = second_log
            .iter()
            .find(|p| p.seq == origin.probe_seq)
            .unwrap();
        assert_eq!(probe.status, 304);
        assert_eq!(origin.probe, format!("GET {}", probe.url));
        assert!(
            probe.url.contains("/pulls?state=closed") || probe.url.contains("/branches/"),
            "{}",
            probe.url
        );
    }
    // Every GET of the re-run that had a cached answer asked conditionally.
    let served = h.server.served();
    let rerun = &served[served.len() - second.stats[0].1.network as usize..];
    let conditional = rerun.iter().filter(|s| s.conditional).count() as u64;
    assert_eq!(conditional, second.stats[0].1.not_modified);
    assert!(rerun.iter().all(|s| !matches!(
        s.operation.as_deref(),
        Some("MergedPullRequests" | "BranchHistory")
    )));
    assert!(
        rerun
            .iter()
            .filter(|s| s.method == "POST")
            .all(|s| s.operation.is_some() && !s.conditional)
    );
    eprintln!(
        "first run: {core_1} REST + {graphql_1} GraphQL points; warm re-run: {core_2} REST + {graphql_2} GraphQL points ({:.1} %)",
        100.0 * (core_2 + graphql_2) as f64 / (core_1 + graphql_1) as f64
    );
}

/// Every file under `dir`, recursively.
pub fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out
}

pub fn assert_token_absent(dir: &Path) {
    for file in files(dir) {
        let bytes = std::fs::read(&file).unwrap();
        assert!(
            !bytes.windows(TOKEN.len()).any(|w| w == TOKEN.as_bytes()),
            "the token is in {}",
            file.display()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_never_lands_in_the_locker() {
    let rules = vec![
        Rule::new(Matcher::Target("/keys?".into()), Fault::Forbidden, 0, 1),
        Rule::new(Matcher::Target("/teams?".into()), Fault::Truncate, 0, 1),
    ];
    let h = harness(rules).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("locker");
    h.collect(&out, None).await;
    assert_token_absent(&out);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_resumes_after_kill_9_and_logs_no_token() {
    let example = example();
    let server = FakeGithub::start(
        Org::from_locker(&example.locker),
        Options {
            token: TOKEN.into(),
            app: None,
            now: Arc::new(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs() as i64)
            }),
            // Slow enough that the kill lands mid-way.
            latency: Duration::from_millis(15),
            rules: vec![Rule::new(
                Matcher::Target("/keys?".into()),
                Fault::Forbidden,
                0,
                1,
            )],
        },
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let config_path = dir.path().join("changeproof.toml");
    std::fs::write(&config_path, config_text(&server.url)).unwrap();
    let out = dir.path().join("locker");
    let command = |log: &str| {
        let log = std::fs::File::create(dir.path().join(log)).unwrap();
        let mut c = std::process::Command::new(crate::support::changeproof_bin());
        c.args(["collect", "--config"])
            .arg(&config_path)
            .arg("--out")
            .arg(&out)
            .env("GITHUB_TOKEN", TOKEN)
            .env("RUST_LOG", "trace")
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        c
    };
    let mut child = command("first.log").spawn().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while server.requests() < 120 {
        assert!(
            std::time::Instant::now() < deadline,
            "the collection never got going"
        );
        if let Some(status) = child.try_wait().unwrap() {
            panic!(
                "finished before the kill ({status}): {}",
                std::fs::read_to_string(dir.path().join("first.log")).unwrap_or_default()
            );
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    // Requests read before the kill may still be answered (into a closed socket).
    tokio::time::sleep(Duration::from_millis(500)).await;
    let served_before = server.served().len();
    let before = whole_records(&out);
    let finished_before: BTreeSet<_> = before
        .iter()
        .filter(|r| r.status != 0 && r.status < 500)
        .map(|r| (r.method.clone(), r.url.clone(), r.request_sha256.clone()))
        .collect();

    let mut second = command("second.log");
    let status = tokio::task::spawn_blocking(move || second.status())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        status.code(),
        Some(0),
        "{}",
        std::fs::read_to_string(dir.path().join("second.log")).unwrap_or_default()
    );
    let locker = Locker::open(&out).unwrap();
    assert!(locker.meta().unwrap().complete);
    let mut evidence = locker.evidence().unwrap();
    let mut expected = example.evidence.clone();
    expected.snapshot_time = evidence.snapshot_time;
    // Coverage is counted back from the snapshot (here the wall clock): the same calls
    // and responses, at other times.
    let calls = |e: &changeproof::model::Evidence| -> Vec<(String, String, Vec<String>)> {
        e.coverage
            .iter()
            .map(|c| {
                (
                    c.evidence_type.clone(),
                    c.scope.clone(),
                    c.responses.clone(),
                )
            })
            .collect()
    };
    assert_eq!(calls(&evidence), calls(&expected));
    assert!(
        evidence
            .coverage
            .iter()
            .all(|c| c.as_of == evidence.snapshot_time)
    );
    expected.coverage = evidence.coverage.clone();
    // The refused deploy-keys list of one repository is a gap in the collected evidence.
    let gaps: Vec<_> = evidence.gaps.drain(..).collect();
    assert_eq!(gaps.len(), 1, "{gaps:?}");
    assert_eq!(gaps[0].evidence_type, "deploy_keys");
    let refused_repo = gaps[0].repo.clone().unwrap();
    expected
        .access
        .deploy_keys
        .retain(|k| k.repo != refused_repo);
    expected.queries.retain(|q| {
        !(q.evidence_type == "deploy_keys" && q.repo.as_deref() == Some(refused_repo.as_str()))
    });
    assert_same_evidence(&evidence, &expected, &server.url);
    let keys = successful_keys(&locker);
    assert!(keys.values().all(|n| *n == 1), "duplicated records");
    // The second process asked only for what the first had not finished, and recorded
    // every request it made.
    let after = &locker.requests().unwrap()[before.len()..];
    assert!(!after.is_empty());
    assert_eq!(after.len(), server.served().len() - served_before);
    let refetched: Vec<&str> = after
        .iter()
        .filter(|r| {
            finished_before.contains(&(r.method.clone(), r.url.clone(), r.request_sha256.clone()))
        })
        .map(|r| r.url.as_str())
        .collect();
    assert!(refetched.is_empty(), "{refetched:?}");
    assert_token_absent(dir.path());
    let log = std::fs::read_to_string(dir.path().join("second.log")).unwrap();
    assert!(log.contains("GET"), "the trace log shows requests");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_github_app_authenticates_and_refreshes_its_token() {
    let key_file = crate::support::data("github-app/test-app-key.pem");
    let key =
        changeproof::collect::app::parse_private_key(&std::fs::read_to_string(&key_file).unwrap())
            .unwrap();
    let example = example();
    let time = Arc::new(VirtualTime::new(snapshot()));
    let clock = Arc::clone(&time);
    let server = FakeGithub::start(
        Org::from_locker(&example.locker),
        Options {
            token: "no-personal-token-accepted".into(),
            app: Some(crate::fake_github::App {
                id: 4242,
                installation_id: 77,
                public_key: key.public().as_ref().to_vec(),
                token_lifetime: 3600,
            }),
            now: Arc::new(move || clock.now().timestamp()),
            latency: Duration::ZERO,
            // GraphQL's budget runs out midway: the wait for its reset outlives the
            // first installation token.
            rules: vec![Rule::new(
                Matcher::Operation("BranchHistory".into()),
                Fault::GraphqlRateLimited,
                2,
                1,
            )],
        },
    )
    .await;
    let text = config_text(&server.url).replace(
        "token_env = \"GITHUB_TOKEN\"",
        &format!(
            "app = {{ id = 4242, installation_id = 77, private_key_file = \"{}\" }}",
            key_file.display()
        ),
    );
    let config = Config::parse(&text, Path::new("test.toml"), PathBuf::from(".")).unwrap();
    assert!(config.sources[0].app.is_some());
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("locker");
    let collection = collect(&config, &out, options(&time, None)).await.unwrap();
    assert!(
        collection.meta.complete,
        "missing: {:?}",
        collection.meta.missing
    );
    assert_same_evidence(&collection.evidence, &example.evidence, &server.url);
    let issued = server.issued_tokens();
    assert!(issued.len() >= 2, "the token was not refreshed: {issued:?}");
    // In virtual time another task's wait can expire a token while a request is on its
    // way: such a 401 must be answered by a fresh token and a retry, never a gap.
    assert!(
        collection.evidence.gaps.is_empty(),
        "{:?}",
        collection.evidence.gaps
    );
    for token in issued {
        for file in files(&out) {
            let bytes = std::fs::read(&file).unwrap();
            assert!(
                !bytes.windows(token.len()).any(|w| w == token.as_bytes()),
                "an installation token is in {}",
                file.display()
            );
        }
    }

    // A wrong App id is refused before anything is written.
    let wrong = text.replace("id = 4242", "id = 4343");
    let config = Config::parse(&wrong, Path::new("test.toml"), PathBuf::from(".")).unwrap();
    let err = collect(&config, &dir.path().join("never"), options(&time, None))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("HTTP 401"), "{err}");
    assert!(!dir.path().join("never").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_larger_organisation_is_collected_whole() {
    let example = example();
    let mut org = Org::from_locker(&example.locker);
    org.replicate(3);
    let time = Arc::new(VirtualTime::new(snapshot()));
    let clock = Arc::clone(&time);
    let server = FakeGithub::start(
        org,
        Options {
            token: TOKEN.into(),
            app: None,
            now: Arc::new(move || clock.now().timestamp()),
            latency: Duration::ZERO,
            rules: Vec::new(),
        },
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let collection = collect(
        &config(&server.url),
        &dir.path().join("locker"),
        options(&time, None),
    )
    .await
    .unwrap();
    assert!(
        collection.meta.complete,
        "missing: {:?}",
        collection.meta.missing
    );
    let e = &collection.evidence;
    assert_eq!(e.changes.len(), 3 * example.evidence.changes.len());
    assert_eq!(
        e.branch_commits.len(),
        3 * example.evidence.branch_commits.len()
    );
    assert_eq!(e.deployments.len(), 3 * example.evidence.deployments.len());
    assert!(e.gaps.is_empty(), "{:?}", e.gaps);
    // The copies are real repositories of the organisation.
    let repos: BTreeSet<&str> = e.changes.iter().map(|c| c.repo.as_str()).collect();
    assert!(repos.contains("acme/api-c3"), "{repos:?}");
}

/// The example's first production PR of `acme/api` with an approval, as in the search.
fn first_reviewed(body: &serde_json::Value) -> Option<u64> {
    body.pointer("/data/search/nodes")?
        .as_array()?
        .iter()
        .find(|n| {
            n.pointer("/reviews/nodes")
                .and_then(|r| r.as_array())
                .is_some_and(|r| !r.is_empty())
        })
        .and_then(|n| n["number"].as_u64())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pull_request_updated_since_is_fetched_again_with_its_new_review() {
    let mut h = harness(Vec::new()).await;
    let dir = tempfile::tempdir().unwrap();
    let first_out = dir.path().join("first");
    assert!(h.collect(&first_out, None).await.meta.complete);
    // Between the runs someone comments on a PR of acme/api: its closed-PR list moves,
    // and the search now shows one more review on it.
    let mut touched = None;
    let mut org = Org::from_locker(&h.example.locker);
    org.update_pull_request("acme/api", "2026-10-05T08:30:00Z", |body| {
        let Some(number) = first_reviewed(body) else {
            return;
        };
        touched.get_or_insert(number);
        if let Some(nodes) = body
            .pointer_mut("/data/search/nodes")
            .and_then(|n| n.as_array_mut())
        {
            for node in nodes
                .iter_mut()
                .filter(|n| n["number"].as_u64() == Some(number))
            {
                let mut review = node["reviews"]["nodes"][0].clone();
                review["databaseId"] = serde_json::Value::from(987_654_321u64);
                review["state"] = serde_json::Value::String("COMMENTED".into());
                node["reviews"]["nodes"]
                    .as_array_mut()
                    .unwrap()
                    .push(review);
                node["reviews"]["totalCount"] =
                    serde_json::Value::from(node["reviews"]["nodes"].as_array().unwrap().len());
            }
        }
    });
    let number = touched.expect("a reviewed PR in acme/api's search");
    // The same server, changed: restarted on its address.
    let address = h.server.url.trim_start_matches("http://").to_string();
    drop(std::mem::replace(
        &mut h.server,
        FakeGithub::start(Org::default(), test_options(&h.time, Vec::new())).await,
    ));
    h.server = FakeGithub::start_at(org, test_options(&h.time, Vec::new()), &address).await;
    let second = h.collect(&dir.path().join("second"), Some(first_out)).await;
    assert!(second.meta.complete, "{:?}", second.meta.missing);
    // acme/api's pull requests were asked again (their probe answered 200), the other
    // repositories' were reused.
    let log = Locker::open(dir.path().join("second"))
        .unwrap()
        .requests()
        .unwrap();
    let searches = |repo: &str, reused: bool| {
        log.iter()
            .filter(|r| r.method == "POST" && r.reused.is_some() == reused)
            .filter(|r| {
                let body = Locker::open(dir.path().join("second"))
                    .unwrap()
                    .raw_json(r.request_sha256.as_deref().unwrap())
                    .unwrap();
                body["operationName"] == "MergedPullRequests"
                    && body["variables"]["q"]
                        .as_str()
                        .is_some_and(|q| q.starts_with(&format!("repo:{repo} ")))
            })
            .count()
    };
    assert!(searches("acme/api", false) > 0);
    assert_eq!(searches("acme/api", true), 0);
    assert!(searches("acme/web", true) > 0);
    assert_eq!(searches("acme/web", false), 0);
    let change = second
        .evidence
        .changes
        .iter()
        .find(|c| c.repo == "acme/api" && c.number == number)
        .unwrap();
    assert!(change.reviews.iter().any(|r| r.id == "987654321"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unanswered_probe_falls_back_to_asking_again() {
    let h = harness(vec![Rule::new(
        Matcher::Target("/repos/acme/web/pulls?state=closed".into()),
        Fault::Status(502),
        1,
        u64::MAX,
    )])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let first_out = dir.path().join("first");
    assert!(h.collect(&first_out, None).await.meta.complete);
    let second = h.collect(&dir.path().join("second"), Some(first_out)).await;
    // The probe gave up; nothing is missing, acme/web's answers were simply asked again.
    assert!(second.meta.complete, "{:?}", second.meta.missing);
    assert_same_evidence(&second.evidence, &h.example.evidence, &h.server.url);
    let log = Locker::open(dir.path().join("second"))
        .unwrap()
        .requests()
        .unwrap();
    let locker = Locker::open(dir.path().join("second")).unwrap();
    let web_search_reused = log.iter().filter(|r| r.method == "POST").any(|r| {
        let body = locker
            .raw_json(r.request_sha256.as_deref().unwrap())
            .unwrap();
        r.reused.is_some()
            && body["variables"]["q"]
                .as_str()
                .is_some_and(|q| q.starts_with("repo:acme/web "))
    });
    assert!(!web_search_reused);
    assert!(log.iter().any(|r| r.reused.is_some()));
    // A replay of the warm locker reproduces its evidence.
    let replayed = changeproof::pipeline::replay(&locker).unwrap();
    assert_eq!(replayed, second.evidence);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deployed_change_with_an_overflowing_connection_gets_its_follow_up() {
    let mut h = harness(Vec::new()).await;
    // One pull request the `DeployedCommit` lookup returns now holds one review more than
    // its page: GitHub would say so by `totalCount` and a cursor.
    let mut org = Org::from_locker(&h.example.locker);
    let mut target = None;
    for (op, vars, body) in org.graphql_mut().iter_mut() {
        if op != "DeployedCommit" || target.is_some() {
            continue;
        }
        let mut value: serde_json::Value = serde_json::from_slice(body).unwrap();
        let Some(node) = value
            .pointer_mut("/data/repository/object/associatedPullRequests/nodes/0")
            .filter(|n| {
                n["reviews"]["nodes"]
                    .as_array()
                    .is_some_and(|r| !r.is_empty())
            })
        else {
            continue;
        };
        let held = node["reviews"]["nodes"].as_array().unwrap().len();
        node["reviews"]["totalCount"] = serde_json::Value::from(held + 1);
        node["reviews"]["pageInfo"] =
            serde_json::json!({"hasNextPage": true, "endCursor": "Y3Vyc29yOjk5"});
        let mut extra = node["reviews"]["nodes"][0].clone();
        extra["databaseId"] = serde_json::Value::from(555_000_111u64);
        extra["state"] = serde_json::Value::String("COMMENTED".into());
        target = Some((
            vars["owner"].as_str().unwrap().to_string(),
            vars["name"].as_str().unwrap().to_string(),
            node["number"].as_u64().unwrap(),
            held + 1,
            extra,
        ));
        *body = serde_json::to_vec(&value).unwrap();
    }
    let (owner, name, number, total, extra) =
        target.expect("a deployed commit's pull request with reviews");
    let follow_up = serde_json::json!({"data": {
    "rateLimit": {"cost": 1, "remaining": 4000, "resetAt": "2026-10-05T10:00:00Z"},
    "repository": {"pullRequest": {"number": number, "reviews": {
        "totalCount": total,
        "pageInfo": {"hasNextPage": false, "endCursor": "Y3Vyc29yOjEwMA=="},
        "nodes": [extra],
    }}}}});
    org.graphql_mut().push((
        "PullRequestReviews".into(),
        serde_json::json!({"owner": owner, "name": name, "number": number, "cursor": "Y3Vyc29yOjk5"}),
        serde_json::to_vec(&follow_up).unwrap(),
    ));
    h.server = FakeGithub::start(org, test_options(&h.time, Vec::new())).await;
    let dir = tempfile::tempdir().unwrap();
    let collection = h.collect(&dir.path().join("locker"), None).await;
    assert!(collection.meta.complete, "{:?}", collection.meta.missing);
    let change = collection
        .evidence
        .changes
        .iter()
        .find(|c| c.repo == format!("{owner}/{name}") && c.number == number)
        .unwrap();
    assert!(
        change.reviews.iter().any(|r| r.id == "555000111"),
        "{:?}",
        change.reviews
    );
    assert!(change.incomplete.is_empty(), "{:?}", change.incomplete);
    assert!(
        h.server
            .served()
            .iter()
            .any(|s| s.operation.as_deref() == Some("PullRequestReviews"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_organisation_rulesets_history_is_collected_and_judged() {
    let mut h = harness(Vec::new()).await;
    // acme's organisation ruleset 73 requires a pull request on acme/web's main; it was
    // created before the window and weakened (no longer active) inside it.
    let mut org = Org::from_locker(&h.example.locker);
    org.extend_list(
        "/repos/acme/web/rules/branches/main",
        "",
        vec![serde_json::json!({
            "type": "pull_request",
            "ruleset_source_type": "Organization",
            "ruleset_source": "acme",
            "ruleset_id": 73,
            "parameters": {"required_approving_review_count": 1, "dismiss_stale_reviews_on_push": true,
                "require_code_owner_review": false, "require_last_push_approval": false,
                "required_review_thread_resolution": false}
        })],
    );
    let version = |id: u64, at: &str, enforcement: &str| {
        serde_json::json!({
            "actor": {"id": 1, "type": "User"},
            "updated_at": at,
            "version_id": id,
            "state": {
                "id": 73, "name": "org baseline", "target": "branch", "source_type": "Organization",
                "source": "acme", "enforcement": enforcement, "bypass_actors": [],
                "conditions": {"ref_name": {"include": ["~DEFAULT_BRANCH"], "exclude": []},
                               "repository_name": {"include": ["~ALL"], "exclude": []}},
                "rules": [{"type": "pull_request", "parameters": {"required_approving_review_count": 1,
                    "dismiss_stale_reviews_on_push": true, "require_code_owner_review": false,
                    "require_last_push_approval": false, "required_review_thread_resolution": false}}]
            }
        })
    };
    let v1 = version(1, "2026-05-02T10:00:00Z", "active");
    let v2 = version(2, "2026-08-12T14:00:00Z", "evaluate");
    let listed = |v: &serde_json::Value| serde_json::json!({"actor": v["actor"], "updated_at": v["updated_at"], "version_id": v["version_id"]});
    org.extend_list(
        "/orgs/acme/rulesets/73/history",
        "",
        vec![listed(&v2), listed(&v1)],
    );
    org.set_object("/orgs/acme/rulesets/73/history/1", &v1);
    org.set_object("/orgs/acme/rulesets/73/history/2", &v2);
    h.server = FakeGithub::start(org, test_options(&h.time, Vec::new())).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("locker");
    let collection = h.collect(&out, None).await;
    assert!(collection.meta.complete, "{:?}", collection.meta.missing);
    let versions: Vec<_> = collection
        .evidence
        .ruleset_versions
        .iter()
        .filter(|v| v.ruleset_id == 73)
        .collect();
    assert_eq!(versions.len(), 2, "{versions:?}");
    assert!(versions.iter().all(|v| v.repo == "acme"));
    // Asked once, though several branches may name it.
    let asked = h
        .server
        .served()
        .iter()
        .filter(|s| s.target.starts_with("/orgs/acme/rulesets/73/history?"))
        .count();
    assert_eq!(asked, 1);
    // CM-10 sees the ruleset's weakening inside the window.
    for file in ["hr_roster.csv", "waivers.toml"] {
        std::fs::copy(Path::new("examples").join(file), out.join(file)).unwrap();
    }
    let evaluated = changeproof::pipeline::evaluate_locker(&out, None).unwrap();
    let weakened = evaluated
        .evaluation
        .findings
        .exceptions
        .iter()
        .find(|e| e.control == "CM-10" && e.repo == "acme/web" && e.subject == "main")
        .map(|e| (e.kind.clone(), e.detail.as_json().to_string()));
    // (acme/web's main was weakened in the window already; the ruleset's change joins it.)
    let (kind, detail) = weakened.expect("a CM-10 exception on acme/web main");
    assert_eq!(kind, "protection_weakened_in_window", "{detail}");
    assert!(detail.contains("ruleset 73 version 2"), "{detail}");
    assert!(
        detail.contains("ruleset enforcement set to evaluate") || detail.contains("evaluate"),
        "{detail}"
    );
}
