//! Command-line glue: argument parsing, output, exit codes (SPEC §9).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

use changeproof::catalog::Catalog;
use changeproof::catalog_text;
use changeproof::collect::http::HttpSettings;
use changeproof::collect::progress::{Bars, LogLines, Progress};
use changeproof::collect::{self, CollectOptions, Collection};
use changeproof::config::Config;
use changeproof::example::ExampleParams;
use changeproof::findings::Findings;
use changeproof::locker::Locker;
use changeproof::pipeline::{self, PipelineError};
use changeproof::signing::{self, KeyPassword};

/// Exit codes of SPEC §9.
mod exit {
    pub const OPEN_EXCEPTIONS: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const INCOMPLETE: u8 = 3;
    pub const VERIFY_FAILED: u8 = 4;
}

#[derive(Parser, Debug)]
#[command(
    name = "changeproof",
    version,
    about = "SOC 2 Type II evidence from pull requests, reviews, checks, deployments and access lists",
    long_about = "changeproof tests every change, deployment and access grant of an audit window \
                  against a catalog of CC6/CC7/CC8 controls and packages a reproducible evidence \
                  bundle for the auditor.\n\n\
                  Exit codes: 0 no open exception, 1 open exceptions, 2 usage or input error, \
                  3 collection incomplete, 4 verification failed.\n\n\
                  Logging: set RUST_LOG (e.g. RUST_LOG=changeproof=debug)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the whole pipeline on the built-in example organisation: no network, no token.
    ///
    /// Generates the example's raw GitHub responses into OUT/locker, re-derives the
    /// evidence from them, evaluates every control and writes the bundle to
    /// OUT/bundle/ and OUT/changeproof-bundle.zip. The previous quarter's access lists go
    /// to OUT/previous-locker (AC-05 lists the grant changes since). The example's ground
    /// truth (the exceptions it planted) goes to OUT/ground-truth.json. Exits 0 when the
    /// bundle was written: the example's exceptions are planted on purpose.
    Demo {
        /// Output directory.
        #[arg(long, default_value = "changeproof-demo")]
        out: PathBuf,
        /// Approximate number of merged pull requests in the example's window.
        #[arg(long, default_value_t = ExampleParams::default().changes)]
        changes: usize,
        /// Seed of the example generator.
        #[arg(long, default_value_t = ExampleParams::default().seed)]
        seed: u64,
    },
    /// Collect evidence from GitHub, GitLab and file exports into a locker (raw responses,
    /// request log, evidence).
    ///
    /// Reads the token from the environment variable the config's [[source]] names in
    /// `token_env`. Every API request is recorded in LOCKER/requests.ndjson with its raw
    /// response. An interrupted collection (even kill -9) resumes when run again with the
    /// same --config and --out, without asking the API again for what it already has.
    /// Exits 0 when the collection is complete, 3 when something could not be collected
    /// (LOCKER/locker.json lists exactly what), 2 on a usage, config or credential error.
    Collect {
        /// Config file (see examples/changeproof.toml).
        #[arg(long)]
        config: PathBuf,
        /// The locker directory to create (or to resume).
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        http: HttpArgs,
    },
    /// Collect, evaluate and bundle in one go: OUT/locker, OUT/bundle/,
    /// OUT/changeproof-bundle.zip.
    ///
    /// Exits 0 with no open exception, 1 with open exceptions, 3 when the collection was
    /// incomplete (the bundle is still written, marked INCOMPLETE), 2 on errors.
    Run {
        /// Config file (see examples/changeproof.toml).
        #[arg(long)]
        config: PathBuf,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
        /// AC-05: the previous snapshot (a locker, a bundle zip or folder, or a bundle's
        /// previous-access.json) to list access changes against; overrides the config's
        /// `[access].previous_snapshot`.
        #[arg(long, value_name = "PATH")]
        previous: Option<PathBuf>,
        #[command(flatten)]
        http: HttpArgs,
        #[command(flatten)]
        sampling: SeedArg,
    },
    /// Re-derive a locker's normalized evidence (evidence.json) from its raw responses.
    Replay {
        /// The locker directory.
        #[arg(long)]
        locker: PathBuf,
    },
    /// Test a locker's evidence against every control and print the results.
    ///
    /// Exits 1 when there are open exceptions (so CI can gate on it), 3 when the
    /// collection was incomplete.
    Evaluate {
        /// The locker directory.
        #[arg(long)]
        locker: PathBuf,
        /// Config file; default: the config stored in the locker.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Print findings.json (SPEC §4) instead of the summary table.
        #[arg(long)]
        json: bool,
        /// AC-05: the previous snapshot (a locker, a bundle zip or folder, or a bundle's
        /// previous-access.json) to list access changes against; overrides the config's
        /// `[access].previous_snapshot`.
        #[arg(long, value_name = "PATH")]
        previous: Option<PathBuf>,
        #[command(flatten)]
        sampling: SeedArg,
    },
    /// Evaluate a locker and write the evidence bundle (zip, and optionally a folder).
    Bundle {
        /// The locker directory.
        #[arg(long)]
        locker: PathBuf,
        /// Config file; default: the config stored in the locker.
        #[arg(long)]
        config: Option<PathBuf>,
        /// The zip to write.
        #[arg(long)]
        out: PathBuf,
        /// Also write the bundle's files as a folder here.
        #[arg(long)]
        dir: Option<PathBuf>,
        /// AC-05: the previous snapshot (a locker, a bundle zip or folder, or a bundle's
        /// previous-access.json) to list access changes against; overrides the config's
        /// `[access].previous_snapshot`.
        #[arg(long, value_name = "PATH")]
        previous: Option<PathBuf>,
        #[command(flatten)]
        sampling: SeedArg,
    },
    /// Check a bundle as received: signature, every file, and optionally the findings.
    ///
    /// BUNDLE is the zip or its folder. Checks, in order: the bundle is read safely (entries
    /// with absolute paths, `..`, backslashes, links, encryption, duplicate names or
    /// overlapping data are refused, and nothing is unpacked); manifest.json's minisign
    /// signature verifies with --pubkey; every file manifest.json lists is present with
    /// the listed size and SHA-256; no file is present that it does not list. With
    /// --reperform the findings are re-derived from the bundle's raw evidence
    /// (evidence/raw, evidence/requests.ndjson) with the bundle's own config and catalog
    /// (config/) and must equal findings.json exactly; every difference is listed.
    ///
    /// The report says what was and was not checked and lists every problem, first the
    /// file to look at. Exit 0 when every check passed, 4 when any failed (the first
    /// offending file is named), 2 on a usage error. Without --pubkey the signature
    /// cannot be checked: pass --no-signature to check the files alone.
    Verify {
        /// The bundle: changeproof-bundle.zip or the bundle folder.
        bundle: PathBuf,
        /// The signer's minisign public key: a `.pub` file, or its `RW…` key line.
        #[arg(long, value_name = "KEY")]
        pubkey: Option<String>,
        /// Check the files without a public key (the signature is then not checked, and
        /// nothing shows who produced the bundle).
        #[arg(long, conflicts_with = "pubkey")]
        no_signature: bool,
        /// Also re-derive the findings from the raw evidence and compare them with findings.json.
        #[arg(long)]
        reperform: bool,
    },
    /// Write a minisign key pair for signing bundles: OUT/NAME.key and OUT/NAME.pub.
    ///
    /// The secret key is encrypted with a password read from CHANGEPROOF_KEY_PASSWORD, or
    /// asked for on the terminal; --unencrypted writes it without one (for automation
    /// that keeps the file in a secret store). Point `[output] signing_key` at NAME.key
    /// and give auditors NAME.pub (or the `RW…` key line printed) by a channel they trust.
    /// Never overwrites a file.
    Keygen {
        /// Directory to write the key pair into (created if absent).
        #[arg(long)]
        out: PathBuf,
        /// File name of the pair, without extension.
        #[arg(long, default_value = "changeproof")]
        name: String,
        /// Do not encrypt the secret key with a password.
        #[arg(long)]
        unencrypted: bool,
    },
    /// The control catalog.
    Controls {
        #[command(subcommand)]
        command: ControlsCommand,
    },
}

