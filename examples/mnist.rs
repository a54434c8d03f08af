//! MNIST from its original IDX files: a convolutional network on 28x28 handwritten digits.
//!
//! MNIST is not shipped with percept. Get the four files (`train-images-idx3-ubyte.gz`,
//! `train-labels-idx1-ubyte.gz`, `t10k-images-idx3-ubyte.gz`, `t10k-labels-idx1-ubyte.gz`,
//! gzip-compressed or not) from <http://yann.lecun.com/exdb/mnist/> or a mirror, put them in a
//! directory and run:
//!
//! ```text
//! cargo run --release --example mnist -- path/to/mnist [epochs]
//! ```

use std::path::PathBuf;

use percept::prelude::*;

fn main() -> Result<(), percept::Error> {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next().map(PathBuf::from) else {
        eprintln!("usage: mnist <directory with the four MNIST IDX files> [epochs]");
        eprintln!(
            "MNIST is at http://yann.lecun.com/exdb/mnist/ (train-images-idx3-ubyte.gz, ...)"
        );
        std::process::exit(2);
    };
    let epochs = args.next().and_then(|e| e.parse().ok()).unwrap_or(2);
    let file = |name: &str| dir.join(name).display().to_string();
    // ANCHOR: model
    let mut model = ModelBuilder::new("MnistClassifier")
        .add(
            "images",
            DataSettings::file(file("train-images-idx3-ubyte.gz"))
                .with_test_file(file("t10k-images-idx3-ubyte.gz")),
            &[],
        )
        .add(
            "labels",
            DataSettings::file(file("train-labels-idx1-ubyte.gz"))
                .with_classes(10)
                .with_test_file(file("t10k-labels-idx1-ubyte.gz")),
            &[],
        )
        // IDX pixels are 0..=255: scale them to 0..=1.
        .add(
            "scaled",
            RescaleSettings {
                scale: 1.0 / 255.0,
                offset: 0.0,
            },
            &["images"],
        )
        .add("image", ReshapeSettings::new([28, 28, 1]), &["scaled"])
        .add(
            "conv",
            ConvSettings::new(16, 5).with_activation(Activation::Relu),
            &["image"],
        )
        .add("pool", MaxPoolSettings::new(2), &["conv"])
        .add("flat", FlattenSettings {}, &["pool"])
        .add(
            "hidden",
            DenseSettings::new(64, Activation::Relu),
            &["flat"],
        )
        .add(
            "out",
            DenseSettings::new(10, Activation::Softmax),
            &["hidden"],
        )
        .add(
            "train",
            ClassificationSettings {
                training: TrainingSettings {
                    epochs,
                    batch_size: 64,
                    validation: 0.1,
                    headless: true,
                    ..TrainingSettings::default()
                },
            },
            &["out", "labels"],
        )
        .build::<TrainingBackend>(&Default::default())?;
    // ANCHOR_END: model
    // ANCHOR: evaluate
    let report = model.run()?;
    println!(
        "validation accuracy: {:.4}",
        report.last().expect("epochs ran").accuracy_validation
    );
    let test = model.evaluate()?;
    println!(
        "test accuracy: {:.4} on {} images",
        test.accuracy, test.samples
    );
    Ok(())
}
