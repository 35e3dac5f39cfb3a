//! The GitLab collector against the fake GitLab serving the example group: the collected
//! and normalized evidence equals the example's, with GitLab's pagination, with 429s and
//! 5xx, across an interruption; a refused Premium call is a gap, never a crash or a
//! pass; the token never lands in the locker.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use changeproof::collect::http::HttpSettings;
use changeproof::collect::progress::Silent;
use changeproof::collect::time::{Clock, VirtualTime};
use changeproof::collect::{CollectOptions, collect};
use changeproof::config::Config;
use changeproof::example::gitlab::{GITLAB_EXAMPLE_CONFIG, write_gitlab_example};
use changeproof::locker::Locker;
use changeproof::model::Evidence;
use changeproof::normalize::normalize;

use crate::collect::first_difference;
use crate::fake_gitlab::{FakeGitlab, Fault, Group, Options, Rule};

pub const GITLAB_TOKEN: &str = "glpat-CHANGEPROOFtestTOKEN0123456789xyz";

struct Harness {
    _dir: tempfile::TempDir,
    example: Evidence,
    server: FakeGitlab,
    time: Arc<VirtualTime>,
}

async fn harness(rules: Vec<Rule>, refuse: Option<(&str, u16)>) -> Harness {
    harness_paged(rules, refuse, 100, crate::fake_gitlab::COUNT_CAP).await
}

async fn harness_paged(
    rules: Vec<Rule>,
    refuse: Option<(&str, u16)>,
    max_per_page: usize,
    count_cap: usize,
) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("example");
    write_gitlab_example(&path, 2026).unwrap();
    let locker = Locker::open(&path).unwrap();
    let mut group = Group::from_locker(&locker);
    if let Some((path, status)) = refuse {
        group.refuse(path, status, "403 Forbidden");
    }
    // The example as the server serves it (a refusal changes what is expected).
    let example = normalize(&locker).unwrap();
    let time = Arc::new(VirtualTime::new("2026-10-05T09:00:00Z".parse().unwrap()));
    let clock = Arc::clone(&time);
    let server = FakeGitlab::start(
        group,
        Options {
            token: GITLAB_TOKEN.into(),
            now: Arc::new(move || clock.now().timestamp()),
            rules,
            max_per_page,
            count_cap,
            overstate: None,
        },
    )
    .await;
    Harness {
        _dir: dir,
        example,
        server,
        time,
    }
}

fn options(time: &Arc<VirtualTime>) -> CollectOptions {
    CollectOptions {
        settings: HttpSettings {
            request_timeout: Duration::from_secs(20),
            ..HttpSettings::default()
        },
        etag_cache: None,
        clock: Arc::clone(time) as Arc<dyn Clock>,
        sleeper: Arc::clone(time) as Arc<dyn changeproof::collect::time::Sleeper>,
        progress: Arc::new(Silent),
        env: Arc::new(|name| (name == "GITLAB_TOKEN").then(|| GITLAB_TOKEN.to_string())),
    }
}

fn config(api_url: &str) -> Config {
    let text = GITLAB_EXAMPLE_CONFIG.replace("https://gitlab.example.com/api/v4", api_url);
    assert_ne!(text, GITLAB_EXAMPLE_CONFIG);
    Config::parse(&text, Path::new("gitlab.toml"), PathBuf::from(".")).unwrap()
}

fn assert_same(collected: &Evidence, expected: &Evidence) {
    let a = serde_json::to_value(collected).unwrap();
    let b = serde_json::to_value(expected).unwrap();
    if let Some(d) = first_difference(&a, &b, "") {
        panic!("collected evidence differs from the example's at {d}");
    }
}