/// The auditor's sampling seed.
#[derive(clap::Args, Debug)]
struct SeedArg {
    /// The auditor's sampling seed; overrides `[sampling] seed` of the config. Each
    /// control's sample is drawn from it reproducibly (docs/auditor-guide.md shows how to
    /// re-perform the selection). Without a seed no sample is drawn.
    #[arg(long, value_name = "SEED")]
    seed: Option<String>,
}

/// Network behaviour of a collection.
#[derive(clap::Args, Debug)]
struct HttpArgs {
    /// A previous locker: its responses are revalidated by ETag (a 304 costs no rate
    /// limit) instead of being fetched again.
    #[arg(long, value_name = "LOCKER")]
    etag_cache: Option<PathBuf>,
    /// Requests in flight at once (GitHub asks for few concurrent requests).
    #[arg(long, default_value_t = HttpSettings::default().max_in_flight)]
    concurrency: usize,
    /// Attempts per request on transient failures (5xx, timeouts, truncated bodies).
    #[arg(long, default_value_t = HttpSettings::default().max_attempts)]
    attempts: u32,
    /// Longest single rate-limit wait accepted, in seconds; a request needing a longer
    /// one is reported missing.
    #[arg(long, default_value_t = HttpSettings::default().max_wait.as_secs())]
    max_wait: u64,
}

