//! Collection: GitHub's and GitLab's APIs → a locker of raw responses (SPEC §8).
//!
//! ```text
//! collect(config, out)
//!   ├─ prepare the locker: new (snapshot time = now, config.toml, locker.json marked
//!   │  in progress) or resume an unfinished one (same config; its request log is the
//!   │  journal that answers finished requests without the network)
//!   ├─ per GitHub source: github::Plan over an http::Executor (GitLab: gitlab::Plan)
//!   │    (auth, rate limits, retries, ETag revalidation, journal, request log)
//!   ├─ locker.json: complete, or the exact list of what is missing
//!   └─ normalize → evidence.json
//! ```
//!
//! A permission refusal (403/404 on one evidence type, other than GitHub's 404 "Branch
//! not protected", which is evidence) does not make a collection incomplete: the
//! refusal is recorded and normalization turns it into a gap, so the controls that need
//! that evidence are `not_tested` with the reason. Incomplete means a call that should
//! have been answered was not (retries or waits ran out), or an API total exceeds what
//! was collected.

pub mod app;
pub mod auth;
pub mod file_source;
pub mod github;
pub mod gitlab;
pub mod http;
pub mod journal;
pub mod pagination;
pub mod progress;
pub mod ratelimit;
pub mod time;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::config::{Config, Source, SourceKind};
use crate::locker::{
    CONFIG_FILE, LOCKER_SCHEMA, Locker, LockerError, LockerMeta, LockerWriter, META_FILE,
    SourceMeta,
};
use crate::model::Evidence;
use crate::normalize::NormalizeError;

use auth::{AuthError, StaticToken, TokenSource, token_from_env};
use http::{Api, CallError, Executor, ExecutorParts, HttpSettings, StatsSnapshot};
use journal::{EtagCache, Journal};
use progress::Progress;
use time::{Clock, Sleeper, SystemClock, TokioSleeper};

/// The `missing` entry of a collection that has not finished (still running, or
/// interrupted): replaced by the real list when it ends.
pub const IN_PROGRESS: &str = "the collection has not finished (it is running or was interrupted); run `changeproof collect` again with the same --config and --out to resume it";

/// Records made durable together (see `LockerWriter::group_commit`).
pub const GROUP_COMMIT_RECORDS: usize = 64;

/// Looks up an environment variable (injected so tests never touch the process env).
pub type EnvLookup = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// How to collect, besides the config.
pub struct CollectOptions {
    pub settings: HttpSettings,
    /// A previous locker whose responses' ETags are revalidated instead of refetched.
    pub etag_cache: Option<PathBuf>,
    pub clock: Arc<dyn Clock>,
    pub sleeper: Arc<dyn Sleeper>,
    pub progress: Arc<dyn Progress>,
    pub env: EnvLookup,
}

impl CollectOptions {
    /// Real clock, real waiting, the process environment.
    pub fn new(progress: Arc<dyn Progress>) -> CollectOptions {
        CollectOptions {
            settings: HttpSettings::default(),
            etag_cache: None,
            clock: Arc::new(SystemClock),
            sleeper: Arc::new(TokioSleeper),
            progress,
            env: Arc::new(|name| std::env::var(name).ok()),
        }
    }
}

/// A finished collection (complete or not: see `meta.complete` and `meta.missing`).
#[derive(Debug)]
pub struct Collection {
    pub locker: Locker,
    pub meta: LockerMeta,
    pub evidence: Evidence,
    /// Per source: requests, 304s, journal answers, retries, waits, rate-limit use.
    pub stats: Vec<(String, StatsSnapshot)>,
    /// Informational notes (e.g. PRs whose nested connections overflowed).
    pub notes: Vec<String>,
    /// Per probe that allowed reuse: which evidence was reused from which collection
    /// (docs/github.md, "Warm re-runs"), in words.
    pub reused: Vec<String>,
    /// Whether an unfinished collection in the same locker was resumed.
    pub resumed: bool,
    /// Wall time of this run.
    pub elapsed: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Locker(#[from] LockerError),
    #[error("{0}")]
    Call(#[from] CallError),
    #[error("the collected responses could not be normalized: {0}")]
    Normalize(#[from] NormalizeError),
    #[error("[[source]] `{name}`: {message}")]
    Source { name: String, message: String },
    #[error(
        "the config has no [[source]] of kind \"github\", \"gitlab\" or \"file\"; nothing to collect"
    )]
    NoSource,
    #[error(
        "{path}: holds a finished, complete collection; collect into a new --out (pass --etag-cache {path} to reuse its responses)"
    )]
    AlreadyComplete { path: PathBuf },
    #[error(
        "{path}: the unfinished collection there ran with a different config (see its config.toml); resume with the same config or collect into a new --out"
    )]
    ConfigChanged { path: PathBuf },
    #[error("{path}: exists and is not a locker; choose an empty or new directory for --out")]
    NotALocker { path: PathBuf },
}

