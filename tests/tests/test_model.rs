//! What a built model offers: previews, class names, predictions, evaluation, save and load.

mod common;

use common::{build, digits_mlp, shared, training};
use percept::prelude::*;

#[test]
fn class_names_count_instances_per_type() {
    let model = build(digits_mlp(training(1)));
    let names: Vec<String> = model.components().iter().map(|c| c.class_name()).collect();
    assert_eq!(
        names,
        [
            "DataData_Data_1",
            "DataData_Data_2",
            "DeepLearningDense_Dense_1",
            "DeepLearningDense_Dense_2",
            "TrainClassification_Classification_1"
        ]
    );
    let fc = model.component("fc").unwrap();
    assert_eq!(
        (fc.category(), fc.type_name(), fc.meta().name.as_str()),
        ("DeepLearning", "Dense", "Dense_2")
    );
}

#[test]
fn preview_fills_every_sample_in_the_users_layout() {
    let model = build(
        ModelBuilder::new("Preview")
            .add("images", DataSettings::digits(Digits::Images), &[])
            .add("labels", DataSettings::digits(Digits::Labels), &[])
            .add("image", ReshapeSettings::new([8, 8, 1]), &["images"])
            .add("conv", ConvSettings::new(4, 3), &["image"])
            .add("pool", MaxPoolSettings::new(2), &["conv"])
            .add("flat", FlattenSettings {}, &["pool"])
            .add("fc", DenseSettings::new(10, Activation::Softmax), &["flat"])
            .add(
                "train",
                ClassificationSettings::default(),
                &["fc", "labels"],
            ),
    );
    assert!(
        model.component("conv").unwrap().get_sample().is_none(),
        "nothing ran yet"
    );
    model.preview().unwrap();
    let shape = |name: &str| {
        model
            .component(name)
            .unwrap()
            .get_sample()
            .unwrap()
            .shape
            .to_vec()
    };
    assert_eq!(shape("images"), vec![64]);
    assert_eq!(shape("labels"), Vec::<usize>::new());
    assert_eq!(shape("image"), vec![8, 8, 1]);
    assert_eq!(
        shape("conv"),
        vec![8, 8, 4],
        "channels last, as the user declared"
    );
    assert_eq!(shape("pool"), vec![4, 4, 4]);
    assert_eq!(shape("flat"), vec![64]);
    // The first digit is a 0 (row 0 of the dataset, pixel sum 294 / 16).
    let label: Vec<f32> = model
        .component("labels")
        .unwrap()
        .get_sample()
        .unwrap()
        .to_vec()
        .unwrap();
    assert_eq!(label, [0.0]);
    let image: Vec<f32> = model
        .component("image")
        .unwrap()
        .get_sample()
        .unwrap()
        .to_vec()
        .unwrap();
    assert!((image.iter().sum::<f32>() - 294.0 / 16.0).abs() < 1e-4);
    // Flatten after pooling keeps the user's order: pool's sample flattened row-major is flat's.
    let pool: Vec<f32> = model
        .component("pool")
        .unwrap()
        .get_sample()
        .unwrap()
        .to_vec()
        .unwrap();
    let flat: Vec<f32> = model
        .component("flat")
        .unwrap()
        .get_sample()
        .unwrap()
        .to_vec()
        .unwrap();
    assert_eq!(pool, flat);
}

#[test]
fn summary_lists_components_shapes_and_parameters() {
    let model = build(digits_mlp(training(1)));
    let summary = model.summary();
    assert_eq!(summary.total_parameters(), 64 * 32 + 32 + 32 * 10 + 10);
    assert_eq!(summary.total_parameters(), model.num_params());
    let text = summary.to_string();
    assert!(
        text.contains("hidden")
            && text.contains("DeepLearningDense_Dense_1")
            && text.contains("[32]"),
        "{text}"
    );
    assert!(text.contains("Total params: 2410"), "{text}");
    let dot = model.to_dot();
    assert!(dot.contains("\"hidden\" -> \"fc\""), "{dot}");
}