impl HttpArgs {
    fn options(&self) -> Result<CollectOptions> {
        if self.concurrency == 0 || self.attempts == 0 {
            anyhow::bail!("--concurrency and --attempts must be at least 1");
        }
        let progress: Arc<dyn Progress> = if std::io::stderr().is_terminal() {
            Arc::new(Bars::new())
        } else {
            Arc::new(LogLines::default())
        };
        let mut options = CollectOptions::new(progress);
        options.etag_cache = self.etag_cache.clone();
        options.settings.max_in_flight = self.concurrency;
        options.settings.max_attempts = self.attempts;
        options.settings.max_wait = Duration::from_secs(self.max_wait);
        Ok(options)
    }
}

#[derive(Subcommand, Debug)]
enum ControlsCommand {
    /// List every control with its TSC references and severity.
    List,
    /// Show one control: objective, test procedure, exception kinds, parameters.
    Show {
        /// Control id, e.g. CM-01.
        id: String,
    },
    /// Print the whole catalog as Markdown for auditors (the source of docs/controls.md).
    Doc,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(exit::USAGE)
        }
    }
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,changeproof::progress=info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

fn run(cli: Cli) -> Result<u8> {
    match cli.command {
        Command::Collect { config, out, http } => {
            let options = http.options()?;
            let config = Config::load(&config)?;
            let collection = collect::collect_blocking(&config, &out, options)?;
            print_collection(&collection);
            Ok(if collection.meta.complete {
                0
            } else {
                exit::INCOMPLETE
            })
        }
        Command::Run {
            config,
            out,
            previous,
            http,
            sampling,
        } => {
            let options = http.options()?;
            let result = pipeline::run_with(
                &config,
                &out,
                options,
                source_date_epoch()?,
                key_password(),
                previous.as_deref(),
                sampling.seed.as_deref(),
            )?;
            print_collection(&result.collection);
            println!();
            print_summary(&result.evaluated.evaluation.findings);
            println!();
            println!("bundle:       {}", result.bundle_zip.display());
            println!(
                "report:       {}",
                result.bundle_dir.join("index.html").display()
            );
            match &result.signed_by {
                Some(id) => println!("signed:       minisign key {id}"),
                None => println!(
                    "UNSIGNED: no [output] signing_key in the config (`changeproof keygen` makes a key pair)"
                ),
            }
            Ok(exit_code(&result.evaluated.evaluation.findings))
        }
        Command::Demo { out, changes, seed } => demo(&out, ExampleParams { seed, changes }),
        Command::Replay { locker } => {
            let locker = Locker::open(&locker)?;
            let evidence = pipeline::replay(&locker)?;
            println!(
                "{}: {} changes, {} branch commits, {} deployments re-derived from the raw responses",
                locker.path(changeproof::locker::EVIDENCE_FILE).display(),
                evidence.changes.len(),
                evidence.branch_commits.len(),
                evidence.deployments.len()
            );
            Ok(0)
        }
        Command::Evaluate {
            locker,
            config,
            json,
            previous,
            sampling,
        } => {
            // Findings only: the trend tables are the bundle's.
            let mut evaluated = pipeline::evaluate_locker_findings(
                &locker,
                config.as_deref(),
                previous.as_deref(),
            )?;
            pipeline::set_seed(&mut evaluated.config, sampling.seed.as_deref())?;
            let findings = &evaluated.evaluation.findings;
            if json {
                use std::io::Write;
                std::io::stdout().write_all(&findings.to_json_bytes())?;
            } else {
                print_summary(findings);
            }
            let code = exit_code(findings);
            // The evidence and evaluation of a large locker are millions of small
            // allocations; the process ends here, and the OS reclaims them at once
            // where freeing them one by one takes seconds.
            std::mem::forget(evaluated);
            Ok(code)
        }
        Command::Bundle {
            locker,
            config,
            out,
            dir,
            previous,
            sampling,
        } => {
            let mut evaluated =
                pipeline::evaluate_locker_with(&locker, config.as_deref(), previous.as_deref())?;
            pipeline::set_seed(&mut evaluated.config, sampling.seed.as_deref())?;
            let generated_at = pipeline::generation_time(&evaluated, source_date_epoch()?)?;
            let key = pipeline::load_signing_key(&evaluated.config, key_password())?;
            pipeline::write_bundle(
                &evaluated,
                generated_at,
                key.as_ref(),
                dir.as_deref(),
                Some(&out),
            )?;
            print_summary(&evaluated.evaluation.findings);
            println!("\nbundle: {}", out.display());
            match &key {
                Some(key) => println!("signed: minisign key {}", key.key_id()),
                None => println!(
                    "UNSIGNED: no [output] signing_key in the config (`changeproof keygen` makes a key pair)"
                ),
            }
            Ok(exit_code(&evaluated.evaluation.findings))
        }
        Command::Verify {
            bundle,
            pubkey,
            no_signature,
            reperform,
        } => verify(&bundle, pubkey.as_deref(), no_signature, reperform),
        Command::Keygen {
            out,
            name,
            unencrypted,
        } => keygen(&out, &name, unencrypted),
        Command::Controls { command } => {
            let catalog = Catalog::builtin()?;
            match command {
                ControlsCommand::List => {
                    for c in &catalog.controls {
                        println!(
                            "{:<6}  {:<8}  {:<6}  {}",
                            c.id,
                            c.tsc.join(","),
                            c.severity.as_str(),
                            c.title
                        );
                    }
                }
                ControlsCommand::Show { id } => {
                    let c = catalog.get(&id.to_ascii_uppercase()).with_context(|| {
                        format!("no control `{id}`; `changeproof controls list` shows them all")
                    })?;
                    print!("{}", catalog_text::plain(c, 90));
                }
                ControlsCommand::Doc => print!("{}", catalog_text::markdown(&catalog)),
            }
            Ok(0)
        }
    }
}