/// Every file of a locker, as text where it is text.
fn locker_text(dir: &Path) -> String {
    let mut out = String::new();
    for entry in walk(dir) {
        out.push_str(&String::from_utf8_lossy(&std::fs::read(&entry).unwrap()));
    }
    out
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_collected_group_equals_the_example() {
    let h = harness(Vec::new(), None).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("locker");
    let collection = collect(&config(&h.server.api_url), &out, options(&h.time))
        .await
        .unwrap();
    assert!(collection.meta.complete, "{:?}", collection.meta.missing);
    assert_eq!(collection.meta.sources[0].kind, "gitlab");
    assert_same(&collection.evidence, &h.example);
    // Every request carried the bearer token and GitLab's Accept; none went to a
    // GitHub path.
    let served = h.server.served();
    assert!(
        served.iter().all(|s| s.status == 200),
        "{:?}",
        served.iter().find(|s| s.status != 200)
    );
    assert!(served.iter().all(|s| s.target.starts_with("/api/v4/")));
    let bearer = format!("Bearer {GITLAB_TOKEN}");
    assert!(
        served
            .iter()
            .all(|s| s.authorization.as_deref() == Some(bearer.as_str()))
    );
    // The token is nowhere in the locker.
    assert!(!locker_text(&out).contains(GITLAB_TOKEN));
    assert!(!locker_text(&out).contains("glpat-"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_and_server_errors_change_nothing() {
    let rules = vec![
        Rule::new(
            "/merge_requests?state=merged",
            Fault::TooManyRequests { retry_after: 30 },
            0,
            2,
        ),
        Rule::new("/approvals", Fault::Status(502), 1, 3),
        Rule::new("/members/all", Fault::Status(500), 0, 1),
        Rule::new(
            "/audit_events",
            Fault::TooManyRequests { retry_after: 5 },
            0,
            1,
        ),
    ];
    let h = harness(rules, None).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("locker");
    let collection = collect(&config(&h.server.api_url), &out, options(&h.time))
        .await
        .unwrap();
    assert!(collection.meta.complete, "{:?}", collection.meta.missing);
    assert_same(&collection.evidence, &h.example);
    let statuses: BTreeSet<u16> = h.server.served().iter().map(|s| s.status).collect();
    assert!(statuses.contains(&429) && statuses.contains(&502) && statuses.contains(&500));
    let stats = &collection.stats[0].1;
    assert!(stats.waits >= 3, "{stats:?}");
    assert!(stats.retries >= 4, "{stats:?}");
}

/// Evidence without what depends on how responses were paged (references to response
/// bodies, page counts).
fn paging_free(evidence: &Evidence) -> serde_json::Value {
    fn strip(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(map) => {
                for key in ["evidence", "responses", "pages"] {
                    map.remove(key);
                }
                map.values_mut().for_each(strip);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut v = serde_json::to_value(evidence).unwrap();
    strip(&mut v);
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn small_pages_follow_gitlabs_links_and_count_against_x_total() {
    // A server that gives at most 7 records a page, whatever `per_page` asks: every
    // record still arrives through `Link`, and `X-Total` confirms each list's count.
    let h = harness_paged(Vec::new(), None, 7, crate::fake_gitlab::COUNT_CAP).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("locker");
    let collection = collect(&config(&h.server.api_url), &out, options(&h.time))
        .await
        .unwrap();
    assert!(collection.meta.complete, "{:?}", collection.meta.missing);
    let a = paging_free(&collection.evidence);
    let b = paging_free(&h.example);
    if let Some(d) = first_difference(&a, &b, "") {
        panic!("paged collection differs at {d}");
    }
    let locker = Locker::open(&out).unwrap();
    let pages = locker
        .requests()
        .unwrap()
        .into_iter()
        .filter(|r| r.url.contains("/merge_requests?state=merged"))
        .count();
    assert!(pages >= 6, "{pages} pages of merged MRs");
    let queries: Vec<_> = collection
        .evidence
        .queries
        .iter()
        .filter(|q| q.source == "gitlab-globex" && q.evidence_type == "pull_requests")
        .collect();
    assert_eq!(queries.len(), 3);
    assert!(
        queries
            .iter()
            .all(|q| q.total_count == Some(q.records) && q.pages > 1),
        "{queries:?}"
    );
    // The audit events are keyset-paginated: a cursor, no count.
    let audit = h
        .server
        .served()
        .into_iter()
        .filter(|s| s.target.contains("/groups/globex/audit_events"))
        .count();
    assert_eq!(audit, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_premium_call_is_a_gap_and_its_control_is_not_tested() {
    let h = harness(
        Vec::new(),
        Some(("/projects/globex%2Fstorefront/approval_rules", 403)),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("locker");
    let cfg = config(&h.server.api_url);
    let collection = collect(&cfg, &out, options(&h.time)).await.unwrap();
    // A refusal is evidence of what the token cannot see, not a missing answer.
    assert!(collection.meta.complete, "{:?}", collection.meta.missing);
    let gap = collection
        .evidence
        .gaps
        .iter()
        .find(|g| g.evidence_type == "branch_protection")
        .expect("a branch_protection gap");
    assert_eq!(gap.repo.as_deref(), Some("globex/storefront"));
    assert_eq!(gap.status, Some(403));
    assert!(
        !collection
            .evidence
            .branch_protections
            .iter()
            .any(|p| p.repo == "globex/storefront"),
        "protection with unknown approval rules must not be recorded as weak"
    );
    std::fs::write(
        out.join("gitlab_roster.csv"),
        changeproof::example::gitlab::GITLAB_ROSTER,
    )
    .unwrap();
    let evaluated = changeproof::pipeline::evaluate_locker(&out, None).unwrap();
    let cm10 = evaluated
        .evaluation
        .findings
        .controls
        .iter()
        .find(|c| c.id == "CM-10")
        .unwrap();
    assert!(
        cm10.reason.as_deref().unwrap_or("").contains("HTTP 403"),
        "{cm10:?}"
    );
    assert!(
        !evaluated
            .evaluation
            .findings
            .exceptions
            .iter()
            .any(|e| e.control == "CM-10" && e.repo == "globex/storefront")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_github_app_is_refused_for_a_gitlab_source() {
    let text = GITLAB_EXAMPLE_CONFIG.replace(
        "token_env = \"GITLAB_TOKEN\"",
        "app = { id = 1, installation_id = 2, private_key_file = \"key.pem\" }",
    );
    let cfg = Config::parse(&text, Path::new("gitlab.toml"), PathBuf::from(".")).unwrap();
    let time = Arc::new(VirtualTime::new("2026-10-05T09:00:00Z".parse().unwrap()));
    let dir = tempfile::tempdir().unwrap();
    let err = collect(&cfg, &dir.path().join("l"), options(&time))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("a GitLab source takes `token_env`"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_collection_resumes_without_refetching_or_duplicating() {
    use crate::collect::{successful_keys, whole_records};
    let h = harness(Vec::new(), None).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("locker");
    let cfg = config(&h.server.api_url);
    tokio::select! {
        result = collect(&cfg, &out, options(&h.time)) => {
            panic!("the collection should have been interrupted: {:?}", result.map(|c| c.meta));
        }
        _ = async {
            while h.server.served().len() < 120 {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        } => {}
    }
    // Let recordings already under way finish.
    let mut written = whole_records(&out).len();
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let now = whole_records(&out).len();
        if now == written {
            break;
        }
        written = now;
    }
    let interrupted = Locker::open(&out).unwrap();
    assert!(!interrupted.meta().unwrap().complete);
    let done_before: BTreeSet<_> = successful_keys(&interrupted).into_keys().collect();
    assert!(done_before.len() >= 60, "{}", done_before.len());
    let served_before = h.server.served().len();

    let collection = collect(&cfg, &out, options(&h.time)).await.unwrap();
    assert!(collection.resumed);
    assert!(collection.meta.complete, "{:?}", collection.meta.missing);
    assert_same(&collection.evidence, &h.example);
    let locker = Locker::open(&out).unwrap();
    let duplicated: Vec<_> = successful_keys(&locker)
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .collect();
    assert!(duplicated.is_empty(), "{duplicated:?}");
    let refetched: Vec<String> = h.server.served()[served_before..]
        .iter()
        .filter(|s| {
            done_before
                .iter()
                .any(|(_, url, _)| url.ends_with(&s.target))
        })
        .map(|s| s.target.clone())
        .collect();
    assert!(refetched.is_empty(), "{refetched:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uncounted_lists_are_followed_to_the_end_without_a_claimed_total() {
    // GitLab omits `X-Total` above 10,000 records; here above 5, with pages of 4.
    let h = harness_paged(Vec::new(), None, 4, 5).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("locker");
    let collection = collect(&config(&h.server.api_url), &out, options(&h.time))
        .await
        .unwrap();
    assert!(collection.meta.complete, "{:?}", collection.meta.missing);
    if let Some(d) = first_difference(
        &paging_free(&collection.evidence),
        &paging_free_uncounted(&h.example),
        "",
    ) {
        panic!("uncounted collection differs at {d}");
    }
    let mrs: Vec<_> = collection
        .evidence
        .queries
        .iter()
        .filter(|q| q.source == "gitlab-globex" && q.evidence_type == "pull_requests")
        .collect();
    assert!(
        mrs.iter().all(|q| q.total_count.is_none() && q.records > 5),
        "{mrs:?}"
    );
}

/// The example's evidence as an uncounting server would give it: no list longer than
/// 5 records states a total.
fn paging_free_uncounted(evidence: &Evidence) -> serde_json::Value {
    let mut e = evidence.clone();
    for q in &mut e.queries {
        if q.records > 5 {
            q.total_count = None;
        }
    }
    paging_free(&e)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_list_shorter_than_its_x_total_makes_the_collection_incomplete() {
    let mut h = harness(Vec::new(), None).await;
    drop(std::mem::replace(
        &mut h.server,
        FakeGitlab::start(
            Group::from_locker(&Locker::open(h._dir.path().join("example")).unwrap()),
            Options {
                token: GITLAB_TOKEN.into(),
                now: {
                    let clock = Arc::clone(&h.time);
                    Arc::new(move || clock.now().timestamp())
                },
                rules: Vec::new(),
                max_per_page: 100,
                count_cap: crate::fake_gitlab::COUNT_CAP,
                overstate: Some("/projects/globex%2Fbilling/deploy_keys".into()),
            },
        )
        .await,
    ));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("locker");
    let collection = collect(&config(&h.server.api_url), &out, options(&h.time))
        .await
        .unwrap();
    assert!(!collection.meta.complete);
    assert_eq!(
        collection.meta.missing.len(),
        1,
        "{:?}",
        collection.meta.missing
    );
    let missing = &collection.meta.missing[0];
    assert!(
        missing.contains("globex/billing deploy keys")
            && missing.contains("GitLab counts 1 records (X-Total) but 0 were listed"),
        "{missing}"
    );
    // The locker says so: evaluation marks every output INCOMPLETE and the CLI exits 3.
    assert!(!Locker::open(&out).unwrap().meta().unwrap().complete);
}