#[test]
fn save_and_load_give_the_same_predictions_on_any_backend() {
    let dir = tempfile::tempdir().unwrap();
    // With a BatchNorm, whose running statistics are saved too.
    let declaration = |epochs| {
        ModelBuilder::new("Saved")
            .add("images", DataSettings::digits(Digits::Images), &[])
            .add("labels", DataSettings::digits(Digits::Labels), &[])
            .add(
                "hidden",
                DenseSettings::new(32, Activation::Relu),
                &["images"],
            )
            .add("norm", BatchNormSettings::default(), &["hidden"])
            .add("fc", DenseSettings::new(10, Activation::Softmax), &["norm"])
            .add(
                "train",
                ClassificationSettings {
                    training: TrainingSettings {
                        headless: true,
                        ..training(epochs)
                    },
                },
                &["fc", "labels"],
            )
    };
    let mut model = build(declaration(2));
    model.run().unwrap();
    model.save(dir.path()).unwrap();
    assert!(dir.path().join("model.mpk").exists() && dir.path().join("model.json").exists());

    let input = TensorData::new(
        (0..128)
            .map(|i| (i % 17) as f32 / 16.0)
            .collect::<Vec<f32>>(),
        [2, 64],
    );
    let before = model.predict(input.clone()).unwrap();
    assert_eq!(before.shape.to_vec(), vec![2, 10]);
    // Other training settings, the backend without autodiff: the same parameters load.
    let loaded = declaration(50)
        .load::<DefaultBackend>(dir.path(), &Default::default())
        .unwrap();
    assert_eq!(loaded.predict(input).unwrap(), before);
    let running = |m: &dyn Fn(&str) -> percept::Tensors| m("norm")["running_var"].clone();
    assert_eq!(
        running(&|n| loaded.component(n).unwrap().variables()),
        running(&|n| model.component(n).unwrap().variables())
    );
}

#[test]
fn loading_into_another_model_names_the_difference() {
    let dir = tempfile::tempdir().unwrap();
    build(digits_mlp(training(1))).save(dir.path()).unwrap();
    let other = ModelBuilder::new("Other")
        .add("images", DataSettings::digits(Digits::Images), &[])
        .add("labels", DataSettings::digits(Digits::Labels), &[])
        .add(
            "hidden",
            DenseSettings::new(64, Activation::Relu),
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
                training: training(1),
            },
            &["fc", "labels"],
        );
    let err = other
        .load::<TrainingBackend>(dir.path(), &Default::default())
        .unwrap_err();
    assert!(
        err.to_string().contains("component `hidden` differs"),
        "{err}"
    );
    let missing = digits_mlp(training(1))
        .load::<TrainingBackend>(dir.path().join("none"), &Default::default());
    let err = missing.unwrap_err().to_string();
    assert!(
        err.contains("cannot read") && err.contains("model.json"),
        "{err}"
    );
}

#[test]
fn predict_checks_the_element_shape() {
    let model = build(digits_mlp(training(1)));
    let err = model
        .predict(TensorData::new(vec![0.0f32; 63], [1, 63]))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "`predict` got elements of shape `[1, 63]` for `images`, which expects `[64]`"
    );
}

