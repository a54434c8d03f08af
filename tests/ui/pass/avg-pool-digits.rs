use percept::prelude::*;

model! {
    /// The digits, shrunk to 4x4 by their window means, then classified.
    pub Smoothed {
        images:  Data { source: Digits::Images },
        labels:  Data { source: Digits::Labels },
        image:   Reshape { shape: [8, 8, 1] }             <- images,
        pool:    AvgPool { size: 2 }                      <- image,
        flat:    Flatten                                  <- pool,
        fc:      Dense { units: 10, activation: Softmax } <- flat,
        train:   Classification { epochs: 10, batch_size: 32,
                                  optimizer: Adam { learning_rate: 0.01 } } <- (fc, labels),
    }
}

fn main() -> Result<(), percept::Error> {
    let mut model = Smoothed::<TrainingBackend>::new(&Default::default());
    model.set_progress(Progress::Hidden);
    let report = model.run()?;
    let accuracy = report.last().unwrap().accuracy_validation;
    // A linear model on 4x4 window means of the digits: well above chance (0.1).
    assert!(accuracy > 0.8, "validation accuracy {accuracy}");
    assert_eq!(model.pool.class_name(), "DeepLearningAvgPool_AvgPool_1");
    // The preview of the first image: each value the mean of its 2x2 window.
    model.preview()?;
    let image = model.image.get_sample().unwrap().to_vec::<f32>().unwrap();
    let pooled = model.pool.get_sample().unwrap().to_vec::<f32>().unwrap();
    assert_eq!(pooled.len(), 16);
    let mean = (image[0] + image[1] + image[8] + image[9]) / 4.0;
    assert!((pooled[0] - mean).abs() < 1e-6, "{} vs {mean}", pooled[0]);
    Ok(())
}
