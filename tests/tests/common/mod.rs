//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

use percept::prelude::*;

/// A file of the shared datasets (laid out like `../shared/data`), by its path there.
///
/// The files the tests use ship with the repository, so a fresh clone passes:
/// `digits/digits.csv.gz` is `formats/data/digits.csv.gz` and `iris/iris.csv` is
/// `examples/data/iris.csv`, byte for byte (`formats/tests/real_data.rs` checks that). Any
/// other file is read from the directory named by `PERCEPT_DATA_DIR` (a relative path is
/// taken from the repository root), and a test asking for one fails if the variable is
/// unset or the file missing (see `formats/data/slices/README.md`).
pub fn shared(path: &str) -> String {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let shipped = match path {
        "digits/digits.csv.gz" => Some("formats/data/digits.csv.gz"),
        "iris/iris.csv" => Some("examples/data/iris.csv"),
        _ => None,
    };
    let file = match (shipped, std::env::var_os("PERCEPT_DATA_DIR")) {
        (Some(copy), _) => root.join(copy),
        (None, Some(dir)) => root.join(dir).join(path),
        (None, None) => panic!(
            "`{path}` is not shipped with the repository: this test needs the full datasets; \
             set PERCEPT_DATA_DIR (see formats/data/slices/README.md)"
        ),
    };
    assert!(
        file.is_file(),
        "{} is missing (see formats/data/slices/README.md)",
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
