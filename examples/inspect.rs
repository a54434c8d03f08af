//! Looking inside a model, as PerceptiLabs' canvas does: previews of each component, class
//! names, weights, the generated code view, the graph, training captures, saving and loading.
//!
//! Run it with `cargo run --release --example inspect`.

use percept::prelude::*;

// ANCHOR: builder
fn digits(epochs: usize) -> ModelBuilder {
    ModelBuilder::new("DigitClassifier")
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
            ClassificationSettings {
                training: TrainingSettings {
                    epochs,
                    ..TrainingSettings::default()
                },
            },
            &["fc", "labels"],
        )
}
// ANCHOR_END: builder

fn main() -> Result<(), percept::Error> {
    let device = Default::default();
    // ANCHOR: preview
    let model = digits(5).build::<TrainingBackend>(&device)?;
    model.preview()?;
    for component in model.components() {
        let sample = component
            .get_sample()
            .expect("the preview ran every component");
        println!(
            "{:<8} {:<36} sample shape {:?}",
            component.meta().instance,
            component.class_name(),
            sample.shape.to_vec()
        );
    }
    println!("{}", model.component("fc").expect("declared").code());
    // ANCHOR_END: preview

    // ANCHOR: train
    let mut model = model;
    model.set_progress(Progress::Lines);
    let report = model.run()?;
    let fc = report.component("fc").expect("captured");
    let first = &fc.epochs[0].gradients["W"];
    let last = &fc.epochs[fc.epochs.len() - 1].gradients["W"];
    println!(
        "fc.W gradient std: epoch 1 {:.5}, epoch {} {:.5}",
        first.std,
        fc.epochs.len(),
        last.std
    );
    let page = std::env::temp_dir().join("percept-inspect-report.html");
    report.write_html(&page)?;
    println!("training report: {}", page.display());
    // ANCHOR_END: train

    // ANCHOR: save
    let dir = std::env::temp_dir().join("percept-inspect");
    model.save(&dir)?;
    let loaded = digits(5).load::<TrainingBackend>(&dir, &device)?;
    let probabilities = loaded.predict(TensorData::new(vec![0.5f32; 64], [1, 64]))?;
    println!(
        "saved in {}; prediction of a grey square: {:?}",
        dir.display(),
        probabilities.shape.to_vec()
    );
    println!("{}", loaded.to_dot());
    // ANCHOR_END: save
    Ok(())
}
