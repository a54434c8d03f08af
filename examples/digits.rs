//! The main job: trains a small convolutional network on the 8x8 digits that ship with
//! percept, prints its progress and final validation accuracy, then the model's summary.
//!
//! Run it with `cargo run --release --example digits`.

use percept::prelude::*;

// ANCHOR: model
model! {
    /// Classifies the 8x8 handwritten digits that ship with percept.
    pub DigitClassifier {
        images:  Data { source: Digits::Images },                      // [64], values in 0..=1
        labels:  Data { source: Digits::Labels },                      // class index, 10 classes
        reshape: Reshape { shape: [8, 8, 1] }                      <- images,
        conv:    Conv { filters: 16, kernel: 3, activation: Relu } <- reshape,
        pool:    MaxPool { size: 2 }                               <- conv,
        flat:    Flatten                                           <- pool,
        fc:      Dense { units: 10, activation: Softmax }          <- flat,
        train:   Classification { epochs: 30, batch_size: 32,
                                  optimizer: Adam { learning_rate: 0.001 } } <- (fc, labels),
    }
}
// ANCHOR_END: model

fn main() -> Result<(), percept::Error> {
    // ANCHOR: run
    let mut model = DigitClassifier::<TrainingBackend>::new(&Default::default());
    let report = model.run()?;
    let last = report.last().expect("30 epochs ran");
    println!("validation accuracy: {:.4}", last.accuracy_validation);
    println!("{}", model.summary());
    // ANCHOR_END: run
    Ok(())
}
