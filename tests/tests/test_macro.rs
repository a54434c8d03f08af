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

#[test]
fn code_shows_the_generated_class_pretty_printed() {
    let model = DigitClassifier::<DefaultBackend>::new(&Default::default());
    let code = Component::<DefaultBackend>::code(&model.reshape);
    assert!(
        code.starts_with("// reshape: Reshape { shape: [8, 8, 1] } <- images\n"),
        "{code}"
    );
    assert!(
        code.contains("/// Back to an image."),
        "doc comments carry over: {code}"
    );
    assert!(
        code.contains("pub struct ProcessReshape_Reshape_1<B"),
        "{code}"
    );
    assert!(
        code.contains("pub fn forward(\n"),
        "pretty-printed over lines: {code}"
    );
    assert!(
        code.contains("images: ::percept::__private::burn::prelude::Tensor<B, 2>"),
        "{code}"
    );
}

model! {
    /// Petal width from three other measurements; the shapes come from the CSV file, read
    /// when this compiles (relative to this crate's directory).
    PetalWidth {
        x:     Data { file: "../examples/data/iris.csv", columns: 0..3 },
        y:     Data { file: "../examples/data/iris.csv", columns: 3 },
        out:   Dense { units: 1 } <- x,
        train: Regression { epochs: 40, optimizer: Adam { learning_rate: 0.05 } } <- (out, y),
    }
}

#[test]
fn data_shapes_are_read_from_files_when_the_model_compiles() {
    let mut model = PetalWidth::<TrainingBackend>::new(&Default::default());
    model.set_progress(Progress::Hidden);
    // The typed forward was generated from the shape read in the CSV header: [3] -> [1].
    let x = Tensor::<TrainingBackend, 2>::zeros([5, 3], &Default::default());
    let y: Tensor<TrainingBackend, 2> = model.out.forward(x, false);
    assert_eq!(y.dims(), [5, 1]);
    let report = model.run().unwrap();
    assert!(
        report.last().unwrap().accuracy_validation > 0.8,
        "R² {}",
        report.last().unwrap().accuracy_validation
    );
}
