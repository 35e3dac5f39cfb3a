//! The steps of the pipeline as library calls: collect, replay, evaluate, bundle, run,
//! demo. The CLI
//! is a thin layer over these; tests call them directly too.

use std::path::{Path, PathBuf};

use crate::analytics::{self, AnalyticsError};
use crate::bundle::{self, BundleError, BundleFiles, BundleInput};
use crate::catalog::{Catalog, CatalogError};
use crate::collect::{self, CollectError, CollectOptions, Collection};
use crate::config::{Config, ConfigError};
use crate::evaluate::{self, EvalInput, Evaluation};
use crate::example::{self, ExampleParams, GroundTruth};
use crate::inputs::{InputError, Inputs};
use crate::locker::{CONFIG_FILE, Locker, LockerError, LockerMeta};
use crate::model::{Evidence, Timestamp};
use crate::normalize::{self, NormalizeError};
use crate::signing::{KeyPassword, SigningError, SigningKey};
use crate::waivers::{WaiverError, WaiversFile};

#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Locker(#[from] LockerError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Normalize(#[from] NormalizeError),
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error(transparent)]
    Bundle(#[from] BundleError),
    #[error(transparent)]
    Collect(#[from] CollectError),
    #[error(transparent)]
    Input(#[from] InputError),
    #[error(transparent)]
    Analytics(#[from] AnalyticsError),
    #[error(transparent)]
    Waivers(#[from] WaiverError),
    // The key error is part of the message, not a `source`, so `{:#}` does not repeat it.
    #[error("{context}: {error}")]
    SigningKey {
        context: String,
        error: SigningError,
    },
    #[error(
        "{path}: no config given and the locker holds none; pass --config FILE (see examples/changeproof.toml)"
    )]
    NoConfig { path: PathBuf },
    #[error("{path}: {message}")]
    Output { path: PathBuf, message: String },
}

/// A locker read and evaluated.
pub struct Evaluated {
    pub locker: Locker,
    pub meta: LockerMeta,
    pub evidence: Evidence,
    pub config: Config,
    pub catalog: Catalog,
    pub evaluation: Evaluation,
}

/// Re-derives `evidence.json` from the locker's raw responses and writes it.
pub fn replay(locker: &Locker) -> Result<Evidence, PipelineError> {
    let evidence = normalize::normalize(locker)?;
    locker.write_evidence(&evidence)?;
    Ok(evidence)
}

/// Loads the config given, or the one stored in the locker.
pub fn load_config(locker: &Locker, config: Option<&Path>) -> Result<Config, PipelineError> {
    match config {
        Some(path) => Ok(Config::load(path)?),
        None => {
            let path = locker.path(CONFIG_FILE);
            let text = locker
                .config_text()?
                .ok_or_else(|| PipelineError::NoConfig { path: path.clone() })?;
            Ok(Config::parse(&text, &path, locker.root().to_path_buf())?)
        }
    }
}

/// Evaluates evidence without the HR roster and previous snapshot (AC-02 and AC-05 are
/// then not tested); the pipeline uses [`evaluate_evidence_with`].
pub fn evaluate_evidence(
    evidence: &Evidence,
    config: &Config,
    catalog: &Catalog,
    meta: &LockerMeta,
) -> Evaluation {
    evaluate_evidence_with(evidence, config, catalog, meta, &Inputs::default())
}

/// Evaluates evidence as the pipeline does: the window comes from the config, the
/// completeness from the locker the evidence was collected into, the roster and
/// previous snapshot from `inputs` (see [`Inputs::load`]). `verify --reperform` calls
/// this too, so a re-performance evaluates exactly as the bundle did.
pub fn evaluate_evidence_with(
    evidence: &Evidence,
    config: &Config,
    catalog: &Catalog,
    meta: &LockerMeta,
    inputs: &Inputs,
) -> Evaluation {
    evaluate::evaluate(&EvalInput {
        evidence,
        config,
        catalog,
        window: config.audit.window.window(),
        complete: meta.complete,
        missing: &meta.missing,
        inputs,
    })
}

/// [`evaluate_evidence_with`], then the waivers applied (SPEC §5): the pipeline's evaluation.
/// `verify --reperform` calls this with the bundle's copy of the waivers file, so a
/// re-performance waives exactly what the bundle waived. Expiry is judged at the
/// evidence's snapshot time.
pub fn evaluate_with_waivers(
    evidence: &Evidence,
    config: &Config,
    catalog: &Catalog,
    meta: &LockerMeta,
    inputs: &Inputs,
    waivers: Option<&WaiversFile>,
) -> Evaluation {
    let mut evaluation = evaluate_evidence_with(evidence, config, catalog, meta, inputs);
    if let Some(file) = waivers {
        let summary = file.apply(&mut evaluation.findings, catalog, evidence.snapshot_time);
        evaluation.findings.waivers = Some(summary);
        evaluation.waivers = Some(file.clone());
    }
    evaluation
}

/// Sets the sampling seed given on the command line (`--seed`), which overrides the
/// config's `[sampling] seed`; the effective config in the bundle then records it.
pub fn set_seed(config: &mut Config, seed: Option<&str>) -> Result<(), PipelineError> {
    if let Some(seed) = seed {
        if seed.is_empty() {
            return Err(PipelineError::Output {
                path: PathBuf::from("--seed"),
                message: "the seed is empty; give the auditor's seed".into(),
            });
        }
        config.sampling.seed = Some(seed.to_string());
    }
    Ok(())
}

/// Reads a locker's normalized evidence, evaluates every control and computes the trend
/// tables (`Evaluation::aggregates`) the bundle writes.
pub fn evaluate_locker(
    locker_dir: &Path,
    config: Option<&Path>,
) -> Result<Evaluated, PipelineError> {
    evaluate_locker_with(locker_dir, config, None)
}

/// Like [`evaluate_locker`], with a previous snapshot for AC-05 (`--previous`) that
/// overrides the config's `[access].previous_snapshot`.
pub fn evaluate_locker_with(
    locker_dir: &Path,
    config: Option<&Path>,
    previous: Option<&Path>,
) -> Result<Evaluated, PipelineError> {
    let mut evaluated = evaluate_locker_findings(locker_dir, config, previous)?;
    evaluated.evaluation.aggregates = Some(analytics::aggregate(
        &evaluated.evidence,
        &evaluated.config,
        &evaluated.evaluation,
    )?);
    Ok(evaluated)
}

/// Like [`evaluate_locker_with`] without the trend tables (`Evaluation::aggregates`
/// stays `None`): for `changeproof evaluate`, which reports the findings only. The trend
/// tables are for the bundle, and at a million changes they are a tenth of the time.
pub fn evaluate_locker_findings(
    locker_dir: &Path,
    config: Option<&Path>,
    previous: Option<&Path>,
) -> Result<Evaluated, PipelineError> {
    let locker = Locker::open(locker_dir)?;
    let meta = locker.meta()?;
    let config = load_config(&locker, config)?;
    let inputs = Inputs::load(&config, previous)?;
    let waivers = WaiversFile::load(&config)?;
    let evidence = locker.evidence()?;
    let catalog = Catalog::builtin()?;
    let evaluation = evaluate_with_waivers(
        &evidence,
        &config,
        &catalog,
        &meta,
        &inputs,
        waivers.as_ref(),
    );
    Ok(Evaluated {
        locker,
        meta,
        evidence,
        config,
        catalog,
        evaluation,
    })
}

/// The bundle's generation time: the config's `generated_at`, else `SOURCE_DATE_EPOCH`
/// (passed in by the caller), else the snapshot time. Never the wall clock.
pub fn generation_time(
    evaluated: &Evaluated,
    source_date_epoch: Option<i64>,
) -> Result<Timestamp, PipelineError> {
    if let Some(t) = evaluated.config.output.generated_at {
        return Ok(t.0);
    }
    if let Some(secs) = source_date_epoch {
        return chrono::DateTime::from_timestamp(secs, 0).ok_or_else(|| PipelineError::Output {
            path: PathBuf::from("SOURCE_DATE_EPOCH"),
            message: format!("{secs} is not a representable time"),
        });
    }
    Ok(evaluated.meta.snapshot_time)
}

/// The key `[output] signing_key` names (relative to the config file), decrypted with
/// `password` if it is encrypted; `None` when the config names none (UNSIGNED bundle).
pub fn load_signing_key(
    config: &Config,
    password: KeyPassword,
) -> Result<Option<SigningKey>, PipelineError> {
    let Some(path) = &config.output.signing_key else {
        return Ok(None);
    };
    let resolved = config.resolve(path);
    SigningKey::load(&resolved, password)
        .map(Some)
        .map_err(|error| PipelineError::SigningKey {
            context: format!(
                "[output] signing_key = {:?} (relative to the config file's directory {})",
                path.display().to_string(),
                config.base_dir.display()
            ),
            error,
        })
}

/// Builds the bundle's files for an evaluated locker, signed when a key is given.
pub fn bundle_files(
    evaluated: &Evaluated,
    generated_at: Timestamp,
    signing_key: Option<&SigningKey>,
) -> Result<BundleFiles, PipelineError> {
    Ok(bundle::build(&BundleInput {
        locker: &evaluated.locker,
        meta: &evaluated.meta,
        evidence: &evaluated.evidence,
        config: &evaluated.config,
        catalog: &evaluated.catalog,
        evaluation: &evaluated.evaluation,
        generated_at,
        tool_version: crate::TOOL_VERSION,
        signing_key,
    })?)
}

/// Writes the bundle of an evaluated locker, signed when a key is given, as a folder
/// under `dir` (new or empty) and/or a zip at `zip`, streaming one file at a time so the
/// bundle is never held in memory as a whole.
pub fn write_bundle(
    evaluated: &Evaluated,
    generated_at: Timestamp,
    signing_key: Option<&SigningKey>,
    dir: Option<&Path>,
    zip: Option<&Path>,
) -> Result<(), PipelineError> {
    bundle::write(
        &BundleInput {
            locker: &evaluated.locker,
            meta: &evaluated.meta,
            evidence: &evaluated.evidence,
            config: &evaluated.config,
            catalog: &evaluated.catalog,
            evaluation: &evaluated.evaluation,
            generated_at,
            tool_version: crate::TOOL_VERSION,
            signing_key,
        },
        dir,
        zip,
    )?;
    Ok(())
}

/// Where the demo put its outputs.
pub struct DemoOutput {
    pub locker: PathBuf,
    pub ground_truth: PathBuf,
    /// The example's previous quarter (a small locker of access lists) AC-05 compares with.
    pub previous_locker: PathBuf,
    pub bundle_dir: PathBuf,
    pub bundle_zip: PathBuf,
    pub truth: GroundTruth,
    pub evaluated: Evaluated,
}

/// The whole pipeline on the example organisation: generate → replay → evaluate → bundle,
/// signed with the demo key (DEMO ONLY: it is public).
/// `out` is created; an existing demo output in it is replaced.
pub fn demo(out: &Path, params: ExampleParams) -> Result<DemoOutput, PipelineError> {
    let locker_dir = out.join("locker");
    let previous_dir = out.join("previous-locker");
    let bundle_dir = out.join("bundle");
    let bundle_zip = out.join("changeproof-bundle.zip");
    let ground_truth = out.join("ground-truth.json");
    for dir in [&locker_dir, &previous_dir, &bundle_dir] {
        if dir.exists() {
            std::fs::remove_dir_all(dir).map_err(|e| PipelineError::Output {
                path: dir.clone(),
                message: format!("cannot replace the previous demo output: {e}"),
            })?;
        }
    }
    let truth = example::write_example(&locker_dir, params)?;
    let mut truth_bytes = serde_json::to_vec_pretty(&truth).expect("ground truth serializes");
    truth_bytes.push(b'\n');
    crate::locker::write_atomic(&ground_truth, &truth_bytes)?;
    let locker = Locker::open(&locker_dir)?;
    replay(&locker)?;
    example::write_previous_example(&previous_dir, params)?;
    replay(&Locker::open(&previous_dir)?)?;
    let evaluated = evaluate_locker_with(&locker_dir, None, Some(&previous_dir))?;
    let generated_at = generation_time(&evaluated, None)?;
    // The demo signs with the demo key pair compiled in from examples/demo-key/, so its
    // bundle verifies (and is reproducible) wherever the demo runs.
    let demo_key = SigningKey::demo().map_err(|error| PipelineError::SigningKey {
        context: "the demo key compiled in from examples/demo-key".into(),
        error,
    })?;
    write_bundle(
        &evaluated,
        generated_at,
        Some(&demo_key),
        Some(&bundle_dir),
        Some(&bundle_zip),
    )?;
    Ok(DemoOutput {
        locker: locker_dir,
        ground_truth,
        previous_locker: previous_dir,
        bundle_dir,
        bundle_zip,
        truth,
        evaluated,
    })
}

/// Where `run` put its outputs.
pub struct RunOutput {
    pub collection: Collection,
    /// The minisign key id the bundle was signed with (`None`: unsigned).
    pub signed_by: Option<String>,
    pub bundle_dir: PathBuf,
    pub bundle_zip: PathBuf,
    pub evaluated: Evaluated,
}

/// The whole pipeline on a real organisation: collect into `out/locker` (resuming an
/// unfinished collection there), evaluate, and write `out/bundle/` and
/// `out/changeproof-bundle.zip`. An incomplete collection is still evaluated and
/// bundled: the bundle says INCOMPLETE and the findings carry `complete: false`.
pub fn run(
    config_path: &Path,
    out: &Path,
    options: CollectOptions,
    source_date_epoch: Option<i64>,
    signing_password: KeyPassword,
) -> Result<RunOutput, PipelineError> {
    run_with(
        config_path,
        out,
        options,
        source_date_epoch,
        signing_password,
        None,
        None,
    )
}

/// Like [`run`], with a previous snapshot for AC-05 (`--previous`) and the auditor's
/// sampling seed (`--seed`, which overrides the config's).
pub fn run_with(
    config_path: &Path,
    out: &Path,
    options: CollectOptions,
    source_date_epoch: Option<i64>,
    signing_password: KeyPassword,
    previous: Option<&Path>,
    seed: Option<&str>,
) -> Result<RunOutput, PipelineError> {
    let mut config = Config::load(config_path)?;
    set_seed(&mut config, seed)?;
    // A signing key, roster, previous snapshot or waivers file that cannot be loaded
    // fails before a long collection, not after.
    WaiversFile::load(&config)?;
    let key = load_signing_key(&config, signing_password)?;
    Inputs::load(&config, previous)?;
    let locker_dir = out.join("locker");
    let bundle_dir = out.join("bundle");
    let bundle_zip = out.join("changeproof-bundle.zip");
    let collection = collect::collect_blocking(&config, &locker_dir, options)?;
    let mut evaluated = evaluate_locker_with(&locker_dir, Some(config_path), previous)?;
    set_seed(&mut evaluated.config, seed)?;
    let generated_at = generation_time(&evaluated, source_date_epoch)?;
    // Written beside the previous bundle folder and swapped in once complete, so a
    // failed bundle never replaces a good one.
    let partial = out.join(".bundle.partial");
    let output_error = |path: &Path, what: &str, e: std::io::Error| PipelineError::Output {
        path: path.to_path_buf(),
        message: format!("{what}: {e}"),
    };
    if partial.exists() {
        std::fs::remove_dir_all(&partial)
            .map_err(|e| output_error(&partial, "cannot remove an unfinished bundle folder", e))?;
    }
    write_bundle(
        &evaluated,
        generated_at,
        key.as_ref(),
        Some(&partial),
        Some(&bundle_zip),
    )?;
    if bundle_dir.exists() {
        std::fs::remove_dir_all(&bundle_dir).map_err(|e| {
            output_error(&bundle_dir, "cannot replace the previous bundle folder", e)
        })?;
    }
    std::fs::rename(&partial, &bundle_dir).map_err(|e| {
        output_error(
            &bundle_dir,
            "cannot move the new bundle folder into place",
            e,
        )
    })?;
    Ok(RunOutput {
        collection,
        signed_by: key.as_ref().map(|k| k.key_id().to_string()),
        bundle_dir,
        bundle_zip,
        evaluated,
    })
}
