//! Fisher's iris flowers from a CSV file: four measurements in, one of three species out.
//!
//! Run it with `cargo run --release --example iris [path/to/iris.csv]`; by default it reads the
//! copy in `../shared/data/iris/iris.csv` next to the project.

use percept::prelude::*;

fn main() -> Result<(), percept::Error> {
    let file = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "../shared/data/iris/iris.csv".to_string());
    // ANCHOR: model
    let mut model = ModelBuilder::new("IrisClassifier")
        // Columns 0..4 are the measurements, column 4 the species (0, 1 or 2). The first line
        // of sklearn's copy is not numeric, so it is taken as a header and skipped.
        .add(
            "measurements",
            DataSettings::file(&file).with_columns(Columns::Range { start: 0, end: 4 }),
            &[],
        )
        .add(
            "species",
            DataSettings::file(&file)
                .with_columns(Columns::Single(4))
                .with_classes(3),
            &[],
        )
        .add("norm", BatchNormSettings::default(), &["measurements"])
        .add(
            "hidden",
            DenseSettings::new(16, Activation::Relu),
            &["norm"],
        )
        .add(
            "out",
            DenseSettings::new(3, Activation::Softmax),
            &["hidden"],
        )
        .add(
            "train",
            ClassificationSettings {
                training: TrainingSettings {
                    epochs: 60,
                    batch_size: 16,
                    optimizer: Optimizer::Adam {
                        learning_rate: 0.01,
                    },
                    validation: 0.2,
                    ..TrainingSettings::default()
                },
            },
            &["out", "species"],
        )
        .build::<TrainingBackend>(&Default::default())?;
    // ANCHOR_END: model
    let report = model.run()?;
    println!(
        "validation accuracy: {:.4}",
        report.last().expect("epochs ran").accuracy_validation
    );
    Ok(())
}