/// Collects every GitHub source of `config` into the locker `out`, resuming it if it
/// holds an unfinished collection with the same config.
pub async fn collect(
    config: &Config,
    out: &Path,
    options: CollectOptions,
) -> Result<Collection, CollectError> {
    let started = Instant::now();
    let sources = api_sources(config)?;
    let mut tokens: Vec<Arc<dyn TokenSource>> = Vec::new();
    for source in &sources {
        http::check_api_url(&source.api_url()).map_err(|message| CollectError::Source {
            name: source.name.clone(),
            message: format!("api_url {}: {message}", source.api_url()),
        })?;
        let token = token_source(config, source, &options.env, Arc::clone(&options.clock))?;
        // A credential that cannot work fails here, before anything is written.
        token.token().await?;
        tokens.push(token);
    }
    let mut prepared = prepare(config, out, &sources, options.clock.as_ref())?;
    // Two fsyncs per request would bound a collection to a few hundred requests a
    // second; the journal makes a record lost to a power cut merely re-fetched.
    prepared.writer.group_commit(GROUP_COMMIT_RECORDS);
    let writer = Arc::new(Mutex::new(prepared.writer));
    let mut missing = Vec::new();
    let mut notes = Vec::new();
    let mut stats = Vec::new();
    for (source, tokens) in sources.iter().zip(tokens) {
        let journal = Journal::from_records(out, &source.name, &prepared.records)?;
        if !journal.is_empty() {
            tracing::info!(source = %source.name, requests = journal.len(), "resuming: answers already in the locker are reused");
        }
        let etags = match &options.etag_cache {
            Some(dir) => EtagCache::from_locker(dir, &source.name)?,
            None => EtagCache::empty(),
        };
        let api = match source.kind {
            SourceKind::Gitlab => Api::Gitlab,
            _ => Api::Github,
        };
        let exec = Arc::new(Executor::new(ExecutorParts {
            source: source.name.clone(),
            api,
            api_url: source.api_url(),
            settings: options.settings.clone(),
            tokens,
            writer: Arc::clone(&writer),
            journal,
            etags,
            clock: Arc::clone(&options.clock),
            sleeper: Arc::clone(&options.sleeper),
            progress: Arc::clone(&options.progress),
        })?);
        let (source_missing, source_notes) = if api == Api::Gitlab {
            let plan = Arc::new(gitlab::Plan::new(
                Arc::clone(&exec),
                source.clone(),
                config.scope.clone(),
                config.audit.window.window(),
                options.settings.max_in_flight,
            ));
            plan.run().await?
        } else {
            let plan = Arc::new(github::Plan::new(
                Arc::clone(&exec),
                source.clone(),
                config.scope.clone(),
                config.audit.window.window(),
                options.settings.max_in_flight,
            ));
            plan.run().await?
        };
        missing.extend(source_missing);
        notes.extend(source_notes);
        stats.push((source.name.clone(), exec.stats.snapshot()));
    }
    options.progress.finish();
    let mut writer = match Arc::try_unwrap(writer) {
        Ok(m) => m.into_inner().unwrap_or_else(|e| e.into_inner()),
        Err(_) => {
            return Err(CollectError::Call(CallError::Refused {
                call: "collect".into(),
                message: "a collection task outlived the collection".into(),
            }));
        }
    };
    for source in file_sources(config) {
        let imported = file_source::import(
            config,
            &source,
            &mut writer,
            options.clock.as_ref(),
            &prepared.records,
        )?;
        if let Some(n) = imported {
            tracing::info!(source = %source.name, deployments = n, "file imported");
        }
    }
    let meta = LockerMeta {
        complete: missing.is_empty(),
        missing,
        ..prepared.meta
    };
    // Every record durable before locker.json says the collection is over.
    writer.sync()?;
    writer.write_meta(&meta)?;
    let locker = writer.finish()?;
    let reused = reused_summary(&locker.requests()?);
    let evidence = crate::normalize::normalize(&locker)?;
    locker.write_evidence(&evidence)?;
    Ok(Collection {
        locker,
        meta,
        evidence,
        stats,
        notes,
        reused,
        resumed: prepared.resumed,
        elapsed: started.elapsed(),
    })
}

/// One line per probe whose `304` let answers be reused: how many, from which earlier
/// collection, as of when.
fn reused_summary(records: &[crate::locker::RequestRecord]) -> Vec<String> {
    use std::collections::BTreeMap;
    let mut by_probe: BTreeMap<&str, (usize, String, String)> = BTreeMap::new();
    for r in records {
        let Some(origin) = &r.reused else { continue };
        let entry = by_probe.entry(origin.probe.as_str()).or_insert((
            0,
            origin
                .collection
                .format("%Y-%m-%d %H:%M:%S UTC")
                .to_string(),
            origin
                .requested_at
                .format("%Y-%m-%d %H:%M:%S UTC")
                .to_string(),
        ));
        entry.0 += 1;
        let at = origin
            .requested_at
            .format("%Y-%m-%d %H:%M:%S UTC")
            .to_string();
        if at < entry.2 {
            entry.2 = at;
        }
    }
    by_probe
        .into_iter()
        .map(|(probe, (n, collection, since))| {
            format!(
                "{n} GraphQL answers reused from the collection of {collection} (asked from {since}; unchanged per {probe} → 304)"
            )
        })
        .collect()
}