fn demo(out: &Path, params: ExampleParams) -> Result<u8> {
    let result = pipeline::demo(out, params).map_err(|e| match e {
        PipelineError::Output { .. } => anyhow::Error::new(e),
        other => anyhow::Error::new(other).context("the demo failed"),
    })?;
    print_summary(&result.evaluated.evaluation.findings);
    println!();
    println!("locker:       {}", result.locker.display());
    println!("ground truth: {}", result.ground_truth.display());
    println!("previous:     {}", result.previous_locker.display());
    println!("bundle:       {}", result.bundle_zip.display());
    println!(
        "report:       {}",
        result.bundle_dir.join("index.html").display()
    );
    Ok(0)
}

/// What a collection got, what it cost, and what is missing.
fn print_collection(c: &Collection) {
    println!(
        "locker: {} ({}, snapshot {})",
        c.locker.root().display(),
        if c.resumed { "resumed" } else { "new" },
        c.meta.snapshot_time.format("%Y-%m-%d %H:%M:%S UTC")
    );
    for (source, s) in &c.stats {
        println!(
            "{source}: {} requests sent ({} not modified), {} answered from the locker, {} reused from the earlier collection, {} retries, {} rate-limit waits; rate limit used: {} REST, {} GraphQL points in {} queries",
            s.network,
            s.not_modified,
            s.journal,
            s.reused,
            s.retries,
            s.waits,
            s.core_used,
            s.graphql_points,
            s.graphql_requests
        );
    }
    println!(
        "{} changes, {} branch commits, {} deployments, {} gaps; {:.1} s",
        c.evidence.changes.len(),
        c.evidence.branch_commits.len(),
        c.evidence.deployments.len(),
        c.evidence.gaps.len(),
        c.elapsed.as_secs_f64()
    );
    for gap in &c.evidence.gaps {
        println!("  not available: {}", gap.reason);
    }
    for note in &c.notes {
        println!("  note: {note}");
    }
    for line in &c.reused {
        println!("  reused: {line}");
    }
    if c.meta.complete {
        println!("collection complete");
    } else {
        println!("COLLECTION INCOMPLETE — missing:");
        for m in &c.meta.missing {
            println!("  {m}");
        }
    }
}

