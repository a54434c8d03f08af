//! Checkpoints: what `run()` writes at the end of every epoch when the Training component
//! names a `checkpoint` directory, and what `resume()` continues from.
//!
//! A checkpoint is a model save (`model.json`, `model.mpk`: it loads with `load` like any
//! save) with two more files in the same atomic version: `optimizer.mpk`, the optimizer's
//! record (Adam's moments, momentum), and `training.mpk`, the epochs done, the settings they
//! were trained with and the report so far. Nothing else is needed to continue bit for bit:
//! the validation split and every epoch's shuffle are drawn from the seed (the shuffles of the
//! epochs done are replayed), and each epoch reseeds the backend's generator (dropout) from
//! the seed and the epoch's number.

use std::path::Path;

use burn::optim::Optimizer as BurnOptimizer;
use burn::record::{FullPrecisionSettings, NamedMpkBytesRecorder, Recorder};
use burn::tensor::backend::AutodiffBackend;
use percept_catalogue::TrainingSettings;
use serde::{Deserialize, Serialize};

use super::report::{ComponentHistory, EpochStats, StepStats, TrainingReport};
use crate::error::{Error, Result};
use crate::graph::Model;
use crate::graph::model::{Graph, STRUCTURE_FILE, WEIGHTS_FILE};
use crate::persist;

/// The optimizer's record.
const OPTIMIZER_FILE: &str = "optimizer.mpk";
/// The epochs done, their settings and the report so far.
const TRAINING_FILE: &str = "training.mpk";
/// The manifest field that marks a version as a checkpoint.
const EPOCH_FIELD: &str = "checkpoint_epoch";

/// What `training.mpk` holds.
#[derive(Serialize, Deserialize)]
struct Progress {
    /// The epochs done.
    epoch: usize,
    /// The settings they were trained with.
    settings: TrainingSettings,
    /// The report's figures of those epochs.
    epochs: Vec<EpochStats>,
    /// The report's figures of their steps.
    steps: Vec<StepStats>,
    /// The report's captures of those epochs.
    components: Vec<ComponentHistory>,
}

/// A checkpoint read back, its parameters already in the model.
pub(super) struct State<R> {
    /// The epochs done.
    pub epoch: usize,
    /// The optimizer's record.
    pub optimizer: R,
    /// The report's figures of those epochs.
    pub epochs: Vec<EpochStats>,
    /// The report's figures of their steps.
    pub steps: Vec<StepStats>,
    /// The report's captures of those epochs.
    pub components: Vec<ComponentHistory>,
}

/// The seed of epoch `epoch`'s random draws.
pub(super) fn epoch_seed(seed: u64, epoch: usize) -> u64 {
    seed.wrapping_add((epoch as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

/// The checkpoint directory of `settings`, or an error saying `action` needs one.
pub(super) fn directory<'a>(settings: &'a TrainingSettings, action: &str) -> Result<&'a Path> {
    settings
        .checkpoint
        .as_deref()
        .map(Path::new)
        .ok_or_else(|| Error::Checkpoint {
            path: ".".into(),
            problem: format!(
                "{action} needs a checkpoint directory: set the Training component's `checkpoint: \"dir\"`, or `checkpoint` in the settings given to `{action}_with`"
            ),
        })
}

/// Writes the checkpoint of `epoch` into `dir`, atomically.
pub(super) fn write<B: AutodiffBackend, O: BurnOptimizer<Graph<B>, B>>(
    model: &Model<B>,
    dir: &Path,
    settings: &TrainingSettings,
    epoch: usize,
    optimizer: &O,
    report: &TrainingReport,
) -> Result<()> {
    let failed = |file: &str| {
        let path = dir.join(file);
        move |e: burn::record::RecorderError| Error::Record {
            path,
            message: e.to_string(),
        }
    };
    let recorder = NamedMpkBytesRecorder::<FullPrecisionSettings>::default();
    let parameters = persist::model::record(model, dir)?;
    let optimizer = Recorder::<B>::record(&recorder, optimizer.to_record(), ())
        .map_err(failed(OPTIMIZER_FILE))?;
    let progress = Progress {
        epoch,
        settings: settings.clone(),
        epochs: report.epochs.clone(),
        steps: report.steps.clone(),
        components: report.components.clone(),
    };
    let progress = rmp_serde::to_vec_named(&progress).expect("the report serialises");
    let mut extra = serde_json::Map::new();
    extra.insert(EPOCH_FIELD.into(), epoch.into());
    persist::model::write(
        model,
        dir,
        &[
            (WEIGHTS_FILE, &parameters),
            (OPTIMIZER_FILE, &optimizer),
            (TRAINING_FILE, &progress),
        ],
        extra,
    )
}

/// Reads the checkpoint in `dir` into `model` (its parameters) and returns the rest, after
/// checking that it comes from this model, trained with `settings`.
pub(super) fn read<B: AutodiffBackend, O: BurnOptimizer<Graph<B>, B>>(
    model: &mut Model<B>,
    dir: &Path,
    settings: &TrainingSettings,
) -> Result<State<O::Record>> {
    let problem = |problem: String| Error::Checkpoint {
        path: dir.into(),
        problem,
    };
    if !dir.join(STRUCTURE_FILE).exists() {
        return Err(problem(
            "it holds no checkpoint to resume from; `run()` starts a run and writes one there at the end of every epoch".into(),
        ));
    }
    // The parameters, checked against this model's components and shapes.
    *model = persist::model::load(model.clone(), dir)?;
    let mut version = persist::read_version(dir, STRUCTURE_FILE)?;
    let (Some(optimizer), Some(progress)) =
        (version.take(OPTIMIZER_FILE), version.take(TRAINING_FILE))
    else {
        return Err(problem(
            "it is a saved model, not a checkpoint: it has no optimizer state or training progress"
                .into(),
        ));
    };
    let progress: Progress = rmp_serde::from_slice(&progress)
        .map_err(|e| problem(format!("its `{TRAINING_FILE}` cannot be read: {e}")))?;
    let trained = &progress.settings;
    let differs = [
        ("batch_size", trained.batch_size != settings.batch_size),
        ("optimizer", trained.optimizer != settings.optimizer),
        ("validation", trained.validation != settings.validation),
        ("seed", trained.seed != settings.seed),
        ("headless", trained.headless != settings.headless),
    ];
    if let Some((setting, _)) = differs.iter().find(|(_, differs)| *differs) {
        return Err(problem(format!(
            "it was trained with another `{setting}` ({}) than this run ({}); resume with the settings of the run, or start a new run",
            setting_text(trained, setting),
            setting_text(settings, setting),
        )));
    }
    let recorder = NamedMpkBytesRecorder::<FullPrecisionSettings>::default();
    let optimizer = Recorder::<B>::load(&recorder, optimizer, model.device()).map_err(|e| {
        problem(format!(
            "its `{OPTIMIZER_FILE}` does not fit this run's optimizer: {e}"
        ))
    })?;
    Ok(State {
        epoch: progress.epoch,
        optimizer,
        epochs: progress.epochs,
        steps: progress.steps,
        components: progress.components,
    })
}

/// One setting's value, as a message shows it.
fn setting_text(settings: &TrainingSettings, setting: &str) -> String {
    match setting {
        "batch_size" => settings.batch_size.to_string(),
        "optimizer" => format!("{:?}", settings.optimizer),
        "validation" => settings.validation.to_string(),
        "seed" => settings.seed.to_string(),
        _ => settings.headless.to_string(),
    }
}