/// [`collect`] on its own runtime (the CLI is synchronous). Two worker threads: the
/// work is waiting on the network, not computing.
pub fn collect_blocking(
    config: &Config,
    out: &Path,
    options: CollectOptions,
) -> Result<Collection, CollectError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|source| LockerError::Io {
            path: out.to_path_buf(),
            source,
        })?;
    runtime.block_on(collect(config, out, options))
}

/// The API sources of the config (GitHub and GitLab); file sources are imported after
/// them (`file_source.rs`).
fn api_sources(config: &Config) -> Result<Vec<Source>, CollectError> {
    let sources: Vec<Source> = config
        .sources
        .iter()
        .filter(|s| matches!(s.kind, SourceKind::Github | SourceKind::Gitlab))
        .cloned()
        .collect();
    if sources.is_empty() && !config.sources.iter().any(|s| s.kind == SourceKind::File) {
        return Err(CollectError::NoSource);
    }
    Ok(sources)
}

fn file_sources(config: &Config) -> Vec<Source> {
    config
        .sources
        .iter()
        .filter(|s| s.kind == SourceKind::File)
        .cloned()
        .collect()
}

fn token_source(
    config: &Config,
    source: &Source,
    env: &EnvLookup,
    clock: Arc<dyn Clock>,
) -> Result<Arc<dyn TokenSource>, CollectError> {
    match (&source.token_env, &source.app) {
        (_, Some(_)) if source.kind == SourceKind::Gitlab => Err(CollectError::Source {
            name: source.name.clone(),
            message: "`app` (GitHub App authentication) is for GitHub sources; a GitLab source takes `token_env`, the variable holding a token with the read_api scope".into(),
        }),
        (Some(var), _) => {
            let secret = token_from_env(&source.name, var, env.as_ref())?;
            Ok(Arc::new(StaticToken::new(secret)))
        }
        (None, Some(app)) => Ok(Arc::new(app::AppToken::new(
            &source.name,
            app.id,
            app.installation_id,
            &config.resolve(&app.private_key_file),
            &source.api_url(),
            clock,
        )?)),
        (None, None) => Err(AuthError::NoCredential {
            source_name: source.name.clone(),
        }
        .into()),
    }
}

struct Prepared {
    writer: LockerWriter,
    records: Vec<crate::locker::RequestRecord>,
    meta: LockerMeta,
    resumed: bool,
}

/// Creates the locker, or reopens an unfinished one for resumption.
fn prepare(
    config: &Config,
    out: &Path,
    sources: &[Source],
    clock: &dyn Clock,
) -> Result<Prepared, CollectError> {
    let effective = config.to_effective_toml();
    if out.join(META_FILE).is_file() {
        let locker = Locker::open(out)?;
        let meta = locker.meta()?;
        if meta.complete {
            return Err(CollectError::AlreadyComplete {
                path: out.to_path_buf(),
            });
        }
        if locker.config_text()?.as_deref() != Some(effective.as_str()) {
            return Err(CollectError::ConfigChanged {
                path: out.join(CONFIG_FILE),
            });
        }
        let (writer, records) = LockerWriter::reopen(out)?;
        let meta = LockerMeta {
            complete: false,
            missing: vec![IN_PROGRESS.to_string()],
            tool_version: crate::TOOL_VERSION.to_string(),
            ..meta
        };
        writer.write_meta(&meta)?;
        return Ok(Prepared {
            writer,
            records,
            meta,
            resumed: true,
        });
    }
    if out.exists() {
        let empty = out.is_dir()
            && std::fs::read_dir(out)
                .map_err(|source| LockerError::Io {
                    path: out.to_path_buf(),
                    source,
                })?
                .next()
                .is_none();
        if !empty {
            return Err(CollectError::NotALocker {
                path: out.to_path_buf(),
            });
        }
    }
    let writer = LockerWriter::create(out)?;
    writer.write_config(&effective)?;
    let meta = LockerMeta {
        schema: LOCKER_SCHEMA.to_string(),
        tool_version: crate::TOOL_VERSION.to_string(),
        snapshot_time: clock.now(),
        window: config.audit.window.window(),
        sources: sources
            .iter()
            .chain(&file_sources(config))
            .map(|s| SourceMeta {
                name: s.name.clone(),
                kind: match s.kind {
                    SourceKind::File => "file".into(),
                    SourceKind::Gitlab => "gitlab".into(),
                    SourceKind::Github => "github".into(),
                },
                api_url: match s.kind {
                    SourceKind::File => file_source::url(s),
                    _ => s.api_url(),
                },
                org: s.org.clone().unwrap_or_default(),
            })
            .collect(),
        complete: false,
        missing: vec![IN_PROGRESS.to_string()],
    };
    writer.write_meta(&meta)?;
    Ok(Prepared {
        writer,
        records: Vec::new(),
        meta,
        resumed: false,
    })
}
