//! Fisher's iris flowers from a CSV file: four measurements in, one of three species out.
//!
//! Run it with `cargo run --release --example iris`. It reads `examples/data/iris.csv` (a copy
//! of scikit-learn's, see `examples/data/iris.rst`); give another file of the same layout as
//! the first argument.

use percept::prelude::*;

// ANCHOR: model
model! {
    /// Tells the three iris species apart from four measurements.
    pub IrisClassifier {
        // Columns 0..4 are the measurements, column 4 the species (0, 1 or 2). The first line
        // of scikit-learn's copy is not numeric, so it is taken as a header and skipped. The
        // shapes are declared, so another file can be named at run time; without `shape`
        // they would be read from the file when this compiles.
        measurements: Data { file: "examples/data/iris.csv", columns: 0..4, shape: [4] },
        species:      Data { file: "examples/data/iris.csv", columns: 4, shape: [], classes: 3 },
        norm:         BatchNorm                                 <- measurements,
        hidden:       Dense { units: 16, activation: Relu }     <- norm,
        out:          Dense { units: 3, activation: Softmax }   <- hidden,
        train:        Classification { epochs: 60, batch_size: 16, validation: 0.2,
                                       optimizer: Adam { learning_rate: 0.01 } } <- (out, species),
    }
}
// ANCHOR_END: model

/// Trains on `file` (relative to this crate's directory, or absolute) and returns the final
/// validation accuracy.
pub fn train(file: &str) -> Result<f32, percept::Error> {
    let mut model = IrisClassifier::<TrainingBackend>::new(&Default::default());
    for data in ["measurements", "species"] {
        model
            .model()
            .data_mut(data)
            .expect("declared above")
            .set_file(file)?;
    }
    let report = model.run()?;
    Ok(report.last().expect("epochs ran").accuracy_validation)
}

#[allow(dead_code)]
fn main() -> Result<(), percept::Error> {
    let file = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "examples/data/iris.csv".to_string());
    println!("validation accuracy: {:.4}", train(&file)?);
    Ok(())
}
