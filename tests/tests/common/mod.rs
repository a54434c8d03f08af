//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

use percept::prelude::*;

/// A file in the shared datasets next to the project (`../shared/data`).
pub fn shared(path: &str) -> String {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data")
        .join(path);
    assert!(
        file.exists(),
        "{} is missing: the tests read the shared datasets",
        file.display()
    );
    file.display().to_string()
}

/// Training settings with these epochs and the defaults otherwise.
pub fn training(epochs: usize) -> TrainingSettings {
    TrainingSettings {
        epochs,
        ..TrainingSettings::default()
    }
}

/// A small dense classifier of the embedded digits.
pub fn digits_mlp(settings: TrainingSettings) -> ModelBuilder {
    ModelBuilder::new("DigitsMlp")
        .add("images", DataSettings::digits(Digits::Images), &[])
        .add("labels", DataSettings::digits(Digits::Labels), &[])
        .add(
            "hidden",
            DenseSettings::new(32, Activation::Relu),
            &["images"],
        )
        .add(
            "fc",
            DenseSettings::new(10, Activation::Softmax),
            &["hidden"],
        )
        .add(
            "train",
            ClassificationSettings { training: settings },
            &["fc", "labels"],
        )
}

/// Builds on the training backend with progress hidden.
pub fn build(builder: ModelBuilder) -> Model<TrainingBackend> {
    let mut model = builder
        .build::<TrainingBackend>(&Default::default())
        .expect("the model builds");
    model.set_progress(Progress::Hidden);
    model
}
