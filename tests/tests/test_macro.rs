//! `model!`: a model declared inline becomes typed component structs and a model struct.

use percept::prelude::*;

model! {
    /// Classifies the 8x8 handwritten digits that ship with percept.
    pub DigitClassifier {
        images:  Data { source: Digits::Images },
        labels:  Data { source: Digits::Labels },
        /// Back to an image.
        reshape: Reshape { shape: [8, 8, 1] }                      <- images,
        conv:    Conv { filters: 16, kernel: 3, activation: Relu } <- reshape,
        pool:    MaxPool { size: 2 }                               <- conv,
        flat:    Flatten                                           <- pool,
        fc:      Dense { units: 10, activation: Softmax }          <- flat,
        train:   Classification { epochs: 3, batch_size: 32, headless: true,
                                  optimizer: Adam { learning_rate: 0.001 } } <- (fc, labels),
    }
}

#[test]
fn generates_perceptilabs_class_names_in_a_snake_case_module() {
    let model = DigitClassifier::<DefaultBackend>::new(&Default::default());
    let reshape: &digit_classifier::ProcessReshape_Reshape_1<DefaultBackend> = &model.reshape;
    assert_eq!(
        Component::<DefaultBackend>::class_name(reshape),
        "ProcessReshape_Reshape_1"
    );
    assert_eq!(
        <digit_classifier::DeepLearningConv_Conv_1<DefaultBackend> as Component<DefaultBackend>>::CATEGORY,
        "DeepLearning"
    );
    assert_eq!(Component::<DefaultBackend>::name(&model.fc), "Dense_1");
    assert_eq!(Component::<DefaultBackend>::instance(&model.train), "train");
    assert_eq!(model.summary().total_parameters(), 160 + 2570);
}

#[test]
fn typed_forward_and_previews_go_through_the_shared_model() {
    let model = DigitClassifier::<DefaultBackend>::new(&Default::default());
    let x = Tensor::<DefaultBackend, 2>::ones([2, 64], &Default::default());
    let image: Tensor<DefaultBackend, 4> = model.reshape.forward(x, false);
    assert_eq!(image.dims(), [2, 1, 8, 8]);
    let y: Tensor<DefaultBackend, 4> = model.conv.forward(image, false);
    assert_eq!(y.dims(), [2, 16, 8, 8]);
    model.preview().unwrap();
    let sample = Component::<DefaultBackend>::get_sample(&model.pool).unwrap();
    assert_eq!(sample.shape.to_vec(), vec![4, 4, 16]);
}

#[test]
fn runs_and_updates_the_components_it_hands_out() {
    let mut model = DigitClassifier::<TrainingBackend>::new(&Default::default());
    model.set_progress(Progress::Hidden);
    let before = Component::<TrainingBackend>::weights(&model.fc);
    let report = model.run().unwrap();
    assert_eq!(report.epochs.len(), 3);
    assert!(report.last().unwrap().accuracy_validation > 0.7);
    assert_ne!(Component::<TrainingBackend>::weights(&model.fc), before);
}
