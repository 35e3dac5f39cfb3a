//! Progress of a collection: bars on a terminal (repositories, requests, rate-limit
//! waits), plain log lines otherwise, nothing in tests.

use std::sync::Mutex;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::model::Timestamp;

/// What the collector reports as it goes. Implementations must be cheap: they are
/// called from every request.
pub trait Progress: Send + Sync {
    /// The repositories in scope are known.
    fn repositories(&self, _total: u64) {}
    /// One repository's evidence is collected.
    fn repository_done(&self, _name: &str) {}
    /// A request got its final answer (from the network, a 304 or the journal).
    fn request_done(&self) {}
    /// Requests are held back until `until` by a rate limit.
    fn rate_limit_wait(&self, _until: Timestamp, _reason: &str) {}
    /// A request is retried after a transient failure.
    fn retrying(&self, _call: &str, _reason: &str) {}
    /// The collection is over.
    fn finish(&self) {}
}

/// Reports nothing.
#[derive(Debug, Default)]
pub struct Silent;

impl Progress for Silent {}

/// Plain `tracing` lines (for logs and CI): one per repository, per rate-limit wait and
/// per retry.
#[derive(Debug, Default)]
pub struct LogLines {
    state: Mutex<LogState>,
}

#[derive(Debug, Default)]
struct LogState {
    total: u64,
    done: u64,
    last_wait: Option<Timestamp>,
}

impl Progress for LogLines {
    fn repositories(&self, total: u64) {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).total = total;
        tracing::info!(target: "changeproof::progress", "{total} repositories in scope");
    }

    fn repository_done(&self, name: &str) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.done += 1;
        tracing::info!(target: "changeproof::progress", "[{}/{}] {name} collected", state.done, state.total);
    }

    fn rate_limit_wait(&self, until: Timestamp, reason: &str) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.last_wait != Some(until) {
            state.last_wait = Some(until);
            tracing::info!(target: "changeproof::progress", "waiting until {} for the rate limit: {reason}", until.format("%H:%M:%S UTC"));
        }
    }

    fn retrying(&self, call: &str, reason: &str) {
        tracing::info!(target: "changeproof::progress", "retrying {call}: {reason}");
    }
}

/// Progress bars on a terminal (stderr).
pub struct Bars {
    _multi: MultiProgress,
    repos: ProgressBar,
    requests: ProgressBar,
    waits: ProgressBar,
    last_wait: Mutex<Option<Timestamp>>,
}

impl Bars {
    pub fn new() -> Bars {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let repos = multi.add(ProgressBar::new(0));
        repos.set_style(
            ProgressStyle::with_template("repositories {bar:30} {pos}/{len} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        let requests = multi.add(ProgressBar::new_spinner());
        requests.set_style(
            ProgressStyle::with_template("{spinner} {pos} requests ({per_sec}) {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        requests.enable_steady_tick(Duration::from_millis(200));
        let waits = multi.add(ProgressBar::new_spinner());
        waits.set_style(
            ProgressStyle::with_template("{msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        Bars {
            _multi: multi,
            repos,
            requests,
            waits,
            last_wait: Mutex::new(None),
        }
    }
}

impl Default for Bars {
    fn default() -> Self {
        Bars::new()
    }
}

impl Progress for Bars {
    fn repositories(&self, total: u64) {
        self.repos.set_length(total);
    }

    fn repository_done(&self, name: &str) {
        self.repos.inc(1);
        self.repos.set_message(name.to_string());
    }

    fn request_done(&self) {
        self.requests.inc(1);
    }

    fn rate_limit_wait(&self, until: Timestamp, reason: &str) {
        let mut last = self.last_wait.lock().unwrap_or_else(|e| e.into_inner());
        if *last != Some(until) {
            *last = Some(until);
            self.waits.set_message(format!(
                "rate limit: waiting until {} ({reason})",
                until.format("%H:%M:%S UTC")
            ));
        }
    }

    fn retrying(&self, _call: &str, reason: &str) {
        self.requests.set_message(format!("last retry: {reason}"));
    }

    fn finish(&self) {
        self.repos.finish();
        self.requests.finish();
        self.waits.finish_and_clear();
    }
}
