//! The main job: trains a small convolutional network on the 8x8 digits that ship with
//! percept, prints its progress and final validation accuracy, then the model's summary.
//!
//! Run it with `cargo run --release --example digits`.

use percept::prelude::*;

fn main() -> Result<(), percept::Error> {
    // ANCHOR: model
    let mut model = ModelBuilder::new("DigitClassifier")
        .add("images", DataSettings::digits(Digits::Images), &[])
        .add("labels", DataSettings::digits(Digits::Labels), &[])
        .add("reshape", ReshapeSettings::new([8, 8, 1]), &["images"])
        .add(
            "conv",
            ConvSettings::new(16, 3).with_activation(Activation::Relu),
            &["reshape"],
        )
        .add("pool", MaxPoolSettings::new(2), &["conv"])
        .add("flat", FlattenSettings {}, &["pool"])
        .add("fc", DenseSettings::new(10, Activation::Softmax), &["flat"])
        .add(
            "train",
            ClassificationSettings {
                training: TrainingSettings {
                    epochs: 30,
                    batch_size: 32,
                    optimizer: Optimizer::Adam {
                        learning_rate: 0.001,
                    },
                    ..TrainingSettings::default()
                },
            },
            &["fc", "labels"],
        )
        .build::<TrainingBackend>(&Default::default())?;
    // ANCHOR_END: model

    // ANCHOR: run
    let report = model.run()?;
    let last = report.last().expect("30 epochs ran");
    println!("validation accuracy: {:.4}", last.accuracy_validation);
    println!("{}", model.summary());
    // ANCHOR_END: run
    Ok(())
}