#[test]
fn evaluate_measures_the_test_file() {
    let digits = shared("digits/digits.csv.gz");
    // The first 100 digits as a separate test file.
    let dir = tempfile::tempdir().unwrap();
    let table = percept::formats::csv::read(
        std::path::Path::new(&digits),
        &percept::formats::Columns::All,
    )
    .unwrap();
    let rows: Vec<String> = (0..100)
        .map(|i| {
            table
                .element(i)
                .iter()
                .map(|v| v.to_string())
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect();
    let test_file = dir.path().join("test.csv");
    std::fs::write(&test_file, rows.join("\n")).unwrap();
    let test_file = test_file.display().to_string();
    let builder = |test: bool| {
        common::digits_from_csv("DigitsFromFile", test.then_some(test_file.as_str()))
            .add(
                "fc",
                DenseSettings::new(10, Activation::Softmax),
                &["scaled"],
            )
            .add(
                "train",
                ClassificationSettings {
                    training: TrainingSettings {
                        optimizer: Optimizer::Adam {
                            learning_rate: 0.01,
                        },
                        ..training(10)
                    },
                },
                &["fc", "labels"],
            )
    };
    let mut model = build(builder(true));
    let report = model.run().unwrap();
    let evaluation = model.evaluate().unwrap();
    assert_eq!(
        evaluation.samples, 100,
        "the test file, not the training file"
    );
    assert!(evaluation.accuracy > 0.9, "{evaluation:?}");
    assert!(evaluation.loss < report.epochs[0].loss_training);

    // The test view agrees with the figures above and with itself.
    let view = evaluation
        .classification
        .as_ref()
        .expect("a classifier's test view");
    let counted: usize = view.confusion.iter().flatten().sum();
    assert_eq!(counted, 100);
    let right: usize = (0..10).map(|c| view.confusion[c][c]).sum();
    assert!((view.accuracy - right as f64 / 100.0).abs() < 1e-12);
    assert!((view.accuracy as f32 - evaluation.accuracy).abs() < 1e-6);
    assert_eq!(view.classes.iter().map(|c| c.support).sum::<usize>(), 100);
    let worst = &view.worst[0];
    assert_eq!(worst.input.len(), 64, "the element's 64 pixels");
    assert_eq!(worst.probabilities.len(), 10);
    assert!((worst.probabilities.iter().sum::<f32>() - 1.0).abs() < 1e-4);
    assert!(view.worst.windows(2).all(|w| w[0].loss >= w[1].loss));
    let table = evaluation.to_string();
    assert!(
        table.contains("weighted avg") && table.contains("confusion matrix"),
        "{table}"
    );
    assert!(evaluation.regression.is_none());

    let err = build(builder(false)).evaluate().unwrap_err();
    assert_eq!(
        err.to_string(),
        "`images` has no `test_file`; name one to evaluate the model on a test set"
    );
}

#[test]
fn a_data_file_can_be_replaced_at_run_time() {
    let iris = shared("iris/iris.csv");
    let dir = tempfile::tempdir().unwrap();
    let small = dir.path().join("small.csv");
    std::fs::write(&small, "1,2,3,4,0\n5,6,7,8,1\n").unwrap();
    let mut model = build(
        ModelBuilder::new("Iris")
            .add(
                "x",
                DataSettings::file(&iris).with_columns(Columns::Range { start: 0, end: 4 }),
                &[],
            )
            .add(
                "y",
                DataSettings::file(&iris)
                    .with_columns(Columns::Single(4))
                    .with_classes(3),
                &[],
            )
            .add("fc", DenseSettings::new(3, Activation::None), &["x"])
            .add(
                "train",
                ClassificationSettings {
                    training: training(1),
                },
                &["fc", "y"],
            ),
    );
    model
        .data_mut("x")
        .unwrap()
        .set_file(small.display().to_string())
        .unwrap();
    let err = model.preview().unwrap_err();
    assert_eq!(
        err.to_string(),
        "`y` has 150 elements but `x` has 2; every Data component of a model must hold as many elements"
    );
    model
        .data_mut("y")
        .unwrap()
        .set_file(small.display().to_string())
        .unwrap();
    model.preview().unwrap();
    let x: Vec<f32> = model
        .component("x")
        .unwrap()
        .get_sample()
        .unwrap()
        .to_vec()
        .unwrap();
    assert_eq!(x, [1.0, 2.0, 3.0, 4.0]);
}

#[test]
fn images_with_several_channels_keep_their_layout_from_file_to_prediction() {
    // Random [4, 4, 3] images: the preview reads them through the data loader, `predict` takes
    // them from the user; both must agree on which value is which channel.
    let model = build(
        ModelBuilder::new("Channels")
            .add("x", DataSettings::random([4, 4, 3], 8), &[])
            .add(
                "y",
                DataSettings::random(Shape::scalar(), 8).with_classes(2),
                &[],
            )
            .add(
                "conv",
                ConvSettings {
                    padding: Padding::Valid,
                    ..ConvSettings::new(2, 3)
                },
                &["x"],
            )
            .add("flat", FlattenSettings {}, &["conv"])
            .add("fc", DenseSettings::new(2, Activation::Softmax), &["flat"])
            .add("train", ClassificationSettings::default(), &["fc", "y"]),
    );
    model.preview().unwrap();
    let x = model.component("x").unwrap().get_sample().unwrap();
    assert_eq!(x.shape.to_vec(), vec![4, 4, 3]);
    assert_eq!(
        model
            .component("conv")
            .unwrap()
            .get_sample()
            .unwrap()
            .shape
            .to_vec(),
        vec![2, 2, 2]
    );
    let one = TensorData::new(x.to_vec::<f32>().unwrap(), [1, 4, 4, 3]);
    let predicted: Vec<f32> = model.predict(one).unwrap().to_vec().unwrap();
    let previewed: Vec<f32> = model
        .component("fc")
        .unwrap()
        .get_sample()
        .unwrap()
        .to_vec()
        .unwrap();
    for (p, q) in predicted.iter().zip(&previewed) {
        assert!((p - q).abs() < 1e-6, "{predicted:?} vs {previewed:?}");
    }
    // The same values with two channels swapped give another prediction: the check can fail.
    let swapped: Vec<f32> = x
        .to_vec::<f32>()
        .unwrap()
        .chunks(3)
        .flat_map(|c| [c[1], c[0], c[2]])
        .collect();
    let other: Vec<f32> = model
        .predict(TensorData::new(swapped, [1, 4, 4, 3]))
        .unwrap()
        .to_vec()
        .unwrap();
    assert!(
        other
            .iter()
            .zip(&previewed)
            .any(|(p, q)| (p - q).abs() > 1e-6)
    );
}

#[test]
fn the_graph_renders_to_a_standalone_svg() {
    let model = build(digits_mlp(training(1)));
    let svg = model.to_svg();
    assert!(
        svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""),
        "{svg}"
    );
    assert_eq!(svg.matches("<rect ").count(), 5, "a box per component");
    assert_eq!(
        svg.matches("marker-end=\"url(#arrow)\"").count(),
        4,
        "an arrow per input"
    );
    assert!(svg.contains("DeepLearningDense_Dense_1") && svg.trim_end().ends_with("</svg>"));
}
