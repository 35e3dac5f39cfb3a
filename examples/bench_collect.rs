//! Benchmark of the GitHub collector against the fake GitHub server (loopback only):
//! a generated organisation of about 10,000 merged pull requests in 40 repositories,
//! 50 ms added to every response. Prints requests, GraphQL points and wall time of a
//! first collection and of a re-run with a warm ETag cache.
//!
//! ```text
//! cargo run --release --example bench_collect -- [CHANGES] [REPOSITORIES] [LATENCY_MS] [CONCURRENCY]
//! cargo run --release --example bench_collect            # 10000 40 50 6
//! ```
//!
//! The organisation is the example generator's, its in-scope repositories replicated
//! (`acme/api`, `acme/api-c2`, …) to reach the repository count.

#[path = "../tests/it/fake_github.rs"]
#[allow(dead_code)]
mod fake_github;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use changeproof::collect::progress::Silent;
use changeproof::collect::{CollectOptions, Collection, collect};
use changeproof::config::Config;
use changeproof::example::{EXAMPLE_CONFIG, ExampleParams, write_example};
use changeproof::locker::Locker;

use fake_github::{FakeGithub, Options, Org};

const TOKEN: &str = "bench-token";
/// In-scope repositories of the example organisation (`sandbox-*` is excluded).
const EXAMPLE_REPOS_IN_SCOPE: usize = 5;

fn arg(n: usize, default: u64) -> u64 {
    std::env::args()
        .nth(n)
        .and_then(|a| a.parse().ok())
        .unwrap_or(default)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let changes = arg(1, 10_000) as usize;
    let repositories = arg(2, 40) as usize;
    let latency = Duration::from_millis(arg(3, 50));
    let concurrency = arg(4, 6) as usize;
    let copies = repositories.div_ceil(EXAMPLE_REPOS_IN_SCOPE).max(1);

    let dir = tempfile::tempdir().expect("temporary directory");
    let started = Instant::now();
    let example = dir.path().join("example");
    write_example(
        &example,
        ExampleParams {
            seed: 2026,
            changes: changes.div_ceil(copies),
        },
    )
    .expect("example organisation");
    let mut org = Org::from_locker(&Locker::open(&example).expect("example locker"));
    org.replicate(copies);
    println!(
        "organisation: {} repositories in scope (example ×{copies}), generated in {:.1} s",
        EXAMPLE_REPOS_IN_SCOPE * copies,
        started.elapsed().as_secs_f64()
    );

    let server = FakeGithub::start(
        org,
        Options {
            token: TOKEN.into(),
            app: None,
            now: Arc::new(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs() as i64)
            }),
            latency,
            rules: Vec::new(),
        },
    )
    .await;
    let text = EXAMPLE_CONFIG.replace(
        "api_url = \"https://api.github.com\"",
        &format!("api_url = \"{}\"", server.url),
    );
    let config =
        Config::parse(&text, Path::new("bench.toml"), dir.path().to_path_buf()).expect("config");
    let options = |etag_cache| {
        let mut o = CollectOptions::new(Arc::new(Silent));
        o.settings.max_in_flight = concurrency;
        o.etag_cache = etag_cache;
        o.env = Arc::new(|name| (name == "GITHUB_TOKEN").then(|| TOKEN.to_string()));
        o
    };

    let first_out = dir.path().join("first");
    let first = collect(&config, &first_out, options(None))
        .await
        .expect("first collection");
    let served = server.served();
    let (core_1, graphql_1) = server.budget();
    report("first run", &first, served.len(), core_1, graphql_1);
    let prs = first.evidence.changes.len() as f64;
    // The search pages and the per-PR follow-ups of overflowing connections.
    let pr_queries: Vec<_> = served
        .iter()
        .filter(|s| {
            s.operation
                .as_deref()
                .is_some_and(|op| op == "MergedPullRequests" || op.starts_with("PullRequest"))
        })
        .collect();
    let pr_points: u64 = pr_queries.iter().map(|s| s.cost).sum();
    // The pull-request probe (one REST request per repository) is pull-request evidence
    // too: it is what lets a re-run reuse the GraphQL answers.
    let probes = served
        .iter()
        .filter(|s| s.target.contains("/pulls?state=closed"))
        .count();
    println!(
        "  pull-request evidence: {} GraphQL requests + {probes} probes, {} points for {} PRs = {:.2} requests and {:.1} points per 100 PRs",
        pr_queries.len(),
        pr_points,
        prs,
        (pr_queries.len() + probes) as f64 * 100.0 / prs.max(1.0),
        pr_points as f64 * 100.0 / prs.max(1.0)
    );

    let t = Instant::now();
    changeproof::normalize::normalize(&first.locker).expect("normalize");
    println!(
        "  (of which normalizing the locker: {:.1} s)",
        t.elapsed().as_secs_f64()
    );

    let second = collect(
        &config,
        &dir.path().join("second"),
        options(Some(first_out)),
    )
    .await
    .expect("second collection");
    let (core_2, graphql_2) = server.budget();
    let (core_2, graphql_2) = (core_2 - core_1, graphql_2 - graphql_1);
    report(
        "re-run with the ETag cache",
        &second,
        server.served().len() - served.len(),
        core_2,
        graphql_2,
    );
    println!(
        "  rate-limit budget of the re-run: {:.1} % of the first run's (REST {:.1} %, GraphQL {:.1} %)",
        100.0 * (core_2 + graphql_2) as f64 / (core_1 + graphql_1).max(1) as f64,
        100.0 * core_2 as f64 / core_1.max(1) as f64,
        100.0 * graphql_2 as f64 / graphql_1.max(1) as f64,
    );
    let mut again = second.evidence.clone();
    again.snapshot_time = first.evidence.snapshot_time;
    // Coverage is counted back from each run's own snapshot time (a real clock here):
    // only those figures may differ.
    assert_eq!(again.coverage.len(), first.evidence.coverage.len());
    for (c, f) in again.coverage.iter_mut().zip(&first.evidence.coverage) {
        c.as_of = f.as_of;
        c.retention_from = f.retention_from;
    }
    let a = serde_json::to_value(&first.evidence).expect("evidence");
    let b = serde_json::to_value(&again).expect("evidence");
    if let (Some(a), Some(b)) = (a.as_object(), b.as_object()) {
        for (key, value) in a {
            if b.get(key) != Some(value) {
                let (x, y) = (value.as_array(), b.get(key).and_then(|v| v.as_array()));
                let first_diff = x.zip(y).and_then(|(x, y)| {
                    x.iter()
                        .zip(y)
                        .position(|(p, q)| p != q)
                        .map(|i| (i, x[i].to_string(), y[i].to_string()))
                });
                panic!("a re-run changed the evidence's `{key}`: {first_diff:?}");
            }
        }
    }
}

fn report(what: &str, c: &Collection, requests: usize, core: u64, graphql: u64) {
    let s = c.stats[0].1;
    println!(
        "{what}: {} changes, {} branch commits, {} deployments; complete: {}",
        c.evidence.changes.len(),
        c.evidence.branch_commits.len(),
        c.evidence.deployments.len(),
        c.meta.complete
    );
    if !c.meta.complete {
        for m in &c.meta.missing {
            println!("  missing: {m}");
        }
    }
    println!(
        "  {requests} requests ({} REST answered 304, {} GraphQL answers reused behind a probe), rate limit used: {core} REST + {graphql} GraphQL points; wall time {:.1} s",
        s.not_modified,
        s.reused,
        c.elapsed.as_secs_f64()
    );
}