fn verify(bundle: &Path, pubkey: Option<&str>, no_signature: bool, reperform: bool) -> Result<u8> {
    let public_key = match (pubkey, no_signature) {
        (Some(key), _) => Some(signing::PublicKey::from_file_or_key(key)?),
        (None, true) => None,
        (None, false) => anyhow::bail!(
            "no public key: pass --pubkey KEY.pub (the signer's minisign public key) to check the signature, or --no-signature to check the files alone"
        ),
    };
    let options = changeproof::verify::VerifyOptions {
        public_key,
        reperform,
        ..Default::default()
    };
    let report = changeproof::verify::verify(bundle, &options)?;
    print!("{report}");
    match report.first_problem() {
        None if report.passed() => Ok(0),
        first => {
            let first = first.map_or_else(|| "the signature".to_string(), |p| p.to_string());
            eprintln!("error: verification failed: {first}");
            Ok(exit::VERIFY_FAILED)
        }
    }
}

fn keygen(out: &Path, name: &str, unencrypted: bool) -> Result<u8> {
    let password = if unencrypted {
        None
    } else {
        match key_password() {
            KeyPassword::Given(p) if p.is_empty() => anyhow::bail!(
                "CHANGEPROOF_KEY_PASSWORD is empty; set a password, or pass --unencrypted"
            ),
            KeyPassword::Unavailable => anyhow::bail!(
                "no password for the secret key: set CHANGEPROOF_KEY_PASSWORD, run on a terminal to be asked, or pass --unencrypted"
            ),
            other => Some(other),
        }
    };
    let generated = signing::generate(out, name, password)?;
    println!(
        "secret key: {} ({})",
        generated.secret_key.display(),
        if generated.encrypted {
            "encrypted with your password"
        } else {
            "NOT encrypted: protect the file"
        }
    );
    println!("public key: {}", generated.public_key.display());
    println!("key id:     {}", generated.key_id);
    println!(
        "public key line (for minisign -P): {}",
        generated.public_key_base64
    );
    println!(
        "\nSign bundles: set `signing_key = \"{}\"` under [output] in the config (relative to the config file).",
        generated.secret_key.display()
    );
    let public = generated.public_key.display();
    println!(
        "Give auditors {public} by a channel they trust; they check a bundle with:\n  minisign -Vm manifest.json -p {public}\n  changeproof verify BUNDLE --pubkey {public}"
    );
    Ok(0)
}

