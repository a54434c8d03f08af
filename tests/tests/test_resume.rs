//! Checkpoints and resume: a run killed with SIGKILL and resumed ends bit for bit where the
//! uninterrupted run ends, and a checkpoint that does not belong to the run is refused.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use percept::prelude::*;

const EPOCHS: usize = percept_tests::resumable::EPOCHS;

fn model(checkpoint: Option<&Path>) -> Model<TrainingBackend> {
    percept_tests::resumable::model(checkpoint)
}

/// The epoch of the checkpoint in `dir`, from its manifest; 0 when there is none.
fn checkpoint_epoch(dir: &Path) -> usize {
    let Ok(manifest) = std::fs::read_to_string(dir.join("model.json")) else {
        return 0;
    };
    let at = manifest
        .find("\"checkpoint_epoch\": ")
        .expect("a checkpoint's manifest names its epoch");
    manifest[at + 20..]
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

/// Every parameter of every component.
fn parameters(model: &Model<TrainingBackend>) -> Vec<(String, TensorData)> {
    model
        .components()
        .iter()
        .flat_map(|c| {
            let instance = c.meta().instance.clone();
            c.weights()
                .into_iter()
                .chain(c.biases())
                .map(move |(name, t)| (format!("{instance}.{name}"), t))
        })
        .collect()
}

#[test]
fn a_run_killed_after_checkpoints_resumes_bit_for_bit() {
    // The uninterrupted run.
    let mut reference = model(None);
    let expected = reference.run().unwrap();
    let expected_parameters = parameters(&reference);

    // The same run, killed with SIGKILL a little after each of three checkpoints (sometimes in
    // the middle of writing the next), each time resumed by a new process.
    let dir = tempfile::tempdir().unwrap();
    let checkpoints = dir.path().join("checkpoints");
    let mut kills = 0;
    for kill in 0..3 {
        let before = checkpoint_epoch(&checkpoints);
        let mut child = Command::new(env!("CARGO_BIN_EXE_train_until_killed"))
            .arg(&checkpoints)
            .spawn()
            .unwrap();
        let start = Instant::now();
        while checkpoint_epoch(&checkpoints) <= before {
            assert!(
                start.elapsed() < Duration::from_secs(120),
                "no new checkpoint"
            );
            if child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        // Up to a few milliseconds into the next epoch (or its checkpoint).
        std::thread::sleep(Duration::from_millis(3 * kill));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap();
            kills += 1;
        }
        child.wait().unwrap();
    }
    let resumed_at = checkpoint_epoch(&checkpoints);
    assert!(
        (1..EPOCHS).contains(&resumed_at),
        "the kills left epoch {resumed_at} of {EPOCHS}"
    );
    let mut resumed = model(Some(&checkpoints));
    let report = resumed.resume().unwrap();
    eprintln!(
        "kills: {kills}, resumed after epoch {resumed_at}, epochs compared: {}",
        report.epochs.len()
    );

    assert_eq!(report.epochs.len(), EPOCHS);
    for (epoch, (a, b)) in report.epochs.iter().zip(&expected.epochs).enumerate() {
        let figures = |e: &percept::EpochStats| {
            [
                e.loss_training,
                e.accuracy_training,
                e.loss_validation,
                e.accuracy_validation,
            ]
            .map(f32::to_bits)
        };
        assert_eq!(figures(a), figures(b), "epoch {}", epoch + 1);
    }
    assert_eq!(
        report.components, expected.components,
        "the captures of every epoch"
    );
    let resumed_parameters = parameters(&resumed);
    assert_eq!(resumed_parameters.len(), expected_parameters.len());
    for ((name, a), (_, b)) in resumed_parameters.iter().zip(&expected_parameters) {
        let bits = |t: &TensorData| {
            t.to_vec::<f32>()
                .unwrap()
                .into_iter()
                .map(f32::to_bits)
                .collect::<Vec<_>>()
        };
        assert_eq!(bits(a), bits(b), "parameter {name}");
    }
}

#[test]
fn resume_refuses_what_does_not_belong_to_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let checkpoints = dir.path().join("checkpoints");

    // No checkpoint yet.
    let err = model(Some(&checkpoints)).resume().unwrap_err().to_string();
    assert!(err.contains("holds no checkpoint to resume from"), "{err}");
    // No directory named.
    let err = model(None).resume().unwrap_err().to_string();
    assert!(err.contains("needs a checkpoint directory"), "{err}");

    let mut first = model(Some(&checkpoints));
    let settings = TrainingSettings {
        epochs: 1,
        ..first.training_settings()
    };
    first.run_with(settings.clone()).unwrap();

    // Another seed.
    let err = model(Some(&checkpoints))
        .resume_with(TrainingSettings {
            seed: 7,
            ..settings.clone()
        })
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("trained with another `seed` (42) than this run (7)"),
        "{err}"
    );

    // Another model: a wider hidden layer.
    let mut other = common::build(common::digits_mlp(settings.clone()));
    let err = other.resume_with(settings.clone()).unwrap_err().to_string();
    assert!(err.contains("checkpoints"), "{err}");
    assert!(
        err.contains("another model") || err.contains("differs"),
        "{err}"
    );

    // A plain save is not a checkpoint.
    let saved = dir.path().join("saved");
    first.save(&saved).unwrap();
    let err = model(Some(&saved)).resume().unwrap_err().to_string();
    assert!(err.contains("not a checkpoint"), "{err}");

    // Resuming a finished run trains nothing more and gives its report.
    let report = model(Some(&checkpoints)).resume_with(settings).unwrap();
    assert_eq!(report.epochs.len(), 1);
}
