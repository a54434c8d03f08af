//! The main job: trains a small convolutional network on the 8x8 digits that ship with
//! percept, prints its progress, writes the training report and prints the model's summary.
//!
//! Run it with `cargo run --release --example digits`; add `-- --dashboard` to watch it
//! train in the browser (the URL is printed; the page stays up until you press Enter).

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
    let watch = std::env::args().any(|a| a == "--dashboard");
    // ANCHOR: run
    let mut model = DigitClassifier::<TrainingBackend>::new(&Default::default());
    // ANCHOR: dashboard
    let dashboard = if watch {
        let dashboard = Dashboard::start()?;
        println!("dashboard: {}", dashboard.url());
        model.set_dashboard(&dashboard);
        Some(dashboard)
    } else {
        None
    };
    // ANCHOR_END: dashboard
    let report = model.run()?;
    let page = std::env::temp_dir().join("percept-digits-report.html");
    report.write_html(&page)?;
    println!("training report: {}", page.display());
    println!("{}", model.summary());
    // ANCHOR_END: run
    if let Some(dashboard) = dashboard {
        println!(
            "the dashboard stays at {} until you press Enter",
            dashboard.url()
        );
        let _ = std::io::stdin().read_line(&mut String::new());
    }
    Ok(())
}