/// The password of an encrypted signing key: CHANGEPROOF_KEY_PASSWORD, else a prompt when
/// there is a terminal to ask on. Never printed or logged.
fn key_password() -> KeyPassword {
    match std::env::var("CHANGEPROOF_KEY_PASSWORD") {
        Ok(p) => KeyPassword::Given(p),
        Err(_) if std::io::stdin().is_terminal() => KeyPassword::Prompt,
        Err(_) => KeyPassword::Unavailable,
    }
}

fn exit_code(findings: &Findings) -> u8 {
    if !findings.complete {
        exit::INCOMPLETE
    } else if findings.open_exceptions() > 0 {
        exit::OPEN_EXCEPTIONS
    } else {
        0
    }
}

fn source_date_epoch() -> Result<Option<i64>> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(v) => v.trim().parse().map(Some).with_context(|| {
            format!("SOURCE_DATE_EPOCH={v:?} is not a number of seconds since 1970")
        }),
        Err(_) => Ok(None),
    }
}

/// The per-control summary table.
fn print_summary(findings: &Findings) {
    if !findings.complete {
        println!(
            "INCOMPLETE COLLECTION — missing: {}",
            findings.missing.join("; ")
        );
    }
    println!(
        "{:<6}  {:<52}  {:<14}  {:>10}  {:>8}  {:>10}  {:>6}",
        "id", "control", "result", "population", "tested", "exceptions", "waived"
    );
    for c in &findings.controls {
        let title: String = c.title.chars().take(52).collect();
        println!(
            "{:<6}  {:<52}  {:<14}  {:>10}  {:>8}  {:>10}  {:>6}",
            c.id,
            title,
            c.result.as_str(),
            c.population,
            c.tested,
            c.exceptions,
            c.waived
        );
    }
    println!(
        "\n{} exceptions, {} open, window {} to {}",
        findings.exceptions.len(),
        findings.open_exceptions(),
        findings.window.start.format("%Y-%m-%d %H:%M UTC"),
        findings.window.end.format("%Y-%m-%d %H:%M UTC"),
    );
    print_waivers(findings);
}

/// What the waivers did: applied, expired (they waive nothing) and unused.
fn print_waivers(findings: &Findings) {
    let Some(w) = &findings.waivers else {
        return;
    };
    let waived: usize = w.applied.iter().map(|a| a.exceptions.len()).sum();
    println!(
        "waivers ({}): {} applied ({waived} exceptions waived), {} expired, {} unused",
        w.file,
        w.applied.len(),
        w.expired.len(),
        w.unused.len()
    );
    for e in &w.expired {
        println!(
            "  EXPIRED {} ({} {} {} {}): expired {}, waives nothing{}",
            e.waiver.location,
            e.waiver.control,
            e.waiver.kind,
            e.waiver.repo,
            e.waiver.subject,
            e.waiver.expires.as_deref().unwrap_or("?"),
            if e.would_match.is_empty() {
                String::new()
            } else {
                format!(
                    "; {} exception(s) it matches stay open",
                    e.would_match.len()
                )
            }
        );
    }
    for u in &w.unused {
        println!(
            "  UNUSED  {} ({} {} {} {}): {}",
            u.waiver.location,
            u.waiver.control,
            u.waiver.kind,
            u.waiver.repo,
            u.waiver.subject,
            u.reason
        );
    }
}
